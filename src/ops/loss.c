/*
 * Losses: fused cross entropy (log-softmax + NLL, with ignore_index and
 * label smoothing, as torch.nn.functional.cross_entropy) and mean squared
 * error. Forward and backward side by side. Cross entropy takes classes in
 * the last dim, (..., C), and treats every leading position as one row: a
 * language model's (N, T, C) logits are (N*T) rows, as
 * F.cross_entropy(logits.view(-1, C), targets.view(-1)) in PyTorch.
 *
 * Per-row work runs in parallel; the reduction over rows is a serial sum in
 * double in row order, so results do not depend on the thread count.
 */
#include <math.h>
#include <string.h>

#include "ops-impl.h"

/* ---------------------------------------------------------------- cross entropy */

lit_cross_entropy_params lit_cross_entropy_default_params(void) {
    return (lit_cross_entropy_params){.ignore_index = -100, .label_smoothing = 0.0, .reduction = LIT_REDUCTION_MEAN};
}

/* Saved state of a cross-entropy node (in the arena). */
typedef struct {
    lit_tensor *logits, *target; /* contiguous */
    double *lse;                 /* log-sum-exp per row */
    int64_t n, c, ignore_index;
    double smoothing, count;     /* count: non-ignored rows */
    lit_reduction reduction;
} ce_state;

static void cross_entropy_backward(lit_node *node, const lit_tensor *g) {
    lit_tensor *logits = node->inputs[0];
    if (!lit__needs_grad(logits)) return;
    const ce_state *st = node->extra;
    int64_t N = st->n, C = st->c;
    const float *x = st->logits->data, *gs = lit__dense((lit_tensor *)g)->data;
    lit_tensor *dx = lit_empty(LIT_F32, logits->ndim, logits->shape);
    float *d = dx->data;
    double eps = st->smoothing, uni = C ? eps / (double)C : 0;
    double scale = st->reduction == LIT_REDUCTION_MEAN ? (double)gs[0] / st->count : (double)gs[0];
    LIT__PAR_FOR(N * C >= LIT_PARALLEL_MIN, schedule(static),
        for (int64_t i = 0; i < N; i++) {
            float *dr = d + i * C;
            int64_t t = lit__index_at(st->target, i);
            double lse = st->lse[i];
            if (t == st->ignore_index) { /* torch: 0 - softmax * 0, NaN when the row's softmax is */
                float zero = isnan(lse) ? NAN : 0.0f;
                for (int64_t c = 0; c < C; c++) dr[c] = zero;
                continue;
            }
            /* w * (p - uni) written as torch's graph computes it (w p - w uni),
             * so an infinite upstream gradient gives torch's NaN, not Inf. */
            double w = st->reduction == LIT_REDUCTION_NONE ? (double)gs[i] : scale, wu = eps > 0 ? w * uni : 0.0;
            const float *xr = x + i * C;
            for (int64_t c = 0; c < C; c++) dr[c] = (float)(w * exp((double)xr[c] - lse) - wu);
            dr[t] -= (float)(w * (1.0 - eps));
        });
    lit__accumulate_grad(logits, dx);
}

lit_tensor *lit_cross_entropy(lit_tensor *logits, lit_tensor *target, const lit_cross_entropy_params *params) {
    const char *op = "lit_cross_entropy";
    lit_cross_entropy_params p = params ? *params : lit_cross_entropy_default_params();
    lit__check_f32(logits, op);
    lit__check_index(target, op);
    LIT_ASSERT(logits->ndim >= 1, "%s: logits %s must be (..., C): (N, C), (N, T, C) or (C,) for one sample", op,
               LIT_SHAPE_STR(logits));
    /* Classes are the last dim; every leading position is one row. */
    int64_t C = logits->shape[logits->ndim - 1], N = 1;
    int same_lead = target->ndim == logits->ndim - 1;
    for (int d = 0; d < logits->ndim - 1; d++) {
        N *= logits->shape[d];
        same_lead = same_lead && target->shape[d] == logits->shape[d];
    }
    LIT_ASSERT(same_lead,
               "%s: target %s must have the logits' leading shape (logits %s are (..., C) with classes last, "
               "target (...)); for (N, T, C) logits pass (N, T) targets",
               op, LIT_SHAPE_STR(target), LIT_SHAPE_STR(logits));
    LIT_ASSERT(p.label_smoothing >= 0.0 && p.label_smoothing <= 1.0,
               "%s: label_smoothing is %g; it must be in [0, 1]", op, p.label_smoothing);
    LIT_ASSERT(p.reduction == LIT_REDUCTION_MEAN || p.reduction == LIT_REDUCTION_SUM ||
                   p.reduction == LIT_REDUCTION_NONE,
               "%s: unknown reduction %d; use LIT_REDUCTION_MEAN, _SUM or _NONE", op, (int)p.reduction);
    lit_tensor *xc = lit__dense(logits), *tc = lit__dense(target);
    /* Validate targets first, serially: the message names the first bad one. */
    int64_t count = 0;
    for (int64_t i = 0; i < N; i++) {
        int64_t t = lit__index_at(tc, i);
        if (t == p.ignore_index) continue;
        LIT_ASSERT(t >= 0 && t < C,
                   "%s: target[%lld] = %lld is out of range for C = %lld classes; targets must be in [0, %lld) or "
                   "equal ignore_index (%lld)",
                   op, (long long)i, (long long)t, (long long)C, (long long)C, (long long)p.ignore_index);
        count++;
    }
    double *lse = lit_arena_alloc(lit_arena_current(), (size_t)(N ? N : 1) * sizeof *lse);
    double *loss = lit_arena_alloc(lit_arena_current(), (size_t)(N ? N : 1) * sizeof *loss);
    const float *x = xc->data;
    double eps = p.label_smoothing;
    LIT__PAR_FOR(N * C >= LIT_PARALLEL_MIN, schedule(static),
        for (int64_t i = 0; i < N; i++) {
            const float *xr = x + i * C;
            float mx = C ? xr[0] : 0.0f;
            double sx = 0;
            for (int64_t c = 1; c < C; c++) mx = lit__max_keep_nan(mx, xr[c]);
            double s = 0;
            for (int64_t c = 0; c < C; c++) {
                s += exp((double)xr[c] - mx);
                sx += xr[c];
            }
            lse[i] = mx + log(s);
            int64_t t = lit__index_at(tc, i);
            if (t == p.ignore_index) {
                loss[i] = 0;
                continue;
            }
            double nll = lse[i] - xr[t];
            loss[i] = eps > 0 ? (1.0 - eps) * nll + eps / (double)C * ((double)C * lse[i] - sx) : nll;
        });
    lit_tensor *out;
    if (p.reduction == LIT_REDUCTION_NONE) {
        out = lit_empty(LIT_F32, target->ndim, target->shape);
        for (int64_t i = 0; i < N; i++) ((float *)out->data)[i] = (float)loss[i];
    } else {
        double total = 0;
        for (int64_t i = 0; i < N; i++) total += loss[i];
        /* mean over non-ignored targets; none of them -> 0/0 = NaN, as torch */
        if (p.reduction == LIT_REDUCTION_MEAN) total /= (double)count;
        out = lit_scalar(total);
    }
    lit_node *node = lit__record("cross_entropy", cross_entropy_backward, out, 1, &logits);
    if (node) {
        ce_state *st = lit_arena_alloc(lit_arena_current(), sizeof *st);
        *st = (ce_state){.logits = xc, .target = tc, .lse = lse, .n = N, .c = C, .ignore_index = p.ignore_index,
                         .smoothing = eps, .count = (double)count, .reduction = p.reduction};
        node->extra = st;
    }
    return out;
}

/* ---------------------------------------------------------------- mse */

/* saved[0], saved[1]: contiguous input, target; ints[0]: reduction. */
static void mse_backward(lit_node *node, const lit_tensor *g) {
    lit_tensor *in = node->inputs[0], *tg = node->inputs[1];
    lit_reduction red = (lit_reduction)node->ints[0];
    const float *x = node->saved[0]->data, *t = node->saved[1]->data, *gs = lit__dense((lit_tensor *)g)->data;
    int64_t n = in->numel;
    double scale = red == LIT_REDUCTION_MEAN ? 2.0 * gs[0] / (double)n : 2.0 * gs[0];
    lit_tensor *dx = lit_empty(LIT_F32, in->ndim, in->shape);
    float *d = dx->data;
    for (int64_t i = 0; i < n; i++) {
        double w = red == LIT_REDUCTION_NONE ? 2.0 * gs[i] : scale;
        d[i] = (float)(w * ((double)x[i] - t[i]));
    }
    lit__accumulate_grad(in, dx);
    if (lit__needs_grad(tg)) {
        for (int64_t i = 0; i < n; i++) d[i] = -d[i];
        lit__accumulate_grad(tg, dx);
    }
}

lit_tensor *lit_mse_loss(lit_tensor *input, lit_tensor *target, lit_reduction reduction) {
    const char *op = "lit_mse_loss";
    lit__check_f32(input, op);
    lit__check_f32(target, op);
    LIT_ASSERT(lit_same_shape(input, target),
               "%s: input %s and target %s must have the same shape (expand or reshape the target)", op,
               LIT_SHAPE_STR(input), LIT_SHAPE_STR(target));
    LIT_ASSERT(reduction == LIT_REDUCTION_MEAN || reduction == LIT_REDUCTION_SUM || reduction == LIT_REDUCTION_NONE,
               "%s: unknown reduction %d; use LIT_REDUCTION_MEAN, _SUM or _NONE", op, (int)reduction);
    lit_tensor *xc = lit__dense(input), *tc = lit__dense(target);
    const float *x = xc->data, *t = tc->data;
    int64_t n = input->numel;
    lit_tensor *out;
    if (reduction == LIT_REDUCTION_NONE) {
        out = lit_empty(LIT_F32, input->ndim, input->shape);
        float *o = out->data;
        for (int64_t i = 0; i < n; i++) o[i] = (x[i] - t[i]) * (x[i] - t[i]);
    } else {
        double total = 0;
        for (int64_t i = 0; i < n; i++) total += ((double)x[i] - t[i]) * ((double)x[i] - t[i]);
        if (reduction == LIT_REDUCTION_MEAN) total /= (double)n; /* empty: NaN, as torch */
        out = lit_scalar(total);
    }
    lit_tensor *ins[2] = {input, target};
    lit_node *node = lit__record("mse_loss", mse_backward, out, 2, ins);
    if (node) {
        node->saved[0] = xc;
        node->saved[1] = tc;
        node->ints[0] = reduction;
    }
    return out;
}
