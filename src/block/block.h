/*
 * block.h — Vessel's block layer: disk images for devices and `vessel img`.
 *
 * A `struct blk` is one open disk image of any supported format (raw, qcow2,
 * split), including its chain of backing files.  Devices (virtio-blk) and
 * the image tool program against this header only; formats live behind it
 * in src/block/<format>.c.
 *
 * Conventions
 *   - Every function returning int returns 0 (or a count) on success and a
 *     negative errno on failure.  Functions that can fail for reasons a user
 *     must read (open, create, check, ...) also fill a message buffer of
 *     BLK_ERR_LEN bytes; after an I/O failure blk_last_error() gives one.
 *   - Offsets and lengths are bytes.  Every request is checked against the
 *     virtual size: a request that does not lie entirely inside the disk
 *     fails with -ERANGE and touches nothing (a guest asking past the end of
 *     its disk gets an error, never a write outside the image).
 *   - A `struct blk` is thread-safe: any number of threads may call the
 *     synchronous I/O functions and submit asynchronous requests at once.
 *     Requests that overlap and run concurrently complete in an unspecified
 *     order, as on real disks.  blk_close() and blk_resize() must not race
 *     with other calls on the same image.
 *   - No global state: two VMs in one process open images independently.
 *   - Durability: a write is durable once a later blk_flush() (or
 *     BLK_OP_FLUSH request) submitted after the write completed has itself
 *     completed.  Crash safety (kill -9, power loss) keeps every image
 *     consistent for `qemu-img check` (leaked clusters at worst); see
 *     docs/block.md for the ordering that guarantees it.
 */
#ifndef VESSEL_BLOCK_H
#define VESSEL_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define BLK_ERR_LEN 512          /* size of every error-message buffer */
#define BLK_MAX_CHAIN 16         /* deepest backing chain we follow */

struct blk;

/* ------------------------------------------------------------------------ */
/* Opening and closing                                                       */

enum blk_cache_mode {
    BLK_CACHE_WRITEBACK = 0,  /* host page cache; flush = fdatasync (default) */
    BLK_CACHE_NONE,           /* O_DIRECT on the image files; flush = fdatasync */
    BLK_CACHE_UNSAFE,         /* host page cache; flush does nothing */
};

struct blk_open_opts {
    const char *format;        /* "raw", "qcow2", "split"; NULL: probe the file */
    bool read_only;            /* open for reading only */
    bool force_share;          /* don't take the image lock (qemu-img -U) */
    bool no_backing;           /* don't open backing files: unallocated reads as 0 */
    enum blk_cache_mode cache;
    unsigned aio_threads;      /* worker threads for asynchronous I/O; 0 = 4 */
    bool repair;               /* opening to repair it (check -r): allow a
                                  qcow2 with the corrupt bit read-write */
};

/*
 * Open the image at `path`.  opts may be NULL (probe, read-write, locked).
 *
 * Locking: unless force_share, a read-write open takes an exclusive image
 * lock and a read-only open a shared one, using the same OFD byte-range
 * locks as QEMU, so neither a second Vessel nor a QEMU can open a writable
 * image that is in use (and vice versa).  Backing files are opened
 * read-only and shared.
 *
 * Probing: "qcow2" by its magic, "split" by its descriptor's first line,
 * otherwise "raw".  As in QEMU, a probed raw image refuses (-EPERM) a
 * write to its first bytes that would make it probe as another format
 * next time (a guest could otherwise plant a qcow2 header naming a host
 * file as backing); name the format explicitly to allow it.  The backing
 * file format is the one recorded in the image, else probed.
 *
 * Corrupt or hostile images are refused with a message in err
 * (BLK_ERR_LEN bytes, may be NULL).  A qcow2 image with the corrupt bit set
 * opens only read-only.
 */
int blk_open(struct blk **out, const char *path,
             const struct blk_open_opts *opts, char *err);

/* Flush, wait for outstanding asynchronous requests, release the lock and
 * free everything.  Returns the result of the final flush (the image is
 * closed either way). */
int blk_close(struct blk *b);

/* ------------------------------------------------------------------------ */
/* Synchronous I/O (callable from any thread)                                */

uint64_t blk_size(struct blk *b);             /* virtual size in bytes */
bool blk_is_read_only(struct blk *b);

int blk_pread(struct blk *b, uint64_t offset, void *buf, size_t len);
int blk_pwrite(struct blk *b, uint64_t offset, const void *buf, size_t len);
int blk_preadv(struct blk *b, uint64_t offset, const struct iovec *iov, int iovcnt);
int blk_pwritev(struct blk *b, uint64_t offset, const struct iovec *iov, int iovcnt);

/* Read only if no waiting is needed: 0 when the whole range came from the
 * host's page cache; -EAGAIN when any of it would wait for the disk, the
 * format cannot tell (qcow2, split, cache=none), or the range reaches past
 * the end of the file (the buffers may then hold part of the data: read
 * again with blk_preadv or a request); -ERANGE outside the disk.  Lets a
 * vCPU thread finish a cached read at once instead of handing it off. */
int blk_try_preadv(struct blk *b, uint64_t offset, const struct iovec *iov, int iovcnt);

/* Make every completed write durable (fdatasync, ordered metadata first). */
int blk_flush(struct blk *b);

/* The guest no longer needs the range: its content becomes unspecified
 * (zero or backing data).  Frees space where the format can; partial
 * clusters are left alone.  Never fails for an in-range request on a
 * writable image except for I/O errors. */
int blk_discard(struct blk *b, uint64_t offset, uint64_t len);

/* The range reads as zeroes afterwards.  With BLK_ZERO_MAY_UNMAP the
 * format may also free the space. */
#define BLK_ZERO_MAY_UNMAP 1u
int blk_write_zeroes(struct blk *b, uint64_t offset, uint64_t len, unsigned flags);

/* Change the virtual size.  Growing reads as zeroes; shrinking drops data
 * past the new end.  Not while other threads use the image. */
int blk_resize(struct blk *b, uint64_t new_size);

/* Message for the most recent failure on this image ("" if none). */
const char *blk_last_error(struct blk *b);

/* ------------------------------------------------------------------------ */
/* Asynchronous I/O                                                          */
/*
 * Requests are executed by a pool of worker threads owned by the image
 * (started on first use), so a vCPU or an I/O thread submitting a request
 * never waits for the disk.  The completion callback runs on a worker
 * thread, exactly once, with ret = 0 or -errno; it must not block for long
 * (signal an eventfd, raise an interrupt, queue a completion).  It may
 * submit new requests.
 *
 * blk_submit() returns 0 when the request was queued (the callback will
 * run), or a negative errno without calling the callback: -ERANGE for a
 * request outside the disk, -EROFS for a write to a read-only image,
 * -EINVAL for a malformed request.  The request structure and its iovec
 * array must stay valid until the callback runs; the library does not
 * copy them.
 */
enum blk_op {
    BLK_OP_READ,           /* iov/iovcnt at offset */
    BLK_OP_WRITE,          /* iov/iovcnt at offset */
    BLK_OP_FLUSH,          /* offset/len ignored */
    BLK_OP_DISCARD,        /* offset/len */
    BLK_OP_WRITE_ZEROES,   /* offset/len, flags */
};

struct blk_request {
    enum blk_op op;
    uint64_t offset;
    uint64_t len;                  /* DISCARD / WRITE_ZEROES only */
    const struct iovec *iov;       /* READ / WRITE only */
    int iovcnt;
    unsigned flags;                /* BLK_ZERO_MAY_UNMAP for WRITE_ZEROES */
    void (*done)(struct blk_request *req, int ret);
    void *opaque;                  /* for the caller */
    struct blk_request *next_;     /* private to the library */
};

int blk_submit(struct blk *b, struct blk_request *req);

/* The same request run on the calling thread, with blk_submit()'s checks;
 * returns what done() would get (done is not called). */
int blk_run(struct blk *b, struct blk_request *req);

/* Wait until every submitted request has completed (callbacks returned). */
void blk_drain(struct blk *b);

/* ------------------------------------------------------------------------ */
/* Creating images                                                           */

enum blk_prealloc { BLK_PREALLOC_OFF, BLK_PREALLOC_METADATA,
                    BLK_PREALLOC_FALLOC, BLK_PREALLOC_FULL };
enum blk_compression { BLK_COMPRESS_ZLIB = 0, BLK_COMPRESS_ZSTD = 1 };

struct blk_create_opts {
    const char *format;            /* "raw" (default), "qcow2", "split" */
    uint64_t size;                 /* virtual size; 0 with a backing file:
                                      take the backing file's size */
    const char *backing_file;      /* qcow2: as recorded in the image */
    const char *backing_format;    /* qcow2: NULL = probe (and record) */
    uint32_t cluster_size;         /* qcow2: 512 .. 2 MiB, power of 2; 0 = 64 KiB */
    int compat;                    /* qcow2: 2 (0.10) or 3 (1.1); 0 = 3 */
    int refcount_bits;             /* qcow2: 1..64, power of 2; 0 = 16 */
    enum blk_compression compression;
    enum blk_prealloc prealloc;
    uint64_t chunk_size;           /* split: bytes per chunk file; 0 = 1 GiB */
    bool no_backing_check;         /* don't open the backing file (qemu-img -u):
                                      size must be given */
};

/* Create (or overwrite) an image.  The backing file, if any, must open. */
int blk_create(const char *path, const struct blk_create_opts *o, char *err);

/* ------------------------------------------------------------------------ */
/* Inspecting images                                                         */

struct blk_info {
    char format[16];               /* "raw", "qcow2", "split" */
    char filename[4096];
    uint64_t virtual_size;
    uint64_t actual_size;          /* bytes allocated on the host */
    uint32_t cluster_size;         /* 0 if the format has none */
    char backing_file[4096];       /* as recorded; "" if none */
    char backing_format[16];       /* as recorded; "" if none */
    char full_backing_file[4096];  /* resolved against the image's directory */
    bool dirty;
    /* qcow2 specifics */
    int qcow2_version;             /* 2 or 3 */
    int refcount_bits;
    enum blk_compression compression;
    bool lazy_refcounts;
    bool corrupt;
    bool extended_l2;
    uint32_t nb_snapshots;
    /* split specifics */
    uint64_t chunk_size;
    uint32_t nb_chunks;
};

int blk_get_info(struct blk *b, struct blk_info *info);

/* Internal snapshots (qcow2), for display.  Returns how many (0: none, and
 * *list is NULL) or -errno; the caller frees *list. */
struct blk_snapshot {
    char id[128];
    char name[256];
    uint32_t date_sec, date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t vm_state_size;
    int64_t icount;                /* -1 if not recorded */
};
int blk_snapshots(struct blk *b, struct blk_snapshot **list);

/* The image below this one in the chain (NULL if none). */
struct blk *blk_backing(struct blk *b);

/*
 * Where the content of a range comes from.  blk_map() describes the extent
 * starting at `offset` (at most `len` bytes) resolved through the backing
 * chain: depth 0 is this image, 1 its backing file, ...
 */
#define BLK_EXT_DATA        1u  /* reads return stored data */
#define BLK_EXT_ZERO        2u  /* reads return zeroes */
#define BLK_EXT_ALLOCATED   4u  /* some layer of the chain defines the range */
#define BLK_EXT_OFFSET      8u  /* host_offset is valid (in `file`) */
#define BLK_EXT_COMPRESSED 16u

struct blk_extent {
    uint64_t offset, length;
    unsigned flags;
    int depth;                     /* layer that defines it (chain length if none) */
    uint64_t host_offset;
    const char *file;              /* image file holding host_offset */
};

int blk_map(struct blk *b, uint64_t offset, uint64_t len, struct blk_extent *ext);

/* Like blk_map() for this layer only: BLK_EXT_ALLOCATED is clear where the
 * content would come from the backing file. */
int blk_block_status(struct blk *b, uint64_t offset, uint64_t len,
                     struct blk_extent *ext);

/* ------------------------------------------------------------------------ */
/* Consistency check and repair                                              */

#define BLK_FIX_LEAKS   1u
#define BLK_FIX_ERRORS  2u

struct blk_check_result {
    uint64_t corruptions, leaks, check_errors;
    uint64_t corruptions_fixed, leaks_fixed;
    uint64_t image_end_offset;
    uint64_t total_clusters, allocated_clusters;
    uint64_t fragmented_clusters, compressed_clusters;
    bool supported;                /* false: the format has nothing to check */
};

/*
 * Check the image's metadata (open it read-only unless fixing).  Each
 * problem found is reported through report(opaque, line) as qemu-img does
 * ("Leaked cluster 5 refcount=1 reference=0", "ERROR ...").  Returns 0 if
 * the check ran (whatever it found), negative errno if it could not.
 */
int blk_check(struct blk *b, unsigned fix, struct blk_check_result *r,
              void (*report)(void *opaque, const char *line), void *opaque);

/* ------------------------------------------------------------------------ */
/* Changing metadata                                                          */

/* Record a new backing file (and format, may be NULL) in the image header
 * without touching data: `rebase -u`.  "" or NULL removes the backing. */
int blk_set_backing(struct blk *b, const char *backing_file,
                    const char *backing_format, char *err);

/* Make every cluster of the image unallocated again (after commit). */
int blk_make_empty(struct blk *b);

/* qcow2 only: write one whole cluster compressed (zlib or the image's
 * compression type).  offset must be cluster-aligned, len the cluster size
 * (or what is left of the disk).  Falls back to a plain write when the data
 * does not compress.  -ENOTSUP for other formats. */
int blk_write_compressed(struct blk *b, uint64_t offset, const void *buf, size_t len);

/* Cluster size for alignment-sensitive callers (qcow2), else 0. */
uint32_t blk_cluster_size(struct blk *b);

/* ------------------------------------------------------------------------ */
/* Helpers for the tool                                                      */

/* Parse "10G", "512M", "1.5T", "4096", "100k"... (qemu-img's suffixes,
 * binary multiples, 'b' ignored).  Returns 0 or -EINVAL. */
int blk_parse_size(const char *s, uint64_t *out);

/* Format a size as qemu-img does: "1 GiB", "388 KiB", "1.5 MiB". */
void blk_format_size(uint64_t size, char *buf, size_t len);

#endif
