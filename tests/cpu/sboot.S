/* Direct boot: the program starts in S mode (a0 = hartid, a1 = "fdt");
 * the monitor plays M mode: SBI calls, misaligned emulation, redirection
 * of what OpenSBI would redirect, HSM, the SBI timer raising STIP, Sstc,
 * counters usable from S and U.  The test SBI (tests/unit/cpu_boot.c)
 * answers EID 0x0A000000 (exit with a0) and the standard extensions. */
#define TH_PASS 0x900d
#define EXIT_EID 0x0A000000
#define TIME_EID 0x54494D45
#define HSM_EID  0x48534D
#define RFNC_EID 0x52464E43
#define MSTATUS_SIE (1 << 1)
#define MSTATUS_SPP (1 << 8)
#define CHECK_IMM(n, r, v) li gp, n; li t6, v; bne r, t6, fail
#define CHECK_EQ(n, a, b) li gp, n; bne a, b, fail
#define SBI(eid, fid) li a7, eid; li a6, fid; ecall
    .section .text.init
    .globl _start
_start:
    j main
    .align 2
s_trap:                                 /* record scause/stval/sepc, skip */
    csrr s2, scause
    csrr s3, stval
    csrr s4, sepc
    bltz s2, 2f                         /* interrupts */
    li t4, 8                            /* ecall from U with a7 = 99: to S */
    bne s2, t4, 3f
    li t4, 99
    bne a7, t4, 3f
    li t4, MSTATUS_SPP
    csrs sstatus, t4
3:  lhu t5, 0(s4)
    andi t5, t5, 3
    li t4, 3
    addi s4, s4, 2
    bne t5, t4, 1f
    addi s4, s4, 2
1:  csrw sepc, s4
    sret
2:  addi s7, s7, 1                      /* STI: push both timers away */
    li t4, -1
    csrw stimecmp, t4
    mv t5, a0
    mv t4, a7
    mv t3, a6
    li a0, -1
    SBI(TIME_EID, 0)
    mv a0, t5
    mv a7, t4
    mv a6, t3
    sret
fail:
    mv a0, gp
    SBI(EXIT_EID, 0)
    j .
pass:
    li gp, TH_PASS
    j fail

main:
    CHECK_IMM(1, a0, 0)                 /* hartid */
    CHECK_IMM(2, a1, 0x82200000)        /* "fdt" */
    la t0, s_trap
    csrw stvec, t0
    li sp, 0x80f00000
    /* an M CSR is illegal; OpenSBI redirects that to S as such */
    li s2, -1
    csrr a0, mstatus
    CHECK_IMM(3, s2, 2)
    CHECK_IMM(4, s3, 0x30002573)        /* stval: the instruction */
    /* an SBI call: base get_spec_version */
    SBI(0x10, 0)
    CHECK_IMM(5, a0, 0)
    CHECK_IMM(6, a1, 0x01000000)
    rdtime a0
    rdcycle a1
    rdinstret a2
    li gp, 7
    beqz a0, fail
    /* misaligned loads and stores are emulated, not delivered */
    la s0, data
    li a0, 0x1122334455667788
    li s2, -1
    sd a0, 3(s0)
    ld a1, 3(s0)
    CHECK_EQ(8, a1, a0)
    lw a1, 5(s0)
    CHECK_IMM(9, a1, 0x33445566)
    lhu a1, 3(s0)
    CHECK_IMM(10, a1, 0x7788)
    CHECK_IMM(11, s2, -1)
    ld a1, 0(s0)
    CHECK_IMM(12, a1, 0x4455667788000000)
    /* a misaligned access running off RAM: the byte that faults is
     * reported, as OpenSBI's emulation redirects it */
    li t0, 0x80fffffd                   /* RAM ends at 0x81000000 */
    ld a1, 0(t0)
    CHECK_IMM(13, s2, 5)
    CHECK_IMM(14, s3, 0x81000000)
    /* U mode: ecall delegated to S; misaligned emulated; counters */
    li t0, MSTATUS_SPP
    csrc sstatus, t0
    la t0, in_u
    csrw sepc, t0
    sret
in_u:
    rdtime a0
    li s2, -1
    ecall
    CHECK_IMM(15, s2, 8)
    li s2, -1
    lw a1, 9(s0)
    CHECK_IMM(16, s2, -1)
    CHECK_IMM(17, a1, 0x00001122)
    li a7, 99                           /* back to S */
    ecall
    /* SBI timer: STIP, taken in S */
    li s7, 0
    li t0, 1 << 5
    csrs sie, t0
    rdtime a0
    addi a0, a0, 200
    SBI(TIME_EID, 0)
    li t0, MSTATUS_SIE
    csrs sstatus, t0
1:  wfi
    beqz s7, 1b
    csrc sstatus, t0
    CHECK_IMM(18, s7, 1)
    CHECK_IMM(19, s2, 0x8000000000000005)
    /* Sstc */
    li s7, 0
    rdtime a0
    addi a0, a0, 200
    csrw stimecmp, a0
    csrs sstatus, t0
2:  wfi
    beqz s7, 2b
    csrc sstatus, t0
    CHECK_IMM(20, s7, 1)
    /* HSM: hart 1 is stopped; start it twice */
    li a0, 1
    SBI(HSM_EID, 2)
    CHECK_IMM(21, a0, 0)
    CHECK_IMM(22, a1, 1)                /* STOPPED */
    li a0, 1
    la a1, secondary
    li a2, 0x1234
    SBI(HSM_EID, 0)
    CHECK_IMM(23, a0, 0)
    la s1, flags
3:  ld t1, 0(s1)
    beqz t1, 3b
    CHECK_IMM(24, t1, 0x1234 + 1)       /* opaque + hartid */
4:  li a0, 1
    SBI(HSM_EID, 2)
    li t1, 1
    bne a1, t1, 4b                      /* until STOPPED again */
    sd zero, 0(s1)
    li a0, 1
    la a1, secondary
    li a2, 0x5678
    SBI(HSM_EID, 0)
5:  ld t1, 0(s1)
    beqz t1, 5b
    CHECK_IMM(25, t1, 0x5678 + 1)
    /* retentive suspend: resumes once the timer is pending (SIE = 0) */
    li t0, 1 << 5
    csrs sie, t0
    rdtime s6
    addi a0, s6, 1000
    SBI(TIME_EID, 0)
    li a0, 0                            /* retentive */
    SBI(HSM_EID, 3)
    CHECK_IMM(26, a0, 0)
    rdtime a1
    sub a1, a1, s6
    li t0, 1000
    li gp, 27
    bltu a1, t0, fail
    li a0, -1
    SBI(TIME_EID, 0)
    /* non-retentive suspend: resumes at the given address, a0 = hartid,
     * a1 = opaque, like a hart start */
    rdtime a0
    addi a0, a0, 500
    SBI(TIME_EID, 0)
    li a0, 0x80000000                   /* non-retentive */
    la a1, resumed
    li a2, 0xabcd
    SBI(HSM_EID, 3)
    li gp, 29
    j fail                              /* never returns here */
resumed:
    CHECK_IMM(30, a0, 0)
    CHECK_IMM(31, a1, 0xabcd)
    csrr t0, sstatus
    andi t0, t0, MSTATUS_SIE
    CHECK_IMM(32, t0, 0)
    li a0, -1
    SBI(TIME_EID, 0)
    /* remote fence.i to everyone (including us) */
    li a0, 0
    li a1, -1
    SBI(RFNC_EID, 0)
    CHECK_IMM(28, a0, 0)
    j pass

secondary:                              /* a0 = hartid, a1 = opaque, S mode */
    csrr t0, sstatus                    /* S mode: allowed */
    csrr t1, satp
    bnez t1, .
    add t0, a0, a1
    la t1, flags
    sd t0, 0(t1)
    SBI(HSM_EID, 1)                     /* hart_stop: does not return */
    j .

    .data
    .align 3
data: .dword 0, 0, 0, 0
flags: .dword 0
