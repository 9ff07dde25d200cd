/*
 * tests/test-trainer-loops.c — the Trainer's loops against Lightning 2.x's
 * semantics, by exact values: gradient clipping (norm and value, after
 * on_before_optimizer_step, only on the stepping batch of an accumulation
 * group) against an SGD update computed here in double; should_stop with
 * min_epochs / min_steps; max_time with a fake clock (Timer semantics);
 * LR scheduler intervals and frequencies with accumulation; when
 * reload_dataloaders_every_n_epochs asks the datamodule again; validation
 * counts; estimated_stepping_batches; bad input before training starts.
 *
 * The Lightning sources these follow: loops/fit_loop.py (done,
 * _can_stop_early, setup_data), loops/training_epoch_loop.py (done,
 * update_lr_schedulers, _should_check_val_fx), loops/evaluation_loop.py
 * (setup_data), loops/utilities.py (_parse_loop_limits), callbacks/timer.py.
 */
#include <stdint.h>
#include <stdlib.h>

#include "harness.h"

/* ---------------------------------------------------------------- data: y = x.w* + 0.5 */

#define D_IN 4

#include "tiny-data.h"

/* The sample i, as float (the trainer sees exactly these values). */
static void tiny_sample(int64_t i, float *x, float *y) { tiny_linear_sample(i, D_IN, x, y); }

#define MAX_CALLS 32

typedef struct {
    int64_t n_train, n_val, bs_train, bs_val;
    int drop_last_train;
    lit_dataloader *train, *val;
    lit_trainer *tr;            /* to record the epoch of each request */
    int n_train_calls, n_val_calls;
    int64_t train_call_epoch[MAX_CALLS], val_call_epoch[MAX_CALLS];
} dm_state;

static lit_dataloader *make_loader(int64_t *n, int64_t bs, int drop_last) {
    lit_dataloader_params p = lit_dataloader_default_params();
    p.drop_last = drop_last;
    return tiny_loader(n, bs, &p);
}
static lit_dataloader *dm_train(void *u) {
    dm_state *s = u;
    if (s->n_train_calls < MAX_CALLS) s->train_call_epoch[s->n_train_calls] = lit_trainer_current_epoch(s->tr);
    s->n_train_calls++;
    if (!s->train) s->train = make_loader(&s->n_train, s->bs_train, s->drop_last_train);
    return s->train;
}
static int dm_val(void *u, lit_dataloader **out) {
    dm_state *s = u;
    if (s->n_val_calls < MAX_CALLS) s->val_call_epoch[s->n_val_calls] = lit_trainer_current_epoch(s->tr);
    s->n_val_calls++;
    if (!s->val) s->val = make_loader(&s->n_val, s->bs_val, 0);
    out[0] = s->val;
    return 1;
}
static void dm_free(dm_state *s) {
    lit_dataloader_free(s->train);
    lit_dataloader_free(s->val);
    s->train = s->val = NULL;
}
static lit_datamodule make_dm(dm_state *s) {
    return (lit_datamodule){ .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train,
                             .val_dataloaders = dm_val, .user = s };
}

/* ---------------------------------------------------------------- model: linear regression */

#define MAX_REC 64

typedef struct {
    lit_param_store *ps;
    lit_tensor *w, *b;
    double lr;
    /* counters */
    int64_t train_steps, val_steps, n_train_start, n_fit_end, n_epoch_end;
    /* on_before_optimizer_step: the gradients it saw */
    int n_bos;
    double bos_grad[MAX_REC][D_IN + 1];
    /* training_step: the lr it ran with */
    int n_lrs;
    double lrs[MAX_REC];
    /* should_stop requests: at (epoch, batch) after the batch, or at the start of epoch */
    int64_t stop_epoch, stop_batch, stop_at_epoch_start;
    /* fake clock, advanced by each training step (and by sanity validation) */
    double clock;
    /* scheduler under test */
    int sched_kind; /* 0 none, 1 ExponentialLR(0.5), 2 ReduceLROnPlateau on train_loss */
    lit_lr_scheduler_config sc;
    int64_t sched_count; /* lit_scheduler_last_epoch at on_train_end */
} linmodel;

static lit_tensor *lin_loss(linmodel *lm, lit_batch *b) {
    lit_tensor *pred = lit_add(lit_matmul(lit_batch_get(b, "x"), lm->w), lm->b);
    return lit_mse_loss(pred, lit_batch_get(b, "y"), LIT_REDUCTION_MEAN);
}
static lit_status lin_train(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    linmodel *lm = m->user;
    lm->train_steps++;
    lm->clock += 1.0;
    int n = 0;
    lit_optimizer **o = lit_module_optimizers(m, &n);
    if (n && lm->n_lrs < MAX_REC) lm->lrs[lm->n_lrs++] = lit_optimizer_get_lr(o[0], 0);
    *loss = lin_loss(lm, b);
    return lit_module_log(m, "train_loss", *loss);
}
static lit_status lin_val(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)i, (void)dl, (void)out;
    linmodel *lm = m->user;
    lm->val_steps++;
    /* Sanity-check time must not count towards max_time (Timer starts at on_train_start). */
    if (lit_trainer_sanity_checking(m->trainer)) lm->clock += 100.0;
    return lit_module_log(m, "val_loss", lin_loss(lm, b));
}
static lit_status lin_opt(lit_module *m, lit_optim_config *cfg) {
    linmodel *lm = m->user;
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = lm->lr;
    LIT_TRY(lit_optim_config_add(cfg, lit_sgd_new(&sp, p, n)));
    if (lm->sched_kind == 0) return LIT_OK;
    lit_lr_scheduler_config sc = lm->sc;
    if (lm->sched_kind == 1) {
        lit_exponential_lr_params ep = lit_exponential_lr_default_params();
        ep.gamma = 0.5;
        sc.scheduler = lit_exponential_lr_new(cfg->optimizers[0], &ep);
    } else {
        lit_reduce_lr_on_plateau_params rp = lit_reduce_lr_on_plateau_default_params();
        sc.scheduler = lit_reduce_lr_on_plateau_new(cfg->optimizers[0], &rp);
        sc.monitor = "train_loss";
    }
    lm->sc.scheduler = sc.scheduler; /* owned by the Trainer; read at on_train_end */
    return lit_optim_config_add_scheduler(cfg, &sc);
}
static lit_status lin_before_opt_step(lit_module *m, lit_optimizer *opt, int idx) {
    (void)opt, (void)idx;
    linmodel *lm = m->user;
    if (lm->n_bos < MAX_REC) {
        for (int k = 0; k < D_IN; k++) lm->bos_grad[lm->n_bos][k] = lit_f32(lm->w->grad)[k];
        lm->bos_grad[lm->n_bos][D_IN] = lit_f32(lm->b->grad)[0];
    }
    lm->n_bos++;
    return LIT_OK;
}
static lit_status lin_batch_end(lit_module *m, lit_tensor *loss, lit_batch *b, int64_t i) {
    (void)loss, (void)b;
    linmodel *lm = m->user;
    if (lit_module_current_epoch(m) == lm->stop_epoch && i == lm->stop_batch) lit_trainer_set_should_stop(m->trainer, 1);
    return LIT_OK;
}
static lit_status lin_epoch_start(lit_module *m) {
    linmodel *lm = m->user;
    if (lm->stop_at_epoch_start >= 0 && lit_module_current_epoch(m) == lm->stop_at_epoch_start)
        lit_trainer_set_should_stop(m->trainer, 1);
    return LIT_OK;
}
static lit_status lin_epoch_end(lit_module *m) {
    ((linmodel *)m->user)->n_epoch_end++;
    return LIT_OK;
}
static lit_status lin_train_start(lit_module *m) {
    ((linmodel *)m->user)->n_train_start++;
    return LIT_OK;
}
static lit_status lin_train_end(lit_module *m) {
    linmodel *lm = m->user;
    if (lm->sched_kind) lm->sched_count = lit_scheduler_last_epoch(lm->sc.scheduler);
    return LIT_OK;
}
static lit_status lin_fit_end(lit_module *m) {
    ((linmodel *)m->user)->n_fit_end++;
    return LIT_OK;
}

static const lit_module_vtable LIN_VT = {
    .version = LIT_MODULE_VERSION, .training_step = lin_train, .validation_step = lin_val,
    .configure_optimizers = lin_opt, .on_before_optimizer_step = lin_before_opt_step,
    .on_train_batch_end = lin_batch_end, .on_train_epoch_start = lin_epoch_start,
    .on_train_epoch_end = lin_epoch_end, .on_train_start = lin_train_start, .on_train_end = lin_train_end,
    .on_fit_end = lin_fit_end,
};

static const float W0[D_IN + 1] = { -0.1f, 0.0f, 0.1f, 0.2f, -0.2f }; /* w..., b */

static void lin_init(linmodel *lm, lit_module *m) {
    memset(lm, 0, sizeof *lm);
    lm->ps = lit_param_store_new("lin");
    lm->w = lit_param_store_new_param(lm->ps, NULL, "w", 2, (const int64_t[]){ D_IN, 1 });
    lm->b = lit_param_store_new_param(lm->ps, NULL, "b", 1, (const int64_t[]){ 1 });
    for (int k = 0; k < D_IN; k++) lit_f32(lm->w)[k] = W0[k];
    lit_f32(lm->b)[0] = W0[D_IN];
    lm->lr = 0.1;
    lm->stop_epoch = lm->stop_batch = lm->stop_at_epoch_start = -1;
    lit_module_init(m, &LIN_VT, lm->ps, lm);
}
static void lin_free(linmodel *lm, lit_module *m) {
    lit_module_deinit(m);
    lit_param_store_free(lm->ps);
}

/* One fit; the trainer is returned for inspection (free it). */
typedef struct {
    dm_state s;
    linmodel lm;
    lit_module m;
    lit_trainer *tr;
} run_t;

static void run_fit(run_t *r, const lit_trainer_params *p, lit_status want) {
    lit_datamodule dm = make_dm(&r->s);
    r->tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&r->tr, p), LIT_OK);
    if (!r->tr) return;
    r->s.tr = r->tr;
    lit_status st = lit_trainer_fit(r->tr, &r->m, &dm, NULL);
    CHECK_MSG(st == want, "fit: %s, want %s (%s)", lit_status_name(st), lit_status_name(want), lit_last_error());
}
static void run_free(run_t *r) {
    lit_trainer_free(r->tr);
    lin_free(&r->lm, &r->m);
    dm_free(&r->s);
}
static void run_init(run_t *r, int64_t n_train, int64_t bs_train, int64_t n_val, int64_t bs_val) {
    memset(r, 0, sizeof *r);
    r->s = (dm_state){ .n_train = n_train, .n_val = n_val, .bs_train = bs_train, .bs_val = bs_val };
    lin_init(&r->lm, &r->m);
}

/* ---------------------------------------------------------------- reference SGD in double */

typedef enum { CLIP_NONE, CLIP_NORM, CLIP_VALUE, CLIP_NORM_EVERY_BATCH } sim_clip;

typedef struct {
    int n_steps;
    double pre_clip[MAX_REC][D_IN + 1]; /* gradient at each step, before clipping */
} sim_log;

static void sim_clip_grad(double *g, sim_clip clip, double v) {
    if (clip == CLIP_VALUE) {
        for (int k = 0; k <= D_IN; k++) g[k] = g[k] > v ? v : g[k] < -v ? -v : g[k];
    } else if (clip == CLIP_NORM || clip == CLIP_NORM_EVERY_BATCH) {
        double ss = 0;
        for (int k = 0; k <= D_IN; k++) ss += g[k] * g[k];
        double coef = v / (sqrt(ss) + 1e-6); /* torch.nn.utils.clip_grad_norm_ */
        if (coef < 1.0)
            for (int k = 0; k <= D_IN; k++) g[k] *= coef;
    }
}

/* Lightning's automatic optimization with SGD(lr): per batch the batch-mean
 * MSE gradient divided by `acc` is accumulated; the group's last batch (or
 * the epoch's last) clips and steps. CLIP_NORM_EVERY_BATCH is the wrong
 * behaviour (clipping the running sum after every backward), to show the
 * test tells them apart. */
static void sim_fit(int64_t n, int64_t bs, int64_t acc, int64_t epochs, double lr, sim_clip clip, double v,
                    double *wb, sim_log *log) {
    for (int k = 0; k <= D_IN; k++) wb[k] = W0[k];
    if (log) log->n_steps = 0;
    const int64_t nb = (n + bs - 1) / bs;
    double g[D_IN + 1] = { 0 };
    for (int64_t e = 0; e < epochs; e++) {
        for (int64_t bi = 0; bi < nb; bi++) {
            int64_t lo = bi * bs, hi = lo + bs < n ? lo + bs : n;
            for (int64_t i = lo; i < hi; i++) {
                float x[D_IN], y;
                tiny_sample(i, x, &y);
                double pred = wb[D_IN];
                for (int k = 0; k < D_IN; k++) pred += wb[k] * (double)x[k];
                double r = 2.0 * (pred - (double)y) / (double)(hi - lo) / (double)acc;
                for (int k = 0; k < D_IN; k++) g[k] += r * (double)x[k];
                g[D_IN] += r;
            }
            if (clip == CLIP_NORM_EVERY_BATCH) sim_clip_grad(g, clip, v);
            if ((bi + 1) % acc == 0 || bi + 1 == nb) {
                if (log && log->n_steps < MAX_REC) memcpy(log->pre_clip[log->n_steps], g, sizeof g);
                if (log) log->n_steps++;
                sim_clip_grad(g, clip, v);
                for (int k = 0; k <= D_IN; k++) wb[k] -= lr * g[k], g[k] = 0;
            }
        }
    }
}

static void weights(const linmodel *lm, double *wb) {
    for (int k = 0; k < D_IN; k++) wb[k] = lit_f32(lm->w)[k];
    wb[D_IN] = lit_f32(lm->b)[0];
}
static double max_abs_diff(const double *a, const double *b) {
    double d = 0;
    for (int k = 0; k <= D_IN; k++) d = fmax(d, fabs(a[k] - b[k]));
    return d;
}
static double norm(const double *g) {
    double ss = 0;
    for (int k = 0; k <= D_IN; k++) ss += g[k] * g[k];
    return sqrt(ss);
}

/* ---------------------------------------------------------------- gradient clipping */

TEST(clip_norm_one_step) {
    const double clip_val = 0.05;
    double want[D_IN + 1], unclipped[D_IN + 1], got[D_IN + 1];
    sim_log log;
    sim_fit(16, 16, 1, 1, 0.1, CLIP_NORM, clip_val, want, &log);
    sim_fit(16, 16, 1, 1, 0.1, CLIP_NONE, 0, unclipped, NULL);
    CHECK(norm(log.pre_clip[0]) > 4 * clip_val);           /* the clip really bites */
    CHECK(max_abs_diff(want, unclipped) > 1e-2);            /* so no clipping would fail below */

    run_t r;
    run_init(&r, 16, 16, 8, 8);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.num_sanity_val_steps = 0;
    p.gradient_clip_val = clip_val; /* algorithm: norm (default) */
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(r.tr), 1);
    weights(&r.lm, got);
    CHECK_MSG(max_abs_diff(got, want) < 1e-6, "weights differ from the clipped SGD update by %g",
              max_abs_diff(got, want));
    /* on_before_optimizer_step saw the gradient before clipping (Lightning: _after_closure) */
    CHECK_EQ_INT(r.lm.n_bos, 1);
    CHECK_MSG(max_abs_diff(r.lm.bos_grad[0], log.pre_clip[0]) < 1e-5, "hook grad differs from unclipped by %g",
              max_abs_diff(r.lm.bos_grad[0], log.pre_clip[0]));
    /* after the step the stored grad is the clipped one: its norm is clip_val */
    double g_after[D_IN + 1];
    for (int k = 0; k < D_IN; k++) g_after[k] = lit_f32(r.lm.w->grad)[k];
    g_after[D_IN] = lit_f32(r.lm.b->grad)[0];
    CHECK_NEAR(norm(g_after), clip_val, 1e-6);
    run_free(&r);
}

TEST(clip_value_one_step) {
    double want[D_IN + 1], unclipped[D_IN + 1], got[D_IN + 1];
    sim_log log;
    sim_fit(16, 16, 1, 1, 0.1, CLIP_NONE, 0, unclipped, &log);
    /* clip between the smallest and largest |g|: some components clamp, some not */
    double lo = INFINITY, hi = 0;
    for (int k = 0; k <= D_IN; k++) lo = fmin(lo, fabs(log.pre_clip[0][k])), hi = fmax(hi, fabs(log.pre_clip[0][k]));
    const double clip_val = 0.5 * (lo + hi);
    int n_clamped = 0;
    for (int k = 0; k <= D_IN; k++) n_clamped += fabs(log.pre_clip[0][k]) > clip_val;
    CHECK(n_clamped > 0 && n_clamped <= D_IN);
    sim_fit(16, 16, 1, 1, 0.1, CLIP_VALUE, clip_val, want, NULL);
    CHECK(max_abs_diff(want, unclipped) > 1e-3);

    run_t r;
    run_init(&r, 16, 16, 8, 8);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.num_sanity_val_steps = 0;
    p.gradient_clip_val = clip_val;
    p.gradient_clip_algorithm = LIT_CLIP_VALUE;
    run_fit(&r, &p, LIT_OK);
    weights(&r.lm, got);
    CHECK_MSG(max_abs_diff(got, want) < 1e-6, "weights differ from the value-clipped update by %g",
              max_abs_diff(got, want));
    CHECK_EQ_INT(r.lm.n_bos, 1);
    CHECK_MSG(max_abs_diff(r.lm.bos_grad[0], log.pre_clip[0]) < 1e-5, "hook saw clipped grads");
    run_free(&r);
}

/* 10 batches of 4 with accumulate 4: steps after batches 3, 7 and the last
 * partial group (9), whose loss is still divided by 4; two epochs = 6 steps.
 * Clipping only on those stepping batches. */
TEST(clip_norm_with_accumulation) {
    const double clip_val = 0.2;
    double want[D_IN + 1], wrong[D_IN + 1], got[D_IN + 1];
    sim_log log;
    sim_fit(40, 4, 4, 2, 0.1, CLIP_NORM, clip_val, want, &log);
    sim_fit(40, 4, 4, 2, 0.1, CLIP_NORM_EVERY_BATCH, clip_val, wrong, NULL);
    CHECK_EQ_INT(log.n_steps, 6);
    CHECK(max_abs_diff(want, wrong) > 1e-3);
    int clipped = 0;
    for (int s = 0; s < log.n_steps; s++) clipped += norm(log.pre_clip[s]) > clip_val;
    CHECK(clipped >= 3);

    run_t r;
    run_init(&r, 40, 4, 8, 8);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 2;
    p.num_sanity_val_steps = 0;
    p.accumulate_grad_batches = 4;
    p.gradient_clip_val = clip_val;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(r.tr), 6);
    CHECK_EQ_INT(lit_trainer_estimated_stepping_batches(r.tr), 6);
    CHECK_EQ_INT(r.lm.train_steps, 20);
    weights(&r.lm, got);
    CHECK_MSG(max_abs_diff(got, want) < 1e-5, "weights differ from clipped accumulated SGD by %g",
              max_abs_diff(got, want));
    CHECK_EQ_INT(r.lm.n_bos, 6);
    for (int s = 0; s < 6 && s < r.lm.n_bos; s++)
        CHECK_MSG(max_abs_diff(r.lm.bos_grad[s], log.pre_clip[s]) < 1e-5, "step %d: hook grad off by %g", s,
                  max_abs_diff(r.lm.bos_grad[s], log.pre_clip[s]));
    run_free(&r);
}

/* ---------------------------------------------------------------- should_stop, min_epochs, min_steps */

typedef struct {
    int64_t min_epochs, min_steps, max_epochs;
    int64_t stop_epoch, stop_batch, stop_at_epoch_start;
    int64_t want_steps, want_epoch, want_val_runs;
} stop_case;

TEST(should_stop_honours_min_epochs_and_min_steps) {
    /* 4 train batches per epoch, 1 val batch; validation after each epoch. */
    const stop_case cases[] = {
        /* default min_epochs (None -> 0): stop right after batch 1, validating there */
        { -1, -1, 10, 0, 1, -1, 2, 1, 1 },
        /* min_epochs=3: epochs 0..2 run whole, then the fit ends */
        { 3, -1, 10, 0, 1, -1, 12, 3, 3 },
        /* min_steps=7 (min_epochs becomes 1): stops after step 7, inside epoch 1 */
        { -1, 7, 10, 0, 0, -1, 7, 2, 2 },
        /* min_steps=2: already met, but min_epochs=1 keeps epoch 0 going */
        { -1, 2, 10, 0, 0, -1, 4, 1, 1 },
        /* both: min_epochs=2 and min_steps=10 -> stop after step 10 (epoch 2, batch 1) */
        { 2, 10, 10, 0, 0, -1, 10, 3, 3 },
        /* set in on_train_epoch_start of epoch 1: that epoch runs no batch but still ends */
        { -1, -1, 10, -1, -1, 1, 4, 2, 1 },
        /* same with min_epochs=2: epoch 1 cannot stop early, so it runs whole */
        { 2, -1, 10, -1, -1, 1, 8, 2, 2 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const stop_case *k = &cases[c];
        run_t r;
        run_init(&r, 16, 4, 4, 4);
        r.lm.stop_epoch = k->stop_epoch;
        r.lm.stop_batch = k->stop_batch;
        r.lm.stop_at_epoch_start = k->stop_at_epoch_start;
        lit_trainer_params p = quiet_trainer_params();
        p.max_epochs = k->max_epochs;
        p.min_epochs = k->min_epochs;
        p.min_steps = k->min_steps;
        p.num_sanity_val_steps = 0;
        run_fit(&r, &p, LIT_OK);
        CHECK_MSG(lit_trainer_global_step(r.tr) == k->want_steps, "case %zu: global_step %lld, want %lld", c,
                  (long long)lit_trainer_global_step(r.tr), (long long)k->want_steps);
        CHECK_MSG(r.lm.train_steps == k->want_steps, "case %zu: %lld training steps", c, (long long)r.lm.train_steps);
        CHECK_MSG(lit_trainer_current_epoch(r.tr) == k->want_epoch, "case %zu: current_epoch %lld, want %lld", c,
                  (long long)lit_trainer_current_epoch(r.tr), (long long)k->want_epoch);
        CHECK_MSG(r.lm.val_steps == k->want_val_runs, "case %zu: %lld validations, want %lld", c,
                  (long long)r.lm.val_steps, (long long)k->want_val_runs);
        CHECK_MSG(r.lm.n_epoch_end == k->want_epoch, "case %zu: on_train_epoch_end ran %lld times", c,
                  (long long)r.lm.n_epoch_end);
        run_free(&r);
    }
}

/* ---------------------------------------------------------------- max_time with a fake clock */

static double fake_clock(void *user) { return ((linmodel *)user)->clock; }

typedef struct {
    double max_time;
    int64_t max_epochs, min_epochs;
    int64_t want_steps, want_epoch, want_val_runs;
} time_case;

TEST(max_time_stops_on_batch_end) {
    /* 6 train batches per epoch, 1 val batch. Every training step advances
     * the clock by 1 s; the sanity check (1 batch) by 100 s, which must not
     * count: the Timer starts at on_train_start. */
    const time_case cases[] = {
        /* after step 4 the clock reads 4 >= 3.5: stop mid-epoch 0, validating there */
        { 3.5, -1, -1, 4, 1, 1 + 1 },
        /* exactly at the limit: elapsed >= max_time stops (step 4) */
        { 4.0, -1, -1, 4, 1, 1 + 1 },
        /* across epochs: 14 steps = epochs 0, 1 and 2 batches of epoch 2 */
        { 13.5, -1, -1, 14, 3, 1 + 3 },
        /* max_time is a should_stop: min_epochs=2 keeps training to 12 steps */
        { 2.5, -1, 2, 12, 2, 1 + 2 },
        /* max_epochs ends the fit first */
        { 100.0, 2, -1, 12, 2, 1 + 2 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const time_case *k = &cases[c];
        run_t r;
        run_init(&r, 24, 4, 4, 4);
        lit_trainer_params p = quiet_trainer_params();
        p.max_time = k->max_time;
        p.max_epochs = k->max_epochs;
        p.min_epochs = k->min_epochs;
        lit_datamodule dm = make_dm(&r.s);
        CHECK_EQ_INT(lit_trainer_new(&r.tr, &p), LIT_OK);
        r.s.tr = r.tr;
        lit_trainer_set_clock(r.tr, fake_clock, &r.lm);
        CHECK_EQ_INT(lit_trainer_fit(r.tr, &r.m, &dm, NULL), LIT_OK);
        CHECK_MSG(lit_trainer_global_step(r.tr) == k->want_steps, "case %zu: global_step %lld, want %lld", c,
                  (long long)lit_trainer_global_step(r.tr), (long long)k->want_steps);
        CHECK_MSG(lit_trainer_current_epoch(r.tr) == k->want_epoch, "case %zu: current_epoch %lld, want %lld", c,
                  (long long)lit_trainer_current_epoch(r.tr), (long long)k->want_epoch);
        CHECK_MSG(r.lm.val_steps == k->want_val_runs, "case %zu: %lld val batches, want %lld", c,
                  (long long)r.lm.val_steps, (long long)k->want_val_runs);
        /* max_epochs=None with max_time: unlimited epochs (not 1000), so no estimate */
        if (k->max_epochs == -1) CHECK_EQ_INT(lit_trainer_estimated_stepping_batches(r.tr), INT64_MAX);
        run_free(&r);
    }
}

/* ---------------------------------------------------------------- LR schedulers */

typedef struct {
    lit_interval interval;
    int frequency;
    int64_t n_train, acc, epochs;
    int64_t want_count;
} sched_case;

TEST(lr_scheduler_intervals_and_frequency) {
    /* ExponentialLR(gamma=0.5): the lr after n scheduler steps is 0.1 * 0.5^n.
     * Lightning steps "step" schedulers only on batches that step the
     * optimizer, when (batch_idx + 1) % frequency == 0; "epoch" schedulers
     * after the epoch's last batch when (current_epoch + 1) % frequency == 0. */
    const sched_case cases[] = {
        /* 10 batches, accumulate 4: optimizer steps after batches 3, 7, 9 */
        { LIT_INTERVAL_STEP, 1, 40, 4, 2, 6 },
        /* accumulate 2, frequency 2: batch_idx + 1 = 2, 4, ..., 10 are all even -> 5 per epoch
         * (counting optimizer steps would give 2) */
        { LIT_INTERVAL_STEP, 2, 40, 2, 1, 5 },
        /* accumulate 4, frequency 4: batch_idx + 1 = 4, 8 (not 10) */
        { LIT_INTERVAL_STEP, 4, 40, 4, 1, 2 },
        /* no accumulation, frequency 3: batches 3, 6, 9 -> 3 per epoch */
        { LIT_INTERVAL_STEP, 3, 40, 1, 2, 6 },
        /* epoch interval: once per epoch, whatever the accumulation */
        { LIT_INTERVAL_EPOCH, 1, 40, 4, 3, 3 },
        /* epoch interval, frequency 2: after epochs 1 and 3 of 0..4 */
        { LIT_INTERVAL_EPOCH, 2, 40, 1, 5, 2 },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const sched_case *k = &cases[c];
        run_t r;
        run_init(&r, k->n_train, 4, 4, 4);
        r.lm.sched_kind = 1;
        r.lm.sc = (lit_lr_scheduler_config){ .interval = k->interval, .frequency = k->frequency };
        lit_trainer_params p = quiet_trainer_params();
        p.max_epochs = k->epochs;
        p.accumulate_grad_batches = k->acc;
        p.num_sanity_val_steps = 0;
        run_fit(&r, &p, LIT_OK);
        CHECK_MSG(r.lm.sched_count == k->want_count, "case %zu: %lld scheduler steps, want %lld", c,
                  (long long)r.lm.sched_count, (long long)k->want_count);
        /* The lr each batch trained with: the steps so far, by the rule above. */
        const int64_t nb = k->n_train / 4;
        int64_t n = 0, g = 0;
        for (int64_t e = 0; e < k->epochs; e++) {
            for (int64_t bi = 0; bi < nb; bi++, g++) {
                if (g < r.lm.n_lrs)
                    CHECK_MSG(r.lm.lrs[g] == 0.1 * pow(0.5, (double)n), "case %zu epoch %lld batch %lld: lr %g, want %g",
                              c, (long long)e, (long long)bi, r.lm.lrs[g], 0.1 * pow(0.5, (double)n));
                int stepped = (bi + 1) % k->acc == 0 || bi + 1 == nb;
                if (k->interval == LIT_INTERVAL_STEP && stepped && (bi + 1) % k->frequency == 0) n++;
                if (k->interval == LIT_INTERVAL_EPOCH && bi + 1 == nb && (e + 1) % k->frequency == 0) n++;
            }
        }
        CHECK_EQ_INT(n, k->want_count);
        CHECK_EQ_INT(r.lm.n_lrs, k->epochs * nb);
        run_free(&r);
    }
}

TEST(plateau_epoch_scheduler_skips_an_unfinished_epoch) {
    /* max_steps=6 with 4 batches per epoch stops inside epoch 1: Lightning's
     * FitLoop.on_advance_end steps plateau schedulers only when the epoch
     * reached its last batch, so ReduceLROnPlateau stepped once. */
    run_t r;
    run_init(&r, 16, 4, 4, 4);
    r.lm.sched_kind = 2;
    r.lm.sc = (lit_lr_scheduler_config){ .interval = LIT_INTERVAL_EPOCH };
    lit_trainer_params p = quiet_trainer_params();
    p.max_steps = 6;
    p.num_sanity_val_steps = 0;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(r.tr), 6);
    CHECK_EQ_INT(lit_trainer_current_epoch(r.tr), 2);
    CHECK_EQ_INT(r.lm.sched_count, 1);
    run_free(&r);

    /* Two whole epochs: two plateau steps. */
    run_init(&r, 16, 4, 4, 4);
    r.lm.sched_kind = 2;
    r.lm.sc = (lit_lr_scheduler_config){ .interval = LIT_INTERVAL_EPOCH };
    p.max_steps = 8;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(r.lm.sched_count, 2);
    run_free(&r);
}

/* ---------------------------------------------------------------- reload_dataloaders_every_n_epochs */

typedef struct {
    int64_t reload_n, check_val_every, sanity, epochs;
    int n_train;
    int64_t train_epochs[8];
    int n_val;
    int64_t val_epochs[8];
} reload_case;

TEST(reload_dataloaders_every_n_epochs) {
    /* Lightning: a loader is requested again when current_epoch - (epoch of
     * its last request) >= n; the sanity check's request counts for epoch 0
     * only when epoch 0 validates. */
    const reload_case cases[] = {
        { 0, 1, 2, 3, 1, { 0 }, 1, { 0 } },
        { 1, 1, 2, 3, 3, { 0, 1, 2 }, 3, { 0, 1, 2 } },
        { 2, 1, 2, 5, 3, { 0, 2, 4 }, 3, { 0, 2, 4 } },
        /* validation in epochs 1, 3, 5, 7: reloads at 1 (first) and 5 (5 - 1 >= 3), not at 3 or 7 */
        { 3, 2, 0, 8, 3, { 0, 3, 6 }, 2, { 1, 5 } },
        /* with a sanity check at epoch 0 that does not count (epoch 0 does not validate) */
        { 3, 2, 2, 8, 3, { 0, 3, 6 }, 3, { 0, 1, 5 } },
        /* every epoch, validating every second: val requested in 1, 3 */
        { 1, 2, 0, 4, 4, { 0, 1, 2, 3 }, 2, { 1, 3 } },
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const reload_case *k = &cases[c];
        run_t r;
        run_init(&r, 8, 4, 4, 4);
        lit_trainer_params p = quiet_trainer_params();
        p.max_epochs = k->epochs;
        p.reload_dataloaders_every_n_epochs = k->reload_n;
        p.check_val_every_n_epoch = k->check_val_every;
        p.num_sanity_val_steps = k->sanity;
        run_fit(&r, &p, LIT_OK);
        CHECK_MSG(r.s.n_train_calls == k->n_train, "case %zu: train_dataloader called %d times, want %d", c,
                  r.s.n_train_calls, k->n_train);
        for (int i = 0; i < k->n_train && i < r.s.n_train_calls; i++)
            CHECK_MSG(r.s.train_call_epoch[i] == k->train_epochs[i], "case %zu: train request %d at epoch %lld, want %lld",
                      c, i, (long long)r.s.train_call_epoch[i], (long long)k->train_epochs[i]);
        CHECK_MSG(r.s.n_val_calls == k->n_val, "case %zu: val_dataloaders called %d times, want %d", c,
                  r.s.n_val_calls, k->n_val);
        for (int i = 0; i < k->n_val && i < r.s.n_val_calls; i++)
            CHECK_MSG(r.s.val_call_epoch[i] == k->val_epochs[i], "case %zu: val request %d at epoch %lld, want %lld", c,
                      i, (long long)r.s.val_call_epoch[i], (long long)k->val_epochs[i]);
        CHECK_EQ_INT(lit_trainer_current_epoch(r.tr), k->epochs);
        run_free(&r);
    }
}

/* ---------------------------------------------------------------- validation and step counts */

TEST(validation_counts) {
    run_t r;
    lit_trainer_params p;

    /* check_val_every_n_epoch=3 over 7 epochs: after epochs 2 and 5; sanity
     * -1 runs every val batch (3 of 24/8). */
    run_init(&r, 16, 4, 24, 8);
    p = quiet_trainer_params();
    p.max_epochs = 7;
    p.check_val_every_n_epoch = 3;
    p.num_sanity_val_steps = -1;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(r.lm.val_steps, 3 + 2 * 3);
    CHECK_EQ_INT(lit_trainer_num_val_batches(r.tr), 3);
    run_free(&r);

    /* limit_val_fraction 0.7 of 5 batches = int(3.5) = 3 per validation, the
     * sanity check with -1 included (2 would be the default's). */
    run_init(&r, 16, 4, 40, 8);
    p = quiet_trainer_params();
    p.max_epochs = 2;
    p.limit_val_fraction = 0.7;
    p.num_sanity_val_steps = -1;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(r.lm.val_steps, 3 + 2 * 3);
    CHECK_EQ_INT(lit_trainer_num_val_batches(r.tr), 3);
    run_free(&r);

    /* val_check_batches=4 with 10 batches: after batches 4 and 8 of every
     * epoch (batch_idx restarts each epoch); 2 epochs = 4 validations of 1
     * batch. Counting across epochs would give 5 (batches 4, 8, 12, 16, 20). */
    run_init(&r, 40, 4, 4, 4);
    p = quiet_trainer_params();
    p.max_epochs = 2;
    p.val_check_batches = 4;
    p.num_sanity_val_steps = 0;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(r.lm.val_steps, 4);
    run_free(&r);

    /* val_check_batches larger than the epoch is fine when validation is off
     * (Lightning raises only with limit_val_batches > 0). */
    run_init(&r, 16, 4, 4, 4);
    p = quiet_trainer_params();
    p.max_epochs = 1;
    p.val_check_batches = 10;
    p.limit_val_batches = 0;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(r.lm.val_steps, 0);
    CHECK_EQ_INT(lit_trainer_global_step(r.tr), 4);
    run_free(&r);
}

TEST(stepping_batch_counts) {
    run_t r;
    lit_trainer_params p;
    /* 10 batches, accumulate 4: 3 optimizer steps per epoch (the partial last group steps). */
    run_init(&r, 40, 4, 4, 4);
    p = quiet_trainer_params();
    p.max_epochs = 3;
    p.accumulate_grad_batches = 4;
    p.num_sanity_val_steps = 0;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(lit_trainer_global_step(r.tr), 9);
    CHECK_EQ_INT(lit_trainer_estimated_stepping_batches(r.tr), 9);
    CHECK_EQ_INT(r.lm.n_bos, 9);
    run_free(&r);

    /* limit_train_fraction 0.5: 5 batches -> ceil(5 / 4) = 2 steps per epoch */
    run_init(&r, 40, 4, 4, 4);
    p = quiet_trainer_params();
    p.max_epochs = 3;
    p.accumulate_grad_batches = 4;
    p.limit_train_fraction = 0.5;
    p.num_sanity_val_steps = 0;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(lit_trainer_num_training_batches(r.tr), 5);
    CHECK_EQ_INT(lit_trainer_global_step(r.tr), 6);
    CHECK_EQ_INT(lit_trainer_estimated_stepping_batches(r.tr), 6);
    CHECK_EQ_INT(r.lm.train_steps, 15);
    run_free(&r);

    /* max_steps caps the estimate and the fit: 5 of 9 */
    run_init(&r, 40, 4, 4, 4);
    p = quiet_trainer_params();
    p.max_epochs = 3;
    p.max_steps = 5;
    p.accumulate_grad_batches = 4;
    p.num_sanity_val_steps = 0;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(lit_trainer_estimated_stepping_batches(r.tr), 5);
    CHECK_EQ_INT(lit_trainer_global_step(r.tr), 5);
    CHECK_EQ_INT(r.lm.train_steps, 18); /* epoch 0 (10 batches, 3 steps), then steps 4, 5 after batches 3, 7 */
    run_free(&r);

    /* max_epochs, max_steps and max_time unset: Lightning's 1000 epochs -> 1000 * 3
     * (the fit itself is cut short by should_stop after batch 1) */
    run_init(&r, 40, 4, 4, 4);
    r.lm.stop_epoch = 0;
    r.lm.stop_batch = 1;
    p = quiet_trainer_params();
    p.accumulate_grad_batches = 4;
    p.num_sanity_val_steps = 0;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(lit_trainer_estimated_stepping_batches(r.tr), 3000);
    CHECK_EQ_INT(r.lm.train_steps, 2);
    CHECK_EQ_INT(lit_trainer_global_step(r.tr), 0);
    run_free(&r);

    /* limit_train_batches=0: FitLoop.skip, no training hooks at all */
    run_init(&r, 40, 4, 4, 4);
    p = quiet_trainer_params();
    p.accumulate_grad_batches = 4;
    p.limit_train_batches = 0;
    run_fit(&r, &p, LIT_OK);
    CHECK_EQ_INT(r.lm.train_steps, 0);
    CHECK_EQ_INT(r.lm.n_train_start, 0);
    CHECK_EQ_INT(r.lm.n_fit_end, 1);
    CHECK_EQ_INT(lit_trainer_current_epoch(r.tr), 0);
    run_free(&r);
}

/* ---------------------------------------------------------------- bad input */

static void expect_new_error(lit_trainer_params p, const char *substring) {
    lit_trainer *tr = (lit_trainer *)(uintptr_t)1;
    lit_status st = lit_trainer_new(&tr, &p);
    CHECK_MSG(st == LIT_ERR_CONFIG, "lit_trainer_new: %s, want LIT_ERR_CONFIG for %s", lit_status_name(st), substring);
    CHECK(tr == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), substring);
    if (st >= 0) lit_trainer_free(tr);
}

TEST(bad_params_name_the_problem) {
    lit_trainer_params p;
#define BAD(field, value, substring)    \
    do {                                \
        p = quiet_trainer_params();     \
        p.field = value;                \
        expect_new_error(p, substring); \
    } while (0)
    /* negative counts */
    BAD(max_steps, -2, "max_steps=-2");
    BAD(max_epochs, -5, "max_epochs=-5");
    BAD(min_epochs, -3, "min_epochs=-3");
    BAD(min_steps, -2, "min_steps=-2");
    BAD(limit_train_batches, -2, "limit_train_batches=-2");
    BAD(limit_val_batches, -7, "limit_val_batches=-7");
    BAD(num_sanity_val_steps, -2, "num_sanity_val_steps=-2");
    BAD(accumulate_grad_batches, -1, "accumulate_grad_batches=-1");
    BAD(reload_dataloaders_every_n_epochs, -1, "reload_dataloaders_every_n_epochs=-1");
    BAD(check_val_every_n_epoch, 0, "check_val_every_n_epoch=0");
    BAD(val_check_batches, -4, "val_check_batches=-4");
    BAD(max_time, -1.0, "max_time=-1");
    /* fractions over 1 (and under 0) */
    BAD(limit_train_fraction, 1.5, "limit_train_fraction=1.5");
    BAD(limit_val_fraction, 1.01, "limit_val_fraction=1.01");
    BAD(limit_test_fraction, -0.5, "limit_test_fraction=-0.5");
    BAD(limit_predict_fraction, 2.0, "limit_predict_fraction=2");
    BAD(val_check_interval, 1.5, "val_check_interval=1.5");
#undef BAD
    p = quiet_trainer_params();
    p.min_epochs = 5;
    p.max_epochs = 2;
    expect_new_error(p, "min_epochs exceeds max_epochs");
}

TEST(bad_data_is_reported_before_training) {
    run_t r;
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 3;

    /* a train loader of length 0: 3 samples with batch_size 4 and drop_last */
    run_init(&r, 3, 4, 4, 4);
    r.s.drop_last_train = 1;
    run_fit(&r, &p, LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "training dataloader has length 0");
    CHECK_EQ_INT(r.lm.train_steps, 0);
    CHECK_EQ_INT(r.lm.n_train_start, 0);
    CHECK_EQ_INT(r.lm.n_epoch_end, 0);
    run_free(&r);

    /* an empty dataset */
    run_init(&r, 0, 4, 4, 4);
    run_fit(&r, &p, LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "length 0");
    CHECK_EQ_INT(r.lm.n_train_start, 0);
    run_free(&r);

    /* a fraction that leaves no batch: int(10 * 0.05) = 0 (Lightning: "Try at least 0.1") */
    run_init(&r, 40, 4, 4, 4);
    p.limit_train_fraction = 0.05;
    run_fit(&r, &p, LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "limit_train_fraction=0.05");
    CHECK_STR_CONTAINS(lit_last_error(), "at least limit_train_fraction=0.1");
    CHECK_EQ_INT(r.lm.train_steps, 0);
    run_free(&r);

    /* val_check_batches larger than the epoch (4 batches) */
    run_init(&r, 16, 4, 4, 4);
    p = quiet_trainer_params();
    p.max_epochs = 1;
    p.val_check_batches = 5;
    run_fit(&r, &p, LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "val_check_batches=5");
    CHECK_STR_CONTAINS(lit_last_error(), "(4)");
    CHECK_EQ_INT(r.lm.train_steps, 0);
    CHECK_EQ_INT(r.lm.n_train_start, 0);
    run_free(&r);
}

int main(void) {
    lit_set_num_threads(1);
    lit_log_set_level(LIT_LOG_ERROR);
    RUN(clip_norm_one_step);
    RUN(clip_value_one_step);
    RUN(clip_norm_with_accumulation);
    RUN(should_stop_honours_min_epochs_and_min_steps);
    RUN(max_time_stops_on_batch_end);
    RUN(lr_scheduler_intervals_and_frequency);
    RUN(plateau_epoch_scheduler_skips_an_unfinished_epoch);
    RUN(reload_dataloaders_every_n_epochs);
    RUN(validation_counts);
    RUN(stepping_batch_counts);
    RUN(bad_params_name_the_problem);
    RUN(bad_data_is_reported_before_training);
    return harness_summary();
}
