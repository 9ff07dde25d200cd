/*
 * src/train/predict-loop.c — the PredictionLoop: on_predict_model_eval,
 * on_predict_start, on_predict_epoch_start, per batch on_predict_batch_start,
 * predict_step, on_predict_batch_end, then on_predict_epoch_end and
 * on_predict_end (tests/fixtures/hook_order_predict.txt). Predictions are
 * handed to on_predict_batch_end (they live in the step arena until the
 * batch ends); collecting them (return_predictions) is the caller's job.
 */
#include "train/train-impl.h"

static lit_status run_batches(lit_trainer *tr, lit_dataloader *dl, int dl_idx, int64_t nb) {
    lit_module *m = tr->module;
    LIT_TRY(lit_dataloader_begin_epoch(dl, 0, 0));
    for (int64_t i = 0; nb < 0 || i < nb; i++) {
        lit_batch *b = NULL;
        LIT_TRY(lit_dataloader_next(dl, &b));
        if (!b) break;
        tr->batch_idx = i;
        tr->cur_batch = b;
        lit_arena *prev = lit_arena_use(tr->step_arena);
        lit_status st = LIT_OK;
        lit_tensor *out = NULL;
        for (int c = 0; c < tr->n_callbacks && st >= 0; c++) {
            lit_callback *cb = &tr->callbacks[c];
            if (cb->on_predict_batch_start)
                st = lit__hook_fail(cb->on_predict_batch_start(cb, tr, m, b, i, dl_idx), "on_predict_batch_start");
        }
        if (st >= 0 && m->vt->on_predict_batch_start)
            st = lit__hook_fail(m->vt->on_predict_batch_start(m, b, i, dl_idx), "on_predict_batch_start");
        if (st >= 0 && m->vt->predict_step) st = lit__hook_fail(m->vt->predict_step(m, b, i, dl_idx, &out), "predict_step");
        for (int c = 0; c < tr->n_callbacks && st >= 0; c++) {
            lit_callback *cb = &tr->callbacks[c];
            if (cb->on_predict_batch_end)
                st = lit__hook_fail(cb->on_predict_batch_end(cb, tr, m, out, b, i, dl_idx), "on_predict_batch_end");
        }
        if (st >= 0 && m->vt->on_predict_batch_end)
            st = lit__hook_fail(m->vt->on_predict_batch_end(m, out, b, i, dl_idx), "on_predict_batch_end");
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

static lit_status run(lit_trainer *tr, lit_dataloader **dls, int n_dls, const int64_t *nbs) {
    lit_module *m = tr->module;
    if (m->vt->on_predict_model_eval) LIT_TRY(lit__hook_fail(m->vt->on_predict_model_eval(m), "on_predict_model_eval"));
    else if (m->params) lit_param_store_train(m->params, 0);
    LIT_TRY(LIT__STAGE_HOOK(tr, on_predict_start));
    LIT_TRY(LIT__STAGE_HOOK(tr, on_predict_epoch_start));
    for (int d = 0; d < n_dls; d++)
        if (nbs[d] != 0) LIT_TRY(run_batches(tr, dls[d], d, nbs[d]));
    LIT_TRY(LIT__STAGE_HOOK(tr, on_predict_epoch_end));
    LIT_TRY(LIT__STAGE_HOOK(tr, on_predict_end));
    return LIT_OK;
}

lit_status lit__run_prediction(lit_trainer *tr, lit_dataloader **dls, int n_dls) {
    int64_t nbs[LIT_MAX_DATALOADERS], total = 0;
    int unknown = 0;
    for (int d = 0; d < n_dls; d++) {
        nbs[d] = lit__limit_batches(lit_dataloader_len(dls[d]), tr->p.limit_predict_batches,
                                    tr->p.limit_predict_fraction);
        if (nbs[d] < 0) unknown = 1;
        else total += nbs[d];
    }
    if (!unknown && total == 0) return LIT_OK;
    int prev_grad = lit_set_grad_enabled(0);
    lit_status st = run(tr, dls, n_dls, nbs);
    lit_set_grad_enabled(prev_grad);
    return st;
}
