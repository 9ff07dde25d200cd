/*
 * src/metrics/confusion-matrix.c — ConfusionMatrix (binary and multiclass):
 * a (C, C) i64 SUM state, rows true classes, columns predictions (sklearn's
 * layout), optionally normalized over rows, columns or all (0/0 -> 0).
 */
#include <stdlib.h>
#include <string.h>

#include "metric-impl.h"

typedef struct {
    lit__cls_params q;
    lit_confmat_normalize normalize;
} confmat_user;

static void *confmat_clone_user(const void *u) { return lit__mx_memdup(u, sizeof(confmat_user)); }

static lit_status confmat_update(lit_metric *m, const lit_tensor *preds, const lit_tensor *target,
                                 const lit_tensor *weight) {
    confmat_user *u = lit_metric_user(m);
    LIT_TRY(lit__mx_none(m, weight, "weight"));
    lit__cls_in in;
    LIT_TRY(lit__cls_prepare(&in, m, &u->q, preds, target));
    int64_t *cm = lit_i64(lit__metric_state_at(m, 0)), C = u->q.C;
    for (int64_t i = 0; i < in.n; i++) {
        int64_t p, t = lit__cls_sample(&in, i, &p); /* top_k is 1 here */
        if (t >= 0) cm[t * C + p]++;
    }
    return LIT_OK;
}

static lit_status confmat_compute(lit_metric *m, lit_tensor **out) {
    confmat_user *u = lit_metric_user(m);
    int64_t C = u->q.C, shape[2] = {C, C};
    const int64_t *cm = lit_i64(lit__metric_state_at(m, 0));
    lit_tensor *r;
    if (u->normalize == LIT_CONFMAT_NORMALIZE_NONE) {
        r = lit_metric_result_tensor(m, LIT_I64, 2, shape);
        if (!r) return LIT_ERR_NOMEM;
        memcpy(r->data, cm, (size_t)(C * C) * sizeof *cm);
        *out = r;
        return LIT_OK;
    }
    r = lit_metric_result_tensor(m, LIT_F32, 2, shape);
    if (!r) return LIT_ERR_NOMEM;
    float *o = lit_f32(r);
    double all = 0;
    for (int64_t k = 0; k < C * C; k++) all += (double)cm[k];
    for (int64_t i = 0; i < C; i++) {
        for (int64_t j = 0; j < C; j++) {
            double den = all;
            if (u->normalize != LIT_CONFMAT_NORMALIZE_ALL) {
                den = 0;
                for (int64_t k = 0; k < C; k++)
                    den += (double)(u->normalize == LIT_CONFMAT_NORMALIZE_TRUE ? cm[i * C + k] : cm[k * C + j]);
            }
            o[i * C + j] = den == 0 ? 0.0f : (float)((double)cm[i * C + j] / den);
        }
    }
    *out = r;
    return LIT_OK;
}

static const lit_metric_vtable BIN_VT = {LIT_METRIC_VERSION, "BinaryConfusionMatrix", confmat_update,
                                         confmat_compute, free, confmat_clone_user};
static const lit_metric_vtable MC_VT = {LIT_METRIC_VERSION, "MulticlassConfusionMatrix", confmat_update,
                                        confmat_compute, free, confmat_clone_user};

lit_metric *lit_confusion_matrix_new(const lit_confusion_matrix_params *p) {
    const char *who = "ConfusionMatrix";
    if (!p) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: params are NULL; the task is required", who);
        return NULL;
    }
    confmat_user u = {.normalize = p->normalize};
    if (lit__cls_params_from(who, p->task, p->num_classes, p->threshold, 1, p->has_ignore_index, p->ignore_index,
                             &u.q) < 0)
        return NULL;
    if ((int)p->normalize < LIT_CONFMAT_NORMALIZE_NONE || p->normalize > LIT_CONFMAT_NORMALIZE_ALL) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: normalize %d is not a lit_confmat_normalize", who, (int)p->normalize);
        return NULL;
    }
    confmat_user *pu = lit__mx_memdup(&u, sizeof u);
    if (!pu) {
        lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", who);
        return NULL;
    }
    lit_metric *m = lit_metric_new(u.q.task == LIT_TASK_BINARY ? &BIN_VT : &MC_VT, pu);
    if (!m) return NULL;
    if (!lit_metric_add_state(m, "confmat", LIT_I64, 2, (int64_t[]){u.q.C, u.q.C}, 0.0, LIT_STATE_SUM)) {
        lit_metric_free(m);
        return NULL;
    }
    return m;
}
