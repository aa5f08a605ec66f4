/* Network devices for linux.netDevices (see netdev.h). */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stdint.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include "container/netdev.h"

struct nl_req {
    struct nlmsghdr h;
    union {
        struct ifinfomsg ifi;
        struct ifaddrmsg ifa;
    };
    char attrs[512];
};

static void add_attr(struct nlmsghdr *h, unsigned short type, const void *data, size_t len)
{
    struct rtattr *a = (struct rtattr *)((char *)h + NLMSG_ALIGN(h->nlmsg_len));
    a->rta_type = type;
    a->rta_len = (unsigned short)RTA_LENGTH(len);
    memcpy(RTA_DATA(a), data, len);
    h->nlmsg_len = NLMSG_ALIGN(h->nlmsg_len) + RTA_ALIGN(a->rta_len);
}

static int nl_open(struct ctr_err *err)
{
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0)
        return ctr_fail_errno(err, "netlink socket");
    return s;
}

/* Send one request and wait for its acknowledgement. */
static int nl_call(int s, unsigned *seq, struct nlmsghdr *h, const char *what, struct ctr_err *err)
{
    /* Replies are matched by sequence number; each request gets a fresh one
     * derived from the socket's requests so far (no shared counter). */
    h->nlmsg_seq = (uint32_t)s * 65536u + ++*seq;
    h->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
    if (send(s, h, h->nlmsg_len, 0) < 0)
        return ctr_fail_errno(err, "%s", what);
    char buf[8192];
    for (;;) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ctr_fail_errno(err, "%s", what);
        }
        for (struct nlmsghdr *r = (struct nlmsghdr *)buf; NLMSG_OK(r, (unsigned)n);
             r = NLMSG_NEXT(r, n)) {
            if (r->nlmsg_seq != h->nlmsg_seq || r->nlmsg_type != NLMSG_ERROR)
                continue;
            int e = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
            if (e) {
                errno = -e;
                return ctr_fail_errno(err, "%s", what);
            }
            return 0;
        }
    }
}

/* The addresses of interface `index`, as ready-to-send RTM_NEWADDR requests. */
static int collect_addrs(int s, int index, struct nl_req **out, size_t *count, struct ctr_err *err)
{
    struct nl_req q;
    memset(&q, 0, sizeof q);
    q.h.nlmsg_len = NLMSG_LENGTH(sizeof q.ifa);
    q.h.nlmsg_type = RTM_GETADDR;
    q.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    q.h.nlmsg_seq = 1;
    if (send(s, &q, q.h.nlmsg_len, 0) < 0)
        return ctr_fail_errno(err, "netlink: list addresses");
    char buf[16384];
    for (;;) {
        ssize_t n = recv(s, buf, sizeof buf, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ctr_fail_errno(err, "netlink: list addresses");
        for (struct nlmsghdr *r = (struct nlmsghdr *)buf; NLMSG_OK(r, (unsigned)n);
             r = NLMSG_NEXT(r, n)) {
            if (r->nlmsg_type == NLMSG_DONE)
                return 0;
            if (r->nlmsg_type == NLMSG_ERROR)
                return ctr_fail(err, "netlink: list addresses failed");
            if (r->nlmsg_type != RTM_NEWADDR)
                continue;
            struct ifaddrmsg *ifa = NLMSG_DATA(r);
            if ((int)ifa->ifa_index != index)
                continue;
            struct nl_req *nv = realloc(*out, (*count + 1) * sizeof *nv);
            if (!nv)
                return ctr_fail(err, "out of memory");
            *out = nv;
            struct nl_req *a = &nv[(*count)++];
            memset(a, 0, sizeof *a);
            a->h.nlmsg_len = NLMSG_LENGTH(sizeof a->ifa);
            a->h.nlmsg_type = RTM_NEWADDR;
            a->h.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
            a->ifa = *ifa;
            /* Keep the address itself; labels name the old interface. */
            int len = (int)IFA_PAYLOAD(r);
            for (struct rtattr *at = IFA_RTA(ifa); RTA_OK(at, len); at = RTA_NEXT(at, len))
                if ((at->rta_type == IFA_ADDRESS || at->rta_type == IFA_LOCAL ||
                     at->rta_type == IFA_BROADCAST || at->rta_type == IFA_FLAGS) &&
                    RTA_PAYLOAD(at) <= 32)
                    add_attr(&a->h, at->rta_type, RTA_DATA(at), RTA_PAYLOAD(at));
        }
    }
}

int netdev_check(const struct oci_linux *lx, struct ctr_err *err)
{
    for (size_t i = 0; i < lx->n_net_devices; i++) {
        const struct oci_netdev *d = &lx->net_devices[i];
        if (!if_nametoindex(d->host_name))
            return ctr_fail(err, "linux.netDevices: no network interface %s on the host",
                            d->host_name);
    }
    return 0;
}

/* In the container's namespace: bring the device up, restore addresses. */
static int configure(const char *name, struct nl_req *addrs, size_t n, struct ctr_err *err)
{
    int s = nl_open(err);
    if (s < 0)
        return -1;
    int index = (int)if_nametoindex(name);
    int r = -1;
    if (!index) {
        ctr_fail(err, "linux.netDevices: %s did not arrive in the container", name);
        goto out;
    }
    struct nl_req q;
    memset(&q, 0, sizeof q);
    q.h.nlmsg_len = NLMSG_LENGTH(sizeof q.ifi);
    q.h.nlmsg_type = RTM_NEWLINK;
    q.ifi.ifi_index = index;
    q.ifi.ifi_flags = IFF_UP;
    q.ifi.ifi_change = IFF_UP;
    unsigned seq = 0;
    if (nl_call(s, &seq, &q.h, "linux.netDevices: bring the device up", err) < 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        addrs[i].ifa.ifa_index = (unsigned)index;
        if (nl_call(s, &seq, &addrs[i].h, "linux.netDevices: restore an address", err) < 0 &&
            err->errnum != EEXIST)
            goto out;
    }
    r = 0;
out:
    close(s);
    return r;
}

int netdev_move_all(const struct oci_linux *lx, pid_t pid, struct ctr_err *err)
{
    if (!lx->n_net_devices)
        return 0;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pid);
    int target = open(path, O_RDONLY | O_CLOEXEC);
    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int s = nl_open(err);
    int r = -1;
    unsigned seq = 0;
    if (target < 0 || home < 0) {
        ctr_fail_errno(err, "open network namespace");
        goto out;
    }
    if (s < 0)
        goto out;
    for (size_t i = 0; i < lx->n_net_devices; i++) {
        const struct oci_netdev *d = &lx->net_devices[i];
        const char *name = d->name && *d->name ? d->name : d->host_name;
        int index = (int)if_nametoindex(d->host_name);
        if (!index) {
            ctr_fail(err, "linux.netDevices: no network interface %s on the host", d->host_name);
            goto out;
        }
        struct nl_req *addrs = NULL;
        size_t n = 0;
        if (collect_addrs(s, index, &addrs, &n, err) < 0) {
            free(addrs);
            goto out;
        }
        struct nl_req q;
        memset(&q, 0, sizeof q);
        q.h.nlmsg_len = NLMSG_LENGTH(sizeof q.ifi);
        q.h.nlmsg_type = RTM_NEWLINK;
        q.ifi.ifi_index = index;
        uint32_t nsfd = (uint32_t)target;
        add_attr(&q.h, IFLA_NET_NS_FD, &nsfd, sizeof nsfd);
        add_attr(&q.h, IFLA_IFNAME, name, strlen(name) + 1);
        char what[96];
        snprintf(what, sizeof what, "linux.netDevices: move %s into the container", d->host_name);
        int c = nl_call(s, &seq, &q.h, what, err);
        if (c == 0) {
            if (setns(target, CLONE_NEWNET) < 0)
                c = ctr_fail_errno(err, "enter the container's network namespace");
            else {
                c = configure(name, addrs, n, err);
                if (setns(home, CLONE_NEWNET) < 0 && c == 0)
                    c = ctr_fail_errno(err, "return to the runtime's network namespace");
            }
        }
        free(addrs);
        if (c < 0)
            goto out;
    }
    r = 0;
out:
    if (s >= 0)
        close(s);
    if (target >= 0)
        close(target);
    if (home >= 0)
        close(home);
    return r;
}
