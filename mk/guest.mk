# The default guest (kernel + busybox initramfs) from Debian packages.
# Built once into ~/.cache/vessel (keyed by its recipe) and linked into
# $(BUILD)/guest/; `vessel run` without --kernel boots it.
# `make NO_GUEST=1` skips it (e.g. while hacking on something else).
.PHONY: guest
ifneq ($(NO_GUEST),1)
ALL_TARGETS += guest
endif
guest:
	@./scripts/build-guest.sh $(abspath $(BUILD))/guest
