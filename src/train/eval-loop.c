/*
 * src/train/eval-loop.c — the EvaluationLoop: one validation or test run
 * over the loaders (also the sanity check and the validation inside fit),
 * and the batch loop it shares with the PredictionLoop (predict-loop.c).
 *
 * Order (tests/fixtures/hook_order_validate.txt): on_<x>_model_eval,
 * on_<x>_start, on_<x>_epoch_start, per batch on_<x>_batch_start, <x>_step,
 * on_<x>_batch_end, then on_<x>_epoch_end, on_<x>_end, on_<x>_model_train.
 * Nothing runs when there are no batches to evaluate.
 */
#include <stddef.h>
#include <string.h>

#include "train/train-impl.h"

int64_t lit__limit_batches(int64_t len, int64_t count, double fraction) {
    if (count >= 0) return len < 0 ? count : (count < len ? count : len);
    if (len < 0) return -1;
    return (int64_t)((double)len * fraction);
}

int64_t lit__total_batches(const int64_t *nbs, int n) {
    int64_t total = 0;
    for (int d = 0; d < n; d++) {
        if (nbs[d] < 0) return -1;
        total += nbs[d];
    }
    return total;
}

/* ---------------------------------------------------------------- the shared batch loop */

typedef lit_status (*mod_batch_start_fn)(lit_module *, lit_batch *, int64_t, int);
typedef lit_status (*mod_batch_end_fn)(lit_module *, lit_tensor *, lit_batch *, int64_t, int);
typedef lit_status (*mod_step_fn)(lit_module *, lit_batch *, int64_t, int, lit_tensor **);
typedef lit_status (*cb_batch_start_fn)(lit_callback *, lit_trainer *, lit_module *, lit_batch *, int64_t, int);
typedef lit_status (*cb_batch_end_fn)(lit_callback *, lit_trainer *, lit_module *, lit_tensor *, lit_batch *,
                                      int64_t, int);

/* The three hooks around a batch of one loop kind, found by offset so the
 * validation, test and predict loops share one body. */
typedef struct {
    const char *start, *step, *end;
    size_t cb_start, cb_end;     /* offsets in lit_callback */
    size_t mod_start, mod_step, mod_end; /* offsets in lit_module_vtable */
} batch_hooks;

#define BATCH_HOOKS(x)                                                                                     \
    { "on_" #x "_batch_start", #x "_step", "on_" #x "_batch_end", offsetof(lit_callback, on_##x##_batch_start), \
      offsetof(lit_callback, on_##x##_batch_end), offsetof(lit_module_vtable, on_##x##_batch_start),           \
      offsetof(lit_module_vtable, x##_step), offsetof(lit_module_vtable, on_##x##_batch_end) }

static const batch_hooks HOOKS[] = {
    [LIT__EVAL_VALIDATE] = BATCH_HOOKS(validation),
    [LIT__EVAL_TEST] = BATCH_HOOKS(test),
    [LIT__EVAL_PREDICT] = BATCH_HOOKS(predict),
};

#define SLOT(type, base, off) (*(type *)(void *)((char *)(base) + (off)))

/* Keep a copy of a predict_step output beyond the step arena. */
static lit_status collect(lit_trainer *tr, int dl_idx, const lit_tensor *out) {
    if (tr->pred_n[dl_idx] == tr->pred_cap[dl_idx]) {
        int cap = tr->pred_cap[dl_idx] ? 2 * tr->pred_cap[dl_idx] : 64;
        lit_tensor **g = lit_arena_alloc(tr->pred_arena, (size_t)cap * sizeof *g);
        if (!g) return lit_set_error(LIT_ERR_NOMEM, "predict: out of memory keeping the predictions");
        if (tr->pred_n[dl_idx]) memcpy(g, tr->preds[dl_idx], (size_t)tr->pred_n[dl_idx] * sizeof *g);
        tr->preds[dl_idx] = g;
        tr->pred_cap[dl_idx] = cap;
    }
    lit_tensor *copy = lit_tensor_new(tr->pred_arena, out->dtype, out->ndim, out->shape);
    if (!copy) return lit_set_error(LIT_ERR_NOMEM, "predict: out of memory keeping the predictions");
    lit_tensor_copy_(copy, out);
    tr->preds[dl_idx][tr->pred_n[dl_idx]++] = copy;
    return LIT_OK;
}

static lit_status run_one_batch(lit_trainer *tr, const batch_hooks *h, lit_batch *b, int64_t i, int dl_idx,
                                int keep) {
    lit_module *m = tr->module;
    lit_tensor *out = NULL;
    tr->fx = h->start;
    for (int c = 0; c < tr->n_callbacks; c++) {
        lit_callback *cb = &tr->callbacks[c];
        cb_batch_start_fn f = SLOT(cb_batch_start_fn, cb, h->cb_start);
        if (f) LIT_TRY(lit__hook_fail(f(cb, tr, m, b, i, dl_idx), h->start));
    }
    mod_batch_start_fn ms = SLOT(mod_batch_start_fn, m->vt, h->mod_start);
    if (ms) LIT_TRY(lit__hook_fail(ms(m, b, i, dl_idx), h->start));
    tr->fx = h->step;
    mod_step_fn step = SLOT(mod_step_fn, m->vt, h->mod_step);
    if (step) LIT_TRY(lit__hook_fail(step(m, b, i, dl_idx, &out), h->step));
    if (keep && out) LIT_TRY(collect(tr, dl_idx, out));
    tr->fx = h->end;
    for (int c = 0; c < tr->n_callbacks; c++) {
        lit_callback *cb = &tr->callbacks[c];
        cb_batch_end_fn f = SLOT(cb_batch_end_fn, cb, h->cb_end);
        if (f) LIT_TRY(lit__hook_fail(f(cb, tr, m, out, b, i, dl_idx), h->end));
    }
    mod_batch_end_fn me = SLOT(mod_batch_end_fn, m->vt, h->mod_end);
    if (me) LIT_TRY(lit__hook_fail(me(m, out, b, i, dl_idx), h->end));
    return LIT_OK;
}

typedef struct {
    lit_trainer *tr;
    const batch_hooks *h;
    lit_batch *b;
    int64_t i;
    int dl_idx, keep;
} batch_call;

static lit_status batch_call_run(void *ctx) {
    batch_call *c = ctx;
    return run_one_batch(c->tr, c->h, c->b, c->i, c->dl_idx, c->keep);
}

lit_status lit__run_eval_batches(lit_trainer *tr, lit__eval_kind kind, lit_dataloader *dl, int dl_idx, int64_t nb,
                                 int keep) {
    const batch_hooks *h = &HOOKS[kind];
    const char *prev_fx = tr->fx;
    tr->eval_dl_idx = dl_idx;
    /* Evaluation loaders are not shuffled per epoch in Lightning; the epoch
     * only matters for a loader the user made with shuffle on. */
    LIT_TRY(lit_dataloader_begin_epoch(dl, kind == LIT__EVAL_PREDICT ? 0 : tr->current_epoch, 0));
    lit_status st = LIT_OK;
    for (int64_t i = 0; nb < 0 || i < nb; i++) {
        lit_batch *b = NULL;
        st = lit_dataloader_next(dl, &b);
        if (st < 0 || !b) break;
        tr->batch_idx = i;
        tr->cur_batch = b;
        tr->log_ctx = LIT__CTX_EVAL;
        batch_call call = { tr, h, b, i, dl_idx, keep };
        st = lit__run_step_guarded(tr, batch_call_run, &call); /* out of memory: an error */
        lit_arena_reset(tr->step_arena);
        tr->cur_batch = NULL;
        if (st < 0) break;
    }
    lit_dataloader_end_epoch(dl);
    tr->fx = prev_fx;
    return st;
}

/* ---------------------------------------------------------------- validation / test */

static lit_status set_mode(lit_trainer *tr, lit_status (*hook)(lit_module *), const char *name, int training) {
    if (!hook) {
        if (tr->module->params) lit_param_store_train(tr->module->params, training);
        return LIT_OK;
    }
    const char *prev_fx = tr->fx;
    tr->fx = name;
    lit_status st = lit__hook_fail(hook(tr->module), name);
    tr->fx = prev_fx;
    return st;
}

static lit_status run_eval(lit_trainer *tr, lit__eval_kind kind, lit_dataloader **dls, int n_dls,
                           const int64_t *nbs) {
    lit_module *m = tr->module;
    const int val = kind == LIT__EVAL_VALIDATE;
    int was_training = m->params ? lit_param_store_is_training(m->params) : 1;
    if (val) LIT_TRY(set_mode(tr, m->vt->on_validation_model_eval, "on_validation_model_eval", 0));
    else LIT_TRY(set_mode(tr, m->vt->on_test_model_eval, "on_test_model_eval", 0));
    tr->log_ctx = LIT__CTX_EVAL;
    if (val) {
        LIT_TRY(LIT__STAGE_HOOK(tr, on_validation_start));
        LIT_TRY(LIT__STAGE_HOOK(tr, on_validation_epoch_start));
    } else {
        LIT_TRY(LIT__STAGE_HOOK(tr, on_test_start));
        LIT_TRY(LIT__STAGE_HOOK(tr, on_test_epoch_start));
    }
    for (int d = 0; d < n_dls; d++)
        if (nbs[d] != 0) LIT_TRY(lit__run_eval_batches(tr, kind, dls[d], d, nbs[d], 0));
    tr->log_ctx = LIT__CTX_EVAL;
    if (val) LIT_TRY(LIT__STAGE_HOOK(tr, on_validation_epoch_end));
    else LIT_TRY(LIT__STAGE_HOOK(tr, on_test_epoch_end));
    if (tr->sanity_checking) {
        lit__results_clear(&tr->eval_results);
    } else {
        lit__results_publish_epoch(tr, &tr->eval_results);
        /* update_eval_epoch_metrics: at the step the fit has reached. */
        lit__loggers_flush_epoch(tr, tr->batches_that_stepped);
    }
    if (val) LIT_TRY(LIT__STAGE_HOOK(tr, on_validation_end));
    else LIT_TRY(LIT__STAGE_HOOK(tr, on_test_end));
    /* Lightning restores the mode the module had before evaluation. */
    if (val && m->vt->on_validation_model_train) LIT_TRY(set_mode(tr, m->vt->on_validation_model_train, "on_validation_model_train", 1));
    else if (!val && m->vt->on_test_model_train) LIT_TRY(set_mode(tr, m->vt->on_test_model_train, "on_test_model_train", 1));
    else if (m->params) lit_param_store_train(m->params, was_training);
    return LIT_OK;
}

lit_status lit__run_evaluation(lit_trainer *tr, lit__eval_kind kind, lit_dataloader **dls, int n_dls,
                               int64_t max_batches) {
    const lit_trainer_params *p = &tr->p;
    int64_t nbs[LIT_MAX_DATALOADERS] = { 0 };
    const int val = kind == LIT__EVAL_VALIDATE;
    const double frac = val ? p->limit_val_fraction : p->limit_test_fraction;
    for (int d = 0; d < n_dls; d++) {
        int64_t len = lit_dataloader_len(dls[d]);
        nbs[d] = val ? lit__limit_batches(len, p->limit_val_batches, frac)
                     : lit__limit_batches(len, p->limit_test_batches, frac);
        /* Lightning: a fraction that leaves no batch of a non-empty loader is a mistake. */
        if (nbs[d] == 0 && len > 0 && frac > 0 && frac < 1.0)
            return lit_set_error(LIT_ERR_CONFIG,
                                 "Trainer(%s=%g) leaves 0 of the %lld batches of %s dataloader %d; use at least %g "
                                 "or a count (%s)",
                                 val ? "limit_val_fraction" : "limit_test_fraction", frac, (long long)len,
                                 val ? "validation" : "test", d, 1.0 / (double)len,
                                 val ? "limit_val_batches" : "limit_test_batches");
        if (max_batches >= 0 && (nbs[d] < 0 || nbs[d] > max_batches)) nbs[d] = max_batches;
    }
    int64_t total = lit__total_batches(nbs, n_dls);
    if (kind == LIT__EVAL_VALIDATE && !tr->sanity_checking) tr->num_val_batches = total;
    if (total == 0) return LIT_OK;
    tr->num_eval_batches = total;
    tr->n_eval_dls = n_dls;
    int prev_grad = lit_set_grad_enabled(p->inference_mode ? 0 : lit_is_grad_enabled());
    lit__log_ctx prev_ctx = tr->log_ctx;
    int64_t prev_batch = tr->batch_idx;
    lit_status st = run_eval(tr, kind, dls, n_dls, nbs);
    tr->log_ctx = prev_ctx;
    tr->batch_idx = prev_batch;
    tr->n_eval_dls = 0;
    lit_set_grad_enabled(prev_grad);
    return st;
}
