"""root and mounts: paths, order, bind, tmpfs, proc..., every Linux mount
option of the spec's table, propagation, recursive options, idmap, and
paths that try to escape the rootfs (config.md, config-linux.md)."""
import os
import subprocess
import time

from ocilib import die, tail
from suite import CFG, ISSUE, LNX, inside, register

S_ROOT = (CFG + "#configRoot", "path (string, REQUIRED) Specifies the path to the root filesystem for the container. On POSIX platforms, path is either an absolute path or a relative path to the bundle.")
S_ROOTDIR = (CFG + "#configRoot", "A directory MUST exist at the path declared by the field.")
S_RO = (CFG + "#configRoot", "readonly (bool, OPTIONAL) If true then the root filesystem MUST be read-only inside the container, defaults to false.")
S_MOUNTS = (CFG + "#configMounts", "mounts (array of objects, OPTIONAL) specifies additional mounts beyond root. The runtime MUST mount entries in the listed order. For Linux, the parameters are as documented in mount(2) system call man page.")
S_ORDER = (CFG + "#configMounts", "The runtime MUST mount entries in the listed order.")
S_DEST = (CFG + "#configMounts", "destination (string, REQUIRED) Destination of mount point: path inside container. Linux: This value SHOULD be an absolute path. For compatibility with old tools and configurations, it MAY be a relative path, in which case it MUST be interpreted as relative to \"/\".")
S_SOURCE = (CFG + "#configMounts", "source (string, OPTIONAL) A device name, but can also be a file or directory name for bind mounts or a dummy. Path values for bind mounts are either absolute or relative to the bundle. A mount is a bind mount if it has either bind or rbind in the options.")
S_OPTS = (CFG + "#configLinuxMountOptions", "Runtimes MUST/SHOULD/MAY implement the following option strings for Linux")
S_FSOPT = (CFG + "#configLinuxMountOptions", "Runtimes SHOULD treat unknown options as filesystem-specific ones and pass those as a comma-separated string to the fifth (const void *data) argument of mount(2).")
S_TYPE = (CFG + "#configPOSIXMounts", "type (string, OPTIONAL) The type of the filesystem to be mounted. Linux: filesystem types supported by the kernel as listed in /proc/filesystems. For bind mounts (when options include either bind or rbind), the type is a dummy, often \"none\".")
S_DEFFS = (LNX + "#configLinuxDefaultFilesystems", "The following filesystems SHOULD be made available in each container's filesystem: /proc proc, /sys sysfs, /dev/pts devpts, /dev/shm tmpfs")
S_PROP = (CFG + "#configLinuxMountOptions", "private, rprivate, shared, rshared, slave, rslave, unbindable, runbindable: MUST, bind mount propagation")
S_REC = (CFG + "#configLinuxMountOptions", "rro, rrw, rnosuid, rsuid, rnodev, rdev, rnoexec, rexec, rnoatime, ratime, rnodiratime, rdiratime, rrelatime, rnorelatime, rstrictatime, rnostrictatime, rnosymfollow, rsymfollow: SHOULD, recursive (AT_RECURSIVE) options, kernel 5.12 or later")
S_IDMAP = (CFG + "#configLinuxMountOptions", "idmap: SHOULD. Indicates that the mount MUST have an idmapping applied. If uidMappings or gidMappings are specified for the mount, the runtime MUST use those values for the mount's mapping. If there are no uidMappings and gidMappings specified and the container isn't using user namespaces, an error MUST be returned.")


class Mount:
    def __init__(self, line):
        pre, _, post = line.partition(" - ")
        f = pre.split()
        self.id, self.parent, self.root, self.point = f[0], f[1], f[3], f[4]
        self.opts = set(f[5].split(","))
        self.optional = f[6:]
        p = post.split()
        self.fstype = p[0]
        self.source = p[1] if len(p) > 1 else ""
        self.super = set(p[2].split(",")) if len(p) > 2 else set()

    def tag(self, prefix):
        return [o for o in self.optional if o.startswith(prefix)]


def mountinfo(r):
    """The container's mounts from `cat /proc/self/mountinfo` output."""
    res = []
    for line in r.lines:
        if " - " in line and line.split()[0].isdigit():
            res.append(Mount(line))
    return res


def mount_at(r, point):
    ms = [m for m in mountinfo(r) if m.point == point]
    if not ms:
        die("nothing is mounted at %s: %s" % (point, tail(r.out, 500)))
    return ms[-1]


CAT_MI = "cat /proc/self/mountinfo"


def host_mount(ctx, *args):
    subprocess.run(["mount"] + list(args), check=True)


def host_tree(ctx, flags="", shared=False):
    """A host tmpfs with a tmpfs submount (top/sub), remounted with flags;
    removed when the test ends."""
    top = ctx.path("tree")
    os.makedirs(top, exist_ok=True)
    host_mount(ctx, "-t", "tmpfs", "-o", "size=1m", "vessel-oci-top", top)
    ctx.on_cleanup(lambda: subprocess.run(["umount", "-R", "-l", top]))
    os.makedirs(os.path.join(top, "sub"))
    with open(os.path.join(top, "file"), "w") as f:
        f.write("top")
    host_mount(ctx, "-t", "tmpfs", "-o", "size=1m", "vessel-oci-sub", os.path.join(top, "sub"))
    with open(os.path.join(top, "sub", "file"), "w") as f:
        f.write("sub")
    if flags:
        for p in (top, os.path.join(top, "sub")):
            host_mount(ctx, "-o", "remount,bind," + flags, p)
    if shared:
        host_mount(ctx, "--make-rshared", top)
    return top


# --- root --------------------------------------------------------------------

def mark_rootfs(c, ctx):
    with open(os.path.join(c.rootfs, "rootfs-marker"), "w") as f:
        f.write("marker")
    c.args("/bin/checker", "read", "/rootfs-marker")


inside("root.path.relative", [S_ROOT], setup=mark_rootfs,
       check=lambda r, ctx, c: r.want("read", "/rootfs-marker 6"))


def setup_abs_root(c, ctx):
    mark_rootfs(c, ctx)
    c.patch({"root": {"path": c.rootfs}})


inside("root.path.absolute", [S_ROOT], setup=setup_abs_root,
       check=lambda r, ctx, c: r.want("read", "/rootfs-marker 6"))

inside("root.path.missing", [S_ROOTDIR],
       setup=lambda c, ctx: c.patch({"root": {"path": "no-such-rootfs"}}), error="create")


def setup_root_file(c, ctx):
    with open(os.path.join(c.bundle, "rootfile"), "w") as f:
        f.write("not a directory")
    c.patch({"root": {"path": "rootfile"}})


inside("root.path.not_a_directory", [S_ROOTDIR], setup=setup_root_file, error="create")


def check_ro_root(r, ctx, c):
    r.want_line("write /newfile ERR 30")
    r.want_line("mkdir /newdir ERR 30")
    r.want_line("write /tmp/newfile ERR 30")


inside("root.readonly", [S_RO],
       setup=lambda c, ctx: c.patch({"root": {"readonly": True}}),
       sh="/bin/checker write /newfile /tmp/newfile; /bin/checker mkdir /newdir",
       check=check_ro_root)

inside("root.readonly.false", [S_RO],
       setup=lambda c, ctx: c.patch({"root": {"readonly": False}}),
       args=["/bin/checker", "write", "/newfile"],
       check=lambda r, ctx, c: r.want_line("write /newfile ok"))


# --- default filesystems, mount types ---------------------------------------------

for point, fstype in (("/proc", "proc"), ("/sys", "sysfs"), ("/dev/pts", "devpts"), ("/dev/shm", "tmpfs")):
    inside("mounts.default_fs" + point.replace("/", "."), [S_DEFFS, S_TYPE], level="SHOULD",
           sh=CAT_MI,
           check=lambda r, ctx, c, p=point, t=fstype: (mount_at(r, p).fstype == t) or die("%s is %s, expected %s" % (p, mount_at(r, p).fstype, t)))


def setup_mqueue(c, ctx):
    c.add_mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"])
    c.sh(CAT_MI)


inside("mounts.type.mqueue", [S_TYPE], setup=setup_mqueue,
       check=lambda r, ctx, c: mount_at(r, "/dev/mqueue").fstype == "mqueue" or die("not mqueue"))


def setup_cgroupfs(c, ctx):
    c.add_mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "relatime", "ro"])
    c.sh(CAT_MI)


def check_cgroupfs(r, ctx, c):
    cg = [m for m in mountinfo(r) if m.point.startswith("/sys/fs/cgroup") and m.fstype in ("cgroup", "cgroup2")]
    if not cg:
        die("no cgroup filesystem under /sys/fs/cgroup")


inside("mounts.type.cgroup", [S_TYPE], setup=setup_cgroupfs, check=check_cgroupfs,
       note="runc's default config mounts type cgroup at /sys/fs/cgroup; on cgroup v1 that is a tmpfs with one cgroup mount per hierarchy.")


def setup_tmpfs_data(c, ctx):
    c.add_mount("/mnt/t", "tmpfs", "tmpfs", ["size=1m", "mode=0700", "nr_inodes=100", "nosuid"])
    c.sh(CAT_MI)


def check_tmpfs_data(r, ctx, c):
    m = mount_at(r, "/mnt/t")
    want = {"size=1024k", "mode=700", "nr_inodes=100"}
    if m.fstype != "tmpfs" or not want <= m.super:
        die("tmpfs at /mnt/t has %s %s, expected %s" % (m.fstype, sorted(m.super), sorted(want)))
    if "nosuid" not in m.opts:
        die("nosuid missing from %s" % sorted(m.opts))


inside("mounts.tmpfs.fs_options", [S_MOUNTS, S_FSOPT], setup=setup_tmpfs_data, check=check_tmpfs_data)

inside("mounts.type.unknown", [S_TYPE, S_MOUNTS],
       setup=lambda c, ctx: c.add_mount("/mnt/x", "vessel-no-such-fs", "none", []),
       error="create")


# --- order, destination, bind --------------------------------------------------------

def hostdir(ctx, name, files=()):
    d = ctx.path(name)
    os.makedirs(d, exist_ok=True)
    for f in files:
        with open(os.path.join(d, f), "w") as fh:
            fh.write(f)
    return d


def setup_order(c, ctx):
    a = hostdir(ctx, "a", ["from-a"])
    b = hostdir(ctx, "b", ["from-b"])
    c.bind("/mnt/m", a)
    c.bind("/mnt/m", b)
    c.add_mount("/mnt/n", "tmpfs", "tmpfs", ["size=1m"])
    c.bind("/mnt/n/inner", a)
    c.args("/bin/checker", "ls", "/mnt/m", "/mnt/n/inner")


def check_order(r, ctx, c):
    r.want_line("ls /mnt/m from-b")
    if r.has_line("ls /mnt/m from-a"):
        die("the first bind at /mnt/m is visible; mounts not applied in order")
    r.want_line("ls /mnt/n/inner from-a")


inside("mounts.order", [S_ORDER], setup=setup_order, check=check_order)


def setup_rel_dest(c, ctx):
    c.add_mount("mnt/rel", "tmpfs", "tmpfs", ["size=1m"])
    c.sh(CAT_MI)


inside("mounts.destination.relative", [S_DEST], level="MUST", setup=setup_rel_dest,
       check=lambda r, ctx, c: mount_at(r, "/mnt/rel"))


def setup_dest_created(c, ctx):
    c.add_mount("/new/deep/dir", "tmpfs", "tmpfs", ["size=1m"])
    c.sh(CAT_MI)


inside("mounts.destination.created", [S_DEST, (ISSUE, "runc and crun create a missing mount destination")],
       level="COMPAT", setup=setup_dest_created, check=lambda r, ctx, c: mount_at(r, "/new/deep/dir"),
       note="Not a spec sentence: every runtime creates missing destinations and configs rely on it.")


def setup_bind_dir(c, ctx):
    d = hostdir(ctx, "data", ["hostfile"])
    c.add_mount("/data", "none", d, ["rbind"])
    c.sh("/bin/checker ls /data; /bin/checker write /data/fromcontainer")


def check_bind_dir(r, ctx, c):
    r.want_line("ls /data hostfile")
    r.want_line("write /data/fromcontainer ok")
    if not os.path.exists(ctx.path("data", "fromcontainer")):
        die("a file written in the bind mount is not on the host")


inside("mounts.bind.dir", [S_SOURCE, S_TYPE], setup=setup_bind_dir, check=check_bind_dir)


def setup_bind_relative(c, ctx):
    os.makedirs(os.path.join(c.bundle, "reldata"))
    with open(os.path.join(c.bundle, "reldata", "relfile"), "w") as f:
        f.write("x")
    c.bind("/data", "reldata")
    c.args("/bin/checker", "ls", "/data")


inside("mounts.bind.source_relative", [S_SOURCE], setup=setup_bind_relative,
       check=lambda r, ctx, c: r.want_line("ls /data relfile"))


def setup_bind_file(c, ctx):
    p = ctx.path("hostfile")
    with open(p, "w") as f:
        f.write("0123456789")
    with open(os.path.join(c.rootfs, "etc", "bound"), "w") as f:
        f.write("")
    c.bind("/etc/bound", p, ["bind"])
    c.args("/bin/checker", "read", "/etc/bound")


inside("mounts.bind.file", [S_SOURCE], setup=setup_bind_file,
       check=lambda r, ctx, c: r.want("read", "/etc/bound 10"))


def setup_bind_ro(c, ctx):
    d = hostdir(ctx, "data", ["hostfile"])
    c.bind("/data", d, ["rbind", "ro"])
    c.sh("/bin/checker write /data/x; /bin/checker read /data/hostfile")


def check_bind_ro(r, ctx, c):
    r.want_line("write /data/x ERR 30")
    r.want_line("read /data/hostfile 8")


inside("mounts.bind.ro", [S_SOURCE, S_OPTS], setup=setup_bind_ro, check=check_bind_ro)


def setup_bind_vs_rbind(c, ctx, opt):
    top = host_tree(ctx)
    c.bind("/mnt/t", top, [opt])
    c.args("/bin/checker", "ls", "/mnt/t/sub")


inside("mounts.bind.not_recursive", [S_OPTS, S_SOURCE],
       setup=lambda c, ctx: setup_bind_vs_rbind(c, ctx, "bind"),
       check=lambda r, ctx, c: (not r.has_line("ls /mnt/t/sub file")) or die("bind (not rbind) carried the submount"))

inside("mounts.rbind.recursive", [S_OPTS, S_SOURCE],
       setup=lambda c, ctx: setup_bind_vs_rbind(c, ctx, "rbind"),
       check=lambda r, ctx, c: r.want_line("ls /mnt/t/sub file"))


def setup_remount(c, ctx):
    c.add_mount("/mnt/r", "tmpfs", "tmpfs", ["size=1m"])
    c.add_mount("/mnt/r", "tmpfs", "tmpfs", ["remount", "ro", "size=1m"])
    c.sh(CAT_MI + "; /bin/checker write /mnt/r/x")


def check_remount(r, ctx, c):
    ms = [m for m in mountinfo(r) if m.point == "/mnt/r"]
    if len(ms) != 1:
        die("remount created %d mounts at /mnt/r, expected 1" % len(ms))
    if "ro" not in ms[0].opts:
        die("remount,ro did not make /mnt/r read-only: %s" % sorted(ms[0].opts))
    r.want_line("write /mnt/r/x ERR 30")


inside("mounts.option.remount", [S_OPTS], setup=setup_remount, check=check_remount)


# --- the option table -------------------------------------------------------------
# name, options, per-mount options required/forbidden, superblock options
# required/forbidden.  A tmpfs is mounted at /mnt/o with the options.

OPTION_TABLE = [
    ("async", ["sync", "async"], [], [], [], ["sync"]),
    ("atime", ["noatime", "atime"], [], ["noatime"], [], []),
    ("defaults", ["defaults"], ["rw"], ["ro"], [], []),
    ("dev", ["nodev", "dev"], [], ["nodev"], [], []),
    ("diratime", ["nodiratime", "diratime"], [], ["nodiratime"], [], []),
    ("dirsync", ["dirsync"], [], [], ["dirsync"], []),
    ("exec", ["noexec", "exec"], [], ["noexec"], [], []),
    ("iversion", ["iversion"], [], [], [], []),
    ("lazytime", ["lazytime"], [], [], ["lazytime"], []),
    ("loud", ["silent", "loud"], [], [], [], []),
    ("noatime", ["noatime"], ["noatime"], [], [], []),
    ("nodev", ["nodev"], ["nodev"], [], [], []),
    ("nodiratime", ["nodiratime"], ["nodiratime"], [], [], []),
    ("noexec", ["noexec"], ["noexec"], [], [], []),
    ("noiversion", ["noiversion"], [], [], [], []),
    ("nolazytime", ["lazytime", "nolazytime"], [], [], [], ["lazytime"]),
    ("norelatime", ["norelatime"], [], [], [], []),
    ("nostrictatime", ["strictatime", "nostrictatime"], ["relatime"], [], [], []),
    ("nosuid", ["nosuid"], ["nosuid"], [], [], []),
    ("relatime", ["relatime"], ["relatime"], ["noatime"], [], []),
    ("ro", ["ro"], ["ro"], ["rw"], [], []),
    ("rw", ["ro", "rw"], ["rw"], ["ro"], [], []),
    ("silent", ["silent"], [], [], [], []),
    ("strictatime", ["strictatime"], [], ["relatime", "noatime"], [], []),
    ("suid", ["nosuid", "suid"], [], ["nosuid"], [], []),
    ("sync", ["sync"], [], [], ["sync"], []),
    ("nosymfollow", ["nosymfollow"], ["nosymfollow"], [], [], []),
    ("symfollow", ["nosymfollow", "symfollow"], [], ["nosymfollow"], [], []),
]
SHOULD_OPTS = {"nosymfollow", "symfollow"}


def option_test(name, opts, has, hasnot, shas, shasnot):
    def setup(c, ctx):
        c.add_mount("/mnt/o", "tmpfs", "tmpfs", opts + ["size=1m"])
        c.sh(CAT_MI)

    def check(r, ctx, c):
        m = mount_at(r, "/mnt/o")
        if m.fstype != "tmpfs":
            die("/mnt/o is %s" % m.fstype)
        for o in has:
            if o not in m.opts:
                die("%s: mount options %s lack %s" % (opts, sorted(m.opts), o))
        for o in hasnot:
            if o in m.opts:
                die("%s: mount options %s include %s" % (opts, sorted(m.opts), o))
        for o in shas:
            if o not in m.super:
                die("%s: superblock options %s lack %s" % (opts, sorted(m.super), o))
        for o in shasnot:
            if o in m.super:
                die("%s: superblock options %s include %s" % (opts, sorted(m.super), o))
    level = "SHOULD" if name in SHOULD_OPTS else "MUST"
    inside("mounts.option." + name,
           [(CFG + "#configLinuxMountOptions", "`%s` | %s | Corresponds to mount(8) (filesystem-independent)" % (name, level))],
           level=level, setup=setup, check=check,
           note=None if has or hasnot or shas or shasnot else "No visible effect in mountinfo: the runtime must recognise the option (not pass it to tmpfs, which rejects it).")


for row in OPTION_TABLE:
    option_test(*row)


def setup_mount8(c, ctx):
    c.add_mount("/mnt/o", "tmpfs", "tmpfs", ["noauto", "nofail", "_netdev", "x-vessel.test=1", "size=1m"])
    c.sh(CAT_MI)


inside("mounts.option.mount8_userspace", [(CFG + "#configLinuxMountOptions", "If a custom option string is already recognized by mount(8), the runtime SHOULD follow the behavior of mount(8).")],
       level="SHOULD", setup=setup_mount8,
       check=lambda r, ctx, c: mount_at(r, "/mnt/o").fstype == "tmpfs" or die("no tmpfs"),
       note="noauto, nofail, _netdev and x-* are mount(8) options that never reach the kernel; passing them to tmpfs as data fails the mount.")


# --- propagation ---------------------------------------------------------------

def prop_test(opt, want_tag, forbid_tags, recursive):
    def setup(c, ctx):
        top = host_tree(ctx, shared=True)
        c.add_mount("/mnt/p", "none", top, ["rbind", opt])
        c.sh(CAT_MI)

    def check(r, ctx, c):
        points = ["/mnt/p"] + (["/mnt/p/sub"] if recursive else [])
        for p in points:
            m = mount_at(r, p)
            if want_tag and not m.tag(want_tag):
                die("%s at %s: optional fields %s lack %s" % (opt, p, m.optional, want_tag))
            for t in forbid_tags:
                if m.tag(t):
                    die("%s at %s: optional fields %s include %s" % (opt, p, m.optional, t))
    inside("mounts.propagation." + opt,
           [S_PROP, (CFG + "#configLinuxMountOptions", "`%s` | MUST | Bind mount propagation" % opt)],
           setup=setup, check=check)


for opt, want, forbid in (("private", None, ["shared:", "master:"]),
                          ("shared", "shared:", []),
                          ("slave", None, ["shared:"]),
                          ("unbindable", "unbindable", ["shared:"])):
    prop_test(opt, want, forbid, False)
    prop_test("r" + opt, want, forbid, True)


@register("mounts.propagation.rslave_receives", [S_PROP, (CFG + "#configLinuxMountOptions", "`rslave` | MUST | Bind mount propagation")],
          note="A mount made on the host under a shared source after start appears in the container's rslave bind.")
def _(ctx):
    top = host_tree(ctx, shared=True)
    c = ctx.container()
    c.add_mount("/mnt/p", "none", top, ["rbind", "rslave"])
    c.args("/bin/checker", "sigwait")
    if c.create().rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    if c.start().rc != 0 or not c.wait_output("ready"):
        die("start failed")
    os.makedirs(os.path.join(top, "late"))
    host_mount(ctx, "-t", "tmpfs", "-o", "size=1m", "vessel-oci-late", os.path.join(top, "late"))
    end = time.time() + 2
    while time.time() < end:
        with open("/proc/%d/mountinfo" % c.pid) as f:
            mi = f.read()
        if " /mnt/p/late " in mi:
            break
        time.sleep(0.02)
    if " /mnt/p/late " not in mi:
        die("a mount made under the rslave source after start did not propagate into the container")


# --- recursive options (mount_setattr) ---------------------------------------------

REC_TABLE = [
    # option, host tree flags, required, forbidden
    ("rro", "", ["ro"], []),
    ("rrw", "ro", ["rw"], ["ro"]),
    ("rnosuid", "", ["nosuid"], []),
    ("rsuid", "nosuid", [], ["nosuid"]),
    ("rnodev", "", ["nodev"], []),
    ("rdev", "nodev", [], ["nodev"]),
    ("rnoexec", "", ["noexec"], []),
    ("rexec", "noexec", [], ["noexec"]),
    ("rnoatime", "", ["noatime"], []),
    ("ratime", "noatime", [], ["noatime"]),
    ("rnodiratime", "", ["nodiratime"], []),
    ("rdiratime", "nodiratime", [], ["nodiratime"]),
    ("rrelatime", "strictatime", ["relatime"], []),
    ("rstrictatime", "", [], ["relatime", "noatime"]),
    ("rnorelatime", "", [], []),
    ("rnostrictatime", "", [], []),
    ("rnosymfollow", "", ["nosymfollow"], []),
    ("rsymfollow", "nosymfollow", [], ["nosymfollow"]),
]


def rec_test(opt, flags, has, hasnot):
    def setup(c, ctx):
        top = host_tree(ctx, flags)
        c.add_mount("/mnt/r", "none", top, ["rbind", opt])
        c.sh(CAT_MI)

    def check(r, ctx, c):
        for p in ("/mnt/r", "/mnt/r/sub"):
            m = mount_at(r, p)
            for o in has:
                if o not in m.opts:
                    die("%s: %s options %s lack %s" % (opt, p, sorted(m.opts), o))
            for o in hasnot:
                if o in m.opts:
                    die("%s: %s options %s include %s" % (opt, p, sorted(m.opts), o))
    inside("mounts.recursive." + opt,
           [S_REC, (CFG + "#configLinuxMountOptions", "`%s` | SHOULD | Recursive option (AT_RECURSIVE)" % opt)],
           level="SHOULD", setup=setup, check=check,
           note=None if has or hasnot else "No visible effect on a relatime host mount; the runtime must accept the option.")


for row in REC_TABLE:
    rec_test(*row)


# --- idmapped mounts -----------------------------------------------------------------

def setup_idmap(c, ctx):
    d = hostdir(ctx, "idm", ["owned-by-root"])
    c.add_mount("/mnt/idm", "none", d, ["rbind", "idmap"],
                uidMappings=[{"containerID": 0, "hostID": 1000, "size": 1}],
                gidMappings=[{"containerID": 0, "hostID": 1000, "size": 1}])
    c.sh(CAT_MI + "; /bin/checker stat /mnt/idm/owned-by-root")


def check_idmap(r, ctx, c):
    m = mount_at(r, "/mnt/idm")
    if "idmapped" not in m.opts:
        die("/mnt/idm is not an idmapped mount: %s" % sorted(m.opts))


S_IDMAP_SETATTR = (CFG + "#configLinuxMountOptions", "This SHOULD be implemented using mount_setattr(MOUNT_ATTR_IDMAP), available since Linux 5.12.")

inside("mounts.idmap", [S_IDMAP, S_IDMAP_SETATTR, (CFG + "#configLinuxMountOptions", "This option SHOULD NOT be passed to the underlying mount(2) call."), (CFG + "#configPOSIXMounts", "uidMappings (array of type LinuxIDMapping, OPTIONAL) The mapping to convert UIDs from the source file system to the destination mount point. This SHOULD be implemented using mount_setattr(MOUNT_ATTR_IDMAP), available since Linux 5.12.")],
       level="SHOULD", setup=setup_idmap, check=check_idmap, note="runtime-spec 1.2.")


def setup_ridmap(c, ctx):
    top = host_tree(ctx)
    c.add_mount("/mnt/idm", "none", top, ["rbind", "ridmap"],
                uidMappings=[{"containerID": 0, "hostID": 1000, "size": 1}],
                gidMappings=[{"containerID": 0, "hostID": 1000, "size": 1}])
    c.sh(CAT_MI)


def check_ridmap(r, ctx, c):
    for p in ("/mnt/idm", "/mnt/idm/sub"):
        if "idmapped" not in mount_at(r, p).opts:
            die("%s is not idmapped: %s" % (p, sorted(mount_at(r, p).opts)))


inside("mounts.ridmap", [(CFG + "#configLinuxMountOptions", "This SHOULD be implemented using mount_setattr(MOUNT_ATTR_IDMAP), available since Linux 5.12. ridmap | SHOULD | Indicates that the mount MUST have an idmapping applied, and the mapping is applied recursively [^3]."), S_IDMAP_SETATTR,
                         (CFG + "#configPOSIXMounts", "gidMappings (array of type LinuxIDMapping, OPTIONAL) The mapping to convert GIDs from the source file system to the destination mount point. This SHOULD be implemented using mount_setattr(MOUNT_ATTR_IDMAP), available since Linux 5.12.")],
       level="SHOULD", setup=setup_ridmap, check=check_ridmap, note="runtime-spec 1.2; the submount is idmapped too.")


def setup_idmap_nomap(c, ctx):
    d = hostdir(ctx, "idm")
    c.add_mount("/mnt/idm", "none", d, ["rbind", "idmap"])


inside("mounts.idmap.without_mappings", [S_IDMAP, (CFG + "#configLinuxMountOptions", "If they are not specified, the runtime MAY use the container's user namespace mapping, otherwise an error MUST be returned.")], level="SHOULD",
       setup=setup_idmap_nomap, error="create", note="runtime-spec 1.2.")


def setup_idmap_uid_only(c, ctx):
    d = hostdir(ctx, "idm")
    c.add_mount("/mnt/idm", "none", d, ["rbind", "idmap"],
                uidMappings=[{"containerID": 0, "hostID": 1000, "size": 1}])


inside("mounts.idmap.uid_without_gid", [(CFG + "#configPOSIXMounts", "uidMappings ... If specified, it MUST be specified along with gidMappings.")],
       setup=setup_idmap_uid_only, error="create", note="runtime-spec 1.2.")


def setup_idmap_gid_only(c, ctx):
    d = hostdir(ctx, "idm")
    c.add_mount("/mnt/idm", "none", d, ["rbind", "idmap"],
                gidMappings=[{"containerID": 0, "hostID": 1000, "size": 1}])


inside("mounts.idmap.gid_without_uid", [(CFG + "#configPOSIXMounts", "gidMappings ... If specified, it MUST be specified along with uidMappings.")],
       setup=setup_idmap_gid_only, error="create", note="runtime-spec 1.2.")


# --- paths that try to leave the rootfs -----------------------------------------------

S_ESCAPE = (ISSUE, "Malformed or hostile config.json (paths escaping the bundle through .. or symlinks): a clear error, nothing created on the host.")


def escape_test(name, make_dest):
    @register("mounts.escape." + name, [S_DEST, S_ESCAPE], level="ISSUE", negative=True,
              note="Accepts an error or a mount confined to the rootfs; fails if anything appears at the host path.")
    def _(ctx):
        outside = ctx.path("outside")
        os.makedirs(outside, exist_ok=True)
        c = ctx.container()
        dest = make_dest(c, outside)
        c.add_mount(dest, "tmpfs", "tmpfs", ["size=1m"])
        c.args("/bin/true")
        cr = c.create()
        try:
            if os.listdir(outside):
                die("the mount destination %s created %s on the host" % (dest, os.listdir(outside)))
            with open("/proc/self/mountinfo") as f:
                if outside in f.read():
                    die("something was mounted on the host at %s" % outside)
        finally:
            c.cleanup()


def dest_symlink(c, outside):
    os.symlink(outside, os.path.join(c.rootfs, "evil"))
    return "/evil/x"


def dest_dotdot(c, outside):
    return "/" + "../" * 20 + outside.lstrip("/") + "/y"


escape_test("symlink", dest_symlink)
escape_test("dotdot", dest_dotdot)


def hostile_test(name, setup, note):
    """setup(c, outside) makes the config or rootfs point at `outside`, a
    host directory; whatever the runtime does (refuse, or confine the path
    to the rootfs), nothing may appear in it."""
    @register("hostile." + name, [S_ESCAPE], level="ISSUE", negative=True, note=note)
    def _(ctx):
        outside = ctx.path("outside")
        os.makedirs(outside, exist_ok=True)
        c = ctx.container()
        c.args("/bin/true")
        setup(c, outside)
        cr = c.create()
        try:
            if cr.rc == 0:
                c.start()
                c.wait_exit()
            if os.listdir(outside):
                die("the runtime created %s in the host directory %s" % (os.listdir(outside), outside))
            with open("/proc/self/mountinfo") as f:
                if outside in f.read():
                    die("something was mounted on the host at %s" % outside)
        finally:
            c.cleanup()


def rootfs_dev_symlink(c, outside):
    os.rmdir(os.path.join(c.rootfs, "dev"))
    os.symlink(outside, os.path.join(c.rootfs, "dev"))


def device_dotdot(c, outside):
    c.linux()["devices"] = [{"type": "c", "path": "/" + "../" * 20 + outside.lstrip("/") + "/evil-null",
                             "major": 1, "minor": 3, "fileMode": 0o666}]


def device_symlink(c, outside):
    os.symlink(outside, os.path.join(c.rootfs, "devlink"))
    c.linux()["devices"] = [{"type": "c", "path": "/devlink/evil-null", "major": 1, "minor": 3}]


def cwd_symlink(c, outside):
    os.symlink(outside, os.path.join(c.rootfs, "cwdlink"))
    c.patch({"process": {"cwd": "/cwdlink/sub"}})


def masked_symlink(c, outside):
    os.symlink(outside, os.path.join(c.rootfs, "masklink"))
    c.linux()["maskedPaths"] = ["/masklink/inner"]
    c.linux()["readonlyPaths"] = ["/masklink/ro"]


def mountpoint_symlink_chain(c, outside):
    os.symlink("/hop2", os.path.join(c.rootfs, "hop1"))
    os.symlink(outside, os.path.join(c.rootfs, "hop2"))
    c.add_mount("/hop1/deep/x", "tmpfs", "tmpfs", ["size=1m"])
    c.bind("/hop1/bound", os.path.join(c.bundle, "rootfs", "etc"))


hostile_test("rootfs_dev_symlink", rootfs_dev_symlink,
             "The rootfs's /dev is a symlink to a host directory: device nodes and /dev symlinks must not land there.")
hostile_test("device_path_dotdot", device_dotdot, "A device path climbing out of the rootfs with '..'.")
hostile_test("device_path_symlink", device_symlink, "A device path through a rootfs symlink to a host directory.")
hostile_test("cwd_symlink", cwd_symlink, "process.cwd through a rootfs symlink to a host directory (runtimes create a missing cwd).")
hostile_test("masked_readonly_symlink", masked_symlink, "maskedPaths and readonlyPaths through a rootfs symlink to a host directory.")
hostile_test("mount_symlink_chain", mountpoint_symlink_chain, "Mount destinations through a chain of two rootfs symlinks ending on the host.")
