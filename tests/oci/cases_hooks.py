"""POSIX-platform hooks: every kind, when and in which order they run, the
state on their stdin, their namespace, args and env, failures, timeouts
(config.md#posix-platform-hooks, runtime.md#lifecycle).

Every hook runs the same shell script: it appends its label to a shared
log, saves its stdin, its namespaces and, given the container pid from the
state, the container's root and mounts.  Runtime-namespace hooks use the
host's /bin/sh and write to the test's host directory; startContainer
hooks run /hooks/hook.sh inside the rootfs (busybox) and write to /out, a
bind of the same directory."""
import json
import os
import time

from ocilib import die, ns_inode, pid_alive, tail
from suite import CFG, RT, register

KINDS = ["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"]
CREATE_KINDS = KINDS[:3]
RUNTIME_NS = ["prestart", "createRuntime", "poststart", "poststop"]

SCRIPT = r"""#!/bin/sh
label="$1"; code="${2:-0}"; out="%s"
echo "$label" >> "$out/log"
cat > "$out/$label.state"
for n in mnt uts pid net; do echo "$n $(readlink /proc/self/ns/$n)"; done > "$out/$label.ns"
echo "$*" > "$out/$label.args"
env > "$out/$label.env"
pid=$(sed -n 's/.*"pid": *\([0-9][0-9]*\).*/\1/p' "$out/$label.state")
if [ -n "$pid" ] && [ -e "/proc/$pid" ]; then
    readlink "/proc/$pid/root" > "$out/$label.root"
    readlink "/proc/$pid/ns/uts" > "$out/$label.cuts"
    cat "/proc/$pid/mountinfo" > "$out/$label.mi"
fi
if [ "$3" = sleep ]; then sleep 12; fi
exit "$code"
"""

HOOK_ENV = ["PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOOKVAR=hook-env-value"]


class Hooks:
    """Hook scripts and the config entries that call them."""

    def __init__(self, ctx, c):
        self.ctx, self.c = ctx, c
        self.out = ctx.path("out")
        os.makedirs(self.out, exist_ok=True)
        os.chmod(self.out, 0o777)
        self.host_script = ctx.path("hook.sh")
        with open(self.host_script, "w") as f:
            f.write(SCRIPT % self.out)
        os.chmod(self.host_script, 0o755)
        os.makedirs(os.path.join(c.rootfs, "hooks"), exist_ok=True)
        with open(os.path.join(c.rootfs, "hooks", "hook.sh"), "w") as f:
            f.write(SCRIPT % "/out")
        os.chmod(os.path.join(c.rootfs, "hooks", "hook.sh"), 0o755)
        c.bind("/out", self.out)
        c.config.setdefault("hooks", {})

    def add(self, kind, label=None, code=0, sleep=False, timeout=None, path=None):
        script = "/hooks/hook.sh" if kind == "startContainer" else self.host_script
        h = {"path": path or script,
             "args": [script, label or kind, str(code)] + (["sleep"] if sleep else []),
             "env": HOOK_ENV}
        if timeout is not None:
            h["timeout"] = timeout
        self.c.config["hooks"].setdefault(kind, []).append(h)

    def all_kinds(self):
        for k in KINDS:
            self.add(k, k + "1")
            self.add(k, k + "2")

    def log(self):
        try:
            with open(os.path.join(self.out, "log")) as f:
                return f.read().split()
        except OSError:
            return []

    def read(self, label, what):
        try:
            with open(os.path.join(self.out, "%s.%s" % (label, what))) as f:
                return f.read()
        except OSError:
            return None

    def state(self, label):
        s = self.read(label, "state")
        if s is None:
            die("hook %s did not run (no saved stdin)" % label)
        try:
            return json.loads(s)
        except ValueError:
            die("hook %s got no JSON state on stdin: %r" % (label, s[:200]))

    def ns(self, label):
        s = self.read(label, "ns") or ""
        return {l.split()[0]: l.split()[1] for l in s.splitlines() if len(l.split()) == 2}


def full_run(ctx):
    """Runs a container with two hooks of every kind; returns the Hooks and
    the log as it stood after create, start and delete."""
    c = ctx.container()
    h = Hooks(ctx, c)
    h.all_kinds()
    c.add_mount("/mnt/hooktmp", "tmpfs", "tmpfs", ["size=1m"])
    c.args("/bin/checker", "sigwait")
    cr = c.create()
    if cr.rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    after_create = h.log()
    h.pid = c.pid
    h.uts = ns_inode(c.pid, "uts")
    h.mnt = ns_inode(c.pid, "mnt")
    s = c.start()
    if s.rc != 0:
        die("start failed: %s" % tail(s.err))
    after_start = h.log()
    c.wait_output("ready")
    c.kill("KILL")
    c.wait_exit()
    d = c.delete()
    if d.rc != 0:
        die("delete failed: %s" % tail(d.err))
    return h, c, after_create, after_start, h.log()


S_ORDER = (CFG + "#configHooks", "Hooks MUST be called in the listed order.")
S_STDIN = (CFG + "#configHooks", "The state of the container MUST be passed to hooks over stdin so that they may do work appropriate to the current state of the container.")
S_WHEN = {
    "prestart": (CFG + "#configHooksPrestart", "The prestart hooks MUST be called as part of the create operation after the runtime environment has been created (according to the configuration in config.json) but before the pivot_root or any equivalent operation has been executed. The prestart hooks MUST be called before the createRuntime hooks."),
    "createRuntime": (CFG + "#configHooksCreateRuntime", "The createRuntime hooks MUST be called as part of the create operation after the runtime environment has been created (according to the configuration in config.json) but before the pivot_root or any equivalent operation has been executed."),
    "createContainer": (CFG + "#configHooksCreateContainer", "The createContainer hooks MUST be called as part of the create operation after the runtime environment has been created (according to the configuration in config.json) but before the pivot_root or any equivalent operation has been executed. The createContainer hooks MUST be called after the createRuntime hooks."),
    "startContainer": (CFG + "#configHooksStartContainer", "The startContainer hooks MUST be called before the user-specified process is executed as part of the start operation."),
    "poststart": (CFG + "#configHooksPoststart", "The poststart hooks MUST be called after the user-specified process is executed but before the start operation returns."),
    "poststop": (CFG + "#configHooksPoststop", "The poststop hooks MUST be called after the container is deleted but before the delete operation returns."),
}
S_LIFE = {
    "prestart": (RT + "#runtimeLifecycle", "The prestart hooks MUST be invoked by the runtime."),
    "createRuntime": (RT + "#runtimeLifecycle", "The createRuntime hooks MUST be invoked by the runtime."),
    "createContainer": (RT + "#runtimeLifecycle", "The createContainer hooks MUST be invoked by the runtime."),
    "startContainer": (RT + "#runtimeLifecycle", "The startContainer hooks MUST be invoked by the runtime."),
    "poststart": (RT + "#runtimeLifecycle", "The poststart hooks MUST be invoked by the runtime."),
    "poststop": (RT + "#runtimeLifecycle", "The poststop hooks MUST be invoked by the runtime."),
}
S_NS = {
    "prestart": (CFG + "#configHooks", "The prestart hooks MUST be executed in the runtime namespace."),
    "createRuntime": (CFG + "#configHooks", "The createRuntime hooks MUST be executed in the runtime namespace."),
    "createContainer": (CFG + "#configHooks", "The createContainer hooks MUST be executed in the container namespace."),
    "startContainer": (CFG + "#configHooks", "The startContainer hooks MUST be executed in the container namespace. The value of path MUST resolve in the container namespace."),
    "poststart": (CFG + "#configHooks", "The poststart hooks MUST be executed in the runtime namespace."),
    "poststop": (CFG + "#configHooks", "The poststop hooks MUST be executed in the runtime namespace."),
}
PHASE = {"prestart": 0, "createRuntime": 0, "createContainer": 0, "startContainer": 1,
         "poststart": 1, "poststop": 2}


def called_test(kind):
    def fn(ctx):
        h, c, after_create, after_start, after_delete = full_run(ctx)
        phases = [after_create, after_start, after_delete]
        want = [kind + "1", kind + "2"]
        got = [l for l in after_delete if l.startswith(kind)]
        if got != want:
            die("%s hooks ran as %s, expected %s in order" % (kind, got, want))
        ph = PHASE[kind]
        for i, log in enumerate(phases):
            present = [l for l in log if l.startswith(kind)]
            if i < ph and present:
                die("%s hooks ran too early (before %s returned)" % (kind, ["create", "start", "delete"][i]))
            if i >= ph and present != want:
                die("%s hooks had not run when %s returned (log %s)" % (kind, ["create", "start", "delete"][ph], log))
    where = "container" if kind == "startContainer" else "runtime"
    register("hooks.%s.called" % kind,
             [S_LIFE[kind], S_WHEN[kind], S_ORDER,
              (CFG + "#configHooks", "The %s hooks' path MUST resolve in the %s namespace." % (kind, where)),
              (CFG + "#configHooks", "The value of path MUST resolve in the %s namespace." % where)],
             note="The runtime-namespace hooks are scripts that exist only on the host; startContainer's only in the rootfs.")(fn)


for k in KINDS:
    called_test(k)


@register("hooks.order", [S_ORDER] + [S_WHEN[k] for k in ("prestart", "createContainer")])
def _(ctx):
    h, c, _a, _b, log = full_run(ctx)
    want = [k + n for k in KINDS for n in "12"]
    if log != want:
        die("hook order %s, expected %s" % (log, want))


def state_test(kind):
    def fn(ctx):
        h, c, *_ = full_run(ctx)
        for n in "12":
            st = h.state(kind + n)
            if st.get("id") != c.id or not isinstance(st.get("ociVersion"), str):
                die("%s state lacks id/ociVersion: %s" % (kind, st))
            if not isinstance(st.get("bundle"), str) or not os.path.samefile(st["bundle"], c.bundle):
                die("%s state bundle %r" % (kind, st.get("bundle")))
            status = st.get("status")
            want = {"poststart": ["running"], "poststop": ["stopped"],
                    "startContainer": ["created", "creating"]}.get(kind, ["creating", "created"])
            if status not in want:
                die("%s state status %r, expected %s" % (kind, status, " or ".join(want)))
            if kind != "poststop":
                want_pid = 1 if kind in ("createContainer", "startContainer") else h.pid
                if st.get("pid") != want_pid:
                    die("%s state pid %r, expected %s (%s)" % (
                        kind, st.get("pid"), want_pid,
                        "as seen in the container" if want_pid == 1 else "as seen by the runtime"))
    register("hooks.%s.state" % kind,
             [S_STDIN, (RT + "#runtimeState", "pid (int, REQUIRED when status is created or running on Linux) ... For hooks executed in the runtime namespace, it is the pid as seen by the runtime. For hooks executed in the container namespace, it is the pid as seen by the container.")],
             note="Status expected: creating/created before start, created/creating for startContainer, running for poststart, stopped for poststop.")(fn)


for k in KINDS:
    state_test(k)


def ns_test(kind):
    def fn(ctx):
        h, c, *_ = full_run(ctx)
        ns = h.ns(kind + "1")
        if not ns:
            die("%s hook did not record its namespaces" % kind)
        host_uts = "uts:[%d]" % ns_inode("self", "uts")
        host_net = "net:[%d]" % ns_inode("self", "net")
        if kind in RUNTIME_NS:
            if ns.get("uts") != host_uts or ns.get("net") != host_net:
                die("%s hook ran in %s/%s, not the runtime's %s/%s" % (kind, ns.get("uts"), ns.get("net"), host_uts, host_net))
        else:
            if ns.get("uts") != "uts:[%d]" % h.uts:
                die("%s hook ran in %s, not the container's uts:[%d]" % (kind, ns.get("uts"), h.uts))
            if ns.get("mnt") != "mnt:[%d]" % h.mnt:
                die("%s hook ran in %s, not the container's mnt:[%d]" % (kind, ns.get("mnt"), h.mnt))
    register("hooks.%s.namespace" % kind, [S_NS[kind]])(fn)


for k in KINDS:
    ns_test(k)


def before_pivot_test(kind):
    def fn(ctx):
        h, c, *_ = full_run(ctx)
        mi = h.read(kind + "1", "mi")
        root = h.read(kind + "1", "root")
        if mi is None or root is None:
            die("%s hook could not see the container process (pid from its state)" % kind)
        if "/mnt/hooktmp" not in mi:
            die("the config's mounts were not in place when the %s hook ran" % kind)
        if root.strip() != "/":
            die("pivot_root had already happened when the %s hook ran (root %s)" % (kind, root.strip()))
        if h.read(kind + "1", "cuts") != "uts:[%d]\n" % h.uts:
            die("the container's namespaces did not exist yet when the %s hook ran" % kind)
    register("hooks.%s.environment_ready" % kind, [S_WHEN[kind]])(fn)


for k in ("prestart", "createRuntime"):
    before_pivot_test(k)


@register("hooks.args_env", [(CFG + "#configHooks", "args (array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008 execv's argv. env (array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008's environ.")])
def _(ctx):
    h, c, *_ = full_run(ctx)
    for kind in KINDS:
        args = (h.read(kind + "1", "args") or "").split()
        if args[:2] != [kind + "1", "0"]:
            die("%s hook args %s, expected %s" % (kind, args, [kind + "1", "0"]))
        env = (h.read(kind + "1", "env") or "").splitlines()
        if "HOOKVAR=hook-env-value" not in env:
            die("%s hook env lacks HOOKVAR: %s" % (kind, env))
        if any(e.startswith("VESSEL_OCI_HARNESS=") for e in env):
            die("%s hook inherited the runtime's environment instead of env" % kind)


@register("hooks.path.relative", [(CFG + "#configHooks", "path (string, REQUIRED) with similar semantics to IEEE Std 1003.1-2008 execv's path. This specification extends the IEEE standard in that path MUST be absolute.")],
          negative=True)
def _(ctx):
    c = ctx.container()
    h = Hooks(ctx, c)
    h.add("createRuntime", path="bin/true")
    ctx.expect_error(c)


@register("hooks.timeout.zero", [(CFG + "#configHooks", "timeout (int, OPTIONAL) is the number of seconds before aborting the hook. If set, timeout MUST be greater than zero.")],
          negative=True)
def _(ctx):
    c = ctx.container()
    h = Hooks(ctx, c)
    h.add("createRuntime", timeout=0)
    ctx.expect_error(c)


@register("hooks.timeout", [(CFG + "#configHooks", "timeout (int, OPTIONAL) is the number of seconds before aborting the hook."), S_LIFE["createRuntime"], (RT + "#runtimeLifecycle", "If any createRuntime hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12.")],
          slow=True, negative=True)
def _(ctx):
    c = ctx.container()
    h = Hooks(ctx, c)
    h.add("createRuntime", sleep=True, timeout=1)
    t0 = time.monotonic()
    cr = c.create(timeout=40)
    secs = time.monotonic() - t0
    if cr.rc == 0:
        die("create succeeded although its createRuntime hook timed out")
    if secs > 8:
        die("create took %.0fs; the 1s hook timeout was not enforced (the hook sleeps 12s)" % secs)


def fail_test(kind, op):
    def fn(ctx):
        c = ctx.container()
        h = Hooks(ctx, c)
        marker = os.path.join(h.out, "program-ran")
        h.add(kind, kind, code=1)
        h.add("poststop", "poststop")
        c.sh("echo ran > /out/program-ran; exec /bin/checker sigwait")
        cr = c.create()
        if op == "create":
            if cr.rc == 0:
                die("create succeeded although a %s hook failed" % kind)
        else:
            if cr.rc != 0:
                die("create failed: %s" % tail(c.stderr()))
            s = c.start()
            if s.rc == 0:
                die("start succeeded although a %s hook failed" % kind)
        time.sleep(0.2)
        if kind != "poststart" and os.path.exists(marker):
            die("the user program ran although the %s hook failed" % kind)
        if c.pid and pid_alive(c.pid):
            die("the container process is still running (not stopped)")
        if c.state() is not None:
            die("the container still exists: a failed %s hook must destroy it (lifecycle step 12)" % kind)
        if "poststop" not in h.log():
            die("poststop hooks did not run after the failed %s hook (lifecycle step 13): log %s" % (kind, h.log()))
    register("hooks.%s.failure" % kind,
             [(RT + "#runtimeLifecycle", "If any %s hook fails, the runtime MUST generate an error, stop the container, and continue the lifecycle at step 12." % kind),
              (RT + "#runtimeLifecycle", "12. The container MUST be destroyed by undoing the steps performed during create phase (step 2). 13. The poststop hooks MUST be invoked by the runtime.")])(fn)


for k, op in (("prestart", "create"), ("createRuntime", "create"), ("createContainer", "create"),
              ("startContainer", "start"), ("poststart", "start")):
    fail_test(k, op)


@register("hooks.poststop.failure_warns", [(RT + "#runtimeLifecycle", "If any poststop hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue as if the hook had succeeded.")])
def _(ctx):
    c = ctx.container()
    h = Hooks(ctx, c)
    h.add("poststop", "poststop1", code=1)
    h.add("poststop", "poststop2")
    c.args("/bin/true")
    if c.create().rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    c.start()
    c.wait_exit()
    d = c.delete()
    if d.rc != 0:
        die("delete failed because a poststop hook failed: %s" % tail(d.err))
    if h.log() != ["poststop1", "poststop2"]:
        die("poststop hooks ran as %s, expected both" % h.log())
    if c.state() is not None:
        die("the container still exists after delete")


@register("hooks.startContainer.path_in_container", [S_NS["startContainer"]])
def _(ctx):
    """/hooks/hook.sh exists only inside the rootfs."""
    h, c, *_ = full_run(ctx)
    if os.path.exists("/hooks/hook.sh"):
        die("test setup: /hooks/hook.sh exists on the host")
    if "startContainer1" not in h.log():
        die("the startContainer hook at a container path did not run")
