/* Unit test: many threads on one qcow2 image at once, as a virtio-blk I/O
 * thread and vCPUs would use it.  Each thread owns every Nth 4 KiB block
 * and does random writes, reads (verified), discards, zero writes and
 * flushes, synchronously and through blk_submit(); afterwards the image
 * must hold exactly what each thread last wrote and check clean. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "block/block.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
                                  __FILE__, __LINE__, #c); exit(1); } } while (0)

#define THREADS 6
#define BLOCK 4096u
#define SIZE (16u << 20)
#define NBLOCKS (SIZE / BLOCK)

static struct blk *img;
static uint8_t model[SIZE];            /* each block written by one thread only */

struct waiter { pthread_mutex_t m; pthread_cond_t c; int done; int ret; };

static void on_done(struct blk_request *req, int ret)
{
    struct waiter *w = req->opaque;
    pthread_mutex_lock(&w->m);
    w->done = 1;
    w->ret = ret;
    pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
}

static int async_io(enum blk_op op, uint64_t off, void *buf, size_t len)
{
    struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0 };
    struct iovec iov[2] = { { buf, len / 2 }, { (uint8_t *)buf + len / 2, len - len / 2 } };
    struct blk_request r = { .op = op, .offset = off, .iov = iov, .iovcnt = 2, .len = len,
                             .done = on_done, .opaque = &w };
    int e = blk_submit(img, &r);
    if (e < 0)
        return e;
    pthread_mutex_lock(&w.m);
    while (!w.done)
        pthread_cond_wait(&w.c, &w.m);
    pthread_mutex_unlock(&w.m);
    return w.ret;
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    uint64_t rng = 0x9e3779b97f4a7c15ull * (id + 1);
    uint8_t buf[BLOCK], back[BLOCK];
    for (int i = 0; i < 1500; i++) {
        rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
        uint64_t blk = (rng >> 8) % (NBLOCKS / THREADS) * THREADS + id;
        uint64_t off = blk * BLOCK;
        switch (rng % 9) {
        case 0: case 1: case 2:
            memset(buf, (int)(rng >> 32) | 1, BLOCK);
            CHECK(blk_pwrite(img, off, buf, BLOCK) == 0);
            memcpy(model + off, buf, BLOCK);
            break;
        case 3: case 4:
            memset(buf, (int)(rng >> 40) | 1, BLOCK);
            CHECK(async_io(BLK_OP_WRITE, off, buf, BLOCK) == 0);
            memcpy(model + off, buf, BLOCK);
            break;
        case 5:
            CHECK(async_io(BLK_OP_READ, off, back, BLOCK) == 0);
            CHECK(!memcmp(back, model + off, BLOCK));
            break;
        case 6:
            CHECK(blk_pread(img, off, back, BLOCK) == 0);
            CHECK(!memcmp(back, model + off, BLOCK));
            break;
        case 7:
            CHECK(async_io(BLK_OP_WRITE_ZEROES, off, NULL, BLOCK) == 0);
            memset(model + off, 0, BLOCK);
            break;
        case 8:
            CHECK(async_io(BLK_OP_FLUSH, 0, NULL, 0) == 0);
            break;
        }
    }
    return NULL;
}

/* Allocation race: every thread writes its own 4 KiB slice of the same
 * unallocated 64 KiB clusters at once (one slice per cluster, clusters in
 * a thread-specific order), so several writes allocate one cluster
 * together and each must see the others' data, not overwrite it with
 * copy-on-write zeroes. */
#define RACE_CLUSTERS 256
#define RACE_SIZE (RACE_CLUSTERS * 65536u)
#define RACE_THREADS 16

static void *race_worker(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;
    uint8_t buf[BLOCK];
    memset(buf, (int)(0x40 + t), sizeof buf);
    for (unsigned k = 0; k < RACE_CLUSTERS; k++) {
        unsigned c = (k * 7 + t * 3) % RACE_CLUSTERS;  /* 7 is coprime to 256 */
        CHECK(blk_pwrite(img, (uint64_t)c * 65536 + t * BLOCK, buf, BLOCK) == 0);
    }
    return NULL;
}

static void allocation_race(const char *dir)
{
    char path[256], err[BLK_ERR_LEN];
    snprintf(path, sizeof path, "%s/race.qcow2", dir);
    static uint8_t got[RACE_SIZE];
    for (int round = 0; round < 8; round++) {
        struct blk_create_opts co = { .format = "qcow2", .size = RACE_SIZE };
        CHECK(blk_create(path, &co, err) == 0);
        CHECK(blk_open(&img, path, &(struct blk_open_opts){ .cache = BLK_CACHE_UNSAFE },
                       err) == 0);
        pthread_t th[RACE_THREADS];
        for (unsigned i = 0; i < RACE_THREADS; i++)
            CHECK(pthread_create(&th[i], NULL, race_worker, (void *)(uintptr_t)i) == 0);
        for (unsigned i = 0; i < RACE_THREADS; i++)
            pthread_join(th[i], NULL);
        CHECK(blk_flush(img) == 0);
        CHECK(blk_pread(img, 0, got, RACE_SIZE) == 0);
        for (uint64_t i = 0; i < RACE_SIZE; i++)
            if (got[i] != 0x40 + (i % 65536) / BLOCK) {
                fprintf(stderr, "allocation race: byte 0x%llx is 0x%02x\n",
                        (unsigned long long)i, got[i]);
                exit(1);
            }
        struct blk_check_result r;
        CHECK(blk_check(img, 0, &r, NULL, NULL) == 0);
        CHECK(r.corruptions == 0 && r.leaks == 0);
        CHECK(blk_close(img) == 0);
        unlink(path);
    }
}

int main(void)
{
    char dir[] = "/tmp/vessel-block-conc-XXXXXX", path[256], base[256], err[BLK_ERR_LEN];
    CHECK(mkdtemp(dir));
    snprintf(base, sizeof base, "%s/base.qcow2", dir);
    snprintf(path, sizeof path, "%s/top.qcow2", dir);
    /* 4 KiB guest blocks in 16 KiB clusters: threads share clusters, so
     * allocation and copy-on-write from the backing file race for real. */
    struct blk_create_opts bo = { .format = "qcow2", .size = SIZE };
    CHECK(blk_create(base, &bo, err) == 0);
    CHECK(blk_open(&img, base, NULL, err) == 0);
    for (uint64_t i = 0; i < SIZE; i++)
        model[i] = (uint8_t)(i / 512 * 7 + 3);
    CHECK(blk_pwrite(img, 0, model, SIZE) == 0);
    CHECK(blk_close(img) == 0);
    struct blk_create_opts co = { .format = "qcow2", .size = SIZE, .cluster_size = 16384,
                                  .backing_file = "base.qcow2", .backing_format = "qcow2" };
    CHECK(blk_create(path, &co, err) == 0);
    CHECK(blk_open(&img, path, &(struct blk_open_opts){ .cache = BLK_CACHE_UNSAFE }, err) == 0);

    pthread_t th[THREADS];
    for (unsigned i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i) == 0);
    for (unsigned i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    blk_drain(img);
    CHECK(blk_flush(img) == 0);

    uint8_t *all = malloc(SIZE);
    CHECK(all && blk_pread(img, 0, all, SIZE) == 0);
    CHECK(!memcmp(all, model, SIZE));
    struct blk_check_result r;
    CHECK(blk_check(img, 0, &r, NULL, NULL) == 0);
    CHECK(r.corruptions == 0 && r.leaks == 0);
    CHECK(blk_close(img) == 0);
    free(all);
    unlink(path);
    unlink(base);
    allocation_race(dir);
    rmdir(dir);
    printf("block_concurrency: ok\n");
    return 0;
}
