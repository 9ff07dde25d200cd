/*
 * Progress bar: tqdm's layout (as Lightning's TQDMProgressBar) for terminals,
 * sparse plain lines otherwise. See include/litc/progress.h.
 */
#include "litc/progress.h"

#include "litc/core.h"
#include "core/str-impl.h" /* lit__format_pyfloat */

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define STAGE_NAME_MAX 64
#define PLAIN_BAR_WIDTH 20
#define DEFAULT_NCOLS 100

typedef struct {
    char name[STAGE_NAME_MAX];
    int64_t total; /* -1 unknown */
    int64_t done;
    int leave;
    double t0;
    double last_draw;  /* terminal: last redraw */
    double last_line;  /* plain: last line printed (t0 at start) */
    double next_pct;   /* plain: next percentage that earns a line */
    int last_len;      /* terminal: display width of the last drawn line */
    char *postfix;     /* ", a=1, b=2" or "" */
    size_t postfix_cap;
} stage;

struct lit_progress {
    FILE *out;
    int tty;
    int ascii;
    int ncols; /* 0 = detect */
    double refresh;
    double plain_percent, plain_seconds;
    double (*now)(void *);
    void *now_user;
    int depth;
    stage st[LIT_PROGRESS_MAX_DEPTH];
    char *line; /* scratch for one formatted line */
    size_t line_cap;
};

/* ---------------------------------------------------------------- helpers */

static double default_now(void *user) {
    (void)user;
    return lit_time_now();
}

static double now_of(const lit_progress *p) { return p->now(p->now_user); }

static int env_is_utf8(void) {
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (int i = 0; i < 3; i++) {
        const char *v = getenv(vars[i]);
        if (!v || !*v) continue;
        char low[128];
        size_t k = 0;
        for (; v[k] && k < sizeof low - 1; k++) low[k] = (char)tolower((unsigned char)v[k]);
        low[k] = 0;
        return strstr(low, "utf-8") != NULL || strstr(low, "utf8") != NULL;
    }
    return 0;
}

/* Display width of UTF-8 text: one cell per code point. */
static int disp_len(const char *s) {
    int n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

/* Cut s to at most `cells` display cells (on a code point boundary). */
static void disp_trim(char *s, int cells) {
    int n = 0;
    for (char *c = s; *c; c++) {
        if (((unsigned char)*c & 0xC0) != 0x80) {
            if (n == cells) { *c = 0; return; }
            n++;
        }
    }
}

static int detect_ncols(const lit_progress *p) {
    if (p->ncols > 0) return p->ncols;
    int fd = fileno(p->out);
    struct winsize ws;
    if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
    const char *c = getenv("COLUMNS");
    if (c && atoi(c) > 0) return atoi(c);
    return DEFAULT_NCOLS;
}

/* Append to a growing buffer; on out of memory the text is silently dropped. */
static void buf_append(char **buf, size_t *cap, size_t *len, const char *s) {
    size_t k = strlen(s);
    if (*len + k + 1 > *cap) {
        size_t nc = *cap ? *cap : 128;
        while (nc < *len + k + 1) nc *= 2;
        char *nb = realloc(*buf, nc);
        if (!nb) return;
        *buf = nb;
        *cap = nc;
    }
    memcpy(*buf + *len, s, k + 1);
    *len += k;
}

/* ---------------------------------------------------------------- formatting */

char *lit_progress_format_interval(char *buf, size_t n, double seconds) {
    if (!buf || n == 0) return buf;
    if (!(seconds >= 0) || !isfinite(seconds) || seconds > 9.2e18) {
        snprintf(buf, n, "?");
        return buf;
    }
    long long t = (long long)seconds;
    long long mins = t / 60, s = t % 60, h = mins / 60, m = mins % 60;
    if (h)
        snprintf(buf, n, "%lld:%02lld:%02lld", h, m, s);
    else
        snprintf(buf, n, "%02lld:%02lld", m, s);
    return buf;
}

char *lit_progress_format_rate(char *buf, size_t n, double rate) {
    if (!buf || n == 0) return buf;
    if (!(rate > 0) || !isfinite(rate)) {
        snprintf(buf, n, "?it/s");
        return buf;
    }
    double inv = 1.0 / rate;
    if (inv > 1)
        snprintf(buf, n, "%5.2fs/it", inv);
    else
        snprintf(buf, n, "%5.2fit/s", rate);
    return buf;
}

char *lit_progress_format_pyfloat(char *buf, size_t n, double v) { return lit__format_pyfloat(buf, n, v); }

/* Python's str.replace(from, to) for 2-char `from` and 1-char `to`. */
static void replace2(char *s, const char *from, char to) {
    char *r = s, *w = s;
    while (*r) {
        if (r[0] == from[0] && r[1] == from[1]) {
            *w++ = to;
            r += 2;
        } else {
            *w++ = *r++;
        }
    }
    *w = 0;
}

char *lit_progress_format_num(char *buf, size_t n, double v) {
    if (!buf || n == 0) return buf;
    char f[64], s[64];
    snprintf(f, sizeof f, "%.3g", v);
    replace2(f, "+0", '+');
    replace2(f, "-0", '-');
    lit_progress_format_pyfloat(s, sizeof s, v);
    snprintf(buf, n, "%s", strlen(f) < strlen(s) ? f : s);
    return buf;
}

char *lit_progress_format_bar(char *buf, size_t n, double frac, int width, int ascii) {
    static const char *const uni[] = {" ", "\u258F", "\u258E", "\u258D", "\u258C",
                                      "\u258B", "\u258A", "\u2589", "\u2588"};
    static const char *const asc[] = {" ", "1", "2", "3", "4", "5", "6", "7", "8", "9", "#"};
    const char *const *cs = ascii ? asc : uni;
    int nsyms = ascii ? 10 : 8;
    if (!buf || n == 0) return buf;
    buf[0] = 0;
    if (width < 0) width = 0;
    if (!(frac >= 0)) frac = 0;
    if (frac > 1) frac = 1;
    long long units = (long long)(frac * width * nsyms);
    long long full = units / nsyms;
    int part = (int)(units % nsyms);
    size_t len = 0;
#define PUT(str)                                              \
    do {                                                      \
        size_t k_ = strlen(str);                              \
        if (len + k_ + 1 > n) return buf;                     \
        memcpy(buf + len, (str), k_ + 1);                     \
        len += k_;                                            \
    } while (0)
    for (long long i = 0; i < full; i++) PUT(cs[nsyms]);
    if (full < width) {
        PUT(cs[part]);
        for (long long i = full + 1; i < width; i++) PUT(cs[0]);
    }
#undef PUT
    return buf;
}

/* Format stage `s` as one line into p->line. bar_width < 0: fill ncols. */
static const char *format_line(lit_progress *p, const stage *s, double now) {
    double elapsed = now - s->t0;
    if (elapsed < 0) elapsed = 0;
    double rate = (s->done > 0 && elapsed > 0) ? (double)s->done / elapsed : 0;
    char el[32], rem[32], rt[32], l_bar[STAGE_NAME_MAX + 32], r_bar[160];
    lit_progress_format_interval(el, sizeof el, elapsed);
    if (s->total >= 0 && rate > 0) {
        double r = (double)(s->total - s->done) / rate;
        lit_progress_format_interval(rem, sizeof rem, r > 0 ? r : 0);
    } else {
        snprintf(rem, sizeof rem, "?");
    }
    lit_progress_format_rate(rt, sizeof rt, rate);
    const char *colon = s->name[0] ? ": " : "";
    double frac = 0;
    if (s->total > 0) {
        frac = (double)s->done / (double)s->total;
        snprintf(l_bar, sizeof l_bar, "%s%s%3.0f%%|", s->name, colon, frac * 100.0);
        snprintf(r_bar, sizeof r_bar, "| %lld/%lld [%s<%s, %s", (long long)s->done, (long long)s->total, el, rem,
                 rt);
    } else if (s->total == 0) {
        frac = 1; /* tqdm: an empty total is complete */
        snprintf(l_bar, sizeof l_bar, "%s%s%3.0f%%|", s->name, colon, 100.0);
        snprintf(r_bar, sizeof r_bar, "| %lld/0 [%s<%s, %s", (long long)s->done, el, rem, rt);
    } else {
        snprintf(l_bar, sizeof l_bar, "%s%s|", s->name, colon);
        snprintf(r_bar, sizeof r_bar, "| %lld/? [%s<%s, %s", (long long)s->done, el, rem, rt);
    }
    const char *pf = s->postfix ? s->postfix : "";
    int ncols = p->tty ? detect_ncols(p) : 0;
    int width = PLAIN_BAR_WIDTH;
    if (p->tty) {
        width = ncols - disp_len(l_bar) - disp_len(r_bar) - disp_len(pf) - 1;
        if (width < 1) width = 1;
    }
    char bar[4 * 1024];
    if (width > (int)(sizeof bar / 4) - 1) width = (int)(sizeof bar / 4) - 1;
    lit_progress_format_bar(bar, sizeof bar, s->total >= 0 ? frac : 0, width, p->ascii || s->total < 0);
    size_t len = 0;
    if (p->line) p->line[0] = 0;
    buf_append(&p->line, &p->line_cap, &len, l_bar);
    buf_append(&p->line, &p->line_cap, &len, bar);
    buf_append(&p->line, &p->line_cap, &len, r_bar);
    buf_append(&p->line, &p->line_cap, &len, pf);
    buf_append(&p->line, &p->line_cap, &len, "]");
    if (!p->line) return "";
    if (p->tty) disp_trim(p->line, ncols);
    return p->line;
}

/* ---------------------------------------------------------------- terminal drawing */

static void move_down(lit_progress *p, int k) {
    for (int i = 0; i < k; i++) fputc('\n', p->out);
}
static void move_up(lit_progress *p, int k) {
    for (int i = 0; i < k; i++) fputs("\033[A", p->out);
}

static void draw_level(lit_progress *p, int k, double now) {
    stage *s = &p->st[k];
    const char *line = format_line(p, s, now);
    int len = disp_len(line);
    move_down(p, k);
    fputc('\r', p->out);
    fputs(line, p->out);
    for (int i = len; i < s->last_len; i++) fputc(' ', p->out);
    s->last_len = len;
    move_up(p, k);
    fflush(p->out);
    s->last_draw = now;
}

static void clear_level(lit_progress *p, int k) {
    stage *s = &p->st[k];
    move_down(p, k);
    fputc('\r', p->out);
    for (int i = 0; i < s->last_len; i++) fputc(' ', p->out);
    fputc('\r', p->out);
    move_up(p, k);
    s->last_len = 0;
    fflush(p->out);
}

static void plain_line(lit_progress *p, stage *s, double now) {
    fputs(format_line(p, s, now), p->out);
    fputc('\n', p->out);
    fflush(p->out);
    s->last_line = now;
}

/* ---------------------------------------------------------------- API */

lit_progress *lit_progress_new(FILE *out, int is_tty, double refresh_seconds) {
    lit_progress *p = calloc(1, sizeof *p);
    if (!p) {
        lit_set_error(LIT_ERR_NOMEM, "lit_progress_new: out of memory");
        return NULL;
    }
    p->out = out ? out : stdout;
    if (is_tty < 0) {
        int fd = fileno(p->out);
        is_tty = fd >= 0 && isatty(fd);
    }
    p->tty = is_tty ? 1 : 0;
    p->ascii = !env_is_utf8();
    p->refresh = refresh_seconds > 0 ? refresh_seconds : 0;
    p->plain_percent = 10;
    p->plain_seconds = 30;
    p->now = default_now;
    return p;
}

void lit_progress_free(lit_progress *p) {
    if (!p) return;
    while (p->depth > 0) lit_progress_stage_end(p);
    for (int i = 0; i < LIT_PROGRESS_MAX_DEPTH; i++) free(p->st[i].postfix);
    free(p->line);
    free(p);
}

void lit_progress_set_clock(lit_progress *p, double (*now)(void *user), void *user) {
    LIT_ASSERT(p != NULL, "lit_progress_set_clock: progress bar is NULL");
    p->now = now ? now : default_now;
    p->now_user = now ? user : NULL;
}

void lit_progress_set_ascii(lit_progress *p, int ascii) {
    LIT_ASSERT(p != NULL, "lit_progress_set_ascii: progress bar is NULL");
    p->ascii = ascii ? 1 : 0;
}

void lit_progress_set_width(lit_progress *p, int ncols) {
    LIT_ASSERT(p != NULL, "lit_progress_set_width: progress bar is NULL");
    p->ncols = ncols > 0 ? ncols : 0;
}

void lit_progress_set_plain(lit_progress *p, double percent, double seconds) {
    LIT_ASSERT(p != NULL, "lit_progress_set_plain: progress bar is NULL");
    p->plain_percent = percent;
    p->plain_seconds = seconds;
}

int lit_progress_is_tty(const lit_progress *p) { return p ? p->tty : 0; }
int lit_progress_depth(const lit_progress *p) { return p ? p->depth : 0; }

void lit_progress_stage_begin_ex(lit_progress *p, const char *stage_name, int64_t total, int leave) {
    LIT_ASSERT(p != NULL, "lit_progress_stage_begin: progress bar is NULL");
    LIT_ASSERT(p->depth < LIT_PROGRESS_MAX_DEPTH,
               "lit_progress_stage_begin(\"%s\"): %d stages already open; end one with lit_progress_stage_end",
               stage_name ? stage_name : "", p->depth);
    int k = p->depth;
    stage *s = &p->st[k];
    snprintf(s->name, sizeof s->name, "%s", stage_name ? stage_name : "");
    s->total = total < 0 ? -1 : total;
    s->done = 0;
    if (leave < 0) leave = k == 0 && strcmp(s->name, "Sanity Checking") != 0;
    s->leave = leave ? 1 : 0;
    double now = now_of(p);
    s->t0 = now;
    s->last_draw = now;
    s->last_line = now;
    s->next_pct = p->plain_percent;
    s->last_len = 0;
    if (s->postfix) s->postfix[0] = 0;
    p->depth++;
    if (p->tty) draw_level(p, k, now);
}

void lit_progress_stage_begin(lit_progress *p, const char *stage_name, int64_t total) {
    lit_progress_stage_begin_ex(p, stage_name, total, -1);
}

static void set_postfix(stage *s, int n, const char *const *names, const double *values) {
    size_t len = 0;
    if (s->postfix) s->postfix[0] = 0;
    for (int i = 0; i < n; i++) {
        char num[64];
        const char *nm = names && names[i] ? names[i] : "?";
        double v = values ? values[i] : NAN;
        if (strcmp(nm, "v_num") == 0 && v == floor(v) && fabs(v) < 1e15)
            snprintf(num, sizeof num, "%lld", (long long)v);
        else
            lit_progress_format_num(num, sizeof num, v);
        buf_append(&s->postfix, &s->postfix_cap, &len, ", ");
        buf_append(&s->postfix, &s->postfix_cap, &len, nm);
        buf_append(&s->postfix, &s->postfix_cap, &len, "=");
        buf_append(&s->postfix, &s->postfix_cap, &len, num);
    }
}

void lit_progress_update(lit_progress *p, int64_t done, int n_metrics, const char *const *names,
                         const double *values) {
    LIT_ASSERT(p != NULL, "lit_progress_update: progress bar is NULL");
    LIT_ASSERT(p->depth > 0, "lit_progress_update: no stage is open; call lit_progress_stage_begin first");
    LIT_ASSERT(n_metrics <= 0 || (names && values),
               "lit_progress_update: %d metrics but names or values is NULL", n_metrics);
    int k = p->depth - 1;
    stage *s = &p->st[k];
    s->done = done;
    if (n_metrics >= 0) set_postfix(s, n_metrics, names, values);
    double now = now_of(p);
    if (p->tty) {
        if (now - s->last_draw >= p->refresh) draw_level(p, k, now);
        return;
    }
    if (s->total > 0 && done >= s->total) return; /* the end line follows */
    if (now - s->last_line < p->refresh) return;
    int by_progress = 0;
    double pct = 0;
    if (p->plain_percent > 0 && s->total > 0) {
        pct = 100.0 * (double)done / (double)s->total;
        by_progress = pct >= s->next_pct;
    }
    int by_time = p->plain_seconds > 0 && now - s->last_line >= p->plain_seconds;
    if (!by_progress && !by_time) return;
    plain_line(p, s, now);
    if (p->plain_percent > 0 && s->total > 0)
        s->next_pct = (floor(pct / p->plain_percent) + 1) * p->plain_percent;
}

void lit_progress_stage_end(lit_progress *p) {
    LIT_ASSERT(p != NULL, "lit_progress_stage_end: progress bar is NULL");
    LIT_ASSERT(p->depth > 0, "lit_progress_stage_end: no stage is open");
    int k = p->depth - 1;
    stage *s = &p->st[k];
    double now = now_of(p);
    if (p->tty) {
        if (s->leave && k == 0) {
            draw_level(p, k, now);
            fputc('\n', p->out);
            fflush(p->out);
        } else {
            clear_level(p, k);
        }
    } else {
        plain_line(p, s, now);
    }
    p->depth--;
}

void lit_progress_print(lit_progress *p, const char *msg) {
    LIT_ASSERT(p != NULL, "lit_progress_print: progress bar is NULL");
    if (!msg) msg = "";
    if (!p->tty || p->depth == 0) {
        fputs(msg, p->out);
        fputc('\n', p->out);
        fflush(p->out);
        return;
    }
    for (int k = p->depth - 1; k >= 0; k--) clear_level(p, k);
    fputs(msg, p->out);
    fputc('\n', p->out);
    double now = now_of(p);
    for (int k = 0; k < p->depth; k++) draw_level(p, k, now);
}
