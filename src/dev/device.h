/*
 * device.h — how a device plugs into a machine.
 *
 * Every device lives in its own file under src/dev/ and registers one or
 * more MMIO regions with an ops table (read/write/reset/save/restore), as in
 * kvmtool and TinyEMU.  The machine dispatches guest physical accesses that
 * are not RAM to the region that covers them.
 *
 * Accesses are naturally aligned, size 1/2/4/8, offset relative to the
 * region's base.  Handlers run on the accessing hart's thread; a device
 * shared by several harts or touched by an I/O thread locks its own state.
 */
#ifndef VESSEL_DEVICE_H
#define VESSEL_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

struct snap_writer;   /* src/vm/snapshot.h (later) */
struct snap_reader;

struct dev_ops {
    const char *name;
    /* Return false for an offset/size the device does not decode: the
     * guest then gets an access fault. */
    bool (*read)(void *dev, uint64_t offset, unsigned size, uint64_t *val);
    bool (*write)(void *dev, uint64_t offset, unsigned size, uint64_t val);
    void (*reset)(void *dev);                                     /* may be NULL */
    int  (*save)(void *dev, struct snap_writer *w);               /* may be NULL */
    int  (*restore)(void *dev, struct snap_reader *r);            /* may be NULL */
    void (*destroy)(void *dev);                                   /* may be NULL */
};

#endif
