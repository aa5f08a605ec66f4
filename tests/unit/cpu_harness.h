/*
 * cpu_harness.h — a minimal machine for the CPU unit tests: RAM at
 * 0x80000000, an exit register, a console byte register, a CLINT-like timer
 * and software-interrupt block, and a register through which guest code
 * raises its own interrupt lines.  Test programs (tests/cpu/NAME.S, built by
 * mk/cpu.mk) are raw binaries loaded at the start of RAM.
 */
#ifndef CPU_HARNESS_H
#define CPU_HARNESS_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cpu/cpu.h"

#define TH_RAM_BASE   0x80000000ULL
#define TH_EXIT       0x00100000ULL   /* write: test result, stops all harts */
#define TH_PUTC       0x00100008ULL   /* write: console byte */
#define TH_IRQ        0x00100010ULL   /* write: hart << 8 | irq << 1 | level */
#define TH_CLINT      0x02000000ULL   /* msip[hart] at +4*hart */
#define TH_MTIMECMP   0x02004000ULL   /* +8*hart */
#define TH_MTIME      0x0200bff8ULL
#define TH_PASS       0x900d

#define TH_MAX_HARTS 4

struct th {
    struct rv_bus bus;
    struct rv_cpu *cpu[TH_MAX_HARTS];
    unsigned nharts;
    uint64_t exit_code;
    bool exited, timed_out;
    char console[8192];
    size_t con_len;
    unsigned mmio_reads, mmio_writes;
    uint64_t last_bad_paddr;
    pthread_mutex_t lock;
};

static int th_failures;

#define CHECK(cond, ...) do {                                                 \
        if (!(cond)) {                                                         \
            fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
            th_failures++;                                                     \
        }                                                                      \
    } while (0)

#define CHECK_EQ(a, b) do {                                                   \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                       \
        CHECK(a_ == b_, "%s = %#llx, expected %#llx", #a,                      \
              (unsigned long long)a_, (unsigned long long)b_);                 \
    } while (0)

static inline uint64_t th_time(void *opaque)
{
    (void)opaque;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 10000000 + (uint64_t)ts.tv_nsec / 100;
}

static inline void th_stop_all(struct th *t)
{
    for (unsigned h = 0; h < t->nharts; h++)
        rv_cpu_request_exit(t->cpu[h]);
}

static inline bool th_mmio_read(void *opaque, uint64_t pa, unsigned size, uint64_t *val)
{
    struct th *t = opaque;
    __atomic_fetch_add(&t->mmio_reads, 1, __ATOMIC_RELAXED);
    if (pa == TH_MTIME && size == 8) {
        *val = th_time(t);
        return true;
    }
    if (pa >= TH_MTIMECMP && pa < TH_MTIMECMP + 8 * t->nharts && size == 8) {
        *val = rv_cpu_get_mtimecmp(t->cpu[(pa - TH_MTIMECMP) / 8]);
        return true;
    }
    if (pa >= TH_CLINT && pa < TH_CLINT + 4 * t->nharts && size == 4) {
        *val = 0;
        return true;
    }
    if (pa == TH_EXIT) {
        *val = 0;
        return true;
    }
    t->last_bad_paddr = pa;
    return false;
}

static inline bool th_mmio_write(void *opaque, uint64_t pa, unsigned size, uint64_t val)
{
    struct th *t = opaque;
    __atomic_fetch_add(&t->mmio_writes, 1, __ATOMIC_RELAXED);
    if (pa == TH_EXIT) {
        pthread_mutex_lock(&t->lock);
        if (!t->exited) {
            t->exit_code = val;
            t->exited = true;
        }
        pthread_mutex_unlock(&t->lock);
        th_stop_all(t);
        return true;
    }
    if (pa == TH_PUTC) {
        pthread_mutex_lock(&t->lock);
        if (t->con_len < sizeof t->console - 1)
            t->console[t->con_len++] = (char)val;
        pthread_mutex_unlock(&t->lock);
        return true;
    }
    if (pa == TH_IRQ) {
        unsigned hart = (unsigned)(val >> 8) & 0xff;
        if (hart < t->nharts)
            rv_cpu_set_irq(t->cpu[hart], (val >> 1) & 63, val & 1);
        return true;
    }
    if (pa >= TH_MTIMECMP && pa < TH_MTIMECMP + 8 * t->nharts && size == 8) {
        rv_cpu_set_mtimecmp(t->cpu[(pa - TH_MTIMECMP) / 8], val);
        return true;
    }
    if (pa >= TH_CLINT && pa < TH_CLINT + 4 * t->nharts && size == 4) {
        rv_cpu_set_irq(t->cpu[(pa - TH_CLINT) / 4], RV_IRQ_MSI, val & 1);
        return true;
    }
    t->last_bad_paddr = pa;
    return false;
}

static inline void th_init(struct th *t, unsigned nharts, uint64_t ram_size)
{
    memset(t, 0, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    t->bus.ram = calloc(1, ram_size);
    t->bus.ram_base = TH_RAM_BASE;
    t->bus.ram_size = ram_size;
    t->bus.opaque = t;
    t->bus.mmio_read = th_mmio_read;
    t->bus.mmio_write = th_mmio_write;
    t->bus.get_time = th_time;
    t->nharts = nharts;
    for (unsigned h = 0; h < nharts; h++) {
        t->cpu[h] = rv_cpu_new(&t->bus, h);
        if (!t->cpu[h] || !t->bus.ram) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
    }
}

static inline void th_destroy(struct th *t)
{
    for (unsigned h = 0; h < t->nharts; h++)
        rv_cpu_free(t->cpu[h]);
    free(t->bus.ram);
    pthread_mutex_destroy(&t->lock);
}

/* Path of a test program: $(BUILD)/tests/cpu/NAME.bin, found next to
 * this executable ($(BUILD)/tests/). */
static inline void th_program_path(const char *name, char *out, size_t size)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0)
        n = 0;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    snprintf(out, size, "%s/cpu/%s.bin", exe, name);
}

static inline size_t th_load(struct th *t, const char *name)
{
    char path[4200];
    th_program_path(name, path, sizeof path);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open test program %s\n", path);
        exit(1);
    }
    size_t n = fread(t->bus.ram, 1, t->bus.ram_size, f);
    fclose(f);
    return n;
}

struct th_thread { struct th *t; unsigned hart; };

static inline void *th_hart_main(void *arg)
{
    struct th_thread *a = arg;
    rv_cpu_run(a->t->cpu[a->hart]);
    return NULL;
}

/* Run all harts until the guest writes TH_EXIT or `seconds` pass. */
static inline uint64_t th_run(struct th *t, double seconds)
{
    pthread_t tid[TH_MAX_HARTS];
    struct th_thread args[TH_MAX_HARTS];
    for (unsigned h = 0; h < t->nharts; h++) {
        args[h] = (struct th_thread){ t, h };
        pthread_create(&tid[h], NULL, th_hart_main, &args[h]);
    }
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        pthread_mutex_lock(&t->lock);
        bool done = t->exited;
        pthread_mutex_unlock(&t->lock);
        if (done)
            break;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > seconds) {
            t->timed_out = true;
            th_stop_all(t);
            break;
        }
        usleep(1000);
    }
    for (unsigned h = 0; h < t->nharts; h++)
        pthread_join(tid[h], NULL);
    return t->exit_code;
}

/* Load and run a self-checking program on one hart; it reports TH_PASS or
 * the number of the failing check. */
static inline void th_expect_pass(const char *name)
{
    struct th t;
    th_init(&t, 1, 16 << 20);
    th_load(&t, name);
    uint64_t code = th_run(&t, 20);
    if (t.con_len)
        fprintf(stderr, "%s console: %.*s\n", name, (int)t.con_len, t.console);
    CHECK(!t.timed_out, "%s: timed out at pc %#llx", name,
          (unsigned long long)t.cpu[0]->pc);
    CHECK(code == TH_PASS, "%s: failed check #%llu, a0=%#llx a1=%#llx",
          name, (unsigned long long)code, (unsigned long long)t.cpu[0]->x[10],
          (unsigned long long)t.cpu[0]->x[11]);
    if (code == TH_PASS)
        printf("ok %s\n", name);
    th_destroy(&t);
}

#endif
