/* Entry of the bare-metal workload: a stack, zeroed .bss, then C. */
    .section .text.init
    .globl _start
_start:
    li sp, 0x80f00000
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call bench_main
    j .
