"""Helpers for the network integration tests and benchmarks.

A scenario runs as the guest's /init: the project's default guest
initramfs (busybox) plus a small cpio appended to it that replaces /init
with a shell script.  The kernel unpacks concatenated archives in order,
so the script wins.  The script prints KEY=VALUE lines on the console;
the host reads them from vessel's stdout.
"""
import gzip
import os
import socket
import subprocess
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

PRELUDE = """#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
ip link set lo up
echo SCRIPT-START
"""


def find_guest(build="build"):
    """The default guest (scripts/build-guest.sh): (Image, initramfs) or None."""
    for d in (os.environ.get("VESSEL_GUEST_DIR"), os.path.join(REPO, build, "guest"),
              os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                           "vessel", "guest")):
        if d and os.path.isfile(os.path.join(d, "Image")) and \
                os.path.isfile(os.path.join(d, "initramfs.cpio.gz")):
            return os.path.join(d, "Image"), os.path.join(d, "initramfs.cpio.gz")
    return None


def _cpio_entry(name, mode, data):
    name_b = name.encode() + b"\0"
    hdr = "070701" + "".join("%08x" % v for v in (
        0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(name_b), 0))
    out = hdr.encode() + name_b
    out += b"\0" * (-len(out) % 4)
    out += data + b"\0" * (-len(data) % 4)
    return out


def make_initramfs(base, script, path, files=None):
    """base initramfs + an archive whose /init is PRELUDE + script, and
    extra files {"name": bytes} (in existing directories, e.g. "root/x")."""
    body = (PRELUDE + script + "\npoweroff -f\n").encode()
    overlay = _cpio_entry("init", 0o100755, body)
    for name, data in (files or {}).items():
        overlay += _cpio_entry(name, 0o100644, data)
    overlay += _cpio_entry("TRAILER!!!", 0, b"")
    with open(base, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data)
        f.write(gzip.compress(overlay))
    return path


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Guest:
    """One `vessel run` (or qemu-system-riscv64) whose console output is
    collected in the background; wait_for() looks for a regex in it."""

    def __init__(self, argv, log_path=None, env=None):
        self.argv = argv
        self.out = []
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.log = open(log_path, "w") if log_path else None
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, env=env)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self.cond:
                self.out.append(line)
                if self.log:
                    self.log.write(line + "\n")
                    self.log.flush()
                self.cond.notify_all()
        with self.cond:
            self.out.append(None)         # EOF marker
            self.cond.notify_all()

    def text(self):
        with self.lock:
            return "\n".join(x for x in self.out if x is not None)

    def wait_for(self, regex, timeout):
        """The first match of regex (a compiled pattern) in a line, or None."""
        deadline = time.monotonic() + timeout
        i = 0
        with self.cond:
            while True:
                while i < len(self.out):
                    line = self.out[i]
                    i += 1
                    if line is None:
                        return None
                    m = regex.search(line)
                    if m:
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self.cond.wait(left)

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def close(self):
        self.kill()
        self.reader.join(timeout=5)
        if self.log:
            self.log.close()


def vessel_argv(vessel, image, initrd, nets, mem="256M", timeout=None, append="console=ttyS0 quiet"):
    argv = [vessel, "run", "-k", image, "-i", initrd, "-m", mem, "-a", append]
    for n in nets:
        argv += ["--net", n]
    if timeout:
        argv += ["--timeout", str(timeout)]
    return argv


def qemu_argv(image, initrd, netdev, mem="256M", append="console=ttyS0 quiet", mac=None):
    dev = "virtio-net-device,netdev=n0" + (",mac=" + mac if mac else "")
    return ["qemu-system-riscv64", "-M", "virt", "-nographic", "-m", mem, "-kernel", image,
            "-initrd", initrd, "-append", append, "-netdev", netdev, "-device", dev,
            "-monitor", "none", "-serial", "stdio"]
