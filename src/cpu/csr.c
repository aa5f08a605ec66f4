/*
 * csr.c — the control and status registers: access rules (privilege,
 * read-only, counter enables, TVM, FS, Sstc) and WARL behaviour of every
 * implemented CSR.  An unimplemented CSR raises illegal instruction, which
 * is how firmware (OpenSBI) probes for optional ones.
 */
#include "cpu/hart.h"

enum {
    CSR_FFLAGS = 0x001, CSR_FRM = 0x002, CSR_FCSR = 0x003,
    CSR_CYCLE = 0xc00, CSR_TIME = 0xc01, CSR_INSTRET = 0xc02,
    CSR_HPMCOUNTER3 = 0xc03, CSR_HPMCOUNTER31 = 0xc1f,
    CSR_SSTATUS = 0x100, CSR_SIE = 0x104, CSR_STVEC = 0x105,
    CSR_SCOUNTEREN = 0x106, CSR_SENVCFG = 0x10a, CSR_SSCRATCH = 0x140,
    CSR_SEPC = 0x141, CSR_SCAUSE = 0x142, CSR_STVAL = 0x143, CSR_SIP = 0x144,
    CSR_STIMECMP = 0x14d, CSR_SATP = 0x180,
    CSR_MVENDORID = 0xf11, CSR_MARCHID = 0xf12, CSR_MIMPID = 0xf13,
    CSR_MHARTID = 0xf14, CSR_MCONFIGPTR = 0xf15,
    CSR_MSTATUS = 0x300, CSR_MISA = 0x301, CSR_MEDELEG = 0x302,
    CSR_MIDELEG = 0x303, CSR_MIE = 0x304, CSR_MTVEC = 0x305,
    CSR_MCOUNTEREN = 0x306, CSR_MENVCFG = 0x30a, CSR_MCOUNTINHIBIT = 0x320,
    CSR_MHPMEVENT3 = 0x323, CSR_MHPMEVENT31 = 0x33f,
    CSR_MSCRATCH = 0x340, CSR_MEPC = 0x341, CSR_MCAUSE = 0x342,
    CSR_MTVAL = 0x343, CSR_MIP = 0x344,
    CSR_PMPCFG0 = 0x3a0, CSR_PMPCFG15 = 0x3af,
    CSR_PMPADDR0 = 0x3b0, CSR_PMPADDR63 = 0x3ef,
    CSR_TSELECT = 0x7a0, CSR_TDATA1 = 0x7a1, CSR_TDATA2 = 0x7a2, CSR_TDATA3 = 0x7a3,
    CSR_TINFO = 0x7a4,
    CSR_MCYCLE = 0xb00, CSR_MINSTRET = 0xb02,
    CSR_MHPMCOUNTER3 = 0xb03, CSR_MHPMCOUNTER31 = 0xb1f,
};

#define MSTATUS_WRITABLE (MSTATUS_SIE | MSTATUS_MIE | MSTATUS_SPIE | MSTATUS_MPIE | \
                          MSTATUS_SPP | MSTATUS_MPP | MSTATUS_FS | MSTATUS_MPRV | \
                          MSTATUS_SUM | MSTATUS_MXR | MSTATUS_TVM | MSTATUS_TW | \
                          MSTATUS_TSR)
#define SSTATUS_MASK (MSTATUS_SIE | MSTATUS_SPIE | MSTATUS_SPP | MSTATUS_FS | \
                      MSTATUS_SUM | MSTATUS_MXR | MSTATUS_UXL | MSTATUS_SD)
#define MEDELEG_WRITABLE 0xb3ffULL  /* all but ecall-from-M and reserved causes */
#define PMP_L 0x80
#define PMP_A 0x18
#define PMP_TOR 0x08

uint64_t rv_mstatus_read(const struct rv_cpu *cpu)
{
    uint64_t s = cpu->mstatus | MSTATUS_UXL_64 | MSTATUS_SXL_64;
    if ((s & MSTATUS_FS) == MSTATUS_FS_DIRTY)
        s |= MSTATUS_SD;
    return s;
}

uint64_t rv_mip_read(const struct rv_cpu *cpu)
{
    return __atomic_load_n(&cpu->mip, __ATOMIC_ACQUIRE) |
           __atomic_load_n(&cpu->rt->lines, __ATOMIC_ACQUIRE) | cpu->rt->timer_ip;
}

/* Counter CSRs from S/U need the mcounteren (and for U scounteren) bit. */
static bool counter_allowed(const struct rv_cpu *cpu, unsigned csr)
{
    uint64_t bit = 1ULL << (csr & 31);
    if (cpu->priv < RV_PRV_M && !(cpu->mcounteren & bit))
        return false;
    if (cpu->priv < RV_PRV_S && !(cpu->scounteren & bit))
        return false;
    return true;
}

static bool pmpaddr_locked(const struct rv_cpu *cpu, unsigned i)
{
    uint8_t cfg = (uint8_t)(cpu->pmpcfg[i / 8] >> (8 * (i % 8)));
    if (cfg & PMP_L)
        return true;
    if (i + 1 < 16) {
        uint8_t next = (uint8_t)(cpu->pmpcfg[(i + 1) / 8] >> (8 * ((i + 1) % 8)));
        if ((next & PMP_L) && (next & PMP_A) == PMP_TOR)
            return true;
    }
    return false;
}

static void pmpcfg_write(struct rv_cpu *cpu, unsigned reg, uint64_t v)
{
    uint64_t old = cpu->pmpcfg[reg], out = 0;
    for (unsigned b = 0; b < 8; b++) {
        uint8_t o = (uint8_t)(old >> (8 * b)), n = (uint8_t)(v >> (8 * b));
        if (o & PMP_L)
            n = o;                          /* locked until reset */
        n &= 0x9f;                          /* bits 6:5 are reserved, read 0 */
        if ((n & 3) == 2)
            n &= (uint8_t)~2;               /* W without R is reserved */
        out |= (uint64_t)n << (8 * b);
    }
    cpu->pmpcfg[reg] = out;
}

/* The value of a CSR as a read by the current instruction.  Returns false
 * if the CSR does not exist. */
static bool csr_read(struct rv_cpu *cpu, unsigned csr, uint64_t *v)
{
    switch (csr) {
    case CSR_FFLAGS: *v = cpu->fflags; return true;
    case CSR_FRM: *v = cpu->frm; return true;
    case CSR_FCSR: *v = cpu->frm << 5 | cpu->fflags; return true;
    /* instret counts the current instruction already (see exec.c) */
    case CSR_CYCLE: case CSR_MCYCLE: *v = cpu->instret - 1 + cpu->cycle_offset; return true;
    case CSR_INSTRET: case CSR_MINSTRET: *v = cpu->instret - 1; return true;
    case CSR_TIME: *v = rv_cpu_time(cpu); return true;
    case CSR_SSTATUS: *v = rv_mstatus_read(cpu) & SSTATUS_MASK; return true;
    case CSR_SIE: *v = cpu->mie & cpu->mideleg; return true;
    case CSR_STVEC: *v = cpu->stvec; return true;
    case CSR_SCOUNTEREN: *v = cpu->scounteren; return true;
    case CSR_SENVCFG: *v = cpu->senvcfg; return true;
    case CSR_SSCRATCH: *v = cpu->sscratch; return true;
    case CSR_SEPC: *v = cpu->sepc; return true;
    case CSR_SCAUSE: *v = cpu->scause; return true;
    case CSR_STVAL: *v = cpu->stval; return true;
    case CSR_SIP:
        rv_update_timers(cpu, rv_cpu_time(cpu));
        *v = rv_mip_read(cpu) & cpu->mideleg;
        return true;
    case CSR_STIMECMP: *v = cpu->stimecmp; return true;
    case CSR_SATP: *v = cpu->satp; return true;
    case CSR_MVENDORID: *v = cpu->mvendorid; return true;
    case CSR_MARCHID: *v = cpu->marchid; return true;
    case CSR_MIMPID: *v = cpu->mimpid; return true;
    case CSR_MHARTID: *v = cpu->mhartid; return true;
    case CSR_MCONFIGPTR: *v = 0; return true;
    case CSR_MSTATUS: *v = rv_mstatus_read(cpu); return true;
    case CSR_MISA: *v = cpu->misa; return true;
    case CSR_MEDELEG: *v = cpu->medeleg; return true;
    case CSR_MIDELEG: *v = cpu->mideleg; return true;
    case CSR_MIE: *v = cpu->mie; return true;
    case CSR_MTVEC: *v = cpu->mtvec; return true;
    case CSR_MCOUNTEREN: *v = cpu->mcounteren; return true;
    case CSR_MENVCFG: *v = cpu->menvcfg; return true;
    case CSR_MCOUNTINHIBIT: *v = cpu->mcountinhibit; return true;
    case CSR_MSCRATCH: *v = cpu->mscratch; return true;
    case CSR_MEPC: *v = cpu->mepc; return true;
    case CSR_MCAUSE: *v = cpu->mcause; return true;
    case CSR_MTVAL: *v = cpu->mtval; return true;
    case CSR_MIP:
        rv_update_timers(cpu, rv_cpu_time(cpu));
        *v = rv_mip_read(cpu);
        return true;
    }
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        if (csr & 1)
            return false;                   /* odd pmpcfg do not exist on RV64 */
        unsigned reg = (csr - CSR_PMPCFG0) / 2;
        *v = reg < 2 ? cpu->pmpcfg[reg] : 0;
        return true;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        unsigned i = csr - CSR_PMPADDR0;
        *v = i < 16 ? cpu->pmpaddr[i] : 0;
        return true;
    }
    /* Sdtrig with no triggers: tselect 0 selects nothing (tdata1 type 0),
     * tinfo says so; writes are ignored.  Debuggers and tests probe this. */
    if (csr >= CSR_TSELECT && csr <= CSR_TDATA3) {
        *v = 0;
        return true;
    }
    if (csr == CSR_TINFO) {
        *v = 1;
        return true;
    }
    /* hardware performance counters: present, read as zero (no events) */
    if ((csr >= CSR_HPMCOUNTER3 && csr <= CSR_HPMCOUNTER31) ||
        (csr >= CSR_MHPMCOUNTER3 && csr <= CSR_MHPMCOUNTER31) ||
        (csr >= CSR_MHPMEVENT3 && csr <= CSR_MHPMEVENT31)) {
        *v = 0;
        return true;
    }
    return false;
}

static void csr_write(struct rv_cpu *cpu, unsigned csr, uint64_t v)
{
    switch (csr) {
    case CSR_FFLAGS:
        cpu->fflags = v & 0x1f;
        cpu->mstatus |= MSTATUS_FS_DIRTY;
        return;
    case CSR_FRM:
        cpu->frm = v & 7;
        cpu->mstatus |= MSTATUS_FS_DIRTY;
        return;
    case CSR_FCSR:
        cpu->fflags = v & 0x1f;
        cpu->frm = (v >> 5) & 7;
        cpu->mstatus |= MSTATUS_FS_DIRTY;
        return;
    case CSR_MCYCLE:
        cpu->cycle_offset = v - cpu->instret;
        return;
    case CSR_MINSTRET:
        cpu->instret = v;       /* the next instruction reads v */
        return;
    case CSR_SSTATUS:
        v = (cpu->mstatus & ~SSTATUS_MASK) | (v & SSTATUS_MASK);
        /* fall through */
    case CSR_MSTATUS: {
        uint64_t old = cpu->mstatus;
        uint64_t n = (old & ~MSTATUS_WRITABLE) | (v & MSTATUS_WRITABLE);
        if ((n & MSTATUS_MPP) == (2ULL << 11))
            n = (n & ~MSTATUS_MPP) | (old & MSTATUS_MPP);   /* H mode: keep */
        n &= ~(MSTATUS_SD | MSTATUS_UXL | MSTATUS_SXL);
        cpu->mstatus = n;
        if ((old ^ n) & MSTATUS_MXR)
            rv_tlb_flush(cpu);
        if ((old ^ n) & (MSTATUS_MPRV | MSTATUS_MPP | MSTATUS_SUM))
            rv_mmu_update_ctx(cpu);
        if (n & ~old & (MSTATUS_SIE | MSTATUS_MIE))
            rv_recheck_irqs(cpu);    /* an interrupt may be takeable now */
        return;
    }
    case CSR_SIE: case CSR_MIE: {
        uint64_t old = cpu->mie;
        if (csr == CSR_SIE)
            cpu->mie = (old & ~cpu->mideleg) | (v & cpu->mideleg & MIP_S_MASK);
        else
            cpu->mie = v & (MIP_S_MASK | MIP_M_MASK);
        if (cpu->mie & ~old)
            rv_recheck_irqs(cpu);
        return;
    }
    case CSR_STVEC: case CSR_MTVEC:
        if ((v & 3) >= 2)
            v &= ~3ULL;                     /* reserved modes: direct */
        if (csr == CSR_STVEC) cpu->stvec = v; else cpu->mtvec = v;
        return;
    case CSR_SCOUNTEREN: cpu->scounteren = v & 0xffffffff; return;
    case CSR_MCOUNTEREN: cpu->mcounteren = v & 0xffffffff; return;
    case CSR_SENVCFG: cpu->senvcfg = v & MENVCFG_FIOM; return;
    case CSR_MENVCFG:
        cpu->menvcfg = v & (MENVCFG_FIOM | MENVCFG_STCE);
        rv_update_timers(cpu, rv_cpu_time(cpu));
        rv_recheck_irqs(cpu);
        return;
    case CSR_SSCRATCH: cpu->sscratch = v; return;
    case CSR_MSCRATCH: cpu->mscratch = v; return;
    case CSR_SEPC: cpu->sepc = v & ~1ULL; return;
    case CSR_MEPC: cpu->mepc = v & ~1ULL; return;
    case CSR_SCAUSE: cpu->scause = v; return;
    case CSR_MCAUSE: cpu->mcause = v; return;
    case CSR_STVAL: cpu->stval = v; return;
    case CSR_MTVAL: cpu->mtval = v; return;
    case CSR_STIMECMP:
        cpu->stimecmp = v;
        rv_update_timers(cpu, rv_cpu_time(cpu));
        rv_recheck_irqs(cpu);
        return;
    case CSR_SATP: {
        unsigned mode = (unsigned)(v >> SATP_MODE_SHIFT);
        if (mode != SATP_MODE_BARE && mode != SATP_MODE_SV39 && mode != SATP_MODE_SV48)
            return;                         /* unsupported mode: no effect */
        cpu->satp = v & ((0xfULL << 60) | (0xffffULL << 44) | SATP_PPN_MASK);
        rv_tlb_flush(cpu);
        return;
    }
    case CSR_MEDELEG: cpu->medeleg = v & MEDELEG_WRITABLE; return;
    case CSR_MIDELEG:
        cpu->mideleg = v & MIP_S_MASK;
        rv_recheck_irqs(cpu);
        return;
    case CSR_MCOUNTINHIBIT: cpu->mcountinhibit = v & 0xfffffffd; return;
    case CSR_MISA: return;                  /* extensions cannot be turned off */
    }
    if (csr >= CSR_PMPCFG0 && csr <= CSR_PMPCFG15) {
        unsigned reg = (csr - CSR_PMPCFG0) / 2;
        if (reg < 2) {
            pmpcfg_write(cpu, reg, v);
            rv_pmp_update(cpu);
            rv_tlb_flush(cpu);
        }
        return;
    }
    if (csr >= CSR_PMPADDR0 && csr <= CSR_PMPADDR63) {
        unsigned i = csr - CSR_PMPADDR0;
        if (i < 16 && !pmpaddr_locked(cpu, i)) {
            cpu->pmpaddr[i] = v & ((1ULL << 54) - 1);
            rv_pmp_update(cpu);
            rv_tlb_flush(cpu);
        }
        return;
    }
    /* hpm counters/events: hardwired to zero */
}

/* mip/sip writes.  The read shows device lines OR-ed in, but the write
 * changes only the software-writable bits (priv spec 3.1.9), and with
 * atomics: other threads set SSIP (IPIs) meanwhile. */
static void mip_write(struct rv_cpu *cpu, unsigned csr, uint64_t operand, int op)
{
    uint64_t mask = MIP_SSIP | MIP_SEIP;
    if (!(cpu->menvcfg & MENVCFG_STCE))
        mask |= MIP_STIP;
    if (csr == CSR_SIP)
        mask = cpu->mideleg & MIP_SSIP;
    uint64_t bits = operand & mask;
    if (op == CSR_OP_RS) {
        __atomic_fetch_or(&cpu->mip, bits, __ATOMIC_ACQ_REL);
    } else if (op == CSR_OP_RC) {
        __atomic_fetch_and(&cpu->mip, ~bits, __ATOMIC_ACQ_REL);
    } else {
        uint64_t cur = __atomic_load_n(&cpu->mip, __ATOMIC_ACQUIRE);
        while (!__atomic_compare_exchange_n(&cpu->mip, &cur, (cur & ~mask) | bits, true,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            ;
    }
    if (bits && op != CSR_OP_RC)
        rv_recheck_irqs(cpu);
}

bool rv_csr_access(struct rv_cpu *cpu, unsigned csr, uint64_t *old,
                   uint64_t operand, int op, bool write)
{
    csr &= 0xfff;
    if (cpu->priv < ((csr >> 8) & 3))
        goto illegal;
    if (write && (csr >> 10) == 3)
        goto illegal;                       /* read-only CSR */
    switch (csr) {
    case CSR_FFLAGS: case CSR_FRM: case CSR_FCSR:
        if (!(cpu->mstatus & MSTATUS_FS))
            goto illegal;
        break;
    case CSR_SATP:
        if (cpu->priv == RV_PRV_S && (cpu->mstatus & MSTATUS_TVM))
            goto illegal;
        break;
    case CSR_STIMECMP:
        if (cpu->priv < RV_PRV_M &&
            (!(cpu->menvcfg & MENVCFG_STCE) || !(cpu->mcounteren & 2)))
            goto illegal;
        break;
    }
    if (csr >= CSR_CYCLE && csr <= CSR_HPMCOUNTER31 && !counter_allowed(cpu, csr))
        goto illegal;

    uint64_t v;
    if (!csr_read(cpu, csr, &v))
        goto illegal;
    *old = v;
    if (write && (csr == CSR_MIP || csr == CSR_SIP))
        mip_write(cpu, csr, operand, op);
    else if (write)
        csr_write(cpu, csr, op == CSR_OP_RW ? operand
                          : op == CSR_OP_RS ? v | operand : v & ~operand);
    return true;
illegal:
    return false;
}
