/*
 * virtio_devices.h — create functions of the virtio devices a user adds
 * from the command line (entries of vm_device_types[] in
 * src/machine/devices.c).  Each parses its "VALUE,key=value" ARGS with
 * devargs.h and returns 0, or -1 with a message in err.
 */
#ifndef VESSEL_DEV_VIRTIO_DEVICES_H
#define VESSEL_DEV_VIRTIO_DEVICES_H

#include <stddef.h>

struct vm;

/* --disk FILE[,format=raw|qcow2|split][,readonly=on][,cache=writeback|none|unsafe][,serial=ID] */
int virtio_blk_create(struct vm *vm, const char *args, char *err, size_t errlen);
/* --share HOSTDIR,tag=TAG[,readonly] */
int virtio_9p_create(struct vm *vm, const char *args, char *err, size_t errlen);
/* --device console: a virtio-console whose port 0 (hvc0) writes to the VM console */
int virtio_console_create(struct vm *vm, const char *args, char *err, size_t errlen);
/* --console-port name=NAME,socket=PATH | path=FILE: a named port of that console */
int virtio_console_port_create(struct vm *vm, const char *args, char *err, size_t errlen);
/* --rng */
int virtio_rng_create(struct vm *vm, const char *args, char *err, size_t errlen);

#endif
