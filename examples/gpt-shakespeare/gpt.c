/* The character-level GPT and its data (see gpt.h). */
#include "gpt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

gpt_config gpt_default_config(void) {
    return (gpt_config){ .vocab = 256, .block_size = 64, .n_layer = 4, .n_head = 4, .n_embd = 128, .lr = 1e-3,
                         .min_lr = 1e-4, .weight_decay = 0.1, .warmup_steps = 100, .max_steps = 2000, .seed = 1337 };
}

/* ---------------------------------------------------------------- model */

lit_tensor *gpt_forward(const gpt_module *m, lit_tensor *idx) {
    lit_tensor *pos = lit_arange_int(LIT_I64, 0, idx->shape[1], 1);
    lit_tensor *x = lit_add(lit_nn_embedding_forward(&m->wte, idx), lit_nn_embedding_forward(&m->wpe, pos));
    for (int64_t l = 0; l < m->cfg.n_layer; l++) {
        const gpt_block *b = &m->blocks[l];
        x = lit_add(x, lit_nn_self_attention_forward(&b->attn, lit_nn_layer_norm_forward(&b->ln1, x)));
        x = lit_add(x, lit_nn_mlp_forward(&b->mlp, lit_nn_layer_norm_forward(&b->ln2, x)));
    }
    return lit_nn_linear_forward(&m->head, lit_nn_layer_norm_forward(&m->ln_f, x));
}

static lit_status gpt_training_step(lit_module *lm, lit_batch *b, int64_t batch_idx, lit_tensor **loss) {
    (void)batch_idx;
    *loss = lit_cross_entropy(gpt_forward(lm->user, lit_batch_get(b, "x")), lit_batch_get(b, "y"), NULL);
    return lit_module_log(lm, "train/loss", *loss, .prog_bar = 1);
}

static lit_status gpt_validation_step(lit_module *lm, lit_batch *b, int64_t batch_idx, int dl, lit_tensor **out) {
    (void)batch_idx, (void)dl;
    *out = lit_cross_entropy(gpt_forward(lm->user, lit_batch_get(b, "x")), lit_batch_get(b, "y"), NULL);
    return lit_module_log(lm, "val/loss", *out, .prog_bar = 1);
}

/* nanoGPT's schedule as a LambdaLR factor: linear warm-up, cosine to min_lr. */
static double gpt_lr_factor(int64_t step, void *user) {
    const gpt_config *c = user;
    if (step < c->warmup_steps) return (double)(step + 1) / (double)(c->warmup_steps + 1);
    if (step >= c->max_steps) return c->min_lr / c->lr;
    double t = (double)(step - c->warmup_steps) / (double)(c->max_steps - c->warmup_steps);
    return (c->min_lr + 0.5 * (1.0 + cos(M_PI * t)) * (c->lr - c->min_lr)) / c->lr;
}

static lit_status gpt_configure_optimizers(lit_module *lm, lit_optim_config *cfg) {
    gpt_module *m = lm->user;
    lit_adam_params ap = lit_adamw_default_params();
    ap.lr = m->cfg.lr, ap.betas[1] = 0.99;
    lit_optimizer *opt = lit_adamw_new(&ap, NULL, 0);
    if (!opt) return LIT_ERR_NOMEM;
    LIT_TRY(lit_optimizer_add_weight_decay_groups(opt, m->store, m->cfg.weight_decay));
    LIT_TRY(lit_optim_config_add(cfg, opt));
    lit_lambda_lr_params lp = lit_lambda_lr_default_params();
    lp.fn = gpt_lr_factor, lp.user = &m->cfg;
    lit_lr_scheduler_config sc = { .scheduler = lit_lambda_lr_new(opt, &lp), .interval = LIT_INTERVAL_STEP };
    return lit_optim_config_add_scheduler(cfg, &sc);
}

static const lit_module_vtable gpt_vtable = { .version = LIT_MODULE_VERSION,
                                              .training_step = gpt_training_step,
                                              .validation_step = gpt_validation_step,
                                              .configure_optimizers = gpt_configure_optimizers };

lit_status gpt_module_init(gpt_module *m, const gpt_config *cfg) {
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    const int64_t E = cfg->n_embd, mlp[3] = { E, 4 * E, E };
    if (cfg->n_layer < 1 || cfg->n_layer > GPT_MAX_LAYERS || E % cfg->n_head)
        return lit_set_error(LIT_ERR_CONFIG, "gpt: %lld layers (1..%d) of width %lld over %lld heads (must divide)",
                             (long long)cfg->n_layer, GPT_MAX_LAYERS, (long long)E, (long long)cfg->n_head);
    if (!(m->store = lit_param_store_new("gpt"))) return LIT_ERR_NOMEM;
    lit_rng rng = lit_rng_new(cfg->seed);
    lit_status st = lit_nn_embedding_init(&m->wte, m->store, "wte", cfg->vocab, E, -1, &rng);
    if (st >= 0) st = lit_nn_embedding_init(&m->wpe, m->store, "wpe", cfg->block_size, E, -1, &rng);
    for (int64_t l = 0; l < cfg->n_layer && st >= 0; l++) {
        gpt_block *b = &m->blocks[l];
        const char *p = LIT_NAME("blocks.%lld", (long long)l);
        st = lit_nn_layer_norm_init(&b->ln1, m->store, LIT_SUBNAME(p, "ln1"), E, 1e-5, 1, 0);
        if (st >= 0) st = lit_nn_self_attention_init(&b->attn, m->store, LIT_SUBNAME(p, "attn"), E, cfg->n_head, 1, 0,
                                                     0.0, &rng);
        if (st >= 0) st = lit_nn_layer_norm_init(&b->ln2, m->store, LIT_SUBNAME(p, "ln2"), E, 1e-5, 1, 0);
        if (st >= 0) st = lit_nn_mlp_init(&b->mlp, m->store, LIT_SUBNAME(p, "mlp"), 3, mlp, LIT_NN_ACT_GELU, 0.0, 0, &rng);
    }
    if (st >= 0) st = lit_nn_layer_norm_init(&m->ln_f, m->store, "ln_f", E, 1e-5, 1, 0);
    if (st >= 0) st = lit_nn_linear_init(&m->head, m->store, "head", E, cfg->vocab, 0, &rng);
    if (st < 0) {
        lit_param_store_free(m->store);
        m->store = NULL;
        return st;
    }
    /* nanoGPT's initialisation: weights N(0, 0.02), the residual projections
     * scaled by 1/sqrt(2 * n_layer); LayerNorm weights stay 1. */
    for (int i = 0; i < lit_param_store_len(m->store); i++) {
        lit_tensor *w = lit_param_store_tensor(m->store, i);
        const char *name = lit_param_store_name(m->store, i);
        int residual = strstr(name, "attn.proj") || strstr(name, "mlp.layers.1");
        if (w->ndim >= 2) lit_nn_init_normal_(w, 0.0, residual ? 0.02 / sqrt(2.0 * cfg->n_layer) : 0.02, &rng);
    }
    lit_module_init(&m->base, &gpt_vtable, m->store, m);
    return LIT_OK;
}

void gpt_module_free(gpt_module *m) {
    if (!m->store) return;
    lit_module_deinit(&m->base);
    lit_param_store_free(m->store);
}

/* ---------------------------------------------------------------- data */

lit_status text_datamodule_init(text_datamodule *dm, const char *path, int64_t block_size, int64_t batch_size,
                                uint64_t seed) {
    memset(dm, 0, sizeof *dm);
    FILE *f;
    int64_t size;
    if (lit_file_open_read(&f, path, "corpus", &size) < 0)
        return lit_set_error(LIT_ERR_NOT_FOUND, "%s (run scripts/fetch-data.sh to fetch the Shakespeare corpus)",
                             lit_last_error());
    uint8_t *text = malloc(size ? (size_t)size : 1);
    dm->tokens = malloc((size ? (size_t)size : 1) * sizeof *dm->tokens);
    size_t got = text && dm->tokens ? fread(text, 1, (size_t)size, f) : 0;
    fclose(f);
    if (got != (size_t)size) {
        free(text);
        text_datamodule_free(dm);
        return lit_set_error(LIT_ERR_IO, "%s: could not read %lld bytes", path, (long long)size);
    }
    int32_t id[256]; /* the vocabulary: the bytes that occur, in byte order */
    int seen[256] = { 0 };
    for (int64_t i = 0; i < size; i++) seen[text[i]] = 1;
    for (int c = 0; c < 256; c++)
        if (seen[c]) dm->chars[dm->vocab] = (uint8_t)c, id[c] = dm->vocab++;
    for (int64_t i = 0; i < size; i++) dm->tokens[i] = id[text[i]];
    free(text);
    dm->n_tokens = size, dm->n_train = size * 9 / 10;
    /* Training: every offset a window, visited in a shuffled order (nanoGPT's
     * random windows); validation: the last tenth in consecutive windows. */
    lit_status st = lit_token_dataset_init(&dm->train, dm->tokens, LIT_I32, dm->n_train, block_size, 1, 0);
    if (st >= 0) st = lit_token_dataset_init(&dm->val, dm->tokens + dm->n_train, LIT_I32, dm->n_tokens - dm->n_train,
                                             block_size, 0, 0);
    lit_dataset train = lit_token_dataset_as_dataset(&dm->train), val = lit_token_dataset_as_dataset(&dm->val);
    lit_datasets_datamodule_params dp = lit_datasets_datamodule_default_params();
    dp.train = &train, dp.val = &val;
    dp.loader.batch_size = batch_size, dp.loader.shuffle = 1, dp.loader.seed = seed;
    if (st >= 0) st = lit_datasets_datamodule_new(&dm->dm, &dp);
    if (st < 0) text_datamodule_free(dm);
    return st;
}

void text_datamodule_free(text_datamodule *dm) {
    lit_datasets_datamodule_free(dm->dm);
    lit_token_dataset_free(&dm->train);
    lit_token_dataset_free(&dm->val);
    free(dm->tokens);
    memset(dm, 0, sizeof *dm);
}
