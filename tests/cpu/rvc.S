/* RVC: every compressed instruction executed, written with its explicit
 * c.* mnemonic, results compared with the values its expansion gives;
 * reserved encodings raise illegal instruction with the 16-bit encoding in
 * mtval. */
#include "test.h"
TEST_START
    la sp, stack_top
    /* quadrant 0 */
    c.addi4spn s0, sp, 16
    addi t0, sp, 16
    CHECK_EQ(1, s0, t0)
    c.addi4spn a5, sp, 1020
    addi t0, sp, 1020
    CHECK_EQ(2, a5, t0)
    la s1, data
    li a0, 0x8899aabbccddeeff
    sd a0, 0(s1)
    c.lw a2, 4(s1)
    CHECK_IMM(3, a2, 0xffffffff8899aabb)
    c.ld a3, 0(s1)
    CHECK_EQ(4, a3, a0)
    c.sw a3, 8(s1)
    lwu a4, 8(s1)
    CHECK_IMM(5, a4, 0xccddeeff)
    c.sd a3, 16(s1)
    ld a4, 16(s1)
    CHECK_EQ(6, a4, a0)
    /* FP loads/stores need FS on */
    li t0, MSTATUS_FS
    csrs mstatus, t0
    c.fld fa0, 0(s1)
    c.fsd fa0, 24(s1)
    ld a4, 24(s1)
    CHECK_EQ(7, a4, a0)
    /* quadrant 1 */
    li a0, 10
    c.addi a0, -11
    CHECK_IMM(8, a0, -1)
    li a0, 0x7fffffff
    c.addiw a0, 1
    CHECK_IMM(9, a0, 0xffffffff80000000)
    c.li a1, -32
    CHECK_IMM(10, a1, -32)
    mv t1, sp
    c.addi16sp sp, -512
    addi t1, t1, -512
    CHECK_EQ(11, sp, t1)
    c.addi16sp sp, 496
    addi t1, t1, 496
    CHECK_EQ(12, sp, t1)
    c.addi16sp sp, 16
    c.lui a2, 0xfffe0                 /* nzimm[17:12] = -32 */
    CHECK_IMM(13, a2, 0xfffffffffffe0000)
    c.lui a2, 1
    CHECK_IMM(14, a2, 0x1000)
    li a3, 0x8000000000000000
    c.srli a3, 63
    CHECK_IMM(15, a3, 1)
    li a3, 0x8000000000000000
    c.srai a3, 32
    CHECK_IMM(16, a3, 0xffffffff80000000)
    li a4, 0xff
    c.andi a4, -16
    CHECK_IMM(17, a4, 0xf0)
    li a4, 5
    li a5, 7
    c.sub a4, a5
    CHECK_IMM(18, a4, -2)
    c.xor a4, a5
    CHECK_IMM(19, a4, -2 ^ 7)
    c.or a4, a5
    CHECK_IMM(20, a4, -1)
    c.and a4, a5
    CHECK_IMM(21, a4, 7)
    li a4, 0x80000000
    li a5, 1
    c.subw a4, a5
    CHECK_IMM(22, a4, 0x7fffffff)
    c.addw a4, a5
    CHECK_IMM(23, a4, 0xffffffff80000000)
    li gp, 24
    c.j 1f
    j fail
1:  li a0, 0
    li gp, 25
    c.bnez a0, fail
    c.beqz a0, 2f
    j fail
2:  li a0, 1
    li gp, 26
    c.beqz a0, fail
    c.bnez a0, 3f
    j fail
3:  /* quadrant 2 */
    li a0, 1
    c.slli a0, 63
    CHECK_IMM(27, a0, 0x8000000000000000)
    addi sp, sp, -32
    li a0, 0x1122334455667788
    c.sdsp a0, 8(sp)
    c.ldsp a1, 8(sp)
    CHECK_EQ(28, a1, a0)
    c.swsp a0, 16(sp)
    c.lwsp a2, 16(sp)
    CHECK_IMM(29, a2, 0x55667788)
    c.lwsp a2, 12(sp)
    CHECK_IMM(30, a2, 0x11223344)
    c.fsdsp fa0, 0(sp)
    c.fldsp fa1, 0(sp)
    fmv.x.d a3, fa1
    ld a4, 0(s1)
    CHECK_EQ(31, a3, a4)
    addi sp, sp, 32
    li a1, 42
    c.mv a2, a1
    CHECK_IMM(32, a2, 42)
    c.add a2, a1
    CHECK_IMM(33, a2, 84)
    la t0, 4f
    c.jr t0
    li gp, 34
    j fail
4:  la t0, 5f
    c.jalr t0
6:  li gp, 35
    j fail
5:  la t1, 6b
    CHECK_EQ(36, ra, t1)
    /* c.ebreak: breakpoint, mepc at it, mtval = its address */
    la t1, 7f
    li s2, -1
7:  c.ebreak
    CHECK_IMM(37, s2, 3)
    bne s4, t1, fail
    bne s3, t1, fail
    /* c.nop */
    c.nop
    /* reserved encodings: illegal instruction, mtval = the 16 bits */
    EXPECT_TRAP_TVAL(38, 2, 0, .2byte 0x0000)      /* all zeros */
    EXPECT_TRAP_TVAL(39, 2, 0x4002, .2byte 0x4002)  /* c.lwsp x0 */
    EXPECT_TRAP_TVAL(40, 2, 0x8002, .2byte 0x8002)  /* c.jr x0 */
    EXPECT_TRAP_TVAL(41, 2, 0x6101, .2byte 0x6101)  /* c.addi16sp 0 */
    EXPECT_TRAP_TVAL(42, 2, 0x6501, .2byte 0x6501)  /* c.lui a0, 0 */
    EXPECT_TRAP_TVAL(43, 2, 0x2001, .2byte 0x2001)  /* c.addiw x0 */
    EXPECT_TRAP_TVAL(44, 2, 0x9d41, .2byte 0x9d41)  /* c.subw reserved slot */
    EXPECT_TRAP_TVAL(45, 2, 0x8000, .2byte 0x8000)  /* quadrant 0 funct3 100 */
    EXPECT_TRAP_TVAL(46, 2, 0x6002, .2byte 0x6002)  /* c.ldsp x0 */
    /* HINTs execute as no-ops */
    li a0, 7
    .2byte 0x0005                                    /* c.addi x0, 1 */
    .2byte 0x4005                                    /* c.li x0, 1 */
    .2byte 0x0502                                    /* c.slli a0, 0 */
    CHECK_IMM(47, a0, 7)
    CHECK_IMM(48, x0, 0)
    /* a 32-bit instruction at a 2-byte aligned address */
    .option push
    .option norvc
    .2byte 0x0001                                    /* c.nop: misalign what follows */
    li a0, 0x123
    addi a0, a0, 1
    .option pop
    CHECK_IMM(49, a0, 0x124)
    TEST_PASS

    .data
    .align 3
data: .dword 0, 0, 0, 0
    .align 4
stack: .space 2048
stack_top:
