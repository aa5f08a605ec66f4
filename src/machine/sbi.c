/*
 * sbi.c — the SBI (v2.0) for direct kernel boot: the hart hands us every
 * ecall from S mode; we read a0..a7 and answer in a0 (error) and a1
 * (value), as the spec's calling convention says.
 *
 * Extensions: BASE, TIME, IPI, RFENCE (without hypervisor fences), HSM,
 * SRST, DBCN and the legacy ones (0x00-0x08).  Addresses handed to the
 * modern extensions are guest-physical and checked; the legacy hart masks
 * are S-mode virtual addresses, so we walk the guest's page table.
 */
#include <string.h>
#include "machine/vm_impl.h"

#define SBI_SUCCESS               0
#define SBI_ERR_FAILED           -1
#define SBI_ERR_NOT_SUPPORTED    -2
#define SBI_ERR_INVALID_PARAM    -3
#define SBI_ERR_DENIED           -4
#define SBI_ERR_INVALID_ADDRESS  -5
#define SBI_ERR_ALREADY_AVAILABLE -6

#define EXT_BASE   0x10
#define EXT_TIME   0x54494d45
#define EXT_IPI    0x735049
#define EXT_RFENCE 0x52464e43
#define EXT_HSM    0x48534d
#define EXT_SRST   0x53525354
#define EXT_DBCN   0x4442434e

#define LEGACY_SET_TIMER      0x00
#define LEGACY_PUTCHAR        0x01
#define LEGACY_GETCHAR        0x02
#define LEGACY_CLEAR_IPI      0x03
#define LEGACY_SEND_IPI       0x04
#define LEGACY_FENCE_I        0x05
#define LEGACY_SFENCE_VMA     0x06
#define LEGACY_SFENCE_VMA_ASID 0x07
#define LEGACY_SHUTDOWN       0x08
#define LEGACY_LAST           0x0f

#define SBI_SPEC_VERSION  (2u << 24 | 0u)       /* 2.0 */
#define SBI_IMPL_ID       0x56455353u           /* "VESS": not a registered ID */
#define SBI_IMPL_VERSION  (0u << 16 | 1u)       /* Vessel 0.1 */

#define HSM_STATE_STARTED   0
#define HSM_STATE_STOPPED   1
#define HSM_STATE_SUSPENDED 4

#define SUSPEND_RETENTIVE     0x00000000u
#define SUSPEND_NON_RETENTIVE 0x80000000u

#define A(n) (cpu->x[10 + (n)])

struct sbi_ret {
    long error;
    uint64_t value;
};

static struct sbi_ret ok(uint64_t value) { return (struct sbi_ret){ SBI_SUCCESS, value }; }
static struct sbi_ret fail(long error) { return (struct sbi_ret){ error, 0 }; }

/* ---- hart masks ---- */

/* Call fn on every hart named by (mask, base); base = -1 means all harts.
 * Validates first, so an invalid hart changes nothing. */
static long for_each_hart(struct vm *vm, uint64_t mask, uint64_t base,
                          void (*fn)(struct vm *vm, struct rv_cpu *target, void *arg),
                          void *arg)
{
    if (base == UINT64_MAX) {
        for (unsigned i = 0; i < vm->ncpus; i++)
            fn(vm, vm->harts[i], arg);
        return SBI_SUCCESS;
    }
    for (unsigned b = 0; b < 64; b++)
        if ((mask >> b & 1) && (base + b < base || base + b >= vm->ncpus))
            return SBI_ERR_INVALID_PARAM;
    for (unsigned b = 0; b < 64; b++)
        if (mask >> b & 1)
            fn(vm, vm->harts[base + b], arg);
    return SBI_SUCCESS;
}

static void do_ipi(struct vm *vm, struct rv_cpu *t, void *arg)
{
    (void)vm; (void)arg;
    rv_cpu_set_irq(t, RV_IRQ_SSI, true);
}

static void do_fence_i(struct vm *vm, struct rv_cpu *t, void *arg)
{
    (void)vm; (void)arg;
    rv_cpu_remote_fence_i(t);
}

struct sfence_args { uint64_t start, size; int asid; };

static void do_sfence(struct vm *vm, struct rv_cpu *t, void *arg)
{
    struct sfence_args *a = arg;
    (void)vm;
    rv_cpu_remote_sfence_vma(t, a->start, a->size, a->asid);
}

/* "start = size = 0" and "size = 2^XLEN - 1" both mean the whole space. */
static struct sfence_args sfence_range(uint64_t start, uint64_t size, int asid)
{
    if (size == UINT64_MAX || (start == 0 && size == 0))
        size = 0;
    else if (size == 0)
        size = 1;   /* an empty range: a harmless one-byte fence */
    return (struct sfence_args){ start, size, asid };
}

/* ---- guest virtual memory (legacy hart masks) ---- */

static bool read_phys_u64(struct vm *vm, uint64_t pa, uint64_t *val)
{
    const uint64_t *p = (pa & 7) ? NULL : vm_guest_ptr(vm, pa, 8);
    if (!p)
        return false;
    *val = __atomic_load_n(p, __ATOMIC_RELAXED);
    return true;
}

/* Translate an S-mode virtual address with the hart's satp (Sv39/Sv48). */
static bool translate(struct vm *vm, const struct rv_cpu *cpu, uint64_t va, uint64_t *pa)
{
    unsigned mode = (unsigned)(cpu->satp >> 60);
    if (mode == 0) {
        *pa = va;
        return true;
    }
    unsigned levels = mode == 8 ? 3 : mode == 9 ? 4 : 0;
    if (!levels)
        return false;
    unsigned vabits = 12 + 9 * levels;
    int64_t sext = (int64_t)(va << (64 - vabits)) >> (64 - vabits);
    if ((uint64_t)sext != va)
        return false;
    uint64_t table = (cpu->satp & ((1ULL << 44) - 1)) << 12;
    for (int level = (int)levels - 1; level >= 0; level--) {
        uint64_t vpn = (va >> (12 + 9 * level)) & 0x1ff;
        uint64_t pte;
        if (!read_phys_u64(vm, table + vpn * 8, &pte) || !(pte & 1) ||
            ((pte & 6) == 4))
            return false;
        uint64_t ppn = (pte >> 10) & ((1ULL << 44) - 1);
        if (pte & 0xa) {   /* R or X: a leaf */
            uint64_t span = 1ULL << (12 + 9 * level);
            if (!(pte & 2) || (ppn << 12) & (span - 1))
                return false;
            *pa = (ppn << 12) + (va & (span - 1));
            return true;
        }
        table = ppn << 12;
    }
    return false;
}

static bool legacy_hart_mask(struct vm *vm, const struct rv_cpu *cpu, uint64_t va,
                             uint64_t *mask, uint64_t *base)
{
    if (va == 0) {            /* NULL: every hart */
        *mask = 0;
        *base = UINT64_MAX;
        return true;
    }
    uint64_t pa;
    *base = 0;
    return translate(vm, cpu, va, &pa) && read_phys_u64(vm, pa, mask);
}

/* ---- extensions ---- */

static bool probe(uint64_t eid)
{
    switch (eid) {
    case EXT_BASE: case EXT_TIME: case EXT_IPI: case EXT_RFENCE:
    case EXT_HSM: case EXT_SRST: case EXT_DBCN:
        return true;
    default:
        return eid <= LEGACY_SHUTDOWN;
    }
}

static struct sbi_ret base_ext(struct rv_cpu *cpu, uint64_t fid)
{
    switch (fid) {
    case 0: return ok(SBI_SPEC_VERSION);
    case 1: return ok(SBI_IMPL_ID);
    case 2: return ok(SBI_IMPL_VERSION);
    case 3: return ok(probe(A(0)) ? 1 : 0);
    case 4: return ok(cpu->mvendorid);
    case 5: return ok(cpu->marchid);
    case 6: return ok(cpu->mimpid);
    default: return fail(SBI_ERR_NOT_SUPPORTED);
    }
}

static struct sbi_ret rfence_ext(struct vm *vm, struct rv_cpu *cpu, uint64_t fid)
{
    struct sfence_args args;
    switch (fid) {
    case 0:
        return fail(for_each_hart(vm, A(0), A(1), do_fence_i, NULL));
    case 1:
        args = sfence_range(A(2), A(3), -1);
        return fail(for_each_hart(vm, A(0), A(1), do_sfence, &args));
    case 2:
        /* ASIDs are at most 16 bits; a larger one matches nothing. */
        if (A(4) > 0xffff)
            return fail(SBI_ERR_INVALID_PARAM);
        args = sfence_range(A(2), A(3), (int)A(4));
        return fail(for_each_hart(vm, A(0), A(1), do_sfence, &args));
    default:   /* 3..6: hypervisor fences; no H extension here */
        return fail(SBI_ERR_NOT_SUPPORTED);
    }
}

static bool all_others_stopped(struct vm *vm, const struct rv_cpu *self)
{
    for (unsigned i = 0; i < vm->ncpus; i++)
        if (vm->harts[i] != self && rv_cpu_hart_state(vm->harts[i]) != RV_HART_STOPPED)
            return false;
    return true;
}

static bool executable_address(struct vm *vm, uint64_t addr)
{
    return (addr & 1) == 0 && vm_guest_ptr(vm, addr, 2) != NULL;
}

static struct sbi_ret hsm_ext(struct vm *vm, struct rv_cpu *cpu, uint64_t fid)
{
    switch (fid) {
    case 0: {   /* hart_start(hartid, start_addr, opaque) */
        if (A(0) >= vm->ncpus)
            return fail(SBI_ERR_INVALID_PARAM);
        if (!executable_address(vm, A(1)))
            return fail(SBI_ERR_INVALID_ADDRESS);
        if (!rv_cpu_hart_start(vm->harts[A(0)], A(1), A(2)))
            return fail(SBI_ERR_ALREADY_AVAILABLE);
        return ok(0);
    }
    case 1:     /* hart_stop() */
        rv_cpu_hart_stop(cpu);
        if (all_others_stopped(vm, cpu))
            vm_request_exit(vm, VM_EXIT_HALTED, 0);
        return ok(0);
    case 2: {   /* hart_get_status(hartid) */
        if (A(0) >= vm->ncpus)
            return fail(SBI_ERR_INVALID_PARAM);
        switch (rv_cpu_hart_state(vm->harts[A(0)])) {
        case RV_HART_STARTED:   return ok(HSM_STATE_STARTED);
        case RV_HART_STOPPED:   return ok(HSM_STATE_STOPPED);
        case RV_HART_SUSPENDED: return ok(HSM_STATE_SUSPENDED);
        }
        return fail(SBI_ERR_FAILED);
    }
    case 3: {   /* hart_suspend(type, resume_addr, opaque) */
        uint32_t type = (uint32_t)A(0);
        if (A(0) > UINT32_MAX ||
            (type != SUSPEND_RETENTIVE && type != SUSPEND_NON_RETENTIVE))
            return fail(SBI_ERR_INVALID_PARAM);
        bool retentive = type == SUSPEND_RETENTIVE;
        if (!retentive && !executable_address(vm, A(1)))
            return fail(SBI_ERR_INVALID_ADDRESS);
        rv_cpu_hart_suspend(cpu, retentive, A(1), A(2));
        return ok(0);
    }
    default:
        return fail(SBI_ERR_NOT_SUPPORTED);
    }
}

static struct sbi_ret srst_ext(struct vm *vm, struct rv_cpu *cpu, uint64_t fid)
{
    if (fid != 0)
        return fail(SBI_ERR_NOT_SUPPORTED);
    uint64_t type = A(0), reason = A(1);
    if (type > 2 || reason > 1)   /* reserved or platform-specific */
        return fail(SBI_ERR_INVALID_PARAM);
    if (type == 0)
        vm_request_exit(vm, reason ? VM_EXIT_FAIL : VM_EXIT_POWEROFF, (unsigned)reason);
    else
        vm_request_exit(vm, VM_EXIT_RESET, 0);
    return ok(0);
}

static struct sbi_ret dbcn_ext(struct vm *vm, struct rv_cpu *cpu, uint64_t fid)
{
    if (fid == 2) {   /* write_byte */
        uint8_t c = (uint8_t)A(0);
        vm_console_write(vm, &c, 1);
        return ok(0);
    }
    if (fid > 2)
        return fail(SBI_ERR_NOT_SUPPORTED);
    uint64_t len = A(0);
    if (A(2) != 0)   /* base_addr_hi: RV64 addresses fit in base_addr_lo */
        return fail(SBI_ERR_INVALID_PARAM);
    uint8_t *buf = len ? vm_guest_ptr(vm, A(1), len) : NULL;
    if (len && !buf)
        return fail(SBI_ERR_INVALID_PARAM);
    if (fid == 0) {
        vm_console_write(vm, buf, len);
        return ok(len);
    }
    uint64_t n = 0;
    for (int c; n < len && (c = console_getchar(vm->console)) >= 0; n++)
        buf[n] = (uint8_t)c;
    return ok(n);
}

/* Legacy extensions return a single value in a0. */
static long legacy(struct vm *vm, struct rv_cpu *cpu, uint64_t eid)
{
    uint64_t mask, base;
    struct sfence_args args;
    switch (eid) {
    case LEGACY_SET_TIMER:
        rv_cpu_set_mtimecmp(cpu, A(0));
        return 0;
    case LEGACY_PUTCHAR: {
        uint8_t c = (uint8_t)A(0);
        vm_console_write(vm, &c, 1);
        return 0;
    }
    case LEGACY_GETCHAR:
        return console_getchar(vm->console);
    case LEGACY_CLEAR_IPI:
        rv_cpu_set_irq(cpu, RV_IRQ_SSI, false);
        return 0;
    case LEGACY_SEND_IPI:
    case LEGACY_FENCE_I:
    case LEGACY_SFENCE_VMA:
    case LEGACY_SFENCE_VMA_ASID:
        if (!legacy_hart_mask(vm, cpu, A(0), &mask, &base))
            return SBI_ERR_INVALID_ADDRESS;
        if (eid == LEGACY_SEND_IPI)
            return for_each_hart(vm, mask, base, do_ipi, NULL);
        if (eid == LEGACY_FENCE_I)
            return for_each_hart(vm, mask, base, do_fence_i, NULL);
        args = sfence_range(A(1), A(2), eid == LEGACY_SFENCE_VMA ? -1 : (int)(A(3) & 0xffff));
        return for_each_hart(vm, mask, base, do_sfence, &args);
    case LEGACY_SHUTDOWN:
        vm_request_exit(vm, VM_EXIT_POWEROFF, 0);
        return 0;
    default:
        return SBI_ERR_NOT_SUPPORTED;
    }
}

void sbi_call(void *opaque, struct rv_cpu *cpu)
{
    struct vm *vm = opaque;
    uint64_t eid = A(7), fid = A(6);
    if (eid <= LEGACY_LAST) {
        A(0) = (uint64_t)legacy(vm, cpu, eid);
        return;
    }
    struct sbi_ret r;
    switch (eid) {
    case EXT_BASE:   r = base_ext(cpu, fid); break;
    case EXT_TIME:
        if (fid != 0) {
            r = fail(SBI_ERR_NOT_SUPPORTED);
            break;
        }
        rv_cpu_set_mtimecmp(cpu, A(0));
        r = ok(0);
        break;
    case EXT_IPI:
        r = fid == 0 ? fail(for_each_hart(vm, A(0), A(1), do_ipi, NULL))
                     : fail(SBI_ERR_NOT_SUPPORTED);
        break;
    case EXT_RFENCE: r = rfence_ext(vm, cpu, fid); break;
    case EXT_HSM:    r = hsm_ext(vm, cpu, fid); break;
    case EXT_SRST:   r = srst_ext(vm, cpu, fid); break;
    case EXT_DBCN:   r = dbcn_ext(vm, cpu, fid); break;
    default:         r = fail(SBI_ERR_NOT_SUPPORTED); break;
    }
    A(0) = (uint64_t)r.error;
    A(1) = r.value;
}
