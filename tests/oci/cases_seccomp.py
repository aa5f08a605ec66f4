"""linux.seccomp: every action, errnoRet and defaultErrnoRet, every
argument operator, architectures, flags and the notify listener
(config-linux.md#seccomp).  The filtered system call is getpgid(2): it has
one integer argument and no side effects; allowed calls return a pgid or
ESRCH, filtered ones the configured errno (42 here)."""
import json
import os
import re
import socket
import threading

from ocilib import die, tail
from suite import LNX, inside, register

S_SEC = (LNX + "#configLinuxSeccomp", "Seccomp configuration allows one to configure actions to take for matched syscalls and furthermore also allows matching on values passed as arguments to syscalls.")
S_ACTION = (LNX + "#configLinuxSeccomp", "action (string, REQUIRED) - the action for seccomp rules. SCMP_ACT_KILL, SCMP_ACT_KILL_PROCESS, SCMP_ACT_KILL_THREAD, SCMP_ACT_TRAP, SCMP_ACT_ERRNO, SCMP_ACT_TRACE, SCMP_ACT_ALLOW, SCMP_ACT_LOG, SCMP_ACT_NOTIFY")
S_ERRNORET = (LNX + "#configLinuxSeccomp", "errnoRet (uint, OPTIONAL) - the errno return code to use. Some actions like SCMP_ACT_ERRNO and SCMP_ACT_TRACE allow to specify the errno code to return. When the action doesn't support an errno, the runtime MUST print and error and fail. The default is EPERM.")
S_DEFERRNO = (LNX + "#configLinuxSeccomp", "defaultErrnoRet (uint, OPTIONAL) - the errno return code to use. The default is EPERM.")
S_ARGS = (LNX + "#configLinuxSeccomp", "args (array of objects, OPTIONAL) - the specific syscall in seccomp. index (uint, REQUIRED), value (uint64, REQUIRED), valueTwo (uint64, OPTIONAL), op (string, REQUIRED) - SCMP_CMP_NE, SCMP_CMP_LT, SCMP_CMP_LE, SCMP_CMP_EQ, SCMP_CMP_GE, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ")
S_VALID = ("config.md#valid-values", "Runtimes MUST generate an error when invalid or unsupported values are encountered.")

ARCHES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]


def seccomp(c, syscalls, default="SCMP_ACT_ALLOW", **extra):
    sc = {"defaultAction": default, "architectures": ARCHES, "syscalls": syscalls}
    sc.update(extra)
    c.linux()["seccomp"] = sc


def calls(*values, name="getpgid"):
    return "; ".join("/bin/checker sys %s %s" % (name, v) for v in values)


def errnos(r, name="getpgid"):
    return [int(v.split()[-1]) for v in r.all(name)]


def all_syscalls():
    """x86-64 system call names known to libseccomp 2.5 (numbers < 440)."""
    names = []
    with open("/usr/include/x86_64-linux-gnu/asm/unistd_64.h") as f:
        for line in f:
            m = re.match(r"#define __NR_(\w+) (\d+)", line)
            if m and int(m.group(2)) < 440:
                names.append(m.group(1))
    return names


inside("seccomp.errno", [S_SEC, S_ACTION, S_ERRNORET],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]),
       sh=calls(0) + "; /bin/checker sys getsid 0",
       check=lambda r, ctx, c: (errnos(r) == [42] or die("getpgid errno %s, expected 42" % errnos(r)),
                                errnos(r, "getsid") == [0] or die("an unfiltered call failed")))

inside("seccomp.errno.default_eperm", [S_ERRNORET],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO"}]),
       sh=calls(0), check=lambda r, ctx, c: errnos(r) == [1] or die("errno %s, expected EPERM (1)" % errnos(r)))


def setup_default_errno(c, ctx):
    allowed = [n for n in all_syscalls() if n not in ("getpgid", "getsid")]
    seccomp(c, [{"names": allowed, "action": "SCMP_ACT_ALLOW"}],
            default="SCMP_ACT_ERRNO", defaultErrnoRet=52)
    c.sh(calls(0) + "; /bin/checker sys getsid 0; /bin/checker sys getppid")


def check_default_errno(r, ctx, c):
    if errnos(r) != [52] or errnos(r, "getsid") != [52]:
        die("getpgid/getsid errno %s/%s, expected defaultErrnoRet 52" % (errnos(r), errnos(r, "getsid")))
    if errnos(r, "getppid") != [0]:
        die("an allowed call failed: %s" % r.all("getppid"))


inside("seccomp.defaultErrnoRet", [S_DEFERRNO, S_ACTION, (LNX + "#configLinuxSeccomp", "defaultAction (string, REQUIRED) - the default action for seccomp. Allowed values are the same as syscalls[].action.")],
       setup=setup_default_errno, check=check_default_errno,
       note="An allowlist of every other x86-64 system call, default SCMP_ACT_ERRNO.")


def sigsys_test(action):
    inside("seccomp.action." + action[9:].lower(), [S_ACTION],
           setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": action}]),
           sh=calls(0) + "; echo status $?",
           check=lambda r, ctx, c: (r.get("status") == "159" and not r.all("getpgid")) or die(
               "%s: %s, expected death by SIGSYS (status 159)" % (action, tail(r.out))))


for a in ("SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD"):
    sigsys_test(a)

inside("seccomp.action.trap", [S_ACTION],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_TRAP"}]),
       sh=calls(0) + "; echo status $?",
       check=lambda r, ctx, c: (r.has_line("sigsys trapped") and r.get("status") == "77") or die(
           "TRAP: %s, expected a SIGSYS the process catches" % tail(r.out)))

inside("seccomp.action.trace", [S_ACTION, S_ERRNORET],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_TRACE", "errnoRet": 42}]),
       sh=calls(0),
       check=lambda r, ctx, c: errnos(r) == [38] or die("TRACE without a tracer: errno %s, expected ENOSYS (38)" % errnos(r)),
       note="Without a tracer attached the kernel fails a SECCOMP_RET_TRACE call with ENOSYS.")

inside("seccomp.action.log", [S_ACTION],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_LOG"}]),
       sh=calls(0), check=lambda r, ctx, c: errnos(r) == [0] or die("LOG: errno %s, expected the call allowed" % errnos(r)))

inside("seccomp.action.allow", [S_ACTION],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_ALLOW"},
                                        {"names": ["getsid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]),
       sh=calls(0) + "; /bin/checker sys getsid 0",
       check=lambda r, ctx, c: (errnos(r) == [0] and errnos(r, "getsid") == [42]) or die(
           "getpgid %s getsid %s" % (errnos(r), errnos(r, "getsid"))))

inside("seccomp.status", [S_SEC],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO"}]),
       check=lambda r, ctx, c: r.want("seccomp", 2))

inside("seccomp.errnoRet.unsupported_action", [S_ERRNORET],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_KILL", "errnoRet": 5}]),
       error="create")

inside("seccomp.defaultErrnoRet.unsupported_action", [S_DEFERRNO, (LNX + "#configLinuxSeccomp", "defaultErrnoRet: When the action doesn't support an errno, the runtime MUST print and error and fail.")],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO"}],
                                    default="SCMP_ACT_ALLOW", defaultErrnoRet=5),
       error="create")

inside("seccomp.notify.listener_unreachable", [(LNX + "#configLinuxSeccomp", "If sending to this socket fails, the runtime MUST generate an error.")],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_NOTIFY"}],
                                    listenerPath=ctx.path("no-agent.sock")),
       error="run")

inside("seccomp.action.unknown", [S_ACTION, S_VALID],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_VESSEL_BOGUS"}]),
       error="create")

inside("seccomp.defaultAction.unknown", [S_ACTION, S_VALID],
       setup=lambda c, ctx: seccomp(c, [], default="SCMP_ACT_VESSEL_BOGUS"), error="create")

inside("seccomp.names.empty", [(LNX + "#configLinuxSeccomp", "names (array of strings, REQUIRED) - the names of the syscalls. names MUST contain at least one entry."), S_VALID],
       setup=lambda c, ctx: seccomp(c, [{"names": [], "action": "SCMP_ACT_ERRNO"}]), error="create")

inside("seccomp.architectures", [(LNX + "#configLinuxSeccomp", "architectures (array of strings, OPTIONAL) - the architecture used for system calls.")],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}],
                                    architectures=["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64"]),
       sh=calls(0), check=lambda r, ctx, c: errnos(r) == [42] or die("errno %s" % errnos(r)))

for flags in (["SECCOMP_FILTER_FLAG_LOG"], ["SECCOMP_FILTER_FLAG_SPEC_ALLOW"], ["SECCOMP_FILTER_FLAG_TSYNC"]):
    inside("seccomp.flags." + flags[0][20:].lower(), [(LNX + "#configLinuxSeccomp", "flags (array of strings, OPTIONAL) - list of flags to use with seccomp(2).")],
           setup=lambda c, ctx, f=flags: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}], flags=f),
           sh=calls(0), check=lambda r, ctx, c: errnos(r) == [42] or die("errno %s" % errnos(r)))

# op, value, valueTwo, [(argument, filtered?)]
OPS = [
    ("SCMP_CMP_EQ", 100, None, [(99, False), (100, True), (101, False)]),
    ("SCMP_CMP_NE", 100, None, [(99, True), (100, False), (101, True)]),
    ("SCMP_CMP_LT", 100, None, [(99, True), (100, False), (101, False)]),
    ("SCMP_CMP_LE", 100, None, [(99, True), (100, True), (101, False)]),
    ("SCMP_CMP_GT", 100, None, [(99, False), (100, False), (101, True)]),
    ("SCMP_CMP_GE", 100, None, [(99, False), (100, True), (101, True)]),
    ("SCMP_CMP_MASKED_EQ", 0xff, 0x10, [(0x10, True), (0x110, True), (0x111, False), (0x20, False)]),
]


def op_test(op, value, two, cases):
    arg = {"index": 0, "value": value, "op": op}
    if two is not None:
        arg["valueTwo"] = two

    def check(r, ctx, c):
        got = errnos(r)
        want = [42 if f else None for _a, f in cases]
        ok = len(got) == len(cases) and all((g == 42) == (w == 42) for g, w in zip(got, want))
        if not ok:
            die("%s %#x: getpgid(%s) gave errno %s; filtered ones should be 42" % (
                op, value, [hex(a) for a, _f in cases], got))
    inside("seccomp.args." + op[9:].lower(), [S_ARGS],
           setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO",
                                             "errnoRet": 42, "args": [arg]}]),
           sh=calls(*[a for a, _f in cases]), check=check)


for row in OPS:
    op_test(*row)


def check_two_args(r, ctx, c):
    got = errnos(r, "kill")
    if len(got) != 3 or got[0] != 42 or 42 in got[1:]:
        die("kill(100,0) kill(100,18) kill(101,0) gave errno %s; only the first should be 42" % got)


inside("seccomp.args.all_must_match", [S_ARGS],
       setup=lambda c, ctx: seccomp(c, [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42,
                                         "args": [{"index": 0, "value": 100, "op": "SCMP_CMP_EQ"},
                                                  {"index": 1, "value": 0, "op": "SCMP_CMP_EQ"}]}]),
       sh="/bin/checker sys kill 100 0; /bin/checker sys kill 100 18; /bin/checker sys kill 101 0",
       check=check_two_args, note="Conditions on two arguments of one rule must both hold.")

inside("seccomp.args.any_rule_matches", [S_ARGS],
       setup=lambda c, ctx: seccomp(c, [
           {"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42, "args": [{"index": 0, "value": 100, "op": "SCMP_CMP_EQ"}]},
           {"names": ["getpgid"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42, "args": [{"index": 0, "value": 200, "op": "SCMP_CMP_EQ"}]}]),
       sh=calls(100, 150, 200),
       check=lambda r, ctx, c: (errnos(r)[0] == 42 and errnos(r)[2] == 42 and errnos(r)[1] != 42) or die(
           "getpgid(100,150,200) gave errno %s" % errnos(r)),
       note="Two rules for one system call: either one filters.")


# --- the notify listener ----------------------------------------------------------------

S_NOTIFY = (LNX + "#configLinuxSeccomp", "listenerPath (string, OPTIONAL) - specifies the path of UNIX domain socket over which the runtime will send the container process state data structure when the SCMP_ACT_NOTIFY action is used. The runtime MUST send exactly one container process state per connection.")
S_CPS = (LNX + "#containerprocessstate", "The container runtime MUST send the container process state over the UNIX socket as regular payload serialized in JSON and file descriptors MUST be sent using SCM_RIGHTS.")


class Agent:
    """A seccomp agent: receives the container process state and the
    notify fd, then closes the fd (pending calls then fail with ENOSYS)."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(4)
        self.sock.settimeout(20)
        self.msgs, self.fds, self.error, self.late_fds = [], [], None, False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        try:
            conn, _ = self.sock.accept()
            with conn:
                data, fds, n = b"", [], 0
                conn.settimeout(10)
                while True:
                    msg, f, _fl, _a = socket.recv_fds(conn, 65536, 8)
                    if f and n > 0:
                        self.late_fds = True
                    fds += f
                    n += 1
                    if not msg:
                        break
                    data += msg
                self.msgs.append(data)
                self.fds = fds
            for fd in fds:
                os.close(fd)
        except Exception as e:
            self.error = str(e)

    def close(self):
        self.sock.close()


@register("seccomp.notify", [S_NOTIFY, S_CPS, (LNX + "#configLinuxSeccomp", "The connection MUST NOT be reused and it MUST be closed after sending a seccomp state."), (LNX + "#containerprocessstate", "If more than one sendmsg(2) is used, the file descriptors MUST be sent only in the first call."), (LNX + "#configLinuxSeccomp", "listenerMetadata (string, OPTIONAL) - specifies an opaque data to pass to the seccomp agent. This string will be sent as the metadata field in the container process state."), (LNX + "#containerprocessstate", "fds (array, OPTIONAL) is a string array containing the names of the file descriptors passed. pid (int, REQUIRED) is the container process ID, as seen by the runtime. state (state, REQUIRED) is the state of the container.")])
def _(ctx):
    agent = Agent(ctx.path("agent.sock"))
    ctx.on_cleanup(agent.close)
    c = ctx.container()
    seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_NOTIFY"}],
            listenerPath=ctx.path("agent.sock"), listenerMetadata="vessel-meta")
    c.sh(calls(0))
    r = c.run()
    agent.thread.join(5)
    if agent.error or len(agent.msgs) != 1:
        die("agent got %d messages (%s)" % (len(agent.msgs), agent.error))
    try:
        st = json.loads(agent.msgs[0])
    except ValueError:
        die("the container process state is not JSON: %r" % agent.msgs[0][:200])
    if not isinstance(st.get("ociVersion"), str) or st.get("metadata") != "vessel-meta":
        die("bad ociVersion/metadata in %s" % st)
    if st.get("fds") != ["seccompFd"] or len(agent.fds) != 1:
        die("fds %s with %d descriptors, expected ['seccompFd'] and one" % (st.get("fds"), len(agent.fds)))
    if not isinstance(st.get("pid"), int) or (st.get("state") or {}).get("id") != c.id:
        die("pid/state.id wrong in %s" % st)
    if agent.late_fds:
        die("file descriptors came after the first message (they MUST be sent in the first call only)")
    if errnos(r) != [38]:
        die("after the agent closed the notify fd getpgid gave errno %s, expected ENOSYS (38)" % errnos(r))


inside("seccomp.listenerMetadata.without_path", [(LNX + "#configLinuxSeccomp", "This field MUST NOT be set if listenerPath is not set."), S_VALID],
       setup=lambda c, ctx: seccomp(c, [{"names": ["getpgid"], "action": "SCMP_ACT_ERRNO"}], listenerMetadata="x"),
       error="create")
