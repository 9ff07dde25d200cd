/*
 * tests/scripted-fit.h — what test-model-checkpoint.c and
 * test-early-stopping.c train: a linear regression (x in R^2, SGD lr 0.05,
 * w = (0.1, -0.2), b = 0) on 4 training samples and 2 validation samples in
 * batches of 2 (so epoch e ends at global step 2(e+1)), whose validation
 * logs a scripted "val/loss" per epoch (or per validation run, with
 * per_validation) and optionally 1 - that value under a second name; the
 * steps can fail on cue. run_init / run_fit / run_free hold one fit: its
 * data, module and trainer. Also the temporary-folder helpers (tmp-dir.h).
 * Header-only (static inline); include after harness.h.
 */
#ifndef LITC_TESTS_SCRIPTED_FIT_H
#define LITC_TESTS_SCRIPTED_FIT_H

#include "harness.h"
#include "tmp-dir.h"

/* ---------------------------------------------------------------- data: 4 training samples, 2 validation */

#define D_IN 2
#include "tiny-data.h"

static void tiny_sample(int64_t i, float *x, float *y) {
    x[0] = (float)(i % 3) - 1.0f;
    x[1] = (float)(i % 2);
    *y = 0.5f * x[0] - x[1] + 0.25f;
}

typedef struct {
    int64_t n_train, n_val;
    lit_dataloader *train, *val;
} dm_state;

static inline lit_dataloader *dm_train(void *u) {
    dm_state *s = u;
    if (!s->train) s->train = tiny_loader(&s->n_train, 2, NULL);
    return s->train;
}
static inline int dm_val(void *u, lit_dataloader **out) {
    dm_state *s = u;
    if (!s->val) s->val = tiny_loader(&s->n_val, 2, NULL);
    out[0] = s->val;
    return 1;
}
static inline lit_datamodule scripted_dm(dm_state *s) {
    return (lit_datamodule){ .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train,
                             .val_dataloaders = dm_val, .user = s };
}

/* ---------------------------------------------------------------- module: linear regression, scripted val/loss */

#define MAX_SCRIPT 16

typedef struct {
    lit_param_store *ps;
    lit_tensor *w, *b;
    int n_script;
    double script[MAX_SCRIPT]; /* val/loss at epoch e (the last value repeats) */
    int fail_epoch;            /* training_step fails at batch 0 of this epoch (-1 never) */
    int fail_save_epoch;       /* on_save_checkpoint fails in this epoch (-1 never) */
    const char *extra_name;    /* a second validation metric, 1 - val/loss (or NULL) */
    int per_validation;        /* index the script by validation run (not sanity) instead of epoch */
    int64_t n_val_runs;        /* validations outside the sanity check so far */
    int64_t epochs_run;        /* on_train_epoch_end calls */
} model;

static inline lit_tensor *loss_of(model *md, lit_batch *b) {
    lit_tensor *pred = lit_add(lit_matmul(lit_batch_get(b, "x"), md->w), md->b);
    return lit_mse_loss(pred, lit_batch_get(b, "y"), LIT_REDUCTION_MEAN);
}
static inline lit_status train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    model *md = m->user;
    if (lit_module_current_epoch(m) == md->fail_epoch && i == 0)
        return lit_set_error(LIT_ERR_DATA, "scripted failure at epoch %d", md->fail_epoch);
    *loss = loss_of(md, b);
    return lit_module_log(m, "train_loss", *loss);
}
static inline double scripted(const model *md, int64_t at) {
    return md->script[at < md->n_script ? at : md->n_script - 1];
}
static inline lit_status val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)b, (void)i, (void)dl, (void)out;
    model *md = m->user;
    int64_t at = md->per_validation ? md->n_val_runs : lit_module_current_epoch(m);
    LIT_TRY(lit_module_log_scalar(m, "val/loss", scripted(md, at)));
    if (md->extra_name) LIT_TRY(lit_module_log_scalar(m, md->extra_name, 1.0 - scripted(md, at)));
    return LIT_OK;
}
static inline lit_status val_end(lit_module *m) {
    if (!lit_trainer_sanity_checking(m->trainer)) ((model *)m->user)->n_val_runs++;
    return LIT_OK;
}
static inline lit_status epoch_end(lit_module *m) {
    ((model *)m->user)->epochs_run++;
    return LIT_OK;
}
static inline lit_status configure(lit_module *m, lit_optim_config *cfg) {
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = 0.05;
    return lit_optim_config_add(cfg, lit_sgd_new(&sp, p, n));
}
static inline lit_status on_save(lit_module *m, lit_checkpoint *ck) {
    (void)ck;
    model *md = m->user;
    if (lit_module_current_epoch(m) == md->fail_save_epoch)
        return lit_set_error(LIT_ERR_IO, "scripted save failure at epoch %d", md->fail_save_epoch);
    return LIT_OK;
}

static const lit_module_vtable VT = { .version = LIT_MODULE_VERSION, .training_step = train_step,
                                      .validation_step = val_step, .configure_optimizers = configure,
                                      .on_validation_end = val_end, .on_train_epoch_end = epoch_end,
                                      .on_save_checkpoint = on_save };
static const lit_module_vtable VT_NO_VAL = { .version = LIT_MODULE_VERSION, .training_step = train_step,
                                             .configure_optimizers = configure };

/* ---------------------------------------------------------------- one fit */

typedef struct {
    dm_state s;
    model md;
    lit_module m;
    lit_trainer *tr;
} run_t;

/* The module with the script's n values (vt NULL: VT), its data, no trainer yet. */
static inline void run_init(run_t *r, const double *script, int n, const lit_module_vtable *vt) {
    memset(r, 0, sizeof *r);
    r->s = (dm_state){ .n_train = 4, .n_val = 2 };
    r->md.ps = lit_param_store_new("m");
    r->md.w = lit_param_store_new_param(r->md.ps, NULL, "w", 2, (const int64_t[]){ D_IN, 1 });
    r->md.b = lit_param_store_new_param(r->md.ps, NULL, "b", 1, (const int64_t[]){ 1 });
    lit_f32(r->md.w)[0] = 0.1f, lit_f32(r->md.w)[1] = -0.2f, lit_f32(r->md.b)[0] = 0.0f;
    r->md.n_script = n;
    for (int i = 0; i < n; i++) r->md.script[i] = script[i];
    r->md.fail_epoch = -1;
    r->md.fail_save_epoch = -1;
    lit_module_init(&r->m, vt ? vt : &VT, r->md.ps, &r->md);
}

/* Fit with the callbacks (copied into a new trainer kept in r->tr). */
static inline lit_status run_fit(run_t *r, const lit_trainer_params *p, lit_callback *cbs, int n_cb,
                                 const char *ckpt) {
    lit_datamodule dm = scripted_dm(&r->s);
    r->tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&r->tr, p), LIT_OK);
    for (int i = 0; i < n_cb; i++) CHECK_EQ_INT(lit_trainer_add_callback(r->tr, &cbs[i]), LIT_OK);
    return lit_trainer_fit(r->tr, &r->m, &dm, ckpt);
}
static inline void run_free(run_t *r) {
    lit_trainer_free(r->tr);
    lit_module_deinit(&r->m);
    lit_param_store_free(r->md.ps);
    lit_dataloader_free(r->s.train);
    lit_dataloader_free(r->s.val);
}

#endif
