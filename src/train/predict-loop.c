/*
 * src/train/predict-loop.c — the PredictionLoop: on_predict_model_eval,
 * on_predict_start, on_predict_epoch_start, per batch on_predict_batch_start,
 * predict_step, on_predict_batch_end (the batch loop of eval-loop.c), then
 * on_predict_epoch_end and on_predict_end
 * (tests/fixtures/hook_order_predict.txt). Each predict_step output is
 * copied into the trainer's prediction arena (trainer.predict's return
 * value, lit_trainer_prediction) unless return_predictions is off.
 */
#include <string.h>

#include "train/train-impl.h"

static lit_status run(lit_trainer *tr, lit_dataloader **dls, int n_dls, const int64_t *nbs) {
    lit_module *m = tr->module;
    if (m->vt->on_predict_model_eval) {
        tr->fx = "on_predict_model_eval";
        LIT_TRY(lit__hook_fail(m->vt->on_predict_model_eval(m), "on_predict_model_eval"));
    } else if (m->params) {
        lit_param_store_train(m->params, 0);
    }
    LIT_TRY(LIT__STAGE_HOOK(tr, on_predict_start));
    LIT_TRY(LIT__STAGE_HOOK(tr, on_predict_epoch_start));
    for (int d = 0; d < n_dls; d++)
        if (nbs[d] != 0) LIT_TRY(lit__run_eval_batches(tr, LIT__EVAL_PREDICT, dls[d], d, nbs[d], tr->return_predictions));
    LIT_TRY(LIT__STAGE_HOOK(tr, on_predict_epoch_end));
    LIT_TRY(LIT__STAGE_HOOK(tr, on_predict_end));
    return LIT_OK;
}

void lit__clear_predictions(lit_trainer *tr) {
    lit_arena_reset(tr->pred_arena);
    memset(tr->pred_n, 0, sizeof tr->pred_n);
    memset(tr->pred_cap, 0, sizeof tr->pred_cap);
    memset(tr->preds, 0, sizeof tr->preds);
}

lit_status lit__run_prediction(lit_trainer *tr, lit_dataloader **dls, int n_dls) {
    int64_t nbs[LIT_MAX_DATALOADERS] = { 0 };
    for (int d = 0; d < n_dls; d++)
        nbs[d] = lit__limit_batches(lit_dataloader_len(dls[d]), tr->p.limit_predict_batches,
                                    tr->p.limit_predict_fraction);
    lit__clear_predictions(tr);
    tr->n_pred_dls = n_dls;
    int64_t total = lit__total_batches(nbs, n_dls);
    if (total == 0) return LIT_OK;
    tr->num_eval_batches = total;
    tr->n_eval_dls = n_dls;
    int prev_grad = lit_set_grad_enabled(0);
    lit_status st = run(tr, dls, n_dls, nbs);
    lit_set_grad_enabled(prev_grad);
    tr->n_eval_dls = 0;
    return st;
}

int lit_trainer_num_prediction_loaders(const lit_trainer *tr) { return tr->n_pred_dls; }

int64_t lit_trainer_num_predictions(const lit_trainer *tr, int dl_idx) {
    if (dl_idx < 0 || dl_idx >= tr->n_pred_dls) return 0;
    return tr->pred_n[dl_idx];
}

lit_tensor *lit_trainer_prediction(const lit_trainer *tr, int dl_idx, int64_t i) {
    LIT_ASSERT(dl_idx >= 0 && dl_idx < tr->n_pred_dls, "lit_trainer_prediction: dataloader %d of %d", dl_idx,
               tr->n_pred_dls);
    LIT_ASSERT(i >= 0 && i < tr->pred_n[dl_idx], "lit_trainer_prediction: batch %lld of %d (dataloader %d)",
               (long long)i, tr->pred_n[dl_idx], dl_idx);
    return tr->preds[dl_idx][i];
}

void lit_trainer_set_return_predictions(lit_trainer *tr, int on) { tr->return_predictions = on != 0; }
