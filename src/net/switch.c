/*
 * switch.c — a virtual Ethernet switch joining the VMs of one host, each a
 * separate `vessel run` process: `--net switch,name=NAME`.
 *
 * There is no switch process.  Each VM's port is one piece of a
 * distributed switch: the ports of a segment form a full mesh of UNIX
 * SOCK_SEQPACKET connections, and every port does the forwarding for the
 * frames its own guest sends (MAC learning, unicast to the port that owns
 * the destination, flooding otherwise).  A frame thus goes from one
 * guest's process straight into the other's: one copy, no extra hop, and
 * nothing to clean up when a VM dies (its connections just close).
 *
 * Rendezvous: the directory $XDG_RUNTIME_DIR/vessel/switch-NAME (or
 * /run/vessel/... for root, /tmp/vessel-UID/... otherwise; mode 0700, so
 * only the user's own VMs join) holds a lock file and one listening socket
 * per port, port-<64-bit random id>.  A joining port takes the lock,
 * listens, connects to every listening socket it finds (removing those of
 * dead VMs), and releases the lock; ports already there accept.  Joins are
 * serialized by the lock, so each pair of ports ends up with exactly one
 * connection.
 *
 * Messages: the connecting side first sends the 8-byte hello "VSWITCH1";
 * then each message is one frame: the 10-byte virtio-net header (offloads
 * travel between guests untouched) followed by the Ethernet frame.
 *
 * Flow control is the socket's: a full peer makes sendmsg() fail with
 * EAGAIN; the frame is kept and the guest's transmit queue waits for
 * POLLOUT.  A peer that stays full for NET_SWITCH_STALL_NS (a stopped VM)
 * is marked stalled: frames for it are dropped and counted, so one stuck
 * VM cannot stop the others.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include "net/backend.h"
#include "net/coalesce.h"
#include "net/fdb.h"
#include "net/offload.h"

#define NET_SWITCH_MAX_PEERS 30
#define NET_SWITCH_STALL_NS  (1000ULL * 1000000ULL)
#define NET_SWITCH_BUDGET    64            /* frames read per peer per dispatch */
#define SWITCH_HELLO         "VSWITCH1"
#define SWITCH_HELLO_LEN     8
#define SWITCH_MSG_MAX       (NET_WIRE_HDR_LEN + NET_FRAME_MAX)

struct switch_peer {
    int fd;
    uint32_t port;               /* fdb port number, never reused */
    bool hello_done;             /* accepted side: hello received */
    bool stalled;
    int poll_index;
    uint8_t *pending;            /* one frame waiting for room, or NULL */
    size_t pending_len;
    uint64_t pending_since;
};

struct net_switch {
    struct net_backend be;       /* first */
    char dir[86];                
    char path[108];              /* our listening socket */
    int listen_fd;
    int listen_index;
    struct switch_peer *peers[NET_SWITCH_MAX_PEERS];
    unsigned npeers;
    uint32_t next_port;
    struct net_fdb fdb;
    struct net_coalescer co;     /* merges a peer's TCP bursts (LRO) */
    uint8_t buf[SWITCH_MSG_MAX + 1];
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the rendezvous directory ---------------------------------------------- */

/* mkdir -m 0700 that accepts an existing directory only if it is ours and
 * private (anything else could be another user's trap). */
static int private_dir(const char *path, char *err, size_t errlen)
{
    if (mkdir(path, 0700) < 0 && errno != EEXIST) {
        snprintf(err, errlen, "--net switch: cannot create %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077)) {
        snprintf(err, errlen, "--net switch: %s must be a directory owned by you with mode 0700",
                 path);
        return -1;
    }
    return 0;
}

static int switch_dir(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
    char base[80];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    struct stat st;
    if (xdg && *xdg == '/' && strlen(xdg) < 40 && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(base, sizeof base, "%s/vessel", xdg);
    else if (geteuid() == 0)
        snprintf(base, sizeof base, "/run/vessel");
    else
        snprintf(base, sizeof base, "/tmp/vessel-%u", (unsigned)geteuid());
    if (private_dir(base, err, errlen) < 0)
        return -1;
    /* out is sized so that "/port-" and 16 hex digits still fit a sockaddr_un. */
    if ((size_t)snprintf(out, outlen, "%s/switch-%s", base, name) >= outlen) {
        snprintf(err, errlen, "--net switch: the path %s/switch-%s is too long", base, name);
        return -1;
    }
    return private_dir(out, err, errlen);
}

static int unix_addr(struct sockaddr_un *sa, const char *path)
{
    memset(sa, 0, sizeof *sa);
    sa->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa->sun_path)
        return -1;
    strcpy(sa->sun_path, path);
    return 0;
}

static void size_buffers(int fd)
{
    /* Room for several 64 KiB frames in flight; the kernel caps this. */
    int sz = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
}

/* ---- peers ------------------------------------------------------------------- */

static struct switch_peer *add_peer(struct net_switch *s, int fd, bool hello_done)
{
    struct switch_peer *p;
    if (s->npeers == NET_SWITCH_MAX_PEERS || !(p = calloc(1, sizeof *p))) {
        fprintf(stderr, "vessel: net switch %s: more than %d VMs on one switch; "
                "ignoring a new one\n", s->be.desc, NET_SWITCH_MAX_PEERS);
        close(fd);
        return NULL;
    }
    p->fd = fd;
    p->port = ++s->next_port;
    p->hello_done = hello_done;
    p->poll_index = -1;
    size_buffers(fd);
    s->peers[s->npeers++] = p;
    return p;
}

static void remove_peer(struct net_switch *s, unsigned i)
{
    struct switch_peer *p = s->peers[i];
    net_fdb_forget_port(&s->fdb, p->port);
    if (p->pending)
        s->be.stats.tx_dropped++;
    close(p->fd);
    free(p->pending);
    free(p);
    s->peers[i] = s->peers[--s->npeers];
}

static int connect_peer(struct net_switch *s, const char *path)
{
    struct sockaddr_un sa;
    if (unix_addr(&sa, path) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    /* Blocking connect, bounded: a live but busy peer accepts soon. */
    struct timeval tv = { .tv_sec = 2 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        if (e == ECONNREFUSED || e == ENOENT)
            unlink(path);                 /* a VM that died; we hold the lock */
        else
            fprintf(stderr, "vessel: net switch: cannot reach %s: %s\n", path, strerror(e));
        return -1;
    }
    if (send(fd, SWITCH_HELLO, SWITCH_HELLO_LEN, MSG_NOSIGNAL) != SWITCH_HELLO_LEN) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    struct timeval zero = { 0 };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof zero);
    return add_peer(s, fd, true) ? 0 : -1;
}

static int join(struct net_switch *s, char *err, size_t errlen)
{
    char lockpath[128];
    snprintf(lockpath, sizeof lockpath, "%s/lock", s->dir);
    int lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (lock < 0 || flock(lock, LOCK_EX) < 0) {
        snprintf(err, errlen, "--net switch: cannot lock %s: %s", lockpath, strerror(errno));
        if (lock >= 0)
            close(lock);
        return -1;
    }
    int rc = -1;
    uint64_t id = 0;
    if (getrandom(&id, sizeof id, 0) != sizeof id)
        id = now_ns() ^ ((uint64_t)getpid() << 32);
    snprintf(s->path, sizeof s->path, "%s/port-%016llx", s->dir, (unsigned long long)id);
    struct sockaddr_un sa;
    s->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0 || unix_addr(&sa, s->path) < 0 ||
        bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s->listen_fd, 64) < 0) {
        snprintf(err, errlen, "--net switch: cannot listen on %s: %s", s->path, strerror(errno));
        s->path[0] = '\0';
        goto out;
    }
    DIR *d = opendir(s->dir);
    if (!d) {
        snprintf(err, errlen, "--net switch: cannot read %s: %s", s->dir, strerror(errno));
        goto out;
    }
    for (struct dirent *e; (e = readdir(d));) {
        char path[sizeof s->path + 32];
        if (strncmp(e->d_name, "port-", 5) != 0 || strlen(e->d_name) != 21)
            continue;
        snprintf(path, sizeof path, "%s/%.21s", s->dir, e->d_name);
        if (strcmp(path, s->path) != 0)
            connect_peer(s, path);
    }
    closedir(d);
    rc = 0;
out:
    flock(lock, LOCK_UN);
    close(lock);
    return rc;
}

/* ---- receive ------------------------------------------------------------------ */

static void accept_peers(struct net_switch *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        add_peer(s, fd, false);
    }
}

/* Read what peer i sent; false if it went away. */
static bool read_peer(struct net_switch *s, struct switch_peer *p)
{
    for (int n = 0; n < NET_SWITCH_BUDGET && !net_rx_blocked(&s->be); n++) {
        ssize_t len = recv(p->fd, s->buf, sizeof s->buf, MSG_DONTWAIT | MSG_TRUNC);
        if (len < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        if (len == 0)
            return false;                       /* the other VM is gone */
        if (!p->hello_done) {
            if (len != SWITCH_HELLO_LEN || memcmp(s->buf, SWITCH_HELLO, SWITCH_HELLO_LEN) != 0) {
                fprintf(stderr, "vessel: net switch: a peer speaks another protocol; "
                        "disconnecting it\n");
                return false;
            }
            p->hello_done = true;
            continue;
        }
        /* From another VM, so as little trusted as a guest. */
        struct net_hdr hdr;
        size_t flen = (size_t)len - NET_WIRE_HDR_LEN;
        const uint8_t *frame = s->buf + NET_WIRE_HDR_LEN;
        if ((size_t)len > SWITCH_MSG_MAX || (size_t)len < NET_WIRE_HDR_LEN + NET_ETH_HLEN) {
            s->be.stats.rx_dropped++;
            continue;
        }
        net_hdr_from_wire(&hdr, s->buf);
        if (net_hdr_check(&hdr, frame, flen) < 0) {
            s->be.stats.rx_dropped++;
            continue;
        }
        net_fdb_learn(&s->fdb, frame + 6, p->port, now_ns());
        net_coalesce_add(&s->co, &hdr, frame, flen);
    }
    return true;
}

static void deliver(void *opaque, const struct net_hdr *hdr, const uint8_t *frame, size_t len)
{
    struct net_switch *s = opaque;
    net_deliver(&s->be, hdr, frame, len);
}

static void switch_set_rx_offloads(struct net_backend *be, unsigned offloads)
{
    struct net_switch *s = (struct net_switch *)be;
    net_coalesce_flush(&s->co);
    s->co.enabled = (offloads & NET_OFFLOAD_CSUM) && (offloads & NET_OFFLOAD_TSO4);
}

/* ---- transmit ------------------------------------------------------------------ */

/* Send to one peer; on EAGAIN keep a copy.  false if the peer is gone. */
static bool send_peer(struct net_switch *s, struct switch_peer *p, const uint8_t *wire,
                      const struct iovec *iov, int iovcnt, size_t len)
{
    if (p->stalled || p->pending) {
        s->be.stats.tx_dropped++;
        return true;
    }
    struct iovec v[65];
    v[0] = (struct iovec){ (void *)wire, NET_WIRE_HDR_LEN };
    int n = 1;
    uint8_t *flat = NULL;
    if (iovcnt > 64) {
        flat = malloc(len);
        if (!flat) {
            s->be.stats.tx_dropped++;
            return true;
        }
        net_iov_gather(flat, len, iov, iovcnt);
        v[n++] = (struct iovec){ flat, len };
    } else {
        memcpy(v + 1, iov, (size_t)iovcnt * sizeof *iov);
        n += iovcnt;
    }
    struct msghdr mh = { .msg_iov = v, .msg_iovlen = (size_t)n };
    ssize_t r = sendmsg(p->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
    bool alive = true;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        p->pending = malloc(NET_WIRE_HDR_LEN + len);
        if (p->pending) {
            memcpy(p->pending, wire, NET_WIRE_HDR_LEN);
            net_iov_gather(p->pending + NET_WIRE_HDR_LEN, len, iov, iovcnt);
            p->pending_len = NET_WIRE_HDR_LEN + len;
            p->pending_since = now_ns();
        } else {
            s->be.stats.tx_dropped++;
        }
    } else if (r < 0) {
        s->be.stats.tx_dropped++;
        alive = errno != EPIPE && errno != ECONNRESET && errno != ENOTCONN;
    }
    free(flat);
    return alive;
}

static void switch_send(struct net_backend *be, const struct net_hdr *hdr,
                        const struct iovec *iov, int iovcnt)
{
    struct net_switch *s = (struct net_switch *)be;
    size_t len = 0;
    for (int i = 0; i < iovcnt; i++)
        len += iov[i].iov_len;
    if (len < NET_ETH_HLEN || len > NET_FRAME_MAX) {
        be->stats.tx_dropped++;
        return;
    }
    /* The destination MAC: the first bytes, maybe split across buffers. */
    uint8_t dst[6];
    size_t got = 0;
    for (int i = 0; i < iovcnt && got < sizeof dst; i++) {
        size_t n = iov[i].iov_len < sizeof dst - got ? iov[i].iov_len : sizeof dst - got;
        memcpy(dst + got, iov[i].iov_base, n);
        got += n;
    }
    uint8_t wire[NET_WIRE_HDR_LEN];
    net_hdr_to_wire(hdr, wire);
    be->stats.tx_frames++;
    be->stats.tx_bytes += len;
    uint32_t port = net_fdb_lookup(&s->fdb, dst, now_ns());
    for (unsigned i = 0; i < s->npeers;) {
        struct switch_peer *p = s->peers[i];
        if (port && p->port != port) {
            i++;
            continue;
        }
        if (send_peer(s, p, wire, iov, iovcnt, len))
            i++;
        else
            remove_peer(s, i);
    }
}

static bool switch_can_send(const struct net_backend *be)
{
    const struct net_switch *s = (const struct net_switch *)be;
    for (unsigned i = 0; i < s->npeers; i++)
        if (s->peers[i]->pending)
            return false;
    return true;
}

/* Retry a kept frame; false if the peer is gone. */
static bool flush_pending(struct net_switch *s, struct switch_peer *p)
{
    ssize_t r = send(p->fd, p->pending, p->pending_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        if (now_ns() - p->pending_since < NET_SWITCH_STALL_NS)
            return true;
        p->stalled = true;               /* stuck VM: drop for it until it drains */
        s->be.stats.tx_dropped++;
    } else if (r < 0) {
        s->be.stats.tx_dropped++;
        free(p->pending);
        p->pending = NULL;
        return false;
    }
    free(p->pending);
    p->pending = NULL;
    return true;
}

/* ---- event loop ------------------------------------------------------------------- */

static void switch_prepare(struct net_backend *be, struct net_poll *pl, int *timeout_ms)
{
    struct net_switch *s = (struct net_switch *)be;
    bool rx = !net_rx_blocked(be);
    s->listen_index = pl->add(pl->ctx, s->listen_fd, POLLIN);
    uint64_t now = now_ns();
    for (unsigned i = 0; i < s->npeers; i++) {
        struct switch_peer *p = s->peers[i];
        short ev = rx ? POLLIN : 0;
        if (p->pending || p->stalled)
            ev |= POLLOUT;
        p->poll_index = pl->add(pl->ctx, p->fd, ev);
        if (p->pending) {
            uint64_t end = p->pending_since + NET_SWITCH_STALL_NS;
            int ms = end > now ? (int)((end - now) / 1000000 + 1) : 0;
            if (*timeout_ms < 0 || ms < *timeout_ms)
                *timeout_ms = ms;
        }
    }
}

static void switch_dispatch(struct net_backend *be, struct net_poll *pl)
{
    struct net_switch *s = (struct net_switch *)be;
    for (unsigned i = 0; i < s->npeers;) {
        struct switch_peer *p = s->peers[i];
        short re = p->poll_index >= 0 ? pl->revents(pl->ctx, p->poll_index) : 0;
        p->poll_index = -1;
        bool alive = true;
        if (re & POLLOUT)
            p->stalled = false;
        if (p->pending)
            alive = flush_pending(s, p);
        if (alive && (re & (POLLIN | POLLHUP | POLLERR))) {
            alive = read_peer(s, p);
            net_coalesce_flush(&s->co);      /* runs never span peers */
        }
        if (alive && (re & (POLLHUP | POLLERR)) && !(re & POLLIN))
            alive = false;
        if (alive)
            i++;
        else
            remove_peer(s, i);
    }
    if (s->listen_index >= 0 && (pl->revents(pl->ctx, s->listen_index) & POLLIN))
        accept_peers(s);
    s->listen_index = -1;
}

static void switch_free(struct net_backend *be)
{
    struct net_switch *s = (struct net_switch *)be;
    while (s->npeers)
        remove_peer(s, s->npeers - 1);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->path[0])
        unlink(s->path);
    free(s);
}

static const struct net_backend_ops switch_ops = {
    .kind = "switch",
    .send = switch_send,
    .can_send = switch_can_send,
    .prepare = switch_prepare,
    .dispatch = switch_dispatch,
    .set_rx_offloads = switch_set_rx_offloads,
    .free = switch_free,
};

struct net_backend *net_switch_new(const struct net_options *opt, char *err, size_t errlen)
{
    struct net_switch *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->be.ops = &switch_ops;
    s->listen_fd = -1;
    s->listen_index = -1;
    net_fdb_init(&s->fdb);
    net_coalesce_init(&s->co, deliver, s);
    snprintf(s->be.desc, sizeof s->be.desc, "switch %s", opt->name);
    if (switch_dir(opt->name, s->dir, sizeof s->dir, err, errlen) < 0 || join(s, err, errlen) < 0) {
        switch_free(&s->be);
        return NULL;
    }
    return &s->be;
}
