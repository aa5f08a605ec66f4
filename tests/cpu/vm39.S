/* Sv39: page faults with the right cause and tval for fetch/load/store,
 * A/D updates, U/SUM/MXR/MPRV, superpages, reserved encodings, access
 * faults during the walk, sfence.vma. */
#include "test.h"
#define ROOT 0x80020000
#define L1   0x80021000
#define L0   0x80022000
#define PGA  0x80030000      /* holds 0x1111 */
#define PGB  0x80031000      /* holds 0x2222 */
#define PGC  0x80032000      /* holds 0x3333 */
#define PGX  0x80033000      /* code: li a0, 0x77; ret */
#define L0E(i) (L0 + 8 * (i))
TEST_START
    /* clear the tables */
    ZERO_PAGES(ROOT, 3)
    SET_PTE(ROOT + 8 * 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    SET_PTE(ROOT + 8 * 1, L1, PTE_V)
    SET_PTE(ROOT + 8 * 3, 0x10000000, PTE_V)          /* table outside RAM */
    SET_PTE(L1 + 8 * 0, L0, PTE_V)
    SET_PTE(L1 + 8 * 1, 0x80200000, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)  /* 2 MiB */
    SET_PTE(L1 + 8 * 2, 0x80201000, PTE_V | PTE_R | PTE_A)                  /* misaligned */
    SET_PTE(L0E(0), PGA, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    SET_PTE(L0E(1), PGB, PTE_V | PTE_R)                                     /* A clear */
    SET_PTE(L0E(2), PGC, PTE_V | PTE_R | PTE_W | PTE_A)                     /* D clear */
    SET_PTE(L0E(3), PGX, PTE_V | PTE_X | PTE_A)                             /* execute-only */
    SET_PTE(L0E(4), PGA, PTE_V | PTE_R | PTE_W | PTE_U | PTE_A | PTE_D)     /* user data */
    SET_PTE(L0E(5), PGX, PTE_V | PTE_R | PTE_X | PTE_U | PTE_A)             /* user code */
    SET_PTE(L0E(7), PGA, PTE_V | PTE_W | PTE_A | PTE_D)                     /* W without R */
    SET_PTE(L0E(8), PGA, PTE_V | PTE_R | PTE_A)
    li t0, 1
    slli t0, t0, 63
    li t1, L0E(8)
    ld t2, 0(t1)
    or t2, t2, t0                                                           /* N bit: reserved */
    sd t2, 0(t1)
    SET_PTE(L0E(9), L0, PTE_V)                                              /* non-leaf at level 0 */
    SET_PTE(L0E(10), PGA, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    /* page contents */
    li t0, PGA
    li t1, 0x1111
    sd t1, 0(t0)
    li t0, PGB
    li t1, 0x2222
    sd t1, 0(t0)
    li t0, PGC
    li t1, 0x3333
    sd t1, 0(t0)
    li t0, 0x80201008
    li t1, 0x4444
    sd t1, 0(t0)
    la t0, code
    li t1, PGX
    lw t2, 0(t0)
    sw t2, 0(t1)
    lw t2, 4(t0)
    sw t2, 4(t1)
    lw t2, 8(t0)
    sw t2, 8(t1)
    fence.i
    li t0, SATP_SV39(ROOT)
    csrw satp, t0
    sfence.vma
    ENTER_MODE(1, in_s)
in_s:
    li s0, 0x40000000
    ld a0, 0(s0)
    CHECK_IMM(1, a0, 0x1111)
    /* A set by the load */
    li t0, 0x40001000
    ld a0, 0(t0)
    CHECK_IMM(2, a0, 0x2222)
    li t0, L0E(1)
    ld a1, 0(t0)
    andi a1, a1, PTE_A | PTE_D
    CHECK_IMM(3, a1, PTE_A)
    /* store to a read-only page */
    li t0, 0x40001008
    EXPECT_TRAP_TVAL(4, 15, 0x40001008, sd a0, 0(t0))
    /* D set by a store */
    li t0, 0x40002010
    li a0, 0x55
    sd a0, 0(t0)
    li t0, L0E(2)
    ld a1, 0(t0)
    andi a1, a1, PTE_A | PTE_D
    CHECK_IMM(5, a1, PTE_A | PTE_D)
    li t0, PGC + 0x10
    ld a1, 0(t0)
    CHECK_IMM(6, a1, 0x55)
    /* execute-only: load faults unless MXR */
    li t0, 0x40003000
    EXPECT_TRAP_TVAL(7, 13, 0x40003000, lw a0, 0(t0))
    li t1, MSTATUS_MXR
    csrs sstatus, t1
    EXPECT_NO_TRAP(8, lw a0, 0(t0))
    csrc sstatus, t1
    EXPECT_TRAP(9, 13, lw a0, 0(t0))
    /* ...but it executes */
    li a0, 0
    jalr t0
    CHECK_IMM(10, a0, 0x77)
    /* user page from S: needs SUM for data, never executes */
    li t0, 0x40004000
    EXPECT_TRAP_TVAL(11, 13, 0x40004000, ld a0, 0(t0))
    EXPECT_TRAP_TVAL(12, 15, 0x40004000, sd a0, 0(t0))
    li t1, MSTATUS_SUM
    csrs sstatus, t1
    li a0, 0
    ld a0, 0(t0)
    CHECK_IMM(13, a0, 0x1111)
    li t0, 0x40005000
    EXPECT_TRAP_TVAL(14, 12, 0x40005000, jalr t0)
    csrc sstatus, t1
    /* invalid, W-only, reserved bit, non-leaf at level 0 */
    li t0, 0x40006008
    EXPECT_TRAP_TVAL(15, 13, 0x40006008, ld a0, 0(t0))
    EXPECT_TRAP_TVAL(16, 15, 0x40006008, sd a0, 0(t0))
    EXPECT_TRAP_TVAL(17, 12, 0x40006008, jalr t0)
    li t0, 0x40007000
    EXPECT_TRAP_TVAL(18, 13, 0x40007000, ld a0, 0(t0))
    li t0, 0x40008000
    EXPECT_TRAP_TVAL(19, 13, 0x40008000, ld a0, 0(t0))
    li t0, 0x40009000
    EXPECT_TRAP_TVAL(20, 13, 0x40009000, ld a0, 0(t0))
    /* megapage, and a misaligned one */
    li t0, 0x40201008
    ld a0, 0(t0)
    CHECK_IMM(21, a0, 0x4444)
    li t0, 0x40400000
    EXPECT_TRAP_TVAL(22, 13, 0x40400000, ld a0, 0(t0))
    /* not sign-extended from bit 38 */
    li t0, 0x0000004000000000
    EXPECT_TRAP_TVAL(23, 13, 0x0000004000000000, ld a0, 0(t0))
    li t0, 0xffffffbfc0000000
    EXPECT_TRAP_TVAL(24, 12, 0xffffffbfc0000000, jalr t0)
    /* a page table outside RAM: access fault of the access type */
    li t0, 0xc0000000
    EXPECT_TRAP_TVAL(25, 5, 0xc0000000, ld a0, 0(t0))
    EXPECT_TRAP_TVAL(26, 7, 0xc0000000, sd a0, 0(t0))
    /* misaligned beats page fault */
    li t0, 0x40006001
    EXPECT_TRAP_TVAL(27, 4, 0x40006001, lw a0, 0(t0))
    /* sfence.vma: remap 0x4000a000 from PGA to PGB */
    li s1, 0x4000a000
    ld a0, 0(s1)
    CHECK_IMM(28, a0, 0x1111)
    li t0, PTE(PGB, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    li t1, L0E(10)
    sd t0, 0(t1)
    sfence.vma s1
    ld a0, 0(s1)
    CHECK_IMM(29, a0, 0x2222)
    li t0, PTE(PGA, PTE_V | PTE_R | PTE_W | PTE_A | PTE_D)
    sd t0, 0(t1)
    sfence.vma
    ld a0, 0(s1)
    CHECK_IMM(30, a0, 0x1111)
    /* unmapping takes effect after sfence.vma */
    sd zero, 0(t1)
    sfence.vma s1, zero
    EXPECT_TRAP_TVAL(31, 13, 0x4000a000, ld a0, 0(s1))
    /* remapping a megapage: sfence.vma of one address inside it */
    li t0, 0x40201008
    ld a0, 0(t0)
    li t0, PTE(0x80400000, PTE_V | PTE_R | PTE_A)
    li t1, L1 + 8
    sd t0, 0(t1)
    li t0, 0x40300000
    sfence.vma t0
    li t0, 0x40201008
    ld a0, 0(t0)
    li t2, 0x80401008
    ld t2, 0(t2)
    CHECK_EQ(32, a0, t2)
    TO_M

    /* U mode: own pages yes, supervisor pages no (the code itself is
     * made a user page meanwhile) */
    SET_PTE(ROOT + 8 * 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_U | PTE_A | PTE_D)
    sfence.vma
    ENTER_MODE(0, in_u)
in_u:
    li t0, 0x40004000
    ld a0, 0(t0)
    CHECK_IMM(33, a0, 0x1111)
    li t0, 0x40000000
    EXPECT_TRAP_TVAL(34, 13, 0x40000000, ld a0, 0(t0))
    li t0, 0x40003000
    EXPECT_TRAP_TVAL(35, 12, 0x40003000, jalr t0)
    li t0, 0x40005000
    li a0, 0
    jalr t0
    CHECK_IMM(36, a0, 0x77)
    TO_M
    SET_PTE(ROOT + 8 * 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    sfence.vma

    /* MPRV: M-mode loads and stores translated as MPP */
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, (1 << 11) | MSTATUS_MPRV
    csrs mstatus, t0
    li t1, 0x40000000
    ld a0, 0(t1)
    CHECK_IMM(37, a0, 0x1111)
    li t0, MSTATUS_MPP
    csrc mstatus, t0                          /* MPP = U */
    EXPECT_TRAP_TVAL(38, 13, 0x40000000, ld a0, 0(t1))
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    /* without MPRV M mode is untranslated */
    li t0, PGA
    li a0, 0
    ld a0, 0(t0)
    CHECK_IMM(39, a0, 0x1111)
    csrw satp, zero
    TEST_PASS

    .align 2
code:
    li a0, 0x77
    ret
    nop
