/*
 * examples/mlp-digits/train.h — train an MLP on the 8x8 digits with a plain
 * loop (no Trainer): seeded 80/20 split, features scaled to [0, 1],
 * mini-batches reshuffled every epoch, cross-entropy, Adam with a cosine
 * learning-rate decay (per step, to 0 at the end).
 *
 * main.c wraps it in a command line; tests/test-mlp-digits.c compiles it in
 * to check the accuracy and that a seed reproduces the same bits.
 *
 * Intended usage:
 *
 *     mlp_digits_config c = mlp_digits_default_config();
 *     c.epochs = 10;
 *     mlp_digits_result r;
 *     if (mlp_digits_train(&c, &r) < 0) fprintf(stderr, "%s\n", lit_last_error());
 *     else printf("test accuracy: %.4f\n", r.test_accuracy);
 */
#ifndef MLP_DIGITS_TRAIN_H
#define MLP_DIGITS_TRAIN_H

#include <stdint.h>
#include <stdio.h>

#include "litc/core.h"

typedef struct {
    const char *data_path; /* NULL = MLP_DIGITS_DEFAULT_PATH (digits.h) */
    int epochs;            /* default 20 */
    int batch_size;        /* default 32; the last batch of an epoch may be smaller */
    double lr;             /* Adam's peak learning rate (cosine-decayed per step), default 3e-3 */
    uint64_t seed;         /* split, initialisation and shuffling; default 0 */
    double test_fraction;  /* held-out share, default 0.2 */
    int64_t hidden[2];     /* hidden widths, default {256, 128} */
    int threads;           /* kernel threads; 0 = leave litc's setting alone */
    FILE *progress;        /* one line per epoch; NULL = quiet */
} mlp_digits_config;

typedef struct {
    int epochs;                /* epochs run */
    int64_t steps;             /* optimizer steps run */
    int64_t n_train, n_test;   /* split sizes */
    int64_t correct;           /* test samples classified right after the last epoch */
    double test_accuracy;      /* correct / n_test */
    double train_loss;         /* mean cross-entropy over the last epoch's samples */
    float last_loss;           /* loss of the very last step (for bit-exact comparisons) */
    uint64_t weights_hash;     /* FNV-1a of every parameter's bytes after training */
    double seconds;            /* wall time of the training loop (data loading excluded) */
    size_t step_arena_bytes;   /* high-water mark of the step arena */
    size_t step_arena_mallocs; /* chunk mallocs of the step arena (stays small: no per-step malloc) */
} mlp_digits_result;

mlp_digits_config mlp_digits_default_config(void);

/* Load the data, train, evaluate; fills *out. Errors: those of
 * mlp_digits_load (missing or malformed data), LIT_ERR_CONFIG for a bad
 * config value (message names it), LIT_ERR_NOMEM, LIT_ERR_NUMERIC when the
 * loss stops being finite (lower the learning rate). */
lit_status mlp_digits_train(const mlp_digits_config *c, mlp_digits_result *out);

#endif
