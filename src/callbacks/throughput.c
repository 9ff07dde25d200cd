/*
 * src/callbacks/throughput.c — Lightning 2.x's ThroughputMonitor
 * (lightning/pytorch/callbacks/throughput_monitor.py) over Fabric's
 * Throughput (lightning/fabric/utilities/throughput.py): rolling batches,
 * samples, items and flops per second per running stage, on the Trainer's
 * clock, written to the loggers. See monitors.h for the keys and when.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callbacks/direct-log-impl.h"

/* The running stages this monitor measures; names prefix the keys. */
enum { ST_TRAIN = 0, ST_VALIDATE, ST_TEST, ST_PREDICT, ST_COUNT };
static const char *const STAGE_NAMES[ST_COUNT] = { "train", "validate", "test", "predict" };

/*
 * Fabric's Throughput: windows of the last `cap` totals. Totals must
 * increase (its _MonotonicWindow), which makes every difference over the
 * window non-zero. Flops are per batch, not totals.
 */
typedef struct {
    int cap;
    int n, head;          /* entries in the ring; index of the oldest */
    int n_len, n_flops;   /* lengths / flops are only appended when given */
    double *time, *batches, *samples, *lengths, *flops; /* rings of cap */
    double last_time, last_batches, last_samples, last_lengths;
} window;

typedef struct {
    window w;
    double t0;                          /* the stage's clock origin */
    double lengths, samples, batches;   /* totals since the stage started */
    int64_t iter;                       /* batches of the stage over the callback's life (the eval step) */
    int started;
} stage_state;

typedef struct {
    lit_throughput_monitor_params p;
    char *separator;
    stage_state st[ST_COUNT];
    lit__kv_list last;
    uint64_t failed_loggers;
    int warned_flops;
} tp_state;

lit_throughput_monitor_params lit_throughput_monitor_default_params(void) {
    return (lit_throughput_monitor_params){ .batch_size_fn = NULL, .length_fn = NULL, .flops_per_batch = NULL,
                                            .user = NULL, .window_size = 100, .available_flops = 0, .separator = "/" };
}

/* ring index of the k-th oldest entry */
static int at(const window *w, int k) { return (w->head + k) % w->cap; }

static void window_reset(window *w) {
    w->n = w->head = w->n_len = w->n_flops = 0;
    w->last_time = w->last_batches = w->last_samples = w->last_lengths = NAN;
}

/* _MonotonicWindow.append's check: totals only grow. */
static lit_status monotonic(double last, double v, const char *what) {
    if (!isnan(last) && !(last < v))
        return lit_set_error(LIT_ERR_STATE, "ThroughputMonitor: expected the %s to increase, last: %.17g, current: "
                             "%.17g", what, last, v);
    return LIT_OK;
}

static lit_status window_update(window *w, double time, double batches, double samples, int has_len, double lengths,
                                int has_flops, double flops) {
    LIT_TRY(monotonic(w->last_time, time, "time"));
    LIT_TRY(monotonic(w->last_batches, batches, "batches"));
    LIT_TRY(monotonic(w->last_samples, samples, "samples"));
    if (has_len) LIT_TRY(monotonic(w->last_lengths, lengths, "lengths"));
    if (has_len && w->n_len != w->n)
        return lit_set_error(LIT_ERR_STATE, "ThroughputMonitor: if lengths are passed (%d), there needs to be the "
                             "same number of samples (%d)", w->n_len + 1, w->n + 1);
    int slot;
    if (w->n < w->cap) {
        slot = at(w, w->n);
        w->n++;
    } else { /* full: the oldest falls out */
        slot = w->head;
        w->head = (w->head + 1) % w->cap;
    }
    w->time[slot] = time, w->batches[slot] = batches, w->samples[slot] = samples;
    w->last_time = time, w->last_batches = batches, w->last_samples = samples;
    if (has_len) {
        w->lengths[slot] = lengths;
        w->last_lengths = lengths;
        if (w->n_len < w->cap) w->n_len++;
    }
    if (has_flops) {
        w->flops[slot] = flops;
        if (w->n_flops < w->cap) w->n_flops++;
    }
    return LIT_OK;
}

static lit_status put(tp_state *s, const char *stage, const char *key, double v) {
    char name[256];
    snprintf(name, sizeof name, "%s%s%s", stage, s->separator, key);
    return lit__kv_set(&s->last, name, v);
}

/* Throughput.compute (world_size 1), prefixed with the stage, into s->last. */
static lit_status compute(tp_state *s, int stage) {
    const window *w = &s->st[stage].w;
    const char *nm = STAGE_NAMES[stage];
    char dev[64];
    lit__kv_clear(&s->last);
    if (w->n == 0) return LIT_OK;
    int newest = at(w, w->n - 1), oldest = at(w, 0);
    LIT_TRY(put(s, nm, "time", w->time[newest]));
    LIT_TRY(put(s, nm, "batches", w->batches[newest]));
    LIT_TRY(put(s, nm, "samples", w->samples[newest]));
    if (w->n_len) LIT_TRY(put(s, nm, "lengths", w->lengths[newest]));
    /* Only over a full window: a shorter one would be a different average. */
    if (w->n == w->cap) {
        double dt = w->time[newest] - w->time[oldest];
        double db = w->batches[newest] - w->batches[oldest];
        double ds = w->samples[newest] - w->samples[oldest];
        double sps = ds / dt;
        snprintf(dev, sizeof dev, "device%sbatches_per_sec", s->separator);
        LIT_TRY(put(s, nm, dev, db / dt));
        snprintf(dev, sizeof dev, "device%ssamples_per_sec", s->separator);
        LIT_TRY(put(s, nm, dev, sps));
        if (w->n_len == w->cap) {
            /* Lightning's formula: samples/s times the items per batch. */
            double avg_length = (w->lengths[newest] - w->lengths[oldest]) / db;
            snprintf(dev, sizeof dev, "device%sitems_per_sec", s->separator);
            LIT_TRY(put(s, nm, dev, sps * avg_length));
        }
    }
    if (w->n_flops == w->cap && w->n == w->cap) {
        /* The first batch's flops were spent before the window's first time. */
        double sum = 0;
        for (int k = 1; k < w->cap; k++) sum += w->flops[at(w, k)];
        double fps = sum / (w->time[newest] - w->time[oldest]);
        snprintf(dev, sizeof dev, "device%sflops_per_sec", s->separator);
        LIT_TRY(put(s, nm, dev, fps));
        if (s->p.available_flops > 0) {
            snprintf(dev, sizeof dev, "device%smfu", s->separator);
            LIT_TRY(put(s, nm, dev, fps / s->p.available_flops));
        }
    }
    return LIT_OK;
}

/* _start: a fit restarts every stage; outside fit a stage keeps counting
 * across runs once it has started. */
static void start(tp_state *s, lit_trainer *tr, int stage) {
    stage_state *ss = &s->st[stage];
    if (lit_trainer_stage(tr) == LIT_STAGE_FIT || !ss->started) {
        window_reset(&ss->w);
        ss->lengths = ss->samples = ss->batches = 0;
        ss->started = 1;
    }
    ss->t0 = lit_trainer_now(tr);
}

static lit_status update(tp_state *s, lit_trainer *tr, lit_module *m, const lit_batch *b, int stage) {
    stage_state *ss = &s->st[stage];
    double elapsed = lit_trainer_now(tr) - ss->t0;
    int has_len = s->p.length_fn != NULL;
    if (has_len) ss->lengths += (double)s->p.length_fn(b, s->p.user);
    int has_flops = s->p.flops_per_batch != NULL;
    double flops = has_flops ? s->p.flops_per_batch(m, s->p.user) : 0;
    if (!has_flops && !s->warned_flops) {
        /* Lightning warns on every batch; once is enough to be seen. */
        lit_logf(LIT_LOG_WARN, "When using the `ThroughputMonitor`, you need to set flops_per_batch in its params to "
                               "compute the FLOPs.");
        s->warned_flops = 1;
    }
    ss->samples += (double)(s->p.batch_size_fn ? s->p.batch_size_fn(b, s->p.user) : b->size);
    ss->batches += 1;
    ss->iter++;
    return window_update(&ss->w, elapsed, ss->batches, ss->samples, has_len, ss->lengths, has_flops, flops);
}

/* _compute: log when the trainer logs step values. `train`: through the
 * logger connector's rules ("epoch" added, step = batches_that_stepped). */
static lit_status compute_and_log(tp_state *s, lit_trainer *tr, int stage) {
    if (!lit_trainer_should_update_logs(tr)) return LIT_OK;
    LIT_TRY(compute(s, stage));
    int64_t step = s->st[stage].iter;
    if (stage == ST_TRAIN) {
        if (s->last.n) LIT_TRY(lit__kv_set(&s->last, "epoch", (double)lit_trainer_current_epoch(tr)));
        step = lit_trainer_batches_that_stepped(tr);
    }
    lit__kv_send(tr, &s->last, step, 1, &s->failed_loggers, LIT_THROUGHPUT_MONITOR_NAME);
    return LIT_OK;
}

static lit_status tp_on_train_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    start(cb->user, tr, ST_TRAIN);
    return LIT_OK;
}

/* Lightning's fit_loop._should_accumulate(): this batch did not step. */
static int accumulating(lit_trainer *tr, lit_module *m, int64_t i) {
    if (!m->automatic_optimization) return 0;
    int64_t acc = lit_trainer_get_params(tr)->accumulate_grad_batches;
    int64_t nb = lit_trainer_num_training_batches(tr);
    return !((i + 1) % acc == 0 || (nb >= 0 && i + 1 == nb));
}

static lit_status tp_on_train_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss,
                                        lit_batch *b, int64_t i) {
    (void)loss;
    tp_state *s = cb->user;
    LIT_TRY(update(s, tr, m, b, ST_TRAIN));
    /* Only once the effective batch is done, so its optimizer step is in the time. */
    if (!accumulating(tr, m, i)) LIT_TRY(compute_and_log(s, tr, ST_TRAIN));
    return LIT_OK;
}

static lit_status tp_on_validation_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    if (lit_trainer_sanity_checking(tr)) return LIT_OK;
    start(cb->user, tr, ST_VALIDATE);
    return LIT_OK;
}

static lit_status tp_on_validation_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *out,
                                             lit_batch *b, int64_t i, int dl) {
    (void)out, (void)i, (void)dl;
    if (lit_trainer_sanity_checking(tr)) return LIT_OK;
    LIT_TRY(update(cb->user, tr, m, b, ST_VALIDATE));
    return compute_and_log(cb->user, tr, ST_VALIDATE);
}

static lit_status tp_on_validation_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    tp_state *s = cb->user;
    if (lit_trainer_sanity_checking(tr) || lit_trainer_stage(tr) != LIT_STAGE_FIT) return LIT_OK;
    /* Move the training clock's origin past the validation, so the time
     * spent validating does not sink the training throughput. */
    const window *tw = &s->st[ST_TRAIN].w, *vw = &s->st[ST_VALIDATE].w;
    double train_elapsed = tw->n ? tw->time[at(tw, tw->n - 1)] : 0.0;
    double val_elapsed = vw->n ? vw->time[at(vw, vw->n - 1)] : 0.0;
    double training_finished = s->st[ST_TRAIN].t0 + train_elapsed;
    double gap = s->st[ST_VALIDATE].t0 - training_finished;
    s->st[ST_TRAIN].t0 += gap + val_elapsed;
    return LIT_OK;
}

/* Testing and predicting: every batch is measured and logged. */
#define TP_EVAL_HOOKS(on_start, on_batch_end, stage)                                                  \
    static lit_status on_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {                    \
        (void)m;                                                                                      \
        start(cb->user, tr, stage);                                                                   \
        return LIT_OK;                                                                                \
    }                                                                                                 \
    static lit_status on_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *out, \
                                   lit_batch *b, int64_t i, int dl) {                                 \
        (void)out, (void)i, (void)dl;                                                                 \
        LIT_TRY(update(cb->user, tr, m, b, stage));                                                   \
        return compute_and_log(cb->user, tr, stage);                                                  \
    }
TP_EVAL_HOOKS(tp_on_test_start, tp_on_test_batch_end, ST_TEST)
TP_EVAL_HOOKS(tp_on_predict_start, tp_on_predict_batch_end, ST_PREDICT)
#undef TP_EVAL_HOOKS

static lit_status tp_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)tr, (void)m, (void)stage;
    tp_state *s = cb->user;
    s->failed_loggers = 0;
    return LIT_OK;
}

static void tp_free(lit_callback *cb) {
    tp_state *s = cb->user;
    if (!s) return;
    for (int k = 0; k < ST_COUNT; k++) {
        window *w = &s->st[k].w;
        free(w->time), free(w->batches), free(w->samples), free(w->lengths), free(w->flops);
    }
    lit__kv_free(&s->last);
    free(s->separator);
    free(s);
    cb->user = NULL;
}

lit_status lit_throughput_monitor_callback(lit_callback *cb, const lit_throughput_monitor_params *p) {
    LIT_ASSERT(cb, "lit_throughput_monitor_callback: cb must not be NULL");
    lit_throughput_monitor_params v = p ? *p : lit_throughput_monitor_default_params();
    if (v.window_size < 2)
        return lit_set_error(LIT_ERR_CONFIG, "ThroughputMonitor(window_size=%d): must be > 1 (the rates are "
                             "differences between the window's first and last entries)", v.window_size);
    if (!isfinite(v.available_flops) || v.available_flops < 0)
        return lit_set_error(LIT_ERR_CONFIG, "ThroughputMonitor(available_flops=%g): must be finite and >= 0",
                             v.available_flops);
    const char *sep = v.separator ? v.separator : "/";
    if (!sep[0]) return lit_set_error(LIT_ERR_CONFIG, "ThroughputMonitor: separator must not be empty");
    tp_state *s = calloc(1, sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_throughput_monitor_callback: out of memory");
    s->p = v;
    s->separator = strdup(sep);
    int ok = s->separator != NULL;
    for (int k = 0; k < ST_COUNT && ok; k++) {
        window *w = &s->st[k].w;
        w->cap = v.window_size;
        size_t n = (size_t)v.window_size;
        w->time = malloc(n * sizeof(double)), w->batches = malloc(n * sizeof(double));
        w->samples = malloc(n * sizeof(double)), w->lengths = malloc(n * sizeof(double));
        w->flops = malloc(n * sizeof(double));
        ok = w->time && w->batches && w->samples && w->lengths && w->flops;
        window_reset(w);
    }
    if (!ok) {
        lit_callback tmp = { .user = s };
        tp_free(&tmp);
        return lit_set_error(LIT_ERR_NOMEM, "lit_throughput_monitor_callback: out of memory");
    }
    s->p.separator = NULL;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_THROUGHPUT_MONITOR_NAME,
        .user = s,
        .setup = tp_setup,
        .on_train_start = tp_on_train_start,
        .on_train_batch_end = tp_on_train_batch_end,
        .on_validation_start = tp_on_validation_start,
        .on_validation_batch_end = tp_on_validation_batch_end,
        .on_validation_end = tp_on_validation_end,
        .on_test_start = tp_on_test_start,
        .on_test_batch_end = tp_on_test_batch_end,
        .on_predict_start = tp_on_predict_start,
        .on_predict_batch_end = tp_on_predict_batch_end,
        .free = tp_free,
    };
    return LIT_OK;
}

static tp_state *state_of(const lit_callback *cb) {
    LIT_ASSERT(cb && cb->on_train_batch_end == tp_on_train_batch_end && cb->user,
               "lit_throughput_monitor_*: the callback is not a ThroughputMonitor (lit_throughput_monitor_callback) "
               "or was freed");
    return cb->user;
}

int lit_throughput_monitor_num_last(const lit_callback *cb) { return state_of(cb)->last.n; }
const char *lit_throughput_monitor_last_name(const lit_callback *cb, int i) {
    tp_state *s = state_of(cb);
    LIT_ASSERT(i >= 0 && i < s->last.n, "lit_throughput_monitor_last_name: index %d of %d", i, s->last.n);
    return s->last.names[i];
}
double lit_throughput_monitor_last_value(const lit_callback *cb, int i) {
    tp_state *s = state_of(cb);
    LIT_ASSERT(i >= 0 && i < s->last.n, "lit_throughput_monitor_last_value: index %d of %d", i, s->last.n);
    return s->last.values[i];
}
int lit_throughput_monitor_last(const lit_callback *cb, const char *name, double *out) {
    tp_state *s = state_of(cb);
    int i = lit__kv_find(&s->last, name);
    if (i < 0) return 0;
    if (out) *out = s->last.values[i];
    return 1;
}
