/* Runtime <-> init messages and fd passing (see sync.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include "container/sync.h"

int sync_send(int fd, enum sync_type type, int32_t value, const char *text)
{
    struct sync_msg m;
    m.type = type;
    m.value = value;
    size_t tl = 0;
    if (text) {
        tl = strnlen(text, sizeof m.text - 1);
        memcpy(m.text, text, tl);
    }
    m.text[tl] = '\0';
    size_t len = offsetof(struct sync_msg, text) + tl + 1;
    for (;;) {
        ssize_t w = send(fd, &m, len, MSG_NOSIGNAL);
        if (w >= 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

int sync_recv_fd(int fd, struct sync_msg *m, int *passed)
{
    if (passed)
        *passed = -1;
    for (;;) {
        struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
        union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
        struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                              .msg_control = u.buf, .msg_controllen = sizeof u.buf };
        ssize_t r = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
                int got;
                memcpy(&got, CMSG_DATA(c), sizeof got);
                if (passed)
                    *passed = got;
                else
                    close(got);
            }
        if (r == 0)
            return 0;
        if ((size_t)r < offsetof(struct sync_msg, text) + 1) {
            errno = EPROTO;
            return -1;
        }
        m->text[sizeof m->text - 1] = '\0';
        return 1;
    }
}

int sync_recv(int fd, struct sync_msg *m)
{
    return sync_recv_fd(fd, m, NULL);
}

int sync_send_fd(int sock, enum sync_type type, int32_t value, int fd)
{
    struct sync_msg m;
    memset(&m, 0, offsetof(struct sync_msg, text) + 1);
    m.type = type;
    m.value = value;
    return send_fd(sock, fd, &m, offsetof(struct sync_msg, text) + 1);
}

int sync_expect(int fd, enum sync_type want, struct sync_msg *m, struct ctr_err *err)
{
    int r = sync_recv(fd, m);
    if (r < 0)
        return ctr_fail_errno(err, "sync with container process");
    if (r == 0)
        return ctr_fail(err, "container process exited during setup");
    if (m->type == SYNC_ERROR)
        return ctr_fail(err, "%s", m->text);
    if (m->type != want)
        return ctr_fail(err, "sync with container process: unexpected message %u", m->type);
    return 0;
}

int send_fd(int sock, int fd, const void *payload, size_t len)
{
    char dummy = 0;
    struct iovec iov = { .iov_base = len ? (void *)payload : &dummy, .iov_len = len ? len : 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof fd);
    for (;;) {
        ssize_t w = sendmsg(sock, &msg, MSG_NOSIGNAL);
        if (w >= 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

int recv_fd(int sock, void *payload, size_t size, size_t *got)
{
    char dummy;
    struct iovec iov = { .iov_base = size ? payload : &dummy, .iov_len = size ? size : 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
                          .msg_control = u.buf, .msg_controllen = sizeof u.buf };
    ssize_t r;
    do
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (r < 0 && errno == EINTR);
    if (r < 0)
        return -1;
    if (got)
        *got = (size_t)r;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int fd;
            memcpy(&fd, CMSG_DATA(c), sizeof fd);
            return fd;
        }
    errno = r == 0 ? ECONNRESET : EBADMSG;
    return -1;
}

int unix_connect(const char *path, struct ctr_err *err)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return ctr_fail_errno(err, "socket");
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int dirfd = -1;
    if (strlen(path) < sizeof a.sun_path) {
        snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    } else {
        /* Too long for sun_path: reach it through its directory's fd. */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", path);
        char *slash = strrchr(dir, '/');
        if (!slash) {
            close(s);
            return ctr_fail(err, "socket path %s too long", path);
        }
        *slash = '\0';
        dirfd = open(*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0) {
            close(s);
            return ctr_fail_errno(err, "open %s", dir);
        }
        int n = snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/%s", dirfd, slash + 1);
        if (n < 0 || (size_t)n >= sizeof a.sun_path) {
            close(dirfd);
            close(s);
            return ctr_fail(err, "socket path %s too long", path);
        }
    }
    int r;
    do
        r = connect(s, (struct sockaddr *)&a, sizeof a);
    while (r < 0 && errno == EINTR);
    if (dirfd >= 0)
        close(dirfd);
    if (r < 0) {
        ctr_fail_errno(err, "connect to %s", path);
        close(s);
        return -1;
    }
    return s;
}
