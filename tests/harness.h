/*
 * tests/harness.h — the tiny test framework every tests/test-*.c uses.
 *
 * Each test-*.c file is one executable registered in CTest. It defines test
 * functions with TEST(name) and lists them in main via RUN(name):
 *
 *     TEST(adds_numbers) { CHECK_EQ_INT(1 + 1, 2); CHECK_NEAR(0.1 + 0.2, 0.3, 1e-12); }
 *     int main(void) { RUN(adds_numbers); return harness_summary(); }
 *
 * A failing CHECK prints file:line and the values and marks the test failed
 * (the test keeps running). EXPECT_ASSERT(stmt, "substring") checks that a
 * programmer error is caught by LIT_ASSERT and that its message contains the
 * substring (the abort hook longjmps back). quiet_trainer_params() gives the
 * Trainer params the Trainer tests start from (no bar, summary, checkpoints or loggers).
 *
 * SKIP("why") marks the current test skipped when a reference tool it
 * compares against (python3 with torch, chromium, ...) is missing: it prints
 * "skip <name>" instead of "ok", and harness_summary() then returns 77, which
 * CMakeLists.txt registers as every test's SKIP_RETURN_CODE, so CTest lists
 * the executable as skipped instead of passed (a failure still returns 1).
 */
#ifndef LITC_TESTS_HARNESS_H
#define LITC_TESTS_HARNESS_H

#include <math.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/litc.h"

static int harness_failures_;
static int harness_checks_;
static int harness_tests_;
static int harness_failed_tests_;
static int harness_skipped_tests_;
static int harness_current_skipped_;
static const char *harness_current_;

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                            \
    do {                                                                     \
        int before_ = harness_failures_;                                     \
        harness_current_ = #name;                                            \
        harness_tests_++;                                                    \
        harness_current_skipped_ = 0;                                        \
        lit_arena_reset(lit_arena_current());                                \
        test_##name();                                                       \
        lit_arena_reset(lit_arena_current());                                \
        if (harness_failures_ != before_) {                                  \
            harness_failed_tests_++;                                         \
            printf("FAIL %s\n", #name);                                      \
        } else if (harness_current_skipped_) {                               \
            harness_skipped_tests_++;                                        \
            printf("skip %s\n", #name);                                      \
        } else {                                                             \
            printf("ok   %s\n", #name);                                      \
        }                                                                    \
        fflush(stdout);                                                      \
    } while (0)

#define HARNESS_FAIL_(...)                                                   \
    do {                                                                     \
        harness_failures_++;                                                 \
        printf("  %s:%d: [%s] ", __FILE__, __LINE__, harness_current_);     \
        printf(__VA_ARGS__);                                                 \
        printf("\n");                                                        \
    } while (0)

#define CHECK(cond)                                                          \
    do {                                                                     \
        harness_checks_++;                                                   \
        if (!(cond)) HARNESS_FAIL_("CHECK(%s) failed", #cond);               \
    } while (0)

#define CHECK_MSG(cond, ...)                                                 \
    do {                                                                     \
        harness_checks_++;                                                   \
        if (!(cond)) HARNESS_FAIL_(__VA_ARGS__);                             \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                   \
    do {                                                                     \
        long long a_ = (long long)(a), b_ = (long long)(b);                  \
        harness_checks_++;                                                   \
        if (a_ != b_) HARNESS_FAIL_("%s == %s: %lld != %lld", #a, #b, a_, b_); \
    } while (0)

#define CHECK_STR_EQ(a, b)                                                   \
    do {                                                                     \
        const char *a_ = (a), *b_ = (b);                                     \
        harness_checks_++;                                                   \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                               \
            HARNESS_FAIL_("%s == %s: \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)

#define CHECK_STR_CONTAINS(hay, needle)                                      \
    do {                                                                     \
        const char *h_ = (hay), *n_ = (needle);                              \
        harness_checks_++;                                                   \
        if (!h_ || !strstr(h_, n_))                                          \
            HARNESS_FAIL_("\"%s\" does not contain \"%s\"", h_ ? h_ : "(null)", n_); \
    } while (0)

/* |a - b| <= tol (absolute). NaN never passes. */
#define CHECK_NEAR(a, b, tol)                                                \
    do {                                                                     \
        double a_ = (double)(a), b_ = (double)(b), t_ = (double)(tol);       \
        harness_checks_++;                                                   \
        if (!(fabs(a_ - b_) <= t_))                                          \
            HARNESS_FAIL_("%s ~= %s: %.9g vs %.9g (|diff| %.3g > %.3g)", #a, #b, a_, b_, fabs(a_ - b_), t_); \
    } while (0)

/* |a - b| <= atol + rtol * |b| (as numpy.allclose), on every element. */
static inline int harness_allclose_(const float *a, const float *b, long n, double rtol, double atol,
                                    long *bad) {
    for (long i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= atol + rtol * fabs((double)b[i]))) { *bad = i; return 0; }
    }
    return 1;
}
#define CHECK_ALLCLOSE(a, b, n, rtol, atol)                                  \
    do {                                                                     \
        long bad_ = -1;                                                      \
        harness_checks_++;                                                   \
        if (!harness_allclose_((a), (b), (long)(n), (rtol), (atol), &bad_))  \
            HARNESS_FAIL_("%s vs %s differ at [%ld]: %.9g vs %.9g", #a, #b, bad_, \
                          (double)(a)[bad_], (double)(b)[bad_]);             \
    } while (0)

/* Programmer errors: the abort hook jumps back here. */
static jmp_buf harness_jmp_;
static char harness_abort_msg_[2048];
__attribute__((unused)) static void harness_abort_hook_(const char *msg, void *user) {
    (void)user;
    snprintf(harness_abort_msg_, sizeof harness_abort_msg_, "%s", msg);
    longjmp(harness_jmp_, 1);
}
#define EXPECT_ASSERT(stmt, substring)                                       \
    do {                                                                     \
        harness_checks_++;                                                   \
        harness_abort_msg_[0] = 0;                                           \
        lit_set_abort_hook(harness_abort_hook_, NULL);                       \
        if (setjmp(harness_jmp_) == 0) {                                     \
            stmt;                                                            \
            lit_set_abort_hook(NULL, NULL);                                  \
            HARNESS_FAIL_("expected an assertion from `%s`", #stmt);         \
        } else {                                                             \
            lit_set_abort_hook(NULL, NULL);                                  \
            if (!strstr(harness_abort_msg_, (substring)))                    \
                HARNESS_FAIL_("assertion message \"%s\" lacks \"%s\"", harness_abort_msg_, (substring)); \
        }                                                                    \
    } while (0)

/* Lightning's defaults without the progress bar, the model summary,
 * checkpointing and loggers: what a Trainer test starts from. */
static inline lit_trainer_params quiet_trainer_params(void) {
    lit_trainer_params p = lit_trainer_default_params();
    p.enable_progress_bar = 0;
    p.enable_model_summary = 0;
    p.enable_checkpointing = 0;
    p.logger = 0;
    return p;
}

/* The exit status CTest reads as "skipped" (SKIP_RETURN_CODE in CMakeLists.txt). */
#define HARNESS_SKIP_CODE 77

/* Mark the current test skipped (its reference tool is missing), saying why;
 * the test function should return after it. */
#define SKIP(...)                                                            \
    do {                                                                     \
        harness_current_skipped_ = 1;                                        \
        printf("  skip: ");                                                  \
        printf(__VA_ARGS__);                                                 \
        printf("\n");                                                        \
    } while (0)

static inline int harness_summary(void) {
    printf("%d tests, %d checks, %d failures in %d tests, %d skipped\n", harness_tests_, harness_checks_,
           harness_failures_, harness_failed_tests_, harness_skipped_tests_);
    if (harness_failures_) return 1;
    return harness_skipped_tests_ ? HARNESS_SKIP_CODE : 0;
}

#endif
