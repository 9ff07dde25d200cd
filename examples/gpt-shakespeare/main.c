/*
 * gpt-shakespeare — a character-level GPT in the shape of nanoGPT's CPU
 * recipe (4 layers, 4 heads, 128 wide, context 64, batch 12, 2000 steps, no
 * dropout, AdamW with warm-up and cosine decay, weight decay 0.1, gradient
 * clipping 1.0), trained by the Trainer on the 38 plays of
 * data/shakespeare.txt (scripts/fetch-data.sh), then sampled. See README.md.
 *
 *     ./build/gpt-shakespeare [--data PATH] [--steps N] [--threads T] [--sample N]
 *
 * Other Trainer arguments come from LIT_TRAINER_<NAME> variables.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt.h"

/* Generate `n` bytes after "\n" (nanoGPT's sample.py: temperature 0.8). */
static lit_status sample(gpt_module *m, const text_datamodule *dm, int n, uint64_t seed) {
    const int64_t T = m->cfg.block_size;
    int64_t *ctx = calloc((size_t)(T + n), sizeof *ctx), len = 1;
    if (!ctx) return LIT_ERR_NOMEM;
    for (int c = 0; c < dm->vocab; c++)
        if (dm->chars[c] == '\n') ctx[0] = c;
    lit_rng rng = lit_rng_new(seed);
    int grad = lit_set_grad_enabled(0);
    lit_status st = LIT_OK;
    for (int i = 0; i < n && st >= 0; i++, len++) {
        int64_t start = len > T ? len - T : 0, t = len - start;
        lit_tensor *idx = lit_tensor_new(lit_arena_current(), LIT_I64, LIT_SHAPE(1, t));
        memcpy(lit_i64(idx), ctx + start, (size_t)t * sizeof *ctx);
        lit_tensor *last = lit_select(lit_select(gpt_forward(m, idx), 0, 0), 0, t - 1);
        lit_tensor *next = NULL;
        st = lit_categorical(lit_div_scalar(last, 0.8), &rng, &next);
        if (st >= 0) ctx[len] = lit_i64(next)[0], putchar(dm->chars[ctx[len]]);
        lit_arena_reset(lit_arena_current());
    }
    putchar('\n');
    lit_set_grad_enabled(grad);
    free(ctx);
    return st;
}

int main(int argc, char **argv) {
    const char *data = LITC_SOURCE_DIR "/data/shakespeare.txt";
    gpt_config cfg = gpt_default_config();
    int threads = 0, n_sample = 500;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--data") && v) data = v, i++;
        else if (!strcmp(a, "--steps") && v) cfg.max_steps = atoll(v), i++;
        else if (!strcmp(a, "--threads") && v) threads = atoi(v), i++;
        else if (!strcmp(a, "--sample") && v) n_sample = atoi(v), i++;
        else {
            fprintf(stderr, "usage: gpt-shakespeare [--data PATH] [--steps N] [--threads T] [--sample N]\n");
            return strcmp(a, "-h") && strcmp(a, "--help") ? 2 : 0;
        }
    }
    if (cfg.max_steps < 1) return fprintf(stderr, "gpt-shakespeare: --steps must be >= 1\n"), 2;
    if (threads > 0) lit_set_num_threads(threads);
    text_datamodule dm;
    gpt_module m;
    lit_trainer *tr = NULL;
    lit_status st = text_datamodule_init(&dm, data, cfg.block_size, 12, cfg.seed);
    if (st < 0) return fprintf(stderr, "gpt-shakespeare: %s\n", lit_last_error()), 3;
    cfg.vocab = dm.vocab;
    printf("corpus: %s, %lld bytes, vocabulary of %d characters\n", data, (long long)dm.n_tokens, dm.vocab);
    st = gpt_module_init(&m, &cfg);
    lit_trainer_params p = lit_trainer_default_params();
    p.max_steps = cfg.max_steps, p.max_epochs = -1, p.seed = (int64_t)cfg.seed;
    p.val_check_batches = cfg.max_steps < 500 ? cfg.max_steps : 500, p.limit_val_batches = 100;
    p.num_sanity_val_steps = 0, p.gradient_clip_val = 1.0, p.log_every_n_steps = 50;
    if (st >= 0) st = lit_trainer_params_from_env(&p);
    if (st >= 0) st = lit_trainer_new(&tr, &p);
    double t0 = lit_time_now(), val = NAN;
    if (st >= 0) st = lit_trainer_fit(tr, &m.base, dm.dm, NULL);
    double secs = lit_time_now() - t0;
    if (st >= 0 && lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "val/loss", &val))
        printf("val/loss %.4f nats/char after %lld steps in %.1f s (%.1f ms/step)\n", val,
               (long long)lit_trainer_global_step(tr), secs, 1e3 * secs / (double)lit_trainer_global_step(tr));
    if (st >= 0 && n_sample > 0) st = sample(&m, &dm, n_sample, cfg.seed);
    if (st < 0) fprintf(stderr, "gpt-shakespeare: %s\n", lit_last_error());
    lit_trainer_free(tr);
    gpt_module_free(&m);
    text_datamodule_free(&dm);
    return st < 0 ? 1 : 0;
}
