/* The OCI runtime configuration (config.json), parsed and validated.
 *
 * config_parse() turns the JSON into these plain C structures, checking
 * every type, range and cross-field rule up front so that a container is
 * never half-created from a bad bundle.  Nothing here touches the host
 * except reading config.json and checking that namespace paths exist. */
#ifndef VESSEL_OCI_CONFIG_H
#define VESSEL_OCI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json.h>
#include "container/ctr_err.h"
#include "container/ctr_log.h"

#define VESSEL_OCI_VERSION     "1.3.0"
#define VESSEL_OCI_VERSION_MIN "1.0.0"
#define CONFIG_MAX_SIZE        (32u << 20)   /* config.json size limit */

struct opt_i64 { bool set; int64_t v; };
struct opt_u64 { bool set; uint64_t v; };
struct opt_bool { bool set; bool v; };

/* ---- process ---- */

enum capset { CAPSET_BOUNDING, CAPSET_EFFECTIVE, CAPSET_INHERITABLE,
              CAPSET_PERMITTED, CAPSET_AMBIENT, CAPSET_COUNT };

struct oci_rlimit { int resource; uint64_t soft, hard; };

struct oci_sched {
    int policy;
    int32_t nice, priority;
    uint64_t flags, runtime, deadline, period;
};

struct oci_process {
    bool terminal;
    bool has_console_size;
    uint32_t console_height, console_width;
    uint32_t uid, gid;
    struct opt_u64 umask;
    uint32_t *additional_gids;
    size_t n_additional_gids;
    char **args;                /* NULL-terminated */
    size_t n_args;
    char **env;                 /* NULL-terminated, never NULL after parse */
    size_t n_env;
    char *cwd;
    struct oci_rlimit *rlimits;
    size_t n_rlimits;
    bool has_caps;
    uint64_t caps[CAPSET_COUNT];     /* bit n = capability n */
    bool no_new_privileges;
    struct opt_i64 oom_score_adj;
    char *apparmor_profile;
    char *selinux_label;
    bool has_sched;
    struct oci_sched sched;
    bool has_ioprio;
    int ioprio_class, ioprio_level;
    char *cpu_affinity_initial, *cpu_affinity_final;
};

struct oci_idmap { uint32_t container_id, host_id, size; };

/* ---- mounts ---- */

struct oci_mount {
    char *destination;          /* absolute, lexically cleaned */
    char *type;                 /* may be NULL (bind) */
    char *source;               /* may be NULL */
    unsigned long flags;        /* MS_* for mount(2) */
    unsigned long propagation;  /* MS_SHARED/SLAVE/PRIVATE/UNBINDABLE [|MS_REC] */
    uint64_t attr_set, attr_clr;/* recursive r* options, for mount_setattr */
    bool bind;                  /* bind or rbind (MS_BIND in flags) */
    bool tmpcopyup;
    char *data;                 /* filesystem-specific options, may be NULL */
    bool idmap, idmap_recursive;        /* idmapped (bind) mount */
    struct oci_idmap *uid_maps, *gid_maps;      /* its own mappings, or NULL */
    size_t n_uid_maps, n_gid_maps;
};

/* ---- hooks ---- */

enum hook_kind { HOOK_PRESTART, HOOK_CREATE_RUNTIME, HOOK_CREATE_CONTAINER,
                 HOOK_START_CONTAINER, HOOK_POSTSTART, HOOK_POSTSTOP, HOOK_COUNT };

struct oci_hook {
    char *path;
    char **args;                /* NULL-terminated; NULL means {path} */
    char **env;                 /* NULL-terminated; may be NULL */
    int timeout;                /* seconds, 0 = none */
};

struct oci_hooks {
    struct oci_hook *v;
    size_t n;
};

/* ---- linux ---- */

enum ns_kind { NS_USER, NS_MNT, NS_PID, NS_NET, NS_IPC, NS_UTS, NS_CGROUP,
               NS_TIME, NS_COUNT };

struct oci_namespace {
    bool enabled;               /* listed in linux.namespaces */
    char *path;                 /* join this one, or NULL to create */
};

struct oci_device {
    char type;                  /* 'c', 'b', 'u' or 'p' */
    char *path;                 /* absolute, cleaned */
    int64_t major, minor;
    struct opt_u64 file_mode, uid, gid;
};

struct oci_devrule {
    bool allow;
    char type;                  /* 'a', 'c' or 'b' */
    int64_t major, minor;       /* -1 = any */
    char access[4];             /* subset of "rwm" */
};

struct oci_kv { char *key, *value; };

struct oci_throttle { int64_t major, minor; uint64_t rate; };
struct oci_weight_dev { int64_t major, minor; struct opt_u64 weight, leaf_weight; };
struct oci_hugepage { char *page_size; uint64_t limit; };
struct oci_netprio { char *name; uint32_t priority; };

struct oci_resources {
    struct oci_devrule *devices;
    size_t n_devices;
    struct {
        struct opt_i64 limit, reservation, swap, kernel, kernel_tcp;
        struct opt_u64 swappiness;
        struct opt_bool disable_oom_killer, use_hierarchy, check_before_update;
    } memory;
    struct {
        struct opt_u64 shares, burst, period, rt_period;
        struct opt_i64 quota, rt_runtime, idle;
        char *cpus, *mems;
    } cpu;
    struct opt_i64 pids_limit;
    struct {
        struct opt_u64 weight, leaf_weight;
        struct oci_weight_dev *weight_device;
        size_t n_weight_device;
        struct oci_throttle *throttle[4];   /* read bps, write bps, read iops, write iops */
        size_t n_throttle[4];
    } blkio;
    struct oci_hugepage *hugepages;
    size_t n_hugepages;
    struct opt_u64 net_class_id;
    struct oci_netprio *net_prio;
    size_t n_net_prio;
    struct oci_kv *unified;
    size_t n_unified;
};

enum { THROTTLE_READ_BPS, THROTTLE_WRITE_BPS, THROTTLE_READ_IOPS, THROTTLE_WRITE_IOPS };

struct oci_seccomp_arg {
    unsigned index;
    uint64_t value, value_two;
    int op;                     /* enum scmp_compare */
};

struct oci_seccomp_rule {
    char **names;
    size_t n_names;
    uint32_t action;            /* libseccomp action, errno/trace data folded in */
    struct oci_seccomp_arg *args;
    size_t n_args;
};

struct oci_seccomp {
    uint32_t default_action;
    uint32_t *archs;            /* libseccomp SCMP_ARCH_* tokens */
    size_t n_archs;
    unsigned int flags;         /* SECCOMP_FILTER_FLAG_* */
    char *listener_path;
    char *listener_metadata;
    struct oci_seccomp_rule *rules;
    size_t n_rules;
    bool uses_notify;
};

struct oci_time_offset { int clock; int64_t secs; uint32_t nanosecs; };

struct oci_netdev { char *host_name, *name; };  /* name NULL: keep the host's */

struct oci_linux {
    struct oci_namespace ns[NS_COUNT];
    struct oci_idmap *uid_maps, *gid_maps;
    size_t n_uid_maps, n_gid_maps;
    struct oci_device *devices;
    size_t n_devices;
    char *cgroups_path;
    bool has_resources;
    struct oci_resources resources;
    struct oci_kv *sysctl;
    size_t n_sysctl;
    struct oci_seccomp *seccomp;    /* NULL if none */
    unsigned long rootfs_propagation;   /* 0 = default */
    char **masked_paths, **readonly_paths;
    size_t n_masked_paths, n_readonly_paths;
    char *mount_label;
    bool has_personality;
    unsigned long personality;
    struct oci_time_offset *time_offsets;
    size_t n_time_offsets;
    struct oci_netdev *net_devices;
    size_t n_net_devices;
    bool has_mempolicy;
    int mempolicy_mode;
    unsigned mempolicy_flags;
    char *mempolicy_nodes;
};

struct oci_config {
    char *oci_version;
    char *root_path;            /* as written in config.json */
    bool root_readonly;
    bool has_process;
    struct oci_process process;
    char *hostname, *domainname;
    struct oci_mount *mounts;
    size_t n_mounts;
    struct oci_hooks hooks[HOOK_COUNT];
    struct oci_kv *annotations;
    size_t n_annotations;
    struct oci_linux lx;          /* "linux" (a predefined macro in GNU C) */
};

/* Parse config.json text.  `log` receives warnings (unknown capabilities).
 * On success fills *cfg (free with config_free) and returns 0. */
int config_parse(const char *text, size_t len, struct oci_config *cfg,
                 const struct ctr_log *log, struct ctr_err *err);
/* Read and parse <bundle>/config.json. */
int config_load(const char *path, struct oci_config *cfg, char **text_out,
                size_t *len_out, const struct ctr_log *log, struct ctr_err *err);
void config_free(struct oci_config *cfg);

/* Pieces shared with other entry points (exec --process, update -r). */
int config_parse_process(json_object *obj, const char *where, struct oci_process *p,
                         const struct ctr_log *log, struct ctr_err *err);
void config_free_process(struct oci_process *p);
int config_parse_resources(json_object *obj, const char *where, struct oci_resources *r,
                           struct ctr_err *err);
void config_free_resources(struct oci_resources *r);
int config_parse_hooks(json_object *obj, struct oci_hooks hooks[HOOK_COUNT],
                       struct ctr_err *err);
void config_free_hooks(struct oci_hooks hooks[HOOK_COUNT]);
int config_parse_mounts(json_object *arr, size_t n, struct oci_config *cfg,
                        struct ctr_err *err);
int config_parse_linux(json_object *obj, struct oci_config *cfg,
                       struct ctr_err *err);
/* An array of {containerID, hostID, size} under key (uid/gid mappings). */
int config_parse_idmaps(json_object *obj, const char *key, const char *where,
                        struct oci_idmap **out, size_t *count, struct ctr_err *err);
int config_parse_seccomp(json_object *obj, struct oci_seccomp **out,
                         struct ctr_err *err);
void config_free_seccomp(struct oci_seccomp *s);
/* Name tables for `features`; each returns NULL past the end. */
const char *config_seccomp_action_name(size_t i);
const char *config_seccomp_op_name(size_t i);
const char *config_seccomp_arch_name(size_t i);
const char *config_seccomp_flag_name(size_t i);
const char *config_hook_name(int kind);     /* HOOK_POSTSTART -> "poststart" */
/* Cross-field checks run after everything is parsed. */
int config_validate(struct oci_config *cfg, struct ctr_err *err);

/* Lexically clean an absolute path in place ("/a/./b//c/" -> "/a/b/c").
 * Returns -1 if ".." would climb above "/" (the path escapes its root). */
int config_clean_path(char *path);
/* The same; with `clamp`, ".." at "/" stays at "/" (host paths) and it
 * never fails. */
int path_clean(char *path, bool clamp);

#endif
