/* Container root filesystem setup (see rootfs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/mount.h>
#include "container/rootfs.h"
#include "container/safe_path.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

/* mount(2) flags that are not "change this mount's attributes". */
#define MS_NOT_ATTR (MS_BIND | MS_REC | MS_REMOUNT | MS_SHARED | MS_SLAVE | MS_PRIVATE | \
                     MS_UNBINDABLE | MS_MOVE)

static unsigned long statvfs_to_ms(unsigned long f)
{
    unsigned long ms = 0;
    if (f & ST_RDONLY) ms |= MS_RDONLY;
    if (f & ST_NOSUID) ms |= MS_NOSUID;
    if (f & ST_NODEV) ms |= MS_NODEV;
    if (f & ST_NOEXEC) ms |= MS_NOEXEC;
    if (f & ST_NOATIME) ms |= MS_NOATIME;
    if (f & ST_NODIRATIME) ms |= MS_NODIRATIME;
    if (f & ST_RELATIME) ms |= MS_RELATIME;
    return ms;
}

int remount_keep_locked(const char *path, unsigned long flags, struct ctr_err *err)
{
    unsigned long f = MS_REMOUNT | MS_BIND | (flags & ~(unsigned long)MS_NOT_ATTR) | (flags & MS_REC);
    if (mount(NULL, path, NULL, f, NULL) == 0)
        return 0;
    if (errno != EPERM)
        return ctr_fail_errno(err, "remount %s", path);
    /* In a user namespace, flags inherited from the source are locked:
     * keep them set. */
    struct statvfs sv;
    if (statvfs(path, &sv) < 0)
        return ctr_fail_errno(err, "statvfs %s", path);
    unsigned long locked = statvfs_to_ms(sv.f_flag) & (MS_NOSUID | MS_NODEV | MS_NOEXEC |
                                                       MS_NOATIME | MS_NODIRATIME | MS_RELATIME);
    if (flags & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME))
        locked &= ~(unsigned long)(MS_NOATIME | MS_RELATIME);
    if (mount(NULL, path, NULL, f | locked, NULL) < 0)
        return ctr_fail_errno(err, "remount %s", path);
    return 0;
}

static int set_propagation(const char *path, unsigned long prop, struct ctr_err *err)
{
    if (prop && mount(NULL, path, NULL, prop, NULL) < 0)
        return ctr_fail_errno(err, "set mount propagation of %s", path);
    return 0;
}

static int set_attrs_recursive(int fd, const struct oci_mount *m, struct ctr_err *err)
{
    if (!m->attr_set && !m->attr_clr)
        return 0;
    struct mount_attr attr = { .attr_set = m->attr_set, .attr_clr = m->attr_clr };
    if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
        return ctr_fail_errno(err, "mount %s: recursive mount options", m->destination);
    return 0;
}

/* Copy a directory tree (tmpcopyup: a tmpfs gets what it covers). */
static int copy_tree(int src, int dst, int depth, struct ctr_err *err)
{
    if (depth > 32)
        return ctr_fail(err, "tmpcopyup: directory tree too deep");
    int dupfd = dup(src);
    if (dupfd < 0)
        return ctr_fail_errno(err, "tmpcopyup");
    DIR *d = fdopendir(dupfd);
    if (!d) {
        close(dupfd);
        return ctr_fail_errno(err, "tmpcopyup");
    }
    rewinddir(d);
    struct dirent *e;
    int ret = 0;
    while (ret == 0 && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        struct stat st;
        if (fstatat(src, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode)) {
            if (mkdirat(dst, e->d_name, st.st_mode & 07777) < 0 && errno != EEXIST) {
                ret = ctr_fail_errno(err, "tmpcopyup: mkdir %s", e->d_name);
                break;
            }
            int s2 = openat(src, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            int d2 = openat(dst, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (s2 >= 0 && d2 >= 0)
                ret = copy_tree(s2, d2, depth + 1, err);
            if (s2 >= 0) close(s2);
            if (d2 >= 0) close(d2);
        } else if (S_ISLNK(st.st_mode)) {
            char target[PATH_MAX];
            ssize_t n = readlinkat(src, e->d_name, target, sizeof target - 1);
            if (n >= 0) {
                target[n] = '\0';
                symlinkat(target, dst, e->d_name);
            }
        } else if (S_ISREG(st.st_mode)) {
            int in = openat(src, e->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            int out = openat(dst, e->d_name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st.st_mode & 07777);
            char buf[65536];
            ssize_t n;
            while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
                if (write(out, buf, (size_t)n) != n) {
                    ret = ctr_fail_errno(err, "tmpcopyup: write %s", e->d_name);
                    break;
                }
            if (in >= 0) close(in);
            if (out >= 0) close(out);
        } else {
            mknodat(dst, e->d_name, st.st_mode, st.st_rdev);
        }
        fchownat(dst, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW);
    }
    closedir(d);
    return ret;
}

/* Re-open the destination after mounting on it: the earlier fd still names
 * the directory underneath. */
static int reopen(int rootfd, const struct oci_mount *m, struct ctr_err *err)
{
    return safe_open(rootfd, m->destination, O_PATH, err);
}

static int finish_mount(int rootfd, const struct oci_mount *m, unsigned long attr_flags,
                        bool remount_needed, struct ctr_err *err)
{
    if (!remount_needed && !m->propagation && !m->attr_set && !m->attr_clr)
        return 0;
    int fd = reopen(rootfd, m, err);
    if (fd < 0)
        return -1;
    char p[SAFE_FD_PATH_MAX];
    safe_fd_path(fd, p);
    int r = 0;
    if (remount_needed)
        r = remount_keep_locked(p, attr_flags | (m->flags & MS_REC), err);
    if (r == 0)
        r = set_propagation(p, m->propagation, err);
    if (r == 0)
        r = set_attrs_recursive(fd, m, err);
    close(fd);
    if (r < 0)
        ctr_wrap(err, "mount %s", m->destination);
    return r;
}

/* An idmapped bind: clone the source tree detached, give it the mapping
 * of the user namespace userns_fd, and attach it at target. */
static int mount_idmapped(const char *src, int target_fd, const struct oci_mount *m,
                          int userns_fd, struct ctr_err *err)
{
    unsigned rec = (m->flags & MS_REC) ? AT_RECURSIVE : 0;
    int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | rec);
    if (tree < 0)
        return ctr_fail_errno(err, "mount %s: open_tree %s", m->destination, src);
    struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t)userns_fd };
    int r = (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH |
                         (m->idmap_recursive ? AT_RECURSIVE : 0), &attr, sizeof attr);
    if (r < 0)
        ctr_fail_errno(err, "mount %s: idmap %s (does its filesystem support idmapped mounts?)",
                       m->destination, src);
    else if (syscall(SYS_move_mount, tree, "", target_fd, "",
                     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        r = ctr_fail_errno(err, "mount %s: attach the idmapped tree", m->destination);
    close(tree);
    return r;
}

static int mount_bind(int rootfd, const struct ctr_launch *l, const struct oci_mount *m,
                      struct ctr_err *err)
{
    char src[PATH_MAX];
    if (m->source[0] == '/')
        snprintf(src, sizeof src, "%s", m->source);
    else
        snprintf(src, sizeof src, "%s/%s", l->bundle, m->source);
    struct stat st;
    if (stat(src, &st) < 0)
        return ctr_fail_errno(err, "mount %s: bind source %s", m->destination, src);
    int fd = safe_mkpath(rootfd, m->destination, S_ISDIR(st.st_mode), 0644, err);
    if (fd < 0)
        return ctr_wrap(err, "mount %s", m->destination);
    char p[SAFE_FD_PATH_MAX];
    size_t idx = (size_t)(m - l->cfg->mounts);
    if (m->idmap) {
        int r = mount_idmapped(src, fd, m, l->idmap_fds ? l->idmap_fds[idx] : -1, err);
        close(fd);
        if (r < 0)
            return -1;
    } else {
        int r = mount(src, safe_fd_path(fd, p), NULL, MS_BIND | (m->flags & MS_REC), NULL);
        close(fd);
        if (r < 0)
            return ctr_fail_errno(err, "mount %s: bind %s", m->destination, src);
    }
    unsigned long attrs = m->flags & ~(unsigned long)MS_NOT_ATTR;
    return finish_mount(rootfd, m, attrs, attrs != 0, err);
}

/* Mount a filesystem of m->type; some fall back to a bind of the host's
 * instance when the kernel refuses them in a user namespace. */
static int mount_fs(int rootfd, const struct ctr_launch *l, const struct oci_mount *m,
                    struct ctr_err *err)
{
    int fd = safe_mkpath(rootfd, m->destination, true, 0755, err);
    if (fd < 0)
        return ctr_wrap(err, "mount %s", m->destination);
    char p[SAFE_FD_PATH_MAX];
    safe_fd_path(fd, p);
    unsigned long flags = m->flags & ~(unsigned long)MS_NOT_ATTR;
    const char *src = m->source && *m->source ? m->source : m->type;
    int r = mount(src, p, m->type, flags, m->data);
    if (r < 0 && errno == EINVAL && l->in_userns && m->data && !strcmp(m->type, "devpts") &&
        strstr(m->data, "gid=")) {
        /* gid=5 may not be mapped in a user namespace: drop it. */
        char data[1024], *o = data, *save;
        char copy[1024];
        snprintf(copy, sizeof copy, "%s", m->data);
        data[0] = '\0';
        for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save))
            if (strncmp(t, "gid=", 4))
                o += snprintf(o, sizeof data - (size_t)(o - data), "%s%s", o == data ? "" : ",", t);
        r = mount(src, p, m->type, flags, data);
    }
    if (r < 0 && errno == EPERM && (!strcmp(m->type, "sysfs") || !strcmp(m->type, "mqueue"))) {
        const char *host = !strcmp(m->type, "sysfs") ? "/sys" : "/dev/mqueue";
        r = mount(host, p, NULL, MS_BIND | MS_REC, NULL);
        if (r == 0 && flags) {
            close(fd);
            return finish_mount(rootfd, m, flags, true, err);
        }
    }
    if (r < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return ctr_fail_errno(err, "mount %s (type %s)", m->destination, m->type);
    }
    if (m->tmpcopyup && !strcmp(m->type, "tmpfs")) {
        int lower = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int upper = safe_open(rootfd, m->destination, O_RDONLY | O_DIRECTORY, err);
        int cr = lower >= 0 && upper >= 0 ? copy_tree(lower, upper, 0, err) : 0;
        if (lower >= 0) close(lower);
        if (upper >= 0) close(upper);
        if (cr < 0) {
            close(fd);
            return -1;
        }
    }
    close(fd);
    return finish_mount(rootfd, m, flags, false, err);
}

/* cgroup v2: cgroup2 fs in a cgroup namespace, else a bind of our cgroup.
 * v1: a tmpfs holding one directory per hierarchy. */
static int mount_cgroup(int rootfd, struct ctr_launch *l, const struct oci_mount *m,
                        struct ctr_err *err)
{
    const struct cg_set *set = l->cgroup;
    bool cgns = l->cfg->lx.ns[NS_CGROUP].enabled;
    /* A cgroup namespace (and what its fresh mounts show) needs the
     * process in its cgroups first. */
    if (l->join_cgroup && l->join_cgroup(l, err) < 0)
        return -1;
    unsigned long flags = m->flags & ~(unsigned long)MS_NOT_ATTR;
    unsigned long rw_flags = flags & ~(unsigned long)MS_RDONLY;
    if (!set || set->n == 0 || set->mode == CG_NONE)
        return 0;
    int fd = safe_mkpath(rootfd, m->destination, true, 0755, err);
    if (fd < 0)
        return ctr_wrap(err, "mount %s", m->destination);
    char p[SAFE_FD_PATH_MAX];
    safe_fd_path(fd, p);
    if (set->mode == CG_V2) {
        int r = cgns ? mount("cgroup2", p, "cgroup2", flags, NULL) : -1;
        if (r < 0)
            r = mount(set->dir[0].path, p, NULL, MS_BIND | MS_REC, NULL);
        close(fd);
        if (r < 0)
            return ctr_fail_errno(err, "mount %s (cgroup2)", m->destination);
        return finish_mount(rootfd, m, flags, !cgns || (flags & MS_RDONLY), err);
    }
    int r = mount("tmpfs", p, "tmpfs", rw_flags, "mode=755");
    close(fd);
    if (r < 0)
        return ctr_fail_errno(err, "mount %s (cgroup tmpfs)", m->destination);
    /* Our fresh tmpfs: plain names below it need no in-root resolution. */
    int dfd = safe_open(rootfd, m->destination, O_PATH | O_DIRECTORY, err);
    if (dfd < 0)
        return -1;
    for (int i = 0; i < set->n && r == 0; i++) {
        const struct cg_dir *d = &set->dir[i];
        const char *base = strrchr(d->mount, '/');
        base = base ? base + 1 : d->mount;
        if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
            continue;
        char sp[SAFE_FD_PATH_MAX];
        int sfd = -1;
        if (mkdirat(dfd, base, 0755) < 0 ||
            (sfd = openat(dfd, base, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
            r = ctr_fail_errno(err, "mount %s/%s", m->destination, base);
            break;
        }
        safe_fd_path(sfd, sp);
        int mr = -1;
        if (cgns)
            mr = d->v2 ? mount("cgroup2", sp, "cgroup2", flags, NULL)
                       : mount("cgroup", sp, "cgroup", flags, d->options);
        if (mr < 0)     /* no cgroup namespace, or v1 refused in a user namespace */
            mr = mount(d->path, sp, NULL, MS_BIND, NULL);
        close(sfd);
        if (mr < 0) {
            r = ctr_fail_errno(err, "mount %s/%s", m->destination, base);
            break;
        }
        if (flags) {
            int rfd = openat(dfd, base, O_PATH | O_DIRECTORY | O_CLOEXEC);
            r = rfd < 0 ? ctr_fail_errno(err, "mount %s/%s", m->destination, base)
                        : remount_keep_locked(safe_fd_path(rfd, sp), flags, err);
            if (rfd >= 0)
                close(rfd);
        }
        /* "cpu,cpuacct" is also reachable as "cpu" and "cpuacct". */
        if (r == 0 && strchr(base, ',')) {
            char names[CG_PATH_MAX], *save;
            snprintf(names, sizeof names, "%s", base);
            for (char *t = strtok_r(names, ",", &save); t; t = strtok_r(NULL, ",", &save))
                symlinkat(base, dfd, t);
        }
    }
    close(dfd);
    if (r < 0)
        return -1;
    struct oci_mount top = *m;
    top.propagation = m->propagation;
    return finish_mount(rootfd, &top, flags, (flags & MS_RDONLY) != 0, err);
}

/* "remount": change the mount already at the destination (flags and,
 * for its superblock, the filesystem options). */
static int mount_remount(int rootfd, const struct oci_mount *m, struct ctr_err *err)
{
    int fd = safe_open(rootfd, m->destination, O_PATH, err);
    if (fd < 0)
        return ctr_wrap(err, "mount %s (remount)", m->destination);
    char p[SAFE_FD_PATH_MAX];
    safe_fd_path(fd, p);
    unsigned long flags = (m->flags & ~(unsigned long)MS_NOT_ATTR) | MS_REMOUNT |
                          (m->flags & MS_BIND);
    int r = mount(NULL, p, m->bind ? NULL : m->type, flags, m->bind ? NULL : m->data);
    if (r < 0 && errno == EPERM && !m->bind)
        r = remount_keep_locked(p, flags & ~(unsigned long)MS_REMOUNT, err) < 0 ? -1 : 0;
    else if (r < 0)
        ctr_fail_errno(err, "mount %s (remount)", m->destination);
    if (r == 0)
        r = set_propagation(p, m->propagation, err);
    close(fd);
    return r;
}

static int mount_one(int rootfd, struct ctr_launch *l, const struct oci_mount *m,
                     struct ctr_err *err)
{
    if (m->flags & MS_REMOUNT)
        return mount_remount(rootfd, m, err);
    if (m->bind)
        return mount_bind(rootfd, l, m, err);
    if (m->type && !strcmp(m->type, "cgroup"))
        return mount_cgroup(rootfd, l, m, err);
    if (!m->type)       /* only a propagation change of something already there */
        return finish_mount(rootfd, m, 0, false, err);
    return mount_fs(rootfd, l, m, err);
}

int rootfs_prepare(struct ctr_launch *l, struct ctr_err *err)
{
    const struct oci_config *cfg = l->cfg;
    unsigned long prop = cfg->lx.rootfs_propagation;
    /* Cut propagation to the host: slave keeps receiving host unmounts. */
    unsigned long first = (prop & (MS_PRIVATE | MS_UNBINDABLE)) ? MS_PRIVATE : MS_SLAVE;
    if (mount(NULL, "/", NULL, first | MS_REC, NULL) < 0)
        return ctr_fail_errno(err, "make / a %s mount", first == MS_PRIVATE ? "private" : "slave");
    if (mount(l->rootfs, l->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return ctr_fail_errno(err, "bind mount the root %s", l->rootfs);
    int rootfd = open(l->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
        return ctr_fail_errno(err, "open root %s", l->rootfs);
    int r = 0;
    for (size_t i = 0; i < cfg->n_mounts && r == 0; i++)
        r = mount_one(rootfd, l, &cfg->mounts[i], err);
    if (r == 0)
        r = dev_setup(rootfd, l, err);
    if (r == 0) {
        /* A missing working directory is created (inside the root), like runc. */
        int cfd = safe_mkpath(rootfd, l->proc->cwd, true, 0755, err);
        if (cfd < 0)
            r = ctr_wrap(err, "process.cwd %s", l->proc->cwd);
        else
            close(cfd);
    }
    close(rootfd);
    return r;
}

int rootfs_enter(const struct ctr_launch *l, struct ctr_err *err)
{
    if (l->no_pivot) {
        if (chdir(l->rootfs) < 0)
            return ctr_fail_errno(err, "chdir %s", l->rootfs);
        if (mount(l->rootfs, "/", NULL, MS_MOVE, NULL) < 0)
            return ctr_fail_errno(err, "move the root mount");
        if (chroot(".") < 0)
            return ctr_fail_errno(err, "chroot");
        if (chdir("/") < 0)
            return ctr_fail_errno(err, "chdir /");
        return 0;
    }
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    int newroot = open(l->rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0 || newroot < 0) {
        if (oldroot >= 0)
            close(oldroot);
        return ctr_fail_errno(err, "open root %s", l->rootfs);
    }
    int r = -1;
    if (fchdir(newroot) < 0)
        ctr_fail_errno(err, "chdir %s", l->rootfs);
    else if (syscall(SYS_pivot_root, ".", ".") < 0)
        ctr_fail_errno(err, "pivot_root %s", l->rootfs);
    else if (fchdir(oldroot) < 0)
        ctr_fail_errno(err, "chdir old root");
    /* The old root is stacked under the new one: detach it, without
     * letting the unmount propagate anywhere. */
    else if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        ctr_fail_errno(err, "make the old root a slave");
    else if (umount2(".", MNT_DETACH) < 0)
        ctr_fail_errno(err, "unmount the old root");
    else if (chdir("/") < 0)
        ctr_fail_errno(err, "chdir /");
    else
        r = 0;
    close(oldroot);
    close(newroot);
    return r;
}

int rootfs_chroot_only(const struct ctr_launch *l, struct ctr_err *err)
{
    if (chroot(l->rootfs) < 0)
        return ctr_fail_errno(err, "chroot %s", l->rootfs);
    if (chdir("/") < 0)
        return ctr_fail_errno(err, "chdir /");
    return 0;
}

static int mask_path(const char *path, struct ctr_err *err)
{
    struct stat st;
    if (lstat(path, &st) < 0) {
        if (errno == ENOENT)
            return 0;
        return ctr_fail_errno(err, "mask %s", path);
    }
    int r;
    if (S_ISDIR(st.st_mode))
        r = mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0,mode=555");
    else
        r = mount("/dev/null", path, NULL, MS_BIND, NULL);
    if (r < 0 && errno != ENOENT)
        return ctr_fail_errno(err, "mask %s", path);
    return 0;
}

static int readonly_path(const char *path, struct ctr_err *err)
{
    if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
        if (errno == ENOENT)
            return 0;
        return ctr_fail_errno(err, "make %s read-only", path);
    }
    return remount_keep_locked(path, MS_RDONLY | MS_REC, err);
}

int rootfs_finish(const struct ctr_launch *l, struct ctr_err *err)
{
    const struct oci_linux *lx = &l->cfg->lx;
    for (size_t i = 0; i < lx->n_readonly_paths; i++)
        if (readonly_path(lx->readonly_paths[i], err) < 0)
            return -1;
    for (size_t i = 0; i < lx->n_masked_paths; i++)
        if (mask_path(lx->masked_paths[i], err) < 0)
            return -1;
    if (l->cfg->root_readonly && remount_keep_locked("/", MS_RDONLY, err) < 0)
        return ctr_wrap(err, "make the root read-only");
    if (lx->rootfs_propagation &&
        mount(NULL, "/", NULL, lx->rootfs_propagation | MS_REC, NULL) < 0)
        return ctr_fail_errno(err, "set root propagation");
    return 0;
}
