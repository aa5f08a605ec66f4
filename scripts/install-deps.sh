#!/bin/sh
# Install, from Debian, every package Vessel needs to build, test and
# benchmark.  Only missing packages are installed; needs root (or sudo).
set -eu

PKGS="build-essential pkg-config git
libfdt-dev libslirp-dev zlib1g-dev libzstd-dev libseccomp-dev libcap-dev libjson-c-dev
gcc-riscv64-linux-gnu libc6-dev-riscv64-cross binutils-riscv64-linux-gnu
linux-source-6.1 bc flex bison libssl-dev libelf-dev xz-utils cpio gzip
device-tree-compiler e2fsprogs
qemu-system-misc qemu-utils opensbi u-boot-qemu
crun runc busybox-static iproute2 python3 clang libclang-rt-dev
libmpfr-dev"

missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
echo "install-deps: installing$missing"
$SUDO apt-get update -q
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
