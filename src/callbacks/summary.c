/*
 * Model summary table (Lightning's ModelSummary) over a parameter store's
 * dotted names. See include/litc/summary.h.
 */
#include "litc/summary.h"

#include "litc/core.h"
#include "litc/nn.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- string builder */

typedef struct {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...) {
    if (b->oom) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) { b->oom = 1; return; }
    if (b->len + (size_t)k + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + (size_t)k + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = nc;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
}

static void sb_pad(sbuf *b, const char *s, int width) {
    sb_printf(b, "%-*s", width, s);
}

/* "1234567" -> "1,234,567" (Python's {:,d} on the digits of s, sign kept). */
static void add_commas(char *out, size_t n, const char *digits) {
    const char *d = digits;
    char tmp[96];
    size_t o = 0;
    if (*d == '-') tmp[o++] = *d++;
    const char *dot = strchr(d, '.');
    size_t intlen = dot ? (size_t)(dot - d) : strlen(d);
    for (size_t i = 0; i < intlen && o < sizeof tmp - 2; i++) {
        if (i > 0 && (intlen - i) % 3 == 0) tmp[o++] = ',';
        tmp[o++] = d[i];
    }
    tmp[o] = 0;
    snprintf(out, n, "%s%s", tmp, dot ? dot : "");
}

/* ---------------------------------------------------------------- counts */

char *lit_human_readable_count(char *buf, size_t n, int64_t count) {
    static const char *const labels[] = {" ", "K", "M", "B", "T"};
    LIT_ASSERT(count >= 0, "lit_human_readable_count: count is %lld; pass a count >= 0", (long long)count);
    if (!buf || n == 0) return buf;
    int digits = 1;
    for (int64_t c = count; c >= 10; c /= 10) digits++;
    int groups = (digits + 2) / 3;
    if (groups > 5) groups = 5;
    int index = groups - 1;
    char num[96], tmp[64];
    if (index == 0) {
        snprintf(num, sizeof num, "%lld", (long long)count);
    } else {
        double x = (double)count * pow(10.0, -3.0 * index);
        if (x >= 100) {
            snprintf(tmp, sizeof tmp, "%.0f", floor(x));
            add_commas(num, sizeof num, tmp);
        } else {
            snprintf(num, sizeof num, "%.1f", x);
        }
    }
    snprintf(buf, n, "%s %s", num, labels[index]);
    return buf;
}

/* ---------------------------------------------------------------- table */

typedef struct {
    char *name;
    int parent;
    int64_t params;
} row;

typedef struct {
    row *rows;
    int n, cap;
    int oom;
} rowset;

static int find_or_add(rowset *rs, const char *name, size_t len, int parent) {
    for (int i = 0; i < rs->n; i++)
        if (strlen(rs->rows[i].name) == len && memcmp(rs->rows[i].name, name, len) == 0) return i;
    if (rs->n == rs->cap) {
        int nc = rs->cap ? rs->cap * 2 : 16;
        row *nr = realloc(rs->rows, (size_t)nc * sizeof *nr);
        if (!nr) { rs->oom = 1; return -1; }
        rs->rows = nr;
        rs->cap = nc;
    }
    char *copy = malloc(len + 1);
    if (!copy) { rs->oom = 1; return -1; }
    memcpy(copy, name, len);
    copy[len] = 0;
    rs->rows[rs->n] = (row){copy, parent, 0};
    return rs->n++;
}

/* Tree order: each row followed by its descendants, siblings in first-seen order. */
static void tree_order(const rowset *rs, int parent, int *order, int *k) {
    for (int i = 0; i < rs->n; i++) {
        if (rs->rows[i].parent != parent) continue;
        order[(*k)++] = i;
        tree_order(rs, i, order, k);
    }
}

#define NCOLS 5

/* A row's Type cell: the recorded class name, else "Module" (see summary.h). */
static const char *type_of(const lit_param_store *ps, const char *name) {
    const char *t = lit_param_store_module_type(ps, name);
    return t ? t : "Module";
}

static char *build(const lit_param_store *ps, int max_depth) {
    LIT_ASSERT(ps != NULL, "lit_model_summary: parameter store is NULL");
    LIT_ASSERT(max_depth >= -1, "lit_model_summary: max_depth is %d; pass -1 (all), 0 (none) or > 0", max_depth);
    rowset rs = {0};
    int64_t other = 0, n_other = 0;
    int len = lit_param_store_len(ps);
    for (int i = 0; i < len && !rs.oom; i++) {
        const char *name = lit_param_store_name(ps, i);
        const lit_tensor *t = lit_param_store_tensor(ps, i);
        int is_param = !lit_param_store_is_buffer(ps, i);
        int64_t numel = is_param ? t->numel : 0;
        const char *last_dot = strrchr(name, '.');
        if (!last_dot) {
            if (is_param) {
                other += numel;
                n_other++;
            }
            continue;
        }
        /* Each prefix ending at a '.' up to the module path (name minus last component). */
        int parent = -1, depth = 0;
        for (const char *c = name; c <= last_dot && !rs.oom; c++) {
            if (*c != '.') continue;
            depth++;
            if (max_depth >= 0 && depth > max_depth) break;
            int r = find_or_add(&rs, name, (size_t)(c - name), parent);
            if (r < 0) break;
            rs.rows[r].params += numel;
            parent = r;
        }
    }

    int *order = rs.oom ? NULL : malloc((size_t)(rs.n > 0 ? rs.n : 1) * sizeof *order);
    int n_rows = 0;
    if (order) tree_order(&rs, -1, order, &n_rows);
    int has_other = n_other > 0 && max_depth != 0;
    int total_rows = n_rows + has_other;

    /* Cells. */
    static const char *const headers[NCOLS] = {" ", "Name", "Type", "Params", "Mode"};
    const char *mode = lit_param_store_is_training(ps) ? "train" : "eval";
    char **cells = order ? calloc((size_t)(total_rows > 0 ? total_rows : 1) * NCOLS, sizeof *cells) : NULL;
    int ok = cells != NULL;
    for (int r = 0; ok && r < total_rows; r++) {
        char idx[32], p1[64];
        const char *name, *type, *md;
        if (r < n_rows) {
            const row *w = &rs.rows[order[r]];
            snprintf(idx, sizeof idx, "%d", r);
            name = w->name;
            type = type_of(ps, w->name);
            lit_human_readable_count(p1, sizeof p1, w->params);
            md = mode;
        } else {
            snprintf(idx, sizeof idx, " ");
            name = "other params";
            type = "n/a";
            lit_human_readable_count(p1, sizeof p1, other);
            md = "n/a";
        }
        const char *vals[NCOLS] = {idx, name, type, p1, md};
        for (int c = 0; c < NCOLS; c++) {
            cells[r * NCOLS + c] = strdup(vals[c]);
            if (!cells[r * NCOLS + c]) ok = 0;
        }
    }

    sbuf b = {0};
    if (ok) {
        int widths[NCOLS], total_width = 0;
        for (int c = 0; c < NCOLS; c++) {
            int w = (int)strlen(headers[c]);
            for (int r = 0; r < total_rows; r++) {
                int l = (int)strlen(cells[r * NCOLS + c]);
                if (l > w) w = l;
            }
            widths[c] = w;
            total_width += w;
        }
        total_width += 3 * (NCOLS + 1); /* Lightning's: sum(widths) + 3 * (1 + len(cols)) */
        for (int c = 0; c < NCOLS; c++) {
            if (c) sb_printf(&b, " | ");
            sb_pad(&b, headers[c], widths[c]);
        }
        sb_printf(&b, "\n");
        for (int i = 0; i < total_width; i++) sb_printf(&b, "-");
        for (int r = 0; r < total_rows; r++) {
            sb_printf(&b, "\n");
            for (int c = 0; c < NCOLS; c++) {
                if (c) sb_printf(&b, " | ");
                sb_pad(&b, cells[r * NCOLS + c], widths[c]);
            }
        }
        sb_printf(&b, "\n");
        for (int i = 0; i < total_width; i++) sb_printf(&b, "-");

        int64_t total = lit_param_store_count_params(ps, 0);
        int64_t trainable = lit_param_store_count_params(ps, 1);
        char h[64], sz[64], szc[96];
        sb_printf(&b, "\n%-10s%s", lit_human_readable_count(h, sizeof h, trainable), "Trainable params");
        sb_printf(&b, "\n%-10s%s", lit_human_readable_count(h, sizeof h, total - trainable), "Non-trainable params");
        sb_printf(&b, "\n%-10s%s", lit_human_readable_count(h, sizeof h, total), "Total params");
        double mb = (double)total * (4.0 * 1e-6);
        snprintf(sz, sizeof sz, "%.3f", mb);
        add_commas(szc, sizeof szc, sz);
        sb_printf(&b, "\n%-10s%s\n", szc, "Total estimated model params size (MB)");
    }

    if (cells)
        for (int i = 0; i < total_rows * NCOLS; i++) free(cells[i]);
    free(cells);
    free(order);
    for (int i = 0; i < rs.n; i++) free(rs.rows[i].name);
    free(rs.rows);
    if (!ok || b.oom || !b.s) {
        free(b.s);
        lit_set_error(LIT_ERR_NOMEM, "lit_model_summary: out of memory building the table");
        return NULL;
    }
    return b.s;
}

char *lit_model_summary_str(const lit_param_store *ps, int max_depth) { return build(ps, max_depth); }

size_t lit_model_summary_format(char *buf, size_t n, const lit_param_store *ps, int max_depth) {
    char *s = build(ps, max_depth);
    if (!s) {
        if (buf && n) buf[0] = 0;
        return 0;
    }
    size_t len = strlen(s);
    if (buf && n) snprintf(buf, n, "%s", s);
    free(s);
    return len;
}

lit_status lit_model_summary_print(FILE *out, const lit_param_store *ps, int max_depth) {
    char *s = build(ps, max_depth);
    if (!s) return LIT_ERR_NOMEM;
    if (!out) out = stdout;
    int bad = fputs(s, out) < 0 || fflush(out) != 0;
    free(s);
    if (bad) return lit_set_error(LIT_ERR_IO, "lit_model_summary_print: writing the summary failed");
    return LIT_OK;
}
