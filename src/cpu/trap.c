/*
 * trap.c — exceptions, interrupts, delegation and xRET (privileged spec
 * 1.12, section 3.1.6-3.1.9 and 3.3.2), plus the monitor's emulation of M
 * mode for direct boot: what would trap to M-mode firmware is handled here
 * the way OpenSBI handles it.
 */
#include <stdio.h>
#include "cpu/hart.h"

void rv_raise(struct rv_cpu *cpu, uint64_t cause, uint64_t tval)
{
    cpu->rt->exc_cause = cause;
    cpu->rt->exc_tval = tval;
}

void rv_set_priv(struct rv_cpu *cpu, unsigned priv)
{
    cpu->priv = priv;
    rv_mmu_update_ctx(cpu);
}

static uint64_t vector(uint64_t tvec, uint64_t cause)
{
    uint64_t base = tvec & ~3ULL;
    if ((tvec & 1) && (cause & CAUSE_INTERRUPT))
        base += 4 * (cause & 63);
    return base;
}

static void trap_to_s(struct rv_cpu *cpu, uint64_t cause, uint64_t tval, uint64_t epc)
{
    uint64_t s = cpu->mstatus;
    cpu->sepc = epc;
    cpu->scause = cause;
    cpu->stval = tval;
    s = (s & ~MSTATUS_SPP) | (cpu->priv == RV_PRV_S ? MSTATUS_SPP : 0);
    s = (s & ~MSTATUS_SPIE) | ((s & MSTATUS_SIE) ? MSTATUS_SPIE : 0);
    s &= ~MSTATUS_SIE;
    cpu->mstatus = s;
    cpu->pc = vector(cpu->stvec, cause);
    rv_set_priv(cpu, RV_PRV_S);
}

static void trap_to_m(struct rv_cpu *cpu, uint64_t cause, uint64_t tval, uint64_t epc)
{
    uint64_t s = cpu->mstatus;
    cpu->mepc = epc;
    cpu->mcause = cause;
    cpu->mtval = tval;
    s = (s & ~MSTATUS_MPP) | ((uint64_t)cpu->priv << 11);
    s = (s & ~MSTATUS_MPIE) | ((s & MSTATUS_MIE) ? MSTATUS_MPIE : 0);
    s &= ~MSTATUS_MIE;
    cpu->mstatus = s;
    cpu->pc = vector(cpu->mtvec, cause);
    rv_set_priv(cpu, RV_PRV_M);
}

static void trap(struct rv_cpu *cpu, uint64_t cause, uint64_t tval, uint64_t epc)
{
#ifdef RV_TRACE
    if (cpu->rt->trace)
        fprintf((FILE *)cpu->rt->trace, "trap cause %llx tval %llx epc %llx priv %u mtvec %llx stvec %llx medeleg %llx\n",
                (unsigned long long)cause, (unsigned long long)tval, (unsigned long long)epc,
                cpu->priv, (unsigned long long)cpu->mtvec, (unsigned long long)cpu->stvec,
                (unsigned long long)cpu->medeleg);
#endif
    uint64_t deleg = (cause & CAUSE_INTERRUPT) ? cpu->mideleg : cpu->medeleg;
    cpu->wfi = false;
    if (cpu->priv <= RV_PRV_S && ((deleg >> (cause & 63)) & 1))
        trap_to_s(cpu, cause, tval, epc);
    else
        trap_to_m(cpu, cause, tval, epc);
    rv_recheck_irqs(cpu);
}

/* Direct boot: an exception that M-mode firmware would get.  Ecalls from S
 * are SBI calls; everything else is redirected to S mode as OpenSBI's
 * sbi_trap_redirect() does (misaligned accesses never get here: the MMU
 * splits them into bytes, as OpenSBI's emulation would). */
static void emulate_m_trap(struct rv_cpu *cpu, uint64_t cause, uint64_t tval, uint64_t epc)
{
    struct rv_cpu_rt *rt = cpu->rt;
    if (cause == EXC_ECALL_S && cpu->bus->sbi_call) {
        cpu->pc = epc + 4;
        pthread_mutex_lock(&rt->lock);
        rt->exec = EXEC_MONITOR;        /* remote fences need not wait for us */
        pthread_mutex_unlock(&rt->lock);
        cpu->bus->sbi_call(cpu->bus->opaque, cpu);
        pthread_mutex_lock(&rt->lock);
        rt->exec = EXEC_RUNNING;
        pthread_mutex_unlock(&rt->lock);
        rv_service_fences(cpu);
        /* the call may have stopped or suspended this hart or moved its
         * timer: have the run loop look before running on */
        __atomic_fetch_or(&rt->events, EV_IRQ, __ATOMIC_RELEASE);
        return;
    }
    cpu->wfi = false;
    trap_to_s(cpu, cause, tval, epc);
    rv_recheck_irqs(cpu);
}

void rv_take_exception(struct rv_cpu *cpu, uint64_t epc)
{
    uint64_t cause = cpu->rt->exc_cause, tval = cpu->rt->exc_tval;
    if (cpu->m_emulated && cpu->priv <= RV_PRV_S && !((cpu->medeleg >> cause) & 1)) {
        emulate_m_trap(cpu, cause, tval, epc);
        return;
    }
    trap(cpu, cause, tval, epc);
}

uint64_t rv_pending_enabled(const struct rv_cpu *cpu)
{
    return rv_mip_read(cpu) & cpu->mie;
}

/* Highest-priority interrupt in `set` (spec order MEI MSI MTI SEI SSI STI). */
static int pick(uint64_t set)
{
    static const int order[] = { RV_IRQ_MEI, RV_IRQ_MSI, RV_IRQ_MTI,
                                 RV_IRQ_SEI, RV_IRQ_SSI, RV_IRQ_STI };
    for (unsigned i = 0; i < sizeof order / sizeof order[0]; i++)
        if (set & (1ULL << order[i]))
            return order[i];
    return -1;
}

bool rv_check_interrupts(struct rv_cpu *cpu)
{
    uint64_t pend = rv_pending_enabled(cpu);
    if (!pend)
        return false;
    uint64_t m = pend & ~cpu->mideleg, s = pend & cpu->mideleg;
    bool m_on = cpu->priv < RV_PRV_M || (cpu->mstatus & MSTATUS_MIE);
    bool s_on = cpu->priv < RV_PRV_S ||
                (cpu->priv == RV_PRV_S && (cpu->mstatus & MSTATUS_SIE));
    int irq = -1;
    if (m_on && m)
        irq = pick(m);
    else if (s_on && s)
        irq = pick(s);
    if (irq < 0)
        return false;
    trap(cpu, CAUSE_INTERRUPT | (uint64_t)irq, 0, cpu->pc);
    return true;
}

void rv_mret(struct rv_cpu *cpu)
{
    uint64_t s = cpu->mstatus;
    unsigned mpp = (unsigned)((s & MSTATUS_MPP) >> 11);
    s = (s & ~MSTATUS_MIE) | ((s & MSTATUS_MPIE) ? MSTATUS_MIE : 0);
    s |= MSTATUS_MPIE;
    s &= ~MSTATUS_MPP;                  /* U, the least-privileged mode */
    if (mpp != RV_PRV_M)
        s &= ~MSTATUS_MPRV;
    cpu->mstatus = s;
    cpu->pc = cpu->mepc;
    rv_set_priv(cpu, mpp);
    rv_recheck_irqs(cpu);
}

void rv_sret(struct rv_cpu *cpu)
{
    uint64_t s = cpu->mstatus;
    unsigned spp = (s & MSTATUS_SPP) ? RV_PRV_S : RV_PRV_U;
    s = (s & ~MSTATUS_SIE) | ((s & MSTATUS_SPIE) ? MSTATUS_SIE : 0);
    s |= MSTATUS_SPIE;
    s &= ~MSTATUS_SPP;
    s &= ~MSTATUS_MPRV;
    cpu->mstatus = s;
    cpu->pc = cpu->sepc;
    rv_set_priv(cpu, spp);
    rv_recheck_irqs(cpu);
}
