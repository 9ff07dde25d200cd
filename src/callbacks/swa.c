/*
 * src/callbacks/swa.c — Lightning 2.x's StochasticWeightAveraging
 * (lightning/pytorch/callbacks/stochastic_weight_avg.py) with torch's SWALR
 * (torch/optim/swa_utils.py): from swa_epoch_start the lr anneals to the
 * SWA lr and the weights are averaged at each epoch start; the average
 * replaces the weights when the last epoch ends. See weight-averaging.h.
 */
/* Averages in f32 and SWALR's lrs in double, in PyTorch's order: no fused
 * multiply-add may change the rounding. */
#pragma GCC optimize("fp-contract=off")

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/callbacks.h"
#include "litc/checkpoint.h"

typedef struct {
    char *name;
    lit_tensor *param;   /* the module's (not owned) */
    lit_tensor *avg;     /* heap, owned */
} swa_entry;

typedef struct {
    lit_swa_params p;
    double lrs_in[LIT_SWA_MAX_GROUPS]; /* the per-group swa_lrs given (p.swa_lrs points here) */
    int n;
    swa_entry *e;
    int64_t swa_epoch_start; /* the int form once resolved (-1: not yet) */
    int64_t max_epochs;
    int initialized;
    int64_t n_averaged;
    int64_t latest_update_epoch;
    /* SWALR */
    int have_sched;          /* constructed (or restored from a checkpoint) */
    int64_t step_count;      /* torch's _step_count */
    int n_groups;
    double swa_lr[LIT_SWA_MAX_GROUPS];
    double cur_lr[LIT_SWA_MAX_GROUPS];
    int warned_override;
} swa_state;

lit_swa_params lit_swa_default_params(void) {
    return (lit_swa_params){
        .swa_lr = 0.0,
        .swa_lrs = NULL,
        .n_swa_lrs = 0,
        .swa_epoch_start = 0,
        .swa_epoch_start_fraction = 0.8,
        .annealing_epochs = 10,
        .annealing_strategy = LIT_ANNEAL_COS,
    };
}

static int64_t swa_start(const swa_state *s) { return s->swa_epoch_start - 1 > 0 ? s->swa_epoch_start - 1 : 0; }
static int64_t swa_end(const swa_state *s) { return s->max_epochs - 1; }

static void entries_free(swa_state *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->e[i].name);
        lit_tensor_free(s->e[i].avg);
    }
    free(s->e);
    s->e = NULL;
    s->n = 0;
}

/* setup: self._average_model = deepcopy(pl_module) — its parameters. */
static lit_status copy_model(swa_state *s, lit_param_store *ps) {
    entries_free(s);
    int len = lit_param_store_len(ps), n = 0;
    s->e = calloc((size_t)(len ? len : 1), sizeof *s->e);
    if (!s->e) return lit_set_error(LIT_ERR_NOMEM, "StochasticWeightAveraging: out of memory");
    for (int i = 0; i < len; i++) {
        lit_tensor *t = lit_param_store_tensor(ps, i);
        if (lit_param_store_is_buffer(ps, i) || t->dtype != LIT_F32) continue;
        swa_entry *en = &s->e[n++];
        s->n = n;
        en->param = t;
        en->name = strdup(lit_param_store_name(ps, i));
        en->avg = lit_tensor_new(NULL, LIT_F32, t->ndim, t->shape);
        if (!en->name || !en->avg) {
            entries_free(s);
            return lit_set_error(LIT_ERR_NOMEM, "StochasticWeightAveraging: out of memory for the average model");
        }
        memcpy(en->avg->data, t->data, (size_t)t->numel * sizeof(float));
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- SWALR */

static double anneal(const swa_state *s, double t) {
    if (s->p.annealing_strategy == LIT_ANNEAL_LINEAR) return t;
    return (1.0 - cos(M_PI * t)) / 2.0;
}
static double clamp01(double x) { return x < 0.0 ? 0.0 : x > 1.0 ? 1.0 : x; }

/* SWALR.step(): _step_count += 1, then get_lr() from the groups' lrs. */
static void swalr_step(swa_state *s) {
    s->step_count++;
    int64_t step = s->step_count - 1;
    int64_t a = s->p.annealing_epochs;
    if (a == 0) step = step > 1 ? step : 1;
    double denom = (double)(a > 1 ? a : 1);
    double prev_alpha = anneal(s, clamp01((double)(step - 1) / denom));
    double alpha = anneal(s, clamp01((double)step / denom));
    for (int g = 0; g < s->n_groups; g++) {
        double swa = s->swa_lr[g], lr = s->cur_lr[g];
        /* _get_initial_lr: the lr before annealing began */
        double prev = prev_alpha == 1.0 ? swa : (lr - prev_alpha * swa) / (1.0 - prev_alpha);
        s->cur_lr[g] = swa * alpha + prev * (1.0 - alpha);
    }
}

/* Lightning swaps the trainer's scheduler for SWALR; litc cannot remove
 * the module's, so SWALR's lr is put back wherever another may have moved it. */
static void apply_lrs(swa_state *s, lit_module *m) {
    int n_opt = 0;
    lit_optimizer **opts = lit_module_optimizers(m, &n_opt);
    if (!s->have_sched || !n_opt) return;
    int ng = lit_optimizer_num_groups(opts[0]);
    for (int g = 0; g < ng && g < s->n_groups; g++) lit_optimizer_set_lr(opts[0], g, s->cur_lr[g]);
}

/* update_parameters with the default avg_fn, in f32 as torch. */
static void update_parameters(swa_state *s) {
    for (int i = 0; i < s->n; i++) {
        float *a = s->e[i].avg->data;
        const float *p = s->e[i].param->data;
        int64_t n = s->e[i].param->numel;
        if (s->n_averaged == 0) {
            memcpy(a, p, (size_t)n * sizeof(float));
            continue;
        }
        float den = (float)(s->n_averaged + 1);
        for (int64_t k = 0; k < n; k++) {
            float d = p[k] - a[k];
            float q = d / den;
            a[k] = a[k] + q;
        }
    }
    s->n_averaged++;
}

static void transfer_weights(swa_state *s) {
    for (int i = 0; i < s->n; i++)
        memcpy(s->e[i].param->data, s->e[i].avg->data, (size_t)s->e[i].param->numel * sizeof(float));
}

/* ---------------------------------------------------------------- hooks */

static lit_status swa_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)tr;
    if (stage != LIT_STAGE_FIT || !m->params) return LIT_OK;
    return copy_model(cb->user, m->params);
}

static lit_status swa_on_fit_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    swa_state *s = cb->user;
    int n_opt = 0;
    lit_optimizer **opts = lit_module_optimizers(m, &n_opt);
    if (n_opt != 1) return lit_set_error(LIT_ERR_CONFIG, "SWA currently works with 1 `optimizer` (got %d)", n_opt);
    if (lit_trainer_num_schedulers(tr) > 1)
        return lit_set_error(LIT_ERR_CONFIG, "SWA currently not supported for more than 1 `lr_scheduler` (got %d)",
                             lit_trainer_num_schedulers(tr));
    int64_t max_epochs = lit_trainer_get_params(tr)->max_epochs;
    if (max_epochs < 1)
        return lit_set_error(LIT_ERR_CONFIG, "StochasticWeightAveraging needs Trainer(max_epochs=...) set (got %lld)",
                             (long long)max_epochs);
    if (s->swa_epoch_start < 0) s->swa_epoch_start = (int64_t)((double)max_epochs * s->p.swa_epoch_start_fraction);
    s->max_epochs = max_epochs;
    int ng = lit_optimizer_num_groups(opts[0]);
    if (s->p.swa_lrs && s->p.n_swa_lrs != ng)
        return lit_set_error(LIT_ERR_CONFIG, "StochasticWeightAveraging: %d swa_lrs for an optimizer with %d param groups",
                             s->p.n_swa_lrs, ng);
    if (ng > LIT_SWA_MAX_GROUPS)
        return lit_set_error(LIT_ERR_CONFIG, "StochasticWeightAveraging: at most %d param groups (got %d)",
                             LIT_SWA_MAX_GROUPS, ng);
    return LIT_OK;
}

static lit_status swa_on_train_epoch_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    swa_state *s = cb->user;
    int64_t epoch = lit_trainer_current_epoch(tr);
    int in_swa = swa_start(s) <= epoch && epoch <= swa_end(s);
    if (!s->initialized && in_swa) {
        s->initialized = 1;
        int n_opt = 0;
        lit_optimizer *opt = lit_module_optimizers(m, &n_opt)[0];
        int ng = lit_optimizer_num_groups(opt);
        for (int g = 0; g < ng; g++) {
            double lr = s->p.swa_lrs ? s->p.swa_lrs[g] : s->p.swa_lr;
            LIT_TRY(lit_optimizer_set_hparam(opt, g, "initial_lr", lr));
        }
        if (s->have_sched) {
            /* Restored from a checkpoint: SWALR continues where it was. */
        } else {
            s->n_groups = ng;
            for (int g = 0; g < ng; g++) {
                s->swa_lr[g] = s->p.swa_lrs ? s->p.swa_lrs[g] : s->p.swa_lr;
                s->cur_lr[g] = lit_optimizer_get_lr(opt, g);
            }
            s->step_count = 0;
            swalr_step(s); /* LRScheduler.__init__'s _initial_step */
            s->have_sched = 1;
            if (epoch != swa_start(s))
                lit_logf(LIT_LOG_WARN, "SWA is initializing after swa_start without any checkpoint data. This may be "
                         "caused by loading a checkpoint from an older version of litc.");
        }
        if (lit_trainer_num_schedulers(tr) && !s->warned_override) {
            const lit_lr_scheduler_config *c = lit_trainer_scheduler(tr, 0);
            if (c->interval != LIT_INTERVAL_EPOCH || c->frequency != 1)
                lit_logf(LIT_LOG_WARN, "SWA is currently only supported every epoch. Found a scheduler with interval "
                         "%s, frequency %d", c->interval == LIT_INTERVAL_STEP ? "step" : "epoch", c->frequency);
            lit_logf(LIT_LOG_INFO, "Swapping scheduler `%s` for `SWALR` (litc: SWALR's lr is set on every group at "
                     "each epoch and batch start)", lit_scheduler_name(c->scheduler));
            s->warned_override = 1;
        }
    }
    apply_lrs(s, m);
    if (in_swa && epoch > s->latest_update_epoch) {
        update_parameters(s);
        s->latest_update_epoch = epoch;
    }
    /* Lightning also transfers at the start of epoch swa_end + 1, which only
     * exists when the fit runs an extra BatchNorm epoch; litc has none. */
    return LIT_OK;
}

static lit_status swa_on_train_batch_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b,
                                           int64_t i) {
    (void)tr, (void)b, (void)i;
    apply_lrs(cb->user, m);
    return LIT_OK;
}

/* The SWALR config's interval is "epoch": it steps once the epoch is done. */
static lit_status swa_on_train_epoch_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)tr;
    swa_state *s = cb->user;
    if (!s->have_sched || !s->initialized) return LIT_OK;
    swalr_step(s);
    apply_lrs(s, m);
    return LIT_OK;
}

static lit_status swa_on_train_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    swa_state *s = cb->user;
    /* The trainer counted the last epoch before this hook. */
    if (s->max_epochs > 0 && lit_trainer_current_epoch(tr) - 1 == swa_end(s)) transfer_weights(s);
    return LIT_OK;
}

/* ---------------------------------------------------------------- checkpoints */

static lit_status swa_state_save(lit_callback *cb, lit_checkpoint *ck) {
    swa_state *s = cb->user;
    LIT_TRY(lit_checkpoint_set_int(ck, "n_averaged", s->n_averaged));
    LIT_TRY(lit_checkpoint_set_int(ck, "latest_update_epoch", s->latest_update_epoch));
    if (!s->have_sched) return lit_checkpoint_set_json(ck, "scheduler_state", "null");
    LIT_TRY(lit_checkpoint_set_int(ck, "scheduler_state.step_count", s->step_count));
    LIT_TRY(lit_checkpoint_set_int(ck, "scheduler_state.n_groups", s->n_groups));
    char key[96];
    for (int g = 0; g < s->n_groups; g++) {
        snprintf(key, sizeof key, "scheduler_state.swa_lrs.%d", g);
        LIT_TRY(lit_checkpoint_set_double(ck, key, s->swa_lr[g]));
        snprintf(key, sizeof key, "scheduler_state.lrs.%d", g);
        LIT_TRY(lit_checkpoint_set_double(ck, key, s->cur_lr[g]));
    }
    return LIT_OK;
}

static lit_status swa_state_load(lit_callback *cb, const lit_checkpoint *ck) {
    swa_state *s = cb->user;
    int64_t n, latest;
    LIT_TRY(lit_checkpoint_get_int_range(ck, "n_averaged", 0, LIT_CHECKPOINT_COUNTER_MAX, &n));
    LIT_TRY(lit_checkpoint_get_int_range(ck, "latest_update_epoch", -1, LIT_CHECKPOINT_COUNTER_MAX, &latest));
    s->n_averaged = n;
    s->latest_update_epoch = latest;
    s->have_sched = 0;
    if (!lit_checkpoint_has(ck, "scheduler_state.step_count")) return LIT_OK;
    int64_t steps, ng;
    LIT_TRY(lit_checkpoint_get_int_range(ck, "scheduler_state.step_count", 0, LIT_CHECKPOINT_COUNTER_MAX, &steps));
    LIT_TRY(lit_checkpoint_get_int(ck, "scheduler_state.n_groups", &ng));
    if (ng < 0 || ng > LIT_SWA_MAX_GROUPS)
        return lit_set_error(LIT_ERR_CORRUPT, "StochasticWeightAveraging: scheduler_state.n_groups = %lld",
                             (long long)ng);
    char key[96];
    for (int g = 0; g < ng; g++) {
        snprintf(key, sizeof key, "scheduler_state.swa_lrs.%d", g);
        LIT_TRY(lit_checkpoint_get_double_range(ck, key, 0, DBL_MAX, &s->swa_lr[g]));
        snprintf(key, sizeof key, "scheduler_state.lrs.%d", g);
        LIT_TRY(lit_checkpoint_get_double_range(ck, key, 0, DBL_MAX, &s->cur_lr[g]));
    }
    s->step_count = steps;
    s->n_groups = (int)ng;
    s->have_sched = 1;
    return LIT_OK;
}

static lit_status swa_on_save_checkpoint(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_checkpoint *ck) {
    (void)tr, (void)m;
    swa_state *s = cb->user;
    char key[LIT_NAME_MAX + 128];
    for (int i = 0; i < s->n; i++) {
        snprintf(key, sizeof key, "callbacks.%s.average_model_state.%s", cb->state_key, s->e[i].name);
        LIT_TRY(lit_checkpoint_put_tensor(ck, key, s->e[i].avg));
    }
    return LIT_OK;
}

static lit_status swa_on_load_checkpoint(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_checkpoint *ck) {
    (void)tr, (void)m;
    swa_state *s = cb->user;
    char key[LIT_NAME_MAX + 128];
    for (int i = 0; i < s->n; i++) {
        snprintf(key, sizeof key, "callbacks.%s.average_model_state.%s", cb->state_key, s->e[i].name);
        if (!lit_checkpoint_tensor_info(ck, key, NULL, NULL, NULL)) {
            lit_logf(LIT_LOG_WARN, "StochasticWeightAveraging: the checkpoint has no average for %s; it starts from "
                     "the loaded weights", s->e[i].name);
            continue;
        }
        LIT_TRY(lit_checkpoint_read_tensor(ck, key, s->e[i].avg));
    }
    return LIT_OK;
}

static void swa_free(lit_callback *cb) {
    swa_state *s = cb->user;
    if (!s) return;
    entries_free(s);
    free(s);
    cb->user = NULL;
}

lit_status lit_swa_callback(lit_callback *cb, const lit_swa_params *p) {
    LIT_ASSERT(cb && p, "lit_swa_callback: cb and p must not be NULL (swa_lr is required)");
    lit_swa_params v = *p;
    if (v.swa_epoch_start < 0 ||
        (v.swa_epoch_start == 0 && !(v.swa_epoch_start_fraction >= 0.0 && v.swa_epoch_start_fraction <= 1.0)))
        return lit_set_error(LIT_ERR_CONFIG, "swa_epoch_start should be a >0 integer or a float between 0 and 1 "
                             "(got %lld / %g)", (long long)v.swa_epoch_start, v.swa_epoch_start_fraction);
    if (v.swa_lrs) {
        if (v.n_swa_lrs < 1 || v.n_swa_lrs > LIT_SWA_MAX_GROUPS)
            return lit_set_error(LIT_ERR_CONFIG, "StochasticWeightAveraging: n_swa_lrs = %d (1..%d)", v.n_swa_lrs,
                                 LIT_SWA_MAX_GROUPS);
        for (int g = 0; g < v.n_swa_lrs; g++)
            if (!(v.swa_lrs[g] > 0))
                return lit_set_error(LIT_ERR_CONFIG, "The `swa_lrs` should a positive float, or a list of positive "
                                     "floats (swa_lrs[%d] = %g)", g, v.swa_lrs[g]);
    } else if (!(v.swa_lr > 0) || isinf(v.swa_lr)) {
        return lit_set_error(LIT_ERR_CONFIG, "The `swa_lrs` should a positive float, or a list of positive floats "
                             "(swa_lr = %g)", v.swa_lr);
    }
    if (v.annealing_epochs < 0)
        return lit_set_error(LIT_ERR_CONFIG, "StochasticWeightAveraging: annealing_epochs = %lld (>= 0)",
                             (long long)v.annealing_epochs);
    if (v.annealing_strategy != LIT_ANNEAL_COS && v.annealing_strategy != LIT_ANNEAL_LINEAR)
        return lit_set_error(LIT_ERR_CONFIG, "anneal_strategy must by one of 'cos' or 'linear', instead got %d",
                             (int)v.annealing_strategy);
    swa_state *s = calloc(1, sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_swa_callback: out of memory");
    if (v.swa_lrs) {
        memcpy(s->lrs_in, v.swa_lrs, (size_t)v.n_swa_lrs * sizeof(double));
        v.swa_lrs = s->lrs_in;
    }
    s->p = v;
    s->swa_epoch_start = v.swa_epoch_start > 0 ? v.swa_epoch_start : -1;
    s->latest_update_epoch = -1;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_SWA_NAME,
        .user = s,
        .setup = swa_setup,
        .on_fit_start = swa_on_fit_start,
        .on_train_epoch_start = swa_on_train_epoch_start,
        .on_train_batch_start = swa_on_train_batch_start,
        .on_train_epoch_end = swa_on_train_epoch_end,
        .on_train_end = swa_on_train_end,
        .state_save = swa_state_save,
        .state_load = swa_state_load,
        .on_save_checkpoint = swa_on_save_checkpoint,
        .on_load_checkpoint = swa_on_load_checkpoint,
        .free = swa_free,
        .state_key = LIT_SWA_NAME,
    };
    return LIT_OK;
}

/* ---------------------------------------------------------------- accessors */

static swa_state *state_of(const lit_callback *cb) {
    LIT_ASSERT(cb && cb->state_save == swa_state_save && cb->user,
               "lit_swa_*: the callback is not a StochasticWeightAveraging (lit_swa_callback) or was freed");
    return cb->user;
}

int64_t lit_swa_n_averaged(const lit_callback *cb) { return state_of(cb)->n_averaged; }
const lit_tensor *lit_swa_average(const lit_callback *cb, const char *name) {
    swa_state *s = state_of(cb);
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].name, name)) return s->e[i].avg;
    return NULL;
}
int64_t lit_swa_start_epoch(const lit_callback *cb) {
    swa_state *s = state_of(cb);
    return s->swa_epoch_start < 0 ? -1 : swa_start(s);
}
double lit_swa_lr(const lit_callback *cb, int g) {
    swa_state *s = state_of(cb);
    return s->have_sched && g >= 0 && g < s->n_groups ? s->cur_lr[g] : NAN;
}
