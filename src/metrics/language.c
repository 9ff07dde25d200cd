/*
 * src/metrics/language.c — MDLM's language-model metrics: NLL, BPD and
 * Perplexity are MeanMetrics of per-token losses in nats (update(nlls,
 * token_mask)) that differ only in compute, as MDLM's subclasses of
 * torchmetrics.aggregation.MeanMetric do.
 */
#include <math.h>
#include <stdlib.h>

#include "metric-impl.h"

static lit_status nll_compute(lit_metric *m, lit_tensor **out) { return lit__mx_scalar(m, lit__mean_value(m), out); }
static lit_status bpd_compute(lit_metric *m, lit_tensor **out) {
    return lit__mx_scalar(m, lit__mean_value(m) / M_LN2, out); /* nats -> bits */
}
static lit_status ppl_compute(lit_metric *m, lit_tensor **out) {
    return lit__mx_scalar(m, exp(lit__mean_value(m)), out);
}

LIT__AGG_VT(NLL_VT, "NLL", lit__mean_update, nll_compute);
LIT__AGG_VT(BPD_VT, "BPD", lit__mean_update, bpd_compute);
LIT__AGG_VT(PPL_VT, "Perplexity", lit__mean_update, ppl_compute);

static lit_metric *lower_is_better(lit_metric *m) {
    if (m) lit_metric_set_higher_is_better(m, 0);
    return m;
}

lit_metric *lit_nll_new(const lit_aggregation_params *p) { return lower_is_better(lit__mean_like_new(&NLL_VT, p)); }
lit_metric *lit_bpd_new(const lit_aggregation_params *p) { return lower_is_better(lit__mean_like_new(&BPD_VT, p)); }
lit_metric *lit_perplexity_new(const lit_aggregation_params *p) {
    return lower_is_better(lit__mean_like_new(&PPL_VT, p));
}
