/*
 * Dropout: the mask against the Philox stream drawn plainly in the test,
 * exact scaling, the counter advance, statistics of the keep rate,
 * determinism (same seed, thread count), backward = mask * scale * g, the
 * identity and p = 1 cases, and argument errors.
 */
#include "opcheck.h"

typedef struct {
    const char *name;
    int nd;
    int64_t shape[3];
    double p;
    int noncontig;
} drop_case;

static const drop_case drop_cases[] = {
    {"p 0.5", 2, {4, 6}, 0.5, 0},
    {"p 0.1 odd numel", 1, {7}, 0.1, 0},
    {"p 0.9", 3, {2, 3, 5}, 0.9, 0},
    {"strided", 2, {5, 3}, 0.3, 1},
    {"size-1 dims", 3, {1, 9, 1}, 0.25, 0},
    {"empty", 2, {0, 3}, 0.5, 0},
    {"0-d", 0, {0}, 0.5, 0},
};

/* The expected keep flags: u from lit_rng_fill_uniform (element i is word
 * i%4 of block counter + i/4), kept when u >= p. */
static uint8_t *expected_keep(lit_rng rng, int64_t n, double p) {
    float *u = malloc((size_t)(n ? n : 1) * sizeof *u);
    uint8_t *keep = malloc((size_t)(n ? n : 1));
    lit_rng_fill_uniform(&rng, u, (size_t)n, 0.0f, 1.0f);
    for (int64_t i = 0; i < n; i++) keep[i] = u[i] >= (float)p;
    free(u);
    return keep;
}

typedef struct {
    double p;
    lit_rng start; /* every call draws the same mask */
} drop_ctx;

static lit_tensor *call_dropout(lit_tensor *const *in, void *ctx) {
    drop_ctx *c = ctx;
    lit_rng rng = c->start;
    return lit_dropout(in[0], c->p, 1, &rng);
}

TEST(dropout_table) {
    for (size_t c = 0; c < sizeof drop_cases / sizeof *drop_cases; c++) {
        const drop_case *tc = &drop_cases[c];
        lit_tensor *x = opcheck_randn(tc->nd, tc->shape, 40 + c);
        if (tc->noncontig) x = opcheck_noncontig(x);
        x->requires_grad = 1;
        lit_rng rng = lit_rng_new(1234 + c);
        rng.counter = 17; /* mid-stream */
        lit_rng start = rng;
        lit_tensor *y = lit_dropout(x, tc->p, 1, &rng);
        int64_t n = x->numel;
        CHECK_EQ_INT(rng.counter, 17 + (n + 3) / 4);
        uint8_t *keep = expected_keep(start, n, tc->p);
        const float scale = (float)(1.0 / (1.0 - tc->p));
        int bad = 0;
        for (int64_t i = 0; i < n; i++) {
            float want = keep[i] ? (float)lit_get_flat(x, i) * scale : 0.0f;
            bad += (float)lit_get_flat(y, i) != want; /* exact: same float product */
        }
        CHECK_MSG(bad == 0, "%s: %d elements differ from mask * x * scale", tc->name, bad);

        /* Backward: exactly g * mask * scale. */
        lit_tensor *g = opcheck_randn(y->ndim, y->shape, 77);
        x->grad = NULL;
        lit_backward_with_grad(y, g);
        bad = 0;
        for (int64_t i = 0; i < n; i++) bad += lit_get_flat(x->grad, i) != (keep[i] ? lit_f32(g)[i] * scale : 0.0f);
        CHECK_MSG(bad == 0, "%s: %d gradient elements differ from g * mask * scale", tc->name, bad);
        free(keep);

        drop_ctx ctx = {tc->p, start};
        if (n) opcheck_grad(tc->name, call_dropout, 1, &x, &ctx, OPCHECK_TOL);
    }
}

TEST(dropout_keep_rate_statistics) {
    const int64_t n = 200000;
    const double ps[] = {0.1, 0.5, 0.9};
    lit_tensor *x = lit_ones(LIT_F32, LIT_SHAPE(n));
    for (int c = 0; c < 3; c++) {
        lit_rng rng = lit_rng_new(99 + c);
        lit_tensor *y = lit_dropout(x, ps[c], 1, &rng);
        int64_t kept = 0;
        const float *v = lit_f32(y);
        const float scale = (float)(1.0 / (1.0 - ps[c]));
        int bad = 0;
        for (int64_t i = 0; i < n; i++) {
            kept += v[i] != 0.0f;
            bad += v[i] != 0.0f && v[i] != scale;
        }
        CHECK_EQ_INT(bad, 0);
        double rate = (double)kept / n, sd = sqrt(ps[c] * (1 - ps[c]) / n);
        CHECK_MSG(fabs(rate - (1 - ps[c])) < 5 * sd, "p %.1f: keep rate %.5f, want %.5f +- %.5f", ps[c], rate,
                  1 - ps[c], 5 * sd);
        /* The output mean (what inverted dropout preserves) is ~1. */
        CHECK_NEAR(rate * scale, 1.0, 5 * sd * scale);
    }
}

TEST(dropout_determinism) {
    const int64_t n = 100003; /* above the parallel threshold, not a multiple of 4 */
    lit_tensor *x = opcheck_randn(1, (int64_t[]){n}, 5);
    lit_rng a = lit_rng_new(7), b = lit_rng_new(7);
    lit_tensor *ya = lit_dropout(x, 0.3, 1, &a), *yb = lit_dropout(x, 0.3, 1, &b);
    CHECK(memcmp(ya->data, yb->data, (size_t)n * sizeof(float)) == 0);
    CHECK_EQ_INT(a.counter, b.counter);
    /* The next call continues the stream: a different mask. */
    lit_tensor *yc = lit_dropout(x, 0.3, 1, &a);
    CHECK(memcmp(ya->data, yc->data, (size_t)n * sizeof(float)) != 0);
    /* Thread count does not change a single bit, forward or backward. */
    int prev = lit_get_num_threads();
    x->requires_grad = 1;
    lit_tensor *g = opcheck_randn(1, (int64_t[]){n}, 6);
    lit_tensor *y1 = NULL, *gx1 = NULL;
    const int threads[] = {1, 2, 4};
    for (int t = 0; t < 3; t++) {
        lit_set_num_threads(threads[t]);
        lit_rng r = lit_rng_new(8);
        x->grad = NULL;
        lit_tensor *y = lit_dropout(x, 0.3, 1, &r);
        lit_backward_with_grad(y, g);
        CHECK_EQ_INT(r.counter, (n + 3) / 4);
        if (t == 0) {
            y1 = y;
            gx1 = x->grad;
            /* and the large mask is still the plain Philox stream, element by element */
            uint8_t *keep = expected_keep(lit_rng_new(8), n, 0.3);
            const float scale = (float)(1.0 / 0.7);
            int64_t bad = 0;
            for (int64_t i = 0; i < n; i++) bad += lit_f32(y)[i] != (keep[i] ? lit_f32(x)[i] * scale : 0.0f);
            CHECK_MSG(bad == 0, "%lld of %lld elements differ from the Philox mask", (long long)bad, (long long)n);
            free(keep);
            continue;
        }
        CHECK_MSG(memcmp(y1->data, y->data, (size_t)n * sizeof(float)) == 0, "%d threads: forward differs from 1",
                  threads[t]);
        CHECK_MSG(memcmp(gx1->data, x->grad->data, (size_t)n * sizeof(float)) == 0,
                  "%d threads: gradient differs from 1", threads[t]);
    }
    lit_set_num_threads(prev);
    x->requires_grad = 0;
    x->grad = NULL;
    /* NULL rng draws from the global generator, reproducibly after a seed. */
    lit_manual_seed(3);
    lit_tensor *g1 = lit_dropout(x, 0.5, 1, NULL);
    lit_manual_seed(3);
    lit_tensor *g2 = lit_dropout(x, 0.5, 1, NULL);
    CHECK(memcmp(g1->data, g2->data, (size_t)n * sizeof(float)) == 0);
}

TEST(dropout_identity_and_p_one) {
    lit_tensor *x = opcheck_randn(2, (int64_t[]){3, 4}, 6);
    x->requires_grad = 1;
    lit_rng rng = lit_rng_new(1);
    /* Identity returns x itself and leaves the stream where it was. */
    CHECK(lit_dropout(x, 0.0, 1, &rng) == x);
    CHECK(lit_dropout(x, 0.7, 0, &rng) == x);
    CHECK_EQ_INT(rng.counter, 0);
    /* p = 1: zeros, zero gradient, stream advanced like any p. */
    lit_tensor *y = lit_dropout(x, 1.0, 1, &rng);
    CHECK_EQ_INT(rng.counter, 3);
    double zeros[12] = {0};
    opcheck_forward("p = 1 forward", y, zeros, 12, 0, 0);
    lit_backward_with_grad(y, lit_ones(LIT_F32, 2, y->shape));
    opcheck_forward("p = 1 grad", x->grad, zeros, 12, 0, 0);
}

TEST(dropout_errors) {
    lit_tensor *x = lit_zeros(LIT_F32, LIT_SHAPE(3));
    EXPECT_ASSERT(lit_dropout(x, 1.5, 1, NULL), "lit_dropout: p is 1.5; pass a drop probability in [0, 1]");
    EXPECT_ASSERT(lit_dropout(x, -0.1, 1, NULL), "[0, 1]");
    EXPECT_ASSERT(lit_dropout(lit_zeros(LIT_I64, LIT_SHAPE(3)), 0.5, 1, NULL), "lit_to_dtype");
}

int main(void) {
    RUN(dropout_table);
    RUN(dropout_keep_rate_statistics);
    RUN(dropout_determinism);
    RUN(dropout_identity_and_p_one);
    RUN(dropout_errors);
    return harness_summary();
}
