/*
 * Unit test: the SBI as a guest sees it, calling sbi_call() directly with
 * registers set as an ecall would leave them: return values and error
 * codes of the spec, guest pointers checked, legacy hart masks read through
 * the guest's own Sv39/Sv48 page tables.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include "machine/vm_impl.h"
#include "machine/check.h"

#define EXT_BASE 0x10
#define EXT_IPI  0x735049
#define EXT_HSM  0x48534d
#define EXT_SRST 0x53525354
#define EXT_DBCN 0x4442434e
#define EXT_RFENCE 0x52464e43
#define RAM 0x80000000ULL

static struct vm *vm;

static void call(struct rv_cpu *cpu, uint64_t eid, uint64_t fid, uint64_t a0, uint64_t a1,
                 uint64_t a2)
{
    cpu->x[17] = eid;
    cpu->x[16] = fid;
    cpu->x[10] = a0;
    cpu->x[11] = a1;
    cpu->x[12] = a2;
    sbi_call(vm, cpu);
}

static uint64_t *ram64(uint64_t pa) { return vm_guest_ptr(vm, pa, 8); }

static bool ssip(struct rv_cpu *cpu)
{
    return __atomic_load_n(&cpu->mip, __ATOMIC_SEQ_CST) & (1u << RV_IRQ_SSI);
}

static void clear_ssip(struct rv_cpu *cpu)
{
    rv_cpu_set_irq(cpu, RV_IRQ_SSI, false);
}

int main(void)
{
    char dir[] = "/tmp/vessel-sbi-test-XXXXXX", fw[128];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(fw, sizeof fw, "%s/fw.bin", dir);
    int fd = open(fw, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    uint32_t loop = 0x0000006f;   /* j . */
    CHECK(fd >= 0 && write(fd, &loop, 4) == 4);
    close(fd);

    struct vm_config c;
    char err[256];
    vm_config_init(&c);
    c.ram_size = 64 << 20;
    c.ncpus = 2;
    c.bios = fw;
    c.console_in = -1;
    c.console_out = -1;
    vm = vm_create(&c, err, sizeof err);
    CHECK(vm != NULL);
    if (!vm)
        CHECK_DONE();
    struct rv_cpu *h0 = vm->harts[0], *h1 = vm->harts[1];

    /* BASE */
    call(h0, EXT_BASE, 0, 0, 0, 0);
    CHECK_EQ(h0->x[10], 0);
    CHECK_EQ(h0->x[11], 0x02000000);
    call(h0, EXT_BASE, 3, EXT_DBCN, 0, 0);
    CHECK_EQ(h0->x[11], 1);
    call(h0, EXT_BASE, 3, 0x504d55, 0, 0);          /* PMU: absent */
    CHECK_EQ(h0->x[11], 0);
    call(h0, EXT_BASE, 7, 0, 0, 0);
    CHECK_EQ(h0->x[10], (uint64_t)-2);
    call(h0, 0x0a, 0, 0, 0, 0);                     /* legacy 0x0a: none */
    CHECK_EQ(h0->x[10], (uint64_t)-2);

    /* IPI: mask/base validation, base -1 = all. */
    call(h0, EXT_IPI, 0, 2, 0, 0);
    CHECK_EQ(h0->x[10], 0);
    CHECK(ssip(h1) && !ssip(h0));
    clear_ssip(h1);
    call(h0, EXT_IPI, 0, 1, 1, 0);                  /* hart 1 via base 1 */
    CHECK(ssip(h1));
    clear_ssip(h1);
    call(h0, EXT_IPI, 0, 3, 1, 0);                  /* hart 2 does not exist */
    CHECK_EQ(h0->x[10], (uint64_t)-3);
    CHECK(!ssip(h1));                               /* nothing was sent */
    call(h0, EXT_IPI, 0, 1, UINT64_MAX - 1, 0);     /* base + bit overflows */
    CHECK_EQ(h0->x[10], (uint64_t)-3);
    call(h0, EXT_IPI, 0, 0, UINT64_MAX, 0);
    CHECK(ssip(h0) && ssip(h1));
    clear_ssip(h0);
    clear_ssip(h1);

    /* DBCN: buffers must be guest RAM. */
    call(h0, EXT_DBCN, 0, 16, RAM + (64 << 20) - 8, 0);
    CHECK_EQ(h0->x[10], (uint64_t)-3);
    call(h0, EXT_DBCN, 0, UINT64_MAX, RAM, 0);
    CHECK_EQ(h0->x[10], (uint64_t)-3);
    call(h0, EXT_DBCN, 0, 4, RAM, 0);
    CHECK_EQ(h0->x[10], 0);
    CHECK_EQ(h0->x[11], 4);
    call(h0, EXT_DBCN, 1, 4, 0x1000, 0);            /* read into ROM: no */
    CHECK_EQ(h0->x[10], (uint64_t)-3);
    call(h0, EXT_DBCN, 0, 0, 0, 0);                 /* empty write is fine */
    CHECK_EQ(h0->x[10], 0);

    /* HSM */
    call(h0, EXT_HSM, 2, 7, 0, 0);
    CHECK_EQ(h0->x[10], (uint64_t)-3);
    call(h0, EXT_HSM, 0, 1, RAM + (64 << 20), 0);   /* start beyond RAM */
    CHECK_EQ(h0->x[10], (uint64_t)-5);
    call(h0, EXT_HSM, 0, 1, RAM + 1, 0);            /* misaligned */
    CHECK_EQ(h0->x[10], (uint64_t)-5);

    /* RFENCE on every hart (none is running: returns at once). */
    call(h0, EXT_RFENCE, 1, 3, 0, 0);
    CHECK_EQ(h0->x[10], 0);

    /* Legacy send_ipi: the mask is an S-mode virtual address. */
    uint64_t root = RAM + 0x100000, l1 = RAM + 0x101000, l0 = RAM + 0x102000;
    uint64_t mask_pa = RAM + 0x200000;
    *ram64(mask_pa) = 2;                            /* hart 1 */
    *ram64(mask_pa + 8) = 1;                        /* hart 0 */
    /* Sv39: VA 0xffffffff80000000 -> RAM by a 1 GiB leaf (V R W A D). */
    *ram64(root + 0x1fe * 8) = (RAM >> 12) << 10 | 0xc7;
    h0->satp = 8ULL << 60 | (root >> 12);
    call(h0, 0x04, 0, 0xffffffff80200000ULL, 0, 0);
    CHECK_EQ(h0->x[10], 0);
    CHECK(ssip(h1) && !ssip(h0));
    clear_ssip(h1);
    call(h0, 0x04, 0, 0xffffffff80200008ULL, 0, 0);
    CHECK(ssip(h0));
    clear_ssip(h0);
    call(h0, 0x04, 0, 0x0000004000000000ULL, 0, 0); /* not canonical */
    CHECK_EQ(h0->x[10], (uint64_t)-5);
    call(h0, 0x04, 0, 0x1000, 0, 0);                /* unmapped */
    CHECK_EQ(h0->x[10], (uint64_t)-5);
    /* A 3-level walk to a 4 KiB page: VA 0x40201000 -> mask_pa. */
    *ram64(root + 1 * 8) = (l1 >> 12) << 10 | 0x01;
    *ram64(l1 + 1 * 8) = (l0 >> 12) << 10 | 0x01;
    *ram64(l0 + 1 * 8) = (mask_pa >> 12) << 10 | 0xc7;
    call(h0, 0x04, 0, 0x40201000ULL, 0, 0);
    CHECK_EQ(h0->x[10], 0);
    CHECK(ssip(h1));
    clear_ssip(h1);
    /* A misaligned superpage (1 GiB leaf with low PPN bits) is refused. */
    *ram64(root + 2 * 8) = ((RAM + 0x200000) >> 12) << 10 | 0xc7;
    call(h0, 0x04, 0, 0x80000000ULL, 0, 0);
    CHECK_EQ(h0->x[10], (uint64_t)-5);
    /* Sv48: one more level on top. */
    uint64_t root48 = RAM + 0x103000;
    *ram64(root48) = (root >> 12) << 10 | 0x01;
    h0->satp = 9ULL << 60 | (root48 >> 12);
    call(h0, 0x04, 0, 0x40201000ULL, 0, 0);
    CHECK_EQ(h0->x[10], 0);
    CHECK(ssip(h1));
    clear_ssip(h1);
    h0->satp = 10ULL << 60;                         /* Sv57: not ours */
    call(h0, 0x04, 0, 0x40201000ULL, 0, 0);
    CHECK_EQ(h0->x[10], (uint64_t)-5);
    h0->satp = 0;
    call(h0, 0x04, 0, mask_pa, 0, 0);               /* bare: physical */
    CHECK(ssip(h1));
    clear_ssip(h1);
    call(h0, 0x04, 0, 0, 0, 0);                     /* NULL: all harts */
    CHECK(ssip(h0) && ssip(h1));
    clear_ssip(h0);
    clear_ssip(h1);

    /* SRST: bad values refused; shutdown for failure stops the VM. */
    call(h0, EXT_SRST, 0, 3, 0, 0);
    CHECK_EQ(h0->x[10], (uint64_t)-3);
    call(h0, EXT_SRST, 0, 0, 2, 0);
    CHECK_EQ(h0->x[10], (uint64_t)-3);
    CHECK(!atomic_load(&vm->exiting));
    call(h0, EXT_SRST, 0, 0, 1, 0);
    CHECK(atomic_load(&vm->exiting));
    CHECK_EQ(vm->exit.kind, VM_EXIT_FAIL);
    call(h0, EXT_SRST, 0, 1, 0, 0);                 /* first reason wins */
    CHECK_EQ(vm->exit.kind, VM_EXIT_FAIL);

    vm_destroy(vm);
    unlink(fw);
    rmdir(dir);
    CHECK_DONE();
}
