# mk/virtio.mk — the virtio area's extra targets: integration tests that
# boot guests with virtio devices (tests/virtio/) and the virtio-blk
# benchmark against QEMU (bench/virtio-blk.sh).

.PHONY: check-virtio bench-virtio
# Boots: the default guest with its root on a qcow2 overlay, 9p shares,
# rng and console ports; the shared test guest's blk/rng/9p words.
check-virtio: $(BUILD)/vessel $(if $(filter 1,$(NO_GUEST)),,guest)
	python3 tests/virtio/test_virtio.py --vessel $(BUILD)/vessel --guest $(BUILD)/guest
CHECK_TARGETS += check-virtio

# Guest dd on virtio-blk (O_DIRECT, 1 MiB blocks), Vessel vs QEMU.
bench-virtio: $(BUILD)/vessel $(if $(filter 1,$(NO_GUEST)),,guest)
	python3 bench/virtio_blk.py $(BUILD)/vessel $(BUILD)/guest
BENCH_TARGETS += bench-virtio
