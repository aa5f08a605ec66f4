/* Small process helpers shared by the runtime's parts. */
#ifndef VESSEL_CTR_UTIL_H
#define VESSEL_CTR_UTIL_H

#include <stdbool.h>
#include <sys/types.h>

/* Default dispositions and an empty mask, for a child about to exec
 * (the runtime ignores SIGPIPE and blocks signals it forwards). */
void ctr_reset_signals(void);

/* Write a whole buffer to fd; -1 on error. */
int write_all_fd(int fd, const void *buf, size_t len);

/* Write "<pid>" to path atomically (temporary file + rename). */
int write_pid_file(const char *path, pid_t pid);

/* Absolute, normalized version of path (relative to cwd); malloc'd. */
char *abs_path(const char *path);

#endif
