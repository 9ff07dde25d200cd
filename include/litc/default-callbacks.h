/*
 * litc/default-callbacks.h — the callbacks the Trainer adds by itself
 * (Lightning's callback connector): the progress bar (TQDMProgressBar) and
 * the model summary, and the table of defaults (with ModelCheckpoint,
 * model-checkpoint.h) the callbacks layer installs when the library loads.
 * The Trainer adds a TQDMProgressBar when enable_progress_bar is set and a
 * ModelSummary when enable_model_summary is set, unless a callback of that
 * name was added by you (then yours is used, as Lightning does); adding one
 * while the flag is off is a configuration error.
 *
 * Intended usage (to change where or how they print):
 *
 *     lit_progress_bar_params pp = lit_progress_bar_default_params();
 *     pp.out = stderr; pp.refresh_seconds = 0.5;
 *     lit_callback cb;
 *     LIT_TRY(lit_progress_bar_callback(&cb, &pp));
 *     LIT_TRY(lit_trainer_add_callback(tr, &cb));
 *
 * Conventions of every built-in callback (constructor, ownership,
 * accessors, free): callbacks.h.
 */
#ifndef LITC_DEFAULT_CALLBACKS_H
#define LITC_DEFAULT_CALLBACKS_H

#include <stdio.h>

#include "callback.h"

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

#ifdef __cplusplus
}
#endif
#endif
