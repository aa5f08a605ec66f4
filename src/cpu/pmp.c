/*
 * pmp.c — physical memory protection (privileged spec 1.12, 3.7): 16
 * entries, TOR/NA4/NAPOT matching, lock bits.
 *
 * The CSRs live in struct rv_cpu (pmpcfg0/2, pmpaddr0..15); csr.c keeps
 * their WARL rules and calls rv_pmp_update() after every write, which
 * decodes them into address ranges here.  The MMU asks rv_pmp_allows()
 * for every access it does not serve from the TLB and enters a page into
 * the TLB only when the whole page has one verdict, so TLB hits need no
 * check.  When the monitor plays M mode (direct boot) there is no
 * firmware to program the PMP and the checks are off, as if OpenSBI had
 * opened all memory to S mode.
 */
#include "cpu/hart.h"

#define PMP_R 0x01
#define PMP_W 0x02
#define PMP_X 0x04
#define PMP_A 0x18
#define PMP_L 0x80
enum { PMP_OFF = 0, PMP_TOR = 1, PMP_NA4 = 2, PMP_NAPOT = 3 };

static uint8_t cfg_of(const struct rv_cpu *cpu, unsigned i)
{
    return (uint8_t)(cpu->pmpcfg[i / 8] >> (8 * (i % 8)));
}

void rv_pmp_update(struct rv_cpu *cpu)
{
    struct rv_cpu_rt *rt = cpu->rt;
    rt->npmp = 0;
    for (unsigned i = 0; i < 16; i++) {
        uint8_t cfg = cfg_of(cpu, i);
        unsigned mode = (cfg & PMP_A) >> 3;
        uint64_t addr = cpu->pmpaddr[i], lo, hi;
        switch (mode) {
        case PMP_TOR:
            lo = i ? cpu->pmpaddr[i - 1] << 2 : 0;
            hi = addr << 2;
            break;
        case PMP_NA4:
            lo = addr << 2;
            hi = lo + 4;
            break;
        case PMP_NAPOT: {
            unsigned t = (unsigned)__builtin_ctzll(~addr);  /* trailing ones */
            if (t >= 54) {                                   /* everything */
                lo = 0;
                hi = ~0ULL;
            } else {
                lo = (addr & ~((1ULL << t) - 1)) << 2;
                hi = lo + (1ULL << (t + 3));
            }
            break;
        }
        default:
            continue;
        }
        rt->pmp[rt->npmp++] = (struct pmp_range){ lo, hi, cfg };
    }
}

bool rv_pmp_allows(const struct rv_cpu *cpu, uint64_t pa, uint64_t size,
                   unsigned acc, unsigned priv)
{
    const struct rv_cpu_rt *rt = cpu->rt;
    if (cpu->m_emulated)
        return true;
    static const uint8_t need[ACC_COUNT] = { [ACC_R] = PMP_R, [ACC_W] = PMP_W, [ACC_X] = PMP_X };
    uint64_t end = pa + size;
    for (unsigned k = 0; k < rt->npmp; k++) {
        const struct pmp_range *r = &rt->pmp[k];
        if (end <= r->lo || pa >= r->hi)
            continue;                       /* no byte matches */
        if (pa < r->lo || end > r->hi)
            return false;                   /* only some bytes match */
        if (priv == RV_PRV_M && !(r->cfg & PMP_L))
            return true;
        return (r->cfg & need[acc]) != 0;
    }
    return priv == RV_PRV_M;                /* no match: only M succeeds */
}
