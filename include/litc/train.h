/*
 * litc/train.h — the Trainer, the module interface (LightningModule),
 * callbacks, and logging from inside steps (self.log).
 *
 * A model is a lit_module: a vtable of steps and hooks (every slot but
 * training_step is optional; NULL means "do what Lightning's default does"),
 * a parameter store, and your own `user` pointer. Data comes from a
 * lit_datamodule (data.h). The Trainer runs Lightning 2.x's loops and calls
 * the hooks in Lightning's documented order (tests/fixtures/hook_order_*.txt,
 * derived from Lightning's tests/tests_pytorch/models/test_hooks.py).
 *
 * Intended usage:
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
 *     lit_trainer_params p = lit_trainer_default_params();
 *     p.max_epochs = 10; p.accumulate_grad_batches = 4;
 *     LIT_TRY(lit_trainer_params_from_env(&p));      // LIT_TRAINER_MAX_EPOCHS=3 ...
 *     lit_trainer *tr; LIT_TRY(lit_trainer_new(&tr, &p));
 *     LIT_TRY(lit_trainer_fit(tr, &m, &datamodule, NULL));
 *     double v; lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "train/loss", &v);
 *     lit_trainer_free(tr); lit_module_deinit(&m);
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
#ifndef LITC_TRAIN_H
#define LITC_TRAIN_H

#include "data.h"
#include "loggers.h"
#include "metrics.h"
#include "nn.h"
#include "optim.h"
#include "sched.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lit_trainer lit_trainer;
typedef struct lit_module lit_module;
typedef struct lit_callback lit_callback;
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

typedef enum {
    LIT_METRICS_CALLBACK = 0, /* trainer.callback_metrics: every key, plain and suffixed */
    LIT_METRICS_LOGGED,       /* trainer.logged_metrics: keys with logger on */
    LIT_METRICS_PROGRESS_BAR  /* trainer.progress_bar_metrics: keys with prog_bar */
} lit_metrics_kind;

/* Number of metrics of a kind, name/value of entry i (insertion order). */
int lit_trainer_metric_count(const lit_trainer *tr, lit_metrics_kind kind);
const char *lit_trainer_metric_name(const lit_trainer *tr, lit_metrics_kind kind, int i);
double lit_trainer_metric_value(const lit_trainer *tr, lit_metrics_kind kind, int i);
/* 1 and *out set when `name` exists, else 0. */
int lit_trainer_get_metric(const lit_trainer *tr, lit_metrics_kind kind, const char *name, double *out);
/* trainer.callback_metrics[name] = v, as a Lightning callback may write
 * that dict (LearningRateMonitor does), so monitors (ModelCheckpoint,
 * EarlyStopping, ReduceLROnPlateau) can read it. The entry lasts until the
 * next fit/validate/test/predict starts or a self.log of the same name
 * replaces it. Out of memory drops it, reported in the log. */
void lit_trainer_set_callback_metric(lit_trainer *tr, const char *name, double v);

/* ================================================================ callbacks */

#define LIT_CALLBACK_VERSION 1

/* A Lightning Callback: every slot optional (NULL = nothing). The struct is
 * copied by lit_trainer_add_callback; `free` (optional) is called with it
 * when the Trainer is freed. */
struct lit_callback {
    int version;        /* LIT_CALLBACK_VERSION */
    const char *name;   /* for messages; NULL = "callback" */
    int monitoring;     /* 1 for checkpointing / early stopping: their on_train_batch_end and
                         * on_train_epoch_end run after the module's, so they see what it
                         * logged and a checkpoint written there holds the finished batch */
    void *user;

    lit_status (*setup)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage);
    lit_status (*teardown)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage);
    lit_status (*on_fit_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_fit_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_sanity_check_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_sanity_check_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_train_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_train_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_validation_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_validation_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_test_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_test_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_predict_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_predict_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_train_epoch_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_train_epoch_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_validation_epoch_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_validation_epoch_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_test_epoch_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_test_epoch_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_predict_epoch_start)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_predict_epoch_end)(lit_callback *cb, lit_trainer *tr, lit_module *m);

    lit_status (*on_train_batch_start)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *batch,
                                       int64_t batch_idx);
    lit_status (*on_train_batch_end)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss,
                                     lit_batch *batch, int64_t batch_idx);
    lit_status (*on_validation_batch_start)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *batch,
                                            int64_t batch_idx, int dl_idx);
    lit_status (*on_validation_batch_end)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *out,
                                          lit_batch *batch, int64_t batch_idx, int dl_idx);
    lit_status (*on_test_batch_start)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *batch,
                                      int64_t batch_idx, int dl_idx);
    lit_status (*on_test_batch_end)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *out,
                                    lit_batch *batch, int64_t batch_idx, int dl_idx);
    lit_status (*on_predict_batch_start)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *batch,
                                         int64_t batch_idx, int dl_idx);
    lit_status (*on_predict_batch_end)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *out,
                                       lit_batch *batch, int64_t batch_idx, int dl_idx);

    lit_status (*on_before_backward)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss);
    lit_status (*on_after_backward)(lit_callback *cb, lit_trainer *tr, lit_module *m);
    lit_status (*on_before_optimizer_step)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_optimizer *opt);
    lit_status (*on_before_zero_grad)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_optimizer *opt);

    /* ---- checkpoints (checkpoint.h). state_save / state_load (Lightning's
     * Callback.state_dict / load_state_dict) read and write values in the
     * scope "callbacks" -> state_key (set by the Trainer); the
     * on_*_checkpoint hooks see the whole checkpoint at its root. */
    lit_status (*state_save)(lit_callback *cb, lit_checkpoint *ckpt);
    lit_status (*state_load)(lit_callback *cb, const lit_checkpoint *ckpt);
    lit_status (*on_save_checkpoint)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_checkpoint *ckpt);
    lit_status (*on_load_checkpoint)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_checkpoint *ckpt);

    void (*on_exception)(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_status st);
    void (*free)(lit_callback *cb);

    /* Key of this callback's state in checkpoints (Lightning's state_key,
     * e.g. "ModelCheckpoint{'monitor': 'val/loss', 'mode': 'min'}"); copied
     * by the callback, not the Trainer. NULL = name. Two callbacks with the
     * same key are an error when a checkpoint is saved. */
    const char *state_key;
    /* (optional) The file fit(ckpt_path = "last" or "best") should resume
     * from (`which` is that word), or NULL when this callback knows none.
     * ModelCheckpoint implements it. */
    const char *(*checkpoint_path)(lit_callback *cb, lit_trainer *tr, const char *which);
};

/* ================================================================ trainer params */

typedef enum { LIT_CLIP_NORM = 0, LIT_CLIP_VALUE = 1 } lit_clip_algorithm;

/*
 * Trainer arguments with Lightning 2.x's names and defaults. Fractions and
 * counts: Lightning takes `int | float` for limit_*_batches,
 * val_check_interval and overfit_batches; here each has two fields, a count
 * (`limit_train_batches`, -1 = not set) and a fraction
 * (`limit_train_fraction`, default 1.0 = everything). Set at most one of the
 * pair (both set is an error).
 */
typedef struct {
    int64_t max_epochs;        /* -1 = None: 1000 when max_steps is -1 and max_time 0, else unlimited */
    int64_t min_epochs;        /* -1 = None: 0, or 1 when min_steps is set */
    int64_t max_steps;         /* -1 = no limit (optimizer steps) */
    int64_t min_steps;         /* -1 = None */
    double max_time;           /* seconds since on_train_start, checked after each training batch (Lightning's
                                * Timer: sets should_stop, so min_epochs/min_steps still apply); 0 = no limit */

    int64_t limit_train_batches;   double limit_train_fraction;   /* -1 / 1.0 */
    int64_t limit_val_batches;     double limit_val_fraction;
    int64_t limit_test_batches;    double limit_test_fraction;
    int64_t limit_predict_batches; double limit_predict_fraction;
    /* Validate every `val_check_batches` training batches (-1 = not set), or
     * after each `val_check_interval` fraction of the epoch (default 1.0). */
    int64_t val_check_batches;     double val_check_interval;
    int64_t check_val_every_n_epoch; /* default 1 */
    int64_t num_sanity_val_steps;    /* default 2; -1 = all */
    int64_t fast_dev_run;            /* 0 off; n > 0: n batches of everything, one epoch */
    int64_t overfit_batches;         /* 0 off; n: train and validate on the first n batches every
                                      * epoch, training shuffle off (count only) */

    int64_t accumulate_grad_batches; /* default 1 */
    double gradient_clip_val;        /* 0 = no clipping (Lightning's None) */
    lit_clip_algorithm gradient_clip_algorithm; /* default LIT_CLIP_NORM ("norm") */

    int64_t log_every_n_steps;       /* default 50; how often loggers write step metrics
                                      * (loggers come with the metrics/loggers issue) */
    int enable_progress_bar;         /* default 1 */
    int enable_model_summary;        /* default 1 */
    int enable_checkpointing;        /* default 1: a ModelCheckpoint (callbacks.h) with default
                                      * params is added to fit unless you added one */
    const char *default_root_dir;    /* NULL = current directory; not copied */
    int deterministic;               /* default 0; litc's kernels are deterministic for a given
                                      * thread count either way (backend.h), so this only records
                                      * the wish (Lightning's torch.use_deterministic_algorithms) */
    int detect_anomaly;              /* default 0; 1: each training batch runs in autograd's
                                      * anomaly mode (autograd.h) and stops with LIT_ERR_NUMERIC
                                      * at a non-finite parameter (before training_step), loss or
                                      * gradient; the message names the op that first made the
                                      * NaN/Inf (forward or backward, its shape), epoch, batch,
                                      * global step and parameter */
    int64_t reload_dataloaders_every_n_epochs; /* default 0 */
    int inference_mode;              /* default 1: evaluation runs with grad disabled */
    int64_t seed;                    /* -1 = do not seed; else lit_seed_everything(seed) at fit start */
    int logger;                      /* default 1: the first run without loggers of yours adds
                                      * litc's defaults (CSV, TensorBoard, JSONL, HTML report) under
                                      * <default_root_dir>/lightning_logs/version_N; 0: none */
    int handle_signals;              /* default 1: SIGTERM/SIGINT/SIGUSR1 during fit stop it cleanly
                                      * (see lit_trainer_fit); 0 leaves the process's handlers alone */
    int allow_non_finite_checkpoint; /* default 0: fit(ckpt_path) refuses a checkpoint whose
                                      * weights, gradients or optimizer state (Adam moments,
                                      * param-group lr, ...) hold NaN or Inf, with LIT_ERR_NUMERIC
                                      * naming the tensor; 1 resumes from it anyway */
} lit_trainer_params;

lit_trainer_params lit_trainer_default_params(void);

/*
 * Apply LIT_TRAINER_<NAME> environment variables (LIT_TRAINER_MAX_EPOCHS=3,
 * LIT_TRAINER_GRADIENT_CLIP_ALGORITHM=value, LIT_TRAINER_ENABLE_PROGRESS_BAR=0,
 * ...) to every field of *p that still holds its default value, so that
 * explicit > env > default — call it after setting fields in code. A field
 * set in code to exactly its default value cannot be told apart and takes
 * the environment's value. An empty variable is ignored, as Lightning
 * ignores an empty PL_TRAINER_*. Errors: LIT_ERR_CONFIG naming the variable
 * and its text when it does not parse.
 */
lit_status lit_trainer_params_from_env(lit_trainer_params *p);

/* Descriptors of the fields above, in declaration order: the table
 * lit_trainer_params_from_env reads (so config binding and tests can check
 * that they cover every field). */
typedef enum { LIT_PARAM_I64 = 0, LIT_PARAM_DOUBLE, LIT_PARAM_BOOL, LIT_PARAM_STRING, LIT_PARAM_CLIP } lit_param_kind;
/* Field i: *name (e.g. "max_epochs"), *kind, *offset (offsetof in
 * lit_trainer_params); any of them may be NULL. Returns 0 (and sets
 * nothing) when i is out of range, else 1. */
int lit_trainer_params_field(int i, const char **name, lit_param_kind *kind, size_t *offset);

/* Check params that need no data: LIT_ERR_CONFIG naming the field, its
 * value and the valid range. Run by lit_trainer_new; the data-dependent
 * checks (val_check_batches larger than the epoch) run when fit starts. */
lit_status lit_trainer_params_validate(const lit_trainer_params *p);

/* ================================================================ seeding */

/*
 * Lightning's seed_everything: seed the global generator (lit_manual_seed:
 * initialisers, dropout, anything without its own lit_rng) and export the
 * seed as LIT_GLOBAL_SEED for child processes. seed < 0 takes
 * LIT_GLOBAL_SEED from the environment, else 0 (with a warning, as
 * Lightning 2.x). Data order is seeded separately by each DataLoader's
 * `seed`. *used (may be NULL) gets the seed. The Trainer calls it at fit
 * start when params.seed >= 0.
 * Errors: LIT_ERR_CONFIG for a LIT_GLOBAL_SEED that is not a non-negative
 * integer; LIT_ERR_IO when the environment cannot be set.
 */
lit_status lit_seed_everything(int64_t seed, uint64_t *used);

/* ================================================================ trainer */

/* Make a trainer (params copied). Errors: lit_trainer_params_validate's, LIT_ERR_NOMEM. */
lit_status lit_trainer_new(lit_trainer **out, const lit_trainer_params *p);
/* Free the trainer, its optimizers/schedulers and callbacks. NULL is a no-op. */
void lit_trainer_free(lit_trainer *tr);

/* Add a logger (loggers.h; copied, freed with the trainer). Every run sends
 * it the module's hyperparameters and the logged values with logger on
 * (see loggers.h for when). LIT_ERR_INVALID_ARG for another version or no
 * log_metrics, LIT_ERR_NOMEM. */
lit_status lit_trainer_add_logger(lit_trainer *tr, const lit_logger *lg);
int lit_trainer_num_loggers(const lit_trainer *tr);
lit_logger *lit_trainer_logger(lit_trainer *tr, int i); /* asserts the range */
/* trainer.log_dir: the first logger's log directory (NULL without loggers). */
const char *lit_trainer_log_dir(lit_trainer *tr);
/* The first logger's version number (the progress bar's v_num), -1 without. */
int64_t lit_trainer_logger_version(lit_trainer *tr);

/* Add a callback (copied). LIT_ERR_INVALID_ARG for another version, LIT_ERR_NOMEM. */
lit_status lit_trainer_add_callback(lit_trainer *tr, const lit_callback *cb);
int lit_trainer_num_callbacks(const lit_trainer *tr);
lit_callback *lit_trainer_callback(lit_trainer *tr, int i);

/*
 * The Trainer's default callbacks (Lightning's callback connector): unless
 * the user added one of that name, every run adds a progress bar
 * (enable_progress_bar), and fit a model summary (enable_model_summary)
 * and a ModelCheckpoint (enable_checkpointing). The Trainer sits below the
 * callbacks, so it makes them through this process-wide factory table; the
 * callbacks layer installs Lightning's (lit_progress_bar_callback, ...,
 * with default params) when the library is loaded (callbacks.h), and a
 * program may install its own. Each `make` fills *out or returns an error.
 */
#define LIT_PROGRESS_BAR_NAME "TQDMProgressBar"
#define LIT_MODEL_SUMMARY_NAME "ModelSummary"
#define LIT_MODEL_CHECKPOINT_NAME "ModelCheckpoint"

typedef struct {
    lit_status (*make)(lit_callback *out); /* NULL: no default of this kind */
} lit_default_callback;

typedef struct {
    int version;                          /* LIT_DEFAULT_CALLBACKS_VERSION */
    lit_default_callback progress_bar;    /* named LIT_PROGRESS_BAR_NAME */
    lit_default_callback model_summary;   /* named LIT_MODEL_SUMMARY_NAME */
    lit_default_callback model_checkpoint; /* named LIT_MODEL_CHECKPOINT_NAME */
} lit_default_callbacks;
#define LIT_DEFAULT_CALLBACKS_VERSION 1

/* Install the table (copied; NULL: none) for every Trainer run after this
 * call; returns LIT_ERR_INVALID_ARG for another version. Not synchronized
 * with running fits: call it before them. A run whose flags ask for a
 * default the table lacks fails with LIT_ERR_CONFIG naming it. */
lit_status lit_trainer_set_default_callbacks(const lit_default_callbacks *table);

/*
 * Run. `dm` supplies the dataloaders (required); the module's hooks and the
 * datamodule's prepare_data/setup/teardown are called in Lightning's order.
 * ckpt_path (fit only): NULL starts fresh; a path, or "last" / "best" (asked
 * of the callbacks' checkpoint_path, e.g. ModelCheckpoint's; "last" with no
 * checkpoint yet starts fresh with a warning, as Lightning), resumes:
 * after setup the weights, callback states (state_load), datamodule state
 * and on_load_checkpoint are restored; after configure_optimizers and
 * on_fit_start (and the sanity check, which cannot disturb the random
 * streams) the optimizer and scheduler states, the loops' position, the
 * global random stream, gradients of an unfinished accumulation group and
 * the epoch's logged values, so the run continues exactly where the
 * checkpoint left it: at the next batch of the same epoch, in the same
 * shuffled order (see lit_trainer_save_checkpoint for what "where" is).
 * Signals (handle_signals, default on; Lightning's graceful shutdown and
 * SLURM pre-emption handling): a SIGTERM, SIGINT or SIGUSR1 during fit lets
 * the current batch finish (its optimizer step included), writes a
 * checkpoint — to the path a callback's checkpoint_path(cb, tr,
 * "interrupted") names (ModelCheckpoint: its last.ckpt or
 * <dirpath>/interrupted.ckpt), else <default_root_dir or .>/interrupted.ckpt
 * — calls on_exception, runs teardown and returns LIT_ERR_INTERRUPTED with
 * the signal, the position and the checkpoint's path in the message; fit
 * with that path resumes exactly. A second signal before that ends the
 * process at once with the signal's default action (checkpoint files are
 * written atomically, so the previous one stays intact). The process's own
 * handlers are restored when fit returns. Independently of handle_signals,
 * SIGXFSZ is ignored while fit, validate, test or predict runs (and its
 * disposition restored after): past a file size limit (`ulimit -f`) a write
 * fails with EFBIG and is reported — a checkpoint save returns LIT_ERR_IO
 * ("the file size limit (ulimit -f) was reached writing <path>") and keeps
 * the previous file — instead of the process dying without a message.
 * Resume errors, before any training step: LIT_ERR_NOT_FOUND (no such file;
 * "best" that no callback knows), the checkpoint's load errors
 * (LIT_ERR_CORRUPT, LIT_ERR_UNSUPPORTED), LIT_ERR_CONFIG for a checkpoint of
 * another model (the message lists missing, unexpected and mismatched
 * parameters), other optimizers or schedulers, a weights-only checkpoint,
 * or a training dataloader whose length changed.
 * Errors: bad params (LIT_ERR_CONFIG, before any hook runs, except the
 * data-dependent ones, checked after setup), the stage's step missing from
 * the vtable (training_step for fit, validation_step for validate, ...:
 * LIT_ERR_CONFIG before any hook runs), a failing hook (its status,
 * message prefixed with the hook), a dataloader error, LIT_ERR_CONFIG for
 * configure_optimizers problems (several optimizers with automatic
 * optimization; schedulers without an optimizer or with an opt_idx out of
 * range; ReduceLROnPlateau without monitor; monitor never logged).
 */
lit_status lit_trainer_fit(lit_trainer *tr, lit_module *m, lit_datamodule *dm, const char *ckpt_path);
lit_status lit_trainer_validate(lit_trainer *tr, lit_module *m, lit_datamodule *dm);
lit_status lit_trainer_test(lit_trainer *tr, lit_module *m, lit_datamodule *dm);
lit_status lit_trainer_predict(lit_trainer *tr, lit_module *m, lit_datamodule *dm);

/*
 * trainer.save_checkpoint: write the run's state to `path` atomically
 * (checkpoint.h): tensors "state_dict.<param>" (every parameter and buffer
 * of the module's store), "optimizer_states.<i>.<slot>.<param>" and, inside
 * an unfinished accumulation group, "grads.<param>"; values "epoch",
 * "global_step", "loops" (where the fit is), "optimizer_param_groups",
 * "lr_schedulers", "callbacks" (each state_save under its state_key),
 * "datamodule", "hyper_parameters", "rng" (the global stream), "results"
 * (the epoch's logged values so far and the trainer's metrics), "precision",
 * then the callbacks' and the module's on_save_checkpoint hooks.
 * weights_only: state_dict and hyper_parameters only (the file loads into a
 * model, it cannot resume a fit).
 *
 * Where a resume continues, by when the checkpoint was written during fit:
 *   - in on_train_batch_end of a monitoring callback (which runs after the
 *     module's, see lit_callback.monitoring) or between batches: after that
 *     batch — its validation check (val_check_interval) is still to come;
 *   - in on_validation_end of a validation inside the epoch: after that
 *     validation;
 *   - in on_train_epoch_end of a monitoring callback: after the epoch's
 *     hooks (its logged epoch values are published on resume);
 *   - after fit returned: where it stopped — the next batch of an epoch cut
 *     short by max_steps or should_stop (a later fit with larger limits
 *     goes on as one long run would; that epoch's logged mean then covers
 *     only the batches after the resume), else the next epoch.
 * Errors: LIT_ERR_STATE when no module is attached (before the first
 * run), lit_checkpoint_save's errors, a failing hook's.
 */
lit_status lit_trainer_save_checkpoint(lit_trainer *tr, const char *path, int weights_only);

/* Progress and state (trainer.current_epoch, global_step, ...). */
const lit_trainer_params *lit_trainer_get_params(const lit_trainer *tr);
int64_t lit_trainer_current_epoch(const lit_trainer *tr);
int64_t lit_trainer_global_step(const lit_trainer *tr);
int lit_trainer_sanity_checking(const lit_trainer *tr);
lit_stage lit_trainer_stage(const lit_trainer *tr);
/* trainer.should_stop: request a stop at the end of the current batch
 * (honouring min_epochs/min_steps). */
void lit_trainer_set_should_stop(lit_trainer *tr, int stop);
int lit_trainer_should_stop(const lit_trainer *tr);
/* Replace the clock max_time is measured with (default lit_time_now,
 * monotonic seconds), e.g. a fake clock in tests; now NULL restores the
 * default. Read at on_train_start and after each training batch. */
void lit_trainer_set_clock(lit_trainer *tr, double (*now)(void *user), void *user);
/* Training batches per epoch after limits (-1 = unknown/infinite), known
 * once fit has set up the train dataloader. */
int64_t lit_trainer_num_training_batches(const lit_trainer *tr);
/* Validation batches run by each validation (sum over loaders). */
int64_t lit_trainer_num_val_batches(const lit_trainer *tr);
/* Batches of the validation (sanity check included), test or predict loop
 * running now or last, summed over its loaders (-1 when a loader has no
 * length). Known from on_<x>_start on; the progress bar's total. */
int64_t lit_trainer_num_eval_batches(const lit_trainer *tr);
/* The step arena's high-water mark: the most bytes the training,
 * validation, test and predict steps (activations, autograd tape, step
 * outputs) have had in use at once over this trainer's life (the arena and
 * its mark survive across runs; a fresh trainer starts at 0). The measure
 * the batch size finder (lit_batch_size_find) compares with its budget. */
int64_t lit_trainer_peak_step_bytes(const lit_trainer *tr);

/* ---- predictions (trainer.predict's return value) */

/* Off: lit_trainer_predict keeps nothing (return_predictions=False, for
 * outputs too large to hold). Default on. */
void lit_trainer_set_return_predictions(lit_trainer *tr, int on);
/* Loaders of the last predict, and how many outputs loader dl_idx produced
 * (batches whose predict_step set *out; 0 for an unknown loader). */
int lit_trainer_num_prediction_loaders(const lit_trainer *tr);
int64_t lit_trainer_num_predictions(const lit_trainer *tr, int dl_idx);
/* Output i of loader dl_idx: a copy owned by the trainer, valid until the
 * next lit_trainer_predict or lit_trainer_free. Asserts the indices. */
lit_tensor *lit_trainer_prediction(const lit_trainer *tr, int dl_idx, int64_t i);
/* trainer.estimated_stepping_batches: optimizer steps the fit will make,
 * ceil(batches / accumulate_grad_batches) * max_epochs capped by max_steps
 * (INT64_MAX when unbounded). Called during fit before the train dataloader
 * is loaded (from configure_optimizers, to size a schedule), it loads it
 * then, as Lightning does. */
int64_t lit_trainer_estimated_stepping_batches(lit_trainer *tr);
/* trainer.datamodule: the datamodule of the running (or last) stage. */
lit_datamodule *lit_trainer_datamodule(const lit_trainer *tr);
/* trainer.checkpoint_callback: the first ModelCheckpoint (callbacks.h) of
 * the running run, or of the last one (the default one the Trainer adds is
 * kept readable until the next run starts); NULL when there is none. */
lit_callback *lit_trainer_checkpoint_callback(lit_trainer *tr);
/* The lr schedulers configure_optimizers returned (trainer.lr_scheduler_configs). */
int lit_trainer_num_schedulers(const lit_trainer *tr);
const lit_lr_scheduler_config *lit_trainer_scheduler(const lit_trainer *tr, int i); /* asserts the range */
/* trainer.accumulate_grad_batches = n during fit (GradientAccumulationScheduler
 * sets it at epoch start): the groups of the running epoch follow the new
 * value from the next batch on. LIT_ERR_CONFIG for n < 1, or n != 1 with
 * manual optimization. */
lit_status lit_trainer_set_accumulate_grad_batches(lit_trainer *tr, int64_t n);

/* trainer.ckpt_path: the checkpoint the running (or last) fit resumed from,
 * NULL when it started fresh. */
const char *lit_trainer_ckpt_path(const lit_trainer *tr);
/* The trainer's clock in seconds (lit_time_now, or lit_trainer_set_clock's),
 * for callbacks that act on time (ModelCheckpoint's train_time_interval). */
double lit_trainer_now(const lit_trainer *tr);
/* fit_loop.epoch_loop._batches_that_stepped: training batches of this fit
 * that stepped the optimizer (every batch with manual optimization), as
 * saved in checkpoints. It is the `step` the Trainer gives its loggers, for
 * callbacks that write to them directly (LearningRateMonitor, ...); during
 * a batch's hooks it does not count that batch yet. */
int64_t lit_trainer_batches_that_stepped(const lit_trainer *tr);
/* Lightning's "should_update_logs": whether step values go to the loggers
 * at this point of the fit — (batches_that_stepped + 1) is a multiple of
 * log_every_n_steps, or the fit is stopping. The monitors (callbacks.h) log only then. */
int lit_trainer_should_update_logs(const lit_trainer *tr);

#ifdef __cplusplus
}
#endif
#endif
