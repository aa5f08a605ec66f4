#!/usr/bin/env python3
"""make bench (virtio area): guest `dd` on virtio-blk, Vessel vs
qemu-system-riscv64 -M virt, same kernel and initramfs (the default guest,
build/guest), same raw disk image, same run, 1 vCPU, 256 MiB.

The guest reads the whole disk with `dd iflag=direct bs=1M` (the image is
in the host page cache for both), then writes it with `dd oflag=direct
bs=1M conv=fsync`, timing each to the microsecond (adjtimex); best of N.
QEMU: -drive file=...,if=none,id=d0,format=raw -device
virtio-blk-device,drive=d0 (its defaults: writeback cache, thread pool
AIO).  Vessel: --disk FILE,format=raw (writeback).  Prints MiB/s and the
ratios Vessel/QEMU (target >= 1.0).

Usage: virtio_blk.py VESSEL GUEST_DIR [-n RUNS] [--mib N]
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SCRIPT = """#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
# Microseconds (busybox adjtimex prints the time); /proc/uptime has only 10 ms.
t() { adjtimex 2>/dev/null | awk '/tv_sec/{s=$2} /tv_usec/{u=$2} END{printf "%%d.%%06d\\n", s, u}'; }
a=$(t); dd if=/dev/vda of=/dev/null bs=1M count=%(mib)d iflag=direct 2>/dev/null; b=$(t)
echo "DD-READ $a $b"
a=$(t); dd if=/dev/zero of=/dev/vda bs=1M count=%(mib)d oflag=direct conv=fsync 2>/dev/null; b=$(t)
echo "DD-WRITE $a $b"
poweroff -f
"""


def make_initramfs(guest, work, mib):
    ov = os.path.join(work, "ov")
    os.makedirs(ov)
    with open(os.path.join(ov, "vbench"), "w") as f:
        f.write(SCRIPT % {"mib": mib})
    os.chmod(os.path.join(ov, "vbench"), 0o755)
    cpio = subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], input=b"vbench\n", cwd=ov,
                          stdout=subprocess.PIPE, check=True).stdout
    extra = subprocess.run(["gzip", "-n"], input=cpio, stdout=subprocess.PIPE, check=True).stdout
    out = os.path.join(work, "initramfs.cpio.gz")
    with open(out, "wb") as f, open(os.path.join(guest, "initramfs.cpio.gz"), "rb") as base:
        f.write(base.read())          # concatenated archives: ours is unpacked last
        f.write(extra)
    return out


def run_once(argv, mib):
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=900)
    text = r.stdout.decode("utf-8", "replace")
    m1 = re.search(r"^DD-READ ([\d.]+) ([\d.]+)", text, re.M)
    m2 = re.search(r"^DD-WRITE ([\d.]+) ([\d.]+)", text, re.M)
    if not m1 or not m2:
        sys.exit("virtio_blk: %s printed no DD lines:\n%s" % (argv[0], text[-2000:]))
    rd = float(m1.group(2)) - float(m1.group(1))
    wr = float(m2.group(2)) - float(m2.group(1))
    return mib / max(rd, 0.01), mib / max(wr, 0.01)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vessel")
    ap.add_argument("guest")
    ap.add_argument("-n", type=int, default=3)
    ap.add_argument("--mib", type=int, default=512)
    a = ap.parse_args()
    qemu = shutil.which("qemu-system-riscv64")
    if not os.path.exists(os.path.join(a.guest, "Image")):
        print("bench-virtio: SKIP (no default guest in %s)" % a.guest)
        return 0
    work = tempfile.mkdtemp(prefix="vessel-blkbench-")
    try:
        initrd = make_initramfs(a.guest, work, a.mib)
        disk = os.path.join(work, "disk.raw")
        with open(disk, "wb") as f:
            chunk = os.urandom(1 << 20)
            for _ in range(a.mib):
                f.write(chunk)
        kernel = os.path.join(a.guest, "Image")
        append = "console=ttyS0 quiet rdinit=/vbench"
        vessel = [a.vessel, "run", "--kernel", kernel, "--initrd", initrd, "--append", append,
                  "--mem", "256M", "--disk", disk + ",format=raw", "--timeout", "600"]
        q = [qemu, "-M", "virt", "-smp", "1", "-m", "256M", "-nographic", "-bios", "default",
             "-kernel", kernel, "-initrd", initrd, "-append", append,
             "-drive", "file=%s,if=none,id=d0,format=raw" % disk,
             "-device", "virtio-blk-device,drive=d0"] if qemu else None
        best = {"vessel": [0, 0], "qemu": [0, 0]}
        for _ in range(a.n):
            for name, argv in (("vessel", vessel), ("qemu", q)):
                if not argv:
                    continue
                rd, wr = run_once(argv, a.mib)
                best[name] = [max(best[name][0], rd), max(best[name][1], wr)]
        v, qq = best["vessel"], best["qemu"]
        print("virtio-blk guest dd, %d MiB, bs=1M, O_DIRECT, best of %d" % (a.mib, a.n))
        print("  %-26s %10s %10s %8s" % ("", "Vessel", "QEMU", "ratio"))
        for i, what in enumerate(("sequential read MiB/s", "sequential write MiB/s")):
            if q:
                print("  %-26s %10.1f %10.1f %8.2f" % (what, v[i], qq[i], v[i] / qq[i]))
            else:
                print("  %-26s %10.1f %10s" % (what, v[i], "(no qemu)"))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
