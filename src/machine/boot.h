/*
 * boot.h — putting files into guest RAM: boot files (files.c), the
 * kernel and firmware (kernel.c); used by boot.c and the `loader` device.
 */
#ifndef VESSEL_MACHINE_BOOT_H
#define VESSEL_MACHINE_BOOT_H

#include <stddef.h>
#include <stdint.h>

struct vm;

#include <sys/stat.h>

/* ---- files.c ---- */

/* Open a regular file for reading (fills st); -1 with a message. */
int boot_open_file(const char *path, const char *what, struct stat *st,
                   char *err, size_t errlen);
int boot_read_exact(int fd, void *buf, size_t len, uint64_t off, const char *what,
                    const char *path, char *err, size_t errlen);
/* Size of a non-empty regular file. */
int boot_file_size(const char *path, const char *what, uint64_t *size,
                   char *err, size_t errlen);
/* Copy a file to guest RAM at addr, claiming max(reserve, its size). */
int boot_load_file(struct vm *vm, const char *path, const char *what, uint64_t addr,
                   uint64_t reserve, uint64_t *size_out, char *err, size_t errlen);

/* Read a whole (regular) file into a malloc'd buffer. */
int boot_read_file(const char *path, const char *what, uint8_t **data, size_t *size,
                   char *err, size_t errlen);

/* Copy a whole file to guest-physical addr (claiming that RAM). */
int boot_load_raw(struct vm *vm, const char *path, const char *what, uint64_t addr,
                  uint64_t *size_out, char *err, size_t errlen);

/* ---- kernel.c ---- */

/* The kernel at its own place (fixed_base 0: direct boot, RAM +
 * text_offset) or at fixed_base (after firmware); sets vm->kernel_*. */
int boot_load_kernel(struct vm *vm, const char *path, uint64_t fixed_base,
                     char *err, size_t errlen);
/* Firmware (raw at RAM start, or ELF); sets vm->entry and *fw_end. */
int boot_load_firmware(struct vm *vm, const char *path, uint64_t *fw_end,
                       char *err, size_t errlen);

#endif
