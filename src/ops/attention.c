/*
 * Scaled dot-product attention, fused per (batch, head), forward and
 * backward side by side.
 *
 * Forward, for each (b, h): S = scale * Q K^T, then the masks: causal (key
 * j > query i is skipped, aligned at the start as PyTorch's is_causal), a
 * boolean mask (a key it excludes scores -inf, as torch's masked_fill) or an
 * additive one (added to S); stable softmax P; dropout D = P * F with F the
 * inverted-dropout factors (1/(1-p) kept, 0 dropped); O = D V.
 * Only the log-sum-exp of each score row is saved (B, H, Tq), not P: backward
 * recomputes P = exp(S - lse) from the saved Q, K and mask, and regenerates F
 * from the Philox counter the forward used, so the saved state is O(T) per
 * head instead of O(T^2). Backward:
 *   dV = D^T dO;  dD = dO V^T;  dS = P * (F * dD - rowsum(dO * O));
 *   dS = 0 where a boolean or causal mask excluded the key (masked_fill's
 *   gradient);  dQ = scale * dS K;  dK = scale * dS^T Q.
 * (rowsum(dO * O) = rowsum(dD * D) = rowsum(F dD * P), as O = D V.)
 *
 * Dropout draws element e = ((b*H + h)*Tq + i)*Tk + j of the (B, H, Tq, Tk)
 * probabilities from word e%4 of Philox block (counter + e/4), the draw
 * lit_dropout makes for a tensor of that shape, so the factors depend on
 * (seed, counter) only, never on the thread count.
 *
 * Each (b, h) is computed by one thread with its own scratch (Tq x Tk floats
 * forward, 2 Tq x Tk backward, plus one Tk row of dropout factors), so results
 * do not depend on how heads are spread over threads.
 */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "litc/backend.h"
#include "ops-impl.h"

typedef struct {
    int64_t bh, heads, tq, tk, d, dv;
    int causal;
    float scale;
    /* Mask as f32 in its own shape padded to 4-d, NULL when none; strides
     * (b, h, i, j) address it broadcast to (B, H, Tq, Tk). */
    const float *mask;
    int mask_bool; /* 1: 0 excludes the key (masked_fill -inf); 0: added to the scores */
    int64_t mstride[4];
    /* Dropout on P: probability, factor of a kept entry, Philox key and first block. */
    float drop_p, drop_scale;
    uint64_t seed, base;
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

/* Row i of head bh of the mask (stride mstride[3] along the keys). */
static inline const float *mask_at(const attn_dims *m, int64_t bh, int64_t i) {
    return m->mask + (bh / m->heads) * m->mstride[0] + (bh % m->heads) * m->mstride[1] + i * m->mstride[2];
}

/* Applies the mask to the first `valid` scores of row i of head bh: a
 * boolean mask's excluded keys become -inf, an additive mask is added. A row
 * with every key excluded then has softmax NaN, as torch's. */
static void mask_row(const attn_dims *m, int64_t bh, int64_t i, float *row, int64_t valid) {
    if (!m->mask) return;
    const float *mr = mask_at(m, bh, i);
    const int64_t sj = m->mstride[3];
    if (m->mask_bool) {
        for (int64_t j = 0; j < valid; j++)
            if (mr[j * sj] == 0.0f) row[j] = -INFINITY;
    } else {
        for (int64_t j = 0; j < valid; j++) row[j] += mr[j * sj];
    }
}

/* Dropout factors f[0, n) of the probabilities from flat element e0 of the
 * (B, H, Tq, Tk) tensor on: 1/(1-p) where u >= p (kept), else 0, with u the
 * uniform draw lit_dropout makes for the same element. */
static void dropout_factors(const attn_dims *m, uint64_t e0, int64_t n, float *f) {
    uint32_t w[4];
    int64_t j = 0;
    while (j < n) {
        const uint64_t e = e0 + (uint64_t)j;
        lit_philox4x32(m->seed, m->base + e / 4, w);
        for (unsigned word = (unsigned)(e & 3); word < 4 && j < n; word++, j++) {
            const float u = (float)(w[word] >> 8) * (1.0f / 16777216.0f);
            f[j] = u >= m->drop_p ? m->drop_scale : 0.0f;
        }
    }
}

/* Flat index of element (bh, i, 0) of the (B, H, Tq, Tk) probabilities. */
static inline uint64_t row_start(const attn_dims *m, int64_t bh, int64_t i) {
    return ((uint64_t)bh * (uint64_t)m->tq + (uint64_t)i) * (uint64_t)m->tk;
}

/* ---------------------------------------------------------------- forward */

/* One head bh: out (tq, dv) and lse (tq) from q (tq, d), k (tk, d), v (tk, dv).
 * P is (tq, tk) scratch, f one row of tk. */
static void attn_forward_head(const lit_backend *be, const attn_dims *m, int64_t bh, const float *q, const float *k,
                              const float *v, float *out, float *lse, float *P, float *f) {
    be->sgemm(0, 1, m->tq, m->tk, m->d, m->scale, q, m->d, k, m->d, 0.0f, P, m->tk);
    for (int64_t i = 0; i < m->tq; i++) {
        float *row = P + i * m->tk;
        int64_t valid = n_keys(m, i);
        mask_row(m, bh, i, row, valid);
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
        /* Dropout multiplies (a dropped NaN stays NaN, as torch); the
         * entries past `valid` are 0 or NaN, which it would not change. */
        if (m->drop_p > 0) {
            dropout_factors(m, row_start(m, bh, i), valid, f);
            for (int64_t j = 0; j < valid; j++) row[j] *= f[j];
        }
    }
    be->sgemm(0, 0, m->tq, m->dv, m->tk, 1.0f, P, m->tk, v, m->dv, 0.0f, out, m->dv);
}

/* ---------------------------------------------------------------- backward */

/* dS of the keys a boolean or causal mask excluded is 0, as the gradient of
 * torch's masked_fill: a NaN row (every key excluded, or a NaN score) then
 * sends no NaN to dq through them, nor to dk of the excluded keys. */
static void zero_excluded(const attn_dims *m, int64_t bh, int64_t i, float *ds, int64_t valid) {
    for (int64_t j = valid; j < m->tk; j++) ds[j] = 0.0f;
    if (!m->mask || !m->mask_bool) return;
    const float *mr = mask_at(m, bh, i);
    for (int64_t j = 0; j < valid; j++)
        if (mr[j * m->mstride[3]] == 0.0f) ds[j] = 0.0f;
}

/* Row i of head bh: P row (the scores on entry) <- D = P * F, what multiplied
 * V; dS row (dD = dO V^T on entry, when not NULL) <- P * (F * dD - delta). */
static void attn_backward_row(const attn_dims *m, int64_t bh, int64_t i, float lse, double delta, float *row,
                              float *ds, float *f) {
    int64_t valid = n_keys(m, i);
    mask_row(m, bh, i, row, valid);
    for (int64_t j = 0; j < valid; j++) row[j] = expf(row[j] - lse);
    for (int64_t j = valid; j < m->tk; j++) row[j] = masked_prob(lse);
    if (m->drop_p > 0) {
        dropout_factors(m, row_start(m, bh, i), valid, f);
        if (ds)
            for (int64_t j = 0; j < valid; j++) ds[j] = row[j] * (f[j] * ds[j] - (float)delta);
        for (int64_t j = 0; j < valid; j++) row[j] *= f[j];
    } else if (ds) {
        for (int64_t j = 0; j < valid; j++) ds[j] = row[j] * (ds[j] - (float)delta);
    }
    if (ds) zero_excluded(m, bh, i, ds, valid);
}

/* One head bh: accumulates (beta = 1) into dq, dk, dv where they are not NULL.
 * P and dS are (tq, tk) scratch, f one row of tk. */
static void attn_backward_head(const lit_backend *be, const attn_dims *m, int64_t bh, const float *q,
                               const float *k, const float *v, const float *o, const float *lse,
                               const float *dout, float *dq, float *dk, float *dv, float *P, float *dS, float *f) {
    const int need_ds = dq || dk;
    be->sgemm(0, 1, m->tq, m->tk, m->d, m->scale, q, m->d, k, m->d, 0.0f, P, m->tk);
    if (need_ds) be->sgemm(0, 1, m->tq, m->tk, m->dv, 1.0f, dout, m->dv, v, m->dv, 0.0f, dS, m->tk);
    for (int64_t i = 0; i < m->tq; i++) {
        double delta = 0; /* rowsum(dO * O) */
        if (need_ds)
            for (int64_t c = 0; c < m->dv; c++) delta += (double)dout[i * m->dv + c] * o[i * m->dv + c];
        attn_backward_row(m, bh, i, lse[i], delta, P + i * m->tk, need_ds ? dS + i * m->tk : NULL, f);
    }
    if (dv) be->sgemm(1, 0, m->tk, m->dv, m->tq, 1.0f, P, m->tk, dout, m->dv, 1.0f, dv, m->dv);
    if (dq) be->sgemm(0, 0, m->tq, m->d, m->tk, m->scale, dS, m->tk, k, m->d, 1.0f, dq, m->d);
    if (dk) be->sgemm(1, 0, m->tk, m->d, m->tq, m->scale, dS, m->tk, q, m->d, 1.0f, dk, m->d);
}

static void attention_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *q = n->saved[0], *k = n->saved[1], *v = n->saved[2], *lse = n->saved[3], *o = n->out;
    const attn_dims m = *(const attn_dims *)n->extra;
    const float *go = lit__dense((lit_tensor *)g)->data;
    /* Gradients are contiguous in the inputs' shapes, as the dense copies:
     * sgemm accumulates straight into them. */
    float *dq = lit__needs_grad(n->inputs[0]) ? lit_f32(lit__grad_buffer(n->inputs[0])) : NULL;
    float *dk = lit__needs_grad(n->inputs[1]) ? lit_f32(lit__grad_buffer(n->inputs[1])) : NULL;
    float *dv = lit__needs_grad(n->inputs[2]) ? lit_f32(lit__grad_buffer(n->inputs[2])) : NULL;
    const lit_backend *be = lit_backend_get();
    int threads;
    const int64_t per = 2 * m.tq * m.tk + m.tk;
    float *work = scratch(per, m.bh, &threads);
    const float *Q = q->data, *K = k->data, *V = v->data, *O = o->data, *L = lse->data;
    LIT__PAR_FOR(threads > 1, schedule(static) num_threads(threads),
        for (int64_t b = 0; b < m.bh; b++) {
            float *P = work + omp_get_thread_num() * per;
            attn_backward_head(be, &m, b, Q + b * m.tq * m.d, K + b * m.tk * m.d, V + b * m.tk * m.dv,
                               O + b * m.tq * m.dv, L + b * m.tq, go + b * m.tq * m.dv,
                               dq ? dq + b * m.tq * m.d : NULL, dk ? dk + b * m.tk * m.d : NULL,
                               dv ? dv + b * m.tk * m.dv : NULL, P, P + m.tq * m.tk, P + 2 * m.tq * m.tk);
        });
}

/* ---------------------------------------------------------------- entry points */

lit_sdpa_params lit_sdpa_default_params(void) {
    return (lit_sdpa_params){.mask = NULL, .mask_kind = LIT_SDPA_MASK_AUTO, .is_causal = 0, .dropout_p = 0.0,
                             .scale = 0.0, .rng = NULL};
}

/* The mask as an f32 copy in its own shape padded to 4-d (a copy: later
 * writes to the caller's mask cannot change backward), its strides broadcast
 * to (B, H, Tq, Tk) into m. Asserts it broadcasts and carries no gradient. */
static lit_tensor *prepare_mask(const lit_sdpa_params *p, const int64_t full[4], attn_dims *m, const char *op) {
    lit_tensor *mask = p->mask;
    lit__check_input(mask, op);
    LIT_ASSERT(p->mask_kind == LIT_SDPA_MASK_AUTO || p->mask_kind == LIT_SDPA_MASK_BOOL ||
                   p->mask_kind == LIT_SDPA_MASK_ADDITIVE,
               "%s: mask_kind is %d; pass LIT_SDPA_MASK_AUTO, LIT_SDPA_MASK_BOOL or LIT_SDPA_MASK_ADDITIVE", op,
               (int)p->mask_kind);
    const int is_float = lit_dtype_is_float(mask->dtype);
    LIT_ASSERT(p->mask_kind != LIT_SDPA_MASK_ADDITIVE || is_float,
               "%s: an additive mask must be a float tensor, not %s %s; pass an f32 bias (0 or -inf, say) or use "
               "LIT_SDPA_MASK_BOOL for a 0/1 mask", op, lit_dtype_name(mask->dtype), LIT_SHAPE_STR(mask));
    LIT_ASSERT(!(mask->requires_grad && lit_is_grad_enabled()),
               "%s: mask %s requires grad, but no gradient flows to the mask; pass lit_detach(mask), or add a "
               "learned bias to the scores yourself", op, LIT_SHAPE_STR(mask));
    int ok = mask->ndim <= 4;
    int64_t shape[4] = {1, 1, 1, 1};
    for (int d = 0; ok && d < mask->ndim; d++) {
        int64_t s = mask->shape[mask->ndim - 1 - d];
        shape[3 - d] = s;
        ok = s == 1 || s == full[3 - d];
    }
    LIT_ASSERT(ok,
               "%s: mask %s does not broadcast to the scores (B, H, Tq, Tk) = (%lld, %lld, %lld, %lld); pass "
               "(Tq, Tk), (B, 1, Tq, Tk), (B, H, Tq, Tk), or (B, 1, 1, Tk) for a padding mask", op,
               LIT_SHAPE_STR(mask), (long long)full[0], (long long)full[1], (long long)full[2], (long long)full[3]);
    lit_tensor *bias = lit_empty(LIT_F32, 4, shape);
    int64_t strides[4] = {0, 0, 0, 0};
    for (int d = 0; d < mask->ndim; d++) strides[3 - d] = mask->stride[mask->ndim - 1 - d];
    lit_tensor_copy_(bias, lit__make_view(mask, 4, shape, strides, mask->data));
    m->mask = bias->data;
    m->mask_bool = p->mask_kind == LIT_SDPA_MASK_BOOL || (p->mask_kind == LIT_SDPA_MASK_AUTO && !is_float);
    lit__broadcast_strides(bias, 4, full, m->mstride);
    return bias;
}

/* Dropout settings into m; advances the generator past the probabilities'
 * blocks (p == 0: no dropout, the generator is untouched). */
static void prepare_dropout(const lit_sdpa_params *p, attn_dims *m, const char *op) {
    LIT_ASSERT(p->dropout_p >= 0.0 && p->dropout_p <= 1.0, "%s: dropout_p is %g; pass a drop probability in [0, 1]",
               op, p->dropout_p);
    if (p->dropout_p == 0.0) return;
    lit_rng *rng = p->rng ? p->rng : lit_rng_global();
    m->drop_p = (float)p->dropout_p;
    m->drop_scale = p->dropout_p < 1.0 ? (float)(1.0 / (1.0 - p->dropout_p)) : 0.0f;
    m->seed = rng->seed;
    m->base = rng->counter;
    rng->counter += ((uint64_t)m->bh * (uint64_t)m->tq * (uint64_t)m->tk + 3) / 4;
}

lit_tensor *lit_scaled_dot_product_attention_ex(lit_tensor *q, lit_tensor *k, lit_tensor *v,
                                                const lit_sdpa_params *params) {
    const char *op = "lit_scaled_dot_product_attention";
    const lit_sdpa_params p = params ? *params : lit_sdpa_default_params();
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
    double scale = p.scale;
    if (scale <= 0) scale = q->shape[3] > 0 ? 1.0 / sqrt((double)q->shape[3]) : 1.0;
    attn_dims m = {B * H, H, q->shape[2], k->shape[2], q->shape[3], v->shape[3], p.is_causal != 0, (float)scale,
                   NULL, 0, {0, 0, 0, 0}, 0.0f, 0.0f, 0, 0};
    if (p.mask) prepare_mask(&p, (const int64_t[4]){B, H, m.tq, m.tk}, &m, op);
    prepare_dropout(&p, &m, op);
    lit_tensor *qc = lit__dense(q), *kc = lit__dense(k), *vc = lit__dense(v);
    lit_tensor *out = lit_empty(LIT_F32, LIT_SHAPE(B, H, m.tq, m.dv));
    lit_tensor *lse = lit_empty(LIT_F32, LIT_SHAPE(B, H, m.tq));
    const lit_backend *be = lit_backend_get();
    int threads;
    const int64_t per = m.tq * m.tk + m.tk;
    float *work = scratch(per, m.bh, &threads);
    const float *Q = qc->data, *K = kc->data, *V = vc->data;
    float *O = out->data, *L = lse->data;
    LIT__PAR_FOR(threads > 1, schedule(static) num_threads(threads),
        for (int64_t b = 0; b < m.bh; b++) {
            float *P = work + omp_get_thread_num() * per;
            attn_forward_head(be, &m, b, Q + b * m.tq * m.d, K + b * m.tk * m.d, V + b * m.tk * m.dv,
                              O + b * m.tq * m.dv, L + b * m.tq, P, P + m.tq * m.tk);
        });
    lit_node *n = lit__record("scaled_dot_product_attention", attention_backward, out, 3, (lit_tensor *[]){q, k, v});
    if (n) {
        n->saved[0] = qc;
        n->saved[1] = kc;
        n->saved[2] = vc;
        n->saved[3] = lse;
        attn_dims *saved = lit_arena_alloc(lit_arena_current(), sizeof *saved);
        *saved = m; /* the mask copy it points at lives in the same arena */
        n->extra = saved;
    }
    return out;
}

lit_tensor *lit_scaled_dot_product_attention(lit_tensor *q, lit_tensor *k, lit_tensor *v, int causal,
                                             double scale) {
    lit_sdpa_params p = lit_sdpa_default_params();
    p.is_causal = causal;
    p.scale = scale;
    return lit_scaled_dot_product_attention_ex(q, k, v, &p);
}
