/*
 * user.c — user-mode networking: a NAT to the host's sockets through
 * libslirp, as QEMU's `-netdev user`.  No privileges needed.
 *
 * The guest sees a private 10.0.2.0/24 with a gateway (10.0.2.2, which is
 * also the host's loopback), a DNS forwarder (10.0.2.3) and DHCP handing
 * out 10.0.2.15; hostfwd rules listen on host ports and connect to the
 * guest.  slirp runs entirely on the thread polling this backend: its
 * sockets join that poll through slirp_pollfds_fill/poll, and its timers
 * are kept here and fired from dispatch.
 *
 * slirp takes only plain frames: offloaded frames from the guest are
 * finished in software first (offload.c), which keeps the (slow, emulated)
 * guest from checksumming and segmenting itself.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <slirp/libslirp.h>
#include "net/backend.h"
#include "net/coalesce.h"
#include "net/offload.h"

struct user_timer {
    struct user_timer *next;
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms;          /* -1: not armed */
};

struct net_user {
    struct net_backend be;      /* first */
    Slirp *slirp;
    struct user_timer *timers;
    struct net_poll *poll;      /* during slirp_pollfds_fill/poll */
    bool filled;                /* slirp's fds are in the current poll set */
    unsigned guest_errors;
    struct net_coalescer co;    /* merges slirp's TCP bursts (LRO) */
    uint8_t frame[NET_FRAME_MAX];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- slirp's callbacks --------------------------------------------------- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    struct net_user *u = opaque;
    /* slirp computes every checksum itself. */
    static const struct net_hdr valid = { .flags = NET_HDR_F_DATA_VALID };
    if (len < NET_ETH_HLEN || len > NET_FRAME_MAX) {
        u->be.stats.rx_dropped++;
        return (ssize_t)len;
    }
    net_coalesce_add(&u->co, &valid, buf, len);
    return (ssize_t)len;
}

static void deliver(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct net_user *u = opaque;
    net_deliver(&u->be, hdr, frame, len);
}

static void cb_guest_error(const char *msg, void *opaque)
{
    struct net_user *u = opaque;
    /* A guest can provoke this at will: say it a few times, not forever. */
    if (u->guest_errors++ < 8)
        fprintf(stderr, "vessel: net user: guest error: %s\n", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    (void)opaque;
    return now_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    struct net_user *u = opaque;
    struct user_timer *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cb = cb;
    t->cb_opaque = cb_opaque;
    t->expire_ms = -1;
    t->next = u->timers;
    u->timers = t;
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    struct net_user *u = opaque;
    for (struct user_timer **p = &u->timers; *p; p = &(*p)->next)
        if (*p == timer) {
            *p = ((struct user_timer *)timer)->next;
            free(timer);
            return;
        }
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    (void)opaque;
    ((struct user_timer *)timer)->expire_ms = expire_ms;
}

static void cb_register_poll_fd(int fd, void *opaque) { (void)fd; (void)opaque; }
static void cb_unregister_poll_fd(int fd, void *opaque) { (void)fd; (void)opaque; }
/* The poll set is rebuilt before every poll: nothing to wake. */
static void cb_notify(void *opaque) { (void)opaque; }

static const SlirpCb user_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
};

/* ---- polling --------------------------------------------------------------- */

static int add_poll(int fd, int events, void *opaque)
{
    struct net_user *u = opaque;
    short ev = 0;
    if (events & SLIRP_POLL_IN)  ev |= POLLIN;
    if (events & SLIRP_POLL_OUT) ev |= POLLOUT;
    if (events & SLIRP_POLL_PRI) ev |= POLLPRI;
    return u->poll->add(u->poll->ctx, fd, ev);
}

static int get_revents(int idx, void *opaque)
{
    struct net_user *u = opaque;
    if (idx < 0)
        return 0;
    short re = u->poll->revents(u->poll->ctx, idx);
    int ev = 0;
    if (re & POLLIN)   ev |= SLIRP_POLL_IN;
    if (re & POLLOUT)  ev |= SLIRP_POLL_OUT;
    if (re & POLLPRI)  ev |= SLIRP_POLL_PRI;
    if (re & POLLERR)  ev |= SLIRP_POLL_ERR;
    if (re & POLLHUP)  ev |= SLIRP_POLL_HUP;
    return ev;
}

static void user_prepare(struct net_backend *be, struct net_poll *p, int *timeout_ms)
{
    struct net_user *u = (struct net_user *)be;
    int64_t now_ms = now_ns() / 1000000;
    for (struct user_timer *t = u->timers; t; t = t->next)
        if (t->expire_ms >= 0) {
            int64_t wait = t->expire_ms > now_ms ? t->expire_ms - now_ms : 0;
            if (*timeout_ms < 0 || wait < *timeout_ms)
                *timeout_ms = (int)wait;
        }
    /* While frames wait for the guest, leave slirp's sockets unread: TCP
     * then slows the far end down instead of us dropping data. */
    u->filled = !net_rx_blocked(be);
    if (!u->filled)
        return;
    uint32_t t = *timeout_ms < 0 ? UINT32_MAX : (uint32_t)*timeout_ms;
    u->poll = p;
    slirp_pollfds_fill(u->slirp, &t, add_poll, u);
    u->poll = NULL;
    if (t != UINT32_MAX && (*timeout_ms < 0 || t < (uint32_t)*timeout_ms))
        *timeout_ms = (int)t;
}

static void fire_timers(struct net_user *u)
{
    /* A callback may arm, disarm or free timers: rescan after each. */
    for (;;) {
        int64_t now_ms = now_ns() / 1000000;
        struct user_timer *due = NULL;
        for (struct user_timer *t = u->timers; t; t = t->next)
            if (t->expire_ms >= 0 && t->expire_ms <= now_ms) {
                due = t;
                break;
            }
        if (!due)
            return;
        due->expire_ms = -1;
        due->cb(due->cb_opaque);
        net_coalesce_flush(&u->co);
    }
}

static void user_dispatch(struct net_backend *be, struct net_poll *p)
{
    struct net_user *u = (struct net_user *)be;
    if (u->filled) {
        u->poll = p;
        slirp_pollfds_poll(u->slirp, 0, get_revents, u);
        u->poll = NULL;
        u->filled = false;
        net_coalesce_flush(&u->co);
    }
    fire_timers(u);
}

/* ---- transmit -------------------------------------------------------------- */

static void emit_to_slirp(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct net_user *u = opaque;
    (void)hdr;
    slirp_input(u->slirp, frame, (int)len);
}

static void user_send(struct net_backend *be, const struct net_hdr *hdr,
                      const struct iovec *iov, int iovcnt)
{
    struct net_user *u = (struct net_user *)be;
    ssize_t len = net_iov_gather(u->frame, sizeof u->frame, iov, iovcnt);
    if (len < NET_ETH_HLEN || net_offload_finish(hdr, u->frame, (size_t)len, emit_to_slirp, u) < 0) {
        be->stats.tx_dropped++;
        return;
    }
    net_coalesce_flush(&u->co);          /* what slirp answered (ACKs) */
    be->stats.tx_frames++;
    be->stats.tx_bytes += (uint64_t)len;
}

static void user_set_rx_offloads(struct net_backend *be, unsigned offloads)
{
    struct net_user *u = (struct net_user *)be;
    net_coalesce_flush(&u->co);
    u->co.enabled = (offloads & NET_OFFLOAD_CSUM) && (offloads & NET_OFFLOAD_TSO4);
}

static void user_free(struct net_backend *be)
{
    struct net_user *u = (struct net_user *)be;
    if (u->slirp)
        slirp_cleanup(u->slirp);     /* frees its timers through timer_free */
    while (u->timers) {
        struct user_timer *t = u->timers;
        u->timers = t->next;
        free(t);
    }
    free(u);
}

static const struct net_backend_ops user_ops = {
    .kind = "user",
    .send = user_send,
    .prepare = user_prepare,
    .dispatch = user_dispatch,
    .set_rx_offloads = user_set_rx_offloads,
    .free = user_free,
};

struct net_backend *net_user_new(const struct net_options *opt, char *err, size_t errlen)
{
    struct net_user *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    u->be.ops = &user_ops;
    net_coalesce_init(&u->co, deliver, u);

    SlirpConfig cfg = {
        .version = 4,
        .restricted = opt->restricted,
        .in_enabled = true,
        .vnetwork = opt->net,
        .vnetmask = opt->mask,
        .vhost = opt->host,
        .in6_enabled = opt->ipv6,
        .vprefix_len = 64,
        .vhostname = opt->hostname[0] ? opt->hostname : NULL,
        .vdhcp_start = opt->dhcp_start,
        .vnameserver = opt->dns,
        .if_mtu = opt->mtu,
        .if_mru = opt->mtu,
    };
    /* IPv6 as QEMU: fec0::/64, gateway ::2, DNS ::3. */
    inet_pton(AF_INET6, "fec0::", &cfg.vprefix_addr6);
    inet_pton(AF_INET6, "fec0::2", &cfg.vhost6);
    inet_pton(AF_INET6, "fec0::3", &cfg.vnameserver6);

    u->slirp = slirp_new(&cfg, &user_callbacks, u);
    if (!u->slirp) {
        snprintf(err, errlen, "--net user: cannot start the user-mode network stack");
        free(u);
        return NULL;
    }
    size_t n = (size_t)snprintf(u->be.desc, sizeof u->be.desc, "user%s",
                                opt->restricted ? " (restricted)" : "");
    for (unsigned i = 0; i < opt->nhostfwd; i++) {
        const struct net_hostfwd *f = &opt->hostfwd[i];
        errno = 0;
        if (slirp_add_hostfwd(u->slirp, f->udp, f->host_addr, f->host_port,
                              f->guest_addr, f->guest_port) < 0) {
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &f->host_addr, a, sizeof a);
            snprintf(err, errlen, "--net user: cannot forward host port %s %s:%u%s%s",
                     f->udp ? "udp" : "tcp", a, f->host_port, errno ? ": " : "",
                     errno == EADDRINUSE ? "address already in use" : errno ? strerror(errno) : "");
            user_free(&u->be);
            return NULL;
        }
        if (n < sizeof u->be.desc)
            n += (size_t)snprintf(u->be.desc + n, sizeof u->be.desc - n, "%s%s:%u->%u",
                                  i ? " " : ", hostfwd ", f->udp ? "udp" : "tcp",
                                  f->host_port, f->guest_port);
    }
    return &u->be;
}
