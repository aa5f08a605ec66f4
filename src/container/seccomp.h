/* Seccomp filters from linux.seccomp, compiled with libseccomp and loaded
 * with seccomp(2) directly so that every flag of the spec can be used. */
#ifndef VESSEL_SECCOMP_H
#define VESSEL_SECCOMP_H

#include <linux/filter.h>
#include "container/ctr_err.h"
#include "container/oci_config.h"

struct seccomp_prog {
    struct sock_fprog fprog;        /* filter points into a malloc'd buffer */
};

/* Compile the filter (no kernel state is touched). */
int seccomp_build(const struct oci_seccomp *s, struct seccomp_prog *out, struct ctr_err *err);
void seccomp_prog_free(struct seccomp_prog *p);

/* Install it in the calling thread.  Returns the notify fd when the
 * filter uses SCMP_ACT_NOTIFY, 0 otherwise, -1 on error. */
int seccomp_install(const struct oci_seccomp *s, const struct seccomp_prog *p,
                    struct ctr_err *err);

/* Send the notify fd and the container process state to the listener. */
int seccomp_send_listener(int sock, int notify_fd, const char *process_state_json,
                          struct ctr_err *err);

#endif
