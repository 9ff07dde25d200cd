/*
 * Normalisation: softmax and log-softmax along any dim, and the fused layer
 * norm over the last dim. Forward and backward side by side.
 *
 * Row statistics are computed in double. Parallel loops split independent
 * rows; the layer-norm weight/bias gradients are summed in fixed blocks of
 * rows, then the blocks in order, so results do not depend on thread count.
 */
#include <math.h>
#include <string.h>

#include "ops-impl.h"

/* ---------------------------------------------------------------- softmax */

/* x viewed as [outer, n, inner] around `dim`. */
static void split_dims(const lit_tensor *x, int dim, int64_t *outer, int64_t *n, int64_t *inner) {
    *outer = 1;
    *inner = 1;
    *n = x->ndim ? x->shape[dim] : 1;
    for (int d = 0; d < dim; d++) *outer *= x->shape[d];
    for (int d = dim + 1; d < x->ndim; d++) *inner *= x->shape[d];
}

/* One softmax row of n elements at stride s (log: log-softmax). */
static void softmax_row(const float *x, float *y, int64_t n, int64_t s, int is_log) {
    if (n == 0) return;
    float mx = x[0];
    for (int64_t j = 1; j < n; j++) mx = lit__max_keep_nan(mx, x[j * s]);
    if (isinf(mx) && mx < 0) mx = 0; /* all -inf: avoid -inf - -inf */
    double sum = 0;
    for (int64_t j = 0; j < n; j++) sum += exp((double)x[j * s] - mx);
    if (is_log) {
        double lse = mx + log(sum);
        for (int64_t j = 0; j < n; j++) y[j * s] = (float)((double)x[j * s] - lse);
    } else {
        double inv = 1.0 / sum;
        for (int64_t j = 0; j < n; j++) y[j * s] = (float)(exp((double)x[j * s] - mx) * inv);
    }
}

/* saved[0]: the output y; ints[0]: dim; ints[1]: is_log. */
static void softmax_backward(lit_node *node, const lit_tensor *g) {
    lit_tensor *x = node->inputs[0];
    if (!lit__needs_grad(x)) return;
    int dim = (int)node->ints[0], is_log = (int)node->ints[1];
    int64_t outer, n, inner;
    split_dims(x, dim, &outer, &n, &inner);
    const float *ys = node->saved[0]->data, *gs = lit__dense((lit_tensor *)g)->data;
    lit_tensor *dx = lit_empty(LIT_F32, x->ndim, x->shape);
    float *d = dx->data;
    LIT__PAR_FOR(x->numel >= LIT_PARALLEL_MIN && outer > 1, schedule(static),
        for (int64_t o = 0; o < outer; o++) {
            for (int64_t i = 0; i < inner; i++) {
                int64_t base = o * n * inner + i;
                const float *y = ys + base, *gr = gs + base;
                float *dr = d + base;
                double dot = 0; /* softmax: sum g*y; log-softmax: sum g */
                for (int64_t j = 0; j < n; j++)
                    dot += is_log ? (double)gr[j * inner] : (double)gr[j * inner] * y[j * inner];
                for (int64_t j = 0; j < n; j++) {
                    double yj = y[j * inner];
                    dr[j * inner] = is_log ? (float)(gr[j * inner] - exp(yj) * dot)
                                           : (float)(yj * (gr[j * inner] - dot));
                }
            }
        });
    lit__accumulate_grad(x, dx);
}

static lit_tensor *softmax_impl(lit_tensor *x, int dim, int is_log, const char *op) {
    lit__check_f32(x, op);
    int d = lit__norm_dim(dim, x->ndim, op);
    int64_t outer, n, inner;
    split_dims(x, d, &outer, &n, &inner);
    const float *xs = lit__dense(x)->data;
    lit_tensor *y = lit_empty(LIT_F32, x->ndim, x->shape);
    float *ys = y->data;
    LIT__PAR_FOR(x->numel >= LIT_PARALLEL_MIN && outer > 1, schedule(static),
        for (int64_t o = 0; o < outer; o++) {
            for (int64_t i = 0; i < inner; i++)
                softmax_row(xs + o * n * inner + i, ys + o * n * inner + i, n, inner, is_log);
        });
    lit_node *node = lit__record(is_log ? "log_softmax" : "softmax", softmax_backward, y, 1, &x);
    if (node) {
        node->saved[0] = y;
        node->ints[0] = d;
        node->ints[1] = is_log;
    }
    return y;
}

lit_tensor *lit_softmax(lit_tensor *x, int dim) { return softmax_impl(x, dim, 0, "lit_softmax"); }

lit_tensor *lit_log_softmax(lit_tensor *x, int dim) { return softmax_impl(x, dim, 1, "lit_log_softmax"); }

/* ---------------------------------------------------------------- layer norm */

#define LN_BLOCK 32 /* rows per block of weight/bias gradient partial sums */

/* inputs: x, weight, bias; saved[0]: contiguous x; saved[1]: mean (M);
 * saved[2]: rstd (M). */
static void layer_norm_backward(lit_node *node, const lit_tensor *g) {
    lit_tensor *x = node->inputs[0], *w = node->inputs[1], *b = node->inputs[2];
    int64_t C = x->ndim ? x->shape[x->ndim - 1] : 1, M = C ? x->numel / C : 0;
    const float *xs = node->saved[0]->data, *mean = node->saved[1]->data, *rstd = node->saved[2]->data;
    const float *gs = lit__dense((lit_tensor *)g)->data;
    const float *ws = w ? lit__dense(w)->data : NULL;
    int need_x = lit__needs_grad(x), need_w = w && lit__needs_grad(w), need_b = b && lit__needs_grad(b);
    int64_t nblk = (M + LN_BLOCK - 1) / LN_BLOCK;
    lit_tensor *dx = need_x ? lit_empty(LIT_F32, x->ndim, x->shape) : NULL;
    float *dxs = dx ? dx->data : NULL;
    /* Per block: C partial sums of g*xhat (dweight), then C of g (dbias). */
    double *part = (need_w || need_b) ? lit_arena_calloc(lit_arena_current(), (size_t)(nblk * 2 * C) * sizeof *part)
                                      : NULL;
    LIT__PAR_FOR(x->numel >= LIT_PARALLEL_MIN && nblk > 1, schedule(static),
        for (int64_t blk = 0; blk < nblk; blk++) {
            double *pw = part ? part + blk * 2 * C : NULL, *pb = pw ? pw + C : NULL;
            int64_t r1 = (blk + 1) * LN_BLOCK < M ? (blk + 1) * LN_BLOCK : M;
            for (int64_t r = blk * LN_BLOCK; r < r1; r++) {
                const float *xr = xs + r * C, *gr = gs + r * C;
                double mu = mean[r], rs = rstd[r], s1 = 0, s2 = 0; /* mean of dxhat, of dxhat*xhat */
                for (int64_t j = 0; j < C; j++) {
                    double xh = ((double)xr[j] - mu) * rs, dxh = (double)gr[j] * (ws ? ws[j] : 1.0f);
                    s1 += dxh;
                    s2 += dxh * xh;
                    if (pw) {
                        pw[j] += (double)gr[j] * xh;
                        pb[j] += gr[j];
                    }
                }
                if (!dxs) continue;
                s1 /= (double)C;
                s2 /= (double)C;
                float *dr = dxs + r * C;
                for (int64_t j = 0; j < C; j++) {
                    double xh = ((double)xr[j] - mu) * rs, dxh = (double)gr[j] * (ws ? ws[j] : 1.0f);
                    dr[j] = (float)(rs * (dxh - s1 - xh * s2));
                }
            }
        });
    if (dx) lit__accumulate_grad(x, dx);
    if (!part) return;
    lit_tensor *dw = lit_zeros(LIT_F32, 1, &C), *db = lit_zeros(LIT_F32, 1, &C);
    float *dws = dw->data, *dbs = db->data;
    for (int64_t j = 0; j < C; j++) {
        double sw = 0, sb = 0;
        for (int64_t blk = 0; blk < nblk; blk++) {
            sw += part[blk * 2 * C + j];
            sb += part[blk * 2 * C + C + j];
        }
        dws[j] = (float)sw;
        dbs[j] = (float)sb;
    }
    if (need_w) lit__accumulate_grad(w, dw);
    if (need_b) lit__accumulate_grad(b, db);
}

lit_tensor *lit_layer_norm(lit_tensor *x, lit_tensor *weight, lit_tensor *bias, double eps) {
    const char *op = "lit_layer_norm";
    lit__check_f32(x, op);
    LIT_ASSERT(x->ndim >= 1, "%s: input is 0-d; pass (..., C)", op);
    int64_t C = x->shape[x->ndim - 1], M = lit_numel_of(x->ndim - 1, x->shape);
    lit_tensor *ps[2] = {weight, bias};
    const char *pn[2] = {"weight", "bias"};
    for (int i = 0; i < 2; i++) {
        if (!ps[i]) continue;
        lit__check_f32(ps[i], op);
        LIT_ASSERT(ps[i]->ndim == 1 && ps[i]->shape[0] == C,
                   "%s: %s %s must be (C,) = (%lld,) for input %s (normalised over the last dim)", op, pn[i],
                   LIT_SHAPE_STR(ps[i]), (long long)C, LIT_SHAPE_STR(x));
    }
    LIT_ASSERT(eps >= 0, "%s: eps is %g; pass a small positive value such as 1e-5", op, eps);
    lit_tensor *xc = lit__dense(x);
    lit_tensor *y = lit_empty(LIT_F32, x->ndim, x->shape);
    lit_tensor *mean = lit_empty(LIT_F32, 1, &M), *rstd = lit_empty(LIT_F32, 1, &M);
    const float *xs = xc->data, *ws = weight ? lit__dense(weight)->data : NULL, *bs = bias ? lit__dense(bias)->data : NULL;
    float *ys = y->data, *ms = mean->data, *rs = rstd->data;
    LIT__PAR_FOR(x->numel >= LIT_PARALLEL_MIN && M > 1, schedule(static),
        for (int64_t r = 0; r < M; r++) {
            const float *xr = xs + r * C;
            double mu = 0, var = 0;
            for (int64_t j = 0; j < C; j++) mu += xr[j];
            mu /= (double)C;
            for (int64_t j = 0; j < C; j++) var += ((double)xr[j] - mu) * ((double)xr[j] - mu);
            var /= (double)C;
            double rsd = 1.0 / sqrt(var + eps);
            /* Backward recomputes xhat from the f32-rounded stats: keep them consistent. */
            ms[r] = (float)mu;
            rs[r] = (float)rsd;
            float *yr = ys + r * C;
            for (int64_t j = 0; j < C; j++) {
                double v = ((double)xr[j] - mu) * rsd;
                if (ws) v *= ws[j];
                if (bs) v += bs[j];
                yr[j] = (float)v;
            }
        });
    lit_tensor *ins[3] = {x, weight, bias};
    lit_node *node = lit__record("layer_norm", layer_norm_backward, y, 3, ins);
    if (node) {
        node->saved[0] = xc;
        node->saved[1] = mean;
        node->saved[2] = rstd;
    }
    return y;
}
