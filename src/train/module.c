/*
 * src/train/module.c — the lit_module record: init, hyperparameters
 * (save_hyperparameters), accessors used from steps, and the optimizer
 * config helpers.
 */
#include <stdlib.h>
#include <string.h>

#include "core/str-impl.h"
#include "train/train-impl.h"

void lit_module_init(lit_module *m, const lit_module_vtable *vt, lit_param_store *params, void *user) {
    LIT_ASSERT(m && vt, "lit_module_init: module and vtable must not be NULL");
    LIT_ASSERT(vt->version == LIT_MODULE_VERSION,
               "lit_module_init: vtable version %d, this litc expects %d; set .version = LIT_MODULE_VERSION",
               vt->version, LIT_MODULE_VERSION);
    memset(m, 0, sizeof *m);
    m->vt = vt;
    m->params = params;
    m->user = user;
    m->automatic_optimization = 1;
}

static void hparam_clear(lit_hparam *h) {
    free(h->name);
    free(h->s);
}

void lit_module_deinit(lit_module *m) {
    if (!m) return;
    for (int i = 0; i < m->n_hparams; i++) hparam_clear(&m->hparams[i]);
    free(m->hparams);
    m->hparams = NULL;
    m->n_hparams = 0;
}

lit_status lit_module_save_hyperparameters(lit_module *m, int n, const lit_hparam_value *values,
                                           const char *const *ignore) {
    LIT_ASSERT(m && (n == 0 || values), "lit_module_save_hyperparameters: NULL module or values");
    for (int k = 0; k < n; k++) {
        const lit_hparam_value *v = &values[k];
        if (!v->name || !v->name[0])
            return lit_set_error(LIT_ERR_INVALID_ARG, "save_hyperparameters: value %d has no name", k);
        int skip = 0;
        for (const char *const *ig = ignore; ig && *ig; ig++)
            if (!strcmp(*ig, v->name)) skip = 1;
        if (skip) continue;
        lit_hparam h = { 0 };
        h.kind = v->kind;
        h.i = v->i;
        h.d = v->d;
        h.name = lit__strdup(v->name);
        if (v->kind == LIT_HPARAM_STRING) h.s = lit__strdup(v->s ? v->s : "");
        if (!h.name || (v->kind == LIT_HPARAM_STRING && !h.s)) {
            hparam_clear(&h);
            return lit_set_error(LIT_ERR_NOMEM, "save_hyperparameters: out of memory");
        }
        int found = -1;
        for (int i = 0; i < m->n_hparams; i++)
            if (!strcmp(m->hparams[i].name, v->name)) found = i;
        if (found >= 0) { /* replace in place: keeps the first-saved order */
            hparam_clear(&m->hparams[found]);
            m->hparams[found] = h;
            continue;
        }
        lit_hparam *grown = realloc(m->hparams, (size_t)(m->n_hparams + 1) * sizeof *grown);
        if (!grown) {
            hparam_clear(&h);
            return lit_set_error(LIT_ERR_NOMEM, "save_hyperparameters: out of memory");
        }
        m->hparams = grown;
        m->hparams[m->n_hparams++] = h;
    }
    return LIT_OK;
}

const lit_hparam *lit_module_hparam(const lit_module *m, const char *name) {
    for (int i = 0; m && i < m->n_hparams; i++)
        if (!strcmp(m->hparams[i].name, name)) return &m->hparams[i];
    return NULL;
}

int64_t lit_module_current_epoch(const lit_module *m) { return m && m->trainer ? m->trainer->current_epoch : 0; }
int64_t lit_module_global_step(const lit_module *m) { return m && m->trainer ? m->trainer->global_step : 0; }
lit_trainer *lit_module_trainer(const lit_module *m) { return m ? m->trainer : NULL; }
int lit_module_global_rank(const lit_module *m) { (void)m; return 0; }
int lit_module_local_rank(const lit_module *m) { (void)m; return 0; }
int lit_module_world_size(const lit_module *m) { (void)m; return 1; }

lit_optimizer **lit_module_optimizers(lit_module *m, int *n) {
    if (n) *n = 0;
    if (!m || !m->trainer || m->trainer->optim.n_optimizers == 0) return NULL;
    if (n) *n = m->trainer->optim.n_optimizers;
    return m->trainer->optim.optimizers;
}

/* ---------------------------------------------------------------- optim config */

lit_status lit_optim_config_add(lit_optim_config *cfg, lit_optimizer *opt) {
    if (!opt)
        return lit_set_error(LIT_ERR_INVALID_ARG, "configure_optimizers: the optimizer is NULL (%s)", lit_last_error());
    if (cfg->n_optimizers >= LIT_MAX_OPTIMIZERS) {
        lit_optimizer_free(opt);
        return lit_set_error(LIT_ERR_CONFIG, "configure_optimizers: more than %d optimizers", LIT_MAX_OPTIMIZERS);
    }
    cfg->optimizers[cfg->n_optimizers++] = opt;
    return LIT_OK;
}

lit_status lit_optim_config_add_scheduler(lit_optim_config *cfg, const lit_lr_scheduler_config *sc) {
    if (!sc || !sc->scheduler)
        return lit_set_error(LIT_ERR_INVALID_ARG, "configure_optimizers: the scheduler is NULL (%s)", lit_last_error());
    if (cfg->n_schedulers >= LIT_MAX_SCHEDULERS) {
        lit_scheduler_free(sc->scheduler);
        return lit_set_error(LIT_ERR_CONFIG, "configure_optimizers: more than %d schedulers", LIT_MAX_SCHEDULERS);
    }
    cfg->schedulers[cfg->n_schedulers++] = *sc;
    return LIT_OK;
}
