/*
 * src/metrics/metric-impl.h — what the built-in metrics share: reading
 * inputs of any dtype and strides, the warn-once flag, and the decoding of
 * classification inputs (validation first, so a failing update leaves the
 * states untouched).
 */
#ifndef LITC_METRICS_IMPL_H
#define LITC_METRICS_IMPL_H

#include <math.h>

#include "litc/metrics.h"

/* State i (declaration order) of m; the header pointer is stable. */
lit_tensor *lit__metric_state_at(const lit_metric *m, int i);

/* A contiguous form of x for reading: x itself, or a copy in the current
 * arena (made with grad mode off, so an input needing grad records nothing). */
const lit_tensor *lit__mx_contig(const lit_tensor *x);

/* Element i of a contiguous tensor of any dtype, as double. */
static inline double lit__mx_ld(const lit_tensor *t, int64_t i) {
    switch (t->dtype) {
    case LIT_F32: return ((const float *)t->data)[i];
    case LIT_BF16: return lit_bf16_to_f32(((const uint16_t *)t->data)[i]);
    case LIT_I32: return ((const int32_t *)t->data)[i];
    case LIT_I64: return (double)((const int64_t *)t->data)[i];
    default: return NAN;
    }
}

/* LIT_ERR_INVALID_ARG naming the metric when x is NULL; else checks that x
 * is alive (lit_tensor_check). */
lit_status lit__mx_need(const lit_metric *m, const lit_tensor *x, const char *what);
/* LIT_ERR_INVALID_ARG when x is given to a metric that takes no such input. */
lit_status lit__mx_none(const lit_metric *m, const lit_tensor *x, const char *what);
/* LIT_ERR_SHAPE unless a and b have the same shape. */
lit_status lit__mx_same_shape(const lit_metric *m, const lit_tensor *a, const char *an, const lit_tensor *b,
                              const char *bn);

/* A heap copy of n bytes (clone_user for parameter structs). */
void *lit__mx_memdup(const void *p, size_t n);

/* *out = a 0-dim float32 result tensor holding v (LIT_ERR_NOMEM without one). */
lit_status lit__mx_scalar(lit_metric *m, double v, lit_tensor **out);

/* ---- MeanMetric pieces the language metrics build on (aggregation.c) */

/* A MeanMetric-state metric (mean_value, weight) of class vt. */
lit_metric *lit__mean_like_new(const lit_metric_vtable *vt, const lit_aggregation_params *p);
lit_status lit__mean_update(lit_metric *m, const lit_tensor *v, const lit_tensor *t, const lit_tensor *w);
double lit__mean_value(const lit_metric *m); /* mean_value / weight */
void *lit__agg_clone_user(const void *u);    /* clone_user of the aggregation metrics (free_user: free) */
/* The vtable var of an aggregation-family metric class. */
#define LIT__AGG_VT(var, name, update, compute) \
    static const lit_metric_vtable var = {LIT_METRIC_VERSION, name, update, compute, free, lit__agg_clone_user}

/* ---- classification inputs */

typedef struct {
    lit_task task;
    int64_t C;         /* classes (binary: 2) */
    int k;             /* top_k (1 unless multiclass scores) */
    double threshold;  /* binary */
    int has_ignore;
    int64_t ignore;
} lit__cls_params;

typedef struct {
    const lit__cls_params *p;
    const lit_tensor *preds, *target; /* contiguous */
    int64_t n;          /* samples = target elements */
    int64_t R;          /* multiclass scores (N, C, ...): elements per (n, c) after dim 1 */
    int scores;         /* multiclass: preds carry a class dim */
    int sigmoid;        /* binary float preds outside [0, 1]: logits */
} lit__cls_in;

/* Validate a batch (shapes, dtypes, label ranges, NaN scores). */
lit_status lit__cls_prepare(lit__cls_in *in, const lit_metric *m, const lit__cls_params *p,
                            const lit_tensor *preds, const lit_tensor *target);
/* Sample i: its target class (-1 when ignored) and its predicted classes
 * in cls[0 .. p->k) (the top k: best first for k <= 16, else in class
 * order; ties go to the lower class index). */
int64_t lit__cls_sample(const lit__cls_in *in, int64_t i, int64_t *cls);
/* Binary float score of sample i after the sigmoid rule (AUROC). */
double lit__cls_score(const lit__cls_in *in, int64_t i);

/* Param checks shared by the classification constructors (NULL params,
 * task, num_classes, threshold, top_k). Fills q. */
lit_status lit__cls_params_from(const char *who, lit_task task, int64_t num_classes, double threshold, int top_k,
                                int has_ignore, int64_t ignore, lit__cls_params *q);

#endif
