/*
 * board.c — the fixed devices of the virt board, wired to the harts, the
 * PLIC, the clock and the console: UART, PLIC, ACLINT, sifive_test syscon,
 * goldfish RTC, and the virtio-mmio slots nobody claimed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include "dev/aclint.h"
#include "dev/goldfish_rtc.h"
#include "dev/plic.h"
#include "dev/sifive_test.h"
#include "dev/uart16550.h"
#include "machine/vm_impl.h"

/* ---- wiring ---- */

static void uart_irq(void *opaque, bool level)
{
    vm_set_irq(opaque, VIRT_UART0_IRQ, level);
}

static void uart_tx(void *opaque, uint8_t byte)
{
    struct vm *vm = opaque;
    console_write(vm->console, &byte, 1);
}

static void uart_rx_space(void *opaque)
{
    struct vm *vm = opaque;
    console_rx_space(vm->console);
}

static void plic_context_irq(void *opaque, unsigned context, bool level)
{
    struct vm *vm = opaque;
    struct rv_cpu *cpu = vm->harts[context / 2];
    if (cpu)
        rv_cpu_set_irq(cpu, (context & 1) ? RV_IRQ_SEI : RV_IRQ_MEI, level);
}

static void aclint_set_msip(void *opaque, unsigned hart, bool level)
{
    struct vm *vm = opaque;
    if (vm->harts[hart])
        rv_cpu_set_irq(vm->harts[hart], RV_IRQ_MSI, level);
}

static void aclint_set_mtimecmp(void *opaque, unsigned hart, uint64_t value)
{
    struct vm *vm = opaque;
    if (vm->harts[hart])
        rv_cpu_set_mtimecmp(vm->harts[hart], value);
}

static uint64_t aclint_get_mtimecmp(void *opaque, unsigned hart)
{
    struct vm *vm = opaque;
    return vm->harts[hart] ? rv_cpu_get_mtimecmp(vm->harts[hart]) : 0;
}

static uint64_t aclint_get_time(void *opaque) { return vm_time(opaque); }
static void aclint_set_time(void *opaque, uint64_t v) { vm_set_time(opaque, v); }

static void test_finish(void *opaque, enum sifive_test_event ev, unsigned code)
{
    struct vm *vm = opaque;
    switch (ev) {
    case SIFIVE_TEST_EV_PASS:  vm_request_exit(vm, VM_EXIT_POWEROFF, 0); break;
    case SIFIVE_TEST_EV_RESET: vm_request_exit(vm, VM_EXIT_RESET, 0); break;
    case SIFIVE_TEST_EV_FAIL:  vm_request_exit(vm, VM_EXIT_FAIL, code); break;
    }
}

static uint64_t rtc_host_now(void *opaque)
{
    (void)opaque;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void rtc_irq(void *opaque, bool level)
{
    vm_set_irq(opaque, VIRT_RTC_IRQ, level);
}

/* The alarm is in wall-clock time; the loop sleeps on the monotonic clock. */
static void rtc_arm_timer(void *opaque, uint64_t host_deadline_ns)
{
    struct vm *vm = opaque;
    if (host_deadline_ns == 0) {
        __atomic_store_n(&vm->rtc_deadline_ns, 0, __ATOMIC_RELAXED);
        return;
    }
    uint64_t now = rtc_host_now(NULL);
    uint64_t wait = host_deadline_ns > now ? host_deadline_ns - now : 0;
    __atomic_store_n(&vm->rtc_deadline_ns, vm_host_ns() + wait, __ATOMIC_RELAXED);
    vm_kick(vm);
}

static void rtc_prepare(void *opaque, struct vm_poll_set *ps, int *timeout_ms)
{
    struct vm *vm = opaque;
    (void)ps;
    uint64_t d = __atomic_load_n(&vm->rtc_deadline_ns, __ATOMIC_RELAXED);
    if (!d)
        return;
    uint64_t now = vm_host_ns();
    int ms = d > now ? (int)((d - now + 999999) / 1000000) : 0;
    if (*timeout_ms < 0 || ms < *timeout_ms)
        *timeout_ms = ms;
}

static void rtc_dispatch(void *opaque, struct vm_poll_set *ps)
{
    struct vm *vm = opaque;
    (void)ps;
    uint64_t d = __atomic_load_n(&vm->rtc_deadline_ns, __ATOMIC_RELAXED);
    if (d && vm_host_ns() >= d)
        goldfish_rtc_alarm_check(vm->rtc);
}

/* ---- empty virtio-mmio slots ---- */

#define VIRTIO_MMIO_MAGIC 0x74726976   /* "virt" */

static bool empty_slot_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    (void)dev; (void)size;
    switch (off) {
    case 0x000: *val = VIRTIO_MMIO_MAGIC; break;
    case 0x004: *val = 2; break;             /* version: virtio 1.x */
    default:    *val = 0; break;             /* DeviceID 0: no device */
    }
    return true;
}

static bool empty_slot_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    (void)dev; (void)off; (void)size; (void)val;
    return true;
}

static const struct dev_ops empty_slot_ops = {
    .name = "virtio-mmio (empty)",
    .read = empty_slot_read,
    .write = empty_slot_write,
};

int vm_virtio_slot_alloc(struct vm *vm, uint64_t *base, unsigned *irq)
{
    for (int i = 0; i < VIRT_VIRTIO_COUNT; i++) {
        if (!(vm->virtio_used & (1u << i))) {
            vm->virtio_used |= (uint8_t)(1u << i);
            *base = VIRT_VIRTIO_BASE + (uint64_t)i * VIRT_VIRTIO_SIZE;
            *irq = VIRT_VIRTIO_IRQ + (unsigned)i;
            return i;
        }
    }
    return -1;
}

int board_fill_virtio_slots(struct vm *vm, char *err, size_t errlen)
{
    for (unsigned i = 0; i < VIRT_VIRTIO_COUNT; i++) {
        if (vm->virtio_used & (1u << i))
            continue;
        if (vm_add_mmio(vm, VIRT_VIRTIO_BASE + i * VIRT_VIRTIO_SIZE, VIRT_VIRTIO_SIZE,
                        &empty_slot_ops, NULL) < 0) {
            snprintf(err, errlen, "virtio-mmio slot %u: address range taken", i);
            return -1;
        }
        vm->virtio_used |= (uint8_t)(1u << i);
    }
    return 0;
}

/* ---- the board ---- */

static int add(struct vm *vm, uint64_t base, uint64_t size, const struct dev_ops *ops,
               void *dev, char *err, size_t errlen)
{
    if (!dev) {
        snprintf(err, errlen, "%s: out of memory", ops->name);
        return -1;
    }
    if (vm_add_mmio(vm, base, size, ops, dev) < 0) {
        ops->destroy(dev);
        snprintf(err, errlen, "%s: cannot map at 0x%llx", ops->name,
                 (unsigned long long)base);
        return -1;
    }
    return 0;
}

int board_create(struct vm *vm, char *err, size_t errlen)
{
    struct uart16550_backend ub = {
        .opaque = vm, .tx = uart_tx, .irq = uart_irq, .rx_space = uart_rx_space,
    };
    vm->uart = uart16550_new(&ub);
    if (add(vm, VIRT_UART0_BASE, UART16550_MMIO_SIZE, &uart16550_ops, vm->uart, err, errlen))
        return -1;

    struct plic_backend pb = { .opaque = vm, .set_context_irq = plic_context_irq };
    vm->plic = plic_new(vm->ncpus, VIRT_PLIC_SOURCES, &pb);
    if (add(vm, VIRT_PLIC_BASE, plic_mmio_size(vm->ncpus), &plic_ops, vm->plic, err, errlen))
        return -1;

    struct aclint_backend ab = {
        .opaque = vm, .set_msip = aclint_set_msip, .set_mtimecmp = aclint_set_mtimecmp,
        .get_mtimecmp = aclint_get_mtimecmp, .get_time = aclint_get_time,
        .set_time = aclint_set_time,
    };
    vm->aclint = aclint_new(vm->ncpus, &ab);
    if (add(vm, VIRT_ACLINT_BASE, ACLINT_MMIO_SIZE, &aclint_ops, vm->aclint, err, errlen))
        return -1;

    struct sifive_test_backend tb = { .opaque = vm, .finish = test_finish };
    vm->test = sifive_test_new(&tb);
    if (add(vm, VIRT_TEST_BASE, SIFIVE_TEST_MMIO_SIZE, &sifive_test_ops, vm->test, err, errlen))
        return -1;

    struct goldfish_rtc_backend rb = {
        .opaque = vm, .host_now_ns = rtc_host_now, .irq = rtc_irq,
        .arm_timer = rtc_arm_timer,
    };
    vm->rtc = goldfish_rtc_new(&rb);
    if (add(vm, VIRT_RTC_BASE, GOLDFISH_RTC_MMIO_SIZE, &goldfish_rtc_ops, vm->rtc, err, errlen))
        return -1;
    struct vm_loop_client rc = { .opaque = vm, .prepare = rtc_prepare, .dispatch = rtc_dispatch };
    return vm_add_loop_client(vm, &rc);
}
