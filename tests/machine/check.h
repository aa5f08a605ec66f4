/* check.h — tiny assertion helpers for the machine/device unit tests. */
#ifndef VESSEL_TESTS_MACHINE_CHECK_H
#define VESSEL_TESTS_MACHINE_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

static int check_failures;

#define CHECK(cond) do { \
    if (!(cond)) { \
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        check_failures++; \
    } } while (0)

#define CHECK_EQ(got, want) do { \
    uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want); \
    if (g_ != w_) { \
        fprintf(stderr, "%s:%d: %s = 0x%" PRIx64 ", want 0x%" PRIx64 "\n", \
                __FILE__, __LINE__, #got, g_, w_); \
        check_failures++; \
    } } while (0)

#define CHECK_DONE() do { \
    if (check_failures) { fprintf(stderr, "%d check(s) failed\n", check_failures); return 1; } \
    return 0; } while (0)

#endif
