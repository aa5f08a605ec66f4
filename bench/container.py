#!/usr/bin/env python3
"""Container runtime benchmark (issue 8): Vessel against crun and runc.

For each runtime, on the same busybox bundle:
  run      `RT run` of /bin/true: wall time, and the runtime's peak RSS
  cycle    create + start + delete of /bin/true: the three commands' wall
           time summed (the wait for the process to exit is not counted)
  rss      peak RSS of the `create` process (wait4 ru_maxrss: the runtime
           and the descendants it reaped, not the container process)

crun is measured twice:
  crun         crun itself, run directly inside ONE private mount namespace
               where the cgroup2 hierarchy is unmounted (what crun-legacy
               does per call).  This is crun's own latency and RSS, and the
               figure the Vessel ratios use.
  crun-legacy  through the crun-legacy wrapper, as the conformance suite
               runs it: every call also pays unshare(1), sh(1) and a lazy
               umount; the RSS is the maximum over that exec chain.

Prints median and p90 per runtime and the Vessel/crun and Vessel/runc
ratios.  Absolute times are noise on a shared 2-core machine; only the
ratios measured in the same run mean anything.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "oci"))


RUSAGE = os.environ.get("OCI_RUSAGE") or os.path.join(ROOT, "build", "oci", "container-rusage")


def timed(argv):
    """Runs argv under container-rusage; returns (exit status, seconds,
    peak RSS in KiB, stderr)."""
    # Files, not pipes: a created container inherits stderr and would hold
    # a pipe open until it runs.
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.run([RUSAGE] + argv, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        out.seek(0)
        err.seek(0)
        f = out.read().decode().split()
        msg = err.read().decode("utf-8", "replace")
    if p.returncode != 0 or len(f) != 6:
        return 127, 0.0, 0, msg
    return int(f[1]), int(f[3]) / 1e9, int(f[5]), msg


def make_bundle(d):
    from ocilib import load_template, make_rootfs
    os.makedirs(d, exist_ok=True)
    make_rootfs(os.path.join(d, "rootfs"))
    cfg = load_template()
    cfg["process"]["args"] = ["/bin/true"]
    cfg["linux"]["cgroupsPath"] = "vessel-bench-%d/c" % os.getpid()
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)


def state_status(rt, root, cid):
    p = subprocess.run([*rt, "--root", root, "state", cid], capture_output=True, stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        return None
    try:
        return json.loads(p.stdout).get("status")
    except ValueError:
        return None


def worker(name, rt, runs, work):
    """Measures one runtime; prints a JSON result line."""
    bundle = os.path.join(work, "bundle")
    root = os.path.join(work, "state-" + name)
    res = {"name": name, "run": [], "run_rss": [], "cycle": [], "create": [],
           "start": [], "delete": [], "create_rss": [], "error": None}
    for i in range(runs + 2):
        cid = "bench-%s-%d-%d" % (name, os.getpid(), i)
        rc, secs, rss, err = timed([*rt, "--root", root, "run", "--bundle", bundle, cid])
        if rc != 0:
            res["error"] = "run failed: " + err.strip()[-300:]
            break
        if i >= 2:  # two warm-up runs
            res["run"].append(secs)
            res["run_rss"].append(rss)
    for i in range(runs + 2):
        if res["error"]:
            break
        cid = "bench-%s-%d-c%d" % (name, os.getpid(), i)
        rc, t_create, rss, err = timed([*rt, "--root", root, "create", "--bundle", bundle, cid])
        if rc != 0:
            res["error"] = "create failed: " + err.strip()[-300:]
            break
        rc, t_start, _r, err = timed([*rt, "--root", root, "start", cid])
        if rc != 0:
            res["error"] = "start failed: " + err.strip()[-300:]
            break
        end = time.time() + 10
        while state_status(rt, root, cid) != "stopped" and time.time() < end:
            time.sleep(0.005)
        rc, t_delete, _r, err = timed([*rt, "--root", root, "delete", cid])
        if rc != 0:
            res["error"] = "delete failed: " + err.strip()[-300:]
            break
        if i >= 2:
            res["create"].append(t_create)
            res["start"].append(t_start)
            res["delete"].append(t_delete)
            res["cycle"].append(t_create + t_start + t_delete)
            res["create_rss"].append(rss)
    print(json.dumps(res))


def p90(xs):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]


def measure(name, rt, runs, work, private_ns=False):
    argv = [sys.executable, os.path.abspath(__file__), "--worker", name, str(runs), work, "--"] + rt
    if private_ns:
        argv = ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c",
                'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec "$@"', "sh"] + argv
    p = subprocess.run(argv, capture_output=True, text=True)
    try:
        return json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"name": name, "error": "benchmark worker failed: " + (p.stderr or p.stdout)[-300:]}


def cleanup_cgroups():
    for base in ("/sys/fs/cgroup",):
        for dirpath, dirnames, _f in os.walk(base):
            if dirpath.count("/") > 7:
                dirnames[:] = []
                continue
            for d in list(dirnames):
                if d.startswith("vessel-bench-"):
                    for sub, _d, _ff in sorted(os.walk(os.path.join(dirpath, d)), key=lambda x: -len(x[0])):
                        try:
                            os.rmdir(sub)
                        except OSError:
                            pass
                    dirnames.remove(d)


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        name, runs, work = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        worker(name, sys.argv[6:], runs, work)
        return 0
    if os.geteuid() != 0:
        print("bench/container: needs root; skipped")
        return 0
    runs = int(os.environ.get("BENCH_RUNS", "25"))
    vessel = os.environ.get("VESSEL_RUNC") or os.path.join(ROOT, "build", "vessel-runc")
    legacy = os.environ.get("CRUN_LEGACY") or "/work/shared/tools/crun-legacy"
    if not os.path.exists(legacy):
        legacy = os.path.join(ROOT, "tests", "oci", "crun-legacy")
    os.environ.setdefault("OCI_CHECKER", os.path.join(ROOT, "build", "oci", "checker"))
    work = tempfile.mkdtemp(prefix="vessel-bench-")
    os.chmod(work, 0o755)
    os.environ["OCI_WORKDIR"] = work
    make_bundle(os.path.join(work, "bundle"))
    plan = [("vessel", [vessel], False),
             ("crun", [shutil.which("crun") or "crun"], True),
             ("crun-legacy", [legacy], False),
             ("runc", [shutil.which("runc") or "runc"], False)]
    # Rounds alternate the runtimes so that load from elsewhere on the
    # machine falls on all of them alike.
    rounds = 5
    per_round = max(1, (runs + rounds - 1) // rounds)
    merged = {name: None for name, _rt, _ns in plan}
    try:
        for _ in range(rounds):
            for name, rt, ns in plan:
                r = measure(name, rt, per_round, work, private_ns=ns)
                m = merged[name]
                if m is None or r.get("error"):
                    if m is None or not m.get("error"):
                        merged[name] = r
                elif not m.get("error"):
                    for k, v in r.items():
                        if isinstance(v, list):
                            m[k].extend(v)
        results = [merged[name] for name, _rt, _ns in plan]
    finally:
        shutil.rmtree(work, ignore_errors=True)
        cleanup_cgroups()
    report(results, runs)
    return 0


def report(results, runs):
    ms = lambda s: "%7.1f" % (s * 1000)  # noqa: E731
    n = max((len(r.get("run") or []) for r in results), default=0)
    print("\ncontainer runtime benchmark: %d runs each (5 alternating rounds, 2 warm-ups per round), busybox bundle, /bin/true" % n)
    print("%-12s %9s %9s %9s %9s %10s %10s" % ("runtime", "run med", "run p90", "cycle med",
                                             "cycle p90", "RSS run", "RSS create"))
    print("%-12s %9s %9s %9s %9s %10s %10s" % ("", "ms", "ms", "ms", "ms", "KiB", "KiB"))
    by = {}
    for r in results:
        if r.get("error") or not r.get("run") or not r.get("cycle"):
            print("%-12s %s" % (r["name"], r.get("error") or "no data"))
            continue
        m = {"run": statistics.median(r["run"]), "run90": p90(r["run"]),
             "cycle": statistics.median(r["cycle"]), "cycle90": p90(r["cycle"]),
             "rss": statistics.median(r["run_rss"]), "crss": statistics.median(r["create_rss"])}
        by[r["name"]] = m
        print("%-12s %9s %9s %9s %9s %10d %10d" % (r["name"], ms(m["run"]), ms(m["run90"]), ms(m["cycle"]),
                                                  ms(m["cycle90"]), m["rss"], m["crss"]))
    print("(cycle = create + start + delete; RSS = median of the runtime process's peak, wait4 ru_maxrss)")
    print("cycle phases, median ms: " + "; ".join(
        "%s create %.1f start %.1f delete %.1f" % (r["name"], statistics.median(r["create"]) * 1000,
                                                   statistics.median(r["start"]) * 1000,
                                                   statistics.median(r["delete"]) * 1000)
        for r in results if not r.get("error") and r.get("create")))
    if "crun" in by and "crun-legacy" in by:
        print("crun-legacy's wrapper (unshare + sh + umount per call) adds %.1f ms to run and %.1f ms to a cycle (3 calls)"
              % ((by["crun-legacy"]["run"] - by["crun"]["run"]) * 1000,
                 (by["crun-legacy"]["cycle"] - by["crun"]["cycle"]) * 1000))
    if "vessel" in by:
        for peer in ("crun", "runc"):
            if peer in by:
                v, p = by["vessel"], by[peer]
                print("vessel/%s: run latency %.2f, cycle latency %.2f, RSS (run) %.2f, RSS (create) %.2f"
                      % (peer, v["run"] / p["run"], v["cycle"] / p["cycle"], v["rss"] / p["rss"], v["crss"] / p["crss"]))
        if "crun" in by:
            ok = by["vessel"]["run"] <= by["crun"]["run"] and by["vessel"]["crss"] <= by["crun"]["crss"]
            print("target (median latency <= crun's, RSS <= crun's): %s" % ("met" if ok else "NOT met"))
    else:
        print("vessel: no figures (the runtime failed); ratios unavailable")


if __name__ == "__main__":
    sys.exit(main())
