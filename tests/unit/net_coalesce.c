/* Unit test: receive coalescing (src/net/coalesce.c).  Consecutive
 * segments of a flow become one TSO frame which, cut again by the
 * segmentation code, gives back the original segments byte for byte;
 * everything that must not be merged passes through, in order. */
#include "net/coalesce.h"
#include "net/offload.h"
#include "net/check.h"

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)(v >> 16)); wr16(p + 2, (uint16_t)v); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* A valid IPv4 TCP segment: seq, payload bytes, flags, source port. */
static size_t segment(uint8_t *f, uint32_t seq, size_t payload, uint8_t flags, uint16_t sport, uint16_t id)
{
    memcpy(f, "\x52\x54\x00\x12\x34\x56\x52\x55\x0a\x00\x02\x02", 12);
    wr16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *tcp = f + 34;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    wr16(ip + 2, (uint16_t)(40 + payload));
    wr16(ip + 4, id);
    wr16(ip + 6, 0x4000);
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, "\x0a\x00\x02\x02\x0a\x00\x02\x0f", 8);
    wr16(ip + 10, (uint16_t)~net_csum_add(0, ip, 20));
    memset(tcp, 0, 20);
    wr16(tcp, sport);
    wr16(tcp + 2, 40000);
    wr32(tcp + 4, seq);
    wr32(tcp + 8, 777);
    tcp[12] = 0x50;
    tcp[13] = flags;
    wr16(tcp + 14, 8192);
    for (size_t i = 0; i < payload; i++)
        tcp[20 + i] = (uint8_t)((seq + i) * 131);
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0; ph[9] = 6;
    wr16(ph + 10, (uint16_t)(20 + payload));
    wr16(tcp + 16, (uint16_t)~net_csum_add(net_csum_add(0, ph, 12), tcp, 20 + payload));
    return 54 + payload;
}

struct out {
    int n;
    struct net_hdr hdr[64];
    size_t len[64];
    uint8_t data[64][70000];
};
static struct out out;

static void collect(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    (void)opaque;
    if (out.n < 64) {
        out.hdr[out.n] = *hdr;
        out.len[out.n] = len;
        memcpy(out.data[out.n], frame, len);
    }
    out.n++;
}

static const struct net_hdr valid = { .flags = NET_HDR_F_DATA_VALID };
static struct net_coalescer co;

struct seglog {
    int n;
    uint8_t data[64][1600];
    size_t len[64];
};
static struct seglog resegs;

static void collect_seg(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    (void)opaque; (void)hdr;
    if (resegs.n < 64 && len <= 1600) {
        memcpy(resegs.data[resegs.n], frame, len);
        resegs.len[resegs.n] = len;
    }
    resegs.n++;
}

/* A fresh, enabled coalescer and an empty output log. */
static void start_enabled(void)
{
    net_coalesce_init(&co, collect, NULL);
    co.enabled = true;
    out.n = 0;
}

static void test_merge_roundtrip(void)
{
    static uint8_t segs[40][1600];
    size_t lens[40];
    start_enabled();
    uint32_t seq = 0xfffff000u;                       /* wraps inside the run */
    for (int i = 0; i < 40; i++) {
        size_t pl = i == 39 ? 300 : 1460;
        lens[i] = segment(segs[i], seq, pl, i == 39 ? 0x18 : 0x10, 80, (uint16_t)(100 + i));
        seq += (uint32_t)pl;
        net_coalesce_add(&co, &valid, segs[i], lens[i]);
    }
    CHECK_EQ(out.n, 0);                               /* held until the burst ends */
    net_coalesce_flush(&co);
    CHECK_EQ(out.n, 1);
    const struct net_hdr *h = &out.hdr[0];
    CHECK_EQ(h->gso_type, NET_GSO_TCPV4);
    CHECK_EQ(h->gso_size, 1460);
    CHECK_EQ(h->flags, NET_HDR_F_NEEDS_CSUM);
    CHECK_EQ(h->csum_start, 34);
    CHECK_EQ(h->csum_offset, 16);
    CHECK_EQ(h->hdr_len, 54);
    CHECK_EQ(out.len[0], 54 + 39 * 1460 + 300);
    CHECK_EQ(rd16(out.data[0] + 16), out.len[0] - 14);           /* IP total length */
    CHECK_EQ(net_csum_add(0, out.data[0] + 14, 20), 0xffff);     /* IP header checksum */
    CHECK_EQ(out.data[0][34 + 13], 0x18);                         /* PSH from the last */
    /* cut again: the same 40 segments (IP ids aside, which GSO renumbers
     * from the first: so do the originals) */
    resegs.n = 0;
    CHECK_EQ(net_offload_finish(h, out.data[0], out.len[0], collect_seg, NULL), 40);
    CHECK_EQ(resegs.n, 40);
    for (int i = 0; i < 40 && i < resegs.n; i++) {
        CHECK_EQ(resegs.len[i], lens[i]);
        if (memcmp(resegs.data[i], segs[i], lens[i]) != 0) {
            fprintf(stderr, "segment %d differs after merge + split\n", i);
            check_failures++;
        }
    }
}

static void test_no_merge(void)
{
    static uint8_t f[8][1600];
    size_t l[8];
    start_enabled();
    /* a gap in the sequence: two runs */
    l[0] = segment(f[0], 1000, 1000, 0x10, 80, 1);
    l[1] = segment(f[1], 3000, 1000, 0x10, 80, 2);
    net_coalesce_add(&co, &valid, f[0], l[0]);
    net_coalesce_add(&co, &valid, f[1], l[1]);
    net_coalesce_flush(&co);
    CHECK_EQ(out.n, 2);
    CHECK_EQ(out.hdr[0].gso_type, 0);
    CHECK_EQ(out.hdr[0].flags, NET_HDR_F_DATA_VALID);
    CHECK(out.len[0] == l[0] && memcmp(out.data[0], f[0], l[0]) == 0);

    /* another flow, a pure ACK, a FIN, a non-TCP frame: each ends the run,
     * order kept */
    out.n = 0;
    l[0] = segment(f[0], 1000, 1000, 0x10, 80, 1);
    l[1] = segment(f[1], 2000, 1000, 0x10, 81, 2);       /* other source port */
    l[2] = segment(f[2], 3000, 0, 0x10, 81, 3);          /* pure ACK */
    l[3] = segment(f[3], 3000, 500, 0x11, 81, 4);        /* FIN */
    memcpy(f[4], f[0], 60);
    f[4][14 + 9] = 17;                                   /* UDP */
    l[4] = 60;
    l[5] = segment(f[5], 5000, 1000, 0x10, 80, 5);
    l[6] = segment(f[6], 6000, 1200, 0x10, 80, 6);       /* longer than the first: new run */
    for (int i = 0; i < 7; i++)
        net_coalesce_add(&co, &valid, f[i], l[i]);
    net_coalesce_flush(&co);
    CHECK_EQ(out.n, 7);
    for (int i = 0; i < 7 && i < out.n; i++)
        CHECK(out.len[i] == l[i] && memcmp(out.data[i], f[i], l[i]) == 0);

    /* frames without known-good checksums, or with offloads, pass as they are */
    out.n = 0;
    l[0] = segment(f[0], 1000, 1000, 0x10, 80, 1);
    l[1] = segment(f[1], 2000, 1000, 0x10, 80, 2);
    static const struct net_hdr plain;
    net_coalesce_add(&co, &plain, f[0], l[0]);
    net_coalesce_add(&co, &plain, f[1], l[1]);
    net_coalesce_flush(&co);
    CHECK_EQ(out.n, 2);
    CHECK_EQ(out.hdr[0].flags, 0);

    /* disabled (guest without TSO): nothing merged */
    co.enabled = false;
    out.n = 0;
    net_coalesce_add(&co, &valid, f[0], l[0]);
    net_coalesce_add(&co, &valid, f[1], l[1]);
    CHECK_EQ(out.n, 2);

    /* never more than 64 KiB of IP datagram */
    co.enabled = true;
    out.n = 0;
    static uint8_t big[1600];
    uint32_t seq = 0;
    for (int i = 0; i < 60; i++) {
        size_t n = segment(big, seq, 1460, 0x10, 80, (uint16_t)i);
        seq += 1460;
        net_coalesce_add(&co, &valid, big, n);
    }
    net_coalesce_flush(&co);
    CHECK_EQ(out.n, 2);                                  /* 44 + 16 segments */
    CHECK(out.len[0] - 14 <= 65535);
    CHECK_EQ(out.len[0], 54 + 44 * 1460);
}

/* Segments with the checksum left to the receiver (another guest's
 * checksum offload) merge too; cut again they get full checksums. */
static void test_partial_checksums(void)
{
    static uint8_t segs[10][1600], part[10][1600];
    size_t lens[10];
    start_enabled();
    const struct net_hdr partial = { .flags = NET_HDR_F_NEEDS_CSUM, .csum_start = 34, .csum_offset = 16 };
    uint32_t seq = 5000;
    for (int i = 0; i < 10; i++) {
        lens[i] = segment(segs[i], seq, 1000, 0x10, 22, (uint16_t)(7 + i));
        seq += 1000;
        memcpy(part[i], segs[i], lens[i]);
        uint8_t ph[12];
        memcpy(ph, part[i] + 26, 8);
        ph[8] = 0; ph[9] = 6;
        wr16(ph + 10, (uint16_t)(lens[i] - 34));
        wr16(part[i] + 50, net_csum_add(0, ph, 12));      /* pseudo-header sum only */
        net_coalesce_add(&co, &partial, part[i], lens[i]);
    }
    net_coalesce_flush(&co);
    CHECK_EQ(out.n, 1);
    CHECK_EQ(out.hdr[0].gso_size, 1000);
    resegs.n = 0;
    CHECK_EQ(net_offload_finish(&out.hdr[0], out.data[0], out.len[0], collect_seg, NULL), 10);
    for (int i = 0; i < 10 && i < resegs.n; i++)
        CHECK(resegs.len[i] == lens[i] && memcmp(resegs.data[i], segs[i], lens[i]) == 0);
    /* a checksum range other than the TCP header's: not merged */
    out.n = 0;
    const struct net_hdr odd = { .flags = NET_HDR_F_NEEDS_CSUM, .csum_start = 30, .csum_offset = 16 };
    net_coalesce_add(&co, &odd, part[0], lens[0]);
    net_coalesce_add(&co, &odd, part[1], lens[1]);
    net_coalesce_flush(&co);
    CHECK_EQ(out.n, 2);
    CHECK_EQ(out.hdr[0].csum_start, 30);
}

int main(void)
{
    test_merge_roundtrip();
    test_partial_checksums();
    test_no_merge();
    CHECK_DONE();
}
