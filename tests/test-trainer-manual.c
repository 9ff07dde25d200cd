/*
 * tests/test-trainer-manual.c — manual optimization (automatic_optimization
 * = 0) through the Trainer: the hook order of a fit equals Lightning 2.x's
 * (tests/fixtures/hook_order_fit_manual.txt), global_step counts every
 * optimizer step (also with max_steps), lit_manual_optimizer_step does not
 * clip, the Trainer steps no scheduler (the user does), and a failing hook
 * inside lit_manual_* stops the run with its name.
 */
#include <stdlib.h>

#include "harness.h"

/* ---------------------------------------------------------------- the record
 * (the recording approach of test-trainer-hooks.c, trimmed to fit) */

#define MAX_CALLS 512
static char calls[MAX_CALLS][64];
static int n_calls;
static void rec(const char *name) {
    if (n_calls < MAX_CALLS) snprintf(calls[n_calls++], sizeof calls[0], "%s", name);
}
static void rec_stage(const char *name, lit_stage s) {
    char b[64];
    snprintf(b, sizeof b, "%s:%s", name, lit_stage_name(s));
    rec(b);
}

/* ---------------------------------------------------------------- data: x_i = (i, 1), batches of 2 */

static lit_status ds_get(void *user, int64_t i, lit_sample *out, lit_arena *a) {
    (void)user;
    lit_tensor *x = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){2}, 1);
    lit_f32(x)[0] = (float)i;
    lit_f32(x)[1] = 1.0f;
    out->n = 1;
    out->fields[0] = (lit_field){.name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x};
    return LIT_OK;
}
static int64_t n_samples = 8;
static int64_t ds_len(void *user) { (void)user; return n_samples; }

/* One loader per role: validation runs in the middle of a training epoch. */
enum { TRAIN, EVAL, N_ROLES };
static lit_dataloader *loaders[N_ROLES];
static lit_dataloader *get_loader_for(int role) {
    if (!loaders[role]) {
        lit_dataset ds = {.version = LIT_DATASET_VERSION, .len = ds_len, .get = ds_get};
        lit_dataloader_params p = lit_dataloader_default_params();
        p.batch_size = 2;
        loaders[role] = lit_dataloader_new(&ds, &p);
    }
    return loaders[role];
}
static lit_dataloader *dm_train(void *u) { (void)u; rec("train_dataloader"); return get_loader_for(TRAIN); }
static int dm_val(void *u, lit_dataloader **o) { (void)u; rec("val_dataloader"); o[0] = get_loader_for(EVAL); return 1; }
static lit_datamodule DM = {.version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train, .val_dataloaders = dm_val};
static lit_datamodule DM_TRAIN_ONLY = {.version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train};

/* ---------------------------------------------------------------- the model: loss = sum(x * w) (+ sum(x * v)) */

typedef struct {
    lit_param_store *ps;
    lit_tensor *w, *v;
} model;
static model md;
static lit_module mod;

static lit_tensor *fwd(lit_tensor *p, lit_batch *b) { return lit_sum_all(lit_mul(lit_batch_get(b, "x"), p)); }

/* ---------------------------------------------------------------- recording module */

#define M0(h) static lit_status m_##h(lit_module *m) { (void)m; rec(#h); return LIT_OK; }
M0(prepare_data) M0(on_fit_start) M0(on_fit_end) M0(on_train_start) M0(on_train_end) M0(on_validation_start)
M0(on_validation_end) M0(on_train_epoch_start) M0(on_train_epoch_end) M0(on_validation_epoch_start)
M0(on_validation_epoch_end) M0(on_after_backward)
#define MODE(h, t) static lit_status m_##h(lit_module *m) { rec(#h); lit_param_store_train(m->params, t); return LIT_OK; }
MODE(on_validation_model_eval, 0) MODE(on_validation_model_train, 1)

static lit_status m_setup(lit_module *m, lit_stage s) { (void)m; rec_stage("setup", s); return LIT_OK; }
static lit_status m_teardown(lit_module *m, lit_stage s) { (void)m; rec_stage("teardown", s); return LIT_OK; }
static lit_status m_configure_callbacks(lit_module *m, lit_trainer *tr) { (void)m; (void)tr; rec("configure_callbacks"); return LIT_OK; }
static lit_status m_configure_optimizers(lit_module *m, lit_optim_config *cfg) {
    (void)m;
    rec("configure_optimizers");
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){.lr = 0.01}, &md.w, 1));
}
/* Lightning's test model: loss = step(batch); opt.zero_grad();
 * manual_backward(loss); opt.step(); recorded when it returns, as there. */
static lit_status m_training_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    *loss = fwd(md.w, b);
    LIT_TRY(lit_manual_zero_grad(m, 0));
    LIT_TRY(lit_manual_backward(m, *loss));
    LIT_TRY(lit_manual_optimizer_step(m, 0));
    rec("training_step");
    return LIT_OK;
}
static lit_status m_validation_step(lit_module *m, lit_batch *b, int64_t i, int d, lit_tensor **out) {
    (void)m, (void)i, (void)d;
    rec("validation_step");
    *out = fwd(md.w, b);
    return LIT_OK;
}
static lit_status m_on_train_batch_start(lit_module *m, lit_batch *b, int64_t i) {
    (void)m, (void)b, (void)i;
    rec("on_train_batch_start");
    return LIT_OK;
}
static lit_status m_on_train_batch_end(lit_module *m, lit_tensor *l, lit_batch *b, int64_t i) {
    (void)m, (void)b, (void)i;
    CHECK(l != NULL); /* what training_step set, as Lightning's {"loss": ...} */
    rec("on_train_batch_end");
    return LIT_OK;
}
static lit_status m_on_validation_batch_start(lit_module *m, lit_batch *b, int64_t i, int d) {
    (void)m, (void)b, (void)i, (void)d;
    rec("on_validation_batch_start");
    return LIT_OK;
}
static lit_status m_on_validation_batch_end(lit_module *m, lit_tensor *o, lit_batch *b, int64_t i, int d) {
    (void)m, (void)o, (void)b, (void)i, (void)d;
    rec("on_validation_batch_end");
    return LIT_OK;
}
static lit_status m_on_before_backward(lit_module *m, lit_tensor *l) { (void)m, (void)l; rec("on_before_backward"); return LIT_OK; }
static lit_status m_backward(lit_module *m, lit_tensor *l) { (void)m; rec("backward"); lit_backward(l); return LIT_OK; }
static lit_status m_on_before_optimizer_step(lit_module *m, lit_optimizer *o, int i) {
    (void)m, (void)o, (void)i;
    rec("on_before_optimizer_step");
    return LIT_OK;
}
/* Automatic-optimization hooks: Lightning's manual mode calls none of them. */
static lit_status m_optimizer_step(lit_module *m, int64_t e, int64_t b, lit_optimizer *o, int i) {
    (void)m, (void)e, (void)b, (void)i;
    rec("optimizer_step");
    return lit_optimizer_step(o);
}
static lit_status m_on_before_zero_grad(lit_module *m, lit_optimizer *o) { (void)m, (void)o; rec("on_before_zero_grad"); return LIT_OK; }
static lit_status m_optimizer_zero_grad(lit_module *m, int64_t e, int64_t b, lit_optimizer *o, int i) {
    (void)m, (void)e, (void)b, (void)i;
    rec("optimizer_zero_grad");
    lit_optimizer_zero_grad(o, 1);
    return LIT_OK;
}

#define S(h) .h = m_##h
static const lit_module_vtable VT = {
    .version = LIT_MODULE_VERSION, S(training_step), S(validation_step), S(configure_optimizers),
    S(configure_callbacks), S(prepare_data), S(setup), S(teardown), S(on_fit_start), S(on_fit_end),
    S(on_train_start), S(on_train_end), S(on_validation_start), S(on_validation_end), S(on_train_epoch_start),
    S(on_train_epoch_end), S(on_validation_epoch_start), S(on_validation_epoch_end), S(on_train_batch_start),
    S(on_train_batch_end), S(on_validation_batch_start), S(on_validation_batch_end), S(on_before_backward),
    S(backward), S(on_after_backward), S(on_before_optimizer_step), S(optimizer_step), S(on_before_zero_grad),
    S(optimizer_zero_grad), S(on_validation_model_eval), S(on_validation_model_train),
};

/* ---------------------------------------------------------------- recording callback */

#define C0(h) static lit_status c_##h(lit_callback *cb, lit_trainer *tr, lit_module *m) { (void)cb, (void)tr, (void)m; rec("Callback." #h); return LIT_OK; }
C0(on_fit_start) C0(on_fit_end) C0(on_sanity_check_start) C0(on_sanity_check_end) C0(on_train_start)
C0(on_train_end) C0(on_validation_start) C0(on_validation_end) C0(on_train_epoch_start) C0(on_train_epoch_end)
C0(on_validation_epoch_start) C0(on_validation_epoch_end) C0(on_after_backward)
static lit_status c_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage s) {
    (void)cb, (void)tr, (void)m;
    rec_stage("Callback.setup", s);
    return LIT_OK;
}
static lit_status c_teardown(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage s) {
    (void)cb, (void)tr, (void)m;
    rec_stage("Callback.teardown", s);
    return LIT_OK;
}
static lit_status c_on_train_batch_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b, int64_t i) {
    (void)cb, (void)tr, (void)m, (void)b, (void)i;
    rec("Callback.on_train_batch_start");
    return LIT_OK;
}
static lit_status c_on_train_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l, lit_batch *b,
                                       int64_t i) {
    (void)cb, (void)tr, (void)m, (void)l, (void)b, (void)i;
    rec("Callback.on_train_batch_end");
    return LIT_OK;
}
static lit_status c_on_validation_batch_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b,
                                              int64_t i, int d) {
    (void)cb, (void)tr, (void)m, (void)b, (void)i, (void)d;
    rec("Callback.on_validation_batch_start");
    return LIT_OK;
}
static lit_status c_on_validation_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *o,
                                            lit_batch *b, int64_t i, int d) {
    (void)cb, (void)tr, (void)m, (void)o, (void)b, (void)i, (void)d;
    rec("Callback.on_validation_batch_end");
    return LIT_OK;
}
static lit_status c_on_before_backward(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l) {
    (void)cb, (void)tr, (void)m, (void)l;
    rec("Callback.on_before_backward");
    return LIT_OK;
}
static lit_status c_on_before_optimizer_step(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_optimizer *o) {
    (void)cb, (void)tr, (void)m, (void)o;
    rec("Callback.on_before_optimizer_step");
    return LIT_OK;
}
static lit_status c_on_before_zero_grad(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_optimizer *o) {
    (void)cb, (void)tr, (void)m, (void)o;
    rec("Callback.on_before_zero_grad");
    return LIT_OK;
}

#define SC(h) .h = c_##h
static const lit_callback CALLBACK = {
    .version = LIT_CALLBACK_VERSION, .name = "Recorder", SC(setup), SC(teardown), SC(on_fit_start), SC(on_fit_end),
    SC(on_sanity_check_start), SC(on_sanity_check_end), SC(on_train_start), SC(on_train_end),
    SC(on_validation_start), SC(on_validation_end), SC(on_train_epoch_start), SC(on_train_epoch_end),
    SC(on_validation_epoch_start), SC(on_validation_epoch_end), SC(on_train_batch_start), SC(on_train_batch_end),
    SC(on_validation_batch_start), SC(on_validation_batch_end), SC(on_before_backward), SC(on_after_backward),
    SC(on_before_optimizer_step), SC(on_before_zero_grad),
};

/* ---------------------------------------------------------------- harness */

static void compare_with_fixture(const char *file) {
    char path[512];
    snprintf(path, sizeof path, "%s/tests/fixtures/%s", LITC_SOURCE_DIR, file);
    FILE *f = fopen(path, "r");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f) return;
    char line[512];
    int k = 0, mismatches = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        if (k >= n_calls || strcmp(calls[k], line) != 0) {
            if (mismatches++ == 0)
                HARNESS_FAIL_("%s: call %d is \"%s\", Lightning's order has \"%s\"", file, k,
                              k < n_calls ? calls[k] : "(end)", line);
        }
        k++;
    }
    fclose(f);
    CHECK_MSG(k == n_calls, "%s: %d calls recorded, %d expected", file, n_calls, k);
    harness_checks_++;
}

/* A fresh module on vtable `vt` (manual optimization), w = (0.5, -0.25), v = (1, 2). */
static lit_trainer *new_trainer(lit_trainer_params *p, const lit_module_vtable *vt, int record) {
    lit_trainer *tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&tr, p), LIT_OK);
    if (record) CHECK_EQ_INT(lit_trainer_add_callback(tr, &CALLBACK), LIT_OK);
    md.ps = lit_param_store_new("manual");
    md.w = lit_param_store_new_param(md.ps, NULL, "w", 1, (const int64_t[]){2});
    md.v = lit_param_store_new_param(md.ps, NULL, "v", 1, (const int64_t[]){2});
    lit_f32(md.w)[0] = 0.5f, lit_f32(md.w)[1] = -0.25f;
    lit_f32(md.v)[0] = 1.0f, lit_f32(md.v)[1] = 2.0f;
    lit_module_init(&mod, vt, md.ps, &md);
    mod.automatic_optimization = 0;
    n_calls = 0;
    n_samples = 8;
    return tr;
}
static void done(lit_trainer *tr) {
    lit_trainer_free(tr);
    lit_module_deinit(&mod);
    lit_param_store_free(md.ps);
    for (int r = 0; r < N_ROLES; r++) {
        lit_dataloader_free(loaders[r]);
        loaders[r] = NULL;
    }
}
static lit_trainer_params base_params(void) {
    lit_trainer_params p = lit_trainer_default_params();
    p.enable_progress_bar = 0;
    p.enable_model_summary = 0;
    p.limit_train_batches = 2;
    p.limit_val_batches = 2;
    return p;
}
static double lr_of(lit_optimizer *o) {
    double lr = NAN;
    CHECK_EQ_INT(lit_optimizer_get_hparam(o, 0, "lr", &lr), LIT_OK);
    return lr;
}

/* ---------------------------------------------------------------- hook order */

TEST(fit_order_manual) {
    lit_trainer_params p = base_params();
    p.max_epochs = 1;
    lit_trainer *tr = new_trainer(&p, &VT, 1);
    lit_status st = lit_trainer_fit(tr, &mod, &DM, NULL);
    CHECK_MSG(st == LIT_OK, "fit: %s", lit_last_error());
    compare_with_fixture("hook_order_fit_manual.txt");
    /* Lightning's saved checkpoint in this test has global_step == train_batches. */
    CHECK_EQ_INT(lit_trainer_global_step(tr), 2);
    /* Two SGD steps (lr 0.01) on w with the gradients sum_x of batches
     * {0, 1} and {2, 3}: (1, 2) and (5, 2). */
    CHECK_NEAR(lit_f32(md.w)[0], 0.5 - 0.01 * (1 + 5), 1e-6);
    CHECK_NEAR(lit_f32(md.w)[1], -0.25 - 0.01 * (2 + 2), 1e-6);
    done(tr);
}

/* ---------------------------------------------------------------- global_step */

/* Two optimizers (w, v); even batches step both, odd batches only opt 0. */
static int64_t steps_seen[64][3];
static int n_batches_run;
static lit_status gs_configure_optimizers(lit_module *m, lit_optim_config *cfg) {
    (void)m;
    LIT_TRY(lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){.lr = 0.1}, &md.w, 1)));
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){.lr = 0.1}, &md.v, 1));
}
static lit_status gs_training_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    int k = n_batches_run++;
    int n;
    lit_optimizer **opts = lit_module_optimizers(m, &n);
    CHECK_EQ_INT(n, 2);
    steps_seen[k][0] = lit_module_global_step(m);
    *loss = lit_add(fwd(md.w, b), fwd(md.v, b));
    LIT_TRY(lit_manual_zero_grad(m, 0));
    LIT_TRY(lit_manual_zero_grad(m, 1));
    CHECK(md.w->grad == NULL && md.v->grad == NULL); /* set_to_none */
    LIT_TRY(lit_manual_backward(m, *loss));
    CHECK(md.w->grad != NULL && md.v->grad != NULL);
    LIT_TRY(lit_manual_optimizer_step(m, 0));
    steps_seen[k][1] = lit_module_global_step(m);
    if (i % 2 == 0) LIT_TRY(lit_manual_optimizer_step(m, 1));
    steps_seen[k][2] = lit_trainer_global_step(m->trainer);
    /* A bad index is a programmer error, caught before anything changes. */
    EXPECT_ASSERT(lit_manual_optimizer_step(m, 2), "optimizer 2 of 2");
    EXPECT_ASSERT(lit_manual_zero_grad(m, -1), "optimizer -1 of 2");
    CHECK(opts[1] == lit_module_optimizers(m, NULL)[1]);
    return LIT_OK;
}
static const lit_module_vtable GS_VT = {.version = LIT_MODULE_VERSION,
                                        .training_step = gs_training_step,
                                        .configure_optimizers = gs_configure_optimizers};

TEST(global_step_counts_every_optimizer_step) {
    lit_trainer_params p = base_params();
    p.limit_train_batches = -1; /* 4 batches of 2 */
    p.max_epochs = 2;
    lit_trainer *tr = new_trainer(&p, &GS_VT, 0);
    n_batches_run = 0;
    lit_status st = lit_trainer_fit(tr, &mod, &DM_TRAIN_ONLY, NULL);
    CHECK_MSG(st == LIT_OK, "fit: %s", lit_last_error());
    CHECK_EQ_INT(n_batches_run, 8);
    int64_t g = 0;
    for (int k = 0; k < n_batches_run; k++) {
        CHECK_EQ_INT(steps_seen[k][0], g);
        CHECK_EQ_INT(steps_seen[k][1], g + 1);
        g += k % 2 == 0 ? 2 : 1; /* batch_idx parity == k parity: 4 batches an epoch */
        CHECK_EQ_INT(steps_seen[k][2], g);
    }
    CHECK_EQ_INT(lit_trainer_global_step(tr), 12);
    CHECK_EQ_INT(lit_trainer_current_epoch(tr), 2);
    done(tr);

    /* max_steps counts optimizer steps, not batches: global_step is 2, 3, 5
     * after batches 0, 1, 2, so max_steps = 5 stops after 3 batches. */
    p = base_params();
    p.limit_train_batches = -1;
    p.max_epochs = -1;
    p.max_steps = 5;
    tr = new_trainer(&p, &GS_VT, 0);
    n_batches_run = 0;
    st = lit_trainer_fit(tr, &mod, &DM_TRAIN_ONLY, NULL);
    CHECK_MSG(st == LIT_OK, "fit: %s", lit_last_error());
    CHECK_EQ_INT(n_batches_run, 3);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 5);
    done(tr);
}

/* ---------------------------------------------------------------- no clipping */

static float grad_at_step[2];
static lit_status clip_training_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    *loss = fwd(md.w, b);
    LIT_TRY(lit_manual_zero_grad(m, 0));
    LIT_TRY(lit_manual_backward(m, *loss));
    LIT_TRY(lit_manual_optimizer_step(m, 0));
    return LIT_OK;
}
/* Gradients as the optimizer is about to see them. */
static lit_status clip_before_step(lit_module *m, lit_optimizer *o, int i) {
    (void)m, (void)o, (void)i;
    memcpy(grad_at_step, lit_f32(md.w->grad), sizeof grad_at_step);
    return LIT_OK;
}
static lit_status sgd1_configure_optimizers(lit_module *m, lit_optim_config *cfg) {
    (void)m;
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){.lr = 1.0}, &md.w, 1));
}
static lit_status auto_training_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)m, (void)i;
    *loss = fwd(md.w, b);
    return LIT_OK;
}
static const lit_module_vtable CLIP_VT = {.version = LIT_MODULE_VERSION,
                                          .training_step = clip_training_step,
                                          .configure_optimizers = sgd1_configure_optimizers,
                                          .on_before_optimizer_step = clip_before_step};

/* Batch {0, 1}: dL/dw = (1, 2), norm sqrt(5). gradient_clip_val = 0.1 would
 * scale it to norm 0.1. With manual optimization Lightning refuses the
 * Trainer's clipping (the user clips, e.g. with self.clip_gradients) and
 * lit_manual_optimizer_step applies the gradient unchanged; the same run with
 * automatic optimization does clip, so the check can tell them apart. */
TEST(manual_optimizer_step_does_not_clip) {
    for (int automatic = 0; automatic <= 1; automatic++) {
        for (int algo = 0; algo <= 1; algo++) {
            lit_trainer_params p = base_params();
            p.max_epochs = 1;
            p.limit_train_batches = 1;
            p.gradient_clip_val = 0.1;
            p.gradient_clip_algorithm = algo ? LIT_CLIP_VALUE : LIT_CLIP_NORM;
            lit_module_vtable vt = CLIP_VT;
            if (automatic) vt.training_step = auto_training_step;
            lit_trainer *tr = new_trainer(&p, &vt, 0);
            mod.automatic_optimization = automatic;
            lit_status st = lit_trainer_fit(tr, &mod, &DM_TRAIN_ONLY, NULL);
            if (!automatic) {
                /* Lightning refuses Trainer clipping with manual optimization... */
                CHECK_EQ_INT(st, LIT_ERR_CONFIG);
                CHECK_STR_CONTAINS(lit_last_error(), "not supported for manual optimization");
                CHECK_EQ_INT(lit_trainer_global_step(tr), 0);
                done(tr);
                /* ...and its optimizer step applies the gradient as it is. */
                p.gradient_clip_val = 0;
                tr = new_trainer(&p, &vt, 0);
                mod.automatic_optimization = 0;
                st = lit_trainer_fit(tr, &mod, &DM_TRAIN_ONLY, NULL);
            }
            CHECK_MSG(st == LIT_OK, "fit (automatic %d): %s", automatic, lit_last_error());
            CHECK(grad_at_step[0] == 1.0f && grad_at_step[1] == 2.0f); /* before clipping in both modes */
            double d0 = 0.5 - lit_f32(md.w)[0], d1 = -0.25 - lit_f32(md.w)[1]; /* lr 1: the applied gradient */
            if (!automatic) {
                CHECK_NEAR(d0, 1.0, 1e-7);
                CHECK_NEAR(d1, 2.0, 1e-7);
            } else if (algo == 0) {
                CHECK_NEAR(hypot(d0, d1), 0.1, 1e-5);
                CHECK_NEAR(d1 / d0, 2.0, 1e-4);
            } else {
                CHECK_NEAR(d0, 0.1, 1e-7);
                CHECK_NEAR(d1, 0.1, 1e-7);
            }
            CHECK_EQ_INT(lit_trainer_global_step(tr), 1);
            done(tr);
        }
    }
    /* Trainer accumulation is refused with manual optimization too. */
    lit_trainer_params p = base_params();
    p.accumulate_grad_batches = 2;
    lit_trainer *tr = new_trainer(&p, &CLIP_VT, 0);
    mod.automatic_optimization = 0;
    CHECK_EQ_INT(lit_trainer_fit(tr, &mod, &DM_TRAIN_ONLY, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "accumulate_grad_batches=2): automatic gradient accumulation");
    done(tr);
}

/* ---------------------------------------------------------------- schedulers */

/* opt 0 with a StepLR on the "step" interval, opt 1 with a StepLR on the
 * "epoch" interval (gamma 0.5 both). In manual mode the Trainer steps
 * neither (Lightning: "you need to call lr_scheduler.step() yourself"); the
 * module steps opt 1's at every epoch end. */
static lit_scheduler *user_sched;
static double lr_in_step[16][2];
static lit_status sch_configure_optimizers(lit_module *m, lit_optim_config *cfg) {
    (void)m;
    lit_optimizer *o0 = lit_sgd_new(&(lit_sgd_params){.lr = 0.1}, &md.w, 1);
    lit_optimizer *o1 = lit_sgd_new(&(lit_sgd_params){.lr = 0.1}, &md.v, 1);
    LIT_TRY(lit_optim_config_add(cfg, o0));
    LIT_TRY(lit_optim_config_add(cfg, o1));
    lit_step_lr_params sp = {.step_size = 1, .gamma = 0.5};
    LIT_TRY(lit_optim_config_add_scheduler(
        cfg, &(lit_lr_scheduler_config){.scheduler = lit_step_lr_new(o0, &sp), .interval = LIT_INTERVAL_STEP}));
    user_sched = lit_step_lr_new(o1, &sp);
    return lit_optim_config_add_scheduler(
        cfg, &(lit_lr_scheduler_config){.scheduler = user_sched, .interval = LIT_INTERVAL_EPOCH, .opt_idx = 1});
}
static lit_status sch_training_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    int n, k = n_batches_run++;
    lit_optimizer **opts = lit_module_optimizers(m, &n);
    lr_in_step[k][0] = lr_of(opts[0]);
    lr_in_step[k][1] = lr_of(opts[1]);
    *loss = lit_add(fwd(md.w, b), fwd(md.v, b));
    LIT_TRY(lit_manual_zero_grad(m, 0));
    LIT_TRY(lit_manual_zero_grad(m, 1));
    LIT_TRY(lit_manual_backward(m, *loss));
    LIT_TRY(lit_manual_optimizer_step(m, 0));
    LIT_TRY(lit_manual_optimizer_step(m, 1));
    return LIT_OK;
}
static lit_status sch_on_train_epoch_end(lit_module *m) {
    (void)m;
    return lit_scheduler_step(user_sched);
}
static const lit_module_vtable SCH_VT = {.version = LIT_MODULE_VERSION,
                                         .training_step = sch_training_step,
                                         .configure_optimizers = sch_configure_optimizers,
                                         .on_train_epoch_end = sch_on_train_epoch_end};

/* The automatic counterpart: one optimizer, the step-interval StepLR. */
static lit_status sch_auto_configure_optimizers(lit_module *m, lit_optim_config *cfg) {
    (void)m;
    lit_optimizer *o0 = lit_sgd_new(&(lit_sgd_params){.lr = 0.1}, &md.w, 1);
    LIT_TRY(lit_optim_config_add(cfg, o0));
    lit_step_lr_params sp = {.step_size = 1, .gamma = 0.5};
    return lit_optim_config_add_scheduler(
        cfg, &(lit_lr_scheduler_config){.scheduler = lit_step_lr_new(o0, &sp), .interval = LIT_INTERVAL_STEP});
}
static const lit_module_vtable SCH_AUTO_VT = {.version = LIT_MODULE_VERSION,
                                              .training_step = auto_training_step,
                                              .configure_optimizers = sch_auto_configure_optimizers};

TEST(schedulers_are_not_stepped_in_manual_mode) {
    lit_trainer_params p = base_params(); /* 2 epochs x 2 batches */
    p.max_epochs = 2;
    lit_trainer *tr = new_trainer(&p, &SCH_VT, 0);
    n_batches_run = 0;
    lit_status st = lit_trainer_fit(tr, &mod, &DM_TRAIN_ONLY, NULL);
    CHECK_MSG(st == LIT_OK, "fit: %s", lit_last_error());
    CHECK_EQ_INT(n_batches_run, 4);
    for (int k = 0; k < 4; k++) {
        CHECK_NEAR(lr_in_step[k][0], 0.1, 0);          /* never stepped */
        CHECK_NEAR(lr_in_step[k][1], k < 2 ? 0.1 : 0.05, 1e-15); /* the module's epoch-0 step */
    }
    int n;
    lit_optimizer **opts = lit_module_optimizers(&mod, &n);
    CHECK_EQ_INT(n, 2);
    CHECK_NEAR(lr_of(opts[0]), 0.1, 0);
    CHECK_NEAR(lr_of(opts[1]), 0.025, 1e-15); /* 0.1 * 0.5^2: the module's two steps only */
    CHECK_EQ_INT(lit_trainer_global_step(tr), 8);
    done(tr);

    /* Automatic optimization: the Trainer steps it after every optimizer step. */
    tr = new_trainer(&p, &SCH_AUTO_VT, 0);
    mod.automatic_optimization = 1;
    st = lit_trainer_fit(tr, &mod, &DM_TRAIN_ONLY, NULL);
    CHECK_MSG(st == LIT_OK, "fit: %s", lit_last_error());
    opts = lit_module_optimizers(&mod, &n);
    CHECK_NEAR(lr_of(opts[0]), 0.1 * 0.0625, 1e-15);
    done(tr);
}

/* ---------------------------------------------------------------- failures */

static lit_status fail_before_optimizer_step(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_optimizer *o) {
    (void)cb, (void)tr, (void)m, (void)o;
    return lit_set_error(LIT_ERR_IO, "gradients on fire");
}
static lit_status fail_before_backward(lit_module *m, lit_tensor *l) {
    (void)m, (void)l;
    return lit_set_error(LIT_ERR_NUMERIC, "loss on fire");
}
static int exceptions;
static void count_exception(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_status st) {
    (void)cb, (void)tr, (void)m, (void)st;
    exceptions++;
}

TEST(failing_hook_inside_manual_calls_stops_the_run) {
    lit_trainer_params p = base_params();
    p.max_epochs = 1;
    lit_trainer *tr = new_trainer(&p, &CLIP_VT, 0);
    lit_callback cb = {.version = LIT_CALLBACK_VERSION, .name = "Failing",
                       .on_before_optimizer_step = fail_before_optimizer_step, .on_exception = count_exception};
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &cb), LIT_OK);
    exceptions = 0;
    CHECK_EQ_INT(lit_trainer_fit(tr, &mod, &DM_TRAIN_ONLY, NULL), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "on_before_optimizer_step: gradients on fire");
    CHECK_EQ_INT(exceptions, 1);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 0);             /* the step did not happen */
    CHECK(lit_f32(md.w)[0] == 0.5f && lit_f32(md.w)[1] == -0.25f);
    done(tr);

    lit_module_vtable vt = CLIP_VT;
    vt.on_before_backward = fail_before_backward;
    tr = new_trainer(&p, &vt, 0);
    CHECK_EQ_INT(lit_trainer_fit(tr, &mod, &DM_TRAIN_ONLY, NULL), LIT_ERR_NUMERIC);
    CHECK_STR_CONTAINS(lit_last_error(), "on_before_backward: loss on fire");
    CHECK(md.w->grad == NULL); /* backward never ran */
    done(tr);

    /* Outside a run the manual calls are programmer errors. */
    lit_module loose;
    lit_module_init(&loose, &CLIP_VT, NULL, NULL);
    EXPECT_ASSERT(lit_manual_optimizer_step(&loose, 0), "not attached to a running Trainer");
    EXPECT_ASSERT(lit_manual_zero_grad(&loose, 0), "not attached to a running Trainer");
    lit_module_deinit(&loose);
}

int main(void) {
    RUN(fit_order_manual);
    RUN(global_step_counts_every_optimizer_step);
    RUN(manual_optimizer_step_does_not_clip);
    RUN(schedulers_are_not_stepped_in_manual_mode);
    RUN(failing_hook_inside_manual_calls_stops_the_run);
    return harness_summary();
}
