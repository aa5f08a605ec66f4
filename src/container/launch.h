/* Everything the container's init (or an exec'd process) needs to set
 * itself up.  Built by the runtime before it clones; the child works on its
 * own copy of memory, so plain pointers are fine. */
#ifndef VESSEL_LAUNCH_H
#define VESSEL_LAUNCH_H

#include <stdbool.h>
#include "container/cgroup.h"
#include "container/ctr_log.h"
#include "container/oci_config.h"
#include "container/seccomp.h"

struct ctr_launch {
    const struct oci_config *cfg;
    const struct oci_process *proc;     /* cfg->process, or the exec'd process */
    const char *id;
    const char *bundle;                 /* absolute */
    const char *rootfs;                 /* absolute */
    const struct cg_set *cgroup;
    const struct ctr_log *log;
    bool userns_new;                    /* we create the user namespace */
    bool in_userns;                     /* the process runs in a non-initial user ns */
    bool rootless;                      /* the runtime itself is unprivileged */
    bool via_helper;
    bool hook_failed;                   /* set by the init when a hook fails */                    /* forked by a namespace-joining helper */
    bool no_pivot;
    bool no_new_keyring;
    int ns_fds[NS_COUNT];               /* namespaces to join, -1 otherwise */
    int sync_fd;                        /* child's end of the sync socketpair */
    int exec_listen_fd;                 /* create: wait here for `start`; -1 otherwise */
    int state_dirfd;                    /* the state directory (to drop exec.sock) */
    int root_fd;                        /* exec: the init's root directory, or -1 */
    int console_fd;                     /* --console-socket connection, or -1 */
    bool pty_to_sync;                   /* send the pty master to the runtime instead */
    int seccomp_listener_fd;            /* connection to linux.seccomp.listenerPath, or -1 */
    int preserve_fds;                   /* fds 3 .. 3+n-1 stay open in the process */
    int *idmap_fds;                     /* per mount: user namespace of an idmapped mount */
    pid_t host_pid;                     /* the process's pid as the runtime sees it */
    /* Wait until the runtime has put us in our cgroups (it does that while
     * we set up, in parallel), then enter a new cgroup namespace if asked.
     * Idempotent; NULL where there is nothing to wait for. */
    int (*join_cgroup)(struct ctr_launch *l, struct ctr_err *err);
    bool cgroup_joined;
    char **extra_env;                   /* appended to process.env (LISTEN_FDS...) */
    struct seccomp_prog seccomp;
    bool has_seccomp;
};

#endif
