/*
 * litc/optim.h — optimizers (SGD, Adam, AdamW), parameter groups, optimizer
 * state, and gradient clipping.
 *
 * Every optimizer is a lit_optimizer: a list of parameter groups (each with
 * its own parameters and hyperparameters, like PyTorch's param_groups), a
 * per-parameter state (named slots: "momentum_buffer", "step", "exp_avg",
 * ...) and a versioned vtable that does the update. The Trainer, schedulers
 * (sched.h) and checkpoints use only the generic lit_optimizer_* functions, so
 * built-in and user-written optimizers are treated the same.
 *
 * The updates are PyTorch's single-tensor (foreach=False) formulas of
 * torch/optim/{sgd,adam,adamw}.py (1.13) in float32, with the scalar
 * hyperparameters rounded to float32 where PyTorch rounds them and a fused
 * multiply-add wherever PyTorch's CPU kernels use one. On CPUs with FMA (the
 * default -march=native build) 100 steps of every config in
 * tests/fixtures/optim.txt come out bit-identical to PyTorch; elsewhere they
 * agree to a few ulps.
 *
 * Intended usage:
 *
 *     lit_adam_params ap = lit_adamw_default_params();
 *     ap.lr = 3e-4; ap.weight_decay = 0.1;
 *     lit_optimizer *opt = lit_adamw_new(&ap, params, n_params);
 *     if (!opt) { fprintf(stderr, "%s\n", lit_last_error()); ... }
 *
 *     // a second group without weight decay (e.g. biases, norms):
 *     lit_param_group g = lit_optimizer_default_group(opt);
 *     g.params = no_decay; g.n_params = n_no_decay; g.weight_decay = 0.0;
 *     LIT_TRY(lit_optimizer_add_param_group(opt, &g));
 *
 *     for (each step) {
 *         lit_optimizer_zero_grad(opt, 1);
 *         ... forward, lit_backward(loss) ...
 *         lit_clip_grad_norm(params, n_params, 1.0, 2.0);
 *         LIT_TRY(lit_optimizer_step(opt));
 *     }
 *     lit_optimizer_free(opt);
 *
 * Parameters are f32, contiguous lit_tensor leaves; their ->grad (f32, same
 * shape) may be NULL, and such parameters are skipped by step, as PyTorch
 * does. The optimizer copies the arrays of parameter pointers it is given but
 * never owns the tensors: they must outlive it.
 *
 * Memory: optimizer state tensors are heap tensors owned by the optimizer,
 * created on a parameter's first step (or when loaded) and freed by
 * lit_optimizer_free; the steady-state step allocates nothing and never
 * touches the step arena.
 *
 * Errors: invalid hyperparameters (negative lr, betas outside [0, 1), ...)
 * are runtime errors, since they usually come from a config file: the
 * constructors return NULL and lit_optimizer_add_param_group returns
 * LIT_ERR_INVALID_ARG, with lit_last_error() naming the parameter and its
 * value. NULL or non-f32 parameters and gradients of the wrong shape are
 * programmer errors (LIT_ASSERT).
 *
 * Threads: one optimizer is used by one thread at a time; elementwise update
 * loops run with OpenMP and give the same bits for any thread count.
 */
#ifndef LITC_OPTIM_H
#define LITC_OPTIM_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lit_optimizer lit_optimizer;

/* ---------------------------------------------------------------- groups */

/*
 * A parameter group: parameters plus the hyperparameters used to update
 * them. One struct serves all optimizers; each optimizer reads only its own
 * fields (SGD: lr, momentum, dampening, nesterov, weight_decay, maximize;
 * Adam/AdamW: lr, betas, eps, weight_decay, amsgrad, maximize).
 *
 * Schedulers change `lr` (and `momentum` or `betas[0]` for OneCycleLR) between
 * steps; `initial_lr` is set by the first scheduler attached (PyTorch's
 * group['initial_lr']) and is NAN until then.
 */
typedef struct lit_param_group {
    lit_tensor **params;    /* in the optimizer: its own copy of the pointer array */
    int n_params;
    double lr;
    double initial_lr;      /* NAN until a scheduler sets it */
    double weight_decay;
    double momentum;        /* SGD */
    double dampening;       /* SGD */
    int nesterov;           /* SGD */
    double betas[2];        /* Adam, AdamW */
    double eps;             /* Adam, AdamW */
    int amsgrad;            /* Adam, AdamW */
    int maximize;           /* all: ascend instead of descend */
} lit_param_group;

/* ---------------------------------------------------------------- interface */

#define LIT_OPTIMIZER_VTABLE_VERSION 1
#define LIT_OPTIMIZER_MAX_SLOTS 8

/*
 * The optimizer interface. Built-in optimizers fill one each; a custom
 * optimizer fills its own and calls lit_optimizer_new. The base keeps groups,
 * hyperparameters and the per-parameter state; the vtable only updates.
 */
typedef struct lit_optimizer_vtable {
    int version;                     /* LIT_OPTIMIZER_VTABLE_VERSION */
    const char *name;                /* "SGD", "Adam", "AdamW": for messages and checkpoints */
    /* NULL-terminated names of the per-parameter state slots, in PyTorch's
     * state_dict order (at most LIT_OPTIMIZER_MAX_SLOTS). State is saved,
     * enumerated and loaded through these names. */
    const char *const *state_slots;
    /* NULL-terminated names of the group hyperparameters the optimizer uses
     * (see lit_optimizer_get_hparam for the full list of names). */
    const char *const *hparams;
    /* Update every parameter that has a gradient. Use
     * lit_optimizer_state_tensor(opt, param, slot, 1) for state. */
    lit_status (*step)(lit_optimizer *opt);
    /* (optional) Check a group's hyperparameters before it is added; return
     * LIT_ERR_INVALID_ARG with lit_set_error naming the value. default: accept. */
    lit_status (*check_group)(const lit_optimizer *opt, const lit_param_group *g);
    /* (optional) default: lit_zero_grad over every group's parameters. */
    void (*zero_grad)(lit_optimizer *opt, int set_to_none);
    /* (optional) Free the optimizer's `user` data. default: nothing. */
    void (*free)(lit_optimizer *opt);
} lit_optimizer_vtable;

/* Create an optimizer from a vtable (copied) with `defaults` as the default
 * group (params ignored; used by lit_optimizer_default_group) and no group.
 * `user` is returned by lit_optimizer_user. Returns NULL on out of memory or
 * a vtable of another version (last error set). */
lit_optimizer *lit_optimizer_new(const lit_optimizer_vtable *vt, const lit_param_group *defaults, void *user);
/* Free the optimizer, its state and its copies of the parameter arrays (not
 * the parameters). NULL is a no-op. */
void lit_optimizer_free(lit_optimizer *opt);

void *lit_optimizer_user(const lit_optimizer *opt);
const char *lit_optimizer_name(const lit_optimizer *opt);

/* One update of every parameter with a gradient. Returns the vtable's status
 * (built-ins: LIT_OK; LIT_ERR_NOMEM when first-step state cannot be made). */
lit_status lit_optimizer_step(lit_optimizer *opt);
/* Zero every parameter's .grad, or drop it (reads as NULL) when set_to_none. */
void lit_optimizer_zero_grad(lit_optimizer *opt, int set_to_none);

/* ---------------------------------------------------------------- groups API */

/* The optimizer's default group: its hyperparameters and params = NULL. */
lit_param_group lit_optimizer_default_group(const lit_optimizer *opt);
/*
 * Add a group: hyperparameters and parameters are copied from *g (fill it
 * from lit_optimizer_default_group and override). Errors: LIT_ERR_INVALID_ARG
 * for a bad hyperparameter or a parameter that is already in a group (the
 * message names it), LIT_ERR_NOMEM. Asserts on NULL or non-f32 parameters.
 */
lit_status lit_optimizer_add_param_group(lit_optimizer *opt, const lit_param_group *g);
int lit_optimizer_num_groups(const lit_optimizer *opt);
/* Group i (0 <= i < num_groups; asserts otherwise). The pointer is valid until
 * the next add_param_group; change hyperparameters through it or the setters. */
lit_param_group *lit_optimizer_group(lit_optimizer *opt, int i);
/* Total parameters over all groups. Parameters are numbered group by group
 * (PyTorch's state_dict order): this is the `param` index of the state API. */
int lit_optimizer_num_params(const lit_optimizer *opt);
/* Parameter number `param` (asserts on out of range); group/index (either may be NULL) receive where it is. */
lit_tensor *lit_optimizer_param(const lit_optimizer *opt, int param, int *group, int *index);

double lit_optimizer_get_lr(const lit_optimizer *opt, int group);
void lit_optimizer_set_lr(lit_optimizer *opt, int group, double lr);

/*
 * Hyperparameters by name, for schedulers and for saving param_groups:
 * "lr", "initial_lr", "weight_decay", "momentum", "dampening", "nesterov",
 * "betas.0", "betas.1", "eps", "amsgrad", "maximize" (flags read as 0/1).
 * get/set return LIT_ERR_NOT_FOUND (message names it) for a name this
 * optimizer does not use ("initial_lr" is always accepted), LIT_ERR_INVALID_ARG
 * for a group out of range. lit_optimizer_hparam_name(opt, k) lists the names
 * this optimizer uses, k = 0, 1, ... until it returns NULL.
 */
lit_status lit_optimizer_get_hparam(const lit_optimizer *opt, int group, const char *name, double *out);
lit_status lit_optimizer_set_hparam(lit_optimizer *opt, int group, const char *name, double value);
/* Check group `group`'s hyperparameters against the rules the constructor
 * applies (lr >= 0, weight_decay >= 0, and the optimizer's own: Adam's
 * 0 <= betas < 1 and eps >= 0, SGD's momentum, ...; NaN fails every rule).
 * A resume calls it after setting a group's values from a checkpoint.
 * LIT_ERR_INVALID_ARG naming the value, or LIT_OK. */
lit_status lit_optimizer_check_group(const lit_optimizer *opt, int group);
const char *lit_optimizer_hparam_name(const lit_optimizer *opt, int k);

/* ---------------------------------------------------------------- weight-decay groups */

typedef struct lit_param_store lit_param_store; /* nn.h */

/*
 * GPT-style weight-decay groups from a store's trainable parameters (not
 * buffers, not frozen), in registration order: groups[0] decays (its
 * weight_decay = weight_decay), groups[1] does not (0). The rule, minGPT's
 * made general: no decay for a parameter whose name ends in "bias", whose
 * owning module's recorded type (nn.h, lit_param_store_module_type) contains
 * "Norm" or "Embedding" (LayerNorm, RMSNorm, Embedding), or which has fewer
 * than 2 dims; every other parameter decays (linear weights). A store without
 * recorded types gets nanoGPT's rule "dim >= 2 decays". To exclude a
 * hand-made 2-d parameter (a positional table), register it under a module
 * prefix whose type you record as "Embedding". A tensor registered under
 * several names (tied weights) is listed once, without decay if any of its
 * names says so.
 *
 * The other hyperparameters are copied from *base (lit_optimizer_default_group
 * of the optimizer; NULL: zeros, initial_lr NAN). The params arrays live in
 * the store's arena (as long as the store). Both groups are always filled,
 * either may be empty. Errors: LIT_ERR_INVALID_ARG for a negative, NaN or
 * infinite weight_decay, LIT_ERR_NOMEM. Intended usage:
 *
 *     lit_adam_params ap = lit_adamw_default_params(); ap.lr = 1e-3;
 *     lit_optimizer *opt = lit_adamw_new(&ap, NULL, 0);
 *     LIT_TRY(lit_optimizer_add_weight_decay_groups(opt, store, 0.1));
 */
lit_status lit_param_groups_weight_decay(lit_param_store *s, double weight_decay, const lit_param_group *base,
                                         lit_param_group groups[2]);
/* Add the two groups above to opt (group numbers num_groups and +1), with
 * opt's default hyperparameters. Errors: those above and
 * lit_optimizer_add_param_group's (a parameter already in one of opt's
 * groups); when the second add fails the first group stays added. */
lit_status lit_optimizer_add_weight_decay_groups(lit_optimizer *opt, lit_param_store *s, double weight_decay);

/* ---------------------------------------------------------------- state */

/*
 * The state as (parameter, slot, tensor) entries, for checkpoints
 * (`optimizer_states.<i>.<slot>.<param>`). Entries are ordered by parameter
 * number, then by the vtable's slot order; only existing slots are listed
 * (a parameter that never had a gradient has none, as in PyTorch).
 * "step" is a 0-d f32 tensor, like PyTorch's Adam; the others have the
 * parameter's shape.
 */
typedef struct {
    int param;              /* parameter number (see lit_optimizer_num_params) */
    int group;              /* its group */
    int index;              /* its index inside the group */
    const char *slot;       /* static name: "momentum_buffer", "step", "exp_avg", ... */
    lit_tensor *tensor;     /* owned by the optimizer */
} lit_optimizer_state_entry;

/* The vtable's NULL-terminated slot names (may be NULL: no state). */
const char *const *lit_optimizer_state_slots(const lit_optimizer *opt);
int lit_optimizer_state_count(const lit_optimizer *opt);
/* Entry k, 0 <= k < state_count (asserts otherwise). O(params) per call. */
lit_optimizer_state_entry lit_optimizer_state_at(const lit_optimizer *opt, int k);
/* The state tensor of (param, slot): NULL when absent and !create; with
 * create, a zero-filled one is made (NULL + last error on out of memory).
 * Asserts on an unknown slot name or param out of range. */
lit_tensor *lit_optimizer_state_tensor(lit_optimizer *opt, int param, const char *slot, int create);
/* Load one state entry: copy `value` into (param, slot), creating it.
 * Errors: LIT_ERR_NOT_FOUND (unknown slot or param out of range),
 * LIT_ERR_SHAPE (value's shape differs), LIT_ERR_NOMEM. */
lit_status lit_optimizer_load_state(lit_optimizer *opt, int param, const char *slot, const lit_tensor *value);
/* Drop all state (as a freshly made optimizer). */
void lit_optimizer_clear_state(lit_optimizer *opt);

/* ---------------------------------------------------------------- SGD */

typedef struct {
    double lr;            /* default 1e-3 */
    double momentum;      /* default 0 */
    double dampening;     /* default 0 */
    double weight_decay;  /* default 0 (L2 added to the gradient) */
    int nesterov;         /* default 0; needs momentum > 0 and dampening == 0 */
    int maximize;         /* default 0 */
} lit_sgd_params;

lit_sgd_params lit_sgd_default_params(void);
/* SGD as torch.optim.SGD: d = g + wd*p; buf = momentum*buf + (1-dampening)*d
 * (buf = d on the first step); d = nesterov ? d + momentum*buf : buf;
 * p -= lr*d. `params` (n >= 0; n = 0 makes no group: add groups later) form
 * group 0. Returns NULL on a bad hyperparameter (LIT_ERR_INVALID_ARG, the
 * message names it) or out of memory. State slot: "momentum_buffer". */
lit_optimizer *lit_sgd_new(const lit_sgd_params *p, lit_tensor *const *params, int n);

/* ---------------------------------------------------------------- Adam, AdamW */

typedef struct {
    double lr;            /* default 1e-3 */
    double betas[2];      /* default {0.9, 0.999} */
    double eps;           /* default 1e-8 */
    double weight_decay;  /* Adam: 0 (L2 in the gradient); AdamW: 1e-2 (decoupled) */
    int amsgrad;          /* default 0 */
    int maximize;         /* default 0 */
} lit_adam_params;

lit_adam_params lit_adam_default_params(void);
lit_adam_params lit_adamw_default_params(void);
/* Adam as torch.optim.Adam (weight decay added to the gradient). State
 * slots: "step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq" (amsgrad).
 * NULL on a bad hyperparameter (message names it) or out of memory. */
lit_optimizer *lit_adam_new(const lit_adam_params *p, lit_tensor *const *params, int n);
/* AdamW as torch.optim.AdamW: p *= 1 - lr*weight_decay, then Adam without
 * weight decay in the gradient. Same slots and errors as Adam. */
lit_optimizer *lit_adamw_new(const lit_adam_params *p, lit_tensor *const *params, int n);

/* ---------------------------------------------------------------- clipping */

/*
 * torch.nn.utils.clip_grad_norm_: the total norm is the norm_type-norm of the
 * per-parameter gradient norms (norm_type = INFINITY: the largest |g|; any
 * p > 0 otherwise, usually 2); every gradient is multiplied by
 * min(1, max_norm / (total + 1e-6)) (in f32, as PyTorch). Parameters whose
 * grad is NULL are skipped; with none, returns 0. Returns the total norm
 * before clipping (NaN/Inf when the gradients are not finite: check it).
 * Sums are in double over fixed-size chunks added in a fixed order, so the
 * result does not depend on the thread count. Asserts on max_norm < 0 or
 * norm_type <= 0.
 */
double lit_clip_grad_norm(lit_tensor *const *params, int n, double max_norm, double norm_type);
/* The norm_type-norm of all gradients (as above) without clipping. */
double lit_grad_norm(lit_tensor *const *params, int n, double norm_type);
/* torch.nn.utils.clip_grad_value_: clamp every gradient to
 * [-clip_value, clip_value]. Asserts on clip_value < 0. */
void lit_clip_grad_value(lit_tensor *const *params, int n, double clip_value);

#ifdef __cplusplus
}
#endif
#endif
