/*
 * virtio_net.c — the virtio network device (virtio 1.x, 5.1).
 *
 * Queues: 0 receive, 1 transmit, 2 control.  Frames travel to and from a
 * backend (src/net/): the guest's transmit chains are sent on the
 * device's worker thread (a vCPU only rings the doorbell); the backend's
 * sockets are polled by the VM's host loop, which fills receive buffers.
 * One mutex serializes the two, since a backend is single-threaded.
 *
 * Offloads: the device offers checksum and TSO both ways.  Whatever the
 * guest negotiated, frames are finished in software where the other side
 * cannot take them: by the backend on transmit (slirp gets plain frames),
 * here on receive (a guest without GUEST_TSO never sees a super-frame).
 * Mergeable receive buffers let a 64 KiB frame span the guest's small
 * buffers.
 *
 * Everything the guest hands over is checked: chain layout by virtqueue.c,
 * here the header, its offload fields against what was negotiated, frame
 * lengths, and control commands.  Misbehaviour drops the frame (counted)
 * or, for a protocol violation, marks the device broken.
 *
 * Lock order: transport lock -> nd->lock -> virtqueue locks.  Transport
 * callbacks that run under the transport lock (features_ok, driver_ok)
 * only touch atomics, so the loop thread holding nd->lock while popping
 * can never wait for them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dev/virtio.h"
#include "dev/virtio_net.h"
#include "machine/vm.h"
#include "net/net.h"
#include "net/offload.h"

/* Feature bits (spec 5.1.3). */
#define VIRTIO_NET_F_CSUM                0
#define VIRTIO_NET_F_GUEST_CSUM          1
#define VIRTIO_NET_F_CTRL_GUEST_OFFLOADS 2
#define VIRTIO_NET_F_MTU                 3
#define VIRTIO_NET_F_MAC                 5
#define VIRTIO_NET_F_GUEST_TSO4          7
#define VIRTIO_NET_F_GUEST_TSO6          8
#define VIRTIO_NET_F_GUEST_ECN           9
#define VIRTIO_NET_F_GUEST_UFO           10
#define VIRTIO_NET_F_HOST_TSO4           11
#define VIRTIO_NET_F_HOST_TSO6           12
#define VIRTIO_NET_F_HOST_ECN            13
#define VIRTIO_NET_F_HOST_UFO            14
#define VIRTIO_NET_F_MRG_RXBUF           15
#define VIRTIO_NET_F_STATUS              16
#define VIRTIO_NET_F_CTRL_VQ             17
#define VIRTIO_NET_F_CTRL_RX             18

#define VIRTIO_NET_S_LINK_UP 1

/* Control commands (spec 5.1.6.5). */
#define VIRTIO_NET_OK  0
#define VIRTIO_NET_ERR 1
#define CTRL_RX                0
#define CTRL_RX_PROMISC        0
#define CTRL_RX_ALLMULTI       1
#define CTRL_MAC               1
#define CTRL_MAC_TABLE_SET     0
#define CTRL_GUEST_OFFLOADS    5
#define CTRL_GUEST_OFFLOADS_SET 0

#define NET_HDR_LEN     12        /* struct virtio_net_hdr with num_buffers */
#define CONFIG_SIZE     12        /* mac, status, max_virtqueue_pairs, mtu */
#define RXQ 0
#define TXQ 1
#define CTRLQ 2
#define QUEUE_SIZE      256
#define TX_BUDGET       64        /* frames per turn, then let the loop in */
#define RX_MAX_BUFS     256       /* mergeable buffers one frame may span */
#define CTRL_MAX        4096      /* bytes of one control command */

#define BIT(b) VIRTIO_BIT(b)
#define GUEST_OFFLOAD_BITS (BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_GUEST_TSO4) | \
                            BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN) | \
                            BIT(VIRTIO_NET_F_GUEST_UFO))

static const uint64_t net_features =
    BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) | BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) |
    BIT(VIRTIO_NET_F_MAC) |
    BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) | BIT(VIRTIO_NET_F_GUEST_ECN) |
    BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN) |
    BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_STATUS) |
    BIT(VIRTIO_NET_F_CTRL_VQ) | BIT(VIRTIO_NET_F_CTRL_RX);

struct net_dev_stats {
    uint64_t tx_bad;          /* malformed transmit chains / headers */
    uint64_t rx_no_fit;       /* frame larger than the guest's buffers */
    uint64_t rx_link_down;    /* frames arriving with no driver */
};

struct net_dev {
    struct vm *vm;
    struct virtio_dev *vd;
    struct net_backend *be;
    pthread_mutex_t lock;         /* the backend and everything below */
    _Atomic bool active;          /* DRIVER_OK and not reset since */
    _Atomic bool offloads_dirty;  /* guest offloads changed: re-apply */
    _Atomic uint64_t guest_offloads;  /* GUEST_* bits in force */
    bool tx_blocked;              /* the backend was congested */
    bool rx_pushed;               /* used buffers to signal */
    struct net_dev_stats stats;
    uint8_t mac[6];
    unsigned mtu;                 /* enforced on receive if the guest took MTU */
    struct virtio_device_ops ops; /* net_ops, plus MTU when mtu= was given */

    /* scratch, under lock */
    struct iovec rx_iov_first[VIRTQ_MAX_CHAIN];
    struct iovec rx_iov[VIRTQ_MAX_CHAIN];
    struct virtq_elem rx_elems[RX_MAX_BUFS];
    struct iovec tx_iov[VIRTQ_MAX_CHAIN];
    struct iovec tx_frame_iov[VIRTQ_MAX_CHAIN];
    uint8_t frame[NET_FRAME_MAX];     /* a receive frame being finished */
    uint8_t ctrl[CTRL_MAX];
};

/* ---- receive: backend -> guest ----------------------------------------------- */

static void hdr_to_virtio(const struct net_hdr *h, uint16_t num_buffers, uint8_t out[NET_HDR_LEN])
{
    out[0] = h->flags;
    out[1] = h->gso_type;
    virtio_put_le16(out + 2, h->hdr_len);
    virtio_put_le16(out + 4, h->gso_size);
    virtio_put_le16(out + 6, h->csum_start);
    virtio_put_le16(out + 8, h->csum_offset);
    virtio_put_le16(out + 10, num_buffers);
}

static void unpop_all(struct virtq *vq, struct virtq_elem *elems, unsigned n)
{
    /* Newest first: each unpop gives back the latest chain still out. */
    while (n)
        virtq_unpop(vq, &elems[--n]);
}

/* Copy one finished frame into the receive queue: 1 done, 0 no buffer
 * (nothing consumed), -1 dropped. */
static int rx_put(struct net_dev *nd, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct virtq *vq = virtio_dev_queue(nd->vd, RXQ);
    bool mergeable = virtio_dev_has_feature(nd->vd, VIRTIO_NET_F_MRG_RXBUF);
    size_t need = NET_HDR_LEN + len, got = 0;
    unsigned n = 0;
    uint32_t written[RX_MAX_BUFS];

    while (got < need) {
        if (n == RX_MAX_BUFS || (n > 0 && !mergeable)) {
            /* The guest's buffers are too small for this frame. */
            unpop_all(vq, nd->rx_elems, n);
            nd->stats.rx_no_fit++;
            return -1;
        }
        struct virtq_elem *e = &nd->rx_elems[n];
        struct iovec *iov = n == 0 ? nd->rx_iov_first : nd->rx_iov;
        int r = virtq_pop(vq, e, iov, VIRTQ_MAX_CHAIN);
        if (r == 0) {
            unpop_all(vq, nd->rx_elems, n);
            return 0;
        }
        if (r < 0) {
            unpop_all(vq, nd->rx_elems, n);
            return -1;                               /* not ready, or broken */
        }
        if (e->out_num > 0 || (n == 0 && e->in_len < NET_HDR_LEN)) {
            virtio_dev_set_broken(nd->vd, "virtio-net: receive buffer not writable or "
                                  "smaller than the header");
            return -1;
        }
        /* The header goes at the front of the first buffer (written last,
         * once num_buffers is known); the frame follows, across buffers. */
        size_t skip = n == 0 ? NET_HDR_LEN : 0;
        size_t done = n == 0 ? 0 : got - NET_HDR_LEN;     /* frame bytes placed */
        size_t take = len - done;
        if (take > e->in_len - skip)
            take = e->in_len - skip;
        virtio_iov_from_buf(iov + e->out_num, e->in_num, skip, frame + done, take);
        written[n] = (uint32_t)(skip + take);
        got += skip + take;
        n++;
    }
    uint8_t h[NET_HDR_LEN];
    hdr_to_virtio(hdr, (uint16_t)n, h);
    virtio_iov_from_buf(nd->rx_iov_first + nd->rx_elems[0].out_num, nd->rx_elems[0].in_num, 0,
                        h, NET_HDR_LEN);
    if (n == 1) {
        virtq_push(vq, &nd->rx_elems[0], written[0]);
    } else {
        const struct virtq_elem *list[RX_MAX_BUFS];
        for (unsigned i = 0; i < n; i++)
            list[i] = &nd->rx_elems[i];
        virtq_push_many(vq, list, written, n);
    }
    nd->rx_pushed = true;
    return 1;
}

/* Segments of a super-frame cut here for a guest without TSO. */
struct rx_emit {
    struct net_dev *nd;
    unsigned n;          /* segments handled */
    int state;           /* 1 delivering, 0 no room for the first, -1 dropping */
};

static void rx_emit_segment(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct rx_emit *re = opaque;
    struct net_dev *nd = re->nd;
    if (re->state <= 0) {
        /* Past the first segment the rest is lost (TCP resends it). */
        if (re->state < 0)
            nd->stats.rx_no_fit++;
        return;
    }
    if (virtio_dev_has_feature(nd->vd, VIRTIO_NET_F_MTU) && len > nd->mtu + NET_ETH_HLEN + 4) {
        nd->stats.rx_no_fit++;           /* the sender's MSS exceeds our MTU */
        re->n++;
        return;
    }
    struct net_hdr h = *hdr;
    h.flags = atomic_load(&nd->guest_offloads) & BIT(VIRTIO_NET_F_GUEST_CSUM)
              ? NET_HDR_F_DATA_VALID : 0;
    int r = rx_put(nd, &h, frame, len);
    if (r <= 0)
        re->state = r == 0 && re->n == 0 ? 0 : -1;
    if (r == 0 && re->n > 0)
        nd->stats.rx_no_fit++;
    re->n++;
}

/* net_frontend.receive, with nd->lock held (backend dispatch or resume). */
static bool net_receive(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct net_dev *nd = opaque;
    if (!atomic_load(&nd->active)) {
        nd->stats.rx_link_down++;
        return true;                   /* no driver: the link is down */
    }
    uint64_t off = atomic_load(&nd->guest_offloads);
    bool csum = off & BIT(VIRTIO_NET_F_GUEST_CSUM);
    uint8_t gso = hdr->gso_type & (uint8_t)~NET_GSO_ECN;
    bool gso_ok = gso == NET_GSO_NONE ||
                  (gso == NET_GSO_TCPV4 && (off & BIT(VIRTIO_NET_F_GUEST_TSO4))) ||
                  (gso == NET_GSO_TCPV6 && (off & BIT(VIRTIO_NET_F_GUEST_TSO6)));
    if ((hdr->gso_type & NET_GSO_ECN) && !(off & BIT(VIRTIO_NET_F_GUEST_ECN)))
        gso_ok = false;

    /* With MTU negotiated, no plain frame larger than it (spec 5.1.6.3.1);
     * 4 bytes of slack for a VLAN tag. */
    if (gso == NET_GSO_NONE && virtio_dev_has_feature(nd->vd, VIRTIO_NET_F_MTU) &&
        len > nd->mtu + NET_ETH_HLEN + 4) {
        nd->stats.rx_no_fit++;
        return true;
    }
    if (gso_ok && (csum || !(hdr->flags & NET_HDR_F_NEEDS_CSUM))) {
        struct net_hdr h = *hdr;
        if (!csum)
            h.flags = 0;               /* DATA_VALID needs GUEST_CSUM */
        return rx_put(nd, &h, frame, len) != 0;
    }
    /* Finish in software what the guest cannot take. */
    if (len > sizeof nd->frame)
        return true;
    memcpy(nd->frame, frame, len);
    if (gso == NET_GSO_NONE) {
        struct net_hdr h = *hdr;
        if (net_csum_finish(&h, nd->frame, len) < 0)
            return true;               /* checked by the backend; belt and braces */
        h.flags = csum ? NET_HDR_F_DATA_VALID : 0;
        return rx_put(nd, &h, nd->frame, len) != 0;
    }
    struct rx_emit re = { nd, 0, 1 };
    if (net_offload_finish(hdr, nd->frame, len, rx_emit_segment, &re) < 0)
        return true;
    /* No room for the first segment: keep the whole frame for later. */
    return re.state != 0;
}

static void signal_rx(struct net_dev *nd)
{
    if (nd->rx_pushed) {
        nd->rx_pushed = false;
        virtq_notify(virtio_dev_queue(nd->vd, RXQ));
    }
}

/* ---- transmit: guest -> backend ---------------------------------------------- */

static bool tx_header_ok(struct net_dev *nd, const struct net_hdr *h)
{
    struct virtio_dev *vd = nd->vd;
    if ((h->flags & NET_HDR_F_NEEDS_CSUM) && !virtio_dev_has_feature(vd, VIRTIO_NET_F_CSUM))
        return false;
    if ((h->gso_type & NET_GSO_ECN) && !virtio_dev_has_feature(vd, VIRTIO_NET_F_HOST_ECN))
        return false;
    switch (h->gso_type & (uint8_t)~NET_GSO_ECN) {
    case NET_GSO_NONE:  return true;
    case NET_GSO_TCPV4: return virtio_dev_has_feature(vd, VIRTIO_NET_F_HOST_TSO4) && h->gso_size;
    case NET_GSO_TCPV6: return virtio_dev_has_feature(vd, VIRTIO_NET_F_HOST_TSO6) && h->gso_size;
    default:            return false;     /* UFO is never offered */
    }
}

/* Send what the guest queued; with nd->lock held. */
static void tx_run(struct net_dev *nd)
{
    struct virtq *vq = virtio_dev_queue(nd->vd, TXQ);
    struct virtq_elem e;
    unsigned done = 0;
    while (done < TX_BUDGET) {
        if (!net_backend_can_send(nd->be)) {
            nd->tx_blocked = true;        /* the loop reschedules us */
            break;
        }
        if (virtq_pop(vq, &e, nd->tx_iov, VIRTQ_MAX_CHAIN) <= 0)
            break;
        done++;
        uint8_t raw[NET_HDR_LEN];
        if (e.out_len < NET_HDR_LEN + NET_ETH_HLEN || e.out_len > NET_HDR_LEN + NET_FRAME_MAX ||
            virtio_iov_to_buf(nd->tx_iov, e.out_num, 0, raw, NET_HDR_LEN) != NET_HDR_LEN) {
            nd->stats.tx_bad++;
            virtq_push(vq, &e, 0);
            continue;
        }
        struct net_hdr h = {
            .flags = raw[0], .gso_type = raw[1], .hdr_len = virtio_le16(raw + 2),
            .gso_size = virtio_le16(raw + 4), .csum_start = virtio_le16(raw + 6),
            .csum_offset = virtio_le16(raw + 8),
        };
        h.flags &= NET_HDR_F_NEEDS_CSUM;  /* DATA_VALID means nothing on transmit */
        if (!tx_header_ok(nd, &h)) {
            nd->stats.tx_bad++;
            virtq_push(vq, &e, 0);
            continue;
        }
        unsigned cnt = virtio_iov_slice(nd->tx_iov, e.out_num, NET_HDR_LEN,
                                        e.out_len - NET_HDR_LEN, nd->tx_frame_iov);
        net_backend_send(nd->be, &h, nd->tx_frame_iov, (int)cnt);
        virtq_push(vq, &e, 0);
    }
    if (done)
        virtq_notify(vq);
    if (done == TX_BUDGET)
        virtio_dev_schedule(nd->vd, TXQ);   /* more, after others had a turn */
}

/* ---- control queue ------------------------------------------------------------- */

static uint8_t ctrl_command(struct net_dev *nd, const uint8_t *c, size_t len)
{
    if (len < 2)
        return VIRTIO_NET_ERR;
    const uint8_t *data = c + 2;
    size_t dlen = len - 2;
    switch (c[0]) {
    case CTRL_RX:
        /* Promiscuous and all-multicast: every frame is delivered anyway
         * (the backends do not filter), which the spec allows. */
        if ((c[1] == CTRL_RX_PROMISC || c[1] == CTRL_RX_ALLMULTI) && dlen == 1)
            return VIRTIO_NET_OK;
        return VIRTIO_NET_ERR;
    case CTRL_MAC:
        if (c[1] == CTRL_MAC_TABLE_SET) {
            /* Two tables, unicast then multicast: le32 entries + 6*entries. */
            size_t off = 0;
            for (int t = 0; t < 2; t++) {
                if (dlen - off < 4)
                    return VIRTIO_NET_ERR;
                uint32_t n = virtio_le32(data + off);
                off += 4;
                if (n > (dlen - off) / 6)
                    return VIRTIO_NET_ERR;
                off += (size_t)n * 6;
            }
            return off == dlen ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
        }
        return VIRTIO_NET_ERR;
    case CTRL_GUEST_OFFLOADS:
        if (c[1] == CTRL_GUEST_OFFLOADS_SET && dlen == 8) {
            uint64_t want = virtio_le64(data);
            uint64_t have = virtio_dev_features(nd->vd) & GUEST_OFFLOAD_BITS;
            if (!virtio_dev_has_feature(nd->vd, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) ||
                (want & ~have))
                return VIRTIO_NET_ERR;
            atomic_store(&nd->guest_offloads, want);
            atomic_store(&nd->offloads_dirty, true);
            return VIRTIO_NET_OK;
        }
        return VIRTIO_NET_ERR;
    default:
        return VIRTIO_NET_ERR;
    }
}

static void ctrl_run(struct net_dev *nd)
{
    struct virtq *vq = virtio_dev_queue(nd->vd, CTRLQ);
    struct iovec iov[64];
    struct virtq_elem e;
    bool any = false;
    while (virtq_pop(vq, &e, iov, 64) > 0) {
        any = true;
        if (e.in_len < 1) {
            virtio_dev_set_broken(nd->vd, "virtio-net: control command without a status byte");
            return;
        }
        uint8_t ack = VIRTIO_NET_ERR;
        if (e.out_len <= CTRL_MAX) {
            size_t n = virtio_iov_to_buf(iov, e.out_num, 0, nd->ctrl, e.out_len);
            ack = ctrl_command(nd, nd->ctrl, n);
        }
        /* The ack is the last byte of the device-writable part. */
        virtio_iov_from_buf(iov + e.out_num, e.in_num, e.in_len - 1, &ack, 1);
        virtq_push(vq, &e, (uint32_t)e.in_len);
    }
    if (any)
        virtq_notify(vq);
}

/* ---- the worker: guest notifications ------------------------------------------------ */

/* Tell the backend which offloaded frames the guest takes now (a tap
 * then asks the kernel for just those). */
static void apply_offloads(struct net_dev *nd)
{
    if (!atomic_exchange(&nd->offloads_dirty, false))
        return;
    uint64_t off = atomic_load(&nd->guest_offloads);
    unsigned rx = 0;
    if (off & BIT(VIRTIO_NET_F_GUEST_CSUM)) rx |= NET_OFFLOAD_CSUM;
    if (off & BIT(VIRTIO_NET_F_GUEST_TSO4)) rx |= NET_OFFLOAD_TSO4;
    if (off & BIT(VIRTIO_NET_F_GUEST_TSO6)) rx |= NET_OFFLOAD_TSO6;
    if (off & BIT(VIRTIO_NET_F_GUEST_ECN))  rx |= NET_OFFLOAD_ECN;
    net_backend_set_rx_offloads(nd->be, rx);
}

static void net_queue_notify(struct virtio_dev *vd, unsigned q)
{
    struct net_dev *nd = virtio_dev_opaque(vd);
    pthread_mutex_lock(&nd->lock);
    apply_offloads(nd);
    if (q == TXQ)
        tx_run(nd);
    else if (q == RXQ)
        net_backend_rx_resume(nd->be);       /* the guest posted buffers */
    else if (q == CTRLQ)
        ctrl_run(nd);
    signal_rx(nd);
    pthread_mutex_unlock(&nd->lock);
    /* The backend may poll other descriptors now (a new slirp socket, a
     * blocked peer, reading resumed): let the loop rebuild its poll set. */
    vm_kick(nd->vm);
}

static bool net_features_ok(struct virtio_dev *vd, uint64_t f)
{
    struct net_dev *nd = virtio_dev_opaque(vd);
    /* Dependencies of spec 5.1.3.1. */
    bool guest_tso = f & (BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6));
    bool host_tso = f & (BIT(VIRTIO_NET_F_HOST_TSO4) | BIT(VIRTIO_NET_F_HOST_TSO6));
    if ((guest_tso && !(f & BIT(VIRTIO_NET_F_GUEST_CSUM))) ||
        ((f & BIT(VIRTIO_NET_F_GUEST_ECN)) && !guest_tso) ||
        (host_tso && !(f & BIT(VIRTIO_NET_F_CSUM))) ||
        ((f & BIT(VIRTIO_NET_F_HOST_ECN)) && !host_tso) ||
        ((f & (BIT(VIRTIO_NET_F_CTRL_RX) | BIT(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS))) &&
         !(f & BIT(VIRTIO_NET_F_CTRL_VQ))))
        return false;
    atomic_store(&nd->guest_offloads, f & GUEST_OFFLOAD_BITS);
    atomic_store(&nd->offloads_dirty, true);
    return true;
}

static void net_driver_ok(struct virtio_dev *vd)
{
    struct net_dev *nd = virtio_dev_opaque(vd);
    atomic_store(&nd->active, true);
    vm_kick(nd->vm);
}

static void net_reset(struct virtio_dev *vd)
{
    struct net_dev *nd = virtio_dev_opaque(vd);
    /* Taking the lock waits for a receive in progress on the loop thread;
     * after this nothing touches the old rings. */
    pthread_mutex_lock(&nd->lock);
    atomic_store(&nd->active, false);
    nd->tx_blocked = false;
    nd->rx_pushed = false;
    pthread_mutex_unlock(&nd->lock);
}

static void net_destroy(struct virtio_dev *vd)
{
    struct net_dev *nd = virtio_dev_opaque(vd);
    if (getenv("VESSEL_NET_STATS")) {
        const struct net_stats *s = net_backend_stats(nd->be);
        fprintf(stderr, "vessel: net %s: tx %llu frames %llu bytes, %llu dropped, %llu bad; "
                "rx %llu frames %llu bytes, %llu dropped, %llu too big, %llu with no driver\n",
                net_backend_describe(nd->be),
                (unsigned long long)s->tx_frames, (unsigned long long)s->tx_bytes,
                (unsigned long long)s->tx_dropped, (unsigned long long)nd->stats.tx_bad,
                (unsigned long long)s->rx_frames, (unsigned long long)s->rx_bytes,
                (unsigned long long)s->rx_dropped, (unsigned long long)nd->stats.rx_no_fit,
                (unsigned long long)nd->stats.rx_link_down);
    }
    net_backend_free(nd->be);
    pthread_mutex_destroy(&nd->lock);
    free(nd);
}

/* The features offered depend on the options: per-device copy in nd->ops. */
static const struct virtio_device_ops net_ops = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .features = net_features,
    .num_queues = 3,
    .queue_max = QUEUE_SIZE,
    .config_size = CONFIG_SIZE,
    .queue_notify = net_queue_notify,
    .features_ok = net_features_ok,
    .driver_ok = net_driver_ok,
    .reset = net_reset,
    .destroy = net_destroy,
};

/* ---- the host loop: backend sockets -------------------------------------------------- */

static int poll_add(void *ctx, int fd, short events)
{
    return vm_poll_add(ctx, fd, events);
}

static short poll_revents(void *ctx, int index)
{
    return vm_poll_revents(ctx, index);
}

static void loop_prepare(void *opaque, struct vm_poll_set *ps, int *timeout_ms)
{
    struct net_dev *nd = opaque;
    struct net_poll p = { ps, poll_add, poll_revents };
    pthread_mutex_lock(&nd->lock);
    apply_offloads(nd);
    net_backend_prepare(nd->be, &p, timeout_ms);
    pthread_mutex_unlock(&nd->lock);
}

static void loop_dispatch(void *opaque, struct vm_poll_set *ps)
{
    struct net_dev *nd = opaque;
    struct net_poll p = { ps, poll_add, poll_revents };
    pthread_mutex_lock(&nd->lock);
    net_backend_dispatch(nd->be, &p);
    signal_rx(nd);
    bool resume_tx = nd->tx_blocked && net_backend_can_send(nd->be);
    if (resume_tx)
        nd->tx_blocked = false;
    pthread_mutex_unlock(&nd->lock);
    if (resume_tx)
        virtio_dev_schedule(nd->vd, TXQ);
}

int virtio_net_create(struct vm *vm, const char *args, char *err, size_t errlen)
{
    struct net_options opt;
    if (net_options_parse(&opt, args, err, errlen) < 0)
        return -1;
    struct net_dev *nd = calloc(1, sizeof *nd);
    if (!nd) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    nd->vm = vm;
    pthread_mutex_init(&nd->lock, NULL);
    memcpy(nd->mac, opt.mac, 6);
    struct net_frontend fe = { nd, net_receive };
    nd->be = net_backend_new(&opt, &fe, err, errlen);
    if (!nd->be) {
        pthread_mutex_destroy(&nd->lock);
        free(nd);
        return -1;
    }
    uint8_t config[CONFIG_SIZE] = { 0 };
    memcpy(config, opt.mac, 6);
    virtio_put_le16(config + 6, VIRTIO_NET_S_LINK_UP);
    virtio_put_le16(config + 8, 1);
    virtio_put_le16(config + 10, (uint16_t)opt.mtu);
    /* Like QEMU, announce an MTU only when asked: without it the guest may
     * raise its MTU itself (jumbo frames on a tap or switch). */
    nd->ops = net_ops;
    nd->mtu = opt.mtu;
    if (opt.mtu_set)
        nd->ops.features |= BIT(VIRTIO_NET_F_MTU);
    nd->vd = virtio_dev_create(vm, &nd->ops, nd, config, err, errlen);
    if (!nd->vd) {
        net_backend_free(nd->be);
        pthread_mutex_destroy(&nd->lock);
        free(nd);
        return -1;
    }
    /* From now on the transport owns nd (net_destroy frees it). */
    struct vm_loop_client client = { nd, loop_prepare, loop_dispatch };
    if (vm_add_loop_client(vm, &client) < 0) {
        snprintf(err, errlen, "net: too many host-side clients in this VM");
        return -1;
    }
    return 0;
}
