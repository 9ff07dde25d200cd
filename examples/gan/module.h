/*
 * examples/gan/module.h — the ring GAN (gan.h) as a Lightning module, fitted
 * by the Trainer with manual optimization:
 *
 *   - automatic_optimization = 0; configure_optimizers returns [opt_g, opt_d]
 *     (gan_configure_optimizers, added in that order: index 0 is G, 1 is D);
 *   - training_step runs gan_training_step with its backward hook calling
 *     lit_manual_backward and its optimizer-step hook calling
 *     lit_manual_optimizer_step, so the Trainer's hooks run and every
 *     optimizer step counts a global step (two per batch: global_step ==
 *     2 * batches, as Lightning counts manual optimization);
 *   - logs "d_loss" and "g_loss" with lit_module_log_scalar(.prog_bar = 1);
 *   - the data come from a lit_datamodule whose train loader reads a
 *     map-style "stream" dataset (gan_stream_dataset): sample i is the point
 *     the plain loop draws i-th from gan_rng(seed, GAN_RNG_DATA). With the
 *     sequential sampler, batch s holds exactly the points gan_fit_plain
 *     uses at step s, and init/noise/evaluation use the same gan_rng streams,
 *     so gan_fit_trainer reproduces gan_fit_plain bit for bit.
 *
 * Intended usage:
 *
 *     gan_fit_config c = gan_fit_default_config();
 *     c.steps = 3000; c.seed = 0;
 *     gan_trainer_result r;
 *     LIT_TRY(gan_fit_trainer(&c, NULL, &r));
 *     printf("%d/8 modes, %.3f high quality\n", r.fit.quality.modes_covered,
 *            r.fit.quality.high_quality_fraction);
 */
#ifndef GAN_MODULE_H
#define GAN_MODULE_H

#include "gan.h"
#include "litc/train.h"

/* ---------------------------------------------------------------- data */

/* n samples; sample i is point i of the stream gan_rng(seed, GAN_RNG_DATA)
 * (Philox block 2^40 + i under `seed`) mapped by gan_ring_point. */
typedef struct {
    const gan_ring *ring; /* must outlive the dataset's loaders */
    uint64_t seed;
    int64_t n;
} gan_stream;

/* Map-style, thread-safe: field "x" (f32 (2,)) and "mode" (int). */
lit_dataset gan_stream_dataset(gan_stream *s);

/* ---------------------------------------------------------------- fit */

typedef struct {
    gan_fit_result fit;    /* as gan_fit_plain's; step_arena_* stay 0 (the Trainer owns that arena) */
    int64_t global_step;   /* lit_trainer_global_step after fit */
    int64_t batches;       /* training_step calls */
    int64_t epochs;        /* lit_trainer_current_epoch after fit */
    double logged_d_loss;  /* callback metric "d_loss" after fit (NAN when missing) */
    double logged_g_loss;  /* callback metric "g_loss" */
    int on_prog_bar;       /* 1 when both keys are progress-bar metrics */
} gan_trainer_result;

/*
 * Fit with lit_trainer_fit, then evaluate like gan_fit_plain. `tp` (NULL =
 * lit_trainer_default_params()) is copied; max_steps is set to 2 * c->steps
 * (optimizer steps), max_epochs to -1 and seed to -1 (the gan_rng streams
 * seed everything), and the one-epoch data set holds c->steps batches, so
 * the fit stops on max_steps exactly at the end of the epoch.
 * c->progress/log_every print a line every log_every batches.
 * Errors: gan_fit_plain's, the Trainer's (message in lit_last_error()).
 */
lit_status gan_fit_trainer(const gan_fit_config *c, const lit_trainer_params *tp, gan_trainer_result *out);

#endif
