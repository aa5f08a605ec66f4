/* Exceptions: causes and mtval, delegation, trap entry/return state,
 * privileged-instruction rules (mret/sret/wfi/sfence.vma, TSR/TW/TVM). */
#include "test.h"
TEST_START
    la s0, data
    li t0, MSTATUS_FS
    csrs mstatus, t0
    /* misaligned accesses: cause 4 (load) / 6 (store), mtval = address */
    addi a0, s0, 1
    EXPECT_TRAP_TVAL(1, 4, 0x80010001, lh a1, 0(a0))
    EXPECT_TRAP_TVAL(2, 4, 0x80010003, lw a1, 2(a0))
    EXPECT_TRAP_TVAL(3, 4, 0x80010005, ld a1, 4(a0))
    EXPECT_TRAP_TVAL(4, 6, 0x80010001, sh a1, 0(a0))
    EXPECT_TRAP_TVAL(5, 6, 0x80010007, sd a1, 6(a0))
    EXPECT_TRAP_TVAL(6, 4, 0x80010005, fld fa0, 4(a0))
    EXPECT_TRAP_TVAL(7, 6, 0x80010003, fsw fa0, 2(a0))
    EXPECT_TRAP_TVAL(8, 4, 0x80010001, lhu a1, 0(a0))
    EXPECT_NO_TRAP(9, lbu a1, 0(a0))
    /* mepc points at the faulting instruction */
    la t1, 1f
1:  lw a1, 2(a0)
    CHECK_EQ(10, s4, t1)
    /* a misaligned store changes nothing */
    li a1, -1
    sd zero, 0(s0)
    sd zero, 8(s0)
    sd a1, 4(s0)
    ld a2, 0(s0)
    ld a3, 8(s0)
    or a2, a2, a3
    CHECK_IMM(11, a2, 0)
    /* illegal instruction: mtval = the encoding */
    EXPECT_TRAP_TVAL(12, 2, 0x0000000b, .word 0x0000000b)      /* custom-0 */
    EXPECT_TRAP_TVAL(13, 2, 0xffffffff, .word 0xffffffff)      /* >32-bit encoding */
    EXPECT_TRAP_TVAL(14, 2, 0x00005053, .word 0x00005053)      /* fadd.s, rm=5 */
    EXPECT_TRAP_TVAL(15, 2, 0x7b200073, .word 0x7b200073)      /* dret */
    /* ecall / ebreak from M */
    EXPECT_TRAP_TVAL(16, 11, 0, ecall)
    EXPECT_TRAP(17, 3, ebreak)
    /* trap entry: MPP = M, MPIE = old MIE, MIE = 0 */
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    ecall
    li t0, MSTATUS_MPP | MSTATUS_MPIE | MSTATUS_MIE
    and t1, s5, t0
    CHECK_IMM(18, t1, MSTATUS_MPP | MSTATUS_MPIE)
    /* ...and mret restored MIE = 1, MPIE = 1, MPP = U */
    csrr t1, mstatus
    and t1, t1, t0
    CHECK_IMM(19, t1, MSTATUS_MIE | MSTATUS_MPIE)
    csrc mstatus, t0

    /* S mode: ecall cause 9, privileged instructions */
    la t0, s_trap
    csrw stvec, t0
    /* a pending, enabled but (SIE = 0) masked interrupt: WFI returns */
    li t0, 2
    csrs mideleg, t0
    csrs mie, t0
    csrs mip, t0
    ENTER_MODE(1, in_s)
in_s:
    EXPECT_TRAP(20, 9, ecall)
    /* mstatus.MPP recorded S */
    li t0, MSTATUS_MPP
    and t1, s5, t0
    CHECK_IMM(21, t1, 1 << 11)
    EXPECT_TRAP_TVAL(22, 2, 0x30200073, mret)
    EXPECT_NO_TRAP(23, sfence.vma)
    EXPECT_NO_TRAP(24, wfi)                   /* TW = 0: allowed in S */
    EXPECT_TRAP(25, 2, csrr a0, mstatus)     /* M CSR from S */
    EXPECT_TRAP(26, 2, csrr a0, mscratch)
    EXPECT_NO_TRAP(27, csrr a0, sstatus)
    TO_M
    li t0, 2
    csrc mip, t0
    csrc mie, t0
    csrc mideleg, t0
    /* TSR, TW, TVM */
    li t0, MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM
    csrs mstatus, t0
    ENTER_MODE(1, in_s2)
in_s2:
    EXPECT_TRAP_TVAL(28, 2, 0x10200073, sret)
    EXPECT_TRAP_TVAL(29, 2, 0x10500073, wfi)
    EXPECT_TRAP_TVAL(30, 2, 0x12000073, sfence.vma)
    EXPECT_TRAP(31, 2, csrr a0, satp)
    EXPECT_TRAP(32, 2, csrw satp, zero)
    TO_M
    li t0, MSTATUS_TSR | MSTATUS_TW | MSTATUS_TVM
    csrc mstatus, t0

    /* U mode: ecall cause 8, S instructions illegal */
    ENTER_MODE(0, in_u)
in_u:
    EXPECT_TRAP(33, 8, ecall)
    EXPECT_TRAP_TVAL(34, 2, 0x10200073, sret)
    EXPECT_TRAP_TVAL(35, 2, 0x10500073, wfi)
    EXPECT_TRAP_TVAL(36, 2, 0x12000073, sfence.vma)
    EXPECT_TRAP(37, 2, csrr a0, sstatus)
    li t0, MSTATUS_MPP
    and t1, s5, t0
    CHECK_IMM(38, t1, 0)                      /* trapped from U */
    TO_M

    /* delegation: illegal instruction from U goes to S (stvec) */
    li t0, 1 << 2
    csrw medeleg, t0
    csrw sscratch, zero
    ENTER_MODE(0, in_u2)
in_u2:
    li s2, -1
    la t1, 2f
2:  .word 0x0000000b
    CHECK_IMM(39, s2, 2)                      /* recorded by s_trap */
    CHECK_EQ(40, s4, t1)                      /* sepc */
    CHECK_IMM(41, s3, 0x0000000b)             /* stval */
    TO_M
    /* sstatus after the S trap: SPP = U (0); sret then left SPIE = 1 */
    csrr t1, sstatus
    andi t1, t1, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
    CHECK_IMM(42, t1, MSTATUS_SPIE)
    /* a delegated cause raised in M mode still traps to M */
    EXPECT_TRAP(43, 2, .word 0x0000000b)
    csrr t1, scause
    CHECK_IMM(44, t1, 2)
    csrw medeleg, zero

    /* sret from S to S keeps S; SPP was set by a trap from S */
    la t0, s_trap
    csrw stvec, t0
    li t0, -1
    csrw medeleg, t0
    csrr t1, medeleg
    CHECK_IMM(45, t1, 0xb3ff)                 /* ecall-from-M (11) not delegable */
    li t0, 1 << 9
    csrc medeleg, t0                          /* ecall from S stays in M */
    ENTER_MODE(1, in_s3)
in_s3:
    li t0, MSTATUS_SIE
    csrs sstatus, t0
    EXPECT_TRAP(46, 3, ebreak)                /* delegated: handled in S */
    csrr t1, sstatus
    andi t1, t1, MSTATUS_SPP | MSTATUS_SPIE | MSTATUS_SIE
    CHECK_IMM(47, t1, MSTATUS_SIE | MSTATUS_SPIE)     /* restored by sret */
    TO_M
    csrw medeleg, zero
    TEST_PASS

    .data
    .align 3
data: .dword 0, 0, 0, 0
