/* `update`: change a container's resource limits while it runs, from
 * flags or a linux.resources JSON (-r FILE, "-" for stdin).  The config
 * copy in the state directory is updated too. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include "container/cmd_common.h"
#include "container/jsonu.h"

/* "512m", "1G", "100000", "-1" -> bytes (binary units, as runc reads them). */
static int parse_size(const char *s, int64_t *out)
{
    if (!strcmp(s, "-1")) {
        *out = -1;
        return 0;
    }
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0)
        return -1;
    while (*end == ' ')
        end++;
    double mult = 1;
    switch (tolower((unsigned char)*end)) {
    case 'k': mult = 1024.0; end++; break;
    case 'm': mult = 1024.0 * 1024; end++; break;
    case 'g': mult = 1024.0 * 1024 * 1024; end++; break;
    case 't': mult = 1024.0 * 1024 * 1024 * 1024; end++; break;
    case 'p': mult = 1024.0 * 1024 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (tolower((unsigned char)*end) == 'i')
        end++;
    if (tolower((unsigned char)*end) == 'b')
        end++;
    if (*end || v * mult > 9.2e18)
        return -1;
    *out = (int64_t)(v * mult);
    return 0;
}

static json_object *sub(json_object *o, const char *key)
{
    json_object *v;
    if (json_object_object_get_ex(o, key, &v) && json_object_get_type(v) == json_type_object)
        return v;
    v = json_object_new_object();
    json_object_object_add(o, key, v);
    return v;
}

/* Shallow-merge src's sections into dst (values of src win). */
static void merge(json_object *dst, json_object *src)
{
    json_object_object_foreach(src, key, val) {
        json_object *cur;
        if (json_object_get_type(val) == json_type_object &&
            json_object_object_get_ex(dst, key, &cur) && json_object_get_type(cur) == json_type_object) {
            json_object_object_foreach(val, k2, v2)
                json_object_object_add(cur, k2, json_object_get(v2));
        } else {
            json_object_object_add(dst, key, json_object_get(val));
        }
    }
}

int ctr_cmd_update(struct ctr_cli *cli, int argc, char **argv)
{
    const char *resources = NULL, *memory = NULL, *reservation = NULL, *swap = NULL,
               *kmem = NULL, *kmem_tcp = NULL, *cpus = NULL, *mems = NULL, *l3 = NULL, *mbw = NULL;
    long shares = -2, quota = -2, period = -2, burst = -2, rt_period = -2, rt_runtime = -2,
         blkio = -2, pids = -2;
    struct ctr_opt opts[] = {
        { "resources", 'r', OPT_STR, &resources },
        { "memory", 'm', OPT_STR, &memory },
        { "memory-reservation", 0, OPT_STR, &reservation },
        { "memory-swap", 0, OPT_STR, &swap },
        { "kernel-memory", 0, OPT_STR, &kmem },
        { "kernel-memory-tcp", 0, OPT_STR, &kmem_tcp },
        { "cpu-share", 0, OPT_INT, &shares },
        { "cpu-quota", 0, OPT_INT, &quota },
        { "cpu-period", 0, OPT_INT, &period },
        { "cpu-burst", 0, OPT_INT, &burst },
        { "cpu-rt-period", 0, OPT_INT, &rt_period },
        { "cpu-rt-runtime", 0, OPT_INT, &rt_runtime },
        { "cpuset-cpus", 0, OPT_STR, &cpus },
        { "cpuset-mems", 0, OPT_STR, &mems },
        { "blkio-weight", 0, OPT_INT, &blkio },
        { "pids-limit", 0, OPT_INT, &pids },
        { "l3-cache-schema", 0, OPT_STR, &l3 },
        { "mem-bw-schema", 0, OPT_STR, &mbw },
        { 0 },
    };
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0)
        return cli_fail(cli, &err);
    const char *id;
    if (cli_one_id(cli, argc, argv, idx, "update [command options] <container-id>", &id))
        return 1;
    if (l3 || mbw)
        return cli_failf(cli, "Intel RDT is not supported by this runtime");

    json_object *res = NULL;
    if (resources) {
        res = ju_parse_file(!strcmp(resources, "-") ? "/dev/stdin" : resources, CONFIG_MAX_SIZE, &err);
        if (!res)
            return cli_fail(cli, &err);
        if (json_object_get_type(res) != json_type_object) {
            json_object_put(res);
            return cli_failf(cli, "%s: expected a JSON object of linux.resources", resources);
        }
    } else {
        res = json_object_new_object();
    }
    const struct { const char *val, *key; } sizes[] = {
        { memory, "limit" }, { reservation, "reservation" }, { swap, "swap" },
        { kmem, "kernel" }, { kmem_tcp, "kernelTCP" },
    };
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (!sizes[i].val)
            continue;
        int64_t v;
        if (parse_size(sizes[i].val, &v) < 0) {
            json_object_put(res);
            return cli_failf(cli, "invalid value for %s: %s", sizes[i].key, sizes[i].val);
        }
        json_object_object_add(sub(res, "memory"), sizes[i].key, json_object_new_int64(v));
    }
    const struct { long val; const char *sect, *key; } ints[] = {
        { shares, "cpu", "shares" }, { quota, "cpu", "quota" }, { period, "cpu", "period" },
        { burst, "cpu", "burst" }, { rt_period, "cpu", "realtimePeriod" },
        { rt_runtime, "cpu", "realtimeRuntime" }, { blkio, "blockIO", "weight" },
        { pids, "pids", "limit" },
    };
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (ints[i].val != -2)
            json_object_object_add(sub(res, ints[i].sect), ints[i].key, json_object_new_int64(ints[i].val));
    if (cpus)
        json_object_object_add(sub(res, "cpu"), "cpus", json_object_new_string(cpus));
    if (mems)
        json_object_object_add(sub(res, "cpu"), "mems", json_object_new_string(mems));

    int ret = 1, dirfd = -1;
    struct ctr_state st;
    struct oci_resources r;
    memset(&r, 0, sizeof r);
    memset(&st, 0, sizeof st);
    json_object *cfg = NULL;
    if (config_parse_resources(res, "resources", &r, &err) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    if (ctr_open(cli, id, &dirfd, &st, &err) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    flock(dirfd, LOCK_EX);
    if (state_status(dirfd, &st) == ST_STOPPED) {
        cli_failf(cli, "container not running");
        goto out;
    }
    if (!st.cgroup.n) {
        cli_failf(cli, "container has no cgroup to update");
        goto out;
    }
    if (cg_apply(&st.cgroup, &r, &cli->log, &err) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d/config.json", dirfd);
    if ((cfg = ju_parse_file(path, CONFIG_MAX_SIZE, &err))) {
        merge(sub(sub(cfg, "linux"), "resources"), res);
        const char *text = json_object_to_json_string_ext(cfg, JSON_C_TO_STRING_NOSLASHESCAPE);
        if (state_write_file(dirfd, "config.json", text, strlen(text), &err) < 0)
            ctr_warn(&cli->log, "%s", err.msg);
    }
    ret = 0;
out:
    if (cfg)
        json_object_put(cfg);
    json_object_put(res);
    config_free_resources(&r);
    state_free(&st);
    if (dirfd >= 0)
        close(dirfd);
    return ret;
}
