#!/bin/sh
# The image-parser fuzz target over the seed corpus, then 20 s of fuzzing.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir corpus
cp "$HERE"/../fuzz/corpus/* corpus/
"$BLOCK_FUZZ" -runs=0 corpus/* >/dev/null 2>&1 || { "$BLOCK_FUZZ" -runs=0 corpus/*; exit 1; }
"$BLOCK_FUZZ" -max_total_time=20 -max_len=16384 -timeout=10 -rss_limit_mb=4096 corpus \
    > fuzz.log 2>&1 || { tail -40 fuzz.log; exit 1; }
grep -E "^Done" fuzz.log
