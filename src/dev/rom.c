/* rom.c — read-only memory. */
#include <stdlib.h>
#include <string.h>
#include "dev/rom.h"

struct rom {
    size_t size;
    uint8_t bytes[];
};

static bool rom_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    struct rom *r = dev;
    if (off > r->size || size > r->size - off)
        return false;
    uint64_t v = 0;
    memcpy(&v, r->bytes + off, size);   /* little-endian host */
    *val = v;
    return true;
}

static bool rom_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    (void)dev; (void)off; (void)size; (void)val;
    return false;
}

const struct dev_ops rom_ops = {
    .name = "rom",
    .read = rom_read,
    .write = rom_write,
    .destroy = free,
};

struct rom *rom_new(const void *data, size_t len, size_t size)
{
    if (len > size)
        return NULL;
    struct rom *r = calloc(1, sizeof *r + size);
    if (!r)
        return NULL;
    r->size = size;
    memcpy(r->bytes, data, len);
    return r;
}
