/*
 * cpu_fpu.c — the F/D arithmetic on hand-picked cases, with expected bit
 * patterns and flags derived from the RISC-V spec and IEEE 754-2008 (the
 * reasoning is in the comments).  cpu_fpu_mpfr.c adds random coverage.
 *
 * Every case runs twice: with the flags word empty and with NX already set
 * (which takes the host fast path), so both paths are held to the table.
 */
#include <fenv.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>

#include "cpu/fpu.h"

enum op {
    ADD, SUB, MUL, DIV, SQRT, MADD, MSUB, NMSUB, NMADD, MIN, MAX, EQ, LT, LE, CLASS,
    SGNJ, SGNJN, SGNJX, CVT_W, CVT_WU, CVT_L, CVT_LU, FROM_W, FROM_WU, FROM_L, FROM_LU,
    NARROW, /* fcvt.s.d: operand double, result single */
    WIDEN,  /* fcvt.d.s: operand single, result double */
};
static const char *const op_name[] = {
    "add", "sub", "mul", "div", "sqrt", "madd", "msub", "nmsub", "nmadd", "min", "max", "eq",
    "lt", "le", "class", "sgnj", "sgnjn", "sgnjx", "cvt.w", "cvt.wu", "cvt.l", "cvt.lu",
    "cvt.from.w", "cvt.from.wu", "cvt.from.l", "cvt.from.lu", "cvt.s.d", "cvt.d.s",
};

struct tcase { enum op op; uint64_t a, b, c; int rm; uint64_t want; unsigned fl; int line; };

#define RNE FPU_RNE
#define RTZ FPU_RTZ
#define RDN FPU_RDN
#define RUP FPU_RUP
#define RMM FPU_RMM
#define NX FPU_NX
#define UF FPU_UF
#define OF FPU_OF
#define DZ FPU_DZ
#define NV FPU_NV

#define T(op, a, b, c, rm, want, fl) { op, a, b, c, rm, want, fl, __LINE__ }
/* the same operation in all five modes: RNE, RTZ, RDN, RUP, RMM */
#define T5(op, a, b, c, w0, f0, w1, f1, w2, f2, w3, f3, w4, f4) \
    T(op, a, b, c, RNE, w0, f0), T(op, a, b, c, RTZ, w1, f1), T(op, a, b, c, RDN, w2, f2), \
    T(op, a, b, c, RUP, w3, f3), T(op, a, b, c, RMM, w4, f4)
/* an exact result, the same in all modes */
#define TX(op, a, b, c, want, fl) T5(op, a, b, c, want, fl, want, fl, want, fl, want, fl, want, fl)

/* binary64 constants */
#define D_ZERO   UINT64_C(0x0000000000000000)
#define D_NZERO  UINT64_C(0x8000000000000000)
#define D_ONE    UINT64_C(0x3ff0000000000000)
#define D_NONE   UINT64_C(0xbff0000000000000)
#define D_TWO    UINT64_C(0x4000000000000000)
#define D_NTWO   UINT64_C(0xc000000000000000)
#define D_THREE  UINT64_C(0x4008000000000000)
#define D_FOUR   UINT64_C(0x4010000000000000)
#define D_HALF   UINT64_C(0x3fe0000000000000)
#define D_INF    UINT64_C(0x7ff0000000000000)
#define D_NINF   UINT64_C(0xfff0000000000000)
#define D_QNAN   UINT64_C(0x7ff8000000000000)   /* canonical */
#define D_QNANP  UINT64_C(0xfff8000000000123)   /* quiet, payload, negative */
#define D_SNAN   UINT64_C(0x7ff0000000000001)
#define D_MAX    UINT64_C(0x7fefffffffffffff)
#define D_NMAX   UINT64_C(0xffefffffffffffff)
#define D_MINN   UINT64_C(0x0010000000000000)   /* 2^-1022 */
#define D_MAXSUB UINT64_C(0x000fffffffffffff)
#define D_MINSUB UINT64_C(0x0000000000000001)   /* 2^-1074 */
#define D_NMINSUB UINT64_C(0x8000000000000001)

/* binary32 constants */
#define S_ZERO   0x00000000u
#define S_NZERO  0x80000000u
#define S_ONE    0x3f800000u
#define S_NONE   0xbf800000u
#define S_TWO    0x40000000u
#define S_THREE  0x40400000u
#define S_FIVE   0x40a00000u
#define S_HALF   0x3f000000u
#define S_INF    0x7f800000u
#define S_NINF   0xff800000u
#define S_QNAN   0x7fc00000u
#define S_QNANP  0xffc00abcu
#define S_SNAN   0x7f800001u
#define S_MAX    0x7f7fffffu
#define S_NMAX   0xff7fffffu
#define S_MINN   0x00800000u
#define S_MAXSUB 0x007fffffu
#define S_MINSUB 0x00000001u

static const struct tcase dcases[] = {
    /* ---- rounding of ties and near-ties: 1 + 2^-53 lies halfway between
     * 1 and 1 + 2^-52; RNE picks the even one (1), RMM the larger. */
    T5(ADD, D_ONE, UINT64_C(0x3ca0000000000000), 0,
       D_ONE, NX, D_ONE, NX, D_ONE, NX, D_ONE + 1, NX, D_ONE + 1, NX),
    /* (1 + 2^-52) + 2^-53: halfway between an odd and an even significand */
    T5(ADD, D_ONE + 1, UINT64_C(0x3ca0000000000000), 0,
       D_ONE + 2, NX, D_ONE + 1, NX, D_ONE + 1, NX, D_ONE + 2, NX, D_ONE + 2, NX),
    /* negative tie: RDN/RMM go away from zero, RUP/RTZ/RNE toward */
    T5(ADD, D_NONE, UINT64_C(0xbca0000000000000), 0,
       D_NONE, NX, D_NONE, NX, D_NONE + 1, NX, D_NONE, NX, D_NONE + 1, NX),
    /* just above the tie (2^-53 * (1 + 2^-52)): nearest is up in RNE and RMM */
    T5(ADD, D_ONE, UINT64_C(0x3ca0000000000001), 0,
       D_ONE + 1, NX, D_ONE, NX, D_ONE, NX, D_ONE + 1, NX, D_ONE + 1, NX),
    /* just below the tie: nearest is down, also in RMM */
    T5(ADD, D_ONE, UINT64_C(0x3c9fffffffffffff), 0,
       D_ONE, NX, D_ONE, NX, D_ONE, NX, D_ONE + 1, NX, D_ONE, NX),
    /* sub: 1 - 2^-54 is a tie between 1 - 2^-53 and 1 */
    T5(SUB, D_ONE, UINT64_C(0x3c90000000000000), 0,
       D_ONE, NX, UINT64_C(0x3fefffffffffffff), NX, UINT64_C(0x3fefffffffffffff), NX, D_ONE, NX, D_ONE, NX),
    /* exact results raise nothing */
    TX(ADD, D_ONE, D_TWO, 0, D_THREE, 0),
    TX(MUL, D_TWO, D_TWO, 0, D_FOUR, 0),
    TX(DIV, D_ONE, D_TWO, 0, D_HALF, 0),
    /* 1/3 = 0x3fd5555555555555 + 1/3 ulp: RUP rounds up */
    T5(DIV, D_ONE, D_THREE, 0, UINT64_C(0x3fd5555555555555), NX, UINT64_C(0x3fd5555555555555), NX,
       UINT64_C(0x3fd5555555555555), NX, UINT64_C(0x3fd5555555555556), NX, UINT64_C(0x3fd5555555555555), NX),
    /* -1/3: RDN goes away from zero */
    T5(DIV, D_NONE, D_THREE, 0, UINT64_C(0xbfd5555555555555), NX, UINT64_C(0xbfd5555555555555), NX,
       UINT64_C(0xbfd5555555555556), NX, UINT64_C(0xbfd5555555555555), NX, UINT64_C(0xbfd5555555555555), NX),

    /* ---- signed zeros of exact sums: +0 except in RDN */
    T5(ADD, D_ZERO, D_NZERO, 0, D_ZERO, 0, D_ZERO, 0, D_NZERO, 0, D_ZERO, 0, D_ZERO, 0),
    T5(SUB, D_ONE, D_ONE, 0, D_ZERO, 0, D_ZERO, 0, D_NZERO, 0, D_ZERO, 0, D_ZERO, 0),
    TX(ADD, D_NZERO, D_NZERO, 0, D_NZERO, 0),
    TX(MUL, D_NZERO, D_ONE, 0, D_NZERO, 0),

    /* ---- overflow: infinity or the largest finite value by direction */
    T5(ADD, D_MAX, D_MAX, 0, D_INF, OF | NX, D_MAX, OF | NX, D_MAX, OF | NX, D_INF, OF | NX, D_INF, OF | NX),
    T5(ADD, D_NMAX, D_NMAX, 0, D_NINF, OF | NX, D_NMAX, OF | NX, D_NINF, OF | NX, D_NMAX, OF | NX, D_NINF, OF | NX),
    /* max + half an ulp (2^970): a tie between max (odd) and 2^1024; RNE and
     * RMM round up and overflow, RTZ/RDN stay at max without overflow */
    T5(ADD, D_MAX, UINT64_C(0x7c90000000000000), 0,
       D_INF, OF | NX, D_MAX, NX, D_MAX, NX, D_INF, OF | NX, D_INF, OF | NX),
    /* max + a quarter ulp: only RUP overflows */
    T5(ADD, D_MAX, UINT64_C(0x7c80000000000000), 0,
       D_MAX, NX, D_MAX, NX, D_MAX, NX, D_INF, OF | NX, D_MAX, NX),
    T5(MUL, D_MAX, D_NTWO, 0, D_NINF, OF | NX, D_NMAX, OF | NX, D_NINF, OF | NX, D_NMAX, OF | NX, D_NINF, OF | NX),
    /* 2^1023 / 2^-1 overflows */
    T5(DIV, UINT64_C(0x7fe0000000000000), D_HALF, 0,
       D_INF, OF | NX, D_MAX, OF | NX, D_MAX, OF | NX, D_INF, OF | NX, D_INF, OF | NX),

    /* ---- underflow, tininess after rounding.
     * (2^27-1)*2^-538 * (2^27+1)*2^-538 = 2^-1022 * (1 - 2^-54).  Rounded to
     * 53 bits with unbounded exponent it is a tie that RNE/RMM/RUP round up
     * to 2^-1022: not tiny, so only NX.  RTZ/RDN keep it below 2^-1022:
     * tiny and inexact, UF, and the result is the largest subnormal. */
    T5(MUL, UINT64_C(0x1ffffffffc000000), UINT64_C(0x2000000002000000), 0,
       D_MINN, NX, D_MAXSUB, UF | NX, D_MAXSUB, UF | NX, D_MINN, NX, D_MINN, NX),
    /* 2^-1022 * (1 - 2^-53) is exactly representable with 53 bits but below
     * 2^-1022: tiny.  At subnormal precision it is a tie between the largest
     * subnormal (odd) and 2^-1022 (even): RNE gives 2^-1022, yet UF. */
    T5(MUL, D_MINN, UINT64_C(0x3fefffffffffffff), 0,
       D_MINN, UF | NX, D_MAXSUB, UF | NX, D_MAXSUB, UF | NX, D_MINN, UF | NX, D_MINN, UF | NX),
    /* exact subnormal results raise nothing */
    TX(DIV, D_MINN, D_TWO, 0, UINT64_C(0x0008000000000000), 0),
    TX(SUB, UINT64_C(0x0010000000000001), D_MINN, 0, D_MINSUB, 0),
    /* half the smallest subnormal: a tie between 0 and 2^-1074 */
    T5(MUL, D_MINSUB, D_HALF, 0, D_ZERO, UF | NX, D_ZERO, UF | NX, D_ZERO, UF | NX, D_MINSUB, UF | NX, D_MINSUB, UF | NX),
    T5(MUL, D_NMINSUB, D_HALF, 0, D_NZERO, UF | NX, D_NZERO, UF | NX, D_NMINSUB, UF | NX, D_NZERO, UF | NX, D_NMINSUB, UF | NX),
    /* 2^-1074 / 3: below half, RMM rounds to zero too */
    T5(DIV, D_MINSUB, D_THREE, 0, D_ZERO, UF | NX, D_ZERO, UF | NX, D_ZERO, UF | NX, D_MINSUB, UF | NX, D_ZERO, UF | NX),
    /* 3 * 2^-1074 / 2 = 1.5 * 2^-1074: a tie in a division (subnormal) */
    T5(DIV, UINT64_C(0x0000000000000003), D_TWO, 0,
       UINT64_C(2), UF | NX, D_MINSUB, UF | NX, D_MINSUB, UF | NX, UINT64_C(2), UF | NX, UINT64_C(2), UF | NX),

    /* ---- invalid, divide by zero */
    TX(DIV, D_ZERO, D_ZERO, 0, D_QNAN, NV),
    TX(DIV, D_INF, D_NINF, 0, D_QNAN, NV),
    TX(SUB, D_INF, D_INF, 0, D_QNAN, NV),
    TX(ADD, D_INF, D_NINF, 0, D_QNAN, NV),
    TX(ADD, D_INF, D_INF, 0, D_INF, 0),
    TX(MUL, D_INF, D_NZERO, 0, D_QNAN, NV),
    TX(MUL, D_NINF, D_TWO, 0, D_NINF, 0),
    TX(DIV, D_ONE, D_ZERO, 0, D_INF, DZ),
    TX(DIV, D_ONE, D_NZERO, 0, D_NINF, DZ),
    TX(DIV, D_NONE, D_ZERO, 0, D_NINF, DZ),
    TX(DIV, D_INF, D_ZERO, 0, D_INF, 0),                /* not DZ: inf is exact */
    TX(DIV, D_ONE, D_NINF, 0, D_NZERO, 0),
    TX(SQRT, D_NONE, 0, 0, D_QNAN, NV),
    TX(SQRT, D_NINF, 0, 0, D_QNAN, NV),
    TX(SQRT, D_NZERO, 0, 0, D_NZERO, 0),                /* sqrt(-0) = -0 */
    TX(SQRT, D_INF, 0, 0, D_INF, 0),
    TX(SQRT, D_FOUR, 0, 0, D_TWO, 0),
    TX(SQRT, D_QNAN, 0, 0, D_QNAN, 0),
    TX(SQRT, D_SNAN, 0, 0, D_QNAN, NV),
    /* sqrt(2) = 0x3ff6a09e667f3bcc + 0.6 ulp */
    T5(SQRT, D_TWO, 0, 0, UINT64_C(0x3ff6a09e667f3bcd), NX, UINT64_C(0x3ff6a09e667f3bcc), NX,
       UINT64_C(0x3ff6a09e667f3bcc), NX, UINT64_C(0x3ff6a09e667f3bcd), NX, UINT64_C(0x3ff6a09e667f3bcd), NX),
    /* sqrt of the smallest subnormal: 2^-537 exactly */
    TX(SQRT, D_MINSUB, 0, 0, UINT64_C(0x1e60000000000000), 0),

    /* ---- NaNs: canonical results, NV only for signaling inputs */
    TX(ADD, D_SNAN, D_ONE, 0, D_QNAN, NV),
    TX(ADD, D_ONE, D_SNAN, 0, D_QNAN, NV),
    TX(ADD, D_QNANP, D_ONE, 0, D_QNAN, 0),              /* payload and sign dropped */
    TX(MUL, D_QNANP, D_SNAN, 0, D_QNAN, NV),
    TX(DIV, D_QNANP, D_ZERO, 0, D_QNAN, 0),             /* not DZ */
    TX(SUB, D_INF, D_QNANP, 0, D_QNAN, 0),

    /* ---- fused multiply-add: one rounding.
     * (1+2^-52)(1-2^-53) - 1 = 2^-53 - 2^-105, exact in an fma; a separate
     * multiply would round the product to 1 and give 0. */
    TX(MADD, D_ONE + 1, UINT64_C(0x3fefffffffffffff), D_NONE, UINT64_C(0x3c9ffffffffffffe), 0),
    TX(MSUB, D_ONE + 1, UINT64_C(0x3fefffffffffffff), D_ONE, UINT64_C(0x3c9ffffffffffffe), 0),
    TX(NMSUB, D_ONE + 1, UINT64_C(0x3fefffffffffffff), D_ONE, UINT64_C(0xbc9ffffffffffffe), 0),
    TX(NMADD, D_ONE + 1, UINT64_C(0x3fefffffffffffff), D_NONE, UINT64_C(0xbc9ffffffffffffe), 0),
    /* 1 * 1 + 2^-53: the addend alone decides the tie */
    T5(MADD, D_ONE, D_ONE, UINT64_C(0x3ca0000000000000),
       D_ONE, NX, D_ONE, NX, D_ONE, NX, D_ONE + 1, NX, D_ONE + 1, NX),
    /* signs: madd 1*2+3 = 5, msub 1*2-3 = -1, nmsub -(1*2)+3 = 1, nmadd -(1*2)-3 = -5 */
    TX(MADD, D_ONE, D_TWO, D_THREE, UINT64_C(0x4014000000000000), 0),
    TX(MSUB, D_ONE, D_TWO, D_THREE, D_NONE, 0),
    TX(NMSUB, D_ONE, D_TWO, D_THREE, D_ONE, 0),
    TX(NMADD, D_ONE, D_TWO, D_THREE, UINT64_C(0xc014000000000000), 0),
    /* zero signs: (+0*1) + -0 = +0 but -0 in RDN; nmadd -(+0*1) - (+0) = -0 */
    T5(MADD, D_ZERO, D_ONE, D_NZERO, D_ZERO, 0, D_ZERO, 0, D_NZERO, 0, D_ZERO, 0, D_ZERO, 0),
    TX(NMADD, D_ZERO, D_ONE, D_ZERO, D_NZERO, 0),
    T5(NMSUB, D_ZERO, D_ONE, D_ZERO, D_ZERO, 0, D_ZERO, 0, D_NZERO, 0, D_ZERO, 0, D_ZERO, 0),
    /* exact cancellation 1*1 - 1 */
    T5(MSUB, D_ONE, D_ONE, D_ONE, D_ZERO, 0, D_ZERO, 0, D_NZERO, 0, D_ZERO, 0, D_ZERO, 0),
    /* RISC-V: inf * 0 + qNaN is invalid (IEEE leaves it to the implementation) */
    TX(MADD, D_INF, D_ZERO, D_QNAN, D_QNAN, NV),
    TX(MADD, D_ZERO, D_NINF, D_QNANP, D_QNAN, NV),
    TX(NMADD, D_INF, D_ZERO, D_QNAN, D_QNAN, NV),
    TX(MADD, D_INF, D_ZERO, D_ONE, D_QNAN, NV),
    TX(MADD, D_QNAN, D_ZERO, D_ONE, D_QNAN, 0),
    TX(MADD, D_ONE, D_ONE, D_SNAN, D_QNAN, NV),
    TX(MADD, D_INF, D_ONE, D_NINF, D_QNAN, NV),         /* inf - inf */
    TX(MSUB, D_INF, D_ONE, D_INF, D_QNAN, NV),
    TX(MADD, D_INF, D_ONE, D_INF, D_INF, 0),
    TX(MADD, D_ONE, D_ONE, D_NINF, D_NINF, 0),
    /* product overflows but the fma result does not: max*2 - max = max */
    TX(MSUB, D_MAX, D_TWO, D_MAX, D_MAX, 0),
    /* the product alone would underflow; 2^-1074 * 2^-1 + 2^-1022 is normal,
     * a tie between 2^-1022 and its successor: not tiny, no UF */
    T5(MADD, D_MINSUB, D_HALF, D_MINN, D_MINN, NX, D_MINN, NX, D_MINN, NX, D_MINN + 1, NX, D_MINN + 1, NX),

    /* ---- fmin/fmax (2019 spec): a NaN operand yields the other one, two
     * NaNs the canonical NaN, NV only for signaling NaNs; -0 < +0. */
    T(MIN, D_NZERO, D_ZERO, 0, RNE, D_NZERO, 0),
    T(MIN, D_ZERO, D_NZERO, 0, RNE, D_NZERO, 0),
    T(MAX, D_NZERO, D_ZERO, 0, RNE, D_ZERO, 0),
    T(MAX, D_ZERO, D_NZERO, 0, RNE, D_ZERO, 0),
    T(MIN, D_QNANP, D_ONE, 0, RNE, D_ONE, 0),
    T(MIN, D_ONE, D_QNANP, 0, RNE, D_ONE, 0),
    T(MAX, D_SNAN, D_ONE, 0, RNE, D_ONE, NV),
    T(MIN, D_QNANP, D_QNANP, 0, RNE, D_QNAN, 0),
    T(MAX, D_SNAN, D_QNANP, 0, RNE, D_QNAN, NV),
    T(MIN, D_NINF, D_ONE, 0, RNE, D_NINF, 0),
    T(MAX, D_NINF, D_INF, 0, RNE, D_INF, 0),
    T(MIN, D_NONE, D_NTWO, 0, RNE, D_NTWO, 0),
    T(MAX, D_NONE, D_NTWO, 0, RNE, D_NONE, 0),
    T(MAX, D_ONE, D_TWO, 0, RNE, D_TWO, 0),

    /* ---- comparisons: feq quiet, flt/fle signaling */
    T(EQ, D_QNAN, D_ONE, 0, RNE, 0, 0),
    T(EQ, D_SNAN, D_ONE, 0, RNE, 0, NV),
    T(EQ, D_QNAN, D_QNAN, 0, RNE, 0, 0),
    T(LT, D_QNAN, D_ONE, 0, RNE, 0, NV),
    T(LE, D_ONE, D_QNAN, 0, RNE, 0, NV),
    T(LE, D_SNAN, D_ONE, 0, RNE, 0, NV),
    T(EQ, D_NZERO, D_ZERO, 0, RNE, 1, 0),
    T(LT, D_NZERO, D_ZERO, 0, RNE, 0, 0),
    T(LE, D_ZERO, D_NZERO, 0, RNE, 1, 0),
    T(LT, D_NONE, D_ONE, 0, RNE, 1, 0),
    T(LT, D_ONE, D_NONE, 0, RNE, 0, 0),
    T(LT, D_NTWO, D_NONE, 0, RNE, 1, 0),
    T(LT, D_NONE, D_NTWO, 0, RNE, 0, 0),
    T(LE, D_NINF, D_INF, 0, RNE, 1, 0),
    T(LT, D_ONE, D_ONE, 0, RNE, 0, 0),
    T(LE, D_ONE, D_ONE, 0, RNE, 1, 0),
    T(EQ, D_ONE, D_ONE + 1, 0, RNE, 0, 0),
    T(LT, D_MAXSUB, D_MINN, 0, RNE, 1, 0),

    /* ---- fclass: one bit each */
    T(CLASS, D_NINF, 0, 0, RNE, 1 << 0, 0),
    T(CLASS, D_NONE, 0, 0, RNE, 1 << 1, 0),
    T(CLASS, D_NMINSUB, 0, 0, RNE, 1 << 2, 0),
    T(CLASS, D_NZERO, 0, 0, RNE, 1 << 3, 0),
    T(CLASS, D_ZERO, 0, 0, RNE, 1 << 4, 0),
    T(CLASS, D_MAXSUB, 0, 0, RNE, 1 << 5, 0),
    T(CLASS, D_MINN, 0, 0, RNE, 1 << 6, 0),
    T(CLASS, D_INF, 0, 0, RNE, 1 << 7, 0),
    T(CLASS, D_SNAN, 0, 0, RNE, 1 << 8, 0),
    T(CLASS, UINT64_C(0xfff7ffffffffffff), 0, 0, RNE, 1 << 8, 0),
    T(CLASS, D_QNAN, 0, 0, RNE, 1 << 9, 0),
    T(CLASS, D_QNANP, 0, 0, RNE, 1 << 9, 0),

    /* ---- sign injection: bit operations, NaN payloads kept */
    T(SGNJ, D_ONE, D_NTWO, 0, RNE, D_NONE, 0),
    T(SGNJN, D_ONE, D_NTWO, 0, RNE, D_ONE, 0),
    T(SGNJX, D_NONE, D_NTWO, 0, RNE, D_ONE, 0),
    T(SGNJX, D_NONE, D_TWO, 0, RNE, D_NONE, 0),
    T(SGNJ, D_SNAN, D_NZERO, 0, RNE, D_SNAN | D_NZERO, 0),

    /* ---- float to integer: saturation and rounding.
     * 2^31 - 0.5 is a tie between 2^31-1 (odd) and 2^31 (even, out of range) */
    T5(CVT_W, UINT64_C(0x41dfffffffe00000), 0, 0,
       0x7fffffff, NV, 0x7fffffff, NX, 0x7fffffff, NX, 0x7fffffff, NV, 0x7fffffff, NV),
    /* -2^31 - 0.5: RNE picks -2^31 (even), RMM and RDN go out of range */
    T5(CVT_W, UINT64_C(0xc1e0000000100000), 0, 0,
       (uint64_t)INT32_MIN, NX, (uint64_t)INT32_MIN, NX, (uint64_t)INT32_MIN, NV,
       (uint64_t)INT32_MIN, NX, (uint64_t)INT32_MIN, NV),
    TX(CVT_W, UINT64_C(0xc1e0000000000000), 0, 0, (uint64_t)INT32_MIN, 0),
    TX(CVT_W, UINT64_C(0x41dfffffffc00000), 0, 0, 0x7fffffff, 0),
    TX(CVT_W, UINT64_C(0x41e0000000000000), 0, 0, 0x7fffffff, NV),
    TX(CVT_W, D_QNAN, 0, 0, 0x7fffffff, NV),
    TX(CVT_W, D_QNANP, 0, 0, 0x7fffffff, NV),           /* NaN: max, whatever its sign */
    TX(CVT_W, D_INF, 0, 0, 0x7fffffff, NV),
    TX(CVT_W, D_NINF, 0, 0, (uint64_t)INT32_MIN, NV),
    TX(CVT_W, D_NZERO, 0, 0, 0, 0),
    T5(CVT_W, D_MINSUB, 0, 0, 0, NX, 0, NX, 0, NX, 1, NX, 0, NX),
    /* 2.5 and -2.5 */
    T5(CVT_W, UINT64_C(0x4004000000000000), 0, 0, 2, NX, 2, NX, 2, NX, 3, NX, 3, NX),
    T5(CVT_W, UINT64_C(0xc004000000000000), 0, 0,
       (uint64_t)-2, NX, (uint64_t)-2, NX, (uint64_t)-3, NX, (uint64_t)-2, NX, (uint64_t)-3, NX),
    /* wu: results are sign-extended from 32 bits */
    TX(CVT_WU, UINT64_C(0x41efffffffe00000), 0, 0, UINT64_MAX, 0),               /* 2^32-1 */
    TX(CVT_WU, UINT64_C(0x41e65a0bc0000000), 0, 0, UINT64_C(0xffffffffb2d05e00), 0), /* 3e9 */
    TX(CVT_WU, UINT64_C(0x41f0000000000000), 0, 0, UINT64_MAX, NV),              /* 2^32 */
    TX(CVT_WU, D_NONE, 0, 0, 0, NV),
    TX(CVT_WU, D_NZERO, 0, 0, 0, 0),
    TX(CVT_WU, D_QNAN, 0, 0, UINT64_MAX, NV),
    TX(CVT_WU, D_INF, 0, 0, UINT64_MAX, NV),
    TX(CVT_WU, D_NINF, 0, 0, 0, NV),
    TX(CVT_WU, D_ONE, 0, 0, 1, 0),
    /* -0.5 rounds to 0 (valid, inexact) except in RDN and RMM (-1: invalid) */
    T5(CVT_WU, UINT64_C(0xbfe0000000000000), 0, 0, 0, NX, 0, NX, 0, NV, 0, NX, 0, NV),
    /* l/lu */
    TX(CVT_L, UINT64_C(0x43e0000000000000), 0, 0, INT64_MAX, NV),                /* 2^63 */
    TX(CVT_L, UINT64_C(0xc3e0000000000000), 0, 0, (uint64_t)INT64_MIN, 0),      /* -2^63 */
    TX(CVT_L, UINT64_C(0xc3e0000000000001), 0, 0, (uint64_t)INT64_MIN, NV),
    TX(CVT_L, UINT64_C(0x43dfffffffffffff), 0, 0, UINT64_C(0x7ffffffffffffc00), 0),
    TX(CVT_L, D_QNAN, 0, 0, INT64_MAX, NV),
    TX(CVT_L, D_NINF, 0, 0, (uint64_t)INT64_MIN, NV),
    TX(CVT_LU, UINT64_C(0x43f0000000000000), 0, 0, UINT64_MAX, NV),              /* 2^64 */
    TX(CVT_LU, UINT64_C(0x43efffffffffffff), 0, 0, UINT64_C(0xfffffffffffff800), 0),
    TX(CVT_LU, D_NONE, 0, 0, 0, NV),
    TX(CVT_LU, D_QNAN, 0, 0, UINT64_MAX, NV),
    TX(CVT_LU, D_INF, 0, 0, UINT64_MAX, NV),
    T5(CVT_LU, UINT64_C(0x3ff8000000000000), 0, 0, 2, NX, 1, NX, 1, NX, 2, NX, 2, NX), /* 1.5 */

    /* ---- integer to float */
    /* 2^53 + 1: a tie between 2^53 (even) and 2^53 + 2 */
    T5(FROM_L, (UINT64_C(1) << 53) + 1, 0, 0, UINT64_C(0x4340000000000000), NX,
       UINT64_C(0x4340000000000000), NX, UINT64_C(0x4340000000000000), NX,
       UINT64_C(0x4340000000000001), NX, UINT64_C(0x4340000000000001), NX),
    /* -(2^53 + 1) */
    T5(FROM_L, (uint64_t)-((INT64_C(1) << 53) + 1), 0, 0, UINT64_C(0xc340000000000000), NX,
       UINT64_C(0xc340000000000000), NX, UINT64_C(0xc340000000000001), NX,
       UINT64_C(0xc340000000000000), NX, UINT64_C(0xc340000000000001), NX),
    TX(FROM_L, (uint64_t)INT64_MIN, 0, 0, UINT64_C(0xc3e0000000000000), 0),
    TX(FROM_L, 0, 0, 0, D_ZERO, 0),
    TX(FROM_L, (uint64_t)-1, 0, 0, D_NONE, 0),
    T5(FROM_LU, UINT64_MAX, 0, 0, UINT64_C(0x43f0000000000000), NX, UINT64_C(0x43efffffffffffff), NX,
       UINT64_C(0x43efffffffffffff), NX, UINT64_C(0x43f0000000000000), NX, UINT64_C(0x43f0000000000000), NX),
    TX(FROM_W, (uint64_t)INT32_MIN, 0, 0, UINT64_C(0xc1e0000000000000), 0),
    TX(FROM_WU, 0xffffffff, 0, 0, UINT64_C(0x41efffffffe00000), 0),

    /* ---- fcvt.s.d */
    T5(NARROW, UINT64_C(0x7e37e43c8800759c), 0, 0,                               /* 1e300 */
       S_INF, OF | NX, S_MAX, OF | NX, S_MAX, OF | NX, S_INF, OF | NX, S_INF, OF | NX),
    T5(NARROW, UINT64_C(0xfe37e43c8800759c), 0, 0,
       S_NINF, OF | NX, S_NMAX, OF | NX, S_NINF, OF | NX, S_NMAX, OF | NX, S_NINF, OF | NX),
    TX(NARROW, UINT64_C(0x47efffffe0000000), 0, 0, S_MAX, 0),                     /* FLT_MAX */
    /* FLT_MAX + half an ulp: a tie with 2^128 */
    T5(NARROW, UINT64_C(0x47effffff0000000), 0, 0,
       S_INF, OF | NX, S_MAX, NX, S_MAX, NX, S_INF, OF | NX, S_INF, OF | NX),
    T5(NARROW, UINT64_C(0x358dee7a4ad4b81f), 0, 0,                               /* 1e-50 */
       S_ZERO, UF | NX, S_ZERO, UF | NX, S_ZERO, UF | NX, S_MINSUB, UF | NX, S_ZERO, UF | NX),
    TX(NARROW, UINT64_C(0x36a0000000000000), 0, 0, S_MINSUB, 0),                  /* 2^-149 */
    T5(NARROW, UINT64_C(0x3fd5555555555555), 0, 0,                               /* 1/3 */
       0x3eaaaaab, NX, 0x3eaaaaaa, NX, 0x3eaaaaaa, NX, 0x3eaaaaab, NX, 0x3eaaaaab, NX),
    /* 1 + 2^-24: a tie between 1 and 1 + 2^-23 */
    T5(NARROW, UINT64_C(0x3ff0000010000000), 0, 0,
       S_ONE, NX, S_ONE, NX, S_ONE, NX, S_ONE + 1, NX, S_ONE + 1, NX),
    TX(NARROW, D_SNAN, 0, 0, S_QNAN, NV),
    TX(NARROW, D_QNANP, 0, 0, S_QNAN, 0),
    TX(NARROW, D_NINF, 0, 0, S_NINF, 0),
    TX(NARROW, D_NZERO, 0, 0, S_NZERO, 0),
    /* fcvt.d.s: always exact */
    TX(WIDEN, S_SNAN, 0, 0, D_QNAN, NV),
    TX(WIDEN, S_QNANP, 0, 0, D_QNAN, 0),
    TX(WIDEN, S_MINSUB, 0, 0, UINT64_C(0x36a0000000000000), 0),
    TX(WIDEN, S_NINF, 0, 0, D_NINF, 0),
    TX(WIDEN, S_NZERO, 0, 0, D_NZERO, 0),
    TX(WIDEN, 0x3eaaaaab, 0, 0, UINT64_C(0x3fd5555560000000), 0),
};

static const struct tcase scases[] = {
    /* 1 + 2^-24: tie between 1 and 1 + 2^-23 */
    T5(ADD, S_ONE, 0x33800000, 0, S_ONE, NX, S_ONE, NX, S_ONE, NX, S_ONE + 1, NX, S_ONE + 1, NX),
    T5(ADD, S_ONE + 1, 0x33800000, 0, S_ONE + 2, NX, S_ONE + 1, NX, S_ONE + 1, NX, S_ONE + 2, NX, S_ONE + 2, NX),
    T5(SUB, S_NONE, 0x33800000, 0, S_NONE, NX, S_NONE, NX, S_NONE + 1, NX, S_NONE, NX, S_NONE + 1, NX),
    T5(DIV, S_ONE, S_THREE, 0, 0x3eaaaaab, NX, 0x3eaaaaaa, NX, 0x3eaaaaaa, NX, 0x3eaaaaab, NX, 0x3eaaaaab, NX),
    /* overflow: 2^127 * 2 */
    T5(MUL, 0x7f000000, S_TWO, 0, S_INF, OF | NX, S_MAX, OF | NX, S_MAX, OF | NX, S_INF, OF | NX, S_INF, OF | NX),
    T5(ADD, S_NMAX, S_NMAX, 0, S_NINF, OF | NX, S_NMAX, OF | NX, S_NINF, OF | NX, S_NMAX, OF | NX, S_NINF, OF | NX),
    /* 2^-126 * (1 - 2^-24): tiny after rounding (exact in 24 bits), a tie at
     * subnormal precision that RNE resolves to 2^-126 (even) */
    T5(MUL, S_MINN, 0x3f7fffff, 0, S_MINN, UF | NX, S_MAXSUB, UF | NX, S_MAXSUB, UF | NX, S_MINN, UF | NX, S_MINN, UF | NX),
    /* 18631*2^-75 * 1801*2^-76 = (2^25-1) * 2^-151 = 2^-126 * (1 - 2^-25):
     * rounded to 24 bits with unbounded exponent, a tie that RNE/RUP/RMM
     * round up to 2^-126, so not tiny: NX only.  RTZ/RDN: tiny, UF. */
    T5(MUL, 0x21118e00, 0x1ee12000, 0, S_MINN, NX, S_MAXSUB, UF | NX, S_MAXSUB, UF | NX, S_MINN, NX, S_MINN, NX),
    /* the same value from an fma, adding -0 */
    T5(MADD, 0x21118e00, 0x1ee12000, S_NZERO, S_MINN, NX, S_MAXSUB, UF | NX, S_MAXSUB, UF | NX, S_MINN, NX, S_MINN, NX),
    T5(MUL, S_MINSUB, S_HALF, 0, S_ZERO, UF | NX, S_ZERO, UF | NX, S_ZERO, UF | NX, S_MINSUB, UF | NX, S_MINSUB, UF | NX),
    TX(DIV, S_MINN, S_TWO, 0, 0x00400000, 0),
    TX(DIV, S_ZERO, S_ZERO, 0, S_QNAN, NV),
    TX(DIV, S_NONE, S_ZERO, 0, S_NINF, DZ),
    TX(MUL, S_INF, S_ZERO, 0, S_QNAN, NV),
    TX(SUB, S_NINF, S_NINF, 0, S_QNAN, NV),
    TX(SQRT, S_NONE, 0, 0, S_QNAN, NV),
    TX(SQRT, S_NZERO, 0, 0, S_NZERO, 0),
    T5(SQRT, S_TWO, 0, 0, 0x3fb504f3, NX, 0x3fb504f3, NX, 0x3fb504f3, NX, 0x3fb504f4, NX, 0x3fb504f3, NX),
    TX(ADD, S_SNAN, S_ONE, 0, S_QNAN, NV),
    TX(ADD, S_QNANP, S_ONE, 0, S_QNAN, 0),
    /* fma: (1+2^-23)(1-2^-24) - 1 = 2^-24 - 2^-47 exactly */
    TX(MADD, S_ONE + 1, 0x3f7fffff, S_NONE, 0x337ffffe, 0),
    TX(NMADD, S_ONE, S_TWO, S_THREE, 0xc0a00000, 0),
    TX(NMSUB, S_ONE, S_TWO, S_THREE, S_ONE, 0),
    TX(MSUB, S_ONE, S_TWO, S_THREE, S_NONE, 0),
    TX(MADD, S_ONE, S_TWO, S_THREE, S_FIVE, 0),
    TX(MADD, S_INF, S_ZERO, S_QNAN, S_QNAN, NV),
    TX(MADD, S_ZERO, S_INF, S_SNAN, S_QNAN, NV),
    TX(MADD, S_QNANP, S_ONE, S_ONE, S_QNAN, 0),
    /* min/max */
    T(MIN, S_NZERO, S_ZERO, 0, RNE, S_NZERO, 0),
    T(MAX, S_NZERO, S_ZERO, 0, RNE, S_ZERO, 0),
    T(MIN, S_QNAN, S_TWO, 0, RNE, S_TWO, 0),
    T(MAX, S_TWO, S_SNAN, 0, RNE, S_TWO, NV),
    T(MIN, S_QNANP, S_SNAN, 0, RNE, S_QNAN, NV),
    T(MAX, S_QNANP, S_QNANP, 0, RNE, S_QNAN, 0),
    T(MIN, S_NONE, S_ONE, 0, RNE, S_NONE, 0),
    /* compare */
    T(EQ, S_QNAN, S_QNAN, 0, RNE, 0, 0),
    T(EQ, S_ONE, S_SNAN, 0, RNE, 0, NV),
    T(LT, S_QNAN, S_ONE, 0, RNE, 0, NV),
    T(LE, S_NZERO, S_ZERO, 0, RNE, 1, 0),
    T(LT, S_NZERO, S_ZERO, 0, RNE, 0, 0),
    T(EQ, S_ZERO, S_NZERO, 0, RNE, 1, 0),
    T(LT, S_NINF, S_NMAX, 0, RNE, 1, 0),
    /* fclass */
    T(CLASS, S_NINF, 0, 0, RNE, 1 << 0, 0),
    T(CLASS, S_NONE, 0, 0, RNE, 1 << 1, 0),
    T(CLASS, 0x807fffff, 0, 0, RNE, 1 << 2, 0),
    T(CLASS, S_NZERO, 0, 0, RNE, 1 << 3, 0),
    T(CLASS, S_ZERO, 0, 0, RNE, 1 << 4, 0),
    T(CLASS, S_MINSUB, 0, 0, RNE, 1 << 5, 0),
    T(CLASS, S_MAX, 0, 0, RNE, 1 << 6, 0),
    T(CLASS, S_INF, 0, 0, RNE, 1 << 7, 0),
    T(CLASS, S_SNAN, 0, 0, RNE, 1 << 8, 0),
    T(CLASS, S_QNAN, 0, 0, RNE, 1 << 9, 0),
    /* sign injection */
    T(SGNJ, S_ONE, S_NONE, 0, RNE, S_NONE, 0),
    T(SGNJN, S_ONE, S_NONE, 0, RNE, S_ONE, 0),
    T(SGNJX, S_NONE, S_NONE, 0, RNE, S_ONE, 0),
    T(SGNJ, 0x7fc00001, S_NZERO, 0, RNE, 0xffc00001, 0),
    /* float to integer */
    TX(CVT_W, 0x4f000000, 0, 0, 0x7fffffff, NV),                    /* 2^31 */
    TX(CVT_W, 0x4effffff, 0, 0, 0x7fffff80, 0),
    TX(CVT_W, 0xcf000000, 0, 0, (uint64_t)INT32_MIN, 0),
    TX(CVT_W, 0xcf000001, 0, 0, (uint64_t)INT32_MIN, NV),
    TX(CVT_W, S_QNAN, 0, 0, 0x7fffffff, NV),
    T5(CVT_W, 0x40200000, 0, 0, 2, NX, 2, NX, 2, NX, 3, NX, 3, NX),                  /* 2.5 */
    T5(CVT_W, 0xbfc00000, 0, 0, (uint64_t)-2, NX, (uint64_t)-1, NX, (uint64_t)-2, NX,
       (uint64_t)-1, NX, (uint64_t)-2, NX),                                          /* -1.5 */
    TX(CVT_WU, 0x4f800000, 0, 0, UINT64_MAX, NV),                   /* 2^32 */
    TX(CVT_WU, 0x4f7fffff, 0, 0, UINT64_C(0xffffffffffffff00), 0),  /* 2^32-256, sign-extended */
    TX(CVT_WU, S_NONE, 0, 0, 0, NV),
    TX(CVT_WU, S_NZERO, 0, 0, 0, 0),
    TX(CVT_WU, S_NINF, 0, 0, 0, NV),
    TX(CVT_L, 0x5f000000, 0, 0, INT64_MAX, NV),                     /* 2^63 */
    TX(CVT_L, 0xdf000000, 0, 0, (uint64_t)INT64_MIN, 0),
    TX(CVT_LU, 0x5f800000, 0, 0, UINT64_MAX, NV),                   /* 2^64 */
    TX(CVT_LU, 0x5f7fffff, 0, 0, UINT64_C(0xffffff0000000000), 0),
    TX(CVT_LU, S_SNAN, 0, 0, UINT64_MAX, NV),
    T5(CVT_LU, 0xbf000000, 0, 0, 0, NX, 0, NX, 0, NV, 0, NX, 0, NV),                 /* -0.5 */
    /* integer to float: 2^24 + 1 is a tie between 2^24 (even) and 2^24 + 2 */
    T5(FROM_W, (1u << 24) + 1, 0, 0, 0x4b800000, NX, 0x4b800000, NX, 0x4b800000, NX, 0x4b800001, NX, 0x4b800001, NX),
    T5(FROM_W, (uint64_t)-((1 << 24) + 1), 0, 0, 0xcb800000, NX, 0xcb800000, NX, 0xcb800001, NX, 0xcb800000, NX, 0xcb800001, NX),
    T5(FROM_WU, 0xffffffff, 0, 0, 0x4f800000, NX, 0x4f7fffff, NX, 0x4f7fffff, NX, 0x4f800000, NX, 0x4f800000, NX),
    TX(FROM_W, (uint64_t)INT32_MIN, 0, 0, 0xcf000000, 0),
    TX(FROM_L, (uint64_t)INT64_MIN, 0, 0, 0xdf000000, 0),
    T5(FROM_LU, UINT64_MAX, 0, 0, 0x5f800000, NX, 0x5f7fffff, NX, 0x5f7fffff, NX, 0x5f800000, NX, 0x5f800000, NX),
    /* 2^24 + 3: a tie between 2^24 + 2 and 2^24 + 4 (even) */
    T5(FROM_L, (1u << 24) + 3, 0, 0, 0x4b800002, NX, 0x4b800001, NX, 0x4b800001, NX, 0x4b800002, NX, 0x4b800002, NX),
    TX(FROM_LU, 0, 0, 0, S_ZERO, 0),
};

static uint64_t run_d(enum op op, uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *fl)
{
    switch (op) {
    case ADD:     return fpu_add_d(a, b, rm, fl);
    case SUB:     return fpu_sub_d(a, b, rm, fl);
    case MUL:     return fpu_mul_d(a, b, rm, fl);
    case DIV:     return fpu_div_d(a, b, rm, fl);
    case SQRT:    return fpu_sqrt_d(a, rm, fl);
    case MADD:    return fpu_madd_d(a, b, c, rm, fl);
    case MSUB:    return fpu_msub_d(a, b, c, rm, fl);
    case NMSUB:   return fpu_nmsub_d(a, b, c, rm, fl);
    case NMADD:   return fpu_nmadd_d(a, b, c, rm, fl);
    case MIN:     return fpu_min_d(a, b, fl);
    case MAX:     return fpu_max_d(a, b, fl);
    case EQ:      return (uint64_t)fpu_eq_d(a, b, fl);
    case LT:      return (uint64_t)fpu_lt_d(a, b, fl);
    case LE:      return (uint64_t)fpu_le_d(a, b, fl);
    case CLASS:   return fpu_class_d(a);
    case SGNJ:    return fpu_sgnj_d(a, b);
    case SGNJN:   return fpu_sgnjn_d(a, b);
    case SGNJX:   return fpu_sgnjx_d(a, b);
    case CVT_W:   return (uint64_t)fpu_cvt_w_d(a, rm, fl);
    case CVT_WU:  return (uint64_t)fpu_cvt_wu_d(a, rm, fl);
    case CVT_L:   return (uint64_t)fpu_cvt_l_d(a, rm, fl);
    case CVT_LU:  return fpu_cvt_lu_d(a, rm, fl);
    case FROM_W:  return fpu_cvt_d_w((int32_t)a, rm, fl);
    case FROM_WU: return fpu_cvt_d_wu((uint32_t)a, rm, fl);
    case FROM_L:  return fpu_cvt_d_l((int64_t)a, rm, fl);
    case FROM_LU: return fpu_cvt_d_lu(a, rm, fl);
    case NARROW:  return fpu_cvt_s_d(a, rm, fl);
    case WIDEN:   return fpu_cvt_d_s((uint32_t)a, rm, fl);
    }
    return 0;
}

static uint64_t run_s(enum op op, uint64_t a64, uint64_t b64, uint64_t c64, int rm, unsigned *fl)
{
    uint32_t a = (uint32_t)a64, b = (uint32_t)b64, c = (uint32_t)c64;
    switch (op) {
    case ADD:     return fpu_add_s(a, b, rm, fl);
    case SUB:     return fpu_sub_s(a, b, rm, fl);
    case MUL:     return fpu_mul_s(a, b, rm, fl);
    case DIV:     return fpu_div_s(a, b, rm, fl);
    case SQRT:    return fpu_sqrt_s(a, rm, fl);
    case MADD:    return fpu_madd_s(a, b, c, rm, fl);
    case MSUB:    return fpu_msub_s(a, b, c, rm, fl);
    case NMSUB:   return fpu_nmsub_s(a, b, c, rm, fl);
    case NMADD:   return fpu_nmadd_s(a, b, c, rm, fl);
    case MIN:     return fpu_min_s(a, b, fl);
    case MAX:     return fpu_max_s(a, b, fl);
    case EQ:      return (uint64_t)fpu_eq_s(a, b, fl);
    case LT:      return (uint64_t)fpu_lt_s(a, b, fl);
    case LE:      return (uint64_t)fpu_le_s(a, b, fl);
    case CLASS:   return fpu_class_s(a);
    case SGNJ:    return fpu_sgnj_s(a, b);
    case SGNJN:   return fpu_sgnjn_s(a, b);
    case SGNJX:   return fpu_sgnjx_s(a, b);
    case CVT_W:   return (uint64_t)fpu_cvt_w_s(a, rm, fl);
    case CVT_WU:  return (uint64_t)fpu_cvt_wu_s(a, rm, fl);
    case CVT_L:   return (uint64_t)fpu_cvt_l_s(a, rm, fl);
    case CVT_LU:  return fpu_cvt_lu_s(a, rm, fl);
    case FROM_W:  return fpu_cvt_s_w((int32_t)a64, rm, fl);
    case FROM_WU: return fpu_cvt_s_wu((uint32_t)a64, rm, fl);
    case FROM_L:  return fpu_cvt_s_l((int64_t)a64, rm, fl);
    case FROM_LU: return fpu_cvt_s_lu(a64, rm, fl);
    default:      return 0;
    }
}

static int failures;

static void run_table(const char *fmt, const struct tcase *t, size_t n,
                      uint64_t (*run)(enum op, uint64_t, uint64_t, uint64_t, int, unsigned *))
{
    static const char *const rm_name[] = { "RNE", "RTZ", "RDN", "RUP", "RMM" };
    for (size_t i = 0; i < n; i++) {
        for (unsigned start = 0; start <= FPU_NX; start += FPU_NX) {
            unsigned fl = start;
            uint64_t got = run(t[i].op, t[i].a, t[i].b, t[i].c, t[i].rm, &fl);
            if (got != t[i].want || fl != (t[i].fl | start)) {
                failures++;
                fprintf(stderr, "FAIL line %d: %s.%s %s a=%" PRIx64 " b=%" PRIx64 " c=%" PRIx64
                        " (flags in %x): got %" PRIx64 " fl=%02x, want %" PRIx64 " fl=%02x\n",
                        t[i].line, op_name[t[i].op], fmt, rm_name[t[i].rm], t[i].a, t[i].b, t[i].c,
                        start, got, fl, t[i].want, t[i].fl | start);
            }
        }
    }
}

#define CHECK(cond) do { if (!(cond)) { failures++; \
    fprintf(stderr, "FAIL line %d: %s\n", __LINE__, #cond); } } while (0)

static void test_nan_boxing(void)
{
    CHECK(fpu_unbox_s(UINT64_C(0xffffffff3f800000)) == S_ONE);
    CHECK(fpu_unbox_s(UINT64_C(0x000000003f800000)) == S_QNAN);   /* not boxed */
    CHECK(fpu_unbox_s(UINT64_C(0xfffffffe3f800000)) == S_QNAN);   /* one bit short */
    CHECK(fpu_unbox_s(UINT64_C(0x7fffffff3f800000)) == S_QNAN);
    CHECK(fpu_unbox_s(UINT64_C(0x3ff0000000000000)) == S_QNAN);   /* a double */
    CHECK(fpu_unbox_s(UINT64_C(0xffffffff7f800001)) == S_SNAN);   /* boxed sNaN stays */
    CHECK(fpu_box_s(S_ONE) == UINT64_C(0xffffffff3f800000));
    CHECK(fpu_box_s(S_NZERO) == UINT64_C(0xffffffff80000000));
    CHECK(fpu_unbox_s(fpu_box_s(0x12345678)) == 0x12345678);

    /* An improperly boxed operand is the canonical (quiet) NaN: no NV. */
    unsigned fl = 0;
    CHECK(fpu_add_s(fpu_unbox_s(UINT64_C(0x3f800000)), S_ONE, FPU_RNE, &fl) == S_QNAN && fl == 0);
    CHECK(fpu_class_s(fpu_unbox_s(UINT64_C(0x00000000ffffffff))) == FPU_CLASS_QNAN);
    fl = 0;
    CHECK(fpu_lt_s(fpu_unbox_s(0), S_ONE, &fl) == 0 && fl == FPU_NV);
    /* fsgnj.s on an unboxed value works on the canonical NaN */
    CHECK(fpu_sgnjn_s(fpu_unbox_s(0), S_ONE) == 0xffc00000);
}

/* Flags accumulate; nothing is ever cleared. */
static void test_flag_accumulation(void)
{
    unsigned fl = FPU_DZ;
    fpu_add_d(D_MAX, D_MAX, FPU_RNE, &fl);
    CHECK(fl == (FPU_DZ | FPU_OF | FPU_NX));
    fpu_add_d(D_ONE, D_ONE, FPU_RNE, &fl);
    CHECK(fl == (FPU_DZ | FPU_OF | FPU_NX));
    fl = FPU_NX | FPU_UF | FPU_OF | FPU_DZ | FPU_NV;
    CHECK(fpu_add_d(D_ONE, D_TWO, FPU_RUP, &fl) == D_THREE && fl == 0x1f);
}

/* Each host thread has its own floating-point environment: two threads in
 * different rounding modes must not disturb each other. */
struct thread_arg { int rm; uint64_t want; int bad; };

static void *rounding_thread(void *p)
{
    struct thread_arg *t = p;
    for (int i = 0; i < 200000; i++) {
        unsigned fl = i & 1 ? FPU_NX : 0;
        if (fpu_div_d(D_ONE, D_THREE, t->rm, &fl) != t->want || !(fl & FPU_NX))
            t->bad++;
        fl = 0;
        if (fpu_add_d(D_ONE, D_TWO, FPU_RNE, &fl) != D_THREE || fl)
            t->bad++;
    }
    return NULL;
}

static void test_threads(void)
{
    struct thread_arg args[4] = {
        { FPU_RUP, UINT64_C(0x3fd5555555555556), 0 },
        { FPU_RDN, UINT64_C(0x3fd5555555555555), 0 },
        { FPU_RNE, UINT64_C(0x3fd5555555555555), 0 },
        { FPU_RMM, UINT64_C(0x3fd5555555555555), 0 },
    };
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        CHECK(pthread_create(&th[i], NULL, rounding_thread, &args[i]) == 0);
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        CHECK(args[i].bad == 0);
    }
}

int main(void)
{
    run_table("d", dcases, sizeof dcases / sizeof dcases[0], run_d);
    run_table("s", scases, sizeof scases / sizeof scases[0], run_s);
    test_nan_boxing();
    test_flag_accumulation();
    test_threads();
    /* The FPU must hand the thread back in round-to-nearest. */
    CHECK(fegetround() == FE_TONEAREST);
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("cpu_fpu: %zu + %zu cases ok\n", sizeof dcases / sizeof dcases[0],
           sizeof scases / sizeof scases[0]);
    return 0;
}
