/* Runtime logging, shaped like runc's so orchestrators can read it.
 *
 * Without --log, messages go to stderr in logrus text form
 *   time="2024-01-01T00:00:00Z" level=error msg="container does not exist"
 * With --log FILE, they are appended to FILE (--log-format text|json, one
 * line each) and errors are also printed plainly on stderr. */
#ifndef VESSEL_CTR_LOG_H
#define VESSEL_CTR_LOG_H

#include <stdbool.h>

enum ctr_log_level { CTR_LOG_DEBUG, CTR_LOG_INFO, CTR_LOG_WARN, CTR_LOG_ERROR };

struct ctr_log {
    int fd;                     /* --log file, or -1 */
    bool json;                  /* --log-format json */
    bool debug;                 /* --debug: emit debug messages */
};

void ctr_log_init(struct ctr_log *log);
/* Open (append, create) the --log file; returns -1 with errno on failure. */
int ctr_log_open(struct ctr_log *log, const char *path);
void ctr_log_close(struct ctr_log *log);

void ctr_log_msg(const struct ctr_log *log, enum ctr_log_level level,
                 const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define ctr_warn(log, ...)  ctr_log_msg((log), CTR_LOG_WARN, __VA_ARGS__)
#define ctr_debug(log, ...) ctr_log_msg((log), CTR_LOG_DEBUG, __VA_ARGS__)
/* Report a fatal command error (the command then exits 1). */
void ctr_log_error(const struct ctr_log *log, const char *msg);

/* Escape `s` as the body of a JSON string into buf; returns buf. */
char *ctr_json_escape(const char *s, char *buf, size_t size);

#endif
