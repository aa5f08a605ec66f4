/*
 * cpu.h — one RISC-V hart (RV64IMAFDC + Zicsr + Zifencei + Zicntr + Sstc,
 * privileged spec 1.12, M/S/U modes, Sv39/Sv48) as a plain data structure.
 *
 * A hart is like a process control block: struct rv_cpu holds the complete
 * architectural state, so it can be saved, restored or migrated, and nothing
 * of a VM lives in globals.  Host-side caches (TLB, decoded blocks, locks)
 * hang off cpu->rt and are rebuilt from the architectural state.  The
 * machine (src/machine/) owns the memory map and the devices; a hart
 * reaches them only through struct rv_bus.
 *
 * Threading: each hart runs rv_cpu_run() on its own host thread.  The
 * functions marked "any thread" may be called by devices, other harts or
 * the monitor while it runs.
 *
 * This is the CONTRACT between src/cpu/ and src/machine/.  src/cpu/ owns the
 * file and may add fields and functions; keep what is here working.
 */
#ifndef VESSEL_CPU_H
#define VESSEL_CPU_H

#include <stdbool.h>
#include <stdint.h>

struct rv_cpu;
struct rv_cpu_rt;     /* host-side runtime state, private to src/cpu/ */

enum rv_priv { RV_PRV_U = 0, RV_PRV_S = 1, RV_PRV_M = 3 };

/* mip/mie bit numbers */
enum {
    RV_IRQ_SSI = 1, RV_IRQ_MSI = 3,
    RV_IRQ_STI = 5, RV_IRQ_MTI = 7,
    RV_IRQ_SEI = 9, RV_IRQ_MEI = 11,
};

/* For the device tree's riscv,isa property (Linux 6.1 parses the
 * multi-letter extensions; sstc lets it program stimecmp directly). */
#define RV_CPU_ISA_STRING "rv64imafdc_zicntr_zicsr_zifencei_zihpm_sstc"
#define RV_CPU_MMU_TYPE   "riscv,sv48"   /* Sv39 and bare work too */

/* What a hart needs from its machine.  Filled in by the machine; shared by
 * all harts of one VM; must outlive them. */
struct rv_bus {
    uint8_t  *ram;        /* host mapping of guest RAM */
    uint64_t  ram_base;   /* guest-physical address of ram[0] (0x80000000) */
    uint64_t  ram_size;   /* a multiple of 4096 */
    void     *opaque;     /* handed back to every callback */

    /* Physical accesses that are not RAM (size 1, 2, 4 or 8, naturally
     * aligned).  Return false for "nothing there": the hart then takes an
     * access fault.  Called on the hart's thread. */
    bool (*mmio_read)(void *opaque, uint64_t paddr, unsigned size, uint64_t *val);
    bool (*mmio_write)(void *opaque, uint64_t paddr, unsigned size, uint64_t val);

    /* The machine's clock: `time`/mtime, 10 MHz, from the host's monotonic
     * clock (not instruction counts).  Any thread. */
    uint64_t (*get_time)(void *opaque);

    /* Direct boot (no M-mode firmware): an ecall from S mode is an SBI call
     * that the monitor emulates.  The handler reads a0..a7 and writes a0/a1
     * in cpu->x[]; the hart then resumes after the ecall.  NULL when M-mode
     * firmware runs (--bios). */
    void (*sbi_call)(void *opaque, struct rv_cpu *cpu);

    /* Optional: one 4 KiB page inside RAM whose accesses go to mmio_read/
     * mmio_write instead of RAM (HTIF tohost/fromhost of bare-metal test
     * programs).  0 = none. */
    uint64_t io_page;
};

/* Why rv_cpu_run() returned. */
enum rv_exit {
    RV_EXIT_REQUESTED = 1,   /* rv_cpu_request_exit() was called */
};

/* SBI HSM states (direct boot). */
enum rv_hart_state { RV_HART_STARTED, RV_HART_STOPPED, RV_HART_SUSPENDED };

/*
 * The architectural state.  The machine may read and write x[] (SBI calls),
 * pc and the CSR fields while the hart is not running guest code (before
 * rv_cpu_run, after it returned, or inside bus->sbi_call on the hart's own
 * thread).  Everything else goes through the functions below.
 */
struct rv_cpu {
    uint64_t x[32 + 1];     /* x0..x31 (x[0] reads 0); x[32] absorbs writes to x0 */
    uint64_t f[32];         /* f0..f31; singles NaN-boxed */
    uint64_t pc;
    unsigned priv;          /* enum rv_priv */
    unsigned fflags;        /* fcsr[4:0], FPU_NX.. bits */
    unsigned frm;           /* fcsr[7:5] */
    bool     wfi;           /* stopped in WFI, waiting for an interrupt */

    /* machine-level CSRs */
    uint64_t mstatus;       /* sstatus is a view of it; SD is computed */
    uint64_t misa;
    uint64_t medeleg, mideleg;
    uint64_t mie;
    uint64_t mip;           /* software-writable bits (SSIP, STIP, SEIP);
                             * device lines and timers live in rt */
    uint64_t mtvec, mscratch, mepc, mcause, mtval;
    uint64_t mcounteren, mcountinhibit, menvcfg;
    uint64_t mhartid, mvendorid, marchid, mimpid;
    uint64_t pmpcfg[2];     /* pmpcfg0, pmpcfg2 (RV64: 8 entries each) */
    uint64_t pmpaddr[16];
    uint64_t mtimecmp;      /* ACLINT MTIMER compare (any thread, atomic) */

    /* supervisor-level CSRs */
    uint64_t stvec, sscratch, sepc, scause, stval, satp;
    uint64_t scounteren, senvcfg, stimecmp;

    /* counters: mcycle/minstret = instret + offset */
    uint64_t instret;
    uint64_t cycle_offset;

    /* LR/SC reservation (guest-physical address, value seen by LR) */
    uint64_t resv_addr, resv_value;
    bool     resv_valid;

    /* direct boot: the monitor plays M mode (SBI, misaligned emulation) */
    bool     m_emulated;
    unsigned hart_state;    /* enum rv_hart_state (any thread, atomic) */

    const struct rv_bus *bus;
    struct rv_cpu_rt *rt;
};

/* Create a hart in its reset state (M mode, pc = bus->ram_base).
 * hartid goes into mhartid.  Returns NULL when out of memory. */
struct rv_cpu *rv_cpu_new(const struct rv_bus *bus, unsigned hartid);
void rv_cpu_free(struct rv_cpu *cpu);
void rv_cpu_reset(struct rv_cpu *cpu, uint64_t reset_pc);

/* Direct boot: behave as if SBI firmware had run — start in S mode at pc
 * with a0 = hartid, a1 = fdt; set up medeleg/mideleg, mcounteren, menvcfg
 * (Sstc) as OpenSBI would, and emulate in the monitor whatever traps to M
 * mode (ecall -> bus->sbi_call, misaligned loads/stores, ...).  In this
 * mode the SBI timer (rv_cpu_set_mtimecmp) raises STIP, as OpenSBI does. */
void rv_cpu_boot_supervisor(struct rv_cpu *cpu, uint64_t pc, uint64_t a0, uint64_t a1);

/* Direct boot of a secondary hart: like rv_cpu_boot_supervisor but the hart
 * starts STOPPED; rv_cpu_run() then waits for rv_cpu_hart_start(). */
void rv_cpu_boot_stopped(struct rv_cpu *cpu);

/* Run guest code on the calling thread until rv_cpu_request_exit().
 * WFI (and a stopped hart) sleeps the thread until something is due. */
enum rv_exit rv_cpu_run(struct rv_cpu *cpu);

/* Any thread: make rv_cpu_run() return soon (pause, shutdown).  The request
 * stays set until rv_cpu_run() returns because of it. */
void rv_cpu_request_exit(struct rv_cpu *cpu);

/* Any thread: raise or lower an interrupt line (bit number in mip:
 * RV_IRQ_*), waking the hart from WFI if needed.  MEI, SEI and MSI are
 * level-triggered lines.  SSI and STI set/clear the software-writable mip
 * bit (an SBI IPI sets SSI; the guest clears it in sip). */
void rv_cpu_set_irq(struct rv_cpu *cpu, unsigned irq, bool level);

/* Any thread: the ACLINT MTIMER compare register of this hart.  MTIP
 * follows (time >= mtimecmp) without polling by the device.  In direct
 * boot this is the SBI timer: STIP follows it instead (set_timer). */
void     rv_cpu_set_mtimecmp(struct rv_cpu *cpu, uint64_t value);
uint64_t rv_cpu_get_mtimecmp(const struct rv_cpu *cpu);

/* SBI HSM support (direct boot).  Any thread. */
enum rv_hart_state rv_cpu_hart_state(const struct rv_cpu *cpu);
/* Start a STOPPED hart in S mode at pc with a0 = hartid, a1 = opaque,
 * satp = 0, sstatus.SIE = 0.  Returns false if it was not stopped. */
bool rv_cpu_hart_start(struct rv_cpu *cpu, uint64_t pc, uint64_t opaque);
/* Called on the hart's own thread from sbi_call: stop this hart (it sleeps
 * once sbi_call returns, until rv_cpu_hart_start). */
void rv_cpu_hart_stop(struct rv_cpu *cpu);
/* Called on the hart's own thread from sbi_call (HSM hart_suspend).
 * Retentive: the hart sleeps once sbi_call returns and resumes after the
 * ecall when an interrupt is pending in mip & mie (a0 = 0).  Non-retentive:
 * it resumes instead at resume_pc in S mode with a0 = hartid, a1 = opaque,
 * satp = 0, sstatus.SIE = 0. */
void rv_cpu_hart_suspend(struct rv_cpu *cpu, bool retentive,
                         uint64_t resume_pc, uint64_t opaque);

/* Any thread: remote fences (SBI RFENCE, IPIs of fence.i).  Returns once
 * the target hart will not use stale translations or stale decoded code.
 * size = 0 or asid < 0 mean "all".  Safe to call from sbi_call, also on
 * the calling hart itself. */
void rv_cpu_remote_sfence_vma(struct rv_cpu *cpu, uint64_t start, uint64_t size, int asid);
void rv_cpu_remote_fence_i(struct rv_cpu *cpu);

/* Read the `time` CSR as the hart sees it (bus->get_time). */
uint64_t rv_cpu_time(const struct rv_cpu *cpu);

#endif
