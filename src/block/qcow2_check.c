/*
 * qcow2_check.c — consistency check and repair, as `qemu-img check` does:
 * count every reference to every host cluster (header, tables, data,
 * compressed data, snapshots, bitmaps), compare with the stored
 * refcounts, check the COPIED flags.  Repair sets leaked refcounts to the
 * reference count (-r leaks) or rebuilds the refcount structure at the end
 * of the file and fixes flags and bad entries (-r all).
 *
 * Runs with the image quiesced (io_lock exclusive, lock held) on flushed
 * metadata; tables are read from disk, not from the caches.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block/qcow2.h"

#define MAX_CHECK_CLUSTERS (1ull << 31)

struct checker {
    struct qcow2 *s;
    unsigned fix;
    struct blk_check_result *r;
    void (*report)(void *, const char *);
    void *opaque;
    bool quiet;
    uint64_t file_size, nb_clusters;
    uint16_t *refs;                 /* references per cluster, saturating */
    uint64_t copied_errors;         /* COPIED flag mismatches (fixable) */
    uint64_t refcount_errors;       /* refcount < references */
    uint64_t entries_fixed;
    uint64_t next_host;             /* fragmentation: expected next host cluster */
};

static void say(struct checker *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct checker *c, const char *fmt, ...)
{
    if (c->quiet || !c->report)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    c->report(c->opaque, line);
}

/* Count one reference to every cluster under [off, off+len). */
static void inc(struct checker *c, uint64_t off, uint64_t len, const char *what)
{
    struct qcow2 *s = c->s;
    if (!len)
        return;
    uint64_t first = off >> s->cluster_bits, last = (off + len - 1) >> s->cluster_bits;
    for (uint64_t k = first; k <= last; k++) {
        if (k >= c->nb_clusters) {
            say(c, "ERROR %s at offset 0x%" PRIx64 " is beyond the end of the image file",
                what, k << s->cluster_bits);
            c->r->corruptions++;
            return;
        }
        if (c->refs[k] != UINT16_MAX)
            c->refs[k]++;
    }
}

static int read_be64_table(struct qcow2 *s, uint64_t off, uint64_t n, uint64_t **out)
{
    uint64_t *t = malloc(n ? n * 8 : 8);
    if (!t)
        return -ENOMEM;
    int r = n ? bfile_pread(s->file, t, n * 8, off) : 0;
    if (r < 0) {
        free(t);
        return r;
    }
    for (uint64_t i = 0; i < n; i++)
        t[i] = be64_get(&t[i]);
    *out = t;
    return 0;
}

static int write_entry(struct qcow2 *s, uint64_t table_off, uint64_t idx, uint64_t v)
{
    uint8_t b[8];
    be64_put(b, v);
    return bfile_pwrite(s->file, b, 8, table_off + idx * 8);
}

static int check_l2(struct checker *c, uint64_t l2off, bool active)
{
    struct qcow2 *s = c->s;
    uint64_t n = 1ull << s->l2_bits;
    uint64_t *l2;
    int r = read_be64_table(s, l2off, n, &l2);
    if (r < 0)
        return r;
    for (uint64_t j = 0; j < n; j++) {
        uint64_t e = l2[j];
        switch (qcow2_classify(s, e)) {
        case QC_COMPRESSED: {
            uint64_t coff, clen;
            qcow2_compressed_range(s, e, &coff, &clen);
            if (e & QCOW_OFLAG_COPIED) {
                say(c, "ERROR: coffset=0x%" PRIx64 ": Cluster has both COPIED and "
                    "COMPRESSED flags set", coff);
                c->r->corruptions++;
                if (c->fix & BLK_FIX_ERRORS) {
                    if ((r = write_entry(s, l2off, j, e & ~QCOW_OFLAG_COPIED)) < 0)
                        goto out;
                    c->entries_fixed++;
                }
            }
            if (active) {
                c->r->allocated_clusters++;
                c->r->compressed_clusters++;
                c->r->fragmented_clusters++;
            }
            inc(c, coff, clen, "compressed cluster");
            break;
        }
        case QC_NORMAL:
        case QC_ZERO_ALLOC: {
            uint64_t host = e & L2E_OFFSET_MASK;
            if (qcow2_offset_in_cluster(s, host)) {
                say(c, "ERROR offset=%" PRIx64 ": Cluster is not properly aligned; L2 "
                    "entry corrupted.", host);
                c->r->corruptions++;
                if (c->fix & BLK_FIX_ERRORS) {
                    if ((r = write_entry(s, l2off, j, 0)) < 0)
                        goto out;
                    c->entries_fixed++;
                }
                break;
            }
            if (host >= c->file_size) {
                say(c, "ERROR offset=%" PRIx64 ": Cluster is beyond the end of the image "
                    "file; L2 entry corrupted.", host);
                c->r->corruptions++;
                if (c->fix & BLK_FIX_ERRORS) {
                    if ((r = write_entry(s, l2off, j, 0)) < 0)
                        goto out;
                    c->entries_fixed++;
                }
                break;
            }
            if (active) {
                if (qcow2_classify(s, e) == QC_NORMAL)
                    c->r->allocated_clusters++;
                if (c->next_host && host != c->next_host)
                    c->r->fragmented_clusters++;
                c->next_host = host + s->cluster_size;
                uint64_t rc;
                if ((r = qcow2_get_refcount(s, host >> s->cluster_bits, &rc)) < 0)
                    goto out;
                bool copied = e & QCOW_OFLAG_COPIED;
                if ((rc == 1) != copied) {
                    say(c, "ERROR OFLAG_COPIED data cluster: l2_entry=%" PRIx64
                        " refcount=%" PRIu64, e, rc);
                    c->copied_errors++;
                    c->r->corruptions++;
                }
            }
            inc(c, host, s->cluster_size, "data cluster");
            break;
        }
        case QC_ZERO_PLAIN:
        case QC_UNALLOC:
            break;
        }
    }
out:
    free(l2);
    return r;
}

static int check_l1(struct checker *c, uint64_t l1off, uint32_t l1n, uint64_t *l1, bool active)
{
    struct qcow2 *s = c->s;
    inc(c, l1off, (uint64_t)l1n * 8, "L1 table");
    for (uint32_t i = 0; i < l1n; i++) {
        uint64_t off = l1[i] & L1E_OFFSET_MASK;
        if (!off)
            continue;
        if (qcow2_offset_in_cluster(s, off) || off >= c->file_size ||
            qcow2_overlaps_metadata(s, off, s->cluster_size)) {
            say(c, "ERROR l2_offset=%" PRIx64 ": Table is not cluster aligned, beyond the "
                "end of the file or overlapping other metadata; L1 entry corrupted", off);
            c->r->corruptions++;
            if ((c->fix & BLK_FIX_ERRORS) && active) {
                l1[i] = 0;
                int r = write_entry(s, l1off, i, 0);
                if (r < 0)
                    return r;
                c->entries_fixed++;
            }
            continue;
        }
        inc(c, off, s->cluster_size, "L2 table");
        if (active) {
            uint64_t rc;
            int r = qcow2_get_refcount(s, off >> s->cluster_bits, &rc);
            if (r < 0)
                return r;
            if ((rc == 1) != !!(l1[i] & QCOW_OFLAG_COPIED)) {
                say(c, "ERROR OFLAG_COPIED L2 cluster: l1_index=%u l1_entry=%" PRIx64
                    " refcount=%" PRIu64, i, l1[i], rc);
                c->copied_errors++;
                c->r->corruptions++;
            }
        }
        int r = check_l2(c, off, active);
        if (r < 0)
            return r;
    }
    return 0;
}

static int check_bitmaps(struct checker *c)
{
    struct qcow2 *s = c->s;
    if (!s->bitmaps_ext || s->bitmaps_ext_len < 24)
        return 0;
    uint32_t nb = be32_get(s->bitmaps_ext);
    uint64_t dir_size = be64_get(s->bitmaps_ext + 8), dir_off = be64_get(s->bitmaps_ext + 16);
    if (dir_size > (64u << 20) || dir_off >= c->file_size || dir_size > c->file_size - dir_off) {
        say(c, "ERROR bitmap directory (offset 0x%" PRIx64 ") is invalid", dir_off);
        c->r->corruptions++;
        return 0;
    }
    inc(c, dir_off, dir_size, "bitmap directory");
    uint8_t *dir = malloc(dir_size ? dir_size : 1);
    if (!dir)
        return -ENOMEM;
    int r = bfile_pread(s->file, dir, dir_size, dir_off);
    uint64_t p = 0;
    for (uint32_t i = 0; r == 0 && i < nb && p + 24 <= dir_size; i++) {
        uint64_t toff = be64_get(dir + p);
        uint32_t tsize = be32_get(dir + p + 8);
        uint32_t name = be16_get(dir + p + 18), extra = be32_get(dir + p + 20);
        p = (p + 24 + extra + name + 7) & ~7ull;
        if (toff >= c->file_size || (uint64_t)tsize * 8 > c->file_size - toff)
            continue;
        inc(c, toff, (uint64_t)tsize * 8, "bitmap table");
        uint64_t *t;
        if ((r = read_be64_table(s, toff, tsize, &t)) < 0)
            break;
        for (uint32_t k = 0; k < tsize; k++) {
            uint64_t o = t[k] & L2E_OFFSET_MASK;
            if (o)
                inc(c, o, s->cluster_size, "bitmap data");
        }
        free(t);
    }
    free(dir);
    return r;
}

/* Walk every structure and count references into c->refs. */
static int count_references(struct checker *c)
{
    struct qcow2 *s = c->s;
    inc(c, 0, s->cluster_size, "header");
    int r = check_l1(c, s->l1_offset, s->l1_size, s->l1, true);
    for (uint32_t i = 0; r == 0 && i < s->nb_snapshots; i++) {
        uint64_t *l1;
        struct qcow2_snapshot *sn = &s->snapshots[i];
        if ((r = read_be64_table(s, sn->l1_offset, sn->l1_size, &l1)) < 0)
            break;
        r = check_l1(c, sn->l1_offset, sn->l1_size, l1, false);
        free(l1);
    }
    if (r < 0)
        return r;
    if (s->nb_snapshots)
        inc(c, s->snapshots_offset, s->snapshots_size, "snapshot table");
    inc(c, s->reftable_offset, (uint64_t)s->reftable_clusters << s->cluster_bits,
        "refcount table");
    for (uint64_t ti = 0; ti < s->reftable_size; ti++) {
        uint64_t off = s->reftable[ti] & REFT_OFFSET_MASK;
        if (!off)
            continue;
        if (qcow2_offset_in_cluster(s, off)) {
            say(c, "ERROR refcount block %" PRIu64 " is not cluster aligned; refcount "
                "table entry corrupted", ti);
            c->refcount_errors++;
            c->r->corruptions++;
            continue;
        }
        if (off >= c->file_size) {
            say(c, "ERROR refcount block %" PRIu64 " is outside image", ti);
            c->refcount_errors++;
            c->r->corruptions++;
            continue;
        }
        inc(c, off, s->cluster_size, "refcount block");
    }
    return check_bitmaps(c);
}

/* Compare stored refcounts with the references counted. */
static int compare_refcounts(struct checker *c, bool fix_leaks, uint64_t *highest)
{
    struct qcow2 *s = c->s;
    uint8_t *rb = malloc(s->cluster_size);
    if (!rb)
        return -ENOMEM;
    int r = 0;
    uint64_t per = 1ull << s->rb_bits;
    *highest = 0;
    for (uint64_t ti = 0; ti < s->reftable_size || (ti << s->rb_bits) < c->nb_clusters; ti++) {
        uint64_t off = ti < s->reftable_size ? s->reftable[ti] & REFT_OFFSET_MASK : 0;
        bool have = off && !qcow2_offset_in_cluster(s, off) && off < c->file_size;
        if (!have && (ti << s->rb_bits) >= c->nb_clusters)
            continue;
        if (have && (r = bfile_pread(s->file, rb, s->cluster_size, off)) < 0)
            break;
        for (uint64_t i = 0; i < per; i++) {
            uint64_t k = (ti << s->rb_bits) + i;
            if (!have && k >= c->nb_clusters)
                break;
            uint64_t stored = have ? qcow2_rb_get(rb, s->refcount_order, i) : 0;
            uint64_t calc = k < c->nb_clusters ? c->refs[k] : 0;
            if (stored || calc)
                *highest = k;
            if (calc > s->refcount_max) {
                say(c, "ERROR cluster %" PRIu64 " has %" PRIu64 " references, more than "
                    "refcount_bits=%u can count", k, calc, s->refcount_bits);
                c->r->corruptions++;
                c->refcount_errors++;
            } else if (stored < calc) {
                say(c, "ERROR cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64,
                    k, stored, calc);
                c->r->corruptions++;
                c->refcount_errors++;
            } else if (stored > calc) {
                say(c, "Leaked cluster %" PRIu64 " refcount=%" PRIu64 " reference=%" PRIu64,
                    k, stored, calc);
                c->r->leaks++;
                if (fix_leaks) {
                    qcow2_rb_set(rb, s->refcount_order, i, calc);
                    if ((r = bfile_pwrite(s->file, rb, s->cluster_size, off)) < 0)
                        goto out;
                }
            }
        }
    }
out:
    free(rb);
    return r;
}

/* Throw the refcount structure away and write a new one, after the end of
 * the file, from the references counted (plus the new structure itself). */
static int rebuild_refcounts(struct checker *c)
{
    struct qcow2 *s = c->s;
    /* The old table and blocks are about to become garbage. */
    for (uint64_t k = s->reftable_offset >> s->cluster_bits;
         k < (s->reftable_offset >> s->cluster_bits) + s->reftable_clusters &&
         k < c->nb_clusters; k++)
        if (c->refs[k])
            c->refs[k]--;
    for (uint64_t ti = 0; ti < s->reftable_size; ti++) {
        uint64_t off = s->reftable[ti] & REFT_OFFSET_MASK;
        uint64_t k = off >> s->cluster_bits;
        if (off && !qcow2_offset_in_cluster(s, off) && k < c->nb_clusters && c->refs[k])
            c->refs[k]--;
    }
    uint64_t per_table_cluster = s->cluster_size / 8;
    uint64_t area = c->nb_clusters;
    uint64_t t_clusters = 1, end = 0;
    uint64_t *need = NULL;                       /* which table entries get a block */
    uint64_t nb_ti = 0, nb_rb = 0;
    for (int iter = 0; iter < 64; iter++) {
        end = area + t_clusters + nb_rb;
        nb_ti = ((end - 1) >> s->rb_bits) + 1;
        uint64_t want_t = (nb_ti + per_table_cluster - 1) / per_table_cluster;
        free(need);
        need = calloc(nb_ti, sizeof *need);
        if (!need)
            return -ENOMEM;
        uint64_t count = 0;
        for (uint64_t k = 0; k < c->nb_clusters; k++)
            if (c->refs[k] && !need[k >> s->rb_bits]) {
                need[k >> s->rb_bits] = 1;
                count++;
            }
        for (uint64_t k = area; k < end; k++)
            if (!need[k >> s->rb_bits]) {
                need[k >> s->rb_bits] = 1;
                count++;
            }
        if (want_t <= t_clusters && count == nb_rb)
            break;
        if (want_t > t_clusters)
            t_clusters = want_t;
        nb_rb = count;
    }
    if (t_clusters * s->cluster_size > QCOW2_MAX_REFTABLE_BYTES) {
        free(need);
        return -EFBIG;
    }
    uint64_t tsize = t_clusters * per_table_cluster;
    uint64_t *table = calloc(tsize, sizeof *table);
    uint8_t *rb = malloc(s->cluster_size);
    if (!table || !rb) {
        free(need); free(table); free(rb);
        return -ENOMEM;
    }
    int r = 0;
    uint64_t next = area + t_clusters;
    for (uint64_t ti = 0; ti < nb_ti && r == 0; ti++) {
        if (!need[ti])
            continue;
        memset(rb, 0, s->cluster_size);
        for (uint64_t i = 0; i < (1ull << s->rb_bits); i++) {
            uint64_t k = (ti << s->rb_bits) + i;
            uint64_t v = k < c->nb_clusters ? c->refs[k] : 0;
            if (k >= area && k < end)
                v = 1;
            if (v > s->refcount_max)
                v = s->refcount_max;
            qcow2_rb_set(rb, s->refcount_order, i, v);
        }
        table[ti] = next << s->cluster_bits;
        r = bfile_pwrite(s->file, rb, s->cluster_size, next << s->cluster_bits);
        next++;
    }
    free(rb);
    free(need);
    uint8_t *tb = calloc(t_clusters, s->cluster_size);
    if (!tb)
        r = -ENOMEM;
    for (uint64_t i = 0; r == 0 && i < tsize; i++)
        be64_put(tb + i * 8, table[i]);
    if (r == 0)
        r = bfile_pwrite(s->file, tb, t_clusters * s->cluster_size, area << s->cluster_bits);
    free(tb);
    if (r == 0)
        r = qcow2_sync(s);
    uint8_t h[12];
    be64_put(h, area << s->cluster_bits);
    be32_put(h + 8, (uint32_t)t_clusters);
    if (r == 0)
        r = qcow2_write_header_field(s, 48, h, 12);
    if (r == 0)
        r = qcow2_sync(s);
    if (r < 0) {
        free(table);
        return r;
    }
    free(s->reftable);
    s->reftable = table;
    s->reftable_size = tsize;
    s->reftable_offset = area << s->cluster_bits;
    s->reftable_clusters = (uint32_t)t_clusters;
    qcow2_cache_forget_all(&s->rb_cache);
    s->free_hint = 0;
    s->fresh_from = end;
    if (s->alloc_end < end)
        s->alloc_end = end;
    s->cbyte_next = 0;
    return 0;
}

/* Set COPIED exactly where the refcount is 1 (active L1 and its tables). */
static int fix_copied(struct checker *c)
{
    struct qcow2 *s = c->s;
    uint64_t n = 1ull << s->l2_bits;
    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t off = s->l1[i] & L1E_OFFSET_MASK, rc;
        if (!off)
            continue;
        int r = qcow2_get_refcount(s, off >> s->cluster_bits, &rc);
        if (r < 0)
            return r;
        uint64_t want = rc == 1 ? (s->l1[i] | QCOW_OFLAG_COPIED) : (s->l1[i] & ~QCOW_OFLAG_COPIED);
        if (want != s->l1[i]) {
            s->l1[i] = want;
            if ((r = write_entry(s, s->l1_offset, i, want)) < 0)
                return r;
        }
        uint64_t *l2;
        if ((r = read_be64_table(s, off, n, &l2)) < 0)
            return r;
        for (uint64_t j = 0; j < n && r == 0; j++) {
            enum qcow2_ctype t = qcow2_classify(s, l2[j]);
            if (t != QC_NORMAL && t != QC_ZERO_ALLOC)
                continue;
            if ((r = qcow2_get_refcount(s, (l2[j] & L2E_OFFSET_MASK) >> s->cluster_bits,
                                        &rc)) < 0)
                break;
            uint64_t w = rc == 1 ? (l2[j] | QCOW_OFLAG_COPIED) : (l2[j] & ~QCOW_OFLAG_COPIED);
            if (w != l2[j])
                r = write_entry(s, off, j, w);
        }
        free(l2);
        if (r < 0)
            return r;
    }
    return 0;
}

static int run_check(struct checker *c, bool fix_leaks, uint64_t *highest)
{
    struct qcow2 *s = c->s;
    int64_t fsz = bfile_size(s->file);
    if (fsz < 0)
        return (int)fsz;
    c->file_size = (uint64_t)fsz;
    c->nb_clusters = (c->file_size + s->cluster_size - 1) >> s->cluster_bits;
    if (c->nb_clusters > MAX_CHECK_CLUSTERS)
        return -EFBIG;
    free(c->refs);
    c->refs = calloc(c->nb_clusters ? c->nb_clusters : 1, sizeof *c->refs);
    if (!c->refs)
        return -ENOMEM;
    c->next_host = 0;
    int r = count_references(c);
    if (r == 0)
        r = compare_refcounts(c, fix_leaks, highest);
    return r;
}

int qcow2_check(struct blk *b, unsigned fix, struct blk_check_result *res,
                void (*report)(void *, const char *), void *opaque)
{
    struct qcow2 *s = b->state;
    struct checker c = { .s = s, .fix = fix, .r = res, .report = report, .opaque = opaque };
    memset(res, 0, sizeof *res);
    res->supported = true;
    res->total_clusters = (b->size + s->cluster_size - 1) >> s->cluster_bits;

    pthread_rwlock_wrlock(&s->io_lock);
    pthread_mutex_lock(&s->lock);
    int r = 0;
    if (!b->read_only && !s->corrupt) {
        r = qcow2_apply_frees_locked(s);
        if (r == 0)
            r = qcow2_write_metadata(s);
        if (r == 0)
            r = qcow2_sync(s);
    }
    qcow2_cache_forget_all(&s->l2_cache);
    qcow2_cache_forget_all(&s->rb_cache);
    uint64_t highest = 0;
    if (r == 0)
        r = run_check(&c, false, &highest);
    if (r == 0 && fix) {
        struct blk_check_result before = *res;
        bool rebuild = (fix & BLK_FIX_ERRORS) && c.refcount_errors;
        bool leaks = (fix & BLK_FIX_LEAKS) && res->leaks && !rebuild;
        if (rebuild)
            r = rebuild_refcounts(&c);
        if (r == 0 && (rebuild || leaks || c.entries_fixed || c.copied_errors)) {
            /* Second pass, silent: fix leaks, then re-count everything. */
            c.quiet = true;
            c.fix = 0;
            memset(res, 0, sizeof *res);
            c.refcount_errors = c.copied_errors = 0;
            r = run_check(&c, leaks, &highest);
            if (r == 0 && leaks) {
                memset(res, 0, sizeof *res);
                r = run_check(&c, false, &highest);
            }
            if (r == 0 && (fix & BLK_FIX_ERRORS) && c.copied_errors) {
                r = fix_copied(&c);
                memset(res, 0, sizeof *res);
                c.copied_errors = 0;
                if (r == 0)
                    r = run_check(&c, false, &highest);
            }
            if (r == 0)
                r = qcow2_sync(s);
        }
        res->supported = true;
        res->total_clusters = before.total_clusters;
        res->leaks_fixed = before.leaks > res->leaks ? before.leaks - res->leaks : 0;
        res->corruptions_fixed = before.corruptions > res->corruptions
                                 ? before.corruptions - res->corruptions : 0;
        if (r == 0 && s->corrupt == false && res->corruptions == 0 &&
            (s->incompat & QCOW2_INCOMPAT_CORRUPT) && s->version >= 3) {
            uint8_t v[8];
            be64_put(v, s->incompat & ~QCOW2_INCOMPAT_CORRUPT);
            if ((r = qcow2_write_header_field(s, 72, v, 8)) == 0 &&
                (r = qcow2_sync(s)) == 0)
                s->incompat &= ~QCOW2_INCOMPAT_CORRUPT;
        }
    }
    res->image_end_offset = (highest + 1) << s->cluster_bits;
    if (r == -EFBIG)
        blk_set_error(b, "image file too large to check");
    free(c.refs);
    qcow2_cache_forget_all(&s->rb_cache);
    qcow2_cache_forget_all(&s->l2_cache);
    pthread_mutex_unlock(&s->lock);
    pthread_rwlock_unlock(&s->io_lock);
    return r;
}
