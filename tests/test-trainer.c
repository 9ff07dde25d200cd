/*
 * tests/test-trainer.c — Trainer semantics: params (defaults, env, errors),
 * gradient accumulation equivalence, batch/step counts under limits,
 * max_steps, fast_dev_run and val_check, epoch-mean logging, and the
 * LR-warmup optimizer_step override.
 */
#include <stdlib.h>

#include "harness.h"

/* ---------------------------------------------------------------- data: y = x.w* + 0.5 */

#define N_SAMPLES 32
#define D_IN 4

#include "tiny-data.h"

static void tiny_sample(int64_t i, float *x, float *y) { tiny_linear_sample(i, D_IN, x, y); }

typedef struct {
    int64_t n_train, n_val;
    int64_t bs_train, bs_val;
    lit_dataloader *train, *val;
} dm_state;

static lit_dataloader *dm_train(void *u) {
    dm_state *s = u;
    if (!s->train) s->train = tiny_loader(&s->n_train, s->bs_train, NULL);
    return s->train;
}
static int dm_val(void *u, lit_dataloader **out) {
    dm_state *s = u;
    if (!s->val) s->val = tiny_loader(&s->n_val, s->bs_val, NULL);
    out[0] = s->val;
    return 1;
}
static void dm_free(dm_state *s) {
    lit_dataloader_free(s->train);
    lit_dataloader_free(s->val);
    s->train = s->val = NULL;
}
static lit_datamodule make_dm(dm_state *s) {
    return (lit_datamodule){ .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train,
                             .val_dataloaders = dm_val, .test_dataloaders = dm_val, .user = s };
}

/* ---------------------------------------------------------------- model: linear regression */

typedef struct {
    lit_param_store *ps;
    lit_tensor *w, *b;
    double lr;
    int64_t train_steps, val_steps, train_batches_seen;
    double warmup_lrs[8];
    int n_warmup;
    int warmup;      /* override optimizer_step with a linear warm-up */
} linmodel;

static lit_tensor *lin_loss(linmodel *lm, lit_batch *b) {
    lit_tensor *pred = lit_add(lit_matmul(lit_batch_get(b, "x"), lm->w), lm->b);
    return lit_mse_loss(pred, lit_batch_get(b, "y"), LIT_REDUCTION_MEAN);
}
static lit_status lin_train(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    linmodel *lm = m->user;
    lm->train_steps++;
    *loss = lin_loss(lm, b);
    return lit_module_log(m, "train_loss", *loss, .on_epoch = 1, .prog_bar = 1);
}
static lit_status lin_val(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    linmodel *lm = m->user;
    lm->val_steps++;
    lit_tensor *loss = lin_loss(lm, b);
    return lit_module_log(m, "val_loss", loss);
}
static lit_status lin_opt(lit_module *m, lit_optim_config *cfg) {
    linmodel *lm = m->user;
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = lm->lr;
    return lit_optim_config_add(cfg, lit_sgd_new(&sp, p, n));
}
/* Lightning docs' warm-up: scale lr over the first steps, then step. */
static lit_status lin_optimizer_step(lit_module *m, int64_t epoch, int64_t bi, lit_optimizer *opt,
                                     lit_optimizer_closure *closure) {
    linmodel *lm = m->user;
    int64_t gs = lit_module_global_step(m);
    double scale = gs < 4 ? (double)(gs + 1) / 4.0 : 1.0;
    lit_optimizer_set_lr(opt, 0, scale * lm->lr);
    if (lm->n_warmup < 8) lm->warmup_lrs[lm->n_warmup++] = lit_optimizer_get_lr(opt, 0);
    return lit_optimizer_step_with_closure(opt, closure);
}

static const lit_module_vtable LIN_VT = { .version = LIT_MODULE_VERSION, .training_step = lin_train,
                                          .validation_step = lin_val, .test_step = lin_val,
                                          .configure_optimizers = lin_opt };
static const lit_module_vtable LIN_VT_WARMUP = { .version = LIT_MODULE_VERSION, .training_step = lin_train,
                                                 .configure_optimizers = lin_opt,
                                                 .optimizer_step = lin_optimizer_step };

static void lin_init(linmodel *lm, lit_module *m, const lit_module_vtable *vt) {
    memset(lm, 0, sizeof *lm);
    lm->ps = lit_param_store_new("lin");
    lm->w = lit_param_store_new_param(lm->ps, NULL, "w", 2, (const int64_t[]){ D_IN, 1 });
    lm->b = lit_param_store_new_param(lm->ps, NULL, "b", 1, (const int64_t[]){ 1 });
    for (int k = 0; k < D_IN; k++) lit_f32(lm->w)[k] = 0.1f * (float)(k - 1);
    lit_f32(lm->b)[0] = -0.2f;
    lm->lr = 0.1;
    lit_module_init(m, vt, lm->ps, lm);
}
static void lin_free(linmodel *lm, lit_module *m) {
    lit_module_deinit(m);
    lit_param_store_free(lm->ps);
}

/* ---------------------------------------------------------------- tests */

TEST(defaults_and_resolution) {
    lit_trainer_params p = lit_trainer_default_params();
    CHECK_EQ_INT(p.max_epochs, -1);
    CHECK_EQ_INT(p.max_steps, -1);
    CHECK_EQ_INT(p.num_sanity_val_steps, 2);
    CHECK_EQ_INT(p.accumulate_grad_batches, 1);
    CHECK_EQ_INT(p.check_val_every_n_epoch, 1);
    CHECK_EQ_INT(p.log_every_n_steps, 50);
    CHECK(p.limit_train_fraction == 1.0 && p.limit_train_batches == -1);
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    lit_trainer_free(tr);
}

TEST(env_overrides_defaults_only) {
    setenv("LIT_TRAINER_MAX_EPOCHS", "3", 1);
    setenv("LIT_TRAINER_ACCUMULATE_GRAD_BATCHES", "4", 1);
    setenv("LIT_TRAINER_GRADIENT_CLIP_ALGORITHM", "value", 1);
    setenv("LIT_TRAINER_ENABLE_PROGRESS_BAR", "false", 1);
    lit_trainer_params p = lit_trainer_default_params();
    p.accumulate_grad_batches = 2; /* explicit wins */
    CHECK_EQ_INT(lit_trainer_params_from_env(&p), LIT_OK);
    CHECK_EQ_INT(p.max_epochs, 3);
    CHECK_EQ_INT(p.accumulate_grad_batches, 2);
    CHECK_EQ_INT(p.gradient_clip_algorithm, LIT_CLIP_VALUE);
    CHECK_EQ_INT(p.enable_progress_bar, 0);
    setenv("LIT_TRAINER_MAX_STEPS", "ten", 1);
    p = lit_trainer_default_params();
    CHECK_EQ_INT(lit_trainer_params_from_env(&p), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "LIT_TRAINER_MAX_STEPS");
    unsetenv("LIT_TRAINER_MAX_EPOCHS");
    unsetenv("LIT_TRAINER_ACCUMULATE_GRAD_BATCHES");
    unsetenv("LIT_TRAINER_GRADIENT_CLIP_ALGORITHM");
    unsetenv("LIT_TRAINER_ENABLE_PROGRESS_BAR");
    unsetenv("LIT_TRAINER_MAX_STEPS");
}

TEST(bad_params_are_errors) {
    lit_trainer *tr = NULL;
    lit_trainer_params p = quiet_trainer_params();
    p.accumulate_grad_batches = 0;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "accumulate_grad_batches");
    CHECK(tr == NULL);
    p = quiet_trainer_params();
    p.limit_train_fraction = 1.5;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "limit_train_fraction");
    p = quiet_trainer_params();
    p.limit_val_batches = -3;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_ERR_CONFIG);
    p = quiet_trainer_params();
    p.limit_test_batches = 2;
    p.limit_test_fraction = 0.5;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "not both");
    p = quiet_trainer_params();
    p.val_check_interval = 0;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_ERR_CONFIG);
    p = quiet_trainer_params();
    p.gradient_clip_val = -1;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_ERR_CONFIG);

    /* val_check_batches larger than the epoch: found when fit sets up data, before training. */
    p = quiet_trainer_params();
    p.max_epochs = 1;
    p.val_check_batches = 10;
    dm_state s = { .n_train = 32, .n_val = 16, .bs_train = 8, .bs_val = 8 };
    lit_datamodule dm = make_dm(&s);
    linmodel lm;
    lit_module m;
    lin_init(&lm, &m, &LIN_VT);
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "val_check_batches");
    CHECK_EQ_INT(lm.train_steps, 0);
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);
}

/* Train one optimizer step on 32 samples: 4 x 8 with accumulation 4 vs 1 x 32. */
static void train_once(int64_t bs, int64_t acc, float *w_out) {
    dm_state s = { .n_train = N_SAMPLES, .n_val = 8, .bs_train = bs, .bs_val = 8 };
    lit_datamodule dm = make_dm(&s);
    dm.val_dataloaders = NULL;
    linmodel lm;
    lit_module m;
    lin_init(&lm, &m, &LIN_VT);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.accumulate_grad_batches = acc;
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 1);
    for (int k = 0; k < D_IN; k++) w_out[k] = lit_f32(lm.w)[k];
    w_out[D_IN] = lit_f32(lm.b)[0];
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);
}

TEST(accumulation_equals_big_batch) {
    float a[D_IN + 1], b[D_IN + 1], init[D_IN + 1] = { -0.1f, 0.0f, 0.1f, 0.2f, -0.2f };
    train_once(8, 4, a);
    train_once(32, 1, b);
    CHECK_ALLCLOSE(a, b, D_IN + 1, 1e-5, 1e-6);
    int moved = 0;
    for (int k = 0; k <= D_IN; k++) moved |= fabsf(a[k] - init[k]) > 1e-4f;
    CHECK(moved);
}

static lit_trainer *fit_with(lit_trainer_params p, dm_state *s, linmodel *lm, lit_module *m, lit_status want) {
    lit_datamodule dm = make_dm(s);
    lin_init(lm, m, &LIN_VT);
    lit_trainer *tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    lit_status st = lit_trainer_fit(tr, m, &dm, NULL);
    CHECK_MSG(st == want, "fit: %s (%s)", lit_status_name(st), lit_last_error());
    return tr;
}

TEST(counts_limit_train_batches_and_accumulation) {
    dm_state s = { .n_train = 32, .n_val = 16, .bs_train = 4, .bs_val = 8 }; /* 8 batches */
    linmodel lm;
    lit_module m;
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 2;
    p.limit_train_batches = 5;
    p.accumulate_grad_batches = 2;
    p.num_sanity_val_steps = 0;
    lit_trainer *tr = fit_with(p, &s, &lm, &m, LIT_OK);
    CHECK_EQ_INT(lm.train_steps, 10);
    CHECK_EQ_INT(lit_trainer_num_training_batches(tr), 5);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 6); /* 3 per epoch: the partial last group steps */
    CHECK_EQ_INT(lit_trainer_current_epoch(tr), 2);
    CHECK_EQ_INT(lit_trainer_estimated_stepping_batches(tr), 6);
    CHECK_EQ_INT(lm.val_steps, 2 * 2); /* one validation per epoch, 2 batches */
    CHECK_EQ_INT(lit_trainer_num_val_batches(tr), 2);
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);
}

TEST(counts_max_steps_and_sanity) {
    dm_state s = { .n_train = 32, .n_val = 24, .bs_train = 4, .bs_val = 8 };
    linmodel lm;
    lit_module m;
    lit_trainer_params p = quiet_trainer_params();
    p.max_steps = 11; /* max_epochs None -> unlimited epochs */
    lit_trainer *tr = fit_with(p, &s, &lm, &m, LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 11);
    CHECK_EQ_INT(lm.train_steps, 11);
    CHECK_EQ_INT(lit_trainer_current_epoch(tr), 2); /* stopped inside epoch 1, which still ends (Lightning) */
    /* sanity 2 + one full validation (3 batches) at the end of epoch 0 + the epoch-1 stop is mid-epoch */
    CHECK_EQ_INT(lm.val_steps, 2 + 3);
    CHECK_EQ_INT(lit_trainer_estimated_stepping_batches(tr), 11);
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);
}

TEST(counts_fast_dev_run) {
    dm_state s = { .n_train = 32, .n_val = 24, .bs_train = 4, .bs_val = 8 };
    linmodel lm;
    lit_module m;
    lit_trainer_params p = quiet_trainer_params();
    p.fast_dev_run = 2;
    p.max_epochs = 5;
    lit_trainer *tr = fit_with(p, &s, &lm, &m, LIT_OK);
    CHECK_EQ_INT(lm.train_steps, 2);
    CHECK_EQ_INT(lm.val_steps, 2); /* no sanity check; 2 val batches */
    CHECK_EQ_INT(lit_trainer_global_step(tr), 2);
    CHECK_EQ_INT(lit_trainer_current_epoch(tr), 1);
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);
}

TEST(counts_val_check_interval) {
    dm_state s = { .n_train = 40, .n_val = 16, .bs_train = 4, .bs_val = 8 }; /* 10 train, 2 val batches */
    linmodel lm;
    lit_module m;
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.num_sanity_val_steps = 0;
    p.val_check_interval = 0.25; /* every int(10 * 0.25) = 2 batches: 5 validations */
    lit_trainer *tr = fit_with(p, &s, &lm, &m, LIT_OK);
    CHECK_EQ_INT(lm.val_steps, 5 * 2);
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);

    p.val_check_interval = 1.0;
    p.val_check_batches = 3; /* after batches 3, 6, 9 (not 10, as Lightning) */
    tr = fit_with(p, &s, &lm, &m, LIT_OK);
    CHECK_EQ_INT(lm.val_steps, 3 * 2);
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);

    p.val_check_batches = -1;
    p.max_epochs = 4;
    p.check_val_every_n_epoch = 2;
    tr = fit_with(p, &s, &lm, &m, LIT_OK);
    CHECK_EQ_INT(lm.val_steps, 2 * 2);
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);
}

/* Epoch means: hand-computed batch-size weighted mean of the step losses. */
static double step_losses[16];
static int64_t step_sizes[16];
static int n_steps_rec;
static lit_status rec_batch_end(lit_module *m, lit_tensor *loss, lit_batch *b, int64_t i) {
    step_losses[n_steps_rec] = lit_item(loss);
    step_sizes[n_steps_rec++] = b->size;
    return LIT_OK;
}

TEST(epoch_mean_logging_is_batch_weighted) {
    lit_module_vtable vt = LIN_VT;
    vt.on_train_batch_end = rec_batch_end;
    vt.configure_optimizers = NULL; /* weights fixed: the losses stay put */
    dm_state s = { .n_train = 30, .n_val = 20, .bs_train = 8, .bs_val = 8 }; /* 8,8,8,6 and 8,8,4 */
    lit_datamodule dm = make_dm(&s);
    linmodel lm;
    lit_module m;
    lin_init(&lm, &m, &vt);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.num_sanity_val_steps = 0;
    lit_trainer *tr;
    n_steps_rec = 0;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    lit_log_set_level(LIT_LOG_ERROR);
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_OK);
    lit_log_set_level(LIT_LOG_INFO);
    CHECK_EQ_INT(n_steps_rec, 4);
    double ws = 0, wn = 0;
    for (int k = 0; k < n_steps_rec; k++) ws += step_losses[k] * (double)step_sizes[k], wn += (double)step_sizes[k];
    double v = 0;
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "train_loss_epoch", &v));
    CHECK_NEAR(v, ws / wn, 1e-6);
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_LOGGED, "train_loss_step", &v));
    CHECK_NEAR(v, step_losses[3], 1e-6);
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_PROGRESS_BAR, "train_loss_epoch", &v));
    CHECK(!lit_trainer_get_metric(tr, LIT_METRICS_LOGGED, "train_loss", &v));
    CHECK(lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "val_loss", &v)); /* on_epoch only: no suffix */
    CHECK(!lit_trainer_get_metric(tr, LIT_METRICS_PROGRESS_BAR, "val_loss", &v));
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);
}

static lit_status log_matrix(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    *loss = NULL;
    lit_status st = lit_module_log(m, "bad", lit_batch_get(b, "x"));
    CHECK_EQ_INT(st, LIT_ERR_SHAPE);
    CHECK_STR_CONTAINS(lit_last_error(), "scalar");
    return LIT_OK;
}

TEST(log_errors) {
    linmodel lm;
    lit_module m;
    lin_init(&lm, &m, &LIN_VT);
    CHECK_EQ_INT(lit_module_log_scalar(&m, "x", 1.0), LIT_ERR_STATE); /* outside a run */
    lin_free(&lm, &m);
    lit_module_vtable vt = LIN_VT;
    vt.training_step = log_matrix;
    dm_state s = { .n_train = 8, .n_val = 8, .bs_train = 4, .bs_val = 4 };
    lit_datamodule dm = make_dm(&s);
    lin_init(&lm, &m, &vt);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.num_sanity_val_steps = 0;
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 0); /* NULL loss skips the optimizer step */
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);
}

TEST(optimizer_step_override_warmup) {
    dm_state s = { .n_train = 24, .n_val = 8, .bs_train = 4, .bs_val = 4 };
    lit_datamodule dm = make_dm(&s);
    linmodel lm;
    lit_module m;
    lin_init(&lm, &m, &LIN_VT_WARMUP);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_OK);
    CHECK_EQ_INT(lm.n_warmup, 6);
    const double want[6] = { 0.025, 0.05, 0.075, 0.1, 0.1, 0.1 };
    for (int k = 0; k < 6; k++) CHECK_NEAR(lm.warmup_lrs[k], want[k], 1e-12);
    lit_trainer_free(tr);
    lin_free(&lm, &m);
    dm_free(&s);
}

static const char *plateau_monitor;
static lit_status plateau_opt(lit_module *m, lit_optim_config *cfg) {
    LIT_TRY(lin_opt(m, cfg));
    lit_reduce_lr_on_plateau_params rp = lit_reduce_lr_on_plateau_default_params();
    rp.patience = 0;
    return lit_optim_config_add_scheduler(
        cfg, &(lit_lr_scheduler_config){ .scheduler = lit_reduce_lr_on_plateau_new(cfg->optimizers[0], &rp),
                                         .monitor = plateau_monitor });
}

TEST(reduce_lr_on_plateau_monitor) {
    lit_module_vtable vt = LIN_VT;
    vt.configure_optimizers = plateau_opt;
    const char *monitors[3] = { "val_loss", "nope", NULL };
    const lit_status want[3] = { LIT_OK, LIT_ERR_CONFIG, LIT_ERR_CONFIG };
    for (int k = 0; k < 3; k++) {
        plateau_monitor = monitors[k];
        dm_state s = { .n_train = 16, .n_val = 8, .bs_train = 4, .bs_val = 4 };
        lit_datamodule dm = make_dm(&s);
        linmodel lm;
        lit_module m;
        lin_init(&lm, &m, &vt);
        lit_trainer_params p = quiet_trainer_params();
        p.max_epochs = 2;
        lit_trainer *tr;
        CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
        lit_status st = lit_trainer_fit(tr, &m, &dm, NULL);
        CHECK_MSG(st == want[k], "monitor %s: %s (%s)", monitors[k] ? monitors[k] : "NULL", lit_status_name(st),
                  lit_last_error());
        if (k == 1) CHECK_STR_CONTAINS(lit_last_error(), "\"nope\" which is not available");
        if (k == 2) CHECK_STR_CONTAINS(lit_last_error(), "monitor");
        lit_trainer_free(tr);
        lin_free(&lm, &m);
        dm_free(&s);
    }
}

TEST(hyperparameters) {
    linmodel lm;
    lit_module m;
    lin_init(&lm, &m, &LIN_VT);
    const lit_hparam_value hp[] = { LIT_HP_INT("hidden", 64), LIT_HP_DOUBLE("lr", 0.01),
                                    LIT_HP_STRING("act", "gelu"), LIT_HP_INT("secret", 1) };
    CHECK_EQ_INT(lit_module_save_hyperparameters(&m, 4, hp, (const char *const[]){ "secret", NULL }), LIT_OK);
    CHECK_EQ_INT(m.n_hparams, 3);
    CHECK_STR_EQ(m.hparams[0].name, "hidden");
    CHECK_STR_EQ(lit_module_hparam(&m, "act")->s, "gelu");
    CHECK(lit_module_hparam(&m, "secret") == NULL);
    CHECK_EQ_INT(lit_module_save_hyperparameters(&m, 1, (lit_hparam_value[]){ LIT_HP_DOUBLE("lr", 0.5) }, NULL), LIT_OK);
    CHECK_EQ_INT(m.n_hparams, 3);
    CHECK_NEAR(lit_module_hparam(&m, "lr")->d, 0.5, 0);
    lin_free(&lm, &m);
}

TEST(seed_everything_seeds_the_global_stream) {
    uint64_t used = 99;
    CHECK_EQ_INT(lit_seed_everything(42, &used), LIT_OK);
    CHECK_EQ_INT((int64_t)used, 42);
    CHECK_STR_EQ(getenv("LIT_GLOBAL_SEED"), "42");
    lit_rng expect = lit_rng_new(42);
    CHECK_EQ_INT(lit_rng_u32(lit_rng_global()), lit_rng_u32(&expect));
    /* seed < 0 takes the environment's (child processes see the parent's). */
    setenv("LIT_GLOBAL_SEED", "7", 1);
    CHECK_EQ_INT(lit_seed_everything(-1, &used), LIT_OK);
    CHECK_EQ_INT((int64_t)used, 7);
    expect = lit_rng_new(7);
    CHECK_EQ_INT(lit_rng_u32(lit_rng_global()), lit_rng_u32(&expect));
    setenv("LIT_GLOBAL_SEED", "-3", 1);
    CHECK_EQ_INT(lit_seed_everything(-1, &used), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "LIT_GLOBAL_SEED=\"-3\"");
    unsetenv("LIT_GLOBAL_SEED");
    lit_log_level lv = lit_log_get_level();
    lit_log_set_level(LIT_LOG_ERROR); /* the "using 0" warning is expected */
    CHECK_EQ_INT(lit_seed_everything(-1, &used), LIT_OK);
    lit_log_set_level(lv);
    CHECK_EQ_INT((int64_t)used, 0);
    unsetenv("LIT_GLOBAL_SEED");
}

int main(void) {
    lit_set_num_threads(1);
    RUN(seed_everything_seeds_the_global_stream);
    RUN(defaults_and_resolution);
    RUN(env_overrides_defaults_only);
    RUN(bad_params_are_errors);
    RUN(accumulation_equals_big_batch);
    RUN(counts_limit_train_batches_and_accumulation);
    RUN(counts_max_steps_and_sanity);
    RUN(counts_fast_dev_run);
    RUN(counts_val_check_interval);
    RUN(epoch_mean_logging_is_batch_weighted);
    RUN(log_errors);
    RUN(optimizer_step_override_warmup);
    RUN(reduce_lr_on_plateau_monitor);
    RUN(hyperparameters);
    return harness_summary();
}
