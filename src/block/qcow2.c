/*
 * qcow2.c — the qcow2 driver: opening (with every header and table
 * validated before use), the header, info, resize, backing-file changes.
 * Guest I/O is in qcow2_io.c; see qcow2.h for the map of files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block/qcow2.h"

#define L2_CACHE_MAX_BYTES (32u << 20)   /* maps 256 GiB at 64 KiB clusters */
#define RB_CACHE_MAX_BYTES (1u << 20)
#define MAX_SNAPSHOT_TABLE (64u << 20)
#define MAX_SNAPSHOT_EXTRA 1024u

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

static bool qcow2_probe(const uint8_t *head, size_t len)
{
    return len >= 8 && be32_get(head) == QCOW2_MAGIC &&
           (be32_get(head + 4) == 2 || be32_get(head + 4) == 3);
}

uint64_t qcow2_l1_entries_for(uint64_t size, uint32_t cluster_bits)
{
    uint32_t shift = cluster_bits + (cluster_bits - 3);
    return (size + (1ull << shift) - 1) >> shift;
}

int qcow2_write_header_field(struct qcow2 *s, unsigned off, const void *val, size_t len)
{
    int r = bfile_pwrite(s->file, val, len, off);
    if (r == 0)
        s->unsynced = true;
    return r;
}

void qcow2_signal_corruption(struct qcow2 *s, const char *fmt, ...)
{
    char msg[BLK_ERR_LEN - 64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!s->corrupt && s->file->writable && !s->b->repair) {
        /* Mark the image so nothing writes to it until it is repaired. */
        uint8_t v[8];
        be64_put(v, s->incompat | QCOW2_INCOMPAT_CORRUPT);
        if (s->version >= 3 && bfile_pwrite(s->file, v, 8, 72) == 0) {
            s->incompat |= QCOW2_INCOMPAT_CORRUPT;
            bfile_sync(s->file);
        }
    }
    if (!s->b->repair)
        s->corrupt = true;
    blk_set_error(s->b, "qcow2 image '%s' is corrupt: %s%s", s->b->filename, msg,
                  s->version >= 3 && s->file->writable && !s->b->repair
                  ? " (marked corrupt; run 'vessel img check -r all')" : "");
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

static uint64_t round_cluster(struct qcow2 *s, uint64_t n)
{
    return (n + s->cluster_size - 1) & ~(s->cluster_size - 1);
}

bool qcow2_overlaps_metadata(struct qcow2 *s, uint64_t off, uint64_t len)
{
    if (ranges_overlap(off, len, 0, s->cluster_size))
        return true;
    if (ranges_overlap(off, len, s->l1_offset, round_cluster(s, (uint64_t)s->l1_size * 8)))
        return true;
    if (ranges_overlap(off, len, s->reftable_offset,
                       (uint64_t)s->reftable_clusters << s->cluster_bits))
        return true;
    if (s->nb_snapshots &&
        ranges_overlap(off, len, s->snapshots_offset, round_cluster(s, s->snapshots_size)))
        return true;
    for (uint32_t i = 0; i < s->nb_snapshots; i++)
        if (ranges_overlap(off, len, s->snapshots[i].l1_offset,
                           round_cluster(s, (uint64_t)s->snapshots[i].l1_size * 8)))
            return true;
    return false;
}

/* ---- Opening ------------------------------------------------------------ */

static const char *feature_name(struct qcow2 *s, int type, int bit, char *buf, size_t len)
{
    for (uint32_t i = 0; i + 48 <= s->features_ext_len; i += 48) {
        const uint8_t *e = s->features_ext + i;
        if (e[0] == type && e[1] == bit) {
            snprintf(buf, len, "%.46s", (const char *)e + 2);
            return buf;
        }
    }
    snprintf(buf, len, "unknown feature bit %d", bit);
    return buf;
}

static int parse_extensions(struct qcow2 *s, const uint8_t *hdr, uint64_t ext_end,
                            char *err)
{
    uint64_t off = s->version >= 3 ? s->header_length : 72;
    while (off + 8 <= ext_end) {
        uint32_t type = be32_get(hdr + off), len = be32_get(hdr + off + 4);
        off += 8;
        if (type == QCOW2_EXT_END)
            return 0;
        if (len > ext_end - off) {
            errf(err, "header extension 0x%08x (%u bytes) runs past the end of the "
                 "header cluster", type, len);
            return -EINVAL;
        }
        const uint8_t *d = hdr + off;
        switch (type) {
        case QCOW2_EXT_BACKING_FMT:
            if (len >= sizeof s->b->backing_fmt) {
                errf(err, "backing file format name is too long (%u bytes)", len);
                return -EINVAL;
            }
            memcpy(s->b->backing_fmt, d, len);
            s->b->backing_fmt[len] = 0;
            break;
        case QCOW2_EXT_FEATURES:
            free(s->features_ext);
            s->features_ext = malloc(len ? len : 1);
            if (!s->features_ext)
                return -ENOMEM;
            memcpy(s->features_ext, d, len);
            s->features_ext_len = len;
            break;
        case QCOW2_EXT_BITMAPS:
            free(s->bitmaps_ext);
            s->bitmaps_ext = malloc(len ? len : 1);
            if (!s->bitmaps_ext)
                return -ENOMEM;
            memcpy(s->bitmaps_ext, d, len);
            s->bitmaps_ext_len = len;
            break;
        case QCOW2_EXT_CRYPTO:
            errf(err, "encrypted qcow2 images are not supported");
            return -ENOTSUP;
        default: {
            if (s->nb_exts >= 64) {
                errf(err, "too many header extensions");
                return -EINVAL;
            }
            struct qcow2_ext *x = realloc(s->exts, sizeof *x * (size_t)(s->nb_exts + 1));
            if (!x)
                return -ENOMEM;
            s->exts = x;
            x[s->nb_exts].type = type;
            x[s->nb_exts].len = len;
            x[s->nb_exts].data = malloc(len ? len : 1);
            if (!x[s->nb_exts].data)
                return -ENOMEM;
            memcpy(x[s->nb_exts].data, d, len);
            s->nb_exts++;
        }
        }
        off += (len + 7) & ~7u;
    }
    return 0;
}

static int read_table(struct qcow2 *s, uint64_t off, uint64_t entries, uint64_t **out)
{
    uint64_t *t = malloc(entries ? entries * 8 : 8);
    if (!t)
        return -ENOMEM;
    int r = entries ? bfile_pread(s->file, t, entries * 8, off) : 0;
    if (r < 0) {
        free(t);
        return r;
    }
    for (uint64_t i = 0; i < entries; i++)
        t[i] = be64_get(&t[i]);
    *out = t;
    return 0;
}

static int load_snapshots(struct qcow2 *s, uint64_t file_size, char *err)
{
    if (!s->nb_snapshots)
        return 0;
    if (s->nb_snapshots > QCOW2_MAX_SNAPSHOTS) {
        errf(err, "'%s': image claims %u snapshots (at most %u supported)", s->b->filename,
             s->nb_snapshots, QCOW2_MAX_SNAPSHOTS);
        return -EINVAL;
    }
    if (qcow2_offset_in_cluster(s, s->snapshots_offset) || !s->snapshots_offset) {
        errf(err, "'%s': snapshot table offset 0x%llx is invalid", s->b->filename,
             (unsigned long long)s->snapshots_offset);
        return -EINVAL;
    }
    s->snapshots = calloc(s->nb_snapshots, sizeof *s->snapshots);
    if (!s->snapshots)
        return -ENOMEM;
    uint64_t off = s->snapshots_offset;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        uint8_t h[40];
        if (off + 40 > file_size || off - s->snapshots_offset > MAX_SNAPSHOT_TABLE) {
            errf(err, "'%s': snapshot table runs past the end of the file", s->b->filename);
            return -EINVAL;
        }
        int r = bfile_pread(s->file, h, 40, off);
        if (r < 0)
            return r;
        s->snapshots[i].l1_offset = be64_get(h);
        s->snapshots[i].l1_size = be32_get(h + 8);
        uint32_t id_len = be16_get(h + 12), name_len = be16_get(h + 14);
        uint32_t extra = be32_get(h + 36);
        if (extra > MAX_SNAPSHOT_EXTRA) {
            errf(err, "'%s': snapshot %u has %u bytes of extra data (at most %u)", s->b->filename, i, extra,
                 MAX_SNAPSHOT_EXTRA);
            return -EINVAL;
        }
        /* The descriptive part, for `info`: times, VM state, ID, name. */
        struct blk_snapshot *si = &s->snapshots[i].info;
        si->date_sec = be32_get(h + 16);
        si->date_nsec = be32_get(h + 20);
        si->vm_clock_nsec = be64_get(h + 24);
        si->vm_state_size = be32_get(h + 32);
        si->icount = -1;
        uint8_t ex[MAX_SNAPSHOT_EXTRA];
        if (off + 40 + extra + id_len + name_len <= file_size &&
            (r = bfile_pread(s->file, ex, extra, off + 40)) == 0) {
            if (extra >= 8)
                si->vm_state_size = be64_get(ex);
            if (extra >= 24)
                si->icount = (int64_t)be64_get(ex + 16);
            char *str = malloc(id_len + name_len + 1);
            if (!str)
                return -ENOMEM;
            if ((r = bfile_pread(s->file, str, id_len + name_len, off + 40 + extra)) == 0) {
                snprintf(si->id, sizeof si->id, "%.*s", (int)id_len, str);
                snprintf(si->name, sizeof si->name, "%.*s", (int)name_len, str + id_len);
            }
            free(str);
        }
        if (r < 0)
            return r;
        if (qcow2_offset_in_cluster(s, s->snapshots[i].l1_offset) ||
            (uint64_t)s->snapshots[i].l1_size * 8 > QCOW2_MAX_L1_BYTES ||
            s->snapshots[i].l1_offset + (uint64_t)s->snapshots[i].l1_size * 8 > file_size) {
            errf(err, "'%s': snapshot %u has an invalid L1 table (offset 0x%llx, %u entries)",
                 s->b->filename, i, (unsigned long long)s->snapshots[i].l1_offset, s->snapshots[i].l1_size);
            return -EINVAL;
        }
        off += 40 + extra + id_len + name_len;
        if (off > file_size)               /* the last padding may be missing */
            break;
        off = (off + 7) & ~7ull;
    }
    s->snapshots_size = off - s->snapshots_offset;
    if (off > ((file_size + 7) & ~7ull)) {
        errf(err, "'%s': snapshot table runs past the end of the file", s->b->filename);
        return -EINVAL;
    }
    return 0;
}

static int open_fail(struct qcow2 *s, int r);

static int qcow2_open(struct blk *b, char *err)
{
    struct qcow2 *s = calloc(1, sizeof *s);
    if (!s)
        return -ENOMEM;
    b->state = s;
    s->b = b;
    s->file = &b->file;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->inflight_done, NULL);
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(&s->io_lock, &ra);
    pthread_rwlockattr_destroy(&ra);
    s->l1_dirty_lo = UINT32_MAX;

    int64_t fsz = bfile_size(s->file);
    if (fsz < 0)
        return open_fail(s, (int)fsz);
    uint64_t file_size = (uint64_t)fsz;
    uint8_t h[112];
    memset(h, 0, sizeof h);
    if (file_size < 72) {
        errf(err, "'%s' is too short to be a qcow2 image (%llu bytes)", b->filename,
             (unsigned long long)file_size);
        return open_fail(s, -EINVAL);
    }
    int r = bfile_pread(s->file, h, sizeof h, 0);
    if (r < 0)
        return open_fail(s, r);
    if (be32_get(h) != QCOW2_MAGIC) {
        errf(err, "'%s' is not a qcow2 image (bad magic)", b->filename);
        return open_fail(s, -EINVAL);
    }
    s->version = be32_get(h + 4);
    if (s->version != 2 && s->version != 3) {
        errf(err, "'%s': unsupported qcow2 version %u", b->filename, s->version);
        return open_fail(s, -ENOTSUP);
    }
    uint64_t backing_off = be64_get(h + 8);
    uint32_t backing_len = be32_get(h + 16);
    s->cluster_bits = be32_get(h + 20);
    uint64_t size = be64_get(h + 24);
    uint32_t crypt = be32_get(h + 32);
    s->l1_size = be32_get(h + 36);
    s->l1_offset = be64_get(h + 40);
    s->reftable_offset = be64_get(h + 48);
    s->reftable_clusters = be32_get(h + 56);
    s->nb_snapshots = be32_get(h + 60);
    s->snapshots_offset = be64_get(h + 64);
    s->refcount_order = 4;
    s->header_length = 72;
    if (s->version >= 3) {
        if (file_size < 104) {
            errf(err, "'%s' is too short for a qcow2 v3 header", b->filename);
            return open_fail(s, -EINVAL);
        }
        s->incompat = be64_get(h + 72);
        s->compat = be64_get(h + 80);
        s->autoclear = be64_get(h + 88);
        s->refcount_order = be32_get(h + 96);
        s->header_length = be32_get(h + 100);
    }

    if (s->cluster_bits < QCOW2_MIN_CLUSTER_BITS || s->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
        errf(err, "'%s': unsupported cluster size 2^%u (512 bytes to 2 MiB are)",
             b->filename, s->cluster_bits);
        return open_fail(s, -EINVAL);
    }
    s->cluster_size = 1ull << s->cluster_bits;
    s->l2_bits = s->cluster_bits - 3;
    if (s->version >= 3 && (s->header_length < 104 || s->header_length % 8 ||
                            s->header_length > s->cluster_size)) {
        errf(err, "'%s': invalid header length %u", b->filename, s->header_length);
        return open_fail(s, -EINVAL);
    }
    if (s->refcount_order > 6) {
        errf(err, "'%s': invalid refcount order %u (refcounts wider than 64 bits)",
             b->filename, s->refcount_order);
        return open_fail(s, -EINVAL);
    }
    s->refcount_bits = 1u << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX : (1ull << s->refcount_bits) - 1;
    s->rb_bits = s->cluster_bits + 3 - s->refcount_order;
    if (crypt) {
        errf(err, "'%s': encrypted qcow2 images are not supported", b->filename);
        return open_fail(s, -ENOTSUP);
    }

    /* The whole first cluster: extensions and the backing file name. */
    uint8_t *hc = calloc(1, s->cluster_size);
    if (!hc)
        return open_fail(s, -ENOMEM);
    r = bfile_pread(s->file, hc, s->cluster_size, 0);
    if (r == 0 && s->version >= 3 && s->header_length > 104) {
        s->compression_type = s->header_length > 104 ? hc[104] : 0;
        if (s->header_length > 105) {
            s->header_extra = malloc(s->header_length - 105);
            if (!s->header_extra)
                r = -ENOMEM;
            else
                memcpy(s->header_extra, hc + 105, s->header_length - 105);
        }
    }
    if (r < 0) {
        free(hc);
        return open_fail(s, r);
    }
    uint64_t ext_end = s->cluster_size;
    if (backing_off) {
        if (backing_len > QCOW2_MAX_BACKING_NAME || backing_off >= s->cluster_size ||
            backing_len > s->cluster_size - backing_off) {
            errf(err, "'%s': backing file name (offset %llu, %u bytes) is invalid",
                 b->filename, (unsigned long long)backing_off, backing_len);
            free(hc);
            return open_fail(s, -EINVAL);
        }
        if (backing_off < ext_end)
            ext_end = backing_off;
        memcpy(b->backing_name, hc + backing_off, backing_len);
        b->backing_name[backing_len] = 0;
        if (strlen(b->backing_name) != backing_len) {
            errf(err, "'%s': backing file name contains a NUL byte", b->filename);
            free(hc);
            return open_fail(s, -EINVAL);
        }
    }
    r = parse_extensions(s, hc, ext_end, err);
    free(hc);
    if (r < 0)
        return open_fail(s, r);

    /* Features */
    uint64_t unknown = s->incompat & ~QCOW2_INCOMPAT_KNOWN;
    if (unknown) {
        char name[64];
        int bit = __builtin_ctzll(unknown);
        errf(err, "'%s' uses unsupported qcow2 feature: %s", b->filename,
             feature_name(s, 0, bit, name, sizeof name));
        return open_fail(s, -ENOTSUP);
    }
    if (s->incompat & QCOW2_INCOMPAT_DATA_FILE) {
        errf(err, "'%s' uses an external data file, which Vessel does not support",
             b->filename);
        return open_fail(s, -ENOTSUP);
    }
    if (s->incompat & QCOW2_INCOMPAT_EXTL2) {
        errf(err, "'%s' uses extended L2 entries (subclusters), which Vessel does not "
             "support", b->filename);
        return open_fail(s, -ENOTSUP);
    }
    if (s->incompat & QCOW2_INCOMPAT_COMPRESSION) {
        if (s->header_length <= 104 || s->compression_type == 0) {
            errf(err, "'%s': compression type bit set but no compression type given",
                 b->filename);
            return open_fail(s, -EINVAL);
        }
    } else if (s->compression_type != 0) {
        errf(err, "'%s': compression type %u set without its feature bit", b->filename,
             s->compression_type);
        return open_fail(s, -EINVAL);
    }
    if (s->compression_type > 1) {
        errf(err, "'%s': unknown compression type %u", b->filename, s->compression_type);
        return open_fail(s, -ENOTSUP);
    }
    if ((s->incompat & QCOW2_INCOMPAT_CORRUPT) && !b->read_only && !b->repair) {
        errf(err, "'%s' is marked corrupt and cannot be opened read/write; repair it "
             "with 'vessel img check -r all' or open it read-only", b->filename);
        return open_fail(s, -EACCES);
    }

    /* Size and tables */
    if (size > (uint64_t)INT64_MAX) {
        errf(err, "'%s': virtual size %llu is too large", b->filename,
             (unsigned long long)size);
        return open_fail(s, -EFBIG);
    }
    uint64_t l1_needed = qcow2_l1_entries_for(size, s->cluster_bits);
    if (l1_needed > QCOW2_MAX_L1_BYTES / 8 || (uint64_t)s->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
        errf(err, "'%s': virtual size %llu needs an L1 table larger than %u bytes",
             b->filename, (unsigned long long)size, QCOW2_MAX_L1_BYTES);
        return open_fail(s, -EFBIG);
    }
    if (s->l1_size < l1_needed) {
        errf(err, "'%s': L1 table (%u entries) too small for the virtual size %llu",
             b->filename, s->l1_size, (unsigned long long)size);
        return open_fail(s, -EINVAL);
    }
    if (s->l1_size && (!s->l1_offset || qcow2_offset_in_cluster(s, s->l1_offset))) {
        errf(err, "'%s': L1 table offset 0x%llx is invalid", b->filename,
             (unsigned long long)s->l1_offset);
        return open_fail(s, -EINVAL);
    }
    if (s->l1_size && (s->l1_offset > file_size ||
                       (uint64_t)s->l1_size * 8 > file_size - s->l1_offset)) {
        errf(err, "'%s': L1 table (offset 0x%llx) lies past the end of the file "
             "(truncated image?)", b->filename, (unsigned long long)s->l1_offset);
        return open_fail(s, -EINVAL);
    }
    if (!s->reftable_clusters || !s->reftable_offset ||
        qcow2_offset_in_cluster(s, s->reftable_offset) ||
        ((uint64_t)s->reftable_clusters << s->cluster_bits) > QCOW2_MAX_REFTABLE_BYTES) {
        errf(err, "'%s': refcount table (offset 0x%llx, %u clusters) is invalid",
             b->filename, (unsigned long long)s->reftable_offset, s->reftable_clusters);
        return open_fail(s, -EINVAL);
    }
    s->reftable_size = ((uint64_t)s->reftable_clusters << s->cluster_bits) / 8;
    if (s->reftable_offset > file_size ||
        s->reftable_size * 8 > file_size - s->reftable_offset) {
        errf(err, "'%s': refcount table (offset 0x%llx) lies past the end of the file "
             "(truncated image?)", b->filename, (unsigned long long)s->reftable_offset);
        return open_fail(s, -EINVAL);
    }
    r = load_snapshots(s, file_size, err);
    if (r < 0) {
        if (err && !*err)
            errf(err, "'%s': cannot read the snapshot table", b->filename);
        return open_fail(s, r);
    }

    /* Overlapping tables */
    struct { const char *name; uint64_t off, len; } t[3] = {
        { "header", 0, s->cluster_size },
        { "L1 table", s->l1_offset, round_cluster(s, (uint64_t)s->l1_size * 8) },
        { "refcount table", s->reftable_offset,
          (uint64_t)s->reftable_clusters << s->cluster_bits },
    };
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (ranges_overlap(t[i].off, t[i].len, t[j].off, t[j].len)) {
                errf(err, "'%s': the %s and the %s overlap (corrupt image)", b->filename,
                     t[i].name, t[j].name);
                return open_fail(s, -EINVAL);
            }
    if (s->nb_snapshots)
        for (int i = 0; i < 3; i++)
            if (ranges_overlap(t[i].off, t[i].len, s->snapshots_offset,
                               round_cluster(s, s->snapshots_size))) {
                errf(err, "'%s': the snapshot table overlaps the %s (corrupt image)",
                     b->filename, t[i].name);
                return open_fail(s, -EINVAL);
            }

    if ((r = read_table(s, s->l1_offset, s->l1_size, &s->l1)) < 0 ||
        (r = read_table(s, s->reftable_offset, s->reftable_size, &s->reftable)) < 0)
        return open_fail(s, r);

    /* Caches: enough L2 tables to map the whole disk, within limits. */
    uint64_t l2_want = l1_needed ? l1_needed : 1;
    uint64_t l2_max = L2_CACHE_MAX_BYTES / s->cluster_size;
    if (l2_max > 4096)
        l2_max = 4096;                       /* small clusters: bound the count */
    unsigned l2_n = (unsigned)(l2_want < l2_max ? l2_want : l2_max);
    if (l2_n < 4)
        l2_n = 4;
    unsigned rb_n = (unsigned)(RB_CACHE_MAX_BYTES / s->cluster_size);
    if (rb_n < 4)
        rb_n = 4;
    if (rb_n > 64)
        rb_n = 64;
    if ((r = qcow2_cache_init(&s->l2_cache, l2_n, s->cluster_size, true)) < 0 ||
        (r = qcow2_cache_init(&s->rb_cache, rb_n, s->cluster_size, false)) < 0)
        return open_fail(s, r);

    s->fresh_from = round_cluster(s, file_size) >> s->cluster_bits;
    s->alloc_end = s->fresh_from;
    s->free_hint = 0;
    b->size = size;

    if (!b->read_only) {
        if (s->autoclear) {
            /* We maintain none of the auto-clear features (bitmaps). */
            uint8_t v[8];
            be64_put(v, 0);
            if ((r = qcow2_write_header_field(s, 88, v, 8)) < 0)
                return open_fail(s, r);
            s->autoclear = 0;
        }
        if (s->incompat & QCOW2_INCOMPAT_DIRTY) {
            /* Refcounts may be stale (lazy refcounts): rebuild them. */
            struct blk_check_result cr;
            r = qcow2_check(b, BLK_FIX_LEAKS | BLK_FIX_ERRORS, &cr, NULL, NULL);
            if (r == 0 && cr.corruptions > cr.corruptions_fixed)
                r = -EIO;
            if (r < 0) {
                errf(err, "'%s' was not closed cleanly and its refcounts could not be "
                     "repaired", b->filename);
                return open_fail(s, r);
            }
            uint8_t v[8];
            be64_put(v, s->incompat & ~QCOW2_INCOMPAT_DIRTY);
            if ((r = qcow2_write_header_field(s, 72, v, 8)) < 0 ||
                (r = qcow2_sync(s)) < 0)
                return open_fail(s, r);
            s->incompat &= ~QCOW2_INCOMPAT_DIRTY;
        }
    }
    return 0;
}

static void free_state(struct qcow2 *s)
{
    qcow2_cache_destroy(&s->l2_cache);
    qcow2_cache_destroy(&s->rb_cache);
    free(s->l1);
    free(s->reftable);
    free(s->snapshots);
    for (int i = 0; i < s->nb_exts; i++)
        free(s->exts[i].data);
    free(s->exts);
    free(s->features_ext);
    free(s->bitmaps_ext);
    free(s->header_extra);
    free(s->frees);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->inflight_done);
    pthread_rwlock_destroy(&s->io_lock);
    free(s);
}

static int open_fail(struct qcow2 *s, int r)
{
    s->b->state = NULL;
    free_state(s);
    return r;
}

static void qcow2_close(struct blk *b)
{
    if (b->state)
        free_state(b->state);
    b->state = NULL;
}

/* ---- Header rewrite ------------------------------------------------------ */

static size_t put_ext(uint8_t *buf, size_t off, uint32_t type, const void *d, uint32_t len)
{
    be32_put(buf + off, type);
    be32_put(buf + off + 4, len);
    memcpy(buf + off + 8, d, len);
    return off + 8 + ((len + 7) & ~7u);
}

/* Feature names for the features this implementation knows. */
static size_t feature_table(uint8_t *t)
{
    static const struct { uint8_t type, bit; const char *name; } f[] = {
        { 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" }, { 0, 2, "external data file" },
        { 0, 3, "compression type" }, { 0, 4, "extended L2 entries" },
        { 1, 0, "lazy refcounts" }, { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
    };
    size_t n = sizeof f / sizeof f[0];
    memset(t, 0, n * 48);
    for (size_t i = 0; i < n; i++) {
        t[i * 48] = f[i].type;
        t[i * 48 + 1] = f[i].bit;
        memcpy(t + i * 48 + 2, f[i].name, strlen(f[i].name));
    }
    return n * 48;
}

int qcow2_rewrite_header(struct qcow2 *s, const char *backing, const char *backing_fmt,
                         char *err)
{
    size_t blen = strlen(backing);
    if (blen > QCOW2_MAX_BACKING_NAME) {
        errf(err, "backing file name too long (%zu bytes, at most %d)", blen,
             QCOW2_MAX_BACKING_NAME);
        return -EINVAL;
    }
    uint8_t *buf = calloc(1, s->cluster_size + 4096);
    if (!buf)
        return -ENOMEM;
    be32_put(buf, QCOW2_MAGIC);
    be32_put(buf + 4, s->version);
    be32_put(buf + 20, s->cluster_bits);
    be64_put(buf + 24, s->b->size);
    be32_put(buf + 36, s->l1_size);
    be64_put(buf + 40, s->l1_offset);
    be64_put(buf + 48, s->reftable_offset);
    be32_put(buf + 56, s->reftable_clusters);
    be32_put(buf + 60, s->nb_snapshots);
    be64_put(buf + 64, s->snapshots_offset);
    size_t off = 72;
    if (s->version >= 3) {
        be64_put(buf + 72, s->incompat);
        be64_put(buf + 80, s->compat);
        be64_put(buf + 88, s->autoclear);
        be32_put(buf + 96, s->refcount_order);
        be32_put(buf + 100, s->header_length);
        if (s->header_length > 104)
            buf[104] = s->compression_type;
        if (s->header_extra)
            memcpy(buf + 105, s->header_extra, s->header_length - 105);
        off = s->header_length;
    }
    uint8_t ft[8 * 48];
    size_t ftlen = feature_table(ft);
    size_t need = off + 8 + blen;                    /* end marker, backing name */
    if (backing_fmt && *backing_fmt && blen)
        need += 8 + ((strlen(backing_fmt) + 7) & ~(size_t)7);
    if (s->bitmaps_ext)
        need += 8 + ((s->bitmaps_ext_len + 7) & ~7u);
    for (int i = 0; i < s->nb_exts; i++)
        need += 8 + ((s->exts[i].len + 7) & ~7u);
    if (need > s->cluster_size) {
        free(buf);
        errf(err, "the new header does not fit in the first cluster");
        return -ENOSPC;
    }
    /* The feature name table is optional: only where it fits (not with
     * 512-byte clusters, as in QEMU). */
    bool with_ft = s->version >= 3 && need + 8 + ftlen <= s->cluster_size;
    if (backing_fmt && *backing_fmt && blen)
        off = put_ext(buf, off, QCOW2_EXT_BACKING_FMT, backing_fmt,
                      (uint32_t)strlen(backing_fmt));
    if (with_ft)
        off = put_ext(buf, off, QCOW2_EXT_FEATURES, ft, (uint32_t)ftlen);
    if (s->bitmaps_ext)
        off = put_ext(buf, off, QCOW2_EXT_BITMAPS, s->bitmaps_ext, s->bitmaps_ext_len);
    for (int i = 0; i < s->nb_exts; i++)
        off = put_ext(buf, off, s->exts[i].type, s->exts[i].data, s->exts[i].len);
    off += 8;                                   /* end-of-extensions marker */
    if (blen) {
        be64_put(buf + 8, off);
        be32_put(buf + 16, (uint32_t)blen);
        memcpy(buf + off, backing, blen);
        off += blen;
    }
    size_t wlen = (off + 511) & ~(size_t)511;
    int r = bfile_pwrite(s->file, buf, wlen, 0);
    if (r == 0)
        r = qcow2_sync(s);
    free(buf);
    if (r < 0)
        errf(err, "could not write the image header: %s", strerror(-r));
    return r;
}

static int qcow2_set_backing(struct blk *b, const char *file, const char *fmt, char *err)
{
    struct qcow2 *s = b->state;
    pthread_rwlock_wrlock(&s->io_lock);
    pthread_mutex_lock(&s->lock);
    int r = qcow2_write_metadata(s);
    if (r == 0)
        r = qcow2_sync(s);
    if (r == 0)
        r = qcow2_rewrite_header(s, file, fmt, err);
    if (r == 0) {
        snprintf(b->backing_name, sizeof b->backing_name, "%s", file);
        snprintf(b->backing_fmt, sizeof b->backing_fmt, "%s", *file ? fmt : "");
    }
    pthread_mutex_unlock(&s->lock);
    pthread_rwlock_unlock(&s->io_lock);
    return r;
}

/* ---- Resize ------------------------------------------------------------- */

static int grow_l1(struct qcow2 *s, uint64_t entries)
{
    uint64_t bytes = round_cluster(s, entries * 8);
    entries = bytes / 8;                         /* use the whole clusters */
    if (bytes > QCOW2_MAX_L1_BYTES)
        return -EFBIG;
    int r = qcow2_write_metadata(s);
    if (r == 0)
        r = qcow2_sync(s);
    uint64_t new_off;
    if (r == 0)
        r = qcow2_alloc_clusters(s, bytes >> s->cluster_bits, &new_off);
    if (r < 0)
        return r;
    uint64_t *nl1 = calloc(entries, sizeof *nl1);
    uint8_t *buf = calloc(1, bytes);
    if (!nl1 || !buf) {
        free(nl1);
        free(buf);
        return -ENOMEM;
    }
    memcpy(nl1, s->l1, (size_t)s->l1_size * 8);
    for (uint64_t i = 0; i < entries; i++)
        be64_put(buf + i * 8, nl1[i]);
    /* New table and its refcount durable, then the header, then free. */
    r = qcow2_cache_flush(s, &s->rb_cache);
    if (r == 0)
        r = bfile_pwrite(s->file, buf, bytes, new_off);
    if (r == 0)
        r = qcow2_sync(s);
    uint8_t h[12];
    be32_put(h, (uint32_t)entries);
    be64_put(h + 4, new_off);
    if (r == 0)
        r = qcow2_write_header_field(s, 36, h, 12);
    if (r == 0)
        r = qcow2_sync(s);
    free(buf);
    if (r < 0) {
        free(nl1);
        return r;
    }
    uint64_t old_off = s->l1_offset, old_bytes = round_cluster(s, (uint64_t)s->l1_size * 8);
    free(s->l1);
    s->l1 = nl1;
    s->l1_size = (uint32_t)entries;
    s->l1_offset = new_off;
    for (uint64_t i = 0; old_off && i < (old_bytes >> s->cluster_bits); i++) {
        r = qcow2_update_refcount(s, (old_off >> s->cluster_bits) + i, -1);
        if (r < 0)
            return r;
    }
    return 0;
}

static int qcow2_resize(struct blk *b, uint64_t new_size)
{
    struct qcow2 *s = b->state;
    new_size = (new_size + 511) & ~(uint64_t)511;
    if (s->nb_snapshots) {
        blk_set_error(b, "Can't resize an image which has snapshots");
        return -ENOTSUP;
    }
    uint64_t needed = qcow2_l1_entries_for(new_size, s->cluster_bits);
    if (needed > QCOW2_MAX_L1_BYTES / 8) {
        blk_set_error(b, "new size %llu is too large for qcow2 with %llu-byte clusters",
                      (unsigned long long)new_size, (unsigned long long)s->cluster_size);
        return -EFBIG;
    }
    uint64_t old_size = b->size;
    int r = 0;
    if (new_size < old_size) {
        /* Drop everything past the new end (whole clusters; the partial
         * cluster's tail is zeroed so a later grow reads zeroes). */
        uint64_t cut = (new_size + s->cluster_size - 1) & ~(s->cluster_size - 1);
        if (cut > new_size)
            r = qcow2_write_zeroes(b, new_size, (cut < old_size ? cut : old_size) - new_size, 0);
        if (r == 0 && cut < old_size)
            r = qcow2_discard(b, cut, old_size - cut);
    }
    if (r < 0)
        return r;
    pthread_rwlock_wrlock(&s->io_lock);
    pthread_mutex_lock(&s->lock);
    if (new_size < old_size)
        r = qcow2_apply_frees_locked(s);
    if (r == 0 && needed > s->l1_size)
        r = grow_l1(s, needed);
    if (r == 0)
        r = qcow2_write_metadata(s);
    if (r == 0)
        r = qcow2_sync(s);
    uint8_t v[8];
    be64_put(v, new_size);
    if (r == 0)
        r = qcow2_write_header_field(s, 24, v, 8);
    if (r == 0)
        r = qcow2_sync(s);
    if (r == 0)
        b->size = new_size;
    pthread_mutex_unlock(&s->lock);
    pthread_rwlock_unlock(&s->io_lock);
    /* A backing file longer than our old size must not show through. */
    if (r == 0 && new_size > old_size && b->backing && b->backing->size > old_size) {
        uint64_t end = b->backing->size < new_size ? b->backing->size : new_size;
        r = qcow2_write_zeroes(b, old_size, end - old_size, 0);
    }
    return r;
}

/* ---- Info --------------------------------------------------------------- */

static int qcow2_snapshots(struct blk *b, struct blk_snapshot **list)
{
    struct qcow2 *s = b->state;
    *list = NULL;
    if (!s->nb_snapshots)
        return 0;
    *list = calloc(s->nb_snapshots, sizeof **list);
    if (!*list)
        return -ENOMEM;
    for (uint32_t i = 0; i < s->nb_snapshots; i++)
        (*list)[i] = s->snapshots[i].info;
    return (int)s->nb_snapshots;
}

static void qcow2_info(struct blk *b, struct blk_info *info)
{
    struct qcow2 *s = b->state;
    info->cluster_size = (uint32_t)s->cluster_size;
    info->qcow2_version = (int)s->version;
    info->refcount_bits = (int)s->refcount_bits;
    info->compression = s->compression_type ? BLK_COMPRESS_ZSTD : BLK_COMPRESS_ZLIB;
    info->lazy_refcounts = s->compat & QCOW2_COMPAT_LAZY_REFCOUNTS;
    info->corrupt = (s->incompat & QCOW2_INCOMPAT_CORRUPT) || s->corrupt;
    info->extended_l2 = s->incompat & QCOW2_INCOMPAT_EXTL2;
    info->dirty = s->incompat & QCOW2_INCOMPAT_DIRTY;
    info->nb_snapshots = s->nb_snapshots;
}

const struct blk_driver blk_qcow2_driver = {
    .name = "qcow2",
    .probe = qcow2_probe,
    .create = qcow2_create,
    .open = qcow2_open,
    .close = qcow2_close,
    .preadv = qcow2_preadv,
    .pwritev = qcow2_pwritev,
    .flush = qcow2_flush,
    .discard = qcow2_discard,
    .write_zeroes = qcow2_write_zeroes,
    .resize = qcow2_resize,
    .block_status = qcow2_block_status,
    .info = qcow2_info,
    .check = qcow2_check,
    .set_backing = qcow2_set_backing,
    .make_empty = qcow2_make_empty,
    .write_compressed = qcow2_write_compressed,
    .snapshots = qcow2_snapshots,
};
