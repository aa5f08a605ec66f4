/* Unit test: ns16550a UART registers, FIFO and interrupt behaviour. */
#include <string.h>
#include "dev/uart16550.h"
#include "machine/check.h"

struct sink {
    char out[64];
    unsigned nout;
    bool irq;
    unsigned irq_changes;
    unsigned rx_space;
};

static void tx(void *o, uint8_t b) { struct sink *s = o; if (s->nout < 63) s->out[s->nout++] = (char)b; }
static void irq(void *o, bool l) { struct sink *s = o; s->irq = l; s->irq_changes++; }
static void rx_space(void *o) { struct sink *s = o; s->rx_space++; }

static uint64_t rd(struct uart16550 *u, unsigned off)
{
    uint64_t v = 0xdead;
    CHECK(uart16550_ops.read(u, off, 1, &v));
    return v;
}

static void wr(struct uart16550 *u, unsigned off, uint8_t v)
{
    CHECK(uart16550_ops.write(u, off, 1, v));
}

int main(void)
{
    struct sink s = { 0 };
    struct uart16550_backend be = { &s, tx, irq, rx_space };
    struct uart16550 *u = uart16550_new(&be);
    CHECK(u != NULL);

    /* After reset: nothing pending, transmitter empty, modem lines up. */
    CHECK_EQ(rd(u, 2), 0x01);          /* IIR: no interrupt, FIFOs off */
    CHECK_EQ(rd(u, 5), 0x60);          /* LSR: THRE | TEMT */
    CHECK_EQ(rd(u, 6), 0xb0);          /* MSR: DCD | DSR | CTS */
    CHECK(!s.irq);

    /* Input waits on the host until the guest listens. */
    CHECK_EQ(uart16550_rx_push(u, (const uint8_t *)"x", 1), 0);
    CHECK_EQ(s.rx_space, 0);

    /* Transmit. */
    wr(u, 0, 'h');
    wr(u, 0, 'i');
    CHECK_EQ(s.nout, 2);
    CHECK(memcmp(s.out, "hi", 2) == 0);

    /* Divisor latch: DLAB hides RBR/THR and IER. */
    wr(u, 3, 0x83);
    wr(u, 0, 0x01);
    wr(u, 1, 0x00);
    CHECK_EQ(rd(u, 0), 0x01);
    CHECK_EQ(rd(u, 1), 0x00);
    wr(u, 3, 0x03);
    CHECK_EQ(rd(u, 3), 0x03);
    CHECK_EQ(s.nout, 2);               /* the DLL write sent nothing */

    /* Scratch register. */
    wr(u, 7, 0x5a);
    CHECK_EQ(rd(u, 7), 0x5a);

    /* FIFO on: IIR reports it in bits 7:6. */
    wr(u, 2, 0x07);
    CHECK_EQ(rd(u, 2), 0xc1);

    /* THRE interrupt, as Linux's 8250 startup probes it: enabling THRI
     * with an empty THR makes it pending at once; reading IIR acks it. */
    wr(u, 1, 0x02);
    CHECK(s.irq);
    CHECK_EQ(rd(u, 2), 0xc2);
    CHECK(!s.irq);
    CHECK_EQ(rd(u, 2), 0xc1);
    /* Writing THR makes it pending again (the byte left at once). */
    wr(u, 0, '!');
    CHECK(s.irq);
    CHECK_EQ(rd(u, 2), 0xc2);
    wr(u, 1, 0x00);
    CHECK(!s.irq);

    /* Receive: enabling the RX interrupt means "listening" (the host is
     * told to send); below the trigger level (1 byte with FCR=0x07) => RDI. */
    unsigned listen_before = s.rx_space;
    wr(u, 1, 0x01);
    CHECK_EQ(s.rx_space, listen_before + 1);
    CHECK(!s.irq);
    const uint8_t in[20] = "0123456789abcdefghij";
    unsigned space_before = s.rx_space;
    CHECK_EQ(uart16550_rx_push(u, in, 20), 16);    /* the FIFO holds 16 */
    CHECK(s.irq);
    CHECK_EQ(rd(u, 2), 0xc4);
    CHECK_EQ(rd(u, 5) & 0x01, 0x01);
    for (int i = 0; i < 16; i++)
        CHECK_EQ(rd(u, 0), in[i]);
    CHECK_EQ(rd(u, 5), 0x60);          /* empty again */
    CHECK(!s.irq);
    CHECK_EQ(s.rx_space, space_before + 1);           /* the host is told it can refill */
    CHECK_EQ(rd(u, 0), 0);             /* reading an empty RBR gives 0 */

    /* Trigger level 8 (FCR bits 7:6 = 10): fewer bytes => timeout id. */
    wr(u, 2, 0x81);
    CHECK_EQ(uart16550_rx_push(u, in, 3), 3);
    CHECK_EQ(rd(u, 2), 0xcc);
    CHECK_EQ(uart16550_rx_pop(u), '0');
    CHECK_EQ(uart16550_rx_pop(u), '1');
    CHECK_EQ(uart16550_rx_pop(u), '2');
    CHECK_EQ(uart16550_rx_pop(u), -1);
    /* FCR clear-RX empties the FIFO, but the bytes come back (in order)
     * once the guest listens again, ahead of newer input. */
    CHECK_EQ(uart16550_rx_push(u, in, 4), 4);
    wr(u, 1, 0x00);                    /* a driver restarting: RX irq off */
    wr(u, 2, 0x83);
    CHECK_EQ(rd(u, 5) & 1, 0);
    CHECK_EQ(rd(u, 0), 0);             /* reading RBR "for luck" takes nothing */
    CHECK_EQ(uart16550_rx_push(u, in + 4, 2), 0);   /* not listening */
    wr(u, 1, 0x01);                    /* listening: the saved bytes first */
    CHECK_EQ(uart16550_rx_push(u, in + 4, 2), 2);
    for (int i = 0; i < 6; i++)
        CHECK_EQ(rd(u, 0), in[i]);
    CHECK_EQ(rd(u, 5) & 1, 0);

    /* Polling an empty receiver (64 LSR reads, no transmission) is
     * listening too: U-Boot and OpenSBI never enable the RX interrupt. */
    wr(u, 1, 0x00);
    wr(u, 2, 0x07);
    CHECK_EQ(uart16550_rx_push(u, in, 1), 0);
    for (int i = 0; i < 63; i++) {
        rd(u, 5);
        if (i % 10 == 9)
            wr(u, 0, '.');             /* a console writing: not listening */
    }
    CHECK_EQ(uart16550_rx_push(u, in, 1), 0);
    for (int i = 0; i < 64; i++)
        rd(u, 5);
    CHECK_EQ(uart16550_rx_push(u, in, 1), 1);
    CHECK_EQ(rd(u, 5) & 1, 1);
    CHECK_EQ(rd(u, 0), in[0]);
    /* The host can take held bytes even while the guest does not listen. */
    CHECK_EQ(uart16550_rx_push(u, in, 2), 2);
    wr(u, 2, 0x07);
    CHECK_EQ(uart16550_rx_pop(u), in[0]);
    CHECK_EQ(uart16550_rx_pop(u), in[1]);
    CHECK_EQ(uart16550_rx_pop(u), -1);
    wr(u, 1, 0x01);

    /* Loopback: transmitted bytes come back, MSR mirrors MCR. */
    wr(u, 4, 0x10 | 0x03);
    CHECK_EQ(rd(u, 6) & 0x30, 0x30);
    unsigned before = s.nout;
    wr(u, 0, 'L');
    CHECK_EQ(s.nout, before);
    CHECK_EQ(rd(u, 0), 'L');
    wr(u, 4, 0x00);

    /* Overrun in loopback sets LSR.OE, cleared by reading LSR. */
    wr(u, 4, 0x10);
    for (int i = 0; i < 17; i++)
        wr(u, 0, 'x');
    CHECK_EQ(rd(u, 5) & 0x02, 0x02);
    CHECK_EQ(rd(u, 5) & 0x02, 0x00);
    wr(u, 4, 0x00);

    /* Offsets beyond the 8 registers are faults, not crashes. */
    uint64_t v;
    CHECK(!uart16550_ops.read(u, 8, 1, &v));
    CHECK(!uart16550_ops.write(u, 0xff, 1, 0));

    uart16550_ops.destroy(u);
    CHECK_DONE();
}
