/*
 * virtio_9p_fs.c — reaching files of an exported directory and nothing
 * else: see virtio_9p.h for the rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "dev/virtio_9p.h"

int p9fs_root_open(struct p9_root *r, const char *dir, char *err, size_t errlen)
{
    r->fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) < 0) {
        snprintf(err, errlen, "%s", errno == ENOTDIR ? "not a directory" : strerror(errno));
        if (r->fd >= 0)
            close(r->fd);
        r->fd = -1;
        return -1;
    }
    r->dev = st.st_dev;
    return 0;
}

void p9fs_root_close(struct p9_root *r)
{
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

bool p9fs_valid_name(const char *name)
{
    return name[0] && strcmp(name, ".") && strcmp(name, "..") && !strchr(name, '/') &&
           strlen(name) <= NAME_MAX;
}

/* Without openat2: one component at a time, never following a symlink. */
static int open_walk(const struct p9_root *r, const char *rel, int flags, mode_t mode)
{
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", rel) >= (int)sizeof path)
        return -ENAMETOOLONG;
    int dfd = dup(r->fd);
    if (dfd < 0)
        return -errno;
    char *save = NULL, *comp = strtok_r(path, "/", &save);
    if (!comp) {
        int fd = openat(dfd, ".", flags | O_NOFOLLOW | O_CLOEXEC, mode);
        int e = errno;
        close(dfd);
        return fd < 0 ? -e : fd;
    }
    for (;;) {
        char *next = strtok_r(NULL, "/", &save);
        if (!p9fs_valid_name(comp)) {
            close(dfd);
            return -EINVAL;
        }
        int fd = next ? openat(dfd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                      : openat(dfd, comp, flags | O_NOFOLLOW | O_CLOEXEC, mode);
        int e = errno;
        close(dfd);
        if (fd < 0)
            return -e;
        if (!next)
            return fd;
        dfd = fd;
        comp = next;
    }
}

int p9fs_open(const struct p9_root *r, const char *rel, int flags, mode_t mode)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_NOFOLLOW | O_CLOEXEC),
        .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
        .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    long fd = syscall(SYS_openat2, r->fd, rel[0] ? rel : ".", &how, sizeof how);
    if (fd >= 0)
        return (int)fd;
    if (errno == ENOSYS)
        return open_walk(r, rel, flags, mode);
    return -errno;
}

int p9fs_open_parent(const struct p9_root *r, const char *rel, const char **base)
{
    const char *slash = strrchr(rel, '/');
    if (!rel[0]) {
        *base = ".";
        return p9fs_open(r, "", O_PATH | O_DIRECTORY, 0);
    }
    if (!slash) {
        *base = rel;
        return p9fs_open(r, "", O_PATH | O_DIRECTORY, 0);
    }
    char parent[PATH_MAX];
    size_t n = (size_t)(slash - rel);
    if (n >= sizeof parent)
        return -ENAMETOOLONG;
    memcpy(parent, rel, n);
    parent[n] = '\0';
    *base = slash + 1;
    return p9fs_open(r, parent, O_PATH | O_DIRECTORY, 0);
}
