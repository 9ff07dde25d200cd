/* softmax / log_softmax / layer_norm: forward against double references,
 * backward against central differences, from one table; plus stability. */
#include "opcheck.h"

typedef enum { N_SOFTMAX, N_LOG_SOFTMAX, N_LAYER_NORM } nkind;

typedef struct {
    const char *name;
    nkind kind;
    int ndim;
    int64_t shape[4];
    int dim;        /* softmax dim */
    int weight, bias;
    int strided;
    int check_grad;
} ncase;

static const ncase cases[] = {
    {"softmax last dim", N_SOFTMAX, 2, {3, 5}, -1, 0, 0, 0, 1},
    {"softmax dim 0", N_SOFTMAX, 2, {3, 5}, 0, 0, 0, 0, 1},
    {"softmax middle dim", N_SOFTMAX, 3, {2, 3, 4}, 1, 0, 0, 0, 1},
    {"softmax size-1 dim", N_SOFTMAX, 2, {3, 1}, 1, 0, 0, 0, 1},
    {"softmax 0-d", N_SOFTMAX, 0, {0}, 0, 0, 0, 0, 1},
    {"softmax empty rows", N_SOFTMAX, 2, {0, 4}, 1, 0, 0, 0, 0},
    {"softmax empty dim", N_SOFTMAX, 2, {2, 0}, 1, 0, 0, 0, 0},
    {"softmax strided", N_SOFTMAX, 2, {4, 5}, 1, 0, 0, 1, 1},
    {"log_softmax last dim", N_LOG_SOFTMAX, 2, {3, 5}, 1, 0, 0, 0, 1},
    {"log_softmax dim 0", N_LOG_SOFTMAX, 3, {3, 2, 4}, -3, 0, 0, 0, 1},
    {"log_softmax strided", N_LOG_SOFTMAX, 3, {2, 4, 3}, 2, 0, 0, 1, 1},
    {"layer_norm w+b", N_LAYER_NORM, 2, {3, 8}, 0, 1, 1, 0, 1},
    {"layer_norm 3d plain", N_LAYER_NORM, 3, {2, 3, 6}, 0, 0, 0, 0, 1},
    {"layer_norm weight only", N_LAYER_NORM, 2, {4, 5}, 0, 1, 0, 0, 1},
    {"layer_norm bias only", N_LAYER_NORM, 2, {4, 5}, 0, 0, 1, 0, 1},
    {"layer_norm C=1", N_LAYER_NORM, 2, {4, 1}, 0, 1, 1, 0, 1},
    {"layer_norm strided", N_LAYER_NORM, 2, {5, 7}, 0, 1, 1, 1, 1},
    {"layer_norm many rows", N_LAYER_NORM, 2, {70, 3}, 0, 1, 1, 0, 1},
    {"layer_norm 1d", N_LAYER_NORM, 1, {6}, 0, 1, 1, 0, 1},
    {"layer_norm empty rows", N_LAYER_NORM, 2, {0, 4}, 0, 1, 1, 0, 0},
};

#define LN_EPS 1e-5

static lit_tensor *call(lit_tensor *const *in, void *ctx) {
    const ncase *c = ctx;
    switch (c->kind) {
    case N_SOFTMAX: return lit_softmax(in[0], c->dim);
    case N_LOG_SOFTMAX: return lit_log_softmax(in[0], c->dim);
    case N_LAYER_NORM: return lit_layer_norm(in[0], c->weight ? in[1] : NULL, c->bias ? in[2] : NULL, LN_EPS);
    }
    return NULL;
}

static void reference(const ncase *c, lit_tensor *const *in, double *ref) {
    const lit_tensor *x = in[0];
    int nd = c->ndim;
    if (c->kind == N_LAYER_NORM) {
        int64_t C = c->shape[nd - 1], M = C ? x->numel / C : 0;
        for (int64_t r = 0; r < M; r++) {
            double mu = 0, var = 0;
            for (int64_t j = 0; j < C; j++) mu += lit_get_flat(x, r * C + j);
            mu /= (double)C;
            for (int64_t j = 0; j < C; j++) var += pow(lit_get_flat(x, r * C + j) - mu, 2);
            var /= (double)C;
            for (int64_t j = 0; j < C; j++) {
                double v = (lit_get_flat(x, r * C + j) - mu) / sqrt(var + LN_EPS);
                if (c->weight) v *= lit_get_flat(in[1], j);
                if (c->bias) v += lit_get_flat(in[2], j);
                ref[r * C + j] = v;
            }
        }
        return;
    }
    int d = nd ? (c->dim + nd) % nd : 0;
    int64_t outer = 1, n = nd ? c->shape[d] : 1, inner = 1;
    for (int i = 0; i < d; i++) outer *= c->shape[i];
    for (int i = d + 1; i < nd; i++) inner *= c->shape[i];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            double mx = -INFINITY, s = 0;
            for (int64_t j = 0; j < n; j++) mx = fmax(mx, lit_get_flat(x, (o * n + j) * inner + i));
            for (int64_t j = 0; j < n; j++) s += exp(lit_get_flat(x, (o * n + j) * inner + i) - mx);
            for (int64_t j = 0; j < n; j++) {
                double v = lit_get_flat(x, (o * n + j) * inner + i) - mx;
                ref[(o * n + j) * inner + i] = c->kind == N_SOFTMAX ? exp(v) / s : v - log(s);
            }
        }
}

TEST(norm_table) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ncase *c = &cases[i];
        int64_t C = c->ndim ? c->shape[c->ndim - 1] : 1;
        lit_tensor *in[3] = {opcheck_randn(c->ndim, c->shape, 30 + i), opcheck_randn(1, &C, 40 + i),
                             opcheck_randn(1, &C, 50 + i)};
        if (c->strided) in[0] = opcheck_noncontig(in[0]);
        lit_tensor *out = call(in, (void *)c);
        CHECK_MSG(lit_same_shape(out, in[0]), "%s: output %s, input %s", c->name, LIT_SHAPE_STR(out),
                  LIT_SHAPE_STR(in[0]));
        double *ref = calloc((size_t)in[0]->numel + 1, sizeof *ref);
        reference(c, in, ref);
        opcheck_forward(c->name, out, ref, in[0]->numel, 1e-5, 1e-5);
        free(ref);
        if (c->check_grad) {
            int n_in = c->kind == N_LAYER_NORM ? 3 : 1;
            in[0]->requires_grad = 1;
            in[1]->requires_grad = c->kind == N_LAYER_NORM && c->weight;
            in[2]->requires_grad = c->kind == N_LAYER_NORM && c->bias;
            opcheck_grad(c->name, call, n_in, in, (void *)c, OPCHECK_TOL);
        }
    }
}

TEST(softmax_is_stable) {
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(2, 3), (float[]){1000, 1001, 1002, -INFINITY, 0, -INFINITY});
    lit_tensor *s = lit_softmax(x, 1), *l = lit_log_softmax(x, 1);
    double e = exp(1.0), z = 1 + e + e * e;
    CHECK_NEAR(lit_f32(s)[0], 1 / z, 1e-6);
    CHECK_NEAR(lit_f32(s)[2], e * e / z, 1e-6);
    CHECK_NEAR(lit_f32(l)[2], -log(z) + 2, 1e-5);
    CHECK_NEAR(lit_f32(s)[4], 1, 0);
    CHECK(lit_f32(s)[3] == 0);
    CHECK(isinf(lit_f32(l)[3]) && lit_f32(l)[3] < 0);
    CHECK_NEAR(lit_f32(l)[4], 0, 0);
}

TEST(layer_norm_large_offset) {
    /* Two-pass statistics in double: a large common offset does not hurt. */
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(1, 4), (float[]){10000, 10001, 10002, 10003});
    lit_tensor *y = lit_layer_norm(x, NULL, NULL, 0);
    double sd = sqrt(1.25);
    CHECK_NEAR(lit_f32(y)[0], -1.5 / sd, 1e-5);
    CHECK_NEAR(lit_f32(y)[3], 1.5 / sd, 1e-5);
}

/* Weight/bias gradients summed in fixed row blocks: same bits on 1 and 2 threads. */
TEST(layer_norm_deterministic_across_threads) {
    int prev = lit_get_num_threads();
    lit_tensor *x = opcheck_randn(2, (int64_t[]){300, 128}, 3);
    lit_tensor *w = lit_ones(LIT_F32, LIT_SHAPE(128)), *b = lit_zeros(LIT_F32, LIT_SHAPE(128));
    w->requires_grad = b->requires_grad = x->requires_grad = 1;
    lit_tensor *g = opcheck_randn(2, (int64_t[]){300, 128}, 4);
    lit_tensor *saved[2][3];
    for (int t = 0; t < 2; t++) {
        lit_set_num_threads(t + 1);
        x->grad = w->grad = b->grad = NULL;
        lit_backward_with_grad(lit_layer_norm(x, w, b, 1e-5), g);
        saved[t][0] = x->grad;
        saved[t][1] = w->grad;
        saved[t][2] = b->grad;
    }
    lit_set_num_threads(prev);
    for (int i = 0; i < 3; i++)
        CHECK(memcmp(saved[0][i]->data, saved[1][i]->data, (size_t)saved[0][i]->numel * 4) == 0);
}

TEST(norm_errors) {
    lit_tensor *x = lit_zeros(LIT_F32, LIT_SHAPE(2, 3));
    EXPECT_ASSERT(lit_softmax(x, 2), "lit_softmax: dim 2 is out of range");
    EXPECT_ASSERT(lit_layer_norm(x, lit_ones(LIT_F32, LIT_SHAPE(4)), NULL, 1e-5), "weight (4,) must be (C,) = (3,)");
    EXPECT_ASSERT(lit_layer_norm(x, NULL, lit_ones(LIT_F32, LIT_SHAPE(2, 3)), 1e-5), "bias");
    EXPECT_ASSERT(lit_log_softmax(lit_zeros(LIT_I32, LIT_SHAPE(2)), 0), "lit_log_softmax");
}

int main(void) {
    RUN(norm_table);
    RUN(softmax_is_stable);
    RUN(layer_norm_large_offset);
    RUN(layer_norm_deterministic_across_threads);
    RUN(norm_errors);
    return harness_summary();
}
