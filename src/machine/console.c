/*
 * console.c — the VM's console on host file descriptors (stdio by
 * default), as QEMU's -nographic: the terminal goes raw while the VM runs
 * (Ctrl-C reaches the guest), Ctrl-A starts a host command (x: quit,
 * h: help, Ctrl-A/a: send a Ctrl-A).  Input waits in a backlog until the
 * UART's FIFO has room, so nothing typed or piped in is lost; end of input
 * only stops reading.
 *
 * Output goes through a ring that the loop thread drains when the fd is
 * writable: a hart never blocks in write(2) (it waits, at worst, for room
 * in the ring), so a stuck terminal or pipe cannot keep the VM from
 * stopping, and the loop thread never blocks either.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "dev/uart16550.h"
#include "machine/vm_impl.h"

#define BACKLOG 4096
#define OUTBUF  (64 * 1024)
#define CTRL_A  0x01

struct console {
    struct vm *vm;
    int in_fd, out_fd;
    bool escape;            /* Ctrl-A commands enabled */
    bool saw_ctrl_a;
    bool in_eof, out_broken;
    bool raw;               /* we changed the terminal: restore it */
    struct termios saved;
    pthread_mutex_t in_lock;   /* backlog: loop thread and SBI getchar */
    uint8_t backlog[BACKLOG];
    size_t head, count;
    int poll_idx;

    pthread_mutex_t out_lock;  /* output ring: harts append, the loop drains */
    pthread_cond_t out_space;
    uint8_t outbuf[OUTBUF];
    size_t out_head, out_count;
    size_t out_chunk;          /* bytes one write(2) may take without blocking */
    int out_idx;
};

static const char help_text[] =
    "\r\nC-a h    print this help\r\n"
    "C-a x    exit the virtual machine\r\n"
    "C-a C-a  send C-a to the guest\r\n";

struct console *console_new(struct vm *vm, int in_fd, int out_fd, bool escape)
{
    struct console *con = calloc(1, sizeof *con);
    if (!con)
        return NULL;
    con->vm = vm;
    con->in_fd = in_fd;
    con->out_fd = out_fd;
    con->escape = escape;
    con->in_eof = in_fd < 0;
    pthread_mutex_init(&con->out_lock, NULL);
    pthread_cond_init(&con->out_space, NULL);
    pthread_mutex_init(&con->in_lock, NULL);
    /* After POLLOUT a pipe takes PIPE_BUF bytes, a file anything; a tty or
     * a socket only promises a little. */
    struct stat st;
    con->out_chunk = 512;
    if (out_fd >= 0 && fstat(out_fd, &st) == 0)
        con->out_chunk = S_ISREG(st.st_mode) ? OUTBUF : S_ISFIFO(st.st_mode) ? 4096 : 512;
    return con;
}

void console_start(struct console *con)
{
    if (con->in_fd < 0 || !isatty(con->in_fd) || tcgetattr(con->in_fd, &con->saved) < 0)
        return;
    struct termios t = con->saved;
    t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
    t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
    t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    if (tcsetattr(con->in_fd, TCSANOW, &t) == 0)
        con->raw = true;
}

void console_stop(struct console *con)
{
    if (con && con->raw) {
        tcsetattr(con->in_fd, TCSANOW, &con->saved);
        con->raw = false;
    }
}

void console_free(struct console *con)
{
    if (!con)
        return;
    console_stop(con);
    pthread_mutex_destroy(&con->out_lock);
    pthread_cond_destroy(&con->out_space);
    pthread_mutex_destroy(&con->in_lock);
    free(con);
}

/* Append to the output ring.  A hart waits for room (the loop drains);
 * the loop thread itself, or anyone once the VM stops, drops what does
 * not fit rather than wait for itself. */
static void out_append(struct console *con, const uint8_t *p, size_t len, bool may_wait)
{
    bool kick = false;
    pthread_mutex_lock(&con->out_lock);
    while (len && !con->out_broken) {
        if (con->out_count == OUTBUF) {
            if (!may_wait || atomic_load(&con->vm->exiting))
                break;
            pthread_mutex_unlock(&con->out_lock);
            vm_kick(con->vm);
            pthread_mutex_lock(&con->out_lock);
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 100 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&con->out_space, &con->out_lock, &ts);
            continue;
        }
        size_t tail = (con->out_head + con->out_count) % OUTBUF;
        size_t room = OUTBUF - con->out_count;
        size_t n = len < room ? len : room;
        if (n > OUTBUF - tail)
            n = OUTBUF - tail;
        memcpy(con->outbuf + tail, p, n);
        kick |= con->out_count == 0;
        con->out_count += n;
        p += n;
        len -= n;
    }
    pthread_mutex_unlock(&con->out_lock);
    if (kick)
        vm_kick(con->vm);
}

void console_write(struct console *con, const void *buf, size_t len)
{
    if (con->out_fd >= 0)
        out_append(con, buf, len, true);
}

/* One write(2) of what waits (the fd was writable): never blocks long. */
static void out_drain_once(struct console *con)
{
    pthread_mutex_lock(&con->out_lock);
    size_t n = con->out_count;
    if (n > OUTBUF - con->out_head)
        n = OUTBUF - con->out_head;
    if (n > con->out_chunk)
        n = con->out_chunk;
    const uint8_t *p = con->outbuf + con->out_head;
    bool broken = con->out_broken;
    pthread_mutex_unlock(&con->out_lock);
    if (!n || broken)
        return;
    /* The harts only append after out_head + out_count: p stays ours. */
    ssize_t w = write(con->out_fd, p, n);
    pthread_mutex_lock(&con->out_lock);
    if (w > 0) {
        con->out_head = (con->out_head + (size_t)w) % OUTBUF;
        con->out_count -= (size_t)w;
    } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
        con->out_broken = true;   /* reader went away: drop output */
        con->out_count = 0;
    }
    pthread_cond_broadcast(&con->out_space);
    pthread_mutex_unlock(&con->out_lock);
}

/* After the harts stopped: write out what is left, giving up on an fd
 * that takes nothing for patience_ms. */
void console_flush(struct console *con, int patience_ms)
{
    if (!con || con->out_fd < 0)
        return;
    int idle_ms = 0;
    for (;;) {
        pthread_mutex_lock(&con->out_lock);
        bool done = con->out_count == 0 || con->out_broken;
        pthread_mutex_unlock(&con->out_lock);
        if (done || idle_ms >= patience_ms)
            return;
        struct pollfd pfd = { .fd = con->out_fd, .events = POLLOUT };
        if (poll(&pfd, 1, 100) > 0) {
            out_drain_once(con);
            idle_ms = 0;
        } else {
            idle_ms += 100;
        }
    }
}

/* Hart thread: the FIFO is empty; let the loop refill it from the backlog. */
void console_rx_space(struct console *con)
{
    vm_kick(con->vm);
}

static void backlog_put(struct console *con, uint8_t byte)
{
    if (con->count < BACKLOG) {
        con->backlog[(con->head + con->count) % BACKLOG] = byte;
        con->count++;
    }
}

/* Move what we can from the backlog into the UART. */
static void feed_uart(struct console *con)
{
    pthread_mutex_lock(&con->in_lock);
    while (con->count) {
        size_t run = BACKLOG - con->head;
        if (run > con->count)
            run = con->count;
        size_t n = uart16550_rx_push(con->vm->uart, con->backlog + con->head, run);
        con->head = (con->head + n) % BACKLOG;
        con->count -= n;
        if (n < run)
            break;
    }
    pthread_mutex_unlock(&con->in_lock);
}

/* SBI console_getchar / DBCN read: what the UART holds, then the backlog
 * (firmware-less guests may never set the UART up). */
int console_getchar(struct console *con)
{
    pthread_mutex_lock(&con->in_lock);
    int c = uart16550_rx_pop(con->vm->uart);
    if (c < 0 && con->count) {
        c = con->backlog[con->head];
        con->head = (con->head + 1) % BACKLOG;
        con->count--;
    }
    pthread_mutex_unlock(&con->in_lock);
    return c;
}

static void handle_input(struct console *con, const uint8_t *buf, size_t len)
{
    pthread_mutex_lock(&con->in_lock);
    for (size_t i = 0; i < len; i++) {
        uint8_t c = buf[i];
        if (!con->escape) {
            backlog_put(con, c);
            continue;
        }
        if (!con->saw_ctrl_a) {
            if (c == CTRL_A)
                con->saw_ctrl_a = true;
            else
                backlog_put(con, c);
            continue;
        }
        con->saw_ctrl_a = false;
        switch (c) {
        case 'x': case 'X':
            vm_request_exit(con->vm, VM_EXIT_QUIT, 0);
            break;
        case 'h': case 'H': case '?':
            if (con->out_fd >= 0)
                out_append(con, (const uint8_t *)help_text, sizeof help_text - 1, false);
            break;
        case CTRL_A: case 'a':
            backlog_put(con, CTRL_A);
            break;
        default:
            break;   /* unknown command: ignored, like QEMU */
        }
    }
    pthread_mutex_unlock(&con->in_lock);
}

static void con_prepare(void *opaque, struct vm_poll_set *ps, int *timeout_ms)
{
    struct console *con = opaque;
    (void)timeout_ms;
    feed_uart(con);
    con->saw_ctrl_a = con->saw_ctrl_a && con->escape;
    /* Read more only when it can be kept: leave room for a full read. */
    int idx = -1;
    pthread_mutex_lock(&con->in_lock);
    size_t count = con->count;
    pthread_mutex_unlock(&con->in_lock);
    if (!con->in_eof && count <= BACKLOG - 512)
        idx = vm_poll_add(ps, con->in_fd, POLLIN);
    con->poll_idx = idx;
    pthread_mutex_lock(&con->out_lock);
    bool pending = con->out_count && !con->out_broken;
    pthread_mutex_unlock(&con->out_lock);
    con->out_idx = pending ? vm_poll_add(ps, con->out_fd, POLLOUT) : -1;
}

static void con_dispatch(void *opaque, struct vm_poll_set *ps)
{
    struct console *con = opaque;
    if (vm_poll_revents(ps, con->out_idx))
        out_drain_once(con);
    short rev = vm_poll_revents(ps, con->poll_idx);
    if (!(rev & (POLLIN | POLLHUP | POLLERR | POLLNVAL)))
        return;
    uint8_t buf[512];
    ssize_t n = read(con->in_fd, buf, sizeof buf);
    if (n > 0)
        handle_input(con, buf, (size_t)n);
    else if (n == 0 || (errno != EINTR && errno != EAGAIN))
        con->in_eof = true;   /* end of input: the guest keeps running */
    feed_uart(con);
}

int console_attach(struct console *con)
{
    struct vm_loop_client c = { .opaque = con, .prepare = con_prepare, .dispatch = con_dispatch };
    return vm_add_loop_client(con->vm, &c);
}
