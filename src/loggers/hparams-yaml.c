/*
 * src/loggers/hparams-yaml.c — hparams.yaml as Lightning writes it:
 * save_hparams_to_yaml ends in yaml.dump(hparams, f), PyYAML's default
 * Dumper (block style, sort_keys, best_width 80, best_indent 2,
 * allow_unicode False). This is a port of the parts of PyYAML's emitter,
 * representer and resolver that a flat mapping of ints, floats and strings
 * reaches, so the file is byte for byte what Python would write:
 *
 *   - ints: str(int); floats: repr(x).lower() with ".0" put before an 'e'
 *     that has no '.' (1e-05 -> 1.0e-05), .nan, .inf, -.inf;
 *   - strings: plain when PyYAML's analyze_scalar allows it and no implicit
 *     resolver (bool, int, float, null, timestamp, merge, value) would read
 *     it as something else; else single-quoted when allowed; else
 *     double-quoted with PyYAML's escapes (\t, \xE9, \u20AC, ...);
 *   - long plain and quoted values are folded at spaces past column 80 onto
 *     lines indented by 2, as PyYAML does;
 *   - keys of 123 characters or more, empty or multi-line keys are written
 *     as complex keys ("? key" / ": value"), as PyYAML does.
 * Strings are UTF-8; an invalid byte is taken as the code point of that
 * byte (Latin-1), which then gets escaped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loggers/loggers-impl.h"

/* ---------------------------------------------------------------- hparams copy */

lit_status lit__hparams_update(lit__hparams *h, int n, const lit_logger_hparam *hp) {
    for (int i = 0; i < n; i++) {
        const char *name = hp[i].name ? hp[i].name : "";
        int at = -1;
        for (int j = 0; j < h->n; j++)
            if (strcmp(h->hp[j].name, name) == 0) at = j;
        if (at < 0) {
            if (h->n == h->cap) {
                int cap = h->cap ? 2 * h->cap : 8;
                lit_logger_hparam *nh = realloc(h->hp, (size_t)cap * sizeof *nh);
                if (!nh) return lit_set_error(LIT_ERR_NOMEM, "logger: out of memory (hparams)");
                h->hp = nh;
                h->cap = cap;
            }
            at = h->n++;
            memset(&h->hp[at], 0, sizeof h->hp[at]);
            h->hp[at].name = lit__strdup(name);
            if (!h->hp[at].name) {
                h->n--;
                return lit_set_error(LIT_ERR_NOMEM, "logger: out of memory (hparams)");
            }
        }
        lit_logger_hparam *d = &h->hp[at];
        free((char *)d->s);
        d->s = NULL;
        d->kind = hp[i].kind;
        d->i = hp[i].i;
        d->d = hp[i].d;
        if (hp[i].kind == 2) {
            d->s = lit__strdup(hp[i].s ? hp[i].s : "");
            if (!d->s) return lit_set_error(LIT_ERR_NOMEM, "logger: out of memory (hparams)");
        }
    }
    return LIT_OK;
}

void lit__hparams_free(lit__hparams *h) {
    for (int i = 0; i < h->n; i++) {
        free((char *)h->hp[i].name);
        free((char *)h->hp[i].s);
    }
    free(h->hp);
    memset(h, 0, sizeof *h);
}

/* ---------------------------------------------------------------- code points */

/* Decode UTF-8 into code points; an invalid byte stands for itself. */
static uint32_t *decode_utf8(const char *s, size_t *out_n) {
    size_t n = strlen(s);
    uint32_t *cp = malloc((n + 1) * sizeof *cp);
    if (!cp) return NULL;
    size_t k = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned c = u[i];
        int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        uint32_t v = c;
        int ok = len > 0 && i + (size_t)len <= n;
        if (ok && len > 1) {
            v = c & (0xFFu >> (len + 1));
            for (int j = 1; j < len; j++) {
                if ((u[i + (size_t)j] & 0xC0) != 0x80) { ok = 0; break; }
                v = (v << 6) | (u[i + (size_t)j] & 0x3F);
            }
            static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
            if (ok && (v < min[len] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))) ok = 0;
        }
        if (!ok) {
            cp[k++] = c;
            i++;
        } else {
            cp[k++] = v;
            i += (size_t)len;
        }
    }
    *out_n = k;
    return cp;
}

static void put_cp(lit__buf *b, uint32_t c) {
    char o[4];
    if (c < 0x80) {
        o[0] = (char)c;
        lit__buf_put(b, o, 1);
    } else if (c < 0x800) {
        o[0] = (char)(0xC0 | (c >> 6));
        o[1] = (char)(0x80 | (c & 0x3F));
        lit__buf_put(b, o, 2);
    } else if (c < 0x10000) {
        o[0] = (char)(0xE0 | (c >> 12));
        o[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[2] = (char)(0x80 | (c & 0x3F));
        lit__buf_put(b, o, 3);
    } else {
        o[0] = (char)(0xF0 | (c >> 18));
        o[1] = (char)(0x80 | ((c >> 12) & 0x3F));
        o[2] = (char)(0x80 | ((c >> 6) & 0x3F));
        o[3] = (char)(0x80 | (c & 0x3F));
        lit__buf_put(b, o, 4);
    }
}

/* ---------------------------------------------------------------- resolver */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The implicit resolvers of PyYAML's Resolver (yaml/resolver.py) as small
 * matchers over the whole string; 1 when a non-str tag would be chosen. */
static int match_bool(const char *s) {
    static const char *w[] = { "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False",
                               "FALSE", "on", "On", "ON", "off", "Off", "OFF" };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++)
        if (strcmp(s, w[i]) == 0) return 1;
    return 0;
}

/* [0-5]?[0-9] groups after ':' — "(?::[0-5]?[0-9])+"; returns the end or NULL. */
static const char *match_sexagesimal(const char *p) {
    int groups = 0;
    while (*p == ':') {
        p++;
        if (p[0] >= '0' && p[0] <= '5' && is_digit(p[1])) p += 2;
        else if (is_digit(p[0])) p += 1;
        else return NULL;
        groups++;
    }
    return groups ? p : NULL;
}

static const char *skip_digits_us(const char *p) {
    while (is_digit(*p) || *p == '_') p++;
    return p;
}

static int match_int(const char *s) {
    const char *p = s;
    if (*p == '-' || *p == '+') p++;
    if (p[0] == '0' && p[1] == 'b') {
        const char *q = p + 2;
        if (!*q) return 0;
        for (; *q; q++)
            if (*q != '0' && *q != '1' && *q != '_') return 0;
        return 1;
    }
    if (p[0] == '0' && p[1] == 'x') {
        const char *q = p + 2;
        if (!*q) return 0;
        for (; *q; q++)
            if (!(is_digit(*q) || (*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F') || *q == '_')) return 0;
        return 1;
    }
    if (p[0] == '0') {
        if (!p[1]) return 1; /* 0 */
        for (const char *q = p + 1; *q; q++)
            if (!((*q >= '0' && *q <= '7') || *q == '_')) return 0;
        return 1;             /* 0[0-7_]+ */
    }
    if (p[0] >= '1' && p[0] <= '9') {
        const char *q = skip_digits_us(p + 1);
        if (!*q) return 1;
        const char *r = match_sexagesimal(q);
        return r && !*r;
    }
    return 0;
}

static const char *match_exp(const char *p) {
    /* (?:[eE][-+][0-9]+)? */
    if ((p[0] == 'e' || p[0] == 'E') && (p[1] == '-' || p[1] == '+') && is_digit(p[2])) {
        p += 2;
        while (is_digit(*p)) p++;
    }
    return p;
}

static int match_float(const char *s) {
    const char *p = s;
    /* \.[0-9][0-9_]*(exp)? and \.(nan|NaN|NAN) have no sign */
    if (p[0] == '.') {
        if (strcmp(p, ".nan") == 0 || strcmp(p, ".NaN") == 0 || strcmp(p, ".NAN") == 0) return 1;
        if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0) return 1;
        if (is_digit(p[1])) return !*match_exp(skip_digits_us(p + 2));
        return 0;
    }
    if (*p == '-' || *p == '+') p++;
    if (strcmp(p, ".inf") == 0 || strcmp(p, ".Inf") == 0 || strcmp(p, ".INF") == 0) return 1;
    if (!is_digit(*p)) return 0;
    const char *q = skip_digits_us(p + 1);
    if (*q == '.') return !*match_exp(skip_digits_us(q + 1)); /* [0-9][0-9_]*\.[0-9_]*(exp)? */
    const char *r = match_sexagesimal(q);                     /* [0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]* */
    if (r && *r == '.') return !*skip_digits_us(r + 1);
    return 0;
}

static int match_timestamp(const char *s) {
    const char *p = s;
    for (int i = 0; i < 4; i++)
        if (!is_digit(*p++)) return 0;
    if (*p++ != '-') return 0;
    /* [0-9][0-9]-[0-9][0-9] exactly (the date form) */
    if (is_digit(p[0]) && is_digit(p[1]) && p[2] == '-' && is_digit(p[3]) && is_digit(p[4]) && !p[5]) return 1;
    /* [0-9][0-9]?-[0-9][0-9]? then a time */
    if (!is_digit(*p)) return 0;
    p++;
    if (is_digit(*p)) p++;
    if (*p++ != '-') return 0;
    if (!is_digit(*p)) return 0;
    p++;
    if (is_digit(*p)) p++;
    if (*p == 'T' || *p == 't') p++;
    else if (*p == ' ' || *p == '\t') {
        while (*p == ' ' || *p == '\t') p++;
    } else return 0;
    if (!is_digit(*p)) return 0;
    p++;
    if (is_digit(*p)) p++;
    if (!(p[0] == ':' && is_digit(p[1]) && is_digit(p[2]))) return 0;
    p += 3;
    if (!(p[0] == ':' && is_digit(p[1]) && is_digit(p[2]))) return 0;
    p += 3;
    if (*p == '.') {
        p++;
        while (is_digit(*p)) p++;
    }
    const char *save = p;
    while (*p == ' ' || *p == '\t') p++;
    if (*p == 'Z') p++;
    else if (*p == '-' || *p == '+') {
        p++;
        if (!is_digit(*p)) return 0;
        p++;
        if (is_digit(*p)) p++;
        if (p[0] == ':') {
            if (!(is_digit(p[1]) && is_digit(p[2]))) return 0;
            p += 3;
        }
    } else p = save;
    return !*p;
}

static int resolves_to_non_str(const char *s) {
    if (!*s) return 1; /* null */
    if (strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0) return 1;
    if (strcmp(s, "<<") == 0 || strcmp(s, "=") == 0) return 1;
    return match_bool(s) || match_int(s) || match_float(s) || match_timestamp(s);
}

/* ---------------------------------------------------------------- emitter */

typedef struct {
    lit__buf *b;
    int column;
    int whitespace, indention;
    int indent;
} emitter;

enum { BEST_WIDTH = 80 };

typedef struct {
    int empty, multiline;
    int allow_flow_plain, allow_block_plain, allow_single_quoted, allow_double_quoted;
} analysis;

static int is_break(uint32_t c) { return c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029; }
static int is_ws0(uint32_t c) { return c == 0 || c == ' ' || c == '\t' || c == '\r' || is_break(c); }

static analysis analyze(const uint32_t *t, size_t n) {
    analysis a = { 0 };
    if (n == 0) {
        a.empty = 1;
        a.allow_block_plain = a.allow_single_quoted = a.allow_double_quoted = 1;
        return a;
    }
    int block_ind = 0, flow_ind = 0, line_breaks = 0, special = 0;
    int leading_space = 0, leading_break = 0, trailing_space = 0, trailing_break = 0;
    int break_space = 0, space_break = 0;
    if (n >= 3 && ((t[0] == '-' && t[1] == '-' && t[2] == '-') || (t[0] == '.' && t[1] == '.' && t[2] == '.')))
        block_ind = flow_ind = 1;
    int preceded_ws = 1;
    int followed_ws = n == 1 || is_ws0(t[1]);
    int prev_space = 0, prev_break = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ch = t[i];
        if (i == 0) {
            if (ch < 128 && strchr("#,[]{}&*!|>'\"%@`", (int)ch)) flow_ind = block_ind = 1;
            if (ch == '?' || ch == ':') {
                flow_ind = 1;
                if (followed_ws) block_ind = 1;
            }
            if (ch == '-' && followed_ws) flow_ind = block_ind = 1;
        } else {
            if (ch < 128 && strchr(",?[]{}", (int)ch)) flow_ind = 1;
            if (ch == ':') {
                flow_ind = 1;
                if (followed_ws) block_ind = 1;
            }
            if (ch == '#' && preceded_ws) flow_ind = block_ind = 1;
        }
        if (is_break(ch)) line_breaks = 1;
        if (!(ch == '\n' || (ch >= 0x20 && ch <= 0x7E))) special = 1; /* allow_unicode=False: any other is special */
        if (ch == ' ') {
            if (i == 0) leading_space = 1;
            if (i == n - 1) trailing_space = 1;
            if (prev_break) break_space = 1;
            prev_space = 1;
            prev_break = 0;
        } else if (is_break(ch)) {
            if (i == 0) leading_break = 1;
            if (i == n - 1) trailing_break = 1;
            if (prev_space) space_break = 1;
            prev_space = 0;
            prev_break = 1;
        } else {
            prev_space = prev_break = 0;
        }
        preceded_ws = is_ws0(ch);
        followed_ws = i + 2 >= n || is_ws0(t[i + 2]);
    }
    a.multiline = line_breaks;
    a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted = a.allow_double_quoted = 1;
    if (leading_space || leading_break || trailing_space || trailing_break) a.allow_flow_plain = a.allow_block_plain = 0;
    if (break_space) a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted = 0;
    if (space_break || special) a.allow_flow_plain = a.allow_block_plain = a.allow_single_quoted = 0;
    if (line_breaks) a.allow_flow_plain = a.allow_block_plain = 0;
    if (flow_ind) a.allow_flow_plain = 0;
    if (block_ind) a.allow_block_plain = 0;
    return a;
}

static void emit_cps(emitter *e, const uint32_t *t, size_t from, size_t to) {
    for (size_t i = from; i < to; i++) put_cp(e->b, t[i]);
    e->column += (int)(to - from);
}

static void emit_str(emitter *e, const char *s) {
    lit__buf_puts(e->b, s);
    e->column += (int)strlen(s);
}

static void write_line_break(emitter *e) {
    lit__buf_putc(e->b, '\n');
    e->whitespace = 1;
    e->indention = 1;
    e->column = 0;
}

static void write_indent(emitter *e) {
    int indent = e->indent;
    if (!e->indention || e->column > indent || (e->column == indent && !e->whitespace)) write_line_break(e);
    while (e->column < indent) {
        e->whitespace = 1;
        emit_str(e, " ");
    }
}

static void write_indicator(emitter *e, const char *ind, int need_ws, int whitespace, int indention) {
    if (!(e->whitespace || !need_ws)) emit_str(e, " ");
    emit_str(e, ind);
    e->whitespace = whitespace;
    e->indention = e->indention && indention;
}

static void write_plain(emitter *e, const uint32_t *t, size_t n, int split) {
    if (n == 0) return;
    if (!e->whitespace) emit_str(e, " ");
    e->whitespace = 0;
    e->indention = 0;
    int spaces = 0, breaks = 0;
    size_t start = 0, end = 0;
    while (end <= n) {
        uint32_t ch = end < n ? t[end] : 0;
        int none = end >= n;
        if (spaces) {
            if (none || ch != ' ') {
                if (start + 1 == end && e->column > BEST_WIDTH && split) {
                    write_indent(e);
                    e->whitespace = 0;
                    e->indention = 0;
                } else {
                    emit_cps(e, t, start, end);
                }
                start = end;
            }
        } else if (breaks) {
            /* plain scalars never hold line breaks (analyze forbids it) */
            start = end;
        } else if (none || ch == ' ' || is_break(ch)) {
            emit_cps(e, t, start, end);
            start = end;
        }
        if (!none) {
            spaces = ch == ' ';
            breaks = is_break(ch);
        }
        end++;
    }
}

static void write_single_quoted(emitter *e, const uint32_t *t, size_t n, int split) {
    write_indicator(e, "'", 1, 0, 0);
    int spaces = 0, breaks = 0;
    size_t start = 0, end = 0;
    while (end <= n) {
        int none = end >= n;
        uint32_t ch = none ? 0 : t[end];
        if (spaces) {
            if (none || ch != ' ') {
                if (start + 1 == end && e->column > BEST_WIDTH && split && start != 0 && end != n)
                    write_indent(e);
                else
                    emit_cps(e, t, start, end);
                start = end;
            }
        } else if (breaks) {
            if (none || !is_break(ch)) {
                if (t[start] == '\n') write_line_break(e);
                for (size_t i = start; i < end; i++) {
                    if (t[i] == '\n') {
                        write_line_break(e);
                    } else {
                        put_cp(e->b, t[i]); /* write_line_break(br) */
                        e->whitespace = e->indention = 1;
                        e->column = 0;
                    }
                }
                write_indent(e);
                start = end;
            }
        } else if (none || ch == ' ' || is_break(ch) || ch == '\'') {
            if (start < end) {
                emit_cps(e, t, start, end);
                start = end;
            }
        }
        if (ch == '\'' && !none) {
            emit_str(e, "''");
            start = end + 1;
        }
        if (!none) {
            spaces = ch == ' ';
            breaks = is_break(ch);
        }
        end++;
    }
    write_indicator(e, "'", 0, 0, 0);
}

static const char *escape_of(uint32_t c) {
    switch (c) {
    case 0: return "0";
    case 7: return "a";
    case 8: return "b";
    case 9: return "t";
    case 10: return "n";
    case 11: return "v";
    case 12: return "f";
    case 13: return "r";
    case 27: return "e";
    case '"': return "\"";
    case '\\': return "\\";
    case 0x85: return "N";
    case 0xA0: return "_";
    case 0x2028: return "L";
    case 0x2029: return "P";
    default: return NULL;
    }
}

static void write_double_quoted(emitter *e, const uint32_t *t, size_t n, int split) {
    write_indicator(e, "\"", 1, 0, 0);
    size_t start = 0, end = 0;
    while (end <= n) {
        int none = end >= n;
        uint32_t ch = none ? 0 : t[end];
        if (none || ch == '"' || ch == '\\' || ch == 0x85 || ch == 0x2028 || ch == 0x2029 || ch == 0xFEFF ||
            !(ch >= 0x20 && ch <= 0x7E)) {
            if (start < end) {
                emit_cps(e, t, start, end);
                start = end;
            }
            if (!none) {
                char esc[16];
                const char *r = escape_of(ch);
                if (r) snprintf(esc, sizeof esc, "\\%s", r);
                else if (ch <= 0xFF) snprintf(esc, sizeof esc, "\\x%02X", (unsigned)ch);
                else if (ch <= 0xFFFF) snprintf(esc, sizeof esc, "\\u%04X", (unsigned)ch);
                else snprintf(esc, sizeof esc, "\\U%08X", (unsigned)ch);
                emit_str(e, esc);
                start = end + 1;
            }
        }
        if (end > 0 && end + 1 < n && (ch == ' ' || start >= end) && e->column + (int)(end - start) > BEST_WIDTH &&
            split) {
            emit_cps(e, t, start, end);
            emit_str(e, "\\");
            if (start < end) start = end;
            write_indent(e);
            e->whitespace = 0;
            e->indention = 0;
            if (t[start] == ' ') emit_str(e, "\\");
        }
        end++;
    }
    write_indicator(e, "\"", 0, 0, 0);
}

/* process_scalar for a str (implicit = no resolver claims it) or for an
 * int/float text (implicit by construction). */
static void write_scalar(emitter *e, const char *s, int is_str, int simple_key) {
    size_t n = 0;
    uint32_t *t = decode_utf8(s, &n);
    if (!t) {
        e->b->failed = 1;
        return;
    }
    analysis a = analyze(t, n);
    int implicit = is_str ? !resolves_to_non_str(s) : 1;
    int split = !simple_key;
    /* expect_scalar: increase_indent(flow=True) */
    int saved_indent = e->indent;
    e->indent = e->indent + 2;
    if (implicit && !(simple_key && (a.empty || a.multiline)) && a.allow_block_plain)
        write_plain(e, t, n, split);
    else if (a.allow_single_quoted && !(simple_key && a.multiline))
        write_single_quoted(e, t, n, split);
    else
        write_double_quoted(e, t, n, split);
    e->indent = saved_indent;
    free(t);
}

static void format_value(char *out, size_t n, const lit_logger_hparam *hp) {
    if (hp->kind == 0) {
        snprintf(out, n, "%lld", (long long)hp->i);
        return;
    }
    double v = hp->d;
    if (isnan(v)) { snprintf(out, n, ".nan"); return; }
    if (isinf(v)) { snprintf(out, n, v > 0 ? ".inf" : "-.inf"); return; }
    char r[64];
    lit__format_pyfloat(r, sizeof r, v);
    char *e = strchr(r, 'e');
    if (e && !strchr(r, '.')) {
        /* PyYAML's represent_float: "1e-05" is not a YAML float, "1.0e-05" is */
        snprintf(out, n, "%.*s.0%s", (int)(e - r), r, e);
    } else {
        snprintf(out, n, "%s", r);
    }
}

static int cmp_hp(const void *a, const void *b) {
    const lit_logger_hparam *x = *(const lit_logger_hparam *const *)a, *y = *(const lit_logger_hparam *const *)b;
    return strcmp(x->name, y->name);
}

void lit__hparams_yaml(lit__buf *b, const lit__hparams *h) {
    if (h->n == 0) {
        /* an empty mapping is written in flow style */
        lit__buf_puts(b, "{}\n");
        return;
    }
    const lit_logger_hparam **sorted = malloc((size_t)h->n * sizeof *sorted);
    if (!sorted) {
        b->failed = 1;
        return;
    }
    for (int i = 0; i < h->n; i++) sorted[i] = &h->hp[i];
    qsort(sorted, (size_t)h->n, sizeof *sorted, cmp_hp);
    emitter e = { .b = b, .column = 0, .whitespace = 1, .indention = 1, .indent = 0 };
    for (int i = 0; i < h->n; i++) {
        const lit_logger_hparam *hp = sorted[i];
        size_t nk = 0;
        uint32_t *kt = decode_utf8(hp->name, &nk);
        if (!kt) {
            b->failed = 1;
            break;
        }
        analysis ka = analyze(kt, nk);
        free(kt);
        /* check_simple_key: the key with its tag ("!!str", 5 characters:
         * the serializer always passes the tag) shorter than 128, neither
         * empty nor multi-line */
        int simple = nk + 5 < 128 && !ka.empty && !ka.multiline;
        write_indent(&e);
        if (simple) {
            write_scalar(&e, hp->name, 1, 1);
            write_indicator(&e, ":", 0, 0, 0);
        } else {
            write_indicator(&e, "?", 1, 0, 1);
            write_scalar(&e, hp->name, 1, 0);
            write_indent(&e);
            write_indicator(&e, ":", 1, 0, 1);
        }
        if (hp->kind == 2) {
            write_scalar(&e, hp->s ? hp->s : "", 1, 0);
        } else {
            char v[64];
            format_value(v, sizeof v, hp);
            write_scalar(&e, v, 0, 0);
        }
    }
    write_indent(&e); /* the document ends with a line break */
    free(sorted);
}

lit_status lit__save_hparams_yaml(const char *dir, const lit__hparams *h, const char *who) {
    lit__buf b = { 0 };
    lit__hparams_yaml(&b, h);
    if (b.failed) {
        lit__buf_free(&b);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory (hparams.yaml)", who);
    }
    char *path = lit__path_join(dir, "hparams.yaml");
    if (!path) {
        lit__buf_free(&b);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", who);
    }
    lit_status st = lit__write_file_atomic(path, b.data, b.len, who);
    free(path);
    lit__buf_free(&b);
    return st;
}
