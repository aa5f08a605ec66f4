/*
 * aclint.h — ACLINT MSWI + MTIMER in the SiFive CLINT layout of QEMU's virt
 * board: msip[h] at 0x0000 + 4h, mtimecmp[h] at 0x4000 + 8h, mtime at
 * 0xbff8.  The device keeps no timer state of its own: mtimecmp lives in
 * the harts (which raise MTIP themselves) and mtime is the machine clock.
 */
#ifndef VESSEL_DEV_ACLINT_H
#define VESSEL_DEV_ACLINT_H

#include <stdbool.h>
#include <stdint.h>
#include "dev/device.h"

#define ACLINT_MSIP_BASE     0x0000
#define ACLINT_MTIMECMP_BASE 0x4000
#define ACLINT_MTIME         0xbff8
#define ACLINT_MMIO_SIZE     0x10000

struct aclint;

struct aclint_backend {
    void *opaque;
    void     (*set_msip)(void *opaque, unsigned hart, bool level);
    void     (*set_mtimecmp)(void *opaque, unsigned hart, uint64_t value);
    uint64_t (*get_mtimecmp)(void *opaque, unsigned hart);
    uint64_t (*get_time)(void *opaque);
    void     (*set_time)(void *opaque, uint64_t value);
};

extern const struct dev_ops aclint_ops;

struct aclint *aclint_new(unsigned nharts, const struct aclint_backend *backend);

#endif
