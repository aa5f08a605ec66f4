#!/usr/bin/env python3
"""Integration tests of Vessel's virtio devices (make check-virtio).

The default guest's kernel (build/guest/Image, busybox userland) boots
with its root file system on an ext4 image in a qcow2 overlay over a qcow2
backing file, made by `vessel img from-dir`.  The guest's /sbin/vtest
(below) runs in two boots:

  boot 1  writes files on the root disk; reads 64 bytes from virtio-rng;
          mounts a 9p share, reads and writes it and tries to escape it
          (.., relative, absolute and /proc/self/root symlinks, links it
          creates itself); writes to a read-only share; talks to the host
          through a named console port on a UNIX socket and writes to a
          second one backed by a file; powers off.
          Meanwhile a second `vessel run` asking for the same disk must be
          refused, naming the first one.
  boot 2  finds the files of boot 1 (sha256sum -c) and appends a line.

Then the host checks `qemu-img check` of the overlay, that the backing
file did not change, and reads the files back from a raw conversion of the
overlay with debugfs.  Tests needing something absent print SKIP.

Usage: test_virtio.py --vessel build/vessel --guest build/guest
"""
import argparse
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

TIMEOUT = float(os.environ.get("VESSEL_TEST_BOOT_TIMEOUT", "300"))
SECRET = "HOST-SECRET-7f3a9c"     # outside the share: must never show up in the guest

VTEST = r"""#!/bin/sh
# Vessel virtio integration test, run as init (see tests/virtio/test_virtio.py).
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "VTEST-START $vphase"
port_dev() {
    for d in /sys/class/virtio-ports/*; do
        [ "$(cat $d/name 2>/dev/null)" = "$1" ] && echo /dev/${d##*/} && return
    done
}
if [ "$vphase" = write ]; then
    echo "RNG-CURRENT $(cat /sys/class/misc/hw_random/rng_current)"
    echo "RNG-BYTES $(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | od -An -tx1 | tr -d ' \n')"
    mkdir -p /data
    echo "persist-$vtoken" > /data/hello.txt
    dd if=/dev/urandom of=/data/blob bs=1024 count=768 2>/dev/null
    (cd /data && sha256sum blob > blob.sha)
    sync
    echo "DISK-WRITTEN $(cut -c1-64 /data/blob.sha)"

    mkdir -p /mnt/hs /mnt/ro
    mount -t 9p -o trans=virtio,version=9p2000.L hs /mnt/hs && echo "9P-MOUNTED"
    echo "9P-READ $(cat /mnt/hs/from-host.txt)"
    echo "guest-wrote" > /mnt/hs/from-guest.txt
    mkdir /mnt/hs/gdir && echo inside > /mnt/hs/gdir/f
    dd if=/dev/urandom of=/mnt/hs/big bs=1024 count=1024 2>/dev/null
    echo "9P-BIG $(sha256sum /mnt/hs/big | cut -c1-64)"
    mv /mnt/hs/gdir/f /mnt/hs/gdir/g && echo "9P-RENAMED"
    ln -s / /mnt/hs/groot
    ln -s /mnt/hs/from-host.txt /mnt/hs/glink
    echo "9P-LINK $(cat /mnt/hs/glink)"
    echo "9P-LS $(ls /mnt/hs | tr '\n' ' ')"
    for p in ../secret up/secret abs-secret procroot$vsecretdir/secret \
             dotdot/secret groot$vsecretdir/secret ../../$vsecretdir/secret; do
        out=$(cat /mnt/hs/$p 2>&1)
        echo "ESCAPE $p rc=$? $out"
    done
    echo "ESCAPE-LS $(ls /mnt/hs/dotdot/ 2>&1 | tr '\n' ' ')"
    for p in abs-secret procroot$vsecretdir/secret up/secret; do
        ln /mnt/hs/$p /mnt/hs/hl-${p%%/*} 2>/dev/null
        out=$(cat /mnt/hs/hl-${p%%/*} 2>&1)
        echo "HARDLINK $p rc=$? $out"
    done
    echo "BLK-SERIAL $(cat /sys/block/vdb/serial) $(cat /sys/block/vdc/serial)"
    echo "BLK-ROFLAG $(cat /sys/block/vdb/ro) $(cat /sys/block/vdc/ro)"
    echo "BLK-RO-READ $(head -c 15 /dev/vdb)"
    if dd if=/dev/zero of=/dev/vdb bs=4096 count=1 oflag=direct 2>/dev/null; then
        echo "BLK-RO-WRITE ok"; else echo "BLK-RO-WRITE refused"; fi
    echo "BLK-DISCARD-MAX $(cat /sys/block/vdc/queue/discard_max_bytes)"
    blkdiscard -o 65536 -l 65536 /dev/vdc && echo "BLK-DISCARDED ok"
    echo "BLK-DISCARD-READ $(dd if=/dev/vdc bs=65536 skip=1 count=1 iflag=direct 2>/dev/null | od -An -v -tx1 | tr -s ' ' '\n' | grep . | sort -u | tr -d '\n')"
    echo "BLK-KEPT $(dd if=/dev/vdc bs=65536 count=1 iflag=direct 2>/dev/null | od -An -v -tx1 | tr -s ' ' '\n' | grep . | sort -u | tr -d '\n')"
    rm /mnt/hs/host-delete-me && echo "9P-REMOVED"
    mount -t 9p -o trans=virtio,version=9p2000.L ro /mnt/ro && echo "9P-RO-MOUNTED"
    echo "9P-RO-READ $(cat /mnt/ro/ro.txt)"
    if echo x > /mnt/ro/new 2>/dev/null; then echo "RO-WRITE ok"; else echo "RO-WRITE refused"; fi
    if rm /mnt/ro/ro.txt 2>/dev/null; then echo "RO-RM ok"; else echo "RO-RM refused"; fi
    umount /mnt/hs /mnt/ro

    p=$(port_dev org.vessel.test)
    l=$(port_dev org.vessel.log)
    echo "PORTS $p $l"
    echo "guest-to-host" > $p
    echo "PORT-READ $(head -n1 $p)"
    echo "log-line-from-guest" > $l
    sync
else
    echo "VERIFY $(cat /data/hello.txt)"
    (cd /data && sha256sum -c blob.sha)
    echo "second-boot" >> /data/hello.txt
    sync
fi
echo "VTEST-DONE"
poweroff -f
"""


class Failures:
    def __init__(self):
        self.n = 0

    def check(self, cond, what, detail=""):
        if cond:
            print("  ok   " + what)
        else:
            self.n += 1
            print("  FAIL " + what + (": " + detail if detail else ""))
        return cond


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_rootfs(guest, work, vessel):
    """The default guest's busybox + /sbin/vtest as an ext4 qcow2 image."""
    root = os.path.join(work, "rootfs")
    os.makedirs(root)
    with open(os.path.join(guest, "initramfs.cpio.gz"), "rb") as f:
        data = subprocess.run(["gzip", "-dc"], input=f.read(), stdout=subprocess.PIPE,
                              check=True).stdout
    subprocess.run(["cpio", "-idm", "--quiet", "--no-absolute-filenames"], input=data,
                   cwd=root, check=True, stderr=subprocess.DEVNULL)
    for d in ("proc", "sys", "dev", "mnt", "data", "tmp"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    vtest = os.path.join(root, "sbin", "vtest")
    with open(vtest, "w") as f:
        f.write(VTEST)
    os.chmod(vtest, 0o755)
    base = os.path.join(work, "base.qcow2")
    r = run([vessel, "img", "from-dir", "-q", "-O", "qcow2", "--size", "64M", root, base])
    if r.returncode != 0:
        raise RuntimeError("vessel img from-dir: " + r.stdout)
    overlay = os.path.join(work, "overlay.qcow2")
    r = run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "qcow2", overlay])
    if r.returncode != 0:
        raise RuntimeError("qemu-img create: " + r.stdout)
    return base, overlay


def vm_cmd(vessel, guest, append, extra):
    return [vessel, "run", "--kernel", os.path.join(guest, "Image"), "--mem", "256M",
            "--append", "console=ttyS0 root=/dev/vda rw rootfstype=ext4 init=/sbin/vtest " + append,
            "--timeout", str(TIMEOUT)] + extra


def talk_to_port(sock_path, got, stop):
    """Host side of the org.vessel.test console port."""
    s = None
    while not stop.is_set() and s is None:
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(sock_path)
        except OSError:
            s = None
            time.sleep(0.05)
    if s is None:
        return
    s.settimeout(TIMEOUT)
    buf = b""
    try:
        while b"\n" not in buf:
            chunk = s.recv(4096)
            if not chunk:
                break
            buf += chunk
        got.append(buf.decode(errors="replace"))
        # Answer only after the test has tried a second VM on the same disk.
        stop.wait(TIMEOUT)
        s.sendall(b"host-to-guest\n")
        time.sleep(0.5)
    except OSError:
        pass
    finally:
        s.close()


def test_root_disk_share_ports(vessel, guest, work, F):
    print("root on qcow2 + backing file, 9p share, rng, console ports")
    base, overlay = build_rootfs(guest, work, vessel)
    base_sum = sha256(base)
    share = os.path.join(work, "share")
    ro = os.path.join(work, "ro")
    secretdir = os.path.join(work, "outside")
    for d in (share, ro, secretdir):
        os.makedirs(d)
    with open(os.path.join(secretdir, "secret"), "w") as f:
        f.write(SECRET + "\n")
    with open(os.path.join(work, "secret"), "w") as f:
        f.write(SECRET + "\n")
    with open(os.path.join(share, "from-host.txt"), "w") as f:
        f.write("hello-from-host\n")
    with open(os.path.join(share, "host-delete-me"), "w") as f:
        f.write("x\n")
    with open(os.path.join(ro, "ro.txt"), "w") as f:
        f.write("read-only-content\n")
    os.symlink("..", os.path.join(share, "up"))
    os.symlink("..", os.path.join(share, "dotdot"))
    os.symlink(os.path.join(work, "secret"), os.path.join(share, "abs-secret"))
    os.symlink("/proc/self/root", os.path.join(share, "procroot"))
    sock = os.path.join(work, "port.sock")
    log = os.path.join(work, "port.log")
    token = "%08x" % (os.getpid() * 7919 & 0xffffffff)

    rodisk = os.path.join(work, "ro-disk.img")
    with open(rodisk, "wb") as f:
        f.write(b"RO-DISK-CONTENT")
        f.truncate(1 << 20)
    ro_sum = sha256(rodisk)
    scratch = os.path.join(work, "scratch.img")
    with open(scratch, "wb") as f:
        f.write(b"\xaa" * (1 << 20))
    devices = ["--disk", overlay + ",format=qcow2",
               "--disk", rodisk + ",readonly,serial=RO-SERIAL-1",
               "--disk", scratch + ",serial=SCRATCH-2", "--rng",
               "--share", share + ",tag=hs", "--share", ro + ",tag=ro,readonly",
               "--console-port", "name=org.vessel.test,socket=" + sock,
               "--console-port", "name=org.vessel.log,path=" + log]
    cmd = vm_cmd(vessel, guest, "vphase=write vtoken=%s vsecretdir=%s" % (token, secretdir),
                 devices)
    got, stop = [], threading.Event()
    vm = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)
    port = threading.Thread(target=talk_to_port, args=(sock, got, stop))
    port.start()
    # While the guest waits for our line on the port, a second VM asks for
    # the same disk.
    t0 = time.time()
    while not got and time.time() - t0 < TIMEOUT and vm.poll() is None:
        time.sleep(0.1)
    r = run(vm_cmd(vessel, guest, "vphase=verify", ["--disk", overlay, "--timeout", "30"]),
            stdin=subprocess.DEVNULL, timeout=60)
    F.check(r.returncode == 1 and "in use" in r.stdout and overlay in r.stdout,
            "a second VM asking for the same writable disk is refused", r.stdout[-400:])
    F.check(re.search(r"pid \d+ \(vessel\)", r.stdout) is not None,
            "the refusal names the VM holding the disk", r.stdout[-400:])
    stop.set()
    try:
        out, _ = vm.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        vm.kill()
        out, _ = vm.communicate()
    port.join()
    F.check(vm.returncode == 0, "boot 1 powers off cleanly", "status %s" % vm.returncode)
    F.check("VTEST-DONE" in out, "boot 1 ran its test script", out[-1500:])

    def line(prefix):
        m = re.search("^" + re.escape(prefix) + r" ?(.*)$", out, re.M)
        return m.group(1).strip() if m else None

    rng = line("RNG-BYTES") or ""
    F.check(line("RNG-CURRENT") == "virtio_rng.0", "virtio-rng is the guest's hwrng",
            str(line("RNG-CURRENT")))
    F.check(len(rng) == 128 and rng != "0" * 128, "64 random bytes from /dev/hwrng", rng)
    F.check(line("9P-MOUNTED") is not None, "9p share mounts")
    F.check(line("9P-READ") == "hello-from-host", "guest reads a host file", str(line("9P-READ")))
    try:
        with open(os.path.join(share, "from-guest.txt")) as f:
            wrote = f.read()
    except OSError as e:
        wrote = str(e)
    F.check(wrote == "guest-wrote\n", "guest writes a host file", wrote)
    big = os.path.join(share, "big")
    F.check(os.path.exists(big) and line("9P-BIG") == sha256(big),
            "1 MiB written through 9p matches the guest's sha256")
    F.check(os.path.exists(os.path.join(share, "gdir", "g")), "rename inside the share")
    F.check(os.path.islink(os.path.join(share, "groot")) and
            os.readlink(os.path.join(share, "groot")) == "/",
            "a guest symlink is stored as text on the host")
    F.check(line("9P-LINK") == "hello-from-host", "guest follows its own symlinks")
    F.check(not os.path.exists(os.path.join(share, "host-delete-me")) and
            line("9P-REMOVED") is not None, "guest removes a host file")
    escapes = re.findall(r"^ESCAPE (\S+) rc=(\d+) (.*)$", out, re.M)
    hard = re.findall(r"^HARDLINK (\S+) rc=(\d+) ?(.*)$", out, re.M)
    F.check(len(hard) == 3, "all hard-link attempts ran", str(hard))
    for path, rc, text in hard:
        F.check(rc != "0" and SECRET not in text, "hard link to %s gives no access" % path, text)
    for name in os.listdir(share):
        st = os.lstat(os.path.join(share, name))
        F.check(st.st_ino != os.stat(os.path.join(secretdir, "secret")).st_ino and
                st.st_ino != os.stat(os.path.join(work, "secret")).st_ino,
                "share entry %s is not the host secret" % name)
    F.check(line("BLK-SERIAL") == "RO-SERIAL-1 SCRATCH-2", "disk serials in /sys/block/*/serial",
            str(line("BLK-SERIAL")))
    F.check(line("BLK-ROFLAG") == "1 0", "readonly=on disk is read-only in the guest",
            str(line("BLK-ROFLAG")))
    F.check(line("BLK-RO-READ") == "RO-DISK-CONTENT", "guest reads the read-only disk",
            str(line("BLK-RO-READ")))
    F.check(line("BLK-RO-WRITE") == "refused", "guest writes to the read-only disk fail",
            str(line("BLK-RO-WRITE")))
    F.check(sha256(rodisk) == ro_sum, "the read-only disk's image is unchanged")
    F.check(line("BLK-DISCARDED") == "ok" and line("BLK-DISCARD-MAX") not in (None, "0"),
            "blkdiscard on a virtio-blk disk", "%s max=%s" % (line("BLK-DISCARDED"),
                                                              line("BLK-DISCARD-MAX")))
    F.check(line("BLK-DISCARD-READ") == "00", "discarded range reads as zeros in the guest",
            str(line("BLK-DISCARD-READ")))
    F.check(line("BLK-KEPT") == "aa", "data beside the discarded range is kept",
            str(line("BLK-KEPT")))
    with open(scratch, "rb") as f:
        img = f.read()
    F.check(img[:65536] == b"\xaa" * 65536 and img[65536:131072] == bytes(65536) and
            img[131072:] == b"\xaa" * (len(img) - 131072),
            "the host image shows the discard (zeros) and nothing else changed")
    F.check(len(escapes) == 7, "all escape attempts ran", str(escapes))
    for path, rc, text in escapes:
        F.check(rc != "0" and SECRET not in text, "escape via %s fails" % path, text)
    F.check(SECRET not in out, "the host secret never reaches the guest")
    F.check("secret" not in (line("ESCAPE-LS") or ""), "listing ../ of the share shows "
            "the guest's own directory", str(line("ESCAPE-LS")))
    F.check(line("9P-RO-READ") == "read-only-content", "read-only share reads")
    F.check(line("RO-WRITE") == "refused" and line("RO-RM") == "refused" and
            sorted(os.listdir(ro)) == ["ro.txt"], "read-only share refuses writes")
    F.check(got and got[0] == "guest-to-host\n", "console port: guest -> host socket", str(got))
    F.check(line("PORT-READ") == "host-to-guest", "console port: host socket -> guest",
            str(line("PORT-READ")))
    try:
        with open(log) as f:
            logged = f.read()
    except OSError as e:
        logged = str(e)
    F.check(logged == "log-line-from-guest\n", "console port backed by a file", logged)
    F.check(not os.path.exists(sock), "the port's socket file is removed at exit")

    print("second boot")
    r = run(vm_cmd(vessel, guest, "vphase=verify", ["--disk", overlay]),
            stdin=subprocess.DEVNULL, timeout=TIMEOUT + 30)
    F.check(r.returncode == 0 and "VTEST-DONE" in r.stdout, "boot 2 powers off cleanly",
            r.stdout[-800:])
    F.check("VERIFY persist-" + token in r.stdout, "boot 2 finds boot 1's file")
    F.check("blob: OK" in r.stdout, "boot 2: 768 KiB file intact (sha256sum -c)")

    r = run(["qemu-img", "check", overlay])
    F.check(r.returncode == 0 and "No errors were found" in r.stdout,
            "qemu-img check of the overlay is clean", r.stdout)
    F.check(sha256(base) == base_sum, "the backing file is unchanged")
    flat = os.path.join(work, "flat.raw")
    r = run(["qemu-img", "convert", "-O", "raw", overlay, flat])
    F.check(r.returncode == 0, "qemu-img converts the overlay", r.stdout)
    r = run(["debugfs", "-R", "cat /data/hello.txt", flat])
    F.check("persist-" + token + "\nsecond-boot" in r.stdout,
            "the host reads both boots' data in the image (debugfs)", r.stdout)
    r = run(["debugfs", "-R", "dump /data/blob " + os.path.join(work, "blob"), flat])
    r2 = run(["debugfs", "-R", "cat /data/blob.sha", flat])
    F.check(os.path.exists(os.path.join(work, "blob")) and
            sha256(os.path.join(work, "blob")) in r2.stdout,
            "the 768 KiB file read on the host matches the guest's sha256")


def test_shared_kernel_init(vessel, work, F):
    """The shared test guest's init: blk=vda, rng, 9p=TAG in one boot."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found = [d for d in (os.environ.get("VESSEL_TEST_GUEST"),
                         os.path.join(repo, "..", "shared", "guest"), "/work/shared/guest")
             if d and os.path.exists(os.path.join(d, "Image"))]
    if not found:
        print("SKIP shared test guest: none in ../shared/guest or $VESSEL_TEST_GUEST")
        return
    shared = found[0]
    print("shared test guest: blk=vda rng 9p=TAG")
    disk = os.path.join(work, "small.raw")
    with open(disk, "wb") as f:
        f.write(os.urandom(3 << 20))
    share = os.path.join(work, "small-share")
    os.makedirs(share)
    for n in ("one", "two"):
        open(os.path.join(share, n), "w").close()
    import zlib
    with open(disk, "rb") as f:
        crc = "%08x" % zlib.crc32(f.read())
    r = run([vessel, "run", "--kernel", os.path.join(shared, "Image"),
             "--initrd", os.path.join(shared, "initramfs.cpio.gz"),
             "--append", "console=ttyS0 blk=vda rng 9p=tag0",
             "--disk", disk + ",readonly=on", "--rng", "--share", share + ",tag=tag0",
             "--timeout", str(TIMEOUT)], stdin=subprocess.DEVNULL, timeout=TIMEOUT + 30)
    F.check(r.returncode == 0, "shared guest powers off", r.stdout[-600:])
    F.check(re.search(r"^BLK vda %d %s " % (3 << 20, crc), r.stdout, re.M) is not None,
            "BLK vda: size and crc32 match the host file")
    F.check("RNG ok 64" in r.stdout, "RNG ok 64")
    F.check(re.search(r"^9P tag0 2 (one two|two one)$", r.stdout, re.M) is not None,
            "9P tag0 lists the share")


def test_host_block_device(vessel, guest, work, F):
    """A host block device (a loop device) is given to one VM alone."""
    if os.geteuid() != 0 or not shutil.which("losetup"):
        print("SKIP host block device: needs root and losetup")
        return
    backing = os.path.join(work, "loop.img")
    with open(backing, "wb") as f:
        f.write(b"VESSEL-LOOP-MARK" + bytes(4096 - 16))
        f.truncate(8 << 20)
    r = run(["losetup", "-f", "--show", backing])
    if r.returncode != 0:
        print("SKIP host block device: losetup: " + r.stdout.strip())
        return
    loop = r.stdout.strip()
    print("host block device " + loop)
    try:
        vm = subprocess.Popen([vessel, "run", "--kernel", os.path.join(guest, "Image"),
                               "--initrd", os.path.join(guest, "initramfs.cpio.gz"),
                               "--append", "console=ttyS0 quiet rdinit=/bin/sh",
                               "--disk", loop, "--timeout", str(TIMEOUT)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
        time.sleep(0.5)
        r = run([vessel, "run", "--kernel", os.path.join(guest, "Image"), "--disk", loop,
                 "--timeout", "20"], stdin=subprocess.DEVNULL, timeout=60)
        F.check(r.returncode == 1 and "in use" in r.stdout and loop in r.stdout,
                "a second VM asking for the same host block device is refused", r.stdout[-300:])
        out, _ = vm.communicate("mount -t devtmpfs d /dev; head -c 16 /dev/vda; echo; poweroff -f\n", timeout=TIMEOUT)
        F.check("VESSEL-LOOP-MARK" in out and vm.returncode == 0,
                "the guest reads the host block device", out[-500:])
        # A mounted block device is refused.
        mnt = os.path.join(work, "mnt")
        os.makedirs(mnt)
        if run(["mkfs.ext4", "-q", "-F", loop]).returncode == 0 and \
                run(["mount", loop, mnt]).returncode == 0:
            try:
                r = run([vessel, "run", "--kernel", os.path.join(guest, "Image"),
                         "--disk", loop, "--timeout", "20"], stdin=subprocess.DEVNULL, timeout=60)
                F.check(r.returncode == 1 and "in use" in r.stdout,
                        "a mounted host block device is refused", r.stdout[-300:])
            finally:
                run(["umount", mnt])
        else:
            print("SKIP mounted block device: cannot mount " + loop)
    finally:
        run(["losetup", "-d", loop])


def test_bad_args(vessel, work, F):
    """Each bad device argument: status 1 and a one-line error before boot."""
    raw = os.path.join(work, "bad-raw.img")
    with open(raw, "wb") as f:
        f.truncate(1 << 20)
    badq = os.path.join(work, "bad.qcow2")
    with open(badq, "wb") as f:
        f.write(b"QFI\xfb\0\0\0\3" + b"\xff" * 64)
        f.truncate(1 << 20)
    d = os.path.join(work, "bad-dir")
    os.makedirs(d, exist_ok=True)
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    bport = busy.getsockname()[1]
    many = []
    for i in range(9):
        p = os.path.join(work, "slot%d.img" % i)
        with open(p, "wb") as f:
            f.truncate(1 << 20)
        many += ["--disk", p]
    cases = [
        (["--disk", "/nonexistent"], "No such file"),
        (["--disk", raw + ",format=bogus"], "format=bogus"),
        (["--disk", raw + ",cache=bogus"], "cache=bogus"),
        (["--disk", raw + ",bogus=1"], "unknown option 'bogus'"),
        (["--disk", raw + ",readonly=maybe"], "readonly=maybe"),
        (["--disk", badq], "bad.qcow2"),
        (["--disk", d], "not a regular file"),
        (["--disk", ""], "image file is required"),
        (["--net", "bogus"], "unknown network backend"),
        (["--net", "user,hostfwd=garbage"], "bad hostfwd"),
        (["--net", "user,hostfwd=tcp::99999-:22"], "bad hostfwd"),
        (["--net", "user,hostfwd=tcp:127.0.0.1:%d-:22" % bport], "already in use"),
        (["--net", "tap,ifname=" + "x" * 16], "bad ifname"),
        (["--share", "/nonexistent,tag=x"], "No such file"),
        (["--share", d], "tag=TAG is required"),
        (["--share", d + ",tag=" + "t" * 65], "must be 1 to 64"),
        (["--share", d + ",tag=a", "--share", d + ",tag=a"], "given twice"),
        (["--console-port", "name=x,socket=/nonexistent-dir/s"], "cannot listen"),
        (["--console-port", "socket=" + os.path.join(work, "s")], "name=NAME is required"),
        (["--console-port", "name=x,socket=%s/s1" % work,
          "--console-port", "name=x,socket=%s/s2" % work], "given twice"),
        (many, "slots are taken"),
    ]
    for argv, want in cases:
        try:
            r = run([vessel, "run"] + argv, timeout=20, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            F.check(False, "bad args %s: refused" % " ".join(argv)[:60], "the guest booted")
            continue
        lines = r.stdout.strip().splitlines()
        F.check(r.returncode == 1 and len(lines) == 1 and want in r.stdout,
                "bad args %s: one-line error with '%s'" % (" ".join(argv)[:60], want),
                "rc=%s out=%r" % (r.returncode, r.stdout[-300:]))
    busy.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vessel", required=True)
    ap.add_argument("--guest", required=True)
    args = ap.parse_args()
    vessel = os.path.abspath(args.vessel)
    guest = os.path.abspath(args.guest)
    F = Failures()
    work = tempfile.mkdtemp(prefix="vessel-virtio-")
    try:
        test_bad_args(vessel, work, F)
        test_shared_kernel_init(vessel, work, F)
        missing = [t for t in ("qemu-img", "debugfs", "cpio") if not shutil.which(t)]
        if not os.path.exists(os.path.join(guest, "Image")):
            print("SKIP root-disk test: no default guest in %s (make builds it)" % guest)
        elif missing:
            print("SKIP root-disk test: missing " + " ".join(missing))
        else:
            test_root_disk_share_ports(vessel, guest, work, F)
            test_host_block_device(vessel, guest, work, F)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if F.n:
        print("check-virtio: %d FAILED" % F.n)
        return 1
    print("check-virtio: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
