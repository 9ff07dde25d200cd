/*
 * src/callbacks/model-checkpoint.c — Lightning 2.x's ModelCheckpoint
 * (lightning/pytorch/callbacks/model_checkpoint.py): when to save, the
 * top-k bookkeeping, file names from a template, save_last, its state in
 * checkpoints and the "last"/"best" files fit(ckpt_path=...) resumes from.
 * See model-checkpoint.h for the behaviour; the comments here say where litc's
 * spelling differs from the Python.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf-impl.h"
#include "core/path-impl.h"
#include "core/str-impl.h"
#include "litc/callbacks.h"
#include "litc/checkpoint.h"
#include "litc/progress.h"

#define MC_PATH_MAX 4096

typedef struct {
    char *path;
    double score;
} topk_entry;

typedef struct {
    char *name;
    int is_int;
    int64_t i;
    double d;
} candidate;

typedef struct {
    lit_model_checkpoint_params p; /* strings below are the owned copies */
    char *filename;                /* NULL = "{epoch}-{step}" */
    char *monitor;
    char *dirpath;                 /* given (absolute) or resolved at the first setup; NULL before */
    char *state_key;
    /* triggers after Lightning's __init_triggers */
    int64_t every_n_train_steps, every_n_epochs;
    double train_time_interval; /* 0 = None */

    /* Lightning's attributes */
    int has_current;
    double current_score;
    topk_entry *k;
    int nk, capk;
    char *kth_best_model_path;
    double kth_value;
    int has_best;
    double best_model_score;
    char *best_model_path;
    char *last_model_path;
    int64_t last_global_step_saved;
    int has_time;
    double last_time_checked;

    int val_has_run;      /* evaluation_loop._has_run: a validation batch ran in the latest validation
                           * (the sanity check does not count) */
    int warned_missing;   /* the missing-monitor warning is given once (Lightning's WarningCache) */
    char *resume_path;    /* the file this fit resumes from, when it came from checkpoint_path() */
    char ret[MC_PATH_MAX]; /* checkpoint_path()'s answer */
} mc_state;

/* ---------------------------------------------------------------- small helpers */

static lit_status set_str(char **dst, const char *src) {
    char *c = NULL;
    if (src) {
        c = strdup(src);
        if (!c) return lit_set_error(LIT_ERR_NOMEM, "ModelCheckpoint: out of memory");
    }
    free(*dst);
    *dst = c;
    return LIT_OK;
}
static const char *str_or_empty(const char *s) { return s ? s : ""; }
static int str_eq(const char *a, const char *b) { return !strcmp(str_or_empty(a), str_or_empty(b)); }

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* mkdir -p of the folder that will hold `path` (Lightning's checkpoint IO
 * makes it before writing). */
static lit_status make_parent_dirs(const char *path) {
    char buf[MC_PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return lit_set_error(LIT_ERR_INVALID_ARG, "ModelCheckpoint: path too long: %s", path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf) return LIT_OK;
    *slash = 0;
    return lit__mkdirs(buf, "ModelCheckpoint");
}

/* Lightning's os.path.realpath(dirpath): absolute, every symlink of the
 * part that exists resolved, "." and ".." of the rest collapsed. */
static lit_status absolute_path(const char *p, char **out) {
    char real[PATH_MAX];
    if (lit__path_resolve(p, real, sizeof real) != 0)
        return lit_set_error(LIT_ERR_INVALID_ARG, "ModelCheckpoint: cannot resolve the folder %s: %s", p,
                             strerror(errno));
    return set_str(out, real);
}

/*
 * A path the callback may remove, replace or resume from: a .ckpt file
 * inside its dirpath, with ".." refused and every symlink resolved (a
 * symlinked sub-folder or a link pointing out of the folder is outside).
 * Paths restored from a checkpoint are untrusted; this is checked when
 * they are loaded and again when they are used.
 */
static int owns_path(const mc_state *s, const char *path) {
    size_t n = path ? strlen(path) : 0;
    return s->dirpath && n > 5 && !strcmp(path + n - 5, ".ckpt") && lit__path_is_inside(s->dirpath, path);
}

/* owns_path, with a warning naming the state key when it fails. */
static int owned_or_warn(const mc_state *s, const char *key, const char *path) {
    if (owns_path(s, path)) return 1;
    lit_logf(LIT_LOG_WARN,
             "ModelCheckpoint: ignoring %s '%s' from the checkpoint: it is not a .ckpt file inside dirpath '%s' "
             "(after resolving symlinks); nothing outside that folder is removed, replaced or resumed from",
             key, path, str_or_empty(s->dirpath));
    return 0;
}

/* A restored path field: kept when owned, else dropped with a warning. */
static void drop_unless_owned(const mc_state *s, const char *key, char **path) {
    if (!*path || owned_or_warn(s, key, *path)) return;
    free(*path);
    *path = NULL;
}

/* Python's repr() of a str (core's lit__py_repr_str), cut to `size`: for messages. */
static void py_repr_str(char *out, size_t size, const char *s) {
    char *r = lit__py_repr_str(s);
    snprintf(out, size, "%s", r ? r : "'?'");
    free(r);
}

/* repr(datetime.timedelta(seconds=s)). */
static void py_repr_timedelta(char *out, size_t size, double s) {
    int64_t us_total = (int64_t)llround(s * 1e6);
    int64_t days = us_total / 86400000000LL, rem = us_total % 86400000000LL;
    int64_t secs = rem / 1000000, us = rem % 1000000;
    char parts[128] = "";
    size_t n = 0;
    if (days) n += (size_t)snprintf(parts + n, sizeof parts - n, "days=%" PRId64, days);
    if (secs) n += (size_t)snprintf(parts + n, sizeof parts - n, "%sseconds=%" PRId64, n ? ", " : "", secs);
    if (us) n += (size_t)snprintf(parts + n, sizeof parts - n, "%smicroseconds=%" PRId64, n ? ", " : "", us);
    snprintf(out, size, "datetime.timedelta(%s)", n ? parts : "0");
}

/* ---------------------------------------------------------------- Python number formatting */

/* format(value, spec) for Python ints and floats (Tensor.__format__ of a
 * 0-dim tensor formats its .item()). Supported spec:
 * [[fill]align][sign][#][0][width][.precision][type], type in
 * "" d n f F e E g G %. Grouping (',' '_') and b/o/x/c/s are refused. */
static lit_status py_format(char *out, size_t size, const char *spec, const candidate *c) {
    const char *s = spec;
    char fill = ' ', align = 0, sign = '-', type = 0;
    int width = -1, prec = -1;
    if (s[0] && (s[1] == '<' || s[1] == '>' || s[1] == '^' || s[1] == '=')) fill = s[0], align = s[1], s += 2;
    else if (s[0] == '<' || s[0] == '>' || s[0] == '^' || s[0] == '=') align = *s++;
    if (*s == '+' || *s == '-' || *s == ' ') sign = *s++;
    if (*s == '#') s++;
    if (*s == '0') {
        if (!align) fill = '0', align = '=';
        s++;
    }
    if (*s >= '0' && *s <= '9') width = (int)strtol(s, (char **)&s, 10);
    if (*s == '.') {
        s++;
        if (!(*s >= '0' && *s <= '9')) goto bad;
        prec = (int)strtol(s, (char **)&s, 10);
    }
    if (*s) type = *s++;
    if (*s || (type && !strchr("dnfFeEgG%", type))) goto bad;

    char body[512];
    int is_int = c->is_int;
    if (is_int && (type == 0 || type == 'd' || type == 'n')) {
        if (prec >= 0) goto bad; /* Python: "Precision not allowed in integer format specifier" */
        snprintf(body, sizeof body, "%" PRId64, c->i);
    } else {
        if (type == 'd' || type == 'n') {
            if (type == 'n') type = 'g';
            else
                return lit_set_error(LIT_ERR_INVALID_ARG,
                                     "ModelCheckpoint filename: format spec '%s' (Unknown format code 'd' for a "
                                     "float metric \"%s\", as Python)", spec, c->name);
        }
        double v = is_int ? (double)c->i : c->d;
        if (isnan(v) || isinf(v)) {
            const char *t = isnan(v) ? "nan" : v > 0 ? "inf" : "-inf";
            char up[8];
            snprintf(up, sizeof up, "%s", t);
            if (type == 'F' || type == 'E' || type == 'G')
                for (char *u = up; *u; u++) *u = (char)(*u >= 'a' && *u <= 'z' ? *u - 32 : *u);
            snprintf(body, sizeof body, "%s%s", up, type == '%' ? "%" : "");
        } else if (type == 0 && prec < 0) {
            lit_progress_format_pyfloat(body, sizeof body, v); /* repr(float) */
        } else if (type == 0) {
            /* like 'g', with at least one digit after the point in fixed notation */
            snprintf(body, sizeof body, "%.*g", prec ? prec : 1, v);
            if (!strpbrk(body, ".e")) strcat(body, ".0");
        } else if (type == '%') {
            snprintf(body, sizeof body, "%.*f%%", prec < 0 ? 6 : prec, v * 100.0);
        } else {
            char f[16];
            snprintf(f, sizeof f, "%%.%d%c", prec < 0 ? 6 : prec, type);
            snprintf(body, sizeof body, f, v);
        }
    }
    /* sign */
    char signed_body[520];
    if (body[0] != '-' && sign != '-') /* '+' or ' ' before non-negatives (and nan, as Python) */
        snprintf(signed_body, sizeof signed_body, "%c%s", sign, body);
    else
        snprintf(signed_body, sizeof signed_body, "%s", body);
    /* width */
    int len = (int)strlen(signed_body);
    if (width > len && width < 256) {
        int pad = width - len;
        char padded[800];
        size_t n = 0;
        if (!align) align = '>';
        if (align == '=') {
            int has_sign = signed_body[0] == '-' || signed_body[0] == '+' || signed_body[0] == ' ';
            if (has_sign) padded[n++] = signed_body[0];
            for (int i = 0; i < pad; i++) padded[n++] = fill;
            snprintf(padded + n, sizeof padded - n, "%s", signed_body + has_sign);
        } else {
            int left = align == '<' ? 0 : align == '>' ? pad : pad / 2;
            for (int i = 0; i < left; i++) padded[n++] = fill;
            n += (size_t)snprintf(padded + n, sizeof padded - n, "%s", signed_body);
            for (int i = left; i < pad; i++) padded[n++] = fill;
            padded[n] = 0;
        }
        if (snprintf(out, size, "%s", padded) >= (int)size) goto too_long;
    } else if (snprintf(out, size, "%s", signed_body) >= (int)size) {
        goto too_long;
    }
    return LIT_OK;
bad:
    return lit_set_error(LIT_ERR_INVALID_ARG,
                         "ModelCheckpoint filename: format spec '%s' for \"%s\" is not supported "
                         "([[fill]align][sign][0][width][.precision][type], type one of d f F e E g G %%)",
                         spec, c->name);
too_long:
    return lit_set_error(LIT_ERR_INVALID_ARG, "ModelCheckpoint filename: the formatted value is too long");
}

/* ---------------------------------------------------------------- names */

static const candidate *find_candidate(const candidate *c, int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(c[i].name, name)) return &c[i];
    return NULL;
}

/*
 * Lightning's _format_checkpoint_name + format_checkpoint_name: every
 * "{name[:spec]}" of the template becomes "name=<value>" (auto insert) or
 * "<value>"; "-v<ver>" and ".ckpt" are appended; the result is joined to
 * dirpath (when known).
 */
static lit_status format_name(const mc_state *s, const char *tmpl, const candidate *c, int nc, int ver, char *out,
                              size_t size) {
    char name[MC_PATH_MAX];
    size_t n = 0;
    if (!tmpl) tmpl = "{epoch}-{step}";
    for (const char *q = tmpl; *q;) {
        if (*q != '{') {
            if (n + 1 >= sizeof name) goto too_long;
            name[n++] = *q++;
            continue;
        }
        const char *end = strchr(q, '}');
        if (!end)
            return lit_set_error(LIT_ERR_INVALID_ARG, "ModelCheckpoint filename \"%s\": a '{' without '}'", tmpl);
        const char *colon = memchr(q, ':', (size_t)(end - q));
        const char *key_end = colon ? colon : end;
        char key[512], spec[64];
        size_t kl = (size_t)(key_end - q - 1);
        if (kl >= sizeof key) goto too_long;
        memcpy(key, q + 1, kl);
        key[kl] = 0;
        size_t sl = colon ? (size_t)(end - colon - 1) : 0;
        if (sl >= sizeof spec) goto too_long;
        if (colon) memcpy(spec, colon + 1, sl);
        spec[sl] = 0;
        candidate zero = { .name = key, .is_int = 1, .i = 0 }; /* Lightning: a missing name formats tensor(0) */
        const candidate *v = find_candidate(c, nc, key);
        if (!v) v = &zero;
        char val[600];
        LIT_TRY(py_format(val, sizeof val, spec, v));
        int w = s->p.auto_insert_metric_name ? snprintf(name + n, sizeof name - n, "%s=%s", key, val)
                                             : snprintf(name + n, sizeof name - n, "%s", val);
        if (w < 0 || (size_t)w >= sizeof name - n) goto too_long;
        n += (size_t)w;
        q = end + 1;
    }
    name[n] = 0;
    char vers[32] = "";
    if (ver >= 0) snprintf(vers, sizeof vers, "-v%d", ver);
    int w = s->dirpath ? snprintf(out, size, "%s/%s%s.ckpt", s->dirpath, name, vers)
                       : snprintf(out, size, "%s%s.ckpt", name, vers);
    if (w < 0 || (size_t)w >= size) goto too_long;
    return LIT_OK;
too_long:
    return lit_set_error(LIT_ERR_INVALID_ARG, "ModelCheckpoint: the checkpoint name from \"%s\" is too long", tmpl);
}

/* _get_metric_interpolated_filepath_name / the last-file loop: add "-vN"
 * while the name exists (and is not `keep`, the file about to be replaced). */
static lit_status versioned_name(const mc_state *s, const char *tmpl, const candidate *c, int nc, const char *keep,
                                 char *out, size_t size) {
    LIT_TRY(format_name(s, tmpl, c, nc, -1, out, size));
    if (!s->p.enable_version_counter) return LIT_OK;
    for (int v = 1; file_exists(out) && !str_eq(out, keep); v++) LIT_TRY(format_name(s, tmpl, c, nc, v, out, size));
    return LIT_OK;
}

/* ---------------------------------------------------------------- monitor candidates */

typedef struct {
    candidate *c;
    int n;
} cand_list;

static void cands_free(cand_list *l) {
    free(l->c);
    l->c = NULL;
    l->n = 0;
}

/* _monitor_candidates: trainer.callback_metrics, with "epoch" and "step"
 * (a logged value cast to an integer, else current_epoch / global_step).
 * Names point into the trainer's metric list (valid during the hook). */
static lit_status cands_build(lit_trainer *tr, cand_list *l) {
    int n = lit_trainer_metric_count(tr, LIT_METRICS_CALLBACK);
    l->c = calloc((size_t)n + 2, sizeof *l->c);
    l->n = 0;
    if (!l->c) return lit_set_error(LIT_ERR_NOMEM, "ModelCheckpoint: out of memory");
    for (int i = 0; i < n; i++)
        l->c[l->n++] = (candidate){ .name = (char *)lit_trainer_metric_name(tr, LIT_METRICS_CALLBACK, i),
                                    .d = lit_trainer_metric_value(tr, LIT_METRICS_CALLBACK, i) };
    static const char *const INTS[2] = { "epoch", "step" };
    for (int k = 0; k < 2; k++) {
        candidate *e = (candidate *)find_candidate(l->c, l->n, INTS[k]);
        if (e) {
            e->is_int = 1;
            e->i = (int64_t)e->d; /* torch's .int() truncates */
        } else {
            l->c[l->n++] = (candidate){ .name = (char *)INTS[k], .is_int = 1,
                                        .i = k ? lit_trainer_global_step(tr) : lit_trainer_current_epoch(tr) };
        }
    }
    return LIT_OK;
}

static double cand_value(const candidate *c) { return c->is_int ? (double)c->i : c->d; }

/* "['a', 'b']" as Python prints a list of str. */
static void cands_list_str(const cand_list *l, char *out, size_t size) {
    size_t n = (size_t)snprintf(out, size, "[");
    for (int i = 0; i < l->n && n < size; i++) {
        char r[300];
        py_repr_str(r, sizeof r, l->c[i].name);
        n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "", r);
    }
    if (n < size) snprintf(out + n, size - n, "]");
}

/* ---------------------------------------------------------------- top-k dict */

static int topk_find(const mc_state *s, const char *path) {
    for (int i = 0; i < s->nk; i++)
        if (!strcmp(s->k[i].path, path)) return i;
    return -1;
}
static void topk_pop(mc_state *s, const char *path) {
    int i = topk_find(s, path);
    if (i < 0) return;
    free(s->k[i].path);
    memmove(&s->k[i], &s->k[i + 1], (size_t)(s->nk - i - 1) * sizeof *s->k);
    s->nk--;
}
/* dict[path] = score: in place when present, else appended. */
static lit_status topk_set(mc_state *s, const char *path, double score) {
    int i = topk_find(s, path);
    if (i >= 0) {
        s->k[i].score = score;
        return LIT_OK;
    }
    if (s->nk == s->capk) {
        int cap = s->capk ? 2 * s->capk : 8;
        topk_entry *k = realloc(s->k, (size_t)cap * sizeof *k);
        if (!k) return lit_set_error(LIT_ERR_NOMEM, "ModelCheckpoint: out of memory");
        s->k = k;
        s->capk = cap;
    }
    s->k[s->nk].path = strdup(path);
    if (!s->k[s->nk].path) return lit_set_error(LIT_ERR_NOMEM, "ModelCheckpoint: out of memory");
    s->k[s->nk++].score = score;
    return LIT_OK;
}
static void topk_clear(mc_state *s) {
    for (int i = 0; i < s->nk; i++) free(s->k[i].path);
    s->nk = 0;
}
/* Python's max()/min() with key: the first extreme in dict order. */
static int topk_extreme(const mc_state *s, int want_max) {
    int best = -1;
    for (int i = 0; i < s->nk; i++)
        if (best < 0 || (want_max ? s->k[i].score > s->k[best].score : s->k[i].score < s->k[best].score)) best = i;
    return best;
}

/* ---------------------------------------------------------------- saving */

static int should_skip(const mc_state *s, lit_trainer *tr) {
    return lit_trainer_get_params(tr)->fast_dev_run != 0 || lit_trainer_stage(tr) != LIT_STAGE_FIT ||
           lit_trainer_sanity_checking(tr) || s->last_global_step_saved == lit_trainer_global_step(tr);
}

static int should_save_on_train_epoch_end(const mc_state *s, lit_trainer *tr) {
    if (s->p.save_on_train_epoch_end) return s->p.save_on_train_epoch_end > 0;
    const lit_trainer_params *p = lit_trainer_get_params(tr);
    if (p->check_val_every_n_epoch != 1) return 0;
    if (lit_trainer_num_val_batches(tr) == 0) return 1;
    /* trainer.val_check_interval == 1.0: an int 1 compares equal too */
    return p->val_check_batches >= 0 ? p->val_check_batches == 1 : p->val_check_interval == 1.0;
}

static lit_status save_file(mc_state *s, lit_trainer *tr, const char *path) {
    LIT_TRY(make_parent_dirs(path));
    LIT_TRY(lit_trainer_save_checkpoint(tr, path, s->p.save_weights_only));
    s->last_global_step_saved = lit_trainer_global_step(tr);
    return LIT_OK;
}

/* _should_remove_checkpoint: not the new file, not the file this fit
 * resumed from, and a file of this callback (owns_path; Lightning only
 * checks that dirpath is one of its parents, ".." and symlinks unresolved). */
static int should_remove(const mc_state *s, const lit_trainer *tr, const char *previous, const char *current) {
    if (!strcmp(previous, current)) return 0;
    if (s->resume_path && !strcmp(previous, s->resume_path)) return 0;
    const char *resumed = lit_trainer_ckpt_path(tr); /* also an explicit ckpt_path */
    if (resumed && !strcmp(previous, resumed)) return 0;
    return owns_path(s, previous);
}

static void remove_file(const char *path) {
    if (unlink(path) != 0 && errno != ENOENT)
        lit_logf(LIT_LOG_WARN, "ModelCheckpoint: could not remove %s: %s", path, strerror(errno));
}

static lit_status update_best_and_save(mc_state *s, lit_trainer *tr, double current, const cand_list *l) {
    int k = s->p.save_top_k == -1 ? s->nk + 1 : s->p.save_top_k;
    char del[MC_PATH_MAX] = "";
    if (s->nk == k && k > 0) {
        snprintf(del, sizeof del, "%s", str_or_empty(s->kth_best_model_path));
        topk_pop(s, del);
    }
    if (isnan(current)) current = s->p.mode == LIT_MIN ? INFINITY : -INFINITY;
    char path[MC_PATH_MAX];
    LIT_TRY(versioned_name(s, s->filename, l->c, l->n, del[0] ? del : NULL, path, sizeof path));
    s->has_current = 1;
    s->current_score = current;
    LIT_TRY(topk_set(s, path, current));
    if (s->nk == k) {
        int i = topk_extreme(s, s->p.mode == LIT_MIN);
        LIT_TRY(set_str(&s->kth_best_model_path, s->k[i].path));
        s->kth_value = s->k[i].score;
    }
    int b = topk_extreme(s, s->p.mode == LIT_MAX);
    LIT_TRY(set_str(&s->best_model_path, s->k[b].path));
    s->has_best = 1;
    s->best_model_score = s->k[b].score;
    if (s->p.verbose) {
        const candidate *e = find_candidate(l->c, l->n, "epoch"), *st = find_candidate(l->c, l->n, "step");
        lit_logf(LIT_LOG_INFO, "Epoch %" PRId64 ", global step %" PRId64 ": '%s' reached %0.5f (best %0.5f), "
                 "saving model to '%s' as top %d", e->i, st->i, s->monitor, current, s->best_model_score, path, k);
    }
    LIT_TRY(save_file(s, tr, path));
    if (del[0] && should_remove(s, tr, del, path)) remove_file(del);
    return LIT_OK;
}

static lit_status save_topk(mc_state *s, lit_trainer *tr, const cand_list *l) {
    if (s->p.save_top_k == 0) return LIT_OK;
    if (s->monitor) {
        const candidate *cur = find_candidate(l->c, l->n, s->monitor);
        if (!cur) {
            char avail[2048];
            cands_list_str(l, avail, sizeof avail);
            char r[300];
            py_repr_str(r, sizeof r, s->monitor);
            if (s->val_has_run)
                return lit_set_error(LIT_ERR_CONFIG,
                                     "ModelCheckpoint(monitor=%s) could not find the monitored key in the returned "
                                     "metrics: %s. HINT: Did you call lit_module_log(m, %s, value) in the module?",
                                     r, avail, r);
            if (!s->warned_missing)
                lit_logf(LIT_LOG_WARN,
                         "ModelCheckpoint(monitor=%s) could not find the monitored key in the returned metrics: %s. "
                         "HINT: Did you call lit_module_log(m, %s, value) in the module?", r, avail, r);
            s->warned_missing = 1;
        }
        /* check_monitor_top_k */
        int save = 0;
        if (cur) {
            double v = cand_value(cur);
            if (s->p.save_top_k == -1 || s->nk < s->p.save_top_k) {
                save = 1;
            } else {
                int i = s->kth_best_model_path ? topk_find(s, s->kth_best_model_path) : -1;
                double kth = i >= 0 ? s->k[i].score : s->kth_value;
                save = s->p.mode == LIT_MIN ? v < kth : v > kth;
            }
            if (save) return update_best_and_save(s, tr, v, l);
        }
        if (s->p.verbose) {
            const candidate *e = find_candidate(l->c, l->n, "epoch"), *st = find_candidate(l->c, l->n, "step");
            lit_logf(LIT_LOG_INFO, "Epoch %" PRId64 ", global step %" PRId64 ": '%s' was not in top %d", e->i, st->i,
                     s->monitor, s->p.save_top_k);
        }
        return LIT_OK;
    }
    /* _save_none_monitor_checkpoint */
    char path[MC_PATH_MAX], previous[MC_PATH_MAX];
    LIT_TRY(versioned_name(s, s->filename, l->c, l->n, s->best_model_path, path, sizeof path));
    snprintf(previous, sizeof previous, "%s", str_or_empty(s->best_model_path));
    LIT_TRY(set_str(&s->best_model_path, path));
    LIT_TRY(save_file(s, tr, path));
    if (s->p.save_top_k == 1 && previous[0] && should_remove(s, tr, previous, path)) remove_file(previous);
    return LIT_OK;
}

static lit_status save_last(mc_state *s, lit_trainer *tr, const cand_list *l) {
    if (!s->p.save_last) return LIT_OK;
    char path[MC_PATH_MAX], previous[MC_PATH_MAX];
    LIT_TRY(versioned_name(s, "last", l->c, l->n, s->last_model_path, path, sizeof path));
    snprintf(previous, sizeof previous, "%s", str_or_empty(s->last_model_path));
    /* set before saving: it is part of the state written */
    LIT_TRY(set_str(&s->last_model_path, path));
    LIT_TRY(save_file(s, tr, path));
    if (previous[0] && should_remove(s, tr, previous, path)) remove_file(previous);
    return LIT_OK;
}

static lit_status save_point(mc_state *s, lit_trainer *tr, int topk) {
    cand_list l = { 0 };
    lit_status st = cands_build(tr, &l);
    if (st >= 0 && topk) st = save_topk(s, tr, &l);
    if (st >= 0) st = save_last(s, tr, &l);
    cands_free(&l);
    return st;
}

/* ---------------------------------------------------------------- hooks */

/*
 * The logger's version folder: the next free "version_N" under
 * <root>/lightning_logs (Lightning's _get_next_version: the largest N of
 * the folders named "version_<digits>", plus one; 0 when none). Kept
 * apart so that the loggers can take it over.
 */
static int64_t next_log_version(const char *logs_dir) {
    DIR *d = opendir(logs_dir);
    if (!d) return 0;
    int64_t best = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "version_", 8) != 0) continue;
        const char *num = e->d_name + 8;
        if (!*num || strspn(num, "0123456789") != strlen(num)) continue;
        char full[MC_PATH_MAX];
        struct stat st;
        if (snprintf(full, sizeof full, "%s/%s", logs_dir, e->d_name) >= (int)sizeof full) continue;
        if (stat(full, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        int64_t v = strtoll(num, NULL, 10);
        if (v > best) best = v;
    }
    closedir(d);
    return best + 1;
}

static lit_status resolve_dirpath(mc_state *s, lit_trainer *tr) {
    if (s->dirpath) {
        /* Symlinks made since construction: resolved before anything is saved or removed. */
        char *given = s->dirpath;
        s->dirpath = NULL;
        lit_status st = absolute_path(given, &s->dirpath);
        if (st < 0) s->dirpath = given;
        else free(given);
        return st;
    }
    /* Lightning's __resolve_ckpt_dir: <logger.log_dir>/checkpoints when there
     * is a logger, so checkpoints sit next to that run's logs. */
    const char *log_dir = lit_trainer_log_dir(tr);
    if (log_dir) {
        char *abs_dir = NULL;
        LIT_TRY(absolute_path(log_dir, &abs_dir));
        char dir[MC_PATH_MAX];
        int len = snprintf(dir, sizeof dir, "%s/checkpoints", abs_dir);
        free(abs_dir);
        if (len >= (int)sizeof dir) return lit_set_error(LIT_ERR_INVALID_ARG, "ModelCheckpoint: log_dir too long");
        return set_str(&s->dirpath, dir);
    }
    const char *root = lit_trainer_get_params(tr)->default_root_dir;
    char *abs_root = NULL;
    LIT_TRY(absolute_path(root && root[0] ? root : ".", &abs_root));
    char logs[MC_PATH_MAX], dir[MC_PATH_MAX];
    snprintf(logs, sizeof logs, "%s/lightning_logs", abs_root);
    free(abs_root);
    if (snprintf(dir, sizeof dir, "%s/version_%" PRId64 "/checkpoints", logs, next_log_version(logs)) >=
        (int)sizeof dir)
        return lit_set_error(LIT_ERR_INVALID_ARG, "ModelCheckpoint: default_root_dir too long");
    return set_str(&s->dirpath, dir);
}

static lit_status mc_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)m;
    mc_state *s = cb->user;
    LIT_TRY(resolve_dirpath(s, tr));
    if (stage != LIT_STAGE_FIT) return LIT_OK;
    s->val_has_run = 0;
    s->warned_missing = 0;
    LIT_TRY(set_str(&s->resume_path, NULL));
    /* Saves killed mid-write leave "<name>.ckpt.tmp.<pid>" files: clear them before anything is saved. */
    if (lit_checkpoint_remove_stale_temps(s->dirpath, NULL) < 0)
        lit_logf(LIT_LOG_WARN, "ModelCheckpoint: %s", lit_last_error());
    /* __warn_if_dir_not_empty */
    if (s->p.save_top_k != 0) {
        DIR *d = opendir(s->dirpath);
        if (d) {
            struct dirent *e;
            int any = 0;
            while (!any && (e = readdir(d))) any = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
            closedir(d);
            if (any) lit_logf(LIT_LOG_WARN, "Checkpoint directory %s exists and is not empty.", s->dirpath);
        }
    }
    return LIT_OK;
}

static lit_status mc_on_train_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    mc_state *s = cb->user;
    s->has_time = 1;
    s->last_time_checked = lit_trainer_now(tr);
    return LIT_OK;
}

static lit_status mc_on_train_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss,
                                        lit_batch *b, int64_t batch_idx) {
    (void)m, (void)loss, (void)b, (void)batch_idx;
    mc_state *s = cb->user;
    if (should_skip(s, tr)) return LIT_OK;
    int skip_batch = s->every_n_train_steps < 1 || lit_trainer_global_step(tr) % s->every_n_train_steps != 0;
    int skip_time = 1;
    double now = lit_trainer_now(tr); /* the Trainer's clock, so tests can fake it */
    if (s->train_time_interval > 0)
        skip_time = !s->has_time || (now - s->last_time_checked) < s->train_time_interval;
    if (skip_batch && skip_time) return LIT_OK;
    if (!skip_time) s->last_time_checked = now;
    return save_point(s, tr, 1);
}

static int epoch_due(const mc_state *s, lit_trainer *tr) {
    return s->every_n_epochs >= 1 && (lit_trainer_current_epoch(tr) + 1) % s->every_n_epochs == 0;
}

static lit_status mc_on_train_epoch_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    mc_state *s = cb->user;
    if (should_skip(s, tr) || !should_save_on_train_epoch_end(s, tr)) return LIT_OK;
    return save_point(s, tr, epoch_due(s, tr));
}

static lit_status mc_on_validation_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)tr, (void)m;
    ((mc_state *)cb->user)->val_has_run = 0;
    return LIT_OK;
}

static lit_status mc_on_validation_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *out,
                                             lit_batch *b, int64_t batch_idx, int dl_idx) {
    (void)m, (void)out, (void)b, (void)batch_idx, (void)dl_idx;
    /* _has_run: set by a batch outside the sanity check, cleared when a validation starts */
    if (!lit_trainer_sanity_checking(tr)) ((mc_state *)cb->user)->val_has_run = 1;
    return LIT_OK;
}

static lit_status mc_on_validation_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    mc_state *s = cb->user;
    if (should_skip(s, tr) || should_save_on_train_epoch_end(s, tr)) return LIT_OK;
    return save_point(s, tr, epoch_due(s, tr));
}

/* ---------------------------------------------------------------- state */

static char *score_json(double v) {
    json_t *j = isnan(v) ? json_string("nan") : isinf(v) ? json_string(v > 0 ? "inf" : "-inf") : json_real(v);
    char *t = j ? json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    return t;
}

static lit_status set_opt_double(lit_checkpoint *ck, const char *key, int has, double v) {
    return has ? lit_checkpoint_set_double(ck, key, v) : lit_checkpoint_set_json(ck, key, "null");
}
static lit_status set_opt_string(lit_checkpoint *ck, const char *key, const char *v) {
    return v ? lit_checkpoint_set_string(ck, key, v) : lit_checkpoint_set_json(ck, key, "null");
}

static lit_status mc_state_save(lit_callback *cb, lit_checkpoint *ck) {
    mc_state *s = cb->user;
    LIT_TRY(set_opt_string(ck, "monitor", s->monitor));
    LIT_TRY(set_opt_double(ck, "best_model_score", s->has_best, s->best_model_score));
    LIT_TRY(lit_checkpoint_set_string(ck, "best_model_path", str_or_empty(s->best_model_path)));
    LIT_TRY(set_opt_double(ck, "current_score", s->has_current, s->current_score));
    LIT_TRY(set_opt_string(ck, "dirpath", s->dirpath));
    /* best_k_models: paths hold '.', so the object is written as JSON text */
    json_t *obj = json_object();
    lit_status st = obj ? LIT_OK : lit_set_error(LIT_ERR_NOMEM, "ModelCheckpoint: out of memory");
    for (int i = 0; i < s->nk && st >= 0; i++) {
        char *t = score_json(s->k[i].score);
        json_t *v = t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
        free(t);
        if (!v || json_object_set_new(obj, s->k[i].path, v) != 0)
            st = lit_set_error(LIT_ERR_NOMEM, "ModelCheckpoint: out of memory");
    }
    char *text = st >= 0 ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(obj);
    if (st >= 0 && !text) st = lit_set_error(LIT_ERR_NOMEM, "ModelCheckpoint: out of memory");
    if (st >= 0) st = lit_checkpoint_set_json(ck, "best_k_models", text);
    free(text);
    LIT_TRY(st);
    LIT_TRY(lit_checkpoint_set_string(ck, "kth_best_model_path", str_or_empty(s->kth_best_model_path)));
    LIT_TRY(lit_checkpoint_set_double(ck, "kth_value", s->kth_value));
    return lit_checkpoint_set_string(ck, "last_model_path", str_or_empty(s->last_model_path));
}

static int json_is_null_text(const lit_checkpoint *ck, const char *key) {
    char *t = NULL;
    if (lit_checkpoint_get_json(ck, key, &t) < 0) return 0;
    int null = !strcmp(t, "null");
    free(t);
    return null;
}

static lit_status get_opt_double(const lit_checkpoint *ck, const char *key, int *has, double *v) {
    if (json_is_null_text(ck, key)) {
        *has = 0;
        return LIT_OK;
    }
    LIT_TRY(lit_checkpoint_get_double(ck, key, v));
    *has = 1;
    return LIT_OK;
}

/* A str field that may be absent (state.get(key, default)). */
static lit_status get_opt_string(const lit_checkpoint *ck, const char *key, char **dst) {
    if (!lit_checkpoint_has(ck, key)) return LIT_OK;
    if (json_is_null_text(ck, key)) return set_str(dst, NULL);
    const char *v;
    LIT_TRY(lit_checkpoint_get_string(ck, key, &v));
    return set_str(dst, v[0] ? v : NULL);
}

static lit_status parse_score(json_t *v, const char *what, double *out) {
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return LIT_OK;
    }
    const char *t = json_is_string(v) ? json_string_value(v) : NULL;
    if (t && !strcmp(t, "nan")) *out = NAN;
    else if (t && !strcmp(t, "inf")) *out = INFINITY;
    else if (t && !strcmp(t, "-inf")) *out = -INFINITY;
    else return lit_set_error(LIT_ERR_CORRUPT, "ModelCheckpoint state: best_k_models[%s] is not a number", what);
    return LIT_OK;
}

static lit_status load_best_k(mc_state *s, const lit_checkpoint *ck) {
    if (!lit_checkpoint_has(ck, "best_k_models")) return LIT_OK;
    char *text = NULL;
    LIT_TRY(lit_checkpoint_get_json(ck, "best_k_models", &text));
    json_t *obj = json_loads(text, 0, NULL);
    free(text);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return lit_set_error(LIT_ERR_CORRUPT, "ModelCheckpoint state: best_k_models is not an object");
    }
    topk_clear(s);
    lit_status st = LIT_OK;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        double score = 0;
        st = parse_score(v, key, &score);
        if (st >= 0 && owned_or_warn(s, "best_k_models key", key)) st = topk_set(s, key, score);
        if (st < 0) break;
    }
    json_decref(obj);
    return st;
}

static lit_status mc_state_load(lit_callback *cb, const lit_checkpoint *ck) {
    mc_state *s = cb->user;
    char *from = NULL;
    int has_dir = lit_checkpoint_has(ck, "dirpath");
    lit_status st = LIT_OK;
    if (has_dir) st = get_opt_string(ck, "dirpath", &from);
    else st = set_str(&from, s->dirpath);
    if (st < 0) {
        free(from);
        return st;
    }
    if (str_eq(from, s->dirpath) && (from == NULL) == (s->dirpath == NULL)) {
        st = get_opt_double(ck, "best_model_score", &s->has_best, &s->best_model_score);
        if (st >= 0) st = get_opt_string(ck, "kth_best_model_path", &s->kth_best_model_path);
        if (st >= 0 && lit_checkpoint_has(ck, "kth_value")) st = lit_checkpoint_get_double(ck, "kth_value", &s->kth_value);
        if (st >= 0) st = load_best_k(s, ck);
        if (st >= 0) st = get_opt_string(ck, "last_model_path", &s->last_model_path);
    } else {
        lit_logf(LIT_LOG_WARN,
                 "The dirpath has changed from '%s' to '%s', therefore `best_model_score`, `kth_best_model_path`, "
                 "`kth_value`, `last_model_path` and `best_k_models` won't be reloaded. Only `best_model_path` will "
                 "be reloaded.", str_or_empty(from), str_or_empty(s->dirpath));
    }
    free(from);
    LIT_TRY(st);
    const char *best;
    LIT_TRY(lit_checkpoint_get_string(ck, "best_model_path", &best));
    LIT_TRY(set_str(&s->best_model_path, best[0] ? best : NULL));
    drop_unless_owned(s, "best_model_path", &s->best_model_path);
    drop_unless_owned(s, "kth_best_model_path", &s->kth_best_model_path);
    drop_unless_owned(s, "last_model_path", &s->last_model_path);
    return LIT_OK;
}

/* ---------------------------------------------------------------- checkpoint_path */

/* _find_last_checkpoints: the newest "last*.ckpt" in dirpath. */
static const char *find_last(mc_state *s) {
    DIR *d = s->dirpath ? opendir(s->dirpath) : NULL;
    if (!d) return NULL;
    struct dirent *e;
    struct timespec best = { 0, 0 };
    char best_name[MC_PATH_MAX] = "";
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (strncmp(e->d_name, "last", 4) != 0 || n < 9 || strcmp(e->d_name + n - 5, ".ckpt") != 0) continue;
        char full[MC_PATH_MAX];
        struct stat st;
        if (snprintf(full, sizeof full, "%s/%s", s->dirpath, e->d_name) >= (int)sizeof full) continue;
        if (!owns_path(s, full) || stat(full, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        int newer = st.st_mtim.tv_sec > best.tv_sec ||
                    (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec > best.tv_nsec) ||
                    (st.st_mtim.tv_sec == best.tv_sec && st.st_mtim.tv_nsec == best.tv_nsec &&
                     strcmp(full, best_name) > 0);
        if (!best_name[0] || newer) {
            best = st.st_mtim;
            snprintf(best_name, sizeof best_name, "%s", full);
        }
    }
    closedir(d);
    if (!best_name[0]) return NULL;
    snprintf(s->ret, sizeof s->ret, "%s", best_name);
    return s->ret;
}

static const char *mc_checkpoint_path(lit_callback *cb, lit_trainer *tr, const char *which) {
    (void)tr;
    mc_state *s = cb->user;
    const char *r = NULL;
    if (!strcmp(which, "last")) {
        if (s->last_model_path && owned_or_warn(s, "last_model_path", s->last_model_path) &&
            file_exists(s->last_model_path)) {
            snprintf(s->ret, sizeof s->ret, "%s", s->last_model_path);
            r = s->ret;
        } else {
            r = find_last(s);
        }
    } else if (!strcmp(which, "best")) {
        if (s->best_model_path && s->best_model_path[0] && owned_or_warn(s, "best_model_path", s->best_model_path)) {
            snprintf(s->ret, sizeof s->ret, "%s", s->best_model_path);
            r = s->ret;
        }
    } else if (!strcmp(which, "interrupted")) {
        if (!s->dirpath) return NULL;
        if (s->p.save_last) {
            /* the name save_last would write now (no metrics: the template has none) */
            if (versioned_name(s, "last", NULL, 0, s->last_model_path, s->ret, sizeof s->ret) < 0) return NULL;
        } else {
            snprintf(s->ret, sizeof s->ret, "%s/interrupted.ckpt", s->dirpath);
        }
        return s->ret;
    }
    /* the file fit resumes from is never removed by this callback */
    if (r && (!strcmp(which, "last") || !strcmp(which, "best"))) (void)set_str(&s->resume_path, r);
    return r;
}

/* ---------------------------------------------------------------- construction */

static void mc_free(lit_callback *cb) {
    mc_state *s = cb->user;
    if (!s) return;
    topk_clear(s);
    free(s->k);
    free(s->filename);
    free(s->monitor);
    free(s->dirpath);
    free(s->state_key);
    free(s->kth_best_model_path);
    free(s->best_model_path);
    free(s->last_model_path);
    free(s->resume_path);
    free(s);
    cb->user = NULL;
}

lit_model_checkpoint_params lit_model_checkpoint_default_params(void) {
    return (lit_model_checkpoint_params){
        .dirpath = NULL,
        .filename = NULL,
        .monitor = NULL,
        .verbose = 0,
        .save_last = 0,
        .save_top_k = 1,
        .save_weights_only = 0,
        .mode = LIT_MIN,
        .auto_insert_metric_name = 1,
        .every_n_train_steps = -1,
        .train_time_interval = 0,
        .every_n_epochs = -1,
        .save_on_train_epoch_end = 0,
        .enable_version_counter = 1,
    };
}

static lit_status validate(const lit_model_checkpoint_params *p) {
    if (p->mode != LIT_MIN && p->mode != LIT_MAX)
        return lit_set_error(LIT_ERR_CONFIG, "ModelCheckpoint: `mode` can be LIT_MIN, LIT_MAX but got %d", (int)p->mode);
    if (p->save_top_k < -1)
        return lit_set_error(LIT_ERR_CONFIG, "ModelCheckpoint: Invalid value for save_top_k=%d. Must be >= -1",
                             p->save_top_k);
    if (p->every_n_train_steps < -1)
        return lit_set_error(LIT_ERR_CONFIG,
                             "ModelCheckpoint: Invalid value for every_n_train_steps=%" PRId64
                             ". Must be >= 0 (-1 = None)", p->every_n_train_steps);
    if (p->every_n_epochs < -1)
        return lit_set_error(LIT_ERR_CONFIG,
                             "ModelCheckpoint: Invalid value for every_n_epochs=%" PRId64 ". Must be >= 0 (-1 = None)",
                             p->every_n_epochs);
    if (!(p->train_time_interval >= 0) || isinf(p->train_time_interval))
        return lit_set_error(LIT_ERR_CONFIG,
                             "ModelCheckpoint: Invalid value for train_time_interval=%g seconds. Must be >= 0 "
                             "(0 = None) and finite", p->train_time_interval);
    int triggers = (p->every_n_train_steps >= 1) + (p->every_n_epochs >= 1) + (p->train_time_interval > 0);
    if (triggers > 1)
        return lit_set_error(LIT_ERR_CONFIG,
                             "ModelCheckpoint: Combination of parameters every_n_train_steps=%" PRId64
                             ", every_n_epochs=%" PRId64 " and train_time_interval=%g should be mutually exclusive.",
                             p->every_n_train_steps, p->every_n_epochs, p->train_time_interval);
    if (p->monitor && !p->monitor[0])
        return lit_set_error(LIT_ERR_CONFIG, "ModelCheckpoint: monitor is empty; pass a metric name or NULL");
    if (p->filename && !p->filename[0])
        return lit_set_error(LIT_ERR_CONFIG, "ModelCheckpoint: filename is empty; pass a template or NULL");
    if (p->dirpath && !p->dirpath[0])
        return lit_set_error(LIT_ERR_CONFIG, "ModelCheckpoint: dirpath is empty; pass a folder or NULL");
    if (!p->monitor && p->save_top_k != -1 && p->save_top_k != 0 && p->save_top_k != 1)
        return lit_set_error(LIT_ERR_CONFIG,
                             "ModelCheckpoint(save_top_k=%d, monitor=None) is not a valid configuration. "
                             "No quantity for top_k to track.", p->save_top_k);
    return LIT_OK;
}

static lit_status make_state_key(mc_state *s) {
    char tti[128];
    char *mon = s->monitor ? lit__py_repr_str(s->monitor) : lit__strdup("None");
    if (s->train_time_interval > 0) py_repr_timedelta(tti, sizeof tti, s->train_time_interval);
    else snprintf(tti, sizeof tti, "None");
    lit__buf key = {0};
    lit__buf_printf(&key,
                    "ModelCheckpoint{'monitor': %s, 'mode': '%s', 'every_n_train_steps': %" PRId64
                    ", 'every_n_epochs': %" PRId64 ", 'train_time_interval': %s}",
                    mon ? mon : "", s->p.mode == LIT_MIN ? "min" : "max", s->every_n_train_steps,
                    s->every_n_epochs, tti);
    lit_status st = mon && !key.failed ? set_str(&s->state_key, (const char *)key.data)
                                       : lit_set_error(LIT_ERR_NOMEM, "ModelCheckpoint: out of memory");
    free(mon);
    lit__buf_free(&key);
    return st;
}

lit_status lit_model_checkpoint_callback(lit_callback *cb, const lit_model_checkpoint_params *p) {
    LIT_ASSERT(cb, "lit_model_checkpoint_callback: cb must not be NULL");
    lit_model_checkpoint_params v = p ? *p : lit_model_checkpoint_default_params();
    LIT_TRY(validate(&v));
    mc_state *s = calloc(1, sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_model_checkpoint_callback: out of memory");
    s->p = v;
    lit_status st = set_str(&s->filename, v.filename);
    if (st >= 0) st = set_str(&s->monitor, v.monitor);
    if (st >= 0 && v.dirpath) st = absolute_path(v.dirpath, &s->dirpath);
    s->p.filename = s->p.monitor = s->p.dirpath = NULL; /* the copies above are used */
    /* __init_triggers */
    if (v.every_n_train_steps < 0 && v.every_n_epochs < 0 && v.train_time_interval == 0) {
        s->every_n_epochs = 1;
        s->every_n_train_steps = 0;
    } else {
        s->every_n_epochs = v.every_n_epochs < 0 ? 0 : v.every_n_epochs;
        s->every_n_train_steps = v.every_n_train_steps < 0 ? 0 : v.every_n_train_steps;
    }
    s->train_time_interval = v.train_time_interval;
    s->kth_value = v.mode == LIT_MIN ? INFINITY : -INFINITY;
    if (st >= 0) st = make_state_key(s);
    if (st < 0) {
        lit_callback tmp = { .user = s };
        mc_free(&tmp);
        return st;
    }
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_MODEL_CHECKPOINT_NAME,
        .monitoring = 1,
        .user = s,
        .setup = mc_setup,
        .on_train_start = mc_on_train_start,
        .on_train_batch_end = mc_on_train_batch_end,
        .on_train_epoch_end = mc_on_train_epoch_end,
        .on_validation_start = mc_on_validation_start,
        .on_validation_batch_end = mc_on_validation_batch_end,
        .on_validation_end = mc_on_validation_end,
        .state_save = mc_state_save,
        .state_load = mc_state_load,
        .free = mc_free,
        .state_key = s->state_key,
        .checkpoint_path = mc_checkpoint_path,
    };
    return LIT_OK;
}

/* ---------------------------------------------------------------- accessors */

static mc_state *state_of(const lit_callback *cb) {
    LIT_ASSERT(cb && cb->state_save == mc_state_save && cb->user,
               "lit_model_checkpoint_*: the callback is not a ModelCheckpoint (lit_model_checkpoint_callback) "
               "or was freed");
    return cb->user;
}

const char *lit_model_checkpoint_best_path(const lit_callback *cb) { return str_or_empty(state_of(cb)->best_model_path); }

int lit_model_checkpoint_best_score(const lit_callback *cb, double *score) {
    mc_state *s = state_of(cb);
    if (s->has_best && score) *score = s->best_model_score;
    return s->has_best;
}

const char *lit_model_checkpoint_last_path(const lit_callback *cb) { return str_or_empty(state_of(cb)->last_model_path); }
const char *lit_model_checkpoint_dirpath(const lit_callback *cb) { return state_of(cb)->dirpath; }
int lit_model_checkpoint_num_best_k(const lit_callback *cb) { return state_of(cb)->nk; }

const char *lit_model_checkpoint_best_k(const lit_callback *cb, int i, double *score) {
    mc_state *s = state_of(cb);
    LIT_ASSERT(i >= 0 && i < s->nk, "lit_model_checkpoint_best_k: index %d of %d entries", i, s->nk);
    if (score) *score = s->k[i].score;
    return s->k[i].path;
}

const char *lit_model_checkpoint_kth_best(const lit_callback *cb, double *value) {
    mc_state *s = state_of(cb);
    if (value) *value = s->kth_value;
    return str_or_empty(s->kth_best_model_path);
}

int lit_model_checkpoint_current_score(const lit_callback *cb, double *score) {
    mc_state *s = state_of(cb);
    if (s->has_current && score) *score = s->current_score;
    return s->has_current;
}

lit_status lit_model_checkpoint_format_name(const lit_callback *cb, int n, const char *const *names,
                                            const double *values, int ver, char *out, size_t size) {
    mc_state *s = state_of(cb);
    LIT_ASSERT(n >= 0 && (n == 0 || (names && values)) && out, "lit_model_checkpoint_format_name: bad arguments");
    candidate *c = calloc((size_t)n + 1, sizeof *c);
    if (!c) return lit_set_error(LIT_ERR_NOMEM, "ModelCheckpoint: out of memory");
    for (int i = 0; i < n; i++) {
        int is_int = !strcmp(names[i], "epoch") || !strcmp(names[i], "step");
        c[i] = (candidate){ .name = (char *)names[i], .is_int = is_int, .i = (int64_t)values[i], .d = values[i] };
    }
    lit_status st = format_name(s, s->filename, c, n, ver, out, size);
    free(c);
    return st;
}
