# Machine area: bare-metal guest programs for the integration tests, the
# integration tests themselves (tests/machine/), and the VM boot benchmark.

MACHINE_RV_CC ?= riscv64-linux-gnu-gcc
MACHINE_RV_CFLAGS := -march=rv64imac_zicsr_zifencei -mabi=lp64 -mcmodel=medany -nostdlib \
                     -ffreestanding -fno-pie -no-pie -static -O2 -Wall -Werror \
                     -Wl,--build-id=none -T tests/machine/guest/link.ld
MGUEST := tests/machine/guest
MOUT := $(BUILD)/tests/machine
MACHINE_ELFS := $(MOUT)/access_fault.elf $(MOUT)/htif_hello.elf \
                        $(MOUT)/htif_fail.elf $(MOUT)/sbi_test.elf $(MOUT)/sbi_stop.elf \
                        $(MOUT)/sbi_vmlinux.elf \
                        $(MOUT)/uart_irq.elf $(MOUT)/uart_flood.elf

$(MOUT)/access_fault.elf: $(MGUEST)/crt0.S $(MGUEST)/probe.S $(MGUEST)/access_fault.c $(MGUEST)/lib.h $(MGUEST)/link.ld
	@mkdir -p $(dir $@)
	$(MACHINE_RV_CC) $(MACHINE_RV_CFLAGS) -DMODE_M -o $@ $(filter %.S %.c,$^)

$(MOUT)/uart_irq.elf: $(MGUEST)/crt0.S $(MGUEST)/probe.S $(MGUEST)/uart_irq.c $(MGUEST)/lib.h $(MGUEST)/link.ld
	@mkdir -p $(dir $@)
	$(MACHINE_RV_CC) $(MACHINE_RV_CFLAGS) -DMODE_M -o $@ $(filter %.S %.c,$^)

$(MOUT)/uart_flood.elf: $(MGUEST)/crt0.S $(MGUEST)/probe.S $(MGUEST)/uart_flood.c $(MGUEST)/lib.h $(MGUEST)/link.ld
	@mkdir -p $(dir $@)
	$(MACHINE_RV_CC) $(MACHINE_RV_CFLAGS) -DMODE_M -o $@ $(filter %.S %.c,$^)

$(MOUT)/htif_hello.elf: $(MGUEST)/htif_hello.S $(MGUEST)/link.ld
	@mkdir -p $(dir $@)
	$(MACHINE_RV_CC) $(MACHINE_RV_CFLAGS) -o $@ $<

$(MOUT)/htif_fail.elf: $(MGUEST)/htif_hello.S $(MGUEST)/link.ld
	@mkdir -p $(dir $@)
	$(MACHINE_RV_CC) $(MACHINE_RV_CFLAGS) -DEXIT_CODE=3 -o $@ $<

$(MOUT)/sbi_test.elf: $(MGUEST)/crt0.S $(MGUEST)/sbi_test.c $(MGUEST)/lib.h $(MGUEST)/link.ld
	@mkdir -p $(dir $@)
	$(MACHINE_RV_CC) $(MACHINE_RV_CFLAGS) -Wl,--defsym=LOAD_BASE=0x80200000 -o $@ $(filter %.S %.c,$^)

$(MOUT)/sbi_stop.elf: $(MGUEST)/crt0.S $(MGUEST)/sbi_test.c $(MGUEST)/lib.h $(MGUEST)/link.ld
	@mkdir -p $(dir $@)
	$(MACHINE_RV_CC) $(MACHINE_RV_CFLAGS) -DSTOP_ALL -Wl,--defsym=LOAD_BASE=0x80200000 -o $@ $(filter %.S %.c,$^)

# Laid out like a Linux vmlinux: virtual addresses, physical ones from 0.
$(MOUT)/sbi_vmlinux.elf: $(MGUEST)/crt0.S $(MGUEST)/sbi_test.c $(MGUEST)/lib.h $(MGUEST)/link.ld
	@mkdir -p $(dir $@)
	$(MACHINE_RV_CC) $(MACHINE_RV_CFLAGS) -Wl,--defsym=LOAD_BASE=0xffffffff80000000 -o $@.tmp $(filter %.S %.c,$^)
	riscv64-linux-gnu-objcopy --change-section-lma '*-0xffffffff80000000' $@.tmp $@
	rm -f $@.tmp

.PHONY: machine-guests check-machine bench-vm
machine-guests: $(MACHINE_ELFS)

# Integration tests: bare-metal programs, CLI errors, Linux boots (1/2/4
# harts, bench=cpu checksums), OpenSBI, OpenSBI + U-Boot, default guest.
check-machine: $(BUILD)/vessel machine-guests
	python3 tests/machine/test_vm.py --vessel $(BUILD)/vessel --elfs $(MOUT)

bench-vm: $(BUILD)/vessel
	python3 bench/vm_boot.py $(BUILD)/vessel

CHECK_TARGETS += check-machine
BENCH_TARGETS += bench-vm
