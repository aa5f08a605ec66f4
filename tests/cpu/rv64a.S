/* RV64A on one hart: AMO results (old value in rd, memory updated), W forms
 * sign-extend, LR/SC success and failure, misaligned atomics trap. */
#include "test.h"
TEST_START
    la s0, data
    addi s1, s0, 8
    addi s6, s0, 16
    addi s7, s0, 4
    li a0, 0x7fffffff
    sw a0, 0(s0)
    li a1, 1
    amoadd.w a2, a1, (s0)
    CHECK_IMM(1, a2, 0x7fffffff)
    lw a3, 0(s0)
    CHECK_IMM(2, a3, 0xffffffff80000000)      /* wrapped, sign-extended */
    amoswap.w a2, zero, (s0)
    CHECK_IMM(3, a2, 0xffffffff80000000)
    li a1, -5
    amomin.w a2, a1, (s0)                     /* min(0, -5) = -5 */
    lw a3, 0(s0)
    CHECK_IMM(4, a3, -5)
    li a1, 3
    amominu.w a2, a1, (s0)                    /* minu(0xfffffffb, 3) = 3 */
    CHECK_IMM(5, a2, -5)
    lw a3, 0(s0)
    CHECK_IMM(6, a3, 3)
    li a1, -1
    amomax.w a2, a1, (s0)                     /* max(3, -1) = 3 */
    lw a3, 0(s0)
    CHECK_IMM(7, a3, 3)
    amomaxu.w a2, a1, (s0)                    /* maxu(3, 0xffffffff) */
    lw a3, 0(s0)
    CHECK_IMM(8, a3, -1)
    li a1, 0xf0f0
    amoand.w a2, a1, (s0)
    CHECK_IMM(9, a2, -1)
    lw a3, 0(s0)
    CHECK_IMM(10, a3, 0xf0f0)
    li a1, 0x0f00
    amoor.w a2, a1, (s0)
    lw a3, 0(s0)
    CHECK_IMM(11, a3, 0xfff0)
    li a1, 0xffff
    amoxor.w a2, a1, (s0)
    lw a3, 0(s0)
    CHECK_IMM(12, a3, 0x000f)
    /* the neighbouring word is untouched by W forms */
    lw a3, 4(s0)
    CHECK_IMM(13, a3, 0x12345678)
    /* D forms */
    li a0, 0x8000000000000000
    sd a0, 8(s0)
    li a1, -1
    amoadd.d a2, a1, (s1)
    CHECK_EQ(14, a2, a0)
    ld a3, 8(s0)
    CHECK_IMM(15, a3, 0x7fffffffffffffff)
    amomin.d a2, a0, (s1)
    ld a3, 8(s0)
    CHECK_EQ(16, a3, a0)
    li a1, 1
    amomaxu.d a2, a1, (s1)
    ld a3, 8(s0)
    CHECK_EQ(17, a3, a0)
    amomax.d a2, a1, (s1)
    ld a3, 8(s0)
    CHECK_IMM(18, a3, 1)
    amominu.d a2, a0, (s1)
    ld a3, 8(s0)
    CHECK_IMM(19, a3, 1)
    amoswap.d a2, a0, (s1)
    CHECK_IMM(20, a2, 1)
    /* rd = x0: memory still updated */
    amoadd.d zero, a1, (s1)
    ld a3, 8(s0)
    CHECK_IMM(21, a3, 0x8000000000000001)
    /* rd == rs2: rd gets the old value */
    li a1, 5
    sd a1, 16(s0)
    li a2, 7
    amoadd.d a2, a2, (s6)
    CHECK_IMM(22, a2, 5)
    ld a3, 16(s0)
    CHECK_IMM(23, a3, 12)
    /* LR/SC: success writes and returns 0 */
    lr.d a2, (s6)
    CHECK_IMM(24, a2, 12)
    li a1, 99
    sc.d a3, a1, (s6)
    CHECK_IMM(25, a3, 0)
    ld a2, 16(s0)
    CHECK_IMM(26, a2, 99)
    /* a second SC without a new LR fails and does not write */
    li a1, 100
    sc.d a3, a1, (s6)
    CHECK_IMM(27, a3, 1)
    ld a2, 16(s0)
    CHECK_IMM(28, a2, 99)
    /* SC to another address than the LR's fails */
    lr.w a2, (s0)
    sc.w a3, a1, (s7)
    CHECK_IMM(29, a3, 1)
    lw a2, 4(s0)
    CHECK_IMM(30, a2, 0x12345678)
    /* SC fails if the value changed after LR (another agent stored) */
    lr.w a2, (s0)
    li a4, 0x55
    sw a4, 0(s0)
    sc.w a3, a1, (s0)
    CHECK_IMM(31, a3, 1)
    lw a2, 0(s0)
    CHECK_IMM(32, a2, 0x55)
    /* lr.w sign-extends */
    li a4, -2
    sw a4, 0(s0)
    lr.w a2, (s0)
    CHECK_IMM(33, a2, -2)
    sc.w a3, zero, (s0)
    CHECK_IMM(34, a3, 0)
    lw a2, 0(s0)
    CHECK_IMM(35, a2, 0)
    /* misaligned: AMO/SC -> store/AMO misaligned (6), LR -> load misaligned (4) */
    addi a5, s0, 2
    EXPECT_TRAP_TVAL(36, 6, 0x80010002, amoadd.w a2, a1, (a5))
    EXPECT_TRAP_TVAL(37, 4, 0x80010002, lr.w a2, (a5))
    addi a5, s0, 4
    EXPECT_TRAP_TVAL(38, 6, 0x80010004, amoswap.d a2, a1, (a5))
    EXPECT_TRAP_TVAL(39, 6, 0x80010004, sc.d a2, a1, (a5))
    /* AMO to a non-RAM address: store/AMO access fault (7) */
    li a5, TH_PUTC
    EXPECT_TRAP_TVAL(40, 7, TH_PUTC, amoadd.w a2, a1, (a5))
    EXPECT_TRAP_TVAL(41, 5, TH_PUTC, lr.d a2, (a5))
    TEST_PASS

    .data
    .align 3
data: .word 0, 0x12345678
      .dword 0, 0
