/*
 * rom.h — read-only memory on the MMIO bus (the MROM at 0x1000 that holds
 * the reset vector).  Writes are access faults.
 */
#ifndef VESSEL_DEV_ROM_H
#define VESSEL_DEV_ROM_H

#include <stddef.h>
#include <stdint.h>
#include "dev/device.h"

struct rom;

extern const struct dev_ops rom_ops;

/* A ROM of `size` bytes holding a copy of data[0..len) then zeros. */
struct rom *rom_new(const void *data, size_t len, size_t size);

#endif
