/*
 * src/metrics/regression.c — MeanSquaredError (squared or root) and
 * MeanAbsoluteError: an f32 sum of errors (each batch summed in double
 * first) and an i64 count, both SUM.
 */
#include <math.h>
#include <stdlib.h>

#include "metric-impl.h"

typedef struct {
    int abs;  /* MAE */
    int root; /* RMSE */
} reg_user;

static void *reg_clone_user(const void *u) { return lit__mx_memdup(u, sizeof(reg_user)); }

static lit_status reg_update(lit_metric *m, const lit_tensor *preds, const lit_tensor *target,
                             const lit_tensor *weight) {
    reg_user *u = lit_metric_user(m);
    LIT_TRY(lit__mx_none(m, weight, "weight"));
    LIT_TRY(lit__mx_need(m, preds, "preds"));
    LIT_TRY(lit__mx_need(m, target, "target"));
    LIT_TRY(lit__mx_same_shape(m, preds, "preds", target, "target"));
    const lit_tensor *p = lit__mx_contig(preds), *t = lit__mx_contig(target);
    double s = 0;
    for (int64_t i = 0; i < p->numel; i++) {
        double d = lit__mx_ld(p, i) - lit__mx_ld(t, i);
        s += u->abs ? fabs(d) : d * d;
    }
    float *se = lit_f32(lit__metric_state_at(m, 0));
    se[0] = (float)((double)se[0] + s);
    lit_i64(lit__metric_state_at(m, 1))[0] += p->numel;
    return LIT_OK;
}

static lit_status reg_compute(lit_metric *m, lit_tensor **out) {
    reg_user *u = lit_metric_user(m);
    double v = (double)lit_f32(lit__metric_state_at(m, 0))[0] / (double)lit_i64(lit__metric_state_at(m, 1))[0];
    return lit__mx_scalar(m, u->root ? sqrt(v) : v, out);
}

static const lit_metric_vtable MSE_VT = {LIT_METRIC_VERSION, "MeanSquaredError", reg_update, reg_compute, free,
                                         reg_clone_user};
static const lit_metric_vtable MAE_VT = {LIT_METRIC_VERSION, "MeanAbsoluteError", reg_update, reg_compute, free,
                                         reg_clone_user};

static lit_metric *reg_new(const lit_metric_vtable *vt, reg_user u) {
    reg_user *pu = lit__mx_memdup(&u, sizeof u);
    if (!pu) {
        lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", vt->name);
        return NULL;
    }
    lit_metric *m = lit_metric_new(vt, pu);
    if (!m) return NULL;
    if (!lit_metric_add_state(m, u.abs ? "sum_abs_error" : "sum_squared_error", LIT_F32, 0, NULL, 0.0,
                              LIT_STATE_SUM) ||
        !lit_metric_add_state(m, "total", LIT_I64, 0, NULL, 0.0, LIT_STATE_SUM)) {
        lit_metric_free(m);
        return NULL;
    }
    lit_metric_set_higher_is_better(m, 0);
    return m;
}

lit_metric *lit_mean_squared_error_new(const lit_mse_params *p) {
    return reg_new(&MSE_VT, (reg_user){.root = p && p->root});
}

lit_metric *lit_mean_absolute_error_new(void) { return reg_new(&MAE_VT, (reg_user){.abs = 1}); }
