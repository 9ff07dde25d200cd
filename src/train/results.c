/*
 * src/train/results.c — self.log: per-key accumulation over an epoch
 * (Lightning's _ResultCollection) and the callback / logged / progress-bar
 * metric lists the Trainer exposes.
 *
 * A value is read to double at log time, so logged tensors can die with the
 * step arena. Step values are published at once; epoch values are reduced
 * (batch-size weighted mean, sum, max or min) when the epoch ends.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train-impl.h"

/* ---------------------------------------------------------------- metric lists */

void lit__metrics_clear(lit__metric_list *l) {
    for (int i = 0; i < l->n; i++) free(l->names[i]);
    l->n = 0;
}

void lit__metrics_free(lit__metric_list *l) {
    lit__metrics_clear(l);
    free(l->names);
    free(l->values);
    memset(l, 0, sizeof *l);
}

/* Out of memory drops the metric (reported through the log sink): logging
 * must not make a training step fail. */
void lit__metrics_set(lit__metric_list *l, const char *name, double v) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->names[i], name)) { l->values[i] = v; return; }
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **nn = realloc(l->names, (size_t)cap * sizeof *nn);
        if (nn) l->names = nn;
        double *nv = realloc(l->values, (size_t)cap * sizeof *nv);
        if (nv) l->values = nv;
        if (!nn || !nv) { lit_logf(LIT_LOG_ERROR, "log: out of memory, metric %s dropped", name); return; }
        l->cap = cap;
    }
    size_t n = strlen(name) + 1;
    char *copy = malloc(n);
    if (!copy) { lit_logf(LIT_LOG_ERROR, "log: out of memory, metric %s dropped", name); return; }
    memcpy(copy, name, n);
    l->names[l->n] = copy;
    l->values[l->n++] = v;
}

static const lit__metric_list *list_of(const lit_trainer *tr, lit_metrics_kind kind) {
    switch (kind) {
    case LIT_METRICS_LOGGED: return &tr->logged_metrics;
    case LIT_METRICS_PROGRESS_BAR: return &tr->pbar_metrics;
    default: return &tr->callback_metrics;
    }
}

int lit_trainer_metric_count(const lit_trainer *tr, lit_metrics_kind kind) { return list_of(tr, kind)->n; }

const char *lit_trainer_metric_name(const lit_trainer *tr, lit_metrics_kind kind, int i) {
    const lit__metric_list *l = list_of(tr, kind);
    LIT_ASSERT(i >= 0 && i < l->n, "lit_trainer_metric_name: index %d of %d metrics", i, l->n);
    return l->names[i];
}

double lit_trainer_metric_value(const lit_trainer *tr, lit_metrics_kind kind, int i) {
    const lit__metric_list *l = list_of(tr, kind);
    LIT_ASSERT(i >= 0 && i < l->n, "lit_trainer_metric_value: index %d of %d metrics", i, l->n);
    return l->values[i];
}

int lit_trainer_get_metric(const lit_trainer *tr, lit_metrics_kind kind, const char *name, double *out) {
    const lit__metric_list *l = list_of(tr, kind);
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->names[i], name)) {
            if (out) *out = l->values[i];
            return 1;
        }
    return 0;
}

void lit_trainer_set_callback_metric(lit_trainer *tr, const char *name, double v) {
    lit__metrics_set(&tr->callback_metrics, name, v);
}

/* ---------------------------------------------------------------- results */

lit__result *lit__results_append(lit__results *r, const char *name) {
    if (r->n == r->cap) {
        int cap = r->cap ? 2 * r->cap : 16;
        lit__result *g = realloc(r->items, (size_t)cap * sizeof *g);
        if (!g) return NULL;
        r->items = g;
        r->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) return NULL;
    lit__result *it = &r->items[r->n++];
    memset(it, 0, sizeof *it);
    it->name = copy;
    return it;
}

void lit__results_clear(lit__results *r) {
    for (int i = 0; i < r->n; i++) free(r->items[i].name);
    r->n = 0;
}

void lit__results_free(lit__results *r) {
    lit__results_clear(r);
    free(r->items);
    memset(r, 0, sizeof *r);
}

/* `epoch_level`: an epoch's reduced value (else a step's); the loggers get
 * each through their own list (logger-connector.c). */
static void publish(lit_trainer *tr, const lit__result *res, const char *key, double v, int epoch_level) {
    lit__metrics_set(&tr->callback_metrics, key, v);
    if (res->opts.logger > 0) {
        lit__metrics_set(&tr->logged_metrics, key, v);
        if (tr->n_loggers) lit__metrics_set(epoch_level ? &tr->epoch_log : &tr->step_log, key, v);
    }
    if (res->opts.prog_bar > 0) lit__metrics_set(&tr->pbar_metrics, key, v);
}

static void publish_suffixed(lit_trainer *tr, const lit__result *res, const char *suffix, double v) {
    int both = res->opts.on_step > 0 && res->opts.on_epoch > 0;
    int epoch_level = !strcmp(suffix, "_epoch");
    if (!both) { publish(tr, res, res->name, v, epoch_level); return; }
    char key[LIT_NAME_MAX + 8];
    snprintf(key, sizeof key, "%s%s", res->name, suffix);
    publish(tr, res, key, v, epoch_level);
    /* callback_metrics also holds the plain name with the latest value. */
    lit__metrics_set(&tr->callback_metrics, res->name, v);
}

static double reduced(lit__result *res) {
    if (res->metric) {
        /* A metric object: its own compute() over the epoch, then a fresh start. */
        double v = NAN;
        if (lit_metric_compute_scalar(res->metric, &v) < 0) {
            lit_logf(LIT_LOG_ERROR, "log(\"%s\"): computing %s: %s", res->name, lit_metric_name(res->metric),
                     lit_last_error());
            v = NAN;
        }
        lit_metric_reset(res->metric);
        return v;
    }
    switch (res->opts.reduce_fx) {
    case LIT_REDUCE_SUM: return res->sum;
    case LIT_REDUCE_MAX: return res->max;
    case LIT_REDUCE_MIN: return res->min;
    default: return res->wcount > 0 ? res->wsum / res->wcount : NAN;
    }
}

void lit__results_publish_epoch(lit_trainer *tr, lit__results *r) {
    for (int i = 0; i < r->n; i++)
        if (r->items[i].opts.on_epoch > 0 && r->items[i].n > 0)
            publish_suffixed(tr, &r->items[i], "_epoch", reduced(&r->items[i]));
        else if (r->items[i].metric)
            lit_metric_reset(r->items[i].metric); /* logged on_step only: Lightning resets it at epoch end too */
    lit__results_clear(r);
}

static int tri(int v, int dflt) { return v == 0 ? (dflt ? 1 : -1) : (v > 0 ? 1 : -1); }

/* ---------------------------------------------------------------- where logging is allowed */

/* What self.log may do in a hook (Lightning 2.x's _FxValidator table):
 * STEP: on_step by default, either allowed; EVAL_STEP: on_epoch by default,
 * either allowed; EPOCH: only on_step=False, on_epoch=True; hooks not
 * listed may not log. */
typedef enum { FX_FORBIDDEN = 0, FX_STEP, FX_EVAL_STEP, FX_EPOCH } fx_rule;

static const struct {
    const char *name;
    fx_rule rule;
} FX_RULES[] = {
    { "training_step", FX_STEP },          { "on_train_batch_start", FX_STEP },
    { "on_train_batch_end", FX_STEP },     { "on_before_backward", FX_STEP },
    { "backward", FX_STEP },               { "on_after_backward", FX_STEP },
    { "on_before_optimizer_step", FX_STEP }, { "optimizer_step", FX_STEP },
    { "on_before_zero_grad", FX_STEP },    { "optimizer_zero_grad", FX_STEP },
    { "validation_step", FX_EVAL_STEP },   { "on_validation_batch_start", FX_EVAL_STEP },
    { "on_validation_batch_end", FX_EVAL_STEP }, { "test_step", FX_EVAL_STEP },
    { "on_test_batch_start", FX_EVAL_STEP }, { "on_test_batch_end", FX_EVAL_STEP },
    { "on_train_start", FX_EPOCH },        { "on_validation_start", FX_EPOCH },
    { "on_test_start", FX_EPOCH },         { "on_train_epoch_start", FX_EPOCH },
    { "on_train_epoch_end", FX_EPOCH },    { "on_validation_epoch_start", FX_EPOCH },
    { "on_validation_epoch_end", FX_EPOCH }, { "on_test_epoch_start", FX_EPOCH },
    { "on_test_epoch_end", FX_EPOCH },
};

static fx_rule rule_of(const char *fx) {
    for (size_t i = 0; i < sizeof FX_RULES / sizeof *FX_RULES; i++)
        if (!strcmp(FX_RULES[i].name, fx)) return FX_RULES[i].rule;
    return FX_FORBIDDEN;
}

/* Resolve on_step/on_epoch for the running hook, or refuse as Lightning does. */
static lit_status resolve_levels(const lit_trainer *tr, const char *name, const lit_log_opts *o, lit_log_opts *r) {
    if (!tr->fx) return lit_set_error(LIT_ERR_STATE, "log(\"%s\"): called outside a Trainer hook or step", name);
    fx_rule rule = rule_of(tr->fx);
    if (rule == FX_FORBIDDEN)
        return lit_set_error(LIT_ERR_STATE,
                             "log(\"%s\"): you can't log inside %s (Lightning allows it only in steps, batch hooks, "
                             "optimization hooks and the epoch/stage-start hooks); log from training_step or an "
                             "epoch-end hook instead",
                             name, tr->fx);
    r->on_step = tri(o->on_step, rule == FX_STEP);
    r->on_epoch = tri(o->on_epoch, rule != FX_STEP);
    if (rule == FX_EPOCH && (r->on_step > 0 || r->on_epoch < 0))
        return lit_set_error(LIT_ERR_CONFIG, "log(\"%s\", on_step=%s, on_epoch=%s): inside %s only on_step=false, "
                             "on_epoch=true is allowed",
                             name, r->on_step > 0 ? "true" : "false", r->on_epoch > 0 ? "true" : "false", tr->fx);
    return LIT_OK;
}

static lit_status log_value(lit_module *m, const char *name, double value, lit_metric *metric,
                            const lit_log_opts *o);

lit_status lit_module_log_scalar_ex(lit_module *m, const char *name, double value, const lit_log_opts *o) {
    return log_value(m, name, value, NULL, o);
}

lit_status lit_module_log_metric_ex(lit_module *m, const char *name, lit_metric *metric, const lit_log_opts *o) {
    LIT_ASSERT(metric, "lit_module_log_metric(\"%s\"): metric is NULL", name ? name : "?");
    double v = NAN;
    /* Lightning logs a metric's forward() value on step; on epoch it computes later. */
    if (!lit_metric_batch_value(metric, &v) && o->on_step > 0)
        return lit_set_error(LIT_ERR_STATE,
                             "log(\"%s\", on_step=true) of %s: the metric has no batch value; call "
                             "lit_metric_forward on the batch (not only lit_metric_update), or log on_epoch",
                             name ? name : "?", lit_metric_name(metric));
    return log_value(m, name, v, metric, o);
}

static lit_status log_value(lit_module *m, const char *name, double value, lit_metric *metric,
                            const lit_log_opts *o) {
    LIT_ASSERT(m && name && o, "lit_module_log: module, name and options must not be NULL");
    lit_trainer *tr = m->trainer;
    if (!tr) return lit_set_error(LIT_ERR_STATE, "log(\"%s\"): called outside a Trainer hook or step", name);
    if (strlen(name) >= LIT_NAME_MAX - 24)
        return lit_set_error(LIT_ERR_INVALID_ARG, "log: name longer than %d characters", LIT_NAME_MAX - 25);
    if ((unsigned)o->reduce_fx > LIT_REDUCE_MIN)
        return lit_set_error(LIT_ERR_INVALID_ARG, "log(\"%s\"): unknown reduce_fx %d", name, (int)o->reduce_fx);
    if (o->batch_size < 0)
        return lit_set_error(LIT_ERR_INVALID_ARG, "log(\"%s\"): batch_size %lld must be > 0 (0 = the batch's size)",
                             name, (long long)o->batch_size);
    lit_log_opts r = *o;
    LIT_TRY(resolve_levels(tr, name, o, &r));
    if (tr->sanity_checking) return LIT_OK; /* Lightning discards what the sanity check logs */
    r.logger = tri(o->logger, 1);
    r.prog_bar = o->prog_bar ? 1 : -1;
    int64_t bs = o->batch_size ? o->batch_size : (tr->cur_batch ? tr->cur_batch->size : 1);

    /* Several evaluation loaders keep their values apart (add_dataloader_idx). */
    char keyed[LIT_NAME_MAX];
    if (tr->log_ctx == LIT__CTX_EVAL && tr->cur_batch && tr->n_eval_dls > 1 && o->add_dataloader_idx >= 0) {
        snprintf(keyed, sizeof keyed, "%s/dataloader_idx_%d", name, tr->eval_dl_idx);
        name = keyed;
    }

    lit__results *res = tr->log_ctx == LIT__CTX_EVAL ? &tr->eval_results : &tr->train_results;
    lit__result *it = NULL;
    for (int i = 0; i < res->n; i++)
        if (!strcmp(res->items[i].name, name)) it = &res->items[i];
    if (it) {
        if (it->opts.on_step != r.on_step || it->opts.on_epoch != r.on_epoch || it->opts.reduce_fx != r.reduce_fx)
            return lit_set_error(LIT_ERR_CONFIG,
                                 "log(\"%s\"): logged again with different on_step/on_epoch/reduce_fx in this epoch",
                                 name);
        if (it->metric != metric)
            return lit_set_error(LIT_ERR_CONFIG,
                                 "log(\"%s\"): this name holds %s in this epoch and is now logged with %s; use one "
                                 "kind per name",
                                 name, it->metric ? lit_metric_name(it->metric) : "plain values",
                                 metric ? lit_metric_name(metric) : "a plain value");
    } else {
        it = lit__results_append(res, name);
        if (!it) return lit_set_error(LIT_ERR_NOMEM, "log(\"%s\"): out of memory", name);
        it->metric = metric;
        it->opts = r;
        it->max = -INFINITY;
        it->min = INFINITY;
    }
    it->last = value;
    it->wsum += value * (double)bs;
    it->wcount += (double)bs;
    it->sum += value;
    if (value > it->max) it->max = value;
    if (value < it->min) it->min = value;
    it->n++;
    if (r.on_step > 0) publish_suffixed(tr, it, "_step", value);
    return LIT_OK;
}

lit_status lit_module_log_ex(lit_module *m, const char *name, const lit_tensor *value, const lit_log_opts *o) {
    LIT_ASSERT(value, "lit_module_log(\"%s\"): value tensor is NULL", name ? name : "?");
    lit_tensor_check(value, "lit_module_log");
    if (value->numel != 1) {
        char shape[96];
        return lit_set_error(LIT_ERR_SHAPE, "log(\"%s\"): value must be a scalar (one element), got shape %s", name,
                             lit_shape_str(value, shape, sizeof shape));
    }
    return lit_module_log_scalar_ex(m, name, lit_item(value), o);
}

lit_status lit_module_log_dict_ex(lit_module *m, int n, const char *const *names, const lit_tensor *const *values,
                                  const lit_log_opts *o) {
    LIT_ASSERT(n == 0 || (names && values), "lit_module_log_dict: names and values must not be NULL");
    for (int i = 0; i < n; i++) LIT_TRY(lit_module_log_ex(m, names[i], values[i], o));
    return LIT_OK;
}
