/*
 * litc/callback.h — the Callback interface (Lightning's Callback): a
 * struct of optional hooks the Trainer calls around the module's, with a
 * state saved in checkpoints; and the factory table through which the
 * Trainer makes its default callbacks. The callbacks litc ships
 * (ModelCheckpoint, EarlyStopping, the progress bar, ...) are in
 * callbacks.h.
 *
 * Intended usage:
 *
 *     static lit_status at_epoch_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
 *         (void)m;
 *         int64_t *epochs_seen = cb->user;
 *         *epochs_seen = lit_trainer_current_epoch(tr) + 1;
 *         return LIT_OK;
 *     }
 *
 *     int64_t epochs_seen = 0;
 *     lit_callback cb = { .version = LIT_CALLBACK_VERSION, .name = "EpochCounter",
 *                         .user = &epochs_seen, .on_train_epoch_end = at_epoch_end };
 *     LIT_TRY(lit_trainer_add_callback(tr, &cb));   // copied: cb may go out of scope
 *
 * Hooks return lit_status; a negative one stops the run as a module hook's
 * does (module.h).
 */
#ifndef LITC_CALLBACK_H
#define LITC_CALLBACK_H

#include "module.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lit_callback lit_callback;

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

/*
 * The Trainer's default callbacks (Lightning's callback connector): unless
 * the user added one of that name, every run adds a progress bar
 * (enable_progress_bar), and fit a model summary (enable_model_summary)
 * and a ModelCheckpoint (enable_checkpointing). The Trainer sits below the
 * callbacks, so it makes them through this process-wide factory table; the
 * callbacks layer installs Lightning's (lit_progress_bar_callback, ...,
 * with default params) when the library is loaded (default-callbacks.h),
 * and a program may install its own. Each `make` fills *out or returns an error.
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

#ifdef __cplusplus
}
#endif
#endif
