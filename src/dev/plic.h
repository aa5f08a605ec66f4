/*
 * plic.h — SiFive PLIC as on QEMU's virt board: source priorities, pending
 * bits, per-context enables, thresholds and claim/complete.  Context 2h is
 * hart h's M mode, 2h+1 its S mode.  Sources are level-triggered.
 */
#ifndef VESSEL_DEV_PLIC_H
#define VESSEL_DEV_PLIC_H

#include <stdbool.h>
#include <stdint.h>
#include "dev/device.h"

#define PLIC_MAX_SOURCES   96      /* sources 1..96 (0 means "none") */
#define PLIC_PRIORITY_MAX  7       /* 3 priority bits */
#define PLIC_CONTEXT_BASE  0x200000
#define PLIC_CONTEXT_STRIDE 0x1000
#define PLIC_ENABLE_BASE   0x2000
#define PLIC_ENABLE_STRIDE 0x80
#define PLIC_PENDING_BASE  0x1000

struct plic;

/* The machine's side: raise/lower the external-interrupt line of a context
 * (the PLIC calls this with its lock held, only when the level changes). */
struct plic_backend {
    void *opaque;
    void (*set_context_irq)(void *opaque, unsigned context, bool level);
};

extern const struct dev_ops plic_ops;

struct plic *plic_new(unsigned nharts, unsigned nsources,
                      const struct plic_backend *backend);

/* Any thread: drive source 1..nsources (out of range is ignored). */
void plic_set_irq(struct plic *plic, unsigned source, bool level);

/* Size of the MMIO window for n harts (2 contexts each). */
uint64_t plic_mmio_size(unsigned nharts);

#endif
