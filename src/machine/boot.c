/*
 * boot.c — what is in RAM and where the harts start.
 *
 * Direct boot (default): the kernel (loaded by kernel.c) starts on hart 0
 * in S mode with a0 = 0, a1 = DT; the other harts wait STOPPED for SBI HSM
 * hart_start; Vessel itself is the SBI.
 *
 * Firmware boot (--bios): the firmware (raw at 0x80000000, or ELF) runs in
 * M mode on every hart from the reset vector in MROM at 0x1000, as on
 * QEMU: a0 = mhartid, a1 = DT, a2 = fw_dynamic_info (for OpenSBI's
 * fw_dynamic); the kernel, if any, waits at the next 2 MiB boundary after
 * the firmware (0x80200000, where fw_jump jumps).
 *
 * `--bios none` (QEMU's spelling): no firmware; the --kernel program runs
 * in M mode from the same reset vector.  `--bios default` is direct boot.
 *
 * Both: the DT sits at the top of the first GiB of RAM (2 MiB aligned, as
 * QEMU puts it), the initrd just below it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dev/rom.h"
#include "machine/boot.h"
#include "machine/vm_impl.h"

#define MIB ((uint64_t)1 << 20)
#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

#define FW_DYNAMIC_INFO_MAGIC   0x4942534fULL   /* "OSBI" */
#define FW_DYNAMIC_INFO_VERSION 2
#define FW_DYNAMIC_NEXT_MODE_S  1

/* The reset vector QEMU's virt board has in MROM (our own encoding):
 *   auipc t0, 0; addi a2, t0, 40; csrr a0, mhartid;
 *   ld a1, 32(t0); ld t0, 24(t0); jr t0
 * followed by the start address, the DT address and fw_dynamic_info. */
static int setup_mrom(struct vm *vm, uint64_t next_addr, char *err, size_t errlen)
{
    uint8_t rom[0x28 + 6 * 8];
    static const uint32_t code[6] = {
        0x00000297, 0x02828613, 0xf1402573, 0x0202b583, 0x0182b283, 0x00028067,
    };
    uint64_t words[8] = {
        vm->entry, vm->fdt_addr,
        FW_DYNAMIC_INFO_MAGIC, FW_DYNAMIC_INFO_VERSION, next_addr,
        FW_DYNAMIC_NEXT_MODE_S, 0 /* options */, 0 /* boot hart */,
    };
    memcpy(rom, code, sizeof code);
    memcpy(rom + sizeof code, words, sizeof words);
    struct rom *r = rom_new(rom, sizeof rom, VIRT_MROM_SIZE);
    if (!r || vm_add_mmio(vm, VIRT_MROM_BASE, VIRT_MROM_SIZE, &rom_ops, r) < 0) {
        free(r);
        snprintf(err, errlen, "cannot map the boot ROM");
        return -1;
    }
    return 0;
}

static int write_dtb_file(const char *path, const void *fdt, size_t size,
                          char *err, size_t errlen)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(fdt, 1, size, f) != size || fclose(f) != 0) {
        snprintf(err, errlen, "cannot write device tree to '%s': %s", path, strerror(errno));
        if (f)
            fclose(f);
        return -1;
    }
    return 0;
}

/* Build the DT, place it and the initrd at the top of low RAM. */
static int place_fdt_and_initrd(struct vm *vm, char *err, size_t errlen)
{
    uint64_t initrd_size = 0;
    if (vm->cfg.initrd && boot_file_size(vm->cfg.initrd, "initrd", &initrd_size, err, errlen) < 0)
        return -1;
    /* First pass with dummy initrd addresses: only the size matters. */
    vm->initrd_base = 0;
    vm->initrd_end = initrd_size;
    size_t bufsize = 64 * 1024;
    uint8_t *fdt = malloc(bufsize);
    int size = fdt ? fdt_build(vm, fdt, bufsize, err, errlen) : -1;
    if (size < 0) {
        free(fdt);
        return -1;
    }
    uint64_t ram_end = VIRT_DRAM_BASE + vm->ram_size;
    uint64_t top = ram_end < 0xc0000000ULL ? ram_end : 0xc0000000ULL;
    vm->fdt_addr = ALIGN_DOWN(top - (uint64_t)size, 2 * MIB);
    int rc = 0;
    if (initrd_size) {
        if (initrd_size > vm->fdt_addr - VIRT_DRAM_BASE) {
            snprintf(err, errlen, "initrd '%s' (%" PRIu64 " MiB) does not fit in %" PRIu64
                     " MiB of RAM (see --mem)", vm->cfg.initrd,
                     (initrd_size + MIB - 1) / MIB, vm->ram_size / MIB);
            rc = -1;
        } else {
            vm->initrd_base = ALIGN_DOWN(vm->fdt_addr - initrd_size, 0x1000);
            vm->initrd_end = vm->initrd_base + initrd_size;
            rc = boot_load_raw(vm, vm->cfg.initrd, "initrd", vm->initrd_base, NULL, err, errlen);
        }
    }
    if (rc == 0 && fdt_build(vm, fdt, bufsize, err, errlen) != size) {
        snprintf(err, errlen, "device tree changed size");
        rc = -1;
    }
    if (rc == 0)
        rc = vm_claim_ram(vm, vm->fdt_addr, (uint64_t)size, "device tree", err, errlen);
    if (rc == 0)
        memcpy(vm_guest_ptr(vm, vm->fdt_addr, (uint64_t)size), fdt, (size_t)size);
    if (rc == 0 && vm->cfg.dtb_out)
        rc = write_dtb_file(vm->cfg.dtb_out, fdt, (size_t)size, err, errlen);
    free(fdt);
    return rc;
}

static int create_harts(struct vm *vm, char *err, size_t errlen)
{
    for (unsigned i = 0; i < vm->ncpus; i++) {
        vm->harts[i] = rv_cpu_new(&vm->bus, i);
        if (!vm->harts[i]) {
            snprintf(err, errlen, "cannot create vCPU %u: out of memory", i);
            return -1;
        }
        if (!vm->direct_boot)
            rv_cpu_reset(vm->harts[i], VIRT_MROM_BASE);
        else if (i == 0)
            rv_cpu_boot_supervisor(vm->harts[i], vm->entry, 0, vm->fdt_addr);
        else
            rv_cpu_boot_stopped(vm->harts[i]);
    }
    return 0;
}

int boot_prepare(struct vm *vm, char *err, size_t errlen)
{
    const struct vm_config *cfg = &vm->cfg;
    if (vm->direct_boot) {
        if (!cfg->kernel) {
            snprintf(err, errlen, "nothing to boot: give --kernel IMAGE or --bios FILE");
            return -1;
        }
        if (boot_load_kernel(vm, cfg->kernel, 0, err, errlen) < 0)
            return -1;
        vm->entry = vm->kernel_entry;
    } else if (strcmp(cfg->bios, "none") == 0) {
        /* QEMU's -bios none: the program itself runs in M mode from the
         * reset vector (raw binaries at the start of RAM). */
        if (!cfg->kernel) {
            snprintf(err, errlen, "--bios none needs --kernel PROGRAM");
            return -1;
        }
        if (boot_load_kernel(vm, cfg->kernel, VIRT_DRAM_BASE, err, errlen) < 0)
            return -1;
        vm->entry = vm->kernel_entry;
    } else {
        uint64_t fw_end;
        if (boot_load_firmware(vm, cfg->bios, &fw_end, err, errlen) < 0)
            return -1;
        if (cfg->kernel &&
            boot_load_kernel(vm, cfg->kernel, ALIGN_UP(fw_end, 2 * MIB), err, errlen) < 0)
            return -1;
    }
    if (place_fdt_and_initrd(vm, err, errlen) < 0)
        return -1;
    if (!vm->direct_boot && setup_mrom(vm, vm->kernel_entry, err, errlen) < 0)
        return -1;
    return create_harts(vm, err, errlen);
}
