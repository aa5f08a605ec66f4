/* Container state files (see state.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "container/jsonu.h"
#include "container/state.h"

const char *state_status_name(enum ctr_status st)
{
    static const char *const names[] = { "creating", "created", "running", "paused", "stopped" };
    return names[st];
}

void state_default_root(char *buf, size_t size)
{
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (geteuid() != 0 && xdg && *xdg)
        snprintf(buf, size, "%s/vessel-runc", xdg);
    else
        snprintf(buf, size, "/run/vessel-runc");
}

bool state_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n > CTR_ID_MAX || !strcmp(id, ".") || !strcmp(id, ".."))
        return false;
    for (const char *p = id; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("_+.-", *p))
            return false;
    return true;
}

static int mkdir_p(const char *path, mode_t mode)
{
    if (mkdir(path, mode) == 0 || errno == EEXIST)
        return 0;
    if (errno != ENOENT)
        return -1;
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    char *s = strrchr(tmp, '/');
    if (!s || s == tmp)
        return -1;
    *s = '\0';
    if (mkdir_p(tmp, mode) < 0)
        return -1;
    return mkdir(path, mode) == 0 || errno == EEXIST ? 0 : -1;
}

int state_dir_create(const char *root, const char *id, struct ctr_err *err)
{
    int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) {
        if (mkdir_p(root, 0711) < 0)
            return ctr_fail_errno(err, "create state root %s", root);
        rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (rootfd < 0)
            return ctr_fail_errno(err, "open state root %s", root);
    }
    if (mkdirat(rootfd, id, 0711) < 0) {
        if (errno == EEXIST)
            ctr_fail(err, "container with id exists: %s", id);
        else
            ctr_fail_errno(err, "create state directory %s/%s", root, id);
        close(rootfd);
        return -1;
    }
    int fd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        ctr_fail_errno(err, "open state directory %s/%s", root, id);
    close(rootfd);
    return fd;
}

int state_dir_open(const char *root, const char *id, struct ctr_err *err)
{
    char path[4096 + CTR_ID_MAX];
    snprintf(path, sizeof path, "%s/%s", root, id);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return ctr_fail(err, "container does not exist");
        return ctr_fail_errno(err, "open %s", path);
    }
    return fd;
}

int state_dir_remove(const char *root, const char *id, struct ctr_err *err)
{
    char path[4096 + CTR_ID_MAX];
    snprintf(path, sizeof path, "%s/%s", root, id);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT ? 0 : ctr_fail_errno(err, "open %s", path);
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return ctr_fail_errno(err, "read %s", path);
    }
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            unlinkat(fd, e->d_name, 0);
    closedir(d);
    if (rmdir(path) < 0 && errno != ENOENT)
        return ctr_fail_errno(err, "remove %s", path);
    return 0;
}

int state_write_file(int dirfd, const char *name, const char *data, size_t len,
                     struct ctr_err *err)
{
    char tmp[256];
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return ctr_fail_errno(err, "write state file %s", name);
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            ctr_fail_errno(err, "write state file %s", name);
            close(fd);
            unlinkat(dirfd, tmp, 0);
            return -1;
        }
        off += (size_t)w;
    }
    close(fd);
    if (renameat(dirfd, tmp, dirfd, name) < 0) {
        ctr_fail_errno(err, "write state file %s", name);
        unlinkat(dirfd, tmp, 0);
        return -1;
    }
    return 0;
}

const char *state_json_text(json_object *o, bool pretty)
{
    int flags = JSON_C_TO_STRING_NOSLASHESCAPE;
    flags |= pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED : JSON_C_TO_STRING_PLAIN;
    return json_object_to_json_string_ext(o, flags);
}

static json_object *annotations_json(const struct ctr_state *st)
{
    json_object *a = json_object_new_object();
    for (size_t i = 0; i < st->n_annotations; i++)
        json_object_object_add(a, st->annotations[i].key,
                               json_object_new_string(st->annotations[i].value));
    return a;
}

int state_save(int dirfd, const struct ctr_state *st, struct ctr_err *err)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "id", json_object_new_string(st->id));
    json_object_object_add(o, "pid", json_object_new_int(st->pid));
    json_object_object_add(o, "pid_start", json_object_new_uint64(st->pid_start));
    json_object_object_add(o, "bundle", json_object_new_string(st->bundle ? st->bundle : ""));
    json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs ? st->rootfs : ""));
    json_object_object_add(o, "created", json_object_new_string(st->created));
    json_object_object_add(o, "creating", json_object_new_boolean(st->creating));
    json_object_object_add(o, "rootless", json_object_new_boolean(st->rootless));
    json_object_object_add(o, "systemd", json_object_new_boolean(st->systemd));
    json_object_object_add(o, "has_poststart", json_object_new_boolean(st->has_poststart));
    json_object_object_add(o, "has_poststop", json_object_new_boolean(st->has_poststop));
    json_object_object_add(o, "own_pidns", json_object_new_boolean(st->own_pidns));
    json_object_object_add(o, "annotations", annotations_json(st));
    json_object_object_add(o, "cgroup", cg_to_json(&st->cgroup));
    const char *text = state_json_text(o, false);
    int r = state_write_file(dirfd, "state.json", text, strlen(text), err);
    json_object_put(o);
    return r;
}

int state_load(int dirfd, struct ctr_state *st, struct ctr_err *err)
{
    memset(st, 0, sizeof *st);
    int fd = openat(dirfd, "state.json", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        if (errno == ENOENT)
            return ctr_fail(err, "container does not exist");
        return ctr_fail_errno(err, "open state.json");
    }
    char buf[65536];
    size_t len = 0;
    char *big = NULL;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            break;
        len += (size_t)r;
        if (len == sizeof buf - 1) {
            /* Large annotations: fall back to reading the whole file. */
            close(fd);
            char procpath[64];
            snprintf(procpath, sizeof procpath, "/proc/self/fd/%d/state.json", dirfd);
            big = ju_read_file(procpath, 16 << 20, &len, err);
            if (!big)
                return -1;
            fd = -1;
            break;
        }
    }
    if (fd >= 0)
        close(fd);
    buf[len] = '\0';
    json_object *o = ju_parse(big ? big : buf, len, "state.json", err);
    free(big);
    if (!o)
        return -1;
    int64_t pid = 0;
    uint64_t start = 0;
    const char *w = "state";
    int ret = -1;
    json_object *ann, *cg;
    if (ju_str(o, "id", w, &st->id, err) < 0 || ju_i64(o, "pid", w, 0, INT32_MAX, &pid, err) < 0 ||
        ju_u64(o, "pid_start", w, UINT64_MAX, &start, err) < 0 ||
        ju_str(o, "bundle", w, &st->bundle, err) < 0 || ju_str(o, "rootfs", w, &st->rootfs, err) < 0 ||
        ju_bool(o, "creating", w, &st->creating, err) < 0 ||
        ju_bool(o, "rootless", w, &st->rootless, err) < 0 ||
        ju_bool(o, "systemd", w, &st->systemd, err) < 0 ||
        ju_bool(o, "has_poststart", w, &st->has_poststart, err) < 0 ||
        ju_bool(o, "has_poststop", w, &st->has_poststop, err) < 0 ||
        ju_bool(o, "own_pidns", w, &st->own_pidns, err) < 0)
        goto out;
    st->pid = (pid_t)pid;
    st->pid_start = start;
    char *created = NULL;
    if (ju_str(o, "created", w, &created, err) < 0)
        goto out;
    snprintf(st->created, sizeof st->created, "%s", created ? created : "");
    free(created);
    if (ju_obj(o, "annotations", w, &ann, err) > 0) {
        size_t n = (size_t)json_object_object_length(ann);
        st->annotations = calloc(n ? n : 1, sizeof *st->annotations);
        if (!st->annotations)
            goto out;
        json_object_object_foreach(ann, k, v) {
            struct oci_kv *kv = &st->annotations[st->n_annotations];
            if (ju_as_str(v, "annotation", &kv->value, err) < 0)
                goto out;
            kv->key = strdup(k);
            st->n_annotations++;
        }
    }
    if (ju_obj(o, "cgroup", w, &cg, err) > 0 && cg_from_json(cg, &st->cgroup, err) < 0)
        goto out;
    if (!st->id)
        st->id = strdup("");
    ret = 0;
out:
    json_object_put(o);
    if (ret < 0)
        state_free(st);
    return ret;
}

void state_free(struct ctr_state *st)
{
    free(st->id);
    free(st->bundle);
    free(st->rootfs);
    for (size_t i = 0; i < st->n_annotations; i++) {
        free(st->annotations[i].key);
        free(st->annotations[i].value);
    }
    free(st->annotations);
    memset(st, 0, sizeof *st);
}

int proc_start_time(pid_t pid, unsigned long long *start, char *state_char)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    /* comm may contain spaces and parentheses: fields start after the last ')'. */
    char *p = strrchr(buf, ')');
    if (!p || p[1] != ' ')
        return -1;
    p += 2;
    if (state_char)
        *state_char = *p;
    for (int field = 3; field < 22; field++) {
        p = strchr(p, ' ');
        if (!p)
            return -1;
        p++;
    }
    *start = strtoull(p, NULL, 10);
    return 0;
}

bool proc_alive(pid_t pid, unsigned long long start)
{
    if (pid <= 0)
        return false;
    unsigned long long now;
    char sc;
    if (proc_start_time(pid, &now, &sc) < 0)
        return false;
    if (sc == 'Z' || sc == 'X')
        return false;
    return now == start;
}

enum ctr_status state_status(int dirfd, const struct ctr_state *st)
{
    if (!proc_alive(st->pid, st->pid_start))
        return ST_STOPPED;
    if (st->creating)
        return ST_CREATING;
    if (faccessat(dirfd, "exec.sock", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
        return ST_CREATED;
    if (cg_frozen(&st->cgroup) == 1)
        return ST_PAUSED;
    return ST_RUNNING;
}

json_object *state_oci_json(const struct ctr_state *st, enum ctr_status status,
                            pid_t pid_override, bool extended)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "ociVersion", json_object_new_string(VESSEL_OCI_VERSION));
    json_object_object_add(o, "id", json_object_new_string(st->id));
    pid_t pid = pid_override >= 0 ? pid_override : status == ST_STOPPED ? 0 : st->pid;
    json_object_object_add(o, "pid", json_object_new_int(pid));
    json_object_object_add(o, "status", json_object_new_string(state_status_name(status)));
    json_object_object_add(o, "bundle", json_object_new_string(st->bundle ? st->bundle : ""));
    if (extended) {
        json_object_object_add(o, "rootfs", json_object_new_string(st->rootfs ? st->rootfs : ""));
        json_object_object_add(o, "created", json_object_new_string(st->created));
        json_object_object_add(o, "owner", json_object_new_string(""));
    }
    if (st->n_annotations)
        json_object_object_add(o, "annotations", annotations_json(st));
    return o;
}

void state_now_rfc3339(char *buf, size_t size)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char base[32];
    strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, size, "%s.%09ldZ", base, ts.tv_nsec);
}
