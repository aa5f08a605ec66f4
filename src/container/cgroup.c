/* Cgroup layout discovery, planning, creation and the operations shared by
 * both cgroup versions (see cgroup.h). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
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

const struct cg_dir *cg_find(const struct cg_set *set, const char *controller)
{
    for (int i = 0; i < set->n; i++) {
        char k[140];
        snprintf(k, sizeof k, ",%s,", set->dir[i].key);
        char needle[80];
        snprintf(needle, sizeof needle, ",%s,", controller);
        if (strstr(k, needle))
            return &set->dir[i];
    }
    return NULL;
}

int cg_write(const char *dir, const char *file, const char *value, struct ctr_err *err)
{
    char path[CG_PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return ctr_fail_errno(err, "cgroup: open %s", path);
    size_t len = strlen(value);
    ssize_t w = write(fd, value, len);
    if (w < 0 || (size_t)w != len) {
        ctr_fail_errno(err, "cgroup: write \"%s\" to %s", value, path);
        close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

int cg_read(const char *dir, const char *file, char *buf, size_t size)
{
    char path[CG_PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, size - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return (int)n;
}

bool cg_has_file(const char *dir, const char *file)
{
    char path[CG_PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

/* Parent directory of path (for path "/a/b/c" -> "/a/b"). */
static void parent_of(const char *path, char *out, size_t size)
{
    snprintf(out, size, "%s", path);
    char *s = strrchr(out, '/');
    if (s == out)
        out[1] = '\0';
    else if (s)
        *s = '\0';
}

/* mkdir -p; returns how many trailing levels were created (0 if the
 * directory existed).  The common case is a single mkdir. */
static int make_dirs(const char *path, struct ctr_err *err)
{
    if (mkdir(path, 0755) == 0)
        return 1;
    if (errno == EEXIST)
        return 0;
    if (errno != ENOENT || !strcmp(path, "/"))
        return ctr_fail_errno(err, "cgroup: mkdir %s", path);
    char up[CG_PATH_MAX];
    parent_of(path, up, sizeof up);
    int n = make_dirs(up, err);
    if (n < 0)
        return -1;
    if (mkdir(path, 0755) == 0)
        return n + 1;
    if (errno == EEXIST)
        return 0;
    return ctr_fail_errno(err, "cgroup: mkdir %s", path);
}

static int rmdir_retry(const char *path)
{
    struct timespec ts = { 0, 1000000 };
    for (int i = 0; i < 200; i++) {
        if (rmdir(path) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY)
            return -1;
        nanosleep(&ts, NULL);
        if (ts.tv_nsec < 16000000)
            ts.tv_nsec *= 2;
    }
    return -1;
}

int cg_destroy(const struct cg_set *set, struct ctr_err *err)
{
    int ret = 0;
    for (int i = 0; i < set->n; i++) {
        const struct cg_dir *d = &set->dir[i];
        if (d->created == CG_CREATED_UNKNOWN) {
            /* The runtime died while making it: remove the leaf if there. */
            if (rmdir_retry(d->path) < 0)
                ret = ctr_fail_errno(err, "cgroup: remove %s", d->path);
            continue;
        }
        if (d->created <= 0)
            continue;
        char path[CG_PATH_MAX];
        snprintf(path, sizeof path, "%s", d->path);
        for (int level = 0; level < d->created; level++) {
            if (level == 0) {
                if (rmdir_retry(path) < 0) {
                    ret = ctr_fail_errno(err, "cgroup: remove %s", path);
                    break;
                }
            } else if (rmdir(path) < 0 && errno != ENOENT) {
                break;          /* shared parent still in use: leave it */
            }
            char up[CG_PATH_MAX];
            parent_of(path, up, sizeof up);
            snprintf(path, sizeof path, "%s", up);
        }
    }
    return ret;
}

bool cg_gone(const struct cg_set *set)
{
    for (int i = 0; i < set->n; i++)
        if (set->dir[i].created != 0 && access(set->dir[i].path, F_OK) == 0)
            return false;
    return true;
}

static bool procs_empty(const char *dir)
{
    char buf[64];
    int n = cg_read(dir, "cgroup.procs", buf, sizeof buf);
    return n <= 0;
}

int cg_create(struct cg_set *set, const struct oci_resources *res, const struct ctr_log *log,
              struct ctr_err *err)
{
    for (int i = 0; i < set->n; i++) {
        struct cg_dir *d = &set->dir[i];
        int created = make_dirs(d->path, err);
        if (created < 0)
            goto fail;
        d->created = created;
        if (!created && !procs_empty(d->path)) {
            ctr_fail(err, "cgroup %s already has processes in it", d->path);
            goto fail;
        }
        if (d->v2 ? cg_v2_prepare(d, err) < 0 : cg_v1_prepare(d, err) < 0)
            goto fail;
    }
    if (res && cg_apply(set, res, log, err) < 0)
        goto fail;
    return 0;
fail:;
    struct ctr_err ignored;
    cg_destroy(set, &ignored);
    return -1;
}

int cg_attach(const struct cg_set *set, pid_t pid, struct ctr_err *err)
{
    char val[24];
    snprintf(val, sizeof val, "%d", (int)pid);
    for (int i = 0; i < set->n; i++)
        if (cg_write(set->dir[i].path, "cgroup.procs", val, err) < 0)
            return -1;
    return 0;
}

int cg_apply(const struct cg_set *set, const struct oci_resources *res,
             const struct ctr_log *log, struct ctr_err *err)
{
    switch (set->mode) {
    case CG_V2:
        return cg_v2_apply(&set->dir[0], res, false, log, err);
    case CG_V1:
        if (res->n_unified)
            return ctr_fail(err, "linux.resources.unified needs cgroup v2, this host has v1 only");
        return cg_v1_apply(set, res, log, err);
    case CG_HYBRID: {
        if (cg_v1_apply(set, res, log, err) < 0)
            return -1;
        const struct cg_dir *u = cg_find(set, "unified");
        if (!u)
            return 0;
        if (res->n_hugepages && !cg_find(set, "hugetlb") &&
            cg_v2_apply_hugetlb(u, res, err) < 0)
            return -1;
        return cg_v2_apply(u, res, true, log, err);
    }
    default:
        return 0;
    }
}

int cg_freeze(const struct cg_set *set, bool freeze, struct ctr_err *err)
{
    const struct cg_dir *d = set->mode == CG_V2 ? NULL : cg_find(set, "freezer");
    if (d) {
        const char *want = freeze ? "FROZEN" : "THAWED";
        for (int i = 0; i < 1000; i++) {
            if (cg_write(d->path, "freezer.state", want, err) < 0)
                return -1;
            char buf[32];
            if (cg_read(d->path, "freezer.state", buf, sizeof buf) > 0 && !strncmp(buf, want, strlen(want)))
                return 0;
            usleep(1000);
        }
        return ctr_fail(err, "cgroup: timed out waiting for the freezer");
    }
    d = cg_find(set, "unified");
    if (!d || !cg_has_file(d->path, "cgroup.freeze"))
        return ctr_fail(err, "no freezer cgroup available");
    if (cg_write(d->path, "cgroup.freeze", freeze ? "1" : "0", err) < 0)
        return -1;
    for (int i = 0; i < 1000; i++) {
        char buf[256];
        if (cg_read(d->path, "cgroup.events", buf, sizeof buf) > 0) {
            char *f = strstr(buf, "frozen ");
            if (f && (f[7] == '1') == freeze)
                return 0;
        }
        usleep(1000);
    }
    return ctr_fail(err, "cgroup: timed out waiting for the freezer");
}

int cg_frozen(const struct cg_set *set)
{
    char buf[256];
    const struct cg_dir *d = set->mode == CG_V2 ? NULL : cg_find(set, "freezer");
    if (d) {
        if (cg_read(d->path, "freezer.state", buf, sizeof buf) <= 0)
            return -1;
        return strncmp(buf, "THAWED", 6) != 0;
    }
    d = cg_find(set, "unified");
    if (!d || cg_read(d->path, "cgroup.freeze", buf, sizeof buf) <= 0)
        return -1;
    return buf[0] == '1';
}

int cg_pids(const struct cg_set *set, pid_t **pids, size_t *n, struct ctr_err *err)
{
    *pids = NULL;
    *n = 0;
    if (set->n == 0)
        return 0;
    const struct cg_dir *d = set->mode == CG_V2 ? &set->dir[0] : cg_find(set, "pids");
    if (!d)
        d = &set->dir[0];
    char path[CG_PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/cgroup.procs", d->path);
    FILE *f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        return ctr_fail_errno(err, "cgroup: read %s", path);
    }
    size_t cap = 0;
    long v;
    while (fscanf(f, "%ld", &v) == 1) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            pid_t *np = realloc(*pids, cap * sizeof *np);
            if (!np) {
                fclose(f);
                return ctr_fail(err, "out of memory");
            }
            *pids = np;
        }
        (*pids)[(*n)++] = (pid_t)v;
    }
    fclose(f);
    return 0;
}

int cg_signal_all(const struct cg_set *set, int sig, struct ctr_err *err)
{
    const struct cg_dir *u = cg_find(set, "unified");
    if (sig == SIGKILL && set->mode == CG_V2 && u && cg_has_file(u->path, "cgroup.kill"))
        return cg_write(u->path, "cgroup.kill", "1", err);
    pid_t *pids;
    size_t n;
    if (cg_pids(set, &pids, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        kill(pids[i], sig);
    free(pids);
    return 0;
}

json_object *cg_to_json(const struct cg_set *set)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "mode", json_object_new_string(cg_mode_name(set->mode)));
    json_object *arr = json_object_new_array();
    for (int i = 0; i < set->n; i++) {
        json_object *d = json_object_new_object();
        json_object_object_add(d, "key", json_object_new_string(set->dir[i].key));
        json_object_object_add(d, "path", json_object_new_string(set->dir[i].path));
        json_object_object_add(d, "mount", json_object_new_string(set->dir[i].mount));
        json_object_object_add(d, "options", json_object_new_string(set->dir[i].options));
        json_object_object_add(d, "created", json_object_new_int(set->dir[i].created));
        json_object_object_add(d, "v2", json_object_new_boolean(set->dir[i].v2));
        json_object_array_add(arr, d);
    }
    json_object_object_add(o, "dirs", arr);
    return o;
}

int cg_from_json(json_object *obj, struct cg_set *set, struct ctr_err *err)
{
    memset(set, 0, sizeof *set);
    char *mode = NULL;
    if (ju_str(obj, "mode", "cgroup", &mode, err) < 0)
        return -1;
    set->mode = !mode ? CG_NONE : !strcmp(mode, "v1") ? CG_V1 : !strcmp(mode, "hybrid") ? CG_HYBRID
              : !strcmp(mode, "v2") ? CG_V2 : CG_NONE;
    free(mode);
    json_object *arr;
    size_t n;
    if (ju_arr(obj, "dirs", "cgroup", CG_MAX_HIER, &arr, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n && arr; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        struct cg_dir *d = &set->dir[set->n];
        char *key = NULL, *path = NULL, *mnt = NULL, *opts = NULL;
        int64_t created = 0;
        bool v2 = false;
        if (ju_str(e, "mount", "cgroup", &mnt, err) < 0 || ju_str(e, "options", "cgroup", &opts, err) < 0) {
            free(mnt);
            return -1;
        }
        snprintf(d->mount, sizeof d->mount, "%s", mnt ? mnt : "");
        snprintf(d->options, sizeof d->options, "%s", opts ? opts : "");
        free(mnt);
        free(opts);
        if (ju_str(e, "key", "cgroup", &key, err) < 0 || ju_str(e, "path", "cgroup", &path, err) < 0 ||
            ju_i64(e, "created", "cgroup", CG_CREATED_UNKNOWN, 4096, &created, err) < 0 ||
            ju_bool(e, "v2", "cgroup", &v2, err) < 0 || !key || !path) {
            free(key);
            free(path);
            return ctr_fail(err, "state: bad cgroup entry");
        }
        snprintf(d->key, sizeof d->key, "%s", key);
        snprintf(d->path, sizeof d->path, "%s", path);
        d->created = (int)created;
        d->v2 = v2;
        set->n++;
        free(key);
        free(path);
    }
    return 0;
}
