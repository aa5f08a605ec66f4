/* config.json "process" (also the JSON given to `exec --process`). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include "container/jsonu.h"
#include "container/names.h"
#include "container/oci_config.h"

#ifndef SCHED_ISO
#define SCHED_ISO 4
#endif
#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE 6
#endif

static const struct { const char *name; int value; } sched_policies[] = {
    { "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO }, { "SCHED_RR", SCHED_RR },
    { "SCHED_BATCH", SCHED_BATCH }, { "SCHED_ISO", SCHED_ISO }, { "SCHED_IDLE", SCHED_IDLE },
    { "SCHED_DEADLINE", SCHED_DEADLINE },
};

static const struct { const char *name; uint64_t value; } sched_flags[] = {
    { "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
    { "SCHED_FLAG_DL_OVERRUN", 0x04 }, { "SCHED_FLAG_KEEP_POLICY", 0x08 },
    { "SCHED_FLAG_KEEP_PARAMS", 0x10 }, { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
    { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const char *const capset_names[CAPSET_COUNT] = {
    [CAPSET_BOUNDING] = "bounding", [CAPSET_EFFECTIVE] = "effective",
    [CAPSET_INHERITABLE] = "inheritable", [CAPSET_PERMITTED] = "permitted",
    [CAPSET_AMBIENT] = "ambient",
};

static int parse_user(json_object *obj, const char *where, struct oci_process *p,
                      struct ctr_err *err)
{
    json_object *u;
    int r = ju_obj(obj, "user", where, &u, err);
    if (r <= 0)
        return r;
    char w[128];
    snprintf(w, sizeof w, "%s.user", where);
    uint64_t v;
    if ((r = ju_u64(u, "uid", w, UINT32_MAX, &v, err)) < 0)
        return -1;
    if (r == 0)
        return ctr_fail(err, "%s.uid is required", w);
    p->uid = (uint32_t)v;
    if ((r = ju_u64(u, "gid", w, UINT32_MAX, &v, err)) < 0)
        return -1;
    if (r == 0)
        return ctr_fail(err, "%s.gid is required", w);
    p->gid = (uint32_t)v;
    if ((r = ju_u64(u, "umask", w, 07777, &p->umask.v, err)) < 0)
        return -1;
    p->umask.set = r > 0;
    json_object *arr;
    size_t n;
    if ((r = ju_arr(u, "additionalGids", w, 65536, &arr, &n, err)) < 0)
        return -1;
    if (r > 0 && n > 0) {
        p->additional_gids = calloc(n, sizeof *p->additional_gids);
        if (!p->additional_gids)
            return ctr_fail(err, "out of memory");
        for (size_t i = 0; i < n; i++) {
            json_object *e = json_object_array_get_idx(arr, i);
            if (json_object_get_type(e) != json_type_int || json_object_get_int64(e) < 0 ||
                json_object_get_int64(e) > UINT32_MAX)
                return ctr_fail(err, "%s.additionalGids[%zu]: expected a group id", w, i);
            p->additional_gids[i] = (uint32_t)json_object_get_int64(e);
        }
        p->n_additional_gids = n;
    }
    return 0;
}

static int parse_rlimits(json_object *obj, const char *where, struct oci_process *p,
                         struct ctr_err *err)
{
    json_object *arr;
    size_t n;
    int r = ju_arr(obj, "rlimits", where, 64, &arr, &n, err);
    if (r <= 0 || n == 0)
        return r < 0 ? -1 : 0;
    p->rlimits = calloc(n, sizeof *p->rlimits);
    if (!p->rlimits)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        char w[128];
        snprintf(w, sizeof w, "%s.rlimits[%zu]", where, i);
        if (json_object_get_type(e) != json_type_object)
            return ctr_fail(err, "%s: expected an object", w);
        char *type = NULL;
        if (ju_str(e, "type", w, &type, err) < 0)
            return -1;
        if (!type)
            return ctr_fail(err, "%s.type is required", w);
        int res = names_rlimit(type);
        if (res < 0) {
            ctr_fail(err, "%s: unknown rlimit type \"%s\"", w, type);
            free(type);
            return -1;
        }
        free(type);
        struct oci_rlimit *rl = &p->rlimits[i];
        rl->resource = res;
        int rs = ju_u64(e, "soft", w, UINT64_MAX, &rl->soft, err);
        int rh = rs < 0 ? -1 : ju_u64(e, "hard", w, UINT64_MAX, &rl->hard, err);
        if (rs < 0 || rh < 0)
            return -1;
        if (rs == 0 || rh == 0)
            return ctr_fail(err, "%s: soft and hard are required", w);
        if (rl->soft > rl->hard)
            return ctr_fail(err, "%s: soft limit %llu exceeds hard limit %llu", w,
                            (unsigned long long)rl->soft, (unsigned long long)rl->hard);
        for (size_t k = 0; k < i; k++)
            if (p->rlimits[k].resource == res)
                return ctr_fail(err, "%s: duplicate rlimit type", w);
        p->n_rlimits = i + 1;
    }
    return 0;
}

static int parse_caps(json_object *obj, const char *where, struct oci_process *p,
                      const struct ctr_log *log, struct ctr_err *err)
{
    json_object *c;
    int r = ju_obj(obj, "capabilities", where, &c, err);
    if (r <= 0)
        return r;
    p->has_caps = true;
    char w[128];
    snprintf(w, sizeof w, "%s.capabilities", where);
    for (int s = 0; s < CAPSET_COUNT; s++) {
        char **names = NULL;
        size_t n = 0;
        if (ju_strv(c, capset_names[s], w, 1024, &names, &n, err) < 0)
            return -1;
        for (size_t i = 0; i < n; i++) {
            int cap = names_cap(names[i]);
            if (cap < 0) {
                /* The spec asks for a warning, not a failure. */
                if (log)
                    ctr_warn(log, "ignoring unknown capability %s in %s.%s", names[i], w,
                             capset_names[s]);
                continue;
            }
            p->caps[s] |= 1ull << cap;
        }
        ju_strv_free(names);
    }
    return 0;
}

static int parse_sched(json_object *obj, const char *where, struct oci_process *p,
                       struct ctr_err *err)
{
    json_object *s;
    int r = ju_obj(obj, "scheduler", where, &s, err);
    if (r <= 0)
        return r;
    char w[128];
    snprintf(w, sizeof w, "%s.scheduler", where);
    char *policy = NULL;
    if (ju_str(s, "policy", w, &policy, err) < 0)
        return -1;
    if (!policy)
        return ctr_fail(err, "%s.policy is required", w);
    size_t i;
    for (i = 0; i < sizeof sched_policies / sizeof sched_policies[0]; i++)
        if (!strcmp(sched_policies[i].name, policy))
            break;
    if (i == sizeof sched_policies / sizeof sched_policies[0]) {
        ctr_fail(err, "%s.policy: unknown policy \"%s\"", w, policy);
        free(policy);
        return -1;
    }
    free(policy);
    p->sched.policy = sched_policies[i].value;
    int64_t v;
    if ((r = ju_i64(s, "nice", w, -20, 19, &v, err)) < 0)
        return -1;
    p->sched.nice = r ? (int32_t)v : 0;
    if ((r = ju_i64(s, "priority", w, 0, 99, &v, err)) < 0)
        return -1;
    p->sched.priority = r ? (int32_t)v : 0;
    if (ju_u64(s, "runtime", w, UINT64_MAX, &p->sched.runtime, err) < 0 ||
        ju_u64(s, "deadline", w, UINT64_MAX, &p->sched.deadline, err) < 0 ||
        ju_u64(s, "period", w, UINT64_MAX, &p->sched.period, err) < 0)
        return -1;
    char **flags = NULL;
    size_t n = 0;
    if (ju_strv(s, "flags", w, 16, &flags, &n, err) < 0)
        return -1;
    for (size_t f = 0; f < n; f++) {
        size_t k;
        for (k = 0; k < sizeof sched_flags / sizeof sched_flags[0]; k++)
            if (!strcmp(sched_flags[k].name, flags[f]))
                break;
        if (k == sizeof sched_flags / sizeof sched_flags[0]) {
            ctr_fail(err, "%s.flags: unknown flag \"%s\"", w, flags[f]);
            ju_strv_free(flags);
            return -1;
        }
        p->sched.flags |= sched_flags[k].value;
    }
    ju_strv_free(flags);
    p->has_sched = true;
    return 0;
}

static int parse_ioprio(json_object *obj, const char *where, struct oci_process *p,
                        struct ctr_err *err)
{
    json_object *io;
    int r = ju_obj(obj, "ioPriority", where, &io, err);
    if (r <= 0)
        return r;
    char w[128];
    snprintf(w, sizeof w, "%s.ioPriority", where);
    char *cls = NULL;
    if (ju_str(io, "class", w, &cls, err) < 0)
        return -1;
    if (!cls)
        return ctr_fail(err, "%s.class is required", w);
    if (!strcmp(cls, "IOPRIO_CLASS_RT"))
        p->ioprio_class = 1;
    else if (!strcmp(cls, "IOPRIO_CLASS_BE"))
        p->ioprio_class = 2;
    else if (!strcmp(cls, "IOPRIO_CLASS_IDLE"))
        p->ioprio_class = 3;
    else {
        ctr_fail(err, "%s.class: unknown class \"%s\"", w, cls);
        free(cls);
        return -1;
    }
    free(cls);
    int64_t v = 0;
    if (ju_i64(io, "priority", w, 0, 7, &v, err) < 0)
        return -1;
    p->ioprio_level = (int)v;
    p->has_ioprio = true;
    return 0;
}

int config_parse_process(json_object *obj, const char *where, struct oci_process *p,
                         const struct ctr_log *log, struct ctr_err *err)
{
    memset(p, 0, sizeof *p);
    if (ju_bool(obj, "terminal", where, &p->terminal, err) < 0)
        goto fail;
    json_object *cs;
    int r = ju_obj(obj, "consoleSize", where, &cs, err);
    if (r < 0)
        goto fail;
    if (r > 0) {
        uint64_t h = 0, wd = 0;
        char w[128];
        snprintf(w, sizeof w, "%s.consoleSize", where);
        if (ju_u64(cs, "height", w, 65535, &h, err) < 0 || ju_u64(cs, "width", w, 65535, &wd, err) < 0)
            goto fail;
        p->has_console_size = true;
        p->console_height = (uint32_t)h;
        p->console_width = (uint32_t)wd;
    }
    if (parse_user(obj, where, p, err) < 0)
        goto fail;
    if (ju_strv(obj, "args", where, JSONU_MAX_ITEMS, &p->args, &p->n_args, err) < 0)
        goto fail;
    if (p->n_args == 0) {
        ctr_fail(err, "%s.args must contain at least one entry", where);
        goto fail;
    }
    if (ju_strv(obj, "env", where, JSONU_MAX_ITEMS, &p->env, &p->n_env, err) < 0)
        goto fail;
    if (!p->env && !(p->env = calloc(1, sizeof *p->env))) {
        ctr_fail(err, "out of memory");
        goto fail;
    }
    if (ju_str(obj, "cwd", where, &p->cwd, err) < 0)
        goto fail;
    if (!p->cwd) {
        ctr_fail(err, "%s.cwd is required", where);
        goto fail;
    }
    if (p->cwd[0] != '/') {
        ctr_fail(err, "%s.cwd \"%s\" is not an absolute path", where, p->cwd);
        goto fail;
    }
    if (parse_rlimits(obj, where, p, err) < 0 || parse_caps(obj, where, p, log, err) < 0)
        goto fail;
    if (ju_bool(obj, "noNewPrivileges", where, &p->no_new_privileges, err) < 0)
        goto fail;
    if ((r = ju_i64(obj, "oomScoreAdj", where, -1000, 1000, &p->oom_score_adj.v, err)) < 0)
        goto fail;
    p->oom_score_adj.set = r > 0;
    if (ju_str(obj, "apparmorProfile", where, &p->apparmor_profile, err) < 0 ||
        ju_str(obj, "selinuxLabel", where, &p->selinux_label, err) < 0)
        goto fail;
    if (parse_sched(obj, where, p, err) < 0 || parse_ioprio(obj, where, p, err) < 0)
        goto fail;
    json_object *aff;
    if ((r = ju_obj(obj, "execCPUAffinity", where, &aff, err)) < 0)
        goto fail;
    if (r > 0) {
        char w[128];
        snprintf(w, sizeof w, "%s.execCPUAffinity", where);
        if (ju_str(aff, "initial", w, &p->cpu_affinity_initial, err) < 0 ||
            ju_str(aff, "final", w, &p->cpu_affinity_final, err) < 0)
            goto fail;
    }
    return 0;
fail:
    config_free_process(p);
    return -1;
}

void config_free_process(struct oci_process *p)
{
    free(p->additional_gids);
    ju_strv_free(p->args);
    ju_strv_free(p->env);
    free(p->cwd);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    free(p->cpu_affinity_initial);
    free(p->cpu_affinity_final);
    memset(p, 0, sizeof *p);
}
