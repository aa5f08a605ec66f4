/*
 * container-rusage: runs a command and prints, on stdout,
 *   "status N ns NANOSECONDS maxrss KIB"
 * (exit status or 128+signal, wall time, and the command's peak RSS from
 * wait4).  The command's own stdout goes to /dev/null; stderr is inherited.
 *
 * The benchmark uses this instead of measuring from Python because a
 * child's ru_maxrss includes the memory of the process it was forked from
 * (the pages it had before exec): from a 15 MB interpreter every runtime
 * would look like 15 MB.  This helper is a few hundred KiB.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv)
{
    posix_spawn_file_actions_t fa;
    struct timespec t0, t1;
    struct rusage ru;
    pid_t pid;
    int status, rc;

    if (argc < 2) {
        fprintf(stderr, "usage: container-rusage COMMAND [ARGS...]\n");
        return 2;
    }
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = posix_spawnp(&pid, argv[1], &fa, NULL, argv + 1, environ);
    if (rc != 0) {
        fprintf(stderr, "container-rusage: cannot run %s\n", argv[1]);
        return 127;
    }
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("container-rusage: wait4");
        return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    printf("status %d ns %lld maxrss %ld\n",
           WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
           (long long)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec),
           ru.ru_maxrss);
    return 0;
}
