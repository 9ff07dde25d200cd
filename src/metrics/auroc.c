/*
 * src/metrics/auroc.c — binary AUROC, exact (TorchMetrics' thresholds=None):
 * CAT states of scores and labels; compute sorts the scores, takes each
 * distinct score as a threshold (ties move tpr and fpr together, a diagonal
 * segment) and integrates the ROC curve with the trapezoid rule, which is
 * sklearn's roc_auc_score.
 */
#include <stdlib.h>
#include <string.h>

#include "metric-impl.h"

typedef struct {
    lit__cls_params q;
} auroc_user;

static void *auroc_clone_user(const void *u) { return lit__mx_memdup(u, sizeof(auroc_user)); }

static lit_status auroc_update(lit_metric *m, const lit_tensor *preds, const lit_tensor *target,
                               const lit_tensor *weight) {
    auroc_user *u = lit_metric_user(m);
    LIT_TRY(lit__mx_none(m, weight, "weight"));
    if (preds && preds->dtype != LIT_F32 && preds->dtype != LIT_BF16)
        return lit_set_error(LIT_ERR_DTYPE, "%s.update: preds must be float probabilities or logits, not %s",
                             lit_metric_name(m), lit_dtype_name(preds->dtype));
    lit__cls_in in;
    LIT_TRY(lit__cls_prepare(&in, m, &u->q, preds, target));
    int64_t kept = 0;
    for (int64_t i = 0; i < in.n; i++) {
        double t = lit__mx_ld(in.target, i);
        kept += !(u->q.has_ignore && t == (double)u->q.ignore);
    }
    if (kept == 0) return LIT_OK;
    lit_tensor *sc = lit_empty(LIT_F32, 1, &kept), *lb = lit_empty(LIT_I64, 1, &kept);
    float *s = lit_f32(sc);
    int64_t *l = lit_i64(lb), k = 0, cls;
    for (int64_t i = 0; i < in.n; i++) {
        int64_t t = lit__cls_sample(&in, i, &cls);
        if (t < 0) continue;
        s[k] = (float)lit__cls_score(&in, i); /* f32, as TorchMetrics' sigmoid */
        l[k++] = t;
    }
    lit_tensor *ps = lit__metric_state_at(m, 0);
    int64_t before = ps->shape[0];
    if (!lit_metric_cat_state(m, "preds", sc)) return LIT_ERR_NOMEM;
    if (!lit_metric_cat_state(m, "target", lb)) {
        ps->shape[0] = before; /* keep the two states the same length */
        ps->numel = before;
        return LIT_ERR_NOMEM;
    }
    return LIT_OK;
}

typedef struct {
    float s;
    int64_t y;
} pair;

static int by_score_desc(const void *a, const void *b) {
    float x = ((const pair *)a)->s, y = ((const pair *)b)->s;
    return (x < y) - (x > y);
}

static lit_status auroc_compute(lit_metric *m, lit_tensor **out) {
    const lit_tensor *ps = lit__metric_state_at(m, 0), *ts = lit__metric_state_at(m, 1);
    int64_t n = ps->shape[0];
    lit_tensor *r = lit_metric_result_tensor(m, LIT_F32, 0, NULL);
    if (!r) return LIT_ERR_NOMEM;
    *out = r;
    const float *s = ps->data;
    const int64_t *y = ts->data;
    int64_t P = 0;
    for (int64_t i = 0; i < n; i++) P += y[i] != 0;
    int64_t N = n - P;
    if (P == 0 || N == 0) {
        lit_logf(LIT_LOG_WARN, "%s: no %s samples in targets; the AUROC is meaningless and set to 0",
                 lit_metric_name(m), P == 0 ? "positive" : "negative");
        lit_f32(r)[0] = 0.0f;
        return LIT_OK;
    }
    pair *v = malloc((size_t)n * sizeof *v);
    if (!v) return lit_set_error(LIT_ERR_NOMEM, "%s.compute: out of memory for %lld scores", lit_metric_name(m),
                                 (long long)n);
    for (int64_t i = 0; i < n; i++) v[i] = (pair){s[i], y[i]};
    qsort(v, (size_t)n, sizeof *v, by_score_desc);
    double area = 0, tp = 0, fp = 0;
    for (int64_t i = 0; i < n;) {
        double tp0 = tp, fp0 = fp;
        int64_t j = i;
        for (; j < n && v[j].s == v[i].s; j++) { /* one threshold per distinct score */
            if (v[j].y)
                tp++;
            else
                fp++;
        }
        area += (fp - fp0) * (tp + tp0) * 0.5;
        i = j;
    }
    free(v);
    lit_f32(r)[0] = (float)(area / ((double)P * (double)N));
    return LIT_OK;
}

static const lit_metric_vtable AUROC_VT = {LIT_METRIC_VERSION, "BinaryAUROC", auroc_update, auroc_compute, free,
                                           auroc_clone_user};

lit_metric *lit_auroc_new(const lit_auroc_params *p) {
    if (!p) {
        lit_set_error(LIT_ERR_INVALID_ARG, "AUROC: params are NULL; the task is required");
        return NULL;
    }
    if (p->task == LIT_TASK_MULTICLASS) {
        lit_set_error(LIT_ERR_UNSUPPORTED, "AUROC: only LIT_TASK_BINARY is implemented");
        return NULL;
    }
    auroc_user u;
    if (lit__cls_params_from("AUROC", p->task, 2, 0.0, 1, p->has_ignore_index, p->ignore_index, &u.q) < 0)
        return NULL;
    auroc_user *pu = lit__mx_memdup(&u, sizeof u);
    if (!pu) {
        lit_set_error(LIT_ERR_NOMEM, "AUROC: out of memory");
        return NULL;
    }
    lit_metric *m = lit_metric_new(&AUROC_VT, pu);
    if (!m) return NULL;
    if (!lit_metric_add_state(m, "preds", LIT_F32, 1, (int64_t[]){0}, 0.0, LIT_STATE_CAT) ||
        !lit_metric_add_state(m, "target", LIT_I64, 1, (int64_t[]){0}, 0.0, LIT_STATE_CAT)) {
        lit_metric_free(m);
        return NULL;
    }
    lit_metric_set_higher_is_better(m, 1);
    return m;
}
