/*
 * tests/test-trainer-hooks.c — the order of every module and callback hook
 * in fit, validate, test and predict equals Lightning 2.x's
 * (tests/fixtures/hook_order_*.txt), and a failing hook stops the run with
 * its name in the message and on_exception called.
 */
#include <stdlib.h>

#include "harness.h"

/* ---------------------------------------------------------------- the record */

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

/* ---------------------------------------------------------------- data */

static lit_status ds_get(void *user, int64_t i, lit_sample *out, lit_arena *a) {
    lit_tensor *x = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){ 2 }, 1);
    lit_f32(x)[0] = (float)i;
    lit_f32(x)[1] = 1.0f;
    out->n = 1;
    out->fields[0] = (lit_field){ .name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x };
    return LIT_OK;
}
static int64_t ds_len(void *user) { return 8; } /* 4 batches of 2: the limits cut to 2 */

/* One loader per role: a lit_dataloader iterates one epoch at a time, and
 * validation runs in the middle of a training epoch. */
enum { TRAIN, EVAL, N_ROLES };
static lit_dataloader *loaders[N_ROLES];
static lit_dataloader *get_loader_for(int role) {
    lit_dataloader **lp = &loaders[role];
    if (!*lp) {
        lit_dataset ds = { .version = LIT_DATASET_VERSION, .len = ds_len, .get = ds_get };
        lit_dataloader_params p = lit_dataloader_default_params();
        p.batch_size = 2;
        *lp = lit_dataloader_new(&ds, &p);
    }
    return *lp;
}
static lit_dataloader *dm_train(void *u) { rec("train_dataloader"); return get_loader_for(TRAIN); }
static int dm_val(void *u, lit_dataloader **o) { rec("val_dataloader"); o[0] = get_loader_for(EVAL); return 1; }
static int dm_test(void *u, lit_dataloader **o) { rec("test_dataloader"); o[0] = get_loader_for(EVAL); return 1; }
static int dm_pred(void *u, lit_dataloader **o) { rec("predict_dataloader"); o[0] = get_loader_for(EVAL); return 1; }
static lit_datamodule DM = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train,
                             .val_dataloaders = dm_val, .test_dataloaders = dm_test,
                             .predict_dataloaders = dm_pred };

/* ---------------------------------------------------------------- recording module */

typedef struct { lit_param_store *ps; lit_tensor *w; } model;

#define M0(h) static lit_status m_##h(lit_module *m) { rec(#h); return LIT_OK; }
M0(prepare_data) M0(on_fit_start) M0(on_fit_end) M0(on_train_start) M0(on_train_end)
M0(on_validation_start) M0(on_validation_end) M0(on_test_start) M0(on_test_end) M0(on_predict_start)
M0(on_predict_end) M0(on_train_epoch_start) M0(on_train_epoch_end) M0(on_validation_epoch_start)
M0(on_validation_epoch_end) M0(on_test_epoch_start) M0(on_test_epoch_end) M0(on_predict_epoch_start)
M0(on_predict_epoch_end) M0(on_after_backward)
#define MODE(h, t) static lit_status m_##h(lit_module *m) { rec(#h); lit_param_store_train(m->params, t); return LIT_OK; }
MODE(on_validation_model_eval, 0) MODE(on_validation_model_train, 1) MODE(on_test_model_eval, 0)
MODE(on_test_model_train, 1) MODE(on_predict_model_eval, 0)

static lit_status m_setup(lit_module *m, lit_stage s) { rec_stage("setup", s); return LIT_OK; }
static lit_status m_teardown(lit_module *m, lit_stage s) { rec_stage("teardown", s); return LIT_OK; }
static lit_status m_configure_callbacks(lit_module *m, lit_trainer *tr) { rec("configure_callbacks"); return LIT_OK; }
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
static lit_status m_on_train_batch_start(lit_module *m, lit_batch *b, int64_t i) { rec("on_train_batch_start"); return LIT_OK; }
static lit_status m_on_train_batch_end(lit_module *m, lit_tensor *l, lit_batch *b, int64_t i) {
    CHECK(l != NULL);
    rec("on_train_batch_end");
    return LIT_OK;
}
#define MB(x)                                                                                                  \
    static lit_status m_on_##x##_batch_start(lit_module *m, lit_batch *b, int64_t i, int d) {                 \
        rec("on_" #x "_batch_start");                                                                          \
        return LIT_OK;                                                                                         \
    }                                                                                                          \
    static lit_status m_on_##x##_batch_end(lit_module *m, lit_tensor *o, lit_batch *b, int64_t i, int d) {    \
        CHECK(o != NULL);                                                                                      \
        rec("on_" #x "_batch_end");                                                                            \
        return LIT_OK;                                                                                         \
    }
MB(validation) MB(test) MB(predict)
static lit_status m_on_before_backward(lit_module *m, lit_tensor *l) { rec("on_before_backward"); return LIT_OK; }
static lit_status m_backward(lit_module *m, lit_tensor *l) { rec("backward"); lit_backward(l); return LIT_OK; }
static lit_status m_on_before_optimizer_step(lit_module *m, lit_optimizer *o, int i) { rec("on_before_optimizer_step"); return LIT_OK; }
static lit_status m_optimizer_step(lit_module *m, int64_t e, int64_t b, lit_optimizer *o, int i) {
    rec("optimizer_step");
    return lit_optimizer_step(o);
}
static lit_status m_on_before_zero_grad(lit_module *m, lit_optimizer *o) { rec("on_before_zero_grad"); return LIT_OK; }
static lit_status m_optimizer_zero_grad(lit_module *m, int64_t e, int64_t b, lit_optimizer *o, int i) {
    rec("optimizer_zero_grad");
    lit_optimizer_zero_grad(o, 1);
    return LIT_OK;
}

#define S(h) .h = m_##h
static const lit_module_vtable VT = {
    .version = LIT_MODULE_VERSION, S(training_step), S(validation_step), S(test_step), S(predict_step),
    S(configure_optimizers), S(configure_callbacks), S(prepare_data), S(setup), S(teardown), S(on_fit_start),
    S(on_fit_end), S(on_train_start), S(on_train_end), S(on_validation_start), S(on_validation_end),
    S(on_test_start), S(on_test_end), S(on_predict_start), S(on_predict_end), S(on_train_epoch_start),
    S(on_train_epoch_end), S(on_validation_epoch_start), S(on_validation_epoch_end), S(on_test_epoch_start),
    S(on_test_epoch_end), S(on_predict_epoch_start), S(on_predict_epoch_end), S(on_train_batch_start),
    S(on_train_batch_end), S(on_validation_batch_start), S(on_validation_batch_end), S(on_test_batch_start),
    S(on_test_batch_end), S(on_predict_batch_start), S(on_predict_batch_end), S(on_before_backward), S(backward),
    S(on_after_backward), S(on_before_optimizer_step), S(optimizer_step), S(on_before_zero_grad),
    S(optimizer_zero_grad), S(on_validation_model_eval), S(on_validation_model_train), S(on_test_model_eval),
    S(on_test_model_train), S(on_predict_model_eval),
};

/* ---------------------------------------------------------------- recording callback */

#define C0(h) static lit_status c_##h(lit_callback *cb, lit_trainer *tr, lit_module *m) { rec("Callback." #h); return LIT_OK; }
C0(on_fit_start) C0(on_fit_end) C0(on_sanity_check_start) C0(on_sanity_check_end) C0(on_train_start)
C0(on_train_end) C0(on_validation_start) C0(on_validation_end) C0(on_test_start) C0(on_test_end)
C0(on_predict_start) C0(on_predict_end) C0(on_train_epoch_start) C0(on_train_epoch_end)
C0(on_validation_epoch_start) C0(on_validation_epoch_end) C0(on_test_epoch_start) C0(on_test_epoch_end)
C0(on_predict_epoch_start) C0(on_predict_epoch_end) C0(on_after_backward)
static lit_status c_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage s) { rec_stage("Callback.setup", s); return LIT_OK; }
static lit_status c_teardown(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage s) { rec_stage("Callback.teardown", s); return LIT_OK; }
static lit_status c_on_train_batch_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b, int64_t i) {
    rec("Callback.on_train_batch_start");
    return LIT_OK;
}
static lit_status c_on_train_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l, lit_batch *b,
                                       int64_t i) {
    rec("Callback.on_train_batch_end");
    return LIT_OK;
}
#define CB(x)                                                                                                     \
    static lit_status c_on_##x##_batch_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b,      \
                                             int64_t i, int d) {                                                  \
        rec("Callback.on_" #x "_batch_start");                                                                    \
        return LIT_OK;                                                                                            \
    }                                                                                                             \
    static lit_status c_on_##x##_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *o,       \
                                           lit_batch *b, int64_t i, int d) {                                      \
        rec("Callback.on_" #x "_batch_end");                                                                      \
        return LIT_OK;                                                                                            \
    }
CB(validation) CB(test) CB(predict)
static lit_status c_on_before_backward(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l) {
    rec("Callback.on_before_backward");
    return LIT_OK;
}
static lit_status c_on_before_optimizer_step(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_optimizer *o) {
    rec("Callback.on_before_optimizer_step");
    return LIT_OK;
}
static lit_status c_on_before_zero_grad(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_optimizer *o) {
    rec("Callback.on_before_zero_grad");
    return LIT_OK;
}
static int exceptions;
static void c_on_exception(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_status st) { exceptions++; }

#define SC(h) .h = c_##h
static const lit_callback CALLBACK = {
    .version = LIT_CALLBACK_VERSION, .name = "Recorder", SC(setup), SC(teardown), SC(on_fit_start), SC(on_fit_end),
    SC(on_sanity_check_start), SC(on_sanity_check_end), SC(on_train_start), SC(on_train_end),
    SC(on_validation_start), SC(on_validation_end), SC(on_test_start), SC(on_test_end), SC(on_predict_start),
    SC(on_predict_end), SC(on_train_epoch_start), SC(on_train_epoch_end), SC(on_validation_epoch_start),
    SC(on_validation_epoch_end), SC(on_test_epoch_start), SC(on_test_epoch_end), SC(on_predict_epoch_start),
    SC(on_predict_epoch_end), SC(on_train_batch_start), SC(on_train_batch_end), SC(on_validation_batch_start),
    SC(on_validation_batch_end), SC(on_test_batch_start), SC(on_test_batch_end), SC(on_predict_batch_start),
    SC(on_predict_batch_end), SC(on_before_backward), SC(on_after_backward), SC(on_before_optimizer_step),
    SC(on_before_zero_grad), SC(on_exception),
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
    p.limit_test_batches = 2;
    p.limit_predict_batches = 2;
    return p;
}

TEST(fit_order) {
    lit_trainer_params p = base_params();
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
    lit_trainer_params p = base_params();
    lit_trainer *tr = new_trainer(&p);
    CHECK_EQ_INT(lit_trainer_validate(tr, &mod, &DM), LIT_OK);
    compare_with_fixture("hook_order_validate.txt");
    done(tr);
}

TEST(test_order) {
    lit_trainer_params p = base_params();
    lit_trainer *tr = new_trainer(&p);
    CHECK_EQ_INT(lit_trainer_test(tr, &mod, &DM), LIT_OK);
    compare_with_fixture("hook_order_test.txt");
    done(tr);
}

TEST(predict_order) {
    lit_trainer_params p = base_params();
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
    lit_trainer_params p = base_params();
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
