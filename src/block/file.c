/* file.c — host file I/O for the block layer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include "block/file.h"
#include "block/iov.h"

#define DIRECT_ALIGN 4096u

static void set_err(char *err, const char *fmt, const char *a, const char *b)
{
    if (err)
        snprintf(err, BLK_ERR_LEN, fmt, a, b);
}

int bfile_open(struct bfile *f, const char *path, bool writable, bool create,
               enum blk_cache_mode cache, char *err)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    int flags = (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    if (create)
        flags |= O_CREAT;
    if (cache == BLK_CACHE_NONE)
        flags |= O_DIRECT;
    int fd = open(path, flags, 0644);
    if (fd < 0 && errno == EINVAL && (flags & O_DIRECT)) {
        set_err(err, "%s: the file system does not support cache=none (O_DIRECT)%s",
                path, "");
        return -EINVAL;
    }
    if (fd < 0) {
        int e = errno;
        set_err(err, "Could not open '%s': %s", path, strerror(e));
        return -e;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        set_err(err, "Could not open '%s': %s", path, "Is a directory");
        return -EISDIR;
    }
    f->fd = fd;
    f->path = strdup(path);
    f->writable = writable;
    f->direct = (flags & O_DIRECT) != 0;
    f->unsafe = cache == BLK_CACHE_UNSAFE;
    pthread_rwlock_init(&f->rmw, NULL);
    if (!f->path) {
        close(fd);
        f->fd = -1;
        return -ENOMEM;
    }
    return 0;
}

void bfile_close(struct bfile *f)
{
    if (f->fd >= 0) {
        close(f->fd);             /* also drops the OFD locks */
        pthread_rwlock_destroy(&f->rmw);
    }
    free(f->path);
    f->path = NULL;
    f->fd = -1;
}

/* ---- QEMU-compatible locking ------------------------------------------- */
/* Permission bits as QEMU numbers them; lock byte = base + bit index. */
enum { PERM_READ = 0, PERM_WRITE = 1, PERM_WRITE_UNCHANGED = 2, PERM_RESIZE = 3 };
#define LOCK_PERM_BASE   100
#define LOCK_SHARED_BASE 200

static const char *const perm_names[] = {
    "consistent read", "write", "write unchanged", "resize",
};

static int ofd_lock(int fd, off_t byte, short type, int cmd, short *held)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET,
                        .l_start = byte, .l_len = 1 };
    if (fcntl(fd, cmd, &fl) < 0)
        return -errno;
    if (held)
        *held = fl.l_type;
    return 0;
}

int bfile_lock(struct bfile *f, bool write, char *err)
{
    /* A writer uses READ|WRITE|RESIZE; everyone refuses to share WRITE and
     * RESIZE (readers need the content to stay put). */
    unsigned used = write ? (1u << PERM_READ | 1u << PERM_WRITE | 1u << PERM_RESIZE)
                          : 1u << PERM_READ;
    unsigned unshared = 1u << PERM_WRITE | 1u << PERM_RESIZE;
    int r;

    for (int i = 0; i < 4; i++) {
        if ((used >> i & 1) &&
            (r = ofd_lock(f->fd, LOCK_PERM_BASE + i, F_RDLCK, F_OFD_SETLK, NULL)) < 0)
            goto fail_set;
        if ((unshared >> i & 1) &&
            (r = ofd_lock(f->fd, LOCK_SHARED_BASE + i, F_RDLCK, F_OFD_SETLK, NULL)) < 0)
            goto fail_set;
    }
    /* Now look for others whose use conflicts with ours. */
    for (int i = 0; i < 4; i++) {
        short held = F_UNLCK;
        if (used >> i & 1) {
            r = ofd_lock(f->fd, LOCK_SHARED_BASE + i, F_WRLCK, F_OFD_GETLK, &held);
            if (r < 0)
                goto fail_set;
            if (held != F_UNLCK) {
                set_err(err, "Failed to get \"%s\" lock: is another process using "
                        "the image [%s]?", perm_names[i], f->path);
                goto busy;
            }
        }
        if (unshared >> i & 1) {
            r = ofd_lock(f->fd, LOCK_PERM_BASE + i, F_WRLCK, F_OFD_GETLK, &held);
            if (r < 0)
                goto fail_set;
            if (held != F_UNLCK) {
                set_err(err, "Failed to get shared \"%s\" lock: is another process "
                        "using the image [%s]?", perm_names[i], f->path);
                goto busy;
            }
        }
    }
    f->locked = true;
    return 0;

busy:
    {   /* drop every byte we took (l_len 0 = to EOF) */
        struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };
        fcntl(f->fd, F_OFD_SETLK, &fl);
    }
    return -EBUSY;
fail_set:
    if (r == -EINVAL || r == -ENOLCK || r == -EOPNOTSUPP)
        return 0;   /* file system without OFD locks: proceed unlocked, like QEMU */
    set_err(err, "Failed to lock '%s': %s", f->path, strerror(-r));
    return r;
}

/* ---- Plain I/O ---------------------------------------------------------- */

static bool iov_aligned(const struct iovec *iov, int cnt, uint64_t off)
{
    if (off % DIRECT_ALIGN)
        return false;
    for (int i = 0; i < cnt; i++)
        if ((uintptr_t)iov[i].iov_base % DIRECT_ALIGN || iov[i].iov_len % DIRECT_ALIGN)
            return false;
    return true;
}

/* preadv until done; zero-fill past EOF. */
static int raw_preadv(int fd, const struct iovec *iov, int cnt, uint64_t off)
{
    struct iovec local[64];
    size_t total = iov_size(iov, cnt), done = 0;
    while (done < total) {
        ssize_t n;
        if (done == 0) {
            n = preadv(fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt, (off_t)off);
        } else {
            struct iovec *w = cnt <= 64 ? local : malloc(sizeof *w * cnt);
            if (!w)
                return -ENOMEM;
            int wc = iov_window(iov, cnt, done, total - done, w);
            n = preadv(fd, w, wc > IOV_MAX ? IOV_MAX : wc, (off_t)(off + done));
            if (w != local)
                free(w);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0) {
            iov_memset(iov, cnt, done, 0, total - done);
            return 0;
        }
        done += (size_t)n;
    }
    return 0;
}

static int raw_pwritev(int fd, const struct iovec *iov, int cnt, uint64_t off)
{
    struct iovec local[64];
    size_t total = iov_size(iov, cnt), done = 0;
    while (done < total) {
        ssize_t n;
        if (done == 0) {
            n = pwritev(fd, iov, cnt > IOV_MAX ? IOV_MAX : cnt, (off_t)off);
        } else {
            struct iovec *w = cnt <= 64 ? local : malloc(sizeof *w * cnt);
            if (!w)
                return -ENOMEM;
            int wc = iov_window(iov, cnt, done, total - done, w);
            n = pwritev(fd, w, wc > IOV_MAX ? IOV_MAX : wc, (off_t)(off + done));
            if (w != local)
                free(w);
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (n == 0)
            return -EIO;
        done += (size_t)n;
    }
    return 0;
}

/* O_DIRECT with an unaligned request: go through an aligned bounce buffer,
 * reading the partial blocks at either end first when writing. */
static int bounce_io(struct bfile *f, const struct iovec *iov, int cnt,
                     uint64_t off, bool write)
{
    size_t len = iov_size(iov, cnt);
    uint64_t start = off & ~(uint64_t)(DIRECT_ALIGN - 1);
    uint64_t end = (off + len + DIRECT_ALIGN - 1) & ~(uint64_t)(DIRECT_ALIGN - 1);
    size_t span = (size_t)(end - start);
    void *bounce;
    if (posix_memalign(&bounce, DIRECT_ALIGN, span))
        return -ENOMEM;
    struct iovec biov = { bounce, span };
    int r = 0;
    if (!write) {
        r = raw_preadv(f->fd, &biov, 1, start);
        if (r == 0)
            iov_from_buf(iov, cnt, 0, (char *)bounce + (off - start), len);
    } else {
        pthread_rwlock_wrlock(&f->rmw);
        if (start != off || end != off + len)
            r = raw_preadv(f->fd, &biov, 1, start);
        if (r == 0) {
            iov_to_buf(iov, cnt, 0, (char *)bounce + (off - start), len);
            /* don't extend the file past the caller's end */
            struct stat st;
            if (fstat(f->fd, &st) == 0 && (uint64_t)st.st_size < end &&
                (uint64_t)st.st_size < off + len) {
                r = raw_pwritev(f->fd, &biov, 1, start);
                if (r == 0 && ftruncate(f->fd, (off_t)(off + len)) < 0)
                    r = -errno;
            } else {
                r = raw_pwritev(f->fd, &biov, 1, start);
            }
        }
        pthread_rwlock_unlock(&f->rmw);
    }
    free(bounce);
    return r;
}

int bfile_preadv_nowait(struct bfile *f, const struct iovec *iov, int cnt, uint64_t off,
                        size_t len)
{
    /* O_DIRECT always waits for the device; a short read (part cached, or
     * end of file) is left to bfile_preadv, which finishes or zero-fills. */
    if (f->direct || cnt > IOV_MAX)
        return -EAGAIN;
    ssize_t n = preadv2(f->fd, iov, cnt, (off_t)off, RWF_NOWAIT);
    return n >= 0 && (size_t)n == len ? 0 : -EAGAIN;
}

int bfile_preadv(struct bfile *f, const struct iovec *iov, int cnt, uint64_t off)
{
    if (f->direct && !iov_aligned(iov, cnt, off))
        return bounce_io(f, iov, cnt, off, false);
    return raw_preadv(f->fd, iov, cnt, off);
}

int bfile_pwritev(struct bfile *f, const struct iovec *iov, int cnt, uint64_t off)
{
    if (!f->writable)
        return -EROFS;
    if (f->direct) {
        if (!iov_aligned(iov, cnt, off))
            return bounce_io(f, iov, cnt, off, true);
        pthread_rwlock_rdlock(&f->rmw);
        int r = raw_pwritev(f->fd, iov, cnt, off);
        pthread_rwlock_unlock(&f->rmw);
        return r;
    }
    return raw_pwritev(f->fd, iov, cnt, off);
}

int bfile_pread(struct bfile *f, void *buf, size_t len, uint64_t off)
{
    struct iovec v = { buf, len };
    return bfile_preadv(f, &v, 1, off);
}

int bfile_pwrite(struct bfile *f, const void *buf, size_t len, uint64_t off)
{
    struct iovec v = { (void *)buf, len };
    return bfile_pwritev(f, &v, 1, off);
}

int bfile_sync(struct bfile *f)
{
    if (f->unsafe || !f->writable)
        return 0;
    while (fdatasync(f->fd) < 0) {
        if (errno != EINTR)
            return -errno;
    }
    return 0;
}

int64_t bfile_size(struct bfile *f)
{
    struct stat st;
    if (fstat(f->fd, &st) < 0)
        return -errno;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(f->fd, 0, SEEK_END);
        return end < 0 ? -errno : (int64_t)end;
    }
    return (int64_t)st.st_size;
}

int64_t bfile_allocated(struct bfile *f)
{
    struct stat st;
    if (fstat(f->fd, &st) < 0)
        return -errno;
    return (int64_t)st.st_blocks * 512;
}

int bfile_truncate(struct bfile *f, uint64_t size)
{
    if (!f->writable)
        return -EROFS;
    return ftruncate(f->fd, (off_t)size) < 0 ? -errno : 0;
}

int bfile_zero(struct bfile *f, uint64_t off, uint64_t len, bool punch)
{
    if (!f->writable)
        return -EROFS;
    if (len == 0)
        return 0;
    int64_t fsize = bfile_size(f);
    if (fsize < 0)
        return (int)fsize;
    if (off >= (uint64_t)fsize)
        return 0;                 /* already reads as zero */
    if (off + len > (uint64_t)fsize)
        len = (uint64_t)fsize - off;
    int mode = punch ? (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) : FALLOC_FL_ZERO_RANGE;
    if (fallocate(f->fd, mode, (off_t)off, (off_t)len) == 0)
        return 0;
    if (!punch && fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                            (off_t)off, (off_t)len) == 0)
        return 0;
    /* Fall back to writing zeroes. */
    size_t chunk = 1u << 20;
    void *z;
    if (posix_memalign(&z, DIRECT_ALIGN, chunk))
        return -ENOMEM;
    memset(z, 0, chunk);
    int r = 0;
    while (len > 0 && r == 0) {
        size_t n = len < chunk ? (size_t)len : chunk;
        r = bfile_pwrite(f, z, n, off);
        off += n;
        len -= n;
    }
    free(z);
    return r;
}

int bfile_fallocate(struct bfile *f, uint64_t off, uint64_t len)
{
    if (!f->writable)
        return -EROFS;
    if (len == 0)
        return 0;
    int r = posix_fallocate(f->fd, (off_t)off, (off_t)len);
    return r ? -r : 0;
}

int bfile_data_status(struct bfile *f, uint64_t off, uint64_t len,
                      bool *data, uint64_t *pnum)
{
    off_t d = lseek(f->fd, (off_t)off, SEEK_DATA);
    if (d < 0) {
        if (errno == ENXIO) {          /* hole up to EOF (or past EOF) */
            *data = false;
            *pnum = len;
            return 0;
        }
        *data = true;                  /* no SEEK_DATA support */
        *pnum = len;
        return 0;
    }
    if ((uint64_t)d > off) {
        *data = false;
        *pnum = (uint64_t)d - off < len ? (uint64_t)d - off : len;
        return 0;
    }
    off_t h = lseek(f->fd, (off_t)off, SEEK_HOLE);
    *data = true;
    if (h < 0 || (uint64_t)h <= off)
        *pnum = len;
    else
        *pnum = (uint64_t)h - off < len ? (uint64_t)h - off : len;
    return 0;
}
