"""Robustness asked by issue 8: "State kept under --root so a crashed
runtime never leaves an unrecoverable container: delete --force always
cleans up (processes, cgroups, mounts), and state files are written
atomically."  Plus what orchestrators do concurrently."""
import os
import signal
import subprocess
import threading
import time

from ocilib import die, find_cgroup_dirs, pid_alive, run_cmd, tail
from suite import ISSUE, RT, register

S_CRASH = (ISSUE, "State kept under --root so a crashed runtime never leaves an unrecoverable container: delete --force always cleans up (processes, cgroups, mounts), and state files are written atomically.")


def processes_in(rootfs):
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            root = os.readlink("/proc/%s/root" % pid)
        except OSError:
            continue
        if root.startswith(rootfs) and pid_alive(int(pid)):
            found.append(int(pid))
    return found


def cgroup_pids(cid):
    pids = set()
    for d in find_cgroup_dirs(cid):
        try:
            with open(os.path.join(d, "cgroup.procs")) as f:
                pids |= {int(x) for x in f.read().split()}
        except OSError:
            pass
    return pids


def kill_all(c):
    """Harness safety net: whatever a crashed runtime left, goes."""
    for _ in range(3):
        for p in set(processes_in(c.rootfs)) | cgroup_pids(c.id):
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def leftovers(c):
    left = ["cgroup " + d for d in find_cgroup_dirs(c.id)]
    left += ["process %d" % p for p in set(processes_in(c.rootfs)) | cgroup_pids(c.id)]
    if c.state() is not None:
        left.append("state")
    return left


@register("robust.external_kill", [S_CRASH, (RT + "#runtimeState", "stopped: the container process has exited")])
def _(ctx):
    """The container process is SIGKILLed from the host (not through the
    runtime): the runtime reports stopped and deletes it cleanly."""
    c = ctx.container()
    c.resources({"pids": {"limit": 20}})
    c.args("/bin/checker", "sigwait")
    if c.create().rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    if c.start().rc != 0 or not c.wait_output("ready"):
        die("start failed")
    os.kill(c.pid, signal.SIGKILL)
    c.wait_exit()
    d = c.delete()
    if d.rc != 0:
        die("delete after an external kill failed: %s" % tail(d.err))
    time.sleep(0.1)
    left = leftovers(c)
    if left:
        die("left behind: %s" % ", ".join(left))


def crash_test(delay_ms):
    @register("robust.crash_during_create.%dms" % delay_ms, [S_CRASH], level="ISSUE",
              note="SIGKILL the `create` process (and its process group) %d ms after it starts; then `delete --force ID` must leave no state, process or cgroup.  Where the kill lands varies from run to run." % delay_ms)
    def _(ctx):
        c = ctx.container()
        ctx.on_cleanup(lambda: kill_all(c))
        c.resources({"pids": {"limit": 20}})
        c.args("/bin/checker", "sigwait")
        c.write()
        with open(c.out_path, "ab") as out:
            p = subprocess.Popen(ctx.rt.argv("create", "--bundle", c.bundle, c.id),
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                                 start_new_session=True)
        time.sleep(delay_ms / 1000.0)
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        c.created = True
        d = ctx.rt.call("delete", "--force", c.id)
        time.sleep(0.2)
        left = leftovers(c)
        if left:
            die("after a crash in create and delete --force (rc %s: %s): %s" % (
                d.rc, tail(d.err, 150), ", ".join(left)))
        # The ID is usable again.
        c2 = ctx.container("again")
        c2.id = c.id
        c2.args("/bin/true")
        c2.run()
        del p


for ms in (2, 10, 30):
    crash_test(ms)


@register("robust.concurrent_same_id", [S_CRASH, (RT + "#runtimeCreate", "If the ID provided is not unique across all containers within the scope of the runtime ... the implementation MUST generate an error and a new container MUST NOT be created.")])
def _(ctx):
    """Four creates of one ID at once: exactly one wins, its state is whole."""
    cs = []
    for i in range(4):
        c = ctx.container("n%d" % i)
        c.id = cs[0].id if cs else c.id
        c.args("/bin/checker", "sigwait")
        c.write()
        cs.append(c)
    results = [None] * 4

    def go(i):
        results[i] = run_cmd(ctx.rt.argv("create", "--bundle", cs[i].bundle, cs[i].id))
    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    cs[0].created = True
    ok = [i for i, r in enumerate(results) if r.rc == 0]
    if len(ok) != 1:
        die("%d of 4 concurrent creates of one ID succeeded" % len(ok))
    st = cs[0].state()
    if not st or st.get("status") != "created" or not os.path.samefile(st.get("bundle", "/"), cs[ok[0]].bundle):
        die("state after the race: %s (winner bundle %s)" % (st, cs[ok[0]].bundle))
    losers = [p for i in range(4) if i != ok[0] for p in processes_in(cs[i].rootfs)]
    if losers:
        die("the losing creates left processes: %s" % losers)


@register("robust.concurrent_creates", [(RT + "#runtimeScopeContainer", "The entity using a runtime to create a container MUST be able to use the operations defined in this specification against that same container.")])
def _(ctx):
    """Six containers created, started and deleted at once in one --root."""
    cs = []
    for i in range(6):
        c = ctx.container("p%d" % i)
        c.args("/bin/true")
        cs.append(c)
    errors = []

    def go(c):
        try:
            c.run()
        except Exception as e:
            errors.append("%s: %s" % (c.id, e))
    threads = [threading.Thread(target=go, args=(c,)) for c in cs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        die("; ".join(errors))
