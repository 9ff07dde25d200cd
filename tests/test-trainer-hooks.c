/*
 * tests/test-trainer-hooks.c — the order of every module and callback hook
 * in fit, validate, test and predict equals Lightning 2.x's
 * (tests/fixtures/hook_order_*.txt), and a failing hook stops the run with
 * its name in the message and on_exception called. optimizer_step receives
 * the closure that runs training_step and backward: the entry order and a
 * warm-up's lr match a recording of Lightning, and an override that never
 * calls the closure fails the run as Lightning's does. The recorder, the data
 * and the recording hooks and callback are tests/hook-recorder.h.
 */
#include <stdlib.h>

#include "harness.h"
#include "hook-recorder.h"

static lit_datamodule DM = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train,
                             .val_dataloaders = dm_val, .test_dataloaders = dm_test,
                             .predict_dataloaders = dm_pred };

/* ---------------------------------------------------------------- recording module
 * (the steps and configure_optimizers; the other hooks: hook-recorder.h) */

typedef struct { lit_param_store *ps; lit_tensor *w; } model;

static lit_status m_configure_optimizers(lit_module *m, lit_optim_config *cfg) {
    rec("configure_optimizers");
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){ .lr = 0.01 }, p, n));
}
static lit_tensor *fwd(lit_module *m, lit_batch *b) {
    model *md = m->user;
    return lit_sum_all(lit_mul(lit_batch_get(b, "x"), md->w));
}
static lit_status m_training_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    rec("training_step");
    *loss = fwd(m, b);
    return LIT_OK;
}
#define MSTEP(h)                                                                                  \
    static lit_status m_##h(lit_module *m, lit_batch *b, int64_t i, int d, lit_tensor **out) {    \
        rec(#h);                                                                                  \
        *out = fwd(m, b);                                                                         \
        return LIT_OK;                                                                            \
    }
MSTEP(validation_step) MSTEP(test_step) MSTEP(predict_step)

static const lit_module_vtable VT = {
    .version = LIT_MODULE_VERSION, .training_step = m_training_step, .validation_step = m_validation_step,
    .test_step = m_test_step, .predict_step = m_predict_step, .configure_optimizers = m_configure_optimizers,
    HOOK_RECORDER_MODULE_HOOKS,
};

/* ---------------------------------------------------------------- harness */

static model md;
static lit_module mod;
static lit_trainer *new_trainer(lit_trainer_params *p) {
    lit_trainer *tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&tr, p), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &CALLBACK), LIT_OK);
    md.ps = lit_param_store_new("hooks");
    md.w = lit_param_store_new_param(md.ps, NULL, "w", 1, (const int64_t[]){ 2 });
    lit_module_init(&mod, &VT, md.ps, &md);
    n_calls = 0;
    return tr;
}
static void done(lit_trainer *tr) { hook_run_free(tr, &mod); }

TEST(fit_order) {
    lit_trainer_params p = hook_params();
    p.max_epochs = 2;
    p.val_check_batches = 1; /* validation inside the epoch, after every batch */
    lit_trainer *tr = new_trainer(&p);
    lit_status st = lit_trainer_fit(tr, &mod, &DM, NULL);
    CHECK_MSG(st == LIT_OK, "fit: %s", lit_last_error());
    compare_with_fixture("hook_order_fit.txt");
    CHECK_EQ_INT(lit_trainer_global_step(tr), 4);
    CHECK(lit_param_store_is_training(md.ps));
    done(tr);
}

TEST(validate_order) {
    lit_trainer_params p = hook_params();
    lit_trainer *tr = new_trainer(&p);
    CHECK_EQ_INT(lit_trainer_validate(tr, &mod, &DM), LIT_OK);
    compare_with_fixture("hook_order_validate.txt");
    done(tr);
}

TEST(test_order) {
    lit_trainer_params p = hook_params();
    lit_trainer *tr = new_trainer(&p);
    CHECK_EQ_INT(lit_trainer_test(tr, &mod, &DM), LIT_OK);
    compare_with_fixture("hook_order_test.txt");
    done(tr);
}

TEST(predict_order) {
    lit_trainer_params p = hook_params();
    lit_trainer *tr = new_trainer(&p);
    CHECK_EQ_INT(lit_trainer_predict(tr, &mod, &DM), LIT_OK);
    compare_with_fixture("hook_order_predict.txt");
    done(tr);
}

static lit_status failing_epoch_start(lit_module *m) {
    return lit_set_error(LIT_ERR_IO, "disk on fire");
}

TEST(failing_hook_stops_with_its_name) {
    lit_module_vtable vt = VT;
    vt.on_train_epoch_start = failing_epoch_start;
    lit_trainer_params p = hook_params();
    p.max_epochs = 1;
    lit_trainer *tr = new_trainer(&p);
    mod.vt = &vt;
    exceptions = 0;
    CHECK_EQ_INT(lit_trainer_fit(tr, &mod, &DM, NULL), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "on_train_epoch_start: disk on fire");
    CHECK_EQ_INT(exceptions, 1);
    CHECK(strcmp(calls[n_calls - 1], "teardown:fit") != 0); /* no teardown after a failure */
    done(tr);
}

/* ---------------------------------------------------------------- optimizer_step and its closure
 * The entry order of the training-batch hooks, recorded from Lightning by
 * tests/fixtures/gen_hook_order_optimizer_step.py: optimizer_step is entered
 * before training_step, which runs inside the closure it calls. */

static const char *const BATCH_HOOKS[] = { "on_train_batch_start", "training_step", "on_before_zero_grad",
                                           "optimizer_zero_grad", "on_before_backward", "backward",
                                           "on_after_backward", "on_before_optimizer_step", "optimizer_step",
                                           "on_train_batch_end" };

static int is_batch_hook(const char *name) {
    if (!strncmp(name, "Callback.", 9)) name += 9;
    if (!strncmp(name, "lr ", 3) || !strncmp(name, "error ", 6)) return 1;
    for (size_t k = 0; k < sizeof BATCH_HOOKS / sizeof BATCH_HOOKS[0]; k++)
        if (!strcmp(name, BATCH_HOOKS[k])) return 1;
    return 0;
}
/* The fixtures list only these hooks: drop the others from calls[]. */
static void keep_batch_hooks(void) {
    int kept = 0;
    for (int k = 0; k < n_calls; k++)
        if (is_batch_hook(calls[k])) memmove(calls[kept++], calls[k], sizeof calls[0]);
    n_calls = kept;
}

#define WARMUP_BASE_LR 0.1
/* The Lightning docs' warm-up: min(1, (global_step + 1) / 4) x base lr, then
 * optimizer.step(closure=optimizer_closure). Recorded when entered. */
static lit_status warmup_optimizer_step(lit_module *m, int64_t e, int64_t b, lit_optimizer *o,
                                        lit_optimizer_closure *c) {
    rec("optimizer_step");
    double scale = (double)(lit_module_global_step(m) + 1) / 4.0;
    lit_optimizer_set_lr(o, 0, (scale < 1 ? scale : 1) * WARMUP_BASE_LR);
    return lit_optimizer_step_with_closure(o, c);
}
/* Inside the step, just before the update: the lr the update will use. */
static lit_status record_lr_before_step(lit_module *m, lit_optimizer *o, int i) {
    rec("on_before_optimizer_step");
    char lr[64];
    snprintf(lr, sizeof lr, "lr %g", lit_optimizer_get_lr(o, 0));
    rec(lr);
    return LIT_OK;
}
static lit_status skipping_optimizer_step(lit_module *m, int64_t e, int64_t b, lit_optimizer *o,
                                          lit_optimizer_closure *c) {
    rec("optimizer_step");
    return LIT_OK; /* never calls the closure */
}
static lit_status sgd_lr_01(lit_module *m, lit_optim_config *cfg) {
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){ .lr = WARMUP_BASE_LR }, p, n));
}

static lit_trainer_params train_only_params(int64_t batches, int64_t accumulate) {
    lit_trainer_params p = hook_params();
    p.max_epochs = 1;
    p.limit_train_batches = batches;
    p.limit_val_batches = 0;
    p.num_sanity_val_steps = 0;
    p.enable_checkpointing = 0;
    p.accumulate_grad_batches = accumulate;
    return p;
}

TEST(optimizer_step_runs_training_step_in_its_closure) {
    lit_module_vtable vt = VT;
    vt.configure_optimizers = sgd_lr_01;
    vt.optimizer_step = warmup_optimizer_step;
    vt.on_before_optimizer_step = record_lr_before_step;
    lit_trainer_params p = train_only_params(4, 2);
    lit_trainer *tr = new_trainer(&p);
    mod.vt = &vt;
    memset(lit_f32(md.w), 0, 2 * sizeof(float));
    CHECK_EQ_INT(lit_trainer_fit(tr, &mod, &DM, NULL), LIT_OK);
    keep_batch_hooks();
    compare_with_fixture("hook_order_optimizer_step.txt");
    /* loss = sum(x w): each group's gradient is the mean of its two batches'
     * column sums, (3, 2) then (11, 2), applied with lr 0.025 then 0.05. */
    CHECK_NEAR(lit_f32(md.w)[0], -(0.025 * 3 + 0.05 * 11), 1e-6);
    CHECK_NEAR(lit_f32(md.w)[1], -(0.025 * 2 + 0.05 * 2), 1e-6);
    CHECK_EQ_INT(lit_trainer_global_step(tr), 2);
    done(tr);
}

TEST(optimizer_step_without_calling_the_closure_fails) {
    lit_module_vtable vt = VT;
    vt.optimizer_step = skipping_optimizer_step;
    lit_trainer_params p = train_only_params(2, 1);
    lit_trainer *tr = new_trainer(&p);
    mod.vt = &vt;
    exceptions = 0;
    CHECK_EQ_INT(lit_trainer_fit(tr, &mod, &DM, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "optimizer_step: the closure was not called");
    CHECK_STR_CONTAINS(lit_last_error(), "lit_optimizer_step_with_closure(opt, closure)");
    CHECK_EQ_INT(exceptions, 1);
    rec("error MisconfigurationException"); /* Lightning's failure, as its recording shows it */
    keep_batch_hooks();
    compare_with_fixture("hook_order_optimizer_step_no_closure.txt");
    done(tr);
}

static lit_status failing_training_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    return lit_set_error(LIT_ERR_IO, "disk on fire");
}

/* The closure's failure keeps its own hook's name, not optimizer_step's. */
TEST(failure_inside_the_closure_names_its_hook) {
    lit_module_vtable vt = VT;
    vt.training_step = failing_training_step;
    lit_trainer_params p = train_only_params(2, 1);
    lit_trainer *tr = new_trainer(&p);
    mod.vt = &vt;
    CHECK_EQ_INT(lit_trainer_fit(tr, &mod, &DM, NULL), LIT_ERR_IO);
    CHECK_STR_EQ(lit_last_error(), "training_step: disk on fire");
    done(tr);
}

int main(void) {
    RUN(fit_order);
    RUN(validate_order);
    RUN(test_order);
    RUN(predict_order);
    RUN(failing_hook_stops_with_its_name);
    RUN(optimizer_step_runs_training_step_in_its_closure);
    RUN(optimizer_step_without_calling_the_closure_fails);
    RUN(failure_inside_the_closure_names_its_hook);
    return harness_summary();
}
