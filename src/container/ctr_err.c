/* Error message helpers (see ctr_err.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "container/ctr_err.h"

int ctr_fail(struct ctr_err *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->errnum = 0;
    return -1;
}

int ctr_fail_errno(struct ctr_err *err, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof err->msg)
        snprintf(err->msg + n, sizeof err->msg - (size_t)n, ": %s", strerror(saved));
    err->errnum = saved;
    errno = saved;
    return -1;
}

int ctr_wrap(struct ctr_err *err, const char *fmt, ...)
{
    char old[CTR_ERR_MAX];
    memcpy(old, err->msg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    size_t used = n < 0 ? 0 : (size_t)n;
    if (used + 3 < sizeof err->msg) {
        memcpy(err->msg + used, ": ", 2);
        used += 2;
        size_t rest = strnlen(old, sizeof old - 1);
        if (rest > sizeof err->msg - 1 - used)
            rest = sizeof err->msg - 1 - used;
        memcpy(err->msg + used, old, rest);
        err->msg[used + rest] = '\0';
    }
    return -1;
}
