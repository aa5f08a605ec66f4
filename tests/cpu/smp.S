/* Several harts hammer shared counters with AMOs, LR/SC loops and an
 * amoswap spinlock around plain loads and stores; then hart 0 wakes the
 * others from WFI with software interrupts (CLINT msip).  Hart 0 reports. */
#include "test.h"
#define N 200000
TEST_START
    csrr s0, mhartid
    la s1, counters
    li s6, N
    li t0, 8                          /* MSIE only, MIE stays 0 */
    csrw mie, t0
1:  /* amoadd */
    li t0, 1
    amoadd.w zero, t0, (s1)
    /* LR/SC increment */
    addi t1, s1, 8
2:  lr.d t2, (t1)
    addi t2, t2, 1
    sc.d t3, t2, (t1)
    bnez t3, 2b
    /* spinlock-protected plain increment */
    addi t1, s1, 16
    li t2, 1
3:  amoswap.w.aq t3, t2, (t1)
    bnez t3, 3b
    ld t4, 24(s1)
    addi t4, t4, 1
    sd t4, 24(s1)
    amoswap.w.rl zero, zero, (t1)
    addi s6, s6, -1
    bnez s6, 1b
    /* done */
    li t0, 1
    addi t1, s1, 32
    amoadd.w zero, t0, (t1)
    bnez s0, secondary
    /* hart 0: wait for everyone (the harness writes the hart count) */
    lw t1, 40(s1)
4:  lw t0, 32(s1)
    bne t0, t1, 4b
    li t2, N
    mul t2, t2, t1
    lw a0, 0(s1)
    CHECK_EQ(1, a0, t2)
    ld a0, 8(s1)
    CHECK_EQ(2, a0, t2)
    ld a0, 24(s1)
    CHECK_EQ(3, a0, t2)
    /* wake the others: they sleep in WFI until their msip */
    li s6, 1
5:  bgeu s6, t1, 7f
    slli t3, s6, 2
    li t4, TH_CLINT
    add t4, t4, t3
6:  lw t5, 48(s1)                     /* wait until hart s6 is about to sleep */
    bltu t5, s6, 6b
    li t0, 1
    sw t0, 0(t4)
    addi s6, s6, 1
    j 5b
7:  lw t0, 56(s1)                     /* acknowledgements */
    addi t2, t1, -1
    bne t0, t2, 7b
    TEST_PASS

secondary:
    /* take turns announcing "going to sleep" so hart 0 wakes in order */
8:  lw t0, 48(s1)
    addi t1, s0, -1
    bne t0, t1, 8b
    addi t0, t0, 1
    sw t0, 48(s1)
9:  wfi
    csrr t0, mip
    andi t0, t0, 8
    beqz t0, 9b
    slli t3, s0, 2                    /* clear own msip, acknowledge */
    li t4, TH_CLINT
    add t4, t4, t3
    sw zero, 0(t4)
    li t0, 1
    addi t1, s1, 56
    amoadd.w zero, t0, (t1)
10: wfi
    j 10b

    .data
    .align 6
counters: .dword 0, 0, 0, 0, 0, 0, 0, 0
