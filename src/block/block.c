/*
 * block.c — the generic half of the block layer: probing, opening backing
 * chains, range and permission checks, dispatch to format drivers, the
 * asynchronous request pool.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "block/aio.h"
#include "block/driver.h"
#include "block/iov.h"

#define PROBE_LEN 4096
#define DEFAULT_AIO_THREADS 4

static const struct blk_driver *const drivers[] = {
    &blk_qcow2_driver, &blk_split_driver, &blk_raw_driver,
};

const struct blk_driver *blk_find_driver(const char *name)
{
    for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
        if (!strcmp(drivers[i]->name, name))
            return drivers[i];
    return NULL;
}

static void errf(char *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errf(char *err, const char *fmt, ...)
{
    if (!err)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, BLK_ERR_LEN, fmt, ap);
    va_end(ap);
}

void blk_set_error(struct blk *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pthread_mutex_lock(&b->err_lock);
    vsnprintf(b->errmsg, sizeof b->errmsg, fmt, ap);
    pthread_mutex_unlock(&b->err_lock);
    va_end(ap);
}

const char *blk_last_error(struct blk *b)
{
    return b->errmsg;
}

void blk_resolve_backing(const char *image_path, const char *name, char *out)
{
    const char *slash = strrchr(image_path, '/');
    if (name[0] == '/' || !slash) {
        snprintf(out, 4096, "%s", name);
        return;
    }
    int dirlen = (int)(slash - image_path);
    snprintf(out, 4096, "%.*s/%s", dirlen, image_path, name);
}

static const struct blk_driver *probe_format(const uint8_t *head, size_t len)
{
    for (size_t i = 0; i < sizeof drivers / sizeof drivers[0]; i++)
        if (drivers[i]->probe && drivers[i]->probe(head, len))
            return drivers[i];
    return &blk_raw_driver;
}

/* ---- Opening ------------------------------------------------------------ */

struct chain_ids { dev_t dev[BLK_MAX_CHAIN + 1]; ino_t ino[BLK_MAX_CHAIN + 1]; int n; };

static int open_chain(struct blk **out, const char *path, const struct blk_open_opts *o,
                      struct chain_ids *ids, char *err);

static void free_blk(struct blk *b)
{
    if (!b)
        return;
    if (b->file.fd >= 0)
        bfile_close(&b->file);
    pthread_mutex_destroy(&b->aio_lock);
    pthread_mutex_destroy(&b->err_lock);
    free(b->filename);
    free(b);
}

static int open_chain(struct blk **out, const char *path, const struct blk_open_opts *o,
                      struct chain_ids *ids, char *err)
{
    *out = NULL;
    if (!path || !*path) {
        errf(err, "no image file name given");
        return -EINVAL;
    }
    struct blk *b = calloc(1, sizeof *b);
    if (!b)
        return -ENOMEM;
    b->file.fd = -1;
    pthread_mutex_init(&b->aio_lock, NULL);
    pthread_mutex_init(&b->err_lock, NULL);
    b->filename = strdup(path);
    b->read_only = o->read_only;
    b->repair = o->repair;
    b->cache = o->cache;
    b->aio_threads = o->aio_threads ? o->aio_threads : DEFAULT_AIO_THREADS;
    if (!b->filename) {
        free_blk(b);
        return -ENOMEM;
    }

    int r = bfile_open(&b->file, path, !o->read_only, false, o->cache, err);
    if (r < 0) {
        free_blk(b);
        return r;
    }

    /* Loop detection: no file may appear twice in one chain. */
    struct stat st;
    if (fstat(b->file.fd, &st) == 0) {
        for (int i = 0; i < ids->n; i++) {
            if (ids->dev[i] == st.st_dev && ids->ino[i] == st.st_ino) {
                errf(err, "backing file loop: '%s' is its own backing file "
                     "(directly or through others)", path);
                free_blk(b);
                return -ELOOP;
            }
        }
        ids->dev[ids->n] = st.st_dev;
        ids->ino[ids->n] = st.st_ino;
        ids->n++;
    }

    const struct blk_driver *drv;
    if (o->format && *o->format) {
        drv = blk_find_driver(o->format);
        if (!drv) {
            errf(err, "Unknown image format '%s' (supported: raw, qcow2, split)", o->format);
            free_blk(b);
            return -EINVAL;
        }
    } else {
        uint8_t *head = calloc(1, PROBE_LEN);
        if (!head) {
            free_blk(b);
            return -ENOMEM;
        }
        r = bfile_pread(&b->file, head, PROBE_LEN, 0);
        drv = r < 0 ? NULL : probe_format(head, PROBE_LEN);
        free(head);
        if (!drv) {
            errf(err, "Could not read '%s': %s", path, strerror(-r));
            free_blk(b);
            return r;
        }
        b->probed_raw = drv == &blk_raw_driver;
    }
    b->drv = drv;

    if (!o->force_share) {
        r = bfile_lock(&b->file, !o->read_only, err);
        if (r < 0) {
            free_blk(b);
            return r;
        }
    }

    r = drv->open(b, err);
    if (r < 0) {
        free_blk(b);
        return r;
    }

    if (b->backing_name[0] && !o->no_backing) {
        if (ids->n > BLK_MAX_CHAIN) {
            errf(err, "'%s': backing chain longer than %d images", path, BLK_MAX_CHAIN);
            r = -ELOOP;
            goto fail_open;
        }
        if (strstr(b->backing_name, "://") || !strncmp(b->backing_name, "json:", 5)) {
            errf(err, "'%s': backing file '%s' uses a protocol Vessel does not support",
                 path, b->backing_name);
            r = -ENOTSUP;
            goto fail_open;
        }
        char bpath[4096];
        blk_resolve_backing(path, b->backing_name, bpath);
        struct blk_open_opts bo = *o;
        bo.read_only = true;
        bo.repair = false;
        bo.format = b->backing_fmt[0] ? b->backing_fmt : NULL;
        if (bo.format && !blk_find_driver(bo.format)) {
            errf(err, "'%s': backing file format '%s' is not supported", path, bo.format);
            r = -ENOTSUP;
            goto fail_open;
        }
        bo.force_share = o->force_share;
        char berr[BLK_ERR_LEN];
        r = open_chain(&b->backing, bpath, &bo, ids, berr);
        if (r < 0) {
            errf(err, "Could not open backing file of '%s': %s", path, berr);
            goto fail_open;
        }
    }
    *out = b;
    return 0;

fail_open:
    drv->close(b);
    free_blk(b);
    return r;
}

int blk_open(struct blk **out, const char *path, const struct blk_open_opts *opts,
             char *err)
{
    struct blk_open_opts def = { 0 };
    struct chain_ids ids = { .n = 0 };
    if (err)
        err[0] = 0;
    return open_chain(out, path, opts ? opts : &def, &ids, err);
}

int blk_close(struct blk *b)
{
    if (!b)
        return 0;
    if (b->aio)
        blk_aio_free(b->aio);
    int r = 0;
    if (!b->read_only && b->drv->flush)
        r = b->drv->flush(b);
    b->drv->close(b);
    if (b->backing)
        blk_close(b->backing);
    free_blk(b);
    return r;
}

/* ---- Synchronous I/O ---------------------------------------------------- */

uint64_t blk_size(struct blk *b) { return b->size; }
bool blk_is_read_only(struct blk *b) { return b->read_only; }
struct blk *blk_backing(struct blk *b) { return b->backing; }

static int check_range(struct blk *b, uint64_t off, uint64_t len)
{
    if (off > b->size || len > b->size - off) {
        blk_set_error(b, "request [%llu, +%llu) is outside the disk (%llu bytes)",
                      (unsigned long long)off, (unsigned long long)len,
                      (unsigned long long)b->size);
        return -ERANGE;
    }
    return 0;
}

static int check_write(struct blk *b, uint64_t off, uint64_t len)
{
    if (b->read_only)
        return -EROFS;
    return check_range(b, off, len);
}

/* Shared by the read entry points: the vector's total length, in range. */
static int check_readv(struct blk *b, uint64_t off, const struct iovec *iov, int cnt,
                       size_t *len)
{
    if (cnt < 0)
        return -EINVAL;
    *len = iov_size(iov, cnt);
    return check_range(b, off, *len);
}

int blk_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int cnt)
{
    size_t len;
    int r = check_readv(b, off, iov, cnt, &len);
    if (r < 0 || len == 0)
        return r;
    return b->drv->preadv(b, off, iov, cnt, len);
}

int blk_try_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int cnt)
{
    size_t len;
    int r = check_readv(b, off, iov, cnt, &len);
    if (r < 0 || len == 0)
        return r;
    return b->drv->preadv_nowait ? b->drv->preadv_nowait(b, off, iov, cnt, len) : -EAGAIN;
}

/* A probed raw image must not be turned into something that probes as
 * another format: a guest could plant a qcow2 header with a host file as
 * its "backing file".  Name the format explicitly to write such data. */
#define PROBE_GUARD 4096
static int guard_probed_raw(struct blk *b, uint64_t off, const struct iovec *iov,
                            int cnt, size_t len)
{
    if (!b->probed_raw || off >= PROBE_GUARD)
        return 0;
    uint8_t *head = malloc(PROBE_GUARD);
    if (!head)
        return -ENOMEM;
    int r = b->drv->preadv(b, 0, &(struct iovec){ head, PROBE_GUARD < b->size ?
                           PROBE_GUARD : (size_t)b->size }, 1,
                           PROBE_GUARD < b->size ? PROBE_GUARD : (size_t)b->size);
    if (r == 0) {
        size_t n = len < PROBE_GUARD - off ? len : PROBE_GUARD - off;
        if (b->size < PROBE_GUARD)
            memset(head + b->size, 0, PROBE_GUARD - b->size);
        iov_to_buf(iov, cnt, 0, head + off, n);
        if (probe_format(head, PROBE_GUARD) != &blk_raw_driver) {
            blk_set_error(b, "refusing to write a %s header into an image whose "
                          "format was probed as raw; open it with format=raw",
                          probe_format(head, PROBE_GUARD)->name);
            r = -EPERM;
        }
    }
    free(head);
    return r;
}

int blk_pwritev(struct blk *b, uint64_t off, const struct iovec *iov, int cnt)
{
    if (cnt < 0)
        return -EINVAL;
    size_t len = iov_size(iov, cnt);
    int r = check_write(b, off, len);
    if (r < 0 || len == 0)
        return r;
    r = guard_probed_raw(b, off, iov, cnt, len);
    if (r < 0)
        return r;
    return b->drv->pwritev(b, off, iov, cnt, len);
}

int blk_pread(struct blk *b, uint64_t off, void *buf, size_t len)
{
    struct iovec v = { buf, len };
    return blk_preadv(b, off, &v, 1);
}

int blk_pwrite(struct blk *b, uint64_t off, const void *buf, size_t len)
{
    struct iovec v = { (void *)buf, len };
    return blk_pwritev(b, off, &v, 1);
}

int blk_flush(struct blk *b)
{
    if (b->read_only)
        return 0;
    return b->drv->flush(b);
}

int blk_discard(struct blk *b, uint64_t off, uint64_t len)
{
    int r = check_write(b, off, len);
    if (r < 0 || len == 0)
        return r;
    return b->drv->discard ? b->drv->discard(b, off, len) : 0;
}

int blk_write_zeroes(struct blk *b, uint64_t off, uint64_t len, unsigned flags)
{
    int r = check_write(b, off, len);
    if (r < 0 || len == 0)
        return r;
    return b->drv->write_zeroes(b, off, len, flags);
}

int blk_resize(struct blk *b, uint64_t new_size)
{
    if (b->read_only)
        return -EROFS;
    if (new_size > (uint64_t)INT64_MAX)
        return -EFBIG;
    if (!b->drv->resize)
        return -ENOTSUP;
    if (b->aio)
        blk_aio_drain(b->aio);
    return b->drv->resize(b, new_size);
}

int blk_read_backing(struct blk *b, uint64_t off, const struct iovec *iov,
                     int cnt, size_t len)
{
    struct blk *bk = b->backing;
    uint64_t have = 0;
    if (bk && off < bk->size)
        have = bk->size - off < len ? bk->size - off : len;
    if (have > 0) {
        struct iovec local[16], *w = cnt <= 16 ? local : malloc(sizeof *w * cnt);
        if (!w)
            return -ENOMEM;
        int wc = iov_window(iov, cnt, 0, have, w);
        int r = bk->drv->preadv(bk, off, w, wc, have);
        if (w != local)
            free(w);
        if (r < 0)
            return r;
    }
    if (have < len)
        iov_memset(iov, cnt, have, 0, len - have);
    return 0;
}

/* ---- Asynchronous I/O --------------------------------------------------- */

static int exec_request(void *ctx, struct blk_request *req)
{
    struct blk *b = ctx;
    switch (req->op) {
    case BLK_OP_READ: {
        size_t len = iov_size(req->iov, req->iovcnt);
        return len ? b->drv->preadv(b, req->offset, req->iov, req->iovcnt, len) : 0;
    }
    case BLK_OP_WRITE: {
        size_t len = iov_size(req->iov, req->iovcnt);
        if (len == 0)
            return 0;
        int r = guard_probed_raw(b, req->offset, req->iov, req->iovcnt, len);
        return r < 0 ? r : b->drv->pwritev(b, req->offset, req->iov, req->iovcnt, len);
    }
    case BLK_OP_FLUSH:
        return b->read_only ? 0 : b->drv->flush(b);
    case BLK_OP_DISCARD:
        return b->drv->discard && req->len ? b->drv->discard(b, req->offset, req->len) : 0;
    case BLK_OP_WRITE_ZEROES:
        return req->len ? b->drv->write_zeroes(b, req->offset, req->len, req->flags) : 0;
    }
    return -EINVAL;
}

/* What blk_submit() and blk_run() refuse before any I/O. */
static int check_request(struct blk *b, const struct blk_request *req)
{
    uint64_t len = req->len;
    switch (req->op) {
    case BLK_OP_READ:
    case BLK_OP_WRITE:
        if (req->iovcnt < 0 || (req->iovcnt > 0 && !req->iov))
            return -EINVAL;
        len = iov_size(req->iov, req->iovcnt);
        break;
    case BLK_OP_FLUSH:
        len = 0;
        break;
    case BLK_OP_DISCARD:
    case BLK_OP_WRITE_ZEROES:
        break;
    default:
        return -EINVAL;
    }
    if (req->op != BLK_OP_READ && req->op != BLK_OP_FLUSH && b->read_only)
        return -EROFS;
    return req->op == BLK_OP_FLUSH ? 0 : check_range(b, req->offset, len);
}

int blk_run(struct blk *b, struct blk_request *req)
{
    int r = check_request(b, req);
    return r < 0 ? r : exec_request(b, req);
}

int blk_submit(struct blk *b, struct blk_request *req)
{
    if (!req || !req->done)
        return -EINVAL;
    int r = check_request(b, req);
    if (r < 0)
        return r;
    pthread_mutex_lock(&b->aio_lock);
    if (!b->aio)
        b->aio = blk_aio_new(b->aio_threads, exec_request, b);
    pthread_mutex_unlock(&b->aio_lock);
    if (!b->aio)
        return -ENOMEM;
    blk_aio_submit(b->aio, req);
    return 0;
}

void blk_drain(struct blk *b)
{
    pthread_mutex_lock(&b->aio_lock);
    struct blk_aio *a = b->aio;
    pthread_mutex_unlock(&b->aio_lock);
    if (a)
        blk_aio_drain(a);
}

/* ---- Creating ----------------------------------------------------------- */

int blk_create(const char *path, const struct blk_create_opts *o, char *err)
{
    if (err)
        err[0] = 0;
    const char *fmt = o->format && *o->format ? o->format : "raw";
    const struct blk_driver *drv = blk_find_driver(fmt);
    if (!drv) {
        errf(err, "Unknown image format '%s' (supported: raw, qcow2, split)", fmt);
        return -EINVAL;
    }
    if (o->size > (uint64_t)INT64_MAX) {
        errf(err, "Image size %llu is too large", (unsigned long long)o->size);
        return -EFBIG;
    }
    return drv->create(path, o, err);
}

/* ---- Inspection --------------------------------------------------------- */

int blk_get_info(struct blk *b, struct blk_info *info)
{
    memset(info, 0, sizeof *info);
    snprintf(info->format, sizeof info->format, "%s", b->drv->name);
    snprintf(info->filename, sizeof info->filename, "%s", b->filename);
    info->virtual_size = b->size;
    int64_t a = bfile_allocated(&b->file);
    info->actual_size = a > 0 ? (uint64_t)a : 0;
    snprintf(info->backing_file, sizeof info->backing_file, "%s", b->backing_name);
    snprintf(info->backing_format, sizeof info->backing_format, "%s", b->backing_fmt);
    if (b->backing_name[0])
        blk_resolve_backing(b->filename, b->backing_name, info->full_backing_file);
    if (b->drv->info)
        b->drv->info(b, info);
    return 0;
}

int blk_snapshots(struct blk *b, struct blk_snapshot **list)
{
    *list = NULL;
    return b->drv->snapshots ? b->drv->snapshots(b, list) : 0;
}

int blk_block_status(struct blk *b, uint64_t off, uint64_t len, struct blk_extent *ext)
{
    memset(ext, 0, sizeof *ext);
    ext->offset = off;
    int r = check_range(b, off, len);
    if (r < 0)
        return r;
    if (len == 0)
        return -EINVAL;
    r = b->drv->block_status(b, off, len, ext);
    if (r < 0)
        return r;
    if (ext->length == 0 || ext->length > len)
        ext->length = len;
    if ((ext->flags & BLK_EXT_OFFSET) && !ext->file)
        ext->file = b->filename;
    return 0;
}

int blk_map(struct blk *b, uint64_t off, uint64_t len, struct blk_extent *ext)
{
    int r = blk_block_status(b, off, len, ext);
    if (r < 0)
        return r;
    ext->depth = 0;
    if (ext->flags & BLK_EXT_ALLOCATED)
        return 0;
    /* Not defined here: look down the chain for the same range.  Like
     * qemu-img map, a range no layer defines reports the depth of the
     * bottom-most image. */
    struct blk *bk = b->backing;
    int depth = 0;
    uint64_t n = ext->length;
    while (bk && off < bk->size) {
        depth++;
        if (n > bk->size - off)
            n = bk->size - off;
        struct blk_extent be;
        r = blk_block_status(bk, off, n, &be);
        if (r < 0)
            return r;
        n = be.length;
        if (be.flags & BLK_EXT_ALLOCATED) {
            *ext = be;
            ext->depth = depth;
            return 0;
        }
        bk = bk->backing;
    }
    while (bk) {                 /* shorter backing files: count the layers */
        depth++;
        bk = bk->backing;
    }
    ext->offset = off;
    ext->length = n;
    ext->flags = BLK_EXT_ZERO;
    ext->depth = depth;
    ext->host_offset = 0;
    ext->file = NULL;
    return 0;
}

/* ---- Check and metadata changes ---------------------------------------- */

int blk_check(struct blk *b, unsigned fix, struct blk_check_result *r,
              void (*report)(void *, const char *), void *opaque)
{
    memset(r, 0, sizeof *r);
    if (!b->drv->check)
        return 0;                          /* r->supported stays false */
    if (fix && b->read_only)
        return -EROFS;
    r->supported = true;
    return b->drv->check(b, fix, r, report, opaque);
}

int blk_set_backing(struct blk *b, const char *file, const char *fmt, char *err)
{
    if (b->read_only)
        return -EROFS;
    if (!b->drv->set_backing) {
        errf(err, "format '%s' has no backing files", b->drv->name);
        return -ENOTSUP;
    }
    if (fmt && *fmt && !blk_find_driver(fmt)) {
        errf(err, "Unknown backing file format '%s'", fmt);
        return -EINVAL;
    }
    return b->drv->set_backing(b, file ? file : "", fmt ? fmt : "", err);
}

int blk_make_empty(struct blk *b)
{
    if (b->read_only)
        return -EROFS;
    if (!b->drv->make_empty)
        return -ENOTSUP;
    return b->drv->make_empty(b);
}

int blk_write_compressed(struct blk *b, uint64_t off, const void *buf, size_t len)
{
    int r = check_write(b, off, len);
    if (r < 0)
        return r;
    if (!b->drv->write_compressed)
        return -ENOTSUP;
    if (len == 0)
        return 0;
    return b->drv->write_compressed(b, off, buf, len);
}

uint32_t blk_cluster_size(struct blk *b)
{
    struct blk_info *info = malloc(sizeof *info);
    if (!info)
        return 0;
    blk_get_info(b, info);
    uint32_t cs = info->cluster_size;
    free(info);
    return cs;
}
