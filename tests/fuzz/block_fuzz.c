/*
 * block_fuzz.c — libFuzzer target for the image parsers: the input is an
 * image file (qcow2 header, tables, snapshots, extensions; or a split
 * descriptor).  It is opened read-only, walked, read and checked, then
 * opened for repair and repaired.  Nothing may crash, hang or touch memory
 * it shouldn't; refusing the image is fine.
 *
 *   build/fuzz/block-fuzz tests/fuzz/corpus        (make check runs this)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "block/block.h"

static void exercise(const char *path, bool repair)
{
    struct blk *b;
    char err[BLK_ERR_LEN];
    struct blk_open_opts o = { .read_only = !repair, .force_share = true,
                               .no_backing = true, .repair = repair,
                               .cache = BLK_CACHE_UNSAFE, .aio_threads = 1 };
    if (blk_open(&b, path, &o, err) < 0)
        return;
    struct blk_check_result r;
    if (repair) {
        blk_check(b, BLK_FIX_LEAKS | BLK_FIX_ERRORS, &r, NULL, NULL);
        blk_close(b);
        return;
    }
    uint64_t size = blk_size(b), off = 0;
    uint8_t buf[8192];
    /* Walk the first extents and read a little of each. */
    for (int i = 0; i < 64 && off < size; i++) {
        struct blk_extent e;
        if (blk_map(b, off, size - off, &e) < 0)
            break;
        uint64_t n = e.length < sizeof buf ? e.length : sizeof buf;
        blk_pread(b, off, buf, n);
        off += e.length;
    }
    if (size >= sizeof buf)
        blk_pread(b, size - sizeof buf, buf, sizeof buf);
    blk_check(b, 0, &r, NULL, NULL);
    blk_close(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("block-fuzz", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) == (ssize_t)size) {
        char path[64];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        exercise(path, false);
        exercise(path, true);
    }
    close(fd);
    return 0;
}
