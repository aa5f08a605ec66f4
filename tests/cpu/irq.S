/* Interrupts: priority (MEI MSI MTI SEI SSI STI), delegation, the enable
 * rules per privilege, WFI wake-ups by the timer, Sstc. */
#include "test.h"
#define IRQ(hart, irq, level) li t0, TH_IRQ; li t1, ((hart) << 8) | ((irq) << 1) | (level); sd t1, 0(t0)
#define MIE_ALL 0xaaa
TEST_START
    la t0, m_irq
    csrw mtvec, t0
    la t0, s_irq
    csrw stvec, t0
    li t0, TH_MTIMECMP
    li t1, -1
    sd t1, 0(t0)
    /* all three M sources pending while MIE = 0 */
    la s6, log
    IRQ(0, 11, 1)
    li t0, TH_CLINT
    li t1, 1
    sw t1, 0(t0)
    li t0, TH_MTIMECMP
    sd zero, 0(t0)
    li t0, MIE_ALL
    csrw mie, t0
    csrr a0, mip
    li t0, 0x888
    and a0, a0, t0
    CHECK_IMM(1, a0, 0x888)
    li t0, MSTATUS_MIE
    csrs mstatus, t0                  /* taken one after the other */
    csrc mstatus, t0
    la t0, log
    ld a0, 0(t0)
    CHECK_IMM(2, a0, 0x800000000000000b)
    ld a0, 8(t0)
    CHECK_IMM(3, a0, 0x8000000000000003)
    ld a0, 16(t0)
    CHECK_IMM(4, a0, 0x8000000000000007)
    addi t0, t0, 24
    CHECK_EQ(5, s6, t0)               /* nothing else */

    /* S interrupts pending plus an M one: M first; S ones are not taken
     * in M mode even with SIE set */
    la s6, log
    li t0, 0x222
    csrw mideleg, t0
    li t0, MSTATUS_SIE
    csrs mstatus, t0
    IRQ(0, 9, 1)                      /* SEI */
    li t0, 0x22                       /* SSIP, STIP (software-writable) */
    csrs mip, t0
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    csrc mstatus, t0
    la t0, log
    CHECK_EQ(6, s6, t0)               /* none taken in M */
    li t0, TH_CLINT
    li t1, 1
    sw t1, 0(t0)                      /* MSI pending too */
    ENTER_MODE(1, in_s)               /* S mode, SIE = 1: all four come */
in_s:
    nop
    TO_M
    la t0, log
    ld a0, 0(t0)
    CHECK_IMM(7, a0, 0x8000000000000003)      /* MSI in M (MIE = 0 but priv < M) */
    ld a0, 8(t0)
    CHECK_IMM(8, a0, 0x8000000000000009)      /* then SEI, SSI, STI in S */
    ld a0, 16(t0)
    CHECK_IMM(9, a0, 0x8000000000000001)
    ld a0, 24(t0)
    CHECK_IMM(10, a0, 0x8000000000000005)

    /* S mode with SIE = 0: delegated ones wait; in U they are taken */
    la s6, log
    li t0, MSTATUS_SIE
    csrc mstatus, t0
    li t0, 0x2
    csrs mip, t0                      /* SSIP */
    ENTER_MODE(1, in_s2)
in_s2:
    nop
    la t0, log
    CHECK_EQ(11, s6, t0)
    TO_M
    ENTER_MODE(0, in_u)
in_u:
    nop
    la t0, log
    ld a0, 0(t0)
    CHECK_IMM(12, a0, 0x8000000000000001)
    TO_M
    /* mie bit clear: not taken even in U */
    la s6, log
    li t0, 0x2
    csrc mie, t0
    csrs mip, t0
    ENTER_MODE(0, in_u2)
in_u2:
    nop
    la t0, log
    CHECK_EQ(13, s6, t0)
    TO_M
    li t0, 0x2
    csrc mip, t0
    csrw mideleg, zero

    /* WFI with MIE = 0 wakes on the timer and goes on without a trap
     * (MIE came back set from the mret of TO_M: MPIE was 1) */
    li t0, MSTATUS_MIE | MSTATUS_MPIE
    csrc mstatus, t0
    la s6, log
    li t0, 0x80
    csrw mie, t0                      /* MTIE only */
    li t0, TH_MTIME
    ld a1, 0(t0)
    li t1, 20000                      /* 2 ms */
    add a1, a1, t1
    li t0, TH_MTIMECMP
    sd a1, 0(t0)
    wfi
    li t0, TH_MTIME
    ld a2, 0(t0)
    li gp, 14
    bltu a2, a1, fail                 /* woke at or after the deadline */
    csrr a0, mip
    andi a0, a0, 0x80
    CHECK_IMM(15, a0, 0x80)
    la t0, log
    CHECK_EQ(16, s6, t0)
    /* MTIP follows mtimecmp */
    li t0, TH_MTIMECMP
    li t1, -1
    sd t1, 0(t0)
    csrr a0, mip
    andi a0, a0, 0x80
    CHECK_IMM(17, a0, 0)
    /* WFI with MIE = 1: the interrupt is taken, mepc after the wfi */
    li t0, TH_MTIME
    ld a1, 0(t0)
    li t1, 10000
    add a1, a1, t1
    li t0, TH_MTIMECMP
    sd a1, 0(t0)
    li t0, MSTATUS_MIE
    csrs mstatus, t0
    la s7, 1f
    wfi
1:  csrc mstatus, t0
    la t0, log
    ld a0, 0(t0)
    CHECK_IMM(18, a0, 0x8000000000000007)
    ld a0, 8(t0)
    CHECK_EQ(19, a0, s7)              /* recorded mepc */

    /* Sstc: stimecmp drives STIP; S timer interrupt in S mode */
    la s6, log
    li t0, 1
    slli t0, t0, 63
    csrs menvcfg, t0
    li t0, 2
    csrw mcounteren, t0
    li t0, 0x20
    csrw mideleg, t0
    csrw mie, t0
    csrs mip, t0                      /* STIP is read-only with STCE */
    csrr a0, mip
    andi a0, a0, 0x20
    CHECK_IMM(20, a0, 0)
    ENTER_MODE(1, in_s3)
in_s3:
    li t0, MSTATUS_SIE
    csrs sstatus, t0
    rdtime a1
    li t1, 10000
    add a1, a1, t1
    csrw stimecmp, a1
    wfi
    csrr a0, stimecmp
    li gp, 21
    li t1, -1
    bne a0, t1, fail                  /* handler pushed it to the future */
    TO_M
    la t0, log
    ld a0, 0(t0)
    CHECK_IMM(22, a0, 0x8000000000000005)
    TEST_PASS

    /* M handler: log mcause and mepc, clear the source */
    .align 2
m_irq:
    csrr t2, mcause
    li t3, 9                          /* ecall from S with a7 = 96: clear STIP */
    bne t2, t3, 3f
    li t3, 96
    bne a7, t3, 3f
    li t3, 0x20
    csrc mip, t3
    csrr t3, mepc
    addi t3, t3, 4
    csrw mepc, t3
    mret
3:  bgez t2, m_trap                   /* exceptions: standard handler */
    sd t2, 0(s6)
    csrr t3, mepc
    sd t3, 8(s6)
    addi s6, s6, 8
    andi t2, t2, 63
    li t3, 11
    bne t2, t3, 1f
    li t3, TH_IRQ
    li t4, (11 << 1)
    sd t4, 0(t3)
    mret
1:  li t3, 3
    bne t2, t3, 2f
    li t3, TH_CLINT
    sw zero, 0(t3)
    mret
2:  li t3, TH_MTIMECMP
    li t4, -1
    sd t4, 0(t3)
    mret

    /* S handler: log scause, clear the source (satp = 0: S reaches the
     * harness registers directly) */
    .align 2
s_irq:
    csrr t2, scause
    bgez t2, s_trap
    sd t2, 0(s6)
    addi s6, s6, 8
    andi t2, t2, 63
    li t3, 9
    bne t2, t3, 1f
    li t3, TH_IRQ
    li t4, (9 << 1)
    sd t4, 0(t3)
    sret
1:  li t3, 1
    bne t2, t3, 2f
    csrci sip, 2
    sret
2:  li t4, -1                          /* STI: Sstc stimecmp, else M clears STIP */
    csrw stimecmp, t4                  /* illegal without STCE: M skips it */
    li a7, 96
    ecall
    sret

    .data
    .align 3
log: .dword 0, 0, 0, 0, 0, 0, 0, 0
