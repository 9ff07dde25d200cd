/*
 * examples/gan/ring.h — the 2-D "ring of Gaussians" of the unrolled-GAN paper
 * (Metz et al., 2016): a uniform mixture of `modes` isotropic Gaussians
 * (default 8) whose centres lie evenly on a circle (default radius 2), each
 * with a small standard deviation (default 0.05).
 *
 * Sample i of a ring dataset is a pure function of (seed, i): it is made from
 * the four 32-bit words of Philox block i (core.h's lit_philox4x32), so the
 * dataset needs no storage, get() is thread-safe, and the samples are the
 * same on every run and for any number of DataLoader workers. Batches can
 * also be drawn directly from a lit_rng (one Philox block per sample, the
 * same map from words to a point).
 *
 * Intended usage:
 *
 *     gan_ring ring;
 *     gan_ring_init(&ring, NULL);                      // defaults, seed 0
 *     lit_dataset ds = gan_ring_dataset(&ring);        // field "x": f32 (2,), "mode": int
 *     lit_dataloader *dl = lit_dataloader_new(&ds, &p);
 *     ...
 *     lit_rng rng = lit_rng_new(1);
 *     lit_tensor *x = gan_ring_batch(&ring, 256, &rng); // (256, 2) in the current arena
 *     gan_ring_quality q = gan_ring_evaluate(&ring, lit_f32(fake), n, NULL);
 *
 * Errors: a bad config (no modes, negative std, ...) is a runtime error
 * (LIT_ERR_CONFIG, the message names the field); misuse of a batch size or a
 * NULL pointer is a programmer error (LIT_ASSERT).
 */
#ifndef GAN_RING_H
#define GAN_RING_H

#include <stdint.h>

#include "litc/data.h"

#define GAN_RING_MAX_MODES 64

typedef struct {
    int64_t n;     /* dataset length (samples per epoch), default 65536 */
    int modes;     /* Gaussians on the circle, 1..GAN_RING_MAX_MODES, default 8 */
    double radius; /* circle radius, default 2 */
    double std;    /* per-coordinate standard deviation, default 0.05 */
    uint64_t seed; /* Philox key of the dataset's samples, default 0 */
} gan_ring_config;

typedef struct {
    gan_ring_config c;
    double cx[GAN_RING_MAX_MODES], cy[GAN_RING_MAX_MODES]; /* mode k at angle 2*pi*k/modes */
} gan_ring;

gan_ring_config gan_ring_default_config(void);
/* c NULL = defaults. LIT_ERR_CONFIG on a bad value (n < 1, modes outside
 * 1..GAN_RING_MAX_MODES, radius <= 0, std < 0 or non-finite). */
lit_status gan_ring_init(gan_ring *r, const gan_ring_config *c);

/* The point made from four Philox words: mode = w[0] % modes, then one
 * Box-Muller pair from w[1], w[2] for the offset. Writes xy[0..2) and
 * returns the mode. */
int gan_ring_point(const gan_ring *r, const uint32_t w[4], float xy[2]);
/* Sample i of the dataset (block i of Philox under r->c.seed). */
int gan_ring_sample(const gan_ring *r, int64_t i, float xy[2]);

/* A map-style dataset of r->c.n samples: field "x" (f32 tensor (2,), in the
 * arena given to get()) and field "mode" (int: the Gaussian it came from).
 * `r` must outlive the dataset's loaders. */
lit_dataset gan_ring_dataset(gan_ring *r);

/* Fresh samples drawn from `rng` (one block per sample; rng->counter
 * advances by n): an (n, 2) f32 tensor in the current arena. `modes` (may be
 * NULL) receives the n mode indices. */
lit_tensor *gan_ring_batch(const gan_ring *r, int64_t n, lit_rng *rng, int32_t *modes);
/* The same into a caller's buffer of 2n floats. */
void gan_ring_fill(const gan_ring *r, float *xy, int64_t n, lit_rng *rng, int32_t *modes);

/* Index of the mode centre nearest to (x, y); *dist (may be NULL) gets the distance. */
int gan_ring_nearest_mode(const gan_ring *r, double x, double y, double *dist);

/* ---------------------------------------------------------------- quality
 * The ring benchmark's two numbers (unrolled GAN, VEEGAN, PacGAN): a sample
 * is "high quality" when it lies within `hq_radius` of its nearest mode
 * centre, and a mode is "covered" when at least `min_share` of all samples
 * are high-quality samples of that mode. */
typedef struct {
    double hq_radius; /* <= 0: 3 * std (the papers' choice); default 0 (-> 0.15 for std 0.05) */
    double min_share; /* default 0.02 (a fair share is 1/modes = 0.125 for 8 modes) */
} gan_ring_quality_params;

typedef struct {
    int64_t n;                              /* samples evaluated */
    double hq_radius, min_share;            /* the values used */
    int64_t high_quality;                   /* samples within hq_radius of their nearest mode */
    double high_quality_fraction;           /* high_quality / n */
    int modes_covered;                      /* modes with >= min_share * n high-quality samples */
    int64_t per_mode[GAN_RING_MAX_MODES];   /* high-quality samples per mode */
    double mean_nearest_dist;               /* mean distance to the nearest centre */
    int64_t non_finite;                     /* samples with a NaN/Inf coordinate (never high quality) */
} gan_ring_quality;

gan_ring_quality_params gan_ring_quality_default_params(void);
/* xy: n points (2n floats, row-major). p NULL = defaults. */
gan_ring_quality gan_ring_evaluate(const gan_ring *r, const float *xy, int64_t n, const gan_ring_quality_params *p);

#endif
