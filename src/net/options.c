/*
 * options.c — `--net TYPE,key=value,...`: the backend and its settings.
 *
 * Unlike most device options, hostfwd= may be given several times, so
 * this has its own small parser rather than devargs.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/random.h>
#include "net/net.h"

#define NET_MTU_MIN 68
#define NET_MTU_MAX_USER 65520     /* slirp's limit (IF_MTU_MAX is 65521) */
#define NET_MTU_MAX 65535

static const char *const user_keys[] = {
    "mac", "mtu", "hostfwd", "restrict", "ipv6", "net", "host", "dns", "dhcpstart",
    "hostname", NULL };
static const char *const tap_keys[] = { "mac", "mtu", "ifname", "vnet_hdr", NULL };
static const char *const switch_keys[] = { "mac", "mtu", "name", NULL };

void net_random_mac(uint8_t mac[6])
{
    uint8_t r[3] = { 0 };
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
        /* Never fails for 3 bytes once the pool is ready; be safe anyway. */
        uint64_t t = (uint64_t)(uintptr_t)r ^ (uint64_t)getpid() * 2654435761u;
        r[0] = (uint8_t)t; r[1] = (uint8_t)(t >> 8); r[2] = (uint8_t)(t >> 16);
    }
    mac[0] = 0x52; mac[1] = 0x54; mac[2] = 0x00;
    memcpy(mac + 3, r, 3);
}

void net_format_mac(const uint8_t mac[6], char *buf)
{
    snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
             mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
               &tail) != 6 || strlen(s) != 17)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)v[i];
    return 0;
}

static int parse_bool_value(const char *s, bool *out)
{
    static const char *const yes[] = { "on", "yes", "true", "1" };
    static const char *const no[] = { "off", "no", "false", "0" };
    for (unsigned i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) { *out = true; return 0; }
        if (strcasecmp(s, no[i]) == 0) { *out = false; return 0; }
    }
    return -1;
}

static int parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_ipv4(const char *s, struct in_addr *a)
{
    return inet_pton(AF_INET, s, a) == 1 ? 0 : -1;
}

int net_hostfwd_parse(struct net_hostfwd *fwd, const char *text, char *err, size_t errlen)
{
    char buf[128];
    memset(fwd, 0, sizeof *fwd);
    if (strlen(text) >= sizeof buf)
        goto bad;
    strcpy(buf, text);
    /* protocol */
    char *p = strchr(buf, ':');
    if (!p)
        goto bad;
    *p++ = '\0';
    if (strcmp(buf, "udp") == 0)
        fwd->udp = true;
    else if (strcmp(buf, "tcp") != 0 && buf[0] != '\0')
        goto bad;
    /* host side "[addr]:port" up to '-' */
    char *dash = strchr(p, '-');
    if (!dash)
        goto bad;
    *dash = '\0';
    char *guest = dash + 1;
    char *colon = strrchr(p, ':');
    if (!colon)
        goto bad;
    *colon = '\0';
    unsigned long port;
    if (*p && parse_ipv4(p, &fwd->host_addr) < 0)
        goto bad;
    if (parse_uint(colon + 1, 1, 65535, &port) < 0)
        goto bad;
    fwd->host_port = (uint16_t)port;
    /* guest side "[addr]:port" */
    colon = strrchr(guest, ':');
    if (!colon)
        goto bad;
    *colon = '\0';
    if (*guest && parse_ipv4(guest, &fwd->guest_addr) < 0)
        goto bad;
    if (parse_uint(colon + 1, 1, 65535, &port) < 0)
        goto bad;
    fwd->guest_port = (uint16_t)port;
    return 0;
bad:
    snprintf(err, errlen, "bad hostfwd '%s': expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, "
             "e.g. tcp::2222-:22", text);
    return -1;
}

static bool key_allowed(const char *const *keys, const char *key)
{
    for (; *keys; keys++)
        if (strcmp(*keys, key) == 0)
            return true;
    return false;
}

static void list_keys(const char *const *keys, char *buf, size_t len)
{
    buf[0] = '\0';
    for (; *keys; keys++) {
        size_t n = strlen(buf);
        snprintf(buf + n, len - n, "%s%s", n ? ", " : "", *keys);
    }
}

static bool valid_switch_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= NET_NAME_MAX || s[0] == '.')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
            return false;
    return true;
}

static bool valid_hostname(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= NET_NAME_MAX)
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '-' && *s != '.')
            return false;
    return true;
}

/* net=ADDR[/PREFIX|/MASK] */
static int parse_net(const char *s, struct in_addr *net, struct in_addr *mask)
{
    char buf[64];
    if (strlen(s) >= sizeof buf)
        return -1;
    strcpy(buf, s);
    char *slash = strchr(buf, '/');
    uint32_t m = 0xffffff00u;
    if (slash) {
        *slash++ = '\0';
        unsigned long bits;
        struct in_addr ma;
        if (parse_uint(slash, 1, 30, &bits) == 0) {
            m = 0xffffffffu << (32 - bits);
        } else if (parse_ipv4(slash, &ma) == 0) {
            m = ntohl(ma.s_addr);
            if (m == 0 || (~m & (~m + 1)) != 0 || (m & 3))   /* contiguous, <= /30 */
                return -1;
        } else {
            return -1;
        }
    }
    if (parse_ipv4(buf, net) < 0)
        return -1;
    mask->s_addr = htonl(m);
    net->s_addr &= mask->s_addr;
    return 0;
}

static struct in_addr host_in(struct in_addr net, uint32_t n)
{
    return (struct in_addr){ htonl(ntohl(net.s_addr) + n) };
}

static bool in_net(struct in_addr a, struct in_addr net, struct in_addr mask)
{
    uint32_t m = ntohl(mask.s_addr), x = ntohl(a.s_addr);
    /* not the network or broadcast address */
    return (a.s_addr & mask.s_addr) == net.s_addr && (x & ~m) != 0 && (x & ~m) != ~m;
}

int net_options_parse(struct net_options *opt, const char *text, char *err, size_t errlen)
{
    memset(opt, 0, sizeof *opt);
    opt->ipv6 = true;
    opt->vnet_hdr = true;
    snprintf(opt->name, sizeof opt->name, "default");
    opt->net.s_addr = htonl(0x0a000200);      /* 10.0.2.0/24, as QEMU */
    opt->mask.s_addr = htonl(0xffffff00);
    bool host_set = false, dns_set = false, dhcp_set = false;

    char *buf = strdup(text ? text : "");
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    char *save = NULL;
    char *kind = strtok_r(buf, ",", &save);
    const char *const *keys;
    if (!kind || strchr(kind, '=')) {
        snprintf(err, errlen, "--net needs a backend first: user, tap or switch "
                 "(e.g. --net user,hostfwd=tcp::2222-:22)");
        goto out;
    } else if (strcmp(kind, "user") == 0) {
        opt->kind = NET_USER;
        keys = user_keys;
    } else if (strcmp(kind, "tap") == 0) {
        opt->kind = NET_TAP;
        keys = tap_keys;
    } else if (strcmp(kind, "switch") == 0) {
        opt->kind = NET_SWITCH;
        keys = switch_keys;
    } else {
        snprintf(err, errlen, "unknown network backend '%s' (use user, tap or switch)", kind);
        goto out;
    }

    char seen[16] = { 0 };      /* which keys were given (hostfwd may repeat) */
    for (char *item = strtok_r(NULL, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            snprintf(err, errlen, "--net %s: '%s': expected key=value", kind, item);
            goto out;
        }
        *eq = '\0';
        const char *key = item, *val = eq + 1;
        if (!key_allowed(keys, key)) {
            char list[160];
            list_keys(keys, list, sizeof list);
            snprintf(err, errlen, "--net %s: unknown option '%s' (known: %s)", kind, key, list);
            goto out;
        }
        unsigned ki = 0;
        while (strcmp(keys[ki], key) != 0)
            ki++;
        if (seen[ki] && strcmp(key, "hostfwd") != 0) {
            snprintf(err, errlen, "--net %s: option '%s' given twice", kind, key);
            goto out;
        }
        seen[ki] = 1;
        unsigned long v;
        bool b;
        if (strcmp(key, "mac") == 0) {
            if (parse_mac(val, opt->mac) < 0 || (opt->mac[0] & 1) ||
                !(opt->mac[0] | opt->mac[1] | opt->mac[2] | opt->mac[3] | opt->mac[4] | opt->mac[5])) {
                snprintf(err, errlen, "--net: bad mac '%s': expected a unicast address such as "
                         "52:54:00:12:34:56", val);
                goto out;
            }
            opt->mac_set = true;
        } else if (strcmp(key, "mtu") == 0) {
            unsigned long max = opt->kind == NET_USER ? NET_MTU_MAX_USER : NET_MTU_MAX;
            if (parse_uint(val, NET_MTU_MIN, max, &v) < 0) {
                snprintf(err, errlen, "--net %s: bad mtu '%s' (%d..%lu)", kind, val, NET_MTU_MIN, max);
                goto out;
            }
            opt->mtu = (unsigned)v;
            opt->mtu_set = true;
        } else if (strcmp(key, "hostfwd") == 0) {
            if (opt->nhostfwd == NET_MAX_HOSTFWD) {
                snprintf(err, errlen, "--net user: at most %d hostfwd rules", NET_MAX_HOSTFWD);
                goto out;
            }
            struct net_hostfwd *f = &opt->hostfwd[opt->nhostfwd];
            if (net_hostfwd_parse(f, val, err, errlen) < 0)
                goto out;
            for (unsigned i = 0; i < opt->nhostfwd; i++)
                if (opt->hostfwd[i].udp == f->udp && opt->hostfwd[i].host_port == f->host_port &&
                    opt->hostfwd[i].host_addr.s_addr == f->host_addr.s_addr) {
                    snprintf(err, errlen, "--net user: host port %s/%u forwarded twice",
                             f->udp ? "udp" : "tcp", f->host_port);
                    goto out;
                }
            opt->nhostfwd++;
        } else if (strcmp(key, "restrict") == 0 || strcmp(key, "ipv6") == 0 ||
                   strcmp(key, "vnet_hdr") == 0) {
            if (parse_bool_value(val, &b) < 0) {
                snprintf(err, errlen, "--net %s: %s=%s: expected on or off", kind, key, val);
                goto out;
            }
            if (key[0] == 'r') opt->restricted = b;
            else if (key[0] == 'i') opt->ipv6 = b;
            else opt->vnet_hdr = b;
        } else if (strcmp(key, "net") == 0) {
            if (parse_net(val, &opt->net, &opt->mask) < 0) {
                snprintf(err, errlen, "--net user: bad net '%s' (e.g. 10.0.2.0/24)", val);
                goto out;
            }
        } else if (strcmp(key, "host") == 0 || strcmp(key, "dns") == 0 ||
                   strcmp(key, "dhcpstart") == 0) {
            struct in_addr *dst = key[0] == 'h' ? &opt->host : key[1] == 'n' ? &opt->dns
                                                             : &opt->dhcp_start;
            if (parse_ipv4(val, dst) < 0) {
                snprintf(err, errlen, "--net user: bad %s address '%s'", key, val);
                goto out;
            }
            *(key[0] == 'h' ? &host_set : key[1] == 'n' ? &dns_set : &dhcp_set) = true;
        } else if (strcmp(key, "hostname") == 0) {
            if (!valid_hostname(val)) {
                snprintf(err, errlen, "--net user: bad hostname '%s'", val);
                goto out;
            }
            snprintf(opt->hostname, sizeof opt->hostname, "%s", val);
        } else if (strcmp(key, "ifname") == 0) {
            if (!*val || strlen(val) >= IFNAMSIZ || strchr(val, '/') || strchr(val, ' ')) {
                snprintf(err, errlen, "--net tap: bad ifname '%s' (1..%d characters)", val,
                         IFNAMSIZ - 1);
                goto out;
            }
            snprintf(opt->ifname, sizeof opt->ifname, "%s", val);
        } else if (strcmp(key, "name") == 0) {
            if (!valid_switch_name(val)) {
                snprintf(err, errlen, "--net switch: bad name '%s' (letters, digits, '-', '_', "
                         "'.'; at most %d characters)", val, NET_NAME_MAX - 1);
                goto out;
            }
            snprintf(opt->name, sizeof opt->name, "%s", val);
        }
    }

    if (!host_set) opt->host = host_in(opt->net, 2);
    if (!dns_set) opt->dns = host_in(opt->net, 3);
    if (!dhcp_set) opt->dhcp_start = host_in(opt->net, 15);
    if (opt->kind == NET_USER) {
        const struct { const char *what; struct in_addr a; } chk[] = {
            { "host", opt->host }, { "dns", opt->dns }, { "dhcpstart", opt->dhcp_start } };
        for (unsigned i = 0; i < 3; i++)
            if (!in_net(chk[i].a, opt->net, opt->mask)) {
                char s[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &chk[i].a, s, sizeof s);
                snprintf(err, errlen, "--net user: %s %s is not a host address of net=", chk[i].what, s);
                size_t n = strlen(err);
                inet_ntop(AF_INET, &opt->net, s, sizeof s);
                snprintf(err + n, errlen - n, "%s", s);
                goto out;
            }
        if (opt->host.s_addr == opt->dns.s_addr && host_set && dns_set) {
            snprintf(err, errlen, "--net user: host and dns must differ");
            goto out;
        }
    }
    if (!opt->mac_set)
        net_random_mac(opt->mac);
    if (!opt->mtu)
        opt->mtu = 1500;
    rc = 0;
out:
    free(buf);
    return rc;
}
