/*
 * uart16550.c — ns16550a UART.
 *
 * Transmission is instantaneous (THR is always empty), so the "THR empty"
 * interrupt is pending whenever the guest enables it or has just written a
 * byte, until it reads IIR; Linux's 8250 driver relies on exactly that when
 * it probes the transmitter interrupt at startup.  Received bytes wait in a
 * 16-byte FIFO; the host refills it when the guest drains it.
 *
 * Nothing the host sends is lost: input enters the FIFO only while the
 * guest listens — the receive interrupt is enabled (Linux, once its port
 * is open), or the guest polls an empty receiver (64 LSR reads in a row
 * with no transmission in between: U-Boot, OpenSBI, bare-metal loops).
 * Drivers reset the FIFO and read RBR "for luck" while they set the port
 * up; bytes a FIFO reset would discard are kept and delivered again.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "dev/uart16550.h"

enum {
    REG_RBR_THR = 0, REG_IER = 1, REG_IIR_FCR = 2, REG_LCR = 3,
    REG_MCR = 4, REG_LSR = 5, REG_MSR = 6, REG_SCR = 7,
};

#define IER_RDI   0x01   /* received data available */
#define IER_THRI  0x02   /* transmitter holding register empty */
#define IER_RLSI  0x04   /* receiver line status */
#define IER_MSI   0x08   /* modem status */

#define IIR_NO_INT 0x01
#define IIR_MSI    0x00
#define IIR_THRI   0x02
#define IIR_RDI    0x04
#define IIR_RLSI   0x06
#define IIR_CTI    0x0c   /* character timeout: data below the trigger level */
#define IIR_FIFO   0xc0

#define FCR_ENABLE   0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04

#define LCR_DLAB 0x80
#define MCR_LOOP 0x10

#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

struct uart16550 {
    pthread_mutex_t lock;
    struct uart16550_backend be;
    uint8_t ier, lcr, mcr, scr, dll, dlm, fcr;
    uint8_t lsr_err;           /* sticky error bits, cleared by reading LSR */
    bool thr_ipending;
    bool irq_level;
    bool polling;              /* the guest polls the receiver: deliver */
    unsigned lsr_polls;        /* LSR reads on an empty receiver in a row */
    uint8_t held[2 * UART16550_FIFO_SIZE];   /* saved from FIFO resets */
    unsigned held_count;
    uint8_t rx[UART16550_FIFO_SIZE];
    unsigned rx_head, rx_count;
};

static unsigned rx_trigger(const struct uart16550 *u)
{
    static const unsigned levels[4] = { 1, 4, 8, 14 };
    return (u->fcr & FCR_ENABLE) ? levels[u->fcr >> 6] : 1;
}

static uint8_t iir_value(const struct uart16550 *u)
{
    uint8_t id = IIR_NO_INT;
    if ((u->ier & IER_RLSI) && u->lsr_err)
        id = IIR_RLSI;
    else if ((u->ier & IER_RDI) && u->rx_count)
        id = u->rx_count >= rx_trigger(u) ? IIR_RDI : IIR_CTI;
    else if ((u->ier & IER_THRI) && u->thr_ipending)
        id = IIR_THRI;
    return id | ((u->fcr & FCR_ENABLE) ? IIR_FIFO : 0);
}

/* Called with the lock held after every state change. */
static void update_irq(struct uart16550 *u)
{
    bool level = !(iir_value(u) & IIR_NO_INT);
    if (level != u->irq_level) {
        u->irq_level = level;
        if (u->be.irq)
            u->be.irq(u->be.opaque, level);
    }
}

#define POLLS_TO_LISTEN 64

static bool listening(const struct uart16550 *u)
{
    return (u->ier & IER_RDI) || u->polling;
}

static bool rx_put(struct uart16550 *u, uint8_t byte);

/* Bytes saved from a FIFO reset go first once the guest listens. */
static void refill_from_held(struct uart16550 *u)
{
    unsigned n = 0;
    while (n < u->held_count && listening(u) && rx_put(u, u->held[n]))
        n++;
    memmove(u->held, u->held + n, u->held_count - n);
    u->held_count -= n;
}

/* The guest just started listening: tell the host to send. */
static void start_listening(struct uart16550 *u)
{
    refill_from_held(u);
    if (u->be.rx_space)
        u->be.rx_space(u->be.opaque);
}

static bool rx_put(struct uart16550 *u, uint8_t byte)
{
    unsigned cap = (u->fcr & FCR_ENABLE) ? UART16550_FIFO_SIZE : 1;
    if (u->rx_count >= cap)
        return false;
    u->rx[(u->rx_head + u->rx_count) % UART16550_FIFO_SIZE] = byte;
    u->rx_count++;
    return true;
}

/* Returns -1 if empty; tells the host when the FIFO runs dry. */
static int rx_get(struct uart16550 *u)
{
    if (!u->rx_count)
        return -1;
    uint8_t byte = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART16550_FIFO_SIZE;
    u->rx_count--;
    refill_from_held(u);
    if (u->rx_count == 0 && u->be.rx_space)
        u->be.rx_space(u->be.opaque);
    return byte;
}

static uint8_t msr_value(const struct uart16550 *u)
{
    if (u->mcr & MCR_LOOP) {
        /* Loopback: DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD. */
        uint8_t m = u->mcr;
        return (uint8_t)(((m & 0x02) << 3) | ((m & 0x01) << 5) |
                         ((m & 0x04) << 4) | ((m & 0x08) << 4));
    }
    return 0xb0;   /* DCD, DSR, CTS: a terminal is connected */
}

static bool uart_read(void *dev, uint64_t offset, unsigned size, uint64_t *val)
{
    struct uart16550 *u = dev;
    (void)size;
    if (offset > REG_SCR)
        return false;
    pthread_mutex_lock(&u->lock);
    uint8_t v = 0;
    switch (offset) {
    case REG_RBR_THR:
        if (u->lcr & LCR_DLAB) {
            v = u->dll;
        } else {
            int c = rx_get(u);
            v = c < 0 ? 0 : (uint8_t)c;
        }
        break;
    case REG_IER:
        v = (u->lcr & LCR_DLAB) ? u->dlm : u->ier;
        break;
    case REG_IIR_FCR:
        v = iir_value(u);
        if ((v & 0x0f) == IIR_THRI)
            u->thr_ipending = false;   /* reading IIR acknowledges THRE */
        break;
    case REG_LCR: v = u->lcr; break;
    case REG_MCR: v = u->mcr; break;
    case REG_LSR:
        v = LSR_THRE | LSR_TEMT | u->lsr_err | (u->rx_count ? LSR_DR : 0);
        u->lsr_err = 0;
        if (!u->rx_count && !u->polling && ++u->lsr_polls >= POLLS_TO_LISTEN) {
            u->polling = true;
            start_listening(u);
        }
        break;
    case REG_MSR: v = msr_value(u); break;
    case REG_SCR: v = u->scr; break;
    }
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
    *val = v;
    return true;
}

static bool uart_write(void *dev, uint64_t offset, unsigned size, uint64_t val)
{
    struct uart16550 *u = dev;
    uint8_t v = (uint8_t)val;
    int tx = -1;
    (void)size;
    if (offset > REG_SCR)
        return false;
    pthread_mutex_lock(&u->lock);
    switch (offset) {
    case REG_RBR_THR:
        if (u->lcr & LCR_DLAB) {
            u->dll = v;
            break;
        }
        if (u->mcr & MCR_LOOP) {
            if (!rx_put(u, v))
                u->lsr_err |= LSR_OE;
        } else {
            tx = v;
        }
        u->thr_ipending = true;   /* sent at once: THR is empty again */
        u->lsr_polls = 0;         /* waiting to transmit is not listening */
        break;
    case REG_IER:
        if (u->lcr & LCR_DLAB) {
            u->dlm = v;
        } else {
            uint8_t old = u->ier;
            u->ier = v & 0x0f;
            if ((u->ier & IER_THRI) && !(old & IER_THRI))
                u->thr_ipending = true;
            if ((u->ier & IER_RDI) && !(old & IER_RDI))
                start_listening(u);
        }
        break;
    case REG_IIR_FCR:
        if ((v ^ u->fcr) & FCR_ENABLE)
            v |= FCR_CLEAR_RX | FCR_CLEAR_TX;
        if (v & FCR_CLEAR_RX) {
            /* A driver resetting its FIFO is (re)starting: keep the bytes
             * for when it listens again. */
            uint8_t keep[sizeof u->held];
            unsigned n = 0;
            for (; n < u->rx_count && u->held_count + n < sizeof u->held; n++)
                keep[n] = u->rx[(u->rx_head + n) % UART16550_FIFO_SIZE];
            memcpy(u->held + u->held_count, keep, n);
            u->held_count += n;
            u->rx_head = u->rx_count = 0;
            u->polling = false;
            u->lsr_polls = 0;
        }
        u->fcr = v & 0xc1;
        break;
    case REG_LCR: u->lcr = v; break;
    case REG_MCR: u->mcr = v & 0x1f; break;
    case REG_LSR: case REG_MSR: break;   /* read-only */
    case REG_SCR: u->scr = v; break;
    }
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
    /* Outside the lock: the host may make us wait for room, and must be
     * able to feed input meanwhile. */
    if (tx >= 0 && u->be.tx)
        u->be.tx(u->be.opaque, (uint8_t)tx);
    return true;
}

static void uart_reset(void *dev)
{
    struct uart16550 *u = dev;
    pthread_mutex_lock(&u->lock);
    u->ier = u->lcr = u->mcr = u->scr = u->fcr = u->lsr_err = 0;
    u->dll = 0x0c;   /* 9600 baud at 1.8432 MHz, as after power-on */
    u->dlm = 0;
    u->thr_ipending = false;
    u->polling = false;
    u->lsr_polls = 0;
    u->held_count = 0;
    u->rx_head = u->rx_count = 0;
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
}

static void uart_destroy(void *dev)
{
    struct uart16550 *u = dev;
    pthread_mutex_destroy(&u->lock);
    free(u);
}

const struct dev_ops uart16550_ops = {
    .name = "ns16550a",
    .read = uart_read,
    .write = uart_write,
    .reset = uart_reset,
    .destroy = uart_destroy,
};

struct uart16550 *uart16550_new(const struct uart16550_backend *backend)
{
    struct uart16550 *u = calloc(1, sizeof *u);
    if (!u)
        return NULL;
    pthread_mutex_init(&u->lock, NULL);
    u->be = *backend;
    u->dll = 0x0c;
    return u;
}

size_t uart16550_rx_push(struct uart16550 *u, const uint8_t *buf, size_t len)
{
    size_t n = 0;
    pthread_mutex_lock(&u->lock);
    refill_from_held(u);
    while (listening(u) && n < len && rx_put(u, buf[n]))
        n++;
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
    return n;
}

int uart16550_rx_pop(struct uart16550 *u)
{
    pthread_mutex_lock(&u->lock);
    int c = rx_get(u);
    if (c < 0 && u->held_count) {   /* the host may take saved bytes too */
        c = u->held[0];
        memmove(u->held, u->held + 1, --u->held_count);
    }
    update_irq(u);
    pthread_mutex_unlock(&u->lock);
    return c;
}
