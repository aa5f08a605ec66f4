/* The container's first process, from clone() to the user's program. */
#ifndef VESSEL_INIT_H
#define VESSEL_INIT_H

#include "container/launch.h"

/* Runs in the cloned child: finishes the namespaces, builds the root
 * filesystem, reports READY, waits for start, then execs process.args.
 * Errors go to the runtime over l->sync_fd.  Never returns. */
_Noreturn void init_main(struct ctr_launch *l);

#endif
