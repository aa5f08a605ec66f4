/*
 * virtio_rng.c — virtio entropy device (virtio 1.x, 5.4): fills the
 * guest's buffers from the host's getrandom().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include "dev/virtio.h"
#include "dev/virtio_devices.h"
#include "machine/devargs.h"

/* Bytes handed out per request: enough for any driver, bounded so that a
 * guest posting a 1 GiB buffer cannot keep the worker busy. */
#define RNG_MAX_PER_REQUEST (64 * 1024)
#define RNG_MAX_IOV 64

static size_t fill_random(const struct iovec *iov, unsigned cnt, size_t limit)
{
    size_t done = 0;
    for (unsigned i = 0; i < cnt && done < limit; i++) {
        size_t want = iov[i].iov_len < limit - done ? iov[i].iov_len : limit - done;
        size_t got = 0;
        while (got < want) {
            ssize_t n = getrandom((char *)iov[i].iov_base + got, want - got, 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                return done + got;
            got += (size_t)n;
        }
        done += got;
    }
    return done;
}

static void rng_notify(struct virtio_dev *vdev, unsigned q)
{
    struct virtq *vq = virtio_dev_queue(vdev, q);
    struct iovec iov[RNG_MAX_IOV];
    struct virtq_elem e;
    while (virtq_pop(vq, &e, iov, RNG_MAX_IOV) > 0) {
        size_t n = fill_random(iov + e.out_num, e.in_num, RNG_MAX_PER_REQUEST);
        virtq_push(vq, &e, (uint32_t)n);
        virtq_notify(vq);
    }
}

static const struct virtio_device_ops rng_ops = {
    .name = "virtio-rng",
    .device_id = VIRTIO_ID_RNG,
    .num_queues = 1,
    .queue_max = 64,
    .config_size = 0,
    .queue_notify = rng_notify,
};

int virtio_rng_create(struct vm *vm, const char *args, char *err, size_t errlen)
{
    static const char *const keys[] = { NULL };
    struct devargs da;
    char why[256];
    if (devargs_parse(&da, args, keys, why, sizeof why) < 0) {
        snprintf(err, errlen, "rng: %s (it takes no options)", why);
        return -1;
    }
    devargs_free(&da);
    return virtio_dev_create(vm, &rng_ops, NULL, NULL, err, errlen) ? 0 : -1;
}
