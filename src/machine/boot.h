/*
 * boot.h — putting files into guest RAM (shared by boot.c and the
 * `loader` device).
 */
#ifndef VESSEL_MACHINE_BOOT_H
#define VESSEL_MACHINE_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct vm;

/* Read a whole (regular) file into a malloc'd buffer. */
int boot_read_file(const char *path, const char *what, uint8_t **data, size_t *size,
                   char *err, size_t errlen);

/* Copy a whole file to guest-physical addr (claiming that RAM). */
int boot_load_raw(struct vm *vm, const char *path, const char *what, uint64_t addr,
                  uint64_t *size_out, char *err, size_t errlen);

#endif
