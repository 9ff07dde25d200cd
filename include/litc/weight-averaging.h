/*
 * litc/weight-averaging.h — averages of the weights kept during a fit:
 * the exponential moving average MDLM uses (ExponentialMovingAverage) and
 * Lightning's StochasticWeightAveraging. Each is added as a callback; the
 * averaged weights are read back with the accessors or copied into a
 * parameter store.
 *
 * Intended usage:
 *
 *     lit_ema_params ep = lit_ema_default_params();
 *     ep.decay = 0.999;
 *     lit_callback ema;
 *     LIT_TRY(lit_ema_callback(&ema, &ep));
 *     LIT_TRY(lit_trainer_add_callback(tr, &ema));
 *     LIT_TRY(lit_trainer_fit(tr, &m, &dm, NULL));   // validation runs on the EMA weights
 *     LIT_TRY(lit_ema_copy_to(&ema, store));         // keep them for inference
 *
 * Conventions of every built-in callback (constructor, ownership,
 * accessors, free): callbacks.h.
 */
#ifndef LITC_WEIGHT_AVERAGING_H
#define LITC_WEIGHT_AVERAGING_H

#include "callback.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- EMA of weights */

#define LIT_EMA_NAME "ExponentialMovingAverage"

typedef struct {
    double decay;          /* default 0.9999 (MDLM's training.ema); in [0, 1] */
    int use_num_updates;   /* default 1: the decay of update n (1, 2, ...) is
                            * min(decay, (1 + n) / (10 + n)) */
    int validate_with_ema; /* default 1: validation (the sanity check too) runs on the EMA weights */
    int test_with_ema;     /* default 1: lit_trainer_test runs on them too (once a fit made them) */
} lit_ema_params;

lit_ema_params lit_ema_default_params(void);

/*
 * The exponential moving average of the weights that MDLM keeps
 * (ExponentialMovingAverage of score_sde / torch_ema, driven from the
 * LightningModule's optimizer_step, on_validation_epoch_start/end and
 * on_save/on_load_checkpoint), as a callback.
 *
 * Shadow weights: at the first fit's setup a copy of every parameter
 * (buffers excluded) that requires grad then. After each optimizer step
 * (on_train_batch_end of a batch that moved lit_trainer_global_step; with
 * accumulation that is the last batch of each group) each shadow s of
 * parameter p becomes, in f32,
 *     s = s - (float)(1 - decay_n) * (s - p)
 * (MDLM's s_param.sub_(one_minus_decay * (s_param - param))), decay_n as
 * above with n counting the updates (saved, so a resumed fit continues the
 * same sequence).
 *
 * Swap: on_validation_start (and on_test_start with test_with_ema) copies
 * the training weights aside and the shadows into the parameters;
 * on_validation_end / on_test_end copies the training weights back, bit for
 * bit (MDLM's ema.store + ema.copy_to, then ema.restore). The callback is
 * not `monitoring`, so it swaps back before ModelCheckpoint's
 * on_validation_end writes a file; a checkpoint written while swapped gets
 * the training weights under "state_dict.*" anyway.
 *
 * Checkpoints (state key "ExponentialMovingAverage"): values num_updates
 * (null without use_num_updates), decay, n_shadow; tensors
 * "callbacks.ExponentialMovingAverage.shadow.<param>" (on_save_checkpoint),
 * read back by on_load_checkpoint when a fit resumes. A checkpoint without
 * them (a run without EMA) leaves the shadows at the loaded weights, with a
 * warning.
 *
 * Errors: LIT_ERR_CONFIG for a decay outside [0, 1] or NaN; LIT_ERR_NOMEM;
 * during fit LIT_ERR_SHAPE when a checkpoint's shadow has another shape.
 */
lit_status lit_ema_callback(lit_callback *cb, const lit_ema_params *p);

/* Updates made so far (MDLM's num_updates; counted also without use_num_updates). */
int64_t lit_ema_num_updates(const lit_callback *cb);
/* The decay the next update will use. */
double lit_ema_next_decay(const lit_callback *cb);
/* Parameters tracked (0 before the first fit's setup), the i-th one's name
 * and its shadow (owned by the callback; valid until it is freed). */
int lit_ema_num_shadow(const lit_callback *cb);
const char *lit_ema_shadow_name(const lit_callback *cb, int i);
const lit_tensor *lit_ema_shadow(const lit_callback *cb, const char *name); /* NULL when not tracked */
/* 1 while the EMA weights are swapped into the model. */
int lit_ema_swapped(const lit_callback *cb);
/* Copy the EMA weights into the same-named parameters of `ps` (MDLM's
 * ema.copy_to, e.g. before exporting with lit_module_save_weights).
 * Errors: LIT_ERR_STATE before the first fit's setup, LIT_ERR_NOT_FOUND /
 * LIT_ERR_SHAPE for a store without a tracked name or with another shape
 * (nothing is copied then). */
lit_status lit_ema_copy_to(const lit_callback *cb, lit_param_store *ps);

/* ---------------------------------------------------------------- stochastic weight averaging */

#define LIT_SWA_NAME "StochasticWeightAveraging"
#define LIT_SWA_MAX_GROUPS 16

typedef struct {
    double swa_lr;            /* required (> 0): the SWA lr of every param group (Lightning's float swa_lrs) */
    const double *swa_lrs;    /* or one per group (n_swa_lrs of them, each > 0; copied); NULL = swa_lr */
    int n_swa_lrs;
    int64_t swa_epoch_start;  /* the int form (>= 1): averaging starts at epoch swa_epoch_start - 1
                               * (0-based, Lightning's max(swa_epoch_start - 1, 0)); 0 (default) = use
                               * swa_epoch_start_fraction */
    double swa_epoch_start_fraction; /* the float form, in [0, 1]: int(max_epochs * fraction) is the int
                                      * form; default 0.8 */
    int64_t annealing_epochs; /* default 10; >= 0 */
    lit_anneal_strategy annealing_strategy; /* default LIT_ANNEAL_COS (sched.h's, as OneCycleLR's) */
} lit_swa_params;

lit_swa_params lit_swa_default_params(void);

/*
 * Lightning's StochasticWeightAveraging (with torch.optim.swa_utils.SWALR),
 * for the module's parameters (buffers are left alone: there is no
 * BatchNorm to recompute; `device` and `avg_fn` are not needed).
 *
 * swa_start = max(swa_epoch_start - 1, 0), swa_end = max_epochs - 1
 * (0-based; max_epochs must be set). At setup the average is a copy of the
 * parameters. At on_train_epoch_start of epoch e, swa_start <= e <= swa_end:
 *   - the first time, SWALR takes over the lr: each group's initial_lr is
 *     set to its swa lr, and from then on the group's lr is SWALR's
 *     (torch 2.x get_lr, in double: with step k = 0 at the start and k + 1
 *     after each epoch, alpha(t) = (1 - cos(pi t)) / 2 (cos) or t (linear)
 *     at t = clamp(k / max(1, annealing_epochs), 0, 1); lr = swa_lr * alpha +
 *     lr_0 * (1 - alpha), lr_0 recovered from the previous lr as torch does).
 *     Lightning swaps the trainer's scheduler config for SWALR's; litc cannot
 *     remove the module's scheduler, so the callback sets SWALR's lr on every
 *     group at each epoch start and each batch start, which overrides
 *     whatever a scheduler of the module set (a warning says so once);
 *   - the weights at the start of the epoch are averaged in (Lightning
 *     2.x averages on epoch start, so the average holds the weights after
 *     epochs swa_start - 1 .. swa_end - 1): in f32, s = p for the first,
 *     then s = s + (p - s) / (float)(n + 1), n = models averaged so far.
 * At on_train_end, when the fit ran its last epoch (current_epoch - 1 ==
 * swa_end), the average is copied into the parameters. A fit stopped
 * earlier keeps its own weights (as Lightning).
 *
 * Checkpoints (state key "StochasticWeightAveraging"): values n_averaged,
 * latest_update_epoch, scheduler_state (null before SWA starts; else
 * step_count and the groups' swa_lrs and current lrs); tensors
 * "callbacks.StochasticWeightAveraging.average_model_state.<param>".
 *
 * Errors: at construction LIT_ERR_CONFIG for swa_lr(s) <= 0 or NaN, a
 * swa_epoch_start < 0, a fraction outside [0, 1], annealing_epochs < 0, an
 * unknown strategy, more than LIT_SWA_MAX_GROUPS lrs; at fit start
 * LIT_ERR_CONFIG for max_epochs unset (-1), several optimizers or several
 * schedulers (Lightning's MisconfigurationException), swa_lrs whose count
 * is not the optimizer's group count.
 */
lit_status lit_swa_callback(lit_callback *cb, const lit_swa_params *p);

int64_t lit_swa_n_averaged(const lit_callback *cb);
/* The averaged copy of parameter `name` (NULL before setup or when unknown). */
const lit_tensor *lit_swa_average(const lit_callback *cb, const char *name);
/* swa_start (0-based) once a fit resolved it, else -1. */
int64_t lit_swa_start_epoch(const lit_callback *cb);
/* The lr SWALR gives group g now (NAN before SWA started). */
double lit_swa_lr(const lit_callback *cb, int g);

#ifdef __cplusplus
}
#endif
#endif
