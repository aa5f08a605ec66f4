# mk/cpu.mk — the CPU area's extra build steps.
#
# tests/cpu/*.S are bare-metal RISC-V test programs (M mode, linked at
# 0x80000000) assembled with the Debian cross compiler into raw binaries
# $(BUILD)/tests/cpu/NAME.bin, which the unit tests tests/unit/cpu_*.c load.

RV_CC      ?= riscv64-linux-gnu-gcc
RV_OBJCOPY ?= riscv64-linux-gnu-objcopy
RV_CFLAGS  := -nostdlib -nostartfiles -static -march=rv64gc -mabi=lp64d \
              -fno-pic -mno-relax -Wl,-Ttests/cpu/link.ld -Wl,--no-warn-rwx-segments -Wl,--build-id=none \
              -Wl,-e,_start -Itests/cpu

CPU_TEST_PROGS := $(patsubst tests/cpu/%.S,$(BUILD)/tests/cpu/%.bin,$(wildcard tests/cpu/*.S))

$(BUILD)/tests/cpu/%.elf: tests/cpu/%.S tests/cpu/test.h tests/cpu/link.ld
	@mkdir -p $(dir $@)
	$(RV_CC) $(RV_CFLAGS) -o $@ $<

$(BUILD)/tests/cpu/%.bin: $(BUILD)/tests/cpu/%.elf
	$(RV_OBJCOPY) -O binary $< $@

# every CPU unit test may load the programs
$(filter $(BUILD)/tests/cpu_%,$(UNIT_TESTS)): $(CPU_TEST_PROGS) tests/unit/cpu_harness.h
.SECONDARY: $(CPU_TEST_PROGS:.bin=.elf)
