/*
 * tests/test-trainer-hooks.c — the order of every module and callback hook
 * in fit, validate, test and predict equals Lightning 2.x's
 * (tests/fixtures/hook_order_*.txt), and a failing hook stops the run with
 * its name in the message and on_exception called. The recorder, the data
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

int main(void) {
    RUN(fit_order);
    RUN(validate_order);
    RUN(test_order);
    RUN(predict_order);
    RUN(failing_hook_stops_with_its_name);
    return harness_summary();
}
