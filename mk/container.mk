# mk/container.mk — the container area: the vessel-runc program and the
# integration tests of the OCI runtime (tests/container/run.sh: root +
# busybox, skipped otherwise).  Unit tests are tests/unit/container_*.c.

# vessel-runc is the runtime alone, without the VMM and its libraries (glib
# through libslirp...): linked statically when the static libraries are
# installed, it starts in a fraction of the time and memory of the full
# program.  Its entry point is cmd_container itself (same signature as
# main).  `vessel container ...` keeps working in the full binary.
VESSEL_RUNC_OWN_RULE := 1
VESSEL_RUNC_LIBS := -lseccomp -lcap -ljson-c
# (A symlink left by an older build must be replaced: make would stat its target.)
$(BUILD)/vessel-runc: $(BUILD)/obj/src/cli/container.o $(BUILD)/libvessel.a \
                      $(if $(shell test -L $(BUILD)/vessel-runc && echo y),vessel-runc-relink)
	@rm -f $@
	$(CC) $(LDFLAGS) -static -o $@ -Wl,--defsym=main=cmd_container $(filter %.o %.a,$^) $(VESSEL_RUNC_LIBS) 2>/dev/null || \
	$(CC) $(LDFLAGS) -o $@ -Wl,--defsym=main=cmd_container $(filter %.o %.a,$^) $(VESSEL_RUNC_LIBS)
.PHONY: vessel-runc-relink

CHECK_TARGETS += check-container

# libFuzzer over config.json parsing/validation, clang-built from the
# parsing sources; `make check-container` runs it for a few seconds.
CONTAINER_FUZZ := $(BUILD)/fuzz/container-fuzz
CONTAINER_FUZZ_SRCS := $(addprefix src/container/,config_linux.c config_load.c config_mounts.c \
    config_process.c config_resources.c config_seccomp.c config_validate.c ctr_err.c ctr_log.c \
    jsonu.c mount_opts.c names.c)
$(CONTAINER_FUZZ): tests/fuzz/container_fuzz.c $(CONTAINER_FUZZ_SRCS) $(wildcard src/container/*.h)
	@mkdir -p $(dir $@)
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -Isrc -I/usr/include/json-c \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    -o $@ tests/fuzz/container_fuzz.c $(CONTAINER_FUZZ_SRCS) -lseccomp -ljson-c

.PHONY: check-container fuzz-container
check-container: $(BUILD)/vessel-runc $(CONTAINER_FUZZ)
	tests/container/run.sh $(BUILD)/vessel-runc
	@$(MAKE) --no-print-directory fuzz-container FUZZ_SECONDS=10

FUZZ_SECONDS ?= 60
fuzz-container: $(CONTAINER_FUZZ)
	@mkdir -p $(BUILD)/fuzz/container-corpus
	@$(CONTAINER_FUZZ) -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=10 \
	    -rss_limit_mb=1024 -artifact_prefix=$(BUILD)/fuzz/container- \
	    $(BUILD)/fuzz/container-corpus tests/fuzz/container-corpus \
	    > $(BUILD)/fuzz/container-fuzz.log 2>&1 || { tail -40 $(BUILD)/fuzz/container-fuzz.log; exit 1; }
	@echo "container fuzz: $$(grep -o 'Done [0-9]* runs in [0-9]* second(s)' $(BUILD)/fuzz/container-fuzz.log)"
