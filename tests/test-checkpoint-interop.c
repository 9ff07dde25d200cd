/*
 * tests/test-checkpoint-interop.c — litc checkpoints and PyTorch:
 *   - a weights file written from PyTorch (tests/fixtures/torch_mlp.safetensors,
 *     made by gen_torch_weights.py) loads into the matching litc model, which
 *     then computes PyTorch's outputs;
 *   - a checkpoint written by the litc Trainer is read by PyTorch with a
 *     short safetensors reader (tests/interop/read_litc_checkpoint.py), which
 *     finds the same tensors and loop state. That half needs python3 with
 *     torch (LITC_PYTHON, default /usr/bin/python3; scripts/deps.sh installs
 *     python3-torch); without it the test exits 77 and CTest lists it as
 *     skipped, not passed (LITC_PYTHON=none hides it on purpose).
 */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

typedef struct {
    lit_param_store *ps;
    lit_nn_linear fc1, fc2;
} mlp;

static lit_tensor *forward(mlp *m, lit_tensor *x) {
    return lit_nn_linear_forward(&m->fc2, lit_relu(lit_nn_linear_forward(&m->fc1, x)));
}

static lit_status step(lit_module *lm, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    *loss = lit_mse_loss(forward(lm->user, lit_batch_get(b, "x")), lit_batch_get(b, "y"), LIT_REDUCTION_MEAN);
    return LIT_OK;
}
static lit_status configure(lit_module *lm, lit_optim_config *cfg) {
    int n;
    lit_tensor **p = lit_param_store_trainable(lm->params, &n);
    return lit_optim_config_add(cfg, lit_adam_new(&(lit_adam_params){ .lr = 0.01, .betas = { 0.9, 0.999 },
                                                                      .eps = 1e-8 }, p, n));
}
static const lit_module_vtable VT = { .version = LIT_MODULE_VERSION, .training_step = step,
                                      .configure_optimizers = configure };

static void mlp_init(mlp *m, lit_module *lm) {
    m->ps = lit_param_store_new("mlp");
    lit_rng r = lit_rng_new(9);
    lit_nn_linear_init(&m->fc1, m->ps, "fc1", 4, 16, 1, &r);
    lit_nn_linear_init(&m->fc2, m->ps, "fc2", 16, 1, 1, &r);
    lit_module_init(lm, &VT, m->ps, m);
}

static lit_tensor *inputs(void) {
    lit_tensor *x = lit_empty(LIT_F32, LIT_SHAPE(8, 4));
    for (int i = 0; i < 32; i++) lit_f32(x)[i] = (float)(-1.0 + 2.0 * i / 31.0);
    return x;
}

TEST(pytorch_weights_load_into_the_litc_model) {
    mlp m;
    lit_module lm;
    mlp_init(&m, &lm);
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, LITC_SOURCE_DIR "/tests/fixtures/torch_mlp.safetensors"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_format_version(ck), 0); /* plain safetensors */
    lit_state_dict_report rep = { 0 };
    CHECK_EQ_INT(lit_module_load_weights(&lm, ck, 1, &rep), LIT_OK);
    CHECK_EQ_INT(rep.n_missing + rep.n_unexpected + rep.n_mismatched, 0);
    lit_state_dict_report_free(&rep);
    lit_checkpoint_free(ck);

    /* torch's y = fc2(relu(fc1(x))) for the same x. */
    lit_tensor *y = forward(&m, inputs());
    FILE *f = fopen(LITC_SOURCE_DIR "/tests/fixtures/torch_mlp.txt", "r");
    CHECK(f != NULL);
    char line[128];
    int k = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        double want = strtod(line, NULL);
        CHECK_NEAR(lit_f32(y)[k], want, 1e-6 * (1 + fabs(want)));
        k++;
    }
    if (f) fclose(f);
    CHECK_EQ_INT(k, 8);
    lit_module_deinit(&lm);
    lit_param_store_free(m.ps);
}

/* ---------------------------------------------------------------- PyTorch reads litc */

static lit_status ds_get(void *u, int64_t i, lit_sample *out, lit_arena *a) {
    (void)u;
    lit_tensor *x = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){ 4 }, 1);
    lit_tensor *y = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){ 1 }, 1);
    for (int k = 0; k < 4; k++) lit_f32(x)[k] = (float)((i * 3 + k) % 7) / 7.0f;
    lit_f32(y)[0] = lit_f32(x)[0] - lit_f32(x)[3];
    out->n = 2;
    out->fields[0] = (lit_field){ .name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x };
    out->fields[1] = (lit_field){ .name = "y", .kind = LIT_FIELD_TENSOR, .tensor = y };
    return LIT_OK;
}
static int64_t ds_len(void *u) { (void)u; return 24; }
static lit_dataloader *train_loader;
static lit_dataloader *dm_train(void *u) { (void)u; return train_loader; }

static void write_tensor(FILE *f, const char *name, const lit_tensor *t, int last) {
    fprintf(f, "\"%s\": [[", name);
    for (int d = 0; d < t->ndim; d++) fprintf(f, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    fprintf(f, "], [");
    for (int64_t i = 0; i < t->numel; i++) fprintf(f, "%s%.9g", i ? ", " : "", lit_get_flat(t, i));
    fprintf(f, "]]%s\n", last ? "" : ",");
}

TEST(pytorch_reads_a_litc_checkpoint) {
    char dir[] = "/tmp/litc-interop-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    mlp m;
    lit_module lm;
    mlp_init(&m, &lm);
    lit_dataset ds = { .version = LIT_DATASET_VERSION, .len = ds_len, .get = ds_get };
    lit_dataloader_params dp = lit_dataloader_default_params();
    dp.batch_size = 6;
    train_loader = lit_dataloader_new(&ds, &dp);
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train };
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 2;
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    CHECK_EQ_INT(lit_trainer_fit(tr, &lm, &dm, NULL), LIT_OK);
    char ckpt[128], expected[128];
    snprintf(ckpt, sizeof ckpt, "%s/run.ckpt", dir);
    snprintf(expected, sizeof expected, "%s/expected.json", dir);
    CHECK_EQ_INT(lit_trainer_save_checkpoint(tr, ckpt, 0), LIT_OK);

    /* What PyTorch must find: weights, Adam's state of fc1.weight, the loop. */
    int n_opt;
    lit_optimizer **opts = lit_module_optimizers(&lm, &n_opt);
    CHECK_EQ_INT(n_opt, 1);
    lit_tensor *exp_avg = lit_optimizer_state_tensor(opts[0], 0, "exp_avg", 0);
    CHECK(exp_avg != NULL);
    FILE *f = fopen(expected, "w");
    fprintf(f, "{\"epoch\": %lld, \"global_step\": %lld, \"tensors\": {\n", (long long)lit_trainer_current_epoch(tr),
            (long long)lit_trainer_global_step(tr));
    write_tensor(f, "state_dict.fc1.weight", m.fc1.weight, 0);
    write_tensor(f, "state_dict.fc2.bias", m.fc2.bias, 0);
    if (exp_avg) write_tensor(f, "optimizer_states.0.exp_avg.fc1.weight", exp_avg, 1);
    fprintf(f, "}}\n");
    fclose(f);

    const char *py = getenv("LITC_PYTHON") ? getenv("LITC_PYTHON") : "/usr/bin/python3";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cd %s/tests/interop && %s read_litc_checkpoint.py %s %s", LITC_SOURCE_DIR, py, ckpt,
             expected);
    fflush(stdout);
    int rc = access(py, X_OK) == 0 ? system(cmd) : -1;
    int code = rc >= 0 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (code == 77 || access(py, X_OK) != 0) {
        SKIP("%s cannot import torch; the PyTorch side of the check did not run (scripts/deps.sh installs python3-torch)", py);
    } else {
        CHECK_MSG(code == 0, "PyTorch's reading of the litc checkpoint failed (exit %d)", code);
    }
    lit_trainer_free(tr);
    lit_dataloader_free(train_loader);
    lit_module_deinit(&lm);
    lit_param_store_free(m.ps);
    unlink(ckpt);
    unlink(expected);
    rmdir(dir);
}

int main(void) {
    RUN(pytorch_weights_load_into_the_litc_model);
    RUN(pytorch_reads_a_litc_checkpoint);
    return harness_summary();
}
