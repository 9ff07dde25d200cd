/*
 * Elementwise ops. Binary ops broadcast (NumPy rules); unary and scalar ops
 * are one X-macro row each: name, forward in terms of x (and parameters p, q),
 * derivative in terms of x, y = f(x), g = upstream gradient.
 *
 * NaN and Inf behave as in PyTorch, forward and backward: relu and clamp
 * keep NaN (their tests are written so that a NaN fails them, never fminf/
 * fmaxf, which drop it); relu's gradient is torch's threshold_backward on the
 * result (y <= 0 ? 0 : g: it passes at NaN); abs's is g * sign(x) with
 * sign(NaN) = 0, so a NaN upstream gradient at x = 0 stays NaN.
 */
#include <math.h>
#include <string.h>

#include "ops-impl.h"

static inline float sigmoidf_(float x) { return 1.0f / (1.0f + expf(-x)); }

/* GELU, exact (erf) and tanh approximations, as torch.nn.functional.gelu. */
#define GELU_K0 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_K1 0.044715f
static inline float gelu_exact(float x) { return 0.5f * x * (1.0f + erff(x * (float)M_SQRT1_2)); }
static inline float gelu_exact_grad(float x) {
    float cdf = 0.5f * (1.0f + erff(x * (float)M_SQRT1_2));
    float pdf = expf(-0.5f * x * x) * 0.3989422804014327f;
    return cdf + x * pdf;
}
static inline float gelu_tanh(float x) {
    return 0.5f * x * (1.0f + tanhf(GELU_K0 * (x + GELU_K1 * x * x * x)));
}
static inline float gelu_tanh_grad(float x) {
    float inner = GELU_K0 * (x + GELU_K1 * x * x * x);
    float t = tanhf(inner);
    float dinner = GELU_K0 * (1.0f + 3.0f * GELU_K1 * x * x);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * dinner;
}

/* X(name, forward(x, p, q), backward(x, y, g, p, q)) */
#define LIT_UNARY_OPS(X)                                                                   \
    X(neg, -x, -g)                                                                         \
    X(exp, expf(x), g * y)                                                                 \
    X(log, logf(x), g / x)                                                                 \
    X(sqrt, sqrtf(x), g * 0.5f / y)                                                        \
    X(rsqrt, 1.0f / sqrtf(x), g * -0.5f * y * y * y)                                       \
    X(square, x * x, g * 2.0f * x)                                                         \
    X(abs, fabsf(x), g * (float)((x > 0) - (x < 0)))                                       \
    X(sin, sinf(x), g * cosf(x))                                                           \
    X(cos, cosf(x), g * -sinf(x))                                                          \
    X(tanh, tanhf(x), g * (1.0f - y * y))                                                  \
    X(sigmoid, sigmoidf_(x), g * y * (1.0f - y))                                           \
    X(relu, x <= 0 ? 0.0f : x, y <= 0 ? 0.0f : g)                                          \
    X(silu, x * sigmoidf_(x), g * (sigmoidf_(x) * (1.0f + x * (1.0f - sigmoidf_(x)))))     \
    X(gelu_exact, gelu_exact(x), g * gelu_exact_grad(x))                                   \
    X(gelu_tanh, gelu_tanh(x), g * gelu_tanh_grad(x))                                      \
    X(add_scalar, x + p, g)                                                                \
    X(mul_scalar, x * p, g * p)                                                            \
    X(div_scalar, x / p, g / p)                                                            \
    X(rsub_scalar, p - x, -g)                                                              \
    X(pow, powf(x, p), p == 0.0f ? 0.0f : g * p * powf(x, p - 1.0f))                       \
    X(clamp, x < p ? p : (x > q ? q : x), (x >= p && x <= q) ? g : 0.0f)

typedef enum {
#define UNARY_ENUM(name, fwd, bwd) UNARY_##name,
    LIT_UNARY_OPS(UNARY_ENUM)
#undef UNARY_ENUM
} unary_kind;

static const char *const unary_names[] = {
#define UNARY_NAME(name, fwd, bwd) #name,
    LIT_UNARY_OPS(UNARY_NAME)
#undef UNARY_NAME
};

static void unary_forward(unary_kind kind, const float *restrict xs, float *restrict ys, int64_t n, float p, float q) {
    switch (kind) {
#define UNARY_FWD(name, fwd, bwd)                                                  \
    case UNARY_##name:                                                             \
        LIT__PAR_FOR(n > LIT_PARALLEL_MIN, simd,                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                float x = xs[i];                                                   \
                (void)p; (void)q;                                                  \
                ys[i] = (fwd);                                                     \
            });                                                                    \
        break;
        LIT_UNARY_OPS(UNARY_FWD)
#undef UNARY_FWD
    }
}

static void unary_backward_kernel(unary_kind kind, const float *restrict xs, const float *restrict ys,
                                  const float *restrict gs, float *restrict dx, int64_t n, float p, float q) {
    switch (kind) {
#define UNARY_BWD(name, fwd, bwd)                                                  \
    case UNARY_##name:                                                             \
        LIT__PAR_FOR(n > LIT_PARALLEL_MIN, simd,                                   \
            for (int64_t i = 0; i < n; i++) {                                      \
                float x = xs[i], y = ys[i], g = gs[i];                             \
                (void)x; (void)y; (void)p; (void)q;                                \
                dx[i] = (bwd);                                                     \
            });                                                                    \
        break;
        LIT_UNARY_OPS(UNARY_BWD)
#undef UNARY_BWD
    }
}

static void unary_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *x = n->saved[0], *y = n->out;
    lit_tensor *gc = lit_contiguous((lit_tensor *)g);
    lit_tensor *dx = lit_empty(LIT_F32, x->ndim, x->shape);
    unary_backward_kernel((unary_kind)n->ints[0], x->data, y->data, gc->data, dx->data, x->numel,
                          (float)n->scalars[0], (float)n->scalars[1]);
    lit__accumulate_grad(n->inputs[0], dx);
}

static lit_tensor *unary(unary_kind kind, lit_tensor *x, double p, double q) {
    const char *op = unary_names[kind];
    lit__check_f32(x, op);
    lit_tensor *xc = lit_contiguous(x);
    lit_tensor *y = lit_empty(LIT_F32, x->ndim, x->shape);
    unary_forward(kind, xc->data, y->data, x->numel, (float)p, (float)q);
    lit_node *n = lit__record(op, unary_backward, y, 1, &x);
    if (n) {
        n->saved[0] = xc;
        n->ints[0] = kind;
        n->scalars[0] = p;
        n->scalars[1] = q;
    }
    return y;
}

lit_tensor *lit_neg(lit_tensor *x) { return unary(UNARY_neg, x, 0, 0); }
lit_tensor *lit_exp(lit_tensor *x) { return unary(UNARY_exp, x, 0, 0); }
lit_tensor *lit_log(lit_tensor *x) { return unary(UNARY_log, x, 0, 0); }
lit_tensor *lit_sqrt(lit_tensor *x) { return unary(UNARY_sqrt, x, 0, 0); }
lit_tensor *lit_rsqrt(lit_tensor *x) { return unary(UNARY_rsqrt, x, 0, 0); }
lit_tensor *lit_square(lit_tensor *x) { return unary(UNARY_square, x, 0, 0); }
lit_tensor *lit_abs(lit_tensor *x) { return unary(UNARY_abs, x, 0, 0); }
lit_tensor *lit_sin(lit_tensor *x) { return unary(UNARY_sin, x, 0, 0); }
lit_tensor *lit_cos(lit_tensor *x) { return unary(UNARY_cos, x, 0, 0); }
lit_tensor *lit_tanh(lit_tensor *x) { return unary(UNARY_tanh, x, 0, 0); }
lit_tensor *lit_sigmoid(lit_tensor *x) { return unary(UNARY_sigmoid, x, 0, 0); }
lit_tensor *lit_relu(lit_tensor *x) { return unary(UNARY_relu, x, 0, 0); }
lit_tensor *lit_silu(lit_tensor *x) { return unary(UNARY_silu, x, 0, 0); }
lit_tensor *lit_gelu(lit_tensor *x, lit_gelu_approx approx) {
    return unary(approx == LIT_GELU_TANH ? UNARY_gelu_tanh : UNARY_gelu_exact, x, 0, 0);
}
lit_tensor *lit_add_scalar(lit_tensor *x, double s) { return unary(UNARY_add_scalar, x, s, 0); }
lit_tensor *lit_mul_scalar(lit_tensor *x, double s) { return unary(UNARY_mul_scalar, x, s, 0); }
lit_tensor *lit_div_scalar(lit_tensor *x, double s) { return unary(UNARY_div_scalar, x, s, 0); }
lit_tensor *lit_rsub_scalar(lit_tensor *x, double s) { return unary(UNARY_rsub_scalar, x, s, 0); }
lit_tensor *lit_pow(lit_tensor *x, double p) { return unary(UNARY_pow, x, p, 0); }
lit_tensor *lit_clamp(lit_tensor *x, double lo, double hi) {
    LIT_ASSERT(!(lo > hi), "lit_clamp: lo %g is above hi %g; pass lo <= hi (use -INFINITY/INFINITY for one side)", lo, hi);
    return unary(UNARY_clamp, x, lo, hi);
}

/* ---------------------------------------------------------------- binary */

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } binary_kind;
static const char *const binary_names[] = {"add", "sub", "mul", "div"};

static inline float apply_binary(binary_kind k, float a, float b) {
    switch (k) {
    case BIN_ADD: return a + b;
    case BIN_SUB: return a - b;
    case BIN_MUL: return a * b;
    default: return a / b;
    }
}

#define BINARY_FLAT_LOOP(expr)                                                    \
    LIT__PAR_FOR(n > LIT_PARALLEL_MIN, simd, for (int64_t i = 0; i < n; i++) { out[i] = (expr); });

/* out[i] = a[i] op b[i], all contiguous of n elements. */
static void binary_flat(binary_kind k, const float *restrict a, const float *restrict b, float *restrict out, int64_t n) {
    switch (k) {
    case BIN_ADD: BINARY_FLAT_LOOP(a[i] + b[i]) break;
    case BIN_SUB: BINARY_FLAT_LOOP(a[i] - b[i]) break;
    case BIN_MUL: BINARY_FLAT_LOOP(a[i] * b[i]) break;
    case BIN_DIV: BINARY_FLAT_LOOP(a[i] / b[i]) break;
    }
}

/* General strided broadcast: walk the output index, inner loop over the last dim. */
static void binary_strided(binary_kind k, const lit_tensor *a, const lit_tensor *b, lit_tensor *out) {
    int nd = out->ndim;
    int64_t sa[LIT_MAX_DIMS], sb[LIT_MAX_DIMS];
    lit__broadcast_strides(a, nd, out->shape, sa);
    lit__broadcast_strides(b, nd, out->shape, sb);
    float *o = out->data;
    const float *pa = a->data, *pb = b->data;
    if (out->numel == 0) return;
    if (nd == 0) {
        o[0] = apply_binary(k, pa[0], pb[0]);
        return;
    }
    int64_t inner = out->shape[nd - 1], ia = sa[nd - 1], ib = sb[nd - 1];
    int64_t rows = out->numel / inner;
    LIT__PAR_FOR(out->numel > LIT_PARALLEL_MIN, /* default schedule */,
        for (int64_t r = 0; r < rows; r++) {
            int64_t rem = r, oa = 0, ob = 0;
            for (int d = nd - 2; d >= 0; d--) {
                int64_t i = rem % out->shape[d];
                rem /= out->shape[d];
                oa += i * sa[d];
                ob += i * sb[d];
            }
            float *orow = o + r * inner;
            for (int64_t j = 0; j < inner; j++) orow[j] = apply_binary(k, pa[oa + j * ia], pb[ob + j * ib]);
        });
}

static void binary_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *a = n->inputs[0], *b = n->inputs[1];
    lit_tensor *gg = (lit_tensor *)g;
    switch ((binary_kind)n->ints[0]) {
    case BIN_ADD:
        lit__accumulate_grad(a, gg);
        lit__accumulate_grad(b, gg);
        break;
    case BIN_SUB:
        lit__accumulate_grad(a, gg);
        if (lit__needs_grad(b)) lit__accumulate_grad(b, lit_neg(gg));
        break;
    case BIN_MUL:
        if (lit__needs_grad(a)) lit__accumulate_grad(a, lit_mul(gg, b));
        if (lit__needs_grad(b)) lit__accumulate_grad(b, lit_mul(gg, a));
        break;
    case BIN_DIV:
        if (lit__needs_grad(a)) lit__accumulate_grad(a, lit_div(gg, b));
        if (lit__needs_grad(b)) /* d(a/b)/db = -a / b^2 = -out / b */
            lit__accumulate_grad(b, lit_neg(lit_div(lit_mul(gg, n->out), b)));
        break;
    }
}

static lit_tensor *binary(binary_kind k, lit_tensor *a, lit_tensor *b) {
    const char *op = binary_names[k];
    lit__check_f32(a, op);
    lit__check_f32(b, op);
    int nd;
    int64_t shape[LIT_MAX_DIMS];
    lit__broadcast_shape(a, b, &nd, shape, op);
    lit_tensor *out = lit_empty(LIT_F32, nd, shape);
    if (lit_same_shape(a, b) && lit_is_contiguous(a) && lit_is_contiguous(b))
        binary_flat(k, a->data, b->data, out->data, out->numel);
    else
        binary_strided(k, a, b, out);
    lit_node *n = lit__record(op, binary_backward, out, 2, (lit_tensor *[]){a, b});
    if (n) n->ints[0] = k;
    return out;
}

lit_tensor *lit_add(lit_tensor *a, lit_tensor *b) { return binary(BIN_ADD, a, b); }
lit_tensor *lit_sub(lit_tensor *a, lit_tensor *b) { return binary(BIN_SUB, a, b); }
lit_tensor *lit_mul(lit_tensor *a, lit_tensor *b) { return binary(BIN_MUL, a, b); }
lit_tensor *lit_div(lit_tensor *a, lit_tensor *b) { return binary(BIN_DIV, a, b); }

/* ---------------------------------------------------------------- comparison */

lit_tensor *lit_eq(lit_tensor *a, lit_tensor *b) {
    lit__check_input(a, "eq");
    lit__check_input(b, "eq");
    int nd;
    int64_t shape[LIT_MAX_DIMS];
    lit__broadcast_shape(a, b, &nd, shape, "eq");
    lit_tensor *out = lit_empty(LIT_F32, nd, shape);
    lit_tensor *ea = lit_expand(lit_detach(a), nd, shape), *eb = lit_expand(lit_detach(b), nd, shape);
    float *o = out->data;
    for (int64_t i = 0; i < out->numel; i++) o[i] = lit_get_flat(ea, i) == lit_get_flat(eb, i) ? 1.0f : 0.0f;
    return out;
}
