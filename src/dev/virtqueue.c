/*
 * virtqueue.c — split virtqueues (virtio 1.x, 2.7): popping descriptor
 * chains as validated iovecs, pushing used entries, notification
 * suppression in both directions (flags and EVENT_IDX).
 *
 * The guest is an adversary: it may rewrite the rings while we read them.
 * Each descriptor is copied once into host memory before it is checked and
 * used; every index is bounded by the queue or table size; a chain longer
 * than its table is a loop; every buffer goes through vm_guest_ptr().
 */
#include <string.h>
#include "dev/virtio_impl.h"
#include "machine/vm.h"

/* Offsets inside the avail and used rings. */
#define AVAIL_FLAGS      0
#define AVAIL_IDX        2
#define AVAIL_RING(i)    (4 + 2 * (size_t)(i))
#define USED_FLAGS       0
#define USED_IDX         2
#define USED_RING(i)     (4 + 8 * (size_t)(i))

static inline uint8_t *avail_at(struct virtq *vq, size_t off)
{
    return (uint8_t *)vq->avail + off;
}
static inline uint8_t *used_at(struct virtq *vq, size_t off)
{
    return (uint8_t *)vq->used + off;
}

/* Ring indices are read and published with atomics: the guest's vCPUs
 * touch them concurrently.  Host and virtio are both little-endian. */
static inline uint16_t load_acquire16(const uint8_t *p)
{
    return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_ACQUIRE);
}
static inline uint16_t load_relaxed16(const uint8_t *p)
{
    return __atomic_load_n((const uint16_t *)(const void *)p, __ATOMIC_RELAXED);
}
static inline void store_release16(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELEASE);
}
static inline void store_relaxed16(uint8_t *p, uint16_t v)
{
    __atomic_store_n((uint16_t *)(void *)p, v, __ATOMIC_RELAXED);
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtqueue.c assumes a little-endian host (virtio 1.x rings are LE)"
#endif

void virtq_init(struct virtq *vq, struct virtio_dev *vdev, unsigned index)
{
    memset(vq, 0, sizeof *vq);
    vq->vdev = vdev;
    vq->index = index;
    vq->num = vdev->ops->queue_max;
    pthread_mutex_init(&vq->lock, NULL);
}

void virtq_fini(struct virtq *vq)
{
    pthread_mutex_destroy(&vq->lock);
}

static bool is_pow2(unsigned n)
{
    return n && !(n & (n - 1));
}

bool virtq_start(struct virtq *vq, uint64_t features, const char **why)
{
    struct vm *vm = vq->vdev->vm;
    unsigned n = vq->num;
    if (!is_pow2(n) || n > vq->vdev->ops->queue_max) {
        *why = "queue size is not a power of 2 within QueueNumMax";
        return false;
    }
    if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3)) {
        *why = "misaligned ring address";
        return false;
    }
    void *desc = vm_guest_ptr(vm, vq->desc_gpa, 16ULL * n);
    void *avail = vm_guest_ptr(vm, vq->avail_gpa, 6 + 2ULL * n);
    void *used = vm_guest_ptr(vm, vq->used_gpa, 6 + 8ULL * n);
    if (!desc || !avail || !used) {
        *why = "ring outside guest RAM";
        return false;
    }
    pthread_mutex_lock(&vq->lock);
    vq->desc = desc;
    vq->avail = avail;
    vq->used = used;
    vq->event_idx = (features >> VIRTIO_F_EVENT_IDX) & 1;
    vq->indirect = (features >> VIRTIO_F_INDIRECT_DESC) & 1;
    vq->last_avail = 0;
    vq->used_idx = 0;
    vq->signalled_used = 0;     /* the ring starts at 0: "old" is known */
    vq->signalled_valid = true;
    atomic_store(&vq->live, true);
    pthread_mutex_unlock(&vq->lock);
    return true;
}

void virtq_reset(struct virtq *vq)
{
    pthread_mutex_lock(&vq->lock);
    atomic_store(&vq->live, false);
    vq->epoch++;
    vq->desc = NULL;
    vq->avail = vq->used = NULL;
    vq->num = vq->vdev->ops->queue_max;
    vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
    vq->ready = false;
    pthread_mutex_unlock(&vq->lock);
}

static bool usable(struct virtq *vq)
{
    return atomic_load(&vq->live) && !atomic_load(&vq->vdev->broken) &&
           (atomic_load(&vq->vdev->status) & VIRTIO_STATUS_DRIVER_OK);
}

/* Number of new avail entries, or -1 if the driver claims more than fit. */
static int avail_pending(struct virtq *vq)
{
    uint16_t idx = load_acquire16(avail_at(vq, AVAIL_IDX));
    uint16_t n = (uint16_t)(idx - vq->last_avail);
    return n > vq->num ? -1 : n;
}

/* avail_pending(); when empty, first ask for a notification at the next
 * buffer, then look again (the driver may have added one before seeing
 * our request).  vq->lock held. */
static int pending_or_arm(struct virtq *vq)
{
    int n = avail_pending(vq);
    if (n != 0)
        return n;
    if (vq->event_idx)
        store_relaxed16(used_at(vq, USED_RING(vq->num)), vq->last_avail);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return avail_pending(vq);
}

/* Walk one chain from `head` into e.  Returns NULL or what is wrong. */
static const char *walk_chain(struct virtq *vq, uint16_t head, struct virtq_elem *e,
                              struct iovec *iov, unsigned max_iov)
{
    struct vm *vm = vq->vdev->vm;
    const struct vring_desc *table = vq->desc;
    unsigned table_size = vq->num, steps = 0, i = head;
    bool in_indirect = false;

    e->out_num = e->in_num = 0;
    e->out_len = e->in_len = 0;
    for (;;) {
        if (++steps > table_size)
            return "descriptor chain loops or is longer than its table";
        struct vring_desc d;
        memcpy(&d, &table[i], sizeof d);     /* read once: the guest may change it */

        if (d.flags & VIRTQ_DESC_F_INDIRECT) {
            if (!vq->indirect)
                return "indirect descriptor without VIRTIO_F_INDIRECT_DESC";
            if (in_indirect)
                return "indirect descriptor inside an indirect table";
            if (d.flags & VIRTQ_DESC_F_NEXT)
                return "indirect descriptor with NEXT set";
            if (d.len == 0 || d.len % sizeof(struct vring_desc) ||
                d.len / sizeof(struct vring_desc) > VIRTQ_MAX_CHAIN)
                return "bad indirect table size";
            table = vm_guest_ptr(vm, d.addr, d.len);
            if (!table)
                return "indirect table outside guest RAM";
            table_size = d.len / sizeof(struct vring_desc);
            in_indirect = true;
            steps = 0;
            i = 0;
            continue;
        }
        if (d.flags & VIRTQ_DESC_F_WRITE) {
            e->in_len += d.len;
        } else {
            if (e->in_num)
                return "device-readable descriptor after a device-writable one";
            e->out_len += d.len;
        }
        if (d.len) {
            void *p = vm_guest_ptr(vm, d.addr, d.len);
            if (!p)
                return "buffer outside guest RAM";
            unsigned k = e->out_num + e->in_num;
            if (k >= max_iov)
                return "descriptor chain has more buffers than the device accepts";
            iov[k].iov_base = p;
            iov[k].iov_len = d.len;
            if (d.flags & VIRTQ_DESC_F_WRITE)
                e->in_num++;
            else
                e->out_num++;
        }
        if (!(d.flags & VIRTQ_DESC_F_NEXT))
            return NULL;
        if (d.next >= table_size)
            return "descriptor index out of range";
        i = d.next;
    }
}

int virtq_pop(struct virtq *vq, struct virtq_elem *e, struct iovec *iov, unsigned max_iov)
{
    const char *why = NULL;
    pthread_mutex_lock(&vq->lock);
    if (!usable(vq)) {
        pthread_mutex_unlock(&vq->lock);
        return -1;
    }
    int n = pending_or_arm(vq);
    if (n == 0) {
        pthread_mutex_unlock(&vq->lock);
        return 0;
    }
    if (n < 0) {
        why = "avail index moved further than the queue size";
        goto broken;
    }
    uint16_t head = load_relaxed16(avail_at(vq, AVAIL_RING(vq->last_avail % vq->num)));
    if (head >= vq->num) {
        why = "avail ring entry out of range";
        goto broken;
    }
    e->iov = iov;
    why = walk_chain(vq, head, e, iov, max_iov);
    if (why)
        goto broken;
    e->head = head;
    e->epoch_ = vq->epoch;
    vq->last_avail++;
    pthread_mutex_unlock(&vq->lock);
    return 1;
broken:
    pthread_mutex_unlock(&vq->lock);
    virtio_dev_set_broken(vq->vdev, why);
    return -1;
}

void virtq_unpop(struct virtq *vq, const struct virtq_elem *e)
{
    pthread_mutex_lock(&vq->lock);
    if (e->epoch_ == vq->epoch && atomic_load(&vq->live))
        vq->last_avail--;
    pthread_mutex_unlock(&vq->lock);
}

/* Write one used entry (not yet published). */
static void fill_used(struct virtq *vq, const struct virtq_elem *e, uint32_t written,
                      uint16_t idx)
{
    uint8_t *ent = used_at(vq, USED_RING(idx % vq->num));
    uint32_t len = written > e->in_len ? (uint32_t)e->in_len : written;
    uint32_t id = e->head;
    memcpy(ent, &id, 4);
    memcpy(ent + 4, &len, 4);
}

void virtq_push_many(struct virtq *vq, const struct virtq_elem *const *elems,
                     const uint32_t *written, unsigned n)
{
    pthread_mutex_lock(&vq->lock);
    if (!atomic_load(&vq->live)) {
        pthread_mutex_unlock(&vq->lock);
        return;
    }
    uint16_t idx = vq->used_idx;
    for (unsigned i = 0; i < n; i++) {
        if (elems[i]->epoch_ != vq->epoch)
            continue;                           /* popped before a reset */
        fill_used(vq, elems[i], written[i], idx++);
    }
    if (idx != vq->used_idx) {
        vq->used_idx = idx;
        store_release16(used_at(vq, USED_IDX), idx);
    }
    pthread_mutex_unlock(&vq->lock);
}

void virtq_push(struct virtq *vq, const struct virtq_elem *e, uint32_t written)
{
    virtq_push_many(vq, &e, &written, 1);
}

/* The driver's "interrupt me when used idx passes event" test (spec 2.7.10). */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
    return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

void virtq_notify(struct virtq *vq)
{
    bool fire = false;
    pthread_mutex_lock(&vq->lock);
    if (atomic_load(&vq->live) && !(vq->signalled_valid && vq->signalled_used == vq->used_idx)) {
        /* used->idx must be visible before we read what the driver wants. */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (vq->event_idx) {
            uint16_t event = load_relaxed16(avail_at(vq, AVAIL_RING(vq->num)));
            fire = !vq->signalled_valid ||
                   need_event(event, vq->used_idx, vq->signalled_used);
        } else {
            fire = !(load_relaxed16(avail_at(vq, AVAIL_FLAGS)) & VRING_AVAIL_F_NO_INTERRUPT);
        }
        vq->signalled_used = vq->used_idx;
        vq->signalled_valid = true;
    }
    pthread_mutex_unlock(&vq->lock);
    if (fire)
        virtio_raise_isr(vq->vdev, 1);
}

void virtq_push_notify(struct virtq *vq, const struct virtq_elem *e, uint32_t written)
{
    virtq_push(vq, e, written);
    virtq_notify(vq);
}

bool virtq_is_ready(struct virtq *vq)
{
    return usable(vq);
}

bool virtq_has_avail(struct virtq *vq)
{
    pthread_mutex_lock(&vq->lock);
    bool more = usable(vq) && pending_or_arm(vq) != 0;
    pthread_mutex_unlock(&vq->lock);
    return more;
}

uint16_t virtq_size(struct virtq *vq)
{
    return atomic_load(&vq->live) ? vq->num : 0;
}

unsigned virtq_index(struct virtq *vq)
{
    return vq->index;
}

struct virtio_dev *virtq_dev(struct virtq *vq)
{
    return vq->vdev;
}

/* ---- iovec helpers ---- */

size_t virtio_iov_to_buf(const struct iovec *iov, unsigned cnt, size_t off,
                         void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < cnt && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t n = iov[i].iov_len - off;
        if (n > len - done)
            n = len - done;
        memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + off, n);
        done += n;
        off = 0;
    }
    return done;
}

size_t virtio_iov_from_buf(const struct iovec *iov, unsigned cnt, size_t off,
                           const void *buf, size_t len)
{
    size_t done = 0;
    for (unsigned i = 0; i < cnt && done < len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t n = iov[i].iov_len - off;
        if (n > len - done)
            n = len - done;
        memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, n);
        done += n;
        off = 0;
    }
    return done;
}

unsigned virtio_iov_slice(const struct iovec *iov, unsigned cnt, size_t off, size_t len,
                          struct iovec *out)
{
    unsigned k = 0;
    for (unsigned i = 0; i < cnt && len; i++) {
        if (off >= iov[i].iov_len) {
            off -= iov[i].iov_len;
            continue;
        }
        size_t n = iov[i].iov_len - off;
        if (n > len)
            n = len;
        out[k].iov_base = (uint8_t *)iov[i].iov_base + off;
        out[k].iov_len = n;
        k++;
        len -= n;
        off = 0;
    }
    return k;
}
