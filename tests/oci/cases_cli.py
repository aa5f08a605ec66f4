"""runc's command line, which issue 8 asks Vessel to implement so that
containerd, CRI-O and Podman can drive it: run, exec, list, ps, pause,
resume, update, spec, features, --pid-file, --log-format json, kill forms.
Also features.md, which defines what `features` prints."""
import json
import os
import re
import sys
import time

from ocilib import Result, die, ns_inode, pid_alive, run_cmd, tail
from suite import CLI, FEAT, ISSUE, register
from cases_lifecycle import SEMVER, created, running, want_state


@register("cli.run.exit_status", [(CLI, "run: create and start a container, wait for it, and exit with its status")])
def _(ctx):
    c = ctx.container()
    c.sh("echo hello from run; exit 3")
    c.write()
    r = ctx.rt.call("run", "--bundle", c.bundle, c.id, timeout=30)
    c.created = ctx.rt.call("state", c.id).rc == 0
    if r.rc != 3:
        die("run exited %s, expected the process's status 3 (%s)" % (r.rc, tail(r.err)))
    if "hello from run" not in r.out:
        die("run did not pass the process's stdout through: %r" % r.out)


@register("cli.run.detach", [(CLI, "run --detach: start the container and return")])
def _(ctx):
    c = ctx.container()
    c.args("/bin/checker", "sigwait")
    c.write()
    with open(c.out_path, "ab") as out:
        r = ctx.rt.call("run", "--detach", "--bundle", c.bundle, c.id, stdout=out, stderr=out)
    c.created = True
    if r.rc != 0:
        die("run --detach failed: %s" % tail(c.stdout()))
    if not c.wait_output("ready"):
        die("the detached container did not start")
    want_state(c, "running")


@register("cli.list", [(CLI, "list: the containers under --root; --format json")])
def _(ctx):
    rt = ctx.private_root()
    c = created(ctx, rt=rt)
    r = rt.call("list")
    if r.rc != 0 or c.id not in r.out:
        die("list does not show %s: %s" % (c.id, tail(r.out + r.err)))
    r = rt.call("list", "--format", "json")
    try:
        items = json.loads(r.out)
    except ValueError:
        die("list --format json printed %r" % r.out[:200])
    mine = [i for i in items if i.get("id") == c.id]
    if not mine or mine[0].get("status") != "created" or mine[0].get("pid") != c.pid:
        die("list --format json entry %s" % mine)


@register("cli.ps", [(CLI, "ps: the processes of a container; --format json lists pids")])
def _(ctx):
    c = running(ctx)
    r = ctx.rt.call("ps", "--format", "json", c.id)
    try:
        pids = json.loads(r.out)
    except ValueError:
        die("ps --format json printed %r (%s)" % (r.out[:200], tail(r.err)))
    if c.pid not in pids:
        die("ps lists %s, not the container's pid %d" % (pids, c.pid))


@register("cli.exec", [(CLI, "exec: run a process in a running container's namespaces and cgroup")])
def _(ctx):
    c = running(ctx)
    r = ctx.rt.call("exec", c.id, "/bin/checker", "ns", timeout=30)
    if r.rc != 0:
        die("exec failed: %s" % tail(r.err))
    got = Result(r.out)
    for ns in ("mnt", "uts", "pid", "net", "ipc"):
        want = ns_inode(c.pid, ns)
        line = [v for v in got.all("ns") if v.startswith(ns + " ")]
        if not line or line[0].split()[1] != str(want):
            die("exec'd process %s namespace %s, container's %s" % (ns, line, want))


@register("cli.exec.exit_status", [(CLI, "exec exits with the process's status")])
def _(ctx):
    c = running(ctx)
    r = ctx.rt.call("exec", c.id, "/bin/checker", "exit", "5", timeout=30)
    if r.rc != 5:
        die("exec exited %s, expected 5 (%s)" % (r.rc, tail(r.err)))


@register("cli.exec.process_json", [(CLI, "exec --process FILE: the process from a JSON file (config.md#process)")])
def _(ctx):
    c = running(ctx)
    proc = {"terminal": False, "user": {"uid": 1000, "gid": 1000}, "args": ["/bin/checker", "info"],
            "env": ["PATH=/bin", "EXECVAR=from-process-json"], "cwd": "/tmp"}
    p = ctx.path("process.json")
    with open(p, "w") as f:
        json.dump(proc, f)
    r = ctx.rt.call("exec", "--process", p, c.id, timeout=30)
    if r.rc != 0:
        die("exec --process failed: %s" % tail(r.err))
    got = Result(r.out)
    got.want("cwd", "/tmp")
    got.want("uid", 1000)
    if "EXECVAR=from-process-json" not in got.all("env"):
        die("env from process.json missing: %s" % got.all("env"))


def freezer_state(pid):
    from ocilib import cgroup_mounts
    with open("/proc/%d/cgroup" % pid) as f:
        rows = [l.strip().split(":", 2) for l in f]
    for mnt, root, fstype, ctrls in cgroup_mounts():
        for _h, ctl, path in rows:
            if fstype == "cgroup" and "freezer" in ctrls and "freezer" in ctl.split(","):
                with open(os.path.join(mnt, path.lstrip("/"), "freezer.state")) as f:
                    return f.read().strip()
    return None


@register("cli.pause_resume", [(CLI, "pause and resume: freeze and thaw every process of the container (freezer cgroup); state shows paused")])
def _(ctx):
    c = running(ctx)
    for cycle in (1, 2):
        r = ctx.rt.call("pause", c.id)
        if r.rc != 0:
            die("pause failed: %s" % tail(r.err))
        want_state(c, "paused")
        fs = freezer_state(c.pid)
        if fs not in (None, "FROZEN"):
            die("paused, but the freezer cgroup is %s" % fs)
        if cycle == 2:
            c.kill("USR1")
            time.sleep(0.2)
            if "signal 10" in c.stdout():
                die("a paused container handled a signal")
        r = ctx.rt.call("resume", c.id)
        if r.rc != 0:
            die("resume failed: %s" % tail(r.err))
        if cycle == 1:
            want_state(c, "running")
    if not c.wait_output("signal 10", 5):
        die("the resumed container did not handle the signal sent while paused")


@register("cli.update", [(CLI, "update -r FILE: change a running container's resources")])
def _(ctx):
    c = running(ctx, setup=lambda c: c.resources({"memory": {"limit": 64 << 20}, "pids": {"limit": 100}}))
    p = ctx.path("resources.json")
    with open(p, "w") as f:
        json.dump({"memory": {"limit": 96 << 20}, "pids": {"limit": 50}}, f)
    r = ctx.rt.call("update", "-r", p, c.id)
    if r.rc != 0:
        die("update failed: %s" % tail(r.err))
    from ocilib import cgroup_mounts
    with open("/proc/%d/cgroup" % c.pid) as f:
        paths = {}
        for l in f:
            _h, ctl, path = l.strip().split(":", 2)
            for x in ctl.split(","):
                paths[x] = path
    vals = {}
    for mnt, root, _t, ctrls in cgroup_mounts():
        for ctl, fname in (("memory", "memory.limit_in_bytes"), ("pids", "pids.max")):
            if ctl in ctrls and ctl in paths:
                try:
                    with open(os.path.join(mnt, paths[ctl].lstrip("/"), fname)) as f:
                        vals[fname] = f.read().strip()
                except OSError:
                    pass
    if vals.get("memory.limit_in_bytes") != str(96 << 20) or vals.get("pids.max") != "50":
        die("after update: %s, expected memory %d and pids 50" % (vals, 96 << 20))


@register("cli.kill.signal_forms", [(CLI, "kill ID SIGNAL: SIGNAL as SIGUSR1, USR1 or 10")])
def _(ctx):
    for form in ("SIGUSR1", "USR1", "10"):
        c = ctx.container(form)
        c.args("/bin/checker", "sigwait")
        if c.create().rc != 0:
            die("create failed: %s" % tail(c.stderr()))
        c.start()
        c.wait_output("ready")
        k = c.kill(form)
        if k.rc != 0:
            die("kill %s failed: %s" % (form, tail(k.err)))
        c.wait_exit()
        if "signal 10" not in c.stdout():
            die("kill %s did not deliver SIGUSR1" % form)


@register("cli.kill.all", [(CLI, "kill --all: signal every process of the container")])
def _(ctx):
    c = running(ctx, setup=lambda c: c.set_ns("pid", present=False))
    e = ctx.rt.call("exec", "--detach", c.id, "/bin/sleep", "300")
    if e.rc != 0:
        die("exec --detach failed: %s" % tail(e.err))
    time.sleep(0.2)
    k = c.kill("KILL", all_=True)
    if k.rc != 0:
        die("kill --all failed: %s" % tail(k.err))
    time.sleep(0.3)
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read()
                with open("/proc/%s/root" % pid) as _f:
                    pass
            except OSError:
                continue
            if cmd == b"/bin/sleep\x00300\x00" and os.readlink("/proc/%s/root" % pid).startswith(c.rootfs) and pid_alive(int(pid)):
                die("process %s (exec'd sleep) survived kill --all" % pid)


@register("cli.delete.force", [(CLI, "delete --force: kill and delete a running container")])
def _(ctx):
    c = running(ctx)
    pid = c.pid
    d = c.delete(force=True)
    if d.rc != 0:
        die("delete --force failed: %s" % tail(d.err))
    time.sleep(0.1)
    if pid_alive(pid):
        die("the process survived delete --force")
    if c.state() is not None:
        die("the container still exists")


@register("cli.create.pid_file", [(CLI, "create --pid-file FILE: write the container process's pid")])
def _(ctx):
    c = ctx.container()
    c.args("/bin/checker", "sigwait")
    pf = ctx.path("pidfile")
    cr = c.create(extra=("--pid-file", pf))
    if cr.rc != 0:
        die("create --pid-file failed: %s" % tail(c.stderr()))
    try:
        with open(pf) as f:
            v = f.read().strip()
    except OSError:
        die("no pid file written")
    if v != str(c.pid):
        die("pid file holds %r, state says %s" % (v, c.pid))


@register("cli.id_reuse", [("runtime.md#runtimeDelete", "Once a container is deleted its ID MAY be used by a subsequent container.")], level="MAY")
def _(ctx):
    c = ctx.container()
    c.args("/bin/true")
    c.run()
    r = c.run()
    del r


@register("cli.spec", [(CLI, "spec: write a default config.json; --rootless: one for unprivileged use")])
def _(ctx):
    d = ctx.path("spec")
    os.makedirs(d)
    r = ctx.rt.call("spec", cwd=d)
    if r.rc != 0:
        die("spec failed: %s" % tail(r.err))
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    if not SEMVER.match(cfg.get("ociVersion", "")) or "process" not in cfg or "root" not in cfg:
        die("spec wrote an incomplete config: %s" % list(cfg))
    d2 = ctx.path("spec-rootless")
    os.makedirs(d2)
    r = ctx.rt.call("spec", "--rootless", cwd=d2)
    if r.rc != 0:
        die("spec --rootless failed: %s" % tail(r.err))
    with open(os.path.join(d2, "config.json")) as f:
        cfg = json.load(f)
    nss = [n.get("type") for n in cfg.get("linux", {}).get("namespaces", [])]
    if "user" not in nss or not cfg["linux"].get("uidMappings"):
        die("spec --rootless has no user namespace with mappings")


@register("cli.log_format_json", [(CLI, "--log FILE --log-format json: errors logged as JSON lines")])
def _(ctx):
    c = ctx.container()
    c.add_mount("/mnt/x", "vessel-no-such-fs", "none", [])
    c.write()
    log = ctx.path("runtime.log")
    argv = [ctx.rt.path, "--root", ctx.rt.root, "--log", log, "--log-format", "json",
            "create", "--bundle", c.bundle, c.id]
    r = run_cmd(argv)
    if r.rc == 0:
        c.created = True
        die("create with a bad mount succeeded")
    try:
        with open(log) as f:
            lines = [l for l in f.read().splitlines() if l.strip()]
    except OSError:
        die("no log file written")
    if not lines:
        die("the log is empty")
    for l in lines:
        try:
            e = json.loads(l)
        except ValueError:
            die("log line is not JSON: %r" % l)
        if "msg" not in e or "level" not in e:
            die("log entry lacks msg/level: %s" % e)


# --- features (features.md) ----------------------------------------------------------

def features(ctx):
    r = ctx.rt.call("features")
    if r.rc != 0:
        die("features failed: %s" % tail(r.err))
    try:
        return json.loads(r.out)
    except ValueError:
        die("features printed %r" % r.out[:200])


@register("features.versions", [(FEAT, "ociVersionMin (string, REQUIRED) The minimum recognized version of the Open Container Initiative Runtime Specification. ociVersionMax (string, REQUIRED) The maximum recognized version. The value MUST NOT be less than the value of the ociVersionMin property.")])
def _(ctx):
    f = features(ctx)
    lo, hi = f.get("ociVersionMin", ""), f.get("ociVersionMax", "")
    if not SEMVER.match(lo) or not SEMVER.match(hi):
        die("ociVersionMin/Max %r/%r are not SemVer" % (lo, hi))

    def key(v):
        return tuple(int(x) for x in re.match(r"(\d+)\.(\d+)\.(\d+)", v).groups())
    if key(hi) < key(lo):
        die("ociVersionMax %s < ociVersionMin %s" % (hi, lo))


@register("features.ociVersionMax_accepted", [(FEAT, "ociVersionMax: The runtime MUST accept this value as the ociVersion property of config.json.")])
def _(ctx):
    f = features(ctx)
    c = ctx.container()
    c.patch({"ociVersion": f.get("ociVersionMax")})
    c.run()


@register("features.hooks_and_mounts", [(FEAT, "hooks (array of strings, OPTIONAL) The list of the recognized hook names. The runtime MUST support the elements in this array as the hooks property of config.json. mountOptions: The runtime MUST recognize the elements in this array as the options of mounts objects in config.json.")])
def _(ctx):
    f = features(ctx)
    hooks = f.get("hooks")
    if hooks is not None and not set(hooks) <= {"prestart", "createRuntime", "createContainer",
                                                "startContainer", "poststart", "poststop"}:
        die("unknown hook names %s" % hooks)
    opts = f.get("mountOptions") or []
    c = ctx.container()
    bad = []
    for o in ("ro", "nosuid", "nodev", "noexec", "rbind", "rprivate"):
        if opts and o not in opts:
            bad.append(o)
    if bad:
        die("mountOptions lacks MUST options %s" % bad)
    del c


@register("cli.exec.flags", [(CLI, "exec --env, --cwd, --user: the exec'd process's environment, directory and ids")])
def _(ctx):
    c = running(ctx)
    r = ctx.rt.call("exec", "--env", "EXECFLAG=set-by-flag", "--cwd", "/tmp", "--user", "1000:1001",
                    c.id, "/bin/checker", "info", timeout=30)
    if r.rc != 0:
        die("exec with flags failed: %s" % tail(r.err))
    got = Result(r.out)
    got.want("cwd", "/tmp")
    got.want("uid", 1000)
    got.want("gid", 1001)
    if "EXECFLAG=set-by-flag" not in got.all("env"):
        die("--env not in the environment: %s" % got.all("env"))


@register("cli.exec.stopped", [(CLI, "exec into a stopped container is an error"), ("runtime.md#runtimeKill", "Attempting to send a signal to a container that is neither created nor running MUST have no effect on the container and MUST generate an error.")],
          negative=True)
def _(ctx):
    from cases_lifecycle import stopped
    c = stopped(ctx)
    r = ctx.rt.call("exec", c.id, "/bin/true", timeout=30)
    if r.rc == 0:
        die("exec into a stopped container succeeded")
    want_state(c, "stopped")


@register("cli.delete.force_paused", [(CLI, "delete --force of a paused container: thaw, kill, delete")])
def _(ctx):
    c = running(ctx)
    pid = c.pid
    if ctx.rt.call("pause", c.id).rc != 0:
        die("pause failed")
    d = ctx.rt.call("delete", "--force", c.id, timeout=30)
    if d.rc is None:
        die("delete --force of a paused container hung")
    if d.rc != 0:
        die("delete --force of a paused container failed: %s" % tail(d.err))
    time.sleep(0.2)
    if pid_alive(pid) or c.state() is not None:
        die("the paused container survived delete --force")
    c.created = False


@register("cli.delete.paused", [(CLI, "delete (without --force) of a paused container is an error"), ("runtime.md#runtimeDelete", "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error.")],
          negative=True)
def _(ctx):
    c = running(ctx)
    if ctx.rt.call("pause", c.id).rc != 0:
        die("pause failed")
    if c.delete().rc == 0:
        die("delete of a paused container succeeded")
    want_state(c, "paused")
    ctx.rt.call("resume", c.id)


@register("cli.resume.not_paused", [(CLI, "resume of a container that is not paused is an error")], negative=True)
def _(ctx):
    c = running(ctx)
    if ctx.rt.call("resume", c.id).rc == 0:
        die("resume of a running container succeeded")
    want_state(c, "running")


@register("cli.update.stdin", [(CLI, "update -r -: resources JSON on stdin (containerd's way)")])
def _(ctx):
    c = running(ctx, setup=lambda c: c.resources({"pids": {"limit": 100}}))
    with open(ctx.path("res.json"), "w") as f:
        json.dump({"pids": {"limit": 33}}, f)
    with open(ctx.path("res.json")) as f:
        r = ctx.rt.call("update", "-r", "-", c.id, stdin=f)
    if r.rc != 0:
        die("update -r - failed: %s" % tail(r.err))
    from ocilib import cgroup_mounts
    with open("/proc/%d/cgroup" % c.pid) as f:
        rows = [l.strip().split(":", 2) for l in f]
    for mnt, _root, _t, ctrls in cgroup_mounts():
        for _h, ctl, path in rows:
            if "pids" in ctrls and "pids" in ctl.split(","):
                with open(os.path.join(mnt, path.lstrip("/"), "pids.max")) as f:
                    v = f.read().strip()
                if v != "33":
                    die("pids.max %r after update, expected 33" % v)
                return
    die("no pids cgroup")


@register("cli.list.quiet", [(CLI, "list -q: container IDs only")])
def _(ctx):
    rt = ctx.private_root()
    c = created(ctx, rt=rt)
    r = rt.call("list", "-q")
    if r.rc != 0 or r.out.split() != [c.id]:
        die("list -q printed %r" % r.out)


@register("cli.create.preserve_fds", [(CLI, "create --preserve-fds N: pass fds 3..3+N-1 to the container"), ("runtime-linux.md#runtimeLinuxFileDescriptors", "The runtime MAY pass additional file descriptors to the application to support features such as socket activation.")])
def _(ctx):
    c = ctx.container()
    c.args("/bin/checker", "fds")
    extra = open(ctx.path("extra-fd"), "w")
    ctx.on_cleanup(extra.close)
    c.write()
    with open(c.out_path, "ab") as out:
        argv = ctx.rt.argv("create", "--preserve-fds", "1", "--bundle", c.bundle, c.id)
        # Put the file at fd 3 (and nowhere else), then exec the runtime.
        shim = ("import os, sys; fd = int(sys.argv[1]); os.dup2(fd, 3); "
                "fd != 3 and os.close(fd); os.execvp(sys.argv[2], sys.argv[2:])")
        r = run_cmd([sys.executable, "-c", shim, str(extra.fileno())] + argv,
                    stdout=out, stderr=out, pass_fds=(extra.fileno(),))
    if r.rc != 0:
        die("create --preserve-fds failed: %s" % tail(c.stdout()))
    c.created = True
    c.pid = (c.state() or {}).get("pid")
    c.start()
    c.wait_exit()
    got = Result(c.stdout()).get("fds")
    if got != "0 1 2 3":
        die("fds in the container %r, expected '0 1 2 3'" % got)


@register("cli.global_flags", [(ISSUE, "global --root, --log, --log-format json, --systemd-cgroup accepted")], level="ISSUE")
def _(ctx):
    r = run_cmd([ctx.rt.path, "--root", ctx.rt.root, "--systemd-cgroup", "list"])
    if r.rc != 0:
        die("--systemd-cgroup list failed: %s" % tail(r.err))
    r = run_cmd([ctx.rt.path, "--root", ctx.rt.root, "--log", ctx.path("log"), "--log-format", "text", "list"])
    if r.rc != 0:
        die("--log FILE --log-format text list failed: %s" % tail(r.err))
