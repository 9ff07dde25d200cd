/*
 * litc/tuner.h — Lightning's Tuner: the learning rate finder (lit_lr_find)
 * and the batch size finder (lit_batch_size_find). Both run fits of their
 * own on a fresh Trainer made from `base` (a nested fit inside a running
 * fit is not possible in litc, so Lightning's LearningRateFinder /
 * BatchSizeFinder callbacks, which run them from on_fit_start, have no
 * equivalent: call these before lit_trainer_fit).
 *
 * Intended usage:
 *
 *     lit_lr_finder_result r;
 *     lit_lr_finder_params lp = lit_lr_finder_default_params();
 *     LIT_TRY(lit_lr_find(&p, &m, &dm, &lp, &r));     // p: the lit_trainer_params of the real fit
 *     if (r.suggestion_idx >= 0) lr = r.suggestion;  // read by configure_optimizers
 *     lit_lr_finder_result_free(&r);
 *     LIT_TRY(lit_trainer_fit(tr, &m, &dm, NULL));
 */
#ifndef LITC_TUNER_H
#define LITC_TUNER_H

#include <stdint.h>

#include "trainer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- learning rate finder */

typedef enum { LIT_LR_FIND_EXPONENTIAL = 0, LIT_LR_FIND_LINEAR = 1 } lit_lr_find_mode;

typedef struct {
    double min_lr;               /* default 1e-8 */
    double max_lr;               /* default 1 */
    int64_t num_training;        /* default 100: optimizer steps (points of the curve) */
    lit_lr_find_mode mode;       /* default LIT_LR_FIND_EXPONENTIAL */
    double early_stop_threshold; /* default 4.0; NAN = None (never stop early) */
    double beta;                 /* default 0.98: the loss smoothing of Lightning's _LRCallback */
    int skip_begin, skip_end;    /* default 10, 1: suggestion()'s arguments */
} lit_lr_finder_params;

lit_lr_finder_params lit_lr_finder_default_params(void);

/* The curve (for plots: the HTML report draws it). */
typedef struct {
    int64_t n;          /* points recorded: num_training, fewer when it stopped early */
    double *lrs;        /* n lrs (malloc'd) */
    double *losses;     /* n smoothed losses (NaN for a batch whose training_step gave no loss) */
    int64_t suggestion_idx; /* index of the suggested lr, -1 when there is none */
    double suggestion;  /* lrs[suggestion_idx], NAN when none */
    int stopped_early;  /* the loss diverged (early_stop_threshold) before num_training steps */
    int64_t steps;      /* optimizer steps made */
} lit_lr_finder_result;

void lit_lr_finder_result_free(lit_lr_finder_result *r); /* NULL is a no-op; zeroes *r */

/*
 * Lightning's Tuner.lr_find (tuner/lr_finder.py _lr_find): the learning
 * rate range test. It copies the module's parameters and buffers (values,
 * requires_grad, the train/eval flag) and the global random stream, fits a
 * fresh Trainer made from `base` with max_steps = num_training,
 * limit_val_batches = num_training, no sanity check, no checkpointing,
 * progress bar, summary or loggers, and a callback that before every batch
 * sets the lr of every param group of the (single) optimizer to the
 * schedule's value for the step — Lightning's _ExponentialLR / _LinearLR:
 * min_lr for step 0, then min_lr * (max_lr / min_lr) ^ ((k + 1) / N)
 * (exponential) or min_lr + (k + 1) / N * (max_lr - min_lr) (linear) for
 * step k >= 1 (N = num_training; Lightning's schedulers skip the exponent
 * 1/N, so do we) — and after each batch that steps (with accumulation,
 * (batch_idx + 1) % accumulate_grad_batches == 0) records that lr and the
 * smoothed loss: avg = beta * avg + (1 - beta) * loss (the loss divided by
 * accumulate_grad_batches, as Lightning's step output), smoothed = avg /
 * (1 - beta ^ (global_step + 1)). It stops when global_step > 1 and smoothed
 * > early_stop_threshold * best (best: the smallest smoothed so far, or the
 * first). Then the parameters, buffers, flags and random stream are put
 * back bit for bit and the gradients dropped, and the suggestion computed
 * (lit_lr_find_suggestion). The module's own state behind m->user is not
 * restored (Lightning restores only what a checkpoint holds). A scheduler
 * from configure_optimizers is overridden before every batch.
 * fast_dev_run: nothing runs (Lightning skips with a warning): out->n = 0.
 * Errors: LIT_ERR_CONFIG for min_lr <= 0 (exponential) or min_lr < 0,
 * max_lr <= min_lr, num_training < 1, beta outside [0, 1), several
 * optimizers or none (Lightning: "learning rate finder only works with
 * single optimizer"); the nested fit's errors. *out is filled on success
 * (free it with lit_lr_finder_result_free) and zeroed on error.
 */
lit_status lit_lr_find(const lit_trainer_params *base, lit_module *m, lit_datamodule *dm, const lit_lr_finder_params *p,
                       lit_lr_finder_result *out);

/*
 * _LRFinder.suggestion(skip_begin, skip_end): the point of steepest descent
 * of the curve. Keeps points skip_begin .. n - skip_end - 1 (Python's
 * [skip_begin:-skip_end]) whose loss is finite; with fewer than 2 returns
 * -1 (Lightning logs an error and returns None); else the gradient of the
 * losses against the lrs as torch.gradient(losses, spacing=[lrs]) computes
 * it in float32 (second-order central differences on the uneven spacing,
 * first-order at both ends) and returns the index, in the full curve, of
 * its first minimum (a NaN gradient counts as the minimum, as torch.argmin).
 */
int64_t lit_lr_find_suggestion(const double *lrs, const double *losses, int64_t n, int skip_begin, int skip_end);

/* Draw the finder's curve (smoothed loss against a log-scaled lr, the
 * suggestion in the title) on an HTML report logger (report.h). Errors:
 * lit_html_report_add_curve's; LIT_ERR_INVALID_ARG for an empty result. */
lit_status lit_lr_find_report(const lit_lr_finder_result *r, lit_logger *report);

/* ---------------------------------------------------------------- batch size finder */

typedef enum { LIT_BATCH_SIZE_POWER = 0, LIT_BATCH_SIZE_BINSEARCH = 1 } lit_batch_size_mode;

typedef struct {
    lit_batch_size_mode mode; /* default LIT_BATCH_SIZE_POWER */
    int64_t steps_per_trial;  /* default 3 */
    int64_t init_val;         /* default 2 */
    int64_t max_trials;       /* default 25 */
    /* Memory instead of CUDA's out-of-memory error: a trial "fits" when the
     * trial Trainer's lit_trainer_peak_step_bytes stays <= budget_bytes.
     * Required (> 0). */
    int64_t budget_bytes;
    /* Required: make the datamodule's loaders (and whatever else reads it)
     * use batch size bs from the next fit on — Lightning's
     * lightning_setattr(model, "batch_size", bs). */
    lit_status (*set_batch_size)(void *user, int64_t bs);
    void *user;
} lit_batch_size_finder_params;

lit_batch_size_finder_params lit_batch_size_finder_default_params(void);

typedef struct {
    int64_t batch_size;  /* the size found (also set through set_batch_size at the end) */
    int n_trials;
    int64_t *sizes;      /* n_trials batch sizes tried, in order (malloc'd) */
    int64_t *peaks;      /* their peak step bytes */
    int *fits;           /* 1 when within the budget */
} lit_batch_size_finder_result;

void lit_batch_size_finder_result_free(lit_batch_size_finder_result *r); /* NULL is a no-op; zeroes *r */

/*
 * Lightning's Tuner.scale_batch_size (tuner/batch_size_scaling.py) with a
 * memory budget for the OOM test. Copies the parameters as lit_lr_find
 * does; each trial sets the size and fits a fresh Trainer made from `base`
 * for steps_per_trial optimizer steps (limit_train 1.0, limit_val_batches =
 * steps_per_trial, no sanity check, checkpointing, bar, summary or
 * loggers); a trial whose peak passes the budget is stopped after that
 * batch and counts as Lightning's OOM. The weights keep training from
 * trial to trial (as Lightning's) and are put back at the end.
 *   power: double after each success (stop when the size covers the whole
 *   dataset — the trial's epoch was a single batch — or after max_trials);
 *   after a failure halve, and stop if something succeeded before;
 *   binsearch: double until the first failure, then bisect between the
 *   last success and the failure ((low + high) / 2) until they are 1 apart;
 *   max_trials bounds the successes.
 * At the end set_batch_size(user, found) runs, so the datamodule is left at
 * the found size. fast_dev_run: nothing runs, found = 0 (Lightning returns
 * None).
 * Errors: LIT_ERR_CONFIG for bad params (no set_batch_size, budget <= 0,
 * steps_per_trial, init_val or max_trials < 1), LIT_ERR_NOMEM when not even
 * batch size 1 fits the budget (Lightning would go on with size 0);
 * set_batch_size's and the trial fits' errors (other than the budget).
 * `out` (may be NULL) gets the trials; free it with
 * lit_batch_size_finder_result_free.
 */
lit_status lit_batch_size_find(const lit_trainer_params *base, lit_module *m, lit_datamodule *dm,
                               const lit_batch_size_finder_params *p, int64_t *found,
                               lit_batch_size_finder_result *out);

#ifdef __cplusplus
}
#endif
#endif
