"""process: args, env, cwd, user, umask, rlimits, capabilities,
noNewPrivileges, oomScoreAdj, terminal, scheduler, I/O priority, hostname
(config.md)."""
import os
import shutil

from ocilib import ConsoleSocket, Result, die, tail
from suite import CFG, ISSUE, inside, register

CAPS = ("CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID "
        "SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE NET_BROADCAST NET_ADMIN NET_RAW "
        "IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT "
        "SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD "
        "LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP MAC_OVERRIDE MAC_ADMIN SYSLOG "
        "WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE").split()


def capmask(names):
    m = 0
    for n in names:
        m |= 1 << CAPS.index(n[4:])
    return m


def host_caps(field="CapBnd"):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1], 16)
    return 0


S_PROC = (CFG + "#configProcess", "process (object, OPTIONAL) specifies the container process.")
S_ARGS = (CFG + "#configProcess", "args (array of strings, OPTIONAL) with similar semantics to IEEE Std 1003.1-2008 execvp's argv. This specification extends the IEEE standard in that at least one entry is REQUIRED (non-Windows), and that entry is used with the same semantics as execvp's file.")
S_ENV = (CFG + "#configProcess", "env (array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008's environ.")
S_CWD = (CFG + "#configProcess", "cwd (string, REQUIRED) is the working directory that will be set for the executable. This value MUST be an absolute path.")
S_VALID = (CFG + "#valid-values", "Runtimes MUST generate an error when invalid or unsupported values are encountered.")
S_USER = (CFG + "#configPOSIXUser", "uid (int, REQUIRED) specifies the user ID in the container namespace. gid (int, REQUIRED) specifies the group ID in the container namespace.")
S_RLIM = (CFG + "#configPOSIXProcess", "For each entry in rlimits, a getrlimit(3) on type MUST succeed.")
S_RLIM_SOFT = (CFG + "#configPOSIXProcess", "soft (uint64, REQUIRED) the value of the limit enforced for the corresponding resource. rlim.rlim_cur MUST match the configured value.")
S_RLIM_HARD = (CFG + "#configPOSIXProcess", "hard (uint64, REQUIRED) the ceiling for the soft limit that could be set by an unprivileged process. rlim.rlim_max MUST match the configured value.")
S_CAPS = (CFG + "#configLinuxProcess", "capabilities (object, OPTIONAL) is an object containing arrays that specifies the sets of capabilities for the process.")


# --- args, env, cwd ------------------------------------------------------------

ARGS = ["/bin/checker", "info", "two words", "", "\u00fcnic\u00f6de", "--x=1", "*", "$HOME"]


def check_args(r, ctx, c):
    for i, a in enumerate(ARGS):
        r.want("arg%d" % i, a)
    r.want("argc", len(ARGS))


inside("process.args", [S_ARGS], args=ARGS, check=check_args)


def setup_path_lookup(c, ctx):
    os.makedirs(os.path.join(c.rootfs, "opt", "vbin"))
    shutil.copy2(os.path.join(c.rootfs, "bin", "checker"),
                 os.path.join(c.rootfs, "opt", "vbin", "vessel-check"))
    c.args("vessel-check", "info")
    c.patch({"process": {"env": ["PATH=/opt/vbin:/bin"]}})


inside("process.args.path_lookup", [S_ARGS], setup=setup_path_lookup,
       check=lambda r, ctx, c: r.want("arg0", "vessel-check"),
       note="args[0] without a slash is searched in the container's PATH (from process.env), as execvp does.")

inside("process.args.not_found", [S_ARGS, (CFG + "#configProcess", "This property is REQUIRED when start is called.")],
       args=["/bin/vessel-no-such-program"], error="run",
       note="An executable that does not exist cannot be run: create or start must fail.")

inside("process.args.empty", [S_ARGS, S_VALID], setup=lambda c, ctx: c.args(), error="run",
       note="args needs at least one entry.")

ENV = ["PATH=/bin", "FOO=bar", "EMPTY=", "EQ=a=b=c", "SPACE=a b", "UNICODE=\u00e9t\u00e9"]


def check_env(r, ctx, c):
    got = r.all("env")
    for e in ENV:
        if e not in got:
            die("%r missing from the environment %r" % (e, got))
        if got.count(e) != 1:
            die("%r appears %d times" % (e, got.count(e)))


inside("process.env", [S_ENV], setup=lambda c, ctx: c.patch({"process": {"env": ENV}}),
       check=check_env)

inside("process.cwd", [S_CWD], setup=lambda c, ctx: c.patch({"process": {"cwd": "/tmp"}}),
       check=lambda r, ctx, c: r.want("cwd", "/tmp"))

inside("process.cwd.relative", [S_CWD, S_VALID],
       setup=lambda c, ctx: c.patch({"process": {"cwd": "tmp"}}), error="create")


# --- user ------------------------------------------------------------------------

def check_user(r, ctx, c):
    for k, v in (("uid", 1000), ("euid", 1000), ("gid", 1001), ("egid", 1001)):
        r.want(k, v)


inside("process.user.uid_gid", [S_USER],
       setup=lambda c, ctx: c.patch({"process": {"user": {"uid": 1000, "gid": 1001}}}),
       check=check_user)


def check_groups(r, ctx, c):
    groups = set((r.get("groups") or "").split(",")) - {""}
    if not {"5", "1234", "4242"} <= groups:
        die("supplementary groups %r lack 5, 1234, 4242" % sorted(groups))


inside("process.user.additionalGids",
       [(CFG + "#configPOSIXUser", "additionalGids (array of ints, OPTIONAL) specifies additional group IDs in the container namespace to be added to the process.")],
       setup=lambda c, ctx: c.patch({"process": {"user": {"uid": 1000, "gid": 1000, "additionalGids": [5, 1234, 4242]}}}),
       check=check_groups)

S_UMASK = (CFG + "#configPOSIXUser", "umask (int, OPTIONAL) specifies the umask of the user.")
for name, mask in (("077", 0o077), ("0", 0), ("002", 0o002)):
    inside("process.user.umask_" + name, [S_UMASK],
           setup=lambda c, ctx, m=mask: c.patch({"process": {"user": {"uid": 0, "gid": 0, "umask": m}}}),
           check=lambda r, ctx, c, m=mask: r.want("umask", "%04o" % m))


# --- rlimits -----------------------------------------------------------------------

RLIMITS = [("RLIMIT_NOFILE", 1024, 2048), ("RLIMIT_NPROC", 512, 1024),
           ("RLIMIT_CORE", 0, 4096), ("RLIMIT_CPU", 100, 200),
           ("RLIMIT_MSGQUEUE", 1000, 2000), ("RLIMIT_STACK", 4194304, 8388608),
           ("RLIMIT_MEMLOCK", 4096, 8192), ("RLIMIT_FSIZE", 1 << 30, 1 << 31)]


def setup_rlimits(c, ctx):
    c.patch({"process": {"rlimits": [{"type": t, "soft": s, "hard": h} for t, s, h in RLIMITS]}})


def check_rlimits(r, ctx, c):
    for t, s, h in RLIMITS:
        r.want(t, "%d %d" % (s, h))


inside("process.rlimits", [S_RLIM, S_RLIM_SOFT, S_RLIM_HARD], setup=setup_rlimits, check=check_rlimits)

inside("process.rlimits.unknown_type",
       [(CFG + "#configPOSIXProcess", "The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface.")],
       setup=lambda c, ctx: c.patch({"process": {"rlimits": [{"type": "RLIMIT_VESSEL_BOGUS", "soft": 1, "hard": 1}]}}),
       error="create")

inside("process.rlimits.duplicate",
       [(CFG + "#configPOSIXProcess", "If rlimits contains duplicated entries with same type, the runtime MUST generate an error.")],
       setup=lambda c, ctx: c.patch({"process": {"rlimits": [
           {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024},
           {"type": "RLIMIT_NOFILE", "soft": 512, "hard": 512}]}}),
       error="create")

inside("process.rlimits.soft_above_hard",
       [S_RLIM, (CFG + "#configPOSIXProcess", "hard: the ceiling for the soft limit")],
       setup=lambda c, ctx: c.patch({"process": {"rlimits": [{"type": "RLIMIT_NOFILE", "soft": 2048, "hard": 1024}]}}),
       error="run",
       note="A soft limit above the hard limit cannot be applied (setrlimit EINVAL), so the runtime must fail.")


# --- capabilities ----------------------------------------------------------------

# A configuration root keeps across execve: permitted = effective = bounding.
ROOT_CAPS = {
    "bounding": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_SETUID"],
    "effective": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_SETUID"],
    "permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_SETUID"],
    "inheritable": ["CAP_KILL", "CAP_SYS_CHROOT"],
    "ambient": ["CAP_KILL"],
}
CAPKEYS = {"bounding": "capbnd", "effective": "capeff", "permitted": "capprm",
           "inheritable": "capinh", "ambient": "capamb"}


def want_caps(r, sets, which):
    got = int(r.get(CAPKEYS[which]) or "0", 16)
    want = capmask(sets[which])
    if got != want:
        die("%s capabilities %#x, expected %#x (%s)" % (which, got, want, " ".join(sets[which])))


for which in ("bounding", "effective", "permitted", "inheritable", "ambient"):
    inside("process.capabilities." + which,
           [S_CAPS, (CFG + "#configLinuxProcess", "%s (array of strings, OPTIONAL) the %s field is an array of %s capabilities that are kept for the process." % (which, which, which))],
           setup=lambda c, ctx: c.patch({"process": {"capabilities": ROOT_CAPS}}),
           check=lambda r, ctx, c, w=which: want_caps(r, ROOT_CAPS, w))

NONROOT_CAPS = {k: ["CAP_KILL", "CAP_NET_BIND_SERVICE"] for k in ROOT_CAPS}


def check_nonroot_caps(r, ctx, c):
    r.want("uid", 1000)
    for w in NONROOT_CAPS:
        want_caps(r, NONROOT_CAPS, w)


inside("process.capabilities.nonroot", [S_CAPS, S_USER],
       setup=lambda c, ctx: c.patch({"process": {"user": {"uid": 1000, "gid": 1000},
                                                 "capabilities": NONROOT_CAPS}}),
       check=check_nonroot_caps,
       note="A non-root process keeps its capabilities across execve only through the ambient set, so all five sets are equal here.")


def setup_chown(c, ctx, caps):
    with open(os.path.join(c.rootfs, "tmp", "f"), "w") as f:
        f.write("x")
    c.args("/bin/checker", "chown", "/tmp/f", "1", "1")
    c.patch({"process": {"capabilities": {k: caps for k in ("bounding", "effective", "permitted")}}})


inside("process.capabilities.dropped_denies",
       [S_CAPS, (CFG + "#configLinuxProcess", "effective (array of strings, OPTIONAL) the effective field is an array of effective capabilities that are kept for the process.")],
       setup=lambda c, ctx: setup_chown(c, ctx, ["CAP_KILL"]),
       check=lambda r, ctx, c: r.want_line("chown /tmp/f ERR 1"))

inside("process.capabilities.kept_allows", [S_CAPS],
       setup=lambda c, ctx: setup_chown(c, ctx, ["CAP_CHOWN"]),
       check=lambda r, ctx, c: r.want_line("chown /tmp/f ok"))

S_CAPWARN = (CFG + "#configLinuxProcess", "Any value which cannot be mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by the runtime.")
S_CAPNOFAIL = (CFG + "#configLinuxProcess", "Runtimes SHOULD NOT fail if the container configuration requests capabilities that cannot be granted, for example, if the runtime operates in a restricted environment with a limited set of capabilities.")
S_WARN = ("runtime.md#runtimeWarnings", "Unless otherwise stated, logging a warning does not change the flow of the operation; it MUST continue as if the warning had not been logged.")


def setup_unknown_cap(c, ctx):
    caps = ["CAP_KILL", "CAP_VESSEL_BOGUS"]
    c.patch({"process": {"capabilities": {k: caps for k in ("bounding", "effective", "permitted")}}})


inside("process.capabilities.unknown_warns", [S_CAPWARN, S_CAPNOFAIL, S_WARN], level="SHOULD",
       setup=setup_unknown_cap,
       check=lambda r, ctx, c: r.want("capeff", "%016x" % capmask(["CAP_KILL"])),
       note="runtime-spec 1.0.2 required an error here; 1.1 and later require a warning and no failure.")


def needs_missing_cap():
    if host_caps("CapBnd") & (1 << CAPS.index("SYS_RESOURCE")):
        return "the runtime holds CAP_SYS_RESOURCE, so no capability is ungrantable here"


def setup_ungrantable(c, ctx):
    caps = ["CAP_KILL", "CAP_SYS_RESOURCE"]
    c.patch({"process": {"capabilities": {k: caps for k in ("bounding", "effective", "permitted")}}})


inside("process.capabilities.ungrantable_warns", [S_CAPNOFAIL, S_CAPWARN, S_WARN], level="SHOULD",
       needs=needs_missing_cap, setup=setup_ungrantable,
       check=lambda r, ctx, c: r.want("capeff", "%016x" % capmask(["CAP_KILL"])),
       note="This host's runtimes lack CAP_SYS_RESOURCE; asking for it must not fail the container.")


# --- noNewPrivileges, oomScoreAdj ---------------------------------------------------

S_NNP = (CFG + "#configLinuxProcess", "noNewPrivileges (bool, OPTIONAL) setting noNewPrivileges to true prevents the process from gaining additional privileges.")

inside("process.noNewPrivileges", [S_NNP],
       setup=lambda c, ctx: c.patch({"process": {"noNewPrivileges": True}}),
       check=lambda r, ctx, c: r.want("nonewprivs", 1))


def setup_suid(c, ctx, nnp):
    suid = os.path.join(c.rootfs, "bin", "suid-checker")
    shutil.copy2(os.path.join(c.rootfs, "bin", "checker"), suid)
    os.chown(suid, 0, 0)
    os.chmod(suid, 0o4755)
    c.args("/bin/suid-checker", "info")
    c.patch({"process": {"noNewPrivileges": nnp, "user": {"uid": 1000, "gid": 1000}}})


inside("process.noNewPrivileges.blocks_setuid", [S_NNP],
       setup=lambda c, ctx: setup_suid(c, ctx, True),
       check=lambda r, ctx, c: r.want("euid", 1000),
       note="A setuid-root program run by uid 1000 keeps euid 1000 under no_new_privs.")

inside("process.noNewPrivileges.false_allows_setuid", [S_NNP],
       setup=lambda c, ctx: setup_suid(c, ctx, False),
       check=lambda r, ctx, c: r.want("euid", 0),
       note="Control for the test above: without noNewPrivileges the setuid bit works.")

S_OOM = (CFG + "#configLinuxProcess", "If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given value. If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj.")

inside("process.oomScoreAdj", [S_OOM],
       setup=lambda c, ctx: c.patch({"process": {"oomScoreAdj": 500}}),
       check=lambda r, ctx, c: r.want("oom_score_adj", 500))


@register("process.oomScoreAdj.unset_unchanged", [S_OOM])
def _(ctx):
    """The runtime is started with oom_score_adj 123; the container keeps it."""
    c = ctx.container()
    c.write()
    wrapper = ctx.path("oom-wrapper")
    with open(wrapper, "w") as f:
        f.write("#!/bin/sh\necho 123 > /proc/self/oom_score_adj && exec \"$@\"\n")
    os.chmod(wrapper, 0o755)
    from ocilib import run_cmd
    with open(c.out_path, "ab") as out, open(c.err_path, "ab") as err:
        cr = run_cmd([wrapper] + ctx.rt.argv("create", "--bundle", c.bundle, c.id),
                     stdout=out, stderr=err)
    if cr.rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    c.created = True
    c.pid = (c.state() or {}).get("pid")
    if c.start().rc != 0:
        die("start failed")
    c.wait_exit()
    Result(c.stdout()).want("oom_score_adj", 123)


# --- terminal ----------------------------------------------------------------------

S_TERM = (CFG + "#configProcess", "terminal (bool, OPTIONAL) specifies whether a terminal is attached to the process, defaults to false. As an example, if set to true on Linux a pseudoterminal pair is allocated for the process and the pseudoterminal pty is duplicated on the process's standard streams.")
S_CONSIZE = (CFG + "#configProcess", "consoleSize (object, OPTIONAL) specifies the console size in characters of the terminal. Runtimes MUST ignore consoleSize if terminal is false or unset.")
S_CONSOLE = ("config-linux.md#configLinuxDefaultDevices", "/dev/console is set up if terminal is enabled in the config by bind mounting the pseudoterminal pty to /dev/console.")


def run_terminal(ctx, c):
    sock = ConsoleSocket(ctx.path("console.sock"))
    ctx.on_cleanup(sock.close)
    cr = c.create(extra=("--console-socket", sock.path))
    if cr.rc != 0:
        die("create with --console-socket failed: %s" % tail(cr.err))
    if c.start().rc != 0:
        die("start failed")
    c.wait_exit()
    out = sock.wait(10)
    if sock.error:
        die(sock.error)
    c.delete()
    return Result(out)


@register("process.terminal", [S_TERM])
def _(ctx):
    c = ctx.container()
    c.patch({"process": {"terminal": True}})
    c.args("/bin/checker", "tty")
    r = run_terminal(ctx, c)
    for i in range(3):
        v = (r.get("isatty%d" % i) or "").split()
        if not v or v[0] != "1":
            die("fd %d is not a terminal: %s" % (i, tail(r.out)))
    if r.get("ctty") != "1":
        die("the terminal is not the process's controlling terminal")


@register("process.terminal.dev_console", [S_TERM, S_CONSOLE])
def _(ctx):
    c = ctx.container()
    c.patch({"process": {"terminal": True}})
    c.sh("/bin/checker tty; /bin/checker stat /dev/console $(/bin/busybox tty)")
    r = run_terminal(ctx, c)
    st = r.all("stat")
    if len(st) != 2 or " chr " not in st[0]:
        die("/dev/console is not a character device: %s" % st)
    if st[0].split()[5:7] != st[1].split()[5:7]:
        die("/dev/console (%s) is not the process's pty (%s)" % (st[0], st[1]))


@register("process.terminal.consoleSize", [S_CONSIZE])
def _(ctx):
    c = ctx.container()
    c.patch({"process": {"terminal": True, "consoleSize": {"height": 33, "width": 111}}})
    c.args("/bin/checker", "tty")
    r = run_terminal(ctx, c)
    r.want("winsize", "33 111")


inside("process.terminal.consoleSize_ignored", [S_CONSIZE],
       setup=lambda c, ctx: c.patch({"process": {"terminal": False, "consoleSize": {"height": 33, "width": 111}}}),
       args=["/bin/checker", "tty"],
       check=lambda r, ctx, c: r.want("isatty1", "0 -"))


# --- hostname, domainname ------------------------------------------------------------

inside("hostname", [(CFG + "#configHostname", "hostname (string, OPTIONAL) specifies the container's hostname as seen by processes running inside the container.")],
       setup=lambda c, ctx: c.patch({"hostname": "oci-test-host"}),
       check=lambda r, ctx, c: r.want("hostname", "oci-test-host"))

inside("domainname", [(CFG + "#configDomainname", "domainname (string, OPTIONAL) specifies the container's domainname as seen by processes running inside the container.")],
       setup=lambda c, ctx: c.patch({"domainname": "oci.example"}),
       check=lambda r, ctx, c: r.want("domainname", "oci.example"))


# --- scheduler, ioPriority (runtime-spec 1.2) -------------------------------------

inside("process.scheduler",
       [(CFG + "#configLinuxProcess", "scheduler (object, OPTIONAL) is an object describing the scheduler properties for the process. policy (string, REQUIRED) represents the scheduling policy. nice (int32, OPTIONAL) is the nice value for the process")],
       setup=lambda c, ctx: c.patch({"process": {"scheduler": {"policy": "SCHED_BATCH", "nice": 5}}}),
       args=["/bin/checker", "sched"],
       check=lambda r, ctx, c: (r.want("policy", 3), r.want("nice", 5)),
       note="runtime-spec 1.2.")

inside("process.ioPriority",
       [(CFG + "#configLinuxProcess", "ioPriority (object, OPTIONAL) configures the I/O priority settings for the container's processes within the process group.")],
       setup=lambda c, ctx: c.patch({"process": {"ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 3}}}),
       args=["/bin/checker", "sched"],
       check=lambda r, ctx, c: r.want("ioprio", "class 2 prio 3"),
       note="runtime-spec 1.2.")


# --- LSM labels on a host without the LSM ------------------------------------------

def no_lsm():
    if os.path.exists("/sys/kernel/security/apparmor") or os.path.exists("/sys/fs/selinux/enforce"):
        return "this host has AppArmor or SELinux"


inside("process.apparmorProfile.accepted_without_apparmor",
       [(CFG + "#configLinuxProcess", "apparmorProfile (string, OPTIONAL) specifies the name of the AppArmor profile for the process."), (ISSUE, "apparmor/selinux labels accepted where the host lacks them")],
       needs=no_lsm, level="ISSUE",
       setup=lambda c, ctx: c.patch({"process": {"apparmorProfile": "vessel-test-profile"}}),
       check=lambda r, ctx, c: r.want("uid", 0))

inside("process.selinuxLabel.accepted_without_selinux",
       [(CFG + "#configLinuxProcess", "selinuxLabel (string, OPTIONAL) specifies the SELinux label for the process."), (ISSUE, "apparmor/selinux labels accepted where the host lacks them")],
       needs=no_lsm, level="ISSUE",
       setup=lambda c, ctx: c.patch({"process": {"selinuxLabel": "system_u:system_r:container_t:s0:c1,c2"},
                                    "linux": {"mountLabel": "system_u:object_r:container_file_t:s0:c1,c2"}}),
       check=lambda r, ctx, c: r.want("uid", 0))
