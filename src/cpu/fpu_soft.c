/*
 * fpu_soft.c — IEEE-754 binary32/binary64 arithmetic with integers only.
 *
 * A finite nonzero value is held "unpacked" as sign, exponent and a 64-bit
 * significand `sig` whose leading one sits at bit 62:
 *
 *     value = (-1)^sign * sig * 2^(exp - 62),   2^62 <= sig < 2^63
 *
 * Bits below the format's precision are round bits; the lowest bit is
 * "jammed" (OR-ed with everything shifted out) so that it records whether
 * anything nonzero lies below.  That is enough to round correctly in every
 * mode, provided at least two round bits remain above the jam bit, which
 * holds for both formats (10 round bits for binary64, 39 for binary32).
 *
 * round_pack() is the single place where results are rounded, checked for
 * overflow and underflow (tininess after rounding, as RISC-V specifies) and
 * encoded.
 */
#include "cpu/fpu_soft.h"
#include "cpu/fpu.h"

typedef unsigned __int128 u128;

static inline uint64_t shr_jam64(uint64_t x, unsigned n)
{
    if (n == 0)
        return x;
    if (n >= 64)
        return x != 0;
    return (x >> n) | ((x << (64 - n)) != 0);
}

static inline u128 shr_jam128(u128 x, unsigned n)
{
    if (n == 0)
        return x;
    if (n >= 128)
        return x != 0;
    return (x >> n) | ((x << (128 - n)) != 0);
}

static inline int clz128(u128 x)
{
    uint64_t hi = (uint64_t)(x >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((uint64_t)x);
}

/* Whether to add one unit in the last place: `rem` is what lies below it,
 * `half` the value of half a unit, `odd` the last kept bit. */
static inline int round_up(uint64_t rem, uint64_t half, int odd, int sign, int rm)
{
    switch (rm) {
    case FPU_RNE: return rem > half || (rem == half && odd);
    case FPU_RMM: return rem >= half;
    case FPU_RDN: return sign && rem;
    case FPU_RUP: return !sign && rem;
    default:      return 0;                              /* FPU_RTZ */
    }
}

/* Result of an overflow: infinity, or the largest finite value when the
 * rounding direction points toward zero. */
static uint64_t overflow(int dbl, int sign, int rm, unsigned *flags)
{
    *flags |= FPU_OF | FPU_NX;
    int to_max = rm == FPU_RTZ || (rm == FPU_RDN && !sign) || (rm == FPU_RUP && sign);
    return (sign ? F_SIGN(dbl) : 0) | (to_max ? F_INF(dbl) - 1 : F_INF(dbl));
}

/* Round sig * 2^(exp - 62) (2^62 <= sig < 2^63) to the format, raise the
 * flags, and encode it. */
static uint64_t round_pack(int dbl, int sign, int exp, uint64_t sig, int rm, unsigned *flags)
{
    const unsigned shift = 63 - F_P(dbl);                 /* round bits */
    const uint64_t rmask = ((uint64_t)1 << shift) - 1, half = (uint64_t)1 << (shift - 1);
    int tiny = 0;

    if (exp < F_EMIN(dbl)) {
        /* Tininess after rounding: would rounding to full precision with an
         * unbounded exponent still give a value below 2^EMIN?  Only a
         * carry out of an all-ones significand can lift it to 2^EMIN. */
        tiny = 1;
        if (exp == F_EMIN(dbl) - 1 && (sig >> shift) == ((uint64_t)1 << F_P(dbl)) - 1)
            tiny = !round_up(sig & rmask, half, 1, sign, rm);
        sig = shr_jam64(sig, (unsigned)(F_EMIN(dbl) - exp));
        exp = F_EMIN(dbl);
    }
    uint64_t rem = sig & rmask;
    sig >>= shift;
    sig += round_up(rem, half, sig & 1, sign, rm);
    if (sig >> F_P(dbl)) {                                /* carried to 2^P */
        sig >>= 1;
        exp++;
    }
    if (exp > F_EMAX(dbl))
        return overflow(dbl, sign, rm, flags);
    if (rem)
        *flags |= tiny ? FPU_NX | FPU_UF : FPU_NX;
    /* A normal significand's hidden bit adds one to the exponent field, so
     * subnormals (exp == EMIN, no hidden bit) get field 0 automatically. */
    return (sign ? F_SIGN(dbl) : 0) + ((uint64_t)(exp + F_BIAS(dbl) - 1) << (F_P(dbl) - 1)) + sig;
}

/* Split a finite nonzero value. */
static inline void unpack(int dbl, uint64_t x, int *sign, int *exp, uint64_t *sig)
{
    unsigned field = (unsigned)(x >> (F_P(dbl) - 1)) & F_EXPMASK(dbl);
    uint64_t frac = x & F_FRAC(dbl);

    *sign = f_sign_of(dbl, x);
    if (field) {
        *sig = (frac | (F_FRAC(dbl) + 1)) << (63 - F_P(dbl));
        *exp = (int)field - F_BIAS(dbl);
    } else {                                            /* subnormal */
        int lead = 63 - __builtin_clzll(frac);          /* bit index of leading one */
        *sig = frac << (62 - lead);
        *exp = F_EMIN(dbl) - (F_P(dbl) - 1) + lead;
    }
}

/* Any NaN operand gives the canonical NaN; signaling ones raise NV. */
static uint64_t nan_result(int dbl, uint64_t a, uint64_t b, uint64_t c, unsigned *flags)
{
    if (f_is_snan(dbl, a) || f_is_snan(dbl, b) || f_is_snan(dbl, c))
        *flags |= FPU_NV;
    return F_CANON(dbl);
}

static uint64_t invalid(int dbl, unsigned *flags)
{
    *flags |= FPU_NV;
    return F_CANON(dbl);
}

static inline uint64_t signed_zero(int dbl, int sign)
{
    return sign ? F_SIGN(dbl) : 0;
}

/* The sign of an exact zero sum of operands with opposite signs. */
static inline int zero_sum_sign(int rm)
{
    return rm == FPU_RDN;
}

uint64_t fpu_soft_add(int dbl, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    if (f_is_nan(dbl, a) || f_is_nan(dbl, b))
        return nan_result(dbl, a, b, 0, flags);
    if (f_is_inf(dbl, a)) {
        if (f_is_inf(dbl, b) && f_sign_of(dbl, a) != f_sign_of(dbl, b))
            return invalid(dbl, flags);
        return a;
    }
    if (f_is_inf(dbl, b))
        return b;
    if (f_is_zero(dbl, a)) {
        if (f_is_zero(dbl, b))
            return f_sign_of(dbl, a) == f_sign_of(dbl, b) ? a : signed_zero(dbl, zero_sum_sign(rm));
        return b;
    }
    if (f_is_zero(dbl, b))
        return a;

    int sa, sb, ea, eb;
    uint64_t ma, mb;
    unpack(dbl, a, &sa, &ea, &ma);
    unpack(dbl, b, &sb, &eb, &mb);
    if (ea < eb || (ea == eb && ma < mb)) {             /* make a the larger magnitude */
        int t = sa; sa = sb; sb = t;
        t = ea; ea = eb; eb = t;
        uint64_t m = ma; ma = mb; mb = m;
    }
    mb = shr_jam64(mb, (unsigned)(ea - eb));
    if (sa == sb) {
        uint64_t sum = ma + mb;                         /* < 2^64 */
        if (sum >> 63) {
            sum = shr_jam64(sum, 1);
            ea++;
        }
        return round_pack(dbl, sa, ea, sum, rm, flags);
    }
    uint64_t diff = ma - mb;
    if (diff == 0)
        return signed_zero(dbl, zero_sum_sign(rm));
    int norm = __builtin_clzll(diff) - 1;
    return round_pack(dbl, sa, ea - norm, diff << norm, rm, flags);
}

/* Product of two finite nonzero values, exact, as a 128-bit significand
 * with its leading one at bit 125. */
static inline u128 product(int dbl, uint64_t a, uint64_t b, int *sign, int *exp)
{
    int sa, sb, ea, eb;
    uint64_t ma, mb;
    unpack(dbl, a, &sa, &ea, &ma);
    unpack(dbl, b, &sb, &eb, &mb);
    u128 prod = (u128)ma * mb;                          /* in [2^124, 2^126) */
    *sign = sa ^ sb;
    *exp = ea + eb;
    if (prod >> 125)
        (*exp)++;
    else
        prod <<= 1;
    return prod;
}

uint64_t fpu_soft_mul(int dbl, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    int sign = f_sign_of(dbl, a) ^ f_sign_of(dbl, b);

    if (f_is_nan(dbl, a) || f_is_nan(dbl, b))
        return nan_result(dbl, a, b, 0, flags);
    if (f_is_inf(dbl, a) || f_is_inf(dbl, b)) {
        if (f_is_zero(dbl, a) || f_is_zero(dbl, b))
            return invalid(dbl, flags);
        return (sign ? F_SIGN(dbl) : 0) | F_INF(dbl);
    }
    if (f_is_zero(dbl, a) || f_is_zero(dbl, b))
        return signed_zero(dbl, sign);

    int exp;
    u128 prod = product(dbl, a, b, &sign, &exp);
    return round_pack(dbl, sign, exp, (uint64_t)shr_jam128(prod, 63), rm, flags);
}

uint64_t fpu_soft_div(int dbl, uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    int sign = f_sign_of(dbl, a) ^ f_sign_of(dbl, b);

    if (f_is_nan(dbl, a) || f_is_nan(dbl, b))
        return nan_result(dbl, a, b, 0, flags);
    if (f_is_inf(dbl, a)) {
        if (f_is_inf(dbl, b))
            return invalid(dbl, flags);
        return (sign ? F_SIGN(dbl) : 0) | F_INF(dbl);
    }
    if (f_is_inf(dbl, b))
        return signed_zero(dbl, sign);
    if (f_is_zero(dbl, b)) {
        if (f_is_zero(dbl, a))
            return invalid(dbl, flags);
        *flags |= FPU_DZ;
        return (sign ? F_SIGN(dbl) : 0) | F_INF(dbl);
    }
    if (f_is_zero(dbl, a))
        return signed_zero(dbl, sign);

    int sa, sb, ea, eb;
    uint64_t ma, mb;
    unpack(dbl, a, &sa, &ea, &ma);
    unpack(dbl, b, &sb, &eb, &mb);
    int exp = ea - eb;
    u128 num;
    if (ma < mb) {                                      /* quotient in (1/2, 1) */
        num = (u128)ma << 63;
        exp--;
    } else {                                            /* quotient in [1, 2) */
        num = (u128)ma << 62;
    }
    uint64_t q = (uint64_t)(num / mb);                  /* in [2^62, 2^63) */
    q |= (num - (u128)q * mb) != 0;
    return round_pack(dbl, sign, exp, q, rm, flags);
}

/* floor(sqrt(n)) and whether it is exact, for n < 2^126. */
static uint64_t isqrt128(u128 n, int *exact)
{
    u128 rem = 0, root = 0;
    for (int i = 0; i < 64; i++) {                      /* two bits of n per step */
        rem = (rem << 2) | (n >> 126);
        n <<= 2;
        root <<= 1;
        u128 trial = (root << 1) | 1;
        if (rem >= trial) {
            rem -= trial;
            root |= 1;
        }
    }
    *exact = rem == 0;
    return (uint64_t)root;
}

uint64_t fpu_soft_sqrt(int dbl, uint64_t a, int rm, unsigned *flags)
{
    if (f_is_nan(dbl, a))
        return nan_result(dbl, a, 0, 0, flags);
    if (f_is_zero(dbl, a))
        return a;                                       /* sqrt(-0) = -0 */
    if (f_sign_of(dbl, a))
        return invalid(dbl, flags);
    if (f_is_inf(dbl, a))
        return a;

    int sign, exp, exact;
    uint64_t sig;
    unpack(dbl, a, &sign, &exp, &sig);
    /* Make the exponent even; the root then has its leading one at bit 62. */
    u128 n = (u128)sig << (62 + (exp & 1));
    uint64_t root = isqrt128(n, &exact);
    return round_pack(dbl, 0, exp >> 1, root | !exact, rm, flags);
}

uint64_t fpu_soft_fma(int dbl, uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags)
{
    int sp = f_sign_of(dbl, a) ^ f_sign_of(dbl, b), sc = f_sign_of(dbl, c);
    int inf_times_zero = (f_is_inf(dbl, a) && f_is_zero(dbl, b)) || (f_is_zero(dbl, a) && f_is_inf(dbl, b));

    if (f_is_nan(dbl, a) || f_is_nan(dbl, b) || f_is_nan(dbl, c)) {
        if (inf_times_zero)                             /* RISC-V: NV even if c is a quiet NaN */
            *flags |= FPU_NV;
        return nan_result(dbl, a, b, c, flags);
    }
    if (inf_times_zero)
        return invalid(dbl, flags);
    if (f_is_inf(dbl, a) || f_is_inf(dbl, b)) {
        if (f_is_inf(dbl, c) && sc != sp)
            return invalid(dbl, flags);
        return (sp ? F_SIGN(dbl) : 0) | F_INF(dbl);
    }
    if (f_is_inf(dbl, c))
        return c;
    if (f_is_zero(dbl, a) || f_is_zero(dbl, b)) {           /* exact zero product */
        if (f_is_zero(dbl, c))
            return signed_zero(dbl, sp == sc ? sp : zero_sum_sign(rm));
        return c;
    }
    if (f_is_zero(dbl, c))
        return fpu_soft_mul(dbl, a, b, rm, flags);

    int ep, ec;
    u128 mp = product(dbl, a, b, &sp, &ep);             /* leading one at bit 125 */
    uint64_t c64;
    unpack(dbl, c, &sc, &ec, &c64);
    u128 mc = (u128)c64 << 63;                          /* leading one at bit 125 */

    /* Add as in fpu_soft_add, on 128-bit significands. */
    int sign = sp, exp = ep;
    u128 big = mp, small = mc;
    int sign_small = sc, exp_small = ec;
    if (ec > ep || (ec == ep && mc > mp)) {
        sign = sc; exp = ec; big = mc;
        small = mp; sign_small = sp; exp_small = ep;
    }
    small = shr_jam128(small, (unsigned)(exp - exp_small));
    u128 sum;
    if (sign == sign_small) {
        sum = big + small;
        if (sum >> 126) {
            sum = shr_jam128(sum, 1);
            exp++;
        }
    } else {
        sum = big - small;
        if (sum == 0)
            return signed_zero(dbl, zero_sum_sign(rm));
        int norm = clz128(sum) - 2;
        sum <<= norm;
        exp -= norm;
    }
    return round_pack(dbl, sign, exp, (uint64_t)shr_jam128(sum, 63), rm, flags);
}

uint64_t fpu_soft_from_int(int dbl, int neg, uint64_t mag, int rm, unsigned *flags)
{
    if (mag == 0)
        return 0;
    int lead = 63 - __builtin_clzll(mag);
    uint64_t sig = lead == 63 ? shr_jam64(mag, 1) : mag << (62 - lead);
    return round_pack(dbl, neg, lead, sig, rm, flags);
}

uint64_t fpu_soft_to_int(int dbl, uint64_t a, enum fpu_int_kind kind, int rm, unsigned *flags)
{
    /* Largest magnitudes representable, positive and negative. */
    static const uint64_t pos_max[] = { 0x7fffffff, 0xffffffff, INT64_MAX, UINT64_MAX };
    static const uint64_t neg_max[] = { UINT64_C(0x80000000), 0, UINT64_C(1) << 63, 0 };
    int sign = f_sign_of(dbl, a);
    uint64_t mag;

    if (f_is_nan(dbl, a) || f_is_inf(dbl, a)) {
        *flags |= FPU_NV;
        mag = f_is_nan(dbl, a) || !sign ? pos_max[kind] : neg_max[kind];
        sign = !f_is_nan(dbl, a) && sign;
        goto out;
    }
    if (f_is_zero(dbl, a))
        return 0;

    int exp;
    uint64_t sig;
    unpack(dbl, a, &sign, &exp, &sig);
    if (exp >= 64) {
        mag = UINT64_MAX;                               /* out of every range */
    } else {
        uint64_t rem, half;
        if (exp >= 62) {
            mag = sig << (exp - 62);
            rem = 0;
            half = 1;
        } else if (exp >= -1) {
            mag = sig >> (62 - exp);
            rem = sig & (((uint64_t)1 << (62 - exp)) - 1);
            half = (uint64_t)1 << (61 - exp);
        } else {                                        /* |a| < 1/4 */
            mag = 0;
            rem = 1;
            half = 2;
        }
        mag += round_up(rem, half, mag & 1, sign, rm);
        if (mag <= (sign ? neg_max[kind] : pos_max[kind])) {
            if (rem)
                *flags |= FPU_NX;
            goto out;
        }
    }
    *flags |= FPU_NV;                                   /* saturate */
    mag = sign ? neg_max[kind] : pos_max[kind];
out:;
    uint64_t v = sign ? 0 - mag : mag;
    if (kind == FPU_INT_W || kind == FPU_INT_WU)        /* 32-bit results are sign-extended */
        v = (uint64_t)(int64_t)(int32_t)(uint32_t)v;
    return v;
}

uint64_t fpu_soft_convert(int to_dbl, uint64_t a, int rm, unsigned *flags)
{
    int from = !to_dbl;

    if (f_is_nan(from, a)) {
        nan_result(from, a, 0, 0, flags);
        return F_CANON(to_dbl);
    }
    if (f_is_inf(from, a))
        return (f_sign_of(from, a) ? F_SIGN(to_dbl) : 0) | F_INF(to_dbl);
    if (f_is_zero(from, a))
        return signed_zero(to_dbl, f_sign_of(from, a));
    int sign, exp;
    uint64_t sig;
    unpack(from, a, &sign, &exp, &sig);
    return round_pack(to_dbl, sign, exp, sig, rm, flags);
}
