/*
 * litc/trainer.h — the Trainer: its parameters (Lightning 2.x's names and
 * defaults, LIT_TRAINER_* environment), fit/validate/test/predict, a run's
 * checkpoints, progress and state, the logged metrics, and seed_everything.
 *
 * The Trainer runs Lightning 2.x's loops over a module (module.h) with data
 * from a lit_datamodule (data.h), calling the module's and the callbacks'
 * (callback.h) hooks in Lightning's documented order.
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
 * Memory (the step arena) and errors from hooks: module.h. Threads: a
 * trainer and its module are used by one thread.
 */
#ifndef LITC_TRAINER_H
#define LITC_TRAINER_H

#include "callback.h"
#include "data.h"
#include "loggers.h"
#include "module.h"

#ifdef __cplusplus
extern "C" {
#endif

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
    int enable_checkpointing;        /* default 1: a ModelCheckpoint (model-checkpoint.h) with default
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
/* trainer.checkpoint_callback: the first ModelCheckpoint (model-checkpoint.h) of
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
 * log_every_n_steps, or the fit is stopping. The monitors (monitors.h) log
 * only then. */
int lit_trainer_should_update_logs(const lit_trainer *tr);

/* ================================================================ metrics */

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

#ifdef __cplusplus
}
#endif
#endif
