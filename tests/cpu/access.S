/* Physical addresses that are neither RAM nor a device: access faults with
 * the faulting address in mtval, for loads, stores, atomics and fetches, in
 * bare mode and through a page table; RAM ends exactly at its size. */
#include "test.h"
#define RAM_END 0x81000000          /* the harness gives 16 MiB */
TEST_START
    li t0, 0
    EXPECT_TRAP_TVAL(1, 5, 0, ld a0, 0(t0))
    li t0, 0x40000000
    EXPECT_TRAP_TVAL(2, 7, 0x40000000, sd a0, 0(t0))
    EXPECT_TRAP_TVAL(3, 5, 0x40000000, lb a0, 0(t0))
    li t0, 0x3000
    EXPECT_TRAP_TVAL(4, 1, 0x3000, jalr t0)
    li t0, RAM_END
    EXPECT_TRAP_TVAL(5, 5, RAM_END, lw a0, 0(t0))
    EXPECT_TRAP_TVAL(6, 7, RAM_END, sw a0, 0(t0))
    EXPECT_TRAP_TVAL(7, 7, RAM_END, amoswap.w a0, a0, (t0))
    EXPECT_TRAP_TVAL(8, 1, RAM_END, jalr t0)
    li t0, RAM_END - 8
    li a1, 0x5a5a
    EXPECT_NO_TRAP(9, sd a1, 0(t0))
    ld a0, 0(t0)
    CHECK_IMM(10, a0, 0x5a5a)
    /* addresses beyond 56 bits, and ones that wrap around */
    li t0, 0xffffffff80000000
    EXPECT_TRAP_TVAL(11, 5, 0xffffffff80000000, ld a0, 0(t0))
    li t0, 0x0100000080000000
    EXPECT_TRAP_TVAL(12, 7, 0x0100000080000000, sd a0, 0(t0))
    /* through Sv39: a leaf pointing outside RAM */
    ZERO_PAGES(0x80020000, 1)
    SET_PTE(0x80020000 + 8 * 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    SET_PTE(0x80020000 + 8 * 1, 0x00000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    li t0, SATP_SV39(0x80020000)
    csrw satp, t0
    ENTER_MODE(1, in_s)
in_s:
    li t0, 0x40001000                   /* -> PA 0x1000: nothing there */
    EXPECT_TRAP_TVAL(13, 5, 0x40001000, ld a0, 0(t0))
    EXPECT_TRAP_TVAL(14, 7, 0x40001000, sd a0, 0(t0))
    EXPECT_TRAP_TVAL(15, 1, 0x40001000, jalr t0)
    TO_M
    csrw satp, zero
    TEST_PASS
