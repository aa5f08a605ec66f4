/*
 * test.h — macros for the self-checking CPU test programs (tests/cpu/*.S).
 *
 * A program starts at _start in M mode at 0x80000000 and ends by writing
 * to the harness's exit register: TH_PASS (0x900d) when every check held,
 * otherwise the number of the failing check (kept in gp).  Expected values
 * are written in the programs.
 *
 * Register use: gp = current check number; s2/s3/s4/s5 = mcause, mtval,
 * mepc and privilege recorded by the standard trap handlers (which skip the
 * trapping instruction); t0-t2, a0-a2 scratch.
 */
#define TH_EXIT   0x00100000
#define TH_PUTC   0x00100008
#define TH_IRQ    0x00100010
#define TH_CLINT  0x02000000
#define TH_MTIMECMP 0x02004000
#define TH_MTIME  0x0200bff8
#define TH_PASS   0x900d

#define MSTATUS_SIE  (1 << 1)
#define MSTATUS_MIE  (1 << 3)
#define MSTATUS_SPIE (1 << 5)
#define MSTATUS_MPIE (1 << 7)
#define MSTATUS_SPP  (1 << 8)
#define MSTATUS_MPP  (3 << 11)
#define MSTATUS_FS   (3 << 13)
#define MSTATUS_MPRV (1 << 17)
#define MSTATUS_SUM  (1 << 18)
#define MSTATUS_MXR  (1 << 19)
#define MSTATUS_TVM  (1 << 20)
#define MSTATUS_TW   (1 << 21)
#define MSTATUS_TSR  (1 << 22)

/* the check number, then fail unless a == b */
#define CHECK_EQ(n, a, b) li gp, n; bne a, b, fail
/* compare register r with an immediate value */
#define CHECK_IMM(n, r, v) li gp, n; li t6, v; bne r, t6, fail

/* op a0, a1, a2 with a1 = v1, a2 = v2; expect a0 == res */
#define TEST_RR(n, op, res, v1, v2) \
    li a1, v1; li a2, v2; op a0, a1, a2; CHECK_IMM(n, a0, res)
/* op a0, a1, imm */
#define TEST_RI(n, op, res, v1, imm) \
    li a1, v1; op a0, a1, imm; CHECK_IMM(n, a0, res)

/* Expect `insn` to trap with mcause c (and mtval v): the standard M-mode
 * handler records them and skips the instruction. */
#define EXPECT_TRAP(n, c, insn) \
    li s2, -1; insn; CHECK_IMM(n, s2, c)
#define EXPECT_TRAP_TVAL(n, c, v, insn) \
    li s2, -1; insn; CHECK_IMM(n, s2, c); li t6, v; bne s3, t6, fail
#define EXPECT_NO_TRAP(n, insn) \
    li s2, -1; insn; CHECK_IMM(n, s2, -1)

/* Program prologue: M-mode handler = record_trap, then fall into main. */
#define TEST_START                          \
    .section .text.init;                    \
    .globl _start;                          \
_start:                                     \
    la t0, m_trap; csrw mtvec, t0;          \
    li sp, 0x80f00000;                      \
    j main;                                 \
    /* standard M-mode trap handler */      \
    .align 2;                               \
m_trap:                                     \
    csrr s2, mcause;                        \
    csrr s3, mtval;                         \
    csrr s4, mepc;                          \
    csrr s5, mstatus;                       \
    bltz s2, 1f;    /* interrupts: no skip */ \
    lhu t5, 0(s4);  /* skip the instruction */ \
    andi t5, t5, 3;                         \
    li t4, 3;                               \
    addi s4, s4, 2;                         \
    bne t5, t4, 2f;                         \
    addi s4, s4, 2;                         \
2:  csrw mepc, s4;                          \
    addi s4, s4, -2;                        \
    bne t5, t4, 1f;                         \
    addi s4, s4, -2;                        \
1:  mret;                                   \
    /* standard S-mode trap handler */      \
    .align 2;                               \
s_trap:                                     \
    csrr s2, scause;                        \
    csrr s3, stval;                         \
    csrr s4, sepc;                          \
    bltz s2, 1f;                            \
    lhu t5, 0(s4);                          \
    andi t5, t5, 3;                         \
    li t4, 3;                               \
    addi s4, s4, 2;                         \
    bne t5, t4, 2f;                         \
    addi s4, s4, 2;                         \
2:  csrw sepc, s4;                          \
    addi s4, s4, -2;                        \
    bne t5, t4, 1f;                         \
    addi s4, s4, -2;                        \
1:  sret;                                   \
fail:                                       \
    li t0, TH_EXIT;                         \
    sd gp, 0(t0);                           \
    j .;                                    \
pass:                                       \
    li t0, TH_EXIT;                         \
    li t1, TH_PASS;                         \
    sd t1, 0(t0);                           \
    j .;                                    \
main:

#define TEST_PASS j pass

/* Switch to privilege `mode` (0 = U, 1 = S) at label `to` (from M mode). */
#define ENTER_MODE(mode, to)                \
    li t0, MSTATUS_MPP;                     \
    csrc mstatus, t0;                       \
    li t0, (mode) << 11;                    \
    csrs mstatus, t0;                       \
    la t0, to;                              \
    csrw mepc, t0;                          \
    mret
