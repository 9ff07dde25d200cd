/*
 * tests/test-tuner.c — Lightning's Tuner in litc: the learning rate finder
 * (lit_lr_find: the curve, the exponential/linear schedule, the smoothing
 * and divergence stop, the suggestion recomputed with Lightning's rule,
 * weights restored bit for bit) and the batch size finder
 * (lit_batch_size_find with a step-memory budget: power and binsearch find
 * the sizes the budget allows, the dataset-size stop, weights restored).
 */
#pragma GCC optimize("fp-contract=off")

#include <stdint.h>
#include <stdlib.h>

#include "harness.h"
#include "litc/callbacks.h"

#define D_IN 4
#include "tiny-data.h"

static void tiny_sample(int64_t i, float *x, float *y) { tiny_linear_sample(i, D_IN, x, y); }

/* ---------------------------------------------------------------- data with a settable batch size */

typedef struct {
    int64_t n_train, n_val, batch_size;
    lit_dataloader *train, *val;
} data;

static lit_dataloader *dm_train(void *u) {
    data *d = u;
    if (!d->train) d->train = tiny_loader(&d->n_train, d->batch_size, NULL);
    return d->train;
}
static int dm_val(void *u, lit_dataloader **out) {
    data *d = u;
    if (!d->val) d->val = tiny_loader(&d->n_val, d->batch_size, NULL);
    out[0] = d->val;
    return 1;
}
/* Lightning's lightning_setattr(model, "batch_size", bs): the loaders are remade. */
static lit_status set_bs(void *u, int64_t bs) {
    data *d = u;
    lit_dataloader_free(d->train);
    lit_dataloader_free(d->val);
    d->train = d->val = NULL;
    d->batch_size = bs;
    return LIT_OK;
}
static lit_datamodule make_dm(data *d, int64_t n_train, int64_t bs) {
    memset(d, 0, sizeof *d);
    d->n_train = n_train;
    d->n_val = 8;
    d->batch_size = bs;
    return (lit_datamodule){ .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train,
                             .val_dataloaders = dm_val, .user = d };
}

/* ---------------------------------------------------------------- model: 4 -> H -> relu -> 1 */

#define MAX_STEPS 256

typedef struct {
    lit_param_store *ps;
    lit_nn_linear fc1, fc2;
    double raw_loss[MAX_STEPS]; /* training_step's loss by global step */
    double lr_seen[MAX_STEPS];  /* group 0's lr in training_step */
    int64_t steps_seen;
} model;

static lit_status train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    model *md = m->user;
    lit_tensor *h = lit_relu(lit_nn_linear_forward(&md->fc1, lit_batch_get(b, "x")));
    *loss = lit_mse_loss(lit_nn_linear_forward(&md->fc2, h), lit_batch_get(b, "y"), LIT_REDUCTION_MEAN);
    int64_t s = lit_module_global_step(m);
    if (s < MAX_STEPS) {
        md->raw_loss[s] = lit_item(*loss);
        int n = 0;
        md->lr_seen[s] = lit_optimizer_get_lr(lit_module_optimizers(m, &n)[0], 0);
        md->steps_seen = s + 1;
    }
    return LIT_OK;
}
static lit_status val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)i, (void)dl, (void)out;
    model *md = m->user;
    lit_tensor *h = lit_relu(lit_nn_linear_forward(&md->fc1, lit_batch_get(b, "x")));
    (void)lit_nn_linear_forward(&md->fc2, h);
    return LIT_OK;
}
static lit_status configure(lit_module *m, lit_optim_config *cfg) {
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = 0.01;
    return lit_optim_config_add(cfg, lit_sgd_new(&sp, p, n));
}
static const lit_module_vtable VT = { .version = LIT_MODULE_VERSION, .training_step = train_step,
                                      .validation_step = val_step, .configure_optimizers = configure };

static model *model_new(lit_module *m, int64_t hidden) {
    model *md = calloc(1, sizeof *md);
    md->ps = lit_param_store_new("tuner");
    lit_rng init = lit_rng_new(9);
    lit_nn_linear_init(&md->fc1, md->ps, "fc1", D_IN, hidden, 1, &init);
    lit_nn_linear_init(&md->fc2, md->ps, "fc2", hidden, 1, 1, &init);
    lit_module_init(m, &VT, md->ps, md);
    return md;
}
static void model_free(model *md, lit_module *m) {
    lit_module_deinit(m);
    lit_param_store_free(md->ps);
    free(md);
}

/* All weights, concatenated (malloc'd). */
static float *snapshot(const model *md, size_t *n) {
    const lit_tensor *ts[4] = { md->fc1.weight, md->fc1.bias, md->fc2.weight, md->fc2.bias };
    size_t total = 0;
    for (int i = 0; i < 4; i++) total += (size_t)ts[i]->numel;
    float *w = malloc(total * sizeof *w);
    size_t k = 0;
    for (int i = 0; i < 4; i++) {
        memcpy(w + k, ts[i]->data, (size_t)ts[i]->numel * sizeof(float));
        k += (size_t)ts[i]->numel;
    }
    *n = total;
    return w;
}

/* ---------------------------------------------------------------- the suggestion rule, written out */

/* Lightning's suggestion: losses[skip_begin:-skip_end] as float32, finite
 * ones only, torch.gradient(losses, spacing=[lrs]) (edge_order 1), argmin. */
static int64_t ref_suggestion(const double *lrs, const double *losses, int64_t n, int skip_begin, int skip_end) {
    float x[512], y[512], g[512];
    int64_t idx[512], m = 0;
    for (int64_t i = skip_begin; i < n - skip_end; i++) {
        float l = (float)losses[i];
        if (isnan(l) || isinf(l)) continue;
        x[m] = (float)lrs[i];
        y[m] = l;
        idx[m++] = i;
    }
    if (m < 2) return -1;
    float dx[512];
    for (int64_t i = 0; i + 1 < m; i++) dx[i] = x[i + 1] - x[i];
    g[0] = (y[1] - y[0]) / dx[0];
    g[m - 1] = (y[m - 1] - y[m - 2]) / dx[m - 2];
    for (int64_t i = 1; i + 1 < m; i++) {
        float d1 = dx[i - 1], d2 = dx[i];
        float a = -d2 / (d1 * (d1 + d2)), b = (d2 - d1) / (d1 * d2), c = d1 / (d2 * (d1 + d2));
        float ta = a * y[i - 1];
        float tb = b * y[i];
        float tc = c * y[i + 1];
        g[i] = ta + tb + tc;
    }
    int64_t best = 0;
    for (int64_t i = 1; i < m; i++)
        if (g[i] < g[best]) best = i;
    return idx[best];
}

/* Lightning's _LRCallback smoothing from the raw losses (accumulation 1). */
static void ref_smoothing(const double *raw, int64_t n, double beta, double *out) {
    double avg = 0;
    for (int64_t k = 0; k < n; k++) {
        double cur = (float)raw[k];
        avg = beta * avg + (1 - beta) * cur;
        out[k] = avg / (1 - pow(beta, (double)(k + 1 + 1)));
    }
}

/* ---------------------------------------------------------------- lr finder */

static lit_trainer_params base_params(void) {
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 50;
    return p;
}

TEST(lr_find_exponential_curve_and_suggestion) {
    lit_module m;
    model *md = model_new(&m, 8);
    data d;
    lit_datamodule dm = make_dm(&d, 64, 4);
    size_t nw;
    float *before = snapshot(md, &nw);
    lit_rng rng_before = *lit_rng_global();
    lit_lr_finder_params lp = lit_lr_finder_default_params();
    lp.num_training = 40;
    lp.min_lr = 1e-5;
    lp.max_lr = 0.1;
    lp.early_stop_threshold = NAN;
    lit_trainer_params bp = base_params();
    lit_lr_finder_result r;
    CHECK_EQ_INT(lit_lr_find(&bp, &m, &dm, &lp, &r), LIT_OK);
    CHECK_EQ_INT(r.n, 40);
    CHECK_EQ_INT(r.steps, 40);
    CHECK(!r.stopped_early);
    for (int64_t k = 0; k < r.n; k++) {
        double want = k == 0 ? 1e-5 : 1e-5 * pow(0.1 / 1e-5, (double)(k + 1) / 40.0);
        CHECK_MSG(r.lrs[k] == want, "lr %lld: %.17g want %.17g", (long long)k, r.lrs[k], want);
        CHECK(md->lr_seen[k] == want); /* the optimizer stepped with it */
    }
    double sm[64];
    ref_smoothing(md->raw_loss, 40, 0.98, sm);
    for (int64_t k = 0; k < r.n; k++) CHECK_MSG(r.losses[k] == sm[k], "smoothed loss %lld", (long long)k);
    int64_t want = ref_suggestion(r.lrs, r.losses, r.n, 10, 1);
    CHECK(want >= 10);
    CHECK_EQ_INT(r.suggestion_idx, want);
    CHECK(r.suggestion == r.lrs[want]);
    /* the weights and the global stream are back, bit for bit */
    size_t n2;
    float *after = snapshot(md, &n2);
    CHECK(n2 == nw && !memcmp(before, after, nw * sizeof(float)));
    CHECK(!memcmp(&rng_before, lit_rng_global(), sizeof rng_before));
    CHECK(md->fc1.weight->grad == NULL);
    free(before), free(after);
    /* The curve on the HTML run report. */
    char dir[] = "/tmp/litc-tuner-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    lit_html_report_params rp = lit_html_report_default_params();
    rp.save_dir = dir;
    lit_logger rep;
    CHECK_EQ_INT(lit_html_report_logger(&rep, &rp), LIT_OK);
    CHECK_EQ_INT(lit_lr_find_report(&r, &rep), LIT_OK);
    CHECK_EQ_INT(lit_html_report_write(&rep), LIT_OK);
    char page[1 << 16] = "";
    FILE *f = fopen(lit_html_report_file(&rep), "r");
    CHECK(f != NULL);
    if (f) {
        page[fread(page, 1, sizeof page - 1, f)] = 0;
        fclose(f);
    }
    char title[96];
    snprintf(title, sizeof title, "Learning rate finder (suggested lr %.3g)", r.suggestion);
    CHECK_STR_CONTAINS(page, title);
    CHECK_STR_CONTAINS(page, "<svg");
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    lit_lr_finder_result empty = { 0 };
    CHECK_EQ_INT(lit_lr_find_report(&empty, &rep), LIT_ERR_INVALID_ARG);
    rep.free(&rep);
    lit_lr_finder_result_free(&r);
    CHECK(r.lrs == NULL && r.suggestion_idx == -1);
    set_bs(&d, 1);
    model_free(md, &m);
}

TEST(lr_find_linear_and_divergence) {
    lit_module m;
    model *md = model_new(&m, 8);
    data d;
    lit_datamodule dm = make_dm(&d, 64, 4);
    lit_trainer_params bp = base_params();
    lit_lr_finder_params lp = lit_lr_finder_default_params();
    lp.mode = LIT_LR_FIND_LINEAR;
    lp.num_training = 20;
    lp.min_lr = 0.001;
    lp.max_lr = 0.05;
    lit_lr_finder_result r;
    CHECK_EQ_INT(lit_lr_find(&bp, &m, &dm, &lp, &r), LIT_OK);
    CHECK_EQ_INT(r.n, 20);
    for (int64_t k = 0; k < r.n; k++) {
        double want = k == 0 ? 0.001 : 0.001 + (double)(k + 1) / 20.0 * (0.05 - 0.001);
        CHECK(r.lrs[k] == want);
    }
    lit_lr_finder_result_free(&r);

    /* lrs up to 1e4 make SGD diverge: the search stops at the first
     * smoothed loss above 4x the best, as _LRCallback does */
    memset(md->raw_loss, 0, sizeof md->raw_loss);
    lp = lit_lr_finder_default_params();
    lp.num_training = 100;
    lp.min_lr = 1e-4;
    lp.max_lr = 1e4;
    size_t nw;
    float *before = snapshot(md, &nw);
    CHECK_EQ_INT(lit_lr_find(&bp, &m, &dm, &lp, &r), LIT_OK);
    CHECK(r.stopped_early);
    CHECK(r.n < 100 && r.n > 2);
    CHECK_EQ_INT(r.steps, r.n);
    double sm[128];
    ref_smoothing(md->raw_loss, r.n, 0.98, sm);
    double best = 0;
    int64_t stop = -1;
    for (int64_t k = 0; k < r.n && stop < 0; k++) {
        int64_t step = k + 1;
        CHECK(r.losses[k] == sm[k] || (isnan(r.losses[k]) && isnan(sm[k])));
        if (step > 1 && sm[k] > 4.0 * best) stop = k;
        if (sm[k] < best || step == 1) best = sm[k];
    }
    CHECK_EQ_INT(stop, r.n - 1);
    CHECK_EQ_INT(r.suggestion_idx, ref_suggestion(r.lrs, r.losses, r.n, 10, 1));
    size_t n2;
    float *after = snapshot(md, &n2);
    CHECK(!memcmp(before, after, nw * sizeof(float)));
    free(before), free(after);
    lit_lr_finder_result_free(&r);

    /* bad params */
    lp = lit_lr_finder_default_params();
    lp.min_lr = 0;
    CHECK_EQ_INT(lit_lr_find(&bp, &m, &dm, &lp, &r), LIT_ERR_CONFIG);
    lp = lit_lr_finder_default_params();
    lp.num_training = 0;
    CHECK_EQ_INT(lit_lr_find(&bp, &m, &dm, &lp, &r), LIT_ERR_CONFIG);
    /* the suggestion needs 2 points after skipping */
    double lrs[3] = { 1, 2, 3 }, losses[3] = { 3, 2, 1 };
    lit_log_set_level(LIT_LOG_OFF);
    CHECK_EQ_INT(lit_lr_find_suggestion(lrs, losses, 3, 10, 1), -1);
    CHECK_EQ_INT(lit_lr_find_suggestion(lrs, losses, 3, 0, 0), -1); /* [0:-0] is empty */
    lit_log_set_level(LIT_LOG_ERROR);
    CHECK_EQ_INT(lit_lr_find_suggestion(lrs, losses, 3, 0, 1), 0);
    set_bs(&d, 1);
    model_free(md, &m);
}

/* ---------------------------------------------------------------- batch size finder */

/* The peak step bytes of a trial at batch size bs (one power trial with a
 * budget nothing reaches). */
static int64_t peak_at(lit_module *m, lit_datamodule *dm, int64_t bs) {
    lit_batch_size_finder_params p = lit_batch_size_finder_default_params();
    p.set_batch_size = set_bs;
    p.user = dm->user;
    p.budget_bytes = INT64_MAX;
    p.init_val = bs;
    p.max_trials = 1;
    lit_batch_size_finder_result r;
    int64_t found = 0;
    lit_trainer_params bp = base_params();
    CHECK_EQ_INT(lit_batch_size_find(&bp, m, dm, &p, &found, &r), LIT_OK);
    int64_t peak = r.n_trials ? r.peaks[0] : -1;
    lit_batch_size_finder_result_free(&r);
    return peak;
}

TEST(batch_size_finder_power_and_binsearch) {
    lit_module m;
    model *md = model_new(&m, 1024); /* 4 KiB of activations per sample and tensor */
    data d;
    lit_datamodule dm = make_dm(&d, 256, 1);
    int64_t p36 = peak_at(&m, &dm, 36), p37 = peak_at(&m, &dm, 37), p38 = peak_at(&m, &dm, 38);
    CHECK(p36 < p37 && p37 < p38);
    /* activation memory grows by at least the hidden layer per sample */
    CHECK(p38 - p37 >= 1024 * 4);
    size_t nw;
    float *before = snapshot(md, &nw);

    lit_batch_size_finder_params p = lit_batch_size_finder_default_params();
    p.set_batch_size = set_bs;
    p.user = &d;
    p.budget_bytes = p37; /* exactly 37 samples fit */
    lit_trainer_params bp = base_params();
    lit_batch_size_finder_result r;
    int64_t found = 0;
    CHECK_EQ_INT(lit_batch_size_find(&bp, &m, &dm, &p, &found, &r), LIT_OK);
    CHECK_EQ_INT(found, 32);
    CHECK_EQ_INT(d.batch_size, 32);
    const int64_t power_sizes[] = { 2, 4, 8, 16, 32, 64 };
    CHECK_EQ_INT(r.n_trials, 6);
    for (int i = 0; i < r.n_trials && i < 6; i++) {
        CHECK_EQ_INT(r.sizes[i], power_sizes[i]);
        CHECK_EQ_INT(r.fits[i], i < 5);
    }
    lit_batch_size_finder_result_free(&r);

    p.mode = LIT_BATCH_SIZE_BINSEARCH;
    CHECK_EQ_INT(lit_batch_size_find(&bp, &m, &dm, &p, &found, &r), LIT_OK);
    CHECK_EQ_INT(found, 37);
    const int64_t bin_sizes[] = { 2, 4, 8, 16, 32, 64, 48, 40, 36, 38, 37 };
    CHECK_EQ_INT(r.n_trials, 11);
    for (int i = 0; i < r.n_trials && i < 11; i++) CHECK_EQ_INT(r.sizes[i], bin_sizes[i]);
    lit_batch_size_finder_result_free(&r);

    /* the weights trained during the trials; they are back */
    size_t n2;
    float *after = snapshot(md, &n2);
    CHECK(!memcmp(before, after, nw * sizeof(float)));
    free(before), free(after);

    /* a budget below batch size 1 */
    p.mode = LIT_BATCH_SIZE_POWER;
    p.budget_bytes = 64;
    p.init_val = 1;
    CHECK_EQ_INT(lit_batch_size_find(&bp, &m, &dm, &p, &found, NULL), LIT_ERR_NOMEM);
    p.budget_bytes = 0;
    CHECK_EQ_INT(lit_batch_size_find(&bp, &m, &dm, &p, &found, NULL), LIT_ERR_CONFIG);
    set_bs(&d, 1);
    model_free(md, &m);
}

/* 20 samples: 32 covers the dataset, the search stops there (power and binsearch). */
TEST(batch_size_finder_stops_at_dataset_size) {
    lit_module m;
    model *md = model_new(&m, 8);
    data d;
    lit_datamodule dm = make_dm(&d, 20, 1);
    lit_batch_size_finder_params p = lit_batch_size_finder_default_params();
    p.set_batch_size = set_bs;
    p.user = &d;
    p.budget_bytes = INT64_MAX;
    lit_trainer_params bp = base_params();
    int64_t found = 0;
    lit_batch_size_finder_result r;
    CHECK_EQ_INT(lit_batch_size_find(&bp, &m, &dm, &p, &found, &r), LIT_OK);
    CHECK_EQ_INT(found, 32);
    CHECK_EQ_INT(r.n_trials, 5);
    lit_batch_size_finder_result_free(&r);
    p.mode = LIT_BATCH_SIZE_BINSEARCH;
    CHECK_EQ_INT(lit_batch_size_find(&bp, &m, &dm, &p, &found, NULL), LIT_OK);
    CHECK_EQ_INT(found, 32);
    set_bs(&d, 1);
    model_free(md, &m);
}

int main(void) {
    lit_log_set_level(LIT_LOG_ERROR);
    RUN(lr_find_exponential_curve_and_suggestion);
    RUN(lr_find_linear_and_divergence);
    RUN(batch_size_finder_power_and_binsearch);
    RUN(batch_size_finder_stops_at_dataset_size);
    return harness_summary();
}
