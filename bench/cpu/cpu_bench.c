/*
 * cpu_bench.c — make bench (cpu area): the interpreter against
 * qemu-system-riscv64 on the same bare-metal integer workload
 * (bench/cpu/workload.c: hashing, SHA-256, CRC-32, quicksort), measured in
 * the same run.  Prints wall and CPU time, guest MIPS and the ratio
 * Vessel/QEMU.  Usage: cpu_bench WORKLOAD.bin WORKLOAD.elf
 */
#include <sys/resource.h>
#include <fcntl.h>
#include <sys/wait.h>
#include "unit/cpu_harness.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_seconds(const struct rusage *ru)
{
    return (double)ru->ru_utime.tv_sec + ru->ru_utime.tv_usec / 1e6 +
           (double)ru->ru_stime.tv_sec + ru->ru_stime.tv_usec / 1e6;
}

/* Vessel: the workload on one hart of the test harness. */
static int run_vessel(const char *bin, double *wall, double *cpu, uint64_t *instret,
                      uint64_t *sum)
{
    struct th t;
    th_init(&t, 1, 64 << 20);
    FILE *f = fopen(bin, "rb");
    if (!f) {
        perror(bin);
        return -1;
    }
    size_t n = fread(t.bus.ram, 1, t.bus.ram_size, f);
    fclose(f);
    if (n == 0)
        return -1;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    double t0 = now();
    uint64_t code = th_run(&t, 600);
    *wall = now() - t0;
    getrusage(RUSAGE_SELF, &r1);
    *cpu = cpu_seconds(&r1) - cpu_seconds(&r0);
    *instret = t.cpu[0]->instret;
    *sum = t.cpu[0]->x[10];
    th_destroy(&t);
    return code == 0x5555 ? 0 : -1;
}

/* QEMU: the same program as -kernel with -bios none (it exits through the
 * sifive,test device at 0x100000 too). */
static int run_qemu(const char *elf, double *wall, double *cpu)
{
    double t0 = now();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execlp("qemu-system-riscv64", "qemu-system-riscv64", "-M", "virt", "-bios", "none",
               "-nographic", "-m", "256M", "-kernel", elf, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0)
        return -1;
    *wall = now() - t0;
    *cpu = cpu_seconds(&ru);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s WORKLOAD.bin WORKLOAD.elf\n", argv[0]);
        return 2;
    }
    double vw, vc, qw = 0, qc = 0;
    uint64_t instret, sum;
    if (run_vessel(argv[1], &vw, &vc, &instret, &sum) < 0) {
        fprintf(stderr, "cpu_bench: the workload failed under Vessel\n");
        return 1;
    }
    bool have_qemu = run_qemu(argv[2], &qw, &qc) == 0;
    printf("cpu interpreter, bare-metal workload (%.2f G guest instructions, checksum %016llx)\n",
           instret / 1e9, (unsigned long long)sum);
    printf("  %-8s wall %7.3f s  cpu %7.3f s  %6.0f MIPS (wall)\n", "vessel", vw, vc, instret / vw / 1e6);
    if (!have_qemu) {
        printf("  qemu-system-riscv64 not available: no ratio\n");
        return 0;
    }
    printf("  %-8s wall %7.3f s  cpu %7.3f s  %6.0f MIPS (wall)\n", "qemu", qw, qc, instret / qw / 1e6);
    printf("  ratio vessel/qemu: wall %.2fx, cpu %.2fx\n", vw / qw, vc / qc);
    return 0;
}
