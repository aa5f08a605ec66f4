"""Shared machinery of the OCI conformance suite and functional tests.

A test drives a runc-compatible runtime through its command line
(`RT --root DIR create|start|state|kill|delete ...`) on bundles built from
tests/oci/template.json and a small rootfs (busybox-static plus the static
`checker` program, tests/oci/checker.c), then judges what the checker
reports from inside the container.

Everything a run creates lives under one work directory
(/tmp/vessel-oci-<pid>), one private --root per runtime, container IDs and
cgroup paths that embed the run's id, so runs never collide and `cleanup()`
can remove all of it.
"""
import copy
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNID = "%d" % os.getpid()
WORK = os.environ.get("OCI_WORKDIR") or "/tmp/vessel-oci-%s" % RUNID
CGROUP_PREFIX = "vessel-oci-%s" % RUNID
BUSYBOX = os.environ.get("BUSYBOX", "/bin/busybox")
APPLETS = """sh ash cat echo ls sleep true false mount umount ps id hostname
touch mkdir rmdir grep test [ stat readlink wc head tail dd env kill ln rm
chmod chown uname ip ifconfig nproc ipcs printf tr cut sed awk tee seq mknod
dnsdomainname find xargs sync usleep sysctl df pwd whoami timeout nsenter
unshare setpriv linux32""".split()


class Fail(Exception):
    """The runtime did not behave as the spec requires."""


class Skip(Exception):
    """This host cannot exercise the test."""


def die(msg):
    raise Fail(msg)


def tail(text, n=300):
    text = (text or "").strip().replace("\n", " | ")
    return text if len(text) <= n else "..." + text[-n:]


def checker_path():
    p = os.environ.get("OCI_CHECKER") or os.path.join(
        HERE, "..", "..", "build", "oci", "checker")
    p = os.path.abspath(p)
    if not os.access(p, os.X_OK):
        raise SystemExit("oci: checker not built (%s); run make" % p)
    return p


def once(fn):
    """Caches a no-argument probe; safe when tests run in threads."""
    lock = threading.Lock()
    box = []

    def wrapper():
        with lock:
            if not box:
                box.append(fn())
            return box[0]
    wrapper.__name__ = fn.__name__
    return wrapper


class Call:
    """The outcome of one runtime command."""

    def __init__(self, argv, rc, out, err, secs):
        self.argv, self.rc, self.out, self.err, self.secs = argv, rc, out, err, secs

    def __repr__(self):
        return "%s -> rc=%s err=%s" % (" ".join(self.argv[3:]), self.rc, tail(self.err, 200))


def run_cmd(argv, timeout=60, stdin=None, stdout=None, stderr=None,
            env=None, cwd=None, preexec_fn=None, pass_fds=()):
    """Runs argv with output captured in files (never pipes: a container
    that inherits a pipe would keep it open and hang the reader).  On timeout
    the command's process group is killed and rc is None."""
    if env is None:
        # A marker hooks must not inherit (their env is exactly hook.env).
        env = dict(os.environ, VESSEL_OCI_HARNESS="1")
    own_out = stdout is None
    own_err = stderr is None
    out = stdout if not own_out else tempfile.TemporaryFile()
    err = stderr if not own_err else tempfile.TemporaryFile()
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=stdin if stdin is not None else subprocess.DEVNULL,
                         stdout=out, stderr=err, env=env, cwd=cwd,
                         preexec_fn=preexec_fn, pass_fds=pass_fds,
                         start_new_session=True)
    try:
        rc = p.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except OSError:
            pass
        p.wait()
        rc = None
    secs = time.monotonic() - t0

    def grab(f, own):
        if not own:
            return ""
        f.seek(0)
        data = f.read().decode("utf-8", "replace")
        f.close()
        return data
    return Call(argv, rc, grab(out, own_out), grab(err, own_err), secs)


class Runtime:
    """A runc-compatible runtime binary with a private state directory."""

    def __init__(self, name, path):
        self.name = name
        self.path = path
        self.dir = os.path.join(WORK, name)
        self.root = os.path.join(self.dir, "state")
        self.hangs = 0  # commands killed after their timeout
        os.makedirs(self.dir, exist_ok=True)

    def argv(self, *args):
        return [self.path, "--root", self.root] + [str(a) for a in args]

    def call(self, *args, **kw):
        c = run_cmd(self.argv(*args), **kw)
        if c.rc is None:
            self.hangs += 1
            c.err += "\n(killed: no answer within the timeout)"
        return c


def parse_kv(text):
    """'key value' lines -> {key: [value, ...]}"""
    kv = {}
    for line in text.replace("\r", "").splitlines():
        if not line.strip():
            continue
        k, _, v = line.partition(" ")
        kv.setdefault(k, []).append(v)
    return kv


class Result:
    """What a container printed, parsed."""

    def __init__(self, out, err="", status=None):
        self.out = out.replace("\r", "")
        self.err = err
        self.status = status
        self.kv = parse_kv(self.out)
        self.lines = self.out.splitlines()

    def get(self, key, default=None):
        v = self.kv.get(key)
        return v[0] if v else default

    def all(self, key):
        return self.kv.get(key, [])

    def want(self, key, expected):
        got = self.get(key)
        if got != str(expected):
            die("%s: expected %r, got %r" % (key, str(expected), got))

    def has_line(self, line):
        return line in self.lines

    def want_line(self, line):
        if line not in self.lines:
            die("expected output line %r; got: %s" % (line, tail(self.out, 400)))


DELETE = object()


def merge(base, patch):
    """Deep-merges patch into base: dicts merge, other values replace,
    DELETE removes a key."""
    for k, v in patch.items():
        if v is DELETE:
            base.pop(k, None)
        elif isinstance(v, dict) and isinstance(base.get(k), dict):
            merge(base[k], v)
        else:
            base[k] = copy.deepcopy(v)
    return base


def load_template():
    with open(os.path.join(HERE, "template.json")) as f:
        return json.load(f)


_base_lock = threading.Lock()


def base_dir():
    """Binaries shared (hard-linked) by every bundle's rootfs."""
    d = os.path.join(WORK, "base")
    with _base_lock:
        if not os.path.exists(os.path.join(d, "checker")):
            os.makedirs(d, exist_ok=True)
            shutil.copy2(BUSYBOX, os.path.join(d, "busybox"))
            shutil.copy2(checker_path(), os.path.join(d, "checker"))
            os.chmod(d, 0o755)
    return d


def make_rootfs(rootfs):
    """A minimal rootfs: busybox applets, the checker, /etc files."""
    base = base_dir()
    for sub in ("bin", "dev", "proc", "sys", "tmp", "etc", "root", "mnt",
                "out", "run", "var"):
        os.makedirs(os.path.join(rootfs, sub), exist_ok=True)
    os.chmod(os.path.join(rootfs, "tmp"), 0o1777)
    for name in ("busybox", "checker"):
        dst = os.path.join(rootfs, "bin", name)
        try:
            os.link(os.path.join(base, name), dst)
        except OSError:
            shutil.copy2(os.path.join(base, name), dst)
    for a in APPLETS:
        os.symlink("busybox", os.path.join(rootfs, "bin", a))
    with open(os.path.join(rootfs, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n"
                "user:x:1000:1000:user:/tmp:/bin/sh\n"
                "nobody:x:65534:65534:nobody:/:/bin/false\n")
    with open(os.path.join(rootfs, "etc", "group"), "w") as f:
        f.write("root:x:0:\ntty:x:5:\nuser:x:1000:\nnogroup:x:65534:\n")
    os.chmod(rootfs, 0o755)


def safe_id(s):
    return re.sub(r"[^A-Za-z0-9_.-]", "-", s)


class Container:
    """One container: its bundle, config and lifecycle commands."""

    def __init__(self, rt, name, bundle_dir=None):
        self.rt = rt
        self.id = safe_id("oci%s-%s-%s" % (RUNID, rt.name, name))
        self.bundle = bundle_dir or os.path.join(rt.dir, "b", safe_id(name))
        self.rootfs = os.path.join(self.bundle, "rootfs")
        self.out_path = os.path.join(self.bundle, "stdout")
        self.err_path = os.path.join(self.bundle, "stderr")
        os.makedirs(self.bundle, exist_ok=True)
        os.chmod(self.bundle, 0o755)
        make_rootfs(self.rootfs)
        self.config = load_template()
        self.config["linux"]["cgroupsPath"] = "%s/%s" % (CGROUP_PREFIX, self.id)
        self.pid = None
        self.created = False

    # config helpers -------------------------------------------------------
    def patch(self, p):
        merge(self.config, p)

    def args(self, *a):
        self.config["process"]["args"] = list(a)

    def sh(self, script):
        self.args("/bin/sh", "-c", script)

    def add_mount(self, dest, typ=None, source=None, options=None, **extra):
        m = {"destination": dest}
        if typ is not None:
            m["type"] = typ
        if source is not None:
            m["source"] = source
        if options is not None:
            m["options"] = list(options)
        m.update(extra)
        self.config.setdefault("mounts", []).append(m)
        return m

    def bind(self, dest, source, options=("rbind", "rw")):
        return self.add_mount(dest, "bind", source, options)

    def host_cgroups(self):
        """Bind the host's cgroup hierarchies at /sys/fs/cgroup, so the
        checker can read its own cgroup files by their host paths."""
        self.add_mount("/sys/fs/cgroup", "bind", "/sys/fs/cgroup",
                       ["rbind", "ro", "nosuid", "nodev", "noexec"])

    def linux(self):
        return self.config.setdefault("linux", {})

    def set_ns(self, typ, path=None, present=True):
        nss = [n for n in self.linux().setdefault("namespaces", []) if n["type"] != typ]
        if present:
            n = {"type": typ}
            if path:
                n["path"] = path
            nss.append(n)
        self.linux()["namespaces"] = nss

    def resources(self, r):
        merge(self.linux().setdefault("resources", {}), r)

    def write(self):
        with open(os.path.join(self.bundle, "config.json"), "w") as f:
            json.dump(self.config, f, indent=1)

    # lifecycle --------------------------------------------------------------
    def create(self, extra=(), timeout=60, **kw):
        """create; the container's stdio goes to files in the bundle."""
        self.write()
        with open(self.out_path, "ab") as out, open(self.err_path, "ab") as err:
            c = self.rt.call("create", *extra, "--bundle", self.bundle, self.id,
                             stdout=out, stderr=err, timeout=timeout, **kw)
        c.err = self.stderr()
        if c.rc == 0:
            self.created = True
            st = self.state()
            if st and isinstance(st.get("pid"), int):
                self.pid = st["pid"]
        return c

    def start(self, timeout=60):
        return self.rt.call("start", self.id, timeout=timeout)

    def state(self):
        c = self.rt.call("state", self.id, timeout=30)
        if c.rc != 0:
            return None
        try:
            return json.loads(c.out)
        except ValueError:
            raise Fail("state printed invalid JSON: %s" % tail(c.out))

    def status(self):
        st = self.state()
        return st.get("status") if st else None

    def kill(self, sig="KILL", all_=False):
        return self.rt.call("kill", *(["--all"] if all_ else []), self.id, sig, timeout=30)

    def delete(self, force=False):
        c = self.rt.call("delete", *(["--force"] if force else []), self.id, timeout=60)
        if c.rc == 0:
            self.created = False
        return c

    def stdout(self):
        try:
            with open(self.out_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def stderr(self):
        try:
            with open(self.err_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def wait_output(self, text, timeout=10):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.stdout():
                return True
            time.sleep(0.01)
        return False

    def wait_exit(self, timeout=20):
        """Waits until the container process has exited and the runtime
        reports `stopped`."""
        end = time.monotonic() + timeout
        if self.pid:
            while time.monotonic() < end and pid_alive(self.pid):
                time.sleep(0.005)
            if pid_alive(self.pid):
                die("container process %d still running after %ds" % (self.pid, timeout))
        delay = 0.005
        while True:
            s = self.status()
            if s == "stopped":
                return
            if time.monotonic() > end:
                die("state still %r, expected 'stopped' after the process exited" % s)
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def run(self, timeout=20, create_extra=()):
        """create, start, wait for the process to exit, delete.  Returns the
        container's output as a Result; any failing step fails the test."""
        c = self.create(extra=create_extra)
        if c.rc != 0:
            die("create failed (rc=%s): %s" % (c.rc, tail(c.err)))
        s = self.start()
        if s.rc != 0:
            die("start failed (rc=%s): %s" % (s.rc, tail(s.err + self.stderr())))
        self.wait_exit(timeout)
        d = self.delete()
        if d.rc != 0:
            die("delete of a stopped container failed: %s" % tail(d.err))
        return Result(self.stdout(), self.stderr())

    def cleanup(self):
        if self.created:
            self.rt.call("delete", "--force", self.id, timeout=30)
            self.created = False


def pid_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rfind(")") + 2] not in "ZX"


def ns_inode(pid, ns):
    try:
        return os.stat("/proc/%s/ns/%s" % (pid, ns)).st_ino
    except OSError:
        return None


def cgroup_mounts():
    """[(mountpoint, root, fstype, [controllers])] of this process's view."""
    res = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fields = pre.split()
            fstype, _, super_opts = (post.split() + ["", "", ""])[:3]
            if fstype in ("cgroup", "cgroup2"):
                ctrls = [o for o in super_opts.split(",")
                         if o not in ("rw", "ro", "relatime", "nsdelegate",
                                      "memory_recursiveprot")]
                res.append((fields[4], fields[3], fstype, ctrls))
    return res


def cleanup_cgroups(prefix=CGROUP_PREFIX):
    """Removes every cgroup directory under a name starting with prefix,
    in every hierarchy (the runtimes leave the parent directories the suite
    asked for).  Returns the directories that could not be removed."""
    left = []
    for mnt, _root, _t, _c in cgroup_mounts():
        for dirpath, dirnames, _files in os.walk(mnt, topdown=True):
            depth = dirpath[len(mnt):].count("/")
            hits = [d for d in dirnames if d.startswith(prefix)]
            dirnames[:] = [d for d in dirnames if not d.startswith(prefix)] if depth < 3 else []
            for h in hits:
                top = os.path.join(dirpath, h)
                for sub, _d, _f in sorted(os.walk(top), key=lambda x: -len(x[0])):
                    try:
                        os.rmdir(sub)
                    except OSError:
                        pass
                if os.path.exists(top):
                    left.append(top)
    return left


def find_cgroup_dirs(name):
    """Host directories of cgroups whose path contains name."""
    found = []
    for mnt, _root, _t, _c in cgroup_mounts():
        for dirpath, dirnames, _files in os.walk(mnt):
            if dirpath[len(mnt):].count("/") > 4:
                dirnames[:] = []
                continue
            for d in dirnames:
                if name in d:
                    found.append(os.path.join(dirpath, d))
    return found


class ConsoleSocket:
    """A --console-socket listener: receives the pty master sent by the
    runtime (SCM_RIGHTS) and collects everything the container writes."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(1)
        self.sock.settimeout(20)
        self.master = None
        self.data = b""
        self.error = None
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                _msg, fds, _flags, _addr = socket.recv_fds(conn, 4096, 4)
            if not fds:
                self.error = "no file descriptor received on the console socket"
                return
            self.master = fds[0]
            for extra in fds[1:]:
                os.close(extra)
            while True:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                self.data += chunk
        except Exception as e:  # reported by the test
            self.error = "console socket: %s" % e

    def wait(self, timeout=20):
        self.thread.join(timeout)
        return self.data.decode("utf-8", "replace")

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        if self.master is not None:
            try:
                os.close(self.master)
            except OSError:
                pass
