/*
 * examples/mlp-digits/registry.h — the digits model and data module in
 * litc's class registry (litc/registry.h), so a config file (and the litc
 * CLI) can name them:
 *
 *     model:
 *       class_path: DigitsModule          # or examples.mlp_digits.DigitsModule
 *       init_args: {hidden: [128, 64], lr: 0.003}
 *     data:
 *       class_path: DigitsDataModule      # or examples.mlp_digits.DigitsDataModule
 *       init_args: {batch_size: 64, num_workers: 2}
 *
 * The init arguments are the fields of digits_module_config and
 * digits_datamodule_config (module.h, datamodule.h) with their defaults.
 * A built model is a digits_module, a built data module a
 * digits_datamodule (heap-allocated; freed by the class's free slot:
 * lit_registry_free_model / lit_registry_free_datamodule).
 *
 * Intended usage:
 *
 *     LIT_TRY(lit_registry_register_builtins());
 *     LIT_TRY(digits_register());
 *     const lit_registry_class *cls; lit_registry_args *args;
 *     LIT_TRY(lit_registry_resolve(LIT_REG_MODEL, lit_config_get(cfg, "model"), &cls, &args));
 *     lit_module *m;
 *     LIT_TRY(lit_registry_build_model(cls, args, NULL, &m));
 *     ... lit_trainer_fit(tr, m, dm, NULL) ...
 *     lit_registry_free_model(cls, m); lit_registry_args_free(args);
 */
#ifndef MLP_DIGITS_REGISTRY_H
#define MLP_DIGITS_REGISTRY_H

#include "litc/registry.h"

#define DIGITS_MODULE_CLASS "DigitsModule"
#define DIGITS_DATAMODULE_CLASS "DigitsDataModule"

/* Register DigitsModule and DigitsDataModule. Idempotent (a second call
 * finds them and does nothing). Errors: lit_registry_register's. */
lit_status digits_register(void);

#endif
