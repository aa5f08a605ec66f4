/*
 * uart_irq.c — M mode, --bios: console input reaches the guest through
 * the UART's RX FIFO and interrupt, the PLIC (source 10, hart 0's M
 * context) and MEIP.  Reads one line with interrupts (WFI between them),
 * prints its length and byte sum, and powers off.
 */
#include "lib.h"

#define PLIC 0x0c000000UL
#define PLIC_PRIORITY(s)  ((volatile uint32_t *)(PLIC + 4 * (s)))
#define PLIC_ENABLE(c)    ((volatile uint32_t *)(PLIC + 0x2000 + 0x80 * (c)))
#define PLIC_THRESHOLD(c) ((volatile uint32_t *)(PLIC + 0x200000 + 0x1000 * (c)))
#define PLIC_CLAIM(c)     ((volatile uint32_t *)(PLIC + 0x200004 + 0x1000 * (c)))
#define MIP_MEIP (1UL << 11)

static void put_dec(unsigned long v)
{
    char b[24];
    int i = 0;
    do { b[i++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (i)
        uart_putc(b[--i]);
}

int main(unsigned long hartid)
{
    if (hartid != 0)
        return 0;
    UART0[2] = 0x07;                 /* FIFO on, cleared */
    UART0[1] = 0x01;                 /* RX data interrupt */
    *PLIC_PRIORITY(10) = 1;
    *PLIC_ENABLE(0) = 1u << 10;      /* context 0 = hart 0, M mode */
    *PLIC_THRESHOLD(0) = 0;
    __asm__ volatile("csrs mie, %0" :: "r"(MIP_MEIP));
    uart_puts("uart_irq: ready\n");

    unsigned long len = 0, sum = 0, irqs = 0;
    for (;;) {
        while (!(CSR_READ(mip) & MIP_MEIP))
            __asm__ volatile("wfi");
        uint32_t src = *PLIC_CLAIM(0);
        if (src != 10) {
            uart_puts("uart_irq: unexpected source\n");
            finish(1);
        }
        irqs++;
        while (UART0[5] & 0x01) {
            uint8_t c = UART0[0];
            if (c == '\n') {
                *PLIC_CLAIM(0) = src;
                uart_puts("uart_irq: got ");
                put_dec(len);
                uart_puts(" bytes sum ");
                put_dec(sum);
                uart_puts(" in ");
                put_dec(irqs);
                uart_puts(" interrupts\n");
                finish(0);
            }
            len++;
            sum += c;
        }
        *PLIC_CLAIM(0) = src;        /* complete */
        if (CSR_READ(mip) & MIP_MEIP && !(UART0[5] & 1)) {
            /* the line must drop once the FIFO is empty and we completed */
            uart_puts("uart_irq: MEIP stuck\n");
            finish(2);
        }
    }
}
