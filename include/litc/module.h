/*
 * litc/module.h — the module interface (LightningModule): its vtable of
 * steps and hooks, configure_optimizers' config, the optimizer closure,
 * manual optimization, hyperparameters, weights from checkpoints, and
 * logging from inside steps (self.log).
 *
 * A model is a lit_module: a vtable of steps and hooks (every slot but
 * training_step is optional; NULL means "do what Lightning's default does"),
 * a parameter store, and your own `user` pointer. The Trainer (trainer.h)
 * calls the hooks in Lightning's documented order
 * (tests/fixtures/hook_order_*.txt, derived from Lightning's
 * tests/tests_pytorch/models/test_hooks.py).
 *
 * Intended usage (trainer.h shows the run around it):
 *
 *     static lit_status step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
 *         my_model *mm = m->user;
 *         *loss = lit_mse_loss(forward(mm, lit_batch_get(b, "x")), lit_batch_get(b, "y"),
 *                              LIT_REDUCTION_MEAN);
 *         lit_module_log(m, "train/loss", *loss, .prog_bar = 1);
 *         return LIT_OK;
 *     }
 *     static lit_status opt(lit_module *m, lit_optim_config *cfg) {
 *         int n; lit_tensor **p = lit_param_store_trainable(m->params, &n);
 *         return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){ .lr = 0.1 }, p, n));
 *     }
 *     static const lit_module_vtable vt = { .version = LIT_MODULE_VERSION,
 *         .training_step = step, .configure_optimizers = opt };
 *
 *     lit_module m; lit_module_init(&m, &vt, store, &my_state);
 *     ...                                            // lit_trainer_fit(tr, &m, ...)
 *     lit_module_deinit(&m);
 *
 * Hooks return lit_status. A negative status stops the run: the Trainer
 * calls on_exception (callbacks, then the module), prefixes the message
 * with the hook's name and returns the status from fit/validate/test/predict.
 * Positive values are reserved (LIT_SKIP_EPOCH). Hooks never need to call
 * exit(); neither does litc.
 *
 * Memory: the Trainer owns a step arena; during every training, validation,
 * test and predict step (and the batch hooks around it) it is the thread's
 * current arena, and it is reset after the batch's last hook. Tensors made
 * there (activations, losses, step outputs) die then: copy what you want to
 * keep. Batches are owned by their dataloader. Optimizers and schedulers
 * returned by configure_optimizers are owned by the Trainer until the next
 * configure_optimizers call or lit_trainer_free.
 *
 * Threads: a trainer and its module are used by one thread.
 */
#ifndef LITC_MODULE_H
#define LITC_MODULE_H

#include "data.h"
#include "metrics.h"
#include "nn.h"
#include "optim.h"
#include "sched.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lit_trainer lit_trainer; /* trainer.h */
typedef struct lit_module lit_module;
/* Checkpoint contents: tensors and JSON values (checkpoint.h). */
typedef struct lit_checkpoint lit_checkpoint;

/* on_train_batch_start may return this to skip the rest of the epoch
 * (Lightning's `return -1`). */
#define LIT_SKIP_EPOCH 1

/* ================================================================ optimizers config */

#define LIT_MAX_OPTIMIZERS 8
#define LIT_MAX_SCHEDULERS 8

typedef enum { LIT_INTERVAL_EPOCH = 0, LIT_INTERVAL_STEP = 1 } lit_interval;

/* Lightning's lr_scheduler_config dict. Zero values are Lightning's defaults. */
typedef struct {
    lit_scheduler *scheduler; /* owned by the Trainer once added */
    lit_interval interval;    /* default LIT_INTERVAL_EPOCH ("epoch") */
    int frequency;            /* step every `frequency` intervals; 0 = 1 */
    const char *monitor;      /* metric for ReduceLROnPlateau (required for it); not copied: static */
    int strict;               /* 0 = Lightning's default True; -1 = warn and skip when the metric is missing */
    const char *name;         /* for LearningRateMonitor; NULL = "lr-<SchedulerName>" */
    int opt_idx;              /* which optimizer it drives: 0 .. n_optimizers - 1 (checked) */
} lit_lr_scheduler_config;

typedef struct {
    int n_optimizers;
    lit_optimizer *optimizers[LIT_MAX_OPTIMIZERS];
    int n_schedulers;
    lit_lr_scheduler_config schedulers[LIT_MAX_SCHEDULERS];
} lit_optim_config;

/* Add an optimizer (ownership passes to the config / Trainer). A NULL `opt`
 * (its constructor failed) returns that failure: LIT_ERR_INVALID_ARG with the
 * constructor's message kept. LIT_ERR_CONFIG when full. */
lit_status lit_optim_config_add(lit_optim_config *cfg, lit_optimizer *opt);
/* Add a scheduler config (copied; the scheduler is owned). NULL scheduler:
 * as above. */
lit_status lit_optim_config_add_scheduler(lit_optim_config *cfg, const lit_lr_scheduler_config *sc);

/* ================================================================ module */

/* ---- optimizer_step's closure (Lightning's optimizer_closure)
 *
 * On a batch that steps, the Trainer calls the module's optimizer_step
 * FIRST and hands it the closure; training_step runs when the closure is
 * called (tests/fixtures/hook_order_optimizer_step.txt, recorded from
 * Lightning). Calling it runs training_step, then on the first batch of an
 * accumulation group on_before_zero_grad and optimizer_zero_grad, then
 * on_before_backward, backward and on_after_backward. *loss (may be NULL)
 * gets training_step's loss, NULL when it returned none. The batches that
 * only accumulate run the closure without optimizer_step, as Lightning.
 *
 * An override that never calls the closure skips training_step and fails
 * the run after it returns (LIT_ERR_CONFIG, as Lightning's "The closure
 * hasn't been executed"). Work after the update (an EMA of the weights) goes
 * after lit_optimizer_step_with_closure returns. A learning-rate warm-up, as
 * Lightning's docs:
 *
 *     static lit_status warmup_step(lit_module *m, int64_t epoch, int64_t batch_idx,
 *                                   lit_optimizer *opt, lit_optimizer_closure *closure) {
 *         double scale = (double)(lit_module_global_step(m) + 1) / 500.0;  // 500 warm-up steps
 *         lit_optimizer_set_lr(opt, 0, (scale < 1 ? scale : 1) * 3e-4);
 *         return lit_optimizer_step_with_closure(opt, closure);
 *     }
 *     // vtable: .optimizer_step = warmup_step
 */
typedef struct lit_optimizer_closure lit_optimizer_closure;
struct lit_optimizer_closure {
    lit_status (*call)(lit_optimizer_closure *self, lit_tensor **loss);
    void *impl; /* the Trainer's */
};
/* optimizer.step(closure=optimizer_closure): calls the closure, then
 * on_before_optimizer_step, gradient clipping and lit_optimizer_step(opt).
 * When training_step returned a NULL loss the batch is skipped after the
 * closure (no update, no global step), as litc always did. */
lit_status lit_optimizer_step_with_closure(lit_optimizer *opt, lit_optimizer_closure *closure);


#define LIT_MODULE_VERSION 1

/*
 * The LightningModule. Every slot is optional except training_step (for
 * fit); "default:" says what happens when it is NULL. `batch` is owned by its
 * dataloader and valid during the step and its batch hooks.
 */
typedef struct lit_module_vtable {
    int version; /* LIT_MODULE_VERSION */

    /* ---- steps */
    /* Set *loss to a scalar tensor (in the step arena). *loss = NULL skips
     * backward and the optimizer step for this batch (Lightning's `return
     * None`). Manual optimization: do backward/steps yourself (see
     * lit_manual_backward) and set *loss for logging or leave it NULL. */
    lit_status (*training_step)(lit_module *m, lit_batch *batch, int64_t batch_idx, lit_tensor **loss);
    /* *out (optional, starts NULL) is passed to the batch_end hooks. default:
     * validation/test is skipped (no val loop). */
    lit_status (*validation_step)(lit_module *m, lit_batch *batch, int64_t batch_idx, int dataloader_idx,
                                  lit_tensor **out);
    lit_status (*test_step)(lit_module *m, lit_batch *batch, int64_t batch_idx, int dataloader_idx,
                            lit_tensor **out);
    /* default: no prediction (the batch hooks still run with out = NULL). */
    lit_status (*predict_step)(lit_module *m, lit_batch *batch, int64_t batch_idx, int dataloader_idx,
                               lit_tensor **out);

    /* ---- configuration */
    /* default: no optimizer (fit then only runs the steps — Lightning warns). */
    lit_status (*configure_optimizers)(lit_module *m, lit_optim_config *cfg);
    /* Add callbacks with lit_trainer_add_callback(m->trainer, ...). */
    lit_status (*configure_callbacks)(lit_module *m, lit_trainer *tr);
    lit_status (*prepare_data)(lit_module *m);
    lit_status (*setup)(lit_module *m, lit_stage stage);
    lit_status (*teardown)(lit_module *m, lit_stage stage);

    /* ---- stage hooks (default: nothing) */
    lit_status (*on_fit_start)(lit_module *m);
    lit_status (*on_fit_end)(lit_module *m);
    lit_status (*on_train_start)(lit_module *m);
    lit_status (*on_train_end)(lit_module *m);
    lit_status (*on_validation_start)(lit_module *m);
    lit_status (*on_validation_end)(lit_module *m);
    lit_status (*on_test_start)(lit_module *m);
    lit_status (*on_test_end)(lit_module *m);
    lit_status (*on_predict_start)(lit_module *m);
    lit_status (*on_predict_end)(lit_module *m);
    lit_status (*on_train_epoch_start)(lit_module *m);
    lit_status (*on_train_epoch_end)(lit_module *m);
    lit_status (*on_validation_epoch_start)(lit_module *m);
    lit_status (*on_validation_epoch_end)(lit_module *m);
    lit_status (*on_test_epoch_start)(lit_module *m);
    lit_status (*on_test_epoch_end)(lit_module *m);
    lit_status (*on_predict_epoch_start)(lit_module *m);
    lit_status (*on_predict_epoch_end)(lit_module *m);

    /* ---- batch hooks. on_train_batch_start may return LIT_SKIP_EPOCH.
     * `loss`/`out` are what the step produced (may be NULL). */
    lit_status (*on_train_batch_start)(lit_module *m, lit_batch *batch, int64_t batch_idx);
    lit_status (*on_train_batch_end)(lit_module *m, lit_tensor *loss, lit_batch *batch, int64_t batch_idx);
    lit_status (*on_validation_batch_start)(lit_module *m, lit_batch *batch, int64_t batch_idx, int dl_idx);
    lit_status (*on_validation_batch_end)(lit_module *m, lit_tensor *out, lit_batch *batch, int64_t batch_idx,
                                          int dl_idx);
    lit_status (*on_test_batch_start)(lit_module *m, lit_batch *batch, int64_t batch_idx, int dl_idx);
    lit_status (*on_test_batch_end)(lit_module *m, lit_tensor *out, lit_batch *batch, int64_t batch_idx,
                                    int dl_idx);
    lit_status (*on_predict_batch_start)(lit_module *m, lit_batch *batch, int64_t batch_idx, int dl_idx);
    lit_status (*on_predict_batch_end)(lit_module *m, lit_tensor *out, lit_batch *batch, int64_t batch_idx,
                                       int dl_idx);

    /* ---- optimization (automatic optimization, and lit_manual_backward) */
    lit_status (*on_before_backward)(lit_module *m, lit_tensor *loss);
    /* default: lit_backward(loss). */
    lit_status (*backward)(lit_module *m, lit_tensor *loss);
    lit_status (*on_after_backward)(lit_module *m);
    /* Gradients are final here (before clipping). */
    lit_status (*on_before_optimizer_step)(lit_module *m, lit_optimizer *opt, int opt_idx);
    /* Lightning's optimizer_step(epoch, batch_idx, optimizer,
     * optimizer_closure), called on the batches that step (see
     * lit_optimizer_closure above: training_step runs inside it).
     * default: lit_optimizer_step_with_closure(opt, closure). */
    lit_status (*optimizer_step)(lit_module *m, int64_t epoch, int64_t batch_idx, lit_optimizer *opt,
                                 lit_optimizer_closure *closure);
    lit_status (*on_before_zero_grad)(lit_module *m, lit_optimizer *opt);
    /* default: lit_optimizer_zero_grad(opt, 1) (set_to_none, as Lightning). */
    lit_status (*optimizer_zero_grad)(lit_module *m, int64_t epoch, int64_t batch_idx, lit_optimizer *opt,
                                      int opt_idx);

    /* ---- train/eval mode switches. default: lit_param_store_train(m->params, 0)
     * for *_model_eval and (..., 1) for *_model_train. */
    lit_status (*on_validation_model_eval)(lit_module *m);
    lit_status (*on_validation_model_train)(lit_module *m);
    lit_status (*on_test_model_eval)(lit_module *m);
    lit_status (*on_test_model_train)(lit_module *m);
    lit_status (*on_predict_model_eval)(lit_module *m);

    /* ---- checkpoints (checkpoint.h). on_save_checkpoint runs after the
     * Trainer filled the checkpoint (add tensors or values at the root:
     * the EMA weights, your own lit_rng streams); on_load_checkpoint runs
     * when fit resumes, after the weights were restored and before
     * configure_optimizers. default: nothing. */
    lit_status (*on_save_checkpoint)(lit_module *m, lit_checkpoint *ckpt);
    lit_status (*on_load_checkpoint)(lit_module *m, lit_checkpoint *ckpt);

    /* A run is failing with `st` (message in lit_last_error()). default: nothing. */
    void (*on_exception)(lit_module *m, lit_status st);
} lit_module_vtable;

/* ---- hyperparameters (save_hyperparameters) */

typedef enum { LIT_HPARAM_INT = 0, LIT_HPARAM_DOUBLE, LIT_HPARAM_STRING } lit_hparam_kind;

typedef struct {
    char *name;  /* owned */
    lit_hparam_kind kind;
    int64_t i;
    double d;
    char *s;     /* owned, LIT_HPARAM_STRING */
} lit_hparam;

/* One (name, value) for lit_module_save_hyperparameters. */
typedef struct {
    const char *name;
    lit_hparam_kind kind;
    int64_t i;
    double d;
    const char *s;
} lit_hparam_value;
#define LIT_HP_INT(n, v) ((lit_hparam_value){ .name = (n), .kind = LIT_HPARAM_INT, .i = (v) })
#define LIT_HP_DOUBLE(n, v) ((lit_hparam_value){ .name = (n), .kind = LIT_HPARAM_DOUBLE, .d = (v) })
#define LIT_HP_STRING(n, v) ((lit_hparam_value){ .name = (n), .kind = LIT_HPARAM_STRING, .s = (v) })

struct lit_module {
    const lit_module_vtable *vt;
    void *user;                 /* yours */
    lit_param_store *params;    /* not owned; train()/eval() flag lives here; may be NULL */
    int automatic_optimization; /* default 1 */
    lit_trainer *trainer;       /* set by the Trainer while it runs the module */
    int n_hparams;              /* in the order saved */
    lit_hparam *hparams;        /* owned; freed by lit_module_deinit */
};

/* Fill *m (automatic_optimization = 1, no hparams). Asserts on a vtable of
 * another version. */
void lit_module_init(lit_module *m, const lit_module_vtable *vt, lit_param_store *params, void *user);
/* Free the hyperparameters. NULL is a no-op. */
void lit_module_deinit(lit_module *m);

/* Record hyperparameters (self.save_hyperparameters(ignore=[...])): values
 * are copied in order; a name in `ignore` (NULL-terminated list, may be NULL)
 * is left out; saving a name again replaces its value in place. Errors:
 * LIT_ERR_NOMEM; LIT_ERR_INVALID_ARG for a NULL/empty name. */
lit_status lit_module_save_hyperparameters(lit_module *m, int n, const lit_hparam_value *values,
                                           const char *const *ignore);
/* The recorded hyperparameter `name`, or NULL. */
const lit_hparam *lit_module_hparam(const lit_module *m, const char *name);

/* ---- weights and hyperparameters from checkpoints (inference, fine-tuning) */

/*
 * Copy the weights of checkpoint `ck` into the module's parameter store:
 * "state_dict.<name>" tensors of a litc checkpoint, or plain "<name>"
 * tensors of any other safetensors file (PyTorch's
 * safetensors.torch.save_file(model.state_dict())). strict: every store
 * entry present, nothing extra, shapes equal; non-strict: matching entries
 * are copied and the rest only reported. `report` (may be NULL) gets what
 * was missing, unexpected and mismatched (free with
 * lit_state_dict_report_free). Nothing is copied when it fails.
 * `strict` is a set of flags: LIT_LOAD_STRICT (1, as `strict=True`), and
 * LIT_LOAD_ALLOW_NON_FINITE, without which a weight holding NaN or Inf is
 * refused (a model cannot train or predict from it; PyTorch would load it
 * silently).
 * Errors: LIT_ERR_NOT_FOUND (strict; the message lists the names),
 * LIT_ERR_SHAPE (a shape differs), LIT_ERR_STATE (the module has no store),
 * LIT_ERR_NUMERIC (a non-finite weight: the message names the tensor, how
 * many values and the first one).
 */
#define LIT_LOAD_STRICT 1
#define LIT_LOAD_ALLOW_NON_FINITE 2
lit_status lit_module_load_weights(lit_module *m, const lit_checkpoint *ck, int strict,
                                   lit_state_dict_report *report);

/* Lightning's cls(**hparams): build a module from hyperparameters (`user`
 * is passed through). The module's own hparams are set by the caller. */
typedef lit_status (*lit_module_factory)(const lit_hparam *hparams, int n, void *user, lit_module **out);

/*
 * Lightning's LightningModule.load_from_checkpoint(path, **overrides): read
 * the checkpoint's hyper_parameters, replace those named in `overrides`
 * (and add new ones), build the module with `make`, record the
 * hyperparameters on it (save_hyperparameters) and load its weights
 * (`strict`: the flags of lit_module_load_weights). On success *out is the new module (yours to free the way
 * your factory's modules are freed).
 * Errors: lit_checkpoint_load's; LIT_ERR_CORRUPT for hyper_parameters that
 * are not an object of numbers and strings; the factory's; the weights'.
 */
lit_status lit_module_load_from_checkpoint(const char *path, const lit_hparam_value *overrides, int n_overrides,
                                           lit_module_factory make, void *user, int strict, lit_module **out);

/* A weights-only export: "state_dict.<name>" and "hyper_parameters" in a
 * litc checkpoint file (lit_module_load_from_checkpoint reads it). Errors:
 * lit_checkpoint_save's, LIT_ERR_STATE without a store. */
lit_status lit_module_save_weights(const lit_module *m, const char *path);

/* Accessors for use inside steps and hooks (0 outside a run). */
int64_t lit_module_current_epoch(const lit_module *m);
int64_t lit_module_global_step(const lit_module *m);
lit_trainer *lit_module_trainer(const lit_module *m);
int lit_module_global_rank(const lit_module *m); /* 0: single process for now */
int lit_module_local_rank(const lit_module *m);  /* 0 */
int lit_module_world_size(const lit_module *m);  /* 1 */

/* The optimizers from configure_optimizers (self.optimizers()); *n gets the
 * count. NULL before configure_optimizers ran. */
lit_optimizer **lit_module_optimizers(lit_module *m, int *n);

/* ---- manual optimization (automatic_optimization = 0) */

/* on_before_backward, backward (the module's or lit_backward), on_after_backward. */
lit_status lit_manual_backward(lit_module *m, lit_tensor *loss);
/* on_before_optimizer_step, gradient clipping is NOT applied (as Lightning's
 * manual mode), then lit_optimizer_step; counts a global step. */
lit_status lit_manual_optimizer_step(lit_module *m, int opt_idx);
/* lit_optimizer_zero_grad(opt, 1); no hook, as Lightning's manual opt.zero_grad(). */
lit_status lit_manual_zero_grad(lit_module *m, int opt_idx);

/* ================================================================ logging */

typedef enum { LIT_REDUCE_MEAN = 0, LIT_REDUCE_SUM, LIT_REDUCE_MAX, LIT_REDUCE_MIN } lit_reduce_fx;

/*
 * lit_module_log is Lightning's self.log (lit_log is the natural-log op in ops.h).
 * Options of self.log. The zero value of every field is Lightning's default:
 * on_step / on_epoch / logger are tri-state (0 = Lightning's default for the
 * hook logging, 1 = true, -1 = false): inside training_step and the train
 * batch hooks on_step = true, on_epoch = false; everywhere else (validation,
 * test, epoch hooks) on_step = false, on_epoch = true. batch_size 0 = the
 * current batch's size. A key logged with both on_step and on_epoch appears
 * as "<name>_step" and "<name>_epoch" in logged/progress-bar metrics.
 */
typedef struct {
    int lit__pad;        /* keeps lit_module_log(m, n, v) with no options valid */
    int prog_bar;        /* default 0 */
    int logger;          /* tri-state, default true */
    int on_step;         /* tri-state */
    int on_epoch;        /* tri-state */
    lit_reduce_fx reduce_fx; /* default mean (batch-size weighted) */
    int64_t batch_size;  /* 0 = size of the current batch (1 outside batches) */
    int sync_dist;       /* no-op in a single process */
    int add_dataloader_idx; /* tri-state, default true: with several evaluation loaders the key
                             * becomes "<name>/dataloader_idx_<i>" */
} lit_log_opts;

/* Log a one-element tensor (its value is read now; it is not kept).
 * Where: as Lightning's _FxValidator — steps, batch hooks and the
 * optimization hooks may log with any on_step/on_epoch; on_train_start,
 * on_validation_start, on_test_start and the train/validation/test epoch
 * start/end hooks only with on_step false and on_epoch true; setup,
 * teardown, configure_*, prepare_data, on_fit_start/end, on_sanity_check_*,
 * on_train_end, on_validation_end, on_test_end, the model_eval/train hooks
 * and everything in predict may not log.
 * Errors (returned and in lit_last_error()): LIT_ERR_SHAPE for a tensor of
 * more than one element; LIT_ERR_STATE outside a Trainer run or inside a
 * hook that may not log (the message names it); LIT_ERR_CONFIG for
 * on_step/on_epoch the hook forbids, or when a key is relogged with
 * different on_step/on_epoch/reduce_fx within an epoch; never for NaN (NaN
 * is logged as NaN; use detect_anomaly to stop on it). */
lit_status lit_module_log_ex(lit_module *m, const char *name, const lit_tensor *value, const lit_log_opts *o);
lit_status lit_module_log_scalar_ex(lit_module *m, const char *name, double value, const lit_log_opts *o);
#define lit_module_log(m, name, value, ...) \
    lit_module_log_ex((m), (name), (value), &(lit_log_opts){ .lit__pad = 0, __VA_ARGS__ })
#define lit_module_log_scalar(m, name, value, ...) \
    lit_module_log_scalar_ex((m), (name), (value), &(lit_log_opts){ .lit__pad = 0, __VA_ARGS__ })
/* self.log(name, metric): a metric object (metrics.h). On step the value
 * lit_metric_forward computed for this batch is logged (LIT_ERR_STATE when
 * the metric was only updated); on epoch, at the end of the epoch the
 * metric's compute() is logged and the metric reset — as Lightning does
 * with a TorchMetrics Metric. A name keeps one kind (metric or plain
 * values) within an epoch: LIT_ERR_CONFIG otherwise. The metric is not
 * owned and must live until the epoch ends. */
lit_status lit_module_log_metric_ex(lit_module *m, const char *name, lit_metric *metric, const lit_log_opts *o);
#define lit_module_log_metric(m, name, metric, ...) \
    lit_module_log_metric_ex((m), (name), (metric), &(lit_log_opts){ .lit__pad = 0, __VA_ARGS__ })

/* self.log_dict: lit_module_log of each (names[i], values[i]) with the same
 * options; stops at the first error. */
lit_status lit_module_log_dict_ex(lit_module *m, int n, const char *const *names, const lit_tensor *const *values,
                                  const lit_log_opts *o);
#define lit_module_log_dict(m, n, names, values, ...) \
    lit_module_log_dict_ex((m), (n), (names), (values), &(lit_log_opts){ .lit__pad = 0, __VA_ARGS__ })

#ifdef __cplusplus
}
#endif
#endif
