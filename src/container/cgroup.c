/* Cgroup creation and the operations shared by both cgroup versions
 * (see cgroup.h; discovery and planning are in cgroup_layout.c). */
#include <dirent.h>
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

/* Sub-cgroups the container made itself (nested runtimes, systemd) go
 * first, deepest first; a cgroup directory holds only them and files. */
static void rmdir_children(const char *path, int depth)
{
    if (depth > 32)
        return;
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char sub[CG_PATH_MAX + 256];
        snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
        rmdir_children(sub, depth + 1);
        rmdir(sub);
    }
    closedir(d);
}

static int rmdir_retry(const char *path)
{
    struct timespec ts = { 0, 1000000 };
    for (int i = 0; i < 200; i++) {
        if (rmdir(path) == 0 || errno == ENOENT)
            return 0;
        if (errno != EBUSY && errno != ENOTEMPTY)
            return -1;
        /* v1 says EBUSY both for live tasks and for child cgroups. */
        if (i == 0 || errno == ENOTEMPTY)
            rmdir_children(path, 0);
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
