/*
 * tests/test-trainer-loggers.c — what the Trainer sends its loggers and
 * when (Lightning 2.x's logger connector): hyperparameters once, step
 * values every log_every_n_steps batches that stepped (at step =
 * batches_that_stepped before this batch's count), epoch values with
 * "epoch" at the last batch's step, validation values at the step the fit
 * reached, finalize with the run's status; accumulation and manual
 * optimization; a failing logger is switched off and the run goes on; the
 * progress bar's v_num.
 */
#include <stdlib.h>

#include "harness.h"

/* ---------------------------------------------------------------- a recording logger */

#define MAX_CALLS 256

typedef struct {
    int64_t step;
    char text[512]; /* "name=value name=value ..." in the order sent */
} call;

typedef struct {
    call calls[MAX_CALLS];
    int n_calls;
    int n_hparams_calls;
    char hparams[256];
    char status[32];
    int fail_after; /* log_metrics fails from this call on (-1 never) */
    int freed;
} rec_logger;

static lit_status lg_hparams(lit_logger *lg, int n, const lit_logger_hparam *hp) {
    rec_logger *r = lg->user;
    r->n_hparams_calls++;
    size_t L = 0;
    for (int i = 0; i < n && L < sizeof r->hparams; i++)
        L += (size_t)snprintf(r->hparams + L, sizeof r->hparams - L, "%s%s", i ? " " : "", hp[i].name);
    return LIT_OK;
}
static lit_status lg_metrics(lit_logger *lg, int n, const char *const *names, const double *values, int64_t step) {
    rec_logger *r = lg->user;
    if (r->fail_after >= 0 && r->n_calls >= r->fail_after) return lit_set_error(LIT_ERR_IO, "disk full (test)");
    if (r->n_calls >= MAX_CALLS) return LIT_OK;
    call *c = &r->calls[r->n_calls++];
    c->step = step;
    size_t L = 0;
    for (int i = 0; i < n && L < sizeof c->text; i++)
        L += (size_t)snprintf(c->text + L, sizeof c->text - L, "%s%s=%g", i ? " " : "", names[i], values[i]);
    return LIT_OK;
}
static lit_status lg_finalize(lit_logger *lg, const char *status) {
    snprintf(((rec_logger *)lg->user)->status, 32, "%s", status);
    return LIT_OK;
}
static int64_t lg_version(lit_logger *lg) { (void)lg; return 7; }
static void lg_free(lit_logger *lg) { ((rec_logger *)lg->user)->freed++; }

static lit_logger make_logger(rec_logger *r) {
    memset(r, 0, sizeof *r);
    r->fail_after = -1;
    return (lit_logger){ .version = LIT_LOGGER_VERSION, .name = "Recorder", .user = r,
                         .log_hyperparams = lg_hparams, .log_metrics = lg_metrics, .finalize = lg_finalize,
                         .version_number = lg_version, .free = lg_free };
}

/* ---------------------------------------------------------------- model: logs the batch index */

static lit_status ds_get(void *u, int64_t i, lit_sample *out, lit_arena *a) {
    (void)u;
    lit_tensor *x = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){ 1 }, 1);
    lit_f32(x)[0] = (float)i;
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

static lit_tensor *w;
static lit_status train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    *loss = lit_mean_all(lit_mul(lit_batch_get(b, "x"), w));
    return lit_module_log_scalar(m, "loss", (double)i, .on_epoch = 1);
}
static lit_status val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)b, (void)dl, (void)out;
    return lit_module_log_scalar(m, "val", 10.0 + (double)i);
}
static lit_status configure(lit_module *m, lit_optim_config *cfg) {
    (void)m;
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){ .lr = 0.0 }, &w, 1));
}
static const lit_module_vtable VT = { .version = LIT_MODULE_VERSION, .training_step = train_step,
                                      .validation_step = val_step, .configure_optimizers = configure };

static lit_status fit(lit_trainer_params *p, lit_logger *lgs, int n_lg, lit_trainer **out) {
    train_dl = make_dl(&n_train);
    val_dl = make_dl(&n_val);
    lit_param_store *ps = lit_param_store_new("m");
    w = lit_param_store_new_param(ps, NULL, "w", 1, (const int64_t[]){ 1 });
    lit_module m;
    lit_module_init(&m, &VT, ps, NULL);
    lit_module_save_hyperparameters(&m, 2, (const lit_hparam_value[]){ LIT_HP_INT("hidden", 3),
                                                                         LIT_HP_DOUBLE("lr", 0.5) }, NULL);
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train, .val_dataloaders = dm_val };
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, p), LIT_OK);
    for (int i = 0; i < n_lg; i++) CHECK_EQ_INT(lit_trainer_add_logger(tr, &lgs[i]), LIT_OK);
    lit_status st = lit_trainer_fit(tr, &m, &dm, NULL);
    lit_dataloader_free(train_dl);
    lit_dataloader_free(val_dl);
    lit_module_deinit(&m);
    lit_param_store_free(ps);
    *out = tr;
    return st;
}

static int find_call(const rec_logger *r, int64_t step, const char *text) {
    for (int i = 0; i < r->n_calls; i++)
        if (r->calls[i].step == step && !strcmp(r->calls[i].text, text)) return i;
    return -1;
}

static void dump(const rec_logger *r) {
    for (int i = 0; i < r->n_calls; i++) printf("    call %d: step %lld: %s\n", i, (long long)r->calls[i].step, r->calls[i].text);
}

/* 4 batches/epoch, 2 epochs, log_every_n_steps 2: step values after
 * batches 1 and 3 of each epoch (batches_that_stepped 1, 3, 5, 7 before
 * counting them: (n + 1) % 2 == 0), then validation (val = mean of 10, 11)
 * and the train epoch mean (loss = mean of 0..3 = 1.5) at the last step. */
TEST(what_goes_to_the_loggers_and_when) {
    rec_logger r;
    lit_logger lg = make_logger(&r);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 2;
    p.log_every_n_steps = 2;
    p.num_sanity_val_steps = 1;
    lit_trainer *tr;
    CHECK_EQ_INT(fit(&p, &lg, 1, &tr), LIT_OK);
    CHECK_EQ_INT(r.n_hparams_calls, 1);
    CHECK_STR_EQ(r.hparams, "hidden lr");
    static const struct { int64_t step; const char *text; } want[] = {
        { 1, "loss_step=1 epoch=0" },       { 3, "loss_step=3 epoch=0" }, { 3, "val=10.5 epoch=0" },
        { 3, "loss_epoch=1.5 epoch=0" },    { 5, "loss_step=1 epoch=1" }, { 7, "loss_step=3 epoch=1" },
        { 7, "val=10.5 epoch=1" },          { 7, "loss_epoch=1.5 epoch=1" },
    };
    CHECK_EQ_INT(r.n_calls, 8);
    for (size_t k = 0; k < sizeof want / sizeof *want; k++)
        CHECK_MSG(k < (size_t)r.n_calls && r.calls[k].step == want[k].step && !strcmp(r.calls[k].text, want[k].text),
                  "call %zu: want step %lld \"%s\"", k, (long long)want[k].step, want[k].text);
    if (r.n_calls != 8) dump(&r);
    CHECK_STR_EQ(r.status, "success");
    CHECK_EQ_INT(lit_trainer_logger_version(tr), 7);
    lit_trainer_free(tr);
    CHECK_EQ_INT(r.freed, 1);
}

TEST(accumulation_logs_only_stepping_batches) {
    rec_logger r;
    lit_logger lg = make_logger(&r);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.log_every_n_steps = 1;
    p.accumulate_grad_batches = 2;
    p.limit_val_batches = 0;
    lit_trainer *tr;
    CHECK_EQ_INT(fit(&p, &lg, 1, &tr), LIT_OK);
    /* batches 1 and 3 step the optimizer: steps 0 and 1 carry their values. */
    CHECK(find_call(&r, 0, "loss_step=1 epoch=0") >= 0);
    CHECK(find_call(&r, 1, "loss_step=3 epoch=0") >= 0);
    CHECK(find_call(&r, 1, "loss_epoch=1.5 epoch=0") >= 0);
    CHECK_EQ_INT(r.n_calls, 3);
    if (r.n_calls != 3) dump(&r);
    lit_trainer_free(tr);
}

TEST(a_failing_logger_is_switched_off_and_the_run_goes_on) {
    rec_logger bad, good;
    lit_logger lgs[2] = { make_logger(&bad), make_logger(&good) };
    bad.fail_after = 1;
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 2;
    p.log_every_n_steps = 1;
    lit_log_level lv = lit_log_get_level();
    lit_log_set_level(LIT_LOG_OFF); /* the one error line is expected */
    lit_trainer *tr;
    CHECK_EQ_INT(fit(&p, lgs, 2, &tr), LIT_OK);
    lit_log_set_level(lv);
    CHECK_EQ_INT(bad.n_calls, 1);
    CHECK(good.n_calls > 8);
    CHECK_STR_EQ(bad.status, ""); /* not finalized once switched off */
    CHECK_STR_EQ(good.status, "success");
    CHECK_EQ_INT(lit_trainer_global_step(tr), 8);
    lit_trainer_free(tr);
}

TEST(the_progress_bar_shows_v_num) {
    rec_logger r;
    lit_logger lg = make_logger(&r);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.enable_progress_bar = 1;
    FILE *out = tmpfile();
    train_dl = make_dl(&n_train);
    val_dl = make_dl(&n_val);
    lit_param_store *ps = lit_param_store_new("m");
    w = lit_param_store_new_param(ps, NULL, "w", 1, (const int64_t[]){ 1 });
    lit_module m;
    lit_module_init(&m, &VT, ps, NULL);
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train, .val_dataloaders = dm_val };
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_logger(tr, &lg), LIT_OK);
    lit_progress_bar_params pp = lit_progress_bar_default_params();
    pp.out = out;
    pp.is_tty = 0;
    lit_callback bar;
    CHECK_EQ_INT(lit_progress_bar_callback(&bar, &pp), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &bar), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_OK);
    char text[2048] = "";
    rewind(out);
    size_t n = fread(text, 1, sizeof text - 1, out);
    text[n] = 0;
    CHECK_STR_CONTAINS(text, "Epoch 0: 100%");
    CHECK_STR_CONTAINS(text, "v_num=7");
    fclose(out);
    lit_trainer_free(tr);
    lit_dataloader_free(train_dl);
    lit_dataloader_free(val_dl);
    lit_module_deinit(&m);
    lit_param_store_free(ps);
}

TEST(bad_loggers_are_refused) {
    lit_trainer_params p = quiet_trainer_params();
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    rec_logger r;
    lit_logger lg = make_logger(&r);
    lg.version = 99;
    CHECK_EQ_INT(lit_trainer_add_logger(tr, &lg), LIT_ERR_INVALID_ARG);
    lg = make_logger(&r);
    lg.log_metrics = NULL;
    CHECK_EQ_INT(lit_trainer_add_logger(tr, &lg), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_trainer_num_loggers(tr), 0);
    lit_trainer_free(tr);
}

int main(void) {
    RUN(what_goes_to_the_loggers_and_when);
    RUN(accumulation_logs_only_stepping_batches);
    RUN(a_failing_logger_is_switched_off_and_the_run_goes_on);
    RUN(the_progress_bar_shows_v_num);
    RUN(bad_loggers_are_refused);
    return harness_summary();
}
