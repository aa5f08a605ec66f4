/*
 * imgops.c — convert, commit, rebase and compare whole images.
 *
 * convert walks the source in aligned windows: a window the source maps as
 * zero is skipped (or zeroed on a target that isn't fresh); other windows
 * are read, scanned for zero runs (sparse-aware) and written, by a few
 * worker threads so reading, scanning, compressing and writing overlap.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
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

struct job { struct blk *src; uint64_t soff, doff, len; };

struct conv {
    struct img_convert *c;
    uint64_t window;
    uint32_t dst_cluster;
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
    struct job q[QUEUE_LEN];
    unsigned head, count;
    bool done;
    int error;
    char errmsg[BLK_ERR_LEN];
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
    pthread_cond_broadcast(&cv->not_empty);
    pthread_mutex_unlock(&cv->lock);
}

/* Write [off, off+len) of buf (at target offset doff+off), skipping zero
 * runs of at least sparse_size bytes. */
static int write_sparse(struct conv *cv, const uint8_t *buf, uint64_t doff, uint64_t len)
{
    struct img_convert *c = cv->c;
    uint64_t unit = c->sparse_size;
    if (!unit)
        return blk_pwrite(c->dst, doff, buf, len);
    uint64_t pos = 0;
    while (pos < len) {
        /* Grow a run of units of the same kind. */
        uint64_t n = unit - ((doff + pos) % unit);
        if (n > len - pos)
            n = len - pos;
        bool zero = buf_is_zero(buf + pos, n);
        uint64_t end = pos + n;
        while (end < len) {
            uint64_t m = len - end < unit ? len - end : unit;
            if (buf_is_zero(buf + end, m) != zero)
                break;
            end += m;
        }
        int r;
        if (!zero)
            r = blk_pwrite(c->dst, doff + pos, buf + pos, end - pos);
        else if (c->dst_is_zero)
            r = 0;
        else
            r = blk_write_zeroes(c->dst, doff + pos, end - pos, BLK_ZERO_MAY_UNMAP);
        if (r < 0)
            return r;
        pos = end;
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

static void *conv_worker(void *arg)
{
    struct conv *cv = arg;
    uint8_t *buf = NULL;
    if (posix_memalign((void **)&buf, 4096, cv->window)) {
        conv_fail(cv, -ENOMEM, "allocating a buffer", cv->c->dst);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&cv->lock);
        while (!cv->count && !cv->done && !cv->error)
            pthread_cond_wait(&cv->not_empty, &cv->lock);
        if (cv->error || (!cv->count && cv->done)) {
            pthread_mutex_unlock(&cv->lock);
            break;
        }
        struct job j = cv->q[cv->head];
        cv->head = (cv->head + 1) % QUEUE_LEN;
        cv->count--;
        pthread_cond_signal(&cv->not_full);
        pthread_mutex_unlock(&cv->lock);

        int r = blk_pread(j.src, j.soff, buf, j.len);
        if (r < 0) {
            conv_fail(cv, r, "reading", j.src);
            break;
        }
        r = cv->c->compress ? write_compressed_range(cv, buf, j.doff, j.len)
                            : write_sparse(cv, buf, j.doff, j.len);
        if (r < 0) {
            conv_fail(cv, r, "writing", cv->c->dst);
            break;
        }
    }
    free(buf);
    return NULL;
}

static int enqueue(struct conv *cv, struct job j)
{
    pthread_mutex_lock(&cv->lock);
    while (cv->count == QUEUE_LEN && !cv->error)
        pthread_cond_wait(&cv->not_full, &cv->lock);
    int r = cv->error;
    if (!r) {
        cv->q[(cv->head + cv->count) % QUEUE_LEN] = j;
        cv->count++;
        pthread_cond_signal(&cv->not_empty);
    }
    pthread_mutex_unlock(&cv->lock);
    return r;
}

/* Is [off, off+len) of src all zero according to its map?  *zero_end is
 * where the zero extent starting at off ends (if zero). */
static int map_zero(struct conv *cv, struct blk *src, uint64_t off, uint64_t len,
                    bool *zero, uint64_t *zero_end)
{
    struct blk_extent e;
    uint64_t pos = off, limit = blk_size(src) - off;
    *zero = false;
    int r = cv->c->top_only ? blk_block_status(src, off, limit, &e)
                            : blk_map(src, off, limit, &e);
    if (r < 0)
        return r;
    bool z = cv->c->top_only ? !(e.flags & BLK_EXT_ALLOCATED)
                             : (e.flags & BLK_EXT_ZERO) && !(e.flags & BLK_EXT_DATA);
    if (!z)
        return 0;
    pos += e.length;
    *zero_end = pos;
    *zero = pos >= off + len;
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
    pthread_mutex_init(&cv.lock, NULL);
    pthread_cond_init(&cv.not_empty, NULL);
    pthread_cond_init(&cv.not_full, NULL);
    unsigned nt = c->threads ? c->threads : 4;
    pthread_t th[16];
    if (nt > 16)
        nt = 16;
    unsigned started = 0;
    for (unsigned i = 0; i < nt; i++)
        if (pthread_create(&th[started], NULL, conv_worker, &cv) == 0)
            started++;
    int r = started ? 0 : -EAGAIN;

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
                r = enqueue(&cv, (struct job){ src, off, doff + off, wlen });
                off += wlen;
            }
            progress(&c->progress, total ? (double)(doff + off) / (double)total : 1);
        }
        doff += size;
    }
    pthread_mutex_lock(&cv.lock);
    cv.done = true;
    pthread_cond_broadcast(&cv.not_empty);
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
    pthread_mutex_destroy(&cv.lock);
    pthread_cond_destroy(&cv.not_empty);
    pthread_cond_destroy(&cv.not_full);
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
