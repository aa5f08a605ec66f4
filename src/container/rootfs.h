/* The container's root filesystem: the mounts of config.json, /dev, then
 * pivot_root into the bundle's root and the final touches (read-only root,
 * masked and read-only paths, propagation). */
#ifndef VESSEL_ROOTFS_H
#define VESSEL_ROOTFS_H

#include "container/ctr_err.h"
#include "container/launch.h"

/* Before the createRuntime hooks: all mounts and devices, still seeing the
 * host root.  Needs a private mount namespace. */
int rootfs_prepare(struct ctr_launch *l, struct ctr_err *err);
/* Make the bundle root our "/" (pivot_root, or MS_MOVE + chroot). */
int rootfs_enter(const struct ctr_launch *l, struct ctr_err *err);
/* After entering: read-only root, maskedPaths, readonlyPaths, propagation. */
int rootfs_finish(const struct ctr_launch *l, struct ctr_err *err);
/* Without a mount namespace: just chroot into the root. */
int rootfs_chroot_only(const struct ctr_launch *l, struct ctr_err *err);

/* Remount the mount at path with flags, keeping flags the kernel locks in
 * a user namespace (nosuid, nodev, noexec, atime). */
int remount_keep_locked(const char *path, unsigned long flags, struct ctr_err *err);

/* /dev (devices.c). */
int dev_setup(int rootfd, const struct ctr_launch *l, struct ctr_err *err);
/* Bind the terminal's slave over /dev/console (after entering the root). */
int dev_setup_console(const char *slave_path, struct ctr_err *err);

#endif
