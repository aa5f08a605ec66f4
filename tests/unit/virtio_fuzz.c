/* Randomized hostile-guest test for every virtio device (rng, blk, 9p,
 * console with its ports, net): random status and register writes, queue
 * setups with bad sizes and addresses, descriptor chains with bad indices,
 * loops, huge lengths, addresses outside RAM or straddling its end,
 * indirect tables inside indirect tables, avail-index jumps, random
 * requests in the buffers and random config writes, interleaved with
 * resets while requests are in flight.  The VM's host loop runs (console
 * sockets, net backends) and the workers run concurrently with the
 * "guest".  Passes if nothing crashes (run under ASan+UBSan by make
 * check-asan), a canary area of guest RAM that no descriptor names is
 * untouched, and every device still works after a reset.
 *
 * VESSEL_FUZZ_SEED and VESSEL_FUZZ_ROUNDS override the defaults. */
#include <pthread.h>
#include <sys/stat.h>
#include "virtio_harness.h"

#define RING_ZONE   (VIRT_DRAM_BASE + 0x100000)    /* rings: 3 MiB */
#define BUF_ZONE    (VIRT_DRAM_BASE + 0x400000)    /* buffers and tables: 4 MiB */
#define BUF_SIZE    0x400000
#define CANARY      (VIRT_DRAM_BASE + 0x800000)    /* never named by a descriptor */
#define CANARY_SIZE 0x100000
#define RAM_END     (VIRT_DRAM_BASE + H_RAM_SIZE)

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}
static bool chance(unsigned pct) { return rnd() % 100 < pct; }

static char dir[] = "/tmp/vessel-fuzz-XXXXXX";

/* A buffer address: mostly sane, sometimes hostile. */
static uint64_t random_addr(uint32_t len)
{
    switch (rnd() % 10) {
    case 0: return rnd();                                    /* anywhere */
    case 1: return rnd() % VIRT_DRAM_BASE;                   /* below RAM (MMIO!) */
    case 2: return RAM_END - (rnd() % 64);                   /* straddles the end */
    case 3: return RAM_END + rnd() % 4096;
    case 4: return UINT64_MAX - (rnd() % 4096);              /* wraps */
    default: {
        uint64_t room = len < BUF_SIZE ? BUF_SIZE - len : 1;
        return BUF_ZONE + rnd() % room;
    }
    }
}

static uint32_t random_len(void)
{
    switch (rnd() % 8) {
    case 0: return 0;
    case 1: return 0xffffffffu;
    case 2: return (uint32_t)rnd();
    case 3: return 1u << (rnd() % 24);
    default: return (uint32_t)(rnd() % 8192);
    }
}

/* A well-formed 9P2000.L message with random small fids, names from a
 * hostile little set and random numbers; returns its length (<= cap). */
static size_t p9_message(uint8_t *p, size_t cap)
{
    static const uint8_t types[] = { 8, 12, 14, 16, 18, 20, 22, 24, 26, 30, 40, 50, 52, 54,
                                     70, 72, 74, 76, 100, 104, 108, 110, 116, 118, 120, 122 };
    static const char *const names[] = { "a", "b", "sub", "..", ".", "x/y", "", "link",
                                         "fifo", "new", "dir" };
    uint8_t m[512];
    size_t n = 7;
#define W8(v) (m[n++] = (uint8_t)(v))
#define W16(v) (virtio_put_le16(m + n, (uint16_t)(v)), n += 2)
#define W32(v) (virtio_put_le32(m + n, (uint32_t)(v)), n += 4)
#define W64(v) (virtio_put_le64(m + n, (uint64_t)(v)), n += 8)
#define WS(s) do { const char *s_ = (s); W16(strlen(s_)); memcpy(m + n, s_, strlen(s_)); n += strlen(s_); } while (0)
#define FID() W32(rnd() % 6)
#define NAME() WS(names[rnd() % (sizeof names / sizeof names[0])])
    uint8_t type = types[rnd() % sizeof types];
    m[4] = type;
    virtio_put_le16(m + 5, (uint16_t)rnd());
    switch (type) {
    case 100: W32(chance(90) ? 8192 : rnd()); WS(chance(90) ? "9P2000.L" : "9P2000"); break;
    case 104: FID(); W32(~0u); WS("u"); WS(""); W32(0); break;
    case 110: {
        FID(); FID();
        unsigned k = (unsigned)(rnd() % 4);
        W16(k);
        for (unsigned i = 0; i < k; i++)
            NAME();
        break;
    }
    case 12: FID(); W32(rnd() % 4 | (chance(20) ? 01000 : 0)); break;
    case 14: FID(); NAME(); W32(rnd() % 4 | 0100 | (chance(30) ? 0200 : 0)); W32(rnd() & 07777); W32(0); break;
    case 16: FID(); NAME(); WS(chance(50) ? "/" : "../../x"); W32(0); break;
    case 18: FID(); NAME(); W32(chance(50) ? 0010644 : rnd()); W32(rnd() % 10); W32(rnd() % 10); W32(0); break;
    case 20: FID(); FID(); NAME(); break;
    case 74: FID(); NAME(); FID(); NAME(); break;
    case 76: FID(); NAME(); W32(chance(50) ? 0x200 : 0); break;
    case 70: FID(); FID(); NAME(); break;
    case 72: FID(); NAME(); W32(rnd() & 07777); W32(0); break;
    case 26: FID(); W32(rnd() & 0x1ff); W32(rnd() & 07777); W32(rnd() % 3); W32(rnd() % 3);
             W64(chance(80) ? rnd() % 100000 : rnd()); W64(rnd()); W64(rnd() % 2000000000);
             W64(rnd()); W64(rnd() % 2000000000); break;
    case 40: FID(); W64(chance(70) ? 0 : rnd()); W32(rnd() % 9000); break;
    case 116: FID(); W64(chance(70) ? rnd() % 4096 : rnd()); W32(rnd() % 9000); break;
    case 118: {
        FID(); W64(chance(70) ? rnd() % 4096 : rnd());
        uint32_t k = (uint32_t)(rnd() % 200);
        W32(chance(90) ? k : rnd());
        for (uint32_t i = 0; i < k; i++)
            W8(rnd());
        break;
    }
    case 52: FID(); W8(rnd() % 4); W32(rnd() % 2); W64(rnd() % 100); W64(rnd() % 100); W32(1); WS("c"); break;
    case 54: FID(); W8(rnd() % 4); W64(rnd() % 100); W64(rnd() % 100); W32(1); WS("c"); break;
    case 30: FID(); FID(); WS("user.x"); break;
    case 50: FID(); W32(rnd() % 2); break;
    case 108: W16(rnd()); break;
    default: FID(); W64(rnd()); break;
    }
    if (chance(5))
        n -= (size_t)(rnd() % n);                      /* truncated */
    if (n < 7)
        n = 7;
    virtio_put_le32(m, chance(95) ? (uint32_t)n : (uint32_t)rnd());
    if (n > cap)
        n = cap;
    memcpy(p, m, n);
    return n;
#undef W8
#undef W16
#undef W32
#undef W64
#undef WS
#undef FID
#undef NAME
}

/* Plausible request bytes for the device at a readable buffer, so the
 * devices' parsers are reached and not just the ring code. */
static void plausible_request(uint32_t device_id, uint8_t *p, uint32_t len)
{
    static const uint32_t blk_types[] = { 0, 1, 4, 8, 11, 13, 99 };
    static const uint8_t p9_types[] = { 8, 12, 14, 16, 18, 20, 22, 24, 26, 30, 40, 50, 52, 54,
                                        70, 72, 74, 76, 100, 104, 108, 110, 116, 118, 120, 122 };
    if (len < 8)
        return;
    for (uint32_t i = 0; i < len && i < 256; i++)
        p[i] = (uint8_t)rnd();
    switch (device_id) {
    case VIRTIO_ID_BLOCK:
        virtio_put_le32(p, blk_types[rnd() % 7]);
        if (len >= 16)
            virtio_put_le64(p + 8, chance(70) ? rnd() % 4096 : rnd());
        break;
    case VIRTIO_ID_9P:
        if (chance(85)) {
            p9_message(p, len);
            break;
        }
        virtio_put_le32(p, chance(80) ? len : (uint32_t)rnd());
        p[4] = p9_types[rnd() % (sizeof p9_types)];
        if (len >= 11) {
            virtio_put_le32(p + 7, (uint32_t)(rnd() % 8));       /* a small fid */
            if (p[4] == 100) {                                    /* Tversion */
                virtio_put_le32(p + 7, 8192);
                if (len >= 21) {
                    virtio_put_le16(p + 11, 8);
                    memcpy(p + 13, "9P2000.L", 8);
                }
            }
        }
        if (len >= 15 && chance(50))
            virtio_put_le16(p + 11 + (rnd() % 4), (uint16_t)(rnd() % 16));   /* short strings */
        break;
    case VIRTIO_ID_CONSOLE:
        virtio_put_le32(p, (uint32_t)(rnd() % 20));
        virtio_put_le16(p + 4, (uint16_t)(rnd() % 9));
        virtio_put_le16(p + 6, (uint16_t)(rnd() % 2));
        break;
    default:
        break;
    }
}

struct fuzz_dev {
    struct h_dev d;
    uint32_t device_id;
    unsigned nqueues;               /* queues we may set up */
    uint64_t rings;                 /* its part of the ring zone */
};

/* Bring a device up with random features and queue sizes (sometimes bad). */
static void random_init(struct fuzz_dev *f)
{
    struct h_dev *d = &f->d;
    d->heap = f->rings;
    uint64_t feat = h_device_features(d) & rnd();
    feat |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
    if (chance(10))
        feat = rnd();                                /* probably refused */
    h_negotiate(d, feat);
    unsigned nq = 1 + (unsigned)(rnd() % f->nqueues);
    for (unsigned q = 0; q < nq; q++) {
        h_wr(d, 0x030, q);
        unsigned max = h_rd(d, 0x034);
        unsigned num = max ? max >> (rnd() % 4) : 8;
        if (chance(5))
            num = (unsigned)(rnd() % 300);           /* maybe not a power of 2 */
        if (num == 0 || num > 256)
            num = 16;
        h_setup_queue(d, q, num);
        if (chance(3)) {                             /* misalign or move a ring */
            h_wr(d, 0x044, 0);
            h_wr(d, 0x080, (uint32_t)random_addr(16));
            h_wr(d, 0x044, 1);
        }
    }
    if (chance(95))
        h_driver_ok(d);
}

/* Post 1..6 hostile chains on queue q and kick (sometimes a wrong queue). */
static void random_chains(struct fuzz_dev *f, unsigned q)
{
    struct h_dev *d = &f->d;
    struct h_queue *hq = &d->q[q];
    if (!hq->num)
        return;
    unsigned nchains = 1 + (unsigned)(rnd() % 6);
    for (unsigned c = 0; c < nchains; c++) {
        /* Most chains are well formed (so the devices' request parsers get
         * exercised); the rest are hostile in every field. */
        bool sane = chance(75);
        if (sane && f->device_id == VIRTIO_ID_9P && chance(80)) {
            /* A request the server can parse and answer. */
            uint16_t h = (uint16_t)(rnd() % hq->num);
            uint64_t req = BUF_ZONE + (rnd() % 256) * 8192, rep = req + 8192 * 256;
            size_t n = p9_message(h_ptr(d, req, 512), 512);
            h_desc(d, q, h, req, (uint32_t)n, VIRTQ_DESC_F_NEXT, (uint16_t)((h + 1) % hq->num));
            h_desc(d, q, (h + 1) % hq->num, rep, 8192, VIRTQ_DESC_F_WRITE, 0);
            h_avail_raw(d, q, h, 1);
            continue;
        }
        unsigned len = 1 + (unsigned)(rnd() % 6);
        unsigned first_writable = sane ? 1 + (unsigned)(rnd() % len) : 0;
        uint16_t head = (uint16_t)(rnd() % hq->num);
        for (unsigned i = 0; i < len; i++) {
            unsigned idx = (head + i) % hq->num;
            uint32_t blen = sane ? (uint32_t)(rnd() % 4096) : random_len();
            uint64_t addr = sane ? BUF_ZONE + rnd() % (BUF_SIZE - 4096) : random_addr(blen);
            uint16_t flags = 0;
            if (i + 1 < len)
                flags |= VIRTQ_DESC_F_NEXT;
            bool writable = sane ? i >= first_writable : i > 0 && chance(60);
            if (writable || (!sane && chance(5)))
                flags |= VIRTQ_DESC_F_WRITE;
            if (sane) {
                if (!writable)
                    plausible_request(f->device_id, h_ptr(d, addr, blen), blen);
                h_desc(d, q, idx, addr, blen, flags, (uint16_t)((idx + 1) % hq->num));
                continue;
            }
            uint16_t next = (uint16_t)((idx + 1) % hq->num);
            if (chance(5))
                next = (uint16_t)rnd();                          /* out of range */
            if (chance(5))
                next = (uint16_t)head;                           /* a loop */
            if (chance(8)) {
                /* An indirect table in the buffer zone with random entries,
                 * sometimes pointing at another indirect table. */
                unsigned n = 1 + (unsigned)(rnd() % 8);
                uint64_t table = BUF_ZONE + (rnd() % (BUF_SIZE / 16 - n)) * 16;
                uint8_t *t = h_ptr(d, table, 16ULL * n);
                for (unsigned k = 0; k < n; k++) {
                    uint32_t l = random_len();
                    virtio_put_le64(t + 16 * k, chance(20) ? table : random_addr(l));
                    virtio_put_le32(t + 16 * k + 8, chance(20) ? 16 * n : l);
                    uint16_t fl = (uint16_t)(rnd() & 7);
                    if (k + 1 == n && chance(70))
                        fl &= (uint16_t)~VIRTQ_DESC_F_NEXT;
                    virtio_put_le16(t + 16 * k + 12, fl);
                    virtio_put_le16(t + 16 * k + 14, (uint16_t)(chance(80) ? k + 1 : rnd()));
                }
                addr = table;
                blen = chance(80) ? 16 * n : random_len();
                flags = VIRTQ_DESC_F_INDIRECT | (chance(10) ? VIRTQ_DESC_F_NEXT : 0);
            } else if (!(flags & VIRTQ_DESC_F_WRITE) && addr >= BUF_ZONE &&
                       blen <= BUF_SIZE && addr - BUF_ZONE <= BUF_SIZE - blen) {
                plausible_request(f->device_id, h_ptr(d, addr, blen), blen);
            }
            if (chance(3))
                flags = (uint16_t)rnd();
            h_desc(d, q, idx, addr, blen, flags, next);
        }
        uint16_t bump = 1;
        if (chance(3))
            bump = (uint16_t)rnd();                              /* jump past the size */
        h_avail_raw(d, q, chance(5) ? (uint16_t)rnd() : head, bump);
    }
    if (chance(5))
        virtio_put_le16(h_ptr(d, hq->avail, 2), (uint16_t)rnd());   /* flags */
    h_kick(d, chance(95) ? q : (unsigned)rnd());
}

static void random_config_write(struct fuzz_dev *f)
{
    unsigned size = 1u << (rnd() % 3);
    uint64_t off = 0x100 + (rnd() % 96) / size * size;
    vm_mmio_write(f->d.vm, f->d.base + off, size, rnd());
}

static void random_register(struct fuzz_dev *f)
{
    uint64_t off = (rnd() % 0x40) * 4;
    uint32_t val = (uint32_t)rnd();
    /* Queue addresses point into the ring zone or outside RAM, never at
     * the canary. */
    if (off >= 0x080 && off <= 0x0a4)
        val = (off & 4) ? (uint32_t)(random_addr(0) >> 32)
                        : (uint32_t)(chance(50) ? RING_ZONE + rnd() % 0x200000 : rnd() % 0x1000);
    if (off == 0x070 && chance(50))
        val &= 0xff;
    h_wr(&f->d, off, val);
}

/* The transport object behind a slot (for the negotiated features). */
static struct virtio_dev *slot_dev(struct h_dev *d)
{
    for (unsigned i = 0; i < d->vm->nmmio; i++)
        if (d->vm->mmio[i].base == d->base)
            return d->vm->mmio[i].dev;
    return NULL;
}

#define ST_AD   (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER)
#define ST_ADF  (ST_AD | VIRTIO_STATUS_FEATURES_OK)
#define NEEDS_RESET VIRTIO_STATUS_DEVICE_NEEDS_RESET

/* Set up queue 0 with these values, enable it: is it live afterwards? */
static bool try_queue(struct fuzz_dev *f, uint32_t num, uint64_t desc, uint64_t avail,
                      uint64_t used)
{
    struct h_dev *d = &f->d;
    h_wr(d, 0x070, 0);
    h_wr(d, 0x070, VIRTIO_STATUS_ACKNOWLEDGE);
    h_wr(d, 0x070, ST_AD);
    h_wr(d, 0x024, 1);
    h_wr(d, 0x020, 1);                           /* VERSION_1 (bit 32) */
    h_wr(d, 0x070, ST_ADF);
    CHECK(h_rd(d, 0x070) == ST_ADF);
    h_wr(d, 0x030, 0);
    h_wr(d, 0x038, num);
    h_wr(d, 0x080, (uint32_t)desc);
    h_wr(d, 0x084, (uint32_t)(desc >> 32));
    h_wr(d, 0x090, (uint32_t)avail);
    h_wr(d, 0x094, (uint32_t)(avail >> 32));
    h_wr(d, 0x0a0, (uint32_t)used);
    h_wr(d, 0x0a4, (uint32_t)(used >> 32));
    h_wr(d, 0x044, 1);
    bool live = h_rd(d, 0x044) == 1;
    CHECK(live == !(h_rd(d, 0x070) & NEEDS_RESET));   /* refused means broken */
    h_wr(d, 0x070, ST_ADF | VIRTIO_STATUS_DRIVER_OK);
    h_wr(d, 0x050, 0);                           /* a kick on whatever is there */
    h_sleep_ms(1);
    h_wr(d, 0x070, 0);
    CHECK_EQ(h_rd(d, 0x070), 0);
    CHECK_EQ(h_rd(d, 0x044), 0);
    return live;
}

/* Deterministic transport edges for one device: the driver-side rules of
 * virtio-mmio broken one at a time, and every register and config offset
 * read and written at every access size.  Leaves the device reset. */
static void transport_edges(struct fuzz_dev *f)
{
    struct h_dev *d = &f->d;
    uint64_t ring = f->rings;
    h_wr(d, 0x030, 0);
    uint32_t max = h_rd(d, 0x034);
    CHECK(max >= 2 && max <= 32768);

    /* A sane queue goes live; each broken rule keeps it down. */
    CHECK(try_queue(f, max, ring, ring + 0x10000, ring + 0x20000));
    CHECK(!try_queue(f, max * 2, ring, ring + 0x10000, ring + 0x20000));   /* > QueueNumMax */
    CHECK(!try_queue(f, 0, ring, ring + 0x10000, ring + 0x20000));
    CHECK(!try_queue(f, 3, ring, ring + 0x10000, ring + 0x20000));         /* not 2^n */
    CHECK(!try_queue(f, 0x10000 + 8, ring, ring + 0x10000, ring + 0x20000));
    CHECK(!try_queue(f, 8, ring + 8, ring + 0x10000, ring + 0x20000));     /* misaligned */
    CHECK(!try_queue(f, 8, ring, ring + 0x10001, ring + 0x20000));
    CHECK(!try_queue(f, 8, ring, ring + 0x10000, ring + 0x20002));
    CHECK(!try_queue(f, 8, RAM_END - 64, ring + 0x10000, ring + 0x20000)); /* straddles */
    CHECK(!try_queue(f, 8, ring, RAM_END - 8, ring + 0x20000));
    CHECK(!try_queue(f, 8, ring, ring + 0x10000, RAM_END - 16));
    CHECK(!try_queue(f, 8, 0, ring + 0x10000, ring + 0x20000));            /* below RAM */
    CHECK(!try_queue(f, 8, 0xfffffffffffffff0ULL, ring + 0x10000, ring + 0x20000));
    CHECK(!try_queue(f, 8, ring, 0xfffffffffffffffeULL, ring + 0x20000));
    CHECK(!try_queue(f, 8, ring, ring + 0x10000, 0xfffffffffffffffcULL));

    /* Status bits out of order are not taken. */
    h_wr(d, 0x070, 0);
    h_wr(d, 0x070, VIRTIO_STATUS_DRIVER);                         /* DRIVER without ACK */
    CHECK_EQ(h_rd(d, 0x070), 0);
    h_wr(d, 0x070, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_FEATURES_OK);
    CHECK(!(h_rd(d, 0x070) & VIRTIO_STATUS_FEATURES_OK));         /* FEATURES_OK without DRIVER */
    h_wr(d, 0x070, 0);
    h_wr(d, 0x070, VIRTIO_STATUS_ACKNOWLEDGE);
    h_wr(d, 0x070, ST_AD | VIRTIO_STATUS_DRIVER_OK);              /* DRIVER_OK without FEATURES_OK */
    CHECK(!(h_rd(d, 0x070) & VIRTIO_STATUS_DRIVER_OK));
    h_wr(d, 0x030, 0);
    h_wr(d, 0x038, 8);
    h_wr(d, 0x044, 1);                                            /* QueueReady before FEATURES_OK */
    CHECK_EQ(h_rd(d, 0x044), 0);
    h_wr(d, 0x070, 0);
    /* Features the device did not offer, or without VERSION_1: refused. */
    CHECK(!(h_negotiate(d, ~0ULL) & VIRTIO_STATUS_FEATURES_OK));
    CHECK(!(h_negotiate(d, 0) & VIRTIO_STATUS_FEATURES_OK));
    /* Features written after FEATURES_OK do not change the negotiated set. */
    CHECK(h_negotiate(d, VIRTIO_BIT(VIRTIO_F_VERSION_1)) & VIRTIO_STATUS_FEATURES_OK);
    struct virtio_dev *vdev = slot_dev(d);
    CHECK(vdev != NULL);
    for (unsigned sel = 0; sel < 4; sel++) {
        h_wr(d, 0x024, sel);
        h_wr(d, 0x020, 0xffffffffu);
    }
    h_wr(d, 0x070, ST_ADF);
    CHECK(h_rd(d, 0x070) == ST_ADF);
    if (vdev)
        CHECK_EQ(virtio_dev_features(vdev), VIRTIO_BIT(VIRTIO_F_VERSION_1));
    /* Clearing a status bit without a reset is ignored. */
    h_wr(d, 0x070, VIRTIO_STATUS_ACKNOWLEDGE);
    CHECK(h_rd(d, 0x070) == ST_ADF);
    /* A queue index past the device's queues: no size, never ready. */
    h_wr(d, 0x030, f->nqueues);
    if (h_rd(d, 0x034) != 0)
        fprintf(stderr, "device %u: queue %u exists\n", f->device_id, f->nqueues);
    CHECK_EQ(h_rd(d, 0x034), 0);
    h_wr(d, 0x038, 8);
    h_wr(d, 0x044, 1);
    CHECK_EQ(h_rd(d, 0x044), 0);
    h_wr(d, 0x030, 0xffffffffu);
    h_wr(d, 0x044, 1);
    CHECK_EQ(h_rd(d, 0x044), 0);
    h_wr(d, 0x050, 0xffffffffu);                                  /* notify a queue that is not */
    h_wr(d, 0x050, f->nqueues);

    /* Every offset, every size, in this half-negotiated state and after
     * DRIVER_OK: reads answer or fault, never crash; config beyond the
     * device's size reads as zero. */
    for (int pass = 0; pass < 2; pass++) {
        for (uint64_t off = 0; off < VIRT_VIRTIO_SIZE; off++) {
            for (unsigned size = 1; size <= 8; size *= 2) {
                if (off + size > VIRT_VIRTIO_SIZE)
                    continue;
                uint64_t v = 0;
                vm_mmio_read(d->vm, d->base + off, size, &v);
                if (off >= 0x200)
                    CHECK_EQ(v, 0);
            }
        }
        for (uint64_t off = 0x100; off < VIRT_VIRTIO_SIZE; off++)
            for (unsigned size = 1; size <= 8; size *= 2)
                if (off + size <= VIRT_VIRTIO_SIZE)
                    vm_mmio_write(d->vm, d->base + off, size, rnd());
        /* Registers: every 32-bit one (bar Status and QueueNotify, above)
         * with random values, and the sizes the transport refuses. */
        for (uint64_t off = 0; off < 0x100; off++)
            for (unsigned size = 1; size <= 8; size *= 2)
                if ((size != 4 || off % 4) && off + size <= 0x100)
                    vm_mmio_write(d->vm, d->base + off, size, rnd());
        for (uint64_t off = 0; off < 0x100; off += 4)
            if (off != 0x070 && off != 0x050 && (off < 0x080 || off > 0x0a4))
                h_wr(d, off, (uint32_t)rnd());
        h_wr(d, 0x070, 0);
        d->heap = f->rings;
        CHECK(h_init(d, 0, f->nqueues, 8));
    }
    h_wr(d, 0x070, 0);
    CHECK_EQ(h_rd(d, 0x070), 0);
}

static void *run_vm(void *arg)
{
    vm_run(arg);
    return NULL;
}

/* After a reset and a clean bring-up, each device still answers. */
static void check_alive(struct fuzz_dev *f)
{
    struct h_dev *d = &f->d;
    h_wr(d, 0x070, 0);
    CHECK_EQ(h_rd(d, 0x070), 0);
    d->heap = f->rings;
    CHECK(h_init(d, 0, f->nqueues, 16));
    CHECK(!(h_rd(d, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET));
    uint64_t buf = BUF_ZONE;
    memset(h_ptr(d, buf, 4096), 0, 4096);
    if (f->device_id == VIRTIO_ID_RNG) {
        struct h_buf b = { buf, 32, true };
        h_add(d, 0, &b, 1);
        h_kick(d, 0);
        uint32_t len = 0;
        CHECK(h_wait_used(d, 0, NULL, &len));
        CHECK_EQ(len, 32);
    } else if (f->device_id == VIRTIO_ID_BLOCK) {
        uint8_t *h = h_ptr(d, buf, 16);
        virtio_put_le32(h, 0);
        virtio_put_le64(h + 8, 0);
        struct h_buf b[3] = { { buf, 16, false }, { buf + 512, 512, true }, { buf + 1100, 1, true } };
        h_add(d, 0, b, 3);
        h_kick(d, 0);
        CHECK(h_wait_used(d, 0, NULL, NULL));
        CHECK_EQ(*(uint8_t *)h_ptr(d, buf + 1100, 1), 0);
    } else if (f->device_id == VIRTIO_ID_9P) {
        uint8_t *r = h_ptr(d, buf, 64);
        virtio_put_le32(r, 21);
        r[4] = 100;
        virtio_put_le16(r + 5, 1);
        virtio_put_le32(r + 7, 8192);
        virtio_put_le16(r + 11, 8);
        memcpy(r + 13, "9P2000.L", 8);
        struct h_buf b[2] = { { buf, 21, false }, { buf + 1024, 2048, true } };
        h_add(d, 0, b, 2);
        h_kick(d, 0);
        uint32_t len = 0;
        CHECK(h_wait_used(d, 0, NULL, &len));
        CHECK_EQ(len, 21);
    }
}

int main(void)
{
    const char *seed_s = getenv("VESSEL_FUZZ_SEED"), *rounds_s = getenv("VESSEL_FUZZ_ROUNDS");
    uint64_t seed = seed_s ? strtoull(seed_s, NULL, 0) : 0x5eed5eed1234ULL;
    unsigned rounds = rounds_s ? (unsigned)atoi(rounds_s) : 20000;
    rng_state = seed ? seed : 1;
    printf("virtio_fuzz: seed 0x%llx, %u rounds\n", (unsigned long long)seed, rounds);

    CHECK(mkdtemp(dir) != NULL);
    char img[256], share[256], portfile[256], portsock[256], netname[64];
    char disk_args[300], share_args[300], port1[300], port2[300], net_args[100];
    snprintf(img, sizeof img, "%s/disk.raw", dir);
    snprintf(share, sizeof share, "%s/share", dir);
    snprintf(portfile, sizeof portfile, "%s/port.out", dir);
    snprintf(portsock, sizeof portsock, "%s/port.sock", dir);
    snprintf(netname, sizeof netname, "fuzz%d", (int)getpid());
    CHECK(mkdir(share, 0755) == 0);
    /* Something to find in the share, and a neighbour it must not reach. */
    char path[400];
    snprintf(path, sizeof path, "%s/sub", share);
    CHECK(mkdir(path, 0755) == 0);
    snprintf(path, sizeof path, "%s/a", share);
    FILE *fa = fopen(path, "w");
    CHECK(fa && fputs("aaaa", fa) >= 0);
    fclose(fa);
    snprintf(path, sizeof path, "%s/link", share);
    CHECK(symlink("../outside", path) == 0);
    char outside[300];
    snprintf(outside, sizeof outside, "%s/outside", dir);
    CHECK(mkdir(outside, 0755) == 0);
    snprintf(path, sizeof path, "%s/outside/keep", dir);
    fa = fopen(path, "w");
    CHECK(fa && fputs("keep me", fa) >= 0);
    fclose(fa);
    FILE *fimg = fopen(img, "w");
    CHECK(fimg && ftruncate(fileno(fimg), 1 << 20) == 0);
    fclose(fimg);
    snprintf(disk_args, sizeof disk_args, "%s,format=raw", img);
    snprintf(share_args, sizeof share_args, "%s,tag=fuzz", share);
    snprintf(port1, sizeof port1, "name=p.file,path=%s", portfile);
    snprintf(port2, sizeof port2, "name=p.sock,socket=%s", portsock);
    snprintf(net_args, sizeof net_args, "switch,name=%s", netname);
    const char *specs[] = { "rng", "", "disk", disk_args, "share", share_args,
                            "console-port", port1, "console-port", port2,
                            "net", net_args, NULL };
    struct vm *vm = h_vm_create(specs);
    CHECK(vm != NULL);
    if (!vm)
        CHECK_DONE();
    pthread_t loop;
    CHECK(pthread_create(&loop, NULL, run_vm, vm) == 0);

    struct fuzz_dev devs[8];
    unsigned ndevs = 0;
    static const struct { uint32_t id; unsigned nq; } kinds[] = {
        { VIRTIO_ID_RNG, 1 }, { VIRTIO_ID_BLOCK, 1 }, { VIRTIO_ID_9P, 1 },
        { VIRTIO_ID_CONSOLE, 34 }, { VIRTIO_ID_NET, 3 },   /* console: 2 per port, 16 ports */
    };
    for (unsigned k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        struct fuzz_dev *f = &devs[ndevs];
        if (h_find(&f->d, vm, kinds[k].id, 0)) {
            f->device_id = kinds[k].id;
            f->nqueues = kinds[k].nq;
            f->rings = RING_ZONE + ndevs * 0x80000;     /* 8 queues of 256 fit */
            ndevs++;
        } else if (kinds[k].id != VIRTIO_ID_NET) {
            CHECK(!"device missing");
        }
    }
    memset(h_ptr(&devs[0].d, CANARY, CANARY_SIZE), 0xa5, CANARY_SIZE);
    memset(h_ptr(&devs[0].d, BUF_ZONE, BUF_SIZE), 0, BUF_SIZE);
    CHECK_EQ(ndevs, sizeof kinds / sizeof kinds[0]);             /* every device is fuzzed */
    for (unsigned i = 0; i < ndevs; i++)
        transport_edges(&devs[i]);
    for (unsigned i = 0; i < ndevs; i++)
        random_init(&devs[i]);

    for (unsigned r = 0; r < rounds; r++) {
        struct fuzz_dev *f = &devs[rnd() % ndevs];
        unsigned action = (unsigned)(rnd() % 100);
        if ((h_rd(&f->d, 0x070) & VIRTIO_STATUS_DEVICE_NEEDS_RESET) && chance(50))
            action = 4;                                          /* start over */
        if (action < 3)
            h_wr(&f->d, 0x070, 0);                               /* reset, maybe mid-flight */
        else if (action < 6)
            random_init(f);
        else if (action < 9)
            h_wr(&f->d, 0x070, (uint32_t)rnd() & 0xff);
        else if (action < 14)
            random_register(f);
        else if (action < 18)
            random_config_write(f);
        else if (action < 20)
            h_wr(&f->d, 0x064, (uint32_t)rnd());                 /* interrupt ACK */
        else
            random_chains(f, (unsigned)(rnd() % f->nqueues));
        if (rnd() % 64 == 0)
            h_sleep_ms(1);                                       /* let workers catch up */
    }
    h_sleep_ms(50);

    for (unsigned i = 0; i < ndevs; i++)
        check_alive(&devs[i]);
    const uint8_t *canary = h_ptr(&devs[0].d, CANARY, CANARY_SIZE);
    bool intact = true;
    for (size_t i = 0; i < CANARY_SIZE; i++)
        intact &= canary[i] == 0xa5;
    CHECK(intact);

    /* The share's neighbour is exactly as it was. */
    char cmd[800];
    snprintf(cmd, sizeof cmd, "test \"$(ls -A '%s')\" = keep && test \"$(cat '%s/keep')\" = 'keep me'",
             outside, outside);
    CHECK(system(cmd) == 0);

    vm_request_exit(vm, VM_EXIT_POWEROFF, 0);
    pthread_join(loop, NULL);
    vm_destroy(vm);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cleanup failed\n");
    CHECK_DONE();
}
