/* Creating a container, the runtime's side: validate the bundle, record
 * state, make cgroups, clone the init process into its namespaces and
 * drive it to READY (running prestart/createRuntime hooks on the way).
 * Shared by `create` and `run`. */
#ifndef VESSEL_SPAWN_H
#define VESSEL_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>
#include "container/ctr_cli.h"
#include "container/oci_config.h"
#include "container/state.h"

struct spawn_opts {
    const char *id;
    const char *bundle;         /* as given; "" or NULL = current directory */
    const char *pid_file;
    const char *console_socket;
    const char *pidfd_socket;   /* receives a pidfd of the init (runc 1.2) */
    bool for_create;            /* wait for `start` on exec.sock */
    bool detach;                /* the runtime will not stay around */
    bool no_pivot;
    bool no_new_keyring;
    long preserve_fds;
};

struct spawned {
    struct oci_config cfg;
    struct ctr_state st;
    int state_dirfd;
    int sync_fd;                /* runtime end; -1 after `create` */
    int pty_master;             /* foreground terminal, else -1 */
};

/* On success the container is created (status "created") and `out` holds
 * its config and state; on failure nothing is left behind. */
int spawn_container(struct ctr_cli *cli, const struct spawn_opts *o, struct spawned *out,
                    struct ctr_err *err);
void spawned_free(struct spawned *s);

/* Kill what is left of a container, remove its cgroups and state, then run
 * its poststop hooks (warnings only).  `dirfd` is its state directory. */
int ctr_destroy(struct ctr_cli *cli, int dirfd, struct ctr_state *st, struct ctr_err *err);

/* Run the poststart hooks of a just-started container (cmd_start.c); on
 * failure the container is killed. */
int ctr_poststart(struct ctr_cli *cli, int dirfd, struct ctr_state *st, struct ctr_err *err);

/* Parse only the hooks of the config copy kept in the state directory. */
int ctr_load_hooks(int dirfd, struct oci_hooks hooks[HOOK_COUNT], struct ctr_err *err);

#endif
