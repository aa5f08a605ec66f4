/*
 * block-crash — kill -9 a qcow2 writer at random moments and check that
 * nothing is lost or corrupted.
 *
 *   block-crash DIR ITERATIONS SEED
 *
 * For each of three images (4 KiB clusters over a raw backing file, 64 KiB
 * clusters, 512-byte clusters with 64-bit refcounts) a child process opens the image and runs random
 * rounds of writes, zero writes, discards and compressed writes, each
 * followed by a flush.  Every operation is logged before it starts and
 * every completed flush after it returns (the log is an append-only file,
 * which survives the kill).  The parent kills the child with SIGKILL after
 * a random delay, then:
 *   - runs `qemu-img check`: exit status 0 (clean) or 3 (leaks only);
 *   - reads the image back: every byte written by an operation that a
 *     completed flush covers, and not touched by any later operation,
 *     must hold what was written.
 * ITERATIONS kills in total, split between the images.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "block/block.h"

#define IMG_SIZE (8u << 20)

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

struct op { char kind; uint64_t id, off, len; int pat; };

static void log_line(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void log_line(int fd, const char *fmt, ...)
{
    char line[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (write(fd, line, (size_t)n) != n)
        _exit(3);
}

/* The child: rounds of operations and flushes until killed. */
static void writer(const char *img, const char *logpath, uint64_t seed, uint32_t cs)
{
    rng = seed | 1;
    int lfd = open(logpath, O_WRONLY | O_APPEND | O_CREAT, 0644);
    struct blk *b;
    char err[BLK_ERR_LEN];
    if (lfd < 0 || blk_open(&b, img, NULL, err) < 0) {
        fprintf(stderr, "writer: %s\n", err);
        _exit(2);
    }
    uint8_t *buf = malloc(256 << 10);
    uint64_t id = seed << 20;
    log_line(lfd, "S %llu 0 0 0\n", (unsigned long long)id);
    for (;;) {
        int nops = 1 + (int)(rnd() % 6);
        for (int i = 0; i < nops; i++) {
            uint64_t off = rnd() % IMG_SIZE, len = 512 + rnd() % (128 << 10);
            if (rnd() & 1)
                off &= ~(uint64_t)4095;
            if (off + len > IMG_SIZE)
                len = IMG_SIZE - off;
            int pat = 1 + (int)(rnd() % 255);
            int r = 0;
            switch (rnd() % 8) {
            case 0:
                log_line(lfd, "Z %llu %llu %llu 0\n", (unsigned long long)++id,
                         (unsigned long long)off, (unsigned long long)len);
                r = blk_write_zeroes(b, off, len, rnd() & 1 ? BLK_ZERO_MAY_UNMAP : 0);
                break;
            case 1:
                log_line(lfd, "D %llu %llu %llu 0\n", (unsigned long long)++id,
                         (unsigned long long)off, (unsigned long long)len);
                r = blk_discard(b, off, len);
                break;
            case 2:
                off = (rnd() % (IMG_SIZE / cs)) * cs;
                len = cs;
                memset(buf, pat, len);
                memset(buf, pat ^ 0x55, len / 3);
                log_line(lfd, "C %llu %llu %llu %d\n", (unsigned long long)++id,
                         (unsigned long long)off, (unsigned long long)len, pat);
                r = blk_write_compressed(b, off, buf, len);
                break;
            default:
                memset(buf, pat, len);
                log_line(lfd, "W %llu %llu %llu %d\n", (unsigned long long)++id,
                         (unsigned long long)off, (unsigned long long)len, pat);
                r = blk_pwrite(b, off, buf, len);
                break;
            }
            if (r < 0) {
                fprintf(stderr, "writer: op failed: %s (%s)\n", strerror(-r),
                        blk_last_error(b));
                _exit(2);
            }
        }
        int r = blk_flush(b);
        if (r < 0) {
            fprintf(stderr, "writer: flush failed: %s\n", strerror(-r));
            _exit(2);
        }
        log_line(lfd, "F %llu 0 0 0\n", (unsigned long long)++id);
    }
}

/* Expected content: known[] marks bytes whose value is certain. */
static int verify(const char *img, const char *logpath, uint8_t *expect, uint8_t *known,
                  uint32_t cs)
{
    FILE *f = fopen(logpath, "r");
    if (!f)
        return 0;                       /* nothing logged yet */
    size_t cap = 1024, n = 0;
    struct op *ops = malloc(cap * sizeof *ops);
    char kind;
    unsigned long long id, off, len;
    int pat;
    while (fscanf(f, " %c %llu %llu %llu %d", &kind, &id, &off, &len, &pat) == 5) {
        if (n == cap)
            ops = realloc(ops, (cap *= 2) * sizeof *ops);
        ops[n++] = (struct op){ kind, id, off, len, pat };
    }
    fclose(f);
    /* An operation is durable if a flush of the same session (writer
     * process) follows it in the log. */
    bool *durable = calloc(n + 1, sizeof *durable);
    bool flushed = false;
    for (size_t i = n; i-- > 0;) {
        if (ops[i].kind == 'F')
            flushed = true;
        else if (ops[i].kind == 'S')
            flushed = false;
        else
            durable[i] = flushed;
    }
    for (size_t i = 0; i < n; i++) {
        struct op *o = &ops[i];
        if (o->kind == 'F' || o->kind == 'S')
            continue;
        uint8_t *e = expect + o->off, *k = known + o->off;
        if (!durable[i] || o->kind == 'D') {
            memset(k, 0, o->len);
        } else if (o->kind == 'W') {
            memset(e, o->pat, o->len);
            memset(k, 1, o->len);
        } else if (o->kind == 'Z') {
            memset(e, 0, o->len);
            memset(k, 1, o->len);
        } else if (o->kind == 'C') {
            memset(e, o->pat, o->len);
            memset(e, o->pat ^ 0x55, o->len / 3);
            memset(k, 1, o->len);
        }
    }
    (void)cs;
    free(durable);
    free(ops);
    /* The verified state becomes the base of the next round: keep the log
     * but it is re-read in full each time, so nothing else to do. */
    struct blk *b;
    char err[BLK_ERR_LEN];
    if (blk_open(&b, img, &(struct blk_open_opts){ .read_only = true }, err) < 0) {
        fprintf(stderr, "verify: cannot open %s: %s\n", img, err);
        return -1;
    }
    uint8_t *data = malloc(IMG_SIZE);
    int r = blk_pread(b, 0, data, IMG_SIZE);
    blk_close(b);
    if (r < 0) {
        fprintf(stderr, "verify: read failed: %s\n", strerror(-r));
        free(data);
        return -1;
    }
    for (uint64_t i = 0; i < IMG_SIZE; i++)
        if (known[i] && data[i] != expect[i]) {
            fprintf(stderr, "verify: %s byte %llu is 0x%02x, flushed data says 0x%02x\n",
                    img, (unsigned long long)i, data[i], expect[i]);
            free(data);
            return -1;
        }
    free(data);
    return 0;
}

static int qemu_check(const char *img)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "qemu-img check -q '%s' >/dev/null 2>&1", img);
    int st = system(cmd);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    int code = WEXITSTATUS(st);
    if (code == 127)
        return 0;                       /* no qemu-img: our own check below */
    if (code != 0 && code != 3) {
        snprintf(cmd, sizeof cmd, "qemu-img check '%s' 1>&2", img);
        if (system(cmd)) {}
        return -1;
    }
    return 0;
}

static int own_check(const char *img)
{
    struct blk *b;
    char err[BLK_ERR_LEN];
    if (blk_open(&b, img, &(struct blk_open_opts){ .read_only = true }, err) < 0) {
        fprintf(stderr, "own check: %s\n", err);
        return -1;
    }
    struct blk_check_result r;
    int ret = blk_check(b, 0, &r, NULL, NULL);
    blk_close(b);
    if (ret < 0 || r.corruptions) {
        fprintf(stderr, "own check: %llu corruptions\n", (unsigned long long)r.corruptions);
        return -1;
    }
    return 0;
}

static int phase(const char *dir, const char *name, uint32_t cs, int refbits, bool backing,
                 int iterations, uint64_t seed)
{
    char img[4096], base[4096], logp[4096], err[BLK_ERR_LEN];
    snprintf(img, sizeof img, "%s/%s.qcow2", dir, name);
    snprintf(base, sizeof base, "%s/%s-base.raw", dir, name);
    snprintf(logp, sizeof logp, "%s/%s.log", dir, name);
    unlink(logp);
    uint8_t *expect = calloc(1, IMG_SIZE), *known = malloc(IMG_SIZE);
    memset(known, 1, IMG_SIZE);
    if (backing) {
        struct blk_create_opts bo = { .format = "raw", .size = IMG_SIZE };
        struct blk *bb;
        if (blk_create(base, &bo, err) < 0 ||
            blk_open(&bb, base, &(struct blk_open_opts){ .format = "raw" }, err) < 0) {
            fprintf(stderr, "%s\n", err);
            return -1;
        }
        for (uint64_t i = 0; i < IMG_SIZE; i++)
            expect[i] = (uint8_t)(i / 512 + 1);
        blk_pwrite(bb, 0, expect, IMG_SIZE);
        blk_close(bb);
    }
    struct blk_create_opts co = { .format = "qcow2", .size = IMG_SIZE, .cluster_size = cs,
                                  .refcount_bits = refbits,
                                  .backing_file = backing ? strrchr(base, '/') + 1 : NULL,
                                  .backing_format = backing ? "raw" : NULL };
    if (blk_create(img, &co, err) < 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    uint8_t *e0 = malloc(IMG_SIZE), *k0 = malloc(IMG_SIZE);
    memcpy(e0, expect, IMG_SIZE);
    memcpy(k0, known, IMG_SIZE);
    for (int it = 0; it < iterations; it++) {
        uint64_t s = seed * 1000 + (uint64_t)it + 1;
        pid_t pid = fork();
        if (pid == 0)
            writer(img, logp, s, cs);
        rng = s * 7919 + 13;
        struct timespec ts = { 0, (long)(2 + rnd() % 60) * 1000000L };
        nanosleep(&ts, NULL);
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st)) {
            fprintf(stderr, "%s: writer exited early (%d)\n", name, WEXITSTATUS(st));
            return -1;
        }
        memcpy(expect, e0, IMG_SIZE);
        memcpy(known, k0, IMG_SIZE);
        if (qemu_check(img) < 0 || own_check(img) < 0) {
            fprintf(stderr, "%s: corrupt after kill %d\n", name, it + 1);
            return -1;
        }
        if (verify(img, logp, expect, known, cs) < 0) {
            fprintf(stderr, "%s: data lost after kill %d\n", name, it + 1);
            return -1;
        }
    }
    free(expect);
    free(known);
    free(e0);
    free(k0);
    if (getenv("BLOCK_CRASH_KEEP"))
        return 0;
    unlink(img);
    unlink(base);
    unlink(logp);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: block-crash DIR ITERATIONS SEED\n");
        return 2;
    }
    int iters = atoi(argv[2]);
    uint64_t seed = strtoull(argv[3], NULL, 0);
    /* 4 KiB clusters over a backing file (copy-on-write); 64 KiB clusters;
     * 512-byte clusters with 64-bit refcounts, whose refcount table keeps
     * growing (new tables and blocks under fire). */
    if (phase(argv[1], "cow4k", 4096, 16, true, iters / 3, seed) < 0 ||
        phase(argv[1], "plain64k", 65536, 16, false, iters / 3, seed + 1) < 0 ||
        phase(argv[1], "tiny512", 512, 64, false, iters - 2 * (iters / 3), seed + 2) < 0)
        return 1;
    printf("block-crash: %d kills, every image consistent, every flushed write present\n",
           iters);
    return 0;
}
