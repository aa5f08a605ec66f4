/*
 * kernel.c — loading what runs first: the kernel (Linux Image, Image.gz,
 * vmlinux or any ELF; for firmware, also a raw payload such as U-Boot) and
 * the M-mode firmware (raw or ELF).  An ELF that defines `tohost` gets HTIF.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "dev/htif.h"
#include "machine/boot.h"
#include "machine/elf.h"
#include "machine/linux_image.h"
#include "machine/vm_impl.h"

#define MIB ((uint64_t)1 << 20)
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

/* HTIF: programs that define `tohost` report through it. */
static void *htif_guest_ptr(void *opaque, uint64_t gpa, uint64_t len)
{
    return vm_guest_ptr(opaque, gpa, len);
}

static void htif_console(void *opaque, const void *buf, size_t len)
{
    vm_console_write(opaque, buf, len);
}

static void htif_exit(void *opaque, uint64_t code)
{
    vm_request_exit(opaque, code ? VM_EXIT_FAIL : VM_EXIT_POWEROFF, (unsigned)code);
}

static int setup_htif(struct vm *vm, const uint8_t *elf, size_t size, const char *what,
                      char *err, size_t errlen)
{
    uint64_t tohost, fromhost = 0;
    if (vm->htif || !elf_find_symbol(elf, size, "tohost", &tohost))
        return 0;
    elf_find_symbol(elf, size, "fromhost", &fromhost);
    if (!vm_guest_ptr(vm, tohost, 8) || (tohost & 7) ||
        (fromhost && (!vm_guest_ptr(vm, fromhost, 8) || (fromhost & 7)))) {
        snprintf(err, errlen, "%s: HTIF tohost (0x%" PRIx64 ") / fromhost (0x%" PRIx64
                 ") must be aligned words in guest RAM", what, tohost, fromhost);
        return -1;
    }
    struct htif_backend be = {
        .opaque = vm, .guest_ptr = htif_guest_ptr, .console = htif_console, .exit = htif_exit,
    };
    uint64_t page = ALIGN_DOWN(tohost, 0x1000);
    vm->htif = htif_new(&be, page, tohost, fromhost);
    vm->bus.io_page = page;
    if (!vm->htif || vm_add_mmio(vm, page, 0x1000, &htif_ops, vm->htif) < 0) {
        snprintf(err, errlen, "%s: cannot set up HTIF", what);
        return -1;
    }
    vm->htif_tohost = tohost;
    vm->htif_fromhost = fromhost;
    return 0;
}

/* Image.gz: decompress straight into guest RAM at its load address. */
static int load_kernel_gz(struct vm *vm, const char *path, uint64_t fixed_base,
                          char *err, size_t errlen)
{
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(err, errlen, "cannot open kernel '%s': %s", path, strerror(errno));
        return -1;
    }
    uint8_t hdr[LINUX_IMAGE_HEADER_SIZE];
    struct linux_image img;
    char why[256];
    int rc = -1;
    int n = gzread(gz, hdr, sizeof hdr);
    if (n != (int)sizeof hdr ||
        linux_image_parse(hdr, sizeof hdr, sizeof hdr, &img, why, sizeof why) < 0) {
        snprintf(err, errlen, "kernel '%s': gzip-compressed, but %s", path,
                 n == (int)sizeof hdr ? why : "corrupt or too short");
        goto out;
    }
    uint64_t base = fixed_base ? fixed_base : VIRT_DRAM_BASE + img.text_offset;
    uint64_t ram_end = VIRT_DRAM_BASE + vm->ram_size;
    bool size_known = img.image_size > sizeof hdr;   /* 0 in old headers */
    uint64_t limit = size_known ? img.image_size : (base < ram_end ? ram_end - base : 0);
    if (base >= ram_end || limit > ram_end - base) {
        snprintf(err, errlen, "kernel '%s' needs %" PRIu64 " MiB at 0x%" PRIx64
                 ": it does not fit in %" PRIu64 " MiB of RAM (see --mem)", path,
                 (limit + MIB - 1) / MIB, base, vm->ram_size / MIB);
        goto out;
    }
    if (size_known && vm_claim_ram(vm, base, limit, "kernel", err, errlen) < 0)
        goto out;
    uint8_t *dst = vm_guest_ptr(vm, base, limit);
    memcpy(dst, hdr, sizeof hdr);
    uint64_t got = sizeof hdr;
    for (;;) {
        uint64_t room = limit - got;
        unsigned chunk = room > (1u << 30) ? (1u << 30) : (unsigned)room;
        if (chunk == 0) {
            uint8_t probe;
            if (gzread(gz, &probe, 1) > 0) {
                snprintf(err, errlen, "kernel '%s': decompresses to more than its "
                         "image_size (%" PRIu64 " bytes)", path, limit);
                goto out;
            }
            break;
        }
        int k = gzread(gz, dst + got, chunk);
        if (k < 0) {
            int zerr;
            snprintf(err, errlen, "kernel: %s", gzerror(gz, &zerr));
            goto out;
        }
        if (k == 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            if (zerr != Z_OK && zerr != Z_STREAM_END) {   /* truncated file */
                snprintf(err, errlen, "kernel: %s (truncated or corrupt)", msg);
                goto out;
            }
            break;
        }
        got += (uint64_t)k;
    }
    if (!size_known && vm_claim_ram(vm, base, got, "kernel", err, errlen) < 0)
        goto out;
    vm->kernel_entry = vm->kernel_base = base;
    vm->kernel_end = base + (size_known ? limit : got);
    rc = 0;
out:
    gzclose(gz);
    return rc;
}

/*
 * Load the kernel (direct boot) or the firmware's payload (fixed_base set,
 * --bios): a Linux Image, an ELF, or (payload only) any raw binary such as
 * U-Boot.
 */
int boot_load_kernel(struct vm *vm, const char *path, uint64_t fixed_base,
                       char *err, size_t errlen)
{
    struct stat st;
    int fd = boot_open_file(path, "kernel", &st, err, errlen);
    if (fd < 0)
        return -1;
    uint8_t hdr[LINUX_IMAGE_HEADER_SIZE] = { 0 };
    size_t hlen = (size_t)st.st_size < sizeof hdr ? (size_t)st.st_size : sizeof hdr;
    if (boot_read_exact(fd, hdr, hlen, 0, "kernel", path, err, errlen) < 0) {
        close(fd);
        return -1;
    }
    close(fd);

    if (hlen >= 2 && hdr[0] == 0x1f && hdr[1] == 0x8b)
        return load_kernel_gz(vm, path, fixed_base, err, errlen);
    if (elf_is_elf(hdr, hlen)) {
        uint8_t *data;
        size_t size;
        if (boot_read_file(path, "kernel", &data, &size, err, errlen) < 0)
            return -1;
        /* A Linux vmlinux has physical addresses from 0 (and a virtual
         * entry): place it like its Image, 2 MiB into RAM. */
        uint64_t lowest = 0, bias = 0;
        if (elf_lowest_paddr(data, size, &lowest) && lowest < VIRT_DRAM_BASE)
            bias = (fixed_base ? fixed_base : VIRT_DRAM_BASE + 2 * MIB) - lowest;
        int rc = elf_load(vm, data, size, "kernel", bias, &vm->kernel_entry,
                          &vm->kernel_base, &vm->kernel_end, err, errlen);
        if (rc == 0)
            rc = setup_htif(vm, data, size, "kernel", err, errlen);
        free(data);
        return rc;
    }

    struct linux_image img;
    char why[256];
    if (linux_image_parse(hdr, hlen, (uint64_t)st.st_size, &img, why, sizeof why) < 0) {
        if (!fixed_base) {
            snprintf(err, errlen, "kernel '%s': %s", path, why);
            return -1;
        }
        /* A raw payload for the firmware (U-Boot, a test program). */
        img.image_size = (uint64_t)st.st_size;
        img.text_offset = 0;
    }
    uint64_t base = fixed_base ? fixed_base : VIRT_DRAM_BASE + img.text_offset;
    if (base + img.image_size > VIRT_DRAM_BASE + vm->ram_size) {
        snprintf(err, errlen, "kernel '%s' needs %" PRIu64 " MiB at 0x%" PRIx64
                 ": it does not fit in %" PRIu64 " MiB of RAM (see --mem)", path,
                 (img.image_size + MIB - 1) / MIB, base, vm->ram_size / MIB);
        return -1;
    }
    /* The whole image (bss included) is the kernel's. */
    if (boot_load_file(vm, path, "kernel", base, img.image_size, NULL, err, errlen) < 0)
        return -1;
    vm->kernel_entry = base;
    vm->kernel_base = base;
    vm->kernel_end = base + img.image_size;
    return 0;
}

int boot_load_firmware(struct vm *vm, const char *path, uint64_t *fw_end,
                         char *err, size_t errlen)
{
    uint8_t *data;
    size_t size;
    if (boot_read_file(path, "firmware", &data, &size, err, errlen) < 0)
        return -1;
    int rc;
    if (elf_is_elf(data, size)) {
        uint64_t lo;
        rc = elf_load(vm, data, size, "firmware", 0, &vm->entry, &lo, fw_end, err, errlen);
        if (rc == 0)
            rc = setup_htif(vm, data, size, "firmware", err, errlen);
    } else if (size == 0) {
        snprintf(err, errlen, "firmware '%s' is empty", path);
        rc = -1;
    } else {
        rc = vm_claim_ram(vm, VIRT_DRAM_BASE, size, "firmware", err, errlen);
        if (rc == 0) {
            memcpy(vm_guest_ptr(vm, VIRT_DRAM_BASE, size), data, size);
            vm->entry = VIRT_DRAM_BASE;
            *fw_end = VIRT_DRAM_BASE + size;
        }
    }
    free(data);
    return rc;
}
