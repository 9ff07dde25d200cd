/*
 * litc/finetuning.h — Lightning's BackboneFinetuning: a backbone frozen
 * for the first epochs, then trained with its own, growing learning rate.
 *
 * Intended usage:
 *
 *     lit_backbone_finetuning_params bp = lit_backbone_finetuning_default_params();
 *     bp.backbone = "backbone"; bp.unfreeze_backbone_at_epoch = 5;
 *     lit_callback ft;
 *     LIT_TRY(lit_backbone_finetuning_callback(&ft, &bp));
 *     LIT_TRY(lit_trainer_add_callback(tr, &ft));
 *
 * Conventions of every built-in callback (constructor, ownership,
 * accessors, free): callbacks.h.
 */
#ifndef LITC_FINETUNING_H
#define LITC_FINETUNING_H

#include "callback.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- backbone finetuning */

#define LIT_BACKBONE_FINETUNING_NAME "BackboneFinetuning"

typedef struct {
    const char *backbone;               /* required: the parameter prefix of the backbone ("backbone"
                                         * covers "backbone.*", see lit_name_has_prefix); copied */
    int64_t unfreeze_backbone_at_epoch; /* default 10 */
    /* lambda_func(epoch): factor of the backbone lr per epoch after the
     * unfreeze; NULL = Lightning's default `multiplicative` (2.0). */
    double (*lambda_func)(int64_t epoch, void *user);
    void *lambda_user;
    double backbone_initial_ratio_lr;   /* default 0.1 */
    double backbone_initial_lr;         /* NAN (default) = None: current lr * backbone_initial_ratio_lr */
    int should_align;                   /* default 1: never above the model's (group 0's) lr */
    int verbose;                        /* default 0: 1 logs both lrs (INFO) at each change */
    int rounding;                       /* default 12: digits of the verbose lrs */
} lit_backbone_finetuning_params;

lit_backbone_finetuning_params lit_backbone_finetuning_default_params(void);

/*
 * Lightning's BackboneFinetuning (BaseFinetuning's freeze / unfreeze and
 * param-group bookkeeping) with the backbone given by a name prefix.
 *   - setup: lit_param_store_freeze(backbone) (before configure_optimizers,
 *     which must give the optimizer only the trainable parameters:
 *     lit_param_store_trainable);
 *   - on_train_epoch_start, for every optimizer: at epoch
 *     unfreeze_backbone_at_epoch, with current_lr = group 0's lr, the
 *     backbone's lr is backbone_initial_lr or current_lr *
 *     backbone_initial_ratio_lr; its parameters are unfrozen and added as a
 *     new group (the optimizer's default hyperparameters, that lr; any
 *     already in a group are skipped with Lightning's warning); at each
 *     later epoch the last group's lr becomes lambda_func(epoch + 1) *
 *     previous lr, or current_lr when should_align and it would exceed it.
 *   train_bn: there is no BatchNorm in litc; nothing to do.
 * The trainer's gradient clipping covers the optimizer's current
 * parameters, so a group added here is clipped too (as in Lightning).
 *
 * Checkpoints (state key "BackboneFinetuning"): previous_backbone_lr (null
 * = None) and internal_optimizer_metadata ({opt: {group: {lr, params:
 * {i: name}}}}). On resume, on_fit_start adds the groups the checkpoint
 * has beyond those configure_optimizers made (and unfreezes their
 * parameters: Lightning leaves them frozen), before the Trainer restores
 * the optimizer state into them.
 *
 * Errors: LIT_ERR_CONFIG at construction for a NULL/empty backbone or a
 * NaN ratio; at setup LIT_ERR_CONFIG when no parameter lies under the
 * prefix (Lightning: "The LightningModule should have a nn.Module
 * `backbone` attribute"), or a module without a store; at resume
 * LIT_ERR_CONFIG for a saved parameter name the module does not have.
 */
lit_status lit_backbone_finetuning_callback(lit_callback *cb, const lit_backbone_finetuning_params *p);

/* previous_backbone_lr: NAN until the unfreeze. */
double lit_backbone_finetuning_backbone_lr(const lit_callback *cb);

#ifdef __cplusplus
}
#endif
#endif
