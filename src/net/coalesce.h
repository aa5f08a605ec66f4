/*
 * coalesce.h — receive coalescing (LRO): consecutive TCP segments of one
 * flow, as slirp or another VM sends them in a burst, merged into one TSO
 * super-frame for a guest that takes them (GUEST_TSO4 + GUEST_CSUM).
 *
 * The emulated guest pays per frame (interrupt, driver, IP and TCP
 * input), so 40 segments handed over as one frame cost it far less.  The
 * rules are those of Linux GRO: IPv4 without options or fragmentation,
 * same addresses, ports, ACK number and TCP options, flags ACK/PSH only,
 * each segment starting where the previous ended, all but the last of
 * the first one's size (the MSS), checksums known good (DATA_VALID) or
 * left to the receiver (NEEDS_CSUM, another guest's offload).  The result
 * carries gso_size = MSS and a partial checksum (NEEDS_CSUM), as a
 * segmentation offload frame.
 * Anything else passes through in order: a frame that cannot join flushes
 * the run first.
 */
#ifndef VESSEL_NET_COALESCE_H
#define VESSEL_NET_COALESCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "net/net.h"

typedef void (*net_coalesce_out)(void *opaque, const struct net_hdr *hdr,
                                 const uint8_t *frame, size_t len);

struct net_coalescer {
    net_coalesce_out out;
    void *opaque;
    bool enabled;              /* the receiver takes TSO4 frames */
    size_t len;                /* bytes of the run in buf; 0 = none */
    unsigned segs;             /* segments merged into it */
    size_t mss;                /* payload of its first segment */
    uint32_t next_seq;         /* sequence number the next segment must have */
    bool closed;               /* last segment short or pushed: nothing may follow */
    struct net_hdr first_hdr;  /* its first segment's header */
    uint8_t buf[NET_FRAME_MAX];
};

void net_coalesce_init(struct net_coalescer *c, net_coalesce_out out, void *opaque);
/* Pass one plain frame (valid checksums) through the coalescer. */
void net_coalesce_add(struct net_coalescer *c, const struct net_hdr *hdr,
                      const uint8_t *frame, size_t len);
/* Hand over the run in progress (end of a burst). */
void net_coalesce_flush(struct net_coalescer *c);

#endif
