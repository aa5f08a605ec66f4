/*
 * vm.h — a virtual machine: guest RAM, harts, the MMIO bus and devices,
 * laid out as QEMU's `virt` board.
 *
 * This is the CONTRACT devices (src/dev/, virtio) program against.
 * src/machine/ owns it and may add to it; keep what is here working.
 */
#ifndef VESSEL_VM_H
#define VESSEL_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "dev/device.h"

struct vm;

/* QEMU virt memory map (hw/riscv/virt.c), same addresses. */
#define VIRT_MROM_BASE      0x00001000ULL
#define VIRT_TEST_BASE      0x00100000ULL   /* sifive,test syscon: poweroff/reboot */
#define VIRT_RTC_BASE       0x00101000ULL   /* goldfish RTC */
#define VIRT_ACLINT_BASE    0x02000000ULL   /* CLINT layout: MSWI + MTIMER */
#define VIRT_ACLINT_SIZE    0x00010000ULL
#define VIRT_PLIC_BASE      0x0c000000ULL
#define VIRT_PLIC_SIZE      0x00600000ULL   /* grows with harts: 0x4000000 max */
#define VIRT_UART0_BASE     0x10000000ULL
#define VIRT_UART0_IRQ      10
#define VIRT_VIRTIO_BASE    0x10001000ULL   /* 8 slots of 0x1000 */
#define VIRT_VIRTIO_SIZE    0x00001000ULL
#define VIRT_VIRTIO_COUNT   8
#define VIRT_VIRTIO_IRQ     1               /* slot i uses IRQ 1 + i */
#define VIRT_DRAM_BASE      0x80000000ULL

/* Register an MMIO region; returns 0 or -1 (overlap, out of slots). */
int vm_add_mmio(struct vm *vm, uint64_t base, uint64_t size,
                const struct dev_ops *ops, void *dev);

/* Drive a PLIC interrupt source (1..N); level-triggered.  Any thread. */
void vm_set_irq(struct vm *vm, unsigned irq, bool level);

/* DMA: a host pointer to guest-physical [gpa, gpa+len) if the whole range
 * is guest RAM, else NULL.  Devices must use this (never add offsets to the
 * RAM pointer themselves): every guest-supplied address is checked here. */
void *vm_guest_ptr(struct vm *vm, uint64_t gpa, uint64_t len);

#endif
