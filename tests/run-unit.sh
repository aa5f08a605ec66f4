#!/bin/sh
# Run each unit-test program; print one line per test and fail if any fails.
fail=0
for t in "$@"; do
    if out=$("$t" 2>&1); then
        echo "PASS $(basename "$t")"
    else
        echo "FAIL $(basename "$t")"; echo "$out" | tail -30; fail=1
    fi
done
exit $fail
