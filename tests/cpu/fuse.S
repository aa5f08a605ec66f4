/* Fused handlers (exec.c fuse_pairs): adjacent common instructions run as
 * pairs, a pair whose second instruction reads the first's result passes it
 * in a host register, and an instruction reading the register the previous
 * handler wrote last takes it from `acc`.  Each sequence below is straight
 * code (one block) whose results are checked afterwards, so the checks do
 * not break up the patterns. */
#include "test.h"
#define BUF 0x80100000
TEST_START
    /* a stack frame: addi sp then stores based on the new sp (dependent
     * pair ending in a store, then stores taking the base from acc) */
    mv s6, sp
    li a1, 11
    li a2, 22
    li a3, 33
    addi sp, sp, -32
    sd a1, 0(sp)
    sd a2, 8(sp)
    sd a3, 16(sp)
    ld t3, 0(sp)
    ld t4, 8(sp)
    ld t5, 16(sp)
    addi sp, sp, 32
    CHECK_EQ(1, sp, s6)
    CHECK_IMM(2, t3, 11)
    CHECK_IMM(3, t4, 22)
    CHECK_IMM(4, t5, 33)

    /* chains through acc, with the forwarded operand second (commutative
     * ops swap it first), through x0 and through 32-bit ops */
    li a0, 5
    li a1, 7
    li a2, 0x7fffffff
    add a3, a1, a0          /* 12 */
    xor a4, a2, a3          /* acc operand second: 0x7ffffff3 */
    sub a5, a4, a1          /* 0x7fffffec */
    addw a5, a5, a2         /* 0x7fffffec + 0x7fffffff, 32-bit: -21 */
    add x0, a5, a5          /* writes nothing; acc must not stand for x0 */
    add t3, x0, a5          /* mv */
    sub t4, x0, t3          /* 21 */
    slliw t5, t4, 27        /* 21 << 27 = 0xa8000000 -> negative */
    srliw t6, t5, 28        /* 0xa */
    CHECK_IMM(5, a3, 12)
    CHECK_IMM(6, a4, 0x7ffffff3)
    CHECK_IMM(7, a5, -21)
    CHECK_IMM(8, t3, -21)
    CHECK_IMM(9, t4, 21)
    CHECK_IMM(10, t5, 0xffffffffa8000000)
    CHECK_IMM(11, t6, 0xa)

    /* acc survives a store in between; a load result feeds the next op */
    li a1, BUF
    li a2, 0x1234
    addi a0, a2, 1          /* 0x1235 */
    sw a2, 0(a1)
    add a3, a0, a0          /* a0 from acc across the store: 0x246a */
    lw a4, 0(a1)            /* 0x1234 */
    addi a4, a4, 2          /* 0x1236 */
    and a5, a4, a3          /* 0x1236 & 0x246a = 0x0022 */
    or a5, a5, a0           /* 0x1237 */
    sd a5, 8(a1)
    ld t3, 8(a1)
    lbu t4, 8(a1)           /* 0x37 */
    CHECK_IMM(12, a3, 0x246a)
    CHECK_IMM(13, a4, 0x1236)
    CHECK_IMM(14, a5, 0x1237)
    CHECK_IMM(15, t3, 0x1237)
    CHECK_IMM(16, t4, 0x37)

    /* a register overwritten by a non-fusable op between producer and
     * consumer: the consumer must read the new value */
    li a0, 100
    addi a0, a0, 1          /* 101 in acc */
    slt a0, x0, a0          /* 1, not a fused op */
    addi a1, a0, 10         /* 11 */
    CHECK_IMM(17, a1, 11)

    /* a faulting load fed from acc: the trap sees the earlier results and
     * the load's own address; the instruction after it runs after return */
    li t0, 0
    li a2, 0
    li s2, -1
    addi a1, t0, 8          /* 8: no memory there */
    lw a2, 0(a1)
    addi a3, a1, 1
    CHECK_IMM(18, s2, 5)
    li t6, 8
    bne s3, t6, fail
    CHECK_IMM(19, a1, 8)
    CHECK_IMM(20, a2, 0)
    CHECK_IMM(21, a3, 9)

    /* the same through 64-bit shifts, mul and a branch at the block end */
    li a0, 3
    li a1, 0x100000001
    mul a2, a1, a0          /* 0x300000003 */
    srli a3, a2, 32         /* 3 */
    slli a4, a3, 4          /* 48 */
    addi a5, a4, -48
    beqz a5, 1f
    li gp, 22
    j fail
1:  TEST_PASS
