/*
 * offload.h — finishing offloaded frames in software.
 *
 * A guest that negotiated checksum offload hands over frames whose TCP/UDP
 * checksum is still to be computed (NET_HDR_F_NEEDS_CSUM); with TSO it
 * hands over 64 KiB TCP "super-frames" to be cut into MSS-sized segments
 * (gso_type).  Backends that cannot take such frames (slirp, a tap without
 * vnet headers) and guests that did not negotiate them get plain frames
 * made here.  Every length and offset comes from a guest or another VM and
 * is checked against the frame before use.
 */
#ifndef VESSEL_NET_OFFLOAD_H
#define VESSEL_NET_OFFLOAD_H

#include <stddef.h>
#include <stdint.h>
#include "net/net.h"

/* The Internet checksum: one's-complement sum of data, folded to 16 bits
 * and added to initial (a partial sum), NOT complemented. */
uint16_t net_csum_add(uint32_t initial, const uint8_t *data, size_t len);

/* Compute the checksum hdr asks for, in place; clears NEEDS_CSUM.
 * -1 (frame untouched) if hdr's range lies outside the frame. */
int net_csum_finish(struct net_hdr *hdr, uint8_t *frame, size_t len);

typedef void (*net_emit_fn)(void *opaque, const struct net_hdr *hdr,
                            const uint8_t *frame, size_t len);

/* Make plain frames out of one frame: a GSO frame is cut into segments,
 * each with full IP and TCP checksums; a NEEDS_CSUM frame is finished; a
 * plain frame is passed on.  emit() gets each result (hdr all zero).
 * `frame` may be modified.  Returns the number of frames emitted, or -1 if
 * the frame is malformed (nothing emitted). */
int net_offload_finish(const struct net_hdr *hdr, uint8_t *frame, size_t len,
                       net_emit_fn emit, void *opaque);

/* Check a header's GSO/checksum fields against its frame without changing
 * anything: 0 if a receiver could finish it, -1 if not. */
int net_hdr_check(const struct net_hdr *hdr, const uint8_t *frame, size_t len);

#endif
