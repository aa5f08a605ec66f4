#!/bin/sh
# Container runtime benchmark: Vessel against crun and runc (issue 8).
# Latency of `run` and of create+start+delete, and the runtime's peak RSS,
# over BENCH_RUNS runs (default 25).  See bench/container.py.
exec "${OCI_PYTHON:-python3}" "$(dirname "$0")/container.py" "$@"
