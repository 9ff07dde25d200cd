/*
 * tests/test-run-logs.c — issue 6's proof on the demo model: one fit of
 * examples/mlp-digits through the Trainer with its default loggers
 * (Trainer param logger = 1) writes metrics.csv, an events.out.tfevents.*
 * file, metrics.jsonl, hparams.yaml and report.html into one
 * <default_root_dir>/lightning_logs/version_0/, and their numbers agree:
 *
 *   - a recording callback captures what the module logged, from the
 *     Trainer's logged metrics (LIT_METRICS_LOGGED): train/loss_step and
 *     train/acc_step after every training batch (train/loss_step also
 *     against the loss tensor the step returned), val/loss and val/acc after
 *     each validation, train/loss_epoch and train/acc_epoch after each epoch
 *     (also against the batch-size weighted mean of the epoch's step
 *     values); from these and the Trainer's rules it predicts every
 *     log_metrics call: step values when (batches_that_stepped + 1) %
 *     log_every_n_steps == 0 at step = batches_that_stepped, then at the
 *     epoch's last batch the validation values and the train epoch means,
 *     both at that batch's step, each call with "epoch";
 *   - metrics.csv (Lightning's CSVLogger layout: sorted columns with
 *     "epoch" and "step", one row per call, empty cells where a call has no
 *     value, "\r\n" line ends), metrics.jsonl (parsed with jansson) and the
 *     events file (tests/tfevents-reader.h, TensorBoard's float32 scalars
 *     compared as (float)) each hold exactly those calls, CSV against JSONL
 *     and TensorBoard against JSONL too, cell by cell;
 *   - hparams.yaml, the JSONL hparams line and TensorBoard's hparams
 *     session_start_info hold the module's hyperparameters;
 *   - report.html shows status success, the last epoch and step, and for
 *     every metric the last value (val/acc: the last logged val/acc), its
 *     step, the best (min for losses, max for accuracies) and its step, and
 *     the point count, in the report's "%.6g" text and exact data-value;
 *   - the default ModelCheckpoint writes into <log_dir>/checkpoints of the
 *     same version_0.
 * The example's sources are compiled in (not its main.c).
 */
#include <dirent.h>
#include <jansson.h>

#include "harness.h"
#include "tfevents-reader.h"
#include "tmp-dir.h"

#include "../examples/mlp-digits/digits.c"
#include "../examples/mlp-digits/datamodule.c"
#include "../examples/mlp-digits/module.c"

#define EPOCHS 3
#define LOG_EVERY 5
#define MAX_CALLS 128
#define MAX_KEYS 4

/* One log_metrics call: its step, its "epoch" and the other values. */
typedef struct {
    int64_t step;
    int64_t epoch; /* -1 = no "epoch" */
    int n;
    char key[MAX_KEYS][32];
    double v[MAX_KEYS];
} run_call;

typedef struct {
    run_call c[MAX_CALLS];
    int n;
} call_list;

static run_call *add_call(call_list *l, int64_t step, int64_t epoch) {
    CHECK_MSG(l->n < MAX_CALLS, "more than %d calls", MAX_CALLS);
    if (l->n >= MAX_CALLS) return NULL;
    run_call *c = &l->c[l->n++];
    memset(c, 0, sizeof *c);
    c->step = step;
    c->epoch = epoch;
    return c;
}

static int call_find(const run_call *c, const char *key) {
    for (int i = 0; i < c->n; i++)
        if (!strcmp(c->key[i], key)) return i;
    return -1;
}

static void call_put(run_call *c, const char *key, double v) {
    if (!c) return;
    CHECK_MSG(call_find(c, key) < 0, "call at step %lld: %s twice", (long long)c->step, key);
    CHECK_MSG(c->n < MAX_KEYS && strlen(key) < sizeof c->key[0], "call at step %lld: too many keys",
              (long long)c->step);
    if (c->n >= MAX_KEYS || strlen(key) >= sizeof c->key[0]) return;
    snprintf(c->key[c->n], sizeof c->key[0], "%s", key);
    c->v[c->n++] = v;
}

/* ---------------------------------------------------------------- the recording callback */

typedef struct {
    call_list exp;          /* the calls the loggers must have seen */
    int64_t k;              /* training batches so far (all stepped: no accumulation) */
    int64_t epoch;          /* the running epoch */
    int epoch_pending;      /* an epoch's means are still to be read */
    double loss_sum, acc_sum, weight; /* this epoch's step values, batch-size weighted */
    int n_val;              /* validations seen (sanity check excluded) */
} recorder;

static double logged(lit_trainer *tr, const char *key, const char *when) {
    double v = NAN;
    CHECK_MSG(lit_trainer_get_metric(tr, LIT_METRICS_LOGGED, key, &v), "%s: %s is not in logged metrics", when, key);
    return v;
}

/* The train epoch means of the epoch that just ended (published after the
 * on_train_epoch_end hooks: read at the next epoch start or on_train_end). */
static void take_epoch_means(recorder *r, lit_trainer *tr) {
    if (!r->epoch_pending) return;
    r->epoch_pending = 0;
    double loss = logged(tr, "train/loss_epoch", "epoch end"), acc = logged(tr, "train/acc_epoch", "epoch end");
    /* Lightning's epoch reduction: the batch-size weighted mean. */
    CHECK_MSG(fabs(loss - r->loss_sum / r->weight) <= 1e-12 * fabs(loss), "epoch %lld: train/loss_epoch %.17g, mean "
              "of the steps %.17g", (long long)r->epoch, loss, r->loss_sum / r->weight);
    CHECK_MSG(fabs(acc - r->acc_sum / r->weight) <= 1e-12, "epoch %lld: train/acc_epoch %.17g, mean of the steps "
              "%.17g", (long long)r->epoch, acc, r->acc_sum / r->weight);
    run_call *c = add_call(&r->exp, r->k - 1, r->epoch);
    call_put(c, "train/loss_epoch", loss);
    call_put(c, "train/acc_epoch", acc);
}

static lit_status rec_epoch_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    recorder *r = cb->user;
    take_epoch_means(r, tr);
    r->epoch = lit_trainer_current_epoch(tr);
    r->epoch_pending = 1;
    r->loss_sum = r->acc_sum = r->weight = 0;
    return LIT_OK;
}

static lit_status rec_train_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    take_epoch_means(cb->user, tr);
    return LIT_OK;
}

static lit_status rec_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss, lit_batch *b,
                                int64_t batch_idx) {
    (void)m;
    (void)batch_idx;
    recorder *r = cb->user;
    CHECK_EQ_INT(lit_trainer_global_step(tr), r->k + 1);
    double ls = logged(tr, "train/loss_step", "batch end"), as = logged(tr, "train/acc_step", "batch end");
    CHECK_MSG(loss && ls == lit_item(loss), "batch %lld: train/loss_step %.17g, the step's loss %.17g",
              (long long)r->k, ls, loss ? lit_item(loss) : NAN);
    r->loss_sum += ls * (double)b->size;
    r->acc_sum += as * (double)b->size;
    r->weight += (double)b->size;
    /* The Trainer's rule (logger connector): due every log_every_n_steps
     * batches that stepped, or when the fit is stopping. */
    if ((r->k + 1) % LOG_EVERY == 0 || lit_trainer_should_stop(tr)) {
        run_call *c = add_call(&r->exp, r->k, r->epoch);
        call_put(c, "train/loss_step", ls);
        call_put(c, "train/acc_step", as);
    }
    r->k++;
    return LIT_OK;
}

static lit_status rec_val_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    recorder *r = cb->user;
    if (lit_trainer_sanity_checking(tr)) return LIT_OK;
    r->n_val++;
    /* At the step the fit reached: the last batch's (not counted yet). */
    run_call *c = add_call(&r->exp, r->k - 1, r->epoch);
    call_put(c, "val/loss", logged(tr, "val/loss", "validation end"));
    call_put(c, "val/acc", logged(tr, "val/acc", "validation end"));
    return LIT_OK;
}

/* ---------------------------------------------------------------- files */

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = 0;
    return s;
}

/* Next line of *p ending in `eol` (cut there), NULL at the end. */
static char *next_line(char **p, const char *eol) {
    if (!**p) return NULL;
    char *s = *p, *e = strstr(s, eol);
    CHECK_MSG(e != NULL, "a line without its \"%s\" ending: %.60s", eol[0] == '\r' ? "\\r\\n" : "\\n", s);
    if (!e) {
        *p = s + strlen(s);
        return s;
    }
    *e = 0;
    *p = e + strlen(eol);
    return s;
}

/* Split `line` at ',' in place (no field of this run needs quoting). */
static int split_commas(char *line, char **f, int max) {
    int n = 0;
    for (char *s = line;;) {
        if (n < max) f[n++] = s;
        char *c = strchr(s, ',');
        if (!c) break;
        *c = 0;
        s = c + 1;
    }
    return n;
}

static int parse_int(const char *s, int64_t *out) {
    char *e;
    long long v = strtoll(s, &e, 10);
    *out = v;
    return *s && !*e;
}

static int parse_double(const char *s, double *out) {
    char *e;
    *out = strtod(s, &e);
    return *s && !*e;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* metrics.csv: one call per row (the cells that are not empty). */
static void read_csv(const char *path, const call_list *exp, call_list *out) {
    out->n = 0;
    char *text = slurp(path);
    CHECK_MSG(text != NULL, "cannot read %s", path);
    if (!text) return;
    /* The columns: every key the run logged, "epoch" and "step", sorted. */
    char *want[16];
    int nw = 0;
    want[nw++] = "epoch";
    want[nw++] = "step";
    for (int i = 0; i < exp->n; i++)
        for (int k = 0; k < exp->c[i].n; k++) {
            int seen = 0;
            for (int j = 0; j < nw; j++) seen |= !strcmp(want[j], exp->c[i].key[k]);
            if (!seen && nw < 16) want[nw++] = (char *)exp->c[i].key[k];
        }
    qsort(want, (size_t)nw, sizeof *want, cmp_str);
    char *p = text, *line = next_line(&p, "\r\n");
    char *head[16];
    int nh = line ? split_commas(line, head, 16) : 0;
    CHECK_EQ_INT(nh, nw);
    for (int j = 0; j < nh && j < nw; j++) CHECK_STR_EQ(head[j], want[j]);
    int row = 0;
    while ((line = next_line(&p, "\r\n"))) {
        row++;
        char *cell[16];
        int nc = split_commas(line, cell, 16);
        CHECK_MSG(nc == nh, "metrics.csv row %d: %d cells under %d columns", row, nc, nh);
        run_call *c = add_call(out, -1, -1);
        if (!c) break;
        for (int j = 0; j < nc && j < nh; j++) {
            if (!strcmp(head[j], "step")) {
                CHECK_MSG(parse_int(cell[j], &c->step), "metrics.csv row %d: step \"%s\"", row, cell[j]);
            } else if (!strcmp(head[j], "epoch")) {
                /* an integer, as Lightning passes it */
                CHECK_MSG(parse_int(cell[j], &c->epoch), "metrics.csv row %d: epoch \"%s\"", row, cell[j]);
            } else if (cell[j][0]) {
                double v;
                CHECK_MSG(parse_double(cell[j], &v), "metrics.csv row %d: %s \"%s\"", row, head[j], cell[j]);
                call_put(c, head[j], v);
            }
        }
    }
    free(text);
}

/* metrics.jsonl: the hparams line, one line per call, the finalize line. */
static void read_jsonl(const char *path, call_list *out, json_t **hparams, char *status, size_t status_n) {
    out->n = 0;
    *hparams = NULL;
    status[0] = 0;
    char *text = slurp(path);
    CHECK_MSG(text != NULL, "cannot read %s", path);
    if (!text) return;
    char *p = text, *line;
    int no = 0, finalized = 0;
    while ((line = next_line(&p, "\n"))) {
        no++;
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        CHECK_MSG(o && json_is_object(o), "metrics.jsonl line %d does not parse: %s", no, err.text);
        if (!o) continue;
        const char *type = json_string_value(json_object_get(o, "type"));
        CHECK_MSG(!finalized, "metrics.jsonl line %d after the finalize line", no);
        CHECK_MSG(json_is_real(json_object_get(o, "wall_time")), "metrics.jsonl line %d: wall_time", no);
        if (type && !strcmp(type, "hparams")) {
            CHECK_MSG(no == 1 && !*hparams, "metrics.jsonl: hparams at line %d", no);
            if (!*hparams) *hparams = json_incref(json_object_get(o, "hparams"));
        } else if (type && !strcmp(type, "metrics")) {
            json_t *step = json_object_get(o, "step"), *epoch = json_object_get(o, "epoch");
            json_t *m = json_object_get(o, "metrics");
            CHECK_MSG(json_is_integer(step), "metrics.jsonl line %d: step is not an integer", no);
            CHECK_MSG(json_is_integer(epoch), "metrics.jsonl line %d: epoch is not an integer", no);
            CHECK_MSG(json_is_object(m) && !json_object_get(m, "epoch"), "metrics.jsonl line %d: metrics", no);
            run_call *c = add_call(out, json_integer_value(step), epoch ? json_integer_value(epoch) : -1);
            const char *key;
            json_t *v;
            json_object_foreach(m, key, v) {
                /* Python's repr of a float: a JSON number with '.' or an exponent */
                CHECK_MSG(json_is_real(v), "metrics.jsonl line %d: %s is not a real", no, key);
                call_put(c, key, json_number_value(v));
            }
        } else if (type && !strcmp(type, "finalize")) {
            finalized = 1;
            const char *stat = json_string_value(json_object_get(o, "status"));
            snprintf(status, status_n, "%s", stat ? stat : "");
        } else {
            CHECK_MSG(0, "metrics.jsonl line %d: type %s", no, type ? type : "(none)");
        }
        json_decref(o);
    }
    CHECK_MSG(finalized, "metrics.jsonl has no finalize line");
    free(text);
}

/* The one events.out.tfevents.* file of dir. */
static const char *events_path(const char *dir) {
    static char path[2048];
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (!strncmp(e->d_name, "events.out.tfevents.", 20)) {
            n++;
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        }
    if (d) closedir(d);
    CHECK_EQ_INT(n, 1);
    return n == 1 ? path : NULL;
}

/* The hparams session_start_info map: name -> number. */
static int tb_hparam(const decoded_event *e, const char *name, double *out) {
    pb_field body;
    if (hparams_kind(e, &body) != 3) return 0;
    const unsigned char *q = body.p, *end = body.p + body.n;
    pb_field f;
    while (pb_next(&q, end, &f) > 0) {
        pb_field key, val, x;
        if (f.field != 1 || !pb_get(f.p, f.n, 1, &key) || !pb_get(f.p, f.n, 2, &val) || !str_is(&key, name)) continue;
        const unsigned char *a = val.p, *ae = val.p + val.n;
        if (pb_next(&a, ae, &x) <= 0 || x.field != 2 || x.wire != 1) return 0;
        *out = as_double(x.u);
        return 1;
    }
    return 0;
}

/* The events file: the header events, then the scalars grouped into calls
 * as `shape` has them (a call's values and its "epoch", in one step). */
static void read_tb(const char *path, const call_list *shape, call_list *out, const digits_module *mod) {
    out->n = 0;
    events_file ef = { 0 };
    CHECK_MSG(path && read_events(path, &ef), "cannot read the events file %s", path ? path : "(none)");
    int want_n = 5;
    for (int i = 0; i < shape->n; i++) want_n += shape->c[i].n + 1;
    CHECK_EQ_INT(ef.n, want_n);
    if (ef.n >= 5) {
        CHECK_EQ_INT(ef.ev[0].has_file_version, 1);
        CHECK_STR_EQ(ef.ev[1].tag, "hp_metric");
        CHECK(ef.ev[1].has_simple && ef.ev[1].simple == -1.0f);
        CHECK_STR_EQ(ef.ev[2].tag, "_hparams_/experiment");
        CHECK_STR_EQ(ef.ev[3].tag, "_hparams_/session_start_info");
        CHECK_STR_EQ(ef.ev[4].tag, "_hparams_/session_end_info");
        for (int i = 0; i < mod->base.n_hparams; i++) {
            const lit_hparam *h = &mod->base.hparams[i];
            double v = NAN;
            CHECK_MSG(tb_hparam(&ef.ev[3], h->name, &v), "TensorBoard hparams: no %s", h->name);
            CHECK_MSG(v == (h->kind == LIT_HPARAM_INT ? (double)h->i : h->d), "TensorBoard hparams: %s = %.17g",
                      h->name, v);
        }
    }
    int at = 5;
    for (int i = 0; i < shape->n && at < ef.n; i++) {
        run_call *c = add_call(out, ef.ev[at].step, -1);
        if (!c) break;
        for (int k = 0; k <= shape->c[i].n && at < ef.n; k++, at++) {
            const decoded_event *e = &ef.ev[at];
            CHECK_MSG(e->has_simple && !e->plugin[0], "event %d (%s) is not a scalar", at, e->tag);
            CHECK_MSG(e->step == c->step, "event %d (%s): step %lld in a call at step %lld", at, e->tag,
                      (long long)e->step, (long long)c->step);
            if (!strcmp(e->tag, "epoch")) {
                CHECK_MSG(c->epoch < 0, "event %d: a second epoch in one call", at);
                c->epoch = (int64_t)e->simple;
                CHECK(e->simple == (float)c->epoch);
            } else {
                call_put(c, e->tag, (double)e->simple);
            }
        }
    }
    events_file_free(&ef);
}

/* a and b hold the same calls; values equal exactly, or as float32 when
 * `as_float32` (b = TensorBoard's). */
static void compare_calls(const char *what, const call_list *a, const call_list *b, int as_float32) {
    CHECK_MSG(a->n == b->n, "%s: %d calls against %d", what, a->n, b->n);
    for (int i = 0; i < a->n && i < b->n; i++) {
        const run_call *x = &a->c[i], *y = &b->c[i];
        CHECK_MSG(x->step == y->step, "%s, call %d: step %lld against %lld", what, i, (long long)x->step,
                  (long long)y->step);
        CHECK_MSG(x->epoch == y->epoch, "%s, call %d (step %lld): epoch %lld against %lld", what, i,
                  (long long)x->step, (long long)x->epoch, (long long)y->epoch);
        CHECK_MSG(x->n == y->n, "%s, call %d (step %lld): %d values against %d", what, i, (long long)x->step, x->n,
                  y->n);
        for (int k = 0; k < x->n; k++) {
            int j = call_find(y, x->key[k]);
            CHECK_MSG(j >= 0, "%s, call %d (step %lld): %s missing from the second", what, i, (long long)x->step,
                      x->key[k]);
            if (j < 0) continue;
            int same = as_float32 ? (float)x->v[k] == (float)y->v[j] : x->v[k] == y->v[j];
            CHECK_MSG(same, "%s, step %lld, %s: %.17g against %.17g", what, (long long)x->step, x->key[k], x->v[k],
                      y->v[j]);
        }
    }
}

/* report.html's summary row of `key` against the calls. */
static void check_report_row(const char *html, const call_list *exp, const char *key) {
    double last = NAN, best = NAN;
    int64_t last_step = -1, best_step = -1;
    int points = 0, lower = strstr(key, "loss") != NULL;
    for (int i = 0; i < exp->n; i++) {
        int j = call_find(&exp->c[i], key);
        if (j < 0) continue;
        double v = exp->c[i].v[j];
        points++;
        last = v;
        last_step = exp->c[i].step;
        if (isnan(best) || (lower ? v < best : v > best)) {
            best = v;
            best_step = exp->c[i].step;
        }
    }
    char start[64];
    snprintf(start, sizeof start, "<tr><th>%s</th>", key);
    const char *row = strstr(html, start);
    CHECK_MSG(row != NULL, "report.html has no row for %s", key);
    if (!row) return;
    char dv_last[64], txt_last[64], dv_best[64], txt_best[64], mode[8];
    long long s_last, s_best;
    int n_pts;
    int got = sscanf(row + strlen(start),
                     "<td class=\"num\" data-value=\"%63[^\"]\">%63[^<]</td><td class=\"num\">%lld</td>"
                     "<td class=\"num\" data-value=\"%63[^\"]\">%63[^<]</td><td class=\"num\">%lld</td>"
                     "<td>%7[a-z]</td><td class=\"num\">%d</td></tr>",
                     dv_last, txt_last, &s_last, dv_best, txt_best, &s_best, mode, &n_pts);
    CHECK_MSG(got == 8, "report.html: the %s row does not read as last/step/best/step/mode/points (%d fields)", key,
              got);
    if (got != 8) return;
    char want_last[64], want_best[64];
    snprintf(want_last, sizeof want_last, "%.6g", last); /* the report's number format (html-report.c fmt_short) */
    snprintf(want_best, sizeof want_best, "%.6g", best);
    double v;
    CHECK_MSG(parse_double(dv_last, &v) && v == last, "report.html %s: last data-value %s, logged %.17g", key, dv_last,
              last);
    CHECK_MSG(!strcmp(txt_last, want_last), "report.html %s: last shown as %s, logged %.17g (%s)", key, txt_last,
              last, want_last);
    CHECK_MSG(s_last == last_step, "report.html %s: last at step %lld, logged at %lld", key, s_last,
              (long long)last_step);
    CHECK_MSG(parse_double(dv_best, &v) && v == best, "report.html %s: best data-value %s, logged best %.17g", key,
              dv_best, best);
    CHECK_MSG(!strcmp(txt_best, want_best), "report.html %s: best shown as %s, logged best %.17g (%s)", key, txt_best,
              best, want_best);
    CHECK_MSG(s_best == best_step, "report.html %s: best at step %lld, logged at %lld", key, s_best,
              (long long)best_step);
    CHECK_STR_EQ(mode, lower ? "min" : "max");
    CHECK_EQ_INT(n_pts, points);
}

/* ---------------------------------------------------------------- the run */

TEST(digits_run_logs_agree) {
    double t0 = lit_time_now();
    char *root = make_tmp_dir("runlogs");
    digits_datamodule dm;
    digits_module mod;
    CHECK_EQ_INT(digits_datamodule_init(&dm, NULL), LIT_OK);
    CHECK_EQ_INT(digits_module_init(&mod, NULL), LIT_OK);
    lit_trainer_params p = lit_trainer_default_params();
    p.max_epochs = EPOCHS;
    p.log_every_n_steps = LOG_EVERY;
    p.default_root_dir = root;
    p.enable_progress_bar = 0;
    p.enable_model_summary = 0;
    /* logger and enable_checkpointing keep their defaults (1) */
    CHECK_EQ_INT(p.logger, 1);
    CHECK_EQ_INT(p.enable_checkpointing, 1);
    lit_trainer *tr = NULL;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    recorder *rec = calloc(1, sizeof *rec);
    lit_callback cb = {
        .version = LIT_CALLBACK_VERSION,
        .name = "recorder",
        .user = rec,
        .on_train_epoch_start = rec_epoch_start,
        .on_train_batch_end = rec_batch_end,
        .on_validation_end = rec_val_end,
        .on_train_end = rec_train_end,
    };
    CHECK_EQ_INT(lit_trainer_add_callback(tr, &cb), LIT_OK);
    lit_status st = lit_trainer_fit(tr, &mod.base, &dm.base, NULL);
    CHECK_MSG(st == LIT_OK, "fit: %s: %s", lit_status_str(st), lit_last_error());

    /* 1294 train samples in batches of 32: 41 batches an epoch */
    CHECK_EQ_INT(rec->k, 41 * EPOCHS);
    CHECK_EQ_INT(rec->n_val, EPOCHS);
    CHECK_EQ_INT(rec->exp.n, EPOCHS * (8 + 2));
    CHECK_EQ_INT(lit_trainer_num_loggers(tr), 4);
    CHECK_EQ_INT(lit_trainer_logger_version(tr), 0);
    char log_dir[1024] = "", ckpt_dir[1100] = "", best[1200] = "";
    if (lit_trainer_log_dir(tr)) snprintf(log_dir, sizeof log_dir, "%s", lit_trainer_log_dir(tr));
    CHECK_STR_EQ(log_dir, join(root, "lightning_logs/version_0"));
    /* trainer.checkpoint_callback: the default one, kept readable after fit */
    lit_callback *ck = lit_trainer_checkpoint_callback(tr);
    CHECK(ck != NULL && ck->name && !strcmp(ck->name, LIT_MODEL_CHECKPOINT_NAME));
    if (ck) {
        const char *d = lit_model_checkpoint_dirpath(ck), *b = lit_model_checkpoint_best_path(ck);
        snprintf(ckpt_dir, sizeof ckpt_dir, "%s", d ? d : "(none)");
        snprintf(best, sizeof best, "%s", b ? b : "(none)");
    }
    lit_trainer_free(tr);

    /* the default ModelCheckpoint shares version_0 */
    char want_ckpt[1100];
    snprintf(want_ckpt, sizeof want_ckpt, "%s/checkpoints", log_dir);
    CHECK_STR_EQ(ckpt_dir, want_ckpt);
    char want_best[1200];
    snprintf(want_best, sizeof want_best, "%s/epoch=%d-step=%d.ckpt", want_ckpt, EPOCHS - 1, 41 * EPOCHS);
    CHECK_STR_EQ(best, want_best);
    CHECK(exists(best));
    CHECK_EQ_INT(count_files(join(root, "lightning_logs")), 1);
    const char *tb_path = events_path(log_dir);
    char want_files[2048];
    snprintf(want_files, sizeof want_files, "checkpoints/epoch=%d-step=%d.ckpt,%s,hparams.yaml,metrics.csv,"
             "metrics.jsonl,report.html", EPOCHS - 1, 41 * EPOCHS, tb_path ? strrchr(tb_path, '/') + 1 : "?");
    CHECK_STR_EQ(files_in(log_dir), want_files);

    /* hparams.yaml: PyYAML's dump of the module's hyperparameters */
    char *yaml = slurp(join(log_dir, "hparams.yaml"));
    CHECK_MSG(yaml && !strcmp(yaml, "batch_size: 32\nhidden1: 256\nhidden2: 128\nlr: 0.003\nseed: 0\n"),
              "hparams.yaml:\n%s", yaml ? yaml : "(missing)");
    free(yaml);

    call_list *csv = calloc(1, sizeof *csv), *jsonl = calloc(1, sizeof *jsonl), *tb = calloc(1, sizeof *tb);
    read_csv(join(log_dir, "metrics.csv"), &rec->exp, csv);
    json_t *hp = NULL;
    char status[32];
    read_jsonl(join(log_dir, "metrics.jsonl"), jsonl, &hp, status, sizeof status);
    CHECK_STR_EQ(status, "success");
    CHECK_MSG(hp && json_object_size(hp) == (size_t)mod.base.n_hparams, "metrics.jsonl: %d hparams expected",
              mod.base.n_hparams);
    for (int i = 0; hp && i < mod.base.n_hparams; i++) {
        const lit_hparam *h = &mod.base.hparams[i];
        json_t *v = json_object_get(hp, h->name);
        if (h->kind == LIT_HPARAM_INT) CHECK_MSG(json_is_integer(v) && json_integer_value(v) == h->i, "jsonl %s", h->name);
        else CHECK_MSG(json_is_real(v) && json_real_value(v) == h->d, "jsonl %s", h->name);
    }
    json_decref(hp);
    read_tb(tb_path, &rec->exp, tb, &mod);

    /* the files against each other, then against what the module logged */
    compare_calls("metrics.csv vs metrics.jsonl", csv, jsonl, 0);
    compare_calls("metrics.jsonl vs tfevents", jsonl, tb, 1);
    compare_calls("logged vs metrics.csv", &rec->exp, csv, 0);
    compare_calls("logged vs metrics.jsonl", &rec->exp, jsonl, 0);
    compare_calls("logged vs tfevents", &rec->exp, tb, 1);
    /* the rules, spelled out: step rows at 4, 9, ..., val and epoch rows at
     * each epoch's last batch */
    for (int i = 0; i < rec->exp.n; i++) {
        const run_call *c = &rec->exp.c[i];
        int is_step = call_find(c, "train/loss_step") >= 0;
        if (is_step) CHECK_EQ_INT((c->step + 1) % LOG_EVERY, 0);
        else CHECK_EQ_INT((c->step + 1) % 41, 0);
        CHECK_EQ_INT(c->epoch, c->step / 41);
    }

    /* report.html */
    char *html = slurp(join(log_dir, "report.html"));
    CHECK_MSG(html != NULL, "no report.html");
    if (html) {
        CHECK_STR_CONTAINS(html, "<span class=\"status success\">success</span>");
        char meta[128];
        snprintf(meta, sizeof meta, " &middot; epoch %d &middot; step %d", EPOCHS - 1, 41 * EPOCHS - 1);
        CHECK_STR_CONTAINS(html, meta);
        const char *keys[] = { "val/acc", "val/loss", "train/loss_step", "train/acc_step", "train/loss_epoch",
                               "train/acc_epoch" };
        for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) check_report_row(html, &rec->exp, keys[i]);
        CHECK(strstr(html, "<tr><th>epoch</th><td class=\"num\"") == NULL); /* epoch is not a metric row */
    }
    free(html);

    free(csv);
    free(jsonl);
    free(tb);
    free(rec);
    digits_module_free(&mod);
    digits_datamodule_free(&dm);
    double dt = lit_time_now() - t0;
    printf("  %d logger calls checked in metrics.csv, metrics.jsonl, tfevents and report.html; %.2fs\n",
           EPOCHS * 10, dt);
    rm_rf(root);
}

int main(void) {
    lit_log_set_level(LIT_LOG_WARN);
    RUN(digits_run_logs_agree);
    return harness_summary();
}
