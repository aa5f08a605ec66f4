#!/bin/sh
# Block layer integration tests (make check-block): interoperability with
# qemu-img/qemu-io, the command line, the kill -9 crash test and a short
# fuzzing run.  Prints one line per test; exits non-zero on any failure.
set -u
BUILD=${BUILD:-build}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
export VESSEL="$ROOT/$BUILD/vessel" BLOCK_IO="$ROOT/$BUILD/tests/block-io"
export BLOCK_CRASH="$ROOT/$BUILD/tests/block-crash" BLOCK_FUZZ="$ROOT/$BUILD/fuzz/block-fuzz"
start=$(date +%s)
fail=0
for t in interop.sh cli.sh split.sh boot.sh crash.sh fuzz.sh; do
    T=$(mktemp -d /tmp/vessel-block-test.XXXXXX)
    if out=$(cd "$T" && sh "$HERE/$t" 2>&1); then
        echo "PASS block/$t"
    else
        echo "FAIL block/$t"; echo "$out" | tail -25; fail=1
    fi
    rm -rf "$T"
done
echo "block integration tests: $(( $(date +%s) - start ))s"
exit $fail
