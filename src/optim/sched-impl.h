/*
 * src/optim/sched-impl.h — the scheduler struct and the base-class helpers
 * shared by the scheduler sources (sched*.c).
 *
 * The struct mirrors torch.optim.lr_scheduler._LRScheduler: last_epoch,
 * _step_count, base_lrs, _last_lr, plus the fields of every kind. Each kind
 * supplies a sched_ops: its chainable get_lr, optionally its closed form
 * (used when SequentialLR restarts it with step(0)) and optionally its own
 * step (CosineAnnealingWarmRestarts, SequentialLR, ReduceLROnPlateau).
 *
 * The formulas are evaluated in PyTorch's order in double; fp contraction is
 * off in these files so a*b + c is not fused (Python never fuses).
 */
#ifndef LITC_SCHED_IMPL_H
#define LITC_SCHED_IMPL_H

#include "litc/sched.h"

#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

typedef struct sched_ops {
    const char *name;
    /* Chainable lrs for the current last_epoch into out[n_groups]. */
    lit_status (*get_lr)(lit_scheduler *s, double *out);
    /* (optional) Closed form for last_epoch (PyTorch's _get_closed_form_lr). */
    lit_status (*closed_form)(lit_scheduler *s, double *out);
    /* (optional) Own step: epoch < 0 means "no epoch given". */
    lit_status (*step)(lit_scheduler *s, int64_t epoch);
    int needs_metric;  /* ReduceLROnPlateau */
    int own_state;     /* register only _last_lr.<g> in the base; the kind adds the rest */
} sched_ops;

typedef struct {
    char name[96];
    double *d;   /* exactly one of d, i is set */
    int64_t *i;
} sched_entry;

typedef struct {
    double end_step;
    int start_lr, end_lr;   /* 0 initial_lr (from the group), 1 max_lr, 2 min_lr */
    int start_mom, end_mom; /* 0 max_momentum, 1 base_momentum */
} onecycle_phase;

struct lit_scheduler {
    const sched_ops *ops;
    lit_optimizer *opt;
    int n_groups;
    int64_t last_epoch;
    int64_t step_count;      /* PyTorch's _step_count */
    double *base_lrs;        /* n_groups */
    double *last_lr;         /* n_groups */
    double *tmp;             /* n_groups scratch */

    /* chainable kinds */
    double gamma, eta_min, factor, start_factor, end_factor, power;
    int64_t step_size, T_max, total_iters;
    int64_t *milestones;     /* MultiStepLR (sorted, repeats kept); SequentialLR */
    int n_milestones;
    lit_lr_lambda *fns;      /* LambdaLR, MultiplicativeLR: per group */
    void **users;

    /* CosineAnnealingWarmRestarts */
    int64_t T_0, T_i, T_mult;
    double T_cur;

    /* OneCycleLR */
    int64_t total_steps;
    onecycle_phase phases[3];
    int n_phases;
    int anneal_linear;
    int cycle_momentum;
    const char *momentum_name; /* "momentum" or "betas.0" */
    double *max_lrs, *min_lrs, *max_moms, *base_moms; /* per group */

    /* ReduceLROnPlateau (min_lrs above is reused for its per-group floor) */
    double metric;           /* the value given to lit_scheduler_step_metric */
    int mode_max, threshold_abs;
    double threshold, best, eps;
    int64_t patience, cooldown, cooldown_counter, num_bad_epochs;

    /* SequentialLR */
    lit_scheduler **children;
    int n_children;

    sched_entry *entries;
    int n_entries, cap_entries;
};

/* Allocate a scheduler of `ops` for `opt` (arrays sized by its groups) with
 * the base state entries; NULL + last error on out of memory. `who` names
 * the constructor in messages; asserts opt != NULL. */
lit_scheduler *lit__sched_alloc(lit_optimizer *opt, const sched_ops *ops);
/* Allocate a per-group double array owned by the scheduler (freed with it). */
double *lit__sched_group_array(lit_scheduler *s);
/* Register a state entry (exactly one of d, i non-NULL); -1 on out of memory. */
int lit__sched_add_entry(lit_scheduler *s, const char *name, double *d, int64_t *i);
/* PyTorch's _LRScheduler.__init__ with last_epoch = -1: set initial_lr
 * where NAN, base_lrs = initial_lr, then the initial step. On failure frees
 * s and returns NULL. */
lit_scheduler *lit__sched_init(lit_scheduler *s);
/* _LRScheduler.step(epoch) (epoch < 0: none): count, last_epoch, get_lr or
 * closed form, write group lrs and _last_lr. */
lit_status lit__sched_base_step(lit_scheduler *s, int64_t epoch);
/* Any scheduler's step as SequentialLR calls it (epoch < 0: none). */
lit_status lit__sched_step_epoch(lit_scheduler *s, int64_t epoch);
/* Copy the group lrs into last_lr. */
void lit__sched_record_last_lr(lit_scheduler *s);
/* Fail creation: set the error, free s, return NULL. */
lit_scheduler *lit__sched_fail(lit_scheduler *s, lit_status st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
