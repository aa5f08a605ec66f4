/* probe.S — memory accesses that may fault.  The M-mode trap handler
 * records the cause and tval and skips the faulting instruction (for an
 * instruction fetch fault it returns to the caller of probe_exec). */
    .text
    .globl probe_ld, probe_lw, probe_lb, probe_sd, probe_sw, probe_sb, probe_exec
probe_ld:  ld a0, 0(a0)
           ret
probe_lw:  lw a0, 0(a0)
           ret
probe_lb:  lb a0, 0(a0)
           ret
probe_sd:  sd a1, 0(a0)
           ret
probe_sw:  sw a1, 0(a0)
           ret
probe_sb:  sb a1, 0(a0)
           ret
probe_exec: jr a0

#ifdef MODE_M
    .globl trap_entry, trap_cause, trap_tval
    .align 4
trap_entry:
    csrr t0, mcause
    la t1, trap_cause
    sd t0, 0(t1)
    csrr t2, mtval
    la t1, trap_tval
    sd t2, 0(t1)
    li t1, 1                 /* instruction access fault: back to caller */
    bne t0, t1, 1f
    csrw mepc, ra
    mret
1:  csrr t0, mepc            /* skip the 2- or 4-byte instruction */
    lhu t1, 0(t0)
    andi t1, t1, 3
    li t2, 3
    addi t0, t0, 2
    bne t1, t2, 2f
    addi t0, t0, 2
2:  csrw mepc, t0
    mret

    .data
    .align 3
trap_cause: .dword 0
trap_tval:  .dword 0
#endif
