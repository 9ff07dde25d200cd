/*
 * tests/test-trainer-manual.c — manual optimization (automatic_optimization
 * = 0) through the Trainer: the hook order of a fit equals Lightning 2.x's
 * (tests/fixtures/hook_order_fit_manual.txt), global_step counts every
 * optimizer step (also with max_steps), lit_manual_optimizer_step does not
 * clip, the Trainer steps no scheduler (the user does), and a failing hook
 * inside lit_manual_* stops the run with its name. The recorder, the data
 * and the recording hooks and callback are tests/hook-recorder.h (shared
 * with test-trainer-hooks.c).
 */
#include <stdlib.h>

#include "harness.h"
#include "hook-recorder.h"

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

/* ---------------------------------------------------------------- recording module
 * (the steps and configure_optimizers; the other hooks: hook-recorder.h) */

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

static const lit_module_vtable VT = {
    .version = LIT_MODULE_VERSION, .training_step = m_training_step, .validation_step = m_validation_step,
    .configure_optimizers = m_configure_optimizers, HOOK_RECORDER_MODULE_HOOKS,
};

/* ---------------------------------------------------------------- harness */

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
    return tr;
}
static void done(lit_trainer *tr) { hook_run_free(tr, &mod); }
static double lr_of(lit_optimizer *o) {
    double lr = NAN;
    CHECK_EQ_INT(lit_optimizer_get_hparam(o, 0, "lr", &lr), LIT_OK);
    return lr;
}

/* ---------------------------------------------------------------- hook order */

TEST(fit_order_manual) {
    lit_trainer_params p = hook_params();
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
    lit_trainer_params p = hook_params();
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
    p = hook_params();
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
            lit_trainer_params p = hook_params();
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
    lit_trainer_params p = hook_params();
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
    lit_trainer_params p = hook_params(); /* 2 epochs x 2 batches */
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
static void count_exception(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_status st) {
    (void)cb, (void)tr, (void)m, (void)st;
    exceptions++;
}

TEST(failing_hook_inside_manual_calls_stops_the_run) {
    lit_trainer_params p = hook_params();
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
