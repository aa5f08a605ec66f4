#!/bin/sh
# Build Vessel's default guest from Debian packages: a Linux kernel (package
# linux-source-6.1, cross-compiled with gcc-riscv64-linux-gnu, tinyconfig +
# guest/kernel.fragment) and an initramfs holding a static busybox (Debian's
# busybox source package, built with Debian's own "static" configuration)
# that gives an interactive shell on the console (guest/rootfs/).
#
# The result is cached outside the clone, keyed by a hash of the recipe and
# of the package versions, so a fresh clone reuses it:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/vessel/guest-<hash>/{Image,initramfs.cpio.gz}
#   ${XDG_CACHE_HOME:-$HOME/.cache}/vessel/guest -> guest-<hash>   (newest)
# and OUTDIR (default build/guest) gets symlinks to those two files.
# `vessel run` without --kernel boots them (see docs/machine.md).
#
# Usage: scripts/build-guest.sh [OUTDIR]
# Env:   SKIP_APT=1 (packages already present), JOBS=N, VESSEL_CACHE=DIR
# The host's apt configuration is never changed: the busybox source comes
# through a private apt state directory inside the cache.
set -eu

TOP=$(cd "$(dirname "$0")/.." && pwd)
OUT=${1:-$TOP/build/guest}
CACHE=${VESSEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vessel}
JOBS=${JOBS:-$(nproc)}
CROSS=riscv64-linux-gnu-
SUITE=bookworm
MIRROR=http://deb.debian.org/debian

PKGS="linux-source-6.1 gcc-riscv64-linux-gnu libc6-dev-riscv64-cross make bc
flex bison libssl-dev libelf-dev xz-utils cpio gzip dpkg-dev"
if [ "${SKIP_APT:-0}" != 1 ]; then
    missing=""
    for p in $PKGS; do
        dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
    done
    if [ -n "$missing" ]; then
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -q
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
    fi
fi

mkdir -p "$CACHE"
# One build at a time (several checkouts may share the cache).
exec 9>"$CACHE/.guest.lock"
flock 9

# The recipe: this script, the kernel fragment, the rootfs files, and the
# versions of the packages the sources come from.
KVER=$(dpkg-query -W -f='${Version}' linux-source-6.1)
recipe_hash=$( {
    cat "$0" "$TOP/guest/kernel.fragment"
    (cd "$TOP/guest/rootfs" && find . -type f | LC_ALL=C sort | xargs cat)
    echo "linux-source-6.1 $KVER"
    dpkg-query -W -f='${Version}\n' gcc-riscv64-linux-gnu libc6-dev-riscv64-cross
} | sha256sum | cut -c1-16)
DEST=$CACHE/guest-$recipe_hash

link_outputs() {
    ln -sfn "guest-$recipe_hash" "$CACHE/guest"
    mkdir -p "$OUT"
    ln -sf "$DEST/Image" "$OUT/Image"
    ln -sf "$DEST/initramfs.cpio.gz" "$OUT/initramfs.cpio.gz"
}

if [ -f "$DEST/Image" ] && [ -f "$DEST/initramfs.cpio.gz" ]; then
    link_outputs
    exit 0
fi

WORK=$CACHE/work
mkdir -p "$WORK"
echo "build-guest: building the default guest (about 10-15 minutes, once) in $WORK"

# --- kernel ---------------------------------------------------------------
KSRC=$WORK/linux-source-6.1
if [ ! -f "$KSRC/.vessel-extracted-$KVER" ]; then
    rm -rf "$KSRC"
    tar -C "$WORK" -xf /usr/src/linux-source-6.1.tar.xz
    touch "$KSRC/.vessel-extracted-$KVER"
fi
(
    cd "$KSRC"
    make -s ARCH=riscv CROSS_COMPILE=$CROSS tinyconfig
    scripts/kconfig/merge_config.sh -m .config "$TOP/guest/kernel.fragment" >/dev/null
    make -s ARCH=riscv CROSS_COMPILE=$CROSS olddefconfig
    # Every line of the fragment must have stuck: a symbol that silently
    # vanished (missing dependency) would give a guest without a device.
    bad=0
    while IFS= read -r line; do
        case "$line" in
        "# CONFIG_"*" is not set")
            sym=${line#\# }; sym=${sym%% *}
            ! grep -Eq "^$sym=(y|m)" .config ;;
        "#"*|"") true ;;
        *) grep -qx "$line" .config ;;
        esac || { echo "build-guest: kernel config did not stick: $line" >&2; bad=1; }
    done < "$TOP/guest/kernel.fragment"
    [ $bad = 0 ]
    make -s ARCH=riscv CROSS_COMPILE=$CROSS -j"$JOBS" Image
)

# --- busybox from Debian's source package ---------------------------------
APT=$WORK/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial"
echo "deb-src $MIRROR $SUITE main" > "$APT/sources.list"
apt_private() {
    apt-get -q -o Dir::Etc::SourceList="$APT/sources.list" \
        -o Dir::Etc::SourceParts=/dev/null -o Dir::State::Lists="$APT/lists" \
        -o Dir::Cache="$APT/cache" -o APT::Sandbox::User=root "$@"
}
BBDIR=$WORK/busybox
if [ ! -f "$BBDIR/.vessel-ready" ]; then
    rm -rf "$BBDIR"; mkdir -p "$BBDIR"
    apt_private update >/dev/null
    (cd "$BBDIR" && apt_private source --download-only busybox >/dev/null)
    (cd "$BBDIR" && dpkg-source -x --no-check ./busybox_*.dsc src >/dev/null)
    touch "$BBDIR/.vessel-ready"
fi
(
    cd "$BBDIR/src"
    cp debian/config/pkg/static .config
    # Keep Debian's static configuration; answer new questions with defaults.
    yes "" | make -s ARCH=riscv CROSS_COMPILE=$CROSS oldconfig >/dev/null
    make -s ARCH=riscv CROSS_COMPILE=$CROSS -j"$JOBS" busybox busybox.links
)

# --- initramfs --------------------------------------------------------------
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
R=$STAGE/root
mkdir -p "$R/bin" "$R/sbin" "$R/usr/bin" "$R/usr/sbin" "$R/dev" "$R/proc" \
    "$R/sys" "$R/tmp" "$R/run" "$R/mnt" "$R/root" "$R/etc"
cp -a "$TOP/guest/rootfs/." "$R/"
cp "$BBDIR/src/busybox" "$R/bin/busybox"
${CROSS}strip "$R/bin/busybox"
# One symlink per applet, at the path busybox.links gives it.
while read -r applet; do
    [ -e "$R$applet" ] || ln -s /bin/busybox "$R$applet"
done < "$BBDIR/src/busybox.links"
ln -sf /bin/busybox "$R/init"
if [ "$(id -u)" = 0 ]; then
    mknod -m 600 "$R/dev/console" c 5 1
    mknod -m 666 "$R/dev/null" c 1 3
fi
find "$R" -exec touch -h -d @0 {} +
mkdir -p "$DEST.tmp"
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -9 -n > "$DEST.tmp/initramfs.cpio.gz"
cp "$KSRC/arch/riscv/boot/Image" "$DEST.tmp/Image"
cp "$KSRC/.config" "$DEST.tmp/kernel.config"
rm -rf "$DEST"
mv "$DEST.tmp" "$DEST"
link_outputs
echo "build-guest: done: $DEST ($(stat -c %s "$DEST/Image") byte kernel, $(stat -c %s "$DEST/initramfs.cpio.gz") byte initramfs)"
