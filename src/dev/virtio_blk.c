/*
 * virtio_blk.c — virtio block device (virtio 1.x, 5.2) over the block
 * layer: read, write, flush, get-id, discard, write-zeroes, read-only
 * disks, write-through mode (CONFIG_WCE), many requests in flight.
 *
 * The worker pops requests and hands them to blk_submit(); the block
 * layer's thread pool runs them and its completion callback writes the
 * status byte (last), pushes the used entry and interrupts the guest.
 * A disk is dedicated to one VM: a writable image is locked exclusively
 * (a second VM, or QEMU, is refused and told who holds it) and a host
 * block device is also claimed with O_EXCL (refused while mounted).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "block/block.h"
#include "dev/virtio.h"
#include "dev/virtio_devices.h"
#include "machine/devargs.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SIZE_MAX      1
#define VIRTIO_BLK_F_SEG_MAX       2
#define VIRTIO_BLK_F_RO            5
#define VIRTIO_BLK_F_BLK_SIZE      6
#define VIRTIO_BLK_F_FLUSH         9
#define VIRTIO_BLK_F_TOPOLOGY      10
#define VIRTIO_BLK_F_CONFIG_WCE    11
#define VIRTIO_BLK_F_DISCARD       13
#define VIRTIO_BLK_F_WRITE_ZEROES  14

/* Request types and status (5.2.6). */
#define VIRTIO_BLK_T_IN            0
#define VIRTIO_BLK_T_OUT           1
#define VIRTIO_BLK_T_FLUSH         4
#define VIRTIO_BLK_T_GET_ID        8
#define VIRTIO_BLK_T_DISCARD       11
#define VIRTIO_BLK_T_WRITE_ZEROES  13
#define VIRTIO_BLK_S_OK            0
#define VIRTIO_BLK_S_IOERR         1
#define VIRTIO_BLK_S_UNSUPP        2
#define VIRTIO_BLK_ID_BYTES        20

/* Config space layout (5.2.4). */
#define CFG_CAPACITY               0
#define CFG_SIZE_MAX               8
#define CFG_SEG_MAX                12
#define CFG_BLK_SIZE               20
#define CFG_PHYS_BLOCK_EXP         24
#define CFG_MIN_IO_SIZE            26
#define CFG_OPT_IO_SIZE            28
#define CFG_WRITEBACK              32
#define CFG_NUM_QUEUES             34
#define CFG_MAX_DISCARD_SECTORS    36
#define CFG_MAX_DISCARD_SEG        40
#define CFG_DISCARD_ALIGNMENT      44
#define CFG_MAX_WZ_SECTORS         48
#define CFG_MAX_WZ_SEG             52
#define CFG_WZ_MAY_UNMAP           56
#define CFG_SIZE                   60

#define SECTOR          512u
#define QUEUE_SIZE      256
/* Data segments per request: with indirect descriptors a 1 MiB request of
 * 4 KiB pages (256 segments) fits in one; the transport's chain limit. */
#define SEG_MAX         (VIRTQ_MAX_CHAIN - 2)
#define SIZE_MAX_SEG    (4u << 20)          /* bytes per segment */
#define MAX_IOV         (SEG_MAX + 2)       /* + header + status */
/* Reads finished on the vCPU at most this big (Linux asks <= 1.25 MiB): a
 * bigger copy would hold the vCPU too long. */
#define INLINE_READ_MAX (2u << 20)
#define MAX_RANGES      16                  /* discard / write-zeroes segments */
#define MAX_RANGE_SECTORS 0x3fffff          /* 2 GiB - 512 per range */

struct blk_range {
    uint64_t sector;
    uint32_t num;
    uint32_t flags;
};

struct vblk_req {
    struct vblk *dev;
    struct virtq *vq;
    struct virtq_elem elem;
    struct iovec iov[MAX_IOV];
    struct iovec data[MAX_IOV];         /* the data part of iov */
    struct blk_request breq;
    uint8_t *status;                    /* last byte of the writable part */
    uint32_t written;                   /* used length on success */
    uint32_t type;
    struct blk_range ranges[MAX_RANGES];
    unsigned nranges, next_range;
    bool flush_after;                   /* write-through: flush then complete */
    bool run_inline;                    /* alone in flight: run on the worker */
    struct vblk_req *next_free;
};

struct vblk {
    struct virtio_dev *vdev;
    struct blk *blk;
    char path[PATH_MAX];
    char id[VIRTIO_BLK_ID_BYTES];
    uint64_t capacity;                  /* sectors */
    bool read_only, discard;
    uint8_t default_wce;                /* writeback byte after reset */
    atomic_int errors_reported;
    int excl_fd;                        /* O_EXCL claim on a host block device */
    struct virtio_device_ops ops;       /* features depend on the disk (RO) */

    pthread_mutex_t lock;
    pthread_cond_t drained;
    struct vblk_req *free;              /* request pool, grown on demand */
    unsigned nreqs, inflight;
    bool starved;                       /* worker stopped popping: pool empty */
};

static bool writeback(struct vblk *b)
{
    uint8_t wce = 1;
    if (virtio_dev_has_feature(b->vdev, VIRTIO_BLK_F_CONFIG_WCE))
        virtio_config_read(b->vdev, CFG_WRITEBACK, &wce, 1);
    return wce != 0;
}

/* ---- request pool ---- */

/* At most one request per ring entry is in flight; a guest that reuses
 * descriptors before their completion waits for a free one. */
static struct vblk_req *req_get(struct vblk *b)
{
    pthread_mutex_lock(&b->lock);
    struct vblk_req *r = b->free;
    if (!r && b->nreqs < QUEUE_SIZE && (r = malloc(sizeof *r)) != NULL) {
        r->dev = b;
        r->next_free = NULL;
        b->nreqs++;
    }
    if (r) {
        b->free = r->next_free;
        b->inflight++;
    } else {
        b->starved = true;
    }
    pthread_mutex_unlock(&b->lock);
    return r;
}

static void req_put(struct vblk *b, struct vblk_req *r)
{
    pthread_mutex_lock(&b->lock);
    r->next_free = b->free;
    b->free = r;
    b->inflight--;
    bool wake = b->starved;
    b->starved = false;
    if (b->inflight == 0)
        pthread_cond_broadcast(&b->drained);
    pthread_mutex_unlock(&b->lock);
    if (wake)
        virtio_dev_schedule(b->vdev, 0);
}

/* Finish a request: status byte last, then the used entry. */
static void complete(struct vblk_req *r, uint8_t status)
{
    struct vblk *b = r->dev;
    *r->status = status;
    uint32_t len = status == VIRTIO_BLK_S_OK ? r->written : 1;
    virtq_push_notify(r->vq, &r->elem, len);
    req_put(b, r);
}

static uint8_t errno_status(struct vblk_req *r, int ret)
{
    if (ret == -ENOTSUP || ret == -EOPNOTSUPP)
        return VIRTIO_BLK_S_UNSUPP;
    /* The guest only sees IOERR; say why on the host, a few times. */
    static const int quiet[] = { -ERANGE, -EROFS };
    for (unsigned i = 0; i < sizeof quiet / sizeof quiet[0]; i++)
        if (ret == quiet[i])
            return VIRTIO_BLK_S_IOERR;
    if (atomic_fetch_add(&r->dev->errors_reported, 1) < 10)
        fprintf(stderr, "vessel: virtio-blk %s: I/O error: %s%s%s\n", r->dev->path,
                strerror(-ret), *blk_last_error(r->dev->blk) ? ": " : "",
                blk_last_error(r->dev->blk));
    return VIRTIO_BLK_S_IOERR;
}

static void submit(struct vblk_req *r);

static void on_done(struct blk_request *breq, int ret)
{
    struct vblk_req *r = breq->opaque;
    if (ret < 0) {
        complete(r, errno_status(r, ret));
        return;
    }
    if (r->flush_after) {
        r->flush_after = false;
        r->breq.op = BLK_OP_FLUSH;
        submit(r);
        return;
    }
    if (r->next_range < r->nranges) {
        submit(r);
        return;
    }
    complete(r, VIRTIO_BLK_S_OK);
}

/* Hand r->breq (or the next range) to the block layer. */
static void submit(struct vblk_req *r)
{
    if (r->breq.op == BLK_OP_DISCARD || r->breq.op == BLK_OP_WRITE_ZEROES) {
        const struct blk_range *rg = &r->ranges[r->next_range++];
        r->breq.offset = rg->sector * SECTOR;
        r->breq.len = (uint64_t)rg->num * SECTOR;
        r->breq.flags = (rg->flags & 1) ? BLK_ZERO_MAY_UNMAP : 0;
    }
    r->breq.done = on_done;
    r->breq.opaque = r;
    if (r->run_inline) {
        on_done(&r->breq, blk_run(r->dev->blk, &r->breq));
        return;
    }
    int ret = blk_submit(r->dev->blk, &r->breq);
    if (ret < 0)
        complete(r, errno_status(r, ret));
}

/* Is [sector, sector + bytes/512) inside the disk? */
static bool in_range(struct vblk *b, uint64_t sector, uint64_t bytes)
{
    uint64_t n = bytes / SECTOR;
    return sector <= b->capacity && n <= b->capacity - sector;
}

/* Parse the discard / write-zeroes segments that follow the header. */
static uint8_t parse_ranges(struct vblk_req *r)
{
    struct vblk *b = r->dev;
    size_t bytes = r->elem.out_len - 16;
    if (bytes == 0 || bytes % 16 || bytes / 16 > MAX_RANGES)
        return VIRTIO_BLK_S_UNSUPP;
    r->nranges = (unsigned)(bytes / 16);
    for (unsigned i = 0; i < r->nranges; i++) {
        uint8_t seg[16];
        virtio_iov_to_buf(r->iov, r->elem.out_num, 16 + 16 * i, seg, 16);
        struct blk_range *rg = &r->ranges[i];
        rg->sector = virtio_le64(seg);
        rg->num = virtio_le32(seg + 8);
        rg->flags = virtio_le32(seg + 12);
        if (rg->flags & ~1u)
            return VIRTIO_BLK_S_UNSUPP;
        /* Discard never unmaps on request (spec: UNSUPP). */
        if (r->type == VIRTIO_BLK_T_DISCARD && (rg->flags & 1))
            return VIRTIO_BLK_S_UNSUPP;
        if (rg->num > MAX_RANGE_SECTORS || !in_range(b, rg->sector, (uint64_t)rg->num * SECTOR))
            return VIRTIO_BLK_S_IOERR;
    }
    r->next_range = 0;
    return VIRTIO_BLK_S_OK;
}

/* Read the header of a popped request: type, sector, status byte.
 * False if it has no room for them (the guest broke the protocol). */
static bool parse_header(struct vblk_req *r, uint64_t *sector)
{
    struct virtq_elem *e = &r->elem;
    uint8_t hdr[16];
    if (e->out_len < 16 || e->in_len < 1)
        return false;
    virtio_iov_to_buf(e->iov, e->out_num, 0, hdr, 16);
    r->type = virtio_le32(hdr);
    *sector = virtio_le64(hdr + 8);

    /* The status is the last writable byte; data is what comes before. */
    const struct iovec *last = &e->iov[e->out_num + e->in_num - 1];
    r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
    r->written = 1;
    r->flush_after = false;
    r->nranges = r->next_range = 0;
    memset(&r->breq, 0, sizeof r->breq);
    return true;
}

/* Set up a VIRTIO_BLK_T_IN request; false if its range or size is bad. */
static bool prepare_read(struct vblk_req *r, uint64_t sector)
{
    struct virtq_elem *e = &r->elem;
    size_t len = e->in_len - 1;
    if (len % SECTOR || !in_range(r->dev, sector, len) || len > UINT32_MAX - 1)
        return false;
    r->breq.op = BLK_OP_READ;
    r->breq.offset = sector * SECTOR;
    r->breq.iov = r->data;
    r->breq.iovcnt = (int)virtio_iov_slice(e->iov + e->out_num, e->in_num, 0, len, r->data);
    r->written = (uint32_t)len + 1;
    return true;
}

/* Start one popped request; it completes here or in on_done(). */
static void handle(struct vblk_req *r)
{
    struct vblk *b = r->dev;
    struct virtq_elem *e = &r->elem;
    uint64_t sector;
    if (!parse_header(r, &sector)) {
        virtio_dev_set_broken(b->vdev, "virtio-blk request without header or status byte");
        req_put(b, r);
        return;
    }

    switch (r->type) {
    case VIRTIO_BLK_T_IN:
        if (!prepare_read(r, sector))
            break;
        submit(r);
        return;
    case VIRTIO_BLK_T_OUT: {
        size_t len = e->out_len - 16;
        if (b->read_only || len % SECTOR || !in_range(b, sector, len))
            break;
        r->breq.op = BLK_OP_WRITE;
        r->breq.offset = sector * SECTOR;
        r->breq.iov = r->data;
        r->breq.iovcnt = (int)virtio_iov_slice(e->iov, e->out_num, 16, len, r->data);
        r->flush_after = !writeback(b);
        submit(r);
        return;
    }
    case VIRTIO_BLK_T_FLUSH:
        if (b->read_only) {
            complete(r, VIRTIO_BLK_S_OK);
            return;
        }
        r->breq.op = BLK_OP_FLUSH;
        submit(r);
        return;
    case VIRTIO_BLK_T_GET_ID: {
        size_t n = e->in_len - 1 < VIRTIO_BLK_ID_BYTES ? e->in_len - 1 : VIRTIO_BLK_ID_BYTES;
        virtio_iov_from_buf(e->iov + e->out_num, e->in_num, 0, b->id, n);
        r->written = (uint32_t)n + 1;
        complete(r, VIRTIO_BLK_S_OK);
        return;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES: {
        bool zero = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
        if (!zero && !b->discard) {
            complete(r, VIRTIO_BLK_S_UNSUPP);
            return;
        }
        if (b->read_only)
            break;
        uint8_t st = parse_ranges(r);
        if (st != VIRTIO_BLK_S_OK) {
            complete(r, st);
            return;
        }
        r->breq.op = zero ? BLK_OP_WRITE_ZEROES : BLK_OP_DISCARD;
        r->flush_after = zero && !writeback(b);
        submit(r);
        return;
    }
    default:
        complete(r, VIRTIO_BLK_S_UNSUPP);
        return;
    }
    complete(r, VIRTIO_BLK_S_IOERR);
}

static void vblk_notify(struct virtio_dev *vdev, unsigned q)
{
    struct vblk *b = virtio_dev_opaque(vdev);
    struct virtq *vq = virtio_dev_queue(vdev, q);
    /* Requests go to the block layer's thread pool, several in flight; a
     * request that turns out to be alone (the guest waits for each one,
     * as `dd` does) runs here instead, saving a thread hand-off. */
    struct vblk_req *pending = NULL;
    for (;;) {
        struct vblk_req *r = req_get(b);
        if (!r)
            break;                       /* a completion reschedules us */
        r->vq = vq;
        if (virtq_pop(vq, &r->elem, r->iov, MAX_IOV) <= 0) {
            req_put(b, r);
            break;
        }
        if (pending) {
            pending->run_inline = false;
            handle(pending);
        }
        pending = r;
    }
    if (pending) {
        pthread_mutex_lock(&b->lock);
        pending->run_inline = b->inflight == 1;
        pthread_mutex_unlock(&b->lock);
        handle(pending);
    }
}

/* QueueNotify on the vCPU: when the guest waits for one read (`dd`, a
 * page fault, most synchronous I/O) and the host page cache holds the
 * data, copy it into guest RAM right here.  The interrupt is then pending
 * when the notify returns: no hand-off to the worker and back, and the
 * guest never goes idle for it.  Anything else goes to the worker. */
static bool vblk_notify_vcpu(struct virtio_dev *vdev, unsigned q)
{
    struct vblk *b = virtio_dev_opaque(vdev);
    struct virtq *vq = virtio_dev_queue(vdev, q);
    pthread_mutex_lock(&b->lock);
    bool idle = b->inflight == 0;
    pthread_mutex_unlock(&b->lock);
    if (!idle)
        return false;
    struct vblk_req *r = req_get(b);
    if (!r)
        return false;
    r->vq = vq;
    int got = virtq_pop(vq, &r->elem, r->iov, MAX_IOV);
    if (got <= 0) {
        req_put(b, r);
        return got == 0;                 /* empty: nothing for the worker */
    }
    uint64_t sector;
    if (!virtq_has_avail(vq) && parse_header(r, &sector) && r->type == VIRTIO_BLK_T_IN &&
        r->elem.in_len - 1 <= INLINE_READ_MAX && prepare_read(r, sector) &&
        blk_try_preadv(b->blk, r->breq.offset, r->breq.iov, r->breq.iovcnt) == 0) {
        complete(r, VIRTIO_BLK_S_OK);
        return true;
    }
    /* The worker pops it again (a partial read is simply redone). */
    virtq_unpop(vq, &r->elem);
    req_put(b, r);
    return false;
}

static void vblk_reset(struct virtio_dev *vdev)
{
    struct vblk *b = virtio_dev_opaque(vdev);
    pthread_mutex_lock(&b->lock);
    while (b->inflight)
        pthread_cond_wait(&b->drained, &b->lock);
    b->starved = false;
    pthread_mutex_unlock(&b->lock);
    /* The write-back setting returns to its default. */
    virtio_config_update(vdev, CFG_WRITEBACK, &b->default_wce, 1, false);
}

static void vblk_config_write(struct virtio_dev *vdev, uint32_t off, const void *data,
                              unsigned len)
{
    /* Only the writeback byte is writable (with CONFIG_WCE). */
    if (off == CFG_WRITEBACK && len == 1 &&
        virtio_dev_has_feature(vdev, VIRTIO_BLK_F_CONFIG_WCE)) {
        uint8_t wce = *(const uint8_t *)data ? 1 : 0;
        virtio_config_update(vdev, CFG_WRITEBACK, &wce, 1, false);
    }
}

static void vblk_destroy(struct virtio_dev *vdev)
{
    struct vblk *b = virtio_dev_opaque(vdev);
    int ret = blk_close(b->blk);
    if (ret < 0)
        fprintf(stderr, "vessel: virtio-blk %s: final flush failed: %s\n", b->path,
                strerror(-ret));
    if (b->excl_fd >= 0)
        close(b->excl_fd);
    while (b->free) {
        struct vblk_req *r = b->free;
        b->free = r->next_free;
        free(r);
    }
    pthread_mutex_destroy(&b->lock);
    pthread_cond_destroy(&b->drained);
    free(b);
}

/* ---- creation ---- */

/* Who else has `path` open?  "pid 123 (vessel), pid 456 (qemu-system-ris)"
 * into buf, from /proc/PID/fd; "" if nobody we can see. */
static void find_holders(const char *path, char *buf, size_t len)
{
    struct stat target;
    buf[0] = '\0';
    if (stat(path, &target) < 0)
        return;
    DIR *proc = opendir("/proc");
    if (!proc)
        return;
    size_t used = 0;
    unsigned found = 0;
    struct dirent *de;
    while ((de = readdir(proc)) && found < 4) {
        char *end;
        long pid = strtol(de->d_name, &end, 10);
        if (*end || pid <= 0 || pid == getpid())
            continue;
        char fddir[64];
        snprintf(fddir, sizeof fddir, "/proc/%ld/fd", pid);
        DIR *fds = opendir(fddir);
        if (!fds)
            continue;
        struct dirent *fe;
        bool holds = false;
        while (!holds && (fe = readdir(fds))) {
            char fdpath[sizeof fddir + sizeof fe->d_name + 1];
            struct stat st;
            snprintf(fdpath, sizeof fdpath, "%s/%s", fddir, fe->d_name);
            if (fe->d_name[0] != '.' && stat(fdpath, &st) == 0 &&
                st.st_dev == target.st_dev && st.st_ino == target.st_ino &&
                (st.st_mode & S_IFMT) == (target.st_mode & S_IFMT) &&
                (!S_ISBLK(st.st_mode) || st.st_rdev == target.st_rdev))
                holds = true;
        }
        closedir(fds);
        if (!holds)
            continue;
        char comm[64] = "?", commpath[64];
        snprintf(commpath, sizeof commpath, "/proc/%ld/comm", pid);
        FILE *f = fopen(commpath, "r");
        if (f) {
            if (fgets(comm, sizeof comm, f))
                comm[strcspn(comm, "\n")] = '\0';
            fclose(f);
        }
        int n = snprintf(buf + used, len - used, "%spid %ld (%s)", found ? ", " : "", pid, comm);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
        found++;
    }
    closedir(proc);
}

/* A host block device is dedicated with O_EXCL: the kernel refuses it
 * while mounted, in a RAID/LVM, or claimed by another VM. */
static int claim_block_device(struct vblk *b, char *err, size_t errlen)
{
    struct stat st;
    b->excl_fd = -1;
    if (stat(b->path, &st) < 0 || !S_ISBLK(st.st_mode))
        return 0;
    b->excl_fd = open(b->path, (b->read_only ? O_RDONLY : O_RDWR) | O_EXCL | O_CLOEXEC);
    if (b->excl_fd >= 0)
        return 0;
    int e = errno;
    char holders[256];
    find_holders(b->path, holders, sizeof holders);
    if (e == EBUSY)
        snprintf(err, errlen, "disk %s: the block device is in use (mounted, or claimed by "
                 "another VM or program)%s%s; a VM gets a host disk for itself alone",
                 b->path, *holders ? "; open by " : "", holders);
    else
        snprintf(err, errlen, "disk %s: %s", b->path, strerror(e));
    return -1;
}

static int parse_cache(const char *s, enum blk_cache_mode *mode, bool *writethrough)
{
    *writethrough = false;
    if (!s || strcmp(s, "writeback") == 0)
        *mode = BLK_CACHE_WRITEBACK;
    else if (strcmp(s, "none") == 0 || strcmp(s, "directsync") == 0)
        *mode = BLK_CACHE_NONE, *writethrough = s[0] == 'd';
    else if (strcmp(s, "writethrough") == 0)
        *mode = BLK_CACHE_WRITEBACK, *writethrough = true;
    else if (strcmp(s, "unsafe") == 0)
        *mode = BLK_CACHE_UNSAFE;
    else
        return -1;
    return 0;
}

static const struct virtio_device_ops vblk_ops_template = {
    .name = "virtio-blk",
    .device_id = VIRTIO_ID_BLOCK,
    .num_queues = 1,
    .queue_max = QUEUE_SIZE,
    .config_size = CFG_SIZE,
    .queue_notify = vblk_notify,
    .queue_notify_vcpu = vblk_notify_vcpu,
    .config_write = vblk_config_write,
    .reset = vblk_reset,
    .destroy = vblk_destroy,
};

int virtio_blk_create(struct vm *vm, const char *args, char *err, size_t errlen)
{
    static const char *const keys[] = { "", "file", "format", "readonly", "cache",
                                        "serial", "discard", NULL };
    struct devargs da;
    char why[256];
    if (devargs_parse(&da, args, keys, why, sizeof why) < 0) {
        snprintf(err, errlen, "disk: %s", why);
        return -1;
    }
    const char *file = devargs_get(&da, "file");
    const char *pos = devargs_get(&da, "");
    const char *ro_s = devargs_get(&da, "readonly"), *disc_s = devargs_get(&da, "discard");
    const char *serial = devargs_get(&da, "serial");
    bool ro = false, discard = true, writethrough;
    struct blk_open_opts oo = { .format = devargs_get(&da, "format") };
    int rc = -1;
    struct vblk *b = NULL;

    if (file && pos) {
        snprintf(err, errlen, "disk: give the image once (FILE or file=FILE)");
        goto out;
    }
    file = file ? file : pos;
    if (!file || !*file) {
        snprintf(err, errlen, "disk: an image file is required: --disk FILE[,options]");
        goto out;
    }
    if (ro_s && parse_bool(ro_s, &ro) < 0) {
        snprintf(err, errlen, "disk %s: readonly=%s: expected on or off", file, ro_s);
        goto out;
    }
    if (disc_s && strcmp(disc_s, "unmap") != 0 && strcmp(disc_s, "ignore") != 0 &&
        parse_bool(disc_s, &discard) < 0) {
        snprintf(err, errlen, "disk %s: discard=%s: expected on/unmap or off/ignore", file, disc_s);
        goto out;
    }
    if (disc_s && strcmp(disc_s, "ignore") == 0)
        discard = false;
    if (parse_cache(devargs_get(&da, "cache"), &oo.cache, &writethrough) < 0) {
        snprintf(err, errlen, "disk %s: cache=%s: expected writeback, writethrough, none, "
                 "directsync or unsafe", file, devargs_get(&da, "cache"));
        goto out;
    }
    if (oo.format && strcmp(oo.format, "raw") && strcmp(oo.format, "qcow2") &&
        strcmp(oo.format, "split")) {
        snprintf(err, errlen, "disk %s: format=%s: expected raw, qcow2 or split", file, oo.format);
        goto out;
    }
    if (serial && strlen(serial) > VIRTIO_BLK_ID_BYTES)   /* QEMU truncates too: say so */
        fprintf(stderr, "vessel: disk %s: serial '%s' truncated to virtio-blk's %d bytes\n",
                file, serial, VIRTIO_BLK_ID_BYTES);
    oo.read_only = ro;

    b = calloc(1, sizeof *b);
    if (!b) {
        snprintf(err, errlen, "disk %s: out of memory", file);
        goto out;
    }
    b->excl_fd = -1;
    snprintf(b->path, sizeof b->path, "%s", file);
    b->read_only = ro;
    b->discard = discard;
    struct stat st;
    if (stat(file, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        snprintf(err, errlen, "disk %s: not a regular file or a block device", file);
        goto out;
    }
    if (claim_block_device(b, err, errlen) < 0)
        goto out;

    char berr[BLK_ERR_LEN];
    int ret = blk_open(&b->blk, file, &oo, berr);
    if (ret < 0) {
        if (ret == -EBUSY || ret == -EAGAIN) {
            char holders[256];
            find_holders(file, holders, sizeof holders);
            snprintf(err, errlen, "disk %s is in use by another VM or program%s%s (%s); %s",
                     file, *holders ? ": " : "", holders, berr,
                     ro ? "a disk another VM writes cannot be opened, even readonly"
                        : "a writable disk belongs to one VM at a time (VMs that all "
                          "give readonly=on share it)");
        } else {
            snprintf(err, errlen, "disk %s: %s", file, *berr ? berr : strerror(-ret));
        }
        goto out;
    }
    b->read_only = ro || blk_is_read_only(b->blk);
    b->capacity = blk_size(b->blk) / SECTOR;

    /* Serial (GET_ID): given, else the file's name, at most 20 bytes. */
    const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
    const char *id = serial ? serial : base;
    memcpy(b->id, id, strnlen(id, sizeof b->id));

    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->drained, NULL);

    uint8_t cfg[CFG_SIZE] = { 0 };
    virtio_put_le64(cfg + CFG_CAPACITY, b->capacity);
    virtio_put_le32(cfg + CFG_SIZE_MAX, SIZE_MAX_SEG);
    virtio_put_le32(cfg + CFG_SEG_MAX, SEG_MAX);
    virtio_put_le32(cfg + CFG_BLK_SIZE, SECTOR);
    uint32_t cluster = blk_cluster_size(b->blk);
    virtio_put_le32(cfg + CFG_OPT_IO_SIZE, cluster ? cluster / SECTOR : 0);
    virtio_put_le16(cfg + CFG_MIN_IO_SIZE, 1);
    b->default_wce = writethrough ? 0 : 1;
    cfg[CFG_WRITEBACK] = b->default_wce;
    virtio_put_le16(cfg + CFG_NUM_QUEUES, 1);
    virtio_put_le32(cfg + CFG_MAX_DISCARD_SECTORS, MAX_RANGE_SECTORS);
    virtio_put_le32(cfg + CFG_MAX_DISCARD_SEG, MAX_RANGES);
    virtio_put_le32(cfg + CFG_DISCARD_ALIGNMENT, cluster ? cluster / SECTOR : 8);
    virtio_put_le32(cfg + CFG_MAX_WZ_SECTORS, MAX_RANGE_SECTORS);
    virtio_put_le32(cfg + CFG_MAX_WZ_SEG, MAX_RANGES);
    cfg[CFG_WZ_MAY_UNMAP] = 1;

    uint64_t features = VIRTIO_BIT(VIRTIO_BLK_F_SIZE_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
                        VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) | VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
                        VIRTIO_BIT(VIRTIO_BLK_F_TOPOLOGY) | VIRTIO_BIT(VIRTIO_BLK_F_CONFIG_WCE);
    if (b->read_only)
        features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
    else
        features |= VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES) |
                    (discard ? VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) : 0);
    b->ops = vblk_ops_template;
    b->ops.features = features;
    b->vdev = virtio_dev_create(vm, &b->ops, b, cfg, err, errlen);
    if (!b->vdev)
        goto out;
    b = NULL;                 /* the transport owns it now */
    rc = 0;
out:
    if (b) {
        if (b->blk) {
            blk_close(b->blk);
            pthread_mutex_destroy(&b->lock);
            pthread_cond_destroy(&b->drained);
        }
        if (b->excl_fd >= 0)
            close(b->excl_fd);
        free(b);
    }
    devargs_free(&da);
    return rc;
}
