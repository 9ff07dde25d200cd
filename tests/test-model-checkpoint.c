/*
 * tests/test-model-checkpoint.c — ModelCheckpoint and OnExceptionCheckpoint
 * (model-checkpoint.h) against Lightning 2.x's model_checkpoint.py and
 * on_exception_checkpoint.py, by exact file names and values: a tiny
 * regression module whose validation logs a scripted "val/loss" per epoch
 * (2 training batches per epoch, so epoch e ends at global step 2(e+1));
 * the expectations are worked out by hand in each test.
 */
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>

#include "harness.h"
#include "scripted-fit.h"

static char *make_tmp(void) { return make_tmp_dir("mc"); }

static int touch(const char *path) {
    FILE *f = fopen(path, "w");
    if (f) fclose(f);
    return f != NULL;
}

static char root_dir[64]; /* default_root_dir of every run: a run without its own
                           * ModelCheckpoint gets the Trainer's default one there */

static lit_trainer_params params_epochs(int64_t epochs) {
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = epochs;
    p.enable_checkpointing = 1;
    p.default_root_dir = root_dir;
    return p;
}

static lit_callback make_mc(const lit_model_checkpoint_params *p) {
    lit_callback cb;
    memset(&cb, 0, sizeof cb);
    lit_status st = lit_model_checkpoint_callback(&cb, p);
    CHECK_MSG(st == LIT_OK, "lit_model_checkpoint_callback: %s", lit_last_error());
    return cb;
}

static void check_ckpt_progress(const char *path, int64_t epoch, int64_t step) {
    lit_checkpoint *ck = NULL;
    lit_status st = lit_checkpoint_load(&ck, path);
    CHECK_MSG(st == LIT_OK, "load %s: %s", path, lit_last_error());
    if (!ck) return;
    int64_t e = -1, g = -1;
    CHECK_EQ_INT(lit_checkpoint_get_int(ck, "epoch", &e), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_get_int(ck, "global_step", &g), LIT_OK);
    CHECK_EQ_INT(e, epoch);
    CHECK_EQ_INT(g, step);
    lit_checkpoint_free(ck);
}

/* val/loss per epoch: exact binary fractions, so every comparison is exact. */
static const double SCRIPT5[5] = { 0.5, 0.375, 0.625, 0.25, 0.4375 };

static lit_model_checkpoint_params mc_params(const char *monitor, int save_top_k, int save_last) {
    lit_model_checkpoint_params p = lit_model_checkpoint_default_params();
    p.monitor = monitor;
    p.save_top_k = save_top_k;
    p.save_last = save_last;
    return p;
}

/* One run of SCRIPT5 whose ModelCheckpoint saves into a fresh folder. */
typedef struct {
    char *dir;
    run_t r;
    lit_callback cb;
} mc_run;

static void mc_begin(mc_run *c, const lit_module_vtable *vt) {
    c->dir = make_tmp();
    run_init(&c->r, SCRIPT5, 5, vt);
}
/* Fit with one ModelCheckpoint p saving into c->dir (kept in c->cb). */
static lit_status mc_fit(mc_run *c, lit_model_checkpoint_params p, lit_trainer_params tp, const char *ckpt) {
    p.dirpath = c->dir;
    c->cb = make_mc(&p);
    return run_fit(&c->r, &tp, &c->cb, 1, ckpt);
}
static void mc_end(mc_run *c) {
    run_free(&c->r);
    rm_rf(c->dir);
}
/* mc_begin + mc_fit: the fit succeeds and leaves the files want (the run stays open). */
static void expect_files(mc_run *c, lit_model_checkpoint_params p, lit_trainer_params tp, const char *want) {
    mc_begin(c, NULL);
    CHECK_EQ_INT(mc_fit(c, p, tp, NULL), LIT_OK);
    CHECK_STR_EQ(files_in(c->dir), want);
}

/* trainer callback 0's checkpoint_path(which). */
static const char *ckpt_path(run_t *r, const char *which) {
    lit_callback *tcb = lit_trainer_callback(r->tr, 0);
    return tcb->checkpoint_path(tcb, r->tr, which);
}

/* The checkpoint at path scoped to cb's state under "callbacks" (NULL when it does not load). */
static lit_checkpoint *load_cb_state(const char *path, const lit_callback *cb) {
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path), LIT_OK);
    if (ck) {
        CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, "callbacks"), LIT_OK);
        CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, cb->state_key), LIT_OK);
    }
    return ck;
}

/* ---------------------------------------------------------------- names and keys */

TEST(format_checkpoint_name_as_lightning_docstring) {
    char out[512];
    lit_model_checkpoint_params p = lit_model_checkpoint_default_params();
    const char *names[] = { "epoch", "step", "val_loss" };
    struct { const char *tmpl; int auto_insert; double epoch, step, val; int ver; const char *want; } cases[] = {
        { "{epoch}", 1, 0, 0, 0, -1, "epoch=0.ckpt" },
        { "{epoch:03d}", 1, 5, 0, 0, -1, "epoch=005.ckpt" },
        { "{epoch}-{val_loss:.2f}", 1, 2, 0, 0.123456, -1, "epoch=2-val_loss=0.12.ckpt" },
        { "epoch={epoch}-validation_loss={val_loss:.2f}", 0, 2, 0, 0.123456, -1, "epoch=2-validation_loss=0.12.ckpt" },
        { "{missing:d}", 1, 0, 0, 0, -1, "missing=0.ckpt" },
        { "{step}", 1, 0, 0, 0, -1, "step=0.ckpt" },
        { NULL, 1, 3, 120, 0, -1, "epoch=3-step=120.ckpt" },
        { NULL, 1, 3, 120, 0, 2, "epoch=3-step=120-v2.ckpt" },
        { "{val_loss}", 1, 0, 0, 0.1, -1, "val_loss=0.1.ckpt" },
        { "{val_loss}", 1, 0, 0, 1e-5, -1, "val_loss=1e-05.ckpt" },
        { "{val_loss}", 1, 0, 0, 2.0, -1, "val_loss=2.0.ckpt" },
        { "{val_loss:.3e}", 1, 0, 0, 1234.5, -1, "val_loss=1.234e+03.ckpt" },
        { "{val_loss:>8.2f}", 1, 0, 0, 0.5, -1, "val_loss=    0.50.ckpt" },
        { "{val_loss:+.1f}", 1, 0, 0, 0.25, -1, "val_loss=+0.2.ckpt" },
        { "{val_loss:.1%}", 1, 0, 0, 0.25, -1, "val_loss=25.0%.ckpt" },
        { "{epoch:.2f}", 1, 7, 0, 0, -1, "epoch=7.00.ckpt" },
        { "sample-{epoch:02d}-{val_loss:.2f}", 1, 2, 0, 0.32, -1, "sample-epoch=02-val_loss=0.32.ckpt" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        p.filename = cases[i].tmpl;
        p.auto_insert_metric_name = cases[i].auto_insert;
        lit_callback cb = make_mc(&p);
        double vals[] = { cases[i].epoch, cases[i].step, cases[i].val };
        CHECK_EQ_INT(lit_model_checkpoint_format_name(&cb, 3, names, vals, cases[i].ver, out, sizeof out), LIT_OK);
        CHECK_STR_EQ(out, cases[i].want);
        cb.free(&cb);
    }
    /* a float metric with 'd' fails as Python's format does */
    p.filename = "{val_loss:d}";
    p.auto_insert_metric_name = 1;
    lit_callback cb = make_mc(&p);
    double vals[] = { 0, 0, 0.5 };
    CHECK_EQ_INT(lit_model_checkpoint_format_name(&cb, 3, names, vals, -1, out, sizeof out), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "val_loss");
    cb.free(&cb);
    /* with a dirpath the name is joined to it; "/" in a metric name stays a separator */
    char *dir = make_tmp();
    p.dirpath = dir;
    p.filename = "{epoch}-{val/loss:.3f}";
    cb = make_mc(&p);
    const char *n2[] = { "epoch", "val/loss" };
    double v2[] = { 3, 0.25 };
    CHECK_EQ_INT(lit_model_checkpoint_format_name(&cb, 2, n2, v2, -1, out, sizeof out), LIT_OK);
    CHECK_STR_EQ(out, join(dir, "epoch=3-val/loss=0.250.ckpt"));
    cb.free(&cb);
    rm_rf(dir);
}

TEST(state_keys_as_lightning) {
    lit_model_checkpoint_params p = lit_model_checkpoint_default_params();
    lit_callback cb = make_mc(&p);
    CHECK_STR_EQ(cb.state_key, "ModelCheckpoint{'monitor': None, 'mode': 'min', 'every_n_train_steps': 0, "
                               "'every_n_epochs': 1, 'train_time_interval': None}");
    CHECK_EQ_INT(cb.monitoring, 1);
    CHECK_STR_EQ(cb.name, LIT_MODEL_CHECKPOINT_NAME);
    cb.free(&cb);
    p.monitor = "val/loss";
    p.mode = LIT_MAX;
    p.every_n_train_steps = 5;
    cb = make_mc(&p);
    CHECK_STR_EQ(cb.state_key, "ModelCheckpoint{'monitor': 'val/loss', 'mode': 'max', 'every_n_train_steps': 5, "
                               "'every_n_epochs': 0, 'train_time_interval': None}");
    cb.free(&cb);
    p = lit_model_checkpoint_default_params();
    p.train_time_interval = 3600;
    cb = make_mc(&p);
    CHECK_STR_EQ(cb.state_key, "ModelCheckpoint{'monitor': None, 'mode': 'min', 'every_n_train_steps': 0, "
                               "'every_n_epochs': 0, 'train_time_interval': datetime.timedelta(seconds=3600)}");
    cb.free(&cb);
    p.train_time_interval = 90061.5;
    cb = make_mc(&p);
    CHECK_STR_CONTAINS(cb.state_key, "datetime.timedelta(days=1, seconds=3661, microseconds=500000)");
    cb.free(&cb);
}

TEST(bad_params_are_config_errors) {
    struct { void (*set)(lit_model_checkpoint_params *); const char *msg; } cases[4];
    (void)cases;
    lit_callback cb;
    lit_model_checkpoint_params p;
#define EXPECT_BAD(stmt, substring)                                                      \
    do {                                                                                 \
        p = lit_model_checkpoint_default_params();                                       \
        stmt;                                                                            \
        CHECK_EQ_INT(lit_model_checkpoint_callback(&cb, &p), LIT_ERR_CONFIG);            \
        CHECK_STR_CONTAINS(lit_last_error(), substring);                                 \
    } while (0)
    EXPECT_BAD(p.save_top_k = -2, "save_top_k=-2");
    EXPECT_BAD(p.every_n_train_steps = -3, "every_n_train_steps=-3");
    EXPECT_BAD(p.every_n_epochs = -2, "every_n_epochs=-2");
    EXPECT_BAD((p.every_n_epochs = 2, p.every_n_train_steps = 3), "mutually exclusive");
    EXPECT_BAD((p.every_n_epochs = 2, p.train_time_interval = 60), "mutually exclusive");
    EXPECT_BAD(p.save_top_k = 2, "No quantity for top_k to track");
    EXPECT_BAD(p.mode = (lit_monitor_mode)7, "mode");
    EXPECT_BAD(p.train_time_interval = -1, "train_time_interval");
    EXPECT_BAD(p.monitor = "", "monitor");
    EXPECT_BAD(p.filename = "", "filename");
#undef EXPECT_BAD
    /* Lightning's allowed no-monitor values */
    int ok[] = { -1, 0, 1 };
    for (int i = 0; i < 3; i++) {
        p = lit_model_checkpoint_default_params();
        p.save_top_k = ok[i];
        cb = make_mc(&p);
        cb.free(&cb);
    }
}

/* ---------------------------------------------------------------- top-k */

/*
 * save_top_k = 2, mode min, val/loss 0.5, 0.375, 0.625, 0.25, 0.4375:
 *   e0 0.5   kept {e0}
 *   e1 0.375 kept {e0, e1}; kth = e0 (0.5); best e1
 *   e2 0.625 not < 0.5: skipped
 *   e3 0.25  e0 out (removed after e3 is written); {e1, e3}; kth e1 (0.375); best e3
 *   e4 0.4375 not < 0.375: skipped
 * last.ckpt is rewritten at every epoch end: epoch 4, global step 10.
 */
static void expect_top2(lit_callback *cb, const char *dir) {
    CHECK_STR_EQ(files_in(dir), "epoch=1-step=4.ckpt,epoch=3-step=8.ckpt,last.ckpt");
    CHECK_STR_EQ(lit_model_checkpoint_best_path(cb), join(dir, "epoch=3-step=8.ckpt"));
    double v = 0;
    CHECK_EQ_INT(lit_model_checkpoint_best_score(cb, &v), 1);
    CHECK_EQ_INT(v == 0.25, 1);
    CHECK_EQ_INT(lit_model_checkpoint_num_best_k(cb), 2);
    if (lit_model_checkpoint_num_best_k(cb) == 2) {
        CHECK_STR_EQ(lit_model_checkpoint_best_k(cb, 0, &v), join(dir, "epoch=1-step=4.ckpt"));
        CHECK_EQ_INT(v == 0.375, 1);
        CHECK_STR_EQ(lit_model_checkpoint_best_k(cb, 1, &v), join(dir, "epoch=3-step=8.ckpt"));
        CHECK_EQ_INT(v == 0.25, 1);
    }
    CHECK_STR_EQ(lit_model_checkpoint_kth_best(cb, &v), join(dir, "epoch=1-step=4.ckpt"));
    CHECK_EQ_INT(v == 0.375, 1);
    CHECK_STR_EQ(lit_model_checkpoint_last_path(cb), join(dir, "last.ckpt"));
    CHECK_STR_EQ(lit_model_checkpoint_dirpath(cb), dir);
    check_ckpt_progress(join(dir, "last.ckpt"), 4, 10);
    check_ckpt_progress(join(dir, "epoch=3-step=8.ckpt"), 3, 8);
    check_ckpt_progress(join(dir, "epoch=1-step=4.ckpt"), 1, 4);
}

TEST(top_k_min_with_save_last) {
    mc_run c;
    mc_begin(&c, NULL);
    lit_status st = mc_fit(&c, mc_params("val/loss", 2, 1), params_epochs(5), NULL);
    CHECK_MSG(st == LIT_OK, "fit: %s", lit_last_error());
    expect_top2(&c.cb, c.dir);
    double cur = 0;
    CHECK_EQ_INT(lit_model_checkpoint_current_score(&c.cb, &cur), 1);
    CHECK_EQ_INT(cur == 0.25, 1); /* the last score that entered the top k */
    /* the state written into last.ckpt holds the top k */
    lit_checkpoint *ck = load_cb_state(join(c.dir, "last.ckpt"), &c.cb);
    if (ck) {
        CHECK_EQ_INT(lit_checkpoint_key_count(ck, "best_k_models"), 2);
        const char *bp = NULL;
        CHECK_EQ_INT(lit_checkpoint_get_string(ck, "best_model_path", &bp), LIT_OK);
        CHECK_STR_EQ(bp, join(c.dir, "epoch=3-step=8.ckpt"));
        double bs = 0;
        CHECK_EQ_INT(lit_checkpoint_get_double(ck, "best_model_score", &bs), LIT_OK);
        CHECK_EQ_INT(bs == 0.25, 1);
        lit_checkpoint_reset_scope(ck);
        lit_checkpoint_free(ck);
    }
    /* checkpoint_path answers */
    CHECK_STR_EQ(ckpt_path(&c.r, "best"), join(c.dir, "epoch=3-step=8.ckpt"));
    CHECK_STR_EQ(ckpt_path(&c.r, "last"), join(c.dir, "last.ckpt"));
    CHECK_STR_EQ(ckpt_path(&c.r, "interrupted"), join(c.dir, "last.ckpt"));
    mc_end(&c);
}

TEST(failed_save_removes_nothing) {
    /* the save of epoch 3 (which would push epoch 0 out of the top 2) fails:
     * the fit fails with it and epoch 0's file is still there */
    mc_run c;
    mc_begin(&c, NULL);
    c.r.md.fail_save_epoch = 3;
    CHECK_EQ_INT(mc_fit(&c, mc_params("val/loss", 2, 0), params_epochs(5), NULL), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "scripted save failure");
    CHECK_STR_EQ(files_in(c.dir), "epoch=0-step=2.ckpt,epoch=1-step=4.ckpt");
    mc_end(&c);
}

TEST(top_k_max_mode_and_version_counter) {
    /* mode max on val_acc = 1 - val/loss: 0.5, 0.625, 0.375, 0.75, 0.5625; top 1.
     * A stale "epoch=0-step=2.ckpt" from another run is in the folder: the
     * first save becomes "-v1" and the stale file is never touched. */
    mc_run c;
    mc_begin(&c, NULL);
    CHECK(touch(join(c.dir, "epoch=0-step=2.ckpt")));
    c.r.md.extra_name = "val_acc";
    lit_model_checkpoint_params p = mc_params("val_acc", 1, 0);
    p.mode = LIT_MAX;
    CHECK_EQ_INT(mc_fit(&c, p, params_epochs(5), NULL), LIT_OK);
    /* e0 0.5 -> v1 file; e1 0.625 replaces it; e2 0.375 no; e3 0.75 replaces; e4 no */
    CHECK_STR_EQ(files_in(c.dir), "epoch=0-step=2.ckpt,epoch=3-step=8.ckpt");
    CHECK_STR_EQ(lit_model_checkpoint_best_path(&c.cb), join(c.dir, "epoch=3-step=8.ckpt"));
    double v = 0;
    CHECK_EQ_INT(lit_model_checkpoint_best_score(&c.cb, &v), 1);
    CHECK_EQ_INT(v == 0.75, 1);
    CHECK_STR_EQ(lit_model_checkpoint_kth_best(&c.cb, &v), join(c.dir, "epoch=3-step=8.ckpt"));
    run_free(&c.r);

    /* enable_version_counter = 0 overwrites the stale file */
    rm_rf(c.dir);
    CHECK(mkdir(c.dir, 0700) == 0);
    touch(join(c.dir, "epoch=0-step=2.ckpt"));
    run_init(&c.r, SCRIPT5, 5, NULL);
    p = mc_params("val/loss", -1, 0);
    p.enable_version_counter = 0;
    CHECK_EQ_INT(mc_fit(&c, p, params_epochs(2), NULL), LIT_OK);
    CHECK_STR_EQ(files_in(c.dir), "epoch=0-step=2.ckpt,epoch=1-step=4.ckpt");
    check_ckpt_progress(join(c.dir, "epoch=0-step=2.ckpt"), 0, 2); /* a real checkpoint now */
    CHECK_EQ_INT(lit_model_checkpoint_num_best_k(&c.cb), 2);
    mc_end(&c);
}

TEST(no_monitor_keeps_latest_or_all) {
    mc_run c;
    lit_model_checkpoint_params p = lit_model_checkpoint_default_params();
    lit_trainer_params tp = params_epochs(3);
    expect_files(&c, p, tp, "epoch=2-step=6.ckpt");
    CHECK_STR_EQ(lit_model_checkpoint_best_path(&c.cb), join(c.dir, "epoch=2-step=6.ckpt"));
    CHECK_EQ_INT(lit_model_checkpoint_best_score(&c.cb, NULL), 0); /* None without a monitor */
    CHECK_EQ_INT(lit_model_checkpoint_num_best_k(&c.cb), 0);
    check_ckpt_progress(join(c.dir, "epoch=2-step=6.ckpt"), 2, 6);
    mc_end(&c);

    p.save_top_k = -1;
    expect_files(&c, p, tp, "epoch=0-step=2.ckpt,epoch=1-step=4.ckpt,epoch=2-step=6.ckpt");
    mc_end(&c);

    /* save_top_k = 0 with save_last: only last.ckpt */
    p.save_top_k = 0;
    p.save_last = 1;
    expect_files(&c, p, tp, "last.ckpt");
    check_ckpt_progress(join(c.dir, "last.ckpt"), 2, 6);
    CHECK_STR_EQ(lit_model_checkpoint_best_path(&c.cb), "");
    CHECK(ckpt_path(&c.r, "best") == NULL);
    mc_end(&c);
}

TEST(every_n_train_steps_and_every_n_epochs) {
    /* every 3 optimizer steps over 5 epochs of 2 steps: global steps 3, 6, 9
     * (epochs 1, 2, 4); no epoch-end top-k saves (every_n_epochs becomes 0);
     * last.ckpt at those steps and at each epoch end with a new step. */
    mc_run c;
    lit_model_checkpoint_params p = mc_params(NULL, -1, 1);
    p.every_n_train_steps = 3;
    expect_files(&c, p, params_epochs(5), "epoch=1-step=3.ckpt,epoch=2-step=6.ckpt,epoch=4-step=9.ckpt,last.ckpt");
    check_ckpt_progress(join(c.dir, "epoch=1-step=3.ckpt"), 1, 3);
    check_ckpt_progress(join(c.dir, "last.ckpt"), 4, 10);
    mc_end(&c);

    /* every_n_epochs = 2: top-k at epochs 1 and 3 (current_epoch + 1 divisible) */
    p = mc_params(NULL, -1, 0);
    p.every_n_epochs = 2;
    expect_files(&c, p, params_epochs(5), "epoch=1-step=4.ckpt,epoch=3-step=8.ckpt");
    mc_end(&c);

    /* a tiny train_time_interval passes at every batch */
    p = mc_params(NULL, -1, 0);
    p.train_time_interval = 1e-9;
    expect_files(&c, p, params_epochs(2), "epoch=0-step=1.ckpt,epoch=0-step=2.ckpt,epoch=1-step=3.ckpt,epoch=1-step=4.ckpt");
    mc_end(&c);
}

TEST(save_after_validation_and_metric_folders) {
    /* save_on_train_epoch_end = false: the same decisions at on_validation_end */
    mc_run c;
    mc_begin(&c, NULL);
    lit_model_checkpoint_params p = mc_params("val/loss", 2, 1);
    p.save_on_train_epoch_end = -1;
    CHECK_EQ_INT(mc_fit(&c, p, params_epochs(5), NULL), LIT_OK);
    expect_top2(&c.cb, c.dir);
    mc_end(&c);

    /* validation twice per epoch (val_check_interval 0.5): by default saves
     * follow each validation; batch 0's validation sees step 1. */
    lit_trainer_params tp = params_epochs(2);
    tp.val_check_interval = 0.5;
    expect_files(&c, mc_params(NULL, -1, 0), tp,
                 "epoch=0-step=1.ckpt,epoch=0-step=2.ckpt,epoch=1-step=3.ckpt,epoch=1-step=4.ckpt");
    mc_end(&c);

    /* "/" in the metric name makes a folder, as Lightning */
    p = mc_params("val/loss", 1, 0);
    p.filename = "{epoch}-{val/loss:.3f}";
    expect_files(&c, p, params_epochs(2), "epoch=1-val/loss=0.375.ckpt");
    CHECK_STR_EQ(lit_model_checkpoint_best_path(&c.cb), join(c.dir, "epoch=1-val/loss=0.375.ckpt"));
    mc_end(&c);
}

TEST(no_saves_in_fast_dev_run_or_validate) {
    mc_run c;
    lit_trainer_params tp = params_epochs(3);
    tp.fast_dev_run = 1;
    expect_files(&c, mc_params(NULL, 1, 1), tp, "");
    lit_datamodule dm = scripted_dm(&c.r.s);
    CHECK_EQ_INT(lit_trainer_validate(c.r.tr, &c.r.m, &dm), LIT_OK);
    CHECK_STR_EQ(files_in(c.dir), "");
    mc_end(&c);
}

TEST(monitor_never_logged) {
    /* validation ran (sanity check and epoch 0): a configuration error naming the key and what exists */
    mc_run c;
    mc_begin(&c, NULL);
    lit_model_checkpoint_params p = mc_params("val/acc", 1, 0);
    CHECK_EQ_INT(mc_fit(&c, p, params_epochs(3), NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "monitor='val/acc'");
    CHECK_STR_CONTAINS(lit_last_error(), "'val/loss'");
    CHECK_STR_CONTAINS(lit_last_error(), "'train_loss'");
    CHECK_STR_CONTAINS(lit_last_error(), "'epoch', 'step'");
    CHECK_STR_EQ(files_in(c.dir), "");
    mc_end(&c);

    /* every_n_train_steps before any validation ran (the sanity check does
     * not count): a warning, nothing saved; once epoch 0's validation ran,
     * the error */
    p.every_n_train_steps = 1;
    expect_files(&c, p, params_epochs(1), "");
    run_free(&c.r);
    run_init(&c.r, SCRIPT5, 5, NULL);
    CHECK_EQ_INT(mc_fit(&c, p, params_epochs(2), NULL), LIT_ERR_CONFIG);
    CHECK_EQ_INT(lit_trainer_global_step(c.r.tr), 3);
    mc_end(&c);
    p.every_n_train_steps = -1;

    /* no validation loop at all: Lightning only warns, and nothing is saved */
    mc_begin(&c, &VT_NO_VAL);
    CHECK_EQ_INT(mc_fit(&c, p, params_epochs(3), NULL), LIT_OK);
    CHECK_STR_EQ(files_in(c.dir), "");
    mc_end(&c);
}

TEST(default_dirpath_uses_next_version) {
    char *root = make_tmp();
    const char *subs[] = { "lightning_logs", "lightning_logs/version_0", "lightning_logs/version_3",
                           "lightning_logs/version_x" };
    for (int i = 0; i < 4; i++) CHECK(mkdir(join(root, subs[i]), 0700) == 0);
    run_t r;
    run_init(&r, SCRIPT5, 5, NULL);
    lit_model_checkpoint_params p = lit_model_checkpoint_default_params();
    lit_callback cb = make_mc(&p);
    CHECK(lit_model_checkpoint_dirpath(&cb) == NULL);
    lit_trainer_params tp = params_epochs(1);
    tp.default_root_dir = root;
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_OK);
    char d[512];
    snprintf(d, sizeof d, "%s/lightning_logs/version_4/checkpoints", root);
    CHECK_STR_EQ(lit_model_checkpoint_dirpath(&cb), d);
    CHECK_STR_EQ(files_in(d), "epoch=0-step=2.ckpt");
    CHECK_STR_EQ(ckpt_path(&r, "interrupted"), join(d, "interrupted.ckpt"));
    CHECK(ckpt_path(&r, "last") == NULL); /* no save_last */
    run_free(&r);
    rm_rf(root);
}

/* enable_checkpointing (default on) without a ModelCheckpoint of yours: the
 * Trainer adds Lightning's default one (latest epoch, top 1), readable after
 * fit as trainer.checkpoint_callback. */
TEST(trainer_adds_the_default_model_checkpoint) {
    char *root = make_tmp();
    run_t r;
    run_init(&r, SCRIPT5, 5, NULL);
    lit_trainer_params tp = params_epochs(3);
    tp.default_root_dir = root;
    CHECK_EQ_INT(run_fit(&r, &tp, NULL, 0, NULL), LIT_OK);
    lit_callback *mc = lit_trainer_checkpoint_callback(r.tr);
    CHECK(mc != NULL);
    char d[512];
    snprintf(d, sizeof d, "%s/lightning_logs/version_0/checkpoints", root);
    CHECK_STR_EQ(files_in(d), "epoch=2-step=6.ckpt"); /* top 1: the older epochs were removed */
    if (mc) {
        snprintf(d, sizeof d, "%s/lightning_logs/version_0/checkpoints/epoch=2-step=6.ckpt", root);
        CHECK_STR_EQ(lit_model_checkpoint_best_path(mc), d);
    }
    CHECK_EQ_INT(lit_trainer_num_callbacks(r.tr), 0); /* it belonged to that run */
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, d), LIT_OK);
    int64_t step = 0;
    if (ck) lit_checkpoint_get_int(ck, "global_step", &step);
    CHECK_EQ_INT(step, 6);
    lit_checkpoint_free(ck);
    /* Off: no callback, no files. */
    lit_trainer_free(r.tr);
    tp.enable_checkpointing = 0;
    char *root2 = make_tmp();
    tp.default_root_dir = root2;
    CHECK_EQ_INT(run_fit(&r, &tp, NULL, 0, NULL), LIT_OK);
    CHECK(lit_trainer_checkpoint_callback(r.tr) == NULL);
    CHECK_STR_EQ(files_in(root2), "");
    run_free(&r);
    rm_rf(root);
    rm_rf(root2);
}

/* ---------------------------------------------------------------- state and resume */

TEST(state_round_trip) {
    mc_run c;
    mc_begin(&c, NULL);
    lit_model_checkpoint_params p = mc_params("val/loss", 3, 1);
    p.dirpath = c.dir;
    CHECK_EQ_INT(mc_fit(&c, p, params_epochs(2), NULL), LIT_OK); /* 2 of 3 kept: kth still +inf */
    lit_callback *cb = &c.cb;
    lit_checkpoint *ck = lit_checkpoint_new();
    CHECK_EQ_INT(cb->state_save(cb, ck), LIT_OK);
    char file[512];
    snprintf(file, sizeof file, "%s/state.ckpt", c.dir);
    CHECK_EQ_INT(lit_checkpoint_save(ck, file), LIT_OK);
    lit_checkpoint_free(ck);
    ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, file), LIT_OK);

    lit_callback cb2 = make_mc(&p);
    if (ck) CHECK_EQ_INT(cb2.state_load(&cb2, ck), LIT_OK);
    CHECK_STR_EQ(lit_model_checkpoint_best_path(&cb2), lit_model_checkpoint_best_path(cb));
    double a = 0, b = 1;
    CHECK_EQ_INT(lit_model_checkpoint_best_score(&cb2, &a), 1);
    lit_model_checkpoint_best_score(cb, &b);
    CHECK_EQ_INT(a == b, 1);
    CHECK_EQ_INT(a == 0.375, 1);
    CHECK_EQ_INT(lit_model_checkpoint_num_best_k(&cb2), 2);
    for (int i = 0; i < 2 && lit_model_checkpoint_num_best_k(&cb2) == 2; i++) {
        CHECK_STR_EQ(lit_model_checkpoint_best_k(&cb2, i, &a), lit_model_checkpoint_best_k(cb, i, &b));
        CHECK_EQ_INT(a == b, 1);
    }
    CHECK_STR_EQ(lit_model_checkpoint_kth_best(&cb2, &a), "");
    CHECK_EQ_INT(isinf(a) && a > 0, 1);
    CHECK_STR_EQ(lit_model_checkpoint_last_path(&cb2), join(c.dir, "last.ckpt"));
    CHECK_EQ_INT(lit_model_checkpoint_current_score(&cb2, NULL), 0); /* not restored, as Lightning */
    cb2.free(&cb2);

    /* another dirpath: Lightning reloads only best_model_path, litc not even
     * that: it lies outside this callback's folder (issue 11) */
    char *other = make_tmp();
    p.dirpath = other;
    cb2 = make_mc(&p);
    if (ck) CHECK_EQ_INT(cb2.state_load(&cb2, ck), LIT_OK);
    CHECK_STR_EQ(lit_model_checkpoint_best_path(&cb2), "");
    CHECK_EQ_INT(lit_model_checkpoint_best_score(&cb2, NULL), 0);
    CHECK_EQ_INT(lit_model_checkpoint_num_best_k(&cb2), 0);
    CHECK_STR_EQ(lit_model_checkpoint_last_path(&cb2), "");
    cb2.free(&cb2);
    lit_checkpoint_free(ck);
    mc_end(&c);
    rm_rf(other);
}

TEST(resume_from_last_continues_top_k) {
    /* 3 epochs, then a new process (new trainer, new callback, same dirpath)
     * resumes with ckpt_path = "last" up to 5 epochs: same files and state
     * as the 5-epoch run of top_k_min_with_save_last. */
    lit_model_checkpoint_params p = mc_params("val/loss", 2, 1);
    mc_run c;
    mc_begin(&c, NULL);
    CHECK_EQ_INT(mc_fit(&c, p, params_epochs(3), NULL), LIT_OK);
    CHECK_STR_EQ(files_in(c.dir), "epoch=0-step=2.ckpt,epoch=1-step=4.ckpt,last.ckpt");
    run_free(&c.r);

    run_init(&c.r, SCRIPT5, 5, NULL);
    lit_status st = mc_fit(&c, p, params_epochs(5), "last");
    CHECK_MSG(st == LIT_OK, "resume: %s", lit_last_error());
    expect_top2(&c.cb, c.dir);
    run_free(&c.r);

    /* "best" resolves to best_model_path of a callback that knows it */
    run_init(&c.r, SCRIPT5, 5, NULL);
    p.dirpath = c.dir;
    c.cb = make_mc(&p);
    lit_trainer_params tp = params_epochs(6);
    lit_checkpoint *ck = load_cb_state(join(c.dir, "last.ckpt"), &c.cb);
    if (ck) {
        CHECK_EQ_INT(c.cb.state_load(&c.cb, ck), LIT_OK);
        lit_checkpoint_free(ck);
    }
    st = run_fit(&c.r, &tp, &c.cb, 1, "best"); /* resumes from epoch=3-step=8 (after epoch 3) */
    CHECK_MSG(st == LIT_OK, "resume best: %s", lit_last_error());
    /* epochs 4, 5 ran again: 0.4375 twice, never in the top 2; the resumed
     * file is kept, last.ckpt now at epoch 5 */
    CHECK_STR_EQ(files_in(c.dir), "epoch=1-step=4.ckpt,epoch=3-step=8.ckpt,last.ckpt");
    check_ckpt_progress(join(c.dir, "last.ckpt"), 5, 12);
    mc_end(&c);
}

/* ---------------------------------------------------------------- OnExceptionCheckpoint */

TEST(on_exception_checkpoint) {
    char *dir = make_tmp();
    char sub[512];
    snprintf(sub, sizeof sub, "%s/crash", dir);
    lit_callback cb;
    CHECK_EQ_INT(lit_on_exception_checkpoint_callback(&cb, sub, NULL), LIT_OK);
    CHECK_STR_EQ(lit_on_exception_checkpoint_path(&cb), join(sub, "on_exception.ckpt"));
    run_t r;
    run_init(&r, SCRIPT5, 5, NULL);
    r.md.fail_epoch = 1;
    lit_trainer_params tp = params_epochs(3);
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "scripted failure at epoch 1"); /* the failure's message survives */
    CHECK_STR_EQ(files_in(sub), "on_exception.ckpt");
    int64_t e = -1, g = -1;
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, join(sub, "on_exception.ckpt")), LIT_OK);
    if (ck) {
        lit_checkpoint_get_int(ck, "epoch", &e);
        lit_checkpoint_get_int(ck, "global_step", &g);
        lit_checkpoint_free(ck);
    }
    CHECK_EQ_INT(e, 1);
    CHECK_EQ_INT(g, 2);
    run_free(&r);

    /* a fit that ends normally removes it at teardown */
    CHECK_EQ_INT(lit_on_exception_checkpoint_callback(&cb, sub, "crash"), LIT_OK);
    touch(join(sub, "crash.ckpt"));
    run_init(&r, SCRIPT5, 5, NULL);
    tp = params_epochs(1);
    CHECK_EQ_INT(run_fit(&r, &tp, &cb, 1, NULL), LIT_OK);
    CHECK_EQ_INT(exists(join(sub, "crash.ckpt")), 0);
    run_free(&r);

    CHECK_EQ_INT(lit_on_exception_checkpoint_callback(&cb, sub, ""), LIT_ERR_CONFIG);
    CHECK_EQ_INT(lit_on_exception_checkpoint_callback(&cb, NULL, "x"), LIT_ERR_CONFIG);
    rm_rf(dir);
}

int main(void) {
    lit_log_set_level(LIT_LOG_ERROR);
    snprintf(root_dir, sizeof root_dir, "%s", make_tmp());
    RUN(format_checkpoint_name_as_lightning_docstring);
    RUN(state_keys_as_lightning);
    RUN(bad_params_are_config_errors);
    RUN(top_k_min_with_save_last);
    RUN(failed_save_removes_nothing);
    RUN(top_k_max_mode_and_version_counter);
    RUN(no_monitor_keeps_latest_or_all);
    RUN(every_n_train_steps_and_every_n_epochs);
    RUN(save_after_validation_and_metric_folders);
    RUN(no_saves_in_fast_dev_run_or_validate);
    RUN(monitor_never_logged);
    RUN(default_dirpath_uses_next_version);
    RUN(trainer_adds_the_default_model_checkpoint);
    RUN(state_round_trip);
    RUN(resume_from_last_continues_top_k);
    RUN(on_exception_checkpoint);
    rm_rf(root_dir);
    return harness_summary();
}
