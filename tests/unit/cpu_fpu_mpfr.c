/*
 * cpu_fpu_mpfr.c — differential test of the FPU against an exact reference
 * built on MPFR.
 *
 * The reference computes every result exactly (or, for div/sqrt, to 200 bits
 * plus a sticky bit), then rounds it to binary32/binary64 by its own simple
 * method — scale to an integer multiple of the result's quantum and round
 * that integer — which shares no code or technique with src/cpu/fpu_soft.c.
 * Flags follow IEEE 754-2008 with tininess after rounding (RISC-V).
 *
 * Operands are random in the style of TestFloat: special values, boundary
 * exponents, significands with few or many bits set, exponents correlated
 * between operands so that cancellation, ties, overflow and underflow occur
 * often.  Both the public API (host fast path + integer core) and the
 * integer core alone (every rounding mode) are checked.
 *
 * Usage: cpu_fpu_mpfr [iterations] [seed]
 */
#include <fenv.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpfr.h>

#include "cpu/fpu.h"
#include "cpu/fpu_soft.h"

#define PREC_EXACT 4600     /* enough for any exact binary64 fma */
#define PREC_DIV   200

struct fmt { int dbl, p, emin, emax, bias; };
static const struct fmt FMT_S = { 0, 24, -126, 127, 127 };
static const struct fmt FMT_D = { 1, 53, -1022, 1023, 1023 };

static const char *const rm_name[] = { "RNE", "RTZ", "RDN", "RUP", "RMM" };

/* ---- random operands ---- */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static unsigned rnd(unsigned n) { return (unsigned)(rnd64() % n); }

static uint64_t make(const struct fmt *f, int sign, int biased_exp, uint64_t frac)
{
    uint64_t fracmask = (UINT64_C(1) << (f->p - 1)) - 1;
    int width = f->dbl ? 64 : 32;
    if (biased_exp < 0)
        biased_exp = 0;
    if (biased_exp > 2 * f->bias + 1)
        biased_exp = 2 * f->bias + 1;
    return ((uint64_t)sign << (width - 1)) | ((uint64_t)biased_exp << (f->p - 1)) | (frac & fracmask);
}

static uint64_t random_frac(const struct fmt *f)
{
    uint64_t fracmask = (UINT64_C(1) << (f->p - 1)) - 1;
    switch (rnd(6)) {
    case 0: return rnd64() & fracmask;
    case 1: return 0;
    case 2: return fracmask;                                        /* all ones */
    case 3: return (UINT64_C(1) << rnd(f->p - 1)) | (UINT64_C(1) << rnd(f->p - 1)); /* few bits */
    case 4: return fracmask ^ (UINT64_C(1) << rnd(f->p - 1));       /* all but one */
    default: return rnd64() & ((UINT64_C(1) << rnd(f->p)) - 1) & fracmask; /* low bits only */
    }
}

static uint64_t special(const struct fmt *f)
{
    int s = rnd(2);
    uint64_t fracmask = (UINT64_C(1) << (f->p - 1)) - 1, quiet = UINT64_C(1) << (f->p - 2);
    int maxe = 2 * f->bias + 1;
    switch (rnd(12)) {
    case 0:  return make(f, s, 0, 0);                               /* zero */
    case 1:  return make(f, s, maxe, 0);                            /* inf */
    case 2:  return make(f, s, maxe, quiet | (rnd64() & fracmask)); /* qNaN */
    case 3:  return make(f, s, maxe, (rnd64() & (quiet - 1)) | 1);  /* sNaN */
    case 4:  return make(f, s, 0, 1);                               /* min subnormal */
    case 5:  return make(f, s, 0, fracmask);                        /* max subnormal */
    case 6:  return make(f, s, 1, 0);                               /* min normal */
    case 7:  return make(f, s, maxe - 1, fracmask);                 /* max finite */
    case 8:  return make(f, s, f->bias, 0);                         /* 1 */
    case 9:  return make(f, s, f->bias + f->p - 1, rnd(2));         /* 2^(p-1) (+1 ulp) */
    case 10: return make(f, s, f->bias - 1, fracmask);              /* just below 1 */
    default: return make(f, s, 0, random_frac(f));                  /* subnormal */
    }
}

/* A random operand whose biased exponent is near `e` (or anywhere if e < 0). */
static uint64_t operand_near(const struct fmt *f, int e)
{
    int maxe = 2 * f->bias + 1;
    if (rnd(10) == 0)
        return special(f);
    if (e < 0) {
        switch (rnd(5)) {
        case 0:  e = rnd(f->p + 3); break;                          /* subnormal / tiny */
        case 1:  e = maxe - 1 - rnd(f->p + 3); break;               /* huge */
        case 2:  e = f->bias - (f->p + 2) + rnd(2 * f->p + 4); break;
        default: e = rnd(maxe); break;
        }
    } else if (rnd(3) == 0) {
        e += (int)rnd(5) - 2;                                       /* very close */
    } else {
        e += (int)rnd(2 * f->p + 8) - (f->p + 4);
    }
    return make(f, rnd(2), e, random_frac(f));
}

static int biased_exp(const struct fmt *f, uint64_t x)
{
    return (int)((x >> (f->p - 1)) & (uint64_t)(2 * f->bias + 1));
}

/* ---- exact reference ---- */

static int is_nan(const struct fmt *f, uint64_t x)
{
    uint64_t fracmask = (UINT64_C(1) << (f->p - 1)) - 1;
    return biased_exp(f, x) == 2 * f->bias + 1 && (x & fracmask);
}

static int is_snan(const struct fmt *f, uint64_t x)
{
    return is_nan(f, x) && !(x & (UINT64_C(1) << (f->p - 2)));
}

static uint64_t canon(const struct fmt *f)
{
    return f->dbl ? FPU_CANONICAL_NAN_D : FPU_CANONICAL_NAN_S;
}

static void to_mpfr(mpfr_t r, const struct fmt *f, uint64_t x)
{
    if (f->dbl) {
        double d;
        memcpy(&d, &x, 8);
        mpfr_set_d(r, d, MPFR_RNDN);        /* exact */
    } else {
        float s;
        uint32_t v = (uint32_t)x;
        memcpy(&s, &v, 4);
        mpfr_set_flt(r, s, MPFR_RNDN);      /* exact */
    }
}

static mpfr_rnd_t mpfr_mode(int rm)
{
    static const mpfr_rnd_t m[] = { MPFR_RNDN, MPFR_RNDZ, MPFR_RNDD, MPFR_RNDU, MPFR_RNDN };
    return m[rm];
}

/* Round n (an exact real held in an MPFR variable) to an integer. */
static void round_int(mpfr_t n, const mpfr_t t, int rm)
{
    if (rm == FPU_RMM)
        mpfr_round(n, t);                   /* ties away from zero */
    else
        mpfr_rint(n, t, mpfr_mode(rm));
}

/* Round the exact nonzero finite x to format f: the quantum is
 * 2^(max(E, emin) - (p-1)) where x = 1.xxx * 2^E. */
static uint64_t ref_round(const struct fmt *f, const mpfr_t x, int rm, unsigned *flags)
{
    mpfr_prec_t prec = mpfr_get_prec(x) + 8;
    mpfr_t t, n;
    mpfr_inits2(prec, t, n, (mpfr_ptr)0);
    int sign = mpfr_signbit(x) != 0;
    long e = (long)mpfr_get_exp(x) - 1;

    /* tininess: round to p bits with unbounded exponent */
    mpfr_mul_2si(t, x, -(e - (f->p - 1)), MPFR_RNDN);
    round_int(n, t, rm);
    mpfr_mul_2si(n, n, e - (f->p - 1), MPFR_RNDN);
    int tiny = mpfr_get_exp(n) - 1 < f->emin;

    long eq = (e > f->emin ? e : f->emin) - (f->p - 1);
    mpfr_mul_2si(t, x, -eq, MPFR_RNDN);
    round_int(n, t, rm);
    int inexact = !mpfr_equal_p(n, t);
    mpfr_abs(n, n, MPFR_RNDN);
    uint64_t m = mpfr_get_uj(n, MPFR_RNDN);
    mpfr_clears(t, n, (mpfr_ptr)0);

    if (m >> f->p) {                        /* 2^p: carried into the next binade */
        m >>= 1;
        eq++;
    }
    int width = f->dbl ? 64 : 32;
    uint64_t sbit = (uint64_t)sign << (width - 1);
    if (eq + f->p - 1 > f->emax) {
        *flags |= FPU_OF | FPU_NX;
        int to_max = rm == FPU_RTZ || (rm == FPU_RDN && !sign) || (rm == FPU_RUP && sign);
        uint64_t inf = (uint64_t)(2 * f->bias + 1) << (f->p - 1);
        return sbit | (to_max ? inf - 1 : inf);
    }
    if (inexact)
        *flags |= FPU_NX | (tiny ? FPU_UF : 0);
    if (m < (UINT64_C(1) << (f->p - 1)))    /* subnormal or zero */
        return sbit | m;
    return sbit | ((uint64_t)(eq + f->p - 1 + f->bias) << (f->p - 1)) | (m - (UINT64_C(1) << (f->p - 1)));
}

/* Encode an MPFR value that is an exact signed zero or infinity. */
static uint64_t encode_special(const struct fmt *f, const mpfr_t x)
{
    int width = f->dbl ? 64 : 32;
    uint64_t sbit = (uint64_t)(mpfr_signbit(x) != 0) << (width - 1);
    if (mpfr_inf_p(x))
        return sbit | ((uint64_t)(2 * f->bias + 1) << (f->p - 1));
    return sbit;
}

enum op { OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_SQRT, OP_MADD, OP_MSUB, OP_NMSUB, OP_NMADD, OP_COUNT };
static const char *const op_name[] = { "add", "sub", "mul", "div", "sqrt", "madd", "msub", "nmsub", "nmadd" };
static const int op_arity[] = { 2, 2, 2, 2, 1, 3, 3, 3, 3 };

static uint64_t reference(const struct fmt *f, enum op op, uint64_t a, uint64_t b, uint64_t c,
                          int rm, unsigned *flags)
{
    int n = op_arity[op];
    int nan = is_nan(f, a) || (n > 1 && is_nan(f, b)) || (n > 2 && is_nan(f, c));
    if (op >= OP_MADD) {
        /* RISC-V: inf*0 + anything is invalid, even plus a quiet NaN */
        int ea = biased_exp(f, a), eb = biased_exp(f, b);
        uint64_t fracmask = (UINT64_C(1) << (f->p - 1)) - 1, maxe = 2 * f->bias + 1;
        int a_inf = ea == (int)maxe && !(a & fracmask), b_inf = eb == (int)maxe && !(b & fracmask);
        int a_zero = ea == 0 && !(a & fracmask), b_zero = eb == 0 && !(b & fracmask);
        if ((a_inf && b_zero) || (a_zero && b_inf)) {
            *flags |= FPU_NV;
            return canon(f);
        }
    }
    if (nan) {
        if (is_snan(f, a) || (n > 1 && is_snan(f, b)) || (n > 2 && is_snan(f, c)))
            *flags |= FPU_NV;
        return canon(f);
    }

    mpfr_t x, y, z, r;
    mpfr_inits2(f->p, x, y, z, (mpfr_ptr)0);
    mpfr_init2(r, op == OP_DIV || op == OP_SQRT ? PREC_DIV : PREC_EXACT);
    to_mpfr(x, f, a);
    to_mpfr(y, f, b);
    to_mpfr(z, f, c);
    mpfr_clear_flags();
    mpfr_rnd_t md = mpfr_mode(rm);
    int ternary = 0;
    switch (op) {
    case OP_ADD:   ternary = mpfr_add(r, x, y, md); break;
    case OP_SUB:   ternary = mpfr_sub(r, x, y, md); break;
    case OP_MUL:   ternary = mpfr_mul(r, x, y, md); break;
    case OP_DIV:   ternary = mpfr_div(r, x, y, MPFR_RNDZ); break;
    case OP_SQRT:  ternary = mpfr_sqrt(r, x, MPFR_RNDZ); break;
    case OP_MADD:  ternary = mpfr_fma(r, x, y, z, md); break;
    case OP_MSUB:  ternary = mpfr_fms(r, x, y, z, md); break;
    case OP_NMSUB: mpfr_neg(x, x, MPFR_RNDN); ternary = mpfr_fma(r, x, y, z, md); break;
    case OP_NMADD: mpfr_neg(x, x, MPFR_RNDN); ternary = mpfr_fms(r, x, y, z, md); break;
    default: break;
    }
    uint64_t res;
    if (mpfr_nan_p(r)) {
        *flags |= FPU_NV;
        res = canon(f);
    } else if (mpfr_inf_p(r) || mpfr_zero_p(r)) {
        if (mpfr_divby0_p())
            *flags |= FPU_DZ;
        res = encode_special(f, r);
    } else {
        if (ternary != 0 && op != OP_DIV && op != OP_SQRT) {
            fprintf(stderr, "reference: %s not exact\n", op_name[op]);
            exit(2);
        }
        if (ternary != 0) {
            /* Truncated to 200 bits: nudge strictly between the truncation
             * and the next 200-bit value; no rounding boundary lies there. */
            mpfr_t nudged, eps;
            mpfr_inits2(PREC_DIV + 60, nudged, eps, (mpfr_ptr)0);
            mpfr_set(nudged, r, MPFR_RNDN);
            mpfr_set_si_2exp(eps, mpfr_signbit(r) ? -1 : 1, mpfr_get_exp(r) - PREC_DIV - 30, MPFR_RNDN);
            mpfr_add(nudged, nudged, eps, MPFR_RNDN);
            res = ref_round(f, nudged, rm, flags);
            mpfr_clears(nudged, eps, (mpfr_ptr)0);
        } else {
            res = ref_round(f, r, rm, flags);
        }
    }
    mpfr_clears(x, y, z, r, (mpfr_ptr)0);
    return res;
}

/* ---- the implementations under test ---- */

static uint64_t api(const struct fmt *f, enum op op, uint64_t a, uint64_t b, uint64_t c,
                    int rm, unsigned *fl)
{
    if (f->dbl) {
        switch (op) {
        case OP_ADD:   return fpu_add_d(a, b, rm, fl);
        case OP_SUB:   return fpu_sub_d(a, b, rm, fl);
        case OP_MUL:   return fpu_mul_d(a, b, rm, fl);
        case OP_DIV:   return fpu_div_d(a, b, rm, fl);
        case OP_SQRT:  return fpu_sqrt_d(a, rm, fl);
        case OP_MADD:  return fpu_madd_d(a, b, c, rm, fl);
        case OP_MSUB:  return fpu_msub_d(a, b, c, rm, fl);
        case OP_NMSUB: return fpu_nmsub_d(a, b, c, rm, fl);
        case OP_NMADD: return fpu_nmadd_d(a, b, c, rm, fl);
        default: break;
        }
    } else {
        uint32_t x = (uint32_t)a, y = (uint32_t)b, z = (uint32_t)c;
        switch (op) {
        case OP_ADD:   return fpu_add_s(x, y, rm, fl);
        case OP_SUB:   return fpu_sub_s(x, y, rm, fl);
        case OP_MUL:   return fpu_mul_s(x, y, rm, fl);
        case OP_DIV:   return fpu_div_s(x, y, rm, fl);
        case OP_SQRT:  return fpu_sqrt_s(x, rm, fl);
        case OP_MADD:  return fpu_madd_s(x, y, z, rm, fl);
        case OP_MSUB:  return fpu_msub_s(x, y, z, rm, fl);
        case OP_NMSUB: return fpu_nmsub_s(x, y, z, rm, fl);
        case OP_NMADD: return fpu_nmadd_s(x, y, z, rm, fl);
        default: break;
        }
    }
    return 0;
}

static uint64_t soft(const struct fmt *f, enum op op, uint64_t a, uint64_t b, uint64_t c,
                     int rm, unsigned *fl)
{
    uint64_t sign = f->dbl ? UINT64_C(1) << 63 : UINT64_C(1) << 31;
    switch (op) {
    case OP_ADD:   return fpu_soft_add(f->dbl, a, b, rm, fl);
    case OP_SUB:   return fpu_soft_add(f->dbl, a, b ^ sign, rm, fl);
    case OP_MUL:   return fpu_soft_mul(f->dbl, a, b, rm, fl);
    case OP_DIV:   return fpu_soft_div(f->dbl, a, b, rm, fl);
    case OP_SQRT:  return fpu_soft_sqrt(f->dbl, a, rm, fl);
    case OP_MADD:  return fpu_soft_fma(f->dbl, a, b, c, rm, fl);
    case OP_MSUB:  return fpu_soft_fma(f->dbl, a, b, c ^ sign, rm, fl);
    case OP_NMSUB: return fpu_soft_fma(f->dbl, a ^ sign, b, c, rm, fl);
    case OP_NMADD: return fpu_soft_fma(f->dbl, a ^ sign, b, c ^ sign, rm, fl);
    default: break;
    }
    return 0;
}

/* ---- the test loop ---- */

static int failures;

static void report(const char *who, const struct fmt *f, const char *name, uint64_t a, uint64_t b,
                   uint64_t c, int rm, uint64_t got, unsigned gotfl, uint64_t want, unsigned wantfl)
{
    if (++failures > 30)
        return;
    int w = f->dbl ? 16 : 8;
    fprintf(stderr, "FAIL %s %s.%c %s a=%0*" PRIx64 " b=%0*" PRIx64 " c=%0*" PRIx64
            ": got %0*" PRIx64 " fl=%02x, want %0*" PRIx64 " fl=%02x\n",
            who, name, f->dbl ? 'd' : 's', rm_name[rm], w, a, w, b, w, c, w, got, gotfl, w, want, wantfl);
}

/* Operands shaped for op: exponents chosen so that results land near
 * cancellation, ties, the subnormal range and overflow. */
static void operands(const struct fmt *f, enum op op, uint64_t *a, uint64_t *b, uint64_t *c)
{
    *a = operand_near(f, -1);
    int ea = biased_exp(f, *a);
    switch (op) {
    case OP_MUL: case OP_MADD: case OP_MSUB: case OP_NMSUB: case OP_NMADD:
        if (rnd(2)) {   /* product near the bottom or top of the range */
            int target = rnd(2) ? rnd(f->p + 2) : 2 * f->bias - rnd(3);
            *b = operand_near(f, target - ea + f->bias);
        } else {
            *b = operand_near(f, rnd(2) ? f->bias : -1);
        }
        if (rnd(4))
            *c = operand_near(f, ea + biased_exp(f, *b) - f->bias);
        else
            *c = operand_near(f, -1);
        break;
    case OP_DIV:
        if (rnd(4)) {   /* quotient near the bottom, the top, or 1 */
            int target;
            switch (rnd(3)) {
            case 0:  target = rnd(f->p + 2); break;
            case 1:  target = 2 * f->bias - rnd(3); break;
            default: target = f->bias; break;
            }
            *b = operand_near(f, ea - target + f->bias);
        } else {
            *b = operand_near(f, -1);
        }
        *c = 0;
        break;
    default:
        *b = rnd(3) ? operand_near(f, ea) : operand_near(f, -1);
        *c = 0;
        break;
    }
}

static void check_one(const struct fmt *f, enum op op, uint64_t a, uint64_t b, uint64_t c)
{
    for (int rm = 0; rm < 5; rm++) {
        unsigned want_fl = 0, got_fl, start;
        uint64_t want = reference(f, op, a, b, c, rm, &want_fl);

        /* sometimes start with NX set: exercises the fast path */
        start = rnd(2) ? FPU_NX : 0;
        got_fl = start;
        uint64_t got = api(f, op, a, b, c, rm, &got_fl);
        if (got != want || got_fl != (want_fl | start))
            report("api", f, op_name[op], a, b, c, rm, got, got_fl, want, want_fl | start);

        got_fl = 0;
        got = soft(f, op, a, b, c, rm, &got_fl);
        if (got != want || got_fl != want_fl)
            report("soft", f, op_name[op], a, b, c, rm, got, got_fl, want, want_fl);
    }
}

/* Every combination of the special values (zeros, infinities, NaNs, the
 * extremes of each binade), then random operands. */
static void check_arith(const struct fmt *f, long iterations)
{
    uint64_t sp[24];
    int nsp = 0;
    uint64_t fracmask = (UINT64_C(1) << (f->p - 1)) - 1, quiet = UINT64_C(1) << (f->p - 2);
    int maxe = 2 * f->bias + 1;
    for (int s = 0; s < 2; s++) {
        sp[nsp++] = make(f, s, 0, 0);
        sp[nsp++] = make(f, s, maxe, 0);
        sp[nsp++] = make(f, s, maxe, quiet);
        sp[nsp++] = make(f, s, maxe, 1);
        sp[nsp++] = make(f, s, 0, 1);
        sp[nsp++] = make(f, s, 0, fracmask);
        sp[nsp++] = make(f, s, 1, 0);
        sp[nsp++] = make(f, s, maxe - 1, fracmask);
        sp[nsp++] = make(f, s, f->bias, 0);
        sp[nsp++] = make(f, s, f->bias, 1);
        sp[nsp++] = make(f, s, f->bias - 1, fracmask);
        sp[nsp++] = make(f, s, f->bias + 1, 0);
    }
    for (int op = 0; op < OP_COUNT; op++) {
        int nb = op_arity[op] > 1 ? nsp : 1, nc = op_arity[op] > 2 ? nsp : 1;
        for (int i = 0; i < nsp; i++)
            for (int j = 0; j < nb; j++)
                for (int k = 0; k < nc; k++)
                    check_one(f, op, sp[i], sp[j], sp[k]);
        for (long i = 0; i < iterations; i++) {
            uint64_t a, b, c;
            operands(f, op, &a, &b, &c);
            check_one(f, op, a, b, c);
        }
    }
}

/* float -> integer */
static void check_to_int(const struct fmt *f, long iterations)
{
    static const char *const kind_name[] = { "cvt.w", "cvt.wu", "cvt.l", "cvt.lu" };
    mpfr_t x, n, lo, hi;
    mpfr_inits2(256, x, n, lo, hi, (mpfr_ptr)0);
    for (long i = 0; i < iterations; i++) {
        uint64_t a;
        if (rnd(2)) {   /* near the integer range boundaries */
            int e = f->bias + (int)(rnd(4) ? (rnd(2) ? 31 : 63) : rnd(66)) + (int)rnd(3) - 1;
            a = make(f, rnd(2), e, rnd(2) ? random_frac(f) : 0);
        } else {
            a = operand_near(f, -1);
        }
        for (int kind = 0; kind < 4; kind++) {
            for (int rm = 0; rm < 5; rm++) {
                unsigned want_fl = 0, got_fl = 0;
                uint64_t want;
                /* range: W [-2^31, 2^31-1], WU [0, 2^32-1], L [-2^63, 2^63-1], LU [0, 2^64-1] */
                int bits = kind < 2 ? 32 : 64, unsig = kind & 1;
                uint64_t maxv = unsig ? (bits == 64 ? UINT64_MAX : 0xffffffff)
                                      : (bits == 64 ? (uint64_t)INT64_MAX : 0x7fffffff);
                uint64_t minv = unsig ? 0 : (bits == 64 ? (uint64_t)INT64_MIN : (uint64_t)(int64_t)INT32_MIN);
                if (is_nan(f, a)) {
                    want_fl = FPU_NV;
                    want = maxv;
                } else {
                    to_mpfr(x, f, a);
                    if (mpfr_inf_p(x)) {
                        want_fl = FPU_NV;
                        want = mpfr_signbit(x) ? minv : maxv;
                    } else {
                        round_int(n, x, rm);
                        mpfr_set_sj(lo, unsig ? 0 : (bits == 64 ? INT64_MIN : INT32_MIN), MPFR_RNDN);
                        mpfr_set_uj(hi, maxv, MPFR_RNDN);
                        if (mpfr_less_p(n, lo)) {
                            want_fl = FPU_NV;
                            want = minv;
                        } else if (mpfr_greater_p(n, hi)) {
                            want_fl = FPU_NV;
                            want = maxv;
                        } else {
                            want = mpfr_sgn(n) < 0 ? (uint64_t)mpfr_get_sj(n, MPFR_RNDN)
                                                   : (uint64_t)mpfr_get_uj(n, MPFR_RNDN);
                            if (!mpfr_equal_p(n, x))
                                want_fl = FPU_NX;
                        }
                    }
                }
                if (bits == 32)     /* the 32-bit result, sign-extended into rd */
                    want = (uint64_t)(int64_t)(int32_t)(uint32_t)want;
                uint64_t got;
                if (f->dbl) {
                    switch (kind) {
                    case 0:  got = (uint64_t)fpu_cvt_w_d(a, rm, &got_fl); break;
                    case 1:  got = (uint64_t)fpu_cvt_wu_d(a, rm, &got_fl); break;
                    case 2:  got = (uint64_t)fpu_cvt_l_d(a, rm, &got_fl); break;
                    default: got = fpu_cvt_lu_d(a, rm, &got_fl); break;
                    }
                } else {
                    uint32_t s = (uint32_t)a;
                    switch (kind) {
                    case 0:  got = (uint64_t)fpu_cvt_w_s(s, rm, &got_fl); break;
                    case 1:  got = (uint64_t)fpu_cvt_wu_s(s, rm, &got_fl); break;
                    case 2:  got = (uint64_t)fpu_cvt_l_s(s, rm, &got_fl); break;
                    default: got = fpu_cvt_lu_s(s, rm, &got_fl); break;
                    }
                }
                if (got != want || got_fl != want_fl)
                    report("api", f, kind_name[kind], a, 0, 0, rm, got, got_fl, want, want_fl);
            }
        }
    }
    mpfr_clears(x, n, lo, hi, (mpfr_ptr)0);
}

/* integer -> float */
static void check_from_int(const struct fmt *f, long iterations)
{
    static const char *const kind_name[] = { "cvt.from.w", "cvt.from.wu", "cvt.from.l", "cvt.from.lu" };
    mpfr_t x;
    mpfr_init2(x, 128);
    for (long i = 0; i < iterations; i++) {
        uint64_t v = rnd64();
        switch (rnd(4)) {
        case 0: v >>= rnd(64); break;
        case 1: v = (UINT64_C(1) << rnd(64)) + (uint64_t)rnd(5) - 2; break;
        case 2: v = ~(v >> rnd(64)); break;
        default: break;
        }
        for (int kind = 0; kind < 4; kind++) {
            int64_t sv = kind == 0 ? (int32_t)v : (int64_t)v;
            uint64_t uv = kind == 1 ? (uint32_t)v : v;
            if ((kind & 1) == 0)
                mpfr_set_sj(x, sv, MPFR_RNDN);
            else
                mpfr_set_uj(x, uv, MPFR_RNDN);
            for (int rm = 0; rm < 5; rm++) {
                unsigned want_fl = 0, got_fl = 0;
                uint64_t want = mpfr_zero_p(x) ? 0 : ref_round(f, x, rm, &want_fl), got;
                if (f->dbl) {
                    switch (kind) {
                    case 0:  got = fpu_cvt_d_w((int32_t)sv, rm, &got_fl); break;
                    case 1:  got = fpu_cvt_d_wu((uint32_t)uv, rm, &got_fl); break;
                    case 2:  got = fpu_cvt_d_l(sv, rm, &got_fl); break;
                    default: got = fpu_cvt_d_lu(uv, rm, &got_fl); break;
                    }
                } else {
                    switch (kind) {
                    case 0:  got = fpu_cvt_s_w((int32_t)sv, rm, &got_fl); break;
                    case 1:  got = fpu_cvt_s_wu((uint32_t)uv, rm, &got_fl); break;
                    case 2:  got = fpu_cvt_s_l(sv, rm, &got_fl); break;
                    default: got = fpu_cvt_s_lu(uv, rm, &got_fl); break;
                    }
                }
                if (got != want || got_fl != want_fl)
                    report("api", f, kind_name[kind], v, 0, 0, rm, got, got_fl, want, want_fl);
            }
        }
    }
    mpfr_clear(x);
}

/* binary64 <-> binary32 */
static void check_convert(long iterations)
{
    mpfr_t x;
    mpfr_init2(x, 64);
    for (long i = 0; i < iterations; i++) {
        uint64_t d = operand_near(&FMT_D, rnd(2) ? -1 : FMT_D.bias + (rnd(2) ? 127 : -126) + (int)rnd(60) - 30);
        uint32_t s = (uint32_t)operand_near(&FMT_S, -1);
        for (int rm = 0; rm < 5; rm++) {
            unsigned want_fl = 0, got_fl = 0;
            uint64_t want;
            if (is_nan(&FMT_D, d)) {
                want = FPU_CANONICAL_NAN_S;
                want_fl = is_snan(&FMT_D, d) ? FPU_NV : 0;
            } else {
                to_mpfr(x, &FMT_D, d);
                want = mpfr_inf_p(x) || mpfr_zero_p(x) ? encode_special(&FMT_S, x)
                                                       : ref_round(&FMT_S, x, rm, &want_fl);
            }
            uint64_t got = fpu_cvt_s_d(d, rm, &got_fl);
            if (got != want || got_fl != want_fl)
                report("api", &FMT_S, "cvt.s.d", d, 0, 0, rm, got, got_fl, want, want_fl);

            want_fl = got_fl = 0;
            if (is_nan(&FMT_S, s)) {
                want = FPU_CANONICAL_NAN_D;
                want_fl = is_snan(&FMT_S, s) ? FPU_NV : 0;
            } else {
                to_mpfr(x, &FMT_S, s);
                want = mpfr_inf_p(x) || mpfr_zero_p(x) ? encode_special(&FMT_D, x)
                                                       : ref_round(&FMT_D, x, rm, &want_fl);
            }
            got = fpu_cvt_d_s(s, rm, &got_fl);
            if (got != want || got_fl != want_fl)
                report("api", &FMT_D, "cvt.d.s", s, 0, 0, rm, got, got_fl, want, want_fl);
        }
    }
    mpfr_clear(x);
}

int main(int argc, char **argv)
{
    long iterations = argc > 1 ? atol(argv[1]) : 6000;
    rng_state = argc > 2 ? strtoull(argv[2], NULL, 0) : UINT64_C(20240601);

    check_arith(&FMT_S, iterations);
    check_arith(&FMT_D, iterations);
    check_to_int(&FMT_S, iterations * 4);
    check_to_int(&FMT_D, iterations * 4);
    check_from_int(&FMT_S, iterations * 4);
    check_from_int(&FMT_D, iterations * 4);
    check_convert(iterations * 4);

    /* The FPU must leave the thread in round-to-nearest. */
    if (fegetround() != FE_TONEAREST) {
        fprintf(stderr, "FAIL host rounding mode left at %d\n", fegetround());
        failures++;
    }
    if (failures) {
        fprintf(stderr, "%d failures\n", failures);
        return 1;
    }
    printf("cpu_fpu_mpfr: %ld iterations per operation, all rounding modes: ok\n", iterations);
    return 0;
}
