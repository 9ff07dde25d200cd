/*
 * lit_datasets_datamodule (Lightning's LightningDataModule.from_datasets): a
 * datamodule whose status-returning loader slots serve one loader per given
 * dataset, all made up front by lit_datasets_datamodule_new.
 */
#include <stdlib.h>

#include "litc/data.h"

#define STAGES 4 /* indexed by lit_stage: fit (train), validate, test, predict */

typedef struct {
    lit_datamodule base; /* first: the handle callers hold */
    lit_dataloader *dl[STAGES];
} datasets_dm;

lit_datasets_datamodule_params lit_datasets_datamodule_default_params(void) {
    return (lit_datasets_datamodule_params){.loader = lit_dataloader_default_params()};
}

static lit_status get_train(void *user, lit_dataloader **out) {
    *out = ((datasets_dm *)user)->dl[LIT_STAGE_FIT];
    return LIT_OK;
}

static lit_status get_eval(datasets_dm *d, lit_stage stage, lit_dataloader **out, int *n) {
    out[0] = d->dl[stage];
    *n = 1;
    return LIT_OK;
}
static lit_status get_val(void *user, lit_dataloader **out, int *n) {
    return get_eval(user, LIT_STAGE_VALIDATE, out, n);
}
static lit_status get_test(void *user, lit_dataloader **out, int *n) { return get_eval(user, LIT_STAGE_TEST, out, n); }
static lit_status get_predict(void *user, lit_dataloader **out, int *n) {
    return get_eval(user, LIT_STAGE_PREDICT, out, n);
}

void lit_datasets_datamodule_free(lit_datamodule *dm) {
    if (!dm) return;
    datasets_dm *d = (datasets_dm *)dm;
    LIT_ASSERT(dm->user == d, "lit_datasets_datamodule_free: this datamodule was not made by "
               "lit_datasets_datamodule_new");
    for (int k = 0; k < STAGES; k++) lit_dataloader_free(d->dl[k]);
    free(d);
}

lit_status lit_datasets_datamodule_new(lit_datamodule **out, const lit_datasets_datamodule_params *p) {
    LIT_ASSERT(out && p, "lit_datasets_datamodule_new: out and p must not be NULL");
    *out = NULL;
    const lit_dataset *given[STAGES] = {p->train, p->val, p->test, p->predict};
    if (!given[0] && !given[1] && !given[2] && !given[3])
        return lit_set_error(LIT_ERR_INVALID_ARG, "datasets datamodule: every dataset is NULL; pass at least one of "
                             "train, val, test and predict");
    datasets_dm *d = calloc(1, sizeof *d);
    if (!d) return lit_set_error(LIT_ERR_NOMEM, "datasets datamodule: out of memory");
    d->base = (lit_datamodule){.version = LIT_DATAMODULE_VERSION, .user = d};
    for (int k = 0; k < STAGES; k++) {
        if (!given[k]) continue;
        lit_dataloader_params lp = p->loader;
        lp.shuffle = k == LIT_STAGE_FIT ? p->loader.shuffle : 0;
        lit_status st = lit_dataloader_create(&d->dl[k], given[k], &lp);
        if (st < 0) {
            static const char *const what[STAGES] = {"train", "val", "test", "predict"};
            lit_set_error(st, "datasets datamodule: the %s loader: %s", what[k], lit_last_error());
            lit_datasets_datamodule_free(&d->base);
            return st;
        }
    }
    if (d->dl[LIT_STAGE_FIT]) d->base.get_train_dataloader = get_train;
    if (d->dl[LIT_STAGE_VALIDATE]) d->base.get_val_dataloaders = get_val;
    if (d->dl[LIT_STAGE_TEST]) d->base.get_test_dataloaders = get_test;
    if (d->dl[LIT_STAGE_PREDICT]) d->base.get_predict_dataloaders = get_predict;
    *out = &d->base;
    return LIT_OK;
}
