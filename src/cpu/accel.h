/*
 * accel.h — the seam where another execution engine replaces the
 * interpreter for a hart.
 *
 * rv_cpu_run() (cpu.c) owns everything around guest execution: events
 * from other threads, timers, interrupt delivery, WFI, HSM states and
 * remote fences.  Between those checks it calls accel->execute(), which
 * runs guest code until something needs the run loop.  The interpreter is
 * one such engine; a binary translator would be another (it shares
 * decode.h, the MMU slow paths of hart.h and the trap entry of trap.c, and
 * may fall back to the interpreter for what it does not translate).  A
 * hardware-virtualization backend (KVM) would instead replace rv_cpu_run
 * as a whole, keeping struct rv_cpu as the state it loads and saves.
 */
#ifndef VESSEL_CPU_ACCEL_H
#define VESSEL_CPU_ACCEL_H

struct rv_cpu;

struct rv_accel {
    const char *name;
    /* Run guest code from cpu->pc until an event is posted, a budget of
     * work is used up, or the hart executes WFI (cpu->wfi set).  Traps
     * are taken inside (rv_take_exception); cpu->pc is up to date on
     * return. */
    void (*execute)(struct rv_cpu *cpu);
    /* Guest code may have changed (fence.i, remote fence.i): drop every
     * decoded or translated form of it. */
    void (*flush_code)(struct rv_cpu *cpu);
};

/* The decoded-block interpreter (exec.c), every hart's default. */
extern const struct rv_accel rv_accel_interp;

/* Choose the engine of a hart that is not running. */
void rv_cpu_set_accel(struct rv_cpu *cpu, const struct rv_accel *accel);

#endif
