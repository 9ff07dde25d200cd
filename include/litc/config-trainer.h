/*
 * litc/config-trainer.h — the `trainer:` section of a config (config.h)
 * bound into lit_trainer_params (trainer.h), and the LIT_TRAINER_<NAME>
 * environment defaults as config values. Part of the command-line layer
 * (src/cli/): the YAML file format below it knows nothing of the Trainer.
 *
 * Intended usage (the whole sequence is in config.h's overview):
 *
 *     LIT_TRY(lit_config_apply_trainer_env(cfg));       // LIT_TRAINER_MAX_EPOCHS=5 ...
 *     ... overrides, lit_config_resolve(cfg) ...
 *     lit_trainer_params p = lit_trainer_default_params();
 *     LIT_TRY(lit_config_bind_trainer(lit_config_get(cfg, "trainer"), &p));
 */
#ifndef LITC_CONFIG_TRAINER_H
#define LITC_CONFIG_TRAINER_H

#include "config.h"
#include "train.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Fill *p from a `trainer:` map, key by key (keys absent keep p's values).
 * Keys are Lightning 2.x's Trainer arguments, with Lightning's forms:
 *   max_epochs, min_epochs, max_steps, min_steps, num_sanity_val_steps:
 *       int or null (null = None = -1)
 *   max_time: null, seconds (int or float), "DD:HH:MM:SS", or a map of
 *       days/hours/minutes/seconds (Lightning's timedelta dict)
 *   limit_{train,val,test,predict}_batches: int >= 0 = a count, float in
 *       [0.0, 1.0] = a fraction (litc's *_batches / *_fraction pair), null = all
 *   val_check_interval: int >= 1 = every n batches (val_check_batches),
 *       float in (0.0, 1.0] = fraction of the epoch, null = 1.0
 *   overfit_batches: int >= 0 (a float is accepted only as 0.0: litc
 *       overfits on a count of batches; other floats are LIT_ERR_UNSUPPORTED)
 *   fast_dev_run: bool or int >= 0
 *   check_val_every_n_epoch, accumulate_grad_batches: int >= 1
 *   log_every_n_steps, reload_dataloaders_every_n_epochs: int >= 0
 *   gradient_clip_val: number >= 0 or null (0 = off)
 *   gradient_clip_algorithm: "norm", "value" or null (norm)
 *   enable_progress_bar, enable_model_summary, enable_checkpointing,
 *   detect_anomaly, inference_mode: bool (null = Lightning's default)
 *   deterministic: bool, "warn" (= true) or null
 *   default_root_dir: string or null (p->default_root_dir then points into
 *       the config: keep the config alive while p is used)
 *   logger: bool or null binds p->logger; a map or list of
 *       {class_path, init_args} is left for the caller (p->logger untouched)
 *   callbacks: always left for the caller
 *   seed, handle_signals: litc's own (int >= -1 / bool)
 *   accelerator (auto, cpu), strategy (auto), devices (auto, 1, "1", -1),
 *   num_nodes (1), precision (null, 32, "32", "32-true"), sync_batchnorm
 *   (false), benchmark, use_distributed_sampler (bool, no effect), profiler
 *   and plugins (null), barebones (false): accepted with the values a
 *   single CPU process has; other values are LIT_ERR_UNSUPPORTED.
 * Then lit_trainer_params_validate runs on the result (its message gets
 * the trainer map's position as prefix).
 * Errors (LIT_ERR_CONFIG, *p unchanged): unknown keys (with a suggestion),
 * a value of the wrong type ("expected ..."), out of range ("trainer.
 * max_epochs: must be in -1..9007199254740991, got -5": every count stops
 * at 2^53-1, what a checkpoint holds); LIT_ERR_UNSUPPORTED as above. A
 * NULL or null trainer_map leaves *p as it is and returns LIT_OK; a
 * trainer that is not a map is LIT_ERR_CONFIG.
 */
lit_status lit_config_bind_trainer(const lit_config_node *trainer_map, lit_trainer_params *p);

/* The keys lit_config_bind_trainer accepts (including callbacks, logger
 * and the accepted-but-fixed ones), in a stable order; *n gets the count. */
const char *const *lit_config_trainer_keys(int *n);

/*
 * For every key K of lit_config_bind_trainer that names a value (not
 * callbacks), set trainer.K from the environment variable LIT_TRAINER_<K
 * in upper case> when it is set and not empty (an empty variable is ignored,
 * as Lightning ignores an empty PL_TRAINER_*), unless trainer.K was set from the command
 * line. Also litc's own LIT_TRAINER_LIMIT_TRAIN_FRACTION (and _VAL_, _TEST_,
 * _PREDICT_) and LIT_TRAINER_VAL_CHECK_BATCHES, the names
 * lit_trainer_params_from_env reads, map onto the Lightning key (a
 * Lightning-named variable wins over them). Values are typed like
 * override values; for booleans 1/0, yes/no, on/off are accepted too (as
 * lit_trainer_params_from_env); default_root_dir is taken verbatim.
 * Position: "<env LIT_TRAINER_K>:1:1". Errors: LIT_ERR_CONFIG (trainer is
 * not a map), LIT_ERR_NOMEM.
 */
lit_status lit_config_apply_trainer_env(lit_config *cfg);

#ifdef __cplusplus
}
#endif
#endif
