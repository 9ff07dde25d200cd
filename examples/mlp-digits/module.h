/*
 * examples/mlp-digits/module.h — the digits MLP as a LightningModule
 * (litc/train.h): the same network, loss and optimizer as the plain loop in
 * train.c, written as steps and hooks for the Trainer.
 *
 *   model       Linear(64, h1) -> ReLU -> Linear(h1, h2) -> ReLU -> Linear(h2, 10)
 *               (lit_nn_mlp, PyTorch's default initialisation, parameters
 *               "mlp.layers.<i>.weight/bias")
 *   training    cross-entropy; logs "train/loss" (progress bar) and
 *               "train/acc", per step and as epoch means
 *   validation  logs "val/loss" and "val/acc" (epoch means, progress bar)
 *   test        logs "test/loss" and "test/acc" (epoch means), and counts
 *               m->test_correct of m->test_samples
 *   predict     *out = the class indices (B,) i64 (the Trainer keeps them:
 *               lit_trainer_prediction)
 *   optimizer   Adam(lr) with a cosine decay to 0, stepped every optimizer
 *               step (interval "step"), T_max = the Trainer's
 *               estimated_stepping_batches — as train.c decays per step
 *   hparams     lr, batch_size, hidden1, hidden2, seed (save_hyperparameters)
 *
 * Batches are the datamodule's (datamodule.h): "x" (B, 64) f32 in [0, 1] and
 * "y" (B,) i64 (no "y" in predict batches).
 *
 * Intended usage (main.c does this):
 *
 *     digits_module mod;
 *     digits_module_config mc = digits_module_default_config();
 *     mc.seed = 3;
 *     LIT_TRY(digits_module_init(&mod, &mc));
 *     LIT_TRY(lit_trainer_fit(tr, &mod.base, &dm.base, NULL));
 *     LIT_TRY(lit_trainer_test(tr, &mod.base, &dm.base));
 *     digits_module_free(&mod);
 *
 * T_max is lit_trainer_estimated_stepping_batches(), which loads the train
 * dataloader when configure_optimizers asks before fit did (as Lightning's
 * trainer.estimated_stepping_batches); an unbounded fit is LIT_ERR_CONFIG.
 *
 * Errors (lit_status, message in lit_last_error()): init LIT_ERR_CONFIG for a
 * bad config value (named), LIT_ERR_NOMEM; steps LIT_ERR_NUMERIC when the
 * training loss stops being finite (lower lr).
 */
#ifndef MLP_DIGITS_MODULE_H
#define MLP_DIGITS_MODULE_H

#include <stdint.h>

#include "litc/train.h"

typedef struct {
    int64_t hidden[2];  /* hidden widths, default {256, 128} */
    double lr;          /* Adam's peak learning rate, default 3e-3 */
    int64_t batch_size; /* recorded as a hyperparameter (the datamodule batches); default 32 */
    uint64_t seed;      /* initialisation; default 0 */
} digits_module_config;

typedef struct digits_module {
    lit_module base;            /* vtable, parameters, hparams; base.user == this */
    digits_module_config cfg;
    lit_param_store *store;     /* owned */
    lit_nn_mlp mlp;
    int64_t test_correct, test_samples; /* counted by the last test run */
} digits_module;

digits_module_config digits_module_default_config(void);

/* Check `cfg` (NULL = defaults), build and initialise the model, fill
 * m->base and save the hyperparameters. m must stay at its address
 * (base.user points to it). Errors: LIT_ERR_CONFIG, LIT_ERR_NOMEM. */
lit_status digits_module_init(digits_module *m, const digits_module_config *cfg);
/* Free the model and the hyperparameters. NULL is fine. */
void digits_module_free(digits_module *m);

/* Logits (B, 10) of x (B, 64), in the current arena. */
lit_tensor *digits_module_forward(const digits_module *m, lit_tensor *x);

/* FNV-1a over the bytes of every parameter, in registration order (for
 * bit-exact comparisons). */
uint64_t digits_module_weights_hash(const digits_module *m);

#endif
