/*
 * vm.c — guest RAM, the physical bus the harts see, interrupts, the
 * machine clock and the life of a VM.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "dev/aclint.h"
#include "dev/plic.h"
#include "machine/vm_impl.h"

void vm_config_init(struct vm_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->ram_size = 256ULL << 20;
    cfg->ncpus = 1;
    cfg->console_in = 0;
    cfg->console_out = 1;
    cfg->console_escape = true;
}

uint64_t vm_host_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* ---- clock ---- */

uint64_t vm_time(struct vm *vm)
{
    uint64_t ticks = (vm_host_ns() - vm->clock_base_ns) / (1000000000ULL / VM_TIMEBASE_HZ);
    return ticks + (uint64_t)atomic_load_explicit(&vm->clock_offset, memory_order_relaxed);
}

void vm_set_time(struct vm *vm, uint64_t mtime)
{
    uint64_t ticks = (vm_host_ns() - vm->clock_base_ns) / (1000000000ULL / VM_TIMEBASE_HZ);
    atomic_store(&vm->clock_offset, (int64_t)(mtime - ticks));
}

static uint64_t bus_get_time(void *opaque)
{
    return vm_time(opaque);
}

/* ---- MMIO dispatch ---- */

static const struct mmio_region *find_region(const struct vm *vm, uint64_t paddr)
{
    unsigned lo = 0, hi = vm->nmmio;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        const struct mmio_region *r = &vm->mmio[mid];
        if (paddr < r->base)
            hi = mid;
        else if (paddr - r->base >= r->size)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}

static bool access_ok(const struct mmio_region *r, uint64_t paddr, unsigned size)
{
    if (!r || (size != 1 && size != 2 && size != 4 && size != 8))
        return false;
    if (paddr & (size - 1))
        return false;
    return paddr - r->base + size <= r->size;
}

bool vm_mmio_read(struct vm *vm, uint64_t paddr, unsigned size, uint64_t *val)
{
    const struct mmio_region *r = find_region(vm, paddr);
    if (!access_ok(r, paddr, size) || !r->ops->read)
        return false;
    uint64_t v = 0;
    if (!r->ops->read(r->dev, paddr - r->base, size, &v))
        return false;
    *val = size == 8 ? v : v & ((1ULL << (size * 8)) - 1);
    return true;
}

bool vm_mmio_write(struct vm *vm, uint64_t paddr, unsigned size, uint64_t val)
{
    const struct mmio_region *r = find_region(vm, paddr);
    if (!access_ok(r, paddr, size) || !r->ops->write)
        return false;
    if (size < 8)
        val &= (1ULL << (size * 8)) - 1;
    return r->ops->write(r->dev, paddr - r->base, size, val);
}

static bool bus_mmio_read(void *opaque, uint64_t paddr, unsigned size, uint64_t *val)
{
    return vm_mmio_read(opaque, paddr, size, val);
}

static bool bus_mmio_write(void *opaque, uint64_t paddr, unsigned size, uint64_t val)
{
    return vm_mmio_write(opaque, paddr, size, val);
}

int vm_add_mmio(struct vm *vm, uint64_t base, uint64_t size,
                const struct dev_ops *ops, void *dev)
{
    if (vm->nmmio >= VM_MAX_MMIO || size == 0 || base + size < base || !ops)
        return -1;
    /* RAM is not MMIO, except for the hart's one io_page (HTIF). */
    uint64_t ram_end = VIRT_DRAM_BASE + vm->ram_size;
    bool in_ram = base < ram_end && base + size > VIRT_DRAM_BASE;
    if (in_ram && !(vm->bus.io_page && base == vm->bus.io_page && size == 0x1000))
        return -1;
    unsigned i = 0;
    while (i < vm->nmmio && vm->mmio[i].base < base)
        i++;
    if (i > 0 && vm->mmio[i - 1].base + vm->mmio[i - 1].size > base)
        return -1;
    if (i < vm->nmmio && base + size > vm->mmio[i].base)
        return -1;
    memmove(&vm->mmio[i + 1], &vm->mmio[i], (vm->nmmio - i) * sizeof vm->mmio[0]);
    vm->mmio[i] = (struct mmio_region){ base, size, ops, dev };
    vm->nmmio++;
    return 0;
}

/* ---- RAM ---- */

void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (gpa < VIRT_DRAM_BASE)
        return NULL;
    uint64_t off = gpa - VIRT_DRAM_BASE;
    if (off > vm->ram_size || len > vm->ram_size - off)
        return NULL;
    return vm->ram + off;
}

int vm_claim_ram(struct vm *vm, uint64_t base, uint64_t size, const char *what,
                 char *err, size_t errlen)
{
    uint64_t ram_end = VIRT_DRAM_BASE + vm->ram_size;
    if (base < VIRT_DRAM_BASE || base > ram_end || size > ram_end - base) {
        snprintf(err, errlen, "%s (%" PRIu64 " KiB at 0x%" PRIx64 ") does not fit in "
                 "guest RAM 0x%" PRIx64 "-0x%" PRIx64 " (see --mem)",
                 what, (size + 1023) / 1024, base, (uint64_t)VIRT_DRAM_BASE, ram_end - 1);
        return -1;
    }
    for (unsigned i = 0; i < vm->nblobs; i++) {
        const struct vm_blob *b = &vm->blobs[i];
        if (base < b->base + b->size && b->base < base + size) {
            snprintf(err, errlen, "%s at 0x%" PRIx64 "-0x%" PRIx64 " overlaps %s at "
                     "0x%" PRIx64 "-0x%" PRIx64, what, base, base + size - 1,
                     b->what, b->base, b->base + b->size - 1);
            return -1;
        }
    }
    if (vm->nblobs == VM_MAX_BLOBS) {
        snprintf(err, errlen, "too many images loaded into RAM");
        return -1;
    }
    vm->blobs[vm->nblobs++] = (struct vm_blob){ base, size, what };
    return 0;
}

/* ---- interrupts ---- */

void vm_set_irq(struct vm *vm, unsigned irq, bool level)
{
    plic_set_irq(vm->plic, irq, level);
}

/* ---- state shared by the instances of a device kind ---- */

void *vm_shared_state(struct vm *vm, const char *kind)
{
    for (unsigned i = 0; i < VM_MAX_SHARED_STATE && vm->shared[i].kind; i++)
        if (strcmp(vm->shared[i].kind, kind) == 0)
            return vm->shared[i].state;
    return NULL;
}

int vm_set_shared_state(struct vm *vm, const char *kind, void *state)
{
    for (unsigned i = 0; i < VM_MAX_SHARED_STATE; i++) {
        if (!vm->shared[i].kind || strcmp(vm->shared[i].kind, kind) == 0) {
            vm->shared[i].kind = kind;
            vm->shared[i].state = state;
            return 0;
        }
    }
    return -1;
}

/* ---- small accessors ---- */

unsigned vm_ncpus(const struct vm *vm) { return vm->ncpus; }
uint64_t vm_ram_size(const struct vm *vm) { return vm->ram_size; }

void vm_console_write(struct vm *vm, const void *buf, size_t len)
{
    if (vm->console)
        console_write(vm->console, buf, len);
}

/* ---- exit ---- */

void vm_kick(struct vm *vm)
{
    uint64_t one = 1;
    if (write(vm->wake_fd, &one, sizeof one) < 0) {
        /* eventfd full (cannot happen below 2^64-1 kicks): already awake */
    }
}

void vm_request_exit(struct vm *vm, enum vm_exit_kind kind, unsigned code)
{
    pthread_mutex_lock(&vm->exit_lock);
    if (!atomic_load(&vm->exiting)) {
        vm->exit = (struct vm_exit){ kind, code };
        atomic_store(&vm->exiting, true);
    }
    pthread_mutex_unlock(&vm->exit_lock);
    for (unsigned i = 0; i < vm->ncpus; i++)
        if (vm->harts[i])
            rv_cpu_request_exit(vm->harts[i]);
    vm_kick(vm);
}

/* ---- create / destroy ---- */

static int check_config(const struct vm_config *cfg, char *err, size_t errlen)
{
    if (cfg->ncpus < 1 || cfg->ncpus > VM_MAX_CPUS) {
        snprintf(err, errlen, "%u CPUs requested: Vessel supports 1 to %u",
                 cfg->ncpus, VM_MAX_CPUS);
        return -1;
    }
    if (cfg->ram_size < VM_MIN_RAM) {
        snprintf(err, errlen, "%" PRIu64 " KiB of RAM is too little: at least %llu MiB",
                 cfg->ram_size >> 10, VM_MIN_RAM >> 20);
        return -1;
    }
    if (cfg->ram_size > VM_MAX_RAM) {
        snprintf(err, errlen, "%" PRIu64 " MiB of RAM is too much: at most %llu GiB",
                 cfg->ram_size >> 20, VM_MAX_RAM >> 30);
        return -1;
    }
    if (cfg->ram_size & 0xfff) {
        snprintf(err, errlen, "RAM size must be a multiple of 4 KiB");
        return -1;
    }
    return 0;
}

struct vm *vm_create(const struct vm_config *cfg, char *err, size_t errlen)
{
    if (check_config(cfg, err, errlen) < 0)
        return NULL;
    struct vm *vm = calloc(1, sizeof *vm);
    if (!vm) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    vm->cfg = *cfg;
    vm->ncpus = cfg->ncpus;
    vm->ram_size = cfg->ram_size;
    vm->wake_fd = -1;
    pthread_mutex_init(&vm->exit_lock, NULL);
    vm->clock_base_ns = vm_host_ns();

    /* Untouched guest memory costs no host memory. */
    vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (vm->ram == MAP_FAILED) {
        vm->ram = NULL;
        snprintf(err, errlen, "cannot reserve %" PRIu64 " MiB of guest RAM: %s",
                 vm->ram_size >> 20, strerror(errno));
        goto fail;
    }
    vm->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (vm->wake_fd < 0) {
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }

    vm->bus = (struct rv_bus){
        .ram = vm->ram, .ram_base = VIRT_DRAM_BASE, .ram_size = vm->ram_size,
        .opaque = vm, .mmio_read = bus_mmio_read, .mmio_write = bus_mmio_write,
        .get_time = bus_get_time,
    };
    vm->direct_boot = cfg->bios == NULL || strcmp(cfg->bios, "default") == 0;
    if (vm->direct_boot)
        vm->bus.sbi_call = sbi_call;

    vm->console = console_new(vm, cfg->console_in, cfg->console_out, cfg->console_escape);
    if (!vm->console) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if (board_create(vm, err, errlen) < 0 || console_attach(vm->console) < 0)
        goto fail;
    if (devices_create(vm, err, errlen) < 0)
        goto fail;
    if (board_fill_virtio_slots(vm, err, errlen) < 0)
        goto fail;
    /* boot_prepare may set bus.io_page (HTIF), so harts come after it. */
    if (boot_prepare(vm, err, errlen) < 0)
        goto fail;
    return vm;
fail:
    vm_destroy(vm);
    return NULL;
}

void vm_destroy(struct vm *vm)
{
    if (!vm)
        return;
    /* Devices first: their I/O threads (virtio completions, network
     * backends) may raise interrupts until they stop, so the PLIC and the
     * harts it signals go after them. */
    const struct mmio_region *plic = NULL;
    for (unsigned i = 0; i < vm->nmmio; i++) {
        if (vm->plic && vm->mmio[i].dev == vm->plic)
            plic = &vm->mmio[i];
        else if (vm->mmio[i].ops->destroy)
            vm->mmio[i].ops->destroy(vm->mmio[i].dev);
    }
    if (plic && plic->ops->destroy)
        plic->ops->destroy(plic->dev);
    for (unsigned i = 0; i < vm->ncpus; i++)
        if (vm->harts[i])
            rv_cpu_free(vm->harts[i]);
    console_free(vm->console);
    free(vm->mrom);
    if (vm->ram)
        munmap(vm->ram, vm->ram_size);
    if (vm->wake_fd >= 0)
        close(vm->wake_fd);
    pthread_mutex_destroy(&vm->exit_lock);
    free(vm);
}
