/* `ps`: the processes of a container, as `ps` shows them or as JSON pids. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "container/cmd_common.h"

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
    for (size_t i = 0; i < n; i++)
        if (pids[i] == pid)
            return true;
    return false;
}

/* Run ps(1) with args and print its header plus our processes' lines. */
static int filter_ps(char **args, int nargs, const pid_t *pids, size_t n, struct ctr_err *err)
{
    int p[2];
    if (pipe(p) < 0)
        return ctr_fail_errno(err, "pipe");
    pid_t child = fork();
    if (child < 0)
        return ctr_fail_errno(err, "fork");
    if (child == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        char *argv[nargs + 3];      /* "ps", the arguments (or -ef), NULL */
        argv[0] = "ps";
        for (int i = 0; i < nargs; i++)
            argv[i + 1] = args[i];
        if (nargs == 0)
            argv[++nargs] = "-ef";
        argv[nargs + 1] = NULL;
        execvp("ps", argv);
        _exit(127);
    }
    close(p[1]);
    FILE *f = fdopen(p[0], "r");
    char line[8192];
    int pid_col = -1, ret = 0;
    while (f && fgets(line, sizeof line, f)) {
        char copy[8192], *save, *t;
        snprintf(copy, sizeof copy, "%s", line);
        int col = 0;
        if (pid_col < 0) {
            for (t = strtok_r(copy, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save), col++)
                if (!strcmp(t, "PID"))
                    pid_col = col;
            if (pid_col < 0) {
                ret = ctr_fail(err, "couldn't find PID field in ps output");
                break;
            }
            fputs(line, stdout);
            continue;
        }
        for (t = strtok_r(copy, " \t\n", &save); t && col < pid_col; t = strtok_r(NULL, " \t\n", &save))
            col++;
        if (t && has_pid(pids, n, strtol(t, NULL, 10)))
            fputs(line, stdout);
    }
    if (f)
        fclose(f);
    int st;
    waitpid(child, &st, 0);
    if (ret == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
        ret = ctr_fail(err, "ps exited with status %d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    return ret;
}

int ctr_cmd_ps(struct ctr_cli *cli, int argc, char **argv)
{
    const char *format = "table";
    struct ctr_opt opts[] = { { "format", 'f', OPT_STR, &format }, { 0 } };
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0)
        return cli_fail(cli, &err);
    if (idx >= argc)
        return cli_failf(cli, "ps [command options] <container-id> [ps options]: \"ps\" requires "
                         "a minimum of 1 argument(s)");
    const char *id = argv[idx++];
    if (!state_id_valid(id))
        return cli_failf(cli, "invalid container id format: %s", id);
    bool json = !strcmp(format, "json");
    if (!json && strcmp(format, "table"))
        return cli_failf(cli, "invalid format option");
    int dirfd;
    struct ctr_state st;
    if (ctr_open(cli, id, &dirfd, &st, &err) < 0)
        return cli_fail(cli, &err);
    int ret = 0;
    pid_t *pids = NULL;
    size_t n = 0;
    if (state_status(dirfd, &st) == ST_STOPPED) {
        ret = cli_failf(cli, "container is not running");
    } else if (st.cgroup.n ? cg_pids(&st.cgroup, &pids, &n, &err) < 0 : 0) {
        ret = cli_fail(cli, &err);
    } else {
        if (!st.cgroup.n) {             /* no cgroup (rootless): just the init */
            pids = malloc(sizeof *pids);
            if (pids) {
                pids[0] = st.pid;
                n = 1;
            }
        }
        if (json) {
            printf("[");
            for (size_t i = 0; i < n; i++)
                printf("%s%d", i ? "," : "", (int)pids[i]);
            printf("]\n");
        } else {
            fflush(stdout);
            if (filter_ps(argv + idx, argc - idx, pids, n, &err) < 0)
                ret = cli_fail(cli, &err);
        }
    }
    free(pids);
    state_free(&st);
    close(dirfd);
    return ret;
}
