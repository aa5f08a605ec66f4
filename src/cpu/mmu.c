/*
 * mmu.c — address translation (bare, Sv39, Sv48), the software TLB and the
 * slow paths of guest memory accesses.
 *
 * The interpreter's fast path is a TLB hit on a RAM page (hart.h); every
 * thing else lands here: TLB misses walk the page table (setting A/D bits
 * atomically in the guest's PTE), misaligned accesses trap (or are split
 * into bytes when the monitor plays M mode), and physical addresses outside
 * RAM go to the machine's MMIO callbacks or fault.  Host memory outside the
 * guest RAM mapping is never touched.
 */
#include <string.h>
#include "cpu/hart.h"

#define PTE_V (1ULL << 0)
#define PTE_R (1ULL << 1)
#define PTE_W (1ULL << 2)
#define PTE_X (1ULL << 3)
#define PTE_U (1ULL << 4)
#define PTE_G (1ULL << 5)
#define PTE_A (1ULL << 6)
#define PTE_D (1ULL << 7)
#define PTE_PPN(p) (((p) >> 10) & ((1ULL << 44) - 1))
#define PTE_RESERVED (~0ULL << 54)     /* N, PBMT, reserved: not implemented */

/* ---- contexts and flushing ---- */

static unsigned data_priv(const struct rv_cpu *cpu)
{
    if (cpu->priv == RV_PRV_M && (cpu->mstatus & MSTATUS_MPRV))
        return (unsigned)((cpu->mstatus & MSTATUS_MPP) >> 11);
    return cpu->priv;
}

static unsigned ctx_of(const struct rv_cpu *cpu, unsigned priv)
{
    switch (priv) {
    case RV_PRV_U: return CTX_U;
    case RV_PRV_S: return (cpu->mstatus & MSTATUS_SUM) ? CTX_S_SUM : CTX_S;
    default:       return CTX_M;
    }
}

void rv_mmu_update_ctx(struct rv_cpu *cpu)
{
    struct rv_cpu_rt *rt = cpu->rt;
    rt->data_ctx = ctx_of(cpu, data_priv(cpu));
    rt->fetch_ctx = cpu->priv == RV_PRV_S ? CTX_S : ctx_of(cpu, cpu->priv);
    rt->dtlb_r = rt->tlb[rt->data_ctx][ACC_R];
    rt->dtlb_w = rt->tlb[rt->data_ctx][ACC_W];
    rt->itlb = rt->tlb[rt->fetch_ctx][ACC_X];
}

void rv_tlb_flush(struct rv_cpu *cpu)
{
    struct rv_cpu_rt *rt = cpu->rt;
    rt->xlat_gen++;
    memset(rt->tlb, 0xff, sizeof rt->tlb);      /* tag = TLB_INVALID */
    memset(rt->superpages, 0, sizeof rt->superpages);
    rt->superpage_overflow = false;
}

/* Superpages are entered into the TLB one 4 KiB page at a time, so a
 * sfence.vma of one address inside a superpage must drop all of them.  The
 * TLB remembers which superpages it holds pages of; a page flush that hits
 * one of them (or any, after this small set overflowed) flushes all. */
static unsigned superpage_slot(uint64_t base, unsigned level)
{
    return (unsigned)((base >> (PAGE_SHIFT + 9 * level)) ^ level) & (SUPERPAGE_SLOTS - 1);
}

static void note_superpage(struct rv_cpu_rt *rt, uint64_t va, unsigned level)
{
    uint64_t base = va & ~((1ULL << (PAGE_SHIFT + 9 * level)) - 1);
    uint64_t key = base | level;
    uint64_t *s = &rt->superpages[superpage_slot(base, level)];
    if (*s == key)
        return;
    if (*s)
        rt->superpage_overflow = true;
    *s = key;
}

static bool in_superpage(const struct rv_cpu_rt *rt, uint64_t va)
{
    if (rt->superpage_overflow)
        return true;
    for (unsigned level = 1; level <= 3; level++) {
        uint64_t base = va & ~((1ULL << (PAGE_SHIFT + 9 * level)) - 1);
        if (rt->superpages[superpage_slot(base, level)] == (base | level))
            return true;
    }
    return false;
}

void rv_tlb_flush_page(struct rv_cpu *cpu, uint64_t va)
{
    struct rv_cpu_rt *rt = cpu->rt;
    rt->xlat_gen++;
    if (in_superpage(rt, va)) {
        rv_tlb_flush(cpu);
        return;
    }
    unsigned idx = (unsigned)(va >> PAGE_SHIFT) & (TLB_SIZE - 1);
    for (unsigned c = 0; c < CTX_COUNT; c++)
        for (unsigned a = 0; a < ACC_COUNT; a++)
            if (rt->tlb[c][a][idx].tag == (va & PAGE_MASK))
                rt->tlb[c][a][idx].tag = TLB_INVALID;
}

/* ---- physical memory ---- */

/* Host pointer for guest-physical [pa, pa+size) if it is plain RAM. */
static inline uint8_t *ram_ptr(const struct rv_cpu *cpu, uint64_t pa, unsigned size)
{
    const struct rv_bus *bus = cpu->bus;
    uint64_t off = pa - bus->ram_base;
    if (off >= bus->ram_size || bus->ram_size - off < size)
        return NULL;
    if (bus->io_page && (pa & PAGE_MASK) == bus->io_page)
        return NULL;
    return bus->ram + off;
}

static inline uint64_t host_load(const void *p, unsigned size)
{
    switch (size) {
    case 1: return __atomic_load_n((const uint8_t *)p, __ATOMIC_RELAXED);
    case 2: return __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED);
    case 4: return __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
    default: return __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED);
    }
}

static inline void host_store(void *p, unsigned size, uint64_t v)
{
    switch (size) {
    case 1: __atomic_store_n((uint8_t *)p, (uint8_t)v, __ATOMIC_RELAXED); break;
    case 2: __atomic_store_n((uint16_t *)p, (uint16_t)v, __ATOMIC_RELAXED); break;
    case 4: __atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_RELAXED); break;
    default: __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED); break;
    }
}

/* ---- page-table walk ---- */

static const uint64_t fault_cause[ACC_COUNT] = {
    [ACC_R] = EXC_LOAD_PAGE, [ACC_W] = EXC_STORE_PAGE, [ACC_X] = EXC_INSN_PAGE,
};
static const uint64_t access_cause[ACC_COUNT] = {
    [ACC_R] = EXC_LOAD_ACCESS, [ACC_W] = EXC_STORE_ACCESS, [ACC_X] = EXC_INSN_ACCESS,
};

/* Translate va for access `acc` at privilege `priv`.  On success *pa is the
 * physical address and *also_w says the page may be entered into the write
 * TLB as well (writable and already dirty).  *level is the leaf's level. */
static bool translate(struct rv_cpu *cpu, uint64_t va, unsigned acc, unsigned priv,
                      uint64_t *pa, bool *also_w, unsigned *level_out)
{
    uint64_t satp = cpu->satp;
    unsigned mode = (unsigned)(satp >> SATP_MODE_SHIFT);
    *level_out = 0;
    if (priv == RV_PRV_M || mode == SATP_MODE_BARE) {
        *pa = va;
        *also_w = true;
        return true;
    }
    unsigned levels = mode == SATP_MODE_SV39 ? 3 : 4;
    unsigned va_bits = PAGE_SHIFT + 9 * levels;
    if ((uint64_t)((int64_t)(va << (64 - va_bits)) >> (64 - va_bits)) != va)
        goto page_fault;                            /* not sign-extended */

restart:;
    uint64_t table = (satp & SATP_PPN_MASK) << PAGE_SHIFT;
    for (int level = (int)levels - 1; level >= 0; level--) {
        uint64_t pte_pa = table + ((va >> (PAGE_SHIFT + 9 * level)) & 511) * 8;
        uint64_t *ptep = (uint64_t *)ram_ptr(cpu, pte_pa, 8);
        /* the walk's own accesses are checked as S-mode ones */
        if (!ptep || !rv_pmp_allows(cpu, pte_pa, 8, ACC_R, RV_PRV_S)) {
            rv_raise(cpu, access_cause[acc], va);
            return false;
        }
        uint64_t pte = __atomic_load_n(ptep, __ATOMIC_ACQUIRE);
        if (!(pte & PTE_V) || (!(pte & PTE_R) && (pte & PTE_W)) || (pte & PTE_RESERVED))
            goto page_fault;
        if (!(pte & (PTE_R | PTE_X))) {             /* pointer to next level */
            table = PTE_PPN(pte) << PAGE_SHIFT;
            continue;
        }
        /* leaf: permissions */
        if (priv == RV_PRV_U && !(pte & PTE_U))
            goto page_fault;
        if (priv == RV_PRV_S && (pte & PTE_U) &&
            (acc == ACC_X || !(cpu->mstatus & MSTATUS_SUM)))
            goto page_fault;
        bool ok = acc == ACC_X ? (pte & PTE_X)
                : acc == ACC_W ? (pte & PTE_W)
                : (pte & PTE_R) || ((cpu->mstatus & MSTATUS_MXR) && (pte & PTE_X));
        if (!ok)
            goto page_fault;
        uint64_t ppn = PTE_PPN(pte);
        uint64_t low_mask = (1ULL << (9 * level)) - 1;
        if (ppn & low_mask)
            goto page_fault;                        /* misaligned superpage */
        /* A and D: set them in place, atomically (another hart or the
         * guest may be changing the PTE) */
        uint64_t want = PTE_A | (acc == ACC_W ? PTE_D : 0);
        if ((pte & want) != want) {
            if (!rv_pmp_allows(cpu, pte_pa, 8, ACC_W, RV_PRV_S)) {
                rv_raise(cpu, access_cause[acc], va);
                return false;
            }
            if (!__atomic_compare_exchange_n(ptep, &pte, pte | want, false,
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                goto restart;
            pte |= want;
        }
        *pa = ((ppn | ((va >> PAGE_SHIFT) & low_mask)) << PAGE_SHIFT) | (va & (PAGE_SIZE - 1));
        *also_w = (pte & PTE_W) && (pte & PTE_D);
        *level_out = (unsigned)level;
        return true;
    }
page_fault:
    rv_raise(cpu, fault_cause[acc], va);
    return false;
}

/* Enter the page of va -> pa into a TLB: only whole pages of plain RAM
 * (the fast path then reads anywhere in the page without checks). */
static void tlb_fill(struct rv_cpu *cpu, struct tlb_entry *tlb, uint64_t va,
                     uint64_t pa, unsigned level)
{
    uint8_t *page = ram_ptr(cpu, pa & PAGE_MASK, PAGE_SIZE);
    if (!page)
        return;
    struct tlb_entry *e = &tlb[(va >> PAGE_SHIFT) & (TLB_SIZE - 1)];
    e->tag = va & PAGE_MASK;
    e->addend = (uintptr_t)page - (uintptr_t)(va & PAGE_MASK);
    if (level)
        note_superpage(cpu->rt, va, level);
}

/* PMP for an access of `size` bytes at pa; *page_ok says whether the
 * whole page has the same verdict, so that it may enter the TLB. */
static bool pmp_check(const struct rv_cpu *cpu, uint64_t pa, unsigned size, unsigned acc,
                      unsigned priv, bool *page_ok)
{
    if (!rv_pmp_allows(cpu, pa, size, acc, priv)) {
        *page_ok = false;
        return false;
    }
    *page_ok = rv_pmp_allows(cpu, pa & PAGE_MASK, PAGE_SIZE, acc, priv);
    return true;
}

/* ---- data accesses ---- */

bool rv_load_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t *val)
{
    if (va & (size - 1)) {
        if (cpu->m_emulated && cpu->priv != RV_PRV_M) {
            /* the monitor plays M mode: split into bytes as OpenSBI does */
            uint64_t v = 0, b;
            for (unsigned i = 0; i < size; i++) {
                if (!rv_load_slow(cpu, va + i, 1, &b))
                    return false;
                v |= b << (8 * i);
            }
            *val = v;
            return true;
        }
        rv_raise(cpu, EXC_LOAD_MISALIGNED, va);
        return false;
    }
    uint64_t pa;
    bool also_w;
    unsigned level;
    unsigned priv = data_priv(cpu);
    bool page_ok;
    if (!translate(cpu, va, ACC_R, priv, &pa, &also_w, &level))
        return false;
    if (!pmp_check(cpu, pa, size, ACC_R, priv, &page_ok)) {
        rv_raise(cpu, EXC_LOAD_ACCESS, va);
        return false;
    }
    uint8_t *host = ram_ptr(cpu, pa, size);
    if (host) {
        if (page_ok) {
            tlb_fill(cpu, cpu->rt->dtlb_r, va, pa, level);
            if (also_w && rv_pmp_allows(cpu, pa & PAGE_MASK, PAGE_SIZE, ACC_W, priv))
                tlb_fill(cpu, cpu->rt->dtlb_w, va, pa, level);
        }
        *val = host_load(host, size);
        return true;
    }
    const struct rv_bus *bus = cpu->bus;
    if (bus->mmio_read && bus->mmio_read(bus->opaque, pa, size, val)) {
        if (size < 8)
            *val &= (1ULL << (8 * size)) - 1;
        return true;
    }
    rv_raise(cpu, EXC_LOAD_ACCESS, va);
    return false;
}

bool rv_store_slow(struct rv_cpu *cpu, uint64_t va, unsigned size, uint64_t val)
{
    if (va & (size - 1)) {
        if (cpu->m_emulated && cpu->priv != RV_PRV_M) {
            /* check every byte is writable before changing any, so that a
             * fault in the second page leaves memory untouched */
            uint64_t pa;
            bool also_w;
            unsigned level;
            for (unsigned i = 0; i < size; i++)
                if (!translate(cpu, va + i, ACC_W, data_priv(cpu), &pa, &also_w, &level))
                    return false;
            for (unsigned i = 0; i < size; i++)
                if (!rv_store_slow(cpu, va + i, 1, (val >> (8 * i)) & 0xff))
                    return false;
            return true;
        }
        rv_raise(cpu, EXC_STORE_MISALIGNED, va);
        return false;
    }
    uint64_t pa;
    bool also_w;
    unsigned level;
    unsigned priv = data_priv(cpu);
    bool page_ok;
    if (!translate(cpu, va, ACC_W, priv, &pa, &also_w, &level))
        return false;
    if (!pmp_check(cpu, pa, size, ACC_W, priv, &page_ok)) {
        rv_raise(cpu, EXC_STORE_ACCESS, va);
        return false;
    }
    uint8_t *host = ram_ptr(cpu, pa, size);
    if (host) {
        if (page_ok)
            tlb_fill(cpu, cpu->rt->dtlb_w, va, pa, level);
        host_store(host, size, val);
        return true;
    }
    const struct rv_bus *bus = cpu->bus;
    if (bus->mmio_write && bus->mmio_write(bus->opaque, pa, size, val))
        return true;
    rv_raise(cpu, EXC_STORE_ACCESS, va);
    return false;
}

void *rv_amo_ptr(struct rv_cpu *cpu, uint64_t va, unsigned size, bool is_lr)
{
    unsigned acc = is_lr ? ACC_R : ACC_W;
    if (va & (size - 1)) {
        rv_raise(cpu, is_lr ? EXC_LOAD_MISALIGNED : EXC_STORE_MISALIGNED, va);
        return NULL;
    }
    /* fast path: the page is in the TLB */
    struct tlb_entry *e = &(is_lr ? cpu->rt->dtlb_r : cpu->rt->dtlb_w)[(va >> PAGE_SHIFT) & (TLB_SIZE - 1)];
    if (e->tag == (va & PAGE_MASK))
        return (void *)(uintptr_t)(va + e->addend);
    uint64_t pa;
    bool also_w;
    unsigned level;
    unsigned priv = data_priv(cpu);
    bool page_ok;
    if (!translate(cpu, va, acc, priv, &pa, &also_w, &level))
        return NULL;
    uint8_t *host = ram_ptr(cpu, pa, size);
    /* an AMO reads and writes; LR only reads */
    if (!pmp_check(cpu, pa, size, acc, priv, &page_ok) ||
        (!is_lr && !rv_pmp_allows(cpu, pa, size, ACC_R, priv))) {
        rv_raise(cpu, is_lr ? EXC_LOAD_ACCESS : EXC_STORE_ACCESS, va);
        return NULL;
    }
    if (!host) {
        /* atomics are only supported on RAM (PMA: I/O is not AMO-capable) */
        rv_raise(cpu, is_lr ? EXC_LOAD_ACCESS : EXC_STORE_ACCESS, va);
        return NULL;
    }
    if (page_ok)
        tlb_fill(cpu, is_lr ? cpu->rt->dtlb_r : cpu->rt->dtlb_w, va, pa, level);
    return host;
}

/* ---- instruction fetch ---- */

bool rv_fetch_translate(struct rv_cpu *cpu, uint64_t va, uint64_t *pa, uint8_t **host,
                        bool *cacheable)
{
    bool also_w;
    unsigned level;
    bool page_ok;
    if (!translate(cpu, va, ACC_X, cpu->priv, pa, &also_w, &level))
        return false;
    if (!pmp_check(cpu, *pa, 2, ACC_X, cpu->priv, &page_ok)) {
        rv_raise(cpu, EXC_INSN_ACCESS, va);
        return false;
    }
    uint8_t *h = ram_ptr(cpu, *pa, 2);
    *host = h;
    /* blocks are decoded up to the page end: the whole page must be RAM */
    *cacheable = page_ok && ram_ptr(cpu, *pa & PAGE_MASK, PAGE_SIZE);
    if (*cacheable)
        tlb_fill(cpu, cpu->rt->itlb, va, *pa, level);
    return true;
}

bool rv_fetch16(struct rv_cpu *cpu, uint64_t va, uint32_t *val)
{
    uint64_t pa;
    uint8_t *host;
    bool cacheable;
    if (!rv_fetch_translate(cpu, va, &pa, &host, &cacheable))
        return false;
    if (host) {
        *val = (uint32_t)host_load(host, 2);
        return true;
    }
    const struct rv_bus *bus = cpu->bus;
    uint64_t v;
    if (bus->mmio_read && bus->mmio_read(bus->opaque, pa, 2, &v)) {
        *val = (uint32_t)(v & 0xffff);
        return true;
    }
    rv_raise(cpu, EXC_INSN_ACCESS, va);
    return false;
}
