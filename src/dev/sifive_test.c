/* sifive_test.c — poweroff/reboot/fail finisher. */
#include <stdlib.h>
#include "dev/sifive_test.h"

struct sifive_test {
    struct sifive_test_backend be;
};

/* 32-bit, or 16-bit as OpenSBI's driver writes it (no fail code then). */
static bool test_read(void *dev, uint64_t off, unsigned size, uint64_t *val)
{
    (void)dev;
    if ((size != 4 && size != 2) || off != 0)
        return false;
    *val = 0;
    return true;
}

static bool test_write(void *dev, uint64_t off, unsigned size, uint64_t val)
{
    struct sifive_test *t = dev;
    if ((size != 4 && size != 2) || off != 0)
        return false;
    unsigned code = (unsigned)(val >> 16) & 0xffff;
    switch (val & 0xffff) {
    case SIFIVE_TEST_PASS:  t->be.finish(t->be.opaque, SIFIVE_TEST_EV_PASS, 0); break;
    case SIFIVE_TEST_RESET: t->be.finish(t->be.opaque, SIFIVE_TEST_EV_RESET, 0); break;
    case SIFIVE_TEST_FAIL:  t->be.finish(t->be.opaque, SIFIVE_TEST_EV_FAIL, code); break;
    default: break;   /* unknown command: ignored, as on hardware */
    }
    return true;
}

const struct dev_ops sifive_test_ops = {
    .name = "sifive,test0",
    .read = test_read,
    .write = test_write,
    .destroy = free,
};

struct sifive_test *sifive_test_new(const struct sifive_test_backend *backend)
{
    struct sifive_test *t = calloc(1, sizeof *t);
    if (t)
        t->be = *backend;
    return t;
}
