/*
 * src/cli/config-trainer.c — the `trainer:` section of a config -> a
 * lit_trainer_params, with Lightning's accepted forms (int count or float
 * fraction, "DD:HH:MM:SS", null = None), positioned type and range errors,
 * and the LIT_TRAINER_<NAME> environment defaults as config values.
 *
 * One table (FIELDS below) lists every key; tests/test-config.c checks
 * through lit_trainer_params_field that every lit_trainer_params field is
 * reached by some key, so a new Trainer param cannot be forgotten here.
 */
#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/config-impl.h"
#include "litc/checkpoint.h"
#include "litc/config-trainer.h"

typedef enum {
    K_I64,       /* int >= min; null = the default, when nullable */
    K_BOOL,      /* bool; null = the default */
    K_LIMIT,     /* int count (off) or float fraction (off2) */
    K_VALCHECK,  /* int -> val_check_batches (off2), float -> val_check_interval (off) */
    K_OVERFIT,   /* int count (float 0.0 only) */
    K_FASTDEV,   /* bool or int */
    K_MAXTIME,   /* seconds, "DD:HH:MM:SS", {days: ..} */
    K_CLIPVAL,   /* number >= 0 or null */
    K_CLIPALG,   /* "norm" / "value" / null */
    K_DETERMINISTIC, /* bool / "warn" / null */
    K_STRING,    /* string or null (const char * into the config) */
    K_LOGGER,    /* bool/null binds; list or map is for the caller */
    K_CALLBACKS, /* for the caller */
    K_FIXED,     /* one of `fixed` (or null): what one CPU process has */
    K_ANYBOOL,   /* bool or null, no effect in litc */
} kind;

typedef struct {
    const char *name;
    kind k;
    size_t off, off2;
    int64_t min;
    int nullable;
    const char *const *fixed; /* K_FIXED: accepted texts, NULL-terminated */
} field;

#define P(f) offsetof(lit_trainer_params, f)
static const char *const ACCEL[] = { "auto", "cpu", NULL };
static const char *const STRATEGY[] = { "auto", "single_device", NULL };
static const char *const DEVICES[] = { "auto", "1", "-1", NULL };
static const char *const ONE[] = { "1", NULL };
static const char *const PRECISION[] = { "32", "32-true", NULL };
static const char *const FALSE_ONLY[] = { "false", NULL };
static const char *const NULL_ONLY[] = { NULL };

static const field FIELDS[] = {
    { "max_epochs", K_I64, P(max_epochs), 0, -1, 1, NULL },
    { "min_epochs", K_I64, P(min_epochs), 0, -1, 1, NULL },
    { "max_steps", K_I64, P(max_steps), 0, -1, 1, NULL },
    { "min_steps", K_I64, P(min_steps), 0, -1, 1, NULL },
    { "max_time", K_MAXTIME, P(max_time), 0, 0, 1, NULL },
    { "limit_train_batches", K_LIMIT, P(limit_train_batches), P(limit_train_fraction), 0, 1, NULL },
    { "limit_val_batches", K_LIMIT, P(limit_val_batches), P(limit_val_fraction), 0, 1, NULL },
    { "limit_test_batches", K_LIMIT, P(limit_test_batches), P(limit_test_fraction), 0, 1, NULL },
    { "limit_predict_batches", K_LIMIT, P(limit_predict_batches), P(limit_predict_fraction), 0, 1, NULL },
    { "val_check_interval", K_VALCHECK, P(val_check_interval), P(val_check_batches), 1, 1, NULL },
    { "check_val_every_n_epoch", K_I64, P(check_val_every_n_epoch), 0, 1, 0, NULL },
    { "num_sanity_val_steps", K_I64, P(num_sanity_val_steps), 0, -1, 1, NULL },
    { "fast_dev_run", K_FASTDEV, P(fast_dev_run), 0, 0, 0, NULL },
    { "overfit_batches", K_OVERFIT, P(overfit_batches), 0, 0, 0, NULL },
    { "accumulate_grad_batches", K_I64, P(accumulate_grad_batches), 0, 1, 0, NULL },
    { "gradient_clip_val", K_CLIPVAL, P(gradient_clip_val), 0, 0, 1, NULL },
    { "gradient_clip_algorithm", K_CLIPALG, P(gradient_clip_algorithm), 0, 0, 1, NULL },
    { "log_every_n_steps", K_I64, P(log_every_n_steps), 0, 0, 1, NULL },
    { "enable_progress_bar", K_BOOL, P(enable_progress_bar), 0, 0, 1, NULL },
    { "enable_model_summary", K_BOOL, P(enable_model_summary), 0, 0, 1, NULL },
    { "enable_checkpointing", K_BOOL, P(enable_checkpointing), 0, 0, 1, NULL },
    { "default_root_dir", K_STRING, P(default_root_dir), 0, 0, 1, NULL },
    { "deterministic", K_DETERMINISTIC, P(deterministic), 0, 0, 1, NULL },
    { "detect_anomaly", K_BOOL, P(detect_anomaly), 0, 0, 1, NULL },
    { "reload_dataloaders_every_n_epochs", K_I64, P(reload_dataloaders_every_n_epochs), 0, 0, 0, NULL },
    { "inference_mode", K_BOOL, P(inference_mode), 0, 0, 1, NULL },
    { "logger", K_LOGGER, P(logger), 0, 0, 1, NULL },
    { "callbacks", K_CALLBACKS, 0, 0, 0, 1, NULL },
    { "seed", K_I64, P(seed), 0, -1, 1, NULL },
    { "handle_signals", K_BOOL, P(handle_signals), 0, 0, 1, NULL },
    { "allow_non_finite_checkpoint", K_BOOL, P(allow_non_finite_checkpoint), 0, 0, 1, NULL },
    { "accelerator", K_FIXED, 0, 0, 0, 1, ACCEL },
    { "strategy", K_FIXED, 0, 0, 0, 1, STRATEGY },
    { "devices", K_FIXED, 0, 0, 0, 1, DEVICES },
    { "num_nodes", K_FIXED, 0, 0, 0, 1, ONE },
    { "precision", K_FIXED, 0, 0, 0, 1, PRECISION },
    { "sync_batchnorm", K_FIXED, 0, 0, 0, 1, FALSE_ONLY },
    { "barebones", K_FIXED, 0, 0, 0, 1, FALSE_ONLY },
    { "profiler", K_FIXED, 0, 0, 0, 1, NULL_ONLY },
    { "plugins", K_FIXED, 0, 0, 0, 1, NULL_ONLY },
    { "benchmark", K_ANYBOOL, 0, 0, 0, 1, NULL },
    { "use_distributed_sampler", K_ANYBOOL, 0, 0, 0, 1, NULL },
};
#define N_FIELDS ((int)(sizeof FIELDS / sizeof *FIELDS))

static const char *names[N_FIELDS];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;
static void fill_names(void) {
    for (int i = 0; i < N_FIELDS; i++) names[i] = FIELDS[i].name;
}
static const char *const *key_names(void) {
    pthread_once(&names_once, fill_names);
    return names;
}

const char *const *lit_config_trainer_keys(int *n) {
    if (n) *n = N_FIELDS;
    return key_names();
}

/* ---------------------------------------------------------------- binding */

#define I64(p, off) (*(int64_t *)((char *)(p) + (off)))
#define DBL(p, off) (*(double *)((char *)(p) + (off)))
#define INT(p, off) (*(int *)((char *)(p) + (off)))

static const char *path_of(const lit_config_node *n, char *buf) {
    lit_config_node_path(n, buf, 256);
    return buf;
}

static lit_status type_error(const lit_config_node *v, const char *what) {
    char p[256];
    const char *got = lit_config_type_name(v->type);
    if (v->type == LIT_CONFIG_STRING) return lit_config_error(v, "%s: expected %s, got \"%s\"", path_of(v, p), what, v->text);
    if (v->type == LIT_CONFIG_LIST || v->type == LIT_CONFIG_MAP)
        return lit_config_error(v, "%s: expected %s, got %s", path_of(v, p), what, got);
    return lit_config_error(v, "%s: expected %s, got %s", path_of(v, p), what,
                            v->type == LIT_CONFIG_NULL ? "null" : v->text);
}

static lit_status range_error(const lit_config_node *v, const char *rule) {
    char p[256];
    return lit_config_error(v, "%s: must be %s, got %s", path_of(v, p), rule, v->text);
}

/* An integer count (epochs, steps, batches, a seed) in lo..2^53-1: the
 * largest a checkpoint holds and gives back, so no counter can overflow and
 * every run can be resumed. `what` explains the rule, may be "". */
static lit_status check_count(const lit_config_node *v, int64_t i, int64_t lo, const char *what) {
    if (i >= lo && i <= LIT_CHECKPOINT_COUNTER_MAX) return LIT_OK;
    char rule[128];
    snprintf(rule, sizeof rule, "in %lld..%lld%s", (long long)lo, (long long)LIT_CHECKPOINT_COUNTER_MAX, what);
    return range_error(v, rule);
}

/* "DD:HH:MM:SS" -> seconds (Lightning's Timer format); -1 when malformed. */
static double dhms(const char *s) {
    long part[4];
    for (int i = 0; i < 4; i++) {
        if (!isdigit((unsigned char)*s)) return -1;
        char *end;
        part[i] = strtol(s, &end, 10);
        if (end - s > 9) return -1;
        s = end;
        if (i < 3 && *s++ != ':') return -1;
    }
    if (*s) return -1;
    return ((part[0] * 24.0 + part[1]) * 60.0 + part[2]) * 60.0 + part[3];
}

static lit_status bind_max_time(const lit_config_node *v, double *out) {
    static const char *const units[] = { "weeks", "days", "hours", "minutes", "seconds", "milliseconds",
                                         "microseconds" };
    static const double scale[] = { 604800, 86400, 3600, 60, 1, 1e-3, 1e-6 };
    const char *what = "seconds, \"DD:HH:MM:SS\" or a map of days/hours/minutes/seconds";
    double s;
    switch (v->type) {
    case LIT_CONFIG_NULL: *out = 0; return LIT_OK;
    case LIT_CONFIG_INT:
    case LIT_CONFIG_FLOAT:
        LIT_TRY(lit_config_get_double(v, &s));
        if (!(s >= 0) || s > 1e15) return range_error(v, "seconds >= 0");
        *out = s;
        return LIT_OK;
    case LIT_CONFIG_STRING:
        s = dhms(v->text);
        if (s < 0) return type_error(v, what);
        *out = s;
        return LIT_OK;
    case LIT_CONFIG_MAP: {
        LIT_TRY(lit_config_check_keys(v, units, 7, NULL));
        double total = 0;
        for (int i = 0; i < v->n; i++) {
            const lit_config_node *x = v->entries[i].value;
            double d;
            LIT_TRY(lit_config_get_double(x, &d));
            if (!(d >= 0) || d > 1e12) return range_error(x, ">= 0");
            for (int u = 0; u < 7; u++)
                if (!strcmp(v->entries[i].key, units[u])) total += d * scale[u];
        }
        *out = total;
        return LIT_OK;
    }
    default: return type_error(v, what);
    }
}

static int fixed_ok(const lit_config_node *v, const char *const *allowed) {
    if (v->type == LIT_CONFIG_NULL) return 1;
    if (v->type == LIT_CONFIG_MAP || v->type == LIT_CONFIG_LIST) return 0;
    char low[64];
    size_t n = strlen(v->text);
    if (n >= sizeof low) return 0;
    for (size_t i = 0; i <= n; i++) low[i] = (char)(v->type == LIT_CONFIG_BOOL ? tolower((unsigned char)v->text[i]) : v->text[i]);
    for (; *allowed; allowed++)
        if (!strcmp(low, *allowed)) return 1;
    return 0;
}

static lit_status bind_one(const field *f, const lit_config_node *v, lit_trainer_params *q,
                           const lit_trainer_params *d) {
    int64_t i;
    double x;
    int b;
    switch (f->k) {
    case K_I64:
        if (v->type == LIT_CONFIG_NULL && f->nullable) {
            I64(q, f->off) = I64(d, f->off);
            return LIT_OK;
        }
        if (v->type != LIT_CONFIG_INT) return type_error(v, f->nullable ? "an integer or null" : "an integer");
        LIT_TRY(lit_config_get_int(v, &i));
        LIT_TRY(check_count(v, i, f->min, ""));
        I64(q, f->off) = i;
        return LIT_OK;
    case K_BOOL:
        if (v->type == LIT_CONFIG_NULL) {
            INT(q, f->off) = INT(d, f->off);
            return LIT_OK;
        }
        LIT_TRY(lit_config_get_bool(v, &b));
        INT(q, f->off) = b;
        return LIT_OK;
    case K_LIMIT:
        if (v->type == LIT_CONFIG_NULL) {
            I64(q, f->off) = -1;
            DBL(q, f->off2) = 1.0;
        } else if (v->type == LIT_CONFIG_INT) {
            LIT_TRY(lit_config_get_int(v, &i));
            LIT_TRY(check_count(v, i, 0, " (a count of batches)"));
            I64(q, f->off) = i;
            DBL(q, f->off2) = 1.0;
        } else if (v->type == LIT_CONFIG_FLOAT) {
            LIT_TRY(lit_config_get_double(v, &x));
            if (!(x >= 0.0 && x <= 1.0)) return range_error(v, "in [0.0, 1.0] (a fraction of the batches; an int is a count)");
            I64(q, f->off) = -1;
            DBL(q, f->off2) = x;
        } else {
            return type_error(v, "an integer (a count of batches) or a float in [0.0, 1.0] (a fraction)");
        }
        return LIT_OK;
    case K_VALCHECK:
        if (v->type == LIT_CONFIG_NULL) {
            I64(q, f->off2) = -1;
            DBL(q, f->off) = 1.0;
        } else if (v->type == LIT_CONFIG_INT) {
            LIT_TRY(lit_config_get_int(v, &i));
            LIT_TRY(check_count(v, i, 1, " (validate every n training batches)"));
            I64(q, f->off2) = i;
            DBL(q, f->off) = 1.0;
        } else if (v->type == LIT_CONFIG_FLOAT) {
            LIT_TRY(lit_config_get_double(v, &x));
            if (!(x > 0.0 && x <= 1.0)) return range_error(v, "in (0.0, 1.0] (a fraction of the epoch; an int counts batches)");
            I64(q, f->off2) = -1;
            DBL(q, f->off) = x;
        } else {
            return type_error(v, "an integer (every n batches) or a float in (0.0, 1.0] (a fraction of the epoch)");
        }
        return LIT_OK;
    case K_OVERFIT:
        if (v->type == LIT_CONFIG_FLOAT) {
            LIT_TRY(lit_config_get_double(v, &x));
            if (x != 0.0) {
                char p[256];
                return lit_config_error_status(LIT_ERR_UNSUPPORTED, v,
                                               "%s: a fraction (%s) is not supported by litc; give a count of batches",
                                               path_of(v, p), v->text);
            }
            I64(q, f->off) = 0;
            return LIT_OK;
        }
        if (v->type != LIT_CONFIG_INT) return type_error(v, "an integer (a count of batches)");
        LIT_TRY(lit_config_get_int(v, &i));
        LIT_TRY(check_count(v, i, 0, ""));
        I64(q, f->off) = i;
        return LIT_OK;
    case K_FASTDEV:
        if (v->type == LIT_CONFIG_BOOL) {
            LIT_TRY(lit_config_get_bool(v, &b));
            I64(q, f->off) = b;
            return LIT_OK;
        }
        if (v->type != LIT_CONFIG_INT) return type_error(v, "a boolean or an integer");
        LIT_TRY(lit_config_get_int(v, &i));
        LIT_TRY(check_count(v, i, 0, ""));
        I64(q, f->off) = i;
        return LIT_OK;
    case K_MAXTIME: return bind_max_time(v, &DBL(q, f->off));
    case K_CLIPVAL:
        if (v->type == LIT_CONFIG_NULL) {
            DBL(q, f->off) = 0;
            return LIT_OK;
        }
        if (v->type != LIT_CONFIG_INT && v->type != LIT_CONFIG_FLOAT) return type_error(v, "a number or null");
        LIT_TRY(lit_config_get_double(v, &x));
        if (!(x >= 0) || x == INFINITY) return range_error(v, "a finite number >= 0 (0 = no clipping)");
        DBL(q, f->off) = x;
        return LIT_OK;
    case K_CLIPALG: {
        lit_clip_algorithm *a = (lit_clip_algorithm *)((char *)q + f->off);
        if (v->type == LIT_CONFIG_NULL) *a = LIT_CLIP_NORM;
        else if (v->type == LIT_CONFIG_STRING && !strcasecmp(v->text, "norm")) *a = LIT_CLIP_NORM;
        else if (v->type == LIT_CONFIG_STRING && !strcasecmp(v->text, "value")) *a = LIT_CLIP_VALUE;
        else return type_error(v, "\"norm\" or \"value\"");
        return LIT_OK;
    }
    case K_DETERMINISTIC:
        if (v->type == LIT_CONFIG_NULL) INT(q, f->off) = INT(d, f->off);
        else if (v->type == LIT_CONFIG_STRING && !strcmp(v->text, "warn")) INT(q, f->off) = 1;
        else if (v->type == LIT_CONFIG_BOOL) LIT_TRY(lit_config_get_bool(v, &INT(q, f->off)));
        else return type_error(v, "a boolean, \"warn\" or null");
        return LIT_OK;
    case K_STRING: {
        const char **s = (const char **)((char *)q + f->off);
        if (v->type == LIT_CONFIG_NULL) *s = NULL;
        else LIT_TRY(lit_config_get_string(v, s));
        return LIT_OK;
    }
    case K_LOGGER:
        if (v->type == LIT_CONFIG_MAP || v->type == LIT_CONFIG_LIST) return LIT_OK; /* the registry's */
        if (v->type == LIT_CONFIG_NULL) {
            INT(q, f->off) = INT(d, f->off);
            return LIT_OK;
        }
        if (v->type != LIT_CONFIG_BOOL)
            return type_error(v, "a boolean, null, or loggers as {class_path, init_args} (a map or a list of them)");
        return lit_config_get_bool(v, &INT(q, f->off));
    case K_CALLBACKS: return LIT_OK;
    case K_ANYBOOL:
        if (v->type != LIT_CONFIG_NULL && v->type != LIT_CONFIG_BOOL) return type_error(v, "a boolean or null");
        return LIT_OK;
    case K_FIXED:
        if (!fixed_ok(v, f->fixed)) {
            char p[256], list[200] = "null";
            size_t L = strlen(list);
            for (const char *const *a = f->fixed; *a && L < sizeof list; a++) {
                int w = snprintf(list + L, sizeof list - L, ", %s", *a);
                L += w > 0 ? (size_t)w : 0;
            }
            const char *shown = v->type == LIT_CONFIG_MAP || v->type == LIT_CONFIG_LIST ? lit_config_type_name(v->type)
                                                                                         : v->text;
            return lit_config_error_status(LIT_ERR_UNSUPPORTED, v,
                                           "%s: %s is not supported by litc (a single CPU process): use %s",
                                           path_of(v, p), shown, list);
        }
        return LIT_OK;
    }
    return LIT_OK;
}

lit_status lit_config_bind_trainer(const lit_config_node *map, lit_trainer_params *p) {
    if (!map || map->type == LIT_CONFIG_NULL) return LIT_OK;
    if (map->type != LIT_CONFIG_MAP) return type_error(map, "a mapping of Trainer arguments");
    LIT_TRY(lit_config_check_keys(map, key_names(), N_FIELDS, NULL));
    const lit_trainer_params d = lit_trainer_default_params();
    lit_trainer_params q = *p;
    for (int i = 0; i < map->n; i++) {
        for (int k = 0; k < N_FIELDS; k++)
            if (!strcmp(FIELDS[k].name, map->entries[i].key)) LIT_TRY(bind_one(&FIELDS[k], map->entries[i].value, &q, &d));
    }
    if (lit_trainer_params_validate(&q) < 0) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", lit_last_error());
        char path[256];
        lit_config_node_path(map, path, sizeof path);
        return lit_config_error(map, "%s: %s", path[0] ? path : "trainer", msg);
    }
    *p = q;
    return LIT_OK;
}

/* ---------------------------------------------------------------- environment */

static int env_bool(const char *s, const char **word) {
    static const char *t[] = { "1", "true", "True", "TRUE", "yes", "on" };
    static const char *f[] = { "0", "false", "False", "FALSE", "no", "off" };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        if (!strcmp(s, t[i])) { *word = "true"; return 1; }
        if (!strcmp(s, f[i])) { *word = "false"; return 1; }
    }
    return 0;
}

static void var_name(char *out, size_t size, const char *key) {
    size_t L = (size_t)snprintf(out, size, "LIT_TRAINER_");
    for (const char *c = key; *c && L + 1 < size; c++) out[L++] = (char)toupper((unsigned char)*c);
    out[L] = 0;
}

/* Set trainer.<key> from `value`, unless the command line set it. */
static lit_status env_set(lit_config *cfg, const field *f, const char *var, const char *value, int as_float) {
    char path[128];
    snprintf(path, sizeof path, "trainer.%s", f->name);
    const lit_config_node *cur = lit_config_get(cfg, path);
    if (cur && cur->origin == LIT_CONFIG_FROM_COMMAND_LINE) return LIT_OK;
    char source[160];
    snprintf(source, sizeof source, "<env %s>", var);
    const char *word;
    int boolish = f->k == K_BOOL || f->k == K_ANYBOOL || f->k == K_LOGGER ||
                  (f->k == K_DETERMINISTIC && strcmp(value, "warn"));
    if (boolish && env_bool(value, &word)) value = word;
    LIT_TRY(lit__config_set(cfg, path, value, source, LIT_CONFIG_FROM_ENV, 0, 0, f->k == K_STRING));
    if (as_float) {
        /* LIT_TRAINER_LIMIT_TRAIN_FRACTION=1 is the fraction 1.0, not a count. */
        lit_config_node *n = lit__config_lookup(cfg->root, path);
        if (n && n->type == LIT_CONFIG_INT) n->type = LIT_CONFIG_FLOAT;
    }
    return LIT_OK;
}

/* The variable's value, or NULL when it is unset or empty: as Lightning's
 * _parse_env_variables skips an empty PL_TRAINER_*, an empty LIT_TRAINER_*
 * leaves the config's value alone (it is never read as null). */
static const char *env_get(const char *var) {
    const char *v = getenv(var);
    return v && *v ? v : NULL;
}

lit_status lit_config_apply_trainer_env(lit_config *cfg) {
    /* litc's names for the halves of Lightning's int|float arguments, as
     * lit_trainer_params_from_env reads them; applied first so that the
     * Lightning-named variable wins. */
    static const struct { const char *litc, *key; int as_float; } alias[] = {
        { "limit_train_fraction", "limit_train_batches", 1 },
        { "limit_val_fraction", "limit_val_batches", 1 },
        { "limit_test_fraction", "limit_test_batches", 1 },
        { "limit_predict_fraction", "limit_predict_batches", 1 },
        { "val_check_batches", "val_check_interval", 0 },
    };
    const lit_config_node *tr = lit_config_get(cfg, "trainer");
    if (tr && tr->type != LIT_CONFIG_MAP && tr->type != LIT_CONFIG_NULL)
        return type_error(tr, "a mapping of Trainer arguments");
    char var[96];
    for (size_t a = 0; a < sizeof alias / sizeof *alias; a++) {
        var_name(var, sizeof var, alias[a].litc);
        const char *v = env_get(var);
        if (!v) continue;
        for (int k = 0; k < N_FIELDS; k++)
            if (!strcmp(FIELDS[k].name, alias[a].key)) LIT_TRY(env_set(cfg, &FIELDS[k], var, v, alias[a].as_float));
    }
    for (int k = 0; k < N_FIELDS; k++) {
        if (FIELDS[k].k == K_CALLBACKS) continue;
        var_name(var, sizeof var, FIELDS[k].name);
        const char *v = env_get(var);
        if (v) LIT_TRY(env_set(cfg, &FIELDS[k], var, v, 0));
    }
    return LIT_OK;
}
