/* F and D as the hart runs them: NaN boxing, rounding-mode selection
 * (static and dynamic), fcvt saturation, fclass, exception flags, FS. */
#include "test.h"
#define ONE_S  0x3f800000
#define TWO5_S 0x40200000        /* 2.5f */
#define M25_S  0xc0200000        /* -2.5f */
#define QNAN_S 0x7fc00000
#define SNAN_S 0x7f800001
#define INF_S  0x7f800000
#define ONE_D  0x3ff0000000000000
#define FLAGS_CHECK(n, v) frflags a0; CHECK_IMM(n, a0, v); fsflags zero
TEST_START
    li t0, MSTATUS_FS
    csrs mstatus, t0
    fsflags zero
    /* NaN boxing */
    li a0, ONE_S
    fmv.w.x fa0, a0
    fmv.x.d a1, fa0
    CHECK_IMM(1, a1, 0xffffffff3f800000)
    la s0, data
    sw a0, 0(s0)
    flw fa1, 0(s0)
    fmv.x.d a1, fa1
    CHECK_IMM(2, a1, 0xffffffff3f800000)
    li a2, 0x000000003f800000            /* not boxed: reads as canonical NaN */
    fmv.d.x fa2, a2
    fadd.s fa3, fa2, fa0
    fmv.x.d a1, fa3
    CHECK_IMM(3, a1, 0xffffffff7fc00000)
    fclass.s a1, fa2
    CHECK_IMM(4, a1, 0x200)              /* quiet NaN */
    fsw fa2, 4(s0)                       /* stores the raw low bits */
    lw a1, 4(s0)
    CHECK_IMM(5, a1, 0x3f800000)
    fmv.x.w a1, fa2                      /* raw low bits, sign-extended */
    CHECK_IMM(6, a1, 0x3f800000)
    li a2, 0xffffffff80000000
    fmv.w.x fa2, a2
    fmv.x.w a1, fa2
    CHECK_IMM(7, a1, 0xffffffff80000000)
    fsgnjn.s fa4, fa0, fa0               /* -1.0 */
    fmv.x.w a1, fa4
    CHECK_IMM(8, a1, 0xffffffffbf800000)
    /* fclass */
    li a2, INF_S
    fmv.w.x fa2, a2
    fclass.s a1, fa2
    CHECK_IMM(9, a1, 0x80)
    li a2, SNAN_S
    fmv.w.x fa2, a2
    fclass.s a1, fa2
    CHECK_IMM(10, a1, 0x100)
    fmv.w.x fa2, zero
    fclass.s a1, fa2
    CHECK_IMM(11, a1, 0x10)
    fclass.s a1, fa4
    CHECK_IMM(12, a1, 0x02)
    li a2, 0x8000000000000001            /* negative subnormal double */
    fmv.d.x fa2, a2
    fclass.d a1, fa2
    CHECK_IMM(13, a1, 0x04)
    FLAGS_CHECK(14, 0)
    /* rounding modes: 2.5 and -2.5 to int */
    li a2, TWO5_S
    fmv.w.x fa2, a2
    li a3, M25_S
    fmv.w.x fa3, a3
    fcvt.w.s a1, fa2, rne
    CHECK_IMM(15, a1, 2)
    fcvt.w.s a1, fa2, rup
    CHECK_IMM(16, a1, 3)
    fcvt.w.s a1, fa2, rdn
    CHECK_IMM(17, a1, 2)
    fcvt.w.s a1, fa2, rtz
    CHECK_IMM(18, a1, 2)
    fcvt.w.s a1, fa2, rmm
    CHECK_IMM(19, a1, 3)
    fcvt.w.s a1, fa3, rne
    CHECK_IMM(20, a1, -2)
    fcvt.w.s a1, fa3, rdn
    CHECK_IMM(21, a1, -3)
    fcvt.w.s a1, fa3, rup
    CHECK_IMM(22, a1, -2)
    fcvt.w.s a1, fa3, rmm
    CHECK_IMM(23, a1, -3)
    FLAGS_CHECK(24, 1)                   /* inexact */
    /* dynamic: frm */
    fsrmi 3                              /* RUP */
    fcvt.w.s a1, fa2
    CHECK_IMM(25, a1, 3)
    fsrmi 2                              /* RDN */
    fcvt.w.s a1, fa3
    CHECK_IMM(26, a1, -3)
    fsrmi 0
    fsflags zero
    /* saturation */
    li a2, QNAN_S
    fmv.w.x fa2, a2
    fcvt.w.s a1, fa2
    CHECK_IMM(27, a1, 0x7fffffff)
    FLAGS_CHECK(28, 0x10)
    li a2, 0xcf800000                    /* -2^32 */
    fmv.w.x fa2, a2
    fcvt.w.s a1, fa2
    CHECK_IMM(29, a1, 0xffffffff80000000)
    fcvt.wu.s a1, fa2
    CHECK_IMM(30, a1, 0)
    fcvt.lu.s a1, fa4                    /* -1.0 -> 0, invalid */
    CHECK_IMM(31, a1, 0)
    FLAGS_CHECK(32, 0x10)
    li a2, 0x4f7fffff                    /* 4294967040.0: fits in 32 bits unsigned */
    fmv.w.x fa2, a2
    fcvt.wu.s a1, fa2                    /* result sign-extended from bit 31 */
    CHECK_IMM(33, a1, 0xffffffffffffff00)
    li a2, INF_S
    fmv.w.x fa2, a2
    fcvt.l.s a1, fa2
    CHECK_IMM(34, a1, 0x7fffffffffffffff)
    fcvt.lu.s a1, fa2
    CHECK_IMM(35, a1, -1)
    FLAGS_CHECK(36, 0x10)
    /* flags: divide by zero, invalid, inexact; they accumulate */
    li a2, ONE_D
    fmv.d.x fa2, a2
    fmv.d.x fa3, zero
    fdiv.d fa5, fa2, fa3
    FLAGS_CHECK(37, 0x08)
    fdiv.d fa5, fa3, fa3
    fmv.x.d a1, fa5
    CHECK_IMM(38, a1, 0x7ff8000000000000)       /* canonical NaN */
    fcvt.d.w fa3, zero
    li a1, 3
    fcvt.d.w fa3, a1
    fdiv.d fa5, fa2, fa3
    frflags a0
    CHECK_IMM(39, a0, 0x11)              /* NV from 0/0 plus NX */
    fsflags zero
    /* compares: feq quiet (NV only for sNaN), flt signaling */
    li a2, QNAN_S
    fmv.w.x fa2, a2
    feq.s a1, fa2, fa0
    CHECK_IMM(40, a1, 0)
    FLAGS_CHECK(41, 0)
    flt.s a1, fa2, fa0
    FLAGS_CHECK(42, 0x10)
    fle.s a1, fa4, fa0
    CHECK_IMM(43, a1, 1)
    /* fmin/fmax: NaN loses, -0 < +0 */
    fmin.s fa5, fa2, fa0
    fmv.x.w a1, fa5
    CHECK_IMM(44, a1, ONE_S)
    li a2, 0x80000000
    fmv.w.x fa2, a2
    fmv.w.x fa3, zero
    fmin.s fa5, fa3, fa2
    fmv.x.w a1, fa5
    CHECK_IMM(45, a1, 0xffffffff80000000)
    fmax.s fa5, fa2, fa3
    fmv.x.w a1, fa5
    CHECK_IMM(46, a1, 0)
    /* fused multiply-add: 1*1+1 = 2, -(1*1)-1 = -2 */
    fmadd.s fa5, fa0, fa0, fa0
    fmv.x.w a1, fa5
    CHECK_IMM(47, a1, 0x40000000)
    fnmadd.s fa5, fa0, fa0, fa0
    fmv.x.w a1, fa5
    CHECK_IMM(48, a1, 0xffffffffc0000000)
    /* conversions between formats */
    fcvt.d.s fa5, fa0
    fmv.x.d a1, fa5
    CHECK_IMM(49, a1, ONE_D)
    fcvt.s.d fa5, fa5
    fmv.x.d a1, fa5
    CHECK_IMM(50, a1, 0xffffffff3f800000)
    li a1, -7
    fcvt.s.l fa5, a1
    fcvt.l.s a2, fa5
    CHECK_IMM(51, a2, -7)
    fcvt.s.wu fa5, a1                    /* 0xfffffff9 unsigned */
    fmv.x.w a2, fa5
    CHECK_IMM(52, a2, 0x4f800000)        /* 4294967296.0 after rounding */
    /* fsqrt */
    li a1, 0x4010000000000000            /* 4.0 */
    fmv.d.x fa5, a1
    fsqrt.d fa5, fa5
    fmv.x.d a2, fa5
    CHECK_IMM(53, a2, 0x4000000000000000)
    fsflags zero
    /* reserved rounding mode 6 (static) is illegal, 7 uses frm */
    EXPECT_TRAP(54, 2, .word 0x00006053)  /* fadd.s f0, f0, f0, rm=6 */
    fsrmi 6
    EXPECT_TRAP(55, 2, fadd.d fa5, fa0, fa0) /* dyn with frm = 6 */
    EXPECT_NO_TRAP(56, fsgnj.s fa5, fa0, fa0)   /* no rm field */
    fsrmi 0
    /* FS: Clean after setting, Dirty after an FP write; Off traps */
    li t0, MSTATUS_FS
    csrc mstatus, t0
    li t0, 2 << 13                       /* Clean */
    csrs mstatus, t0
    fmv.x.w a1, fa0                      /* reads only */
    csrr a1, mstatus
    li t0, MSTATUS_FS
    and a1, a1, t0
    CHECK_IMM(57, a1, 2 << 13)
    fadd.s fa5, fa0, fa0
    csrr a1, mstatus
    and a1, a1, t0
    CHECK_IMM(58, a1, 3 << 13)
    csrc mstatus, t0
    EXPECT_TRAP(59, 2, flw fa0, 0(s0))
    EXPECT_TRAP(60, 2, fmv.x.d a0, fa0)
    EXPECT_TRAP(61, 2, fsd fa0, 0(s0))
    TEST_PASS

    .data
    .align 3
data: .dword 0, 0
