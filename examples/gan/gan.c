/* The ring GAN: networks, losses, the manual-optimization step (see gan.h). */
#include "gan.h"

#include <math.h>
#include <string.h>

#include "litc/litc.h"

gan_config gan_default_config(void) {
    return (gan_config){
        .noise_dim = 4,
        .g_hidden = 64,
        .d_hidden = 64,
        .leaky_slope = 0.2,
        .lr_g = 1e-3,
        .lr_d = 1e-3,
        .betas = {0.5, 0.999},
    };
}

static lit_status check_config(const gan_config *c) {
    if (c->noise_dim < 1) return lit_set_error(LIT_ERR_CONFIG, "gan: noise_dim is %d; pass 1 or more", c->noise_dim);
    if (c->g_hidden < 1 || c->d_hidden < 1)
        return lit_set_error(LIT_ERR_CONFIG, "gan: hidden sizes are %lld (G) and %lld (D); pass positive sizes",
                             (long long)c->g_hidden, (long long)c->d_hidden);
    if (!(c->leaky_slope >= 0 && c->leaky_slope < 1))
        return lit_set_error(LIT_ERR_CONFIG, "gan: leaky_slope is %g; pass a value in [0, 1) such as 0.2",
                             c->leaky_slope);
    if (!(c->lr_g > 0 && isfinite(c->lr_g)) || !(c->lr_d > 0 && isfinite(c->lr_d)))
        return lit_set_error(LIT_ERR_CONFIG, "gan: learning rates are %g (G) and %g (D); pass positive numbers",
                             c->lr_g, c->lr_d);
    return LIT_OK;
}

lit_status gan_model_init(gan_model *m, const gan_config *c, lit_rng *rng) {
    LIT_ASSERT(m != NULL && c != NULL, "gan_model_init: model and config must not be NULL");
    memset(m, 0, sizeof *m);
    LIT_TRY(check_config(c));
    m->c = *c;
    m->g_store = lit_param_store_new("generator");
    m->d_store = lit_param_store_new("discriminator");
    if (!m->g_store || !m->d_store) {
        gan_model_free(m);
        return lit_set_error(LIT_ERR_NOMEM, "gan: out of memory for the parameter stores");
    }
    const int64_t gs[4] = {c->noise_dim, c->g_hidden, c->g_hidden, 2};
    lit_status st = lit_nn_mlp_init(&m->g, m->g_store, "generator.net", 4, gs, LIT_NN_ACT_RELU, 0.0, 1, rng);
    const int64_t ds[4] = {2, c->d_hidden, c->d_hidden, 1};
    for (int i = 0; i < 3 && st == LIT_OK; i++)
        st = lit_nn_linear_init(&m->d[i], m->d_store, LIT_NAME("discriminator.net.layers.%d", i), ds[i], ds[i + 1],
                                1, rng);
    if (st < 0) { /* out of memory, naming the parameter */
        gan_model_free(m);
        return st;
    }
    m->g_params = lit_param_store_trainable(m->g_store, &m->n_g_params);
    m->d_params = lit_param_store_trainable(m->d_store, &m->n_d_params);
    return LIT_OK;
}

void gan_model_free(gan_model *m) {
    if (!m) return;
    lit_param_store_free(m->g_store);
    lit_param_store_free(m->d_store);
    memset(m, 0, sizeof *m);
}

lit_status gan_configure_optimizers(const gan_model *m, lit_optimizer **opt_g, lit_optimizer **opt_d) {
    *opt_g = *opt_d = NULL;
    lit_adam_params ap = lit_adam_default_params();
    ap.betas[0] = m->c.betas[0];
    ap.betas[1] = m->c.betas[1];
    ap.lr = m->c.lr_g;
    *opt_g = lit_adam_new(&ap, m->g_params, m->n_g_params);
    if (!*opt_g) return LIT_ERR_CONFIG; /* the message names the hyperparameter */
    ap.lr = m->c.lr_d;
    *opt_d = lit_adam_new(&ap, m->d_params, m->n_d_params);
    if (!*opt_d) {
        lit_optimizer_free(*opt_g);
        *opt_g = NULL;
        return LIT_ERR_CONFIG;
    }
    return LIT_OK;
}

lit_tensor *gan_noise(const gan_model *m, int64_t n, lit_rng *rng) {
    LIT_ASSERT(n >= 1, "gan_noise: n is %lld; pass 1 or more", (long long)n);
    return lit_randn(LIT_SHAPE(n, m->c.noise_dim), rng);
}

lit_tensor *gan_generate(const gan_model *m, lit_tensor *z) { return lit_nn_mlp_forward(&m->g, z); }

/* LeakyReLU(x) = slope*x + (1 - slope)*relu(x); plain ReLU when slope is 0. */
static lit_tensor *leaky_relu(lit_tensor *x, double slope) {
    if (slope == 0) return lit_relu(x);
    return lit_add(lit_mul_scalar(x, slope), lit_mul_scalar(lit_relu(x), 1.0 - slope));
}

lit_tensor *gan_discriminate(const gan_model *m, lit_tensor *x) {
    LIT_ASSERT(x->ndim == 2 && x->shape[1] == 2, "gan_discriminate: x is %s; pass points of shape (B, 2)",
               LIT_SHAPE_STR(x));
    lit_tensor *h = leaky_relu(lit_nn_linear_forward(&m->d[0], x), m->c.leaky_slope);
    h = leaky_relu(lit_nn_linear_forward(&m->d[1], h), m->c.leaky_slope);
    return lit_nn_linear_forward(&m->d[2], h);
}

lit_tensor *gan_sample(const gan_model *m, int64_t n, lit_rng *rng) {
    int prev = lit_set_grad_enabled(0);
    lit_tensor *x = gan_generate(m, gan_noise(m, n, rng));
    lit_set_grad_enabled(prev);
    return x;
}

/* BCE with logits x and target y, elementwise:
 *   max(x, 0) - x*y + log(1 + exp(-|x|))
 * with max(x, 0) written as (x + |x|) / 2, i.e.
 *   x*(1/2 - y) + |x|/2 + log(1 + exp(-|x|)).
 * exp only sees non-positive numbers (no overflow), and the gradient is
 * sigmoid(x) - y everywhere, also at x = 0, where relu and abs would both
 * contribute a zero subgradient (giving -y instead of 1/2 - y). */
static lit_tensor *bce_elems(lit_tensor *x, lit_tensor *half_minus_y) {
    lit_tensor *a = lit_abs(x);
    lit_tensor *log1p_exp = lit_log(lit_add_scalar(lit_exp(lit_neg(a)), 1.0));
    return lit_add(lit_add(lit_mul(x, half_minus_y), lit_mul_scalar(a, 0.5)), log1p_exp);
}

lit_tensor *gan_bce_with_logits(lit_tensor *logits, lit_tensor *target) {
    return lit_mean_all(bce_elems(logits, lit_rsub_scalar(target, 0.5)));
}

lit_tensor *gan_bce_with_logits_const(lit_tensor *logits, double target) {
    return lit_mean_all(bce_elems(logits, lit_scalar(0.5 - target)));
}

lit_tensor *gan_d_loss(lit_tensor *real_logits, lit_tensor *fake_logits) {
    return lit_mul_scalar(
        lit_add(gan_bce_with_logits_const(real_logits, 1.0), gan_bce_with_logits_const(fake_logits, 0.0)), 0.5);
}

lit_tensor *gan_g_loss(lit_tensor *fake_logits) { return gan_bce_with_logits_const(fake_logits, 1.0); }

static void do_backward(const gan_step_hooks *h, lit_tensor *loss) {
    if (h && h->backward) h->backward(loss, h->user);
    else lit_backward(loss);
}

static lit_status do_step(const gan_step_hooks *h, lit_optimizer *opt) {
    if (h && h->optimizer_step) return h->optimizer_step(opt, h->user);
    return lit_optimizer_step(opt);
}

static float mean_sigmoid(const lit_tensor *logits) {
    double s = 0;
    for (int64_t i = 0; i < logits->numel; i++) s += 1.0 / (1.0 + exp(-lit_get_flat(logits, i)));
    return (float)(s / (double)logits->numel);
}

lit_status gan_training_step(gan_model *m, lit_tensor *x, lit_rng *noise_rng, lit_optimizer *opt_g,
                             lit_optimizer *opt_d, const gan_step_hooks *hooks, gan_step_losses *out) {
    LIT_ASSERT(m && x && noise_rng && opt_g && opt_d, "gan_training_step: model, batch, rng and optimizers are required");
    LIT_ASSERT(x->ndim == 2 && x->shape[0] >= 1 && x->shape[1] == 2,
               "gan_training_step: batch is %s; pass real points of shape (B, 2)", LIT_SHAPE_STR(x));
    LIT_ASSERT(x->dtype == LIT_F32, "gan_training_step: batch is %s; pass f32", lit_dtype_name(x->dtype));
    gan_step_losses l = {0};
    int64_t b = x->shape[0];
    lit_tensor *fake = gan_generate(m, gan_noise(m, b, noise_rng));

    /* ---- discriminator: real vs detached fake */
    lit_optimizer_zero_grad(opt_d, 1);
    lit_tensor *real_logits = gan_discriminate(m, x);
    lit_tensor *fake_logits = gan_discriminate(m, lit_detach(fake));
    lit_tensor *d_loss = gan_d_loss(real_logits, fake_logits);
    l.d_loss = (float)lit_item(d_loss);
    l.d_real = mean_sigmoid(real_logits);
    l.d_fake = mean_sigmoid(fake_logits);
    if (!isfinite(l.d_loss))
        return lit_set_error(LIT_ERR_NUMERIC, "gan: discriminator loss is %g; lower the learning rates", l.d_loss);
    do_backward(hooks, d_loss);
    LIT_TRY(do_step(hooks, opt_d));
    lit_optimizer_zero_grad(opt_d, 1);

    /* ---- generator: fake through the updated D, D frozen (toggle_optimizer) */
    lit_param_store_freeze(m->d_store, NULL);
    lit_optimizer_zero_grad(opt_g, 1);
    lit_tensor *g_loss = gan_g_loss(gan_discriminate(m, fake));
    l.g_loss = (float)lit_item(g_loss);
    lit_status st = LIT_OK;
    if (!isfinite(l.g_loss)) {
        st = lit_set_error(LIT_ERR_NUMERIC, "gan: generator loss is %g; lower the learning rates", l.g_loss);
    } else {
        do_backward(hooks, g_loss);
        st = do_step(hooks, opt_g);
        lit_optimizer_zero_grad(opt_g, 1);
    }
    lit_param_store_unfreeze(m->d_store, NULL);
    lit_optimizer_zero_grad(opt_d, 1); /* whatever the G step left on D is dropped */
    if (out) *out = l;
    return st;
}

/* ---------------------------------------------------------------- plain loop */

gan_fit_config gan_fit_default_config(void) {
    return (gan_fit_config){
        .model = gan_default_config(),
        .ring = gan_ring_default_config(),
        .steps = 3000,
        .batch_size = 128,
        .eval_samples = 2500,
        .quality = gan_ring_quality_default_params(),
        .seed = 0,
        .threads = 0,
        .log_every = 0,
        .progress = NULL,
    };
}

lit_rng gan_rng(uint64_t seed, gan_rng_stream stream) {
    lit_rng r = lit_rng_new(seed);
    r.counter = (uint64_t)stream << 40;
    return r;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

lit_status gan_fit_plain(const gan_fit_config *c, gan_fit_result *out) {
    memset(out, 0, sizeof *out);
    if (c->steps < 1) return lit_set_error(LIT_ERR_CONFIG, "gan: steps is %lld; pass 1 or more", (long long)c->steps);
    if (c->batch_size < 1)
        return lit_set_error(LIT_ERR_CONFIG, "gan: batch size is %lld; pass 1 or more", (long long)c->batch_size);
    if (c->eval_samples < 1)
        return lit_set_error(LIT_ERR_CONFIG, "gan: eval_samples is %lld; pass 1 or more", (long long)c->eval_samples);
    if (c->threads < 0) return lit_set_error(LIT_ERR_CONFIG, "gan: threads is %d; pass 0 or more", c->threads);
    gan_ring ring;
    LIT_TRY(gan_ring_init(&ring, &c->ring));
    if (c->threads > 0) lit_set_num_threads(c->threads);

    gan_model m;
    lit_rng init_rng = gan_rng(c->seed, GAN_RNG_INIT), data_rng = gan_rng(c->seed, GAN_RNG_DATA),
            noise_rng = gan_rng(c->seed, GAN_RNG_NOISE), eval_rng = gan_rng(c->seed, GAN_RNG_EVAL);
    LIT_TRY(gan_model_init(&m, &c->model, &init_rng));
    lit_optimizer *opt_g = NULL, *opt_d = NULL;
    lit_arena *step = NULL, *prev = NULL;
    lit_status st = gan_configure_optimizers(&m, &opt_g, &opt_d);
    if (st < 0) goto done;
    step = lit_arena_new("gan-step", 0);
    if (!step) {
        st = LIT_ERR_NOMEM;
        goto done;
    }
    prev = lit_arena_use(step);

    int64_t tail_from = c->steps - (c->steps + 9) / 10, tail_n = 0;
    double t0 = lit_time_now();
    for (int64_t s = 0; s < c->steps; s++) {
        lit_tensor *x = gan_ring_batch(&ring, c->batch_size, &data_rng, NULL);
        if ((st = gan_training_step(&m, x, &noise_rng, opt_g, opt_d, NULL, &out->last)) < 0) goto done;
        lit_arena_reset(step);
        out->steps = s + 1;
        if (s >= tail_from) {
            out->d_loss_avg += out->last.d_loss;
            out->g_loss_avg += out->last.g_loss;
            tail_n++;
        }
        if (c->progress && c->log_every > 0 && (s + 1) % c->log_every == 0) {
            fprintf(c->progress, "step %6lld/%lld  d_loss %.4f  g_loss %.4f  D(x) %.3f  D(G(z)) %.3f  %6.2fs\n",
                    (long long)(s + 1), (long long)c->steps, out->last.d_loss, out->last.g_loss, out->last.d_real,
                    out->last.d_fake, lit_time_now() - t0);
            fflush(c->progress);
        }
    }
    out->seconds = lit_time_now() - t0;
    out->d_loss_avg /= (double)tail_n;
    out->g_loss_avg /= (double)tail_n;

    lit_tensor *fake = gan_sample(&m, c->eval_samples, &eval_rng);
    out->quality = gan_ring_evaluate(&ring, lit_f32(fake), c->eval_samples, &c->quality);
    lit_arena_reset(step);

    out->weights_hash = 14695981039346656037ull;
    for (int i = 0; i < m.n_g_params; i++)
        out->weights_hash = fnv1a(out->weights_hash, m.g_params[i]->data, (size_t)m.g_params[i]->numel * sizeof(float));
    for (int i = 0; i < m.n_d_params; i++)
        out->weights_hash = fnv1a(out->weights_hash, m.d_params[i]->data, (size_t)m.d_params[i]->numel * sizeof(float));
    out->step_arena_bytes = lit_arena_high_water(step);
    out->step_arena_mallocs = lit_arena_malloc_count(step);

done:
    if (prev) lit_arena_use(prev);
    lit_arena_free(step);
    lit_optimizer_free(opt_g);
    lit_optimizer_free(opt_d);
    gan_model_free(&m);
    return st;
}
