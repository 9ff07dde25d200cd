/*
 * src/train/fit-loop.c — Lightning's FitLoop and TrainingEpochLoop.
 *
 * fit: configure_optimizers, on_fit_start, sanity check (num_sanity_val_steps
 * validation batches per loader, metrics discarded), train_dataloader,
 * on_train_start, epochs, on_train_end, on_fit_end. An epoch:
 * on_train_epoch_start; per batch on_train_batch_start, the optimization
 * (optimization.c), step/epoch scheduler updates, on_train_batch_end, then
 * validation when (batch_idx + 1) % val_check_batch == 0 (so the last
 * validation of an epoch runs before on_train_epoch_end, as in Lightning);
 * finally on_train_epoch_end and the epoch's logged means.
 *
 * Stopping (training_epoch_loop.py `done`, fit_loop.py `_can_stop_early`):
 * trainer.should_stop ends the epoch and the fit only once min_epochs and
 * min_steps are met; max_time is Lightning's Timer callback, which sets
 * should_stop after a training batch, so it obeys the same minimums.
 */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "litc/checkpoint.h"

#include "train/train-impl.h"

typedef lit__fit_data fit_data;

/* Lightning's _should_reload_{train,val}_dl: n > 0 and current_epoch - last
 * load >= n, where "never loaded" is -inf. */
static int should_reload(const lit_trainer *tr, int64_t last) {
    int64_t n = tr->p.reload_dataloaders_every_n_epochs;
    return n > 0 && (last < 0 || tr->current_epoch - last >= n);
}

static int val_enabled(const lit_trainer *tr) {
    const lit_trainer_params *p = &tr->p;
    return tr->module->vt->validation_step && lit_datamodule_has_dataloaders(tr->dm, LIT_STAGE_VALIDATE) &&
           p->limit_val_batches != 0 && p->limit_val_fraction > 0.0;
}

static lit_status fetch_val(lit_trainer *tr, fit_data *fd) {
    if (fd->n_val >= 0 && !should_reload(tr, fd->val_loaded_epoch)) return LIT_OK;
    /* The sanity check's load counts for this epoch only when this epoch
     * validates (evaluation_loop.py setup_data), else the first real
     * validation loads again. */
    if (!tr->sanity_checking || (tr->current_epoch + 1) % tr->p.check_val_every_n_epoch == 0)
        fd->val_loaded_epoch = tr->current_epoch;
    lit_status st = lit_datamodule_eval_dataloaders(tr->dm, LIT_STAGE_VALIDATE, fd->val, &fd->n_val);
    if (st < 0) fd->n_val = -1; /* not loaded */
    return st;
}

static lit_status fetch_train(lit_trainer *tr, fit_data *fd) {
    LIT_TRY(lit_datamodule_train_dataloader(tr->dm, &fd->train));
    const lit_trainer_params *p = &tr->p;
    int64_t len = lit_dataloader_len(fd->train);
    fd->train_loaded_epoch = tr->current_epoch;
    /* Lightning only logs "No training batches" and trains nothing; an empty
     * loader is almost always a data bug, so say so before any epoch runs. */
    if (len == 0)
        return lit_set_error(LIT_ERR_CONFIG,
                             "fit: the training dataloader has length 0 (an empty dataset, or drop_last with fewer "
                             "samples than batch_size): there is nothing to train on");
    tr->num_training_batches = lit__limit_batches(len, p->limit_train_batches, p->limit_train_fraction);
    if (tr->num_training_batches == 0 && p->limit_train_batches < 0 && p->limit_train_fraction > 0)
        return lit_set_error(LIT_ERR_CONFIG,
                             "Trainer(limit_train_fraction=%g) of %lld training batches is 0 batches; use at least "
                             "limit_train_fraction=%g",
                             p->limit_train_fraction, (long long)len, 1.0 / (double)len);
    if (p->overfit_batches > 0 && lit_dataloader_get_params(fd->train)->shuffle) {
        /* Overfitting means the same batches every epoch. */
        lit_logf(LIT_LOG_WARN, "overfit_batches=%lld: turning off shuffling of the training dataloader",
                 (long long)p->overfit_batches);
        lit_dataloader_set_shuffle(fd->train, 0);
    }
    if (p->limit_train_fraction > 0 && p->limit_train_fraction < 1.0 && len < 0)
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(limit_train_fraction=%g) needs a training dataloader with a "
                             "length; use limit_train_batches", p->limit_train_fraction);
    /* val_check_batch (Lightning's _configure_val_check_batch) */
    tr->val_check_batch = INT64_MAX;
    if (p->val_check_batches >= 1) {
        /* Lightning raises only while validation can run (limit_val_batches > 0). */
        int val_limited_off = p->limit_val_batches == 0 || p->limit_val_fraction == 0.0;
        if (tr->num_training_batches >= 0 && p->val_check_batches > tr->num_training_batches && !val_limited_off)
            return lit_set_error(LIT_ERR_CONFIG,
                                 "Trainer(val_check_batches=%lld) must be <= the number of training batches (%lld); "
                                 "lower it or use val_check_interval as a fraction",
                                 (long long)p->val_check_batches, (long long)tr->num_training_batches);
        tr->val_check_batch = p->val_check_batches;
    } else if (tr->num_training_batches >= 0) {
        int64_t v = (int64_t)((double)tr->num_training_batches * p->val_check_interval);
        tr->val_check_batch = v < 1 ? 1 : v;
    } else if (p->val_check_interval != 1.0) {
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(val_check_interval=%g): a fraction needs a training dataloader "
                             "with a length; use val_check_batches", p->val_check_interval);
    }
    return LIT_OK;
}

static int can_stop_early(const lit_trainer *tr) {
    int met_epochs = tr->min_epochs > 0 ? tr->current_epoch >= tr->min_epochs : 1;
    int met_steps = tr->min_steps > 0 ? tr->global_step >= tr->min_steps : 1;
    return met_epochs && met_steps;
}

static int max_steps_reached(const lit_trainer *tr) {
    return tr->p.max_steps >= 0 && tr->global_step >= tr->p.max_steps;
}

/* Timer(duration=max_time, interval="step"): time fitted since on_train_start,
 * including what a resumed checkpoint had already used. */
static int time_up(const lit_trainer *tr) {
    return tr->p.max_time > 0 && tr->time_before + lit_trainer_now(tr) - tr->fit_start_time >= tr->p.max_time;
}

static lit_status run_validation(lit_trainer *tr, fit_data *fd) {
    LIT_TRY(fetch_val(tr, fd));
    LIT_TRY(lit__run_evaluation(tr, LIT__EVAL_VALIDATE, fd->val, fd->n_val, -1));
    tr->training = 1;
    return LIT_OK;
}

static int is_last_batch(const lit_trainer *tr, int64_t i) {
    return tr->num_training_batches >= 0 && i + 1 == tr->num_training_batches;
}
static int steps_after(const lit_trainer *tr, int64_t i) {
    return (i + 1) % tr->p.accumulate_grad_batches == 0 || is_last_batch(tr, i);
}

/* on_train_batch_end of the callbacks with monitoring == `monitoring`. */
static lit_status batch_end_callbacks(lit_trainer *tr, int monitoring, lit_tensor *loss, lit_batch *b, int64_t i) {
    for (int c = 0; c < tr->n_callbacks; c++) {
        lit_callback *cb = &tr->callbacks[c];
        if ((cb->monitoring != 0) == monitoring && cb->on_train_batch_end)
            LIT_TRY(lit__hook_fail(cb->on_train_batch_end(cb, tr, tr->module, loss, b, i), "on_train_batch_end"));
    }
    return LIT_OK;
}

/* The hooks and optimization of batch i, up to its on_train_batch_end.
 * *skip: on_train_batch_start asked to skip the rest of the epoch. */
static lit_status batch_hooks(lit_trainer *tr, lit_batch *b, int64_t i, int *skip) {
    lit_module *m = tr->module;
    lit_tensor *loss = NULL;
    for (int c = 0; c < tr->n_callbacks; c++) {
        lit_callback *cb = &tr->callbacks[c];
        if (cb->on_train_batch_start)
            LIT_TRY(lit__hook_fail(cb->on_train_batch_start(cb, tr, m, b, i), "on_train_batch_start"));
    }
    if (m->vt->on_train_batch_start) {
        lit_status st = lit__hook_fail(m->vt->on_train_batch_start(m, b, i), "on_train_batch_start");
        LIT_TRY(st);
        if (st == LIT_SKIP_EPOCH) {
            *skip = 1;
            return LIT_OK;
        }
    }
    LIT_TRY(lit__anomaly_training_batch(tr, b, i, steps_after(tr, i), &loss));
    if (steps_after(tr, i)) LIT_TRY(lit__update_schedulers(tr, LIT_INTERVAL_STEP, 0));
    if (is_last_batch(tr, i)) LIT_TRY(lit__update_schedulers(tr, LIT_INTERVAL_EPOCH, 0));
    tr->log_ctx = LIT__CTX_TRAIN_STEP;
    tr->pos = (lit__fit_pos){ .batch = i, .phase = LIT__POS_AFTER_BATCH };
    LIT_TRY(batch_end_callbacks(tr, 0, loss, b, i));
    /* The Timer is appended after the Trainer's callbacks, so its check comes
     * after theirs and before the module's hook; a stop here also triggers
     * the validation below, as in Lightning. */
    if (time_up(tr)) tr->should_stop = 1;
    if (m->vt->on_train_batch_end) LIT_TRY(lit__hook_fail(m->vt->on_train_batch_end(m, loss, b, i), "on_train_batch_end"));
    /* Checkpointing callbacks last: what they save holds the whole batch. */
    return batch_end_callbacks(tr, 1, loss, b, i);
}

/* on_advance_end of batch i from `phase` on: its validation check, then the
 * plateau schedulers of the step interval and the stop checks. A resume
 * enters here at the phase its checkpoint recorded. */
/* Batches that advance Lightning's logger step: those that stepped the
 * optimizer, or every batch with manual optimization. */
static int counts_for_loggers(const lit_trainer *tr, int64_t i) {
    return !tr->module->automatic_optimization || steps_after(tr, i);
}

static lit_status after_batch(lit_trainer *tr, fit_data *fd, int64_t i, lit__pos_phase phase, int *end_epoch) {
    if (is_last_batch(tr, i)) fd->epoch_complete = 1;
    if (phase == LIT__POS_AFTER_BATCH) {
        /* update_train_step_metrics: before validation, at the step not yet counted. */
        if (counts_for_loggers(tr, i)) lit__loggers_flush_step(tr);
        else lit__metrics_clear(&tr->step_log);
        int stop_now = tr->should_stop && can_stop_early(tr);
        if (fd->val_enabled && (tr->current_epoch + 1) % tr->p.check_val_every_n_epoch == 0 &&
            ((i + 1) % tr->val_check_batch == 0 || stop_now)) {
            tr->pos = (lit__fit_pos){ .batch = i, .phase = LIT__POS_AFTER_VAL };
            LIT_TRY(run_validation(tr, fd));
        }
    }
    if (steps_after(tr, i)) LIT_TRY(lit__update_schedulers(tr, LIT_INTERVAL_STEP, 1));
    if (counts_for_loggers(tr, i)) tr->batches_that_stepped++;
    tr->pos = (lit__fit_pos){ .batch = i + 1, .phase = LIT__POS_BOUNDARY };
    if (max_steps_reached(tr) || (tr->should_stop && can_stop_early(tr)) || is_last_batch(tr, i)) *end_epoch = 1;
    return LIT_OK;
}

typedef struct {
    lit_trainer *tr;
    lit_batch *b;
    int64_t i;
    int skip;
} batch_call;

static lit_status batch_call_run(void *ctx) {
    batch_call *c = ctx;
    return batch_hooks(c->tr, c->b, c->i, &c->skip);
}

/* One batch of the TrainingEpochLoop; *end_epoch is set when the epoch (or
 * the fit) must stop after it. */
static lit_status train_batch(lit_trainer *tr, fit_data *fd, lit_batch *b, int64_t i, int *end_epoch) {
    tr->batch_idx = i;
    tr->cur_batch = b;
    tr->log_ctx = LIT__CTX_TRAIN_STEP;
    /* The batch hooks, training_step and the optimization hooks inside it
     * share training_step's logging rules. */
    tr->fx = "training_step";
    batch_call call = { tr, b, i, 0 };
    lit_status st = lit__run_step_guarded(tr, batch_call_run, &call); /* out of memory: an error */
    int skip = call.skip;
    lit_arena_reset(tr->step_arena);
    tr->cur_batch = NULL;
    if (st < 0) return st;
    if (skip) {
        fd->epoch_complete = 1;
        *end_epoch = 1;
        return LIT_OK;
    }
    return after_batch(tr, fd, i, LIT__POS_AFTER_BATCH, end_epoch);
}

/* Where this epoch starts: batch 0, or after the resumed checkpoint's batch
 * once its pending bookkeeping is done. */
static lit_status resume_point(lit_trainer *tr, fit_data *fd, int64_t *first, int *end_epoch) {
    *first = 0;
    if (!tr->resuming) return LIT_OK;
    lit__fit_pos rp = tr->resume_pos;
    tr->resuming = 0;
    if (rp.phase == LIT__POS_BOUNDARY) {
        *first = rp.batch;
        /* Stopped after the epoch's last batch (a signal there): only its end is left. */
        if (tr->num_training_batches >= 0 && rp.batch >= tr->num_training_batches) {
            *end_epoch = 1;
            fd->epoch_complete = 1;
        }
        return LIT_OK;
    }
    tr->batch_idx = rp.batch;
    *first = rp.batch + 1;
    return after_batch(tr, fd, rp.batch, rp.phase, end_epoch);
}

/* `next_batch`: where the epoch would go on (an epoch cut short keeps it). */
static lit_status epoch_end(lit_trainer *tr, fit_data *fd, int run_hooks, int64_t next_batch) {
    tr->log_ctx = LIT__CTX_TRAIN_EPOCH;
    if (run_hooks) {
        tr->pos = (lit__fit_pos){ .batch = next_batch, .phase = LIT__POS_EPOCH_END,
                                  .epoch_complete = fd->epoch_complete };
        LIT_TRY(LIT__STAGE_HOOK(tr, on_train_epoch_end));
    }
    lit__results_publish_epoch(tr, &tr->train_results);
    /* fit_loop.py on_advance_end: plateau schedulers only after a whole epoch. */
    if (fd->epoch_complete) LIT_TRY(lit__update_schedulers(tr, LIT_INTERVAL_EPOCH, 1));
    /* update_train_epoch_metrics, at the step of the epoch's last batch. */
    lit__loggers_flush_epoch(tr, tr->batches_that_stepped - 1);
    /* An epoch cut short (max_steps, should_stop) is where a later fit with
     * larger limits continues: at its next batch, not at the next epoch. */
    if (fd->epoch_complete) {
        tr->pos = (lit__fit_pos){ .batch = 0, .phase = LIT__POS_BOUNDARY };
        tr->pos_epoch = tr->current_epoch + 1;
    } else {
        tr->pos = (lit__fit_pos){ .batch = next_batch, .phase = LIT__POS_BOUNDARY };
    }
    tr->current_epoch++;
    return LIT_OK;
}

/* Checkpoint where the fit stands and stop with LIT_ERR_INTERRUPTED. */
static lit_status interrupt(lit_trainer *tr, int sig) {
    const char *path = NULL;
    for (int i = 0; i < tr->n_callbacks && !path; i++) {
        lit_callback *cb = &tr->callbacks[i];
        if (cb->checkpoint_path) path = cb->checkpoint_path(cb, tr, "interrupted");
    }
    char fallback[4096];
    if (!path) {
        snprintf(fallback, sizeof fallback, "%s/interrupted.ckpt",
                 tr->p.default_root_dir ? tr->p.default_root_dir : ".");
        path = fallback;
    }
    char where[4096];
    snprintf(where, sizeof where, "%s", path);
    lit_status st = lit_trainer_save_checkpoint(tr, where, 0);
    const char *name = sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : sig == SIGUSR1 ? "SIGUSR1" : "a signal";
    if (st < 0)
        return lit_set_error(LIT_ERR_INTERRUPTED, "fit interrupted by %s at epoch %lld, batch %lld (global step %lld); "
                             "writing the checkpoint failed: %s",
                             name, (long long)tr->current_epoch, (long long)tr->pos.batch,
                             (long long)tr->global_step, lit_last_error());
    return lit_set_error(LIT_ERR_INTERRUPTED, "fit interrupted by %s at epoch %lld, batch %lld (global step %lld); "
                         "checkpoint written to %s: resume with ckpt_path=\"%s\"",
                         name, (long long)tr->current_epoch, (long long)tr->pos.batch, (long long)tr->global_step,
                         where, where);
}

static lit_status train_epoch(lit_trainer *tr, fit_data *fd) {
    fd->epoch_complete = 0;
    /* A checkpoint written in on_train_epoch_end: only the publishing is left. */
    if (tr->resuming && tr->resume_pos.phase == LIT__POS_EPOCH_END) {
        fd->epoch_complete = tr->resume_pos.epoch_complete;
        tr->resuming = 0;
        return epoch_end(tr, fd, 0, tr->resume_pos.batch);
    }
    tr->log_ctx = LIT__CTX_TRAIN_EPOCH;
    tr->pos = (lit__fit_pos){ .batch = tr->resuming ? tr->resume_pos.batch : 0, .phase = LIT__POS_BOUNDARY };
    tr->pos_epoch = tr->current_epoch;
    if (tr->module->params) lit_param_store_train(tr->module->params, 1);
    LIT_TRY(LIT__STAGE_HOOK(tr, on_train_epoch_start));
    int end_epoch = 0;
    int64_t first = 0;
    LIT_TRY(resume_point(tr, fd, &first, &end_epoch));
    lit_status st = end_epoch ? LIT_OK : lit_dataloader_begin_epoch(fd->train, tr->current_epoch, first);
    for (int64_t i = first; st >= 0 && !end_epoch && (tr->num_training_batches < 0 || i < tr->num_training_batches);
         i++) {
        /* The epoch loop's `done` is checked before every batch too: a stop
         * requested in on_train_epoch_start runs no batch. */
        if (tr->should_stop && can_stop_early(tr)) break;
        lit_batch *b = NULL;
        st = lit_dataloader_next(fd->train, &b);
        if (st >= 0 && !b) fd->epoch_complete = 1; /* a loader of unknown length ran out */
        if (st < 0 || !b) break;
        st = train_batch(tr, fd, b, i, &end_epoch);
        /* A signal waits for the batch (and its optimizer step) to finish. */
        if (st >= 0 && lit__signal_pending()) st = interrupt(tr, lit__signal_pending());
    }
    lit_dataloader_end_epoch(fd->train);
    if (st < 0) return st;
    return epoch_end(tr, fd, 1, tr->pos.batch);
}

static int fit_done(const lit_trainer *tr) {
    if (max_steps_reached(tr)) return 1;
    if (tr->max_epochs >= 0 && tr->current_epoch >= tr->max_epochs) return 1;
    if (tr->should_stop && can_stop_early(tr)) return 1;
    return 0;
}

lit_status lit__ensure_train_loader(lit_trainer *tr) {
    if (!tr->fit || tr->fit->train) return LIT_OK;
    return fetch_train(tr, tr->fit);
}

/* Lightning's isolate_rng: the sanity check leaves the random streams as it
 * found them, so a run with and without it (or resumed) trains the same. */
static lit_status sanity_check(lit_trainer *tr, fit_data *fd) {
    lit_rng saved = *lit_rng_global();
    tr->sanity_checking = 1;
    lit_status st = lit__cb_simple(tr, offsetof(lit_callback, on_sanity_check_start), "on_sanity_check_start", 2);
    if (st >= 0) st = fetch_val(tr, fd);
    if (st >= 0) st = lit__run_evaluation(tr, LIT__EVAL_VALIDATE, fd->val, fd->n_val, tr->p.num_sanity_val_steps);
    if (st >= 0) st = lit__cb_simple(tr, offsetof(lit_callback, on_sanity_check_end), "on_sanity_check_end", 2);
    tr->sanity_checking = 0;
    *lit_rng_global() = saved;
    return st;
}

/* The loader of a resumed fit must be the one the checkpoint was made with. */
static lit_status check_resumed_loader(lit_trainer *tr) {
    int64_t nb;
    if (!tr->resume_ck || lit_checkpoint_get_int(tr->resume_ck, "loops.fit_loop.num_training_batches", &nb) < 0)
        return LIT_OK;
    if (nb != tr->num_training_batches)
        return lit_set_error(LIT_ERR_CONFIG,
                             "resume: the checkpoint's epochs had %" PRId64 " training batches, the training "
                             "dataloader now gives %" PRId64 "; resume with the same data, batch size and limits",
                             nb, tr->num_training_batches);
    return LIT_OK;
}

static lit_status run_fit(lit_trainer *tr, fit_data *fd);

lit_status lit__run_fit(lit_trainer *tr) {
    fit_data fd = { .n_val = -1, .train_loaded_epoch = -1, .val_loaded_epoch = -1 };
    tr->fit = &fd;
    tr->time_before = 0;
    tr->pos = (lit__fit_pos){ 0 };
    tr->pos_epoch = tr->current_epoch;
    tr->batches_that_stepped = 0;
    if (tr->p.handle_signals) lit__signals_install();
    lit_status st = run_fit(tr, &fd);
    if (tr->p.handle_signals) lit__signals_restore();
    tr->fit = NULL;
    return st;
}

static lit_status run_fit(lit_trainer *tr, fit_data *fd) {
    const lit_trainer_params *p = &tr->p;
    tr->fx = "configure_optimizers";
    LIT_TRY(lit__configure_optimizers(tr));
    tr->fx = NULL;
    tr->log_ctx = LIT__CTX_TRAIN_EPOCH;
    LIT_TRY(LIT__STAGE_HOOK(tr, on_fit_start));
    lit__loggers_log_hparams(tr); /* Lightning's _log_hyperparams, after on_fit_start */
    /* Lightning: restore_training_state after on_fit_start, before the sanity check. */
    LIT_TRY(lit__resume_training_state(tr));
    fd->val_enabled = val_enabled(tr);
    if (fd->val_enabled && p->num_sanity_val_steps != 0) LIT_TRY(sanity_check(tr, fd));
    /* Loaded already if configure_optimizers asked for estimated_stepping_batches. */
    if (!fd->train) LIT_TRY(fetch_train(tr, fd));
    LIT_TRY(check_resumed_loader(tr));
    /* limit_train_batches=0 is FitLoop.skip: no training hooks at all. */
    if (tr->num_training_batches == 0) return LIT__STAGE_HOOK(tr, on_fit_end);
    tr->training = 1;
    tr->log_ctx = LIT__CTX_TRAIN_EPOCH;
    tr->fit_start_time = lit_trainer_now(tr); /* Timer.on_train_start */
    LIT_TRY(LIT__STAGE_HOOK(tr, on_train_start));
    while (!fit_done(tr)) {
        /* fit_loop.py on_advance_start -> setup_data; val loaders reload in fetch_val. */
        if (should_reload(tr, fd->train_loaded_epoch)) LIT_TRY(fetch_train(tr, fd));
        LIT_TRY(train_epoch(tr, fd));
    }
    tr->training = 0;
    tr->log_ctx = LIT__CTX_TRAIN_EPOCH;
    LIT_TRY(LIT__STAGE_HOOK(tr, on_train_end));
    LIT_TRY(LIT__STAGE_HOOK(tr, on_fit_end));
    return LIT_OK;
}
