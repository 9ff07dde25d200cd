/*
 * src/loggers/csv-logger.c — Lightning's CSVLogger (lightning.fabric.loggers.
 * csv_logs._ExperimentWriter + lightning.pytorch.loggers.CSVLogger):
 * metrics.csv and hparams.yaml under <save_dir>/<name>/version_<N>/.
 *
 * Lightning keeps the rows of the current flush window in memory and at
 * save() adds the new keys to a sorted header; when the header grew and the
 * file exists it reads the file back (csv.DictReader) and writes it again
 * under the new header before appending. We do the same, the rewrite going
 * through a temporary file so a failure never loses the rows written so far.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "loggers/loggers-impl.h"

static const char WHO[] = "CSVLogger";

typedef struct {
    char *key, *value; /* both owned; value already formatted */
} cell;

typedef struct {
    int n;
    cell *cells;
} row;

typedef struct {
    lit__logdir dir;
    char *prefix;
    int64_t flush_every;
    int experiment; /* the directory is made and the old metrics.csv gone */
    char *metrics_path;
    /* the header: every key written so far, sorted */
    int n_keys, cap_keys;
    char **keys;
    /* rows logged since the last save */
    int n_rows, cap_rows;
    row *rows;
    lit__hparams hparams;
} csv_logger;

/* ---------------------------------------------------------------- CSV text */

/* csv.writer's QUOTE_MINIMAL (excel dialect): quote a field holding the
 * delimiter, the quote character or a line-end character; double quotes. */
static void put_field(lit__buf *b, const char *s) {
    if (!strpbrk(s, ",\"\r\n")) {
        lit__buf_puts(b, s);
        return;
    }
    lit__buf_putc(b, '"');
    for (const char *c = s; *c; c++) {
        if (*c == '"') lit__buf_putc(b, '"');
        lit__buf_putc(b, *c);
    }
    lit__buf_putc(b, '"');
}

static void put_record(lit__buf *b, int n, char *const *fields) {
    for (int i = 0; i < n; i++) {
        if (i) lit__buf_putc(b, ',');
        put_field(b, fields[i] ? fields[i] : "");
    }
    lit__buf_puts(b, "\r\n"); /* csv's excel dialect line terminator */
}

/* Parse one record of `s` (csv.reader rules for what put_record writes:
 * quoted fields with "" escapes, records ended by \r\n or \n). Returns the
 * position after the record, or NULL at the end. Fields are malloc'd. */
static const char *parse_record(const char *s, int *n_out, char ***out) {
    if (!*s) return NULL;
    int n = 0, cap = 8;
    char **f = malloc((size_t)cap * sizeof *f);
    if (!f) return NULL;
    lit__buf cur = { 0 };
    for (;;) {
        cur.len = 0;
        lit__buf_put(&cur, "", 0);
        if (*s == '"') {
            s++;
            for (;;) {
                if (!*s) break;
                if (*s == '"') {
                    if (s[1] == '"') {
                        lit__buf_putc(&cur, '"');
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                lit__buf_putc(&cur, *s++);
            }
        }
        while (*s && *s != ',' && *s != '\r' && *s != '\n') lit__buf_putc(&cur, *s++);
        if (n == cap) {
            cap *= 2;
            char **nf = realloc(f, (size_t)cap * sizeof *nf);
            if (!nf) break;
            f = nf;
        }
        f[n++] = lit__strdup(cur.data ? (const char *)cur.data : "");
        if (*s == ',') {
            s++;
            continue;
        }
        if (*s == '\r') s++;
        if (*s == '\n') s++;
        break;
    }
    lit__buf_free(&cur);
    *n_out = n;
    *out = f;
    return s;
}

static void free_fields(int n, char **f) {
    for (int i = 0; i < n; i++) free(f[i]);
    free(f);
}

/* ---------------------------------------------------------------- state */

static void free_row(row *r) {
    for (int i = 0; i < r->n; i++) {
        free(r->cells[i].key);
        free(r->cells[i].value);
    }
    free(r->cells);
    r->cells = NULL;
    r->n = 0;
}

static int key_index(const csv_logger *c, const char *k) {
    for (int i = 0; i < c->n_keys; i++)
        if (strcmp(c->keys[i], k) == 0) return i;
    return -1;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Lightning: _check_log_dir_exists + makedirs at the experiment's creation. */
static lit_status ensure_experiment(csv_logger *c) {
    if (c->experiment) return LIT_OK;
    LIT_TRY(lit__logdir_resolve(&c->dir));
    const char *ld = c->dir.log_dir;
    DIR *dp = opendir(ld);
    if (dp) {
        int nonempty = 0;
        struct dirent *e;
        /* What the other writers of this run put there first (the CLI's
         * config.yaml, the other default loggers' files) is not an old run. */
        while ((e = readdir(dp)) != NULL)
            if (!strcmp(e->d_name, "metrics.csv")) nonempty = 1;
        closedir(dp);
        if (nonempty)
            lit_logf(LIT_LOG_WARN,
                     "%s: experiment logs directory %s exists and is not empty. Previous log files in this directory "
                     "will be deleted when the new ones are saved!",
                     WHO, ld);
    }
    LIT_TRY(lit__logdir_ensure(&c->dir, WHO));
    free(c->metrics_path);
    c->metrics_path = lit__path_join(ld, "metrics.csv");
    if (!c->metrics_path) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    if (unlink(c->metrics_path) != 0 && errno != ENOENT)
        return lit_set_error(LIT_ERR_IO, "%s: cannot remove the old %s: %s", WHO, c->metrics_path, strerror(errno));
    c->experiment = 1;
    return LIT_OK;
}

static lit_status set_cell(row *r, int *cap, char *key, char *value) {
    if (!key || !value) {
        free(key);
        free(value);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    }
    for (int i = 0; i < r->n; i++) {
        if (strcmp(r->cells[i].key, key) == 0) { /* dict semantics: the last value wins */
            free(r->cells[i].value);
            r->cells[i].value = value;
            free(key);
            return LIT_OK;
        }
    }
    if (r->n == *cap) {
        int nc = *cap ? 2 * *cap : 8;
        cell *ncl = realloc(r->cells, (size_t)nc * sizeof *ncl);
        if (!ncl) {
            free(key);
            free(value);
            return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
        }
        r->cells = ncl;
        *cap = nc;
    }
    r->cells[r->n].key = key;
    r->cells[r->n].value = value;
    r->n++;
    return LIT_OK;
}

/* ---------------------------------------------------------------- save */

/* The header grew: read the file back and write it under the new header. */
static lit_status rewrite_with_new_header(csv_logger *c) {
    FILE *f;
    /* A regular file only: a FIFO put in its place must not block the run. */
    if (lit_file_open_read(&f, c->metrics_path, "metrics file", NULL) < 0) {
        char why[600];
        snprintf(why, sizeof why, "%s", lit_last_error());
        return lit_set_error(LIT_ERR_IO, "%s: cannot read %s", WHO, why);
    }
    lit__buf in = { 0 };
    char tmp[4096];
    size_t got;
    while ((got = fread(tmp, 1, sizeof tmp, f)) > 0) lit__buf_put(&in, tmp, got);
    int rerr = ferror(f);
    fclose(f);
    if (rerr) {
        lit__buf_free(&in);
        return lit_set_error(LIT_ERR_IO, "%s: cannot read %s", WHO, c->metrics_path);
    }
    if (in.failed) {
        lit__buf_free(&in);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory reading %s", WHO, c->metrics_path);
    }
    lit__buf out = { 0 };
    put_record(&out, c->n_keys, c->keys);
    const char *s = in.data ? (const char *)in.data : "";
    int nh = 0;
    char **hdr = NULL;
    s = parse_record(s, &nh, &hdr);
    char **fields = calloc((size_t)c->n_keys, sizeof *fields);
    if (s && hdr && fields) {
        int n;
        char **rec;
        const char *next;
        while ((next = parse_record(s, &n, &rec)) != NULL) {
            s = next;
            /* DictReader maps by the old header; DictWriter writes the new
             * columns, "" where the old row had none */
            for (int k = 0; k < c->n_keys; k++) fields[k] = NULL;
            for (int i = 0; i < n && i < nh; i++) {
                int k = key_index(c, hdr[i]);
                if (k >= 0) fields[k] = rec[i];
            }
            put_record(&out, c->n_keys, fields);
            free_fields(n, rec);
        }
    }
    free(fields);
    if (hdr) free_fields(nh, hdr);
    lit__buf_free(&in);
    if (out.failed) {
        lit__buf_free(&out);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory rewriting %s", WHO, c->metrics_path);
    }
    lit_status st = lit__write_file_atomic(c->metrics_path, out.data, out.len, WHO);
    lit__buf_free(&out);
    return st;
}

static lit_status csv_save(lit_logger *lg) {
    csv_logger *c = lg->user;
    if (c->n_rows == 0) return LIT_OK;
    LIT_TRY(ensure_experiment(c));
    /* new keys -> header, sorted */
    int new_keys = 0;
    for (int r = 0; r < c->n_rows; r++) {
        for (int i = 0; i < c->rows[r].n; i++) {
            const char *k = c->rows[r].cells[i].key;
            if (key_index(c, k) >= 0) continue;
            if (c->n_keys == c->cap_keys) {
                int nc = c->cap_keys ? 2 * c->cap_keys : 16;
                char **nk = realloc(c->keys, (size_t)nc * sizeof *nk);
                if (!nk) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
                c->keys = nk;
                c->cap_keys = nc;
            }
            c->keys[c->n_keys] = lit__strdup(k);
            if (!c->keys[c->n_keys]) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
            c->n_keys++;
            new_keys = 1;
        }
    }
    qsort(c->keys, (size_t)c->n_keys, sizeof *c->keys, cmp_str);
    struct stat sb;
    int exists = stat(c->metrics_path, &sb) == 0 && S_ISREG(sb.st_mode);
    if (new_keys && exists) LIT_TRY(rewrite_with_new_header(c));

    lit__buf out = { 0 };
    if (!exists) put_record(&out, c->n_keys, c->keys);
    char **fields = calloc((size_t)c->n_keys, sizeof *fields);
    if (!fields) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    for (int r = 0; r < c->n_rows; r++) {
        for (int k = 0; k < c->n_keys; k++) fields[k] = NULL;
        for (int i = 0; i < c->rows[r].n; i++) fields[key_index(c, c->rows[r].cells[i].key)] = c->rows[r].cells[i].value;
        put_record(&out, c->n_keys, fields);
    }
    free(fields);
    if (out.failed) {
        lit__buf_free(&out);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    }
    FILE *f = fopen(c->metrics_path, exists ? "ab" : "wb");
    if (!f) {
        int err = errno;
        lit__buf_free(&out);
        return lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", WHO, c->metrics_path, strerror(err));
    }
    int ok = fwrite(out.data, 1, out.len, f) == out.len;
    ok = fflush(f) == 0 && ok;
    int err = errno;
    ok = fclose(f) == 0 && ok;
    lit__buf_free(&out);
    if (!ok) return lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", WHO, c->metrics_path, strerror(err ? err : EIO));
    for (int r = 0; r < c->n_rows; r++) free_row(&c->rows[r]);
    c->n_rows = 0;
    return LIT_OK;
}

/* ---------------------------------------------------------------- vtable */

static lit_status csv_log_metrics(lit_logger *lg, int n, const char *const *names, const double *values, int64_t step) {
    csv_logger *c = lg->user;
    /* Lightning's experiment property makes the directory at the first call */
    LIT_TRY(ensure_experiment(c));
    if (c->n_rows == c->cap_rows) {
        int nc = c->cap_rows ? 2 * c->cap_rows : 16;
        row *nr = realloc(c->rows, (size_t)nc * sizeof *nr);
        if (!nr) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
        c->rows = nr;
        c->cap_rows = nc;
    }
    row *r = &c->rows[c->n_rows++];
    memset(r, 0, sizeof *r);
    int cap = 0;
    for (int i = 0; i < n; i++) {
        char v[64];
        double x = values[i];
        /* Lightning logs the epoch as a Python int (trainer.current_epoch) */
        if (strcmp(names[i], "epoch") == 0 && x == (double)(int64_t)x && x >= -9e18 && x <= 9e18)
            snprintf(v, sizeof v, "%lld", (long long)x);
        else
            lit__format_pyfloat(v, sizeof v, x);
        LIT_TRY(set_cell(r, &cap, lit__prefixed_key(c->prefix, names[i]), lit__strdup(v)));
    }
    char sv[32];
    snprintf(sv, sizeof sv, "%lld", (long long)step);
    /* metrics["step"] = step, after the others (a metric named "step" loses) */
    LIT_TRY(set_cell(r, &cap, lit__strdup("step"), lit__strdup(sv)));
    if ((step + 1) % c->flush_every == 0) return csv_save(lg);
    return LIT_OK;
}

static lit_status csv_log_hyperparams(lit_logger *lg, int n, const lit_logger_hparam *hp) {
    csv_logger *c = lg->user;
    LIT_TRY(ensure_experiment(c));
    LIT_TRY(lit__hparams_update(&c->hparams, n, hp));
    return lit__save_hparams_yaml(c->dir.log_dir, &c->hparams, WHO);
}

static lit_status csv_finalize(lit_logger *lg, const char *status) {
    csv_logger *c = lg->user;
    (void)status;
    if (!c->experiment && c->n_rows == 0) return LIT_OK; /* nothing was ever logged */
    return csv_save(lg);
}

static int64_t csv_version_number(lit_logger *lg) { return lit__logdir_version_number(&((csv_logger *)lg->user)->dir); }
static const char *csv_log_dir(lit_logger *lg) { return lit__logdir_path(&((csv_logger *)lg->user)->dir); }

static void csv_free(lit_logger *lg) {
    csv_logger *c = lg->user;
    if (!c) return;
    for (int r = 0; r < c->n_rows; r++) free_row(&c->rows[r]);
    free(c->rows);
    for (int k = 0; k < c->n_keys; k++) free(c->keys[k]);
    free(c->keys);
    free(c->metrics_path);
    free(c->prefix);
    lit__hparams_free(&c->hparams);
    lit__logdir_free(&c->dir);
    free(c);
    lg->user = NULL;
}

lit_csv_logger_params lit_csv_logger_default_params(void) {
    return (lit_csv_logger_params){
        .save_dir = NULL,
        .name = "lightning_logs",
        .version = -1,
        .version_name = NULL,
        .prefix = "",
        .flush_logs_every_n_steps = 100,
    };
}

lit_status lit_csv_logger(lit_logger *lg, const lit_csv_logger_params *p) {
    if (!lg || !p) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_csv_logger: lg and params are required");
    memset(lg, 0, sizeof *lg);
    if (p->flush_logs_every_n_steps < 1)
        return lit_set_error(LIT_ERR_CONFIG, "%s: flush_logs_every_n_steps is %lld; pass >= 1", WHO,
                             (long long)p->flush_logs_every_n_steps);
    csv_logger *c = calloc(1, sizeof *c);
    if (!c) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    lit_status st = lit__logdir_init(&c->dir, WHO, p->save_dir, p->name, p->version, p->version_name, NULL);
    if (st < 0) {
        free(c);
        return st;
    }
    c->prefix = lit__strdup(p->prefix ? p->prefix : "");
    c->flush_every = p->flush_logs_every_n_steps;
    if (!c->prefix) {
        lit__logdir_free(&c->dir);
        free(c);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    }
    lg->version = LIT_LOGGER_VERSION;
    lg->name = "CSVLogger";
    lg->user = c;
    lg->log_hyperparams = csv_log_hyperparams;
    lg->log_metrics = csv_log_metrics;
    lg->save = csv_save;
    lg->finalize = csv_finalize;
    lg->version_number = csv_version_number;
    lg->log_dir = csv_log_dir;
    lg->free = csv_free;
    return LIT_OK;
}
