/* Runs the self-checking RISC-V programs of tests/cpu/ on one hart. */
#include "unit/cpu_harness.h"

int main(int argc, char **argv)
{
    static const char *const progs[] = { "rv64i", "rv64m", "rv64a", "rvc", "traps", "csr", "vm39", "vm48", "irq", "fp", "access", "fencei", "pmp", "chain", "fuse" };
    for (unsigned p = 0; p < sizeof progs / sizeof progs[0]; p++)
        if (argc < 2 || !strcmp(argv[1], progs[p]))
            th_expect_pass(progs[p]);
    return th_failures ? 1 : 0;
}
