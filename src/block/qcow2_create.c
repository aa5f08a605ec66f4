/*
 * qcow2_create.c — new qcow2 images, laid out as QEMU lays them out:
 * header, refcount table, refcount blocks, L1 table (then, with
 * preallocation, L2 tables and data clusters).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block/qcow2.h"

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

static unsigned log2u(uint64_t v)
{
    unsigned n = 0;
    while ((1ull << n) < v)
        n++;
    return n;
}

/* Size and format of the backing file, probing the format if not given. */
static int backing_info(const char *path, const struct blk_create_opts *o,
                        uint64_t *size, char *fmt_out, char *err)
{
    char bpath[4096], berr[BLK_ERR_LEN];
    blk_resolve_backing(path, o->backing_file, bpath);
    struct blk *bk;
    struct blk_open_opts bo = { .format = o->backing_format, .read_only = true,
                                .force_share = true };
    int r = blk_open(&bk, bpath, &bo, berr);
    if (r < 0) {
        errf(err, "Could not open backing file '%s': %s", o->backing_file, berr);
        return r;
    }
    *size = blk_size(bk);
    snprintf(fmt_out, 16, "%s", bk->drv->name);
    blk_close(bk);
    return 0;
}

int qcow2_create(const char *path, const struct blk_create_opts *o, char *err)
{
    uint64_t cs = o->cluster_size ? o->cluster_size : 65536;
    int version = o->compat ? o->compat : 3;
    unsigned refbits = o->refcount_bits ? (unsigned)o->refcount_bits : 16;
    if (cs < 512 || cs > (2u << 20) || (cs & (cs - 1))) {
        errf(err, "Cluster size must be a power of two between 512 and 2048k");
        return -EINVAL;
    }
    if (version != 2 && version != 3) {
        errf(err, "Invalid compat version (use 0.10 or 1.1)");
        return -EINVAL;
    }
    if (refbits > 64 || (refbits & (refbits - 1)) || !refbits) {
        errf(err, "Refcount width must be a power of two and may not exceed 64 bits");
        return -EINVAL;
    }
    if (version == 2 && refbits != 16) {
        errf(err, "Different refcount widths than 16 bits require compatibility level "
             "1.1 or above (use compat=1.1 or greater)");
        return -EINVAL;
    }
    if (version == 2 && o->compression == BLK_COMPRESS_ZSTD) {
        errf(err, "Non-zlib compression type is only supported with compatibility "
             "level 1.1 and above (use compat=1.1 or greater)");
        return -EINVAL;
    }
    bool backing = o->backing_file && *o->backing_file;
    char bfmt[16] = "";
    uint64_t size = o->size;
    if (backing && o->no_backing_check && !o->size) {
        errf(err, "Image creation with an unchecked backing file needs a size");
        return -EINVAL;
    }
    if (backing && !o->no_backing_check) {
        uint64_t bsize;
        int r = backing_info(path, o, &bsize, bfmt, err);
        if (r < 0)
            return r;
        if (!o->size)
            size = bsize;
    }
    if (backing) {
        if (o->prealloc != BLK_PREALLOC_OFF) {
            errf(err, "Backing file and preallocation can only be used at the same "
                 "time if extended_l2 is on");
            return -EINVAL;
        }
    }
    size = (size + 511) & ~(uint64_t)511;
    unsigned cbits = log2u(cs);
    uint64_t l1_entries = qcow2_l1_entries_for(size, cbits);
    if (l1_entries * 8 > QCOW2_MAX_L1_BYTES) {
        errf(err, "Image size %llu is too large for qcow2 with %llu-byte clusters",
             (unsigned long long)size, (unsigned long long)cs);
        return -EFBIG;
    }

    /* Layout: header, T table clusters, B refcount blocks, L L1 clusters,
     * then (preallocation) L2 tables and data clusters. */
    uint64_t l1_clusters = (l1_entries * 8 + cs - 1) / cs;
    uint64_t data_clusters = o->prealloc != BLK_PREALLOC_OFF ? (size + cs - 1) / cs : 0;
    uint64_t l2_clusters = o->prealloc != BLK_PREALLOC_OFF ? l1_entries : 0;
    uint64_t rb_entries = cs * 8 / refbits;
    uint64_t t = 1, nb = 1, total;
    for (;;) {
        total = 1 + t + nb + l1_clusters + l2_clusters + data_clusters;
        uint64_t need_b = (total + rb_entries - 1) / rb_entries;
        uint64_t need_t = (need_b * 8 + cs - 1) / cs;
        if (need_b <= nb && need_t <= t)
            break;
        nb = need_b > nb ? need_b : nb;
        t = need_t > t ? need_t : t;
    }
    if (t * cs > QCOW2_MAX_REFTABLE_BYTES) {
        errf(err, "Image size %llu needs a refcount table larger than qcow2 allows",
             (unsigned long long)size);
        return -EFBIG;
    }
    uint64_t rt_off = cs, rb_off = cs * (1 + t), l1_off = cs * (1 + t + nb);
    uint64_t l2_off = l1_off + l1_clusters * cs, data_off = l2_off + l2_clusters * cs;

    struct bfile f;
    int r = bfile_open(&f, path, true, true, BLK_CACHE_WRITEBACK, err);
    if (r < 0)
        return r;
    r = bfile_truncate(&f, 0);
    uint8_t *buf = calloc(1, cs);
    if (!buf)
        r = -ENOMEM;

    /* Refcount blocks: every cluster of the layout has refcount 1. */
    uint32_t order = log2u(refbits);
    for (uint64_t bi = 0; r == 0 && bi < nb; bi++) {
        memset(buf, 0, cs);
        for (uint64_t i = 0; i < rb_entries && bi * rb_entries + i < total; i++)
            qcow2_rb_set(buf, order, i, 1);
        r = bfile_pwrite(&f, buf, cs, rb_off + bi * cs);
    }
    /* Refcount table */
    for (uint64_t ti = 0; r == 0 && ti < t; ti++) {
        memset(buf, 0, cs);
        for (uint64_t i = 0; i < cs / 8; i++) {
            uint64_t idx = ti * (cs / 8) + i;
            if (idx < nb)
                be64_put(buf + i * 8, rb_off + idx * cs);
        }
        r = bfile_pwrite(&f, buf, cs, rt_off + ti * cs);
    }
    /* L1 (and L2) tables */
    uint64_t l2n = cs / 8;
    for (uint64_t li = 0; r == 0 && li < l1_clusters; li++) {
        memset(buf, 0, cs);
        for (uint64_t i = 0; l2_clusters && i < cs / 8; i++) {
            uint64_t idx = li * (cs / 8) + i;
            if (idx < l1_entries)
                be64_put(buf + i * 8, (l2_off + idx * cs) | QCOW_OFLAG_COPIED);
        }
        r = bfile_pwrite(&f, buf, cs, l1_off + li * cs);
    }
    for (uint64_t li = 0; r == 0 && li < l2_clusters; li++) {
        memset(buf, 0, cs);
        for (uint64_t i = 0; i < l2n; i++) {
            uint64_t d = li * l2n + i;
            if (d < data_clusters)
                be64_put(buf + i * 8, (data_off + d * cs) | QCOW_OFLAG_COPIED |
                         (version >= 3 && o->prealloc == BLK_PREALLOC_METADATA
                                                     ? QCOW_OFLAG_ZERO : 0));
        }
        r = bfile_pwrite(&f, buf, cs, l2_off + li * cs);
    }
    free(buf);

    /* Header, through the same code that rewrites it later. */
    struct blk fake = { .size = size };
    struct qcow2 s = {
        .b = &fake, .file = &f, .version = (uint32_t)version, .cluster_bits = cbits,
        .cluster_size = cs, .l1_size = (uint32_t)l1_entries, .l1_offset = l1_off,
        .reftable_offset = rt_off, .reftable_clusters = (uint32_t)t,
        .refcount_order = order, .header_length = version >= 3 ? 112 : 72,
        .compression_type = o->compression == BLK_COMPRESS_ZSTD ? 1 : 0,
    };
    if (o->compression == BLK_COMPRESS_ZSTD)
        s.incompat |= QCOW2_INCOMPAT_COMPRESSION;
    uint8_t extra[7] = { 0 };
    if (version >= 3)
        s.header_extra = extra;
    if (r == 0)
        r = qcow2_rewrite_header(&s, backing ? o->backing_file : "",
                                 backing ? (o->backing_format && *o->backing_format
                                            ? o->backing_format : bfmt) : "", err);
    uint64_t end = data_off + data_clusters * cs;
    if (r == 0)
        r = bfile_truncate(&f, end);
    if (r == 0 && o->prealloc == BLK_PREALLOC_FALLOC)
        r = bfile_fallocate(&f, data_off, data_clusters * cs);
    if (r == 0 && o->prealloc == BLK_PREALLOC_FULL) {
        uint8_t *z = calloc(1, 1u << 20);
        if (!z)
            r = -ENOMEM;
        for (uint64_t off = data_off; r == 0 && off < end; off += 1u << 20)
            r = bfile_pwrite(&f, z, end - off < (1u << 20) ? end - off : 1u << 20, off);
        free(z);
    }
    if (r == 0)
        r = bfile_sync(&f);
    if (r < 0 && err && !*err)
        errf(err, "Could not create '%s': %s", path, strerror(-r));
    bfile_close(&f);
    return r;
}
