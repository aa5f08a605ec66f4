#!/bin/sh
# Interoperability with qemu-img and qemu-io, both ways: for every cluster
# size, with compressed clusters (zlib and zstd), zero clusters, backing
# chains of depth 3 and images over 4 GiB.  After every write by Vessel,
# `qemu-img check` must be clean (leaks allowed: exit 0 or 3 is not enough,
# we demand 0) and `qemu-img compare` must find the expected content.
# Runs in the current (temporary) directory.
set -eu
V=$VESSEL
IO=$BLOCK_IO
fail() { echo "FAIL: $*" >&2; exit 1; }
qcheck() { qemu-img check -q "$1" || fail "qemu-img check $1 (exit $?)"; }
same() { qemu-img compare -q "$1" "$2" || fail "qemu-img compare $1 $2"; }

# Reference data: a raw image with a mix of data, holes and a zero run.
head -c 700000 /dev/urandom > ref.raw
truncate -s 6M ref.raw
dd if=/dev/urandom of=ref.raw bs=4096 seek=900 count=37 conv=notrunc 2>/dev/null
printf 'tail' | dd of=ref.raw bs=1 seek=6291452 conv=notrunc 2>/dev/null

for cs in 512 4k 64k 2M; do
    csb=$(case $cs in 512) echo 512;; 4k) echo 4096;; 64k) echo 65536;; 2M) echo 2097152;; esac)
    # 1. QEMU writes, Vessel reads: normal, zero, compressed (zlib), discard.
    qemu-img create -q -f qcow2 -o cluster_size=$cs q.qcow2 6M
    qemu-io -c "write -P 0x11 0 300k" -c "write -z 64k 64k" -c "write -c -P 0x22 2M 2M" \
            -c "write -P 0x33 5M 4k" -c "discard 5M 1M" -c "write -P 0x44 4M 100k" \
            q.qcow2 >/dev/null
    qemu-img convert -O raw q.qcow2 q-by-qemu.raw
    $V img convert -O raw q.qcow2 q-by-vessel.raw
    cmp -s q-by-qemu.raw q-by-vessel.raw || fail "cs=$cs: Vessel reads QEMU's image differently"
    $V img check q.qcow2 >/dev/null || fail "cs=$cs: vessel img check on QEMU's image"

    # 2. Vessel writes, QEMU reads: convert, compressed convert, in-place writes.
    $V img convert -O qcow2 -o cluster_size=$cs ref.raw v.qcow2
    qcheck v.qcow2; same ref.raw v.qcow2
    $V img convert -c -O qcow2 -o cluster_size=$cs ref.raw vc.qcow2
    qcheck vc.qcow2; same ref.raw vc.qcow2
    $IO q.qcow2 "write -P 0x55 1000 70000" "write -z 2M 1M" "write -P 0x66 2500k 8k" \
        "discard 4M 1M" "write -c -P 0x67 4M $csb" "flush" >/dev/null ||
        fail "cs=$cs: Vessel writes into QEMU's image"
    qcheck q.qcow2
    qemu-io -c "read -P 0x55 1000 70000" -c "read -P 0 2M 400k" -c "read -P 0x67 4M $csb" \
            q.qcow2 >/dev/null ||
        fail "cs=$cs: QEMU reads Vessel's writes back wrong"
    # 3. Convert Vessel -> QEMU -> Vessel and compare all ways.
    qemu-img convert -O qcow2 v.qcow2 v-q.qcow2
    $V img convert -O qcow2 -o cluster_size=$cs v-q.qcow2 v-q-v.qcow2
    qcheck v-q-v.qcow2; same v.qcow2 v-q-v.qcow2
    $V img compare v.qcow2 v-q-v.qcow2 >/dev/null || fail "cs=$cs: vessel img compare"
done

# zstd compressed clusters, both ways
qemu-img create -q -f qcow2 -o compression_type=zstd zq.qcow2 4M
qemu-io -c "write -c -P 0x77 0 1M" zq.qcow2 >/dev/null
$IO -f qcow2 zq.qcow2 "read -P 0x77 0 1M" >/dev/null || fail "zstd written by QEMU"
$V img convert -c -O qcow2 -o compression_type=zstd ref.raw zv.qcow2
qcheck zv.qcow2; same ref.raw zv.qcow2
$V img info --output=json zv.qcow2 | grep -q '"compression-type": "zstd"' || fail "zstd info"

# Refcount widths and v2 images written by Vessel
for rb in 1 8 64; do
    $V img convert -O qcow2 -o refcount_bits=$rb,cluster_size=4k ref.raw r$rb.qcow2
    qcheck r$rb.qcow2; same ref.raw r$rb.qcow2
done
$V img convert -O qcow2 -o compat=0.10 ref.raw v2.qcow2
qcheck v2.qcow2; same ref.raw v2.qcow2
qemu-img info v2.qcow2 | grep -q "compat: 0.10" || fail "v2 image not v2"

# Backing chain of depth 3, mixing writers: base (QEMU) <- mid (Vessel) <- top (QEMU)
qemu-img create -q -f qcow2 base.qcow2 8M
qemu-io -c "write -P 0xa1 0 8M" base.qcow2 >/dev/null
$V img create -q -f qcow2 -b base.qcow2 -F qcow2 mid.qcow2
$IO mid.qcow2 "write -P 0xb2 1M 1M" "write -P 0xb3 3000 5000" >/dev/null
qcheck mid.qcow2
qemu-img create -q -f qcow2 -b mid.qcow2 -F qcow2 top.qcow2
qemu-io -c "write -P 0xc3 1536k 1M" -c "write -z 6M 64k" top.qcow2 >/dev/null
$IO top.qcow2 "write -P 0xc4 7M 100k" "write -P 0xc5 100 10" >/dev/null
qcheck top.qcow2
qemu-img convert -O raw top.qcow2 chain-qemu.raw
$V img convert -O raw top.qcow2 chain-vessel.raw
cmp -s chain-qemu.raw chain-vessel.raw || fail "depth-3 chain reads differently"
qemu-img map --output=json top.qcow2 > map-qemu.json
$V img map --output=json top.qcow2 > map-vessel.json
cmp -s map-qemu.json map-vessel.json || fail "map of a depth-3 chain differs from qemu-img's"
# Commit top into mid, then mid into base: content must not change.
$V img commit -q top.qcow2
qcheck top.qcow2; qcheck mid.qcow2
same chain-qemu.raw top.qcow2
$V img commit -q mid.qcow2
qcheck base.qcow2
same chain-qemu.raw base.qcow2
# Rebase (safe) onto nothing, then check content kept.
$V img rebase -b "" top.qcow2
qcheck top.qcow2; same chain-qemu.raw top.qcow2
qemu-img info top.qcow2 | grep -q "backing file" && fail "rebase -b '' kept a backing file"

# commit -b into the bottom of a chain; safe rebase onto a different base;
# convert -B writes only what the top holds.
qemu-img create -q -f qcow2 b0.qcow2 4M
qemu-io -c "write -P 0x01 0 4M" b0.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b b0.qcow2 -F qcow2 b1.qcow2
qemu-io -c "write -P 0x02 1M 1M" b1.qcow2 >/dev/null
qemu-img create -q -f qcow2 -b b1.qcow2 -F qcow2 b2.qcow2
qemu-io -c "write -P 0x03 1536k 1M" b2.qcow2 >/dev/null
qemu-img convert -O raw b2.qcow2 b2-content.raw
$V img convert -O qcow2 -B b1.qcow2 -F qcow2 b2.qcow2 b2-copy.qcow2
qcheck b2-copy.qcow2; same b2-content.raw b2-copy.qcow2
[ "$(qemu-img map --output=json b2-copy.qcow2 | grep -c '"depth": 0')" -le 2 ] ||
    fail "convert -B copied more than the top layer"
qemu-img create -q -f qcow2 other.qcow2 4M
qemu-io -c "write -P 0x09 0 2M" other.qcow2 >/dev/null
$V img rebase -b other.qcow2 -F qcow2 b2-copy.qcow2
qcheck b2-copy.qcow2; same b2-content.raw b2-copy.qcow2
qemu-img info b2-copy.qcow2 | grep -q "backing file: other.qcow2" || fail "rebase target"
$V img rebase -u -b b1.qcow2 -F qcow2 b2-copy.qcow2
qemu-img info b2-copy.qcow2 | grep -q "backing file: b1.qcow2" || fail "rebase -u"
$V img commit -q -b b0.qcow2 b2.qcow2
qcheck b0.qcow2
same b2-content.raw b0.qcow2

# Images over 4 GiB (sparse)
qemu-img create -q -f qcow2 big.qcow2 6G
qemu-io -c "write -P 0x5a 5G 1M" -c "write -P 0x5b 4095M 2M" big.qcow2 >/dev/null
$IO big.qcow2 "read -P 0x5a 5G 1M" "read -P 0x5b 4095M 2M" "write -P 0x5c 5500M 300k" \
    "write -P 0x5d 4G 64k" >/dev/null || fail "Vessel on a 6 GiB image"
qcheck big.qcow2
qemu-io -c "read -P 0x5c 5500M 300k" -c "read -P 0x5d 4G 64k" big.qcow2 >/dev/null ||
    fail "QEMU reads Vessel's writes past 4 GiB"
$V img convert -O raw big.qcow2 big.raw
same big.qcow2 big.raw
[ "$(du -k big.raw | cut -f1)" -lt 20000 ] || fail "convert to raw is not sparse"
$V img convert -O qcow2 big.raw big2.qcow2
qcheck big2.qcow2; same big.raw big2.qcow2

# The convert pipeline (readers, one in-order writer; -W: every worker
# writes): many windows of data, holes and written zeroes; the zeroes must
# not be allocated, and the in-order target must be laid out contiguously.
truncate -s 48M pipe.raw
for i in $(seq 0 2 40); do
    dd if=/dev/urandom of=pipe.raw bs=1M seek=$i count=1 conv=notrunc 2>/dev/null
done
dd if=/dev/zero of=pipe.raw bs=1M seek=41 count=3 conv=notrunc 2>/dev/null
for opts in "" "-m 1" "-m 16" "-W" "-W -m 3"; do
    rm -f pipe.qcow2
    $V img convert $opts -O qcow2 pipe.raw pipe.qcow2 || fail "convert $opts"
    qcheck pipe.qcow2; same pipe.raw pipe.qcow2
    qemu-img map --output=json pipe.qcow2 | grep -q '"start": 42991616, "length": 7340032, "depth": 0, "present": false, "zero": true, "data": false' ||
        fail "convert $opts allocated written zeroes"
    $V img convert $opts -O raw pipe.qcow2 pipe2.raw || fail "convert $opts to raw"
    cmp -s pipe.raw pipe2.raw || fail "convert $opts to raw differs"
done
rm -f pipe.qcow2
$V img convert -O qcow2 pipe.raw pipe.qcow2
qemu-img check pipe.qcow2 | grep -q '0.00% fragmented' || fail "in-order convert is fragmented"

# Internal snapshots made by QEMU: Vessel writes must copy-on-write.
qemu-img create -q -f qcow2 snap.qcow2 4M
qemu-io -c "write -P 0x10 0 2M" snap.qcow2 >/dev/null
qemu-img snapshot -c s1 snap.qcow2
$IO snap.qcow2 "write -P 0x20 0 1M" "write -P 0x21 3M 64k" >/dev/null
qcheck snap.qcow2
qemu-img snapshot -a s1 snap.qcow2
qemu-io -c "read -P 0x10 0 2M" snap.qcow2 >/dev/null || fail "snapshot changed by Vessel writes"
qcheck snap.qcow2

# Metadata preallocation by QEMU, written by Vessel; and by Vessel
qemu-img create -q -f qcow2 -o preallocation=metadata pre.qcow2 4M
$IO pre.qcow2 "write -P 0x31 100k 50k" "read -P 0 0 100k" >/dev/null || fail "prealloc"
qcheck pre.qcow2
$V img create -q -f qcow2 -o preallocation=metadata vpre.qcow2 4M
qcheck vpre.qcow2
qemu-io -c "read -P 0 0 4M" vpre.qcow2 >/dev/null || fail "Vessel metadata preallocation"

# Dirty bit (lazy refcounts left behind by a crash): opening read-write
# rebuilds the refcounts and clears the bit.
qemu-img create -q -f qcow2 -o lazy_refcounts=on lazy.qcow2 4M
qemu-io -c "write -P 0x61 0 1M" lazy.qcow2 >/dev/null
python3 - <<'PY'
import struct
f = open('lazy.qcow2', 'r+b')
f.seek(72); inc = struct.unpack('>Q', f.read(8))[0]
f.seek(72); f.write(struct.pack('>Q', inc | 1))            # dirty
f.seek(48); rt = struct.unpack('>Q', f.read(8))[0]
f.seek(rt); rb = struct.unpack('>Q', f.read(8))[0]
f.seek(rb + 2 * 6); f.write(b'\0' * 8)                    # refcounts lost
PY
qemu-img info lazy.qcow2 | grep -q "cleanly shut down: no" || fail "dirty bit not set"
$IO lazy.qcow2 "read -P 0x61 0 1M" "write -P 0x62 2M 64k" >/dev/null || fail "dirty image"
qcheck lazy.qcow2
qemu-img info lazy.qcow2 | grep -q "cleanly shut down" && fail "dirty bit not cleared"
qemu-io -c "read -P 0x61 0 1M" -c "read -P 0x62 2M 64k" lazy.qcow2 >/dev/null || fail "lazy data"

# A truncated image: reads past the end fail with a clear message, check
# finds the damage, -r all repairs it so that qemu-img agrees.
qemu-img create -q -f qcow2 trunc.qcow2 10M
qemu-io -c "write -P 5 0 5M" trunc.qcow2 >/dev/null
truncate -s 1M trunc.qcow2
$IO -f qcow2 trunc.qcow2 "read -P 5 0 64k" >/dev/null || fail "intact part of a truncated image"
if $IO trunc.qcow2 "read 4M 64k" >out.txt 2>&1; then fail "read past a truncation succeeded"; fi
grep -q "truncated image" out.txt || fail "no clear message: $(cat out.txt)"
set +e; $V img check trunc.qcow2 >/dev/null 2>&1; rc=$?; set -e
[ $rc = 2 ] || fail "check of a truncated image: exit $rc"
$V img check -q -r all trunc.qcow2 || fail "repair of a truncated image"
qcheck trunc.qcow2

# Locking interoperates: QEMU cannot write an image Vessel has open.
$V img create -q -f qcow2 lock.qcow2 1M
$IO lock.qcow2 "aio-write 0 64k 1" "sleep 2000" &
sleep 0.5
if qemu-io -c "write 0 512" lock.qcow2 >/dev/null 2>&1; then
    wait; fail "QEMU wrote an image Vessel holds"
fi
wait
echo "interop ok"
