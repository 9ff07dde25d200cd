/*
 * examples/gan/gan.h — a small GAN on the 2-D ring (ring.h), written the way
 * a Lightning GAN with manual optimization is:
 *
 *   generator      G: z (B, noise_dim) ~ N(0, 1) -> Linear -> ReLU -> Linear -> ReLU -> Linear -> (B, 2)
 *   discriminator  D: x (B, 2) -> Linear -> LeakyReLU(0.2) -> Linear -> LeakyReLU(0.2) -> Linear -> (B, 1) logit
 *
 * Each network has its own lit_param_store ("generator", "discriminator"), so
 * each of the two Adam optimizers (betas 0.5, 0.999) gets exactly its own
 * parameters — configure_optimizers returning [opt_g, opt_d].
 *
 * Losses (non-saturating GAN, Goodfellow et al. 2014), with BCE-with-logits
 * built from ops in the stable form max(x, 0) - x*y + log(1 + exp(-|x|))
 * (max(x, 0) as (x + |x|)/2, so the gradient is sigmoid(x) - y also at 0):
 *   d_loss = (BCE(D(x), 1) + BCE(D(G(z).detach()), 0)) / 2
 *   g_loss = BCE(D(G(z)), 1)
 *
 * gan_training_step() is one training_step of manual optimization: the D
 * step, then the G step, each with its own backward, optimizer step and
 * zero_grad. It takes the batch tensor, a noise generator and the two
 * optimizers, and routes backward and optimizer steps through optional hooks,
 * so the Trainer-driven module (module.c, automatic_optimization = 0) passes
 * lit_manual_backward and lit_manual_optimizer_step.
 *
 * Intended usage (plain loop; see gan_fit_plain for the whole thing):
 *
 *     gan_model m;
 *     gan_config c = gan_default_config();
 *     lit_rng init = lit_rng_new(seed), noise = ...;
 *     LIT_TRY(gan_model_init(&m, &c, &init));
 *     lit_optimizer *opt_g, *opt_d;
 *     LIT_TRY(gan_configure_optimizers(&m, &opt_g, &opt_d));
 *     for (each step) {
 *         lit_tensor *x = gan_ring_batch(&ring, 256, &data_rng, NULL);
 *         gan_step_losses l;
 *         LIT_TRY(gan_training_step(&m, x, &noise, opt_g, opt_d, NULL, &l));
 *         lit_arena_reset(step_arena);
 *     }
 *     lit_tensor *fake = gan_sample(&m, 2500, &eval_rng);   // no graph
 *     lit_optimizer_free(opt_g); lit_optimizer_free(opt_d); gan_model_free(&m);
 *
 * Errors: a bad config is LIT_ERR_CONFIG (the message names the field); a
 * loss that stops being finite makes the step return LIT_ERR_NUMERIC. Wrong
 * batch shapes are programmer errors (LIT_ASSERT).
 */
#ifndef GAN_GAN_H
#define GAN_GAN_H

#include <stdint.h>
#include <stdio.h>

#include "litc/nn.h"
#include "litc/optim.h"
#include "ring.h"

typedef struct {
    int noise_dim;       /* z size, default 4 */
    int64_t g_hidden;    /* generator width (two hidden layers), default 64 */
    int64_t d_hidden;    /* discriminator width (two hidden layers), default 64 */
    double leaky_slope;  /* discriminator LeakyReLU slope, default 0.2 (0 = ReLU) */
    double lr_g, lr_d;   /* Adam learning rates, default 1e-3 each */
    double betas[2];     /* Adam betas for both, default {0.5, 0.999} */
} gan_config;

gan_config gan_default_config(void);

typedef struct {
    gan_config c;
    lit_param_store *g_store, *d_store;
    lit_nn_mlp g;            /* "generator.net.layers.{0,1,2}" */
    lit_nn_linear d[3];      /* "discriminator.net.layers.{0,1,2}" */
    lit_tensor **g_params, **d_params;
    int n_g_params, n_d_params;
} gan_model;

/* Build both networks (PyTorch's default Linear init) from `rng` (NULL =
 * lit_rng_global()): the generator first, then the discriminator.
 * LIT_ERR_CONFIG on a bad config, LIT_ERR_NOMEM. */
lit_status gan_model_init(gan_model *m, const gan_config *c, lit_rng *rng);
void gan_model_free(gan_model *m); /* frees both stores; zeroes *m; idempotent */

/* Adam for G (lr_g) and for D (lr_d) with the config's betas, over each
 * network's own trainable parameters. On error both are NULL. */
lit_status gan_configure_optimizers(const gan_model *m, lit_optimizer **opt_g, lit_optimizer **opt_d);

/* z ~ N(0, 1), (n, noise_dim), in the current arena, drawn from rng. */
lit_tensor *gan_noise(const gan_model *m, int64_t n, lit_rng *rng);
/* G(z): (n, noise_dim) -> (n, 2). */
lit_tensor *gan_generate(const gan_model *m, lit_tensor *z);
/* D(x): (n, 2) -> (n, 1) logits. */
lit_tensor *gan_discriminate(const gan_model *m, lit_tensor *x);
/* n generated points without a graph (grad mode off inside): (n, 2). */
lit_tensor *gan_sample(const gan_model *m, int64_t n, lit_rng *rng);

/* Stable binary cross-entropy with logits, mean over all elements:
 * mean(max(x, 0) - x*y + log(1 + exp(-|x|))). `target` is broadcastable to
 * logits' shape; gan_bce_with_logits_const uses one label for every element.
 * Finite for any finite logit (no exp of a positive number); the gradient
 * is (sigmoid(x) - y) / numel everywhere, x = 0 included. */
lit_tensor *gan_bce_with_logits(lit_tensor *logits, lit_tensor *target);
lit_tensor *gan_bce_with_logits_const(lit_tensor *logits, double target);
/* The losses above: (BCE(real,1) + BCE(fake,0)) / 2, and BCE(fake,1). */
lit_tensor *gan_d_loss(lit_tensor *real_logits, lit_tensor *fake_logits);
lit_tensor *gan_g_loss(lit_tensor *fake_logits);

/* How a training_step reaches backward and optimizer.step. NULL members (or
 * a NULL hooks pointer) mean lit_backward and lit_optimizer_step; a Trainer
 * passes its manual-optimization calls (lit_manual_backward ...) here. */
typedef struct {
    void (*backward)(lit_tensor *loss, void *user);
    lit_status (*optimizer_step)(lit_optimizer *opt, void *user);
    void *user;
} gan_step_hooks;

typedef struct {
    float d_loss, g_loss;       /* the two losses of the step */
    float d_real, d_fake;       /* mean D(x) and D(G(z)) probabilities during the D step */
} gan_step_losses;

/*
 * One manual-optimization training step on the real batch x (B, 2), B >= 1:
 *   z = noise(B); fake = G(z)
 *   D step: opt_d.zero_grad; d_loss(D(x), D(fake.detach())); backward; opt_d.step; opt_d.zero_grad
 *   G step: D's parameters frozen (as Lightning's toggle_optimizer);
 *           opt_g.zero_grad; g_loss(D(fake)) through the updated D; backward;
 *           opt_g.step; opt_g.zero_grad; D unfrozen and its grads dropped
 *           (set to none), so nothing from the G step reaches opt_d.
 * Activations and the tape live in the current arena (the caller resets it).
 * Returns LIT_ERR_NUMERIC (before stepping) when a loss is not finite, or the
 * optimizer's status. `out` may be NULL.
 */
lit_status gan_training_step(gan_model *m, lit_tensor *x, lit_rng *noise_rng, lit_optimizer *opt_g,
                             lit_optimizer *opt_d, const gan_step_hooks *hooks, gan_step_losses *out);

/* ---------------------------------------------------------------- plain loop */

typedef struct {
    gan_config model;
    gan_ring_config ring;    /* the distribution (ring.n and ring.seed unused: batches come from gan_rng(seed, GAN_RNG_DATA)) */
    int64_t steps;           /* training steps (each: one D and one G update), default 3000 */
    int64_t batch_size;      /* default 128 */
    int64_t eval_samples;    /* generated points for the quality numbers, default 2500 */
    gan_ring_quality_params quality;
    uint64_t seed;           /* everything: init, data, noise, evaluation; default 0 */
    int threads;             /* kernel threads; 0 = leave litc's setting alone */
    int64_t log_every;       /* progress lines every this many steps (0 = none) */
    FILE *progress;          /* where they go; NULL = quiet */
} gan_fit_config;

typedef struct {
    int64_t steps;
    gan_step_losses last;        /* losses of the last step (bit-exact comparisons) */
    double d_loss_avg, g_loss_avg; /* mean over the last 10% of steps */
    gan_ring_quality quality;    /* of eval_samples generated points after training */
    uint64_t weights_hash;       /* FNV-1a of both networks' parameters */
    double seconds;              /* the training loop's wall time */
    size_t step_arena_bytes, step_arena_mallocs;
} gan_fit_result;

gan_fit_config gan_fit_default_config(void);
/* Train with the plain loop described above (batches drawn directly from the
 * ring), then evaluate. Errors: LIT_ERR_CONFIG, LIT_ERR_NOMEM, LIT_ERR_NUMERIC. */
lit_status gan_fit_plain(const gan_fit_config *c, gan_fit_result *out);

/* The generators gan_fit_plain uses, all keyed by `seed` and reading
 * disjoint stretches of its Philox stream (counter offsets of 2^40). */
typedef enum { GAN_RNG_INIT = 0, GAN_RNG_DATA, GAN_RNG_NOISE, GAN_RNG_EVAL } gan_rng_stream;
lit_rng gan_rng(uint64_t seed, gan_rng_stream stream);

#endif
