/*
 * src/train/ckpt-save.c — lit_trainer_save_checkpoint: everything a fit
 * needs to continue exactly (see trainer.h for the list and for where a
 * resume continues), gathered into a lit_checkpoint and written atomically.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/checkpoint.h"
#include "train/train-impl.h"

const char *lit__param_name(const lit_trainer *tr, const lit_tensor *t, int opt_idx, int i, char *buf, size_t n) {
    const lit_param_store *ps = tr->module ? tr->module->params : NULL;
    for (int k = 0; ps && k < lit_param_store_len(ps); k++)
        if (lit_param_store_tensor(ps, k) == t) return lit_param_store_name(ps, k);
    snprintf(buf, n, "#%d.%d", opt_idx, i);
    return buf;
}

/* ---------------------------------------------------------------- tensors */

static lit_status put_prefixed(lit_checkpoint *ck, const char *prefix, const char *name, const lit_tensor *t) {
    char key[LIT_NAME_MAX + 64];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    return lit_checkpoint_put_tensor(ck, key, t);
}

static lit_status save_weights(lit_checkpoint *ck, const lit_param_store *ps) {
    for (int k = 0; k < lit_param_store_len(ps); k++)
        LIT_TRY(put_prefixed(ck, "state_dict.", lit_param_store_name(ps, k), lit_param_store_tensor(ps, k)));
    return LIT_OK;
}

/* Lightning's hyper_parameters dict. Names are literal keys (may hold dots). */
static lit_status save_hparams(lit_checkpoint *ck, const lit_module *m) {
    LIT_TRY(lit_checkpoint_set_json(ck, "hyper_parameters", "{}"));
    LIT_TRY(lit_checkpoint_push_scope(ck, "hyper_parameters"));
    lit_status st = LIT_OK;
    for (int i = 0; i < m->n_hparams && st >= 0; i++) {
        const lit_hparam *h = &m->hparams[i];
        /* A one-component key: a name with dots goes through a scope of its own. */
        char key[LIT_NAME_MAX];
        snprintf(key, sizeof key, "%s", h->name);
        if (strchr(key, '.')) {
            st = lit_set_error(LIT_ERR_INVALID_ARG, "hyperparameter \"%s\": names may not contain '.'", h->name);
            break;
        }
        if (h->kind == LIT_HPARAM_INT) st = lit_checkpoint_set_int(ck, key, h->i);
        else if (h->kind == LIT_HPARAM_DOUBLE) st = lit_checkpoint_set_double(ck, key, h->d);
        else st = lit_checkpoint_set_string(ck, key, h->s);
    }
    lit_checkpoint_reset_scope(ck);
    return st;
}

static lit_status save_optimizers(lit_checkpoint *ck, const lit_trainer *tr) {
    LIT_TRY(lit_checkpoint_set_int(ck, "optimizers", tr->optim.n_optimizers));
    for (int o = 0; o < tr->optim.n_optimizers; o++) {
        lit_optimizer *opt = tr->optim.optimizers[o];
        char prefix[64], key[LIT_NAME_MAX + 64], buf[32];
        for (int k = 0; k < lit_optimizer_state_count(opt); k++) {
            lit_optimizer_state_entry e = lit_optimizer_state_at(opt, k);
            snprintf(prefix, sizeof prefix, "optimizer_states.%d.%s.", o, e.slot);
            LIT_TRY(put_prefixed(ck, prefix, lit__param_name(tr, lit_optimizer_param(opt, e.param, NULL, NULL), o,
                                                             e.param, buf, sizeof buf),
                                 e.tensor));
        }
        for (int g = 0; g < lit_optimizer_num_groups(opt); g++) {
            for (int h = 0; lit_optimizer_hparam_name(opt, h); h++) {
                const char *name = lit_optimizer_hparam_name(opt, h);
                double v;
                LIT_TRY(lit_optimizer_get_hparam(opt, g, name, &v));
                snprintf(key, sizeof key, "optimizer_param_groups.%d.%d.%s", o, g, name);
                LIT_TRY(lit_checkpoint_set_double(ck, key, v));
            }
            double v;
            LIT_TRY(lit_optimizer_get_hparam(opt, g, "initial_lr", &v));
            snprintf(key, sizeof key, "optimizer_param_groups.%d.%d.initial_lr", o, g);
            LIT_TRY(lit_checkpoint_set_double(ck, key, v));
            snprintf(key, sizeof key, "optimizer_param_groups.%d.%d.n_params", o, g);
            LIT_TRY(lit_checkpoint_set_int(ck, key, lit_optimizer_group(opt, g)->n_params));
        }
    }
    return LIT_OK;
}

static lit_status save_schedulers(lit_checkpoint *ck, const lit_trainer *tr) {
    LIT_TRY(lit_checkpoint_set_int(ck, "lr_scheduler_count", tr->optim.n_schedulers));
    for (int i = 0; i < tr->optim.n_schedulers; i++) {
        lit_scheduler *sc = tr->optim.schedulers[i].scheduler;
        char key[256];
        snprintf(key, sizeof key, "lr_schedulers.%d.name", i);
        LIT_TRY(lit_checkpoint_set_string(ck, key, lit_scheduler_name(sc)));
        for (int k = 0; k < lit_scheduler_state_count(sc); k++) {
            const char *name;
            double v;
            lit_scheduler_state_at(sc, k, &name, &v);
            snprintf(key, sizeof key, "lr_schedulers.%d.state.%s", i, name);
            LIT_TRY(lit_checkpoint_set_double(ck, key, v));
        }
    }
    return LIT_OK;
}

/* Gradients matter only inside an accumulation group that has not stepped. */
static int mid_accumulation(const lit_trainer *tr) {
    if (tr->pos.phase == LIT__POS_BOUNDARY || tr->pos.phase == LIT__POS_EPOCH_END) return 0;
    int64_t i = tr->pos.batch, nb = tr->num_training_batches;
    int is_last = nb >= 0 && i + 1 == nb;
    return tr->module->automatic_optimization && (i + 1) % tr->p.accumulate_grad_batches != 0 && !is_last;
}

static lit_status save_grads(lit_checkpoint *ck, const lit_trainer *tr) {
    const lit_param_store *ps = tr->module->params;
    for (int k = 0; ps && k < lit_param_store_len(ps); k++) {
        const lit_tensor *t = lit_param_store_tensor(ps, k);
        if (t->grad) LIT_TRY(put_prefixed(ck, "grads.", lit_param_store_name(ps, k), t->grad));
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- values */

static lit_status save_loops(lit_checkpoint *ck, const lit_trainer *tr) {
    LIT_TRY(lit_checkpoint_set_int(ck, "epoch", tr->current_epoch));
    LIT_TRY(lit_checkpoint_set_int(ck, "global_step", tr->global_step));
    LIT_TRY(lit_checkpoint_set_int(ck, "loops.fit_loop.epoch", tr->pos_epoch));
    LIT_TRY(lit_checkpoint_set_int(ck, "loops.fit_loop.batch", tr->pos.batch));
    LIT_TRY(lit_checkpoint_set_int(ck, "loops.fit_loop.phase", (int64_t)tr->pos.phase));
    LIT_TRY(lit_checkpoint_set_int(ck, "loops.fit_loop.epoch_complete", tr->pos.epoch_complete));
    LIT_TRY(lit_checkpoint_set_int(ck, "loops.fit_loop.global_step", tr->global_step));
    LIT_TRY(lit_checkpoint_set_int(ck, "loops.fit_loop.accumulate_grad_batches", tr->p.accumulate_grad_batches));
    LIT_TRY(lit_checkpoint_set_int(ck, "loops.fit_loop.accumulation_pending", mid_accumulation(tr)));
    LIT_TRY(lit_checkpoint_set_int(ck, "loops.fit_loop.num_training_batches", tr->num_training_batches));
    LIT_TRY(lit_checkpoint_set_int(ck, "loops.fit_loop.batches_that_stepped", tr->batches_that_stepped));
    double elapsed = tr->time_before;
    if (tr->fit && tr->training) elapsed += lit_trainer_now(tr) - tr->fit_start_time;
    LIT_TRY(lit_checkpoint_set_double(ck, "loops.fit_loop.time_elapsed", elapsed));
    const lit_rng *g = lit_rng_global();
    LIT_TRY(lit_checkpoint_set_uint(ck, "rng.global.seed", g->seed));
    LIT_TRY(lit_checkpoint_set_uint(ck, "rng.global.counter", g->counter));
    return lit_checkpoint_set_string(ck, "precision", "32-true");
}

/* One logged key of the running epoch, every field, so that the epoch's
 * reduced values are the same after a resume. */
static lit_status save_result(lit_checkpoint *ck, const char *list, int i, const lit__result *r) {
    char key[128];
#define RKEY(f) (snprintf(key, sizeof key, "results.%s.%d.%s", list, i, f), key)
    LIT_TRY(lit_checkpoint_set_string(ck, RKEY("name"), r->name));
    LIT_TRY(lit_checkpoint_set_int(ck, RKEY("prog_bar"), r->opts.prog_bar));
    LIT_TRY(lit_checkpoint_set_int(ck, RKEY("logger"), r->opts.logger));
    LIT_TRY(lit_checkpoint_set_int(ck, RKEY("on_step"), r->opts.on_step));
    LIT_TRY(lit_checkpoint_set_int(ck, RKEY("on_epoch"), r->opts.on_epoch));
    LIT_TRY(lit_checkpoint_set_int(ck, RKEY("reduce_fx"), (int64_t)r->opts.reduce_fx));
    LIT_TRY(lit_checkpoint_set_int(ck, RKEY("batch_size"), r->opts.batch_size));
    LIT_TRY(lit_checkpoint_set_double(ck, RKEY("last"), r->last));
    LIT_TRY(lit_checkpoint_set_double(ck, RKEY("wsum"), r->wsum));
    LIT_TRY(lit_checkpoint_set_double(ck, RKEY("wcount"), r->wcount));
    LIT_TRY(lit_checkpoint_set_double(ck, RKEY("sum"), r->sum));
    LIT_TRY(lit_checkpoint_set_double(ck, RKEY("max"), r->max));
    LIT_TRY(lit_checkpoint_set_double(ck, RKEY("min"), r->min));
    LIT_TRY(lit_checkpoint_set_int(ck, RKEY("n"), r->n));
#undef RKEY
    return LIT_OK;
}

static lit_status save_metric_list(lit_checkpoint *ck, const char *list, const lit__metric_list *l) {
    char key[128];
    snprintf(key, sizeof key, "results.%s_count", list);
    LIT_TRY(lit_checkpoint_set_int(ck, key, l->n));
    for (int i = 0; i < l->n; i++) {
        snprintf(key, sizeof key, "results.%s.%d.name", list, i);
        LIT_TRY(lit_checkpoint_set_string(ck, key, l->names[i]));
        snprintf(key, sizeof key, "results.%s.%d.value", list, i);
        LIT_TRY(lit_checkpoint_set_double(ck, key, l->values[i]));
    }
    return LIT_OK;
}

static lit_status save_results(lit_checkpoint *ck, const lit_trainer *tr) {
    /* Metric objects keep their state themselves (like TorchMetrics' non-
     * persistent states): a resumed epoch computes them from the resume on. */
    int n = 0;
    for (int i = 0; i < tr->train_results.n; i++)
        if (!tr->train_results.items[i].metric) LIT_TRY(save_result(ck, "train", n++, &tr->train_results.items[i]));
    LIT_TRY(lit_checkpoint_set_int(ck, "results.train_count", n));
    LIT_TRY(save_metric_list(ck, "callback_metrics", &tr->callback_metrics));
    LIT_TRY(save_metric_list(ck, "logged_metrics", &tr->logged_metrics));
    return save_metric_list(ck, "progress_bar_metrics", &tr->pbar_metrics);
}

static lit_status save_callbacks(lit_checkpoint *ck, lit_trainer *tr) {
    LIT_TRY(lit_checkpoint_set_json(ck, "callbacks", "{}"));
    for (int i = 0; i < tr->n_callbacks; i++) {
        lit_callback *cb = &tr->callbacks[i];
        if (!cb->state_save) continue;
        const char *key = lit__callback_state_key(cb);
        for (int j = 0; j < i; j++)
            if (tr->callbacks[j].state_save && !strcmp(lit__callback_state_key(&tr->callbacks[j]), key))
                return lit_set_error(LIT_ERR_CONFIG, "two callbacks have the state key \"%s\"; give them different "
                                     "state_key values so their checkpoint states do not collide", key);
        LIT_TRY(lit_checkpoint_push_scope(ck, "callbacks"));
        lit_status st = lit_checkpoint_push_scope(ck, key);
        if (st >= 0) st = lit__hook_fail(cb->state_save(cb, ck), "state_save");
        lit_checkpoint_reset_scope(ck);
        LIT_TRY(st);
    }
    return LIT_OK;
}

static lit_status save_datamodule(lit_checkpoint *ck, lit_trainer *tr) {
    if (!tr->dm || !tr->dm->state_save) return LIT_OK;
    LIT_TRY(lit_checkpoint_push_scope(ck, "datamodule"));
    lit_status st = lit__hook_fail(tr->dm->state_save(tr->dm->user, ck), "datamodule.state_save");
    lit_checkpoint_reset_scope(ck);
    return st;
}

static lit_status save_hooks(lit_checkpoint *ck, lit_trainer *tr) {
    lit_module *m = tr->module;
    const char *prev_fx = tr->fx;
    tr->fx = "on_save_checkpoint";
    lit_status st = LIT_OK;
    for (int i = 0; i < tr->n_callbacks && st >= 0; i++) {
        lit_callback *cb = &tr->callbacks[i];
        if (cb->on_save_checkpoint) st = lit__hook_fail(cb->on_save_checkpoint(cb, tr, m, ck), "on_save_checkpoint");
        lit_checkpoint_reset_scope(ck);
    }
    if (st >= 0 && m->vt->on_save_checkpoint) st = lit__hook_fail(m->vt->on_save_checkpoint(m, ck), "on_save_checkpoint");
    lit_checkpoint_reset_scope(ck);
    tr->fx = prev_fx;
    return st;
}

static lit_status fill(lit_checkpoint *ck, lit_trainer *tr, int weights_only) {
    lit_module *m = tr->module;
    if (m->params) LIT_TRY(save_weights(ck, m->params));
    LIT_TRY(save_hparams(ck, m));
    LIT_TRY(lit_checkpoint_set_int(ck, "weights_only", weights_only != 0));
    if (weights_only) return LIT_OK;
    LIT_TRY(save_loops(ck, tr));
    LIT_TRY(save_optimizers(ck, tr));
    LIT_TRY(save_schedulers(ck, tr));
    if (mid_accumulation(tr)) LIT_TRY(save_grads(ck, tr));
    LIT_TRY(save_results(ck, tr));
    LIT_TRY(save_callbacks(ck, tr));
    LIT_TRY(save_datamodule(ck, tr));
    return save_hooks(ck, tr);
}

lit_status lit_trainer_save_checkpoint(lit_trainer *tr, const char *path, int weights_only) {
    LIT_ASSERT(tr && path, "lit_trainer_save_checkpoint: NULL argument");
    if (!tr->module)
        return lit_set_error(LIT_ERR_STATE, "save_checkpoint(%s): no module attached; run fit/validate/test first",
                             path);
    lit_checkpoint *ck = lit_checkpoint_new();
    if (!ck) return LIT_ERR_NOMEM;
    lit_status st = fill(ck, tr, weights_only);
    if (st >= 0) st = lit_checkpoint_save(ck, path);
    lit_checkpoint_free(ck);
    return st;
}

/* ---------------------------------------------------------------- module-level export */

lit_status lit_module_save_weights(const lit_module *m, const char *path) {
    LIT_ASSERT(m && path, "lit_module_save_weights: NULL argument");
    if (!m->params) return lit_set_error(LIT_ERR_STATE, "save_weights(%s): the module has no parameter store", path);
    lit_checkpoint *ck = lit_checkpoint_new();
    if (!ck) return LIT_ERR_NOMEM;
    lit_status st = save_weights(ck, m->params);
    if (st >= 0) st = save_hparams(ck, m);
    if (st >= 0) st = lit_checkpoint_set_int(ck, "weights_only", 1);
    if (st >= 0) st = lit_checkpoint_save(ck, path);
    lit_checkpoint_free(ck);
    return st;
}
