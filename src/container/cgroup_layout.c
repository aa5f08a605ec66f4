/* Cgroup layout: which hierarchies the host has and where this process
 * sits in them (from /proc/self/mountinfo and /proc/self/cgroup), and the
 * directories a container's cgroupsPath maps to (see cgroup.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/cgroup.h"
#include "container/jsonu.h"

static const char *const v1_controllers[] = {
    "cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "net_cls", "net_prio",
    "blkio", "perf_event", "hugetlb", "pids", "rdma", "misc", "debug",
};

static bool is_v1_controller(const char *s)
{
    if (!strncmp(s, "name=", 5))
        return true;
    for (size_t i = 0; i < sizeof v1_controllers / sizeof v1_controllers[0]; i++)
        if (!strcmp(s, v1_controllers[i]))
            return true;
    return false;
}

const char *cg_mode_name(enum cg_mode mode)
{
    switch (mode) {
    case CG_V1: return "v1";
    case CG_HYBRID: return "hybrid";
    case CG_V2: return "v2";
    default: return "none";
    }
}

/* mountinfo escapes blanks and backslashes as \ooo. */
static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        if (s[0] == '\\' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7' &&
            s[3] >= '0' && s[3] <= '7') {
            *o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
            s += 3;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
}

/* Same controller set, whatever the order ("cpu,cpuacct" vs "cpuacct,cpu"). */
static bool same_set(const char *a, const char *b)
{
    char x[128], y[128];
    snprintf(x, sizeof x, "%s", a);
    size_t na = 0, nb = 0;
    char *save, *t;
    for (t = strtok_r(x, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        na++;
        snprintf(y, sizeof y, ",%s,", b);
        char needle[70];
        snprintf(needle, sizeof needle, ",%s,", t);
        if (!strstr(y, needle))
            return false;
    }
    snprintf(y, sizeof y, "%s", b);
    for (t = strtok_r(y, ",", &save); t; t = strtok_r(NULL, ",", &save))
        nb++;
    return na == nb;
}

/* Own cgroup for a hierarchy from /proc/self/cgroup text. */
static void find_own(const char *self_cgroup, const struct cg_hier *h, const char *mnt_root,
                     char *out, size_t size)
{
    const char *line = self_cgroup;
    snprintf(out, size, "/");
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[CG_PATH_MAX + 256];
        if (len < sizeof buf) {
            memcpy(buf, line, len);
            buf[len] = '\0';
            char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
            if (c1 && c2) {
                *c1 = '\0';
                *c2 = '\0';
                const char *ctrls = c1 + 1, *path = c2 + 1;
                bool match;
                if (h->v2)
                    match = !strcmp(buf, "0") && !*ctrls;
                else {
                    const char *opts = h->options;
                    if (!strncmp(opts, "none,", 5))
                        opts += 5;
                    match = *ctrls && same_set(ctrls, opts);
                }
                if (match) {
                    /* Relative to the mount's root if that is not "/". */
                    size_t rl = strlen(mnt_root);
                    if (rl > 1 && !strncmp(path, mnt_root, rl) && (path[rl] == '/' || !path[rl]))
                        path += rl;
                    snprintf(out, size, "%s", *path ? path : "/");
                    return;
                }
            }
        }
        line = nl ? nl + 1 : NULL;
    }
}

int cg_discover_text(struct cg_layout *lay, const char *mountinfo, const char *self_cgroup,
                     struct ctr_err *err)
{
    memset(lay, 0, sizeof *lay);
    bool have_v1 = false, have_v2 = false, root_is_v2 = false;
    const char *line = mountinfo;
    while (line && *line) {
        const char *nl = strchr(line, '\n');
        size_t len = nl ? (size_t)(nl - line) : strlen(line);
        char buf[4096];
        if (len >= sizeof buf)
            goto next;
        memcpy(buf, line, len);
        buf[len] = '\0';
        /* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
        char *f[6], *save = NULL, *sep = strstr(buf, " - ");
        if (!sep)
            goto next;
        *sep = '\0';
        char *tail = sep + 3;
        int i = 0;
        for (char *t = strtok_r(buf, " ", &save); t && i < 6; t = strtok_r(NULL, " ", &save))
            f[i++] = t;
        if (i < 5)
            goto next;
        char *fstype = strtok_r(tail, " ", &save);
        strtok_r(NULL, " ", &save);          /* source */
        char *super = strtok_r(NULL, " ", &save);
        if (!fstype || !super)
            goto next;
        bool v2 = !strcmp(fstype, "cgroup2");
        if (!v2 && strcmp(fstype, "cgroup"))
            goto next;
        char *root = f[3], *mnt = f[4];
        unescape(root);
        unescape(mnt);
        char opts[128] = "";
        if (!v2) {
            bool named_only = true;
            char sbuf[512];
            snprintf(sbuf, sizeof sbuf, "%s", super);
            char *s2;
            for (char *o = strtok_r(sbuf, ",", &s2); o; o = strtok_r(NULL, ",", &s2)) {
                if (!is_v1_controller(o))
                    continue;
                if (strncmp(o, "name=", 5))
                    named_only = false;
                size_t ol = strlen(opts);
                snprintf(opts + ol, sizeof opts - ol, "%s%s", ol ? "," : "", o);
            }
            if (!*opts)
                goto next;
            size_t ol = strlen(opts);
            if (named_only && ol + 6 <= sizeof opts) {
                memmove(opts + 5, opts, ol + 1);
                memcpy(opts, "none,", 5);
            }
        }
        /* One entry per hierarchy: the first mount of it wins. */
        for (int k = 0; k < lay->n_hier; k++)
            if (lay->hier[k].v2 == v2 && !strcmp(lay->hier[k].options, opts))
                goto next;
        if (lay->n_hier == CG_MAX_HIER)
            goto next;
        struct cg_hier *h = &lay->hier[lay->n_hier++];
        h->v2 = v2;
        snprintf(h->mount, sizeof h->mount, "%s", mnt);
        snprintf(h->options, sizeof h->options, "%s", opts);
        find_own(self_cgroup, h, root, h->own, sizeof h->own);
        if (v2) {
            have_v2 = true;
            if (!strcmp(mnt, "/sys/fs/cgroup"))
                root_is_v2 = true;
        } else {
            have_v1 = true;
        }
next:
        line = nl ? nl + 1 : NULL;
    }
    if (root_is_v2 || (have_v2 && !have_v1)) {
        /* Pure v2: keep only the unified hierarchy. */
        for (int k = 0; k < lay->n_hier; k++)
            if (lay->hier[k].v2) {
                lay->hier[0] = lay->hier[k];
                break;
            }
        lay->n_hier = 1;
        lay->mode = CG_V2;
    } else if (have_v1) {
        lay->mode = have_v2 ? CG_HYBRID : CG_V1;
    } else {
        lay->mode = CG_NONE;
    }
    (void)err;
    return 0;
}

int cg_discover(struct cg_layout *lay, struct ctr_err *err)
{
    size_t n;
    char *mi = ju_read_file("/proc/self/mountinfo", 1 << 22, &n, err);
    if (!mi)
        return -1;
    char *cg = ju_read_file("/proc/self/cgroup", 1 << 20, &n, err);
    if (!cg) {
        free(mi);
        return -1;
    }
    int r = cg_discover_text(lay, mi, cg, err);
    free(mi);
    free(cg);
    return r;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice" (systemd's nesting). */
static int expand_slice(const char *slice, char *out, size_t size)
{
    size_t n = strlen(slice);
    if (n < 6 || strcmp(slice + n - 6, ".slice") || strchr(slice, '/'))
        return -1;
    if (!strcmp(slice, "-.slice")) {
        out[0] = '\0';
        return 0;
    }
    const char *stem_end = slice + n - 6;
    size_t o = 0;
    out[0] = '\0';
    for (const char *p = slice; p <= stem_end; p++) {
        if (p == stem_end || *p == '-') {
            if (p == slice || p[-1] == '-')
                return -1;          /* empty component */
            int w = snprintf(out + o, size - o, "/%.*s.slice", (int)(p - slice), slice);
            if (w < 0 || (size_t)w >= size - o)
                return -1;
            o += (size_t)w;
        }
    }
    return 0;
}

static int systemd_path(const char *spec, char *out, size_t size, struct ctr_err *err)
{
    char buf[CG_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", spec);
    char *c1 = strchr(buf, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2 || strchr(c2 + 1, ':'))
        return ctr_fail(err, "expected cgroupsPath to be of format \"slice:prefix:name\" for "
                        "systemd cgroups, got \"%s\"", spec);
    *c1 = *c2 = '\0';
    const char *slice = *buf ? buf : "system.slice", *prefix = c1 + 1, *name = c2 + 1;
    if (!*name || strchr(name, '/') || strchr(prefix, '/') || !strcmp(name, "..") ||
        !strcmp(name, "."))
        return ctr_fail(err, "invalid systemd cgroupsPath \"%s\"", spec);
    char sl[CG_PATH_MAX];
    if (expand_slice(slice, sl, sizeof sl) < 0)
        return ctr_fail(err, "invalid systemd slice \"%s\" in cgroupsPath", slice);
    size_t nl = strlen(name);
    int w;
    if (nl > 6 && !strcmp(name + nl - 6, ".slice")) {
        char sub[CG_PATH_MAX];
        if (expand_slice(name, sub, sizeof sub) < 0)
            return ctr_fail(err, "invalid systemd slice \"%s\" in cgroupsPath", name);
        const char *last = strrchr(sub, '/');
        w = snprintf(out, size, "%s%s", sl, last ? last : sub);
    } else if (*prefix) {
        w = snprintf(out, size, "%s/%s-%s.scope", sl, prefix, name);
    } else {
        w = snprintf(out, size, "%s/%s.scope", sl, name);
    }
    if (w < 0 || (size_t)w >= size)
        return ctr_fail(err, "cgroupsPath too long");
    return 0;
}

int cg_plan(const struct cg_layout *lay, const char *cgroups_path, const char *id,
            bool systemd, struct cg_set *set, struct ctr_err *err)
{
    memset(set, 0, sizeof *set);
    set->mode = lay->mode;
    if (lay->mode == CG_NONE)
        return 0;
    char inner[CG_PATH_MAX];
    bool absolute;
    if (systemd) {
        char spec[CG_PATH_MAX];
        if (cgroups_path && *cgroups_path)
            snprintf(spec, sizeof spec, "%s", cgroups_path);
        else
            snprintf(spec, sizeof spec, "system.slice:vessel-runc:%s", id);
        if (systemd_path(spec, inner, sizeof inner, err) < 0)
            return -1;
        absolute = true;
    } else {
        const char *p = cgroups_path && *cgroups_path ? cgroups_path : id;
        absolute = p[0] == '/';
        if (snprintf(inner, sizeof inner, "/%s", p) >= (int)sizeof inner)
            return ctr_fail(err, "cgroupsPath too long");
        if (config_clean_path(inner) < 0)
            return ctr_fail(err, "cgroupsPath \"%s\" escapes the cgroup hierarchy", p);
        if (!strcmp(inner, "/"))
            return ctr_fail(err, "cgroupsPath \"%s\" is the root cgroup", p);
    }
    for (int i = 0; i < lay->n_hier; i++) {
        const struct cg_hier *h = &lay->hier[i];
        struct cg_dir *d = &set->dir[set->n++];
        const char *own = absolute || !strcmp(h->own, "/") ? "" : h->own;
        int w = snprintf(d->path, sizeof d->path, "%s%s%s", h->mount, own, inner);
        if (w < 0 || (size_t)w >= sizeof d->path)
            return ctr_fail(err, "cgroup path too long");
        const char *key = h->v2 ? "unified" : h->options;
        if (!strncmp(key, "none,", 5))
            key += 5;
        if (!strncmp(key, "name=", 5))
            key += 5;
        snprintf(d->key, sizeof d->key, "%s", key);
        snprintf(d->mount, sizeof d->mount, "%s", h->mount);
        snprintf(d->options, sizeof d->options, "%s", h->options);
        d->v2 = h->v2;
    }
    return 0;
}

