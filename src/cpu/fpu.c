/* fpu.c — placeholder so that the API links; the real implementation follows. */
#include "cpu/fpu.h"

uint32_t fpu_add_s(uint32_t a, uint32_t b, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_sub_s(uint32_t a, uint32_t b, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_mul_s(uint32_t a, uint32_t b, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_div_s(uint32_t a, uint32_t b, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_sqrt_s(uint32_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_madd_s(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)c;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_msub_s(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)c;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_nmsub_s(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)c;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_nmadd_s(uint32_t a, uint32_t b, uint32_t c, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)c;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_min_s(uint32_t a, uint32_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

uint32_t fpu_max_s(uint32_t a, uint32_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

int fpu_eq_s(uint32_t a, uint32_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

int fpu_lt_s(uint32_t a, uint32_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

int fpu_le_s(uint32_t a, uint32_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

uint64_t fpu_class_s(uint32_t a)
{
    (void)a;
    return 0;
}

uint32_t fpu_sgnj_s(uint32_t a, uint32_t b)
{
    (void)a;
    (void)b;
    return 0;
}

uint32_t fpu_sgnjn_s(uint32_t a, uint32_t b)
{
    (void)a;
    (void)b;
    return 0;
}

uint32_t fpu_sgnjx_s(uint32_t a, uint32_t b)
{
    (void)a;
    (void)b;
    return 0;
}

int64_t  fpu_cvt_w_s(uint32_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

int64_t  fpu_cvt_wu_s(uint32_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

int64_t  fpu_cvt_l_s(uint32_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_cvt_lu_s(uint32_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_cvt_s_w(int32_t v, int rm, unsigned *flags)
{
    (void)v;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_cvt_s_wu(uint32_t v, int rm, unsigned *flags)
{
    (void)v;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_cvt_s_l(int64_t v, int rm, unsigned *flags)
{
    (void)v;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_cvt_s_lu(uint64_t v, int rm, unsigned *flags)
{
    (void)v;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_add_d(uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_sub_d(uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_mul_d(uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_div_d(uint64_t a, uint64_t b, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_sqrt_d(uint64_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_madd_d(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)c;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_msub_d(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)c;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_nmsub_d(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)c;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_nmadd_d(uint64_t a, uint64_t b, uint64_t c, int rm, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)c;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_min_d(uint64_t a, uint64_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

uint64_t fpu_max_d(uint64_t a, uint64_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

int fpu_eq_d(uint64_t a, uint64_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

int fpu_lt_d(uint64_t a, uint64_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

int fpu_le_d(uint64_t a, uint64_t b, unsigned *flags)
{
    (void)a;
    (void)b;
    (void)flags;
    return 0;
}

uint64_t fpu_class_d(uint64_t a)
{
    (void)a;
    return 0;
}

uint64_t fpu_sgnj_d(uint64_t a, uint64_t b)
{
    (void)a;
    (void)b;
    return 0;
}

uint64_t fpu_sgnjn_d(uint64_t a, uint64_t b)
{
    (void)a;
    (void)b;
    return 0;
}

uint64_t fpu_sgnjx_d(uint64_t a, uint64_t b)
{
    (void)a;
    (void)b;
    return 0;
}

int64_t  fpu_cvt_w_d(uint64_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

int64_t  fpu_cvt_wu_d(uint64_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

int64_t  fpu_cvt_l_d(uint64_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_cvt_lu_d(uint64_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_cvt_d_w(int32_t v, int rm, unsigned *flags)
{
    (void)v;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_cvt_d_wu(uint32_t v, int rm, unsigned *flags)
{
    (void)v;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_cvt_d_l(int64_t v, int rm, unsigned *flags)
{
    (void)v;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_cvt_d_lu(uint64_t v, int rm, unsigned *flags)
{
    (void)v;
    (void)rm;
    (void)flags;
    return 0;
}

uint32_t fpu_cvt_s_d(uint64_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

uint64_t fpu_cvt_d_s(uint32_t a, int rm, unsigned *flags)
{
    (void)a;
    (void)rm;
    (void)flags;
    return 0;
}

