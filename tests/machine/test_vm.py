#!/usr/bin/env python3
"""Integration tests of `vessel run` (make check-machine).

Bare-metal programs (built from tests/machine/guest/ by mk/machine.mk),
command-line errors, the generated device tree, and Linux: the test guest
in ../shared/guest booting to BOOT-OK on 1, 2 and 4 harts, its bench=cpu
checksums, Debian's OpenSBI (fw_dynamic, fw_jump) and OpenSBI + U-Boot,
and the default guest's interactive shell.  Tests that need something
absent from this host print SKIP with the reason.

Usage: test_vm.py --vessel build/vessel --elfs build/tests/machine [-k NAME]
"""
import argparse
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin"

# Reference checksums of the test guest's bench=cpu (its README; equal to
# qemu-system-riscv64's and to the native build's).
BENCH_REF = {
    "hash": "51989b9bdccb518a",
    "sha256": "422d9d650a18c97e",
    "crc32": "3f382019",
    "qsort": "4eeacb644af88d95",
    "cpu-total": "a88b16b49858e3ee",
}

BOOT_TIMEOUT = float(os.environ.get("VESSEL_TEST_BOOT_TIMEOUT", "300"))


class Skip(Exception):
    pass


def find_guest():
    for d in (os.environ.get("VESSEL_TEST_GUEST"), os.path.join(REPO, "..", "shared", "guest"),
              "/work/shared/guest"):
        if d and os.path.isfile(os.path.join(d, "Image")) and \
                os.path.isfile(os.path.join(d, "initramfs.cpio.gz")):
            return os.path.abspath(d)
    return None


class Ctx:
    def __init__(self, vessel, elfs):
        self.vessel = os.path.abspath(vessel)
        self.elfs = os.path.abspath(elfs)
        self.guest = find_guest()
        self.tmp = tempfile.mkdtemp(prefix="vessel-test-")

    def elf(self, name):
        path = os.path.join(self.elfs, name)
        if not os.path.isfile(path):
            raise Skip(f"{path} not built (riscv64-linux-gnu-gcc missing?)")
        return path

    def need_guest(self):
        if not self.guest:
            raise Skip("no test guest (../shared/guest or $VESSEL_TEST_GUEST)")
        return os.path.join(self.guest, "Image"), os.path.join(self.guest, "initramfs.cpio.gz")

    def run(self, args, stdin=b"", timeout=60):
        """Run vessel run ARGS with stdin piped (then closed: EOF)."""
        t0 = time.monotonic()
        p = subprocess.run([self.vessel, "run"] + args, input=stdin, capture_output=True,
                           timeout=timeout)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        return p.returncode, out, err, time.monotonic() - t0


def expect(cond, what, out="", err=""):
    if not cond:
        tail = ("\n--- stdout (tail) ---\n" + out[-3000:] if out else "") + \
               ("\n--- stderr ---\n" + err[-2000:] if err else "")
        raise AssertionError(what + tail)


# ---------------------------------------------------------------- bare metal

def test_htif_pass(c):
    st, out, err, _ = c.run(["--bios", c.elf("htif_hello.elf")])
    expect(st == 0, f"status {st}, want 0", out, err)
    expect(out == "hello from HTIF\n", f"output {out!r}", out, err)


def test_bios_none(c):
    # QEMU's spelling for "no firmware, run the program in M mode".
    st, out, err, _ = c.run(["--bios", "none", "--kernel", c.elf("htif_hello.elf")])
    expect(st == 0 and out == "hello from HTIF\n", f"status {st}", out, err)
    st, out, err, _ = c.run(["--bios", "none"])
    expect(st == 1 and "needs --kernel" in err, f"status {st}", out, err)
    # A QEMU command line as people type it.
    st, out, err, _ = c.run(["-M", "virt", "-nographic", "-m", "64", "-smp", "2", "-bios", "none",
                             "-kernel", c.elf("htif_hello.elf")])
    expect(st == 0 and out == "hello from HTIF\n", f"QEMU-style: status {st}", out, err)


def test_htif_fail(c):
    st, out, err, _ = c.run(["--bios", c.elf("htif_fail.elf")])
    expect(st == 4, f"status {st}, want 4 (guest failure)", out, err)
    expect("hello from HTIF" in out, "no HTIF output", out, err)
    expect("code 3" in err, "exit code 3 not reported", out, err)


def test_access_faults(c):
    st, out, err, _ = c.run(["--mem", "16M", "--bios", c.elf("access_fault.elf")])
    expect(st == 0 and "all checks passed" in out, f"status {st}", out, err)


def test_sbi(c):
    st, out, err, _ = c.run(["--cpus", "2", "--kernel", c.elf("sbi_test.elf")])
    expect("sbi_test: hello through DBCN" in out, "DBCN write missing", out, err)
    expect(st == 0 and "sbi_test: ok" in out, f"status {st}", out, err)


def test_vmlinux_layout(c):
    # An ELF laid out like Linux's vmlinux (virtual entry, physical
    # addresses from 0) goes 2 MiB into RAM, as its Image would.
    st, out, err, _ = c.run(["--cpus", "2", "--kernel", c.elf("sbi_vmlinux.elf")])
    expect(st == 0 and "sbi_test: ok" in out, f"status {st}", out, err)


def test_halted(c):
    # The only running hart stops itself (SBI HSM): nothing can ever run.
    st, out, err, _ = c.run(["--cpus", "2", "--kernel", c.elf("sbi_stop.elf")])
    expect(st == 6 and "sbi_test: ok" in out and "halted" in err, f"status {st}", out, err)


def test_uart_irq(c):
    line = "".join(chr(33 + i % 90) for i in range(3000))
    st, out, err, _ = c.run(["--bios", c.elf("uart_irq.elf")], stdin=(line + "\n").encode())
    want = f"uart_irq: got 3000 bytes sum {sum(map(ord, line))}"
    expect(st == 0 and want in out, f"status {st}, want '{want}'", out, err)


def test_eof_keeps_running(c):
    # stdin at EOF at once: the guest must keep running until --timeout.
    st, out, err, t = c.run(["--timeout", "1.5", "--bios", c.elf("uart_irq.elf")])
    expect(st == 5, f"status {st}, want 5 (timeout)", out, err)
    expect("uart_irq: ready" in out and t >= 1.4, f"stopped early ({t:.2f}s)", out, err)
    expect("timeout" in err, "no timeout message", out, err)


def test_stuck_output(c):
    """A reader that stops reading must not keep the VM from stopping."""
    p = subprocess.Popen([c.vessel, "run", "--bios", c.elf("uart_flood.elf")],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE)
    time.sleep(1.0)              # the pipe is full long before this
    p.stdin.write(b"typed while the output is stuck\n")   # input pending too
    p.stdin.flush()
    time.sleep(0.5)
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        raise AssertionError("vessel did not stop on SIGTERM with stdout stuck")
    err = p.stderr.read().decode(errors="replace")
    took = time.monotonic() - t0
    expect(p.returncode == 128 + signal.SIGTERM, f"status {p.returncode}", "", err)
    expect(took < 3, f"took {took:.1f}s to stop", "", err)
    expect("signal 15" in err, "no signal message", "", err)


def test_ctrl_a(c):
    """On a terminal: raw mode, Ctrl-A h prints help, Ctrl-A x quits."""
    elf = c.elf("uart_irq.elf")
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(c.vessel, [c.vessel, "run", "--bios", elf])
    buf = b""
    try:
        buf = pty_wait(fd, buf, b"uart_irq: ready", 30)
        os.write(fd, b"\x01h")
        buf = pty_wait(fd, buf, b"C-a x", 10)
        os.write(fd, b"\x01x")
        buf = pty_drain(fd, buf, 10)
    finally:
        _, status = os.waitpid(pid, 0)
    expect(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0,
           f"status {status}", buf.decode(errors="replace"))
    expect(b"terminated" in buf, "no quit message", buf.decode(errors="replace"))


def pty_wait(fd, buf, pattern, timeout):
    end = time.monotonic() + timeout
    while pattern not in buf:
        left = end - time.monotonic()
        if left <= 0:
            raise AssertionError(f"timeout waiting for {pattern!r}; got:\n" +
                                 buf[-3000:].decode(errors="replace"))
        r, _, _ = select.select([fd], [], [], left)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                raise AssertionError(f"EOF waiting for {pattern!r}; got:\n" +
                                     buf[-3000:].decode(errors="replace"))
            buf += data
    return buf


def pty_drain(fd, buf, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([fd], [], [], 0.2)
        if r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                break
            if not data:
                break
            buf += data
    return buf


# ---------------------------------------------------------------- command line

def test_cli_errors(c):
    bad = os.path.join(c.tmp, "garbage")
    with open(bad, "wb") as f:
        f.write(os.urandom(4096))
    big = os.path.join(c.tmp, "big-image")
    hdr = bytearray(64)
    hdr[8:16] = (0x200000).to_bytes(8, "little")
    hdr[16:24] = (64 << 20).to_bytes(8, "little")     # needs 64 MiB
    hdr[48:56] = b"RISCV\0\0\0"
    hdr[56:60] = b"RSC\x05"
    with open(big, "wb") as f:
        f.write(bytes(hdr) + bytes(4096))
    cases = [
        (["--kernel", "/nonexistent/Image"], 1, "cannot open kernel"),
        (["--kernel", c.tmp], 1, "not a regular file"),
        (["--kernel", bad], 1, "not a RISC-V Linux Image"),
        (["--kernel", big, "--mem", "32M"], 1, "does not fit"),
        (["--kernel", bad, "--mem", "8M"], 1, "too little"),
        (["--kernel", bad, "--mem", "100G"], 1, "too much"),
        (["--kernel", bad, "--mem", "lots"], 2, "bad memory size"),
        (["--kernel", bad, "--cpus", "33"], 2, "supports 1 to 32"),
        (["--kernel", bad, "--cpus", "0"], 2, "bad CPU count"),
        (["--kernel", bad, "--bogus"], 2, "unknown option"),
        (["--kernel", bad, "extra"], 2, "unexpected argument"),
        (["--device", "nonsense,x=1"], 2, "unknown device type"),
        (["--bios", "/nonexistent/fw.bin"], 1, "cannot open firmware"),
        (["--bios", c.elf("htif_hello.elf"), "--device", "loader,file=/nonexistent"], 1,
         "cannot open loader file"),
        (["--bios", c.elf("htif_hello.elf"), "--device", "loader,addr=0x84000000"], 1,
         "file=PATH is required"),
        (["--bios", c.elf("htif_hello.elf"), "--device",
          f"loader,file={bad},addr=0x80000000"], 1, "overlaps"),
        (["--bios", c.elf("htif_hello.elf"), "--device", f"loader,file={bad},addr=0x1000"], 1,
         "does not fit in guest RAM"),
        (["--bios", c.elf("htif_hello.elf"), "--initrd", "/nonexistent"], 1,
         "cannot open initrd"),
        (["--timeout", "soon"], 2, "bad timeout"),
        (["-M", "sifive_u", "--kernel", bad], 2, "one board, virt"),
    ]
    for args, want, msg in cases:
        st, out, err, _ = c.run(args, timeout=20)
        expect(st == want and msg in err, f"vessel run {' '.join(args)}: status {st} "
               f"(want {want}), stderr should say '{msg}'", out, err)
    st, out, err, _ = c.run(["--help"])
    expect(st == 0 and "Usage: vessel run" in out and "Exit status" in out, "--help", out, err)
    expect("--device loader" in out, "--help does not list device types", out, err)


def test_dtb(c):
    image, initrd = c.need_guest() if c.guest else (None, None)
    dtb = os.path.join(c.tmp, "vessel.dtb")
    args = ["--cpus", "3", "--mem", "512M", "--append", "console=ttyS0 quiet",
            "--dtb-out", dtb, "--timeout", "0.2", "--bios", c.elf("uart_irq.elf")]
    if initrd:
        args += ["--initrd", initrd]
    st, out, err, _ = c.run(args)
    expect(st == 5, f"status {st}", out, err)
    if not shutil.which("dtc"):
        raise Skip("dtc not installed")
    dts = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", dtb], capture_output=True,
                         text=True, check=True).stdout
    for needle in ['compatible = "riscv-virtio"', 'bootargs = "console=ttyS0 quiet"',
                   'stdout-path = "/soc/serial@10000000"', "timebase-frequency = <0x989680>",
                   "cpu@2 {", 'mmu-type = "riscv,sv', 'riscv,isa = "rv64imafdc',
                   'compatible = "riscv,cpu-intc"', "memory@80000000",
                   "reg = <0x00 0x80000000 0x00 0x20000000>",
                   'compatible = "ns16550a"', 'compatible = "google,goldfish-rtc"',
                   'compatible = "sifive,test1\\0sifive,test0\\0syscon"',
                   'compatible = "sifive,plic-1.0.0\\0riscv,plic0"', "riscv,ndev = <0x60>",
                   'compatible = "sifive,clint0\\0riscv,clint0"',
                   'compatible = "syscon-poweroff"', 'compatible = "syscon-reboot"']:
        expect(needle in dts, f"DT lacks {needle!r}", dts)
    expect(dts.count('compatible = "virtio,mmio"') == 8, "want 8 virtio,mmio nodes", dts)
    for i in range(8):
        expect(f"virtio_mmio@1000{i + 1}000" in dts, f"virtio slot {i}", dts)
        expect(re.search(rf"virtio_mmio@1000{i + 1}000 {{\s*interrupts = <0x0?{i + 1:x}>", dts),
               f"virtio slot {i} IRQ", dts)
    if initrd:
        expect("linux,initrd-start" in dts and "linux,initrd-end" in dts, "initrd", dts)
    # The same node names and compatibles as QEMU's virt, minus what Vessel
    # does not have (PCI, fw_cfg, flash, PMU, platform bus).
    if shutil.which("qemu-system-riscv64"):
        qdtb = os.path.join(c.tmp, "qemu.dtb")
        subprocess.run(["qemu-system-riscv64", "-M", f"virt,dumpdtb={qdtb}", "-smp", "3",
                        "-m", "512M", "-nographic"], capture_output=True, timeout=30)
        qdts = subprocess.run(["dtc", "-I", "dtb", "-O", "dts", qdtb], capture_output=True,
                              text=True, check=True).stdout
        absent = ("pci@", "fw-cfg@", "flash@", "pmu", "platform-bus@")
        qnodes = {n for n in re.findall(r"^\s*([\w,@.-]+) {", qdts, re.M)
                  if not n.startswith(absent)}
        vnodes = set(re.findall(r"^\s*([\w,@.-]+) {", dts, re.M))
        expect(qnodes <= vnodes, f"nodes missing vs QEMU: {sorted(qnodes - vnodes)}", dts)
        for compat in set(re.findall(r'compatible = "([^"]+)"', qdts)):
            if compat in ("pci-host-ecam-generic", "qemu,fw-cfg-mmio", "cfi-flash",
                          "riscv,pmu", "qemu,platform\\0simple-bus"):
                continue
            expect(f'compatible = "{compat}"' in dts, f"compatible {compat!r} missing", dts)


# ---------------------------------------------------------------- Linux

def parse_bench(out):
    return {m.group(1): m.group(3) for m in
            re.finditer(r"^BENCH (\S+) (\S+) (\S+)\s*$", out, re.M)}


def boot_linux(c, cpus, extra_append="", extra=None):
    image, initrd = c.need_guest()
    args = ["--cpus", str(cpus), "--kernel", image, "--initrd", initrd,
            "--append", ("console=ttyS0 " + extra_append).strip(),
            "--timeout", str(BOOT_TIMEOUT)] + (extra or [])
    st, out, err, t = c.run(args, timeout=BOOT_TIMEOUT + 30)
    expect("BOOT-OK" in out, f"no BOOT-OK with {cpus} harts (status {st}, {t:.1f}s)", out, err)
    expect(st == 0, f"status {st} after BOOT-OK (want a clean poweroff)", out, err)
    expect(f"smp: Brought up 1 node, {cpus} CPU" in out, f"not all {cpus} harts came up",
           out, err)
    return out, t


def test_linux_1cpu(c):
    out, t = boot_linux(c, 1)
    print(f"    (boot to poweroff: {t:.1f}s)", end="")


def test_linux_gzip_kernel(c):
    import gzip
    image, _ = c.need_guest()
    gz = os.path.join(c.tmp, "Image.gz")
    with open(image, "rb") as f, gzip.open(gz, "wb", compresslevel=1) as g:
        g.write(f.read())
    boot_linux(c, 1, extra=["--kernel", gz])
    with open(gz, "rb") as f:
        head = f.read(200000)
    bad = os.path.join(c.tmp, "Image.trunc.gz")
    with open(bad, "wb") as f:
        f.write(head)
    st, out, err, _ = c.run(["--kernel", bad])
    expect(st == 1 and "truncated or corrupt" in err, f"truncated Image.gz: status {st}",
           out, err)


def test_linux_reboot(c):
    # The guest asks for a reboot (SBI SRST cold reboot): exit status 3.
    image, initrd = c.need_guest()
    st, out, err, _ = c.run(["--kernel", image, "--initrd", initrd, "--append",
                             "console=ttyS0 halt=reboot", "--timeout", str(BOOT_TIMEOUT)],
                            timeout=BOOT_TIMEOUT + 30)
    expect(st == 3 and "BOOT-OK" in out and "reset" in err, f"status {st}", out, err)


def test_linux_2cpu(c):
    boot_linux(c, 2)


def test_linux_4cpu(c):
    boot_linux(c, 4)


def test_linux_bench_cpu(c):
    out, t = boot_linux(c, 1, "bench=cpu")
    got = parse_bench(out)
    for name, want in BENCH_REF.items():
        value = got.get(name)
        expect(value is not None and int(value, 16) == int(want, 16),
               f"BENCH {name}: {value} != {want}", out)
    # ... and the same as QEMU prints, measured now.
    if shutil.which("qemu-system-riscv64"):
        image, initrd = c.need_guest()
        q = subprocess.run(["qemu-system-riscv64", "-M", "virt", "-smp", "1", "-m", "256M",
                            "-nographic", "-bios", "default", "-kernel", image, "-initrd",
                            initrd, "-append", "console=ttyS0 bench=cpu"],
                           stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
        qgot = parse_bench(q.stdout.decode("utf-8", "replace"))
        expect(set(qgot) >= set(BENCH_REF), f"QEMU printed no BENCH lines: {qgot}", out)
        for name in BENCH_REF:
            expect(int(got[name], 16) == int(qgot[name], 16),
                   f"BENCH {name}: vessel {got[name]} != qemu {qgot[name]}", out)


def test_opensbi_fw_dynamic(c):
    image, initrd = c.need_guest()
    fw = os.path.join(OPENSBI, "fw_dynamic.bin")
    if not os.path.isfile(fw):
        raise Skip(f"{fw} missing (package opensbi)")
    st, out, err, _ = c.run(["--bios", fw, "--kernel", image, "--initrd", initrd,
                             "--append", "console=ttyS0", "--timeout", str(BOOT_TIMEOUT)],
                            timeout=BOOT_TIMEOUT + 30)
    expect("OpenSBI v" in out and "BOOT-OK" in out and st == 0, f"status {st}", out, err)


def test_opensbi_fw_jump(c):
    image, initrd = c.need_guest()
    fw = os.path.join(OPENSBI, "fw_jump.bin")
    if not os.path.isfile(fw):
        raise Skip(f"{fw} missing (package opensbi)")
    st, out, err, _ = c.run(["--cpus", "2", "--bios", fw, "--kernel", image, "--initrd", initrd,
                             "--append", "console=ttyS0", "--timeout", str(BOOT_TIMEOUT)],
                            timeout=BOOT_TIMEOUT + 30)
    expect("OpenSBI v" in out and "BOOT-OK" in out and st == 0, f"status {st}", out, err)


class Console:
    """The guest console on a pty, for interactive tests."""

    def __init__(self, argv):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(argv[0], argv)
        self.buf = b""

    def wait(self, pattern, timeout):
        self.buf = pty_wait(self.fd, self.buf, pattern.encode(), timeout)
        return self.buf.decode(errors="replace")

    def send(self, text, delay=0.0):
        for ch in text.encode():
            os.write(self.fd, bytes([ch]))
            if delay:
                time.sleep(delay)

    def finish(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.buf = pty_drain(self.fd, self.buf, 0.5)
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                return status
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError("VM did not stop:\n" + self.buf[-3000:].decode(errors="replace"))


def test_opensbi_uboot(c):
    """What a QEMU user does: OpenSBI runs U-Boot, U-Boot boots Linux from
    images put in RAM by the loader device (QEMU: -device loader)."""
    image, initrd = c.need_guest()
    fw = os.path.join(OPENSBI, "fw_jump.bin")
    if not os.path.isfile(fw) or not os.path.isfile(UBOOT):
        raise Skip("opensbi or u-boot-qemu not installed")
    size = os.path.getsize(initrd)
    con = Console([c.vessel, "run", "--bios", fw, "--kernel", UBOOT,
                   "--device", f"loader,file={image},addr=0x84000000",
                   "--device", f"loader,file={initrd},addr=0x8c300000",
                   "--timeout", str(BOOT_TIMEOUT)])
    try:
        con.wait("Hit any key to stop autoboot", 120)
        con.send("\n")
        con.wait("=> ", 30)
        con.send("setenv bootargs console=ttyS0; booti ${kernel_addr_r} "
                 f"${{ramdisk_addr_r}}:0x{size:x} ${{fdtcontroladdr}}\n", delay=0.002)
        text = con.wait("BOOT-OK", BOOT_TIMEOUT)
        status = con.finish(60)
    except BaseException:
        try:
            os.kill(con.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise
    expect("U-Boot" in text and "Starting kernel" in text, "U-Boot did not start Linux", text)
    expect(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"status {status}",
           con.buf.decode(errors="replace"))


def test_default_guest(c):
    """`vessel run` with no --kernel: the default guest's shell answers."""
    gdir = os.path.join(os.path.dirname(c.vessel), "guest")
    if not os.path.isfile(os.path.join(gdir, "Image")):
        raise Skip(f"default guest not built ({gdir}/Image; make guest)")
    con = Console([c.vessel, "run", "--cpus", "2", "--timeout", str(BOOT_TIMEOUT)])
    try:
        con.wait("#", BOOT_TIMEOUT)
        time.sleep(0.5)
        con.send("echo answer-$((6*7))\n", delay=0.01)
        con.wait("answer-42", 60)
        con.send("poweroff\n", delay=0.01)
        status = con.finish(120)
    except BaseException:
        try:
            os.kill(con.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        raise
    expect(os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, f"status {status}",
           con.buf.decode(errors="replace"))


def test_default_guest_piped(c):
    """Commands piped in before the guest even booted are not lost."""
    gdir = os.path.join(os.path.dirname(c.vessel), "guest")
    if not os.path.isfile(os.path.join(gdir, "Image")):
        raise Skip(f"default guest not built ({gdir}/Image; make guest)")
    st, out, err, _ = c.run(["--timeout", str(BOOT_TIMEOUT)],
                            stdin=b"echo piped-$((40+2))\npoweroff\n", timeout=BOOT_TIMEOUT + 30)
    expect("piped-42" in out and st == 0, f"status {st}", out, err)


TESTS = [
    test_cli_errors, test_htif_pass, test_bios_none, test_htif_fail, test_access_faults, test_sbi, test_vmlinux_layout, test_halted,
    test_uart_irq, test_eof_keeps_running, test_stuck_output, test_ctrl_a, test_dtb,
    test_linux_1cpu, test_linux_gzip_kernel, test_linux_reboot, test_linux_2cpu, test_linux_4cpu, test_linux_bench_cpu,
    test_opensbi_fw_dynamic, test_opensbi_fw_jump, test_opensbi_uboot, test_default_guest,
    test_default_guest_piped,
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vessel", required=True)
    ap.add_argument("--elfs", required=True)
    ap.add_argument("-k", dest="pattern", default="")
    a = ap.parse_args()
    c = Ctx(a.vessel, a.elfs)
    failed = 0
    t_all = time.monotonic()
    for t in TESTS:
        name = t.__name__[5:]
        if a.pattern not in name:
            continue
        t0 = time.monotonic()
        print(f"  {name} ...", end="", flush=True)
        try:
            t(c)
            print(f" PASS ({time.monotonic() - t0:.1f}s)")
        except Skip as e:
            print(f" SKIP: {e}")
        except (AssertionError, subprocess.TimeoutExpired) as e:
            failed += 1
            print(f" FAIL\n{e}")
    shutil.rmtree(c.tmp, ignore_errors=True)
    print(f"machine integration tests: {'FAILED' if failed else 'passed'} "
          f"({time.monotonic() - t_all:.0f}s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
