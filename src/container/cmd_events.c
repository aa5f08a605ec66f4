/* `events`: container statistics from its cgroup as JSON (--stats once,
 * otherwise every --interval seconds until the container stops). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "container/cmd_common.h"

static uint64_t read_u64(const struct cg_set *set, const char *ctrl, const char *file)
{
    const struct cg_dir *d = cg_find(set, ctrl);
    if (!d && set->mode == CG_V2)
        d = &set->dir[0];
    char buf[64];
    if (!d || cg_read(d->path, file, buf, sizeof buf) <= 0)
        return 0;
    return strtoull(buf, NULL, 10);
}

static void print_stats(const struct ctr_state *st)
{
    const struct cg_set *s = &st->cgroup;
    bool v2 = s->mode == CG_V2;
    uint64_t mem = read_u64(s, "memory", v2 ? "memory.current" : "memory.usage_in_bytes");
    uint64_t limit = read_u64(s, "memory", v2 ? "memory.max" : "memory.limit_in_bytes");
    uint64_t pids = read_u64(s, "pids", "pids.current");
    uint64_t cpu = 0;
    if (v2) {
        char buf[512];
        if (s->n && cg_read(s->dir[0].path, "cpu.stat", buf, sizeof buf) > 0) {
            char *u = strstr(buf, "usage_usec ");
            if (u)
                cpu = strtoull(u + 11, NULL, 10) * 1000;
        }
    } else {
        cpu = read_u64(s, "cpuacct", "cpuacct.usage");
    }
    printf("{\"type\":\"stats\",\"id\":\"%s\",\"data\":{\"cpu\":{\"usage\":{\"total\":%" PRIu64 "}},"
           "\"memory\":{\"usage\":{\"usage\":%" PRIu64 ",\"limit\":%" PRIu64 "}},"
           "\"pids\":{\"current\":%" PRIu64 "}}}\n", st->id, cpu, mem, limit, pids);
    fflush(stdout);
}

int ctr_cmd_events(struct ctr_cli *cli, int argc, char **argv)
{
    bool stats = false;
    const char *interval = "5s";
    struct ctr_opt opts[] = {
        { "stats", 0, OPT_BOOL, &stats },
        { "interval", 0, OPT_STR, &interval },
        { 0 },
    };
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0)
        return cli_fail(cli, &err);
    const char *id;
    if (cli_one_id(cli, argc, argv, idx, "events [command options] <container-id>", &id))
        return 1;
    double secs = strtod(interval, NULL);
    if (secs <= 0)
        return cli_failf(cli, "invalid --interval %s", interval);
    int dirfd;
    struct ctr_state st;
    if (ctr_open(cli, id, &dirfd, &st, &err) < 0)
        return cli_fail(cli, &err);
    int ret = 0;
    if (state_status(dirfd, &st) == ST_STOPPED) {
        ret = cli_failf(cli, "container with id %s is not running", id);
    } else if (stats) {
        print_stats(&st);
    } else {
        while (state_status(dirfd, &st) != ST_STOPPED) {
            print_stats(&st);
            usleep((useconds_t)(secs * 1e6));
        }
    }
    state_free(&st);
    close(dirfd);
    return ret;
}
