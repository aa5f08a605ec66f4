/* Terminals (see terminal.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "container/terminal.h"
#include "container/util.h"

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

int term_open_pty(int *master, int *slave, char *slave_path, size_t size,
                  uid_t uid, gid_t gid, unsigned rows, unsigned cols, struct ctr_err *err)
{
    int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0)
        return ctr_fail_errno(err, "open /dev/ptmx");
    int unlock = 0, n = 0;
    if (ioctl(m, TIOCSPTLCK, &unlock) < 0 || ioctl(m, TIOCGPTN, &n) < 0) {
        close(m);
        return ctr_fail_errno(err, "set up the pty");
    }
    snprintf(slave_path, size, "/dev/pts/%d", n);
    int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0)
        s = open(slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s < 0) {
        close(m);
        return ctr_fail_errno(err, "open %s", slave_path);
    }
    if (fchown(s, uid, gid) < 0 && errno != EINVAL && errno != EPERM) {
        close(s);
        close(m);
        return ctr_fail_errno(err, "chown %s", slave_path);
    }
    if (rows && cols) {
        struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
        ioctl(m, TIOCSWINSZ, &ws);
    }
    *master = m;
    *slave = s;
    return 0;
}

int term_become_controlling(int slave, struct ctr_err *err)
{
    if (setsid() < 0 && errno != EPERM)
        return ctr_fail_errno(err, "setsid");
    if (ioctl(slave, TIOCSCTTY, 0) < 0)
        return ctr_fail_errno(err, "make the pty the controlling terminal");
    for (int fd = 0; fd < 3; fd++)
        if (dup2(slave, fd) < 0)
            return ctr_fail_errno(err, "dup2 pty");
    if (slave > 2)
        close(slave);
    return 0;
}

static void copy_size(int from, int to)
{
    struct winsize ws;
    if (ioctl(from, TIOCGWINSZ, &ws) == 0)
        ioctl(to, TIOCSWINSZ, &ws);
}

/* Copy what is readable on `in` to `out`; returns -1 at EOF/error. */
static int pump(int in, int out)
{
    char buf[16384];
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return 0;
    if (n <= 0)
        return -1;
    return write_all_fd(out, buf, (size_t)n) < 0 ? -1 : 0;
}

int term_proxy_wait(int master, int sigfd, pid_t pid, int *status)
{
    struct termios saved;
    bool raw = isatty(0) && tcgetattr(0, &saved) == 0;
    if (raw) {
        struct termios t = saved;
        cfmakeraw(&t);          /* the container's pty does the line discipline */
        tcsetattr(0, TCSANOW, &t);
        copy_size(0, master);
    }
    bool in_open = true, out_open = true, exited = false;
    while (!exited || out_open) {
        struct pollfd p[3] = {
            { .fd = sigfd, .events = POLLIN },
            { .fd = out_open ? master : -1, .events = POLLIN },
            { .fd = in_open ? 0 : -1, .events = POLLIN },
        };
        /* After the process exits, drain what is left, then stop. */
        int r = poll(p, 3, exited ? 50 : -1);
        if (r < 0 && errno != EINTR)
            break;
        if (r == 0 && exited)
            break;
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR))
            if (pump(master, 1) < 0)
                out_open = false;
        if (p[2].revents & (POLLIN | POLLHUP | POLLERR))
            if (pump(0, master) < 0)
                in_open = false;
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) == sizeof si) {
                if (si.ssi_signo == SIGCHLD) {
                    int st;
                    pid_t w;
                    while ((w = waitpid(-1, &st, WNOHANG)) > 0)
                        if (w == pid) {
                            *status = st;
                            exited = true;
                        }
                } else if (si.ssi_signo == SIGWINCH) {
                    copy_size(0, master);
                } else {
                    kill(pid, (int)si.ssi_signo);
                }
            }
        }
    }
    if (raw)
        tcsetattr(0, TCSANOW, &saved);
    if (!exited) {
        while (waitpid(pid, status, 0) < 0 && errno == EINTR)
            ;
    }
    return 0;
}
