/*
 * src/loggers/html-report.c — the HTMLReport logger (litc/report.h): keeps
 * every logged point, the hyperparameters, the user's info rows and extra
 * curves in memory, and at the chosen save() calls renders them into one
 * self-contained report.html (inline CSS, inline SVG charts drawn here,
 * no scripts), written through a temporary file renamed over the old page.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "litc/report.h"
#include "loggers/loggers-impl.h"

#define WHO "HTMLReport"

/* ---------------------------------------------------------------- state */

typedef struct {
    int64_t step;
    double v;
    int64_t seq; /* arrival order: ties in step keep it when sorting */
} point;

typedef struct {
    char *name;
    char *group; /* chart key: the name without train/val/test prefix and _step/_epoch suffix */
    point *pts;
    int n, cap;
} series;

typedef struct {
    char *title, *x_label, *y_label;
    int n, log_x;
    double *xs, *ys;
} curve;

typedef struct {
    char *key, *value;
} kv;

typedef struct {
    kv *rows;
    int n, cap;
} kv_list;

typedef struct {
    lit__logdir dir;
    int use_other;
    lit_logger other; /* log_dir_of, copied */
    char *file_name, *title;
    double refresh_secs;
    int reload_secs;
    char *path; /* the report, once decided */

    kv_list hparams, info;
    series *ser;
    int n_ser, cap_ser;
    curve *curves;
    int n_curves, cap_curves;

    char status[32];
    int64_t seq, last_step;
    double epoch;         /* last "epoch" value (NAN before) */
    double written_epoch; /* the epoch the last page saw */
    int dirty, urgent, n_writes;
    double t_start, t_last_write; /* monotonic seconds */
} html_state;

static lit_status html_log_metrics(lit_logger *lg, int n, const char *const *names, const double *values,
                                   int64_t step);

static html_state *state_of(lit_logger *lg) {
    /* The metrics slot identifies our loggers: the user's copy and the
     * trainer's copy share it and `user`. */
    return lg && lg->log_metrics == html_log_metrics ? lg->user : NULL;
}

/* ---------------------------------------------------------------- small helpers */

static int starts_with(const char *s, const char *p) { return strncmp(s, p, strlen(p)) == 0; }

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ASCII case-insensitive strstr. */
static int contains_ci(const char *hay, const char *needle) {
    size_t m = strlen(needle);
    for (const char *h = hay; *h; h++) {
        size_t i = 0;
        while (i < m && h[i] && (h[i] | 0x20) == (needle[i] | 0x20)) i++;
        if (i == m) return 1;
    }
    return 0;
}

/* -1: lower is better, +1: higher is better, 0: the last value (report.h). */
static int best_mode(const char *name) {
    static const char *const lower[] = { "loss", "err", "nll", "ppl", "perplexity", "bpd", "mse", "mae" };
    static const char *const higher[] = { "acc", "f1", "auc", "precision", "recall", "iou", "dice", "bleu" };
    for (size_t i = 0; i < sizeof lower / sizeof *lower; i++)
        if (contains_ci(name, lower[i])) return -1;
    for (size_t i = 0; i < sizeof higher / sizeof *higher; i++)
        if (contains_ci(name, higher[i])) return 1;
    return 0;
}

/* The chart a metric goes on (report.h): malloc'd. */
static char *group_of(const char *name) {
    static const char *const prefixes[] = { "train/", "val/", "test/", "train_", "val_", "test_" };
    const char *s = name;
    for (size_t i = 0; i < sizeof prefixes / sizeof *prefixes; i++)
        if (starts_with(s, prefixes[i]) && s[strlen(prefixes[i])]) {
            s += strlen(prefixes[i]);
            break;
        }
    size_t n = strlen(s);
    if (ends_with(s, "_epoch") && n > 6) n -= 6;
    else if (ends_with(s, "_step") && n > 5) n -= 5;
    char *g = malloc(n + 1);
    if (g) {
        memcpy(g, s, n);
        g[n] = 0;
    }
    return g;
}

/* Evaluation or epoch-level data: rule 2 of report.h. */
static int is_epoch_level(const char *name) {
    return ends_with(name, "_epoch") || starts_with(name, "val") || starts_with(name, "test");
}

static void put_escaped(lit__buf *b, const char *s) {
    for (; s && *s; s++) {
        switch (*s) {
        case '&': lit__buf_puts(b, "&amp;"); break;
        case '<': lit__buf_puts(b, "&lt;"); break;
        case '>': lit__buf_puts(b, "&gt;"); break;
        case '"': lit__buf_puts(b, "&quot;"); break;
        case '\'': lit__buf_puts(b, "&#39;"); break;
        default:
            /* Control bytes have no business in a page (and a NUL-free C
             * string cannot hold the one that would end it): show them as
             * U+FFFD rather than let them confuse the parser. */
            if ((unsigned char)*s < 0x20 && *s != '\t' && *s != '\n') lit__buf_puts(b, "&#xFFFD;");
            else lit__buf_putc(b, *s);
        }
    }
}

/* "%.6g" for people; "nan"/"inf"/"-inf" for the non-finite. */
static void fmt_short(char *buf, size_t n, double v) {
    if (isnan(v)) snprintf(buf, n, "nan");
    else if (isinf(v)) snprintf(buf, n, v > 0 ? "inf" : "-inf");
    else snprintf(buf, n, "%.6g", v);
}

static lit_status kv_set(kv_list *l, const char *key, const char *value) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->rows[i].key, key)) {
            char *v = lit__strdup(value);
            if (!v) return lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
            free(l->rows[i].value);
            l->rows[i].value = v;
            return LIT_OK;
        }
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        kv *r = realloc(l->rows, (size_t)cap * sizeof *r);
        if (!r) return lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
        l->rows = r;
        l->cap = cap;
    }
    char *k = lit__strdup(key), *v = lit__strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
    }
    l->rows[l->n++] = (kv){ k, v };
    return LIT_OK;
}

static void kv_free(kv_list *l) {
    for (int i = 0; i < l->n; i++) {
        free(l->rows[i].key);
        free(l->rows[i].value);
    }
    free(l->rows);
    memset(l, 0, sizeof *l);
}

/* ---------------------------------------------------------------- ticks */

/* Heckbert's "nice numbers": 1, 2 or 5 times a power of ten near x. */
static double nice_num(double x, int round_it) {
    double e = floor(log10(x)), f = x / pow(10.0, e), nf;
    if (round_it) nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10.0, e);
}

/* A tick label that shows the digits the tick spacing needs and no more. */
static void fmt_tick(char *buf, size_t n, double v, double step, double span_max) {
    if (fabs(v) < step * 1e-9) v = 0; /* no "-0" or "1e-17" at the origin */
    if (!(step > 0 && isfinite(step)) || span_max >= 1e6 || (step < 1e-4 && v != 0)) {
        snprintf(buf, n, "%.3g", v);
        return;
    }
    int dec = step >= 1 ? 0 : (int)ceil(-log10(step) - 1e-9);
    snprintf(buf, n, "%.*f", dec < 17 ? dec : 17, v);
}

/* The ticks of an axis from lo to hi: the multiples of `step` in it, each
 * computed from its index (never by adding steps up, which stalls once the
 * step is below the values' precision), at most MAX_TICKS of them. When
 * those are not a handful of distinct numbers (a non-finite step, or a
 * range like [2^53, 2^53 + 2] whose multiples of 0.5 round together), the
 * axis gets its two ends only. Returns how many were written to ticks. */
enum { MAX_TICKS = 32 };
static int axis_ticks(double lo, double hi, double step, double *ticks) {
    double first = ceil(lo / step - 1e-9), last = floor(hi / step + 1e-6);
    double count = last - first + 1;
    int n = 0;
    if (step > 0 && isfinite(step) && count >= 1 && count <= MAX_TICKS) {
        n = (int)count;
        for (int k = 0; k < n; k++) {
            ticks[k] = (first + k) * step;
            if (!isfinite(ticks[k]) || (k > 0 && !(ticks[k] > ticks[k - 1]))) n = 0;
        }
        if (n > 0) return n;
    }
    ticks[0] = lo, ticks[1] = hi;
    return hi > lo ? 2 : 1;
}

/* lo < hi around v: a flat series still gets an axis, even where +-d is
 * below the precision of v. */
static void widen(double *lo, double *hi, double d) {
    *lo -= d, *hi += d;
    if (!(*hi > *lo)) *lo = nextafter(*lo, -INFINITY), *hi = nextafter(*hi, INFINITY);
}

/* ---------------------------------------------------------------- charts */

typedef struct {
    const char *name;
    const char *color;
    int dashed;
    int n;
    const double *xs, *ys;
} chart_series;

static const char *const PALETTE[] = { "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                       "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf" };

enum { CW = 540, ML = 64, MR = 16, MT = 30, PH = 210, PW = CW - ML - MR };

typedef struct {
    double x0, x1, y0, y1;
    int log_x;
} frame;

/* Where v lies between lo and hi, 0..1; a range as wide as [-DBL_MAX,
 * DBL_MAX], whose span overflows, is measured in halves. */
static double frac(double v, double lo, double hi) {
    double span = hi - lo;
    if (isfinite(span)) return (v - lo) / span;
    return (v * 0.5 - lo * 0.5) / (hi * 0.5 - lo * 0.5);
}

static double px(const frame *f, double x) { return ML + frac(f->log_x ? log10(x) : x, f->x0, f->x1) * PW; }
static double py(const frame *f, double y) { return MT + PH - frac(y, f->y0, f->y1) * PH; }

static int usable(const frame *f, double x, double y) { return isfinite(x) && isfinite(y) && (!f->log_x || x > 0); }

/* One series as an SVG path; breaks at non-finite values; when there are
 * far more points than pixel columns, each column keeps its first, lowest,
 * highest and last point, which draws the same picture in bounded size. */
static void put_path(lit__buf *b, const frame *f, const chart_series *s) {
    lit__buf_printf(b, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\" stroke-linejoin=\"round\"%s d=\"",
                    s->color, s->dashed ? " stroke-dasharray=\"6 3\"" : "");
    int pen_up = 1, decimate = s->n > 4 * PW;
    int col = -1;
    double c_first = 0, c_min = 0, c_max = 0, c_last = 0, c_x = 0;
#define EMIT_(X, Y)                                                               \
    do {                                                                          \
        lit__buf_printf(b, "%s%.1f %.1f", pen_up ? "M" : " L", (X), (Y));         \
        pen_up = 0;                                                               \
    } while (0)
#define FLUSH_COL_()                                                              \
    do {                                                                          \
        if (col >= 0) {                                                           \
            EMIT_(c_x, c_first);                                                  \
            if (c_min != c_first || c_max != c_first || c_last != c_first) {      \
                EMIT_(c_x, c_min);                                                \
                EMIT_(c_x, c_max);                                                \
                EMIT_(c_x, c_last);                                               \
            }                                                                     \
        }                                                                         \
        col = -1;                                                                 \
    } while (0)
    for (int i = 0; i < s->n; i++) {
        if (!usable(f, s->xs[i], s->ys[i])) {
            if (f->log_x && isfinite(s->ys[i]) && isfinite(s->xs[i])) continue; /* x <= 0: off a log axis */
            if (decimate) FLUSH_COL_();
            pen_up = 1;
            continue;
        }
        double X = px(f, s->xs[i]), Y = py(f, s->ys[i]);
        if (!decimate) {
            EMIT_(X, Y);
            continue;
        }
        int c = (int)floor(X);
        if (c != col) {
            FLUSH_COL_();
            col = c;
            c_x = X;
            c_first = c_min = c_max = Y;
        }
        if (Y < c_min) c_min = Y;
        if (Y > c_max) c_max = Y;
        c_last = Y;
    }
    if (decimate) FLUSH_COL_();
#undef FLUSH_COL_
#undef EMIT_
    lit__buf_puts(b, "\"></path>\n");
}

/* A line chart: title, grid, both axes with tick labels and labels, the
 * series, a marker per point for short series, and a legend under it. */
static void put_chart(lit__buf *b, const char *title, const char *x_label, const char *y_label, int log_x,
                      int n_ser, const chart_series *ser) {
    frame f = { .log_x = log_x };
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int k = 0; k < n_ser; k++)
        for (int i = 0; i < ser[k].n; i++) {
            double x = ser[k].xs[i], y = ser[k].ys[i];
            if (!usable(&f, x, y)) continue;
            if (log_x) x = log10(x);
            xmin = fmin(xmin, x), xmax = fmax(xmax, x);
            ymin = fmin(ymin, y), ymax = fmax(ymax, y);
        }
    int empty = !(xmin <= xmax);
    if (empty) xmin = 0, xmax = 1, ymin = 0, ymax = 1;
    if (xmax == xmin) widen(&xmin, &xmax, log_x ? 0.5 : 1);
    if (ymax == ymin) widen(&ymin, &ymax, ymin != 0 ? fabs(ymin) * 0.1 : 1);
    /* y: a loose range ending on ticks (when they are finite); x: the data's own range. */
    double ystep = nice_num(nice_num(ymax - ymin, 0) / 4, 1);
    f.y0 = floor(ymin / ystep + 1e-9) * ystep;
    f.y1 = ceil(ymax / ystep - 1e-9) * ystep;
    if (!(isfinite(f.y0) && isfinite(f.y1) && f.y1 > f.y0)) f.y0 = ymin, f.y1 = ymax;
    f.x0 = xmin, f.x1 = xmax;

    int legend_rows = (n_ser + 1) / 2;
    int height = MT + PH + 48 + legend_rows * 18 + 4;
    lit__buf_printf(b, "<div class=\"card\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                       "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
                    CW, height, CW, height);
    put_escaped(b, title);
    lit__buf_puts(b, "\">\n");
    lit__buf_printf(b, "<text class=\"title\" x=\"%d\" y=\"18\">", ML);
    put_escaped(b, title);
    lit__buf_puts(b, "</text>\n");
    lit__buf_printf(b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fbfbfc\" stroke=\"#d1d5db\"/>\n", ML,
                    MT, PW, PH);

    /* y ticks and grid */
    char lab[64];
    double ticks[MAX_TICKS];
    double yspan = fmax(fabs(f.y0), fabs(f.y1));
    int n_ticks = axis_ticks(f.y0, f.y1, ystep, ticks);
    for (int k = 0; k < n_ticks; k++) {
        double v = ticks[k];
        double Y = py(&f, v);
        fmt_tick(lab, sizeof lab, v, ystep, yspan);
        lit__buf_printf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e5e7eb\"/>", ML, Y, ML + PW, Y);
        lit__buf_printf(b, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", ML - 6, Y + 4, lab);
    }
    /* x ticks */
    if (log_x) {
        int k0 = (int)floor(f.x0 + 1e-9), k1 = (int)ceil(f.x1 - 1e-9);
        int decades_inside = 0;
        for (int k = k0; k <= k1; k++) decades_inside += k >= f.x0 - 1e-9 && k <= f.x1 + 1e-9;
        static const int mult[] = { 1, 2, 5 };
        for (int k = k0; k <= k1; k++)
            for (int m = 0; m < (decades_inside >= 2 ? 1 : 3); m++) {
                double lv = k + log10((double)mult[m]);
                if (lv < f.x0 - 1e-9 || lv > f.x1 + 1e-9) continue;
                double X = ML + frac(lv, f.x0, f.x1) * PW;
                if (k >= -3 && k <= 4) snprintf(lab, sizeof lab, "%g", mult[m] * pow(10.0, k));
                else if (mult[m] == 1) snprintf(lab, sizeof lab, "1e%d", k);
                else snprintf(lab, sizeof lab, "%de%d", mult[m], k);
                lit__buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e5e7eb\"/>", X, MT, X,
                                MT + PH);
                lit__buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", X, MT + PH + 16, lab);
            }
    } else {
        double xstep = nice_num(nice_num(f.x1 - f.x0, 0) / 5, 1);
        double xspan = fmax(fabs(f.x0), fabs(f.x1));
        n_ticks = axis_ticks(f.x0, f.x1, xstep, ticks);
        for (int k = 0; k < n_ticks; k++) {
            double v = ticks[k];
            double X = px(&f, v);
            fmt_tick(lab, sizeof lab, v, xstep, xspan);
            lit__buf_printf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e5e7eb\"/>", X, MT, X,
                            MT + PH);
            lit__buf_printf(b, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n", X, MT + PH + 16, lab);
        }
    }
    /* axes and their labels */
    lit__buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#6b7280\"/>", ML, MT + PH, ML + PW,
                    MT + PH);
    lit__buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#6b7280\"/>\n", ML, MT, ML, MT + PH);
    lit__buf_printf(b, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">", ML + PW / 2, MT + PH + 34);
    put_escaped(b, x_label && *x_label ? x_label : "x");
    lit__buf_puts(b, "</text>\n");
    lit__buf_printf(b, "<text class=\"axis\" x=\"14\" y=\"%d\" text-anchor=\"middle\" transform=\"rotate(-90 14 %d)\">",
                    MT + PH / 2, MT + PH / 2);
    put_escaped(b, y_label && *y_label ? y_label : "y");
    lit__buf_puts(b, "</text>\n");
    if (empty)
        lit__buf_printf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">no finite values yet</text>\n",
                        ML + PW / 2, MT + PH / 2);

    /* series, then markers on top */
    for (int k = 0; k < n_ser; k++) put_path(b, &f, &ser[k]);
    for (int k = 0; k < n_ser; k++) {
        int shown = 0;
        for (int i = 0; i < ser[k].n; i++) shown += usable(&f, ser[k].xs[i], ser[k].ys[i]);
        if (shown > 60) continue; /* a dense line needs no dots */
        for (int i = 0; i < ser[k].n; i++)
            if (usable(&f, ser[k].xs[i], ser[k].ys[i]))
                lit__buf_printf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.6\" fill=\"%s\"/>", px(&f, ser[k].xs[i]),
                                py(&f, ser[k].ys[i]), ser[k].color);
        lit__buf_putc(b, '\n');
    }
    /* legend: two columns under the x label */
    for (int k = 0; k < n_ser; k++) {
        int X = ML + (k % 2) * (PW / 2), Y = MT + PH + 52 + (k / 2) * 18;
        lit__buf_printf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"%s/>", X,
                        Y - 4, X + 22, Y - 4, ser[k].color, ser[k].dashed ? " stroke-dasharray=\"6 3\"" : "");
        lit__buf_printf(b, "<text class=\"legend\" x=\"%d\" y=\"%d\">", X + 28, Y);
        put_escaped(b, ser[k].name);
        lit__buf_puts(b, "</text>\n");
    }
    lit__buf_puts(b, "</svg></div>\n");
}

/* ---------------------------------------------------------------- the page */

static int cmp_point(const void *a, const void *b) {
    const point *p = a, *q = b;
    if (p->step != q->step) return p->step < q->step ? -1 : 1;
    return p->seq < q->seq ? -1 : p->seq > q->seq;
}

static void put_status(lit__buf *b, const char *status) {
    static const char *const known[] = { "running", "success", "failed", "interrupted" };
    const char *cls = "other";
    for (size_t i = 0; i < sizeof known / sizeof *known; i++)
        if (!strcmp(status, known[i])) cls = known[i];
    lit__buf_printf(b, "<span class=\"status %s\">", cls);
    put_escaped(b, status);
    lit__buf_puts(b, "</span>");
}

static void put_kv_table(lit__buf *b, const char *caption, const kv_list *l) {
    lit__buf_puts(b, "<table class=\"kv\"><caption>");
    put_escaped(b, caption);
    lit__buf_puts(b, "</caption>\n");
    if (l->n == 0) lit__buf_puts(b, "<tr><td class=\"none\">(none)</td></tr>\n");
    for (int i = 0; i < l->n; i++) {
        lit__buf_puts(b, "<tr><th>");
        put_escaped(b, l->rows[i].key);
        lit__buf_puts(b, "</th><td>");
        put_escaped(b, l->rows[i].value);
        lit__buf_puts(b, "</td></tr>\n");
    }
    lit__buf_puts(b, "</table>\n");
}

/* A number cell: short text for people, the exact value for scripts. */
static void put_num_cell(lit__buf *b, double v) {
    char s[64], full[64];
    fmt_short(s, sizeof s, v);
    lit__format_pyfloat(full, sizeof full, v);
    lit__buf_printf(b, "<td class=\"num\" data-value=\"%s\">%s</td>", full, s);
}

static const char CSS[] =
    "body{font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"DejaVu Sans\",sans-serif;margin:0;"
    "background:#f4f5f7;color:#1f2937}\n"
    "main{max-width:1160px;margin:0 auto;padding:14px 18px 32px}\n"
    "h1{font-size:22px;margin:4px 0 4px}h1 .status{margin-left:10px}\n"
    "h2{font-size:15px;margin:20px 0 8px;color:#374151;text-transform:uppercase;letter-spacing:.04em}\n"
    ".status{display:inline-block;padding:1px 10px;border-radius:10px;color:#fff;font-size:13px;font-weight:600;"
    "vertical-align:middle}\n"
    ".running{background:#2563eb}.success{background:#16a34a}.failed{background:#dc2626}"
    ".interrupted{background:#d97706}.other{background:#6b7280}\n"
    ".meta{color:#6b7280;font-size:13px;margin:0}\n"
    ".row{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}\n"
    "table{border-collapse:collapse;background:#fff;border:1px solid #e5e7eb;font-size:13px}\n"
    "caption{text-align:left;font-weight:600;padding:0 0 4px;color:#4b5563}\n"
    "th,td{padding:3px 10px;border-bottom:1px solid #eef0f3;text-align:left;vertical-align:top}\n"
    "thead th{background:#f9fafb;color:#4b5563}\n"
    "td.num{text-align:right;font-family:ui-monospace,\"DejaVu Sans Mono\",monospace}\n"
    "td.none{color:#9ca3af}\n"
    ".card{background:#fff;border:1px solid #e5e7eb;border-radius:6px}\n"
    "svg{display:block}svg text{font-size:11px;fill:#4b5563}\n"
    "svg text.title{font-size:13px;font-weight:600;fill:#111827}svg text.axis{font-size:12px;fill:#374151}\n"
    "svg text.legend{font-size:11.5px;fill:#1f2937}\n";

static void fmt_elapsed(char *buf, size_t n, double s) {
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh %02ldm %02lds", t / 3600, t / 60 % 60, t % 60);
    else if (t >= 60) snprintf(buf, n, "%ldm %02lds", t / 60, t % 60);
    else snprintf(buf, n, "%.1fs", s);
}

static lit_status render(html_state *st, lit__buf *b) {
    char tmp[128];
    lit__buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n");
    lit__buf_printf(b, "<!-- litc report write %d -->\n", st->n_writes + 1);
    if (st->reload_secs > 0 && !strcmp(st->status, "running"))
        lit__buf_printf(b, "<meta http-equiv=\"refresh\" content=\"%d\">\n", st->reload_secs);
    lit__buf_puts(b, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    put_escaped(b, st->title);
    lit__buf_puts(b, "</title>\n<style>\n");
    lit__buf_puts(b, CSS);
    lit__buf_puts(b, "</style></head>\n<body><main>\n<h1>");
    put_escaped(b, st->title);
    put_status(b, st->status);
    lit__buf_puts(b, "</h1>\n<p class=\"meta\">");
    time_t now = time(NULL);
    struct tm tm;
    if (localtime_r(&now, &tm) && strftime(tmp, sizeof tmp, "%Y-%m-%d %H:%M:%S", &tm))
        lit__buf_printf(b, "updated %s &middot; ", tmp);
    fmt_elapsed(tmp, sizeof tmp, lit_time_now() - st->t_start);
    lit__buf_printf(b, "elapsed %s", tmp);
    if (!isnan(st->epoch)) lit__buf_printf(b, " &middot; epoch %.0f", st->epoch);
    if (st->seq > 0) lit__buf_printf(b, " &middot; step %lld", (long long)st->last_step);
    if (st->path) {
        lit__buf_puts(b, " &middot; ");
        put_escaped(b, st->path);
    }
    lit__buf_puts(b, " &middot; litc " LIT_VERSION_STRING "</p>\n");

    /* config */
    lit__buf_puts(b, "<h2>Run config</h2>\n<div class=\"row\">\n");
    put_kv_table(b, "Hyperparameters", &st->hparams);
    put_kv_table(b, "Info", &st->info);
    lit__buf_puts(b, "</div>\n");

    /* summary */
    lit__buf_puts(b, "<h2>Metrics</h2>\n<table class=\"summary\"><thead><tr><th>metric</th><th>last</th>"
                     "<th>at step</th><th>best</th><th>at step</th><th>best is</th><th>points</th></tr></thead>\n");
    if (st->n_ser == 0) lit__buf_puts(b, "<tr><td class=\"none\" colspan=\"7\">nothing logged yet</td></tr>\n");
    for (int k = 0; k < st->n_ser; k++) {
        const series *s = &st->ser[k];
        int mode = best_mode(s->name);
        /* last = the last arrival (what the Trainer logged most recently). */
        const point *last = &s->pts[s->n - 1];
        const point *best = NULL;
        for (int i = 0; i < s->n; i++) {
            const point *p = &s->pts[i];
            if (mode == 0) best = p;
            else if (isfinite(p->v) && (!best || (mode < 0 ? p->v < best->v : p->v > best->v))) best = p;
        }
        lit__buf_puts(b, "<tr><th>");
        put_escaped(b, s->name);
        lit__buf_puts(b, "</th>");
        put_num_cell(b, last->v);
        lit__buf_printf(b, "<td class=\"num\">%lld</td>", (long long)last->step);
        if (best) {
            put_num_cell(b, best->v);
            lit__buf_printf(b, "<td class=\"num\">%lld</td>", (long long)best->step);
        } else {
            lit__buf_puts(b, "<td class=\"none\">-</td><td class=\"none\">-</td>");
        }
        lit__buf_printf(b, "<td>%s</td><td class=\"num\">%d</td></tr>\n", mode < 0 ? "min" : mode > 0 ? "max" : "last",
                        s->n);
    }
    lit__buf_puts(b, "</table>\n");

    /* one chart per group, in order of first appearance */
    lit__buf_puts(b, "<h2>Charts</h2>\n<div class=\"row\">\n");
    int *done = calloc((size_t)(st->n_ser ? st->n_ser : 1), sizeof *done);
    chart_series *cs = calloc((size_t)(st->n_ser ? st->n_ser : 1), sizeof *cs);
    double **bufs = calloc((size_t)(st->n_ser ? st->n_ser : 1) * 2, sizeof *bufs);
    lit_status rc = done && cs && bufs ? LIT_OK : lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
    for (int k = 0; rc >= 0 && k < st->n_ser; k++) {
        if (done[k]) continue;
        int m = 0;
        for (int j = k; rc >= 0 && j < st->n_ser; j++) {
            const series *s = &st->ser[j];
            if (done[j] || strcmp(s->group, st->ser[k].group) != 0) continue;
            done[j] = 1;
            point *sorted = malloc((size_t)s->n * sizeof *sorted);
            double *xs = malloc((size_t)s->n * sizeof *xs), *ys = malloc((size_t)s->n * sizeof *ys);
            bufs[2 * j] = xs, bufs[2 * j + 1] = ys;
            if (!sorted || !xs || !ys) {
                free(sorted);
                rc = lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
                break;
            }
            /* x = step: draw in step order (a resumed or repeated run may
             * log an earlier step after a later one). */
            memcpy(sorted, s->pts, (size_t)s->n * sizeof *sorted);
            qsort(sorted, (size_t)s->n, sizeof *sorted, cmp_point);
            for (int i = 0; i < s->n; i++) xs[i] = (double)sorted[i].step, ys[i] = sorted[i].v;
            free(sorted);
            cs[m] = (chart_series){ .name = s->name, .color = PALETTE[m % 10],
                                    .dashed = starts_with(s->name, "val") || starts_with(s->name, "test"),
                                    .n = s->n, .xs = xs, .ys = ys };
            m++;
        }
        if (rc >= 0) put_chart(b, st->ser[k].group, "step", st->ser[k].group, 0, m, cs);
    }
    if (bufs)
        for (int j = 0; j < 2 * st->n_ser; j++) free(bufs[j]);
    free(bufs);
    free(cs);
    free(done);
    if (rc < 0) return rc;
    if (st->n_ser == 0) lit__buf_puts(b, "<p class=\"meta\">no metrics logged yet</p>\n");
    lit__buf_puts(b, "</div>\n");

    if (st->n_curves) {
        lit__buf_puts(b, "<h2>Curves</h2>\n<div class=\"row\">\n");
        for (int k = 0; k < st->n_curves; k++) {
            const curve *c = &st->curves[k];
            chart_series one = { .name = c->y_label && *c->y_label ? c->y_label : c->title, .color = PALETTE[0],
                                 .n = c->n, .xs = c->xs, .ys = c->ys };
            put_chart(b, c->title, c->x_label, c->y_label, c->log_x, 1, &one);
        }
        lit__buf_puts(b, "</div>\n");
    }
    lit__buf_puts(b, "</main></body></html>\n");
    return b->failed ? lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory building the page") : LIT_OK;
}

/* ---------------------------------------------------------------- files */

static lit_status resolve_path(html_state *st, int make_dir) {
    const char *dir;
    if (st->use_other) {
        dir = st->other.log_dir ? st->other.log_dir(&st->other) : NULL;
        if (!dir)
            return lit_set_error(LIT_ERR_STATE, WHO ": log_dir_of logger %s has no log_dir",
                                 st->other.name ? st->other.name : "?");
        if (make_dir) LIT_TRY(lit__mkdirs(dir, WHO));
    } else {
        LIT_TRY(make_dir ? lit__logdir_ensure(&st->dir, WHO) : lit__logdir_resolve(&st->dir));
        dir = st->dir.log_dir;
    }
    if (!st->path) {
        st->path = lit__path_join(dir, st->file_name);
        if (!st->path) return lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
    }
    return LIT_OK;
}

static lit_status write_now(html_state *st) {
    LIT_TRY(resolve_path(st, 1));
    lit__buf b = { 0 };
    lit_status rc = render(st, &b);
    if (rc >= 0) rc = lit__write_file_atomic(st->path, b.data, b.len, WHO);
    lit__buf_free(&b);
    if (rc < 0) return rc;
    st->n_writes++;
    st->dirty = st->urgent = 0;
    st->written_epoch = st->epoch;
    st->t_last_write = lit_time_now();
    return LIT_OK;
}

/* ---------------------------------------------------------------- vtable */

static lit_status html_log_hyperparams(lit_logger *lg, int n, const lit_logger_hparam *hp) {
    html_state *st = lg->user;
    for (int i = 0; i < n; i++) {
        char v[64];
        const char *s = v;
        if (hp[i].kind == 0) snprintf(v, sizeof v, "%lld", (long long)hp[i].i);
        else if (hp[i].kind == 1) lit__format_pyfloat(v, sizeof v, hp[i].d);
        else s = hp[i].s ? hp[i].s : "";
        LIT_TRY(kv_set(&st->hparams, hp[i].name ? hp[i].name : "?", s));
    }
    /* A new fit/validate/test on the same logger: running again. */
    snprintf(st->status, sizeof st->status, "running");
    st->dirty = 1;
    return LIT_OK;
}

static series *find_series(html_state *st, const char *name) {
    for (int k = 0; k < st->n_ser; k++)
        if (!strcmp(st->ser[k].name, name)) return &st->ser[k];
    if (st->n_ser == st->cap_ser) {
        int cap = st->cap_ser ? 2 * st->cap_ser : 16;
        series *s = realloc(st->ser, (size_t)cap * sizeof *s);
        if (!s) return NULL;
        st->ser = s;
        st->cap_ser = cap;
    }
    series *s = &st->ser[st->n_ser];
    memset(s, 0, sizeof *s);
    s->name = lit__strdup(name);
    s->group = group_of(name);
    if (!s->name || !s->group) {
        free(s->name);
        free(s->group);
        return NULL;
    }
    st->n_ser++;
    return s;
}

static lit_status html_log_metrics(lit_logger *lg, int n, const char *const *names, const double *values,
                                   int64_t step) {
    html_state *st = lg->user;
    if (strcmp(st->status, "running") != 0) snprintf(st->status, sizeof st->status, "running");
    for (int i = 0; i < n; i++) {
        if (!strcmp(names[i], "epoch")) {
            /* Shown in the header and used by rule 3; not a chart. */
            st->epoch = values[i];
            continue;
        }
        series *s = find_series(st, names[i]);
        if (!s) return lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
        if (s->n == s->cap) {
            int cap = s->cap ? 2 * s->cap : 64;
            point *p = realloc(s->pts, (size_t)cap * sizeof *p);
            if (!p) return lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
            s->pts = p;
            s->cap = cap;
        }
        s->pts[s->n++] = (point){ .step = step, .v = values[i], .seq = st->seq };
        if (is_epoch_level(names[i])) st->urgent = 1;
    }
    st->seq++;
    st->last_step = step;
    st->dirty = 1;
    return LIT_OK;
}

static lit_status html_save(lit_logger *lg) {
    html_state *st = lg->user;
    if (!st->dirty) return LIT_OK;
    int epoch_changed = isnan(st->epoch) != isnan(st->written_epoch) ||
                        (!isnan(st->epoch) && st->epoch != st->written_epoch);
    int stale = st->refresh_secs > 0 && lit_time_now() - st->t_last_write >= st->refresh_secs;
    if (st->n_writes == 0 || st->urgent || epoch_changed || stale) return write_now(st);
    return LIT_OK;
}

static lit_status html_finalize(lit_logger *lg, const char *status) {
    html_state *st = lg->user;
    snprintf(st->status, sizeof st->status, "%s", status && *status ? status : "finished");
    return write_now(st);
}

static int64_t html_version_number(lit_logger *lg) {
    html_state *st = lg->user;
    if (st->use_other) return st->other.version_number ? st->other.version_number(&st->other) : -1;
    return lit__logdir_version_number(&st->dir);
}

static const char *html_log_dir(lit_logger *lg) {
    html_state *st = lg->user;
    if (st->use_other) return st->other.log_dir ? st->other.log_dir(&st->other) : NULL;
    return lit__logdir_path(&st->dir);
}

static void html_free(lit_logger *lg) {
    html_state *st = lg->user;
    if (!st) return;
    lit__logdir_free(&st->dir);
    free(st->file_name);
    free(st->title);
    free(st->path);
    kv_free(&st->hparams);
    kv_free(&st->info);
    for (int k = 0; k < st->n_ser; k++) {
        free(st->ser[k].name);
        free(st->ser[k].group);
        free(st->ser[k].pts);
    }
    free(st->ser);
    for (int k = 0; k < st->n_curves; k++) {
        curve *c = &st->curves[k];
        free(c->title), free(c->x_label), free(c->y_label), free(c->xs), free(c->ys);
    }
    free(st->curves);
    free(st);
    lg->user = NULL;
}

/* ---------------------------------------------------------------- public */

lit_html_report_params lit_html_report_default_params(void) {
    return (lit_html_report_params){ .name = "lightning_logs", .version = -1, .file_name = "report.html",
                                     .title = "litc run report", .refresh_secs = 60, .reload_secs = 30 };
}

lit_status lit_html_report_logger(lit_logger *lg, const lit_html_report_params *p) {
    LIT_ASSERT(lg && p, "lit_html_report_logger: NULL logger or params");
    memset(lg, 0, sizeof *lg);
    if (!p->log_dir_of && (!p->save_dir || !*p->save_dir))
        return lit_set_error(LIT_ERR_CONFIG, WHO ": save_dir is required (or log_dir_of)");
    if (p->file_name && (!*p->file_name || strchr(p->file_name, '/')))
        return lit_set_error(LIT_ERR_CONFIG, WHO ": file_name \"%s\" must be a plain file name", p->file_name);
    html_state *st = calloc(1, sizeof *st);
    if (!st) return lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
    lit_status rc = LIT_OK;
    if (p->log_dir_of) {
        st->use_other = 1;
        st->other = *p->log_dir_of;
    } else {
        rc = lit__logdir_init(&st->dir, WHO, p->save_dir, p->name ? p->name : "lightning_logs", p->version,
                              p->version_name, NULL);
    }
    st->file_name = lit__strdup(p->file_name ? p->file_name : "report.html");
    st->title = lit__strdup(p->title ? p->title : "litc run report");
    if (rc >= 0 && (!st->file_name || !st->title)) rc = lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
    if (rc < 0) {
        free(st->file_name);
        free(st->title);
        if (!st->use_other) lit__logdir_free(&st->dir);
        free(st);
        return rc;
    }
    st->refresh_secs = p->refresh_secs;
    st->reload_secs = p->reload_secs < 0 ? 0 : p->reload_secs;
    snprintf(st->status, sizeof st->status, "running");
    st->epoch = st->written_epoch = NAN;
    st->t_start = st->t_last_write = lit_time_now();
    *lg = (lit_logger){ .version = LIT_LOGGER_VERSION, .name = "HTMLReport", .user = st,
                        .log_hyperparams = html_log_hyperparams, .log_metrics = html_log_metrics,
                        .save = html_save, .finalize = html_finalize, .version_number = html_version_number,
                        .log_dir = html_log_dir, .free = html_free };
    return LIT_OK;
}

lit_status lit_html_report_add_info(lit_logger *lg, const char *key, const char *value) {
    html_state *st = state_of(lg);
    if (!st || !key || !value)
        return lit_set_error(LIT_ERR_INVALID_ARG, "lit_html_report_add_info: needs an HTML report logger, a key and a value");
    LIT_TRY(kv_set(&st->info, key, value));
    st->dirty = st->urgent = 1;
    return LIT_OK;
}

lit_status lit_html_report_add_curve(lit_logger *lg, const char *title, const char *x_label, const char *y_label,
                                     int n, const double *xs, const double *ys, int log_x) {
    html_state *st = state_of(lg);
    if (!st || !title || n < 0 || (n > 0 && (!xs || !ys)))
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "lit_html_report_add_curve: needs an HTML report logger, a title, n >= 0 and xs/ys");
    curve c = { .title = lit__strdup(title), .x_label = lit__strdup(x_label ? x_label : ""),
                .y_label = lit__strdup(y_label ? y_label : ""), .n = n, .log_x = log_x != 0,
                .xs = malloc((size_t)(n ? n : 1) * sizeof(double)), .ys = malloc((size_t)(n ? n : 1) * sizeof(double)) };
    curve *slot = NULL;
    for (int k = 0; k < st->n_curves; k++)
        if (!strcmp(st->curves[k].title, title)) slot = &st->curves[k];
    if (!slot && st->n_curves == st->cap_curves) {
        int cap = st->cap_curves ? 2 * st->cap_curves : 4;
        curve *cc = realloc(st->curves, (size_t)cap * sizeof *cc);
        if (cc) st->curves = cc, st->cap_curves = cap;
    }
    if (!c.title || !c.x_label || !c.y_label || !c.xs || !c.ys || (!slot && st->n_curves == st->cap_curves)) {
        free(c.title), free(c.x_label), free(c.y_label), free(c.xs), free(c.ys);
        return lit_set_error(LIT_ERR_NOMEM, WHO ": out of memory");
    }
    if (n) memcpy(c.xs, xs, (size_t)n * sizeof *xs), memcpy(c.ys, ys, (size_t)n * sizeof *ys);
    if (slot) {
        free(slot->title), free(slot->x_label), free(slot->y_label), free(slot->xs), free(slot->ys);
        *slot = c;
    } else {
        st->curves[st->n_curves++] = c;
    }
    st->dirty = st->urgent = 1;
    return LIT_OK;
}

lit_status lit_html_report_write(lit_logger *lg) {
    html_state *st = state_of(lg);
    if (!st) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_html_report_write: not an HTML report logger");
    return write_now(st);
}

const char *lit_html_report_file(lit_logger *lg) {
    html_state *st = state_of(lg);
    if (!st || resolve_path(st, 0) < 0) return NULL;
    return st->path;
}
