"""Test registry and runner of the OCI conformance suite.

A test is a function of a Ctx (one runtime, one scratch directory) that
raises Fail or Skip, or returns to pass.  Each test names the spec
sentences it checks (`spec=[(anchor, sentence), ...]`); SPEC-MAP.md is
generated from them.  Most tests are declared with `inside()`: a config
patch plus a check of what the checker printed inside the container.
"""
import concurrent.futures
import json
import os
import shutil
import time
import traceback

from ocilib import (Container, Fail, Runtime, Skip, WORK, die, tail)

TESTS = []
_names = set()

# Where a spec sentence comes from.
RT = "runtime.md"
RTL = "runtime-linux.md"
CFG = "config.md"
LNX = "config-linux.md"
FEAT = "features.md"
CLI = "runc CLI (issue 8)"
ISSUE = "issue 8"


class Test:
    def __init__(self, name, fn, spec, level, note=None, needs=None, slow=False,
                 negative=False):
        self.name, self.fn, self.spec, self.level = name, fn, spec, level
        self.note, self.needs, self.slow = note, needs, slow
        self.negative = negative


def register(name, spec, level="MUST", note=None, needs=None, slow=False,
             negative=False):
    """Decorator: registers fn(ctx) as a test.  A negative test passes when
    the runtime refuses something; it counts only for a runtime that passes
    basic.run (a stub that refuses everything must not pass it)."""
    def deco(fn):
        if name in _names:
            raise SystemExit("duplicate test name " + name)
        _names.add(name)
        TESTS.append(Test(name, fn, spec, level, note, needs, slow, negative))
        return fn
    return deco


def inside(name, spec, setup=None, check=None, args=None, sh=None,
           error=None, level="MUST", note=None, needs=None, timeout=20, slow=False):
    """Declares a test that runs one container to completion.

    setup(c, ctx) edits the Container (config, rootfs, host fixtures);
    args/sh set the process; check(r, ctx, c) judges the Result.
    error='create': create must fail and leave no container behind;
    error='run': create or start must fail.  check() then runs on the
    failure instead (optional).
    """
    def fn(ctx):
        c = ctx.container()
        if args:
            c.args(*args)
        if sh:
            c.sh(sh)
        if setup:
            setup(c, ctx)
        if error:
            ctx.expect_error(c, error)
            if check:
                check(None, ctx, c)
            return
        r = c.run(timeout=timeout)
        if check:
            check(r, ctx, c)
    register(name, spec, level, note, needs, slow, negative=bool(error))(fn)


class Ctx:
    """One test on one runtime."""

    def __init__(self, test, rt):
        self.test, self.rt = test, rt
        self.dir = os.path.join(rt.dir, "h", test.name)
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.containers = []
        self.cleanups = []
        self.n = 0

    def container(self, suffix=None, rt=None):
        self.n += 1
        name = self.test.name + ("" if self.n == 1 and not suffix else "-%s" % (suffix or self.n))
        c = Container(rt or self.rt, name)
        self.containers.append(c)
        return c

    def private_root(self):
        """The runtime with a --root of this test's own (for `list`, which
        other tests' concurrent deletes would disturb)."""
        import copy
        rt = copy.copy(self.rt)
        rt.root = self.path("root")
        return rt

    def on_cleanup(self, fn):
        self.cleanups.append(fn)

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def expect_error(self, c, when="create"):
        """The runtime must refuse c: create fails (when='create') or
        create or start fails (when='run'); a refused create leaves no
        container."""
        cr = c.create()
        if cr.rc is None:
            die("create hung (killed after timeout)")
        if cr.rc != 0:
            if c.state() is not None:
                die("create failed but the container exists (state succeeds)")
            from ocilib import find_cgroup_dirs
            left = find_cgroup_dirs(c.id)
            if left:
                die("the failed create left cgroups behind: %s" % ", ".join(left))
            return cr
        if when == "create":
            die("create succeeded; expected an error")
        s = c.start()
        if s.rc == 0:
            die("create and start both succeeded; expected an error")
        return s

    def cleanup(self):
        for c in self.containers:
            try:
                c.cleanup()
            except Exception:
                pass
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception:
                pass


def run_one(test, rt):
    ctx = Ctx(test, rt)
    t0 = time.monotonic()
    try:
        if rt.hangs >= 3:
            raise Fail("not run: %s hung (timed out) %d times already" % (rt.name, rt.hangs))
        if test.needs:
            why = test.needs()
            if why:
                raise Skip(why)
        test.fn(ctx)
        res = ("pass", "")
    except Fail as e:
        res = ("fail", str(e))
    except Skip as e:
        res = ("skip", str(e))
    except Exception:
        res = ("fail", "suite error: " + tail(traceback.format_exc(), 600))
    finally:
        ctx.cleanup()
    return res + (time.monotonic() - t0,)


def parse_runtimes():
    """RUNTIME=PATH: that runtime alone; otherwise Vessel, runc and crun."""
    if os.environ.get("RUNTIME"):
        p = os.environ["RUNTIME"]
        return [(os.path.basename(p.rstrip("/")) or "runtime", p)]
    spec = os.environ.get("OCI_RUNTIMES")
    if spec:
        return [tuple(s.split("=", 1)) for s in spec.split(",")]
    here = os.path.dirname(os.path.abspath(__file__))
    vessel = os.environ.get("VESSEL_RUNC") or os.path.join(here, "..", "..", "build", "vessel-runc")
    crun = os.environ.get("CRUN_LEGACY") or "/work/shared/tools/crun-legacy"
    if not os.path.exists(crun):
        crun = os.path.join(here, "crun-legacy")
    return [("vessel", os.path.abspath(vessel)),
            ("runc", shutil.which("runc") or "runc"),
            ("crun", crun)]


def main(title, argv):
    import argparse
    ap = argparse.ArgumentParser(description=title)
    ap.add_argument("-k", "--filter", help="run tests whose name contains this")
    ap.add_argument("-j", "--jobs", type=int, default=int(os.environ.get("OCI_JOBS", "4")))
    ap.add_argument("-v", "--verbose", action="store_true", help="print every failure message")
    ap.add_argument("--json", help="write the results to this file")
    ap.add_argument("--spec-map", action="store_true", help="print SPEC-MAP.md and exit")
    ap.add_argument("--list", action="store_true")
    args = ap.parse_args(argv)
    if args.spec_map:
        print_spec_map(title)
        return 0
    tests = [t for t in TESTS if not args.filter or args.filter in t.name]
    if not tests:
        print("%s: no tests match %r" % (title, args.filter))
        return 0
    if args.list:
        for t in tests:
            print(t.name)
        return 0
    if os.geteuid() != 0:
        print("oci: the conformance suite needs root; skipped")
        return 0
    try:
        return run_all(title, tests, args)
    finally:
        from ocilib import cleanup_cgroups
        cleanup_cgroups()
        if not os.environ.get("OCI_KEEP"):
            shutil.rmtree(WORK, ignore_errors=True)


def run_all(title, tests, args):
    runtimes = [Runtime(n, p) for n, p in parse_runtimes()]
    for rt in runtimes:
        if not (os.path.exists(rt.path) or shutil.which(rt.path)):
            print("oci: runtime %s not found at %s" % (rt.name, rt.path))
    t0 = time.monotonic()
    results = {}
    jobs = [(t, rt) for t in sorted(tests, key=lambda t: not t.slow) for rt in runtimes]
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        futs = {ex.submit(run_one, t, rt): (t, rt) for t, rt in jobs}
        for f in concurrent.futures.as_completed(futs):
            t, rt = futs[f]
            results[(t.name, rt.name)] = f.result()
    elapsed = time.monotonic() - t0
    for rt in runtimes:
        basic = results.get(("basic.run", rt.name))
        if basic and basic[0] != "pass":
            for t in tests:
                if t.negative and results[(t.name, rt.name)][0] == "pass":
                    results[(t.name, rt.name)] = (
                        "fail", "not meaningful: the runtime fails basic.run", 0)
    from ocilib import cleanup_cgroups
    left = cleanup_cgroups()
    rc = report(title, tests, runtimes, results, elapsed, args.verbose)
    if left:
        print("oci: cgroups left behind (could not remove): %s" % ", ".join(left[:10]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"%s|%s" % k: v[:2] for k, v in results.items()}, f, indent=1)
    return rc


def report(title, tests, runtimes, results, elapsed, verbose):
    names = [rt.name for rt in runtimes]
    w = max(len(t.name) for t in tests) + 2
    print("\n%s: %d tests x %d runtimes in %.0fs" % (title, len(tests), len(runtimes), elapsed))
    print("%-*s" % (w, "test") + "".join("%-8s" % n for n in names))
    for t in sorted(tests, key=lambda t: t.name):
        print("%-*s" % (w, t.name) + "".join("%-8s" % results[(t.name, n)][0] for n in names))
    subject = names[0]
    peers = names[1:]
    print()
    for t in sorted(tests, key=lambda t: t.name):
        for n in names:
            st, msg, _ = results[(t.name, n)]
            if st == "fail":
                print("FAIL %s [%s]: %s" % (t.name, n, msg))
            elif st == "skip" and verbose:
                print("SKIP %s [%s]: %s" % (t.name, n, msg))
    for n in names:
        c = {s: sum(1 for t in tests if results[(t.name, n)][0] == s)
             for s in ("pass", "fail", "skip")}
        print("%s: %d passed, %d failed, %d skipped" % (n, c["pass"], c["fail"], c["skip"]))
    c = {s: sum(1 for t in tests if results[(t.name, subject)][0] == s) for s in ("pass", "fail")}
    if not peers:
        print("\n%d passed, %d failed" % (c["pass"], c["fail"]))
        return 0
    # The acceptance gate: the subject passes whatever a peer passes.
    owed = [t.name for t in tests
            if results[(t.name, subject)][0] != "pass"
            and any(results[(t.name, p)][0] == "pass" for p in peers)]
    bothfail = [t.name for t in tests
                if all(results[(t.name, p)][0] == "fail" for p in peers)]
    print("\n%d passed, %d failed" % (c["pass"], c["fail"]))
    print("%s fails %d tests that %s pass%s" % (subject, len(owed), " or ".join(peers),
                                               (": " + ", ".join(owed)) if owed and len(owed) <= 20 else ""))
    if bothfail:
        print("tests every peer fails (checked against the spec; see docs/oci-conformance.md): %d" % len(bothfail))
    strict = os.environ.get("OCI_STRICT", "1") != "0"
    if owed and strict:
        print("FAILED: Vessel must pass every test a peer passes (OCI_STRICT=0 only reports)")
        return 1
    if owed:
        print("(OCI_STRICT=0: reported, not failed)")
    return 0


NOT_COVERED = [
    ("config.md: Windows, Solaris, z/OS, FreeBSD and VM sections", "other platforms."),
    ("config.md: scheduler SCHED_DEADLINE runtime/deadline/period, flags", "need CAP_SYS_NICE policies this suite keeps out of a shared host; SCHED_BATCH and nice are tested."),
    ("config.md: execCPUAffinity", "applies to exec'd processes only (not the init process); not tested yet."),
    ("config.md: idmap/ridmap inside a user namespace", "the idmap test runs without a user namespace; the error case is tested."),
    ("config-linux.md: cgroup ownership (delegation) rules", "they concern cgroup v2 with a cgroup namespace and a writable cgroup mount; this host's controllers are v1, where runtimes SHOULD NOT change ownership."),
    ("config-linux.md: memory kernel / kernelTCP", "NOT RECOMMENDED by the spec and ignored by current kernels for v1."),
    ("config-linux.md: memory checkBeforeUpdate", "concerns `update`; cgroup v1 rejects such limits itself."),
    ("config-linux.md: rdma values", "no rdma controller on this host; the test accepts only an error."),
    ("config-linux.md: intelRdt with resctrl", "no resctrl on this host; the required error is tested."),
    ("config-linux.md: netDevices address preservation, renaming templates (%d), not moving devices back", "need real addresses and interface lifecycles beyond a veth pair; the move, the rename and the up state are tested."),
    ("config-linux.md: seccomp SCMP_ACT_NOTIFY state in every detail, WAIT_KILLABLE_RECV flag", "the notify test checks the state fields a seccomp agent needs."),
    ("config-linux.md: personality flags", "the spec defines none."),
    ("config-linux.md: mountLabel / selinuxLabel / apparmorProfile effects", "this host has neither SELinux nor AppArmor; tests check they are accepted (issue 8)."),
    ("features.md: every field", "the versions, hooks and the MUST mount options are tested."),
]


def print_spec_map(title):
    print("# OCI conformance suite: spec map\n")
    print("Generated by `python3 tests/oci/conformance.py --spec-map`; do not edit.\n")
    print("Each test, the requirement level it checks and the sentences of the")
    print("OCI runtime spec (runtime-spec main, v1.2/1.3 text) it is written from.")
    print("`runc CLI` tests check the command line issue 8 asks for (runc's).\n")
    bydoc = {}
    for t in TESTS:
        doc = t.spec[0][0].split("#")[0] if t.spec else "other"
        bydoc.setdefault(doc, []).append(t)
    for doc in sorted(bydoc):
        print("## %s\n" % doc)
        print("| test | level | spec |")
        print("|---|---|---|")
        for t in sorted(bydoc[doc], key=lambda t: t.name):
            cites = "<br>".join("`%s` %s" % (a, s.replace("|", "\\|")) for a, s in t.spec)
            if t.note:
                cites += "<br>*note:* " + t.note.replace("|", "\\|")
            print("| %s | %s | %s |" % (t.name, t.level, cites))
        print()
    import spec_coverage
    spec_coverage.print_coverage(TESTS)
    print("\n## Not exercised here\n")
    print("Statements of the same documents this suite does not test, and why.\n")
    for what, why in NOT_COVERED:
        print("- **%s**: %s" % (what, why))
