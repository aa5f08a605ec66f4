/*
 * hart.h — private to src/cpu/: the host-side runtime of a hart (software
 * TLB, decoded-block cache, locks) and the functions the interpreter, the
 * MMU, the CSR file and the trap logic share.
 */
#ifndef VESSEL_CPU_HART_H
#define VESSEL_CPU_HART_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "cpu/cpu.h"
#include "cpu/accel.h"
#include "cpu/decode.h"

#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- CSR bit layouts (privileged spec 1.12) ---- */
#define MSTATUS_SIE    (1ULL << 1)
#define MSTATUS_MIE    (1ULL << 3)
#define MSTATUS_SPIE   (1ULL << 5)
#define MSTATUS_MPIE   (1ULL << 7)
#define MSTATUS_SPP    (1ULL << 8)
#define MSTATUS_MPP    (3ULL << 11)
#define MSTATUS_FS     (3ULL << 13)
#define MSTATUS_MPRV   (1ULL << 17)
#define MSTATUS_SUM    (1ULL << 18)
#define MSTATUS_MXR    (1ULL << 19)
#define MSTATUS_TVM    (1ULL << 20)
#define MSTATUS_TW     (1ULL << 21)
#define MSTATUS_TSR    (1ULL << 22)
#define MSTATUS_UXL    (3ULL << 32)
#define MSTATUS_SXL    (3ULL << 34)
#define MSTATUS_SD     (1ULL << 63)
#define MSTATUS_UXL_64 (2ULL << 32)
#define MSTATUS_SXL_64 (2ULL << 34)
#define MSTATUS_FS_DIRTY (3ULL << 13)

#define MENVCFG_FIOM   (1ULL << 0)
#define MENVCFG_STCE   (1ULL << 63)

#define SATP_MODE_SHIFT 60
#define SATP_MODE_BARE  0
#define SATP_MODE_SV39  8
#define SATP_MODE_SV48  9
#define SATP_PPN_MASK   ((1ULL << 44) - 1)

#define MIP_SSIP (1ULL << RV_IRQ_SSI)
#define MIP_MSIP (1ULL << RV_IRQ_MSI)
#define MIP_STIP (1ULL << RV_IRQ_STI)
#define MIP_MTIP (1ULL << RV_IRQ_MTI)
#define MIP_SEIP (1ULL << RV_IRQ_SEI)
#define MIP_MEIP (1ULL << RV_IRQ_MEI)
#define MIP_S_MASK (MIP_SSIP | MIP_STIP | MIP_SEIP)
#define MIP_M_MASK (MIP_MSIP | MIP_MTIP | MIP_MEIP)

/* exception causes */
enum {
    EXC_INSN_MISALIGNED = 0, EXC_INSN_ACCESS = 1, EXC_ILLEGAL = 2,
    EXC_BREAKPOINT = 3, EXC_LOAD_MISALIGNED = 4, EXC_LOAD_ACCESS = 5,
    EXC_STORE_MISALIGNED = 6, EXC_STORE_ACCESS = 7, EXC_ECALL_U = 8,
    EXC_ECALL_S = 9, EXC_ECALL_M = 11, EXC_INSN_PAGE = 12,
    EXC_LOAD_PAGE = 13, EXC_STORE_PAGE = 15,
};
#define CAUSE_INTERRUPT (1ULL << 63)

/* ---- software TLB ----
 * Direct-mapped, one table per access type and per translation context, so
 * that a hit is one compare and one add: host = vaddr + addend.  Only RAM
 * pages are entered; MMIO always takes the slow path.  The tag is the page
 * address; loads/stores compare it with (vaddr & (PAGE_MASK | size-1)) so
 * that a misaligned access misses too. */
#define PAGE_SHIFT 12
#define PAGE_SIZE  (1ULL << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))
#define TLB_BITS   8
#define TLB_SIZE   (1u << TLB_BITS)
#define TLB_INVALID (~0ULL)
#define SUPERPAGE_SLOTS 512

struct tlb_entry {
    uint64_t  tag;       /* virtual page address, or TLB_INVALID */
    uintptr_t addend;    /* host address - virtual address */
};

enum { ACC_R, ACC_W, ACC_X, ACC_COUNT };
/* translation contexts: the effective privilege, and for S whether SUM is set */
enum { CTX_U, CTX_S, CTX_S_SUM, CTX_M, CTX_COUNT };

/* ---- decoded-block cache ----
 * A block is a run of decoded instructions within one guest page, ending at
 * the first control transfer or system instruction.  Blocks are keyed by
 * guest-physical address and live in an arena that is emptied in one go on
 * fence.i (bumping `gen` invalidates the whole hash table). */
struct xinsn {              /* decoded instruction, as the interpreter wants it */
    const void *h;          /* its handler in the interpreter (exec.c) */
    uint16_t op;            /* enum rv_op, or an interpreter pseudo-op (exec.c) */
    uint8_t  rd;            /* 32 = discard (x0) for integer destinations */
    uint8_t  rs1, rs2;
    uint8_t  rs3rm;         /* rs3 | rm << 5 */
    uint16_t pcoff;         /* offset from the block's first instruction */
    int32_t  imm;           /* for branches/jal: target offset from block start */
    uint32_t raw;           /* encoding, for illegal-instruction mtval */
};

struct block {
    uint64_t pa;                /* guest-physical address of the first insn */
    struct block *next[2];      /* chained successors: [0] taken/jump
                                 * target, [1] fall-through */
    uint32_t xgen[2];           /* a successor in another page is valid
                                 * while rt->xlat_gen and the privilege */
    uint8_t  xpriv[2];          /* are what they were when it was linked */
    uint8_t  chain_ok[2];       /* exit k stays within the page: always valid */
    uint16_t n;                 /* instructions */
    uint16_t bytes;             /* guest code bytes covered */
    /* the last target of the jalr ending the block, valid like a link to
     * another page */
    uint8_t  jalr_priv;
    uint32_t jalr_gen;
    uint64_t jalr_va;
    struct block *jalr_b;
    struct xinsn ins[];
};

struct bhash_slot {
    uint64_t pa;
    uint32_t gen;
    struct block *b;
};

#define BHASH_BITS   14
#define BLOCK_MAX_INSNS 64
#define ARENA_SIZE   (8u << 20)

/* events other threads post to a running hart (rt->events) */
enum {
    EV_EXIT  = 1u << 0,     /* rv_cpu_request_exit */
    EV_IRQ   = 1u << 1,     /* an interrupt line or a timer compare changed */
    EV_FENCE = 1u << 2,     /* remote sfence.vma / fence.i pending */
    EV_HSM   = 1u << 3,     /* hart start request */
};

/* how a hart uses its host thread, for remote fences and wakeups */
enum { EXEC_OUTSIDE, EXEC_RUNNING, EXEC_SLEEPING, EXEC_MONITOR };

struct pmp_range { uint64_t lo, hi; uint8_t cfg; };

struct rv_cpu_rt {
    const struct rv_accel *accel;   /* execution engine (accel.h) */

    /* active PMP entries, decoded (pmp.c) */
    struct pmp_range pmp[16];
    unsigned npmp;

    /* current TLBs (set by rv_mmu_update_ctx) */
    struct tlb_entry *dtlb_r, *dtlb_w, *itlb;
    unsigned data_ctx, fetch_ctx;

    /* exception raised by a helper: the interpreter traps with these */
    uint64_t exc_cause, exc_tval;
    bool     recheck;            /* this hart changed something that may let
                                  * an interrupt be taken: check at next block */

    /* block cache */
    uint32_t gen;
    uint32_t xlat_gen;           /* bumped by every TLB flush: links between
                                  * blocks in different pages expire */
    uint8_t *arena;
    size_t   arena_used;
    struct bhash_slot bhash[1u << BHASH_BITS];
    struct block *scratch;       /* uncached block (page-crossing insn, MMIO) */

    /* thread interface: events/lines are atomics, the rest under lock */
    uint32_t events;             /* EV_* */
    uint64_t lines;              /* MEIP/SEIP/MSIP levels from devices */
    uint64_t timer_ip;           /* MTIP/STIP from the timer compares */
    pthread_mutex_t lock;
    pthread_cond_t  cond;        /* the hart waits here (WFI, stopped) */
    pthread_cond_t  ack;         /* fence requesters wait here */
    int      exec;               /* EXEC_* */
    unsigned fence_req;          /* 1 = flush TLB, 2 = flush decoded code */
    uint64_t fence_seq, fence_done;
    bool     start_req;
    uint64_t start_pc, start_opaque;
    bool     suspend_resume;     /* non-retentive suspend pending */

    /* superpages with pages in the TLB (base | level), see mmu.c */
    uint64_t superpages[SUPERPAGE_SLOTS];
    bool     superpage_overflow;

    void *trace;                 /* FILE * for RV_TRACE builds */

    struct tlb_entry tlb[CTX_COUNT][ACC_COUNT][TLB_SIZE];
};

/* ---- mmu.c ---- */
void rv_mmu_update_ctx(struct rv_cpu *cpu);       /* after priv/MPRV/SUM change */
void rv_tlb_flush(struct rv_cpu *cpu);
void rv_tlb_flush_page(struct rv_cpu *cpu, uint64_t vaddr);
/* Slow paths of loads/stores: misaligned, TLB miss, MMIO.  On failure they
 * set rt->exc_cause/exc_tval and return false. */
bool rv_load_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t *val);
bool rv_store_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t val);
/* Host pointer for an atomic access of `size` bytes at va (RAM only; also
 * checks write permission and alignment). */
void *rv_amo_ptr(struct rv_cpu *cpu, uint64_t va, unsigned size, bool is_lr);
/* Instruction fetch: translate pc; on success *pa is the guest-physical
 * address, *host the host pointer (NULL if not RAM) and *cacheable says
 * the whole page may be decoded into blocks (RAM, one PMP verdict). */
bool rv_fetch_translate(struct rv_cpu *cpu, uint64_t va, uint64_t *pa, uint8_t **host,
                        bool *cacheable);
/* Fetch 16 bits of instruction at va through the MMU (slow path). */
bool rv_fetch16(struct rv_cpu *cpu, uint64_t va, uint32_t *val);

/* ---- pmp.c ---- */
void rv_pmp_update(struct rv_cpu *cpu);
bool rv_pmp_allows(const struct rv_cpu *cpu, uint64_t pa, uint64_t size,
                   unsigned acc, unsigned priv);

/* ---- csr.c ---- */
/* Read-modify-write of a CSR as a csrr* instruction does.  `write` says
 * whether the instruction writes.  Returns false (exception set) on an
 * illegal access. */
bool rv_csr_access(struct rv_cpu *cpu, unsigned csr, uint64_t *val,
                   uint64_t wval, int mode, bool write);
enum { CSR_OP_RW, CSR_OP_RS, CSR_OP_RC };
uint64_t rv_mstatus_read(const struct rv_cpu *cpu);
uint64_t rv_mip_read(const struct rv_cpu *cpu);

/* ---- trap.c ---- */
static inline void rv_recheck_irqs(struct rv_cpu *cpu)
{
    cpu->rt->recheck = true;
}
void rv_raise(struct rv_cpu *cpu, uint64_t cause, uint64_t tval);
/* Enter the trap handler for the exception in rt->exc_* at pc. */
void rv_take_exception(struct rv_cpu *cpu, uint64_t pc);
/* Take the highest-priority pending enabled interrupt, if any. */
bool rv_check_interrupts(struct rv_cpu *cpu);
uint64_t rv_pending_enabled(const struct rv_cpu *cpu);  /* mip & mie */
void rv_mret(struct rv_cpu *cpu);
void rv_sret(struct rv_cpu *cpu);

/* ---- cpu.c ---- */
void rv_update_timers(struct rv_cpu *cpu, uint64_t now);
void rv_wfi(struct rv_cpu *cpu);
void rv_service_fences(struct rv_cpu *cpu);
void rv_set_priv(struct rv_cpu *cpu, unsigned priv);

/* ---- exec.c (the interpreter, rv_accel_interp) ---- */
void rv_flush_blocks(struct rv_cpu *cpu);

#endif
