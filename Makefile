# Vessel — one `make` builds everything, `make check` runs every test,
# `make bench` prints figures against the peers (QEMU, qemu-img, crun, runc).
#
# Layout: every src/<area>/*.c except src/cli/ is compiled into
# $(BUILD)/libvessel.a; src/cli/*.c link with it into $(BUILD)/vessel.
# Unit tests are tests/unit/<name>.c, one program each, linked with the
# library.  Each area may add its own targets in mk/<area>.mk, appending to
# ALL_TARGETS, CHECK_TARGETS, UNIT_TESTS and BENCH_TARGETS.

BUILD    ?= build
CC       ?= gcc
SANITIZE ?= 0
OPT      ?= -O2

CFLAGS   := -std=gnu11 $(OPT) -g -Wall -Wextra -Werror -D_GNU_SOURCE \
            -Isrc -I/usr/include/json-c -pthread $(EXTRA_CFLAGS)
LDLIBS   := -lfdt -lslirp -lzstd -lz -lseccomp -lcap -ljson-c -lpthread -lm -lrt
ifeq ($(SANITIZE),1)
CFLAGS   += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS  += -fsanitize=address,undefined
endif

LIB_SRCS := $(sort $(shell find src -name '*.c' ! -path 'src/cli/*'))
CLI_SRCS := $(sort $(wildcard src/cli/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
UNIT_TESTS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

ALL_TARGETS   := $(BUILD)/vessel $(BUILD)/vessel-runc
CHECK_TARGETS :=
BENCH_TARGETS :=

.PHONY: all check check-unit check-asan bench clean install guest
all: # defined below, after the fragments have added their targets

include $(sort $(wildcard mk/*.mk))

all: $(ALL_TARGETS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libvessel.a: $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/vessel: $(CLI_OBJS) $(BUILD)/libvessel.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJS) $(BUILD)/libvessel.a $(LDLIBS)

# vessel-runc is the same program; it looks at argv[0] and behaves like runc.
# (mk/container.mk may build it as a leaner program of its own instead.)
ifndef VESSEL_RUNC_OWN_RULE
$(BUILD)/vessel-runc: $(BUILD)/vessel
	ln -sf vessel $@
endif

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libvessel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -Itests -o $@ $< $(BUILD)/libvessel.a $(LDLIBS)

# Unit tests: fast, self-checking programs, run under ASan+UBSan.
check-unit: $(UNIT_TESTS)
	@./tests/run-unit.sh $(UNIT_TESTS)

check-asan:
	$(MAKE) BUILD=build-asan SANITIZE=1 OPT=-O1 check-unit

check: all check-asan $(CHECK_TARGETS)
	@echo "make check: all tests passed"

bench: all $(BENCH_TARGETS)

PREFIX ?= /usr/local
install: all
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(BUILD)/vessel $(DESTDIR)$(PREFIX)/bin/vessel
	rm -f $(DESTDIR)$(PREFIX)/bin/vessel-runc
	cp -P $(BUILD)/vessel-runc $(DESTDIR)$(PREFIX)/bin/vessel-runc

clean:
	rm -rf build build-asan

-include $(LIB_OBJS:.o=.d) $(CLI_OBJS:.o=.d)
