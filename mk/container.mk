# mk/container.mk — the container area: integration tests of the OCI
# runtime (tests/container/run.sh, root + busybox; skipped otherwise).
# Unit tests are tests/unit/container_*.c and run with the others.

CHECK_TARGETS += check-container

.PHONY: check-container
check-container: $(BUILD)/vessel-runc
	tests/container/run.sh $(BUILD)/vessel-runc
