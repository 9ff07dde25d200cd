/*
 * src/train/train-impl.h — the Trainer's private state, shared by the loop
 * files (fit-loop.c, optimization.c, eval-loop.c, predict-loop.c), logging
 * (results.c) and hook dispatch (hooks.c).
 */
#ifndef LITC_TRAIN_IMPL_H
#define LITC_TRAIN_IMPL_H

#include "litc/loggers.h"
#include "litc/metrics.h"
#include "litc/train.h"

/* Which hook is running: decides lit_module_log's defaults and which results
 * collection a value goes to. */
typedef enum {
    LIT__CTX_NONE = 0,
    LIT__CTX_TRAIN_STEP,  /* training_step and train batch hooks: on_step */
    LIT__CTX_TRAIN_EPOCH, /* train epoch/stage hooks: on_epoch */
    LIT__CTX_EVAL         /* validation/test steps and hooks: on_epoch */
} lit__log_ctx;

/* One logged key of an epoch (Lightning's _ResultMetric). */
typedef struct {
    char *name;
    lit_metric *metric;   /* logged as a metric object: computed and reset at epoch end */
    lit_log_opts opts;    /* resolved: on_step/on_epoch/logger are 1 or -1 */
    double last;          /* last value logged (for on_step) */
    double wsum, wcount;  /* batch-size weighted sum / total weight (mean) */
    double sum, max, min;
    int64_t n;
} lit__result;

typedef struct {
    int n, cap;
    lit__result *items;
} lit__results;

/* name -> double, in insertion order. */
typedef struct {
    int n, cap;
    char **names;
    double *values;
} lit__metric_list;

typedef struct {
    lit_scheduler *scheduler;
    lit_lr_scheduler_config cfg;
} lit__sched_entry;

/* Where the fit is, for checkpoints: what a resume must still do. */
typedef enum {
    LIT__POS_BOUNDARY = 0,  /* before batch `batch` of the epoch (0: the epoch's start) */
    LIT__POS_AFTER_BATCH,   /* batch `batch` ran through on_train_batch_end; its validation check is next */
    LIT__POS_AFTER_VAL,     /* batch `batch`'s validation ran; the rest of its bookkeeping is next */
    LIT__POS_EPOCH_END      /* on_train_epoch_end ran; publishing the epoch's values is next */
} lit__pos_phase;

typedef struct {
    int64_t batch;
    lit__pos_phase phase;
    int epoch_complete;     /* EPOCH_END: the epoch reached its last batch */
} lit__fit_pos;

/* What the FitLoop knows of its dataloaders (fit-loop.c). */
typedef struct {
    lit_dataloader *train;
    lit_dataloader *val[LIT_MAX_DATALOADERS];
    int n_val;     /* -1: not fetched yet */
    int val_enabled;
    /* Epoch of the last train / val loader request, -1 = never
     * (reload_dataloaders_every_n_epochs). */
    int64_t train_loaded_epoch, val_loaded_epoch;
    int epoch_complete; /* the epoch reached its last batch (_num_ready_batches_reached) */
} lit__fit_data;

struct lit_trainer {
    lit_trainer_params p;      /* as given */
    /* resolved limits */
    int64_t max_epochs, min_epochs, min_steps;

    lit_callback *callbacks;
    int n_callbacks, cap_callbacks;
    lit_callback *last_run_callbacks; /* added by the last run (defaults, configure_callbacks) */
    int n_last_run;

    lit_module *module;
    lit_datamodule *dm;
    lit__fit_data *fit;        /* during fit only */
    lit__fit_pos pos;          /* kept current by the FitLoop */
    int64_t pos_epoch;         /* the epoch `pos` is in (an epoch cut short by max_steps or
                                * should_stop stays the resume epoch after fit ends) */
    lit_checkpoint *resume_ck; /* fit(ckpt_path): loaded after setup, freed when the fit ends */
    char ckpt_path[4096];      /* the file this fit resumed from ("" = none) */
    int resuming;              /* the first epoch continues from `resume_pos` */
    lit__fit_pos resume_pos;
    double time_before;        /* max_time: seconds of fitting before the resume */
    lit_stage stage;
    int sanity_checking;
    int training;              /* inside the training epoch loop */
    int should_stop;

    int64_t current_epoch;
    int64_t global_step;
    int64_t batch_idx;         /* current batch of the running loop */
    int64_t num_training_batches;
    int64_t num_val_batches;
    int64_t val_check_batch;   /* validate after every this many train batches (INT64_MAX: never) */
    double fit_start_time;     /* clock at on_train_start (max_time, as Lightning's Timer) */
    double (*clock)(void *user); /* lit_trainer_set_clock; NULL = lit_time_now */
    void *clock_user;

    lit_optim_config optim;    /* owned optimizers and schedulers */
    /* optimizer 0's parameters (clipping, anomaly checks), malloc'd;
     * clip() refreshes it when a param group was added during fit */
    lit_tensor **opt_params;
    int n_opt_params;

    lit_arena *step_arena;
    lit_batch *cur_batch;
    lit__log_ctx log_ctx;
    const char *fx;            /* the hook or step running now (Lightning's _current_fx_name); NULL outside */
    int n_eval_dls, eval_dl_idx; /* loaders of the running evaluation and the current one */
    int64_t num_eval_batches;  /* batches the running validation/test/predict loop runs (-1 unknown) */

    /* predict's outputs (trainer.predict's return value), copied out of the step arena */
    lit_arena *pred_arena;
    int return_predictions;    /* default 1 */
    int n_pred_dls;
    int pred_n[LIT_MAX_DATALOADERS], pred_cap[LIT_MAX_DATALOADERS];
    lit_tensor **preds[LIT_MAX_DATALOADERS];
    lit__results train_results, eval_results;
    lit__metric_list callback_metrics, logged_metrics, pbar_metrics;

    /* logger connector (logger-connector.c) */
    lit_logger *loggers;
    int n_loggers, cap_loggers;
    int *logger_failed;         /* a logger that failed once is not called again */
    lit__metric_list step_log;  /* this batch's values for the loggers */
    lit__metric_list epoch_log; /* the last epoch's reduced values for the loggers */
    int64_t batches_that_stepped; /* Lightning's step for loggers */
};

/* ---- hooks.c: call a callback hook on every callback, then the module's.
 * Each returns the first failure, with the message prefixed by the hook. */
lit_status lit__hook_fail(lit_status st, const char *hook);

/* Run fn(ctx), one step with its hooks, in the step arena and under an
 * out-of-memory recovery point (lit__oom_guard): an op whose output cannot
 * be allocated makes it return LIT_ERR_NOMEM, prefixed with the hook that
 * was running, instead of aborting. The current arena and grad mode are
 * restored either way. lit__call_stage_hook (the epoch and stage hooks)
 * runs under the same kind of recovery point. */
lit_status lit__run_step_guarded(lit_trainer *tr, lit_status (*fn)(void *ctx), void *ctx);
/* The same recovery point in the current arena, for the hooks outside the
 * steps (setup, configure_optimizers, teardown); `where` names the failure
 * when no hook name is set. */
lit_status lit__run_guarded(lit_trainer *tr, const char *where, lit_status (*fn)(void *ctx), void *ctx);
lit_status lit__cb_simple(lit_trainer *tr, size_t offset, const char *hook, int monitoring_pass);
#define LIT__CB_OFFSET(field) offsetof(lit_callback, field)
/* Both callbacks (non-monitoring first, module, then monitoring) for a
 * (trainer, module) hook. */
lit_status lit__call_stage_hook(lit_trainer *tr, size_t cb_offset, size_t mod_offset, const char *hook);
#define LIT__STAGE_HOOK(tr, name) \
    lit__call_stage_hook((tr), offsetof(lit_callback, name), offsetof(lit_module_vtable, name), #name)
void lit__call_on_exception(lit_trainer *tr, lit_status st);
/* Call callback slot `field` on every callback, then the module's vtable
 * slot `field`, with extra arguments; return the first failure. */
#define LIT__CB_EACH(tr, field, ...)                                                            \
    do {                                                                                        \
        (tr)->fx = #field;                                                                      \
        for (int cbi_ = 0; cbi_ < (tr)->n_callbacks; cbi_++) {                                  \
            lit_callback *cb_ = &(tr)->callbacks[cbi_];                                         \
            if (cb_->field) LIT_TRY(lit__hook_fail(cb_->field(cb_, (tr), (tr)->module, __VA_ARGS__), #field)); \
        }                                                                                       \
    } while (0)
#define LIT__MOD_CALL(tr, field, ...)                                                           \
    do {                                                                                        \
        (tr)->fx = #field;                                                                      \
        if ((tr)->module->vt->field)                                                            \
            LIT_TRY(lit__hook_fail((tr)->module->vt->field((tr)->module, __VA_ARGS__), #field)); \
    } while (0)

/* ---- results.c */
void lit__results_clear(lit__results *r);
void lit__results_free(lit__results *r);
/* A zeroed item named a copy of `name` at the end of r; NULL on out of memory
 * (r unchanged). The pointer lasts until the next append. */
lit__result *lit__results_append(lit__results *r, const char *name);
void lit__metrics_clear(lit__metric_list *l);
void lit__metrics_free(lit__metric_list *l);
void lit__metrics_set(lit__metric_list *l, const char *name, double v);
/* Reduce the epoch values into the metric lists and clear. */
void lit__results_publish_epoch(lit_trainer *tr, lit__results *r);

/* ---- optimization.c */
/* The training step of one batch with automatic or manual optimization.
 * *loss_out gets the loss tensor (may be NULL). */
lit_status lit__run_training_batch(lit_trainer *tr, lit_batch *b, int64_t batch_idx, int should_step,
                                   lit_tensor **loss_out);
lit_status lit__configure_optimizers(lit_trainer *tr);
void lit__free_optimizers(lit_trainer *tr);
/* Step schedulers of `interval`; plateau ones only when `plateau`. */
lit_status lit__update_schedulers(lit_trainer *tr, lit_interval interval, int plateau);

/* ---- eval-loop.c / predict-loop.c */
typedef enum { LIT__EVAL_VALIDATE = 0, LIT__EVAL_TEST, LIT__EVAL_PREDICT } lit__eval_kind;
/* The batch loop shared by validation, test and predict: for each batch the
 * callbacks' then the module's on_<x>_batch_start, the step, then the
 * batch_end hooks, in the step arena; `collect` copies each step output into
 * the predictions. Runs `nb` batches (-1: until the loader ends). */
lit_status lit__run_eval_batches(lit_trainer *tr, lit__eval_kind kind, lit_dataloader *dl, int dl_idx, int64_t nb,
                                 int collect);
/* Sum of the batch counts (-1 when one is unknown); 0 means nothing to run. */
int64_t lit__total_batches(const int64_t *nbs, int n);
/* One full validation or test run over the loaders (limited to
 * `max_batches` per loader, -1 = the configured limit). */
lit_status lit__run_evaluation(lit_trainer *tr, lit__eval_kind kind, lit_dataloader **dls, int n_dls,
                               int64_t max_batches);
lit_status lit__run_prediction(lit_trainer *tr, lit_dataloader **dls, int n_dls);
void lit__clear_predictions(lit_trainer *tr);
/* Batches to run of a loader with `len` batches under a count/fraction limit
 * (-1 = unknown and unlimited). */
int64_t lit__limit_batches(int64_t len, int64_t count, double fraction);

/* ---- anomaly.c (detect_anomaly): LIT_ERR_NUMERIC naming the op, the step (and parameter) */
/* lit__run_training_batch, under autograd's anomaly mode and after checking
 * the parameters when detect_anomaly is set; plainly otherwise. */
lit_status lit__anomaly_training_batch(lit_trainer *tr, lit_batch *b, int64_t batch_idx, int should_step,
                                       lit_tensor **loss_out);
lit_status lit__check_loss_finite(const lit_trainer *tr, const lit_tensor *loss, int64_t batch_idx);
/* Every trainable parameter of the module's store (else optimizer 0's). */
lit_status lit__check_grads_finite(const lit_trainer *tr, int64_t batch_idx);

/* ---- fit-loop.c */
lit_status lit__run_fit(lit_trainer *tr);
/* Load the train dataloader now if fit has not yet (Lightning's
 * estimated_stepping_batches does this from configure_optimizers). */
lit_status lit__ensure_train_loader(lit_trainer *tr);

/* ---- ckpt-save.c / ckpt-restore.c */
/* The store name of parameter `t` ("#<i>" of optimizer `opt_idx` when it is
 * not in the module's store), written into buf. */
const char *lit__param_name(const lit_trainer *tr, const lit_tensor *t, int opt_idx, int i, char *buf, size_t n);
/* fit(ckpt_path): load and restore what must precede configure_optimizers
 * (weights, callback and datamodule states, on_load_checkpoint). */
lit_status lit__resume_begin(lit_trainer *tr, const char *ckpt_path);
/* After configure_optimizers: optimizers, schedulers, loops, rng, results. */
lit_status lit__resume_training_state(lit_trainer *tr);
void lit__resume_end(lit_trainer *tr);

/* ---- signals.c: the handlers live only while fit runs */
void lit__signals_install(void);
void lit__signals_restore(void);
int lit__signal_pending(void); /* the signal received, 0 when none */
/* SIGXFSZ ignored from begin to end (nested pairs allowed; the process's
 * disposition comes back at the outermost end), so writes past `ulimit -f`
 * fail with EFBIG and are reported instead of killing the process. */
void lit__xfsz_ignore_begin(void);
void lit__xfsz_ignore_end(void);

/* ---- logger-connector.c */
void lit__loggers_free(lit_trainer *tr);
void lit__loggers_add_defaults(lit_trainer *tr);
void lit__loggers_log_hparams(lit_trainer *tr);
/* Send step_log (after a batch that stepped, when due) / epoch_log with
 * "epoch" added, then clear the list. */
void lit__loggers_flush_step(lit_trainer *tr);
void lit__loggers_flush_epoch(lit_trainer *tr, int64_t step);
void lit__loggers_finalize(lit_trainer *tr, const char *status);

/* ---- params.c */
void lit__resolve_params(lit_trainer *tr);

/* Where a callback's state lives in checkpoints: its state_key, else its
 * name (ckpt-save.c and ckpt-restore.c must agree). */
static inline const char *lit__callback_state_key(const lit_callback *cb) {
    return cb->state_key ? cb->state_key : cb->name ? cb->name : "callback";
}

#endif
