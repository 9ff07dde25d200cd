/* core: status table, last error, logging, assertions, arenas and their
 * out-of-memory paths, Philox RNG, clock. */
#include <stdint.h>

#include "harness.h"

TEST(status_strings) {
    CHECK_STR_EQ(lit_status_str(LIT_OK), "success");
    CHECK_STR_EQ(lit_status_str(LIT_ERR_NOMEM), "out of memory");
    CHECK_STR_EQ(lit_status_name(LIT_ERR_CORRUPT), "LIT_ERR_CORRUPT");
    CHECK_STR_EQ(lit_status_str((lit_status)-999), "unknown status");
    CHECK(LIT_ERR_IO < 0);
}

static lit_status failing_io(void) { return lit_set_error(LIT_ERR_IO, "open %s: %s", "a.ckpt", "No such file"); }
static lit_status propagates(void) {
    LIT_TRY(failing_io());
    return LIT_OK;
}

TEST(last_error_and_try) {
    lit_clear_error();
    CHECK_STR_EQ(lit_last_error(), "");
    CHECK_EQ_INT(propagates(), LIT_ERR_IO);
    CHECK_STR_EQ(lit_last_error(), "open a.ckpt: No such file");
    /* wrapping the callee's message: an argument is the buffer being written */
    CHECK_EQ_INT(lit_set_error(LIT_ERR_CONFIG, "loader 0 is NULL (%s)", lit_last_error()), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "loader 0 is NULL (open a.ckpt: No such file)");
}

static char logged[256];
static int logged_level = -1;
static void capture_log(lit_log_level level, const char *msg, void *user) {
    (void)user;
    logged_level = (int)level;
    snprintf(logged, sizeof logged, "%s", msg);
}

TEST(log_callback_and_level) {
    lit_log_set_callback(capture_log, NULL);
    lit_log_set_level(LIT_LOG_WARN);
    lit_logf(LIT_LOG_INFO, "hidden %d", 1);
    CHECK_EQ_INT(logged_level, -1);
    lit_logf(LIT_LOG_ERROR, "shown %d", 2);
    CHECK_EQ_INT(logged_level, LIT_LOG_ERROR);
    CHECK_STR_EQ(logged, "shown 2");
    lit_log_set_callback(NULL, NULL);
    lit_log_set_level(LIT_LOG_INFO);
}

TEST(assert_message_has_hint_and_location) {
    int n = 0;
    EXPECT_ASSERT(LIT_ASSERT(n > 0, "linear: in_features is %d; pass > 0", n), "in_features is 0; pass > 0");
    EXPECT_ASSERT(LIT_ASSERT(n > 0, "x"), "test-core.c");
    EXPECT_ASSERT(lit_panic("boom %d", 7), "boom 7");
}

TEST(arena_alignment_and_growth) {
    lit_arena *a = lit_arena_new("t", 256);
    CHECK(a != NULL);
    void *p1 = lit_arena_alloc(a, 3), *p2 = lit_arena_alloc(a, 100);
    CHECK(((uintptr_t)p1 & 63) == 0 && ((uintptr_t)p2 & 63) == 0);
    CHECK((char *)p2 - (char *)p1 == 64);
    void *big = lit_arena_alloc(a, 10000); /* forces a second chunk */
    CHECK(big != NULL);
    CHECK(lit_arena_malloc_count(a) == 2);
    CHECK(lit_arena_used(a) == 64 + 128 + 10048);
    lit_arena_free(a);
    lit_arena_free(NULL);
}

/* Issue 11 finding 6: sizes near SIZE_MAX wrapped in align_up and handed
 * out memory; a failing lit_arena_alloc blamed the batch size. */
TEST(arena_sizes_that_overflow_fail) {
    lit_arena *a = lit_arena_new("ovf", 256);
    CHECK(a != NULL);
    void *p = lit_arena_alloc(a, 10);
    CHECK(lit_arena_try_alloc(a, SIZE_MAX) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "arena 'ovf': a request of 18446744073709551615 bytes cannot be met");
    CHECK(lit_arena_try_alloc(a, SIZE_MAX - 40) == NULL);
    /* Real requests that cannot be met (the hook stands in for the machine:
     * a sanitizer's allocator aborts on them). */
    lit__alloc_fail_above(1 << 20);
    CHECK(lit_arena_try_alloc(a, SIZE_MAX / 2) == NULL); /* no wrap in used + need */
    CHECK(lit_arena_try_alloc(a, 100) == (char *)p + 64); /* the arena is unharmed */
    CHECK(lit_arena_try_alloc(a, 2 << 20) == NULL);
    CHECK_STR_EQ(lit_last_error(), "arena 'ovf': cannot allocate a chunk of 2.0 MiB");
    lit__alloc_fail_above(0);
    lit_arena_free(a);
}

static lit_status alloc_huge_tensor(void *ctx) {
    lit_arena_use(ctx); /* the guard restores the arena in use before it */
    lit__op_enter("lit_test_op");
    lit_tensor *t = lit_empty(LIT_F32, LIT_SHAPE(1 << 20, 1 << 20));
    (void)t;
    return LIT_OK; /* not reached */
}

static lit_status alloc_small_tensor(void *ctx) {
    (void)ctx;
    return lit_empty(LIT_F32, LIT_SHAPE(4, 4)) ? LIT_OK : LIT_ERR_STATE;
}

static lit_status nested_guards(void *ctx) {
    /* The inner guard catches; the outer one then sees a normal return. */
    lit_status inner = lit__oom_guard(alloc_huge_tensor, ctx);
    return inner == LIT_ERR_NOMEM ? lit__oom_guard(alloc_small_tensor, NULL) : LIT_ERR_STATE;
}

TEST(oom_guard_returns_nomem_naming_the_tensor) {
    lit__alloc_fail_above((size_t)1 << 30);
    lit_arena *step = lit_arena_new("step", 0);
    lit_arena *before = lit_arena_current();
    CHECK_EQ_INT(lit__oom_guard(alloc_huge_tensor, step), LIT_ERR_NOMEM);
    CHECK_STR_EQ(lit_last_error(), "out of memory allocating a (1048576, 1048576) f32 tensor (4.0 TiB) in arena "
                                   "'step' (op lit_test_op)");
    CHECK(lit_arena_current() == before);
    CHECK_EQ_INT(lit__oom_guard(nested_guards, step), LIT_OK);
    CHECK(lit_arena_current() == before);
    /* The arena works on after a caught failure. */
    lit_arena_use(step);
    CHECK_EQ_INT(lit__oom_guard(alloc_small_tensor, NULL), LIT_OK);
    lit_arena_use(before);
    /* Without a guard: a panic that names the size, not the batch size. */
    EXPECT_ASSERT(lit_empty(LIT_F32, LIT_SHAPE((int64_t)1 << 62, 4)),
                  "out of memory: out of memory allocating a (4611686018427387904, 4) f32 tensor (its size "
                  "overflows 64 bits) in arena 'default-step'");
    EXPECT_ASSERT(lit_arena_alloc(step, (size_t)2 << 30), "arena 'step': cannot allocate a chunk of 2.0 GiB");
    /* Empty, but its strides would overflow. */
    CHECK(lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(0, (int64_t)1 << 62, 4)) == NULL);
    CHECK_STR_EQ(lit_last_error(), "out of memory allocating a (0, 4611686018427387904, 4) f32 tensor (its size "
                                   "overflows 64 bits)");
    CHECK(strstr(harness_abort_msg_, "batch size") == NULL);
    /* lit_tensor_new (persistent tensors) returns NULL instead. */
    CHECK(lit_tensor_new(step, LIT_F32, LIT_SHAPE(1 << 20, 1 << 20)) == NULL);
    CHECK_STR_EQ(lit_last_error(), "out of memory allocating a (1048576, 1048576) f32 tensor (4.0 TiB) in arena "
                                   "'step'");
    CHECK(lit__tensor_alloc(step, LIT_F32, LIT_SHAPE(1 << 20, 1 << 20), 1) == NULL); /* loaders check for NULL */
    CHECK_STR_EQ(lit_last_error(), "out of memory allocating a (1048576, 1048576) f32 tensor (4.0 TiB) in arena "
                                   "'step'");
    CHECK(lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(1 << 20, 1 << 20)) == NULL);
    CHECK_STR_EQ(lit_last_error(), "out of memory allocating a (1048576, 1048576) f32 tensor (4.0 TiB)");
    lit__alloc_fail_above(0);
    lit_arena_free(step);
}

/* After the first steps a step of the same size performs no malloc. */
TEST(arena_high_water_presizing_no_steady_state_malloc) {
    lit_arena *a = lit_arena_new("step", 1024);
    for (int step = 0; step < 5; step++) {
        for (int i = 0; i < 20; i++) memset(lit_arena_alloc(a, 1000), i, 1000);
        size_t mallocs = lit_arena_malloc_count(a);
        lit_arena_reset(a);
        if (step >= 2) CHECK_EQ_INT(lit_arena_malloc_count(a), mallocs); /* reset allocs nothing */
        if (step == 4) CHECK(lit_arena_capacity(a) >= 20 * 1024);
    }
    size_t before = lit_arena_malloc_count(a);
    for (int i = 0; i < 20; i++) lit_arena_alloc(a, 1000);
    CHECK_EQ_INT(lit_arena_malloc_count(a), before);
    CHECK_EQ_INT(lit_arena_high_water(a), 20 * 1024);
    lit_arena_free(a);
}

TEST(arena_poison_and_generation) {
    lit_arena *a = lit_arena_new("p", 0);
    lit_arena_set_poison(a, 1);
    unsigned char *p = lit_arena_alloc(a, 16);
    memset(p, 0, 16);
    uint32_t g = lit_arena_generation(a);
    lit_arena_reset(a);
    CHECK_EQ_INT(lit_arena_generation(a), g + 1);
    CHECK_EQ_INT(p[0], 0xA5);
    CHECK_EQ_INT(p[15], 0xA5);
    CHECK(lit_arena_reserve(a, 4 << 20) == LIT_OK);
    CHECK(lit_arena_capacity(a) >= (4u << 20));
    lit_arena_alloc(a, 8);
    CHECK(lit_arena_reserve(a, 64 << 20) == LIT_ERR_STATE);
    CHECK_STR_CONTAINS(lit_last_error(), "between steps");
    lit_arena_free(a);
}

TEST(arena_current_switching) {
    lit_arena *a = lit_arena_new("mine", 0);
    lit_arena *prev = lit_arena_use(a);
    CHECK(lit_arena_current() == a);
    lit_tensor *t = lit_zeros(LIT_F32, LIT_SHAPE(2));
    CHECK(t->arena == a);
    lit_arena_use(prev);
    CHECK(lit_arena_current() == prev);
    lit_arena_free(a);
}

/* Known-answer tests from Random123's kat_vectors for philox4x32_10. */
TEST(philox_known_answers) {
    uint32_t out[4];
    lit_philox4x32_10((uint32_t[]){0, 0, 0, 0}, (uint32_t[]){0, 0}, out);
    CHECK(out[0] == 0x6627e8d5u && out[1] == 0xe169c58du && out[2] == 0xbc57ac4cu && out[3] == 0x9b00dbd8u);
    lit_philox4x32_10((uint32_t[]){0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                      (uint32_t[]){0xffffffffu, 0xffffffffu}, out);
    CHECK(out[0] == 0x408f276du && out[1] == 0x41c83b0eu && out[2] == 0xa20bc7c6u && out[3] == 0x6d5451fdu);
    lit_philox4x32_10((uint32_t[]){0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                      (uint32_t[]){0xa4093822u, 0x299f31d0u}, out);
    CHECK(out[0] == 0xd16cfe09u && out[1] == 0x94fdccebu && out[2] == 0x5001e420u && out[3] == 0x24126ea1u);
}

TEST(rng_state_save_restore) {
    lit_rng r = lit_rng_new(42);
    float a[10], b[10];
    lit_rng_fill_uniform(&r, a, 3, 0, 1);
    CHECK_EQ_INT(r.counter, 1);
    lit_rng saved = r; /* the whole state is two integers */
    lit_rng_fill_normal(&r, a, 10, 0, 1);
    lit_rng_fill_normal(&saved, b, 10, 0, 1);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK_EQ_INT(r.counter, 4);
}

TEST(rng_distributions) {
    lit_rng r = lit_rng_new(7);
    enum { N = 200000 };
    static float v[N];
    lit_rng_fill_uniform(&r, v, N, -2, 3);
    double s = 0, lo = 1e9, hi = -1e9;
    for (int i = 0; i < N; i++) { s += v[i]; if (v[i] < lo) lo = v[i]; if (v[i] > hi) hi = v[i]; }
    CHECK_NEAR(s / N, 0.5, 0.02);
    CHECK(lo >= -2 && hi < 3);
    lit_rng_fill_normal(&r, v, N, 1, 2);
    double m = 0, q = 0;
    for (int i = 0; i < N; i++) m += v[i];
    m /= N;
    for (int i = 0; i < N; i++) q += (v[i] - m) * (v[i] - m);
    CHECK_NEAR(m, 1.0, 0.02);
    CHECK_NEAR(sqrt(q / N), 2.0, 0.02);
    int counts[6] = {0};
    for (int i = 0; i < 60000; i++) counts[lit_rng_below(&r, 6)]++;
    for (int i = 0; i < 6; i++) CHECK_NEAR(counts[i], 10000, 400);
    double u = lit_rng_uniform(&r);
    CHECK(u >= 0 && u < 1);
}

TEST(global_seed_is_reproducible) {
    lit_manual_seed(3);
    lit_tensor *a = lit_randn(LIT_SHAPE(5), NULL);
    lit_manual_seed(3);
    lit_tensor *b = lit_randn(LIT_SHAPE(5), NULL);
    CHECK(memcmp(a->data, b->data, 5 * sizeof(float)) == 0);
}

TEST(monotonic_clock) {
    uint64_t t0 = lit_time_now_ns();
    double s0 = lit_time_now();
    volatile double x = 0;
    for (int i = 0; i < 100000; i++) x += i;
    CHECK(lit_time_now_ns() >= t0);
    CHECK(lit_time_now() >= s0);
}

TEST(threads_setting) {
    lit_set_num_threads(1);
    CHECK_EQ_INT(lit_get_num_threads(), 1);
    lit_set_num_threads(2);
    CHECK_EQ_INT(lit_get_num_threads(), 2);
}

int main(void) {
    RUN(status_strings);
    RUN(last_error_and_try);
    RUN(log_callback_and_level);
    RUN(assert_message_has_hint_and_location);
    RUN(arena_alignment_and_growth);
    RUN(arena_sizes_that_overflow_fail);
    RUN(oom_guard_returns_nomem_naming_the_tensor);
    RUN(arena_high_water_presizing_no_steady_state_malloc);
    RUN(arena_poison_and_generation);
    RUN(arena_current_switching);
    RUN(philox_known_answers);
    RUN(rng_state_save_restore);
    RUN(rng_distributions);
    RUN(global_seed_is_reproducible);
    RUN(monotonic_clock);
    RUN(threads_setting);
    return harness_summary();
}
