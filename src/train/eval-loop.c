/*
 * src/train/eval-loop.c — the EvaluationLoop: one validation or test run
 * over the loaders (also the sanity check and the validation inside fit).
 *
 * Order (tests/fixtures/hook_order_validate.txt): on_<x>_model_eval,
 * on_<x>_start, on_<x>_epoch_start, per batch on_<x>_batch_start, <x>_step,
 * on_<x>_batch_end, then on_<x>_epoch_end, on_<x>_end, on_<x>_model_train.
 * Nothing runs when there are no batches to evaluate.
 */
#include <stddef.h>

#include "train/train-impl.h"

int64_t lit__limit_batches(int64_t len, int64_t count, double fraction) {
    if (count >= 0) return len < 0 ? count : (count < len ? count : len);
    if (len < 0) return -1;
    return (int64_t)((double)len * fraction);
}

typedef lit_status (*mod_batch_start_fn)(lit_module *, lit_batch *, int64_t, int);
typedef lit_status (*mod_batch_end_fn)(lit_module *, lit_tensor *, lit_batch *, int64_t, int);
typedef lit_status (*mod_step_fn)(lit_module *, lit_batch *, int64_t, int, lit_tensor **);
typedef lit_status (*cb_batch_start_fn)(lit_callback *, lit_trainer *, lit_module *, lit_batch *, int64_t, int);
typedef lit_status (*cb_batch_end_fn)(lit_callback *, lit_trainer *, lit_module *, lit_tensor *, lit_batch *,
                                      int64_t, int);

static lit_status run_batches(lit_trainer *tr, lit__eval_kind kind, lit_dataloader *dl, int dl_idx, int64_t nb) {
    lit_module *m = tr->module;
    const int val = kind == LIT__EVAL_VALIDATE;
    const char *step_name = val ? "validation_step" : "test_step";
    mod_step_fn step = val ? m->vt->validation_step : m->vt->test_step;
    mod_batch_start_fn mstart = val ? m->vt->on_validation_batch_start : m->vt->on_test_batch_start;
    mod_batch_end_fn mend = val ? m->vt->on_validation_batch_end : m->vt->on_test_batch_end;
    LIT_TRY(lit_dataloader_begin_epoch(dl, tr->current_epoch, 0));
    for (int64_t i = 0; nb < 0 || i < nb; i++) {
        lit_batch *b = NULL;
        LIT_TRY(lit_dataloader_next(dl, &b));
        if (!b) break;
        tr->batch_idx = i;
        tr->cur_batch = b;
        tr->log_ctx = LIT__CTX_EVAL;
        lit_arena *prev = lit_arena_use(tr->step_arena);
        lit_status st = LIT_OK;
        lit_tensor *out = NULL;
        for (int c = 0; c < tr->n_callbacks && st >= 0; c++) {
            lit_callback *cb = &tr->callbacks[c];
            cb_batch_start_fn f = val ? cb->on_validation_batch_start : cb->on_test_batch_start;
            if (f) st = lit__hook_fail(f(cb, tr, m, b, i, dl_idx), val ? "on_validation_batch_start" : "on_test_batch_start");
        }
        if (st >= 0 && mstart) st = lit__hook_fail(mstart(m, b, i, dl_idx), val ? "on_validation_batch_start" : "on_test_batch_start");
        if (st >= 0 && step) st = lit__hook_fail(step(m, b, i, dl_idx, &out), step_name);
        for (int c = 0; c < tr->n_callbacks && st >= 0; c++) {
            lit_callback *cb = &tr->callbacks[c];
            cb_batch_end_fn f = val ? cb->on_validation_batch_end : cb->on_test_batch_end;
            if (f) st = lit__hook_fail(f(cb, tr, m, out, b, i, dl_idx), val ? "on_validation_batch_end" : "on_test_batch_end");
        }
        if (st >= 0 && mend) st = lit__hook_fail(mend(m, out, b, i, dl_idx), val ? "on_validation_batch_end" : "on_test_batch_end");
        lit_arena_use(prev);
        lit_arena_reset(tr->step_arena);
        tr->cur_batch = NULL;
        if (st < 0) {
            lit_dataloader_end_epoch(dl);
            return st;
        }
    }
    lit_dataloader_end_epoch(dl);
    return LIT_OK;
}

static lit_status set_mode(lit_trainer *tr, lit_status (*hook)(lit_module *), const char *name, int training) {
    if (hook) return lit__hook_fail(hook(tr->module), name);
    if (tr->module->params) lit_param_store_train(tr->module->params, training);
    return LIT_OK;
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
        if (nbs[d] != 0) LIT_TRY(run_batches(tr, kind, dls[d], d, nbs[d]));
    tr->log_ctx = LIT__CTX_EVAL;
    if (val) LIT_TRY(LIT__STAGE_HOOK(tr, on_validation_epoch_end));
    else LIT_TRY(LIT__STAGE_HOOK(tr, on_test_epoch_end));
    if (tr->sanity_checking) lit__results_clear(&tr->eval_results);
    else lit__results_publish_epoch(tr, &tr->eval_results);
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
    int64_t nbs[LIT_MAX_DATALOADERS];
    int64_t total = 0;
    int unknown = 0;
    for (int d = 0; d < n_dls; d++) {
        int64_t len = lit_dataloader_len(dls[d]);
        nbs[d] = kind == LIT__EVAL_VALIDATE ? lit__limit_batches(len, p->limit_val_batches, p->limit_val_fraction)
                                            : lit__limit_batches(len, p->limit_test_batches, p->limit_test_fraction);
        if (max_batches >= 0 && (nbs[d] < 0 || nbs[d] > max_batches)) nbs[d] = max_batches;
        if (nbs[d] < 0) unknown = 1;
        else total += nbs[d];
    }
    if (kind == LIT__EVAL_VALIDATE && !tr->sanity_checking) tr->num_val_batches = unknown ? -1 : total;
    if (!unknown && total == 0) return LIT_OK;
    int prev_grad = lit_set_grad_enabled(p->inference_mode ? 0 : lit_is_grad_enabled());
    lit__log_ctx prev_ctx = tr->log_ctx;
    int64_t prev_batch = tr->batch_idx;
    lit_status st = run_eval(tr, kind, dls, n_dls, nbs);
    tr->log_ctx = prev_ctx;
    tr->batch_idx = prev_batch;
    lit_set_grad_enabled(prev_grad);
    return st;
}
