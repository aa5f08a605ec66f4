/* CSRs: access rules (privilege, read-only, counter enables, FS), WARL
 * fields and the values of the identification registers. */
#include "test.h"
TEST_START
    /* misa: RV64 (MXL=2) with A C D F I M S U; writes ignored */
    csrr a0, misa
    CHECK_IMM(1, a0, 0x800000000014112d)
    csrw misa, zero
    csrr a0, misa
    CHECK_IMM(2, a0, 0x800000000014112d)
    csrr a0, mhartid
    CHECK_IMM(3, a0, 0)
    /* read-only CSRs: a write is illegal, csrrs with x0 is a plain read */
    EXPECT_TRAP_TVAL(4, 2, 0xf1401073, csrw mhartid, zero)
    EXPECT_NO_TRAP(5, csrrs a0, mhartid, zero)
    EXPECT_TRAP(6, 2, csrrsi a0, mvendorid, 1)
    EXPECT_NO_TRAP(7, csrrsi a0, mvendorid, 0)
    EXPECT_TRAP(8, 2, csrw cycle, zero)
    EXPECT_TRAP(9, 2, csrw time, zero)
    /* unimplemented CSRs are illegal; so are odd pmpcfg on RV64 */
    EXPECT_TRAP(10, 2, csrr a0, 0x7c0)
    EXPECT_TRAP(11, 2, csrr a0, pmpcfg1)
    EXPECT_TRAP(12, 2, csrr a0, 0x310)          /* mstatush: RV32 only */
    EXPECT_NO_TRAP(13, csrr a0, pmpcfg2)
    EXPECT_NO_TRAP(14, csrr a0, mhpmcounter3)
    /* mstatus: UXL = SXL = 2 (64-bit), MPP=2 (reserved) keeps the old */
    csrr a0, mstatus
    li t0, 0xf00000000
    and a1, a0, t0
    CHECK_IMM(15, a1, 0xa00000000)
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, 1 << 11
    csrs mstatus, t0                            /* MPP = S */
    li t0, MSTATUS_MPP
    csrc mstatus, t0
    li t0, 2 << 11                              /* MPP = 2: reserved */
    csrs mstatus, t0
    csrr a0, mstatus
    and a0, a0, t0
    li t1, MSTATUS_MPP
    and a0, a0, t1
    CHECK_IMM(16, a0, 0)                        /* unchanged (U) */
    /* FS: off -> FP CSRs illegal; on -> usable, SD follows Dirty */
    li t0, MSTATUS_FS
    csrc mstatus, t0
    EXPECT_TRAP(17, 2, csrr a0, fcsr)
    EXPECT_TRAP(18, 2, frflags a0)
    EXPECT_TRAP(19, 2, fadd.d fa0, fa0, fa0)
    li t0, 1 << 13                              /* Initial */
    csrs mstatus, t0
    csrr a0, mstatus
    srli a1, a0, 63
    slli a1, a1, 63
    li t0, MSTATUS_FS
    and a0, a0, t0
    or a0, a0, a1
    CHECK_IMM(20, a0, 0x2000)                   /* FS Initial, SD clear */
    li a1, 0xff
    csrw fcsr, a1
    csrr a0, fcsr
    CHECK_IMM(21, a0, 0xff)
    csrr a0, frm
    CHECK_IMM(22, a0, 7)
    csrr a0, fflags
    CHECK_IMM(23, a0, 0x1f)
    csrr a0, mstatus
    srli a0, a0, 63
    CHECK_IMM(24, a0, 1)                        /* SD: FS Dirty */
    csrwi fflags, 0
    csrwi frm, 1
    csrr a0, fcsr
    CHECK_IMM(25, a0, 0x20)
    /* dynamic rounding with frm >= 5 is illegal, a static rm is fine */
    csrwi frm, 5
    EXPECT_TRAP(26, 2, fadd.d fa0, fa0, fa0)
    EXPECT_NO_TRAP(27, fadd.d fa0, fa0, fa0, rne)
    csrwi frm, 0
    /* tvec: mode 2/3 reserved -> direct */
    la t0, m_trap
    ori t1, t0, 2
    csrw mtvec, t1
    csrr a0, mtvec
    CHECK_EQ(28, a0, t0)
    ori t1, t0, 1
    csrw stvec, t1
    csrr a0, stvec
    CHECK_EQ(29, a0, t1)
    /* mideleg: only S interrupts; mie: S and M bits */
    li t0, -1
    csrw mideleg, t0
    csrr a0, mideleg
    CHECK_IMM(30, a0, 0x222)
    csrw mie, t0
    csrr a0, mie
    CHECK_IMM(31, a0, 0xaaa)
    csrr a0, sie                                /* sie = mie & mideleg */
    CHECK_IMM(32, a0, 0x222)
    csrw sie, zero
    csrr a0, mie
    CHECK_IMM(33, a0, 0x888)
    csrw mie, zero
    csrw mideleg, zero
    /* mepc/sepc: bit 0 reads 0 */
    li t0, 0x80000003
    csrw mepc, t0
    csrr a0, mepc
    CHECK_IMM(34, a0, 0x80000002)
    /* satp: unsupported modes are ignored, Sv39/Sv48 accepted */
    li t0, 10 << 60                             /* Sv57 */
    csrw satp, t0
    csrr a0, satp
    CHECK_IMM(35, a0, 0)
    li t0, (9 << 60) | 0x12345
    csrw satp, t0
    csrr a0, satp
    CHECK_EQ(36, a0, t0)
    csrw satp, zero
    /* counters: cycle/instret advance; minstret writes are seen */
    rdinstret a0
    nop
    nop
    rdinstret a1
    sub a1, a1, a0
    CHECK_IMM(37, a1, 3)                        /* nop, nop, rdinstret */
    li t0, 1000
    csrw minstret, t0
    rdinstret a0
    CHECK_IMM(38, a0, 1000)
    rdcycle a0
    rdtime a1
    rdtime a2
    li gp, 39
    bltu a2, a1, fail
    /* counter enables: S needs mcounteren, U also scounteren */
    csrw mcounteren, zero
    csrw scounteren, zero
    ENTER_MODE(1, s1)
s1: EXPECT_TRAP(40, 2, rdtime a0)
    EXPECT_TRAP(41, 2, rdcycle a0)
    EXPECT_TRAP(42, 2, csrr a0, hpmcounter3)
    TO_M
    li t0, 2
    csrw mcounteren, t0                         /* TM only */
    ENTER_MODE(1, s2)
s2: EXPECT_NO_TRAP(43, rdtime a0)
    EXPECT_TRAP(44, 2, rdinstret a0)
    /* stimecmp: needs menvcfg.STCE (clear) */
    EXPECT_TRAP(45, 2, csrr a0, stimecmp)
    TO_M
    ENTER_MODE(0, u1)
u1: EXPECT_TRAP(46, 2, rdtime a0)               /* scounteren.TM = 0 */
    TO_M
    li t0, 2
    csrw scounteren, t0
    ENTER_MODE(0, u2)
u2: EXPECT_NO_TRAP(47, rdtime a0)
    EXPECT_TRAP(48, 2, rdcycle a0)
    TO_M
    /* Sstc: with STCE set, S can use stimecmp (if mcounteren.TM) */
    li t0, 1
    slli t0, t0, 63
    csrs menvcfg, t0
    csrr a0, menvcfg
    CHECK_EQ(49, a0, t0)
    ENTER_MODE(1, s3)
s3: li a1, -1
    EXPECT_NO_TRAP(50, csrw stimecmp, a1)
    csrr a0, stimecmp
    CHECK_IMM(51, a0, -1)
    TO_M
    csrw mcounteren, zero
    ENTER_MODE(1, s4)
s4: EXPECT_TRAP(52, 2, csrr a0, stimecmp)        /* mcounteren.TM = 0 */
    TO_M
    /* PMP: WARL storage, 16 entries, locked entries stay */
    li t0, -1
    csrw pmpaddr0, t0
    csrr a0, pmpaddr0
    CHECK_IMM(53, a0, 0x003fffffffffffff)
    csrw pmpaddr15, t0
    csrr a0, pmpaddr15
    CHECK_IMM(54, a0, 0x003fffffffffffff)
    csrw pmpaddr16, t0
    csrr a0, pmpaddr16
    CHECK_IMM(55, a0, 0)
    li t0, 0x1f0f                               /* entry 0: NAPOT RWX, entry 1: TOR RWX */
    csrw pmpcfg0, t0
    csrr a0, pmpcfg0
    CHECK_IMM(56, a0, 0x1f0f)
    li t0, 0x82                                 /* W without R: W dropped */
    csrw pmpcfg2, t0
    csrr a0, pmpcfg2
    CHECK_IMM(57, a0, 0x80)
    csrw pmpcfg2, zero                          /* entry 8 locked */
    csrr a0, pmpcfg2
    CHECK_IMM(58, a0, 0x80)
    li t0, 0x1234
    csrw pmpaddr8, t0
    csrr a0, pmpaddr8
    CHECK_IMM(59, a0, 0)                        /* locked: unchanged */
    /* Sdtrig without triggers: tselect 0 selects none (tdata1 type 0) */
    li t0, 3
    csrw tselect, t0
    csrr a0, tselect
    CHECK_IMM(60, a0, 0)
    li t0, (2 << 60) | (1 << 6) | (1 << 2)      /* mcontrol, M, execute */
    csrw tdata1, t0
    csrr a0, tdata1
    CHECK_IMM(61, a0, 0)
    csrr a0, tinfo
    CHECK_IMM(62, a0, 1)
    TEST_PASS
