/* Unit test: the virtio-mmio transport and split virtqueues, driven through
 * the registers of a virtio-rng device in a real VM (no harts running):
 * identity, feature negotiation, the status machine, queue setup, used
 * buffers, interrupts and their suppression (flags, EVENT_IDX), indirect
 * descriptors, early notifications, reset, and protocol violations. */
#include "virtio_harness.h"

#define PLIC_PENDING (VIRT_PLIC_BASE + 0x1000)

static bool irq_pending(struct vm *vm, unsigned irq)
{
    uint64_t v = 0;
    CHECK(vm_mmio_read(vm, PLIC_PENDING + 4 * (irq / 32), 4, &v));
    return (v >> (irq % 32)) & 1;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void test_identity(struct h_dev *d)
{
    CHECK_EQ(h_rd(d, 0x000), 0x74726976);
    CHECK_EQ(h_rd(d, 0x004), 2);
    CHECK_EQ(h_rd(d, 0x008), VIRTIO_ID_RNG);
    CHECK_EQ(h_rd(d, 0x00c), 0x4c535356);
    uint64_t f = h_device_features(d);
    CHECK(f & VIRTIO_BIT(VIRTIO_F_VERSION_1));
    CHECK(f & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
    CHECK(f & VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
    CHECK(!(f & VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM)));
    CHECK(!(f & VIRTIO_BIT(VIRTIO_F_RING_PACKED)));
    h_wr(d, 0x014, 2);                       /* no third word */
    CHECK_EQ(h_rd(d, 0x010), 0);
    h_wr(d, 0x030, 0);
    CHECK_EQ(h_rd(d, 0x034), 64);            /* QueueNumMax */
    h_wr(d, 0x030, 1);                       /* no queue 1 */
    CHECK_EQ(h_rd(d, 0x034), 0);
    CHECK_EQ(h_rd(d, 0x0b0), 0xffffffff);    /* no shared memory region */
    CHECK_EQ(h_rd(d, 0x0b4), 0xffffffff);
    /* Registers are 32-bit: other widths fault. */
    uint64_t v;
    CHECK(!vm_mmio_read(d->vm, d->base + 0x000, 2, &v));
    CHECK(!vm_mmio_write(d->vm, d->base + 0x070, 1, 1));
    /* Config space beyond the device's (rng has none) reads 0. */
    CHECK(vm_mmio_read(d->vm, d->base + 0x100, 1, &v));
    CHECK_EQ(v, 0);
}

static void test_negotiation(struct h_dev *d)
{
    uint64_t offered = h_device_features(d);
    /* Without VERSION_1: refused (no legacy interface). */
    CHECK(!(h_negotiate(d, offered & ~VIRTIO_BIT(VIRTIO_F_VERSION_1)) &
            VIRTIO_STATUS_FEATURES_OK));
    /* A feature not offered: refused. */
    CHECK(!(h_negotiate(d, offered | VIRTIO_BIT(VIRTIO_F_ACCESS_PLATFORM)) &
            VIRTIO_STATUS_FEATURES_OK));
    CHECK(!(h_negotiate(d, offered | 1) & VIRTIO_STATUS_FEATURES_OK));
    /* Good set accepted. */
    CHECK(h_negotiate(d, offered) & VIRTIO_STATUS_FEATURES_OK);
    /* Features are frozen after FEATURES_OK. */
    h_wr(d, 0x024, 0);
    h_wr(d, 0x020, 0);
    h_wr(d, 0x070, 0x0f);
    CHECK_EQ(h_rd(d, 0x070), 0x0f);

    /* Illegal steps are ignored: clearing bits, DRIVER_OK before FEATURES_OK,
     * DRIVER without ACKNOWLEDGE. */
    h_wr(d, 0x070, 0x03);
    CHECK_EQ(h_rd(d, 0x070), 0x0f);
    h_wr(d, 0x070, 0);
    CHECK_EQ(h_rd(d, 0x070), 0);
    h_wr(d, 0x070, VIRTIO_STATUS_DRIVER);
    CHECK_EQ(h_rd(d, 0x070), 0);
    h_wr(d, 0x070, 1);
    h_wr(d, 0x070, 1 | 2 | 4);
    CHECK_EQ(h_rd(d, 0x070), 1);
    /* FAILED may be set at any time. */
    h_wr(d, 0x070, 1 | 128);
    CHECK_EQ(h_rd(d, 0x070), 1 | 128);
    h_wr(d, 0x070, 0);
}

/* One random-bytes request of n bytes; returns the used length. */
static uint32_t rng_request(struct h_dev *d, uint64_t buf, uint32_t n, bool expect)
{
    struct h_buf b = { buf, n, true };
    uint16_t head = h_add(d, 0, &b, 1);
    h_kick(d, 0);
    uint32_t id = 0xffff, len = 0;
    bool got = h_wait_used(d, 0, &id, &len);
    CHECK_EQ(got, expect);
    if (got)
        CHECK_EQ(id, head);
    return len;
}

int main(void)
{
    static const char *const specs[] = { "rng", "", NULL };
    struct vm *vm = h_vm_create(specs);
    CHECK(vm != NULL);
    if (!vm)
        CHECK_DONE();
    struct h_dev d;
    CHECK(h_find(&d, vm, VIRTIO_ID_RNG, 0));
    unsigned irq = VIRT_VIRTIO_IRQ + (unsigned)((d.base - VIRT_VIRTIO_BASE) / VIRT_VIRTIO_SIZE);
    test_identity(&d);
    test_negotiation(&d);

    /* ---- a plain request, interrupt raised and acknowledged ---- */
    CHECK(h_init(&d, VIRTIO_BIT(VIRTIO_F_EVENT_IDX), 1, 8));
    CHECK_EQ(h_rd(&d, 0x070), 0x0f);
    uint64_t buf = h_alloc(&d, 4096, 8);
    CHECK_EQ(rng_request(&d, buf, 64, true), 64);
    CHECK(!all_zero(h_ptr(&d, buf, 64), 64));
    CHECK(all_zero(h_ptr(&d, buf + 64, 64), 64));      /* nothing past the buffer */
    CHECK_EQ(h_rd(&d, 0x060), 1);
    CHECK(irq_pending(vm, irq));
    h_wr(&d, 0x064, 1);
    CHECK_EQ(h_rd(&d, 0x060), 0);
    CHECK(!irq_pending(vm, irq));

    /* Queue registers cannot change a live queue. */
    h_wr(&d, 0x030, 0);
    h_wr(&d, 0x038, 4);
    h_wr(&d, 0x080, 0);
    CHECK_EQ(h_rd(&d, 0x044), 1);
    CHECK_EQ(rng_request(&d, buf, 16, true), 16);
    h_wr(&d, 0x064, 1);

    /* Requests bigger than the per-request cap are served partially. */
    uint64_t big = h_alloc(&d, 128 * 1024, 8);
    CHECK_EQ(rng_request(&d, big, 128 * 1024, true), 64 * 1024);
    h_wr(&d, 0x064, 1);

    /* A chain of several buffers: readable part first is fine for rng
     * (ignored), written bytes count only the writable part. */
    struct h_buf chain[3] = { { buf, 8, false }, { buf + 100, 10, true }, { buf + 200, 20, true } };
    h_add(&d, 0, chain, 3);
    h_kick(&d, 0);
    uint32_t id, len;
    CHECK(h_wait_used(&d, 0, &id, &len));
    CHECK_EQ(len, 30);
    h_wr(&d, 0x064, 1);

    /* Indirect descriptors: a table of two writable buffers. */
    uint64_t table = h_alloc(&d, 32, 16);
    uint8_t *t = h_ptr(&d, table, 32);
    virtio_put_le64(t, buf + 300); virtio_put_le32(t + 8, 7);
    virtio_put_le16(t + 12, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT); virtio_put_le16(t + 14, 1);
    virtio_put_le64(t + 16, buf + 400); virtio_put_le32(t + 24, 9);
    virtio_put_le16(t + 28, VIRTQ_DESC_F_WRITE); virtio_put_le16(t + 30, 0);
    struct h_buf ind = { table, 32, false };
    uint16_t head = h_add(&d, 0, &ind, 1);
    h_desc(&d, 0, head, table, 32, VIRTQ_DESC_F_INDIRECT, 0);
    h_kick(&d, 0);
    CHECK(h_wait_used(&d, 0, &id, &len));
    CHECK_EQ(id, head);
    CHECK_EQ(len, 16);
    CHECK(!all_zero(h_ptr(&d, buf + 400, 9), 9));
    h_wr(&d, 0x064, 1);

    /* VRING_AVAIL_F_NO_INTERRUPT (no EVENT_IDX): used, but no interrupt. */
    uint8_t *avail = h_ptr(&d, d.q[0].avail, 4);
    virtio_put_le16(avail, 1);
    CHECK_EQ(rng_request(&d, buf, 8, true), 8);
    CHECK_EQ(h_rd(&d, 0x060), 0);
    CHECK(!irq_pending(vm, irq));
    virtio_put_le16(avail, 0);

    /* Reset: status 0, queues not ready, interrupt low. */
    h_wr(&d, 0x070, 0);
    CHECK_EQ(h_rd(&d, 0x070), 0);
    h_wr(&d, 0x030, 0);
    CHECK_EQ(h_rd(&d, 0x044), 0);
    CHECK_EQ(h_rd(&d, 0x060), 0);

    /* ---- EVENT_IDX: interrupt only when used idx passes used_event ---- */
    d.heap = H_HEAP + 0x10000;
    CHECK(h_init(&d, 0, 1, 8));
    buf = h_alloc(&d, 4096, 8);
    uint8_t *av = h_ptr(&d, d.q[0].avail, 6 + 2 * 8);
    virtio_put_le16(av + 4 + 2 * 8, 1);          /* used_event = 1: after 2 entries */
    CHECK_EQ(rng_request(&d, buf, 8, true), 8);
    CHECK_EQ(h_rd(&d, 0x060), 0);                 /* used idx 1: no interrupt */
    CHECK_EQ(rng_request(&d, buf, 8, true), 8);
    CHECK_EQ(h_rd(&d, 0x060), 1);                 /* used idx 2 passed 1 */
    h_wr(&d, 0x064, 1);
    /* avail_event: the device asks to be notified at the next buffer. */
    uint8_t *used = h_ptr(&d, d.q[0].used, 6 + 8 * 8);
    CHECK_EQ(virtio_le16(used + 4 + 8 * 8), 2);

    /* ---- notifications before DRIVER_OK are served after it ---- */
    h_wr(&d, 0x070, 0);
    d.heap = H_HEAP + 0x20000;
    uint64_t f = h_device_features(&d);
    CHECK(h_negotiate(&d, f) & VIRTIO_STATUS_FEATURES_OK);
    h_setup_queue(&d, 0, 8);
    buf = h_alloc(&d, 64, 8);
    struct h_buf early = { buf, 32, true };
    h_add(&d, 0, &early, 1);
    h_kick(&d, 0);
    h_sleep_ms(20);
    CHECK_EQ(h_used_idx(&d, 0), 0);
    h_driver_ok(&d);
    CHECK(h_wait_used(&d, 0, &id, &len));
    CHECK_EQ(len, 32);

    /* ---- protocol violations mark the device broken ---- */
    /* A head index beyond the queue. */
    h_wr(&d, 0x064, 3);
    h_avail_raw(&d, 0, 8, 1);
    h_kick(&d, 0);
    CHECK(h_wait_status(&d, VIRTIO_STATUS_DEVICE_NEEDS_RESET));
    CHECK(h_rd(&d, 0x060) & 2);                  /* config-change interrupt */
    CHECK(irq_pending(vm, irq));
    /* Broken: nothing more is processed, DRIVER_OK cannot be cleared... */
    h_wr(&d, 0x070, 0x0f);
    CHECK(h_rd(&d, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    /* ...until a reset, after which the device works again. */
    h_wr(&d, 0x070, 0);
    CHECK_EQ(h_rd(&d, 0x070), 0);
    CHECK(!irq_pending(vm, irq));
    d.heap = H_HEAP + 0x30000;
    CHECK(h_init(&d, 0, 1, 8));
    buf = h_alloc(&d, 64, 8);
    CHECK_EQ(rng_request(&d, buf, 16, true), 16);

    /* Invalid queue setup: size not a power of two, ring outside RAM. */
    h_wr(&d, 0x070, 0);
    CHECK(h_negotiate(&d, f) & VIRTIO_STATUS_FEATURES_OK);
    h_wr(&d, 0x030, 0);
    h_wr(&d, 0x038, 3);
    h_wr(&d, 0x080, 0x1000);
    h_wr(&d, 0x044, 1);
    CHECK_EQ(h_rd(&d, 0x044), 0);
    CHECK(h_rd(&d, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    h_wr(&d, 0x070, 0);
    CHECK(h_negotiate(&d, f) & VIRTIO_STATUS_FEATURES_OK);
    h_wr(&d, 0x030, 0);
    h_wr(&d, 0x038, 8);
    h_wr(&d, 0x080, 0x1000);                      /* below RAM */
    h_wr(&d, 0x090, 0x80200000);
    h_wr(&d, 0x0a0, 0x80300000);
    h_wr(&d, 0x044, 1);
    CHECK_EQ(h_rd(&d, 0x044), 0);
    CHECK(h_rd(&d, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET);
    h_wr(&d, 0x070, 0);

    vm_destroy(vm);
    CHECK_DONE();
}
