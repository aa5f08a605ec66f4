# Networking (src/net/, src/dev/virtio_net.c): integration tests that boot
# the default guest (slirp DHCP/HTTP/hostfwd, two VMs on a switch moving
# 100 MiB, tap as root) and the throughput benchmark against QEMU.

.PHONY: check-net bench-net
check-net: $(BUILD)/vessel
	python3 tests/net/test_net.py --vessel $(BUILD)/vessel

bench-net: $(BUILD)/vessel
	python3 bench/net_bench.py --vessel $(BUILD)/vessel

CHECK_TARGETS += check-net
BENCH_TARGETS += bench-net
