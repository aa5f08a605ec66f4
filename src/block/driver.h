/*
 * driver.h — what a format driver (raw.c, qcow2*.c, split.c) provides and
 * the parts of struct blk it may use.  Private to src/block/.
 *
 * block.c does everything generic before calling a driver: range checks,
 * read-only checks, probing, locking, opening the backing chain, the
 * asynchronous thread pool.  Drivers see only in-range requests with
 * len > 0 and are themselves responsible for their own thread safety.
 */
#ifndef VESSEL_BLOCK_DRIVER_H
#define VESSEL_BLOCK_DRIVER_H

#include <pthread.h>
#include "block/block.h"
#include "block/file.h"

struct blk_aio;

struct blk_driver {
    const char *name;
    /* Does this header (the file's first bytes) belong to the format? */
    bool (*probe)(const uint8_t *head, size_t len);
    int  (*create)(const char *path, const struct blk_create_opts *o, char *err);
    /* b->file is open (and locked).  Sets b->size, b->state and, for a
     * backing file, b->backing_name / b->backing_fmt. */
    int  (*open)(struct blk *b, char *err);
    void (*close)(struct blk *b);
    int  (*preadv)(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len);
    /* Optional: preadv without waiting for the disk, else -EAGAIN. */
    int  (*preadv_nowait)(struct blk *b, uint64_t off, const struct iovec *iov, int cnt,
                          size_t len);
    int  (*pwritev)(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len);
    int  (*flush)(struct blk *b);
    int  (*discard)(struct blk *b, uint64_t off, uint64_t len);
    int  (*write_zeroes)(struct blk *b, uint64_t off, uint64_t len, unsigned flags);
    int  (*resize)(struct blk *b, uint64_t size);
    /* This layer only: fill ext (flags, length, host offset). */
    int  (*block_status)(struct blk *b, uint64_t off, uint64_t len, struct blk_extent *ext);
    void (*info)(struct blk *b, struct blk_info *info);
    int  (*check)(struct blk *b, unsigned fix, struct blk_check_result *r,
                  void (*report)(void *, const char *), void *opaque);
    int  (*set_backing)(struct blk *b, const char *file, const char *fmt, char *err);
    int  (*make_empty)(struct blk *b);
    int  (*write_compressed)(struct blk *b, uint64_t off, const void *buf, size_t len);
    int  (*snapshots)(struct blk *b, struct blk_snapshot **list);
};

struct blk {
    const struct blk_driver *drv;
    void *state;                    /* the driver's */
    struct bfile file;              /* the image file (split: its descriptor) */
    char *filename;
    bool read_only;
    bool probed_raw;                /* raw by probing: guard the first sector */
    bool repair;                    /* opened for check -r */
    enum blk_cache_mode cache;
    unsigned aio_threads;
    uint64_t size;                  /* virtual size, kept by the driver */
    char backing_name[4096];        /* as recorded in the image, "" if none */
    char backing_fmt[16];
    struct blk *backing;            /* opened backing image, or NULL */
    pthread_mutex_t aio_lock;       /* guards creation of aio */
    struct blk_aio *aio;
    pthread_mutex_t err_lock;
    char errmsg[BLK_ERR_LEN];
};

extern const struct blk_driver blk_raw_driver;
extern const struct blk_driver blk_qcow2_driver;
extern const struct blk_driver blk_split_driver;

/* Remember a message for blk_last_error(). */
void blk_set_error(struct blk *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Read [off, off+len) of the backing chain into iov: zeroes where there
 * is no backing file or the backing file is shorter. */
int blk_read_backing(struct blk *b, uint64_t off, const struct iovec *iov,
                     int cnt, size_t len);

/* Resolve `name` (as recorded in `image_path`) to a path: relative names
 * are relative to the image's directory.  out: 4096 bytes. */
void blk_resolve_backing(const char *image_path, const char *name, char *out);

/* Driver lookup by name (NULL if unknown). */
const struct blk_driver *blk_find_driver(const char *name);

/* Big-endian helpers */
static inline uint16_t be16_get(const void *p)
{ const uint8_t *b = p; return (uint16_t)(b[0] << 8 | b[1]); }
static inline uint32_t be32_get(const void *p)
{ const uint8_t *b = p; return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]; }
static inline uint64_t be64_get(const void *p)
{ return (uint64_t)be32_get(p) << 32 | be32_get((const uint8_t *)p + 4); }
static inline void be16_put(void *p, uint16_t v)
{ uint8_t *b = p; b[0] = (uint8_t)(v >> 8); b[1] = (uint8_t)v; }
static inline void be32_put(void *p, uint32_t v)
{ uint8_t *b = p; b[0] = (uint8_t)(v >> 24); b[1] = (uint8_t)(v >> 16); b[2] = (uint8_t)(v >> 8); b[3] = (uint8_t)v; }
static inline void be64_put(void *p, uint64_t v)
{ be32_put(p, (uint32_t)(v >> 32)); be32_put((uint8_t *)p + 4, (uint32_t)v); }

#endif
