#!/bin/sh
# kill -9 during writes, allocations and flushes: 120 kills over three
# images; after each, qemu-img check must find no corruption and every
# write covered by a completed flush must be there (tests/block/block_crash.c).
set -eu
"$BLOCK_CRASH" . 120 "${BLOCK_CRASH_SEED:-$(date +%s)}"
