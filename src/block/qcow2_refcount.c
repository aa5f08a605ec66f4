/*
 * qcow2_refcount.c — reference counts, cluster allocation, deferred frees
 * and the ordered write-back of metadata.
 *
 * Every function here runs with s->lock held.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "block/qcow2.h"

#define FREES_APPLY_THRESHOLD 4096

/* ---- Refcount block entries (1..64 bits, big-endian, sub-byte LSB first) */

uint64_t qcow2_rb_get(const uint8_t *rb, uint32_t order, uint64_t i)
{
    switch (order) {
    case 0: return (rb[i >> 3] >> (i & 7)) & 1;
    case 1: return (rb[i >> 2] >> ((i & 3) * 2)) & 3;
    case 2: return (rb[i >> 1] >> ((i & 1) * 4)) & 15;
    case 3: return rb[i];
    case 4: return be16_get(rb + 2 * i);
    case 5: return be32_get(rb + 4 * i);
    default: return be64_get(rb + 8 * i);
    }
}

void qcow2_rb_set(uint8_t *rb, uint32_t order, uint64_t i, uint64_t v)
{
    switch (order) {
    case 0: case 1: case 2: {
        unsigned bits = 1u << order, per = 8u >> order;
        unsigned shift = (unsigned)(i % per) * bits;
        uint8_t mask = (uint8_t)(((1u << bits) - 1) << shift);
        uint8_t *p = &rb[i / per];
        *p = (uint8_t)((*p & ~mask) | ((v << shift) & mask));
        break;
    }
    case 3: rb[i] = (uint8_t)v; break;
    case 4: be16_put(rb + 2 * i, (uint16_t)v); break;
    case 5: be32_put(rb + 4 * i, (uint32_t)v); break;
    default: be64_put(rb + 8 * i, v); break;
    }
}

int qcow2_sync(struct qcow2 *s)
{
    int r = bfile_sync(s->file);
    if (r == 0)
        s->unsynced = s->unsynced_l2 = false;
    return r;
}

/* Refcount block offset for table index ti, validated; 0 if none. */
static int refblock_offset(struct qcow2 *s, uint64_t ti, uint64_t *rbo)
{
    *rbo = 0;
    if (ti >= s->reftable_size)
        return 0;
    uint64_t e = s->reftable[ti];
    uint64_t off = e & REFT_OFFSET_MASK;
    if (!off)
        return 0;
    if (qcow2_offset_in_cluster(s, off)) {
        qcow2_signal_corruption(s, "refcount block offset 0x%llx (table index %llu) "
                                "is not cluster-aligned", (unsigned long long)off,
                                (unsigned long long)ti);
        return -EIO;
    }
    if (qcow2_overlaps_metadata(s, off, s->cluster_size)) {
        qcow2_signal_corruption(s, "refcount block at 0x%llx overlaps the header or "
                                "a table", (unsigned long long)off);
        return -EIO;
    }
    *rbo = off;
    return 0;
}

int qcow2_get_refcount(struct qcow2 *s, uint64_t cluster, uint64_t *rc)
{
    uint64_t rbo;
    *rc = 0;
    int r = refblock_offset(s, cluster >> s->rb_bits, &rbo);
    if (r < 0 || !rbo)
        return r;
    uint8_t *rb;
    r = qcow2_cache_get(s, &s->rb_cache, rbo, false, &rb);
    if (r < 0)
        return r;
    *rc = qcow2_rb_get(rb, s->refcount_order, cluster & ((1ull << s->rb_bits) - 1));
    qcow2_cache_put(&s->rb_cache, rbo);
    return 0;
}

/* Is cluster c part of the header, L1 table, refcount table or snapshot
 * table?  Such clusters are never handed out, whatever the refcounts say. */
static bool is_fixed_metadata(struct qcow2 *s, uint64_t c)
{
    return qcow2_overlaps_metadata(s, c << s->cluster_bits, s->cluster_size);
}

/* ---- Growing the refcount table ---------------------------------------- */

/*
 * The table must grow to index need_ti.  Build the new table and refcount
 * blocks for the space they occupy in a fresh area past everything the old
 * table covers (and past [avoid_lo, avoid_hi), clusters being allocated),
 * make them durable, switch the header, then free the old table.
 */
static int grow_reftable(struct qcow2 *s, uint64_t need_ti, uint64_t avoid_hi)
{
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t old_size = s->reftable_size;
    uint64_t new_size = old_size + old_size / 2 + 1;
    if (new_size < need_ti + 1)
        new_size = need_ti + 1;
    uint64_t area = old_size << s->rb_bits;       /* first uncovered cluster */
    if (area < avoid_hi)
        area = avoid_hi;
    if (area < s->alloc_end)
        area = s->alloc_end;
    int64_t fsize = bfile_size(s->file);
    if (fsize > 0 && area < (((uint64_t)fsize + s->cluster_size - 1) >> s->cluster_bits))
        area = ((uint64_t)fsize + s->cluster_size - 1) >> s->cluster_bits;

    uint64_t t_clusters, nb_rb = 0, first_ti, last_ti;
    for (;;) {
        new_size = (new_size + per_cluster - 1) / per_cluster * per_cluster;
        t_clusters = new_size / per_cluster;
        uint64_t end = area + t_clusters + nb_rb;
        first_ti = area >> s->rb_bits;
        last_ti = (end - 1) >> s->rb_bits;
        if (last_ti >= new_size) {
            new_size = last_ti + 1;
            continue;
        }
        if (last_ti - first_ti + 1 == nb_rb)
            break;
        nb_rb = last_ti - first_ti + 1;
    }
    if (new_size * 8 > QCOW2_MAX_REFTABLE_BYTES) {
        qcow2_signal_corruption(s, "refcount table would exceed %u bytes",
                                QCOW2_MAX_REFTABLE_BYTES);
        return -EFBIG;
    }
    uint64_t end = area + t_clusters + nb_rb;

    uint8_t *blocks = calloc(nb_rb, s->cluster_size);
    uint8_t *table = calloc(t_clusters, s->cluster_size);
    uint64_t *newt = calloc(new_size, sizeof *newt);
    if (!blocks || !table || !newt) {
        free(blocks); free(table); free(newt);
        return -ENOMEM;
    }
    memcpy(newt, s->reftable, old_size * sizeof *newt);
    for (uint64_t ti = first_ti; ti <= last_ti; ti++) {
        uint64_t rbc = area + t_clusters + (ti - first_ti);
        newt[ti] = rbc << s->cluster_bits;
        uint8_t *rb = blocks + (ti - first_ti) * s->cluster_size;
        uint64_t lo = ti << s->rb_bits, hi = (ti + 1) << s->rb_bits;
        for (uint64_t c = lo > area ? lo : area; c < hi && c < end; c++)
            qcow2_rb_set(rb, s->refcount_order, c - lo, 1);
    }
    for (uint64_t i = 0; i < new_size; i++)
        be64_put(table + i * 8, newt[i]);

    int r = bfile_pwrite(s->file, blocks, nb_rb * s->cluster_size,
                         (area + t_clusters) << s->cluster_bits);
    if (r == 0)
        r = bfile_pwrite(s->file, table, t_clusters * s->cluster_size,
                         area << s->cluster_bits);
    if (r == 0)
        r = qcow2_sync(s);
    uint8_t hdr[12];
    be64_put(hdr, area << s->cluster_bits);
    be32_put(hdr + 8, (uint32_t)t_clusters);
    if (r == 0)
        r = qcow2_write_header_field(s, 48, hdr, 12);
    if (r == 0)
        r = qcow2_sync(s);
    free(blocks);
    free(table);
    if (r < 0) {
        free(newt);
        return r;
    }

    uint64_t old_off = s->reftable_offset, old_clusters = s->reftable_clusters;
    free(s->reftable);
    s->reftable = newt;
    s->reftable_size = new_size;
    s->reftable_offset = area << s->cluster_bits;
    s->reftable_clusters = (uint32_t)t_clusters;

    /* The header no longer points at the old table: release it now. */
    for (uint64_t i = 0; i < old_clusters; i++) {
        r = qcow2_update_refcount(s, (old_off >> s->cluster_bits) + i, -1);
        if (r < 0)
            return r;
    }
    uint64_t old_end = (old_off >> s->cluster_bits) + old_clusters;
    if (s->fresh_from < old_end)
        s->fresh_from = old_end;
    if (s->fresh_from < end)
        s->fresh_from = end;
    if (s->alloc_end < end)
        s->alloc_end = end;
    return 0;
}

/* Make sure the refcount block for table index ti exists, creating it
 * inside the range it describes (so it counts itself) and avoiding
 * [avoid_lo, avoid_hi). */
static int ensure_refblock(struct qcow2 *s, uint64_t ti, uint64_t avoid_lo,
                           uint64_t avoid_hi, uint64_t *rbo)
{
    int r;
    if (ti >= s->reftable_size && (r = grow_reftable(s, ti, avoid_hi)) < 0)
        return r;
    r = refblock_offset(s, ti, rbo);
    if (r < 0 || *rbo)
        return r;

    uint64_t lo = ti << s->rb_bits, hi = (ti + 1) << s->rb_bits;
    uint64_t x = lo;
    while (x < hi && ((x >= avoid_lo && x < avoid_hi) || is_fixed_metadata(s, x)))
        x++;
    if (x == hi)
        return -ENOSPC;
    uint8_t *rb = calloc(1, s->cluster_size);
    if (!rb)
        return -ENOMEM;
    qcow2_rb_set(rb, s->refcount_order, x - lo, 1);
    uint64_t off = x << s->cluster_bits;
    qcow2_cache_forget(&s->rb_cache, off);
    qcow2_cache_forget(&s->l2_cache, off);
    r = bfile_pwrite(s->file, rb, s->cluster_size, off);
    free(rb);
    if (r == 0)
        r = qcow2_sync(s);               /* the block before the pointer to it */
    uint8_t ent[8];
    be64_put(ent, off);
    if (r == 0)
        r = bfile_pwrite(s->file, ent, 8, s->reftable_offset + ti * 8);
    if (r < 0)
        return r;
    s->unsynced = true;
    s->reftable[ti] = off;
    if (x >= s->fresh_from)
        s->fresh_from = x + 1;
    if (x + 1 > s->alloc_end)
        s->alloc_end = x + 1;
    *rbo = off;
    return 0;
}

int qcow2_set_refcount(struct qcow2 *s, uint64_t cluster, uint64_t value)
{
    uint64_t rbo;
    int r = refblock_offset(s, cluster >> s->rb_bits, &rbo);
    if (r < 0)
        return r;
    if (!rbo)
        return value ? -ENOENT : 0;
    uint8_t *rb;
    if ((r = qcow2_cache_get(s, &s->rb_cache, rbo, false, &rb)) < 0)
        return r;
    qcow2_rb_set(rb, s->refcount_order, cluster & ((1ull << s->rb_bits) - 1), value);
    qcow2_cache_dirty(&s->rb_cache, rbo);
    qcow2_cache_put(&s->rb_cache, rbo);
    return 0;
}

static int update_refcount_avoid(struct qcow2 *s, uint64_t cluster, int delta,
                                 uint64_t avoid_lo, uint64_t avoid_hi)
{
    uint64_t rbo;
    uint64_t ti = cluster >> s->rb_bits;
    int r;
    if (delta > 0)
        r = ensure_refblock(s, ti, avoid_lo, avoid_hi, &rbo);
    else
        r = refblock_offset(s, ti, &rbo);
    if (r < 0)
        return r;
    if (!rbo) {
        qcow2_signal_corruption(s, "refcount of cluster %llu dropped below zero",
                                (unsigned long long)cluster);
        return -EIO;
    }
    uint8_t *rb;
    r = qcow2_cache_get(s, &s->rb_cache, rbo, false, &rb);
    if (r < 0)
        return r;
    uint64_t i = cluster & ((1ull << s->rb_bits) - 1);
    uint64_t v = qcow2_rb_get(rb, s->refcount_order, i);
    if (delta > 0 && v >= s->refcount_max) {
        r = -ERANGE;
        blk_set_error(s->b, "refcount overflow on cluster %llu (refcount_bits=%u)",
                      (unsigned long long)cluster, s->refcount_bits);
    } else if (delta < 0 && v == 0) {
        qcow2_signal_corruption(s, "refcount of cluster %llu dropped below zero",
                                (unsigned long long)cluster);
        r = -EIO;
    } else {
        qcow2_rb_set(rb, s->refcount_order, i, delta > 0 ? v + 1 : v - 1);
        qcow2_cache_dirty(&s->rb_cache, rbo);
    }
    qcow2_cache_put(&s->rb_cache, rbo);
    return r;
}

int qcow2_update_refcount(struct qcow2 *s, uint64_t cluster, int delta)
{
    return update_refcount_avoid(s, cluster, delta, cluster, cluster + 1);
}

/* ---- Allocation --------------------------------------------------------- */

/* First run of n free clusters from the hint; *first_free is the first
 * free cluster seen (the next hint once the run is taken). */
static int find_free(struct qcow2 *s, uint64_t n, uint64_t *start, uint64_t *first_free)
{
    uint64_t c = s->free_hint, run = 0, first = 0;
    uint64_t limit = L2E_OFFSET_MASK >> s->cluster_bits;
    bool seen = false;
    while (run < n) {
        if (c >= limit)
            return -ENOSPC;
        uint64_t rc = 0;
        bool fixed = is_fixed_metadata(s, c);
        if (!fixed) {
            int r = qcow2_get_refcount(s, c, &rc);
            if (r < 0)
                return r;
        }
        if (!fixed && rc == 0) {
            if (!seen) {
                *first_free = c;
                seen = true;
            }
            if (run++ == 0)
                first = c;
        } else {
            run = 0;
        }
        c++;
    }
    *start = first;
    return 0;
}

/*
 * n contiguous clusters past everything allocated so far, with the
 * refcount blocks the area lacks placed right after it (they count each
 * other and the area).  For runs longer than half a refcount block's range,
 * which the search for free space could never fit between refcount blocks.
 */
static int alloc_area(struct qcow2 *s, uint64_t n, uint64_t *start)
{
    int r;
    for (int tries = 0; tries < 64; tries++) {
        uint64_t a = s->alloc_end, nb = 0, end;
        /* Nothing may be counted in the area (leftovers of a crash). */
        bool busy = false;
        for (uint64_t c = a; c < a + n && !busy; c++) {
            uint64_t rc = 0;
            if ((r = qcow2_get_refcount(s, c, &rc)) < 0)
                return r;
            if (rc || is_fixed_metadata(s, c)) {
                s->alloc_end = c + 1;
                busy = true;
            }
        }
        if (busy)
            continue;
        for (;;) {
            end = a + n + nb;
            uint64_t missing = 0;
            for (uint64_t ti = a >> s->rb_bits; ti <= (end - 1) >> s->rb_bits; ti++)
                if (ti >= s->reftable_size || !(s->reftable[ti] & REFT_OFFSET_MASK))
                    missing++;
            if (missing == nb)
                break;
            nb = missing;
        }
        uint64_t first_ti = a >> s->rb_bits, last_ti = (end - 1) >> s->rb_bits;
        if (last_ti >= s->reftable_size) {
            if ((r = grow_reftable(s, last_ti, end)) < 0)
                return r;
            continue;                     /* the table moved in after us */
        }
        uint8_t *rb = malloc(s->cluster_size);
        if (!rb)
            return -ENOMEM;
        uint64_t j = 0;
        r = 0;
        for (uint64_t ti = first_ti; ti <= last_ti && r == 0; ti++) {
            if (s->reftable[ti] & REFT_OFFSET_MASK)
                continue;
            memset(rb, 0, s->cluster_size);
            uint64_t lo = ti << s->rb_bits, hi = (ti + 1) << s->rb_bits;
            for (uint64_t c = lo > a ? lo : a; c < hi && c < end; c++)
                qcow2_rb_set(rb, s->refcount_order, c - lo, 1);
            uint64_t off = (a + n + j++) << s->cluster_bits;
            qcow2_cache_forget(&s->rb_cache, off);
            qcow2_cache_forget(&s->l2_cache, off);
            r = bfile_pwrite(s->file, rb, s->cluster_size, off);
        }
        free(rb);
        if (r == 0 && nb)
            r = qcow2_sync(s);            /* blocks before the pointers to them */
        j = 0;
        for (uint64_t ti = first_ti; ti <= last_ti && r == 0; ti++) {
            if (s->reftable[ti] & REFT_OFFSET_MASK) {
                /* An existing block covers part of the area: count there. */
                uint64_t lo = ti << s->rb_bits, hi = (ti + 1) << s->rb_bits;
                for (uint64_t c = lo > a ? lo : a; c < hi && c < end && r == 0; c++)
                    r = update_refcount_avoid(s, c, +1, a, end);
                continue;
            }
            uint64_t off = (a + n + j++) << s->cluster_bits;
            uint8_t ent[8];
            be64_put(ent, off);
            r = bfile_pwrite(s->file, ent, 8, s->reftable_offset + ti * 8);
            if (r == 0) {
                s->reftable[ti] = off;
                s->unsynced = true;
            }
        }
        if (r < 0)
            return r;
        s->alloc_end = end;
        *start = a;
        return 0;
    }
    return -ENOSPC;
}

int qcow2_alloc_clusters(struct qcow2 *s, uint64_t n, uint64_t *offset)
{
    if (s->corrupt)
        return -EIO;
    uint64_t c;
    int r;
    if (n > (1ull << s->rb_bits) / 2) {
        if ((r = alloc_area(s, n, &c)) < 0)
            return r;
        *offset = c << s->cluster_bits;
        return 0;
    }
    /* Refcount blocks the range needs are created first, each inside the
     * range it covers but outside the run; then look again. */
    uint64_t first_free = 0;
    for (;;) {
        if ((r = find_free(s, n, &c, &first_free)) < 0)
            return r;
        uint64_t ti, last = (c + n - 1) >> s->rb_bits, rbo = 0;
        for (ti = c >> s->rb_bits; ti <= last; ti++) {
            if ((r = refblock_offset(s, ti, &rbo)) < 0)
                return r;
            if (!rbo)
                break;
        }
        if (ti > last)
            break;
        r = ensure_refblock(s, ti, c, c + n, &rbo);
        if (r == -ENOSPC) {
            if ((r = alloc_area(s, n, &c)) < 0)
                return r;
            *offset = c << s->cluster_bits;
            return 0;
        }
        if (r < 0)
            return r;
    }
    for (uint64_t i = 0; i < n; i++) {
        r = update_refcount_avoid(s, c + i, +1, c, c + n);
        if (r < 0)
            return r;
    }
    s->free_hint = first_free == c ? c + n : first_free;
    if (c + n > s->alloc_end)
        s->alloc_end = c + n;
    *offset = c << s->cluster_bits;
    return 0;
}

int qcow2_alloc_bytes(struct qcow2 *s, uint64_t len, uint64_t *offset)
{
    uint64_t cs = s->cluster_size;
    uint64_t cur = s->cbyte_next;
    int r;
    if (cur && (cur & (cs - 1))) {
        uint64_t cl = cur >> s->cluster_bits;
        uint64_t room = cs - (cur & (cs - 1));
        uint64_t rc;
        r = qcow2_get_refcount(s, cl, &rc);
        if (r < 0)
            return r;
        if (rc > 0 && rc < s->refcount_max) {
            if (room >= len) {
                r = qcow2_update_refcount(s, cl, +1);
                if (r < 0)
                    return r;
                *offset = cur;
                s->cbyte_next = cur + len;
                return 0;
            }
            /* Span into the next cluster if it is free. */
            uint64_t next_rc = 1;
            if (!is_fixed_metadata(s, cl + 1) &&
                (r = qcow2_get_refcount(s, cl + 1, &next_rc)) < 0)
                return r;
            if (next_rc == 0 && !is_fixed_metadata(s, cl + 1)) {
                r = update_refcount_avoid(s, cl + 1, +1, cl + 1, cl + 2);
                if (r == 0)
                    r = qcow2_update_refcount(s, cl, +1);
                if (r < 0)
                    return r;
                *offset = cur;
                s->cbyte_next = cur + len;
                return 0;
            }
        }
    }
    uint64_t off;
    r = qcow2_alloc_clusters(s, 1, &off);
    if (r < 0)
        return r;
    *offset = off;
    s->cbyte_next = off + len;
    return 0;
}

/* ---- Deferred frees and ordered write-back ------------------------------ */

int qcow2_defer_free(struct qcow2 *s, uint64_t off, uint64_t len)
{
    if (s->nb_frees == s->cap_frees) {
        size_t cap = s->cap_frees ? s->cap_frees * 2 : 64;
        struct qcow2_free *f = realloc(s->frees, cap * sizeof *f);
        if (!f)
            return -ENOMEM;
        s->frees = f;
        s->cap_frees = cap;
    }
    s->frees[s->nb_frees++] = (struct qcow2_free){ off, len };
    return 0;
}

int qcow2_l2_barrier(struct qcow2 *s)
{
    int r = qcow2_cache_flush(s, &s->rb_cache);
    if (r == 0 && s->unsynced)
        r = qcow2_sync(s);
    return r;
}

static int write_l1(struct qcow2 *s)
{
    uint32_t lo = s->l1_dirty_lo, hi = s->l1_dirty_hi;
    if (lo >= hi)
        return 0;
    size_t n = hi - lo;
    uint8_t *buf = malloc(n * 8);
    if (!buf)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++)
        be64_put(buf + i * 8, s->l1[lo + i]);
    int r = bfile_pwrite(s->file, buf, n * 8, s->l1_offset + (uint64_t)lo * 8);
    free(buf);
    if (r == 0) {
        s->l1_dirty_lo = UINT32_MAX;
        s->l1_dirty_hi = 0;
        s->unsynced_l2 = true;
    }
    return r;
}

int qcow2_write_metadata(struct qcow2 *s)
{
    bool l2_dirty = qcow2_cache_has_dirty(&s->l2_cache);
    bool l1_dirty = s->l1_dirty_lo < s->l1_dirty_hi;
    int r = qcow2_cache_flush(s, &s->rb_cache);
    if (r < 0 || (!l2_dirty && !l1_dirty))
        return r;
    if (s->unsynced && (r = qcow2_sync(s)) < 0)
        return r;
    if ((r = qcow2_cache_flush(s, &s->l2_cache)) < 0)
        return r;
    if (l1_dirty) {
        if ((s->unsynced || s->unsynced_l2) && (r = qcow2_sync(s)) < 0)
            return r;
        r = write_l1(s);
    }
    return r;
}

/* Punch the freed clusters out of the file so the host gets the space
 * back; they then read as zeroes, which keeps fresh_from valid. */
static void release_cluster(struct qcow2 *s, uint64_t c)
{
    uint64_t off = c << s->cluster_bits;
    qcow2_cache_forget(&s->l2_cache, off);
    qcow2_cache_forget(&s->rb_cache, off);
    if (c < s->free_hint)
        s->free_hint = c;
    if (bfile_zero(s->file, off, s->cluster_size, true) < 0 && c >= s->fresh_from)
        s->fresh_from = c + 1;
}

int qcow2_apply_frees_locked(struct qcow2 *s)
{
    if (!s->nb_frees)
        return 0;
    /* The tables that dropped the references must be durable first. */
    int r = qcow2_write_metadata(s);
    if (r == 0 && (s->unsynced || s->unsynced_l2))
        r = qcow2_sync(s);
    if (r < 0)
        return r;
    for (size_t i = 0; i < s->nb_frees; i++) {
        uint64_t first = s->frees[i].offset >> s->cluster_bits;
        uint64_t last = (s->frees[i].offset + s->frees[i].len - 1) >> s->cluster_bits;
        for (uint64_t c = first; c <= last; c++) {
            r = qcow2_update_refcount(s, c, -1);
            if (r < 0)
                goto out;
            uint64_t rc;
            r = qcow2_get_refcount(s, c, &rc);
            if (r < 0)
                goto out;
            if (rc == 0)
                release_cluster(s, c);
        }
    }
out:
    s->nb_frees = 0;
    s->cbyte_next = 0;
    return r;
}

int qcow2_flush(struct blk *b)
{
    struct qcow2 *s = b->state;
    int r;
    pthread_mutex_lock(&s->lock);
    bool frees = s->nb_frees > 0 && !s->corrupt;
    r = s->corrupt ? 0 : qcow2_write_metadata(s);
    pthread_mutex_unlock(&s->lock);
    if (r == 0 && frees) {
        pthread_rwlock_wrlock(&s->io_lock);
        pthread_mutex_lock(&s->lock);
        r = qcow2_apply_frees_locked(s);
        if (r == 0)
            r = qcow2_write_metadata(s);
        pthread_mutex_unlock(&s->lock);
        pthread_rwlock_unlock(&s->io_lock);
    }
    int r2 = bfile_sync(s->file);
    if (r2 == 0) {
        pthread_mutex_lock(&s->lock);
        s->unsynced = s->unsynced_l2 = false;
        pthread_mutex_unlock(&s->lock);
    }
    return r < 0 ? r : r2;
}

/* Called without locks after an operation that queued frees. */
int qcow2_maybe_apply_frees(struct qcow2 *s)
{
    pthread_mutex_lock(&s->lock);
    bool many = s->nb_frees >= FREES_APPLY_THRESHOLD;
    pthread_mutex_unlock(&s->lock);
    if (!many)
        return 0;
    pthread_rwlock_wrlock(&s->io_lock);
    pthread_mutex_lock(&s->lock);
    int r = qcow2_apply_frees_locked(s);
    pthread_mutex_unlock(&s->lock);
    pthread_rwlock_unlock(&s->io_lock);
    return r;
}
