# fpu: the RISC-V F/D arithmetic (src/cpu/fpu*.c).
# The MPFR differential test is the only program that links MPFR.
$(BUILD)/tests/cpu_fpu_mpfr: LDLIBS += -lmpfr -lgmp

# Cost per operation, against the host's own instruction.
$(BUILD)/bench/fpu_bench: bench/fpu_bench.c $(BUILD)/libvessel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libvessel.a $(LDLIBS)

.PHONY: bench-fpu
bench-fpu: $(BUILD)/bench/fpu_bench
	$(BUILD)/bench/fpu_bench
BENCH_TARGETS += bench-fpu

# The portable configuration (no host SSE path, as on non-x86 hosts): the
# same hand-written cases, against fpu.c built with FPU_NO_HOST.
$(BUILD)/tests/cpu_fpu_portable: tests/unit/cpu_fpu.c src/cpu/fpu.c src/cpu/fpu_soft.c src/cpu/fpu.h src/cpu/fpu_soft.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -DFPU_NO_HOST -o $@ tests/unit/cpu_fpu.c src/cpu/fpu.c src/cpu/fpu_soft.c -lpthread -lm

.PHONY: check-fpu-portable
check-fpu-portable: $(BUILD)/tests/cpu_fpu_portable
	@./tests/run-unit.sh $<
CHECK_TARGETS += check-fpu-portable
