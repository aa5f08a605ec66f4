# fpu: the RISC-V F/D arithmetic (src/cpu/fpu*.c).
# The MPFR differential test is the only program that links MPFR.
$(BUILD)/tests/cpu_fpu_mpfr: LDLIBS += -lmpfr -lgmp
