/* OCI hooks: run each hook of a list in order, the container state JSON on
 * its stdin, with its own args/env and an optional timeout. */
#ifndef VESSEL_HOOKS_H
#define VESSEL_HOOKS_H

#include "container/ctr_err.h"
#include "container/ctr_log.h"
#include "container/oci_config.h"

/* Returns -1 at the first failing hook (err says which and why). */
int hooks_run(const struct oci_hooks *hooks, const char *kind, const char *state_json,
              struct ctr_err *err);
/* Runs every hook; failures only produce warnings (poststop). */
void hooks_run_all_warn(const struct oci_hooks *hooks, const char *kind,
                        const char *state_json, const struct ctr_log *log);

#endif
