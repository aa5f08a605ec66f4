/*
 * raw.c — the raw format: the virtual disk is the file, byte for byte.
 * Holes in a sparse file read as zeroes; discard punches holes.  As in
 * QEMU the virtual size is the file size rounded up to 512 bytes (the
 * tail reads as zeroes).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "block/driver.h"

static int raw_open(struct blk *b, char *err)
{
    int64_t size = bfile_size(&b->file);
    if (size < 0) {
        if (err)
            snprintf(err, BLK_ERR_LEN, "Could not get the size of '%s': %s",
                     b->filename, strerror((int)-size));
        return (int)size;
    }
    b->size = ((uint64_t)size + 511) & ~(uint64_t)511;
    return 0;
}

static void raw_close(struct blk *b) { (void)b; }

static int raw_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
    (void)len;
    return bfile_preadv(&b->file, iov, cnt, off);
}

static int raw_preadv_nowait(struct blk *b, uint64_t off, const struct iovec *iov, int cnt,
                             size_t len)
{
    return bfile_preadv_nowait(&b->file, iov, cnt, off, len);
}

static int raw_pwritev(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
    (void)len;
    return bfile_pwritev(&b->file, iov, cnt, off);
}

static int raw_flush(struct blk *b)
{
    return bfile_sync(&b->file);
}

static int raw_discard(struct blk *b, uint64_t off, uint64_t len)
{
    int r = bfile_zero(&b->file, off, len, true);
    return r == -EOPNOTSUPP ? 0 : r;
}

static int raw_write_zeroes(struct blk *b, uint64_t off, uint64_t len, unsigned flags)
{
    return bfile_zero(&b->file, off, len, flags & BLK_ZERO_MAY_UNMAP);
}

static int raw_resize(struct blk *b, uint64_t size)
{
    int r = bfile_truncate(&b->file, size);
    if (r == 0)
        b->size = (size + 511) & ~(uint64_t)511;
    return r;
}

static int raw_block_status(struct blk *b, uint64_t off, uint64_t len, struct blk_extent *ext)
{
    bool data;
    uint64_t n;
    int r = bfile_data_status(&b->file, off, len, &data, &n);
    if (r < 0)
        return r;
    ext->length = n;
    ext->flags = BLK_EXT_ALLOCATED | BLK_EXT_OFFSET | (data ? BLK_EXT_DATA : BLK_EXT_ZERO);
    ext->host_offset = off;
    return 0;
}

static int raw_create(const char *path, const struct blk_create_opts *o, char *err)
{
    if (o->backing_file && *o->backing_file) {
        snprintf(err, BLK_ERR_LEN, "Format 'raw' does not support backing files");
        return -ENOTSUP;
    }
    struct bfile f;
    int r = bfile_open(&f, path, true, true, BLK_CACHE_WRITEBACK, err);
    if (r < 0)
        return r;
    uint64_t size = (o->size + 511) & ~(uint64_t)511;
    r = bfile_truncate(&f, 0);
    if (r == 0)
        r = bfile_truncate(&f, size);
    if (r == 0 && o->prealloc == BLK_PREALLOC_FALLOC)
        r = bfile_fallocate(&f, 0, size);
    if (r == 0 && o->prealloc == BLK_PREALLOC_FULL) {
        static const char zero[65536];
        for (uint64_t off = 0; off < size && r == 0; off += sizeof zero)
            r = bfile_pwrite(&f, zero, size - off < sizeof zero ? (size_t)(size - off)
                             : sizeof zero, off);
    }
    if (r == 0)
        r = bfile_sync(&f);
    if (r < 0)
        snprintf(err, BLK_ERR_LEN, "Could not create '%s': %s", path, strerror(-r));
    bfile_close(&f);
    return r;
}

const struct blk_driver blk_raw_driver = {
    .name = "raw",
    .probe = NULL,
    .create = raw_create,
    .open = raw_open,
    .close = raw_close,
    .preadv = raw_preadv,
    .preadv_nowait = raw_preadv_nowait,
    .pwritev = raw_pwritev,
    .flush = raw_flush,
    .discard = raw_discard,
    .write_zeroes = raw_write_zeroes,
    .resize = raw_resize,
    .block_status = raw_block_status,
};
