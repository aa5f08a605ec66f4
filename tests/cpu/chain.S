/* Links between decoded blocks in different pages (direct jumps and the
 * jalr target prediction) must not outlive the translation they were made
 * under: a remap with sfence.vma takes effect on the next jump, and links
 * made in M mode (no translation) are not followed in S mode. */
#include "test.h"
#define ROOT 0x80020000
#define L1   0x80021000
#define L0   0x80022000
#define L1B  0x80023000
#define L0B  0x80024000
#define P1   0x80030000      /* callee version 1: li a0, 1; ret */
#define P2   0x80031000      /* callee version 2: li a0, 2; ret */
#define PT   0x80032000      /* trampoline: jal x0, -4096 */
#define Q1   0x80200000      /* part 2: callee, never mapped for S */
#define QT   0x80201000      /* part 2: trampoline to Q1, mapped */
#define COPY(dst, src, n) la t0, src; li t1, dst; li t2, n; \
    1: lw t3, 0(t0); sw t3, 0(t1); addi t0, t0, 4; addi t1, t1, 4; addi t2, t2, -1; bnez t2, 1b
TEST_START
    ZERO_PAGES(ROOT, 5)
    COPY(P1, callee1, 2)
    COPY(P2, callee2, 2)
    COPY(PT, tramp, 1)
    COPY(Q1, callee1, 2)
    COPY(QT, tramp, 1)
    fence.i
    /* part 1: VA 0x40000000 = callee (P1, later P2), 0x40001000 = trampoline */
    SET_PTE(ROOT + 8 * 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    SET_PTE(ROOT + 8 * 1, L1, PTE_V)
    SET_PTE(L1, L0, PTE_V)
    SET_PTE(L0 + 8 * 0, P1, PTE_V | PTE_X | PTE_A)
    SET_PTE(L0 + 8 * 1, PT, PTE_V | PTE_X | PTE_A)
    li t0, SATP_SV39(ROOT)
    csrw satp, t0
    sfence.vma
    ENTER_MODE(1, in_s)
in_s:
    li s6, 4
    li s1, 0x40001000
2:  li a0, 0
    jalr s1                    /* -> trampoline -> callee -> back */
    CHECK_IMM(1, a0, 1)
    li a0, 0
    li t0, 0x40000000
    jalr t0                    /* the callee directly: jalr prediction */
    CHECK_IMM(2, a0, 1)
    addi s6, s6, -1
    bnez s6, 2b
    /* remap the callee page; after sfence.vma the new code runs */
    li t0, PTE(P2, PTE_V | PTE_X | PTE_A)
    li t1, L0
    sd t0, 0(t1)
    li t0, 0x40000000
    sfence.vma t0
    li a0, 0
    jalr s1
    CHECK_IMM(3, a0, 2)
    li a0, 0
    li t0, 0x40000000
    jalr t0
    CHECK_IMM(4, a0, 2)
    TO_M

    /* part 2: code at 0x80000000 mapped as a 2 MiB page, QT mapped, Q1 not */
    SET_PTE(ROOT + 8 * 2, L1B, PTE_V)
    SET_PTE(L1B, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    SET_PTE(L1B + 8, L0B, PTE_V)
    SET_PTE(L0B + 8, QT, PTE_V | PTE_X | PTE_A)
    sfence.vma
    /* in M mode (untranslated) the jumps work and get linked */
    li s6, 4
    li s1, QT
3:  li a0, 0
    jalr s1
    CHECK_IMM(5, a0, 1)
    li a0, 0
    li t0, Q1
    jalr t0
    CHECK_IMM(6, a0, 1)
    addi s6, s6, -1
    bnez s6, 3b
    /* the same code in S mode, with no TLB flush in between: Q1 is not
     * mapped, neither link may be followed */
    ENTER_MODE(1, in_s2)
in_s2:
    li a0, 0
    EXPECT_TRAP_TVAL(7, 12, Q1, jalr s1)
    CHECK_IMM(8, a0, 0)
    li t0, Q1
    EXPECT_TRAP_TVAL(9, 12, Q1, jalr t0)
    TO_M
    csrw satp, zero
    TEST_PASS

    .align 2
    .option push
    .option norvc
callee1:
    li a0, 1
    ret
callee2:
    li a0, 2
    ret
tramp:
    .word 0x800ff06f               /* jal x0, -4096 (to the page below) */
    .option pop
