/*
 * fpu_soft.h — the FPU's portable integer-only core (internal to src/cpu).
 *
 * Correctly rounded IEEE-754 binary32/binary64 arithmetic in all five
 * RISC-V rounding modes, with RISC-V flags and canonical NaNs, computed with
 * integer arithmetic only.  fpu.c uses it where the host cannot do the job
 * exactly (round-to-nearest-max-magnitude, conversions, hosts without SSE or
 * FMA); the unit tests check it in every mode against MPFR.
 *
 * `dbl` selects the format: 1 = binary64, 0 = binary32 (held in the low 32
 * bits of the uint64_t).  Callers pass a constant, so the compiler folds it.
 */
#ifndef VESSEL_CPU_FPU_SOFT_H
#define VESSEL_CPU_FPU_SOFT_H

#include <stdint.h>

#include "cpu/fpu.h"

/* ---- format parameters (dbl is a compile-time constant after inlining) ---- */

#define F_P(dbl)        ((dbl) ? 53 : 24)               /* precision, hidden bit included */
#define F_WIDTH(dbl)    ((dbl) ? 64 : 32)
#define F_BIAS(dbl)     ((dbl) ? 1023 : 127)
#define F_EMIN(dbl)     (1 - F_BIAS(dbl))
#define F_EMAX(dbl)     F_BIAS(dbl)
#define F_SIGN(dbl)     ((uint64_t)1 << (F_WIDTH(dbl) - 1))
#define F_FRAC(dbl)     (((uint64_t)1 << (F_P(dbl) - 1)) - 1)
#define F_EXPMASK(dbl)  ((dbl) ? 0x7ffu : 0xffu)
#define F_INF(dbl)      ((uint64_t)F_EXPMASK(dbl) << (F_P(dbl) - 1))
#define F_QUIET(dbl)    ((uint64_t)1 << (F_P(dbl) - 2))
#define F_CANON(dbl)    ((dbl) ? FPU_CANONICAL_NAN_D : (uint64_t)FPU_CANONICAL_NAN_S)

static inline uint64_t f_mag_of(int dbl, uint64_t x)     { return x & ~F_SIGN(dbl) & (F_SIGN(dbl) | (F_SIGN(dbl) - 1)); }
static inline int      f_sign_of(int dbl, uint64_t x)    { return (x & F_SIGN(dbl)) != 0; }
static inline int      f_is_nan(int dbl, uint64_t x)     { return f_mag_of(dbl, x) > F_INF(dbl); }
static inline int      f_is_snan(int dbl, uint64_t x)    { return f_is_nan(dbl, x) && !(x & F_QUIET(dbl)); }
static inline int      f_is_inf(int dbl, uint64_t x)     { return f_mag_of(dbl, x) == F_INF(dbl); }
static inline int      f_is_zero(int dbl, uint64_t x)    { return f_mag_of(dbl, x) == 0; }

uint64_t fpu_soft_add(int dbl, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t fpu_soft_mul(int dbl, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t fpu_soft_div(int dbl, uint64_t a, uint64_t b, int rm, unsigned *flags);
uint64_t fpu_soft_sqrt(int dbl, uint64_t a, int rm, unsigned *flags);
/* a*b+c with a single rounding; negate operands' sign bits for the others. */
uint64_t fpu_soft_fma(int dbl, uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags);

/* Integer (negative if `neg`, magnitude `mag`) to float, rounded. */
uint64_t fpu_soft_from_int(int dbl, int neg, uint64_t mag, int rm, unsigned *flags);

/* Float to integer, rounded, saturating with NV as RISC-V specifies. */
enum fpu_int_kind { FPU_INT_W, FPU_INT_WU, FPU_INT_L, FPU_INT_LU };
uint64_t fpu_soft_to_int(int dbl, uint64_t a, enum fpu_int_kind kind, int rm, unsigned *flags);

/* Between formats: to_dbl = 1 converts single to double, 0 double to single. */
uint64_t fpu_soft_convert(int to_dbl, uint64_t a, int rm, unsigned *flags);

#endif
