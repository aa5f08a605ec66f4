/* RV64I: arithmetic, shifts (amounts masked to 6/5 bits), W forms sign
 * extension, lui/auipc, branches, jumps, loads and stores. */
#include "test.h"
TEST_START
    TEST_RR(1, add, 0x100000000, 0xffffffff, 1)
    TEST_RR(2, sub, -1, 0, 1)
    TEST_RR(3, sll, 0x8000000000000000, 1, 63)
    TEST_RR(4, sll, 2, 1, 65)                 /* shift amount mod 64 */
    TEST_RR(5, srl, 1, 0x8000000000000000, 63)
    TEST_RR(6, sra, -1, 0x8000000000000000, 63)
    TEST_RR(7, sra, 0xc000000000000000, 0x8000000000000000, 0x41)
    TEST_RR(8, slt, 1, -1, 0)
    TEST_RR(9, sltu, 0, -1, 0)
    TEST_RR(10, xor, 0xff00ff00, 0xffff0000, 0x00ffff00)
    TEST_RR(11, or, 0xffffff00, 0xffff0000, 0x00ffff00)
    TEST_RR(12, and, 0x00ff0000, 0xffff0000, 0x00ffff00)
    TEST_RI(13, addi, -2048, 0, -2048)
    TEST_RI(14, slti, 1, -5, -4)
    TEST_RI(15, sltiu, 1, 5, -1)              /* imm sign-extended, compared unsigned */
    TEST_RI(16, xori, ~0x123, 0x123, -1)
    TEST_RI(17, slli, 0x8000000000000000, 1, 63)
    TEST_RI(18, srli, 1, 0x8000000000000000, 63)
    TEST_RI(19, srai, -1, 0x8000000000000000, 63)
    /* W forms: 32-bit result sign-extended */
    TEST_RR(20, addw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RR(21, subw, 0x7fffffff, 0x80000000, 1)
    TEST_RR(22, sllw, 0xffffffff80000000, 1, 31)
    TEST_RR(23, sllw, 2, 1, 33)               /* shift amount mod 32 */
    TEST_RR(24, srlw, 1, 0x80000000, 31)
    TEST_RR(25, srlw, 0x7fffffff, 0xfffffffffffffffe, 0x21)
    TEST_RR(26, sraw, -1, 0x80000000, 31)
    TEST_RR(27, sraw, 0xffffffffc0000000, 0x80000000, 0x21)
    TEST_RI(28, addiw, 0xffffffff80000000, 0x7fffffff, 1)
    TEST_RI(29, addiw, 0, 0x100000000, 0)     /* upper bits dropped */
    TEST_RI(30, slliw, 0xffffffff80000000, 1, 31)
    TEST_RI(31, srliw, 0x7fffffff, -1, 1)
    TEST_RI(32, sraiw, -1, 0x80000000, 31)
    /* lui/auipc */
    lui a0, 0x80000
    CHECK_IMM(33, a0, 0xffffffff80000000)
1:  auipc a0, 0
    la a1, 1b
    CHECK_EQ(34, a0, a1)
    /* x0 is hard-wired */
    addi x0, x0, 5
    CHECK_IMM(35, x0, 0)
    /* branches */
    li a1, -1
    li a2, 1
    li gp, 36
    blt a2, a1, fail
    bge a1, a2, fail
    bltu a1, a2, fail
    bgeu a2, a1, fail
    beq a1, a2, fail
    bne a1, a1, fail
    /* jal/jalr link and target; jalr clears bit 0 */
    li gp, 37
    jal ra, 2f
3:  j fail
2:  la t0, 3b
    bne ra, t0, fail
    la t0, 4f
    addi t0, t0, 1
    jalr t1, 0(t0)
7:  j fail
4:  la t2, 7b
    CHECK_EQ(38, t1, t2)
    /* jalr with rd == rs1 uses the old rs1 */
    la t0, 5f
    jalr t0, 0(t0)
8:  j fail
5:  la t2, 8b
    CHECK_EQ(39, t0, t2)
    /* loads and stores */
    la s0, data
    li a0, 0x8877665544332211
    sd a0, 0(s0)
    lb a1, 7(s0)
    CHECK_IMM(40, a1, 0xffffffffffffff88)
    lbu a1, 7(s0)
    CHECK_IMM(41, a1, 0x88)
    lh a1, 6(s0)
    CHECK_IMM(42, a1, 0xffffffffffff8877)
    lhu a1, 6(s0)
    CHECK_IMM(43, a1, 0x8877)
    lw a1, 4(s0)
    CHECK_IMM(44, a1, 0xffffffff88776655)
    lwu a1, 4(s0)
    CHECK_IMM(45, a1, 0x88776655)
    ld a1, 0(s0)
    CHECK_EQ(46, a1, a0)
    sb zero, 1(s0)
    sh zero, 4(s0)
    ld a1, 0(s0)
    CHECK_IMM(47, a1, 0x8877000044330011)
    sw a0, 8(s0)
    ld a1, 8(s0)
    CHECK_IMM(48, a1, 0x44332211)
    /* load into x0 has no effect on x0 */
    ld x0, 0(s0)
    CHECK_IMM(49, x0, 0)
    /* negative offsets */
    addi s1, s0, 16
    ld a1, -16(s1)
    CHECK_IMM(50, a1, 0x8877000044330011)
    /* a loop: sum 1..100, exercising chained blocks */
    li a0, 0
    li a1, 100
6:  add a0, a0, a1
    addi a1, a1, -1
    bnez a1, 6b
    CHECK_IMM(51, a0, 5050)
    /* adjacent dependent pairs (fused, the result forwarded) */
    li a2, 3
    li a3, 4
    li a5, 0x10
    add a1, a2, a3
    xor a4, a5, a1            /* result used as the second operand */
    CHECK_IMM(52, a4, 0x17)
    add a1, a1, a1
    add a1, a1, a1            /* both operands are the previous result */
    CHECK_IMM(53, a1, 28)
    la s0, data
    li a0, 0x1234
    addi t0, s0, 8
    sd a0, 0(t0)              /* store address from the previous result */
    addi t1, s0, 4
    ld a2, 4(t1)              /* load address from the previous result */
    CHECK_EQ(54, a2, a0)
    li a1, -1
    sub a3, a1, a0
    sub a3, a0, a3            /* not commutative: a0 - (-1 - a0) */
    CHECK_IMM(55, a3, 0x2469)
    li a1, 5
    addiw a1, a1, -7
    sltu a2, zero, a1
    addi a1, a1, 0            /* x0 destination never forwarded */
    addi zero, a1, 3
    add a4, zero, a1
    CHECK_IMM(56, a4, -2)
    TEST_PASS

    .data
    .align 3
data: .dword 0, 0, 0, 0
