/*
 * backend.h — what the backends of src/net/ share (private to src/net/).
 *
 * struct net_backend is the common part; each backend type embeds it first
 * and fills in ops.  The common part keeps the receive queue: frames the
 * guest had no room for, delivered in order once it has.
 */
#ifndef VESSEL_NET_BACKEND_H
#define VESSEL_NET_BACKEND_H

#include "net/net.h"

struct net_backend_ops {
    const char *kind;
    void (*send)(struct net_backend *be, const struct net_hdr *hdr,
                 const struct iovec *iov, int iovcnt);
    bool (*can_send)(const struct net_backend *be);       /* NULL: always */
    void (*prepare)(struct net_backend *be, struct net_poll *p, int *timeout_ms);
    void (*dispatch)(struct net_backend *be, struct net_poll *p);
    void (*set_rx_offloads)(struct net_backend *be, unsigned offloads);   /* may be NULL */
    void (*free)(struct net_backend *be);
};

/* Frames kept for the guest: at most this many, this many bytes. */
#define NET_RXQ_MAX_FRAMES 512
#define NET_RXQ_MAX_BYTES  (4u << 20)

struct net_rx_frame {
    struct net_hdr hdr;
    size_t len;
    uint8_t data[];
};

struct net_backend {
    const struct net_backend_ops *ops;
    struct net_frontend fe;
    struct net_stats stats;
    char desc[96];
    /* receive queue: a ring of kept frames */
    struct net_rx_frame *rxq[NET_RXQ_MAX_FRAMES];
    unsigned rxq_head, rxq_count;
    size_t rxq_bytes;
};

/* Hand a frame to the guest, or keep it if the guest is full (dropping and
 * counting it if the queue is full too).  Keeps frames in order. */
void net_deliver(struct net_backend *be, const struct net_hdr *hdr,
                 const uint8_t *frame, size_t len);

/* True while frames wait for the guest: a backend stops reading its
 * sources then (the kernel or the peer holds what follows). */
bool net_rx_blocked(const struct net_backend *be);

/* Constructors, one per file. */
struct net_backend *net_user_new(const struct net_options *opt, char *err, size_t errlen);
struct net_backend *net_tap_new(const struct net_options *opt, char *err, size_t errlen);
struct net_backend *net_switch_new(const struct net_options *opt, char *err, size_t errlen);

/* Gather iov into buf (at most cap bytes); the byte count, or -1 if the
 * frame does not fit. */
ssize_t net_iov_gather(uint8_t *buf, size_t cap, const struct iovec *iov, int iovcnt);

/* The wire form of struct net_hdr (struct virtio_net_hdr without
 * num_buffers, little-endian), used by tap and the switch. */
#define NET_WIRE_HDR_LEN 10
void net_hdr_to_wire(const struct net_hdr *hdr, uint8_t wire[NET_WIRE_HDR_LEN]);
void net_hdr_from_wire(struct net_hdr *hdr, const uint8_t wire[NET_WIRE_HDR_LEN]);

#endif
