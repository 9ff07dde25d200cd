/*
 * src/metrics/language.c — MDLM's language-model metrics: NLL, BPD and
 * Perplexity are MeanMetrics of per-token losses in nats (update(nlls,
 * token_mask)) that differ only in compute, as MDLM's subclasses of
 * torchmetrics.aggregation.MeanMetric do.
 */
#include <math.h>
#include <stdlib.h>

#include "metric-impl.h"

static lit_status result(lit_metric *m, double v, lit_tensor **out) {
    lit_tensor *r = lit_metric_result_tensor(m, LIT_F32, 0, NULL);
    if (!r) return LIT_ERR_NOMEM;
    lit_f32(r)[0] = (float)v;
    *out = r;
    return LIT_OK;
}

static lit_status nll_compute(lit_metric *m, lit_tensor **out) { return result(m, lit__mean_value(m), out); }
static lit_status bpd_compute(lit_metric *m, lit_tensor **out) {
    return result(m, lit__mean_value(m) / M_LN2, out); /* nats -> bits */
}
static lit_status ppl_compute(lit_metric *m, lit_tensor **out) { return result(m, exp(lit__mean_value(m)), out); }

static const lit_metric_vtable NLL_VT = {LIT_METRIC_VERSION, "NLL", lit__mean_update, nll_compute, free,
                                         lit__agg_clone_user};
static const lit_metric_vtable BPD_VT = {LIT_METRIC_VERSION, "BPD", lit__mean_update, bpd_compute, free,
                                         lit__agg_clone_user};
static const lit_metric_vtable PPL_VT = {LIT_METRIC_VERSION, "Perplexity", lit__mean_update, ppl_compute, free,
                                         lit__agg_clone_user};

static lit_metric *lower_is_better(lit_metric *m) {
    if (m) lit_metric_set_higher_is_better(m, 0);
    return m;
}

lit_metric *lit_nll_new(const lit_aggregation_params *p) { return lower_is_better(lit__mean_like_new(&NLL_VT, p)); }
lit_metric *lit_bpd_new(const lit_aggregation_params *p) { return lower_is_better(lit__mean_like_new(&BPD_VT, p)); }
lit_metric *lit_perplexity_new(const lit_aggregation_params *p) {
    return lower_is_better(lit__mean_like_new(&PPL_VT, p));
}
