#!/bin/sh
# Split images: create, write through the block layer, convert both ways,
# resize across chunk boundaries, hostile descriptors.
set -eu
V=$VESSEL
IO=$BLOCK_IO
fail() { echo "FAIL: $*" >&2; exit 1; }

head -c 1500000 /dev/urandom > ref.raw
truncate -s 5M ref.raw
$V img convert -O split -o chunk_size=1M ref.raw d.img
[ "$(ls d.img.* | wc -l)" = 5 ] || fail "expected 5 chunk files"
head -1 d.img | grep -qx "vessel-split-image 1" || fail "descriptor magic"
$V img info d.img | grep -q "file format: split" || fail "probe"
$V img convert -O raw d.img back.raw
cmp -s ref.raw back.raw || fail "split round trip"
qemu-img compare -q -f raw -F raw ref.raw back.raw
# Writes that straddle chunk boundaries, async writes, discard
$IO d.img "write -P 0x41 1048000 5000" "aio-write -P 0x42 2000000 300000 4" "flush" \
    "read -P 0x41 1048000 5000" "read -P 0x42 2000000 1200000" "discard 4M 1M" \
    "read -P 0 4M 1M" >/dev/null || fail "I/O across chunks"
# Resize up and down
$V img resize -q d.img 7M
[ "$(ls d.img.* | wc -l)" = 7 ] || fail "grow did not add chunks"
$IO d.img "read -P 0 5M 2M" "write -P 0x43 6M 1M" >/dev/null || fail "grown area"
$V img resize -q --shrink d.img 2500k
[ "$(ls d.img.* | wc -l)" = 3 ] || fail "shrink did not drop chunks"
[ "$($V img info --output=json d.img | grep virtual-size | tr -dc 0-9)" = 2560000 ] ||
    fail "size after shrink"
# to qcow2 and back
$V img convert -O qcow2 d.img d.qcow2
qemu-img check -q d.qcow2
$V img compare d.img d.qcow2 >/dev/null || fail "split vs qcow2"
# Converting over an existing split image leaves nothing of the old content
$V img convert -O split -o chunk_size=1M ref.raw over.img
$V img convert -O split -o chunk_size=1M d.qcow2 over.img
$V img compare d.qcow2 over.img >/dev/null || fail "stale chunk content after re-create"
# Hostile descriptors are refused with a message, never followed
printf 'vessel-split-image 1\nsize 100\nchunk-size 512\nchunk-prefix ../../etc/passwd\n' > h1.img
printf 'vessel-split-image 1\nsize 99999999999999999999\nchunk-size 512\nchunk-prefix x.\n' > h2.img
printf 'vessel-split-image 1\nsize 1000000000000\nchunk-size 512\nchunk-prefix x.\n' > h3.img
printf 'vessel-split-image 1\nsize 1024\nchunk-size 512\nchunk-prefix missing.\n' > h4.img
printf 'vessel-split-image 1\nsize 1024\nchunk-size 100\nchunk-prefix x.\n' > h5.img
printf 'vessel-split-image 1\nbogus 1\n' > h6.img
for h in h1 h2 h3 h4 h5 h6; do
    if $V img info $h.img >out.txt 2>&1; then fail "$h accepted"; fi
    grep -q "$h.img" out.txt || fail "$h: message does not name the file: $(cat out.txt)"
done
echo "split ok"
