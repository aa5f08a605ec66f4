/*
 * net.h — network backends: where a virtual NIC's Ethernet frames go.
 *
 * A backend carries frames between one virtual NIC (the "frontend",
 * src/dev/virtio_net.c) and the outside: user-mode NAT through libslirp,
 * a host tap interface, or a virtual switch shared by the VMs of a host.
 *
 * Every frame crossing this interface carries a struct net_hdr: the
 * offload metadata of virtio-net (checksum still to be done, TCP
 * segmentation still to be done).  A backend accepts offloaded frames
 * whatever it is (it finishes the work in software when the other side
 * cannot), so the device can always offer checksum and TSO offloads; on
 * receive it may deliver offloaded frames, which the device finishes in
 * software for a guest that did not negotiate them (net_offload.h).
 *
 * Threading: a backend is single-threaded.  All calls, and the callbacks
 * it makes into the frontend, happen on the thread that polls it (the
 * VM's host loop).  A backend never blocks: it polls its file descriptors
 * through struct net_poll, from the owner's event loop.
 *
 * Back-pressure.  Receive: when the frontend refuses a frame (the guest
 * has no free receive buffer) the backend keeps it, stops reading from
 * its sources, and resumes when the frontend calls net_backend_rx_resume.
 * What cannot be kept (a bounded queue is full) is dropped and counted in
 * the stats.  Transmit: net_backend_send() always takes the frame (or
 * drops and counts it); when net_backend_can_send() turns false the
 * frontend stops taking frames from the guest until it turns true again.
 */
#ifndef VESSEL_NET_H
#define VESSEL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/uio.h>

/* Largest frame: a 64 KiB GSO super-frame plus Ethernet and VLAN headers. */
#define NET_FRAME_MAX   (65536 + 14 + 4)
#define NET_ETH_HLEN    14

/* Offload metadata: the fields of struct virtio_net_hdr, host order. */
struct net_hdr {
    uint8_t  flags;         /* NET_HDR_F_* */
    uint8_t  gso_type;      /* NET_GSO_* */
    uint16_t hdr_len;       /* Ethernet+IP+TCP header length (a hint) */
    uint16_t gso_size;      /* payload bytes per segment */
    uint16_t csum_start;    /* checksum the bytes from here to the end ... */
    uint16_t csum_offset;   /* ... and store it at csum_start+csum_offset */
};

#define NET_HDR_F_NEEDS_CSUM  1
#define NET_HDR_F_DATA_VALID  2
#define NET_GSO_NONE   0
#define NET_GSO_TCPV4  1
#define NET_GSO_UDP    3
#define NET_GSO_TCPV6  4
#define NET_GSO_ECN    0x80

/* ---- options (`--net TYPE,key=value,...`) ------------------------------ */

enum net_kind { NET_USER, NET_TAP, NET_SWITCH };

#define NET_MAX_HOSTFWD 32
#define NET_NAME_MAX    64

struct net_hostfwd {
    bool udp;
    struct in_addr host_addr;    /* INADDR_ANY when not given */
    uint16_t host_port;
    struct in_addr guest_addr;   /* 0: the first DHCP address */
    uint16_t guest_port;
};

struct net_options {
    enum net_kind kind;
    uint8_t mac[6];
    bool mac_set;                /* mac= given; otherwise a random one */
    unsigned mtu;                /* 1500 unless mtu= was given */
    bool mtu_set;                /* mtu= given: the guest is told (and held to) it */
    /* user */
    struct net_hostfwd hostfwd[NET_MAX_HOSTFWD];
    unsigned nhostfwd;
    bool restricted;             /* restrict=on: no traffic leaves the host */
    bool ipv6;                   /* ipv6=off disables IPv6 */
    struct in_addr net, mask;    /* net=10.0.2.0/24 */
    struct in_addr host;         /* the gateway, 10.0.2.2 */
    struct in_addr dns;          /* 10.0.2.3 */
    struct in_addr dhcp_start;   /* 10.0.2.15 */
    char hostname[NET_NAME_MAX]; /* DHCP host name offered to the guest */
    /* tap */
    char ifname[IFNAMSIZ];
    bool vnet_hdr;               /* vnet_hdr=off: no kernel offloads */
    /* switch */
    char name[NET_NAME_MAX];
};

/* Parse "user,hostfwd=tcp::2222-:22,...".  hostfwd= may repeat.  Fills in
 * every default; 0 or -1 with a message in err. */
int net_options_parse(struct net_options *opt, const char *text, char *err, size_t errlen);

/* Parse one hostfwd rule: "[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport". */
int net_hostfwd_parse(struct net_hostfwd *fwd, const char *text, char *err, size_t errlen);

/* A random locally administered unicast MAC, 52:54:00:xx:xx:xx. */
void net_random_mac(uint8_t mac[6]);

/* "52:54:00:12:34:56" into buf (at least 18 bytes). */
void net_format_mac(const uint8_t mac[6], char *buf);

/* ---- the backend -------------------------------------------------------- */

/* The poll set a backend adds its descriptors to (an adapter over the
 * owner's event loop).  add() returns an index for revents(), or -1. */
struct net_poll {
    void *ctx;
    int   (*add)(void *ctx, int fd, short events);
    short (*revents)(void *ctx, int index);
};

/* The frontend, as seen by a backend. */
struct net_frontend {
    void *opaque;
    /* Deliver one frame to the guest: true if taken, false if there is no
     * room now (the backend keeps the frame and calls again after
     * net_backend_rx_resume).  A malformed frame is taken and dropped. */
    bool (*receive)(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len);
};

struct net_stats {
    uint64_t tx_frames, tx_bytes;   /* guest -> network, accepted */
    uint64_t tx_dropped;            /* malformed, or nowhere to send */
    uint64_t rx_frames, rx_bytes;   /* network -> guest, delivered */
    uint64_t rx_dropped;            /* receive queue overflow, malformed */
};

struct net_backend;

/* Open the backend described by opt; NULL with a message in err. */
struct net_backend *net_backend_new(const struct net_options *opt,
                                    const struct net_frontend *fe,
                                    char *err, size_t errlen);
void net_backend_free(struct net_backend *be);

/* Send one frame from the guest.  Always takes it (copying what it must
 * keep); a frame it cannot deliver is dropped and counted. */
void net_backend_send(struct net_backend *be, const struct net_hdr *hdr,
                      const struct iovec *iov, int iovcnt);
/* False while the backend is congested: stop taking frames from the guest. */
bool net_backend_can_send(const struct net_backend *be);

/* The frontend has room again: deliver kept frames, read sources again. */
void net_backend_rx_resume(struct net_backend *be);

/* Which offloaded frames the frontend takes (NET_OFFLOAD_*): a backend
 * that can produce them (tap) asks its source for just these.  Frames
 * with others still arrive from backends that cannot choose (the switch)
 * and must be finished by the frontend. */
#define NET_OFFLOAD_CSUM 1
#define NET_OFFLOAD_TSO4 2
#define NET_OFFLOAD_TSO6 4
#define NET_OFFLOAD_ECN  8
void net_backend_set_rx_offloads(struct net_backend *be, unsigned offloads);

/* Event loop: before polling, add descriptors and lower *timeout_ms
 * (-1 = infinite); after polling, handle what happened. */
void net_backend_prepare(struct net_backend *be, struct net_poll *p, int *timeout_ms);
void net_backend_dispatch(struct net_backend *be, struct net_poll *p);

const struct net_stats *net_backend_stats(const struct net_backend *be);
const char *net_backend_describe(const struct net_backend *be);  /* "user", "tap tap0" */

#endif
