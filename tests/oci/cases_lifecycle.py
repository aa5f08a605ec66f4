"""Lifecycle, state and operations (runtime.md, runtime-linux.md)."""
import os
import re
import time

from ocilib import Result, die, ns_inode, pid_alive, find_cgroup_dirs, tail
from suite import CFG, RT, RTL, register

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
                    r"(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$")

S_STATE = (RT + "#runtimeState", "The state of a container includes the following properties")
S_QUERY = (RT + "#runtimeQueryState", "This operation MUST return the state of a container as specified in the State section.")


def created(ctx, args=("/bin/checker", "sigwait"), setup=None, rt=None):
    """A container in the `created` state, running `checker sigwait`."""
    c = ctx.container(rt=rt)
    c.args(*args)
    if setup:
        setup(c)
    cr = c.create()
    if cr.rc != 0:
        die("create failed (rc=%s): %s" % (cr.rc, tail(cr.err)))
    return c


def running(ctx, setup=None):
    c = created(ctx, setup=setup)
    s = c.start()
    if s.rc != 0:
        die("start failed: %s" % tail(s.err))
    if not c.wait_output("ready"):
        die("container process did not start (no 'ready'): %s" % tail(c.stderr()))
    return c


def stopped(ctx):
    c = created(ctx, args=("/bin/true",))
    s = c.start()
    if s.rc != 0:
        die("start failed: %s" % tail(s.err))
    c.wait_exit()
    return c


def want_state(c, status):
    st = c.state()
    if st is None:
        die("state %s failed; expected status %r" % (c.id, status))
    if st.get("status") != status:
        die("status %r, expected %r" % (st.get("status"), status))
    return st


def marker_setup(ctx):
    """The process writes /out/ran into a host directory."""
    out = ctx.path("out")
    os.makedirs(out, exist_ok=True)

    def setup(c):
        c.bind("/out", out)
        c.sh("echo ran > /out/ran; exec /bin/checker sigwait")
    return out, setup


@register("basic.run", [(RT + "#runtimeLifecycle", "The runtime MUST run the user-specified program, as specified by process."), (RT + "#runtimeCreate", "This operation MUST create a new container."), (RT + "#runtimeOperations", "Unless otherwise stated, runtimes MUST support the following operations.")],
          note="The smoke test: create, start, wait, delete of the template bundle.  Negative tests count only for runtimes that pass it.")
def _(ctx):
    r = ctx.container().run()
    r.want("pid", 1)
    r.want("uid", 0)
    r.want("arg1", "info")


# --- state -----------------------------------------------------------------

@register("state.ociVersion", [S_STATE, (RT + "#runtimeState", "ociVersion (string, REQUIRED) is version of the Open Container Initiative Runtime Specification with which the state complies."), (CFG + "#configSpecificationVersion", "ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format")])
def _(ctx):
    st = want_state(created(ctx), "created")
    v = st.get("ociVersion")
    if not isinstance(v, str) or not SEMVER.match(v):
        die("ociVersion %r is not a SemVer string" % (v,))


@register("state.id", [(RT + "#runtimeState", "id (string, REQUIRED) is the container's ID."), S_QUERY])
def _(ctx):
    c = created(ctx)
    st = want_state(c, "created")
    if st.get("id") != c.id:
        die("id %r, expected %r" % (st.get("id"), c.id))


@register("state.status.created", [(RT + "#runtimeState", "created: the runtime has finished the create operation (after step 2 in the lifecycle), and the container process has neither exited nor executed the user-specified program")])
def _(ctx):
    want_state(created(ctx), "created")


@register("state.status.running", [(RT + "#runtimeState", "running: the container process has executed the user-specified program but has not exited (after step 8 in the lifecycle)")])
def _(ctx):
    want_state(running(ctx), "running")


@register("state.status.stopped", [(RT + "#runtimeState", "stopped: the container process has exited (step 10 in the lifecycle)")])
def _(ctx):
    want_state(stopped(ctx), "stopped")


@register("state.pid", [(RT + "#runtimeState", "pid (int, REQUIRED when status is created or running on Linux, OPTIONAL on other platforms) is the ID of the container process.")])
def _(ctx):
    c = created(ctx)
    st = want_state(c, "created")
    pid = st.get("pid")
    if not isinstance(pid, int) or pid <= 0 or not pid_alive(pid):
        die("pid %r in state `created` is not a live process" % (pid,))
    if ns_inode(pid, "uts") == ns_inode("self", "uts"):
        die("pid %d is not in the container's UTS namespace" % pid)
    c.start()
    c.wait_output("ready")
    st = want_state(c, "running")
    if st.get("pid") != pid:
        die("pid changed from %d to %r between created and running" % (pid, st.get("pid")))
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        if b"sigwait" not in f.read():
            die("pid %d is not the container process (cmdline)" % pid)


@register("state.bundle", [(RT + "#runtimeState", "bundle (string, REQUIRED) is the absolute path to the container's bundle directory.")])
def _(ctx):
    c = created(ctx)
    b = want_state(c, "created").get("bundle")
    if not isinstance(b, str) or not os.path.isabs(b) or not os.path.samefile(b, c.bundle):
        die("bundle %r, expected the absolute path %s" % (b, c.bundle))


@register("state.annotations", [(RT + "#runtimeState", "annotations (map, OPTIONAL) contains the list of annotations associated with the container."), (CFG + "#configAnnotations", "annotations (object, OPTIONAL) contains arbitrary metadata for the container.")])
def _(ctx):
    ann = {"org.example.vessel.key": "value", "com.example.empty": ""}
    c = created(ctx, setup=lambda c: c.patch({"annotations": ann}))
    got = want_state(c, "created").get("annotations")
    if got != ann:
        die("annotations %r, expected %r" % (got, ann))


@register("state.schema", [(RT + "#runtimeState", "When serialized in JSON, the format MUST adhere to the JSON Schema schema/state-schema.json.")])
def _(ctx):
    c = created(ctx)
    states = [want_state(c, "created")]
    c.start()
    c.wait_output("ready")
    states.append(want_state(c, "running"))
    c.kill("KILL")
    c.wait_exit()
    states.append(want_state(c, "stopped"))
    for st in states:
        for k, typ in (("ociVersion", str), ("id", str), ("status", str), ("bundle", str)):
            if not isinstance(st.get(k), typ):
                die("state %r lacks required %s (%s)" % (st, k, typ.__name__))
        if st["status"] not in ("creating", "created", "running", "stopped") and not st["status"]:
            die("bad status %r" % st["status"])
        if "pid" in st and (not isinstance(st["pid"], int) or isinstance(st["pid"], bool) or st["pid"] < 0):
            die("pid %r is not a non-negative integer" % st["pid"])
        ann = st.get("annotations")
        if ann is not None and (not isinstance(ann, dict) or
                                any(not isinstance(v, str) for v in ann.values())):
            die("annotations %r is not a map of strings" % (ann,))


@register("state.error.no_id", [(RT + "#runtimeQueryState", "This operation MUST generate an error if it is not provided the ID of a container.")], negative=True)
def _(ctx):
    c = ctx.rt.call("state")
    if c.rc == 0:
        die("`state` without an ID succeeded")


@register("state.error.nonexistent", [(RT + "#runtimeQueryState", "Attempting to query a container that does not exist MUST generate an error.")], negative=True)
def _(ctx):
    c = ctx.rt.call("state", "oci-no-such-container-%d" % os.getpid())
    if c.rc == 0:
        die("state of a nonexistent container succeeded: %s" % tail(c.out))


# --- create ----------------------------------------------------------------

@register("create.error.no_config", [(RT + "#runtimeCreate", "This operation MUST generate an error if it is not provided a path to the bundle and the container ID to associate with the container.")],
          note="runc's CLI defaults the bundle to the working directory, so this runs `create ID` in an empty directory.", negative=True)
def _(ctx):
    empty = ctx.path("empty")
    os.makedirs(empty, exist_ok=True)
    cid = "oci-nocfg-%s-%d" % (ctx.rt.name, os.getpid())
    c = ctx.rt.call("create", cid, cwd=empty)
    if c.rc == 0:
        ctx.rt.call("delete", "--force", cid)
        die("create without a bundle (no config.json in cwd) succeeded")
    if ctx.rt.call("state", cid).rc == 0:
        die("a container exists after the failed create")


@register("create.error.no_id", [(RT + "#runtimeCreate", "This operation MUST generate an error if it is not provided a path to the bundle and the container ID to associate with the container.")], negative=True)
def _(ctx):
    c = ctx.container()
    c.write()
    r = ctx.rt.call("create", "--bundle", c.bundle)
    if r.rc == 0:
        die("create without an ID succeeded")


@register("create.error.bundle_missing", [(RT + "#runtimeCreate", "This operation MUST generate an error if it is not provided a path to the bundle and the container ID to associate with the container.")], negative=True)
def _(ctx):
    cid = "oci-nobundle-%s-%d" % (ctx.rt.name, os.getpid())
    c = ctx.rt.call("create", "--bundle", ctx.path("does-not-exist"), cid)
    if c.rc == 0:
        ctx.rt.call("delete", "--force", cid)
        die("create with a nonexistent bundle succeeded")
    if ctx.rt.call("state", cid).rc == 0:
        die("a container exists after the failed create")


@register("create.error.duplicate_id", [(RT + "#runtimeState", "This MUST be unique across all containers on this host."), (RT + "#runtimeCreate", "If the ID provided is not unique across all containers within the scope of the runtime, or is not valid in any other way, the implementation MUST generate an error and a new container MUST NOT be created.")], negative=True)
def _(ctx):
    c = created(ctx)
    pid = c.pid
    d = ctx.container("dup")
    d.id = c.id
    d.write()
    r = ctx.rt.call("create", "--bundle", d.bundle, d.id)
    if r.rc == 0:
        die("second create with the same ID succeeded")
    st = want_state(c, "created")
    if st.get("pid") != pid or not pid_alive(pid):
        die("the first container changed after the duplicate create")


@register("create.error.invalid_id", [(RT + "#runtimeCreate", "If the ID provided is not unique across all containers within the scope of the runtime, or is not valid in any other way, the implementation MUST generate an error and a new container MUST NOT be created.")],
          note="An ID with '/' or '..' would name a path outside the state directory; runc and crun reject it.", negative=True)
def _(ctx):
    c = ctx.container()
    c.write()
    for bad in ("../oci-escape-%d" % os.getpid(), "a/b"):
        r = ctx.rt.call("create", "--bundle", c.bundle, bad)
        if r.rc == 0:
            ctx.rt.call("delete", "--force", bad)
            die("create accepted the ID %r" % bad)
    if os.path.exists(os.path.join(os.path.dirname(ctx.rt.root), "oci-escape-%d" % os.getpid())):
        die("the invalid ID created a directory outside --root")


@register("create.program_not_run", [(RT + "#runtimeLifecycle", "While the resources requested in the config.json MUST be created, the user-specified program (from process) MUST NOT be run at this time."), (RT + "#runtimeCreate", "process.args MUST NOT be applied until triggered by the start operation.")])
def _(ctx):
    out, setup = marker_setup(ctx)
    c = created(ctx, setup=setup)
    time.sleep(0.3)
    if os.path.exists(os.path.join(out, "ran")):
        die("the user program ran during create")
    want_state(c, "created")


@register("create.applies_config", [(RT + "#runtimeCreate", "All of the properties configured in config.json except for process MUST be applied. process.args MUST NOT be applied until triggered by the start operation."), (RT + "#runtimeLifecycle", "The container's runtime environment MUST be created according to the configuration in config.json.")])
def _(ctx):
    def setup(c):
        c.patch({"hostname": "created-host"})
        c.add_mount("/mnt/created", "tmpfs", "tmpfs", ["size=1m"])
        c.resources({"pids": {"limit": 42}})
    c = created(ctx, setup=setup)
    pid = c.pid
    if not pid:
        die("no pid in state")
    for ns in ("uts", "mnt", "pid", "net", "ipc"):
        if ns_inode(pid, ns) == ns_inode("self", ns):
            die("after create the container process is still in the host %s namespace" % ns)
    with open("/proc/%d/mountinfo" % pid) as f:
        mi = f.read()
    if " /mnt/created " not in mi:
        die("the tmpfs at /mnt/created is not mounted after create")
    import subprocess
    h = subprocess.run(["nsenter", "--target", str(pid), "--uts", "hostname"],
                       capture_output=True, text=True).stdout.strip()
    if h != "created-host":
        die("hostname after create is %r, expected 'created-host'" % h)
    with open("/proc/%d/cgroup" % pid) as f:
        cg = [l.split(":") for l in f.read().splitlines()]
    path = [p for _h, ctl, p in cg if "pids" in ctl.split(",")]
    if not path:
        die("container process not in a pids cgroup")
    from ocilib import cgroup_mounts
    found = None
    for mnt, root, fstype, ctrls in cgroup_mounts():
        if "pids" in ctrls and path[0].startswith(root.rstrip("/")):
            found = os.path.join(mnt, path[0][len(root.rstrip("/")):].lstrip("/"), "pids.max")
    if not found or not os.path.exists(found):
        die("cannot find the pids cgroup of the created container")
    with open(found) as f:
        v = f.read().strip()
    if v != "42":
        die("pids.max is %r after create, expected '42'" % v)


@register("create.config_change_ignored", [(RT + "#runtimeLifecycle", "Any updates to config.json after this step MUST NOT affect the container."), (RT + "#runtimeCreate", "Any changes made to the config.json file after this operation will not have an effect on the container.")])
def _(ctx):
    c = ctx.container()
    c.args("/bin/checker", "info")
    c.patch({"process": {"env": ["PATH=/bin", "PHASE=original"]}})
    cr = c.create()
    if cr.rc != 0:
        die("create failed: %s" % tail(cr.err))
    c.args("/bin/checker", "exit", "7")
    c.patch({"process": {"env": ["PATH=/bin", "PHASE=changed"]}})
    c.write()
    if c.start().rc != 0:
        die("start failed")
    c.wait_exit()
    r = Result(c.stdout())
    if "PHASE=original" not in r.all("env"):
        die("the process did not run with the config as of create: %s" % tail(c.stdout()))


@register("create.error.leaves_nothing", [(RT + "#runtimeLifecycle", "If the runtime is unable to create the environment specified in the config.json, it MUST generate an error."), (RT + "#runtimeErrors", "Unless otherwise stated, generating an error MUST leave the state of the environment as if the operation were never attempted - modulo any possible trivial ancillary changes such as logging."), (RT + "#runtimeCreate", "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created.")], negative=True)
def _(ctx):
    c = ctx.container()
    c.resources({"pids": {"limit": 10}})
    c.add_mount("/mnt/bad", "vessel-no-such-fs", "none", [])
    cr = c.create()
    if cr.rc == 0:
        die("create with a mount of an unknown filesystem type succeeded")
    if c.state() is not None:
        die("a container exists after the failed create")
    left = find_cgroup_dirs(c.id)
    if left:
        die("the failed create left cgroups behind: %s" % ", ".join(left))
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    cmd = f.read()
                if c.bundle.encode() in cmd or c.id.encode() in cmd:
                        die("process %s of the failed create is still running" % pid)
            except OSError:
                pass


# --- start -----------------------------------------------------------------

@register("start.runs_program", [(RT + "#runtimeStart", "This operation MUST run the user-specified program as specified by process."), (RT + "#runtimeLifecycle", "The runtime MUST run the user-specified program, as specified by process.")])
def _(ctx):
    out, setup = marker_setup(ctx)
    c = created(ctx, setup=setup)
    s = c.start()
    if s.rc != 0:
        die("start failed: %s" % tail(s.err))
    end = time.time() + 10
    while time.time() < end and not os.path.exists(os.path.join(out, "ran")):
        time.sleep(0.01)
    if not os.path.exists(os.path.join(out, "ran")):
        die("the program did not run after start")


@register("start.error.no_id", [(RT + "#runtimeStart", "This operation MUST generate an error if it is not provided the container ID.")], negative=True)
def _(ctx):
    if ctx.rt.call("start").rc == 0:
        die("`start` without an ID succeeded")


@register("start.error.nonexistent", [(RT + "#runtimeStart", "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error.")], negative=True)
def _(ctx):
    if ctx.rt.call("start", "oci-no-such-container-%d" % os.getpid()).rc == 0:
        die("start of a nonexistent container succeeded")


@register("start.error.running", [(RT + "#runtimeStart", "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error.")])
def _(ctx):
    c = running(ctx)
    pid = c.pid
    if c.start().rc == 0:
        die("start of a running container succeeded")
    time.sleep(0.1)
    st = want_state(c, "running")
    if st.get("pid") != pid or c.stdout().count("ready") != 1:
        die("the second start changed the container")


@register("start.error.stopped", [(RT + "#runtimeStart", "Attempting to start a container that is not created MUST have no effect on the container and MUST generate an error.")])
def _(ctx):
    c = stopped(ctx)
    if c.start().rc == 0:
        die("start of a stopped container succeeded")
    want_state(c, "stopped")


@register("start.error.no_process", [(RT + "#runtimeStart", "This operation MUST generate an error if process was not set."), (CFG + "#configProcess", "This property is REQUIRED when start is called.")], negative=True)
def _(ctx):
    c = ctx.container()
    del c.config["process"]
    ctx.expect_error(c, "run")


# --- kill ------------------------------------------------------------------

@register("kill.created", [(RT + "#runtimeKill", "This operation MUST send the specified signal to the container process.")])
def _(ctx):
    out, setup = marker_setup(ctx)
    c = created(ctx, setup=setup)
    pid = c.pid
    k = c.kill("KILL")
    if k.rc != 0:
        die("kill of a created container failed: %s" % tail(k.err))
    end = time.time() + 10
    while time.time() < end and pid_alive(pid):
        time.sleep(0.01)
    if pid_alive(pid):
        die("the container process survived SIGKILL")
    want_state(c, "stopped")
    if os.path.exists(os.path.join(out, "ran")):
        die("the user program ran")


@register("kill.running", [(RT + "#runtimeKill", "This operation MUST send the specified signal to the container process.")])
def _(ctx):
    c = running(ctx)
    k = c.kill("USR1")
    if k.rc != 0:
        die("kill USR1 failed: %s" % tail(k.err))
    c.wait_exit()
    if "signal 10" not in c.stdout():
        die("the process did not receive SIGUSR1: %s" % tail(c.stdout()))


@register("kill.term", [(RT + "#runtimeKill", "This operation MUST send the specified signal to the container process.")])
def _(ctx):
    c = running(ctx)
    if c.kill("TERM").rc != 0:
        die("kill TERM failed")
    c.wait_exit()
    if "signal 15" not in c.stdout():
        die("the process did not receive SIGTERM: %s" % tail(c.stdout()))


@register("kill.error.stopped", [(RT + "#runtimeKill", "Attempting to send a signal to a container that is neither created nor running MUST have no effect on the container and MUST generate an error.")])
def _(ctx):
    c = stopped(ctx)
    if c.kill("KILL").rc == 0:
        die("kill of a stopped container succeeded")
    want_state(c, "stopped")


@register("kill.error.nonexistent", [(RT + "#runtimeKill", "Attempting to send a signal to a container that is neither created nor running MUST have no effect on the container and MUST generate an error.")], negative=True)
def _(ctx):
    if ctx.rt.call("kill", "oci-no-such-container-%d" % os.getpid(), "KILL").rc == 0:
        die("kill of a nonexistent container succeeded")


@register("kill.error.no_id", [(RT + "#runtimeKill", "This operation MUST generate an error if it is not provided the container ID.")], negative=True)
def _(ctx):
    if ctx.rt.call("kill").rc == 0:
        die("`kill` without an ID succeeded")


# --- delete ----------------------------------------------------------------

@register("delete.stopped", [(RT + "#runtimeDelete", "Deleting a container MUST delete the resources that were created during the create step."), (RT + "#runtimeLifecycle", "The container MUST be destroyed by undoing the steps performed during create phase (step 2).")])
def _(ctx):
    c = ctx.container()
    c.args("/bin/true")
    c.resources({"pids": {"limit": 100}})
    if c.create().rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    c.start()
    c.wait_exit()
    before = find_cgroup_dirs(c.id)
    if not before:
        die("no cgroup was created for the container")
    d = c.delete()
    if d.rc != 0:
        die("delete failed: %s" % tail(d.err))
    if c.state() is not None:
        die("state still succeeds after delete")
    left = [p for p in before if os.path.exists(p)]
    if left:
        die("delete left cgroups behind: %s" % ", ".join(left))


@register("delete.error.created", [(RT + "#runtimeDelete", "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error.")],
          note="runc and crun delete a created container without --force (runc CLI semantics), which the spec forbids.")
def _(ctx):
    c = created(ctx)
    pid = c.pid
    if c.delete().rc == 0:
        die("delete of a created container succeeded")
    st = want_state(c, "created")
    if st.get("pid") != pid or not pid_alive(pid):
        die("the created container changed")


@register("delete.error.running", [(RT + "#runtimeDelete", "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error.")])
def _(ctx):
    c = running(ctx)
    pid = c.pid
    if c.delete().rc == 0:
        die("delete of a running container succeeded")
    st = want_state(c, "running")
    if st.get("pid") != pid or not pid_alive(pid):
        die("the running container changed")


@register("delete.error.nonexistent", [(RT + "#runtimeDelete", "Attempting to delete a container that is not stopped MUST have no effect on the container and MUST generate an error.")], negative=True)
def _(ctx):
    if ctx.rt.call("delete", "oci-no-such-container-%d" % os.getpid()).rc == 0:
        die("delete of a nonexistent container succeeded")


@register("delete.error.no_id", [(RT + "#runtimeDelete", "This operation MUST generate an error if it is not provided the container ID.")], negative=True)
def _(ctx):
    if ctx.rt.call("delete").rc == 0:
        die("`delete` without an ID succeeded")


@register("delete.keeps_foreign_resources", [(RT + "#runtimeDelete", "Note that resources associated with the container, but not created by this container, MUST NOT be deleted.")])
def _(ctx):
    import subprocess
    holder = subprocess.Popen(["unshare", "--net", "--uts", "sleep", "300"])
    ctx.on_cleanup(lambda: (holder.kill(), holder.wait()))
    time.sleep(0.1)
    data = ctx.path("data")
    os.makedirs(data, exist_ok=True)
    with open(os.path.join(data, "keep"), "w") as f:
        f.write("keep")
    c = ctx.container()
    c.set_ns("network", "/proc/%d/ns/net" % holder.pid)
    c.bind("/data", data)
    c.args("/bin/true")
    net = ns_inode(holder.pid, "net")
    c.run()
    if holder.poll() is not None or ns_inode(holder.pid, "net") != net:
        die("delete disturbed the process whose network namespace the container joined")
    if not os.path.exists(os.path.join(data, "keep")):
        die("delete removed files of a bind-mounted host directory")


# --- runtime-linux -----------------------------------------------------------

@register("linux.dev_symlinks", [(RTL + "#runtimeLinuxDevSymbolicLinks", "While creating the container (step 2 in the lifecycle), runtimes MUST create the following symlinks if the source file exists after processing mounts: /proc/self/fd -> /dev/fd, /proc/self/fd/0 -> /dev/stdin, /proc/self/fd/1 -> /dev/stdout, /proc/self/fd/2 -> /dev/stderr")])
def _(ctx):
    c = ctx.container()
    c.args("/bin/checker", "stat", "/dev/fd", "/dev/stdin", "/dev/stdout", "/dev/stderr")
    r = c.run()
    want = {"/dev/fd": "/proc/self/fd", "/dev/stdin": "/proc/self/fd/0",
            "/dev/stdout": "/proc/self/fd/1", "/dev/stderr": "/proc/self/fd/2"}
    for path, target in want.items():
        line = [l for l in r.all("stat") if l.startswith(path + " ")]
        if not line or " link " not in line[0] or not line[0].endswith("-> " + target):
            die("%s is not a symlink to %s: %s" % (path, target, line))


@register("linux.fds", [(RTL + "#runtimeLinuxFileDescriptors", "By default, only the stdin, stdout and stderr file descriptors are kept open for the application by the runtime.")])
def _(ctx):
    c = ctx.container()
    c.args("/bin/checker", "fds")
    r = c.run()
    if r.get("fds") != "0 1 2":
        die("open fds %r, expected '0 1 2'" % r.get("fds"))
