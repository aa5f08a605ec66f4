#!/usr/bin/env python3
"""Network throughput of Vessel against qemu-system-riscv64, same run,
same guest (the default guest), same devices (virtio-net-device on
virtio-mmio):

  slirp   guest -> host TCP over user-mode networking: the guest sends
          zeros with nc to 10.0.2.2 (the host's loopback), a sink on the
          host counts them.  QEMU: -netdev user.
  slirp-rx host -> guest: a host server sends zeros, the guest's nc reads
          them into wc -c (a download).
  vm2vm   one guest -> another through TCP: Vessel's --net switch against
          QEMU's -netdev stream over a UNIX socket between two QEMUs.
  vm2vm-mtu9000 the same with MTU 9000 on both sides.

Each figure is MiB/s; the ratio is Vessel / QEMU (higher is better for
Vessel).  Usage: net_bench.py --vessel build/vessel [--mib N] [-k NAME]
"""
import argparse
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "net"))
import netguest  # noqa: E402

TIMEOUT = 600


class Sink:
    """A TCP server on the host's loopback that swallows one connection and
    times it from the first byte to the end."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.bytes = 0
        self.secs = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        conn, _ = self.srv.accept()
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        first = None
        while True:
            b = conn.recv(1 << 20)
            if not b:
                break
            if first is None:
                first = time.monotonic()
            self.bytes += len(b)
        self.secs = time.monotonic() - first if first else None
        conn.close()
        self.srv.close()


class Source:
    """A TCP server on the host's loopback that sends `mib` MiB of zeros to
    the first client; t0 is when it accepted."""

    def __init__(self, mib):
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.mib = mib
        self.t0 = None
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        conn, _ = self.srv.accept()
        self.t0 = time.monotonic()
        chunk = bytes(1 << 20)
        for _ in range(self.mib):
            conn.sendall(chunk)
        conn.close()
        self.srv.close()


def sender_script(dest, mib, mtu=None, addr=None):
    s = ""
    if addr:
        s += f"ip addr add {addr}/24 dev eth0\n"
    if mtu:
        s += f"ip link set eth0 mtu {mtu}\n"
    s += "ip link set eth0 up\n"
    if not addr:
        s += "udhcpc -i eth0 -q -n -t 5 -T 2 -s /etc/udhcpc/default.script >/dev/null 2>&1\n"
    else:
        s += f"ping -c 1 -w 30 {dest} >/dev/null\n"
    s += f"""echo MTU=$(cat /sys/class/net/eth0/mtu)
echo GO=1
dd if=/dev/zero bs=64k count={mib * 16} 2>/dev/null | nc {dest} 5000
echo DONE=1
"""
    return s


def receiver_script(addr, mtu=None):
    s = f"ip addr add {addr}/24 dev eth0\n"
    if mtu:
        s += f"ip link set eth0 mtu {mtu}\n"
    s += """ip link set eth0 up
(sleep 1; echo READY=1) &
nc -l -p 5000 > /dev/null
echo RECEIVED=1
"""
    return s


def wait(g, key, timeout):
    m = g.wait_for(re.compile(r"^%s=" % key), timeout)
    if not m:
        tail = "\n".join(g.text().splitlines()[-15:])
        raise RuntimeError(f"no {key} from {g.argv[0]}; console ends with:\n{tail}")


class Bench:
    def __init__(self, vessel, mib):
        self.vessel = os.path.abspath(vessel)
        self.mib = mib
        self.tmp = tempfile.mkdtemp(prefix="vessel-net-bench-")
        self.env = dict(os.environ, XDG_RUNTIME_DIR=self.tmp, VESSEL_NET_STATS="1")
        self.guest = netguest.find_guest()
        self.n = 0

    def initrd(self, script):
        self.n += 1
        return netguest.make_initramfs(self.guest[1], script, os.path.join(self.tmp, f"i{self.n}.gz"))

    def start(self, kind, script, net, mac=None):
        image = self.guest[0]
        initrd = self.initrd(script)
        self.n += 1
        log = os.path.join(self.tmp, f"{kind}{self.n}.log")
        if kind == "vessel":
            argv = netguest.vessel_argv(self.vessel, image, initrd, [net], timeout=TIMEOUT)
        else:
            argv = netguest.qemu_argv(image, initrd, net, mac=mac)
        return netguest.Guest(argv, log, env=self.env)

    def slirp(self, kind):
        sink = Sink()
        g = self.start(kind, sender_script("10.0.2.2", self.mib) .replace(
            "nc 10.0.2.2 5000", f"nc 10.0.2.2 {sink.port}"),
            "user" if kind == "vessel" else "user,id=n0")
        try:
            wait(g, "DONE", TIMEOUT)
            sink.thread.join(60)
            g.wait_exit(60)
        finally:
            g.close()
        if sink.bytes != self.mib << 20 or not sink.secs:
            raise RuntimeError(f"{kind}: the sink got {sink.bytes} bytes, want {self.mib << 20}")
        return self.mib / sink.secs

    def slirp_rx(self, kind):
        src = Source(self.mib)
        script = f"""
ip link set eth0 up
udhcpc -i eth0 -q -n -t 5 -T 2 -s /etc/udhcpc/default.script >/dev/null 2>&1
echo "GOT=$(nc 10.0.2.2 {src.port} < /dev/null | wc -c)"
"""
        g = self.start(kind, script, "user" if kind == "vessel" else "user,id=n0")
        try:
            m = g.wait_for(re.compile(r"^GOT=(\d+)"), TIMEOUT)
            t1 = time.monotonic()
            g.wait_exit(60)
        finally:
            g.close()
        if not m or int(m.group(1)) != self.mib << 20 or src.t0 is None:
            raise RuntimeError(f"{kind}: the guest got {m and m.group(1)} bytes, want {self.mib << 20}")
        return self.mib / (t1 - src.t0)

    def vm2vm(self, kind, mtu=None):
        if kind == "vessel":
            name = f"bench{os.getpid()}{mtu or ''}"
            net_a = net_b = f"switch,name={name}" + (f",mtu={mtu}" if mtu else "")
        else:
            path = os.path.join(self.tmp, f"q{self.n}.sock")
            net_a = f"stream,id=n0,server=on,addr.type=unix,addr.path={path}"
            net_b = f"stream,id=n0,server=off,addr.type=unix,addr.path={path}"
        a = self.start(kind, receiver_script("192.168.76.1", mtu), net_a, mac="52:54:00:00:76:01")
        b = None
        try:
            wait(a, "READY", TIMEOUT)
            b = self.start(kind, sender_script("192.168.76.1", self.mib, mtu, "192.168.76.2"), net_b,
                           mac="52:54:00:00:76:02")
            m = b.wait_for(re.compile(r"^MTU=(\d+)"), TIMEOUT)
            if not m or int(m.group(1)) != (mtu or 1500):
                raise RuntimeError(f"{kind}: the sender's MTU is {m and m.group(1)}, want {mtu or 1500}")
            wait(b, "GO", TIMEOUT)
            t0 = time.monotonic()
            wait(a, "RECEIVED", TIMEOUT)
            secs = time.monotonic() - t0
            b.wait_exit(60)
            a.wait_exit(60)
        finally:
            a.close()
            if b:
                b.close()
        return self.mib / secs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vessel", required=True)
    ap.add_argument("--mib", type=int, default=int(os.environ.get("VESSEL_BENCH_NET_MIB", "32")))
    ap.add_argument("-k", dest="only", action="append")
    args = ap.parse_args()
    b = Bench(args.vessel, args.mib)
    if not b.guest:
        print("bench-net: SKIP: no default guest (scripts/build-guest.sh)")
        return
    have_qemu = shutil.which("qemu-system-riscv64") is not None
    tests = [("slirp", "guest->host TCP, user-mode NAT", lambda k: b.slirp(k)),
             ("slirp-rx", "host->guest TCP, user-mode NAT", lambda k: b.slirp_rx(k)),
             ("vm2vm", "VM->VM TCP, switch vs QEMU stream", lambda k: b.vm2vm(k)),
             ("vm2vm-mtu9000", "VM->VM TCP, MTU 9000", lambda k: b.vm2vm(k, 9000))]
    print(f"bench-net: {args.mib} MiB per transfer, default guest, 1 vCPU each")
    for name, what, fn in tests:
        if args.only and name not in args.only:
            continue
        try:
            v = fn("vessel")
            q = fn("qemu") if have_qemu else None
        except RuntimeError as e:
            print(f"bench-net {name}: ERROR {e}")
            continue
        ratio = f"{v / q:.2f}" if q else "n/a (no qemu-system-riscv64)"
        qs = f"{q:8.2f}" if q else "     n/a"
        print(f"bench-net {name:14s} {what:36s} vessel {v:8.2f} MiB/s  qemu {qs} MiB/s  ratio {ratio}",
              flush=True)
    shutil.rmtree(b.tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
