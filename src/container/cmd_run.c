/* `run`: create and start a container, then (unless --detach) wait for
 * it, forwarding signals, and delete it when it exits. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>
#include "container/cmd_common.h"
#include "container/spawn.h"
#include "container/sync.h"
#include "container/terminal.h"

static const char usage[] = "run [command options] <container-id>";

int ctr_cmd_run(struct ctr_cli *cli, int argc, char **argv)
{
    struct spawn_opts o = { 0 };
    bool detach = false, keep = false, no_subreaper = false;
    struct ctr_opt opts[] = {
        { "bundle", 'b', OPT_STR, &o.bundle },
        { "console-socket", 0, OPT_STR, &o.console_socket },
        { "detach", 'd', OPT_BOOL, &detach },
        { "keep", 0, OPT_BOOL, &keep },
        { "pid-file", 0, OPT_STR, &o.pid_file },
        { "no-subreaper", 0, OPT_BOOL, &no_subreaper },
        { "no-pivot", 0, OPT_BOOL, &o.no_pivot },
        { "no-new-keyring", 0, OPT_BOOL, &o.no_new_keyring },
        { "preserve-fds", 0, OPT_INT, &o.preserve_fds },
        { "pidfd-socket", 0, OPT_STR, &o.pidfd_socket },
        { 0 },
    };
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0)
        return cli_fail(cli, &err);
    if (cli_one_id(cli, argc, argv, idx, usage, &o.id))
        return 1;
    if (o.preserve_fds < 0 || o.preserve_fds > 65536)
        return cli_failf(cli, "invalid --preserve-fds value %ld", o.preserve_fds);
    o.detach = detach;

    sigset_t oldmask;
    int sigfd = -1;
    if (!detach) {
        sigfd = forward_signals_begin(&oldmask);
        if (sigfd < 0)
            return cli_failf(cli, "signalfd: %s", strerror(errno));
        /* Helpers may leave the init as our grandchild: adopt it. */
        if (!no_subreaper)
            prctl(PR_SET_CHILD_SUBREAPER, 1);
    }
    struct spawned sp;
    if (spawn_container(cli, &o, &sp, &err) < 0) {
        if (sigfd >= 0)
            close(sigfd);
        return cli_fail(cli, &err);
    }
    int ret = 1;
    struct sync_msg m;
    if (sync_send(sp.sync_fd, SYNC_START, 0, NULL) < 0) {
        ctr_fail_errno(&err, "start container");
        goto destroy;
    }
    int r = sync_recv(sp.sync_fd, &m);
    close(sp.sync_fd);
    sp.sync_fd = -1;
    if (r > 0 && m.type == SYNC_ERROR) {
        ctr_fail(&err, "%s", m.text);
        goto destroy;
    }
    if (ctr_poststart(cli, sp.state_dirfd, &sp.st, &err) < 0) {
        /* ctr_poststart destroyed the container already */
        spawned_free(&sp);
        if (sigfd >= 0)
            close(sigfd);
        return cli_fail(cli, &err);
    }
    if (detach) {
        spawned_free(&sp);
        return 0;
    }
    int status;
    if (sp.pty_master >= 0)
        term_proxy_wait(sp.pty_master, sigfd, sp.st.pid, &status);
    else
        status = forward_signals_wait(sigfd, sp.st.pid);
    ret = exit_code(status);
    if (keep) {
        spawned_free(&sp);
        close(sigfd);
        return ret;
    }
    if (ctr_destroy(cli, sp.state_dirfd, &sp.st, &err) < 0)
        ctr_warn(&cli->log, "%s", err.msg);
    spawned_free(&sp);
    close(sigfd);
    return ret;

destroy:;
    struct ctr_err e2;
    ctr_destroy(cli, sp.state_dirfd, &sp.st, &e2);
    spawned_free(&sp);
    if (sigfd >= 0)
        close(sigfd);
    return cli_fail(cli, &err);
}
