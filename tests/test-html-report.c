/*
 * tests/test-html-report.c — the HTMLReport logger (litc/report.h).
 *
 * Unit: a scripted sequence of log_metrics/save calls as the Trainer makes
 * them; report.html must exist where Lightning's layout puts it, hold one
 * <svg> per chart group with one <path> per series, the exact last/best
 * values and their steps, the escaped hyperparameters and info rows, balanced
 * tags, no URL but the SVG namespace; the update rule (which save() calls
 * rewrite the page); extra curves on a log x axis; log_dir_of; bad
 * arguments. Integration: a real 8-epoch fit with the logger on the Trainer.
 *
 * Rendering: when headless Chromium is installed (scripts/deps.sh installs
 * the Debian package "chromium"), the fit's report is screenshot at
 * 1200x900 (PNG signature and IHDR size checked; with zlib the pixels are
 * decoded and must show ink and the charts' series colours, else the PNG must
 * be clearly bigger than a blank page's) and loaded with --dump-dom (the
 * parsed DOM must hold every <svg> and <path>). Without Chromium on PATH
 * that test is skipped: the executable exits 77, listed as skipped by CTest.
 *
 *     test-html-report --demo DIR   writes the fit's report to DIR/report.html
 *                                   (scripts/report-screenshot.sh uses it)
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "litc/report.h"
#include "tmp-dir.h"

#ifdef LITC_HAVE_ZLIB
#include <zlib.h>
#endif

/* ---------------------------------------------------------------- helpers */

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)(n > 0 ? n : 0) + 1);
    size_t got = s ? fread(s, 1, (size_t)n, f) : 0;
    fclose(f);
    if (!s) return NULL;
    s[got] = 0;
    if (len) *len = got;
    return s;
}

static int count(const char *hay, const char *needle) {
    int n = 0;
    size_t m = strlen(needle);
    for (const char *p = hay; (p = strstr(p, needle)); p += m) n++;
    return n;
}

/* Every <tag ...> opened is closed: paired tags by count, empty SVG
 * elements by ending in "/>". */
static void check_balanced(const char *html) {
    static const char *const paired[] = { "svg", "path", "text", "table", "tr", "td", "th", "div", "h1", "h2", "span", "p" };
    for (size_t i = 0; i < sizeof paired / sizeof *paired; i++) {
        char open[16], open_sp[16], close[16];
        snprintf(open, sizeof open, "<%s>", paired[i]);
        snprintf(open_sp, sizeof open_sp, "<%s ", paired[i]);
        snprintf(close, sizeof close, "</%s>", paired[i]);
        int o = count(html, open) + count(html, open_sp), c = count(html, close);
        CHECK_MSG(o == c && o > 0, "<%s>: %d opened, %d closed", paired[i], o, c);
    }
    static const char *const empty[] = { "<line ", "<rect ", "<circle " };
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++)
        for (const char *p = html; (p = strstr(p, empty[i])); p++) {
            const char *end = strchr(p, '>');
            CHECK_MSG(end && end[-1] == '/', "%s... not closed with />", empty[i]);
            if (!end || end[-1] != '/') break;
        }
    CHECK(strstr(html, "<script") == NULL);
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, "</html>") != NULL);
}

/* No URL but the SVG namespace, once per chart. */
static void check_no_urls(const char *html) {
    int ns = count(html, "xmlns=\"http://www.w3.org/2000/svg\"");
    CHECK_EQ_INT(count(html, "http://") + count(html, "https://"), ns);
    CHECK_EQ_INT(ns, count(html, "<svg"));
    CHECK(strstr(html, "url(") == NULL);
    CHECK(strstr(html, "@import") == NULL);
}

/* The page counter render() stamps into every page ("write N"). */
static int write_number(const char *html) {
    const char *p = strstr(html, "<!-- litc report write ");
    return p ? atoi(p + 23) : -1;
}

static void log_one(lit_logger *lg, const char *name, double v, double epoch, int64_t step) {
    const char *names[2] = { name, "epoch" };
    double values[2] = { v, epoch };
    CHECK_EQ_INT(lg->log_metrics(lg, 2, names, values, step), LIT_OK);
    CHECK_EQ_INT(lg->save(lg), LIT_OK);
}

static void log_two(lit_logger *lg, const char *a, double va, const char *b, double vb, double epoch, int64_t step) {
    const char *names[3] = { a, b, "epoch" };
    double values[3] = { va, vb, epoch };
    CHECK_EQ_INT(lg->log_metrics(lg, 3, names, values, step), LIT_OK);
    CHECK_EQ_INT(lg->save(lg), LIT_OK);
}

/* ---------------------------------------------------------------- unit */

TEST(a_scripted_run_makes_a_complete_page) {
    char *dir = make_tmp_dir("html");
    lit_html_report_params p = lit_html_report_default_params();
    p.save_dir = dir;
    p.title = "digits <mlp> & friends";
    lit_logger lg;
    CHECK_EQ_INT(lit_html_report_logger(&lg, &p), LIT_OK);
    CHECK_STR_EQ(lg.name, "HTMLReport");
    CHECK_EQ_INT(lg.version_number(&lg), 0);
    CHECK_STR_EQ(lg.log_dir(&lg), join(dir, "lightning_logs/version_0"));
    CHECK_STR_EQ(lit_html_report_file(&lg), join(dir, "lightning_logs/version_0/report.html"));
    CHECK(!exists(join(dir, "lightning_logs"))); /* nothing on disk before the first write */

    const lit_logger_hparam hp[] = { { .name = "hidden", .kind = 0, .i = 32 },
                                     { .name = "lr", .kind = 1, .d = 0.001 },
                                     { .name = "note", .kind = 2, .s = "<b>&\"x'" } };
    CHECK_EQ_INT(lg.log_hyperparams(&lg, 3, hp), LIT_OK);
    CHECK_EQ_INT(lit_html_report_add_info(&lg, "dataset", "digits <8x8> & co"), LIT_OK);

    /* Three epochs as the Trainer sends them: step values, validation,
     * the train epoch mean; each followed by save(). */
    log_one(&lg, "train/loss_step", 2.0, 0, 0);
    log_one(&lg, "train/loss_step", 1.5, 0, 1);
    log_two(&lg, "val/loss", 1.25, "val/acc", 0.5, 0, 1);
    log_two(&lg, "train/loss_epoch", 1.75, "lr", 0.1, 0, 1);
    log_one(&lg, "train/loss_step", 1.0, 1, 2);
    log_one(&lg, "train/loss_step", 0.75, 1, 3);
    log_two(&lg, "val/loss", 0.5, "val/acc", 0.875, 1, 3);
    log_two(&lg, "train/loss_epoch", 0.875, "lr", 0.05, 1, 3);
    log_one(&lg, "train/loss_step", 0.5, 2, 4);
    log_one(&lg, "train/loss_step", 1.0, 2, 5);
    log_two(&lg, "val/loss", 0.75, "val/acc", 0.75, 2, 5);
    log_two(&lg, "train/loss_epoch", 0.75, "lr", 0.025, 2, 5);
    CHECK_EQ_INT(lg.finalize(&lg, "success"), LIT_OK);

    const char *path = join(dir, "lightning_logs/version_0/report.html");
    CHECK(exists(path));
    CHECK(!exists(join(dir, "lightning_logs/version_0/report.html.tmp")));
    char *html = slurp(path, NULL);
    CHECK(html != NULL);
    if (!html) return;
    check_balanced(html);
    check_no_urls(html);

    CHECK_STR_CONTAINS(html, "<title>digits &lt;mlp&gt; &amp; friends</title>");
    CHECK_STR_CONTAINS(html, "<span class=\"status success\">success</span>");
    CHECK(strstr(html, "http-equiv=\"refresh\"") == NULL); /* a finished page stays put */
    CHECK_STR_CONTAINS(html, "epoch 2");

    /* hyperparameters and info, escaped */
    CHECK_STR_CONTAINS(html, "<tr><th>hidden</th><td>32</td></tr>");
    CHECK_STR_CONTAINS(html, "<tr><th>lr</th><td>0.001</td></tr>");
    CHECK_STR_CONTAINS(html, "<tr><th>note</th><td>&lt;b&gt;&amp;&quot;x&#39;</td></tr>");
    CHECK_STR_CONTAINS(html, "<tr><th>dataset</th><td>digits &lt;8x8&gt; &amp; co</td></tr>");
    CHECK(strstr(html, "<b>&") == NULL);

    /* last and best with their steps: min for loss, max for acc, last for lr */
    CHECK_STR_CONTAINS(html, "<tr><th>val/loss</th><td class=\"num\" data-value=\"0.75\">0.75</td><td class=\"num\">5</td>"
                             "<td class=\"num\" data-value=\"0.5\">0.5</td><td class=\"num\">3</td><td>min</td>"
                             "<td class=\"num\">3</td></tr>");
    CHECK_STR_CONTAINS(html, "<tr><th>val/acc</th><td class=\"num\" data-value=\"0.75\">0.75</td><td class=\"num\">5</td>"
                             "<td class=\"num\" data-value=\"0.875\">0.875</td><td class=\"num\">3</td><td>max</td>");
    CHECK_STR_CONTAINS(html, "<tr><th>train/loss_step</th><td class=\"num\" data-value=\"1.0\">1</td>"
                             "<td class=\"num\">5</td><td class=\"num\" data-value=\"0.5\">0.5</td>"
                             "<td class=\"num\">4</td><td>min</td><td class=\"num\">6</td></tr>");
    CHECK_STR_CONTAINS(html, "<tr><th>train/loss_epoch</th><td class=\"num\" data-value=\"0.75\">0.75</td>"
                             "<td class=\"num\">5</td><td class=\"num\" data-value=\"0.75\">0.75</td>"
                             "<td class=\"num\">5</td><td>min</td>");
    CHECK_STR_CONTAINS(html, "<tr><th>lr</th><td class=\"num\" data-value=\"0.025\">0.025</td><td class=\"num\">5</td>"
                             "<td class=\"num\" data-value=\"0.025\">0.025</td><td class=\"num\">5</td><td>last</td>");
    CHECK(strstr(html, "<tr><th>epoch</th>") == NULL); /* the Trainer's epoch key is no metric row */

    /* charts: loss (train/loss_step, val/loss, train/loss_epoch), acc, lr */
    CHECK_EQ_INT(count(html, "<svg"), 3);
    CHECK_EQ_INT(count(html, "<path"), 5);
    CHECK_STR_CONTAINS(html, "aria-label=\"loss\"");
    CHECK_STR_CONTAINS(html, "aria-label=\"acc\"");
    CHECK_STR_CONTAINS(html, "aria-label=\"lr\"");
    const char *loss_chart = strstr(html, "aria-label=\"loss\"");
    const char *loss_end = loss_chart ? strstr(loss_chart, "</svg>") : NULL;
    CHECK(loss_end != NULL);
    if (loss_end) {
        char *chart = strndup(loss_chart, (size_t)(loss_end - loss_chart));
        CHECK_EQ_INT(count(chart, "<path"), 3);
        CHECK_STR_CONTAINS(chart, ">train/loss_step</text>");
        CHECK_STR_CONTAINS(chart, ">val/loss</text>");
        CHECK_STR_CONTAINS(chart, ">train/loss_epoch</text>");
        CHECK_STR_CONTAINS(chart, ">step</text>");              /* x label */
        CHECK_EQ_INT(count(chart, "<circle"), 6 + 3 + 3);        /* a marker per point */
        CHECK_STR_CONTAINS(chart, "text-anchor=\"end\">0.5</text>"); /* y tick labels */
        CHECK_STR_CONTAINS(chart, "text-anchor=\"middle\">4</text>"); /* x tick labels */
        free(chart);
    }
    free(html);

    /* A second report in the same save_dir takes the next version. */
    lit_logger lg2;
    CHECK_EQ_INT(lit_html_report_logger(&lg2, &p), LIT_OK);
    CHECK_EQ_INT(lg2.version_number(&lg2), 1);
    lg2.free(&lg2);
    lg.free(&lg);
    rm_rf(dir);
}

/* report.h's rule: first save, epoch-level/evaluation keys, a new epoch,
 * refresh_secs, finalize; nothing new, no write. */
TEST(the_update_rule) {
    char *dir = make_tmp_dir("html");
    lit_html_report_params p = lit_html_report_default_params();
    p.save_dir = dir;
    p.version_name = "rule";
    lit_logger lg;
    CHECK_EQ_INT(lit_html_report_logger(&lg, &p), LIT_OK);
    const char *path = lit_html_report_file(&lg);
    CHECK_STR_EQ(path, join(dir, "lightning_logs/rule/report.html"));
    CHECK_EQ_INT(lg.version_number(&lg), -1);
    char *html;
#define WRITES(n)                                        \
    do {                                                 \
        html = slurp(path, NULL);                        \
        CHECK_EQ_INT(html ? write_number(html) : 0, n);  \
        free(html);                                      \
    } while (0)
    CHECK_EQ_INT(lg.save(&lg), LIT_OK); /* nothing logged: nothing written */
    CHECK(!exists(path));
    log_one(&lg, "train/loss_step", 1.0, 0, 0);
    WRITES(1); /* 1: the first page */
    html = slurp(path, NULL);
    CHECK(html && strstr(html, "<meta http-equiv=\"refresh\" content=\"30\">")); /* running: reloads */
    CHECK(html && strstr(html, "<span class=\"status running\">running</span>"));
    free(html);
    log_one(&lg, "train/loss_step", 0.9, 0, 1);
    log_one(&lg, "train/loss_step", 0.8, 0, 2);
    WRITES(1); /* step values in the same epoch wait */
    CHECK_EQ_INT(lg.save(&lg), LIT_OK);
    WRITES(1);
    log_one(&lg, "val/loss", 0.7, 0, 2);
    WRITES(2); /* 2: evaluation */
    log_one(&lg, "train/loss_step", 0.6, 0, 3);
    WRITES(2);
    log_one(&lg, "train/loss_epoch", 0.75, 0, 3);
    WRITES(3); /* 2: an _epoch key */
    log_one(&lg, "train/loss_step", 0.5, 1, 4);
    WRITES(4); /* 3: a new epoch */
    log_one(&lg, "train/loss_step", 0.4, 1, 5);
    WRITES(4);
    log_one(&lg, "test_acc", 0.9, 1, 5);
    WRITES(5); /* 2: test key */
    CHECK_EQ_INT(lit_html_report_add_info(&lg, "host", "ci"), LIT_OK);
    CHECK_EQ_INT(lg.save(&lg), LIT_OK);
    WRITES(6); /* new info: the next save shows it */
    CHECK_EQ_INT(lg.finalize(&lg, "interrupted"), LIT_OK);
    WRITES(7); /* finalize always */
    html = slurp(path, NULL);
    CHECK(html && strstr(html, "<span class=\"status interrupted\">interrupted</span>"));
    CHECK(html && !strstr(html, "http-equiv"));
    free(html);
    CHECK_EQ_INT(lit_html_report_write(&lg), LIT_OK);
    WRITES(8);
    lg.free(&lg);

    /* 4: refresh_secs */
    p.version_name = "refresh";
    p.refresh_secs = 0.05;
    p.reload_secs = 0;
    CHECK_EQ_INT(lit_html_report_logger(&lg, &p), LIT_OK);
    path = lit_html_report_file(&lg);
    log_one(&lg, "train/loss_step", 1.0, 0, 0);
    log_one(&lg, "train/loss_step", 0.9, 0, 1);
    WRITES(1);
    html = slurp(path, NULL);
    CHECK(html && !strstr(html, "http-equiv")); /* reload_secs 0 */
    free(html);
    nanosleep(&(struct timespec){ .tv_nsec = 80 * 1000 * 1000 }, NULL);
    log_one(&lg, "train/loss_step", 0.8, 0, 2);
    WRITES(2);
#undef WRITES
    lg.free(&lg);
    rm_rf(dir);
}

/* 20000 points on a 460-pixel-wide plot: each pixel column keeps at most
 * its first, lowest, highest and last point, and a dense line gets no dots. */
TEST(many_points_are_decimated) {
    char *dir = make_tmp_dir("html");
    lit_html_report_params p = lit_html_report_default_params();
    p.save_dir = dir;
    lit_logger lg;
    CHECK_EQ_INT(lit_html_report_logger(&lg, &p), LIT_OK);
    const char *names[1] = { "train/loss_step" };
    lit_status st = LIT_OK;
    for (int64_t s = 0; s < 20000 && st >= 0; s++) {
        double v = 1.0 / (1.0 + (double)s * 0.01) + (double)((s * 7919) % 13) * 0.01;
        st = lg.log_metrics(&lg, 1, names, &v, s);
    }
    CHECK_EQ_INT(st, LIT_OK);
    CHECK_EQ_INT(lg.finalize(&lg, "success"), LIT_OK);
    char *html = slurp(lit_html_report_file(&lg), NULL);
    CHECK(html != NULL);
    if (html) {
        check_balanced(html);
        CHECK_EQ_INT(count(html, "<path"), 1);
        CHECK_EQ_INT(count(html, "<circle"), 0);
        const char *d = strstr(html, " d=\"M");
        int segs = 0;
        for (const char *c = d ? d + 4 : NULL; c && *c && *c != '"'; c++) segs += *c == 'L';
        CHECK_MSG(segs > 460 && segs < 4 * 470, "%d line segments", segs);
        CHECK_STR_CONTAINS(html, "<td class=\"num\">20000</td></tr>"); /* every point counted */
        free(html);
    }
    lg.free(&lg);
    rm_rf(dir);
}

/* Charts of extreme but finite data: steps beyond 2^53 (a restored
 * batches_that_stepped), a flat series at INT64_MAX, curves spanning
 * [-DBL_MAX, DBL_MAX] or a few subnormals. Every tick loop must end (the
 * old one added 0.5 to 2^54 forever, growing the page without bound), and
 * no coordinate may be NaN or Inf. Rendered in a child with a generous
 * watchdog, so a hang fails the test instead of the suite. */
static void render_extremes(const char *dir) {
    lit_html_report_params p = lit_html_report_default_params();
    p.save_dir = dir;
    lit_logger lg;
    CHECK_EQ_INT(lit_html_report_logger(&lg, &p), LIT_OK);
    const char *names[1] = { "train/loss_step" };
    const int64_t two53 = (int64_t)1 << 53;
    for (int k = 0; k < 3; k++) {
        double v = 1.0 + k;
        CHECK_EQ_INT(lg.log_metrics(&lg, 1, names, &v, two53 + 2 * k), LIT_OK);
    }
    const char *flat[1] = { "flat" };
    for (int k = 0; k < 2; k++) {
        double v = 1e300;
        CHECK_EQ_INT(lg.log_metrics(&lg, 1, flat, &v, INT64_MAX - k), LIT_OK);
    }
    const double big = 1.7976931348623157e308, sub = 4.9406564584124654e-324;
    CHECK_EQ_INT(lit_html_report_add_curve(&lg, "widest", "x", "y", 2, (double[]){ -big, big },
                                           (double[]){ -big, big }, 0), LIT_OK);
    CHECK_EQ_INT(lit_html_report_add_curve(&lg, "subnormal", "x", "y", 2, (double[]){ sub, 2 * sub },
                                           (double[]){ 0, sub }, 0), LIT_OK);
    CHECK_EQ_INT(lit_html_report_add_curve(&lg, "decades", "x", "y", 2, (double[]){ 1e-300, 1e300 },
                                           (double[]){ -1, 1 }, 1), LIT_OK);
    CHECK_EQ_INT(lg.finalize(&lg, "success"), LIT_OK);
    size_t len = 0;
    char *html = slurp(lit_html_report_file(&lg), &len);
    CHECK(html != NULL);
    if (html) {
        check_balanced(html);
        CHECK_EQ_INT(count(html, "<svg"), 5);
        CHECK_MSG(len < 200000, "%zu bytes", len);
        CHECK_EQ_INT(count(html, "nan"), 0);
        CHECK_EQ_INT(count(html, "inf\"") + count(html, "inf ") + count(html, "inf<"), 0);
        CHECK_STR_CONTAINS(html, ">9.01e+15</text>"); /* the steps' axis: its two ends */
        free(html);
    }
    lg.free(&lg);
}

TEST(extreme_finite_values_render_in_bounded_time) {
    char *dir = make_tmp_dir("html");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10); /* watchdog only: the page takes milliseconds */
        render_extremes(dir);
        fflush(stdout);
        _exit(harness_failures_ ? 1 : 0);
    }
    int status = 0;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the render %s %d",
              WIFEXITED(status) ? "failed, exit status" : "was killed (a loop that never ends?), signal",
              WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    rm_rf(dir);
}

static const char *other_dir;
static const char *other_log_dir(lit_logger *lg) { (void)lg; return other_dir; }
static int64_t other_version(lit_logger *lg) { (void)lg; return 42; }
static lit_status other_metrics(lit_logger *lg, int n, const char *const *names, const double *v, int64_t s) {
    (void)lg, (void)n, (void)names, (void)v, (void)s;
    return LIT_OK;
}

TEST(curves_log_x_and_log_dir_of) {
    char *dir = make_tmp_dir("html");
    other_dir = join(dir, "csv/version_3");
    lit_logger other = { .version = LIT_LOGGER_VERSION, .name = "Other", .log_metrics = other_metrics,
                         .log_dir = other_log_dir, .version_number = other_version };
    lit_html_report_params p = lit_html_report_default_params();
    p.log_dir_of = &other;
    lit_logger lg;
    CHECK_EQ_INT(lit_html_report_logger(&lg, &p), LIT_OK);
    CHECK_EQ_INT(lg.version_number(&lg), 42);
    CHECK_STR_EQ(lg.log_dir(&lg), join(dir, "csv/version_3"));

    /* The LR finder's curve: loss against lr on a log axis; a NaN and an
     * x <= 0 are left out. */
    enum { N = 41 };
    double xs[N + 2], ys[N + 2];
    for (int i = 0; i < N; i++) {
        xs[i] = pow(10.0, -6.0 + 6.0 * i / (N - 1)); /* 1e-6 .. 1 */
        ys[i] = 2.3 - 1.5 / (1.0 + exp(-(log10(xs[i]) + 3.5) * 3)) + (i > 35 ? (i - 35) * 0.4 : 0);
    }
    xs[N] = 0, ys[N] = 1.0;
    xs[N + 1] = 1e-3, ys[N + 1] = NAN;
    CHECK_EQ_INT(lit_html_report_add_curve(&lg, "LR <finder>", "learning rate", "loss", N + 2, xs, ys, 1), LIT_OK);
    CHECK_EQ_INT(lit_html_report_add_curve(&lg, "linear", "x", "y", 2, (double[]){ 0, 1 }, (double[]){ 0, 1 }, 0), LIT_OK);
    CHECK_EQ_INT(lit_html_report_add_curve(&lg, "linear", "x", "y", 3, (double[]){ 0, 1, 2 }, (double[]){ 0, 1, 4 }, 0),
                 LIT_OK); /* replaces */
    CHECK_EQ_INT(lit_html_report_write(&lg), LIT_OK);
    char *html = slurp(join(dir, "csv/version_3/report.html"), NULL);
    CHECK(html != NULL);
    if (html) {
        check_balanced(html);
        check_no_urls(html);
        CHECK_EQ_INT(count(html, "<svg"), 2);
        CHECK_EQ_INT(count(html, "<path"), 2);
        CHECK_STR_CONTAINS(html, "aria-label=\"LR &lt;finder&gt;\"");
        CHECK_STR_CONTAINS(html, ">learning rate</text>");
        CHECK_STR_CONTAINS(html, "text-anchor=\"middle\">1e-6</text>"); /* decade ticks */
        CHECK_STR_CONTAINS(html, "text-anchor=\"middle\">0.001</text>");
        CHECK_STR_CONTAINS(html, "text-anchor=\"middle\">1</text>");
        CHECK_STR_CONTAINS(html, "nothing logged yet");
        const char *lr = strstr(html, "aria-label=\"LR");
        const char *lr_end = lr ? strstr(lr, "</svg>") : NULL;
        if (lr_end) {
            char *chart = strndup(lr, (size_t)(lr_end - lr));
            CHECK_EQ_INT(count(chart, "<circle"), N); /* the NaN and x = 0 left out */
            /* count the path's moves (M): a NaN would start a new one */
            const char *d = strstr(chart, " d=\"");
            int moves = 0;
            for (const char *c = d; c && *c && *c != '>'; c++) moves += *c == 'M';
            CHECK_EQ_INT(moves, 1); /* the NaN comes last and x = 0 is skipped: one unbroken run */
            free(chart);
        }
        free(html);
    }

    /* not an HTML report / bad arguments */
    CHECK_EQ_INT(lit_html_report_add_info(&other, "a", "b"), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_html_report_add_curve(&other, "t", "x", "y", 0, NULL, NULL, 0), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_html_report_add_curve(&lg, "t", "x", "y", 2, NULL, NULL, 0), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_html_report_add_info(&lg, NULL, "b"), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_html_report_write(&other), LIT_ERR_INVALID_ARG);
    CHECK(lit_html_report_file(&other) == NULL);
    lg.free(&lg);

    lit_html_report_params bad = lit_html_report_default_params();
    CHECK_EQ_INT(lit_html_report_logger(&lg, &bad), LIT_ERR_CONFIG); /* no save_dir */
    bad.save_dir = dir;
    bad.file_name = "a/b.html";
    CHECK_EQ_INT(lit_html_report_logger(&lg, &bad), LIT_ERR_CONFIG);

    /* an unwritable folder is LIT_ERR_IO naming the path */
    bad.file_name = NULL;
    bad.save_dir = "/proc/litc-no-such-dir";
    CHECK_EQ_INT(lit_html_report_logger(&lg, &bad), LIT_OK);
    const char *names[1] = { "loss" };
    CHECK_EQ_INT(lg.log_metrics(&lg, 1, names, (double[]){ 1.0 }, 0), LIT_OK);
    CHECK_EQ_INT(lg.save(&lg), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "/proc/litc-no-such-dir");
    lit_clear_error();
    lg.free(&lg);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- a real fit */

#define D_IN 4
#include "tiny-data.h"
static void tiny_sample(int64_t i, float *x, float *y) { tiny_linear_sample(i, D_IN, x, y); }

typedef struct {
    lit_tensor *w, *b;
} reg;

static lit_tensor *predict(lit_module *m, lit_batch *bt) {
    reg *r = m->user;
    return lit_add(lit_matmul(lit_batch_get(bt, "x"), r->w), r->b);
}
static lit_status fit_train_step(lit_module *m, lit_batch *bt, int64_t i, lit_tensor **loss) {
    (void)i;
    *loss = lit_mse_loss(predict(m, bt), lit_batch_get(bt, "y"), LIT_REDUCTION_MEAN);
    return lit_module_log(m, "train/loss", *loss, .on_step = 1, .on_epoch = 1);
}
static lit_status fit_val_step(lit_module *m, lit_batch *bt, int64_t i, int dl, lit_tensor **out) {
    (void)i, (void)dl, (void)out;
    lit_tensor *pred = predict(m, bt), *y = lit_batch_get(bt, "y");
    LIT_TRY(lit_module_log(m, "val/loss", lit_mse_loss(pred, y, LIT_REDUCTION_MEAN)));
    /* "accuracy": the share of predictions within 0.25 of the target */
    int64_t n = pred->numel, hit = 0;
    for (int64_t k = 0; k < n; k++) hit += fabsf(lit_f32(pred)[k] - lit_f32(y)[k]) < 0.25f;
    return lit_module_log_scalar(m, "val/acc", (double)hit / (double)n);
}
static lit_status fit_configure(lit_module *m, lit_optim_config *cfg) {
    int n;
    lit_tensor **ps = lit_param_store_trainable(m->params, &n);
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = 0.04;
    return lit_optim_config_add(cfg, lit_sgd_new(&sp, ps, n));
}
static const lit_module_vtable FIT_VT = { .version = LIT_MODULE_VERSION, .training_step = fit_train_step,
                                          .validation_step = fit_val_step, .configure_optimizers = fit_configure };

static int64_t n_fit_train = 48, n_fit_val = 16;
static lit_dataloader *fit_train_dl, *fit_val_dl;
static lit_dataloader *fit_dm_train(void *u) { (void)u; return fit_train_dl; }
static int fit_dm_val(void *u, lit_dataloader **out) { (void)u; out[0] = fit_val_dl; return 1; }

/* 8 epochs of a linear regression with the report on the Trainer (plus an
 * LR-finder-like curve and info rows); the report's path into `path`. */
static lit_status fit_with_report(const char *save_dir, const char *version_name, char *path, size_t path_n) {
    fit_train_dl = tiny_loader(&n_fit_train, 4, NULL);
    fit_val_dl = tiny_loader(&n_fit_val, 8, NULL);
    lit_param_store *ps = lit_param_store_new("reg");
    reg r = { .w = lit_param_store_new_param(ps, NULL, "w", 2, (const int64_t[]){ D_IN, 1 }),
              .b = lit_param_store_new_param(ps, NULL, "b", 1, (const int64_t[]){ 1 }) };
    lit_module m;
    lit_module_init(&m, &FIT_VT, ps, &r);
    lit_module_save_hyperparameters(&m, 4, (const lit_hparam_value[]){ LIT_HP_INT("d_in", D_IN),
                                                                         LIT_HP_DOUBLE("lr", 0.04),
                                                                         LIT_HP_INT("batch_size", 4),
                                                                         LIT_HP_STRING("optimizer", "sgd") }, NULL);
    lit_datamodule dm = { .version = LIT_DATAMODULE_VERSION, .train_dataloader = fit_dm_train,
                          .val_dataloaders = fit_dm_val };
    lit_trainer_params tp = quiet_trainer_params();
    tp.max_epochs = 8;
    tp.log_every_n_steps = 2;
    tp.num_sanity_val_steps = 0;

    lit_html_report_params rp = lit_html_report_default_params();
    rp.save_dir = save_dir;
    rp.version_name = version_name;
    rp.title = "tiny linear regression";
    lit_logger rep;
    lit_status st = lit_html_report_logger(&rep, &rp);
    if (st >= 0) st = lit_html_report_add_info(&rep, "data", "48 train / 16 val samples, y = x.w* + 0.5");
    if (st >= 0) st = lit_html_report_add_info(&rep, "model", "Linear(4, 1), MSE loss");
    /* What the learning-rate finder will add (synthetic here). */
    enum { N = 61 };
    double xs[N], ys[N];
    for (int i = 0; i < N; i++) {
        xs[i] = pow(10.0, -6.0 + 6.0 * i / (N - 1));
        ys[i] = 2.0 - 1.4 / (1.0 + exp(-(log10(xs[i]) + 3.0) * 2.5)) + (i > 48 ? 0.025 * (i - 48) * (i - 48) : 0);
    }
    if (st >= 0) st = lit_html_report_add_curve(&rep, "lr finder (synthetic curve)", "learning rate", "loss", N, xs, ys, 1);
    lit_trainer *tr = NULL;
    if (st >= 0) st = lit_trainer_new(&tr, &tp);
    if (st >= 0) st = lit_trainer_add_logger(tr, &rep);
    if (st >= 0) st = lit_trainer_fit(tr, &m, &dm, NULL);
    const char *f = st >= 0 ? lit_html_report_file(&rep) : NULL;
    snprintf(path, path_n, "%s", f ? f : "");
    lit_trainer_free(tr);
    lit_module_deinit(&m);
    lit_param_store_free(ps);
    lit_dataloader_free(fit_train_dl);
    lit_dataloader_free(fit_val_dl);
    return st;
}

TEST(a_real_fit_writes_the_report) {
    char *dir = make_tmp_dir("html-fit");
    char path[1024];
    CHECK_EQ_INT(fit_with_report(dir, NULL, path, sizeof path), LIT_OK);
    CHECK_STR_EQ(path, join(dir, "lightning_logs/version_0/report.html"));
    char *html = slurp(path, NULL);
    CHECK(html != NULL);
    if (html) {
        check_balanced(html);
        check_no_urls(html);
        CHECK_STR_CONTAINS(html, "<span class=\"status success\">success</span>");
        CHECK_STR_CONTAINS(html, "<tr><th>optimizer</th><td>sgd</td></tr>");
        CHECK_STR_CONTAINS(html, "<tr><th>lr</th><td>0.04</td></tr>");
        /* loss (train/loss_step, train/loss_epoch, val/loss), acc, the curve */
        CHECK_EQ_INT(count(html, "<svg"), 3);
        CHECK_EQ_INT(count(html, "<path"), 5);
        /* 12 batches an epoch: train/loss_epoch and val/loss once per epoch,
         * at the epoch's last step (11, 23, ... 95) */
        CHECK_STR_CONTAINS(html, "<th>train/loss_epoch</th>");
        CHECK_STR_CONTAINS(html, "<td class=\"num\">95</td><td>min</td><td class=\"num\">8</td></tr>");
        CHECK_STR_CONTAINS(html, "<th>val/acc</th>");
        CHECK_STR_CONTAINS(html, "epoch 7");
        free(html);
    }
    rm_rf(dir);
}

/* ---------------------------------------------------------------- rendering with Chromium */

static const char *find_chromium(void) {
    static const char *const names[] = { "chromium", "chromium-browser", "google-chrome" };
    static char found[256];
    const char *path = getenv("PATH");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        for (const char *p = path ? path : "/usr/bin"; *p;) {
            const char *end = strchr(p, ':');
            size_t len = end ? (size_t)(end - p) : strlen(p);
            snprintf(found, sizeof found, "%.*s/%s", (int)len, p, names[i]);
            if (access(found, X_OK) == 0) return found;
            p += len + (end ? 1 : 0);
        }
    }
    return NULL;
}

/* Run chromium headless on file://html with `what` (--screenshot=... or
 * --dump-dom), stdout to `out`; 0 on success. The profile lives in `tmp`
 * so runs never share state; stderr (dbus noise) goes to tmp/chromium.log. */
static int run_chromium(const char *chromium, const char *tmp, const char *what, const char *html, const char *out,
                        int w, int h, double *secs) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "timeout 120 '%s' --headless --disable-gpu --no-sandbox --no-first-run --hide-scrollbars "
             "--user-data-dir='%s/profile' --window-size=%d,%d %s 'file://%s' >'%s' 2>>'%s/chromium.log'",
             chromium, tmp, w, h, what, html, out, tmp);
    double t0 = lit_time_now();
    int rc = system(cmd);
    *secs = lit_time_now() - t0;
    return rc;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

typedef struct {
    int64_t ink;        /* pixels not near-white */
    int64_t blue, orange; /* pixels near the first two series colours */
    int decoded;
} png_stats;

#ifdef LITC_HAVE_ZLIB
static int paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
static int near(const unsigned char *px, int r, int g, int b) {
    return abs(px[0] - r) <= 24 && abs(px[1] - g) <= 24 && abs(px[2] - b) <= 24;
}
#endif

/* Inflate the IDAT stream and undo the filters (8-bit RGB/RGBA, not
 * interlaced: what Chromium writes), then count pixels. */
static png_stats png_pixels(const unsigned char *png, size_t n, uint32_t w, uint32_t h) {
    png_stats s = { 0 };
#ifdef LITC_HAVE_ZLIB
    if (png[24] != 8 || (png[25] != 2 && png[25] != 6) || png[28] != 0) return s;
    int bpp = png[25] == 6 ? 4 : 3;
    size_t stride = (size_t)w * (size_t)bpp, raw_n = (stride + 1) * h;
    unsigned char *idat = malloc(n), *raw = malloc(raw_n), *img = malloc(stride * h);
    size_t idat_n = 0;
    for (size_t off = 8; idat && off + 12 <= n;) {
        uint32_t len = be32(png + off);
        if (off + 12 + len > n) break;
        if (!memcmp(png + off + 4, "IDAT", 4)) memcpy(idat + idat_n, png + off + 8, len), idat_n += len;
        off += 12 + len;
    }
    uLongf got = (uLongf)raw_n;
    if (idat && raw && img && uncompress(raw, &got, idat, (uLong)idat_n) == Z_OK && got == raw_n) {
        for (uint32_t y = 0; y < h; y++) {
            const unsigned char *r = raw + y * (stride + 1) + 1;
            unsigned char *o = img + y * stride, *up = y ? o - stride : NULL;
            int f = r[-1];
            for (size_t x = 0; x < stride; x++) {
                int a = x >= (size_t)bpp ? o[x - (size_t)bpp] : 0, b = up ? up[x] : 0,
                    c = up && x >= (size_t)bpp ? up[x - (size_t)bpp] : 0;
                int v = r[x] + (f == 1 ? a : f == 2 ? b : f == 3 ? (a + b) / 2 : f == 4 ? paeth(a, b, c) : 0);
                o[x] = (unsigned char)v;
            }
        }
        for (size_t i = 0; i < (size_t)w * h; i++) {
            const unsigned char *p = img + i * (size_t)bpp;
            if (p[0] < 235 || p[1] < 235 || p[2] < 235) s.ink++;
            if (near(p, 0x1f, 0x77, 0xb4)) s.blue++;
            if (near(p, 0xff, 0x7f, 0x0e)) s.orange++;
        }
        s.decoded = 1;
    }
    free(idat);
    free(raw);
    free(img);
#else
    (void)png, (void)n, (void)w, (void)h;
#endif
    return s;
}

TEST(chromium_renders_the_report) {
    const char *chromium = find_chromium();
    if (!chromium) {
        SKIP("no chromium on PATH (scripts/deps.sh installs Debian's \"chromium\")");
        return;
    }
    char *dir = make_tmp_dir("html-render");
    char path[1024];
    CHECK_EQ_INT(fit_with_report(dir, "render", path, sizeof path), LIT_OK);
    char *html = slurp(path, NULL);
    CHECK(html != NULL);
    if (!html) return;
    int n_svg = count(html, "<svg"), n_path = count(html, "<path");

    /* The parsed DOM after load holds every chart and series. */
    char dom_path[1100], png_path[1100], blank_html[1100], blank_png[1100], sink[1100];
    snprintf(dom_path, sizeof dom_path, "%s/dom.html", dir);
    snprintf(png_path, sizeof png_path, "%s/report.png", dir);
    snprintf(blank_html, sizeof blank_html, "%s/blank.html", dir);
    snprintf(blank_png, sizeof blank_png, "%s/blank.png", dir);
    snprintf(sink, sizeof sink, "%s/stdout.txt", dir);
    double t_dom, t_shot, t_blank;
    CHECK_EQ_INT(run_chromium(chromium, dir, "--dump-dom", path, dom_path, 1200, 900, &t_dom), 0);
    char *dom = slurp(dom_path, NULL);
    CHECK(dom != NULL);
    if (dom) {
        CHECK_EQ_INT(count(dom, "<svg"), n_svg);
        CHECK_EQ_INT(count(dom, "</svg>"), n_svg);
        CHECK_EQ_INT(count(dom, "<path"), n_path);
        CHECK_EQ_INT(count(dom, "</path>"), n_path);
        CHECK_STR_CONTAINS(dom, ">train/loss_epoch</text>");
        CHECK_STR_CONTAINS(dom, "tiny linear regression");
        free(dom);
    }

    char what[1200];
    snprintf(what, sizeof what, "--screenshot='%s'", png_path);
    CHECK_EQ_INT(run_chromium(chromium, dir, what, path, sink, 1200, 900, &t_shot), 0);
    size_t png_n = 0;
    unsigned char *png = (unsigned char *)slurp(png_path, &png_n);
    CHECK(png != NULL && png_n > 33);
    if (png && png_n > 33) {
        CHECK(!memcmp(png, "\x89PNG\r\n\x1a\n", 8));
        CHECK(!memcmp(png + 12, "IHDR", 4));
        CHECK_EQ_INT(be32(png + 16), 1200);
        CHECK_EQ_INT(be32(png + 20), 900);
        png_stats s = png_pixels(png, png_n, be32(png + 16), be32(png + 20));
        if (s.decoded) {
            /* text, tables and charts: a real share of the page is ink, and
             * the series colours are on screen (blue: the first series of
             * each chart; orange: the second of the loss chart) */
            printf("  screenshot: %zu bytes, %lld ink pixels, %lld blue, %lld orange\n", png_n, (long long)s.ink,
                   (long long)s.blue, (long long)s.orange);
            CHECK(s.ink > 1200 * 900 / 50);
            CHECK(s.blue > 300);
            CHECK(s.orange > 60);
        } else {
            /* no zlib: a blank page's screenshot is a few kB; ours is far bigger */
            FILE *f = fopen(blank_html, "w");
            if (f) fputs("<!DOCTYPE html><html><body></body></html>\n", f), fclose(f);
            snprintf(what, sizeof what, "--screenshot='%s'", blank_png);
            CHECK_EQ_INT(run_chromium(chromium, dir, what, blank_html, sink, 1200, 900, &t_blank), 0);
            struct stat bs;
            CHECK(stat(blank_png, &bs) == 0);
            printf("  screenshot: %zu bytes, blank page %lld bytes (pixels not decoded: built without zlib)\n", png_n,
                   (long long)bs.st_size);
            CHECK((long long)png_n > 4 * (long long)bs.st_size);
        }
    }
    printf("  chromium: --dump-dom %.2fs, --screenshot %.2fs\n", t_dom, t_shot);
    free(png);
    free(html);
    rm_rf(dir);
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--demo")) {
        /* scripts/report-screenshot.sh: a representative report, kept */
        char path[1024];
        lit_status st = fit_with_report(argv[2], "demo", path, sizeof path);
        if (st < 0) {
            fprintf(stderr, "test-html-report --demo: %s: %s\n", lit_status_str(st), lit_last_error());
            return 1;
        }
        printf("%s\n", path);
        return 0;
    }
    RUN(a_scripted_run_makes_a_complete_page);
    RUN(the_update_rule);
    RUN(many_points_are_decimated);
    RUN(extreme_finite_values_render_in_bounded_time);
    RUN(curves_log_x_and_log_dir_of);
    RUN(a_real_fit_writes_the_report);
    RUN(chromium_renders_the_report);
    return harness_summary();
}
