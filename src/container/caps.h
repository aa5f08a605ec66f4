/* Linux capabilities of the container process: the five sets of
 * process.capabilities applied through libcap. */
#ifndef VESSEL_CAPS_H
#define VESSEL_CAPS_H

#include <stdint.h>
#include "container/ctr_err.h"
#include "container/oci_config.h"

/* Highest capability the running kernel knows. */
int caps_last_cap(void);

/* The calling process's bounding set. */
uint64_t caps_bounding_now(void);

/* Drop every capability of `now` (the current bounding set) not in `keep`
 * (needs CAP_SETPCAP, so call it before changing uid). */
int caps_apply_bounding(uint64_t keep, uint64_t now, struct ctr_err *err);

/* Set effective, permitted and inheritable sets, then the ambient set. */
int caps_apply(const uint64_t sets[CAPSET_COUNT], struct ctr_err *err);

#endif
