/*
 * htif.c — tohost/fromhost.  A command is acted on when the program
 * completes the 64-bit tohost word (one 8-byte store, or the upper half of
 * two 4-byte stores); the answer goes to fromhost and tohost reads 0 again.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "dev/htif.h"

#define HTIF_DEV_SYSCALL 0
#define HTIF_DEV_CONSOLE 1
#define SYS_WRITE 64
#define SYS_EXIT  93
#define ENOSYS_RET ((uint64_t)-38)

struct htif {
    pthread_mutex_t lock;
    struct htif_backend be;
    uint64_t page, tohost, fromhost;     /* guest-physical */
    uint64_t tohost_val;
};

static void set_fromhost(struct htif *h, uint64_t val)
{
    uint64_t *p = h->fromhost ? h->be.guest_ptr(h->be.opaque, h->fromhost, 8) : NULL;
    if (p)
        __atomic_store_n(p, val, __ATOMIC_RELEASE);
}

/* riscv-tests' syscall proxy: magic_mem[0] = number, [1..3] = arguments,
 * result back into magic_mem[0]. */
static void do_syscall(struct htif *h, uint64_t addr)
{
    uint64_t *mm = h->be.guest_ptr(h->be.opaque, addr, 8 * sizeof(uint64_t));
    if (!mm)
        return;
    uint64_t ret = ENOSYS_RET;
    if (mm[0] == SYS_WRITE && (mm[1] == 1 || mm[1] == 2)) {
        const void *buf = h->be.guest_ptr(h->be.opaque, mm[2], mm[3]);
        if (buf) {
            h->be.console(h->be.opaque, buf, mm[3]);
            ret = mm[3];
        } else {
            ret = (uint64_t)-14;   /* EFAULT */
        }
    } else if (mm[0] == SYS_EXIT) {
        h->be.exit(h->be.opaque, mm[1]);
        ret = 0;
    }
    mm[0] = ret;
    set_fromhost(h, 1);
}

static void command(struct htif *h, uint64_t v)
{
    unsigned dev = (unsigned)(v >> 56), cmd = (unsigned)(v >> 48) & 0xff;
    uint64_t payload = v & 0xffffffffffffULL;
    if (dev == HTIF_DEV_SYSCALL && cmd == 0) {
        if (payload & 1)
            h->be.exit(h->be.opaque, payload >> 1);
        else
            do_syscall(h, payload);
    } else if (dev == HTIF_DEV_CONSOLE && cmd == 1) {
        uint8_t c = (uint8_t)payload;
        h->be.console(h->be.opaque, &c, 1);
        set_fromhost(h, (uint64_t)HTIF_DEV_CONSOLE << 56 | 1ULL << 48);
    }
    /* Anything else (console input, block devices) is not provided. */
    h->tohost_val = 0;
}

static uint8_t *ram_byte(struct htif *h, uint64_t off, unsigned size)
{
    return h->be.guest_ptr(h->be.opaque, h->page + off, size);
}

static bool htif_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    struct htif *h = dev;
    uint64_t to = h->tohost - h->page;
    pthread_mutex_lock(&h->lock);
    if (off >= to && off < to + 8) {
        *val = h->tohost_val >> ((off - to) * 8);
        if (size < 8)
            *val &= (1ULL << (size * 8)) - 1;
    } else {
        uint8_t *p = ram_byte(h, off, size);
        uint64_t v = 0;
        if (p)
            memcpy(&v, p, size);
        *val = v;
    }
    pthread_mutex_unlock(&h->lock);
    return true;
}

static bool htif_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    struct htif *h = dev;
    uint64_t to = h->tohost - h->page;
    pthread_mutex_lock(&h->lock);
    if (off >= to && off < to + 8) {
        unsigned shift = (unsigned)(off - to) * 8;
        uint64_t mask = size == 8 ? ~0ULL : ((1ULL << (size * 8)) - 1) << shift;
        h->tohost_val = (h->tohost_val & ~mask) | ((val << shift) & mask);
        if (off + size == to + 8 && h->tohost_val)
            command(h, h->tohost_val);
    } else {
        uint8_t *p = ram_byte(h, off, size);
        if (p)
            memcpy(p, &val, size);
    }
    pthread_mutex_unlock(&h->lock);
    return true;
}

static void htif_destroy(void *dev)
{
    struct htif *h = dev;
    pthread_mutex_destroy(&h->lock);
    free(h);
}

const struct dev_ops htif_ops = {
    .name = "htif",
    .read = htif_read,
    .write = htif_write,
    .destroy = htif_destroy,
};

struct htif *htif_new(const struct htif_backend *backend, uint64_t page,
                      uint64_t tohost, uint64_t fromhost)
{
    if (tohost < page || tohost - page > 0x1000 - 8 || (tohost & 7))
        return NULL;
    struct htif *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    pthread_mutex_init(&h->lock, NULL);
    h->be = *backend;
    h->page = page;
    h->tohost = tohost;
    h->fromhost = fromhost;
    return h;
}
