#!/bin/sh
# `vessel img` command line: qemu-img's options, outputs, JSON keys and
# exit codes; bad input gets a clear message and a non-zero exit.
set -eu
V=$VESSEL
fail() { echo "FAIL: $*" >&2; exit 1; }
json_keys() { grep -o '"[a-z-]*":' "$1" | sort -u; }

# create: sizes with suffixes, options, messages like qemu-img
$V img create -f qcow2 -o cluster_size=4k,compression_type=zstd a.qcow2 1.5G > out.txt
grep -q "Formatting 'a.qcow2', fmt=qcow2 cluster_size=4096" out.txt || fail "create message"
qemu-img info --output=json a.qcow2 > q.json
$V img info --output=json a.qcow2 > v.json
[ "$(json_keys q.json)" = "$(json_keys v.json)" ] || fail "info JSON keys differ: $(diff q.json v.json)"
grep -q '"virtual-size": 1610612736' v.json || fail "1.5G parsed wrong"
grep -q '"cluster-size": 4096' v.json || fail "cluster size"
$V img create -f raw r.raw 100k >/dev/null
[ "$(stat -c %s r.raw)" = 102400 ] || fail "raw size"
qemu-img info r.raw | grep -q "102400 bytes" || fail "raw seen by qemu"
$V img info r.raw | sed -n 3p | grep -qx "virtual size: 100 KiB (102400 bytes)" || fail "human size"
# create with a backing file takes its size and records its format
$V img create -q -f qcow2 -b a.qcow2 -F qcow2 o.qcow2
qemu-img info o.qcow2 | grep -q "backing file format: qcow2" || fail "backing format"
$V img info --backing-chain --output=json o.qcow2 > chain.json
[ "$(grep -c '"filename"' chain.json)" = 2 ] || fail "--backing-chain"
qemu-img info --output=json o.qcow2 > q.json
$V img info --output=json o.qcow2 > v.json
[ "$(json_keys q.json)" = "$(json_keys v.json)" ] || fail "overlay JSON keys differ"
# info prints exactly what qemu-img prints (human and JSON), snapshots too
qemu-img create -q -f qcow2 -o compat=0.10 v2.qcow2 5M
qemu-img create -q -f qcow2 snaps.qcow2 1M
qemu-img snapshot -c first snaps.qcow2
qemu-img snapshot -c second snaps.qcow2
mkdir -p sub
qemu-img create -q -f qcow2 -b ../snaps.qcow2 -F qcow2 sub/rel.qcow2
for f in a.qcow2 o.qcow2 r.raw v2.qcow2 snaps.qcow2 sub/rel.qcow2; do
    qemu-img info "$f" > q.txt; $V img info "$f" > v.txt
    cmp -s q.txt v.txt || fail "info $f differs: $(diff q.txt v.txt)"
    qemu-img info --output=json "$f" > q.txt; $V img info --output=json "$f" > v.txt
    cmp -s q.txt v.txt || fail "info --output=json $f differs: $(diff q.txt v.txt)"
done
qemu-img info --backing-chain --output=json sub/rel.qcow2 > q.txt
$V img info --backing-chain --output=json sub/rel.qcow2 > v.txt
cmp -s q.txt v.txt || fail "info --backing-chain differs: $(diff q.txt v.txt)"
# bad input: clear message, exit 1
for args in "create -f qcow2 x.qcow2 12Q" "create -f qcow2 x.qcow2" \
            "create -f qcow2 -o cluster_size=3000 x.qcow2 1M" "create -f vmdk x.img 1M" \
            "create -f qcow2 -o refcount_bits=3 x.qcow2 1M" "info nonexistent.img" \
            "convert -O qcow2 nonexistent.img x.qcow2" "resize r.raw 1Z" "frobnicate"; do
    if $V img $args >out.txt 2>&1; then fail "'$args' succeeded"; fi
    [ -s out.txt ] || fail "'$args' printed nothing"
done
# check: exit codes and JSON as qemu-img
$V img check a.qcow2 >/dev/null || fail "clean check"
$V img check r.raw >/dev/null 2>&1 && fail "raw check should exit 63"
set +e; $V img check r.raw >/dev/null 2>&1; rc=$?; set -e
[ $rc = 63 ] || fail "raw check exit $rc, want 63"
cp a.qcow2 leak.qcow2
qemu-io -c "write 0 64k" leak.qcow2 >/dev/null
# make a leak: bump refcount of a cluster past the data (64k+ refblock at cluster 2)
qemu-img check --output=json leak.qcow2 > /dev/null
python3 - <<'PY'
import struct
f = open('leak.qcow2', 'r+b')
f.seek(48); rt = struct.unpack('>Q', f.read(8))[0]
f.seek(rt); rb = struct.unpack('>Q', f.read(8))[0]
f.seek(0, 2); end = f.tell()
cl = end // 4096 + 1
f.truncate((cl + 1) * 4096)
f.seek(rb + 2 * cl); f.write(struct.pack('>H', 1))
PY
set +e; $V img check leak.qcow2 >/dev/null 2>&1; rc=$?; set -e
[ $rc = 3 ] || fail "leak check exit $rc, want 3"
set +e; qemu-img check leak.qcow2 >/dev/null 2>&1; qrc=$?; set -e
[ $qrc = 3 ] || fail "qemu-img sees exit $qrc on our leak test image"
$V img check --output=json leak.qcow2 > v.json || true
qemu-img check --output=json leak.qcow2 > q.json || true
[ "$(json_keys q.json)" = "$(json_keys v.json)" ] || fail "check JSON keys: $(cat v.json q.json)"
$V img check -r leaks leak.qcow2 > out.txt || fail "repair leaks: $(cat out.txt)"
grep -q "1 leaked clusters" out.txt || fail "repair report"
qemu-img check leak.qcow2 >/dev/null || fail "leak not repaired"
# corruption: refcount too low -> exit 2, -r all repairs it for qemu-img too
python3 - <<'PY'
import struct
f = open('leak.qcow2', 'r+b')
f.seek(48); rt = struct.unpack('>Q', f.read(8))[0]
f.seek(rt); rb = struct.unpack('>Q', f.read(8))[0]
f.seek(40); l1 = struct.unpack('>Q', f.read(8))[0]
f.seek(rb + 2 * (l1 // 4096)); f.write(struct.pack('>H', 0))
PY
set +e; $V img check leak.qcow2 >/dev/null 2>&1; rc=$?; set -e
[ $rc = 2 ] || fail "corrupt check exit $rc, want 2"
$V img check -r all leak.qcow2 >/dev/null || fail "repair all"
qemu-img check leak.qcow2 >/dev/null || fail "qemu-img after repair"
qemu-io -c "read -P 0xcd 0 64k" leak.qcow2 >/dev/null || fail "data lost by repair"
# map: human and JSON like qemu-img
qemu-io -c "write 1M 192k" -c "write -z 3M 64k" a.qcow2 >/dev/null
qemu-img map a.qcow2 > q.txt; $V img map a.qcow2 > v.txt
cmp -s q.txt v.txt || fail "map differs: $(diff q.txt v.txt)"
qemu-img map --output=json --start-offset=512k --max-length=3M a.qcow2 > q.txt
$V img map --output=json --start-offset=512k --max-length=3M a.qcow2 > v.txt
cmp -s q.txt v.txt || fail "map json differs: $(diff q.txt v.txt)"
# resize: relative sizes, --shrink required
$V img resize a.qcow2 +512M | grep -qx "Image resized." || fail "resize"
qemu-img info a.qcow2 | grep -q "(2147483648 bytes)" || fail "resize +512M"
if $V img resize a.qcow2 -- -1G >/dev/null 2>&1; then fail "shrink without --shrink"; fi
$V img resize -q --shrink a.qcow2 -- -1G
qemu-img check -q a.qcow2
# compare exit codes
cp r.raw r2.raw
$V img compare r.raw r2.raw | grep -qx "Images are identical." || fail "compare"
printf x | dd of=r2.raw bs=1 seek=5000 conv=notrunc 2>/dev/null
set +e; $V img compare r.raw r2.raw > out.txt; rc=$?; set -e
[ $rc = 1 ] && grep -qx "Content mismatch at offset 4608!" out.txt || fail "mismatch: $rc $(cat out.txt)"
# convert -p prints progress; -S 0 makes a fully allocated raw
$V img convert -p -O qcow2 r.raw p.qcow2 | grep -q "100.00/100%" || fail "progress"
$V img convert -S 0 -O raw o.qcow2 full.raw
[ "$(du -k full.raw | cut -f1)" -gt 1000000 ] || fail "-S 0 output is sparse"
rm -f full.raw
# from-dir: a directory tree becomes an ext4 image, in any format
# The same command lines through qemu-img and vessel img, each in a fresh
# directory holding the same inputs: exit status and stdout must match.
# Options may follow file names (GNU getopt order), as qemu-img allows.
same() { # SETUP CMD  ($I is the tool)
    for t in q v; do
        rm -rf same.$t; mkdir same.$t
        (cd same.$t && eval "$1") >/dev/null 2>&1
        if [ $t = q ]; then I=qemu-img; else I="$V img"; fi
        set +e; (cd same.$t && eval "$2") > same.$t.out 2> same.$t.err; echo $? >> same.$t.out; set -e
    done
    cmp -s same.q.out same.v.out || fail "'$2' differs: $(diff same.q.out same.v.out | head -5)"
}
S='qemu-img create -f qcow2 b.qcow2 64M; qemu-io -c "write -P 1 0 1M" -c "write -z 20M 1M" b.qcow2; qemu-img create -f qcow2 -b b.qcow2 -F qcow2 o.qcow2; qemu-io -c "write -P 3 512k 1M" o.qcow2'
same "$S" '$I info o.qcow2 --output=json'
same "$S" '$I map o.qcow2 --output json'
same "$S" '$I map --start-offset=100M --output=json o.qcow2'
same "$S" '$I map --start-offset 600k --max-length 1M o.qcow2'
same "$S" '$I check o.qcow2 --output=json'
same "$S" '$I convert -O qcow2 o.qcow2 x.qcow2 -c && qemu-img compare x.qcow2 o.qcow2'
same "$S" '$I convert --salvage -O raw o.qcow2 x.raw && qemu-img compare x.raw o.qcow2'
same "$S" '$I convert -c -O qcow2 b.qcow2 c.qcow2 && $I map c.qcow2'
same '' '$I create -f qcow2 a.qcow2 1000; $I create -f qcow2 -o compat=v3 b.qcow2 1M'
same '' '$I create -f raw -o preallocation=full a.raw 1M'
same '' '$I create -f qcow2 -o size=1M a.qcow2 2M; ls'
same '' '$I create -f qcow2 -b nonexist.qcow2 -F qcow2 a.qcow2 1M; ls'
same 'qemu-img create -f qcow2 a.qcow2 1G' '$I resize a.qcow2 --shrink -512M && qemu-img info a.qcow2 | grep virtual'
same 'qemu-img create -f qcow2 a.qcow2 1G' '$I resize -f qcow2 a.qcow2 -- -512M'
same 'qemu-img create -f qcow2 a.qcow2 1G' '$I resize a.qcow2 2G extra'
same '' '$I create -f raw a.raw 0x10k; $I create -f raw b.raw 0x; ls -l a.raw | cut -d" " -f5'
same '' '$I create -f raw -o cluster_size=64k a.raw 1M; $I create -f qcow2 -o chunk_size=1M b 1M; ls'
same '' '$I create -f qcow2 -o ,compat=v3 a 1M; $I create -f qcow2 -o compat=v3, b 1M; ls'
same 'qemu-img create -q -f qcow2 b.qcow2 1M' '$I convert -O raw -o compression_type=zstd b.qcow2 x.raw; ls'
# a dirty (lazy refcounts) overlay: info line order, check, repair
D="$S"'; printf "\\001" | dd of=o.qcow2 bs=1 seek=79 conv=notrunc'
same "$D" '$I info o.qcow2; $I check --output=json o.qcow2'
same "$D" '$I check -r all o.qcow2 && qemu-img info o.qcow2 | grep -c cleanly'
# commit -b names the base as the chain records it or relative to the
# directory of the image that records it (not only the current directory)
C='mkdir -p d1/d2; qemu-img create -q -f qcow2 d1/base.qcow2 16M; qemu-io -c "write -P 1 0 2M" d1/base.qcow2; qemu-img create -q -f qcow2 -b base.qcow2 -F qcow2 d1/mid.qcow2; qemu-img create -q -f qcow2 -b ../mid.qcow2 -F qcow2 d1/d2/top.qcow2; qemu-io -c "write -P 3 1536k 1M" d1/d2/top.qcow2'
same "$C" '$I commit -b base.qcow2 d1/d2/top.qcow2 && qemu-io -c "read -P 3 1536k 1M" d1/base.qcow2 | grep -c Pattern'
same "$C" '$I commit -b ../mid.qcow2 d1/d2/top.qcow2 && qemu-img map --output=json d1/mid.qcow2'
same "$C" '$I commit -b nothere.qcow2 d1/d2/top.qcow2'
# qemu-img options Vessel does not have are refused by name
for c in "create -f qcow2 a.qcow2 1M --object secret,id=s,data=x" \
         "info --image-opts driver=qcow2,file.filename=o.qcow2"; do
    if $V img $c 2> err.txt; then fail "$c accepted"; fi
    grep -q "is not supported" err.txt || fail "$c: $(cat err.txt)"
done

mkdir -p root/etc root/bin
echo hello > root/etc/motd
head -c 300000 /dev/urandom > root/bin/blob
ln -s /etc/motd root/motd-link
$V img from-dir -O qcow2 root fs.qcow2 >/dev/null
qemu-img check -q fs.qcow2
$V img convert -O raw fs.qcow2 fs.raw
/sbin/e2fsck -fn fs.raw >/dev/null 2>&1 || fail "e2fsck on from-dir image"
/sbin/debugfs -R "cat /etc/motd" fs.raw 2>/dev/null | grep -qx hello || fail "file content"
/sbin/debugfs -R "stat /bin/blob" fs.raw 2>/dev/null | grep -q "Size: 300000" || fail "blob"
$V img from-dir -O split -o chunk_size=8M root fs.img >/dev/null
$V img convert -O raw fs.img fs2.raw
/sbin/e2fsck -fn fs2.raw >/dev/null 2>&1 || fail "e2fsck on from-dir split image"
/sbin/debugfs -R "cat /etc/motd" fs2.raw 2>/dev/null | grep -qx hello || fail "split content"
echo "cli ok"
