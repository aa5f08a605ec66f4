/*
 * qcow2_io.c — guest I/O on qcow2: mapping guest clusters through the
 * L1/L2 tables, copy-on-write allocation, zero and compressed clusters,
 * discard, block status.
 *
 * Writes to clusters that are allocated and owned (COPIED) go straight to
 * the file outside the metadata lock.  Anything else — unallocated, zero,
 * compressed, shared with a snapshot — allocates fresh clusters, fills the
 * parts of them the request doesn't cover from the old content (backing
 * file, zeroes, decompressed data), writes data — also outside the lock,
 * with the guest clusters marked in flight meanwhile — then points the L2
 * entry at them; the old clusters are released later (qcow2_refcount.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "block/iov.h"
#include "block/qcow2.h"

enum qcow2_ctype qcow2_classify(struct qcow2 *s, uint64_t e)
{
    (void)s;
    if (e & QCOW_OFLAG_COMPRESSED)
        return QC_COMPRESSED;
    uint64_t host = e & L2E_OFFSET_MASK;
    if (e & QCOW_OFLAG_ZERO)
        return host ? QC_ZERO_ALLOC : QC_ZERO_PLAIN;
    return host ? QC_NORMAL : QC_UNALLOC;
}

void qcow2_compressed_range(struct qcow2 *s, uint64_t e, uint64_t *off, uint64_t *len)
{
    unsigned x = 62 - (s->cluster_bits - 8);
    *off = e & ((1ull << x) - 1);
    uint64_t nb = (e >> x) & ((1ull << (s->cluster_bits - 8)) - 1);
    *len = (nb + 1) * 512 - (*off & 511);
}

static uint64_t l2_get(const uint8_t *l2, uint64_t i) { return be64_get(l2 + i * 8); }
static void l2_set(uint8_t *l2, uint64_t i, uint64_t v) { be64_put(l2 + i * 8, v); }

/* Host-bearing entry: what to release when it is replaced. */
static int free_entry(struct qcow2 *s, uint64_t e)
{
    switch (qcow2_classify(s, e)) {
    case QC_NORMAL:
    case QC_ZERO_ALLOC:
        return qcow2_defer_free(s, e & L2E_OFFSET_MASK, s->cluster_size);
    case QC_COMPRESSED: {
        uint64_t off, len;
        qcow2_compressed_range(s, e, &off, &len);
        return qcow2_defer_free(s, off, len);
    }
    default:
        return 0;
    }
}

static int check_host(struct qcow2 *s, uint64_t e, uint64_t vcluster)
{
    uint64_t host = e & L2E_OFFSET_MASK;
    if (qcow2_offset_in_cluster(s, host)) {
        qcow2_signal_corruption(s, "L2 entry 0x%llx for guest offset 0x%llx is not "
                                "cluster-aligned", (unsigned long long)e,
                                (unsigned long long)vcluster);
        return -EIO;
    }
    return 0;
}

/* The L2 table for l1 index i (read path): *l2off = 0 if none. */
static int l2_lookup(struct qcow2 *s, uint64_t i, uint64_t *l2off, uint8_t **l2)
{
    *l2off = 0;
    if (i >= s->l1_size)
        return 0;
    uint64_t off = s->l1[i] & L1E_OFFSET_MASK;
    if (!off)
        return 0;
    if (qcow2_offset_in_cluster(s, off) || qcow2_overlaps_metadata(s, off, s->cluster_size)) {
        qcow2_signal_corruption(s, "L2 table offset 0x%llx (L1 index %llu) is invalid",
                                (unsigned long long)off, (unsigned long long)i);
        return -EIO;
    }
    if ((off >> s->cluster_bits) >= s->alloc_end) {
        qcow2_signal_corruption(s, "L2 table at 0x%llx (L1 index %llu) lies past the end "
                                "of the file (truncated image?)", (unsigned long long)off,
                                (unsigned long long)i);
        return -EIO;
    }
    int r = qcow2_cache_get(s, &s->l2_cache, off, false, l2);
    if (r < 0)
        return r;
    *l2off = off;
    return 0;
}

/* The L2 table for l1 index i, ready to be modified: allocated if there is
 * none, copied if shared with a snapshot.  Returned pinned. */
static int l2_for_write(struct qcow2 *s, uint64_t i, uint64_t *l2off, uint8_t **l2)
{
    uint64_t e1 = s->l1[i], off = e1 & L1E_OFFSET_MASK;
    int r;
    if (off && (e1 & QCOW_OFLAG_COPIED))
        return l2_lookup(s, i, l2off, l2);
    uint64_t n;
    if ((r = qcow2_alloc_clusters(s, 1, &n)) < 0)
        return r;
    if (off) {
        uint8_t *old;
        uint64_t oldoff;
        if ((r = l2_lookup(s, i, &oldoff, &old)) < 0)
            return r;
        uint8_t *nw;
        r = qcow2_cache_get(s, &s->l2_cache, n, true, &nw);
        if (r == 0)
            memcpy(nw, old, s->cluster_size);
        qcow2_cache_put(&s->l2_cache, oldoff);
        if (r < 0)
            return r;
        *l2 = nw;
        if ((r = qcow2_defer_free(s, off, s->cluster_size)) < 0) {
            qcow2_cache_put(&s->l2_cache, n);
            return r;
        }
    } else if ((r = qcow2_cache_get(s, &s->l2_cache, n, true, l2)) < 0) {
        return r;
    }
    qcow2_cache_dirty(&s->l2_cache, n);
    s->l1[i] = n | QCOW_OFLAG_COPIED;
    if (i < s->l1_dirty_lo)
        s->l1_dirty_lo = (uint32_t)i;
    if (i + 1 > s->l1_dirty_hi)
        s->l1_dirty_hi = (uint32_t)(i + 1);
    *l2off = n;
    return 0;
}

/* ---- Reading ------------------------------------------------------------ */

struct run {
    enum qcow2_ctype type;
    uint64_t len;        /* bytes from the starting offset */
    uint64_t host;       /* NORMAL / ZERO_ALLOC: host offset of the start */
    uint64_t entry;      /* COMPRESSED: the L2 entry */
};

/* Describe the longest run from voff (at most maxlen bytes) that can be
 * served the same way.  Called with s->lock held. */
static int get_run(struct qcow2 *s, uint64_t voff, uint64_t maxlen, struct run *run)
{
    uint64_t cs = s->cluster_size, l2n = 1ull << s->l2_bits;
    uint64_t l1i = voff >> (s->cluster_bits + s->l2_bits);
    uint64_t l2i = (voff >> s->cluster_bits) & (l2n - 1);
    uint64_t in = voff & (cs - 1);
    uint64_t l2off;
    uint8_t *l2;
    int r = l2_lookup(s, l1i, &l2off, &l2);
    if (r < 0)
        return r;
    if (!l2off) {
        uint64_t to_end = ((l2n - l2i) << s->cluster_bits) - in;
        run->type = QC_UNALLOC;
        run->len = to_end < maxlen ? to_end : maxlen;
        return 0;
    }
    uint64_t e = l2_get(l2, l2i);
    run->type = qcow2_classify(s, e);
    run->entry = e;
    run->host = (e & L2E_OFFSET_MASK) + in;
    if ((run->type == QC_NORMAL || run->type == QC_ZERO_ALLOC) &&
        (r = check_host(s, e, voff - in)) < 0) {
        qcow2_cache_put(&s->l2_cache, l2off);
        return r;
    }
    uint64_t where = run->type == QC_NORMAL ? e & L2E_OFFSET_MASK : 0;
    if (run->type == QC_COMPRESSED) {
        uint64_t clen;
        qcow2_compressed_range(s, e, &where, &clen);
    }
    if (where && (where >> s->cluster_bits) >= s->alloc_end) {
        qcow2_cache_put(&s->l2_cache, l2off);
        qcow2_signal_corruption(s, "data for guest offset 0x%llx would be at 0x%llx, past "
                                "the end of the file (truncated image?)",
                                (unsigned long long)(voff - in), (unsigned long long)where);
        return -EIO;
    }
    uint64_t len = cs - in;
    if (run->type != QC_COMPRESSED) {
        uint64_t expect = (e & L2E_OFFSET_MASK) + cs;
        for (uint64_t j = l2i + 1; j < l2n && len < maxlen; j++) {
            uint64_t e2 = l2_get(l2, j);
            enum qcow2_ctype t2 = qcow2_classify(s, e2);
            if (t2 != run->type)
                break;
            if (t2 == QC_NORMAL) {
                if ((e2 & L2E_OFFSET_MASK) != expect)
                    break;
                expect += cs;
            }
            len += cs;
        }
    }
    qcow2_cache_put(&s->l2_cache, l2off);
    run->len = len < maxlen ? len : maxlen;
    return 0;
}

/* Decompress the guest cluster described by a compressed entry into buf. */
static int read_compressed(struct qcow2 *s, uint64_t e, uint8_t *buf)
{
    uint64_t off, len;
    qcow2_compressed_range(s, e, &off, &len);
    uint8_t *in = malloc(len);
    if (!in)
        return -ENOMEM;
    int r = bfile_pread(s->file, in, len, off);
    if (r == 0) {
        r = qcow2_decompress(s->compression_type, buf, s->cluster_size, in, len);
        if (r < 0)
            blk_set_error(s->b, "qcow2 image '%s': compressed cluster at 0x%llx does "
                          "not decompress", s->b->filename, (unsigned long long)off);
    }
    free(in);
    return r;
}

int qcow2_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
    struct qcow2 *s = b->state;
    struct iovec local[16], *win = cnt <= 16 ? local : malloc(sizeof *win * (size_t)cnt);
    if (!win)
        return -ENOMEM;
    uint8_t *cbuf = NULL;
    int r = 0;
    pthread_rwlock_rdlock(&s->io_lock);
    for (size_t done = 0; done < len && r == 0;) {
        struct run run;
        pthread_mutex_lock(&s->lock);
        r = get_run(s, off + done, len - done, &run);
        pthread_mutex_unlock(&s->lock);
        if (r < 0)
            break;
        int wc = iov_window(iov, cnt, done, run.len, win);
        switch (run.type) {
        case QC_UNALLOC:
            r = blk_read_backing(b, off + done, win, wc, run.len);
            break;
        case QC_ZERO_PLAIN:
        case QC_ZERO_ALLOC:
            iov_memset(win, wc, 0, 0, run.len);
            break;
        case QC_NORMAL:
            r = bfile_preadv(s->file, win, wc, run.host);
            break;
        case QC_COMPRESSED:
            if (!cbuf && !(cbuf = malloc(s->cluster_size))) {
                r = -ENOMEM;
                break;
            }
            r = read_compressed(s, run.entry, cbuf);
            if (r == 0)
                iov_from_buf(win, wc, 0, cbuf + ((off + done) & (s->cluster_size - 1)),
                             run.len);
            break;
        }
        done += run.len;
    }
    pthread_rwlock_unlock(&s->io_lock);
    free(cbuf);
    if (win != local)
        free(win);
    return r;
}

/* ---- Writing ------------------------------------------------------------ */

/* Old content of bytes [from, to) of the guest cluster at vcl, whose L2
 * entry is e, into buf.  *zero tells whether it is known to be zeroes. */
static int cow_read(struct qcow2 *s, uint64_t vcl, uint64_t e, uint64_t from,
                    uint64_t to, uint8_t *buf, bool *zero)
{
    size_t n = (size_t)(to - from);
    *zero = false;
    switch (qcow2_classify(s, e)) {
    case QC_UNALLOC: {
        uint64_t start = vcl + from, size = s->b->size;
        uint64_t have = start < size ? (size - start < n ? size - start : n) : 0;
        struct blk *bk = s->b->backing;
        if (!bk || start >= bk->size) {
            memset(buf, 0, n);
            *zero = true;
            return 0;
        }
        memset(buf + have, 0, n - have);
        struct iovec v = { buf, (size_t)have };
        return have ? blk_read_backing(s->b, start, &v, 1, (size_t)have) : 0;
    }
    case QC_ZERO_PLAIN:
    case QC_ZERO_ALLOC:
        memset(buf, 0, n);
        *zero = true;
        return 0;
    case QC_NORMAL:
        return bfile_pread(s->file, buf, n, (e & L2E_OFFSET_MASK) + from);
    case QC_COMPRESSED: {
        uint8_t *c = malloc(s->cluster_size);
        if (!c)
            return -ENOMEM;
        int r = read_compressed(s, e, c);
        if (r == 0)
            memcpy(buf, c + from, n);
        free(c);
        return r;
    }
    }
    return -EIO;
}

static bool owned_normal(struct qcow2 *s, uint64_t e)
{
    return qcow2_classify(s, e) == QC_NORMAL && (e & QCOW_OFLAG_COPIED);
}

/* Is any of guest bytes [start, end) being allocated by another write? */
static bool inflight_overlaps(struct qcow2 *s, uint64_t start, uint64_t end)
{
    for (struct qcow2_inflight *f = s->inflight; f; f = f->next)
        if (f->start < end && start < f->end)
            return true;
    return false;
}

/* Wait (s->lock held) until no allocating write covers [start, end). */
static void inflight_wait(struct qcow2 *s, uint64_t start, uint64_t end)
{
    while (inflight_overlaps(s, start, end))
        pthread_cond_wait(&s->inflight_done, &s->lock);
}

/* What one step of a write left to do outside s->lock. */
struct write_plan {
    uint64_t step;              /* guest bytes this step covers */
    uint64_t fast_host;         /* owned clusters: write the data here */
    /* Allocation: write win[0..wc) at wstart, then alloc_commit() */
    bool alloc;
    bool reuse;                 /* into a preallocated zero cluster */
    int wc;
    uint64_t wstart, host, k, l1i, l2i;
    struct qcow2_inflight node;
};

#define WRITE_STEP_WAIT 1       /* write_step: the range is being allocated */

/*
 * Plan one step of a write at voff, with s->lock held.  Either the data
 * goes to clusters we own (plan->fast_host), or clusters are allocated
 * here, the copy-on-write parts read, and the range registered as in
 * flight (plan->alloc); the caller writes the data outside the lock and
 * then calls alloc_commit(), so allocating writes to different clusters
 * copy their data in parallel.  Returns WRITE_STEP_WAIT if the first
 * cluster is being allocated by another write.
 */
static int write_step(struct qcow2 *s, uint64_t voff, const struct iovec *iov, int cnt,
                      size_t done, uint64_t left, struct write_plan *plan,
                      uint8_t **headp, uint8_t **tailp, struct iovec *win)
{
    uint64_t cs = s->cluster_size, l2n = 1ull << s->l2_bits;
    uint64_t l1i = voff >> (s->cluster_bits + s->l2_bits);
    uint64_t l2i = (voff >> s->cluster_bits) & (l2n - 1);
    uint64_t in = voff & (cs - 1);
    uint64_t vcl = voff - in;
    uint64_t l2off;
    uint8_t *l2;
    *plan = (struct write_plan){ 0 };
    int r = l2_for_write(s, l1i, &l2off, &l2);
    if (r < 0)
        return r;
    uint64_t e = l2_get(l2, l2i);

    if (owned_normal(s, e)) {
        if ((r = check_host(s, e, vcl)) < 0)
            goto out;
        uint64_t host = e & L2E_OFFSET_MASK, len = cs - in;
        for (uint64_t j = l2i + 1; j < l2n && len < left; j++) {
            uint64_t e2 = l2_get(l2, j);
            if (!owned_normal(s, e2) || (e2 & L2E_OFFSET_MASK) != host + (j - l2i) * cs)
                break;
            len += cs;
        }
        plan->step = len < left ? len : left;
        /* A cluster we own was allocated inside the file: anything past
         * all allocations is a corrupt entry, not a place to write. */
        if (((host + in + plan->step - 1) >> s->cluster_bits) >= s->alloc_end) {
            qcow2_signal_corruption(s, "data cluster at 0x%llx lies past the end of the "
                                    "image file", (unsigned long long)host);
            r = -EIO;
            goto out;
        }
        if (qcow2_overlaps_metadata(s, host + in, plan->step)) {
            qcow2_signal_corruption(s, "data cluster at 0x%llx overlaps the header or a "
                                    "table", (unsigned long long)host);
            r = -EIO;
            goto out;
        }
        plan->fast_host = host + in;
        goto out;
    }

    /* Allocating write: how many clusters of this L2 table does it cover? */
    bool reuse = qcow2_classify(s, e) == QC_ZERO_ALLOC && (e & QCOW_OFLAG_COPIED);
    uint64_t k = 1, span = cs - in;
    uint64_t kmax = (1ull << s->rb_bits) / 2 < 1024 ? (1ull << s->rb_bits) / 2 : 1024;
    if (!reuse) {
        for (uint64_t j = l2i + 1; j < l2n && span < left && k < kmax; j++) {
            uint64_t e2 = l2_get(l2, j);
            if (owned_normal(s, e2) ||
                (qcow2_classify(s, e2) == QC_ZERO_ALLOC && (e2 & QCOW_OFLAG_COPIED)))
                break;
            k++;
            span += cs;
        }
    }
    /* Stop short of clusters another write is allocating; wait if the
     * first one is. */
    for (struct qcow2_inflight *f = s->inflight; f; f = f->next) {
        if (f->end <= vcl || f->start >= vcl + k * cs)
            continue;
        if (f->start <= vcl) {
            r = WRITE_STEP_WAIT;
            goto out;
        }
        k = (f->start - vcl) / cs;
        span = k * cs - in;
    }
    uint64_t n = span < left ? span : left;           /* guest bytes written */
    uint64_t tail_from = (in + n) - (k - 1) * cs;     /* within the last cluster */
    uint64_t last_e = l2_get(l2, l2i + k - 1);
    if (reuse && (r = check_host(s, e, vcl)) < 0)
        goto out;
    if (reuse && ((e & L2E_OFFSET_MASK) >> s->cluster_bits) >= s->alloc_end) {
        qcow2_signal_corruption(s, "preallocated cluster at 0x%llx lies past the end of "
                                "the image file", (unsigned long long)(e & L2E_OFFSET_MASK));
        r = -EIO;
        goto out;
    }

    uint64_t h;
    if (reuse) {
        h = e & L2E_OFFSET_MASK;
    } else if ((r = qcow2_alloc_clusters(s, k, &h)) < 0) {
        goto out;
    }
    bool fresh = !reuse && (h >> s->cluster_bits) >= s->fresh_from;

    bool head_zero = true, tail_zero = true;
    /* Copy-on-write buffers, allocated only when a write needs them. */
    if ((in > 0 && !*headp && !(*headp = malloc(cs))) ||
        (tail_from < cs && !*tailp && !(*tailp = malloc(cs)))) {
        r = -ENOMEM;
        goto fail;
    }
    uint8_t *head = *headp, *tail = *tailp;
    if (in > 0 && (r = cow_read(s, vcl, e, 0, in, head, &head_zero)) < 0)
        goto fail;
    if (tail_from < cs &&
        (r = cow_read(s, vcl + (k - 1) * cs, last_e, tail_from, cs, tail, &tail_zero)) < 0)
        goto fail;
    bool write_head = in > 0 && !(fresh && (head_zero || buf_is_zero(head, in)));
    bool write_tail = tail_from < cs &&
                      !(fresh && (tail_zero || buf_is_zero(tail, cs - tail_from)));

    /* head | data | tail as one vector */
    int wc = 0;
    if (write_head)
        win[wc++] = (struct iovec){ head, (size_t)in };
    wc += iov_window(iov, cnt, done, n, win + wc);
    if (write_tail)
        win[wc++] = (struct iovec){ tail, (size_t)(cs - tail_from) };
    if (qcow2_overlaps_metadata(s, h, k * cs)) {
        qcow2_signal_corruption(s, "allocated cluster 0x%llx overlaps the header or a "
                                "table", (unsigned long long)h);
        r = -EIO;
        goto out;
    }
    *plan = (struct write_plan){
        .step = n, .alloc = true, .reuse = reuse, .wc = wc,
        .wstart = h + (write_head ? 0 : in), .host = h, .k = k, .l1i = l1i, .l2i = l2i,
        .node = { .start = vcl, .end = vcl + k * cs, .next = s->inflight },
    };
    s->inflight = &plan->node;
    goto out;
fail:
    if (!reuse)
        qcow2_defer_free(s, h, k * cs);
out:
    qcow2_cache_put(&s->l2_cache, l2off);
    return r;
}

/* With s->lock held, after the data of a planned allocation was written
 * (wr = result): point the L2 entries at it and end its in-flight state. */
static int alloc_commit(struct qcow2 *s, struct write_plan *plan, int wr)
{
    uint64_t cs = s->cluster_size, l2off = 0;
    uint8_t *l2;
    int r = wr;
    if (r == 0 && !s->corrupt)
        r = l2_for_write(s, plan->l1i, &l2off, &l2);
    else if (r == 0)
        r = -EIO;
    if (r == 0) {
        s->unsynced = true;              /* the data before the entries, durably */
        for (uint64_t j = 0; j < plan->k; j++) {
            uint64_t old = l2_get(l2, plan->l2i + j);
            if (!plan->reuse && (r = free_entry(s, old)) < 0)
                break;
            l2_set(l2, plan->l2i + j, (plan->host + j * cs) | QCOW_OFLAG_COPIED);
        }
        qcow2_cache_dirty(&s->l2_cache, l2off);
        qcow2_cache_put(&s->l2_cache, l2off);
    } else if (!plan->reuse) {
        qcow2_defer_free(s, plan->host, plan->k * cs);
    }
    struct qcow2_inflight **p = &s->inflight;
    while (*p != &plan->node)
        p = &(*p)->next;
    *p = plan->node.next;
    pthread_cond_broadcast(&s->inflight_done);
    return r;
}

int qcow2_pwritev(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len)
{
    struct qcow2 *s = b->state;
    if (s->corrupt)
        return -EIO;
    size_t wn = (size_t)cnt + 2;
    struct iovec local[18], *win = wn <= 18 ? local : malloc(sizeof *win * wn);
    uint8_t *head = NULL, *tail = NULL;
    int r = 0;
    if (!win) {
        r = -ENOMEM;
        goto out;
    }
    pthread_rwlock_rdlock(&s->io_lock);
    for (size_t done = 0; done < len && r == 0;) {
        struct write_plan plan;
        pthread_mutex_lock(&s->lock);
        r = s->corrupt ? -EIO : write_step(s, off + done, iov, cnt, done, len - done,
                                           &plan, &head, &tail, win);
        if (r == WRITE_STEP_WAIT) {
            pthread_cond_wait(&s->inflight_done, &s->lock);
            r = 0;
        }
        pthread_mutex_unlock(&s->lock);
        if (r == 0 && plan.fast_host) {
            int wc = iov_window(iov, cnt, done, plan.step, win);
            r = bfile_pwritev(s->file, win, wc, plan.fast_host);
        } else if (r == 0 && plan.alloc) {
            int wr = bfile_pwritev(s->file, win, plan.wc, plan.wstart);
            pthread_mutex_lock(&s->lock);
            r = alloc_commit(s, &plan, wr);
            pthread_mutex_unlock(&s->lock);
        }
        done += plan.step;
    }
    pthread_rwlock_unlock(&s->io_lock);
    if (r == 0)
        r = qcow2_maybe_apply_frees(s);
out:
    free(head);
    free(tail);
    if (win != local)
        free(win);
    return r;
}

/* ---- Discard, zeroes, compressed writes --------------------------------- */

/* Set every whole cluster in [start, end) (cluster-aligned) to `mode`:
 * 0 = unallocated, 1 = zero (keeping owned allocations unless unmap),
 * 2 = zero if there is a backing file, else unallocated (discard). */
static int set_clusters(struct qcow2 *s, uint64_t start, uint64_t end, int mode, bool unmap)
{
    uint64_t l2n = 1ull << s->l2_bits;
    bool backing = s->b->backing != NULL || s->b->backing_name[0];
    if (mode == 2)
        mode = backing && s->version >= 3 ? 1 : 0;
    int r = 0;
    pthread_mutex_lock(&s->lock);
    inflight_wait(s, start, end);
    for (uint64_t v = start; v < end && r == 0;) {
        uint64_t l1i = v >> (s->cluster_bits + s->l2_bits);
        uint64_t l2i = (v >> s->cluster_bits) & (l2n - 1);
        uint64_t stop = (l1i + 1) << (s->cluster_bits + s->l2_bits);
        if (stop > end)
            stop = end;
        if (l1i >= s->l1_size)
            break;
        if (!(s->l1[l1i] & L1E_OFFSET_MASK) && (mode == 0 || !backing)) {
            v = stop;                /* unallocated already reads as wanted */
            continue;
        }
        uint64_t l2off;
        uint8_t *l2;
        if ((r = l2_for_write(s, l1i, &l2off, &l2)) < 0)
            break;
        bool dirty = false;
        for (; v < stop; v += s->cluster_size, l2i++) {
            uint64_t old = l2_get(l2, l2i), nw;
            enum qcow2_ctype t = qcow2_classify(s, old);
            if (mode == 0)
                nw = 0;
            else if (!unmap && (old & QCOW_OFLAG_COPIED) &&
                     (t == QC_NORMAL || t == QC_ZERO_ALLOC))
                nw = old | QCOW_OFLAG_ZERO;      /* stays allocated, reads zero */
            else
                nw = QCOW_OFLAG_ZERO;
            if (nw == old)
                continue;
            if ((old & L2E_OFFSET_MASK) != (nw & L2E_OFFSET_MASK) || t == QC_COMPRESSED)
                if ((r = free_entry(s, old)) < 0)
                    break;
            l2_set(l2, l2i, nw);
            dirty = true;
        }
        if (dirty)
            qcow2_cache_dirty(&s->l2_cache, l2off);
        qcow2_cache_put(&s->l2_cache, l2off);
    }
    pthread_mutex_unlock(&s->lock);
    if (r == 0)
        r = qcow2_maybe_apply_frees(s);
    return r;
}

/* Whole-cluster part of [off, off+len): the cluster that holds the end of
 * the disk counts as whole. */
static void whole_clusters(struct qcow2 *s, uint64_t off, uint64_t len,
                           uint64_t *start, uint64_t *end)
{
    uint64_t cs = s->cluster_size;
    *start = (off + cs - 1) & ~(cs - 1);
    uint64_t e = off + len;
    *end = e == s->b->size ? (e + cs - 1) & ~(cs - 1) : e & ~(cs - 1);
    if (*end < *start)
        *end = *start;
}

int qcow2_discard(struct blk *b, uint64_t off, uint64_t len)
{
    struct qcow2 *s = b->state;
    if (s->corrupt)
        return -EIO;
    uint64_t start, end;
    whole_clusters(s, off, len, &start, &end);
    if (start >= end)
        return 0;
    return set_clusters(s, start, end, 2, true);
}

static int write_zero_bytes(struct blk *b, uint64_t off, uint64_t len)
{
    static const uint8_t zero[65536];
    int r = 0;
    while (len > 0 && r == 0) {
        size_t n = len < sizeof zero ? (size_t)len : sizeof zero;
        struct iovec v = { (void *)zero, n };
        r = qcow2_pwritev(b, off, &v, 1, n);
        off += n;
        len -= n;
    }
    return r;
}

int qcow2_write_zeroes(struct blk *b, uint64_t off, uint64_t len, unsigned flags)
{
    struct qcow2 *s = b->state;
    if (s->corrupt)
        return -EIO;
    bool backing = b->backing != NULL;
    if (s->version < 3 && backing)
        return write_zero_bytes(b, off, len);   /* v2 has no zero clusters */
    uint64_t start, end;
    whole_clusters(s, off, len, &start, &end);
    if (start >= end)
        return write_zero_bytes(b, off, len);
    int r = 0;
    if (off < start)
        r = write_zero_bytes(b, off, start - off);
    if (r == 0 && end < off + len)
        r = write_zero_bytes(b, end, off + len - end);
    if (r == 0)
        r = set_clusters(s, start, end, s->version >= 3 ? 1 : 0,
                         flags & BLK_ZERO_MAY_UNMAP);
    return r;
}

int qcow2_write_compressed(struct blk *b, uint64_t off, const void *buf, size_t len)
{
    struct qcow2 *s = b->state;
    uint64_t cs = s->cluster_size;
    if (s->corrupt)
        return -EIO;
    if ((off & (cs - 1)) || (len != cs && off + len != b->size) || len > cs)
        return -EINVAL;
    uint8_t *src = (uint8_t *)buf, *padded = NULL, *out = malloc(cs);
    if (!out)
        return -ENOMEM;
    if (len < cs) {
        padded = calloc(1, cs);
        if (!padded) {
            free(out);
            return -ENOMEM;
        }
        memcpy(padded, buf, len);
        src = padded;
    }
    /* Random-looking data (already compressed files, encrypted blocks)
     * costs a full deflate only to be stored plainly: a quick trial on the
     * first 4 KiB decides. */
    long clen = -ENOSPC;
    if (cs < 16384 || qcow2_compress_probe(src, 4096))
        clen = qcow2_compress(s->compression_type, out, cs - 1, src, cs);
    int r;
    if (clen < 0) {                     /* incompressible: store it plainly */
        struct iovec v = { (void *)buf, len };
        r = qcow2_pwritev(b, off, &v, 1, len);
        goto done;
    }
    pthread_rwlock_rdlock(&s->io_lock);
    pthread_mutex_lock(&s->lock);
    inflight_wait(s, off, off + cs);
    uint64_t l2n = 1ull << s->l2_bits;
    uint64_t l1i = off >> (s->cluster_bits + s->l2_bits);
    uint64_t l2i = (off >> s->cluster_bits) & (l2n - 1);
    uint64_t l2off, coff;
    uint8_t *l2;
    r = l2_for_write(s, l1i, &l2off, &l2);
    if (r == 0) {
        r = qcow2_alloc_bytes(s, (uint64_t)clen, &coff);
        unsigned x = 62 - (s->cluster_bits - 8);
        if (r == 0 && (coff >> x)) {
            qcow2_signal_corruption(s, "compressed data offset 0x%llx too large",
                                    (unsigned long long)coff);
            r = -EIO;
        }
        if (r == 0 && qcow2_overlaps_metadata(s, coff, (uint64_t)clen))
            r = -EIO;
        if (r == 0)
            r = bfile_pwrite(s->file, out, (size_t)clen, coff);
        if (r == 0) {
            s->unsynced = true;
            uint64_t nb = ((coff + (uint64_t)clen - 1) >> 9) - (coff >> 9);
            uint64_t old = l2_get(l2, l2i);
            r = free_entry(s, old);
            l2_set(l2, l2i, QCOW_OFLAG_COMPRESSED | (nb << x) | coff);
            qcow2_cache_dirty(&s->l2_cache, l2off);
        }
        qcow2_cache_put(&s->l2_cache, l2off);
    }
    pthread_mutex_unlock(&s->lock);
    pthread_rwlock_unlock(&s->io_lock);
    if (r == 0)
        r = qcow2_maybe_apply_frees(s);
done:
    free(out);
    free(padded);
    return r;
}

int qcow2_make_empty(struct blk *b)
{
    struct qcow2 *s = b->state;
    if (s->corrupt)
        return -EIO;
    int r = set_clusters(s, 0, (b->size + s->cluster_size - 1) & ~(s->cluster_size - 1),
                         0, true);
    if (r < 0)
        return r;
    /* Drop the now empty L2 tables too. */
    pthread_rwlock_wrlock(&s->io_lock);
    pthread_mutex_lock(&s->lock);
    for (uint32_t i = 0; i < s->l1_size && r == 0; i++) {
        uint64_t off = s->l1[i] & L1E_OFFSET_MASK;
        if (!off)
            continue;
        r = qcow2_defer_free(s, off, s->cluster_size);
        s->l1[i] = 0;
        if (i < s->l1_dirty_lo)
            s->l1_dirty_lo = i;
        if (i + 1 > s->l1_dirty_hi)
            s->l1_dirty_hi = i + 1;
    }
    if (r == 0)
        r = qcow2_apply_frees_locked(s);
    pthread_mutex_unlock(&s->lock);
    pthread_rwlock_unlock(&s->io_lock);
    return r;
}

int qcow2_block_status(struct blk *b, uint64_t off, uint64_t len, struct blk_extent *ext)
{
    struct qcow2 *s = b->state;
    struct run run;
    pthread_mutex_lock(&s->lock);
    int r = get_run(s, off, len, &run);
    pthread_mutex_unlock(&s->lock);
    if (r < 0)
        return r;
    ext->length = run.len;
    switch (run.type) {
    case QC_UNALLOC:
        ext->flags = 0;
        break;
    case QC_ZERO_PLAIN:
        ext->flags = BLK_EXT_ALLOCATED | BLK_EXT_ZERO;
        break;
    case QC_ZERO_ALLOC:
        ext->flags = BLK_EXT_ALLOCATED | BLK_EXT_ZERO | BLK_EXT_DATA | BLK_EXT_OFFSET;
        ext->host_offset = run.host;
        break;
    case QC_NORMAL:
        ext->flags = BLK_EXT_ALLOCATED | BLK_EXT_DATA | BLK_EXT_OFFSET;
        ext->host_offset = run.host;
        break;
    case QC_COMPRESSED:
        ext->flags = BLK_EXT_ALLOCATED | BLK_EXT_DATA | BLK_EXT_COMPRESSED;
        break;
    }
    return 0;
}
