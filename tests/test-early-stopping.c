/*
 * tests/test-early-stopping.c — EarlyStopping (early-stopping.h) against
 * Lightning 2.x's early_stopping.py: a tiny regression module whose
 * validation logs a scripted "val/loss" per epoch (or per validation run);
 * the stop epoch, wait count, best score and reason are worked out by hand
 * in each test, as is the state round trip through a checkpoint and a
 * resume from ModelCheckpoint's last.ckpt.
 */
#include <math.h>
#include <stdint.h>

#include "harness.h"
#include "scripted-fit.h"

static lit_trainer_params params_epochs(int64_t epochs) {
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = epochs;
    return p;
}

static lit_callback make_es(const lit_early_stopping_params *p) {
    lit_callback cb;
    memset(&cb, 0, sizeof cb);
    lit_status st = lit_early_stopping_callback(&cb, p);
    CHECK_MSG(st == LIT_OK, "lit_early_stopping_callback: %s", lit_last_error());
    return cb;
}

/* One fit of up to max_epochs with one EarlyStopping; returns the status. */
static lit_status fit_es(run_t *r, const double *script, int n, const lit_early_stopping_params *ep,
                         lit_trainer_params tp, lit_callback *cb) {
    run_init(r, script, n, NULL);
    *cb = make_es(ep);
    return run_fit(r, &tp, cb, 1, NULL);
}

/* ---------------------------------------------------------------- log capture */

static char captured[8192];
static void capture(lit_log_level level, const char *msg, void *user) {
    (void)user;
    if (level != LIT_LOG_INFO && level != LIT_LOG_WARN) return;
    size_t n = strlen(captured);
    snprintf(captured + n, sizeof captured - n, "%s\n", msg);
}

/* ---------------------------------------------------------------- stopping rules */

TEST(patience) {
    /* 0.5 improve, 0.375 improve, then 0.4375 0.40625 0.390625 do not beat 0.375:
     * wait 1, 2, 3 -> stop at epoch 4 (5 epochs ran of 10). */
    static const double s[] = { 0.5, 0.375, 0.4375, 0.40625, 0.390625, 0.1 };
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    run_t r;
    lit_callback cb;
    lit_status st = fit_es(&r, s, 6, &ep, params_epochs(10), &cb);
    CHECK_MSG(st == LIT_OK, "fit: %s", lit_last_error());
    CHECK_EQ_INT(r.md.epochs_run, 5);
    CHECK_EQ_INT(lit_trainer_current_epoch(r.tr), 5); /* the stopped epoch counts as finished */
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 4);
    CHECK_EQ_INT(lit_early_stopping_wait_count(&cb), 3);
    CHECK_EQ_INT(lit_early_stopping_best_score(&cb) == 0.375, 1);
    CHECK_EQ_INT(lit_early_stopping_stopping_reason(&cb), LIT_ES_PATIENCE_EXHAUSTED);
    CHECK_STR_EQ(lit_early_stopping_reason_name(lit_early_stopping_stopping_reason(&cb)), "PATIENCE_EXHAUSTED");
    CHECK_STR_EQ(lit_early_stopping_reason_message(&cb),
                 "Monitored metric val/loss did not improve in the last 3 records. Best score: 0.375. "
                 "Signaling Trainer to stop.");
    CHECK(lit_trainer_should_stop(r.tr));
    run_free(&r);

    /* patience 0: the first check without improvement stops */
    static const double s0[] = { 0.5, 0.5 };
    ep.patience = 0;
    st = fit_es(&r, s0, 2, &ep, params_epochs(10), &cb);
    CHECK_EQ_INT(st, LIT_OK);
    CHECK_EQ_INT(r.md.epochs_run, 2);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 1);
    run_free(&r);

    /* never stopping: max_epochs ends it, nothing recorded */
    static const double down[] = { 0.5, 0.25, 0.125, 0.0625 };
    ep.patience = 1;
    st = fit_es(&r, down, 4, &ep, params_epochs(4), &cb);
    CHECK_EQ_INT(st, LIT_OK);
    CHECK_EQ_INT(r.md.epochs_run, 4);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 0);
    CHECK_EQ_INT(lit_early_stopping_stopping_reason(&cb), LIT_ES_NOT_STOPPED);
    CHECK(lit_early_stopping_reason_message(&cb) == NULL);
    CHECK_EQ_INT(lit_early_stopping_best_score(&cb) == 0.0625, 1);
    run_free(&r);
}

TEST(min_delta_and_max_mode) {
    /* min, min_delta 0.125, patience 2: an improvement must beat best - 0.125.
     *   e0 1.0      improve (best inf)          best 1.0
     *   e1 0.875    0.875 + 0.125 = 1.0, not < 1.0: wait 1 (equal to min_delta is no improvement)
     *   e2 0.8125   0.9375 < 1.0: improve       best 0.8125
     *   e3 0.75     0.875 not < 0.8125: wait 1
     *   e4 0.71875  0.84375: wait 2 -> stop at epoch 4 */
    static const double s[] = { 1.0, 0.875, 0.8125, 0.75, 0.71875, 0.0 };
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    ep.min_delta = 0.125;
    ep.patience = 2;
    run_t r;
    lit_callback cb;
    CHECK_EQ_INT(fit_es(&r, s, 6, &ep, params_epochs(10), &cb), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 4);
    CHECK_EQ_INT(lit_early_stopping_best_score(&cb) == 0.8125, 1);
    CHECK_EQ_INT(r.md.epochs_run, 5);
    run_free(&r);

    /* a negative min_delta flips (Lightning multiplies it by -1 for min):
     * current - 0.125 < best, so even an equal value improves: no stop */
    ep.min_delta = -0.125;
    CHECK_EQ_INT(fit_es(&r, s, 6, &ep, params_epochs(10), &cb), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 0);
    CHECK_EQ_INT(r.md.epochs_run, 10);
    CHECK_EQ_INT(lit_early_stopping_best_score(&cb) == 0.0, 1);
    run_free(&r);

    /* max on val_acc = 1 - val/loss: 0.5, 0.625, 0.625, 0.75, 0.75, 0.75 with patience 2:
     * e2 equal: wait 1; e3 improve; e4, e5 wait 1, 2 -> stop at 5 */
    static const double m[] = { 0.5, 0.375, 0.375, 0.25, 0.25, 0.25, 0.0 };
    ep = lit_early_stopping_default_params();
    ep.monitor = "val_acc";
    ep.mode = LIT_MAX;
    ep.patience = 2;
    run_init(&r, m, 7, NULL);
    r.md.extra_name = "val_acc";
    cb = make_es(&ep);
    lit_trainer_params tp = params_epochs(10);
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 5);
    CHECK_EQ_INT(lit_early_stopping_best_score(&cb) == 0.75, 1);
    CHECK_STR_EQ(cb.state_key, "EarlyStopping{'monitor': 'val_acc', 'mode': 'max'}");
    run_free(&r);
}

TEST(thresholds) {
    /* stopping_threshold 0.3 (min): strictly below it stops; 0.3 itself does not */
    static const double s[] = { 0.5, 0.3, 0.25, 0.1 };
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    ep.stopping_threshold = 0.3;
    run_t r;
    lit_callback cb;
    CHECK_EQ_INT(fit_es(&r, s, 4, &ep, params_epochs(10), &cb), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 2);
    CHECK_EQ_INT(lit_early_stopping_stopping_reason(&cb), LIT_ES_STOPPING_THRESHOLD);
    CHECK_STR_EQ(lit_early_stopping_reason_message(&cb),
                 "Stopping threshold reached: val/loss = 0.25 < 0.3. Signaling Trainer to stop.");
    /* the threshold stop does not update best_score (Lightning's elif chain) */
    CHECK_EQ_INT(lit_early_stopping_best_score(&cb) == 0.3, 1);
    run_free(&r);

    /* divergence_threshold 1.0 (min): strictly above it stops */
    static const double d[] = { 0.5, 1.0, 1.5, 0.1 };
    ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    ep.divergence_threshold = 1.0;
    ep.patience = 10;
    CHECK_EQ_INT(fit_es(&r, d, 4, &ep, params_epochs(10), &cb), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 2);
    CHECK_EQ_INT(lit_early_stopping_stopping_reason(&cb), LIT_ES_DIVERGENCE_THRESHOLD);
    CHECK_STR_EQ(lit_early_stopping_reason_message(&cb),
                 /* Lightning prints the mode's order ("<" for min) here too */
                 "Divergence threshold reached: val/loss = 1.5 < 1. Signaling Trainer to stop.");
    CHECK_EQ_INT(lit_early_stopping_wait_count(&cb), 1); /* e1 1.0 did not improve on 0.5 */
    run_free(&r);

    /* max mode: stop once above the stopping threshold, or below the divergence threshold */
    static const double a[] = { 0.5, 0.25, 0.125 }; /* val_acc 0.5, 0.75, 0.875 */
    ep = lit_early_stopping_default_params();
    ep.monitor = "val_acc";
    ep.mode = LIT_MAX;
    ep.stopping_threshold = 0.8;
    run_init(&r, a, 3, NULL);
    r.md.extra_name = "val_acc";
    cb = make_es(&ep);
    lit_trainer_params tp = params_epochs(10);
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 2);
    CHECK_STR_CONTAINS(lit_early_stopping_reason_message(&cb), "val_acc = 0.875 > 0.8");
    run_free(&r);
}

TEST(non_finite) {
    static const double s[] = { 0.5, 0.375, NAN, 0.1 };
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    run_t r;
    lit_callback cb;
    CHECK_EQ_INT(fit_es(&r, s, 4, &ep, params_epochs(10), &cb), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 2);
    CHECK_EQ_INT(lit_early_stopping_stopping_reason(&cb), LIT_ES_NON_FINITE_METRIC);
    CHECK_STR_EQ(lit_early_stopping_reason_message(&cb),
                 "Monitored metric val/loss = nan is not finite. Previous best value was 0.375. "
                 "Signaling Trainer to stop.");
    run_free(&r);

    /* +inf too */
    static const double inf[] = { 0.5, INFINITY };
    CHECK_EQ_INT(fit_es(&r, inf, 2, &ep, params_epochs(10), &cb), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 1);
    CHECK_EQ_INT(lit_early_stopping_stopping_reason(&cb), LIT_ES_NON_FINITE_METRIC);
    run_free(&r);

    /* check_finite off: NaN is just no improvement (NaN < best is false) */
    ep.check_finite = 0;
    ep.patience = 2;
    static const double n2[] = { 0.5, NAN, NAN, 0.1 };
    CHECK_EQ_INT(fit_es(&r, n2, 4, &ep, params_epochs(10), &cb), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 2);
    CHECK_EQ_INT(lit_early_stopping_stopping_reason(&cb), LIT_ES_PATIENCE_EXHAUSTED);
    CHECK_EQ_INT(lit_early_stopping_best_score(&cb) == 0.5, 1);
    run_free(&r);
}

TEST(checks_per_validation) {
    /* validation twice per epoch (val_check_interval 0.5): the default
     * checks after each validation, so patience counts validations.
     * per-validation values 0.5, 0.375, 0.375, 0.375 with patience 2:
     * v0, v1 improve; v2 wait 1; v3 wait 2 -> stop in epoch 1. */
    static const double s[] = { 0.5, 0.375, 0.375, 0.375, 0.375, 0.375 };
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    ep.patience = 2;
    run_t r;
    run_init(&r, s, 6, NULL);
    r.md.per_validation = 1;
    lit_callback cb = make_es(&ep);
    lit_trainer_params tp = params_epochs(10);
    tp.val_check_interval = 0.5;
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 1);
    CHECK_EQ_INT(r.md.n_val_runs, 4);
    CHECK_EQ_INT(r.md.epochs_run, 2);
    run_free(&r);

    /* check_on_train_epoch_end = 1 with the same validations: one check per epoch
     * (it sees the epoch's last validation: 0.375, 0.375, 0.375, ... per epoch
     * = values v1, v3, v5): e0 improve, e1 wait 1, e2 wait 2 -> stop at epoch 2 */
    run_init(&r, s, 6, NULL);
    r.md.per_validation = 1;
    ep.check_on_train_epoch_end = 1;
    cb = make_es(&ep);
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 2);
    CHECK_EQ_INT(r.md.epochs_run, 3);
    run_free(&r);

    /* min_epochs keeps training after the stop request (Lightning's _can_stop_early) */
    static const double flat[] = { 0.5 };
    ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    ep.patience = 1;
    tp = params_epochs(10);
    tp.min_epochs = 4;
    CHECK_EQ_INT(fit_es(&r, flat, 1, &ep, tp, &cb), LIT_OK);
    CHECK_EQ_INT(r.md.epochs_run, 4);
    CHECK_EQ_INT(lit_early_stopping_wait_count(&cb), 3);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cb), 3); /* the last request */
    run_free(&r);
}

TEST(missing_monitor_and_fast_dev_run) {
    static const double s[] = { 0.5 };
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val_accuracy";
    run_t r;
    lit_callback cb;
    CHECK_EQ_INT(fit_es(&r, s, 1, &ep, params_epochs(3), &cb), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "Early stopping conditioned on metric `val_accuracy` which is not available");
    CHECK_STR_CONTAINS(lit_last_error(), "`val/loss`");
    CHECK_STR_CONTAINS(lit_last_error(), "`train_loss`");
    run_free(&r);

    ep.strict = 0;
    CHECK_EQ_INT(fit_es(&r, s, 1, &ep, params_epochs(3), &cb), LIT_OK);
    CHECK_EQ_INT(r.md.epochs_run, 3);
    CHECK_EQ_INT(lit_early_stopping_stopping_reason(&cb), LIT_ES_NOT_STOPPED);
    run_free(&r);

    /* fast_dev_run disables it */
    static const double flat[] = { 0.5 };
    ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    ep.patience = 0;
    lit_trainer_params tp = params_epochs(3);
    tp.fast_dev_run = 1;
    CHECK_EQ_INT(fit_es(&r, flat, 1, &ep, tp, &cb), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_wait_count(&cb), 0);
    CHECK_EQ_INT(isinf(lit_early_stopping_best_score(&cb)), 1);
    run_free(&r);
}

TEST(verbose_messages) {
    static const double s[] = { 0.5, 0.375, 0.5 };
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    ep.patience = 1;
    ep.verbose = 1;
    captured[0] = 0;
    lit_log_level old = lit_log_get_level();
    lit_log_set_level(LIT_LOG_INFO);
    lit_log_set_callback(capture, NULL);
    run_t r;
    lit_callback cb;
    CHECK_EQ_INT(fit_es(&r, s, 3, &ep, params_epochs(10), &cb), LIT_OK);
    lit_log_set_callback(NULL, NULL);
    lit_log_set_level(old);
    CHECK_STR_CONTAINS(captured, "Metric val/loss improved. New best score: 0.500\n");
    CHECK_STR_CONTAINS(captured, "Metric val/loss improved by 0.125 >= min_delta = 0. New best score: 0.375\n");
    CHECK_STR_CONTAINS(captured, "Monitored metric val/loss did not improve in the last 1 records. Best score: 0.375. "
                                 "Signaling Trainer to stop.\n");
    run_free(&r);
}

TEST(bad_params) {
    lit_callback cb;
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    CHECK_EQ_INT(lit_early_stopping_callback(&cb, &ep), LIT_ERR_CONFIG); /* no monitor */
    CHECK_STR_CONTAINS(lit_last_error(), "monitor");
    ep.monitor = "";
    CHECK_EQ_INT(lit_early_stopping_callback(&cb, &ep), LIT_ERR_CONFIG);
    ep.monitor = "val/loss";
    ep.mode = (lit_monitor_mode)3;
    CHECK_EQ_INT(lit_early_stopping_callback(&cb, &ep), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "mode");
    ep.mode = LIT_MIN;
    ep.patience = -1;
    CHECK_EQ_INT(lit_early_stopping_callback(&cb, &ep), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "patience=-1");
    ep.patience = 3;
    ep.min_delta = NAN;
    CHECK_EQ_INT(lit_early_stopping_callback(&cb, &ep), LIT_ERR_CONFIG);
    ep.min_delta = 0;
    cb = make_es(&ep);
    CHECK_STR_EQ(cb.state_key, "EarlyStopping{'monitor': 'val/loss', 'mode': 'min'}");
    CHECK_STR_EQ(cb.name, LIT_EARLY_STOPPING_NAME);
    CHECK_EQ_INT(cb.monitoring, 1);
    CHECK_EQ_INT(lit_early_stopping_patience(&cb), 3);
    CHECK_EQ_INT(isinf(lit_early_stopping_best_score(&cb)) && lit_early_stopping_best_score(&cb) > 0, 1);
    cb.free(&cb);
    ep.mode = LIT_MAX;
    cb = make_es(&ep);
    CHECK_EQ_INT(isinf(lit_early_stopping_best_score(&cb)) && lit_early_stopping_best_score(&cb) < 0, 1);
    cb.free(&cb);
}

/* ---------------------------------------------------------------- state */

TEST(state_round_trip_and_resume) {
    /* after 0.5, 0.375, 0.4375 (3 epochs, patience 3): wait 1, best 0.375 */
    static const double s[] = { 0.5, 0.375, 0.4375, 0.40625, 0.390625, 0.1 };
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss";
    char *dir = make_tmp_dir("es");
    lit_model_checkpoint_params mp = lit_model_checkpoint_default_params();
    mp.dirpath = dir;
    mp.save_last = 1;
    mp.save_top_k = 0;
    run_t r;
    run_init(&r, s, 6, NULL);
    lit_callback cbs[2];
    cbs[0] = make_es(&ep);
    CHECK_EQ_INT(lit_model_checkpoint_callback(&cbs[1], &mp), LIT_OK);
    lit_trainer_params tp = params_epochs(3);
    tp.enable_checkpointing = 1; /* a ModelCheckpoint is added below */
    CHECK_EQ_INT(run_fit(&r, &tp, cbs, 2, NULL), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_wait_count(&cbs[0]), 1);

    lit_checkpoint *ck = lit_checkpoint_new();
    CHECK_EQ_INT(cbs[0].state_save(&cbs[0], ck), LIT_OK);
    int64_t v = -1;
    CHECK_EQ_INT(lit_checkpoint_get_int(ck, "wait_count", &v), LIT_OK);
    CHECK_EQ_INT(v, 1);
    CHECK_EQ_INT(lit_checkpoint_get_int(ck, "patience", &v), LIT_OK);
    CHECK_EQ_INT(v, 3);
    lit_callback other = make_es(&ep);
    CHECK_EQ_INT(other.state_load(&other, ck), LIT_OK);
    CHECK_EQ_INT(lit_early_stopping_wait_count(&other), 1);
    CHECK_EQ_INT(lit_early_stopping_best_score(&other) == 0.375, 1);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&other), 0);
    CHECK_EQ_INT(lit_early_stopping_patience(&other), 3);
    other.free(&other);
    lit_checkpoint_free(ck);
    run_free(&r);

    /* resume from last.ckpt with a fresh EarlyStopping whose patience is 10:
     * the saved patience (3) and wait count come back, so it stops at epoch
     * 4 exactly as the uninterrupted run of test patience does. */
    run_init(&r, s, 6, NULL);
    ep.patience = 10;
    cbs[0] = make_es(&ep);
    CHECK_EQ_INT(lit_model_checkpoint_callback(&cbs[1], &mp), LIT_OK);
    tp = params_epochs(10);
    tp.enable_checkpointing = 1;
    lit_status st = run_fit(&r, &tp, cbs, 2, "last");
    CHECK_MSG(st == LIT_OK, "resume: %s", lit_last_error());
    CHECK_EQ_INT(lit_early_stopping_patience(&cbs[0]), 3);
    CHECK_EQ_INT(lit_early_stopping_stopped_epoch(&cbs[0]), 4);
    CHECK_EQ_INT(lit_early_stopping_wait_count(&cbs[0]), 3);
    CHECK_EQ_INT(r.md.epochs_run, 2); /* epochs 3 and 4 */
    run_free(&r);
    rm_rf(dir);
}

/* A checkpoint saved before the state_key's repr matched Python's (the
 * monitor's newline was written raw) still gives its state back. */
TEST(resumes_a_state_saved_under_the_earlier_key) {
    static const double s[] = { 0.5, 0.375, 0.4375 };
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "a\nb"; /* never logged: strict = 0 leaves the state alone */
    ep.strict = 0;
    ep.patience = 5;
    char *dir = make_tmp_dir("es-old-key");
    lit_model_checkpoint_params mp = lit_model_checkpoint_default_params();
    mp.dirpath = dir;
    mp.save_last = 1;
    mp.save_top_k = 0;
    run_t r;
    run_init(&r, s, 3, NULL);
    lit_callback cbs[2];
    cbs[0] = make_es(&ep);
    CHECK_STR_EQ(cbs[0].state_key, "EarlyStopping{'monitor': 'a\\nb', 'mode': 'min'}");
    cbs[0].state_key = "EarlyStopping{'monitor': 'a\nb', 'mode': 'min'}"; /* the earlier text */
    CHECK_EQ_INT(lit_model_checkpoint_callback(&cbs[1], &mp), LIT_OK);
    lit_trainer_params tp = params_epochs(1);
    tp.enable_checkpointing = 1;
    CHECK_EQ_INT(run_fit(&r, &tp, cbs, 2, NULL), LIT_OK);
    run_free(&r);

    run_init(&r, s, 3, NULL);
    ep.patience = 10;
    cbs[0] = make_es(&ep);
    CHECK_EQ_INT(lit_model_checkpoint_callback(&cbs[1], &mp), LIT_OK);
    tp = params_epochs(2);
    tp.enable_checkpointing = 1;
    lit_status st = run_fit(&r, &tp, cbs, 2, "last");
    CHECK_MSG(st == LIT_OK, "resume: %s", lit_last_error());
    CHECK_EQ_INT(lit_early_stopping_patience(&cbs[0]), 5); /* restored, not the fresh 10 */
    run_free(&r);
    rm_rf(dir);
}

int main(void) {
    lit_log_set_level(LIT_LOG_ERROR);
    RUN(patience);
    RUN(min_delta_and_max_mode);
    RUN(thresholds);
    RUN(non_finite);
    RUN(checks_per_validation);
    RUN(missing_monitor_and_fast_dev_run);
    RUN(verbose_messages);
    RUN(bad_params);
    RUN(state_round_trip_and_resume);
    RUN(resumes_a_state_saved_under_the_earlier_key);
    return harness_summary();
}
