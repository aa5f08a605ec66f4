/*
 * cpu.c — a hart's life: creation and reset, direct boot, the run loop
 * around the interpreter, WFI sleeping, interrupt lines and timers, HSM
 * states and remote fences.
 *
 * Other threads talk to a running hart through rt->events (an atomic word
 * the interpreter polls once per block) and wake a sleeping one through
 * rt->cond.  Everything a remote thread hands over beyond a bit (start pc,
 * fence requests) is under rt->lock.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cpu/hart.h"

#define MISA_RV64GC ((2ULL << 62) | (1 << ('A' - 'A')) | (1 << ('C' - 'A')) | \
                     (1 << ('D' - 'A')) | (1 << ('F' - 'A')) | (1 << ('I' - 'A')) | \
                     (1 << ('M' - 'A')) | (1 << ('S' - 'A')) | (1 << ('U' - 'A')))

/* What OpenSBI delegates to S mode (lib/sbi/sbi_hart.c delegate_traps). */
#define OPENSBI_MEDELEG ((1ULL << EXC_INSN_MISALIGNED) | (1ULL << EXC_BREAKPOINT) | \
                         (1ULL << EXC_ECALL_U) | (1ULL << EXC_INSN_PAGE) | \
                         (1ULL << EXC_LOAD_PAGE) | (1ULL << EXC_STORE_PAGE))

static unsigned hart_state(const struct rv_cpu *cpu)
{
    return __atomic_load_n(&cpu->hart_state, __ATOMIC_ACQUIRE);
}

static void post(struct rv_cpu *cpu, uint32_t ev)
{
    struct rv_cpu_rt *rt = cpu->rt;
    __atomic_fetch_or(&rt->events, ev, __ATOMIC_RELEASE);
    pthread_mutex_lock(&rt->lock);
    pthread_cond_broadcast(&rt->cond);
    pthread_mutex_unlock(&rt->lock);
}

uint64_t rv_cpu_time(const struct rv_cpu *cpu)
{
    return cpu->bus->get_time ? cpu->bus->get_time(cpu->bus->opaque) : 0;
}

struct rv_cpu *rv_cpu_new(const struct rv_bus *bus, unsigned hartid)
{
    struct rv_cpu *cpu = calloc(1, sizeof *cpu);
    struct rv_cpu_rt *rt = calloc(1, sizeof *rt);
    uint8_t *arena = malloc(ARENA_SIZE);
    struct block *scratch = malloc(sizeof *scratch + 2 * sizeof(struct xinsn));
    if (!cpu || !rt || !arena || !scratch) {
        free(cpu); free(rt); free(arena); free(scratch);
        return NULL;
    }
    cpu->bus = bus;
    cpu->rt = rt;
    cpu->mhartid = hartid;
    rt->accel = &rv_accel_interp;
    rt->arena = arena;
    rt->scratch = scratch;
    pthread_mutex_init(&rt->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&rt->cond, &ca);
    pthread_cond_init(&rt->ack, &ca);
    pthread_condattr_destroy(&ca);
    rv_cpu_reset(cpu, bus->ram_base);
#ifdef RV_TRACE
    if (getenv("RV_TRACE"))
        rt->trace = fopen(getenv("RV_TRACE"), "w");
#endif
    return cpu;
}

void rv_cpu_free(struct rv_cpu *cpu)
{
    if (!cpu)
        return;
    struct rv_cpu_rt *rt = cpu->rt;
    pthread_mutex_destroy(&rt->lock);
    pthread_cond_destroy(&rt->cond);
    pthread_cond_destroy(&rt->ack);
    free(rt->arena);
    free(rt->scratch);
    free(rt);
    free(cpu);
}

void rv_cpu_reset(struct rv_cpu *cpu, uint64_t reset_pc)
{
    struct rv_cpu_rt *rt = cpu->rt;
    const struct rv_bus *bus = cpu->bus;
    uint64_t hartid = cpu->mhartid;
    memset(cpu, 0, offsetof(struct rv_cpu, bus));
    cpu->mhartid = hartid;
    cpu->misa = MISA_RV64GC;
    cpu->priv = RV_PRV_M;
    cpu->pc = reset_pc;
    cpu->mtimecmp = ~0ULL;
    cpu->stimecmp = ~0ULL;
    cpu->hart_state = RV_HART_STARTED;
    cpu->bus = bus;
    cpu->rt = rt;
    rt->timer_ip = 0;
    rt->start_req = false;
    rt->suspend_resume = false;
    rv_pmp_update(cpu);
    rv_tlb_flush(cpu);
    rt->accel->flush_code(cpu);
    rv_mmu_update_ctx(cpu);
}

static void setup_m_emulation(struct rv_cpu *cpu)
{
    cpu->m_emulated = true;
    cpu->medeleg = OPENSBI_MEDELEG;
    cpu->mideleg = MIP_S_MASK;
    cpu->mcounteren = 0xffffffff;
    cpu->scounteren = 7;                /* OpenSBI: CY, TM, IR usable in U mode */
    cpu->menvcfg = MENVCFG_STCE;
    cpu->mstatus = (cpu->mstatus & ~MSTATUS_FS) | (1ULL << 13);    /* FS = Initial */
    cpu->mtimecmp = ~0ULL;
}

/* Enter S mode at pc as SBI HSM hart_start does. */
static void enter_supervisor(struct rv_cpu *cpu, uint64_t pc, uint64_t a0, uint64_t a1)
{
    cpu->satp = 0;
    cpu->mstatus &= ~MSTATUS_SIE;
    cpu->pc = pc;
    cpu->x[10] = a0;
    cpu->x[11] = a1;
    cpu->wfi = false;
    rv_tlb_flush(cpu);
    rv_set_priv(cpu, RV_PRV_S);
}

void rv_cpu_set_accel(struct rv_cpu *cpu, const struct rv_accel *accel)
{
    cpu->rt->accel = accel;
    accel->flush_code(cpu);
}

void rv_cpu_boot_supervisor(struct rv_cpu *cpu, uint64_t pc, uint64_t a0, uint64_t a1)
{
    setup_m_emulation(cpu);
    __atomic_store_n(&cpu->hart_state, RV_HART_STARTED, __ATOMIC_RELEASE);
    enter_supervisor(cpu, pc, a0, a1);
}

void rv_cpu_boot_stopped(struct rv_cpu *cpu)
{
    setup_m_emulation(cpu);
    __atomic_store_n(&cpu->hart_state, RV_HART_STOPPED, __ATOMIC_RELEASE);
}

/* ---- interrupts and timers ---- */

void rv_cpu_set_irq(struct rv_cpu *cpu, unsigned irq, bool level)
{
    if (irq >= 64)
        return;
    uint64_t bit = 1ULL << irq;
    if (irq == RV_IRQ_SSI || irq == RV_IRQ_STI) {
        /* software-writable bits: the hart's own copy, changed by it too */
        if (level)
            __atomic_fetch_or(&cpu->mip, bit, __ATOMIC_ACQ_REL);
        else
            __atomic_fetch_and(&cpu->mip, ~bit, __ATOMIC_ACQ_REL);
    } else if (level) {
        __atomic_fetch_or(&cpu->rt->lines, bit, __ATOMIC_ACQ_REL);
    } else {
        __atomic_fetch_and(&cpu->rt->lines, ~bit, __ATOMIC_ACQ_REL);
    }
    post(cpu, EV_IRQ);
}

void rv_cpu_set_mtimecmp(struct rv_cpu *cpu, uint64_t value)
{
    __atomic_store_n(&cpu->mtimecmp, value, __ATOMIC_RELEASE);
    post(cpu, EV_IRQ);
}

uint64_t rv_cpu_get_mtimecmp(const struct rv_cpu *cpu)
{
    return __atomic_load_n(&cpu->mtimecmp, __ATOMIC_ACQUIRE);
}

void rv_update_timers(struct rv_cpu *cpu, uint64_t now)
{
    uint64_t ip = 0;
    if (now >= __atomic_load_n(&cpu->mtimecmp, __ATOMIC_ACQUIRE))
        ip |= cpu->m_emulated ? MIP_STIP : MIP_MTIP;    /* SBI timer -> STIP */
    if ((cpu->menvcfg & MENVCFG_STCE) && now >= cpu->stimecmp)
        ip |= MIP_STIP;
    cpu->rt->timer_ip = ip;
}

/* Time (in `time` ticks) of the next timer compare after now, or ~0. */
static uint64_t next_deadline(const struct rv_cpu *cpu, uint64_t now)
{
    uint64_t d = ~0ULL, m = __atomic_load_n(&cpu->mtimecmp, __ATOMIC_ACQUIRE);
    if (m > now)
        d = m;
    if ((cpu->menvcfg & MENVCFG_STCE) && cpu->stimecmp > now && cpu->stimecmp < d)
        d = cpu->stimecmp;
    return d;
}

/* Sleep on rt->cond (lock held) until woken or `ticks` of 10 MHz time. */
static void sleep_ticks(struct rv_cpu_rt *rt, uint64_t ticks)
{
    const uint64_t max = 10000000;          /* re-check at least every second */
    if (ticks > max)
        ticks = max;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + ticks * 100;
    ts.tv_sec += (time_t)(ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    rt->exec = EXEC_SLEEPING;
    pthread_cond_timedwait(&rt->cond, &rt->lock, &ts);
    rt->exec = EXEC_RUNNING;
}

/* WFI: wait until an interrupt is pending in mip & mie (whether or not it
 * is globally enabled), or until something else needs the run loop. */
void rv_wfi(struct rv_cpu *cpu)
{
    struct rv_cpu_rt *rt = cpu->rt;
    pthread_mutex_lock(&rt->lock);
    for (;;) {
        uint32_t ev = __atomic_fetch_and(&rt->events, ~(uint32_t)EV_IRQ, __ATOMIC_ACQ_REL);
        if ((ev & (EV_EXIT | EV_FENCE | EV_HSM)) || hart_state(cpu) == RV_HART_STOPPED)
            break;
        uint64_t now = rv_cpu_time(cpu);
        rv_update_timers(cpu, now);
        if (rv_pending_enabled(cpu)) {
            cpu->wfi = false;
            break;
        }
        uint64_t d = next_deadline(cpu, now);
        sleep_ticks(rt, d == ~0ULL ? ~0ULL : d - now);
    }
    pthread_mutex_unlock(&rt->lock);
}

/* ---- HSM ---- */

enum rv_hart_state rv_cpu_hart_state(const struct rv_cpu *cpu)
{
    return (enum rv_hart_state)__atomic_load_n(&cpu->hart_state, __ATOMIC_ACQUIRE);
}

bool rv_cpu_hart_start(struct rv_cpu *cpu, uint64_t pc, uint64_t opaque)
{
    struct rv_cpu_rt *rt = cpu->rt;
    pthread_mutex_lock(&rt->lock);
    if (hart_state(cpu) != RV_HART_STOPPED || rt->start_req) {
        pthread_mutex_unlock(&rt->lock);
        return false;
    }
    rt->start_req = true;
    rt->start_pc = pc;
    rt->start_opaque = opaque;
    __atomic_store_n(&cpu->hart_state, RV_HART_STARTED, __ATOMIC_RELEASE);
    __atomic_fetch_or(&rt->events, EV_HSM, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&rt->cond);
    pthread_mutex_unlock(&rt->lock);
    return true;
}

void rv_cpu_hart_stop(struct rv_cpu *cpu)
{
    __atomic_store_n(&cpu->hart_state, RV_HART_STOPPED, __ATOMIC_RELEASE);
}

void rv_cpu_hart_suspend(struct rv_cpu *cpu, bool retentive, uint64_t resume_pc, uint64_t opaque)
{
    struct rv_cpu_rt *rt = cpu->rt;
    __atomic_store_n(&cpu->hart_state, RV_HART_SUSPENDED, __ATOMIC_RELEASE);
    cpu->wfi = true;
    if (!retentive) {
        rt->suspend_resume = true;
        rt->start_pc = resume_pc;
        rt->start_opaque = opaque;
    }
}

/* The stopped hart's wait for hart_start (or an exit request). */
static void wait_stopped(struct rv_cpu *cpu)
{
    struct rv_cpu_rt *rt = cpu->rt;
    pthread_mutex_lock(&rt->lock);
    while (!rt->start_req && hart_state(cpu) == RV_HART_STOPPED &&
           !(__atomic_load_n(&rt->events, __ATOMIC_ACQUIRE) & (EV_EXIT | EV_FENCE))) {
        rt->exec = EXEC_SLEEPING;
        pthread_cond_wait(&rt->cond, &rt->lock);
        rt->exec = EXEC_RUNNING;
    }
    bool start = rt->start_req;
    uint64_t pc = rt->start_pc, opaque = rt->start_opaque;
    rt->start_req = false;
    pthread_mutex_unlock(&rt->lock);
    if (start)
        enter_supervisor(cpu, pc, cpu->mhartid, opaque);
}

/* ---- remote fences ---- */

enum { FENCE_VMA = 1, FENCE_I = 2 };

void rv_service_fences(struct rv_cpu *cpu)
{
    struct rv_cpu_rt *rt = cpu->rt;
    pthread_mutex_lock(&rt->lock);
    unsigned req = rt->fence_req;
    rt->fence_req = 0;
    uint64_t seq = rt->fence_seq;
    pthread_mutex_unlock(&rt->lock);
    if (req & FENCE_VMA)
        rv_tlb_flush(cpu);
    if (req & FENCE_I)
        rt->accel->flush_code(cpu);
    pthread_mutex_lock(&rt->lock);
    rt->fence_done = seq;
    pthread_cond_broadcast(&rt->ack);
    pthread_mutex_unlock(&rt->lock);
}

static void remote_fence(struct rv_cpu *cpu, unsigned kind)
{
    struct rv_cpu_rt *rt = cpu->rt;
    pthread_mutex_lock(&rt->lock);
    rt->fence_req |= kind;
    uint64_t seq = ++rt->fence_seq;
    __atomic_fetch_or(&rt->events, EV_FENCE, __ATOMIC_RELEASE);
    pthread_cond_broadcast(&rt->cond);
    /* Only a hart that is executing guest code can hold stale state in
     * use; one that sleeps, sits in the monitor or is not running will
     * flush before it executes again.  So wait only for a running one. */
    while (rt->exec == EXEC_RUNNING && rt->fence_done < seq)
        pthread_cond_wait(&rt->ack, &rt->lock);
    pthread_mutex_unlock(&rt->lock);
}

void rv_cpu_remote_sfence_vma(struct rv_cpu *cpu, uint64_t start, uint64_t size, int asid)
{
    /* The TLB is not tagged by ASID and flushing one range costs about as
     * much as flushing all, so every request flushes the whole TLB. */
    (void)start; (void)size; (void)asid;
    remote_fence(cpu, FENCE_VMA);
}

void rv_cpu_remote_fence_i(struct rv_cpu *cpu)
{
    remote_fence(cpu, FENCE_I);
}

/* ---- the run loop ---- */

void rv_cpu_request_exit(struct rv_cpu *cpu)
{
    post(cpu, EV_EXIT);
}

enum rv_exit rv_cpu_run(struct rv_cpu *cpu)
{
    struct rv_cpu_rt *rt = cpu->rt;
    pthread_mutex_lock(&rt->lock);
    rt->exec = EXEC_RUNNING;
    pthread_mutex_unlock(&rt->lock);
    rv_mmu_update_ctx(cpu);
    rv_service_fences(cpu);

    for (;;) {
        uint32_t ev = __atomic_exchange_n(&rt->events, 0, __ATOMIC_ACQ_REL);
        if (ev & EV_EXIT)
            break;
        if (ev & EV_FENCE)
            rv_service_fences(cpu);
        if ((ev & EV_HSM) || hart_state(cpu) == RV_HART_STOPPED ||
            __atomic_load_n(&rt->start_req, __ATOMIC_ACQUIRE)) {
            wait_stopped(cpu);          /* also applies a pending start */
            continue;
        }
        rv_update_timers(cpu, rv_cpu_time(cpu));
        if (cpu->wfi) {
            rv_wfi(cpu);
            if (cpu->wfi)
                continue;               /* woken for an event, not an interrupt */
            if (hart_state(cpu) == RV_HART_SUSPENDED) {
                __atomic_store_n(&cpu->hart_state, RV_HART_STARTED, __ATOMIC_RELEASE);
                if (rt->suspend_resume) {
                    rt->suspend_resume = false;
                    enter_supervisor(cpu, rt->start_pc, cpu->mhartid, rt->start_opaque);
                }
            }
        }
        rt->recheck = false;
        rv_check_interrupts(cpu);
        rt->accel->execute(cpu);
    }

    pthread_mutex_lock(&rt->lock);
    rt->exec = EXEC_OUTSIDE;
    pthread_cond_broadcast(&rt->ack);
    pthread_mutex_unlock(&rt->lock);
    return RV_EXIT_REQUESTED;
}
