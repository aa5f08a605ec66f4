/* pump.h — a tiny event loop for driving net backends in unit tests. */
#ifndef VESSEL_TESTS_NET_PUMP_H
#define VESSEL_TESTS_NET_PUMP_H

#include <poll.h>
#include "net/net.h"

struct pump_set {
    struct pollfd fds[256];
    int n;
};

static int pump_add(void *ctx, int fd, short events)
{
    struct pump_set *ps = ctx;
    if (ps->n >= 256)
        return -1;
    ps->fds[ps->n] = (struct pollfd){ .fd = fd, .events = events };
    return ps->n++;
}

static short pump_revents(void *ctx, int index)
{
    struct pump_set *ps = ctx;
    return index >= 0 && index < ps->n ? ps->fds[index].revents : 0;
}

/* Run the backends' loop for about ms milliseconds (one poll round each
 * time something happens, or until the time is up). */
static void pump(struct net_backend **be, int nbe, int ms)
{
    struct pump_set ps;
    struct net_poll p = { &ps, pump_add, pump_revents };
    for (int elapsed = 0; elapsed < ms;) {
        ps.n = 0;
        int timeout = 10;
        for (int i = 0; i < nbe; i++)
            if (be[i])
                net_backend_prepare(be[i], &p, &timeout);
        if (timeout > 10 || timeout < 0)
            timeout = 10;
        int r = poll(ps.fds, (nfds_t)ps.n, timeout);
        for (int i = 0; i < nbe; i++)
            if (be[i])
                net_backend_dispatch(be[i], &p);
        if (r <= 0)
            elapsed += timeout ? timeout : 1;
    }
}

#endif
