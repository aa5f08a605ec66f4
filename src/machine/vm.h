/*
 * vm.h — a virtual machine: guest RAM, harts, the MMIO bus and devices,
 * laid out as QEMU's `virt` board.
 *
 * This is the CONTRACT devices (src/dev/, virtio) program against.
 * src/machine/ owns it and may add to it; keep what is here working.
 *
 * Life of a VM:  vm_create(config) builds the board, loads the images and
 * writes the device tree; vm_run() runs every hart on its own thread and
 * the host side (console, device I/O, timers) on the calling thread until
 * the guest powers off or something asks it to stop; vm_destroy() frees
 * it.  Nothing lives in globals: several VMs may share one process.
 */
#ifndef VESSEL_VM_H
#define VESSEL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <poll.h>
#include "dev/device.h"

struct vm;

/* QEMU virt memory map (hw/riscv/virt.c), same addresses. */
#define VIRT_MROM_BASE      0x00001000ULL
#define VIRT_MROM_SIZE      0x0000f000ULL
#define VIRT_TEST_BASE      0x00100000ULL   /* sifive,test syscon: poweroff/reboot */
#define VIRT_RTC_BASE       0x00101000ULL   /* goldfish RTC */
#define VIRT_RTC_IRQ        11
#define VIRT_ACLINT_BASE    0x02000000ULL   /* CLINT layout: MSWI + MTIMER */
#define VIRT_ACLINT_SIZE    0x00010000ULL
#define VIRT_PLIC_BASE      0x0c000000ULL
#define VIRT_PLIC_SIZE      0x00600000ULL   /* grows with harts: 0x4000000 max */
#define VIRT_PLIC_SOURCES   96
#define VIRT_UART0_BASE     0x10000000ULL
#define VIRT_UART0_IRQ      10
#define VIRT_VIRTIO_BASE    0x10001000ULL   /* 8 slots of 0x1000 */
#define VIRT_VIRTIO_SIZE    0x00001000ULL
#define VIRT_VIRTIO_COUNT   8
#define VIRT_VIRTIO_IRQ     1               /* slot i uses IRQ 1 + i */
#define VIRT_DRAM_BASE      0x80000000ULL

#define VM_MAX_CPUS   32                       /* documented limit of --cpus */
#define VM_MIN_RAM    (16ULL << 20)
#define VM_MAX_RAM    (64ULL << 30)
#define VM_TIMEBASE_HZ 10000000ULL             /* mtime/time: 10 MHz */

/* ---- configuration ---------------------------------------------------- */

/* One extra device asked for on the command line (`--device TYPE,ARGS` or
 * a shorthand such as `--disk ARGS`); TYPE names an entry of
 * vm_device_types[] (src/machine/devices.c). */
struct vm_device_spec {
    const char *type;
    const char *args;       /* the text after "TYPE," ("" if none) */
};

#define VM_MAX_DEVICE_SPECS 32

struct vm_config {
    uint64_t    ram_size;       /* bytes, VM_MIN_RAM..VM_MAX_RAM */
    unsigned    ncpus;          /* 1..VM_MAX_CPUS */
    const char *kernel;         /* Linux Image or ELF; with bios: the payload */
    const char *initrd;
    const char *append;         /* kernel command line (NULL: none) */
    const char *bios;           /* M-mode firmware; NULL or "default" = built-in
                                 * SBI; "none" = kernel runs in M mode */
    const char *dtb_out;        /* also write the generated DT here */
    int         console_in;     /* host fd read for the UART, -1 = none */
    int         console_out;    /* host fd the UART writes to, -1 = none */
    bool        console_escape; /* Ctrl-A commands on console_in (QEMU-like) */
    double      timeout;        /* seconds before VM_EXIT_TIMEOUT; 0 = none */
    struct vm_device_spec devices[VM_MAX_DEVICE_SPECS];
    unsigned    ndevices;
};

/* Defaults: 256 MiB, 1 hart, console on stdin/stdout with escapes. */
void vm_config_init(struct vm_config *cfg);

/* ---- lifecycle -------------------------------------------------------- */

/* Why vm_run() returned.  src/cli/run.c maps these to exit statuses. */
enum vm_exit_kind {
    VM_EXIT_POWEROFF,   /* guest powered off / test passed */
    VM_EXIT_RESET,      /* guest asked for a reset (reboot) */
    VM_EXIT_FAIL,       /* guest reported failure (sifive_test, HTIF, SRST) */
    VM_EXIT_TIMEOUT,    /* vm_config.timeout expired */
    VM_EXIT_HALTED,     /* every hart stopped: nothing can ever run again */
    VM_EXIT_SIGNAL,     /* the host asked us to stop (code = signal) */
    VM_EXIT_QUIT,       /* user typed Ctrl-A x */
    VM_EXIT_ERROR,      /* host-side failure while running */
};

struct vm_exit {
    enum vm_exit_kind kind;
    unsigned code;          /* FAIL: guest's code; SIGNAL: signal number */
};

/* NULL on error with a message in err (no trailing newline). */
struct vm *vm_create(const struct vm_config *cfg, char *err, size_t errlen);
/* Run until the VM stops; may be called once. */
struct vm_exit vm_run(struct vm *vm);
void vm_destroy(struct vm *vm);

/* Any thread: stop the VM with this reason (the first request wins). */
void vm_request_exit(struct vm *vm, enum vm_exit_kind kind, unsigned code);

/* ---- for devices ------------------------------------------------------ */

/* Register an MMIO region; returns 0 or -1 (overlap, out of slots). */
int vm_add_mmio(struct vm *vm, uint64_t base, uint64_t size,
                const struct dev_ops *ops, void *dev);

/* Drive a PLIC interrupt source (1..N); level-triggered.  Any thread. */
void vm_set_irq(struct vm *vm, unsigned irq, bool level);

/* DMA: a host pointer to guest-physical [gpa, gpa+len) if the whole range
 * is guest RAM, else NULL.  Devices must use this (never add offsets to the
 * RAM pointer themselves): every guest-supplied address is checked here. */
void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len);

/* Claim the next free virtio-mmio slot (in address order): its base and
 * PLIC IRQ.  Returns the slot index, or -1 when all 8 are taken.  The
 * caller then registers its device with vm_add_mmio(base, VIRT_VIRTIO_SIZE).
 * Slots nobody claims read as "no device" (DeviceID 0), as on QEMU. */
int vm_virtio_slot_alloc(struct vm *vm, uint64_t *base, unsigned *irq);

/* State the instances of one device kind share within this VM (every
 * --console-port adds a port to one virtio-console).  `kind` is a string
 * constant of that device; NULL until set.  Set returns -1 when the table
 * (VM_MAX_SHARED_STATE kinds) is full.  While devices are created only. */
#define VM_MAX_SHARED_STATE 8
void *vm_shared_state(struct vm *vm, const char *kind);
int   vm_set_shared_state(struct vm *vm, const char *kind, void *state);

unsigned vm_ncpus(const struct vm *vm);
uint64_t vm_ram_size(const struct vm *vm);

/* The machine clock (mtime), 10 MHz, and host monotonic nanoseconds. */
uint64_t vm_time(struct vm *vm);
uint64_t vm_host_ns(void);

/* Write bytes to the VM's console output (what the UART prints). */
void vm_console_write(struct vm *vm, const void *buf, size_t len);

/* ---- the host-side loop (runs on the thread that called vm_run) -------
 *
 * Devices that wait on host file descriptors (tap, sockets, images) or on
 * host timers add a loop client.  Before each poll the loop calls
 * prepare(), which adds fds with vm_poll_add() and may lower *timeout_ms;
 * after the poll, dispatch() reads the results with vm_poll_revents().
 * vm_kick() wakes the loop from any thread so that prepare() runs again.
 */
struct vm_poll_set;
int   vm_poll_add(struct vm_poll_set *ps, int fd, short events);  /* index or -1 */
short vm_poll_revents(const struct vm_poll_set *ps, int index);

struct vm_loop_client {
    void *opaque;
    void (*prepare)(void *opaque, struct vm_poll_set *ps, int *timeout_ms);
    void (*dispatch)(void *opaque, struct vm_poll_set *ps);
};

int  vm_add_loop_client(struct vm *vm, const struct vm_loop_client *client);
void vm_kick(struct vm *vm);

#endif
