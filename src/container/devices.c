/* /dev inside the container: the default devices, the spec's devices, and
 * the standard symlinks.  Nodes are made with mknod, or bind-mounted from
 * the host's /dev inside a user namespace (where mknod is not allowed). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "container/rootfs.h"
#include "container/safe_path.h"

static const struct oci_device default_devices[] = {
    { 'c', "/dev/null", 1, 3, { true, 0666 }, { true, 0 }, { true, 0 } },
    { 'c', "/dev/zero", 1, 5, { true, 0666 }, { true, 0 }, { true, 0 } },
    { 'c', "/dev/full", 1, 7, { true, 0666 }, { true, 0 }, { true, 0 } },
    { 'c', "/dev/random", 1, 8, { true, 0666 }, { true, 0 }, { true, 0 } },
    { 'c', "/dev/urandom", 1, 9, { true, 0666 }, { true, 0 }, { true, 0 } },
    { 'c', "/dev/tty", 5, 0, { true, 0666 }, { true, 0 }, { true, 0 } },
};

static mode_t type_bits(char type)
{
    switch (type) {
    case 'b': return S_IFBLK;
    case 'p': return S_IFIFO;
    default: return S_IFCHR;    /* 'c' and 'u' (unbuffered character) */
    }
}

/* Is something already at name the requested device? */
static int check_existing(int dirfd, const char *name, const struct oci_device *d,
                          struct ctr_err *err)
{
    struct stat st;
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return errno == ENOENT ? 0 : ctr_fail_errno(err, "device %s", d->path);
    bool same = (st.st_mode & S_IFMT) == type_bits(d->type) &&
                (d->type == 'p' || (major(st.st_rdev) == (unsigned)d->major &&
                                    minor(st.st_rdev) == (unsigned)d->minor));
    if (!same)
        return ctr_fail(err, "device %s: a different file already exists there", d->path);
    return 1;
}

static int create_device(int rootfd, const struct oci_device *d, bool bind, struct ctr_err *err)
{
    char *name = NULL;
    int dfd = safe_open_parent(rootfd, d->path, &name, err);
    if (dfd < 0)
        return ctr_wrap(err, "device %s", d->path);
    int r = check_existing(dfd, name, d, err);
    if (r != 0) {                   /* error, or already there */
        free(name);
        close(dfd);
        return r < 0 ? -1 : 0;
    }
    mode_t mode = (mode_t)(d->file_mode.set ? d->file_mode.v : 0666) & 07777;
    if (bind) {
        int f = openat(dfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (f < 0) {
            r = ctr_fail_errno(err, "device %s", d->path);
        } else {
            close(f);
            int tfd = openat(dfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
            char p[SAFE_FD_PATH_MAX];
            if (tfd < 0 || mount(d->path, safe_fd_path(tfd, p), NULL, MS_BIND, NULL) < 0)
                r = ctr_fail_errno(err, "bind device %s from the host", d->path);
            if (tfd >= 0)
                close(tfd);
        }
    } else {
        dev_t dev = d->type == 'p' ? 0 : makedev((unsigned)d->major, (unsigned)d->minor);
        if (mknodat(dfd, name, type_bits(d->type) | mode, dev) < 0)
            r = ctr_fail_errno(err, "mknod %s", d->path);
        else if (fchownat(dfd, name, (uid_t)(d->uid.set ? d->uid.v : 0),
                          (gid_t)(d->gid.set ? d->gid.v : 0), AT_SYMLINK_NOFOLLOW) < 0)
            r = ctr_fail_errno(err, "chown %s", d->path);
        else if (fchmodat(dfd, name, mode, 0) < 0)
            r = ctr_fail_errno(err, "chmod %s", d->path);
    }
    free(name);
    close(dfd);
    return r;
}

/* Does config.json bind-mount something over /dev?  Then /dev is the
 * user's business. */
static bool dev_is_bind(const struct oci_config *cfg)
{
    for (size_t i = 0; i < cfg->n_mounts; i++)
        if (cfg->mounts[i].bind && !strcmp(cfg->mounts[i].destination, "/dev"))
            return true;
    return false;
}

int dev_setup(int rootfd, const struct ctr_launch *l, struct ctr_err *err)
{
    const struct oci_config *cfg = l->cfg;
    bool bind = l->in_userns;
    if (!dev_is_bind(cfg)) {
        for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
            if (create_device(rootfd, &default_devices[i], bind, err) < 0)
                return -1;
        int dfd = safe_mkpath(rootfd, "/dev", true, 0755, err);
        if (dfd < 0)
            return -1;
        static const char *const links[][2] = {
            { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
            { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
            { "/proc/kcore", "core" },
        };
        for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
            if (symlinkat(links[i][0], dfd, links[i][1]) < 0 && errno != EEXIST) {
                close(dfd);
                return ctr_fail_errno(err, "symlink /dev/%s", links[i][1]);
            }
        /* /dev/ptmx must be the container's own devpts instance. */
        struct stat st;
        if (fstatat(dfd, "ptmx", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
            unlinkat(dfd, "ptmx", 0);
        if (symlinkat("pts/ptmx", dfd, "ptmx") < 0 && errno != EEXIST) {
            close(dfd);
            return ctr_fail_errno(err, "symlink /dev/ptmx");
        }
        close(dfd);
    }
    for (size_t i = 0; i < cfg->lx.n_devices; i++)
        if (create_device(rootfd, &cfg->lx.devices[i], bind, err) < 0)
            return -1;
    return 0;
}

int dev_setup_console(const char *slave_path, struct ctr_err *err)
{
    int fd = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == ENOENT)        /* no /dev at all */
            return 0;
        return ctr_fail_errno(err, "create /dev/console");
    }
    close(fd);
    if (mount(slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
        return ctr_fail_errno(err, "bind %s to /dev/console", slave_path);
    return 0;
}
