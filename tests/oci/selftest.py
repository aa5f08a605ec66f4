#!/usr/bin/env python3
"""Self-test of the conformance suite: a test that cannot fail is a defect.

Runs chosen tests against "mutant" runtimes: runc behind a wrapper that
removes one feature from config.json before runc sees it (the seccomp
profile, the hooks, the rlimits, ...).  Every listed test must then fail;
one that still passes does not check what it claims to.  runc itself must
pass them all first (the control), so a failure is the mutation's doing.
"""
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import suite  # noqa: E402
import cases_lifecycle, cases_process, cases_mounts, cases_linux  # noqa: E402,F401
import cases_cgroups, cases_seccomp, cases_hooks, cases_config, cases_cli  # noqa: E402,F401
from ocilib import WORK, Runtime, cleanup_cgroups  # noqa: E402

# mutation -> tests that must fail under it.  A mutation is a dotted path
# in config.json to delete; "mounts+" drops every mount after the
# template's five; "ns-path" drops the path of joined namespaces;
# "readonly" clears root.readonly.
MUTATIONS = {
    "process.user": ["process.user.uid_gid", "process.user.additionalGids", "process.user.umask_077"],
    "process.env": ["process.env", "process.args.path_lookup"],
    "process.cwd": ["process.cwd"],
    "process.args": ["process.args", "basic.run"],
    "process.capabilities": ["process.capabilities.bounding", "process.capabilities.ambient",
                             "process.capabilities.kept_allows"],
    "process.rlimits": ["process.rlimits"],
    "process.noNewPrivileges": ["process.noNewPrivileges", "process.noNewPrivileges.blocks_setuid"],
    "process.oomScoreAdj": ["process.oomScoreAdj"],
    "process.terminal": ["process.terminal"],
    "hostname": ["hostname", "create.applies_config"],
    "annotations": ["state.annotations"],
    "hooks": ["hooks.prestart.called", "hooks.createContainer.namespace", "hooks.poststop.called",
              "hooks.args_env"],
    "readonly": ["root.readonly"],
    "mounts+": ["mounts.order", "mounts.bind.dir", "mounts.option.noexec", "mounts.tmpfs.fs_options",
                "mounts.propagation.rshared", "mounts.recursive.rro", "mounts.option.remount"],
    "linux.resources": ["cgroups.memory.limit", "cgroups.pids.limit", "cgroups.cpu.shares",
                        "cgroups.cpuset.cpus", "cgroups.devices.allow_read_only"],
    "linux.seccomp": ["seccomp.errno", "seccomp.action.kill", "seccomp.action.trap", "seccomp.args.eq",
                      "seccomp.args.masked_eq", "seccomp.defaultErrnoRet", "seccomp.notify"],
    "linux.maskedPaths": ["linux.maskedPaths"],
    "linux.readonlyPaths": ["linux.readonlyPaths"],
    "linux.sysctl": ["sysctl.net", "sysctl.ipc"],
    "linux.devices": ["devices.char", "devices.fifo", "devices.usable"],
    "linux.uidMappings": ["userns.mappings"],
    "ns-path": ["namespaces.join.network", "namespaces.join.uts", "namespaces.join.ipc"],
}

MUTANT = r'''#!/usr/bin/env python3
import json, os, sys
mutation, real = %r, %r
args = sys.argv[1:]
if "create" in args or "run" in args:
    b = args[args.index("--bundle") + 1] if "--bundle" in args else "."
    p = os.path.join(b, "config.json")
    try:
        with open(p) as f:
            cfg = json.load(f)
    except (OSError, ValueError):
        cfg = None
    if isinstance(cfg, dict):
        if mutation == "mounts+":
            cfg["mounts"] = cfg.get("mounts", [])[:5]
        elif mutation == "ns-path":
            for n in cfg.get("linux", {}).get("namespaces", []):
                n.pop("path", None)
        elif mutation == "readonly":
            cfg.setdefault("root", {})["readonly"] = False
        else:
            d, keys = cfg, mutation.split(".")
            for k in keys[:-1]:
                d = d.get(k, {})
            d.pop(keys[-1], None)
        with open(p, "w") as f:
            json.dump(cfg, f)
os.execvp(real, [real] + args)
'''


def main():
    if os.geteuid() != 0:
        print("oci selftest: needs root; skipped")
        return 0
    real = shutil.which("runc")
    if not real:
        print("oci selftest: runc not found; skipped")
        return 0
    by_name = {t.name: t for t in suite.TESTS}
    wanted = sorted({n for names in MUTATIONS.values() for n in names if n in by_name})
    import concurrent.futures
    jobs = int(os.environ.get("OCI_JOBS", "4"))
    bad, uncheckable = [], set()
    control = Runtime("control", real)
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        res = dict(zip(wanted, ex.map(lambda n: suite.run_one(by_name[n], control), wanted)))
    for name in wanted:
        st, msg, _ = res[name]
        if st != "pass":
            uncheckable.add(name)
            print("oci selftest: %s fails on plain runc, not checked (%s)" % (name, msg[:100]))
    runs = []
    for mutation, names in MUTATIONS.items():
        mdir = os.path.join(WORK, "mutants")
        os.makedirs(mdir, exist_ok=True)
        script = os.path.join(mdir, mutation.replace("+", "plus"))
        with open(script, "w") as f:
            f.write(MUTANT % (mutation, real))
        os.chmod(script, 0o755)
        rt = Runtime("mut-" + mutation.replace(".", "-").replace("+", "plus"), script)
        runs += [(mutation, rt, n) for n in names if n in by_name and n not in uncheckable]
    with concurrent.futures.ThreadPoolExecutor(jobs) as ex:
        outcomes = list(ex.map(lambda r: suite.run_one(by_name[r[2]], r[1]), runs))
    checked = len(runs)
    for (mutation, _rt, name), (st, _msg, _t) in zip(runs, outcomes):
        if st == "pass":
            bad.append("%s still passes when the runtime drops %s" % (name, mutation))
    cleanup_cgroups()
    if not os.environ.get("OCI_KEEP"):
        shutil.rmtree(WORK, ignore_errors=True)
    for b in bad:
        print("SELFTEST FAIL: " + b)
    print("oci selftest: %d mutations, %d test runs under mutation, %d problems" % (
        len(MUTATIONS), checked, len(bad)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
