/*
 * virtio_harness.h — a real struct vm with a small RAM and no running
 * harts, and a tiny "guest driver" that programs a virtio-mmio device
 * through its registers and lays out split rings in guest RAM, so the
 * unit tests can act as a (well-behaved or hostile) guest.
 */
#ifndef VESSEL_TESTS_VIRTIO_HARNESS_H
#define VESSEL_TESTS_VIRTIO_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "dev/virtio.h"
#include "machine/check.h"
#include "machine/vm_impl.h"

#define H_RAM_SIZE (16ULL << 20)
#define H_HEAP     (VIRT_DRAM_BASE + 0x100000)     /* guest memory we hand out */

/* A VM with the given --device specs (type, args pairs), NULL-terminated. */
static inline struct vm *h_vm_create(const char *const *specs)
{
    char fw[] = "/tmp/vessel-virtio-fw-XXXXXX";
    int fd = mkstemp(fw);
    /* wfi; j .-4: if the VM runs, its hart sleeps. */
    if (fd < 0 || write(fd, "\x73\x00\x50\x10\x6f\xf0\xdf\xff", 8) != 8) {
        perror("firmware");
        exit(2);
    }
    close(fd);
    struct vm_config cfg;
    vm_config_init(&cfg);
    cfg.ram_size = H_RAM_SIZE;
    cfg.bios = fw;
    cfg.console_in = -1;
    cfg.console_out = -1;
    for (unsigned i = 0; specs && specs[2 * i]; i++) {
        cfg.devices[i].type = specs[2 * i];
        cfg.devices[i].args = specs[2 * i + 1];
        cfg.ndevices++;
    }
    char err[512];
    struct vm *vm = vm_create(&cfg, err, sizeof err);
    unlink(fw);
    if (!vm)
        fprintf(stderr, "vm_create: %s\n", err);
    return vm;
}

/* Like h_vm_create but expects failure; returns the message. */
static inline bool h_vm_create_fails(const char *type, const char *args, char *err, size_t n)
{
    char fw[] = "/tmp/vessel-virtio-fw-XXXXXX";
    int fd = mkstemp(fw);
    if (fd < 0 || write(fd, "\x73\x00\x50\x10", 4) != 4)
        exit(2);
    close(fd);
    struct vm_config cfg;
    vm_config_init(&cfg);
    cfg.ram_size = H_RAM_SIZE;
    cfg.bios = fw;
    cfg.console_in = cfg.console_out = -1;
    cfg.devices[0].type = type;
    cfg.devices[0].args = args;
    cfg.ndevices = 1;
    struct vm *vm = vm_create(&cfg, err, n);
    unlink(fw);
    if (vm) {
        vm_destroy(vm);
        return false;
    }
    return true;
}

/* ---- the guest driver ---- */

struct h_queue {
    unsigned num;
    uint64_t desc, avail, used;     /* guest-physical */
    uint16_t avail_idx;             /* driver's next avail idx */
    uint16_t last_used;
    unsigned next_desc;             /* bump allocation of descriptors */
};

struct h_dev {
    struct vm *vm;
    uint64_t base;
    uint64_t heap;                  /* next free guest address */
    struct h_queue q[VIRTIO_MAX_QUEUES];
};

static inline uint32_t h_rd(struct h_dev *d, uint64_t off)
{
    uint64_t v = 0;
    if (!vm_mmio_read(d->vm, d->base + off, 4, &v))
        return 0xdeadbeef;
    return (uint32_t)v;
}

static inline void h_wr(struct h_dev *d, uint64_t off, uint32_t v)
{
    CHECK(vm_mmio_write(d->vm, d->base + off, 4, v));
}

static inline void *h_ptr(struct h_dev *d, uint64_t gpa, uint64_t len)
{
    void *p = vm_guest_ptr(d->vm, gpa, len);
    if (!p) {
        fprintf(stderr, "harness: bad guest address 0x%llx\n", (unsigned long long)gpa);
        exit(2);
    }
    return p;
}

static inline uint64_t h_alloc(struct h_dev *d, uint64_t len, uint64_t align)
{
    d->heap = (d->heap + align - 1) & ~(align - 1);
    uint64_t a = d->heap;
    d->heap += len;
    if (d->heap > VIRT_DRAM_BASE + H_RAM_SIZE) {
        fprintf(stderr, "harness: out of guest memory\n");
        exit(2);
    }
    memset(h_ptr(d, a, len), 0, len);
    return a;
}

/* Find the virtio-mmio slot with this device ID. */
static inline bool h_find(struct h_dev *d, struct vm *vm, uint32_t device_id, unsigned nth)
{
    memset(d, 0, sizeof *d);
    d->vm = vm;
    d->heap = H_HEAP;
    for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
        d->base = VIRT_VIRTIO_BASE + i * VIRT_VIRTIO_SIZE;
        if (h_rd(d, 0x008) == device_id && nth-- == 0)
            return true;
    }
    return false;
}

/* The driver side of initialization (spec 3.1.1) up to FEATURES_OK.
 * Returns the status read back. */
static inline uint32_t h_negotiate(struct h_dev *d, uint64_t features)
{
    h_wr(d, 0x070, 0);
    h_wr(d, 0x070, VIRTIO_STATUS_ACKNOWLEDGE);
    h_wr(d, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    h_wr(d, 0x024, 0);
    h_wr(d, 0x020, (uint32_t)features);
    h_wr(d, 0x024, 1);
    h_wr(d, 0x020, (uint32_t)(features >> 32));
    h_wr(d, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    return h_rd(d, 0x070);
}

static inline uint64_t h_device_features(struct h_dev *d)
{
    h_wr(d, 0x014, 0);
    uint64_t lo = h_rd(d, 0x010);
    h_wr(d, 0x014, 1);
    return lo | (uint64_t)h_rd(d, 0x010) << 32;
}

static inline void h_setup_queue(struct h_dev *d, unsigned q, unsigned num)
{
    struct h_queue *hq = &d->q[q];
    memset(hq, 0, sizeof *hq);
    hq->num = num;
    hq->desc = h_alloc(d, 16ULL * num, 16);
    hq->avail = h_alloc(d, 6 + 2ULL * num, 2);
    hq->used = h_alloc(d, 6 + 8ULL * num, 4);
    h_wr(d, 0x030, q);
    h_wr(d, 0x038, num);
    h_wr(d, 0x080, (uint32_t)hq->desc);
    h_wr(d, 0x084, (uint32_t)(hq->desc >> 32));
    h_wr(d, 0x090, (uint32_t)hq->avail);
    h_wr(d, 0x094, (uint32_t)(hq->avail >> 32));
    h_wr(d, 0x0a0, (uint32_t)hq->used);
    h_wr(d, 0x0a4, (uint32_t)(hq->used >> 32));
    h_wr(d, 0x044, 1);
}

static inline void h_driver_ok(struct h_dev *d)
{
    h_wr(d, 0x070, h_rd(d, 0x070) | VIRTIO_STATUS_DRIVER_OK);
}

/* Full bring-up: negotiate everything offered except those in `drop`. */
static inline bool h_init(struct h_dev *d, uint64_t drop, unsigned nqueues, unsigned num)
{
    uint64_t f = h_device_features(d) & ~drop;
    if (!(h_negotiate(d, f) & VIRTIO_STATUS_FEATURES_OK))
        return false;
    for (unsigned q = 0; q < nqueues; q++)
        h_setup_queue(d, q, num);
    h_driver_ok(d);
    return true;
}

/* Write descriptor i of queue q. */
static inline void h_desc(struct h_dev *d, unsigned q, unsigned i, uint64_t addr,
                          uint32_t len, uint16_t flags, uint16_t next)
{
    uint8_t *p = h_ptr(d, d->q[q].desc + 16ULL * i, 16);
    virtio_put_le64(p, addr);
    virtio_put_le32(p + 8, len);
    virtio_put_le16(p + 12, flags);
    virtio_put_le16(p + 14, next);
}

/* A buffer of a chain the test builds: guest address, length, writable. */
struct h_buf {
    uint64_t addr;
    uint32_t len;
    bool write;
};

/* Put a chain of n buffers in free descriptors and make it available;
 * returns its head.  Does not notify. */
static inline uint16_t h_add(struct h_dev *d, unsigned q, const struct h_buf *b, unsigned n)
{
    struct h_queue *hq = &d->q[q];
    uint16_t head = (uint16_t)(hq->next_desc % hq->num);
    for (unsigned i = 0; i < n; i++) {
        unsigned idx = (hq->next_desc + i) % hq->num;
        h_desc(d, q, idx, b[i].addr, b[i].len,
               (uint16_t)((b[i].write ? VIRTQ_DESC_F_WRITE : 0) | (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
               (uint16_t)((idx + 1) % hq->num));
    }
    hq->next_desc += n;
    uint8_t *avail = h_ptr(d, hq->avail, 6 + 2ULL * hq->num);
    virtio_put_le16(avail + 4 + 2 * (hq->avail_idx % hq->num), head);
    __atomic_store_n((uint16_t *)(avail + 2), (uint16_t)(hq->avail_idx + 1), __ATOMIC_RELEASE);
    hq->avail_idx++;
    return head;
}

/* Put a raw avail entry (any value) and bump the idx by `bump`. */
static inline void h_avail_raw(struct h_dev *d, unsigned q, uint16_t head, uint16_t bump)
{
    struct h_queue *hq = &d->q[q];
    uint8_t *avail = h_ptr(d, hq->avail, 6 + 2ULL * hq->num);
    virtio_put_le16(avail + 4 + 2 * (hq->avail_idx % hq->num), head);
    hq->avail_idx = (uint16_t)(hq->avail_idx + bump);
    __atomic_store_n((uint16_t *)(avail + 2), hq->avail_idx, __ATOMIC_RELEASE);
}

static inline void h_kick(struct h_dev *d, unsigned q)
{
    h_wr(d, 0x050, q);
}

static inline uint16_t h_used_idx(struct h_dev *d, unsigned q)
{
    uint8_t *used = h_ptr(d, d->q[q].used + 2, 2);
    return __atomic_load_n((uint16_t *)used, __ATOMIC_ACQUIRE);
}

static inline void h_sleep_ms(unsigned ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* Wait (up to ~5 s) for the next used entry; returns false on timeout.
 * *id and *len receive it. */
static inline bool h_wait_used(struct h_dev *d, unsigned q, uint32_t *id, uint32_t *len)
{
    struct h_queue *hq = &d->q[q];
    for (int i = 0; i < 5000; i++) {
        if (h_used_idx(d, q) != hq->last_used) {
            uint8_t *e = h_ptr(d, hq->used + 4 + 8ULL * (hq->last_used % hq->num), 8);
            if (id)
                *id = virtio_le32(e);
            if (len)
                *len = virtio_le32(e + 4);
            hq->last_used++;
            return true;
        }
        h_sleep_ms(1);
    }
    return false;
}

/* Wait until a condition on the device status holds (broken devices). */
static inline bool h_wait_status(struct h_dev *d, uint32_t bits)
{
    for (int i = 0; i < 5000; i++) {
        if ((h_rd(d, 0x070) & bits) == bits)
            return true;
        h_sleep_ms(1);
    }
    return false;
}

#endif
