# mk/virtio.mk — the virtio area's extra targets: integration tests that
# boot guests with virtio devices (tests/virtio/) and the virtio-blk
# benchmark against QEMU (bench/virtio-blk.sh).
