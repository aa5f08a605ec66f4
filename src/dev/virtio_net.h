/*
 * virtio_net.h — the virtio network device (virtio 1.x, 5.1) on a network
 * backend of src/net/ (user-mode NAT, tap, or the virtual switch).
 */
#ifndef VESSEL_DEV_VIRTIO_NET_H
#define VESSEL_DEV_VIRTIO_NET_H

#include <stddef.h>

struct vm;

/* --net user|tap|switch[,key=value...] (see net_options_parse in net/net.h):
 * 0, or -1 with a message in err. */
int virtio_net_create(struct vm *vm, const char *args, char *err, size_t errlen);

#endif
