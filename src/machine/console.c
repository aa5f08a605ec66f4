/*
 * console.c — the VM's console on host file descriptors (stdio by
 * default), as QEMU's -nographic: the terminal goes raw while the VM runs
 * (Ctrl-C reaches the guest), Ctrl-A starts a host command (x: quit,
 * h: help, Ctrl-A/a: send a Ctrl-A).  Input waits in a backlog until the
 * UART's FIFO has room, so nothing typed or piped in is lost; end of input
 * only stops reading.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "dev/uart16550.h"
#include "machine/vm_impl.h"

#define BACKLOG 4096
#define CTRL_A  0x01

struct console {
    struct vm *vm;
    int in_fd, out_fd;
    bool escape;            /* Ctrl-A commands enabled */
    bool saw_ctrl_a;
    bool in_eof, out_broken;
    bool raw;               /* we changed the terminal: restore it */
    struct termios saved;
    pthread_mutex_t out_lock;
    pthread_mutex_t in_lock;   /* backlog: loop thread and SBI getchar */
    uint8_t backlog[BACKLOG];
    size_t head, count;
    int poll_idx;
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
    pthread_mutex_init(&con->in_lock, NULL);
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
    pthread_mutex_destroy(&con->in_lock);
    free(con);
}

void console_write(struct console *con, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    pthread_mutex_lock(&con->out_lock);
    while (len && con->out_fd >= 0 && !con->out_broken) {
        ssize_t n = write(con->out_fd, p, len);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else if (n < 0 && errno == EAGAIN) {
            struct pollfd pfd = { .fd = con->out_fd, .events = POLLOUT };
            poll(&pfd, 1, 100);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            con->out_broken = true;   /* reader went away: drop output */
        }
    }
    pthread_mutex_unlock(&con->out_lock);
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
            console_write(con, help_text, sizeof help_text - 1);
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
}

static void con_dispatch(void *opaque, struct vm_poll_set *ps)
{
    struct console *con = opaque;
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
