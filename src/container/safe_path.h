/* Path resolution inside a container root that cannot escape it.
 *
 * A hostile rootfs may hold symlinks such as /etc -> ../../../../etc or
 * /dev -> /.  Paths from config.json are resolved here component by
 * component as if `rootfd` were "/": ".." stops at the root and absolute
 * symlink targets restart at the root.  The result is then opened one
 * component at a time with O_NOFOLLOW, so a symlink swapped in between
 * is detected instead of followed. */
#ifndef VESSEL_SAFE_PATH_H
#define VESSEL_SAFE_PATH_H

#include <stdbool.h>
#include <sys/types.h>
#include "container/ctr_err.h"

/* Resolve `path` under rootfd to a symlink-free path relative to the root
 * ("" is the root itself).  Missing components are kept as they are.
 * Returns malloc'd string or NULL (err set). */
char *safe_resolve(int rootfd, const char *path, struct ctr_err *err);

/* Open an existing path under the root; `flags` apply to the last
 * component (O_NOFOLLOW is added).  Returns fd or -1 (err set). */
int safe_open(int rootfd, const char *path, int flags, struct ctr_err *err);

/* Open the parent directory of `path` under the root, creating missing
 * directories (mode 0755); *name receives the last component (malloc'd).
 * Returns an O_PATH|O_DIRECTORY fd, or -1. */
int safe_open_parent(int rootfd, const char *path, char **name, struct ctr_err *err);

/* Ensure `path` exists under the root: a directory if `dir`, else an empty
 * regular file (created with `mode`), and return an O_PATH fd to it. */
int safe_mkpath(int rootfd, const char *path, bool dir, mode_t mode, struct ctr_err *err);

/* "/proc/self/fd/N": a name for an fd that mount(2) and friends accept. */
#define SAFE_FD_PATH_MAX 32
const char *safe_fd_path(int fd, char buf[SAFE_FD_PATH_MAX]);

#endif
