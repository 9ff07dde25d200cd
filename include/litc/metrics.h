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
 * update/compute/reset/free. update() may make scratch tensors in the
 * current arena (contiguous copies of strided inputs, rows for CAT states),
 * which die at its next reset; states never live there. Not thread-safe.
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
/* Append rows to a CAT state: `rows` has the state's ndim (or ndim - 1 for
 * a single row) and its trailing dims; any dtype (converted). The data may
 * move; the header pointer stays. NULL on a shape mismatch (LIT_ERR_SHAPE)
 * or out of memory (last error set). State header pointers stay valid for
 * the metric's life (forward() swaps their contents, not the headers), but
 * a clone has its own: look states up with lit_metric_state in update. */
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
 * is also accumulated into the running state (update count + 1).
 * full_state_update 0 (the default, TorchMetrics' _reduce_states): the
 * running states are set aside (a swap, no copy), the states reset, the
 * batch updated and computed, then the batch's states merged into the
 * set-aside ones with each state's reduction (one update() call).
 * full_state_update 1 (_forward_full_state_update): update() on the full
 * state, then again on fresh states for the batch value (two calls).
 * batch_value may be NULL (accumulate only). LIT_ERR_SHAPE when the result
 * has more than one element (use lit_metric_forward_tensor); the batch is
 * then accumulated all the same. A failing update() leaves the running
 * state as it was. */
lit_status lit_metric_forward(lit_metric *m, const lit_tensor *preds, const lit_tensor *target, double *batch_value);
/* forward() with weights and the batch's value as a tensor (owned by the
 * metric, valid until the next update/compute/reset/free). out may be NULL. */
lit_status lit_metric_forward_tensor(lit_metric *m, const lit_tensor *preds, const lit_tensor *target,
                                     const lit_tensor *weight, lit_tensor **out);
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

/* Update with a single value (a 0-d f32 tensor) and weight: MeanMetric's
 * update(2.5, weight=10). For metrics without weights pass weight 1. */
lit_status lit_metric_update_scalar(lit_metric *m, double value, double weight);

/* ---- aggregation (torchmetrics.aggregation)
 *
 * update(m, values, weights) / update_weighted(m, values, NULL, weights):
 * values of any shape and dtype; weights (MeanMetric only) broadcast to the
 * values' shape (NumPy rules) or NULL for 1. As in TorchMetrics the second
 * argument of update() is MeanMetric's weight (MDLM: update(nlls, mask)).
 * States are f32 (TorchMetrics' default dtype); each batch is summed in
 * double first. compute() before any update: MeanMetric NaN (0/0), Sum 0,
 * Max -inf, Min +inf, Cat an empty (0,) tensor. */

/* What to do with NaN values (or NaN weights) — TorchMetrics' nan_strategy. */
typedef enum {
    LIT_NAN_WARN = 0, /* drop them, warn once per metric (TorchMetrics' default "warn") */
    LIT_NAN_ERROR,    /* update() fails with LIT_ERR_NUMERIC, state unchanged */
    LIT_NAN_IGNORE,   /* drop them silently */
    LIT_NAN_DISABLE,  /* keep them (the result becomes NaN) */
    LIT_NAN_REPLACE   /* set value and weight to nan_replace_value (TorchMetrics' float strategy) */
} lit_nan_strategy;

typedef struct {
    lit_nan_strategy nan_strategy;
    double nan_replace_value;
} lit_aggregation_params; /* all-zero = TorchMetrics' defaults; NULL = defaults */

/* States: mean_value (sum of value*weight) and weight (sum of weights), SUM.
 * compute = mean_value / weight. */
lit_metric *lit_mean_metric_new(const lit_aggregation_params *p);
lit_metric *lit_sum_metric_new(const lit_aggregation_params *p);  /* state sum_value, SUM */
lit_metric *lit_max_metric_new(const lit_aggregation_params *p);  /* state max_value (-inf), MAX */
lit_metric *lit_min_metric_new(const lit_aggregation_params *p);  /* state min_value (+inf), MIN */
/* state value (N,) f32, CAT; compute = the values in update order, flattened
 * (TorchMetrics keeps each update's shape and concatenates along dim 0). */
lit_metric *lit_cat_metric_new(const lit_aggregation_params *p);

/* ---- language modelling (MDLM's metric classes)
 *
 * MeanMetrics of per-token losses in nats: update(nlls, token_mask).
 * NLL = mean_value / weight, BPD = NLL / ln 2, Perplexity = exp(NLL).
 * Lower is better. Each is its own class (merge needs the same class). */
lit_metric *lit_nll_new(const lit_aggregation_params *p);        /* "NLL" */
lit_metric *lit_bpd_new(const lit_aggregation_params *p);        /* "BPD" (BitsPerDimension) */
lit_metric *lit_perplexity_new(const lit_aggregation_params *p); /* "Perplexity" */

/* ---- classification (torchmetrics.classification, task wrappers)
 *
 * Binary: preds and target of one shape. Float preds are probabilities, or
 * logits when any value lies outside [0, 1] (then sigmoid is applied to all,
 * as TorchMetrics); positive when > threshold. Integer preds must be 0/1.
 * Multiclass: preds (N, C, ...) float scores (logits or probabilities: the
 * top_k largest are the predictions) with target (N, ...), or preds of the
 * target's shape holding class indices. Targets are class indices (integer
 * dtypes, or floats holding whole numbers) in [0, C) (binary: 0/1); with
 * has_ignore_index, targets equal to ignore_index are left out.
 * Errors (state unchanged): LIT_ERR_SHAPE for mismatched shapes,
 * LIT_ERR_INVALID_ARG for a class index out of range, a non-0/1 binary
 * label or a NaN score (TorchMetrics would count a NaN as negative/argmax),
 * each naming the metric, the input, the element and its value.
 * Scores divide with zero_division = 0 (TorchMetrics' _safe_divide). */
typedef enum { LIT_TASK_BINARY = 1, LIT_TASK_MULTICLASS = 2 } lit_task; /* 0: error (task is required) */

typedef enum {
    LIT_AVERAGE_MICRO = 0, /* default (the task wrappers' default): sum the stats over classes, then divide */
    LIT_AVERAGE_MACRO,     /* mean of per-class scores over the classes that occur (TorchMetrics 1.x:
                            * top_k 1 and F1: tp+fp+fn > 0; top_k > 1: tp+fn > 0), like sklearn labels=None */
    LIT_AVERAGE_WEIGHTED,  /* per-class scores weighted by support (tp + fn) */
    LIT_AVERAGE_NONE       /* the (C,) per-class scores */
} lit_average;

typedef struct {
    lit_task task;
    int64_t num_classes;  /* multiclass: >= 2 */
    double threshold;     /* binary: positive when prob > threshold; 0 = 0.5 (the default) */
    int top_k;            /* multiclass with score preds: 0 = 1 */
    lit_average average;  /* multiclass; binary ignores it */
    int has_ignore_index; /* 1: targets == ignore_index are left out */
    int64_t ignore_index;
} lit_classification_params;
typedef lit_classification_params lit_accuracy_params;
typedef lit_classification_params lit_precision_params;
typedef lit_classification_params lit_recall_params;
typedef lit_classification_params lit_f1_score_params;

/* States tp, fp, tn, fn: i64 scalars (binary) or (C,) (multiclass), SUM.
 * Binary accuracy (tp+tn)/(tp+tn+fp+fn); multiclass per-class tp/(tp+fn).
 * Precision tp/(tp+fp), recall tp/(tp+fn), F1 2tp/(2tp+fp+fn). 0-d f32
 * results ((C,) with LIT_AVERAGE_NONE). NULL with LIT_ERR_INVALID_ARG for
 * bad params (last error set). Names as TorchMetrics: "BinaryAccuracy",
 * "MulticlassAccuracy", "BinaryPrecision", ... "MulticlassF1Score". */
lit_metric *lit_accuracy_new(const lit_accuracy_params *p);
lit_metric *lit_precision_new(const lit_precision_params *p);
lit_metric *lit_recall_new(const lit_recall_params *p);
lit_metric *lit_f1_score_new(const lit_f1_score_params *p);

typedef enum {
    LIT_CONFMAT_NORMALIZE_NONE = 0, /* counts, i64 */
    LIT_CONFMAT_NORMALIZE_TRUE,     /* each row (true class) sums to 1; f32 */
    LIT_CONFMAT_NORMALIZE_PRED,     /* each column (predicted class) sums to 1; f32 */
    LIT_CONFMAT_NORMALIZE_ALL       /* the whole matrix sums to 1; f32 */
} lit_confmat_normalize;

typedef struct {
    lit_task task;
    int64_t num_classes; /* multiclass: >= 2 (binary: 2) */
    double threshold;    /* binary: 0 = 0.5 */
    lit_confmat_normalize normalize; /* 0/0 gives 0, as TorchMetrics */
    int has_ignore_index;
    int64_t ignore_index;
} lit_confusion_matrix_params;

/* State confmat (C, C) i64, SUM; rows are true classes, columns predicted
 * (sklearn's layout). Multiclass score preds use the argmax. compute: (C, C)
 * i64 counts, or f32 when normalized. */
lit_metric *lit_confusion_matrix_new(const lit_confusion_matrix_params *p);

typedef struct {
    lit_task task;        /* LIT_TASK_BINARY (others: NULL, LIT_ERR_UNSUPPORTED) */
    int has_ignore_index;
    int64_t ignore_index;
} lit_auroc_params;

/* Binary AUROC, exact: CAT states preds (N,) f32 (after the sigmoid rule
 * above) and target (N,) i64; compute sorts the scores, treats tied scores
 * as one threshold and integrates the ROC curve with the trapezoid rule
 * (sklearn's roc_auc_score). Preds must be float. With only one class seen
 * the result is 0 with a warning (TorchMetrics; sklearn raises). */
lit_metric *lit_auroc_new(const lit_auroc_params *p);

/* ---- regression
 * preds and target of one shape (any dtypes). States sum_*_error (f32) and
 * total (i64), SUM; compute before any update: NaN. */
typedef struct {
    int root; /* 1: root mean squared error (TorchMetrics' squared=False); 0: MSE (the default) */
} lit_mse_params;
lit_metric *lit_mean_squared_error_new(const lit_mse_params *p); /* NULL = MSE */
lit_metric *lit_mean_absolute_error_new(void);

/* ---------------------------------------------------------------- MetricCollection
 *
 * Named metrics updated together (all must take the same inputs), computed
 * to name -> value, cloned with a new prefix for each stage:
 *
 *     lit_metric_collection *base = lit_metric_collection_new(NULL, NULL);
 *     lit_metric_collection_add(base, "nll", lit_nll_new(NULL));
 *     lit_metric_collection_add(base, "bpd", lit_bpd_new(NULL));
 *     lit_metric_collection *train = lit_metric_collection_clone(base, "train/", NULL);
 *     LIT_TRY(lit_metric_collection_update(train, nlls, mask));
 *     LIT_TRY(lit_metric_collection_compute(train));   // "train/nll", "train/bpd"
 *     for (int i = 0; i < lit_metric_collection_count(train); i++)
 *         printf("%s %g\n", lit_metric_collection_name(train, i), lit_metric_collection_value(train, i));
 *
 * Keys are prefix + name + postfix, in insertion order. */
typedef struct lit_metric_collection lit_metric_collection;

/* prefix/postfix copied (NULL = none). NULL on out of memory. */
lit_metric_collection *lit_metric_collection_new(const char *prefix, const char *postfix);
void lit_metric_collection_free(lit_metric_collection *c); /* frees its metrics; NULL is a no-op */
/* Add `m` under `name` (copied). Takes ownership of m in every case (it is
 * freed on failure), so lit_metric_collection_add(c, "acc", lit_accuracy_new(...))
 * does not leak. Errors: LIT_ERR_INVALID_ARG for a NULL metric (e.g. a
 * failed constructor: its error is kept in the message), an empty or
 * duplicate name; LIT_ERR_NOMEM. */
lit_status lit_metric_collection_add(lit_metric_collection *c, const char *name, lit_metric *m);
/* update every metric; stops at the first error (metrics before it were
 * updated), whose message names the key. */
lit_status lit_metric_collection_update(lit_metric_collection *c, const lit_tensor *preds, const lit_tensor *target);
lit_status lit_metric_collection_update_weighted(lit_metric_collection *c, const lit_tensor *preds,
                                                 const lit_tensor *target, const lit_tensor *weight);
/* compute every metric; value(i) is its one-element result (NaN for results
 * of more elements: read tensor(i)). */
lit_status lit_metric_collection_compute(lit_metric_collection *c);
void lit_metric_collection_reset(lit_metric_collection *c);
/* Fresh copies of every metric (states at defaults). prefix/postfix NULL
 * keep this collection's (TorchMetrics' clone(prefix=None)). NULL on OOM. */
lit_metric_collection *lit_metric_collection_clone(const lit_metric_collection *c, const char *prefix,
                                                   const char *postfix);
int lit_metric_collection_count(const lit_metric_collection *c);
const char *lit_metric_collection_name(const lit_metric_collection *c, int i);  /* the key with prefix/postfix */
double lit_metric_collection_value(const lit_metric_collection *c, int i);      /* from the last compute; NaN before */
const lit_tensor *lit_metric_collection_tensor(const lit_metric_collection *c, int i); /* last compute's result or NULL */
lit_metric *lit_metric_collection_metric(const lit_metric_collection *c, int i); /* owned by the collection */
/* Index of a key (with prefix/postfix) or of a bare name; -1 when absent. */
int lit_metric_collection_find(const lit_metric_collection *c, const char *key);

#ifdef __cplusplus
}
#endif
#endif
