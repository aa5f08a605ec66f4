/* coalesce.c — merging TCP segments into super-frames (see coalesce.h). */
#include <string.h>
#include "net/coalesce.h"
#include "net/offload.h"

#define L3 NET_ETH_HLEN              /* IPv4 header offset (no VLAN tag) */
#define L4 (L3 + 20)                 /* TCP header offset (no IP options) */
#define MAX_IP_LEN 65535

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

void net_coalesce_init(struct net_coalescer *c, net_coalesce_out out, void *opaque)
{
    memset(c, 0, offsetof(struct net_coalescer, buf));
    c->out = out;
    c->opaque = opaque;
}

/* The TCP header length if f is an IPv4 TCP segment carrying data with
 * nothing but ACK/PSH set, else 0. */
static size_t tcp_data_segment(const uint8_t *f, size_t len)
{
    if (len < L4 + 20 || get16(f + 12) != 0x0800 || f[L3] != 0x45 || f[L3 + 9] != 6)
        return 0;
    if (get16(f + L3 + 6) & 0x3fff)                 /* fragment */
        return 0;
    if (get16(f + L3 + 2) != len - L3)              /* padded or truncated */
        return 0;
    size_t thl = (size_t)(f[L4 + 12] >> 4) * 4;
    if (thl < 20 || L4 + thl >= len)                /* no payload */
        return 0;
    if ((f[L4 + 13] & ~0x18) != 0 || !(f[L4 + 13] & 0x10))   /* only ACK, PSH */
        return 0;
    return thl;
}

/* Does segment f continue the run? */
static bool joins(const struct net_coalescer *c, const uint8_t *f, size_t len, size_t thl)
{
    const uint8_t *r = c->buf;
    size_t rthl = (size_t)(r[L4 + 12] >> 4) * 4;
    size_t payload = len - L4 - thl;
    return !c->closed && thl == rthl &&
           memcmp(f, r, 12) == 0 &&                             /* MACs */
           f[L3 + 1] == r[L3 + 1] &&                            /* TOS */
           memcmp(f + L3 + 12, r + L3 + 12, 8) == 0 &&          /* addresses */
           memcmp(f + L4, r + L4, 4) == 0 &&                    /* ports */
           get32(f + L4 + 4) == c->next_seq &&
           memcmp(f + L4 + 8, r + L4 + 8, 4) == 0 &&            /* ACK number */
           memcmp(f + L4 + 20, r + L4 + 20, thl - 20) == 0 &&   /* options */
           payload <= c->mss &&
           c->len + payload - L3 <= MAX_IP_LEN;
}

void net_coalesce_flush(struct net_coalescer *c)
{
    if (!c->len)
        return;
    size_t len = c->len;
    c->len = 0;
    if (c->segs == 1) {
        c->out(c->opaque, &c->first_hdr, c->buf, len);
        return;
    }
    uint8_t *ip = c->buf + L3, *tcp = c->buf + L4;
    size_t thl = (size_t)(tcp[12] >> 4) * 4;
    put16(ip + 2, (uint16_t)(len - L3));
    put16(ip + 10, 0);
    put16(ip + 10, (uint16_t)~net_csum_add(0, ip, 20));
    /* A partial checksum: the pseudo-header sum, as a sender would leave it. */
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0;
    ph[9] = 6;
    put16(ph + 10, (uint16_t)(len - L4));
    put16(tcp + 16, net_csum_add(0, ph, sizeof ph));
    struct net_hdr h = {
        .flags = NET_HDR_F_NEEDS_CSUM, .gso_type = NET_GSO_TCPV4,
        .hdr_len = (uint16_t)(L4 + thl), .gso_size = (uint16_t)c->mss,
        .csum_start = L4, .csum_offset = 16,
    };
    c->out(c->opaque, &h, c->buf, len);
}

void net_coalesce_add(struct net_coalescer *c, const struct net_hdr *hdr,
                      const uint8_t *frame, size_t len)
{
    /* Only frames whose checksums are known good (DATA_VALID: slirp), or
     * not computed yet (NEEDS_CSUM over the TCP segment: another guest's
     * checksum offload): the merged frame's partial checksum must not
     * hide a bad one. */
    bool csum_ok = hdr->flags == NET_HDR_F_DATA_VALID ||
                   (hdr->flags == NET_HDR_F_NEEDS_CSUM && hdr->csum_start == L4 &&
                    hdr->csum_offset == 16);
    size_t thl = c->enabled && hdr->gso_type == NET_GSO_NONE && csum_ok
                 ? tcp_data_segment(frame, len) : 0;
    if (!thl) {
        net_coalesce_flush(c);
        c->out(c->opaque, hdr, frame, len);
        return;
    }
    size_t payload = len - L4 - thl;
    if (c->len && joins(c, frame, len, thl)) {
        memcpy(c->buf + c->len, frame + L4 + thl, payload);
        c->len += payload;
        c->segs++;
        c->next_seq += (uint32_t)payload;
        c->buf[L4 + 13] |= frame[L4 + 13];          /* PSH */
        /* As GRO: a short or pushed segment ends the run. */
        c->closed = payload < c->mss || (frame[L4 + 13] & 0x08);
        return;
    }
    net_coalesce_flush(c);
    memcpy(c->buf, frame, len);
    c->first_hdr = *hdr;
    c->len = len;
    c->segs = 1;
    c->mss = payload;
    c->next_seq = get32(frame + L4 + 4) + (uint32_t)payload;
    c->closed = frame[L4 + 13] & 0x08;
}
