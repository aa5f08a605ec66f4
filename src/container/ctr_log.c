/* Runtime logging (see ctr_log.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "container/ctr_log.h"

static const char *const level_names[] = { "debug", "info", "warning", "error" };

void ctr_log_init(struct ctr_log *log)
{
    log->fd = -1;
    log->json = false;
    log->debug = false;
}

int ctr_log_open(struct ctr_log *log, const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    log->fd = fd;
    return 0;
}

void ctr_log_close(struct ctr_log *log)
{
    if (log->fd >= 0)
        close(log->fd);
    log->fd = -1;
}

char *ctr_json_escape(const char *s, char *buf, size_t size)
{
    size_t o = 0;
    for (; *s && o + 7 < size; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)c;
        } else if (c == '\n') {
            buf[o++] = '\\'; buf[o++] = 'n';
        } else if (c == '\t') {
            buf[o++] = '\\'; buf[o++] = 't';
        } else if (c < 0x20) {
            o += (size_t)snprintf(buf + o, size - o, "\\u%04x", c);
        } else {
            buf[o++] = (char)c;
        }
    }
    buf[o] = '\0';
    return buf;
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

/* One formatted line: logrus text or JSON. */
static void emit(int fd, bool json, enum ctr_log_level level, const char *msg)
{
    char ts[40], esc[2400], line[2600];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ctr_json_escape(msg, esc, sizeof esc);
    int n;
    if (json)
        n = snprintf(line, sizeof line, "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
                     level_names[level], esc, ts);
    else
        n = snprintf(line, sizeof line, "time=\"%s\" level=%s msg=\"%s\"\n",
                     ts, level_names[level], esc);
    if (n > 0)
        write_all(fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
}

void ctr_log_msg(const struct ctr_log *log, enum ctr_log_level level, const char *fmt, ...)
{
    if (level == CTR_LOG_DEBUG && !log->debug)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (log->fd >= 0)
        emit(log->fd, log->json, level, msg);
    else
        emit(STDERR_FILENO, false, level, msg);
}

void ctr_log_error(const struct ctr_log *log, const char *msg)
{
    if (log->fd >= 0) {
        emit(log->fd, log->json, CTR_LOG_ERROR, msg);
        write_all(STDERR_FILENO, msg, strlen(msg));
        write_all(STDERR_FILENO, "\n", 1);
    } else {
        emit(STDERR_FILENO, false, CTR_LOG_ERROR, msg);
    }
}
