/*
 * htif.h — the Berkeley host-target interface of Spike and riscv-tests:
 * a program writes commands to its `tohost` word and reads answers from
 * `fromhost`.  Supported: exit (device 0, payload odd: code = payload >> 1),
 * the write(64)/exit(93) system calls of device 0 (printf in riscv-tests
 * benchmarks), and console putchar (device 1, command 1).
 *
 * The two words live in guest RAM; the machine routes the 4 KiB page that
 * holds tohost here (rv_bus.io_page).  Other bytes of that page behave as
 * RAM.
 */
#ifndef VESSEL_DEV_HTIF_H
#define VESSEL_DEV_HTIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dev/device.h"

struct htif;

struct htif_backend {
    void *opaque;
    void *(*guest_ptr)(void *opaque, uint64_t gpa, uint64_t len);
    void (*console)(void *opaque, const void *buf, size_t len);
    void (*exit)(void *opaque, uint64_t code);
};

extern const struct dev_ops htif_ops;

/* page: guest-physical base of the 4 KiB page holding tohost; fromhost
 * may be 0 (absent) or anywhere in RAM. */
struct htif *htif_new(const struct htif_backend *backend, uint64_t page,
                      uint64_t tohost, uint64_t fromhost);

#endif
