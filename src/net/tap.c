/*
 * tap.c — a host tap interface (/dev/net/tun, IFF_TAP), for root users or
 * owners of a persistent tap: the guest's NIC appears as ifname on the host,
 * to be bridged or routed as the administrator likes.
 *
 * The tap is claimed exclusively: without IFF_MULTI_QUEUE the kernel lets
 * one file attach to a tap at a time, so a second VM asking for the same
 * interface gets EBUSY, reported as such.  With IFF_VNET_HDR (the default)
 * frames carry virtio-net headers both ways, so checksum and segmentation
 * offloads pass straight between the guest and the host kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include "net/backend.h"
#include "net/offload.h"

/* Frames read per dispatch before others get a turn. */
#define TAP_READ_BUDGET 64

struct net_tap {
    struct net_backend be;      /* first */
    int fd;
    bool vnet_hdr;
    int poll_index;
    uint8_t buf[NET_WIRE_HDR_LEN + NET_FRAME_MAX];
};

static void tap_prepare(struct net_backend *be, struct net_poll *p, int *timeout_ms)
{
    struct net_tap *t = (struct net_tap *)be;
    (void)timeout_ms;
    t->poll_index = net_rx_blocked(be) ? -1 : p->add(p->ctx, t->fd, POLLIN);
}

static void tap_dispatch(struct net_backend *be, struct net_poll *p)
{
    struct net_tap *t = (struct net_tap *)be;
    if (t->poll_index < 0 || !(p->revents(p->ctx, t->poll_index) & (POLLIN | POLLERR | POLLHUP)))
        return;
    t->poll_index = -1;
    size_t off = t->vnet_hdr ? NET_WIRE_HDR_LEN : 0;
    for (int i = 0; i < TAP_READ_BUDGET && !net_rx_blocked(be); i++) {
        ssize_t n = read(t->fd, t->buf, sizeof t->buf);
        if (n < 0)
            return;          /* EAGAIN: drained; other errors: try again later */
        struct net_hdr hdr = { 0 };
        if (t->vnet_hdr && n >= NET_WIRE_HDR_LEN)
            net_hdr_from_wire(&hdr, t->buf);
        const uint8_t *frame = t->buf + off;
        size_t len = n >= (ssize_t)off ? (size_t)n - off : 0;
        if (len < NET_ETH_HLEN || net_hdr_check(&hdr, frame, len) < 0) {
            be->stats.rx_dropped++;
            continue;
        }
        net_deliver(be, &hdr, frame, len);
    }
}

static void emit_to_tap(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct net_tap *t = opaque;
    (void)hdr;
    if (write(t->fd, frame, len) < 0)
        t->be.stats.tx_dropped++;
}

static void tap_send(struct net_backend *be, const struct net_hdr *hdr,
                     const struct iovec *iov, int iovcnt)
{
    struct net_tap *t = (struct net_tap *)be;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    if (len < NET_ETH_HLEN || len > NET_FRAME_MAX) {
        be->stats.tx_dropped++;
        return;
    }
    if (t->vnet_hdr) {
        /* Straight from guest memory; the kernel validates the header. */
        struct iovec v[65];
        uint8_t wire[NET_WIRE_HDR_LEN];
        net_hdr_to_wire(hdr, wire);
        if (iovcnt > 64) {
            ssize_t n = net_iov_gather(t->buf, sizeof t->buf, iov, iovcnt);
            v[1] = (struct iovec){ t->buf, (size_t)n };
            iovcnt = 1;
        } else {
            memcpy(v + 1, iov, (size_t)iovcnt * sizeof *iov);
        }
        v[0] = (struct iovec){ wire, sizeof wire };
        if (writev(t->fd, v, iovcnt + 1) < 0) {
            be->stats.tx_dropped++;
            return;
        }
    } else {
        ssize_t n = net_iov_gather(t->buf, sizeof t->buf, iov, iovcnt);
        if (n < 0 || net_offload_finish(hdr, t->buf, (size_t)n, emit_to_tap, t) < 0) {
            be->stats.tx_dropped++;
            return;
        }
    }
    be->stats.tx_frames++;
    be->stats.tx_bytes += len;
}

static void tap_set_rx_offloads(struct net_backend *be, unsigned offloads)
{
    struct net_tap *t = (struct net_tap *)be;
    if (!t->vnet_hdr)
        return;
    /* TSO needs checksum offload; ECN needs TSO (as virtio-net). */
    unsigned f = 0;
    if (offloads & NET_OFFLOAD_CSUM) {
        f |= TUN_F_CSUM;
        if (offloads & NET_OFFLOAD_TSO4) f |= TUN_F_TSO4;
        if (offloads & NET_OFFLOAD_TSO6) f |= TUN_F_TSO6;
        if ((offloads & NET_OFFLOAD_ECN) && (f & (TUN_F_TSO4 | TUN_F_TSO6))) f |= TUN_F_TSO_ECN;
    }
    if (ioctl(t->fd, TUNSETOFFLOAD, f) < 0)
        fprintf(stderr, "vessel: net %s: cannot set offloads: %s\n", be->desc, strerror(errno));
}

static void tap_free(struct net_backend *be)
{
    struct net_tap *t = (struct net_tap *)be;
    if (t->fd >= 0)
        close(t->fd);
    free(t);
}

static const struct net_backend_ops tap_ops = {
    .kind = "tap",
    .send = tap_send,
    .prepare = tap_prepare,
    .dispatch = tap_dispatch,
    .set_rx_offloads = tap_set_rx_offloads,
    .free = tap_free,
};

static void bring_up(const char *ifname, unsigned mtu)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    ifr.ifr_mtu = (int)mtu;
    if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
        fprintf(stderr, "vessel: net tap: cannot set the MTU of %s to %u: %s\n", ifname, mtu,
                strerror(errno));
    if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
            fprintf(stderr, "vessel: net tap: cannot bring %s up: %s\n", ifname, strerror(errno));
    }
    close(s);
}

struct net_backend *net_tap_new(const struct net_options *opt, char *err, size_t errlen)
{
    const char *name = opt->ifname[0] ? opt->ifname : "tap%d";
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "--net tap: cannot open /dev/net/tun: %s%s", strerror(errno),
                 errno == ENOENT || errno == ENODEV ? " (is the tun module loaded?)" :
                 errno == EACCES || errno == EPERM ? " (run as root, or use --net user)" : "");
        return NULL;
    }
    bool existed = opt->ifname[0] && if_nametoindex(opt->ifname) != 0;
    unsigned features = 0;
    bool vnet = opt->vnet_hdr && ioctl(fd, TUNGETFEATURES, &features) == 0 &&
                (features & IFF_VNET_HDR);

    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (vnet ? IFF_VNET_HDR : 0);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int e = errno;
        close(fd);
        if (e == EBUSY)
            snprintf(err, errlen, "--net tap: %s is already in use by another VM or program "
                     "(a tap interface serves one VM at a time)", name);
        else if (e == EPERM || e == EACCES)
            snprintf(err, errlen, "--net tap: no permission to %s %s: run as root (CAP_NET_ADMIN), "
                     "or create a tap you own first: ip tuntap add dev %s mode tap user $USER",
                     existed ? "attach to" : "create", name, opt->ifname[0] ? name : "tap0");
        else if (e == EINVAL && existed)
            snprintf(err, errlen, "--net tap: %s exists but is not a tap interface "
                     "(a tun, or a multi-queue tap?)", name);
        else
            snprintf(err, errlen, "--net tap: cannot attach to %s: %s", name, strerror(e));
        return NULL;
    }
    if (!vnet && ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
        /* A persistent tap keeps the offloads its last user set: without
         * vnet headers nothing could describe such frames to us. */
        snprintf(err, errlen, "--net tap: cannot turn off offloads on %s: %s", ifr.ifr_name,
                 strerror(errno));
        close(fd);
        return NULL;
    }
    if (vnet) {
        int sz = NET_WIRE_HDR_LEN;
        int le = 1;
        /* Our headers are little-endian (the virtio 1.0 layout). */
        if (ioctl(fd, TUNSETVNETLE, &le) < 0) {
            /* Only big-endian hosts need it; it fails on kernels without it. */
        }
        /* Plain frames until the guest's driver says what it takes. */
        if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0 || ioctl(fd, TUNSETOFFLOAD, 0) < 0) {
            snprintf(err, errlen, "--net tap: cannot set up offloads on %s: %s", ifr.ifr_name,
                     strerror(errno));
            close(fd);
            return NULL;
        }
    }
    struct net_tap *t = calloc(1, sizeof *t);
    if (!t) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    t->be.ops = &tap_ops;
    t->fd = fd;
    t->vnet_hdr = vnet;
    t->poll_index = -1;
    snprintf(t->be.desc, sizeof t->be.desc, "tap %s%s", ifr.ifr_name, existed ? "" : " (created)");
    if (!existed)
        bring_up(ifr.ifr_name, opt->mtu);
    return &t->be;
}
