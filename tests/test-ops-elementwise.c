/*
 * Elementwise ops, table-driven: every unary/scalar op and every binary op
 * against a double-precision reference, and its backward against central
 * finite differences, over shapes with broadcasting, size-1, empty dims and
 * strided inputs; sin and cos also against PyTorch (tests/fixtures/ops.txt
 * from gen_ops.py).
 */
#include "fixture.h"
#include "opcheck.h"

/* ---------------------------------------------------------------- unary */

typedef struct {
    const char *name;
    lit_tensor *(*op)(lit_tensor *x, double p, double q);
    double (*ref)(double x, double p, double q);
    double p, q;
    double lo, hi;  /* input range; kinks avoided by `gap` around `kink` */
    double kink, gap;
    double fwd_tol;
} unary_case;

#define WRAP1(fn) static lit_tensor *op_##fn(lit_tensor *x, double p, double q) { (void)p; (void)q; return lit_##fn(x); }
WRAP1(neg) WRAP1(exp) WRAP1(log) WRAP1(sqrt) WRAP1(rsqrt) WRAP1(square) WRAP1(abs) WRAP1(tanh) WRAP1(sigmoid)
WRAP1(relu) WRAP1(silu) WRAP1(sin) WRAP1(cos)
static lit_tensor *op_gelu(lit_tensor *x, double p, double q) { (void)q; return lit_gelu(x, p ? LIT_GELU_TANH : LIT_GELU_EXACT); }
static lit_tensor *op_add_scalar(lit_tensor *x, double p, double q) { (void)q; return lit_add_scalar(x, p); }
static lit_tensor *op_mul_scalar(lit_tensor *x, double p, double q) { (void)q; return lit_mul_scalar(x, p); }
static lit_tensor *op_div_scalar(lit_tensor *x, double p, double q) { (void)q; return lit_div_scalar(x, p); }
static lit_tensor *op_rsub_scalar(lit_tensor *x, double p, double q) { (void)q; return lit_rsub_scalar(x, p); }
static lit_tensor *op_pow(lit_tensor *x, double p, double q) { (void)q; return lit_pow(x, p); }
static lit_tensor *op_clamp(lit_tensor *x, double p, double q) { return lit_clamp(x, p, q); }

static double r_neg(double x, double p, double q) { (void)p; (void)q; return -x; }
static double r_exp(double x, double p, double q) { (void)p; (void)q; return exp(x); }
static double r_log(double x, double p, double q) { (void)p; (void)q; return log(x); }
static double r_sqrt(double x, double p, double q) { (void)p; (void)q; return sqrt(x); }
static double r_rsqrt(double x, double p, double q) { (void)p; (void)q; return 1 / sqrt(x); }
static double r_square(double x, double p, double q) { (void)p; (void)q; return x * x; }
static double r_abs(double x, double p, double q) { (void)p; (void)q; return fabs(x); }
static double r_tanh(double x, double p, double q) { (void)p; (void)q; return tanh(x); }
static double r_sin(double x, double p, double q) { (void)p; (void)q; return sin(x); }
static double r_cos(double x, double p, double q) { (void)p; (void)q; return cos(x); }
static double r_sigmoid(double x, double p, double q) { (void)p; (void)q; return 1 / (1 + exp(-x)); }
static double r_relu(double x, double p, double q) { (void)p; (void)q; return x > 0 ? x : 0; }
static double r_silu(double x, double p, double q) { (void)p; (void)q; return x / (1 + exp(-x)); }
static double r_gelu(double x, double p, double q) {
    (void)q;
    if (p) return 0.5 * x * (1 + tanh(sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
    return 0.5 * x * (1 + erf(x / sqrt(2)));
}
static double r_add_scalar(double x, double p, double q) { (void)q; return x + p; }
static double r_mul_scalar(double x, double p, double q) { (void)q; return x * p; }
static double r_div_scalar(double x, double p, double q) { (void)q; return x / p; }
static double r_rsub_scalar(double x, double p, double q) { (void)q; return p - x; }
static double r_pow(double x, double p, double q) { (void)q; return pow(x, p); }
static double r_clamp(double x, double p, double q) { return x < p ? p : (x > q ? q : x); }

static const unary_case unary_cases[] = {
    {"neg", op_neg, r_neg, 0, 0, -3, 3, 0, 0, 1e-7},
    {"exp", op_exp, r_exp, 0, 0, -3, 3, 0, 0, 1e-6},
    {"log", op_log, r_log, 0, 0, 0.2, 4, 0, 0, 1e-6},
    {"sqrt", op_sqrt, r_sqrt, 0, 0, 0.2, 4, 0, 0, 1e-6},
    {"rsqrt", op_rsqrt, r_rsqrt, 0, 0, 0.2, 4, 0, 0, 1e-6},
    {"square", op_square, r_square, 0, 0, -3, 3, 0, 0, 1e-6},
    {"abs", op_abs, r_abs, 0, 0, -3, 3, 0, 0.05, 1e-7},
    {"tanh", op_tanh, r_tanh, 0, 0, -3, 3, 0, 0, 1e-6},
    {"sin", op_sin, r_sin, 0, 0, -7, 7, 0, 0, 1e-6},
    {"cos", op_cos, r_cos, 0, 0, -7, 7, 0, 0, 1e-6},
    {"sigmoid", op_sigmoid, r_sigmoid, 0, 0, -5, 5, 0, 0, 1e-6},
    {"relu", op_relu, r_relu, 0, 0, -3, 3, 0, 0.05, 1e-7},
    {"silu", op_silu, r_silu, 0, 0, -5, 5, 0, 0, 1e-6},
    {"gelu", op_gelu, r_gelu, 0, 0, -4, 4, 0, 0, 1e-6},
    {"gelu_tanh", op_gelu, r_gelu, 1, 0, -4, 4, 0, 0, 1e-6},
    {"add_scalar", op_add_scalar, r_add_scalar, 2.5, 0, -3, 3, 0, 0, 1e-6},
    {"mul_scalar", op_mul_scalar, r_mul_scalar, -1.5, 0, -3, 3, 0, 0, 1e-6},
    {"div_scalar", op_div_scalar, r_div_scalar, 3.0, 0, -3, 3, 0, 0, 1e-6},
    {"rsub_scalar", op_rsub_scalar, r_rsub_scalar, 1.0, 0, -3, 3, 0, 0, 1e-6},
    {"pow", op_pow, r_pow, 2.5, 0, 0.2, 3, 0, 0, 1e-6},
    {"pow_int", op_pow, r_pow, 3.0, 0, -2, 2, 0, 0, 1e-6},
    {"clamp", op_clamp, r_clamp, -0.5, 1.0, -3, 3, -0.5, 0.05, 1e-7},
    {"clamp_hi", op_clamp, r_clamp, 1.0, 1.0 / 0.0, -3, 3, 1.0, 0.05, 1e-7},
};

static const int64_t unary_shapes[][4] = {{1, 1}, {3, 1}, {2, 5}, {1, 7}, {0, 3}};

/* Values in [lo, hi) and at least `gap` away from `kink`. */
static lit_tensor *unary_input(const unary_case *c, const int64_t *shape, uint64_t seed) {
    lit_rng rng = lit_rng_new(seed);
    lit_tensor *x = lit_rand(2, shape, &rng);
    float *v = lit_f32(x);
    for (int64_t i = 0; i < x->numel; i++) {
        double t = c->lo + (c->hi - c->lo) * v[i];
        if (c->gap > 0 && fabs(t - c->kink) < c->gap) t = c->kink + (t < c->kink ? -c->gap : c->gap);
        v[i] = (float)t;
    }
    return x;
}

typedef struct {
    const unary_case *c;
} unary_ctx;

static lit_tensor *call_unary(lit_tensor *const *in, void *ctx) {
    const unary_case *c = ((unary_ctx *)ctx)->c;
    return c->op(in[0], c->p, c->q);
}

TEST(unary_ops_forward_and_backward) {
    for (size_t ci = 0; ci < sizeof unary_cases / sizeof *unary_cases; ci++) {
        const unary_case *c = &unary_cases[ci];
        for (size_t si = 0; si < sizeof unary_shapes / sizeof *unary_shapes; si++) {
            for (int strided = 0; strided < 2; strided++) {
                lit_tensor *x = unary_input(c, unary_shapes[si], 100 + ci * 10 + si);
                if (strided && x->numel) x = opcheck_noncontig(x);
                x->requires_grad = 1;
                lit_tensor *y = c->op(x, c->p, c->q);
                CHECK(lit_same_shape(x, y));
                double ref[64];
                for (int64_t k = 0; k < x->numel; k++) ref[k] = c->ref(lit_get_flat(x, k), c->p, c->q);
                opcheck_forward(c->name, y, ref, x->numel, c->fwd_tol, c->fwd_tol);
                if (x->numel) {
                    unary_ctx ctx = {c};
                    opcheck_grad(c->name, call_unary, 1, &x, &ctx, OPCHECK_TOL);
                }
            }
        }
    }
}

/* 0-d tensors go through the same path. */
TEST(unary_on_scalar_tensor) {
    lit_tensor *x = lit_scalar(0.5);
    x->requires_grad = 1;
    lit_tensor *y = lit_exp(x);
    CHECK_EQ_INT(y->ndim, 0);
    lit_backward(y);
    CHECK_NEAR(lit_item(x->grad), exp(0.5), 1e-6);
}

/* ---------------------------------------------------------------- binary */

typedef struct {
    const char *name;
    lit_tensor *(*op)(lit_tensor *, lit_tensor *);
    double (*ref)(double, double);
} binary_case;

static double r_add(double a, double b) { return a + b; }
static double r_sub(double a, double b) { return a - b; }
static double r_mul(double a, double b) { return a * b; }
static double r_div(double a, double b) { return a / b; }

static const binary_case binary_cases[] = {
    {"add", lit_add, r_add}, {"sub", lit_sub, r_sub}, {"mul", lit_mul, r_mul}, {"div", lit_div, r_div}};

typedef struct {
    int na, nb;
    int64_t a[3], b[3];
} shape_pair;

static const shape_pair binary_shapes[] = {
    {2, 2, {3, 4}, {3, 4}},       /* same shape */
    {2, 1, {3, 4}, {4}},          /* bias-style row broadcast */
    {2, 2, {3, 1}, {1, 4}},       /* outer broadcast */
    {3, 2, {2, 3, 4}, {3, 1}},    /* middle broadcast */
    {1, 3, {1}, {2, 1, 3}},       /* size-1 against larger */
    {0, 2, {0}, {2, 3}},          /* 0-d scalar */
    {2, 2, {0, 4}, {1, 4}},       /* empty dim */
};

static lit_tensor *call_binary(lit_tensor *const *in, void *ctx) {
    return ((const binary_case *)ctx)->op(in[0], in[1]);
}

/* Reference with explicit broadcast index arithmetic. */
static void binary_reference(const binary_case *c, lit_tensor *a, lit_tensor *b, lit_tensor *out, double *ref) {
    int nd = out->ndim;
    for (int64_t k = 0; k < out->numel; k++) {
        int64_t idx[LIT_MAX_DIMS], rem = k;
        for (int d = nd - 1; d >= 0; d--) {
            idx[d] = rem % out->shape[d];
            rem /= out->shape[d];
        }
        int64_t ia[LIT_MAX_DIMS], ib[LIT_MAX_DIMS];
        for (int d = 0; d < a->ndim; d++) ia[d] = a->shape[d] == 1 ? 0 : idx[d + nd - a->ndim];
        for (int d = 0; d < b->ndim; d++) ib[d] = b->shape[d] == 1 ? 0 : idx[d + nd - b->ndim];
        ref[k] = c->ref(lit_get(a, ia), lit_get(b, ib));
    }
}

TEST(binary_ops_broadcast_forward_and_backward) {
    for (size_t ci = 0; ci < sizeof binary_cases / sizeof *binary_cases; ci++) {
        const binary_case *c = &binary_cases[ci];
        for (size_t si = 0; si < sizeof binary_shapes / sizeof *binary_shapes; si++) {
            const shape_pair *sp = &binary_shapes[si];
            lit_tensor *a = opcheck_randn(sp->na, sp->a, 7 + si);
            lit_tensor *b = opcheck_randn(sp->nb, sp->b, 70 + si);
            if (c->ref == r_div) /* keep divisors away from zero */
                for (int64_t k = 0; k < b->numel; k++) {
                    double v = lit_get_flat(b, k);
                    lit_set_flat(b, k, v >= 0 ? v + 0.5 : v - 0.5);
                }
            a->requires_grad = b->requires_grad = 1;
            lit_tensor *out = c->op(a, b);
            double ref[64];
            binary_reference(c, a, b, out, ref);
            opcheck_forward(c->name, out, ref, out->numel, 1e-6, 1e-6);
            lit_tensor *ins[2] = {a, b};
            if (out->numel) opcheck_grad(c->name, call_binary, 2, ins, (void *)c, OPCHECK_TOL);
        }
    }
}

TEST(binary_strided_inputs) {
    lit_tensor *a = opcheck_noncontig(opcheck_randn(LIT_SHAPE(3, 4), 1));
    lit_tensor *b = opcheck_noncontig(opcheck_randn(LIT_SHAPE(3, 4), 2));
    a->requires_grad = b->requires_grad = 1;
    lit_tensor *out = lit_mul(a, b);
    double ref[12];
    for (int k = 0; k < 12; k++) ref[k] = lit_get_flat(a, k) * lit_get_flat(b, k);
    opcheck_forward("mul strided", out, ref, 12, 1e-6, 1e-6);
    lit_tensor *ins[2] = {a, b};
    opcheck_grad("mul strided", call_binary, 2, ins, (void *)&binary_cases[2], OPCHECK_TOL);
}

/* The same tensor used twice: gradients from both uses add up. */
TEST(gradient_accumulates_over_uses) {
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(2), (float[]){1.5f, -2.0f});
    x->requires_grad = 1;
    lit_tensor *y = lit_sum_all(lit_add(lit_mul(x, x), x)); /* d/dx = 2x + 1 */
    lit_backward(y);
    CHECK_NEAR(lit_f32(x->grad)[0], 4.0, 1e-6);
    CHECK_NEAR(lit_f32(x->grad)[1], -3.0, 1e-6);
    lit_backward(y); /* leaf gradients accumulate across backward calls */
    CHECK_NEAR(lit_f32(x->grad)[0], 8.0, 1e-6);
    lit_zero_grad(&x, 1, 0);
    CHECK_NEAR(lit_f32(x->grad)[1], 0.0, 0);
    lit_zero_grad(&x, 1, 1);
    CHECK(x->grad == NULL);
}

TEST(no_grad_and_detach) {
    lit_tensor *x = lit_ones(LIT_F32, LIT_SHAPE(3));
    x->requires_grad = 1;
    int prev = lit_set_grad_enabled(0);
    lit_tensor *y = lit_exp(x);
    CHECK(!y->requires_grad && y->grad_fn == NULL);
    lit_set_grad_enabled(prev);
    CHECK(lit_is_grad_enabled());
    lit_tensor *z = lit_mul(lit_detach(lit_exp(x)), x); /* detached factor is a constant */
    lit_backward(lit_sum_all(z));
    CHECK_NEAR(lit_f32(x->grad)[0], exp(1.0), 1e-6);
}

TEST(eq_compares_exactly) {
    lit_tensor *a = lit_from_buffer(LIT_I64, LIT_SHAPE(4), (int64_t[]){1, 2, 3, 4});
    lit_tensor *b = lit_from_buffer(LIT_I64, LIT_SHAPE(4), (int64_t[]){1, 0, 3, 0});
    lit_tensor *e = lit_eq(a, b);
    float want[4] = {1, 0, 1, 0};
    CHECK_ALLCLOSE(lit_f32(e), want, 4, 0, 0);
}

TEST(clamp_bad_range_is_caught) {
    EXPECT_ASSERT(lit_clamp(lit_ones(LIT_F32, LIT_SHAPE(2)), 1, 0), "lo 1 is above hi 0");
}

/* torch.sin / torch.cos and their gradients (d(out . g)/dx) from the fixture,
 * including large arguments (1e4, -100) where argument reduction matters. */
static void check_torch_unary(const fixture *f, const char *name, lit_tensor *(*op)(lit_tensor *)) {
    char key[64];
    const fixture_array *fa[4];
    const char *parts[4] = {"x", "out", "g", "dx"};
    for (int i = 0; i < 4; i++) {
        snprintf(key, sizeof key, "%s/%s", name, parts[i]);
        fa[i] = fixture_find(f, key);
        CHECK_MSG(fa[i] != NULL, "fixture lacks %s", key);
        if (!fa[i]) return;
    }
    float *xs = fixture_floats(fa[0]), *gs = fixture_floats(fa[2]);
    lit_tensor *x = lit_from_buffer(LIT_F32, fa[0]->ndim, fa[0]->shape, xs);
    lit_tensor *g = lit_from_buffer(LIT_F32, fa[2]->ndim, fa[2]->shape, gs);
    x->requires_grad = 1;
    lit_tensor *y = op(x);
    opcheck_forward(name, y, fa[1]->data, fa[1]->numel, 1e-6, 1e-6);
    lit_backward_with_grad(y, g);
    opcheck_forward(name, x->grad, fa[3]->data, fa[3]->numel, 1e-6, 1e-6);
    free(xs);
    free(gs);
}

TEST(sin_cos_match_torch) {
    fixture *f = fixture_load("tests/fixtures/ops.txt");
    CHECK(f != NULL);
    if (!f) return;
    check_torch_unary(f, "sin", lit_sin);
    check_torch_unary(f, "cos", lit_cos);
    fixture_free(f);
}

int main(void) {
    RUN(unary_ops_forward_and_backward);
    RUN(unary_on_scalar_tensor);
    RUN(binary_ops_broadcast_forward_and_backward);
    RUN(binary_strided_inputs);
    RUN(gradient_accumulates_over_uses);
    RUN(no_grad_and_detach);
    RUN(eq_compares_exactly);
    RUN(clamp_bad_range_is_caught);
    RUN(sin_cos_match_torch);
    return harness_summary();
}
