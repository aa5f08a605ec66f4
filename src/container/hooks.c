/* Hook execution (see hooks.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "container/hooks.h"
#include "container/util.h"

static int wait_hook(pid_t pid, int timeout, int *status)
{
    if (timeout <= 0) {
        while (waitpid(pid, status, 0) < 0)
            if (errno != EINTR)
                return -1;
        return 0;
    }
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd >= 0) {
        struct pollfd p = { .fd = pfd, .events = POLLIN };
        int r;
        do
            r = poll(&p, 1, timeout * 1000);
        while (r < 0 && errno == EINTR);
        close(pfd);
        if (r == 0)
            return 1;           /* timed out */
    } else {
        /* No pidfd (old kernel): poll waitpid. */
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        for (long waited = 0; waited < timeout * 1000L; waited += 10) {
            pid_t r = waitpid(pid, status, WNOHANG);
            if (r == pid)
                return 0;
            nanosleep(&ts, NULL);
        }
        return 1;
    }
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return 0;
}

static int run_one(const struct oci_hook *h, const char *kind, size_t idx, const char *state,
                   struct ctr_err *err)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0)
        return ctr_fail_errno(err, "%s hook #%zu: pipe", kind, idx);
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return ctr_fail_errno(err, "%s hook #%zu: fork", kind, idx);
    }
    if (pid == 0) {
        ctr_reset_signals();
        if (dup2(pipefd[0], 0) < 0)
            _exit(127);
        char *fallback[] = { h->path, NULL };
        char *noenv[] = { NULL };
        execve(h->path, h->args ? h->args : fallback, h->env ? h->env : noenv);
        dprintf(2, "%s hook %s: %s\n", kind, h->path, strerror(errno));
        _exit(127);
    }
    close(pipefd[0]);
    /* The state is small (well under a pipe buffer); a hook that does not
     * read it must not block us. */
    size_t len = strlen(state), off = 0;
    while (off < len) {
        ssize_t w = write(pipefd[1], state + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        off += (size_t)w;
    }
    close(pipefd[1]);
    int status = 0;
    int r = wait_hook(pid, h->timeout, &status);
    if (r == 1) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        return ctr_fail(err, "%s hook #%zu (%s) timed out after %d s", kind, idx, h->path,
                        h->timeout);
    }
    if (r < 0)
        return ctr_fail_errno(err, "%s hook #%zu (%s): wait", kind, idx, h->path);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        return ctr_fail(err, "%s hook #%zu (%s) killed by signal %d", kind, idx, h->path,
                        WTERMSIG(status));
    return ctr_fail(err, "%s hook #%zu (%s) failed: exit status %d", kind, idx, h->path,
                    WEXITSTATUS(status));
}

int hooks_run(const struct oci_hooks *hooks, const char *kind, const char *state_json,
              struct ctr_err *err)
{
    for (size_t i = 0; i < hooks->n; i++)
        if (run_one(&hooks->v[i], kind, i, state_json, err) < 0)
            return -1;
    return 0;
}

void hooks_run_all_warn(const struct oci_hooks *hooks, const char *kind,
                        const char *state_json, const struct ctr_log *log)
{
    for (size_t i = 0; i < hooks->n; i++) {
        struct ctr_err err;
        if (run_one(&hooks->v[i], kind, i, state_json, &err) < 0)
            ctr_warn(log, "%s", err.msg);
    }
}

char *hooks_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
                       const struct oci_kv *ann, size_t n_ann)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ociVersion", json_object_new_string(VESSEL_OCI_VERSION));
    json_object_object_add(o, "id", json_object_new_string(id));
    json_object_object_add(o, "status", json_object_new_string(status));
    json_object_object_add(o, "pid", json_object_new_int(pid));
    json_object_object_add(o, "bundle", json_object_new_string(bundle));
    if (n_ann) {
        json_object *a = json_object_new_object();
        for (size_t i = 0; i < n_ann; i++)
            json_object_object_add(a, ann[i].key, json_object_new_string(ann[i].value));
        json_object_object_add(o, "annotations", a);
    }
    char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
    return text;
}
