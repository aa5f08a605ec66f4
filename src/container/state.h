/* Container state kept under the runtime root (--root):
 *
 *   <root>/<id>/state.json    what the runtime knows (pid, bundle, cgroups)
 *   <root>/<id>/config.json   the config the container was created from
 *   <root>/<id>/exec.sock     present while the container waits for start
 *
 * Files are replaced atomically (write a temporary, then rename), so a
 * runtime killed at any moment leaves either the old or the new state and
 * `delete --force` can always clean up. */
#ifndef VESSEL_STATE_H
#define VESSEL_STATE_H

#include <stdbool.h>
#include <sys/types.h>
#include <json.h>
#include "container/cgroup.h"
#include "container/ctr_err.h"
#include "container/oci_config.h"

enum ctr_status { ST_CREATING, ST_CREATED, ST_RUNNING, ST_PAUSED, ST_STOPPED };

#define CTR_ID_MAX 255             /* one path component (state dir, cgroup) */

struct ctr_state {
    char *id;
    pid_t pid;                      /* init, as seen from the runtime; 0 if none */
    unsigned long long pid_start;   /* its start time (guards against pid reuse) */
    char *bundle, *rootfs;
    char created[64];               /* RFC 3339, UTC, nanoseconds */
    bool creating;                  /* `create` has not finished */
    bool rootless, systemd;
    bool has_poststart, has_poststop;
    bool own_pidns;                 /* init is pid 1 of its own pid namespace */
    struct oci_kv *annotations;
    size_t n_annotations;
    struct cg_set cgroup;
};

const char *state_status_name(enum ctr_status st);

/* Default --root: /run/vessel-runc, or $XDG_RUNTIME_DIR/vessel-runc when
 * not root. */
void state_default_root(char *buf, size_t size);

/* Container ids: [A-Za-z0-9_+.-]+, not "." or "..", at most CTR_ID_MAX bytes. */
bool state_id_valid(const char *id);

/* Make <root>/<id>; fails if it exists.  Returns an O_DIRECTORY fd. */
int state_dir_create(const char *root, const char *id, struct ctr_err *err);
/* Open <root>/<id>; "container does not exist" if missing. */
int state_dir_open(const char *root, const char *id, struct ctr_err *err);
/* Remove <root>/<id> and everything the runtime put in it. */
int state_dir_remove(const char *root, const char *id, struct ctr_err *err);

int state_save(int dirfd, const struct ctr_state *st, struct ctr_err *err);
int state_load(int dirfd, struct ctr_state *st, struct ctr_err *err);
void state_free(struct ctr_state *st);

/* Atomically replace dirfd/name with data. */
int state_write_file(int dirfd, const char *name, const char *data, size_t len,
                     struct ctr_err *err);

/* Current status from the saved state and the live system. */
enum ctr_status state_status(int dirfd, const struct ctr_state *st);

/* The OCI state object (runtime.md) for `state`, `list` and hooks.
 * `pid_override` replaces pid when >= 0 (hooks inside the container). */
json_object *state_oci_json(const struct ctr_state *st, enum ctr_status status,
                            pid_t pid_override, bool extended);
/* Serialize JSON the way the CLI prints it (no "\/" escapes). */
const char *state_json_text(json_object *o, bool pretty);

/* Process liveness with pid-reuse protection. */
int proc_start_time(pid_t pid, unsigned long long *start, char *state_char);
bool proc_alive(pid_t pid, unsigned long long start);

/* RFC 3339 timestamp with nanoseconds, UTC. */
void state_now_rfc3339(char *buf, size_t size);

#endif
