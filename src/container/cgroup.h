/* Control groups for containers: cgroup v1, v2 and the v1/v2 "hybrid"
 * layout (v1 controllers under /sys/fs/cgroup/<controller>, cgroup2 at
 * /sys/fs/cgroup/unified).
 *
 * cg_discover() reads the host layout from /proc/self/mountinfo and
 * /proc/self/cgroup; cg_plan() turns linux.cgroupsPath into one directory
 * per hierarchy without touching anything; cg_create() makes them and
 * applies resources; everything else works on a planned or saved set. */
#ifndef VESSEL_CGROUP_H
#define VESSEL_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>
#include <json.h>
#include "container/ctr_err.h"
#include "container/ctr_log.h"
#include "container/oci_config.h"

enum cg_mode { CG_NONE, CG_V1, CG_HYBRID, CG_V2 };

#define CG_MAX_HIER 24
#define CG_PATH_MAX 1024

struct cg_hier {
    char mount[CG_PATH_MAX];    /* mount point, e.g. /sys/fs/cgroup/memory */
    char own[CG_PATH_MAX];      /* this process's cgroup in it, e.g. /user.slice */
    char options[128];          /* controllers as mount options: "cpu,cpuacct", "none,name=systemd" */
    bool v2;                    /* the unified (cgroup2) hierarchy */
};

struct cg_layout {
    enum cg_mode mode;
    struct cg_hier hier[CG_MAX_HIER];
    int n_hier;
};

/* A container's cgroup directories: one per hierarchy. */
struct cg_dir {
    char path[CG_PATH_MAX];     /* full directory */
    char mount[CG_PATH_MAX];    /* its hierarchy's mount point */
    char options[128];          /* mount options naming the hierarchy */
    char key[128];              /* hierarchy name: "memory", "cpu,cpuacct", "unified" */
    int created;                /* trailing components this container created,
                                   or CG_CREATED_UNKNOWN while being made */
    bool v2;
};

#define CG_CREATED_UNKNOWN (-1)

struct cg_set {
    enum cg_mode mode;
    struct cg_dir dir[CG_MAX_HIER];
    int n;
};

/* Host discovery.  The _text variant parses given mountinfo / cgroup file
 * contents (unit tests); cg_discover reads this process's. */
int cg_discover(struct cg_layout *lay, struct ctr_err *err);
int cg_discover_text(struct cg_layout *lay, const char *mountinfo, const char *self_cgroup,
                     struct ctr_err *err);
const char *cg_mode_name(enum cg_mode mode);

/* Compute directories for linux.cgroupsPath (NULL/"" = "<id>" relative to
 * our own cgroup).  With `systemd`, the path must be "slice:prefix:name". */
int cg_plan(const struct cg_layout *lay, const char *cgroups_path, const char *id,
            bool systemd, struct cg_set *set, struct ctr_err *err);

/* Create the directories and apply resources.  On failure everything this
 * call created is removed again. */
int cg_create(struct cg_set *set, const struct oci_resources *res, const struct ctr_log *log,
              struct ctr_err *err);
/* Move a process into every directory of the set. */
int cg_attach(const struct cg_set *set, pid_t pid, struct ctr_err *err);
/* Apply (or update, live) resource limits. */
int cg_apply(const struct cg_set *set, const struct oci_resources *res,
             const struct ctr_log *log, struct ctr_err *err);
/* Freeze or thaw; waits until the kernel reports the new state. */
int cg_freeze(const struct cg_set *set, bool freeze, struct ctr_err *err);
/* 1 if frozen, 0 if not, -1 if there is no freezer. */
int cg_frozen(const struct cg_set *set);
/* PIDs of all processes in the container's cgroup (malloc'd array). */
int cg_pids(const struct cg_set *set, pid_t **pids, size_t *n, struct ctr_err *err);
/* Signal every process in the cgroup. */
int cg_signal_all(const struct cg_set *set, int sig, struct ctr_err *err);
/* Remove the directories this container created (processes must be gone). */
int cg_destroy(const struct cg_set *set, struct ctr_err *err);
/* True when no directory of the set still exists. */
bool cg_gone(const struct cg_set *set);

/* Directory for a hierarchy key ("memory", "unified"...), or NULL. */
const struct cg_dir *cg_find(const struct cg_set *set, const char *controller);

/* Saved form, stored in state.json. */
json_object *cg_to_json(const struct cg_set *set);
int cg_from_json(json_object *obj, struct cg_set *set, struct ctr_err *err);

/* Low-level file helpers shared by the v1 and v2 backends. */
int cg_write(const char *dir, const char *file, const char *value, struct ctr_err *err);
int cg_read(const char *dir, const char *file, char *buf, size_t size);
bool cg_has_file(const char *dir, const char *file);

/* Backends (cgroup_v1.c, cgroup_v2.c, cgroup_bpf.c). */
int cg_v1_prepare(const struct cg_dir *d, struct ctr_err *err);
int cg_v1_apply(const struct cg_set *set, const struct oci_resources *res,
                const struct ctr_log *log, struct ctr_err *err);
int cg_v2_prepare(const struct cg_dir *d, struct ctr_err *err);
int cg_v2_apply(const struct cg_dir *d, const struct oci_resources *res, bool hybrid,
                const struct ctr_log *log, struct ctr_err *err);
int cg_v2_apply_hugetlb(const struct cg_dir *d, const struct oci_resources *res,
                        struct ctr_err *err);
int cg_v2_write_unified(const struct cg_dir *d, const struct oci_resources *res,
                        struct ctr_err *err);
/* Replace the eBPF device filter on a cgroup2 directory with one built from
 * rules (runtime defaults appended). */
int cg_bpf_devices(const char *dir, const struct oci_devrule *rules, size_t n,
                   struct ctr_err *err);
/* The devices every container may use (null, zero, tty, pts...). */
extern const struct oci_devrule cg_default_devrules[];
extern const size_t cg_n_default_devrules;

#endif
