/* crt0.S — start every hart on its own 4 KiB stack and call
 * main(hartid, a1).  M-mode programs (-DMODE_M) also get a trap vector
 * that records mcause/mtval and resumes (see probe.S). */
    .section .text.init
    .globl _start
_start:
#ifdef MODE_M
    csrr a0, mhartid
    la t0, trap_entry
    csrw mtvec, t0
#endif
    /* a0 = hartid (from the reset vector or SBI), a1 = fdt / opaque */
    li t0, 8
    bgeu a0, t0, park
    la sp, _stacks
    addi t0, a0, 1
    slli t0, t0, 12
    add sp, sp, t0
    call main
park:
    wfi
    j park
