/*
 * tests/test-header-examples.c — the "Intended usage" examples of the
 * public headers, copied here as written (a line of prose such as "...
 * run ..." stays a comment) and compiled and run, so an example that no
 * longer matches the API fails the build instead of misleading a reader.
 * When you change an example in a header, change its copy here:
 * scripts/check-header-examples.py (CTest header-examples-match) fails
 * until the copy has every code line of the header's example again.
 *
 * Covered so far: tensor.h, autograd.h, optim.h, nn.h, module.h + trainer.h
 * (the example train.h had, which once called lit_mse_loss without its
 * reduction argument), callback.h, weight-averaging.h, finetuning.h, tuner.h,
 * data.h, checkpoint.h, safetensors.h, sched.h, core.h, backend.h, summary.h,
 * config.h, config-trainer.h, progress.h, loggers.h, report.h,
 * default-callbacks.h, early-stopping.h, model-checkpoint.h, monitors.h,
 * metrics.h, registry.h: every header with a usage example.
 */
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "litc/registry.h" /* the cli layer: not in litc.h */
#include "tmp-dir.h"

#define D_IN 3
#include "tiny-data.h"

static void tiny_sample(int64_t i, float *x, float *y) { tiny_linear_sample(i, D_IN, x, y); }

/* ---------------------------------------------------------------- tensor.h + autograd.h */

TEST(tensor_and_autograd_examples) {
    /* tensor.h */
    lit_tensor *x = lit_randn(LIT_SHAPE(4, 3), NULL);    // (4, 3) f32
    lit_tensor *w = lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(3, 2));
    w->requires_grad = 1;
    FILE *saved = stdout;
    stdout = fopen("/dev/null", "w"); /* lit_tensor_print writes to stdout */
    lit_tensor_print(x, "x");
    fclose(stdout);
    stdout = saved;
    float v = lit_f32(x)[1 * 3 + 2];                     // x[1, 2]
    CHECK_NEAR(v, lit_get(x, (const int64_t[]){ 1, 2 }), 0);

    /* autograd.h */
    lit_tensor_zero_(w);
    lit_f32(w)[0] = 1.0f;
    lit_tensor *loss = lit_mean(lit_square(lit_matmul(x, w)), 0, NULL, 0);
    lit_backward(loss);           // w->grad += d loss / d w
    CHECK(w->grad != NULL);
    /* ... optimizer step, lit_zero_grad ... */
    lit_zero_grad(&w, 1, 0);
    lit_arena_reset(lit_arena_current());

    int prev = lit_set_grad_enabled(0);   // no-grad region (evaluation)
    /* ... */
    lit_set_grad_enabled(prev);
    lit_tensor_free(w);
}

/* ---------------------------------------------------------------- optim.h */

/* The example as a function that can LIT_TRY: AdamW over `params`, a
 * second group without weight decay over `no_decay`. */
static lit_status optim_example(lit_tensor **params, int n_params, lit_tensor **no_decay, int n_no_decay,
                                lit_tensor *x) {
    lit_adam_params ap = lit_adamw_default_params();
    ap.lr = 3e-4; ap.weight_decay = 0.1;
    lit_optimizer *opt = lit_adamw_new(&ap, params, n_params);
    if (!opt) { fprintf(stderr, "%s\n", lit_last_error()); return LIT_ERR_INVALID_ARG; }
    // a second group without weight decay (e.g. biases, norms):
    lit_param_group g = lit_optimizer_default_group(opt);
    g.params = no_decay; g.n_params = n_no_decay; g.weight_decay = 0.0;
    LIT_TRY(lit_optimizer_add_param_group(opt, &g));
    for (int step = 0; step < 2; step++) {
        lit_optimizer_zero_grad(opt, 1);
        /* ... forward, lit_backward(loss) ... */
        lit_tensor *loss = lit_mean(lit_square(lit_add(lit_matmul(x, params[0]), no_decay[0])), 0, NULL, 0);
        lit_backward(loss);
        lit_clip_grad_norm(params, n_params, 1.0, 2.0);
        LIT_TRY(lit_optimizer_step(opt));
        lit_arena_reset(lit_arena_current());
    }
    lit_optimizer_free(opt);
    return LIT_OK;
}

TEST(optim_example) {
    lit_tensor *x = lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(4, 3));
    lit_tensor *w = lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(3, 2));
    lit_tensor *b = lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(2));
    for (int i = 0; i < 12; i++) lit_f32(x)[i] = (float)(i % 5) - 2.0f;
    for (int i = 0; i < 6; i++) lit_f32(w)[i] = 0.1f * (float)i;
    lit_f32(b)[0] = 0.5f, lit_f32(b)[1] = -0.5f;
    w->requires_grad = b->requires_grad = 1;
    float w0 = lit_f32(w)[1], b0 = lit_f32(b)[0];
    CHECK_EQ_INT(optim_example(&w, 1, &b, 1, x), LIT_OK);
    CHECK(lit_f32(w)[1] != w0 && lit_f32(b)[0] != b0); /* both groups stepped */
    lit_tensor_free(x);
    lit_tensor_free(w);
    lit_tensor_free(b);
}

/* ---------------------------------------------------------------- nn.h */

TEST(nn_example) {
    enum { vocab = 11, E = 8, H = 2, L = 2, B = 2, T = 5 };
    lit_tensor *idx = lit_zeros(LIT_I64, LIT_SHAPE(B, T));
    for (int i = 0; i < B * T; i++) lit_set_flat(idx, i, i % vocab);

    lit_param_store *ps = lit_param_store_new("model");
    lit_nn_embedding wte;  lit_nn_embedding_init(&wte, ps, "wte", vocab, E, -1, NULL);
    lit_nn_self_attention attn[L];
    for (int i = 0; i < L; i++)
        lit_nn_self_attention_init(&attn[i], ps, LIT_NAME("blocks.%d.attn", i), E, H,
                                   1, 1, 0.1, NULL);   // causal, bias, dropout
    lit_nn_linear head;    lit_nn_linear_init(&head, ps, "head", E, vocab, 0, NULL);

    int n; lit_tensor **params = lit_param_store_trainable(ps, &n);   // for the optimizer
    lit_param_store_train(ps, 1);                                     // dropout on
    lit_tensor *h = lit_nn_embedding_forward(&wte, idx);              // (B, T, E)
    h = lit_add(h, lit_nn_self_attention_forward(&attn[0], h));
    /* ... */
    CHECK(params != NULL && n > 0);
    CHECK_EQ_INT(h->ndim, 3);
    CHECK_EQ_INT((int)h->shape[2], E);
    lit_param_store_free(ps);
    lit_arena_reset(lit_arena_current());
}

/* ---------------------------------------------------------------- module.h + trainer.h */

typedef struct {
    lit_tensor *w;
} my_model;

static lit_tensor *forward(my_model *mm, lit_tensor *x) { return lit_matmul(x, mm->w); }

static lit_status step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    my_model *mm = m->user;
    *loss = lit_mse_loss(forward(mm, lit_batch_get(b, "x")), lit_batch_get(b, "y"),
                         LIT_REDUCTION_MEAN);
    lit_module_log(m, "train/loss", *loss, .prog_bar = 1);
    return LIT_OK;
}
static lit_status opt(lit_module *m, lit_optim_config *cfg) {
    int n; lit_tensor **p = lit_param_store_trainable(m->params, &n);
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){ .lr = 0.1 }, p, n));
}
static const lit_module_vtable vt = { .version = LIT_MODULE_VERSION,
    .training_step = step, .configure_optimizers = opt };

static lit_dataloader *train_loader(void *user) {
    static int64_t n = 8;
    lit_dataloader **dl = user;
    if (!*dl) *dl = tiny_loader(&n, 4, NULL);
    return *dl;
}

/* The example, in a function that can LIT_TRY; *v gets the logged loss. */
static lit_status train_example(lit_param_store *store, my_model my_state, lit_datamodule datamodule, double *out) {
    lit_module m; lit_module_init(&m, &vt, store, &my_state);
    lit_trainer_params p = lit_trainer_default_params();
    p.max_epochs = 10; p.accumulate_grad_batches = 4;
    LIT_TRY(lit_trainer_params_from_env(&p));      // LIT_TRAINER_MAX_EPOCHS=3 ...
    p.enable_progress_bar = 0; /* (not in the example: keeps the test's output short) */
    lit_trainer *tr; LIT_TRY(lit_trainer_new(&tr, &p));
    LIT_TRY(lit_trainer_fit(tr, &m, &datamodule, NULL));
    double v; lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, "train/loss", &v);
    lit_trainer_free(tr); lit_module_deinit(&m);
    *out = v;
    return LIT_OK;
}

TEST(train_example) {
    /* The example writes lightning_logs/ and checkpoints/ under the
     * current directory: run it in a fresh one. */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char *dir = make_tmp_dir("header-examples");
    CHECK_EQ_INT(chdir(dir), 0);

    lit_param_store *store = lit_param_store_new("m");
    my_model my_state = { lit_param_store_new_param(store, NULL, "w", 2, (const int64_t[]){ D_IN, 1 }) };
    lit_dataloader *dl = NULL;
    lit_datamodule datamodule = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = train_loader, .user = &dl };
    unsetenv("LIT_TRAINER_MAX_EPOCHS");
    double v = NAN;
    CHECK_EQ_INT(train_example(store, my_state, datamodule, &v), LIT_OK);
    CHECK(isfinite(v) && v >= 0);
    lit_dataloader_free(dl);
    lit_param_store_free(store);

    CHECK_EQ_INT(chdir(cwd), 0);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- callback.h */

static lit_status at_epoch_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    int64_t *epochs_seen = cb->user;
    *epochs_seen = lit_trainer_current_epoch(tr) + 1;
    return LIT_OK;
}

/* The example, then a fit of two epochs; *seen gets what the callback counted. */
static lit_status callback_example(lit_trainer *tr, lit_module *m, lit_datamodule *dm, int64_t *seen) {
    int64_t epochs_seen = 0;
    lit_callback cb = { .version = LIT_CALLBACK_VERSION, .name = "EpochCounter",
                        .user = &epochs_seen, .on_train_epoch_end = at_epoch_end };
    LIT_TRY(lit_trainer_add_callback(tr, &cb));   // copied: cb may go out of scope
    LIT_TRY(lit_trainer_fit(tr, m, dm, NULL));
    *seen = epochs_seen;
    return LIT_OK;
}

/* The model of train_example on the tiny data (8 samples, batches of 4),
 * with a quiet trainer of two epochs: what the callback examples run on. */
typedef struct {
    lit_param_store *store;
    my_model state;
    lit_dataloader *dl;
    lit_datamodule dm;
    lit_module m;
    lit_trainer_params p;
    lit_trainer *tr;
} tiny_run;

static void tiny_run_init(tiny_run *r) {
    r->store = lit_param_store_new("m");
    r->state.w = lit_param_store_new_param(r->store, NULL, "w", 2, (const int64_t[]){ D_IN, 1 });
    r->dl = NULL;
    r->dm = (lit_datamodule){ .version = LIT_DATAMODULE_VERSION, .train_dataloader = train_loader, .user = &r->dl };
    lit_module_init(&r->m, &vt, r->store, &r->state);
    r->p = lit_trainer_default_params();
    r->p.max_epochs = 2;
    r->p.enable_progress_bar = 0; r->p.enable_model_summary = 0; r->p.enable_checkpointing = 0; r->p.logger = 0;
    r->tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&r->tr, &r->p), LIT_OK);
}

static void tiny_run_free(tiny_run *r) {
    lit_trainer_free(r->tr);
    lit_module_deinit(&r->m);
    lit_dataloader_free(r->dl);
    lit_param_store_free(r->store);
}

TEST(callback_example) {
    tiny_run r; tiny_run_init(&r);
    int64_t seen = -1;
    CHECK_EQ_INT(callback_example(r.tr, &r.m, &r.dm, &seen), LIT_OK);
    CHECK_EQ_INT((int)seen, 2);
    tiny_run_free(&r);
}

/* ---------------------------------------------------------------- weight-averaging.h */

static lit_status ema_example(lit_trainer *tr, lit_module m, lit_datamodule dm, lit_param_store *store,
                              int64_t *updates) {
    lit_ema_params ep = lit_ema_default_params();
    ep.decay = 0.999;
    lit_callback ema;
    LIT_TRY(lit_ema_callback(&ema, &ep));
    LIT_TRY(lit_trainer_add_callback(tr, &ema));
    LIT_TRY(lit_trainer_fit(tr, &m, &dm, NULL));   // validation runs on the EMA weights
    LIT_TRY(lit_ema_copy_to(&ema, store));         // keep them for inference
    *updates = lit_ema_num_updates(&ema);
    return LIT_OK;
}

TEST(weight_averaging_example) {
    tiny_run r; tiny_run_init(&r);
    int64_t updates = -1;
    CHECK_EQ_INT(ema_example(r.tr, r.m, r.dm, r.store, &updates), LIT_OK);
    CHECK_EQ_INT((int)updates, 4); /* 2 epochs of 2 batches */
    tiny_run_free(&r);
}

/* ---------------------------------------------------------------- finetuning.h */

static lit_status finetuning_example(lit_trainer *tr) {
    lit_backbone_finetuning_params bp = lit_backbone_finetuning_default_params();
    bp.backbone = "backbone"; bp.unfreeze_backbone_at_epoch = 5;
    lit_callback ft;
    LIT_TRY(lit_backbone_finetuning_callback(&ft, &bp));
    LIT_TRY(lit_trainer_add_callback(tr, &ft));
    return LIT_OK;
}

TEST(finetuning_example) {
    tiny_run r; tiny_run_init(&r);
    CHECK_EQ_INT(finetuning_example(r.tr), LIT_OK);
    CHECK_EQ_INT(lit_trainer_num_callbacks(r.tr), 1);
    tiny_run_free(&r);
}

/* ---------------------------------------------------------------- tuner.h */

static lit_status tuner_example(lit_trainer *tr, lit_trainer_params p, lit_module m, lit_datamodule dm,
                                double *found) {
    double lr = NAN;
    lit_lr_finder_result r;
    lit_lr_finder_params lp = lit_lr_finder_default_params();
    LIT_TRY(lit_lr_find(&p, &m, &dm, &lp, &r));     // p: the lit_trainer_params of the real fit
    if (r.suggestion_idx >= 0) lr = r.suggestion;  // read by configure_optimizers
    lit_lr_finder_result_free(&r);
    LIT_TRY(lit_trainer_fit(tr, &m, &dm, NULL));
    *found = lr;
    return LIT_OK;
}

TEST(tuner_example) {
    tiny_run r; tiny_run_init(&r);
    double lr = NAN;
    CHECK_EQ_INT(tuner_example(r.tr, r.p, r.m, r.dm, &lr), LIT_OK);
    CHECK(isnan(lr) || (lr >= 1e-8 && lr <= 1)); /* a suggestion lies in [min_lr, max_lr] */
    CHECK_EQ_INT((int)lit_trainer_current_epoch(r.tr), 2);
    tiny_run_free(&r);
}

/* ---------------------------------------------------------------- data.h */

/* The example over `my_dataset`; *batches counts what the loop saw. */
static lit_status data_example(lit_dataset my_dataset, int64_t *batches) {
    lit_status st = LIT_OK;
    lit_dataloader_params p = lit_dataloader_default_params();
    p.batch_size = 32; p.shuffle = 1; p.seed = 42; p.num_workers = 2;
    lit_dataloader *dl = lit_dataloader_new(&my_dataset, &p);
    for (int64_t epoch = 0; epoch < 10; epoch++) {
        LIT_TRY(lit_dataloader_begin_epoch(dl, epoch, 0));   // 0: from the first batch
        lit_batch *b;
        while ((st = lit_dataloader_next(dl, &b)) == LIT_OK && b) {
            lit_tensor *x = lit_batch_get(b, "x");   // (B, 64) f32
            lit_tensor *y = lit_batch_get(b, "y");   // (B,) i64
            /* ... */
            CHECK(x->ndim == 2 && x->shape[1] == 64 && y->ndim == 1 && y->shape[0] == x->shape[0]);
            ++*batches;
        }
    }
    lit_dataloader_free(dl);
    return st;
}

TEST(data_example) {
    lit_tensor *X = lit_randn(LIT_SHAPE(100, 64), NULL);
    lit_tensor *Y = lit_arange_int(LIT_I64, 0, 100, 1);
    lit_tensor_dataset td;
    CHECK_EQ_INT(lit_tensor_dataset_init(&td, 2, (const char *[]){ "x", "y" }, (lit_tensor *[]){ X, Y }), LIT_OK);
    int64_t batches = 0;
    CHECK_EQ_INT(data_example(lit_tensor_dataset_as_dataset(&td), &batches), LIT_OK);
    CHECK_EQ_INT(batches, 10 * 4); /* 100 rows in batches of 32: 4 a epoch */
}

/* ---------------------------------------------------------------- checkpoint.h + safetensors.h */

static lit_status checkpoint_example(lit_tensor *w, int64_t *epoch_out) {
    lit_checkpoint *ck = lit_checkpoint_new();
    LIT_TRY(lit_checkpoint_put_tensor(ck, "state_dict.head.weight", w));
    LIT_TRY(lit_checkpoint_set_int(ck, "epoch", 3));
    LIT_TRY(lit_checkpoint_push_scope(ck, "callbacks"));
    LIT_TRY(lit_checkpoint_push_scope(ck, "EarlyStopping{'monitor': 'val/loss'}"));
    LIT_TRY(lit_checkpoint_set_double(ck, "best_score", 0.25));
    lit_checkpoint_pop_scope(ck); lit_checkpoint_pop_scope(ck);
    LIT_TRY(lit_checkpoint_save(ck, "ckpts/last.ckpt"));        // atomic
    lit_checkpoint_free(ck);

    lit_tensor_zero_(w); /* (not in the example: the read must bring the values back) */
    LIT_TRY(lit_checkpoint_load(&ck, "ckpts/last.ckpt"));       // validated
    int64_t epoch; LIT_TRY(lit_checkpoint_get_int(ck, "epoch", &epoch));
    LIT_TRY(lit_checkpoint_read_tensor(ck, "state_dict.head.weight", w));
    lit_checkpoint_free(ck);
    *epoch_out = epoch;
    return LIT_OK;
}

static lit_status safetensors_example(FILE *f, const float *w_data, float *first_out) {
    lit_st_tensor ts[] = {
        { .name = "w", .dtype = LIT_F32, .ndim = 2, .shape = {3, 4}, .data = w_data },
    };
    lit_st_meta meta[] = { { "format", "pt" } };
    LIT_TRY(lit_safetensors_write_file(f, 1, ts, 1, meta));   // f: an open FILE *
    fclose(f);

    lit_safetensors *st;
    LIT_TRY(lit_safetensors_open(&st, "model.safetensors"));
    const lit_st_tensor *w = lit_safetensors_find(st, "w");     // NULL when absent
    CHECK(w != NULL && w->nbytes == 12 * sizeof(float));
    if (w) memcpy(first_out, w->data, sizeof *first_out);
    lit_safetensors_free(st);
    return LIT_OK;
}

TEST(checkpoint_and_safetensors_examples) {
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char *dir = make_tmp_dir("header-examples");
    CHECK_EQ_INT(chdir(dir), 0);
    CHECK_EQ_INT(mkdir("ckpts", 0755), 0);

    lit_tensor *w = lit_randn(LIT_SHAPE(2, 3), NULL);
    float before = lit_f32(w)[5];
    int64_t epoch = 0;
    CHECK_EQ_INT(checkpoint_example(w, &epoch), LIT_OK);
    CHECK_EQ_INT(epoch, 3);
    CHECK(lit_f32(w)[5] == before);

    float w_data[12], first = 0;
    for (int i = 0; i < 12; i++) w_data[i] = (float)i + 0.5f;
    FILE *f = fopen("model.safetensors", "wb");
    CHECK(f != NULL);
    if (f) CHECK_EQ_INT(safetensors_example(f, w_data, &first), LIT_OK);
    CHECK(first == 0.5f);

    CHECK_EQ_INT(chdir(cwd), 0);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- sched.h */

static lit_status sched_example(lit_optimizer *opt, double *lr0_out, double *seq_lr_out, double *plateau_lr_out) {
    lit_cosine_lr_params cp = lit_cosine_lr_default_params();
    cp.T_max = 100; cp.eta_min = 1e-5;
    lit_scheduler *s = lit_cosine_lr_new(opt, &cp);
    if (!s) { fprintf(stderr, "%s\n", lit_last_error()); return LIT_ERR_CONFIG; }
    for (int epoch = 0; epoch < 50; epoch++) { LIT_TRY(lit_optimizer_step(opt)); LIT_TRY(lit_scheduler_step(s)); }
    double lr0 = lit_scheduler_get_last_lr(s, NULL)[0];
    lit_scheduler_free(s);
    *lr0_out = lr0;

    lit_linear_lr_params lp = lit_linear_lr_default_params(); /* (defined elsewhere in the example) */
    // warm-up then cosine: children are owned by the SequentialLR
    lit_scheduler *kids[2] = { lit_linear_lr_new(opt, &lp), lit_cosine_lr_new(opt, &cp) };
    lit_scheduler *seq = lit_sequential_lr_new(opt, kids, 2, (int64_t[]){ 5 });
    for (int epoch = 0; epoch < 5; epoch++) LIT_TRY(lit_scheduler_step(seq));
    *seq_lr_out = lit_scheduler_get_last_lr(seq, NULL)[0];
    lit_scheduler_free(seq);

    lit_reduce_lr_on_plateau_params pp = lit_reduce_lr_on_plateau_default_params();
    pp.patience = 0;
    lit_scheduler *plateau = lit_reduce_lr_on_plateau_new(opt, &pp);
    double val_loss = 1.0;
    // ReduceLROnPlateau is stepped with the monitored metric:
    lit_scheduler_step_metric(plateau, val_loss);
    LIT_TRY(lit_scheduler_step_metric(plateau, val_loss)); /* no improvement, patience 0: lr x 0.1 */
    *plateau_lr_out = lit_optimizer_get_lr(opt, 0);
    lit_scheduler_free(plateau);
    return LIT_OK;
}

TEST(sched_example) {
    lit_tensor *w = lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(2));
    lit_tensor_zero_(w);
    w->requires_grad = 1;
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = 0.1;
    lit_optimizer *opt = lit_sgd_new(&sp, &w, 1);
    double lr0 = 0, seq_lr = 0, plateau_lr = 0;
    CHECK_EQ_INT(sched_example(opt, &lr0, &seq_lr, &plateau_lr), LIT_OK);
    /* cosine halfway from 0.1 to 1e-5 */
    CHECK_NEAR(lr0, 1e-5 + (0.1 - 1e-5) * 0.5, 1e-12);
    CHECK(seq_lr > 0);
    CHECK(plateau_lr > 0 && plateau_lr < seq_lr + 1e-12);
    lit_optimizer_free(opt);
    lit_tensor_free(w);
}

/* ---------------------------------------------------------------- core.h, backend.h, summary.h */

TEST(core_backend_summary_examples) {
    /* core.h */
    lit_status st = lit_set_error(LIT_ERR_CONFIG, "example: a status and its message");
    FILE *saved = stderr;
    stderr = fopen("/dev/null", "w"); /* the example prints the error */
    if (st < 0) fprintf(stderr, "%s: %s\n", lit_status_str(st), lit_last_error());
    fclose(stderr);
    stderr = saved;
    lit_arena *prev = lit_arena_current();
    lit_arena *step = lit_arena_new("step", 0);   // activations + tape
    lit_arena_use(step);                          // ops allocate from here
    lit_tensor *t = lit_randn(LIT_SHAPE(8, 8), NULL);
    CHECK(lit_arena_used(step) >= 64 * sizeof(float) && t->numel == 64);
    lit_arena_reset(step);                        // O(1); no free/malloc
    CHECK_EQ_INT(lit_arena_used(step), 0);
    lit_arena_use(prev);
    lit_arena_free(step);

    /* backend.h: y = x @ w^T against a naive product */
    enum { m = 3, n = 2, k = 4 };
    float x[m * k], w[n * k], y[m * n];
    for (int i = 0; i < m * k; i++) x[i] = (float)(i % 5) - 2.0f;
    for (int i = 0; i < n * k; i++) w[i] = (float)(i % 3) + 0.5f;
    const lit_backend *be = lit_backend_get();
    be->sgemm(0, 1, m, n, k, 1.0f, x, k, w, k, 0.0f, y, n);   // y = x @ w^T
    for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++) {
            float ref = 0;
            for (int l = 0; l < k; l++) ref += x[i * k + l] * w[j * k + l];
            CHECK_NEAR(y[i * n + j], ref, 1e-5);
        }

    /* summary.h */
    lit_param_store *ps = lit_param_store_new("summary");
    lit_nn_linear lin;
    CHECK_EQ_INT(lit_nn_linear_init(&lin, ps, "head", 4, 3, 1, NULL), LIT_OK);
    FILE *out = stdout;
    stdout = fopen("/dev/null", "w"); /* the table goes to stdout */
    lit_model_summary_print(stdout, ps, 1);
    fclose(stdout);
    stdout = out;
    lit_param_store_free(ps);
}

/* ---------------------------------------------------------------- config.h + config-trainer.h */

/* The example over `paths` (its --config files) and one override. */
static lit_status config_example(const char *const *paths, int n_paths, lit_trainer_params *out, int *n_callbacks) {
    lit_config *cfg, *f;
    LIT_TRY(lit_config_new(&cfg));
    // for each --config path:
    for (int i = 0; i < n_paths; i++) {
        const char *path = paths[i];
        LIT_TRY(lit_config_load_file(&f, path));      // parse errors: file:line:col
        lit_config_merge(cfg, f); lit_config_free(f); // later files win
    }
    LIT_TRY(lit_config_apply_trainer_env(cfg));       // LIT_TRAINER_MAX_EPOCHS=5 ...
    // for each --a.b=value argument:
    LIT_TRY(lit_config_set_override(cfg, "trainer.max_epochs=3"));
    LIT_TRY(lit_config_resolve(cfg));                 // ${a.b}, ${oc.env:VAR,default}
    lit_trainer_params p = lit_trainer_default_params();
    LIT_TRY(lit_config_bind_trainer(lit_config_get(cfg, "trainer"), &p));
    const lit_config_node *cbs = lit_config_get(cfg, "trainer.callbacks"); // for the registry
    *n_callbacks = lit_config_list_size(cbs);
    p.default_root_dir = NULL; /* (it points into cfg, freed here) */
    *out = p;
    lit_config_free(cfg);
    return LIT_OK;
}

TEST(config_example) {
    char *dir = make_tmp_dir("header-examples");
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/a.yaml", dir);
    snprintf(b, sizeof b, "%s/b.yaml", dir);
    FILE *fa = fopen(a, "w"), *fb = fopen(b, "w");
    CHECK(fa && fb);
    if (fa) fputs("trainer:\n  max_epochs: 7\n  max_steps: 100\n  callbacks: [{class_path: Timer}]\n", fa), fclose(fa);
    if (fb) fputs("trainer:\n  max_steps: ${steps}\nsteps: 42\n", fb), fclose(fb);
    unsetenv("LIT_TRAINER_MAX_EPOCHS");
    unsetenv("LIT_TRAINER_MAX_STEPS");
    lit_trainer_params p = lit_trainer_default_params();
    int n_cb = 0;
    CHECK_MSG(config_example((const char *[]){ a, b }, 2, &p, &n_cb) == LIT_OK, "%s", lit_last_error());
    CHECK_EQ_INT(p.max_epochs, 3);  /* the override wins over a.yaml's 7 */
    CHECK_EQ_INT(p.max_steps, 42);  /* b.yaml's, resolved from ${steps} */
    CHECK_EQ_INT(n_cb, 1);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- progress.h */

/* The example, n steps; stdout is a memory stream here (not a terminal). */
static void progress_example(int64_t n, int64_t n_val) {
    double loss = 1.0, val_loss = 0.5;
    lit_progress *pb = lit_progress_new(stdout, -1, 0.1);  // -1: isatty()
    const char *names[] = {"v_num", "loss", "val_loss"}; double vals[] = {0, 0, 0};
    lit_progress_stage_begin(pb, "Epoch 0", n);
    for (int64_t i = 0; i < n; i++) {
        loss *= 0.5; /* ... step ... */
        vals[1] = loss;
        lit_progress_update(pb, i + 1, 2, names, vals);
    }
        lit_progress_stage_begin(pb, "Validation", n_val);   // nested: a
        for (int64_t j = 0; j < n_val; j++) lit_progress_update(pb, j + 1, 0, NULL, NULL);
        lit_progress_stage_end(pb);                           // erased at end
    vals[2] = val_loss;
    lit_progress_update(pb, n, 3, names, vals);              // + val metrics
    lit_progress_stage_end(pb);                               // final + '\n'
    lit_progress_free(pb);
}

TEST(progress_example) {
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len), *saved = stdout;
    CHECK(out != NULL);
    if (!out) return;
    fflush(stdout);
    stdout = out;
    progress_example(4, 2);
    stdout = saved;
    fclose(out);
    CHECK_STR_CONTAINS(text, "Epoch 0");
    CHECK_STR_CONTAINS(text, "4/4");
    CHECK_STR_CONTAINS(text, "val_loss=0.5");
    free(text);
}

/* ---------------------------------------------------------------- loggers.h + report.h */

static lit_status loggers_and_report_example(lit_trainer *tr, lit_module m, lit_datamodule dm) {
    lit_csv_logger_params cp = lit_csv_logger_default_params();
    cp.save_dir = "logs";                         // logs/lightning_logs/version_N/
    lit_logger lg;
    LIT_TRY(lit_csv_logger(&lg, &cp));
    lit_logger csv = lg; /* (report.h's example calls the CSV logger csv) */
    LIT_TRY(lit_trainer_add_logger(tr, &lg));     // copied; freed with the trainer

    lit_html_report_params rp = lit_html_report_default_params();
    rp.save_dir = "logs";                    // logs/lightning_logs/version_N/report.html
    rp.log_dir_of = &csv;                    // or: the same folder as another logger
    lit_logger rep;
    LIT_TRY(lit_html_report_logger(&rep, &rp));
    LIT_TRY(lit_html_report_add_info(&rep, "dataset", "digits 8x8"));
    LIT_TRY(lit_trainer_add_logger(tr, &rep)); // copied; freed with the trainer
    return lit_trainer_fit(tr, &m, &dm, NULL); // report.html at each epoch and at the end
}

TEST(loggers_and_report_example) {
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char *dir = make_tmp_dir("header-examples");
    CHECK_EQ_INT(chdir(dir), 0);
    tiny_run r; tiny_run_init(&r);
    CHECK_MSG(loggers_and_report_example(r.tr, r.m, r.dm) == LIT_OK, "%s", lit_last_error());
    tiny_run_free(&r);
    /* the CSV logger's folder (hparams.yaml; no metrics.csv: nothing was logged), the report beside it */
    CHECK(access("logs/lightning_logs/version_0/hparams.yaml", R_OK) == 0);
    CHECK(access("logs/lightning_logs/version_0/report.html", R_OK) == 0);
    CHECK_EQ_INT(chdir(cwd), 0);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- the callbacks' headers */

/* The tiny module with a validation_step that logs val/loss (what the
 * monitoring callbacks watch); validation reads the training batches. */
static lit_status val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)i, (void)dl;
    *out = lit_mse_loss(forward(m->user, lit_batch_get(b, "x")), lit_batch_get(b, "y"), LIT_REDUCTION_MEAN);
    return lit_module_log(m, "val/loss", *out);
}
static int val_loaders(void *user, lit_dataloader **out) {
    out[0] = train_loader(user);
    return 1;
}
static const lit_module_vtable vt_val = { .version = LIT_MODULE_VERSION, .training_step = step,
                                          .validation_step = val_step, .configure_optimizers = opt };

/* A tiny run in a scratch folder whose Trainer has `edit` applied to its params. */
static void tiny_run_with(tiny_run *r, void (*edit)(lit_trainer_params *p)) {
    tiny_run_init(r);
    r->dm.val_dataloaders = val_loaders;
    lit_module_deinit(&r->m);
    lit_module_init(&r->m, &vt_val, r->store, &r->state);
    lit_trainer_free(r->tr);
    if (edit) edit(&r->p);
    r->tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&r->tr, &r->p), LIT_OK);
}

static lit_status progress_bar_example(lit_trainer *tr) {
    lit_progress_bar_params pp = lit_progress_bar_default_params();
    pp.out = stderr; pp.refresh_seconds = 0.5;
    lit_callback cb;
    LIT_TRY(lit_progress_bar_callback(&cb, &pp));
    LIT_TRY(lit_trainer_add_callback(tr, &cb));
    return LIT_OK;
}

static lit_status early_stopping_example(lit_trainer *tr, lit_module m, lit_datamodule dm, int64_t *stopped) {
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val/loss"; ep.patience = 5;
    lit_callback es;
    LIT_TRY(lit_early_stopping_callback(&es, &ep));
    LIT_TRY(lit_trainer_add_callback(tr, &es));
    LIT_TRY(lit_trainer_fit(tr, &m, &dm, NULL));
    *stopped = lit_early_stopping_stopped_epoch(&es);
    return LIT_OK;
}

static lit_status model_checkpoint_example(lit_trainer *tr, lit_module m, lit_datamodule dm, char *best, size_t n) {
    lit_model_checkpoint_params cp = lit_model_checkpoint_default_params();
    cp.monitor = "val/loss"; cp.mode = LIT_MIN; cp.save_top_k = 3; cp.save_last = 1;
    lit_callback ck;
    LIT_TRY(lit_model_checkpoint_callback(&ck, &cp));
    LIT_TRY(lit_trainer_add_callback(tr, &ck));
    LIT_TRY(lit_trainer_fit(tr, &m, &dm, "last"));      // resumes when a last.ckpt exists
    printf("best %s\n", lit_model_checkpoint_best_path(&ck));
    snprintf(best, n, "%s", lit_model_checkpoint_best_path(&ck));
    return LIT_OK;
}

static lit_status monitors_example(lit_trainer *tr, lit_module m, lit_datamodule dm, double *elapsed) {
    lit_callback lr, tm;
    LIT_TRY(lit_lr_monitor_callback(&lr, &(lit_lr_monitor_params){ .logging_interval = LIT_LOG_EVERY_STEP }));
    lit_timer_params tp = lit_timer_default_params();
    LIT_TRY(lit_timer_parse_duration("00:12:00:00", &tp.duration));
    LIT_TRY(lit_timer_callback(&tm, &tp));
    LIT_TRY(lit_trainer_add_callback(tr, &lr)); LIT_TRY(lit_trainer_add_callback(tr, &tm));
    LIT_TRY(lit_trainer_fit(tr, &m, &dm, NULL)); /* ... fit ... */
    printf("trained %.0f s\n", lit_timer_time_elapsed(&tm, LIT_RUNNING_TRAIN));
    *elapsed = lit_timer_time_elapsed(&tm, LIT_RUNNING_TRAIN);
    return LIT_OK;
}

static void with_bar(lit_trainer_params *p) { p->enable_progress_bar = 1; }
static void with_checkpoints(lit_trainer_params *p) { p->enable_checkpointing = 1; p->default_root_dir = "."; }
static void with_logger(lit_trainer_params *p) { p->logger = 1; p->default_root_dir = "."; }

TEST(callbacks_examples) {
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL);
    char *dir = make_tmp_dir("header-examples");
    CHECK_EQ_INT(chdir(dir), 0);
    FILE *saved_out = stdout, *saved_err = stderr;
    fflush(stdout);
    stdout = fopen("/dev/null", "w"); /* the examples print */
    stderr = fopen("/dev/null", "w");
    tiny_run r;

    tiny_run_with(&r, with_bar);
    lit_status bar = progress_bar_example(r.tr);
    lit_status bar_fit = bar == LIT_OK ? lit_trainer_fit(r.tr, &r.m, &r.dm, NULL) : bar;
    tiny_run_free(&r);

    tiny_run_with(&r, NULL);
    int64_t stopped = -1;
    lit_status es = early_stopping_example(r.tr, r.m, r.dm, &stopped);
    tiny_run_free(&r);

    tiny_run_with(&r, with_checkpoints);
    char best[4096] = "";
    lit_status ck = model_checkpoint_example(r.tr, r.m, r.dm, best, sizeof best);
    tiny_run_free(&r);

    tiny_run_with(&r, with_logger);
    double elapsed = -1;
    lit_status mon = monitors_example(r.tr, r.m, r.dm, &elapsed);
    tiny_run_free(&r);

    fclose(stdout);
    fclose(stderr);
    stdout = saved_out, stderr = saved_err;
    CHECK_EQ_INT(bar, LIT_OK);
    CHECK_EQ_INT(bar_fit, LIT_OK);
    CHECK_EQ_INT(es, LIT_OK);
    CHECK_EQ_INT(stopped, 0); /* 2 epochs, patience 5: it never stops the run */
    CHECK_EQ_INT(ck, LIT_OK);
    CHECK_MSG(strstr(best, ".ckpt") != NULL, "best path: '%s'", best);
    CHECK_EQ_INT(mon, LIT_OK);
    CHECK(elapsed >= 0);
    CHECK_EQ_INT(chdir(cwd), 0);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- metrics.h */

/* Fixed scores: row i's largest logit is class i % 10, its label i % 5,
 * so half of 10 rows are right. */
static void make_scores(int64_t rows, lit_tensor **logits, lit_tensor **labels) {
    *logits = lit_tensor_new(lit_arena_current(), LIT_F32, LIT_SHAPE(rows, 10));
    *labels = lit_tensor_new(lit_arena_current(), LIT_I64, LIT_SHAPE(rows));
    lit_tensor_zero_(*logits);
    for (int64_t i = 0; i < rows; i++) lit_f32(*logits)[i * 10 + i % 10] = 1.0f, lit_i64(*labels)[i] = i % 5;
}

static lit_metric *g_acc; /* the example's metric, read by the validation_step below */

static lit_status metric_val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)b, (void)i, (void)dl;
    lit_metric *acc = g_acc;
    lit_tensor *logits, *labels;
    make_scores(10, &logits, &labels);
    *out = NULL;
    // validation_step:
    LIT_TRY(lit_metric_update(acc, logits, labels));          // logits (B, C), labels (B,) i64
    LIT_TRY(lit_module_log_metric(m, "val/acc", acc, .prog_bar = 1));  // computed at epoch end, then reset
    return LIT_OK;
}
static const lit_module_vtable vt_metric = { .version = LIT_MODULE_VERSION, .training_step = step,
                                             .validation_step = metric_val_step, .configure_optimizers = opt };

static lit_status metric_by_hand(lit_metric *acc, double *out) {
    lit_tensor *logits, *labels;
    make_scores(10, &logits, &labels);
    LIT_TRY(lit_metric_update(acc, logits, labels));
    // or by hand:
    double v; LIT_TRY(lit_metric_compute_scalar(acc, &v)); lit_metric_reset(acc);
    *out = v;
    return LIT_OK;
}

TEST(metrics_example) {
    lit_metric *acc = lit_accuracy_new(&(lit_accuracy_params){ .task = LIT_TASK_MULTICLASS,
                                                               .num_classes = 10 });
    g_acc = acc;
    tiny_run r;
    tiny_run_init(&r);
    r.dm.val_dataloaders = val_loaders;
    lit_module_deinit(&r.m);
    lit_module_init(&r.m, &vt_metric, r.store, &r.state);
    lit_trainer_free(r.tr);
    r.p.max_epochs = 1;
    r.tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&r.tr, &r.p), LIT_OK);
    CHECK_MSG(lit_trainer_fit(r.tr, &r.m, &r.dm, NULL) == LIT_OK, "%s", lit_last_error());
    double logged = -1;
    CHECK(lit_trainer_get_metric(r.tr, LIT_METRICS_CALLBACK, "val/acc", &logged));
    CHECK_NEAR(logged, 0.5, 1e-6);
    tiny_run_free(&r);
    double v = -1;
    CHECK_EQ_INT(metric_by_hand(acc, &v), LIT_OK);
    CHECK_NEAR(v, 0.5, 1e-6);
    lit_metric_free(acc);
}

/* ---------------------------------------------------------------- registry.h */

/* Stands in for the mlp-digits example's registration (its classes are not
 * linked into this test): the example resolves a built-in callback. */
static lit_status digits_register(void) { return LIT_OK; }

static lit_status registry_example(lit_trainer *tr, lit_trainer_params trainer_params, const lit_config_node *node) {
    lit_registry_register_builtins();
    LIT_TRY(digits_register());                  // the example's model and data
    const lit_registry_class *cls;
    lit_registry_args *args;
    LIT_TRY(lit_registry_resolve(LIT_REG_CALLBACK, node, &cls, &args));
    lit_registry_context ctx = lit_registry_default_context();
    ctx.default_root_dir = trainer_params.default_root_dir;
    lit_callback cb;
    lit_status st = lit_registry_build_callback(cls, args, &ctx, &cb);
    lit_registry_print_help(stdout, cls);      // --help: every option, type, default, doc
    lit_registry_args_print_yaml(stdout, args, 4);  // --print_config: the completed init_args
    lit_registry_args_free(args);
    LIT_TRY(st);
    LIT_TRY(lit_trainer_add_callback(tr, &cb));
    return LIT_OK;
}

TEST(registry_example) {
    lit_config *cfg = NULL;
    CHECK_EQ_INT(lit_config_load_string(&cfg, "cb: {class_path: Timer, init_args: {duration: \"00:00:01:00\"}}\n",
                                        "t.yaml"), LIT_OK);
    tiny_run r;
    tiny_run_init(&r);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len), *saved = stdout;
    fflush(stdout);
    stdout = out;
    lit_status st = cfg ? registry_example(r.tr, r.p, lit_config_get(cfg, "cb")) : LIT_ERR_CONFIG;
    stdout = saved;
    fclose(out);
    CHECK_MSG(st == LIT_OK, "%s", lit_last_error());
    CHECK_STR_CONTAINS(text, "duration");  /* the help and the completed init_args */
    CHECK_MSG(lit_trainer_fit(r.tr, &r.m, &r.dm, NULL) == LIT_OK, "%s", lit_last_error());
    free(text);
    tiny_run_free(&r);
    lit_config_free(cfg);
}

int main(void) {
    lit_log_set_level(LIT_LOG_ERROR);
    RUN(tensor_and_autograd_examples);
    RUN(optim_example);
    RUN(nn_example);
    RUN(train_example);
    RUN(callback_example);
    RUN(weight_averaging_example);
    RUN(finetuning_example);
    RUN(tuner_example);
    RUN(data_example);
    RUN(checkpoint_and_safetensors_examples);
    RUN(sched_example);
    RUN(core_backend_summary_examples);
    RUN(config_example);
    RUN(progress_example);
    RUN(loggers_and_report_example);
    RUN(callbacks_examples);
    RUN(metrics_example);
    RUN(registry_example);
    return harness_summary();
}
