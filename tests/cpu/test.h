/*
 * test.h — macros for the self-checking CPU test programs (tests/cpu/*.S).
 *
 * A program starts at _start in M mode at 0x80000000 and ends by writing
 * to the harness's exit register: TH_PASS (0x900d) when every check held,
 * otherwise the number of the failing check (kept in gp).  Expected values
 * are written in the programs.
 *
 * Register use: gp = current check number; s2/s3/s4 = cause, tval and epc
 * recorded by the standard trap handlers (which skip the trapping
 * instruction; after a fetch fault they return to ra), s5 = mstatus at an M-mode trap; a7 = 99 asks the M-mode
 * handler to return in M mode (TO_M); t0-t2, a0-a2 scratch.
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
#define EXPECT_TRAP(n, c, ...) \
    li s2, -1; __VA_ARGS__; CHECK_IMM(n, s2, c)
#define EXPECT_TRAP_TVAL(n, c, v, ...) \
    li s2, -1; __VA_ARGS__; CHECK_IMM(n, s2, c); li t6, v; bne s3, t6, fail
#define EXPECT_NO_TRAP(n, ...) \
    li s2, -1; __VA_ARGS__; CHECK_IMM(n, s2, -1)

/* Program prologue: M-mode handler = m_trap, PMP entry 0 opens all memory
 * to S and U (as firmware does), then main. */
#define TEST_START                          \
    .section .text.init;                    \
    .globl _start;                          \
_start:                                     \
    la t0, m_trap; csrw mtvec, t0;          \
    li sp, 0x80f00000;                      \
    li t0, -1; csrw pmpaddr0, t0; /* S/U: all memory */ \
    li t0, 0x1f; csrw pmpcfg0, t0;          \
    j main;                                 \
    /* standard M-mode trap handler */      \
    .align 2;                               \
m_trap:                                     \
    csrr s2, mcause;                        \
    csrr s3, mtval;                         \
    csrr s4, mepc;                          \
    csrr s5, mstatus;                       \
    li t4, 98;      /* fail/pass from any mode */ \
    beq a7, t4, report;                     \
    li t4, 99;      /* TO_M: return in M mode */ \
    bne a7, t4, 3f;                         \
    li a7, 0;                               \
    li t4, MSTATUS_MPP;                     \
    csrs mstatus, t4;                       \
3:  bltz s2, 1f;    /* interrupts: no skip */ \
    li t4, 12;      /* fetch faults: back to ra */ \
    beq s2, t4, 4f;                         \
    li t4, 1;                               \
    beq s2, t4, 4f;                         \
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
    j 1f;                                   \
4:  csrw mepc, ra;                          \
1:  mret;                                   \
    /* standard S-mode trap handler */      \
    .align 2;                               \
s_trap:                                     \
    csrr s2, scause;                        \
    csrr s3, stval;                         \
    csrr s4, sepc;                          \
    bltz s2, 1f;                            \
    li t4, 12;                              \
    beq s2, t4, 4f;                         \
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
    j 1f;                                   \
4:  csrw sepc, ra;                          \
1:  sret;                                   \
fail:       /* report from M mode, whatever the mode now */ \
    li a7, 98;                              \
    ecall;                                  \
pass:                                       \
    li gp, TH_PASS;                         \
    j fail;                                 \
report:                                     \
    li t0, TH_EXIT;                         \
    sd gp, 0(t0);                           \
    j .;                                    \
main:

#define TEST_PASS j pass

/* From S or U mode (ecall not delegated): continue in M mode after it. */
#define TO_M li a7, 99; ecall

/* Switch to privilege `mode` (0 = U, 1 = S) at label `to` (from M mode). */
#define ENTER_MODE(mode, to)                \
    li t0, MSTATUS_MPP;                     \
    csrc mstatus, t0;                       \
    li t0, (mode) << 11;                    \
    csrs mstatus, t0;                       \
    la t0, to;                              \
    csrw mepc, t0;                          \
    mret

/* Page-table entries */
#define PTE_V 0x01
#define PTE_R 0x02
#define PTE_W 0x04
#define PTE_X 0x08
#define PTE_U 0x10
#define PTE_A 0x40
#define PTE_D 0x80
#define PTE(pa, flags) ((((pa) >> 12) << 10) | (flags))
/* store a PTE value at physical address `at` */
#define SET_PTE(at, pa, flags) li t0, PTE(pa, flags); li t1, at; sd t0, 0(t1)
/* Clear n page-table pages from at (uses t0, t1 and local label 1). */
#define ZERO_PAGES(at, n) li t0, at; li t1, (at) + (n) * 4096; \
    1: sd zero, 0(t0); addi t0, t0, 8; bltu t0, t1, 1b
#define SATP_SV39(root) ((8 << 60) | ((root) >> 12))
#define SATP_SV48(root) ((9 << 60) | ((root) >> 12))
