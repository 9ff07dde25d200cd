/*
 * Scaled dot-product attention, fused per (batch, head), forward and
 * backward side by side.
 *
 * Forward, for each (b, h): S = scale * Q K^T, causal mask (key j > query i,
 * aligned at the start as PyTorch's is_causal), stable softmax P, O = P V.
 * Only the log-sum-exp of each score row is saved (B, H, Tq), not P: backward
 * recomputes P = exp(S - lse) from the saved Q, K, so the saved state is
 * O(T) per head instead of O(T^2). Backward:
 *   dV = P^T dO;  dP = dO V^T;  dS = P * (dP - rowsum(dO * O));
 *   dQ = scale * dS K;  dK = scale * dS^T Q.
 *
 * Each (b, h) is computed by one thread with its own scratch (2 Tq x Tk
 * floats), so results do not depend on how heads are spread over threads.
 */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "litc/backend.h"
#include "ops-impl.h"

typedef struct {
    int64_t bh, tq, tk, d, dv;
    int causal;
    float scale;
} attn_dims;

/* Keys query row i may attend to: [0, n_keys). */
static inline int64_t n_keys(const attn_dims *m, int64_t i) {
    return m->causal ? (i + 1 < m->tk ? i + 1 : m->tk) : m->tk;
}

/* Per-thread scratch of `per` floats for every thread a parallel loop over
 * `iters` items may use (allocated before the loop: arenas are not
 * thread-safe). */
static float *scratch(int64_t per, int64_t iters, int *threads) {
    int t = iters > 1 ? omp_get_max_threads() : 1;
    *threads = t;
    return lit_arena_alloc(lit_arena_current(), (size_t)(per * t > 0 ? per * t : 1) * sizeof(float));
}

/* The probability of a masked key: 0, or NaN when the row's softmax is NaN
 * (`stat`, its sum or log-sum-exp, is NaN), as torch's softmax of a row masked
 * with -inf gives: a NaN score then reaches dV through every key. */
static inline float masked_prob(double stat) { return isnan(stat) ? NAN : 0.0f; }

/* ---------------------------------------------------------------- forward */

/* One (b, h): out (tq, dv) and lse (tq) from q (tq, d), k (tk, d), v (tk, dv). */
static void attn_forward_head(const lit_backend *be, const attn_dims *m, const float *q, const float *k,
                              const float *v, float *out, float *lse, float *P) {
    be->sgemm(0, 1, m->tq, m->tk, m->d, m->scale, q, m->d, k, m->d, 0.0f, P, m->tk);
    for (int64_t i = 0; i < m->tq; i++) {
        float *row = P + i * m->tk;
        int64_t valid = n_keys(m, i);
        float mx = -INFINITY;
        for (int64_t j = 0; j < valid; j++) mx = lit__max_keep_nan(mx, row[j]);
        double sum = 0;
        for (int64_t j = 0; j < valid; j++) {
            row[j] = expf(row[j] - mx);
            sum += row[j];
        }
        float inv = (float)(1.0 / sum);
        for (int64_t j = 0; j < valid; j++) row[j] *= inv;
        for (int64_t j = valid; j < m->tk; j++) row[j] = masked_prob(sum);
        lse[i] = valid ? mx + (float)log(sum) : -INFINITY;
    }
    be->sgemm(0, 0, m->tq, m->dv, m->tk, 1.0f, P, m->tk, v, m->dv, 0.0f, out, m->dv);
}

/* ---------------------------------------------------------------- backward */

/* One (b, h): accumulates (beta = 1) into dq, dk, dv where they are not NULL. */
static void attn_backward_head(const lit_backend *be, const attn_dims *m, const float *q, const float *k,
                               const float *v, const float *o, const float *lse, const float *dout, float *dq,
                               float *dk, float *dv, float *P, float *dS) {
    /* P = exp(S - lse), recomputed from the scores; masked entries are 0 (NaN in a NaN row). */
    be->sgemm(0, 1, m->tq, m->tk, m->d, m->scale, q, m->d, k, m->d, 0.0f, P, m->tk);
    for (int64_t i = 0; i < m->tq; i++) {
        float *row = P + i * m->tk;
        int64_t valid = n_keys(m, i);
        for (int64_t j = 0; j < valid; j++) row[j] = expf(row[j] - lse[i]);
        for (int64_t j = valid; j < m->tk; j++) row[j] = masked_prob(lse[i]);
    }
    if (dv) be->sgemm(1, 0, m->tk, m->dv, m->tq, 1.0f, P, m->tk, dout, m->dv, 1.0f, dv, m->dv);
    if (!dq && !dk) return;
    be->sgemm(0, 1, m->tq, m->tk, m->dv, 1.0f, dout, m->dv, v, m->dv, 0.0f, dS, m->tk);
    for (int64_t i = 0; i < m->tq; i++) {
        double delta = 0; /* rowsum(dO * O) = rowsum(dP * P) */
        for (int64_t c = 0; c < m->dv; c++) delta += (double)dout[i * m->dv + c] * o[i * m->dv + c];
        float *ds = dS + i * m->tk;
        const float *p = P + i * m->tk;
        for (int64_t j = 0; j < m->tk; j++) ds[j] = p[j] * (ds[j] - (float)delta);
    }
    if (dq) be->sgemm(0, 0, m->tq, m->d, m->tk, m->scale, dS, m->tk, k, m->d, 1.0f, dq, m->d);
    if (dk) be->sgemm(1, 0, m->tk, m->d, m->tq, m->scale, dS, m->tk, q, m->d, 1.0f, dk, m->d);
}

static void attention_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *q = n->saved[0], *k = n->saved[1], *v = n->saved[2], *lse = n->saved[3], *o = n->out;
    const attn_dims m = {q->shape[0] * q->shape[1], q->shape[2], k->shape[2], q->shape[3], v->shape[3],
                         (int)n->ints[0], (float)n->scalars[0]};
    const float *go = lit__dense((lit_tensor *)g)->data;
    /* Gradients are contiguous in the inputs' shapes, as the dense copies:
     * sgemm accumulates straight into them. */
    float *dq = lit__needs_grad(n->inputs[0]) ? lit_f32(lit__grad_buffer(n->inputs[0])) : NULL;
    float *dk = lit__needs_grad(n->inputs[1]) ? lit_f32(lit__grad_buffer(n->inputs[1])) : NULL;
    float *dv = lit__needs_grad(n->inputs[2]) ? lit_f32(lit__grad_buffer(n->inputs[2])) : NULL;
    const lit_backend *be = lit_backend_get();
    int threads;
    const int64_t per = 2 * m.tq * m.tk;
    float *work = scratch(per, m.bh, &threads);
    const float *Q = q->data, *K = k->data, *V = v->data, *O = o->data, *L = lse->data;
    LIT__PAR_FOR(threads > 1, schedule(static) num_threads(threads),
        for (int64_t b = 0; b < m.bh; b++) {
            float *P = work + omp_get_thread_num() * per;
            attn_backward_head(be, &m, Q + b * m.tq * m.d, K + b * m.tk * m.d, V + b * m.tk * m.dv,
                               O + b * m.tq * m.dv, L + b * m.tq, go + b * m.tq * m.dv,
                               dq ? dq + b * m.tq * m.d : NULL, dk ? dk + b * m.tk * m.d : NULL,
                               dv ? dv + b * m.tk * m.dv : NULL, P, P + m.tq * m.tk);
        });
}

lit_tensor *lit_scaled_dot_product_attention(lit_tensor *q, lit_tensor *k, lit_tensor *v, int causal,
                                             double scale) {
    const char *op = "lit_scaled_dot_product_attention";
    lit__check_f32(q, op);
    lit__check_f32(k, op);
    lit__check_f32(v, op);
    LIT_ASSERT(q->ndim == 4 && k->ndim == 4 && v->ndim == 4,
               "%s: q %s, k %s, v %s must all be 4-d (B, H, T, D); split heads with reshape + transpose first", op,
               LIT_SHAPE_STR(q), LIT_SHAPE_STR(k), LIT_SHAPE_STR(v));
    LIT_ASSERT(q->shape[0] == k->shape[0] && q->shape[1] == k->shape[1] && q->shape[3] == k->shape[3] &&
                   v->shape[0] == k->shape[0] && v->shape[1] == k->shape[1] && v->shape[2] == k->shape[2],
               "%s: q %s, k %s, v %s do not fit together: need q (B, H, Tq, D), k (B, H, Tk, D), v (B, H, Tk, Dv)",
               op, LIT_SHAPE_STR(q), LIT_SHAPE_STR(k), LIT_SHAPE_STR(v));
    const int64_t B = q->shape[0], H = q->shape[1];
    if (scale <= 0) scale = q->shape[3] > 0 ? 1.0 / sqrt((double)q->shape[3]) : 1.0;
    const attn_dims m = {B * H, q->shape[2], k->shape[2], q->shape[3], v->shape[3], causal != 0, (float)scale};
    lit_tensor *qc = lit__dense(q), *kc = lit__dense(k), *vc = lit__dense(v);
    lit_tensor *out = lit_empty(LIT_F32, LIT_SHAPE(B, H, m.tq, m.dv));
    lit_tensor *lse = lit_empty(LIT_F32, LIT_SHAPE(B, H, m.tq));
    const lit_backend *be = lit_backend_get();
    int threads;
    float *work = scratch(m.tq * m.tk, m.bh, &threads);
    const float *Q = qc->data, *K = kc->data, *V = vc->data;
    float *O = out->data, *L = lse->data;
    LIT__PAR_FOR(threads > 1, schedule(static) num_threads(threads),
        for (int64_t b = 0; b < m.bh; b++) {
            attn_forward_head(be, &m, Q + b * m.tq * m.d, K + b * m.tk * m.d, V + b * m.tk * m.dv,
                              O + b * m.tq * m.dv, L + b * m.tq, work + omp_get_thread_num() * m.tq * m.tk);
        });
    lit_node *n = lit__record("scaled_dot_product_attention", attention_backward, out, 3, (lit_tensor *[]){q, k, v});
    if (n) {
        n->saved[0] = qc;
        n->saved[1] = kc;
        n->saved[2] = vc;
        n->saved[3] = lse;
        n->ints[0] = m.causal;
        n->scalars[0] = scale;
    }
    return out;
}
