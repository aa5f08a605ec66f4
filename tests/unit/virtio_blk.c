/* Unit test: virtio-blk over a raw image — config space, read, write,
 * flush, get-id, discard, write-zeroes, bounds, read-only disks, many
 * requests in flight, write-through mode, reset with requests queued,
 * the exclusive lock that dedicates a writable disk to one VM, and lone
 * cached reads finished during the notify (blk_try_preadv). */
#include <errno.h>
#include <fcntl.h>
#include <sys/uio.h>
#include "block/block.h"
#include "virtio_harness.h"

#define DISK_SECTORS 2048               /* 1 MiB */
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define T_WRITE_ZEROES 13

static char image[] = "/tmp/vessel-virtio-blk-XXXXXX";

static uint8_t pattern(uint64_t off) { return (uint8_t)(off * 7 + (off >> 9)); }

static void make_image(void)
{
    int fd = mkstemp(image);
    CHECK(fd >= 0);
    static uint8_t buf[DISK_SECTORS * 512];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = pattern(i);
    CHECK_EQ(write(fd, buf, sizeof buf), sizeof buf);
    close(fd);
}

struct blk_io {
    uint64_t hdr, data, status;
};

/* Queue one request (header, data of len bytes, status) without kicking. */
static uint16_t blk_add(struct h_dev *d, struct blk_io *io, uint32_t type, uint64_t sector,
                        uint32_t len, bool data_writable)
{
    io->hdr = h_alloc(d, 16, 8);
    io->status = h_alloc(d, 1, 1);
    uint8_t *h = h_ptr(d, io->hdr, 16);
    virtio_put_le32(h, type);
    virtio_put_le64(h + 8, sector);
    *(uint8_t *)h_ptr(d, io->status, 1) = 0xee;
    struct h_buf b[3] = { { io->hdr, 16, false } };
    unsigned n = 1;
    if (len) {
        b[n++] = (struct h_buf){ io->data, len, data_writable };
    }
    b[n++] = (struct h_buf){ io->status, 1, true };
    return h_add(d, 0, b, n);
}

/* One request, synchronous; returns the status byte (0xee: none). */
static uint8_t blk_do(struct h_dev *d, uint32_t type, uint64_t sector, uint64_t data,
                      uint32_t len, uint32_t *used_len)
{
    struct blk_io io = { .data = data };
    uint16_t head = blk_add(d, &io, type, sector, len, type == T_IN || type == T_GET_ID);
    h_kick(d, 0);
    uint32_t id = 0, ulen = 0;
    CHECK(h_wait_used(d, 0, &id, &ulen));
    CHECK_EQ(id, head);
    if (used_len)
        *used_len = ulen;
    return *(uint8_t *)h_ptr(d, io.status, 1);
}

static uint32_t cfg32(struct h_dev *d, unsigned off)
{
    return h_rd(d, 0x100 + off);
}

static void read_file(uint64_t off, void *buf, size_t len)
{
    int fd = open(image, O_RDONLY);
    CHECK_EQ(pread(fd, buf, len, (off_t)off), len);
    close(fd);
}

static void test_basic(void)
{
    char args[128];
    snprintf(args, sizeof args, "%s,format=raw,serial=vessel-serial-0123456789", image);
    const char *specs[] = { "disk", args, NULL };
    struct vm *vm = h_vm_create(specs);
    CHECK(vm);
    if (!vm)
        return;
    struct h_dev d;
    CHECK(h_find(&d, vm, VIRTIO_ID_BLOCK, 0));
    uint64_t f = h_device_features(&d);
    CHECK(!(f & VIRTIO_BIT(5)));                       /* not RO */
    CHECK(f & VIRTIO_BIT(9));                          /* FLUSH */
    CHECK(f & VIRTIO_BIT(13));                         /* DISCARD */
    CHECK(f & VIRTIO_BIT(14));                         /* WRITE_ZEROES */
    CHECK_EQ(cfg32(&d, 0), DISK_SECTORS);              /* capacity low */
    CHECK_EQ(cfg32(&d, 4), 0);
    CHECK_EQ(cfg32(&d, 12), 1022);                     /* seg_max */
    CHECK_EQ(cfg32(&d, 20), 512);                      /* blk_size */
    CHECK(h_init(&d, 0, 1, 256));
    /* Config is read-only except the writeback byte. */
    h_wr(&d, 0x100, 5);
    CHECK_EQ(cfg32(&d, 0), DISK_SECTORS);

    uint64_t buf = h_alloc(&d, 64 * 1024, 512);
    uint8_t *p = h_ptr(&d, buf, 64 * 1024);
    uint32_t ulen;

    /* Read sectors 3..4. */
    CHECK_EQ(blk_do(&d, T_IN, 3, buf, 1024, &ulen), 0);
    CHECK_EQ(ulen, 1025);
    bool same = true;
    for (unsigned i = 0; i < 1024; i++)
        same &= p[i] == pattern(3 * 512 + i);
    CHECK(same);

    /* Write sector 5, flush, see it in the file. */
    for (unsigned i = 0; i < 512; i++)
        p[i] = (uint8_t)(0xa5 ^ i);
    CHECK_EQ(blk_do(&d, T_OUT, 5, buf, 512, &ulen), 0);
    CHECK_EQ(ulen, 1);
    CHECK_EQ(blk_do(&d, T_FLUSH, 0, 0, 0, NULL), 0);
    uint8_t fbuf[512];
    read_file(5 * 512, fbuf, 512);
    CHECK(memcmp(fbuf, p, 512) == 0);

    /* GET_ID: 20 bytes of the serial. */
    memset(p, 0, 32);
    CHECK_EQ(blk_do(&d, T_GET_ID, 0, buf, 20, &ulen), 0);
    CHECK(memcmp(p, "vessel-serial-012345", 20) == 0);
    CHECK_EQ(ulen, 21);

    /* Bounds: the last sector reads, one past it fails; a length that is not
     * a multiple of 512 fails; a huge sector does not wrap around. */
    CHECK_EQ(blk_do(&d, T_IN, DISK_SECTORS - 1, buf, 512, NULL), 0);
    CHECK_EQ(blk_do(&d, T_IN, DISK_SECTORS - 1, buf, 1024, NULL), 1);
    CHECK_EQ(blk_do(&d, T_IN, DISK_SECTORS, buf, 512, NULL), 1);
    CHECK_EQ(blk_do(&d, T_IN, 0, buf, 100, NULL), 1);
    CHECK_EQ(blk_do(&d, T_OUT, UINT64_MAX / 512, buf, 512, NULL), 1);
    CHECK_EQ(blk_do(&d, T_OUT, UINT64_MAX, buf, 512, NULL), 1);
    /* Unknown request type. */
    CHECK_EQ(blk_do(&d, 77, 0, 0, 0, NULL), 2);

    /* Write-zeroes on sectors 10..13, discard on 20..27 (one segment each). */
    uint8_t *seg = p + 8192;
    virtio_put_le64(seg, 10); virtio_put_le32(seg + 8, 4); virtio_put_le32(seg + 12, 0);
    CHECK_EQ(blk_do(&d, T_WRITE_ZEROES, 0, buf + 8192, 16, NULL), 0);
    virtio_put_le64(seg, 20); virtio_put_le32(seg + 8, 8); virtio_put_le32(seg + 12, 0);
    CHECK_EQ(blk_do(&d, T_DISCARD, 0, buf + 8192, 16, NULL), 0);
    /* Discard with the unmap flag: unsupported; out-of-range segment: error. */
    virtio_put_le32(seg + 12, 1);
    CHECK_EQ(blk_do(&d, T_DISCARD, 0, buf + 8192, 16, NULL), 2);
    virtio_put_le64(seg, DISK_SECTORS - 1); virtio_put_le32(seg + 8, 2); virtio_put_le32(seg + 12, 0);
    CHECK_EQ(blk_do(&d, T_WRITE_ZEROES, 0, buf + 8192, 16, NULL), 1);
    CHECK_EQ(blk_do(&d, T_IN, 10, buf, 2048, NULL), 0);
    bool zero = true;
    for (unsigned i = 0; i < 2048; i++)
        zero &= p[i] == 0;
    CHECK(zero);
    CHECK_EQ(blk_do(&d, T_IN, 14, buf, 512, NULL), 0);      /* untouched after */
    CHECK_EQ(p[0], pattern(14 * 512));

    /* Many requests in flight: 64 reads of one sector each. */
    struct blk_io ios[64];
    uint64_t many = h_alloc(&d, 64 * 512, 512);
    for (unsigned i = 0; i < 64; i++) {
        ios[i].data = many + i * 512;
        blk_add(&d, &ios[i], T_IN, 100 + i, 512, true);
    }
    h_kick(&d, 0);
    for (unsigned i = 0; i < 64; i++)
        CHECK(h_wait_used(&d, 0, NULL, NULL));
    bool ok = true;
    for (unsigned i = 0; i < 64; i++) {
        ok &= *(uint8_t *)h_ptr(&d, ios[i].status, 1) == 0;
        ok &= *(uint8_t *)h_ptr(&d, many + i * 512 + 17, 1) == pattern((100 + i) * 512 + 17);
    }
    CHECK(ok);

    /* Write-through (writeback byte 0): writes still land. */
    CHECK(vm_mmio_write(vm, d.base + 0x100 + 32, 1, 0));
    uint64_t v;
    CHECK(vm_mmio_read(vm, d.base + 0x100 + 32, 1, &v));
    CHECK_EQ(v, 0);
    memset(p, 0x3c, 512);
    CHECK_EQ(blk_do(&d, T_OUT, 7, buf, 512, NULL), 0);
    read_file(7 * 512, fbuf, 512);
    CHECK_EQ(fbuf[100], 0x3c);

    /* A request without a status byte breaks the device. */
    uint64_t hdr = h_alloc(&d, 16, 8);
    struct h_buf only_hdr = { hdr, 16, false };
    h_add(&d, 0, &only_hdr, 1);
    h_kick(&d, 0);
    CHECK(h_wait_status(&d, VIRTIO_STATUS_DEVICE_NEEDS_RESET));

    /* Reset with requests queued but not kicked, then work again. */
    h_wr(&d, 0x070, 0);
    CHECK_EQ(h_rd(&d, 0x070), 0);
    CHECK(vm_mmio_read(vm, d.base + 0x100 + 32, 1, &v));
    CHECK_EQ(v, 1);                                   /* writeback again */
    d.heap = H_HEAP + 0x200000;
    CHECK(h_init(&d, 0, 1, 128));
    buf = h_alloc(&d, 4096, 512);
    for (unsigned i = 0; i < 8; i++) {
        struct blk_io io = { .data = buf };
        blk_add(&d, &io, T_IN, i, 512, true);
    }
    h_kick(&d, 0);
    h_wr(&d, 0x070, 0);                               /* reset while they run */
    CHECK_EQ(h_rd(&d, 0x070), 0);
    d.heap = H_HEAP + 0x300000;
    CHECK(h_init(&d, 0, 1, 128));
    buf = h_alloc(&d, 4096, 512);
    CHECK_EQ(blk_do(&d, T_IN, 5, buf, 512, NULL), 0);
    CHECK_EQ(*(uint8_t *)h_ptr(&d, buf + 1, 1), 0xa5 ^ 1);

    /* A second VM asking for the same writable disk is refused. */
    char err[512];
    CHECK(h_vm_create_fails("disk", image, err, sizeof err));
    CHECK(strstr(err, "in use") != NULL);
    CHECK(strstr(err, image) != NULL);
    /* Read-only sharing is refused too while a writer holds it. */
    snprintf(args, sizeof args, "%s,readonly=on", image);
    CHECK(h_vm_create_fails("disk", args, err, sizeof err));

    vm_destroy(vm);
}

static void test_readonly(void)
{
    char args[128];
    snprintf(args, sizeof args, "%s,readonly=on", image);
    const char *specs[] = { "disk", args, "disk", args, NULL };   /* two readers share */
    struct vm *vm = h_vm_create(specs);
    CHECK(vm);
    if (!vm)
        return;
    struct h_dev d;
    CHECK(h_find(&d, vm, VIRTIO_ID_BLOCK, 1));
    uint64_t f = h_device_features(&d);
    CHECK(f & VIRTIO_BIT(5));                          /* RO */
    CHECK(!(f & VIRTIO_BIT(14)));
    CHECK(h_init(&d, 0, 1, 64));
    uint64_t buf = h_alloc(&d, 4096, 512);
    uint8_t before[512];
    read_file(9 * 512, before, 512);
    memset(h_ptr(&d, buf, 512), 0x11, 512);
    CHECK_EQ(blk_do(&d, T_OUT, 9, buf, 512, NULL), 1);  /* IOERR */
    uint8_t after[512];
    read_file(9 * 512, after, 512);
    CHECK(memcmp(before, after, 512) == 0);
    CHECK_EQ(blk_do(&d, T_IN, 9, buf, 512, NULL), 0);
    CHECK(memcmp(h_ptr(&d, buf, 512), before, 512) == 0);
    vm_destroy(vm);
}

static void test_bad_options(void)
{
    char err[512], args[160];
    CHECK(h_vm_create_fails("disk", "", err, sizeof err));
    CHECK(strstr(err, "required") != NULL);
    CHECK(h_vm_create_fails("disk", "/nonexistent/disk.img", err, sizeof err));
    CHECK(strstr(err, "/nonexistent/disk.img") != NULL);
    CHECK(h_vm_create_fails("disk", "/dev/null", err, sizeof err));
    CHECK(strstr(err, "not a regular file or a block device") != NULL);
    snprintf(args, sizeof args, "%s,cache=sometimes", image);
    CHECK(h_vm_create_fails("disk", args, err, sizeof err));
    CHECK(strstr(err, "cache") != NULL);
    snprintf(args, sizeof args, "%s,bogus=1", image);
    CHECK(h_vm_create_fails("disk", args, err, sizeof err));
    CHECK(strstr(err, "bogus") != NULL);
    snprintf(args, sizeof args, "%s,format=vmdk", image);
    CHECK(h_vm_create_fails("disk", args, err, sizeof err));
}

/* Does this host file system read with RWF_NOWAIT (tmpfs before 6.6 does
 * not)?  Where it does not, reads simply all go through the worker. */
static bool host_has_nowait(const char *path)
{
    int fd = open(path, O_RDONLY);
    char c;
    struct iovec v = { &c, 1 };
    bool ok = fd >= 0 && preadv2(fd, &v, 1, 0, RWF_NOWAIT) == 1;
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A disk whose file ends 100 bytes into its last sector. */
static void test_inline_reads(void)
{
    char path[] = "/tmp/vessel-virtio-blk-tail-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    static uint8_t data[64 * 512 + 100];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = pattern(i);
    CHECK_EQ(write(fd, data, sizeof data), sizeof data);
    close(fd);
    bool nowait = host_has_nowait(path);

    /* The block call: cached data at once, the tail past EOF not (the
     * normal read zero-fills it), outside the disk an error. */
    struct blk *blk;
    char berr[BLK_ERR_LEN];
    CHECK_EQ(blk_open(&blk, path, &(struct blk_open_opts){ .format = "raw", .read_only = true },
                      berr), 0);
    uint8_t buf[1024];
    struct iovec v = { buf, 1024 };
    if (nowait) {
        CHECK_EQ(blk_try_preadv(blk, 512, &v, 1), 0);
        CHECK_EQ(buf[700], pattern(512 + 700));
    }
    CHECK_EQ(blk_try_preadv(blk, 64 * 512, &v, 1), -ERANGE);
    v.iov_len = 512;
    CHECK_EQ(blk_try_preadv(blk, 64 * 512, &v, 1), -EAGAIN);
    CHECK_EQ(blk_try_preadv(blk, 65 * 512, &v, 1), -ERANGE);
    blk_close(blk);

    char args[128];
    snprintf(args, sizeof args, "%s,format=raw", path);
    const char *specs[] = { "disk", args, NULL };
    struct vm *vm = h_vm_create(specs);
    CHECK(vm);
    if (!vm) {
        unlink(path);
        return;
    }
    struct h_dev d;
    CHECK(h_find(&d, vm, VIRTIO_ID_BLOCK, 0));
    CHECK_EQ(cfg32(&d, 0), 65);                        /* 64 sectors + the partial one */
    CHECK(h_init(&d, 0, 1, 64));
    uint64_t gbuf = h_alloc(&d, 8192, 512);
    uint8_t *p = h_ptr(&d, gbuf, 8192);

    /* A lone read of cached data is complete when the notify returns. */
    struct blk_io io = { .data = gbuf };
    blk_add(&d, &io, T_IN, 2, 4096, true);
    uint16_t before = h_used_idx(&d, 0);
    h_kick(&d, 0);
    if (nowait)
        CHECK_EQ((uint16_t)(h_used_idx(&d, 0) - before), 1);
    uint32_t ulen = 0;
    CHECK(h_wait_used(&d, 0, NULL, &ulen));
    CHECK_EQ(ulen, 4097);
    CHECK_EQ(*(uint8_t *)h_ptr(&d, io.status, 1), 0);
    bool same = true;
    for (unsigned i = 0; i < 4096; i++)
        same &= p[i] == pattern(2 * 512 + i);
    CHECK(same);

    /* The partial last sector: file bytes, then zeroes. */
    memset(p, 0xff, 512);
    CHECK_EQ(blk_do(&d, T_IN, 64, gbuf, 512, &ulen), 0);
    CHECK_EQ(ulen, 513);
    CHECK_EQ(p[99], pattern(64 * 512 + 99));
    CHECK_EQ(p[100], 0);
    CHECK_EQ(p[511], 0);

    /* Past the end, or a bad length: errors, as on the worker. */
    CHECK_EQ(blk_do(&d, T_IN, 65, gbuf, 512, NULL), 1);
    CHECK_EQ(blk_do(&d, T_IN, 0, gbuf, 100, NULL), 1);

    /* Two reads behind one notify: both done, each with its own data. */
    struct blk_io a = { .data = gbuf }, b = { .data = gbuf + 4096 };
    blk_add(&d, &a, T_IN, 8, 512, true);
    blk_add(&d, &b, T_IN, 9, 512, true);
    h_kick(&d, 0);
    CHECK(h_wait_used(&d, 0, NULL, NULL));
    CHECK(h_wait_used(&d, 0, NULL, NULL));
    CHECK_EQ(*(uint8_t *)h_ptr(&d, a.status, 1), 0);
    CHECK_EQ(*(uint8_t *)h_ptr(&d, b.status, 1), 0);
    CHECK_EQ(p[33], pattern(8 * 512 + 33));
    CHECK_EQ(p[4096 + 33], pattern(9 * 512 + 33));

    /* A write then a read of it: the read sees the write. */
    memset(p, 0x5a, 512);
    CHECK_EQ(blk_do(&d, T_OUT, 3, gbuf, 512, NULL), 0);
    memset(p, 0, 512);
    CHECK_EQ(blk_do(&d, T_IN, 3, gbuf, 512, NULL), 0);
    CHECK_EQ(p[17], 0x5a);

    vm_destroy(vm);
    unlink(path);
}

int main(void)
{
    make_image();
    test_basic();
    test_inline_reads();
    test_readonly();
    test_bad_options();
    unlink(image);
    CHECK_DONE();
}
