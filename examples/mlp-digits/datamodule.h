/*
 * examples/mlp-digits/datamodule.h — the 8x8 digits as a Lightning-style
 * DataModule (litc/data.h): prepare_data, setup, the train / val / test /
 * predict DataLoaders and teardown, behind a lit_datamodule vtable.
 *
 * Splits. setup() reads the CSV once (digits.c) and permutes its n = 1797
 * rows with lit_sampler_order(n, 1, seed, 0, ...), i.e. a Fisher-Yates
 * shuffle driven by Philox(seed) from counter 0 — exactly the permutation
 * train.c draws from lit_rng_new(seed) before it trains. In that order:
 *
 *     [0, n_fit)              the "fit" part (train.c's training rows)
 *       [0, n_train)            train
 *       [n_train, n_fit)        val  (n_val = round(n_fit * val_fraction))
 *     [n_fit, n)              test (n_test = round(n * test_fraction))
 *
 * so for the same seed and test_fraction the test split is the very rows
 * train.c tests on (accuracies stay comparable), and train + val are train.c's
 * training rows. With the defaults: 1294 train, 144 val, 359 test.
 * (train.c continues the same generator for initialisation and per-epoch
 * shuffles; the train loader here shuffles with lit_sampler_rng(seed, epoch)
 * instead, so the batch order differs from train.c's.)
 *
 * Samples. Each split is a map-style lit_dataset whose get() yields
 *     "x"  f32 tensor (64,)  pixels / 16, in [0, 1]
 *     "y"  int label 0..9          (not in the predict split)
 * so lit_default_collate gives x (B, 64) f32 and y (B,) i64. get() only reads
 * data fixed by setup(), so it is safe on DataLoader worker threads.
 *
 * Loaders. train: shuffled with `seed` (re-mixed per epoch by the loader);
 * val, test and predict: in split order. predict is the test split without
 * labels. All use batch_size and num_workers and keep the last, short batch.
 * Each loader is made on the first call and the same one is returned after;
 * the datamodule owns them (teardown frees them).
 *
 * Intended usage (a Trainer does the same through dm.base):
 *
 *     digits_datamodule dm;
 *     digits_datamodule_config c = digits_datamodule_default_config();
 *     c.data_path = path; c.seed = 3; c.num_workers = 2;
 *     LIT_TRY(digits_datamodule_init(&dm, &c));
 *     lit_datamodule *m = &dm.base;
 *     LIT_TRY(m->prepare_data(m->user));
 *     LIT_TRY(m->setup(m->user, LIT_STAGE_FIT));
 *     lit_dataloader *train = m->train_dataloader(m->user);
 *     lit_dataloader *val[LIT_MAX_DATALOADERS];
 *     int n_val = m->val_dataloaders(m->user, val);
 *     ... epochs over train, validation over val[0] ...
 *     m->teardown(m->user, LIT_STAGE_FIT);   // or digits_datamodule_free(&dm)
 *
 * Errors (lit_status, message in lit_last_error()):
 *   init          LIT_ERR_CONFIG  a bad config value (the message names it)
 *   prepare_data  LIT_ERR_IO      the CSV cannot be opened; names the path
 *                                 and the --data flag
 *   setup         those of mlp_digits_load (digits.h); LIT_ERR_CONFIG when
 *                 the fractions leave an empty train/val/test split
 *   *_dataloader(s)  NULL / -1 with LIT_ERR_STATE before setup, or the
 *                 DataLoader's error.
 */
#ifndef MLP_DIGITS_DATAMODULE_H
#define MLP_DIGITS_DATAMODULE_H

#include <stdint.h>

#include "digits.h"
#include "litc/data.h"

#define DIGITS_DM_PATH_MAX 4096

typedef struct {
    const char *data_path; /* NULL = MLP_DIGITS_DEFAULT_PATH; copied by init */
    int64_t batch_size;    /* every loader; default 32 */
    double val_fraction;   /* share of the fit part held out for validation, in [0, 1);
                              default 0.1; 0 = no val loader */
    double test_fraction;  /* share of all samples held out for testing, in (0, 1); default 0.2 (as train.c) */
    uint64_t seed;         /* split and train shuffling; default 0 */
    int num_workers;       /* DataLoader worker threads; default 0 (batches built on the caller's thread) */
} digits_datamodule_config;

/* One split: a read-only view of the datamodule's data. */
typedef struct {
    const struct digits_datamodule *dm;
    const int64_t *rows; /* n CSV row indices (0-based line among the samples), in split order */
    int64_t n;
    int with_labels;     /* 0 for predict */
} digits_split;

typedef struct digits_datamodule {
    lit_datamodule base; /* the vtable; base.user == this datamodule */
    digits_datamodule_config cfg;
    char path[DIGITS_DM_PATH_MAX]; /* cfg.data_path points here */

    /* Filled by setup(), released by teardown(). */
    int is_setup;
    mlp_digits_data data;  /* the CSV, pixels already scaled to [0, 1] */
    int64_t *order;        /* the split permutation (n entries) */
    int64_t n_train, n_val, n_test;
    digits_split train, val, test, predict;
    lit_dataloader *train_dl, *val_dl, *test_dl, *predict_dl;
} digits_datamodule;

digits_datamodule_config digits_datamodule_default_config(void);

/* Check `cfg` (NULL = defaults), copy it into *dm and fill dm->base. Loads
 * nothing (setup does). dm must stay at its address afterwards (base.user
 * and the datasets point into it). */
lit_status digits_datamodule_init(digits_datamodule *dm, const digits_datamodule_config *cfg);

/* Release everything setup() and the loaders made (same as teardown); the
 * datamodule may be set up again afterwards. NULL is fine. */
void digits_datamodule_free(digits_datamodule *dm);

/* The map-style dataset of one split (valid after setup, until teardown):
 * LIT_STAGE_FIT = train, VALIDATE = val, TEST = test, PREDICT = test without
 * labels. */
lit_dataset digits_datamodule_dataset(digits_datamodule *dm, lit_stage split);

#endif
