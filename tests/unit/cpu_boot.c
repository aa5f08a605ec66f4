/* Direct boot (no firmware): the monitor plays M mode.  A small SBI here
 * answers the program tests/cpu/sboot.S; hart 1 starts stopped. */
#include "unit/cpu_harness.h"

#define EXIT_EID 0x0A000000
enum { SBI_BASE = 0x10, SBI_TIME = 0x54494D45, SBI_HSM = 0x48534D, SBI_RFNC = 0x52464E43 };

static struct th *machine;
static unsigned sbi_calls;

static void test_sbi(void *opaque, struct rv_cpu *cpu)
{
    struct th *t = opaque;
    uint64_t eid = cpu->x[17], fid = cpu->x[16], a0 = cpu->x[10];
    __atomic_fetch_add(&sbi_calls, 1, __ATOMIC_RELAXED);
    cpu->x[10] = 0;
    switch (eid) {
    case EXIT_EID:
        th_mmio_write(t, TH_EXIT, 8, a0);
        return;
    case SBI_BASE:
        cpu->x[11] = fid == 0 ? 0x01000000 : 0;
        return;
    case SBI_TIME:
        rv_cpu_set_mtimecmp(cpu, a0);
        return;
    case SBI_HSM:
        if (fid == 0) {                 /* hart_start */
            if (a0 >= t->nharts ||
                !rv_cpu_hart_start(t->cpu[a0], cpu->x[11], cpu->x[12]))
                cpu->x[10] = (uint64_t)-6;      /* SBI_ERR_ALREADY_AVAILABLE */
        } else if (fid == 1) {
            rv_cpu_hart_stop(cpu);
        } else if (fid == 2) {
            cpu->x[11] = a0 < t->nharts ? rv_cpu_hart_state(t->cpu[a0]) : 0;
        } else if (fid == 3) {
            rv_cpu_hart_suspend(cpu, a0 == 0, cpu->x[11], cpu->x[12]);
        }
        return;
    case SBI_RFNC:
        for (unsigned h = 0; h < t->nharts; h++)
            rv_cpu_remote_fence_i(t->cpu[h]);
        return;
    }
    cpu->x[10] = (uint64_t)-2;          /* SBI_ERR_NOT_SUPPORTED */
}

int main(void)
{
    struct th t;
    th_init(&t, 2, 16 << 20);
    machine = &t;
    t.bus.sbi_call = test_sbi;
    th_load(&t, "sboot");
    rv_cpu_boot_supervisor(t.cpu[0], TH_RAM_BASE, 0, 0x82200000);
    rv_cpu_boot_stopped(t.cpu[1]);
    CHECK_EQ(rv_cpu_hart_state(t.cpu[1]), RV_HART_STOPPED);
    CHECK_EQ(t.cpu[0]->priv, RV_PRV_S);
    uint64_t code = th_run(&t, 30);
    CHECK(!t.timed_out, "timed out at pc %#llx", (unsigned long long)t.cpu[0]->pc);
    CHECK(code == TH_PASS, "failed check #%llu (s2=%#llx s3=%#llx)", (unsigned long long)code,
          (unsigned long long)t.cpu[0]->x[18], (unsigned long long)t.cpu[0]->x[19]);
    CHECK(sbi_calls > 10, "%u SBI calls", sbi_calls);
    CHECK_EQ(rv_cpu_hart_state(t.cpu[1]), RV_HART_STOPPED);
    /* the monitor never entered M mode */
    CHECK(t.cpu[0]->priv != RV_PRV_M, "priv %u", t.cpu[0]->priv);
    if (code == TH_PASS)
        printf("ok direct boot\n");
    th_destroy(&t);
    return th_failures ? 1 : 0;
}
