/*
 * tests/restore-model.h — the tiny LightningModule the restore tests and
 * fuzz/fuzz-restore.c resume: Linear(in -> 1) (the includer initialises
 * `fc`), MSE loss logged as train/loss per step and epoch, Adam at lr 0.05
 * and a StepLR (step_size 2) stepped every optimizer step — so a checkpoint
 * of it carries weights, optimizer and scheduler state, and logged results.
 * Include it once, after litc/litc.h.
 */
#ifndef LITC_TESTS_RESTORE_MODEL_H
#define LITC_TESTS_RESTORE_MODEL_H

typedef struct {
    lit_param_store *ps;
    lit_nn_linear fc;
} model;

static lit_status train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    model *md = m->user;
    *loss = lit_mse_loss(lit_nn_linear_forward(&md->fc, lit_batch_get(b, "x")), lit_batch_get(b, "y"),
                         LIT_REDUCTION_MEAN);
    return lit_module_log(m, "train/loss", *loss, .on_step = 1, .on_epoch = 1);
}

static lit_status configure(lit_module *m, lit_optim_config *cfg) {
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    lit_adam_params ap = lit_adam_default_params();
    ap.lr = 0.05;
    lit_optimizer *opt = lit_adam_new(&ap, p, n);
    LIT_TRY(lit_optim_config_add(cfg, opt));
    lit_step_lr_params sp = lit_step_lr_default_params();
    sp.step_size = 2;
    lit_lr_scheduler_config sc = { .scheduler = lit_step_lr_new(opt, &sp), .interval = LIT_INTERVAL_STEP };
    return lit_optim_config_add_scheduler(cfg, &sc);
}

static const lit_module_vtable VT = { .version = LIT_MODULE_VERSION, .training_step = train_step,
                                      .configure_optimizers = configure };

#endif
