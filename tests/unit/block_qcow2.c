/* Unit test: qcow2 through the block layer against an in-memory model.
 * Random writes, discards, zeroes, compressed writes and flushes on every
 * cluster size and refcount width, over a backing file; after each run the
 * image must read back like the model and pass our own check with no
 * corruption and no leak.  Also: reopen, resize, snapshots of state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "block/block.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", \
                                  __FILE__, __LINE__, #c); exit(1); } } while (0)
#define CHECK0(e) do { int r_ = (e); if (r_ != 0) { fprintf(stderr, "%s:%d: %s = %d (%s)\n", \
                  __FILE__, __LINE__, #e, r_, strerror(-r_)); exit(1); } } while (0)

static uint64_t rng = 88172645463325252ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static char dir[] = "/tmp/vessel-block-qcow2-XXXXXX";

static void verify(struct blk *b, const uint8_t *model, uint64_t size)
{
    uint8_t *buf = malloc(size);
    CHECK(buf);
    CHECK0(blk_pread(b, 0, buf, size));
    for (uint64_t i = 0; i < size; i++)
        if (buf[i] != model[i]) {
            fprintf(stderr, "mismatch at %llu: %02x != %02x\n", (unsigned long long)i,
                    buf[i], model[i]);
            exit(1);
        }
    free(buf);
}

static void check_clean(struct blk *b)
{
    struct blk_check_result r;
    CHECK0(blk_check(b, 0, &r, NULL, NULL));
    if (r.corruptions || r.leaks) {
        fprintf(stderr, "check: %llu corruptions, %llu leaks\n",
                (unsigned long long)r.corruptions, (unsigned long long)r.leaks);
        exit(1);
    }
}

static void run(uint32_t cs, int refbits, int compat, bool with_backing)
{
    char base[256], top[256], err[BLK_ERR_LEN];
    const uint64_t size = 3u << 20;
    snprintf(base, sizeof base, "%s/base.raw", dir);
    snprintf(top, sizeof top, "%s/top.qcow2", dir);
    uint8_t *model = calloc(1, size), *buf = malloc(256 << 10);
    CHECK(model && buf);

    if (with_backing) {
        struct blk_create_opts bo = { .format = "raw", .size = size - 65536 };
        CHECK0(blk_create(base, &bo, err));
        struct blk *bb;
        CHECK0(blk_open(&bb, base, &(struct blk_open_opts){ .format = "raw" }, err));
        for (uint64_t i = 0; i < size - 65536; i++)
            model[i] = (uint8_t)(i * 31 + 7);
        CHECK0(blk_pwrite(bb, 0, model, size - 65536));
        CHECK0(blk_close(bb));
    }
    struct blk_create_opts co = { .format = "qcow2", .size = size, .cluster_size = cs,
                                  .refcount_bits = refbits, .compat = compat,
                                  .backing_file = with_backing ? "base.raw" : NULL,
                                  .backing_format = with_backing ? "raw" : NULL };
    CHECK0(blk_create(top, &co, err));
    struct blk *b;
    /* Only the default cluster size pays for real fdatasyncs. */
    struct blk_open_opts oo = { .cache = cs == 65536 ? BLK_CACHE_WRITEBACK : BLK_CACHE_UNSAFE };
    if (blk_open(&b, top, &oo, err) < 0) {
        fprintf(stderr, "open: %s\n", err);
        exit(1);
    }
    CHECK(blk_size(b) == size);
    verify(b, model, size);

    for (int op = 0; op < 300; op++) {
        uint64_t off = next() % size, len = 1 + next() % (200 << 10);
        if (next() % 4 == 0)
            off &= ~(uint64_t)(cs - 1);
        if (off + len > size)
            len = size - off;
        switch (next() % 10) {
        case 0: case 1: case 2: case 3: case 4: {
            uint8_t v = (uint8_t)next();
            memset(buf, v, len);
            for (uint64_t i = 0; i < len; i += 97)
                buf[i] = (uint8_t)(i ^ v);
            CHECK0(blk_pwrite(b, off, buf, len));
            memcpy(model + off, buf, len);
            break;
        }
        case 5:
            CHECK0(blk_write_zeroes(b, off, len, next() & 1 ? BLK_ZERO_MAY_UNMAP : 0));
            memset(model + off, 0, len);
            break;
        case 6:
            /* Discard leaves content unspecified: re-read into the model. */
            CHECK0(blk_discard(b, off, len));
            CHECK0(blk_pread(b, off, model + off, len));
            break;
        case 7: {
            uint64_t c = (next() % (size / cs)) * cs;
            uint64_t n = size - c < cs ? size - c : cs;
            uint8_t *p = malloc(cs);
            CHECK(p);
            memset(p, (int)(next() & 3), n);
            memcpy(p, "compress me", 11);
            CHECK0(blk_write_compressed(b, c, p, n));
            memcpy(model + c, p, n);
            free(p);
            break;
        }
        case 8:
            CHECK0(blk_flush(b));
            break;
        case 9: {
            CHECK0(blk_pread(b, off, buf, len));
            CHECK(!memcmp(buf, model + off, len));
            break;
        }
        }
    }
    verify(b, model, size);
    CHECK0(blk_flush(b));
    check_clean(b);
    CHECK0(blk_close(b));

    /* Reopen: everything must have been written out. */
    CHECK0(blk_open(&b, top, &oo, err));
    verify(b, model, size);
    check_clean(b);
    /* Grow, then shrink back. */
    CHECK0(blk_resize(b, size * 4));
    CHECK(blk_size(b) == size * 4);
    CHECK0(blk_pread(b, size, buf, 65536));
    for (int i = 0; i < 65536; i++)
        CHECK(buf[i] == 0);
    CHECK0(blk_pwrite(b, size * 4 - 4096, "end", 3));
    CHECK0(blk_resize(b, size));
    verify(b, model, size);
    CHECK0(blk_flush(b));
    check_clean(b);
    CHECK0(blk_close(b));
    unlink(top);
    unlink(base);
    free(model);
    free(buf);
}

static void hostile(void)
{
    char path[256], err[BLK_ERR_LEN];
    snprintf(path, sizeof path, "%s/bad.qcow2", dir);
    struct blk_create_opts co = { .format = "qcow2", .size = 1 << 20 };
    uint8_t h[8];
    struct blk *b;
    FILE *f;

    /* Each corruption of a fresh image must be refused at open. */
    struct { unsigned off; uint64_t val; int width; const char *what; } cases[] = {
        { 20, 30, 4, "cluster" },                 /* cluster_bits 30 */
        { 24, 1ull << 62, 8, "size" },            /* absurd virtual size */
        { 36, 0, 4, "L1" },                        /* L1 too small for size */
        { 40, 0x10000000000ull, 8, "L1" },        /* L1 past the end */
        { 40, 0x10000, 8, "overlap" },            /* L1 on the refcount table */
        { 48, 0x30001, 8, "refcount" },           /* unaligned refcount table */
        { 56, 0x7fffffff, 4, "refcount" },        /* huge refcount table */
        { 72, 1ull << 40, 8, "feature" },         /* unknown incompatible bit */
        { 96, 7, 4, "refcount order" },           /* refcount_order 7 */
        { 60, 1000000, 4, "snapshots" },          /* absurd snapshot count */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        CHECK0(blk_create(path, &co, err));
        f = fopen(path, "r+b");
        CHECK(f);
        for (int k = 0; k < cases[i].width; k++)
            h[k] = (uint8_t)(cases[i].val >> (8 * (cases[i].width - 1 - k)));
        fseek(f, cases[i].off, SEEK_SET);
        fwrite(h, 1, (size_t)cases[i].width, f);
        fclose(f);
        err[0] = 0;
        int r = blk_open(&b, path, NULL, err);
        if (r == 0) {
            fprintf(stderr, "hostile case %zu (%s) was accepted\n", i, cases[i].what);
            exit(1);
        }
        CHECK(err[0] != 0);
        if (getenv("VERBOSE"))
            fprintf(stderr, "case %zu: %s\n", i, err);
    }
    /* Truncated file */
    CHECK0(blk_create(path, &co, err));
    CHECK(truncate(path, 100) == 0);
    CHECK(blk_open(&b, path, NULL, err) < 0);
    CHECK(truncate(path, 40) == 0);
    CHECK(blk_open(&b, path, &(struct blk_open_opts){ .format = "qcow2" }, err) < 0);

    /* An L2 entry pointing into the header: reads fail cleanly, check flags it. */
    CHECK0(blk_create(path, &co, err));
    CHECK0(blk_open(&b, path, NULL, err));
    CHECK0(blk_pwrite(b, 0, "data", 4));
    CHECK0(blk_close(b));
    f = fopen(path, "r+b");
    CHECK(f);
    /* L1 at 0x30000 -> L2 at 0x40000; make L1[0] point at the refcount table. */
    uint8_t l1e[8] = { 0x80, 0, 0, 0, 0, 0x01, 0, 0 };
    fseek(f, 0x30000, SEEK_SET);
    fwrite(l1e, 1, 8, f);
    fclose(f);
    CHECK0(blk_open(&b, path, &(struct blk_open_opts){ .read_only = true }, err));
    uint8_t buf[16];
    CHECK(blk_pread(b, 0, buf, 16) == -EIO);
    CHECK(strstr(blk_last_error(b), "corrupt") != NULL);
    struct blk_check_result cr;
    CHECK0(blk_check(b, 0, &cr, NULL, NULL));
    CHECK(cr.corruptions > 0);
    blk_close(b);
    unlink(path);
}

static void backing_loop(void)
{
    char a[256], bpath[256], err[BLK_ERR_LEN];
    snprintf(a, sizeof a, "%s/a.qcow2", dir);
    snprintf(bpath, sizeof bpath, "%s/b.qcow2", dir);
    struct blk_create_opts co = { .format = "qcow2", .size = 1 << 20 };
    CHECK0(blk_create(a, &co, err));
    co.backing_file = "a.qcow2";
    co.backing_format = "qcow2";
    CHECK0(blk_create(bpath, &co, err));
    /* Point a at b: a -> b -> a */
    struct blk *b;
    CHECK0(blk_open(&b, a, NULL, err));
    CHECK0(blk_set_backing(b, "b.qcow2", "qcow2", err));
    CHECK0(blk_close(b));
    CHECK(blk_open(&b, a, NULL, err) == -ELOOP);
    CHECK(strstr(err, "loop") != NULL);
    unlink(a);
    unlink(bpath);
}

int main(void)
{
    CHECK(mkdtemp(dir));
    static const uint32_t sizes[] = { 512, 4096, 65536, 2u << 20 };
    for (size_t i = 0; i < 4; i++)
        run(sizes[i], 16, 3, i % 2 == 0);
    run(4096, 1, 3, true);
    run(4096, 64, 3, false);
    run(512, 64, 3, true);
    run(65536, 16, 2, true);
    run(65536, 16, 2, false);
    hostile();
    backing_loop();
    rmdir(dir);
    printf("block_qcow2: ok\n");
    return 0;
}
