/*
 * Unit test: whole VMs.  Two VMs live in one process and run at the same
 * time without touching each other; the bus turns bad accesses into
 * faults; DMA checks guest addresses; the device tree reads back with
 * libfdt; boot errors are messages, not crashes.
 */
#include <fcntl.h>
#include <libfdt.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>
#include "dev/aclint.h"
#include "machine/vm_impl.h"
#include "machine/check.h"

/* M-mode firmware: print one character on the UART, power off. */
static void write_firmware(const char *path, char ch)
{
    uint32_t code[] = {
        0x100002b7,                          /* lui  t0, 0x10000      (UART)  */
        0x00000313 | (uint32_t)ch << 20,     /* addi t1, zero, ch             */
        0x00628023,                          /* sb   t1, 0(t0)                */
        0x001002b7,                          /* lui  t0, 0x100        (test)  */
        0x00005337,                          /* lui  t1, 0x5                  */
        0x55530313,                          /* addi t1, t1, 0x555            */
        0x0062a023,                          /* sw   t1, 0(t0)        (pass)  */
        0x0000006f,                          /* j    .                        */
    };
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, code, sizeof code) == (ssize_t)sizeof code);
    close(fd);
}

struct runner {
    struct vm *vm;
    struct vm_exit exit;
};

static void *run_vm(void *arg)
{
    struct runner *r = arg;
    r->exit = vm_run(r->vm);
    return NULL;
}

static size_t drain(int fd, char *buf, size_t len)
{
    size_t n = 0;
    ssize_t k;
    while (n < len && (k = read(fd, buf + n, len - n)) > 0)
        n += (size_t)k;
    return n;
}

static void test_two_vms(const char *dir)
{
    char fw_a[256], fw_b[256], err[512];
    snprintf(fw_a, sizeof fw_a, "%s/a.bin", dir);
    snprintf(fw_b, sizeof fw_b, "%s/b.bin", dir);
    write_firmware(fw_a, 'A');
    write_firmware(fw_b, 'B');
    int pa[2], pb[2];
    CHECK(pipe(pa) == 0 && pipe(pb) == 0);

    struct vm_config ca, cb;
    vm_config_init(&ca);
    ca.ram_size = 16 << 20;
    ca.bios = fw_a;
    ca.console_in = -1;
    ca.console_out = pa[1];
    ca.timeout = 30;
    cb = ca;
    cb.ram_size = 32 << 20;
    cb.ncpus = 2;
    cb.bios = fw_b;
    cb.console_out = pb[1];

    struct vm *a = vm_create(&ca, err, sizeof err);
    struct vm *b = vm_create(&cb, err, sizeof err);
    CHECK(a && b);
    if (!a || !b)
        return;
    CHECK_EQ(vm_ncpus(a), 1);
    CHECK_EQ(vm_ncpus(b), 2);

    /* Device state is per VM: the UART scratch register. */
    uint64_t v = 0;
    CHECK(vm_mmio_write(a, VIRT_UART0_BASE + 7, 1, 0x11));
    CHECK(vm_mmio_write(b, VIRT_UART0_BASE + 7, 1, 0x22));
    CHECK(vm_mmio_read(a, VIRT_UART0_BASE + 7, 1, &v));
    CHECK_EQ(v, 0x11);
    CHECK(vm_mmio_read(b, VIRT_UART0_BASE + 7, 1, &v));
    CHECK_EQ(v, 0x22);
    /* RAM is per VM. */
    CHECK(vm_guest_ptr(a, VIRT_DRAM_BASE, 8) != vm_guest_ptr(b, VIRT_DRAM_BASE, 8));
    CHECK(vm_guest_ptr(a, VIRT_DRAM_BASE + (16 << 20), 1) == NULL);
    CHECK(vm_guest_ptr(b, VIRT_DRAM_BASE + (16 << 20), 1) != NULL);

    /* Both run at once, each on its own threads. */
    struct runner ra = { a, { 0 } }, rb = { b, { 0 } };
    pthread_t ta, tb;
    pthread_create(&ta, NULL, run_vm, &ra);
    pthread_create(&tb, NULL, run_vm, &rb);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_EQ(ra.exit.kind, VM_EXIT_POWEROFF);
    CHECK_EQ(rb.exit.kind, VM_EXIT_POWEROFF);
    vm_destroy(a);
    vm_destroy(b);
    close(pa[1]);
    close(pb[1]);
    char out[16];
    size_t n = drain(pa[0], out, sizeof out);
    CHECK(n == 1 && out[0] == 'A');
    n = drain(pb[0], out, sizeof out);
    CHECK(n >= 1 && n <= 2 && out[0] == 'B');     /* each hart may print */
    close(pa[0]);
    close(pb[0]);
}

static struct vm *make_vm(const char *fw, unsigned ncpus, const char *initrd)
{
    struct vm_config c;
    char err[512];
    vm_config_init(&c);
    c.ram_size = 64 << 20;
    c.ncpus = ncpus;
    c.bios = fw;
    c.initrd = initrd;
    c.append = "console=ttyS0 hello";
    c.console_in = c.console_out = -1;
    struct vm *vm = vm_create(&c, err, sizeof err);
    if (!vm)
        fprintf(stderr, "vm_create: %s\n", err);
    return vm;
}

static void test_bus(const char *fw)
{
    struct vm *vm = make_vm(fw, 1, NULL);
    CHECK(vm != NULL);
    if (!vm)
        return;
    uint64_t v;
    /* Nothing mapped, misaligned, odd sizes, straddling a region's end. */
    CHECK(!vm_mmio_read(vm, 0x0, 4, &v));
    CHECK(!vm_mmio_read(vm, 0x40000000, 4, &v));
    CHECK(!vm_mmio_read(vm, VIRT_PLIC_BASE + 2, 4, &v));
    CHECK(!vm_mmio_read(vm, VIRT_PLIC_BASE, 3, &v));
    CHECK(!vm_mmio_read(vm, VIRT_PLIC_BASE, 16, &v));
    CHECK(!vm_mmio_write(vm, VIRT_MROM_BASE, 4, 0));          /* ROM */
    CHECK(!vm_mmio_read(vm, VIRT_ACLINT_BASE + 0xfffc, 8, &v));
    /* What is there works. */
    CHECK(vm_mmio_read(vm, VIRT_ACLINT_BASE + ACLINT_MTIME, 8, &v));
    CHECK(vm_mmio_read(vm, VIRT_VIRTIO_BASE + 7 * VIRT_VIRTIO_SIZE, 4, &v));
    CHECK_EQ(v, 0x74726976);
    CHECK(vm_mmio_read(vm, VIRT_VIRTIO_BASE + 8, 4, &v));
    CHECK_EQ(v, 0);                                        /* DeviceID 0 */
    CHECK(vm_mmio_read(vm, VIRT_MROM_BASE, 4, &v));
    CHECK_EQ(v, 0x00000297);                               /* auipc t0, 0 */
    /* Regions cannot overlap each other or RAM. */
    static const struct dev_ops dummy = { .name = "dummy" };
    CHECK(vm_add_mmio(vm, VIRT_UART0_BASE + 0x80, 0x10, &dummy, NULL) < 0);
    CHECK(vm_add_mmio(vm, VIRT_DRAM_BASE + 0x1000, 0x1000, &dummy, NULL) < 0);
    CHECK(vm_add_mmio(vm, UINT64_MAX - 10, 0x1000, &dummy, NULL) < 0);
    CHECK(vm_add_mmio(vm, 0x30000000, 0x1000, &dummy, NULL) == 0);
    /* DMA range checks. */
    CHECK(vm_guest_ptr(vm, VIRT_DRAM_BASE - 1, 1) == NULL);
    CHECK(vm_guest_ptr(vm, VIRT_DRAM_BASE, 64 << 20) != NULL);
    CHECK(vm_guest_ptr(vm, VIRT_DRAM_BASE, (64 << 20) + 1) == NULL);
    CHECK(vm_guest_ptr(vm, VIRT_DRAM_BASE + (64 << 20) - 4, 4) != NULL);
    CHECK(vm_guest_ptr(vm, VIRT_DRAM_BASE + 8, UINT64_MAX) == NULL);
    CHECK(vm_guest_ptr(vm, UINT64_MAX - 3, 8) == NULL);
    /* Virtio slots: all 8 were filled with empty ones at creation. */
    uint64_t base;
    unsigned irq;
    CHECK(vm_virtio_slot_alloc(vm, &base, &irq) < 0);
    vm_destroy(vm);
}

static void test_fdt(const char *fw, const char *initrd)
{
    struct vm *vm = make_vm(fw, 3, initrd);
    CHECK(vm != NULL);
    if (!vm)
        return;
    const void *fdt = vm_guest_ptr(vm, vm->fdt_addr, 64);
    CHECK(fdt && fdt_check_header(fdt) == 0);
    CHECK_EQ(vm->fdt_addr, 0x83e00000);           /* 2 MiB below the top of 64 MiB */
    int len;
    const char *s = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "bootargs", &len);
    CHECK(s && strcmp(s, "console=ttyS0 hello") == 0);
    const fdt64_t *p64 = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "linux,initrd-start", &len);
    CHECK(p64 && len == 8 && fdt64_ld(p64) == vm->initrd_base);
    p64 = fdt_getprop(fdt, fdt_path_offset(fdt, "/chosen"), "linux,initrd-end", &len);
    CHECK(p64 && fdt64_ld(p64) == vm->initrd_base + 11);
    CHECK(memcmp(vm_guest_ptr(vm, vm->initrd_base, 11), "initrd-data", 11) == 0);
    CHECK(vm->initrd_base + 11 <= vm->fdt_addr);
    p64 = fdt_getprop(fdt, fdt_path_offset(fdt, "/memory@80000000"), "reg", &len);
    CHECK(p64 && len == 16 && fdt64_ld(p64) == 0x80000000 &&
          fdt64_ld(p64 + 1) == 64 << 20);
    CHECK(fdt_path_offset(fdt, "/cpus/cpu@2/interrupt-controller") >= 0);
    CHECK(fdt_path_offset(fdt, "/cpus/cpu@3") < 0);
    s = fdt_getprop(fdt, fdt_path_offset(fdt, "/cpus/cpu@0"), "riscv,isa", &len);
    CHECK(s && strncmp(s, "rv64imafdc", 10) == 0);
    const fdt32_t *p32 = fdt_getprop(fdt, fdt_path_offset(fdt, "/cpus"), "timebase-frequency", &len);
    CHECK(p32 && fdt32_to_cpu(*p32) == 10000000);
    int plic = fdt_path_offset(fdt, "/soc/plic@c000000");
    CHECK(plic >= 0 && fdt_node_check_compatible(fdt, plic, "riscv,plic0") == 0);
    p32 = fdt_getprop(fdt, plic, "riscv,ndev", &len);
    CHECK(p32 && fdt32_to_cpu(*p32) == 96);
    p32 = fdt_getprop(fdt, plic, "interrupts-extended", &len);
    CHECK(p32 && len == 3 * 4 * 4);
    if (p32) {   /* hart 2: its intc, 11 (M external), its intc, 9 (S external) */
        int intc2 = fdt_path_offset(fdt, "/cpus/cpu@2/interrupt-controller");
        CHECK_EQ(fdt32_to_cpu(p32[8]), fdt_get_phandle(fdt, intc2));
        CHECK_EQ(fdt32_to_cpu(p32[9]), 11);
        CHECK_EQ(fdt32_to_cpu(p32[11]), 9);
    }
    int n = 0;
    for (int off = fdt_node_offset_by_compatible(fdt, -1, "virtio,mmio"); off >= 0;
         off = fdt_node_offset_by_compatible(fdt, off, "virtio,mmio"))
        n++;
    CHECK_EQ(n, 8);
    int uart = fdt_path_offset(fdt, "/soc/serial@10000000");
    p32 = fdt_getprop(fdt, uart, "interrupts", &len);
    CHECK(p32 && fdt32_to_cpu(*p32) == 10);
    p32 = fdt_getprop(fdt, uart, "interrupt-parent", &len);
    CHECK(p32 && fdt32_to_cpu(*p32) == (uint32_t)fdt_get_phandle(fdt, plic));
    int poweroff = fdt_path_offset(fdt, "/poweroff");
    p32 = fdt_getprop(fdt, poweroff, "value", &len);
    CHECK(p32 && fdt32_to_cpu(*p32) == 0x5555);
    p32 = fdt_getprop(fdt, poweroff, "regmap", &len);
    CHECK(p32 && fdt32_to_cpu(*p32) ==
          (uint32_t)fdt_get_phandle(fdt, fdt_path_offset(fdt, "/soc/test@100000")));
    vm_destroy(vm);
}

static void expect_create_error(struct vm_config *c, const char *msg)
{
    char err[512] = "";
    struct vm *vm = vm_create(c, err, sizeof err);
    CHECK(vm == NULL);
    if (vm)
        vm_destroy(vm);
    else if (!strstr(err, msg))
        fprintf(stderr, "error '%s' lacks '%s'\n", err, msg), check_failures++;
}

static void test_errors(const char *dir, const char *fw)
{
    struct vm_config c;
    vm_config_init(&c);
    c.console_in = c.console_out = -1;
    expect_create_error(&c, "nothing to boot");
    c.kernel = "/nonexistent";
    expect_create_error(&c, "cannot open kernel");
    c.kernel = fw;   /* raw code, no Image header */
    expect_create_error(&c, "RISC-V Linux Image");
    c.ncpus = VM_MAX_CPUS + 1;
    expect_create_error(&c, "CPUs");
    c.ncpus = 1;
    c.ram_size = 1 << 20;
    expect_create_error(&c, "too little");
    c.ram_size = 64 << 20;
    c.kernel = NULL;
    c.bios = fw;
    c.devices[0] = (struct vm_device_spec){ "loader", "file=/nonexistent,addr=0x81000000" };
    c.ndevices = 1;
    expect_create_error(&c, "cannot open loader file");
    c.devices[0] = (struct vm_device_spec){ "nosuch", "" };
    expect_create_error(&c, "unknown device type");
    char empty[256];
    snprintf(empty, sizeof empty, "%s/empty", dir);
    close(open(empty, O_WRONLY | O_CREAT | O_TRUNC, 0644));
    c.ndevices = 0;
    c.initrd = empty;
    expect_create_error(&c, "is empty");
    c.initrd = NULL;
    c.bios = empty;
    expect_create_error(&c, "is empty");
}

int main(void)
{
    char dir[] = "/tmp/vessel-vm-test-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char fw[256], initrd[256];
    snprintf(fw, sizeof fw, "%s/fw.bin", dir);
    snprintf(initrd, sizeof initrd, "%s/initrd", dir);
    write_firmware(fw, 'x');
    int fd = open(initrd, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && write(fd, "initrd-data", 11) == 11);
    close(fd);

    test_two_vms(dir);
    test_bus(fw);
    test_fdt(fw, initrd);
    test_errors(dir, fw);

    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    CHECK_DONE();
}
