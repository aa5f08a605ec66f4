"""config-linux.md: namespaces (new, inherited, joined by path), user
namespace mappings, devices, sysctl, masked and read-only paths, rootfs
propagation, personality, time offsets, network devices, memory policy,
Intel RDT."""
import os
import subprocess
import time

from ocilib import die, ns_inode, once, tail
from suite import LNX, inside, register
from cases_mounts import CAT_MI, mount_at

NSFILE = {"pid": "pid", "network": "net", "ipc": "ipc", "uts": "uts",
          "mount": "mnt", "cgroup": "cgroup", "user": "user", "time": "time"}
USERNS_MAP = [{"containerID": 0, "hostID": 100000, "size": 65536}]

S_NSTYPE = (LNX + "#configLinuxNamespaces", "type (string, REQUIRED) - namespace type. The following namespace types SHOULD be supported: pid, network, mount, ipc, uts, user, cgroup, time")
S_NSNEW = (LNX + "#configLinuxNamespaces", "If path is not specified, the runtime MUST create a new container namespace of type type.")
S_NSINHERIT = (LNX + "#configLinuxNamespaces", "If a namespace type is not specified in the namespaces array, the container MUST inherit the runtime namespace of that type.")
S_NSPATH = (LNX + "#configLinuxNamespaces", "path (string, OPTIONAL) - namespace file. This value MUST be an absolute path in the runtime mount namespace. The runtime MUST place the container process in the namespace associated with that path.")
S_NSWRONG = (LNX + "#configLinuxNamespaces", "The runtime MUST generate an error if path is not associated with a namespace of type type.")
S_NSDUP = (LNX + "#configLinuxNamespaces", "If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error.")
S_MAP = (LNX + "#configLinuxUserNamespaceMappings", "uidMappings (array of objects, OPTIONAL) describes the user namespace uid mappings from the host to the container. gidMappings (array of objects, OPTIONAL) describes the user namespace gid mappings from the host to the container.")


def userns(c, uidmap=USERNS_MAP, gidmap=USERNS_MAP):
    c.set_ns("user")
    c.linux()["uidMappings"] = uidmap
    c.linux()["gidMappings"] = gidmap


def add_ns(c, typ):
    if typ == "user":
        userns(c)
    else:
        c.set_ns(typ)


def ns_of(r, typ):
    for v in r.all("ns"):
        name, _, ino = v.partition(" ")
        if name == NSFILE[typ]:
            return int(ino) if ino.isdigit() else None
    return None


def has_time_ns():
    if not os.path.exists("/proc/self/ns/time"):
        return "the kernel has no time namespace"


for typ in ("pid", "network", "ipc", "uts", "mount", "cgroup", "user", "time"):
    inside("namespaces.new." + typ, [S_NSTYPE, S_NSNEW], level="SHOULD",
           needs=has_time_ns if typ == "time" else None,
           setup=lambda c, ctx, t=typ: add_ns(c, t), args=["/bin/checker", "ns"],
           check=lambda r, ctx, c, t=typ: (ns_of(r, t) != ns_inode("self", NSFILE[t])) or die(
               "%s namespace %s is the runtime's" % (t, ns_of(r, t))))

for typ in ("pid", "network", "ipc", "uts", "cgroup", "user", "time"):
    inside("namespaces.inherit." + typ, [S_NSINHERIT],
           needs=has_time_ns if typ == "time" else None,
           setup=lambda c, ctx, t=typ: c.set_ns(t, present=False), args=["/bin/checker", "ns"],
           check=lambda r, ctx, c, t=typ: (ns_of(r, t) == ns_inode("self", NSFILE[t])) or die(
               "%s namespace %s is not the runtime's %s" % (t, ns_of(r, t), ns_inode("self", NSFILE[t]))))


def holder(ctx, *flags):
    """A process in new namespaces (unshare FLAGS --fork sleep); returns
    the pid of the sleeping child, which is inside all of them."""
    p = subprocess.Popen(["unshare"] + list(flags) + ["--fork", "--kill-child", "sleep", "600"])
    ctx.on_cleanup(lambda: (p.kill(), p.wait()))
    end = time.time() + 5
    while time.time() < end:
        try:
            with open("/proc/%d/task/%d/children" % (p.pid, p.pid)) as f:
                kids = f.read().split()
            if kids:
                # The child has exec'd sleep once its comm changes.
                with open("/proc/%s/comm" % kids[0]) as f:
                    if f.read().strip() == "sleep":
                        return int(kids[0])
        except OSError:
            pass
        time.sleep(0.01)
    die("could not start the namespace holder (unshare %s)" % " ".join(flags))


JOIN_FLAGS = {"pid": ["--pid"], "network": ["--net"], "ipc": ["--ipc"], "uts": ["--uts"],
              "mount": ["--mount", "--propagation", "private"], "cgroup": ["--cgroup"],
              "time": ["--time"],
              "user": ["--user"]}


def join_test(typ):
    @register("namespaces.join." + typ, [S_NSPATH], needs=has_time_ns if typ == "time" else None)
    def _(ctx):
        pid = holder(ctx, *JOIN_FLAGS[typ])
        if typ == "user":
            for m in ("uid_map", "gid_map"):
                with open("/proc/%d/%s" % (pid, m), "w") as f:
                    f.write("0 100000 65536\n")
        c = ctx.container()
        c.set_ns(typ, "/proc/%d/ns/%s" % (pid, NSFILE[typ]))
        if typ == "user":
            # The same mappings the joined namespace has (runc requires them).
            c.linux()["uidMappings"] = c.linux()["gidMappings"] = USERNS_MAP
        c.args("/bin/checker", "ns")
        r = c.run()
        want = ns_inode(pid, NSFILE[typ])
        if ns_of(r, typ) != want:
            die("%s namespace %s, expected the holder's %s" % (typ, ns_of(r, typ), want))


for typ in ("pid", "network", "ipc", "uts", "mount", "cgroup", "user", "time"):
    join_test(typ)


@register("namespaces.path.wrong_type", [S_NSWRONG], negative=True)
def _(ctx):
    pid = holder(ctx, "--uts")
    c = ctx.container()
    c.set_ns("network", "/proc/%d/ns/uts" % pid)
    ctx.expect_error(c)


@register("namespaces.path.not_a_namespace", [S_NSWRONG], negative=True)
def _(ctx):
    f = ctx.path("plain-file")
    with open(f, "w") as fh:
        fh.write("x")
    c = ctx.container()
    c.set_ns("network", f)
    ctx.expect_error(c)


@register("namespaces.path.relative", [S_NSPATH], negative=True)
def _(ctx):
    pid = holder(ctx, "--net")
    c = ctx.container()
    c.set_ns("network", "proc/%d/ns/net" % pid)
    ctx.expect_error(c)


inside("namespaces.duplicate", [S_NSDUP],
       setup=lambda c, ctx: c.linux()["namespaces"].append({"type": "uts"}), error="create")

inside("namespaces.unknown_type", [S_NSTYPE, ("config.md#valid-values", "Runtimes MUST generate an error when invalid or unsupported values are encountered.")],
       setup=lambda c, ctx: c.linux()["namespaces"].append({"type": "vessel-bogus"}), error="create")


# --- what the namespaces isolate ----------------------------------------------------

inside("namespaces.pid.isolated", [S_NSTYPE, (LNX + "#configLinuxNamespaces", "pid processes inside the container will only be able to see other processes inside the same container or inside the same pid namespace.")],
       args=["/bin/checker", "ls", "/proc"],
       check=lambda r, ctx, c: ([v.split()[1] for v in r.all("ls") if v.split()[1].isdigit()] == ["1"]) or die(
           "processes visible: %s" % [v.split()[1] for v in r.all("ls") if v.split()[1].isdigit()]))

inside("namespaces.network.isolated", [S_NSTYPE, (LNX + "#configLinuxNamespaces", "network the container will have its own network stack.")],
       args=["/bin/checker", "ls", "/sys/class/net"],
       check=lambda r, ctx, c: ([v.split()[1] for v in r.all("ls")] == ["lo"]) or die(
           "interfaces %s, expected only lo" % [v.split()[1] for v in r.all("ls")]))


def setup_uts_change(c, ctx):
    c.patch({"hostname": "inside", "process": {"capabilities": {k: ["CAP_SYS_ADMIN"] for k in ("bounding", "effective", "permitted")}}})
    c.args("/bin/checker", "sethostname", "changed-inside")


inside("namespaces.uts.isolated", [S_NSTYPE, (LNX + "#configLinuxNamespaces", "uts the container will be able to have its own hostname and domain name.")],
       setup=setup_uts_change,
       check=lambda r, ctx, c: (r.want_line("sethostname ok"), os.uname().nodename != "changed-inside" or die("the host's hostname changed")))


# --- user namespace mappings ----------------------------------------------------------

def parse_map(r, name):
    rows = []
    for line in r.lines:
        if line.startswith(name + " "):
            rows.append(tuple(int(x) for x in line.split()[1:]))
    return rows


def map_test(name, uidmap, gidmap):
    def setup(c, ctx):
        userns(c, uidmap, gidmap)
        c.sh("while read a b n; do echo uid $a $b $n; done < /proc/self/uid_map; "
             "while read a b n; do echo gid $a $b $n; done < /proc/self/gid_map")

    def check(r, ctx, c):
        for key, m in (("uid", uidmap), ("gid", gidmap)):
            want = sorted((e["containerID"], e["hostID"], e["size"]) for e in m)
            got = sorted(parse_map(r, key))
            if got != want:
                die("%s_map %s, expected %s" % (key, got, want))
    inside("userns." + name, [S_MAP, (LNX + "#configLinuxUserNamespaceMappings", "containerID (uint32, REQUIRED) - is the starting uid/gid in the container. hostID (uint32, REQUIRED) - is the starting uid/gid on the host to be mapped to containerID. size (uint32, REQUIRED) - is the number of ids to be mapped.")],
           setup=setup, check=check)


map_test("mappings", USERNS_MAP, USERNS_MAP)
map_test("mappings.multiple",
         [{"containerID": 0, "hostID": 100000, "size": 1000}, {"containerID": 1000, "hostID": 300000, "size": 1000}],
         [{"containerID": 0, "hostID": 200000, "size": 2000}])


@register("userns.user_is_mapped", [S_MAP, ("config.md#configPOSIXUser", "uid (int, REQUIRED) specifies the user ID in the container namespace.")])
def _(ctx):
    c = ctx.container()
    userns(c)
    c.patch({"process": {"user": {"uid": 1000, "gid": 1000}}})
    c.args("/bin/checker", "sigwait")
    if c.create().rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    if c.start().rc != 0 or not c.wait_output("ready"):
        die("start failed: %s" % tail(c.stderr()))
    with open("/proc/%d/status" % c.pid) as f:
        st = {l.split(":")[0]: l.split()[1:] for l in f}
    if st["Uid"][0] != "101000" or st["Gid"][0] != "101000":
        die("uid 1000 inside is host uid %s gid %s, expected 101000" % (st["Uid"][0], st["Gid"][0]))


@register("userns.rootfs_not_chowned", [(LNX + "#configLinuxUserNamespaceMappings", "The runtime SHOULD NOT modify the ownership of referenced filesystems to realize the mapping.")], level="SHOULD")
def _(ctx):
    c = ctx.container()
    userns(c)
    c.args("/bin/checker", "stat", "/bin/checker")
    r = c.run()
    for p in (c.rootfs, os.path.join(c.rootfs, "bin", "checker"), os.path.join(c.rootfs, "etc", "passwd")):
        st = os.lstat(p)
        if st.st_uid != 0 or st.st_gid != 0:
            die("%s is now owned by %d:%d" % (p, st.st_uid, st.st_gid))
    if " 65534 65534 " not in (r.get("stat") or ""):
        die("inside the user namespace, the host-root-owned checker should appear as 65534: %s" % r.get("stat"))


# --- devices -----------------------------------------------------------------------

S_DEV = (LNX + "#configLinuxDevices", "devices (array of objects, OPTIONAL) lists devices that MUST be available in the container.")
S_DEVENT = (LNX + "#configLinuxDevices", "type (string, REQUIRED) - type of device: c, b, u or p. path (string, REQUIRED) - full path to device inside container. major, minor (int64, REQUIRED unless type is p). fileMode (uint32, OPTIONAL) - file mode for the device. uid (uint32, OPTIONAL) - id of device owner in the container namespace. gid (uint32, OPTIONAL) - id of device group in the container namespace.")


def dev_test(name, dev, want):
    def setup(c, ctx):
        c.linux()["devices"] = [dev]
        c.args("/bin/checker", "stat", dev["path"])

    def check(r, ctx, c):
        got = (r.get("stat") or "").split()
        if got[1:7] != want:
            die("%s is %s, expected %s" % (dev["path"], got[1:7], want))
    inside("devices." + name, [S_DEV, S_DEVENT], setup=setup, check=check)


dev_test("char", {"type": "c", "path": "/dev/vessel-null", "major": 1, "minor": 3,
                  "fileMode": 0o640, "uid": 1000, "gid": 1001},
         ["chr", "0640", "1000", "1001", "1", "3"])
dev_test("block", {"type": "b", "path": "/dev/vessel-loop", "major": 7, "minor": 0,
                   "fileMode": 0o600, "uid": 0, "gid": 0},
         ["blk", "0600", "0", "0", "7", "0"])
dev_test("unbuffered", {"type": "u", "path": "/dev/vessel-zero", "major": 1, "minor": 5,
                        "fileMode": 0o666, "uid": 0, "gid": 0},
         ["chr", "0666", "0", "0", "1", "5"])
dev_test("fifo", {"type": "p", "path": "/dev/vessel-fifo", "fileMode": 0o644, "uid": 0, "gid": 0},
         ["fifo", "0644", "0", "0", "0", "0"])
dev_test("outside_dev", {"type": "c", "path": "/mnt/vessel-full", "major": 1, "minor": 7,
                         "fileMode": 0o666, "uid": 0, "gid": 0},
         ["chr", "0666", "0", "0", "1", "7"])


inside("devices.usable", [S_DEV],
       setup=lambda c, ctx: c.linux().update({"devices": [{"type": "c", "path": "/dev/vessel-null", "major": 1, "minor": 3, "fileMode": 0o666}]}),
       args=["/bin/checker", "open", "rw", "/dev/vessel-null"],
       check=lambda r, ctx, c: r.want_line("open /dev/vessel-null rw ok"),
       note="'MUST be available': the node opens for reading and writing (the cgroup lets it through).")


def setup_dev_exists(c, ctx):
    with open(os.path.join(c.rootfs, "mnt", "occupied"), "w") as f:
        f.write("a regular file")
    c.linux()["devices"] = [{"type": "c", "path": "/mnt/occupied", "major": 1, "minor": 3}]


inside("devices.existing_file_mismatch",
       [(LNX + "#configLinuxDevices", "If a file already exists at path that does not match the requested device, the runtime MUST generate an error.")],
       setup=setup_dev_exists, error="create")

inside("devices.unknown_type", [S_DEVENT, ("config.md#valid-values", "Runtimes MUST generate an error when invalid or unsupported values are encountered.")],
       setup=lambda c, ctx: c.linux().update({"devices": [{"type": "x", "path": "/dev/vessel-x", "major": 1, "minor": 3}]}),
       error="create")

DEFAULT_DEVS = {"/dev/null": (1, 3), "/dev/zero": (1, 5), "/dev/full": (1, 7),
                "/dev/random": (1, 8), "/dev/urandom": (1, 9), "/dev/tty": (5, 0)}


def check_default_devs(r, ctx, c):
    st = {v.split()[0]: v.split() for v in r.all("stat")}
    for path, (ma, mi) in DEFAULT_DEVS.items():
        s = st.get(path)
        if not s or s[1] != "chr" or (int(s[5]), int(s[6])) != (ma, mi):
            die("%s: %s, expected char device %d:%d" % (path, s, ma, mi))
    p = st.get("/dev/ptmx")
    if not p or not (p[1] == "chr" and (p[5], p[6]) == ("5", "2") or p[1] == "link" and p[-1] == "pts/ptmx"):
        die("/dev/ptmx: %s, expected a bind of or symlink to /dev/pts/ptmx" % p)
    for path in ("/dev/null", "/dev/zero", "/dev/full", "/dev/urandom"):
        r.want_line("open %s rw ok" % path)


inside("devices.defaults",
       [(LNX + "#configLinuxDefaultDevices", "In addition to any devices configured with this setting, the runtime MUST also supply: /dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom, /dev/tty, /dev/ptmx (a bind-mount or symlink of the container's /dev/pts/ptmx).")],
       sh="/bin/checker stat " + " ".join(sorted(DEFAULT_DEVS)) + " /dev/ptmx; /bin/checker open rw /dev/null /dev/zero /dev/full /dev/urandom",
       check=check_default_devs)


# --- sysctl --------------------------------------------------------------------------

S_SYSCTL = (LNX + "#configLinuxSysctl", "sysctl (object, OPTIONAL) allows kernel parameters to be modified at runtime for the container.")

inside("sysctl.net", [S_SYSCTL],
       setup=lambda c, ctx: c.linux().update({"sysctl": {"net.ipv4.ip_forward": "1", "net.ipv4.tcp_syncookies": "0"}}),
       sh="cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/tcp_syncookies",
       check=lambda r, ctx, c: (r.lines[:2] == ["1", "0"]) or die("net sysctls read %s" % r.lines[:2]))

inside("sysctl.ipc", [S_SYSCTL],
       setup=lambda c, ctx: c.linux().update({"sysctl": {"kernel.shmmax": "65536", "kernel.msgmax": "4096"}}),
       sh="cat /proc/sys/kernel/shmmax /proc/sys/kernel/msgmax",
       check=lambda r, ctx, c: (r.lines[:2] == ["65536", "4096"]) or die("ipc sysctls read %s" % r.lines[:2]))

inside("sysctl.unknown", [S_SYSCTL, ("config.md#valid-values", "Runtimes MUST generate an error when invalid or unsupported values are encountered.")],
       setup=lambda c, ctx: c.linux().update({"sysctl": {"vessel.no.such.key": "1"}}), error="create")


# --- masked and read-only paths ----------------------------------------------------------

def setup_masked(c, ctx):
    os.makedirs(os.path.join(c.rootfs, "secret-dir"))
    with open(os.path.join(c.rootfs, "secret-dir", "inner"), "w") as f:
        f.write("secret")
    with open(os.path.join(c.rootfs, "secret-file"), "w") as f:
        f.write("secret")
    c.linux()["maskedPaths"] = ["/secret-dir", "/secret-file", "/proc/kcore"]
    c.sh("/bin/checker read /secret-file /secret-dir/inner /proc/kcore; /bin/checker ls /secret-dir")


def check_masked(r, ctx, c):
    for p in ("/secret-file", "/proc/kcore"):
        v = [x for x in r.all("read") if x.startswith(p + " ")]
        if not v or not (v[0].endswith(" 0") or " ERR " in v[0]):
            die("masked %s is readable: %s" % (p, v))
    if any(x.startswith("/secret-dir/inner 6") for x in r.all("read")):
        die("a file in the masked directory is readable")
    if any(x.startswith("/secret-dir ") and "ERR" not in x for x in r.all("ls")):
        die("the masked directory lists entries: %s" % r.all("ls"))


inside("linux.maskedPaths", [(LNX + "#configLinuxMaskedPaths", "maskedPaths (array of strings, OPTIONAL) will mask over the provided paths inside the container so that they cannot be read.")],
       setup=setup_masked, check=check_masked)


def setup_readonly(c, ctx):
    os.makedirs(os.path.join(c.rootfs, "rodir"))
    with open(os.path.join(c.rootfs, "rofile"), "w") as f:
        f.write("x")
    c.linux()["readonlyPaths"] = ["/rodir", "/rofile", "/proc/sys"]
    c.sh("/bin/checker write /rodir/new /rofile /proc/sys/kernel/domainname /tmp/writable")


def check_readonly(r, ctx, c):
    for p in ("/rodir/new", "/rofile", "/proc/sys/kernel/domainname"):
        r.want_line("write %s ERR 30" % p)
    r.want_line("write /tmp/writable ok")


inside("linux.readonlyPaths", [(LNX + "#configLinuxReadonlyPaths", "readonlyPaths (array of strings, OPTIONAL) will set the provided paths as readonly inside the container.")],
       setup=setup_readonly, check=check_readonly)


inside("linux.maskedPaths.relative", [(LNX + "#configLinuxMaskedPaths", "The values MUST be absolute paths in the container namespace."), ("config.md#valid-values", "Runtimes MUST generate an error when invalid or unsupported values are encountered.")],
       setup=lambda c, ctx: c.linux().update({"maskedPaths": ["proc/kcore"]}), error="create")

inside("linux.readonlyPaths.relative", [(LNX + "#configLinuxReadonlyPaths", "The values MUST be absolute paths in the container namespace."), ("config.md#valid-values", "Runtimes MUST generate an error when invalid or unsupported values are encountered.")],
       setup=lambda c, ctx: c.linux().update({"readonlyPaths": ["proc/sys"]}), error="create")


# --- rootfs propagation ----------------------------------------------------------------

S_RPROP = (LNX + "#configLinuxRootfsMountPropagation", "rootfsPropagation (string, OPTIONAL) sets the rootfs's mount propagation. Its value is either shared, slave, private or unbindable.")


def rprop_test(value, want, forbid):
    def check(r, ctx, c):
        m = mount_at(r, "/")
        if want and not m.tag(want):
            die("rootfsPropagation %s: / has %s, lacks %s" % (value, m.optional, want))
        for t in forbid:
            if m.tag(t):
                die("rootfsPropagation %s: / has %s" % (value, m.optional))
    inside("linux.rootfsPropagation." + value, [S_RPROP],
           setup=lambda c, ctx: c.linux().update({"rootfsPropagation": value}),
           sh=CAT_MI, check=check)


rprop_test("shared", "shared:", [])
rprop_test("slave", None, ["shared:"])
rprop_test("private", None, ["shared:", "master:"])
rprop_test("unbindable", "unbindable", ["shared:"])


# --- personality, time offsets, network devices, memory policy, RDT ----------------------------

inside("linux.personality.linux32", [(LNX + "#configLinuxPersonality", "domain (string, REQUIRED) - the execution domain. LINUX32 will set the uname system call to show a 32 bit CPU type, such as i686.")],
       setup=lambda c, ctx: c.linux().update({"personality": {"domain": "LINUX32"}}),
       check=lambda r, ctx, c: r.want("machine", "i686"))


def host_monotonic():
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def setup_timens(c, ctx):
    c.set_ns("time")
    c.linux()["timeOffsets"] = {"monotonic": {"secs": 8640000, "nanosecs": 0},
                                "boottime": {"secs": 17280000, "nanosecs": 0}}
    c.args("/bin/checker", "clock")


def check_timens(r, ctx, c):
    now = time.clock_gettime(time.CLOCK_MONOTONIC)
    mono = int(r.get("monotonic") or 0)
    boot = int(r.get("boottime") or 0)
    if not (now + 8640000 - 60 <= mono <= now + 8640000 + 60):
        die("monotonic clock %d, expected about %d" % (mono, now + 8640000))
    if boot < 17280000:
        die("boottime clock %d, expected >= 17280000" % boot)


inside("linux.timeOffsets", [(LNX + "#configLinuxTimeOffset", "timeOffsets (object, OPTIONAL) sets the offset for Time Namespace.")],
       needs=has_time_ns, setup=setup_timens, check=check_timens)


@once
def can_veth():
    r = subprocess.run(["ip", "link", "add", "vo-probe%d" % os.getpid(), "type", "veth",
                        "peer", "name", "vo-probp%d" % os.getpid()], capture_output=True)
    if r.returncode != 0:
        return "cannot create veth interfaces: " + r.stderr.decode().strip()
    subprocess.run(["ip", "link", "del", "vo-probe%d" % os.getpid()], capture_output=True)


@register("linux.netDevices", [(LNX + "#configLinuxNetworkDevices", "netDevices (object, OPTIONAL) - A set of network devices that MUST be made available in the container. name (string, OPTIONAL) - the name of the network device inside the container namespace."), (LNX + "#configLinuxNetworkDevices", "The runtime MUST set the network device state to \"up\" after moving it to the network namespace to allow the container to send and receive network traffic through that device.")],
          needs=can_veth, note="runtime-spec 1.3.")
def _(ctx):
    a = "vo%d%sa" % (os.getpid() % 100000, ctx.rt.name[0])
    b = a[:-1] + "b"
    subprocess.run(["ip", "link", "add", a, "type", "veth", "peer", "name", b], check=True)
    ctx.on_cleanup(lambda: subprocess.run(["ip", "link", "del", a], capture_output=True))
    c = ctx.container()
    c.linux()["netDevices"] = {b: {"name": "eth7"}}
    c.sh("/bin/checker ls /sys/class/net; cat /sys/class/net/eth7/flags")
    r = c.run()
    if "/sys/class/net eth7" not in r.all("ls"):
        die("eth7 is not in the container: %s" % r.all("ls"))
    flags = [l for l in r.lines if l.startswith("0x")]
    if not flags or not int(flags[0], 16) & 1:
        die("eth7 is not up (flags %s)" % flags)


inside("linux.netDevices.missing", [(LNX + "#configLinuxNetworkDevices", "The runtime MUST check if moving the network interface to the container namespace is possible.")],
       setup=lambda c, ctx: c.linux().update({"netDevices": {"vessel-nodev0": {}}}), error="create",
       note="runtime-spec 1.3.")


@register("linux.netDevices.name_exists", [(LNX + "#configLinuxNetworkDevices", "If a network device with the specified name already exists in the container namespace, the runtime MUST generate an error, unless the user has provided a template by appending %d to the new name.")],
          needs=can_veth, negative=True, note="Renames the moved veth to lo, which every network namespace has.  runtime-spec 1.3.")
def _(ctx):
    a = "vo%d%sx" % (os.getpid() % 100000, ctx.rt.name[0])
    b = a[:-1] + "y"
    subprocess.run(["ip", "link", "add", a, "type", "veth", "peer", "name", b], check=True)
    ctx.on_cleanup(lambda: subprocess.run(["ip", "link", "del", a], capture_output=True))
    c = ctx.container()
    c.linux()["netDevices"] = {b: {"name": "lo"}}
    ctx.expect_error(c)


inside("linux.memoryPolicy", [(LNX + "#configLinuxMemoryPolicy", "memoryPolicy (object, OPTIONAL) sets the NUMA memory policy for the container.")],
       setup=lambda c, ctx: c.linux().update({"memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0"}}),
       args=["/bin/checker", "sched"],
       check=lambda r, ctx, c: r.want("mempolicy", "mode 2 nodes 0x1"),
       note="runtime-spec 1.3.")


def no_resctrl():
    with open("/proc/self/mountinfo") as f:
        if " - resctrl " in f.read():
            return "resctrl is mounted on this host"


inside("linux.intelRdt.no_resctrl", [(LNX + "#configLinuxIntelRdt", "If no mounted resctrl pseudo-filesystem is available in the runtime mount namespace, the runtime MUST generate an error.")],
       needs=no_resctrl,
       setup=lambda c, ctx: c.linux().update({"intelRdt": {"closID": "vessel-test", "l3CacheSchema": "L3:0=f"}}),
       error="create")
