/*
 * block-io — drive the block layer from scripts, like qemu-io:
 *
 *   block-io [-f FMT] [-b] FILE 'CMD' ['CMD'...]
 *     write [-P PAT] [-z] [-c] OFF LEN   write a byte pattern (default 0xcd),
 *                                        zeroes (-z) or a compressed cluster (-c)
 *     read [-P PAT] OFF LEN              read; with -P verify the pattern
 *     discard OFF LEN
 *     flush
 *     aio-write [-P PAT] OFF LEN COUNT   COUNT async writes of LEN bytes from OFF
 *     sleep MS                           keep the image open a while
 *   -b: open without the backing file.  Sizes take k/M/G suffixes.
 * Exit status 0 when every command succeeded (and verified).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "block/block.h"

static int parse(const char *s, uint64_t *v)
{
    if (blk_parse_size(s, v) < 0) {
        fprintf(stderr, "block-io: bad number '%s'\n", s);
        return -1;
    }
    return 0;
}

struct aio_wait { pthread_mutex_t m; pthread_cond_t c; int left, err; };

static void aio_done(struct blk_request *req, int ret)
{
    struct aio_wait *w = req->opaque;
    pthread_mutex_lock(&w->m);
    if (ret < 0)
        w->err = ret;
    if (--w->left == 0)
        pthread_cond_signal(&w->c);
    pthread_mutex_unlock(&w->m);
}

static int run_cmd(struct blk *b, char *line)
{
    char *argv[16];
    int argc = 0;
    for (char *t = strtok(line, " "); t && argc < 15; t = strtok(NULL, " "))
        argv[argc++] = t;
    argv[argc] = NULL;
    if (!argc)
        return 0;
    const char *cmd = argv[0];
    int pat = 0xcd;
    bool zero = false, comp = false, have_pat = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "-P") && i + 1 < argc) {
            pat = (int)strtol(argv[++i], NULL, 0);
            have_pat = true;
        } else if (!strcmp(argv[i], "-z")) {
            zero = true;
        } else if (!strcmp(argv[i], "-c")) {
            comp = true;
        } else {
            fprintf(stderr, "block-io: unknown flag %s\n", argv[i]);
            return -1;
        }
    }
    uint64_t off = 0, len = 0, count = 0;
    if (!strcmp(cmd, "sleep") && i < argc) {
        usleep((useconds_t)strtoul(argv[i], NULL, 10) * 1000);
        return 0;
    }
    if (!strcmp(cmd, "flush")) {
        int r = blk_flush(b);
        if (r < 0)
            fprintf(stderr, "flush: %s\n", strerror(-r));
        return r;
    }
    if (argc - i < 2 || parse(argv[i], &off) < 0 || parse(argv[i + 1], &len) < 0) {
        fprintf(stderr, "block-io: %s needs OFF LEN\n", cmd);
        return -1;
    }
    if (!strcmp(cmd, "aio-write") && (argc - i < 3 || parse(argv[i + 2], &count) < 0))
        return -1;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -ENOMEM;
    int r;
    if (!strcmp(cmd, "write")) {
        memset(buf, pat, len);
        if (zero)
            r = blk_write_zeroes(b, off, len, 0);
        else if (comp)
            r = blk_write_compressed(b, off, buf, len);
        else
            r = blk_pwrite(b, off, buf, len);
    } else if (!strcmp(cmd, "read")) {
        r = blk_pread(b, off, buf, len);
        for (uint64_t k = 0; r == 0 && have_pat && k < len; k++)
            if (buf[k] != pat) {
                fprintf(stderr, "Pattern verification failed at offset %llu "
                        "(0x%02x, expected 0x%02x)\n", (unsigned long long)(off + k),
                        buf[k], pat);
                r = -EILSEQ;
            }
    } else if (!strcmp(cmd, "discard")) {
        r = blk_discard(b, off, len);
    } else if (!strcmp(cmd, "aio-write")) {
        memset(buf, pat, len);
        struct aio_wait w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                              (int)count, 0 };
        struct blk_request *reqs = calloc(count, sizeof *reqs);
        struct iovec iov = { buf, len };
        r = reqs ? 0 : -ENOMEM;
        uint64_t submitted = 0;
        for (uint64_t k = 0; r == 0 && k < count; k++) {
            reqs[k] = (struct blk_request){ .op = BLK_OP_WRITE, .offset = off + k * len,
                                            .iov = &iov, .iovcnt = 1, .done = aio_done,
                                            .opaque = &w };
            r = blk_submit(b, &reqs[k]);
            if (r == 0)
                submitted++;
        }
        pthread_mutex_lock(&w.m);
        w.left -= (int)(count - submitted);
        while (w.left > 0)
            pthread_cond_wait(&w.c, &w.m);
        pthread_mutex_unlock(&w.m);
        if (r == 0)
            r = w.err;
        free(reqs);
    } else {
        fprintf(stderr, "block-io: unknown command '%s'\n", cmd);
        r = -EINVAL;
    }
    if (r < 0 && r != -EILSEQ)
        fprintf(stderr, "%s failed: %s%s%s\n", cmd, strerror(-r),
                *blk_last_error(b) ? ": " : "", blk_last_error(b));
    free(buf);
    return r;
}

int main(int argc, char **argv)
{
    struct blk_open_opts o = { 0 };
    int c;
    while ((c = getopt(argc, argv, "+f:bU")) != -1) {
        switch (c) {
        case 'f': o.format = optarg; break;
        case 'b': o.no_backing = true; break;
        case 'U': o.force_share = true; break;
        default: return 2;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "usage: block-io [-f FMT] [-b] FILE 'CMD'...\n");
        return 2;
    }
    struct blk *b;
    char err[BLK_ERR_LEN];
    if (blk_open(&b, argv[optind], &o, err) < 0) {
        fprintf(stderr, "block-io: %s\n", err);
        return 1;
    }
    int r = 0;
    for (int i = optind + 1; i < argc && r == 0; i++) {
        char *line = strdup(argv[i]);
        r = line ? run_cmd(b, line) : -ENOMEM;
        free(line);
    }
    int rc = blk_close(b);
    return r == 0 && rc == 0 ? 0 : 1;
}
