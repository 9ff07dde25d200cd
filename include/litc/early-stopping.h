/*
 * litc/early-stopping.h — Lightning's EarlyStopping: stop a fit when a
 * monitored value stops improving, is non-finite or crosses a threshold.
 *
 * Intended usage:
 *
 *     lit_early_stopping_params ep = lit_early_stopping_default_params();
 *     ep.monitor = "val/loss"; ep.patience = 5;
 *     lit_callback es;
 *     LIT_TRY(lit_early_stopping_callback(&es, &ep));
 *     LIT_TRY(lit_trainer_add_callback(tr, &es));
 *     LIT_TRY(lit_trainer_fit(tr, &m, &dm, NULL));
 *
 * Conventions of every built-in callback (constructor, ownership,
 * accessors, free): callbacks.h.
 */
#ifndef LITC_EARLY_STOPPING_H
#define LITC_EARLY_STOPPING_H

#include "callback.h"
#include "model-checkpoint.h" /* lit_monitor_mode */

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_EARLY_STOPPING_NAME "EarlyStopping"

/* ---------------------------------------------------------------- early stopping */

typedef struct {
    const char *monitor;        /* required; copied */
    double min_delta;           /* default 0: an improvement must exceed |min_delta| */
    int64_t patience;           /* default 3: checks without improvement before stopping */
    int verbose;                /* default 0; 1: every reason is logged with lit_logf INFO */
    lit_monitor_mode mode;      /* default LIT_MIN */
    int strict;                 /* default 1: a missing monitor fails the fit; 0: skip the check */
    int check_finite;           /* default 1: stop when the monitor is NaN or infinite */
    double stopping_threshold;  /* NAN (default) = None: stop once the monitor is better than it */
    double divergence_threshold;/* NAN (default) = None: stop once the monitor is worse than it */
    int check_on_train_epoch_end; /* tri-state: 0 (default) = None: true when val_check_interval is 1.0
                                   * (or val_check_batches 1) and check_val_every_n_epoch is 1, decided
                                   * at setup; 1 = true; -1 = false (check after each validation) */
} lit_early_stopping_params;

lit_early_stopping_params lit_early_stopping_default_params(void);

/* Why EarlyStopping stopped (Lightning's EarlyStoppingReason). */
typedef enum {
    LIT_ES_NOT_STOPPED = 0,
    LIT_ES_STOPPING_THRESHOLD = 1,
    LIT_ES_DIVERGENCE_THRESHOLD = 2,
    LIT_ES_PATIENCE_EXHAUSTED = 3,
    LIT_ES_NON_FINITE_METRIC = 4,
} lit_early_stopping_reason;

/* "NOT_STOPPED", "STOPPING_THRESHOLD", ... (never NULL). */
const char *lit_early_stopping_reason_name(lit_early_stopping_reason r);

/*
 * Lightning's EarlyStopping. Each check (at the end of the training epoch,
 * after the module's hooks, or at the end of each validation: see
 * check_on_train_epoch_end; never in the sanity check, with fast_dev_run or
 * outside fit) reads the monitor from trainer.callback_metrics and, in
 * this order: stops when check_finite and it is not finite; stops when it
 * is better than stopping_threshold; stops when it is worse than
 * divergence_threshold; counts as an improvement when it beats best_score
 * by more than |min_delta| (best_score := it, wait_count := 0); else
 * wait_count += 1 and stops once wait_count >= patience. Stopping calls
 * lit_trainer_set_should_stop(tr, 1) (min_epochs/min_steps still apply)
 * and records stopped_epoch = the current epoch. The reason's text is
 * kept (lit_early_stopping_reason_message) and logged when verbose.
 *
 * State (key "EarlyStopping{'monitor': 'val_loss', 'mode': 'min'}"):
 * wait_count, stopped_epoch, best_score, patience.
 *
 * Errors: LIT_ERR_CONFIG at construction for a NULL/empty monitor, a mode
 * other than LIT_MIN / LIT_MAX, patience < 0 or a NaN/infinite min_delta
 * (Lightning accepts the last two; they make no sense), LIT_ERR_NOMEM; during
 * the fit, with strict, LIT_ERR_CONFIG naming the monitor and the
 * available metrics when it is missing (Lightning's RuntimeError).
 */
lit_status lit_early_stopping_callback(lit_callback *cb, const lit_early_stopping_params *p);

int64_t lit_early_stopping_stopped_epoch(const lit_callback *cb); /* 0 until it stops (as Lightning) */
int64_t lit_early_stopping_wait_count(const lit_callback *cb);
int64_t lit_early_stopping_patience(const lit_callback *cb);
double lit_early_stopping_best_score(const lit_callback *cb);     /* +inf (LIT_MIN) / -inf until the first check */
lit_early_stopping_reason lit_early_stopping_stopping_reason(const lit_callback *cb);
/* The text of the last stop ("Monitored metric val_loss did not improve in
 * the last 3 records. Best score: 0.250. Signaling Trainer to stop."), or
 * NULL when it has not stopped. */
const char *lit_early_stopping_reason_message(const lit_callback *cb);

#ifdef __cplusplus
}
#endif
#endif
