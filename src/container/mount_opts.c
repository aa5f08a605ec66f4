/* Mount option parsing (see mount_opts.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <linux/mount.h>
#include "container/mount_opts.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

struct flag_opt { const char *name; bool clear; unsigned long flag; };

static const struct flag_opt flag_opts[] = {
    { "async", true, MS_SYNCHRONOUS },     { "atime", true, MS_NOATIME },
    { "bind", false, MS_BIND },            { "defaults", false, 0 },
    { "dev", true, MS_NODEV },             { "diratime", true, MS_NODIRATIME },
    { "dirsync", false, MS_DIRSYNC },      { "exec", true, MS_NOEXEC },
    { "iversion", false, MS_I_VERSION },   { "lazytime", false, MS_LAZYTIME },
    { "loud", true, MS_SILENT },           { "mand", false, MS_MANDLOCK },
    { "noatime", false, MS_NOATIME },      { "nodev", false, MS_NODEV },
    { "nodiratime", false, MS_NODIRATIME },{ "noexec", false, MS_NOEXEC },
    { "noiversion", true, MS_I_VERSION },  { "nolazytime", true, MS_LAZYTIME },
    { "nomand", true, MS_MANDLOCK },       { "norelatime", true, MS_RELATIME },
    { "nostrictatime", true, MS_STRICTATIME }, { "nosuid", false, MS_NOSUID },
    { "nosymfollow", false, MS_NOSYMFOLLOW }, { "rbind", false, MS_BIND | MS_REC },
    { "relatime", false, MS_RELATIME },    { "remount", false, MS_REMOUNT },
    { "ro", false, MS_RDONLY },            { "rw", true, MS_RDONLY },
    { "silent", false, MS_SILENT },        { "strictatime", false, MS_STRICTATIME },
    { "suid", true, MS_NOSUID },           { "symfollow", true, MS_NOSYMFOLLOW },
    { "sync", false, MS_SYNCHRONOUS },
};

static const struct { const char *name; unsigned long flags; } prop_opts[] = {
    { "private", MS_PRIVATE },   { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },     { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },       { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

/* Recursive variants, applied with mount_setattr(AT_RECURSIVE). */
static const struct { const char *name; uint64_t set, clr; } rec_opts[] = {
    { "rro", MOUNT_ATTR_RDONLY, 0 },        { "rrw", 0, MOUNT_ATTR_RDONLY },
    { "rnosuid", MOUNT_ATTR_NOSUID, 0 },    { "rsuid", 0, MOUNT_ATTR_NOSUID },
    { "rnodev", MOUNT_ATTR_NODEV, 0 },      { "rdev", 0, MOUNT_ATTR_NODEV },
    { "rnoexec", MOUNT_ATTR_NOEXEC, 0 },    { "rexec", 0, MOUNT_ATTR_NOEXEC },
    { "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 }, { "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
    { "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
    { "ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
    { "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
    { "rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rnosymfollow", MOUNT_ATTR_NOSYMFOLLOW, 0 }, { "rsymfollow", 0, MOUNT_ATTR_NOSYMFOLLOW },
};

const char *const mount_opts_known[] = {
    "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec",
    "idmap", "iversion", "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime",
    "noexec", "noiversion", "nolazytime", "nomand", "norelatime", "nostrictatime",
    "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev", "rdiratime",
    "relatime", "remount", "rexec", "ridmap", "rnoatime", "rnodev", "rnodiratime", "rnoexec",
    "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate",
    "rrelatime", "rro", "rrw", "rshared", "rslave", "rstrictatime", "rsuid",
    "rsymfollow", "runbindable", "rw", "shared", "silent", "slave", "strictatime",
    "suid", "symfollow", "sync", "tmpcopyup", "unbindable", NULL
};

/* Options mount(8) consumes itself and never hands to the kernel. */
static bool userspace_only(const char *o)
{
    static const char *const names[] = {
        "auto", "noauto", "nofail", "_netdev", "user", "nouser", "users", "owner", "group",
        "nousers", "noowner", "nogroup",
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(o, names[i]))
            return true;
    return !strncmp(o, "x-", 2) || !strncmp(o, "X-", 2) || !strncmp(o, "comment=", 8);
}

unsigned long mount_opts_propagation(const char *name)
{
    for (size_t i = 0; i < sizeof prop_opts / sizeof prop_opts[0]; i++)
        if (!strcmp(prop_opts[i].name, name))
            return prop_opts[i].flags;
    return 0;
}

static int append_data(char **data, const char *opt)
{
    size_t old = *data ? strlen(*data) : 0, add = strlen(opt);
    char *nd = realloc(*data, old + add + 2);
    if (!nd)
        return -1;
    if (old)
        nd[old++] = ',';
    memcpy(nd + old, opt, add + 1);
    *data = nd;
    return 0;
}

int mount_opts_parse(char **opts, size_t n, struct oci_mount *m, struct ctr_err *err)
{
    for (size_t i = 0; i < n; i++) {
        const char *o = opts[i];
        bool done = false;
        for (size_t k = 0; k < sizeof flag_opts / sizeof flag_opts[0] && !done; k++) {
            if (strcmp(flag_opts[k].name, o))
                continue;
            if (flag_opts[k].clear)
                m->flags &= ~flag_opts[k].flag;
            else
                m->flags |= flag_opts[k].flag;
            /* The atime modes exclude each other. */
            if (!flag_opts[k].clear && (flag_opts[k].flag & (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)))
                m->flags &= ~((MS_NOATIME | MS_RELATIME | MS_STRICTATIME) & ~flag_opts[k].flag);
            done = true;
        }
        unsigned long prop = mount_opts_propagation(o);
        if (!done && prop) {
            m->propagation = prop;
            done = true;
        }
        for (size_t k = 0; k < sizeof rec_opts / sizeof rec_opts[0] && !done; k++) {
            if (strcmp(rec_opts[k].name, o))
                continue;
            uint64_t set = rec_opts[k].set, clr = rec_opts[k].clr;
            if (clr == MOUNT_ATTR__ATIME) {         /* atime modes replace each other */
                m->attr_clr |= MOUNT_ATTR__ATIME;
                m->attr_set = (m->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME) | set;
            } else if (set) {
                m->attr_set |= set;
                m->attr_clr &= ~set;
            } else {
                m->attr_clr |= clr;
                m->attr_set &= ~clr;
            }
            done = true;
        }
        if (done)
            continue;
        if (!strcmp(o, "tmpcopyup")) {
            m->tmpcopyup = true;
            continue;
        }
        if (userspace_only(o))
            continue;           /* meant for mount(8) or fstab, not the kernel */
        if (!strcmp(o, "idmap") || !strcmp(o, "ridmap")) {
            m->idmap = true;
            m->idmap_recursive = o[0] == 'r';
            continue;
        }
        if (!*o)
            return ctr_fail(err, "mount %s: empty mount option", m->destination);
        if (append_data(&m->data, o) < 0)
            return ctr_fail(err, "out of memory");
    }
    m->bind = (m->flags & MS_BIND) != 0;
    return 0;
}
