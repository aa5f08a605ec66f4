/* htif_hello.S — M mode, --bios: print through HTIF console putchar
 * (device 1, command 1), then exit through tohost with EXIT_CODE. */
#ifndef EXIT_CODE
#define EXIT_CODE 0
#endif
    .section .text.init
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
    la a0, msg
    la t1, tohost
    la t2, fromhost
next:
    lbu a1, 0(a0)
    beqz a1, done
    li t0, 0x0101000000000000
    or t0, t0, a1
    sd t0, 0(t1)
wait:
    ld t3, 0(t2)
    beqz t3, wait
    sd zero, 0(t2)
    addi a0, a0, 1
    j next
done:
    li t0, (EXIT_CODE << 1) | 1
    sd t0, 0(t1)
park:
    wfi
    j park

    .section .rodata
msg: .asciz "hello from HTIF\n"

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
tohost: .dword 0
    .align 6
    .globl fromhost
fromhost: .dword 0
