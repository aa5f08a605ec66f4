"""linux.resources and cgroupsPath (config-linux.md#control-groups).

The host's cgroup hierarchies are bind-mounted read-only at /sys/fs/cgroup
and the checker reads its own cgroup's files (it finds them from
/proc/self/cgroup and /proc/self/mountinfo), so these tests work on cgroup
v1, v2 and hybrid hosts alike.  Where this host may lack a controller or a
file (blkio weights without BFQ, net_cls, rdma, hugetlb on v1), the test
accepts either the value in place or an error from create: the spec
requires one or the other ("If the runtime cannot apply a property as
specified in the configuration, it MUST generate an error").
"""
import os

from ocilib import CGROUP_PREFIX, Result, die, tail
from suite import LNX, RT, inside, register

S_CG = (LNX + "#configLinuxControlGroups", "cgroups provide controls (through controllers) to restrict cpu, memory, IO, pids, network and RDMA resources for the container.")
S_CGPATH = (LNX + "#configLinuxCgroupsPath", "The cgroups will be created if they don't exist. You can configure a container's cgroups via the resources field of the Linux configuration.")
S_APPLY = (RT + "#runtimeCreate", "If the runtime cannot apply a property as specified in the configuration, it MUST generate an error and a new container MUST NOT be created.")


def block_device():
    """major:minor of a real disk of this host (throttling needs one)."""
    for name in sorted(os.listdir("/sys/block")):
        if name.startswith(("loop", "ram", "zram")):
            continue
        with open("/sys/block/%s/dev" % name) as f:
            return f.read().strip()
    return None


def reads_script(reads):
    by = {}
    for ctl, fname, _ in reads:
        by.setdefault(ctl, []).append(fname)
    return "; ".join("/bin/checker cg %s %s" % (ctl, " ".join(fs)) for ctl, fs in by.items())


def cg_values(r):
    vals = {}
    for v in r.all("cg"):
        k, _, val = v.partition(" ")
        vals[k] = val
    return vals


def cg_test(name, spec, resources, reads, either=False, extra=None, level="MUST",
            cgpath=None, needs=None, note=None):
    """resources -> linux.resources; reads: [(controller, file, expected)].
    either=True: create may fail instead, and any one read matching is
    enough (alternative files for one setting)."""
    def fn(ctx):
        c = ctx.container()
        res = resources() if callable(resources) else resources
        if res is None:
            from ocilib import Skip
            raise Skip("no block device on this host")
        c.resources(res)
        if cgpath:
            c.linux()["cgroupsPath"] = cgpath(c)
        c.host_cgroups()
        script = reads_script(reads)
        if extra:
            script += "; " + extra[0]
        c.sh(script)
        if either:
            cr = c.create()
            if cr.rc != 0:
                if c.state() is not None:
                    die("create failed but the container exists")
                return
            if c.start().rc != 0:
                die("start failed: %s" % tail(c.stderr()))
            c.wait_exit()
            c.delete()
            r = Result(c.stdout())
        else:
            r = c.run()
        vals = cg_values(r)
        got = [(f, vals.get(f)) for _c, f, _e in reads]
        ok = [vals.get(f) == str(e) for _c, f, e in reads]
        if (either and not any(ok)) or (not either and not all(ok)):
            die("cgroup files %s, expected %s%s" % (got, [(f, str(e)) for _c, f, e in reads],
                                                    " (any one)" if either else ""))
        if extra:
            extra[1](r)
    register(name, spec + [S_CG] + ([S_APPLY] if either else []), level, note, needs,
             negative=either)(fn)


MEM = (LNX + "#configLinuxMemory", "memory (object, OPTIONAL) represents the cgroup subsystem memory and it's used to set limits on the container's memory usage. Values for memory specify the limit in bytes, or -1 for unlimited memory.")
M64, M32, M128 = 64 << 20, 32 << 20, 128 << 20

cg_test("cgroups.memory.limit", [MEM, (LNX + "#configLinuxMemory", "limit (int64, OPTIONAL) - sets limit of memory usage")],
        {"memory": {"limit": M64}}, [("memory", "memory.limit_in_bytes", M64)])
cg_test("cgroups.memory.limit_unlimited", [MEM],
        {"memory": {"limit": -1}}, [("memory", "memory.limit_in_bytes", 9223372036854771712)])
cg_test("cgroups.memory.reservation", [MEM, (LNX + "#configLinuxMemory", "reservation (int64, OPTIONAL) - sets soft limit of memory usage")],
        {"memory": {"limit": M64, "reservation": M32}}, [("memory", "memory.soft_limit_in_bytes", M32)])
cg_test("cgroups.memory.swap", [MEM, (LNX + "#configLinuxMemory", "swap (int64, OPTIONAL) - sets limit of memory+Swap usage")],
        {"memory": {"limit": M64, "swap": M128}}, [("memory", "memory.memsw.limit_in_bytes", M128)])
cg_test("cgroups.memory.swappiness", [MEM, (LNX + "#configLinuxMemory", "swappiness (uint64, OPTIONAL) - sets swappiness parameter of vmscan")],
        {"memory": {"swappiness": 20}}, [("memory", "memory.swappiness", 20)])
cg_test("cgroups.memory.disableOOMKiller", [MEM, (LNX + "#configLinuxMemory", "disableOOMKiller (bool, OPTIONAL) - enables or disables the OOM killer. To disable it, specify a value of true.")],
        {"memory": {"limit": M64, "disableOOMKiller": True}}, [("memory", "memory.oom_control", "oom_kill_disable 1")])
cg_test("cgroups.memory.useHierarchy", [MEM, (LNX + "#configLinuxMemory", "useHierarchy (bool, OPTIONAL) - enables or disables hierarchical memory accounting.")],
        {"memory": {"useHierarchy": True}}, [("memory", "memory.use_hierarchy", 1)])

CPU = (LNX + "#configLinuxCPU", "cpu (object, OPTIONAL) represents the cgroup subsystems cpu and cpusets.")
cg_test("cgroups.cpu.shares", [CPU, (LNX + "#configLinuxCPU", "shares (uint64, OPTIONAL) - specifies a relative share of CPU time available to the tasks in a cgroup")],
        {"cpu": {"shares": 512}}, [("cpu", "cpu.shares", 512)])
cg_test("cgroups.cpu.quota_period", [CPU, (LNX + "#configLinuxCPU", "quota (int64, OPTIONAL) - specifies the total amount of time in microseconds for which all tasks in a cgroup can run during one period. period (uint64, OPTIONAL) - specifies a period of time in microseconds")],
        {"cpu": {"quota": 50000, "period": 100000}},
        [("cpu", "cpu.cfs_quota_us", 50000), ("cpu", "cpu.cfs_period_us", 100000)])
cg_test("cgroups.cpu.burst", [CPU, (LNX + "#configLinuxCPU", "burst (uint64, OPTIONAL) - specifies the maximum amount of accumulated time in microseconds for which all tasks in a cgroup can run additionally for burst during one period")],
        {"cpu": {"quota": 50000, "period": 100000, "burst": 10000}}, [("cpu", "cpu.cfs_burst_us", 10000)])
cg_test("cgroups.cpu.realtime", [CPU, (LNX + "#configLinuxCPU", "realtimeRuntime (int64, OPTIONAL) - specifies a period of time in microseconds for the longest continuous period in which the tasks in a cgroup have access to CPU resources. realtimePeriod (uint64, OPTIONAL) - same as period but applies to realtime scheduler only")],
        {"cpu": {"realtimeRuntime": 1000, "realtimePeriod": 100000}},
        [("cpu", "cpu.rt_runtime_us", 1000), ("cpu", "cpu.rt_period_us", 100000)],
        cgpath=lambda c: "%s-rt-%s" % (CGROUP_PREFIX, c.id),
        note="Uses a one-level cgroupsPath: a realtime budget needs one in the parent cgroup, and the root has it.")
cg_test("cgroups.cpu.idle", [CPU, (LNX + "#configLinuxCPU", "idle (int64, OPTIONAL) - cgroups are configured with minimum weight, 0: default behavior, 1: SCHED_IDLE.")],
        {"cpu": {"idle": 1}}, [("cpu", "cpu.idle", 1)])


def check_affinity(r):
    if r.get("cpus") != "0":
        die("CPU affinity %r, expected '0'" % r.get("cpus"))


cg_test("cgroups.cpuset.cpus", [CPU, (LNX + "#configLinuxCPU", "cpus (string, OPTIONAL) - list of CPUs the container will run on.")],
        {"cpu": {"cpus": "0"}}, [("cpuset", "cpuset.cpus", "0")],
        extra=("/bin/checker sched", check_affinity))
cg_test("cgroups.cpuset.mems", [CPU, (LNX + "#configLinuxCPU", "mems (string, OPTIONAL) - list of memory nodes the container will run on.")],
        {"cpu": {"mems": "0"}}, [("cpuset", "cpuset.mems", "0")])

PIDS = (LNX + "#configLinuxPIDS", "pids (object, OPTIONAL) represents the cgroup subsystem pids. limit (int64, OPTIONAL) - specifies the maximum number of tasks in the cgroup, with -1 indicating no limit (max).")


def check_forks(r):
    line = [l for l in r.lines if l.startswith("forked ")]
    # The checker (and sh, unless it execs its last command) count against
    # the limit of 5, so 3 or 4 forks work, then EAGAIN.
    if line not in (["forked 3 errno 11"], ["forked 4 errno 11"]):
        die("with pids.limit 5 the fork loop reported %s, expected 3 or 4 forks then errno 11" % line)


cg_test("cgroups.pids.limit", [PIDS], {"pids": {"limit": 5}}, [("pids", "pids.max", 5)],
        extra=("/bin/checker fork 10", check_forks))
cg_test("cgroups.pids.unlimited", [PIDS], {"pids": {"limit": -1}}, [("pids", "pids.max", "max")])


@register("cgroups.pids.zero", [PIDS, (LNX + "#configLinuxPIDS", "Note: Even though it may superficially seem redundant, 0 is a valid limit value for the pids cgroup controller from the kernel's perspective and SHOULD be treated as such by runtimes.")],
          level="SHOULD", note="With pids.max 0 the container can run but not fork; the harness reads pids.max from the host.")
def _(ctx):
    c = ctx.container()
    c.resources({"pids": {"limit": 0}})
    c.args("/bin/checker", "sigwait")
    if c.create().rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    with open("/proc/%d/cgroup" % c.pid) as f:
        path = [l.split(":")[2].strip() for l in f if "pids" in l.split(":")[1].split(",")]
    from ocilib import cgroup_mounts
    for mnt, root, _t, ctrls in cgroup_mounts():
        if "pids" in ctrls and path:
            with open(os.path.join(mnt, path[0].lstrip("/"), "pids.max")) as f:
                v = f.read().strip()
            if v != "0":
                die("pids.max %r, expected '0'" % v)
            return
    die("no pids cgroup")


BLK = (LNX + "#configLinuxBlockIO", "blockIO (object, OPTIONAL) represents the cgroup subsystem blkio which implements the block IO controller.")
S_THROTTLE = (LNX + "#configLinuxBlockIO", "throttleReadBpsDevice, throttleWriteBpsDevice (array of objects, OPTIONAL) - an array of per-device bandwidth rate limits. throttleReadIOPSDevice, throttleWriteIOPSDevice (array of objects, OPTIONAL) - an array of per-device IO rate limits.")


def throttle(key, rate):
    def res():
        dev = block_device()
        if not dev:
            return None
        ma, mi = dev.split(":")
        return {"blockIO": {key: [{"major": int(ma), "minor": int(mi), "rate": rate}]}}
    return res


for key, fname, rate in (("throttleReadBpsDevice", "blkio.throttle.read_bps_device", 1048576),
                         ("throttleWriteBpsDevice", "blkio.throttle.write_bps_device", 2097152),
                         ("throttleReadIOPSDevice", "blkio.throttle.read_iops_device", 1000),
                         ("throttleWriteIOPSDevice", "blkio.throttle.write_iops_device", 2000)):
    dev = block_device() or "0:0"
    cg_test("cgroups.blkio." + key, [BLK, S_THROTTLE], throttle(key, rate),
            [("blkio", fname, "%s %d" % (dev, rate))], either=True,
            note="Throttling needs a real disk; the first non-loop block device is used.")

cg_test("cgroups.blkio.weight", [BLK, (LNX + "#configLinuxBlockIO", "weight (uint16, OPTIONAL) - specifies per-cgroup weight.")],
        {"blockIO": {"weight": 500}},
        [("blkio", "blkio.weight", 500), ("blkio", "blkio.bfq.weight", 500)], either=True,
        note="This host's blkio hierarchy has no weight file (no BFQ/CFQ): an error is the right answer there.")
cg_test("cgroups.blkio.leafWeight", [BLK, (LNX + "#configLinuxBlockIO", "leafWeight (uint16, OPTIONAL) - equivalents of weight for the purpose of deciding how much weight tasks in the given cgroup has while competing with the cgroup's child cgroups.")],
        {"blockIO": {"leafWeight": 300}}, [("blkio", "blkio.leaf_weight", 300)], either=True)


def weight_device():
    dev = block_device()
    if not dev:
        return None
    ma, mi = dev.split(":")
    return {"blockIO": {"weightDevice": [{"major": int(ma), "minor": int(mi), "weight": 300}]}}


cg_test("cgroups.blkio.weightDevice", [BLK, (LNX + "#configLinuxBlockIO", "weightDevice (array of objects, OPTIONAL) - an array of per-device bandwidth weights.")],
        weight_device, [("blkio", "blkio.weight_device", "%s 300" % (block_device() or "0:0")),
                        ("blkio", "blkio.bfq.weight_device", "%s 300" % (block_device() or "0:0"))],
        either=True)

cg_test("cgroups.hugetlb", [(LNX + "#configLinuxHugePageLimits", "hugepageLimits (array of objects, OPTIONAL) represents the hugetlb controller which allows to limit the HugeTLB reservations (if supported) or usage (page fault).")],
        {"hugepageLimits": [{"pageSize": "2MB", "limit": 4 << 20}]},
        [("hugetlb", "hugetlb.2MB.limit_in_bytes", 4 << 20), ("unified", "hugetlb.2MB.max", 4 << 20)],
        either=True, note="On this host hugetlb is a cgroup2 controller (in /sys/fs/cgroup/unified) while the others are v1.")

NET = (LNX + "#configLinuxNetwork", "network (object, OPTIONAL) represents the cgroup subsystems net_cls and net_prio.")
cg_test("cgroups.network.classID", [NET, (LNX + "#configLinuxNetwork", "classID (uint32, OPTIONAL) - is the network class identifier the cgroup's network packets will be tagged with")],
        {"network": {"classID": 1048577}}, [("net_cls", "net_cls.classid", 1048577)], either=True,
        note="net_cls is not mounted on this host: the runtime must refuse rather than silently drop the setting.")
cg_test("cgroups.network.priorities", [NET, (LNX + "#configLinuxNetwork", "priorities (array of objects, OPTIONAL) - specifies a list of objects of the priorities assigned to traffic originating from processes in the group and egressing the system on various interfaces.")],
        {"network": {"priorities": [{"name": "lo", "priority": 5}]}}, [("net_prio", "net_prio.ifpriomap", "lo 5")],
        either=True)
cg_test("cgroups.rdma", [(LNX + "#configLinuxRDMA", "rdma (object, OPTIONAL) represents the cgroup subsystem rdma.")],
        {"rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}}},
        [("rdma", "rdma.max", "mlx5_1 hca_handle=3 hca_object=10000"),
         ("unified", "rdma.max", "mlx5_1 hca_handle=3 hca_object=10000")], either=True)
cg_test("cgroups.unified.available", [(LNX + "#configLinuxUnified", "unified (object, OPTIONAL) allows cgroup v2 parameters to be to be set and modified for the container. The OCI runtime MUST ensure that the needed cgroup controllers are enabled for the cgroup."), (LNX + "#configLinuxUnified", "Configuration unknown to the runtime MUST still be written to the relevant file.")],
        {"unified": {"hugetlb.2MB.max": str(4 << 20)}}, [("unified", "hugetlb.2MB.max", 4 << 20)], either=True)
cg_test("cgroups.unified.missing_controller", [(LNX + "#configLinuxUnified", "The runtime MUST generate an error when the configuration refers to a cgroup controller that is not present or that cannot be enabled.")],
        {"unified": {"pids.max": "7"}}, [("unified", "pids.max", 7)], either=True,
        note="pids is a v1 controller here, absent from the cgroup2 hierarchy: expect an error (or the value, on a v2 host).")


# --- the device allowlist -------------------------------------------------------------

S_DEVCG = (LNX + "#configLinuxDeviceAllowedlist", "devices (array of objects, OPTIONAL) configures the allowed device list. The runtime MUST apply entries in the listed order.")
LOOP = {"type": "b", "path": "/dev/vessel-loop", "major": 7, "minor": 0, "fileMode": 0o666}


def devcg_setup(rules):
    def setup(c, ctx):
        c.linux()["devices"] = [LOOP]
        c.resources({"devices": rules})
        c.sh("/bin/checker open r /dev/vessel-loop; /bin/checker open w /dev/vessel-loop")
    return setup


inside("cgroups.devices.allow_read_only", [S_DEVCG, (LNX + "#configLinuxDeviceAllowedlist", "access (string, OPTIONAL) - cgroup permissions for device. A composition of r (read), w (write), and m (mknod).")],
       setup=devcg_setup([{"allow": False, "access": "rwm"},
                          {"allow": True, "type": "b", "major": 7, "minor": 0, "access": "rm"}]),
       check=lambda r, ctx, c: (r.want_line("open /dev/vessel-loop r ok"),
                                r.want_line("open /dev/vessel-loop w ERR 1")),
       note="Opens /dev/loop0 (7:0) through a node the config creates; opening an unbound loop device has no effect.")

inside("cgroups.devices.order", [S_DEVCG],
       setup=devcg_setup([{"allow": True, "type": "b", "major": 7, "minor": 0, "access": "rwm"},
                          {"allow": False, "type": "b", "major": 7, "minor": 0, "access": "w"}]),
       check=lambda r, ctx, c: (r.want_line("open /dev/vessel-loop r ok"),
                                r.want_line("open /dev/vessel-loop w ERR 1")),
       note="allow rwm then deny w for the same device: the later entry wins for w.")


# --- cgroupsPath ----------------------------------------------------------------------

S_ABS = (LNX + "#configLinuxCgroupsPath", "In the case of an absolute path (starting with /), the runtime MUST take the path to be relative to the cgroups mount point.")
S_CONSIST = (LNX + "#configLinuxCgroupsPath", "If the value is specified, the runtime MUST consistently attach to the same place in the cgroups hierarchy given the same value of cgroupsPath.")


def cgroup_lines(r):
    return {l.split(":")[1]: l.split(":")[2] for l in r.lines if l.count(":") >= 2 and l.split(":")[0].isdigit()}


@register("cgroupsPath.absolute", [S_ABS, S_CGPATH])
def _(ctx):
    c = ctx.container()
    path = "/%s-abs-%s" % (CGROUP_PREFIX, c.id)
    c.linux()["cgroupsPath"] = path
    c.resources({"pids": {"limit": 50}})
    c.sh("cat /proc/self/cgroup")
    r = c.run()
    lines = cgroup_lines(r)
    for ctl in ("memory", "pids", "cpu,cpuacct" if "cpu,cpuacct" in lines else "cpu"):
        if lines.get(ctl) != path:
            die("%s cgroup %r, expected %r" % (ctl, lines.get(ctl), path))


@register("cgroupsPath.relative_consistent", [S_CONSIST, (LNX + "#configLinuxCgroupsPath", "In the case of a relative path (not starting with /), the runtime MAY interpret the path relative to a runtime-determined location in the cgroups hierarchy.")])
def _(ctx):
    seen = []
    for i in range(2):
        c = ctx.container("n%d" % i)
        c.linux()["cgroupsPath"] = "%s/consistent-%s" % (CGROUP_PREFIX, ctx.rt.name)
        c.sh("cat /proc/self/cgroup")
        seen.append(cgroup_lines(c.run()))
    if seen[0] != seen[1] or not seen[0]:
        die("the same relative cgroupsPath gave %s then %s" % seen)
    if not any(v.endswith("/consistent-%s" % ctx.rt.name) for v in seen[0].values()):
        die("no cgroup ends with the cgroupsPath: %s" % seen[0])


def v1_in_use():
    from ocilib import cgroup_mounts
    if not any(t == "cgroup" and "memory" in c for _m, _r, t, c in cgroup_mounts()):
        return "the memory controller is not on cgroup v1 here"


@register("cgroups.ownership.v1_unchanged", [(LNX + "#configLinuxCgroupsPath", "Runtimes SHOULD NOT change the ownership of container cgroups when cgroups v1 is in use. Cgroup delegation is not secure in cgroups v1.")],
          level="SHOULD", needs=v1_in_use,
          note="uid 1000, a new cgroup namespace and a read-write cgroup mount: the case where v2 runtimes delegate.")
def _(ctx):
    c = ctx.container()
    c.set_ns("cgroup")
    c.patch({"process": {"user": {"uid": 1000, "gid": 1000}}})
    c.add_mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "rw"])
    c.args("/bin/checker", "sigwait")
    if c.create().rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    check_cgroup_owner(c.pid)


@register("cgroups.ownership.no_cgroupns", [(LNX + "#configLinuxCgroupsPath", "A runtime SHOULD NOT change the ownership of a container cgroup unless it will also create a new cgroup namespace for the container.")],
          level="SHOULD", note="uid 1000 and a read-write cgroup mount, but no cgroup namespace: the cgroup stays root's.")
def _(ctx):
    c = ctx.container()
    c.set_ns("cgroup", present=False)
    c.patch({"process": {"user": {"uid": 1000, "gid": 1000}}})
    c.add_mount("/sys/fs/cgroup", "cgroup", "cgroup", ["nosuid", "noexec", "nodev", "rw"])
    c.args("/bin/checker", "sigwait")
    if c.create().rc != 0:
        die("create failed: %s" % tail(c.stderr()))
    check_cgroup_owner(c.pid)


def check_cgroup_owner(pid):
    from ocilib import cgroup_mounts
    with open("/proc/%d/cgroup" % pid) as f:
        rows = [l.strip().split(":", 2) for l in f]
    for mnt, root, fstype, ctrls in cgroup_mounts():
        for _h, ctl, path in rows:
            mine = (fstype == "cgroup2" and ctl == "") or (set(ctl.split(",")) & set(ctrls) and ctl)
            if not mine:
                continue
            d = os.path.join(mnt, path.lstrip("/"))
            for p in (d, os.path.join(d, "cgroup.procs")):
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                if st.st_uid != 0 or st.st_gid != 0:
                    die("%s is owned by %d:%d" % (p, st.st_uid, st.st_gid))
