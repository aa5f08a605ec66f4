/* OCI hooks: run each hook of a list in order, the container state JSON on
 * its stdin, with its own args/env and an optional timeout. */
#ifndef VESSEL_HOOKS_H
#define VESSEL_HOOKS_H

#include <sys/types.h>
#include "container/ctr_err.h"
#include "container/ctr_log.h"
#include "container/oci_config.h"

/* Returns -1 at the first failing hook (err says which and why). */
int hooks_run(const struct oci_hooks *hooks, const char *kind, const char *state_json,
              struct ctr_err *err);
/* Runs every hook; failures only produce warnings (poststop). */
void hooks_run_all_warn(const struct oci_hooks *hooks, const char *kind,
                        const char *state_json, const struct ctr_log *log);

/* The state object given to hooks (malloc'd JSON text). */
char *hooks_state_json(const char *id, const char *status, pid_t pid, const char *bundle,
                       const struct oci_kv *ann, size_t n_ann);

#endif
