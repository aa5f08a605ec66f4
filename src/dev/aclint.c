/*
 * aclint.c — machine-level software interrupts and timer (CLINT layout).
 *
 * 64-bit registers may be accessed whole or as two 32-bit halves, as
 * 32-bit firmware does; other sizes and holes are access faults.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include "dev/aclint.h"

struct aclint {
    struct aclint_backend be;
    unsigned nharts;
    _Atomic uint32_t msip[];
};

/* Replace the 32-bit half at byte `off` (0 or 4) of old, or all of it. */
static uint64_t merge(uint64_t old, unsigned off, unsigned size, uint64_t val)
{
    if (size == 8)
        return val;
    unsigned shift = off * 8;
    uint64_t mask = 0xffffffffULL << shift;
    return (old & ~mask) | ((val & 0xffffffffULL) << shift);
}

static bool reg64_access_ok(uint64_t off, unsigned size)
{
    return size == 8 || (size == 4 && (off & 3) == 0);
}

static bool aclint_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    struct aclint *a = dev;
    if (off < ACLINT_MTIMECMP_BASE) {
        unsigned h = (unsigned)(off / 4);
        if (size != 4 || h >= a->nharts)
            return false;
        *val = atomic_load(&a->msip[h]);
        return true;
    }
    uint64_t reg;
    if (off >= ACLINT_MTIME && off < ACLINT_MTIME + 8) {
        reg = a->be.get_time(a->be.opaque);
    } else if (off < ACLINT_MTIME) {
        unsigned h = (unsigned)((off - ACLINT_MTIMECMP_BASE) / 8);
        if (h >= a->nharts)
            return false;
        reg = a->be.get_mtimecmp(a->be.opaque, h);
    } else {
        return false;
    }
    if (!reg64_access_ok(off, size))
        return false;
    *val = size == 8 ? reg : (uint32_t)(reg >> ((off & 4) * 8));
    return true;
}

static bool aclint_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    struct aclint *a = dev;
    if (off < ACLINT_MTIMECMP_BASE) {
        unsigned h = (unsigned)(off / 4);
        if (size != 4 || h >= a->nharts)
            return false;
        uint32_t bit = val & 1;   /* only bit 0 is implemented */
        atomic_store(&a->msip[h], bit);
        a->be.set_msip(a->be.opaque, h, bit);
        return true;
    }
    if (!reg64_access_ok(off, size))
        return false;
    if (off >= ACLINT_MTIME && off < ACLINT_MTIME + 8) {
        uint64_t t = a->be.get_time(a->be.opaque);
        a->be.set_time(a->be.opaque, merge(t, off & 4, size, val));
        return true;
    }
    if (off >= ACLINT_MTIME)
        return false;
    unsigned h = (unsigned)((off - ACLINT_MTIMECMP_BASE) / 8);
    if (h >= a->nharts)
        return false;
    uint64_t old = a->be.get_mtimecmp(a->be.opaque, h);
    a->be.set_mtimecmp(a->be.opaque, h, merge(old, off & 4, size, val));
    return true;
}

static void aclint_reset(void *dev)
{
    struct aclint *a = dev;
    for (unsigned h = 0; h < a->nharts; h++) {
        atomic_store(&a->msip[h], 0);
        a->be.set_msip(a->be.opaque, h, false);
    }
}

static void aclint_destroy(void *dev)
{
    free(dev);
}

const struct dev_ops aclint_ops = {
    .name = "aclint",
    .read = aclint_read,
    .write = aclint_write,
    .reset = aclint_reset,
    .destroy = aclint_destroy,
};

struct aclint *aclint_new(unsigned nharts, const struct aclint_backend *backend)
{
    if (nharts == 0 || nharts > (ACLINT_MTIMECMP_BASE / 4))
        return NULL;
    struct aclint *a = calloc(1, sizeof *a + nharts * sizeof a->msip[0]);
    if (!a)
        return NULL;
    a->be = *backend;
    a->nharts = nharts;
    return a;
}
