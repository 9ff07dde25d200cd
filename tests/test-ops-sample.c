/*
 * lit_multinomial and lit_categorical: exactness (the same seed and counter
 * give the same samples, each draw is the documented lit_rng_uniform value
 * of its own Philox block, the counter advances by the number of draws),
 * the sampled frequencies against the distribution with a fixed seed and a
 * generous bound (6 standard deviations: a correct sampler fails about once
 * in 10^8 seeds, a wrong one by far), draws without replacement, and bad
 * distributions returned as statuses naming the row.
 */
#include "harness.h"

#define DRAWS 200000

/* |freq - p| within 6 binomial standard deviations (+ a floor for p = 0). */
static void check_frequencies(const char *what, const int64_t *counts, const double *p, int64_t C, int64_t n) {
    for (int64_t c = 0; c < C; c++) {
        double freq = (double)counts[c] / (double)n, sd = sqrt(p[c] * (1 - p[c]) / (double)n);
        CHECK_MSG(fabs(freq - p[c]) <= 6 * sd + 1e-12, "%s: category %lld drawn with frequency %.5f, expected %.5f",
                  what, (long long)c, freq, p[c]);
    }
}

TEST(multinomial_frequencies_with_replacement) {
    /* unnormalised weights: the distribution is w / sum(w) */
    float w[] = {1, 2, 0, 3, 4};
    double p[] = {0.1, 0.2, 0.0, 0.3, 0.4};
    lit_rng rng = lit_rng_new(1234);
    lit_tensor *out = NULL;
    CHECK_EQ_INT(lit_multinomial(lit_from_buffer(LIT_F32, LIT_SHAPE(5), w), DRAWS, 1, &rng, &out), LIT_OK);
    CHECK(out && out->dtype == LIT_I64 && out->ndim == 1 && out->shape[0] == DRAWS);
    int64_t counts[5] = {0};
    for (int64_t i = 0; i < DRAWS; i++) counts[lit_i64(out)[i]]++;
    check_frequencies("multinomial", counts, p, 5, DRAWS);
    CHECK_EQ_INT(counts[2], 0); /* a zero-weight category is never drawn */
    CHECK_EQ_INT(rng.counter, DRAWS);
}

TEST(categorical_frequencies_from_logits) {
    /* softmax([log 1, log 2, -inf, log 3, log 4] + 7) = the weights above */
    float l[5] = {(float)log(1.0) + 7, (float)log(2.0) + 7, -INFINITY, (float)log(3.0) + 7, (float)log(4.0) + 7};
    double p[] = {0.1, 0.2, 0.0, 0.3, 0.4};
    lit_tensor *rows = lit_empty(LIT_F32, LIT_SHAPE(DRAWS, 5));
    for (int64_t i = 0; i < DRAWS; i++) memcpy(lit_f32(rows) + i * 5, l, sizeof l);
    lit_rng rng = lit_rng_new(99);
    lit_tensor *out = NULL;
    CHECK_EQ_INT(lit_categorical(rows, &rng, &out), LIT_OK);
    CHECK(out && out->ndim == 1 && out->shape[0] == DRAWS);
    int64_t counts[5] = {0};
    for (int64_t i = 0; i < DRAWS; i++) counts[lit_i64(out)[i]]++;
    check_frequencies("categorical", counts, p, 5, DRAWS);
    CHECK_EQ_INT(counts[2], 0);
}

TEST(multinomial_without_replacement) {
    /* p = (0.5, 0.3, 0.2): P(second = c) = sum over a != c of p_a p_c / (1 - p_a) */
    double p[] = {0.5, 0.3, 0.2}, second[3] = {0};
    for (int c = 0; c < 3; c++)
        for (int a = 0; a < 3; a++)
            if (a != c) second[c] += p[a] * p[c] / (1 - p[a]);
    const int64_t R = DRAWS / 2;
    lit_tensor *w = lit_empty(LIT_F32, LIT_SHAPE(R, 3));
    for (int64_t i = 0; i < R; i++)
        for (int c = 0; c < 3; c++) lit_f32(w)[i * 3 + c] = (float)p[c];
    lit_rng rng = lit_rng_new(7);
    lit_tensor *out = NULL;
    CHECK_EQ_INT(lit_multinomial(w, 3, 0, &rng, &out), LIT_OK);
    CHECK(out && out->ndim == 2 && out->shape[0] == R && out->shape[1] == 3);
    int64_t first[3] = {0}, sec[3] = {0}, perms = 0;
    for (int64_t i = 0; i < R; i++) {
        const int64_t *s = lit_i64(out) + i * 3;
        perms += s[0] != s[1] && s[1] != s[2] && s[0] != s[2];
        first[s[0]]++;
        sec[s[1]]++;
    }
    CHECK_EQ_INT(perms, R); /* every row is a permutation */
    check_frequencies("first draw", first, p, 3, R);
    check_frequencies("second draw", sec, second, 3, R);
    CHECK_EQ_INT(rng.counter, 3 * R);
    /* the weights are not modified */
    CHECK(lit_f32(w)[0] == 0.5f && lit_f32(w)[3 * R - 1] == 0.2f);
}

TEST(same_seed_same_samples) {
    lit_tensor *w = lit_from_buffer(LIT_F32, LIT_SHAPE(2, 4), (float[]){0.1f, 0.4f, 0.2f, 0.3f, 5, 0, 1, 1});
    lit_rng a = lit_rng_new(42), b = lit_rng_new(42), manual = lit_rng_new(42);
    a.counter = b.counter = manual.counter = 1000;
    lit_tensor *x = NULL, *y = NULL;
    CHECK_EQ_INT(lit_multinomial(w, 6, 1, &a, &x), LIT_OK);
    CHECK_EQ_INT(lit_multinomial(w, 6, 1, &b, &y), LIT_OK);
    CHECK(memcmp(x->data, y->data, 12 * sizeof(int64_t)) == 0);
    CHECK(a.counter == 1012 && b.counter == 1012);
    /* draw i is lit_rng_uniform's value for block counter + i: the first c
     * with u * total < the cumulative weight */
    for (int64_t r = 0; r < 2; r++)
        for (int s = 0; s < 6; s++) {
            const float *wr = lit_f32(w) + r * 4;
            double total = 0, cum = 0, u = lit_rng_uniform(&manual);
            for (int c = 0; c < 4; c++) total += wr[c];
            int64_t want = 3;
            for (int c = 0; c < 4; c++) {
                cum += wr[c];
                if (wr[c] > 0 && u * total < cum) { want = c; break; }
            }
            CHECK_EQ_INT(lit_i64(x)[r * 6 + s], want);
        }
    CHECK_EQ_INT(manual.counter, a.counter);
    /* the next call continues the stream: different samples */
    CHECK_EQ_INT(lit_multinomial(w, 6, 1, &a, &y), LIT_OK);
    CHECK(memcmp(x->data, y->data, 12 * sizeof(int64_t)) != 0);
    /* categorical: the same seed gives the same draws, another seed others */
    lit_tensor *logits = lit_randn(LIT_SHAPE(64, 10), &(lit_rng){5, 0});
    lit_rng c1 = lit_rng_new(3), c2 = lit_rng_new(3), c3 = lit_rng_new(4);
    lit_tensor *s1, *s2, *s3;
    CHECK_EQ_INT(lit_categorical(logits, &c1, &s1), LIT_OK);
    CHECK_EQ_INT(lit_categorical(logits, &c2, &s2), LIT_OK);
    CHECK_EQ_INT(lit_categorical(logits, &c3, &s3), LIT_OK);
    CHECK(s1->ndim == 1 && s1->shape[0] == 64 && c1.counter == 64);
    CHECK(memcmp(s1->data, s2->data, 64 * sizeof(int64_t)) == 0);
    CHECK(memcmp(s1->data, s3->data, 64 * sizeof(int64_t)) != 0);
}

/* A bad distribution: the status, a message naming the row, *out NULL, the RNG untouched. */
static void expect_bad(lit_status st, lit_tensor *out, const lit_rng *rng, const char *needle) {
    CHECK_EQ_INT(st, LIT_ERR_INVALID_ARG);
    CHECK(out == NULL);
    CHECK_EQ_INT(rng->counter, 0);
    CHECK_STR_CONTAINS(lit_last_error(), needle);
}

TEST(bad_distributions_are_statuses) {
    lit_rng rng = lit_rng_new(1);
    lit_tensor *out = NULL;
    lit_status st;
    lit_tensor *nan_row = lit_from_buffer(LIT_F32, LIT_SHAPE(2, 3), (float[]){1, 1, 1, 0.5f, NAN, 0.5f});
    out = (lit_tensor *)&rng; /* a stale pointer: the call must clear it */
    st = lit_multinomial(nan_row, 1, 1, &rng, &out);
    expect_bad(st, out, &rng, "row 1, category 1 has probability nan");
    lit_tensor *neg = lit_from_buffer(LIT_F32, LIT_SHAPE(3), (float[]){1, -0.5f, 1});
    out = (lit_tensor *)&rng; /* a stale pointer: the call must clear it */
    st = lit_multinomial(neg, 1, 1, &rng, &out);
    expect_bad(st, out, &rng, "category 1 has probability -0.5");
    lit_tensor *inf = lit_from_buffer(LIT_F32, LIT_SHAPE(3), (float[]){1, INFINITY, 1});
    out = (lit_tensor *)&rng; /* a stale pointer: the call must clear it */
    st = lit_multinomial(inf, 1, 1, &rng, &out);
    expect_bad(st, out, &rng, "has probability inf");
    lit_tensor *zero = lit_zeros(LIT_F32, LIT_SHAPE(2, 3));
    out = (lit_tensor *)&rng; /* a stale pointer: the call must clear it */
    st = lit_multinomial(zero, 1, 1, &rng, &out);
    expect_bad(st, out, &rng, "row 0 sums to 0");
    lit_tensor *two = lit_from_buffer(LIT_F32, LIT_SHAPE(4), (float[]){1, 0, 2, 0});
    out = (lit_tensor *)&rng; /* a stale pointer: the call must clear it */
    st = lit_multinomial(two, 3, 0, &rng, &out);
    expect_bad(st, out, &rng, "2 non-zero categories, too few for 3 draws");
    out = (lit_tensor *)&rng; /* a stale pointer: the call must clear it */
    st = lit_categorical(nan_row, &rng, &out);
    expect_bad(st, out, &rng, "row 1 of the logits has maximum nan");
    lit_tensor *all_ninf = lit_from_buffer(LIT_F32, LIT_SHAPE(2), (float[]){-INFINITY, -INFINITY});
    out = (lit_tensor *)&rng; /* a stale pointer: the call must clear it */
    st = lit_categorical(all_ninf, &rng, &out);
    expect_bad(st, out, &rng, "maximum -inf");
    lit_tensor *pinf = lit_from_buffer(LIT_F32, LIT_SHAPE(2), (float[]){0, INFINITY});
    out = (lit_tensor *)&rng; /* a stale pointer: the call must clear it */
    st = lit_categorical(pinf, &rng, &out);
    expect_bad(st, out, &rng, "maximum inf");
    /* exactly as many non-zero categories as draws is fine */
    CHECK_EQ_INT(lit_multinomial(two, 2, 0, &rng, &out), LIT_OK);
    CHECK(out && ((lit_i64(out)[0] == 0 && lit_i64(out)[1] == 2) || (lit_i64(out)[0] == 2 && lit_i64(out)[1] == 0)));
    /* programmer errors */
    EXPECT_ASSERT(lit_multinomial(two, 0, 1, &rng, &out), "num_samples is 0");
    EXPECT_ASSERT(lit_multinomial(lit_scalar(1), 1, 1, &rng, &out), "0-d");
    EXPECT_ASSERT(lit_multinomial(lit_zeros(LIT_I64, LIT_SHAPE(3)), 1, 1, &rng, &out), "f32");
}

int main(void) {
    RUN(multinomial_frequencies_with_replacement);
    RUN(categorical_frequencies_from_logits);
    RUN(multinomial_without_replacement);
    RUN(same_seed_same_samples);
    RUN(bad_distributions_are_statuses);
    return harness_summary();
}
