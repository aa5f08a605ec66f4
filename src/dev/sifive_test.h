/*
 * sifive_test.h — the "sifive,test0" finisher QEMU's virt board uses for
 * poweroff and reboot (Linux drives it through syscon-poweroff/-reboot):
 * a 32-bit write of 0x5555 (pass), 0x7777 (reset) or 0x3333 | code << 16
 * (fail) at offset 0.
 */
#ifndef VESSEL_DEV_SIFIVE_TEST_H
#define VESSEL_DEV_SIFIVE_TEST_H

#include <stdint.h>
#include "dev/device.h"

#define SIFIVE_TEST_MMIO_SIZE 0x1000
#define SIFIVE_TEST_FAIL   0x3333
#define SIFIVE_TEST_PASS   0x5555
#define SIFIVE_TEST_RESET  0x7777

enum sifive_test_event { SIFIVE_TEST_EV_PASS, SIFIVE_TEST_EV_FAIL, SIFIVE_TEST_EV_RESET };

struct sifive_test;

struct sifive_test_backend {
    void *opaque;
    void (*finish)(void *opaque, enum sifive_test_event ev, unsigned code);
};

extern const struct dev_ops sifive_test_ops;

struct sifive_test *sifive_test_new(const struct sifive_test_backend *backend);

#endif
