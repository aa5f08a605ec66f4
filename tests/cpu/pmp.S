/* PMP: permissions per entry, lowest entry wins, TOR/NA4/NAPOT ranges,
 * S/U accesses with no matching entry fail, M is checked only against
 * locked entries, partially matching accesses fail, the page walk is
 * checked as S mode. */
#include "test.h"
#define PG  0x80010000               /* a data page */
#define NAPOT(base, size) (((base) >> 2) | (((size) >> 3) - 1))
#define CFG(r, w, x, a, l) ((r) | (w) << 1 | (x) << 2 | (a) << 3 | (l) << 7)
TEST_START
    /* entry 0: PG read-only (NAPOT 4 KiB); entry 1: TOR [0, PG) RWX;
     * entry 2: NA4 at PG+0x1000 read/write; entry 3: everything RWX */
    li t0, NAPOT(PG, 4096)
    csrw pmpaddr0, t0
    li t0, PG >> 2
    csrw pmpaddr1, t0
    li t0, (PG + 0x1000) >> 2
    csrw pmpaddr2, t0
    li t0, -1
    csrw pmpaddr3, t0
    li t0, CFG(1,0,0,3,0) | CFG(1,1,1,1,0) << 8 | CFG(1,1,0,2,0) << 16 | CFG(1,1,1,3,0) << 24
    csrw pmpcfg0, t0
    li s0, PG
    li t1, 0x77
    sd t1, 0(s0)                     /* M: not restricted by unlocked entries */
    ENTER_MODE(1, in_s)
in_s:
    ld a0, 0(s0)
    CHECK_IMM(1, a0, 0x77)
    EXPECT_TRAP_TVAL(2, 7, PG + 8, sd a0, 8(s0))
    EXPECT_TRAP_TVAL(3, 7, PG, amoadd.d a0, a0, (s0))
    li t0, PG + 0x100
    EXPECT_TRAP_TVAL(4, 1, PG + 0x100, jalr t0)      /* no X */
    /* NA4: 4 bytes writable, the 8-byte access around it matches partly */
    li t0, PG + 0x1000
    EXPECT_NO_TRAP(5, sw a0, 0(t0))
    EXPECT_NO_TRAP(6, lw a0, 0(t0))
    EXPECT_TRAP_TVAL(7, 5, PG + 0x1000, ld a0, 0(t0))
    EXPECT_NO_TRAP(8, ld a0, 8(t0))                  /* entry 3 */
    TO_M
    /* all entries off: S and U accesses match nothing and fail; M is fine */
    csrw pmpcfg0, zero
    li t1, 0x88
    sd t1, 0(s0)
    li t0, (1 << 11) | MSTATUS_MPRV                  /* MPRV, MPP = S */
    csrs mstatus, t0
    EXPECT_TRAP_TVAL(9, 5, PG, ld a0, 0(s0))
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    ld a0, 0(s0)
    CHECK_IMM(10, a0, 0x88)
    /* a page walk is checked as S: page table readable only by M */
    li t0, NAPOT(0x80020000, 4096)
    csrw pmpaddr0, t0
    li t0, -1
    csrw pmpaddr1, t0
    li t0, CFG(0,0,0,3,0) | CFG(1,1,1,3,0) << 8
    csrw pmpcfg0, t0
    ZERO_PAGES(0x80020000, 1)
    SET_PTE(0x80020000 + 8 * 2, 0x80000000, PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D)
    li t0, SATP_SV39(0x80020000)
    csrw satp, t0
    sfence.vma
    li t0, (1 << 11) | MSTATUS_MPRV
    csrs mstatus, t0
    EXPECT_TRAP_TVAL(11, 5, PG, ld a0, 0(s0))        /* PTE read denied */
    EXPECT_TRAP_TVAL(12, 7, PG, sd a0, 0(s0))
    li t0, MSTATUS_MPRV
    csrc mstatus, t0
    csrw satp, zero
    /* a locked entry binds M too, and stays until reset */
    li t0, NAPOT(PG, 4096)
    csrw pmpaddr0, t0
    li t0, CFG(1,0,0,3,1) | CFG(1,1,1,3,0) << 8
    csrw pmpcfg0, t0
    EXPECT_NO_TRAP(13, ld a0, 0(s0))
    EXPECT_TRAP_TVAL(14, 7, PG, sd a0, 0(s0))
    csrw pmpcfg0, zero
    csrr a0, pmpcfg0
    CHECK_IMM(15, a0, CFG(1,0,0,3,1))                /* entry 0 kept, entry 1 off */
    EXPECT_TRAP(16, 7, sd a0, 0(s0))
    TEST_PASS
