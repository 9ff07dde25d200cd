/*
 * The ring GAN example: the ring data set has the stated statistics, the
 * stable BCE-with-logits matches a double reference (also at huge logits),
 * the manual-optimization step keeps the two optimizers apart, a short plain
 * loop learns the ring (most modes, mostly high-quality samples), and a seed
 * reproduces the same bits. The Trainer-driven fit (module.c: manual
 * optimization, two optimizers) learns as well, counts two global steps per
 * batch, and reproduces the plain loop bit for bit. The example's sources
 * are compiled in.
 */
#include "harness.h"

#include "../examples/gan/ring.c"
#include "../examples/gan/gan.c"
#include "../examples/gan/module.c"

/* ---------------------------------------------------------------- ring */

TEST(ring_modes_lie_on_the_circle) {
    gan_ring r;
    CHECK_EQ_INT(gan_ring_init(&r, NULL), LIT_OK);
    CHECK_EQ_INT(r.c.modes, 8);
    for (int k = 0; k < 8; k++) {
        CHECK_NEAR(hypot(r.cx[k], r.cy[k]), 2.0, 1e-12);
        CHECK_NEAR(atan2(r.cy[k], r.cx[k]), remainder(2 * M_PI * k / 8, 2 * M_PI), 1e-12);
        double d;
        CHECK_EQ_INT(gan_ring_nearest_mode(&r, r.cx[k] * 1.01, r.cy[k] * 1.01, &d), k);
        CHECK_NEAR(d, 0.02, 1e-12);
    }
}

/* 16000 dataset samples: each mode gets ~1/8 of them, its sample mean is its
 * centre (standard error 0.05/sqrt(2000) ~ 0.0011) and its per-coordinate
 * standard deviation is 0.05 (relative standard error ~1.6%). */
TEST(ring_dataset_statistics) {
    gan_ring r;
    CHECK_EQ_INT(gan_ring_init(&r, NULL), LIT_OK);
    lit_dataset ds = gan_ring_dataset(&r);
    CHECK_EQ_INT(ds.len(ds.user), 65536);
    lit_arena *a = lit_arena_new("ring-test", 0);
    enum { N = 16000 };
    double s[8][2] = {{0}}, ss[8][2] = {{0}};
    int64_t cnt[8] = {0};
    for (int64_t i = 0; i < N; i++) {
        lit_sample smp;
        lit_status st = ds.get(ds.user, i, &smp, a);
        CHECK_EQ_INT(st, LIT_OK);
        if (st < 0) break;
        CHECK_EQ_INT(smp.n, 2);
        CHECK_STR_EQ(smp.fields[0].name, "x");
        lit_tensor *x = smp.fields[0].tensor;
        CHECK(x->ndim == 1 && x->shape[0] == 2 && x->dtype == LIT_F32 && x->arena == a);
        int k = (int)smp.fields[1].i;
        CHECK(k >= 0 && k < 8);
        const float *p = lit_f32(x);
        for (int j = 0; j < 2; j++) s[k][j] += p[j], ss[k][j] += (double)p[j] * p[j];
        cnt[k]++;
        /* pure function of (seed, index) */
        float q[2];
        CHECK_EQ_INT(gan_ring_sample(&r, i, q), k);
        CHECK(q[0] == p[0] && q[1] == p[1]);
        if (i % 1000 == 999) lit_arena_reset(a);
    }
    for (int k = 0; k < 8; k++) {
        CHECK_MSG(cnt[k] > 1800 && cnt[k] < 2200, "mode %d has %lld of %d samples", k, (long long)cnt[k], N);
        double mx = s[k][0] / cnt[k], my = s[k][1] / cnt[k];
        CHECK_NEAR(mx, r.cx[k], 0.006);
        CHECK_NEAR(my, r.cy[k], 0.006);
        CHECK_NEAR(sqrt(ss[k][0] / cnt[k] - mx * mx), 0.05, 0.005);
        CHECK_NEAR(sqrt(ss[k][1] / cnt[k] - my * my), 0.05, 0.005);
    }
    lit_sample smp;
    CHECK_EQ_INT(ds.get(ds.user, 65536, &smp, a), LIT_ERR_INVALID_ARG);
    lit_arena_free(a);

    /* Another seed gives other samples. */
    gan_ring_config c = gan_ring_default_config();
    c.seed = 1;
    gan_ring r1;
    CHECK_EQ_INT(gan_ring_init(&r1, &c), LIT_OK);
    float p0[2], p1[2];
    gan_ring_sample(&r, 5, p0);
    gan_ring_sample(&r1, 5, p1);
    CHECK(p0[0] != p1[0] || p0[1] != p1[1]);
}

TEST(ring_through_the_dataloader_and_direct_batches) {
    gan_ring r;
    CHECK_EQ_INT(gan_ring_init(&r, &(gan_ring_config){.n = 1000, .modes = 8, .radius = 2, .std = 0.02, .seed = 3}),
                 LIT_OK);
    lit_dataset ds = gan_ring_dataset(&r);
    lit_dataloader_params p = lit_dataloader_default_params();
    p.batch_size = 64;
    p.shuffle = 1;
    p.seed = 9;
    lit_dataloader *dl = lit_dataloader_new(&ds, &p);
    CHECK(dl != NULL);
    if (!dl) return;
    CHECK_EQ_INT(lit_dataloader_begin_epoch(dl, 0, 0), LIT_OK);
    lit_batch *b;
    int64_t seen = 0;
    while (lit_dataloader_next(dl, &b) == LIT_OK && b) {
        lit_tensor *x = lit_batch_get(b, "x"), *m = lit_batch_get(b, "mode");
        CHECK(x->ndim == 2 && x->shape[1] == 2 && x->shape[0] == b->size);
        for (int64_t i = 0; i < b->size; i++) {
            double d;
            int k = gan_ring_nearest_mode(&r, lit_get_flat(x, 2 * i), lit_get_flat(x, 2 * i + 1), &d);
            CHECK_EQ_INT(k, (int64_t)lit_get_flat(m, i));
            CHECK(d < 0.02 * 6);
        }
        seen += b->size;
    }
    CHECK_EQ_INT(seen, 1000);
    lit_dataloader_free(dl);

    /* gan_ring_batch and gan_ring_fill read one Philox block per sample. */
    lit_rng a = lit_rng_new(4), a2 = lit_rng_new(4);
    int32_t modes[100];
    lit_tensor *x = gan_ring_batch(&r, 100, &a, modes);
    CHECK(x->ndim == 2 && x->shape[0] == 100 && x->shape[1] == 2);
    CHECK_EQ_INT(a.counter, 100);
    float buf[200];
    gan_ring_fill(&r, buf, 100, &a2, NULL);
    CHECK(memcmp(buf, lit_f32(x), sizeof buf) == 0);
    for (int i = 0; i < 100; i++) CHECK_EQ_INT(gan_ring_nearest_mode(&r, buf[2 * i], buf[2 * i + 1], NULL), modes[i]);

    CHECK_EQ_INT(gan_ring_init(&r, &(gan_ring_config){.n = 10, .modes = 0, .radius = 2, .std = 0.05}), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "modes");
    CHECK_EQ_INT(gan_ring_init(&r, &(gan_ring_config){.n = 10, .modes = 8, .radius = 2, .std = -1}), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "std");
}

/* Real samples: P(|offset| <= 3 std) for a 2-D isotropic Gaussian is
 * 1 - exp(-9/2) = 0.9889, all 8 modes covered; uniform noise over the
 * ring's bounding box is mostly low quality. */
TEST(quality_metrics_on_real_and_uniform_points) {
    gan_ring r;
    gan_ring_init(&r, NULL);
    enum { N = 20000 };
    static float xy[2 * N];
    lit_rng rng = lit_rng_new(11);
    gan_ring_fill(&r, xy, N, &rng, NULL);
    gan_ring_quality q = gan_ring_evaluate(&r, xy, N, NULL);
    CHECK_NEAR(q.hq_radius, 0.15, 1e-12);
    CHECK_NEAR(q.high_quality_fraction, 1 - exp(-4.5), 0.004);
    CHECK_EQ_INT(q.modes_covered, 8);
    CHECK_NEAR(q.mean_nearest_dist, 0.05 * sqrt(M_PI / 2), 0.002); /* Rayleigh mean */

    lit_rng_fill_uniform(&rng, xy, 2 * N, -2.5f, 2.5f);
    q = gan_ring_evaluate(&r, xy, N, NULL);
    CHECK_MSG(q.high_quality_fraction < 0.05, "uniform points: %.3f high quality", q.high_quality_fraction);

    /* All points on one mode: one mode covered, a NaN is never high quality. */
    for (int i = 0; i < 100; i++) xy[2 * i] = (float)r.cx[3], xy[2 * i + 1] = (float)r.cy[3];
    xy[0] = NAN;
    q = gan_ring_evaluate(&r, xy, 100, NULL);
    CHECK_EQ_INT(q.modes_covered, 1);
    CHECK_EQ_INT(q.per_mode[3], 99);
    CHECK_EQ_INT(q.non_finite, 1);
}

/* ---------------------------------------------------------------- losses */

static double ref_bce(double x, double y) {
    /* The textbook formula where it is finite in double, the log1p form elsewhere. */
    if (fabs(x) < 30) {
        double p = 1 / (1 + exp(-x));
        return -(y * log(p) + (1 - y) * log(1 - p));
    }
    return (x > 0 ? x : 0) - x * y + log1p(exp(-fabs(x)));
}

TEST(bce_with_logits_matches_double_reference) {
    const float xs[] = {0.0f, 0.5f, -0.5f, 3.0f, -3.0f, 12.0f, -12.0f, 20.0f, -20.0f, 88.0f, -88.0f, 100.0f, -100.0f,
                        1e4f, -1e4f, 3e38f, -3e38f};
    const float ys[] = {0.0f, 1.0f, 0.3f};
    enum { NX = sizeof xs / sizeof xs[0] };
    for (int j = 0; j < 3; j++) {
        for (int i = 0; i < NX; i++) {
            lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(1, 1), &xs[i]);
            x->requires_grad = 1;
            lit_tensor *l = gan_bce_with_logits_const(x, ys[j]);
            double v = lit_item(l), ref = ref_bce(xs[i], ys[j]);
            CHECK_MSG(isfinite(v), "BCE(%g, %g) = %g", xs[i], ys[j], v);
            CHECK_MSG(fabs(v - ref) <= 1e-6 + 1e-6 * fabs(ref), "BCE(%g, %g) = %.9g, reference %.9g", xs[i], ys[j], v,
                      ref);
            lit_backward(l);
            double g = lit_f32(x->grad)[0], gref = 1 / (1 + exp(-(double)xs[i])) - ys[j];
            CHECK_MSG(isfinite(g) && fabs(g - gref) <= 1e-6, "dBCE/dx(%g, %g) = %.9g, reference %.9g", xs[i], ys[j], g,
                      gref);
        }
    }
    /* Mean over a batch with per-element targets. */
    const float bx[4] = {-2.0f, 0.25f, 40.0f, -1e3f}, by[4] = {1, 0, 0, 1};
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(4, 1), bx), *y = lit_from_buffer(LIT_F32, LIT_SHAPE(4, 1), by);
    double ref = 0;
    for (int i = 0; i < 4; i++) ref += ref_bce(bx[i], by[i]) / 4;
    CHECK_NEAR(lit_item(gan_bce_with_logits(x, y)), ref, 1e-4 * ref);
    /* The GAN losses are BCEs: D wants real -> 1 and fake -> 0, G wants fake -> 1. */
    lit_tensor *r = lit_from_buffer(LIT_F32, LIT_SHAPE(4, 1), bx), *f = lit_from_buffer(LIT_F32, LIT_SHAPE(4, 1), bx);
    double dref = 0, gref = 0;
    for (int i = 0; i < 4; i++) dref += (ref_bce(bx[i], 1) + ref_bce(bx[i], 0)) / 8, gref += ref_bce(bx[i], 1) / 4;
    CHECK_NEAR(lit_item(gan_d_loss(r, f)), dref, 1e-4 * dref);
    CHECK_NEAR(lit_item(gan_g_loss(f)), gref, 1e-4 * gref);
}

/* ---------------------------------------------------------------- the step */

typedef struct {
    int backward, step;
} hook_counts;
static void count_backward(lit_tensor *loss, void *user) {
    ((hook_counts *)user)->backward++;
    lit_backward(loss);
}
static lit_status count_step(lit_optimizer *opt, void *user) {
    ((hook_counts *)user)->step++;
    return lit_optimizer_step(opt);
}

static void snapshot(lit_tensor **p, int n, float *buf) {
    for (int i = 0; i < n; i++) memcpy(buf, p[i]->data, (size_t)p[i]->numel * sizeof(float)), buf += p[i]->numel;
}

/* The D step updates only D, the G step only G, and the G step's gradient
 * through D never reaches opt_d (D is frozen, then its grads are dropped). */
TEST(training_step_keeps_the_optimizers_apart) {
    gan_model m;
    gan_config c = gan_default_config();
    lit_rng init = lit_rng_new(1), noise = lit_rng_new(2), data = lit_rng_new(3);
    CHECK_EQ_INT(gan_model_init(&m, &c, &init), LIT_OK);
    CHECK_EQ_INT(m.n_g_params, 6);
    CHECK_EQ_INT(m.n_d_params, 6);
    CHECK_STR_EQ(lit_param_store_name(m.g_store, 0), "generator.net.layers.0.weight");
    CHECK_STR_EQ(lit_param_store_name(m.d_store, 5), "discriminator.net.layers.2.bias");
    lit_optimizer *og, *od;
    CHECK_EQ_INT(gan_configure_optimizers(&m, &og, &od), LIT_OK);
    double b1 = 0, b2 = 0, lr = 0;
    CHECK_EQ_INT(lit_optimizer_get_hparam(od, 0, "betas.0", &b1), LIT_OK);
    CHECK_EQ_INT(lit_optimizer_get_hparam(od, 0, "betas.1", &b2), LIT_OK);
    CHECK_EQ_INT(lit_optimizer_get_hparam(og, 0, "lr", &lr), LIT_OK);
    CHECK_NEAR(b1, 0.5, 0);
    CHECK_NEAR(b2, 0.999, 0);
    CHECK_NEAR(lr, 1e-3, 0);
    CHECK_EQ_INT(lit_optimizer_num_params(og), 6);
    CHECK_EQ_INT(lit_optimizer_num_params(od), 6);

    int64_t ng = lit_param_store_count_params(m.g_store, 0), nd = lit_param_store_count_params(m.d_store, 0);
    float *g0 = malloc((size_t)ng * 4), *g1 = malloc((size_t)ng * 4), *d0 = malloc((size_t)nd * 4),
          *d1 = malloc((size_t)nd * 4);
    snapshot(m.g_params, m.n_g_params, g0);
    snapshot(m.d_params, m.n_d_params, d0);

    gan_ring r;
    gan_ring_init(&r, NULL);
    hook_counts hc = {0, 0};
    gan_step_hooks hooks = {count_backward, count_step, &hc};
    gan_step_losses l;
    lit_tensor *x = gan_ring_batch(&r, 32, &data, NULL);
    CHECK_EQ_INT(gan_training_step(&m, x, &noise, og, od, &hooks, &l), LIT_OK);
    CHECK_EQ_INT(hc.backward, 2);
    CHECK_EQ_INT(hc.step, 2);
    CHECK(isfinite(l.d_loss) && isfinite(l.g_loss));
    CHECK(l.d_real > 0 && l.d_real < 1 && l.d_fake > 0 && l.d_fake < 1);
    CHECK_EQ_INT(noise.counter, (32 * 4 + 3) / 4); /* one (32, 4) noise draw */

    snapshot(m.g_params, m.n_g_params, g1);
    snapshot(m.d_params, m.n_d_params, d1);
    CHECK(memcmp(g0, g1, (size_t)ng * 4) != 0);
    CHECK(memcmp(d0, d1, (size_t)nd * 4) != 0);
    for (int i = 0; i < m.n_g_params; i++) CHECK(m.g_params[i]->grad == NULL && m.g_params[i]->requires_grad);
    for (int i = 0; i < m.n_d_params; i++) CHECK(m.d_params[i]->grad == NULL && m.d_params[i]->requires_grad);

    /* Replaying the D step by hand gives D's new weights exactly: the G step
     * added nothing to D's update. */
    gan_model m2;
    lit_rng init2 = lit_rng_new(1), noise2 = lit_rng_new(2);
    gan_model_init(&m2, &c, &init2);
    lit_optimizer *og2, *od2;
    gan_configure_optimizers(&m2, &og2, &od2);
    lit_tensor *fake = gan_generate(&m2, gan_noise(&m2, 32, &noise2));
    lit_tensor *dl = gan_d_loss(gan_discriminate(&m2, x), gan_discriminate(&m2, lit_detach(fake)));
    CHECK(lit_item(dl) == l.d_loss);
    lit_backward(dl);
    CHECK_EQ_INT(lit_optimizer_step(od2), LIT_OK);
    float *d2 = malloc((size_t)nd * 4);
    snapshot(m2.d_params, m2.n_d_params, d2);
    CHECK(memcmp(d1, d2, (size_t)nd * 4) == 0);

    EXPECT_ASSERT(gan_training_step(&m, lit_zeros(LIT_F32, LIT_SHAPE(4, 3)), &noise, og, od, NULL, NULL), "(B, 2)");

    free(g0), free(g1), free(d0), free(d1), free(d2);
    lit_optimizer_free(og), lit_optimizer_free(od), lit_optimizer_free(og2), lit_optimizer_free(od2);
    gan_model_free(&m);
    gan_model_free(&m2);
    gan_model_free(&m2); /* idempotent */
}

TEST(bad_config_is_a_runtime_error) {
    gan_model m;
    gan_config c = gan_default_config();
    c.noise_dim = 0;
    CHECK_EQ_INT(gan_model_init(&m, &c, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "noise_dim");
    gan_fit_config f = gan_fit_default_config();
    gan_fit_result r;
    f.model.lr_d = -1;
    CHECK_EQ_INT(gan_fit_plain(&f, &r), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "learning rates");
    f = gan_fit_default_config();
    f.steps = 0;
    CHECK_EQ_INT(gan_fit_plain(&f, &r), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "steps");
}

/* ---------------------------------------------------------------- training */

/* The defaults (3000 steps of batch 128, Adam 1e-3, betas 0.5/0.999) on one
 * thread. Measured over seeds 0..17 on 2500 generated points: high-quality
 * fraction (within 3 std = 0.15 of a mode) 0.68..0.89 (median 0.85), 7 or 8
 * modes covered (>= 2% of the samples each), D loss 0.61..0.68; seed 0:
 * 0.79, 8 modes, ~2 s. The bars (>= 6 modes, >= 60%) leave room for a
 * changed rounding somewhere in a kernel. */
static gan_fit_result plain_seed0; /* learns_the_ring's result, for the Trainer test */
static int have_plain_seed0;

TEST(learns_the_ring) {
    gan_fit_config c = gan_fit_default_config();
    c.seed = 0;
    c.threads = 1;
    gan_fit_result r;
    lit_status st = gan_fit_plain(&c, &r);
    CHECK_MSG(st == LIT_OK, "gan_fit_plain: %s: %s", lit_status_str(st), lit_last_error());
    if (st < 0) return;
    printf("  seed 0: %lld steps in %.2fs, high quality %.3f, %d/8 modes, mean distance %.3f, d_loss %.3f, g_loss "
           "%.3f; per mode:",
           (long long)r.steps, r.seconds, r.quality.high_quality_fraction, r.quality.modes_covered,
           r.quality.mean_nearest_dist, r.d_loss_avg, r.g_loss_avg);
    for (int k = 0; k < 8; k++) printf(" %lld", (long long)r.quality.per_mode[k]);
    printf("\n");
    CHECK_EQ_INT(r.steps, 3000);
    CHECK_EQ_INT(r.quality.n, 2500);
    CHECK_MSG(r.quality.modes_covered >= 6, "%d modes covered < 6", r.quality.modes_covered);
    CHECK_MSG(r.quality.high_quality_fraction >= 0.6, "high-quality fraction %.3f < 0.6",
              r.quality.high_quality_fraction);
    /* Neither network wins outright: D's loss stays near its equilibrium ln 2. */
    CHECK_MSG(r.d_loss_avg > 0.45 && r.d_loss_avg < 0.75, "final d_loss %.3f", r.d_loss_avg);
    CHECK_MSG(r.step_arena_mallocs <= 4, "step arena made %zu chunk mallocs", r.step_arena_mallocs);
    plain_seed0 = r;
    have_plain_seed0 = 1;
}

TEST(same_seed_same_bits) {
    gan_fit_config c = gan_fit_default_config();
    c.steps = 300;
    c.seed = 5;
    c.threads = 1;
    gan_fit_result a, b, other;
    CHECK_EQ_INT(gan_fit_plain(&c, &a), LIT_OK);
    CHECK_EQ_INT(gan_fit_plain(&c, &b), LIT_OK);
    CHECK_MSG(memcmp(&a.last, &b.last, sizeof a.last) == 0, "last losses d %.9g/%.9g g %.9g/%.9g", a.last.d_loss,
              b.last.d_loss, a.last.g_loss, b.last.g_loss);
    CHECK(a.d_loss_avg == b.d_loss_avg && a.g_loss_avg == b.g_loss_avg);
    CHECK(a.weights_hash == b.weights_hash);
    CHECK_EQ_INT(a.quality.high_quality, b.quality.high_quality);
    c.seed = 6;
    CHECK_EQ_INT(gan_fit_plain(&c, &other), LIT_OK);
    CHECK(other.weights_hash != a.weights_hash);
}

/* ---------------------------------------------------------------- through the Trainer */

/* The stream dataset is the plain loop's data: sample i is the i-th point
 * gan_ring_batch draws from gan_rng(seed, GAN_RNG_DATA). */
TEST(stream_dataset_is_the_plain_loops_data) {
    gan_ring r;
    gan_ring_init(&r, NULL);
    gan_stream s = {.ring = &r, .seed = 7, .n = 300};
    lit_dataset ds = gan_stream_dataset(&s);
    CHECK_EQ_INT(ds.len(ds.user), 300);
    lit_rng data = gan_rng(7, GAN_RNG_DATA);
    int32_t modes[300];
    lit_tensor *x = gan_ring_batch(&r, 300, &data, modes);
    lit_arena *a = lit_arena_new("stream-test", 0);
    for (int64_t i = 0; i < 300; i++) {
        lit_sample smp;
        CHECK_EQ_INT(ds.get(ds.user, i, &smp, a), LIT_OK);
        const float *p = lit_f32(smp.fields[0].tensor);
        CHECK(p[0] == lit_f32(x)[2 * i] && p[1] == lit_f32(x)[2 * i + 1]);
        CHECK_EQ_INT(smp.fields[1].i, modes[i]);
    }
    lit_sample smp;
    CHECK_EQ_INT(ds.get(ds.user, 300, &smp, a), LIT_ERR_INVALID_ARG);
    lit_arena_free(a);
}

/* Seed 0, 3000 steps, one thread, as learns_the_ring: the same quality bars,
 * two optimizer steps per batch in global_step (Lightning 2.x counts every
 * optimizer step in manual optimization), max_steps = 2 * steps ending the
 * fit exactly after the one epoch of `steps` batches, the losses logged to
 * the progress bar, and the very same weights as the plain loop. */
TEST(learns_the_ring_through_the_trainer) {
    gan_fit_config c = gan_fit_default_config();
    c.seed = 0;
    c.threads = 1;
    lit_trainer_params p = quiet_trainer_params();
    gan_trainer_result r;
    lit_status st = gan_fit_trainer(&c, &p, &r);
    CHECK_MSG(st == LIT_OK, "gan_fit_trainer: %s: %s", lit_status_str(st), lit_last_error());
    if (st < 0) return;
    printf("  seed 0 via the Trainer: %lld batches, global_step %lld in %.2fs, high quality %.3f, %d/8 modes, "
           "d_loss %.3f\n",
           (long long)r.batches, (long long)r.global_step, r.fit.seconds, r.fit.quality.high_quality_fraction,
           r.fit.quality.modes_covered, r.fit.d_loss_avg);
    CHECK_EQ_INT(r.batches, 3000);
    CHECK_EQ_INT(r.fit.steps, 3000);
    CHECK_EQ_INT(r.global_step, 2 * 3000);
    CHECK_EQ_INT(r.epochs, 1);
    CHECK_EQ_INT(r.fit.quality.n, 2500);
    CHECK_MSG(r.fit.quality.modes_covered >= 6, "%d modes covered < 6", r.fit.quality.modes_covered);
    CHECK_MSG(r.fit.quality.high_quality_fraction >= 0.6, "high-quality fraction %.3f < 0.6",
              r.fit.quality.high_quality_fraction);
    CHECK_MSG(r.fit.d_loss_avg > 0.45 && r.fit.d_loss_avg < 0.75, "final d_loss %.3f", r.fit.d_loss_avg);
    /* The logged values are the last step's losses (on_step, float -> double). */
    CHECK(r.logged_d_loss == (double)r.fit.last.d_loss);
    CHECK(r.logged_g_loss == (double)r.fit.last.g_loss);
    CHECK(r.on_prog_bar);
    CHECK_MSG(have_plain_seed0, "learns_the_ring did not run first");
    if (!have_plain_seed0) return;
    CHECK_MSG(r.fit.weights_hash == plain_seed0.weights_hash, "weights differ from the plain loop's");
    CHECK(memcmp(&r.fit.last, &plain_seed0.last, sizeof r.fit.last) == 0);
    CHECK(r.fit.d_loss_avg == plain_seed0.d_loss_avg && r.fit.g_loss_avg == plain_seed0.g_loss_avg);
    CHECK(memcmp(r.fit.quality.per_mode, plain_seed0.quality.per_mode, sizeof r.fit.quality.per_mode) == 0);
}

/* Two Trainer runs of a seed agree bit for bit, and with the plain loop;
 * another seed differs. */
TEST(trainer_same_seed_same_bits_as_plain_loop) {
    gan_fit_config c = gan_fit_default_config();
    c.steps = 300;
    c.seed = 5;
    c.threads = 1;
    lit_trainer_params p = quiet_trainer_params();
    gan_trainer_result a, b, other;
    gan_fit_result plain;
    CHECK_EQ_INT(gan_fit_trainer(&c, &p, &a), LIT_OK);
    CHECK_EQ_INT(gan_fit_trainer(&c, &p, &b), LIT_OK);
    CHECK_EQ_INT(gan_fit_plain(&c, &plain), LIT_OK);
    CHECK_EQ_INT(a.global_step, 600);
    CHECK_MSG(memcmp(&a.fit.last, &b.fit.last, sizeof a.fit.last) == 0, "last losses d %.9g/%.9g g %.9g/%.9g",
              a.fit.last.d_loss, b.fit.last.d_loss, a.fit.last.g_loss, b.fit.last.g_loss);
    CHECK(a.fit.weights_hash == b.fit.weights_hash);
    CHECK(a.fit.d_loss_avg == b.fit.d_loss_avg && a.fit.g_loss_avg == b.fit.g_loss_avg);
    CHECK_EQ_INT(a.fit.quality.high_quality, b.fit.quality.high_quality);
    CHECK_MSG(a.fit.weights_hash == plain.weights_hash, "Trainer and plain loop weights differ");
    CHECK(memcmp(&a.fit.last, &plain.last, sizeof a.fit.last) == 0);
    CHECK_EQ_INT(a.fit.quality.high_quality, plain.quality.high_quality);
    c.seed = 6;
    CHECK_EQ_INT(gan_fit_trainer(&c, &p, &other), LIT_OK);
    CHECK(other.fit.weights_hash != a.fit.weights_hash);

    /* Config errors come back before the Trainer starts. */
    c.steps = 0;
    CHECK_EQ_INT(gan_fit_trainer(&c, &p, &a), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "steps");
}

int main(void) {
    RUN(ring_modes_lie_on_the_circle);
    RUN(ring_dataset_statistics);
    RUN(ring_through_the_dataloader_and_direct_batches);
    RUN(quality_metrics_on_real_and_uniform_points);
    RUN(bce_with_logits_matches_double_reference);
    RUN(training_step_keeps_the_optimizers_apart);
    RUN(bad_config_is_a_runtime_error);
    RUN(learns_the_ring);
    RUN(same_seed_same_bits);
    RUN(stream_dataset_is_the_plain_loops_data);
    RUN(learns_the_ring_through_the_trainer);
    RUN(trainer_same_seed_same_bits_as_plain_loop);
    return harness_summary();
}
