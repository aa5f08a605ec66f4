#!/usr/bin/env python3
"""make bench (machine area): Vessel vs qemu-system-riscv64 -M virt, same
kernel + initramfs (../shared/guest), same run, 1 vCPU, 256 MiB.

  boot   wall time from start to the guest's "BOOT-OK" line (median of N)
  bench  the guest's bench=cpu: its own "BENCH cpu-total" seconds, and the
         wall time of the whole run
  RSS    host peak RSS of a plain boot (to poweroff), from wait4()

QEMU runs as its users run it: -M virt -nographic -bios default (OpenSBI).
Vessel boots directly (built-in SBI).  Prints the figures and the ratios
Vessel/QEMU against the issue's targets (boot <= 3x, bench <= 4x,
RSS <= 0.5x).  Usage: vm_boot.py VESSEL [-n RUNS]
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def find_guest():
    for d in (os.environ.get("VESSEL_TEST_GUEST"), os.path.join(REPO, "..", "shared", "guest"),
              "/work/shared/guest"):
        if d and os.path.isfile(os.path.join(d, "Image")):
            return os.path.abspath(d)
    return None


def run(argv, timeout=600):
    """Run argv; returns (seconds to BOOT-OK, total seconds, stdout, peak RSS KiB)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    out = b""
    t_boot = None
    os.set_blocking(p.stdout.fileno(), True)
    for line in iter(p.stdout.readline, b""):
        out += line
        if t_boot is None and line.startswith(b"BOOT-OK"):
            t_boot = time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            p.kill()
            break
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    total = time.monotonic() - t0
    text = out.decode("utf-8", "replace")
    if t_boot is None:
        sys.exit(f"vm_boot: {argv[0]} did not print BOOT-OK:\n{text[-2000:]}")
    return t_boot, total, text, ru.ru_maxrss


def cmds(vessel, guest, append):
    image = os.path.join(guest, "Image")
    initrd = os.path.join(guest, "initramfs.cpio.gz")
    v = [vessel, "run", "--cpus", "1", "--mem", "256M", "--kernel", image, "--initrd", initrd,
         "--append", append]
    q = ["qemu-system-riscv64", "-M", "virt", "-smp", "1", "-m", "256M", "-nographic",
         "-bios", "default", "-kernel", image, "-initrd", initrd, "-append", append]
    return v, q


def cpu_total(text):
    m = re.search(r"^BENCH cpu-total (\S+) ", text, re.M)
    return float(m.group(1)) if m else float("nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vessel")
    ap.add_argument("-n", type=int, default=5, help="boots per VMM (median)")
    a = ap.parse_args()
    guest = find_guest()
    if not guest:
        print("vm_boot: SKIP: no test guest (../shared/guest or $VESSEL_TEST_GUEST)")
        return 0
    if subprocess.run(["which", "qemu-system-riscv64"], capture_output=True).returncode:
        print("vm_boot: SKIP: qemu-system-riscv64 not installed")
        return 0

    v, q = cmds(os.path.abspath(a.vessel), guest, "console=ttyS0")
    boots = {"vessel": [], "qemu": []}
    rss = {"vessel": [], "qemu": []}
    run(v)                 # warm-up: page cache, binaries
    run(q)
    for _ in range(a.n):   # interleaved, so both see the same host load
        for name, argv in (("vessel", v), ("qemu", q)):
            t_boot, _, _, kib = run(argv)
            boots[name].append(t_boot)
            rss[name].append(kib)
    vb, qb = cmds(os.path.abspath(a.vessel), guest, "console=ttyS0 bench=cpu")
    _, v_wall, v_out, _ = run(vb)
    _, q_wall, q_out, _ = run(qb)
    v_cpu, q_cpu = cpu_total(v_out), cpu_total(q_out)

    fig = {
        "boot to BOOT-OK (s, median)": (statistics.median(boots["vessel"]),
                                        statistics.median(boots["qemu"]), 3.0),
        "bench=cpu cpu-total (s, guest)": (v_cpu, q_cpu, 4.0),
        "bench=cpu run (s, wall)": (v_wall, q_wall, 4.0),
        "peak RSS, plain boot (MiB)": (statistics.median(rss["vessel"]) / 1024,
                                       statistics.median(rss["qemu"]) / 1024, 0.5),
    }
    print(f"VM boot benchmark: Linux 6.1 + initramfs, 1 vCPU, 256 MiB, {a.n} boots each")
    print(f"{'figure':34} {'vessel':>9} {'qemu':>9} {'ratio':>7} {'target':>7}")
    for name, (vv, qq, target) in fig.items():
        ratio = vv / qq if qq else float("nan")
        ok = "ok" if ratio <= target else "MISSED"
        print(f"{name:34} {vv:9.3f} {qq:9.3f} {ratio:6.2f}x {'<=' + str(target) + 'x':>7} {ok}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
