/*
 * virtio_mmio.c — the virtio-mmio transport, version 2 (virtio 1.x, 4.2):
 * registers, feature negotiation, the status state machine, interrupts
 * through the PLIC, reset, and each device's I/O worker thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "dev/virtio_impl.h"
#include "machine/vm.h"

/* Register offsets (spec 4.2.2). */
enum {
    REG_MAGIC = 0x000, REG_VERSION = 0x004, REG_DEVICE_ID = 0x008, REG_VENDOR_ID = 0x00c,
    REG_DEVICE_FEATURES = 0x010, REG_DEVICE_FEATURES_SEL = 0x014,
    REG_DRIVER_FEATURES = 0x020, REG_DRIVER_FEATURES_SEL = 0x024,
    REG_QUEUE_SEL = 0x030, REG_QUEUE_NUM_MAX = 0x034, REG_QUEUE_NUM = 0x038,
    REG_QUEUE_READY = 0x044, REG_QUEUE_NOTIFY = 0x050,
    REG_INTERRUPT_STATUS = 0x060, REG_INTERRUPT_ACK = 0x064, REG_STATUS = 0x070,
    REG_QUEUE_DESC_LOW = 0x080, REG_QUEUE_DESC_HIGH = 0x084,
    REG_QUEUE_DRIVER_LOW = 0x090, REG_QUEUE_DRIVER_HIGH = 0x094,
    REG_QUEUE_DEVICE_LOW = 0x0a0, REG_QUEUE_DEVICE_HIGH = 0x0a4,
    REG_SHM_SEL = 0x0ac, REG_SHM_LEN_LOW = 0x0b0, REG_SHM_LEN_HIGH = 0x0b4,
    REG_SHM_BASE_LOW = 0x0b8, REG_SHM_BASE_HIGH = 0x0bc,
    REG_QUEUE_RESET = 0x0c0,
    REG_CONFIG_GENERATION = 0x0fc, REG_CONFIG = 0x100,
};

#define VIRTIO_MMIO_MAGIC   0x74726976u      /* "virt" */
#define VIRTIO_MMIO_VERSION 2
#define VESSEL_VENDOR_ID    0x4c535356u      /* "VSSL" */
#define CONFIG_MAX          (0x1000 - REG_CONFIG)

#define ISR_USED   1u
#define ISR_CONFIG 2u

/* ---- interrupts ---- */

static void update_irq_locked(struct virtio_dev *vdev)
{
    bool level = vdev->isr != 0;
    if (level != vdev->irq_level && !atomic_load(&vdev->detached)) {
        vdev->irq_level = level;
        vm_set_irq(vdev->vm, vdev->irq, level);
    }
}

void virtio_raise_isr(struct virtio_dev *vdev, uint32_t bits)
{
    pthread_mutex_lock(&vdev->irq_lock);
    vdev->isr |= bits;
    update_irq_locked(vdev);
    pthread_mutex_unlock(&vdev->irq_lock);
}

static void ack_isr(struct virtio_dev *vdev, uint32_t bits)
{
    pthread_mutex_lock(&vdev->irq_lock);
    vdev->isr &= ~bits;
    update_irq_locked(vdev);
    pthread_mutex_unlock(&vdev->irq_lock);
}

/* ---- the worker ---- */

static void wake_worker(struct virtio_dev *vdev)
{
    uint64_t one = 1;
    if (write(vdev->wake_fd, &one, sizeof one) < 0) {
        /* counter saturated: the worker is awake anyway */
    }
}

void virtio_dev_schedule(struct virtio_dev *vdev, unsigned q)
{
    if (q >= vdev->ops->num_queues)
        return;
    atomic_fetch_or(&vdev->pending, 1ULL << q);
    wake_worker(vdev);
}

static void *worker_main(void *arg)
{
    struct virtio_dev *vdev = arg;
    for (;;) {
        uint64_t v;
        if (read(vdev->wake_fd, &v, sizeof v) < 0 && errno != EINTR && errno != EAGAIN)
            break;
        pthread_mutex_lock(&vdev->lock);
        while (vdev->quiesce && !vdev->stop)
            pthread_cond_wait(&vdev->idle_cond, &vdev->lock);
        if (vdev->stop) {
            pthread_mutex_unlock(&vdev->lock);
            break;
        }
        if (!(atomic_load(&vdev->status) & VIRTIO_STATUS_DRIVER_OK) ||
            atomic_load(&vdev->broken)) {
            /* Keep the bits: DRIVER_OK wakes us again. */
            pthread_mutex_unlock(&vdev->lock);
            continue;
        }
        uint64_t bits = atomic_exchange(&vdev->pending, 0);
        vdev->busy = true;
        pthread_mutex_unlock(&vdev->lock);

        for (unsigned q = 0; bits && q < vdev->ops->num_queues; q++, bits >>= 1)
            if ((bits & 1) && vdev->ops->queue_notify)
                vdev->ops->queue_notify(vdev, q);

        pthread_mutex_lock(&vdev->lock);
        vdev->busy = false;
        pthread_cond_broadcast(&vdev->idle_cond);
        pthread_mutex_unlock(&vdev->lock);
    }
    return NULL;
}

/* With vdev->lock held: wait until the worker is between batches and keep
 * it there until resume_worker(). */
static void quiesce_worker(struct virtio_dev *vdev)
{
    vdev->quiesce = true;
    while (vdev->busy)
        pthread_cond_wait(&vdev->idle_cond, &vdev->lock);
}

static void resume_worker(struct virtio_dev *vdev)
{
    vdev->quiesce = false;
    pthread_cond_broadcast(&vdev->idle_cond);
}

/* QueueNotify: let the device finish what needs no waiting on this vCPU.
 * Holding vdev->lock keeps resets and queue changes out meanwhile; if
 * another vCPU or a reset holds it, the worker takes the notification. */
static bool notify_on_vcpu(struct virtio_dev *vdev, unsigned q)
{
    if (!vdev->ops->queue_notify_vcpu || q >= vdev->ops->num_queues ||
        pthread_mutex_trylock(&vdev->lock) != 0)
        return false;
    bool done = false;
    if (!vdev->quiesce && !vdev->busy && !atomic_load(&vdev->broken) &&
        (atomic_load(&vdev->status) & VIRTIO_STATUS_DRIVER_OK))
        done = vdev->ops->queue_notify_vcpu(vdev, q);
    pthread_mutex_unlock(&vdev->lock);
    return done;
}

/* ---- reset and status ---- */

/* vdev->lock held. */
static void device_reset(struct virtio_dev *vdev)
{
    quiesce_worker(vdev);
    if (vdev->ops->reset)
        vdev->ops->reset(vdev);
    for (unsigned q = 0; q < vdev->ops->num_queues; q++)
        virtq_reset(&vdev->vqs[q]);
    atomic_store(&vdev->pending, 0);
    atomic_store(&vdev->status, 0);
    atomic_store(&vdev->broken, false);
    atomic_store(&vdev->features, 0);
    vdev->driver_features = 0;
    vdev->dev_features_sel = vdev->drv_features_sel = vdev->queue_sel = 0;
    pthread_mutex_lock(&vdev->irq_lock);
    vdev->isr = 0;
    update_irq_locked(vdev);
    pthread_mutex_unlock(&vdev->irq_lock);
    resume_worker(vdev);
}

void virtio_dev_set_broken(struct virtio_dev *vdev, const char *why)
{
    if (atomic_exchange(&vdev->broken, true))
        return;
    /* Status and interrupt change together: a driver that sees one on an
     * interrupt sees the other. */
    pthread_mutex_lock(&vdev->irq_lock);
    uint32_t st = atomic_fetch_or(&vdev->status, VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    if (st & VIRTIO_STATUS_DRIVER_OK) {
        vdev->isr |= ISR_CONFIG;
        update_irq_locked(vdev);
    }
    pthread_mutex_unlock(&vdev->irq_lock);
    /* A guest can break and reset a device in a loop: report a few. */
    if (atomic_fetch_add(&vdev->broken_reports, 1) < 3)
        fprintf(stderr, "vessel: %s at 0x%llx: guest error: %s; device needs reset\n",
                vdev->ops->name, (unsigned long long)vdev->base, why ? why : "?");
}

bool virtio_dev_is_broken(struct virtio_dev *vdev)
{
    return atomic_load(&vdev->broken);
}

/* Accept a driver's status write if it is a legal step (spec 3.1.1):
 * bits are only added, in order; FEATURES_OK only if we accept the
 * features; anything else leaves the status as it was. */
static void write_status(struct virtio_dev *vdev, uint32_t val)
{
    if (val == 0) {
        device_reset(vdev);
        return;
    }
    uint32_t old = atomic_load(&vdev->status);
    uint32_t keep = old & VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    val &= 0xff & ~VIRTIO_STATUS_DEVICE_NEEDS_RESET;
    if ((old & ~keep) & ~val)
        return;                                  /* clearing bits needs a reset */
    uint32_t added = val & ~old;
    if (added & VIRTIO_STATUS_DRIVER && !(val & VIRTIO_STATUS_ACKNOWLEDGE))
        return;
    if (added & VIRTIO_STATUS_FEATURES_OK) {
        uint64_t f = vdev->driver_features;
        bool ok = (val & VIRTIO_STATUS_DRIVER) && !(f & ~vdev->device_features) &&
                  (f & VIRTIO_BIT(VIRTIO_F_VERSION_1));
        if (ok && vdev->ops->features_ok)
            ok = vdev->ops->features_ok(vdev, f);
        if (!ok)
            val &= ~(uint32_t)VIRTIO_STATUS_FEATURES_OK;   /* driver reads it back */
        else
            atomic_store(&vdev->features, f);
    }
    if (added & VIRTIO_STATUS_DRIVER_OK && !(val & VIRTIO_STATUS_FEATURES_OK))
        return;
    atomic_store(&vdev->status, val | (atomic_load(&vdev->status) & keep));
    if (added & VIRTIO_STATUS_DRIVER_OK) {
        if (vdev->ops->driver_ok)
            vdev->ops->driver_ok(vdev);
        wake_worker(vdev);        /* notifications that came early */
    }
}

/* ---- queue registers ---- */

static struct virtq *selected(struct virtio_dev *vdev)
{
    return vdev->queue_sel < vdev->ops->num_queues ? &vdev->vqs[vdev->queue_sel] : NULL;
}

static void set_addr_half(uint64_t *addr, bool high, uint32_t val)
{
    if (high)
        *addr = (*addr & 0xffffffffULL) | (uint64_t)val << 32;
    else
        *addr = (*addr & ~0xffffffffULL) | val;
}

static void write_queue_reg(struct virtio_dev *vdev, uint64_t off, uint32_t val)
{
    struct virtq *vq = selected(vdev);
    if (!vq)
        return;
    if (off == REG_QUEUE_READY) {
        if ((val & 1) && !vq->ready) {
            /* Queues go live while the driver sets up, before DRIVER_OK. */
            uint32_t st = atomic_load(&vdev->status);
            const char *why = "queue enabled before FEATURES_OK";
            if (!(st & VIRTIO_STATUS_FEATURES_OK) ||
                !virtq_start(vq, atomic_load(&vdev->features), &why)) {
                virtio_dev_set_broken(vdev, why);
                return;
            }
            vq->ready = true;
        } else if (!(val & 1) && vq->ready) {
            /* Disabling one live queue: stop the worker while it goes. */
            quiesce_worker(vdev);
            uint16_t num = vq->num;
            virtq_reset(vq);
            vq->num = num;
            resume_worker(vdev);
        }
        return;
    }
    if (vq->ready)
        return;          /* the spec forbids changing a live queue: ignore */
    switch (off) {
    case REG_QUEUE_NUM:         vq->num = val > 0xffff ? 0 : (uint16_t)val; break;
    case REG_QUEUE_DESC_LOW:    set_addr_half(&vq->desc_gpa, false, val); break;
    case REG_QUEUE_DESC_HIGH:   set_addr_half(&vq->desc_gpa, true, val); break;
    case REG_QUEUE_DRIVER_LOW:  set_addr_half(&vq->avail_gpa, false, val); break;
    case REG_QUEUE_DRIVER_HIGH: set_addr_half(&vq->avail_gpa, true, val); break;
    case REG_QUEUE_DEVICE_LOW:  set_addr_half(&vq->used_gpa, false, val); break;
    case REG_QUEUE_DEVICE_HIGH: set_addr_half(&vq->used_gpa, true, val); break;
    }
}

/* ---- config space ---- */

void virtio_config_read(struct virtio_dev *vdev, uint32_t off, void *buf, unsigned len)
{
    pthread_mutex_lock(&vdev->config_lock);
    if (off <= vdev->ops->config_size && len <= vdev->ops->config_size - off)
        memcpy(buf, vdev->config + off, len);
    else
        memset(buf, 0, len);
    pthread_mutex_unlock(&vdev->config_lock);
}

void virtio_config_update(struct virtio_dev *vdev, uint32_t off, const void *buf,
                          unsigned len, bool notify)
{
    pthread_mutex_lock(&vdev->config_lock);
    if (off <= vdev->ops->config_size && len <= vdev->ops->config_size - off) {
        memcpy(vdev->config + off, buf, len);
        atomic_fetch_add(&vdev->config_generation, 1);
    }
    pthread_mutex_unlock(&vdev->config_lock);
    if (notify && (atomic_load(&vdev->status) & VIRTIO_STATUS_DRIVER_OK))
        virtio_raise_isr(vdev, ISR_CONFIG);
}

static bool config_access(struct virtio_dev *vdev, uint64_t off, unsigned size,
                          uint64_t *val, bool write)
{
    uint32_t coff = (uint32_t)(off - REG_CONFIG);
    if (coff >= vdev->ops->config_size || size > vdev->ops->config_size - coff) {
        if (!write)
            *val = 0;                    /* beyond the device's config: RAZ/WI */
        return true;
    }
    uint8_t bytes[8];
    if (!write) {
        virtio_config_read(vdev, coff, bytes, size);
        uint64_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= (uint64_t)bytes[i] << (8 * i);
        *val = v;
        return true;
    }
    if (!vdev->ops->config_write)
        return true;
    for (unsigned i = 0; i < size; i++)
        bytes[i] = (uint8_t)(*val >> (8 * i));
    vdev->ops->config_write(vdev, coff, bytes, size);
    return true;
}

/* ---- MMIO ---- */

static bool mmio_read(void *opaque, uint64_t off, unsigned size, uint64_t *val)
{
    struct virtio_dev *vdev = opaque;
    if (off >= REG_CONFIG)
        return config_access(vdev, off, size, val, false);
    if (size != 4)
        return false;                    /* registers are 32-bit only */
    pthread_mutex_lock(&vdev->lock);
    struct virtq *vq = selected(vdev);
    uint64_t v = 0;
    switch (off) {
    case REG_MAGIC:     v = VIRTIO_MMIO_MAGIC; break;
    case REG_VERSION:   v = VIRTIO_MMIO_VERSION; break;
    case REG_DEVICE_ID: v = vdev->ops->device_id; break;
    case REG_VENDOR_ID: v = VESSEL_VENDOR_ID; break;
    case REG_DEVICE_FEATURES:
        v = vdev->dev_features_sel == 0 ? (uint32_t)vdev->device_features
          : vdev->dev_features_sel == 1 ? (uint32_t)(vdev->device_features >> 32) : 0;
        break;
    case REG_QUEUE_NUM_MAX: v = vq ? vdev->ops->queue_max : 0; break;
    case REG_QUEUE_READY:   v = vq ? vq->ready : 0; break;
    case REG_INTERRUPT_STATUS:
        pthread_mutex_lock(&vdev->irq_lock);
        v = vdev->isr;
        pthread_mutex_unlock(&vdev->irq_lock);
        break;
    case REG_STATUS:        v = atomic_load(&vdev->status); break;
    case REG_SHM_LEN_LOW: case REG_SHM_LEN_HIGH:
        v = 0xffffffffu;                 /* no shared memory regions */
        break;
    case REG_SHM_BASE_LOW: case REG_SHM_BASE_HIGH:
        v = 0xffffffffu;
        break;
    case REG_CONFIG_GENERATION: v = atomic_load(&vdev->config_generation); break;
    default: v = 0; break;               /* write-only and reserved: read 0 */
    }
    pthread_mutex_unlock(&vdev->lock);
    *val = v;
    return true;
}

static bool mmio_write(void *opaque, uint64_t off, unsigned size, uint64_t val64)
{
    struct virtio_dev *vdev = opaque;
    if (off >= REG_CONFIG)
        return config_access(vdev, off, size, &val64, true);
    if (size != 4)
        return false;
    uint32_t val = (uint32_t)val64;
    if (off == REG_QUEUE_NOTIFY) {
        /* The worker does the I/O, unless the device finishes it here. */
        if (!notify_on_vcpu(vdev, val & 0xffff))
            virtio_dev_schedule(vdev, val & 0xffff);
        return true;
    }
    if (off == REG_INTERRUPT_ACK) {
        ack_isr(vdev, val);
        return true;
    }
    pthread_mutex_lock(&vdev->lock);
    uint32_t st = atomic_load(&vdev->status);
    /* Features may change only between DRIVER and FEATURES_OK. */
    bool negotiating = (st & VIRTIO_STATUS_DRIVER) && !(st & VIRTIO_STATUS_FEATURES_OK);
    switch (off) {
    case REG_DEVICE_FEATURES_SEL: vdev->dev_features_sel = val; break;
    case REG_DRIVER_FEATURES_SEL: vdev->drv_features_sel = val; break;
    case REG_DRIVER_FEATURES:
        if (negotiating && vdev->drv_features_sel < 2)
            set_addr_half(&vdev->driver_features, vdev->drv_features_sel == 1, val);
        break;
    case REG_QUEUE_SEL:           vdev->queue_sel = val; break;
    case REG_STATUS:              write_status(vdev, val & 0xff); break;
    case REG_QUEUE_NUM: case REG_QUEUE_READY:
    case REG_QUEUE_DESC_LOW: case REG_QUEUE_DESC_HIGH:
    case REG_QUEUE_DRIVER_LOW: case REG_QUEUE_DRIVER_HIGH:
    case REG_QUEUE_DEVICE_LOW: case REG_QUEUE_DEVICE_HIGH:
        write_queue_reg(vdev, off, val);
        break;
    default: break;                      /* read-only and reserved: ignore */
    }
    pthread_mutex_unlock(&vdev->lock);
    return true;
}

/* ---- life ---- */

static void dev_free(struct virtio_dev *vdev)
{
    if (vdev->wake_fd >= 0)
        close(vdev->wake_fd);
    for (unsigned q = 0; q < vdev->nqueues; q++)    /* ops may be freed by now */
        virtq_fini(&vdev->vqs[q]);
    pthread_mutex_destroy(&vdev->lock);
    pthread_mutex_destroy(&vdev->irq_lock);
    pthread_mutex_destroy(&vdev->config_lock);
    pthread_cond_destroy(&vdev->idle_cond);
    free(vdev->config);
    free(vdev);
}

static void mmio_destroy(void *opaque)
{
    struct virtio_dev *vdev = opaque;
    /* The PLIC may already be gone: raise nothing from here on. */
    atomic_store(&vdev->detached, true);
    pthread_mutex_lock(&vdev->lock);
    vdev->stop = true;
    pthread_cond_broadcast(&vdev->idle_cond);
    pthread_mutex_unlock(&vdev->lock);
    wake_worker(vdev);
    if (vdev->thread_started)
        pthread_join(vdev->thread, NULL);
    /* Finish requests in flight (blk completions write guest RAM). */
    if (vdev->ops->reset)
        vdev->ops->reset(vdev);
    for (unsigned q = 0; q < vdev->ops->num_queues; q++)
        virtq_reset(&vdev->vqs[q]);
    if (vdev->ops->destroy)
        vdev->ops->destroy(vdev);
    dev_free(vdev);
}

static const struct dev_ops virtio_mmio_ops_template = {
    .name = "virtio-mmio",
    .read = mmio_read,
    .write = mmio_write,
    .destroy = mmio_destroy,
};

struct virtio_dev *virtio_dev_create(struct vm *vm, const struct virtio_device_ops *ops,
                                     void *opaque, const void *config,
                                     char *err, size_t errlen)
{
    if (!ops->num_queues || ops->num_queues > VIRTIO_MAX_QUEUES ||
        !ops->queue_max || (ops->queue_max & (ops->queue_max - 1)) ||
        ops->config_size > CONFIG_MAX) {
        snprintf(err, errlen, "%s: invalid virtio device description", ops->name);
        return NULL;
    }
    struct virtio_dev *vdev = calloc(1, sizeof *vdev + ops->num_queues * sizeof(struct virtq));
    if (!vdev) {
        snprintf(err, errlen, "%s: out of memory", ops->name);
        return NULL;
    }
    vdev->vm = vm;
    vdev->ops = ops;
    vdev->nqueues = ops->num_queues;
    vdev->opaque = opaque;
    vdev->wake_fd = -1;
    /* Bits 24..49 are the transport's (spec 6); the device offers the rest. */
    uint64_t transport_bits = ((1ULL << 50) - 1) & ~((1ULL << 24) - 1);
    vdev->device_features = (ops->features & ~transport_bits) | VIRTIO_BIT(VIRTIO_F_VERSION_1) |
                            VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
    pthread_mutex_init(&vdev->lock, NULL);
    pthread_mutex_init(&vdev->irq_lock, NULL);
    pthread_mutex_init(&vdev->config_lock, NULL);
    pthread_cond_init(&vdev->idle_cond, NULL);
    for (unsigned q = 0; q < ops->num_queues; q++)
        virtq_init(&vdev->vqs[q], vdev, q);
    vdev->config = calloc(1, ops->config_size ? ops->config_size : 1);
    vdev->wake_fd = eventfd(0, EFD_CLOEXEC);
    if (!vdev->config || vdev->wake_fd < 0) {
        snprintf(err, errlen, "%s: %s", ops->name,
                 vdev->wake_fd < 0 ? strerror(errno) : "out of memory");
        dev_free(vdev);
        return NULL;
    }
    if (config)
        memcpy(vdev->config, config, ops->config_size);

    if (vm_virtio_slot_alloc(vm, &vdev->base, &vdev->irq) < 0) {
        snprintf(err, errlen, "%s: all %d virtio-mmio slots are taken", ops->name,
                 VIRT_VIRTIO_COUNT);
        dev_free(vdev);
        return NULL;
    }
    int rc = pthread_create(&vdev->thread, NULL, worker_main, vdev);
    if (rc) {
        snprintf(err, errlen, "%s: cannot start its I/O thread: %s", ops->name, strerror(rc));
        dev_free(vdev);
        return NULL;
    }
    vdev->thread_started = true;
    if (vm_add_mmio(vm, vdev->base, VIRT_VIRTIO_SIZE, &virtio_mmio_ops_template, vdev) < 0) {
        snprintf(err, errlen, "%s: cannot map at 0x%llx", ops->name,
                 (unsigned long long)vdev->base);
        pthread_mutex_lock(&vdev->lock);
        vdev->stop = true;
        pthread_mutex_unlock(&vdev->lock);
        wake_worker(vdev);
        pthread_join(vdev->thread, NULL);
        dev_free(vdev);
        return NULL;
    }
    return vdev;
}

void *virtio_dev_opaque(struct virtio_dev *vdev) { return vdev->opaque; }
struct vm *virtio_dev_vm(struct virtio_dev *vdev) { return vdev->vm; }
unsigned virtio_dev_irq(struct virtio_dev *vdev) { return vdev->irq; }
uint64_t virtio_dev_base(struct virtio_dev *vdev) { return vdev->base; }
uint64_t virtio_dev_features(struct virtio_dev *vdev) { return atomic_load(&vdev->features); }

struct virtq *virtio_dev_queue(struct virtio_dev *vdev, unsigned q)
{
    return q < vdev->ops->num_queues ? &vdev->vqs[q] : NULL;
}
