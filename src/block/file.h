/*
 * file.h — host files under an image: full reads/writes, durability,
 * sparseness queries, O_DIRECT bounce buffering and QEMU-compatible image
 * locking.  Every format driver does its I/O through a struct bfile.
 */
#ifndef VESSEL_BLOCK_FILE_H
#define VESSEL_BLOCK_FILE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include "block/block.h"

struct bfile {
    int fd;
    char *path;
    bool writable;
    bool direct;             /* opened O_DIRECT: I/O must be aligned */
    bool unsafe;             /* cache=unsafe: sync is a no-op */
    bool locked;             /* holds QEMU-style lock bytes */
    pthread_rwlock_t rmw;    /* direct mode: excludes aligned writes during RMW */
};

/* Open (create with `create`) a host file.  err: BLK_ERR_LEN bytes or NULL. */
int bfile_open(struct bfile *f, const char *path, bool writable, bool create,
               enum blk_cache_mode cache, char *err);
void bfile_close(struct bfile *f);

/*
 * Take the image lock: exclusive for writable files, shared otherwise, with
 * the byte-range OFD locks QEMU uses (bytes 100+perm, 200+perm), so Vessel
 * and QEMU exclude each other.  Fails with -EBUSY and a message.
 */
int bfile_lock(struct bfile *f, bool write, char *err);

/* Reads past end-of-file return zeroes.  All return 0 or -errno. */
int bfile_pread(struct bfile *f, void *buf, size_t len, uint64_t off);
int bfile_pwrite(struct bfile *f, const void *buf, size_t len, uint64_t off);
int bfile_preadv(struct bfile *f, const struct iovec *iov, int cnt, uint64_t off);
int bfile_pwritev(struct bfile *f, const struct iovec *iov, int cnt, uint64_t off);
/* All `len` bytes from the page cache at once (RWF_NOWAIT), else -EAGAIN. */
int bfile_preadv_nowait(struct bfile *f, const struct iovec *iov, int cnt, uint64_t off,
                        size_t len);

int bfile_sync(struct bfile *f);                 /* fdatasync */
int64_t bfile_size(struct bfile *f);             /* or -errno */
int64_t bfile_allocated(struct bfile *f);        /* bytes of host storage used */
int bfile_truncate(struct bfile *f, uint64_t size);
/* Make [off, off+len) read as zeroes; `punch` also frees the blocks. */
int bfile_zero(struct bfile *f, uint64_t off, uint64_t len, bool punch);
/* Reserve blocks (fallocate); -EOPNOTSUPP where impossible. */
int bfile_fallocate(struct bfile *f, uint64_t off, uint64_t len);

/* Is `off` in data (true) or a hole (false); *pnum = bytes (<= len) of the
 * same kind from off.  Files without SEEK_DATA report everything as data. */
int bfile_data_status(struct bfile *f, uint64_t off, uint64_t len,
                      bool *data, uint64_t *pnum);

#endif
