/* Unit test: the virtio-net device in a real VM, driven through its
 * registers by a test "driver", its backend a virtual switch on which the
 * test has its own port: identity and config, transmit (split headers,
 * offloads), mergeable receive, software segmentation for a guest
 * without TSO, back-pressure, the control queue, and a randomized storm
 * of malformed chains and headers (no crash, no access outside guest RAM:
 * run under ASan by `make check-asan`). */
#include <pthread.h>
#include "virtio_harness.h"
#include "net/net.h"
#include "net/offload.h"

#define RXQ 0
#define TXQ 1
#define CTRLQ 2
#define F_CSUM 0
#define F_GUEST_CSUM 1
#define F_CTRL_GUEST_OFFLOADS 2
#define F_MTU 3
#define F_MAC 5
#define F_GUEST_TSO4 7
#define F_GUEST_TSO6 8
#define F_GUEST_ECN 9
#define F_HOST_TSO4 11
#define F_HOST_TSO6 12
#define F_HOST_ECN 13
#define F_MRG_RXBUF 15
#define F_STATUS 16
#define F_CTRL_VQ 17
#define F_CTRL_RX 18
#define B(x) VIRTIO_BIT(x)

/* ---- the VM, its host loop on a thread ----------------------------------- */

static struct vm *make_vm(const char *net_args)
{
    /* wfi; j .-4: the hart sleeps, the host loop runs. */
    char fw[] = "/tmp/vessel-net-fw-XXXXXX";
    int fd = mkstemp(fw);
    if (fd < 0 || write(fd, "\x73\x00\x50\x10\x6f\xf0\xdf\xff", 8) != 8)
        exit(2);
    close(fd);
    struct vm_config cfg;
    vm_config_init(&cfg);
    cfg.ram_size = H_RAM_SIZE;
    cfg.bios = fw;
    cfg.console_in = cfg.console_out = -1;
    cfg.devices[0].type = "net";
    cfg.devices[0].args = net_args;
    cfg.ndevices = 1;
    char err[512];
    struct vm *vm = vm_create(&cfg, err, sizeof err);
    unlink(fw);
    if (!vm)
        fprintf(stderr, "vm_create: %s\n", err);
    return vm;
}

static void *run_vm(void *arg)
{
    vm_run(arg);
    return NULL;
}

/* ---- the test's own switch port ------------------------------------------ */

struct peer {
    struct net_backend *be;
    int got;
    struct net_hdr hdr;
    uint8_t frame[NET_FRAME_MAX];
    size_t len;
};

static bool peer_receive(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct peer *p = opaque;
    p->got++;
    p->hdr = *hdr;
    memcpy(p->frame, frame, len);
    p->len = len;
    return true;
}

static struct pollfd pfds[64];
static int npfds;
static int padd(void *ctx, int fd, short ev)
{
    (void)ctx;
    if (npfds == 64)
        return -1;
    pfds[npfds] = (struct pollfd){ .fd = fd, .events = ev };
    return npfds++;
}
static short prev(void *ctx, int i) { (void)ctx; return i >= 0 && i < npfds ? pfds[i].revents : 0; }

static void peer_pump(struct peer *p, int ms)
{
    struct net_poll np = { NULL, padd, prev };
    for (int t = 0; t < ms; t += 2) {
        npfds = 0;
        int timeout = 2;
        net_backend_prepare(p->be, &np, &timeout);
        poll(pfds, (nfds_t)npfds, 2);
        net_backend_dispatch(p->be, &np);
    }
}

/* Pump until the peer got `want` frames in total (or ~3 s). */
static bool peer_wait(struct peer *p, int want)
{
    for (int i = 0; i < 1500 && p->got < want; i++)
        peer_pump(p, 2);
    return p->got >= want;
}

static void peer_send(struct peer *p, const struct net_hdr *h, const uint8_t *f, size_t len)
{
    struct iovec iov = { (void *)f, len };
    net_backend_send(p->be, h, &iov, 1);
    peer_pump(p, 4);
}

/* ---- frames ----------------------------------------------------------------- */

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t peer_mac[6] = { 0x52, 0x54, 0x00, 0x00, 0x00, 0x02 };

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Ethernet + IPv4 + TCP with `payload` bytes; TCP checksum field holds
 * the pseudo-header sum (as a guest with checksum offload leaves it). */
static size_t tcp_frame(uint8_t *f, const uint8_t *dst, const uint8_t *src, size_t payload)
{
    memset(f, 0, 54);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    wr16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *tcp = f + 34;
    ip[0] = 0x45;
    wr16(ip + 2, (uint16_t)(40 + payload));
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
    wr16(ip + 10, (uint16_t)~net_csum_add(0, ip, 20));
    wr16(tcp, 1234);
    wr16(tcp + 2, 5678);
    tcp[12] = 0x50;
    tcp[13] = 0x18;
    wr16(tcp + 14, 65535);
    for (size_t i = 0; i < payload; i++)
        tcp[20 + i] = (uint8_t)(i * 13 + 1);
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0; ph[9] = 6;
    wr16(ph + 10, (uint16_t)(20 + payload));
    wr16(tcp + 16, net_csum_add(0, ph, 12));
    return 54 + payload;
}

static bool tcp_csum_ok(const uint8_t *f, size_t len)
{
    uint8_t ph[12];
    memcpy(ph, f + 26, 8);
    ph[8] = 0; ph[9] = 6;
    wr16(ph + 10, (uint16_t)(len - 34));
    return net_csum_add(net_csum_add(0, ph, 12), f + 34, len - 34) == 0xffff;
}

/* ---- driver helpers ------------------------------------------------------------ */

static uint64_t g_tx_buf, g_rx_buf, g_ctrl_buf;

/* Transmit hdr+frame, the 12-byte header split over two descriptors and
 * the frame over two more; wait for the device to consume it. */
static bool guest_send(struct h_dev *d, const uint8_t hdr[12], const uint8_t *f, size_t len)
{
    uint8_t *p = h_ptr(d, g_tx_buf, 12 + len);
    memcpy(p, hdr, 12);
    memcpy(p + 12, f, len);
    size_t half = len / 2;
    struct h_buf b[4] = {
        { g_tx_buf, 5, false }, { g_tx_buf + 5, 7, false },
        { g_tx_buf + 12, (uint32_t)half, false }, { g_tx_buf + 12 + half, (uint32_t)(len - half), false },
    };
    h_add(d, TXQ, b, 4);
    h_kick(d, TXQ);
    return h_wait_used(d, TXQ, NULL, NULL);
}

/* Post n receive buffers of size sz each (one descriptor each). */
static void post_rx(struct h_dev *d, unsigned n, uint32_t sz)
{
    for (unsigned i = 0; i < n; i++) {
        struct h_buf b = { g_rx_buf + (uint64_t)(d->q[RXQ].next_desc % d->q[RXQ].num) * 4096, sz, true };
        h_add(d, RXQ, &b, 1);
    }
    h_kick(d, RXQ);
}

static uint8_t *rx_buffer(struct h_dev *d, uint32_t id)
{
    return h_ptr(d, g_rx_buf + (uint64_t)id * 4096, 4096);
}

static uint8_t ctrl(struct h_dev *d, const uint8_t *cmd, size_t len)
{
    uint8_t *p = h_ptr(d, g_ctrl_buf, 4096);
    memcpy(p, cmd, len);
    p[len] = 0xee;
    struct h_buf b[2] = { { g_ctrl_buf, (uint32_t)len, false }, { g_ctrl_buf + len, 1, true } };
    h_add(d, CTRLQ, b, 2);
    h_kick(d, CTRLQ);
    uint32_t used_len = 0;
    if (!h_wait_used(d, CTRLQ, NULL, &used_len))
        return 0xff;
    CHECK_EQ(used_len, 1);
    return p[len];
}

static void bring_up(struct h_dev *d, uint64_t drop)
{
    if (!g_tx_buf) {
        g_tx_buf = h_alloc(d, 70000, 64);
        g_rx_buf = h_alloc(d, 256ULL * 4096, 64);
        g_ctrl_buf = h_alloc(d, 4096, 64);
    }
    CHECK(h_init(d, drop, 3, 256));
}

/* ---- tests --------------------------------------------------------------------- */

static void test_identity(struct h_dev *d)
{
    CHECK_EQ(h_rd(d, 0x008), VIRTIO_ID_NET);
    uint64_t f = h_device_features(d);
    uint64_t want = B(F_CSUM) | B(F_GUEST_CSUM) | B(F_MAC) | B(F_MTU) | B(F_GUEST_TSO4) |
                    B(F_GUEST_TSO6) | B(F_HOST_TSO4) | B(F_HOST_TSO6) | B(F_MRG_RXBUF) |
                    B(F_STATUS) | B(F_CTRL_VQ) | B(F_CTRL_RX) | B(F_CTRL_GUEST_OFFLOADS);
    CHECK_EQ(f & want, want);                             /* MTU: mtu= was given */
    CHECK(!(f & B(10)) && !(f & B(14)));                  /* no UFO */
    uint64_t v;
    for (int i = 0; i < 6; i++) {
        CHECK(vm_mmio_read(d->vm, d->base + 0x100 + i, 1, &v));
        CHECK_EQ(v, guest_mac[i]);
    }
    CHECK(vm_mmio_read(d->vm, d->base + 0x106, 2, &v));
    CHECK_EQ(v, 1);                                        /* LINK_UP */
    CHECK(vm_mmio_read(d->vm, d->base + 0x10a, 2, &v));
    CHECK_EQ(v, 1500);                                     /* mtu */
    /* Inconsistent feature sets are refused (spec 5.1.3.1). */
    uint64_t base = VIRTIO_BIT(VIRTIO_F_VERSION_1);
    CHECK(!(h_negotiate(d, base | B(F_GUEST_TSO4)) & VIRTIO_STATUS_FEATURES_OK));
    CHECK(!(h_negotiate(d, base | B(F_HOST_TSO4)) & VIRTIO_STATUS_FEATURES_OK));
    CHECK(!(h_negotiate(d, base | B(F_CTRL_RX)) & VIRTIO_STATUS_FEATURES_OK));
    CHECK(h_negotiate(d, base | B(F_CSUM) | B(F_HOST_TSO4)) & VIRTIO_STATUS_FEATURES_OK);
    h_wr(d, 0x070, 0);
}

static void test_tx(struct h_dev *d, struct peer *p)
{
    static uint8_t f[70000];
    uint8_t hdr[12] = { 0 };
    /* plain broadcast frame */
    memset(f, 0xff, 6);
    memcpy(f + 6, guest_mac, 6);
    wr16(f + 12, 0x88b5);
    for (int i = 14; i < 100; i++)
        f[i] = (uint8_t)i;
    int before = p->got;
    CHECK(guest_send(d, hdr, f, 100));
    CHECK(peer_wait(p, before + 1));
    CHECK_EQ(p->len, 100);
    CHECK(memcmp(p->frame, f, 100) == 0);
    CHECK_EQ(p->hdr.flags, 0);

    /* a 20000-byte TCP super-frame with checksum and TSO offload: over the
     * switch it travels as is (the receiving side finishes it) */
    size_t len = tcp_frame(f, peer_mac, guest_mac, 20000);
    hdr[0] = NET_HDR_F_NEEDS_CSUM;
    hdr[1] = NET_GSO_TCPV4;
    virtio_put_le16(hdr + 2, 54);
    virtio_put_le16(hdr + 4, 1448);
    virtio_put_le16(hdr + 6, 34);
    virtio_put_le16(hdr + 8, 16);
    before = p->got;
    CHECK(guest_send(d, hdr, f, len));
    CHECK(peer_wait(p, before + 1));
    CHECK_EQ(p->len, len);
    CHECK_EQ(p->hdr.gso_type, NET_GSO_TCPV4);
    CHECK_EQ(p->hdr.gso_size, 1448);
    CHECK_EQ(p->hdr.flags, NET_HDR_F_NEEDS_CSUM);
    CHECK(memcmp(p->frame, f, len) == 0);

    /* headers the driver may not send: dropped, never forwarded */
    before = p->got;
    memset(hdr, 0, 12);
    hdr[1] = 3;                                  /* UFO: not offered */
    CHECK(guest_send(d, hdr, f, len));
    hdr[1] = 0x42;                               /* no such type */
    CHECK(guest_send(d, hdr, f, len));
    hdr[1] = NET_GSO_TCPV4;                      /* gso_size 0 */
    CHECK(guest_send(d, hdr, f, len));
    memset(hdr, 0, 12);
    CHECK(guest_send(d, hdr, f, 8));             /* shorter than Ethernet */
    peer_pump(p, 50);
    CHECK_EQ(p->got, before);
}

static void test_rx_mergeable(struct h_dev *d, struct peer *p)
{
    static uint8_t f[70000];
    /* 1400 bytes into 512-byte buffers: 3 buffers, num_buffers = 3 */
    post_rx(d, 16, 512);
    memcpy(f, guest_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    wr16(f + 12, 0x88b5);
    for (int i = 14; i < 1400; i++)
        f[i] = (uint8_t)(i * 7);
    struct net_hdr none = { 0 };
    peer_send(p, &none, f, 1400);
    uint32_t id[3] = { 0 }, len[3] = { 0 };
    for (int i = 0; i < 3; i++)
        CHECK(h_wait_used(d, RXQ, &id[i], &len[i]));
    CHECK_EQ(len[0], 512);
    CHECK_EQ(len[1], 512);
    CHECK_EQ(len[2], 1400 + 12 - 1024);
    uint8_t *b0 = rx_buffer(d, id[0]);
    CHECK_EQ(virtio_le16(b0 + 10), 3);                     /* num_buffers */
    CHECK_EQ(b0[0], 0);
    CHECK_EQ(b0[1], 0);
    CHECK(memcmp(b0 + 12, f, 500) == 0);
    CHECK(memcmp(rx_buffer(d, id[1]), f + 500, 512) == 0);
    CHECK(memcmp(rx_buffer(d, id[2]), f + 1012, 388) == 0);

    /* a plain frame above the MTU (1500 + 14 + VLAN tag) is not delivered;
     * the next one is */
    h_wr(d, 0x070, 0);
    bring_up(d, 0);                              /* fresh rings, no buffers */
    post_rx(d, 1, 4096 - 64);
    uint16_t used = h_used_idx(d, RXQ);
    peer_send(p, &none, f, 1519);
    peer_send(p, &none, f, 1518);
    uint32_t lid = 0, llen = 0;
    CHECK(h_wait_used(d, RXQ, &lid, &llen));
    CHECK_EQ(llen, 1518 + 12);
    peer_pump(p, 20);
    CHECK_EQ((uint16_t)(h_used_idx(d, RXQ) - used), 1);

    /* a TSO super-frame to a guest that negotiated GUEST_TSO4: one frame */
    size_t flen = tcp_frame(f, guest_mac, peer_mac, 30000);
    struct net_hdr gso = { .flags = NET_HDR_F_NEEDS_CSUM, .gso_type = NET_GSO_TCPV4,
                           .hdr_len = 54, .gso_size = 1460, .csum_start = 34, .csum_offset = 16 };
    h_wr(d, 0x070, 0);
    bring_up(d, 0);
    post_rx(d, 32, 2048);
    peer_send(p, &gso, f, flen);
    uint32_t first_id = 0, first_len = 0;
    CHECK(h_wait_used(d, RXQ, &first_id, &first_len));
    uint8_t *h = rx_buffer(d, first_id);
    CHECK_EQ(h[0], NET_HDR_F_NEEDS_CSUM);
    CHECK_EQ(h[1], NET_GSO_TCPV4);
    CHECK_EQ(virtio_le16(h + 4), 1460);
    unsigned nbuf = virtio_le16(h + 10);
    CHECK_EQ(nbuf, (flen + 12 + 2047) / 2048);
    for (unsigned i = 1; i < nbuf; i++)
        CHECK(h_wait_used(d, RXQ, NULL, NULL));
}

/* Same super-frame to a guest without GUEST_TSO/GUEST_CSUM and without
 * mergeable buffers: it gets MSS-sized segments with valid checksums. */
static void test_rx_segmented(struct h_dev *d, struct peer *p)
{
    static uint8_t f[70000];
    post_rx(d, 64, 1526);
    size_t flen = tcp_frame(f, guest_mac, peer_mac, 10000);
    struct net_hdr gso = { .flags = NET_HDR_F_NEEDS_CSUM, .gso_type = NET_GSO_TCPV4,
                           .hdr_len = 54, .gso_size = 1460, .csum_start = 34, .csum_offset = 16 };
    peer_send(p, &gso, f, flen);
    size_t total = 0;
    for (int i = 0; i < 7; i++) {                 /* ceil(10000/1460) = 7 */
        uint32_t id = 0, len = 0;
        CHECK(h_wait_used(d, RXQ, &id, &len));
        uint8_t *b = rx_buffer(d, id);
        CHECK_EQ(b[0], 0);
        CHECK_EQ(b[1], 0);
        CHECK_EQ(virtio_le16(b + 10), 1);
        CHECK(len > 12 + 54 && len <= 12 + 54 + 1460);
        CHECK(tcp_csum_ok(b + 12, len - 12));
        CHECK_EQ(rd16(b + 12 + 16), len - 12 - 14);       /* IP total length */
        total += len - 12 - 54;
    }
    CHECK_EQ(total, 10000);
    /* a frame bigger than the (non-mergeable) buffer: dropped, buffer kept */
    static uint8_t big[3000];
    memcpy(big, guest_mac, 6);
    memcpy(big + 6, peer_mac, 6);
    wr16(big + 12, 0x88b5);
    struct net_hdr none = { 0 };
    uint16_t used = h_used_idx(d, RXQ);
    peer_send(p, &none, big, sizeof big);
    peer_send(p, &none, big, 100);               /* this one fits the same buffer */
    uint32_t id = 0, len = 0;
    CHECK(h_wait_used(d, RXQ, &id, &len));
    CHECK_EQ(len, 112);
    CHECK_EQ((uint16_t)(h_used_idx(d, RXQ) - used), 1);
}

/* No receive buffers: frames wait (in order) until the guest posts some. */
static void test_backpressure(struct h_dev *d, struct peer *p, uint64_t drop)
{
    static uint8_t f[200];
    h_wr(d, 0x070, 0);
    bring_up(d, drop);                           /* no receive buffer posted */
    memcpy(f, guest_mac, 6);
    memcpy(f + 6, peer_mac, 6);
    wr16(f + 12, 0x88b5);
    struct net_hdr none = { 0 };
    for (int i = 0; i < 20; i++) {
        f[14] = (uint8_t)i;
        peer_send(p, &none, f, 60);
    }
    peer_pump(p, 50);
    uint16_t used = h_used_idx(d, RXQ);
    CHECK_EQ(used, 0);
    post_rx(d, 20, 2048);
    for (int i = 0; i < 20; i++) {
        uint32_t id = 0, len = 0;
        CHECK(h_wait_used(d, RXQ, &id, &len));
        CHECK_EQ(len, 72);
        CHECK_EQ(rx_buffer(d, id)[12 + 14], i);
    }
    CHECK_EQ((uint16_t)(h_used_idx(d, RXQ) - used), 20);
}

static void test_ctrl(struct h_dev *d)
{
    CHECK_EQ(ctrl(d, (const uint8_t *)"\x00\x00\x01", 3), 0);           /* promisc on */
    CHECK_EQ(ctrl(d, (const uint8_t *)"\x00\x01\x00", 3), 0);           /* allmulti off */
    CHECK_EQ(ctrl(d, (const uint8_t *)"\x00\x07\x01", 3), 1);           /* unknown */
    CHECK_EQ(ctrl(d, (const uint8_t *)"\x00\x00", 2), 1);               /* no data */
    CHECK_EQ(ctrl(d, (const uint8_t *)"\x63\x00", 2), 1);               /* no such class */
    /* MAC table: 1 unicast, 0 multicast */
    static const uint8_t table[] = { 1, 0, 1, 0, 0, 0, 0x52, 0x54, 0, 0, 0, 9, 0, 0, 0, 0 };
    CHECK_EQ(ctrl(d, table, sizeof table), 0);
    static const uint8_t bad_table[] = { 1, 0, 0xff, 0xff, 0xff, 0x7f, 0, 0 };
    CHECK_EQ(ctrl(d, bad_table, sizeof bad_table), 1);
    /* guest offloads: only a subset of what was negotiated */
    uint8_t off[10] = { 5, 0 };
    virtio_put_le64(off + 2, B(F_GUEST_CSUM));
    CHECK_EQ(ctrl(d, off, 10), 0);
    virtio_put_le64(off + 2, B(F_GUEST_CSUM) | B(40));
    CHECK_EQ(ctrl(d, off, 10), 1);
    virtio_put_le64(off + 2, B(F_GUEST_CSUM) | B(F_GUEST_TSO4));
    CHECK_EQ(ctrl(d, off, 10), 0);
    CHECK(!(h_rd(d, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
}

/* ---- randomized malformed input ---------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13; rng_state ^= rng_state >> 7; rng_state ^= rng_state << 17;
    return (uint32_t)rng_state;
}

static uint64_t random_addr(void)
{
    switch (rnd() % 6) {
    case 0: return (uint64_t)rnd() << 32 | rnd();                          /* anywhere */
    case 1: return VIRT_DRAM_BASE + H_RAM_SIZE - (rnd() % 64);             /* straddles the end */
    case 2: return VIRT_VIRTIO_BASE;                                       /* MMIO, not RAM */
    default: return VIRT_DRAM_BASE + H_HEAP - VIRT_DRAM_BASE + (rnd() % (8u << 20));
    }
}

static uint32_t random_len(void)
{
    switch (rnd() % 5) {
    case 0: return rnd();
    case 1: return 0;
    case 2: return rnd() % 16;
    default: return rnd() % 70000;
    }
}

static void test_random(struct h_dev *d, struct peer *p)
{
    int broken = 0;
    for (int round = 0; round < 300; round++) {
        uint64_t drop = 0;
        if (rnd() & 1) drop |= B(F_MRG_RXBUF);
        if (rnd() & 1) drop |= B(F_GUEST_TSO4) | B(F_GUEST_TSO6) | B(F_GUEST_ECN);
        if (rnd() & 1) drop |= B(VIRTIO_F_EVENT_IDX);
        if (rnd() & 1) drop |= B(VIRTIO_F_INDIRECT_DESC);
        h_wr(d, 0x070, 0);
        bring_up(d, drop);
        uint8_t *heap = h_ptr(d, g_tx_buf, 70000);
        for (size_t i = 0; i < 70000; i++)
            heap[i] = (uint8_t)rnd();
        unsigned nops = 1 + rnd() % 12;
        for (unsigned op = 0; op < nops; op++) {
            unsigned q = rnd() % 3;
            unsigned ndesc = 1 + rnd() % 6;
            /* raw descriptors: random flags, next, lengths, addresses */
            for (unsigned i = 0; i < ndesc; i++) {
                bool sane = rnd() % 3;
                uint64_t addr = sane ? g_tx_buf + rnd() % 60000 : random_addr();
                uint32_t len = sane ? rnd() % 9000 : random_len();
                uint16_t flags = (uint16_t)(sane ? ((i + 1 < ndesc) ? VIRTQ_DESC_F_NEXT : 0) |
                                                   (q == RXQ ? VIRTQ_DESC_F_WRITE : 0)
                                                 : rnd() & 7);
                uint16_t next = (uint16_t)(sane ? (d->q[q].next_desc + i + 1) % 256 : rnd() % 300);
                h_desc(d, q, (d->q[q].next_desc + i) % 256, addr, len, flags, next);
            }
            /* sometimes a plausible virtio-net header with garbage offloads */
            if (rnd() & 1) {
                uint8_t *h = heap;
                h[0] = (uint8_t)(rnd() & 3);
                h[1] = (uint8_t)(rnd() % 2 ? NET_GSO_TCPV4 : rnd());
                virtio_put_le16(h + 4, (uint16_t)rnd());
                virtio_put_le16(h + 6, (uint16_t)rnd());
                virtio_put_le16(h + 8, (uint16_t)rnd());
                h_desc(d, TXQ, d->q[TXQ].next_desc % 256, g_tx_buf, 12 + rnd() % 9000, 0, 0);
            }
            h_avail_raw(d, q, (uint16_t)(rnd() % 4 ? d->q[q].next_desc % 256 : rnd()),
                        (uint16_t)(rnd() % 8 ? 1 : rnd()));
            d->q[q].next_desc += ndesc;
            h_kick(d, q);
            /* traffic from the peer meanwhile */
            if (rnd() & 1) {
                static uint8_t f[3000];
                size_t flen = tcp_frame(f, guest_mac, peer_mac, rnd() % 2000);
                struct net_hdr gh = { .flags = (uint8_t)(rnd() & 1), .gso_type = (uint8_t)(rnd() % 2),
                                      .gso_size = (uint16_t)(200 + rnd() % 1400),
                                      .csum_start = 34, .csum_offset = 16 };
                peer_send(p, &gh, f, flen);
            }
        }
        h_sleep_ms(3);
        peer_pump(p, 2);
        if (h_rd(d, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET)
            broken++;
    }
    /* Most rounds break the device; some must not (sane chains). */
    CHECK(broken > 0);
    CHECK(broken < 300);
    /* After all that, a reset device still works. */
    h_wr(d, 0x070, 0);
    bring_up(d, 0);
    uint8_t hdr[12] = { 0 };
    static uint8_t f[100];
    memset(f, 0xff, 6);
    memcpy(f + 6, guest_mac, 6);
    wr16(f + 12, 0x88b5);
    int before = p->got;
    CHECK(guest_send(d, hdr, f, 60));
    CHECK(peer_wait(p, before + 1));
}

int main(void)
{
    char tmpl[] = "/tmp/vessel-net-virtio-XXXXXX";
    if (!mkdtemp(tmpl))
        return 1;
    setenv("XDG_RUNTIME_DIR", tmpl, 1);
    struct vm *vm = make_vm("switch,name=vt,mac=52:54:00:00:00:01,mtu=1500");
    if (!vm)
        return 1;
    pthread_t loop;
    pthread_create(&loop, NULL, run_vm, vm);

    static struct peer p;
    struct net_options o;
    char err[256];
    CHECK(net_options_parse(&o, "switch,name=vt,mac=52:54:00:00:00:02", err, sizeof err) == 0);
    struct net_frontend fe = { &p, peer_receive };
    p.be = net_backend_new(&o, &fe, err, sizeof err);
    if (!p.be) {
        fprintf(stderr, "peer: %s\n", err);
        return 1;
    }
    peer_pump(&p, 20);

    struct h_dev d;
    CHECK(h_find(&d, vm, VIRTIO_ID_NET, 0));
    test_identity(&d);
    bring_up(&d, 0);
    test_tx(&d, &p);
    test_rx_mergeable(&d, &p);
    test_ctrl(&d);
    h_wr(&d, 0x070, 0);
    uint64_t plain = B(F_MRG_RXBUF) | B(F_GUEST_TSO4) | B(F_GUEST_TSO6) | B(F_GUEST_ECN) |
                     B(F_GUEST_CSUM) | B(F_CTRL_GUEST_OFFLOADS);
    bring_up(&d, plain);
    test_rx_segmented(&d, &p);
    test_backpressure(&d, &p, plain);
    test_random(&d, &p);

    vm_request_exit(vm, VM_EXIT_QUIT, 0);
    pthread_join(loop, NULL);
    vm_destroy(vm);
    net_backend_free(p.be);
    char cmd[100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpl);
    if (system(cmd) != 0)
        return 1;
    CHECK_DONE();
}
