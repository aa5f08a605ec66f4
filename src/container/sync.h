/* Messages between the runtime and the container's init process (over a
 * SOCK_SEQPACKET socketpair), and file-descriptor passing (SCM_RIGHTS)
 * used for the pty master, console sockets and seccomp listeners. */
#ifndef VESSEL_SYNC_H
#define VESSEL_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include "container/ctr_err.h"

enum sync_type {
    SYNC_GO = 1,        /* runtime -> init: ids mapped, cgroups joined: go on */
    SYNC_HOOKS,         /* init -> runtime: mounts done, run prestart/createRuntime */
    SYNC_HOOKS_DONE,    /* runtime -> init */
    SYNC_READY,         /* init -> runtime: set up, waiting for start */
    SYNC_START,         /* runtime -> init (run): exec the process now */
    SYNC_ERROR,         /* either way: text is the error message */
    SYNC_PID,           /* helper -> runtime: value is the process pid */
    SYNC_USERNS,        /* helper -> runtime: user namespace made, write the id maps */
    SYNC_PTY,           /* init -> runtime: carries the pty master */
    SYNC_CGROUP,        /* runtime -> init: you are in your cgroups now */
};

struct sync_msg {
    uint32_t type;
    int32_t value;
    char text[1024];
};

int sync_send(int fd, enum sync_type type, int32_t value, const char *text);
/* 1 = message, 0 = peer closed, -1 = error (errno). */
int sync_recv(int fd, struct sync_msg *m);
/* The same, also accepting a passed fd (*passed = -1 if none). */
int sync_recv_fd(int fd, struct sync_msg *m, int *passed);
/* A message carrying an fd. */
int sync_send_fd(int sock, enum sync_type type, int32_t value, int fd);
/* Wait for a message of `want`; SYNC_ERROR or EOF become an error. */
int sync_expect(int fd, enum sync_type want, struct sync_msg *m, struct ctr_err *err);

/* Send fd with a payload over a unix socket; receive one back. */
int send_fd(int sock, int fd, const void *payload, size_t len);
int recv_fd(int sock, void *payload, size_t size, size_t *got);

/* Connect a SOCK_STREAM unix socket to path (long paths supported). */
int unix_connect(const char *path, struct ctr_err *err);

#endif
