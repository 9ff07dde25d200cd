/*
 * litc/sched.h — learning-rate schedulers (torch.optim.lr_scheduler).
 *
 * A scheduler is attached to an optimizer (optim.h) and sets the `lr` of
 * every parameter group (OneCycleLR also sets SGD `momentum` or Adam
 * `betas[0]`). Each reproduces PyTorch 1.13's sequence, including the
 * recursive ("chainable") forms of get_lr — CosineAnnealingLR, LinearLR,
 * StepLR, ... compute the next lr from the group's current lr, exactly as
 * PyTorch does, so values agree with PyTorch to the last bit or two
 * (tests/fixtures/sched.txt) and composing with other changes to the lr
 * behaves the same.
 *
 * As in PyTorch, creating a scheduler performs its initial step: it sets
 * each group's `initial_lr` (when NAN) from `lr`, records base_lrs =
 * initial_lr, and sets the lr for epoch 0. Call lit_scheduler_step after each
 * optimizer step (per epoch or per batch, the Trainer decides).
 *
 * Intended usage:
 *
 *     lit_cosine_lr_params cp = lit_cosine_lr_default_params();
 *     cp.T_max = 100; cp.eta_min = 1e-5;
 *     lit_scheduler *s = lit_cosine_lr_new(opt, &cp);
 *     if (!s) { fprintf(stderr, "%s\n", lit_last_error()); ... }
 *     for (epoch ...) { train...; lit_optimizer_step(opt); LIT_TRY(lit_scheduler_step(s)); }
 *     double lr0 = lit_scheduler_get_last_lr(s, NULL)[0];
 *     lit_scheduler_free(s);
 *
 *     // warm-up then cosine: children are owned by the SequentialLR
 *     lit_scheduler *kids[2] = { lit_linear_lr_new(opt, &lp), lit_cosine_lr_new(opt, &cp) };
 *     lit_scheduler *seq = lit_sequential_lr_new(opt, kids, 2, (int64_t[]){ 5 });
 *
 *     // ReduceLROnPlateau is stepped with the monitored metric:
 *     lit_scheduler_step_metric(plateau, val_loss);
 *
 * State (for checkpoints): lit_scheduler_state_count / _state_at enumerate
 * the scheduler's mutable state as (key, double) pairs named like PyTorch's
 * state_dict entries: "last_epoch", "_step_count", "base_lrs.<g>",
 * "_last_lr.<g>", plus "T_i", "T_cur" (CosineAnnealingWarmRestarts),
 * "best", "num_bad_epochs", "cooldown_counter" (ReduceLROnPlateau; best may
 * be +-inf) and "_schedulers.<i>.<key>" for the children of SequentialLR.
 * lit_scheduler_state_set restores one key. Hyperparameters (gamma, T_max,
 * ...) are not state: they come from the params given at creation. Group
 * lrs, initial_lr and momentum belong to the optimizer's state: restore
 * those with lit_optimizer_set_hparam first, then the scheduler (the order
 * of Lightning's restore). Then stepping continues exactly.
 *
 * Errors: bad configuration values (negative step_size, factor >= 1, ...)
 * are runtime errors: constructors return NULL and lit_last_error() names the
 * parameter and its value. Stepping a OneCycleLR past total_steps returns
 * LIT_ERR_STATE. Calling lit_scheduler_step on a ReduceLROnPlateau, or using
 * a scheduler after its optimizer gained parameter groups, is a programmer
 * error (LIT_ASSERT).
 */
#ifndef LITC_SCHED_H
#define LITC_SCHED_H

#include "optim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lit_scheduler lit_scheduler;

/* ---------------------------------------------------------------- common */

/* Free a scheduler (SequentialLR: and its children). NULL is a no-op. The
 * optimizer is not freed and its lrs stay as they are. */
void lit_scheduler_free(lit_scheduler *s);

/* One step: last_epoch += 1 and every group's lr is set. Errors:
 * LIT_ERR_STATE (OneCycleLR stepped past total_steps; nothing changes).
 * Asserts for ReduceLROnPlateau (use lit_scheduler_step_metric). */
lit_status lit_scheduler_step(lit_scheduler *s);
/* ReduceLROnPlateau: step with the monitored value. Other schedulers ignore
 * `metric` and do lit_scheduler_step. */
lit_status lit_scheduler_step_metric(lit_scheduler *s, double metric);
/* 1 for schedulers that need a metric (ReduceLROnPlateau). */
int lit_scheduler_needs_metric(const lit_scheduler *s);

/* The lr of each group after the last step (PyTorch's get_last_lr()); the
 * array has one value per group (count into *n_groups when not NULL) and
 * stays valid until the next step or free. */
const double *lit_scheduler_get_last_lr(const lit_scheduler *s, int *n_groups);
int64_t lit_scheduler_last_epoch(const lit_scheduler *s);
/* "StepLR", "CosineAnnealingLR", ... (PyTorch's class names). */
const char *lit_scheduler_name(const lit_scheduler *s);
lit_optimizer *lit_scheduler_optimizer(const lit_scheduler *s);

/* State as (key, value) pairs; see the overview. Keys are valid while the
 * scheduler lives. state_at asserts on k out of range. */
int lit_scheduler_state_count(const lit_scheduler *s);
void lit_scheduler_state_at(const lit_scheduler *s, int k, const char **key, double *value);
/* LIT_ERR_NOT_FOUND for an unknown key; LIT_ERR_INVALID_ARG for a
 * non-integral or non-finite value given to an integer key. */
lit_status lit_scheduler_state_get(const lit_scheduler *s, const char *key, double *value);
lit_status lit_scheduler_state_set(lit_scheduler *s, const char *key, double value);

/* ---------------------------------------------------------------- StepLR */

/* lr *= gamma every step_size epochs. */
typedef struct {
    int64_t step_size; /* default 1; > 0 */
    double gamma;      /* default 0.1 */
} lit_step_lr_params;
lit_step_lr_params lit_step_lr_default_params(void);
lit_scheduler *lit_step_lr_new(lit_optimizer *opt, const lit_step_lr_params *p);

/* ---------------------------------------------------------------- MultiStepLR */

/* lr *= gamma^count at each milestone (a milestone listed k times counts k). */
typedef struct {
    const int64_t *milestones; /* copied; any order */
    int n_milestones;
    double gamma;              /* default 0.1 */
} lit_multistep_lr_params;
lit_multistep_lr_params lit_multistep_lr_default_params(void);
lit_scheduler *lit_multistep_lr_new(lit_optimizer *opt, const lit_multistep_lr_params *p);

/* ---------------------------------------------------------------- ExponentialLR */

typedef struct {
    double gamma; /* default 0.95 (PyTorch has no default) */
} lit_exponential_lr_params;
lit_exponential_lr_params lit_exponential_lr_default_params(void);
lit_scheduler *lit_exponential_lr_new(lit_optimizer *opt, const lit_exponential_lr_params *p);

/* ---------------------------------------------------------------- CosineAnnealingLR */

/* Cosine from base lr to eta_min over T_max epochs (and back up after, as
 * PyTorch's recursive form does). */
typedef struct {
    int64_t T_max;  /* default 1; > 0 */
    double eta_min; /* default 0 */
} lit_cosine_lr_params;
lit_cosine_lr_params lit_cosine_lr_default_params(void);
lit_scheduler *lit_cosine_lr_new(lit_optimizer *opt, const lit_cosine_lr_params *p);

/* ---------------------------------------------------------------- CosineAnnealingWarmRestarts */

/* SGDR: cosine over T_i epochs, then restart with T_i *= T_mult. */
typedef struct {
    int64_t T_0;    /* default 1; > 0 */
    int64_t T_mult; /* default 1; >= 1 */
    double eta_min; /* default 0 */
} lit_cosine_warm_restarts_params;
lit_cosine_warm_restarts_params lit_cosine_warm_restarts_default_params(void);
lit_scheduler *lit_cosine_warm_restarts_new(lit_optimizer *opt, const lit_cosine_warm_restarts_params *p);

/* ---------------------------------------------------------------- LinearLR, ConstantLR */

/* lr factor goes linearly from start_factor to end_factor over total_iters. */
typedef struct {
    double start_factor; /* default 1/3; in (0, 1] */
    double end_factor;   /* default 1.0; in [0, 1] */
    int64_t total_iters; /* default 5; > 0 */
} lit_linear_lr_params;
lit_linear_lr_params lit_linear_lr_default_params(void);
lit_scheduler *lit_linear_lr_new(lit_optimizer *opt, const lit_linear_lr_params *p);

/* lr * factor until total_iters, then lr. */
typedef struct {
    double factor;       /* default 1/3; in [0, 1] */
    int64_t total_iters; /* default 5; >= 0 */
} lit_constant_lr_params;
lit_constant_lr_params lit_constant_lr_default_params(void);
lit_scheduler *lit_constant_lr_new(lit_optimizer *opt, const lit_constant_lr_params *p);

/* ---------------------------------------------------------------- PolynomialLR */

/* lr = base * (1 - min(epoch, total_iters) / total_iters)^power (recursively). */
typedef struct {
    int64_t total_iters; /* default 5; > 0 */
    double power;        /* default 1.0 */
} lit_polynomial_lr_params;
lit_polynomial_lr_params lit_polynomial_lr_default_params(void);
lit_scheduler *lit_polynomial_lr_new(lit_optimizer *opt, const lit_polynomial_lr_params *p);

/* ---------------------------------------------------------------- LambdaLR, MultiplicativeLR */

/* A user factor for epoch `epoch` (0, 1, 2, ...). Must be pure (the same
 * epoch gives the same value) for resume to be exact. */
typedef double (*lit_lr_lambda)(int64_t epoch, void *user);

typedef struct {
    lit_lr_lambda fn;             /* shared by every group ... */
    void *user;
    const lit_lr_lambda *fns;     /* ... or one per group (n_fns == number of groups; copied) */
    void *const *users;           /* (optional) one user pointer per group; NULL: all NULL */
    int n_fns;
} lit_lambda_lr_params;
lit_lambda_lr_params lit_lambda_lr_default_params(void);
/* LambdaLR: lr = base_lr * fn(epoch). */
lit_scheduler *lit_lambda_lr_new(lit_optimizer *opt, const lit_lambda_lr_params *p);
/* MultiplicativeLR: lr = lr * fn(epoch) for epoch > 0. */
lit_scheduler *lit_multiplicative_lr_new(lit_optimizer *opt, const lit_lambda_lr_params *p);

/* ---------------------------------------------------------------- OneCycleLR */

typedef enum { LIT_ANNEAL_COS = 0, LIT_ANNEAL_LINEAR = 1 } lit_anneal_strategy;

/*
 * 1cycle: lr rises from max_lr/div_factor to max_lr over pct_start of the
 * steps, then falls to max_lr/div_factor/final_div_factor (three_phase: back
 * to the start first, then down). With cycle_momentum the optimizer's SGD
 * momentum or Adam beta1 moves inversely between max_momentum and
 * base_momentum. Overwrites each group's initial_lr (as PyTorch). Step per
 * batch; total_steps + 1 lrs exist (steps 0 .. total_steps).
 */
typedef struct {
    double max_lr;             /* default 0.1; used when max_lrs is NULL */
    const double *max_lrs;     /* (optional) one per group (copied) */
    int64_t total_steps;       /* > 0, or 0 to use epochs * steps_per_epoch */
    int64_t epochs;
    int64_t steps_per_epoch;
    double pct_start;          /* default 0.3; in [0, 1] */
    lit_anneal_strategy anneal_strategy; /* default LIT_ANNEAL_COS */
    int cycle_momentum;        /* default 1: needs an optimizer with "momentum" or "betas.0" */
    double base_momentum;      /* default 0.85 */
    double max_momentum;       /* default 0.95 */
    double div_factor;         /* default 25 */
    double final_div_factor;   /* default 1e4 */
    int three_phase;           /* default 0 */
} lit_one_cycle_lr_params;
lit_one_cycle_lr_params lit_one_cycle_lr_default_params(void);
lit_scheduler *lit_one_cycle_lr_new(lit_optimizer *opt, const lit_one_cycle_lr_params *p);

/* ---------------------------------------------------------------- SequentialLR */

/*
 * Run schedulers one after another: scheds[0] until milestones[0], then
 * scheds[1] (started at its epoch 0), ... Takes ownership of the n children
 * (all attached to `opt`, none a ReduceLROnPlateau or SequentialLR) even
 * when it fails; `milestones` has n - 1 increasing entries (copied). Like
 * PyTorch, it resets every group's lr to initial_lr and redoes the first
 * child's initial step. NULL on a bad argument (last error set).
 */
lit_scheduler *lit_sequential_lr_new(lit_optimizer *opt, lit_scheduler **scheds, int n, const int64_t *milestones);

/* ---------------------------------------------------------------- ReduceLROnPlateau */

typedef enum { LIT_SCHED_MIN = 0, LIT_SCHED_MAX = 1 } lit_sched_mode;
typedef enum { LIT_THRESHOLD_REL = 0, LIT_THRESHOLD_ABS = 1 } lit_threshold_mode;

/* Multiply lr by `factor` when the metric has not improved for more than
 * `patience` steps. Stepped with lit_scheduler_step_metric. */
typedef struct {
    lit_sched_mode mode;            /* default LIT_SCHED_MIN */
    double factor;                  /* default 0.1; < 1 */
    int64_t patience;               /* default 10; >= 0 */
    double threshold;               /* default 1e-4 */
    lit_threshold_mode threshold_mode; /* default LIT_THRESHOLD_REL */
    int64_t cooldown;               /* default 0; >= 0 */
    double min_lr;                  /* default 0; used when min_lrs is NULL */
    const double *min_lrs;          /* (optional) one per group (copied) */
    double eps;                     /* default 1e-8: smaller lr changes are skipped */
} lit_reduce_lr_on_plateau_params;
lit_reduce_lr_on_plateau_params lit_reduce_lr_on_plateau_default_params(void);
lit_scheduler *lit_reduce_lr_on_plateau_new(lit_optimizer *opt, const lit_reduce_lr_on_plateau_params *p);

#ifdef __cplusplus
}
#endif
#endif
