/* `kill`, `delete`, `pause` and `resume`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "container/cmd_common.h"
#include "container/names.h"
#include "container/spawn.h"

int ctr_cmd_kill(struct ctr_cli *cli, int argc, char **argv)
{
    bool all = false;
    struct ctr_opt opts[] = { { "all", 'a', OPT_BOOL, &all }, { 0 } };
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0)
        return cli_fail(cli, &err);
    if (idx >= argc || argc - idx > 2)
        return cli_failf(cli, "kill [command options] <container-id> [signal]: \"kill\" requires "
                         "a minimum of 1 and a maximum of 2 argument(s)");
    const char *id = argv[idx];
    if (!state_id_valid(id))
        return cli_failf(cli, "invalid container id format: %s", id);
    int sig = SIGTERM;
    if (argc - idx == 2 && (sig = names_signal(argv[idx + 1])) < 0)
        return cli_failf(cli, "unknown signal \"%s\"", argv[idx + 1]);
    int dirfd;
    struct ctr_state st;
    if (ctr_open(cli, id, &dirfd, &st, &err) < 0)
        return cli_fail(cli, &err);
    int ret = 0;
    enum ctr_status s = state_status(dirfd, &st);
    if (s == ST_STOPPED) {
        ret = cli_failf(cli, "container not running");
    } else if (all && st.cgroup.n) {
        if (cg_signal_all(&st.cgroup, sig, &err) < 0)
            ret = cli_fail(cli, &err);
        if (s == ST_PAUSED && (sig == SIGKILL || sig == SIGTERM))
            cg_freeze(&st.cgroup, false, &err);
    } else if (kill(st.pid, sig) < 0) {
        ret = cli_failf(cli, "kill container %s: %s", id, strerror(errno));
    } else if (s == ST_PAUSED && sig == SIGKILL && st.cgroup.n) {
        cg_freeze(&st.cgroup, false, &err);     /* frozen tasks die only once thawed */
    }
    state_free(&st);
    close(dirfd);
    return ret;
}

int ctr_cmd_delete(struct ctr_cli *cli, int argc, char **argv)
{
    bool force = false;
    struct ctr_opt opts[] = { { "force", 'f', OPT_BOOL, &force }, { 0 } };
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0)
        return cli_fail(cli, &err);
    const char *id;
    if (cli_one_id(cli, argc, argv, idx, "delete [command options] <container-id>", &id))
        return 1;
    int dirfd = state_dir_open(cli->root, id, &err);
    if (dirfd < 0)
        return force ? 0 : cli_fail(cli, &err);
    flock(dirfd, LOCK_EX);
    struct ctr_state st;
    if (state_load(dirfd, &st, &err) < 0) {
        /* Left by a create that died before writing any state. */
        close(dirfd);
        if (!force)
            return cli_fail(cli, &err);
        return state_dir_remove(cli->root, id, &err) < 0 ? cli_fail(cli, &err) : 0;
    }
    int ret = 0;
    enum ctr_status s = state_status(dirfd, &st);
    if (s != ST_STOPPED && !force)
        ret = cli_failf(cli, "cannot delete container %s that is not stopped: %s", id,
                        state_status_name(s));
    else if (ctr_destroy(cli, dirfd, &st, &err) < 0)
        ret = cli_fail(cli, &err);
    state_free(&st);
    close(dirfd);
    return ret;
}

static int freeze_cmd(struct ctr_cli *cli, int argc, char **argv, bool freeze)
{
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, NULL, &err) < 0)
        return cli_fail(cli, &err);
    const char *id;
    if (cli_one_id(cli, argc, argv, idx, freeze ? "pause <container-id>" : "resume <container-id>",
                   &id))
        return 1;
    int dirfd;
    struct ctr_state st;
    if (ctr_open(cli, id, &dirfd, &st, &err) < 0)
        return cli_fail(cli, &err);
    int ret = 0;
    enum ctr_status s = state_status(dirfd, &st);
    if (freeze && s != ST_RUNNING)
        ret = cli_failf(cli, "container not running");
    else if (!freeze && s != ST_PAUSED)
        ret = cli_failf(cli, "container not paused");
    else if (!st.cgroup.n)
        ret = cli_failf(cli, "container has no cgroup: cannot %s it", freeze ? "pause" : "resume");
    else if (cg_freeze(&st.cgroup, freeze, &err) < 0)
        ret = cli_fail(cli, &err);
    state_free(&st);
    close(dirfd);
    return ret;
}

int ctr_cmd_pause(struct ctr_cli *cli, int argc, char **argv)
{
    return freeze_cmd(cli, argc, argv, true);
}

int ctr_cmd_resume(struct ctr_cli *cli, int argc, char **argv)
{
    return freeze_cmd(cli, argc, argv, false);
}
