/*
 * tests/test-callbacks-monitors.c — LearningRateMonitor, Timer,
 * ThroughputMonitor, DeviceStatsMonitor and GradientAccumulationScheduler
 * (monitors.h) in real fits: the lrs logged per group against the
 * scheduler's formula (StepLR per step, cosine per epoch) with Lightning's
 * names; the Timer's exact stop on a fake clock and its budget across a
 * resume; the throughput values over a window on a fake clock; CPU stats
 * that agree with /proc; the optimizer steps per epoch under an
 * accumulation schedule; and the configuration errors of each.
 */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "harness.h"
#include "litc/callbacks.h"
#include "litc/checkpoint.h"
#include "tmp-dir.h"

/* ---------------------------------------------------------------- a recording logger */

#define MAX_CALLS 512

typedef struct {
    int64_t step;
    int n;
    char names[24][80];
    double values[24];
} call;

typedef struct {
    call calls[MAX_CALLS];
    int n_calls;
} rec_logger;

static lit_status lg_metrics(lit_logger *lg, int n, const char *const *names, const double *values, int64_t step) {
    rec_logger *r = lg->user;
    if (r->n_calls >= MAX_CALLS) return LIT_OK;
    call *c = &r->calls[r->n_calls++];
    c->step = step;
    c->n = n < 24 ? n : 24;
    for (int i = 0; i < c->n; i++) {
        snprintf(c->names[i], sizeof c->names[i], "%s", names[i]);
        c->values[i] = values[i];
    }
    return LIT_OK;
}

static lit_logger make_logger(rec_logger *r) {
    memset(r, 0, sizeof *r);
    return (lit_logger){ .version = LIT_LOGGER_VERSION, .name = "Recorder", .user = r, .log_metrics = lg_metrics };
}

/* The value of `name` in the first call at `step` that has it. */
static int find_value(const rec_logger *r, int64_t step, const char *name, double *out) {
    for (int i = 0; i < r->n_calls; i++) {
        if (r->calls[i].step != step) continue;
        for (int k = 0; k < r->calls[i].n; k++)
            if (!strcmp(r->calls[i].names[k], name)) {
                *out = r->calls[i].values[k];
                return 1;
            }
    }
    return 0;
}
/* How many calls carry `name`. */
static int count_name(const rec_logger *r, const char *name) {
    int c = 0;
    for (int i = 0; i < r->n_calls; i++)
        for (int k = 0; k < r->calls[i].n; k++) c += !strcmp(r->calls[i].names[k], name);
    return c;
}

/* ---------------------------------------------------------------- data and a configurable model */

static lit_status ds_get(void *u, int64_t i, lit_sample *out, lit_arena *a) {
    (void)u;
    lit_tensor *x = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){ 1 }, 1);
    lit_f32(x)[0] = (float)(i % 5) * 0.25f;
    out->n = 1;
    out->fields[0] = (lit_field){ .name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x };
    return LIT_OK;
}
static int64_t ds_len(void *u) { return *(int64_t *)u; }
static int64_t n_train = 8, n_val = 4;
static lit_dataloader *train_dl, *val_dl;
static lit_dataloader *make_dl(int64_t *n) {
    lit_dataset ds = { .version = LIT_DATASET_VERSION, .len = ds_len, .get = ds_get, .user = n };
    lit_dataloader_params p = lit_dataloader_default_params();
    p.batch_size = 2;
    return lit_dataloader_new(&ds, &p);
}
static lit_dataloader *dm_train(void *u) { (void)u; return train_dl; }
static int dm_val(void *u, lit_dataloader **out) { (void)u; out[0] = val_dl; return 1; }

/* What configure_optimizers builds. */
typedef enum { OPT_SGD_STEP_LR, OPT_ADAM_COSINE, OPT_SGD_ONLY, OPT_ADAM_NAMED, OPT_SGD_PLAIN } opt_kind;
static opt_kind g_opt;
static lit_tensor *w, *w2;

/* The fake clock: each training_step advances it by g_tick. */
static double g_clock, g_tick;
static double fake_now(void *u) { (void)u; return g_clock; }

/* Per-epoch optimizer steps (on_before_optimizer_step). */
static int64_t g_steps_per_epoch[16];
/* RSS read by the module right after the callbacks' on_train_batch_end. */
static double g_rss_after_cb;
static lit_callback *g_ds_cb;
static double g_rss_cb_value;

static lit_status train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)m, (void)i;
    g_clock += g_tick;
    *loss = lit_add(lit_mean_all(lit_mul(lit_batch_get(b, "x"), w)), lit_mean_all(w2));
    return LIT_OK;
}
static lit_status val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)m, (void)b, (void)i, (void)dl, (void)out;
    return LIT_OK;
}
static lit_status before_opt(lit_module *m, lit_optimizer *opt, int k) {
    (void)opt, (void)k;
    int64_t e = lit_module_current_epoch(m);
    if (e >= 0 && e < 16) g_steps_per_epoch[e]++;
    return LIT_OK;
}
static double read_rss(void) {
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long size = 0, res = 0;
    if (f) {
        if (fscanf(f, "%lu %lu", &size, &res) != 2) res = 0;
        fclose(f);
    }
    return (double)res * (double)sysconf(_SC_PAGESIZE);
}
static lit_status on_batch_end(lit_module *m, lit_tensor *loss, lit_batch *b, int64_t i) {
    (void)m, (void)loss, (void)b, (void)i;
    /* Right after DeviceStatsMonitor's on_train_batch_end (callbacks run first). */
    if (g_ds_cb &&
        lit_device_stats_monitor_last(g_ds_cb, "DeviceStatsMonitor.on_train_batch_end/rss_bytes", &g_rss_cb_value))
        g_rss_after_cb = read_rss();
    return LIT_OK;
}

static lit_status configure(lit_module *m, lit_optim_config *cfg) {
    (void)m;
    switch (g_opt) {
    case OPT_SGD_STEP_LR: {
        /* group 0: w at lr 0.1, group 1: w2 at lr 0.4; StepLR halves both every 2 steps. */
        lit_optimizer *o = lit_sgd_new(&(lit_sgd_params){ .lr = 0.1, .momentum = 0.9, .weight_decay = 0.01 }, &w, 1);
        LIT_TRY(lit_optim_config_add(cfg, o));
        lit_param_group g = lit_optimizer_default_group(o);
        g.params = &w2, g.n_params = 1, g.lr = 0.4, g.weight_decay = 0.0;
        LIT_TRY(lit_optimizer_add_param_group(o, &g));
        lit_step_lr_params sp = lit_step_lr_default_params();
        sp.step_size = 2, sp.gamma = 0.5;
        return lit_optim_config_add_scheduler(
            cfg, &(lit_lr_scheduler_config){ .scheduler = lit_step_lr_new(o, &sp), .interval = LIT_INTERVAL_STEP });
    }
    case OPT_ADAM_COSINE:
    case OPT_ADAM_NAMED: {
        lit_tensor *ps[2] = { w, w2 };
        lit_adam_params ap = lit_adam_default_params();
        ap.lr = 0.01;
        lit_optimizer *o = lit_adam_new(&ap, ps, 2);
        LIT_TRY(lit_optim_config_add(cfg, o));
        lit_cosine_lr_params cp = lit_cosine_lr_default_params();
        cp.T_max = 4, cp.eta_min = 0.001;
        return lit_optim_config_add_scheduler(
            cfg, &(lit_lr_scheduler_config){ .scheduler = lit_cosine_lr_new(o, &cp),
                                             .name = g_opt == OPT_ADAM_NAMED ? "my_lr" : NULL });
    }
    case OPT_SGD_ONLY:
    case OPT_SGD_PLAIN: {
        lit_tensor *ps[2] = { w, w2 };
        return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){ .lr = 0.05 }, ps, 2));
    }
    }
    return LIT_OK;
}

static lit_module_vtable VT = { .version = LIT_MODULE_VERSION, .training_step = train_step,
                                .validation_step = val_step, .configure_optimizers = configure,
                                .on_before_optimizer_step = before_opt, .on_train_batch_end = on_batch_end };

/* Fit with the callbacks `cbs` (copied) and loggers; the trainer is kept
 * for inspection (free it). `ckpt` resumes; g_save_path (when set) gets a
 * checkpoint after the fit, while the module still lives. */
static const char *g_save_path;
static lit_status fit_ex(lit_trainer_params *p, lit_callback *cbs, int n_cb, lit_logger *lgs, int n_lg,
                         const char *ckpt, int manual, lit_trainer **out) {
    train_dl = make_dl(&n_train);
    val_dl = make_dl(&n_val);
    lit_param_store *ps = lit_param_store_new("m");
    w = lit_param_store_new_param(ps, NULL, "w", 1, (const int64_t[]){ 1 });
    w2 = lit_param_store_new_param(ps, NULL, "w2", 1, (const int64_t[]){ 1 });
    lit_module m;
    lit_module_init(&m, &VT, ps, NULL);
    m.automatic_optimization = !manual;
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train, .val_dataloaders = dm_val };
    lit_trainer *tr = NULL;
    lit_status st = lit_trainer_new(&tr, p);
    CHECK_EQ_INT(st, LIT_OK);
    lit_trainer_set_clock(tr, fake_now, NULL);
    for (int i = 0; i < n_lg; i++) CHECK_EQ_INT(lit_trainer_add_logger(tr, &lgs[i]), LIT_OK);
    for (int i = 0; i < n_cb; i++) CHECK_EQ_INT(lit_trainer_add_callback(tr, &cbs[i]), LIT_OK);
    memset(g_steps_per_epoch, 0, sizeof g_steps_per_epoch);
    st = lit_trainer_fit(tr, &m, &dm, ckpt);
    if (g_save_path) CHECK_EQ_INT(lit_trainer_save_checkpoint(tr, g_save_path, 0), LIT_OK);
    lit_dataloader_free(train_dl);
    lit_dataloader_free(val_dl);
    lit_module_deinit(&m);
    lit_param_store_free(ps);
    *out = tr;
    return st;
}

/* A fit with `cb` and no logger fails with `want` and an error containing
 * `msg`; the log is silenced for the expected error. */
static void check_fit_refused(lit_trainer_params p, lit_callback *cb, int manual, lit_status want, const char *msg) {
    lit_trainer *tr;
    lit_log_level lv = lit_log_get_level();
    lit_log_set_level(LIT_LOG_OFF);
    CHECK_EQ_INT(fit_ex(&p, cb, 1, NULL, 0, NULL, manual, &tr), want);
    lit_log_set_level(lv);
    CHECK_MSG(strstr(lit_last_error(), msg) != NULL, "error \"%s\" does not contain \"%s\"", lit_last_error(), msg);
    lit_trainer_free(tr);
}

static lit_trainer_params base_params(int64_t epochs) {
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = epochs;
    p.log_every_n_steps = 1;
    p.limit_val_batches = 0;
    p.num_sanity_val_steps = 0;
    return p;
}

/* ---------------------------------------------------------------- LearningRateMonitor */

/* StepLR(step_size 2, gamma 0.5) on two SGD groups, stepped per batch:
 * the lr of batch k is lr0 * 0.5^(k/2), logged at its on_train_batch_start
 * at step k as "lr-SGD/pg1" and "lr-SGD/pg2", with momentum and weight
 * decay per group. */
TEST(lr_monitor_step_lr_per_group) {
    g_opt = OPT_SGD_STEP_LR;
    g_tick = 0;
    rec_logger r;
    lit_logger lg = make_logger(&r);
    lit_callback cb;
    CHECK_EQ_INT(lit_lr_monitor_callback(&cb, &(lit_lr_monitor_params){ .log_momentum = 1, .log_weight_decay = 1 }),
                 LIT_OK);
    lit_trainer_params p = base_params(2);
    lit_trainer *tr;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, &lg, 1, NULL, 0, &tr), LIT_OK);
    for (int64_t k = 0; k < 8; k++) {
        double want1 = 0.1 * pow(0.5, (double)(k / 2)), want2 = 0.4 * pow(0.5, (double)(k / 2)), v = NAN;
        CHECK_MSG(find_value(&r, k, "lr-SGD/pg1", &v) && fabs(v - want1) < 1e-12, "step %lld pg1 %g want %g",
                  (long long)k, v, want1);
        CHECK_MSG(find_value(&r, k, "lr-SGD/pg2", &v) && fabs(v - want2) < 1e-12, "step %lld pg2 %g want %g",
                  (long long)k, v, want2);
        CHECK(find_value(&r, k, "lr-SGD/pg1-momentum", &v) && v == 0.9);
        CHECK(find_value(&r, k, "lr-SGD/pg2-momentum", &v) && v == 0.9);
        CHECK(find_value(&r, k, "lr-SGD/pg1-weight_decay", &v) && v == 0.01);
        CHECK(find_value(&r, k, "lr-SGD/pg2-weight_decay", &v) && v == 0.0);
    }
    /* A step-interval scheduler logs nothing at epoch start: one value per batch. */
    CHECK_EQ_INT(count_name(&r, "lr-SGD/pg1"), 8);
    int64_t n = 0;
    const double *h = lit_lr_monitor_lrs(&cb, "lr-SGD/pg2", &n);
    CHECK_EQ_INT(n, 8);
    if (h && n == 8) CHECK(fabs(h[7] - 0.4 * 0.125) < 1e-12);
    CHECK_EQ_INT(lit_lr_monitor_num_last(&cb), 6);
    CHECK_STR_EQ(lit_lr_monitor_last_name(&cb, 0), "lr-SGD/pg1");
    CHECK_STR_EQ(lit_lr_monitor_last_name(&cb, 1), "lr-SGD/pg1-momentum");
    CHECK_STR_EQ(lit_lr_monitor_last_name(&cb, 2), "lr-SGD/pg1-weight_decay");
    /* as in Lightning, the values are in trainer.callback_metrics too (monitors read them) */
    double v = NAN;
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "lr-SGD/pg2", &v) && fabs(v - 0.4 * 0.125) < 1e-12);
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "lr-SGD/pg1-momentum", &v) && v == 0.9);
    CHECK(!lit_trainer_get_metric(tr, LIT_METRICS_LOGGED, "lr-SGD/pg2", NULL)); /* not a self.log value */
    lit_trainer_free(tr);
}

/* CosineAnnealingLR(T_max 4, eta_min 1e-3) per epoch on Adam: logged at
 * every on_train_epoch_start (step = 4e, 4 batches an epoch) as "lr-Adam",
 * momentum betas[0]; logging_interval "step" moves it to every batch. */
TEST(lr_monitor_cosine_per_epoch) {
    g_opt = OPT_ADAM_COSINE;
    g_tick = 0;
    rec_logger r;
    lit_logger lg = make_logger(&r);
    lit_callback cb;
    CHECK_EQ_INT(lit_lr_monitor_callback(&cb, &(lit_lr_monitor_params){ .log_momentum = 1 }), LIT_OK);
    lit_trainer_params p = base_params(4);
    lit_trainer *tr;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, &lg, 1, NULL, 0, &tr), LIT_OK);
    for (int e = 0; e < 4; e++) {
        double want = 0.001 + (0.01 - 0.001) * (1 + cos(M_PI * e / 4)) / 2, v = NAN;
        CHECK_MSG(find_value(&r, 4 * e, "lr-Adam", &v) && fabs(v - want) < 1e-12, "epoch %d: %g want %g", e, v, want);
        CHECK(find_value(&r, 4 * e, "lr-Adam-momentum", &v) && v == 0.9);
    }
    CHECK_EQ_INT(count_name(&r, "lr-Adam"), 4);
    lit_trainer_free(tr);

    /* logging_interval = "step": every batch, none at epoch start. */
    lit_logger lg2 = make_logger(&r);
    CHECK_EQ_INT(lit_lr_monitor_callback(&cb, &(lit_lr_monitor_params){ .logging_interval = LIT_LOG_EVERY_STEP }),
                 LIT_OK);
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, &lg2, 1, NULL, 0, &tr), LIT_OK);
    CHECK_EQ_INT(count_name(&r, "lr-Adam"), 16);
    double v = NAN;
    CHECK(find_value(&r, 5, "lr-Adam", &v) && fabs(v - (0.001 + 0.009 * (1 + cos(M_PI / 4)) / 2)) < 1e-12);
    CHECK_EQ_INT(count_name(&r, "lr-Adam-momentum"), 0);
    lit_trainer_free(tr);

    /* A named scheduler config names the key. */
    g_opt = OPT_ADAM_NAMED;
    lit_logger lg3 = make_logger(&r);
    CHECK_EQ_INT(lit_lr_monitor_callback(&cb, NULL), LIT_OK);
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, &lg3, 1, NULL, 0, &tr), LIT_OK);
    CHECK_EQ_INT(count_name(&r, "my_lr"), 4);
    CHECK_EQ_INT(count_name(&r, "lr-Adam"), 0);
    lit_trainer_free(tr);
}

/* Without a scheduler the optimizer is logged at every point (batch and
 * epoch starts); with log_every_n_steps 2 the batch points thin out. */
TEST(lr_monitor_optimizer_without_scheduler) {
    g_opt = OPT_SGD_ONLY;
    g_tick = 0;
    rec_logger r;
    lit_logger lg = make_logger(&r);
    lit_callback cb;
    CHECK_EQ_INT(lit_lr_monitor_callback(&cb, NULL), LIT_OK);
    lit_trainer_params p = base_params(2);
    p.log_every_n_steps = 2;
    lit_trainer *tr;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, &lg, 1, NULL, 0, &tr), LIT_OK);
    /* 2 epoch starts + the batches whose (step + 1) % 2 == 0: steps 1, 3, 5, 7. */
    CHECK_EQ_INT(count_name(&r, "lr-SGD"), 6);
    double v = NAN;
    CHECK(find_value(&r, 3, "lr-SGD", &v) && v == 0.05);
    CHECK(lit_lr_monitor_last(&cb, "lr-SGD", &v) && v == 0.05);
    lit_trainer_free(tr);
}

TEST(lr_monitor_errors) {
    lit_callback cb;
    CHECK_EQ_INT(lit_lr_monitor_callback(&cb, &(lit_lr_monitor_params){ .logging_interval = 7 }), LIT_ERR_CONFIG);
    CHECK(strstr(lit_last_error(), "logging_interval") != NULL);
    /* No logger: Lightning's MisconfigurationException at train start. */
    g_opt = OPT_SGD_PLAIN;
    CHECK_EQ_INT(lit_lr_monitor_callback(&cb, NULL), LIT_OK);
    check_fit_refused(base_params(1), &cb, 0, LIT_ERR_CONFIG, "no logger");
}

/* ---------------------------------------------------------------- Timer */

/* Each batch takes 1 s of the fake clock: a 5.5 s budget checked per step
 * stops after the 6th batch (elapsed 6 >= 5.5), mid-epoch 2. */
TEST(timer_stops_at_the_exact_step) {
    g_opt = OPT_SGD_PLAIN;
    g_clock = 100, g_tick = 1;
    lit_timer_params tp = lit_timer_default_params();
    tp.duration = 5.5;
    tp.verbose = 0;
    lit_callback cb;
    CHECK_EQ_INT(lit_timer_callback(&cb, &tp), LIT_OK);
    lit_trainer_params p = base_params(10);
    lit_trainer *tr;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, NULL, 0, NULL, 0, &tr), LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 6);
    CHECK_EQ_INT(lit_trainer_current_epoch(tr), 2); /* the cut epoch 1 counts as done, as Lightning */
    CHECK(lit_timer_start_time(&cb, LIT_RUNNING_TRAIN) == 100);
    CHECK(lit_timer_end_time(&cb, LIT_RUNNING_TRAIN) == 106);
    CHECK(lit_timer_time_elapsed(&cb, LIT_RUNNING_TRAIN) == 6);
    CHECK(lit_timer_time_remaining(&cb, LIT_RUNNING_TRAIN) == -0.5);
    CHECK(isnan(lit_timer_start_time(&cb, LIT_RUNNING_TEST)));
    CHECK(lit_timer_time_elapsed(&cb, LIT_RUNNING_TEST) == 0);
    lit_trainer_free(tr);

    /* interval epoch: checked at epoch ends only, 4 s an epoch -> after epoch 2 (8 s). */
    tp.interval = LIT_INTERVAL_EPOCH;
    CHECK_EQ_INT(lit_timer_callback(&cb, &tp), LIT_OK);
    g_clock = 0;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, NULL, 0, NULL, 0, &tr), LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 8);
    CHECK(lit_timer_time_elapsed(&cb, LIT_RUNNING_TRAIN) == 8);
    lit_trainer_free(tr);
}

/* The training time is saved; a resumed fit adds to it, so a 10 s budget
 * spent 6 s before the checkpoint allows 4 more batches; one already spent
 * stops at once. The state holds every RunningStage's time. */
TEST(timer_budget_survives_a_resume) {
    const char *dir = make_tmp_dir("timer");
    g_opt = OPT_SGD_PLAIN;
    g_clock = 0, g_tick = 1;
    lit_timer_params tp = lit_timer_default_params();
    tp.duration = 5.5;
    tp.verbose = 0;
    lit_callback cb;
    CHECK_EQ_INT(lit_timer_callback(&cb, &tp), LIT_OK);
    lit_trainer_params p = base_params(10);
    lit_trainer *tr;
    const char *path = join(dir, "t.ckpt");
    g_save_path = path;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, NULL, 0, NULL, 0, &tr), LIT_OK);
    g_save_path = NULL;
    lit_trainer_free(tr);

    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path), LIT_OK);
    if (ck) {
        double t = NAN;
        CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, "callbacks"), LIT_OK);
        CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, "Timer"), LIT_OK);
        CHECK_EQ_INT(lit_checkpoint_get_double(ck, "time_elapsed.train", &t), LIT_OK);
        CHECK(t == 6);
        CHECK(lit_checkpoint_has(ck, "time_elapsed.sanity_check"));
        CHECK(lit_checkpoint_has(ck, "time_elapsed.validate"));
        CHECK(lit_checkpoint_has(ck, "time_elapsed.predict"));
        /* state_load straight into a fresh Timer: the offset reads as elapsed. */
        lit_callback fresh;
        CHECK_EQ_INT(lit_timer_callback(&fresh, NULL), LIT_OK);
        CHECK_EQ_INT(fresh.state_load(&fresh, ck), LIT_OK);
        CHECK(lit_timer_time_elapsed(&fresh, LIT_RUNNING_TRAIN) == 6);
        CHECK(isnan(lit_timer_time_remaining(&fresh, LIT_RUNNING_TRAIN)));
        fresh.free(&fresh);
        lit_checkpoint_reset_scope(ck);
        lit_checkpoint_free(ck);
    }

    tp.duration = 10;
    CHECK_EQ_INT(lit_timer_callback(&cb, &tp), LIT_OK);
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, NULL, 0, path, 0, &tr), LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 10);
    CHECK(lit_timer_time_elapsed(&cb, LIT_RUNNING_TRAIN) == 10);
    lit_trainer_free(tr);

    /* 5 s budget, 6 s spent: on_fit_start already stops it. */
    tp.duration = 5;
    CHECK_EQ_INT(lit_timer_callback(&cb, &tp), LIT_OK);
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, NULL, 0, path, 0, &tr), LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 6);
    lit_trainer_free(tr);
    rm_rf(dir);
}

TEST(timer_errors_and_durations) {
    double s = 0;
    CHECK_EQ_INT(lit_timer_parse_duration("00:12:00:00", &s), LIT_OK);
    CHECK(s == 12 * 3600);
    CHECK_EQ_INT(lit_timer_parse_duration(" 1:00:01:30 ", &s), LIT_OK);
    CHECK(s == 86400 + 90);
    CHECK_EQ_INT(lit_timer_parse_duration("12:00", &s), LIT_ERR_CONFIG);
    CHECK_EQ_INT(lit_timer_parse_duration("00:1:00:00", &s), LIT_ERR_CONFIG);
    CHECK_EQ_INT(lit_timer_parse_duration(NULL, &s), LIT_ERR_CONFIG);
    lit_callback cb;
    lit_timer_params tp = lit_timer_default_params();
    tp.duration = -1;
    CHECK_EQ_INT(lit_timer_callback(&cb, &tp), LIT_ERR_CONFIG);
    tp.duration = INFINITY;
    CHECK_EQ_INT(lit_timer_callback(&cb, &tp), LIT_ERR_CONFIG);
    tp.duration = 1;
    tp.interval = (lit_interval)5;
    CHECK_EQ_INT(lit_timer_callback(&cb, &tp), LIT_ERR_CONFIG);
    CHECK(strstr(lit_last_error(), "interval") != NULL);
}

/* ---------------------------------------------------------------- ThroughputMonitor */

static int64_t ten_items(const lit_batch *b, void *u) { (void)b, (void)u; return 10; }
static double hundred_flops(lit_module *m, void *u) { (void)m, (void)u; return 100; }

/* 0.5 s a batch of 2 samples and 10 items, 100 flops, window 3: from the
 * third batch on the window spans 1 s and 2 batches: 2 batches/s, 4
 * samples/s, 40 items/s (4 * 10 per batch), 200 flops/s (the window's
 * flops less its first batch's), mfu 200 / 1000. */
TEST(throughput_exact_values) {
    g_opt = OPT_SGD_PLAIN;
    g_clock = 50, g_tick = 0.5;
    rec_logger r;
    lit_logger lg = make_logger(&r);
    lit_throughput_monitor_params tp = lit_throughput_monitor_default_params();
    tp.window_size = 3;
    tp.length_fn = ten_items;
    tp.flops_per_batch = hundred_flops;
    tp.available_flops = 1000;
    lit_callback cb;
    CHECK_EQ_INT(lit_throughput_monitor_callback(&cb, &tp), LIT_OK);
    lit_trainer_params p = base_params(1);
    lit_trainer *tr;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, &lg, 1, NULL, 0, &tr), LIT_OK);
    static const char *const keys[] = { "train/time", "train/batches", "train/samples", "train/lengths",
                                        "train/device/batches_per_sec", "train/device/samples_per_sec",
                                        "train/device/items_per_sec", "train/device/flops_per_sec",
                                        "train/device/mfu", "epoch" };
    static const double want[] = { 2.0, 4, 8, 40, 2, 4, 40, 200, 0.2, 0 };
    CHECK_EQ_INT(lit_throughput_monitor_num_last(&cb), 10);
    for (int k = 0; k < 10 && k < lit_throughput_monitor_num_last(&cb); k++) {
        CHECK_STR_EQ(lit_throughput_monitor_last_name(&cb, k), keys[k]);
        CHECK_MSG(fabs(lit_throughput_monitor_last_value(&cb, k) - want[k]) < 1e-12, "%s = %.17g, want %g", keys[k],
                  lit_throughput_monitor_last_value(&cb, k), want[k]);
    }
    /* What the loggers got: batch 0 at step 0 has totals only; rates from batch 2. */
    double v = NAN;
    CHECK(find_value(&r, 0, "train/time", &v) && fabs(v - 0.5) < 1e-12);
    CHECK(!find_value(&r, 1, "train/device/samples_per_sec", &v));
    CHECK(find_value(&r, 2, "train/device/samples_per_sec", &v) && fabs(v - 4) < 1e-12);
    CHECK(find_value(&r, 3, "epoch", &v) && v == 0);
    lit_trainer_free(tr);

    /* With accumulation 2 only the stepping batches compute (and log). */
    lit_logger lg2 = make_logger(&r);
    CHECK_EQ_INT(lit_throughput_monitor_callback(&cb, &tp), LIT_OK);
    p.accumulate_grad_batches = 2;
    g_clock = 0;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, &lg2, 1, NULL, 0, &tr), LIT_OK);
    CHECK_EQ_INT(count_name(&r, "train/batches"), 2);
    CHECK(find_value(&r, 0, "train/batches", &v) && v == 2);
    CHECK(find_value(&r, 1, "train/batches", &v) && v == 4);
    lit_trainer_free(tr);
}

TEST(throughput_errors) {
    lit_callback cb;
    lit_throughput_monitor_params tp = lit_throughput_monitor_default_params();
    tp.window_size = 1;
    CHECK_EQ_INT(lit_throughput_monitor_callback(&cb, &tp), LIT_ERR_CONFIG);
    tp.window_size = 2;
    tp.available_flops = -1;
    CHECK_EQ_INT(lit_throughput_monitor_callback(&cb, &tp), LIT_ERR_CONFIG);
    /* A clock that does not advance breaks the monotonic window. */
    tp.available_flops = 0;
    CHECK_EQ_INT(lit_throughput_monitor_callback(&cb, &tp), LIT_OK);
    g_opt = OPT_SGD_PLAIN;
    g_clock = 0, g_tick = 0;
    check_fit_refused(base_params(1), &cb, 0, LIT_ERR_STATE, "expected the time to increase");
}

/* ---------------------------------------------------------------- DeviceStatsMonitor */

TEST(device_stats_are_plausible) {
    g_opt = OPT_SGD_PLAIN;
    g_tick = 0;
    rec_logger r;
    lit_logger lg = make_logger(&r);
    lit_callback cb;
    CHECK_EQ_INT(lit_device_stats_monitor_callback(&cb, NULL), LIT_OK);
    g_ds_cb = &cb;
    g_rss_after_cb = 0;
    lit_trainer_params p = base_params(1);
    lit_trainer *tr;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, &lg, 1, NULL, 0, &tr), LIT_OK);
    g_ds_cb = NULL;
    /* Read microseconds apart with nothing big allocated in between: the
     * same resident pages, give or take a few the allocator touched. */
    double page = (double)sysconf(_SC_PAGESIZE);
    CHECK(g_rss_cb_value > 0);
    CHECK_MSG(fabs(g_rss_cb_value - g_rss_after_cb) <= 4 * page, "rss %g vs /proc %g", g_rss_cb_value,
              g_rss_after_cb);
    double v = NAN;
    CHECK(find_value(&r, 0, "DeviceStatsMonitor.on_train_batch_start/num_threads", &v) && v >= 1);
    CHECK(find_value(&r, 3, "DeviceStatsMonitor.on_train_batch_end/rss_bytes", &v) && v > 0 && fmod(v, page) == 0);
    CHECK(find_value(&r, 3, "DeviceStatsMonitor.on_train_batch_end/cpu_percent", &v) && v >= 0 && v <= 100);
    CHECK(find_value(&r, 3, "DeviceStatsMonitor.on_train_batch_end/cpu_vm_percent", &v) && v > 0 && v <= 100);
    CHECK(find_value(&r, 3, "DeviceStatsMonitor.on_train_batch_end/cpu_swap_percent", &v) && v >= 0 && v <= 100);
    CHECK(find_value(&r, 3, "DeviceStatsMonitor.on_train_batch_end/cpu_user_seconds", &v) && v >= 0);
    CHECK(find_value(&r, 3, "DeviceStatsMonitor.on_train_batch_end/cpu_system_seconds", &v) && v >= 0);
    /* Two hooks a batch, 4 batches, log_every_n_steps 1. */
    CHECK_EQ_INT(count_name(&r, "DeviceStatsMonitor.on_train_batch_start/rss_bytes"), 4);
    CHECK_EQ_INT(count_name(&r, "DeviceStatsMonitor.on_train_batch_end/rss_bytes"), 4);
    CHECK_EQ_INT(lit_device_stats_monitor_num_last(&cb), 7);
    lit_trainer_free(tr);

    /* filter_keys: only those; the reader agrees with the callback's names. */
    static const char *const only[] = { "num_threads", "rss_bytes", NULL };
    lit_logger lg2 = make_logger(&r);
    CHECK_EQ_INT(lit_device_stats_monitor_callback(&cb, &(lit_device_stats_monitor_params){ .filter_keys = only }),
                 LIT_OK);
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, &lg2, 1, NULL, 0, &tr), LIT_OK);
    CHECK_EQ_INT(lit_device_stats_monitor_num_last(&cb), 2);
    CHECK_STR_EQ(lit_device_stats_monitor_last_name(&cb, 0), "DeviceStatsMonitor.on_train_batch_end/rss_bytes");
    CHECK_EQ_INT(count_name(&r, "DeviceStatsMonitor.on_train_batch_end/cpu_percent"), 0);
    lit_trainer_free(tr);

    lit_cpu_stats c;
    uint64_t busy = 0, total = 0;
    CHECK_EQ_INT(lit_cpu_stats_read(&c, &busy, &total), LIT_OK);
    CHECK(c.cpu_percent == 0 && total > 0);
    CHECK(c.num_threads >= 1 && c.rss_bytes > 0);
}

TEST(device_stats_needs_a_logger) {
    g_opt = OPT_SGD_PLAIN;
    lit_callback cb;
    CHECK_EQ_INT(lit_device_stats_monitor_callback(&cb, NULL), LIT_OK);
    check_fit_refused(base_params(1), &cb, 0, LIT_ERR_CONFIG, "Trainer(logger=False)");
}

/* ---------------------------------------------------------------- GradientAccumulationScheduler */

/* {0: 1, 2: 4} over 4 epochs of 8 batches: 8, 8, 2, 2 optimizer steps. */
TEST(grad_accum_schedule_steps_per_epoch) {
    g_opt = OPT_SGD_PLAIN;
    g_tick = 0;
    int64_t saved = n_train;
    n_train = 16; /* 8 batches of 2 */
    lit_callback cb;
    const lit_accumulation_step sched[] = { { 2, 4 }, { 0, 1 } }; /* any order */
    CHECK_EQ_INT(lit_grad_accum_scheduler_callback(&cb, sched, 2), LIT_OK);
    CHECK_EQ_INT(lit_grad_accum_scheduler_factor(&cb, 1), 1);
    CHECK_EQ_INT(lit_grad_accum_scheduler_factor(&cb, 2), 4);
    CHECK_EQ_INT(lit_grad_accum_scheduler_factor(&cb, 9), 4);
    lit_trainer_params p = base_params(4);
    lit_trainer *tr;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, NULL, 0, NULL, 0, &tr), LIT_OK);
    CHECK_EQ_INT(g_steps_per_epoch[0], 8);
    CHECK_EQ_INT(g_steps_per_epoch[1], 8);
    CHECK_EQ_INT(g_steps_per_epoch[2], 2);
    CHECK_EQ_INT(g_steps_per_epoch[3], 2);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 20);
    /* Back to the Trainer's own value after the fit. */
    CHECK_EQ_INT(lit_trainer_get_params(tr)->accumulate_grad_batches, 1);
    lit_trainer_free(tr);

    /* Without epoch 0 the first epochs run with 1: {1: 3} -> 8, then ceil(8/3) = 3. */
    const lit_accumulation_step late[] = { { 1, 3 } };
    CHECK_EQ_INT(lit_grad_accum_scheduler_callback(&cb, late, 1), LIT_OK);
    CHECK_EQ_INT(lit_grad_accum_scheduler_factor(&cb, 0), 1);
    p.max_epochs = 2;
    CHECK_EQ_INT(fit_ex(&p, &cb, 1, NULL, 0, NULL, 0, &tr), LIT_OK);
    CHECK_EQ_INT(g_steps_per_epoch[0], 8);
    CHECK_EQ_INT(g_steps_per_epoch[1], 3);
    lit_trainer_free(tr);
    n_train = saved;
}

TEST(grad_accum_schedule_errors) {
    lit_callback cb;
    CHECK_EQ_INT(lit_grad_accum_scheduler_callback(&cb, NULL, 0), LIT_ERR_CONFIG);
    CHECK(strstr(lit_last_error(), "Empty dict") != NULL);
    CHECK_EQ_INT(lit_grad_accum_scheduler_callback(&cb, (const lit_accumulation_step[]){ { -1, 2 } }, 1),
                 LIT_ERR_CONFIG);
    CHECK(strstr(lit_last_error(), "greater than or equal to 0. Got [-1]") != NULL);
    CHECK_EQ_INT(lit_grad_accum_scheduler_callback(&cb, (const lit_accumulation_step[]){ { 0, 1 }, { 3, 0 } }, 2),
                 LIT_ERR_CONFIG);
    CHECK(strstr(lit_last_error(), "greater than 0. Got [1, 0]") != NULL);
    CHECK_EQ_INT(lit_grad_accum_scheduler_callback(&cb, (const lit_accumulation_step[]){ { 2, 2 }, { 2, 3 } }, 2),
                 LIT_ERR_CONFIG);

    /* A Trainer accumulate_grad_batches != 1 and manual optimization are refused at train start. */
    g_opt = OPT_SGD_PLAIN;
    lit_trainer_params p = base_params(1);
    p.accumulate_grad_batches = 2;
    CHECK_EQ_INT(lit_grad_accum_scheduler_callback(&cb, (const lit_accumulation_step[]){ { 0, 2 } }, 1), LIT_OK);
    check_fit_refused(p, &cb, 0, LIT_ERR_CONFIG, "Either remove `accumulate_grad_batches`");
    p.accumulate_grad_batches = 1;
    CHECK_EQ_INT(lit_grad_accum_scheduler_callback(&cb, (const lit_accumulation_step[]){ { 0, 2 } }, 1), LIT_OK);
    check_fit_refused(p, &cb, 1, LIT_ERR_CONFIG, "manual");
}

int main(void) {
    RUN(lr_monitor_step_lr_per_group);
    RUN(lr_monitor_cosine_per_epoch);
    RUN(lr_monitor_optimizer_without_scheduler);
    RUN(lr_monitor_errors);
    RUN(timer_stops_at_the_exact_step);
    RUN(timer_budget_survives_a_resume);
    RUN(timer_errors_and_durations);
    RUN(throughput_exact_values);
    RUN(throughput_errors);
    RUN(device_stats_are_plausible);
    RUN(device_stats_needs_a_logger);
    RUN(grad_accum_schedule_steps_per_epoch);
    RUN(grad_accum_schedule_errors);
    return harness_summary();
}
