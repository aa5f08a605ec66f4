/* check.h — assertion helpers for the net unit tests (tests/unit/net_*.c). */
#ifndef VESSEL_TESTS_NET_CHECK_H
#define VESSEL_TESTS_NET_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_failures;

#define CHECK(cond) do { \
    if (!(cond)) { \
        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
        check_failures++; \
    } } while (0)

#define CHECK_EQ(got, want) do { \
    uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want); \
    if (g_ != w_) { \
        fprintf(stderr, "%s:%d: %s = %" PRIu64 " (0x%" PRIx64 "), want %" PRIu64 "\n", \
                __FILE__, __LINE__, #got, g_, g_, w_); \
        check_failures++; \
    } } while (0)

#define CHECK_STR(got, want) do { \
    const char *g_ = (got), *w_ = (want); \
    if (!g_ || strcmp(g_, w_) != 0) { \
        fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, #got, \
                g_ ? g_ : "(null)", w_); \
        check_failures++; \
    } } while (0)

#define CHECK_DONE() do { \
    if (check_failures) { fprintf(stderr, "%d check(s) failed\n", check_failures); return 1; } \
    return 0; } while (0)

#endif
