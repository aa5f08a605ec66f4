/*
 * cpu.h — one RISC-V hart (RV64IMAFDC + Zicsr + Zifencei + Zicntr, privileged
 * spec 1.12, M/S/U modes, Sv39/Sv48) as a plain data structure.
 *
 * A hart is like a process control block: struct rv_cpu holds the complete
 * architectural state, so it can be saved, restored or migrated, and nothing
 * of a VM lives in globals.  The machine (src/machine/) owns the memory map
 * and the devices; a hart reaches them only through struct rv_bus.
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

enum rv_priv { RV_PRV_U = 0, RV_PRV_S = 1, RV_PRV_M = 3 };

/* mip/mie bit numbers */
enum {
    RV_IRQ_SSI = 1, RV_IRQ_MSI = 3,
    RV_IRQ_STI = 5, RV_IRQ_MTI = 7,
    RV_IRQ_SEI = 9, RV_IRQ_MEI = 11,
};

/* What a hart needs from its machine.  Filled in by the machine; shared by
 * all harts of one VM; must outlive them. */
struct rv_bus {
    uint8_t  *ram;        /* host mapping of guest RAM */
    uint64_t  ram_base;   /* guest-physical address of ram[0] (0x80000000) */
    uint64_t  ram_size;
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
};

/* Why rv_cpu_run() returned. */
enum rv_exit {
    RV_EXIT_REQUESTED = 1,   /* rv_cpu_request_exit() was called */
};

/* Create a hart in its reset state (M mode, pc = reset_pc).
 * hartid goes into mhartid. */
struct rv_cpu *rv_cpu_new(const struct rv_bus *bus, unsigned hartid);
void rv_cpu_free(struct rv_cpu *cpu);
void rv_cpu_reset(struct rv_cpu *cpu, uint64_t reset_pc);

/* Direct boot: behave as if SBI firmware had run — start in S mode at pc
 * with a0 = hartid, a1 = fdt; set up medeleg/mideleg, mcounteren, menvcfg
 * (Sstc) as OpenSBI would, and emulate in the monitor whatever traps to M
 * mode (ecall -> bus->sbi_call, misaligned loads/stores, ...). */
void rv_cpu_boot_supervisor(struct rv_cpu *cpu, uint64_t pc, uint64_t a0, uint64_t a1);

/* Run guest code on the calling thread until rv_cpu_request_exit().
 * WFI sleeps the thread until an interrupt is due. */
enum rv_exit rv_cpu_run(struct rv_cpu *cpu);

/* Any thread: make rv_cpu_run() return soon (pause, shutdown). */
void rv_cpu_request_exit(struct rv_cpu *cpu);

/* Any thread: raise or lower a level-triggered interrupt line (bit number
 * in mip: RV_IRQ_*), waking the hart from WFI if needed. */
void rv_cpu_set_irq(struct rv_cpu *cpu, unsigned irq, bool level);

/* Any thread: the ACLINT MTIMER compare register of this hart.  MTIP
 * follows (time >= mtimecmp) without polling by the device. */
void     rv_cpu_set_mtimecmp(struct rv_cpu *cpu, uint64_t value);
uint64_t rv_cpu_get_mtimecmp(const struct rv_cpu *cpu);

/* SBI HSM support (direct boot).  Any thread. */
enum rv_hart_state { RV_HART_STARTED, RV_HART_STOPPED, RV_HART_SUSPENDED };
enum rv_hart_state rv_cpu_hart_state(const struct rv_cpu *cpu);
/* Start a STOPPED hart in S mode at pc with a0 = hartid, a1 = opaque.
 * Returns false if it was not stopped. */
bool rv_cpu_hart_start(struct rv_cpu *cpu, uint64_t pc, uint64_t opaque);
/* Called on the hart's own thread from sbi_call: stop this hart. */
void rv_cpu_hart_stop(struct rv_cpu *cpu);

/* Any thread: remote fences (SBI RFENCE, IPIs of fence.i).  Returns once
 * the target hart will not use stale translations or stale decoded code. */
void rv_cpu_remote_sfence_vma(struct rv_cpu *cpu, uint64_t start, uint64_t size, int asid);
void rv_cpu_remote_fence_i(struct rv_cpu *cpu);

#endif
