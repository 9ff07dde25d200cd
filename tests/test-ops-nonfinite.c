/*
 * NaN and +-Inf through every op, forward and backward, against PyTorch
 * (tests/fixtures/nonfinite.txt, from gen_nonfinite.py with torch 1.13).
 *
 * Each fixture case lists its inputs, the output and, for two upstream
 * gradients (finite; NaN/Inf against finite inputs), the gradient of every
 * float input. An element matches when it is NaN where torch's is NaN, the
 * same infinity where torch's is infinite, and close otherwise: a kernel
 * that drops NaN (relu, clamp via fminf/fmaxf, a max that skips NaN) fails
 * here. Semantics that do not need torch (dropout with p < 1, argmax's first
 * NaN, gradient clipping) are asserted directly below.
 */
#include <math.h>

#include "fixture.h"
#include "harness.h"

static fixture *fx;

/* ---------------------------------------------------------------- cases */

#define MAX_IN 4
typedef lit_tensor *(*case_fn)(lit_tensor *const *in);

typedef struct {
    const char *name;
    const char *inputs[MAX_IN]; /* fixture names under <name>/; NULL-terminated */
    case_fn fn;
} nf_case;

#define UNARY(fname, call) \
    static lit_tensor *fname(lit_tensor *const *in) { lit_tensor *x = in[0]; return (call); }
UNARY(u_neg, lit_neg(x)) UNARY(u_exp, lit_exp(x)) UNARY(u_log, lit_log(x)) UNARY(u_sqrt, lit_sqrt(x))
UNARY(u_rsqrt, lit_rsqrt(x)) UNARY(u_square, lit_square(x)) UNARY(u_abs, lit_abs(x)) UNARY(u_tanh, lit_tanh(x))
UNARY(u_sigmoid, lit_sigmoid(x)) UNARY(u_relu, lit_relu(x)) UNARY(u_silu, lit_silu(x))
UNARY(u_gelu, lit_gelu(x, LIT_GELU_EXACT)) UNARY(u_gelu_tanh, lit_gelu(x, LIT_GELU_TANH))
UNARY(u_add_scalar, lit_add_scalar(x, 2.5)) UNARY(u_mul_scalar, lit_mul_scalar(x, -1.5))
UNARY(u_div_scalar, lit_div_scalar(x, 3.0)) UNARY(u_rsub_scalar, lit_rsub_scalar(x, 1.0))
UNARY(u_pow25, lit_pow(x, 2.5)) UNARY(u_pow3, lit_pow(x, 3.0)) UNARY(u_pow0, lit_pow(x, 0.0))
UNARY(u_powm1, lit_pow(x, -1.0)) UNARY(u_clamp, lit_clamp(x, -0.5, 1.0))
UNARY(u_clamp_lo, lit_clamp(x, 0.0, INFINITY)) UNARY(u_clamp_hi, lit_clamp(x, -INFINITY, 0.5))
UNARY(r_sum0, lit_sum(x, 1, (int[]){0}, 0)) UNARY(r_sum1, lit_sum(x, 1, (int[]){1}, 0))
UNARY(r_mean0, lit_mean(x, 1, (int[]){0}, 0)) UNARY(r_mean1, lit_mean(x, 1, (int[]){1}, 0))
UNARY(r_var0, lit_var(x, 1, (int[]){0}, 1, 0)) UNARY(r_var1, lit_var(x, 1, (int[]){1}, 1, 0))
UNARY(r_max0, lit_max(x, 0, 0)) UNARY(r_max1, lit_max(x, 1, 0))
UNARY(r_min0, lit_min(x, 0, 0)) UNARY(r_min1, lit_min(x, 1, 0))
UNARY(r_argmax0, lit_argmax(x, 0, 0)) UNARY(r_argmax1, lit_argmax(x, 1, 0))
UNARY(r_sum_all, lit_sum_all(x)) UNARY(r_mean_all, lit_mean_all(x))
UNARY(n_softmax0, lit_softmax(x, 0)) UNARY(n_softmax1, lit_softmax(x, 1))
UNARY(n_log_softmax0, lit_log_softmax(x, 0)) UNARY(n_log_softmax1, lit_log_softmax(x, 1))
UNARY(d_p1, lit_dropout(x, 1.0, 1, NULL))
UNARY(u_sin, lit_sin(x)) UNARY(u_cos, lit_cos(x))
UNARY(k_largest3, lit_topk(x, 3, 1, NULL)) UNARY(k_smallest3, lit_topk(x, 3, 0, NULL))
static lit_tensor *topk_indices(lit_tensor *x, int largest) {
    lit_tensor *idx;
    lit_topk(x, 3, largest, &idx);
    return idx;
}
UNARY(k_largest3_idx, topk_indices(x, 1)) UNARY(k_smallest3_idx, topk_indices(x, 0))

#define BINARY(fname, call) \
    static lit_tensor *fname(lit_tensor *const *in) { lit_tensor *a = in[0], *b = in[1]; return (call); }
BINARY(b_add, lit_add(a, b)) BINARY(b_sub, lit_sub(a, b)) BINARY(b_mul, lit_mul(a, b)) BINARY(b_div, lit_div(a, b))
BINARY(m_matmul, lit_matmul(a, b))
BINARY(l_mse_none, lit_mse_loss(a, b, LIT_REDUCTION_NONE)) BINARY(l_mse_sum, lit_mse_loss(a, b, LIT_REDUCTION_SUM))
BINARY(s_masked_fill, lit_masked_fill(a, b, -INFINITY)) BINARY(s_masked_fill_nan, lit_masked_fill(a, b, NAN))

static lit_tensor *n_layer_norm(lit_tensor *const *in) { return lit_layer_norm(in[0], in[1], in[2], 1e-5); }
static lit_tensor *m_linear(lit_tensor *const *in) { return lit_linear(in[0], in[1], in[2]); }
static lit_tensor *s_where(lit_tensor *const *in) { return lit_where(in[0], in[1], in[2]); }
static lit_tensor *a_causal(lit_tensor *const *in) { return lit_scaled_dot_product_attention(in[0], in[1], in[2], 1, 0); }

static lit_tensor *ce(lit_tensor *const *in, lit_reduction red, double smoothing) {
    lit_cross_entropy_params p = lit_cross_entropy_default_params();
    p.reduction = red;
    p.label_smoothing = smoothing;
    return lit_cross_entropy(in[0], lit_to_dtype(in[1], LIT_I64), &p);
}
static lit_tensor *l_ce_none(lit_tensor *const *in) { return ce(in, LIT_REDUCTION_NONE, 0); }
static lit_tensor *l_ce_mean(lit_tensor *const *in) { return ce(in, LIT_REDUCTION_MEAN, 0); }
static lit_tensor *l_ce_smooth(lit_tensor *const *in) { return ce(in, LIT_REDUCTION_NONE, 0.1); }
static lit_tensor *l_ce_ignore_smooth(lit_tensor *const *in) { return ce(in, LIT_REDUCTION_MEAN, 0.1); }
/* (N, T, C) logits, (N, T) targets */
static lit_tensor *l_ce_ntc_smooth(lit_tensor *const *in) { return ce(in, LIT_REDUCTION_MEAN, 0.1); }
static lit_tensor *l_ce_ntc_none(lit_tensor *const *in) { return ce(in, LIT_REDUCTION_NONE, 0); }

#define X1 {"x"}
static const nf_case cases[] = {
    {"unary/neg", X1, u_neg}, {"unary/exp", X1, u_exp}, {"unary/log", X1, u_log}, {"unary/sqrt", X1, u_sqrt},
    {"unary/rsqrt", X1, u_rsqrt}, {"unary/square", X1, u_square}, {"unary/abs", X1, u_abs},
    {"unary/tanh", X1, u_tanh}, {"unary/sigmoid", X1, u_sigmoid}, {"unary/relu", X1, u_relu},
    {"unary/silu", X1, u_silu}, {"unary/gelu", X1, u_gelu}, {"unary/gelu_tanh", X1, u_gelu_tanh},
    {"unary/add_scalar", X1, u_add_scalar}, {"unary/mul_scalar", X1, u_mul_scalar},
    {"unary/div_scalar", X1, u_div_scalar}, {"unary/rsub_scalar", X1, u_rsub_scalar},
    {"unary/pow_2.5", X1, u_pow25}, {"unary/pow_3", X1, u_pow3}, {"unary/pow_0", X1, u_pow0},
    {"unary/pow_-1", X1, u_powm1}, {"unary/clamp", X1, u_clamp}, {"unary/clamp_lo", X1, u_clamp_lo},
    {"unary/clamp_hi", X1, u_clamp_hi}, {"unary/sin", X1, u_sin}, {"unary/cos", X1, u_cos},
    {"binary/add", {"a", "b"}, b_add}, {"binary/sub", {"a", "b"}, b_sub}, {"binary/mul", {"a", "b"}, b_mul},
    {"binary/div", {"a", "b"}, b_div}, {"binary/mul_bcast", {"a", "b"}, b_mul},
    {"reduce/sum0", X1, r_sum0}, {"reduce/sum1", X1, r_sum1}, {"reduce/mean0", X1, r_mean0},
    {"reduce/mean1", X1, r_mean1}, {"reduce/var0", X1, r_var0}, {"reduce/var1", X1, r_var1},
    {"reduce/max0", X1, r_max0}, {"reduce/max1", X1, r_max1}, {"reduce/min0", X1, r_min0},
    {"reduce/min1", X1, r_min1}, {"reduce/argmax0", X1, r_argmax0}, {"reduce/argmax1", X1, r_argmax1},
    {"reduce/sum_all", X1, r_sum_all}, {"reduce/mean_all", X1, r_mean_all},
    {"norm/softmax0", X1, n_softmax0}, {"norm/softmax1", X1, n_softmax1},
    {"norm/log_softmax0", X1, n_log_softmax0}, {"norm/log_softmax1", X1, n_log_softmax1},
    {"norm/layer_norm", {"x", "w", "b"}, n_layer_norm}, {"norm/layer_norm_nan_params", {"x", "w", "b"}, n_layer_norm},
    {"loss/cross_entropy_none", {"x", "t"}, l_ce_none}, {"loss/cross_entropy_mean", {"x", "t"}, l_ce_mean},
    {"loss/cross_entropy_smooth", {"x", "t"}, l_ce_smooth}, {"loss/cross_entropy_ignore", {"x", "t"}, l_ce_mean},
    {"loss/cross_entropy_ignore_smooth", {"x", "t"}, l_ce_ignore_smooth},
    {"loss/cross_entropy_ntc_smooth", {"x", "t"}, l_ce_ntc_smooth},
    {"loss/cross_entropy_ntc_none", {"x", "t"}, l_ce_ntc_none},
    {"topk/largest3", X1, k_largest3}, {"topk/smallest3", X1, k_smallest3},
    {"topk/largest3_indices", X1, k_largest3_idx}, {"topk/smallest3_indices", X1, k_smallest3_idx},
    {"loss/mse_none", {"a", "b"}, l_mse_none}, {"loss/mse_sum", {"a", "b"}, l_mse_sum},
    {"select/where", {"c", "a", "b"}, s_where}, {"select/masked_fill", {"a", "c"}, s_masked_fill},
    {"select/masked_fill_nan", {"a", "c"}, s_masked_fill_nan},
    {"matmul/nan_inf", {"a", "b"}, m_matmul}, {"matmul/linear", {"a", "w", "bias"}, m_linear},
    {"dropout/p1", X1, d_p1},
    {"attention/causal", {"q", "k", "v"}, a_causal},
};

/* ---------------------------------------------------------------- comparison */

/* torch's value class, and closeness for finite values (f32 kernels that
 * accumulate in double vs torch's f32: a few ulps apart). */
static int matches(double got, double want) {
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return isfinite(got) && fabs(got - want) <= 1e-5 + 1e-4 * fabs(want);
}

static const fixture_array *need(const char *c, const char *what) {
    char key[160];
    snprintf(key, sizeof key, "%s/%s", c, what);
    const fixture_array *a = fixture_find(fx, key);
    CHECK_MSG(a != NULL, "fixture has no %s (regenerate with gen_nonfinite.py)", key);
    return a;
}

static lit_tensor *tensor_of(const fixture_array *a) {
    lit_tensor *t = lit_empty(LIT_F32, a->ndim, a->shape);
    for (int64_t i = 0; i < a->numel; i++) lit_f32(t)[i] = (float)a->data[i];
    return t;
}

/* Every element of `got` (NULL reads as zeros: no gradient flowed) against `want`. */
static void compare(const char *c, const char *what, const lit_tensor *got, const fixture_array *want) {
    if (!want) return;
    if (got) CHECK_MSG(got->numel == want->numel, "%s %s: %lld elements, torch has %lld", c, what,
                       (long long)got->numel, (long long)want->numel);
    if (got && got->numel != want->numel) return;
    for (int64_t i = 0; i < want->numel; i++) {
        double v = got ? lit_get_flat(got, i) : 0.0;
        CHECK_MSG(matches(v, want->data[i]), "%s %s[%lld]: litc %.9g, torch %.9g", c, what, (long long)i, v,
                  want->data[i]);
    }
}

static void run_case(const nf_case *k) {
    lit_tensor *in[MAX_IN] = {0};
    int n = 0;
    char key[160];
    for (; n < MAX_IN && k->inputs[n]; n++) {
        const fixture_array *a = need(k->name, k->inputs[n]);
        if (!a) return;
        in[n] = tensor_of(a);
        snprintf(key, sizeof key, "%s/g1/%s", k->name, k->inputs[n]);
        in[n]->requires_grad = fixture_find(fx, key) != NULL;
    }
    lit_tensor *y = k->fn(in);
    compare(k->name, "out", y, need(k->name, "out"));
    if (!y->requires_grad) return;
    for (int u = 1; u <= 2; u++) {
        snprintf(key, sizeof key, "g%d", u);
        const fixture_array *g = need(k->name, key);
        if (!g) return;
        lit_zero_grad(in, n, 1);
        lit_backward_with_grad(y, lit_reshape(tensor_of(g), y->ndim, y->shape));
        for (int i = 0; i < n; i++) {
            if (!in[i]->requires_grad) continue;
            snprintf(key, sizeof key, "g%d/%s", u, k->inputs[i]);
            compare(k->name, key, in[i]->grad, need(k->name, key));
        }
    }
}

TEST(every_op_propagates_nan_and_inf_as_pytorch) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        run_case(&cases[i]);
        lit_arena_reset(lit_arena_current());
    }
}

/* The fixture covers every case it lists and nothing is left unread. */
TEST(fixture_cases_are_all_run) {
    for (int i = 0; i < fx->count; i++) {
        const char *name = fx->arrays[i].name;
        const char *slash = strrchr(name, '/');
        if (!slash || strcmp(slash, "/out")) continue;
        size_t len = (size_t)(slash - name);
        int found = 0;
        for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
            found |= strlen(cases[k].name) == len && !strncmp(cases[k].name, name, len);
        CHECK_MSG(found, "fixture case %.*s has no entry in cases[]", (int)len, name);
    }
}

/* ---------------------------------------------------------------- direct semantics */

TEST(relu_keeps_nan_and_passes_its_gradient) {
    /* The finding: relu(NaN) was 0, hiding NaN weights. torch's
     * threshold_backward tests result <= 0, false for NaN: the gradient passes. */
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(3), (float[]){NAN, -1.0f, 2.0f});
    x->requires_grad = 1;
    lit_tensor *y = lit_relu(x);
    CHECK(isnan(lit_f32(y)[0]));
    lit_backward(lit_sum_all(y));
    CHECK_NEAR(lit_f32(x->grad)[0], 1.0, 0);
    CHECK_NEAR(lit_f32(x->grad)[1], 0.0, 0);
}

TEST(clamp_keeps_nan) {
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(2), (float[]){NAN, 5.0f});
    lit_tensor *y = lit_clamp(x, -1.0, 1.0);
    CHECK(isnan(lit_f32(y)[0]));
    CHECK_NEAR(lit_f32(y)[1], 1.0, 0);
}

TEST(argmax_and_max_pick_the_first_nan) {
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(2, 4),
                                    (float[]){1.0f, NAN, 5.0f, NAN, INFINITY, 2.0f, NAN, 1.0f});
    lit_tensor *a = lit_argmax(x, 1, 0), *m = lit_max(x, 1, 0), *n = lit_min(x, 1, 0);
    CHECK_EQ_INT(((int64_t *)a->data)[0], 1);
    CHECK_EQ_INT(((int64_t *)a->data)[1], 2);
    CHECK(isnan(lit_f32(m)[0]) && isnan(lit_f32(m)[1]));
    CHECK(isnan(lit_f32(n)[0]) && isnan(lit_f32(n)[1]));
}

TEST(dropout_keeps_nan_where_it_drops) {
    /* torch's CPU dropout is input * mask / (1 - p): a dropped NaN or Inf is
     * NaN, and so is the gradient where the upstream one is NaN. */
    int64_t n = 4096;
    lit_tensor *x = lit_full(LIT_F32, 1, &n, NAN);
    lit_f32(x)[1] = INFINITY;
    x->requires_grad = 1;
    lit_rng rng = lit_rng_new(7);
    lit_tensor *y = lit_dropout(x, 0.5, 1, &rng);
    int kept = 0;
    for (int64_t i = 0; i < n; i++) CHECK_MSG(isnan(lit_f32(y)[i]) || i == 1, "y[%lld] = %g", (long long)i, lit_f32(y)[i]);
    lit_backward_with_grad(y, lit_full(LIT_F32, 1, &n, NAN));
    for (int64_t i = 0; i < n; i++) kept += isnan(lit_f32(x->grad)[i]);
    CHECK_EQ_INT(kept, n);
}

TEST(clip_grad_norm_propagates_a_nan_norm) {
    /* torch.nn.utils.clip_grad_norm_ (error_if_nonfinite=False): a NaN norm
     * makes the clip coefficient NaN, so every gradient becomes NaN rather
     * than being scaled to a finite value; an infinite norm zeroes the finite
     * gradients and turns the infinite one into NaN. */
    lit_tensor *a = lit_zeros(LIT_F32, LIT_SHAPE(2)), *b = lit_zeros(LIT_F32, LIT_SHAPE(2));
    a->requires_grad = b->requires_grad = 1;
    a->grad = lit_from_buffer(LIT_F32, LIT_SHAPE(2), (float[]){NAN, 1.0f});
    b->grad = lit_from_buffer(LIT_F32, LIT_SHAPE(2), (float[]){3.0f, 4.0f});
    lit_tensor *ps[2] = {a, b};
    CHECK(isnan(lit_clip_grad_norm(ps, 2, 1.0, 2.0)));
    for (int i = 0; i < 2; i++) CHECK(isnan(lit_f32(a->grad)[i]) && isnan(lit_f32(b->grad)[i]));
    a->grad = lit_from_buffer(LIT_F32, LIT_SHAPE(2), (float[]){INFINITY, 1.0f});
    b->grad = lit_from_buffer(LIT_F32, LIT_SHAPE(2), (float[]){3.0f, 4.0f});
    CHECK(isinf(lit_clip_grad_norm(ps, 2, 1.0, 2.0)));
    CHECK(isnan(lit_f32(a->grad)[0]));
    CHECK_NEAR(lit_f32(a->grad)[1], 0.0, 0);
    CHECK_NEAR(lit_f32(b->grad)[1], 0.0, 0);
    a->grad = b->grad = NULL;
}

TEST(embedding_padding_row_keeps_inf_and_gets_no_nan_gradient) {
    /* padding_idx was x*1 + x*0, which turned an Inf weight into NaN and let a
     * NaN upstream gradient into the padding row; torch selects instead. */
    lit_param_store *ps = lit_param_store_new("m");
    lit_nn_embedding e;
    lit_nn_embedding_init(&e, ps, "emb", 3, 2, 1, NULL);
    lit_f32(e.weight)[0] = INFINITY;
    e.weight->requires_grad = 1;
    lit_tensor *idx = lit_from_buffer(LIT_I64, LIT_SHAPE(2), (int64_t[]){0, 1});
    lit_tensor *y = lit_nn_embedding_forward(&e, idx);
    CHECK(isinf(lit_f32(y)[0]) && lit_f32(y)[0] > 0);
    lit_backward_with_grad(y, lit_full(LIT_F32, LIT_SHAPE(2, 2), NAN));
    CHECK(isnan(lit_f32(e.weight->grad)[0]));        /* row 0 got the NaN gradient */
    CHECK_NEAR(lit_f32(e.weight->grad)[2], 0.0, 0); /* the padding row 1 got nothing */
    CHECK_NEAR(lit_f32(e.weight->grad)[3], 0.0, 0);
    lit_param_store_free(ps);
}

int main(void) {
    fx = fixture_load("tests/fixtures/nonfinite.txt");
    if (!fx) return 1;
    RUN(every_op_propagates_nan_and_inf_as_pytorch);
    RUN(fixture_cases_are_all_run);
    RUN(relu_keeps_nan_and_passes_its_gradient);
    RUN(clamp_keeps_nan);
    RUN(argmax_and_max_pick_the_first_nan);
    RUN(dropout_keeps_nan_where_it_drops);
    RUN(clip_grad_norm_propagates_a_nan_norm);
    RUN(embedding_padding_row_keeps_inf_and_gets_no_nan_gradient);
    fixture_free(fx);
    return harness_summary();
}
