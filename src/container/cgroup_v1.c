/* cgroup v1 backend: one directory per controller hierarchy. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/cgroup.h"

/* A v1 cpuset cgroup starts with no CPUs and no memory nodes (unless the
 * parent has clone_children): copy them down from the nearest parent. */
static int cpuset_fill(const char *dir, int depth, struct ctr_err *err)
{
    char cpus[4096], mems[4096];
    if (cg_read(dir, "cpuset.cpus", cpus, sizeof cpus) < 0)
        return 0;               /* not a cpuset directory after all */
    if (cpus[0] != '\n' && cpus[0] != '\0')
        return 0;
    if (depth > 64)
        return ctr_fail(err, "cgroup: cpuset hierarchy too deep");
    char up[CG_PATH_MAX];
    snprintf(up, sizeof up, "%s", dir);
    char *s = strrchr(up, '/');
    if (!s || s == up)
        return 0;
    *s = '\0';
    if (cpuset_fill(up, depth + 1, err) < 0)
        return -1;
    if (cg_read(up, "cpuset.cpus", cpus, sizeof cpus) < 0 ||
        cg_read(up, "cpuset.mems", mems, sizeof mems) < 0)
        return ctr_fail_errno(err, "cgroup: read cpuset of %s", up);
    if (cg_write(dir, "cpuset.cpus", cpus, err) < 0 || cg_write(dir, "cpuset.mems", mems, err) < 0)
        return -1;
    return 0;
}

int cg_v1_prepare(const struct cg_dir *d, struct ctr_err *err)
{
    char k[140];
    snprintf(k, sizeof k, ",%s,", d->key);
    if (strstr(k, ",cpuset,"))
        return cpuset_fill(d->path, 0, err);
    return 0;
}

static int need(const struct cg_set *set, const char *ctrl, const struct cg_dir **d,
                struct ctr_err *err)
{
    *d = cg_find(set, ctrl);
    if (!*d)
        return ctr_fail(err, "cgroup controller %s is not available on this host", ctrl);
    return 0;
}

static int write_i64(const char *dir, const char *file, int64_t v, struct ctr_err *err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRId64, v);
    return cg_write(dir, file, buf, err);
}

static int write_u64(const char *dir, const char *file, uint64_t v, struct ctr_err *err)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%" PRIu64, v);
    return cg_write(dir, file, buf, err);
}

static int apply_memory(const struct cg_set *set, const struct oci_resources *r,
                        struct ctr_err *err)
{
    const typeof(r->memory) *m = &r->memory;
    bool any = m->limit.set || m->reservation.set || m->swap.set || m->kernel_tcp.set ||
               m->swappiness.set || m->disable_oom_killer.set || m->use_hierarchy.set;
    if (!any)
        return 0;
    const struct cg_dir *d;
    if (need(set, "memory", &d, err) < 0)
        return -1;
    const char *p = d->path;
    bool memsw = cg_has_file(p, "memory.memsw.limit_in_bytes");
    if (m->swap.set && !memsw && m->swap.v != -1 && !(m->limit.set && m->swap.v == m->limit.v))
        return ctr_fail(err, "memory.swap: this kernel has no swap accounting "
                        "(memory.memsw.limit_in_bytes is missing)");
    if (m->limit.set && m->swap.set && memsw) {
        /* memsw must stay >= limit at every step: pick the order. */
        char cur[64];
        int64_t cur_memsw = -1;
        if (cg_read(p, "memory.memsw.limit_in_bytes", cur, sizeof cur) > 0)
            cur_memsw = strtoll(cur, NULL, 10);
        if (m->swap.v == -1 || (uint64_t)m->swap.v > (uint64_t)cur_memsw) {
            if (write_i64(p, "memory.memsw.limit_in_bytes", m->swap.v, err) < 0 ||
                write_i64(p, "memory.limit_in_bytes", m->limit.v, err) < 0)
                return -1;
        } else if (write_i64(p, "memory.limit_in_bytes", m->limit.v, err) < 0 ||
                   write_i64(p, "memory.memsw.limit_in_bytes", m->swap.v, err) < 0) {
            return -1;
        }
    } else if (m->limit.set) {
        if (write_i64(p, "memory.limit_in_bytes", m->limit.v, err) < 0)
            return -1;
    } else if (m->swap.set && memsw) {
        if (write_i64(p, "memory.memsw.limit_in_bytes", m->swap.v, err) < 0)
            return -1;
    }
    if (m->reservation.set && write_i64(p, "memory.soft_limit_in_bytes", m->reservation.v, err) < 0)
        return -1;
    if (m->kernel_tcp.set && write_i64(p, "memory.kmem.tcp.limit_in_bytes", m->kernel_tcp.v, err) < 0)
        return -1;
    if (m->swappiness.set && write_u64(p, "memory.swappiness", m->swappiness.v, err) < 0)
        return -1;
    if (m->disable_oom_killer.set && m->disable_oom_killer.v &&
        cg_write(p, "memory.oom_control", "1", err) < 0)
        return -1;
    if (m->use_hierarchy.set && m->use_hierarchy.v && cg_has_file(p, "memory.use_hierarchy") &&
        cg_write(p, "memory.use_hierarchy", "1", err) < 0)
        return -1;
    return 0;
}

static int apply_cpu(const struct cg_set *set, const struct oci_resources *r, struct ctr_err *err)
{
    const typeof(r->cpu) *c = &r->cpu;
    const struct cg_dir *d;
    if (c->shares.set || c->quota.set || c->period.set || c->burst.set || c->rt_period.set ||
        c->rt_runtime.set || c->idle.set) {
        if (need(set, "cpu", &d, err) < 0)
            return -1;
        const char *p = d->path;
        if (c->shares.set && c->shares.v && write_u64(p, "cpu.shares", c->shares.v, err) < 0)
            return -1;
        if (c->period.set && c->period.v && write_u64(p, "cpu.cfs_period_us", c->period.v, err) < 0)
            return -1;
        if (c->quota.set && c->quota.v && write_i64(p, "cpu.cfs_quota_us", c->quota.v, err) < 0)
            return -1;
        if (c->burst.set && write_u64(p, "cpu.cfs_burst_us", c->burst.v, err) < 0)
            return -1;
        /* Real-time: period first when growing, so runtime fits in it. */
        if (c->rt_period.set && c->rt_period.v && write_u64(p, "cpu.rt_period_us", c->rt_period.v, err) < 0)
            return -1;
        if (c->rt_runtime.set && c->rt_runtime.v && write_i64(p, "cpu.rt_runtime_us", c->rt_runtime.v, err) < 0)
            return -1;
        if (c->idle.set && write_i64(p, "cpu.idle", c->idle.v, err) < 0)
            return -1;
    }
    if ((c->cpus && *c->cpus) || (c->mems && *c->mems)) {
        if (need(set, "cpuset", &d, err) < 0)
            return -1;
        if (c->cpus && *c->cpus && cg_write(d->path, "cpuset.cpus", c->cpus, err) < 0)
            return -1;
        if (c->mems && *c->mems && cg_write(d->path, "cpuset.mems", c->mems, err) < 0)
            return -1;
    }
    return 0;
}

static int apply_blkio(const struct cg_set *set, const struct oci_resources *r, struct ctr_err *err)
{
    const typeof(r->blkio) *b = &r->blkio;
    size_t nthrottle = b->n_throttle[0] + b->n_throttle[1] + b->n_throttle[2] + b->n_throttle[3];
    if (!b->weight.set && !b->leaf_weight.set && !b->n_weight_device && !nthrottle)
        return 0;
    const struct cg_dir *d;
    if (need(set, "blkio", &d, err) < 0)
        return -1;
    const char *p = d->path;
    bool cfq = cg_has_file(p, "blkio.weight");
    const char *wfile = cfq ? "blkio.weight" : "blkio.bfq.weight";
    const char *wdfile = cfq ? "blkio.weight_device" : "blkio.bfq.weight_device";
    if (b->weight.set && b->weight.v) {
        if (!cfq && !cg_has_file(p, wfile))
            return ctr_fail(err, "blockIO.weight: no blkio weight support (CFQ or BFQ) in this kernel");
        if (write_u64(p, wfile, b->weight.v, err) < 0)
            return -1;
    }
    if (b->leaf_weight.set && b->leaf_weight.v && write_u64(p, "blkio.leaf_weight", b->leaf_weight.v, err) < 0)
        return -1;
    for (size_t i = 0; i < b->n_weight_device; i++) {
        const struct oci_weight_dev *w = &b->weight_device[i];
        char buf[64];
        if (w->weight.set) {
            snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor, w->weight.v);
            if (cg_write(p, wdfile, buf, err) < 0)
                return -1;
        }
        if (w->leaf_weight.set) {
            snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, w->major, w->minor,
                     w->leaf_weight.v);
            if (cg_write(p, "blkio.leaf_weight_device", buf, err) < 0)
                return -1;
        }
    }
    static const char *const files[4] = {
        "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
        "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device",
    };
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; i < b->n_throttle[k]; i++) {
            const struct oci_throttle *t = &b->throttle[k][i];
            char buf[64];
            snprintf(buf, sizeof buf, "%" PRId64 ":%" PRId64 " %" PRIu64, t->major, t->minor, t->rate);
            if (cg_write(p, files[k], buf, err) < 0)
                return -1;
        }
    return 0;
}

static int apply_devices(const struct cg_set *set, const struct oci_resources *r,
                         struct ctr_err *err)
{
    if (!r->n_devices)
        return 0;       /* nothing asked: keep the inherited policy */
    const struct cg_dir *d = cg_find(set, "devices");
    if (!d)
        return r->n_devices ? ctr_fail(err, "cgroup controller devices is not available") : 0;
    const struct oci_devrule *lists[2] = { r->devices, cg_default_devrules };
    size_t counts[2] = { r->n_devices, cg_n_default_devrules };
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < counts[l]; i++) {
            const struct oci_devrule *e = &lists[l][i];
            char buf[64], maj[24], min[24];
            if (e->major < 0) snprintf(maj, sizeof maj, "*");
            else snprintf(maj, sizeof maj, "%" PRId64, e->major);
            if (e->minor < 0) snprintf(min, sizeof min, "*");
            else snprintf(min, sizeof min, "%" PRId64, e->minor);
            snprintf(buf, sizeof buf, "%c %s:%s %s", e->type, maj, min, e->access);
            if (cg_write(d->path, e->allow ? "devices.allow" : "devices.deny", buf, err) < 0)
                return -1;
        }
    return 0;
}

static int apply_hugetlb(const struct cg_set *set, const struct oci_resources *r,
                         struct ctr_err *err)
{
    if (!r->n_hugepages)
        return 0;
    const struct cg_dir *d = cg_find(set, "hugetlb");
    if (!d) {
        if (set->mode == CG_HYBRID && cg_find(set, "unified"))
            return 0;           /* applied through the unified hierarchy */
        return ctr_fail(err, "cgroup controller hugetlb is not available on this host");
    }
    for (size_t i = 0; i < r->n_hugepages; i++) {
        char file[96];
        snprintf(file, sizeof file, "hugetlb.%s.limit_in_bytes", r->hugepages[i].page_size);
        if (!cg_has_file(d->path, file))
            return ctr_fail(err, "hugepage size %s is not supported by this host",
                            r->hugepages[i].page_size);
        if (write_u64(d->path, file, r->hugepages[i].limit, err) < 0)
            return -1;
        snprintf(file, sizeof file, "hugetlb.%s.rsvd.limit_in_bytes", r->hugepages[i].page_size);
        if (cg_has_file(d->path, file) && write_u64(d->path, file, r->hugepages[i].limit, err) < 0)
            return -1;
    }
    return 0;
}

static int apply_net(const struct cg_set *set, const struct oci_resources *r, struct ctr_err *err)
{
    const struct cg_dir *d;
    if (r->net_class_id.set) {
        if (need(set, "net_cls", &d, err) < 0 ||
            write_u64(d->path, "net_cls.classid", r->net_class_id.v, err) < 0)
            return -1;
    }
    for (size_t i = 0; i < r->n_net_prio; i++) {
        if (need(set, "net_prio", &d, err) < 0)
            return -1;
        char buf[128];
        snprintf(buf, sizeof buf, "%s %u", r->net_prio[i].name, r->net_prio[i].priority);
        if (cg_write(d->path, "net_prio.ifpriomap", buf, err) < 0)
            return -1;
    }
    return 0;
}

int cg_v1_apply(const struct cg_set *set, const struct oci_resources *res,
                const struct ctr_log *log, struct ctr_err *err)
{
    (void)log;
    if (apply_devices(set, res, err) < 0 || apply_memory(set, res, err) < 0 ||
        apply_cpu(set, res, err) < 0 || apply_blkio(set, res, err) < 0 ||
        apply_hugetlb(set, res, err) < 0 || apply_net(set, res, err) < 0)
        return -1;
    if (res->pids_limit.set) {
        const struct cg_dir *d;
        if (need(set, "pids", &d, err) < 0)
            return -1;
        if (res->pids_limit.v < 0 ? cg_write(d->path, "pids.max", "max", err) < 0
                                  : write_i64(d->path, "pids.max", res->pids_limit.v, err) < 0)
            return -1;
    }
    return 0;
}
