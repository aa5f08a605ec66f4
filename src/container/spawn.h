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
#include "container/destroy.h"

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

/* Parts of spawn_container (spawn_checks.c, spawn_clone.c). */
struct ctr_launch;
char *spawn_resolve_rootfs(const char *bundle, const char *root_path, struct ctr_err *err);
int spawn_check_bind_sources(const struct oci_config *cfg, struct ctr_err *err);
int spawn_check_rootless_maps(const struct oci_linux *lx, struct ctr_err *err);
int spawn_check_host_namespaces(const struct oci_linux *lx, const int fds[NS_COUNT],
                                struct ctr_err *err);
/* Clone the init; returns its pid (as we see it).  -1 if it could not be
 * started; -(pid + 1) if it was but its id maps could not be written. */
pid_t spawn_start_init(struct ctr_launch *l, int parent_fd, const struct oci_config *cfg,
                       struct ctr_err *err);

#endif
