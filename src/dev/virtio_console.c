/*
 * virtio_console.c — virtio console (virtio 1.x, 5.3) with MULTIPORT:
 * port 0 is a console (the guest's hvc0) whose output joins the VM's
 * console; each `--console-port name=NAME,socket=PATH|path=FILE` adds a
 * named port (the guest's /dev/vportNpM, /sys/class/virtio-ports/vportNpM/name)
 * connected to a host UNIX socket Vessel listens on, or to a file that
 * receives what the guest writes.
 *
 * Threads: the worker moves data between the rings and per-port buffers
 * and runs the control protocol; the VM's host loop accepts, reads and
 * writes the sockets.  `lock` guards the ports and the control backlog.
 * A port's socket is read only while the guest has the port open and its
 * buffer has room, and the guest's writes wait (the driver blocks) while
 * no client is connected: nothing is lost in either direction.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "dev/virtio.h"
#include "dev/virtio_devices.h"
#include "machine/devargs.h"
#include "machine/vm.h"

#define VIRTIO_CONSOLE_F_SIZE        0
#define VIRTIO_CONSOLE_F_MULTIPORT   1
#define VIRTIO_CONSOLE_F_EMERG_WRITE 2

/* Control events (5.3.6.2). */
#define CTRL_DEVICE_READY  0
#define CTRL_DEVICE_ADD    1
#define CTRL_PORT_READY    3
#define CTRL_CONSOLE_PORT  4
#define CTRL_PORT_OPEN     6
#define CTRL_PORT_NAME     7

#define CON_MAX_PORTS   16                       /* port 0 + 15 named */
#define CON_QUEUES      (2 * CON_MAX_PORTS + 2)
#define CON_QUEUE_SIZE  64
#define CON_BUF         65536                    /* per direction per port */
#define CON_NAME_MAX    63
#define CTRL_BACKLOG    128
#define CON_MAX_IOV     64
#define CFG_MAX_NR_PORTS 4
#define CFG_EMERG_WR    8
#define CFG_SIZE        12

static const char console_kind[] = "virtio-console";

enum port_kind { PORT_CONSOLE, PORT_SOCKET, PORT_FILE };

struct con_port {
    enum port_kind kind;
    char name[CON_NAME_MAX + 1];
    char path[PATH_MAX];
    int listen_fd, conn_fd, file_fd;
    bool guest_open;                  /* the guest has the port open */
    int poll_ix;                      /* host loop thread only */
    uint8_t rx[CON_BUF];              /* host -> guest, [0, rx_len) */
    size_t rx_len;
    uint8_t tx[CON_BUF];              /* guest -> host socket, [tx_off, tx_len) */
    size_t tx_off, tx_len;
};

struct ctrl_msg {
    uint32_t id;
    uint16_t event, value;
};

struct vcon {
    struct virtio_dev *vdev;
    struct vm *vm;
    pthread_mutex_t lock;
    struct con_port *ports[CON_MAX_PORTS];
    unsigned nports;
    struct ctrl_msg ctrl[CTRL_BACKLOG];
    unsigned ctrl_head, ctrl_n;
    struct iovec iov[CON_MAX_IOV];    /* the worker's */
};

static unsigned rx_queue(unsigned port) { return port == 0 ? 0 : 2 + 2 * port; }
static unsigned tx_queue(unsigned port) { return port == 0 ? 1 : 3 + 2 * port; }

static bool multiport(struct vcon *c)
{
    return virtio_dev_has_feature(c->vdev, VIRTIO_CONSOLE_F_MULTIPORT);
}

static bool host_connected(const struct con_port *p)
{
    return p->kind != PORT_SOCKET || p->conn_fd >= 0;
}

/* ---- control messages (lock held) ---- */

static void ctrl_send(struct vcon *c, uint32_t id, uint16_t event, uint16_t value)
{
    if (c->ctrl_n == CTRL_BACKLOG) {          /* a driver that never reads: drop oldest */
        c->ctrl_head = (c->ctrl_head + 1) % CTRL_BACKLOG;
        c->ctrl_n--;
    }
    c->ctrl[(c->ctrl_head + c->ctrl_n) % CTRL_BACKLOG] = (struct ctrl_msg){ id, event, value };
    c->ctrl_n++;
    virtio_dev_schedule(c->vdev, 2);
}

static void flush_ctrl(struct vcon *c)
{
    struct virtq *vq = virtio_dev_queue(c->vdev, 2);
    struct virtq_elem e;
    while (c->ctrl_n) {
        struct ctrl_msg *m = &c->ctrl[c->ctrl_head];
        if (virtq_pop(vq, &e, c->iov, CON_MAX_IOV) <= 0)
            break;
        uint8_t buf[8 + CON_NAME_MAX];
        size_t len = 8;
        virtio_put_le32(buf, m->id);
        virtio_put_le16(buf + 4, m->event);
        virtio_put_le16(buf + 6, m->value);
        if (m->event == CTRL_PORT_NAME && m->id < c->nports) {
            size_t n = strlen(c->ports[m->id]->name);
            memcpy(buf + 8, c->ports[m->id]->name, n);
            len += n;
        }
        size_t n = virtio_iov_from_buf(e.iov + e.out_num, e.in_num, 0, buf, len);
        virtq_push(vq, &e, (uint32_t)n);
        c->ctrl_head = (c->ctrl_head + 1) % CTRL_BACKLOG;
        c->ctrl_n--;
    }
    virtq_notify(vq);
}

static void handle_ctrl_msg(struct vcon *c, uint32_t id, uint16_t event, uint16_t value)
{
    switch (event) {
    case CTRL_DEVICE_READY:
        if (value != 1)
            break;
        for (unsigned i = 0; i < c->nports; i++)
            ctrl_send(c, i, CTRL_DEVICE_ADD, 0);
        break;
    case CTRL_PORT_READY:
        if (id >= c->nports || value != 1)
            break;
        if (c->ports[id]->kind == PORT_CONSOLE)
            ctrl_send(c, id, CTRL_CONSOLE_PORT, 1);
        else
            ctrl_send(c, id, CTRL_PORT_NAME, 0);
        ctrl_send(c, id, CTRL_PORT_OPEN, host_connected(c->ports[id]));
        break;
    case CTRL_PORT_OPEN:
        if (id >= c->nports)
            break;
        c->ports[id]->guest_open = value != 0;
        vm_kick(c->vm);                       /* the loop may read its socket now */
        virtio_dev_schedule(c->vdev, rx_queue(id));
        break;
    default:
        break;                                /* unknown or device-to-driver: ignore */
    }
}

static void drain_ctrl_tx(struct vcon *c)
{
    struct virtq *vq = virtio_dev_queue(c->vdev, 3);
    struct virtq_elem e;
    while (virtq_pop(vq, &e, c->iov, CON_MAX_IOV) > 0) {
        uint8_t m[8];
        if (virtio_iov_to_buf(e.iov, e.out_num, 0, m, 8) == 8)
            handle_ctrl_msg(c, virtio_le32(m), virtio_le16(m + 4), virtio_le16(m + 6));
        virtq_push(vq, &e, 0);
    }
    virtq_notify(vq);
}

/* ---- data ---- */

static void write_all(int fd, const struct iovec *iov, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *p = iov[i].iov_base;
        size_t len = iov[i].iov_len;
        while (len) {
            ssize_t w = write(fd, p, len);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return;                       /* a full disk drops console output */
            p += w;
            len -= (size_t)w;
        }
    }
}

/* Guest -> host. */
static void drain_tx(struct vcon *c, unsigned port)
{
    struct con_port *p = c->ports[port];
    struct virtq *vq = virtio_dev_queue(c->vdev, tx_queue(port));
    struct virtq_elem e;
    bool queued = false;
    while (virtq_pop(vq, &e, c->iov, CON_MAX_IOV) > 0) {
        if (p->kind == PORT_CONSOLE) {
            for (unsigned i = 0; i < e.out_num; i++)
                vm_console_write(c->vm, e.iov[i].iov_base, e.iov[i].iov_len);
        } else if (p->kind == PORT_FILE) {
            write_all(p->file_fd, e.iov, e.out_num);
        } else if (p->conn_fd >= 0) {
            size_t room = CON_BUF - p->tx_len;
            if (e.out_len > room && p->tx_len > 0) {
                virtq_unpop(vq, &e);          /* wait for the socket to drain */
                break;
            }
            if (p->tx_off) {
                memmove(p->tx, p->tx + p->tx_off, p->tx_len - p->tx_off);
                p->tx_len -= p->tx_off;
                p->tx_off = 0;
            }
            p->tx_len += virtio_iov_to_buf(e.iov, e.out_num, 0, p->tx + p->tx_len,
                                           CON_BUF - p->tx_len);
            queued = true;
        }
        /* else: no client; the driver does not write while we say so */
        virtq_push(vq, &e, 0);
    }
    virtq_notify(vq);
    if (queued)
        vm_kick(c->vm);
}

/* Host -> guest. */
static void fill_rx(struct vcon *c, unsigned port)
{
    struct con_port *p = c->ports[port];
    struct virtq *vq = virtio_dev_queue(c->vdev, rx_queue(port));
    struct virtq_elem e;
    bool was_full = p->rx_len == CON_BUF;
    size_t off = 0;
    while (off < p->rx_len && virtq_pop(vq, &e, c->iov, CON_MAX_IOV) > 0) {
        size_t n = virtio_iov_from_buf(e.iov + e.out_num, e.in_num, 0, p->rx + off,
                                       p->rx_len - off);
        virtq_push(vq, &e, (uint32_t)n);
        off += n;
    }
    if (off) {
        memmove(p->rx, p->rx + off, p->rx_len - off);
        p->rx_len -= off;
        virtq_notify(vq);
        if (was_full)
            vm_kick(c->vm);
    }
}

static void vcon_notify(struct virtio_dev *vdev, unsigned q)
{
    struct vcon *c = virtio_dev_opaque(vdev);
    pthread_mutex_lock(&c->lock);
    if (q == 2) {
        flush_ctrl(c);
    } else if (q == 3) {
        drain_ctrl_tx(c);
    } else {
        unsigned port = q < 2 ? 0 : (q - 2) / 2;
        bool rx = q < 2 ? q == 0 : q % 2 == 0;
        if (port < c->nports && (port == 0 || multiport(c))) {
            if (rx)
                fill_rx(c, port);
            else
                drain_tx(c, port);
        }
    }
    pthread_mutex_unlock(&c->lock);
}

static void vcon_config_write(struct virtio_dev *vdev, uint32_t off, const void *data,
                              unsigned len)
{
    struct vcon *c = virtio_dev_opaque(vdev);
    /* Emergency write: one character to the console, before the driver runs. */
    if (off == CFG_EMERG_WR && len == 4)
        vm_console_write(c->vm, data, 1);
}

static void vcon_reset(struct virtio_dev *vdev)
{
    struct vcon *c = virtio_dev_opaque(vdev);
    pthread_mutex_lock(&c->lock);
    c->ctrl_head = c->ctrl_n = 0;
    for (unsigned i = 0; i < c->nports; i++) {
        c->ports[i]->guest_open = false;
        c->ports[i]->tx_off = c->ports[i]->tx_len = 0;
    }
    pthread_mutex_unlock(&c->lock);
}

static void port_free(struct con_port *p)
{
    if (p->conn_fd >= 0)
        close(p->conn_fd);
    if (p->listen_fd >= 0) {
        close(p->listen_fd);
        unlink(p->path);                      /* the socket file is ours */
    }
    if (p->file_fd >= 0)
        close(p->file_fd);
    free(p);
}

static void vcon_destroy(struct virtio_dev *vdev)
{
    struct vcon *c = virtio_dev_opaque(vdev);
    for (unsigned i = 0; i < c->nports; i++)
        port_free(c->ports[i]);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* ---- the host loop: sockets ---- */

static void disconnect(struct vcon *c, unsigned id)
{
    struct con_port *p = c->ports[id];
    close(p->conn_fd);
    p->conn_fd = -1;
    p->tx_off = p->tx_len = 0;
    ctrl_send(c, id, CTRL_PORT_OPEN, 0);
}

static void loop_prepare(void *opaque, struct vm_poll_set *ps, int *timeout_ms)
{
    (void)timeout_ms;
    struct vcon *c = opaque;
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 1; i < c->nports; i++) {
        struct con_port *p = c->ports[i];
        p->poll_ix = -1;
        if (p->kind != PORT_SOCKET)
            continue;
        if (p->conn_fd < 0) {
            p->poll_ix = vm_poll_add(ps, p->listen_fd, POLLIN);
            continue;
        }
        short ev = 0;
        if (p->guest_open && p->rx_len < CON_BUF)
            ev |= POLLIN;
        if (p->tx_len > p->tx_off)
            ev |= POLLOUT;
        p->poll_ix = vm_poll_add(ps, p->conn_fd, ev);   /* hang-ups come regardless */
    }
    pthread_mutex_unlock(&c->lock);
}

static void serve_socket(struct vcon *c, unsigned id, short re)
{
    struct con_port *p = c->ports[id];
    if (p->conn_fd < 0) {
        if (!(re & POLLIN))
            return;
        int fd = accept4(p->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            p->conn_fd = fd;
            ctrl_send(c, id, CTRL_PORT_OPEN, 1);
        }
        return;
    }
    if (re & POLLOUT) {
        ssize_t n = send(p->conn_fd, p->tx + p->tx_off, p->tx_len - p->tx_off, MSG_NOSIGNAL);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            disconnect(c, id);
            return;
        }
        if (n > 0) {
            p->tx_off += (size_t)n;
            if (p->tx_off == p->tx_len)
                p->tx_off = p->tx_len = 0;
            virtio_dev_schedule(c->vdev, tx_queue(id));   /* room again */
        }
    }
    if ((re & POLLIN) || ((re & POLLHUP) && p->rx_len < CON_BUF)) {
        /* On hang-up, keep what the client sent before leaving. */
        ssize_t n = recv(p->conn_fd, p->rx + p->rx_len, CON_BUF - p->rx_len, MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            disconnect(c, id);
            return;
        }
        if (n > 0) {
            p->rx_len += (size_t)n;
            virtio_dev_schedule(c->vdev, rx_queue(id));
        }
        if (n > 0 && !(re & POLLIN))
            disconnect(c, id);
    } else if (re & (POLLHUP | POLLERR)) {
        disconnect(c, id);
    }
}

static void loop_dispatch(void *opaque, struct vm_poll_set *ps)
{
    struct vcon *c = opaque;
    pthread_mutex_lock(&c->lock);
    for (unsigned i = 1; i < c->nports; i++) {
        struct con_port *p = c->ports[i];
        if (p->kind == PORT_SOCKET && p->poll_ix >= 0)
            serve_socket(c, i, vm_poll_revents(ps, p->poll_ix));
    }
    pthread_mutex_unlock(&c->lock);
}

static const struct virtio_device_ops vcon_ops = {
    .name = "virtio-console",
    .device_id = VIRTIO_ID_CONSOLE,
    .features = VIRTIO_BIT(VIRTIO_CONSOLE_F_MULTIPORT) | VIRTIO_BIT(VIRTIO_CONSOLE_F_EMERG_WRITE),
    .num_queues = CON_QUEUES,
    .queue_max = CON_QUEUE_SIZE,
    .config_size = CFG_SIZE,
    .queue_notify = vcon_notify,
    .config_write = vcon_config_write,
    .reset = vcon_reset,
    .destroy = vcon_destroy,
};

/* ---- creation ---- */

static struct con_port *port_new(enum port_kind kind)
{
    struct con_port *p = calloc(1, sizeof *p);
    if (p) {
        p->kind = kind;
        p->listen_fd = p->conn_fd = p->file_fd = p->poll_ix = -1;
    }
    return p;
}

/* The VM's virtio-console, created with its console port 0 on first use. */
static struct vcon *get_console(struct vm *vm, char *err, size_t errlen)
{
    struct vcon *c = vm_shared_state(vm, console_kind);
    if (c)
        return c;
    c = calloc(1, sizeof *c);
    struct con_port *p0 = port_new(PORT_CONSOLE);
    if (!c || !p0) {
        free(c);
        free(p0);
        snprintf(err, errlen, "virtio-console: out of memory");
        return NULL;
    }
    c->vm = vm;
    pthread_mutex_init(&c->lock, NULL);
    c->ports[c->nports++] = p0;
    uint8_t cfg[CFG_SIZE] = { 0 };
    virtio_put_le32(cfg + CFG_MAX_NR_PORTS, CON_MAX_PORTS);
    c->vdev = virtio_dev_create(vm, &vcon_ops, c, cfg, err, errlen);
    if (!c->vdev) {
        pthread_mutex_destroy(&c->lock);
        free(p0);
        free(c);
        return NULL;
    }
    /* From here the transport owns c (vm_destroy frees it). */
    struct vm_loop_client client = { c, loop_prepare, loop_dispatch };
    if (vm_set_shared_state(vm, console_kind, c) < 0 || vm_add_loop_client(vm, &client) < 0) {
        snprintf(err, errlen, "virtio-console: the VM has no room for its host-side state");
        return NULL;
    }
    return c;
}

int virtio_console_create(struct vm *vm, const char *args, char *err, size_t errlen)
{
    static const char *const keys[] = { NULL };
    struct devargs da;
    char why[256];
    if (devargs_parse(&da, args, keys, why, sizeof why) < 0) {
        snprintf(err, errlen, "console: %s (it takes no options; add ports with "
                 "--console-port)", why);
        return -1;
    }
    devargs_free(&da);
    return get_console(vm, err, errlen) ? 0 : -1;
}

static bool valid_port_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > CON_NAME_MAX)
        return false;
    for (; *n; n++)
        if (!isalnum((unsigned char)*n) && !strchr("._-", *n))
            return false;
    return true;
}

static int listen_unix(struct con_port *p, char *err, size_t errlen)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(p->path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "console port %s: socket path too long (at most %zu bytes): %s",
                 p->name, sizeof sa.sun_path - 1, p->path);
        return -1;
    }
    memcpy(sa.sun_path, p->path, strlen(p->path) + 1);
    struct stat st;
    if (lstat(p->path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errlen, "console port %s: %s exists and is not a socket",
                     p->name, p->path);
            return -1;
        }
        unlink(p->path);                 /* a stale socket from an earlier run */
    }
    p->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->listen_fd < 0 || bind(p->listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        listen(p->listen_fd, 1) < 0) {
        snprintf(err, errlen, "console port %s: cannot listen on %s: %s", p->name, p->path,
                 strerror(errno));
        if (p->listen_fd >= 0)
            close(p->listen_fd);
        p->listen_fd = -1;
        return -1;
    }
    return 0;
}

int virtio_console_port_create(struct vm *vm, const char *args, char *err, size_t errlen)
{
    static const char *const keys[] = { "name", "socket", "path", NULL };
    struct devargs da;
    char why[256];
    if (devargs_parse(&da, args, keys, why, sizeof why) < 0) {
        snprintf(err, errlen, "console-port: %s", why);
        return -1;
    }
    int rc = -1;
    struct con_port *p = NULL;
    const char *name = devargs_get(&da, "name");
    const char *sock = devargs_get(&da, "socket"), *path = devargs_get(&da, "path");
    if (!name || !valid_port_name(name)) {
        snprintf(err, errlen, "console-port: name=NAME is required: 1 to %d letters, digits, "
                 "'.', '_' or '-'", CON_NAME_MAX);
        goto out;
    }
    if (!sock == !path || (sock && !*sock) || (path && !*path)) {
        snprintf(err, errlen, "console-port %s: give exactly one of socket=PATH or path=FILE",
                 name);
        goto out;
    }
    struct vcon *c = get_console(vm, err, errlen);
    if (!c)
        goto out;
    for (unsigned i = 1; i < c->nports; i++) {
        if (strcmp(c->ports[i]->name, name) == 0) {
            snprintf(err, errlen, "console-port %s: name given twice", name);
            goto out;
        }
    }
    if (c->nports == CON_MAX_PORTS) {
        snprintf(err, errlen, "console-port %s: at most %d console ports", name,
                 CON_MAX_PORTS - 1);
        goto out;
    }
    p = port_new(sock ? PORT_SOCKET : PORT_FILE);
    if (!p) {
        snprintf(err, errlen, "console-port %s: out of memory", name);
        goto out;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    snprintf(p->path, sizeof p->path, "%s", sock ? sock : path);
    if (sock) {
        if (listen_unix(p, err, errlen) < 0)
            goto out;
    } else {
        p->file_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (p->file_fd < 0) {
            snprintf(err, errlen, "console-port %s: %s: %s", name, path, strerror(errno));
            goto out;
        }
    }
    pthread_mutex_lock(&c->lock);
    c->ports[c->nports++] = p;
    pthread_mutex_unlock(&c->lock);
    p = NULL;
    rc = 0;
out:
    if (p)
        port_free(p);
    devargs_free(&da);
    return rc;
}
