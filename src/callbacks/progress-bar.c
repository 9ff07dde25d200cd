/*
 * src/callbacks/progress-bar.c — the TQDMProgressBar callback: drives a
 * lit_progress (progress.h) from the Trainer's hooks. See default-callbacks.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "litc/callbacks.h"
#include "litc/progress.h"

#define MAX_BAR_METRICS 32

typedef struct {
    lit_progress_bar_params p;
    lit_progress *bar;
    int epoch_open;      /* an "Epoch N" stage is open */
    int64_t epoch_done;  /* its batches so far */
    int eval_open;       /* a validation/test/predict stage is open */
    int64_t eval_done;   /* its batches so far, over all its dataloaders */
} pbar;

lit_progress_bar_params lit_progress_bar_default_params(void) {
    return (lit_progress_bar_params){ .out = NULL, .is_tty = -1, .refresh_seconds = 0.1 };
}

/* The bar is made on first use so that a Trainer that never runs a loop
 * never touches the terminal. */
static lit_progress *bar_of(pbar *s) {
    if (!s->bar) s->bar = lit_progress_new(s->p.out ? s->p.out : stdout, s->p.is_tty, s->p.refresh_seconds);
    return s->bar;
}

static void update(pbar *s, lit_trainer *tr, int64_t done) {
    const char *names[MAX_BAR_METRICS + 1];
    double values[MAX_BAR_METRICS + 1];
    int n = 0;
    /* Lightning's get_metrics: the logger's version first, as v_num. */
    int64_t version = lit_trainer_logger_version(tr);
    if (version >= 0) {
        names[n] = "v_num";
        values[n++] = (double)version;
    }
    int k = lit_trainer_metric_count(tr, LIT_METRICS_PROGRESS_BAR);
    if (k > MAX_BAR_METRICS) k = MAX_BAR_METRICS;
    for (int i = 0; i < k; i++, n++) {
        names[n] = lit_trainer_metric_name(tr, LIT_METRICS_PROGRESS_BAR, i);
        values[n] = lit_trainer_metric_value(tr, LIT_METRICS_PROGRESS_BAR, i);
    }
    lit_progress_update(s->bar, done, n, names, values);
}

/* ---------------------------------------------------------------- training */

static lit_status on_train_epoch_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    pbar *s = cb->user;
    if (!bar_of(s)) return LIT_OK;
    char name[48];
    snprintf(name, sizeof name, "Epoch %lld", (long long)lit_trainer_current_epoch(tr));
    lit_progress_stage_begin(s->bar, name, lit_trainer_num_training_batches(tr));
    s->epoch_open = 1;
    s->epoch_done = 0;
    return LIT_OK;
}

static lit_status on_train_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss,
                                     lit_batch *b, int64_t batch_idx) {
    (void)m, (void)loss, (void)b;
    pbar *s = cb->user;
    if (!s->epoch_open) return LIT_OK;
    s->epoch_done = batch_idx + 1;
    update(s, tr, s->epoch_done);
    return LIT_OK;
}

static lit_status on_train_epoch_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    pbar *s = cb->user;
    if (!s->epoch_open) return LIT_OK;
    update(s, tr, s->epoch_done);
    lit_progress_stage_end(s->bar);
    s->epoch_open = 0;
    return LIT_OK;
}

/* ---------------------------------------------------------------- evaluation */

static void eval_begin(pbar *s, lit_trainer *tr, const char *name) {
    if (!bar_of(s)) return;
    /* Inside fit the validation bar nests under the epoch's bar. */
    lit_progress_stage_begin(s->bar, name, lit_trainer_num_eval_batches(tr));
    s->eval_open = 1;
    s->eval_done = 0;
}

static void eval_batch(pbar *s) {
    if (!s->eval_open) return;
    s->eval_done++;
    lit_progress_update(s->bar, s->eval_done, -1, NULL, NULL);
}

static void eval_end(pbar *s, lit_trainer *tr, int show_metrics) {
    if (!s->eval_open) return;
    if (show_metrics) update(s, tr, s->eval_done);
    lit_progress_stage_end(s->bar);
    s->eval_open = 0;
    /* The epoch's bar now shows the validation metrics too. */
    if (s->epoch_open) update(s, tr, s->epoch_done);
}

static lit_status on_validation_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    eval_begin(cb->user, tr, lit_trainer_sanity_checking(tr) ? "Sanity Checking" : "Validation");
    return LIT_OK;
}
static lit_status on_validation_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *out,
                                          lit_batch *b, int64_t i, int dl) {
    (void)tr, (void)m, (void)out, (void)b, (void)i, (void)dl;
    eval_batch(cb->user);
    return LIT_OK;
}
static lit_status on_validation_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    /* A stand-alone validate shows its metrics on its own bar. */
    eval_end(cb->user, tr, lit_trainer_stage(tr) != LIT_STAGE_FIT);
    return LIT_OK;
}

static lit_status on_test_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    eval_begin(cb->user, tr, "Testing");
    return LIT_OK;
}
static lit_status on_test_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *out,
                                    lit_batch *b, int64_t i, int dl) {
    (void)tr, (void)m, (void)out, (void)b, (void)i, (void)dl;
    eval_batch(cb->user);
    return LIT_OK;
}
static lit_status on_test_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    eval_end(cb->user, tr, 1);
    return LIT_OK;
}

static lit_status on_predict_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    eval_begin(cb->user, tr, "Predicting");
    return LIT_OK;
}
static lit_status on_predict_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *out,
                                       lit_batch *b, int64_t i, int dl) {
    (void)tr, (void)m, (void)out, (void)b, (void)i, (void)dl;
    eval_batch(cb->user);
    return LIT_OK;
}
static lit_status on_predict_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    eval_end(cb->user, tr, 0);
    return LIT_OK;
}

/* ---------------------------------------------------------------- lifetime */

/* A failing run leaves stages open: close them so the terminal is left tidy. */
static void on_exception(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_status st) {
    (void)tr, (void)m, (void)st;
    pbar *s = cb->user;
    while (s->bar && lit_progress_depth(s->bar) > 0) lit_progress_stage_end(s->bar);
    s->epoch_open = s->eval_open = 0;
}

static void pbar_free(lit_callback *cb) {
    pbar *s = cb->user;
    if (!s) return;
    lit_progress_free(s->bar);
    free(s);
    cb->user = NULL;
}

lit_status lit_progress_bar_callback(lit_callback *cb, const lit_progress_bar_params *p) {
    LIT_ASSERT(cb, "lit_progress_bar_callback: cb must not be NULL");
    pbar *s = calloc(1, sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_progress_bar_callback: out of memory");
    s->p = p ? *p : lit_progress_bar_default_params();
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_PROGRESS_BAR_NAME,
        .user = s,
        .on_train_epoch_start = on_train_epoch_start,
        .on_train_batch_end = on_train_batch_end,
        .on_train_epoch_end = on_train_epoch_end,
        .on_validation_start = on_validation_start,
        .on_validation_batch_end = on_validation_batch_end,
        .on_validation_end = on_validation_end,
        .on_test_start = on_test_start,
        .on_test_batch_end = on_test_batch_end,
        .on_test_end = on_test_end,
        .on_predict_start = on_predict_start,
        .on_predict_batch_end = on_predict_batch_end,
        .on_predict_end = on_predict_end,
        .on_exception = on_exception,
        .free = pbar_free,
    };
    return LIT_OK;
}
