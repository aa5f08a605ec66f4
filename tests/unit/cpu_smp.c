/* Several harts on several host threads: AMOs, LR/SC and a spinlock stay
 * atomic (totals exact), WFI wake-ups by IPI; remote fences reach running,
 * sleeping and stopped harts; request_exit stops sleeping harts. */
#include "unit/cpu_harness.h"
#include "cpu/hart.h"

static void run_smp(unsigned nharts)
{
    struct th t;
    th_init(&t, nharts, 16 << 20);
    th_load(&t, "smp");
    /* counters+40: the number of harts, read by hart 0 */
    uint32_t n = nharts;
    memcpy(t.bus.ram + 0x10000 + 40, &n, 4);
    uint64_t code = th_run(&t, 60);
    CHECK(!t.timed_out, "%u harts: timed out", nharts);
    CHECK(code == TH_PASS, "%u harts: failed check #%llu", nharts, (unsigned long long)code);
    if (code == TH_PASS)
        printf("ok smp with %u harts\n", nharts);
    th_destroy(&t);
}

/* One hart running `prog` on its own thread. */
static void start_one(struct th *t, struct th_thread *a, pthread_t *tid,
                      const uint32_t *prog, size_t size)
{
    th_init(t, 1, 1 << 20);
    memcpy(t->bus.ram, prog, size);
    *a = (struct th_thread){ t, 0 };
    pthread_create(tid, NULL, th_hart_main, a);
    usleep(20000);
}

/* A hart that sleeps in WFI: remote fences must return without waiting
 * for it, and it must still have flushed before running again. */
static void fences_on_sleeping_hart(void)
{
    struct th t;
    struct th_thread a;
    pthread_t tid;
    static const uint32_t prog[] = { 0x10500073, 0xffdff06f };  /* wfi; j .-4 */
    start_one(&t, &a, &tid, prog, sizeof prog);
    CHECK(__atomic_load_n(&t.cpu[0]->wfi, __ATOMIC_ACQUIRE), "hart should sleep in WFI");
    rv_cpu_remote_fence_i(t.cpu[0]);
    rv_cpu_remote_sfence_vma(t.cpu[0], 0, 0, -1);
    rv_cpu_request_exit(t.cpu[0]);
    pthread_join(tid, NULL);
    CHECK_EQ(t.cpu[0]->pc, TH_RAM_BASE + 4);
    /* a hart outside rv_cpu_run: fences return at once */
    rv_cpu_remote_fence_i(t.cpu[0]);
    th_destroy(&t);
    printf("ok fences on a sleeping hart\n");
}

/* A running hart: the fence waits for it and it flushes its decoded code:
 * the host patches the program and the hart must see the new code. */
static void fence_i_on_running_hart(void)
{
    struct th t;
    struct th_thread a;
    pthread_t tid;
    static const uint32_t prog[] = { 0x00100513, 0xffdff06f };  /* addi a0,x0,1; j .-4 */
    start_one(&t, &a, &tid, prog, sizeof prog);
    uint32_t patched = 0x00200513;      /* addi a0, zero, 2 */
    __atomic_store_n((uint32_t *)t.bus.ram, patched, __ATOMIC_RELEASE);
    rv_cpu_remote_fence_i(t.cpu[0]);
    usleep(20000);
    rv_cpu_request_exit(t.cpu[0]);
    pthread_join(tid, NULL);
    CHECK_EQ(t.cpu[0]->x[10], 2);
    th_destroy(&t);
    printf("ok remote fence.i on a running hart\n");
}

int main(void)
{
    run_smp(2);
    run_smp(4);
    fences_on_sleeping_hart();
    fence_i_on_running_hart();
    return th_failures ? 1 : 0;
}
