/* `vessel container` / `vessel-runc`: the OCI runtime's command line, the
 * same as runc's (global options, then a command and its options). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cli/cli.h"
#include "container/ctr_cli.h"
#include "container/oci_config.h"
#include "container/state.h"

static const char usage_text[] =
"Usage: %s [global options] command [command options] [arguments...]\n"
"\n"
"An OCI container runtime with runc's command line (runtime-spec " VESSEL_OCI_VERSION ").\n"
"\n"
"Commands:\n"
"  create     create a container from a bundle (waits for start)\n"
"  start      run the user process of a created container\n"
"  run        create and start a container (and wait, unless --detach)\n"
"  state      print the state of a container as JSON\n"
"  kill       send a signal to a container's init (or --all processes)\n"
"  delete     delete a stopped container (--force: any container)\n"
"  list       list containers (--format table|json, --quiet)\n"
"  exec       run a new process inside a running container\n"
"  pause      freeze all processes of a container\n"
"  resume     thaw a paused container\n"
"  ps         list the processes of a container (--format table|json)\n"
"  update     change the resource limits of a running container\n"
"  spec       write a default config.json (--rootless, --bundle)\n"
"  features   print the features this runtime implements as JSON\n"
"\n"
"Global options:\n"
"  --root DIR           state directory (default /run/vessel-runc)\n"
"  --log FILE           write log messages to FILE\n"
"  --log-format FMT     text (default) or json\n"
"  --systemd-cgroup     cgroupsPath is systemd style \"slice:prefix:name\"\n"
"  --debug              log debug messages\n"
"  --version, -v        print the version\n"
"  --help, -h           show this help\n";

static const struct {
    const char *name;
    int (*fn)(struct ctr_cli *, int, char **);
    const char *usage;
} commands[] = {
    { "create", ctr_cmd_create, "create [-b BUNDLE] [--console-socket SOCK] [--pid-file FILE] "
      "[--pidfd-socket SOCK] [--no-pivot] [--no-new-keyring] [--preserve-fds N] ID" },
    { "start", ctr_cmd_start, "start ID" },
    { "run", ctr_cmd_run, "run [-d] [--keep] [-b BUNDLE] [--console-socket SOCK] [--pid-file FILE] "
      "[--no-pivot] [--no-new-keyring] [--preserve-fds N] ID" },
    { "state", ctr_cmd_state, "state ID" },
    { "kill", ctr_cmd_kill, "kill [-a] ID [SIGNAL]" },
    { "delete", ctr_cmd_delete, "delete [-f] ID" },
    { "list", ctr_cmd_list, "list [-f table|json] [-q]" },
    { "ls", ctr_cmd_list, "ls [-f table|json] [-q]" },
    { "exec", ctr_cmd_exec, "exec [-p process.json | -e K=V --cwd DIR -u UID[:GID] -g GID -t "
      "--cap CAP --no-new-privs] [-d] [--pid-file FILE] [--console-socket SOCK] "
      "[--preserve-fds N] [--cgroup SUB] [--ignore-paused] ID [COMMAND ARGS...]" },
    { "pause", ctr_cmd_pause, "pause ID" },
    { "resume", ctr_cmd_resume, "resume ID" },
    { "ps", ctr_cmd_ps, "ps [-f table|json] ID [ps options]" },
    { "update", ctr_cmd_update, "update [--memory N] [--memory-swap N] [--memory-reservation N] "
      "[--cpu-share N] [--cpu-quota N] [--cpu-period N] [--cpu-burst N] [--cpuset-cpus L] "
      "[--cpuset-mems L] [--blkio-weight N] [--pids-limit N] [-r FILE|-] ID" },
    { "spec", ctr_cmd_spec, "spec [-b DIR] [--rootless]" },
    { "features", ctr_cmd_features, "features" },
    { "events", ctr_cmd_events, "events [--stats] [--interval 5s] ID" },
};

int cmd_container(int argc, char **argv)
{
    const char *prog = !strcmp(argv[0], "container") ? "vessel container" : "vessel-runc";
    struct ctr_cli cli;
    memset(&cli, 0, sizeof cli);
    ctr_log_init(&cli.log);
    cli.rootless = geteuid() != 0;
    state_default_root(cli.root, sizeof cli.root);
    /* A closed pipe must not kill the runtime halfway through a change. */
    signal(SIGPIPE, SIG_IGN);

    const char *root = NULL, *log = NULL, *log_format = "text", *criu = NULL,
               *rootless = NULL;
    bool debug = false, version = false, help = false;
    struct ctr_opt opts[] = {
        { "root", 0, OPT_STR, &root },
        { "log", 0, OPT_STR, &log },
        { "log-format", 0, OPT_STR, &log_format },
        { "systemd-cgroup", 0, OPT_BOOL, &cli.systemd_cgroup },
        { "debug", 0, OPT_BOOL, &debug },
        { "criu", 0, OPT_STR, &criu },
        { "rootless", 0, OPT_STR, &rootless },
        { "version", 'v', OPT_BOOL, &version },
        { "help", 'h', OPT_BOOL, &help },
        { 0 },
    };
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0) {
        fprintf(stderr, "%s: %s\n", prog, err.msg);
        return 1;
    }
    cli.log.debug = debug;
    if (strcmp(log_format, "text") && strcmp(log_format, "json")) {
        fprintf(stderr, "%s: invalid log-format: %s\n", prog, log_format);
        return 1;
    }
    cli.log.json = !strcmp(log_format, "json");
    if (log && *log && ctr_log_open(&cli.log, log) < 0) {
        fprintf(stderr, "%s: cannot open log file %s\n", prog, log);
        return 1;
    }
    if (root && *root)
        snprintf(cli.root, sizeof cli.root, "%s", root);
    if (version) {
        printf("%s version 0.1.0\nspec: %s\n", prog, VESSEL_OCI_VERSION);
        return 0;
    }
    if (help || idx >= argc || !strcmp(argv[idx], "help")) {
        printf(usage_text, prog);
        return help || idx < argc ? 0 : 1;
    }
    const char *cmd = argv[idx];
    int ret = -1;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0] && ret == -1; i++) {
        if (strcmp(commands[i].name, cmd))
            continue;
        if (idx + 1 < argc && (!strcmp(argv[idx + 1], "--help") || !strcmp(argv[idx + 1], "-h"))) {
            printf("Usage: %s %s\n", prog, commands[i].usage);
            ret = 0;
        } else {
            ret = commands[i].fn(&cli, argc - idx, argv + idx);
        }
    }
    if (ret == -1) {
        if (!strcmp(cmd, "checkpoint") || !strcmp(cmd, "restore"))
            ret = cli_failf(&cli, "%s is not supported by this runtime", cmd);
        else
            ret = cli_failf(&cli, "No help topic for '%s'", cmd);
    }
    ctr_log_close(&cli.log);
    return ret;
}
