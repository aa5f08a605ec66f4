/* Unit test: SiFive PLIC priorities, pending, enables, thresholds,
 * claim/complete, per-context lines, and bad accesses. */
#include "dev/plic.h"
#include "machine/check.h"

#define NHARTS 2
static bool line[NHARTS * 2];

static void ctx_irq(void *o, unsigned ctx, bool level)
{
    (void)o;
    line[ctx] = level;
}

static uint32_t rd(struct plic *p, uint64_t off)
{
    uint64_t v = 0xdeadbeef;
    CHECK(plic_ops.read(p, off, 4, &v));
    return (uint32_t)v;
}

static void wr(struct plic *p, uint64_t off, uint32_t v)
{
    CHECK(plic_ops.write(p, off, 4, v));
}

#define PRIO(s)      ((uint64_t)(s) * 4)
#define PENDING(w)   (0x1000 + (uint64_t)(w) * 4)
#define ENABLE(c, w) (0x2000 + (uint64_t)(c) * 0x80 + (uint64_t)(w) * 4)
#define THRESH(c)    (0x200000 + (uint64_t)(c) * 0x1000)
#define CLAIM(c)     (THRESH(c) + 4)

int main(void)
{
    struct plic_backend be = { NULL, ctx_irq };
    struct plic *p = plic_new(NHARTS, 96, &be);
    CHECK(p != NULL);
    CHECK_EQ(plic_mmio_size(NHARTS), 0x204000);

    /* Priorities are 3-bit WARL; source 0 has none. */
    wr(p, PRIO(10), 0xff);
    CHECK_EQ(rd(p, PRIO(10)), 7);
    wr(p, PRIO(0), 5);
    CHECK_EQ(rd(p, PRIO(0)), 0);
    wr(p, PRIO(10), 1);
    wr(p, PRIO(11), 3);
    wr(p, PRIO(96), 2);

    /* A pending source with nothing enabled raises no line. */
    plic_set_irq(p, 10, true);
    CHECK_EQ(rd(p, PENDING(0)), 1u << 10);
    CHECK(!line[0] && !line[1] && !line[2] && !line[3]);

    /* Enable 10 for hart 0's S context (1): its line goes up. */
    wr(p, ENABLE(1, 0), (1u << 10) | 1u);          /* bit 0 is hardwired 0 */
    CHECK_EQ(rd(p, ENABLE(1, 0)), 1u << 10);
    CHECK(line[1]);
    CHECK(!line[0] && !line[3]);

    /* Threshold >= priority masks it. */
    wr(p, THRESH(1), 1);
    CHECK(!line[1]);
    CHECK_EQ(rd(p, CLAIM(1)), 0);                  /* nothing above threshold */
    wr(p, THRESH(1), 0);
    CHECK(line[1]);

    /* Higher priority wins the claim; ties go to the lower ID. */
    plic_set_irq(p, 11, true);
    wr(p, ENABLE(1, 0), (1u << 10) | (1u << 11));
    CHECK_EQ(rd(p, CLAIM(1)), 11);
    CHECK_EQ(rd(p, PENDING(0)), 1u << 10);         /* claim cleared 11 */
    CHECK(line[1]);                                 /* 10 still pending */
    CHECK_EQ(rd(p, CLAIM(1)), 10);
    CHECK(!line[1]);
    CHECK_EQ(rd(p, CLAIM(1)), 0);

    /* Completion re-arms a source whose line is still high. */
    wr(p, CLAIM(1), 11);
    CHECK(line[1]);
    CHECK_EQ(rd(p, PENDING(0)), 1u << 11);
    plic_set_irq(p, 11, false);                    /* device lowers it */
    CHECK_EQ(rd(p, PENDING(0)), 0);
    CHECK(!line[1]);
    /* Source 10 is claimed: a completion for a source not enabled in
     * this context is ignored. */
    wr(p, ENABLE(1, 0), 1u << 11);
    wr(p, CLAIM(1), 10);
    CHECK_EQ(rd(p, PENDING(0)), 0);                /* still claimed */
    wr(p, ENABLE(1, 0), (1u << 10) | (1u << 11));
    wr(p, CLAIM(1), 10);
    CHECK_EQ(rd(p, PENDING(0)), 1u << 10);         /* line high: pends again */
    plic_set_irq(p, 10, false);

    /* Source 96 (the last) on hart 1's M context (2). */
    wr(p, ENABLE(2, 3), 1u << 0);                  /* 96 = word 3 bit 0 */
    plic_set_irq(p, 96, true);
    CHECK(line[2]);
    CHECK(!line[3]);
    CHECK_EQ(rd(p, CLAIM(2)), 96);
    CHECK(!line[2]);
    wr(p, CLAIM(2), 96);
    plic_set_irq(p, 96, false);
    CHECK(!line[2]);

    /* Sources out of range are ignored, not crashes. */
    plic_set_irq(p, 0, true);
    plic_set_irq(p, 97, true);
    plic_set_irq(p, 100000, true);
    CHECK_EQ(rd(p, PENDING(0)), 0);

    /* Bad sizes and offsets are access faults. */
    uint64_t v;
    CHECK(!plic_ops.read(p, PRIO(10), 1, &v));
    CHECK(!plic_ops.read(p, PRIO(10), 8, &v));
    CHECK(!plic_ops.write(p, PRIO(10), 2, 1));
    CHECK(!plic_ops.read(p, PRIO(97), 4, &v));     /* beyond the sources */
    CHECK(!plic_ops.read(p, ENABLE(4, 0), 4, &v)); /* context 4 does not exist */
    CHECK(!plic_ops.write(p, THRESH(4), 4, 0));
    CHECK(!plic_ops.read(p, THRESH(0) + 8, 4, &v));/* hole in a context */
    CHECK(!plic_ops.read(p, PENDING(4), 4, &v));

    /* Pending is read-only. */
    wr(p, PENDING(0), 0xffffffff);
    CHECK_EQ(rd(p, PENDING(0)), 0);

    plic_ops.destroy(p);
    CHECK(plic_new(1, 97, &be) == NULL);   /* more sources than the layout holds */
    CHECK_DONE();
}
