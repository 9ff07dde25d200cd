/* cross_entropy and mse_loss: forward against double references written
 * from torch.nn.functional's definitions, backward against central
 * differences, from tables; plus hand-computed values and errors. */
#include "fixture.h"
#include "opcheck.h"

typedef struct {
    const char *name;
    int64_t n, c;
    int64_t target[6];
    int64_t ignore_index;
    double smoothing;
    lit_reduction reduction;
    int i32;        /* targets as i32 */
    int unbatched;  /* logits (C,), target 0-d */
    int strided;
    int check_grad;
} ccase;

static const ccase cases[] = {
    {"mean", 4, 5, {0, 3, 4, 1}, -100, 0, LIT_REDUCTION_MEAN, 0, 0, 0, 1},
    {"sum", 4, 5, {0, 3, 4, 1}, -100, 0, LIT_REDUCTION_SUM, 0, 0, 0, 1},
    {"none", 4, 5, {0, 3, 4, 1}, -100, 0, LIT_REDUCTION_NONE, 0, 0, 0, 1},
    {"ignore -100 mean", 4, 3, {0, -100, 2, -100}, -100, 0, LIT_REDUCTION_MEAN, 0, 0, 0, 1},
    {"ignore custom sum", 4, 3, {2, 1, 2, 0}, 2, 0, LIT_REDUCTION_SUM, 0, 0, 0, 1},
    {"smoothing mean + ignore", 5, 4, {1, -100, 3, 0, 2}, -100, 0.1, LIT_REDUCTION_MEAN, 0, 0, 0, 1},
    {"smoothing none + ignore", 4, 4, {1, -100, 3, 0}, -100, 0.2, LIT_REDUCTION_NONE, 0, 0, 0, 1},
    {"smoothing sum", 3, 6, {5, 0, 2}, -100, 0.3, LIT_REDUCTION_SUM, 0, 0, 0, 1},
    {"smoothing 1.0", 3, 4, {1, 2, 3}, -100, 1.0, LIT_REDUCTION_MEAN, 0, 0, 0, 1},
    {"all ignored mean (NaN)", 3, 4, {-100, -100, -100}, -100, 0, LIT_REDUCTION_MEAN, 0, 0, 0, 0},
    {"all ignored smoothing mean (NaN)", 2, 4, {-100, -100}, -100, 0.1, LIT_REDUCTION_MEAN, 0, 0, 0, 0},
    {"all ignored sum", 3, 4, {-100, -100, -100}, -100, 0, LIT_REDUCTION_SUM, 0, 0, 0, 1},
    {"all ignored none", 2, 4, {-100, -100}, -100, 0.1, LIT_REDUCTION_NONE, 0, 0, 0, 1},
    {"i32 targets", 3, 4, {3, 0, 1}, -100, 0, LIT_REDUCTION_MEAN, 1, 0, 0, 1},
    {"i32 targets ignore", 3, 4, {3, -100, 1}, -100, 0.1, LIT_REDUCTION_MEAN, 1, 0, 0, 1},
    {"empty batch mean (NaN)", 0, 4, {0}, -100, 0, LIT_REDUCTION_MEAN, 0, 0, 0, 0},
    {"empty batch sum", 0, 4, {0}, -100, 0, LIT_REDUCTION_SUM, 0, 0, 0, 0},
    {"unbatched", 1, 5, {2}, -100, 0.1, LIT_REDUCTION_MEAN, 0, 1, 0, 1},
    {"unbatched none", 1, 5, {4}, -100, 0, LIT_REDUCTION_NONE, 0, 1, 0, 1},
    {"strided logits", 4, 3, {0, 2, 1, 1}, -100, 0.05, LIT_REDUCTION_MEAN, 0, 0, 1, 1},
    {"single class", 3, 1, {0, 0, -100}, -100, 0.1, LIT_REDUCTION_MEAN, 0, 0, 0, 1},
};

static lit_tensor *call_ce(lit_tensor *const *in, void *ctx) {
    const ccase *c = ctx;
    lit_cross_entropy_params p = lit_cross_entropy_default_params();
    p.ignore_index = c->ignore_index;
    p.label_smoothing = c->smoothing;
    p.reduction = c->reduction;
    return lit_cross_entropy(in[0], in[1], &p);
}

/* torch: loss_i = (1-eps) * -logp[i, t_i] + eps/C * sum_c -logp[i, c] (0 if
 * ignored); mean divides by the number of non-ignored targets. */
static int64_t ref_ce(const ccase *c, const lit_tensor *x, double *ref) {
    double total = 0;
    int64_t count = 0;
    for (int64_t i = 0; i < c->n; i++) {
        double mx = -INFINITY, s = 0, nlp_sum = 0;
        for (int64_t j = 0; j < c->c; j++) mx = fmax(mx, lit_get_flat(x, i * c->c + j));
        for (int64_t j = 0; j < c->c; j++) s += exp(lit_get_flat(x, i * c->c + j) - mx);
        double lse = mx + log(s);
        for (int64_t j = 0; j < c->c; j++) nlp_sum += lse - lit_get_flat(x, i * c->c + j);
        int64_t t = c->target[i];
        double l = 0;
        if (t != c->ignore_index) {
            l = (1 - c->smoothing) * (lse - lit_get_flat(x, i * c->c + t)) + c->smoothing / (double)c->c * nlp_sum;
            count++;
        }
        ref[i] = l;
        total += l;
    }
    if (c->reduction == LIT_REDUCTION_NONE) return c->n;
    ref[0] = c->reduction == LIT_REDUCTION_SUM ? total : total / (double)count;
    return 1;
}

TEST(cross_entropy_table) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const ccase *c = &cases[i];
        int64_t xs[2] = {c->n, c->c};
        lit_tensor *x = c->unbatched ? opcheck_randn(1, &xs[1], 60 + i) : opcheck_randn(2, xs, 60 + i);
        if (c->strided) x = opcheck_noncontig(x);
        lit_tensor *t = c->unbatched ? lit_empty(c->i32 ? LIT_I32 : LIT_I64, 0, NULL)
                                     : lit_empty(c->i32 ? LIT_I32 : LIT_I64, 1, &c->n);
        for (int64_t k = 0; k < (c->unbatched ? 1 : c->n); k++) lit_set_flat(t, k, (double)c->target[k]);
        lit_tensor *in[2] = {x, t};
        lit_tensor *out = call_ce(in, (void *)c);
        double ref[8];
        int64_t n = ref_ce(c, x, ref);
        if (c->reduction == LIT_REDUCTION_NONE)
            CHECK_MSG(lit_same_shape(out, t), "%s: output %s, target %s", c->name, LIT_SHAPE_STR(out),
                      LIT_SHAPE_STR(t));
        else
            CHECK_MSG(out->ndim == 0, "%s: reduced output should be 0-d, got %s", c->name, LIT_SHAPE_STR(out));
        opcheck_forward(c->name, out, ref, n, 1e-5, 1e-5);
        if (c->check_grad) {
            x->requires_grad = 1;
            opcheck_grad(c->name, call_ce, 2, in, (void *)c, OPCHECK_TOL);
        }
    }
}

TEST(cross_entropy_known_values) {
    /* logits [1, 2, 3], target 0: log(e + e^2 + e^3) - 1 */
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(1, 3), (float[]){1, 2, 3});
    lit_tensor *t = lit_from_buffer(LIT_I64, LIT_SHAPE(1), (int64_t[]){0});
    double lse = log(exp(1) + exp(2) + exp(3));
    CHECK_NEAR(lit_item(lit_cross_entropy(x, t, NULL)), lse - 1, 1e-6);
    lit_cross_entropy_params p = lit_cross_entropy_default_params();
    CHECK_EQ_INT(p.ignore_index, -100);
    CHECK(p.label_smoothing == 0 && p.reduction == LIT_REDUCTION_MEAN);
    p.label_smoothing = 0.1;
    CHECK_NEAR(lit_item(lit_cross_entropy(x, t, &p)), 0.9 * (lse - 1) + 0.1 / 3 * (3 * lse - 6), 1e-6);
    /* the gradient of the mean is (softmax - onehot) / N */
    x->requires_grad = 1;
    lit_backward(lit_cross_entropy(x, t, NULL));
    CHECK_NEAR(lit_f32(x->grad)[0], exp(1 - lse) - 1, 1e-6);
    CHECK_NEAR(lit_f32(x->grad)[2], exp(3 - lse), 1e-6);
}

typedef struct {
    const char *name;
    int ndim;
    int64_t shape[3];
    lit_reduction reduction;
    int check_grad;
} mcase;

static const mcase mse_cases[] = {
    {"mse mean", 2, {3, 4}, LIT_REDUCTION_MEAN, 1},
    {"mse sum", 2, {3, 4}, LIT_REDUCTION_SUM, 1},
    {"mse none", 3, {2, 3, 2}, LIT_REDUCTION_NONE, 1},
    {"mse 0-d", 0, {0}, LIT_REDUCTION_MEAN, 1},
    {"mse empty mean (NaN)", 1, {0}, LIT_REDUCTION_MEAN, 0},
    {"mse empty sum", 2, {0, 3}, LIT_REDUCTION_SUM, 0},
};

static lit_tensor *call_mse(lit_tensor *const *in, void *ctx) {
    return lit_mse_loss(in[0], in[1], ((const mcase *)ctx)->reduction);
}

TEST(mse_table) {
    for (size_t i = 0; i < sizeof mse_cases / sizeof mse_cases[0]; i++) {
        const mcase *c = &mse_cases[i];
        lit_tensor *in[2] = {opcheck_randn(c->ndim, c->shape, 80 + i), opcheck_randn(c->ndim, c->shape, 90 + i)};
        lit_tensor *out = call_mse(in, (void *)c);
        double ref[16], total = 0;
        int64_t n = in[0]->numel;
        for (int64_t k = 0; k < n; k++) {
            ref[k] = pow(lit_get_flat(in[0], k) - lit_get_flat(in[1], k), 2);
            total += ref[k];
        }
        if (c->reduction != LIT_REDUCTION_NONE) {
            ref[0] = c->reduction == LIT_REDUCTION_SUM ? total : total / (double)n;
            n = 1;
        }
        opcheck_forward(c->name, out, ref, n, 1e-5, 1e-6);
        if (c->check_grad) {
            in[0]->requires_grad = in[1]->requires_grad = 1;
            opcheck_grad(c->name, call_mse, 2, in, (void *)c, OPCHECK_TOL);
        }
    }
}

TEST(loss_errors) {
    lit_tensor *x = lit_zeros(LIT_F32, LIT_SHAPE(3, 4));
    lit_tensor *bad = lit_from_buffer(LIT_I64, LIT_SHAPE(3), (int64_t[]){0, 7, 1});
    EXPECT_ASSERT(lit_cross_entropy(x, bad, NULL), "target[1] = 7 is out of range for C = 4");
    lit_tensor *neg = lit_from_buffer(LIT_I64, LIT_SHAPE(3), (int64_t[]){0, 1, -1});
    EXPECT_ASSERT(lit_cross_entropy(x, neg, NULL), "target[2] = -1");
    EXPECT_ASSERT(lit_cross_entropy(x, lit_zeros(LIT_F32, LIT_SHAPE(3)), NULL), "dtype f32");
    EXPECT_ASSERT(lit_cross_entropy(x, lit_zeros(LIT_I64, LIT_SHAPE(2)), NULL), "must have the logits' leading shape");
    /* (N, T, C) logits want (N, T) targets: a flat (N) or a (T, N) target is refused */
    lit_tensor *x3 = lit_zeros(LIT_F32, LIT_SHAPE(2, 3, 4));
    EXPECT_ASSERT(lit_cross_entropy(x3, lit_zeros(LIT_I64, LIT_SHAPE(2)), NULL), "pass (N, T) targets");
    EXPECT_ASSERT(lit_cross_entropy(x3, lit_zeros(LIT_I64, LIT_SHAPE(3, 2)), NULL), "target (3, 2)");
    EXPECT_ASSERT(lit_cross_entropy(lit_zeros(LIT_F32, 0, NULL), lit_zeros(LIT_I64, 0, NULL), NULL), "(..., C)");
    lit_tensor *bad3 = lit_from_buffer(LIT_I64, LIT_SHAPE(2, 3), (int64_t[]){0, 1, 2, 3, 4, 0});
    EXPECT_ASSERT(lit_cross_entropy(x3, bad3, NULL), "target[4] = 4 is out of range for C = 4");
    lit_cross_entropy_params p = lit_cross_entropy_default_params();
    p.label_smoothing = 1.5;
    EXPECT_ASSERT(lit_cross_entropy(x, lit_zeros(LIT_I64, LIT_SHAPE(3)), &p), "label_smoothing");
    EXPECT_ASSERT(lit_mse_loss(x, lit_zeros(LIT_F32, LIT_SHAPE(4, 3)), LIT_REDUCTION_MEAN), "same shape");
}

/* (N, T, C) logits with (N, T) targets, ignore_index and label smoothing,
 * against torch's F.cross_entropy(logits.view(-1, C), target.view(-1))
 * (tests/fixtures/ops.txt from gen_ops.py): forward, the gradient for the
 * fixture's upstream gradient, and central differences. */
typedef struct {
    const char *name;
    lit_reduction reduction;
    double smoothing;
    int64_t ignore_index;
} ntc_case;

static const ntc_case ntc_cases[] = {
    {"ce_ntc/mean_0", LIT_REDUCTION_MEAN, 0.0, -100},  {"ce_ntc/mean_0.1", LIT_REDUCTION_MEAN, 0.1, -100},
    {"ce_ntc/sum_0", LIT_REDUCTION_SUM, 0.0, -100},    {"ce_ntc/sum_0.1", LIT_REDUCTION_SUM, 0.1, -100},
    {"ce_ntc/none_0", LIT_REDUCTION_NONE, 0.0, -100},  {"ce_ntc/none_0.1", LIT_REDUCTION_NONE, 0.1, -100},
    {"ce_ntc/ignore7", LIT_REDUCTION_MEAN, 0.2, 7},
};

static lit_tensor *call_ntc(lit_tensor *const *in, void *ctx) {
    const ntc_case *c = ctx;
    lit_cross_entropy_params p = lit_cross_entropy_default_params();
    p.reduction = c->reduction;
    p.label_smoothing = c->smoothing;
    p.ignore_index = c->ignore_index;
    return lit_cross_entropy(in[0], in[1], &p);
}

static const fixture_array *need(const fixture *f, const char *name, const char *part) {
    char key[96];
    snprintf(key, sizeof key, "%s/%s", name, part);
    const fixture_array *a = fixture_find(f, key);
    CHECK_MSG(a != NULL, "fixture lacks %s", key);
    return a;
}

TEST(cross_entropy_ntc_matches_torch) {
    fixture *f = fixture_load("tests/fixtures/ops.txt");
    CHECK(f != NULL);
    for (size_t i = 0; f && i < sizeof ntc_cases / sizeof ntc_cases[0]; i++) {
        const ntc_case *c = &ntc_cases[i];
        const fixture_array *fx = need(f, c->name, "x"), *ft = need(f, c->name, "t"), *fo = need(f, c->name, "out"),
                            *fg = need(f, c->name, "g"), *fdx = need(f, c->name, "dx");
        if (!fx || !ft || !fo || !fg || !fdx) break;
        float *xs = fixture_floats(fx), *gs = fixture_floats(fg);
        lit_tensor *x = lit_from_buffer(LIT_F32, fx->ndim, fx->shape, xs);
        lit_tensor *t = lit_empty(LIT_I64, ft->ndim, ft->shape);
        for (int64_t k = 0; k < t->numel; k++) lit_set_flat(t, k, ft->data[k]);
        lit_tensor *g = lit_from_buffer(LIT_F32, fg->ndim, fg->shape, gs);
        x->requires_grad = 1;
        lit_tensor *in[2] = {x, t};
        lit_tensor *out = call_ntc(in, (void *)c);
        CHECK_MSG(out->ndim == fo->ndim && (out->ndim == 0 || lit_same_shape(out, t)), "%s: output %s", c->name,
                  LIT_SHAPE_STR(out));
        opcheck_forward(c->name, out, fo->data, fo->numel, 1e-5, 1e-6);
        lit_backward_with_grad(out, g);
        opcheck_forward(c->name, x->grad, fdx->data, fdx->numel, 1e-5, 1e-6);
        opcheck_grad(c->name, call_ntc, 2, in, (void *)c, OPCHECK_TOL);
        free(xs);
        free(gs);
    }
    fixture_free(f);
}

int main(void) {
    RUN(cross_entropy_table);
    RUN(cross_entropy_known_values);
    RUN(mse_table);
    RUN(loss_errors);
    RUN(cross_entropy_ntc_matches_torch);
    return harness_summary();
}
