/* Deleting a container and the hooks around start and delete. */
#ifndef VESSEL_DESTROY_H
#define VESSEL_DESTROY_H

#include "container/ctr_cli.h"
#include "container/oci_config.h"
#include "container/state.h"

/* Kill what is left of a container, remove its cgroups and state, then run
 * its poststop hooks (warnings only).  `dirfd` is its state directory. */
int ctr_destroy(struct ctr_cli *cli, int dirfd, struct ctr_state *st, struct ctr_err *err);

/* Run the poststart hooks of a just-started container (cmd_start.c); on
 * failure the container is stopped and destroyed (runtime.md step 9). */
int ctr_poststart(struct ctr_cli *cli, int dirfd, struct ctr_state *st, struct ctr_err *err);

/* Parse only the hooks of the config copy kept in the state directory. */
int ctr_load_hooks(int dirfd, struct oci_hooks hooks[HOOK_COUNT], struct ctr_err *err);

#endif
