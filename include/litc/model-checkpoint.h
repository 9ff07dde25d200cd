/*
 * litc/model-checkpoint.h — checkpointing callbacks: ModelCheckpoint
 * (top-k by a monitored value, save_last, every_n_*, filename templates,
 * its state in checkpoints) and OnExceptionCheckpoint (a checkpoint when a
 * fit fails); lit_monitor_mode, shared with EarlyStopping.
 *
 * Intended usage:
 *
 *     lit_model_checkpoint_params cp = lit_model_checkpoint_default_params();
 *     cp.monitor = "val/loss"; cp.mode = LIT_MIN; cp.save_top_k = 3; cp.save_last = 1;
 *     lit_callback ck;
 *     LIT_TRY(lit_model_checkpoint_callback(&ck, &cp));
 *     LIT_TRY(lit_trainer_add_callback(tr, &ck));
 *     LIT_TRY(lit_trainer_fit(tr, &m, &dm, "last"));      // resumes when a last.ckpt exists
 *     printf("best %s\n", lit_model_checkpoint_best_path(&ck));
 *
 * Conventions of every built-in callback (constructor, ownership,
 * accessors, free): callbacks.h.
 */
#ifndef LITC_MODEL_CHECKPOINT_H
#define LITC_MODEL_CHECKPOINT_H

#include <stddef.h>

#include "callback.h"

#ifdef __cplusplus
extern "C" {
#endif

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

#ifdef __cplusplus
}
#endif
#endif
