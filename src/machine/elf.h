/*
 * elf.h — loading 64-bit little-endian RISC-V ELF executables (firmware,
 * bare-metal test programs, vmlinux) into guest RAM, and finding symbols
 * (HTIF tohost/fromhost).  Everything in the file is bounds-checked.
 */
#ifndef VESSEL_MACHINE_ELF_H
#define VESSEL_MACHINE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

/* Does the buffer start with an ELF header? */
bool elf_is_elf(const void *data, size_t size);

/* Check the header and every PT_LOAD segment; then copy the segments to
 * their physical addresses (p_paddr + bias) in guest RAM, zero-filling the
 * bss.  entry is e_entry translated the same way (it may be virtual, as in
 * a Linux vmlinux); lo/hi the lowest and highest loaded address + 1. */
int elf_load(struct vm *vm, const void *data, size_t size, const char *what,
             uint64_t bias, uint64_t *entry, uint64_t *lo, uint64_t *hi,
             char *err, size_t errlen);

/* Lowest p_paddr of the loadable segments (false if not a usable ELF). */
bool elf_lowest_paddr(const void *data, size_t size, uint64_t *lo);

/* Value of a symbol from .symtab; false if absent or the file is stripped. */
bool elf_find_symbol(const void *data, size_t size, const char *name, uint64_t *value);

#endif
