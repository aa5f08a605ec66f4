/*
 * exec.c — the interpreter: decoded-block cache and the dispatch loop.
 *
 * Guest code is decoded once into blocks (hart.h) keyed by physical
 * address, then run by a computed-goto loop: one indirect jump per
 * instruction, registers in an array, loads and stores inlined down to a
 * TLB compare and a host access.  Per block, not per instruction: the
 * check for events from other threads and the instret update.  A block's
 * exits that stay in its page are chained directly to the next block, so
 * loops do not even look up the hash table.  Adjacent common instructions
 * are fused into pair handlers when a block is built, halving the
 * dispatches in typical integer code.
 */
#include <stdbool.h>
#include <string.h>
#include "cpu/hart.h"
#include "cpu/fpu.h"

#define XI_RS3(i) ((i)->rs3rm & 31)
#define XI_RM(i)  ((i)->rs3rm >> 5)

/* Pairs of adjacent common instructions run as one handler (one dispatch
 * instead of two).  None of these ops reads the pc or ends a block; a
 * load or store that traps does so with `i` at itself, so a pair behaves
 * exactly like its two instructions in order. */
#define FUSABLE_ALU(X) X(ADDIW) X(XOR) X(ADD) X(OR) X(SRLIW) X(SLLIW) X(ADDW) X(ADDI) \
                   X(SLLI) X(SRLI) X(AND) X(ANDI) X(XORI) X(SUB) X(SUBW) X(MUL) \
                   X(MV) X(SEXTW)
#define FUSABLE(X) FUSABLE_ALU(X) X(LW) X(LD) X(LBU) X(SW) X(SD)
#define FUSABLE_WITH(X, A) X(A, ADDIW) X(A, XOR) X(A, ADD) X(A, OR) X(A, SRLIW) \
                   X(A, SLLIW) X(A, ADDW) X(A, ADDI) X(A, SLLI) X(A, SRLI) X(A, AND) \
                   X(A, ANDI) X(A, XORI) X(A, SUB) X(A, SUBW) X(A, MUL) \
                   X(A, MV) X(A, SEXTW) X(A, LW) X(A, LD) X(A, LBU) X(A, SW) X(A, SD)

/* A fusable instruction followed by the control transfer ending the block:
 * the pair handler runs the first and jumps straight (not through the
 * dispatch table) into the second's handler. */
#define FUSABLE_EXIT(X, A) X(A, BEQ) X(A, BNE) X(A, BLT) X(A, BGE) X(A, BLTU) X(A, BGEU) \
                           X(A, JAL) X(A, JALR)
#define EXIT_OPS(X) X(BEQ) X(BNE) X(BLT) X(BGE) X(BLTU) X(BGEU) X(JAL) X(JALR)

/* Every family of fused handlers exists twice: plain, and reading the
 * first instruction's rs1 from `acc`, the value the previous handler left
 * in a host register (see fuse_pairs). */
#define PAIR_FAMILIES(P) \
    FUSABLE(P##_ROW) \
    FUSABLE(P##_EXIT_ROW) \
    FUSABLE_ALU(P##_DEP_ROW)

/* Interpreter pseudo-ops below the fused ones.  Register copies are so
 * common (c.mv, mv, sext.w: a sixth of SHA-256's instructions) that they
 * get handlers that read one register and no immediate. */
enum {
    XOP_END = RV_OP_COUNT,      /* closes a block that falls through */
    XOP_MV,                     /* rd = rs1: add rd, x0, rs / addi rd, rs, 0 */
    XOP_SEXTW,                  /* rd = sext32(rs1): addiw rd, rs, 0 */
    XOP_SIMPLE_COUNT
};
#define RV_OP_MV XOP_MV         /* so that the FUSABLE lists can name them */
#define RV_OP_SEXTW XOP_SEXTW

enum {
    XOP_FUSED_FIRST_ = XOP_SIMPLE_COUNT - 1,
#define PAIR_ENUM(A, B) XOP_P_##A##_##B,
#define PAIR_DEP_ENUM(A, B) XOP_PD_##A##_##B,
#define PE_ROW(A) FUSABLE_WITH(PAIR_ENUM, A)
#define PE_EXIT_ROW(A) FUSABLE_EXIT(PAIR_ENUM, A)
#define PE_DEP_ROW(A) FUSABLE_WITH(PAIR_DEP_ENUM, A)
    PAIR_FAMILIES(PE)
#define ACC_ENUM(A) XOP_A_##A,
    FUSABLE(ACC_ENUM)
#define APAIR_ENUM(A, B) XOP_AP_##A##_##B,
#define APAIR_DEP_ENUM(A, B) XOP_APD_##A##_##B,
#define APE_ROW(A) FUSABLE_WITH(APAIR_ENUM, A)
#define APE_EXIT_ROW(A) FUSABLE_EXIT(APAIR_ENUM, A)
#define APE_DEP_ROW(A) FUSABLE_WITH(APAIR_DEP_ENUM, A)
    PAIR_FAMILIES(APE)
    XOP_COUNT
};
#define XOP_PAIR_BASE XOP_SIMPLE_COUNT
#define XOP_PAIR_EXIT_BASE (XOP_PAIR_BASE + FI_COUNT * FI_COUNT)
#define XOP_PAIR_DEP_BASE (XOP_PAIR_EXIT_BASE + FI_COUNT * FE_COUNT)
#define XOP_ACC_BASE (XOP_PAIR_DEP_BASE + FA_COUNT * FI_COUNT)
#define XOP_ACC_SHIFT (XOP_ACC_BASE + FI_COUNT - XOP_PAIR_BASE) /* pair -> its acc form */

enum {
#define FI_ENUM(A) FI_##A,
    FUSABLE(FI_ENUM)
#undef FI_ENUM
    FI_COUNT
};

/* fusable index + 1 of each op, 0 = not fusable */
static const uint8_t fusable_index[XOP_SIMPLE_COUNT] = {
#define FUS_INDEX(A) [RV_OP_##A] = FI_##A + 1,
    FUSABLE(FUS_INDEX)
#undef FUS_INDEX
};

enum {
#define FA_ENUM(A) FA_##A,
    FUSABLE_ALU(FA_ENUM)
#undef FA_ENUM
    FA_COUNT                    /* the ALU ops come first in FUSABLE */
};

/* ops whose two register operands may be swapped */
static const bool commutative[XOP_SIMPLE_COUNT] = {
    [RV_OP_ADD] = true, [RV_OP_XOR] = true, [RV_OP_OR] = true, [RV_OP_AND] = true,
    [RV_OP_ADDW] = true, [RV_OP_MUL] = true,
};

enum {
#define FE_ENUM(A) FE_##A,
    EXIT_OPS(FE_ENUM)
#undef FE_ENUM
    FE_COUNT
};

/* index + 1 of each block-ending op that pairs with a fusable one */
static const uint8_t exit_index[XOP_SIMPLE_COUNT] = {
#define EXIT_INDEX(A) [RV_OP_##A] = FE_##A + 1,
    EXIT_OPS(EXIT_INDEX)
#undef EXIT_INDEX
};
#define BUDGET 1024             /* blocks between looks at the clock */

#ifdef RV_TRACE                 /* debugging: one instruction per block, pcs logged */
#include <stdio.h>
#define RV_TRACE_SINGLE 1
#else
#define RV_TRACE_SINGLE 0
#endif

void rv_flush_blocks(struct rv_cpu *cpu)
{
    cpu->rt->gen++;
    cpu->rt->arena_used = 0;
}

static inline uint32_t load16(const uint8_t *p)
{
    return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
}

/* Fill one interpreter instruction from a decoded one at offset `off`. */
static void xinsn_from(struct xinsn *x, const struct rv_insn *d, unsigned off)
{
    unsigned f = rv_op_flags(d->op);
    x->op = d->op;
    x->rd = d->rd;
    if ((f & RV_F_RD_X) && d->rd == 0)
        x->rd = 32;                         /* writes to x0 go to the sink */
    x->rs1 = d->rs1;
    x->rs2 = d->rs2;
    x->rs3rm = (uint8_t)(d->rs3 | d->rm << 5);
    x->pcoff = (uint16_t)off;
    x->imm = d->imm;
    if (f & RV_F_BRANCH || d->op == RV_OP_JAL)
        x->imm = (int32_t)off + d->imm;     /* target relative to the block */
    x->raw = d->raw;
}

static void close_block(struct block *b, unsigned n, unsigned off, uint64_t pa)
{
    unsigned page_off = (unsigned)(pa & (PAGE_SIZE - 1));
    b->n = (uint16_t)n;
    b->bytes = (uint16_t)off;
    b->next[0] = b->next[1] = NULL;
    b->chain_ok[0] = b->chain_ok[1] = 0;
    b->jalr_b = NULL;
    const struct xinsn *last = &b->ins[n - 1];
    unsigned f = rv_op_flags(last->op);
    bool ends_in_flow = f & (RV_F_BRANCH | RV_F_JUMP | RV_F_SYSTEM);
    if (!ends_in_flow) {
        /* fell off the size limit or the page end: add an explicit exit */
        struct xinsn *e = &b->ins[n];
        memset(e, 0, sizeof *e);
        e->op = XOP_END;
        e->pcoff = (uint16_t)off;
        b->chain_ok[1] = page_off + off < PAGE_SIZE;
        return;
    }
    if (f & RV_F_BRANCH) {
        int64_t t = (int64_t)page_off + last->imm;
        b->chain_ok[0] = t >= 0 && t < (int64_t)PAGE_SIZE;
        b->chain_ok[1] = page_off + off < PAGE_SIZE;
    } else if (last->op == RV_OP_JAL) {
        int64_t t = (int64_t)page_off + last->imm;
        b->chain_ok[0] = t >= 0 && t < (int64_t)PAGE_SIZE;
    }
}

/* Turn adjacent fusable instructions into pairs.  The second one stays in
 * place (the pair handler reads it and skips it).
 *
 * Every fused handler and fusable op also leaves the value it wrote last in
 * `acc`, a host register.  `last` tracks, along the block, which guest
 * register acc mirrors; an instruction whose first operand is that register
 * gets the acc form of its handler and reads it from there: one load less
 * and no wait for the store of the previous handler to forward. */
static void fuse_pairs(struct block *b)
{
    for (unsigned k = 0; k < b->n; k++) {
        struct xinsn *x = &b->ins[k];
        if ((x->op == RV_OP_ADD && (x->rs1 == 0 || x->rs2 == 0)) ||
            ((x->op == RV_OP_ADDI || x->op == RV_OP_ADDIW) && x->imm == 0)) {
            if (x->op == RV_OP_ADD && x->rs1 == 0)
                x->rs1 = x->rs2;
            x->op = x->op == RV_OP_ADDIW ? XOP_SEXTW : XOP_MV;
        }
    }
    int last = -1;                          /* guest register held in acc */
    for (unsigned k = 0; k < b->n; k++) {
        struct xinsn *x = &b->ins[k];
        unsigned a = fusable_index[x->op];
        if (RV_TRACE_SINGLE || !a) {
            last = -1;                      /* may write any register */
            continue;
        }
        bool alu = a - 1 < FA_COUNT;
        if (alu && last > 0 && x->rs1 != last && x->rs2 == last && commutative[x->op]) {
            uint8_t t = x->rs1;
            x->rs1 = x->rs2;
            x->rs2 = t;
        }
        bool from_acc = last > 0 && x->rs1 == last;
        struct xinsn *y = k + 1 < b->n ? &b->ins[k + 1] : NULL;
        unsigned c = y ? fusable_index[y->op] : 0;
        unsigned e = y ? exit_index[y->op] : 0;
        unsigned op, xop = x->op;
        if (c) {
            if (alu && y->rs1 != x->rd && y->rs2 == x->rd && commutative[y->op]) {
                uint8_t t = y->rs1;         /* so that rs1 is the one forwarded */
                y->rs1 = y->rs2;
                y->rs2 = t;
            }
            if (alu && y->rs1 == x->rd)
                op = XOP_PAIR_DEP_BASE + (a - 1) * FI_COUNT + (c - 1);
            else
                op = XOP_PAIR_BASE + (a - 1) * FI_COUNT + (c - 1);
            if (from_acc)
                op += XOP_ACC_SHIFT;
        } else if (e) {
            op = XOP_PAIR_EXIT_BASE + (a - 1) * FE_COUNT + (e - 1);
            if (from_acc)
                op += XOP_ACC_SHIFT;
        } else {
            op = from_acc ? XOP_ACC_BASE + (a - 1) : x->op;
        }
        x->op = (uint16_t)op;
        /* a store leaves acc alone; every other fusable op sets it */
        if (!(rv_op_flags(xop) & RV_F_STORE))
            last = x->rd == 32 ? -1 : x->rd;
        if (c) {
            if (!(rv_op_flags(y->op) & RV_F_STORE))
                last = y->rd == 32 ? -1 : y->rd;
            k++;
        } else if (e) {
            k++;
        }
    }
}

/* Point every instruction of b (and its closing pseudo-op) at its handler. */
static void set_handlers(struct block *b, const void *const *labels)
{
    unsigned n = b->n;
    if (!(rv_op_flags(b->ins[n - 1].op) & (RV_F_BRANCH | RV_F_JUMP | RV_F_SYSTEM)))
        n++;                                /* the XOP_END close_block added */
    for (unsigned k = 0; k < n; k++)
        b->ins[k].h = labels[b->ins[k].op];
}

static struct block *build_single(struct rv_cpu *cpu, uint64_t pc, const void *const *labels)
{
    struct block *b = cpu->rt->scratch;
    uint32_t lo, hi = 0;
    if (!rv_fetch16(cpu, pc, &lo))
        return NULL;
    if ((lo & 3) == 3 && !rv_fetch16(cpu, pc + 2, &hi))
        return NULL;
    struct rv_insn d;
    rv_decode(lo | hi << 16, &d);
    xinsn_from(&b->ins[0], &d, 0);
    b->pa = ~0ULL;
    close_block(b, 1, d.len, 0);
    b->chain_ok[0] = b->chain_ok[1] = 0;
    set_handlers(b, labels);
    return b;
}

static struct block *build(struct rv_cpu *cpu, uint64_t pc, uint64_t pa, const uint8_t *host,
                           const void *const *labels)
{
    struct rv_cpu_rt *rt = cpu->rt;
    const size_t need = sizeof(struct block) + (BLOCK_MAX_INSNS + 1) * sizeof(struct xinsn);
    if (rt->arena_used + need > ARENA_SIZE)
        rv_flush_blocks(cpu);
    struct block *b = (struct block *)(rt->arena + rt->arena_used);
    unsigned left = (unsigned)(PAGE_SIZE - (pa & (PAGE_SIZE - 1)));
    unsigned off = 0, n = 0;

    for (;;) {
        uint32_t bits = load16(host + off);
        if ((bits & 3) == 3) {
            if (left - off < 4) {
                if (n == 0)
                    return build_single(cpu, pc, labels);
                break;                      /* leave it to its own block */
            }
            bits |= load16(host + off + 2) << 16;
        }
        struct rv_insn d;
        rv_decode(bits, &d);
        xinsn_from(&b->ins[n++], &d, off);
        off += d.len;
        if (rv_op_flags(d.op) & (RV_F_BRANCH | RV_F_JUMP | RV_F_SYSTEM))
            break;
        if (n == BLOCK_MAX_INSNS || off >= left || RV_TRACE_SINGLE)
            break;
    }
    close_block(b, n, off, pa);
    fuse_pairs(b);
    set_handlers(b, labels);
    b->pa = pa;
    rt->arena_used += (sizeof(struct block) + (n + 1) * sizeof(struct xinsn) + 15) & ~(size_t)15;

    struct bhash_slot *s = &rt->bhash[(pa >> 1) & ((1u << BHASH_BITS) - 1)];
    s->pa = pa;
    s->gen = rt->gen;
    s->b = b;
    return b;
}

/* The block at pc, or NULL with an exception raised (fetch fault). */
static inline struct block *find_block(struct rv_cpu *cpu, uint64_t pc,
                                       const void *const *labels)
{
    struct rv_cpu_rt *rt = cpu->rt;
    const struct tlb_entry *e = &rt->itlb[(pc >> PAGE_SHIFT) & (TLB_SIZE - 1)];
    const uint8_t *host;
    uint64_t pa;
    if (likely(e->tag == (pc & PAGE_MASK))) {
        host = (const uint8_t *)(uintptr_t)(pc + e->addend);
        pa = (uint64_t)(host - cpu->bus->ram) + cpu->bus->ram_base;
    } else {
        uint8_t *h;
        bool cacheable;
        if (!rv_fetch_translate(cpu, pc, &pa, &h, &cacheable))
            return NULL;
        if (!cacheable)
            return build_single(cpu, pc, labels);   /* MMIO, or a page PMP splits */
        host = h;
    }
    const struct bhash_slot *s = &rt->bhash[(pa >> 1) & ((1u << BHASH_BITS) - 1)];
    if (likely(s->pa == pa && s->gen == rt->gen))
        return s->b;
    return build(cpu, pc, pa, host, labels);
}

/* ---- the interpreter ---- */

#define LD1(h) __atomic_load_n((const uint8_t *)(uintptr_t)(h), __ATOMIC_RELAXED)
#define LD2(h) __atomic_load_n((const uint16_t *)(uintptr_t)(h), __ATOMIC_RELAXED)
#define LD4(h) __atomic_load_n((const uint32_t *)(uintptr_t)(h), __ATOMIC_RELAXED)
#define LD8(h) __atomic_load_n((const uint64_t *)(uintptr_t)(h), __ATOMIC_RELAXED)
#define ST1(h, v) __atomic_store_n((uint8_t *)(uintptr_t)(h), (uint8_t)(v), __ATOMIC_RELAXED)
#define ST2(h, v) __atomic_store_n((uint16_t *)(uintptr_t)(h), (uint16_t)(v), __ATOMIC_RELAXED)
#define ST4(h, v) __atomic_store_n((uint32_t *)(uintptr_t)(h), (uint32_t)(v), __ATOMIC_RELAXED)
#define ST8(h, v) __atomic_store_n((uint64_t *)(uintptr_t)(h), (uint64_t)(v), __ATOMIC_RELAXED)

#define SX8(v)  ((uint64_t)(int64_t)(int8_t)(v))
#define SX16(v) ((uint64_t)(int64_t)(int16_t)(v))
#define SX32(v) ((uint64_t)(int64_t)(int32_t)(v))
#define ZX(v)   ((uint64_t)(v))

#define RD  x[i->rd]
#define RS1 x[i->rs1]
#define RS2 x[i->rs2]
#define IMM ((uint64_t)(int64_t)i->imm)
#define F   cpu->f

#define NEXT do { i++; goto *i->h; } while (0)

/* Leave the block by exit K (pc set): straight into the chained successor
 * if there is one, else via a lookup.  Events from other threads are seen
 * at lookups and at least every BUDGET blocks (a few microseconds).
 * Expanded in every exit so that each has its own indirect jump. */
#define EXIT_BLOCK(K) do {                                                    \
        struct block *nb_ = b->next[K];                                        \
        if (likely(nb_ != NULL) &&                                             \
            (likely(b->chain_ok[K]) ||                                         \
             (b->xgen[K] == rt->xlat_gen && b->xpriv[K] == cpu->priv)) &&      \
            likely(--budget > 0)) {                                            \
            b = nb_;                                                           \
            bpc = pc;                                                          \
            icount += b->n;                                                    \
            i = b->ins;                                                        \
            goto *i->h;                                               \
        }                                                                      \
        k = K;                                                                 \
        goto block_exit;                                                       \
    } while (0)

/* load: TLB hit -> host access; otherwise the slow path */
#define LOAD_AT(dst, SZ, CONV, base) do {                                     \
        uint64_t va_ = (base) + IMM, v_;                                       \
        const struct tlb_entry *e_ = &dtlb_r[(va_ >> PAGE_SHIFT) & (TLB_SIZE - 1)]; \
        if (likely(e_->tag == (va_ & (PAGE_MASK | (SZ - 1))))) {                \
            v_ = LD##SZ(va_ + e_->addend);                                     \
        } else {                /* own temporary: keeps v_ in a register */   \
            uint64_t s_;                                                       \
            if (unlikely(!rv_load_slow(cpu, va_, SZ, &s_)))                    \
                goto exception;                                                \
            v_ = s_;                                                           \
        }                                                                      \
        dst = CONV(v_);                                                        \
    } while (0)
#define LOAD_INTO(dst, SZ, CONV) LOAD_AT(dst, SZ, CONV, RS1)

#define STORE_AT(SZ, val, base) do {                                          \
        uint64_t va_ = (base) + IMM, v_ = (val);                               \
        const struct tlb_entry *e_ = &dtlb_w[(va_ >> PAGE_SHIFT) & (TLB_SIZE - 1)]; \
        if (likely(e_->tag == (va_ & (PAGE_MASK | (SZ - 1)))))                  \
            ST##SZ(va_ + e_->addend, v_);                                      \
        else if (unlikely(!rv_store_slow(cpu, va_, SZ, v_)))                   \
            goto exception;                                                    \
    } while (0)
#define STORE(SZ, val) STORE_AT(SZ, val, RS1)

#define FP_ON()  do { if (unlikely(!(cpu->mstatus & MSTATUS_FS))) goto illegal; } while (0)
#define FP_RM()  int rm = XI_RM(i) == RV_RM_DYN ? (int)cpu->frm : XI_RM(i);   \
                 if (unlikely(rm > FPU_RMM)) goto illegal
#define DIRTY()  (cpu->mstatus |= MSTATUS_FS_DIRTY)
/* ops writing only x registers dirty the FP state only if flags changed */
#define FLAGS_BEGIN unsigned fl0_ = cpu->fflags
#define FLAGS_END   do { if (cpu->fflags != fl0_) DIRTY(); } while (0)

#define US(r) fpu_unbox_s(F[r])     /* single operand */
#define BS(v) fpu_box_s(v)

#define AMO_W(OP) do {                                                        \
        uint32_t *p_ = rv_amo_ptr(cpu, RS1, 4, false);                         \
        if (!p_) goto exception;                                               \
        uint32_t old_ = __atomic_##OP(p_, (uint32_t)RS2, __ATOMIC_SEQ_CST);    \
        RD = SX32(old_); NEXT;                                                 \
    } while (0)
#define AMO_D(OP) do {                                                        \
        uint64_t *p_ = rv_amo_ptr(cpu, RS1, 8, false);                         \
        if (!p_) goto exception;                                               \
        uint64_t old_ = __atomic_##OP(p_, RS2, __ATOMIC_SEQ_CST);              \
        RD = old_; NEXT;                                                       \
    } while (0)
/* min/max: compare-and-swap loop; T is the comparison type */
#define AMO_CAS(W, T, PICK) do {                                              \
        uint##W##_t *p_ = rv_amo_ptr(cpu, RS1, W / 8, false);                  \
        if (!p_) goto exception;                                               \
        uint##W##_t s_ = (uint##W##_t)RS2;                                     \
        uint##W##_t o_ = __atomic_load_n(p_, __ATOMIC_RELAXED), n_;            \
        do {                                                                   \
            n_ = ((T)s_ PICK (T)o_) ? s_ : o_;                                 \
        } while (!__atomic_compare_exchange_n(p_, &o_, n_, true,               \
                                              __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)); \
        RD = W == 32 ? SX32(o_) : (uint64_t)o_; NEXT;                          \
    } while (0)

/* value of each ALU op given its first operand, then every fusable op
     * as a statement with its first operand (register or forwarded) */
#define V_ADDIW(s1) SX32((s1) + IMM)
#define V_XOR(s1)   ((s1) ^ RS2)
#define V_ADD(s1)   ((s1) + RS2)
#define V_OR(s1)    ((s1) | RS2)
#define V_SRLIW(s1) SX32((uint32_t)(s1) >> i->imm)
#define V_SLLIW(s1) SX32((uint32_t)(s1) << i->imm)
#define V_ADDW(s1)  SX32((s1) + RS2)
#define V_ADDI(s1)  ((s1) + IMM)
#define V_SLLI(s1)  ((s1) << i->imm)
#define V_SRLI(s1)  ((s1) >> i->imm)
#define V_AND(s1)   ((s1) & RS2)
#define V_ANDI(s1)  ((s1) & IMM)
#define V_XORI(s1)  ((s1) ^ IMM)
#define V_SUB(s1)   ((s1) - RS2)
#define V_SUBW(s1)  SX32((s1) - RS2)
#define V_MUL(s1)   ((s1) * RS2)
#define V_MV(s1)    (s1)
#define V_SEXTW(s1) SX32(s1)
#define E_ADDIW(s1) RD = acc = V_ADDIW(s1)
#define E_XOR(s1) RD = acc = V_XOR(s1)
#define E_ADD(s1) RD = acc = V_ADD(s1)
#define E_OR(s1) RD = acc = V_OR(s1)
#define E_SRLIW(s1) RD = acc = V_SRLIW(s1)
#define E_SLLIW(s1) RD = acc = V_SLLIW(s1)
#define E_ADDW(s1) RD = acc = V_ADDW(s1)
#define E_ADDI(s1) RD = acc = V_ADDI(s1)
#define E_SLLI(s1) RD = acc = V_SLLI(s1)
#define E_SRLI(s1) RD = acc = V_SRLI(s1)
#define E_AND(s1) RD = acc = V_AND(s1)
#define E_ANDI(s1) RD = acc = V_ANDI(s1)
#define E_XORI(s1) RD = acc = V_XORI(s1)
#define E_SUB(s1) RD = acc = V_SUB(s1)
#define E_SUBW(s1) RD = acc = V_SUBW(s1)
#define E_MUL(s1) RD = acc = V_MUL(s1)
#define E_MV(s1) RD = acc = V_MV(s1)
#define E_SEXTW(s1) RD = acc = V_SEXTW(s1)
#define E_LW(s1)    LOAD_AT(acc, 4, SX32, s1); RD = acc
#define E_LD(s1)    LOAD_AT(acc, 8, ZX, s1); RD = acc
#define E_LBU(s1)   LOAD_AT(acc, 1, ZX, s1); RD = acc
#define E_SW(s1)    STORE_AT(4, RS2, s1)
#define E_SD(s1)    STORE_AT(8, RS2, s1)

static void interp_execute(struct rv_cpu *cpu)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
    static const void *const labels[XOP_COUNT] = {
        [0 ... XOP_COUNT - 1] = &&L_ILLEGAL,
#define RV_OP_LABEL(name, flags) [RV_OP_##name] = &&L_##name,
        RV_OPS(RV_OP_LABEL)
#undef RV_OP_LABEL
        [XOP_END] = &&L_END,
        [XOP_MV] = &&L_MV,
        [XOP_SEXTW] = &&L_SEXTW,
#define PAIR_LABEL(A, B) [XOP_P_##A##_##B] = &&L_P_##A##_##B,
#define PAIR_DEP_LABEL(A, B) [XOP_PD_##A##_##B] = &&L_PD_##A##_##B,
#define PL_ROW(A) FUSABLE_WITH(PAIR_LABEL, A)
#define PL_EXIT_ROW(A) FUSABLE_EXIT(PAIR_LABEL, A)
#define PL_DEP_ROW(A) FUSABLE_WITH(PAIR_DEP_LABEL, A)
        PAIR_FAMILIES(PL)
#define ACC_LABEL(A) [XOP_A_##A] = &&L_A_##A,
        FUSABLE(ACC_LABEL)
#define APAIR_LABEL(A, B) [XOP_AP_##A##_##B] = &&L_AP_##A##_##B,
#define APAIR_DEP_LABEL(A, B) [XOP_APD_##A##_##B] = &&L_APD_##A##_##B,
#define APL_ROW(A) FUSABLE_WITH(APAIR_LABEL, A)
#define APL_EXIT_ROW(A) FUSABLE_EXIT(APAIR_LABEL, A)
#define APL_DEP_ROW(A) FUSABLE_WITH(APAIR_DEP_LABEL, A)
        PAIR_FAMILIES(APL)
    };
#pragma GCC diagnostic pop
    struct rv_cpu_rt *rt = cpu->rt;
    uint64_t *x = cpu->x;
    uint64_t pc = cpu->pc, bpc;
    const struct tlb_entry *dtlb_r, *dtlb_w;
    struct block *b, *prev = NULL;
    const struct xinsn *i;
    int budget = BUDGET, k = 0, prev_k = 0;
    uint64_t icount = cpu->instret;     /* instret, in a register */
    uint64_t acc = 0;                   /* see fuse_pairs */

lookup:
    if (unlikely(__atomic_load_n(&rt->events, __ATOMIC_RELAXED) || --budget <= 0)) {
        cpu->pc = pc;
        cpu->instret = icount;
        return;
    }
    if (unlikely(rt->recheck)) {        /* cheap: no need to leave for this */
        rt->recheck = false;
        cpu->pc = pc;
        if (rv_check_interrupts(cpu)) {
            pc = cpu->pc;
            prev = NULL;
        }
    }
    dtlb_r = rt->dtlb_r;
    dtlb_w = rt->dtlb_w;
    {
        uint32_t gen = rt->gen;
        struct block *nb = find_block(cpu, pc, labels);
        if (unlikely(!nb)) {
            rv_take_exception(cpu, pc);
            pc = cpu->pc;
            prev = NULL;
            goto lookup;
        }
        /* link the previous block's exit to this one, unless the arena was
         * recycled meanwhile or this is the (reused) uncached block */
        if (prev && rt->gen == gen && nb != rt->scratch) {
            if (prev_k == 2) {
                prev->jalr_va = pc;
                prev->jalr_b = nb;
                prev->jalr_gen = rt->xlat_gen;
                prev->jalr_priv = (uint8_t)cpu->priv;
            } else {
                prev->next[prev_k] = nb;
                prev->xgen[prev_k] = rt->xlat_gen;
                prev->xpriv[prev_k] = (uint8_t)cpu->priv;
            }
        }
        b = nb;
    }
    /* enter block b at pc */
#ifdef RV_TRACE
    if (rt->trace)
        fprintf((FILE *)rt->trace, "%llx\n", (unsigned long long)pc);
#endif
    bpc = pc;
    icount += b->n;
    i = b->ins;
    goto *i->h;

block_exit:             /* pc and k (which exit) are set; not chained yet */
    prev = b != rt->scratch && !RV_TRACE_SINGLE ? b : NULL;
    prev_k = k;
    goto lookup;

sys_next:               /* after a system instruction: full lookup */
    pc = bpc + b->bytes;
    prev = NULL;
    goto lookup;

illegal:
L_ILLEGAL:
    rv_raise(cpu, EXC_ILLEGAL, i->raw);
exception:
    icount -= (uint64_t)(b->n - (i - b->ins));
    cpu->instret = icount;
    rv_take_exception(cpu, bpc + i->pcoff);
    pc = cpu->pc;
    prev = NULL;
    goto lookup;

L_END:
    pc = bpc + i->pcoff;
    EXIT_BLOCK(1);

    /* ---- RV64I ---- */
L_LUI:   RD = IMM; NEXT;
L_AUIPC: RD = bpc + i->pcoff + IMM; NEXT;
L_JAL:
    RD = bpc + b->bytes;
    pc = bpc + IMM;
    EXIT_BLOCK(0);
L_JALR: {
    uint64_t t = (RS1 + IMM) & ~1ULL;
    RD = bpc + b->bytes;
    pc = t;
    struct block *nb = b->jalr_b;       /* predicted: the last target */
    if (nb && b->jalr_va == t && b->jalr_gen == rt->xlat_gen &&
        b->jalr_priv == cpu->priv && likely(--budget > 0)) {
        b = nb;
        bpc = pc;
        icount += b->n;
        i = b->ins;
        goto *i->h;
    }
    k = 2;
    goto block_exit;
}
#define BRANCH(cond) do {                                                     \
        if (cond) { pc = bpc + IMM; EXIT_BLOCK(0); }                           \
        else { pc = bpc + b->bytes; EXIT_BLOCK(1); }                           \
    } while (0)
L_BEQ:  BRANCH(RS1 == RS2);
L_BNE:  BRANCH(RS1 != RS2);
L_BLT:  BRANCH((int64_t)RS1 < (int64_t)RS2);
L_BGE:  BRANCH((int64_t)RS1 >= (int64_t)RS2);
L_BLTU: BRANCH(RS1 < RS2);
L_BGEU: BRANCH(RS1 >= RS2);

L_LB:  LOAD_INTO(RD, 1, SX8); NEXT;
L_LH:  LOAD_INTO(RD, 2, SX16); NEXT;
L_LHU: LOAD_INTO(RD, 2, ZX); NEXT;
L_LWU: LOAD_INTO(RD, 4, ZX); NEXT;
L_SB:  STORE(1, RS2); NEXT;
L_SH:  STORE(2, RS2); NEXT;

L_SLTI:  RD = (int64_t)RS1 < (int64_t)IMM; NEXT;
L_SLTIU: RD = RS1 < IMM; NEXT;
L_ORI:   RD = RS1 | IMM; NEXT;
L_SRAI:  RD = (uint64_t)((int64_t)RS1 >> i->imm); NEXT;
L_SLL:   RD = RS1 << (RS2 & 63); NEXT;
L_SLT:   RD = (int64_t)RS1 < (int64_t)RS2; NEXT;
L_SLTU:  RD = RS1 < RS2; NEXT;
L_SRL:   RD = RS1 >> (RS2 & 63); NEXT;
L_SRA:   RD = (uint64_t)((int64_t)RS1 >> (RS2 & 63)); NEXT;
L_SRAIW: RD = SX32((int32_t)RS1 >> i->imm); NEXT;
L_SLLW:  RD = SX32((uint32_t)RS1 << (RS2 & 31)); NEXT;
L_SRLW:  RD = SX32((uint32_t)RS1 >> (RS2 & 31)); NEXT;
L_SRAW:  RD = SX32((int32_t)RS1 >> (RS2 & 31)); NEXT;

L_FENCE:
    /* x86 keeps every order RVWMO needs except store->load: a fence whose
     * predecessor set has writes (W/O) and successor set reads (R/I) */
    if ((i->imm & 0x50) && (i->imm & 0x0a))
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    NEXT;
L_FENCE_I:
    pc = bpc + b->bytes;
    rv_flush_blocks(cpu);
    prev = NULL;
    goto lookup;
L_ECALL:
    rv_raise(cpu, EXC_ECALL_U + cpu->priv, 0);
    goto exception;
L_EBREAK:
    rv_raise(cpu, EXC_BREAKPOINT, bpc + i->pcoff);
    goto exception;

    /* ---- Zicsr ---- */
#define CSR(operand, op, write) do {                                          \
        uint64_t old_;                                                         \
        cpu->instret = icount;                                                 \
        if (!rv_csr_access(cpu, (unsigned)i->imm, &old_, operand, op, write))  \
            goto illegal;                                                      \
        icount = cpu->instret;          /* minstret may have been written */   \
        RD = old_;                                                             \
        goto sys_next;                                                         \
    } while (0)
L_CSRRW:  CSR(RS1, CSR_OP_RW, true);
L_CSRRS:  CSR(RS1, CSR_OP_RS, i->rs1 != 0);
L_CSRRC:  CSR(RS1, CSR_OP_RC, i->rs1 != 0);
L_CSRRWI: CSR(i->rs1, CSR_OP_RW, true);
L_CSRRSI: CSR(i->rs1, CSR_OP_RS, i->rs1 != 0);
L_CSRRCI: CSR(i->rs1, CSR_OP_RC, i->rs1 != 0);

    /* ---- privileged ---- */
L_MRET:
    if (cpu->priv != RV_PRV_M)
        goto illegal;
    rv_mret(cpu);
    pc = cpu->pc;
    prev = NULL;
    goto lookup;
L_SRET:
    if (cpu->priv == RV_PRV_U || (cpu->priv == RV_PRV_S && (cpu->mstatus & MSTATUS_TSR)))
        goto illegal;
    rv_sret(cpu);
    pc = cpu->pc;
    prev = NULL;
    goto lookup;
L_WFI:
    if (cpu->priv == RV_PRV_U || (cpu->priv == RV_PRV_S && (cpu->mstatus & MSTATUS_TW)))
        goto illegal;
    cpu->pc = bpc + b->bytes;
    cpu->instret = icount;
    cpu->wfi = true;
    return;
L_SFENCE_VMA:
    if (cpu->priv == RV_PRV_U || (cpu->priv == RV_PRV_S && (cpu->mstatus & MSTATUS_TVM)))
        goto illegal;
    if (i->rs1 == 0)
        rv_tlb_flush(cpu);
    else
        rv_tlb_flush_page(cpu, RS1);
    goto sys_next;

    /* ---- M ---- */
L_MULH:   RD = (uint64_t)(((__int128)(int64_t)RS1 * (__int128)(int64_t)RS2) >> 64); NEXT;
L_MULHSU: RD = (uint64_t)(((__int128)(int64_t)RS1 * (__int128)RS2) >> 64); NEXT;
L_MULHU:  RD = (uint64_t)(((unsigned __int128)RS1 * RS2) >> 64); NEXT;
L_DIV: {
    int64_t a = (int64_t)RS1, d = (int64_t)RS2;
    RD = d == 0 ? ~0ULL : (a == INT64_MIN && d == -1) ? (uint64_t)a : (uint64_t)(a / d);
    NEXT;
}
L_DIVU: RD = RS2 == 0 ? ~0ULL : RS1 / RS2; NEXT;
L_REM: {
    int64_t a = (int64_t)RS1, d = (int64_t)RS2;
    RD = d == 0 ? (uint64_t)a : (a == INT64_MIN && d == -1) ? 0 : (uint64_t)(a % d);
    NEXT;
}
L_REMU: RD = RS2 == 0 ? RS1 : RS1 % RS2; NEXT;
L_MULW: RD = SX32((uint32_t)RS1 * (uint32_t)RS2); NEXT;
L_DIVW: {
    int32_t a = (int32_t)RS1, d = (int32_t)RS2;
    RD = d == 0 ? ~0ULL : (a == INT32_MIN && d == -1) ? SX32(a) : SX32(a / d);
    NEXT;
}
L_DIVUW: {
    uint32_t a = (uint32_t)RS1, d = (uint32_t)RS2;
    RD = d == 0 ? ~0ULL : SX32(a / d);
    NEXT;
}
L_REMW: {
    int32_t a = (int32_t)RS1, d = (int32_t)RS2;
    RD = d == 0 ? SX32(a) : (a == INT32_MIN && d == -1) ? 0 : SX32(a % d);
    NEXT;
}
L_REMUW: {
    uint32_t a = (uint32_t)RS1, d = (uint32_t)RS2;
    RD = d == 0 ? SX32(a) : SX32(a % d);
    NEXT;
}

    /* ---- fused pairs ---- */
    /* single fusable ops, plain and taking rs1 from acc */
#define SINGLE_HANDLER(A) L_##A: E_##A(RS1); NEXT;
    FUSABLE(SINGLE_HANDLER)
#define ACC_HANDLER(A) L_A_##A: E_##A(acc); NEXT;
    FUSABLE(ACC_HANDLER)
#define PAIR_HANDLER(A, B, P, S1) \
L_##P##_##A##_##B: E_##A(S1); i++; E_##B(RS1); i++; goto *i->h;
    /* B reads A's result as its first operand: pass it in a register
     * instead of through the guest register file (store-to-load
     * forwarding would make the pair wait) */
#define PAIR_DEP_HANDLER(A, B, P, S1) \
L_##P##D_##A##_##B: { uint64_t dv_ = V_##A(S1); RD = acc = dv_; i++; E_##B(dv_); i++; \
                      goto *i->h; }
#define PAIR_EXIT_HANDLER(A, B, P, S1) L_##P##_##A##_##B: E_##A(S1); i++; goto L_##B;
#define PH(A, B) PAIR_HANDLER(A, B, P, RS1)
#define PH_DEP(A, B) PAIR_DEP_HANDLER(A, B, P, RS1)
#define PH_EXIT(A, B) PAIR_EXIT_HANDLER(A, B, P, RS1)
#define PH_ROW(A) FUSABLE_WITH(PH, A)
#define PH_EXIT_ROW(A) FUSABLE_EXIT(PH_EXIT, A)
#define PH_DEP_ROW(A) FUSABLE_WITH(PH_DEP, A)
    PAIR_FAMILIES(PH)
#define APH(A, B) PAIR_HANDLER(A, B, AP, acc)
#define APH_DEP(A, B) PAIR_DEP_HANDLER(A, B, AP, acc)
#define APH_EXIT(A, B) PAIR_EXIT_HANDLER(A, B, AP, acc)
#define APH_ROW(A) FUSABLE_WITH(APH, A)
#define APH_EXIT_ROW(A) FUSABLE_EXIT(APH_EXIT, A)
#define APH_DEP_ROW(A) FUSABLE_WITH(APH_DEP, A)
    PAIR_FAMILIES(APH)

    /* ---- A ---- */
L_LR_W: {
    uint32_t *p = rv_amo_ptr(cpu, RS1, 4, true);
    if (!p) goto exception;
    uint32_t v = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    cpu->resv_addr = RS1;
    cpu->resv_value = v;
    cpu->resv_valid = true;
    RD = SX32(v);
    NEXT;
}
L_LR_D: {
    uint64_t *p = rv_amo_ptr(cpu, RS1, 8, true);
    if (!p) goto exception;
    uint64_t v = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    cpu->resv_addr = RS1;
    cpu->resv_value = v;
    cpu->resv_valid = true;
    RD = v;
    NEXT;
}
L_SC_W: {
    uint64_t va = RS1, res = 1;
    if (va & 3) {
        rv_raise(cpu, EXC_STORE_MISALIGNED, va);
        goto exception;
    }
    if (cpu->resv_valid && cpu->resv_addr == va) {
        uint32_t *p = rv_amo_ptr(cpu, va, 4, false);
        if (!p) goto exception;
        uint32_t expect = (uint32_t)cpu->resv_value;
        if (__atomic_compare_exchange_n(p, &expect, (uint32_t)RS2, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            res = 0;
    }
    cpu->resv_valid = false;
    RD = res;
    NEXT;
}
L_SC_D: {
    uint64_t va = RS1, res = 1;
    if (va & 7) {
        rv_raise(cpu, EXC_STORE_MISALIGNED, va);
        goto exception;
    }
    if (cpu->resv_valid && cpu->resv_addr == va) {
        uint64_t *p = rv_amo_ptr(cpu, va, 8, false);
        if (!p) goto exception;
        uint64_t expect = cpu->resv_value;
        if (__atomic_compare_exchange_n(p, &expect, RS2, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            res = 0;
    }
    cpu->resv_valid = false;
    RD = res;
    NEXT;
}
L_AMOSWAP_W: AMO_W(exchange_n);
L_AMOADD_W:  AMO_W(fetch_add);
L_AMOXOR_W:  AMO_W(fetch_xor);
L_AMOAND_W:  AMO_W(fetch_and);
L_AMOOR_W:   AMO_W(fetch_or);
L_AMOMIN_W:  AMO_CAS(32, int32_t, <);
L_AMOMAX_W:  AMO_CAS(32, int32_t, >);
L_AMOMINU_W: AMO_CAS(32, uint32_t, <);
L_AMOMAXU_W: AMO_CAS(32, uint32_t, >);
L_AMOSWAP_D: AMO_D(exchange_n);
L_AMOADD_D:  AMO_D(fetch_add);
L_AMOXOR_D:  AMO_D(fetch_xor);
L_AMOAND_D:  AMO_D(fetch_and);
L_AMOOR_D:   AMO_D(fetch_or);
L_AMOMIN_D:  AMO_CAS(64, int64_t, <);
L_AMOMAX_D:  AMO_CAS(64, int64_t, >);
L_AMOMINU_D: AMO_CAS(64, uint64_t, <);
L_AMOMAXU_D: AMO_CAS(64, uint64_t, >);

    /* ---- F and D ---- */
L_FLW: FP_ON(); LOAD_INTO(F[i->rd], 4, BS); DIRTY(); NEXT;
L_FLD: FP_ON(); LOAD_INTO(F[i->rd], 8, ZX); DIRTY(); NEXT;
L_FSW: FP_ON(); STORE(4, (uint32_t)F[i->rs2]); NEXT;
L_FSD: FP_ON(); STORE(8, F[i->rs2]); NEXT;

#define FOP3(name, T, BOX, UN) \
L_##name: { FP_ON(); FP_RM(); \
    F[i->rd] = BOX(fpu_##T(UN(i->rs1), UN(i->rs2), UN(XI_RS3(i)), rm, &cpu->fflags)); \
    DIRTY(); NEXT; }
#define FOP2R(name, T, BOX, UN) \
L_##name: { FP_ON(); FP_RM(); \
    F[i->rd] = BOX(fpu_##T(UN(i->rs1), UN(i->rs2), rm, &cpu->fflags)); DIRTY(); NEXT; }
#define FOP2(name, T, BOX, UN) \
L_##name: { FP_ON(); F[i->rd] = BOX(fpu_##T(UN(i->rs1), UN(i->rs2), &cpu->fflags)); DIRTY(); NEXT; }
#define FSGN(name, T, BOX, UN) \
L_##name: { FP_ON(); F[i->rd] = BOX(fpu_##T(UN(i->rs1), UN(i->rs2))); DIRTY(); NEXT; }
#define FCMP(name, T, UN) \
L_##name: { FP_ON(); FLAGS_BEGIN; RD = (uint64_t)fpu_##T(UN(i->rs1), UN(i->rs2), &cpu->fflags); \
    FLAGS_END; NEXT; }
#define FTOI(name, T, UN) \
L_##name: { FP_ON(); FP_RM(); FLAGS_BEGIN; \
    RD = (uint64_t)fpu_##T(UN(i->rs1), rm, &cpu->fflags); FLAGS_END; NEXT; }
#define ITOF(name, T, BOX, ARG) \
L_##name: { FP_ON(); FP_RM(); F[i->rd] = BOX(fpu_##T(ARG, rm, &cpu->fflags)); DIRTY(); NEXT; }
#define UD(r) F[r]
#define ID(v) (v)

#define FP_SET(S, s, BOX, UN) \
    FOP3(FMADD_##S, madd_##s, BOX, UN) \
    FOP3(FMSUB_##S, msub_##s, BOX, UN) \
    FOP3(FNMSUB_##S, nmsub_##s, BOX, UN) \
    FOP3(FNMADD_##S, nmadd_##s, BOX, UN) \
    FOP2R(FADD_##S, add_##s, BOX, UN) \
    FOP2R(FSUB_##S, sub_##s, BOX, UN) \
    FOP2R(FMUL_##S, mul_##s, BOX, UN) \
    FOP2R(FDIV_##S, div_##s, BOX, UN) \
    FOP2(FMIN_##S, min_##s, BOX, UN) \
    FOP2(FMAX_##S, max_##s, BOX, UN) \
    FSGN(FSGNJ_##S, sgnj_##s, BOX, UN) \
    FSGN(FSGNJN_##S, sgnjn_##s, BOX, UN) \
    FSGN(FSGNJX_##S, sgnjx_##s, BOX, UN) \
    FCMP(FEQ_##S, eq_##s, UN) \
    FCMP(FLT_##S, lt_##s, UN) \
    FCMP(FLE_##S, le_##s, UN) \
    FTOI(FCVT_W_##S, cvt_w_##s, UN) \
    FTOI(FCVT_WU_##S, cvt_wu_##s, UN) \
    FTOI(FCVT_L_##S, cvt_l_##s, UN) \
    FTOI(FCVT_LU_##S, cvt_lu_##s, UN) \
    ITOF(FCVT_##S##_W, cvt_##s##_w, BOX, (int32_t)RS1) \
    ITOF(FCVT_##S##_WU, cvt_##s##_wu, BOX, (uint32_t)RS1) \
    ITOF(FCVT_##S##_L, cvt_##s##_l, BOX, (int64_t)RS1) \
    ITOF(FCVT_##S##_LU, cvt_##s##_lu, BOX, RS1) \
L_FSQRT_##S: { FP_ON(); FP_RM(); F[i->rd] = BOX(fpu_sqrt_##s(UN(i->rs1), rm, &cpu->fflags)); \
    DIRTY(); NEXT; } \
L_FCLASS_##S: FP_ON(); RD = fpu_class_##s(UN(i->rs1)); NEXT;

    FP_SET(S, s, BS, US)
    FP_SET(D, d, ID, UD)

L_FCVT_S_D: { FP_ON(); FP_RM(); F[i->rd] = BS(fpu_cvt_s_d(F[i->rs1], rm, &cpu->fflags)); DIRTY(); NEXT; }
L_FCVT_D_S: { FP_ON(); FP_RM(); F[i->rd] = fpu_cvt_d_s(US(i->rs1), rm, &cpu->fflags); DIRTY(); NEXT; }
L_FMV_X_W: FP_ON(); RD = SX32(F[i->rs1]); NEXT;
L_FMV_W_X: FP_ON(); F[i->rd] = BS((uint32_t)RS1); DIRTY(); NEXT;
L_FMV_X_D: FP_ON(); RD = F[i->rs1]; NEXT;
L_FMV_D_X: FP_ON(); F[i->rd] = RS1; DIRTY(); NEXT;
}

const struct rv_accel rv_accel_interp = {
    .name = "interpreter",
    .execute = interp_execute,
    .flush_code = rv_flush_blocks,
};
