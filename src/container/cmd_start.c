/* `start`: run the user's program in a created container. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include "container/cmd_common.h"
#include "container/hooks.h"
#include "container/spawn.h"
#include "container/sync.h"

static const char usage[] = "start <container-id>";

/* Poststart hooks; a failure stops the container (runtime.md step 9). */
int ctr_poststart(struct ctr_cli *cli, int dirfd, struct ctr_state *st, struct ctr_err *err)
{
    if (!st->has_poststart)
        return 0;
    struct oci_hooks hooks[HOOK_COUNT];
    memset(hooks, 0, sizeof hooks);
    if (ctr_load_hooks(dirfd, hooks, err) < 0)
        return -1;
    char *json = hooks_state_json(st->id, "running", st->pid, st->bundle, st->annotations,
                                  st->n_annotations);
    int r = json ? hooks_run(&hooks[HOOK_POSTSTART], "poststart", json, err)
                 : ctr_fail(err, "out of memory");
    free(json);
    config_free_hooks(hooks);
    if (r < 0) {
        /* Stop the container and destroy it (runtime.md steps 9, 12, 13). */
        struct ctr_err e2;
        ctr_destroy(cli, dirfd, st, &e2);
    }
    return r;
}

int ctr_cmd_start(struct ctr_cli *cli, int argc, char **argv)
{
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, NULL, &err) < 0)
        return cli_fail(cli, &err);
    const char *id;
    if (cli_one_id(cli, argc, argv, idx, usage, &id))
        return 1;
    int dirfd;
    struct ctr_state st;
    if (ctr_open(cli, id, &dirfd, &st, &err) < 0)
        return cli_fail(cli, &err);
    int ret = 1;
    /* One start at a time: a second one must see "running", not race. */
    flock(dirfd, LOCK_EX);
    enum ctr_status s = state_status(dirfd, &st);
    if (s != ST_CREATED) {
        if (s == ST_STOPPED)
            cli_failf(cli, "cannot start a container that has stopped");
        else if (s == ST_CREATING)
            cli_failf(cli, "cannot start a container that is still being created");
        else
            cli_failf(cli, "cannot start an already running container");
        goto out;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d/exec.sock", dirfd);
    int c = unix_connect(path, &err);
    if (c < 0) {
        ctr_wrap(&err, "cannot start container %s", id);
        cli_fail(cli, &err);
        goto out;
    }
    if (write(c, "G", 1) != 1) {
        close(c);
        cli_failf(cli, "cannot start container %s: %s", id, strerror(errno));
        goto out;
    }
    /* EOF means the program was exec'd; anything else is its error. */
    struct sync_msg m;
    size_t got = 0;
    while (got < sizeof m) {
        ssize_t r = read(c, (char *)&m + got, sizeof m - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(c);
    unlinkat(dirfd, "exec.sock", 0);
    if (got > offsetof(struct sync_msg, text)) {
        m.text[sizeof m.text - 1] = '\0';
        cli_failf(cli, "%s", m.text);
        if (m.value == 1) {         /* a startContainer hook failed: steps 7, 12, 13 */
            struct ctr_err e2;
            ctr_destroy(cli, dirfd, &st, &e2);
        }
        goto out;
    }
    if (ctr_poststart(cli, dirfd, &st, &err) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    ret = 0;
out:
    state_free(&st);
    close(dirfd);
    return ret;
}
