/* The digits MLP as a LightningModule (see module.h). File-scope names start
 * with digits_module_ so the file can share a translation unit with train.c
 * and datamodule.c (the tests compile them together). */
#include "module.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "digits.h"
#include "litc/litc.h"

/* The initialisation reads the seed's Philox stream from here: far past the
 * blocks the split and the per-epoch shuffles use (epoch e starts at
 * e * 2^40), so the weights are not drawn from the same numbers. */
#define DIGITS_MODULE_INIT_COUNTER ((uint64_t)1 << 62)

digits_module_config digits_module_default_config(void) {
    return (digits_module_config){
        .hidden = {256, 128},
        .lr = 3e-3,
        .batch_size = 32,
        .seed = 0,
    };
}

static lit_status digits_module_check_config(const digits_module_config *c) {
    if (c->hidden[0] < 1 || c->hidden[1] < 1)
        return lit_set_error(LIT_ERR_CONFIG, "digits module: hidden sizes are %lld and %lld; pass positive sizes",
                             (long long)c->hidden[0], (long long)c->hidden[1]);
    if (!(c->lr > 0 && isfinite(c->lr)))
        return lit_set_error(LIT_ERR_CONFIG,
                             "digits module: learning rate is %g; pass a positive number such as 3e-3", c->lr);
    if (c->batch_size < 1)
        return lit_set_error(LIT_ERR_CONFIG, "digits module: batch size is %lld; pass 1 or more",
                             (long long)c->batch_size);
    return LIT_OK;
}

lit_tensor *digits_module_forward(const digits_module *m, lit_tensor *x) { return lit_nn_mlp_forward(&m->mlp, x); }

/* Samples of the batch whose largest logit is their label. */
static int64_t digits_module_correct(lit_tensor *logits, lit_tensor *y) {
    lit_tensor *pred = lit_argmax(logits, 1, 0);
    const int64_t *p = lit_i64(pred), *t = lit_i64(y);
    int64_t correct = 0;
    for (int64_t i = 0; i < y->numel; i++) correct += p[i] == t[i];
    return correct;
}

/* ---------------------------------------------------------------- steps */

static lit_status digits_module_training_step(lit_module *lm, lit_batch *b, int64_t batch_idx, lit_tensor **loss) {
    (void)batch_idx;
    digits_module *m = lm->user;
    lit_tensor *y = lit_batch_get(b, "y");
    lit_tensor *logits = digits_module_forward(m, lit_batch_get(b, "x"));
    *loss = lit_cross_entropy(logits, y, NULL);
    double value = lit_item(*loss);
    if (!isfinite(value)) {
        /* The optimizer's lr, not cfg.lr: a config's optimizer (or a
         * scheduler) may have set another one. */
        int n_opt = 0;
        lit_optimizer **opts = lit_module_optimizers(lm, &n_opt);
        double lr = n_opt > 0 ? lit_optimizer_get_lr(opts[0], 0) : m->cfg.lr;
        return lit_set_error(LIT_ERR_NUMERIC, "digits module: loss became %g at epoch %lld; lower the learning rate "
                             "(now %g)", value, (long long)lit_module_current_epoch(lm), lr);
    }
    double acc = (double)digits_module_correct(logits, y) / (double)b->size;
    /* Per step for the bar, and the epoch means (as train.c's "train loss"). */
    LIT_TRY(lit_module_log(lm, "train/loss", *loss, .prog_bar = 1, .on_epoch = 1));
    return lit_module_log_scalar(lm, "train/acc", acc, .on_epoch = 1);
}

/* Validation and test: log the loss of `logits` and the accuracy (`correct`
 * of the batch) under `loss_key` / `acc_key`; the Trainer reduces them into
 * batch-size weighted epoch means. */
static lit_status digits_module_eval_step(lit_module *lm, lit_batch *b, lit_tensor *logits, int64_t correct,
                                          const char *loss_key, const char *acc_key, lit_tensor **out) {
    lit_tensor *loss = lit_cross_entropy(logits, lit_batch_get(b, "y"), NULL);
    double acc = (double)correct / (double)b->size;
    LIT_TRY(lit_module_log(lm, loss_key, loss, .prog_bar = 1));
    LIT_TRY(lit_module_log_scalar(lm, acc_key, acc, .prog_bar = 1));
    *out = loss;
    return LIT_OK;
}

static lit_status digits_module_validation_step(lit_module *lm, lit_batch *b, int64_t batch_idx, int dl_idx,
                                                lit_tensor **out) {
    (void)batch_idx;
    (void)dl_idx;
    lit_tensor *y = lit_batch_get(b, "y");
    lit_tensor *logits = digits_module_forward(lm->user, lit_batch_get(b, "x"));
    return digits_module_eval_step(lm, b, logits, digits_module_correct(logits, y), "val/loss", "val/acc", out);
}

static lit_status digits_module_on_test_epoch_start(lit_module *lm) {
    digits_module *m = lm->user;
    m->test_correct = m->test_samples = 0;
    return LIT_OK;
}

/* Also counts the right answers, for main's "test accuracy: a (k/n)" line. */
static lit_status digits_module_test_step(lit_module *lm, lit_batch *b, int64_t batch_idx, int dl_idx,
                                          lit_tensor **out) {
    (void)batch_idx;
    (void)dl_idx;
    digits_module *m = lm->user;
    lit_tensor *y = lit_batch_get(b, "y");
    lit_tensor *logits = digits_module_forward(m, lit_batch_get(b, "x"));
    int64_t correct = digits_module_correct(logits, y);
    m->test_correct += correct;
    m->test_samples += b->size;
    return digits_module_eval_step(lm, b, logits, correct, "test/loss", "test/acc", out);
}

static lit_status digits_module_predict_step(lit_module *lm, lit_batch *b, int64_t batch_idx, int dl_idx,
                                             lit_tensor **out) {
    (void)batch_idx;
    (void)dl_idx;
    *out = lit_argmax(digits_module_forward(lm->user, lit_batch_get(b, "x")), 1, 0);
    return LIT_OK;
}

/* ---------------------------------------------------------------- optimizers */

static lit_status digits_module_configure_optimizers(lit_module *lm, lit_optim_config *cfg) {
    digits_module *m = lm->user;
    int n;
    lit_tensor **params = lit_param_store_trainable(lm->params, &n);
    lit_adam_params ap = lit_adam_default_params();
    ap.lr = m->cfg.lr;
    lit_optimizer *opt = lit_adam_new(&ap, params, n);
    LIT_TRY(lit_optim_config_add(cfg, opt));

    /* As Lightning users do: the Trainer loads the train loader to count. */
    int64_t steps = lit_trainer_estimated_stepping_batches(lm->trainer);
    if (steps < 1 || steps == INT64_MAX)
        return lit_set_error(LIT_ERR_CONFIG, "digits module: the cosine schedule needs the number of optimizer steps "
                             "(got %lld); set max_epochs or max_steps", (long long)steps);
    /* Cosine decay to 0 over every step of the fit (train.c's schedule): the
     * last epochs average out Adam's noise. */
    lit_cosine_lr_params cp = lit_cosine_lr_default_params();
    cp.T_max = steps;
    lit_lr_scheduler_config sc = {.scheduler = lit_cosine_lr_new(opt, &cp), .interval = LIT_INTERVAL_STEP};
    return lit_optim_config_add_scheduler(cfg, &sc);
}

/* ---------------------------------------------------------------- lifecycle */

static const lit_module_vtable digits_module_vtable = {
    .version = LIT_MODULE_VERSION,
    .training_step = digits_module_training_step,
    .validation_step = digits_module_validation_step,
    .test_step = digits_module_test_step,
    .predict_step = digits_module_predict_step,
    .configure_optimizers = digits_module_configure_optimizers,
    .on_test_epoch_start = digits_module_on_test_epoch_start,
};

static lit_status digits_module_save_hparams(digits_module *m) {
    const lit_hparam_value hp[] = {
        LIT_HP_DOUBLE("lr", m->cfg.lr),
        LIT_HP_INT("batch_size", m->cfg.batch_size),
        LIT_HP_INT("hidden1", m->cfg.hidden[0]),
        LIT_HP_INT("hidden2", m->cfg.hidden[1]),
        LIT_HP_INT("seed", (int64_t)m->cfg.seed),
    };
    return lit_module_save_hyperparameters(&m->base, (int)(sizeof hp / sizeof hp[0]), hp, NULL);
}

lit_status digits_module_init(digits_module *m, const digits_module_config *cfg) {
    LIT_ASSERT(m != NULL, "digits_module_init: m is NULL; pass a digits_module to fill");
    memset(m, 0, sizeof *m);
    m->cfg = cfg ? *cfg : digits_module_default_config();
    LIT_TRY(digits_module_check_config(&m->cfg));
    m->store = lit_param_store_new("mlp-digits");
    if (!m->store) return lit_set_error(LIT_ERR_NOMEM, "digits module: out of memory for the parameter store");
    lit_rng rng = lit_rng_new(m->cfg.seed);
    rng.counter = DIGITS_MODULE_INIT_COUNTER;
    const int64_t sizes[4] = {MLP_DIGITS_FEATURES, m->cfg.hidden[0], m->cfg.hidden[1], MLP_DIGITS_CLASSES};
    /* Out of memory names the layer: "out of memory allocating parameter
     * 'mlp.layers.0.weight' (100000, 64) f32 tensor (24.4 MiB) ...". */
    lit_status st = lit_nn_mlp_init(&m->mlp, m->store, "mlp", 4, sizes, LIT_NN_ACT_RELU, 0.0, 1, &rng);
    if (st < 0) {
        lit_param_store_free(m->store);
        memset(m, 0, sizeof *m);
        return st;
    }
    lit_module_init(&m->base, &digits_module_vtable, m->store, m);
    st = digits_module_save_hparams(m);
    if (st < 0) digits_module_free(m);
    return st;
}

void digits_module_free(digits_module *m) {
    if (!m) return;
    lit_module_deinit(&m->base);
    lit_param_store_free(m->store);
    memset(m, 0, sizeof *m);
}

uint64_t digits_module_weights_hash(const digits_module *m) {
    uint64_t h = 14695981039346656037ull;
    for (int i = 0; i < lit_param_store_len(m->store); i++) {
        const lit_tensor *t = lit_param_store_tensor(m->store, i);
        const unsigned char *p = t->data;
        for (size_t k = 0; k < (size_t)t->numel * sizeof(float); k++) h = (h ^ p[k]) * 1099511628211ull;
    }
    return h;
}
