/* Unit test: sifive_test finisher, goldfish RTC, ROM, HTIF. */
#include <string.h>
#include "dev/goldfish_rtc.h"
#include "dev/htif.h"
#include "dev/rom.h"
#include "dev/sifive_test.h"
#include "machine/check.h"

/* ---- sifive_test ---- */
static int last_ev = -1;
static unsigned last_code;
static void finish(void *o, enum sifive_test_event ev, unsigned code)
{
    (void)o;
    last_ev = (int)ev;
    last_code = code;
}

static void test_sifive_test(void)
{
    struct sifive_test_backend be = { NULL, finish };
    struct sifive_test *t = sifive_test_new(&be);
    CHECK(sifive_test_ops.write(t, 0, 4, 0x5555));
    CHECK_EQ(last_ev, SIFIVE_TEST_EV_PASS);
    last_ev = -1;
    CHECK(sifive_test_ops.write(t, 0, 2, 0x5555));   /* OpenSBI: 16-bit */
    CHECK_EQ(last_ev, SIFIVE_TEST_EV_PASS);
    CHECK(sifive_test_ops.write(t, 0, 4, 0x7777));
    CHECK_EQ(last_ev, SIFIVE_TEST_EV_RESET);
    CHECK(sifive_test_ops.write(t, 0, 4, (42u << 16) | 0x3333));
    CHECK_EQ(last_ev, SIFIVE_TEST_EV_FAIL);
    CHECK_EQ(last_code, 42);
    last_ev = -1;
    CHECK(sifive_test_ops.write(t, 0, 4, 0x1234));   /* unknown: ignored */
    CHECK_EQ(last_ev, -1);
    CHECK(!sifive_test_ops.write(t, 4, 4, 0x5555));  /* bad offset */
    CHECK(!sifive_test_ops.write(t, 0, 8, 0x5555));  /* bad size */
    CHECK_EQ(last_ev, -1);
    sifive_test_ops.destroy(t);
}

/* ---- goldfish RTC ---- */
static uint64_t host_ns = 0x123456789abcdef0ULL;
static bool rtc_irq_level;
static uint64_t rtc_armed;
static uint64_t rtc_now(void *o) { (void)o; return host_ns; }
static void rtc_irq(void *o, bool l) { (void)o; rtc_irq_level = l; }
static void rtc_arm(void *o, uint64_t d) { (void)o; rtc_armed = d; }

static uint32_t rtc_rd(struct goldfish_rtc *r, unsigned off)
{
    uint64_t v = 0;
    CHECK(goldfish_rtc_ops.read(r, off, 4, &v));
    return (uint32_t)v;
}

static void test_rtc(void)
{
    struct goldfish_rtc_backend be = { NULL, rtc_now, rtc_irq, rtc_arm };
    struct goldfish_rtc *r = goldfish_rtc_new(&be);
    /* TIME_LOW latches TIME_HIGH. */
    CHECK_EQ(rtc_rd(r, 0x00), 0x9abcdef0);
    host_ns += 1ULL << 32;
    CHECK_EQ(rtc_rd(r, 0x04), 0x12345678);
    /* Setting the time: high then low. */
    CHECK(goldfish_rtc_ops.write(r, 0x04, 4, 0x1));
    CHECK(goldfish_rtc_ops.write(r, 0x00, 4, 0x0));
    CHECK_EQ(rtc_rd(r, 0x00), 0x0);
    CHECK_EQ(rtc_rd(r, 0x04), 0x1);
    host_ns += 500;
    CHECK_EQ(rtc_rd(r, 0x00), 500);
    /* Alarm in the future arms the host timer; when due, IRQ fires. */
    CHECK(goldfish_rtc_ops.write(r, 0x10, 4, 1));          /* IRQ_ENABLED */
    CHECK(goldfish_rtc_ops.write(r, 0x0c, 4, 0x1));
    CHECK(goldfish_rtc_ops.write(r, 0x08, 4, 1000));
    CHECK_EQ(rtc_rd(r, 0x18), 1);                           /* ALARM_STATUS */
    CHECK(rtc_armed != 0);
    CHECK(!rtc_irq_level);
    host_ns += 1000;
    goldfish_rtc_alarm_check(r);
    CHECK(rtc_irq_level);
    CHECK_EQ(rtc_rd(r, 0x18), 0);
    CHECK(goldfish_rtc_ops.write(r, 0x1c, 4, 1));          /* CLEAR_INTERRUPT */
    CHECK(!rtc_irq_level);
    uint64_t v;
    CHECK(!goldfish_rtc_ops.read(r, 0x20, 4, &v));
    CHECK(!goldfish_rtc_ops.read(r, 0x00, 8, &v));
    goldfish_rtc_ops.destroy(r);
}

/* ---- ROM ---- */
static void test_rom(void)
{
    const uint8_t data[6] = { 1, 2, 3, 4, 5, 6 };
    struct rom *r = rom_new(data, sizeof data, 16);
    uint64_t v;
    CHECK(rom_ops.read(r, 0, 4, &v));
    CHECK_EQ(v, 0x04030201);
    CHECK(rom_ops.read(r, 4, 4, &v));
    CHECK_EQ(v, 0x0605);
    CHECK(rom_ops.read(r, 8, 8, &v));
    CHECK_EQ(v, 0);
    CHECK(!rom_ops.read(r, 16, 1, &v));
    CHECK(!rom_ops.read(r, 12, 8, &v));
    CHECK(!rom_ops.write(r, 0, 4, 0));
    rom_ops.destroy(r);
    CHECK(rom_new(data, sizeof data, 4) == NULL);
}

/* ---- HTIF ---- */
static uint8_t ram[0x3000];          /* guest-physical 0x80000000.. */
static char out[64];
static size_t nout;
static int exited = -1;
static void *gptr(void *o, uint64_t gpa, uint64_t len)
{
    (void)o;
    if (gpa < 0x80000000ULL || gpa - 0x80000000ULL > sizeof ram ||
        len > sizeof ram - (gpa - 0x80000000ULL))
        return NULL;
    return ram + (gpa - 0x80000000ULL);
}
static void con(void *o, const void *b, size_t n) { (void)o; memcpy(out + nout, b, n); nout += n; }
static void hexit(void *o, uint64_t code) { (void)o; exited = (int)code; }

static void test_htif(void)
{
    struct htif_backend be = { NULL, gptr, con, hexit };
    /* tohost at 0x80001000, fromhost at 0x80001040 (riscv-tests layout). */
    struct htif *h = htif_new(&be, 0x80001000ULL, 0x80001000ULL, 0x80001040ULL);
    CHECK(h != NULL);
    uint64_t v;
    /* Console putchar: device 1, command 1; answered in fromhost. */
    CHECK(htif_ops.write(h, 0, 8, (1ULL << 56) | (1ULL << 48) | 'A'));
    CHECK_EQ(nout, 1);
    CHECK_EQ(out[0], 'A');
    CHECK(htif_ops.read(h, 0, 8, &v));
    CHECK_EQ(v, 0);                                  /* tohost consumed */
    CHECK(htif_ops.read(h, 0x40, 8, &v));
    CHECK_EQ(v, (1ULL << 56) | (1ULL << 48));
    /* The rest of the page is RAM. */
    CHECK(htif_ops.write(h, 0x100, 4, 0xcafef00d));
    CHECK(htif_ops.read(h, 0x100, 4, &v));
    CHECK_EQ(v, 0xcafef00d);
    CHECK_EQ(ram[0x1100], 0x0d);
    /* Syscall write(1, buf, 3) through magic memory at 0x80002000. */
    uint64_t mm[8] = { 64, 1, 0x80002100ULL, 3 };
    memcpy(ram + 0x2000, mm, sizeof mm);
    memcpy(ram + 0x2100, "xyz", 3);
    CHECK(htif_ops.write(h, 0, 8, 0x80002000ULL));
    CHECK_EQ(nout, 4);
    CHECK(memcmp(out + 1, "xyz", 3) == 0);
    memcpy(mm, ram + 0x2000, 8);
    CHECK_EQ(mm[0], 3);
    /* A write with a buffer outside RAM: EFAULT, no crash. */
    uint64_t bad[8] = { 64, 1, 0x10ULL, 1ULL << 40 };
    memcpy(ram + 0x2000, bad, sizeof bad);
    CHECK(htif_ops.write(h, 0, 8, 0x80002000ULL));
    memcpy(mm, ram + 0x2000, 8);
    CHECK_EQ(mm[0], (uint64_t)-14);
    /* A syscall block outside RAM is ignored. */
    CHECK(htif_ops.write(h, 0, 8, 0x2000ULL));
    /* Exit: two 32-bit halves, acted on when the upper half lands. */
    CHECK(htif_ops.write(h, 0, 4, (7 << 1) | 1));
    CHECK_EQ(exited, -1);
    CHECK(htif_ops.write(h, 4, 4, 0));
    CHECK_EQ(exited, 7);
    htif_ops.destroy(h);
    CHECK(htif_new(&be, 0x80001000ULL, 0x80002000ULL, 0) == NULL);   /* not in page */
}

int main(void)
{
    test_sifive_test();
    test_rtc();
    test_rom();
    test_htif();
    CHECK_DONE();
}
