/* lib.h — the little a bare-metal test program needs: the UART, the
 * sifive_test finisher, and the SBI. */
#ifndef TEST_LIB_H
#define TEST_LIB_H

#include <stdint.h>

#define UART0    ((volatile uint8_t *)0x10000000UL)
#define FINISHER ((volatile uint32_t *)0x100000UL)

static inline void uart_putc(char c)
{
    while (!(UART0[5] & 0x20))
        ;
    UART0[0] = (uint8_t)c;
}

static inline void uart_puts(const char *s)
{
    while (*s)
        uart_putc(*s++);
}

static inline void uart_hex(uint64_t v)
{
    uart_puts("0x");
    for (int i = 60; i >= 0; i -= 4)
        uart_putc("0123456789abcdef"[(v >> i) & 15]);
}

static inline __attribute__((noreturn)) void finish(int fail_code)
{
    *FINISHER = fail_code ? (0x3333u | (uint32_t)fail_code << 16) : 0x5555u;
    for (;;)
        __asm__ volatile("wfi");
}

struct sbiret { long error; long value; };

static inline struct sbiret sbi(long eid, long fid, long a0, long a1, long a2,
                                long a3, long a4)
{
    register long r0 __asm__("a0") = a0, r1 __asm__("a1") = a1;
    register long r2 __asm__("a2") = a2, r3 __asm__("a3") = a3;
    register long r4 __asm__("a4") = a4;
    register long r6 __asm__("a6") = fid, r7 __asm__("a7") = eid;
    __asm__ volatile("ecall" : "+r"(r0), "+r"(r1) : "r"(r2), "r"(r3), "r"(r4),
                     "r"(r6), "r"(r7) : "memory");
    return (struct sbiret){ r0, r1 };
}

#define CSR_READ(name) ({ uint64_t v_; __asm__ volatile("csrr %0, " #name : "=r"(v_)); v_; })

#endif
