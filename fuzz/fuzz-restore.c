/* fuzz/fuzz-restore.c — libFuzzer target for the restore path: checkpoint
 * metadata -> Trainer state.
 *
 * Every input is written to a file and resumed by a real fit
 * (lit_trainer_fit(ckpt_path)) of a tiny model: Linear(2 -> 1), Adam, a
 * StepLR stepped per step, EarlyStopping, accumulate_grad_batches=2, four
 * batches an epoch, max_epochs=2. So the mutations reach the weights, the
 * callback state, the optimizer and scheduler state, grads.*, the logged
 * results and the loop position. The fuzz build
 * (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION) does not refuse a checksum
 * mismatch, as a hostile file recomputes it. Then the same file goes
 * through lit_module_load_weights. Whatever the input, the fit either
 * finishes or fails with a message; a crash, a sanitizer report, a leak or
 * a timeout (a loop that never ends) is a finding. Run by the CTest test
 * fuzz-restore (add_litc_fuzzer ... ALL_SOURCES: it needs most of liblitc).
 *
 * The seeds in fuzz/corpus/restore are checkpoints of this model written
 * at several points of a run; rewrite them with
 *     LITC_FUZZ_RESTORE_SEEDS=fuzz/corpus/restore build/fuzz/fuzz-restore -runs=0
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "litc/litc.h"

#define REQUIRE(cond)                                                                \
    do {                                                                             \
        if (!(cond)) {                                                               \
            fprintf(stderr, "fuzz-restore: %s failed (line %d)\n", #cond, __LINE__); \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* ---------------------------------------------------------------- the model */

#include "../tests/restore-model.h"

/* ---------------------------------------------------------------- the data: y = x0 + x1 / 2 */

static lit_status sample(void *user, int64_t i, lit_sample *out, lit_arena *a) {
    (void)user;
    lit_tensor *x = lit_tensor_new(a, LIT_F32, 1, (const int64_t[]){ 2 });
    lit_tensor *y = lit_tensor_new(a, LIT_F32, 1, (const int64_t[]){ 1 });
    if (!x || !y) return LIT_ERR_NOMEM;
    float *xv = lit_f32(x);
    xv[0] = (float)(i % 3) - 1.0f;
    xv[1] = (float)(i % 5) / 4.0f;
    lit_f32(y)[0] = xv[0] + xv[1] / 2;
    out->n = 2;
    out->fields[0] = (lit_field){ .name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x };
    out->fields[1] = (lit_field){ .name = "y", .kind = LIT_FIELD_TENSOR, .tensor = y };
    return LIT_OK;
}
static int64_t n_samples(void *user) {
    (void)user;
    return 8; /* 4 batches of 2 */
}

static lit_dataloader *loader;
static lit_dataloader *train_loader(void *user) {
    (void)user;
    if (!loader) {
        lit_dataset ds = { .version = LIT_DATASET_VERSION, .len = n_samples, .get = sample };
        lit_dataloader_params p = lit_dataloader_default_params();
        p.batch_size = 2;
        loader = lit_dataloader_new(&ds, &p);
    }
    return loader;
}

/* ---------------------------------------------------------------- one fit */

/* Writes checkpoints of the run into seeds_dir (seed generation). */
static const char *seeds_dir;
static lit_status save_seed(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l, lit_batch *b,
                            int64_t i) {
    (void)cb, (void)m, (void)l, (void)b;
    char path[1024];
    snprintf(path, sizeof path, "%s/valid-epoch%lld-batch%lld.ckpt", seeds_dir,
             (long long)lit_trainer_current_epoch(tr), (long long)i);
    return i == 0 || i == 2 || i == 3 ? lit_trainer_save_checkpoint(tr, path, 0) : LIT_OK;
}

static lit_status fit(const char *ckpt_path) {
    model md = { .ps = lit_param_store_new("fuzz") };
    if (!md.ps) return LIT_ERR_NOMEM;
    lit_rng init = lit_rng_new(1);
    lit_nn_linear_init(&md.fc, md.ps, "fc", 2, 1, 1, &init);
    lit_module m;
    lit_module_init(&m, &VT, md.ps, &md);

    lit_trainer_params p = lit_trainer_default_params();
    p.max_epochs = 2;
    p.accumulate_grad_batches = 2;
    p.enable_progress_bar = p.enable_model_summary = p.enable_checkpointing = p.logger = 0;
    p.num_sanity_val_steps = 0;
    p.handle_signals = 0;
    lit_trainer *tr = NULL;
    lit_status st = lit_trainer_new(&tr, &p);
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "train/loss";
    ep.check_on_train_epoch_end = 1;
    lit_callback es, saver = { .version = LIT_CALLBACK_VERSION, .name = "seeds", .on_train_batch_end = save_seed };
    if (st >= 0) st = lit_early_stopping_callback(&es, &ep);
    if (st >= 0) st = lit_trainer_add_callback(tr, &es);
    if (st >= 0 && seeds_dir) st = lit_trainer_add_callback(tr, &saver);
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = train_loader };
    if (st >= 0) st = lit_trainer_fit(tr, &m, &dm, ckpt_path);
    REQUIRE(st >= 0 || lit_last_error()[0] != 0);
    lit_trainer_free(tr);
    lit_dataloader_free(loader);
    loader = NULL;

    /* The weights loaders read the same file. */
    lit_checkpoint *ck = NULL;
    if (ckpt_path && lit_checkpoint_load(&ck, ckpt_path) == LIT_OK) {
        lit_status w = lit_module_load_weights(&m, ck, LIT_LOAD_STRICT, NULL);
        REQUIRE(w >= 0 || lit_last_error()[0] != 0);
        lit_checkpoint_free(ck);
    }
    lit_module_deinit(&m);
    lit_param_store_free(md.ps);
    return st;
}

/* ---------------------------------------------------------------- libFuzzer */

static char input_path[256];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    lit_set_num_threads(1);
    lit_log_set_level(LIT_LOG_OFF);
    seeds_dir = getenv("LITC_FUZZ_RESTORE_SEEDS");
    if (seeds_dir) {
        lit_status st = fit(NULL);
        fprintf(stderr, "fuzz-restore: seeds written to %s: %s\n", seeds_dir, st < 0 ? lit_last_error() : "ok");
        seeds_dir = NULL;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(input_path, sizeof input_path, "%s/litc-fuzz-restore-%ld.ckpt", tmp && tmp[0] ? tmp : "/tmp",
             (long)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    FILE *f = fopen(input_path, "wb");
    REQUIRE(f != NULL);
    REQUIRE(fwrite(data, 1, size, f) == size);
    REQUIRE(fclose(f) == 0);
    (void)fit(input_path);
    unlink(input_path);
    return 0;
}
