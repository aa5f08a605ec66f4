/*
 * access_fault.c — M-mode, run with --bios on a 16 MiB VM: physical
 * addresses with nothing behind them, and device registers used the
 * wrong way, raise access faults (cause 1/5/7, mtval = the address);
 * nothing reaches host memory.  Reports through the UART and finishes
 * through sifive_test (PASS, or FAIL with the number of the failed check).
 */
#include "lib.h"

extern volatile uint64_t trap_cause, trap_tval;
uint64_t probe_ld(uint64_t a);
uint64_t probe_lw(uint64_t a);
uint64_t probe_lb(uint64_t a);
void probe_sd(uint64_t a, uint64_t v);
void probe_sw(uint64_t a, uint64_t v);
void probe_sb(uint64_t a, uint64_t v);
void probe_exec(uint64_t a);

#define NO_TRAP 0xffffULL
#define LOAD_FAULT 5
#define STORE_FAULT 7
#define FETCH_FAULT 1

static int check_no;

static void expect(uint64_t cause, uint64_t tval)
{
    check_no++;
    if (trap_cause != cause || (cause != NO_TRAP && trap_tval != tval)) {
        uart_puts("access_fault: check ");
        uart_hex((uint64_t)check_no);
        uart_puts(" cause ");
        uart_hex(trap_cause);
        uart_puts(" tval ");
        uart_hex(trap_tval);
        uart_puts("\n");
        finish(check_no);
    }
    trap_cause = NO_TRAP;
    trap_tval = 0;
}

int main(unsigned long hartid)
{
    if (hartid != 0)
        return 0;
    trap_cause = NO_TRAP;
    const uint64_t ram_end = 0x80000000ULL + (16ULL << 20);

    /* Plain RAM works. */
    probe_sd(ram_end - 8, 0x1122334455667788ULL);
    uint64_t v = probe_ld(ram_end - 8);
    expect(NO_TRAP, 0);
    if (v != 0x1122334455667788ULL)
        finish(100);

    /* Nothing there: below the ROM, in the gaps, past the end of RAM, far out. */
    probe_ld(0x0);                       expect(LOAD_FAULT, 0x0);
    probe_sd(0x0, 1);                    expect(STORE_FAULT, 0x0);
    probe_lw(0x40000000ULL);             expect(LOAD_FAULT, 0x40000000ULL);
    probe_ld(ram_end);                   expect(LOAD_FAULT, ram_end);
    probe_sb(ram_end + 0x1000, 1);       expect(STORE_FAULT, ram_end + 0x1000);
    probe_ld(0x100000000ULL);            expect(LOAD_FAULT, 0x100000000ULL);
    probe_ld(0x00fffffffffff000ULL);     expect(LOAD_FAULT, 0x00fffffffffff000ULL);
    probe_exec(0x0);                     expect(FETCH_FAULT, 0x0);
    probe_exec(ram_end);                 expect(FETCH_FAULT, ram_end);

    /* Devices used the wrong way: byte access to the PLIC (32-bit only),
     * past the UART's registers, a hole in the CLINT, a store to ROM. */
    probe_lb(0x0c000004ULL);             expect(LOAD_FAULT, 0x0c000004ULL);
    probe_lb(0x10000008ULL);             expect(LOAD_FAULT, 0x10000008ULL);
    probe_lw(0x02008000ULL);             expect(LOAD_FAULT, 0x02008000ULL);
    probe_sw(0x00001000ULL, 0);          expect(STORE_FAULT, 0x00001000ULL);
    /* ... and the right way: no fault. */
    probe_lw(0x0c000004ULL);             expect(NO_TRAP, 0);
    probe_lb(0x10000005ULL);             expect(NO_TRAP, 0);
    v = probe_lw(0x10001000ULL);         expect(NO_TRAP, 0);   /* empty virtio slot */
    if (v != 0x74726976)
        finish(101);
    v = probe_lw(0x10001008ULL);         expect(NO_TRAP, 0);   /* DeviceID 0 */
    if (v != 0)
        finish(102);

    /* RAM still intact after all that. */
    if (probe_ld(ram_end - 8) != 0x1122334455667788ULL)
        finish(103);
    uart_puts("access_fault: all checks passed\n");
    finish(0);
}
