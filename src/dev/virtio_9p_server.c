/*
 * virtio_9p_server.c — a 9P2000.L file server for one exported host
 * directory, with the operations the Linux v9fs client uses.
 *
 * A fid names an object by its path relative to the export (see
 * virtio_9p.h: every open is confined beneath the export and follows no
 * symlink); an opened fid also holds a host fd.  Requests are answered
 * one at a time, in order, so Tflush has nothing to cancel.
 *
 * Host-safety rules beyond confinement: the guest cannot create device
 * nodes, set-user/group-ID bits are dropped, special files (FIFOs,
 * devices, sockets) are never opened on the host (the guest's kernel
 * handles them itself), and a read-only export refuses every change.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "dev/virtio.h"
#include "dev/virtio_9p.h"

/* Message types (9P2000.L). */
enum {
    P9_TLERROR = 6, P9_RLERROR, P9_TSTATFS = 8, P9_TLOPEN = 12, P9_TLCREATE = 14,
    P9_TSYMLINK = 16, P9_TMKNOD = 18, P9_TRENAME = 20, P9_TREADLINK = 22,
    P9_TGETATTR = 24, P9_TSETATTR = 26, P9_TXATTRWALK = 30, P9_TXATTRCREATE = 32,
    P9_TREADDIR = 40, P9_TFSYNC = 50, P9_TLOCK = 52, P9_TGETLOCK = 54, P9_TLINK = 70,
    P9_TMKDIR = 72, P9_TRENAMEAT = 74, P9_TUNLINKAT = 76, P9_TVERSION = 100,
    P9_TAUTH = 102, P9_TATTACH = 104, P9_TFLUSH = 108, P9_TWALK = 110, P9_TREAD = 116,
    P9_TWRITE = 118, P9_TCLUNK = 120, P9_TREMOVE = 122,
};

#define P9_NOFID        0xffffffffu
#define P9_MAXWELEM     16
#define P9_HDR          7                 /* size[4] type[1] tag[2] */
#define P9_QTDIR        0x80
#define P9_QTSYMLINK    0x02
#define P9_GETATTR_BASIC 0x7ffULL
#define V9FS_MAGIC      0x01021997

/* Tsetattr valid bits */
#define P9_ATTR_MODE      (1u << 0)
#define P9_ATTR_UID       (1u << 1)
#define P9_ATTR_GID       (1u << 2)
#define P9_ATTR_SIZE      (1u << 3)
#define P9_ATTR_ATIME     (1u << 4)
#define P9_ATTR_MTIME     (1u << 5)
#define P9_ATTR_ATIME_SET (1u << 7)
#define P9_ATTR_MTIME_SET (1u << 8)

/* Tlock */
#define P9_LOCK_TYPE_RDLCK 0
#define P9_LOCK_TYPE_WRLCK 1
#define P9_LOCK_TYPE_UNLCK 2
#define P9_LOCK_SUCCESS    0
#define P9_LOCK_BLOCKED    1
#define P9_LOCK_ERROR      2

/* Open flags as 9P2000.L sends them (Linux generic values). */
#define P9_DOTL_ACCMODE   03
#define P9_DOTL_CREATE    0100
#define P9_DOTL_EXCL      0200
#define P9_DOTL_TRUNC     01000
#define P9_DOTL_DSYNC     010000
#define P9_DOTL_SYNC      04000000

#define FID_BUCKETS 1024

struct p9_fid {
    uint32_t id;
    char *path;                 /* relative to the export; "" = its root */
    int fd;                     /* host fd once opened (Tlopen/Tlcreate), else -1 */
    bool is_dir;
    int oflags;                 /* host open flags of fd */
    uint32_t uid;               /* attach's n_uname: owner of what it creates */
    struct p9_fid *next;
};

struct p9_server {
    struct p9_root root;
    bool readonly;
    uint32_t msize;
    struct p9_fid *fids[FID_BUCKETS];
    unsigned nfids;
    uint8_t *req;               /* the request being served */
    uint8_t *rep;               /* the reply being built */
};

/* ---- message parsing and building ---- */

struct rd {
    const uint8_t *p;
    size_t len, pos;
    bool bad;
};

static const uint8_t *take(struct rd *m, size_t n)
{
    if (m->bad || n > m->len - m->pos) {
        m->bad = true;
        return NULL;
    }
    const uint8_t *p = m->p + m->pos;
    m->pos += n;
    return p;
}
static uint8_t get8(struct rd *m) { const uint8_t *p = take(m, 1); return p ? p[0] : 0; }
static uint16_t get16(struct rd *m) { const uint8_t *p = take(m, 2); return p ? virtio_le16(p) : 0; }
static uint32_t get32(struct rd *m) { const uint8_t *p = take(m, 4); return p ? virtio_le32(p) : 0; }
static uint64_t get64(struct rd *m) { const uint8_t *p = take(m, 8); return p ? virtio_le64(p) : 0; }

/* A string into buf (NUL-terminated).  Strings with a NUL inside or longer
 * than buf are refused with *err set. */
static void getstr(struct rd *m, char *buf, size_t size, int *err)
{
    uint16_t n = get16(m);
    const uint8_t *p = take(m, n);
    buf[0] = '\0';
    if (!p)
        return;
    if (n >= size) {
        if (!*err)
            *err = ENAMETOOLONG;
        return;
    }
    if (memchr(p, 0, n)) {
        if (!*err)
            *err = EINVAL;
        return;
    }
    memcpy(buf, p, n);
    buf[n] = '\0';
}

struct wr {
    uint8_t *p;
    size_t cap, pos;
};

static uint8_t *put(struct wr *w, size_t n)
{
    if (n > w->cap - w->pos) {
        w->pos = w->cap + 1;           /* overflow: caught by the caller */
        return NULL;
    }
    uint8_t *p = w->p + w->pos;
    w->pos += n;
    return p;
}
static void put8(struct wr *w, uint8_t v) { uint8_t *p = put(w, 1); if (p) *p = v; }
static void put16(struct wr *w, uint16_t v) { uint8_t *p = put(w, 2); if (p) virtio_put_le16(p, v); }
static void put32(struct wr *w, uint32_t v) { uint8_t *p = put(w, 4); if (p) virtio_put_le32(p, v); }
static void put64(struct wr *w, uint64_t v) { uint8_t *p = put(w, 8); if (p) virtio_put_le64(p, v); }
static void putstr(struct wr *w, const char *s)
{
    size_t n = strlen(s);
    if (n > 0xffff)
        n = 0xffff;
    put16(w, (uint16_t)n);
    uint8_t *p = put(w, n);
    if (p)
        memcpy(p, s, n);
}

static void put_qid(struct p9_server *s, struct wr *w, const struct stat *st)
{
    uint8_t type = S_ISDIR(st->st_mode) ? P9_QTDIR : S_ISLNK(st->st_mode) ? P9_QTSYMLINK : 0;
    uint64_t path = st->st_ino;
    if (st->st_dev != s->root.dev)          /* another file system mounted inside */
        path ^= (uint64_t)(major(st->st_dev) * 31 + minor(st->st_dev) + 1) << 48;
    put8(w, type);
    put32(w, (uint32_t)(st->st_mtim.tv_sec ^ ((uint64_t)st->st_size << 8)));
    put64(w, path);
}

/* ---- fids ---- */

static struct p9_fid **fid_slot(struct p9_server *s, uint32_t id)
{
    struct p9_fid **pp = &s->fids[id % FID_BUCKETS];
    while (*pp && (*pp)->id != id)
        pp = &(*pp)->next;
    return pp;
}

static struct p9_fid *fid_get(struct p9_server *s, uint32_t id)
{
    return *fid_slot(s, id);
}

static void fid_close(struct p9_fid *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

static void fid_free(struct p9_fid *f)
{
    fid_close(f);
    free(f->path);
    free(f);
}

/* Create fid `id` naming `path` (taken over); -errno if in use or too many. */
static int fid_new(struct p9_server *s, uint32_t id, char *path, uint32_t uid)
{
    struct p9_fid **pp = fid_slot(s, id);
    if (id == P9_NOFID || *pp) {
        free(path);
        return -EBADF;
    }
    if (s->nfids >= P9_MAX_FIDS) {
        free(path);
        return -ENFILE;
    }
    struct p9_fid *f = calloc(1, sizeof *f);
    if (!f) {
        free(path);
        return -ENOMEM;
    }
    f->id = id;
    f->path = path;
    f->fd = -1;
    f->uid = uid;
    *pp = f;
    s->nfids++;
    return 0;
}

static void fid_remove(struct p9_server *s, uint32_t id)
{
    struct p9_fid **pp = fid_slot(s, id);
    struct p9_fid *f = *pp;
    if (f) {
        *pp = f->next;
        fid_free(f);
        s->nfids--;
    }
}

void p9_server_reset(struct p9_server *s)
{
    for (unsigned i = 0; i < FID_BUCKETS; i++) {
        while (s->fids[i]) {
            struct p9_fid *f = s->fids[i];
            s->fids[i] = f->next;
            fid_free(f);
        }
    }
    s->nfids = 0;
    s->msize = 0;
}

/* After a rename, fids below `from` now live below `to`. */
static void fids_renamed(struct p9_server *s, const char *from, const char *to)
{
    size_t n = strlen(from);
    for (unsigned i = 0; i < FID_BUCKETS; i++) {
        for (struct p9_fid *f = s->fids[i]; f; f = f->next) {
            if (strncmp(f->path, from, n) != 0 || (f->path[n] && f->path[n] != '/'))
                continue;
            size_t tl = strlen(to), rl = strlen(f->path + n);
            char *p = malloc(tl + rl + 1);
            if (!p)
                continue;
            memcpy(p, to, tl);
            memcpy(p + tl, f->path + n, rl + 1);
            free(f->path);
            f->path = p;
        }
    }
}

/* ---- paths ---- */

static char *path_join(const char *dir, const char *name, int *err)
{
    size_t len = strlen(dir) + 1 + strlen(name) + 1;
    if (len > PATH_MAX) {
        *err = ENAMETOOLONG;
        return NULL;
    }
    char *p = malloc(len);
    if (!p) {
        *err = ENOMEM;
        return NULL;
    }
    size_t dl = strlen(dir), nl = strlen(name);
    memcpy(p, dir, dl);
    if (dl)
        p[dl++] = '/';
    memcpy(p + dl, name, nl + 1);
    return p;
}

static char *path_parent(const char *path)
{
    const char *slash = strrchr(path, '/');
    return strndup(path, slash ? (size_t)(slash - path) : 0);
}

static int stat_path(struct p9_server *s, const char *path, struct stat *st)
{
    int fd = p9fs_open(&s->root, path, O_PATH, 0);
    if (fd < 0)
        return fd;
    int rc = fstat(fd, st) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

/* O_PATH fd of a directory fid. */
static int open_dir(struct p9_server *s, struct p9_fid *f)
{
    return p9fs_open(&s->root, f->path, O_PATH | O_DIRECTORY, 0);
}

/* The guest owns what it creates (when we may chown: running as root). */
static void give_to_guest(int dirfd, const char *name, uint32_t uid, uint32_t gid)
{
    if (geteuid() != 0)
        return;
    if (fchownat(dirfd, name, uid == P9_NOFID ? (uid_t)-1 : uid, gid,
                 AT_SYMLINK_NOFOLLOW) < 0) {
        /* best effort, as QEMU's passthrough model */
    }
}

/* chmod of an object we hold an O_PATH fd for, without following links. */
static int chmod_fd(int fd, mode_t mode)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return chmod(proc, mode) < 0 ? -errno : 0;
}

#define SAFE_MODE(m) ((m) & (S_ISVTX | 0777))   /* no set-user/group-ID */

/* ---- operations: each returns 0 (reply body in w) or -errno ---- */

static int op_version(struct p9_server *s, struct rd *m, struct wr *w)
{
    uint32_t msize = get32(m);
    char version[32];
    int err = 0;
    getstr(m, version, sizeof version, &err);
    if (m->bad)
        return -EINVAL;
    p9_server_reset(s);
    s->msize = msize < P9_MAX_MSIZE ? msize : P9_MAX_MSIZE;
    if (s->msize < 4096)
        s->msize = 4096;
    put32(w, s->msize);
    putstr(w, !err && strncmp(version, "9P2000.L", 8) == 0 ? "9P2000.L" : "unknown");
    return 0;
}

static int op_attach(struct p9_server *s, struct rd *m, struct wr *w)
{
    char uname[256], aname[PATH_MAX];
    int err = 0;
    uint32_t fid = get32(m), afid = get32(m);
    getstr(m, uname, sizeof uname, &err);
    getstr(m, aname, sizeof aname, &err);
    uint32_t n_uname = get32(m);
    if (m->bad)
        return -EINVAL;
    (void)afid;                     /* no authentication: afid is ignored */
    struct stat st;
    int rc = stat_path(s, "", &st);
    if (rc < 0)
        return rc;
    char *root = strdup("");
    if (!root)
        return -ENOMEM;
    rc = fid_new(s, fid, root, n_uname);
    if (rc < 0)
        return rc;
    put_qid(s, w, &st);
    return 0;
}

static int op_walk(struct p9_server *s, struct rd *m, struct wr *w)
{
    uint32_t fid = get32(m), newfid = get32(m);
    uint16_t nwname = get16(m);
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    if (newfid != fid && fid_get(s, newfid))
        return -EBADF;
    if (nwname > P9_MAXWELEM)
        return -EINVAL;
    char *cur = strdup(f->path);
    if (!cur)
        return -ENOMEM;
    size_t count_at = w->pos;
    put16(w, 0);
    unsigned nqid = 0;
    int rc = 0;
    for (unsigned i = 0; i < nwname; i++) {
        char name[NAME_MAX + 1];
        int err = 0;
        getstr(m, name, sizeof name, &err);
        if (m->bad) {
            rc = -EINVAL;
            break;
        }
        struct stat st;
        char *next;
        if (!err && (rc = stat_path(s, cur, &st)) == 0 && !S_ISDIR(st.st_mode))
            rc = -ENOTDIR;
        if (rc < 0)
            break;
        if (err) {
            rc = -err;
            break;
        }
        if (strcmp(name, "..") == 0) {
            next = path_parent(cur);            /* the root is its own parent */
        } else if (strcmp(name, ".") == 0) {
            next = strdup(cur);
        } else if (p9fs_valid_name(name)) {
            next = path_join(cur, name, &err);
        } else {
            rc = -EINVAL;
            break;
        }
        if (!next) {
            rc = -(err ? err : ENOMEM);
            break;
        }
        if ((rc = stat_path(s, next, &st)) < 0) {
            free(next);
            break;
        }
        put_qid(s, w, &st);
        free(cur);
        cur = next;
        nqid++;
    }
    if (nqid == 0 && nwname > 0) {
        free(cur);
        return rc < 0 ? rc : -ENOENT;
    }
    virtio_put_le16(w->p + count_at, (uint16_t)nqid);
    if (nqid < nwname) {                        /* partial walk: newfid untouched */
        free(cur);
        return 0;
    }
    if (newfid == fid) {
        free(f->path);
        f->path = cur;
        return 0;
    }
    return fid_new(s, newfid, cur, f->uid);
}

static int host_open_flags(uint32_t fl)
{
    int acc = (int)(fl & P9_DOTL_ACCMODE);
    int flags = acc == 3 ? O_RDONLY : acc;
    if (fl & P9_DOTL_TRUNC)
        flags |= O_TRUNC;
    if (fl & P9_DOTL_DSYNC)
        flags |= O_DSYNC;
    if ((fl & P9_DOTL_SYNC) == P9_DOTL_SYNC)
        flags |= O_SYNC;
    return flags;
}

static bool writes(int flags)
{
    return (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
}

static int op_lopen(struct p9_server *s, struct rd *m, struct wr *w)
{
    uint32_t fid = get32(m), fl = get32(m);
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    struct stat st;
    int rc = stat_path(s, f->path, &st);
    if (rc < 0)
        return rc;
    int flags = host_open_flags(fl);
    if (S_ISDIR(st.st_mode))
        flags = O_RDONLY | O_DIRECTORY;
    else if (!S_ISREG(st.st_mode))
        return S_ISLNK(st.st_mode) ? -ELOOP : -EPERM;   /* never open host specials */
    if (s->readonly && writes(flags))
        return -EROFS;
    int fd = p9fs_open(&s->root, f->path, flags, 0);
    if (fd < 0)
        return fd;
    fid_close(f);
    f->fd = fd;
    f->oflags = flags;
    f->is_dir = S_ISDIR(st.st_mode);
    if (fstat(fd, &st) == 0)
        put_qid(s, w, &st);
    else
        put_qid(s, w, &(struct stat){ .st_mode = st.st_mode, .st_ino = st.st_ino });
    put32(w, 0);                                /* iounit: msize-based */
    return 0;
}

static int op_lcreate(struct p9_server *s, struct rd *m, struct wr *w)
{
    char name[NAME_MAX + 1];
    int err = 0;
    uint32_t fid = get32(m);
    getstr(m, name, sizeof name, &err);
    uint32_t fl = get32(m), mode = get32(m), gid = get32(m);
    if (m->bad)
        return -EINVAL;
    if (err)
        return -err;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    if (s->readonly)
        return -EROFS;
    if (!p9fs_valid_name(name))
        return -EINVAL;
    char *path = path_join(f->path, name, &err);
    if (!path)
        return -err;
    int flags = host_open_flags(fl) | O_CREAT | ((fl & P9_DOTL_EXCL) ? O_EXCL : 0);
    int fd = p9fs_open(&s->root, path, flags, SAFE_MODE(mode));
    if (fd < 0) {
        free(path);
        return fd;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        free(path);
        return -EPERM;
    }
    if (fchmod(fd, SAFE_MODE(mode)) < 0) {
        /* the process umask stays applied: not fatal */
    }
    if (geteuid() == 0 && fchown(fd, f->uid == P9_NOFID ? (uid_t)-1 : f->uid, gid) < 0) {
        /* best effort */
    }
    fstat(fd, &st);
    fid_close(f);
    free(f->path);
    f->path = path;
    f->fd = fd;
    f->oflags = flags;
    f->is_dir = false;
    put_qid(s, w, &st);
    put32(w, 0);
    return 0;
}

/* Common tail of mkdir/symlink/mknod: chown, stat, reply qid. */
static int created(struct p9_server *s, struct wr *w, int dirfd, const char *name,
                   uint32_t uid, uint32_t gid)
{
    give_to_guest(dirfd, name, uid, gid);
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return -errno;
    put_qid(s, w, &st);
    return 0;
}

static int op_mkdir(struct p9_server *s, struct rd *m, struct wr *w)
{
    char name[NAME_MAX + 1];
    int err = 0;
    uint32_t dfid = get32(m);
    getstr(m, name, sizeof name, &err);
    uint32_t mode = get32(m), gid = get32(m);
    if (m->bad)
        return -EINVAL;
    if (err)
        return -err;
    struct p9_fid *d = fid_get(s, dfid);
    if (!d)
        return -EBADF;
    if (s->readonly)
        return -EROFS;
    if (!p9fs_valid_name(name))
        return -EINVAL;
    int dirfd = open_dir(s, d);
    if (dirfd < 0)
        return dirfd;
    int rc = mkdirat(dirfd, name, SAFE_MODE(mode)) < 0 ? -errno : 0;
    if (rc == 0) {
        int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        struct stat st;
        if (fd >= 0 && fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
            chmod_fd(fd, SAFE_MODE(mode));      /* exact mode, whatever our umask */
        if (fd >= 0)
            close(fd);
        rc = created(s, w, dirfd, name, d->uid, gid);
    }
    close(dirfd);
    return rc;
}

static int op_symlink(struct p9_server *s, struct rd *m, struct wr *w)
{
    char name[NAME_MAX + 1], target[PATH_MAX];
    int err = 0;
    uint32_t dfid = get32(m);
    getstr(m, name, sizeof name, &err);
    getstr(m, target, sizeof target, &err);
    uint32_t gid = get32(m);
    if (m->bad)
        return -EINVAL;
    if (err)
        return -err;
    struct p9_fid *d = fid_get(s, dfid);
    if (!d)
        return -EBADF;
    if (s->readonly)
        return -EROFS;
    if (!p9fs_valid_name(name) || !target[0])
        return -EINVAL;
    int dirfd = open_dir(s, d);
    if (dirfd < 0)
        return dirfd;
    /* The target is stored as text; we never follow it on the host. */
    int rc = symlinkat(target, dirfd, name) < 0 ? -errno : created(s, w, dirfd, name, d->uid, gid);
    close(dirfd);
    return rc;
}

static int op_mknod(struct p9_server *s, struct rd *m, struct wr *w)
{
    char name[NAME_MAX + 1];
    int err = 0;
    uint32_t dfid = get32(m);
    getstr(m, name, sizeof name, &err);
    uint32_t mode = get32(m), major_ = get32(m), minor_ = get32(m), gid = get32(m);
    (void)major_;
    (void)minor_;
    if (m->bad)
        return -EINVAL;
    if (err)
        return -err;
    struct p9_fid *d = fid_get(s, dfid);
    if (!d)
        return -EBADF;
    if (s->readonly)
        return -EROFS;
    if (!p9fs_valid_name(name))
        return -EINVAL;
    mode_t type = mode & S_IFMT;
    if (type != S_IFIFO && type != S_IFSOCK && type != S_IFREG)
        return -EPERM;              /* no host device nodes from a guest */
    int dirfd = open_dir(s, d);
    if (dirfd < 0)
        return dirfd;
    int rc = mknodat(dirfd, name, type | SAFE_MODE(mode), 0) < 0
             ? -errno : created(s, w, dirfd, name, d->uid, gid);
    close(dirfd);
    return rc;
}

static int op_getattr(struct p9_server *s, struct rd *m, struct wr *w)
{
    uint32_t fid = get32(m);
    get64(m);                       /* request mask: we always give the basics */
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    struct stat st;
    int rc = f->fd >= 0 ? (fstat(f->fd, &st) < 0 ? -errno : 0) : stat_path(s, f->path, &st);
    if (rc < 0)
        return rc;
    put64(w, P9_GETATTR_BASIC);
    put_qid(s, w, &st);
    put32(w, st.st_mode);
    put32(w, st.st_uid);
    put32(w, st.st_gid);
    put64(w, st.st_nlink);
    put64(w, st.st_rdev);
    put64(w, (uint64_t)st.st_size);
    put64(w, (uint64_t)st.st_blksize);
    put64(w, (uint64_t)st.st_blocks);
    put64(w, (uint64_t)st.st_atim.tv_sec);
    put64(w, (uint64_t)st.st_atim.tv_nsec);
    put64(w, (uint64_t)st.st_mtim.tv_sec);
    put64(w, (uint64_t)st.st_mtim.tv_nsec);
    put64(w, (uint64_t)st.st_ctim.tv_sec);
    put64(w, (uint64_t)st.st_ctim.tv_nsec);
    put64(w, 0);                    /* btime */
    put64(w, 0);
    put64(w, 0);                    /* gen */
    put64(w, 0);                    /* data_version */
    return 0;
}

static int op_setattr(struct p9_server *s, struct rd *m, struct wr *w)
{
    (void)w;
    uint32_t fid = get32(m), valid = get32(m), mode = get32(m), uid = get32(m), gid = get32(m);
    uint64_t size = get64(m);
    struct timespec ts[2];
    ts[0].tv_sec = (time_t)get64(m);
    ts[0].tv_nsec = (long)get64(m);
    ts[1].tv_sec = (time_t)get64(m);
    ts[1].tv_nsec = (long)get64(m);
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    if (s->readonly)
        return -EROFS;
    int fd = p9fs_open(&s->root, f->path, O_PATH, 0);
    if (fd < 0)
        return fd;
    struct stat st;
    int rc = fstat(fd, &st) < 0 ? -errno : 0;
    bool link = S_ISLNK(st.st_mode);
    if (rc == 0 && (valid & P9_ATTR_MODE) && !link)
        rc = chmod_fd(fd, SAFE_MODE(mode));
    if (rc == 0 && (valid & (P9_ATTR_UID | P9_ATTR_GID))) {
        uid_t u = (valid & P9_ATTR_UID) ? uid : (uid_t)-1;
        gid_t g = (valid & P9_ATTR_GID) ? gid : (gid_t)-1;
        if (fchownat(fd, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
            rc = -errno;
    }
    if (rc == 0 && (valid & P9_ATTR_SIZE)) {
        if (!S_ISREG(st.st_mode)) {
            rc = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
        } else if (size > (uint64_t)INT64_MAX) {
            rc = -EFBIG;
        } else if (f->fd >= 0 && (f->oflags & O_ACCMODE) != O_RDONLY) {
            rc = ftruncate(f->fd, (off_t)size) < 0 ? -errno : 0;
        } else {
            int wfd = p9fs_open(&s->root, f->path, O_WRONLY, 0);
            rc = wfd < 0 ? wfd : ftruncate(wfd, (off_t)size) < 0 ? -errno : 0;
            if (wfd >= 0)
                close(wfd);
        }
    }
    if (rc == 0 && (valid & (P9_ATTR_ATIME | P9_ATTR_MTIME))) {
        if (!(valid & P9_ATTR_ATIME))
            ts[0].tv_nsec = UTIME_OMIT;
        else if (!(valid & P9_ATTR_ATIME_SET))
            ts[0].tv_nsec = UTIME_NOW;
        if (!(valid & P9_ATTR_MTIME))
            ts[1].tv_nsec = UTIME_OMIT;
        else if (!(valid & P9_ATTR_MTIME_SET))
            ts[1].tv_nsec = UTIME_NOW;
        if (link) {
            const char *base;
            int dfd = p9fs_open_parent(&s->root, f->path, &base);
            rc = dfd < 0 ? dfd : utimensat(dfd, base, ts, AT_SYMLINK_NOFOLLOW) < 0 ? -errno : 0;
            if (dfd >= 0)
                close(dfd);
        } else {
            char proc[64];
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
            rc = utimensat(AT_FDCWD, proc, ts, 0) < 0 ? -errno : 0;
        }
    }
    close(fd);
    return rc;
}

static int op_readlink(struct p9_server *s, struct rd *m, struct wr *w)
{
    uint32_t fid = get32(m);
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    int fd = p9fs_open(&s->root, f->path, O_PATH, 0);
    if (fd < 0)
        return fd;
    char buf[PATH_MAX];
    ssize_t n = readlinkat(fd, "", buf, sizeof buf - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return e == ENOENT ? -EINVAL : -e;      /* not a symlink */
    buf[n] = '\0';
    putstr(w, buf);
    return 0;
}

static int op_statfs(struct p9_server *s, struct rd *m, struct wr *w)
{
    uint32_t fid = get32(m);
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    int fd = p9fs_open(&s->root, f->path, O_PATH, 0);
    if (fd < 0)
        return fd;
    struct statfs sf;
    int rc = fstatfs(fd, &sf) < 0 ? -errno : 0;
    close(fd);
    if (rc < 0)
        return rc;
    put32(w, V9FS_MAGIC);
    put32(w, (uint32_t)sf.f_bsize);
    put64(w, sf.f_blocks);
    put64(w, sf.f_bfree);
    put64(w, sf.f_bavail);
    put64(w, sf.f_files);
    put64(w, sf.f_ffree);
    uint64_t fsid;
    memcpy(&fsid, &sf.f_fsid, sizeof fsid);
    put64(w, fsid);
    put32(w, (uint32_t)sf.f_namelen);
    return 0;
}

struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

static int op_readdir(struct p9_server *s, struct rd *m, struct wr *w)
{
    uint32_t fid = get32(m);
    uint64_t offset = get64(m);
    uint32_t count = get32(m);
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    if (f->fd < 0 || !f->is_dir)
        return -ENOTDIR;
    if (count > w->cap - w->pos - 4)
        count = (uint32_t)(w->cap - w->pos - 4);
    if (lseek(f->fd, (off_t)offset, SEEK_SET) < 0)
        return -errno;
    size_t count_at = w->pos;
    put32(w, 0);
    size_t start = w->pos;
    char buf[16384] __attribute__((aligned(8)));
    bool full = false;
    while (!full) {
        long n = getdents64(f->fd, buf, sizeof buf);
        if (n < 0)
            return -errno;
        if (n == 0)
            break;
        for (long pos = 0; pos < n;) {
            struct linux_dirent64 *de = (struct linux_dirent64 *)(void *)(buf + pos);
            pos += de->d_reclen;
            size_t nlen = strlen(de->d_name);
            size_t need = 13 + 8 + 1 + 2 + nlen;
            if (w->pos - start + need > count) {
                full = true;
                break;
            }
            uint8_t qtype = de->d_type == DT_DIR ? P9_QTDIR : de->d_type == DT_LNK ? P9_QTSYMLINK : 0;
            put8(w, qtype);
            put32(w, 0);
            put64(w, de->d_ino);
            put64(w, (uint64_t)de->d_off);
            put8(w, de->d_type);
            putstr(w, de->d_name);
        }
    }
    virtio_put_le32(w->p + count_at, (uint32_t)(w->pos - start));
    return 0;
}

static int op_fsync(struct p9_server *s, struct rd *m, struct wr *w)
{
    (void)w;
    uint32_t fid = get32(m), datasync = get32(m);
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    if (f->fd < 0)
        return 0;
    int rc = datasync ? fdatasync(f->fd) : fsync(f->fd);
    return rc < 0 ? -errno : 0;
}

static int op_lock(struct p9_server *s, struct rd *m, struct wr *w, bool get)
{
    char client[256];
    int err = 0;
    uint32_t fid = get32(m);
    uint8_t type = get8(m);
    uint32_t flags = get ? 0 : get32(m);
    uint64_t start = get64(m), length = get64(m);
    uint32_t proc_id = get32(m);
    getstr(m, client, sizeof client, &err);
    (void)flags;
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    if (f->fd < 0 || start > INT64_MAX || length > INT64_MAX)
        return -EINVAL;
    struct flock fl = {
        .l_type = type == P9_LOCK_TYPE_RDLCK ? F_RDLCK : type == P9_LOCK_TYPE_WRLCK ? F_WRLCK : F_UNLCK,
        .l_whence = SEEK_SET, .l_start = (off_t)start, .l_len = (off_t)length,
    };
    if (type > P9_LOCK_TYPE_UNLCK)
        return -EINVAL;
    if (get) {
        if (fl.l_type == F_UNLCK)
            fl.l_type = F_WRLCK;
        int rc = fcntl(f->fd, F_OFD_GETLK, &fl);
        put8(w, rc < 0 || fl.l_type == F_UNLCK ? P9_LOCK_TYPE_UNLCK :
                fl.l_type == F_RDLCK ? P9_LOCK_TYPE_RDLCK : P9_LOCK_TYPE_WRLCK);
        put64(w, (uint64_t)fl.l_start);
        put64(w, (uint64_t)fl.l_len);
        put32(w, proc_id);
        putstr(w, client);
        return 0;
    }
    /* Never block the worker: a conflict answers BLOCKED and the client
     * retries. */
    int rc = fcntl(f->fd, F_OFD_SETLK, &fl);
    put8(w, rc == 0 ? P9_LOCK_SUCCESS :
            (errno == EAGAIN || errno == EACCES) ? P9_LOCK_BLOCKED : P9_LOCK_ERROR);
    return 0;
}

static int op_link(struct p9_server *s, struct rd *m, struct wr *w)
{
    (void)w;
    char name[NAME_MAX + 1];
    int err = 0;
    uint32_t dfid = get32(m), fid = get32(m);
    getstr(m, name, sizeof name, &err);
    if (m->bad)
        return -EINVAL;
    if (err)
        return -err;
    struct p9_fid *d = fid_get(s, dfid), *f = fid_get(s, fid);
    if (!d || !f)
        return -EBADF;
    if (s->readonly)
        return -EROFS;
    if (!p9fs_valid_name(name) || !f->path[0])
        return -EINVAL;
    const char *base;
    int odir = p9fs_open_parent(&s->root, f->path, &base);
    if (odir < 0)
        return odir;
    int ndir = open_dir(s, d);
    int rc = ndir < 0 ? ndir : linkat(odir, base, ndir, name, 0) < 0 ? -errno : 0;
    close(odir);
    if (ndir >= 0)
        close(ndir);
    return rc;
}

static int do_rename(struct p9_server *s, const char *old_path, struct p9_fid *newdir,
                     const char *newname)
{
    if (s->readonly)
        return -EROFS;
    if (!p9fs_valid_name(newname) || !old_path[0])
        return -EINVAL;
    int err = 0;
    char *new_path = path_join(newdir->path, newname, &err);
    if (!new_path)
        return -err;
    const char *base;
    int odir = p9fs_open_parent(&s->root, old_path, &base);
    int ndir = odir < 0 ? -1 : open_dir(s, newdir);
    int rc = odir < 0 ? odir : ndir < 0 ? ndir
           : renameat(odir, base, ndir, newname) < 0 ? -errno : 0;
    if (odir >= 0)
        close(odir);
    if (ndir >= 0)
        close(ndir);
    if (rc == 0) {
        char *from = strdup(old_path);
        if (from) {
            fids_renamed(s, from, new_path);
            free(from);
        }
    }
    free(new_path);
    return rc;
}

static int op_rename(struct p9_server *s, struct rd *m, struct wr *w)
{
    (void)w;
    char name[NAME_MAX + 1];
    int err = 0;
    uint32_t fid = get32(m), dfid = get32(m);
    getstr(m, name, sizeof name, &err);
    if (m->bad)
        return -EINVAL;
    if (err)
        return -err;
    struct p9_fid *f = fid_get(s, fid), *d = fid_get(s, dfid);
    if (!f || !d)
        return -EBADF;
    return do_rename(s, f->path, d, name);
}

static int op_renameat(struct p9_server *s, struct rd *m, struct wr *w)
{
    (void)w;
    char oldname[NAME_MAX + 1], newname[NAME_MAX + 1];
    int err = 0;
    uint32_t ofid = get32(m);
    getstr(m, oldname, sizeof oldname, &err);
    uint32_t nfid = get32(m);
    getstr(m, newname, sizeof newname, &err);
    if (m->bad)
        return -EINVAL;
    if (err)
        return -err;
    struct p9_fid *od = fid_get(s, ofid), *nd = fid_get(s, nfid);
    if (!od || !nd)
        return -EBADF;
    if (!p9fs_valid_name(oldname))
        return -EINVAL;
    char *old_path = path_join(od->path, oldname, &err);
    if (!old_path)
        return -err;
    int rc = do_rename(s, old_path, nd, newname);
    free(old_path);
    return rc;
}

static int op_unlinkat(struct p9_server *s, struct rd *m, struct wr *w)
{
    (void)w;
    char name[NAME_MAX + 1];
    int err = 0;
    uint32_t dfid = get32(m);
    getstr(m, name, sizeof name, &err);
    uint32_t flags = get32(m);
    if (m->bad)
        return -EINVAL;
    if (err)
        return -err;
    struct p9_fid *d = fid_get(s, dfid);
    if (!d)
        return -EBADF;
    if (s->readonly)
        return -EROFS;
    if (!p9fs_valid_name(name))
        return -EINVAL;
    int dirfd = open_dir(s, d);
    if (dirfd < 0)
        return dirfd;
    int rc = unlinkat(dirfd, name, flags & AT_REMOVEDIR) < 0 ? -errno : 0;
    close(dirfd);
    return rc;
}

static int op_remove(struct p9_server *s, struct rd *m, struct wr *w)
{
    (void)w;
    uint32_t fid = get32(m);
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    int rc = 0;
    if (s->readonly) {
        rc = -EROFS;
    } else if (!f->path[0]) {
        rc = -EBUSY;                            /* not the export itself */
    } else {
        const char *base;
        int dirfd = p9fs_open_parent(&s->root, f->path, &base);
        struct stat st;
        if (dirfd < 0)
            rc = dirfd;
        else if (fstatat(dirfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                 unlinkat(dirfd, base, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0)
            rc = -errno;
        if (dirfd >= 0)
            close(dirfd);
    }
    fid_remove(s, fid);                         /* clunked even on failure */
    return rc;
}

static int op_clunk(struct p9_server *s, struct rd *m, struct wr *w)
{
    (void)w;
    uint32_t fid = get32(m);
    if (m->bad)
        return -EINVAL;
    if (!fid_get(s, fid))
        return -EBADF;
    fid_remove(s, fid);
    return 0;
}

/* ---- reads and writes go straight between the host file and the
 * guest's buffers ---- */

static long reply_read(struct p9_server *s, struct rd *m, uint16_t tag,
                       const struct iovec *in, unsigned in_num, size_t in_len, int *err)
{
    uint32_t fid = get32(m);
    uint64_t offset = get64(m);
    uint32_t count = get32(m);
    if (m->bad) {
        *err = EINVAL;
        return -1;
    }
    struct p9_fid *f = fid_get(s, fid);
    if (!f) {
        *err = EBADF;
        return -1;
    }
    if (f->fd < 0 || f->is_dir) {
        *err = f->is_dir ? EISDIR : EBADF;
        return -1;
    }
    if (offset > INT64_MAX) {
        *err = EINVAL;
        return -1;
    }
    size_t hdr = P9_HDR + 4;
    size_t max = s->msize - hdr;
    if (in_len < hdr) {
        *err = ERANGE;
        return -1;
    }
    if (count > max)
        count = (uint32_t)max;
    if (count > in_len - hdr)
        count = (uint32_t)(in_len - hdr);
    struct iovec data[VIRTQ_MAX_CHAIN];
    unsigned n = virtio_iov_slice(in, in_num, hdr, count, data);
    ssize_t got = count ? preadv(f->fd, data, (int)n, (off_t)offset) : 0;
    if (got < 0) {
        *err = errno;
        return -1;
    }
    uint8_t h[11];
    virtio_put_le32(h, (uint32_t)(hdr + (size_t)got));
    h[4] = P9_TREAD + 1;
    virtio_put_le16(h + 5, tag);
    virtio_put_le32(h + 7, (uint32_t)got);
    virtio_iov_from_buf(in, in_num, 0, h, sizeof h);
    return (long)(hdr + (size_t)got);
}

static int op_write(struct p9_server *s, struct rd *m, struct wr *w,
                    const struct iovec *out, unsigned out_num, size_t msg_len)
{
    uint32_t fid = get32(m);
    uint64_t offset = get64(m);
    uint32_t count = get32(m);
    if (m->bad)
        return -EINVAL;
    struct p9_fid *f = fid_get(s, fid);
    if (!f)
        return -EBADF;
    if (f->fd < 0 || f->is_dir)
        return f->is_dir ? -EISDIR : -EBADF;
    if (s->readonly)
        return -EROFS;
    if (count > msg_len - 23 || offset > INT64_MAX)
        return -EINVAL;
    struct iovec data[VIRTQ_MAX_CHAIN];
    unsigned n = virtio_iov_slice(out, out_num, 23, count, data);
    ssize_t done = count ? pwritev(f->fd, data, (int)n, (off_t)offset) : 0;
    if (done < 0)
        return -errno;
    put32(w, (uint32_t)done);
    return 0;
}

/* ---- dispatch ---- */

static void put_header(uint8_t *p, uint32_t size, uint8_t type, uint16_t tag)
{
    virtio_put_le32(p, size);
    p[4] = type;
    virtio_put_le16(p + 5, tag);
}

static long send_error(const struct iovec *in, unsigned in_num, size_t in_len,
                       uint16_t tag, int err)
{
    uint8_t r[11];
    if (in_len < sizeof r)
        return -1;
    put_header(r, sizeof r, P9_RLERROR, tag);
    virtio_put_le32(r + 7, (uint32_t)err);
    virtio_iov_from_buf(in, in_num, 0, r, sizeof r);
    return sizeof r;
}

long p9_server_handle(struct p9_server *s, const struct iovec *out, unsigned out_num,
                      size_t out_len, const struct iovec *in, unsigned in_num,
                      size_t in_len)
{
    uint8_t h[P9_HDR];
    if (out_len < P9_HDR)
        return -1;
    virtio_iov_to_buf(out, out_num, 0, h, P9_HDR);
    uint32_t size = virtio_le32(h);
    uint8_t type = h[4];
    uint16_t tag = virtio_le16(h + 5);
    if (size < P9_HDR || size > out_len)
        return send_error(in, in_num, in_len, tag, EINVAL);
    if (size > P9_MAX_MSIZE + 64 && type != P9_TWRITE)
        return send_error(in, in_num, in_len, tag, EMSGSIZE);
    if (type != P9_TVERSION && s->msize == 0)
        return send_error(in, in_num, in_len, tag, EPROTO);   /* Tversion first */

    /* Twrite's payload stays in the guest's buffers: copy its header only. */
    size_t body = type == P9_TWRITE ? (size < 23 ? size : 23) : size;
    virtio_iov_to_buf(out, out_num, 0, s->req, body);
    struct rd m = { s->req, body, P9_HDR, false };

    if (type == P9_TREAD) {
        int err = 0;
        long n = reply_read(s, &m, tag, in, in_num, in_len, &err);
        return n >= 0 ? n : send_error(in, in_num, in_len, tag, err);
    }

    size_t cap = s->msize ? s->msize : P9_MAX_MSIZE;
    if (cap > in_len)
        cap = in_len;
    struct wr w = { s->rep, cap < P9_HDR ? P9_HDR : cap, P9_HDR };
    int rc;
    switch (type) {
    case P9_TVERSION:   w.cap = in_len < 4096 ? in_len : 4096;
                        rc = op_version(s, &m, &w); break;
    case P9_TATTACH:    rc = op_attach(s, &m, &w); break;
    case P9_TWALK:      rc = op_walk(s, &m, &w); break;
    case P9_TLOPEN:     rc = op_lopen(s, &m, &w); break;
    case P9_TLCREATE:   rc = op_lcreate(s, &m, &w); break;
    case P9_TMKDIR:     rc = op_mkdir(s, &m, &w); break;
    case P9_TSYMLINK:   rc = op_symlink(s, &m, &w); break;
    case P9_TMKNOD:     rc = op_mknod(s, &m, &w); break;
    case P9_TGETATTR:   rc = op_getattr(s, &m, &w); break;
    case P9_TSETATTR:   rc = op_setattr(s, &m, &w); break;
    case P9_TREADLINK:  rc = op_readlink(s, &m, &w); break;
    case P9_TSTATFS:    rc = op_statfs(s, &m, &w); break;
    case P9_TREADDIR:   rc = op_readdir(s, &m, &w); break;
    case P9_TFSYNC:     rc = op_fsync(s, &m, &w); break;
    case P9_TLOCK:      rc = op_lock(s, &m, &w, false); break;
    case P9_TGETLOCK:   rc = op_lock(s, &m, &w, true); break;
    case P9_TLINK:      rc = op_link(s, &m, &w); break;
    case P9_TRENAME:    rc = op_rename(s, &m, &w); break;
    case P9_TRENAMEAT:  rc = op_renameat(s, &m, &w); break;
    case P9_TUNLINKAT:  rc = op_unlinkat(s, &m, &w); break;
    case P9_TREMOVE:    rc = op_remove(s, &m, &w); break;
    case P9_TCLUNK:     rc = op_clunk(s, &m, &w); break;
    case P9_TFLUSH:     rc = 0; break;           /* requests finish in order */
    case P9_TWRITE:     rc = op_write(s, &m, &w, out, out_num, size); break;
    case P9_TXATTRWALK:
    case P9_TXATTRCREATE:
    case P9_TAUTH:      rc = -EOPNOTSUPP; break;
    default:            rc = -EOPNOTSUPP; break;
    }
    if (rc < 0)
        return send_error(in, in_num, in_len, tag, -rc);
    if (w.pos > w.cap)
        return send_error(in, in_num, in_len, tag, ERANGE);   /* reply does not fit */
    put_header(s->rep, (uint32_t)w.pos, (uint8_t)(type + 1), tag);
    virtio_iov_from_buf(in, in_num, 0, s->rep, w.pos);
    return (long)w.pos;
}

struct p9_server *p9_server_new(const char *dir, bool readonly, char *err, size_t errlen)
{
    struct p9_server *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->root.fd = -1;
    s->readonly = readonly;
    s->req = malloc(P9_MAX_MSIZE + 64);
    s->rep = malloc(P9_MAX_MSIZE);
    if (!s->req || !s->rep) {
        snprintf(err, errlen, "out of memory");
        p9_server_free(s);
        return NULL;
    }
    if (p9fs_root_open(&s->root, dir, err, errlen) < 0) {
        p9_server_free(s);
        return NULL;
    }
    return s;
}

void p9_server_free(struct p9_server *s)
{
    if (!s)
        return;
    p9_server_reset(s);
    p9fs_root_close(&s->root);
    free(s->req);
    free(s->rep);
    free(s);
}
