/* Unit test: ACLINT (CLINT layout) msip, mtimecmp, mtime. */
#include "dev/aclint.h"
#include "machine/check.h"

#define NHARTS 3
static bool msip[NHARTS];
static uint64_t mtimecmp[NHARTS];
static uint64_t now = 1000;

static void set_msip(void *o, unsigned h, bool l) { (void)o; msip[h] = l; }
static void set_cmp(void *o, unsigned h, uint64_t v) { (void)o; mtimecmp[h] = v; }
static uint64_t get_cmp(void *o, unsigned h) { (void)o; return mtimecmp[h]; }
static uint64_t get_time(void *o) { (void)o; return now; }
static void set_time(void *o, uint64_t v) { (void)o; now = v; }

int main(void)
{
    struct aclint_backend be = { NULL, set_msip, set_cmp, get_cmp, get_time, set_time };
    struct aclint *a = aclint_new(NHARTS, &be);
    CHECK(a != NULL);
    uint64_t v;

    /* msip: bit 0 only, per hart. */
    CHECK(aclint_ops.write(a, 0x4, 4, 0xffffffff));
    CHECK(msip[1] && !msip[0] && !msip[2]);
    CHECK(aclint_ops.read(a, 0x4, 4, &v));
    CHECK_EQ(v, 1);
    CHECK(aclint_ops.write(a, 0x4, 4, 0));
    CHECK(!msip[1]);
    CHECK(!aclint_ops.write(a, 0x4 * NHARTS, 4, 1));   /* no such hart */
    CHECK(!aclint_ops.read(a, 0x0, 8, &v));            /* msip is 32-bit */

    /* mtimecmp: whole, or as 32-bit halves. */
    CHECK(aclint_ops.write(a, 0x4000 + 8 * 2, 8, 0x1122334455667788ULL));
    CHECK_EQ(mtimecmp[2], 0x1122334455667788ULL);
    CHECK(aclint_ops.write(a, 0x4000 + 8 * 2 + 4, 4, 0xaabbccdd));
    CHECK_EQ(mtimecmp[2], 0xaabbccdd55667788ULL);
    CHECK(aclint_ops.write(a, 0x4000 + 8 * 2, 4, 0x01020304));
    CHECK_EQ(mtimecmp[2], 0xaabbccdd01020304ULL);
    CHECK(aclint_ops.read(a, 0x4000 + 8 * 2 + 4, 4, &v));
    CHECK_EQ(v, 0xaabbccdd);
    CHECK(!aclint_ops.write(a, 0x4000 + 8 * NHARTS, 8, 0));   /* no such hart */
    CHECK(!aclint_ops.write(a, 0x4000 + 2, 2, 0));            /* bad size */

    /* mtime at 0xbff8. */
    CHECK(aclint_ops.read(a, 0xbff8, 8, &v));
    CHECK_EQ(v, 1000);
    CHECK(aclint_ops.write(a, 0xbffc, 4, 0x1));
    CHECK_EQ(now, 0x1000003e8ULL);
    CHECK(aclint_ops.read(a, 0xbffc, 4, &v));
    CHECK_EQ(v, 1);

    /* Holes are faults. */
    CHECK(!aclint_ops.read(a, 0x8000, 4, &v));
    CHECK(!aclint_ops.read(a, 0xc000, 4, &v));

    aclint_ops.destroy(a);
    CHECK(aclint_new(0, &be) == NULL);
    CHECK_DONE();
}
