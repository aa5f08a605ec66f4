/* config.json "linux.resources" (also the JSON of `update -r`). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "container/jsonu.h"
#include "container/oci_config.h"

static int opt_i64(json_object *o, const char *key, const char *w, int64_t min,
                   struct opt_i64 *out, struct ctr_err *err)
{
    int r = ju_i64(o, key, w, min, INT64_MAX, &out->v, err);
    if (r < 0)
        return -1;
    out->set = r > 0;
    return 0;
}

static int opt_u64(json_object *o, const char *key, const char *w, uint64_t max,
                   struct opt_u64 *out, struct ctr_err *err)
{
    int r = ju_u64(o, key, w, max, &out->v, err);
    if (r < 0)
        return -1;
    out->set = r > 0;
    return 0;
}

static int opt_bool(json_object *o, const char *key, const char *w, struct opt_bool *out,
                    struct ctr_err *err)
{
    int r = ju_bool(o, key, w, &out->v, err);
    if (r < 0)
        return -1;
    out->set = r > 0;
    return 0;
}

/* "0-3,7": only digits, commas and dashes, every range ascending. */
static int check_cpu_list(const char *s, const char *what, struct ctr_err *err)
{
    const char *p = s;
    if (!*p)
        return 0;
    for (;;) {
        if (!isdigit((unsigned char)*p))
            return ctr_fail(err, "%s: invalid list \"%s\"", what, s);
        char *end;
        unsigned long a = strtoul(p, &end, 10), b = a;
        p = end;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char)*p))
                return ctr_fail(err, "%s: invalid list \"%s\"", what, s);
            b = strtoul(p, &end, 10);
            p = end;
        }
        if (b < a || b > 65535)
            return ctr_fail(err, "%s: invalid range in \"%s\"", what, s);
        if (!*p)
            return 0;
        if (*p != ',')
            return ctr_fail(err, "%s: invalid list \"%s\"", what, s);
        p++;
    }
}

static int parse_devrules(json_object *obj, const char *where, struct oci_resources *r,
                          struct ctr_err *err)
{
    json_object *arr;
    size_t n;
    int rc = ju_arr(obj, "devices", where, 4096, &arr, &n, err);
    if (rc <= 0 || n == 0)
        return rc < 0 ? -1 : 0;
    r->devices = calloc(n, sizeof *r->devices);
    if (!r->devices)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        struct oci_devrule *d = &r->devices[i];
        char w[128];
        snprintf(w, sizeof w, "%s.devices[%zu]", where, i);
        if (json_object_get_type(e) != json_type_object)
            return ctr_fail(err, "%s: expected an object", w);
        if ((rc = ju_bool(e, "allow", w, &d->allow, err)) < 0)
            return -1;
        if (rc == 0)
            return ctr_fail(err, "%s.allow is required", w);
        char *s = NULL;
        if (ju_str(e, "type", w, &s, err) < 0)
            return -1;
        d->type = 'a';
        if (s) {
            if (strlen(s) != 1 || !strchr("acb", s[0])) {
                ctr_fail(err, "%s.type must be a, c or b", w);
                free(s);
                return -1;
            }
            d->type = s[0];
            free(s);
            s = NULL;
        }
        d->major = d->minor = -1;
        if (ju_i64(e, "major", w, -1, 0xfff, &d->major, err) < 0 ||
            ju_i64(e, "minor", w, -1, 0xfffff, &d->minor, err) < 0)
            return -1;
        if (ju_str(e, "access", w, &s, err) < 0)
            return -1;
        strcpy(d->access, "rwm");
        if (s && *s) {
            bool seen[3] = { false };
            for (const char *c = s; *c; c++) {
                const char *k = strchr("rwm", *c);
                if (!k || seen[k - "rwm"]) {
                    ctr_fail(err, "%s.access \"%s\": use a combination of r, w and m", w, s);
                    free(s);
                    return -1;
                }
                seen[k - "rwm"] = true;
            }
            snprintf(d->access, sizeof d->access, "%s%s%s", seen[0] ? "r" : "",
                     seen[1] ? "w" : "", seen[2] ? "m" : "");
        }
        free(s);
        r->n_devices = i + 1;
    }
    return 0;
}

static int parse_memory(json_object *obj, const char *where, struct oci_resources *r,
                        struct ctr_err *err)
{
    json_object *m;
    int rc = ju_obj(obj, "memory", where, &m, err);
    if (rc <= 0)
        return rc;
    char w[128];
    snprintf(w, sizeof w, "%s.memory", where);
    if (opt_i64(m, "limit", w, -1, &r->memory.limit, err) < 0 ||
        opt_i64(m, "reservation", w, -1, &r->memory.reservation, err) < 0 ||
        opt_i64(m, "swap", w, -1, &r->memory.swap, err) < 0 ||
        opt_i64(m, "kernel", w, -1, &r->memory.kernel, err) < 0 ||
        opt_i64(m, "kernelTCP", w, -1, &r->memory.kernel_tcp, err) < 0 ||
        opt_u64(m, "swappiness", w, 100, &r->memory.swappiness, err) < 0 ||
        opt_bool(m, "disableOOMKiller", w, &r->memory.disable_oom_killer, err) < 0 ||
        opt_bool(m, "useHierarchy", w, &r->memory.use_hierarchy, err) < 0 ||
        opt_bool(m, "checkBeforeUpdate", w, &r->memory.check_before_update, err) < 0)
        return -1;
    if (r->memory.limit.set && r->memory.swap.set && r->memory.limit.v > 0 &&
        r->memory.swap.v > 0 && r->memory.swap.v < r->memory.limit.v)
        return ctr_fail(err, "%s: swap limit (memory+swap, %lld) must not be smaller than "
                        "the memory limit (%lld)", w, (long long)r->memory.swap.v,
                        (long long)r->memory.limit.v);
    return 0;
}

static int parse_cpu(json_object *obj, const char *where, struct oci_resources *r,
                     struct ctr_err *err)
{
    json_object *c;
    int rc = ju_obj(obj, "cpu", where, &c, err);
    if (rc <= 0)
        return rc;
    char w[128];
    snprintf(w, sizeof w, "%s.cpu", where);
    if (opt_u64(c, "shares", w, UINT64_MAX, &r->cpu.shares, err) < 0 ||
        opt_i64(c, "quota", w, -1, &r->cpu.quota, err) < 0 ||
        opt_u64(c, "burst", w, UINT64_MAX, &r->cpu.burst, err) < 0 ||
        opt_u64(c, "period", w, UINT64_MAX, &r->cpu.period, err) < 0 ||
        opt_i64(c, "realtimeRuntime", w, -1, &r->cpu.rt_runtime, err) < 0 ||
        opt_u64(c, "realtimePeriod", w, UINT64_MAX, &r->cpu.rt_period, err) < 0 ||
        opt_i64(c, "idle", w, -1, &r->cpu.idle, err) < 0 ||
        ju_str(c, "cpus", w, &r->cpu.cpus, err) < 0 ||
        ju_str(c, "mems", w, &r->cpu.mems, err) < 0)
        return -1;
    char what[256];
    snprintf(what, sizeof what, "%s.cpus", w);
    if (r->cpu.cpus && check_cpu_list(r->cpu.cpus, what, err) < 0)
        return -1;
    snprintf(what, sizeof what, "%s.mems", w);
    if (r->cpu.mems && check_cpu_list(r->cpu.mems, what, err) < 0)
        return -1;
    if (r->cpu.period.set && r->cpu.period.v != 0 &&
        (r->cpu.period.v < 1000 || r->cpu.period.v > 1000000))
        return ctr_fail(err, "%s.period %llu out of range [1000, 1000000]", w,
                        (unsigned long long)r->cpu.period.v);
    if (r->cpu.quota.set && r->cpu.quota.v > 0 && r->cpu.quota.v < 1000)
        return ctr_fail(err, "%s.quota %lld is below the kernel minimum of 1000", w,
                        (long long)r->cpu.quota.v);
    if (r->cpu.burst.set && r->cpu.quota.set && r->cpu.quota.v > 0 &&
        r->cpu.burst.v > (uint64_t)r->cpu.quota.v)
        return ctr_fail(err, "%s.burst must not be larger than quota", w);
    if (r->cpu.idle.set && r->cpu.idle.v != 0 && r->cpu.idle.v != 1)
        return ctr_fail(err, "%s.idle must be 0 or 1", w);
    return 0;
}

static int parse_throttle(json_object *b, const char *key, const char *w,
                          struct oci_throttle **out, size_t *count, struct ctr_err *err)
{
    json_object *arr;
    size_t n;
    int rc = ju_arr(b, key, w, 1024, &arr, &n, err);
    if (rc <= 0 || n == 0)
        return rc < 0 ? -1 : 0;
    *out = calloc(n, sizeof **out);
    if (!*out)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        char ww[256];
        snprintf(ww, sizeof ww, "%s.%s[%zu]", w, key, i);
        if (json_object_get_type(e) != json_type_object)
            return ctr_fail(err, "%s: expected an object", ww);
        struct oci_throttle *t = &(*out)[i];
        int a = ju_i64(e, "major", ww, 0, 0xfff, &t->major, err);
        int bb = a < 0 ? -1 : ju_i64(e, "minor", ww, 0, 0xfffff, &t->minor, err);
        int c = bb < 0 ? -1 : ju_u64(e, "rate", ww, UINT64_MAX, &t->rate, err);
        if (a < 0 || bb < 0 || c < 0)
            return -1;
        if (!a || !bb || !c)
            return ctr_fail(err, "%s: major, minor and rate are required", ww);
        *count = i + 1;
    }
    return 0;
}

static int parse_blkio(json_object *obj, const char *where, struct oci_resources *r,
                       struct ctr_err *err)
{
    json_object *b;
    int rc = ju_obj(obj, "blockIO", where, &b, err);
    if (rc <= 0)
        return rc;
    char w[128];
    snprintf(w, sizeof w, "%s.blockIO", where);
    if (opt_u64(b, "weight", w, 10000, &r->blkio.weight, err) < 0 ||
        opt_u64(b, "leafWeight", w, 10000, &r->blkio.leaf_weight, err) < 0)
        return -1;
    json_object *arr;
    size_t n;
    rc = ju_arr(b, "weightDevice", w, 1024, &arr, &n, err);
    if (rc < 0)
        return -1;
    if (rc > 0 && n > 0) {
        r->blkio.weight_device = calloc(n, sizeof *r->blkio.weight_device);
        if (!r->blkio.weight_device)
            return ctr_fail(err, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(arr, i);
            struct oci_weight_dev *d = &r->blkio.weight_device[i];
            char ww[256];
            snprintf(ww, sizeof ww, "%s.weightDevice[%zu]", w, i);
            if (json_object_get_type(e) != json_type_object)
                return ctr_fail(err, "%s: expected an object", ww);
            int a = ju_i64(e, "major", ww, 0, 0xfff, &d->major, err);
            int c = a < 0 ? -1 : ju_i64(e, "minor", ww, 0, 0xfffff, &d->minor, err);
            if (a < 0 || c < 0 || opt_u64(e, "weight", ww, 10000, &d->weight, err) < 0 ||
                opt_u64(e, "leafWeight", ww, 10000, &d->leaf_weight, err) < 0)
                return -1;
            if (!a || !c)
                return ctr_fail(err, "%s: major and minor are required", ww);
            if (!d->weight.set && !d->leaf_weight.set)
                return ctr_fail(err, "%s: weight or leafWeight is required", ww);
            r->blkio.n_weight_device = i + 1;
        }
    }
    static const char *const keys[4] = {
        "throttleReadBpsDevice", "throttleWriteBpsDevice",
        "throttleReadIOPSDevice", "throttleWriteIOPSDevice",
    };
    for (int k = 0; k < 4; k++)
        if (parse_throttle(b, keys[k], w, &r->blkio.throttle[k], &r->blkio.n_throttle[k], err) < 0)
            return -1;
    return 0;
}

/* "2MB", "1GB", "64KB". */
static int check_page_size(const char *s)
{
    const char *p = s;
    if (!isdigit((unsigned char)*p))
        return -1;
    while (isdigit((unsigned char)*p))
        p++;
    if (strcmp(p, "KB") && strcmp(p, "MB") && strcmp(p, "GB") && strcmp(p, "TB") && strcmp(p, "PB"))
        return -1;
    return 0;
}

static int parse_hugepages(json_object *obj, const char *where, struct oci_resources *r,
                           struct ctr_err *err)
{
    json_object *arr;
    size_t n;
    int rc = ju_arr(obj, "hugepageLimits", where, 64, &arr, &n, err);
    if (rc <= 0 || n == 0)
        return rc < 0 ? -1 : 0;
    r->hugepages = calloc(n, sizeof *r->hugepages);
    if (!r->hugepages)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        struct oci_hugepage *h = &r->hugepages[i];
        r->n_hugepages = i + 1;
        char w[128];
        snprintf(w, sizeof w, "%s.hugepageLimits[%zu]", where, i);
        if (json_object_get_type(e) != json_type_object)
            return ctr_fail(err, "%s: expected an object", w);
        if (ju_str(e, "pageSize", w, &h->page_size, err) < 0)
            return -1;
        if (!h->page_size || check_page_size(h->page_size) < 0)
            return ctr_fail(err, "%s.pageSize must look like 2MB or 1GB", w);
        if ((rc = ju_u64(e, "limit", w, UINT64_MAX, &h->limit, err)) < 0)
            return -1;
        if (rc == 0)
            return ctr_fail(err, "%s.limit is required", w);
    }
    return 0;
}

static int parse_network(json_object *obj, const char *where, struct oci_resources *r,
                         struct ctr_err *err)
{
    json_object *net;
    int rc = ju_obj(obj, "network", where, &net, err);
    if (rc <= 0)
        return rc;
    char w[128];
    snprintf(w, sizeof w, "%s.network", where);
    if (opt_u64(net, "classID", w, UINT32_MAX, &r->net_class_id, err) < 0)
        return -1;
    json_object *arr;
    size_t n;
    rc = ju_arr(net, "priorities", w, 1024, &arr, &n, err);
    if (rc <= 0 || n == 0)
        return rc < 0 ? -1 : 0;
    r->net_prio = calloc(n, sizeof *r->net_prio);
    if (!r->net_prio)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        struct oci_netprio *p = &r->net_prio[i];
        r->n_net_prio = i + 1;
        char ww[256];
        snprintf(ww, sizeof ww, "%s.priorities[%zu]", w, i);
        if (json_object_get_type(e) != json_type_object)
            return ctr_fail(err, "%s: expected an object", ww);
        uint64_t prio = 0;
        if (ju_str(e, "name", ww, &p->name, err) < 0 ||
            ju_u64(e, "priority", ww, UINT32_MAX, &prio, err) < 0)
            return -1;
        if (!p->name || !*p->name || strchr(p->name, ' ') || strchr(p->name, '\n'))
            return ctr_fail(err, "%s.name must be an interface name", ww);
        p->priority = (uint32_t)prio;
    }
    return 0;
}

static int parse_unified(json_object *obj, const char *where, struct oci_resources *r,
                         struct ctr_err *err)
{
    json_object *m;
    int rc = ju_obj(obj, "unified", where, &m, err);
    if (rc <= 0)
        return rc;
    size_t n = (size_t)json_object_object_length(m);
    if (n > 1024)
        return ctr_fail(err, "%s.unified: too many entries", where);
    r->unified = calloc(n ? n : 1, sizeof *r->unified);
    if (!r->unified)
        return ctr_fail(err, "out of memory");
    json_object_object_foreach(m, k, v) {
        char w[300];
        snprintf(w, sizeof w, "%s.unified.%s", where, k);
        /* Keys name files in the container's cgroup directory, nothing else. */
        if (!*k || strchr(k, '/') || k[0] == '.' || !strchr(k, '.'))
            return ctr_fail(err, "%s: not a cgroup interface file name", w);
        struct oci_kv *kv = &r->unified[r->n_unified];
        if (ju_as_str(v, w, &kv->value, err) < 0)
            return -1;
        kv->key = strdup(k);
        r->n_unified++;
        if (!kv->key)
            return ctr_fail(err, "out of memory");
    }
    return 0;
}

int config_parse_resources(json_object *obj, const char *where, struct oci_resources *r,
                           struct ctr_err *err)
{
    memset(r, 0, sizeof *r);
    json_object *o;
    if (parse_devrules(obj, where, r, err) < 0 || parse_memory(obj, where, r, err) < 0 ||
        parse_cpu(obj, where, r, err) < 0 || parse_blkio(obj, where, r, err) < 0 ||
        parse_hugepages(obj, where, r, err) < 0 || parse_network(obj, where, r, err) < 0 ||
        parse_unified(obj, where, r, err) < 0)
        goto fail;
    int rc = ju_obj(obj, "pids", where, &o, err);
    if (rc < 0)
        goto fail;
    if (rc > 0) {
        char w[128];
        snprintf(w, sizeof w, "%s.pids", where);
        if (opt_i64(o, "limit", w, -1, &r->pids_limit, err) < 0)
            goto fail;
    }
    rc = ju_obj(obj, "rdma", where, &o, err);
    if (rc < 0)
        goto fail;
    if (rc > 0 && json_object_object_length(o) > 0) {
        ctr_fail(err, "%s.rdma: the rdma cgroup controller is not supported", where);
        goto fail;
    }
    return 0;
fail:
    config_free_resources(r);
    return -1;
}

void config_free_resources(struct oci_resources *r)
{
    free(r->devices);
    free(r->cpu.cpus);
    free(r->cpu.mems);
    free(r->blkio.weight_device);
    for (int k = 0; k < 4; k++)
        free(r->blkio.throttle[k]);
    for (size_t i = 0; i < r->n_hugepages; i++)
        free(r->hugepages[i].page_size);
    free(r->hugepages);
    for (size_t i = 0; i < r->n_net_prio; i++)
        free(r->net_prio[i].name);
    free(r->net_prio);
    for (size_t i = 0; i < r->n_unified; i++) {
        free(r->unified[i].key);
        free(r->unified[i].value);
    }
    free(r->unified);
    memset(r, 0, sizeof *r);
}
