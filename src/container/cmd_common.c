/* Helpers shared by the commands (see cmd_common.h). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include "container/cmd_common.h"

int ctr_open(const struct ctr_cli *cli, const char *id, int *dirfd, struct ctr_state *st,
             struct ctr_err *err)
{
    *dirfd = state_dir_open(cli->root, id, err);
    if (*dirfd < 0)
        return -1;
    if (state_load(*dirfd, st, err) < 0) {
        close(*dirfd);
        *dirfd = -1;
        return -1;
    }
    return 0;
}

int exit_code(int status)
{
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return 1;
}

int forward_signals_begin(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    /* Faults must still kill us normally. */
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    sigdelset(&all, SIGABRT);
    sigdelset(&all, SIGTRAP);
    sigdelset(&all, SIGSYS);
    sigprocmask(SIG_BLOCK, &all, old);
    return signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC);
}

int forward_signals_wait(int sigfd, pid_t pid)
{
    for (;;) {
        struct pollfd p = { .fd = sigfd, .events = POLLIN };
        if (poll(&p, 1, -1) < 0 && errno != EINTR)
            break;
        struct signalfd_siginfo si;
        while (read(sigfd, &si, sizeof si) == sizeof si) {
            if (si.ssi_signo == SIGCHLD) {
                int st;
                pid_t w;
                while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                    if (w == pid)
                        return st;
            } else if (si.ssi_signo != SIGWINCH && si.ssi_signo != SIGURG) {
                kill(pid, (int)si.ssi_signo);
            }
        }
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}
