/* Terminals: a pty allocated inside the container (from its own devpts),
 * the master handed out over a unix socket (--console-socket, as runc
 * does), and the proxy loop for `run`/`exec` in the foreground. */
#ifndef VESSEL_TERMINAL_H
#define VESSEL_TERMINAL_H

#include <stdbool.h>
#include <sys/types.h>
#include "container/ctr_err.h"

/* Open a pty pair from /dev/ptmx (in the current root).  The slave's
 * owner becomes uid:gid.  *slave_path receives e.g. "/dev/pts/0". */
int term_open_pty(int *master, int *slave, char *slave_path, size_t size,
                  uid_t uid, gid_t gid, unsigned rows, unsigned cols, struct ctr_err *err);

/* Make the slave our controlling terminal and stdin/stdout/stderr. */
int term_become_controlling(int slave, struct ctr_err *err);

/* Runtime side of a foreground container with a terminal: copy between
 * our stdio and the master, pass window size changes, until the process
 * `pid` ends; the exit status is returned through *status.  `sigfd` is a
 * signalfd on which SIGCHLD, SIGWINCH and forwarded signals arrive. */
int term_proxy_wait(int master, int sigfd, pid_t pid, int *status);

#endif
