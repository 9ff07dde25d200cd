/*
 * tests/hook-recorder.h — the hook recorder shared by the hook-order tests
 * (tests/test-trainer-hooks.c, tests/test-trainer-manual.c). Include it after
 * harness.h; everything here is static, one copy per test executable.
 *
 *   - the record: rec() / rec_stage() append a hook's name to calls[]
 *     (n_calls of them; reset n_calls to 0 before a run);
 *   - the data: x_i = (i, 1), 8 samples in batches of 2, one loader per role
 *     (validation runs in the middle of a training epoch), and datamodule
 *     hooks dm_train / dm_val / dm_test / dm_pred that record their
 *     *_dataloader call; hook_run_free() frees a run's trainer, module,
 *     parameters and loaders;
 *   - the recording module hooks m_*: every module hook except the steps and
 *     configure_optimizers (which each test defines), listed for a vtable
 *     initializer by HOOK_RECORDER_MODULE_HOOKS;
 *   - CALLBACK, a lit_callback named "Recorder" that records every callback
 *     hook as "Callback.<hook>" and counts on_exception calls in exceptions;
 *   - hook_params(): Trainer params without bar and summary, default_root_dir
 *     a temporary directory removed at exit (checkpointing
 *     left on, as Lightning's test_hooks.py), 2 batches per loop;
 *   - compare_with_fixture("hook_order_*.txt"): calls[] against a list in
 *     tests/fixtures (one name a line, '#' comments and blank lines skipped).
 *
 * A hook that never fires in a run records nothing, so the module and the
 * callback cover the superset of hooks for every run the tests make.
 */
#ifndef LITC_TESTS_HOOK_RECORDER_H
#define LITC_TESTS_HOOK_RECORDER_H

#include <dirent.h>
#include <unistd.h>
#include <sys/stat.h>

#include "harness.h"

#define HR_UNUSED __attribute__((unused))

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

/* ---------------------------------------------------------------- data: x_i = (i, 1), batches of 2 */

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
static void hook_loaders_free(void) {
    for (int r = 0; r < N_ROLES; r++) {
        lit_dataloader_free(loaders[r]);
        loaders[r] = NULL;
    }
}
/* After a run: the trainer, the module and its parameter store, the loaders. */
static void hook_run_free(lit_trainer *tr, lit_module *m) {
    lit_param_store *ps = m->params;
    lit_trainer_free(tr);
    lit_module_deinit(m);
    lit_param_store_free(ps);
    hook_loaders_free();
}
HR_UNUSED static lit_dataloader *dm_train(void *u) { rec("train_dataloader"); return get_loader_for(TRAIN); }
HR_UNUSED static int dm_val(void *u, lit_dataloader **o) { rec("val_dataloader"); o[0] = get_loader_for(EVAL); return 1; }
HR_UNUSED static int dm_test(void *u, lit_dataloader **o) { rec("test_dataloader"); o[0] = get_loader_for(EVAL); return 1; }
HR_UNUSED static int dm_pred(void *u, lit_dataloader **o) { rec("predict_dataloader"); o[0] = get_loader_for(EVAL); return 1; }

/* ---------------------------------------------------------------- recording module hooks */

#define M0(h) static lit_status m_##h(lit_module *m) { rec(#h); return LIT_OK; }
M0(prepare_data) M0(on_fit_start) M0(on_fit_end) M0(on_train_start) M0(on_train_end)
M0(on_validation_start) M0(on_validation_end) M0(on_test_start) M0(on_test_end) M0(on_predict_start)
M0(on_predict_end) M0(on_train_epoch_start) M0(on_train_epoch_end) M0(on_validation_epoch_start)
M0(on_validation_epoch_end) M0(on_test_epoch_start) M0(on_test_epoch_end) M0(on_predict_epoch_start)
M0(on_predict_epoch_end) M0(on_after_backward)
#undef M0
#define MODE(h, t) static lit_status m_##h(lit_module *m) { rec(#h); lit_param_store_train(m->params, t); return LIT_OK; }
MODE(on_validation_model_eval, 0) MODE(on_validation_model_train, 1) MODE(on_test_model_eval, 0)
MODE(on_test_model_train, 1) MODE(on_predict_model_eval, 0)
#undef MODE

static lit_status m_setup(lit_module *m, lit_stage s) { rec_stage("setup", s); return LIT_OK; }
static lit_status m_teardown(lit_module *m, lit_stage s) { rec_stage("teardown", s); return LIT_OK; }
static lit_status m_configure_callbacks(lit_module *m, lit_trainer *tr) { rec("configure_callbacks"); return LIT_OK; }
static lit_status m_on_train_batch_start(lit_module *m, lit_batch *b, int64_t i) { rec("on_train_batch_start"); return LIT_OK; }
static lit_status m_on_train_batch_end(lit_module *m, lit_tensor *l, lit_batch *b, int64_t i) {
    CHECK(l != NULL); /* what training_step set, as Lightning's {"loss": ...} */
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
#undef MB
static lit_status m_on_before_backward(lit_module *m, lit_tensor *l) { rec("on_before_backward"); return LIT_OK; }
static lit_status m_backward(lit_module *m, lit_tensor *l) { rec("backward"); lit_backward(l); return LIT_OK; }
static lit_status m_on_before_optimizer_step(lit_module *m, lit_optimizer *o, int i) { rec("on_before_optimizer_step"); return LIT_OK; }
/* Automatic-optimization hooks: Lightning's manual mode calls none of them. */
/* Recorded when it returns, as Lightning's test_hooks.py records every hook
 * (so after the closure's hooks); the entry order: hook_order_optimizer_step.txt. */
static lit_status m_optimizer_step(lit_module *m, int64_t e, int64_t b, lit_optimizer *o, lit_optimizer_closure *c) {
    lit_status st = lit_optimizer_step_with_closure(o, c);
    rec("optimizer_step");
    return st;
}
static lit_status m_on_before_zero_grad(lit_module *m, lit_optimizer *o) { rec("on_before_zero_grad"); return LIT_OK; }
static lit_status m_on_save_checkpoint(lit_module *m, lit_checkpoint *ck) { rec("on_save_checkpoint"); return LIT_OK; }
static lit_status m_optimizer_zero_grad(lit_module *m, int64_t e, int64_t b, lit_optimizer *o, int i) {
    rec("optimizer_zero_grad");
    lit_optimizer_zero_grad(o, 1);
    return LIT_OK;
}

/* The recording hooks above, for a lit_module_vtable initializer that adds
 * the steps and configure_optimizers. */
#define HR_S(h) .h = m_##h
#define HOOK_RECORDER_MODULE_HOOKS                                                                              \
    HR_S(configure_callbacks), HR_S(prepare_data), HR_S(setup), HR_S(teardown), HR_S(on_fit_start),             \
        HR_S(on_fit_end), HR_S(on_train_start), HR_S(on_train_end), HR_S(on_validation_start),                  \
        HR_S(on_validation_end), HR_S(on_test_start), HR_S(on_test_end), HR_S(on_predict_start),                \
        HR_S(on_predict_end), HR_S(on_train_epoch_start), HR_S(on_train_epoch_end),                             \
        HR_S(on_validation_epoch_start), HR_S(on_validation_epoch_end), HR_S(on_test_epoch_start),              \
        HR_S(on_test_epoch_end), HR_S(on_predict_epoch_start), HR_S(on_predict_epoch_end),                      \
        HR_S(on_train_batch_start), HR_S(on_train_batch_end), HR_S(on_validation_batch_start),                  \
        HR_S(on_validation_batch_end), HR_S(on_test_batch_start), HR_S(on_test_batch_end),                      \
        HR_S(on_predict_batch_start), HR_S(on_predict_batch_end), HR_S(on_before_backward), HR_S(backward),     \
        HR_S(on_after_backward), HR_S(on_before_optimizer_step), HR_S(optimizer_step), HR_S(on_before_zero_grad), \
        HR_S(optimizer_zero_grad), HR_S(on_validation_model_eval), HR_S(on_validation_model_train),             \
        HR_S(on_test_model_eval), HR_S(on_test_model_train), HR_S(on_predict_model_eval),                      \
        HR_S(on_save_checkpoint)

/* ---------------------------------------------------------------- recording callback */

#define C0(h) static lit_status c_##h(lit_callback *cb, lit_trainer *tr, lit_module *m) { rec("Callback." #h); return LIT_OK; }
C0(on_fit_start) C0(on_fit_end) C0(on_sanity_check_start) C0(on_sanity_check_end) C0(on_train_start)
C0(on_train_end) C0(on_validation_start) C0(on_validation_end) C0(on_test_start) C0(on_test_end)
C0(on_predict_start) C0(on_predict_end) C0(on_train_epoch_start) C0(on_train_epoch_end)
C0(on_validation_epoch_start) C0(on_validation_epoch_end) C0(on_test_epoch_start) C0(on_test_epoch_end)
C0(on_predict_epoch_start) C0(on_predict_epoch_end) C0(on_after_backward)
#undef C0
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
#undef CB
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
/* Lightning names a callback's state_save hook state_dict. */
static lit_status c_state_save(lit_callback *cb, lit_checkpoint *ck) { rec("Callback.state_dict"); return LIT_OK; }
static lit_status c_on_save_checkpoint(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_checkpoint *ck) {
    rec("Callback.on_save_checkpoint");
    return LIT_OK;
}
static int exceptions; /* on_exception calls (the tests reset it) */
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
    SC(on_before_zero_grad), SC(on_exception), SC(state_save), SC(on_save_checkpoint),
};
#undef SC

/* ---------------------------------------------------------------- params and the comparison */

/* No bar, no summary; checkpointing stays at its default (on), as in
 * Lightning's test_hooks.py; 2 batches in every loop. */
static char hook_root[32]; /* default_root_dir: the default ModelCheckpoint writes here */

/* rm -r of what the run left there (lightning_logs/version_N/checkpoints/...). */
static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char child[1024];
        snprintf(child, sizeof child, "%s/%s", path, e->d_name);
        struct stat sb;
        if (lstat(child, &sb) == 0 && S_ISDIR(sb.st_mode)) remove_tree(child);
        else unlink(child);
    }
    if (d) closedir(d);
    rmdir(path);
}
static void remove_hook_root(void) {
    if (hook_root[0]) remove_tree(hook_root);
}

static lit_trainer_params hook_params(void) {
    lit_trainer_params p = lit_trainer_default_params();
    if (!hook_root[0]) {
        snprintf(hook_root, sizeof hook_root, "/tmp/litc-hooks-XXXXXX");
        if (!mkdtemp(hook_root)) hook_root[0] = 0;
        else atexit(remove_hook_root);
    }
    p.default_root_dir = hook_root;
    p.enable_progress_bar = 0;
    p.enable_model_summary = 0;
    p.limit_train_batches = 2;
    p.limit_val_batches = 2;
    p.limit_test_batches = 2;
    p.limit_predict_batches = 2;
    return p;
}

static void compare_with_fixture(const char *file) {
    /* HOOK_DUMP=1 prints what was recorded (to review a fixture change). */
    if (getenv("HOOK_DUMP"))
        for (int k = 0; k < n_calls; k++) printf("%s: %s\n", file, calls[k]);
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

#endif
