/*
 * virtio_impl.h — state shared by the virtio-mmio transport
 * (virtio_mmio.c) and the split virtqueue code (virtqueue.c).
 * Private to those two files: devices use virtio.h.
 *
 * Locks, outermost first:  vdev->lock (registers, status, worker hand-off)
 * -> vq->lock (one ring) -> vdev->irq_lock (ISR + PLIC line), and the leaf
 * vdev->config_lock.  Completion paths (virtq_push from any thread) take
 * only vq->lock and irq_lock, so a reset holding vdev->lock may wait for
 * them.
 */
#ifndef VESSEL_DEV_VIRTIO_IMPL_H
#define VESSEL_DEV_VIRTIO_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include "dev/virtio.h"

/* Ring layouts (spec 2.7): little-endian, natural alignment. */
struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY     1

struct virtq {
    struct virtio_dev *vdev;
    unsigned index;
    pthread_mutex_t lock;

    /* Set by the driver through the registers (under vdev->lock). */
    uint16_t num;                       /* QueueNum */
    uint64_t desc_gpa, avail_gpa, used_gpa;
    bool ready;                         /* QueueReady as the driver set it */

    /* Valid while live: host views of the rings, checked once when the
     * queue became ready (guest RAM never moves). */
    _Atomic bool live;
    struct vring_desc *desc;
    uint16_t *avail;                    /* flags, idx, ring[num], used_event */
    uint16_t *used;                     /* flags, idx, {u32 id, u32 len}[num], avail_event */
    bool event_idx, indirect;           /* negotiated */

    uint16_t last_avail;                /* next avail entry to pop */
    uint16_t used_idx;                  /* our copy of used->idx */
    uint16_t signalled_used;            /* used idx at the last interrupt */
    bool signalled_valid;
    uint32_t epoch;                     /* bumped at every reset */
};

struct virtio_dev {
    struct vm *vm;
    const struct virtio_device_ops *ops;    /* may live in the device's state */
    unsigned nqueues;
    void *opaque;
    uint64_t base;
    unsigned irq;

    pthread_mutex_t lock;
    pthread_cond_t idle_cond;           /* worker finished a batch */
    _Atomic uint32_t status;            /* atomic: set_broken ORs into it */
    uint32_t dev_features_sel, drv_features_sel, queue_sel;
    uint64_t device_features;           /* offered */
    uint64_t driver_features;           /* written by the driver */
    _Atomic uint64_t features;          /* accepted at FEATURES_OK */
    _Atomic bool broken;
    atomic_int broken_reports;

    pthread_mutex_t irq_lock;
    uint32_t isr;                       /* bit 0 used buffer, bit 1 config */
    bool irq_level;
    _Atomic bool detached;              /* VM going away: no more interrupts */

    pthread_mutex_t config_lock;
    uint8_t *config;
    _Atomic uint32_t config_generation;

    /* worker */
    pthread_t thread;
    bool thread_started;
    int wake_fd;                        /* eventfd */
    _Atomic uint64_t pending;           /* queues to run */
    bool busy, quiesce, stop;           /* under lock */

    struct virtq vqs[];
};

/* virtio_mmio.c */
void virtio_raise_isr(struct virtio_dev *vdev, uint32_t bits);

/* virtqueue.c */
void virtq_init(struct virtq *vq, struct virtio_dev *vdev, unsigned index);
void virtq_fini(struct virtq *vq);
/* QueueReady 1: check the layout and map the rings; false if invalid. */
bool virtq_start(struct virtq *vq, uint64_t features, const char **why);
/* Stop and forget the rings and the driver's settings (reset). */
void virtq_reset(struct virtq *vq);

#endif
