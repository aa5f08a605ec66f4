/* Sv48: four-level walk, a 512 GiB page, the upper half of the address
 * space, the 48-bit sign-extension rule; switching satp flushes. */
#include "test.h"
#define ROOT 0x80020000
#define L2   0x80021000
#define L2B  0x80024000
#define L1   0x80022000
#define L0   0x80023000
#define PGA  0x80030000      /* holds 0x1111 */
#define PGB  0x80031000      /* holds 0x2222 */
TEST_START
    ZERO_PAGES(ROOT, 5)
    SET_PTE(ROOT + 8 * 0, L2, PTE_V)
    SET_PTE(L2 + 8 * 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    SET_PTE(ROOT + 8 * 1, 0, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)        /* 512 GiB */
    SET_PTE(ROOT + 8 * 256, L2B, PTE_V)
    SET_PTE(L2B, L1, PTE_V)
    SET_PTE(L1, L0, PTE_V)
    SET_PTE(L0, PGA, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    SET_PTE(ROOT + 8 * 2, 0x80000000, PTE_V | PTE_R | PTE_A)               /* misaligned */
    li t0, PGA
    li t1, 0x1111
    sd t1, 0(t0)
    li t0, PGB
    li t1, 0x2222
    sd t1, 0(t0)
    li t0, SATP_SV48(ROOT)
    csrw satp, t0
    sfence.vma
    ENTER_MODE(1, in_s)
in_s:
    li t0, 0xffff800000000000
    ld a0, 0(t0)
    CHECK_IMM(1, a0, 0x1111)
    li t0, 0x8000000000 + PGB           /* through the 512 GiB page */
    ld a0, 0(t0)
    CHECK_IMM(2, a0, 0x2222)
    li t0, 0x0000800000000000           /* not sign-extended from bit 47 */
    EXPECT_TRAP_TVAL(3, 13, 0x0000800000000000, ld a0, 0(t0))
    li t0, 0xffff7ffffffff000
    EXPECT_TRAP_TVAL(4, 15, 0xffff7ffffffff000, sd a0, 0(t0))
    li t0, 0x0000000040000000           /* canonical, unmapped (L2[1] = 0) */
    EXPECT_TRAP_TVAL(5, 13, 0x40000000, ld a0, 0(t0))
    li t0, 0x10000000000                /* misaligned 512 GiB page */
    EXPECT_TRAP_TVAL(6, 13, 0x10000000000, ld a0, 0(t0))
    li t0, 0xffff800000001000           /* L0[1] = 0 */
    EXPECT_TRAP_TVAL(7, 12, 0xffff800000001000, jalr t0)
    TO_M
    /* switch to Sv39 with the same root: entries become 1 GiB pages, the
     * Sv48 addresses are not sign-extended from bit 38 */
    SET_PTE(ROOT + 8 * 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    li t0, SATP_SV39(ROOT)
    csrw satp, t0
    ENTER_MODE(1, in_s39)
in_s39:
    li t0, 0xffff800000000000
    EXPECT_TRAP_TVAL(8, 13, 0xffff800000000000, ld a0, 0(t0))
    li t0, 0x40000000                   /* ROOT[1]: 1 GiB leaf at PA 0: no RAM */
    EXPECT_TRAP_TVAL(9, 5, 0x40000000, ld a0, 0(t0))
    li t0, PGB                          /* ROOT[2]: identity 1 GiB page */
    li a0, 0
    ld a0, 0(t0)
    CHECK_IMM(10, a0, 0x2222)
    TO_M
    csrw satp, zero
    TEST_PASS
