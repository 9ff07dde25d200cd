/*
 * tests/test-callbacks-weights.c — the callbacks that act on the weights:
 * the EMA of weights (MDLM's ExponentialMovingAverage), Lightning's
 * StochasticWeightAveraging (with SWALR) and BackboneFinetuning. Each test
 * records the weight sequence the fit produced and recomputes what the
 * callback must hold from it with the same float operations in the same
 * order, so the comparisons are exact; resume tests check that a fit split
 * by a checkpoint ends bit-identical to the uninterrupted one.
 */
#pragma GCC optimize("fp-contract=off")

#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "litc/callbacks.h"
#include "litc/checkpoint.h"
#include "tmp-dir.h"

#define D_IN 3
#include "tiny-data.h"

static void tiny_sample(int64_t i, float *x, float *y) { tiny_linear_sample(i, D_IN, x, y); }

/* ---------------------------------------------------------------- data: 16 samples, 4 batches of 4 */

typedef struct {
    int64_t n_train, n_val;
    lit_dataloader *train, *val;
} data;

static lit_dataloader *dm_train(void *u) {
    data *d = u;
    if (!d->train) d->train = tiny_loader(&d->n_train, 4, NULL);
    return d->train;
}
static int dm_val(void *u, lit_dataloader **out) {
    data *d = u;
    if (!d->val) d->val = tiny_loader(&d->n_val, 4, NULL);
    out[0] = d->val;
    return 1;
}
static lit_datamodule make_dm(data *d) {
    memset(d, 0, sizeof *d);
    d->n_train = 16;
    d->n_val = 8;
    return (lit_datamodule){ .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train,
                             .val_dataloaders = dm_val, .user = d };
}
static void dm_free(data *d) {
    lit_dataloader_free(d->train);
    lit_dataloader_free(d->val);
}

/* ---------------------------------------------------------------- model: backbone (3 -> 4) -> head (4 -> 1) */

#define MAX_REC 64
#define NW 21 /* 12 + 4 + 4 + 1 floats */

typedef struct {
    lit_param_store *ps;
    lit_nn_linear backbone, head;
    double lr;
    /* recordings */
    float at_step[MAX_REC][NW];     /* weights training_step saw, by global step */
    float after_step[MAX_REC][NW];  /* weights after step k (module's on_train_batch_end) */
    float at_val[MAX_REC][NW];      /* weights validation saw, by global step */
    int have_val[MAX_REC];
    float epoch_start[MAX_REC][NW]; /* weights at on_train_epoch_start, by epoch */
    double epoch_lr[MAX_REC][4];    /* group lrs at the epoch's first batch */
    int epoch_groups[MAX_REC];
    int restore_mismatch;           /* training_step saw weights other than those after the last step */
} model;

static void weights(const model *md, float *w) {
    int k = 0;
    const lit_tensor *ts[4] = { md->backbone.weight, md->backbone.bias, md->head.weight, md->head.bias };
    for (int i = 0; i < 4; i++)
        for (int64_t j = 0; j < ts[i]->numel; j++) w[k++] = ((const float *)ts[i]->data)[j];
}

static lit_tensor *forward(model *md, lit_batch *b) {
    return lit_nn_linear_forward(&md->head, lit_nn_linear_forward(&md->backbone, lit_batch_get(b, "x")));
}

static lit_status train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    model *md = m->user;
    int64_t s = lit_module_global_step(m);
    if (s < MAX_REC) {
        weights(md, md->at_step[s]);
        if (s > 0 && memcmp(md->at_step[s], md->after_step[s], sizeof md->at_step[s]) != 0) md->restore_mismatch = 1;
    }
    int64_t e = lit_module_current_epoch(m);
    if (i == 0 && e < MAX_REC) {
        int n = 0;
        lit_optimizer *opt = lit_module_optimizers(m, &n)[0];
        md->epoch_groups[e] = lit_optimizer_num_groups(opt);
        for (int g = 0; g < md->epoch_groups[e] && g < 4; g++) md->epoch_lr[e][g] = lit_optimizer_get_lr(opt, g);
    }
    *loss = lit_mse_loss(forward(md, b), lit_batch_get(b, "y"), LIT_REDUCTION_MEAN);
    return LIT_OK;
}
static lit_status on_batch_end(lit_module *m, lit_tensor *l, lit_batch *b, int64_t i) {
    (void)l, (void)b, (void)i;
    int64_t s = lit_module_global_step(m);
    if (s < MAX_REC) weights(m->user, ((model *)m->user)->after_step[s]);
    return LIT_OK;
}
static lit_status val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)b, (void)i, (void)dl, (void)out;
    model *md = m->user;
    int64_t s = lit_module_global_step(m);
    if (s < MAX_REC) {
        weights(md, md->at_val[s]);
        md->have_val[s] = 1;
    }
    return LIT_OK;
}
static lit_status on_epoch_start(lit_module *m) {
    int64_t e = lit_module_current_epoch(m);
    if (e < MAX_REC) weights(m->user, ((model *)m->user)->epoch_start[e]);
    return LIT_OK;
}
static lit_status configure(lit_module *m, lit_optim_config *cfg) {
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = ((model *)m->user)->lr;
    return lit_optim_config_add(cfg, lit_sgd_new(&sp, p, n));
}

static const lit_module_vtable VT = {
    .version = LIT_MODULE_VERSION, .training_step = train_step, .validation_step = val_step,
    .configure_optimizers = configure, .on_train_batch_end = on_batch_end, .on_train_epoch_start = on_epoch_start,
};

static model *model_new(lit_module *m, double lr) {
    model *md = calloc(1, sizeof *md);
    md->ps = lit_param_store_new("cbw");
    md->lr = lr;
    lit_rng init = lit_rng_new(3);
    lit_nn_linear_init(&md->backbone, md->ps, "backbone", D_IN, 4, 1, &init);
    lit_nn_linear_init(&md->head, md->ps, "head", 4, 1, 1, &init);
    lit_module_init(m, &VT, md->ps, md);
    return md;
}
static void model_free(model *md, lit_module *m) {
    lit_module_deinit(m);
    lit_param_store_free(md->ps);
    free(md);
}

static lit_trainer_params trainer_params(int64_t max_epochs) {
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = max_epochs;
    p.num_sanity_val_steps = 0;
    return p;
}

/* One fit's objects: the model (SGD at lr), its data and a trainer; close
 * frees them in reverse order. It must not move while open (dm points
 * into it). */
typedef struct {
    lit_module m;
    model *md;
    data d;
    lit_datamodule dm;
    lit_trainer *tr;
} fit_env;

static void env_open(fit_env *e, double lr, lit_trainer_params p) {
    e->md = model_new(&e->m, lr);
    e->dm = make_dm(&e->d);
    e->tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&e->tr, &p), LIT_OK);
}

static void env_close(fit_env *e) {
    lit_trainer_free(e->tr);
    dm_free(&e->d);
    model_free(e->md, &e->m);
}

/* ---------------------------------------------------------------- EMA */

/* MDLM's update, step k (1-based), in f32. */
static void ema_ref_update(float *shadow, const float *w, int64_t k, double decay, int use_num_updates) {
    double d = decay;
    if (use_num_updates) {
        double warm = (1.0 + (double)k) / (10.0 + (double)k);
        if (warm < d) d = warm;
    }
    float omd = (float)(1.0 - d);
    for (int j = 0; j < NW; j++) {
        float diff = shadow[j] - w[j];
        float t = omd * diff;
        shadow[j] = shadow[j] - t;
    }
}

/* The callback's shadows in the model's weight order. */
static void ema_shadow(const lit_callback *cb, float *w) {
    const char *names[4] = { "backbone.weight", "backbone.bias", "head.weight", "head.bias" };
    int k = 0;
    for (int i = 0; i < 4; i++) {
        const lit_tensor *t = lit_ema_shadow(cb, names[i]);
        CHECK(t != NULL);
        if (!t) return;
        for (int64_t j = 0; j < t->numel; j++) w[k++] = ((const float *)t->data)[j];
    }
}

TEST(ema_matches_closed_form_and_swaps_for_validation) {
    fit_env env;
    env_open(&env, 0.05, trainer_params(3));
    lit_ema_params ep = lit_ema_default_params();
    ep.decay = 0.9;
    lit_callback ema;
    CHECK_EQ_INT(lit_ema_callback(&ema, &ep), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ema), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(env.tr), 12);
    CHECK_EQ_INT(lit_ema_num_updates(&ema), 12);
    CHECK_EQ_INT(lit_ema_num_shadow(&ema), 4);
    CHECK(!lit_ema_swapped(&ema));

    float shadow[NW];
    memcpy(shadow, env.md->at_step[0], sizeof shadow); /* the weights at setup */
    for (int64_t k = 1; k <= 12; k++) {
        ema_ref_update(shadow, env.md->after_step[k], k, 0.9, 1);
        if (k % 4 == 0) {
            /* validation after each epoch ran on exactly the EMA weights */
            CHECK(env.md->have_val[k]);
            CHECK_MSG(!memcmp(env.md->at_val[k], shadow, sizeof shadow), "validation at step %lld did not see the EMA",
                      (long long)k);
            CHECK(memcmp(env.md->at_val[k], env.md->after_step[k], sizeof shadow) != 0);
        }
    }
    CHECK(!env.md->restore_mismatch); /* training resumed on the training weights, bit for bit */
    float got[NW];
    ema_shadow(&ema, got);
    CHECK(!memcmp(got, shadow, sizeof got));
    /* the model ends on its training weights */
    float w[NW];
    weights(env.md, w);
    CHECK(!memcmp(w, env.md->after_step[12], sizeof w));
    CHECK_NEAR(lit_ema_next_decay(&ema), 14.0 / 23.0, 1e-15); /* min(0.9, (1 + 13) / (10 + 13)) */
    env_close(&env);
}

/* A fixed decay (use_num_updates off), validation without the swap. */
TEST(ema_fixed_decay_without_swap) {
    fit_env env;
    env_open(&env, 0.05, trainer_params(2));
    lit_ema_params ep = lit_ema_default_params();
    ep.decay = 0.75;
    ep.use_num_updates = 0;
    ep.validate_with_ema = 0;
    lit_callback ema;
    CHECK_EQ_INT(lit_ema_callback(&ema, &ep), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ema), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_OK);
    float shadow[NW];
    memcpy(shadow, env.md->at_step[0], sizeof shadow);
    for (int64_t k = 1; k <= 8; k++) ema_ref_update(shadow, env.md->after_step[k], k, 0.75, 0);
    float got[NW];
    ema_shadow(&ema, got);
    CHECK(!memcmp(got, shadow, sizeof got));
    CHECK(!memcmp(env.md->at_val[4], env.md->after_step[4], sizeof shadow)); /* no swap */
    /* lit_ema_copy_to: the EMA weights into a store */
    CHECK_EQ_INT(lit_ema_copy_to(&ema, env.md->ps), LIT_OK);
    float w[NW];
    weights(env.md, w);
    CHECK(!memcmp(w, shadow, sizeof w));
    env_close(&env);

    lit_callback bad;
    ep.decay = 1.5;
    CHECK_EQ_INT(lit_ema_callback(&bad, &ep), LIT_ERR_CONFIG);
}

/* 1 epoch, checkpoint, then 2 more from it == 3 epochs in one go. */
TEST(ema_resume_restores_shadow) {
    char *dir = make_tmp_dir("ema");
    const char *ck = join(dir, "ema.ckpt");
    float full[NW], full_w[NW];
    int64_t full_updates;
    {
        fit_env env;
        env_open(&env, 0.05, trainer_params(3));
        lit_callback ema;
        lit_ema_params ep = lit_ema_default_params();
        CHECK_EQ_INT(lit_ema_callback(&ema, &ep), LIT_OK);
        CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ema), LIT_OK);
        CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_OK);
        ema_shadow(&ema, full);
        weights(env.md, full_w);
        full_updates = lit_ema_num_updates(&ema);
        env_close(&env);
    }
    {
        fit_env env;
        env_open(&env, 0.05, trainer_params(1));
        lit_callback ema;
        CHECK_EQ_INT(lit_ema_callback(&ema, NULL), LIT_OK);
        CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ema), LIT_OK);
        CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_OK);
        CHECK_EQ_INT(lit_trainer_save_checkpoint(env.tr, ck, 0), LIT_OK);
        env_close(&env);
    }
    lit_checkpoint *c = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&c, ck), LIT_OK);
    CHECK(lit_checkpoint_tensor_info(c, "callbacks.ExponentialMovingAverage.shadow.head.weight", NULL, NULL, NULL));
    int64_t nu = -1;
    CHECK_EQ_INT(lit_checkpoint_get_int(c, "callbacks.ExponentialMovingAverage.num_updates", &nu), LIT_OK);
    CHECK_EQ_INT(nu, 4);
    lit_checkpoint_free(c);
    {
        fit_env env;
        env_open(&env, 0.05, trainer_params(3));
        lit_callback ema;
        CHECK_EQ_INT(lit_ema_callback(&ema, NULL), LIT_OK);
        CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ema), LIT_OK);
        CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, ck), LIT_OK);
        CHECK_EQ_INT(lit_ema_num_updates(&ema), full_updates);
        float got[NW], w[NW];
        ema_shadow(&ema, got);
        weights(env.md, w);
        CHECK(!memcmp(got, full, sizeof got));
        CHECK(!memcmp(w, full_w, sizeof w));
        env_close(&env);
    }
    remove(ck);
    rmdir(dir);
}

/* ---------------------------------------------------------------- SWA */

/* torch's SWALR.get_lr after `steps` calls to step() (the first at construction). */
static double swalr_ref(double lr0, double swa, int64_t anneal_epochs, int cos_strategy, int64_t steps) {
    double lr = lr0;
    for (int64_t sc = 1; sc <= steps; sc++) {
        int64_t step = sc - 1;
        if (anneal_epochs == 0) step = step > 1 ? step : 1;
        double den = (double)(anneal_epochs > 1 ? anneal_epochs : 1);
        double pt = (double)(step - 1) / den, t = (double)step / den;
        pt = pt < 0 ? 0 : pt > 1 ? 1 : pt;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        double pa = cos_strategy ? (1 - cos(M_PI * pt)) / 2 : pt, a = cos_strategy ? (1 - cos(M_PI * t)) / 2 : t;
        double prev = pa == 1 ? swa : (lr - pa * swa) / (1 - pa);
        lr = swa * a + prev * (1 - a);
    }
    return lr;
}

static void swa_run(int cos_strategy, int64_t anneal) {
    fit_env env;
    env_open(&env, 0.05, trainer_params(6));
    lit_swa_params sp = lit_swa_default_params();
    sp.swa_lr = 0.01;
    sp.swa_epoch_start = 3; /* swa_start = epoch 2 (0-based), swa_end = 5 */
    sp.annealing_epochs = anneal;
    sp.annealing_strategy = cos_strategy ? LIT_ANNEAL_COS : LIT_ANNEAL_LINEAR;
    lit_callback swa;
    CHECK_EQ_INT(lit_swa_callback(&swa, &sp), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &swa), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_OK);
    CHECK_EQ_INT(lit_swa_start_epoch(&swa), 2);
    CHECK_EQ_INT(lit_swa_n_averaged(&swa), 4);
    /* the average of the weights at the start of epochs 2..5, as torch's
     * update_parameters computes it in f32 */
    float avg[NW];
    double mean[NW] = { 0 };
    for (int e = 2; e <= 5; e++) {
        int64_t n = e - 2;
        for (int j = 0; j < NW; j++) {
            float p = env.md->epoch_start[e][j];
            if (n == 0) avg[j] = p;
            else {
                float dd = p - avg[j];
                float q = dd / (float)(n + 1);
                avg[j] = avg[j] + q;
            }
            mean[j] += p / 4.0;
        }
    }
    float w[NW];
    weights(env.md, w);
    CHECK_MSG(!memcmp(w, avg, sizeof w), "the model's final weights are not the SWA average");
    for (int j = 0; j < NW; j++) CHECK_NEAR(w[j], mean[j], 1e-6);
    /* the last epoch's own weights differ: they were replaced */
    CHECK(memcmp(env.md->after_step[24], w, sizeof w) != 0);
    /* lrs: the model's until SWA starts, then SWALR's */
    for (int e = 0; e < 6; e++) {
        double want = e < 2 ? 0.05 : swalr_ref(0.05, 0.01, anneal, cos_strategy, e - 2 + 1);
        CHECK_MSG(env.md->epoch_lr[e][0] == want, "epoch %d lr %.17g, SWALR %.17g", e, env.md->epoch_lr[e][0], want);
    }
    env_close(&env);
}

TEST(swa_averages_epoch_weights_and_anneals_lr) {
    swa_run(1, 2);
    swa_run(0, 3);
    swa_run(1, 0);
    /* the closed form of cos annealing over 2 epochs */
    CHECK_NEAR(swalr_ref(0.05, 0.01, 2, 1, 1), 0.05, 1e-15);
    CHECK_NEAR(swalr_ref(0.05, 0.01, 2, 1, 2), 0.03, 1e-15);
    CHECK_NEAR(swalr_ref(0.05, 0.01, 2, 1, 3), 0.01, 1e-15);
}

TEST(swa_fraction_and_errors) {
    fit_env env;
    env_open(&env, 0.05, trainer_params(5));
    lit_swa_params sp = lit_swa_default_params(); /* fraction 0.8: int(5 * 0.8) = 4 -> swa_start 3 */
    sp.swa_lr = 0.02;
    lit_callback swa;
    CHECK_EQ_INT(lit_swa_callback(&swa, &sp), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &swa), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_OK);
    CHECK_EQ_INT(lit_swa_start_epoch(&swa), 3);
    CHECK_EQ_INT(lit_swa_n_averaged(&swa), 2);
    env_close(&env);

    lit_callback bad;
    sp.swa_lr = 0;
    CHECK_EQ_INT(lit_swa_callback(&bad, &sp), LIT_ERR_CONFIG);
    sp.swa_lr = 0.1;
    sp.swa_epoch_start_fraction = 1.5;
    CHECK_EQ_INT(lit_swa_callback(&bad, &sp), LIT_ERR_CONFIG);
    sp.swa_epoch_start_fraction = 0.5;
    sp.annealing_epochs = -1;
    CHECK_EQ_INT(lit_swa_callback(&bad, &sp), LIT_ERR_CONFIG);
}

/* Saves `path` at the end of epoch `at` (monitoring: after the other hooks). */
typedef struct {
    const char *path;
    int64_t at;
} saver;
static lit_status saver_epoch_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    saver *sv = cb->user;
    if (lit_trainer_current_epoch(tr) != sv->at) return LIT_OK;
    return lit_trainer_save_checkpoint(tr, sv->path, 0);
}

/* A checkpoint at the end of epoch 2 (inside SWA, between two averages)
 * resumed to the end == the run it was taken from. */
TEST(swa_resume) {
    char *dir = make_tmp_dir("swa");
    const char *ck = join(dir, "swa.ckpt");
    lit_swa_params sp = lit_swa_default_params();
    sp.swa_lr = 0.01;
    sp.swa_epoch_start = 2;
    sp.annealing_epochs = 3;
    float full[NW];
    saver sv = { .path = ck, .at = 2 };
    for (int part = 0; part < 2; part++) {
        fit_env env;
        env_open(&env, 0.05, trainer_params(6));
        lit_callback swa;
        CHECK_EQ_INT(lit_swa_callback(&swa, &sp), LIT_OK);
        CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &swa), LIT_OK);
        lit_callback save = { .version = LIT_CALLBACK_VERSION, .name = "saver", .monitoring = 1, .user = &sv,
                              .on_train_epoch_end = saver_epoch_end };
        if (part == 0) CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &save), LIT_OK);
        CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, part == 1 ? ck : NULL), LIT_OK);
        float w[NW];
        weights(env.md, w);
        CHECK_EQ_INT(lit_swa_n_averaged(&swa), 5);
        if (part == 0) memcpy(full, w, sizeof w);
        else CHECK_MSG(!memcmp(w, full, sizeof w), "resumed SWA differs from the uninterrupted run");
        env_close(&env);
    }
    remove(ck);
    rmdir(dir);
}

/* ---------------------------------------------------------------- backbone finetuning */

static lit_callback finetuning_cb(void) {
    lit_backbone_finetuning_params fp = lit_backbone_finetuning_default_params();
    fp.backbone = "backbone";
    fp.unfreeze_backbone_at_epoch = 2;
    lit_callback cb;
    CHECK_EQ_INT(lit_backbone_finetuning_callback(&cb, &fp), LIT_OK);
    return cb;
}

TEST(backbone_finetuning_freezes_then_adds_group) {
    fit_env env;
    env_open(&env, 0.1, trainer_params(7));
    float w0[NW];
    weights(env.md, w0);
    lit_callback ft = finetuning_cb();
    CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ft), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_OK);
    /* backbone: the first 16 floats; unchanged through epochs 0 and 1 */
    CHECK(!memcmp(env.md->epoch_start[1], w0, 16 * sizeof(float)));
    CHECK(!memcmp(env.md->epoch_start[2], w0, 16 * sizeof(float)));
    CHECK(memcmp(env.md->epoch_start[3], w0, 16 * sizeof(float)) != 0);
    CHECK(memcmp(env.md->epoch_start[1] + 16, w0 + 16, 5 * sizeof(float)) != 0); /* the head trained */
    /* groups and lrs per epoch: 0.1 * 0.1, then x2 per epoch, aligned to 0.1 */
    const double want[7] = { 0, 0, 0.1 * 0.1, 2.0 * (0.1 * 0.1), 2.0 * (2.0 * (0.1 * 0.1)),
                             2.0 * (2.0 * (2.0 * (0.1 * 0.1))), 0.1 };
    for (int e = 0; e < 7; e++) {
        CHECK_EQ_INT(env.md->epoch_groups[e], e < 2 ? 1 : 2);
        CHECK(env.md->epoch_lr[e][0] == 0.1);
        if (e >= 2) CHECK_MSG(env.md->epoch_lr[e][1] == want[e], "epoch %d backbone lr %.17g want %.17g", e,
                              env.md->epoch_lr[e][1], want[e]);
    }
    int n = 0;
    lit_optimizer *opt = lit_module_optimizers(&env.m, &n)[0];
    (void)opt;
    CHECK(lit_backbone_finetuning_backbone_lr(&ft) == 0.1);
    CHECK(env.md->backbone.weight->requires_grad);
    env_close(&env);
}

/* Gradient clipping covers the group added during fit (Lightning clips the
 * optimizer's current parameters): with value clipping at c and SGD, no
 * backbone weight moves more than lr * c per step once unfrozen. */
static float backbone_max_move(double clip_val) {
    lit_trainer_params p = trainer_params(3); /* epoch 2: 4 steps with the backbone trainable */
    p.gradient_clip_val = clip_val;
    p.gradient_clip_algorithm = LIT_CLIP_VALUE;
    fit_env env;
    env_open(&env, 0.1, p);
    float w0[NW], w1[NW];
    weights(env.md, w0);
    lit_callback ft = finetuning_cb();
    CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ft), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_OK);
    weights(env.md, w1);
    float move = 0;
    for (int k = 0; k < 16; k++) move = fmaxf(move, fabsf(w1[k] - w0[k]));
    env_close(&env);
    return move;
}

TEST(gradient_clipping_covers_the_finetuning_group) {
    const double clip = 1e-3, backbone_lr = 0.1 * 0.1;
    float unclipped = backbone_max_move(0);
    float clipped = backbone_max_move(clip);
    const double bound = 4 * backbone_lr * clip + 1e-6; /* + f32 rounding of |w| ~ 1 */
    CHECK_MSG(unclipped > 10 * bound, "the clip must bite for this test to mean anything (%g vs %g)",
              unclipped, bound);
    CHECK(clipped > 0);
    CHECK_MSG(clipped <= bound, "backbone moved %g > lr * clip * steps = %g: its group was not clipped",
              clipped, bound);
}

static double three_halves(int64_t epoch, void *user) {
    (void)epoch, (void)user;
    return 1.5;
}

TEST(backbone_finetuning_lambda_errors_and_resume) {
    /* a lambda of 1.5 and an explicit initial lr */
    {
        fit_env env;
        env_open(&env, 0.1, trainer_params(4));
        lit_backbone_finetuning_params fp = lit_backbone_finetuning_default_params();
        fp.backbone = "backbone";
        fp.unfreeze_backbone_at_epoch = 1;
        fp.lambda_func = three_halves;
        fp.backbone_initial_lr = 0.02;
        lit_callback ft;
        CHECK_EQ_INT(lit_backbone_finetuning_callback(&ft, &fp), LIT_OK);
        CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ft), LIT_OK);
        CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_OK);
        CHECK(env.md->epoch_lr[1][1] == 0.02);
        CHECK(env.md->epoch_lr[2][1] == 1.5 * 0.02);
        CHECK(env.md->epoch_lr[3][1] == 1.5 * (1.5 * 0.02));
        env_close(&env);
    }
    /* a prefix that matches nothing */
    {
        fit_env env;
        env_open(&env, 0.1, trainer_params(1));
        lit_backbone_finetuning_params fp = lit_backbone_finetuning_default_params();
        fp.backbone = "encoder";
        lit_callback ft;
        CHECK_EQ_INT(lit_backbone_finetuning_callback(&ft, &fp), LIT_OK);
        CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ft), LIT_OK);
        CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, NULL), LIT_ERR_CONFIG);
        CHECK_STR_CONTAINS(lit_last_error(), "encoder");
        env_close(&env);
        fp.backbone = "";
        CHECK_EQ_INT(lit_backbone_finetuning_callback(&ft, &fp), LIT_ERR_CONFIG);
    }
    /* resume after the unfreeze: the group comes back with its optimizer state */
    char *dir = make_tmp_dir("ft");
    const char *ck = join(dir, "ft.ckpt");
    float full[NW];
    double full_lr[7];
    for (int part = 0; part < 3; part++) {
        fit_env env;
        env_open(&env, 0.1, trainer_params(part == 1 ? 4 : 7));
        lit_callback ft = finetuning_cb();
        CHECK_EQ_INT(lit_trainer_add_callback(env.tr, &ft), LIT_OK);
        CHECK_EQ_INT(lit_trainer_fit(env.tr, &env.m, &env.dm, part == 2 ? ck : NULL), LIT_OK);
        if (part == 1) CHECK_EQ_INT(lit_trainer_save_checkpoint(env.tr, ck, 0), LIT_OK);
        float w[NW];
        weights(env.md, w);
        if (part == 0) {
            memcpy(full, w, sizeof w);
            for (int e = 0; e < 7; e++) full_lr[e] = env.md->epoch_lr[e][1];
        }
        if (part == 2) {
            CHECK_MSG(!memcmp(w, full, sizeof w), "resumed finetuning differs from the uninterrupted run");
            for (int e = 4; e < 7; e++) {
                CHECK_EQ_INT(env.md->epoch_groups[e], 2);
                CHECK(env.md->epoch_lr[e][1] == full_lr[e]);
            }
        }
        env_close(&env);
    }
    remove(ck);
    rmdir(dir);
}

int main(void) {
    lit_log_set_level(LIT_LOG_ERROR);
    RUN(ema_matches_closed_form_and_swaps_for_validation);
    RUN(ema_fixed_decay_without_swap);
    RUN(ema_resume_restores_shadow);
    RUN(swa_averages_epoch_weights_and_anneals_lr);
    RUN(swa_fraction_and_errors);
    RUN(swa_resume);
    RUN(backbone_finetuning_freezes_then_adds_group);
    RUN(backbone_finetuning_lambda_errors_and_resume);
    RUN(gradient_clipping_covers_the_finetuning_group);
    return harness_summary();
}
