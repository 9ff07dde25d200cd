/*
 * litc/metrics.h — metrics in TorchMetrics' model: a metric accumulates
 * state tensors over update() calls, compute() turns the state into the
 * value, reset() starts again. Each state declares how two partial states
 * merge (sum, mean, cat, max, min), so a metric updated in several
 * processes — or on two halves of the data — merges into the state of the
 * whole (lit_metric_merge).
 *
 * Intended usage (inside a LightningModule, as with TorchMetrics):
 *
 *     lit_metric *acc = lit_accuracy_new(&(lit_accuracy_params){ .task = LIT_TASK_MULTICLASS,
 *                                                                .num_classes = 10 });
 *     // validation_step:
 *     LIT_TRY(lit_metric_update(acc, logits, labels));          // logits (B, C), labels (B,) i64
 *     LIT_TRY(lit_module_log_metric(m, "val/acc", acc, .prog_bar = 1));  // computed at epoch end, then reset
 *     // or by hand:
 *     double v; LIT_TRY(lit_metric_compute_scalar(acc, &v)); lit_metric_reset(acc);
 *     lit_metric_free(acc);
 *
 * Ownership: a metric owns its state tensors (heap, persistent: they outlive
 * step arenas). Inputs to update() are read during the call and not kept.
 * compute() results are owned by the metric and valid until the next
 * update/compute/reset/free. Not thread-safe.
 *
 * Errors: update() returns LIT_ERR_SHAPE for inputs of mismatched shapes
 * and LIT_ERR_INVALID_ARG for out-of-range values (a class index >= C, a
 * probability outside [0, 1]); the message names the metric, the input and
 * the offending value. compute() before any update() gives what TorchMetrics
 * gives (a warning and 0 / NaN, documented per metric).
 */
#ifndef LITC_METRICS_H
#define LITC_METRICS_H

#include <stdint.h>

#include "core.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_METRIC_VERSION 1
#define LIT_METRIC_MAX_STATES 8

/* How partial states combine (TorchMetrics' dist_reduce_fx). */
typedef enum {
    LIT_STATE_SUM = 0,
    LIT_STATE_MEAN, /* element-wise mean of the partial states */
    LIT_STATE_CAT,  /* concatenation along dim 0 (a growing list of values) */
    LIT_STATE_MAX,
    LIT_STATE_MIN
} lit_state_reduce;

typedef struct lit_metric lit_metric;

/* A metric class. `update` and `compute` are required. */
typedef struct {
    int version;      /* LIT_METRIC_VERSION */
    const char *name; /* class name, e.g. "MulticlassAccuracy" */
    /* Accumulate one batch. `target` may be NULL for metrics of one input
     * (MeanMetric's values). */
    lit_status (*update)(lit_metric *m, const lit_tensor *preds, const lit_tensor *target, const lit_tensor *weight);
    /* The value from the states into *out (owned by the metric: use
     * lit_metric_result_tensor to make it). */
    lit_status (*compute)(lit_metric *m, lit_tensor **out);
    /* (optional) free `user`. */
    void (*free_user)(void *user);
    /* (optional) a copy of `user` for lit_metric_clone; NULL: the clone
     * shares `user` (then free_user must be NULL). */
    void *(*clone_user)(const void *user);
} lit_metric_vtable;

/* ---------------------------------------------------------------- the base */

/* A metric of class `vt` with your `user` data (owned when free_user is
 * set). NULL on out of memory (last error set). */
lit_metric *lit_metric_new(const lit_metric_vtable *vt, void *user);
void lit_metric_free(lit_metric *m); /* NULL is a no-op */

/* Declare a state (at construction, before any update): a tensor of dtype
 * and shape (ndim 0 = scalar) filled with `default_value` at every reset,
 * merged with `reduce`. CAT states start empty (shape[0] = 0) and grow.
 * Returns the state tensor (owned by the metric) or NULL (last error set). */
lit_tensor *lit_metric_add_state(lit_metric *m, const char *name, lit_dtype dt, int ndim, const int64_t *shape,
                                 double default_value, lit_state_reduce reduce);
/* Append rows to a CAT state (the tensor may be reallocated: use the
 * returned pointer). */
lit_tensor *lit_metric_cat_state(lit_metric *m, const char *name, const lit_tensor *rows);
lit_tensor *lit_metric_state(const lit_metric *m, const char *name); /* NULL when absent */

/* A result tensor owned by the metric (replaced at each compute). */
lit_tensor *lit_metric_result_tensor(lit_metric *m, lit_dtype dt, int ndim, const int64_t *shape);

lit_status lit_metric_update(lit_metric *m, const lit_tensor *preds, const lit_tensor *target);
lit_status lit_metric_update_weighted(lit_metric *m, const lit_tensor *preds, const lit_tensor *target,
                                      const lit_tensor *weight);
/* compute(): the value of everything since the last reset. */
lit_status lit_metric_compute(lit_metric *m, lit_tensor **out);
/* compute() of a one-element result as a double. LIT_ERR_SHAPE otherwise. */
lit_status lit_metric_compute_scalar(lit_metric *m, double *out);
/* TorchMetrics' forward(): the value on this batch alone, while the batch
 * is also accumulated into the running state. */
lit_status lit_metric_forward(lit_metric *m, const lit_tensor *preds, const lit_tensor *target, double *batch_value);
/* The value forward() computed for the last batch (TorchMetrics'
 * _forward_cache): 1 and *out set when forward() ran since the last reset,
 * else 0. lit_module_log_metric logs it for on_step. */
int lit_metric_batch_value(const lit_metric *m, double *out);
void lit_metric_reset(lit_metric *m);
/* Merge `src`'s states into `dst` (same class and state shapes; SUM adds,
 * MEAN averages weighted by update counts, CAT appends, MAX/MIN take the
 * element-wise extreme). Errors: LIT_ERR_INVALID_ARG for another class or
 * state layout. */
lit_status lit_metric_merge(lit_metric *dst, const lit_metric *src);
/* A fresh metric of the same class and parameters (states at their
 * defaults). NULL on out of memory. */
lit_metric *lit_metric_clone(const lit_metric *m);

const char *lit_metric_name(const lit_metric *m);
int64_t lit_metric_update_count(const lit_metric *m);
/* 1 / 0 / -1 (unknown), as TorchMetrics' higher_is_better. */
int lit_metric_higher_is_better(const lit_metric *m);
void lit_metric_set_higher_is_better(lit_metric *m, int v);
/* TorchMetrics' full_state_update: forward() needs the full state (default 0). */
void lit_metric_set_full_state_update(lit_metric *m, int v);
void *lit_metric_user(const lit_metric *m);

/* ---------------------------------------------------------------- built-in metrics
 * (declared below by the metrics implementation: MeanMetric, SumMetric,
 * MaxMetric, MinMetric, CatMetric, Accuracy, Precision, Recall, F1Score,
 * ConfusionMatrix, AUROC, MeanSquaredError, MeanAbsoluteError, NLL,
 * BitsPerDimension, Perplexity, MetricCollection) */

#ifdef __cplusplus
}
#endif
#endif
