/*
 * tests/test-restore-hostile.c — fit(ckpt_path) and the weight loaders on
 * well-formed hostile checkpoints (issue 11): a real run writes a
 * checkpoint in the middle of a gradient accumulation group; the test then
 * edits one value or tensor with the checkpoint API (so the checksum is
 * valid again, as anyone can recompute it) and resumes from the copy.
 *
 *   - every integer the restore uses (loops.*, results.*, optimizer and
 *     scheduler counters, callback counters) outside the range litc can
 *     count to is a LIT_ERR_CORRUPT naming the key and the range, never a
 *     signed overflow (UBSan) or a loop that never ends;
 *   - a grads.<param> tensor is restored into the parameter's own arena
 *     (freed with the model: no leak, on success or failure); optimizer
 *     state or gradients of slots or parameters the run does not have are
 *     refused by name;
 *   - NaN/Inf weights, gradients and optimizer state are refused naming the
 *     tensor, unless Trainer(allow_non_finite_checkpoint) /
 *     LIT_LOAD_ALLOW_NON_FINITE allows them;
 *   - a logger that fails while a fit is failing keeps the fit's error
 *     message (library and `litc fit`), and the CLI's "loss became nan"
 *     quotes the optimizer's lr.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tmp-dir.h"

#define D_IN 2
#include "tiny-data.h"

static void tiny_sample(int64_t i, float *x, float *y) { tiny_linear_sample(i, D_IN, x, y); }

static char *dir;
static const char *BASE_CKPT, *EDITED_CKPT;

/* ---------------------------------------------------------------- the run */

#include "restore-model.h"

static void model_init(model *md, lit_module *m) {
    memset(md, 0, sizeof *md);
    md->ps = lit_param_store_new("hostile");
    lit_rng init = lit_rng_new(3);
    lit_nn_linear_init(&md->fc, md->ps, "fc", D_IN, 1, 1, &init);
    lit_module_init(m, &VT, md->ps, md);
}

static void model_free(model *md, lit_module *m) {
    lit_module_deinit(m);
    lit_param_store_free(md->ps);
}

static int64_t n_samples = 8; /* 4 batches of 2 */
static lit_dataloader *train_loader;
static lit_dataloader *dm_train(void *u) {
    (void)u;
    if (!train_loader) train_loader = tiny_loader(&n_samples, 2, NULL);
    return train_loader;
}

/* Saves BASE_CKPT after batch 2: the first batch of the second group of
 * accumulate_grad_batches=2, so the checkpoint holds grads.* too. */
static lit_status save_mid_group(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l, lit_batch *b,
                                 int64_t i) {
    (void)cb, (void)m, (void)l, (void)b;
    return i == 2 ? lit_trainer_save_checkpoint(tr, BASE_CKPT, 0) : LIT_OK;
}

/* One fit of the tiny model with EarlyStopping; resumes from ckpt when set. */
static lit_status fit(const char *ckpt, int max_epochs, int allow_non_finite, lit_callback *extra) {
    model md;
    lit_module m;
    model_init(&md, &m);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = max_epochs;
    p.accumulate_grad_batches = 2;
    p.allow_non_finite_checkpoint = allow_non_finite;
    lit_trainer *tr = NULL;
    lit_status st = lit_trainer_new(&tr, &p);
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "train/loss";
    ep.check_on_train_epoch_end = 1;
    lit_callback es;
    if (st >= 0) st = lit_early_stopping_callback(&es, &ep);
    if (st >= 0) st = lit_trainer_add_callback(tr, &es);
    if (st >= 0 && extra) st = lit_trainer_add_callback(tr, extra);
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train };
    if (st >= 0) st = lit_trainer_fit(tr, &m, &dm, ckpt);
    /* the error text outlives the frees below (they set none) */
    lit_trainer_free(tr);
    lit_dataloader_free(train_loader);
    train_loader = NULL;
    model_free(&md, &m);
    return st;
}

static void make_base_checkpoint(void) {
    lit_callback saver = { .version = LIT_CALLBACK_VERSION, .name = "saver", .on_train_batch_end = save_mid_group };
    CHECK_MSG(fit(NULL, 1, 0, &saver) == LIT_OK, "%s", lit_last_error());
    CHECK(exists(BASE_CKPT));
}

/* ---------------------------------------------------------------- editing */

static lit_checkpoint *load_base(void) {
    lit_checkpoint *ck = NULL;
    CHECK_MSG(lit_checkpoint_load(&ck, BASE_CKPT) == LIT_OK, "%s", lit_last_error());
    return ck;
}

static void save_edited(lit_checkpoint *ck) {
    CHECK_MSG(lit_checkpoint_save(ck, EDITED_CKPT) == LIT_OK, "%s", lit_last_error());
    lit_checkpoint_free(ck);
}

/* The base checkpoint with JSON value `key` (dotted) set to `json`. */
static void edit_value(const char *key, const char *json) {
    lit_checkpoint *ck = load_base();
    CHECK_MSG(lit_checkpoint_has(ck, key), "the base checkpoint has no %s", key);
    CHECK_EQ_INT(lit_checkpoint_set_json(ck, key, json), LIT_OK);
    save_edited(ck);
}

/* The same for a key of EarlyStopping's state (its scope name has dots). */
static void edit_early_stopping(const char *key, const char *json) {
    lit_checkpoint *ck = load_base();
    const char *scope = NULL;
    for (int i = 0; i < lit_checkpoint_key_count(ck, "callbacks"); i++)
        if (!strncmp(lit_checkpoint_key_at(ck, "callbacks", i), "EarlyStopping", 13))
            scope = lit_checkpoint_key_at(ck, "callbacks", i);
    CHECK(scope != NULL);
    if (scope) {
        CHECK_EQ_INT(lit_checkpoint_push_scope(ck, "callbacks"), LIT_OK);
        CHECK_EQ_INT(lit_checkpoint_push_scope(ck, scope), LIT_OK);
        CHECK_MSG(lit_checkpoint_has(ck, key), "EarlyStopping's state has no %s", key);
        CHECK_EQ_INT(lit_checkpoint_set_json(ck, key, json), LIT_OK);
        lit_checkpoint_reset_scope(ck);
    }
    save_edited(ck);
}

/* The base checkpoint with element k of tensor `name` (f32) set to v. */
static void edit_tensor(const char *name, int64_t k, float v) {
    lit_checkpoint *ck = load_base();
    lit_dtype dt;
    int ndim;
    int64_t shape[LIT_MAX_DIMS];
    CHECK_MSG(lit_checkpoint_tensor_info(ck, name, &dt, &ndim, shape), "the base checkpoint has no tensor %s", name);
    lit_tensor *t = lit_tensor_new(NULL, LIT_F32, ndim, shape);
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, name, t), LIT_OK);
    lit_f32(t)[k] = v;
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, name, t), LIT_OK);
    save_edited(ck); /* saved before t is freed: put_tensor references it */
    lit_tensor_free(t);
}

/* Resume from EDITED_CKPT: `want` status, message naming `needle` (and the
 * range, for range errors). */
static void check_refused(const char *what, lit_status want, const char *needle, const char *needle2) {
    lit_status st = fit(EDITED_CKPT, 2, 0, NULL);
    const char *msg = lit_last_error();
    CHECK_MSG(st == want, "%s: status %s (%s), want %s", what, lit_status_name(st), msg, lit_status_name(want));
    CHECK_MSG(strstr(msg, needle) != NULL, "%s: the message does not name %s: %s", what, needle, msg);
    if (needle2) CHECK_MSG(strstr(msg, needle2) != NULL, "%s: the message lacks \"%s\": %s", what, needle2, msg);
}

/* ---------------------------------------------------------------- tests */

TEST(the_unedited_checkpoint_resumes) {
    lit_checkpoint *ck = load_base();
    CHECK(lit_checkpoint_tensor_info(ck, "grads.fc.weight", NULL, NULL, NULL)); /* saved inside a group */
    int64_t pending = 0;
    CHECK_EQ_INT(lit_checkpoint_get_int(ck, "loops.fit_loop.accumulation_pending", &pending), LIT_OK);
    CHECK_EQ_INT(pending, 1);
    save_edited(ck);
    CHECK_MSG(fit(EDITED_CKPT, 2, 0, NULL) == LIT_OK, "%s", lit_last_error());
}

TEST(every_restored_integer_is_range_checked) {
    static const struct {
        const char *key, *json, *range;
    } CASES[] = {
        { "loops.fit_loop.epoch", "9223372036854775807", "0..9007199254740991" },
        { "loops.fit_loop.global_step", "9223372036854775807", "0..9007199254740991" },
        { "loops.fit_loop.batches_that_stepped", "9007199254740992", "0..9007199254740991" },
        { "loops.fit_loop.batch", "-1", "0..9007199254740991" },
        { "loops.fit_loop.phase", "4", "0..3" },
        { "loops.fit_loop.epoch_complete", "2", "0..1" },
        { "loops.fit_loop.accumulate_grad_batches", "0", "1..9007199254740991" },
        { "loops.fit_loop.accumulation_pending", "-9223372036854775808", "0..1" },
        { "loops.fit_loop.num_training_batches", "-2", "-1..9007199254740991" },
        { "optimizers", "9223372036854775807", "0..1048576" },
        { "lr_scheduler_count", "-1", "0..1048576" },
        { "optimizer_param_groups.0.0.n_params", "-5", "0..2147483647" },
        { "lr_schedulers.0.state.last_epoch", "-2", "-1..9007199254740991" },
        { "lr_schedulers.0.state._step_count", "-1", "0..9007199254740991" },
        { "results.train_count", "9223372036854775807", "0..1048576" },
        { "results.callback_metrics_count", "-1", "0..1048576" },
        { "results.train.0.reduce_fx", "99", "0..3" },
        { "results.train.0.prog_bar", "7", "-1..1" },
        { "results.train.0.batch_size", "-3", "0..9007199254740991" },
        { "results.train.0.n", "-9223372036854775807", "0..9007199254740991" },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        edit_value(CASES[i].key, CASES[i].json);
        check_refused(CASES[i].key, LIT_ERR_CORRUPT, CASES[i].key, CASES[i].range);
    }
    edit_value("loops.fit_loop.time_elapsed", "-1e300");
    check_refused("time_elapsed", LIT_ERR_CORRUPT, "loops.fit_loop.time_elapsed", "0..1e12");
    /* The largest counter is still usable: a run may go on from it. */
    edit_value("loops.fit_loop.global_step", "9007199254740991");
    CHECK_MSG(fit(EDITED_CKPT, 2, 0, NULL) == LIT_OK, "%s", lit_last_error());
}

TEST(callback_counters_are_range_checked_and_named) {
    static const char *const KEYS[] = { "wait_count", "stopped_epoch", "patience" };
    for (size_t i = 0; i < sizeof KEYS / sizeof *KEYS; i++) {
        edit_early_stopping(KEYS[i], "9223372036854775807");
        check_refused(KEYS[i], LIT_ERR_CORRUPT, KEYS[i], "callbacks.EarlyStopping");
        edit_early_stopping(KEYS[i], "-1");
        check_refused(KEYS[i], LIT_ERR_CORRUPT, KEYS[i], "0..9007199254740991");
    }
}

/* The numbers a callback computes with: a NaN best score would never
 * improve, a negative elapsed time would push max_time away, a NaN
 * learning rate would reach the weights. */
TEST(callback_numbers_are_range_checked_and_named) {
    edit_early_stopping("best_score", "\"nan\"");
    check_refused("best_score", LIT_ERR_CORRUPT, "best_score", "callbacks.EarlyStopping");
    edit_early_stopping("best_score", "\"-inf\""); /* before the first score: allowed */
    CHECK_MSG(fit(EDITED_CKPT, 2, 0, NULL) == LIT_OK, "%s", lit_last_error());

    lit_checkpoint *ck = lit_checkpoint_new();
    static const struct {
        const char *json;
        lit_status want;
    } TIMES[] = { { "12.5", LIT_OK }, { "-1", LIT_ERR_CORRUPT }, { "\"nan\"", LIT_ERR_CORRUPT },
                  { "\"inf\"", LIT_ERR_CORRUPT }, { "1e300", LIT_ERR_CORRUPT } };
    for (size_t i = 0; i < sizeof TIMES / sizeof *TIMES; i++) {
        CHECK_EQ_INT(lit_checkpoint_set_json(ck, "time_elapsed.train", TIMES[i].json), LIT_OK);
        lit_callback timer;
        CHECK_EQ_INT(lit_timer_callback(&timer, NULL), LIT_OK);
        lit_status st = timer.state_load(&timer, ck);
        CHECK_MSG(st == TIMES[i].want, "Timer time_elapsed.train = %s: %s", TIMES[i].json, lit_last_error());
        if (st < 0) CHECK_MSG(strstr(lit_last_error(), "time_elapsed.train"), "%s", lit_last_error());
        else CHECK(lit_timer_time_elapsed(&timer, LIT_RUNNING_TRAIN) == 12.5);
        timer.free(&timer);
    }
    double v = 0;
    CHECK_EQ_INT(lit_checkpoint_set_json(ck, "lr", "\"nan\""), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_get_double_range(ck, "lr", -INFINITY, INFINITY, &v), LIT_ERR_CORRUPT);
    CHECK_EQ_INT(lit_checkpoint_set_json(ck, "lr", "0.5"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_get_double_range(ck, "lr", 0, 1, &v), LIT_OK);
    CHECK(v == 0.5);
    CHECK_EQ_INT(lit_checkpoint_get_double_range(ck, "lr", 0.75, 1, &v), LIT_ERR_CORRUPT);
    CHECK(v == 0.5); /* untouched on error */
    lit_checkpoint_free(ck);
}

TEST(restored_gradients_live_with_their_parameter) {
    /* Restored into a fresh model, the gradient must be freed with the
     * model's parameter store (the leak of issue 11: a heap tensor nothing
     * freed). LeakSanitizer checks the rest in the ASan build. */
    model md;
    lit_module m;
    model_init(&md, &m);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1; /* the checkpoint's epoch 0 finishes: the resumed batches run */
    p.accumulate_grad_batches = 2;
    lit_trainer *tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "train/loss";
    ep.check_on_train_epoch_end = 1;
    lit_callback es;
    CHECK_EQ_INT(lit_early_stopping_callback(&es, &ep), LIT_OK);
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &es), LIT_OK);
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train };
    CHECK_MSG(lit_trainer_fit(tr, &m, &dm, BASE_CKPT) == LIT_OK, "%s", lit_last_error());
    lit_tensor *w = lit_param_store_tensor(md.ps, 0);
    lit_tensor *g = w->grad ? w->grad : w->grad_spare;
    CHECK(g != NULL);
    if (g) CHECK(g->arena == lit_param_store_arena(md.ps));
    lit_trainer_free(tr);
    lit_dataloader_free(train_loader);
    train_loader = NULL;
    model_free(&md, &m);

    /* A gradient of the wrong shape is refused before anything is touched,
     * and a failure after the gradients leaks nothing either. */
    lit_checkpoint *ck = load_base();
    lit_tensor *wrong = lit_tensor_new(NULL, LIT_F32, 1, (const int64_t[]){ 5 });
    lit_tensor_zero_(wrong);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "grads.fc.weight", wrong), LIT_OK);
    save_edited(ck);
    lit_tensor_free(wrong);
    check_refused("grads shape", LIT_ERR_SHAPE, "grads.fc.weight", "(5,)");
    edit_value("results.train_count", "-1");
    check_refused("failure after grads", LIT_ERR_CORRUPT, "results.train_count", NULL);
}

/* The base checkpoint plus an f32 tensor `name` of shape [n]. */
static void add_tensor(const char *name, int64_t n) {
    lit_checkpoint *ck = load_base();
    lit_tensor *t = lit_tensor_new(NULL, LIT_F32, 1, (const int64_t[]){ n });
    lit_tensor_zero_(t);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, name, t), LIT_OK);
    save_edited(ck);
    lit_tensor_free(t);
}

TEST(unexpected_state_tensors_are_refused_by_name) {
    /* A slot or parameter this model and optimizer do not have would be
     * silently ignored: refused, as a strict load refuses a weight. */
    static const char *const NAMES[] = { "optimizer_states.0.exp_avg.nope", "optimizer_states.0.velocity.fc.weight",
                                         "optimizer_states.1.exp_avg.fc.weight", "grads.nope" };
    for (size_t i = 0; i < sizeof NAMES / sizeof *NAMES; i++) {
        add_tensor(NAMES[i], 1);
        check_refused(NAMES[i], LIT_ERR_CORRUPT, NAMES[i], "not ");
    }
    /* the counts' errors say what they count */
    edit_value("lr_scheduler_count", "2147483648");
    check_refused("lr_scheduler_count", LIT_ERR_CORRUPT, "lr_scheduler_count", "the number of lr schedulers");
    edit_value("loops.fit_loop.num_training_batches", "9223372036854775807");
    check_refused("num_training_batches", LIT_ERR_CORRUPT, "num_training_batches", "the number of training batches");
}

TEST(non_finite_weights_and_optimizer_state_are_refused_by_name) {
    static const struct {
        const char *tensor;
        float v;
    } CASES[] = {
        { "state_dict.fc.weight", NAN },
        { "state_dict.fc.bias", INFINITY },
        { "optimizer_states.0.exp_avg.fc.weight", -INFINITY },
        { "optimizer_states.0.exp_avg_sq.fc.bias", NAN },
        { "grads.fc.weight", NAN },
    };
    for (size_t i = 0; i < sizeof CASES / sizeof *CASES; i++) {
        edit_tensor(CASES[i].tensor, 0, CASES[i].v);
        check_refused(CASES[i].tensor, LIT_ERR_NUMERIC, CASES[i].tensor, "allow_non_finite_checkpoint");
        /* the explicit option takes it (the run then trains on NaN, as asked) */
        lit_status st = fit(EDITED_CKPT, 2, 1, NULL);
        CHECK_MSG(st == LIT_OK, "%s allowed: %s", CASES[i].tensor, lit_last_error());
    }
    /* hyperparameters obey the optimizer's rules, as its constructor does */
    edit_value("optimizer_param_groups.0.0.lr", "\"nan\"");
    check_refused("lr", LIT_ERR_CORRUPT, "optimizer_param_groups.0.0", "lr is nan");
    edit_value("optimizer_param_groups.0.0.betas.1", "1.5");
    check_refused("betas", LIT_ERR_CORRUPT, "optimizer_param_groups.0.0", "betas[1] is 1.5");
    edit_value("optimizer_param_groups.0.0.eps", "-1");
    check_refused("eps", LIT_ERR_CORRUPT, "optimizer_param_groups.0.0", "eps is -1");
    /* a scheduler's learning rates become the optimizer's */
    edit_value("lr_schedulers.0.state.base_lrs.0", "\"nan\"");
    check_refused("base_lrs", LIT_ERR_NUMERIC, "lr_schedulers.0.state.base_lrs.0", "allow_non_finite_checkpoint");
    /* Adam's step is a count: a negative one would divide by 1 - beta^0 = 0. */
    edit_tensor("optimizer_states.0.step.fc.weight", 0, -1.0f);
    check_refused("step", LIT_ERR_CORRUPT, "optimizer_states.0.step.fc.weight", "0..9007199254740991");
}

TEST(load_weights_refuses_non_finite_unless_allowed) {
    edit_tensor("state_dict.fc.weight", 1, NAN);
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, EDITED_CKPT), LIT_OK);
    model md;
    lit_module m;
    model_init(&md, &m);
    lit_tensor *w = lit_param_store_tensor(md.ps, 0);
    float before = lit_f32(w)[1];
    CHECK_EQ_INT(lit_module_load_weights(&m, ck, LIT_LOAD_STRICT, NULL), LIT_ERR_NUMERIC);
    CHECK_STR_CONTAINS(lit_last_error(), "state_dict.fc.weight");
    CHECK_STR_CONTAINS(lit_last_error(), "element 1");
    CHECK_STR_CONTAINS(lit_last_error(), "LIT_LOAD_ALLOW_NON_FINITE");
    CHECK(lit_f32(w)[1] == before); /* nothing copied */
    CHECK_EQ_INT(lit_module_load_weights(&m, ck, LIT_LOAD_STRICT | LIT_LOAD_ALLOW_NON_FINITE, NULL), LIT_OK);
    CHECK(isnan(lit_f32(w)[1]));
    model_free(&md, &m);
    lit_checkpoint_free(ck);
}

/* ---------------------------------------------------------------- lost error messages */

TEST(a_failing_logger_keeps_the_fit_error) {
    /* default_root_dir under a regular file: nothing can be made there
     * (ENOTDIR, also as root). The loggers fail too, at finalize("failed"),
     * after the fit's own error was set: its text must survive. */
    const char *file = join(dir, "a-file");
    FILE *f = fopen(file, "w");
    CHECK(f != NULL);
    if (f) fclose(f);
    char root[1024];
    snprintf(root, sizeof root, "%s/run", file);
    model md;
    lit_module m;
    model_init(&md, &m);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.logger = 1;
    p.enable_checkpointing = 1;
    p.default_root_dir = root;
    lit_trainer *tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train };
    lit_status st = lit_trainer_fit(tr, &m, &dm, NULL);
    CHECK(st < 0);
    CHECK_STR_CONTAINS(lit_last_error(), "Not a directory");
    CHECK_STR_CONTAINS(lit_last_error(), root);
    lit_trainer_free(tr);
    lit_dataloader_free(train_loader);
    train_loader = NULL;
    model_free(&md, &m);
}

static char litc[4096];

/* `litc args...` in dir; returns the exit status, stderr in err. */
static int run_litc(const char *const *args, char *err, size_t n) {
    const char *err_path = join(dir, "litc.err");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* in dir: a run without loggers saves its config.yaml in the cwd */
        if (chdir(dir) != 0) _exit(99);
        if (!freopen("/dev/null", "w", stdout) || !freopen(err_path, "w", stderr)) _exit(98);
        const char *argv[32] = { litc };
        int k = 1;
        for (const char *const *a = args; *a && k < 31; a++) argv[k++] = *a;
        argv[k] = NULL;
        setenv("OMP_NUM_THREADS", "1", 1);
        execv(litc, (char *const *)argv);
        _exit(97);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    err[0] = 0;
    FILE *f = fopen(err_path, "r");
    if (f) {
        size_t got = fread(err, 1, n - 1, f);
        err[got] = 0;
        fclose(f);
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int have_litc(void) {
    ssize_t len = readlink("/proc/self/exe", litc, sizeof litc - 8);
    if (len <= 0) return 0;
    litc[len] = 0;
    strcpy(strrchr(litc, '/') + 1, "litc");
    return access(litc, X_OK) == 0;
}

TEST(litc_fit_prints_why_it_failed) {
    if (!have_litc()) {
        SKIP("%s was not built (target litc_cli)", litc);
        return;
    }
    char root[1024], err[8192];
    snprintf(root, sizeof root, "--trainer.default_root_dir=%s/run", join(dir, "a-file"));
    const char *args[] = { "fit", "--config", LITC_SOURCE_DIR "/examples/mlp-digits/config.yaml", root, NULL };
    int rc = run_litc(args, err, sizeof err);
    CHECK(rc != 0);
    const char *line = strstr(err, "litc fit: ");
    CHECK_MSG(line != NULL, "stderr: %s", err);
    if (line) CHECK_MSG(strstr(line, "Not a directory") != NULL, "the reason is lost: %s", line);
}

TEST(litc_nan_loss_quotes_the_optimizers_lr) {
    if (!have_litc()) {
        SKIP("%s was not built (target litc_cli)", litc);
        return;
    }
    /* The model's own lr is 0.001; the config's optimizer replaces it with
     * one so large that the loss is NaN at once. */
    const char *cfg = join(dir, "nan.yaml");
    FILE *f = fopen(cfg, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs("seed_everything: 0\n"
          "trainer: {max_epochs: 1, logger: false, enable_checkpointing: false, enable_progress_bar: false,\n"
          "          enable_model_summary: false, num_sanity_val_steps: 0}\n"
          "model:\n  class_path: DigitsModule\n  init_args: {hidden: [16, 8], lr: 0.001}\n"
          "data:\n  class_path: DigitsDataModule\n  init_args: {batch_size: 32}\n"
          "optimizer:\n  class_path: SGD\n  init_args: {lr: 1.0e+300}\n",
          f);
    fclose(f);
    char err[8192];
    const char *args[] = { "fit", "--config", cfg, NULL };
    int rc = run_litc(args, err, sizeof err);
    CHECK(rc != 0);
    CHECK_MSG(strstr(err, "loss became") != NULL, "stderr: %s", err);
    CHECK_MSG(strstr(err, "(now 1e+300)") != NULL, "the message quotes another lr: %s", err);
}

TEST(litc_validate_refuses_non_finite_weights_unless_allowed) {
    if (!have_litc()) {
        SKIP("%s was not built (target litc_cli)", litc);
        return;
    }
    /* The hostile corpus's digits checkpoint with one NaN weight. */
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, LITC_SOURCE_DIR "/tests/hostile/base.ckpt"), LIT_OK);
    if (!ck) return;
    const char *name = "state_dict.mlp.layers.0.weight";
    lit_dtype dt;
    int ndim = 0;
    int64_t shape[LIT_MAX_DIMS];
    CHECK(lit_checkpoint_tensor_info(ck, name, &dt, &ndim, shape));
    lit_tensor *w = lit_tensor_new(NULL, LIT_F32, ndim, shape);
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, name, w), LIT_OK);
    lit_f32(w)[5] = NAN;
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, name, w), LIT_OK);
    const char *path = join(dir, "nan-digits.ckpt");
    CHECK_EQ_INT(lit_checkpoint_save(ck, path), LIT_OK);
    lit_checkpoint_free(ck);
    lit_tensor_free(w);
    char ckpt_arg[1024], err[8192];
    snprintf(ckpt_arg, sizeof ckpt_arg, "--ckpt_path=%s", path);
    const char *refused[] = { "validate", "--config", LITC_SOURCE_DIR "/tests/hostile/base.yaml", ckpt_arg,
                              "--trainer.logger=false", NULL };
    CHECK_EQ_INT(run_litc(refused, err, sizeof err), 3); /* data */
    CHECK_MSG(strstr(err, name) && strstr(err, "--trainer.allow_non_finite_checkpoint=true"), "stderr: %s", err);
    const char *allowed[] = { "validate", "--config", LITC_SOURCE_DIR "/tests/hostile/base.yaml", ckpt_arg,
                              "--trainer.logger=false", "--trainer.allow_non_finite_checkpoint=true", NULL };
    int rc = run_litc(allowed, err, sizeof err);
    CHECK_MSG(rc == 0, "exit %d: %s", rc, err);
}

int main(void) {
    lit_set_num_threads(1);
    dir = make_tmp_dir("restore");
    static char base[512], edited[512];
    snprintf(base, sizeof base, "%s/base.ckpt", dir);
    snprintf(edited, sizeof edited, "%s/edited.ckpt", dir);
    BASE_CKPT = base, EDITED_CKPT = edited;
    make_base_checkpoint();
    RUN(the_unedited_checkpoint_resumes);
    RUN(every_restored_integer_is_range_checked);
    RUN(callback_counters_are_range_checked_and_named);
    RUN(callback_numbers_are_range_checked_and_named);
    RUN(restored_gradients_live_with_their_parameter);
    RUN(unexpected_state_tensors_are_refused_by_name);
    RUN(non_finite_weights_and_optimizer_state_are_refused_by_name);
    RUN(load_weights_refuses_non_finite_unless_allowed);
    RUN(a_failing_logger_keeps_the_fit_error);
    RUN(litc_fit_prints_why_it_failed);
    RUN(litc_nan_loss_quotes_the_optimizers_lr);
    RUN(litc_validate_refuses_non_finite_weights_unless_allowed);
    rm_rf(dir);
    return harness_summary();
}
