/*
 * fpu.h — the arithmetic of the RISC-V F and D extensions.
 *
 * Values are raw IEEE-754 bit patterns: uint32_t for single (s), uint64_t for
 * double (d).  Every function computes exactly what the RISC-V unprivileged
 * spec (chapters "F" and "D", 2019 and later) prescribes: correctly rounded
 * results in the rounding mode given, canonical NaNs (RISC-V never
 * propagates NaN payloads), tininess detected after rounding, fmin/fmax of
 * the 2019 spec, saturating float-to-integer conversions.
 *
 * Rounding mode `rm` is one of FPU_RNE..FPU_RMM, already resolved from frm
 * by the caller (who also rejects the reserved encodings 5 and 6).
 *
 * Exception flags are OR-ed into *flags (FPU_NX ... FPU_NV, the fflags bit
 * layout); nothing is ever cleared.  Passing the hart's accumulated fflags
 * directly is both correct and fastest: once NX is set the functions need
 * not find out again whether a result was inexact.
 *
 * Single-precision values live NaN-boxed in 64-bit f registers: callers read
 * them with fpu_unbox_s() and write them with fpu_box_s().
 *
 * Thread-safe, no global mutable state.  The functions may use the calling
 * thread's host floating-point environment (x86-64 MXCSR) internally; they
 * always leave its rounding mode at round-to-nearest and its exceptions
 * masked, but may leave its sticky status flags set.
 */
#ifndef VESSEL_CPU_FPU_H
#define VESSEL_CPU_FPU_H

#include <stdint.h>

/* Rounding modes, in frm encoding order. */
enum { FPU_RNE, FPU_RTZ, FPU_RDN, FPU_RUP, FPU_RMM };

/* Exception flags, in fflags bit order. */
enum {
    FPU_NX = 1,     /* inexact */
    FPU_UF = 2,     /* underflow */
    FPU_OF = 4,     /* overflow */
    FPU_DZ = 8,     /* divide by zero */
    FPU_NV = 16,    /* invalid operation */
};

#define FPU_CANONICAL_NAN_S UINT32_C(0x7fc00000)
#define FPU_CANONICAL_NAN_D UINT64_C(0x7ff8000000000000)

/* fclass result bits */
enum {
    FPU_CLASS_NEG_INF       = 1 << 0,
    FPU_CLASS_NEG_NORMAL    = 1 << 1,
    FPU_CLASS_NEG_SUBNORMAL = 1 << 2,
    FPU_CLASS_NEG_ZERO      = 1 << 3,
    FPU_CLASS_POS_ZERO      = 1 << 4,
    FPU_CLASS_POS_SUBNORMAL = 1 << 5,
    FPU_CLASS_POS_NORMAL    = 1 << 6,
    FPU_CLASS_POS_INF       = 1 << 7,
    FPU_CLASS_SNAN          = 1 << 8,
    FPU_CLASS_QNAN          = 1 << 9,
};

/* NaN-boxing: a single in a 64-bit f register is valid only if the upper 32
 * bits are all ones; otherwise it reads as the canonical NaN. */
static inline uint32_t fpu_unbox_s(uint64_t reg)
{
    return (reg >> 32) == UINT32_C(0xffffffff) ? (uint32_t)reg : FPU_CANONICAL_NAN_S;
}

static inline uint64_t fpu_box_s(uint32_t v)
{
    return UINT64_C(0xffffffff00000000) | v;
}

/* ---- single precision ---- */
uint32_t fpu_add_s(uint32_t a, uint32_t b, int rm, unsigned *flags);
uint32_t fpu_sub_s(uint32_t a, uint32_t b, int rm, unsigned *flags);
uint32_t fpu_mul_s(uint32_t a, uint32_t b, int rm, unsigned *flags);
uint32_t fpu_div_s(uint32_t a, uint32_t b, int rm, unsigned *flags);
uint32_t fpu_sqrt_s(uint32_t a, int rm, unsigned *flags);
uint32_t fpu_madd_s(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags);  /*  a*b+c  */
uint32_t fpu_msub_s(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags);  /*  a*b-c  */
uint32_t fpu_nmsub_s(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags); /* -(a*b)+c */
uint32_t fpu_nmadd_s(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags); /* -(a*b)-c */
uint32_t fpu_min_s(uint32_t a, uint32_t b, unsigned *flags);
uint32_t fpu_max_s(uint32_t a, uint32_t b, unsigned *flags);
int fpu_eq_s(uint32_t a, uint32_t b, unsigned *flags);   /* quiet */
int fpu_lt_s(uint32_t a, uint32_t b, unsigned *flags);   /* signaling */
int fpu_le_s(uint32_t a, uint32_t b, unsigned *flags);   /* signaling */
uint64_t fpu_class_s(uint32_t a);
uint32_t fpu_sgnj_s(uint32_t a, uint32_t b);
uint32_t fpu_sgnjn_s(uint32_t a, uint32_t b);
uint32_t fpu_sgnjx_s(uint32_t a, uint32_t b);
int64_t  fpu_cvt_w_s(uint32_t a, int rm, unsigned *flags);   /* 32-bit result, sign-extended */
int64_t  fpu_cvt_wu_s(uint32_t a, int rm, unsigned *flags);  /* 32-bit result, sign-extended */
int64_t  fpu_cvt_l_s(uint32_t a, int rm, unsigned *flags);
uint64_t fpu_cvt_lu_s(uint32_t a, int rm, unsigned *flags);
uint32_t fpu_cvt_s_w(int32_t v, int rm, unsigned *flags);
uint32_t fpu_cvt_s_wu(uint32_t v, int rm, unsigned *flags);
uint32_t fpu_cvt_s_l(int64_t v, int rm, unsigned *flags);
uint32_t fpu_cvt_s_lu(uint64_t v, int rm, unsigned *flags);

/* ---- double precision ---- */
uint64_t fpu_add_d(uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t fpu_sub_d(uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t fpu_mul_d(uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t fpu_div_d(uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t fpu_sqrt_d(uint64_t a, int rm, unsigned *flags);
uint64_t fpu_madd_d(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags);
uint64_t fpu_msub_d(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags);
uint64_t fpu_nmsub_d(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags);
uint64_t fpu_nmadd_d(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags);
uint64_t fpu_min_d(uint64_t a, uint64_t b, unsigned *flags);
uint64_t fpu_max_d(uint64_t a, uint64_t b, unsigned *flags);
int fpu_eq_d(uint64_t a, uint64_t b, unsigned *flags);
int fpu_lt_d(uint64_t a, uint64_t b, unsigned *flags);
int fpu_le_d(uint64_t a, uint64_t b, unsigned *flags);
uint64_t fpu_class_d(uint64_t a);
uint64_t fpu_sgnj_d(uint64_t a, uint64_t b);
uint64_t fpu_sgnjn_d(uint64_t a, uint64_t b);
uint64_t fpu_sgnjx_d(uint64_t a, uint64_t b);
int64_t  fpu_cvt_w_d(uint64_t a, int rm, unsigned *flags);
int64_t  fpu_cvt_wu_d(uint64_t a, int rm, unsigned *flags);
int64_t  fpu_cvt_l_d(uint64_t a, int rm, unsigned *flags);
uint64_t fpu_cvt_lu_d(uint64_t a, int rm, unsigned *flags);
uint64_t fpu_cvt_d_w(int32_t v, int rm, unsigned *flags);
uint64_t fpu_cvt_d_wu(uint32_t v, int rm, unsigned *flags);
uint64_t fpu_cvt_d_l(int64_t v, int rm, unsigned *flags);
uint64_t fpu_cvt_d_lu(uint64_t v, int rm, unsigned *flags);

/* ---- between formats ---- */
uint32_t fpu_cvt_s_d(uint64_t a, int rm, unsigned *flags);
uint64_t fpu_cvt_d_s(uint32_t a, int rm, unsigned *flags);

#endif
