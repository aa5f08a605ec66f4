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

.PHONY: check-container
check-container: $(BUILD)/vessel-runc
	tests/container/run.sh $(BUILD)/vessel-runc
