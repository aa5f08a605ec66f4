/*
 * virtio.h — the virtio-mmio transport and split virtqueues, as devices
 * (virtio-blk, -net, -console, -rng, -9p) program against them.
 *
 * A device describes itself with a `struct virtio_device_ops` (device ID,
 * feature bits, config space size, number and size of queues, callbacks)
 * and calls virtio_dev_create(), which claims a virtio-mmio slot of the VM
 * (base 0x10001000 + i*0x1000, PLIC IRQ 1+i, already in the device tree)
 * and implements every transport register of the virtio 1.x "modern"
 * (version 2) MMIO layout: feature negotiation (VIRTIO_F_VERSION_1
 * required, INDIRECT_DESC and EVENT_IDX offered by the transport), the
 * status state machine, queue setup, notifications, interrupts and reset.
 *
 * Threads.  Each virtio device owns one I/O thread (its "worker").  A
 * guest QueueNotify on a vCPU only sets a bit and wakes the worker; the
 * worker then calls ops->queue_notify(vdev, q) — so a slow disk, file
 * system or socket never stalls a guest CPU (a device may first finish,
 * on the vCPU, what needs no waiting: ops->queue_notify_vcpu).  Devices may also pop and push
 * from other threads (block-layer completion callbacks, a network backend
 * thread): every virtq_* function is thread-safe (per-queue lock).  A
 * device asks for its handler to run again with virtio_dev_schedule().
 *
 * Guest memory.  Rings and buffers are reached only through vm_guest_ptr().
 * Every guest-supplied index, length, address, chain length (loops),
 * indirect table and avail-index jump is checked; on a violation the
 * device is marked broken (status DEVICE_NEEDS_RESET, config-change
 * interrupt) and processes nothing more until the guest resets it.  Popped
 * chains are host iovecs that lie entirely inside guest RAM.
 *
 * Ordering.  avail->idx is read with acquire semantics before the ring and
 * descriptors; used entries are written before used->idx is published with
 * release semantics; a full fence separates publishing/re-arming from
 * reading the guest's suppression fields (event index, flags).
 *
 * Lifetime.  The transport owns the device: vm_destroy() stops the worker,
 * calls ops->reset (to finish in-flight requests) and then ops->destroy.
 * The guest's reset (Status = 0) also waits for the worker to be idle and
 * calls ops->reset, which must complete or cancel every chain it popped
 * (e.g. blk_drain) before returning: after reset nothing may touch guest
 * memory on behalf of the old rings.
 *
 * Example (a device that echoes nothing and consumes everything):
 *
 *     static void my_notify(struct virtio_dev *vd, unsigned q) {
 *         struct virtq *vq = virtio_dev_queue(vd, q);
 *         struct iovec iov[16]; struct virtq_elem e;
 *         while (virtq_pop(vq, &e, iov, 16) > 0)
 *             virtq_push(vq, &e, 0);
 *         virtq_notify(vq);
 *     }
 *     static const struct virtio_device_ops my_ops = {
 *         .name = "virtio-foo", .device_id = 42, .num_queues = 1,
 *         .queue_max = 256, .queue_notify = my_notify,
 *     };
 *     struct virtio_dev *vd = virtio_dev_create(vm, &my_ops, me, NULL, err, errlen);
 */
#ifndef VESSEL_DEV_VIRTIO_H
#define VESSEL_DEV_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct vm;
struct virtio_dev;       /* one virtio-mmio device (transport state) */
struct virtq;            /* one of its split virtqueues */

/* ---- constants from the virtio 1.x specification ---------------------- */

/* Device IDs (spec 5). */
#define VIRTIO_ID_NET      1
#define VIRTIO_ID_BLOCK    2
#define VIRTIO_ID_CONSOLE  3
#define VIRTIO_ID_RNG      4
#define VIRTIO_ID_9P       9

/* Reserved (transport) feature bits (spec 6).  Devices use bits 0..23. */
#define VIRTIO_F_INDIRECT_DESC      28
#define VIRTIO_F_EVENT_IDX          29
#define VIRTIO_F_VERSION_1          32
#define VIRTIO_F_ACCESS_PLATFORM    33   /* never offered: no IOMMU */
#define VIRTIO_F_RING_PACKED        34   /* not offered: split rings only */

#define VIRTIO_BIT(b) (1ULL << (b))

/* Device status bits (spec 2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE        1
#define VIRTIO_STATUS_DRIVER             2
#define VIRTIO_STATUS_DRIVER_OK          4
#define VIRTIO_STATUS_FEATURES_OK        8
#define VIRTIO_STATUS_DEVICE_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED             128

/* Split virtqueue descriptor flags (spec 2.7.5). */
#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_DESC_F_INDIRECT  4

/* Limits the transport enforces. */
#define VIRTIO_MAX_QUEUES   64      /* per device */
#define VIRTQ_MAX_SIZE      32768   /* spec maximum Queue Size (split) */
#define VIRTQ_MAX_CHAIN     1024    /* descriptors in one chain, indirect included */

/* ---- what a device declares ------------------------------------------ */

struct virtio_device_ops {
    const char *name;          /* "virtio-blk": messages, dev_ops name */
    uint32_t device_id;        /* VIRTIO_ID_* */
    uint64_t features;         /* device-specific bits offered (0..23 and
                                  50..63; the transport adds VERSION_1,
                                  INDIRECT_DESC, EVENT_IDX) */
    unsigned num_queues;       /* 1..VIRTIO_MAX_QUEUES */
    uint16_t queue_max;        /* QueueNumMax of every queue: power of 2 */
    uint32_t config_size;      /* bytes of device config space (<= 3840) */

    /* Worker thread: the guest notified queue q, or the device called
     * virtio_dev_schedule(q).  Pop, process, push, notify.  Only runs
     * while DRIVER_OK is set and the device is not broken. */
    void (*queue_notify)(struct virtio_dev *vdev, unsigned q);

    /* The callbacks below run on a vCPU thread with the transport's lock
     * held: they must not block for long nor call virtio_dev_* functions
     * except virtio_dev_schedule(), virtio_dev_opaque()/_vm()/_features()
     * and virtio_config_*().  All may be NULL. */

    /* The driver sets FEATURES_OK with these features (already checked to
     * be a subset of what was offered, VERSION_1 included); return false
     * to refuse the combination. */
    bool (*features_ok)(struct virtio_dev *vdev, uint64_t features);
    /* The driver set DRIVER_OK: queues are live. */
    void (*driver_ok)(struct virtio_dev *vdev);
    /* The guest notified queue q (on the vCPU thread that wrote
     * QueueNotify, before the worker is woken): finish here what needs no
     * waiting, e.g. virtio-blk's lone read that the host page cache holds,
     * saving two thread hand-offs and the guest's trip through idle.
     * Return true if nothing is left for the worker.  Never runs during a
     * reset, nor while the worker is busy, nor unless DRIVER_OK and not
     * broken; the transport lock is held, so it must not block. */
    bool (*queue_notify_vcpu)(struct virtio_dev *vdev, unsigned q);
    /* The guest wrote `len` bytes at config offset `off` (off + len <=
     * config_size).  Nothing is stored: the device keeps what it accepts
     * with virtio_config_update().  Runs on the vCPU thread without the
     * transport lock.  NULL: config writes are ignored. */
    void (*config_write)(struct virtio_dev *vdev, uint32_t off, const void *data,
                         unsigned len);
    /* Device reset (guest wrote 0 to Status, or the VM is going away):
     * the worker is idle; complete or cancel every popped chain and wait
     * for requests in flight, then forget per-session state. */
    void (*reset)(struct virtio_dev *vdev);
    /* Free the device's state (after reset; the worker has stopped). */
    void (*destroy)(struct virtio_dev *vdev);
};

/*
 * Create the transport for a device: claims the next free virtio-mmio slot,
 * registers its MMIO region, starts its worker.  `config` (config_size
 * bytes, little-endian as the spec lays it out) is the initial config
 * space; NULL = zeroes.  `opaque` is the device's own state.
 * On failure returns NULL with a message in err (ops->destroy NOT called).
 */
struct virtio_dev *virtio_dev_create(struct vm *vm, const struct virtio_device_ops *ops,
                                     void *opaque, const void *config,
                                     char *err, size_t errlen);

void      *virtio_dev_opaque(struct virtio_dev *vdev);
struct vm *virtio_dev_vm(struct virtio_dev *vdev);
unsigned   virtio_dev_irq(struct virtio_dev *vdev);
uint64_t   virtio_dev_base(struct virtio_dev *vdev);   /* MMIO base address */

/* Features the driver accepted (valid once FEATURES_OK is set). */
uint64_t virtio_dev_features(struct virtio_dev *vdev);
static inline bool virtio_dev_has_feature(struct virtio_dev *vdev, unsigned bit)
{
    return (virtio_dev_features(vdev) >> bit) & 1;
}

struct virtq *virtio_dev_queue(struct virtio_dev *vdev, unsigned q);  /* NULL if q >= num_queues */

/* Any thread, any lock: run ops->queue_notify(q) on the worker soon (as if
 * the guest had notified q).  Coalesces. */
void virtio_dev_schedule(struct virtio_dev *vdev, unsigned q);

/* The guest broke the protocol (malformed request a device detects, e.g.
 * a virtio-blk request without a status byte): set DEVICE_NEEDS_RESET,
 * raise a config-change interrupt, stop processing queues until reset.
 * `why` is logged once (rate-limited) to stderr.  Any thread. */
void virtio_dev_set_broken(struct virtio_dev *vdev, const char *why);
bool virtio_dev_is_broken(struct virtio_dev *vdev);

/* ---- config space (guarded by its own lock; any thread) -------------- */

/* Copy config bytes [off, off+len) out / in.  Update bumps the config
 * generation and, with `notify`, raises a config-change interrupt. */
void virtio_config_read(struct virtio_dev *vdev, uint32_t off, void *buf, unsigned len);
void virtio_config_update(struct virtio_dev *vdev, uint32_t off, const void *buf,
                          unsigned len, bool notify);

/* ---- virtqueues ------------------------------------------------------ */

/* A descriptor chain popped from the available ring: iov[0, out_num) are
 * the device-readable buffers (driver -> device), then iov[out_num,
 * out_num + in_num) the device-writable ones (device -> driver).  Every
 * iovec lies entirely in guest RAM; zero-length descriptors are skipped. */
struct virtq_elem {
    struct iovec *iov;         /* the caller's array */
    unsigned out_num, in_num;
    size_t out_len, in_len;    /* total bytes of each part */
    uint16_t head;             /* descriptor index to return in the used ring */
    uint32_t epoch_;           /* private: queue generation (stale after reset) */
};

/*
 * Take the next available chain.  Returns 1 with *e filled, 0 if the ring
 * is empty (notifications from the driver are then re-armed, including the
 * EVENT_IDX avail_event), -1 if the queue is not ready, the device is
 * broken, or the chain was malformed (the device is then marked broken).
 * A chain with more than max_iov non-empty buffers is malformed: size
 * max_iov for what the device advertises (seg_max...), VIRTQ_MAX_CHAIN
 * accepts anything valid.
 */
int virtq_pop(struct virtq *vq, struct virtq_elem *e, struct iovec *iov, unsigned max_iov);

/* Give back the chain popped last (nothing popped since), e.g. when a
 * receive buffer turns out to be unneeded.  It will be popped again.
 * Several chains may be given back, newest first (virtio-net gives back
 * the mergeable buffers of a frame that found too few). */
void virtq_unpop(struct virtq *vq, const struct virtq_elem *e);

/* Return a chain to the driver: `written` bytes were written into its
 * device-writable part (clamped to in_len).  Chains popped before a reset
 * are silently dropped.  Publishes used->idx; call virtq_notify() after
 * one or a batch of pushes. */
void virtq_push(struct virtq *vq, const struct virtq_elem *e, uint32_t written);

/* Return n chains at once, published by a single used->idx update (for
 * virtio-net mergeable receive buffers, whose used entries the driver
 * expects together). */
void virtq_push_many(struct virtq *vq, const struct virtq_elem *const *elems,
                     const uint32_t *written, unsigned n);

/* Interrupt the guest (used-buffer notification) if it asked for one:
 * VRING_AVAIL_F_NO_INTERRUPT, or with EVENT_IDX the used_event index. */
void virtq_notify(struct virtq *vq);

/* push + notify, the common case. */
void virtq_push_notify(struct virtq *vq, const struct virtq_elem *e, uint32_t written);

bool     virtq_is_ready(struct virtq *vq);   /* QueueReady and DRIVER_OK, not broken */
/* Does the available ring hold chains not yet popped?  When it does not,
 * notifications are re-armed first, as by an empty virtq_pop(): a device
 * told "no" may wait for the next notify. */
bool     virtq_has_avail(struct virtq *vq);
uint16_t virtq_size(struct virtq *vq);       /* negotiated Queue Size (0 if not set up) */
unsigned virtq_index(struct virtq *vq);
struct virtio_dev *virtq_dev(struct virtq *vq);

/* ---- iovec helpers --------------------------------------------------- */

/* Copy between a flat buffer and an iovec array, starting `off` bytes into
 * the iovecs; return the bytes copied (less if the iovecs end first). */
size_t virtio_iov_to_buf(const struct iovec *iov, unsigned cnt, size_t off,
                         void *buf, size_t len);
size_t virtio_iov_from_buf(const struct iovec *iov, unsigned cnt, size_t off,
                           const void *buf, size_t len);
/* The sub-array covering [off, off+len) of iov, into out (cnt entries
 * room); returns its entry count. */
unsigned virtio_iov_slice(const struct iovec *iov, unsigned cnt, size_t off, size_t len,
                          struct iovec *out);

/* Little-endian accessors for config structures and requests. */
static inline uint16_t virtio_le16(const void *p)
{
    const uint8_t *b = p;
    return (uint16_t)(b[0] | b[1] << 8);
}
static inline uint32_t virtio_le32(const void *p)
{
    const uint8_t *b = p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline uint64_t virtio_le64(const void *p)
{
    return virtio_le32(p) | (uint64_t)virtio_le32((const uint8_t *)p + 4) << 32;
}
static inline void virtio_put_le16(void *p, uint16_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8);
}
static inline void virtio_put_le32(void *p, uint32_t v)
{
    uint8_t *b = p;
    b[0] = (uint8_t)v; b[1] = (uint8_t)(v >> 8); b[2] = (uint8_t)(v >> 16); b[3] = (uint8_t)(v >> 24);
}
static inline void virtio_put_le64(void *p, uint64_t v)
{
    virtio_put_le32(p, (uint32_t)v);
    virtio_put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

#endif
