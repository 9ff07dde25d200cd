/*
 * Anomaly detection: autograd's anomaly mode records the first op that made
 * a value NaN or Inf, in forward and in backward (autograd.h), and
 * Trainer(detect_anomaly=1) fails the batch with LIT_ERR_NUMERIC naming that
 * op, the direction, the shape, the step and the parameter; a parameter that
 * is already non-finite is named before the step runs.
 */
#include <math.h>

#include "harness.h"

#define D_IN 4
#include "tiny-data.h"

static void tiny_sample(int64_t i, float *x, float *y) { tiny_linear_sample(i, D_IN, x, y); }

/* ---------------------------------------------------------------- autograd's anomaly mode */

static lit_tensor *vec(int n, const float *v) {
    int64_t shape[1] = {n};
    return lit_from_buffer(LIT_F32, 1, shape, v);
}

static char *describe(const lit_anomaly *a) {
    static char buf[512];
    return a ? lit_anomaly_str(a, buf, sizeof buf) : "(none)";
}

TEST(off_by_default_and_records_nothing) {
    CHECK(!lit_is_anomaly_enabled());
    lit_anomaly_clear();
    lit_log(vec(2, (float[]){-1.0f, 1.0f}));
    CHECK(lit_anomaly_first(0) == NULL);
    CHECK(lit_anomaly_first(1) == NULL);
}

TEST(forward_names_the_first_op_that_made_nan) {
    int prev = lit_set_anomaly_enabled(1);
    lit_anomaly_clear();
    lit_tensor *x = vec(3, (float[]){1.0f, -2.0f, 3.0f});
    lit_tensor *y = lit_exp(lit_log(lit_mul_scalar(x, 2.0))); /* log(-4) is NaN; exp passes it on */
    CHECK(isnan(lit_f32(y)[1]));
    const lit_anomaly *a = lit_anomaly_first(0);
    CHECK(a != NULL);
    if (a) {
        CHECK_EQ_INT(a->kind, LIT_ANOMALY_PRODUCED);
        CHECK_STR_EQ(a->op, "log");
        CHECK_EQ_INT((int)a->index, 1);
        CHECK_STR_EQ(describe(a), "op 'log' produced nan in forward (output shape (3,))");
    }
    lit_set_anomaly_enabled(prev);
}

TEST(forward_inf_is_recorded_where_it_is_made_not_where_it_is_passed) {
    int prev = lit_set_anomaly_enabled(1);
    lit_anomaly_clear();
    /* A -inf mask passed along is legitimate: masked_fill(-inf), then softmax
     * of rows that keep a finite score. */
    lit_tensor *s = lit_from_buffer(LIT_F32, LIT_SHAPE(2, 2), (float[]){0.5f, 1.0f, 2.0f, -1.0f});
    lit_tensor *mask = lit_from_buffer(LIT_F32, LIT_SHAPE(2, 2), (float[]){0, 1, 0, 1});
    lit_tensor *p = lit_softmax(lit_add_scalar(lit_masked_fill(s, mask, -INFINITY), 1.0), -1);
    CHECK_NEAR(lit_f32(p)[0], 1.0, 0);
    CHECK(lit_anomaly_first(0) == NULL);
    /* A row masked whole makes softmax NaN: softmax is the culprit. */
    lit_tensor *all = lit_ones(LIT_F32, LIT_SHAPE(2, 2));
    lit_softmax(lit_masked_fill(s, all, -INFINITY), -1);
    CHECK_STR_EQ(describe(lit_anomaly_first(0)), "op 'softmax' produced nan in forward (output shape (2, 2))");
    /* exp overflowing a finite input is recorded as Inf. */
    lit_anomaly_clear();
    lit_exp(vec(2, (float[]){1.0f, 100.0f}));
    CHECK_STR_EQ(describe(lit_anomaly_first(0)), "op 'exp' produced inf in forward (output shape (2,))");
    lit_set_anomaly_enabled(prev);
}

TEST(forward_blames_an_input_that_came_in_nan) {
    int prev = lit_set_anomaly_enabled(1);
    lit_anomaly_clear();
    lit_tensor *w = vec(2, (float[]){1.0f, NAN});
    w->name = "layer.weight";
    lit_tensor *data = vec(2, (float[]){NAN, 1.0f});
    lit_mul(vec(2, (float[]){1.0f, 2.0f}), w);
    CHECK_STR_EQ(describe(lit_anomaly_first(0)),
                 "input 1 of op 'mul' is already nan (element 1 of (2,), 'layer.weight'): it entered the graph "
                 "non-finite");
    lit_anomaly_clear();
    lit_relu(data);
    CHECK_STR_EQ(describe(lit_anomaly_first(0)),
                 "input 0 of op 'relu' is already nan (element 0 of (2,)): it entered the graph non-finite (the "
                 "batch, a constant or a tensor written by hand)");
    lit_set_anomaly_enabled(prev);
}

TEST(backward_names_the_op_whose_gradient_went_nonfinite) {
    int prev = lit_set_anomaly_enabled(1);
    lit_anomaly_clear();
    /* sqrt(x^2) at x = 0: finite forward; sqrt's backward divides by 0
     * (Inf), which square's backward turns into NaN (Inf * 0). */
    lit_tensor *w = vec(3, (float[]){1.0f, 0.0f, -2.0f});
    w->requires_grad = 1;
    w->name = "w";
    lit_tensor *loss = lit_sum_all(lit_sqrt(lit_square(w)));
    CHECK(lit_anomaly_first(0) == NULL);
    lit_backward(loss);
    CHECK(isnan(lit_f32(w->grad)[1]));
    CHECK_STR_EQ(describe(lit_anomaly_first(1)),
                 "op 'sqrt' produced inf in backward (gradient of its input 0, shape (3,))");
    /* A non-finite gradient handed to backward is named as such. */
    lit_anomaly_clear();
    lit_tensor *y = lit_mul_scalar(w, 2.0);
    lit_backward_with_grad(y, vec(3, (float[]){1.0f, INFINITY, 1.0f}));
    CHECK_STR_EQ(describe(lit_anomaly_first(1)), "the gradient given to backward is already inf (element 1 of (3,))");
    lit_set_anomaly_enabled(prev);
}

/* ---------------------------------------------------------------- Trainer(detect_anomaly=1) */

typedef enum { BAD_NONE, BAD_LOG_NEGATIVE, BAD_SQRT_AT_ZERO, BAD_NAN_IN_BATCH, MASKED_NAN } bad_kind;

typedef struct {
    lit_param_store *ps;
    lit_tensor *w; /* (D_IN,), "net.weight" */
    bad_kind bad;
    int64_t bad_at; /* the batch that goes wrong */
} model;

/* loss = mean((x . w - y)^2) + mean(log(|x * w| + 1)), with the batch's
 * scripted fault. */
static lit_status train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    model *md = m->user;
    lit_tensor *x = lit_batch_get(b, "x"), *y = lit_batch_get(b, "y");
    int bad = i == md->bad_at;
    if (bad && md->bad == BAD_NAN_IN_BATCH) lit_f32(x)[1] = NAN;
    lit_tensor *xw = lit_mul(x, md->w); /* (B, D_IN) */
    lit_tensor *pred = lit_sum(xw, 1, (int[]){1}, 1);
    lit_tensor *mse = lit_mse_loss(pred, y, LIT_REDUCTION_MEAN);
    double shift = bad && md->bad == BAD_LOG_NEGATIVE ? -100.0 : 1.0;
    lit_tensor *reg = lit_mean_all(lit_log(lit_add_scalar(lit_abs(xw), shift)));
    *loss = lit_add(mse, reg);
    if (bad && md->bad == BAD_SQRT_AT_ZERO) /* + sum(sqrt((0 w)^2)): 0, with an infinite gradient */
        *loss = lit_add(*loss, lit_sum_all(lit_sqrt(lit_square(lit_mul_scalar(md->w, 0.0)))));
    if (bad && md->bad == MASKED_NAN) { /* + sum(where(false, log(-|w|), 0)): NaN made, then masked out */
        lit_tensor *never = lit_zeros(LIT_F32, LIT_SHAPE(D_IN));
        lit_tensor *nan_branch = lit_log(lit_mul_scalar(lit_abs(md->w), -1.0));
        *loss = lit_add(*loss, lit_sum_all(lit_where(never, nan_branch, lit_zeros(LIT_F32, LIT_SHAPE(D_IN)))));
    }
    return LIT_OK;
}

static lit_status configure(lit_module *m, lit_optim_config *cfg) {
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){.lr = 0.01}, p, n));
}

static const lit_module_vtable VT = {
    .version = LIT_MODULE_VERSION, .training_step = train_step, .configure_optimizers = configure};

typedef struct {
    int64_t n;
    lit_dataloader *train;
    lit_datamodule dm;
    model md;
    lit_module m;
} run;

static lit_dataloader *dm_train(void *u) { return ((run *)u)->train; }

/* 8 samples in batches of 2; w = (0.5, -0.25, 1, 0.125). */
static void run_init(run *r, bad_kind bad, int64_t bad_at) {
    memset(r, 0, sizeof *r);
    r->n = 8;
    r->train = tiny_loader(&r->n, 2, NULL);
    r->dm = (lit_datamodule){.version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train, .user = r};
    r->md.ps = lit_param_store_new("m");
    r->md.w = lit_param_store_new_param(r->md.ps, "net", "weight", LIT_SHAPE(D_IN));
    memcpy(lit_f32(r->md.w), (float[]){0.5f, -0.25f, 1.0f, 0.125f}, sizeof(float[D_IN]));
    r->md.bad = bad;
    r->md.bad_at = bad_at;
    lit_module_init(&r->m, &VT, r->md.ps, &r->md);
}

/* Fit one epoch with detect_anomaly as given; the trainer's global step
 * goes to *steps. */
static lit_status run_fit(run *r, int detect_anomaly, int64_t *steps) {
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.detect_anomaly = detect_anomaly;
    lit_trainer *tr = NULL;
    lit_status st = lit_trainer_new(&tr, &p);
    if (st >= 0) st = lit_trainer_fit(tr, &r->m, &r->dm, NULL);
    *steps = tr ? lit_trainer_global_step(tr) : -1;
    lit_trainer_free(tr);
    return st;
}

static void run_free(run *r) {
    lit_module_deinit(&r->m);
    lit_param_store_free(r->md.ps);
    lit_dataloader_free(r->train);
}

TEST(fit_names_log_in_forward_with_shape_and_step) {
    run r;
    int64_t steps;
    run_init(&r, BAD_LOG_NEGATIVE, 3);
    CHECK_EQ_INT(run_fit(&r, 1, &steps), LIT_ERR_NUMERIC);
    CHECK_STR_EQ(lit_last_error(),
                 "detect_anomaly: op 'log' produced nan in forward (output shape (2, 4)) at epoch 0, batch 3 (global "
                 "step 3); training_step's loss is nan");
    CHECK_EQ_INT(steps, 3); /* stopped before the bad update */
    CHECK(!lit_is_anomaly_enabled()); /* restored after the batch */
    run_free(&r);
}

TEST(fit_names_sqrt_in_backward_and_the_parameter) {
    run r;
    int64_t steps;
    run_init(&r, BAD_SQRT_AT_ZERO, 1);
    CHECK_EQ_INT(run_fit(&r, 1, &steps), LIT_ERR_NUMERIC);
    CHECK_STR_EQ(lit_last_error(),
                 "detect_anomaly: op 'sqrt' produced inf in backward (gradient of its input 0, shape (4,)) at epoch "
                 "0, batch 1 (global step 1); the gradient of parameter 'net.weight' is nan (element 0)");
    CHECK_EQ_INT(steps, 1);
    run_free(&r);
}

TEST(fit_names_a_nan_weight_before_the_step) {
    run r;
    int64_t steps;
    run_init(&r, BAD_NONE, -1);
    lit_f32(r.md.w)[2] = NAN;
    CHECK_EQ_INT(run_fit(&r, 1, &steps), LIT_ERR_NUMERIC);
    CHECK_STR_CONTAINS(lit_last_error(),
                       "detect_anomaly: parameter 'net.weight' holds nan (element 2) before training_step at epoch 0, "
                       "batch 0 (global step 0)");
    CHECK_EQ_INT(steps, 0);
    run_free(&r);
}

TEST(fit_names_nan_in_the_batch) {
    run r;
    int64_t steps;
    run_init(&r, BAD_NAN_IN_BATCH, 2);
    CHECK_EQ_INT(run_fit(&r, 1, &steps), LIT_ERR_NUMERIC);
    CHECK_STR_CONTAINS(lit_last_error(),
                       "detect_anomaly: input 0 of op 'mul' is already nan (element 1 of (2, 4)): it entered the "
                       "graph non-finite (the batch");
    CHECK_STR_CONTAINS(lit_last_error(), "at epoch 0, batch 2 (global step 2)");
    run_free(&r);
}

TEST(without_detect_anomaly_a_nan_weight_reaches_the_weights) {
    /* Lightning does not check by default: the fit completes, and the NaN
     * (no longer hidden by an op) spreads into every weight it touches. */
    run r;
    int64_t steps;
    run_init(&r, BAD_NONE, -1);
    lit_f32(r.md.w)[2] = NAN;
    CHECK_EQ_INT(run_fit(&r, 0, &steps), LIT_OK);
    CHECK_EQ_INT(steps, 4);
    for (int k = 0; k < D_IN; k++) CHECK_MSG(isnan(lit_f32(r.md.w)[k]), "w[%d] = %g", k, lit_f32(r.md.w)[k]);
    /* A healthy run is not stopped by detect_anomaly. */
    run_free(&r);
    run_init(&r, BAD_NONE, -1);
    CHECK_EQ_INT(run_fit(&r, 1, &steps), LIT_OK);
    CHECK_EQ_INT(steps, 4);
    run_free(&r);
}

TEST(fit_goes_on_when_a_nan_never_reaches_loss_or_gradients) {
    /* As torch's anomaly mode: a NaN that where() masks out (its gradient
     * there is 0) stops nothing, although log recorded it. */
    run r;
    int64_t steps;
    run_init(&r, MASKED_NAN, 1);
    CHECK_EQ_INT(run_fit(&r, 1, &steps), LIT_OK);
    CHECK_EQ_INT(steps, 4);
    for (int k = 0; k < D_IN; k++) CHECK(isfinite(lit_f32(r.md.w)[k]));
    run_free(&r);
}

int main(void) {
    RUN(off_by_default_and_records_nothing);
    RUN(forward_names_the_first_op_that_made_nan);
    RUN(forward_inf_is_recorded_where_it_is_made_not_where_it_is_passed);
    RUN(forward_blames_an_input_that_came_in_nan);
    RUN(backward_names_the_op_whose_gradient_went_nonfinite);
    RUN(fit_names_log_in_forward_with_shape_and_step);
    RUN(fit_names_sqrt_in_backward_and_the_parameter);
    RUN(fit_names_a_nan_weight_before_the_step);
    RUN(fit_names_nan_in_the_batch);
    RUN(without_detect_anomaly_a_nan_weight_reaches_the_weights);
    RUN(fit_goes_on_when_a_nan_never_reaches_loss_or_gradients);
    return harness_summary();
}
