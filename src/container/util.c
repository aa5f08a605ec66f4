/* Small helpers (see util.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "container/oci_config.h"
#include "container/util.h"

void ctr_reset_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++)
        if (s != SIGKILL && s != SIGSTOP)
            sigaction(s, &sa, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

int write_all_fd(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int write_pid_file(const char *path, pid_t pid)
{
    char tmp[PATH_MAX + 16], buf[24];
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(tmp, sizeof tmp, "%.*s/.%s.tmp", (int)(slash - path), path, slash + 1);
    else
        snprintf(tmp, sizeof tmp, ".%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    int n = snprintf(buf, sizeof buf, "%d", (int)pid);
    if (write_all_fd(fd, buf, (size_t)n) < 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    close(fd);
    if (rename(tmp, path) < 0) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
        return -1;
    }
    return 0;
}

char *abs_path(const char *path)
{
    char cwd[PATH_MAX];
    size_t n = strlen(path);
    char *out;
    if (path[0] == '/') {
        out = malloc(n + 1);
        if (!out)
            return NULL;
        memcpy(out, path, n + 1);
    } else {
        if (!getcwd(cwd, sizeof cwd))
            return NULL;
        size_t c = strlen(cwd);
        out = malloc(c + n + 2);
        if (!out)
            return NULL;
        memcpy(out, cwd, c);
        out[c] = '/';
        memcpy(out + c + 1, path, n + 1);
    }
    path_clean(out, true);
    return out;
}
