/*
 * virtio_9p.h — the 9P2000.L file server behind virtio-9p, and the
 * confined host-directory access it is built on.  Internal to the
 * virtio_9p*.c files.
 *
 * The server answers one request at a time (the device's worker calls it)
 * and keeps no global state: one `struct p9_server` per shared folder.
 */
#ifndef VESSEL_DEV_VIRTIO_9P_H
#define VESSEL_DEV_VIRTIO_9P_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/uio.h>

/* ---- confined access to the exported tree (virtio_9p_fs.c) ----------
 *
 * Every object is named by a path relative to the export root, made only
 * of checked components (no "", ".", "..", "/").  Opening resolves it
 * beneath the root's directory fd with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) — or, on kernels without
 * openat2, an O_NOFOLLOW walk one component at a time — so no symlink
 * (absolute, relative, or /proc magic link) is ever followed on the host
 * and nothing outside the export can be reached.  The guest's kernel
 * follows symlinks itself, in the guest's namespace. */

struct p9_root {
    int fd;                     /* O_PATH directory fd of the export */
    dev_t dev;
};

int  p9fs_root_open(struct p9_root *r, const char *dir, char *err, size_t errlen);
void p9fs_root_close(struct p9_root *r);

/* Open `rel` ("" = the root) with `flags` (+O_NOFOLLOW|O_CLOEXEC; the
 * last component may be a symlink only with O_PATH).  fd or -errno. */
int p9fs_open(const struct p9_root *r, const char *rel, int flags, mode_t mode);

/* A name the guest may use as one path component. */
bool p9fs_valid_name(const char *name);

/* The parent directory of `rel` (an O_PATH fd, or -errno) and a pointer
 * to its last component within rel.  For the root: the root itself and
 * ".". */
int p9fs_open_parent(const struct p9_root *r, const char *rel, const char **base);

/* ---- the 9P2000.L server (virtio_9p_server.c) ------------------------ */

#define P9_MAX_MSIZE  (512 * 1024)       /* largest message we negotiate */
#define P9_MAX_FIDS   16384              /* fid table bound per session */

struct p9_server;

struct p9_server *p9_server_new(const char *dir, bool readonly, char *err, size_t errlen);
void p9_server_free(struct p9_server *s);

/* Forget the session (every fid clunked): device reset. */
void p9_server_reset(struct p9_server *s);

/* Answer the request in out[] (out_len bytes) into in[] (in_len bytes).
 * Returns the reply's length, or -1 if the request is too malformed to
 * answer at all (no room for even an error reply). */
long p9_server_handle(struct p9_server *s, const struct iovec *out, unsigned out_num,
                      size_t out_len, const struct iovec *in, unsigned in_num,
                      size_t in_len);

#endif
