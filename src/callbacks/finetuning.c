/*
 * src/callbacks/finetuning.c — Lightning 2.x's BackboneFinetuning and the
 * parts of BaseFinetuning it uses (lightning/pytorch/callbacks/
 * finetuning.py): freeze the backbone at setup, unfreeze it at a given
 * epoch into a new param group with a small lr that grows every epoch.
 * The backbone is a parameter-name prefix. See finetuning.h.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/callbacks.h"
#include "litc/checkpoint.h"

typedef struct {
    lit_backbone_finetuning_params p;
    char *backbone;
    lit_module *module;           /* set at setup: state_save lists the optimizers' groups */
    double previous_backbone_lr;  /* NAN = None */
    int restarting;               /* state_load ran: on_fit_start re-adds the saved groups */
    /* internal_optimizer_metadata from a checkpoint, until on_fit_start uses it */
    int n_meta;
    struct meta_group {
        int opt, group;
        double lr;
        int n_params;
        char **params;
    } *meta;
} ft_state;

lit_backbone_finetuning_params lit_backbone_finetuning_default_params(void) {
    return (lit_backbone_finetuning_params){
        .backbone = NULL,
        .unfreeze_backbone_at_epoch = 10,
        .lambda_func = NULL,
        .lambda_user = NULL,
        .backbone_initial_ratio_lr = 10e-2,
        .backbone_initial_lr = NAN,
        .should_align = 1,
        .verbose = 0,
        .rounding = 12,
    };
}

/* Lightning's default lambda_func. */
static double multiplicative(int64_t epoch, void *user) {
    (void)epoch, (void)user;
    return 2.0;
}

static void meta_free(ft_state *s) {
    for (int i = 0; i < s->n_meta; i++) {
        for (int k = 0; k < s->meta[i].n_params; k++) free(s->meta[i].params[k]);
        free(s->meta[i].params);
    }
    free(s->meta);
    s->meta = NULL;
    s->n_meta = 0;
}

static const char *param_name(const lit_param_store *ps, const lit_tensor *t) {
    for (int k = 0; ps && k < lit_param_store_len(ps); k++)
        if (lit_param_store_tensor(ps, k) == t) return lit_param_store_name(ps, k);
    return NULL;
}

static int in_optimizer(lit_optimizer *opt, const lit_tensor *t) {
    for (int k = 0; k < lit_optimizer_num_params(opt); k++)
        if (lit_optimizer_param(opt, k, NULL, NULL) == t) return 1;
    return 0;
}

/* BaseFinetuning.unfreeze_and_add_param_group(modules, optimizer, lr) with
 * an explicit lr (denom 1): make_trainable, filter_params(requires_grad),
 * filter_on_optimizer, add_param_group({"params": ..., "lr": lr}). */
static lit_status unfreeze_and_add_param_group(ft_state *s, lit_param_store *ps, lit_optimizer *opt, double lr) {
    lit_param_store_unfreeze(ps, s->backbone);
    int len = lit_param_store_len(ps), n = 0, removed = 0;
    lit_tensor **params = malloc((size_t)(len ? len : 1) * sizeof *params);
    if (!params) return lit_set_error(LIT_ERR_NOMEM, "BackboneFinetuning: out of memory");
    for (int k = 0; k < len; k++) {
        lit_tensor *t = lit_param_store_tensor(ps, k);
        if (lit_param_store_is_buffer(ps, k) || !t->requires_grad ||
            !lit_name_has_prefix(lit_param_store_name(ps, k), s->backbone))
            continue;
        if (in_optimizer(opt, t)) removed++;
        else params[n++] = t;
    }
    if (removed)
        lit_logf(LIT_LOG_WARN,
                 "The provided params to be frozen already exist within another group of this optimizer. Those "
                 "parameters will be skipped.\nHINT: Did you init your optimizer in `configure_optimizers` with "
                 "lit_param_store_trainable (the parameters that require grad)?");
    lit_status st = LIT_OK;
    if (n) {
        lit_param_group g = lit_optimizer_default_group(opt);
        g.params = params;
        g.n_params = n;
        g.lr = lr;
        st = lit_optimizer_add_param_group(opt, &g);
    }
    free(params);
    return st;
}

static void log_lrs(const ft_state *s, double current, double backbone) {
    if (s->p.verbose)
        lit_logf(LIT_LOG_INFO, "Current lr: %.*g, Backbone lr: %.*g", s->p.rounding, current, s->p.rounding, backbone);
}

/* BackboneFinetuning.finetune_function */
static lit_status finetune_function(ft_state *s, lit_module *m, int64_t epoch, lit_optimizer *opt) {
    if (epoch == s->p.unfreeze_backbone_at_epoch) {
        double current = lit_optimizer_get_lr(opt, 0);
        double initial = isnan(s->p.backbone_initial_lr) ? current * s->p.backbone_initial_ratio_lr
                                                         : s->p.backbone_initial_lr;
        s->previous_backbone_lr = initial;
        LIT_TRY(unfreeze_and_add_param_group(s, m->params, opt, initial));
        log_lrs(s, current, initial);
    } else if (epoch > s->p.unfreeze_backbone_at_epoch) {
        double current = lit_optimizer_get_lr(opt, 0);
        double (*f)(int64_t, void *) = s->p.lambda_func ? s->p.lambda_func : multiplicative;
        double next = f(epoch + 1, s->p.lambda_user) * s->previous_backbone_lr;
        if (s->p.should_align && next > current) next = current;
        lit_optimizer_set_lr(opt, lit_optimizer_num_groups(opt) - 1, next);
        s->previous_backbone_lr = next;
        log_lrs(s, current, next);
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- hooks */

static lit_status ft_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)tr, (void)stage;
    ft_state *s = cb->user;
    if (!m->params)
        return lit_set_error(LIT_ERR_CONFIG, "BackboneFinetuning: the module has no parameter store");
    s->module = m;
    /* freeze_before_training; 0 matches is Lightning's missing `backbone`. */
    if (lit_param_store_freeze(m->params, s->backbone) == 0)
        return lit_set_error(LIT_ERR_CONFIG, "BackboneFinetuning: no parameter is named \"%s\" or \"%s.*\" (the "
                             "LightningModule should have a `backbone`); check the prefix", s->backbone, s->backbone);
    return LIT_OK;
}

/* BaseFinetuning.on_fit_start: restore the param groups of the previous
 * training (before the Trainer loads the optimizer state into them). */
static lit_status ft_on_fit_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)tr;
    ft_state *s = cb->user;
    if (!s->restarting) return LIT_OK;
    s->restarting = 0;
    int n_opt = 0;
    lit_optimizer **opts = lit_module_optimizers(m, &n_opt);
    lit_status st = LIT_OK;
    for (int i = 0; i < s->n_meta && st >= 0; i++) {
        struct meta_group *g = &s->meta[i];
        if (g->opt >= n_opt || g->group < lit_optimizer_num_groups(opts[g->opt])) continue;
        lit_tensor **params = malloc((size_t)(g->n_params ? g->n_params : 1) * sizeof *params);
        if (!params) {
            st = lit_set_error(LIT_ERR_NOMEM, "BackboneFinetuning: out of memory");
            break;
        }
        for (int k = 0; k < g->n_params && st >= 0; k++) {
            params[k] = lit_param_store_get(m->params, g->params[k]);
            if (!params[k])
                st = lit_set_error(LIT_ERR_CONFIG, "BackboneFinetuning: the checkpoint's param group %d of optimizer "
                                   "%d holds \"%s\", which the module does not have", g->group, g->opt, g->params[k]);
            /* Lightning leaves them frozen (setup froze them again): a group
             * of frozen parameters would never train. */
            else params[k]->requires_grad = 1;
        }
        if (st >= 0) {
            lit_param_group pg = lit_optimizer_default_group(opts[g->opt]);
            pg.params = params;
            pg.n_params = g->n_params;
            pg.lr = g->lr;
            st = lit_optimizer_add_param_group(opts[g->opt], &pg);
        }
        free(params);
    }
    meta_free(s);
    return st;
}

static lit_status ft_on_train_epoch_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    ft_state *s = cb->user;
    int n_opt = 0;
    lit_optimizer **opts = lit_module_optimizers(m, &n_opt);
    for (int o = 0; o < n_opt; o++) LIT_TRY(finetune_function(s, m, lit_trainer_current_epoch(tr), opts[o]));
    return LIT_OK;
}

/* ---------------------------------------------------------------- checkpoints */

static lit_status ft_state_save(lit_callback *cb, lit_checkpoint *ck) {
    ft_state *s = cb->user;
    if (isnan(s->previous_backbone_lr)) LIT_TRY(lit_checkpoint_set_json(ck, "previous_backbone_lr", "null"));
    else LIT_TRY(lit_checkpoint_set_double(ck, "previous_backbone_lr", s->previous_backbone_lr));
    LIT_TRY(lit_checkpoint_set_json(ck, "internal_optimizer_metadata", "{}"));
    int n_opt = 0;
    lit_optimizer **opts = s->module ? lit_module_optimizers(s->module, &n_opt) : NULL;
    /* Lightning's _internal_optimizer_metadata mirrors the optimizers' groups
     * with parameter names for the tensors: write them as they are now. */
    char key[128];
    for (int o = 0; o < n_opt; o++) {
        for (int g = 0; g < lit_optimizer_num_groups(opts[o]); g++) {
            lit_param_group *pg = lit_optimizer_group(opts[o], g);
            snprintf(key, sizeof key, "internal_optimizer_metadata.%d.%d.lr", o, g);
            LIT_TRY(lit_checkpoint_set_double(ck, key, pg->lr));
            snprintf(key, sizeof key, "internal_optimizer_metadata.%d.%d.params", o, g);
            LIT_TRY(lit_checkpoint_set_json(ck, key, "{}"));
            for (int k = 0; k < pg->n_params; k++) {
                const char *name = param_name(s->module->params, pg->params[k]);
                char anon[32];
                if (!name) snprintf(anon, sizeof anon, "#%d.%d", o, k), name = anon;
                snprintf(key, sizeof key, "internal_optimizer_metadata.%d.%d.params.%d", o, g, k);
                LIT_TRY(lit_checkpoint_set_string(ck, key, name));
            }
        }
    }
    return LIT_OK;
}

static lit_status ft_state_load(lit_callback *cb, const lit_checkpoint *ck) {
    ft_state *s = cb->user;
    meta_free(s);
    char *prev = NULL;
    LIT_TRY(lit_checkpoint_get_json(ck, "previous_backbone_lr", &prev));
    int none = !strcmp(prev, "null");
    free(prev);
    if (none) s->previous_backbone_lr = NAN;
    else LIT_TRY(lit_checkpoint_get_double_range(ck, "previous_backbone_lr", 0, DBL_MAX, &s->previous_backbone_lr));
    int n_opt = lit_checkpoint_key_count(ck, "internal_optimizer_metadata");
    char key[128];
    for (int o = 0; o < n_opt; o++) {
        snprintf(key, sizeof key, "internal_optimizer_metadata.%d", o);
        int ng = lit_checkpoint_key_count(ck, key);
        for (int g = 0; g < ng; g++) {
            struct meta_group *grown = realloc(s->meta, (size_t)(s->n_meta + 1) * sizeof *grown);
            if (!grown) return lit_set_error(LIT_ERR_NOMEM, "BackboneFinetuning: out of memory");
            s->meta = grown;
            struct meta_group *mg = &s->meta[s->n_meta++];
            memset(mg, 0, sizeof *mg);
            mg->opt = o, mg->group = g;
            snprintf(key, sizeof key, "internal_optimizer_metadata.%d.%d.lr", o, g);
            LIT_TRY(lit_checkpoint_get_double_range(ck, key, 0, DBL_MAX, &mg->lr));
            snprintf(key, sizeof key, "internal_optimizer_metadata.%d.%d.params", o, g);
            int np = lit_checkpoint_key_count(ck, key);
            if (np < 0) return lit_set_error(LIT_ERR_CORRUPT, "BackboneFinetuning: %s is not an object", key);
            mg->params = calloc((size_t)(np ? np : 1), sizeof *mg->params);
            if (!mg->params) return lit_set_error(LIT_ERR_NOMEM, "BackboneFinetuning: out of memory");
            for (int k = 0; k < np; k++) {
                const char *name;
                snprintf(key, sizeof key, "internal_optimizer_metadata.%d.%d.params.%d", o, g, k);
                LIT_TRY(lit_checkpoint_get_string(ck, key, &name));
                mg->params[k] = strdup(name);
                if (!mg->params[k]) return lit_set_error(LIT_ERR_NOMEM, "BackboneFinetuning: out of memory");
                mg->n_params = k + 1;
            }
        }
    }
    s->restarting = 1;
    return LIT_OK;
}

static void ft_free(lit_callback *cb) {
    ft_state *s = cb->user;
    if (!s) return;
    meta_free(s);
    free(s->backbone);
    free(s);
    cb->user = NULL;
}

lit_status lit_backbone_finetuning_callback(lit_callback *cb, const lit_backbone_finetuning_params *p) {
    LIT_ASSERT(cb, "lit_backbone_finetuning_callback: cb must not be NULL");
    lit_backbone_finetuning_params v = p ? *p : lit_backbone_finetuning_default_params();
    if (!v.backbone || !v.backbone[0])
        return lit_set_error(LIT_ERR_CONFIG, "BackboneFinetuning: backbone (the parameter prefix, e.g. \"backbone\") "
                             "is required");
    if (isnan(v.backbone_initial_ratio_lr))
        return lit_set_error(LIT_ERR_CONFIG, "BackboneFinetuning: backbone_initial_ratio_lr is NaN");
    ft_state *s = calloc(1, sizeof *s);
    if (!s || !(s->backbone = strdup(v.backbone))) {
        free(s);
        return lit_set_error(LIT_ERR_NOMEM, "lit_backbone_finetuning_callback: out of memory");
    }
    s->p = v;
    s->p.backbone = s->backbone;
    s->previous_backbone_lr = NAN;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_BACKBONE_FINETUNING_NAME,
        .user = s,
        .setup = ft_setup,
        .on_fit_start = ft_on_fit_start,
        .on_train_epoch_start = ft_on_train_epoch_start,
        .state_save = ft_state_save,
        .state_load = ft_state_load,
        .free = ft_free,
        .state_key = LIT_BACKBONE_FINETUNING_NAME,
    };
    return LIT_OK;
}

double lit_backbone_finetuning_backbone_lr(const lit_callback *cb) {
    LIT_ASSERT(cb && cb->state_save == ft_state_save && cb->user,
               "lit_backbone_finetuning_backbone_lr: the callback is not a BackboneFinetuning or was freed");
    return ((ft_state *)cb->user)->previous_backbone_lr;
}
