#!/bin/sh
# from-dir makes a bootable disk: a directory holding a static /init
# becomes a qcow2 ext4 image that the test kernel mounts as its root file
# system over virtio-blk and runs.  Needs the riscv64 cross compiler and
# the test guest kernel (VESSEL_TEST_KERNEL, default
# /work/shared/guest/Image); skipped without them.
set -eu
V=$VESSEL
KERNEL=${VESSEL_TEST_KERNEL:-/work/shared/guest/Image}
CC=riscv64-linux-gnu-gcc
if [ ! -r "$KERNEL" ] || ! command -v $CC >/dev/null; then
    echo "skipped: no test kernel ($KERNEL) or no $CC"
    exit 0
fi
mkdir -p root/dev root/proc root/sys root/etc
cat > init.c <<'C'
#include <stdio.h>
#include <sys/reboot.h>
#include <unistd.h>
int main(void)
{
    FILE *f = fopen("/etc/greeting", "r");
    char line[64] = "missing";
    if (f && fgets(line, sizeof line, f))
        fclose(f);
    printf("DISK-BOOT-OK %s", line);
    fflush(stdout);
    sync();
    reboot(RB_POWER_OFF);
    return 0;
}
C
$CC -static -O2 -o root/init init.c
echo "hello-from-ext4" > root/etc/greeting
$V img from-dir -q -O qcow2 root root.qcow2
qemu-img check -q root.qcow2
out=$(timeout 120 $V run --kernel "$KERNEL" --device disk,root.qcow2 \
      --append "console=ttyS0 root=/dev/vda rootfstype=ext4 rw init=/init" --timeout 100 2>&1) ||
    { echo "$out" | tail -20; echo "FAIL: guest did not power off cleanly"; exit 1; }
echo "$out" | grep -q "DISK-BOOT-OK hello-from-ext4" ||
    { echo "$out" | tail -20; echo "FAIL: no DISK-BOOT-OK from the disk's /init"; exit 1; }
echo "booted from the from-dir image"
