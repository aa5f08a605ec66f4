/* Unit test: raw images through the block layer — sync and async I/O,
 * range checks, read-only mode, image locking, probing guard. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "block/block.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
                                  __FILE__, __LINE__, #c); exit(1); } } while (0)

struct waiter { pthread_mutex_t m; pthread_cond_t c; int left; int errors; };

static void done(struct blk_request *req, int ret)
{
    struct waiter *w = req->opaque;
    pthread_mutex_lock(&w->m);
    if (ret != 0)
        w->errors++;
    if (--w->left == 0)
        pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
}

int main(void)
{
    char dir[] = "/tmp/vessel-block-raw-XXXXXX";
    CHECK(mkdtemp(dir));
    char path[256], err[BLK_ERR_LEN];
    snprintf(path, sizeof path, "%s/disk.raw", dir);

    struct blk_create_opts co = { .format = "raw", .size = 1000 };
    CHECK(blk_create(path, &co, err) == 0);

    struct blk *b;
    CHECK(blk_open(&b, path, &(struct blk_open_opts){ .format = "raw" }, err) == 0);
    CHECK(blk_size(b) == 1024);                       /* rounded to 512 like QEMU */

    /* A second writer, or a reader, must be refused while we hold it. */
    struct blk *b2;
    CHECK(blk_open(&b2, path, NULL, err) == -EBUSY);
    CHECK(strstr(err, "lock") != NULL);
    CHECK(blk_open(&b2, path, &(struct blk_open_opts){ .read_only = true }, err) == -EBUSY);
    CHECK(blk_open(&b2, path, &(struct blk_open_opts){ .read_only = true,
                                                       .force_share = true }, err) == 0);
    blk_close(b2);

    char buf[1024], back[1024];
    for (int i = 0; i < 1024; i++)
        buf[i] = (char)(i * 7);
    CHECK(blk_pwrite(b, 0, buf, 1024) == 0);
    CHECK(blk_pread(b, 0, back, 1024) == 0);
    CHECK(!memcmp(buf, back, 1024));
    CHECK(blk_pwrite(b, 1000, buf, 25) == -ERANGE);     /* past the end */
    CHECK(blk_pread(b, 1024, back, 1) == -ERANGE);
    CHECK(blk_pwrite(b, UINT64_MAX - 3, buf, 8) == -ERANGE);
    CHECK(blk_pread(b, 1024, back, 0) == 0);            /* empty at the end is fine */
    CHECK(blk_write_zeroes(b, 512, 512, 0) == 0);
    CHECK(blk_pread(b, 0, back, 1024) == 0);
    CHECK(!memcmp(back, buf, 512));
    for (int i = 512; i < 1024; i++)
        CHECK(back[i] == 0);

    /* Asynchronous: 64 writes of 16 bytes in flight, then read them back. */
    CHECK(blk_resize(b, 1 << 20) == 0);
    CHECK(blk_size(b) == 1 << 20);
    struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 64, 0 };
    static struct blk_request reqs[64];
    static struct iovec iovs[64];
    static char data[64][16];
    for (int i = 0; i < 64; i++) {
        memset(data[i], 'A' + (i % 26), 16);
        iovs[i] = (struct iovec){ data[i], 16 };
        reqs[i] = (struct blk_request){ .op = BLK_OP_WRITE, .offset = (uint64_t)i * 4096,
                                        .iov = &iovs[i], .iovcnt = 1, .done = done, .opaque = &w };
        CHECK(blk_submit(b, &reqs[i]) == 0);
    }
    pthread_mutex_lock(&w.m);
    while (w.left)
        pthread_cond_wait(&w.c, &w.m);
    pthread_mutex_unlock(&w.m);
    CHECK(w.errors == 0);
    struct blk_request bad = { .op = BLK_OP_READ, .offset = 1 << 20, .iov = &iovs[0],
                               .iovcnt = 1, .done = done, .opaque = &w };
    CHECK(blk_submit(b, &bad) == -ERANGE);
    struct blk_request fl = { .op = BLK_OP_FLUSH, .done = done, .opaque = &w };
    w.left = 1;
    CHECK(blk_submit(b, &fl) == 0);
    blk_drain(b);
    CHECK(w.left == 0 && w.errors == 0);
    for (int i = 0; i < 64; i++) {
        char c[16];
        CHECK(blk_pread(b, (uint64_t)i * 4096, c, 16) == 0);
        CHECK(!memcmp(c, data[i], 16));
    }

    /* Probed raw: writing a qcow2 magic into sector 0 is refused. */
    CHECK(blk_close(b) == 0);
    CHECK(blk_open(&b, path, NULL, err) == 0);
    CHECK(blk_pwrite(b, 0, "QFI\xfb\0\0\0\3", 8) == -EPERM);
    CHECK(blk_pwrite(b, 4096, "QFI\xfb\0\0\0\3", 8) == 0);
    CHECK(blk_close(b) == 0);

    /* Read-only open refuses writes. */
    CHECK(blk_open(&b, path, &(struct blk_open_opts){ .read_only = true }, err) == 0);
    CHECK(blk_pwrite(b, 0, buf, 16) == -EROFS);
    CHECK(blk_discard(b, 0, 512) == -EROFS);
    blk_close(b);

    /* cache=none (O_DIRECT): unaligned requests go through bounce buffers. */
    int r = blk_open(&b, path, &(struct blk_open_opts){ .format = "raw",
                                                       .cache = BLK_CACHE_NONE }, err);
    if (r == 0) {
        char odd[5000], back2[5000];
        for (int i = 0; i < 5000; i++)
            odd[i] = (char)(i * 13 + 1);
        CHECK(blk_pwrite(b, 777, odd, 5000) == 0);
        CHECK(blk_pread(b, 777, back2, 5000) == 0);
        CHECK(!memcmp(odd, back2, 5000));
        CHECK(blk_pread(b, 700, back2, 77) == 0);      /* bytes before are intact */
        CHECK(blk_flush(b) == 0);
        blk_close(b);
    } else {
        CHECK(r == -EINVAL);                             /* file system without O_DIRECT */
    }

    CHECK(blk_open(&b, "/nonexistent/x.img", NULL, err) == -ENOENT);
    CHECK(strstr(err, "/nonexistent/x.img") != NULL);

    unlink(path);
    rmdir(dir);
    printf("block_raw: ok\n");
    return 0;
}
