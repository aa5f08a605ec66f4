/*
 * fpu_bench.c — cost per operation of src/cpu/fpu.c, against the host's own
 * instruction (a native double add in a loop of the same shape).
 *
 * Each loop is a dependent chain x = op(x, y), as guest code would run it.
 * "acc" passes the hart's accumulated fflags (NX already set, the steady
 * state of floating-point code); "fresh" passes a zeroed flags word each
 * time (the worst case: the host's inexact flag must be cleared per op).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cpu/fpu.h"

#define N 20000000L

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }

static volatile uint64_t sink;

#define BENCH(label, init_fl, expr)                                         \
    do {                                                                    \
        uint64_t x = bits(1.0), y = bits(1.0000001);                        \
        unsigned fl = init_fl;                                              \
        (void)y;                                                            \
        double t0 = now();                                                  \
        for (long i = 0; i < N; i++) {                                      \
            if (!(init_fl))                                                 \
                fl = 0;                                                     \
            expr;                                                           \
        }                                                                   \
        double ns = (now() - t0) * 1e9 / N;                                 \
        sink = x + fl;                                                      \
        printf("  %-28s %6.2f ns/op  %5.1fx native\n", label, ns, ns / native); \
    } while (0)

int main(void)
{
    /* native: the host's addsd in the same dependent loop shape */
    double nx = 1.0, ny = 1e-9;
    double t0 = now();
    for (long i = 0; i < N; i++) {
        nx = nx + ny;
        __asm__ volatile("" : "+x"(nx));
    }
    double native = (now() - t0) * 1e9 / N;
    sink = bits(nx);
    printf("fpu bench (%ld ops each); native addsd loop: %.2f ns/op\n", N, native);

    BENCH("fadd.d RNE (acc fflags)", FPU_NX, x = fpu_add_d(x, y, FPU_RNE, &fl));
    BENCH("fadd.d RNE (fresh flags)", 0, x = fpu_add_d(x, y, FPU_RNE, &fl));
    BENCH("fadd.d RTZ", FPU_NX, x = fpu_add_d(x, y, FPU_RTZ, &fl));
    BENCH("fadd.d RUP", FPU_NX, x = fpu_add_d(x, y, FPU_RUP, &fl));
    BENCH("fadd.d RMM", FPU_NX, x = fpu_add_d(x, y, FPU_RMM, &fl));
    BENCH("fmul.d RNE", FPU_NX, x = fpu_mul_d(x, y, FPU_RNE, &fl));
    BENCH("fmul.d RMM", FPU_NX, x = fpu_mul_d(x, y, FPU_RMM, &fl));
    BENCH("fdiv.d RNE", FPU_NX, x = fpu_div_d(x, y, FPU_RNE, &fl));
    BENCH("fdiv.d RMM", FPU_NX, x = fpu_div_d(x, y, FPU_RMM, &fl));
    BENCH("fsqrt.d RNE", FPU_NX, x = fpu_sqrt_d(x, FPU_RNE, &fl) ^ (y & 1));
    BENCH("fmadd.d RNE", FPU_NX, x = fpu_madd_d(x, y, y, FPU_RNE, &fl));
    BENCH("fmadd.d RMM", FPU_NX, x = fpu_madd_d(x, y, y, FPU_RMM, &fl));
    BENCH("fadd.s RNE", FPU_NX, x = fpu_add_s((uint32_t)x, 0x3f800001, FPU_RNE, &fl) & 0x3fffffff);
    BENCH("feq.d", FPU_NX, x += (uint64_t)fpu_eq_d(x, y, &fl));
    BENCH("fmin.d", FPU_NX, x = fpu_min_d(x, y, &fl));
    BENCH("fcvt.w.d RTZ", FPU_NX, x = bits(1.5) + (uint64_t)fpu_cvt_w_d(x, FPU_RTZ, &fl));
    BENCH("fcvt.d.l RNE", FPU_NX, x = fpu_cvt_d_l((int64_t)x, FPU_RNE, &fl));
    BENCH("fcvt.s.d RNE", FPU_NX, x = bits(1.3) + fpu_cvt_s_d(x, FPU_RNE, &fl));
    BENCH("fcvt.d.s", FPU_NX, x = bits(1.3) + fpu_cvt_d_s((uint32_t)x, FPU_RNE, &fl));
    return 0;
}
