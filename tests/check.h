/* check.h - a minimal test harness: every failed expectation is counted and
 * reported with file and line; TEST_END() returns non-zero if any failed. */
#ifndef DETT_TEST_CHECK_H
#define DETT_TEST_CHECK_H
#include <stdio.h>

static int test_failures_ = 0, test_checks_ = 0;

#define EXPECT(cond, ...)                                                      \
    do {                                                                       \
        test_checks_++;                                                        \
        if (!(cond)) {                                                         \
            test_failures_++;                                                  \
            fprintf(stderr, "%s:%d: FAILED: %s: ", __FILE__, __LINE__, #cond);   \
            fprintf(stderr, __VA_ARGS__);                                      \
            fprintf(stderr, "\n");                                             \
        }                                                                      \
    } while (0)

#define TEST_END()                                                             \
    (printf("%d checks, %d failed\n", test_checks_, test_failures_),           \
     test_failures_ ? 1 : 0)

#endif
