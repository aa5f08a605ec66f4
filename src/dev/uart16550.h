/*
 * uart16550.h — ns16550a UART as on QEMU's virt board (byte registers,
 * reg-shift 0, 16-byte FIFOs), enough for Linux's 8250 driver, OpenSBI's
 * uart8250 and U-Boot's ns16550.
 *
 * The host side is a small backend: bytes the guest transmits go to tx(),
 * the interrupt line to irq(); the host feeds received bytes with
 * uart_rx_push().  All functions are thread-safe.
 */
#ifndef VESSEL_DEV_UART16550_H
#define VESSEL_DEV_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dev/device.h"

#define UART16550_MMIO_SIZE 0x100
#define UART16550_FIFO_SIZE 16

struct uart16550;

struct uart16550_backend {
    void *opaque;
    void (*tx)(void *opaque, uint8_t byte);   /* guest -> host (called unlocked) */
    void (*irq)(void *opaque, bool level);           /* interrupt line */
    /* The RX FIFO just became empty (or the guest started listening):
     * the host may push more.  May be NULL. */
    void (*rx_space)(void *opaque);
};

extern const struct dev_ops uart16550_ops;

struct uart16550 *uart16550_new(const struct uart16550_backend *backend);

/* Host -> guest: queue up to len bytes in the RX FIFO; returns how many
 * were taken (0 when the FIFO is full or the guest is not listening: keep
 * the rest and retry on rx_space). */
size_t uart16550_rx_push(struct uart16550 *uart, const uint8_t *buf, size_t len);

/* Take one received byte for the host's own use (SBI console_getchar),
 * listening or not: returns -1 if none is waiting. */
int uart16550_rx_pop(struct uart16550 *uart);

#endif
