/* Namespaces: joining existing ones by path, user-namespace id maps and
 * time-namespace offsets. */
#ifndef VESSEL_NAMESPACES_H
#define VESSEL_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>
#include "container/ctr_err.h"
#include "container/oci_config.h"

/* Open every linux.namespaces[].path and check it is a namespace of the
 * right type.  fds[kind] is -1 where nothing is to be joined. */
int ns_open_paths(const struct oci_linux *l, int fds[NS_COUNT], struct ctr_err *err);
void ns_close_all(int fds[NS_COUNT]);

/* Is this (opened) namespace the runtime's own, or its pid 1's? */
bool ns_is_host(int fd, int kind);

/* Join the namespaces in fds, user namespace first; pid and time ones
 * only take effect for children.  Closes the fds it used. */
int ns_join(int fds[NS_COUNT], bool skip_user, struct ctr_err *err);

/* Write /proc/<pid>/{uid,gid}_map.  With `deny_setgroups`, write "deny"
 * to /proc/<pid>/setgroups first (needed without CAP_SETGID). */
int ns_write_idmaps(pid_t pid, const struct oci_linux *l, bool deny_setgroups,
                    struct ctr_err *err);

/* A user namespace with these maps, as an fd (for idmapped mounts). */
int ns_make_userns_fd(const struct oci_idmap *u, size_t nu, const struct oci_idmap *g, size_t ng,
                      struct ctr_err *err);

/* Enter a fresh time namespace with linux.timeOffsets applied. */
int ns_enter_new_timens(const struct oci_linux *l, struct ctr_err *err);

/* Does the running kernel have this kind of namespace? */
bool ns_supported(int kind);

#endif
