/* Helpers shared by the commands that act on an existing container. */
#ifndef VESSEL_CMD_COMMON_H
#define VESSEL_CMD_COMMON_H

#include "container/ctr_cli.h"
#include "container/state.h"

/* Open <root>/<id> and load its state; -1 with err ("container does not
 * exist") otherwise.  *dirfd must be closed by the caller. */
int ctr_open(const struct ctr_cli *cli, const char *id, int *dirfd, struct ctr_state *st,
             struct ctr_err *err);

/* Exit status of a waited-for process, shell style (128+signal). */
int exit_code(int status);

/* Block the signals the runtime forwards to its container and return a
 * non-blocking signalfd for them (plus SIGCHLD and SIGWINCH). */
int forward_signals_begin(sigset_t *old);
/* Wait for `pid` (our child), forwarding signals to it; returns its status. */
int forward_signals_wait(int sigfd, pid_t pid);

#endif
