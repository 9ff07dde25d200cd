/*
 * tests/test-resume.c — exact resume. A run is trained uninterrupted; the
 * same run is then trained in child processes that are killed with SIGKILL
 * at chosen points (inside an accumulation group, right after a
 * validation, during epoch end, before a step; with DataLoader workers
 * too), each child resuming from the last checkpoint (ckpt_path = "last").
 * The final weights, every step's logged loss and every epoch's logged mean
 * must be bit-identical to the uninterrupted run. Also: the errors of a bad
 * resume (missing file, unknown "best", another model, weights only,
 * different data), and weights/hparams round trips for inference
 * (lit_module_save_weights, lit_module_load_from_checkpoint).
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tmp-dir.h"

#define N_SAMPLES 60
#define BATCH 4 /* 15 batches per epoch */
#define EPOCHS 3

static char dir[64];

static const char *path_in(const char *name) { return join(dir, name); }

/* ---------------------------------------------------------------- data */

static float hashf(uint32_t a, uint32_t b) {
    uint32_t h = a * 2654435761u ^ (b + 0x9e3779b9u) * 2246822519u;
    h ^= h >> 15;
    h *= 2246822519u;
    h ^= h >> 13;
    return (float)(h & 0xffff) / 32768.0f - 1.0f;
}

#define D_IN 4
#include "tiny-data.h"

static void tiny_sample(int64_t i, float *x, float *y) {
    float t = 0.1f;
    for (int k = 0; k < D_IN; k++) {
        x[k] = hashf((uint32_t)i, (uint32_t)k);
        t += x[k] * (float)(k + 1) * 0.5f;
    }
    *y = t;
}

typedef struct {
    int64_t n_train, n_val;
    int workers;
    lit_dataloader *train, *val;
} data;

static lit_dataloader *make_loader(int64_t *n, int shuffle, int workers) {
    lit_dataloader_params p = lit_dataloader_default_params();
    p.shuffle = shuffle;
    p.seed = 11;
    p.num_workers = workers;
    return tiny_loader(n, BATCH, &p);
}
static lit_dataloader *dm_train(void *u) {
    data *d = u;
    if (!d->train) d->train = make_loader(&d->n_train, 1, d->workers);
    return d->train;
}
static int dm_val(void *u, lit_dataloader **out) {
    data *d = u;
    if (!d->val) d->val = make_loader(&d->n_val, 0, 0);
    out[0] = d->val;
    return 1;
}

/* ---------------------------------------------------------------- model: 4 -> 16 -> dropout -> 1 */

typedef struct {
    lit_param_store *ps;
    lit_nn_linear fc1, fc2;
    lit_nn_dropout drop;
    int hidden;
} model;

static lit_tensor *forward(model *md, lit_batch *b) {
    lit_tensor *h = lit_relu(lit_nn_linear_forward(&md->fc1, lit_batch_get(b, "x")));
    return lit_nn_linear_forward(&md->fc2, lit_nn_dropout_forward(&md->drop, h));
}

static lit_status train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    *loss = lit_mse_loss(forward(m->user, b), lit_batch_get(b, "y"), LIT_REDUCTION_MEAN);
    return lit_module_log(m, "train/loss", *loss, .on_step = 1, .on_epoch = 1);
}
static lit_status val_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)i, (void)dl, (void)out;
    return lit_module_log(m, "val/loss", lit_mse_loss(forward(m->user, b), lit_batch_get(b, "y"), LIT_REDUCTION_MEAN));
}
static lit_status configure(lit_module *m, lit_optim_config *cfg) {
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    lit_adam_params ap = lit_adam_default_params();
    ap.lr = 0.02;
    lit_optimizer *opt = lit_adam_new(&ap, p, n);
    LIT_TRY(lit_optim_config_add(cfg, opt));
    lit_step_lr_params sp = lit_step_lr_default_params();
    sp.step_size = 4;
    sp.gamma = 0.8;
    lit_lr_scheduler_config sc = { .scheduler = lit_step_lr_new(opt, &sp), .interval = LIT_INTERVAL_STEP };
    LIT_TRY(lit_optim_config_add_scheduler(cfg, &sc));
    if (!m->vt->validation_step) return LIT_OK;
    /* And one stepped at epoch ends from the validation loss: a resume must
     * not skip or repeat its step. */
    lit_reduce_lr_on_plateau_params pp = lit_reduce_lr_on_plateau_default_params();
    pp.patience = 0;
    pp.factor = 0.7;
    pp.mode = LIT_SCHED_MAX; /* a falling loss never "improves": the lr drops at every epoch end */
    lit_lr_scheduler_config plateau = { .scheduler = lit_reduce_lr_on_plateau_new(opt, &pp),
                                        .interval = LIT_INTERVAL_EPOCH, .monitor = "val/loss" };
    return lit_optim_config_add_scheduler(cfg, &plateau);
}

static const lit_module_vtable VT = { .version = LIT_MODULE_VERSION, .training_step = train_step,
                                      .validation_step = val_step, .configure_optimizers = configure };

static void model_init(model *md, lit_module *m, int hidden) {
    memset(md, 0, sizeof *md);
    md->hidden = hidden;
    md->ps = lit_param_store_new("resume");
    lit_rng init = lit_rng_new(5);
    lit_nn_linear_init(&md->fc1, md->ps, "fc1", 4, hidden, 1, &init);
    lit_nn_linear_init(&md->fc2, md->ps, "fc2", hidden, 1, 1, &init);
    lit_nn_dropout_init(&md->drop, md->ps, 0.2, NULL); /* the global stream: its state must resume */
    lit_module_init(m, &VT, md->ps, md);
    CHECK_EQ_INT(lit_module_save_hyperparameters(m, 1, &LIT_HP_INT("hidden", hidden), NULL), LIT_OK);
}

/* ---------------------------------------------------------------- callbacks */

/* Saves last.ckpt after every batch, every validation and every epoch end
 * (the worst case for exactness: any point can be the resume point). */
static lit_status ck_save(lit_trainer *tr) {
    if (lit_trainer_sanity_checking(tr)) return LIT_OK;
    return lit_trainer_save_checkpoint(tr, path_in("last.ckpt"), 0);
}
static lit_status ck_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l, lit_batch *b,
                               int64_t i) {
    (void)cb, (void)m, (void)l, (void)b, (void)i;
    return ck_save(tr);
}
static lit_status ck_simple(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)cb, (void)m;
    return ck_save(tr);
}
static const char *ck_path(lit_callback *cb, lit_trainer *tr, const char *which) {
    (void)cb, (void)tr;
    struct stat sb;
    return !strcmp(which, "last") && stat(path_in("last.ckpt"), &sb) == 0 ? path_in("last.ckpt") : NULL;
}

/* Records every step's loss and every epoch's mean to a file (appending:
 * a resumed child writes the replayed steps again; the last record wins). */
typedef struct {
    FILE *log;
    int64_t kill_step;       /* global_step at which to die, -1 never */
    const char *kill_hook;   /* "batch_start", "batch_end", "val_end", "epoch_end" */
    int64_t signal_step;     /* raise SIGTERM `n_signals` times at this step's batch end, -1 never */
    int n_signals;
} recorder;

static void maybe_die(recorder *r, lit_trainer *tr, const char *hook) {
    if (r->kill_step < 0 || strcmp(hook, r->kill_hook) || lit_trainer_global_step(tr) != r->kill_step) return;
    fflush(r->log);
    raise(SIGKILL);
}
static lit_status rec_batch_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b, int64_t i) {
    (void)m, (void)b, (void)i;
    maybe_die(cb->user, tr, "batch_start");
    return LIT_OK;
}
static lit_status rec_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l, lit_batch *b,
                                int64_t i) {
    (void)m, (void)b;
    recorder *r = cb->user;
    double v;
    lit_trainer_get_metric(tr, LIT_METRICS_LOGGED, "train/loss_step", &v);
    fprintf(r->log, "S %lld %lld %a %a\n", (long long)lit_trainer_current_epoch(tr), (long long)i, lit_item(l), v);
    maybe_die(r, tr, "batch_end");
    if (lit_trainer_global_step(tr) == r->signal_step) {
        fflush(r->log);
        for (int k = 0; k < r->n_signals; k++) raise(SIGTERM);
        r->signal_step = -1;
    }
    return LIT_OK;
}
static lit_status rec_val_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    if (lit_trainer_sanity_checking(tr)) return LIT_OK;
    recorder *r = cb->user;
    double v;
    if (lit_trainer_get_metric(tr, LIT_METRICS_LOGGED, "val/loss", &v))
        fprintf(r->log, "V %lld %a\n", (long long)lit_trainer_global_step(tr), v);
    maybe_die(r, tr, "val_end");
    return LIT_OK;
}
static lit_status rec_epoch_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    maybe_die(cb->user, tr, "epoch_end");
    return LIT_OK;
}
/* The published epoch mean, read when the next epoch (or the end) comes
 * (on_train_epoch_start runs again when a fit resumes mid-epoch: the same
 * record is written again). Validation means are recorded at
 * on_validation_end, keyed by global step. */
static lit_status rec_epoch_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    recorder *r = cb->user;
    double v;
    if (lit_trainer_get_metric(tr, LIT_METRICS_LOGGED, "train/loss_epoch", &v))
        fprintf(r->log, "E %lld %a\n", (long long)lit_trainer_current_epoch(tr) - 1, v);
    return LIT_OK;
}

/* ---------------------------------------------------------------- one run in a child */

typedef struct {
    int accumulate;
    int workers;
    int checkpoint;        /* save last.ckpt everywhere */
    int resume;            /* fit(ckpt_path = "last") */
    const char *resume_path; /* or from this file */
    int64_t kill_step;
    const char *kill_hook;
    int64_t signal_step;   /* SIGTERM at this step (0 = never) */
    int n_signals;
} run_spec;

static FILE *teardown_log; /* the child's log, for the teardown record */
static lit_status dm_teardown(void *u, lit_stage st) {
    (void)u, (void)st;
    if (teardown_log) fprintf(teardown_log, "T teardown\n");
    return LIT_OK;
}

/* The child: fit, append records to log.txt, write the final weights to
 * weights.bin. Exits 0 on success, 1 on failure (message on stdout). */
static int child_run(const run_spec *rs) {
    lit_set_num_threads(1);
    data d = { .n_train = N_SAMPLES, .n_val = 12, .workers = rs->workers };
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train, .val_dataloaders = dm_val,
                          .teardown = dm_teardown, .user = &d };
    model md;
    lit_module m;
    model_init(&md, &m, 16);
    lit_trainer_params p = quiet_trainer_params();
    p.default_root_dir = dir; /* where an interrupted fit writes interrupted.ckpt */
    p.max_epochs = EPOCHS;
    p.seed = 3;
    p.accumulate_grad_batches = rs->accumulate;
    p.val_check_interval = 0.5;
    lit_trainer *tr;
    if (lit_trainer_new(&tr, &p) < 0) return 1;
    recorder r = { .log = fopen(path_in("log.txt"), "a"), .kill_step = rs->kill_step, .kill_hook = rs->kill_hook,
                   .signal_step = rs->signal_step ? rs->signal_step : -1, .n_signals = rs->n_signals };
    teardown_log = r.log;
    lit_callback rec = { .version = LIT_CALLBACK_VERSION, .name = "recorder", .user = &r,
                         .on_train_batch_start = rec_batch_start, .on_train_batch_end = rec_batch_end,
                         .on_validation_end = rec_val_end, .on_train_epoch_start = rec_epoch_start };
    lit_callback ck = { .version = LIT_CALLBACK_VERSION, .name = "saver", .monitoring = 1,
                        .on_train_batch_end = ck_batch_end, .on_validation_end = ck_simple,
                        .on_train_epoch_end = ck_simple, .checkpoint_path = ck_path };
    /* After the saver, so a kill there comes after that epoch-end save. */
    lit_callback killer = { .version = LIT_CALLBACK_VERSION, .name = "killer", .monitoring = 1, .user = &r,
                            .on_train_epoch_end = rec_epoch_end };
    lit_trainer_add_callback(tr, &rec);
    if (rs->checkpoint) lit_trainer_add_callback(tr, &ck);
    lit_trainer_add_callback(tr, &killer);
    lit_status st = lit_trainer_fit(tr, &m, &dm, rs->resume_path ? rs->resume_path : rs->resume ? "last" : NULL);
    if (st == LIT_ERR_INTERRUPTED) {
        fprintf(r.log, "I %s\n", lit_last_error());
        fclose(r.log);
        lit_trainer_free(tr);
        return 4;
    }
    if (st < 0) printf("  child fit: %s\n", lit_last_error());
    double v;
    if (st >= 0 && lit_trainer_get_metric(tr, LIT_METRICS_LOGGED, "train/loss_epoch", &v))
        fprintf(r.log, "E %lld %a\n", (long long)lit_trainer_current_epoch(tr) - 1, v);
    fclose(r.log);
    FILE *w = fopen(path_in("weights.bin"), "wb");
    for (int k = 0; k < lit_param_store_len(md.ps); k++) {
        lit_tensor *t = lit_param_store_tensor(md.ps, k);
        fwrite(t->data, 4, (size_t)t->numel, w);
    }
    fclose(w);
    lit_trainer_free(tr);
    lit_dataloader_free(d.train);
    lit_dataloader_free(d.val);
    lit_module_deinit(&m);
    lit_param_store_free(md.ps);
    return st < 0;
}

/* Returns 0 exited fine, 1 failed, 2 killed by SIGKILL, 3 by SIGTERM,
 * 4 interrupted cleanly (fit returned LIT_ERR_INTERRUPTED). */
static int run_child(const run_spec *rs) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(child_run(rs));
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) return 2;
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM) return 3;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 4) return 4;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

/* The log reduced to the last record per key, as one text. */
typedef struct {
    char key[32];
    char line[128];
} record;

static int reduce_log(record *out, int cap) {
    FILE *f = fopen(path_in("log.txt"), "r");
    int n = 0;
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] == 'I' || line[0] == 'T') continue; /* interruption and teardown notes */
        char kind;
        long long a, b = -1;
        if (line[0] == 'S') sscanf(line, "%c %lld %lld", &kind, &a, &b);
        else sscanf(line, "%c %lld", &kind, &a);
        char key[32];
        snprintf(key, sizeof key, "%c %lld %lld", line[0], a, b);
        int k = 0;
        while (k < n && strcmp(out[k].key, key)) k++;
        if (k == n && n < cap) n++;
        if (k < cap) {
            snprintf(out[k].key, sizeof out[k].key, "%s", key);
            snprintf(out[k].line, sizeof out[k].line, "%.120s", line);
        }
    }
    if (f) fclose(f);
    return n;
}

static void reset_dir(void) { clear_dir(dir); }

static uint8_t baseline_weights[4096];
static size_t baseline_n;
static record baseline_log[512];
static int baseline_records;

static size_t read_weights(uint8_t *buf, size_t cap) {
    FILE *f = fopen(path_in("weights.bin"), "rb");
    size_t n = f ? fread(buf, 1, cap, f) : 0;
    if (f) fclose(f);
    return n;
}

static void run_baseline(int accumulate, int workers) {
    reset_dir();
    run_spec rs = { .accumulate = accumulate, .workers = workers, .kill_step = -1, .kill_hook = "" };
    CHECK_EQ_INT(run_child(&rs), 0);
    baseline_n = read_weights(baseline_weights, sizeof baseline_weights);
    baseline_records = reduce_log(baseline_log, 512);
}

/* The run in the test dir ended with the baseline's weights and, when
 * `with_log`, the same log records (the first 3 differences are shown);
 * `what` names the run in a failure. */
static void check_matches_baseline(const char *what, int with_log) {
    uint8_t w[4096];
    size_t n = read_weights(w, sizeof w);
    CHECK_EQ_INT((int64_t)n, (int64_t)baseline_n);
    CHECK_MSG(n == baseline_n && memcmp(w, baseline_weights, n) == 0,
              "%s: final weights differ from the uninterrupted run", what);
    if (!with_log) return;
    record got[512];
    int nr = reduce_log(got, 512);
    CHECK_EQ_INT(nr, baseline_records);
    int diffs = 0;
    for (int i = 0; i < nr && i < baseline_records; i++) {
        if (strcmp(got[i].key, baseline_log[i].key) || strcmp(got[i].line, baseline_log[i].line)) {
            if (diffs++ < 3)
                HARNESS_FAIL_("%s: record %d: \"%s\" vs uninterrupted \"%s\"", what, i, got[i].line,
                              baseline_log[i].line);
        }
    }
    harness_checks_++;
}

/* Kill at each (step, hook) in turn, resuming from "last" each time, then
 * finish; compare with the baseline. */
static void killed_run(int accumulate, int workers, int n_kills, const int64_t *steps, const char *const *hooks) {
    reset_dir();
    for (int k = 0; k <= n_kills; k++) {
        run_spec rs = { .accumulate = accumulate, .workers = workers, .checkpoint = 1, .resume = k > 0,
                        .kill_step = k < n_kills ? steps[k] : -1, .kill_hook = k < n_kills ? hooks[k] : "" };
        int r = run_child(&rs);
        CHECK_MSG(r == (k < n_kills ? 2 : 0), "child %d (kill at step %lld in %s): result %d", k,
                  (long long)rs.kill_step, rs.kill_hook, r);
    }
    check_matches_baseline("killed runs", 1);
}

TEST(sigkill_anywhere_then_resume_is_bit_exact) {
    /* 15 batches/epoch, validation after batches 7 and 15, accumulate 1:
     * global_step = batches done. */
    run_baseline(1, 0);
    CHECK(baseline_records > 45);
    static const int64_t steps[] = { 5, 7, 15, 22, 31 };
    static const char *const hooks[] = { "batch_end", "val_end", "epoch_end", "batch_start", "batch_end" };
    killed_run(1, 0, 5, steps, hooks);
}

TEST(sigkill_inside_accumulation_groups_is_bit_exact) {
    /* accumulate 4: 15 batches -> 4 optimizer steps per epoch (the last
     * group has 3 batches); global_step advances every 4 batches. A kill at
     * batch_end with global_step 1 hits the batch after the first step,
     * i.e. inside the second group; batch_start with global_step 5 is inside
     * epoch 1's second group. */
    run_baseline(4, 0);
    static const int64_t steps[] = { 1, 4, 5, 9 };
    static const char *const hooks[] = { "batch_end", "epoch_end", "batch_start", "val_end" };
    killed_run(4, 0, 4, steps, hooks);
}

TEST(sigkill_with_dataloader_workers_is_bit_exact) {
    run_baseline(2, 2);
    /* accumulate 2: 8 steps per epoch; validations end at steps 3, 7, 11, 15, 19, 23. */
    static const int64_t steps[] = { 3, 11, 19 };
    static const char *const hooks[] = { "batch_end", "batch_start", "val_end" };
    killed_run(2, 2, 3, steps, hooks);
}

static int log_has(const char *needle) {
    FILE *f = fopen(path_in("log.txt"), "r");
    char line[1024];
    int found = 0;
    while (f && fgets(line, sizeof line, f))
        if (strstr(line, needle)) found = 1;
    if (f) fclose(f);
    return found;
}

TEST(sigterm_checkpoints_tears_down_and_resumes_exactly) {
    run_baseline(2, 0);
    reset_dir();
    /* Step 5 is inside an accumulation group's batch end (accumulate 2: the
     * step happens at odd batches), so the checkpoint carries gradients. */
    run_spec rs = { .accumulate = 2, .kill_step = -1, .kill_hook = "", .signal_step = 5, .n_signals = 1 };
    CHECK_EQ_INT(run_child(&rs), 4);
    CHECK(log_has("fit interrupted by SIGTERM at epoch 0, batch 10 (global step 5)"));
    CHECK(log_has("checkpoint written to"));
    CHECK(log_has("T teardown")); /* teardown ran */
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("interrupted.ckpt")), LIT_OK);
    int64_t step = -1;
    if (ck) lit_checkpoint_get_int(ck, "global_step", &step);
    CHECK_EQ_INT(step, 5);
    lit_checkpoint_free(ck);
    run_spec resume = { .accumulate = 2, .resume_path = path_in("interrupted.ckpt"), .kill_step = -1, .kill_hook = "" };
    CHECK_EQ_INT(run_child(&resume), 0);
    check_matches_baseline("SIGTERM + resume", 1);
}

/* A signal after the epoch's last batch: the resume still runs that
 * epoch's end (the plateau scheduler's step, the published means). */
TEST(sigterm_after_the_last_batch_of_an_epoch_resumes_exactly) {
    run_baseline(1, 0);
    reset_dir();
    run_spec rs = { .accumulate = 1, .kill_step = -1, .kill_hook = "", .signal_step = 15, .n_signals = 1 };
    CHECK_EQ_INT(run_child(&rs), 4);
    CHECK(log_has("fit interrupted by SIGTERM at epoch 0, batch 15 (global step 15)"));
    run_spec resume = { .accumulate = 1, .resume_path = path_in("interrupted.ckpt"), .kill_step = -1, .kill_hook = "" };
    CHECK_EQ_INT(run_child(&resume), 0);
    check_matches_baseline("SIGTERM at epoch end", 1);
}

TEST(a_second_signal_stops_at_once_and_the_last_checkpoint_survives) {
    run_baseline(1, 0);
    reset_dir();
    run_spec rs = { .accumulate = 1, .checkpoint = 1, .kill_step = -1, .kill_hook = "", .signal_step = 9,
                    .n_signals = 2 };
    CHECK_EQ_INT(run_child(&rs), 3); /* ended by the second SIGTERM itself */
    CHECK(!log_has("fit interrupted"));
    /* last.ckpt (after batch 8) is intact and the run resumes from it exactly. */
    run_spec resume = { .accumulate = 1, .checkpoint = 1, .resume = 1, .kill_step = -1, .kill_hook = "" };
    CHECK_EQ_INT(run_child(&resume), 0);
    check_matches_baseline("two signals + resume", 0);
}

/* ---------------------------------------------------------------- bad resumes */

static lit_status fit_with(lit_module *m, data *d, const char *ckpt, lit_callback *extra) {
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train, .val_dataloaders = dm_val,
                          .user = d };
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.num_sanity_val_steps = 0;
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    if (extra) lit_trainer_add_callback(tr, extra);
    lit_status st = lit_trainer_fit(tr, m, &dm, ckpt);
    if (st >= 0 && !ckpt) st = lit_trainer_save_checkpoint(tr, path_in("one.ckpt"), 0);
    if (st >= 0 && !ckpt) st = lit_trainer_save_checkpoint(tr, path_in("weights.ckpt"), 1);
    lit_trainer_free(tr);
    return st;
}

TEST(bad_resumes_are_clear_errors) {
    reset_dir();
    data d = { .n_train = N_SAMPLES, .n_val = 8 };
    model md;
    lit_module m;
    model_init(&md, &m, 16);
    CHECK_EQ_INT(fit_with(&m, &d, NULL, NULL), LIT_OK);

    CHECK_EQ_INT(fit_with(&m, &d, path_in("nope.ckpt"), NULL), LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "nope.ckpt does not exist");
    CHECK_EQ_INT(fit_with(&m, &d, "best", NULL), LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "no best checkpoint is known");
    CHECK_EQ_INT(fit_with(&m, &d, path_in("weights.ckpt"), NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "weights-only");

    /* Another model: the message names what does not match. */
    model other;
    lit_module om;
    model_init(&other, &om, 8);
    CHECK_EQ_INT(fit_with(&om, &d, path_in("one.ckpt"), NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "another model");
    CHECK_STR_CONTAINS(lit_last_error(), "fc1.weight");
    lit_module_deinit(&om);
    lit_param_store_free(other.ps);

    /* Other data: the epoch length changed. */
    lit_dataloader_free(d.train);
    d.train = NULL;
    d.n_train = N_SAMPLES / 2;
    CHECK_EQ_INT(fit_with(&m, &d, path_in("one.ckpt"), NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "had 15 training batches, the training dataloader now gives 8");

    /* A finished run resumes to "nothing left to do". */
    lit_dataloader_free(d.train);
    d.train = NULL;
    d.n_train = N_SAMPLES;
    CHECK_EQ_INT(fit_with(&m, &d, path_in("one.ckpt"), NULL), LIT_OK);

    lit_dataloader_free(d.train);
    lit_dataloader_free(d.val);
    lit_module_deinit(&m);
    lit_param_store_free(md.ps);
}

/* ---------------------------------------------------------------- hooks' own entries */

/* A module keeping an EMA of fc2.weight and a callback counting batches:
 * both live in the checkpoint (on_save_checkpoint / state_save) and come
 * back on resume (on_load_checkpoint / state_load). */
typedef struct {
    model md;
    lit_tensor *ema;  /* heap copy of fc2.weight's shape */
    double loaded_note;
    int loaded;
} ema_model;

static lit_status ema_save(lit_module *m, lit_checkpoint *ck) {
    ema_model *em = m->user;
    LIT_TRY(lit_checkpoint_put_tensor(ck, "ema.fc2.weight", em->ema));
    return lit_checkpoint_set_double(ck, "ema.decay", 0.9);
}
static lit_status ema_load(lit_module *m, lit_checkpoint *ck) {
    ema_model *em = m->user;
    LIT_TRY(lit_checkpoint_read_tensor(ck, "ema.fc2.weight", em->ema));
    LIT_TRY(lit_checkpoint_get_double(ck, "ema.decay", &em->loaded_note));
    em->loaded = 1;
    return LIT_OK;
}
static lit_status ema_train_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    ema_model *em = m->user;
    *loss = lit_mse_loss(forward(&em->md, b), lit_batch_get(b, "y"), LIT_REDUCTION_MEAN);
    for (int64_t k = 0; k < em->ema->numel; k++)
        lit_f32(em->ema)[k] = 0.9f * lit_f32(em->ema)[k] + 0.1f * lit_f32(em->md.fc2.weight)[k];
    return LIT_OK;
}
static const lit_module_vtable EMA_VT = { .version = LIT_MODULE_VERSION, .training_step = ema_train_step,
                                          .configure_optimizers = configure, .on_save_checkpoint = ema_save,
                                          .on_load_checkpoint = ema_load };

typedef struct {
    int64_t batches;
    int loaded;
} counter;
static lit_status count_batch(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l, lit_batch *b,
                              int64_t i) {
    (void)tr, (void)m, (void)l, (void)b, (void)i;
    ((counter *)cb->user)->batches++;
    return LIT_OK;
}
static lit_status count_save(lit_callback *cb, lit_checkpoint *ck) {
    return lit_checkpoint_set_int(ck, "batches", ((counter *)cb->user)->batches);
}
static lit_status count_load(lit_callback *cb, const lit_checkpoint *ck) {
    counter *c = cb->user;
    c->loaded = 1;
    return lit_checkpoint_get_int(ck, "batches", &c->batches);
}

static lit_status fit_ema(ema_model *em, lit_module *m, counter *c, data *d, int64_t max_steps, const char *ckpt) {
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = dm_train, .user = d };
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 2;
    p.max_steps = max_steps;
    p.seed = 8; /* dropout draws from the global stream */
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    lit_callback cb = { .version = LIT_CALLBACK_VERSION, .name = "Counter", .state_key = "Counter{'every': 1}",
                        .user = c, .on_train_batch_end = count_batch, .state_save = count_save,
                        .state_load = count_load };
    lit_trainer_add_callback(tr, &cb);
    lit_status st = lit_trainer_fit(tr, m, &dm, ckpt);
    if (st >= 0 && !ckpt) st = lit_trainer_save_checkpoint(tr, path_in("ema.ckpt"), 0);
    lit_trainer_free(tr);
    (void)em;
    return st;
}

static void ema_init(ema_model *em, lit_module *m) {
    model_init(&em->md, m, 16);
    em->ema = lit_tensor_new(NULL, LIT_F32, em->md.fc2.weight->ndim, em->md.fc2.weight->shape);
    m->vt = &EMA_VT;
    m->user = em;
}
static void ema_free(ema_model *em, lit_module *m) {
    lit_tensor_free(em->ema);
    lit_module_deinit(m);
    lit_param_store_free(em->md.ps);
}

TEST(hooks_and_callbacks_keep_their_own_state) {
    reset_dir();
    data d = { .n_train = N_SAMPLES };
    ema_model a;
    lit_module ma;
    ema_init(&a, &ma);
    counter ca = { 0 };
    CHECK_EQ_INT(fit_ema(&a, &ma, &ca, &d, 10, NULL), LIT_OK); /* 10 steps, then saved */
    CHECK_EQ_INT(ca.batches, 10);

    ema_model b;
    lit_module mb;
    ema_init(&b, &mb);
    counter cb = { 0 };
    CHECK_EQ_INT(fit_ema(&b, &mb, &cb, &d, 25, path_in("ema.ckpt")), LIT_OK); /* resumed: 15 more */
    CHECK(b.loaded && cb.loaded);
    CHECK_NEAR(b.loaded_note, 0.9, 0);
    CHECK_EQ_INT(cb.batches, 25);

    /* Uninterrupted 25 steps: the same EMA and weights. */
    ema_model c;
    lit_module mc;
    ema_init(&c, &mc);
    counter cc = { 0 };
    lit_dataloader_free(d.train);
    d.train = NULL;
    CHECK_EQ_INT(fit_ema(&c, &mc, &cc, &d, 25, NULL), LIT_OK);
    CHECK(memcmp(lit_f32(b.ema), lit_f32(c.ema), (size_t)c.ema->numel * 4) == 0);
    CHECK(memcmp(lit_f32(b.md.fc1.weight), lit_f32(c.md.fc1.weight), (size_t)c.md.fc1.weight->numel * 4) == 0);
    lit_checkpoint *ck;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("ema.ckpt")), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, "callbacks"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, "Counter{'every': 1}"), LIT_OK);
    int64_t n = 0;
    CHECK_EQ_INT(lit_checkpoint_get_int(ck, "batches", &n), LIT_OK);
    CHECK_EQ_INT(n, 25);
    lit_checkpoint_free(ck);
    ema_free(&a, &ma);
    ema_free(&b, &mb);
    ema_free(&c, &mc);
    lit_dataloader_free(d.train);
}

/* ---------------------------------------------------------------- weights for inference */

static model made;
static lit_module made_mod;
static lit_status factory(const lit_hparam *hp, int n, void *user, lit_module **out) {
    (void)user;
    int hidden = 0;
    for (int i = 0; i < n; i++)
        if (!strcmp(hp[i].name, "hidden")) hidden = (int)hp[i].i;
    if (hidden <= 0) return lit_set_error(LIT_ERR_CONFIG, "factory: no hidden size");
    model_init(&made, &made_mod, hidden);
    lit_module_deinit(&made_mod); /* load_from_checkpoint records the hparams itself */
    lit_module_init(&made_mod, &VT, made.ps, &made);
    *out = &made_mod;
    return LIT_OK;
}

TEST(load_from_checkpoint_restores_hparams_and_weights) {
    reset_dir();
    model md;
    lit_module m;
    model_init(&md, &m, 16);
    CHECK_EQ_INT(lit_module_save_hyperparameters(&m, 1, &LIT_HP_STRING("note", "trained"), NULL), LIT_OK);
    for (int k = 0; k < lit_param_store_len(md.ps); k++) lit_f32(lit_param_store_tensor(md.ps, k))[0] = 0.5f + (float)k;
    CHECK_EQ_INT(lit_module_save_weights(&m, path_in("w.ckpt")), LIT_OK);

    lit_module *got = NULL;
    lit_hparam_value over = LIT_HP_STRING("note", "override");
    CHECK_EQ_INT(lit_module_load_from_checkpoint(path_in("w.ckpt"), &over, 1, factory, NULL, 1, &got), LIT_OK);
    CHECK(got == &made_mod);
    const lit_hparam *h = lit_module_hparam(got, "hidden");
    CHECK(h && h->kind == LIT_HPARAM_INT && h->i == 16);
    h = lit_module_hparam(got, "note");
    CHECK(h && h->kind == LIT_HPARAM_STRING && !strcmp(h->s, "override"));
    for (int k = 0; k < lit_param_store_len(md.ps); k++) {
        lit_tensor *a = lit_param_store_tensor(md.ps, k), *b = lit_param_store_tensor(made.ps, k);
        CHECK(memcmp(a->data, b->data, (size_t)a->numel * 4) == 0);
    }
    lit_module_deinit(&made_mod);
    lit_param_store_free(made.ps);

    /* hidden overridden to 8: the weights no longer fit. */
    lit_hparam_value smaller = LIT_HP_INT("hidden", 8);
    CHECK_EQ_INT(lit_module_load_from_checkpoint(path_in("w.ckpt"), &smaller, 1, factory, NULL, 1, &got),
                 LIT_ERR_SHAPE);
    CHECK_STR_CONTAINS(lit_last_error(), "fc1.weight");
    lit_module_deinit(&made_mod);
    lit_param_store_free(made.ps);

    /* Non-strict loading into a model with an extra parameter reports it. */
    model bigger;
    lit_module bm;
    model_init(&bigger, &bm, 16);
    lit_param_store_new_param(bigger.ps, "extra", "scale", 1, (const int64_t[]){ 1 });
    lit_checkpoint *ck;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("w.ckpt")), LIT_OK);
    lit_state_dict_report rep = { 0 };
    CHECK_EQ_INT(lit_module_load_weights(&bm, ck, 1, &rep), LIT_ERR_NOT_FOUND);
    lit_state_dict_report_free(&rep);
    CHECK_EQ_INT(lit_module_load_weights(&bm, ck, 0, &rep), LIT_OK);
    CHECK_EQ_INT(rep.n_missing, 1);
    CHECK_STR_EQ(rep.missing[0], "extra.scale");
    CHECK(lit_f32(bigger.fc1.weight)[0] == 0.5f);
    lit_state_dict_report_free(&rep);
    lit_checkpoint_free(ck);
    lit_module_deinit(&bm);
    lit_param_store_free(bigger.ps);
    lit_module_deinit(&m);
    lit_param_store_free(md.ps);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/litc-resume-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(sigkill_anywhere_then_resume_is_bit_exact);
    RUN(sigkill_inside_accumulation_groups_is_bit_exact);
    RUN(sigkill_with_dataloader_workers_is_bit_exact);
    RUN(sigterm_checkpoints_tears_down_and_resumes_exactly);
    RUN(sigterm_after_the_last_batch_of_an_epoch_resumes_exactly);
    RUN(a_second_signal_stops_at_once_and_the_last_checkpoint_survives);
    RUN(hooks_and_callbacks_keep_their_own_state);
    RUN(bad_resumes_are_clear_errors);
    RUN(load_from_checkpoint_restores_hparams_and_weights);
    reset_dir();
    rmdir(dir);
    return harness_summary();
}
