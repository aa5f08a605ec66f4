/* Unit test: software checksums and TCP segmentation (src/net/offload.c). */
#include "net/offload.h"
#include "net/check.h"

/* Plain RFC 1071 reference: 16-bit big-endian words, carries folded. */
static uint16_t ref_sum(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }

static uint64_t rng = 88172645463325252ULL;
static uint32_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return (uint32_t)rng; }

static void test_csum(void)
{
    /* RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2. */
    static const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    CHECK_EQ(net_csum_add(0, ex, sizeof ex), 0xddf2);
    /* Against the reference: every length 0..300, every alignment. */
    uint8_t buf[320];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rnd();
    for (size_t off = 0; off < 8; off++)
        for (size_t n = 0; n <= 300; n++)
            if (net_csum_add(0x1234, buf + off, n) != ref_sum(0x1234, buf + off, n)) {
                fprintf(stderr, "csum mismatch off %zu len %zu\n", off, n);
                check_failures++;
                return;
            }
}

/* An Ethernet + IPv4/IPv6 + TCP frame with `payload` bytes, its TCP
 * checksum field holding the pseudo-header sum as a guest leaves it. */
static size_t build_tcp(uint8_t *f, bool v6, size_t payload, uint8_t flags)
{
    memset(f, 0, 94);
    memcpy(f, "\x52\x54\x00\x00\x00\x02\x52\x54\x00\x00\x00\x01", 12);
    size_t l3 = 14, l4;
    if (!v6) {
        wr16(f + 12, 0x0800);
        f[l3] = 0x45;
        wr16(f + l3 + 2, (uint16_t)(20 + 20 + payload));
        wr16(f + l3 + 4, 0x1000);        /* id */
        wr16(f + l3 + 6, 0x4000);        /* DF */
        f[l3 + 8] = 64;
        f[l3 + 9] = 6;
        memcpy(f + l3 + 12, "\x0a\x00\x02\x0f\x0a\x00\x02\x02", 8);
        l4 = l3 + 20;
    } else {
        wr16(f + 12, 0x86dd);
        f[l3] = 0x60;
        wr16(f + l3 + 4, (uint16_t)(20 + payload));
        f[l3 + 6] = 6;
        f[l3 + 7] = 64;
        for (int i = 0; i < 32; i++)
            f[l3 + 8 + i] = (uint8_t)(0xfe + i);
        l4 = l3 + 40;
    }
    wr16(f + l4, 40000);
    wr16(f + l4 + 2, 22);
    wr32(f + l4 + 4, 0xfffff000u);       /* wraps during the frame */
    wr32(f + l4 + 8, 7);
    f[l4 + 12] = 5 << 4;
    f[l4 + 13] = flags;
    wr16(f + l4 + 14, 65535);
    for (size_t i = 0; i < payload; i++)
        f[l4 + 20 + i] = (uint8_t)(i * 7 + 3);
    /* pseudo-header sum, uncomplemented, in the checksum field */
    uint8_t ph[40];
    size_t n;
    size_t l4len = 20 + payload;
    if (!v6) {
        memcpy(ph, f + l3 + 12, 8); ph[8] = 0; ph[9] = 6; wr16(ph + 10, (uint16_t)l4len); n = 12;
    } else {
        memcpy(ph, f + l3 + 8, 32); wr32(ph + 32, (uint32_t)l4len); memset(ph + 36, 0, 3); ph[39] = 6; n = 40;
    }
    wr16(f + l4 + 16, ref_sum(0, ph, n));
    return l4 + 20 + payload;
}

struct seg_log {
    int n;
    size_t len[64];
    uint8_t data[64][1600];
};

static void collect(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct seg_log *log = opaque;
    CHECK_EQ(hdr->flags, 0);
    CHECK_EQ(hdr->gso_type, 0);
    if (log->n < 64 && len <= sizeof log->data[0]) {
        memcpy(log->data[log->n], frame, len);
        log->len[log->n] = len;
    }
    log->n++;
}

/* A segment's TCP checksum verifies if the sum over pseudo-header and
 * segment is 0xffff. */
static bool tcp_ok(const uint8_t *f, size_t len, bool v6)
{
    size_t l3 = 14, l4 = v6 ? 54 : 34;
    size_t l4len = len - l4;
    uint8_t ph[40];
    size_t n;
    if (!v6) {
        memcpy(ph, f + l3 + 12, 8); ph[8] = 0; ph[9] = 6; wr16(ph + 10, (uint16_t)l4len); n = 12;
    } else {
        memcpy(ph, f + l3 + 8, 32); wr32(ph + 32, (uint32_t)l4len); memset(ph + 36, 0, 3); ph[39] = 6; n = 40;
    }
    return ref_sum(ref_sum(0, ph, n), f + l4, l4len) == 0xffff;
}

static void test_csum_finish(void)
{
    static uint8_t f[2000];
    size_t len = build_tcp(f, false, 777, 0x18);
    struct net_hdr h = { .flags = NET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16 };
    CHECK(!tcp_ok(f, len, false));
    CHECK(net_csum_finish(&h, f, len) == 0);
    CHECK_EQ(h.flags, 0);
    CHECK(tcp_ok(f, len, false));
    /* ranges outside the frame are refused and leave it alone */
    struct net_hdr bad = { .flags = NET_HDR_F_NEEDS_CSUM, .csum_start = (uint16_t)len, .csum_offset = 0 };
    CHECK(net_csum_finish(&bad, f, len) < 0);
    bad.csum_start = (uint16_t)(len - 1);
    CHECK(net_csum_finish(&bad, f, len) < 0);
    bad.csum_start = 34; bad.csum_offset = 0xffff;
    CHECK(net_csum_finish(&bad, f, len) < 0);
    CHECK(tcp_ok(f, len, false));
}

static void check_segments(bool v6, size_t payload, uint16_t mss)
{
    static uint8_t f[70000];
    static struct seg_log log;
    size_t len = build_tcp(f, v6, payload, 0x19 /* FIN|PSH|ACK */ | 0x80 /* CWR */);
    size_t l4 = v6 ? 54 : 34;
    struct net_hdr h = { .flags = NET_HDR_F_NEEDS_CSUM, .csum_start = (uint16_t)l4, .csum_offset = 16,
                         .gso_type = v6 ? NET_GSO_TCPV6 : NET_GSO_TCPV4, .gso_size = mss,
                         .hdr_len = (uint16_t)(l4 + 20) };
    static uint8_t orig[70000];
    memcpy(orig, f, len);
    memset(&log, 0, sizeof log);
    int n = net_offload_finish(&h, f, len, collect, &log);
    int want = (int)((payload + mss - 1) / mss);
    CHECK_EQ(n, want);
    CHECK_EQ(log.n, want);
    size_t off = 0;
    for (int i = 0; i < log.n && i < 64; i++) {
        const uint8_t *s = log.data[i];
        size_t chunk = payload - off < mss ? payload - off : mss;
        CHECK_EQ(log.len[i], l4 + 20 + chunk);
        if (!v6) {
            CHECK_EQ(rd16(s + 16), 40 + chunk);                 /* total length */
            CHECK_EQ(rd16(s + 18), 0x1000 + i);                 /* id */
            CHECK_EQ(ref_sum(0, s + 14, 20), 0xffff);           /* header checksum */
        } else {
            CHECK_EQ(rd16(s + 18), 20 + chunk);                 /* payload length */
        }
        CHECK_EQ(rd32(s + l4 + 4), (uint32_t)(0xfffff000u + off));
        uint8_t fl = s[l4 + 13];
        bool last = i == want - 1;
        CHECK_EQ(fl & 0x09, last ? 0x09 : 0);                   /* FIN, PSH last only */
        CHECK_EQ(fl & 0x80, i == 0 ? 0x80 : 0);                 /* CWR first only */
        CHECK_EQ(fl & 0x10, 0x10);
        CHECK(tcp_ok(s, log.len[i], v6));
        CHECK(memcmp(s + l4 + 20, orig + l4 + 20 + off, chunk) == 0);
        off += chunk;
    }
}

static void test_gso(void)
{
    check_segments(false, 5000, 1448);
    check_segments(false, 1448 * 3, 1448);
    check_segments(false, 100, 1448);       /* shorter than one segment */
    check_segments(true, 9000, 1428);
    check_segments(false, 65483 - 40, 1460); /* a full 64 KiB super-frame */

    /* malformed GSO frames: refused, nothing emitted */
    static uint8_t f[2000];
    static struct seg_log log;
    size_t len = build_tcp(f, false, 1000, 0x10);
    struct net_hdr h = { .gso_type = NET_GSO_TCPV4, .gso_size = 0 };
    memset(&log, 0, sizeof log);
    CHECK(net_offload_finish(&h, f, len, collect, &log) < 0);           /* gso_size 0 */
    h.gso_size = 500;
    h.gso_type = NET_GSO_TCPV6;
    CHECK(net_offload_finish(&h, f, len, collect, &log) < 0);           /* v6 type, v4 frame */
    h.gso_type = NET_GSO_UDP;
    CHECK(net_offload_finish(&h, f, len, collect, &log) < 0);           /* UFO unsupported */
    h.gso_type = NET_GSO_TCPV4;
    CHECK(net_offload_finish(&h, f, 40, collect, &log) < 0);            /* truncated */
    f[34 + 12] = 0xf0;                                                  /* TCP header 60 > frame? */
    CHECK(net_offload_finish(&h, f, 34 + 50, collect, &log) < 0);
    f[34 + 12] = 0x50;
    f[14] = 0x4f;                                                       /* IHL 60 */
    CHECK(net_offload_finish(&h, f, 34 + 40, collect, &log) < 0);
    f[14] = 0x45;
    f[14 + 9] = 17;                                                     /* not TCP */
    CHECK(net_offload_finish(&h, f, len, collect, &log) < 0);
    CHECK_EQ(log.n, 0);
    CHECK(net_offload_finish(&h, f, 10, collect, &log) < 0);            /* shorter than Ethernet */
    CHECK(net_offload_finish(&h, f, NET_FRAME_MAX + 1, collect, &log) < 0);
}

/* Random headers over random frames: never a crash, never an access out
 * of the frame (ASan watches), every emitted segment within bounds. */
static void test_random(void)
{
    static uint8_t f[NET_FRAME_MAX];
    static struct seg_log log;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = rnd() % 3 == 0 ? rnd() % NET_FRAME_MAX : rnd() % 200;
        size_t base = build_tcp(f, rnd() & 1, 200, (uint8_t)rnd());
        for (size_t i = 0; i < len && i < sizeof f; i++)
            if (i >= base || rnd() % 16 == 0)
                f[i] = (uint8_t)rnd();
        struct net_hdr h = { .flags = (uint8_t)rnd(), .gso_type = (uint8_t)(rnd() % 6),
                             .gso_size = (uint16_t)(rnd() % 4 ? rnd() % 2000 : rnd()),
                             .hdr_len = (uint16_t)rnd(), .csum_start = (uint16_t)(rnd() % 300),
                             .csum_offset = (uint16_t)(rnd() % 40) };
        if (rnd() & 1)
            h.gso_type = rnd() & 1 ? NET_GSO_TCPV4 : NET_GSO_TCPV6;
        log.n = 0;
        /* a tiny gso_size over a big frame would take long: keep it sane */
        if (h.gso_size < 64 && len > 4096)
            h.gso_size = 64;
        int n = net_offload_finish(&h, f, len, collect, &log);
        if (n >= 0)
            CHECK_EQ(log.n, n);
        else
            CHECK_EQ(log.n, 0);
        CHECK(net_hdr_check(&h, f, len) == 0 || n < 0 || h.gso_type == 0);
    }
}

int main(void)
{
    test_csum();
    test_csum_finish();
    test_gso();
    test_random();
    CHECK_DONE();
}
