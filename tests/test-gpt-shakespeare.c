/*
 * tests/test-gpt-shakespeare.c — examples/gpt-shakespeare's model and data:
 * the parameter count of nanoGPT's model, the byte vocabulary and the 90/10
 * split of the corpus, a clear error without the corpus, and a short fit on
 * data/shakespeare.txt that learns and repeats bit for bit. Skipped (77) when
 * scripts/fetch-data.sh could not fetch the corpus.
 */
#include "harness.h"

#include <unistd.h>

#include "../examples/gpt-shakespeare/gpt.c"

static const char *CORPUS = LITC_SOURCE_DIR "/data/shakespeare.txt";

/* A fit of `steps` steps (warm-up 5) with 4 validation batches; the final
 * validation loss, or NAN. */
static double short_fit(int64_t steps, lit_status *st_out) {
    text_datamodule dm;
    gpt_module m;
    lit_trainer *tr = NULL;
    double val = NAN;
    gpt_config cfg = gpt_default_config();
    cfg.max_steps = steps, cfg.warmup_steps = 5;
    lit_status st = text_datamodule_init(&dm, CORPUS, cfg.block_size, 12, cfg.seed);
    if (st >= 0) cfg.vocab = dm.vocab, st = gpt_module_init(&m, &cfg);
    lit_trainer_params p = quiet_trainer_params();
    p.max_steps = steps, p.max_epochs = -1, p.seed = 7, p.val_check_batches = steps, p.limit_val_batches = 4;
    p.num_sanity_val_steps = 0, p.gradient_clip_val = 1.0;
    if (st >= 0) st = lit_trainer_new(&tr, &p);
    if (st >= 0) st = lit_trainer_fit(tr, &m.base, dm.dm, NULL);
    if (st >= 0 && !lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "val/loss", &val)) st = LIT_ERR_STATE;
    lit_trainer_free(tr);
    if (cfg.vocab == dm.vocab) gpt_module_free(&m);
    text_datamodule_free(&dm);
    *st_out = st;
    return val;
}

TEST(nanogpt_parameter_count) {
    gpt_config cfg = gpt_default_config();
    cfg.vocab = 65; /* tiny-shakespeare's: nanoGPT reports 0.80M parameters (its head tied to wte) */
    gpt_module m;
    CHECK_EQ_INT(gpt_module_init(&m, &cfg), LIT_OK);
    int64_t n = 0;
    for (int i = 0; i < lit_param_store_len(m.store); i++) n += lit_param_store_tensor(m.store, i)->numel;
    const int64_t E = 128, per_block = 2 * E + 3 * E * E + E * E + 2 * 4 * E * E;
    CHECK_EQ_INT(n, 65 * E + 64 * E + 4 * per_block + E + E * 65);
    gpt_module_free(&m);
    cfg.n_head = 3; /* 128 is not a multiple of 3 */
    CHECK_EQ_INT(gpt_module_init(&m, &cfg), LIT_ERR_CONFIG);
}

TEST(missing_corpus_names_the_fetch_script) {
    text_datamodule dm;
    CHECK_EQ_INT(text_datamodule_init(&dm, "/nonexistent/shakespeare.txt", 64, 12, 0), LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "scripts/fetch-data.sh");
}

TEST(corpus_vocabulary_and_split) {
    if (access(CORPUS, R_OK) != 0) {
        SKIP("%s is missing (scripts/fetch-data.sh fetches it)", CORPUS);
        return;
    }
    text_datamodule dm;
    CHECK_EQ_INT(text_datamodule_init(&dm, CORPUS, 64, 12, 0), LIT_OK);
    CHECK_EQ_INT(dm.n_tokens, 4962018);
    CHECK_EQ_INT(dm.n_train, 4962018 * 9 / 10);
    int newline = -1;
    for (int c = 0; c < dm.vocab; c++) {
        if (c) CHECK(dm.chars[c - 1] < dm.chars[c]); /* byte order */
        if (dm.chars[c] == '\n') newline = c;
    }
    CHECK(newline >= 0);
    CHECK(dm.vocab > 60 && dm.vocab < 100);
    /* "# A Midsummer Night's Dream\n" opens the corpus */
    CHECK_EQ_INT(dm.chars[dm.tokens[0]], '#');
    CHECK_EQ_INT(dm.tokens[27], newline);
    text_datamodule_free(&dm);
}

TEST(a_short_fit_learns_and_repeats) {
    if (access(CORPUS, R_OK) != 0) {
        SKIP("%s is missing (scripts/fetch-data.sh fetches it)", CORPUS);
        return;
    }
    lit_status st1, st2;
    double a = short_fit(60, &st1), b = short_fit(60, &st2);
    CHECK_MSG(st1 == LIT_OK && st2 == LIT_OK, "%s", lit_last_error());
    /* ln(vocab) ~ 4.3 nats at the start; 60 steps learn the character frequencies */
    CHECK_MSG(a < 3.0, "val/loss %g after 60 steps", a);
    CHECK_MSG(a == b, "same seed, different losses: %.17g %.17g", a, b);
}

int main(void) {
    lit_set_num_threads(1);
    RUN(nanogpt_parameter_count);
    RUN(missing_corpus_names_the_fetch_script);
    RUN(corpus_vocabulary_and_split);
    RUN(a_short_fit_learns_and_repeats);
    return harness_summary();
}
