/*
 * src/train/trainer.c — the lit_trainer handle, callbacks, accessors and the
 * four entry points. Each entry point runs Lightning's _run: configure_
 * callbacks, prepare_data (datamodule, module), setup (datamodule,
 * callbacks, module), the stage's loop, teardown (same order as setup).
 * A failure calls on_exception (callbacks, module) and skips teardown, as
 * Lightning's _call_and_handle_interrupt does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "train/train-impl.h"

lit_status lit_trainer_new(lit_trainer **out, const lit_trainer_params *p) {
    LIT_ASSERT(out && p, "lit_trainer_new: out and params must not be NULL");
    *out = NULL;
    LIT_TRY(lit_trainer_params_validate(p));
    lit_trainer *tr = calloc(1, sizeof *tr);
    if (!tr) return lit_set_error(LIT_ERR_NOMEM, "lit_trainer_new: out of memory");
    tr->p = *p;
    lit__resolve_params(tr);
    tr->step_arena = lit_arena_new("trainer-step", 0);
    tr->pred_arena = lit_arena_new("trainer-predictions", 0);
    if (!tr->step_arena || !tr->pred_arena) {
        lit_arena_free(tr->step_arena);
        lit_arena_free(tr->pred_arena);
        free(tr);
        return lit_set_error(LIT_ERR_NOMEM, "lit_trainer_new: out of memory (arenas)");
    }
    tr->num_training_batches = -1;
    tr->num_eval_batches = -1;
    tr->return_predictions = 1;
    *out = tr;
    return LIT_OK;
}

static void free_callback_array(lit_callback *cbs, int n) {
    for (int i = n - 1; i >= 0; i--)
        if (cbs[i].free) cbs[i].free(&cbs[i]);
}

/* The callbacks a run added (configure_callbacks', the defaults) leave the
 * active list when it ends but stay readable until the next run, so
 * trainer.checkpoint_callback.best_model_path works after fit. */
static void retire_run_callbacks(lit_trainer *tr, int from) {
    free_callback_array(tr->last_run_callbacks, tr->n_last_run);
    free(tr->last_run_callbacks);
    tr->last_run_callbacks = NULL;
    tr->n_last_run = 0;
    int n = tr->n_callbacks - from;
    if (n <= 0) return;
    tr->last_run_callbacks = malloc((size_t)n * sizeof *tr->last_run_callbacks);
    if (tr->last_run_callbacks) {
        memcpy(tr->last_run_callbacks, &tr->callbacks[from], (size_t)n * sizeof *tr->callbacks);
        tr->n_last_run = n;
    } else {
        free_callback_array(&tr->callbacks[from], n); /* out of memory: just free them */
    }
    tr->n_callbacks = from;
}

void lit_trainer_free(lit_trainer *tr) {
    if (!tr) return;
    free_callback_array(tr->callbacks, tr->n_callbacks);
    retire_run_callbacks(tr, tr->n_callbacks);
    free(tr->callbacks);
    lit__free_optimizers(tr);
    lit__results_free(&tr->train_results);
    lit__results_free(&tr->eval_results);
    lit__metrics_free(&tr->callback_metrics);
    lit__metrics_free(&tr->logged_metrics);
    lit__metrics_free(&tr->pbar_metrics);
    if (tr->module && tr->module->trainer == tr) tr->module->trainer = NULL;
    lit__loggers_free(tr);
    lit_arena_free(tr->step_arena);
    lit_arena_free(tr->pred_arena);
    free(tr);
}

lit_status lit_trainer_add_callback(lit_trainer *tr, const lit_callback *cb) {
    LIT_ASSERT(tr && cb, "lit_trainer_add_callback: NULL trainer or callback");
    if (cb->version != LIT_CALLBACK_VERSION)
        return lit_set_error(LIT_ERR_INVALID_ARG, "callback %s: version %d, this litc expects %d (LIT_CALLBACK_VERSION)",
                             cb->name ? cb->name : "?", cb->version, LIT_CALLBACK_VERSION);
    if (tr->n_callbacks == tr->cap_callbacks) {
        int cap = tr->cap_callbacks ? 2 * tr->cap_callbacks : 8;
        lit_callback *g = realloc(tr->callbacks, (size_t)cap * sizeof *g);
        if (!g) return lit_set_error(LIT_ERR_NOMEM, "lit_trainer_add_callback: out of memory");
        tr->callbacks = g;
        tr->cap_callbacks = cap;
    }
    tr->callbacks[tr->n_callbacks++] = *cb;
    return LIT_OK;
}

int lit_trainer_num_callbacks(const lit_trainer *tr) { return tr->n_callbacks; }
lit_callback *lit_trainer_callback(lit_trainer *tr, int i) {
    LIT_ASSERT(i >= 0 && i < tr->n_callbacks, "lit_trainer_callback: index %d of %d", i, tr->n_callbacks);
    return &tr->callbacks[i];
}

const lit_trainer_params *lit_trainer_get_params(const lit_trainer *tr) { return &tr->p; }
int64_t lit_trainer_current_epoch(const lit_trainer *tr) { return tr->current_epoch; }
int64_t lit_trainer_global_step(const lit_trainer *tr) { return tr->global_step; }
int lit_trainer_sanity_checking(const lit_trainer *tr) { return tr->sanity_checking; }
lit_stage lit_trainer_stage(const lit_trainer *tr) { return tr->stage; }
void lit_trainer_set_should_stop(lit_trainer *tr, int stop) { tr->should_stop = stop != 0; }
int lit_trainer_should_stop(const lit_trainer *tr) { return tr->should_stop; }
void lit_trainer_set_clock(lit_trainer *tr, double (*now)(void *user), void *user) {
    tr->clock = now;
    tr->clock_user = now ? user : NULL;
}
int64_t lit_trainer_num_training_batches(const lit_trainer *tr) { return tr->num_training_batches; }
int64_t lit_trainer_num_val_batches(const lit_trainer *tr) { return tr->num_val_batches; }
int64_t lit_trainer_num_eval_batches(const lit_trainer *tr) { return tr->num_eval_batches; }
int64_t lit_trainer_peak_step_bytes(const lit_trainer *tr) { return (int64_t)lit_arena_high_water(tr->step_arena); }
lit_datamodule *lit_trainer_datamodule(const lit_trainer *tr) { return tr->dm; }

int lit_trainer_num_schedulers(const lit_trainer *tr) { return tr->optim.n_schedulers; }
const lit_lr_scheduler_config *lit_trainer_scheduler(const lit_trainer *tr, int i) {
    LIT_ASSERT(i >= 0 && i < tr->optim.n_schedulers, "lit_trainer_scheduler: index %d of %d", i,
               tr->optim.n_schedulers);
    return &tr->optim.schedulers[i];
}

lit_status lit_trainer_set_accumulate_grad_batches(lit_trainer *tr, int64_t n) {
    if (n < 1) return lit_set_error(LIT_ERR_CONFIG, "accumulate_grad_batches=%lld: must be >= 1", (long long)n);
    if (n != 1 && tr->module && !tr->module->automatic_optimization)
        return lit_set_error(LIT_ERR_CONFIG, "accumulate_grad_batches=%lld: not supported with manual optimization",
                             (long long)n);
    tr->p.accumulate_grad_batches = n;
    return LIT_OK;
}

static int find_callback(const lit_callback *cbs, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (cbs[i].name && !strcmp(cbs[i].name, name)) return i;
    return -1;
}

lit_callback *lit_trainer_checkpoint_callback(lit_trainer *tr) {
    int i = find_callback(tr->callbacks, tr->n_callbacks, LIT_MODEL_CHECKPOINT_NAME);
    if (i >= 0) return &tr->callbacks[i];
    i = find_callback(tr->last_run_callbacks, tr->n_last_run, LIT_MODEL_CHECKPOINT_NAME);
    return i >= 0 ? &tr->last_run_callbacks[i] : NULL;
}
const char *lit_trainer_ckpt_path(const lit_trainer *tr) { return tr->ckpt_path[0] ? tr->ckpt_path : NULL; }
double lit_trainer_now(const lit_trainer *tr) { return tr->clock ? tr->clock(tr->clock_user) : lit_time_now(); }
int64_t lit_trainer_batches_that_stepped(const lit_trainer *tr) { return tr->batches_that_stepped; }

int64_t lit_trainer_estimated_stepping_batches(lit_trainer *tr) {
    /* Lightning loads the train dataloader when asked before fit did; a
     * failure to load shows up again, with its message, when fit does. */
    if (tr->fit && !tr->fit->train && lit__ensure_train_loader(tr) < 0)
        lit_logf(LIT_LOG_WARN, "estimated_stepping_batches: %s", lit_last_error());
    /* Lightning: ceil(batches / accumulate) * max_epochs, capped by max_steps. */
    int64_t max_steps = tr->p.max_steps;
    if (tr->num_training_batches < 0 || tr->max_epochs < 0) return max_steps >= 0 ? max_steps : INT64_MAX;
    int64_t acc = tr->p.accumulate_grad_batches;
    int64_t per_epoch = tr->num_training_batches / acc + (tr->num_training_batches % acc != 0);
    /* Saturates: max_epochs may be as large as the config allows. */
    int64_t total;
    if (__builtin_mul_overflow(per_epoch, tr->max_epochs > 1 ? tr->max_epochs : 1, &total)) total = INT64_MAX;
    return max_steps >= 0 && max_steps < total ? max_steps : total;
}

/* ---------------------------------------------------------------- stages */

/* The factories of the default callbacks, installed from above (the
 * callbacks layer installs Lightning's when the library loads). */
static lit_default_callbacks default_callbacks;

lit_status lit_trainer_set_default_callbacks(const lit_default_callbacks *table) {
    if (table && table->version != LIT_DEFAULT_CALLBACKS_VERSION)
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "lit_trainer_set_default_callbacks: version %d, this litc expects %d "
                             "(LIT_DEFAULT_CALLBACKS_VERSION)",
                             table->version, LIT_DEFAULT_CALLBACKS_VERSION);
    default_callbacks = table ? *table : (lit_default_callbacks){0};
    return LIT_OK;
}

/* Lightning's callback connector: the progress bar and model summary are
 * added unless the user gave their own; giving one while the flag is off is
 * a contradiction Lightning refuses too. */
static lit_status add_default_callback(lit_trainer *tr, int enabled, const char *name, const char *flag,
                                       const lit_default_callback *factory) {
    int have = find_callback(tr->callbacks, tr->n_callbacks, name) >= 0;
    /* fast_dev_run turns checkpointing off without making your callbacks an error. */
    if (!enabled && have && !(tr->p.fast_dev_run > 0 && !strcmp(flag, "enable_checkpointing")))
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(%s=0) but a %s callback was added; remove it or set %s=1",
                             flag, name, flag);
    if (!enabled || have) return LIT_OK;
    if (!factory->make)
        return lit_set_error(LIT_ERR_CONFIG,
                             "Trainer(%s=1) adds a default %s, but no default callbacks are installed "
                             "(lit_trainer_set_default_callbacks); add a %s callback or set %s=0",
                             flag, name, name, flag);
    lit_callback cb;
    LIT_TRY(factory->make(&cb));
    lit_status st = lit_trainer_add_callback(tr, &cb);
    if (st < 0 && cb.free) cb.free(&cb);
    return st;
}

static lit_status setup_hooks(lit_trainer *tr, lit_stage stage) {
    lit_module *m = tr->module;
    lit_datamodule *dm = tr->dm;
    tr->fx = "configure_callbacks";
    if (m->vt->configure_callbacks) LIT_TRY(lit__hook_fail(m->vt->configure_callbacks(m, tr), "configure_callbacks"));
    const lit_default_callbacks *d = &default_callbacks;
    LIT_TRY(add_default_callback(tr, tr->p.enable_progress_bar, LIT_PROGRESS_BAR_NAME, "enable_progress_bar",
                                 &d->progress_bar));
    if (stage == LIT_STAGE_FIT) {
        LIT_TRY(add_default_callback(tr, tr->p.enable_model_summary, LIT_MODEL_SUMMARY_NAME, "enable_model_summary",
                                     &d->model_summary));
        LIT_TRY(add_default_callback(tr, tr->p.enable_checkpointing, LIT_MODEL_CHECKPOINT_NAME,
                                     "enable_checkpointing", &d->model_checkpoint));
    }
    tr->fx = "prepare_data";
    if (dm->prepare_data) LIT_TRY(lit__hook_fail(dm->prepare_data(dm->user), "datamodule.prepare_data"));
    if (m->vt->prepare_data) LIT_TRY(lit__hook_fail(m->vt->prepare_data(m), "prepare_data"));
    tr->fx = "setup";
    if (dm->setup) LIT_TRY(lit__hook_fail(dm->setup(dm->user, stage), "datamodule.setup"));
    LIT__CB_EACH(tr, setup, stage);
    LIT__MOD_CALL(tr, setup, stage);
    /* A parameter that could not be allocated (in the module's init or
     * setup) is reported here, naming it, whatever the module checked. */
    if (m->params) LIT_TRY(lit_param_store_status(m->params));
    if (m->params) lit_param_store_zero_grad(m->params, 1); /* module.zero_grad() */
    tr->fx = NULL;
    return LIT_OK;
}

static lit_status teardown_hooks(lit_trainer *tr, lit_stage stage) {
    lit_datamodule *dm = tr->dm;
    if (dm->teardown) LIT_TRY(lit__hook_fail(dm->teardown(dm->user, stage), "datamodule.teardown"));
    LIT__CB_EACH(tr, teardown, stage);
    LIT__MOD_CALL(tr, teardown, stage);
    return LIT_OK;
}

/* setup_hooks / teardown_hooks under an out-of-memory recovery point: a
 * tensor a hook cannot allocate fails the stage with LIT_ERR_NOMEM. */
typedef struct {
    lit_trainer *tr;
    lit_stage stage;
    lit_status (*hooks)(lit_trainer *tr, lit_stage stage);
} stage_hooks_call;

static lit_status stage_hooks_run(void *ctx) {
    stage_hooks_call *c = ctx;
    return c->hooks(c->tr, c->stage);
}

static lit_status guarded_hooks(lit_trainer *tr, lit_stage stage,
                                lit_status (*hooks)(lit_trainer *tr, lit_stage stage), const char *where) {
    stage_hooks_call c = { tr, stage, hooks };
    return lit__run_guarded(tr, where, stage_hooks_run, &c);
}

static lit_status stage_body(lit_trainer *tr, lit_stage stage) {
    if (stage == LIT_STAGE_FIT) return lit__run_fit(tr);
    if (stage != LIT_STAGE_PREDICT) lit__loggers_log_hparams(tr);
    lit_dataloader *dls[LIT_MAX_DATALOADERS];
    int n = 0;
    LIT_TRY(lit_datamodule_eval_dataloaders(tr->dm, stage, dls, &n));
    if (stage == LIT_STAGE_PREDICT) return lit__run_prediction(tr, dls, n);
    return lit__run_evaluation(tr, stage == LIT_STAGE_TEST ? LIT__EVAL_TEST : LIT__EVAL_VALIDATE, dls, n, -1);
}

static lit_status run_stage(lit_trainer *tr, lit_module *m, lit_datamodule *dm, lit_stage stage,
                            const char *ckpt_path) {
    LIT_ASSERT(tr && m && dm, "lit_trainer_%s: trainer, module and datamodule must not be NULL", lit_stage_name(stage));
    LIT_ASSERT(m->vt, "lit_trainer_%s: the module is not initialised (lit_module_init)", lit_stage_name(stage));
    if (dm->version < 1 || dm->version > LIT_DATAMODULE_VERSION)
        return lit_set_error(LIT_ERR_INVALID_ARG, "datamodule version %d, this litc expects 1..%d", dm->version,
                             LIT_DATAMODULE_VERSION);
    /* Lightning refuses a stage whose step is missing before any hook runs. */
    if (stage == LIT_STAGE_FIT && !m->vt->training_step)
        return lit_set_error(LIT_ERR_CONFIG, "fit: the module has no training_step; set .training_step in its vtable");
    if (stage == LIT_STAGE_VALIDATE && !m->vt->validation_step)
        return lit_set_error(LIT_ERR_CONFIG,
                             "validate: the module has no validation_step; set .validation_step in its vtable");
    if (stage == LIT_STAGE_TEST && !m->vt->test_step)
        return lit_set_error(LIT_ERR_CONFIG, "test: the module has no test_step; set .test_step in its vtable");
    /* Lightning's __verify_manual_optimization_support. */
    if (stage == LIT_STAGE_FIT && !m->automatic_optimization && tr->p.gradient_clip_val > 0)
        return lit_set_error(LIT_ERR_CONFIG,
                             "Trainer(gradient_clip_val=%g): automatic gradient clipping is not supported for manual "
                             "optimization; clip in training_step (lit_clip_grad_norm) or set "
                             "automatic_optimization = 1", tr->p.gradient_clip_val);
    if (stage == LIT_STAGE_FIT && !m->automatic_optimization && tr->p.accumulate_grad_batches != 1)
        return lit_set_error(LIT_ERR_CONFIG,
                             "Trainer(accumulate_grad_batches=%lld): automatic gradient accumulation is not supported "
                             "for manual optimization; accumulate in training_step or set automatic_optimization = 1",
                             (long long)tr->p.accumulate_grad_batches);
    if (stage == LIT_STAGE_PREDICT && !m->vt->predict_step)
        return lit_set_error(LIT_ERR_CONFIG, "predict: the module has no predict_step; set .predict_step in its vtable");
    tr->module = m;
    tr->dm = dm;
    if (stage == LIT_STAGE_FIT) {
        /* Nothing stale from an earlier fit. */
        tr->num_training_batches = -1;
        tr->num_val_batches = 0;
        tr->ckpt_path[0] = 0;
    }
    tr->stage = stage;
    tr->should_stop = 0;
    m->trainer = tr;
    if (stage == LIT_STAGE_FIT && tr->p.seed >= 0) LIT_TRY(lit_seed_everything(tr->p.seed, NULL));
    lit__results_clear(&tr->train_results);
    lit__results_clear(&tr->eval_results);
    lit__metrics_clear(&tr->callback_metrics);
    lit__metrics_clear(&tr->logged_metrics);
    lit__metrics_clear(&tr->pbar_metrics);
    int n_cb = tr->n_callbacks;
    if (stage != LIT_STAGE_PREDICT) lit__loggers_add_defaults(tr);
    lit_status st = guarded_hooks(tr, stage, setup_hooks, "setup");
    /* Lightning restores weights and callback states right after setup. */
    if (st >= 0 && ckpt_path) st = lit__resume_begin(tr, ckpt_path);
    if (st >= 0) st = stage_body(tr, stage);
    lit__resume_end(tr);
    tr->sanity_checking = 0;
    tr->training = 0;
    tr->log_ctx = LIT__CTX_NONE;
    tr->fx = NULL;
    tr->cur_batch = NULL;
    lit_arena_reset(tr->step_arena);
    if (st == LIT_ERR_INTERRUPTED) {
        /* Lightning's graceful shutdown: on_exception, then teardown; the
         * interruption (and where its checkpoint went) is what we report. */
        char msg[4096];
        snprintf(msg, sizeof msg, "%s", lit_last_error());
        lit__call_on_exception(tr, st);
        lit_status td = guarded_hooks(tr, stage, teardown_hooks, "teardown");
        if (td < 0) lit_logf(LIT_LOG_ERROR, "teardown after the interruption: %s", lit_last_error());
        lit_set_error(LIT_ERR_INTERRUPTED, "%s", msg);
    } else if (st < 0) {
        lit__call_on_exception(tr, st);
    } else {
        st = guarded_hooks(tr, stage, teardown_hooks, "teardown");
        if (st < 0) lit__call_on_exception(tr, st);
    }
    lit__loggers_finalize(tr, st == LIT_ERR_INTERRUPTED ? "interrupted" : st < 0 ? "failed" : "success");
    /* configure_callbacks' callbacks and the defaults belong to this run only. */
    retire_run_callbacks(tr, n_cb);
    return st < 0 ? st : LIT_OK;
}

/* run_stage with SIGXFSZ ignored (signals.c): past `ulimit -f` a write fails and is reported. */
static lit_status run_stage_xfsz_safe(lit_trainer *tr, lit_module *m, lit_datamodule *dm, lit_stage stage,
                                      const char *ckpt_path) {
    lit__xfsz_ignore_begin();
    lit_status st = run_stage(tr, m, dm, stage, ckpt_path);
    lit__xfsz_ignore_end();
    return st;
}

lit_status lit_trainer_fit(lit_trainer *tr, lit_module *m, lit_datamodule *dm, const char *ckpt_path) {
    return run_stage_xfsz_safe(tr, m, dm, LIT_STAGE_FIT, ckpt_path && ckpt_path[0] ? ckpt_path : NULL);
}
lit_status lit_trainer_validate(lit_trainer *tr, lit_module *m, lit_datamodule *dm) {
    return run_stage_xfsz_safe(tr, m, dm, LIT_STAGE_VALIDATE, NULL);
}
lit_status lit_trainer_test(lit_trainer *tr, lit_module *m, lit_datamodule *dm) {
    return run_stage_xfsz_safe(tr, m, dm, LIT_STAGE_TEST, NULL);
}
lit_status lit_trainer_predict(lit_trainer *tr, lit_module *m, lit_datamodule *dm) {
    return run_stage_xfsz_safe(tr, m, dm, LIT_STAGE_PREDICT, NULL);
}
