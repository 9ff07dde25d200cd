/*
 * litc/loggers.h — experiment loggers (Lightning's loggers): where the
 * Trainer sends logged metrics and hyperparameters. Several can be attached
 * at once; each writes under <save_dir>/<name>/version_<N>/ (Lightning's
 * layout: <default_root_dir>/lightning_logs/version_N/ by default, N the
 * next free number when the logger first needs it).
 *
 * The Trainer calls, as Lightning's logger connector does:
 *   - log_hyperparams once at fit/validate/test start with the module's
 *     hparams;
 *   - log_metrics(step metrics, step = global_step) after training batches
 *     whose global_step is a multiple of log_every_n_steps (and the last);
 *   - log_metrics(epoch metrics, step) at the end of every train epoch and
 *     every validation/test run, with "epoch" added;
 *   - save after those, finalize("success" | "failed" | "interrupted") when
 *     the run ends.
 * A logger that fails never loses the run or its checkpoints: the Trainer
 * reports the error once (LIT_LOG_ERROR naming the logger and file) and
 * stops calling that logger.
 *
 * Intended usage:
 *
 *     lit_logger lg;
 *     LIT_TRY(lit_csv_logger(&lg, &(lit_csv_logger_params){ .save_dir = "logs" }));
 *     LIT_TRY(lit_trainer_add_logger(tr, &lg));     // copied; freed with the trainer
 *
 * Errors of the constructors: LIT_ERR_CONFIG for bad params, LIT_ERR_IO when
 * the directory cannot be made or written (the message names it).
 */
#ifndef LITC_LOGGERS_H
#define LITC_LOGGERS_H

#include <stdint.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_LOGGER_VERSION 1

typedef struct lit_logger lit_logger;

/* One hyperparameter as loggers see it (the module's lit_hparam). */
typedef struct {
    const char *name;
    int kind;        /* 0 int, 1 double, 2 string (lit_hparam_kind) */
    int64_t i;
    double d;
    const char *s;
} lit_logger_hparam;

struct lit_logger {
    int version;        /* LIT_LOGGER_VERSION */
    const char *name;   /* "CSVLogger", "TensorBoardLogger", ... */
    void *user;
    lit_status (*log_hyperparams)(lit_logger *lg, int n, const lit_logger_hparam *hp);
    /* names[i] = values[i] at `step` (names owned by the caller, valid during the call). */
    lit_status (*log_metrics)(lit_logger *lg, int n, const char *const *names, const double *values, int64_t step);
    lit_status (*save)(lit_logger *lg);                          /* (optional) flush */
    lit_status (*finalize)(lit_logger *lg, const char *status);  /* (optional) */
    /* The version number (v_num on the progress bar) and the run's log
     * directory; may create the directory on first use. */
    int64_t (*version_number)(lit_logger *lg);
    const char *(*log_dir)(lit_logger *lg);
    void (*free)(lit_logger *lg);                                /* (optional) */
};

#ifdef __cplusplus
}
#endif
#endif
