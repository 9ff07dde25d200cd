/*
 * DataModule helpers: stage names, and the one place that calls a
 * datamodule's loader slots (the pointer form or the status form, data.h),
 * so the Trainer sees a status either way.
 */
#include <stddef.h>

#include "litc/data.h"

const char *lit_stage_name(lit_stage s) {
    switch (s) {
    case LIT_STAGE_FIT: return "fit";
    case LIT_STAGE_VALIDATE: return "validate";
    case LIT_STAGE_TEST: return "test";
    case LIT_STAGE_PREDICT: return "predict";
    }
    return "unknown";
}

/* The two slots of one stage's loaders. A version 1 datamodule predates the
 * status slots: its struct may end before them, so they are not read. */
typedef struct {
    const char *name; /* of the pointer slot, for messages */
    lit_dataloader *(*one)(void *user);
    int (*many)(void *user, lit_dataloader **out);
    lit_status (*get_one)(void *user, lit_dataloader **out);
    lit_status (*get_many)(void *user, lit_dataloader **out, int *n);
} loader_slots;

static loader_slots slots_of(const lit_datamodule *dm, lit_stage stage) {
    int v2 = dm->version >= 2;
    loader_slots s = {0};
    switch (stage) {
    case LIT_STAGE_FIT:
        s = (loader_slots){.name = "train_dataloader", .one = dm->train_dataloader};
        if (v2) s.get_one = dm->get_train_dataloader;
        break;
    case LIT_STAGE_VALIDATE:
        s = (loader_slots){.name = "val_dataloaders", .many = dm->val_dataloaders};
        if (v2) s.get_many = dm->get_val_dataloaders;
        break;
    case LIT_STAGE_TEST:
        s = (loader_slots){.name = "test_dataloaders", .many = dm->test_dataloaders};
        if (v2) s.get_many = dm->get_test_dataloaders;
        break;
    case LIT_STAGE_PREDICT:
        s = (loader_slots){.name = "predict_dataloaders", .many = dm->predict_dataloaders};
        if (v2) s.get_many = dm->get_predict_dataloaders;
        break;
    }
    return s;
}

int lit_datamodule_has_dataloaders(const lit_datamodule *dm, lit_stage stage) {
    LIT_ASSERT(dm, "lit_datamodule_has_dataloaders: datamodule is NULL");
    loader_slots s = slots_of(dm, stage);
    return s.one || s.many || s.get_one || s.get_many;
}

static lit_status both_forms_set(const char *name) {
    return lit_set_error(LIT_ERR_CONFIG, "the datamodule sets both %s and get_%s; set one of them (get_%s returns a "
                         "status)", name, name, name);
}

/* The last error of a pointer slot that returned NULL, or a hint. */
static const char *null_reason(void) {
    const char *m = lit_last_error();
    return m[0] ? m : "no error message was set";
}

lit_status lit_datamodule_train_dataloader(const lit_datamodule *dm, lit_dataloader **out) {
    LIT_ASSERT(dm && out, "lit_datamodule_train_dataloader: datamodule and out must not be NULL");
    loader_slots s = slots_of(dm, LIT_STAGE_FIT);
    *out = NULL;
    if (s.one && s.get_one) return both_forms_set(s.name);
    lit_clear_error();
    if (s.get_one) {
        lit_status st = s.get_one(dm->user, out);
        if (st < 0) {
            *out = NULL;
            return st; /* the datamodule's own status and message */
        }
        if (!*out)
            return lit_set_error(LIT_ERR_CONFIG, "fit needs a training dataloader: the datamodule's "
                                 "get_train_dataloader returned LIT_OK without a loader");
        return LIT_OK;
    }
    if (!s.one)
        return lit_set_error(LIT_ERR_CONFIG, "fit needs a training dataloader: the datamodule's train_dataloader "
                             "is not set");
    *out = s.one(dm->user);
    if (!*out)
        return lit_set_error(LIT_ERR_CONFIG, "fit needs a training dataloader: the datamodule's train_dataloader "
                             "returned NULL (%s)", null_reason());
    return LIT_OK;
}

lit_status lit_datamodule_eval_dataloaders(const lit_datamodule *dm, lit_stage stage, lit_dataloader **out, int *n) {
    LIT_ASSERT(dm && out && n, "lit_datamodule_eval_dataloaders: datamodule, out and n must not be NULL");
    LIT_ASSERT(stage != LIT_STAGE_FIT, "lit_datamodule_eval_dataloaders: for the training loader call "
               "lit_datamodule_train_dataloader");
    loader_slots s = slots_of(dm, stage);
    *n = 0;
    if (s.many && s.get_many) return both_forms_set(s.name);
    lit_clear_error();
    if (s.get_many) {
        lit_status st = s.get_many(dm->user, out, n);
        if (st < 0) {
            *n = 0;
            return st; /* the datamodule's own status and message */
        }
    } else if (s.many) {
        *n = s.many(dm->user, out);
    }
    if (*n < 0 || *n > LIT_MAX_DATALOADERS) {
        int got = *n;
        *n = 0;
        return lit_set_error(LIT_ERR_CONFIG, "%s%s returned %d loaders (0..%d)", s.get_many ? "get_" : "", s.name,
                             got, LIT_MAX_DATALOADERS);
    }
    for (int i = 0; i < *n; i++) {
        if (!out[i]) {
            *n = 0;
            return lit_set_error(LIT_ERR_CONFIG, "%s%s: loader %d is NULL (%s)", s.get_many ? "get_" : "", s.name, i,
                                 null_reason());
        }
    }
    return LIT_OK;
}
