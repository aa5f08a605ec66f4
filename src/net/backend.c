/*
 * backend.c — the part all backends share: construction by kind, the
 * receive queue that holds frames while the guest has no buffer, stats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "net/backend.h"

struct net_backend *net_backend_new(const struct net_options *opt,
                                    const struct net_frontend *fe,
                                    char *err, size_t errlen)
{
    struct net_backend *be = NULL;
    switch (opt->kind) {
    case NET_USER:   be = net_user_new(opt, err, errlen); break;
    case NET_TAP:    be = net_tap_new(opt, err, errlen); break;
    case NET_SWITCH: be = net_switch_new(opt, err, errlen); break;
    }
    if (be)
        be->fe = *fe;
    return be;
}

void net_backend_free(struct net_backend *be)
{
    if (!be)
        return;
    while (be->rxq_count) {
        free(be->rxq[be->rxq_head]);
        be->rxq_head = (be->rxq_head + 1) % NET_RXQ_MAX_FRAMES;
        be->rxq_count--;
    }
    be->ops->free(be);
}

void net_backend_send(struct net_backend *be, const struct net_hdr *hdr,
                      const struct iovec *iov, int iovcnt)
{
    be->ops->send(be, hdr, iov, iovcnt);
}

bool net_backend_can_send(const struct net_backend *be)
{
    return !be->ops->can_send || be->ops->can_send(be);
}

void net_backend_prepare(struct net_backend *be, struct net_poll *p, int *timeout_ms)
{
    be->ops->prepare(be, p, timeout_ms);
}

void net_backend_dispatch(struct net_backend *be, struct net_poll *p)
{
    be->ops->dispatch(be, p);
}

void net_backend_set_rx_offloads(struct net_backend *be, unsigned offloads)
{
    if (be->ops->set_rx_offloads)
        be->ops->set_rx_offloads(be, offloads);
}

const struct net_stats *net_backend_stats(const struct net_backend *be)
{
    return &be->stats;
}

const char *net_backend_describe(const struct net_backend *be)
{
    return be->desc;
}

/* ---- receive queue ------------------------------------------------------- */

static bool offer(struct net_backend *be, const struct net_hdr *hdr,
                  const uint8_t *frame, size_t len)
{
    if (!be->fe.receive(be->fe.opaque, hdr, frame, len))
        return false;
    be->stats.rx_frames++;
    be->stats.rx_bytes += len;
    return true;
}

void net_deliver(struct net_backend *be, const struct net_hdr *hdr,
                 const uint8_t *frame, size_t len)
{
    if (be->rxq_count == 0 && offer(be, hdr, frame, len))
        return;
    if (be->rxq_count == NET_RXQ_MAX_FRAMES || be->rxq_bytes + len > NET_RXQ_MAX_BYTES) {
        be->stats.rx_dropped++;
        return;
    }
    struct net_rx_frame *f = malloc(sizeof *f + len);
    if (!f) {
        be->stats.rx_dropped++;
        return;
    }
    f->hdr = *hdr;
    f->len = len;
    memcpy(f->data, frame, len);
    be->rxq[(be->rxq_head + be->rxq_count) % NET_RXQ_MAX_FRAMES] = f;
    be->rxq_count++;
    be->rxq_bytes += len;
}

bool net_rx_blocked(const struct net_backend *be)
{
    return be->rxq_count > 0;
}

void net_backend_rx_resume(struct net_backend *be)
{
    while (be->rxq_count) {
        struct net_rx_frame *f = be->rxq[be->rxq_head];
        if (!offer(be, &f->hdr, f->data, f->len))
            return;
        be->rxq_head = (be->rxq_head + 1) % NET_RXQ_MAX_FRAMES;
        be->rxq_count--;
        be->rxq_bytes -= f->len;
        free(f);
    }
}

/* ---- helpers ------------------------------------------------------------- */

ssize_t net_iov_gather(uint8_t *buf, size_t cap, const struct iovec *iov, int iovcnt)
{
    size_t n = 0;
    for (int i = 0; i < iovcnt; i++) {
        if (iov[i].iov_len > cap - n)
            return -1;
        memcpy(buf + n, iov[i].iov_base, iov[i].iov_len);
        n += iov[i].iov_len;
    }
    return (ssize_t)n;
}

static void le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

void net_hdr_to_wire(const struct net_hdr *hdr, uint8_t wire[NET_WIRE_HDR_LEN])
{
    wire[0] = hdr->flags;
    wire[1] = hdr->gso_type;
    le16(wire + 2, hdr->hdr_len);
    le16(wire + 4, hdr->gso_size);
    le16(wire + 6, hdr->csum_start);
    le16(wire + 8, hdr->csum_offset);
}

void net_hdr_from_wire(struct net_hdr *hdr, const uint8_t wire[NET_WIRE_HDR_LEN])
{
    hdr->flags = wire[0];
    hdr->gso_type = wire[1];
    hdr->hdr_len = rd16(wire + 2);
    hdr->gso_size = rd16(wire + 4);
    hdr->csum_start = rd16(wire + 6);
    hdr->csum_offset = rd16(wire + 8);
}
