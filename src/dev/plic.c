/*
 * plic.c — SiFive platform-level interrupt controller.
 *
 * Gateway model (level-triggered): a source is pending while its line is
 * high and it is not claimed; a claim hands it to one context and clears
 * pending; the completion re-arms it, and it pends again at once if the
 * line is still high.  A context's interrupt line is high when some
 * enabled source is pending with priority above the context's threshold.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "dev/plic.h"

#define WORDS ((PLIC_MAX_SOURCES + 1 + 31) / 32)

struct plic_context {
    uint32_t enable[WORDS];
    uint32_t threshold;
    bool line;
};

struct plic {
    pthread_mutex_t lock;
    struct plic_backend be;
    unsigned nsources, ncontexts;
    uint32_t priority[PLIC_MAX_SOURCES + 1];
    uint32_t pending[WORDS];
    uint32_t claimed[WORDS];
    uint32_t level[WORDS];
    struct plic_context ctx[];
};

static bool bit(const uint32_t *w, unsigned i) { return w[i / 32] >> (i % 32) & 1; }
static void set_bit(uint32_t *w, unsigned i, bool v)
{
    if (v) w[i / 32] |= 1u << (i % 32);
    else   w[i / 32] &= ~(1u << (i % 32));
}

/* Highest-priority pending, enabled source above the threshold; ties go to
 * the lowest ID.  0 if none. */
static unsigned best_source(const struct plic *p, unsigned c)
{
    unsigned best = 0;
    uint32_t best_prio = p->ctx[c].threshold;
    for (unsigned w = 0; w < WORDS; w++) {
        uint32_t cand = p->pending[w] & p->ctx[c].enable[w];
        while (cand) {
            unsigned s = w * 32 + (unsigned)__builtin_ctz(cand);
            cand &= cand - 1;
            if (p->priority[s] > best_prio) {
                best_prio = p->priority[s];
                best = s;
            }
        }
    }
    return best;
}

static void update(struct plic *p)
{
    for (unsigned c = 0; c < p->ncontexts; c++) {
        bool line = best_source(p, c) != 0;
        if (line != p->ctx[c].line) {
            p->ctx[c].line = line;
            if (p->be.set_context_irq)
                p->be.set_context_irq(p->be.opaque, c, line);
        }
    }
}

uint64_t plic_mmio_size(unsigned nharts)
{
    return PLIC_CONTEXT_BASE + (uint64_t)nharts * 2 * PLIC_CONTEXT_STRIDE;
}

static bool plic_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    struct plic *p = dev;
    if (size != 4)
        return false;
    bool ok = true;
    uint32_t v = 0;
    pthread_mutex_lock(&p->lock);
    if (off < PLIC_PENDING_BASE) {
        unsigned s = (unsigned)(off / 4);
        ok = s <= p->nsources;
        if (ok) v = p->priority[s];
    } else if (off < PLIC_ENABLE_BASE) {
        unsigned w = (unsigned)((off - PLIC_PENDING_BASE) / 4);
        ok = w < WORDS;
        if (ok) v = p->pending[w];
    } else if (off < PLIC_CONTEXT_BASE) {
        unsigned c = (unsigned)((off - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
        unsigned w = (unsigned)((off - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE / 4);
        ok = c < p->ncontexts && w < WORDS;
        if (ok) v = p->ctx[c].enable[w];
    } else {
        unsigned c = (unsigned)((off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
        unsigned reg = (unsigned)((off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE);
        ok = c < p->ncontexts && reg <= 4;
        if (ok && reg == 0) {
            v = p->ctx[c].threshold;
        } else if (ok) {   /* claim */
            unsigned s = best_source(p, c);
            if (s) {
                set_bit(p->pending, s, false);
                set_bit(p->claimed, s, true);
                update(p);
            }
            v = s;
        }
    }
    pthread_mutex_unlock(&p->lock);
    *val = v;
    return ok;
}

static bool plic_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    struct plic *p = dev;
    if (size != 4)
        return false;
    uint32_t v = (uint32_t)val;
    bool ok = true;
    pthread_mutex_lock(&p->lock);
    if (off < PLIC_PENDING_BASE) {
        unsigned s = (unsigned)(off / 4);
        ok = s <= p->nsources;
        if (ok && s)   /* source 0 does not exist: priority stays 0 */
            p->priority[s] = v & PLIC_PRIORITY_MAX;
    } else if (off < PLIC_ENABLE_BASE) {
        ok = (off - PLIC_PENDING_BASE) / 4 < WORDS;   /* read-only: ignored */
    } else if (off < PLIC_CONTEXT_BASE) {
        unsigned c = (unsigned)((off - PLIC_ENABLE_BASE) / PLIC_ENABLE_STRIDE);
        unsigned w = (unsigned)((off - PLIC_ENABLE_BASE) % PLIC_ENABLE_STRIDE / 4);
        ok = c < p->ncontexts && w < WORDS;
        if (ok) {
            if (w == 0)
                v &= ~1u;   /* source 0 cannot be enabled */
            if (w == WORDS - 1 && (p->nsources + 1) % 32)
                v &= (1u << ((p->nsources + 1) % 32)) - 1;
            p->ctx[c].enable[w] = v;
        }
    } else {
        unsigned c = (unsigned)((off - PLIC_CONTEXT_BASE) / PLIC_CONTEXT_STRIDE);
        unsigned reg = (unsigned)((off - PLIC_CONTEXT_BASE) % PLIC_CONTEXT_STRIDE);
        ok = c < p->ncontexts && reg <= 4;
        if (ok && reg == 0) {
            p->ctx[c].threshold = v & PLIC_PRIORITY_MAX;
        } else if (ok) {
            /* Completion: ignored unless the source is enabled for this
             * context (as the spec says). */
            if (v >= 1 && v <= p->nsources && bit(p->ctx[c].enable, v) &&
                bit(p->claimed, v)) {
                set_bit(p->claimed, v, false);
                if (bit(p->level, v))
                    set_bit(p->pending, v, true);
            }
        }
    }
    if (ok)
        update(p);
    pthread_mutex_unlock(&p->lock);
    return ok;
}

void plic_set_irq(struct plic *p, unsigned source, bool level)
{
    if (source == 0 || source > p->nsources)
        return;
    pthread_mutex_lock(&p->lock);
    set_bit(p->level, source, level);
    if (!bit(p->claimed, source))
        set_bit(p->pending, source, level);
    update(p);
    pthread_mutex_unlock(&p->lock);
}

static void plic_reset(void *dev)
{
    struct plic *p = dev;
    pthread_mutex_lock(&p->lock);
    memset(p->priority, 0, sizeof p->priority);
    memset(p->pending, 0, sizeof p->pending);
    memset(p->claimed, 0, sizeof p->claimed);
    /* Line levels belong to the devices: keep them, re-pend what is high. */
    memcpy(p->pending, p->level, sizeof p->pending);
    for (unsigned c = 0; c < p->ncontexts; c++) {
        memset(p->ctx[c].enable, 0, sizeof p->ctx[c].enable);
        p->ctx[c].threshold = 0;
    }
    update(p);
    pthread_mutex_unlock(&p->lock);
}

static void plic_destroy(void *dev)
{
    struct plic *p = dev;
    pthread_mutex_destroy(&p->lock);
    free(p);
}

const struct dev_ops plic_ops = {
    .name = "plic",
    .read = plic_read,
    .write = plic_write,
    .reset = plic_reset,
    .destroy = plic_destroy,
};

struct plic *plic_new(unsigned nharts, unsigned nsources,
                      const struct plic_backend *backend)
{
    if (nharts == 0 || nsources == 0 || nsources > PLIC_MAX_SOURCES)
        return NULL;
    unsigned nctx = nharts * 2;
    struct plic *p = calloc(1, sizeof *p + nctx * sizeof p->ctx[0]);
    if (!p)
        return NULL;
    pthread_mutex_init(&p->lock, NULL);
    p->be = *backend;
    p->nsources = nsources;
    p->ncontexts = nctx;
    return p;
}
