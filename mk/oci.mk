# OCI runtime acceptance: conformance suite, functional tests, benchmark.
# (owned by the oci area; the runtime itself lives in src/container/)
#
#   make check-oci             conformance suite + functional tests, against
#                              Vessel, runc and crun (through crun-legacy),
#                              and the suite's self-test (mutated runc)
#                              and fails when Vessel fails a test that runc
#                              or crun passes (the acceptance gate of issue 8)
#   make check-oci OCI_STRICT=0  report such tests without failing
#   make bench-container       latency and peak RSS against crun and runc
#
# RUNTIME=PATH runs the suite against that runtime alone; OCI_JOBS=N sets how
# many containers run at once (default 4); OCI_ARGS passes options to the
# scripts (e.g. OCI_ARGS="-k seccomp -v").

OCI_CHECKER     := $(BUILD)/oci/checker
OCI_RUSAGE      := $(BUILD)/oci/container-rusage
# crun must run through crun-legacy on hybrid-cgroup hosts; use the shared
# copy when the checkout sits next to it, else the suite's own equivalent.
CRUN_LEGACY     ?= $(firstword $(wildcard $(CURDIR)/../shared/tools/crun-legacy \
                     /work/shared/tools/crun-legacy) $(CURDIR)/tests/oci/crun-legacy)
OCI_PYTHON      ?= python3
OCI_ENV          = OCI_CHECKER=$(abspath $(OCI_CHECKER)) \
                   VESSEL_RUNC=$(abspath $(BUILD)/vessel-runc) \
                   CRUN_LEGACY=$(CRUN_LEGACY)

ALL_TARGETS   += $(OCI_CHECKER) $(OCI_RUSAGE)
CHECK_TARGETS += check-oci
BENCH_TARGETS += bench-container

$(OCI_CHECKER): tests/oci/checker.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

$(OCI_RUSAGE): bench/container-rusage.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

.PHONY: check-oci check-oci-conformance check-oci-functional check-oci-selftest bench-container
check-oci: check-oci-conformance check-oci-functional check-oci-selftest

check-oci-conformance: $(OCI_CHECKER) $(BUILD)/vessel-runc
	@$(OCI_PYTHON) tests/oci/conformance.py --spec-map | cmp -s - tests/oci/SPEC-MAP.md || \
	  { echo "tests/oci/SPEC-MAP.md is stale: run python3 tests/oci/conformance.py --spec-map > tests/oci/SPEC-MAP.md"; exit 1; }
	$(OCI_ENV) $(OCI_PYTHON) tests/oci/conformance.py $(OCI_ARGS)

check-oci-functional: $(OCI_CHECKER) $(BUILD)/vessel-runc
	$(OCI_ENV) $(OCI_PYTHON) tests/oci/functional.py $(OCI_ARGS)

# The suite's own test: features removed from config.json behind runc's
# back must make the tests of those features fail.
check-oci-selftest: $(OCI_CHECKER)
	$(OCI_ENV) $(OCI_PYTHON) tests/oci/selftest.py

bench-container: $(OCI_CHECKER) $(OCI_RUSAGE) $(BUILD)/vessel-runc
	$(OCI_ENV) OCI_RUSAGE=$(abspath $(OCI_RUSAGE)) bench/container.sh
