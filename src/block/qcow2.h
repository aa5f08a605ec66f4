/*
 * qcow2.h — internals shared by the qcow2 driver's files.  Private.
 *
 *   qcow2.c           open/close, header, driver table, info, resize
 *   qcow2_io.c        guest reads/writes/discards, cluster mapping, COW
 *   qcow2_cache.c     the L2-table and refcount-block caches
 *   qcow2_refcount.c  refcounts, cluster allocation, deferred frees, flush
 *   qcow2_compress.c  zlib/zstd cluster (de)compression
 *   qcow2_check.c     consistency check and repair
 *   qcow2_create.c    creating images
 *
 * Locking: `lock` guards every field below except the immutable header
 * values.  Data I/O to clusters already mapped runs outside `lock` but
 * inside `io_lock` held shared; freed clusters become reusable only while
 * `io_lock` is held exclusively, so an in-flight request never writes into
 * a cluster that has meanwhile been given to something else.  Order:
 * io_lock before lock.  An allocating write also writes its data outside
 * `lock`: the guest clusters it covers are listed in `inflight` until their
 * L2 entries point at the new data, and anything else that would change
 * those entries (another allocation, zeroing, discard, a compressed write)
 * waits on `inflight_done` first.
 *
 * Crash safety (docs/block.md): refcount increments reach the disk before
 * any table that points at the new cluster; data reaches the disk before
 * the L2 entry that maps it; a new L2 table before the L1 entry; a new
 * refcount block before the refcount-table entry; and decrements only
 * after the tables that dropped the reference are durable.  Metadata is
 * cached write-back and written in that order on flush or eviction.
 */
#ifndef VESSEL_BLOCK_QCOW2_H
#define VESSEL_BLOCK_QCOW2_H

#include <pthread.h>
#include <stdint.h>

/* Guest bytes [start, end) (whole clusters) being allocated by a write
 * whose data goes to the file outside s->lock. */
struct qcow2_inflight {
    uint64_t start, end;
    struct qcow2_inflight *next;
};
#include "block/driver.h"

#define QCOW2_MAGIC 0x514649fbu                 /* "QFI\xfb" */
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_L1_BYTES (32u << 20)          /* QEMU's limits */
#define QCOW2_MAX_REFTABLE_BYTES (8u << 20)
#define QCOW2_MAX_SNAPSHOTS 65536
#define QCOW2_MAX_BACKING_NAME 1023

#define QCOW2_INCOMPAT_DIRTY      (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT    (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE  (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2      (1ull << 4)
#define QCOW2_INCOMPAT_KNOWN      0x1full
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)
#define QCOW2_AUTOCLEAR_BITMAPS   (1ull << 0)

#define QCOW2_EXT_END          0x00000000u
#define QCOW2_EXT_BACKING_FMT  0xe2792acau
#define QCOW2_EXT_FEATURES     0x6803f857u
#define QCOW2_EXT_BITMAPS      0x23852875u
#define QCOW2_EXT_CRYPTO       0x0537be77u
#define QCOW2_EXT_DATA_FILE    0x44415441u

#define QCOW_OFLAG_COPIED     (1ull << 63)
#define QCOW_OFLAG_COMPRESSED (1ull << 62)
#define QCOW_OFLAG_ZERO       1ull
#define L1E_OFFSET_MASK       0x00fffffffffffe00ull
#define L2E_OFFSET_MASK       0x00fffffffffffe00ull
#define L1E_RESERVED_MASK     0x7f000000000001ffull
#define L2E_STD_RESERVED_MASK 0x3f000000000001feull
#define REFT_OFFSET_MASK      0xfffffffffffffe00ull

/* A cache of one-cluster tables (L2 tables or refcount blocks). */
struct qcow2_cache_entry {
    uint64_t offset;          /* host offset; 0 = slot empty */
    uint8_t *data;            /* the table as on disk (big-endian) */
    uint64_t lru;
    int pins;
    bool dirty;
    int next;                 /* hash chain, -1 = end */
};

struct qcow2_cache {
    struct qcow2_cache_entry *e;
    uint8_t *arena;           /* n tables, one after the other */
    unsigned n;
    int *bucket;
    unsigned nbuckets;        /* power of two */
    uint64_t tick;
    bool is_l2;               /* writing a dirty L2 table needs the barrier */
};

/* A reference to drop once the tables that held it are durable. */
struct qcow2_free {
    uint64_t offset;          /* host byte offset */
    uint64_t len;             /* bytes; every cluster touched loses one ref */
};

struct qcow2_ext {            /* a header extension we keep but don't use */
    uint32_t type, len;
    uint8_t *data;
};

struct qcow2_snapshot {
    uint64_t l1_offset;
    uint32_t l1_size;
    struct blk_snapshot info;         /* id, name, dates, sizes (for info) */
};

enum qcow2_ctype { QC_UNALLOC, QC_ZERO_PLAIN, QC_ZERO_ALLOC, QC_NORMAL, QC_COMPRESSED };

struct qcow2 {
    struct blk *b;
    struct bfile *file;

    /* header (immutable after open, except where noted) */
    uint32_t version;
    uint32_t cluster_bits;
    uint64_t cluster_size;
    uint32_t l2_bits;                 /* log2 entries per L2 table */
    uint64_t l1_offset;               /* changes on resize */
    uint32_t l1_size;
    uint64_t *l1;                     /* host-endian copy */
    uint64_t reftable_offset;         /* changes when the table grows */
    uint32_t reftable_clusters;
    uint64_t reftable_size;           /* entries */
    uint64_t *reftable;
    uint32_t refcount_order, refcount_bits;
    uint64_t refcount_max;
    uint32_t rb_bits;                 /* log2 entries per refcount block */
    uint64_t incompat, compat, autoclear;
    uint32_t header_length;
    uint8_t *header_extra;            /* header bytes 105..header_length-1 */
    uint8_t compression_type;
    uint32_t nb_snapshots;
    uint64_t snapshots_offset, snapshots_size;
    struct qcow2_snapshot *snapshots;
    struct qcow2_ext *exts;           /* unknown extensions, preserved */
    int nb_exts;
    uint8_t *features_ext;            /* feature name table as found */
    uint32_t features_ext_len;
    uint8_t *bitmaps_ext;             /* bitmaps extension, preserved */
    uint32_t bitmaps_ext_len;

    /* state */
    pthread_mutex_t lock;
    pthread_rwlock_t io_lock;
    struct qcow2_inflight *inflight;  /* allocating writes whose data is being written */
    pthread_cond_t inflight_done;     /* signalled when one of them completes */
    struct qcow2_cache l2_cache, rb_cache;
    uint32_t l1_dirty_lo, l1_dirty_hi;   /* dirty L1 entries [lo, hi) */
    bool unsynced;                    /* data/refcounts written since the last sync */
    bool unsynced_l2;                 /* L2 tables written since the last sync */
    bool corrupt;                     /* found inconsistent: no more writes */
    uint64_t free_hint;               /* first cluster that may be free */
    uint64_t fresh_from;              /* free clusters >= this are all-zero */
    uint64_t alloc_end;               /* no allocation at or past this so far */
    uint64_t cbyte_next;              /* next byte for compressed data, 0 = none */
    struct qcow2_free *frees;
    size_t nb_frees, cap_frees;
};

/* qcow2.c */
uint64_t qcow2_l1_entries_for(uint64_t size, uint32_t cluster_bits);
void qcow2_signal_corruption(struct qcow2 *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int qcow2_write_header_field(struct qcow2 *s, unsigned off, const void *val, size_t len);
bool qcow2_overlaps_metadata(struct qcow2 *s, uint64_t off, uint64_t len);

/* qcow2_cache.c — all under s->lock */
int  qcow2_cache_init(struct qcow2_cache *c, unsigned n, uint64_t cluster_size, bool is_l2);
void qcow2_cache_destroy(struct qcow2_cache *c);
/* Get the table at host offset `off` pinned; load it from disk unless
 * `fresh` (then it reads as zeroes).  *data points into the cache. */
int  qcow2_cache_get(struct qcow2 *s, struct qcow2_cache *c, uint64_t off,
                     bool fresh, uint8_t **data);
void qcow2_cache_put(struct qcow2_cache *c, uint64_t off);
void qcow2_cache_dirty(struct qcow2_cache *c, uint64_t off);
int  qcow2_cache_flush(struct qcow2 *s, struct qcow2_cache *c);
bool qcow2_cache_has_dirty(struct qcow2_cache *c);
void qcow2_cache_forget(struct qcow2_cache *c, uint64_t off);
void qcow2_cache_forget_all(struct qcow2_cache *c);

/* qcow2_refcount.c — all under s->lock */
int qcow2_get_refcount(struct qcow2 *s, uint64_t cluster, uint64_t *rc);
/* Overwrite a refcount whose block exists (-ENOENT if it doesn't). */
int qcow2_set_refcount(struct qcow2 *s, uint64_t cluster, uint64_t value);
uint64_t qcow2_rb_get(const uint8_t *rb, uint32_t order, uint64_t i);
void qcow2_rb_set(uint8_t *rb, uint32_t order, uint64_t i, uint64_t v);
/* Add `delta` (+1/-1) to a cluster's refcount. */
int qcow2_update_refcount(struct qcow2 *s, uint64_t cluster, int delta);
/* Allocate n contiguous clusters (refcount 1); returns host byte offset. */
int qcow2_alloc_clusters(struct qcow2 *s, uint64_t n, uint64_t *offset);
/* Allocate `len` bytes for compressed data (may share a cluster). */
int qcow2_alloc_bytes(struct qcow2 *s, uint64_t len, uint64_t *offset);
/* Queue the release of the clusters under [off, off+len). */
int qcow2_defer_free(struct qcow2 *s, uint64_t off, uint64_t len);
/* Write cached metadata in crash-safe order (no final sync). */
int qcow2_write_metadata(struct qcow2 *s);
/* Before writing a dirty L2 table or the L1 table: refcounts and data
 * first, durably. */
int qcow2_l2_barrier(struct qcow2 *s);
/* Full flush: metadata in order, apply deferred frees, fdatasync. */
int qcow2_flush(struct blk *b);
int qcow2_sync(struct qcow2 *s);
/* Release every cluster with the io_lock held exclusively. */
int qcow2_apply_frees_locked(struct qcow2 *s);
/* Without locks held: apply the queued frees if there are many. */
int qcow2_maybe_apply_frees(struct qcow2 *s);

/* qcow2_io.c */
enum qcow2_ctype qcow2_classify(struct qcow2 *s, uint64_t l2e);
int qcow2_preadv(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len);
int qcow2_pwritev(struct blk *b, uint64_t off, const struct iovec *iov, int cnt, size_t len);
int qcow2_discard(struct blk *b, uint64_t off, uint64_t len);
int qcow2_write_zeroes(struct blk *b, uint64_t off, uint64_t len, unsigned flags);
int qcow2_block_status(struct blk *b, uint64_t off, uint64_t len, struct blk_extent *ext);
int qcow2_write_compressed(struct blk *b, uint64_t off, const void *buf, size_t len);
int qcow2_make_empty(struct blk *b);
/* Compressed descriptor → byte offset and maximal byte length on disk. */
void qcow2_compressed_range(struct qcow2 *s, uint64_t l2e, uint64_t *off, uint64_t *len);

/* qcow2_compress.c */
/* Returns compressed length, or -ENOSPC if it does not fit in dst_len. */
long qcow2_compress(int type, void *dst, size_t dst_len, const void *src, size_t src_len);
/* Cheap test: does the start of this data compress at all? */
bool qcow2_compress_probe(const void *src, size_t len);
/* Decompress exactly dst_len bytes (trailing input ignored); 0 or -EIO. */
int qcow2_decompress(int type, void *dst, size_t dst_len, const void *src, size_t src_len);

/* qcow2_check.c */
int qcow2_check(struct blk *b, unsigned fix, struct blk_check_result *r,
                void (*report)(void *, const char *), void *opaque);

/* qcow2_create.c */
int qcow2_create(const char *path, const struct blk_create_opts *o, char *err);

/* qcow2.c: rewrite the whole header cluster (backing file, extensions). */
int qcow2_rewrite_header(struct qcow2 *s, const char *backing, const char *backing_fmt,
                         char *err);

static inline uint64_t qcow2_offset_in_cluster(struct qcow2 *s, uint64_t off)
{
    return off & (s->cluster_size - 1);
}

#endif
