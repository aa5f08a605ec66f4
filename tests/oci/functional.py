#!/usr/bin/env python3
"""Functional tests of an OCI runtime with a busybox bundle (issue 8):
echo, exit status, isolation of PIDs, hostname and mounts, read-only
paths, the memory limit's OOM kill, a seccomp-denied system call, nothing
left behind after delete, and rootless operation.

Each test runs against Vessel, runc and crun (or RUNTIME=PATH alone) and
the output is the same table as the conformance suite's.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import suite  # noqa: E402
from ocilib import (Container, Result, WORK, die, find_cgroup_dirs,  # noqa: E402
                    pid_alive, run_cmd, tail)
from suite import ISSUE, register  # noqa: E402

S = (ISSUE, "Functional tests: a busybox bundle runs echo, exits with the process's status, sees only its own PIDs, hostname and mounts, cannot write read-only paths, is killed by its memory limit, is refused a syscall the seccomp profile denies, and leaves no cgroup, mount or process behind after delete.")


def run(ctx, c, timeout=60):
    """`RT run` of the container: its exit status and output."""
    c.write()
    with open(c.out_path, "wb") as out, open(c.err_path, "wb") as err:
        r = ctx.rt.call("run", "--bundle", c.bundle, c.id, stdout=out, stderr=err, timeout=timeout)
    if ctx.rt.call("state", c.id).rc == 0:
        c.created = True
    return r.rc, Result(c.stdout(), c.stderr())


@register("func.echo", [S])
def _(ctx):
    c = ctx.container()
    c.args("echo", "hello", "from vessel")
    rc, r = run(ctx, c)
    if rc != 0 or r.out != "hello from vessel\n":
        die("echo: rc %s output %r (%s)" % (rc, r.out, tail(r.err)))


@register("func.exit_status", [S])
def _(ctx):
    for code in (0, 1, 42, 255):
        c = ctx.container("x%d" % code)
        c.sh("exit %d" % code)
        rc, r = run(ctx, c)
        if rc != code:
            die("process exited %d, run returned %s (%s)" % (code, rc, tail(r.err)))


@register("func.exit_signal", [S], note="A process killed by SIGKILL: run exits 128+9, like a shell.  (In the host pid namespace: init of a pid namespace cannot SIGKILL itself.)")
def _(ctx):
    c = ctx.container()
    c.set_ns("pid", present=False)
    c.sh("kill -9 $$")
    rc, r = run(ctx, c)
    if rc != 137:
        die("run returned %s for a process killed by SIGKILL, expected 137" % rc)


@register("func.own_pids", [S])
def _(ctx):
    c = ctx.container()
    # Wait until the background job has exec'd sleep, then list.
    c.sh("sleep 100 & i=0; while [ $i -lt 500 ] && ! grep -qx sleep /proc/$!/comm; do usleep 10000; i=$((i+1)); done; "
         "ps -o pid,comm; true")
    rc, r = run(ctx, c)
    rows = [l.split() for l in r.lines[1:] if l.strip()]
    pids = sorted(int(p[0]) for p in rows)
    comms = sorted(p[1] for p in rows)
    if rc != 0 or not pids or pids[0] != 1 or len(pids) != 3 or comms != ["ps", "sh", "sleep"]:
        die("ps inside shows %s (rc %s); expected only sh (pid 1), sleep and ps" % (rows, rc))


@register("func.hostname", [S])
def _(ctx):
    before = os.uname().nodename
    c = ctx.container()
    c.patch({"hostname": "vessel-func"})
    c.sh("hostname; hostname changed-inside 2>/dev/null; true")
    rc, r = run(ctx, c)
    if r.lines[:1] != ["vessel-func"]:
        die("hostname inside %r, expected vessel-func" % r.lines[:1])
    if os.uname().nodename != before:
        die("the host's hostname changed")


@register("func.own_mounts", [S])
def _(ctx):
    c = ctx.container()
    c.sh("cat /proc/self/mountinfo")
    rc, r = run(ctx, c)
    points = [l.split()[4] for l in r.lines if len(l.split()) > 5]
    if "/" not in points:
        die("no root mount in %s" % points)
    allowed = ("/proc", "/dev", "/sys")
    stray = [p for p in points if p != "/" and not any(p == a or p.startswith(a + "/") for a in allowed)]
    if stray:
        die("host mounts visible in the container: %s" % stray)
    with open("/proc/self/mountinfo") as f:
        host_points = {l.split()[4] for l in f}
    leaked = [p for p in points if p not in ("/",) and p in host_points and p.startswith("/work")]
    if leaked:
        die("host mounts leaked: %s" % leaked)


@register("func.readonly", [S])
def _(ctx):
    c = ctx.container()
    c.patch({"root": {"readonly": True}, "linux": {"readonlyPaths": ["/proc/sys"]}})
    c.sh("touch /newfile 2>/dev/null && echo wrote-root; "
         "echo x > /proc/sys/kernel/domainname 2>/dev/null && echo wrote-proc-sys; "
         "mkdir /bin/newdir 2>/dev/null && echo wrote-bin; echo done")
    rc, r = run(ctx, c)
    if r.lines != ["done"]:
        die("writes to read-only paths: %s" % r.lines)
    if os.path.exists(os.path.join(c.rootfs, "newfile")):
        die("the file appeared in the host rootfs")


@register("func.oom", [S], slow=True)
def _(ctx):
    c = ctx.container()
    c.resources({"memory": {"limit": 32 << 20, "swap": 32 << 20}})
    c.args("/bin/checker", "mem", "512")
    rc, r = run(ctx, c, timeout=120)
    if "allocated all 512" in r.out:
        die("the process allocated 512 MiB under a 32 MiB limit")
    if rc != 137:
        die("run returned %s, expected 137 (SIGKILL by the OOM killer): %s" % (rc, tail(r.out)))
    got = [l for l in r.lines if l.startswith("allocated ")]
    if not got:
        die("the process was killed before allocating anything: %s" % tail(r.err))


@register("func.seccomp_denied", [S])
def _(ctx):
    c = ctx.container()
    c.linux()["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW",
                            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                            "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO"}]}
    c.sh("mkdir /tmp/denied; echo mkdir=$?; touch /tmp/allowed; echo touch=$?")
    rc, r = run(ctx, c)
    if "mkdir=1" not in r.lines or "touch=0" not in r.lines:
        die("mkdir/touch: %s" % r.lines)
    if "Operation not permitted" not in r.err:
        die("mkdir did not fail with EPERM: %s" % tail(r.err))


def leftovers(c, pids):
    """Cgroups, processes and mounts the container left behind."""
    left = []
    for d in find_cgroup_dirs(c.id):
        left.append("cgroup " + d)
    for p in pids:
        if pid_alive(p):
            left.append("process %d" % p)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            root = os.readlink("/proc/%s/root" % pid)
        except OSError:
            continue
        if root.startswith(c.rootfs) and pid_alive(int(pid)):
            left.append("process %s rooted in the bundle" % pid)
    with open("/proc/self/mountinfo") as f:
        for l in f:
            if c.bundle in l:
                left.append("mount " + l.split()[4])
    if c.state() is not None:
        left.append("state")
    return left


def container_pids(c):
    pids = set()
    with open("/proc/%d/cgroup" % c.pid) as f:
        rows = [l.strip().split(":", 2) for l in f]
    from ocilib import cgroup_mounts
    for mnt, root, fstype, ctrls in cgroup_mounts():
        for _h, ctl, path in rows:
            if "pids" in ctrls and "pids" in ctl.split(","):
                with open(os.path.join(mnt, path.lstrip("/"), "cgroup.procs")) as f:
                    pids |= {int(x) for x in f.read().split()}
    return pids


def cleanup_test(name, force):
    @register("func.cleanup." + name, [S, ("runtime.md#runtimeDelete", "Deleting a container MUST delete the resources that were created during the create step.")])
    def _(ctx):
        c = ctx.container()
        c.resources({"pids": {"limit": 50}, "memory": {"limit": 64 << 20}})
        c.add_mount("/mnt/scratch", "tmpfs", "tmpfs", ["size=1m"])
        c.sh("sleep 100 & sleep 100 & echo ready; exec /bin/checker sigwait")
        if c.create().rc != 0:
            die("create failed: %s" % tail(c.stderr()))
        if c.start().rc != 0 or not c.wait_output("ready"):
            die("start failed: %s" % tail(c.stderr()))
        time.sleep(0.1)
        pids = container_pids(c) | {c.pid}
        if len(pids) < 3:
            die("expected init and two sleeps in the container's cgroup, got %s" % pids)
        if force:
            d = c.delete(force=True)
        else:
            c.kill("KILL")
            c.wait_exit()
            d = c.delete()
        if d.rc != 0:
            die("delete failed: %s" % tail(d.err))
        time.sleep(0.2)
        left = leftovers(c, pids)
        if left:
            die("left behind after delete: %s" % ", ".join(left))


cleanup_test("kill_delete", False)
cleanup_test("delete_force", True)


# --- rootless --------------------------------------------------------------------

def rootless_reason():
    try:
        with open("/proc/sys/kernel/unprivileged_userns_clone") as f:
            if f.read().strip() == "0":
                return "kernel.unprivileged_userns_clone is 0"
    except OSError:
        pass
    try:
        with open("/proc/sys/user/max_user_namespaces") as f:
            if int(f.read()) == 0:
                return "user.max_user_namespaces is 0"
    except OSError:
        return "no /proc/sys/user/max_user_namespaces"
    probe = run_cmd(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                     "unshare", "--user", "--map-root-user", "true"])
    if probe.rc != 0:
        return "an unprivileged user cannot create a user namespace: " + tail(probe.err)
    return None


@register("func.rootless", [S, (ISSUE, "rootless operation with user namespaces")], needs=rootless_reason,
          note="Runs the runtime as uid 65534 with a user namespace mapping container root to it. crun-legacy needs root (it unshares a mount namespace), so crun runs here as plain `crun --cgroup-manager=disabled`.")
def _(ctx):
    uid = 65534
    path = [ctx.rt.path]
    if ctx.rt.path.endswith("crun-legacy"):
        path = ["crun", "--cgroup-manager=disabled"]
    home = os.path.join(WORK, "rootless-%s" % ctx.rt.name)
    os.makedirs(home, exist_ok=True)
    os.chown(home, uid, uid)
    c = Container(ctx.rt, "func.rootless", bundle_dir=os.path.join(home, "bundle"))
    ctx.containers.append(c)
    for d in (home, c.bundle):
        os.chown(d, uid, uid)
    c.config["linux"] = {
        "namespaces": [{"type": t} for t in ("pid", "ipc", "uts", "mount", "user", "network")],
        "uidMappings": [{"containerID": 0, "hostID": uid, "size": 1}],
        "gidMappings": [{"containerID": 0, "hostID": uid, "size": 1}],
    }
    c.config["mounts"] = [
        {"destination": "/proc", "type": "proc", "source": "proc"},
        {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
        {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
        {"destination": "/sys", "type": "none", "source": "/sys", "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]},
    ]
    c.sh("id -u; cat /proc/self/uid_map; echo rootless-ok")
    c.write()
    root = os.path.join(home, "state")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "XDG_RUNTIME_DIR": home}
    argv = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups", "--",
            *path, "--root", root, "run", "--bundle", c.bundle, c.id]
    r = run_cmd(argv, env=env, timeout=60)
    run_cmd(["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups", "--",
             *path, "--root", root, "delete", "--force", c.id], env=env)
    lines = r.out.split()
    if r.rc != 0 or "rootless-ok" not in lines:
        die("rootless run failed (rc %s): %s" % (r.rc, tail(r.err + r.out)))
    if lines[0] != "0" or lines[1:4] != ["0", str(uid), "1"]:
        die("rootless container: uid %s, uid_map %s; expected 0 and '0 %d 1'" % (lines[:1], lines[1:4], uid))
    c.created = False


if __name__ == "__main__":
    sys.exit(suite.main("OCI functional tests", sys.argv[1:]))
