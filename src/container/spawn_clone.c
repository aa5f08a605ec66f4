/* Starting the container's init: one clone() with every new namespace,
 * or, to join namespaces by path, a helper that setns()es, unshares the
 * rest and forks the init (pid and time namespaces apply to children). */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "container/init.h"
#include "container/names.h"
#include "container/namespaces.h"
#include "container/spawn.h"
#include "container/sync.h"

static int clone_flags(const struct oci_linux *lx)
{
    int flags = 0;
    for (int i = 0; i < NS_COUNT; i++)
        if (lx->ns[i].enabled && !lx->ns[i].path && i != NS_CGROUP && i != NS_TIME)
            flags |= names_ns_clone_flag(i);
    return flags;
}

static bool any_join(const int fds[NS_COUNT])
{
    for (int i = 0; i < NS_COUNT; i++)
        if (fds[i] >= 0)
            return true;
    return false;
}

_Noreturn static void helper_main(struct ctr_launch *l, int flags)
{
    struct ctr_err err;
    struct sync_msg m;
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (ns_join(l->ns_fds, false, &err) < 0)
        goto fail;
    if (flags & CLONE_NEWUSER) {
        if (unshare(CLONE_NEWUSER) < 0) {
            ctr_fail_errno(&err, "create user namespace");
            goto fail;
        }
        if (sync_send(l->sync_fd, SYNC_USERNS, 0, NULL) < 0 ||
            sync_expect(l->sync_fd, SYNC_HOOKS_DONE, &m, &err) < 0)
            goto fail;
    }
    if (unshare(flags & ~CLONE_NEWUSER) < 0) {
        ctr_fail_errno(&err, "create namespaces");
        goto fail;
    }
    pid_t pid = fork();
    if (pid < 0) {
        ctr_fail_errno(&err, "fork");
        goto fail;
    }
    if (pid == 0) {
        l->via_helper = true;
        init_main(l);
    }
    sync_send(l->sync_fd, SYNC_PID, pid, NULL);
    _exit(0);
fail:
    sync_send(l->sync_fd, SYNC_ERROR, 0, err.msg);
    _exit(1);
}

/* Start the init; returns its pid (as we see it) or -1. */
pid_t spawn_start_init(struct ctr_launch *l, int parent_fd, const struct oci_config *cfg,
                        struct ctr_err *err)
{
    int flags = clone_flags(&cfg->lx);
    if (!any_join(l->ns_fds)) {
        pid_t pid = (pid_t)syscall(SYS_clone, (unsigned long)flags | SIGCHLD, 0, 0, 0, 0);
        if (pid < 0)
            return ctr_fail_errno(err, "clone the container process");
        if (pid == 0) {
            close(parent_fd);
            init_main(l);
        }
        if (l->userns_new && ns_write_idmaps(pid, &cfg->lx, l->rootless, err) < 0)
            return -pid - 1;        /* created, but failed: caller kills it */
        return pid;
    }
    pid_t helper = fork();
    if (helper < 0)
        return ctr_fail_errno(err, "fork");
    if (helper == 0) {
        close(parent_fd);
        helper_main(l, flags);
    }
    pid_t pid = -1;
    struct sync_msg m;
    for (;;) {
        int r = sync_recv(parent_fd, &m);
        if (r <= 0) {
            ctr_fail(err, "namespace helper exited unexpectedly");
            break;
        }
        if (m.type == SYNC_ERROR) {
            ctr_fail(err, "%s", m.text);
            break;
        }
        if (m.type == SYNC_USERNS) {
            if (ns_write_idmaps(helper, &cfg->lx, l->rootless, err) < 0)
                break;
            sync_send(parent_fd, SYNC_HOOKS_DONE, 0, NULL);
        } else if (m.type == SYNC_PID) {
            pid = m.value;
            break;
        }
    }
    while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
        ;
    return pid;
}

