/* The ring GAN as a Lightning module with manual optimization, fitted by the
 * Trainer (see module.h). Static names carry a gm_ prefix: tests/test-gan.c
 * compiles this file into one unit with gan.c and ring.c. */
#include "module.h"

#include <math.h>
#include <string.h>

#include "litc/litc.h"

/* ---------------------------------------------------------------- data */

static int64_t gm_stream_len(void *user) { return ((const gan_stream *)user)->n; }

static lit_status gm_stream_get(void *user, int64_t index, lit_sample *out, lit_arena *arena) {
    const gan_stream *s = user;
    if (index < 0 || index >= s->n)
        return lit_set_error(LIT_ERR_INVALID_ARG, "gan stream: index %lld out of range [0, %lld)", (long long)index,
                             (long long)s->n);
    lit_tensor *x = lit_tensor_new(arena, LIT_F32, LIT_SHAPE(2));
    if (!x) return LIT_ERR_NOMEM;
    /* The plain loop's data stream, positioned at point `index`: one Philox
     * block per point, so this is the index-th point gan_ring_batch draws. */
    lit_rng r = gan_rng(s->seed, GAN_RNG_DATA);
    r.counter += (uint64_t)index;
    int32_t k;
    gan_ring_fill(s->ring, lit_f32(x), 1, &r, &k);
    memset(out, 0, sizeof *out);
    out->n = 2;
    out->fields[0] = (lit_field){.name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x};
    out->fields[1] = (lit_field){.name = "mode", .kind = LIT_FIELD_INT, .i = k};
    out->index = index;
    return LIT_OK;
}

lit_dataset gan_stream_dataset(gan_stream *s) {
    LIT_ASSERT(s && s->ring, "gan_stream_dataset: pass a gan_stream with its ring set");
    return (lit_dataset){.version = LIT_DATASET_VERSION, .len = gm_stream_len, .get = gm_stream_get, .user = s};
}

/* ---------------------------------------------------------------- the module */

typedef struct {
    const gan_fit_config *c;
    gan_model model;
    lit_param_store *all;   /* both networks, for the Trainer */
    lit_rng noise_rng;
    lit_module module;
    lit_status hook_st;     /* a failed lit_manual_backward (gan's backward hook returns void) */
    gan_step_losses last;
    int64_t batches, tail_from, tail_n;
    double d_sum, g_sum, t0;
    /* datamodule */
    gan_stream stream;
    lit_dataloader *train_dl;
} gm_state;

static void gm_backward(lit_tensor *loss, void *user) {
    gm_state *s = user;
    if (s->hook_st >= 0) s->hook_st = lit_manual_backward(&s->module, loss);
}

/* gan_training_step hands us the optimizer; the Trainer wants its index. */
static lit_status gm_optimizer_step(lit_optimizer *opt, void *user) {
    gm_state *s = user;
    if (s->hook_st < 0) return s->hook_st; /* backward failed: do not step */
    int n;
    lit_optimizer **opts = lit_module_optimizers(&s->module, &n);
    for (int i = 0; i < n; i++)
        if (opts[i] == opt) return lit_manual_optimizer_step(&s->module, i);
    return lit_set_error(LIT_ERR_STATE, "gan: an optimizer not returned by configure_optimizers was stepped");
}

static lit_status gm_configure_optimizers(lit_module *m, lit_optim_config *cfg) {
    gm_state *s = m->user;
    lit_optimizer *opt_g, *opt_d;
    LIT_TRY(gan_configure_optimizers(&s->model, &opt_g, &opt_d));
    lit_status st = lit_optim_config_add(cfg, opt_g); /* index 0: generator */
    if (st < 0) {
        lit_optimizer_free(opt_d);
        return st;
    }
    return lit_optim_config_add(cfg, opt_d);          /* index 1: discriminator */
}

static lit_status gm_training_step(lit_module *m, lit_batch *b, int64_t batch_idx, lit_tensor **loss) {
    gm_state *s = m->user;
    int n;
    lit_optimizer **opts = lit_module_optimizers(m, &n);
    const gan_step_hooks hooks = {gm_backward, gm_optimizer_step, s};
    s->hook_st = LIT_OK;
    LIT_TRY(gan_training_step(&s->model, lit_batch_get(b, "x"), &s->noise_rng, opts[0], opts[1], &hooks, &s->last));
    LIT_TRY(s->hook_st);
    LIT_TRY(lit_module_log_scalar(m, "d_loss", s->last.d_loss, .prog_bar = 1));
    LIT_TRY(lit_module_log_scalar(m, "g_loss", s->last.g_loss, .prog_bar = 1));
    *loss = NULL; /* both steps are done; nothing for the Trainer to optimize */

    /* The plain loop's bookkeeping: tail means and progress lines. */
    s->batches = batch_idx + 1;
    if (batch_idx >= s->tail_from) {
        s->d_sum += s->last.d_loss;
        s->g_sum += s->last.g_loss;
        s->tail_n++;
    }
    const gan_fit_config *c = s->c;
    if (c->progress && c->log_every > 0 && (batch_idx + 1) % c->log_every == 0) {
        fprintf(c->progress,
                "step %6lld/%lld  d_loss %.4f  g_loss %.4f  D(x) %.3f  D(G(z)) %.3f  global_step %lld  %6.2fs\n",
                (long long)(batch_idx + 1), (long long)c->steps, s->last.d_loss, s->last.g_loss, s->last.d_real,
                s->last.d_fake, (long long)lit_module_global_step(m), lit_time_now() - s->t0);
        fflush(c->progress);
    }
    return LIT_OK;
}

static lit_status gm_on_train_start(lit_module *m) {
    ((gm_state *)m->user)->t0 = lit_time_now();
    return LIT_OK;
}

static const lit_module_vtable gm_vtable = {
    .version = LIT_MODULE_VERSION,
    .training_step = gm_training_step,
    .configure_optimizers = gm_configure_optimizers,
    .on_train_start = gm_on_train_start,
};

static lit_dataloader *gm_train_dataloader(void *user) {
    gm_state *s = user;
    if (!s->train_dl) {
        lit_dataset ds = gan_stream_dataset(&s->stream);
        lit_dataloader_params p = lit_dataloader_default_params();
        p.batch_size = s->c->batch_size;
        p.shuffle = 0; /* in stream order: batch s is the plain loop's step s */
        s->train_dl = lit_dataloader_new(&ds, &p);
    }
    return s->train_dl;
}

/* ---------------------------------------------------------------- fit */

static void gm_register_all(lit_param_store *all, const lit_param_store *from) {
    for (int i = 0; i < lit_param_store_len(from); i++)
        lit_param_store_register(all, lit_param_store_name(from, i), lit_param_store_tensor(from, i),
                                 lit_param_store_is_buffer(from, i));
}

static uint64_t gm_hash(uint64_t h, lit_tensor **p, int n) {
    for (int i = 0; i < n; i++) {
        const unsigned char *b = p[i]->data;
        for (size_t j = 0; j < (size_t)p[i]->numel * sizeof(float); j++) h = (h ^ b[j]) * 1099511628211ull;
    }
    return h;
}

lit_status gan_fit_trainer(const gan_fit_config *c, const lit_trainer_params *tp, gan_trainer_result *out) {
    memset(out, 0, sizeof *out);
    out->logged_d_loss = out->logged_g_loss = NAN;
    if (c->steps < 1) return lit_set_error(LIT_ERR_CONFIG, "gan: steps is %lld; pass 1 or more", (long long)c->steps);
    if (c->batch_size < 1)
        return lit_set_error(LIT_ERR_CONFIG, "gan: batch size is %lld; pass 1 or more", (long long)c->batch_size);
    if (c->eval_samples < 1)
        return lit_set_error(LIT_ERR_CONFIG, "gan: eval_samples is %lld; pass 1 or more", (long long)c->eval_samples);
    if (c->threads < 0) return lit_set_error(LIT_ERR_CONFIG, "gan: threads is %d; pass 0 or more", c->threads);
    gan_ring ring;
    LIT_TRY(gan_ring_init(&ring, &c->ring));
    if (c->threads > 0) lit_set_num_threads(c->threads);

    gm_state s;
    memset(&s, 0, sizeof s);
    s.c = c;
    s.noise_rng = gan_rng(c->seed, GAN_RNG_NOISE);
    s.tail_from = c->steps - (c->steps + 9) / 10;
    s.stream = (gan_stream){.ring = &ring, .seed = c->seed, .n = c->steps * c->batch_size};
    lit_rng init_rng = gan_rng(c->seed, GAN_RNG_INIT), eval_rng = gan_rng(c->seed, GAN_RNG_EVAL);
    LIT_TRY(gan_model_init(&s.model, &c->model, &init_rng));
    /* The module's `params` (model summary, train/eval switch, zero_grad at
     * setup) is one store viewing both networks' tensors (not owning them). */
    if (!(s.all = lit_param_store_new("gan"))) {
        gan_model_free(&s.model);
        return lit_set_error(LIT_ERR_NOMEM, "gan: out of memory for the parameter store");
    }
    gm_register_all(s.all, s.model.g_store);
    gm_register_all(s.all, s.model.d_store);
    lit_module_init(&s.module, &gm_vtable, s.all, &s);
    s.module.automatic_optimization = 0;
    lit_datamodule dm = {.version = LIT_DATAMODULE_VERSION, .train_dataloader = gm_train_dataloader, .user = &s};

    lit_trainer_params p = tp ? *tp : lit_trainer_default_params();
    p.max_steps = 2 * c->steps; /* optimizer steps: one D and one G per batch */
    p.max_epochs = -1;
    p.seed = -1;
    lit_trainer *tr = NULL;
    lit_arena *eval = NULL, *prev = NULL;
    lit_status st = lit_trainer_new(&tr, &p);
    if (st >= 0) st = lit_trainer_fit(tr, &s.module, &dm, NULL);
    if (st < 0) goto done;
    out->fit.seconds = lit_time_now() - s.t0;
    out->global_step = lit_trainer_global_step(tr);
    out->epochs = lit_trainer_current_epoch(tr);
    out->batches = s.batches;
    lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "d_loss", &out->logged_d_loss);
    lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "g_loss", &out->logged_g_loss);
    double v;
    out->on_prog_bar = lit_trainer_get_metric(tr, LIT_METRICS_PROGRESS_BAR, "d_loss", &v) &&
                       lit_trainer_get_metric(tr, LIT_METRICS_PROGRESS_BAR, "g_loss", &v);

    out->fit.steps = s.batches;
    out->fit.last = s.last;
    out->fit.d_loss_avg = s.tail_n ? s.d_sum / (double)s.tail_n : NAN;
    out->fit.g_loss_avg = s.tail_n ? s.g_sum / (double)s.tail_n : NAN;
    if (!(eval = lit_arena_new("gan-eval", 0))) {
        st = lit_set_error(LIT_ERR_NOMEM, "gan: out of memory for the evaluation arena");
        goto done;
    }
    prev = lit_arena_use(eval);
    lit_tensor *fake = gan_sample(&s.model, c->eval_samples, &eval_rng);
    out->fit.quality = gan_ring_evaluate(&ring, lit_f32(fake), c->eval_samples, &c->quality);
    uint64_t h = gm_hash(14695981039346656037ull, s.model.g_params, s.model.n_g_params);
    out->fit.weights_hash = gm_hash(h, s.model.d_params, s.model.n_d_params);

done:
    if (prev) lit_arena_use(prev);
    lit_arena_free(eval);
    lit_trainer_free(tr); /* frees opt_g and opt_d */
    lit_dataloader_free(s.train_dl);
    lit_module_deinit(&s.module);
    lit_param_store_free(s.all);
    gan_model_free(&s.model);
    return st;
}
