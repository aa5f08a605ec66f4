#!/bin/bash
# Integration tests of the container runtime (vessel-runc) with a busybox
# bundle: isolation, limits, lifecycle and its errors, exec, hooks, hostile
# configs and cleanup.  Needs root, busybox (busybox-static) and python3;
# skips otherwise.  Usage: tests/container/run.sh [path/to/vessel-runc]
set -u
RUNC=$(realpath -s "${1:-build/vessel-runc}")     # keep the name: it selects the runtime
if [ "$(id -u)" != 0 ]; then echo "SKIP container tests: need root"; exit 0; fi
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ! command -v python3 >/dev/null; then
    echo "SKIP container tests: need busybox and python3"; exit 0
fi

T=$(mktemp -d /tmp/vessel-ctr-test.XXXXXX)
chmod 755 "$T"                      # user-namespaced containers must reach their rootfs
ROOT=$T/state                       # --root: keep away from other users of the runtime
R() { "$RUNC" --root "$ROOT" "$@"; }
PASS=0; FAIL=0; FAILED=""
cleanup() {
    for id in $(R list -q 2>/dev/null); do R delete -f "$id" >/dev/null 2>&1; done
    rm -rf "$T"
}
trap cleanup EXIT

# cgroup_left NAME: does a cgroup directory NAME exist anywhere (v1 or v2)?
cgroup_left() { find /sys/fs/cgroup -maxdepth 5 -type d -name "$1" 2>/dev/null | grep -q .; }
ok()   { PASS=$((PASS + 1)); }
bad()  { FAIL=$((FAIL + 1)); FAILED="$FAILED $1"; echo "FAIL: $1${2:+: $2}"; }
# expect NAME EXPECTED ACTUAL
expect() { if [ "$2" = "$3" ]; then ok; else bad "$1" "expected [$2], got [$3]"; fi; }
# contains NAME NEEDLE HAYSTACK
contains() { case "$3" in *"$2"*) ok ;; *) bad "$1" "[$2] not in [$3]" ;; esac; }

# A shared read-only busybox root filesystem.
ROOTFS=$T/rootfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/tmp" "$ROOTFS/etc"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
for app in $("$BUSYBOX" --list); do [ "$app" = busybox ] || ln -sf busybox "$ROOTFS/bin/$app"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOTFS/etc/passwd"
echo 'user:x:1000:1000:user:/home/user:/bin/sh' >> "$ROOTFS/etc/passwd"

# bundle NAME PYTHON-EDITS ARGS... : make $T/NAME with a config derived
# from `spec`; the python snippet may edit the dict `c`.
bundle() {
    local name=$1 edit=$2; shift 2
    local dir=$T/$name
    mkdir -p "$dir"
    rm -f "$dir/config.json"
    R spec -b "$dir"
    python3 - "$dir/config.json" "$ROOTFS" "$@" <<PY
import json, sys
path, rootfs, args = sys.argv[1], sys.argv[2], sys.argv[3:]
c = json.load(open(path))
c["root"]["path"] = rootfs
c["process"]["terminal"] = False
c["process"]["args"] = args
$edit
json.dump(c, open(path, "w"), indent=1)
PY
    echo "$dir"
}

# ---- basic runs --------------------------------------------------------
B=$(bundle basic "" echo hello)
expect "run echo" "hello" "$(R run -b "$B" t-echo)"
B=$(bundle status "" sh -c 'exit 42')
R run -b "$B" t-status; expect "exit status" 42 $?
B=$(bundle pid "" sh -c 'echo $$; ps -o pid | sort -n | tail -1')
out=$(R run -b "$B" t-pid | tr '\n' ' ')
set -- $out
[ "${1:-}" = 1 ] && [ "${2:-99}" -lt 10 ] && ok || bad "own pid namespace" "$out"
B=$(bundle host "" hostname)
expect "hostname" "vessel" "$(R run -b "$B" t-host)"
B=$(bundle ro "" sh -c 'touch /x 2>/dev/null && echo writable || echo readonly')
expect "read-only root" "readonly" "$(R run -b "$B" t-ro)"
B=$(bundle mask 'c["linux"]["maskedPaths"].append("/proc/cpuinfo")' sh -c 'wc -c < /proc/cpuinfo; ls /sys/firmware | wc -l; (echo x > /proc/sys/kernel/hostname) 2>/dev/null || echo ro')
expect "masked and read-only paths" "0 0 ro" "$(R run -b "$B" t-mask | tr '\n' ' ' | sed 's/ *$//')"
B=$(bundle mounts "" sh -c 'grep -c " /proc " /proc/self/mountinfo; ls /dev/null /dev/zero /dev/ptmx /dev/fd >/dev/null && echo devs')
expect "own mounts and /dev" "1 devs" "$(R run -b "$B" t-mounts | tr '\n' ' ' | sed 's/ *$//')"
B=$(bundle user 'c["process"]["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10, 11], "umask": 63}
c["process"]["cwd"] = "/tmp"' sh -c 'id -u; id -G; umask; pwd; echo $HOME')
expect "user, groups, umask, cwd, HOME" "1000 1000 10 11 0077 /tmp /home/user" \
    "$(R run -b "$B" t-user | tr '\n' ' ' | sed 's/ *$//')"
B=$(bundle rlimit 'c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 123, "hard": 456}]
c["process"]["oomScoreAdj"] = 77' sh -c 'ulimit -n; ulimit -Hn; cat /proc/self/oom_score_adj')
expect "rlimits and oom_score_adj" "123 456 77" "$(R run -b "$B" t-rlimit | tr '\n' ' ' | sed 's/ *$//')"
B=$(bundle caps 'c["process"]["capabilities"] = {"bounding": ["CAP_KILL", "CAP_CHOWN"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"], "inheritable": ["CAP_KILL"], "ambient": ["CAP_KILL"]}' \
    sh -c 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb)" /proc/self/status | cut -f2 | tr "\n" " "; grep NoNewPrivs /proc/self/status | cut -f2')
expect "capabilities and no_new_privs" "0000000000000020 0000000000000020 0000000000000020 0000000000000021 0000000000000020 1" \
    "$(R run -b "$B" t-caps)"
B=$(bundle sysctl 'c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096"}' \
    sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/shmmax')
expect "sysctls" "1 4096" "$(R run -b "$B" t-sysctl | tr '\n' ' ' | sed 's/ *$//')"

# ---- resources ---------------------------------------------------------
B=$(bundle oom 'c["linux"]["resources"]["memory"] = {"limit": 16777216, "swap": 16777216}' \
    sh -c 'head -c 300000000 /dev/zero | tail')
R run -b "$B" t-oom 2>/dev/null; expect "killed by memory limit" 137 $?
B=$(bundle pids 'c["linux"]["resources"]["pids"] = {"limit": 5}' sh -c 'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max')
expect "pids limit visible" "5" "$(R run -b "$B" t-pids)"

# ---- seccomp -----------------------------------------------------------
B=$(bundle seccomp 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}, {"names": ["fchmodat", "chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13, "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]}]}
c["mounts"].append({"destination": "/tmp", "type": "tmpfs", "source": "tmpfs"})' \
    sh -c 'mkdir /tmp/d 2>&1; touch /tmp/f; chmod 777 /tmp/f 2>&1; chmod 700 /tmp/f && echo chmod-ok')
out=$(R run -b "$B" t-seccomp)
contains "seccomp errno" "Operation not permitted" "$out"
contains "seccomp argument filter" "Permission denied" "$out"
contains "seccomp allows other args" "chmod-ok" "$out"

# ---- user namespace ----------------------------------------------------
B=$(bundle userns 'c["linux"]["namespaces"].append({"type": "user"})
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]' \
    sh -c 'id -u; cat /proc/self/uid_map | tr -s " " | sed "s/^ //"; stat -c %u /bin/busybox; stat -c %t:%T /dev/null')
# busybox belongs to host root: unmapped, so the overflow id.  (Not /dev/null:
# other runtimes' tests have been seen chowning the host's node.)
expect "user namespace mapping" "0 0 100000 65536 65534 1:3" \
    "$(R run -b "$B" t-userns | tr '\n' ' ' | sed 's/ *$//')"

# ---- lifecycle and its errors ------------------------------------------
B=$(bundle life "" sleep 30)
R create -b "$B" --pid-file "$T/life.pid" t-life; expect "create" 0 $?
st() { R state "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])'; }
# wait_status ID STATUS: poll (up to 10 s) rather than guess how long a kill takes
wait_status() { for i in $(seq 100); do [ "$(st "$1")" = "$2" ] && return; sleep 0.1; done; }
expect "state created" created "$(st t-life)"
expect "pid file" "$(R state t-life | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')" "$(cat "$T/life.pid")"
R create -b "$B" t-life 2>/dev/null; expect "duplicate id refused" 1 $?
R start t-life; expect "start" 0 $?
expect "state running" running "$(st t-life)"
R start t-life 2>/dev/null; expect "start twice refused" 1 $?
R delete t-life 2>/dev/null; expect "delete running refused" 1 $?
expect "exec" "in" "$(R exec t-life echo in)"
R exec t-life sh -c 'exit 5'; expect "exec exit status" 5 $?
R pause t-life; expect "state paused" paused "$(st t-life)"
R resume t-life; expect "state resumed" running "$(st t-life)"
R kill t-life KILL; wait_status t-life stopped
expect "state stopped" stopped "$(st t-life)"
R kill t-life TERM 2>/dev/null; expect "kill stopped refused" 1 $?
R start t-life 2>/dev/null; expect "start stopped refused" 1 $?
R delete t-life; expect "delete" 0 $?
R state t-life 2>/dev/null; expect "state after delete" 1 $?
R delete t-life 2>/dev/null; expect "delete missing refused" 1 $?
R delete -f t-life; expect "delete --force missing" 0 $?
out=$(R --log "$T/log.json" --log-format json state nope 2>/dev/null)
contains "json log" '"level":"error","msg":"container does not exist"' "$(cat "$T/log.json")"

# delete --force leaves no process, cgroup or state behind
B=$(bundle force 'c["linux"]["cgroupsPath"] = "/vessel-test/force"' sh -c 'sleep 60 & sleep 60')
R run -d -b "$B" t-force
pid=$(R state t-force | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
R delete -f t-force; expect "delete --force running" 0 $?
for i in $(seq 50); do grep -qs '^State:.*[RSD]' /proc/$pid/status || break; sleep 0.1; done
grep -qs '^State:.*[RSD]' /proc/$pid/status && bad "process gone after delete" || ok
find /sys/fs/cgroup -maxdepth 5 -path "*/vessel-test/force" 2>/dev/null | grep -q . && bad "cgroup gone after delete" || ok
[ -e "$ROOT/t-force" ] && bad "state gone after delete" || ok

# sub-cgroups made inside the container's cgroup go with it
B=$(bundle nested 'c["linux"]["cgroupsPath"] = "/vessel-test/nested"' sleep 30)
R run -d -b "$B" t-nested
for d in $(find /sys/fs/cgroup -maxdepth 5 -type d -path "*/vessel-test/nested"); do mkdir -p "$d/inner/deeper"; done
R delete -f t-nested; expect "delete --force with sub-cgroups" 0 $?
cgroup_left inner && bad "sub-cgroups removed" || ok

# a runtime killed in the middle of create can be cleaned up
B=$(bundle crash 'c["hooks"] = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", "5"]}]}' sleep 60)
R create -b "$B" t-crash & rpid=$!
for i in $(seq 100); do [ -e "$ROOT/t-crash/state.json" ] && break; sleep 0.05; done
sleep 0.2; kill -9 $rpid; wait $rpid 2>/dev/null
R delete -f t-crash; expect "delete --force after crashed create" 0 $?
[ -e "$ROOT/t-crash" ] && bad "state gone after crashed create" || ok
cgroup_left t-crash && bad "cgroups gone after crashed create" || ok

# ---- hooks -------------------------------------------------------------
HD=$T/hookout; mkdir -p "$HD"
hook() { printf '{"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/%s.json; echo %s >> %s/order"]}' "$HD" "$1" "$1" "$HD"; }
B=$(bundle hooks "c['hooks'] = {'prestart': [$(hook prestart)], 'createRuntime': [$(hook createRuntime)], 'createContainer': [$(hook createContainer)], 'startContainer': [{'path': '/bin/sh', 'args': ['sh', '-c', 'echo startContainer > /tmp/started']}], 'poststart': [$(hook poststart)], 'poststop': [$(hook poststop)]}
c['mounts'].append({'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs'})" cat /tmp/started)
expect "startContainer hook in the container" "startContainer" "$(R run -b "$B" t-hooks)"
expect "hooks in order" "prestart createRuntime createContainer poststart poststop" "$(tr '\n' ' ' < "$HD/order" | sed 's/ *$//')"
expect "hook state" "creating creating running stopped t-hooks True True" "$(python3 - "$HD" <<'PY'
import json, sys
d = sys.argv[1]
s = {n: json.load(open(f"{d}/{n}.json")) for n in ["prestart", "createRuntime", "poststart", "poststop"]}
print(s["prestart"]["status"], s["createRuntime"]["status"], s["poststart"]["status"],
      s["poststop"]["status"], s["poststart"]["id"], s["poststart"]["pid"] > 1,
      s["createRuntime"]["bundle"].endswith("/hooks"))
PY
)"
B=$(bundle hookfail 'c["hooks"] = {"createRuntime": [{"path": "/bin/false"}]}' true)
R run -b "$B" t-hookfail 2>/dev/null; expect "failing hook fails create" 1 $?
[ -e "$ROOT/t-hookfail" ] && bad "failed create leaves no state" || ok
B=$(bundle hooktimeout 'c["hooks"] = {"prestart": [{"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}]}' true)
out=$(R run -b "$B" t-hooktimeout 2>&1); contains "hook timeout" "timed out" "$out"

# ---- hostile configs: refused, nothing created --------------------------
mkdir -p "$T/host-target"
hostile() {
    local name=$1 edit=$2 msg=$3
    local B; B=$(bundle "$name" "$edit" true)
    local out; out=$(R create -b "$B" "t-$name" 2>&1)
    local rc=$?
    if [ $rc = 0 ]; then bad "hostile $name accepted"; R delete -f "t-$name"; return; fi
    contains "hostile $name message" "$msg" "$out"
    [ -e "$ROOT/t-$name" ] && bad "hostile $name left state" || ok
    cgroup_left "t-$name" && bad "hostile $name left a cgroup" || ok
}
hostile noversion 'del c["ociVersion"]' "ociVersion is required"
hostile noroot 'del c["root"]' "root is required"
hostile badtype 'c["process"]["args"] = "sh"' "expected an array"
hostile badns 'c["linux"]["namespaces"].append({"type": "pid"})' "duplicate namespace"
hostile escape 'c["mounts"].append({"destination": "/../../../tmp/evil", "type": "tmpfs", "source": "tmpfs"})' "escapes"
hostile rootescape 'c["root"]["path"] = "../../../../"' "escapes the bundle"
hostile hostroot 'c["root"]["path"] = "/"' "host's root"
hostile absurd 'c["linux"]["resources"]["memory"] = {"limit": -5}' "out of range"
hostile cpus 'c["linux"]["resources"]["cpu"] = {"cpus": "0-99999999"}' "invalid"
hostile nsPath 'c["linux"]["namespaces"][0]["path"] = "/proc/self/ns/net"' "is not a pid namespace"
hostile hugearr 'c["process"]["env"] = ["A=1"] * 70000' "too many entries"
hostile badmount 'c["mounts"].append({"destination": "/x", "type": "bogusfs", "source": "none"})' "bogusfs"
hostile hostmntns 'c["linux"]["namespaces"] = [dict(n, path="/proc/self/ns/mnt") if n["type"] == "mount" else n for n in c["linux"]["namespaces"]]' "host's mount namespace"
hostile hostsysctl 'c["linux"]["namespaces"] = [dict(n, path="/proc/self/ns/net") if n["type"] == "network" else n for n in c["linux"]["namespaces"]]
c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1"}' "not allowed in the host's network namespace"
hostile bindescape 'c["mounts"].append({"destination": "/x", "type": "bind", "source": "../../etc", "options": ["bind"]})' "escapes the bundle"
hostile baddev 'c["linux"]["devices"] = [{"path": "/dev/null", "type": "b", "major": 7, "minor": 0}]' "different file"
# A symlink in the rootfs pointing at the host: the mount stays inside.
ROOTFS2=$T/rootfs2; cp -a "$ROOTFS" "$ROOTFS2"; ln -s "$T/host-target" "$ROOTFS2/evil"
B=$(bundle symlink "c['root']['path'] = '$ROOTFS2'
c['mounts'].append({'destination': '/evil/sub', 'type': 'tmpfs', 'source': 'tmpfs'})" true)
R run -b "$B" t-symlink; expect "symlinked mount point runs" 0 $?
[ -z "$(ls -A "$T/host-target")" ] && ok || bad "symlinked mount point stayed in the rootfs"

# ---- more namespaces, fds, devices ------------------------------------
B=$(bundle timens 'c["linux"]["namespaces"] += [{"type": "time"}]
c["linux"]["timeOffsets"] = {"monotonic": {"secs": 31536000}, "boottime": {"secs": 31536000}}' \
    sh -c 'cut -d. -f1 /proc/uptime; grep -c ":/$" /proc/self/cgroup; cat <&3')
echo preserved > "$T/fd3"
out=$(R run --preserve-fds 1 -b "$B" t-timens 3<"$T/fd3" | tr '\n' ' ')
up=$(cut -d. -f1 /proc/uptime)
set -- $out
[ "${1:-0}" -ge $((up + 31536000 - 5)) ] && ok || bad "time namespace offset" "$out (host uptime $up)"
[ "${2:-0}" -ge 3 ] && ok || bad "cgroup namespace root" "$out"
expect "preserve-fds" "preserved" "${3:-}"
B=$(bundle listenfds "" sh -c 'echo $LISTEN_FDS $LISTEN_PID; cat <&3')
expect "LISTEN_FDS passed on" "1 1 preserved" "$(LISTEN_FDS=1 R run -b "$B" t-listen 3<"$T/fd3" | tr '\n' ' ' | sed 's/ *$//')"
B=$(bundle nopivot "" sh -c 'echo pivotless; cat /proc/1/cmdline | tr "\0" " "')
contains "--no-pivot" "pivotless" "$(R run --no-pivot -b "$B" t-nopivot)"
B=$(bundle joined "" sleep 30)
R run -d -b "$B" t-joined-a
P=$(R state t-joined-a | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
B=$(bundle joiner "for n in c['linux']['namespaces']:
    if n['type'] in ('network', 'pid', 'ipc'): n['path'] = '/proc/$P/ns/' + {'network': 'net'}.get(n['type'], n['type'])" \
    sh -c 'readlink /proc/self/ns/net; ps -o args | grep -c "^sleep 30$"')
expect "join namespaces by path" "$(readlink /proc/$P/ns/net) 1" "$(R run -b "$B" t-joiner | tr '\n' ' ' | sed 's/ *$//')"
R delete -f t-joined-a
B=$(bundle devices 'c["linux"]["devices"] = [{"path": "/dev/myfull", "type": "c", "major": 1, "minor": 7, "fileMode": 384, "uid": 1000, "gid": 1000}, {"path": "/dev/lc", "type": "c", "major": 10, "minor": 237}]
c["linux"]["resources"]["devices"] = [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 10, "minor": 237, "access": "r"}]
for k in ("bounding", "effective", "permitted"): c["process"]["capabilities"][k].append("CAP_MKNOD")' \
    sh -c 'ls -ln /dev/myfull | tr -s " " | cut -d" " -f1,3,4,5,6; head -c 0 /dev/lc && echo allowed; mknod /dev/sda b 8 0 && (head -c 1 /dev/sda 2>/dev/null || echo denied)')
expect "devices and the device cgroup" "crw------- 1000 1000 1, 7 allowed denied" "$(R run -b "$B" t-devices | tr '\n' ' ' | sed 's/ *$//')"

# ---- console socket and seccomp notify (agents in python) ---------------
cat > "$T/recvtty.py" <<'PY'
import socket, sys, os
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 1024, 1)
out = b""
while True:
    try: d = os.read(fds[0], 4096)
    except OSError: break
    if not d: break
    out += d
open(sys.argv[2], "w").write(out.decode().replace("\r", ""))
PY
waitsock() { for i in $(seq 100); do [ -S "$1" ] && return; sleep 0.05; done; }
python3 "$T/recvtty.py" "$T/tty.sock" "$T/tty.out" & agent=$!
waitsock "$T/tty.sock"
B=$(bundle console 'c["process"]["terminal"] = True' sh -c 'tty; echo over-the-socket')
R create --console-socket "$T/tty.sock" -b "$B" t-console && R start t-console
wait $agent
expect "console socket pty" "/dev/pts/0 over-the-socket" "$(tr '\n' ' ' < "$T/tty.out" | sed 's/ *$//')"
R delete -f t-console
cat > "$T/agent.py" <<'PY'
import socket, sys, os, json
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
msg, fds, _, _ = socket.recv_fds(c, 65536, 1)
st = json.loads(msg)
open(sys.argv[2], "w").write("%s %s %s %d" % (st["fds"][0], st["metadata"], st["state"]["id"], len(fds)))
os.close(fds[0])       # pending notifications now fail with ENOSYS
PY
python3 "$T/agent.py" "$T/agent.sock" "$T/agent.out" & agent=$!
waitsock "$T/agent.sock"
B=$(bundle notify "c['linux']['seccomp'] = {'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '$T/agent.sock', 'listenerMetadata': 'meta', 'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_NOTIFY'}]}
c['mounts'].append({'destination': '/tmp', 'type': 'tmpfs', 'source': 'tmpfs'})" sh -c 'mkdir /tmp/x 2>&1')
out=$(R run -b "$B" t-notify)
wait $agent
expect "seccomp notify fd sent" "seccompFd meta t-notify 1" "$(cat "$T/agent.out" 2>/dev/null)"
contains "seccomp notify without agent" "Function not implemented" "$out"

# ---- exec --process, kill --all, ps ---------------------------------------
B=$(bundle procs "" sh -c 'sleep 30 & sleep 30')
R run -d -b "$B" t-procs
cat > "$T/process.json" <<'PY'
{"args": ["sh", "-c", "echo $X $(id -u)"], "env": ["X=fromjson"], "cwd": "/", "user": {"uid": 7, "gid": 7}}
PY
expect "exec --process" "fromjson 7" "$(R exec --process "$T/process.json" t-procs)"
contains "ps table" "sleep 30" "$(R ps t-procs)"
R kill --all t-procs KILL; wait_status t-procs stopped
expect "kill --all" stopped "$(st t-procs)"
R delete t-procs

# ---- rootless (as nobody) ----------------------------------------------
if command -v setpriv >/dev/null; then
    RL=$T/rootless; mkdir -p "$RL" "$T/xdg"; chown 65534:65534 "$RL" "$T/xdg"
    ln -s "$ROOTFS" "$RL/rootfs"
    out=$(cd "$RL" && setpriv --reuid=65534 --regid=65534 --clear-groups env XDG_RUNTIME_DIR="$T/xdg" \
        sh -c "'$RUNC' spec --rootless && python3 -c \"
import json; c = json.load(open('config.json')); c['process']['terminal'] = False
c['process']['args'] = ['sh', '-c', 'id -u; cat /proc/self/uid_map']; json.dump(c, open('config.json', 'w'))\" &&
        '$RUNC' run rl && '$RUNC' list -q" 2>&1)
    expect "rootless run" "0 0 65534 1" "$(echo "$out" | tr -s ' \n' ' ' | sed 's/^ //; s/ *$//')"
fi

# ---- pure cgroup v2 (this host is hybrid: simulate it in a private mount
# namespace where only cgroup2 is mounted at /sys/fs/cgroup) ---------------
if grep -q " - cgroup2 " /proc/self/mountinfo && command -v unshare >/dev/null; then
    B=$(bundle cgv2 'c["linux"]["devices"] = [{"path": "/dev/kmsg2", "type": "c", "major": 1, "minor": 11}]
c["linux"]["resources"] = {"devices": [{"allow": False, "access": "rwm"}]}' \
        sh -c 'grep -c "^0::/$" /proc/self/cgroup; test -e /sys/fs/cgroup/cgroup.freeze && echo v2-mounted; head -c 1 /dev/kmsg2 >/dev/null 2>&1 || echo kmsg-denied; head -c 1 /dev/zero | wc -c; sleep 2')
    out=$(unshare -m sh -c '
        for m in $(grep " /sys/fs/cgroup/" /proc/self/mountinfo | cut -d" " -f5); do umount -l "$m"; done
        umount -l /sys/fs/cgroup; mount -t cgroup2 none /sys/fs/cgroup || exit 9
        "$0" --root "$1" run -d -b "$2" t-cgv2 >/dev/null || exit 1
        sleep 0.2
        "$0" --root "$1" pause t-cgv2 && "$0" --root "$1" state t-cgv2 | grep -o "\"paused\""
        cat /sys/fs/cgroup/t-cgv2/cgroup.freeze
        "$0" --root "$1" resume t-cgv2 && "$0" --root "$1" state t-cgv2 | grep -o "\"running\""
        "$0" --root "$1" ps --format json t-cgv2
        "$0" --root "$1" delete -f t-cgv2 && test ! -e /sys/fs/cgroup/t-cgv2 && echo cleaned
        B3=$(dirname "$2")/cgv2run; cp -r "$2" "$B3"
        "$0" --root "$1" run -b "$B3" t-cgv2b' "$RUNC" "$ROOT" "$B" 2>&1 | tr '\n' ' ' | sed 's/ *$//')
    expect "pure cgroup v2: freezer, ps, cleanup, cgroupns, eBPF devices" \
        "\"paused\" 1 \"running\" [1] cleaned 1 v2-mounted kmsg-denied 1" "$(echo "$out" | sed 's/\[[0-9]*\]/[1]/')"
fi

# ---- pure cgroup v1 (hide cgroup2 in a private mount namespace) ----------
if grep -q " - cgroup cgroup .*pids" /proc/self/mountinfo && command -v unshare >/dev/null; then
    B=$(bundle cgv1 'c["linux"]["resources"]["pids"] = {"limit": 9}' sh -c 'cat /sys/fs/cgroup/pids/pids.max; ls /sys/fs/cgroup | grep -c unified')
    B2=$(bundle cgv1u 'c["linux"]["resources"]["unified"] = {"pids.max": "3"}' true)
    out=$(unshare -m sh -c 'umount -l /sys/fs/cgroup/unified 2>/dev/null
        "$0" --root "$1" run -b "$2" t-cgv1; "$0" --root "$1" run -b "$3" t-cgv1u' \
        "$RUNC" "$ROOT" "$B" "$B2" 2>&1 | tr '\n' ' ')
    contains "pure cgroup v1" "9 0 " "$out"
    contains "pure cgroup v1 refuses unified" "needs cgroup v2" "$out"
fi

# ---- terminal, list, spec, features ------------------------------------
B=$(bundle tty 'c["process"]["terminal"] = True' sh -c 'test -t 0 && tty')
out=$(R run -b "$B" t-tty < /dev/null 2>&1); contains "terminal" "/dev/pts/0" "$out"
R create -b "$B" t-tty2 2>/dev/null; expect "tty without console socket refused" 1 $?
B=$(bundle list "" sleep 30)
R run -d -b "$B" t-list
contains "list json" '"id":"t-list"' "$(R list --format json)"
expect "list -q" "t-list" "$(R list -q)"
expect "ps json" 1 "$(R ps --format json t-list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
R update --pids-limit 7 t-list; expect "update" 0 $?
R delete -f t-list
R features | python3 -m json.tool >/dev/null; expect "features is JSON" 0 $?

echo "container tests: $PASS passed, $FAIL failed${FAILED:+ (${FAILED# })}"
[ "$FAIL" = 0 ]
