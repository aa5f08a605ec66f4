/*
 * sbi_test.c — S mode, direct boot (--kernel sbi_test.elf --cpus 2): the
 * SBI Vessel provides, call by call, with the values the SBI spec
 * requires.  Prints "sbi_test: ok" and powers off (SRST) on success;
 * on failure prints the check and resets with reason "system failure".
 */
#include "lib.h"

#define EXT_BASE   0x10
#define EXT_TIME   0x54494d45
#define EXT_IPI    0x735049
#define EXT_RFENCE 0x52464e43
#define EXT_HSM    0x48534d
#define EXT_SRST   0x53525354
#define EXT_DBCN   0x4442434e
#define EXT_PMU    0x504d55

#define ERR_NOT_SUPPORTED   -2
#define ERR_INVALID_PARAM   -3
#define ERR_INVALID_ADDRESS -5
#define ERR_ALREADY_AVAILABLE -6

#define SIP_SSIP (1UL << 1)
#define SIP_STIP (1UL << 5)

static volatile long secondary_hartid = -1, secondary_opaque = -1, release;
static volatile int secondary_runs;
static int check_no;

static void dbcn_puts(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    sbi(EXT_DBCN, 0, n, (long)s, 0, 0, 0);
}

static void fail_now(long got)
{
    dbcn_puts("sbi_test: FAILED check ");
    char num[24];
    int i = 22;
    num[23] = 0;
    unsigned long c = (unsigned long)check_no;
    do { num[i--] = (char)('0' + c % 10); c /= 10; } while (c);
    dbcn_puts(num + i + 1);
    dbcn_puts(" got ");
    unsigned long g = (unsigned long)got;
    char hex[19] = "0x";
    for (int k = 0; k < 16; k++)
        hex[2 + k] = "0123456789abcdef"[(g >> (60 - 4 * k)) & 15];
    hex[18] = 0;
    dbcn_puts(hex);
    dbcn_puts("\n");
    sbi(EXT_SRST, 0, 0, 1, 0, 0, 0);     /* shutdown, system failure */
    for (;;)
        ;
}

static void expect(long got, long want)
{
    check_no++;
    if (got != want)
        fail_now(got);
}

static struct sbiret call(long eid, long fid, long a0, long a1, long a2)
{
    return sbi(eid, fid, a0, a1, a2, 0, 0);
}

extern char _start[];   /* secondary harts enter here with a0 = hartid, a1 = opaque */
#define secondary_entry _start

static void secondary(unsigned long hartid, unsigned long opaque)
{
    secondary_hartid = (long)hartid;
    secondary_opaque = (long)opaque;
    __atomic_fetch_add(&secondary_runs, 1, __ATOMIC_SEQ_CST);
    while (!release)
        ;
    release = 0;
    sbi(EXT_HSM, 1, 0, 0, 0, 0, 0);      /* hart_stop: does not return */
    for (;;)
        ;
}

static void wait_stopped(long hart)
{
    for (long i = 0; i < 100000000; i++)
        if (call(EXT_HSM, 2, hart, 0, 0).value == 1)
            return;
    fail_now(-100);
}

int main(unsigned long hartid, unsigned long a1)
{
    if (hartid != 0)
        secondary(hartid, a1);

    /* BASE */
    struct sbiret r = call(EXT_BASE, 0, 0, 0, 0);
    expect(r.error, 0);
    expect(r.value, 0x02000000);                     /* SBI 2.0 */
    expect(call(EXT_BASE, 1, 0, 0, 0).value, 0x56455353);
    static const long exts[] = { EXT_BASE, EXT_TIME, EXT_IPI, EXT_RFENCE, EXT_HSM,
                                 EXT_SRST, EXT_DBCN, 0x01, 0x08 };
    for (unsigned i = 0; i < sizeof exts / sizeof exts[0]; i++)
        expect(call(EXT_BASE, 3, exts[i], 0, 0).value, 1);
    expect(call(EXT_BASE, 3, EXT_PMU, 0, 0).value, 0);
    expect(call(EXT_BASE, 3, 0x12345678, 0, 0).value, 0);
    expect(call(EXT_BASE, 99, 0, 0, 0).error, ERR_NOT_SUPPORTED);
    expect(call(0x12345678, 0, 0, 0, 0).error, ERR_NOT_SUPPORTED);

    /* DBCN: write, write_byte; bad buffers are INVALID_PARAM. */
    static const char hello[] = "sbi_test: hello through DBCN\n";
    r = call(EXT_DBCN, 0, sizeof hello - 1, (long)hello, 0);
    expect(r.error, 0);
    expect(r.value, sizeof hello - 1);
    expect(call(EXT_DBCN, 2, '>', 0, 0).error, 0);
    expect(call(EXT_DBCN, 2, '\n', 0, 0).error, 0);
    expect(call(EXT_DBCN, 0, 4, (long)hello, 1).error, ERR_INVALID_PARAM);
    expect(call(EXT_DBCN, 0, 4, 0x1000, 0).error, ERR_INVALID_PARAM);
    expect(call(EXT_DBCN, 0, -1L, (long)hello, 0).error, ERR_INVALID_PARAM);
    r = call(EXT_DBCN, 1, 8, (long)&secondary_runs, 0);   /* no input: 0 bytes */
    expect(r.error, 0);
    expect(r.value, 0);
    sbi(0x01, 0, 'L', 0, 0, 0, 0);                        /* legacy putchar */
    sbi(0x01, 0, '\n', 0, 0, 0, 0);

    /* TIME: a deadline in the past raises STIP, one far away clears it. */
    expect(call(EXT_TIME, 0, 0, 0, 0).error, 0);
    for (int i = 0; i < 1000 && !(CSR_READ(sip) & SIP_STIP); i++)
        ;
    expect(CSR_READ(sip) & SIP_STIP, SIP_STIP);
    expect(call(EXT_TIME, 0, -1L, 0, 0).error, 0);
    expect(CSR_READ(sip) & SIP_STIP, 0);

    /* IPI to ourselves sets SSIP; we clear it. Invalid harts change nothing. */
    expect(call(EXT_IPI, 0, 1, 0, 0).error, 0);
    expect(CSR_READ(sip) & SIP_SSIP, SIP_SSIP);
    __asm__ volatile("csrc sip, %0" :: "r"(SIP_SSIP));
    expect(CSR_READ(sip) & SIP_SSIP, 0);
    expect(call(EXT_IPI, 0, 1UL << 5, 0, 0).error, ERR_INVALID_PARAM);
    expect(call(EXT_IPI, 0, 1, 2, 0).error, ERR_INVALID_PARAM);
    expect(CSR_READ(sip) & SIP_SSIP, 0);
    expect(call(EXT_IPI, 0, 0, -1L, 0).error, 0);          /* base -1: all */
    expect(CSR_READ(sip) & SIP_SSIP, SIP_SSIP);
    __asm__ volatile("csrc sip, %0" :: "r"(SIP_SSIP));
    /* Legacy send_ipi takes a pointer to the mask (satp is bare here). */
    static unsigned long mask_self = 1;
    expect(sbi(0x04, 0, (long)&mask_self, 0, 0, 0, 0).error, 0);
    expect(CSR_READ(sip) & SIP_SSIP, SIP_SSIP);
    expect(sbi(0x03, 0, 0, 0, 0, 0, 0).error, 0);          /* legacy clear_ipi */
    expect(CSR_READ(sip) & SIP_SSIP, 0);

    /* RFENCE */
    expect(call(EXT_RFENCE, 0, 3, 0, 0).error, 0);
    expect(sbi(EXT_RFENCE, 1, 3, 0, 0x80200000, 0x1000, 0).error, 0);
    expect(sbi(EXT_RFENCE, 2, 1, 0, 0, 0, 5).error, 0);
    expect(sbi(EXT_RFENCE, 2, 1, 0, 0, 0, 0x10000).error, ERR_INVALID_PARAM);
    expect(call(EXT_RFENCE, 0, 1UL << 7, 0, 0).error, ERR_INVALID_PARAM);
    expect(call(EXT_RFENCE, 3, 1, 0, 0).error, ERR_NOT_SUPPORTED);

    /* HSM: hart 1 waits STOPPED; start it twice; errors. */
    expect(call(EXT_HSM, 2, 0, 0, 0).value, 0);             /* we are STARTED */
    expect(call(EXT_HSM, 2, 1, 0, 0).value, 1);             /* hart 1 STOPPED */
    expect(call(EXT_HSM, 2, 2, 0, 0).error, ERR_INVALID_PARAM);
    expect(call(EXT_HSM, 0, 2, (long)secondary_entry, 0).error, ERR_INVALID_PARAM);
    expect(call(EXT_HSM, 0, 1, 0x1000, 0).error, ERR_INVALID_ADDRESS);
    expect(call(EXT_HSM, 0, 1, (long)secondary_entry, 0x1234).error, 0);
    while (secondary_runs < 1)
        ;
    expect(secondary_hartid, 1);
    expect(secondary_opaque, 0x1234);
    expect(call(EXT_HSM, 0, 1, (long)secondary_entry, 0).error, ERR_ALREADY_AVAILABLE);
    release = 1;
    wait_stopped(1);
    expect(call(EXT_HSM, 0, 1, (long)secondary_entry, 0x5678).error, 0);
    while (secondary_runs < 2)
        ;
    expect(secondary_opaque, 0x5678);
    release = 1;
    wait_stopped(1);
    /* Retentive suspend returns once an enabled interrupt is pending. */
    __asm__ volatile("csrs sie, %0" :: "r"(SIP_STIP));
    expect(call(EXT_TIME, 0, (long)CSR_READ(time) + 10000, 0, 0).error, 0);  /* 1 ms */
    expect(call(EXT_HSM, 3, 0, 0, 0).error, 0);
    expect(CSR_READ(sip) & SIP_STIP, SIP_STIP);
    expect(call(EXT_TIME, 0, -1L, 0, 0).error, 0);
    expect(call(EXT_HSM, 3, 0x10000000, 0, 0).error, ERR_INVALID_PARAM);  /* platform type */
    expect(call(EXT_HSM, 3, 0x80000000, 0x1000, 0).error, ERR_INVALID_ADDRESS);

    /* SRST: reserved types and reasons are refused. */
    expect(call(EXT_SRST, 0, 3, 0, 0).error, ERR_INVALID_PARAM);
    expect(call(EXT_SRST, 0, 0, 2, 0).error, ERR_INVALID_PARAM);

    dbcn_puts("sbi_test: ok\n");
#ifdef STOP_ALL
    call(EXT_HSM, 1, 0, 0, 0);      /* the last hart stops: the VM is dead */
#endif
    call(EXT_SRST, 0, 0, 0, 0);                             /* power off */
    for (;;)
        ;
}
