/* Self-modifying code: after the code is changed and fence.i executed, the
 * new instructions run (also for code already run once, i.e. decoded). */
#include "test.h"
TEST_START
    li t0, MSTATUS_FS
    csrs mstatus, t0
    la s0, patch
    li s1, 0
    li s6, 3
1:  jalr s0                             /* run it: a0 = 1, then 2, then 3 */
    add s1, s1, a0
    /* rewrite "li a0, n" as "li a0, n+1" (addi a0, zero, imm) */
    lw t0, 0(s0)
    li t1, 1 << 20
    add t0, t0, t1
    sw t0, 0(s0)
    fence.i
    addi s6, s6, -1
    bnez s6, 1b
    CHECK_IMM(1, s1, 6)                 /* 1 + 2 + 3 */
    /* a 16-bit instruction replaced by another */
    la s0, patch16
    jalr s0
    CHECK_IMM(2, a0, 5)
    li t0, 0x4525                       /* c.li a0, 9 */
    sh t0, 0(s0)
    fence.i
    jalr s0
    CHECK_IMM(3, a0, 9)
    /* code written to RAM that never held code */
    la s0, buf
    la t0, patch
    lw t1, 0(t0)
    sw t1, 0(s0)
    lw t1, 4(t0)
    sw t1, 4(s0)
    fence.i
    jalr s0
    CHECK_IMM(4, a0, 4)
    TEST_PASS

    .align 2
patch:
    .option push
    .option norvc
    addi a0, zero, 1
    jalr zero, 0(ra)
    .option pop
patch16:
    c.li a0, 5
    ret

    .data
    .align 3
buf: .dword 0, 0
