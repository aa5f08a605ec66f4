/* cgroup v2 backend: one unified directory; controllers must be enabled in
 * every ancestor's cgroup.subtree_control before their files appear. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/cgroup.h"

/* Mount point of the unified hierarchy that holds `path`. */
static size_t mount_len(const char *path)
{
    static const char *const roots[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(roots[i]);
        if (!strncmp(path, roots[i], n) && (path[n] == '/' || !path[n]))
            return n;
    }
    /* Unknown mount point: treat the first component as the mount. */
    const char *s = strchr(path + 1, '/');
    return s ? (size_t)(s - path) : strlen(path);
}

/* Enable `ctrl` (or every available controller if NULL) from the hierarchy
 * root down to the parent of d->path.  Best effort: a level that refuses
 * (processes in an inner node) simply leaves the files missing below. */
static void enable_controllers(const char *path, const char *ctrl)
{
    char cur[CG_PATH_MAX];
    size_t root = mount_len(path);
    size_t len = strlen(path);
    for (size_t i = root; i < len; i++) {
        if (i != root && path[i] != '/')
            continue;
        memcpy(cur, path, i);
        cur[i] = '\0';
        if (i == root && i == 0)
            continue;
        char avail[512], want[600] = "";
        if (cg_read(cur, "cgroup.controllers", avail, sizeof avail) < 0)
            return;
        char *save;
        for (char *t = strtok_r(avail, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
            if (ctrl && strcmp(t, ctrl))
                continue;
            size_t w = strlen(want);
            snprintf(want + w, sizeof want - w, "%s+%s", w ? " " : "", t);
        }
        if (!*want)
            return;
        struct ctr_err ignored;
        cg_write(cur, "cgroup.subtree_control", want, &ignored);
        if (path[i] == '\0')
            break;
    }
}

int cg_v2_prepare(const struct cg_dir *d, struct ctr_err *err)
{
    (void)err;
    /* In the hybrid layout the unified tree is mostly empty; controllers
     * there are enabled only when something asks for them. */
    if (strncmp(d->path, "/sys/fs/cgroup/unified", 22))
        enable_controllers(d->path, NULL);
    return 0;
}

/* File of a controller, enabling the controller if its files are missing. */
static int ensure_file(const struct cg_dir *d, const char *file, struct ctr_err *err)
{
    if (cg_has_file(d->path, file))
        return 0;
    char ctrl[64];
    snprintf(ctrl, sizeof ctrl, "%s", file);
    char *dot = strchr(ctrl, '.');
    if (dot)
        *dot = '\0';
    enable_controllers(d->path, ctrl);
    if (cg_has_file(d->path, file))
        return 0;
    return ctr_fail(err, "cgroup v2: %s is not available (controller \"%s\" missing or "
                    "cannot be enabled)", file, ctrl);
}

static int put(const struct cg_dir *d, const char *file, const char *value, struct ctr_err *err)
{
    if (ensure_file(d, file, err) < 0)
        return -1;
    return cg_write(d->path, file, value, err);
}

static int put_i64_or_max(const struct cg_dir *d, const char *file, int64_t v, struct ctr_err *err)
{
    char buf[32];
    if (v < 0)
        snprintf(buf, sizeof buf, "max");
    else
        snprintf(buf, sizeof buf, "%" PRId64, v);
    return put(d, file, buf, err);
}

static int apply_memory(const struct cg_dir *d, const struct oci_resources *r,
                        const struct ctr_log *log, struct ctr_err *err)
{
    const typeof(r->memory) *m = &r->memory;
    if (m->limit.set && m->check_before_update.set && m->check_before_update.v && m->limit.v > 0) {
        char cur[64];
        if (cg_read(d->path, "memory.current", cur, sizeof cur) > 0 &&
            strtoll(cur, NULL, 10) > m->limit.v)
            return ctr_fail(err, "memory limit %" PRId64 " is below current usage %s", m->limit.v,
                            strtok(cur, "\n"));
    }
    if (m->limit.set && put_i64_or_max(d, "memory.max", m->limit.v, err) < 0)
        return -1;
    if (m->swap.set) {
        int64_t swap;
        if (m->swap.v == -1)
            swap = -1;
        else if (!m->limit.set || m->limit.v <= 0)
            return ctr_fail(err, "memory.swap needs a positive memory.limit on cgroup v2");
        else if (m->swap.v < m->limit.v)
            return ctr_fail(err, "memory.swap must not be smaller than memory.limit");
        else
            swap = m->swap.v - m->limit.v;     /* v2 limits swap alone */
        if (put_i64_or_max(d, "memory.swap.max", swap, err) < 0)
            return -1;
    }
    if (m->reservation.set && put_i64_or_max(d, "memory.low", m->reservation.v, err) < 0)
        return -1;
    if (log && (m->swappiness.set || (m->disable_oom_killer.set && m->disable_oom_killer.v) ||
                m->kernel.set || m->kernel_tcp.set))
        ctr_warn(log, "cgroup v2 has no swappiness, disableOOMKiller or kernel memory limits; "
                 "ignoring them");
    return 0;
}

static int apply_cpu(const struct cg_dir *d, const struct oci_resources *r, struct ctr_err *err)
{
    const typeof(r->cpu) *c = &r->cpu;
    char buf[64];
    if (c->shares.set && c->shares.v) {
        /* Map v1 shares [2, 262144] onto v2 weight [1, 10000]. */
        uint64_t s = c->shares.v < 2 ? 2 : c->shares.v > 262144 ? 262144 : c->shares.v;
        snprintf(buf, sizeof buf, "%" PRIu64, 1 + ((s - 2) * 9999) / 262142);
        if (put(d, "cpu.weight", buf, err) < 0)
            return -1;
    }
    if ((c->quota.set && c->quota.v) || (c->period.set && c->period.v)) {
        char q[24];
        if (c->quota.set && c->quota.v > 0)
            snprintf(q, sizeof q, "%" PRId64, c->quota.v);
        else
            snprintf(q, sizeof q, "max");
        uint64_t period = c->period.set && c->period.v ? c->period.v : 100000;
        snprintf(buf, sizeof buf, "%s %" PRIu64, q, period);
        if (put(d, "cpu.max", buf, err) < 0)
            return -1;
    }
    if (c->burst.set) {
        snprintf(buf, sizeof buf, "%" PRIu64, c->burst.v);
        if (put(d, "cpu.max.burst", buf, err) < 0)
            return -1;
    }
    if (c->idle.set) {
        snprintf(buf, sizeof buf, "%" PRId64, c->idle.v);
        if (put(d, "cpu.idle", buf, err) < 0)
            return -1;
    }
    if ((c->rt_runtime.set && c->rt_runtime.v) || (c->rt_period.set && c->rt_period.v))
        return ctr_fail(err, "realtime CPU limits are not supported on cgroup v2");
    if (c->cpus && *c->cpus && put(d, "cpuset.cpus", c->cpus, err) < 0)
        return -1;
    if (c->mems && *c->mems && put(d, "cpuset.mems", c->mems, err) < 0)
        return -1;
    return 0;
}

static uint64_t blkio_to_io_weight(uint64_t w)
{
    if (w < 10)
        w = 10;
    if (w > 1000)
        w = 1000;
    return 1 + (w - 10) * 9999 / 990;
}

static int apply_io(const struct cg_dir *d, const struct oci_resources *r, struct ctr_err *err)
{
    const typeof(r->blkio) *b = &r->blkio;
    char buf[128];
    bool bfq = cg_has_file(d->path, "io.bfq.weight");
    if (b->weight.set && b->weight.v) {
        if (bfq)
            snprintf(buf, sizeof buf, "%" PRIu64, b->weight.v);
        else
            snprintf(buf, sizeof buf, "default %" PRIu64, blkio_to_io_weight(b->weight.v));
        if (put(d, bfq ? "io.bfq.weight" : "io.weight", buf, err) < 0)
            return -1;
    }
    if (b->leaf_weight.set && b->leaf_weight.v)
        return ctr_fail(err, "blockIO.leafWeight is not supported on cgroup v2");
    for (size_t i = 0; i < b->n_weight_device; i++) {
        const struct oci_weight_dev *w = &b->weight_device[i];
        if (!w->weight.set)
            continue;
        snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                 bfq ? w->weight.v : blkio_to_io_weight(w->weight.v));
        if (put(d, bfq ? "io.bfq.weight" : "io.weight", buf, err) < 0)
            return -1;
    }
    static const char *const keys[4] = { "rbps", "wbps", "riops", "wiops" };
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < b->n_throttle[k]; i++) {
            const struct oci_throttle *t = &b->throttle[k][i];
            snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t->major, t->minor,
                     keys[k], t->rate);
            if (put(d, "io.max", buf, err) < 0)
                return -1;
        }
    return 0;
}

static int apply_hugetlb(const struct cg_dir *d, const struct oci_resources *r,
                         struct ctr_err *err)
{
    for (size_t i = 0; i < r->n_hugepages; i++) {
        char file[96], buf[32];
        snprintf(file, sizeof file, "hugetlb.%s.max", r->hugepages[i].page_size);
        snprintf(buf, sizeof buf, "%" PRIu64, r->hugepages[i].limit);
        if (put(d, file, buf, err) < 0)
            return -1;
        snprintf(file, sizeof file, "hugetlb.%s.rsvd.max", r->hugepages[i].page_size);
        if (cg_has_file(d->path, file) && cg_write(d->path, file, buf, err) < 0)
            return -1;
    }
    return 0;
}

int cg_v2_write_unified(const struct cg_dir *d, const struct oci_resources *r,
                        struct ctr_err *err)
{
    for (size_t i = 0; i < r->n_unified; i++)
        if (put(d, r->unified[i].key, r->unified[i].value, err) < 0)
            return -1;
    return 0;
}

int cg_v2_apply(const struct cg_dir *d, const struct oci_resources *res, bool hybrid,
                const struct ctr_log *log, struct ctr_err *err)
{
    if (hybrid) {
        /* v1 did the rest; hugetlb lives here only when v1 lacks it. */
        return cg_v2_write_unified(d, res, err);
    }
    if (apply_memory(d, res, log, err) < 0 || apply_cpu(d, res, err) < 0 ||
        apply_io(d, res, err) < 0 || apply_hugetlb(d, res, err) < 0)
        return -1;
    if (res->pids_limit.set && put_i64_or_max(d, "pids.max", res->pids_limit.v, err) < 0)
        return -1;
    if (res->net_class_id.set || res->n_net_prio)
        return ctr_fail(err, "network classes (net_cls/net_prio) are not available on cgroup v2");
    if (res->n_devices && cg_bpf_devices(d->path, res->devices, res->n_devices, err) < 0)
        return -1;
    return cg_v2_write_unified(d, res, err);
}

int cg_v2_apply_hugetlb(const struct cg_dir *d, const struct oci_resources *res,
                        struct ctr_err *err)
{
    return apply_hugetlb(d, res, err);
}
