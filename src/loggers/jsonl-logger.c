/*
 * src/loggers/jsonl-logger.c — a JSON-lines logger (litc's own format, see
 * loggers.h): one object per call, written and flushed at once so a crashed
 * run keeps every line it logged.
 *
 * The lines are composed here rather than with json_dumps: jansson prints
 * reals with %.17g ("0.10000000000000001") and refuses NaN; Python's
 * shortest repr keeps the file readable and exact. Strings are escaped with
 * jansson (json_dumps of a JSON string), so every byte sequence that is
 * valid UTF-8 comes out as valid JSON; invalid UTF-8 is replaced by
 * U+FFFD per byte.
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loggers/loggers-impl.h"

static const char WHO[] = "JSONLLogger";

typedef struct {
    lit__logdir dir;
    char *prefix, *file_name, *path;
    double (*clock)(void);
    FILE *f;
} jsonl_logger;

static void put_json_string(lit__buf *b, const char *s) {
    json_t *j = json_string(s);
    if (!j) {
        /* not UTF-8: replace each invalid byte by U+FFFD */
        lit__buf fixed = { 0 };
        const unsigned char *u = (const unsigned char *)s;
        while (*u) {
            int len = *u < 0x80 ? 1 : (*u >> 5) == 6 ? 2 : (*u >> 4) == 14 ? 3 : (*u >> 3) == 30 ? 4 : 0;
            int ok = len > 0;
            for (int k = 1; ok && k < len; k++)
                if ((u[k] & 0xC0) != 0x80) ok = 0;
            if (ok && len > 1) {
                char tmp[5] = { 0 };
                memcpy(tmp, u, (size_t)len);
                json_t *probe = json_string(tmp);
                ok = probe != NULL;
                json_decref(probe);
            }
            if (ok) {
                lit__buf_put(&fixed, u, (size_t)len);
                u += len;
            } else {
                lit__buf_puts(&fixed, "\xEF\xBF\xBD");
                u++;
            }
        }
        j = json_string(fixed.data ? (const char *)fixed.data : "");
        lit__buf_free(&fixed);
    }
    char *txt = j ? json_dumps(j, JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    if (!txt) {
        b->failed = 1;
        return;
    }
    lit__buf_puts(b, txt);
    free(txt);
}

/* Python repr for finite values; "nan", "inf", "-inf" as strings. */
static void put_number(lit__buf *b, double v) {
    if (isnan(v)) {
        lit__buf_puts(b, "\"nan\"");
    } else if (isinf(v)) {
        lit__buf_puts(b, v > 0 ? "\"inf\"" : "\"-inf\"");
    } else {
        char s[64];
        lit__format_pyfloat(s, sizeof s, v);
        lit__buf_puts(b, s);
    }
}

static lit_status open_file(jsonl_logger *j) {
    if (j->f) return LIT_OK;
    LIT_TRY(lit__logdir_ensure(&j->dir, WHO));
    free(j->path);
    j->path = lit__path_join(j->dir.log_dir, j->file_name);
    if (!j->path) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    /* a new run starts a new file (a fixed version reused is overwritten,
     * as the CSVLogger's metrics.csv) */
    j->f = fopen(j->path, "wb");
    if (!j->f) return lit_set_error(LIT_ERR_IO, "%s: cannot create %s: %s", WHO, j->path, strerror(errno));
    return LIT_OK;
}

static void line_start(jsonl_logger *j, lit__buf *b, const char *type) {
    lit__buf_printf(b, "{\"type\": \"%s\", \"wall_time\": ", type);
    put_number(b, j->clock ? j->clock() : lit__wall_time());
}

static lit_status write_line(jsonl_logger *j, lit__buf *b) {
    lit__buf_puts(b, "}\n");
    if (b->failed) {
        lit__buf_free(b);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    }
    lit_status st = open_file(j);
    if (st >= 0 && (fwrite(b->data, 1, b->len, j->f) != b->len || fflush(j->f) != 0))
        st = lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", WHO, j->path, strerror(errno));
    lit__buf_free(b);
    return st;
}

static void put_key(jsonl_logger *j, lit__buf *b, const char *name) {
    if (!*j->prefix) {
        put_json_string(b, name);
        return;
    }
    char *k = lit__prefixed_key(j->prefix, name);
    if (!k) {
        b->failed = 1;
        return;
    }
    put_json_string(b, k);
    free(k);
}

static lit_status jl_log_hyperparams(lit_logger *lg, int n, const lit_logger_hparam *hp) {
    jsonl_logger *j = lg->user;
    lit__buf b = { 0 };
    line_start(j, &b, "hparams");
    lit__buf_puts(&b, ", \"hparams\": {");
    int first = 1;
    for (int i = 0; i < n; i++) {
        const char *name = hp[i].name ? hp[i].name : "";
        int later = 0; /* a repeated name: its last value, at its first place */
        for (int k = 0; k < i; k++)
            if (strcmp(hp[k].name ? hp[k].name : "", name) == 0) later = 1;
        if (later) continue;
        int at = i;
        for (int k = i + 1; k < n; k++)
            if (strcmp(hp[k].name ? hp[k].name : "", name) == 0) at = k;
        if (!first) lit__buf_puts(&b, ", ");
        first = 0;
        put_json_string(&b, name);
        lit__buf_puts(&b, ": ");
        if (hp[at].kind == 0) lit__buf_printf(&b, "%lld", (long long)hp[at].i);
        else if (hp[at].kind == 1) put_number(&b, hp[at].d);
        else put_json_string(&b, hp[at].s ? hp[at].s : "");
    }
    lit__buf_puts(&b, "}");
    return write_line(j, &b);
}

static lit_status jl_log_metrics(lit_logger *lg, int n, const char *const *names, const double *values, int64_t step) {
    jsonl_logger *j = lg->user;
    lit__buf b = { 0 };
    line_start(j, &b, "metrics");
    lit__buf_printf(&b, ", \"step\": %lld", (long long)step);
    int epoch_at = -1;
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], "epoch") == 0) epoch_at = i;
    if (epoch_at >= 0) {
        double e = values[epoch_at];
        lit__buf_puts(&b, ", \"epoch\": ");
        if (e == (double)(int64_t)e && fabs(e) < 9e18) lit__buf_printf(&b, "%lld", (long long)e);
        else put_number(&b, e);
    }
    lit__buf_puts(&b, ", \"metrics\": {");
    int first = 1;
    for (int i = 0; i < n; i++) {
        if (strcmp(names[i], "epoch") == 0) continue;
        int later = 0;
        for (int k = 0; k < i; k++)
            if (strcmp(names[k], names[i]) == 0) later = 1;
        if (later) continue;
        int at = i;
        for (int k = i + 1; k < n; k++)
            if (strcmp(names[k], names[i]) == 0) at = k;
        if (!first) lit__buf_puts(&b, ", ");
        first = 0;
        put_key(j, &b, names[i]);
        lit__buf_puts(&b, ": ");
        put_number(&b, values[at]);
    }
    lit__buf_puts(&b, "}");
    return write_line(j, &b);
}

static lit_status jl_save(lit_logger *lg) {
    jsonl_logger *j = lg->user;
    if (j->f && fflush(j->f) != 0)
        return lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", WHO, j->path, strerror(errno));
    return LIT_OK;
}

static lit_status jl_finalize(lit_logger *lg, const char *status) {
    jsonl_logger *j = lg->user;
    if (!j->f) return LIT_OK; /* nothing logged: no file */
    lit__buf b = { 0 };
    line_start(j, &b, "finalize");
    lit__buf_puts(&b, ", \"status\": ");
    put_json_string(&b, status ? status : "");
    LIT_TRY(write_line(j, &b));
    int ok = fclose(j->f) == 0;
    j->f = NULL;
    if (!ok) return lit_set_error(LIT_ERR_IO, "%s: cannot write %s: %s", WHO, j->path, strerror(errno));
    return LIT_OK;
}

static int64_t jl_version_number(lit_logger *lg) { return lit__logdir_version_number(&((jsonl_logger *)lg->user)->dir); }
static const char *jl_log_dir(lit_logger *lg) { return lit__logdir_path(&((jsonl_logger *)lg->user)->dir); }

static void jl_free(lit_logger *lg) {
    jsonl_logger *j = lg->user;
    if (!j) return;
    if (j->f) fclose(j->f);
    free(j->prefix);
    free(j->file_name);
    free(j->path);
    lit__logdir_free(&j->dir);
    free(j);
    lg->user = NULL;
}

lit_jsonl_logger_params lit_jsonl_logger_default_params(void) {
    return (lit_jsonl_logger_params){
        .save_dir = NULL,
        .name = "lightning_logs",
        .version = -1,
        .version_name = NULL,
        .prefix = "",
        .file_name = "metrics.jsonl",
        .wall_clock = NULL,
    };
}

lit_status lit_jsonl_logger(lit_logger *lg, const lit_jsonl_logger_params *p) {
    if (!lg || !p) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_jsonl_logger: lg and params are required");
    memset(lg, 0, sizeof *lg);
    const char *fname = p->file_name && *p->file_name ? p->file_name : "metrics.jsonl";
    if (strchr(fname, '/')) return lit_set_error(LIT_ERR_CONFIG, "%s: file_name \"%s\" holds a '/'", WHO, fname);
    jsonl_logger *j = calloc(1, sizeof *j);
    if (!j) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    lit_status st = lit__logdir_init(&j->dir, WHO, p->save_dir, p->name, p->version, p->version_name, NULL);
    if (st < 0) {
        free(j);
        return st;
    }
    j->prefix = lit__strdup(p->prefix ? p->prefix : "");
    j->file_name = lit__strdup(fname);
    j->clock = p->wall_clock;
    if (!j->prefix || !j->file_name) {
        free(j->prefix);
        free(j->file_name);
        lit__logdir_free(&j->dir);
        free(j);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", WHO);
    }
    lg->version = LIT_LOGGER_VERSION;
    lg->name = "JSONLLogger";
    lg->user = j;
    lg->log_hyperparams = jl_log_hyperparams;
    lg->log_metrics = jl_log_metrics;
    lg->save = jl_save;
    lg->finalize = jl_finalize;
    lg->version_number = jl_version_number;
    lg->log_dir = jl_log_dir;
    lg->free = jl_free;
    return LIT_OK;
}
