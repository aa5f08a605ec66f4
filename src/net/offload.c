/*
 * offload.c — software checksum and TCP segmentation (see offload.h).
 */
#include <stdlib.h>
#include <string.h>
#include "net/offload.h"

#define ETH_P_IPV4  0x0800
#define ETH_P_IPV6  0x86dd
#define ETH_P_VLAN  0x8100
#define IPPROTO_TCP_ 6
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

uint16_t net_csum_add(uint32_t initial, const uint8_t *data, size_t len)
{
    /* Sum big-endian 16-bit words; 8 bytes at a time into 64 bits (byte
     * order is fixed up at the end: one's-complement sums commute with
     * byte swapping). */
    uint64_t sum = 0;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, data, 8);
        sum += w >> 32;
        sum += w & 0xffffffffu;
        data += 8;
        len -= 8;
    }
    while (len >= 2) {
        uint16_t w;
        memcpy(&w, data, 2);
        sum += w;
        data += 2;
        len -= 2;
    }
    if (len) {
        uint8_t last[2] = { data[0], 0 };
        uint16_t w;
        memcpy(&w, last, 2);
        sum += w;
    }
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    uint16_t s = (uint16_t)sum;
    const uint16_t probe = 1;
    if (*(const uint8_t *)&probe == 1)          /* little-endian host */
        s = (uint16_t)(s << 8 | s >> 8);
    uint32_t total = (uint32_t)s + (initial & 0xffff) + (initial >> 16);
    while (total >> 16)
        total = (total & 0xffff) + (total >> 16);
    return (uint16_t)total;
}

int net_csum_finish(struct net_hdr *hdr, uint8_t *frame, size_t len)
{
    if (!(hdr->flags & NET_HDR_F_NEEDS_CSUM))
        return 0;
    size_t start = hdr->csum_start, at = start + hdr->csum_offset;
    if (start >= len || at + 2 > len)
        return -1;
    /* The field holds the pseudo-header sum; sum it with the rest. */
    uint16_t sum = net_csum_add(0, frame + start, len - start);
    uint16_t csum = (uint16_t)~sum;
    if (csum == 0)
        csum = 0xffff;   /* UDP: 0 means "no checksum"; for TCP both are zero */
    put16(frame + at, csum);
    hdr->flags &= (uint8_t)~NET_HDR_F_NEEDS_CSUM;
    return 0;
}

/* Where the headers of a TCP GSO frame are. */
struct tcp_frame {
    size_t l3;        /* IP header offset */
    size_t l4;        /* TCP header offset */
    size_t payload;   /* first payload byte */
    bool v6;
};

static int parse_tcp_frame(const struct net_hdr *hdr, const uint8_t *f, size_t len,
                           struct tcp_frame *t)
{
    if (len < NET_ETH_HLEN)
        return -1;
    size_t l3 = NET_ETH_HLEN;
    uint16_t proto = get16(f + 12);
    if (proto == ETH_P_VLAN) {
        if (len < NET_ETH_HLEN + 4)
            return -1;
        proto = get16(f + 16);
        l3 += 4;
    }
    uint8_t type = hdr->gso_type & (uint8_t)~NET_GSO_ECN;
    size_t l4;
    if (type == NET_GSO_TCPV4) {
        if (proto != ETH_P_IPV4 || len < l3 + 20 || (f[l3] >> 4) != 4)
            return -1;
        size_t ihl = (size_t)(f[l3] & 15) * 4;
        if (ihl < 20 || f[l3 + 9] != IPPROTO_TCP_)
            return -1;
        /* Fragments cannot be segmented. */
        if (get16(f + l3 + 6) & 0x3fff)
            return -1;
        l4 = l3 + ihl;
        t->v6 = false;
    } else if (type == NET_GSO_TCPV6) {
        if (proto != ETH_P_IPV6 || len < l3 + 40 || (f[l3] >> 4) != 6)
            return -1;
        if (f[l3 + 6] != IPPROTO_TCP_)     /* no extension headers */
            return -1;
        l4 = l3 + 40;
        t->v6 = true;
    } else {
        return -1;
    }
    if (len < l4 + 20)
        return -1;
    size_t thl = (size_t)(f[l4 + 12] >> 4) * 4;
    if (thl < 20 || len < l4 + thl)
        return -1;
    t->l3 = l3;
    t->l4 = l4;
    t->payload = l4 + thl;
    return 0;
}

int net_hdr_check(const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    if (len < NET_ETH_HLEN || len > NET_FRAME_MAX)
        return -1;
    if (hdr->flags & NET_HDR_F_NEEDS_CSUM) {
        size_t start = hdr->csum_start, at = start + hdr->csum_offset;
        if (start >= len || at + 2 > len)
            return -1;
    }
    if (hdr->gso_type == NET_GSO_NONE)
        return 0;
    struct tcp_frame t;
    if (hdr->gso_size == 0 || parse_tcp_frame(hdr, frame, len, &t) < 0)
        return -1;
    if (t.payload + hdr->gso_size > NET_FRAME_MAX)
        return -1;
    return 0;
}

static const struct net_hdr plain_hdr;

static uint32_t pseudo_sum(const uint8_t *f, const struct tcp_frame *t, size_t l4len)
{
    uint8_t ph[40];
    size_t n;
    if (t->v6) {
        memcpy(ph, f + t->l3 + 8, 32);          /* source, destination */
        put32(ph + 32, (uint32_t)l4len);
        memset(ph + 36, 0, 3);
        ph[39] = IPPROTO_TCP_;
        n = 40;
    } else {
        memcpy(ph, f + t->l3 + 12, 8);
        ph[8] = 0;
        ph[9] = IPPROTO_TCP_;
        put16(ph + 10, (uint16_t)l4len);
        n = 12;
    }
    return net_csum_add(0, ph, n);
}

static int segment_tcp(const struct net_hdr *hdr, const uint8_t *f, size_t len,
                       net_emit_fn emit, void *opaque)
{
    struct tcp_frame t;
    if (hdr->gso_size == 0 || parse_tcp_frame(hdr, f, len, &t) < 0)
        return -1;
    size_t hlen = t.payload, total = len - hlen, mss = hdr->gso_size;
    if (hlen + mss > NET_FRAME_MAX)
        return -1;
    uint8_t *seg = malloc(hlen + (total < mss ? total : mss));
    if (!seg)
        return -1;
    uint32_t seq = get32(f + t.l4 + 4);
    uint16_t ip_id = t.v6 ? 0 : get16(f + t.l3 + 4);
    uint8_t tcp_flags = f[t.l4 + 13];
    int n = 0;
    size_t off = 0;
    do {
        size_t chunk = total - off < mss ? total - off : mss;
        bool last = off + chunk >= total;
        memcpy(seg, f, hlen);
        memcpy(seg + hlen, f + hlen + off, chunk);
        size_t l4len = hlen - t.l4 + chunk;
        if (t.v6) {
            put16(seg + t.l3 + 4, (uint16_t)l4len);
        } else {
            uint8_t *ip = seg + t.l3;
            put16(ip + 2, (uint16_t)(t.l4 - t.l3 + l4len));
            put16(ip + 4, (uint16_t)(ip_id + n));
            put16(ip + 10, 0);
            put16(ip + 10, (uint16_t)~net_csum_add(0, ip, t.l4 - t.l3));
        }
        uint8_t *tcp = seg + t.l4;
        put32(tcp + 4, seq + (uint32_t)off);
        uint8_t fl = tcp_flags;
        if (!last)
            fl &= (uint8_t)~(TCP_FIN | TCP_PSH);
        if (n > 0)
            fl &= (uint8_t)~TCP_CWR;
        tcp[13] = fl;
        put16(tcp + 16, 0);
        uint16_t sum = net_csum_add(pseudo_sum(seg, &t, l4len), tcp, l4len);
        put16(tcp + 16, (uint16_t)~sum);
        emit(opaque, &plain_hdr, seg, hlen + chunk);
        n++;
        off += chunk;
    } while (off < total);
    free(seg);
    return n;
}

int net_offload_finish(const struct net_hdr *hdr, uint8_t *frame, size_t len,
                       net_emit_fn emit, void *opaque)
{
    if (len < NET_ETH_HLEN || len > NET_FRAME_MAX)
        return -1;
    if (hdr->gso_type != NET_GSO_NONE) {
        /* Segments get fresh checksums: NEEDS_CSUM needs no separate pass,
         * but its range must still make sense. */
        if (net_hdr_check(hdr, frame, len) < 0)
            return -1;
        return segment_tcp(hdr, frame, len, emit, opaque);
    }
    struct net_hdr h = *hdr;
    if (net_csum_finish(&h, frame, len) < 0)
        return -1;
    emit(opaque, &plain_hdr, frame, len);
    return 1;
}
