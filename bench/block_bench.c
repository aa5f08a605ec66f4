/*
 * block-bench — `qemu-img bench` for the Vessel block layer, taking the
 * same options so bench/block.sh can run both on the same files:
 *
 *   block-bench [-c COUNT] [-d DEPTH] [-f FMT] [-o OFFSET] [-s BUFFER_SIZE]
 *               [-S STEP_SIZE] [-t CACHE] [-w] [--pattern=PATTERN]
 *               [--flush-interval=N] [-q] [-n] [-i AIO] [-U] FILENAME
 *
 * COUNT requests of BUFFER_SIZE bytes, DEPTH in flight through blk_submit(),
 * the first at OFFSET and each next one STEP_SIZE further (wrapping at the
 * end of the image, like qemu-img 7.2).  Prints the run time as qemu-img.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "block/block.h"

struct bench {
    struct blk *b;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    uint64_t count, submitted, completed, offset, step, image_size;
    uint64_t flush_interval;
    size_t bufsize;
    bool write;
    int error;
    struct blk_request *reqs;
    struct iovec *iovs;
};

static void submit_locked(struct bench *bn, struct blk_request *req);

static void on_done(struct blk_request *req, int ret)
{
    struct bench *bn = req->opaque;
    pthread_mutex_lock(&bn->lock);
    if (ret < 0 && !bn->error)
        bn->error = ret;
    if (req->op != BLK_OP_FLUSH)
        bn->completed++;
    if (bn->completed == bn->count || bn->error) {
        pthread_cond_signal(&bn->done_cond);
    } else if (bn->flush_interval && req->op != BLK_OP_FLUSH &&
               (bn->count - bn->completed) % bn->flush_interval == 0) {
        req->op = BLK_OP_FLUSH;             /* flush now, continue after it */
        if (blk_submit(bn->b, req) < 0)
            bn->error = -EIO;
    } else if (bn->submitted < bn->count) {
        submit_locked(bn, req);
    }
    pthread_mutex_unlock(&bn->lock);
}

static void submit_locked(struct bench *bn, struct blk_request *req)
{
    req->op = bn->write ? BLK_OP_WRITE : BLK_OP_READ;
    req->offset = bn->offset;
    bn->submitted++;
    bn->offset += bn->step;
    if (bn->image_size)
        bn->offset %= bn->image_size;
    int r = blk_submit(bn->b, req);
    if (r < 0) {
        bn->error = r;
        pthread_cond_signal(&bn->done_cond);
    }
}

int main(int argc, char **argv)
{
    enum { OPT_PATTERN = 256, OPT_FLUSH, OPT_NO_DRAIN };
    static const struct option longopts[] = {
        { "pattern", required_argument, NULL, OPT_PATTERN },
        { "flush-interval", required_argument, NULL, OPT_FLUSH },
        { "no-drain", no_argument, NULL, OPT_NO_DRAIN },
        { NULL, 0, NULL, 0 } };
    const char *fmt = NULL, *cache = "writeback";
    uint64_t count = 75000, depth = 64, offset = 0, bufsize = 4096, step = 0, flush = 0;
    int pattern = 0;
    bool write = false, quiet = false, share = false;
    int c;
    while ((c = getopt_long(argc, argv, "c:d:f:o:s:S:t:wqni:U", longopts, NULL)) != -1) {
        uint64_t *dst = NULL;
        switch (c) {
        case 'c': dst = &count; break;
        case 'd': dst = &depth; break;
        case 'o': dst = &offset; break;
        case 's': dst = &bufsize; break;
        case 'S': dst = &step; break;
        case OPT_FLUSH: dst = &flush; break;
        case 'f': fmt = optarg; break;
        case 't': cache = optarg; break;
        case 'w': write = true; break;
        case 'q': quiet = true; break;
        case 'U': share = true; break;
        case 'n': case 'i': case OPT_NO_DRAIN: break;
        case OPT_PATTERN: pattern = (int)strtol(optarg, NULL, 0); break;
        default: return 1;
        }
        if (dst && blk_parse_size(optarg, dst) < 0) {
            fprintf(stderr, "block-bench: invalid number '%s'\n", optarg);
            return 1;
        }
    }
    if (optind != argc - 1 || !count || !depth || !bufsize) {
        fprintf(stderr, "usage: block-bench [options as qemu-img bench] FILENAME\n");
        return 1;
    }
    if (!step)
        step = bufsize;
    struct blk_open_opts o = { .format = fmt, .read_only = !write, .force_share = share };
    if (getenv("BLOCK_BENCH_THREADS"))
        o.aio_threads = (unsigned)atoi(getenv("BLOCK_BENCH_THREADS"));
    if (!strcmp(cache, "none") || !strcmp(cache, "directsync"))
        o.cache = BLK_CACHE_NONE;
    else if (!strcmp(cache, "unsafe"))
        o.cache = BLK_CACHE_UNSAFE;
    struct bench bn = { .count = count, .offset = offset, .step = step, .bufsize = bufsize,
                        .write = write, .flush_interval = flush };
    char err[BLK_ERR_LEN];
    if (blk_open(&bn.b, argv[optind], &o, err) < 0) {
        fprintf(stderr, "block-bench: %s\n", err);
        return 1;
    }
    bn.image_size = blk_size(bn.b);
    if (depth > count)
        depth = count;
    pthread_mutex_init(&bn.lock, NULL);
    pthread_cond_init(&bn.done_cond, NULL);
    bn.reqs = calloc(depth, sizeof *bn.reqs);
    bn.iovs = calloc(depth, sizeof *bn.iovs);
    uint8_t *bufs;                       /* one region, like qemu-img bench */
    if (posix_memalign((void **)&bufs, 4096, depth * bufsize))
        return 1;
    memset(bufs, pattern, depth * bufsize);
    for (uint64_t i = 0; i < depth; i++) {
        bn.iovs[i] = (struct iovec){ bufs + i * bufsize, bufsize };
        bn.reqs[i] = (struct blk_request){ .iov = &bn.iovs[i], .iovcnt = 1,
                                           .done = on_done, .opaque = &bn };
    }
    if (!quiet)
        printf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, %" PRIu64
               " in parallel (starting at offset %" PRIu64 ", step size %" PRIu64 ")\n",
               count, write ? "write" : "read", bufsize, depth, offset, step);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pthread_mutex_lock(&bn.lock);
    for (uint64_t i = 0; i < depth && !bn.error; i++)
        submit_locked(&bn, &bn.reqs[i]);
    while (bn.completed < bn.count && !bn.error)
        pthread_cond_wait(&bn.done_cond, &bn.lock);
    pthread_mutex_unlock(&bn.lock);
    blk_drain(bn.b);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    if (bn.error) {
        fprintf(stderr, "block-bench: request failed: %s (%s)\n", strerror(-bn.error),
                blk_last_error(bn.b));
        return 1;
    }
    if (!quiet)
        printf("Run completed in %3.3f seconds.\n", secs);
    int r = blk_close(bn.b);
    return r < 0;
}
