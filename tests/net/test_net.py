#!/usr/bin/env python3
"""Integration tests of Vessel's networking (make check-net).

  user    slirp: DHCP gives 10.0.2.15; the guest fetches a file from an
          HTTP server on the host's loopback through the gateway 10.0.2.2;
          two hostfwd rules reach a guest httpd and a guest nc.
  restrict restrict=on: DHCP and hostfwd work, the guest reaches nothing.
  many    150 guest connections open at once are all served.
  switch  two VMs on one --net switch ping each other and move 100 MiB
          through TCP, with matching sha256 on both sides.
  tap     (root only) a guest on a tap downloads from and uploads to the
          host, with and without vnet headers; a second VM asking for the
          same tap is refused with a clear error.
  errors  bad --net options are refused with clear messages.

Each scenario boots the default guest (scripts/build-guest.sh) with a
script as /init.  Tests that cannot run here print SKIP with the reason.

Usage: test_net.py --vessel build/vessel [-k NAME] [--keep]
"""
import argparse
import hashlib
import http.server
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import netguest  # noqa: E402

BOOT_TIMEOUT = float(os.environ.get("VESSEL_TEST_BOOT_TIMEOUT", "120"))
SWITCH_MIB = int(os.environ.get("VESSEL_TEST_SWITCH_MIB", "100"))


class Skip(Exception):
    pass


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def http_server(root, host="127.0.0.1"):
    handler = lambda *a, **k: QuietHandler(*a, directory=root, **k)  # noqa: E731
    srv = http.server.ThreadingHTTPServer((host, 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


class Ctx:
    def __init__(self, vessel, keep):
        self.vessel = os.path.abspath(vessel)
        self.tmp = tempfile.mkdtemp(prefix="vessel-net-test-")
        self.keep = keep
        self.guest = netguest.find_guest()
        # A private runtime directory: switch sockets of this run only.
        self.env = dict(os.environ, XDG_RUNTIME_DIR=self.tmp)

    def need_guest(self):
        if not self.guest:
            raise Skip("no default guest (scripts/build-guest.sh)")
        return self.guest

    def initramfs(self, name, script, files=None):
        return netguest.make_initramfs(self.guest[1], script, os.path.join(self.tmp, name + ".cpio.gz"),
                                       files)

    def start(self, name, script, nets, mem="256M", files=None):
        image, _ = self.need_guest()
        initrd = self.initramfs(name, script, files)
        argv = netguest.vessel_argv(self.vessel, image, initrd, nets, mem=mem, timeout=BOOT_TIMEOUT * 4)
        return netguest.Guest(argv, os.path.join(self.tmp, name + ".log"), env=self.env)

    def cleanup(self):
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


def field(guest, key, timeout):
    m = guest.wait_for(re.compile(r"^%s=(.*)$" % re.escape(key)), timeout)
    if not m:
        tail = "\n".join(guest.text().splitlines()[-25:])
        raise Fail(f"no {key}= line from the guest; its console ends with:\n{tail}")
    return m.group(1).strip()


# ---- user-mode networking ------------------------------------------------------

def test_user(ctx):
    ctx.need_guest()
    root = os.path.join(ctx.tmp, "www")
    os.makedirs(root)
    blob = os.urandom(1 << 20)
    with open(os.path.join(root, "blob"), "wb") as f:
        f.write(blob)
    srv = http_server(root)
    http_port = srv.server_address[1]
    nc_port, httpd_port = netguest.free_port(), netguest.free_port()
    script = f"""
ip link set eth0 up
udhcpc -i eth0 -q -n -t 5 -T 2 -s /etc/udhcpc/default.script >/dev/null 2>&1
echo "ADDR=$(ip -4 addr show eth0 | grep -o 'inet [0-9.]*')"
echo "ROUTE=$(ip route | grep default)"
wget -q -O /tmp/blob http://10.0.2.2:{http_port}/blob
echo "WGET=$(sha256sum < /tmp/blob | cut -d' ' -f1)"
mkdir -p /www && echo "hello from the vessel guest" > /www/index.html
httpd -p 8080 -h /www
(sleep 1; echo READY=1) &
nc -l -p 5000 > /tmp/in
echo "NC=$(sha256sum < /tmp/in | cut -d' ' -f1) $(wc -c < /tmp/in)"
"""
    nets = [f"user,hostfwd=tcp:127.0.0.1:{nc_port}-:5000,hostfwd=tcp:127.0.0.1:{httpd_port}-:8080"]
    t0 = time.monotonic()
    g = ctx.start("user", script, nets)
    try:
        expect(field(g, "ADDR", BOOT_TIMEOUT) == "inet 10.0.2.15", "DHCP address is not 10.0.2.15")
        expect(field(g, "ROUTE", 10).startswith("default via 10.0.2.2"), "no default route via 10.0.2.2")
        expect(field(g, "WGET", 60) == hashlib.sha256(blob).hexdigest(),
               "the file fetched through 10.0.2.2 differs from the host's")
        field(g, "READY", 30)
        # the guest's httpd through the second forward
        with urllib.request.urlopen(f"http://127.0.0.1:{httpd_port}/index.html", timeout=30) as r:
            expect(r.read() == b"hello from the vessel guest\n", "wrong page from the guest's httpd")
        # 1 MiB into the guest's nc through the first forward
        data = os.urandom(1 << 20)
        with socket.create_connection(("127.0.0.1", nc_port), timeout=30) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            s.settimeout(60)
            while s.recv(4096):
                pass
        expect(field(g, "NC", 60) == f"{hashlib.sha256(data).hexdigest()} {len(data)}",
               "the data sent to the forwarded port arrived damaged")
        expect(g.wait_exit(30) == 0, "the guest did not power off cleanly")
    finally:
        g.close()
        srv.shutdown()
    return f"{time.monotonic() - t0:.1f}s"


# ---- two VMs on a switch -----------------------------------------------------------

def test_switch(ctx):
    ctx.need_guest()
    name = f"t{os.getpid()}"
    mib = SWITCH_MIB
    receiver = f"""
ip addr add 192.168.77.1/24 dev eth0
ip link set eth0 up
# nc in the foreground: a background job's stdin is /dev/null, and nc
# half-closes the connection when its stdin ends.
(sleep 1; echo READY=1) &
nc -l -p 5000 | sha256sum | cut -d' ' -f1 > /tmp/sum
echo "RECV=$(cat /tmp/sum)"
ping -c 2 -w 20 192.168.77.2 >/dev/null && echo PING=ok || echo PING=failed
echo bye | nc 192.168.77.2 5001
"""
    sender = f"""
ip addr add 192.168.77.2/24 dev eth0
ip link set eth0 up
ping -c 2 -w 20 192.168.77.1 >/dev/null && echo PING=ok || echo PING=failed
nc -l -p 5001 > /tmp/bye &
echo GO=1
i=0
while [ $i -lt {mib} ]; do cat /root/r; i=$((i+1)); done | nc 192.168.77.1 5000
echo DONE=1
wait
"""
    # The sender repeats a random MiB the host gave it: the host knows the
    # stream's checksum, and the (emulated) sender's CPU only sends.
    piece = os.urandom(1 << 20)
    h = hashlib.sha256()
    for _ in range(mib):
        h.update(piece)
    sent = h.hexdigest()
    t0 = time.monotonic()
    a = ctx.start("switch-a", receiver, [f"switch,name={name}"])
    b = None
    try:
        field(a, "READY", BOOT_TIMEOUT)
        b = ctx.start("switch-b", sender, [f"switch,name={name}"], files={"root/r": piece})
        expect(field(b, "PING", BOOT_TIMEOUT) == "ok", "VM b cannot ping VM a")
        field(b, "GO", 60)
        t1 = time.monotonic()
        field(b, "DONE", 60 + mib * 10)
        secs = time.monotonic() - t1
        recv = field(a, "RECV", 120)
        expect(field(a, "PING", 60) == "ok", "VM a cannot ping VM b")
        expect(recv == sent, f"{mib} MiB arrived damaged: sent {sent}, received {recv}")
        expect(a.wait_exit(60) == 0, "VM a did not power off cleanly")
        expect(b.wait_exit(60) == 0, "VM b did not power off cleanly")
    finally:
        a.close()
        if b:
            b.close()
    return f"{mib} MiB in {secs:.1f}s ({mib / secs:.1f} MiB/s incl. the receiver's sha256), total {time.monotonic() - t0:.1f}s"


# ---- tap ---------------------------------------------------------------------------------

def run_ip(*args):
    subprocess.run(["ip"] + list(args), check=True, capture_output=True)


class Upload:
    """A TCP server on addr taking one upload; .digest is its sha256."""

    def __init__(self, addr):
        self.srv = socket.socket()
        self.srv.bind((addr, 0))
        self.srv.listen(1)
        self.srv.settimeout(120)
        self.port = self.srv.getsockname()[1]
        self.digest = None
        self.size = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        try:
            c, _ = self.srv.accept()
        except OSError:
            return
        h = hashlib.sha256()
        with c:
            while True:
                b = c.recv(1 << 16)
                if not b:
                    break
                h.update(b)
                self.size += len(b)
        self.digest = h.hexdigest()
        self.srv.close()


def test_tap(ctx):
    """Both ways over a tap, with kernel offloads (vnet headers) and
    without (segmentation done in software); a busy tap is refused."""
    ctx.need_guest()
    if os.geteuid() != 0:
        raise Skip("needs root")
    if not os.path.exists("/dev/net/tun") or not shutil.which("ip"):
        raise Skip("no /dev/net/tun or no ip(8)")
    ifname = f"vstap{os.getpid() % 100000}"
    try:
        run_ip("tuntap", "add", "dev", ifname, "mode", "tap")
        run_ip("addr", "add", "192.168.78.1/24", "dev", ifname)
        run_ip("link", "set", ifname, "up")
    except subprocess.CalledProcessError as e:
        raise Skip(f"cannot create a tap here: {e.stderr.decode().strip()}")
    root = os.path.join(ctx.tmp, "tapwww")
    os.makedirs(root)
    blob = os.urandom(1 << 20)
    with open(os.path.join(root, "blob"), "wb") as f:
        f.write(blob)
    want = hashlib.sha256(blob).hexdigest()
    srv = None
    try:
        srv = http_server(root, host="192.168.78.1")
        for vnet in ("on", "off"):
            up = Upload("192.168.78.1")
            script = f"""
ip addr add 192.168.78.2/24 dev eth0
ip link set eth0 up
ping -c 2 -w 20 192.168.78.1 >/dev/null && echo PING=ok || echo PING=failed
wget -q -O /tmp/blob http://192.168.78.1:{srv.server_address[1]}/blob
echo "WGET=$(sha256sum < /tmp/blob | cut -d' ' -f1)"
nc 192.168.78.1 {up.port} < /tmp/blob
echo UPLOADED=1
echo READY=1
sleep 30
"""
            g = ctx.start(f"tap-{vnet}", script, [f"tap,ifname={ifname},vnet_hdr={vnet}"])
            try:
                expect(field(g, "PING", BOOT_TIMEOUT) == "ok", f"vnet_hdr={vnet}: no ping over the tap")
                expect(field(g, "WGET", 60) == want, f"vnet_hdr={vnet}: bad download over the tap")
                field(g, "UPLOADED", 60)
                for _ in range(100):
                    if up.digest:
                        break
                    time.sleep(0.1)
                expect(up.digest == want, f"vnet_hdr={vnet}: bad upload over the tap "
                       f"({up.size} bytes)")
                field(g, "READY", 10)
                if vnet == "on":
                    # The tap is taken: a second VM is refused, clearly.
                    image, initrd = ctx.guest
                    p = subprocess.run([ctx.vessel, "run", "-k", image, "-i", initrd, "--net",
                                        f"tap,ifname={ifname}", "--timeout", "20"],
                                       capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
                    err = p.stderr.decode()
                    expect(p.returncode != 0, "a second VM attached to a tap in use")
                    expect(f"{ifname} is already in use" in err,
                           f"unclear error for a busy tap: {err.strip()}")
            finally:
                g.close()
    finally:
        if srv:
            srv.shutdown()
        subprocess.run(["ip", "link", "del", ifname], capture_output=True)
    return "both ways, with and without vnet headers"


# ---- errors -------------------------------------------------------------------------------

def test_errors(ctx):
    cases = [
        (["--net", "bogus"], "unknown network backend 'bogus'"),
        (["--net", "user,hostfwd=tcp::99999-:22"], "bad hostfwd"),
        (["--net", "user,colour=blue"], "unknown option 'colour'"),
        (["--net", "switch,name=../etc"], "bad name"),
        (["--net", "user,mac=01:02:03:04:05:06"], "bad mac"),
    ]
    for args, msg in cases:
        p = subprocess.run([ctx.vessel, "run"] + args, capture_output=True, timeout=30,
                           stdin=subprocess.DEVNULL, env=ctx.env)
        err = p.stderr.decode()
        expect(p.returncode != 0 and msg in err, f"{args}: exit {p.returncode}, stderr {err.strip()!r}")
    # A forwarded port already taken on the host.
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        p = subprocess.run([ctx.vessel, "run", "--net", f"user,hostfwd=tcp:127.0.0.1:{port}-:22"],
                           capture_output=True, timeout=30, stdin=subprocess.DEVNULL, env=ctx.env)
        err = p.stderr.decode()
        expect(p.returncode != 0 and f"cannot forward host port tcp 127.0.0.1:{port}" in err,
               f"busy port: exit {p.returncode}, stderr {err.strip()!r}")
    finally:
        busy.close()
    return "ok"


def test_restrict(ctx):
    """restrict=on: DHCP still answers and forwarded ports reach the guest,
    but the guest reaches nothing, not even the host's loopback."""
    ctx.need_guest()
    root = os.path.join(ctx.tmp, "www-restrict")
    os.makedirs(root)
    with open(os.path.join(root, "f"), "w") as f:
        f.write("secret\n")
    srv = http_server(root)
    fwd = netguest.free_port()
    script = f"""
ip link set eth0 up
udhcpc -i eth0 -q -n -t 5 -T 2 -s /etc/udhcpc/default.script >/dev/null 2>&1
echo "ADDR=$(ip -4 addr show eth0 | grep -o 'inet [0-9.]*')"
wget -q -T 3 -O /tmp/f http://10.0.2.2:{srv.server_address[1]}/f 2>/dev/null && echo WGET=reached || echo WGET=blocked
(sleep 1; echo READY=1) &
echo "from the restricted guest" | nc -l -p 5000
"""
    g = ctx.start("restrict", script, [f"user,restrict=on,hostfwd=tcp:127.0.0.1:{fwd}-:5000"])
    try:
        expect(field(g, "ADDR", BOOT_TIMEOUT) == "inet 10.0.2.15", "no DHCP address with restrict=on")
        expect(field(g, "WGET", 30) == "blocked", "restrict=on let the guest reach the host")
        field(g, "READY", 30)
        with socket.create_connection(("127.0.0.1", fwd), timeout=30) as s:
            s.settimeout(30)
            got = b""
            while not got.endswith(b"\n"):
                b = s.recv(100)
                if not b:
                    break
                got += b
        expect(got == b"from the restricted guest\n", f"hostfwd with restrict=on: got {got!r}")
        expect(g.wait_exit(30) == 0, "the guest did not power off cleanly")
    finally:
        g.close()
        srv.shutdown()
    return "ok"


# ---- many connections at once through slirp ----------------------------------------

class Gather:
    """Accepts connections until n are open at once, answers each, and
    keeps them all open for a while."""

    def __init__(self, n):
        self.n = n
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(256)
        self.port = self.srv.getsockname()[1]
        self.peak = 0
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        conns = []
        self.srv.settimeout(120)
        try:
            while len(conns) < self.n:
                c, _ = self.srv.accept()
                conns.append(c)
                self.peak = len(conns)
        except OSError:
            pass
        for c in conns:
            c.sendall(b"ok\n")
        time.sleep(8)
        for c in conns:
            c.close()
        self.srv.close()


def test_many(ctx):
    """More simultaneous guest connections than a small poll set holds:
    each is a host socket slirp must poll."""
    ctx.need_guest()
    n = 150
    gather = Gather(n)
    script = f"""
ip link set eth0 up
udhcpc -i eth0 -q -n -t 5 -T 2 -s /etc/udhcpc/default.script >/dev/null 2>&1
i=0
while [ $i -lt {n} ]; do sleep 1000 | nc 10.0.2.2 {gather.port} > /tmp/c$i & i=$((i+1)); done
# every connection is still open: each answer must have been read by now
sleep 4
echo "OK=$(cat /tmp/c* | grep -c ok)"
killall sleep
"""
    g = ctx.start("many", script, ["user"])
    try:
        got = field(g, "OK", BOOT_TIMEOUT)
        expect(got == str(n), f"{got} of {n} simultaneous connections answered "
               f"(the host saw at most {gather.peak} at once)")
        expect(g.wait_exit(30) == 0, "the guest did not power off cleanly")
    finally:
        g.close()
    return f"{n} connections at once"


TESTS = [("errors", test_errors), ("user", test_user), ("restrict", test_restrict), ("many", test_many), ("switch", test_switch), ("tap", test_tap)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vessel", required=True)
    ap.add_argument("-k", dest="only", action="append")
    ap.add_argument("--keep", action="store_true", help="keep logs and images")
    args = ap.parse_args()
    ctx = Ctx(args.vessel, args.keep)
    failed = 0
    t0 = time.monotonic()
    for name, fn in TESTS:
        if args.only and name not in args.only:
            continue
        try:
            note = fn(ctx)
            print(f"PASS net-{name}: {note}", flush=True)
        except Skip as e:
            print(f"SKIP net-{name}: {e}", flush=True)
        except (Fail, OSError, subprocess.SubprocessError) as e:
            print(f"FAIL net-{name}: {e}", flush=True)
            failed += 1
    print(f"net tests: {time.monotonic() - t0:.0f}s" + (f", logs in {ctx.tmp}" if failed else ""))
    if not failed:
        ctx.cleanup()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
