/*
 * src/callbacks/model-summary.c — the ModelSummary callback: prints the
 * parameter table (summary.h) at fit start. See default-callbacks.h.
 */
#include <stdlib.h>

#include "litc/callbacks.h"
#include "litc/summary.h"

lit_model_summary_params lit_model_summary_default_params(void) {
    return (lit_model_summary_params){ .max_depth = 1, .out = NULL };
}

static lit_status on_fit_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)tr;
    const lit_model_summary_params *p = cb->user;
    if (!m->params) return LIT_OK;
    /* A summary that cannot be written is not worth stopping a run for. */
    if (lit_model_summary_print(p->out, m->params, p->max_depth) < 0)
        lit_logf(LIT_LOG_WARN, "ModelSummary: %s", lit_last_error());
    return LIT_OK;
}

static void summary_free(lit_callback *cb) {
    free(cb->user);
    cb->user = NULL;
}

lit_status lit_model_summary_callback(lit_callback *cb, const lit_model_summary_params *p) {
    LIT_ASSERT(cb, "lit_model_summary_callback: cb must not be NULL");
    lit_model_summary_params v = p ? *p : lit_model_summary_default_params();
    if (v.max_depth < -1)
        return lit_set_error(LIT_ERR_CONFIG, "ModelSummary(max_depth=%d): must be >= -1 (-1 = every depth)",
                             v.max_depth);
    lit_model_summary_params *s = malloc(sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_model_summary_callback: out of memory");
    *s = v;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_MODEL_SUMMARY_NAME,
        .user = s,
        .on_fit_start = on_fit_start,
        .free = summary_free,
    };
    return LIT_OK;
}
