/* Container init (see init.h).
 *
 * Order matters here and follows the spec's lifecycle: namespaces, sysctls,
 * hostname, mounts; then the runtime runs prestart/createRuntime hooks; we
 * run createContainer hooks; pivot_root; read-only and masked paths; the
 * terminal; READY.  After `start`: startContainer hooks, then the process's
 * own settings and execve. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/keyctl.h>
#include "container/hooks.h"
#include "container/init.h"
#include "container/namespaces.h"
#include "container/procsetup.h"
#include "container/rootfs.h"
#include "container/sync.h"
#include "container/terminal.h"
#include "container/util.h"

static int write_sysctls(const struct oci_linux *lx, struct ctr_err *err)
{
    for (size_t i = 0; i < lx->n_sysctl; i++) {
        char path[512];
        int n = snprintf(path, sizeof path, "/proc/sys/%s", lx->sysctl[i].key);
        for (char *c = path + 10; c < path + n; c++)
            if (*c == '.')
                *c = '/';
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return ctr_fail_errno(err, "sysctl %s", lx->sysctl[i].key);
        int r = write_all_fd(fd, lx->sysctl[i].value, strlen(lx->sysctl[i].value));
        close(fd);
        if (r < 0)
            return ctr_fail_errno(err, "sysctl %s=%s", lx->sysctl[i].key, lx->sysctl[i].value);
    }
    return 0;
}

static int set_names(const struct oci_config *cfg, struct ctr_err *err)
{
    if (cfg->hostname && *cfg->hostname && sethostname(cfg->hostname, strlen(cfg->hostname)) < 0)
        return ctr_fail_errno(err, "sethostname");
    if (cfg->domainname && *cfg->domainname &&
        setdomainname(cfg->domainname, strlen(cfg->domainname)) < 0)
        return ctr_fail_errno(err, "setdomainname");
    return 0;
}

static int run_container_hooks(struct ctr_launch *l, int kind, const char *status,
                               struct ctr_err *err)
{
    const struct oci_hooks *h = &l->cfg->hooks[kind];
    if (!h->n)
        return 0;
    char *json = hooks_state_json(l->id, status, getpid(), l->bundle, l->cfg->annotations,
                                  l->cfg->n_annotations);
    if (!json)
        return ctr_fail(err, "out of memory");
    int r = hooks_run(h, config_hook_name(kind), json, err);
    free(json);
    if (r < 0)
        l->hook_failed = true;
    return r;
}

static int setup_terminal(struct ctr_launch *l, struct ctr_err *err)
{
    const struct oci_process *p = l->proc;
    int master, slave;
    char slave_path[64];
    if (term_open_pty(&master, &slave, slave_path, sizeof slave_path, p->uid, p->gid,
                      p->has_console_size ? p->console_height : 0,
                      p->has_console_size ? p->console_width : 0, err) < 0)
        return -1;
    if (dev_setup_console(slave_path, err) < 0)
        goto fail;
    if (l->console_fd >= 0) {
        if (send_fd(l->console_fd, master, slave_path, strlen(slave_path)) < 0) {
            ctr_fail_errno(err, "send the pty master to the console socket");
            goto fail;
        }
        close(l->console_fd);
        l->console_fd = -1;
    } else if (sync_send_fd(l->sync_fd, SYNC_PTY, 0, master) < 0) {
        ctr_fail_errno(err, "send the pty master to the runtime");
        goto fail;
    }
    close(master);
    return term_become_controlling(slave, err);
fail:
    close(master);
    close(slave);
    return -1;
}

static int join_cgroup(struct ctr_launch *l, struct ctr_err *err)
{
    if (l->cgroup_joined)
        return 0;
    struct sync_msg m;
    if (sync_expect(l->sync_fd, SYNC_CGROUP, &m, err) < 0)
        return -1;
    l->cgroup_joined = true;
    const struct oci_linux *lx = &l->cfg->lx;
    if (lx->ns[NS_CGROUP].enabled && !lx->ns[NS_CGROUP].path && unshare(CLONE_NEWCGROUP) < 0)
        return ctr_fail_errno(err, "create cgroup namespace");
    return 0;
}

/* Everything up to READY.  Returns -1 with err set. */
static int setup(struct ctr_launch *l, char *exe, size_t exe_size, struct ctr_err *err)
{
    const struct oci_config *cfg = l->cfg;
    const struct oci_linux *lx = &cfg->lx;
    struct sync_msg m;
    if (sync_expect(l->sync_fd, SYNC_GO, &m, err) < 0)
        return -1;
    if (l->in_userns) {
        /* Become root of the user namespace (if mapped) for the setup. */
        if (setresgid(0, 0, 0) < 0 && setresgid(l->proc->gid, l->proc->gid, l->proc->gid) < 0)
            return ctr_fail_errno(err, "setgid in the user namespace");
        if (setresuid(0, 0, 0) < 0 && setresuid(l->proc->uid, l->proc->uid, l->proc->uid) < 0)
            return ctr_fail_errno(err, "setuid in the user namespace");
    }
    /* Our pid as the runtime sees it (the host /proc is still mounted). */
    char self[32];
    ssize_t n = readlink("/proc/self", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        l->host_pid = (pid_t)atoi(self);
    }
    l->join_cgroup = join_cgroup;
    if (lx->ns[NS_TIME].enabled && !lx->ns[NS_TIME].path && ns_enter_new_timens(lx, err) < 0)
        return -1;
    if (write_sysctls(lx, err) < 0 || set_names(cfg, err) < 0)
        return -1;
    if (!l->no_new_keyring)
        syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, l->id);   /* best effort */
    /* A joined mount namespace gets the root set up in it too, as runc does. */
    bool own_mntns = lx->ns[NS_MNT].enabled;
    if (own_mntns && rootfs_prepare(l, err) < 0)
        return -1;
    if (join_cgroup(l, err) < 0)
        return -1;
    if (cfg->hooks[HOOK_PRESTART].n || cfg->hooks[HOOK_CREATE_RUNTIME].n) {
        if (sync_send(l->sync_fd, SYNC_HOOKS, 0, NULL) < 0)
            return ctr_fail_errno(err, "sync");
        if (sync_expect(l->sync_fd, SYNC_HOOKS_DONE, &m, err) < 0)
            return -1;
    }
    if (run_container_hooks(l, HOOK_CREATE_CONTAINER, "creating", err) < 0)
        return -1;
    if (own_mntns) {
        if (rootfs_enter(l, err) < 0 || rootfs_finish(l, err) < 0)
            return -1;
    } else if (!lx->ns[NS_MNT].enabled && rootfs_chroot_only(l, err) < 0) {
        return -1;
    }
    if (l->proc->terminal && setup_terminal(l, err) < 0)
        return -1;
    if (proc_find_executable(l->proc, exe, exe_size, err) < 0)
        return -1;
    if (lx->seccomp) {
        if (seccomp_build(lx->seccomp, &l->seccomp, err) < 0)
            return -1;
        l->has_seccomp = true;
    }
    return 0;
}

/* Block until `start` (create) or the runtime's go (run); returns the fd to
 * report an exec failure on, or -1 if start was abandoned. */
static int wait_for_start(struct ctr_launch *l)
{
    if (l->exec_listen_fd < 0) {
        struct sync_msg m;
        struct ctr_err err;
        if (sync_expect(l->sync_fd, SYNC_START, &m, &err) < 0)
            return -1;
        return l->sync_fd;
    }
    close(l->sync_fd);          /* `create` has returned */
    l->sync_fd = -1;
    for (;;) {
        int c = accept4(l->exec_listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        char go;
        ssize_t r = read(c, &go, 1);
        if (r == 1 && go == 'G') {
            close(l->exec_listen_fd);
            l->exec_listen_fd = -1;
            /* From now on the container counts as running. */
            if (l->state_dirfd >= 0)
                unlinkat(l->state_dirfd, "exec.sock", 0);
            return c;
        }
        close(c);               /* a stray connection: keep waiting */
        if (r == 0)
            continue;
    }
}

/* value 1 tells the runtime a create-phase hook failed (poststop then runs). */
static void report(const struct ctr_launch *l, int fd, const char *msg)
{
    if (fd >= 0)
        sync_send(fd, SYNC_ERROR, l->hook_failed, msg);
}

_Noreturn void init_main(struct ctr_launch *l)
{
    struct ctr_err err;
    char exe[4096];
    /* Die with the runtime during setup.  (A helper's child cannot: the
     * helper exits on purpose; it notices the runtime's end on sync_fd.) */
    if (!l->via_helper)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (setup(l, exe, sizeof exe, &err) < 0) {
        report(l, l->sync_fd, err.msg);
        _exit(1);
    }
    /* The runtime may exit after READY (create): survive it. */
    prctl(PR_SET_PDEATHSIG, 0);
    if (sync_send(l->sync_fd, SYNC_READY, 0, NULL) < 0)
        _exit(1);
    int rfd = wait_for_start(l);
    if (rfd < 0)
        _exit(1);
    if (run_container_hooks(l, HOOK_START_CONTAINER, "created", &err) == 0)
        proc_apply_and_exec(l, exe, l->extra_env, &err);
    report(l, rfd, err.msg);
    _exit(127);
}
