/*
 * litc/callbacks.h — the built-in callbacks (Lightning's
 * lightning.pytorch.callbacks): the progress bar and the model summary,
 * which the Trainer adds by itself, and ModelCheckpoint, EarlyStopping and
 * OnExceptionCheckpoint, which you add.
 *
 * Each constructor fills a lit_callback value (callback.h) that you pass to
 * lit_trainer_add_callback, which copies it; its state is freed by the
 * callback's `free` slot when the Trainer is freed. The Trainer adds a
 * TQDMProgressBar when enable_progress_bar is set and a ModelSummary when
 * enable_model_summary is set, unless a callback of that name was added by
 * you (then yours is used, as Lightning does); adding one while the flag is
 * off is a configuration error.
 *
 * Intended usage (to change where or how they print):
 *
 *     lit_progress_bar_params pp = lit_progress_bar_default_params();
 *     pp.out = stderr; pp.refresh_seconds = 0.5;
 *     lit_callback cb;
 *     LIT_TRY(lit_progress_bar_callback(&cb, &pp));
 *     LIT_TRY(lit_trainer_add_callback(tr, &cb));
 *
 * Checkpoints and early stopping:
 *
 *     lit_model_checkpoint_params cp = lit_model_checkpoint_default_params();
 *     cp.monitor = "val/loss"; cp.mode = LIT_MIN; cp.save_top_k = 3; cp.save_last = 1;
 *     lit_callback ck;
 *     LIT_TRY(lit_model_checkpoint_callback(&ck, &cp));
 *     LIT_TRY(lit_trainer_add_callback(tr, &ck));
 *     lit_early_stopping_params ep = lit_early_stopping_default_params();
 *     ep.monitor = "val/loss"; ep.patience = 5;
 *     lit_callback es;
 *     LIT_TRY(lit_early_stopping_callback(&es, &ep));
 *     LIT_TRY(lit_trainer_add_callback(tr, &es));
 *     LIT_TRY(lit_trainer_fit(tr, &m, &dm, "last"));      // resumes when a last.ckpt exists
 *     printf("best %s\n", lit_model_checkpoint_best_path(&ck));
 *
 * The accessors below take your copy of the lit_callback value (it shares
 * its state with the Trainer's copy) and are valid until the Trainer that
 * holds the callback is freed. A constructed callback that is never added
 * is freed with cb.free(&cb).
 */
#ifndef LITC_CALLBACKS_H
#define LITC_CALLBACKS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Trainer's default callbacks as Lightning's (a TQDMProgressBar, a
 * ModelSummary and a ModelCheckpoint with default params), installed with
 * lit_trainer_set_default_callbacks when the library is loaded; install it
 * again to undo a table of your own. LIT_PROGRESS_BAR_NAME,
 * LIT_MODEL_SUMMARY_NAME and LIT_MODEL_CHECKPOINT_NAME, the names the
 * Trainer looks for before adding a default, are callback.h's. */
extern const lit_default_callbacks lit_lightning_default_callbacks;

/* ---------------------------------------------------------------- progress bar */

typedef struct {
    FILE *out;              /* NULL = stdout (Lightning's bars write to stdout); not owned */
    int is_tty;             /* -1 (default) detect, 1 live bar, 0 plain lines (progress.h) */
    double refresh_seconds; /* minimum time between redraws; default 0.1 */
} lit_progress_bar_params;

lit_progress_bar_params lit_progress_bar_default_params(void);

/*
 * Lightning's TQDMProgressBar over progress.h: a bar "Epoch N" per training
 * epoch (total: the epoch's training batches) showing the progress-bar
 * metrics (lit_module_log(..., .prog_bar = 1)) after every batch; a nested
 * "Validation" bar during validation inside fit (the epoch bar then shows the
 * new validation metrics); "Sanity Checking", "Validation", "Testing" and
 * "Predicting" bars for the other loops, each over the loop's batches summed
 * over its dataloaders. "v_num" (the first logger's version, as Lightning)
 * comes first when the trainer has a logger. Never fails a run: write errors
 * are ignored.
 * Errors: LIT_ERR_NOMEM.
 */
lit_status lit_progress_bar_callback(lit_callback *cb, const lit_progress_bar_params *p);

/* ---------------------------------------------------------------- model summary */

typedef struct {
    int max_depth; /* rows up to this depth of the dotted names (summary.h); default 1; -1 all */
    FILE *out;     /* NULL = stdout; not owned */
} lit_model_summary_params;

lit_model_summary_params lit_model_summary_default_params(void);

/* Lightning's ModelSummary callback: prints lit_model_summary_print's table
 * of the module's parameter store at fit start (nothing when the module has
 * no store). A failed write is logged as a warning, not an error.
 * Errors: LIT_ERR_NOMEM; LIT_ERR_CONFIG for max_depth < -1. */
lit_status lit_model_summary_callback(lit_callback *cb, const lit_model_summary_params *p);

/* ---------------------------------------------------------------- monitored quantities */

#define LIT_EARLY_STOPPING_NAME "EarlyStopping"
#define LIT_ON_EXCEPTION_CHECKPOINT_NAME "OnExceptionCheckpoint"

/* Lightning's mode="min" / "max": whether smaller or larger is better. */
typedef enum { LIT_MIN = 0, LIT_MAX = 1 } lit_monitor_mode;

/* ---------------------------------------------------------------- model checkpoint */

/*
 * ModelCheckpoint's arguments, with Lightning 2.x's names and defaults.
 * Strings are copied by the constructor. Lightning's `None` is spelled out
 * per field.
 */
typedef struct {
    /* Directory of the files. NULL (default) = "<default_root_dir or the
     * current directory>/lightning_logs/version_N/checkpoints", N being the
     * next free version under lightning_logs when the first fit sets the
     * callback up (what Lightning's default logger gives). A relative path
     * is made absolute at construction (Lightning's os.path.realpath:
     * symlinks of the existing part resolved, "." and ".." collapsed), and
     * resolved again when a fit sets the callback up (a symlink made since).
     * When a fit starts, the temporary files of saves killed mid-write
     * ("<name>.ckpt.tmp.<pid>", pid gone) are removed from it
     * (lit_checkpoint_remove_stale_temps); nothing else is. */
    const char *dirpath;
    /* Name template without ".ckpt". NULL = "{epoch}-{step}". "{name}" or
     * "{name:spec}" (Python format spec: [[fill]align][sign][0][width]
     * [.precision][type], type one of d f F e E g G %) is replaced by
     * "name=<value>" with auto_insert_metric_name, else by "<value>".
     * Names: "epoch", "step" (integers; a logged "epoch"/"step" wins, cast
     * to an integer) and every trainer.callback_metrics key; an unknown name
     * formats the integer 0 (as Lightning). A '/' in the result (a metric
     * "val/loss") is a directory separator, as in Lightning: sub-folders
     * are made. */
    const char *filename;
    const char *monitor;          /* metric to rank by; NULL = none (only the latest is kept) */
    int verbose;                  /* default 0; 1: lit_logf INFO on every decision (Lightning's texts) */
    int save_last;                /* default 0; 1: keep "last.ckpt" as a copy of the latest state */
    int save_top_k;               /* default 1; -1 = keep every file; 0 = none (save_last still works) */
    int save_weights_only;        /* default 0 */
    lit_monitor_mode mode;        /* default LIT_MIN */
    int auto_insert_metric_name;  /* default 1 */
    int64_t every_n_train_steps;  /* -1 (default) = None; 0 = off; n: after every n-th optimizer step */
    double train_time_interval;   /* seconds; 0 (default) = None */
    int64_t every_n_epochs;       /* -1 (default) = None; 0 = no top-k saves at epoch/validation ends */
    int save_on_train_epoch_end;  /* tri-state: 0 (default) = None (decided at each save point as
                                   * Lightning does), 1 = true, -1 = false (after validation) */
    int enable_version_counter;   /* default 1: a name that exists gets "-v1", "-v2", ... */
} lit_model_checkpoint_params;

lit_model_checkpoint_params lit_model_checkpoint_default_params(void);

/*
 * Lightning's ModelCheckpoint. Files are written with
 * lit_trainer_save_checkpoint (atomic; parent folders are created first).
 *
 * When it saves (never during the sanity check, with fast_dev_run, outside
 * fit, or twice at the same global step):
 *   - on_train_batch_end (after the module's, `monitoring = 1`): when
 *     every_n_train_steps divides the global step or train_time_interval
 *     passed since the last such save (or on_train_start): top-k and last;
 *   - at the end of the training epoch when save_on_train_epoch_end holds,
 *     else at the end of each validation (on_validation_end): top-k when
 *     every_n_epochs divides current_epoch + 1, and last.
 *   None set defaults to every_n_epochs = 1; any trigger set makes the
 *   others 0. save_on_train_epoch_end = None means: false when
 *   check_val_every_n_epoch != 1; true when the fit has no validation
 *   batches; else true only when validation runs once per epoch
 *   (val_check_interval 1.0, or val_check_batches 1 — Lightning compares
 *   `val_check_interval == 1.0`, which an int 1 passes too).
 *
 * Top-k: with a monitor, the new score enters when fewer than k are kept,
 * or when it beats the k-th best (strictly: < for LIT_MIN, > for LIT_MAX);
 * a NaN score is stored as +inf (LIT_MIN) / -inf (LIT_MAX). The file that
 * falls out is removed only after the new one is written, and only when it
 * is a ".ckpt" file inside dirpath (no ".." component, every symlink
 * resolved: not in a symlinked sub-folder, not a link pointing out) and is
 * not the checkpoint this fit resumed from.
 * Without a monitor each save replaces the previous file (save_top_k 1) or
 * keeps all (-1). save_last writes "last.ckpt" (or "last-vN.ckpt" when a
 * last.ckpt of another run exists) and removes the previous last file of
 * this callback when the name changed.
 *
 * A monitor that is not in trainer.callback_metrics when a top-k save is
 * due fails the fit with LIT_ERR_CONFIG naming the key and the available
 * metrics, once a validation batch has run in this fit (the sanity check
 * does not count; Lightning's MisconfigurationException); before that it
 * is a warning (once) and nothing is saved.
 *
 * State in checkpoints (state_save / state_load, key as Lightning's
 * state_key "ModelCheckpoint{'monitor': 'val/loss', 'mode': 'min',
 * 'every_n_train_steps': 0, 'every_n_epochs': 1, 'train_time_interval':
 * None}" — Lightning 2.x's key, which leaves save_on_train_epoch_end
 * out): monitor, best_model_score, best_model_path, current_score,
 * dirpath, best_k_models, kth_best_model_path, kth_value, last_model_path
 * (scores as numbers, null for None). A state whose dirpath differs from
 * this callback's restores best_model_path only (Lightning warns the same).
 * Restored paths are untrusted: best_model_path, kth_best_model_path,
 * last_model_path and each best_k_models key must name a .ckpt file inside
 * this callback's dirpath (as above), else it is dropped with a warning
 * naming the key and the path — so a checkpoint from elsewhere, or a
 * forged one, never makes a fit remove, replace or resume from a file
 * outside dirpath (Lightning only prefix-matches; a best_model_path from
 * another dirpath is therefore not restored either).
 *
 * checkpoint_path(cb, tr, which): "last" -> last_model_path, else (a fresh
 * process) the newest "last*.ckpt" in dirpath (Lightning's
 * _find_last_checkpoints; with the default dirpath a fresh process looks
 * in a new version_N folder and finds none; a last*.ckpt symlink pointing
 * out of dirpath is skipped); "best" -> best_model_path;
 * "interrupted" -> where a fit stopped by a signal should write: the last
 * file's name when save_last is set, else "<dirpath>/interrupted.ckpt".
 * NULL when unknown (no fit has set the callback up yet, nothing saved).
 *
 * Errors (LIT_ERR_CONFIG, as Lightning's MisconfigurationException):
 * save_top_k < -1; every_n_train_steps < -1; every_n_epochs < -1;
 * train_time_interval < 0 or not finite; more than one of
 * every_n_train_steps >= 1, every_n_epochs >= 1, train_time_interval set;
 * no monitor with save_top_k other than -1, 0, 1; a mode other than
 * LIT_MIN / LIT_MAX; an empty filename or monitor. LIT_ERR_NOMEM.
 */
lit_status lit_model_checkpoint_callback(lit_callback *cb, const lit_model_checkpoint_params *p);

/* best_model_path ("" until a top-k save). */
const char *lit_model_checkpoint_best_path(const lit_callback *cb);
/* best_model_score: 1 and *score when known, 0 when None. */
int lit_model_checkpoint_best_score(const lit_callback *cb, double *score);
/* last_model_path ("" until save_last wrote one). */
const char *lit_model_checkpoint_last_path(const lit_callback *cb);
/* The resolved dirpath (NULL before a fit set the callback up, when none was given). */
const char *lit_model_checkpoint_dirpath(const lit_callback *cb);
/* best_k_models, in Lightning's dict order (insertion): how many, and the
 * i-th path with its score in *score (may be NULL). */
int lit_model_checkpoint_num_best_k(const lit_callback *cb);
const char *lit_model_checkpoint_best_k(const lit_callback *cb, int i, double *score);
/* kth_best_model_path ("" until k files are kept) and kth_value (+inf for
 * LIT_MIN / -inf for LIT_MAX until then) in *value (may be NULL). */
const char *lit_model_checkpoint_kth_best(const lit_callback *cb, double *value);
/* current_score: 1 and *score when known. */
int lit_model_checkpoint_current_score(const lit_callback *cb, double *score);
/*
 * Lightning's format_checkpoint_name: the path a save would use for these
 * metrics (names[i] = values[i]; "epoch" and "step" format as integers),
 * "<dirpath>/<name>[-v<ver>].ckpt" (ver < 0: none; no dirpath yet: the name
 * alone). Errors: LIT_ERR_INVALID_ARG when it does not fit in `size` or a
 * format spec is malformed (the message names it).
 */
lit_status lit_model_checkpoint_format_name(const lit_callback *cb, int n, const char *const *names,
                                            const double *values, int ver, char *out, size_t size);

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

/* ---------------------------------------------------------------- on exception */

/*
 * Lightning's OnExceptionCheckpoint: when a fit fails (a hook's error, a
 * dataloader's, an interrupt the Trainer reports through on_exception) it
 * writes "<dirpath>/<filename>.ckpt" with lit_trainer_save_checkpoint
 * (replacing one that exists; dirpath is created), so the run can be
 * resumed with fit(ckpt_path = that path). A fit that ends normally
 * removes the file at teardown (as Lightning). A failed save is logged as a
 * warning (the run is failing already). When a fit starts, temporary files
 * of saves killed mid-write are removed from dirpath
 * (lit_checkpoint_remove_stale_temps).
 * Errors: LIT_ERR_CONFIG for a NULL/empty dirpath or filename (Lightning's
 * ValueError), LIT_ERR_NOMEM.
 */
lit_status lit_on_exception_checkpoint_callback(lit_callback *cb, const char *dirpath, const char *filename);
/* "<dirpath>/<filename>.ckpt". */
const char *lit_on_exception_checkpoint_path(const lit_callback *cb);

/* ================================================================ monitors and schedules
 *
 * LearningRateMonitor, Timer, ThroughputMonitor, DeviceStatsMonitor and
 * GradientAccumulationScheduler. The monitors write to the Trainer's
 * loggers directly, as Lightning's do (logger.log_metrics(..., step =
 * lit_trainer_batches_that_stepped)); a logger whose log_metrics fails is
 * reported once (LIT_LOG_WARN) and then skipped by that callback — logging
 * never fails a run. Their last values are also kept for the accessors.
 *
 *     lit_callback lr, tm;
 *     LIT_TRY(lit_lr_monitor_callback(&lr, &(lit_lr_monitor_params){ .logging_interval = LIT_LOG_EVERY_STEP }));
 *     lit_timer_params tp = lit_timer_default_params();
 *     LIT_TRY(lit_timer_parse_duration("00:12:00:00", &tp.duration));
 *     LIT_TRY(lit_timer_callback(&tm, &tp));
 *     LIT_TRY(lit_trainer_add_callback(tr, &lr)); LIT_TRY(lit_trainer_add_callback(tr, &tm));
 *     ... fit ...
 *     printf("trained %.0f s\n", lit_timer_time_elapsed(&tm, LIT_RUNNING_TRAIN));
 */

/* ---------------------------------------------------------------- learning rate monitor */

#define LIT_LR_MONITOR_NAME "LearningRateMonitor"

/* logging_interval: None (each scheduler at its own interval), "step", "epoch". */
typedef enum { LIT_LOG_PER_SCHEDULER = 0, LIT_LOG_EVERY_STEP = 1, LIT_LOG_EVERY_EPOCH = 2 } lit_logging_interval;

typedef struct {
    lit_logging_interval logging_interval; /* default LIT_LOG_PER_SCHEDULER (Lightning's None) */
    int log_momentum;                      /* default 0; 1: "<name>-momentum" (betas[0] for Adam-likes) */
    int log_weight_decay;                  /* default 0; 1: "<name>-weight_decay" */
} lit_lr_monitor_params;

lit_lr_monitor_params lit_lr_monitor_default_params(void);

/*
 * Lightning's LearningRateMonitor. Names, per optimizer: "lr-<Optimizer>"
 * (the optimizer's class name, lit_optimizer_name: "lr-SGD", "lr-Adam"), or
 * the scheduler config's `name` when set; the second, third ... optimizer
 * of one class gets "-1", "-2" ("lr-Adam-1"); with several parameter
 * groups each gets "/pg<k>" (k from 1: "lr-Adam/pg1", "lr-Adam/pg2").
 * Optimizers with a scheduler come first (in scheduler order), then the
 * others. Momentum and weight decay use "<name>-momentum" and
 * "<name>-weight_decay"; an optimizer without momentum or betas logs 0
 * (warned once at train start).
 *
 * When: at on_train_batch_start, when lit_trainer_should_update_logs holds,
 * the optimizers of step-interval schedulers (all of them with
 * LIT_LOG_EVERY_STEP; none with LIT_LOG_EVERY_EPOCH); at
 * on_train_epoch_start those of epoch-interval schedulers (all with
 * LIT_LOG_EVERY_EPOCH, none with LIT_LOG_EVERY_STEP). Optimizers without a
 * scheduler are logged at both points. Values go to every logger at step =
 * lit_trainer_batches_that_stepped, and also set in trainer.callback_metrics
 * (as Lightning does), so EarlyStopping or ModelCheckpoint can monitor them.
 * Errors: LIT_ERR_CONFIG for another logging_interval; at train start,
 * LIT_ERR_CONFIG when the Trainer has no logger (Lightning's
 * MisconfigurationException); LIT_ERR_NOMEM.
 */
lit_status lit_lr_monitor_callback(lit_callback *cb, const lit_lr_monitor_params *p);

/* The values of the last logging point (lr, momentum and weight decay keys
 * in the order sent): how many, and the i-th name / value. */
int lit_lr_monitor_num_last(const lit_callback *cb);
const char *lit_lr_monitor_last_name(const lit_callback *cb, int i);
double lit_lr_monitor_last_value(const lit_callback *cb, int i);
/* 1 and *out when `name` was in the last logging point, else 0. */
int lit_lr_monitor_last(const lit_callback *cb, const char *name, double *out);
/* Lightning's lrs[name]: every lr logged under `name` this run, oldest
 * first; *n gets the count (0 and NULL for an unknown name). */
const double *lit_lr_monitor_lrs(const lit_callback *cb, const char *name, int64_t *n);

/* ---------------------------------------------------------------- timer */

#define LIT_TIMER_NAME "Timer"

/* Lightning's RunningStage, for the Timer's accessors. */
typedef enum {
    LIT_RUNNING_TRAIN = 0,     /* "train" */
    LIT_RUNNING_SANITY_CHECK,  /* "sanity_check" */
    LIT_RUNNING_VALIDATE,      /* "validate" */
    LIT_RUNNING_TEST,          /* "test" */
    LIT_RUNNING_PREDICT,       /* "predict" */
    LIT_RUNNING_COUNT
} lit_running_stage;

typedef struct {
    double duration;       /* seconds; NAN (default) = None: measure only, never stop */
    lit_interval interval; /* default LIT_INTERVAL_STEP: check after every training batch;
                            * LIT_INTERVAL_EPOCH: at the end of every training epoch */
    int verbose;           /* default 1: "Time limit reached. Elapsed time is H:MM:SS. Signaling
                            * Trainer to stop." at LIT_LOG_INFO */
} lit_timer_params;

lit_timer_params lit_timer_default_params(void);

/* "DD:HH:MM:SS" (days any number of digits; the others two digits) into
 * seconds, as Lightning's Timer(duration="00:12:00:00"). LIT_ERR_CONFIG
 * naming the text otherwise. */
lit_status lit_timer_parse_duration(const char *text, double *seconds);

/*
 * Lightning's Timer: measures the time (the Trainer's clock,
 * lit_trainer_now, so lit_trainer_set_clock fakes it) between
 * on_train_start and on_train_end, on_validation_start and _end (the
 * sanity check's validation too, as Lightning) and on_test_start and _end,
 * and with a duration sets should_stop (min_epochs/min_steps still apply)
 * once the training time reaches it: checked at fit start (a resumed
 * budget may be spent already), then after each training batch
 * (LIT_INTERVAL_STEP) or each training epoch (LIT_INTERVAL_EPOCH).
 * Independent of the Trainer's own max_time.
 * State (key "Timer"): {"time_elapsed": {"train": s, "sanity_check": s,
 * "validate": s, "test": s, "predict": s}}; loading it makes the restored
 * training time an offset that the resumed fit adds to its own.
 * Errors: LIT_ERR_CONFIG for a negative or infinite duration or an
 * interval other than step/epoch; LIT_ERR_NOMEM.
 */
lit_status lit_timer_callback(lit_callback *cb, const lit_timer_params *p);

/* start_time / end_time of a stage in the clock's seconds; NAN for None. */
double lit_timer_start_time(const lit_callback *cb, lit_running_stage stage);
double lit_timer_end_time(const lit_callback *cb, lit_running_stage stage);
/* Seconds spent in the stage (still running: up to now), plus the restored
 * offset for LIT_RUNNING_TRAIN. */
double lit_timer_time_elapsed(const lit_callback *cb, lit_running_stage stage);
/* duration - time_elapsed(stage); NAN without a duration. */
double lit_timer_time_remaining(const lit_callback *cb, lit_running_stage stage);

/* ---------------------------------------------------------------- throughput monitor */

#define LIT_THROUGHPUT_MONITOR_NAME "ThroughputMonitor"

typedef struct {
    /* Samples in a batch; NULL = batch->size. */
    int64_t (*batch_size_fn)(const lit_batch *batch, void *user);
    /* Items (tokens) in a batch; NULL = no "lengths" / items_per_sec. */
    int64_t (*length_fn)(const lit_batch *batch, void *user);
    /* Lightning's pl_module.flops_per_batch, read after every batch; NULL =
     * none (warned once, as Lightning warns). */
    double (*flops_per_batch)(lit_module *m, void *user);
    void *user;              /* passed to the three */
    int window_size;         /* default 100; >= 2: batches of the rolling averages */
    double available_flops;  /* per device; 0 (default) = unknown: no "device/mfu" */
    const char *separator;   /* default "/"; copied */
} lit_throughput_monitor_params;

lit_throughput_monitor_params lit_throughput_monitor_default_params(void);

/*
 * Lightning's ThroughputMonitor over Fabric's Throughput, on the Trainer's
 * clock. Per stage ("train", "validate", "test", "predict") it keeps the
 * totals of time since the stage started, batches, samples and items, and
 * a window of the last window_size of them; keys, prefixed with
 * "<stage><sep>" ("train/device/samples_per_sec"), are, for one process
 * (Lightning's world_size 1, so no global keys):
 *   "time", "batches", "samples", "lengths" (with length_fn) — totals;
 *   once the window is full: "device/batches_per_sec" and
 *   "device/samples_per_sec" (differences over the window / its time),
 *   "device/items_per_sec" (samples_per_sec * items per batch over the
 *   window, Lightning's formula), "device/flops_per_sec" (the window's
 *   flops without its first batch's / its time) and "device/mfu"
 *   (flops_per_sec / available_flops).
 * Training batches are counted in on_train_batch_end and computed when the
 * batch stepped the optimizer and lit_trainer_should_update_logs holds;
 * the values go to every logger with "epoch" at step =
 * lit_trainer_batches_that_stepped (then logger->save). Validation (not the
 * sanity check), test and predict batches are computed after each batch
 * under the same condition, at step = the stage's total batches. Time
 * spent validating inside fit is taken out of the training clock. A fit
 * restarts every stage's counts.
 * Errors: LIT_ERR_CONFIG for window_size < 2, a negative or non-finite
 * available_flops, an empty separator; during a run LIT_ERR_STATE when a
 * total does not increase (time, samples or items: Lightning's "Expected
 * the value to increase"); LIT_ERR_NOMEM.
 */
lit_status lit_throughput_monitor_callback(lit_callback *cb, const lit_throughput_monitor_params *p);

/* The last computed values (prefixed keys, in the order sent). */
int lit_throughput_monitor_num_last(const lit_callback *cb);
const char *lit_throughput_monitor_last_name(const lit_callback *cb, int i);
double lit_throughput_monitor_last_value(const lit_callback *cb, int i);
int lit_throughput_monitor_last(const lit_callback *cb, const char *name, double *out);

/* ---------------------------------------------------------------- device stats monitor */

#define LIT_DEVICE_STATS_MONITOR_NAME "DeviceStatsMonitor"

/* One reading of this process and machine (Linux /proc; getrusage). */
typedef struct {
    double cpu_vm_percent;     /* Lightning's key: (MemTotal - MemAvailable) / MemTotal * 100 */
    double cpu_percent;        /* Lightning's key: machine-wide busy share since the previous
                                * reading (/proc/stat), 0 at the first (as psutil.cpu_percent()) */
    double cpu_swap_percent;   /* Lightning's key: (SwapTotal - SwapFree) / SwapTotal * 100; 0 without swap */
    double rss_bytes;          /* resident set size (/proc/self/statm resident * page size) */
    double cpu_user_seconds;   /* this process's user CPU time (getrusage) */
    double cpu_system_seconds; /* ... system CPU time */
    double num_threads;        /* /proc/self/status Threads */
} lit_cpu_stats;

/* Fill *out. `prev_busy`/`prev_total` (may be NULL: cpu_percent 0) hold
 * the previous /proc/stat totals and are updated. LIT_ERR_IO naming the
 * file when /proc cannot be read. */
lit_status lit_cpu_stats_read(lit_cpu_stats *out, uint64_t *prev_busy, uint64_t *prev_total);

typedef struct {
    /* NULL-terminated base names to log ("rss_bytes", "cpu_percent", ...);
     * NULL (default) = all. Unknown names are warned about at setup. Not copied. */
    const char *const *filter_keys;
} lit_device_stats_monitor_params;

lit_device_stats_monitor_params lit_device_stats_monitor_default_params(void);

/*
 * Lightning's DeviceStatsMonitor for the CPU: at on_train_batch_start/_end,
 * on_validation_batch_start/_end and on_test_batch_start/_end, when
 * lit_trainer_should_update_logs holds, it reads lit_cpu_stats and logs
 * "DeviceStatsMonitor.<hook>/<stat>" for each field above (names as the
 * struct's fields: "DeviceStatsMonitor.on_train_batch_start/rss_bytes") to
 * every logger at step = lit_trainer_batches_that_stepped.
 * Errors: at setup of a fit, LIT_ERR_CONFIG without a logger ("Cannot use
 * `DeviceStatsMonitor` callback with `Trainer(logger=False)`."); during the
 * run lit_cpu_stats_read's; LIT_ERR_NOMEM.
 */
lit_status lit_device_stats_monitor_callback(lit_callback *cb, const lit_device_stats_monitor_params *p);

/* The last values logged (prefixed keys, in the order sent). */
int lit_device_stats_monitor_num_last(const lit_callback *cb);
const char *lit_device_stats_monitor_last_name(const lit_callback *cb, int i);
double lit_device_stats_monitor_last_value(const lit_callback *cb, int i);
int lit_device_stats_monitor_last(const lit_callback *cb, const char *name, double *out);

/* ---------------------------------------------------------------- gradient accumulation scheduler */

#define LIT_GRAD_ACCUM_SCHEDULER_NAME "GradientAccumulationScheduler"

/* One {epoch: factor} entry of the scheduling dict. */
typedef struct {
    int64_t epoch;  /* >= 0, zero-indexed: the factor applies from this epoch on */
    int64_t factor; /* >= 1 */
} lit_accumulation_step;

/*
 * Lightning's GradientAccumulationScheduler: at every on_train_epoch_start
 * sets lit_trainer_set_accumulate_grad_batches to the factor of the largest
 * scheduled epoch <= the current one (a schedule without epoch 0 starts
 * with 1). The entries (any order, copied) form the dict: a repeated epoch
 * is an error. At train start: LIT_ERR_CONFIG with manual optimization, or
 * when the Trainer's accumulate_grad_batches is not 1 (Lightning's
 * RuntimeError / ValueError); a warning when the module overrides
 * optimizer_step or optimizer_zero_grad and some factor is > 1 (those hooks
 * then run once per optimizer step, not per batch). At teardown of the fit
 * the Trainer's accumulate_grad_batches goes back to what it was at train
 * start, so the next fit on the same Trainer starts clean (Lightning leaves
 * the last factor in place).
 * Errors at construction: LIT_ERR_CONFIG for no entries ("Empty dict cannot
 * be interpreted correct"), an epoch < 0, a factor < 1, a repeated epoch;
 * LIT_ERR_NOMEM.
 */
lit_status lit_grad_accum_scheduler_callback(lit_callback *cb, const lit_accumulation_step *scheduling, int n);

/* get_accumulate_grad_batches(epoch): the factor for `epoch`. */
int64_t lit_grad_accum_scheduler_factor(const lit_callback *cb, int64_t epoch);

/* ================================================================ weight averaging, finetuning
 * (callbacks part 2: ema.c, swa.c, finetuning.c) */

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

/* ---------------------------------------------------------------- backbone finetuning */

#define LIT_BACKBONE_FINETUNING_NAME "BackboneFinetuning"

typedef struct {
    const char *backbone;               /* required: the parameter prefix of the backbone ("backbone"
                                         * covers "backbone.*", see lit_name_has_prefix); copied */
    int64_t unfreeze_backbone_at_epoch; /* default 10 */
    /* lambda_func(epoch): factor of the backbone lr per epoch after the
     * unfreeze; NULL = Lightning's default `multiplicative` (2.0). */
    double (*lambda_func)(int64_t epoch, void *user);
    void *lambda_user;
    double backbone_initial_ratio_lr;   /* default 0.1 */
    double backbone_initial_lr;         /* NAN (default) = None: current lr * backbone_initial_ratio_lr */
    int should_align;                   /* default 1: never above the model's (group 0's) lr */
    int verbose;                        /* default 0: 1 logs both lrs (INFO) at each change */
    int rounding;                       /* default 12: digits of the verbose lrs */
} lit_backbone_finetuning_params;

lit_backbone_finetuning_params lit_backbone_finetuning_default_params(void);

/*
 * Lightning's BackboneFinetuning (BaseFinetuning's freeze / unfreeze and
 * param-group bookkeeping) with the backbone given by a name prefix.
 *   - setup: lit_param_store_freeze(backbone) (before configure_optimizers,
 *     which must give the optimizer only the trainable parameters:
 *     lit_param_store_trainable);
 *   - on_train_epoch_start, for every optimizer: at epoch
 *     unfreeze_backbone_at_epoch, with current_lr = group 0's lr, the
 *     backbone's lr is backbone_initial_lr or current_lr *
 *     backbone_initial_ratio_lr; its parameters are unfrozen and added as a
 *     new group (the optimizer's default hyperparameters, that lr; any
 *     already in a group are skipped with Lightning's warning); at each
 *     later epoch the last group's lr becomes lambda_func(epoch + 1) *
 *     previous lr, or current_lr when should_align and it would exceed it.
 *   train_bn: there is no BatchNorm in litc; nothing to do.
 * The trainer's gradient clipping covers the optimizer's current
 * parameters, so a group added here is clipped too (as in Lightning).
 *
 * Checkpoints (state key "BackboneFinetuning"): previous_backbone_lr (null
 * = None) and internal_optimizer_metadata ({opt: {group: {lr, params:
 * {i: name}}}}). On resume, on_fit_start adds the groups the checkpoint
 * has beyond those configure_optimizers made (and unfreezes their
 * parameters: Lightning leaves them frozen), before the Trainer restores
 * the optimizer state into them.
 *
 * Errors: LIT_ERR_CONFIG at construction for a NULL/empty backbone or a
 * NaN ratio; at setup LIT_ERR_CONFIG when no parameter lies under the
 * prefix (Lightning: "The LightningModule should have a nn.Module
 * `backbone` attribute"), or a module without a store; at resume
 * LIT_ERR_CONFIG for a saved parameter name the module does not have.
 */
lit_status lit_backbone_finetuning_callback(lit_callback *cb, const lit_backbone_finetuning_params *p);

/* previous_backbone_lr: NAN until the unfreeze. */
double lit_backbone_finetuning_backbone_lr(const lit_callback *cb);

/* ================================================================ tuner (Lightning's Tuner)
 * (lr-finder.c, batch-size-finder.c). Both run fits of their own on a
 * fresh Trainer made from `base` (a nested fit inside a running fit is not
 * possible in litc, so Lightning's LearningRateFinder / BatchSizeFinder
 * callbacks, which run them from on_fit_start, have no equivalent: call
 * these before lit_trainer_fit). */

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
