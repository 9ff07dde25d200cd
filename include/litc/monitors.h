/*
 * litc/monitors.h — monitors and schedules: LearningRateMonitor, Timer,
 * ThroughputMonitor, DeviceStatsMonitor and GradientAccumulationScheduler.
 * The monitors write to the Trainer's loggers directly, as Lightning's do
 * (logger.log_metrics(..., step = lit_trainer_batches_that_stepped)); a
 * logger whose log_metrics fails is reported once (LIT_LOG_WARN) and then
 * skipped by that callback — logging never fails a run. Their last values are also kept for the accessors.
 *
 * Intended usage:
 *
 *     lit_callback lr, tm;
 *     LIT_TRY(lit_lr_monitor_callback(&lr, &(lit_lr_monitor_params){ .logging_interval = LIT_LOG_EVERY_STEP }));
 *     lit_timer_params tp = lit_timer_default_params();
 *     LIT_TRY(lit_timer_parse_duration("00:12:00:00", &tp.duration));
 *     LIT_TRY(lit_timer_callback(&tm, &tp));
 *     LIT_TRY(lit_trainer_add_callback(tr, &lr)); LIT_TRY(lit_trainer_add_callback(tr, &tm));
 *     ... fit ...
 *     printf("trained %.0f s\n", lit_timer_time_elapsed(&tm, LIT_RUNNING_TRAIN));
 *
 * Conventions of every built-in callback (constructor, ownership,
 * accessors, free): callbacks.h.
 */
#ifndef LITC_MONITORS_H
#define LITC_MONITORS_H

#include <stdint.h>

#include "callback.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif
