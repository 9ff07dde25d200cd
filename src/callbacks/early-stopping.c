/*
 * src/callbacks/early-stopping.c — Lightning 2.x's EarlyStopping
 * (lightning/pytorch/callbacks/early_stopping.py): stop the fit when a
 * monitored metric stops improving, reaches a threshold, diverges or is
 * not finite. See early-stopping.h.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf-impl.h"
#include "core/str-impl.h"
#include "litc/callbacks.h"
#include "litc/checkpoint.h"

typedef struct {
    lit_early_stopping_params p;
    char *monitor;
    char *state_key;
    double min_delta;    /* signed as Lightning's: + for max, - for min */
    int check_on_train_epoch_end; /* resolved at setup: 1 / 0 */
    int64_t wait_count, stopped_epoch, patience;
    double best_score;
    lit_early_stopping_reason reason;
    char message[768];
} es_state;

static const char *ORDER[2] = { "<", ">" }; /* order_dict */

lit_early_stopping_params lit_early_stopping_default_params(void) {
    return (lit_early_stopping_params){
        .monitor = NULL,
        .min_delta = 0.0,
        .patience = 3,
        .verbose = 0,
        .mode = LIT_MIN,
        .strict = 1,
        .check_finite = 1,
        .stopping_threshold = NAN,
        .divergence_threshold = NAN,
        .check_on_train_epoch_end = 0,
    };
}

const char *lit_early_stopping_reason_name(lit_early_stopping_reason r) {
    switch (r) {
    case LIT_ES_NOT_STOPPED: return "NOT_STOPPED";
    case LIT_ES_STOPPING_THRESHOLD: return "STOPPING_THRESHOLD";
    case LIT_ES_DIVERGENCE_THRESHOLD: return "DIVERGENCE_THRESHOLD";
    case LIT_ES_PATIENCE_EXHAUSTED: return "PATIENCE_EXHAUSTED";
    case LIT_ES_NON_FINITE_METRIC: return "NON_FINITE_METRIC";
    }
    return "UNKNOWN";
}

/* monitor_op: torch.lt for min, torch.gt for max (NaN compares false). */
static int better(const es_state *s, double a, double b) { return s->p.mode == LIT_MIN ? a < b : a > b; }

/* "{x}" of a 0-dim float tensor prints as "tensor(0.2500)"; litc prints the value. */
static void fmt_value(char *out, size_t n, double v) { snprintf(out, n, "%.6g", v); }

static lit_status es_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)m, (void)stage;
    es_state *s = cb->user;
    if (s->p.check_on_train_epoch_end) {
        s->check_on_train_epoch_end = s->p.check_on_train_epoch_end > 0;
    } else {
        /* trainer.val_check_interval == 1.0 (an int 1 too) and check_val_every_n_epoch == 1 */
        const lit_trainer_params *p = lit_trainer_get_params(tr);
        int once = p->val_check_batches >= 0 ? p->val_check_batches == 1 : p->val_check_interval == 1.0;
        s->check_on_train_epoch_end = once && p->check_val_every_n_epoch == 1;
    }
    return LIT_OK;
}

static int should_skip(lit_trainer *tr) {
    return lit_trainer_stage(tr) != LIT_STAGE_FIT || lit_trainer_sanity_checking(tr);
}

/* "`a`, `b`" of trainer.callback_metrics. */
static void metric_names(lit_trainer *tr, char *out, size_t size) {
    size_t n = 0;
    out[0] = 0;
    for (int i = 0; i < lit_trainer_metric_count(tr, LIT_METRICS_CALLBACK) && n < size; i++)
        n += (size_t)snprintf(out + n, size - n, "%s`%s`", i ? ", " : "",
                              lit_trainer_metric_name(tr, LIT_METRICS_CALLBACK, i));
}

static lit_status run_check(es_state *s, lit_trainer *tr) {
    if (lit_trainer_get_params(tr)->fast_dev_run) return LIT_OK;
    double current;
    if (!lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, s->monitor, &current)) {
        char names[2048];
        metric_names(tr, names, sizeof names);
        if (s->p.strict)
            return lit_set_error(LIT_ERR_CONFIG,
                                 "Early stopping conditioned on metric `%s` which is not available. Pass in or modify "
                                 "your `EarlyStopping` callback to use any of the following: %s",
                                 s->monitor, names);
        if (s->p.verbose)
            lit_logf(LIT_LOG_WARN,
                     "Early stopping conditioned on metric `%s` which is not available. Pass in or modify your "
                     "`EarlyStopping` callback to use any of the following: %s", s->monitor, names);
        return LIT_OK;
    }
    /* _evaluate_stopping_criteria */
    int stop = 0;
    lit_early_stopping_reason why = LIT_ES_NOT_STOPPED;
    char msg[sizeof s->message] = "", cur[64], thr[64];
    fmt_value(cur, sizeof cur, current);
    const char *order = ORDER[s->p.mode == LIT_MAX];
    if (s->p.check_finite && !isfinite(current)) {
        stop = 1, why = LIT_ES_NON_FINITE_METRIC;
        snprintf(msg, sizeof msg,
                 "Monitored metric %s = %s is not finite. Previous best value was %.3f. Signaling Trainer to stop.",
                 s->monitor, cur, s->best_score);
    } else if (!isnan(s->p.stopping_threshold) && better(s, current, s->p.stopping_threshold)) {
        stop = 1, why = LIT_ES_STOPPING_THRESHOLD;
        fmt_value(thr, sizeof thr, s->p.stopping_threshold);
        snprintf(msg, sizeof msg, "Stopping threshold reached: %s = %s %s %s. Signaling Trainer to stop.", s->monitor,
                 cur, order, thr);
    } else if (!isnan(s->p.divergence_threshold) && better(s, -current, -s->p.divergence_threshold)) {
        stop = 1, why = LIT_ES_DIVERGENCE_THRESHOLD;
        fmt_value(thr, sizeof thr, s->p.divergence_threshold);
        snprintf(msg, sizeof msg, "Divergence threshold reached: %s = %s %s %s. Signaling Trainer to stop.",
                 s->monitor, cur, order, thr);
    } else if (better(s, current - s->min_delta, s->best_score)) {
        if (isfinite(s->best_score))
            snprintf(msg, sizeof msg, "Metric %s improved by %.3f >= min_delta = %g. New best score: %.3f", s->monitor,
                     fabs(s->best_score - current), fabs(s->min_delta), current);
        else
            snprintf(msg, sizeof msg, "Metric %s improved. New best score: %.3f", s->monitor, current);
        s->best_score = current;
        s->wait_count = 0;
    } else {
        s->wait_count++;
        if (s->wait_count >= s->patience) {
            stop = 1, why = LIT_ES_PATIENCE_EXHAUSTED;
            snprintf(msg, sizeof msg,
                     "Monitored metric %s did not improve in the last %" PRId64
                     " records. Best score: %.3f. Signaling Trainer to stop.",
                     s->monitor, s->wait_count, s->best_score);
        }
    }
    if (stop) {
        lit_trainer_set_should_stop(tr, 1);
        s->stopped_epoch = lit_trainer_current_epoch(tr);
        s->reason = why;
        snprintf(s->message, sizeof s->message, "%s", msg);
    }
    if (msg[0] && s->p.verbose) lit_logf(LIT_LOG_INFO, "%s", msg);
    return LIT_OK;
}

static lit_status es_on_train_epoch_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    es_state *s = cb->user;
    if (!s->check_on_train_epoch_end || should_skip(tr)) return LIT_OK;
    return run_check(s, tr);
}

static lit_status es_on_validation_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    es_state *s = cb->user;
    if (s->check_on_train_epoch_end || should_skip(tr)) return LIT_OK;
    return run_check(s, tr);
}

static lit_status es_state_save(lit_callback *cb, lit_checkpoint *ck) {
    es_state *s = cb->user;
    LIT_TRY(lit_checkpoint_set_int(ck, "wait_count", s->wait_count));
    LIT_TRY(lit_checkpoint_set_int(ck, "stopped_epoch", s->stopped_epoch));
    LIT_TRY(lit_checkpoint_set_double(ck, "best_score", s->best_score));
    return lit_checkpoint_set_int(ck, "patience", s->patience);
}

static lit_status es_state_load(lit_callback *cb, const lit_checkpoint *ck) {
    es_state *s = cb->user;
    int64_t wait, stopped, patience;
    double best;
    LIT_TRY(lit_checkpoint_get_int_range(ck, "wait_count", 0, LIT_CHECKPOINT_COUNTER_MAX, &wait));
    LIT_TRY(lit_checkpoint_get_int_range(ck, "stopped_epoch", 0, LIT_CHECKPOINT_COUNTER_MAX, &stopped));
    /* +-inf before the first score (Lightning's torch.tensor(inf)); never NaN */
    LIT_TRY(lit_checkpoint_get_double_range(ck, "best_score", -INFINITY, INFINITY, &best));
    LIT_TRY(lit_checkpoint_get_int_range(ck, "patience", 0, LIT_CHECKPOINT_COUNTER_MAX, &patience));
    s->wait_count = wait;
    s->stopped_epoch = stopped;
    s->best_score = best;
    s->patience = patience;
    return LIT_OK;
}

static void es_free(lit_callback *cb) {
    es_state *s = cb->user;
    if (!s) return;
    free(s->monitor);
    free(s->state_key);
    free(s);
    cb->user = NULL;
}

/* Lightning's state_key: "EarlyStopping{'monitor': <repr(monitor)>, 'mode': 'min'}"; NULL on out of memory. */
static char *make_state_key(const char *monitor, lit_monitor_mode mode) {
    char *mon = lit__py_repr_str(monitor);
    lit__buf key = {0};
    lit__buf_printf(&key, "EarlyStopping{'monitor': %s, 'mode': '%s'}", mon ? mon : "", mode == LIT_MIN ? "min" : "max");
    if (!mon || key.failed) lit__buf_free(&key);
    free(mon);
    return (char *)key.data;
}

lit_status lit_early_stopping_callback(lit_callback *cb, const lit_early_stopping_params *p) {
    LIT_ASSERT(cb, "lit_early_stopping_callback: cb must not be NULL");
    lit_early_stopping_params v = p ? *p : lit_early_stopping_default_params();
    if (!v.monitor || !v.monitor[0])
        return lit_set_error(LIT_ERR_CONFIG, "EarlyStopping: monitor is required (the metric name to watch)");
    if (v.mode != LIT_MIN && v.mode != LIT_MAX)
        return lit_set_error(LIT_ERR_CONFIG, "EarlyStopping: `mode` can be LIT_MIN, LIT_MAX, got %d", (int)v.mode);
    if (v.patience < 0)
        return lit_set_error(LIT_ERR_CONFIG, "EarlyStopping(patience=%" PRId64 "): must be >= 0", v.patience);
    if (!isfinite(v.min_delta))
        return lit_set_error(LIT_ERR_CONFIG, "EarlyStopping(min_delta=%g): must be finite", v.min_delta);
    if (isinf(v.stopping_threshold) || isinf(v.divergence_threshold))
        lit_logf(LIT_LOG_DEBUG, "EarlyStopping: an infinite threshold is never crossed");
    es_state *s = calloc(1, sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_early_stopping_callback: out of memory");
    s->p = v;
    s->monitor = strdup(v.monitor);
    s->state_key = make_state_key(v.monitor, v.mode);
    if (!s->monitor || !s->state_key) {
        lit_callback tmp = { .user = s };
        es_free(&tmp);
        return lit_set_error(LIT_ERR_NOMEM, "lit_early_stopping_callback: out of memory");
    }
    s->p.monitor = NULL;
    /* self.min_delta *= 1 if monitor_op == torch.gt else -1 */
    s->min_delta = v.mode == LIT_MAX ? v.min_delta : -v.min_delta;
    s->best_score = v.mode == LIT_MIN ? INFINITY : -INFINITY;
    s->patience = v.patience;
    s->check_on_train_epoch_end = v.check_on_train_epoch_end > 0;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_EARLY_STOPPING_NAME,
        .monitoring = 1,
        .user = s,
        .setup = es_setup,
        .on_train_epoch_end = es_on_train_epoch_end,
        .on_validation_end = es_on_validation_end,
        .state_save = es_state_save,
        .state_load = es_state_load,
        .free = es_free,
        .state_key = s->state_key,
    };
    return LIT_OK;
}

static es_state *state_of(const lit_callback *cb) {
    LIT_ASSERT(cb && cb->state_save == es_state_save && cb->user,
               "lit_early_stopping_*: the callback is not an EarlyStopping (lit_early_stopping_callback) or was freed");
    return cb->user;
}

int64_t lit_early_stopping_stopped_epoch(const lit_callback *cb) { return state_of(cb)->stopped_epoch; }
int64_t lit_early_stopping_wait_count(const lit_callback *cb) { return state_of(cb)->wait_count; }
int64_t lit_early_stopping_patience(const lit_callback *cb) { return state_of(cb)->patience; }
double lit_early_stopping_best_score(const lit_callback *cb) { return state_of(cb)->best_score; }
lit_early_stopping_reason lit_early_stopping_stopping_reason(const lit_callback *cb) { return state_of(cb)->reason; }
const char *lit_early_stopping_reason_message(const lit_callback *cb) {
    es_state *s = state_of(cb);
    return s->reason == LIT_ES_NOT_STOPPED ? NULL : s->message;
}
