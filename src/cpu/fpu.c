/*
 * fpu.c — RISC-V F/D arithmetic: the host's SSE unit where it is exact,
 * the integer core (fpu_soft.c) where it is not.  docs/fpu.md explains the
 * split; in short:
 *
 *   - add/sub/mul/div/sqrt/fma in RNE, RTZ, RDN, RUP run on the host's SSE
 *     unit (IEEE-754 exact, tininess after rounding like RISC-V), with the
 *     rounding mode and the exception flags in MXCSR.  Results that are NaN
 *     are replaced by the canonical NaN; fma(inf, 0, qNaN) gets NV added.
 *   - RMM has no host equivalent: the integer core computes it, except for
 *     sqrt (a square root is never a tie, so RMM = RNE) and for divisions
 *     whose result is normal (a normal quotient is never a tie either).
 *   - comparisons, min/max, fclass, sign injection are bit operations;
 *     conversions use the integer core (saturation and RMM are not what the
 *     host does, and it costs only a few nanoseconds).
 *
 * The host path never uses C floating-point expressions: every operation is
 * one inline-asm instruction, ordered against the MXCSR accesses by being
 * volatile with a memory clobber, so neither constant folding nor
 * scheduling can move it across a rounding-mode change.
 */
#include <string.h>

#include "cpu/fpu.h"
#include "cpu/fpu_soft.h"

#if defined(__x86_64__) && !defined(FPU_NO_HOST)
#define FPU_HOST 1
#endif

#define ALWAYS_INLINE static inline __attribute__((always_inline))

enum op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_FMA };

#ifdef FPU_HOST
/* MXCSR status bits, exception masks, rounding control. */
enum {
    MX_IE = 0x01, MX_DE = 0x02, MX_ZE = 0x04, MX_OE = 0x08, MX_UE = 0x10, MX_PE = 0x20,
    MX_MASKED = 0x1f80,             /* all exceptions masked, RNE, no DAZ/FTZ */
    MX_RC_SHIFT = 13,
};

/* x86 RC encoding for RNE, RTZ, RDN, RUP */
static const uint8_t mx_rc[4] = { 0, 3, 1, 2 };

static inline uint32_t mx_read(void)
{
    uint32_t v;
    __asm__ volatile("stmxcsr %0" : "=m"(v) : : "memory");
    return v;
}

static inline void mx_write(uint32_t v)
{
    __asm__ volatile("ldmxcsr %0" : : "m"(v) : "memory");
}

/* Set MXCSR up for one operation in mode rm with clear status bits.  Stale
 * bits that cannot change the outcome are tolerated, which saves an ldmxcsr
 * per operation in the common case: DE is not an IEEE flag, and PE need not
 * be detected again when the caller's flags already hold NX. */
ALWAYS_INLINE void host_enter(int rm, unsigned flags)
{
    uint32_t want = MX_MASKED | (uint32_t)mx_rc[rm] << MX_RC_SHIFT;
    uint32_t ignore = MX_DE | (flags & FPU_NX ? MX_PE : 0);
    if ((mx_read() & ~ignore) != want)
        mx_write(want);
}

/* Collect the flags and put the thread back to round-to-nearest. */
ALWAYS_INLINE void host_leave(int rm, unsigned *flags)
{
    uint32_t csr = mx_read();
    if (csr & (MX_IE | MX_ZE | MX_OE | MX_UE))
        *flags |= (csr & MX_IE ? FPU_NV : 0) | (csr & MX_ZE ? FPU_DZ : 0) |
                  (csr & MX_OE ? FPU_OF : 0) | (csr & MX_UE ? FPU_UF : 0);
    *flags |= (csr & MX_PE) ? FPU_NX : 0;
    if (rm != FPU_RNE)
        mx_write(MX_MASKED);
}

static inline int host_has_fma(void)
{
    return __builtin_cpu_supports("fma");
}

/* One SSE instruction on bit patterns.  `sfx` is "sd" or "ss". */
#define HOST_OPS(T, HT, sfx)                                                        \
ALWAYS_INLINE T host_##sfx(enum op op, T a, T b, T c)                               \
{                                                                                   \
    HT x, y, z;                                                                     \
    memcpy(&x, &a, sizeof x);                                                       \
    memcpy(&y, &b, sizeof y);                                                       \
    memcpy(&z, &c, sizeof z);                                                       \
    switch (op) {                                                                   \
    case OP_ADD:  __asm__ volatile("add" #sfx " %1, %0" : "+x"(x) : "x"(y) : "memory"); break; \
    case OP_SUB:  __asm__ volatile("sub" #sfx " %1, %0" : "+x"(x) : "x"(y) : "memory"); break; \
    case OP_MUL:  __asm__ volatile("mul" #sfx " %1, %0" : "+x"(x) : "x"(y) : "memory"); break; \
    case OP_DIV:  __asm__ volatile("div" #sfx " %1, %0" : "+x"(x) : "x"(y) : "memory"); break; \
    case OP_SQRT: __asm__ volatile("sqrt" #sfx " %0, %0" : "+x"(x) : : "memory"); break; \
    case OP_FMA:  __asm__ volatile("vfmadd213" #sfx " %2, %1, %0" : "+x"(x) : "x"(y), "x"(z) : "memory"); break; \
    }                                                                               \
    memcpy(&a, &x, sizeof a);                                                       \
    return a;                                                                       \
}
HOST_OPS(uint64_t, double, sd)
HOST_OPS(uint32_t, float, ss)

ALWAYS_INLINE uint64_t host_op(int dbl, enum op op, uint64_t a, uint64_t b, uint64_t c)
{
    return dbl ? host_sd(op, a, b, c) : host_ss(op, (uint32_t)a, (uint32_t)b, (uint32_t)c);
}

/* Fast path, when the caller's flags already hold NX (the steady state of
 * floating-point code, since fflags are sticky): a result that is finite
 * and strictly between the smallest normal and the largest finite value
 * can have raised only NX, so MXCSR's status
 * need not be read at all (stmxcsr is the expensive part, ~5 ns; ldmxcsr to
 * switch the rounding mode is cheap).  A sum is also safe when zero or
 * subnormal: such sums are exact.  Returns 0 when the slow path must redo
 * the operation to learn the flags. */
ALWAYS_INLINE int host_fast(int dbl, enum op op, uint64_t a, uint64_t b, uint64_t c,
                            int rm, uint64_t *res)
{
    if (rm != FPU_RNE)
        mx_write(MX_MASKED | (uint32_t)mx_rc[rm] << MX_RC_SHIFT);
    uint64_t r = host_op(dbl, op, a, b, c);
    if (rm != FPU_RNE)
        mx_write(MX_MASKED);
    uint64_t mag = f_mag_of(dbl, r);
    *res = r;
    /* Below the largest finite value: in RTZ/RDN/RUP an overflow gives it. */
    if (op == OP_ADD || op == OP_SUB)
        return mag < F_INF(dbl) - 1;
    return mag > F_FRAC(dbl) + 1 && mag < F_INF(dbl) - 1;
}

/* op on the host in mode rm (not RMM); NaN results made canonical. */
ALWAYS_INLINE uint64_t host_arith(int dbl, enum op op, uint64_t a, uint64_t b, uint64_t c,
                                  int rm, unsigned *flags)
{
    uint64_t r;
    if ((*flags & FPU_NX) && host_fast(dbl, op, a, b, c, rm, &r))
        return r;
    host_enter(rm, *flags);
    r = host_op(dbl, op, a, b, c);
    host_leave(rm, flags);
    if (f_is_nan(dbl, r)) {
        /* x86 leaves fma(inf, 0, qNaN) quiet; RISC-V says invalid. */
        if (op == OP_FMA && ((f_is_inf(dbl, a) && f_is_zero(dbl, b)) ||
                             (f_is_zero(dbl, a) && f_is_inf(dbl, b))))
            *flags |= FPU_NV;
        r = F_CANON(dbl);
    }
    return r;
}
#endif /* FPU_HOST */

ALWAYS_INLINE uint64_t soft_arith(int dbl, enum op op, uint64_t a, uint64_t b, uint64_t c,
                                  int rm, unsigned *flags)
{
    switch (op) {
    case OP_ADD:  return fpu_soft_add(dbl, a, b, rm, flags);
    case OP_SUB:  return fpu_soft_add(dbl, a, b ^ F_SIGN(dbl), rm, flags);
    case OP_MUL:  return fpu_soft_mul(dbl, a, b, rm, flags);
    case OP_DIV:  return fpu_soft_div(dbl, a, b, rm, flags);
    case OP_SQRT: return fpu_soft_sqrt(dbl, a, rm, flags);
    case OP_FMA:  return fpu_soft_fma(dbl, a, b, c, rm, flags);
    }
    return 0;
}

ALWAYS_INLINE uint64_t arith(int dbl, enum op op, uint64_t a, uint64_t b, uint64_t c,
                             int rm, unsigned *flags)
{
#ifdef FPU_HOST
    if (op == OP_FMA && !host_has_fma())
        return soft_arith(dbl, op, a, b, c, rm, flags);
    if (rm != FPU_RMM)
        return host_arith(dbl, op, a, b, c, rm, flags);
    /* RMM differs from RNE only on exact ties.  A square root is never a
     * tie; neither is a quotient in the normal range (its odd significand
     * would need P+1 bits times the divisor's to fit in P bits). */
    if (op == OP_SQRT)
        return host_arith(dbl, op, a, b, c, FPU_RNE, flags);
    if (op == OP_DIV) {
        unsigned fl = *flags;
        uint64_t r = host_arith(dbl, op, a, b, c, FPU_RNE, &fl);
        if (f_mag_of(dbl, r) > (F_FRAC(dbl) + 1)) {   /* above the smallest normal */
            *flags = fl;
            return r;
        }
    }
#endif
    return soft_arith(dbl, op, a, b, c, rm, flags);
}

/* ---- arithmetic, both formats ---- */

#define NEG(dbl, x) ((x) ^ F_SIGN(dbl))

#define ARITH_FNS(X, T, DBL)                                                        \
T fpu_add_##X(T a, T b, int rm, unsigned *flags)                                    \
{ return (T)arith(DBL, OP_ADD, a, b, 0, rm, flags); }                               \
T fpu_sub_##X(T a, T b, int rm, unsigned *flags)                                    \
{ return (T)arith(DBL, OP_SUB, a, b, 0, rm, flags); }                               \
T fpu_mul_##X(T a, T b, int rm, unsigned *flags)                                    \
{ return (T)arith(DBL, OP_MUL, a, b, 0, rm, flags); }                               \
T fpu_div_##X(T a, T b, int rm, unsigned *flags)                                    \
{ return (T)arith(DBL, OP_DIV, a, b, 0, rm, flags); }                               \
T fpu_sqrt_##X(T a, int rm, unsigned *flags)                                        \
{ return (T)arith(DBL, OP_SQRT, a, 0, 0, rm, flags); }                              \
T fpu_madd_##X(T a, T b, T c, int rm, unsigned *flags)                              \
{ return (T)arith(DBL, OP_FMA, a, b, c, rm, flags); }                               \
T fpu_msub_##X(T a, T b, T c, int rm, unsigned *flags)                              \
{ return (T)arith(DBL, OP_FMA, a, b, NEG(DBL, c), rm, flags); }                     \
T fpu_nmsub_##X(T a, T b, T c, int rm, unsigned *flags)                             \
{ return (T)arith(DBL, OP_FMA, NEG(DBL, a), b, c, rm, flags); }                     \
T fpu_nmadd_##X(T a, T b, T c, int rm, unsigned *flags)                             \
{ return (T)arith(DBL, OP_FMA, NEG(DBL, a), b, NEG(DBL, c), rm, flags); }
ARITH_FNS(s, uint32_t, 0)
ARITH_FNS(d, uint64_t, 1)

/* ---- comparisons, min/max, class, sign injection ---- */

/* a < b for non-NaN values; -0 < +0 only if `zero_order`. */
ALWAYS_INLINE int less(int dbl, uint64_t a, uint64_t b, int zero_order)
{
    int sa = f_sign_of(dbl, a), sb = f_sign_of(dbl, b);
    if (!zero_order && f_is_zero(dbl, a) && f_is_zero(dbl, b))
        return 0;
    if (sa != sb)
        return sa;
    return sa ? a > b : a < b;
}

ALWAYS_INLINE uint64_t minmax(int dbl, uint64_t a, uint64_t b, int want_max, unsigned *flags)
{
    if (f_is_snan(dbl, a) || f_is_snan(dbl, b))
        *flags |= FPU_NV;
    if (f_is_nan(dbl, a))
        return f_is_nan(dbl, b) ? F_CANON(dbl) : b;
    if (f_is_nan(dbl, b))
        return a;
    return less(dbl, a, b, 1) != want_max ? a : b;
}

/* kind: 0 = eq (quiet), 1 = lt, 2 = le (signaling) */
ALWAYS_INLINE int compare(int dbl, uint64_t a, uint64_t b, int kind, unsigned *flags)
{
    if (f_is_nan(dbl, a) || f_is_nan(dbl, b)) {
        if (kind != 0 || f_is_snan(dbl, a) || f_is_snan(dbl, b))
            *flags |= FPU_NV;
        return 0;
    }
    int equal = a == b || (f_is_zero(dbl, a) && f_is_zero(dbl, b));
    switch (kind) {
    case 0:  return equal;
    case 1:  return less(dbl, a, b, 0);
    default: return equal || less(dbl, a, b, 0);
    }
}

ALWAYS_INLINE uint64_t classify(int dbl, uint64_t a)
{
    int neg = f_sign_of(dbl, a);
    if (f_is_nan(dbl, a))
        return f_is_snan(dbl, a) ? FPU_CLASS_SNAN : FPU_CLASS_QNAN;
    if (f_is_inf(dbl, a))
        return neg ? FPU_CLASS_NEG_INF : FPU_CLASS_POS_INF;
    if (f_is_zero(dbl, a))
        return neg ? FPU_CLASS_NEG_ZERO : FPU_CLASS_POS_ZERO;
    if (f_mag_of(dbl, a) <= F_FRAC(dbl))
        return neg ? FPU_CLASS_NEG_SUBNORMAL : FPU_CLASS_POS_SUBNORMAL;
    return neg ? FPU_CLASS_NEG_NORMAL : FPU_CLASS_POS_NORMAL;
}

#define BITS_FNS(X, T, DBL)                                                         \
T fpu_min_##X(T a, T b, unsigned *flags) { return (T)minmax(DBL, a, b, 0, flags); } \
T fpu_max_##X(T a, T b, unsigned *flags) { return (T)minmax(DBL, a, b, 1, flags); } \
int fpu_eq_##X(T a, T b, unsigned *flags) { return compare(DBL, a, b, 0, flags); }  \
int fpu_lt_##X(T a, T b, unsigned *flags) { return compare(DBL, a, b, 1, flags); }  \
int fpu_le_##X(T a, T b, unsigned *flags) { return compare(DBL, a, b, 2, flags); }  \
uint64_t fpu_class_##X(T a) { return classify(DBL, a); }                            \
T fpu_sgnj_##X(T a, T b)  { return (T)((a & ~F_SIGN(DBL)) | (b & F_SIGN(DBL))); }   \
T fpu_sgnjn_##X(T a, T b) { return (T)((a & ~F_SIGN(DBL)) | (~b & F_SIGN(DBL))); }  \
T fpu_sgnjx_##X(T a, T b) { return (T)(a ^ (b & F_SIGN(DBL))); }
BITS_FNS(s, uint32_t, 0)
BITS_FNS(d, uint64_t, 1)

/* ---- conversions ---- */

static inline uint64_t magnitude(int64_t v)
{
    return v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
}

#define CVT_FNS(X, T, DBL)                                                          \
int64_t fpu_cvt_w_##X(T a, int rm, unsigned *flags)                                 \
{ return (int64_t)fpu_soft_to_int(DBL, a, FPU_INT_W, rm, flags); }                  \
int64_t fpu_cvt_wu_##X(T a, int rm, unsigned *flags)                                \
{ return (int64_t)fpu_soft_to_int(DBL, a, FPU_INT_WU, rm, flags); }                 \
int64_t fpu_cvt_l_##X(T a, int rm, unsigned *flags)                                 \
{ return (int64_t)fpu_soft_to_int(DBL, a, FPU_INT_L, rm, flags); }                  \
uint64_t fpu_cvt_lu_##X(T a, int rm, unsigned *flags)                               \
{ return fpu_soft_to_int(DBL, a, FPU_INT_LU, rm, flags); }                          \
T fpu_cvt_##X##_w(int32_t v, int rm, unsigned *flags)                               \
{ return (T)fpu_soft_from_int(DBL, v < 0, magnitude(v), rm, flags); }               \
T fpu_cvt_##X##_wu(uint32_t v, int rm, unsigned *flags)                             \
{ return (T)fpu_soft_from_int(DBL, 0, v, rm, flags); }                              \
T fpu_cvt_##X##_l(int64_t v, int rm, unsigned *flags)                               \
{ return (T)fpu_soft_from_int(DBL, v < 0, magnitude(v), rm, flags); }               \
T fpu_cvt_##X##_lu(uint64_t v, int rm, unsigned *flags)                             \
{ return (T)fpu_soft_from_int(DBL, 0, v, rm, flags); }
CVT_FNS(s, uint32_t, 0)
CVT_FNS(d, uint64_t, 1)

uint32_t fpu_cvt_s_d(uint64_t a, int rm, unsigned *flags)
{
    return (uint32_t)fpu_soft_convert(0, a, rm, flags);
}

uint64_t fpu_cvt_d_s(uint32_t a, int rm, unsigned *flags)
{
    return fpu_soft_convert(1, a, rm, flags);
}
