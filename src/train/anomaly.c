/*
 * src/train/anomaly.c — Trainer(detect_anomaly=1): stop at the first
 * non-finite parameter, loss or gradient with a message that names the op
 * that first made a value NaN or Inf, the step and the parameter.
 *
 * Lightning turns on torch.autograd.detect_anomaly, which raises inside
 * backward. litc runs each training batch in autograd's anomaly mode
 * (autograd.h), which records the first op whose forward output or backward
 * gradient went non-finite, and checks three points of the batch:
 *   - before training_step, every parameter (a NaN weight loaded from a
 *     checkpoint or left by the previous step is named as such);
 *   - the loss training_step returned (blaming the first forward anomaly);
 *   - the gradients after backward (blaming the first backward anomaly).
 * A non-finite value that never reaches the loss or a gradient (a NaN that a
 * where() masks out) does not stop training, as in torch.
 */
#include <math.h>
#include <stdio.h>

#include "train/train-impl.h"

/* "epoch 0, batch 3 (global step 3)" */
#define STEP_FMT "epoch %lld, batch %lld (global step %lld)"
#define STEP_ARGS(tr, b) (long long)(tr)->current_epoch, (long long)(b), (long long)(tr)->global_step

/* v as %g, but "nan" for every NaN (glibc prints "-nan" for a negative one). */
static const char *value_str(double v, char *buf, size_t n) {
    if (isnan(v)) return "nan";
    snprintf(buf, n, "%g", v);
    return buf;
}
#define VALUE_STR(v) value_str((v), (char[32]){0}, 32)

/* The first element of t that is not finite (-1: none). */
static int64_t first_nonfinite(const lit_tensor *t) {
    for (int64_t k = 0; k < t->numel; k++)
        if (!isfinite(lit_get_flat(t, k))) return k;
    return -1;
}

/* ---------------------------------------------------------------- parameters */

static lit_status check_param(const lit_trainer *tr, const lit_tensor *p, const char *name, int64_t batch_idx) {
    int64_t k = first_nonfinite(p);
    if (k < 0) return LIT_OK;
    return lit_set_error(LIT_ERR_NUMERIC,
                         "detect_anomaly: parameter '%s' holds %s (element %lld) before training_step at " STEP_FMT
                         ": it was loaded that way or made so by the previous optimizer step",
                         name, VALUE_STR(lit_get_flat(p, k)), (long long)k, STEP_ARGS(tr, batch_idx));
}

/* Every tensor of the module's store (buffers too), else optimizer 0's. */
static lit_status check_params_finite(const lit_trainer *tr, int64_t batch_idx) {
    const lit_param_store *ps = tr->module->params;
    for (int k = 0; k < lit_param_store_len(ps); k++)
        LIT_TRY(check_param(tr, lit_param_store_tensor(ps, k), lit_param_store_name(ps, k), batch_idx));
    for (int i = 0; !ps && i < tr->n_opt_params; i++) {
        char name[48];
        snprintf(name, sizeof name, "#%d of optimizer 0", i);
        LIT_TRY(check_param(tr, tr->opt_params[i], tr->opt_params[i]->name ? tr->opt_params[i]->name : name,
                            batch_idx));
    }
    return LIT_OK;
}

lit_status lit__anomaly_training_batch(lit_trainer *tr, lit_batch *b, int64_t batch_idx, int should_step,
                                       lit_tensor **loss_out) {
    if (!tr->p.detect_anomaly) return lit__run_training_batch(tr, b, batch_idx, should_step, loss_out);
    *loss_out = NULL;
    LIT_TRY(check_params_finite(tr, batch_idx));
    lit_anomaly_clear();
    int prev = lit_set_anomaly_enabled(1);
    lit_status st = lit__run_training_batch(tr, b, batch_idx, should_step, loss_out);
    lit_set_anomaly_enabled(prev);
    return st;
}

/* ---------------------------------------------------------------- loss */

lit_status lit__check_loss_finite(const lit_trainer *tr, const lit_tensor *loss, int64_t batch_idx) {
    double v = lit_item(loss);
    if (isfinite(v)) return LIT_OK;
    const lit_anomaly *a = lit_anomaly_first(0);
    char what[320];
    if (a)
        return lit_set_error(LIT_ERR_NUMERIC, "detect_anomaly: %s at " STEP_FMT "; training_step's loss is %s",
                             lit_anomaly_str(a, what, sizeof what), STEP_ARGS(tr, batch_idx), VALUE_STR(v));
    return lit_set_error(LIT_ERR_NUMERIC, "detect_anomaly: training_step returned a loss of %s at " STEP_FMT, VALUE_STR(v),
                         STEP_ARGS(tr, batch_idx));
}

/* ---------------------------------------------------------------- gradients */

static lit_status check_one(const lit_trainer *tr, const lit_tensor *p, const char *name, int64_t batch_idx) {
    const lit_tensor *g = p->grad;
    if (!g) return LIT_OK;
    int64_t k = first_nonfinite(g);
    if (k < 0) return LIT_OK;
    double v = lit_get_flat(g, k);
    const lit_anomaly *bwd = lit_anomaly_first(1), *fwd = lit_anomaly_first(0);
    char what[320], earlier[360] = "";
    if (fwd) snprintf(earlier, sizeof earlier, "; earlier, %s", lit_anomaly_str(fwd, what, sizeof what));
    if (bwd)
        return lit_set_error(LIT_ERR_NUMERIC,
                             "detect_anomaly: %s at " STEP_FMT "; the gradient of parameter '%s' is %s (element "
                             "%lld)%s",
                             lit_anomaly_str(bwd, what, sizeof what), STEP_ARGS(tr, batch_idx), name, VALUE_STR(v),
                             (long long)k,
                             earlier);
    return lit_set_error(LIT_ERR_NUMERIC,
                         "detect_anomaly: the gradient of parameter '%s' is %s (element %lld) after backward at "
                         STEP_FMT "%s",
                         name, VALUE_STR(v), (long long)k, STEP_ARGS(tr, batch_idx), earlier);
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
