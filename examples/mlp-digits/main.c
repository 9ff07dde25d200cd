/*
 * mlp-digits — the first litc model that learns: an MLP on the 8x8 UCI
 * handwritten digits, trained by the Trainer from a LightningModule
 * (module.c) and a DataModule (datamodule.c): fit, then test. --plain runs
 * the same model with the hand-written loop of train.c instead. See README.md.
 *
 *     ./build/mlp-digits [--data PATH] [--epochs N] [--seed S] [--lr X]
 *                        [--batch-size B] [--threads T] [--workers W]
 *                        [--ckpt-dir DIR] [--ckpt-path PATH|last|best] [--plain]
 *
 * Trainer arguments not covered by a flag come from LIT_TRAINER_<NAME>
 * environment variables (LIT_TRAINER_MAX_EPOCHS=3, ...): flag > env > default.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datamodule.h"
#include "digits.h"
#include "litc/litc.h"
#include "module.h"
#include "train.h"

#define DEFAULT_EPOCHS 20

typedef struct {
    const char *data_path; /* NULL = MLP_DIGITS_DEFAULT_PATH */
    int epochs;            /* 0 = not given: LIT_TRAINER_MAX_EPOCHS or DEFAULT_EPOCHS */
    uint64_t seed;
    double lr;
    int batch_size;
    int threads;           /* 0 = litc's default */
    int workers;           /* DataLoader worker threads */
    int plain;             /* train.c's loop instead of the Trainer */
    const char *ckpt_dir;  /* ModelCheckpoint dirpath; NULL = lightning_logs/version_N/checkpoints */
    const char *ckpt_path; /* fit(ckpt_path): resume */
} options;

static void usage(FILE *f) {
    fprintf(f,
            "usage: mlp-digits [options]\n"
            "  --data PATH       digits CSV (default %s)\n"
            "  --epochs N        passes over the training split (default: LIT_TRAINER_MAX_EPOCHS, else %d)\n"
            "  --seed S          seed of the split, initialisation and shuffling (default 0)\n"
            "  --lr X            Adam peak learning rate, cosine-decayed to 0 (default 3e-3)\n"
            "  --batch-size B    samples per step (default 32)\n"
            "  --threads T       kernel threads (default: litc's, i.e. all cores)\n"
            "  --workers W       DataLoader worker threads (default 0: batches built by the training thread)\n"
            "  --ckpt-dir DIR    where checkpoints go (default lightning_logs/version_N/checkpoints)\n"
            "  --ckpt-path P     resume fit from a checkpoint: a path, or last / best (of --ckpt-dir)\n"
            "  --plain           train with the plain loop of train.c (no Trainer, no validation split)\n"
            "  -h, --help        show this help\n"
            "Other Trainer arguments: LIT_TRAINER_<NAME> environment variables, e.g.\n"
            "  LIT_TRAINER_ENABLE_PROGRESS_BAR=0 LIT_TRAINER_LIMIT_TRAIN_BATCHES=10 mlp-digits\n",
            MLP_DIGITS_DEFAULT_PATH, DEFAULT_EPOCHS);
}

/* Parse a whole-string number or explain what was expected. */
static int parse_long(const char *flag, const char *s, long long lo, long long *out) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < lo) {
        fprintf(stderr, "mlp-digits: %s expects an integer >= %lld, got '%s'\n", flag, lo, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_u64(const char *flag, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') {
        fprintf(stderr, "mlp-digits: %s expects a non-negative integer, got '%s'\n", flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *flag, const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0)) {
        fprintf(stderr, "mlp-digits: %s expects a positive number such as 3e-3, got '%s'\n", flag, s);
        return -1;
    }
    *out = v;
    return 0;
}

static int clamp_int(long long v, int hi) { return v > hi ? hi : (int)v; }

/* Store the value of a flag that takes one; 0 or -1 on a bad value. */
static int set_option(options *o, const char *flag, const char *val) {
    long long v;
    if (!strcmp(flag, "--data")) {
        o->data_path = val;
    } else if (!strcmp(flag, "--ckpt-dir")) {
        o->ckpt_dir = val;
    } else if (!strcmp(flag, "--ckpt-path")) {
        o->ckpt_path = val;
    } else if (!strcmp(flag, "--seed")) {
        return parse_u64(flag, val, &o->seed);
    } else if (!strcmp(flag, "--lr")) {
        return parse_double(flag, val, &o->lr);
    } else {
        /* --workers may be 0; the other counts start at 1. */
        int is_workers = !strcmp(flag, "--workers");
        if (parse_long(flag, val, is_workers ? 0 : 1, &v)) return -1;
        if (!strcmp(flag, "--epochs")) o->epochs = clamp_int(v, 1000000);
        else if (!strcmp(flag, "--batch-size")) o->batch_size = clamp_int(v, 1 << 20);
        else if (!strcmp(flag, "--threads")) o->threads = clamp_int(v, 1024);
        else o->workers = clamp_int(v, 64);
    }
    return 0;
}

/* Fill *o from argv; returns 0, 1 for --help, or -1 on a usage error. */
static int parse_args(int argc, char **argv, options *o) {
    static const char *const with_value[] = {"--data", "--epochs", "--seed", "--lr", "--batch-size",
                                             "--threads", "--workers", "--ckpt-dir", "--ckpt-path"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) return 1;
        if (!strcmp(a, "--plain")) {
            o->plain = 1;
            continue;
        }
        /* Accept both "--flag value" and "--flag=value". */
        char flag[32];
        const char *val = NULL;
        const char *eq = strchr(a, '=');
        if (eq && (size_t)(eq - a) < sizeof flag) {
            memcpy(flag, a, (size_t)(eq - a));
            flag[eq - a] = 0;
            val = eq + 1;
        } else {
            snprintf(flag, sizeof flag, "%s", a);
        }
        int known = 0;
        for (size_t k = 0; k < sizeof with_value / sizeof with_value[0]; k++) known |= !strcmp(flag, with_value[k]);
        if (!known) {
            fprintf(stderr, "mlp-digits: unknown option '%s' (valid: --data --epochs --seed --lr --batch-size "
                            "--threads --workers --ckpt-dir --ckpt-path --plain --help)\n", a);
            return -1;
        }
        if (!val) {
            if (i + 1 >= argc) {
                fprintf(stderr, "mlp-digits: %s needs a value\n", flag);
                return -1;
            }
            val = argv[++i];
        }
        if (set_option(o, flag, val)) return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- plain loop */

static lit_status run_plain(const options *o) {
    mlp_digits_config c = mlp_digits_default_config();
    c.data_path = o->data_path;
    c.epochs = o->epochs > 0 ? o->epochs : DEFAULT_EPOCHS;
    c.seed = o->seed;
    c.lr = o->lr;
    c.batch_size = o->batch_size;
    c.threads = o->threads;
    c.progress = stdout;
    printf("mlp-digits (plain loop): MLP 64-%lld-%lld-10 (ReLU), Adam lr %g (cosine decay), batch %d, %d epochs, "
           "seed %llu\n", (long long)c.hidden[0], (long long)c.hidden[1], c.lr, c.batch_size, c.epochs,
           (unsigned long long)c.seed);
    mlp_digits_result res;
    LIT_TRY(mlp_digits_train(&c, &res));
    printf("trained %lld steps on %lld samples in %.2fs (step arena high water %.1f KiB, %zu chunk mallocs)\n",
           (long long)res.steps, (long long)res.n_train, res.seconds, res.step_arena_bytes / 1024.0,
           res.step_arena_mallocs);
    printf("test accuracy: %.4f (%lld/%lld)\n", res.test_accuracy, (long long)res.correct, (long long)res.n_test);
    return LIT_OK;
}

/* ---------------------------------------------------------------- Trainer */

/* Trainer arguments: --epochs > LIT_TRAINER_* > the example's default. */
static lit_status trainer_params(const options *o, lit_trainer_params *p) {
    *p = lit_trainer_default_params();
    if (o->epochs > 0) p->max_epochs = o->epochs;
    if (o->seed <= INT64_MAX) p->seed = (int64_t)o->seed; /* seed_everything */
    LIT_TRY(lit_trainer_params_from_env(p));
    if (p->max_epochs < 0 && p->max_steps < 0) p->max_epochs = DEFAULT_EPOCHS;
    return LIT_OK;
}

static double metric_or_nan(const lit_trainer *tr, const char *name) {
    double v = NAN;
    lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, name, &v);
    return v;
}

/* Keep the best epoch by validation accuracy and the latest state
 * (last.ckpt, for --ckpt-path last), as a Lightning script would. */
static lit_status add_checkpointing(lit_trainer *tr, const options *o) {
    lit_model_checkpoint_params cp = lit_model_checkpoint_default_params();
    cp.dirpath = o->ckpt_dir;
    cp.filename = "digits-{epoch:02d}";
    cp.monitor = "val/acc";
    cp.mode = LIT_MAX;
    cp.save_last = 1;
    lit_callback cb;
    LIT_TRY(lit_model_checkpoint_callback(&cb, &cp));
    lit_status st = lit_trainer_add_callback(tr, &cb);
    if (st < 0) cb.free(&cb);
    return st;
}

/* fit, then test, with the datamodule's splits (1294 train / 144 val / 359 test). */
static lit_status fit_and_test(lit_trainer *tr, digits_module *mod, digits_datamodule *dm, const options *o) {
    double t0 = lit_time_now();
    LIT_TRY(lit_trainer_fit(tr, &mod->base, &dm->base, o->ckpt_path));
    printf("fit: %lld steps in %lld epochs, %.2fs; last epoch: train loss %.4f, val loss %.4f, val acc %.4f\n",
           (long long)lit_trainer_global_step(tr), (long long)lit_trainer_current_epoch(tr), lit_time_now() - t0,
           metric_or_nan(tr, "train/loss_epoch"), metric_or_nan(tr, "val/loss"), metric_or_nan(tr, "val/acc"));
    lit_callback *mc = lit_trainer_checkpoint_callback(tr);
    double best = NAN;
    if (mc && lit_model_checkpoint_best_path(mc) && lit_model_checkpoint_best_score(mc, &best)) {
        const char *last = lit_model_checkpoint_last_path(mc);
        printf("checkpoints: best %s (val/acc %.4f), last %s\n", lit_model_checkpoint_best_path(mc), best,
               last ? last : "-");
    }
    const char *log_dir = lit_trainer_log_dir(tr);
    if (log_dir) printf("logs: %s (metrics.csv, hparams.yaml, TensorBoard events, metrics.jsonl, report.html)\n", log_dir);
    LIT_TRY(lit_trainer_test(tr, &mod->base, &dm->base));
    double acc = mod->test_samples ? (double)mod->test_correct / (double)mod->test_samples : 0.0;
    printf("test accuracy: %.4f (%lld/%lld)\n", acc, (long long)mod->test_correct, (long long)mod->test_samples);
    return LIT_OK;
}

static lit_status run_trainer(const options *o) {
    lit_trainer_params p;
    LIT_TRY(trainer_params(o, &p));

    digits_datamodule_config dc = digits_datamodule_default_config();
    dc.data_path = o->data_path;
    dc.batch_size = o->batch_size;
    dc.seed = o->seed;
    dc.num_workers = o->workers;
    digits_module_config mc = digits_module_default_config();
    mc.lr = o->lr;
    mc.batch_size = o->batch_size;
    mc.seed = o->seed;

    digits_datamodule dm;
    digits_module mod;
    lit_trainer *tr = NULL;
    lit_status st = digits_datamodule_init(&dm, &dc);
    if (st < 0) return st;
    st = digits_module_init(&mod, &mc);
    if (st < 0) {
        digits_datamodule_free(&dm);
        return st;
    }
    /* max_epochs stays None when LIT_TRAINER_MAX_STEPS bounds the fit instead. */
    int by_epochs = p.max_epochs >= 0;
    printf("mlp-digits: MLP 64-%lld-%lld-10 (ReLU), Adam lr %g (cosine decay), batch %d, %lld %s, seed %llu, "
           "%d workers\n", (long long)mc.hidden[0], (long long)mc.hidden[1], mc.lr, o->batch_size,
           (long long)(by_epochs ? p.max_epochs : p.max_steps), by_epochs ? "epochs" : "steps",
           (unsigned long long)o->seed, o->workers);
    st = lit_trainer_new(&tr, &p);
    if (st >= 0 && p.enable_checkpointing) st = add_checkpointing(tr, o);
    if (st >= 0) st = fit_and_test(tr, &mod, &dm, o);
    lit_trainer_free(tr);
    digits_module_free(&mod);
    digits_datamodule_free(&dm);
    return st;
}

int main(int argc, char **argv) {
    options o = {.data_path = NULL, .epochs = 0, .seed = 0, .lr = 3e-3, .batch_size = 32};
    int r = parse_args(argc, argv, &o);
    if (r > 0) {
        usage(stdout);
        return 0;
    }
    if (r < 0) {
        fprintf(stderr, "run 'mlp-digits --help' for the options\n");
        return 2;
    }
    if (o.threads > 0) lit_set_num_threads(o.threads);
    lit_status st = o.plain ? run_plain(&o) : run_trainer(&o);
    if (st < 0) {
        fprintf(stderr, "mlp-digits: %s: %s\n", lit_status_str(st), lit_last_error());
        return 1;
    }
    return 0;
}
