/* The training loop of the digits MLP (see train.h). */
#include "train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"
#include "litc/litc.h"
#include "litc/nn.h"
#include "litc/optim.h"
#include "litc/sched.h"

mlp_digits_config mlp_digits_default_config(void) {
    return (mlp_digits_config){
        .data_path = NULL,
        .epochs = 20,
        .batch_size = 32,
        .lr = 3e-3,
        .seed = 0,
        .test_fraction = 0.2,
        .hidden = {256, 128},
        .threads = 0,
        .progress = NULL,
    };
}

static lit_status check_config(const mlp_digits_config *c) {
    if (c->epochs < 1) return lit_set_error(LIT_ERR_CONFIG, "epochs is %d; pass 1 or more", c->epochs);
    if (c->batch_size < 1) return lit_set_error(LIT_ERR_CONFIG, "batch size is %d; pass 1 or more", c->batch_size);
    if (!(c->lr > 0 && isfinite(c->lr)))
        return lit_set_error(LIT_ERR_CONFIG, "learning rate is %g; pass a positive number such as 3e-3", c->lr);
    if (!(c->test_fraction > 0 && c->test_fraction < 1))
        return lit_set_error(LIT_ERR_CONFIG, "test fraction is %g; pass a value in (0, 1) such as 0.2",
                             c->test_fraction);
    if (c->hidden[0] < 1 || c->hidden[1] < 1)
        return lit_set_error(LIT_ERR_CONFIG, "hidden sizes are %lld and %lld; pass positive sizes",
                             (long long)c->hidden[0], (long long)c->hidden[1]);
    if (c->threads < 0) return lit_set_error(LIT_ERR_CONFIG, "threads is %d; pass 0 (default) or more", c->threads);
    return LIT_OK;
}

/* Fisher-Yates with litc's counter-based RNG: the order depends only on the seed. */
static void shuffle(int64_t *idx, int64_t n, lit_rng *rng) {
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)lit_rng_below(rng, (uint64_t)i + 1);
        int64_t t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}

/* Rows idx[0..b) of the scaled features/labels as a (b, 64) batch in the step arena. */
static void make_batch(const float *x, const int64_t *y, const int64_t *idx, int64_t b, lit_tensor **bx,
                       lit_tensor **by) {
    *bx = lit_empty(LIT_F32, LIT_SHAPE(b, MLP_DIGITS_FEATURES));
    *by = lit_empty(LIT_I64, LIT_SHAPE(b));
    float *dx = lit_f32(*bx);
    int64_t *dy = lit_i64(*by);
    for (int64_t i = 0; i < b; i++) {
        memcpy(dx + i * MLP_DIGITS_FEATURES, x + idx[i] * MLP_DIGITS_FEATURES, MLP_DIGITS_FEATURES * sizeof *dx);
        dy[i] = y[idx[i]];
    }
}

/* Count correct predictions over n samples, in batches, without a graph. */
static int64_t evaluate(const lit_nn_mlp *m, const float *x, const int64_t *y, int64_t n, int64_t *idx,
                        lit_arena *step) {
    int prev = lit_set_grad_enabled(0);
    int64_t correct = 0;
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    for (int64_t s = 0; s < n; s += 256) {
        int64_t b = n - s < 256 ? n - s : 256;
        lit_tensor *bx, *by;
        make_batch(x, y, idx + s, b, &bx, &by);
        lit_tensor *pred = lit_argmax(lit_nn_mlp_forward(m, bx), 1, 0);
        const int64_t *p = lit_i64(pred), *t = lit_i64(by);
        for (int64_t i = 0; i < b; i++) correct += p[i] == t[i];
        lit_arena_reset(step);
    }
    lit_set_grad_enabled(prev);
    return correct;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

lit_status mlp_digits_train(const mlp_digits_config *c, mlp_digits_result *out) {
    memset(out, 0, sizeof *out);
    LIT_TRY(check_config(c));
    if (c->threads > 0) lit_set_num_threads(c->threads);

    mlp_digits_data d;
    LIT_TRY(mlp_digits_load(c->data_path ? c->data_path : MLP_DIGITS_DEFAULT_PATH, &d));

    lit_status st = LIT_OK;
    lit_param_store *ps = NULL;
    lit_optimizer *opt = NULL;
    lit_scheduler *sched = NULL;
    lit_arena *step = NULL, *prev_arena = NULL;
    int64_t n = d.n, n_test = (int64_t)llround((double)n * c->test_fraction);
    int64_t n_train = n - n_test;
    float *x = malloc((size_t)n * MLP_DIGITS_FEATURES * sizeof *x);
    int64_t *y = malloc((size_t)n * sizeof *y), *idx = malloc((size_t)n * sizeof *idx);
    if (!x || !y || !idx) {
        st = lit_set_error(LIT_ERR_NOMEM, "mlp-digits: out of memory for %lld samples", (long long)n);
        goto done;
    }
    if (n_train < 1 || n_test < 1) {
        st = lit_set_error(LIT_ERR_CONFIG, "test fraction %g leaves %lld training and %lld test samples of %lld",
                           c->test_fraction, (long long)n_train, (long long)n_test, (long long)n);
        goto done;
    }

    /* One generator, used in a fixed order: split, initialisation, shuffles. */
    lit_rng rng = lit_rng_new(c->seed);
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    shuffle(idx, n, &rng);
    /* Rows [0, n_train) train, the rest test; pixels 0..16 -> [0, 1]. */
    for (int64_t i = 0; i < n; i++) {
        for (int j = 0; j < MLP_DIGITS_FEATURES; j++)
            x[i * MLP_DIGITS_FEATURES + j] = d.x[idx[i] * MLP_DIGITS_FEATURES + j] / (float)MLP_DIGITS_PIXEL_MAX;
        y[i] = d.y[idx[i]];
    }
    const float *x_test = x + n_train * MLP_DIGITS_FEATURES;
    const int64_t *y_test = y + n_train;

    ps = lit_param_store_new("mlp-digits");
    if (!ps) { st = LIT_ERR_NOMEM; goto done; }
    lit_nn_mlp mlp;
    const int64_t sizes[4] = {MLP_DIGITS_FEATURES, c->hidden[0], c->hidden[1], MLP_DIGITS_CLASSES};
    if ((st = lit_nn_mlp_init(&mlp, ps, "mlp", 4, sizes, LIT_NN_ACT_RELU, 0.0, 1, &rng)) < 0) goto done;
    int n_params;
    lit_tensor **params = lit_param_store_trainable(ps, &n_params);

    lit_adam_params ap = lit_adam_default_params();
    ap.lr = c->lr;
    opt = lit_adam_new(&ap, params, n_params);
    if (!opt) { st = LIT_ERR_CONFIG; goto done; }
    /* Cosine decay to 0 over all steps: the last epochs average out Adam's
     * noise, so the final accuracy depends less on where an epoch ends. */
    lit_cosine_lr_params cp = lit_cosine_lr_default_params();
    cp.T_max = ((n_train + c->batch_size - 1) / c->batch_size) * c->epochs;
    sched = lit_cosine_lr_new(opt, &cp);
    if (!sched) { st = LIT_ERR_CONFIG; goto done; }

    /* Activations and the autograd tape of a step live here; reset after each step. */
    step = lit_arena_new("mlp-digits-step", 0);
    if (!step) { st = LIT_ERR_NOMEM; goto done; }
    prev_arena = lit_arena_use(step);

    double t0 = lit_time_now();
    for (int epoch = 1; epoch <= c->epochs; epoch++) {
        for (int64_t i = 0; i < n_train; i++) idx[i] = i;
        shuffle(idx, n_train, &rng);
        double loss_sum = 0;
        for (int64_t s = 0; s < n_train; s += c->batch_size) {
            int64_t b = n_train - s < c->batch_size ? n_train - s : c->batch_size;
            lit_tensor *bx, *by;
            make_batch(x, y, idx + s, b, &bx, &by);
            lit_tensor *loss = lit_cross_entropy(lit_nn_mlp_forward(&mlp, bx), by, NULL);
            lit_optimizer_zero_grad(opt, 1);
            lit_backward(loss);
            if ((st = lit_optimizer_step(opt)) < 0) goto done;
            if ((st = lit_scheduler_step(sched)) < 0) goto done;
            out->last_loss = (float)lit_item(loss);
            loss_sum += (double)out->last_loss * (double)b;
            out->steps++;
            lit_arena_reset(step);
            if (!isfinite(out->last_loss)) {
                st = lit_set_error(LIT_ERR_NUMERIC, "mlp-digits: loss became %g at epoch %d; lower --lr (now %g)",
                                   out->last_loss, epoch, c->lr);
                goto done;
            }
        }
        out->epochs = epoch;
        out->train_loss = loss_sum / (double)n_train;
        out->correct = evaluate(&mlp, x_test, y_test, n_test, idx, step);
        out->test_accuracy = (double)out->correct / (double)n_test;
        if (c->progress) {
            fprintf(c->progress, "epoch %3d/%d  train loss %.4f  test acc %.4f  %6.2fs\n", epoch, c->epochs,
                    out->train_loss, out->test_accuracy, lit_time_now() - t0);
            fflush(c->progress);
        }
    }
    out->seconds = lit_time_now() - t0;
    out->n_train = n_train;
    out->n_test = n_test;
    out->weights_hash = 14695981039346656037ull;
    for (int i = 0; i < n_params; i++)
        out->weights_hash = fnv1a(out->weights_hash, params[i]->data, (size_t)params[i]->numel * sizeof(float));
    out->step_arena_bytes = lit_arena_high_water(step);
    out->step_arena_mallocs = lit_arena_malloc_count(step);

done:
    if (prev_arena) lit_arena_use(prev_arena);
    lit_arena_free(step);
    lit_scheduler_free(sched);
    lit_optimizer_free(opt);
    lit_param_store_free(ps);
    free(x);
    free(y);
    free(idx);
    mlp_digits_free(&d);
    return st;
}
