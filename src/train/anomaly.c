/*
 * src/train/anomaly.c — Trainer(detect_anomaly=1): stop at the first
 * non-finite loss or gradient with a message that names the step and the
 * parameter (Lightning turns on torch.autograd.detect_anomaly, which raises
 * inside backward; litc checks the results of backward instead).
 */
#include <math.h>
#include <stdio.h>

#include "train/train-impl.h"

lit_status lit__check_loss_finite(const lit_trainer *tr, const lit_tensor *loss, int64_t batch_idx) {
    double v = lit_item(loss);
    if (isfinite(v)) return LIT_OK;
    return lit_set_error(LIT_ERR_NUMERIC,
                         "detect_anomaly: training_step returned a loss of %g at epoch %lld, batch %lld (global step "
                         "%lld)",
                         v, (long long)tr->current_epoch, (long long)batch_idx, (long long)tr->global_step);
}

static lit_status check_one(const lit_trainer *tr, const lit_tensor *p, const char *name, int64_t batch_idx) {
    const lit_tensor *g = p->grad;
    if (!g) return LIT_OK;
    for (int64_t k = 0; k < g->numel; k++) {
        double v = lit_get_flat(g, k);
        if (isfinite(v)) continue;
        return lit_set_error(LIT_ERR_NUMERIC,
                             "detect_anomaly: the gradient of parameter '%s' is %g (element %lld) after backward at "
                             "epoch %lld, batch %lld (global step %lld)",
                             name, v, (long long)k, (long long)tr->current_epoch, (long long)batch_idx,
                             (long long)tr->global_step);
    }
    return LIT_OK;
}

lit_status lit__check_grads_finite(const lit_trainer *tr, int64_t batch_idx) {
    const lit_param_store *ps = tr->module->params;
    if (ps) {
        for (int k = 0; k < lit_param_store_len(ps); k++) {
            const lit_tensor *p = lit_param_store_tensor(ps, k);
            if (!lit_param_store_is_buffer(ps, k) && p->requires_grad)
                LIT_TRY(check_one(tr, p, lit_param_store_name(ps, k), batch_idx));
        }
        return LIT_OK;
    }
    for (int i = 0; i < tr->n_opt_params; i++) {
        char name[48];
        snprintf(name, sizeof name, "#%d of optimizer 0", i);
        LIT_TRY(check_one(tr, tr->opt_params[i], tr->opt_params[i]->name ? tr->opt_params[i]->name : name, batch_idx));
    }
    return LIT_OK;
}
