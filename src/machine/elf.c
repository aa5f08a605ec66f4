/* elf.c — ELF64 RISC-V executables into guest RAM. */
#include <elf.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include "machine/elf.h"
#include "machine/vm_impl.h"

#ifndef EM_RISCV
#define EM_RISCV 243
#endif

bool elf_is_elf(const void *data, size_t size)
{
    return size >= SELFMAG && memcmp(data, ELFMAG, SELFMAG) == 0;
}

/* The header, if it is one we can run. */
static const Elf64_Ehdr *check_header(const void *data, size_t size, const char *what,
                                      char *err, size_t errlen)
{
    const Elf64_Ehdr *eh = data;
    const char *why = NULL;
    if (size < sizeof *eh || !elf_is_elf(data, size))
        why = "not an ELF file";
    else if (eh->e_ident[EI_CLASS] != ELFCLASS64)
        why = "not a 64-bit ELF file";
    else if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
        why = "not little-endian";
    else if (eh->e_machine != EM_RISCV)
        why = "not a RISC-V program";
    else if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        why = "not an executable";
    else if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phoff % 8 || eh->e_phoff > size ||
             (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
        why = "program headers out of the file";
    if (why) {
        snprintf(err, errlen, "%s: %s", what, why);
        return NULL;
    }
    return eh;
}

bool elf_lowest_paddr(const void *data, size_t size, uint64_t *lo)
{
    char err[16];
    const Elf64_Ehdr *eh = check_header(data, size, "", err, sizeof err);
    if (!eh)
        return false;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)((const uint8_t *)data + eh->e_phoff);
    bool found = false;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        if (!found || ph[i].p_paddr < *lo)
            *lo = ph[i].p_paddr;
        found = true;
    }
    return found;
}

/* e_entry as a physical address: through the segment that holds it. */
static uint64_t entry_paddr(const Elf64_Ehdr *eh, const Elf64_Phdr *ph)
{
    for (unsigned i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD && eh->e_entry >= ph[i].p_vaddr &&
            eh->e_entry - ph[i].p_vaddr < ph[i].p_memsz)
            return ph[i].p_paddr + (eh->e_entry - ph[i].p_vaddr);
    return eh->e_entry;
}

int elf_load(struct vm *vm, const void *data, size_t size, const char *what,
             uint64_t bias, uint64_t *entry, uint64_t *lo, uint64_t *hi,
             char *err, size_t errlen)
{
    const Elf64_Ehdr *eh = check_header(data, size, what, err, errlen);
    if (!eh)
        return -1;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)((const uint8_t *)data + eh->e_phoff);
    uint64_t low = UINT64_MAX, high = 0;
    unsigned loads = 0;
    /* Validate everything before touching guest memory. */
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        if (ph[i].p_filesz > ph[i].p_memsz || ph[i].p_offset > size ||
            ph[i].p_filesz > size - ph[i].p_offset) {
            snprintf(err, errlen, "%s: segment %u lies outside the file", what, i);
            return -1;
        }
        uint64_t pa = ph[i].p_paddr + bias;
        if (!vm_guest_ptr(vm, pa, ph[i].p_memsz)) {
            snprintf(err, errlen, "%s: segment %u (0x%" PRIx64 "-0x%" PRIx64 ") is not in "
                     "guest RAM 0x%" PRIx64 "-0x%" PRIx64 " (see --mem)", what, i, pa,
                     pa + ph[i].p_memsz - 1, (uint64_t)VIRT_DRAM_BASE,
                     (uint64_t)VIRT_DRAM_BASE + vm_ram_size(vm) - 1);
            return -1;
        }
        if (pa < low) low = pa;
        if (pa + ph[i].p_memsz > high) high = pa + ph[i].p_memsz;
        loads++;
    }
    if (!loads) {
        snprintf(err, errlen, "%s: no loadable segment", what);
        return -1;
    }
    if (vm_claim_ram(vm, low, high - low, what, err, errlen) < 0)
        return -1;
    for (unsigned i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        uint8_t *dst = vm_guest_ptr(vm, ph[i].p_paddr + bias, ph[i].p_memsz);
        memcpy(dst, (const uint8_t *)data + ph[i].p_offset, ph[i].p_filesz);
        memset(dst + ph[i].p_filesz, 0, ph[i].p_memsz - ph[i].p_filesz);
    }
    *entry = entry_paddr(eh, ph) + bias;
    *lo = low;
    *hi = high;
    return 0;
}

bool elf_find_symbol(const void *data, size_t size, const char *name, uint64_t *value)
{
    char err[16];
    const Elf64_Ehdr *eh = check_header(data, size, "", err, sizeof err);
    if (!eh || eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff % 8 || eh->e_shoff > size ||
        (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size - eh->e_shoff)
        return false;
    const Elf64_Shdr *sh = (const Elf64_Shdr *)((const uint8_t *)data + eh->e_shoff);
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Shdr *strtab = &sh[sh[i].sh_link];
        if (sh[i].sh_offset % 8 || sh[i].sh_offset > size || sh[i].sh_size > size - sh[i].sh_offset ||
            strtab->sh_offset > size || strtab->sh_size > size - strtab->sh_offset)
            return false;
        const Elf64_Sym *sym = (const Elf64_Sym *)((const uint8_t *)data + sh[i].sh_offset);
        const char *str = (const char *)data + strtab->sh_offset;
        size_t nsyms = sh[i].sh_size / sizeof(Elf64_Sym);
        size_t namelen = strlen(name);
        for (size_t s = 0; s < nsyms; s++) {
            uint32_t off = sym[s].st_name;
            if (off >= strtab->sh_size || strtab->sh_size - off <= namelen)
                continue;
            if (memcmp(str + off, name, namelen + 1) == 0 && sym[s].st_shndx != SHN_UNDEF) {
                *value = sym[s].st_value;
                return true;
            }
        }
    }
    return false;
}
