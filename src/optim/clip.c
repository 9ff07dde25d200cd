/*
 * src/optim/clip.c — gradient clipping by total norm and by value
 * (torch.nn.utils.clip_grad_norm_ / clip_grad_value_).
 *
 * Determinism: a gradient of n elements is cut into at most CLIP_MAX_CHUNKS
 * chunks whose size depends on n only; each chunk is summed in double in
 * index order (possibly on different threads) and the chunk sums are added in
 * chunk order. The result is the same for every thread count.
 */
#include <math.h>

#include "optim/optim-impl.h"

#define CLIP_MAX_CHUNKS 256
#define CLIP_MIN_CHUNK 65536

/* Sum of |x|^p (p > 0, finite) over n floats. */
static double pow_sum(const float *x, int64_t n, double p) {
    int64_t chunk = (n + CLIP_MAX_CHUNKS - 1) / CLIP_MAX_CHUNKS;
    if (chunk < CLIP_MIN_CHUNK) chunk = CLIP_MIN_CHUNK;
    int nchunks = (int)((n + chunk - 1) / chunk);
    double part[CLIP_MAX_CHUNKS];
    LIT__PAR_FOR(nchunks > 1, schedule(static),
        for (int c = 0; c < nchunks; c++) {
            int64_t lo = (int64_t)c * chunk, hi = lo + chunk < n ? lo + chunk : n;
            double s = 0.0;
            if (p == 2.0) {
                for (int64_t i = lo; i < hi; i++) s += (double)x[i] * (double)x[i];
            } else if (p == 1.0) {
                for (int64_t i = lo; i < hi; i++) s += fabs((double)x[i]);
            } else {
                for (int64_t i = lo; i < hi; i++) s += pow(fabs((double)x[i]), p);
            }
            part[c] = s;
        });
    double total = 0.0;
    for (int c = 0; c < nchunks; c++) total += part[c];
    return total;
}

static double abs_max(const float *x, int64_t n) {
    float m = 0.0f;
    int nan = 0;
    for (int64_t i = 0; i < n; i++) {
        float a = fabsf(x[i]);
        if (a != a) nan = 1;
        if (a > m) m = a;
    }
    return nan ? (double)NAN : (double)m;
}

/* The p-norm of one gradient, rounded to f32 as torch.norm of an f32 tensor. */
static float tensor_norm(const float *x, int64_t n, double p) {
    if (isinf(p)) return (float)abs_max(x, n);
    double s = pow_sum(x, n, p);
    if (p == 2.0) return (float)sqrt(s);
    if (p == 1.0) return (float)s;
    return (float)pow(s, 1.0 / p);
}

static const float *grad_of(const lit_tensor *p, const char *who) {
    LIT_ASSERT(p != NULL, "%s: a parameter is NULL", who);
    return lit__optimizer_grad(p, who);
}

double lit_grad_norm(lit_tensor *const *params, int n, double norm_type) {
    LIT_ASSERT(n >= 0 && (n == 0 || params != NULL), "lit_grad_norm: %d params at %p", n, (const void *)params);
    LIT_ASSERT(norm_type > 0.0, "lit_grad_norm: norm_type is %g; pass 2 (Euclidean), 1, another p > 0 or INFINITY",
               norm_type);
    /* torch: norm of the stacked per-parameter f32 norms. */
    int inf = isinf(norm_type), any = 0, nan = 0;
    double acc = 0.0;
    for (int i = 0; i < n; i++) {
        const float *g = grad_of(params[i], "lit_clip_grad_norm");
        if (!g) continue;
        float v = tensor_norm(g, params[i]->grad->numel, norm_type);
        any = 1;
        if (inf) {
            if (v != v) nan = 1;
            if (v > acc) acc = v;
        } else {
            acc += norm_type == 2.0 ? (double)v * v : norm_type == 1.0 ? (double)v : pow((double)v, norm_type);
        }
    }
    if (!any) return 0.0;
    if (inf) return nan ? (double)NAN : (double)(float)acc;
    if (norm_type == 2.0) return (double)(float)sqrt(acc);
    if (norm_type == 1.0) return (double)(float)acc;
    return (double)(float)pow(acc, 1.0 / norm_type);
}

double lit_clip_grad_norm(lit_tensor *const *params, int n, double max_norm, double norm_type) {
    LIT_ASSERT(max_norm >= 0.0, "lit_clip_grad_norm: max_norm is %g; pass max_norm >= 0", max_norm);
    double total = lit_grad_norm(params, n, norm_type);
    /* clip_coef = max_norm / (total + 1e-6) computed in f32 as PyTorch's
     * `scalar / tensor` (= tensor.reciprocal() * scalar), then clamped to 1. */
    float t = (float)total + 1e-6f;
    float coef = (1.0f / t) * (float)max_norm;
    if (coef > 1.0f) coef = 1.0f;
    for (int i = 0; i < n; i++) {
        const lit_tensor *p = params[i];
        if (!p->grad) continue;
        float *g = lit_f32(p->grad);
        int64_t m = p->grad->numel;
        LIT__PAR_FOR(m >= LIT__OPTIM_PAR_MIN, simd schedule(static),
            for (int64_t k = 0; k < m; k++) {
                g[k] = g[k] * coef;
            });
    }
    return total;
}

void lit_clip_grad_value(lit_tensor *const *params, int n, double clip_value) {
    LIT_ASSERT(n >= 0 && (n == 0 || params != NULL), "lit_clip_grad_value: %d params at %p", n, (const void *)params);
    LIT_ASSERT(clip_value >= 0.0, "lit_clip_grad_value: clip_value is %g; pass clip_value >= 0", clip_value);
    const float hi = (float)clip_value, lo = -hi;
    for (int i = 0; i < n; i++) {
        const float *gc = grad_of(params[i], "lit_clip_grad_value");
        if (!gc) continue;
        float *g = (float *)gc;
        int64_t m = params[i]->grad->numel;
        LIT__PAR_FOR(m >= LIT__OPTIM_PAR_MIN, simd schedule(static),
            for (int64_t k = 0; k < m; k++) {
                float v = g[k];
                v = v < lo ? lo : v; /* NaN stays NaN, as torch.clamp */
                v = v > hi ? hi : v;
                g[k] = v;
            });
    }
}
