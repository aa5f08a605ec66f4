# Block layer (src/block, `vessel img`): test helpers, integration tests,
# fuzz smoke test and benchmark.  See docs/block.md.

BLOCK_IO    := $(BUILD)/tests/block-io
BLOCK_CRASH := $(BUILD)/tests/block-crash
BLOCK_BENCH := $(BUILD)/bench/block-bench
BLOCK_FUZZ  := $(BUILD)/fuzz/block-fuzz

ALL_TARGETS   += $(BLOCK_IO) $(BLOCK_CRASH) $(BLOCK_BENCH)
CHECK_TARGETS += check-block
BENCH_TARGETS += bench-block

$(BLOCK_IO): tests/block/block_io.c $(BUILD)/libvessel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvessel.a $(LDLIBS)

$(BLOCK_CRASH): tests/block/block_crash.c $(BUILD)/libvessel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvessel.a $(LDLIBS)

$(BLOCK_BENCH): bench/block_bench.c $(BUILD)/libvessel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/libvessel.a $(LDLIBS)

# libFuzzer target over the image parsers, built with clang and the block
# sources themselves (instrumented); `make check` runs it on the seed
# corpus and for a few seconds more.
BLOCK_FUZZ_SRCS := $(filter-out src/block/imgops.c,$(wildcard src/block/*.c))
$(BLOCK_FUZZ): tests/fuzz/block_fuzz.c $(BLOCK_FUZZ_SRCS) $(wildcard src/block/*.h)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc -pthread \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ tests/fuzz/block_fuzz.c $(BLOCK_FUZZ_SRCS) -lzstd -lz

.PHONY: check-block bench-block
check-block: $(BUILD)/vessel $(BLOCK_IO) $(BLOCK_CRASH) $(BLOCK_FUZZ)
	@BUILD=$(BUILD) ./tests/block/run.sh

bench-block: $(BUILD)/vessel $(BLOCK_BENCH)
	@BUILD=$(BUILD) ./bench/block.sh
