/*
 * Scaled dot-product attention, fused per (batch, head): scores, optional
 * causal mask, stable softmax and the weighted sum of values, with the
 * probabilities saved for an exact backward:
 *   dV = P^T dO;  dP = dO V^T;  dS = P * (dP - rowsum(dP * P));
 *   dQ = scale * dS K;  dK = scale * dS^T Q.
 */
#include <math.h>
#include <string.h>

#include "litc/backend.h"
#include "ops-impl.h"

typedef struct {
    int64_t bh, tq, tk, d;
} attn_dims;

/* Row-wise masked softmax of s (tq, tk) in place. */
static void softmax_rows(float *s, int64_t tq, int64_t tk, int causal) {
    for (int64_t i = 0; i < tq; i++) {
        float *row = s + i * tk;
        int64_t valid = causal ? (i + 1 < tk ? i + 1 : tk) : tk;
        float mx = -INFINITY;
        for (int64_t j = 0; j < valid; j++) mx = row[j] > mx ? row[j] : mx;
        double sum = 0;
        for (int64_t j = 0; j < valid; j++) {
            row[j] = expf(row[j] - mx);
            sum += row[j];
        }
        float inv = (float)(1.0 / sum);
        for (int64_t j = 0; j < valid; j++) row[j] *= inv;
        for (int64_t j = valid; j < tk; j++) row[j] = 0.0f;
    }
}

static void attention_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *q = n->saved[0], *k = n->saved[1], *v = n->saved[2], *p = n->saved[3];
    const attn_dims dm = {(int64_t)n->scalars[1], q->shape[2], k->shape[2], q->shape[3]};
    const float scale = (float)n->scalars[0];
    const lit_backend *be = lit_backend_get();
    lit_tensor *go = lit_contiguous((lit_tensor *)g);
    lit_tensor *dq = lit_zeros(LIT_F32, q->ndim, q->shape), *dk = lit_zeros(LIT_F32, k->ndim, k->shape),
               *dv = lit_zeros(LIT_F32, v->ndim, v->shape);
    float *dp = lit_arena_alloc(lit_arena_current(), (size_t)(dm.tq * dm.tk) * sizeof(float));
    for (int64_t b = 0; b < dm.bh; b++) {
        const float *P = lit_f32(p) + b * dm.tq * dm.tk, *dO = lit_f32(go) + b * dm.tq * dm.d;
        const float *Q = lit_f32(q) + b * dm.tq * dm.d, *K = lit_f32(k) + b * dm.tk * dm.d,
                    *V = lit_f32(v) + b * dm.tk * dm.d;
        be->sgemm(1, 0, dm.tk, dm.d, dm.tq, 1.0f, P, dm.tk, dO, dm.d, 0.0f, lit_f32(dv) + b * dm.tk * dm.d, dm.d);
        be->sgemm(0, 1, dm.tq, dm.tk, dm.d, 1.0f, dO, dm.d, V, dm.d, 0.0f, dp, dm.tk);
        for (int64_t i = 0; i < dm.tq; i++) {
            float *dprow = dp + i * dm.tk;
            const float *prow = P + i * dm.tk;
            double dot = 0;
            for (int64_t j = 0; j < dm.tk; j++) dot += (double)dprow[j] * prow[j];
            for (int64_t j = 0; j < dm.tk; j++) dprow[j] = prow[j] * (dprow[j] - (float)dot);
        }
        be->sgemm(0, 0, dm.tq, dm.d, dm.tk, scale, dp, dm.tk, K, dm.d, 0.0f, lit_f32(dq) + b * dm.tq * dm.d, dm.d);
        be->sgemm(1, 0, dm.tk, dm.d, dm.tq, scale, dp, dm.tk, Q, dm.d, 0.0f, lit_f32(dk) + b * dm.tk * dm.d, dm.d);
    }
    lit__accumulate_grad(n->inputs[0], dq);
    lit__accumulate_grad(n->inputs[1], dk);
    lit__accumulate_grad(n->inputs[2], dv);
}

lit_tensor *lit_scaled_dot_product_attention(lit_tensor *q, lit_tensor *k, lit_tensor *v, int causal,
                                             double scale) {
    const char *op = "scaled_dot_product_attention";
    lit__check_f32(q, op);
    lit__check_f32(k, op);
    lit__check_f32(v, op);
    LIT_ASSERT(q->ndim == 4 && k->ndim == 4 && v->ndim == 4,
               "%s: q %s, k %s, v %s must all be 4-d (B, H, T, D); reshape heads first", op, LIT_SHAPE_STR(q),
               LIT_SHAPE_STR(k), LIT_SHAPE_STR(v));
    LIT_ASSERT(lit_same_shape(k, v) && q->shape[0] == k->shape[0] && q->shape[1] == k->shape[1] &&
                   q->shape[3] == k->shape[3],
               "%s: q %s, k %s, v %s disagree: need q (B, H, Tq, D) and k, v (B, H, Tk, D)", op, LIT_SHAPE_STR(q),
               LIT_SHAPE_STR(k), LIT_SHAPE_STR(v));
    const attn_dims dm = {q->shape[0] * q->shape[1], q->shape[2], k->shape[2], q->shape[3]};
    if (scale <= 0) scale = dm.d > 0 ? 1.0 / sqrt((double)dm.d) : 1.0;
    lit_tensor *qc = lit_contiguous(q), *kc = lit_contiguous(k), *vc = lit_contiguous(v);
    lit_tensor *p = lit_empty(LIT_F32, LIT_SHAPE(q->shape[0], q->shape[1], dm.tq, dm.tk));
    lit_tensor *out = lit_empty(LIT_F32, q->ndim, q->shape);
    const lit_backend *be = lit_backend_get();
    for (int64_t b = 0; b < dm.bh; b++) {
        float *P = lit_f32(p) + b * dm.tq * dm.tk;
        be->sgemm(0, 1, dm.tq, dm.tk, dm.d, (float)scale, lit_f32(qc) + b * dm.tq * dm.d, dm.d,
                  lit_f32(kc) + b * dm.tk * dm.d, dm.d, 0.0f, P, dm.tk);
        softmax_rows(P, dm.tq, dm.tk, causal);
        be->sgemm(0, 0, dm.tq, dm.d, dm.tk, 1.0f, P, dm.tk, lit_f32(vc) + b * dm.tk * dm.d, dm.d, 0.0f,
                  lit_f32(out) + b * dm.tq * dm.d, dm.d);
    }
    lit_tensor *ins[3] = {q, k, v};
    lit_node *n = lit__record("scaled_dot_product_attention", attention_backward, out, 3, ins);
    if (n) {
        n->saved[0] = qc, n->saved[1] = kc, n->saved[2] = vc, n->saved[3] = p;
        n->scalars[0] = scale;
        n->scalars[1] = (double)dm.bh;
    }
    return out;
}
