/*
 * virtio_9p.c — virtio-9p transport device (virtio 1.x, 5.x "9P
 * transport", device ID 9): a host directory the guest mounts with
 *     mount -t 9p -o trans=virtio,version=9p2000.L TAG /mnt
 * Requests are served by the 9P2000.L server in virtio_9p_server.c on the
 * device's worker thread.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dev/virtio.h"
#include "dev/virtio_9p.h"
#include "dev/virtio_devices.h"
#include "machine/devargs.h"

#define VIRTIO_9P_MOUNT_TAG 0
#define P9_QUEUE_SIZE 128
#define P9_TAG_MAX 64

struct v9p {
    struct p9_server *server;
    char dir[PATH_MAX];
    struct iovec iov[VIRTQ_MAX_CHAIN];      /* the worker's, one request at a time */
};

static void v9p_notify(struct virtio_dev *vdev, unsigned q)
{
    struct v9p *d = virtio_dev_opaque(vdev);
    struct virtq *vq = virtio_dev_queue(vdev, q);
    struct virtq_elem e;
    while (virtq_pop(vq, &e, d->iov, VIRTQ_MAX_CHAIN) > 0) {
        long n = p9_server_handle(d->server, e.iov, e.out_num, e.out_len,
                                  e.iov + e.out_num, e.in_num, e.in_len);
        if (n < 0) {
            virtio_dev_set_broken(vdev, "9P request too short to answer");
            return;
        }
        virtq_push_notify(vq, &e, (uint32_t)n);
    }
}

static void v9p_reset(struct virtio_dev *vdev)
{
    struct v9p *d = virtio_dev_opaque(vdev);
    p9_server_reset(d->server);
}

static void v9p_destroy(struct virtio_dev *vdev)
{
    struct v9p *d = virtio_dev_opaque(vdev);
    p9_server_free(d->server);
    free(d);
}

static const struct virtio_device_ops v9p_ops = {
    .name = "virtio-9p",
    .device_id = VIRTIO_ID_9P,
    .features = 1ULL << VIRTIO_9P_MOUNT_TAG,
    .num_queues = 1,
    .queue_max = P9_QUEUE_SIZE,
    .config_size = 2 + P9_TAG_MAX,
    .queue_notify = v9p_notify,
    .reset = v9p_reset,
    .destroy = v9p_destroy,
};

static bool valid_tag(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > P9_TAG_MAX)
        return false;
    for (; *t; t++)
        if (!isgraph((unsigned char)*t))
            return false;
    return true;
}

int virtio_9p_create(struct vm *vm, const char *args, char *err, size_t errlen)
{
    static const char *const keys[] = { "", "path", "tag", "readonly", NULL };
    struct devargs da;
    char why[256];
    if (devargs_parse(&da, args, keys, why, sizeof why) < 0) {
        snprintf(err, errlen, "share: %s", why);
        return -1;
    }
    int rc = -1;
    struct v9p *d = NULL;
    const char *dir = devargs_get(&da, "path") ? devargs_get(&da, "path") : devargs_get(&da, "");
    const char *tag = devargs_get(&da, "tag"), *ro_s = devargs_get(&da, "readonly");
    bool ro = false;
    if (!dir || !*dir) {
        snprintf(err, errlen, "share: a host directory is required: --share HOSTDIR,tag=TAG[,readonly]");
        goto out;
    }
    if (!tag) {
        snprintf(err, errlen, "share %s: tag=TAG is required (the guest mounts it by this name)", dir);
        goto out;
    }
    if (!valid_tag(tag)) {
        snprintf(err, errlen, "share %s: tag '%s' must be 1 to %d printable characters "
                 "without spaces", dir, tag, P9_TAG_MAX);
        goto out;
    }
    if (ro_s && parse_bool(ro_s, &ro) < 0) {
        snprintf(err, errlen, "share %s: readonly=%s: expected on or off", dir, ro_s);
        goto out;
    }
    d = calloc(1, sizeof *d);
    if (!d) {
        snprintf(err, errlen, "share %s: out of memory", dir);
        goto out;
    }
    snprintf(d->dir, sizeof d->dir, "%s", dir);
    char serr[256];
    d->server = p9_server_new(dir, ro, serr, sizeof serr);
    if (!d->server) {
        snprintf(err, errlen, "share %s: %s", dir, serr);
        goto out;
    }
    uint8_t cfg[2 + P9_TAG_MAX] = { 0 };
    virtio_put_le16(cfg, (uint16_t)strlen(tag));
    memcpy(cfg + 2, tag, strlen(tag));
    if (!virtio_dev_create(vm, &v9p_ops, d, cfg, err, errlen))
        goto out;
    d = NULL;
    rc = 0;
out:
    if (d) {
        p9_server_free(d->server);
        free(d);
    }
    devargs_free(&da);
    return rc;
}
