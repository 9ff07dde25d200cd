/*
 * src/metrics/input.c — reading and validating metric inputs: NULL and
 * shape checks, contiguous reads of any dtype, and the classification
 * decoding (TorchMetrics' _binary/_multiclass_stat_scores_format rules).
 * Every check runs before a metric touches its states, so a rejected batch
 * changes nothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "litc/autograd.h"
#include "litc/ops.h"
#include "metric-impl.h"

const lit_tensor *lit__mx_contig(const lit_tensor *x) {
    if (lit_is_contiguous(x)) return x;
    int prev = lit_set_grad_enabled(0);
    lit_tensor *c = lit_contiguous((lit_tensor *)x); /* a copy: x is only read */
    lit_set_grad_enabled(prev);
    return c;
}

lit_status lit__mx_need(const lit_metric *m, const lit_tensor *x, const char *what) {
    if (!x) return lit_set_error(LIT_ERR_INVALID_ARG, "%s.update: %s is NULL", lit_metric_name(m), what);
    lit_tensor_check(x, lit_metric_name(m));
    return LIT_OK;
}

lit_status lit__mx_none(const lit_metric *m, const lit_tensor *x, const char *what) {
    if (x)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s.update: takes no %s (got %s); pass NULL", lit_metric_name(m),
                             what, LIT_SHAPE_STR(x));
    return LIT_OK;
}

lit_status lit__mx_same_shape(const lit_metric *m, const lit_tensor *a, const char *an, const lit_tensor *b,
                              const char *bn) {
    if (!lit_same_shape(a, b))
        return lit_set_error(LIT_ERR_SHAPE, "%s.update: %s %s and %s %s must have the same shape", lit_metric_name(m),
                             an, LIT_SHAPE_STR(a), bn, LIT_SHAPE_STR(b));
    return LIT_OK;
}

void *lit__mx_memdup(const void *p, size_t n) {
    void *q = malloc(n);
    if (q) memcpy(q, p, n);
    return q;
}

lit_status lit__mx_scalar(lit_metric *m, double v, lit_tensor **out) {
    lit_tensor *r = lit_metric_result_tensor(m, LIT_F32, 0, NULL);
    if (!r) return LIT_ERR_NOMEM;
    lit_f32(r)[0] = (float)v;
    *out = r;
    return LIT_OK;
}

/* ---------------------------------------------------------------- classification */

lit_status lit__cls_params_from(const char *who, lit_task task, int64_t num_classes, double threshold, int top_k,
                                int has_ignore, int64_t ignore, lit__cls_params *q) {
    memset(q, 0, sizeof *q);
    if (task != LIT_TASK_BINARY && task != LIT_TASK_MULTICLASS)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: task is %d; set .task = LIT_TASK_BINARY or LIT_TASK_MULTICLASS",
                             who, (int)task);
    q->task = task;
    q->has_ignore = has_ignore != 0;
    q->ignore = ignore;
    q->k = 1;
    q->C = 2;
    if (task == LIT_TASK_BINARY) {
        if (!(threshold >= 0 && threshold <= 1))
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s: threshold %g is outside [0, 1] (0 = the default 0.5)", who,
                                 threshold);
        q->threshold = threshold == 0 ? 0.5 : threshold;
        return LIT_OK;
    }
    if (num_classes < 2)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: num_classes is %lld; multiclass needs >= 2", who,
                             (long long)num_classes);
    q->C = num_classes;
    if (top_k < 0 || top_k > num_classes)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: top_k %d must be in [1, num_classes = %lld] (0 = 1)", who,
                             top_k, (long long)num_classes);
    q->k = top_k ? top_k : 1;
    return LIT_OK;
}

static int is_float(lit_dtype dt) { return dt == LIT_F32 || dt == LIT_BF16; }

lit_status lit__cls_prepare(lit__cls_in *in, const lit_metric *m, const lit__cls_params *p,
                            const lit_tensor *preds, const lit_tensor *target) {
    const char *who = lit_metric_name(m);
    memset(in, 0, sizeof *in);
    in->p = p;
    LIT_TRY(lit__mx_need(m, preds, "preds"));
    LIT_TRY(lit__mx_need(m, target, "target"));
    if (p->task == LIT_TASK_MULTICLASS && preds->ndim == target->ndim + 1) {
        /* (N, C, ...) scores with (N, ...) targets; a 0-d target takes (C,) */
        int off = target->ndim == 0 ? 0 : 1;
        int ok = off == 0 || preds->shape[0] == target->shape[0];
        for (int d = 1; ok && d < target->ndim; d++) ok = preds->shape[d + 1] == target->shape[d];
        if (!ok)
            return lit_set_error(LIT_ERR_SHAPE,
                                 "%s.update: preds %s and target %s: preds must be (N, C, ...) for target (N, ...)",
                                 who, LIT_SHAPE_STR(preds), LIT_SHAPE_STR(target));
        if (preds->shape[off] != p->C)
            return lit_set_error(LIT_ERR_SHAPE, "%s.update: preds %s has %lld classes in dim %d; num_classes is %lld",
                                 who, LIT_SHAPE_STR(preds), (long long)preds->shape[off], off, (long long)p->C);
        if (!is_float(preds->dtype))
            return lit_set_error(LIT_ERR_DTYPE, "%s.update: preds %s with a class dim must be float scores, not %s",
                                 who, LIT_SHAPE_STR(preds), lit_dtype_name(preds->dtype));
        in->scores = 1;
        in->R = 1;
        for (int d = 1; d < target->ndim; d++) in->R *= target->shape[d];
    } else {
        if (!lit_same_shape(preds, target))
            return lit_set_error(LIT_ERR_SHAPE, "%s.update: preds %s and target %s must have the same shape%s", who,
                                 LIT_SHAPE_STR(preds), LIT_SHAPE_STR(target),
                                 p->task == LIT_TASK_MULTICLASS ? " (or preds (N, C, ...) scores)" : "");
        if (p->task == LIT_TASK_MULTICLASS && p->k > 1)
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s.update: top_k %d needs score preds (N, C, ...), got %s", who,
                                 p->k, LIT_SHAPE_STR(preds));
    }
    in->preds = lit__mx_contig(preds);
    in->target = lit__mx_contig(target);
    in->n = target->numel;

    for (int64_t i = 0; i < in->n; i++) {
        double t = lit__mx_ld(in->target, i);
        if (p->has_ignore && t == (double)p->ignore) continue;
        if (!(t >= 0 && t < (double)p->C && t == floor(t))) {
            if (p->task == LIT_TASK_BINARY)
                return lit_set_error(LIT_ERR_INVALID_ARG, "%s.update: target[%lld] = %g; binary labels are 0 or 1", who,
                                     (long long)i, t);
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s.update: target[%lld] = %g is not a class index in [0, %lld)",
                                 who, (long long)i, t, (long long)p->C);
        }
    }
    int fl = is_float(preds->dtype);
    for (int64_t i = 0; i < in->preds->numel; i++) {
        double v = lit__mx_ld(in->preds, i);
        if (isnan(v))
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s.update: preds[%lld] is NaN", who, (long long)i);
        if (in->scores) continue;
        if (p->task == LIT_TASK_BINARY) {
            if (fl) {
                if (v < 0 || v > 1) in->sigmoid = 1; /* logits (TorchMetrics' rule) */
            } else if (v != 0 && v != 1) {
                return lit_set_error(LIT_ERR_INVALID_ARG, "%s.update: preds[%lld] = %g; integer binary preds are 0 or 1",
                                     who, (long long)i, v);
            }
        } else if (!(v >= 0 && v < (double)p->C && v == floor(v))) {
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s.update: preds[%lld] = %g is not a class index in [0, %lld)",
                                 who, (long long)i, v, (long long)p->C);
        }
    }
    return LIT_OK;
}

double lit__cls_score(const lit__cls_in *in, int64_t i) {
    double v = lit__mx_ld(in->preds, i);
    return in->sigmoid ? 1.0 / (1.0 + exp(-v)) : v;
}

int64_t lit__cls_sample(const lit__cls_in *in, int64_t i, int64_t *cls) {
    const lit__cls_params *p = in->p;
    double t = lit__mx_ld(in->target, i);
    if (p->has_ignore && t == (double)p->ignore) return -1;
    if (p->task == LIT_TASK_BINARY) {
        if (is_float(in->preds->dtype))
            cls[0] = (float)lit__cls_score(in, i) > p->threshold; /* compared in f32 as TorchMetrics */
        else
            cls[0] = lit__mx_ld(in->preds, i) != 0;
    } else if (!in->scores) {
        cls[0] = (int64_t)lit__mx_ld(in->preds, i);
    } else {
        /* top-k by insertion into a list of k, best first; on ties the lower
         * class index wins (torch.argmax picks the first maximum). */
        int64_t n = i / in->R, r = i % in->R, base = n * p->C * in->R + r;
        double best[16];
        int k = p->k, have = 0;
        if (k > 16) k = 16; /* larger top_k: handled by the counting path below */
        if (p->k <= 16) {
            for (int64_t c = 0; c < p->C; c++) {
                double v = lit__mx_ld(in->preds, base + c * in->R);
                if (have == k && !(v > best[k - 1])) continue;
                int j = have < k ? have++ : k - 1;
                while (j > 0 && v > best[j - 1]) {
                    best[j] = best[j - 1];
                    cls[j] = cls[j - 1];
                    j--;
                }
                best[j] = v;
                cls[j] = c;
            }
        } else {
            /* rank of each class = classes strictly better, or equal with a
             * lower index; the k of rank < k, in class order. O(C^2). */
            int out = 0;
            for (int64_t c = 0; c < p->C && out < p->k; c++) {
                double v = lit__mx_ld(in->preds, base + c * in->R);
                int64_t rank = 0;
                for (int64_t j = 0; j < p->C && rank < p->k; j++) {
                    double w = lit__mx_ld(in->preds, base + j * in->R);
                    if (w > v || (w == v && j < c)) rank++;
                }
                if (rank < p->k) cls[out++] = c;
            }
        }
    }
    return (int64_t)t;
}
