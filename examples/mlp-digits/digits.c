/* CSV reader for the digits data (format in digits.h). */
#include "digits.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELDS (MLP_DIGITS_FEATURES + 1)
#define LINE_MAX_BYTES 4096 /* a valid line is at most 65 * 3 bytes */

/* Parse one line into pixels and label; returns 0 or sets the error. */
static lit_status parse_line(const char *path, long lineno, char *line, float *px, int64_t *label) {
    char *p = line;
    for (int f = 0; f < FIELDS; f++) {
        while (*p == ' ' || *p == '\t') p++;
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno != 0) {
            return lit_set_error(LIT_ERR_DATA,
                                 "%s:%ld: field %d is not a number; expected %d comma-separated values "
                                 "(64 pixels and a label)",
                                 path, lineno, f + 1, FIELDS);
        }
        p = end;
        while (*p == ' ' || *p == '\t') p++;
        if (f < FIELDS - 1) {
            if (*p != ',')
                return lit_set_error(LIT_ERR_DATA, "%s:%ld: found %d values; expected %d (64 pixels and a label)",
                                     path, lineno, f + 1, FIELDS);
            p++;
        }
        /* Range first (NaN fails it), so the integer test below is defined. */
        int is_pixel = f < MLP_DIGITS_FEATURES;
        double hi = is_pixel ? MLP_DIGITS_PIXEL_MAX : MLP_DIGITS_CLASSES - 1;
        if (!(v >= 0 && v <= hi)) {
            if (is_pixel)
                return lit_set_error(LIT_ERR_DATA, "%s:%ld: pixel %d is %g; pixels are in 0..%d", path, lineno,
                                     f + 1, v, MLP_DIGITS_PIXEL_MAX);
            return lit_set_error(LIT_ERR_DATA, "%s:%ld: label is %g; labels are in 0..%d", path, lineno, v,
                                 MLP_DIGITS_CLASSES - 1);
        }
        if (v != (double)(int)v)
            return lit_set_error(LIT_ERR_DATA, "%s:%ld: field %d is %g; the digits data holds integers", path,
                                 lineno, f + 1, v);
        if (is_pixel) {
            px[f] = (float)v;
        } else {
            *label = (int64_t)v;
        }
    }
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
    if (*p)
        return lit_set_error(LIT_ERR_DATA, "%s:%ld: more than %d values; expected 64 pixels and a label", path,
                             lineno, FIELDS);
    return LIT_OK;
}

static int is_blank(const char *s) {
    for (; *s; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') return 0;
    return 1;
}

/* Append room for one more sample, doubling the arrays. */
static lit_status grow(mlp_digits_data *d, int64_t *cap) {
    if (d->n < *cap) return LIT_OK;
    int64_t nc = *cap ? *cap * 2 : 2048;
    float *x = realloc(d->x, (size_t)nc * MLP_DIGITS_FEATURES * sizeof *x);
    if (!x) return lit_set_error(LIT_ERR_NOMEM, "digits: out of memory for %lld samples", (long long)nc);
    d->x = x;
    int64_t *y = realloc(d->y, (size_t)nc * sizeof *y);
    if (!y) return lit_set_error(LIT_ERR_NOMEM, "digits: out of memory for %lld samples", (long long)nc);
    d->y = y;
    *cap = nc;
    return LIT_OK;
}

/* How read_line ended. */
typedef enum { LINE_OK, LINE_EOF, LINE_TOO_LONG, LINE_BINARY } line_status;

/* One line, without its '\n', into line[cap]; a line longer than cap - 1
 * bytes or holding a NUL byte (binary data, such as a file of zeros) stops
 * the reader instead of being skipped as blank. */
static line_status read_line(FILE *f, char *line, size_t cap) {
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (c == 0) return LINE_BINARY;
        if (n + 1 == cap) return LINE_TOO_LONG;
        line[n++] = (char)c;
    }
    line[n] = 0;
    return c == EOF && n == 0 ? LINE_EOF : LINE_OK;
}

lit_status mlp_digits_load(const char *path, mlp_digits_data *out) {
    memset(out, 0, sizeof *out);
    FILE *f;
    /* Only a regular file: /dev/zero or a FIFO would stream (or block) forever. */
    if (lit_file_open_read(&f, path, "digits data", NULL) < 0) {
        char why[512];
        snprintf(why, sizeof why, "%s", lit_last_error());
        return lit_set_error(LIT_ERR_IO,
                             "%s. The digits data ships with litc as examples/mlp-digits/data/digits.csv; "
                             "pass its location with --data PATH",
                             why);
    }
    char line[LINE_MAX_BYTES];
    long lineno = 0;
    int64_t cap = 0;
    lit_status st = LIT_OK;
    line_status ls;
    while ((ls = read_line(f, line, sizeof line)) != LINE_EOF) {
        lineno++;
        if (ls == LINE_TOO_LONG) {
            st = lit_set_error(LIT_ERR_DATA, "%s:%ld: line longer than %d bytes; expected 65 short integers",
                               path, lineno, LINE_MAX_BYTES - 1);
            break;
        }
        if (ls == LINE_BINARY) {
            st = lit_set_error(LIT_ERR_DATA, "%s:%ld: a NUL byte; the digits data is text (65 comma-separated "
                               "integers a line)", path, lineno);
            break;
        }
        if (is_blank(line)) continue;
        if ((st = grow(out, &cap)) < 0) break;
        st = parse_line(path, lineno, line, out->x + out->n * MLP_DIGITS_FEATURES, out->y + out->n);
        if (st < 0) break;
        out->n++;
    }
    if (st == LIT_OK && ferror(f)) st = lit_set_error(LIT_ERR_IO, "reading '%s': %s", path, strerror(errno));
    fclose(f);
    if (st == LIT_OK && out->n == 0)
        st = lit_set_error(LIT_ERR_DATA, "'%s' holds no samples; expected 1797 lines of 65 values", path);
    if (st < 0) mlp_digits_free(out);
    return st;
}

void mlp_digits_free(mlp_digits_data *d) {
    if (!d) return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}
