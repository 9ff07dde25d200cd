/* The digits DataModule (see datamodule.h). Every file-scope name here starts
 * with digits_dm_ / digits_datamodule_ so the file can be compiled into the
 * same translation unit as train.c (tests do) without clashes. */
#include "datamodule.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

digits_datamodule_config digits_datamodule_default_config(void) {
    return (digits_datamodule_config){
        .data_path = NULL,
        .batch_size = 32,
        .val_fraction = 0.1,
        .test_fraction = 0.2,
        .seed = 0,
        .num_workers = 0,
    };
}

static lit_status digits_dm_check_config(const digits_datamodule_config *c) {
    if (c->batch_size < 1)
        return lit_set_error(LIT_ERR_CONFIG, "digits datamodule: batch size is %lld; pass 1 or more",
                             (long long)c->batch_size);
    if (!(c->test_fraction > 0 && c->test_fraction < 1))
        return lit_set_error(LIT_ERR_CONFIG,
                             "digits datamodule: test fraction is %g; pass a value in (0, 1) such as 0.2",
                             c->test_fraction);
    if (!(c->val_fraction >= 0 && c->val_fraction < 1))
        return lit_set_error(LIT_ERR_CONFIG,
                             "digits datamodule: val fraction is %g; pass a value in [0, 1) such as 0.1 "
                             "(0 = no validation)",
                             c->val_fraction);
    if (c->num_workers < 0)
        return lit_set_error(LIT_ERR_CONFIG, "digits datamodule: num_workers is %d; pass 0 or more",
                             c->num_workers);
    const char *path = c->data_path ? c->data_path : MLP_DIGITS_DEFAULT_PATH;
    if (strlen(path) >= DIGITS_DM_PATH_MAX)
        return lit_set_error(LIT_ERR_CONFIG, "digits datamodule: data path is %zu bytes long; at most %d fit",
                             strlen(path), DIGITS_DM_PATH_MAX - 1);
    return LIT_OK;
}

/* ---------------------------------------------------------------- datasets */

static int64_t digits_dm_len(void *user) { return ((const digits_split *)user)->n; }

/* Reads only what setup() wrote: safe on any number of worker threads. */
static lit_status digits_dm_get(void *user, int64_t index, lit_sample *out, lit_arena *arena) {
    const digits_split *s = user;
    if (index < 0 || index >= s->n)
        return lit_set_error(LIT_ERR_INVALID_ARG, "digits: index %lld out of range [0, %lld)", (long long)index,
                             (long long)s->n);
    int64_t row = s->rows[index];
    lit_tensor *x = lit_tensor_new(arena, LIT_F32, LIT_SHAPE(MLP_DIGITS_FEATURES));
    if (!x) return LIT_ERR_NOMEM;
    memcpy(lit_f32(x), s->dm->data.x + row * MLP_DIGITS_FEATURES, MLP_DIGITS_FEATURES * sizeof(float));
    memset(out, 0, sizeof *out);
    out->fields[out->n++] = (lit_field){.name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x};
    if (s->with_labels)
        out->fields[out->n++] = (lit_field){.name = "y", .kind = LIT_FIELD_INT, .i = s->dm->data.y[row]};
    out->index = index;
    return LIT_OK;
}

static lit_dataset digits_dm_split_dataset(digits_split *s) {
    return (lit_dataset){.version = LIT_DATASET_VERSION, .len = digits_dm_len, .get = digits_dm_get, .user = s};
}

lit_dataset digits_datamodule_dataset(digits_datamodule *dm, lit_stage split) {
    LIT_ASSERT(dm != NULL && dm->is_setup,
               "digits_datamodule_dataset: the datamodule is not set up; call its setup() first");
    switch (split) {
    case LIT_STAGE_FIT: return digits_dm_split_dataset(&dm->train);
    case LIT_STAGE_VALIDATE: return digits_dm_split_dataset(&dm->val);
    case LIT_STAGE_TEST: return digits_dm_split_dataset(&dm->test);
    case LIT_STAGE_PREDICT: return digits_dm_split_dataset(&dm->predict);
    }
    LIT_ASSERT(0, "digits_datamodule_dataset: unknown split %d; pass a lit_stage", (int)split);
    return (lit_dataset){0};
}

/* ---------------------------------------------------------------- hooks */

static lit_status digits_dm_prepare_data(void *user) {
    digits_datamodule *dm = user;
    FILE *f;
    /* Only a regular file: opening a FIFO must not block, nor /dev/zero stream. */
    if (lit_file_open_read(&f, dm->path, "digits data", NULL) < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", lit_last_error());
        return lit_set_error(LIT_ERR_IO,
                             "%s. The digits data ships with litc as examples/mlp-digits/data/digits.csv; "
                             "pass its location with --data PATH",
                             why);
    }
    fclose(f);
    return LIT_OK;
}

static lit_status digits_dm_teardown(void *user, lit_stage stage) {
    (void)stage;
    digits_datamodule *dm = user;
    lit_dataloader_free(dm->train_dl);
    lit_dataloader_free(dm->val_dl);
    lit_dataloader_free(dm->test_dl);
    lit_dataloader_free(dm->predict_dl);
    dm->train_dl = dm->val_dl = dm->test_dl = dm->predict_dl = NULL;
    mlp_digits_free(&dm->data);
    free(dm->order);
    dm->order = NULL;
    dm->n_train = dm->n_val = dm->n_test = 0;
    memset(&dm->train, 0, sizeof dm->train);
    memset(&dm->val, 0, sizeof dm->val);
    memset(&dm->test, 0, sizeof dm->test);
    memset(&dm->predict, 0, sizeof dm->predict);
    dm->is_setup = 0;
    return LIT_OK;
}

/* Every stage gets all splits: the CSV is small and read once. */
static lit_status digits_dm_setup(void *user, lit_stage stage) {
    (void)stage;
    digits_datamodule *dm = user;
    if (dm->is_setup) return LIT_OK;
    LIT_TRY(mlp_digits_load(dm->path, &dm->data));
    int64_t n = dm->data.n;
    int64_t n_test = (int64_t)llround((double)n * dm->cfg.test_fraction); /* as train.c */
    int64_t n_fit = n - n_test;
    int64_t n_val = (int64_t)llround((double)n_fit * dm->cfg.val_fraction);
    int64_t n_train = n_fit - n_val;
    if (n_test < 1 || n_train < 1 || (dm->cfg.val_fraction > 0 && n_val < 1)) {
        lit_status st = lit_set_error(LIT_ERR_CONFIG,
                                      "digits datamodule: test fraction %g and val fraction %g split %lld samples "
                                      "into %lld train, %lld val and %lld test; every split needs a sample",
                                      dm->cfg.test_fraction, dm->cfg.val_fraction, (long long)n, (long long)n_train,
                                      (long long)n_val, (long long)n_test);
        mlp_digits_free(&dm->data);
        return st;
    }
    dm->order = malloc((size_t)n * sizeof *dm->order);
    if (!dm->order) {
        mlp_digits_free(&dm->data);
        return lit_set_error(LIT_ERR_NOMEM, "digits datamodule: out of memory for %lld samples", (long long)n);
    }
    /* Philox(seed) from counter 0, Durstenfeld: train.c's split permutation. */
    lit_sampler_order(n, 1, dm->cfg.seed, 0, dm->order);
    /* Pixels 0..16 -> [0, 1], the same float division as train.c. */
    for (int64_t i = 0; i < n * MLP_DIGITS_FEATURES; i++) dm->data.x[i] /= (float)MLP_DIGITS_PIXEL_MAX;

    dm->n_train = n_train;
    dm->n_val = n_val;
    dm->n_test = n_test;
    dm->train = (digits_split){.dm = dm, .rows = dm->order, .n = n_train, .with_labels = 1};
    dm->val = (digits_split){.dm = dm, .rows = dm->order + n_train, .n = n_val, .with_labels = 1};
    dm->test = (digits_split){.dm = dm, .rows = dm->order + n_fit, .n = n_test, .with_labels = 1};
    dm->predict = (digits_split){.dm = dm, .rows = dm->order + n_fit, .n = n_test, .with_labels = 0};
    dm->is_setup = 1;
    return LIT_OK;
}

/* The loader of `s`, made on first use and cached in *slot. */
static lit_dataloader *digits_dm_loader(digits_datamodule *dm, const char *what, digits_split *s, int shuffle,
                                        lit_dataloader **slot) {
    if (*slot) return *slot;
    if (!dm->is_setup) {
        lit_set_error(LIT_ERR_STATE, "digits datamodule: %s requested before setup(); call setup first", what);
        return NULL;
    }
    lit_dataloader_params p = lit_dataloader_default_params();
    p.batch_size = dm->cfg.batch_size;
    p.shuffle = shuffle;
    p.seed = dm->cfg.seed;
    p.num_workers = dm->cfg.num_workers;
    lit_dataset ds = digits_dm_split_dataset(s);
    *slot = lit_dataloader_new(&ds, &p);
    return *slot;
}

static lit_dataloader *digits_dm_train_dataloader(void *user) {
    digits_datamodule *dm = user;
    return digits_dm_loader(dm, "train_dataloader", &dm->train, 1, &dm->train_dl);
}

/* One loader, none when the split is empty (val_fraction 0), -1 on error. */
static int digits_dm_one(digits_datamodule *dm, const char *what, digits_split *s, lit_dataloader **slot,
                         lit_dataloader **out) {
    if (dm->is_setup && s->n == 0) return 0;
    lit_dataloader *dl = digits_dm_loader(dm, what, s, 0, slot);
    if (!dl) return -1;
    out[0] = dl;
    return 1;
}

static int digits_dm_val_dataloaders(void *user, lit_dataloader **out) {
    digits_datamodule *dm = user;
    return digits_dm_one(dm, "val_dataloaders", &dm->val, &dm->val_dl, out);
}

static int digits_dm_test_dataloaders(void *user, lit_dataloader **out) {
    digits_datamodule *dm = user;
    return digits_dm_one(dm, "test_dataloaders", &dm->test, &dm->test_dl, out);
}

static int digits_dm_predict_dataloaders(void *user, lit_dataloader **out) {
    digits_datamodule *dm = user;
    return digits_dm_one(dm, "predict_dataloaders", &dm->predict, &dm->predict_dl, out);
}

/* ---------------------------------------------------------------- lifecycle */

lit_status digits_datamodule_init(digits_datamodule *dm, const digits_datamodule_config *cfg) {
    LIT_ASSERT(dm != NULL, "digits_datamodule_init: dm is NULL; pass a digits_datamodule to fill");
    memset(dm, 0, sizeof *dm);
    digits_datamodule_config c = cfg ? *cfg : digits_datamodule_default_config();
    LIT_TRY(digits_dm_check_config(&c));
    snprintf(dm->path, sizeof dm->path, "%s", c.data_path ? c.data_path : MLP_DIGITS_DEFAULT_PATH);
    c.data_path = dm->path;
    dm->cfg = c;
    dm->base = (lit_datamodule){
        .version = LIT_DATAMODULE_VERSION,
        .prepare_data = digits_dm_prepare_data,
        .setup = digits_dm_setup,
        .teardown = digits_dm_teardown,
        .train_dataloader = digits_dm_train_dataloader,
        .val_dataloaders = digits_dm_val_dataloaders,
        .test_dataloaders = digits_dm_test_dataloaders,
        .predict_dataloaders = digits_dm_predict_dataloaders,
        .user = dm,
    };
    return LIT_OK;
}

void digits_datamodule_free(digits_datamodule *dm) {
    if (dm) digits_dm_teardown(dm, LIT_STAGE_FIT);
}
