/*
 * boot.c — what is in RAM and where the harts start.
 *
 * Direct boot (default): the kernel (Linux Image, plain or gzipped, at
 * RAM + text_offset, or an ELF at its physical addresses) starts on hart 0 in S mode with
 * a0 = 0, a1 = DT; the other harts wait STOPPED for SBI HSM hart_start;
 * Vessel itself is the SBI.
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
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "dev/htif.h"
#include "dev/rom.h"
#include "machine/boot.h"
#include "machine/elf.h"
#include "machine/linux_image.h"
#include "machine/vm_impl.h"

#define MIB ((uint64_t)1 << 20)
#define ALIGN_UP(x, a)   (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))

#define FW_DYNAMIC_INFO_MAGIC   0x4942534fULL   /* "OSBI" */
#define FW_DYNAMIC_INFO_VERSION 2
#define FW_DYNAMIC_NEXT_MODE_S  1

static int open_file(const char *path, const char *what, struct stat *st,
                     char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s '%s': %s", what, path, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        snprintf(err, errlen, "%s '%s' is not a regular file", what, path);
        close(fd);
        return -1;
    }
    return fd;
}

static int read_exact(int fd, void *buf, size_t len, uint64_t off, const char *what,
                      const char *path, char *err, size_t errlen)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len > (1u << 30) ? (1u << 30) : len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "cannot read %s '%s': %s", what, path,
                     n < 0 ? strerror(errno) : "file shrank while reading");
            return -1;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int boot_read_file(const char *path, const char *what, uint8_t **data, size_t *size,
                   char *err, size_t errlen)
{
    struct stat st;
    int fd = open_file(path, what, &st, err, errlen);
    if (fd < 0)
        return -1;
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        snprintf(err, errlen, "%s '%s': out of memory", what, path);
        close(fd);
        return -1;
    }
    if (read_exact(fd, buf, len, 0, what, path, err, errlen) < 0) {
        free(buf);
        close(fd);
        return -1;
    }
    close(fd);
    *data = buf;
    *size = len;
    return 0;
}

/* Copy a file to guest RAM at addr, claiming max(reserve, file size). */
static int load_file(struct vm *vm, const char *path, const char *what, uint64_t addr,
                     uint64_t reserve, uint64_t *size_out, char *err, size_t errlen)
{
    struct stat st;
    int fd = open_file(path, what, &st, err, errlen);
    if (fd < 0)
        return -1;
    uint64_t size = (uint64_t)st.st_size;
    int rc = -1;
    if (size == 0) {
        snprintf(err, errlen, "%s '%s' is empty", what, path);
    } else if (vm_claim_ram(vm, addr, reserve > size ? reserve : size, what,
                            err, errlen) == 0) {
        rc = read_exact(fd, vm_guest_ptr(vm, addr, size), size, 0, what, path, err, errlen);
    }
    close(fd);
    if (rc == 0 && size_out)
        *size_out = size;
    return rc;
}

int boot_load_raw(struct vm *vm, const char *path, const char *what, uint64_t addr,
                  uint64_t *size_out, char *err, size_t errlen)
{
    return load_file(vm, path, what, addr, 0, size_out, err, errlen);
}

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
static int load_kernel(struct vm *vm, const char *path, uint64_t fixed_base,
                       char *err, size_t errlen)
{
    struct stat st;
    int fd = open_file(path, "kernel", &st, err, errlen);
    if (fd < 0)
        return -1;
    uint8_t hdr[LINUX_IMAGE_HEADER_SIZE] = { 0 };
    size_t hlen = (size_t)st.st_size < sizeof hdr ? (size_t)st.st_size : sizeof hdr;
    if (read_exact(fd, hdr, hlen, 0, "kernel", path, err, errlen) < 0) {
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
    if (load_file(vm, path, "kernel", base, img.image_size, NULL, err, errlen) < 0)
        return -1;
    vm->kernel_entry = base;
    vm->kernel_base = base;
    vm->kernel_end = base + img.image_size;
    return 0;
}

static int load_firmware(struct vm *vm, const char *path, uint64_t *fw_end,
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

static int file_size(const char *path, const char *what, uint64_t *size,
                     char *err, size_t errlen)
{
    struct stat st;
    int fd = open_file(path, what, &st, err, errlen);
    if (fd < 0)
        return -1;
    close(fd);
    if (st.st_size == 0) {
        snprintf(err, errlen, "%s '%s' is empty", what, path);
        return -1;
    }
    *size = (uint64_t)st.st_size;
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
    if (vm->cfg.initrd && file_size(vm->cfg.initrd, "initrd", &initrd_size, err, errlen) < 0)
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
        if (load_kernel(vm, cfg->kernel, 0, err, errlen) < 0)
            return -1;
        vm->entry = vm->kernel_entry;
    } else if (strcmp(cfg->bios, "none") == 0) {
        /* QEMU's -bios none: the program itself runs in M mode from the
         * reset vector (raw binaries at the start of RAM). */
        if (!cfg->kernel) {
            snprintf(err, errlen, "--bios none needs --kernel PROGRAM");
            return -1;
        }
        if (load_kernel(vm, cfg->kernel, VIRT_DRAM_BASE, err, errlen) < 0)
            return -1;
        vm->entry = vm->kernel_entry;
    } else {
        uint64_t fw_end;
        if (load_firmware(vm, cfg->bios, &fw_end, err, errlen) < 0)
            return -1;
        if (cfg->kernel &&
            load_kernel(vm, cfg->kernel, ALIGN_UP(fw_end, 2 * MIB), err, errlen) < 0)
            return -1;
    }
    if (place_fdt_and_initrd(vm, err, errlen) < 0)
        return -1;
    if (!vm->direct_boot && setup_mrom(vm, vm->kernel_entry, err, errlen) < 0)
        return -1;
    return create_harts(vm, err, errlen);
}
