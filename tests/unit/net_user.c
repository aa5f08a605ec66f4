/* Unit test: user-mode networking (slirp) — DHCP, ARP for the gateway,
 * UDP through the NAT to a host socket and back (with the checksum left
 * to the backend, as a guest with checksum offload does), a hostfwd
 * connection reaching the guest, and a clear error for a busy host port. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net/net.h"
#include "net/offload.h"
#include "net/check.h"
#include "net/pump.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

struct guest {
    int got;
    uint8_t last[2048];
    size_t last_len;
    /* the most recent frame matching a filter */
    int want_proto;              /* IP protocol to catch, 0 = ARP */
    uint16_t want_port;          /* destination port to catch */
    uint8_t caught[2048];
    size_t caught_len;
};

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static bool guest_receive(void *opaque, const struct net_hdr *hdr, const uint8_t *f, size_t len)
{
    struct guest *g = opaque;
    (void)hdr;
    g->got++;
    if (len > sizeof g->last)
        return true;
    memcpy(g->last, f, len);
    g->last_len = len;
    bool arp = rd16(f + 12) == 0x0806;
    bool match = g->want_proto == 0 ? arp :
                 rd16(f + 12) == 0x0800 && f[23] == g->want_proto && len >= 38 &&
                 rd16(f + 14 + (f[14] & 15) * 4 + 2) == g->want_port;
    if (match) {
        memcpy(g->caught, f, len);
        g->caught_len = len;
    }
    return true;
}

/* An IPv4/UDP frame from the guest.  With offload, the UDP checksum is
 * left as the pseudo-header sum for the backend to finish. */
static size_t udp_frame(uint8_t *f, const uint8_t dst_mac[6], const char *src, const char *dst,
                        uint16_t sport, uint16_t dport, const void *data, size_t n,
                        bool offload, struct net_hdr *hdr)
{
    memcpy(f, dst_mac, 6);
    memcpy(f + 6, guest_mac, 6);
    wr16(f + 12, 0x0800);
    uint8_t *ip = f + 14, *udp = ip + 20;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    wr16(ip + 2, (uint16_t)(28 + n));
    ip[8] = 64;
    ip[9] = 17;
    inet_pton(AF_INET, src, ip + 12);
    inet_pton(AF_INET, dst, ip + 16);
    wr16(ip + 10, (uint16_t)~net_csum_add(0, ip, 20));
    wr16(udp, sport);
    wr16(udp + 2, dport);
    wr16(udp + 4, (uint16_t)(8 + n));
    wr16(udp + 6, 0);
    memcpy(udp + 8, data, n);
    uint8_t ph[12];
    memcpy(ph, ip + 12, 8);
    ph[8] = 0; ph[9] = 17;
    wr16(ph + 10, (uint16_t)(8 + n));
    uint16_t psum = net_csum_add(0, ph, 12);
    memset(hdr, 0, sizeof *hdr);
    if (offload) {
        wr16(udp + 6, psum);
        hdr->flags = NET_HDR_F_NEEDS_CSUM;
        hdr->csum_start = 34;
        hdr->csum_offset = 6;
    } else {
        uint16_t c = (uint16_t)~net_csum_add(psum, udp, 8 + n);
        wr16(udp + 6, c ? c : 0xffff);
    }
    return 14 + 28 + n;
}

static void send_frame(struct net_backend *be, const struct net_hdr *hdr, const uint8_t *f, size_t len)
{
    struct iovec iov = { (void *)f, len };
    net_backend_send(be, hdr, &iov, 1);
}

static void test_user(void)
{
    static struct guest g;
    struct net_options o;
    char err[256];
    CHECK(net_options_parse(&o, "user,hostfwd=tcp:127.0.0.1:0-:22", err, sizeof err) < 0);
    /* pick a free host port for the forward */
    int probe = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    bind(probe, (struct sockaddr *)&sa, sizeof sa);
    getsockname(probe, (struct sockaddr *)&sa, &sl);
    uint16_t fwd_port = ntohs(sa.sin_port);
    close(probe);
    char text[200];
    snprintf(text, sizeof text, "user,mac=52:54:00:12:34:56,hostfwd=tcp:127.0.0.1:%u-:22", fwd_port);
    CHECK(net_options_parse(&o, text, err, sizeof err) == 0);
    struct net_frontend fe = { &g, guest_receive };
    struct net_backend *be = net_backend_new(&o, &fe, err, sizeof err);
    CHECK(be != NULL);
    if (!be) {
        fprintf(stderr, "%s\n", err);
        return;
    }
    /* the same port again, in a second VM: a clear error */
    struct net_backend *be2 = net_backend_new(&o, &fe, err, sizeof err);
    CHECK(be2 == NULL);
    CHECK(strstr(err, "cannot forward host port tcp 127.0.0.1") != NULL);
    if (be2)
        net_backend_free(be2);
    struct net_backend *all[1] = { be };

    /* DHCP: DISCOVER gets an OFFER of 10.0.2.15 from 10.0.2.2 */
    static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    uint8_t bootp[548] = { 1, 1, 6, 0, 0xde, 0xad, 0xbe, 0xef };
    memcpy(bootp + 28, guest_mac, 6);
    memcpy(bootp + 236, "\x63\x82\x53\x63\x35\x01\x01\xff", 8);
    uint8_t f[2048];
    struct net_hdr hdr;
    size_t len = udp_frame(f, bcast, "0.0.0.0", "255.255.255.255", 68, 67, bootp, sizeof bootp, false, &hdr);
    g.want_proto = 17;
    g.want_port = 68;
    send_frame(be, &hdr, f, len);
    pump(all, 1, 20);
    CHECK(g.caught_len > 42 + 240);
    if (g.caught_len > 42 + 240) {
        const uint8_t *bp = g.caught + 42;
        char a[INET_ADDRSTRLEN];
        CHECK_EQ(bp[0], 2);                                         /* BOOTREPLY */
        CHECK(memcmp(bp + 4, "\xde\xad\xbe\xef", 4) == 0);          /* xid */
        CHECK_STR(inet_ntop(AF_INET, bp + 16, a, sizeof a), "10.0.2.15");
        CHECK_STR(inet_ntop(AF_INET, g.caught + 26, a, sizeof a), "10.0.2.2");
    }

    /* ARP: who has 10.0.2.2? */
    uint8_t arp[42];
    memcpy(arp, bcast, 6);
    memcpy(arp + 6, guest_mac, 6);
    wr16(arp + 12, 0x0806);
    memcpy(arp + 14, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
    memcpy(arp + 22, guest_mac, 6);
    inet_pton(AF_INET, "10.0.2.15", arp + 28);
    memset(arp + 32, 0, 6);
    inet_pton(AF_INET, "10.0.2.2", arp + 38);
    memset(&hdr, 0, sizeof hdr);
    g.want_proto = 0;
    g.caught_len = 0;
    send_frame(be, &hdr, arp, sizeof arp);
    pump(all, 1, 20);
    CHECK_EQ(g.caught_len >= 42, 1);
    uint8_t gw_mac[6] = { 0 };
    if (g.caught_len >= 42) {
        CHECK_EQ(rd16(g.caught + 20), 2);                           /* reply */
        memcpy(gw_mac, g.caught + 22, 6);
        CHECK(memcmp(g.caught, guest_mac, 6) == 0);
    }

    /* UDP to a host socket on loopback, through the gateway address; the
     * guest left the checksum to us (slirp drops bad checksums) */
    int us = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in ua = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t ul = sizeof ua;
    CHECK(bind(us, (struct sockaddr *)&ua, sizeof ua) == 0);
    getsockname(us, (struct sockaddr *)&ua, &ul);
    len = udp_frame(f, gw_mac, "10.0.2.15", "10.0.2.2", 40000, ntohs(ua.sin_port), "hello", 5, true, &hdr);
    send_frame(be, &hdr, f, len);
    pump(all, 1, 20);
    char buf[64];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(us, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    CHECK_EQ(n, 5);
    CHECK(n == 5 && memcmp(buf, "hello", 5) == 0);
    /* and the answer comes back to the guest's port 40000 */
    g.want_proto = 17;
    g.want_port = 40000;
    g.caught_len = 0;
    if (n == 5)
        sendto(us, "world!", 6, 0, (struct sockaddr *)&from, fl);
    pump(all, 1, 30);
    CHECK_EQ(g.caught_len, 42 + 6);
    CHECK(g.caught_len == 48 && memcmp(g.caught + 42, "world!", 6) == 0);
    close(us);

    /* hostfwd: a host client connecting to 127.0.0.1:fwd_port makes slirp
     * open a TCP connection to the guest's port 22: a SYN arrives */
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in ca = { .sin_family = AF_INET, .sin_port = htons(fwd_port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int rc = connect(c, (struct sockaddr *)&ca, sizeof ca);
    CHECK(rc == 0 || errno == EINPROGRESS);
    g.want_proto = 6;
    g.want_port = 22;
    g.caught_len = 0;
    pump(all, 1, 100);
    CHECK(g.caught_len >= 54);
    if (g.caught_len >= 54) {
        char a[INET_ADDRSTRLEN];
        CHECK_STR(inet_ntop(AF_INET, g.caught + 30, a, sizeof a), "10.0.2.15");
        CHECK_EQ(g.caught[14 + 20 + 13] & 0x12, 0x02);               /* SYN, no ACK */
    }
    close(c);

    const struct net_stats *st = net_backend_stats(be);
    CHECK_EQ(st->tx_dropped, 0);
    CHECK_EQ(st->rx_dropped, 0);
    CHECK(st->tx_frames == 3);
    net_backend_free(be);
}

int main(void)
{
    test_user();
    CHECK_DONE();
}
