/*
 * litc/callbacks.h — the built-in callbacks (Lightning's
 * lightning.pytorch.callbacks): the progress bar and the model summary,
 * which the Trainer adds by itself, and ModelCheckpoint, EarlyStopping and
 * OnExceptionCheckpoint, which you add.
 *
 * Each constructor fills a lit_callback value (train.h) that you pass to
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

/* Names the Trainer looks for before adding its defaults. */
#define LIT_PROGRESS_BAR_NAME "TQDMProgressBar"
#define LIT_MODEL_SUMMARY_NAME "ModelSummary"

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

#define LIT_MODEL_CHECKPOINT_NAME "ModelCheckpoint"
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
     * is made absolute at construction (Lightning's os.path.realpath). */
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
 * lies inside dirpath and is not the checkpoint this fit resumed from.
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
 *
 * checkpoint_path(cb, tr, which): "last" -> last_model_path, else (a fresh
 * process) the newest "last*.ckpt" in dirpath (Lightning's
 * _find_last_checkpoints; with the default dirpath a fresh process looks
 * in a new version_N folder and finds none); "best" -> best_model_path;
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
 * warning (the run is failing already).
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

/* Lightning's "should_update_logs": whether step values go to the loggers
 * at this point of the fit — (batches_that_stepped + 1) is a multiple of
 * log_every_n_steps, or the fit is stopping. The monitors log only then. */
int lit_trainer_should_update_logs(const lit_trainer *tr);

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
 * lit_trainer_batches_that_stepped. Unlike Lightning they are not added to
 * trainer.callback_metrics (the Trainer has no API for that).
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

#ifdef __cplusplus
}
#endif
#endif
