/* Namespace helpers (see namespaces.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/nsfs.h>
#include "container/names.h"
#include "container/namespaces.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

bool ns_supported(int kind)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/ns/%s", names_ns_proc(kind));
    return access(path, F_OK) == 0;
}

void ns_close_all(int fds[NS_COUNT])
{
    for (int i = 0; i < NS_COUNT; i++) {
        if (fds[i] >= 0)
            close(fds[i]);
        fds[i] = -1;
    }
}

int ns_open_paths(const struct oci_linux *l, int fds[NS_COUNT], struct ctr_err *err)
{
    for (int i = 0; i < NS_COUNT; i++)
        fds[i] = -1;
    for (int i = 0; i < NS_COUNT; i++) {
        if (!l->ns[i].enabled)
            continue;
        if (!l->ns[i].path) {
            if (!ns_supported(i)) {
                ns_close_all(fds);
                return ctr_fail(err, "%s namespaces are not supported by this kernel",
                                names_ns_spec(i));
            }
            continue;
        }
        int fd = open(l->ns[i].path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            ctr_fail_errno(err, "open %s namespace %s", names_ns_spec(i), l->ns[i].path);
            ns_close_all(fds);
            return -1;
        }
        int type = ioctl(fd, NS_GET_NSTYPE);
        if (type < 0 || type != names_ns_clone_flag(i)) {
            ctr_fail(err, "%s is not a %s namespace", l->ns[i].path, names_ns_spec(i));
            close(fd);
            ns_close_all(fds);
            return -1;
        }
        fds[i] = fd;
    }
    return 0;
}

/* Is the namespace behind fd the one of /proc/<who>/ns/<kind>? */
static bool same_ns(int fd, const char *who, int kind)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%s/ns/%s", who, names_ns_proc(kind));
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

bool ns_is_host(int fd, int kind)
{
    return same_ns(fd, "self", kind) || same_ns(fd, "1", kind);
}

int ns_join(int fds[NS_COUNT], bool skip_user, struct ctr_err *err)
{
    /* User first (it grants the rights to join the others), mount last
     * (it changes what paths mean). */
    static const int order[NS_COUNT] = { NS_USER, NS_IPC, NS_UTS, NS_NET, NS_PID, NS_CGROUP,
                                         NS_TIME, NS_MNT };
    for (int k = 0; k < NS_COUNT; k++) {
        int i = order[k];
        if (fds[i] < 0 || (i == NS_USER && skip_user))
            continue;
        if (setns(fds[i], names_ns_clone_flag(i)) < 0)
            return ctr_fail_errno(err, "join %s namespace", names_ns_spec(i));
        close(fds[i]);
        fds[i] = -1;
    }
    return 0;
}

static int write_proc(pid_t pid, const char *file, const char *data, struct ctr_err *err)
{
    char path[64];
    if (pid == 0)           /* ourselves: getpid() may be from another pid ns */
        snprintf(path, sizeof path, "/proc/self/%s", file);
    else
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return ctr_fail_errno(err, "open %s", path);
    size_t len = strlen(data);
    ssize_t w = write(fd, data, len);
    int saved = errno;
    close(fd);
    if (w < 0 || (size_t)w != len) {
        errno = w < 0 ? saved : EIO;
        return ctr_fail_errno(err, "write %s", path);
    }
    return 0;
}

static int format_map(const struct oci_idmap *m, size_t n, char *buf, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + o, size - o, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
        if (w < 0 || (size_t)w >= size - o)
            return -1;
        o += (size_t)w;
    }
    return 0;
}

static int write_maps(pid_t pid, const struct oci_idmap *u, size_t nu, const struct oci_idmap *g,
                      size_t ng, bool deny_setgroups, struct ctr_err *err)
{
    char buf[340 * 36 + 1];
    if (format_map(u, nu, buf, sizeof buf) < 0)
        return ctr_fail(err, "uid mappings too long");
    if (write_proc(pid, "uid_map", buf, err) < 0)
        return ctr_wrap(err, "cannot map user ids (are the host ids in range and unused?)");
    if (deny_setgroups && write_proc(pid, "setgroups", "deny", err) < 0)
        return -1;
    if (format_map(g, ng, buf, sizeof buf) < 0)
        return ctr_fail(err, "gid mappings too long");
    if (write_proc(pid, "gid_map", buf, err) < 0)
        return ctr_wrap(err, "cannot map group ids");
    return 0;
}

int ns_write_idmaps(pid_t pid, const struct oci_linux *l, bool deny_setgroups, struct ctr_err *err)
{
    return write_maps(pid, l->uid_maps, l->n_uid_maps, l->gid_maps, l->n_gid_maps,
                      deny_setgroups, err);
}

int ns_make_userns_fd(const struct oci_idmap *u, size_t nu, const struct oci_idmap *g, size_t ng,
                      struct ctr_err *err)
{
    /* A short-lived child owns the namespace while we map it and take an
     * fd to it; the fd keeps the namespace alive afterwards. */
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return ctr_fail_errno(err, "pipe");
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return ctr_fail_errno(err, "fork");
    }
    if (pid == 0) {
        char c;
        close(p[1]);
        if (unshare(CLONE_NEWUSER) < 0)
            _exit(1);
        /* Wait until the parent is done (it closes its end). */
        while (read(p[0], &c, 1) < 0 && errno == EINTR)
            ;
        _exit(0);
    }
    close(p[0]);
    /* The child has unshared once its user namespace differs from ours. */
    char mine[64], theirs[64], path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/user", (int)pid);
    ssize_t a = readlink("/proc/self/ns/user", mine, sizeof mine - 1);
    mine[a > 0 ? a : 0] = '\0';
    int fd = -1;
    for (int i = 0; i < 10000; i++) {
        ssize_t b = readlink(path, theirs, sizeof theirs - 1);
        if (b < 0)
            break;
        theirs[b] = '\0';
        if (strcmp(mine, theirs))
            break;
        usleep(100);
    }
    if (write_maps(pid, u, nu, g, ng, false, err) == 0) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            ctr_fail_errno(err, "open %s", path);
    }
    close(p[1]);
    while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
        ;
    return fd;
}

int ns_enter_new_timens(const struct oci_linux *l, struct ctr_err *err)
{
    if (unshare(CLONE_NEWTIME) < 0)
        return ctr_fail_errno(err, "create time namespace");
    char buf[128] = "";
    size_t o = 0;
    for (size_t i = 0; i < l->n_time_offsets; i++) {
        const struct oci_time_offset *t = &l->time_offsets[i];
        int w = snprintf(buf + o, sizeof buf - o, "%s %lld %u\n",
                         t->clock == CLOCK_MONOTONIC ? "monotonic" : "boottime",
                         (long long)t->secs, t->nanosecs);
        if (w < 0 || (size_t)w >= sizeof buf - o)
            return ctr_fail(err, "time offsets too long");
        o += (size_t)w;
    }
    if (o && write_proc(0, "timens_offsets", buf, err) < 0)
        return -1;
    /* The new namespace only applies to children; enter it ourselves. */
    int fd = open("/proc/self/ns/time_for_children", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ctr_fail_errno(err, "open time namespace");
    int r = setns(fd, CLONE_NEWTIME);
    close(fd);
    if (r < 0)
        return ctr_fail_errno(err, "enter time namespace");
    return 0;
}
