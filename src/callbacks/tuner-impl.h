/*
 * src/callbacks/tuner-impl.h — what the two tuner functions (lit_lr_find in
 * lr-finder.c, lit_batch_size_find in batch-size-finder.c) share: the
 * module snapshot that stands in for Lightning's temporary checkpoint, and
 * the trainer params of a tuner's own fit. Defined in tuner-snapshot.c.
 *
 * Private to src/callbacks.
 */
#ifndef LITC_CALLBACKS_TUNER_IMPL_H
#define LITC_CALLBACKS_TUNER_IMPL_H

#include "litc/callbacks.h"

/* What Lightning's temporary checkpoint restores for the tuner: every
 * state-dict entry's bytes, plus what litc keeps on the tensors (the
 * requires_grad flags), the train/eval flag and the global random stream. */
typedef struct {
    lit_param_store *ps;
    int n;
    void **data;
    int *requires_grad;
    int training;
    lit_rng rng;
    lit_trainer *trainer;
} lit__module_snapshot;

lit_status lit__module_snapshot_take(lit__module_snapshot *s, lit_module *m);
void lit__module_snapshot_restore(lit__module_snapshot *s, lit_module *m);
void lit__module_snapshot_free(lit__module_snapshot *s);
/* Params for a tuner's own fit: no checkpoints, bar, summary or sanity check. */
lit_trainer_params lit__tuner_params(const lit_trainer_params *base);

#endif
