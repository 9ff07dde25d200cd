/*
 * src/callbacks/tuner-snapshot.c — the module snapshot and tuner params
 * both tuner functions (lr-finder.c, batch-size-finder.c) use. See
 * tuner-impl.h.
 */
#include <stdlib.h>
#include <string.h>

#include "tuner-impl.h"

lit_status lit__module_snapshot_take(lit__module_snapshot *s, lit_module *m) {
    memset(s, 0, sizeof *s);
    s->rng = *lit_rng_global();
    s->trainer = m->trainer;
    s->ps = m->params;
    if (!s->ps) return LIT_OK;
    s->n = lit_param_store_len(s->ps);
    s->data = calloc((size_t)(s->n ? s->n : 1), sizeof *s->data);
    s->requires_grad = calloc((size_t)(s->n ? s->n : 1), sizeof *s->requires_grad);
    if (!s->data || !s->requires_grad) goto nomem;
    for (int i = 0; i < s->n; i++) {
        lit_tensor *t = lit_param_store_tensor(s->ps, i);
        size_t bytes = (size_t)t->numel * lit_dtype_size(t->dtype);
        s->data[i] = malloc(bytes ? bytes : 1);
        if (!s->data[i]) goto nomem;
        /* State-dict tensors are contiguous (the checkpoint writer asserts it). */
        memcpy(s->data[i], t->data, bytes);
        s->requires_grad[i] = t->requires_grad;
    }
    s->training = lit_param_store_is_training(s->ps);
    return LIT_OK;
nomem:
    lit__module_snapshot_free(s);
    return lit_set_error(LIT_ERR_NOMEM, "tuner: out of memory for a copy of the module's weights");
}

void lit__module_snapshot_restore(lit__module_snapshot *s, lit_module *m) {
    *lit_rng_global() = s->rng;
    m->trainer = s->trainer;
    if (!s->ps || !s->data) return;
    for (int i = 0; i < s->n; i++) {
        lit_tensor *t = lit_param_store_tensor(s->ps, i);
        memcpy(t->data, s->data[i], (size_t)t->numel * lit_dtype_size(t->dtype));
        t->requires_grad = s->requires_grad[i];
    }
    /* Lightning's restore leaves no gradients of the search behind either
     * (the next fit zeroes them before its first backward). */
    lit_param_store_zero_grad(s->ps, 1);
    lit_param_store_train(s->ps, s->training);
}

void lit__module_snapshot_free(lit__module_snapshot *s) {
    for (int i = 0; s->data && i < s->n; i++) free(s->data[i]);
    free(s->data);
    free(s->requires_grad);
    s->data = NULL;
    s->requires_grad = NULL;
}

lit_trainer_params lit__tuner_params(const lit_trainer_params *base) {
    lit_trainer_params q = *base;
    q.enable_checkpointing = 0;
    q.enable_progress_bar = 0; /* Lightning disables the bar during the search */
    q.enable_model_summary = 0;
    q.num_sanity_val_steps = 0; /* the tuners run from on_fit_start, before the sanity check */
    return q;
}
