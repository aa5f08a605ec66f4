/* Unit test: `--net` option strings and hostfwd rules. */
#include <arpa/inet.h>
#include "net/net.h"
#include "net/check.h"

static const char *ip(struct in_addr a, char *buf)
{
    return inet_ntop(AF_INET, &a, buf, INET_ADDRSTRLEN);
}

static void test_user_defaults(void)
{
    struct net_options o;
    char err[256], b[INET_ADDRSTRLEN];
    CHECK(net_options_parse(&o, "user", err, sizeof err) == 0);
    CHECK_EQ(o.kind, NET_USER);
    CHECK_STR(ip(o.net, b), "10.0.2.0");
    CHECK_STR(ip(o.mask, b), "255.255.255.0");
    CHECK_STR(ip(o.host, b), "10.0.2.2");
    CHECK_STR(ip(o.dns, b), "10.0.2.3");
    CHECK_STR(ip(o.dhcp_start, b), "10.0.2.15");
    CHECK_EQ(o.nhostfwd, 0);
    CHECK_EQ(o.mtu, 1500);
    CHECK(!o.mtu_set);
    CHECK(!o.restricted);
    CHECK(o.ipv6);
    CHECK(!o.mac_set);
    /* a random, unicast, locally administered 52:54:00:xx:xx:xx */
    CHECK_EQ(o.mac[0], 0x52); CHECK_EQ(o.mac[1], 0x54); CHECK_EQ(o.mac[2], 0x00);
    /* Two VMs get different MACs (2^-24 chance of a false failure, twice). */
    struct net_options o2, o3;
    CHECK(net_options_parse(&o2, "user", err, sizeof err) == 0);
    CHECK(net_options_parse(&o3, "user", err, sizeof err) == 0);
    CHECK(memcmp(o.mac, o2.mac, 6) != 0 || memcmp(o.mac, o3.mac, 6) != 0);
}

static void test_user_options(void)
{
    struct net_options o;
    char err[256], b[INET_ADDRSTRLEN], m[18];
    CHECK(net_options_parse(&o, "user,hostfwd=tcp::2222-:22,hostfwd=tcp:127.0.0.1:8080-:80,"
                            "hostfwd=udp::5353-10.0.2.15:53,mac=52:54:00:ab:cd:ef,restrict=on,"
                            "ipv6=off,mtu=9000", err, sizeof err) == 0);
    CHECK_EQ(o.nhostfwd, 3);
    CHECK(!o.hostfwd[0].udp);
    CHECK_EQ(o.hostfwd[0].host_addr.s_addr, 0);
    CHECK_EQ(o.hostfwd[0].host_port, 2222);
    CHECK_EQ(o.hostfwd[0].guest_addr.s_addr, 0);
    CHECK_EQ(o.hostfwd[0].guest_port, 22);
    CHECK_STR(ip(o.hostfwd[1].host_addr, b), "127.0.0.1");
    CHECK_EQ(o.hostfwd[1].host_port, 8080);
    CHECK_EQ(o.hostfwd[1].guest_port, 80);
    CHECK(o.hostfwd[2].udp);
    CHECK_STR(ip(o.hostfwd[2].guest_addr, b), "10.0.2.15");
    CHECK_EQ(o.hostfwd[2].guest_port, 53);
    CHECK(o.mac_set);
    net_format_mac(o.mac, m);
    CHECK_STR(m, "52:54:00:ab:cd:ef");
    CHECK(o.restricted);
    CHECK(!o.ipv6);
    CHECK_EQ(o.mtu, 9000);
    CHECK(o.mtu_set);

    /* Another network: the gateway, DNS and DHCP addresses follow it. */
    CHECK(net_options_parse(&o, "user,net=192.168.76.0/24", err, sizeof err) == 0);
    CHECK_STR(ip(o.host, b), "192.168.76.2");
    CHECK_STR(ip(o.dns, b), "192.168.76.3");
    CHECK_STR(ip(o.dhcp_start, b), "192.168.76.15");
    CHECK(net_options_parse(&o, "user,net=172.16.0.0/255.255.0.0,host=172.16.0.1,dhcpstart=172.16.1.10,"
                            "hostname=guest1", err, sizeof err) == 0);
    CHECK_STR(ip(o.mask, b), "255.255.0.0");
    CHECK_STR(ip(o.host, b), "172.16.0.1");
    CHECK_STR(ip(o.dhcp_start, b), "172.16.1.10");
    CHECK_STR(o.hostname, "guest1");
    /* "::2222-:22" with no protocol means tcp, as QEMU */
    CHECK(net_options_parse(&o, "user,hostfwd=:127.0.0.1:2222-:22", err, sizeof err) == 0);
    CHECK(!o.hostfwd[0].udp);
}

static void test_tap_switch(void)
{
    struct net_options o;
    char err[256];
    CHECK(net_options_parse(&o, "tap,ifname=tap7", err, sizeof err) == 0);
    CHECK_EQ(o.kind, NET_TAP);
    CHECK_STR(o.ifname, "tap7");
    CHECK(o.vnet_hdr);
    CHECK(net_options_parse(&o, "tap,ifname=vt0,vnet_hdr=off", err, sizeof err) == 0);
    CHECK(!o.vnet_hdr);
    CHECK(net_options_parse(&o, "switch,name=lab-1", err, sizeof err) == 0);
    CHECK_EQ(o.kind, NET_SWITCH);
    CHECK_STR(o.name, "lab-1");
    CHECK(net_options_parse(&o, "switch", err, sizeof err) == 0);
    CHECK_STR(o.name, "default");
}

/* Each bad string must fail, with a message naming the problem. */
static void test_errors(void)
{
    static const struct { const char *text, *msg; } bad[] = {
        { "", "needs a backend" },
        { "hostfwd=tcp::1-:2", "needs a backend" },
        { "bridge", "unknown network backend 'bridge'" },
        { "user,ifname=tap0", "unknown option 'ifname'" },
        { "tap,hostfwd=tcp::1-:2", "unknown option 'hostfwd'" },
        { "switch,restrict=on", "unknown option 'restrict'" },
        { "user,restrict", "expected key=value" },
        { "user,restrict=maybe", "expected on or off" },
        { "user,mac=52:54:00:12:34", "bad mac" },
        { "user,mac=01:00:5e:00:00:01", "bad mac" },           /* multicast */
        { "user,mac=00:00:00:00:00:00", "bad mac" },
        { "user,mac=52:54:00:12:34:56,mac=52:54:00:12:34:57", "given twice" },
        { "user,mtu=20", "bad mtu" },
        { "user,mtu=70000", "bad mtu" },
        { "user,hostfwd=tcp::2222", "bad hostfwd" },
        { "user,hostfwd=sctp::1-:2", "bad hostfwd" },
        { "user,hostfwd=tcp::0-:22", "bad hostfwd" },
        { "user,hostfwd=tcp::70000-:22", "bad hostfwd" },
        { "user,hostfwd=tcp::22-:", "bad hostfwd" },
        { "user,hostfwd=tcp:1.2.3:22-:22", "bad hostfwd" },
        { "user,hostfwd=tcp::2222-:22,hostfwd=tcp::2222-:23", "forwarded twice" },
        { "user,net=10.0.2.0/33", "bad net" },
        { "user,net=10.0.2.0/255.0.255.0", "bad net" },
        { "user,dns=10.0.3.3", "not a host address" },
        { "user,host=10.0.2.255", "not a host address" },
        { "user,hostname=a b", "bad hostname" },
        { "tap,ifname=", "bad ifname" },
        { "tap,ifname=a-very-long-interface-name", "bad ifname" },
        { "switch,name=../x", "bad name" },
        { "switch,name=", "bad name" },
        { "switch,name=.hidden", "bad name" },
    };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct net_options o;
        char err[256] = "";
        int rc = net_options_parse(&o, bad[i].text, err, sizeof err);
        if (rc == 0 || !strstr(err, bad[i].msg)) {
            fprintf(stderr, "'%s': rc %d, err '%s', want '%s'\n", bad[i].text, rc, err, bad[i].msg);
            check_failures++;
        }
    }
    /* 33 rules is one too many */
    char text[2048] = "user";
    for (int i = 0; i < NET_MAX_HOSTFWD + 1; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), ",hostfwd=tcp::%d-:22", 10000 + i);
    struct net_options o;
    char err[256];
    CHECK(net_options_parse(&o, text, err, sizeof err) < 0);
    CHECK(strstr(err, "at most") != NULL);
}

int main(void)
{
    test_user_defaults();
    test_user_options();
    test_tap_switch();
    test_errors();
    CHECK_DONE();
}
