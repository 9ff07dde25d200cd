/*
 * Reductions: sum, mean, var over a set of dims; max, min, argmax over one
 * dim. Forward and backward side by side.
 *
 * Determinism: every output element is accumulated in double, in the row-
 * major order of its input elements (fixed 8-lane blocks along a contiguous
 * row), by exactly one thread. OpenMP only splits the outputs, so results do
 * not depend on the thread count.
 */
#include <math.h>
#include <string.h>

#include "ops-impl.h"

/* The gradient buffer of x (contiguous, zero-filled on first use). */
static float *grad_of(lit_tensor *x, const char *op) {
    lit_tensor *g = lit__grad_buffer(x);
    LIT_ASSERT(lit_is_contiguous(g), "%s backward: the .grad of %s is a non-contiguous view; leave .grad to autograd",
               op, LIT_SHAPE_STR(x));
    return g->data;
}

/* ---------------------------------------------------------------- plans */

/* Which dims of x are reduced, and the output shape. */
typedef struct {
    int ndim;                         /* x's */
    int64_t shape[LIT_MAX_DIMS];      /* x's */
    int reduced[LIT_MAX_DIMS];        /* 1 for reduced dims */
    int64_t keep_stride[LIT_MAX_DIMS];/* strides into the (contiguous) output; 0 on reduced dims */
    int out_ndim;
    int64_t out_shape[LIT_MAX_DIMS];
    int64_t count;                    /* input elements per output element */
} rplan;

static rplan make_plan(const lit_tensor *x, int n_dims, const int *dims, int keepdim, const char *op) {
    rplan p;
    memset(&p, 0, sizeof p);
    p.ndim = x->ndim;
    memcpy(p.shape, x->shape, sizeof p.shape);
    LIT_ASSERT(n_dims >= 0 && n_dims <= LIT_MAX_DIMS, "%s: n_dims is %d; pass 0 (all dims) .. %d", op, n_dims,
               LIT_MAX_DIMS);
    LIT_ASSERT(n_dims == 0 || dims, "%s: n_dims is %d but dims is NULL", op, n_dims);
    for (int i = 0; i < n_dims; i++) {
        int d = lit__norm_dim(dims[i], x->ndim, op);
        if (x->ndim == 0) continue; /* dim 0 / -1 of a scalar: nothing to reduce */
        LIT_ASSERT(!p.reduced[d], "%s: dim %d appears twice in dims (as %d); list each dim once", op, d, dims[i]);
        p.reduced[d] = 1;
    }
    if (n_dims == 0)
        for (int d = 0; d < x->ndim; d++) p.reduced[d] = 1;
    p.count = 1;
    int64_t s = 1;
    for (int d = x->ndim - 1; d >= 0; d--) {
        if (p.reduced[d]) {
            p.count *= x->shape[d];
            p.keep_stride[d] = 0;
        } else {
            p.keep_stride[d] = s;
            s *= x->shape[d];
        }
    }
    for (int d = 0; d < x->ndim; d++) {
        if (!p.reduced[d]) p.out_shape[p.out_ndim++] = x->shape[d];
        else if (keepdim) p.out_shape[p.out_ndim++] = 1;
    }
    return p;
}

/* The reduction as up to three merged groups [K1, R, K2] of a contiguous
 * tensor: out[k1, k2] = reduce over r of x[k1, r, k2]. Returns 0 when the
 * reduced dims are not one block (e.g. R K R); the caller then permutes. */
static int three_groups(const rplan *p, int64_t *k1, int64_t *r, int64_t *k2) {
    int64_t g[3] = {1, 1, 1};
    int stage = 0; /* 0: in K1, 1: in R, 2: in K2 */
    for (int d = 0; d < p->ndim; d++) {
        if (p->shape[d] == 1) continue; /* size-1 dims do not change the layout */
        if (p->reduced[d]) {
            if (stage == 2) return 0;
            stage = 1;
        } else if (stage == 1) {
            stage = 2;
        }
        g[stage] *= p->shape[d];
    }
    *k1 = g[0];
    *r = g[1];
    *k2 = g[2];
    return 1;
}

/* x as a contiguous [kept dims..., reduced dims...] copy: one row per output. */
static lit_tensor *kept_then_reduced(lit_tensor *x, const rplan *p) {
    int64_t shape[LIT_MAX_DIMS], stride[LIT_MAX_DIMS];
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int d = 0; d < p->ndim; d++)
            if (p->reduced[d] == pass) {
                shape[n] = x->shape[d];
                stride[n++] = x->stride[d];
            }
    lit_tensor *v = lit__make_view(x, n, shape, stride, x->data);
    lit_tensor *c = lit_empty(LIT_F32, n, shape);
    lit_tensor_copy_(c, v);
    return c;
}

/* Sum of a contiguous row in double: 8 independent lanes in fixed blocks
 * (vectorises, and the order never changes). */
static double row_sum(const float *x, int64_t n) {
    double l[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) l[j] += x[i + j];
    double tail = 0;
    for (; i < n; i++) tail += x[i];
    return ((l[0] + l[1]) + (l[2] + l[3])) + ((l[4] + l[5]) + (l[6] + l[7])) + tail;
}

#define COL_CHUNK 512 /* columns accumulated together in the [R, K2] case */

/* out[k1, k2] = scale * sum_r x[k1, r, k2], x contiguous. */
static void sum_kernel(const float *x, float *out, int64_t k1, int64_t r, int64_t k2, double scale) {
    int par = k1 * r * k2 >= LIT_PARALLEL_MIN;
    if (k2 == 1) {
        LIT__PAR_FOR(par && k1 > 1, schedule(static),
            for (int64_t i = 0; i < k1; i++) {
                out[i] = (float)(scale * row_sum(x + i * r, r));
            });
        return;
    }
    /* Reduced dims above a contiguous run: add whole rows in order (the
     * bias-gradient case, (B, N) summed over dim 0). */
    int64_t chunks = (k2 + COL_CHUNK - 1) / COL_CHUNK;
    LIT__PAR_FOR(par && k1 * chunks > 1, schedule(static),
        for (int64_t t = 0; t < k1 * chunks; t++) {
            int64_t i = t / chunks, j0 = (t % chunks) * COL_CHUNK;
            int64_t w = k2 - j0 < COL_CHUNK ? k2 - j0 : COL_CHUNK;
            double acc[COL_CHUNK];
            for (int64_t j = 0; j < w; j++) acc[j] = 0;
            const float *base = x + i * r * k2 + j0;
            for (int64_t q = 0; q < r; q++) {
                const float *row = base + q * k2;
                for (int64_t j = 0; j < w; j++) acc[j] += row[j];
            }
            float *o = out + i * k2 + j0;
            for (int64_t j = 0; j < w; j++) o[j] = (float)(scale * acc[j]);
        });
}

/* out = scale * (sum over the plan's reduced dims of x); out contiguous. */
static void reduce_sum_into(lit_tensor *x, const rplan *p, float *out, double scale) {
    int64_t k1, r, k2, n_out = x->numel ? x->numel / (p->count ? p->count : 1) : 0;
    if (p->count == 0) { /* empty reduction: 0 for sum, 0 * inf -> NaN for mean */
        n_out = lit_numel_of(p->out_ndim, p->out_shape);
        for (int64_t i = 0; i < n_out; i++) out[i] = (float)(0.0 * scale);
        return;
    }
    if (x->numel == 0) return;
    if (three_groups(p, &k1, &r, &k2)) {
        lit_tensor *c = lit__dense(x);
        sum_kernel(c->data, out, k1, r, k2, scale);
    } else {
        lit_tensor *c = kept_then_reduced(x, p);
        sum_kernel(c->data, out, n_out, p->count, 1, scale);
    }
}

/* dx[i] += coef * g[o(i)] (mode 0) or coef * g[o(i)] * (x[i] - mean[o(i)])
 * (mode 1, var), walking x's shape with o(i) from the plan's keep strides. */
static void broadcast_back(const rplan *p, float *dx, const float *g, const float *x, const float *mean,
                           double coef, int mode) {
    int nd = p->ndim;
    int64_t total = lit_numel_of(nd, p->shape);
    if (total == 0) return;
    int64_t inner = nd ? p->shape[nd - 1] : 1, os = nd ? p->keep_stride[nd - 1] : 0;
    int64_t idx[LIT_MAX_DIMS] = {0};
    for (int64_t base = 0; base < total; base += inner) {
        int64_t o = 0;
        for (int d = 0; d < nd - 1; d++) o += idx[d] * p->keep_stride[d];
        float *dr = dx + base;
        if (mode == 0) {
            for (int64_t j = 0; j < inner; j++) dr[j] += (float)(coef * g[o + j * os]);
        } else {
            const float *xr = x + base;
            for (int64_t j = 0; j < inner; j++)
                dr[j] += (float)(coef * g[o + j * os] * ((double)xr[j] - mean[o + j * os]));
        }
        for (int d = nd - 2; d >= 0; d--) {
            if (++idx[d] < p->shape[d]) break;
            idx[d] = 0;
        }
    }
}

/* ---------------------------------------------------------------- sum, mean */

static void sum_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *x = n->inputs[0];
    if (!lit__needs_grad(x)) return;
    rplan *p = n->extra;
    lit_tensor *gc = lit__dense((lit_tensor *)g);
    broadcast_back(p, grad_of(x, n->op), gc->data, NULL, NULL, n->scalars[0], 0);
}

static lit_tensor *sum_or_mean(lit_tensor *x, int n_dims, const int *dims, int keepdim, int mean, const char *op) {
    lit__check_f32(x, op);
    rplan p = make_plan(x, n_dims, dims, keepdim, op);
    double scale = mean ? 1.0 / (double)p.count : 1.0; /* 1/0 = inf: mean of nothing is NaN */
    lit_tensor *out = lit_empty(LIT_F32, p.out_ndim, p.out_shape);
    reduce_sum_into(x, &p, out->data, scale);
    lit_node *node = lit__record(op, sum_backward, out, 1, &x);
    if (node) {
        rplan *saved = lit_arena_alloc(lit_arena_current(), sizeof *saved);
        *saved = p;
        node->extra = saved;
        node->scalars[0] = scale;
    }
    return out;
}

lit_tensor *lit_sum(lit_tensor *x, int n_dims, const int *dims, int keepdim) {
    return sum_or_mean(x, n_dims, dims, keepdim, 0, "lit_sum");
}

lit_tensor *lit_mean(lit_tensor *x, int n_dims, const int *dims, int keepdim) {
    return sum_or_mean(x, n_dims, dims, keepdim, 1, "lit_mean");
}

lit_tensor *lit_sum_all(lit_tensor *x) { return sum_or_mean(x, 0, NULL, 0, 0, "lit_sum_all"); }

lit_tensor *lit_mean_all(lit_tensor *x) { return sum_or_mean(x, 0, NULL, 0, 1, "lit_mean_all"); }

/* ---------------------------------------------------------------- var */

/* saved[0]: contiguous x; saved[1]: mean (f32, output layout). */
static void var_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *x = n->inputs[0];
    if (!lit__needs_grad(x)) return;
    rplan *p = n->extra;
    lit_tensor *gc = lit__dense((lit_tensor *)g);
    broadcast_back(p, grad_of(x, n->op), gc->data, n->saved[0]->data, n->saved[1]->data, n->scalars[0], 1);
}

lit_tensor *lit_var(lit_tensor *x, int n_dims, const int *dims, int correction, int keepdim) {
    const char *op = "lit_var";
    lit__check_f32(x, op);
    LIT_ASSERT(correction >= 0, "%s: correction is %d; pass 0 (population) or 1 (unbiased)", op, correction);
    rplan p = make_plan(x, n_dims, dims, keepdim, op);
    lit_tensor *out = lit_empty(LIT_F32, p.out_ndim, p.out_shape);
    lit_tensor *mean = lit_empty(LIT_F32, p.out_ndim, p.out_shape);
    int64_t n_out = out->numel, r = p.count;
    double denom = r - correction > 0 ? (double)(r - correction) : 0.0; /* torch: max(0, N - correction) */
    /* One contiguous row per output; two passes in double (mean, then squares). */
    int64_t k1, rr, k2;
    lit_tensor *xc = lit__dense(x); /* backward reads x in its own layout */
    lit_tensor *rows = (three_groups(&p, &k1, &rr, &k2) && k2 == 1) ? xc : kept_then_reduced(x, &p);
    const float *xs = rows->data;
    float *o = out->data, *m = mean->data;
    LIT__PAR_FOR(x->numel >= LIT_PARALLEL_MIN, schedule(static),
        for (int64_t i = 0; i < n_out; i++) {
            const float *row = xs + i * r;
            double mu = row_sum(row, r) / (double)r, ss = 0;
            for (int64_t j = 0; j < r; j++) ss += ((double)row[j] - mu) * ((double)row[j] - mu);
            m[i] = (float)mu;
            o[i] = (float)(ss / denom);
        });
    lit_node *node = lit__record("var", var_backward, out, 1, &x);
    if (node) {
        rplan *saved = lit_arena_alloc(lit_arena_current(), sizeof *saved);
        *saved = p;
        node->extra = saved;
        node->saved[0] = xc;
        node->saved[1] = mean;
        node->scalars[0] = 2.0 / denom;
    }
    return out;
}

/* ---------------------------------------------------------------- max, min, argmax */

typedef enum { EXT_MAX, EXT_MIN } ext_kind;

/* NaN wins (torch propagates it); ties keep the first index. */
static inline int better(ext_kind k, float v, float best) {
    if (v != v) return best == best;
    return k == EXT_MAX ? v > best : v < best;
}

/* Values and first indices of the extremum along `dim` of contiguous x
 * viewed as [outer, n, inner]. */
static void extreme(const lit_tensor *x, int dim, ext_kind kind, float *val, int64_t *arg) {
    int64_t outer = 1, n = x->ndim ? x->shape[dim] : 1, inner = 1;
    for (int d = 0; d < dim; d++) outer *= x->shape[d];
    for (int d = dim + 1; d < x->ndim; d++) inner *= x->shape[d];
    const float *xs = x->data;
    LIT__PAR_FOR(x->numel >= LIT_PARALLEL_MIN && outer > 1, schedule(static),
        for (int64_t o = 0; o < outer; o++) {
            const float *blk = xs + o * n * inner;
            float *v = val + o * inner;
            int64_t *a = arg + o * inner;
            for (int64_t i = 0; i < inner; i++) {
                v[i] = blk[i];
                a[i] = 0;
            }
            for (int64_t j = 1; j < n; j++) {
                const float *row = blk + j * inner;
                for (int64_t i = 0; i < inner; i++)
                    if (better(kind, row[i], v[i])) {
                        v[i] = row[i];
                        a[i] = j;
                    }
            }
        });
}

/* Output shape of a one-dim reduction. */
static int one_dim_shape(const lit_tensor *x, int dim, int keepdim, int64_t *shape) {
    int n = 0;
    for (int d = 0; d < x->ndim; d++) {
        if (d != dim) shape[n++] = x->shape[d];
        else if (keepdim) shape[n++] = 1;
    }
    return n;
}

/* saved[0]: i64 argument indices in [outer, inner] layout; ints[0]: dim. */
static void extreme_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *x = n->inputs[0];
    if (!lit__needs_grad(x)) return;
    int dim = (int)n->ints[0];
    int64_t outer = 1, len = x->ndim ? x->shape[dim] : 1, inner = 1;
    for (int d = 0; d < dim; d++) outer *= x->shape[d];
    for (int d = dim + 1; d < x->ndim; d++) inner *= x->shape[d];
    const float *gs = lit__dense((lit_tensor *)g)->data;
    const int64_t *arg = n->saved[0]->data;
    float *dx = grad_of(x, n->op);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) dx[(o * len + arg[o * inner + i]) * inner + i] += gs[o * inner + i];
}

static lit_tensor *extreme_op(lit_tensor *x, int dim, int keepdim, ext_kind kind, int want_index, const char *op) {
    lit__check_f32(x, op);
    int d = lit__norm_dim(dim, x->ndim, op);
    LIT_ASSERT(x->ndim == 0 || x->shape[d] > 0,
               "%s: dim %d of %s has size 0; the extremum of an empty dim is undefined (reduce a non-empty dim)", op,
               dim, LIT_SHAPE_STR(x));
    int64_t shape[LIT_MAX_DIMS];
    int nd = one_dim_shape(x, d, keepdim, shape);
    lit_tensor *xc = lit__dense(x);
    lit_tensor *val = lit_empty(LIT_F32, nd, shape), *arg = lit_empty(LIT_I64, nd, shape);
    extreme(xc, d, kind, val->data, arg->data);
    if (want_index) return arg;
    lit_node *node = lit__record(op, extreme_backward, val, 1, &x);
    if (node) {
        node->saved[0] = arg;
        node->ints[0] = d;
    }
    return val;
}

lit_tensor *lit_max(lit_tensor *x, int dim, int keepdim) { return extreme_op(x, dim, keepdim, EXT_MAX, 0, "lit_max"); }

lit_tensor *lit_min(lit_tensor *x, int dim, int keepdim) { return extreme_op(x, dim, keepdim, EXT_MIN, 0, "lit_min"); }

lit_tensor *lit_argmax(lit_tensor *x, int dim, int keepdim) {
    return extreme_op(x, dim, keepdim, EXT_MAX, 1, "lit_argmax");
}
