/* Error reporting for the container runtime.
 *
 * Functions that can fail take a `struct ctr_err *` and return -1 after
 * filling it with a one-line, human-readable message (runc style: lower
 * case, no trailing newline).  Nothing here is global. */
#ifndef VESSEL_CTR_ERR_H
#define VESSEL_CTR_ERR_H

#include <stddef.h>

#define CTR_ERR_MAX 1024

struct ctr_err {
    char msg[CTR_ERR_MAX];
    int errnum;                 /* errno that caused it, 0 if none */
};

/* Set the message; always returns -1 so callers can `return ctr_fail(...)`. */
int ctr_fail(struct ctr_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Same, appending ": strerror(errno)" for the current errno. */
int ctr_fail_errno(struct ctr_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefix an existing message with more context ("mount /proc: ..."). */
int ctr_wrap(struct ctr_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
