/* The last steps before the container's program runs, shared by the init
 * process and by `exec`: find the executable, set limits, identity,
 * capabilities, no_new_privs, seccomp, then execve. */
#ifndef VESSEL_PROCSETUP_H
#define VESSEL_PROCSETUP_H

#include <stddef.h>
#include "container/ctr_err.h"
#include "container/launch.h"

/* execvp-style lookup of process.args[0] with the process's own PATH,
 * in the current root; `exe` receives the path to execute. */
int proc_find_executable(const struct oci_process *p, char *exe, size_t size,
                         struct ctr_err *err);

/* Apply the process attributes and execve.  Returns only on failure.
 * `extra_env` (NULL-terminated, may be NULL) is appended to process.env. */
int proc_apply_and_exec(const struct ctr_launch *l, const char *exe, char **extra_env,
                        struct ctr_err *err);

/* Write process.oomScoreAdj for pid (0: ourselves) if set.  The runtime
 * does it from outside: lowering the score needs privileges a process in
 * a user namespace lacks. */
int proc_set_oom_score(const struct oci_process *p, pid_t pid, struct ctr_err *err);

/* AppArmor/SELinux labels on a host without that LSM: warn and drop them
 * (the runtime side, before the process is started). */
void proc_drop_unsupported_labels(struct oci_process *p, const struct ctr_log *log);

#endif
