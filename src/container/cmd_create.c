/* `create`: set up a container and leave it waiting for `start`. */
#include <stdio.h>
#include "container/ctr_cli.h"
#include "container/spawn.h"

static const char usage[] = "create [command options] <container-id>";

int ctr_cmd_create(struct ctr_cli *cli, int argc, char **argv)
{
    struct spawn_opts o = { .for_create = true, .detach = true };
    bool no_subreaper = false;
    struct ctr_opt opts[] = {
        { "bundle", 'b', OPT_STR, &o.bundle },
        { "console-socket", 0, OPT_STR, &o.console_socket },
        { "pid-file", 0, OPT_STR, &o.pid_file },
        { "no-pivot", 0, OPT_BOOL, &o.no_pivot },
        { "no-new-keyring", 0, OPT_BOOL, &o.no_new_keyring },
        { "preserve-fds", 0, OPT_INT, &o.preserve_fds },
        { "no-subreaper", 0, OPT_BOOL, &no_subreaper },
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
    struct spawned sp;
    if (spawn_container(cli, &o, &sp, &err) < 0)
        return cli_fail(cli, &err);
    spawned_free(&sp);
    return 0;
}
