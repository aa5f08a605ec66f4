/* In-root path resolution (see safe_path.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <linux/openat2.h>
#include "container/safe_path.h"

/* The kernel's own in-root resolution (Linux 5.6+): one syscall instead of
 * a walk.  -1 with errno (ENOSYS on older kernels: use the walk). */
static int open_in_root(int rootfd, const char *path, int flags)
{
    struct open_how how = {
        .flags = (uint64_t)(flags | O_CLOEXEC),
        .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
    };
    const char *rel = path;
    while (*rel == '/')
        rel++;
    return (int)syscall(SYS_openat2, rootfd, *rel ? rel : ".", &how, sizeof how);
}

#define MAX_SYMLINKS 40

struct buf { char *s; size_t len, cap; };

static int buf_reserve(struct buf *b, size_t extra)
{
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *n = realloc(b->s, cap);
    if (!n)
        return -1;
    b->s = n;
    b->cap = cap;
    return 0;
}

static int buf_set(struct buf *b, const char *a, size_t alen, const char *c)
{
    size_t clen = strlen(c);
    struct buf nb = { 0 };
    if (buf_reserve(&nb, alen + 1 + clen) < 0)
        return -1;
    memcpy(nb.s, a, alen);
    nb.s[alen] = '/';
    memcpy(nb.s + alen + 1, c, clen + 1);
    nb.len = alen + 1 + clen;
    free(b->s);
    *b = nb;
    return 0;
}

char *safe_resolve(int rootfd, const char *path, struct ctr_err *err)
{
    struct buf out = { 0 }, rest = { 0 };
    size_t pos = 0;
    int links = 0;
    if (buf_set(&rest, "", 0, path) < 0 || buf_reserve(&out, 1) < 0)
        goto oom;
    out.s[0] = '\0';
    while (pos < rest.len) {
        while (pos < rest.len && rest.s[pos] == '/')
            pos++;
        if (pos >= rest.len)
            break;
        size_t start = pos;
        while (pos < rest.len && rest.s[pos] != '/')
            pos++;
        size_t clen = pos - start;
        const char *comp = rest.s + start;
        if (clen == 1 && comp[0] == '.')
            continue;
        if (clen == 2 && comp[0] == '.' && comp[1] == '.') {
            char *slash = strrchr(out.s, '/');
            out.len = slash ? (size_t)(slash - out.s) : 0;
            out.s[out.len] = '\0';
            continue;
        }
        if (clen > NAME_MAX) {
            ctr_fail(err, "%s: path component too long", path);
            goto fail;
        }
        size_t old = out.len;
        if (buf_reserve(&out, clen + 1) < 0)
            goto oom;
        if (out.len)
            out.s[out.len++] = '/';
        memcpy(out.s + out.len, comp, clen);
        out.len += clen;
        out.s[out.len] = '\0';

        struct stat st;
        if (fstatat(rootfd, out.s, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT || errno == ENOTDIR)
                continue;       /* created later, or the open reports it */
            ctr_fail_errno(err, "resolve %s", path);
            goto fail;
        }
        if (!S_ISLNK(st.st_mode))
            continue;
        if (++links > MAX_SYMLINKS) {
            errno = ELOOP;
            ctr_fail_errno(err, "resolve %s", path);
            goto fail;
        }
        char target[PATH_MAX];
        ssize_t n = readlinkat(rootfd, out.s, target, sizeof target - 1);
        if (n < 0) {
            ctr_fail_errno(err, "readlink %s", out.s);
            goto fail;
        }
        target[n] = '\0';
        /* Replace the link by its target, relative to the link's directory
         * or (absolute target) to the container root. */
        out.len = old;
        out.s[out.len] = '\0';
        if (target[0] == '/') {
            out.len = 0;
            out.s[0] = '\0';
        }
        struct buf nr = { 0 };
        if (buf_set(&nr, target, (size_t)n, rest.s + pos) < 0)
            goto oom;
        free(rest.s);
        rest = nr;
        pos = 0;
    }
    free(rest.s);
    return out.s;
oom:
    ctr_fail(err, "out of memory");
fail:
    free(out.s);
    free(rest.s);
    return NULL;
}

/* Walk a symlink-free relative path with O_NOFOLLOW.  With `create`, make
 * missing directories.  Stops before the last component if `parent_only`. */
static int walk(int rootfd, char *rel, bool create, bool parent_only, char **last,
                const char *orig, struct ctr_err *err)
{
    int dfd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return ctr_fail_errno(err, "open container root");
    char *save = NULL, *comp = strtok_r(rel, "/", &save);
    while (comp) {
        char *next = strtok_r(NULL, "/", &save);
        if (!next && parent_only) {
            *last = strdup(comp);
            if (!*last) {
                close(dfd);
                return ctr_fail(err, "out of memory");
            }
            return dfd;
        }
        int fd = openat(dfd, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 && errno == ENOENT && create) {
            if (mkdirat(dfd, comp, 0755) < 0 && errno != EEXIST) {
                ctr_fail_errno(err, "mkdir %s (in %s)", comp, orig);
                close(dfd);
                return -1;
            }
            fd = openat(dfd, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
        }
        if (fd < 0) {
            if (errno == ELOOP)
                ctr_fail(err, "%s: path changed under us (symlink at %s)", orig, comp);
            else
                ctr_fail_errno(err, "open %s (in %s)", comp, orig);
            close(dfd);
            return -1;
        }
        close(dfd);
        dfd = fd;
        comp = next;
    }
    if (parent_only) {
        /* The root itself has no parent inside the container. */
        close(dfd);
        return ctr_fail(err, "%s: refers to the container root", orig);
    }
    return dfd;
}

int safe_open(int rootfd, const char *path, int flags, struct ctr_err *err)
{
    /* Symlinks, the last one too, resolve inside the root (as the walk's
     * safe_resolve does). */
    int fd = open_in_root(rootfd, path, flags);
    if (fd >= 0)
        return fd;
    if (errno != ENOSYS && errno != EINVAL && errno != E2BIG)
        return ctr_fail_errno(err, "open %s", path);
    char *rel = safe_resolve(rootfd, path, err);
    if (!rel)
        return -1;
    if (!*rel) {
        free(rel);
        fd = openat(rootfd, ".", (flags & ~O_NOFOLLOW) | O_CLOEXEC);
        if (fd < 0)
            ctr_fail_errno(err, "open %s", path);
        return fd;
    }
    char *name = NULL;
    int dfd = walk(rootfd, rel, false, true, &name, path, err);
    free(rel);
    if (dfd < 0)
        return -1;
    fd = openat(dfd, name, flags | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        ctr_fail_errno(err, "open %s", path);
    free(name);
    close(dfd);
    return fd;
}

int safe_open_parent(int rootfd, const char *path, char **name, struct ctr_err *err)
{
    /* Parent via openat2 when it exists; the name is used as is. */
    const char *slash = strrchr(path, '/');
    if (slash && slash[1] && strcmp(slash + 1, ".") && strcmp(slash + 1, "..")) {
        size_t plen = (size_t)(slash - path);
        char *parent = strndup(path, plen ? plen : 1);
        int pfd = parent ? open_in_root(rootfd, parent, O_PATH | O_DIRECTORY) : -1;
        free(parent);
        if (pfd >= 0) {
            *name = strdup(slash + 1);
            if (*name)
                return pfd;
            close(pfd);
            return ctr_fail(err, "out of memory");
        }
    }
    char *rel = safe_resolve(rootfd, path, err);
    if (!rel)
        return -1;
    int dfd = walk(rootfd, rel, true, true, name, path, err);
    free(rel);
    return dfd;
}

int safe_mkpath(int rootfd, const char *path, bool dir, mode_t mode, struct ctr_err *err)
{
    /* Usually it exists already: one openat2.  (A directory may be reached
     * through a symlink, like the walk's resolution; a file may not.) */
    int fast = open_in_root(rootfd, path, O_PATH | (dir ? O_DIRECTORY : O_NOFOLLOW));
    if (fast >= 0) {
        struct stat st;
        if (dir || (fstat(fast, &st) == 0 && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode)))
            return fast;
        close(fast);
    }
    char *rel = safe_resolve(rootfd, path, err);
    if (!rel)
        return -1;
    if (!*rel) {                    /* the root itself */
        free(rel);
        if (!dir)
            return ctr_fail(err, "%s: is the container root, not a file", path);
        return openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
    }
    if (dir) {
        int fd = walk(rootfd, rel, true, false, NULL, path, err);
        free(rel);
        return fd;
    }
    char *name = NULL;
    int dfd = walk(rootfd, rel, true, true, &name, path, err);
    free(rel);
    if (dfd < 0)
        return -1;
    int fd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
        /* O_PATH fd of the parent cannot create; reopen it for that. */
        int wfd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (wfd >= 0) {
            int cfd = openat(wfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode);
            if (cfd >= 0 || errno == EEXIST) {
                if (cfd >= 0)
                    close(cfd);
                fd = openat(wfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            }
            close(wfd);
        }
    }
    if (fd < 0)
        ctr_fail_errno(err, "create %s", path);
    free(name);
    close(dfd);
    return fd;
}

const char *safe_fd_path(int fd, char buf[SAFE_FD_PATH_MAX])
{
    snprintf(buf, SAFE_FD_PATH_MAX, "/proc/self/fd/%d", fd);
    return buf;
}
