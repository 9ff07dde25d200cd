/*
 * src/train/params.c — Trainer arguments: Lightning's defaults, the
 * LIT_TRAINER_<NAME> environment overrides, validation, and resolution of
 * the "None" values (max_epochs, min_epochs) and fast_dev_run.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "litc/checkpoint.h"
#include "train/train-impl.h"

lit_trainer_params lit_trainer_default_params(void) {
    lit_trainer_params p;
    memset(&p, 0, sizeof p);
    p.max_epochs = -1;
    p.min_epochs = -1;
    p.max_steps = -1;
    p.min_steps = -1;
    p.max_time = 0;
    p.limit_train_batches = -1; p.limit_train_fraction = 1.0;
    p.limit_val_batches = -1;   p.limit_val_fraction = 1.0;
    p.limit_test_batches = -1;  p.limit_test_fraction = 1.0;
    p.limit_predict_batches = -1; p.limit_predict_fraction = 1.0;
    p.val_check_batches = -1;   p.val_check_interval = 1.0;
    p.check_val_every_n_epoch = 1;
    p.num_sanity_val_steps = 2;
    p.fast_dev_run = 0;
    p.overfit_batches = 0;
    p.accumulate_grad_batches = 1;
    p.gradient_clip_val = 0;
    p.gradient_clip_algorithm = LIT_CLIP_NORM;
    p.log_every_n_steps = 50;
    p.enable_progress_bar = 1;
    p.enable_model_summary = 1;
    p.enable_checkpointing = 1;
    p.default_root_dir = NULL;
    p.deterministic = 0;
    p.detect_anomaly = 0;
    p.reload_dataloaders_every_n_epochs = 0;
    p.inference_mode = 1;
    p.seed = -1;
    p.handle_signals = 1;
    p.logger = 1;
    p.allow_non_finite_checkpoint = 0;
    return p;
}

/* ---------------------------------------------------------------- environment */

typedef enum { F_I64, F_DBL, F_INT, F_STR, F_CLIP } field_kind;
typedef struct { const char *name; field_kind kind; size_t off; } field_desc;

#define FI64(n) { #n, F_I64, offsetof(lit_trainer_params, n) }
#define FDBL(n) { #n, F_DBL, offsetof(lit_trainer_params, n) }
#define FINT(n) { #n, F_INT, offsetof(lit_trainer_params, n) }
static const field_desc FIELDS[] = {
    FI64(max_epochs), FI64(min_epochs), FI64(max_steps), FI64(min_steps), FDBL(max_time),
    FI64(limit_train_batches), FDBL(limit_train_fraction), FI64(limit_val_batches), FDBL(limit_val_fraction),
    FI64(limit_test_batches), FDBL(limit_test_fraction), FI64(limit_predict_batches),
    FDBL(limit_predict_fraction), FI64(val_check_batches), FDBL(val_check_interval),
    FI64(check_val_every_n_epoch), FI64(num_sanity_val_steps), FI64(fast_dev_run), FI64(overfit_batches),
    FI64(accumulate_grad_batches), FDBL(gradient_clip_val),
    { "gradient_clip_algorithm", F_CLIP, offsetof(lit_trainer_params, gradient_clip_algorithm) },
    FI64(log_every_n_steps), FINT(enable_progress_bar), FINT(enable_model_summary), FINT(enable_checkpointing),
    { "default_root_dir", F_STR, offsetof(lit_trainer_params, default_root_dir) },
    FINT(deterministic), FINT(detect_anomaly), FI64(reload_dataloaders_every_n_epochs), FINT(inference_mode),
    FI64(seed), FINT(handle_signals), FINT(logger), FINT(allow_non_finite_checkpoint),
};

int lit_trainer_params_field(int i, const char **name, lit_param_kind *kind, size_t *offset) {
    if (i < 0 || (size_t)i >= sizeof FIELDS / sizeof *FIELDS) return 0;
    static const lit_param_kind kinds[] = { [F_I64] = LIT_PARAM_I64, [F_DBL] = LIT_PARAM_DOUBLE,
                                            [F_INT] = LIT_PARAM_BOOL, [F_STR] = LIT_PARAM_STRING,
                                            [F_CLIP] = LIT_PARAM_CLIP };
    if (name) *name = FIELDS[i].name;
    if (kind) *kind = kinds[FIELDS[i].kind];
    if (offset) *offset = FIELDS[i].off;
    return 1;
}

static int parse_bool(const char *s, int *out) {
    static const char *t[] = { "1", "true", "True", "TRUE", "yes", "on" };
    static const char *f[] = { "0", "false", "False", "FALSE", "no", "off" };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (!strcmp(s, t[i])) { *out = 1; return 1; }
        if (!strcmp(s, f[i])) { *out = 0; return 1; }
    }
    return 0;
}

lit_status lit_trainer_params_from_env(lit_trainer_params *p) {
    const lit_trainer_params d = lit_trainer_default_params();
    for (size_t k = 0; k < sizeof FIELDS / sizeof *FIELDS; k++) {
        const field_desc *f = &FIELDS[k];
        char var[96] = "LIT_TRAINER_";
        size_t L = strlen(var);
        for (const char *c = f->name; *c && L + 1 < sizeof var; c++) var[L++] = (char)toupper((unsigned char)*c);
        var[L] = 0;
        const char *s = getenv(var);
        if (!s || !*s) continue; /* empty = unset, as Lightning's PL_TRAINER_* */
        char *pv = (char *)p + f->off;
        const char *dv = (const char *)&d + f->off;
        char *end = NULL;
        errno = 0;
        switch (f->kind) {
        case F_I64: {
            if (*(int64_t *)pv != *(const int64_t *)dv) break; /* explicit wins */
            long long v = strtoll(s, &end, 10);
            if (!*s || *end || errno)
                return lit_set_error(LIT_ERR_CONFIG, "%s=\"%s\": expected an integer for Trainer(%s=...)", var, s,
                                     f->name);
            *(int64_t *)pv = v;
            break;
        }
        case F_DBL: {
            if (*(double *)pv != *(const double *)dv) break;
            double v = strtod(s, &end);
            if (!*s || *end || errno)
                return lit_set_error(LIT_ERR_CONFIG, "%s=\"%s\": expected a number for Trainer(%s=...)", var, s,
                                     f->name);
            *(double *)pv = v;
            break;
        }
        case F_INT: {
            if (*(int *)pv != *(const int *)dv) break;
            int v;
            if (!parse_bool(s, &v))
                return lit_set_error(LIT_ERR_CONFIG, "%s=\"%s\": expected 0/1/true/false for Trainer(%s=...)", var,
                                     s, f->name);
            *(int *)pv = v;
            break;
        }
        case F_CLIP: {
            if (*(lit_clip_algorithm *)pv != *(const lit_clip_algorithm *)dv) break;
            if (!strcmp(s, "norm")) *(lit_clip_algorithm *)pv = LIT_CLIP_NORM;
            else if (!strcmp(s, "value")) *(lit_clip_algorithm *)pv = LIT_CLIP_VALUE;
            else
                return lit_set_error(LIT_ERR_CONFIG, "%s=\"%s\": gradient_clip_algorithm must be \"norm\" or \"value\"",
                                     var, s);
            break;
        }
        case F_STR:
            /* getenv's string lives as long as the environment is not changed. */
            if (*(const char **)pv == NULL) *(const char **)pv = s;
            break;
        }
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- validation */

/* The largest count a Trainer takes (epochs, steps, batches, intervals):
 * what a checkpoint can hold and give back (LIT_CHECKPOINT_COUNTER_MAX,
 * 2^53 - 1), so no counter can overflow and every run can be resumed. */
#define COUNT_MAX LIT_CHECKPOINT_COUNTER_MAX

static lit_status check_limit(const char *count_name, int64_t count, const char *frac_name, double frac) {
    if (count < -1 || count > COUNT_MAX)
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(%s=%lld): must be in 0..%lld (or -1 for not set)", count_name,
                             (long long)count, (long long)COUNT_MAX);
    if (!(frac >= 0.0 && frac <= 1.0))
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(%s=%g): a fraction must be in [0.0, 1.0]; use %s for a count",
                             frac_name, frac, count_name);
    if (count >= 0 && frac != 1.0)
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(%s=%lld, %s=%g): set a count or a fraction, not both",
                             count_name, (long long)count, frac_name, frac);
    return LIT_OK;
}

#define CHECK_GE(field, lo)                                                                                    \
    do {                                                                                                       \
        if (p->field < (lo) || (int64_t)p->field > COUNT_MAX)                                                  \
            return lit_set_error(LIT_ERR_CONFIG, "Trainer(" #field "=%lld): must be in %lld..%lld",             \
                                 (long long)p->field, (long long)(lo), (long long)COUNT_MAX);                  \
    } while (0)

lit_status lit_trainer_params_validate(const lit_trainer_params *p) {
    CHECK_GE(max_epochs, -1);
    CHECK_GE(min_epochs, -1);
    CHECK_GE(max_steps, -1);
    CHECK_GE(min_steps, -1);
    if (!(p->max_time >= 0))
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(max_time=%g): seconds must be >= 0 (0 = no limit)", p->max_time);
    LIT_TRY(check_limit("limit_train_batches", p->limit_train_batches, "limit_train_fraction", p->limit_train_fraction));
    LIT_TRY(check_limit("limit_val_batches", p->limit_val_batches, "limit_val_fraction", p->limit_val_fraction));
    LIT_TRY(check_limit("limit_test_batches", p->limit_test_batches, "limit_test_fraction", p->limit_test_fraction));
    LIT_TRY(check_limit("limit_predict_batches", p->limit_predict_batches, "limit_predict_fraction",
                        p->limit_predict_fraction));
    if (p->val_check_batches == 0 || p->val_check_batches < -1 || p->val_check_batches > COUNT_MAX)
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(val_check_batches=%lld): must be in 1..%lld (or -1 for not set)",
                             (long long)p->val_check_batches, (long long)COUNT_MAX);
    if (!(p->val_check_interval > 0.0 && p->val_check_interval <= 1.0))
        return lit_set_error(LIT_ERR_CONFIG,
                             "Trainer(val_check_interval=%g): a fraction of the epoch must be in (0.0, 1.0]; use "
                             "val_check_batches for a count",
                             p->val_check_interval);
    if (p->val_check_batches >= 1 && p->val_check_interval != 1.0)
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(val_check_batches=%lld, val_check_interval=%g): set one, not both",
                             (long long)p->val_check_batches, p->val_check_interval);
    CHECK_GE(check_val_every_n_epoch, 1);
    CHECK_GE(num_sanity_val_steps, -1);
    CHECK_GE(fast_dev_run, 0);
    CHECK_GE(overfit_batches, 0);
    CHECK_GE(accumulate_grad_batches, 1);
    if (!(p->gradient_clip_val >= 0))
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(gradient_clip_val=%g): must be >= 0 (0 = no clipping)",
                             p->gradient_clip_val);
    if (p->gradient_clip_algorithm != LIT_CLIP_NORM && p->gradient_clip_algorithm != LIT_CLIP_VALUE)
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(gradient_clip_algorithm=%d): use LIT_CLIP_NORM or LIT_CLIP_VALUE",
                             (int)p->gradient_clip_algorithm);
    CHECK_GE(log_every_n_steps, 0);
    CHECK_GE(reload_dataloaders_every_n_epochs, 0);
    if (p->max_epochs >= 0 && p->min_epochs > p->max_epochs)
        return lit_set_error(LIT_ERR_CONFIG, "Trainer(min_epochs=%lld, max_epochs=%lld): min_epochs exceeds max_epochs",
                             (long long)p->min_epochs, (long long)p->max_epochs);
    return LIT_OK;
}

/* Lightning resolves None arguments (loops/utilities.py _parse_loop_limits):
 * max_epochs defaults to 1000 only when neither max_steps nor max_time (its
 * Timer) bounds the fit, else unlimited; min_epochs defaults to 0, or 1 when
 * min_steps is set. fast_dev_run turns every limit into n batches, one
 * epoch, no sanity check. */
void lit__resolve_params(lit_trainer *tr) {
    lit_trainer_params *p = &tr->p;
    if (p->fast_dev_run > 0) {
        int64_t n = p->fast_dev_run;
        p->limit_train_batches = p->limit_val_batches = p->limit_test_batches = p->limit_predict_batches = n;
        p->limit_train_fraction = p->limit_val_fraction = p->limit_test_fraction = p->limit_predict_fraction = 1.0;
        p->max_steps = n;
        p->max_epochs = 1;
        p->num_sanity_val_steps = 0;
        p->val_check_batches = -1;
        p->val_check_interval = 1.0;
        p->check_val_every_n_epoch = 1;
        p->enable_checkpointing = 0;
    }
    if (p->overfit_batches > 0) {
        /* Lightning: the first overfit_batches batches of training and of
         * validation, every epoch (shuffling is turned off in fit). */
        p->limit_train_batches = p->limit_val_batches = p->overfit_batches;
        p->limit_train_fraction = p->limit_val_fraction = 1.0;
    }
    tr->max_epochs = p->max_epochs;
    if (p->max_epochs == -1) tr->max_epochs = p->max_steps == -1 && p->max_time == 0 ? 1000 : -1;
    tr->min_epochs = p->min_epochs;
    tr->min_steps = p->min_steps;
    if (p->min_epochs == -1) tr->min_epochs = p->min_steps != -1 ? 1 : 0;
}
