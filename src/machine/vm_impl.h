/*
 * vm_impl.h — struct vm and the functions the files of src/machine/ share.
 * Private to src/machine/: devices use vm.h.
 */
#ifndef VESSEL_MACHINE_VM_IMPL_H
#define VESSEL_MACHINE_VM_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include "cpu/cpu.h"
#include "machine/vm.h"

#define VM_MAX_MMIO     64
#define VM_MAX_CLIENTS  16
#define VM_MAX_BLOBS    16

struct mmio_region {
    uint64_t base, size;
    const struct dev_ops *ops;
    void *dev;
};

/* A range of guest RAM something was loaded into (overlap checks). */
struct vm_blob {
    uint64_t base, size;
    const char *what;
};

struct uart16550;
struct plic;
struct aclint;
struct sifive_test;
struct goldfish_rtc;
struct htif;
struct console;

struct vm {
    struct vm_config cfg;
    struct rv_bus bus;
    uint8_t *ram;
    uint64_t ram_size;

    struct rv_cpu *harts[VM_MAX_CPUS];
    pthread_t threads[VM_MAX_CPUS];
    unsigned ncpus;

    struct mmio_region mmio[VM_MAX_MMIO];    /* sorted by base */
    unsigned nmmio;

    /* board devices (owned through mmio[], destroyed from there) */
    struct uart16550 *uart;
    struct plic *plic;
    struct aclint *aclint;
    struct sifive_test *test;
    struct goldfish_rtc *rtc;
    struct htif *htif;
    uint64_t htif_tohost, htif_fromhost;     /* guest-physical, 0 = none */
    uint8_t virtio_used;                     /* bitmap of claimed slots */
    struct { const char *kind; void *state; } shared[VM_MAX_SHARED_STATE];
    uint8_t *mrom;                           /* reset vector + fw_dynamic_info */

    /* clock: mtime = (host_ns - clock_base_ns) / 100 + clock_offset */
    uint64_t clock_base_ns;
    _Atomic int64_t clock_offset;
    uint64_t rtc_deadline_ns;                /* host monotonic, 0 = none */

    /* boot layout */
    bool direct_boot;          /* built-in SBI, kernel entered in S mode */
    uint64_t entry;            /* first instruction (kernel or firmware) */
    uint64_t kernel_entry, kernel_base, kernel_end;
    uint64_t initrd_base, initrd_end;
    uint64_t fdt_addr;
    struct vm_blob blobs[VM_MAX_BLOBS];
    unsigned nblobs;

    /* host side */
    struct console *console;
    struct vm_loop_client clients[VM_MAX_CLIENTS];
    unsigned nclients;
    int wake_fd;               /* eventfd: vm_kick() */
    uint64_t deadline_ns;      /* --timeout, host monotonic; 0 = none */

    pthread_mutex_t exit_lock;
    atomic_bool exiting;
    struct vm_exit exit;
    bool ran;
};

/* vm.c */
bool vm_mmio_read(struct vm *vm, uint64_t paddr, unsigned size, uint64_t *val);
bool vm_mmio_write(struct vm *vm, uint64_t paddr, unsigned size, uint64_t val);
void vm_set_time(struct vm *vm, uint64_t mtime);
/* Remember that [base, base+size) of RAM now holds `what`; fails (with a
 * message) if that overlaps something loaded before or leaves RAM. */
int vm_claim_ram(struct vm *vm, uint64_t base, uint64_t size, const char *what,
                 char *err, size_t errlen);

/* board.c: UART, PLIC, ACLINT, syscon, RTC; empty virtio slots last. */
int board_create(struct vm *vm, char *err, size_t errlen);
int board_fill_virtio_slots(struct vm *vm, char *err, size_t errlen);

/* boot.c: load kernel/initrd/firmware, write the DT, set up the harts. */
int boot_prepare(struct vm *vm, char *err, size_t errlen);

/* fdt.c: the device tree for this VM into buf (libfdt sequential write). */
int fdt_build(struct vm *vm, void *buf, size_t bufsize, char *err, size_t errlen);

/* sbi.c: bus->sbi_call in direct boot. */
void sbi_call(void *opaque, struct rv_cpu *cpu);

/* devices.c: create the devices of cfg->devices[]. */
int devices_create(struct vm *vm, char *err, size_t errlen);

/* console.c */
struct console *console_new(struct vm *vm, int in_fd, int out_fd, bool escape);
void console_free(struct console *con);
int  console_attach(struct console *con);   /* join the loop (after the UART) */
void console_start(struct console *con);   /* raw terminal while running */
void console_stop(struct console *con);
void console_write(struct console *con, const void *buf, size_t len);
void console_flush(struct console *con, int patience_ms);   /* harts stopped */
void console_rx_space(struct console *con);  /* any thread: UART FIFO drained */
int  console_getchar(struct console *con);   /* any thread: -1 if no input */

#endif
