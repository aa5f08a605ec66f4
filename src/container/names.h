/* Name tables shared by config parsing and the CLI: rlimits, capabilities,
 * signals and namespace kinds. */
#ifndef VESSEL_CTR_NAMES_H
#define VESSEL_CTR_NAMES_H

#include <stddef.h>

/* "RLIMIT_NOFILE" -> RLIMIT_NOFILE, or -1. */
int names_rlimit(const char *name);

/* "CAP_CHOWN" -> 0, or -1.  Case-insensitive, "CAP_" prefix optional. */
int names_cap(const char *name);
const char *names_cap_name(int cap);
int names_cap_count(void);      /* number of known capabilities */

/* "KILL", "SIGKILL" or "9" -> 9; -1 if unknown. */
int names_signal(const char *name);

/* Namespace kinds (enum ns_kind in oci_config.h). */
int names_ns(const char *spec_name);            /* "network" -> NS_NET */
const char *names_ns_spec(int kind);            /* NS_NET -> "network" */
const char *names_ns_proc(int kind);            /* NS_NET -> "net" */
int names_ns_clone_flag(int kind);              /* NS_NET -> CLONE_NEWNET */

#endif
