/*
 * fdt.c — the device tree of a VM, built with libfdt's sequential-write
 * API.  It describes exactly what the board has, with QEMU virt's node
 * names and compatible strings, so that Linux, OpenSBI and U-Boot find
 * their drivers as on QEMU.
 */
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include "dev/aclint.h"
#include "dev/goldfish_rtc.h"
#include "dev/plic.h"
#include "dev/sifive_test.h"
#include "dev/uart16550.h"
#include "machine/vm_impl.h"

enum { PH_PLIC = 1, PH_TEST = 2, PH_CPU0 = 3 };   /* cpu i: 3+2i, its intc 4+2i */
#define PH_CPU(i)  (PH_CPU0 + 2 * (i))
#define PH_INTC(i) (PH_CPU0 + 2 * (i) + 1)

#define TRY(x) do { int rc_ = (x); if (rc_ < 0) return rc_; } while (0)

static int prop_reg(void *fdt, uint64_t base, uint64_t size)
{
    fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };
    return fdt_property(fdt, "reg", reg, sizeof reg);
}

static int prop_strings(void *fdt, const char *name, const char *const *strs, unsigned n)
{
    char buf[256];
    size_t len = 0;
    for (unsigned i = 0; i < n; i++) {
        size_t l = strlen(strs[i]) + 1;
        if (len + l > sizeof buf)
            return -FDT_ERR_NOSPACE;
        memcpy(buf + len, strs[i], l);
        len += l;
    }
    return fdt_property(fdt, name, buf, (int)len);
}

/* riscv,isa-base and riscv,isa-extensions (newer kernels) from the
 * riscv,isa string: "rv64imafdc_zicsr_..." -> "i","m",...,"zicsr",... */
static int prop_isa_extensions(void *fdt, const char *isa)
{
    char base[8] = "rv64i";
    TRY(fdt_property_string(fdt, "riscv,isa-base", base));
    char buf[512];
    size_t len = 0;
    const char *p = isa + 4;   /* after "rv64" */
    while (*p && *p != '_' && len + 2 <= sizeof buf) {
        buf[len++] = *p++;
        buf[len++] = '\0';
    }
    while (*p == '_') {
        const char *start = ++p;
        while (*p && *p != '_')
            p++;
        size_t l = (size_t)(p - start);
        if (l == 0 || len + l + 1 > sizeof buf)
            continue;
        memcpy(buf + len, start, l);
        buf[len + l] = '\0';
        len += l + 1;
    }
    return fdt_property(fdt, "riscv,isa-extensions", buf, (int)len);
}

static int cpus_node(struct vm *vm, void *fdt)
{
    TRY(fdt_begin_node(fdt, "cpus"));
    TRY(fdt_property_u32(fdt, "#address-cells", 1));
    TRY(fdt_property_u32(fdt, "#size-cells", 0));
    TRY(fdt_property_u32(fdt, "timebase-frequency", (uint32_t)VM_TIMEBASE_HZ));
    for (unsigned i = 0; i < vm->ncpus; i++) {
        char name[32];
        snprintf(name, sizeof name, "cpu@%u", i);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_u32(fdt, "phandle", PH_CPU(i)));
        TRY(fdt_property_string(fdt, "device_type", "cpu"));
        TRY(fdt_property_u32(fdt, "reg", i));
        TRY(fdt_property_string(fdt, "status", "okay"));
        TRY(fdt_property_string(fdt, "compatible", "riscv"));
        TRY(fdt_property_string(fdt, "riscv,isa", RV_CPU_ISA_STRING));
        TRY(prop_isa_extensions(fdt, RV_CPU_ISA_STRING));
        TRY(fdt_property_string(fdt, "mmu-type", RV_CPU_MMU_TYPE));
        TRY(fdt_begin_node(fdt, "interrupt-controller"));
        TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
        TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
        TRY(fdt_property_string(fdt, "compatible", "riscv,cpu-intc"));
        TRY(fdt_property_u32(fdt, "phandle", PH_INTC(i)));
        TRY(fdt_end_node(fdt));
        TRY(fdt_end_node(fdt));
    }
    TRY(fdt_begin_node(fdt, "cpu-map"));
    TRY(fdt_begin_node(fdt, "cluster0"));
    for (unsigned i = 0; i < vm->ncpus; i++) {
        char name[32];
        snprintf(name, sizeof name, "core%u", i);
        TRY(fdt_begin_node(fdt, name));
        TRY(fdt_property_u32(fdt, "cpu", PH_CPU(i)));
        TRY(fdt_end_node(fdt));
    }
    TRY(fdt_end_node(fdt));
    TRY(fdt_end_node(fdt));
    return fdt_end_node(fdt);
}

/* A device on the PLIC: reg, interrupts, compatible. */
static int irq_device(void *fdt, const char *node, const char *compat,
                      uint64_t base, uint64_t size, unsigned irq)
{
    char name[64];
    snprintf(name, sizeof name, "%s@%" PRIx64, node, base);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_u32(fdt, "interrupts", irq));
    TRY(fdt_property_u32(fdt, "interrupt-parent", PH_PLIC));
    TRY(prop_reg(fdt, base, size));
    TRY(fdt_property_string(fdt, "compatible", compat));
    return 0;   /* caller ends the node */
}

static int interrupts_extended(struct vm *vm, void *fdt, unsigned irq_m, unsigned irq_s)
{
    fdt32_t cells[VM_MAX_CPUS * 4];
    for (unsigned i = 0; i < vm->ncpus; i++) {
        cells[4 * i + 0] = cpu_to_fdt32(PH_INTC(i));
        cells[4 * i + 1] = cpu_to_fdt32(irq_m);
        cells[4 * i + 2] = cpu_to_fdt32(PH_INTC(i));
        cells[4 * i + 3] = cpu_to_fdt32(irq_s);
    }
    return fdt_property(fdt, "interrupts-extended", cells, (int)(vm->ncpus * 4 * sizeof cells[0]));
}

static int soc_node(struct vm *vm, void *fdt)
{
    TRY(fdt_begin_node(fdt, "soc"));
    TRY(fdt_property_u32(fdt, "#address-cells", 2));
    TRY(fdt_property_u32(fdt, "#size-cells", 2));
    TRY(fdt_property_string(fdt, "compatible", "simple-bus"));
    TRY(fdt_property(fdt, "ranges", NULL, 0));

    TRY(irq_device(fdt, "rtc", "google,goldfish-rtc", VIRT_RTC_BASE,
                   GOLDFISH_RTC_MMIO_SIZE, VIRT_RTC_IRQ));
    TRY(fdt_end_node(fdt));

    TRY(irq_device(fdt, "serial", "ns16550a", VIRT_UART0_BASE, UART16550_MMIO_SIZE,
                   VIRT_UART0_IRQ));
    TRY(fdt_property_u32(fdt, "clock-frequency", 3686400));
    TRY(fdt_end_node(fdt));

    TRY(fdt_begin_node(fdt, "test@100000"));
    TRY(fdt_property_u32(fdt, "phandle", PH_TEST));
    TRY(prop_reg(fdt, VIRT_TEST_BASE, SIFIVE_TEST_MMIO_SIZE));
    static const char *const test_compat[] = { "sifive,test1", "sifive,test0", "syscon" };
    TRY(prop_strings(fdt, "compatible", test_compat, 3));
    TRY(fdt_end_node(fdt));

    /* All 8 slots, claimed or not, in address order: Linux probes them in
     * this order, so the first --disk becomes vda. */
    for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
        TRY(irq_device(fdt, "virtio_mmio", "virtio,mmio",
                       VIRT_VIRTIO_BASE + i * VIRT_VIRTIO_SIZE, VIRT_VIRTIO_SIZE,
                       VIRT_VIRTIO_IRQ + i));
        TRY(fdt_end_node(fdt));
    }

    TRY(fdt_begin_node(fdt, "plic@c000000"));
    TRY(fdt_property_u32(fdt, "phandle", PH_PLIC));
    TRY(fdt_property_u32(fdt, "riscv,ndev", VIRT_PLIC_SOURCES));
    TRY(prop_reg(fdt, VIRT_PLIC_BASE, plic_mmio_size(vm->ncpus)));
    TRY(interrupts_extended(vm, fdt, RV_IRQ_MEI, RV_IRQ_SEI));
    TRY(fdt_property(fdt, "interrupt-controller", NULL, 0));
    static const char *const plic_compat[] = { "sifive,plic-1.0.0", "riscv,plic0" };
    TRY(prop_strings(fdt, "compatible", plic_compat, 2));
    TRY(fdt_property_u32(fdt, "#address-cells", 0));
    TRY(fdt_property_u32(fdt, "#interrupt-cells", 1));
    TRY(fdt_end_node(fdt));

    TRY(fdt_begin_node(fdt, "clint@2000000"));
    TRY(interrupts_extended(vm, fdt, RV_IRQ_MSI, RV_IRQ_MTI));
    TRY(prop_reg(fdt, VIRT_ACLINT_BASE, ACLINT_MMIO_SIZE));
    static const char *const clint_compat[] = { "sifive,clint0", "riscv,clint0" };
    TRY(prop_strings(fdt, "compatible", clint_compat, 2));
    TRY(fdt_end_node(fdt));

    return fdt_end_node(fdt);
}

static int syscon_node(void *fdt, const char *name, const char *compat, uint32_t value)
{
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_u32(fdt, "value", value));
    TRY(fdt_property_u32(fdt, "offset", 0));
    TRY(fdt_property_u32(fdt, "regmap", PH_TEST));
    TRY(fdt_property_string(fdt, "compatible", compat));
    return fdt_end_node(fdt);
}

static int chosen_node(struct vm *vm, void *fdt)
{
    TRY(fdt_begin_node(fdt, "chosen"));
    if (vm->cfg.append && vm->cfg.append[0])
        TRY(fdt_property_string(fdt, "bootargs", vm->cfg.append));
    TRY(fdt_property_string(fdt, "stdout-path", "/soc/serial@10000000"));
    if (vm->initrd_end > vm->initrd_base) {
        TRY(fdt_property_u64(fdt, "linux,initrd-start", vm->initrd_base));
        TRY(fdt_property_u64(fdt, "linux,initrd-end", vm->initrd_end));
    }
    /* Entropy for the guest's RNG at boot. */
    uint8_t seed[32];
    if (getrandom(seed, sizeof seed, GRND_NONBLOCK) == (ssize_t)sizeof seed)
        TRY(fdt_property(fdt, "rng-seed", seed, sizeof seed));
    return fdt_end_node(fdt);
}

static int build(struct vm *vm, void *fdt, size_t size)
{
    TRY(fdt_create(fdt, (int)size));
    TRY(fdt_finish_reservemap(fdt));
    TRY(fdt_begin_node(fdt, ""));
    TRY(fdt_property_u32(fdt, "#address-cells", 2));
    TRY(fdt_property_u32(fdt, "#size-cells", 2));
    TRY(fdt_property_string(fdt, "compatible", "riscv-virtio"));
    TRY(fdt_property_string(fdt, "model", "riscv-virtio,vessel"));
    TRY(chosen_node(vm, fdt));
    TRY(syscon_node(fdt, "poweroff", "syscon-poweroff", SIFIVE_TEST_PASS));
    TRY(syscon_node(fdt, "reboot", "syscon-reboot", SIFIVE_TEST_RESET));
    char name[64];
    snprintf(name, sizeof name, "memory@%llx", VIRT_DRAM_BASE);
    TRY(fdt_begin_node(fdt, name));
    TRY(fdt_property_string(fdt, "device_type", "memory"));
    TRY(prop_reg(fdt, VIRT_DRAM_BASE, vm->ram_size));
    TRY(fdt_end_node(fdt));
    TRY(cpus_node(vm, fdt));
    TRY(soc_node(vm, fdt));
    TRY(fdt_end_node(fdt));
    return fdt_finish(fdt);
}

int fdt_build(struct vm *vm, void *buf, size_t bufsize, char *err, size_t errlen)
{
    int rc = build(vm, buf, bufsize);
    if (rc < 0) {
        snprintf(err, errlen, "device tree: %s", fdt_strerror(rc));
        return -1;
    }
    return (int)fdt_totalsize(buf);
}
