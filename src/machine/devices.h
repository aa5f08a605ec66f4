/*
 * devices.h — the devices a user can add to a VM from the command line.
 *
 * `vessel run --device TYPE[,ARGS]` adds one; a type with a shorthand
 * option also answers to `--SHORTHAND ARGS` (e.g. `--disk FILE,...`).
 * To add a device type, write its create function in its own file and add
 * one line to vm_device_types[] in src/machine/devices.c; `vessel run
 * --help` lists the table, and ARGS can be parsed with devargs.h.
 */
#ifndef VESSEL_MACHINE_DEVICES_H
#define VESSEL_MACHINE_DEVICES_H

#include <stddef.h>

struct vm;

struct vm_device_type {
    const char *type;        /* --device TYPE,... */
    const char *shorthand;   /* long option meaning --device TYPE, or NULL */
    const char *usage;       /* what ARGS look like */
    const char *help;        /* one line */
    /* Create the device in vm (claim a virtio slot, vm_add_mmio, ...).
     * Called after the board exists, before the kernel is loaded. */
    int (*create)(struct vm *vm, const char *args, char *err, size_t errlen);
};

extern const struct vm_device_type vm_device_types[];   /* ends with type NULL */

const struct vm_device_type *vm_device_type_find(const char *type);
const struct vm_device_type *vm_device_type_by_shorthand(const char *option);

#endif
