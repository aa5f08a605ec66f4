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

# make bench: the interpreter against QEMU on a bare-metal workload
CPU_BENCH_CFLAGS := -O2 -march=rv64gc -mabi=lp64d -mcmodel=medany -ffreestanding \
                    -fno-pic -nostdlib -nostartfiles -static -Wl,-T,bench/cpu/link.ld \
                    -Wl,--build-id=none -Wl,--no-warn-rwx-segments

$(BUILD)/bench/cpu/workload.elf: bench/cpu/workload.c bench/cpu/start.S bench/cpu/link.ld
	@mkdir -p $(dir $@)
	$(RV_CC) $(CPU_BENCH_CFLAGS) -o $@ bench/cpu/start.S bench/cpu/workload.c

$(BUILD)/bench/cpu/workload.bin: $(BUILD)/bench/cpu/workload.elf
	$(RV_OBJCOPY) -O binary $< $@

$(BUILD)/bench/cpu/cpu_bench: bench/cpu/cpu_bench.c tests/unit/cpu_harness.h $(BUILD)/libvessel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libvessel.a $(LDLIBS)

.PHONY: bench-cpu
bench-cpu: $(BUILD)/bench/cpu/cpu_bench $(BUILD)/bench/cpu/workload.bin
	$(BUILD)/bench/cpu/cpu_bench $(BUILD)/bench/cpu/workload.bin $(BUILD)/bench/cpu/workload.elf

BENCH_TARGETS += bench-cpu
