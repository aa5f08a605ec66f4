/*
 * imgops.c — convert, commit, rebase and compare whole images.
 *
 * convert walks the source in aligned windows: a window the source maps as
 * zero is skipped (or zeroed on a target that isn't fresh); other windows
 * are read and scanned for zero runs (sparse-aware) by a few worker threads
 * and written in order by one writer thread, so reading, scanning and
 * writing overlap (compressed converts: every worker compresses and writes).
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block/imgops.h"
#include "block/iov.h"

#define WINDOW (1u << 20)
#define QUEUE_LEN 16

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

static void progress(struct img_progress *p, double f)
{
    if (p && p->fn)
        p->fn(p->opaque, f > 1 ? 1 : f);
}

/* ---- convert ------------------------------------------------------------ */

/*
 * Plain converts are bound by the host's write path, which the kernel
 * serializes per file (the inode lock), so they run as a pipeline: reader
 * workers read windows and find their zero runs in parallel, and one writer
 * thread writes them in order, never waiting while a window is ready.  In
 * order, a qcow2 target is laid out contiguously, and no worker spins on
 * the target's lock.  Compressed converts (CPU-bound) and -W let every
 * worker write its own windows, in any order.
 */
#define NSLOT_MAX 20

struct job { struct blk *src; uint64_t soff, doff, len, seq; };

/* A run of window bytes that is all zero or holds data. */
struct seg { uint32_t off, len; bool zero; };

/* A window between its reader and the writer. */
struct slot {
    uint8_t *buf;
    struct seg *segs;
    unsigned nsegs;
    struct job job;
    atomic_bool ready;           /* read; waiting to be written */
};

struct conv {
    struct img_convert *c;
    uint64_t window;
    uint32_t dst_cluster;
    unsigned max_segs;
    bool ordered;
    pthread_mutex_t lock;
    pthread_cond_t can_read;     /* a job (ordered: with a free slot) may be there */
    pthread_cond_t not_full, slot_ready;
    struct job q[QUEUE_LEN];
    unsigned head, count;
    uint64_t enqueued;           /* jobs handed out so far (next seq) */
    _Atomic uint64_t written;    /* ordered: windows written (next seq to write) */
    struct slot slots[NSLOT_MAX];
    unsigned nslots;
    bool done;
    int error;
    char errmsg[BLK_ERR_LEN];
    /* the last extent of the source map, reused while windows fall in it */
    struct blk *map_src;
    uint64_t map_start, map_end;
    bool map_zero;
};

static void conv_fail(struct conv *cv, int r, const char *what, struct blk *b)
{
    pthread_mutex_lock(&cv->lock);
    if (!cv->error) {
        cv->error = r;
        const char *detail = blk_last_error(b);
        snprintf(cv->errmsg, sizeof cv->errmsg, "error while %s: %s%s%s", what,
                 strerror(-r), *detail ? ": " : "", detail);
    }
    pthread_cond_broadcast(&cv->not_full);
    pthread_cond_broadcast(&cv->can_read);
    pthread_cond_broadcast(&cv->slot_ready);
    pthread_mutex_unlock(&cv->lock);
}

/* Split buf (target offset doff) into zero and data runs: a zero run is
 * one of at least sparse_size bytes (units aligned in the target). */
static unsigned find_segs(const struct img_convert *c, const uint8_t *buf, uint64_t doff,
                          uint64_t len, struct seg *segs)
{
    uint64_t unit = c->sparse_size;
    if (!unit) {
        segs[0] = (struct seg){ 0, (uint32_t)len, false };
        return 1;
    }
    unsigned n = 0;
    uint64_t pos = 0;
    while (pos < len) {
        /* Grow a run of units of the same kind. */
        uint64_t m = unit - ((doff + pos) % unit);
        if (m > len - pos)
            m = len - pos;
        bool zero = buf_is_zero(buf + pos, m);
        uint64_t end = pos + m;
        while (end < len) {
            uint64_t u = len - end < unit ? len - end : unit;
            if (buf_is_zero(buf + end, u) != zero)
                break;
            end += u;
        }
        segs[n++] = (struct seg){ (uint32_t)pos, (uint32_t)(end - pos), zero };
        pos = end;
    }
    return n;
}

static int write_segs(struct conv *cv, const uint8_t *buf, uint64_t doff,
                      const struct seg *segs, unsigned n)
{
    struct img_convert *c = cv->c;
    for (unsigned i = 0; i < n; i++) {
        const struct seg *g = &segs[i];
        int r = 0;
        if (!g->zero)
            r = blk_pwrite(c->dst, doff + g->off, buf + g->off, g->len);
        else if (!c->dst_is_zero)
            r = blk_write_zeroes(c->dst, doff + g->off, g->len, BLK_ZERO_MAY_UNMAP);
        if (r < 0)
            return r;
    }
    return 0;
}

static int write_compressed_range(struct conv *cv, const uint8_t *buf, uint64_t doff,
                                  uint64_t len)
{
    struct img_convert *c = cv->c;
    uint64_t cs = cv->dst_cluster, dsize = blk_size(c->dst);
    uint64_t pos = 0;
    while (pos < len) {
        uint64_t o = doff + pos;
        uint64_t n = cs - (o % cs);
        if (n > len - pos)
            n = len - pos;
        int r;
        bool whole = o % cs == 0 && (n == cs || o + n == dsize);
        if (buf_is_zero(buf + pos, n))
            r = c->dst_is_zero ? 0 : blk_write_zeroes(c->dst, o, n, BLK_ZERO_MAY_UNMAP);
        else if (whole)
            r = blk_write_compressed(c->dst, o, buf + pos, n);
        else
            r = blk_pwrite(c->dst, o, buf + pos, n);
        if (r < 0)
            return r;
        pos += n;
    }
    return 0;
}

/* Can the next job be taken?  Ordered: only once its slot is free, i.e.
 * the window nslots before it has been written (cv->lock held). */
static bool job_takeable(struct conv *cv)
{
    return cv->count &&
           (!cv->ordered || cv->q[cv->head].seq <
                            atomic_load_explicit(&cv->written, memory_order_acquire) + cv->nslots);
}

/* Next job, or false when there are no more (or on error). */
static bool take_job(struct conv *cv, struct job *j)
{
    pthread_mutex_lock(&cv->lock);
    while (!job_takeable(cv) && !(cv->done && !cv->count) && !cv->error)
        pthread_cond_wait(&cv->can_read, &cv->lock);
    bool got = !cv->error && job_takeable(cv);
    if (got) {
        *j = cv->q[cv->head];
        cv->head = (cv->head + 1) % QUEUE_LEN;
        cv->count--;
        if (cv->count == QUEUE_LEN / 2)        /* the producer refills half at once */
            pthread_cond_signal(&cv->not_full);
    }
    pthread_mutex_unlock(&cv->lock);
    return got;
}

/* Ordered mode: read job j into its slot and hand it to the writer. */
static int read_into_slot(struct conv *cv, const struct job *j)
{
    struct slot *sl = &cv->slots[j->seq % cv->nslots];
    int r = blk_pread(j->src, j->soff, sl->buf, j->len);
    if (r < 0) {
        conv_fail(cv, r, "reading", j->src);
        return r;
    }
    sl->nsegs = find_segs(cv->c, sl->buf, j->doff, j->len, sl->segs);
    sl->job = *j;
    pthread_mutex_lock(&cv->lock);
    atomic_store_explicit(&sl->ready, true, memory_order_release);
    pthread_cond_signal(&cv->slot_ready);
    pthread_mutex_unlock(&cv->lock);
    return 0;
}

static void *conv_worker(void *arg)
{
    struct conv *cv = arg;
    uint8_t *buf = NULL;
    if (!cv->ordered && posix_memalign((void **)&buf, 4096, cv->window)) {
        conv_fail(cv, -ENOMEM, "allocating a buffer", cv->c->dst);
        return NULL;
    }
    struct seg *segs = cv->ordered ? NULL : malloc(cv->max_segs * sizeof *segs);
    if (!cv->ordered && !segs) {
        conv_fail(cv, -ENOMEM, "allocating a buffer", cv->c->dst);
        free(buf);
        return NULL;
    }
    struct job j;
    while (take_job(cv, &j)) {
        if (cv->ordered) {
            if (read_into_slot(cv, &j) < 0)
                break;
            continue;
        }
        int r = blk_pread(j.src, j.soff, buf, j.len);
        if (r < 0) {
            conv_fail(cv, r, "reading", j.src);
            break;
        }
        if (cv->c->compress) {
            r = write_compressed_range(cv, buf, j.doff, j.len);
        } else {
            unsigned n = find_segs(cv->c, buf, j.doff, j.len, segs);
            r = write_segs(cv, buf, j.doff, segs, n);
        }
        if (r < 0) {
            conv_fail(cv, r, "writing", cv->c->dst);
            break;
        }
    }
    free(segs);
    free(buf);
    return NULL;
}

/*
 * Ordered mode: write the windows in sequence as their readers finish.
 * The writer is the critical path, so it takes no lock while windows are
 * ready (slot->ready and cv->written are atomics), and wakes readers
 * sparingly — every wake-up may put a reader on the writer's CPU: one
 * reader per half ring of freed slots (reading is faster than writing, it
 * refills them alone), all of them only when the writer finds the next
 * window not read yet.
 */
static void *conv_writer(void *arg)
{
    struct conv *cv = arg;
    uint64_t next = 0, woken = 0;
    unsigned batch = cv->nslots / 2;
    for (;;) {
        struct slot *sl = &cv->slots[next % cv->nslots];
        if (!atomic_load_explicit(&sl->ready, memory_order_acquire)) {
            pthread_mutex_lock(&cv->lock);
            pthread_cond_broadcast(&cv->can_read);
            woken = next;
            while (!cv->error && !sl->ready && !(cv->done && next == cv->enqueued))
                pthread_cond_wait(&cv->slot_ready, &cv->lock);
            bool go = !cv->error && sl->ready;
            pthread_mutex_unlock(&cv->lock);
            if (!go)
                break;
        }
        int r = write_segs(cv, sl->buf, sl->job.doff, sl->segs, sl->nsegs);
        if (r < 0) {
            conv_fail(cv, r, "writing", cv->c->dst);
            break;
        }
        atomic_store_explicit(&sl->ready, false, memory_order_relaxed);
        atomic_store_explicit(&cv->written, ++next, memory_order_release);
        if (next - woken >= batch) {
            pthread_mutex_lock(&cv->lock);
            pthread_cond_signal(&cv->can_read);
            woken = next;
            pthread_mutex_unlock(&cv->lock);
        }
    }
    return NULL;
}

static int enqueue(struct conv *cv, struct job j)
{
    pthread_mutex_lock(&cv->lock);
    if (cv->count == QUEUE_LEN)
        while (cv->count > QUEUE_LEN / 2 && !cv->error)
            pthread_cond_wait(&cv->not_full, &cv->lock);
    int r = cv->error;
    if (!r) {
        j.seq = cv->enqueued++;
        cv->q[(cv->head + cv->count) % QUEUE_LEN] = j;
        cv->count++;
        if (cv->count == 1 && job_takeable(cv))  /* else nobody can take it yet */
            pthread_cond_signal(&cv->can_read);
    }
    pthread_mutex_unlock(&cv->lock);
    return r;
}

/* Is [off, off+len) of src all zero according to its map?  *zero_end is
 * where the zero extent starting at off ends (if zero).  One map query
 * covers a whole extent: windows inside it reuse the answer. */
static int map_zero(struct conv *cv, struct blk *src, uint64_t off, uint64_t len,
                    bool *zero, uint64_t *zero_end)
{
    if (cv->map_src != src || off < cv->map_start || off >= cv->map_end) {
        struct blk_extent e;
        uint64_t limit = blk_size(src) - off;
        int r = cv->c->top_only ? blk_block_status(src, off, limit, &e)
                                : blk_map(src, off, limit, &e);
        if (r < 0)
            return r;
        if (!e.length)
            return -EIO;
        cv->map_src = src;
        cv->map_start = off;
        cv->map_end = off + e.length;
        cv->map_zero = cv->c->top_only ? !(e.flags & BLK_EXT_ALLOCATED)
                                       : (e.flags & BLK_EXT_ZERO) && !(e.flags & BLK_EXT_DATA);
    }
    *zero = cv->map_zero && cv->map_end >= off + len;
    *zero_end = cv->map_end;
    return 0;
}

static int conv_setup(struct conv *cv, unsigned nworkers)
{
    cv->max_segs = (unsigned)(cv->window / (cv->c->sparse_size ? cv->c->sparse_size : 512)) + 2;
    if (!cv->ordered)
        return 0;
    for (unsigned i = 0; i < nworkers + 4; i++) {
        struct slot *sl = &cv->slots[i];
        cv->nslots++;
        if (posix_memalign((void **)&sl->buf, 4096, cv->window))
            return -ENOMEM;
        if (!(sl->segs = malloc(cv->max_segs * sizeof *sl->segs)))
            return -ENOMEM;
    }
    return 0;
}

int img_convert(struct img_convert *c, char *err)
{
    struct conv cv = { .c = c };
    cv.dst_cluster = blk_cluster_size(c->dst);
    if (c->compress && !cv.dst_cluster) {
        errf(err, "Compression not supported for this file format");
        return -ENOTSUP;
    }
    cv.window = WINDOW;
    if (cv.dst_cluster > cv.window)
        cv.window = cv.dst_cluster;
    cv.ordered = !c->compress && !c->out_of_order;
    pthread_mutex_init(&cv.lock, NULL);
    pthread_cond_init(&cv.can_read, NULL);
    pthread_cond_init(&cv.not_full, NULL);
    pthread_cond_init(&cv.slot_ready, NULL);
    unsigned nt = c->threads ? c->threads : 4;
    pthread_t th[17];
    if (nt > 16)
        nt = 16;
    unsigned started = 0;
    int r = conv_setup(&cv, nt);
    if (r < 0)
        errf(err, "Could not allocate buffers: %s", strerror(-r));
    for (unsigned i = 0; i < nt && r == 0; i++)
        if (pthread_create(&th[started], NULL, conv_worker, &cv) == 0)
            started++;
    if (r == 0 && !started)
        r = -EAGAIN;
    if (r == 0 && cv.ordered) {
        if (pthread_create(&th[started], NULL, conv_writer, &cv) == 0)
            started++;
        else
            conv_fail(&cv, r = -EAGAIN, "starting the writer", c->dst);
    }

    uint64_t total = 0, doff = 0;
    for (int i = 0; i < c->nsrc; i++)
        total += blk_size(c->src[i]);
    progress(&c->progress, 0);
    for (int i = 0; i < c->nsrc && r == 0; i++) {
        struct blk *src = c->src[i];
        uint64_t size = blk_size(src), off = 0;
        while (off < size && r == 0) {
            /* Windows are aligned in the target. */
            uint64_t wlen = cv.window - ((doff + off) % cv.window);
            if (wlen > size - off)
                wlen = size - off;
            bool zero;
            uint64_t zend = 0;
            if ((r = map_zero(&cv, src, off, wlen, &zero, &zend)) < 0) {
                errf(err, "error while reading the map of '%s': %s", "source",
                     strerror(-r));
                break;
            }
            if (zero && c->sparse_size) {
                /* Skip every whole window the zero extent covers. */
                uint64_t end = zend > size ? size : zend;
                uint64_t dend = doff + end;
                if (end < size)
                    dend -= dend % cv.window;
                if (dend < doff + off + wlen)
                    dend = doff + off + wlen;
                uint64_t n = dend - (doff + off);
                if (!c->dst_is_zero && !c->top_only)
                    r = blk_write_zeroes(c->dst, doff + off, n, BLK_ZERO_MAY_UNMAP);
                if (r < 0) {
                    conv_fail(&cv, r, "writing", c->dst);
                    break;
                }
                off += n;
            } else {
                r = enqueue(&cv, (struct job){ src, off, doff + off, wlen, 0 });
                off += wlen;
            }
            progress(&c->progress, total ? (double)(doff + off) / (double)total : 1);
        }
        doff += size;
    }
    pthread_mutex_lock(&cv.lock);
    cv.done = true;
    pthread_cond_broadcast(&cv.can_read);
    pthread_cond_broadcast(&cv.slot_ready);
    pthread_mutex_unlock(&cv.lock);
    for (unsigned i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (cv.error) {
        r = cv.error;
        errf(err, "%s", cv.errmsg);
    }
    if (r == 0) {
        r = blk_flush(c->dst);
        if (r < 0)
            errf(err, "error while flushing the target: %s", strerror(-r));
    }
    if (r == 0)
        progress(&c->progress, 1);
    for (unsigned i = 0; i < cv.nslots; i++) {
        free(cv.slots[i].buf);
        free(cv.slots[i].segs);
    }
    pthread_mutex_destroy(&cv.lock);
    pthread_cond_destroy(&cv.can_read);
    pthread_cond_destroy(&cv.not_full);
    pthread_cond_destroy(&cv.slot_ready);
    return r;
}

/* ---- commit ------------------------------------------------------------- */

int img_commit(struct blk *top, struct blk *base_rw, struct img_progress *p, char *err)
{
    /* Which depth is the base in top's chain? */
    int base_depth = 0;
    for (struct blk *b = top; b; b = blk_backing(b), base_depth++) {
        struct blk_info *a = malloc(sizeof *a), *bi = malloc(sizeof *bi);
        if (!a || !bi) {
            free(a);
            free(bi);
            return -ENOMEM;
        }
        blk_get_info(b, a);
        blk_get_info(base_rw, bi);
        bool same = !strcmp(a->filename, bi->filename);
        free(a);
        free(bi);
        if (same && b != top)
            break;
    }
    uint64_t size = blk_size(top);
    int r = 0;
    if (blk_size(base_rw) < size && (r = blk_resize(base_rw, size)) < 0) {
        errf(err, "could not grow the base image: %s", strerror(-r));
        return r;
    }
    uint8_t *buf = malloc(WINDOW);
    if (!buf)
        return -ENOMEM;
    for (uint64_t off = 0; off < size && r == 0;) {
        struct blk_extent e;
        if ((r = blk_map(top, off, size - off, &e)) < 0)
            break;
        uint64_t n = e.length;
        bool above = (e.flags & BLK_EXT_ALLOCATED) && e.depth < base_depth;
        if (above && (e.flags & BLK_EXT_ZERO) && !(e.flags & BLK_EXT_DATA)) {
            r = blk_write_zeroes(base_rw, off, n, 0);
        } else if (above) {
            for (uint64_t done = 0; done < n && r == 0;) {
                uint64_t m = n - done < WINDOW ? n - done : WINDOW;
                r = blk_pread(top, off + done, buf, m);
                if (r == 0)
                    r = blk_pwrite(base_rw, off + done, buf, m);
                done += m;
            }
        }
        off += n;
        progress(p, (double)off / (double)size);
    }
    free(buf);
    if (r == 0)
        r = blk_flush(base_rw);
    if (r < 0 && err && !*err)
        errf(err, "error while committing: %s", strerror(-r));
    return r;
}

/* ---- rebase ------------------------------------------------------------- */

static int read_clipped(struct blk *b, uint64_t off, uint8_t *buf, uint64_t len)
{
    uint64_t have = 0;
    if (b && off < blk_size(b))
        have = blk_size(b) - off < len ? blk_size(b) - off : len;
    memset(buf + have, 0, len - have);
    return have ? blk_pread(b, off, buf, have) : 0;
}

int img_rebase_copy(struct blk *img, struct blk *new_backing, struct img_progress *p,
                    char *err)
{
    uint64_t size = blk_size(img);
    uint32_t cs = blk_cluster_size(img);
    uint64_t step = cs ? cs : 65536;
    uint8_t *a = malloc(step), *b = malloc(step);
    int r = (a && b) ? 0 : -ENOMEM;
    struct blk *old = blk_backing(img);
    for (uint64_t off = 0; off < size && r == 0;) {
        struct blk_extent e;
        if ((r = blk_block_status(img, off, size - off, &e)) < 0)
            break;
        if (e.flags & BLK_EXT_ALLOCATED) {
            off += e.length;
            continue;
        }
        uint64_t end = off + e.length;
        while (off < end && r == 0) {
            uint64_t n = step - off % step;
            if (n > end - off)
                n = end - off;
            if ((r = read_clipped(old, off, a, n)) < 0 ||
                (r = read_clipped(new_backing, off, b, n)) < 0)
                break;
            if (memcmp(a, b, n))
                r = blk_pwrite(img, off, a, n);
            off += n;
        }
        progress(p, (double)off / (double)size);
    }
    free(a);
    free(b);
    if (r == 0)
        r = blk_flush(img);
    if (r < 0)
        errf(err, "error while rebasing: %s", strerror(-r));
    return r;
}

/* ---- compare ------------------------------------------------------------ */

static bool zero_extent(struct blk *b, uint64_t off, uint64_t len, uint64_t *n)
{
    struct blk_extent e;
    if (blk_map(b, off, len, &e) < 0)
        return false;
    *n = e.length;
    return (e.flags & BLK_EXT_ZERO) && !(e.flags & BLK_EXT_DATA);
}

static uint64_t first_diff(const uint8_t *x, const uint8_t *y, uint64_t n)
{
    uint64_t i = 0;
    while (i < n && x[i] == y[i])
        i++;
    return i & ~(uint64_t)511;
}

int img_compare(struct blk *a, struct blk *b, bool strict, uint64_t *where,
                struct img_progress *p)
{
    uint64_t sa = blk_size(a), sb = blk_size(b);
    uint64_t common = sa < sb ? sa : sb, total = sa > sb ? sa : sb;
    if (strict && sa != sb) {
        *where = common;
        return 1;
    }
    uint8_t *x = malloc(WINDOW), *y = malloc(WINDOW);
    int r = (x && y) ? 0 : -ENOMEM;
    for (uint64_t off = 0; off < total && r == 0;) {
        uint64_t n = WINDOW - off % WINDOW;
        if (n > total - off)
            n = total - off;
        if (off < common && n > common - off)
            n = common - off;
        uint64_t za = 0, zb = 0;
        bool in_a = off < sa, in_b = off < sb;
        bool a0 = !in_a || zero_extent(a, off, n, &za);
        bool b0 = !in_b || zero_extent(b, off, n, &zb);
        if (a0 && b0 && (!in_a || za >= n) && (!in_b || zb >= n)) {
            off += n;
            continue;
        }
        if ((in_a && (r = blk_pread(a, off, x, n)) < 0) ||
            (in_b && (r = blk_pread(b, off, y, n)) < 0))
            break;
        if (!in_a)
            memset(x, 0, n);
        if (!in_b)
            memset(y, 0, n);
        if (memcmp(x, y, n)) {
            *where = off + first_diff(x, y, n);
            r = 1;
            break;
        }
        off += n;
        progress(p, (double)off / (double)total);
    }
    free(x);
    free(y);
    return r;
}
