/* Mount option strings from config.json ("nosuid", "rbind", "rro",
 * "size=64k"...) to mount(2) flags, propagation, mount_setattr(2) attributes
 * and the filesystem data string. */
#ifndef VESSEL_MOUNT_OPTS_H
#define VESSEL_MOUNT_OPTS_H

#include <stddef.h>
#include "container/oci_config.h"

/* Fill m->flags, propagation, attr_set/clr, bind, tmpcopyup and data from
 * the options; rejects options this runtime cannot honour (idmap). */
int mount_opts_parse(char **opts, size_t n, struct oci_mount *m, struct ctr_err *err);

/* Propagation option name -> MS_* flags (with MS_REC for r*), 0 if not one. */
unsigned long mount_opts_propagation(const char *name);

/* All option names recognised (for `features`), NULL-terminated. */
extern const char *const mount_opts_known[];

#endif
