/*
 * src/metrics/classification.c — Accuracy, Precision, Recall, F1Score
 * (binary and multiclass) over TorchMetrics' stat-score states tp, fp, tn,
 * fn, with micro/macro/weighted/none averaging and zero_division = 0.
 *
 * Multiclass states are per class even for micro averaging (TorchMetrics
 * keeps scalars there); the micro sums give the same values.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metric-impl.h"

typedef enum { SK_ACC, SK_PREC, SK_REC, SK_F1 } score_kind;

typedef struct {
    lit__cls_params q;
    lit_average average;
    score_kind kind;
} stat_user;

enum { TP, FP, TN, FN };

static void *stat_clone_user(const void *u) { return lit__mx_memdup(u, sizeof(stat_user)); }

static lit_status stat_update(lit_metric *m, const lit_tensor *preds, const lit_tensor *target,
                              const lit_tensor *weight) {
    stat_user *u = lit_metric_user(m);
    LIT_TRY(lit__mx_none(m, weight, "weight"));
    lit__cls_in in;
    LIT_TRY(lit__cls_prepare(&in, m, &u->q, preds, target));
    int64_t *tp = lit_i64(lit__metric_state_at(m, TP)), *fp = lit_i64(lit__metric_state_at(m, FP));
    int64_t *tn = lit_i64(lit__metric_state_at(m, TN)), *fn = lit_i64(lit__metric_state_at(m, FN));
    int64_t cls_stack[16], *cls = cls_stack;
    if (u->q.k > 16) {
        cls = lit_arena_try_alloc(lit_arena_current(), (size_t)u->q.k * sizeof *cls);
        if (!cls) return lit_set_error(LIT_ERR_NOMEM, "%s.update: out of memory for top_k", lit_metric_name(m));
    }
    if (u->q.task == LIT_TASK_BINARY) {
        for (int64_t i = 0; i < in.n; i++) {
            int64_t t = lit__cls_sample(&in, i, cls);
            if (t < 0) continue;
            int p = cls[0] != 0;
            tp[0] += p && t;
            fp[0] += p && !t;
            fn[0] += !p && t;
            tn[0] += !p && !t;
        }
        return LIT_OK;
    }
    int64_t valid = 0;
    for (int64_t i = 0; i < in.n; i++) {
        int64_t t = lit__cls_sample(&in, i, cls);
        if (t < 0) continue;
        valid++;
        int hit = 0;
        /* each (sample, class) pair is in at most one of tp/fp/fn: the
         * others are true negatives, counted as valid minus those. */
        for (int j = 0; j < u->q.k; j++) {
            int64_t c = cls[j];
            if (c == t) {
                tp[c]++;
                hit = 1;
            } else {
                fp[c]++;
            }
            tn[c]--;
        }
        if (!hit) {
            fn[t]++;
            tn[t]--;
        }
    }
    for (int64_t c = 0; c < u->q.C; c++) tn[c] += valid;
    return LIT_OK;
}

static double safe_div(double a, double b) { return b == 0 ? 0.0 : a / b; }

static double score(score_kind k, double tp, double fp, double tn, double fn, int binary) {
    switch (k) {
    case SK_ACC: return binary ? safe_div(tp + tn, tp + tn + fp + fn) : safe_div(tp, tp + fn);
    case SK_PREC: return safe_div(tp, tp + fp);
    case SK_REC: return safe_div(tp, tp + fn);
    case SK_F1: return safe_div(2 * tp, 2 * tp + fp + fn);
    }
    return NAN;
}

static lit_status stat_compute(lit_metric *m, lit_tensor **out) {
    stat_user *u = lit_metric_user(m);
    const int64_t *tp = lit_i64(lit__metric_state_at(m, TP)), *fp = lit_i64(lit__metric_state_at(m, FP));
    const int64_t *tn = lit_i64(lit__metric_state_at(m, TN)), *fn = lit_i64(lit__metric_state_at(m, FN));
    int64_t C = u->q.C;
    if (u->q.task == LIT_TASK_MULTICLASS && u->average == LIT_AVERAGE_NONE) {
        lit_tensor *r = lit_metric_result_tensor(m, LIT_F32, 1, &C);
        if (!r) return LIT_ERR_NOMEM;
        for (int64_t c = 0; c < C; c++)
            lit_f32(r)[c] = (float)score(u->kind, (double)tp[c], (double)fp[c], (double)tn[c], (double)fn[c], 0);
        *out = r;
        return LIT_OK;
    }
    double v;
    if (u->q.task == LIT_TASK_BINARY) {
        v = score(u->kind, (double)tp[0], (double)fp[0], (double)tn[0], (double)fn[0], 1);
    } else if (u->average == LIT_AVERAGE_MICRO) {
        double s[4] = {0};
        for (int64_t c = 0; c < C; c++) {
            s[TP] += (double)tp[c];
            s[FP] += (double)fp[c];
            s[TN] += (double)tn[c];
            s[FN] += (double)fn[c];
        }
        v = score(u->kind, s[TP], s[FP], s[TN], s[FN], 0);
    } else {
        /* TorchMetrics' _adjust_weights_safe_divide (its F-beta passes no
         * top_k, so F1 always uses the top_k = 1 rule) */
        double num = 0, den = 0;
        for (int64_t c = 0; c < C; c++) {
            double w;
            if (u->average == LIT_AVERAGE_WEIGHTED)
                w = (double)(tp[c] + fn[c]);
            else
                w = (u->q.k == 1 || u->kind == SK_F1 ? tp[c] + fp[c] + fn[c] : tp[c] + fn[c]) == 0 ? 0.0 : 1.0;
            num += w * score(u->kind, (double)tp[c], (double)fp[c], (double)tn[c], (double)fn[c], 0);
            den += w;
        }
        v = safe_div(num, den);
    }
    return lit__mx_scalar(m, v, out);
}

#define STAT_VT(var, name) \
    static const lit_metric_vtable var = {LIT_METRIC_VERSION, name, stat_update, stat_compute, free, stat_clone_user}
STAT_VT(BIN_ACC, "BinaryAccuracy");
STAT_VT(MC_ACC, "MulticlassAccuracy");
STAT_VT(BIN_PREC, "BinaryPrecision");
STAT_VT(MC_PREC, "MulticlassPrecision");
STAT_VT(BIN_REC, "BinaryRecall");
STAT_VT(MC_REC, "MulticlassRecall");
STAT_VT(BIN_F1, "BinaryF1Score");
STAT_VT(MC_F1, "MulticlassF1Score");

static lit_metric *stat_new(const lit_classification_params *p, score_kind kind, const lit_metric_vtable *bin,
                            const lit_metric_vtable *mc, const char *who) {
    if (!p) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: params are NULL; the task is required", who);
        return NULL;
    }
    stat_user u = {.average = p->average, .kind = kind};
    if (lit__cls_params_from(who, p->task, p->num_classes, p->threshold, p->top_k, p->has_ignore_index,
                             p->ignore_index, &u.q) < 0)
        return NULL;
    if ((int)p->average < LIT_AVERAGE_MICRO || p->average > LIT_AVERAGE_NONE) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: average %d is not a lit_average", who, (int)p->average);
        return NULL;
    }
    stat_user *pu = lit__mx_memdup(&u, sizeof u);
    if (!pu) {
        lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", who);
        return NULL;
    }
    lit_metric *m = lit_metric_new(u.q.task == LIT_TASK_BINARY ? bin : mc, pu);
    if (!m) return NULL;
    int nd = u.q.task == LIT_TASK_BINARY ? 0 : 1;
    static const char *const names[4] = {"tp", "fp", "tn", "fn"};
    for (int i = 0; i < 4; i++) {
        if (!lit_metric_add_state(m, names[i], LIT_I64, nd, &u.q.C, 0.0, LIT_STATE_SUM)) {
            lit_metric_free(m);
            return NULL;
        }
    }
    lit_metric_set_higher_is_better(m, 1);
    return m;
}

lit_metric *lit_accuracy_new(const lit_accuracy_params *p) { return stat_new(p, SK_ACC, &BIN_ACC, &MC_ACC, "Accuracy"); }
lit_metric *lit_precision_new(const lit_precision_params *p) {
    return stat_new(p, SK_PREC, &BIN_PREC, &MC_PREC, "Precision");
}
lit_metric *lit_recall_new(const lit_recall_params *p) { return stat_new(p, SK_REC, &BIN_REC, &MC_REC, "Recall"); }
lit_metric *lit_f1_score_new(const lit_f1_score_params *p) { return stat_new(p, SK_F1, &BIN_F1, &MC_F1, "F1Score"); }
