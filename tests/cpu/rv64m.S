/* RV64M: products, division by zero and overflow for every width. */
#include "test.h"
TEST_START
    TEST_RR(1, mul, 0x0000000100000000 * 3, 0x100000000, 3)
    TEST_RR(2, mul, 1, -1, -1)
    TEST_RR(3, mulh, 1, 0x4000000000000000, 4)
    TEST_RR(4, mulh, -1, -1, 1)
    TEST_RR(5, mulh, 0x3fffffffffffffff, 0x7fffffffffffffff, 0x7fffffffffffffff)
    TEST_RR(6, mulh, 0x4000000000000000, 0x8000000000000000, 0x8000000000000000)
    TEST_RR(7, mulhu, 0xfffffffffffffffe, -1, -1)
    TEST_RR(8, mulhsu, -1, -1, -1)            /* -1 * (2^64-1) */
    TEST_RR(9, mulhsu, 0, 1, -1)
    TEST_RR(10, mulw, 0xffffffff80000000, 0x40000000, 2)
    TEST_RR(11, mulw, 1, 0x1ffffffff, 0x1ffffffff)
    /* division */
    TEST_RR(12, div, -3, 7, -2)
    TEST_RR(13, rem, 1, 7, -2)
    TEST_RR(14, rem, -1, -7, 2)
    TEST_RR(15, divu, 0x7fffffffffffffff, -1, 2)
    TEST_RR(16, remu, 1, -1, 2)
    /* by zero: quotient all ones, remainder the dividend */
    TEST_RR(17, div, -1, 42, 0)
    TEST_RR(18, divu, -1, 42, 0)
    TEST_RR(19, rem, 42, 42, 0)
    TEST_RR(20, remu, 42, 42, 0)
    TEST_RR(21, divw, -1, 42, 0)
    TEST_RR(22, divuw, -1, 42, 0)
    TEST_RR(23, remw, 42, 42, 0)
    TEST_RR(24, remuw, 42, 42, 0)
    TEST_RR(25, remw, 0xffffffff80000000, 0x80000000, 0)     /* sign-extended */
    TEST_RR(26, remuw, 0xffffffff80000000, 0x80000000, 0)
    /* overflow: most negative / -1 */
    TEST_RR(27, div, 0x8000000000000000, 0x8000000000000000, -1)
    TEST_RR(28, rem, 0, 0x8000000000000000, -1)
    TEST_RR(29, divw, 0xffffffff80000000, 0x80000000, -1)
    TEST_RR(30, remw, 0, 0x80000000, -1)
    /* W forms use only the low 32 bits of the operands */
    TEST_RR(31, divw, -2, 0x123456780000000c, 0xfffffffa)
    TEST_RR(32, divuw, 0x7fffffff, 0xfffffffe, 2)
    TEST_RR(33, divuw, 0xffffffff80000000, 0xffffffff00000000 + 0x80000000, 1)
    TEST_RR(34, remuw, -1, 0xffffffff, 0)      /* dividend, sign-extended */
    TEST_RR(35, divw, 0, 0x1, 0x100000002)
    TEST_PASS
