/*
 * tests/test-trainer-logging.c — what the Trainer does around the steps:
 * where lit_module_log may be called (Lightning's _FxValidator rules),
 * "/dataloader_idx_N" keys with several evaluation loaders, log_dict,
 * detect_anomaly messages, predictions kept by lit_trainer_predict,
 * overfit_batches, and the default progress-bar / model-summary callbacks.
 */
#include <stdlib.h>

#include "harness.h"

/* ---------------------------------------------------------------- data: x = (i, 1), y = i */

typedef struct {
    int64_t n;
    int64_t seen[256]; /* sample indices in the order the training loader gave them */
    int n_seen;
} ds_state;

static lit_status ds_get(void *user, int64_t i, lit_sample *out, lit_arena *a) {
    (void)user;
    lit_tensor *x = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){ 2 }, 1);
    lit_tensor *y = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){ 1 }, 1);
    lit_f32(x)[0] = (float)i;
    lit_f32(x)[1] = 1.0f;
    lit_f32(y)[0] = (float)i;
    out->n = 2;
    out->fields[0] = (lit_field){ .name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x };
    out->fields[1] = (lit_field){ .name = "y", .kind = LIT_FIELD_TENSOR, .tensor = y };
    return LIT_OK;
}
static int64_t ds_len(void *user) { return ((ds_state *)user)->n; }

static lit_dataloader *loader(ds_state *s, int64_t bs, int shuffle) {
    lit_dataset ds = { .version = LIT_DATASET_VERSION, .len = ds_len, .get = ds_get, .user = s };
    lit_dataloader_params p = lit_dataloader_default_params();
    p.batch_size = bs;
    p.shuffle = shuffle;
    p.seed = 7;
    return lit_dataloader_new(&ds, &p);
}

typedef struct {
    ds_state train_ds, val_ds[2];
    lit_dataloader *train, *val[2];
    int n_val;
} dm_state;

static lit_dataloader *dm_train(void *u) { return ((dm_state *)u)->train; }
static int dm_val(void *u, lit_dataloader **out) {
    dm_state *s = u;
    for (int i = 0; i < s->n_val; i++) out[i] = s->val[i];
    return s->n_val;
}

/* n_train samples in batches of 2 (optionally shuffled); val loaders of 4
 * and 6 samples in batches of 2. */
static lit_datamodule dm_make(dm_state *s, int64_t n_train, int shuffle, int n_val) {
    memset(s, 0, sizeof *s);
    s->train_ds.n = n_train;
    s->train = loader(&s->train_ds, 2, shuffle);
    s->n_val = n_val;
    for (int i = 0; i < n_val; i++) {
        s->val_ds[i].n = 4 + 2 * i;
        s->val[i] = loader(&s->val_ds[i], 2, 0);
    }
    return (lit_datamodule){ .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train,
                             .val_dataloaders = dm_val, .test_dataloaders = dm_val, .predict_dataloaders = dm_val,
                             .user = s };
}
static void dm_free(dm_state *s) {
    lit_dataloader_free(s->train);
    for (int i = 0; i < s->n_val; i++) lit_dataloader_free(s->val[i]);
}

/* ---------------------------------------------------------------- model: y ~ x . w */

typedef struct {
    lit_param_store *ps;
    lit_tensor *w;
    dm_state *dm;
    const char *log_in;   /* hook that logs "probe" (to test the rules) */
    int probe_on_step;    /* options for that log */
    lit_status probe_status;
    int nan_grad_at;      /* backward writes NaN into w.grad at this batch (-1 never) */
    int nan_loss_at;      /* training_step returns NaN at this batch (-1 never) */
    int add_idx;          /* add_dataloader_idx option for val logging */
} model;

static lit_status probe(lit_module *m, const char *hook) {
    model *md = m->user;
    if (!md->log_in || strcmp(md->log_in, hook)) return LIT_OK;
    md->probe_status = lit_module_log_scalar(m, "probe", 1.0, .on_step = md->probe_on_step);
    return md->probe_status;
}

static lit_tensor *pred_of(model *md, lit_batch *b) { return lit_matmul(lit_batch_get(b, "x"), md->w); }

static lit_status train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    model *md = m->user;
    lit_tensor *x = lit_batch_get(b, "x");
    for (int64_t r = 0; r < x->shape[0] && md->dm->train_ds.n_seen < 256; r++)
        md->dm->train_ds.seen[md->dm->train_ds.n_seen++] = (int64_t)lit_f32(x)[2 * r];
    lit_tensor *y = lit_reshape(lit_batch_get(b, "y"), 2, (const int64_t[]){ x->shape[0], 1 });
    *loss = lit_mse_loss(pred_of(md, b), y, LIT_REDUCTION_MEAN);
    if (md->nan_loss_at == (int)i) *loss = lit_mul_scalar(*loss, NAN);
    LIT_TRY(probe(m, "training_step"));
    return LIT_OK;
}

/* Logs the mean x[:, 0] of the batch, so epoch values are checkable by hand. */
static lit_status val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)i, (void)dl;
    model *md = m->user;
    lit_tensor *x = lit_batch_get(b, "x");
    double s = 0;
    for (int64_t r = 0; r < x->shape[0]; r++) s += lit_f32(x)[2 * r];
    LIT_TRY(lit_module_log_scalar(m, "xmean", s / (double)x->shape[0], .prog_bar = 1, .add_dataloader_idx = md->add_idx));
    LIT_TRY(probe(m, "validation_step"));
    *out = NULL;
    return LIT_OK;
}

static lit_status predict_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)i, (void)dl;
    *out = lit_mul_scalar(lit_batch_get(b, "x"), 2.0);
    return probe(m, "predict_step");
}

static lit_status backward(lit_module *m, lit_tensor *loss) {
    model *md = m->user;
    lit_backward(loss);
    if (md->nan_grad_at == (int)lit_trainer_global_step(m->trainer)) lit_f32(md->w->grad)[1] = NAN;
    return LIT_OK;
}

static lit_status configure(lit_module *m, lit_optim_config *cfg) {
    LIT_TRY(probe(m, "configure_optimizers"));
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){ .lr = 0.001 }, p, n));
}

#define PROBE_HOOK(h) \
    static lit_status h(lit_module *m) { return probe(m, #h); }
PROBE_HOOK(on_fit_start)
PROBE_HOOK(on_train_start)
PROBE_HOOK(on_train_end)
PROBE_HOOK(on_train_epoch_end)
PROBE_HOOK(on_validation_epoch_end)
PROBE_HOOK(on_validation_end)
static lit_status setup(lit_module *m, lit_stage st) { (void)st; return probe(m, "setup"); }

static const lit_module_vtable VT = {
    .version = LIT_MODULE_VERSION, .training_step = train_step, .validation_step = val_step,
    .test_step = val_step, .predict_step = predict_step, .configure_optimizers = configure,
    .backward = backward, .setup = setup, .on_fit_start = on_fit_start, .on_train_start = on_train_start,
    .on_train_end = on_train_end, .on_train_epoch_end = on_train_epoch_end,
    .on_validation_epoch_end = on_validation_epoch_end, .on_validation_end = on_validation_end,
};

static void model_init(model *md, lit_module *m, dm_state *dm) {
    memset(md, 0, sizeof *md);
    md->ps = lit_param_store_new("m");
    md->w = lit_param_store_new_param(md->ps, "head", "weight", 2, (const int64_t[]){ 2, 1 });
    md->dm = dm;
    md->nan_grad_at = md->nan_loss_at = -1;
    lit_module_init(m, &VT, md->ps, md);
}
static void model_free(model *md, lit_module *m) {
    lit_module_deinit(m);
    lit_param_store_free(md->ps);
}

/* ---------------------------------------------------------------- fixture */

/* What most tests run on: the datamodule (dm_make's arguments), the model,
 * quiet params for one epoch without sanity check (tests change them before
 * fx_trainer), and the trainer. Set up in place: the parts point to each other. */
typedef struct {
    dm_state s;
    lit_datamodule dm;
    model md;
    lit_module m;
    lit_trainer_params p;
    lit_trainer *tr;
} fixture;

static void fx_setup(fixture *f, int64_t n_train, int shuffle, int n_val) {
    f->dm = dm_make(&f->s, n_train, shuffle, n_val);
    model_init(&f->md, &f->m, &f->s);
    f->p = quiet_trainer_params();
    f->p.max_epochs = 1;
    f->p.num_sanity_val_steps = 0;
    f->tr = NULL;
}
static void fx_drop_trainer(fixture *f) {
    lit_trainer_free(f->tr);
    f->tr = NULL;
}
/* A new trainer on f->p (the previous one freed). */
static lit_trainer *fx_trainer(fixture *f) {
    fx_drop_trainer(f);
    CHECK_EQ_INT(lit_trainer_new(&f->tr, &f->p), LIT_OK);
    return f->tr;
}
static void fx_teardown(fixture *f) {
    fx_drop_trainer(f);
    model_free(&f->md, &f->m);
    dm_free(&f->s);
}

/* Fit once with `log_in` logging "probe"; returns fit's status. */
static lit_status fit_probe(const char *log_in, int on_step, lit_status *probe_st) {
    fixture f;
    fx_setup(&f, 4, 0, 1);
    f.md.log_in = log_in;
    f.md.probe_on_step = on_step;
    lit_status st = lit_trainer_new(&f.tr, &f.p);
    if (st >= 0) st = lit_trainer_fit(f.tr, &f.m, &f.dm, NULL);
    *probe_st = f.md.probe_status;
    fx_teardown(&f);
    return st;
}

/* ---------------------------------------------------------------- tests */

TEST(logging_is_refused_where_lightning_refuses_it) {
    static const char *forbidden[] = { "setup", "configure_optimizers", "on_fit_start", "on_train_end",
                                       "on_validation_end" };
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++) {
        lit_status probe_st;
        lit_status st = fit_probe(forbidden[i], 0, &probe_st);
        CHECK_EQ_INT(st, LIT_ERR_STATE);
        CHECK_EQ_INT(probe_st, LIT_ERR_STATE);
        CHECK_STR_CONTAINS(lit_last_error(), "you can't log inside");
        CHECK_STR_CONTAINS(lit_last_error(), forbidden[i]);
    }
}

TEST(epoch_hooks_refuse_on_step) {
    static const char *epoch_hooks[] = { "on_train_start", "on_train_epoch_end", "on_validation_epoch_end" };
    for (size_t i = 0; i < sizeof epoch_hooks / sizeof *epoch_hooks; i++) {
        lit_status probe_st;
        CHECK_EQ_INT(fit_probe(epoch_hooks[i], 1, &probe_st), LIT_ERR_CONFIG);
        CHECK_STR_CONTAINS(lit_last_error(), "on_step=true");
        CHECK_STR_CONTAINS(lit_last_error(), epoch_hooks[i]);
        /* ... and accept the default (on_epoch). */
        CHECK_EQ_INT(fit_probe(epoch_hooks[i], 0, &probe_st), LIT_OK);
        CHECK_EQ_INT(probe_st, LIT_OK);
    }
    lit_status probe_st;
    CHECK_EQ_INT(fit_probe("training_step", 1, &probe_st), LIT_OK);
    CHECK_EQ_INT(fit_probe("validation_step", 1, &probe_st), LIT_OK);
}

TEST(predict_may_not_log) {
    fixture f;
    fx_setup(&f, 4, 0, 1);
    f.md.log_in = "predict_step";
    lit_trainer *tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_predict(tr, &f.m, &f.dm), LIT_ERR_STATE);
    CHECK_STR_CONTAINS(lit_last_error(), "predict_step");
    fx_teardown(&f);
}

/* Loader 0 holds x0 = 0..3 (batches {0,1},{2,3}: batch means 0.5, 2.5),
 * loader 1 holds 0..5 (means 0.5, 2.5, 4.5); epoch values are the
 * batch-size-weighted means: 1.5 and 2.5, or 2.1 over all ten samples. */
TEST(several_val_loaders_get_dataloader_idx_keys) {
    fixture f;
    fx_setup(&f, 4, 0, 2);
    lit_trainer *tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_validate(tr, &f.m, &f.dm), LIT_OK);
    double v0 = -1, v1 = -1;
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "xmean/dataloader_idx_0", &v0));
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "xmean/dataloader_idx_1", &v1));
    CHECK_NEAR(v0, 1.5, 1e-12);
    CHECK_NEAR(v1, 2.5, 1e-12);
    CHECK(!lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "xmean", NULL));
    CHECK_EQ_INT(lit_trainer_num_eval_batches(tr), 5);

    f.md.add_idx = -1; /* add_dataloader_idx=False: one key over both loaders */
    CHECK_EQ_INT(lit_trainer_validate(tr, &f.m, &f.dm), LIT_OK);
    double v = -1;
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "xmean", &v));
    CHECK_NEAR(v, 21.0 / 10.0, 1e-12);
    CHECK(!lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "xmean/dataloader_idx_0", NULL));

    /* One loader: no suffix. */
    f.s.n_val = 1;
    f.md.add_idx = 0;
    tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_validate(tr, &f.m, &f.dm), LIT_OK);
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "xmean", &v));
    CHECK_NEAR(v, 1.5, 1e-12);
    f.s.n_val = 2;
    fx_teardown(&f);
}

static lit_status dict_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)b, (void)dl, (void)out;
    const char *names[] = { "a", "b" };
    const lit_tensor *vals[] = { lit_scalar((double)i), lit_scalar(10.0 + (double)i) };
    return lit_module_log_dict(m, 2, names, vals, .reduce_fx = LIT_REDUCE_MAX, .prog_bar = 1);
}

TEST(log_dict_logs_every_key_with_the_options) {
    fixture f;
    fx_setup(&f, 4, 0, 1);
    lit_module_vtable vt = VT;
    vt.validation_step = dict_step;
    f.m.vt = &vt;
    lit_trainer *tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_validate(tr, &f.m, &f.dm), LIT_OK);
    double a = -1, b = -1;
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_PROGRESS_BAR, "a", &a));
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_PROGRESS_BAR, "b", &b));
    CHECK_NEAR(a, 1.0, 0); /* max over batch indices 0, 1 */
    CHECK_NEAR(b, 11.0, 0);
    fx_teardown(&f);
}

TEST(detect_anomaly_names_the_parameter_and_step) {
    fixture f;
    fx_setup(&f, 8, 0, 1);
    f.md.nan_grad_at = 2;
    f.p.detect_anomaly = 1;
    lit_trainer *tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_fit(tr, &f.m, &f.dm, NULL), LIT_ERR_NUMERIC);
    CHECK_STR_CONTAINS(lit_last_error(), "'head.weight'");
    CHECK_STR_CONTAINS(lit_last_error(), "element 1");
    CHECK_STR_CONTAINS(lit_last_error(), "batch 2 (global step 2)");
    CHECK_EQ_INT(lit_trainer_global_step(tr), 2); /* stopped before the bad update */

    /* Without detect_anomaly the NaN goes through silently (as in Lightning). */
    f.p.detect_anomaly = 0;
    tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_fit(tr, &f.m, &f.dm, NULL), LIT_OK);
    CHECK(isnan(lit_f32(f.md.w)[1]));

    lit_f32(f.md.w)[0] = lit_f32(f.md.w)[1] = 0;
    f.md.nan_grad_at = -1;
    f.md.nan_loss_at = 3;
    f.p.detect_anomaly = 1;
    tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_fit(tr, &f.m, &f.dm, NULL), LIT_ERR_NUMERIC);
    /* The first op that made the NaN: mul_scalar by NaN (in training_step). */
    CHECK_STR_EQ(lit_last_error(), "detect_anomaly: op 'mul_scalar' produced nan in forward (output shape ()) at "
                                   "epoch 0, batch 3 (global step 3); training_step's loss is nan");
    fx_teardown(&f);
}

TEST(predict_keeps_copies_of_the_outputs) {
    fixture f;
    fx_setup(&f, 4, 0, 2);
    lit_trainer *tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_predict(tr, &f.m, &f.dm), LIT_OK);
    CHECK_EQ_INT(lit_trainer_num_prediction_loaders(tr), 2);
    CHECK_EQ_INT(lit_trainer_num_predictions(tr, 0), 2);
    CHECK_EQ_INT(lit_trainer_num_predictions(tr, 1), 3);
    /* Loader 1, batch 2 holds samples 4 and 5: 2 * x = (8, 2), (10, 2). */
    lit_tensor *t = lit_trainer_prediction(tr, 1, 2);
    CHECK_EQ_INT(t->shape[0], 2);
    CHECK_EQ_INT(t->shape[1], 2);
    CHECK_NEAR(lit_f32(t)[0], 8.0, 0);
    CHECK_NEAR(lit_f32(t)[1], 2.0, 0);
    CHECK_NEAR(lit_f32(t)[2], 10.0, 0);
    CHECK_NEAR(lit_f32(t)[3], 2.0, 0);
    lit_tensor_check(t, "test"); /* alive after the step arena was reset */

    lit_trainer_set_return_predictions(tr, 0);
    CHECK_EQ_INT(lit_trainer_predict(tr, &f.m, &f.dm), LIT_OK);
    CHECK_EQ_INT(lit_trainer_num_predictions(tr, 0), 0);
    CHECK_EQ_INT(lit_trainer_num_predictions(tr, 1), 0);
    fx_teardown(&f);
}

TEST(overfit_batches_repeats_the_first_batches_unshuffled) {
    fixture f;
    fx_setup(&f, 10, 1, 1);
    f.p.max_epochs = 2;
    f.p.overfit_batches = 2;
    lit_trainer *tr = fx_trainer(&f);
    lit_log_level lv = lit_log_get_level();
    lit_log_set_level(LIT_LOG_ERROR); /* the shuffle warning is expected */
    CHECK_EQ_INT(lit_trainer_fit(tr, &f.m, &f.dm, NULL), LIT_OK);
    lit_log_set_level(lv);
    CHECK_EQ_INT(f.s.train_ds.n_seen, 8);
    static const int64_t expect[8] = { 0, 1, 2, 3, 0, 1, 2, 3 };
    for (int i = 0; i < 8 && i < f.s.train_ds.n_seen; i++) CHECK_EQ_INT(f.s.train_ds.seen[i], expect[i]);
    CHECK_EQ_INT(lit_trainer_num_training_batches(tr), 2);
    CHECK_EQ_INT(lit_trainer_num_val_batches(tr), 2);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 4);
    fx_teardown(&f);
}

/* ---------------------------------------------------------------- default callbacks */

typedef struct {
    char names[8][32];
    int n;
} seen_callbacks;

static lit_status list_callbacks(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    seen_callbacks *sc = cb->user;
    sc->n = 0;
    for (int i = 0; i < lit_trainer_num_callbacks(tr) && i < 8; i++) {
        const char *nm = lit_trainer_callback(tr, i)->name;
        snprintf(sc->names[sc->n++], 32, "%s", nm ? nm : "?");
    }
    return LIT_OK;
}

static int has_name(const seen_callbacks *sc, const char *name) {
    for (int i = 0; i < sc->n; i++)
        if (!strcmp(sc->names[i], name)) return 1;
    return 0;
}

TEST(trainer_adds_progress_bar_and_summary_for_the_run) {
    fixture f;
    fx_setup(&f, 4, 0, 1);
    f.p.enable_progress_bar = 1;
    f.p.enable_model_summary = 1;
    lit_trainer *tr = fx_trainer(&f);
    seen_callbacks sc = { 0 };
    lit_callback lister = { .version = LIT_CALLBACK_VERSION, .name = "lister", .user = &sc,
                            .on_fit_start = list_callbacks, .on_test_start = list_callbacks };
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &lister), LIT_OK);
    /* Our own bar, writing plain lines into a file, replaces the default. */
    FILE *out = tmpfile();
    lit_progress_bar_params pp = lit_progress_bar_default_params();
    pp.out = out;
    pp.is_tty = 0;
    lit_callback bar;
    CHECK_EQ_INT(lit_progress_bar_callback(&bar, &pp), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &bar), LIT_OK);
    FILE *sum_out = tmpfile();
    lit_callback summary;
    CHECK_EQ_INT(lit_model_summary_callback(&summary, &(lit_model_summary_params){ .max_depth = 1, .out = sum_out }),
                 LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &summary), LIT_OK);

    CHECK_EQ_INT(lit_trainer_fit(tr, &f.m, &f.dm, NULL), LIT_OK);
    CHECK_EQ_INT(sc.n, 3); /* lister, our bar, our summary: no defaults on top */
    CHECK(has_name(&sc, LIT_PROGRESS_BAR_NAME) && has_name(&sc, LIT_MODEL_SUMMARY_NAME));
    CHECK_EQ_INT(lit_trainer_num_callbacks(tr), 3);

    char text[4096] = "";
    rewind(out);
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = 0;
    CHECK_STR_CONTAINS(text, "Epoch 0: 100%");
    CHECK_STR_CONTAINS(text, "2/2");
    CHECK_STR_CONTAINS(text, "Validation: 100%");
    CHECK_STR_CONTAINS(text, "xmean=1.5"); /* the epoch bar shows the validation metric... */
    CHECK(strchr(text, '\r') == NULL);     /* ...as plain lines off a terminal */
    rewind(sum_out);
    n = fread(text, 1, sizeof text - 1, sum_out);
    text[n] = 0;
    CHECK_STR_CONTAINS(text, "| head ");
    CHECK_STR_CONTAINS(text, "Trainable params");
    fclose(out);
    fclose(sum_out);

    /* Without our callbacks the Trainer adds its own for the run only (the
     * summary for fit only). */
    tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &lister), LIT_OK);
    lit_log_level lv = lit_log_get_level();
    CHECK_EQ_INT(lit_trainer_test(tr, &f.m, &f.dm), LIT_OK); /* prints a Testing bar to stdout */
    lit_log_set_level(lv);
    CHECK_EQ_INT(sc.n, 2);
    CHECK(has_name(&sc, LIT_PROGRESS_BAR_NAME) && !has_name(&sc, LIT_MODEL_SUMMARY_NAME));
    CHECK_EQ_INT(lit_trainer_num_callbacks(tr), 1);
    fx_teardown(&f);
}

TEST(a_progress_bar_with_the_flag_off_is_an_error) {
    fixture f;
    fx_setup(&f, 4, 0, 1);
    lit_trainer *tr = fx_trainer(&f);
    lit_callback bar;
    CHECK_EQ_INT(lit_progress_bar_callback(&bar, NULL), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &bar), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(tr, &f.m, &f.dm, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "enable_progress_bar=0");
    CHECK_EQ_INT(f.md.ps ? lit_trainer_global_step(tr) : -1, 0);
    fx_drop_trainer(&f); /* before bar is reused */
    CHECK_EQ_INT(lit_model_summary_callback(&bar, &(lit_model_summary_params){ .max_depth = -2 }), LIT_ERR_CONFIG);
    fx_teardown(&f);
}

static lit_optimizer *stray_opt; /* an optimizer the config does not own (freed by the test) */

static lit_status bad_sched_config(lit_module *m, lit_optim_config *cfg) {
    model *md = m->user;
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    lit_optimizer *opt = lit_sgd_new(&(lit_sgd_params){ .lr = 0.1 }, p, n);
    lit_constant_lr_params cp = lit_constant_lr_default_params();
    lit_lr_scheduler_config sc = { .scheduler = lit_constant_lr_new(opt, &cp) };
    if (md->probe_on_step == 0) {
        LIT_TRY(lit_optim_config_add(cfg, opt));
        sc.opt_idx = 1;
    } else {
        stray_opt = opt;
    }
    return lit_optim_config_add_scheduler(cfg, &sc);
}

TEST(missing_steps_and_bad_optimizer_configs_are_refused) {
    fixture f;
    fx_setup(&f, 4, 0, 1);
    lit_trainer *tr = fx_trainer(&f);
    static const struct { size_t slot; lit_status (*run)(lit_trainer *, lit_module *, lit_datamodule *); const char *msg; } cases[] = {
        { offsetof(lit_module_vtable, validation_step), lit_trainer_validate, "no validation_step" },
        { offsetof(lit_module_vtable, test_step), lit_trainer_test, "no test_step" },
        { offsetof(lit_module_vtable, predict_step), lit_trainer_predict, "no predict_step" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        lit_module_vtable vt = VT;
        memset((char *)&vt + cases[i].slot, 0, sizeof(void *));
        f.m.vt = &vt;
        CHECK_EQ_INT(cases[i].run(tr, &f.m, &f.dm), LIT_ERR_CONFIG);
        CHECK_STR_CONTAINS(lit_last_error(), cases[i].msg);
    }
    lit_module_vtable vt = VT;
    vt.configure_optimizers = bad_sched_config;
    f.m.vt = &vt;
    f.md.probe_on_step = 0; /* one optimizer, a scheduler for optimizer 1 */
    CHECK_EQ_INT(lit_trainer_fit(tr, &f.m, &f.dm, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "scheduler 0 has opt_idx 1, but there is 1 optimizer");
    f.md.probe_on_step = 1; /* a scheduler and no optimizer */
    CHECK_EQ_INT(lit_trainer_fit(tr, &f.m, &f.dm, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "but no optimizer");
    fx_drop_trainer(&f); /* frees the scheduler before the optimizer it points to */
    lit_optimizer_free(stray_opt);
    tr = fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 0);

    /* A validation fraction that leaves no batch (2 batches * 0.25). */
    f.p.limit_val_fraction = 0.25;
    tr = fx_trainer(&f);
    f.m.vt = &VT;
    CHECK_EQ_INT(lit_trainer_validate(tr, &f.m, &f.dm), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "limit_val_fraction=0.25) leaves 0 of the 2 batches");
    CHECK_STR_CONTAINS(lit_last_error(), "use at least 0.5");
    fx_teardown(&f);
}

/* self.log(name, metric): a SumMetric of x[:, 0] per epoch (on_epoch,
 * computed and reset by the Trainer) and a MaxMetric's forward value per
 * batch (on_step). */
static lit_metric *sum_metric, *max_metric;
static lit_status metric_val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)i, (void)dl, (void)out;
    lit_tensor *x0 = lit_select(lit_batch_get(b, "x"), 1, 0);
    LIT_TRY(lit_metric_update(sum_metric, x0, NULL));
    return lit_module_log_metric(m, "xsum", sum_metric);
}
static lit_status metric_train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    LIT_TRY(train_step(m, b, i, loss));
    lit_tensor *x0 = lit_select(lit_batch_get(b, "x"), 1, 0);
    double v;
    LIT_TRY(lit_metric_forward(max_metric, x0, NULL, &v));
    return lit_module_log_metric(m, "xmax", max_metric, .on_step = 1, .on_epoch = 1);
}

TEST(metric_objects_are_computed_at_epoch_end_and_reset) {
    fixture f;
    fx_setup(&f, 4, 0, 1);
    sum_metric = lit_sum_metric_new(NULL);
    max_metric = lit_max_metric_new(NULL);
    lit_module_vtable vt = VT;
    vt.validation_step = metric_val_step;
    vt.training_step = metric_train_step;
    f.m.vt = &vt;
    f.p.max_epochs = 2;
    fx_trainer(&f);
    CHECK_EQ_INT(lit_trainer_fit(f.tr, &f.m, &f.dm, NULL), LIT_OK);
    double v = -1;
    /* validation: x0 = 0..3 each epoch: sum 6, and reset between epochs (not 12) */
    CHECK(lit_trainer_get_metric(f.tr, LIT_METRICS_CALLBACK, "xsum", &v));
    CHECK_NEAR(v, 6.0, 0);
    CHECK_EQ_INT(lit_metric_update_count(sum_metric), 0); /* reset after the epoch's compute */
    /* training: batch values of the running max on step, the epoch's max on epoch */
    CHECK(lit_trainer_get_metric(f.tr, LIT_METRICS_LOGGED, "xmax_step", &v));
    CHECK_NEAR(v, 3.0, 0); /* the last batch holds x0 = 2, 3 */
    CHECK(lit_trainer_get_metric(f.tr, LIT_METRICS_LOGGED, "xmax_epoch", &v));
    CHECK_NEAR(v, 3.0, 0);
    fx_teardown(&f);

    /* A metric only updated cannot be logged on step; mixing kinds is refused. */
    fx_setup(&f, 4, 0, 1);
    fx_trainer(&f);
    f.m.trainer = f.tr;
    lit_metric_reset(max_metric);
    CHECK_EQ_INT(lit_module_log_metric(&f.m, "y", max_metric, .on_step = 1), LIT_ERR_STATE);
    fx_teardown(&f);
    lit_metric_free(sum_metric);
    lit_metric_free(max_metric);
}

int main(void) {
    RUN(logging_is_refused_where_lightning_refuses_it);
    RUN(epoch_hooks_refuse_on_step);
    RUN(predict_may_not_log);
    RUN(several_val_loaders_get_dataloader_idx_keys);
    RUN(log_dict_logs_every_key_with_the_options);
    RUN(detect_anomaly_names_the_parameter_and_step);
    RUN(predict_keeps_copies_of_the_outputs);
    RUN(overfit_batches_repeats_the_first_batches_unshuffled);
    RUN(trainer_adds_progress_bar_and_summary_for_the_run);
    RUN(a_progress_bar_with_the_flag_off_is_an_error);
    RUN(missing_steps_and_bad_optimizer_configs_are_refused);
    RUN(metric_objects_are_computed_at_epoch_end_and_reset);
    return harness_summary();
}
