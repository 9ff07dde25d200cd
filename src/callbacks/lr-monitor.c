/*
 * src/callbacks/lr-monitor.c — Lightning 2.x's LearningRateMonitor
 * (lightning/pytorch/callbacks/lr_monitor.py): the learning rates (and
 * optionally momenta and weight decays) of every optimizer's parameter
 * groups, written to the loggers at the schedulers' intervals. See
 * monitors.h for names and timing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks/direct-log-impl.h"

typedef struct {
    char *name;
    double *v;
    int64_t n, cap;
} lr_history;

typedef struct {
    lit_lr_monitor_params p;
    lit__kv_list last;     /* the last logging point's values */
    lr_history *hist;      /* Lightning's self.lrs */
    int n_hist, cap_hist;
    uint64_t failed_loggers;
} lrm_state;

/* Where an extraction point logs: Lightning's interval strings. */
typedef enum { AT_STEP, AT_EPOCH, AT_ANY } at_point;

lit_lr_monitor_params lit_lr_monitor_default_params(void) {
    return (lit_lr_monitor_params){ .logging_interval = LIT_LOG_PER_SCHEDULER, .log_momentum = 0,
                                    .log_weight_decay = 0 };
}

static lit_status hist_append(lrm_state *s, const char *name, double v) {
    lr_history *h = NULL;
    for (int i = 0; i < s->n_hist && !h; i++)
        if (!strcmp(s->hist[i].name, name)) h = &s->hist[i];
    if (!h) {
        if (s->n_hist == s->cap_hist) {
            int cap = s->cap_hist ? 2 * s->cap_hist : 4;
            lr_history *nh = realloc(s->hist, (size_t)cap * sizeof *nh);
            if (!nh) return lit_set_error(LIT_ERR_NOMEM, "LearningRateMonitor: out of memory");
            s->hist = nh;
            s->cap_hist = cap;
        }
        h = &s->hist[s->n_hist];
        *h = (lr_history){ .name = strdup(name) };
        if (!h->name) return lit_set_error(LIT_ERR_NOMEM, "LearningRateMonitor: out of memory");
        s->n_hist++;
    }
    if (h->n == h->cap) {
        int64_t cap = h->cap ? 2 * h->cap : 16;
        double *nv = realloc(h->v, (size_t)cap * sizeof *nv);
        if (!nv) return lit_set_error(LIT_ERR_NOMEM, "LearningRateMonitor: out of memory");
        h->v = nv;
        h->cap = cap;
    }
    h->v[h->n++] = v;
    return LIT_OK;
}

/* _remap_keys: an optimizer that grew from one group to several renames
 * its history "lr-X" to "lr-X/pg1" so the series goes on. */
static void remap_pg1(lrm_state *s, const char *name) {
    const char *tok = strstr(name, "/pg1");
    if (!tok || tok[4]) return;
    char old[512];
    snprintf(old, sizeof old, "%.*s", (int)(tok - name), name);
    for (int i = 0; i < s->n_hist; i++)
        if (!strcmp(s->hist[i].name, name)) return;
    for (int i = 0; i < s->n_hist; i++)
        if (!strcmp(s->hist[i].name, old)) {
            char *nn = strdup(name);
            if (!nn) return; /* keeps the old name; the next append reports no memory */
            free(s->hist[i].name);
            s->hist[i].name = nn;
            return;
        }
}

static int uses_hparam(const lit_optimizer *opt, const char *name) {
    for (int k = 0; lit_optimizer_hparam_name(opt, k); k++)
        if (!strcmp(lit_optimizer_hparam_name(opt, k), name)) return 1;
    return 0;
}

/* _get_optimizer_stats for the groups of `opt` under `base`. */
static lit_status optimizer_stats(lrm_state *s, lit_optimizer *opt, const char *base) {
    int ng = lit_optimizer_num_groups(opt);
    int betas = uses_hparam(opt, "betas.0"), momentum = uses_hparam(opt, "momentum");
    for (int g = 0; g < ng; g++) {
        char name[512], key[560];
        /* _add_suffix: "/pg<k>" only with several groups (litc groups have no names). */
        if (ng > 1) snprintf(name, sizeof name, "%s/pg%d", base, g + 1);
        else snprintf(name, sizeof name, "%s", base);
        remap_pg1(s, name);
        lit_param_group *pg = lit_optimizer_group(opt, g);
        LIT_TRY(hist_append(s, name, pg->lr));
        LIT_TRY(lit__kv_set(&s->last, name, pg->lr));
        if (s->p.log_momentum) {
            snprintf(key, sizeof key, "%s-momentum", name);
            LIT_TRY(lit__kv_set(&s->last, key, betas ? pg->betas[0] : momentum ? pg->momentum : 0.0));
        }
        if (s->p.log_weight_decay) {
            snprintf(key, sizeof key, "%s-weight_decay", name);
            LIT_TRY(lit__kv_set(&s->last, key, pg->weight_decay));
        }
    }
    return LIT_OK;
}

/* seen_optimizer_types: how many unnamed optimizers of a class came so far. */
typedef struct {
    const char *cls[2 * (LIT_MAX_SCHEDULERS + LIT_MAX_OPTIMIZERS)];
    int count[2 * (LIT_MAX_SCHEDULERS + LIT_MAX_OPTIMIZERS)];
    int n;
} type_counts;

static int *type_slot(type_counts *t, const char *cls, int create) {
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->cls[i], cls)) return &t->count[i];
    if (!create) return NULL;
    t->cls[t->n] = cls;
    t->count[t->n] = 0;
    return &t->count[t->n++];
}

/* _check_duplicates_and_update_name's prefix: "-<count-1>" once a class was
 * seen more than once (a named scheduler counts no class, but still takes
 * the suffix when unnamed ones of its class came before, as Lightning). */
static void unique_name(type_counts *t, const char *cls, const char *name, int named, char *out, size_t size) {
    if (!named) (*type_slot(t, cls, 1))++;
    int *c = type_slot(t, cls, 0);
    if (c && *c > 1) snprintf(out, size, "%s-%d", name, *c - 1);
    else snprintf(out, size, "%s", name);
}

/* _extract_stats: fill s->last for the optimizers this point logs. */
static lit_status extract(lrm_state *s, lit_trainer *tr, lit_module *m, at_point at) {
    lit__kv_clear(&s->last);
    type_counts types = { .n = 0 };
    const lit_optimizer *seen[LIT_MAX_SCHEDULERS];
    int n_seen = 0;
    for (int i = 0; i < lit_trainer_num_schedulers(tr); i++) {
        const lit_lr_scheduler_config *sc = lit_trainer_scheduler(tr, i);
        lit_optimizer *opt = lit_scheduler_optimizer(sc->scheduler);
        const char *cls = lit_optimizer_name(opt);
        char base[400], name[512];
        if (sc->name) snprintf(base, sizeof base, "%s", sc->name);
        else snprintf(base, sizeof base, "lr-%s", cls);
        unique_name(&types, cls, base, sc->name != NULL, name, sizeof name);
        seen[n_seen++] = opt;
        int iv_step = sc->interval == LIT_INTERVAL_STEP;
        if (at == AT_ANY || (at == AT_STEP) == iv_step) LIT_TRY(optimizer_stats(s, opt, name));
    }
    int n_opt = 0;
    lit_optimizer **opts = m ? lit_module_optimizers(m, &n_opt) : NULL;
    for (int k = 0; opts && k < n_opt; k++) {
        int dup = 0;
        for (int j = 0; j < n_seen; j++) dup |= seen[j] == opts[k];
        if (dup) continue;
        const char *cls = lit_optimizer_name(opts[k]);
        char base[400], name[512];
        snprintf(base, sizeof base, "lr-%s", cls);
        unique_name(&types, cls, base, 0, name, sizeof name);
        LIT_TRY(optimizer_stats(s, opts[k], name)); /* without a scheduler: at every point */
    }
    return LIT_OK;
}

static lit_status log_point(lrm_state *s, lit_trainer *tr, lit_module *m, at_point at) {
    LIT_TRY(extract(s, tr, m, at));
    for (int i = 0; i < s->last.n; i++) lit_trainer_set_callback_metric(tr, s->last.names[i], s->last.values[i]);
    lit__kv_send(tr, &s->last, lit_trainer_batches_that_stepped(tr), 0, &s->failed_loggers, LIT_LR_MONITOR_NAME);
    return LIT_OK;
}

static lit_status lrm_on_train_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    lrm_state *s = cb->user;
    if (lit_trainer_num_loggers(tr) == 0)
        return lit_set_error(LIT_ERR_CONFIG, "Cannot use `LearningRateMonitor` callback with `Trainer` that has no "
                                             "logger.");
    /* A fresh run starts fresh series (Lightning rebuilds self.lrs here). */
    for (int i = 0; i < s->n_hist; i++) {
        free(s->hist[i].name);
        free(s->hist[i].v);
    }
    s->n_hist = 0;
    lit__kv_clear(&s->last);
    s->failed_loggers = 0;
    if (s->p.log_momentum) {
        /* _check_no_key("momentum") and _check_no_key("betas"): over the
         * schedulers' optimizers when there are schedulers, else all. */
        int no_momentum = 0, no_betas = 0;
        if (lit_trainer_num_schedulers(tr) > 0) {
            for (int i = 0; i < lit_trainer_num_schedulers(tr); i++) {
                lit_optimizer *o = lit_scheduler_optimizer(lit_trainer_scheduler(tr, i)->scheduler);
                no_momentum |= !uses_hparam(o, "momentum");
                no_betas |= !uses_hparam(o, "betas.0");
            }
        } else {
            int n = 0;
            lit_optimizer **opts = lit_module_optimizers(m, &n);
            for (int k = 0; opts && k < n; k++) {
                no_momentum |= !uses_hparam(opts[k], "momentum");
                no_betas |= !uses_hparam(opts[k], "betas.0");
            }
        }
        if (no_momentum && no_betas)
            lit_logf(LIT_LOG_WARN, "You have set log_momentum=True, but some optimizers do not have momentum. This "
                                   "will log a value 0 for the momentum.");
    }
    return LIT_OK;
}

static lit_status lrm_on_train_batch_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b,
                                           int64_t i) {
    (void)b, (void)i;
    lrm_state *s = cb->user;
    if (!lit_trainer_should_update_logs(tr) || s->p.logging_interval == LIT_LOG_EVERY_EPOCH) return LIT_OK;
    return log_point(s, tr, m, s->p.logging_interval == LIT_LOG_PER_SCHEDULER ? AT_STEP : AT_ANY);
}

static lit_status lrm_on_train_epoch_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    lrm_state *s = cb->user;
    if (s->p.logging_interval == LIT_LOG_EVERY_STEP) return LIT_OK;
    return log_point(s, tr, m, s->p.logging_interval == LIT_LOG_PER_SCHEDULER ? AT_EPOCH : AT_ANY);
}

static void lrm_free(lit_callback *cb) {
    lrm_state *s = cb->user;
    if (!s) return;
    lit__kv_free(&s->last);
    for (int i = 0; i < s->n_hist; i++) {
        free(s->hist[i].name);
        free(s->hist[i].v);
    }
    free(s->hist);
    free(s);
    cb->user = NULL;
}

lit_status lit_lr_monitor_callback(lit_callback *cb, const lit_lr_monitor_params *p) {
    LIT_ASSERT(cb, "lit_lr_monitor_callback: cb must not be NULL");
    lit_lr_monitor_params v = p ? *p : lit_lr_monitor_default_params();
    if (v.logging_interval != LIT_LOG_PER_SCHEDULER && v.logging_interval != LIT_LOG_EVERY_STEP &&
        v.logging_interval != LIT_LOG_EVERY_EPOCH)
        return lit_set_error(LIT_ERR_CONFIG, "logging_interval should be `step` or `epoch` or `None` (got %d).",
                             (int)v.logging_interval);
    lrm_state *s = calloc(1, sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_lr_monitor_callback: out of memory");
    s->p = v;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_LR_MONITOR_NAME,
        .user = s,
        .on_train_start = lrm_on_train_start,
        .on_train_batch_start = lrm_on_train_batch_start,
        .on_train_epoch_start = lrm_on_train_epoch_start,
        .free = lrm_free,
    };
    return LIT_OK;
}

static lrm_state *state_of(const lit_callback *cb) {
    LIT_ASSERT(cb && cb->on_train_epoch_start == lrm_on_train_epoch_start && cb->user,
               "lit_lr_monitor_*: the callback is not a LearningRateMonitor (lit_lr_monitor_callback) or was freed");
    return cb->user;
}

int lit_lr_monitor_num_last(const lit_callback *cb) { return state_of(cb)->last.n; }
const char *lit_lr_monitor_last_name(const lit_callback *cb, int i) {
    lrm_state *s = state_of(cb);
    LIT_ASSERT(i >= 0 && i < s->last.n, "lit_lr_monitor_last_name: index %d of %d", i, s->last.n);
    return s->last.names[i];
}
double lit_lr_monitor_last_value(const lit_callback *cb, int i) {
    lrm_state *s = state_of(cb);
    LIT_ASSERT(i >= 0 && i < s->last.n, "lit_lr_monitor_last_value: index %d of %d", i, s->last.n);
    return s->last.values[i];
}
int lit_lr_monitor_last(const lit_callback *cb, const char *name, double *out) {
    lrm_state *s = state_of(cb);
    int i = lit__kv_find(&s->last, name);
    if (i < 0) return 0;
    if (out) *out = s->last.values[i];
    return 1;
}
const double *lit_lr_monitor_lrs(const lit_callback *cb, const char *name, int64_t *n) {
    lrm_state *s = state_of(cb);
    for (int i = 0; i < s->n_hist; i++)
        if (!strcmp(s->hist[i].name, name)) {
            if (n) *n = s->hist[i].n;
            return s->hist[i].v;
        }
    if (n) *n = 0;
    return NULL;
}
