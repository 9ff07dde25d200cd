/*
 * Progress bar: tqdm-compatible formatting helpers, terminal redraws with
 * '\r' throttled by a fake clock, sparse plain lines without '\r' otherwise.
 */
#include "harness.h"

typedef struct {
    double t;
} fake_clock;

static double fake_now(void *user) { return ((fake_clock *)user)->t; }

/* An in-memory FILE whose text is read back with capture_text. */
typedef struct {
    FILE *f;
    char *buf;
    size_t len;
} capture;

static void capture_open(capture *c) {
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
}
static const char *capture_text(capture *c) {
    fflush(c->f);
    return c->buf ? c->buf : "";
}
static void capture_close(capture *c) {
    fclose(c->f);
    free(c->buf);
}

static int count_char(const char *s, char ch) {
    int n = 0;
    for (; *s; s++) n += *s == ch;
    return n;
}

static int count_str(const char *s, const char *needle) {
    int n = 0;
    size_t k = strlen(needle);
    for (const char *c = strstr(s, needle); c; c = strstr(c + k, needle)) n++;
    return n;
}

TEST(format_interval) {
    char b[32];
    CHECK_STR_EQ(lit_progress_format_interval(b, sizeof b, 0), "00:00");
    CHECK_STR_EQ(lit_progress_format_interval(b, sizeof b, 5.9), "00:05");
    CHECK_STR_EQ(lit_progress_format_interval(b, sizeof b, 75), "01:15");
    CHECK_STR_EQ(lit_progress_format_interval(b, sizeof b, 3599.99), "59:59");
    CHECK_STR_EQ(lit_progress_format_interval(b, sizeof b, 3600), "1:00:00");
    CHECK_STR_EQ(lit_progress_format_interval(b, sizeof b, 3725), "1:02:05");
    CHECK_STR_EQ(lit_progress_format_interval(b, sizeof b, 36000 + 61), "10:01:01");
    CHECK_STR_EQ(lit_progress_format_interval(b, sizeof b, -1), "?");
    CHECK_STR_EQ(lit_progress_format_interval(b, sizeof b, NAN), "?");
}

TEST(format_rate) {
    char b[32];
    CHECK_STR_EQ(lit_progress_format_rate(b, sizeof b, 12.34), "12.34it/s");
    CHECK_STR_EQ(lit_progress_format_rate(b, sizeof b, 3.667), " 3.67it/s");
    CHECK_STR_EQ(lit_progress_format_rate(b, sizeof b, 1.0), " 1.00it/s");
    CHECK_STR_EQ(lit_progress_format_rate(b, sizeof b, 1.0 / 1.23), " 1.23s/it");
    CHECK_STR_EQ(lit_progress_format_rate(b, sizeof b, 1.0 / 12.5), "12.50s/it");
    CHECK_STR_EQ(lit_progress_format_rate(b, sizeof b, 1234.5), "1234.50it/s");
    CHECK_STR_EQ(lit_progress_format_rate(b, sizeof b, 0), "?it/s");
    CHECK_STR_EQ(lit_progress_format_rate(b, sizeof b, INFINITY), "?it/s");
}

TEST(format_num_like_tqdm) {
    char b[64];
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, 0.123456), "0.123");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, 2.34567), "2.35");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, 0.5), "0.5");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, 1.0), "1");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, 1e-5), "1e-5");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, 3.14159e-4), "0.000314");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, 123456.0), "1.23e+5");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, 1234.0), "1234.0");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, -0.5), "-.5");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, NAN), "nan");
    CHECK_STR_EQ(lit_progress_format_num(b, sizeof b, -INFINITY), "-inf");

    CHECK_STR_EQ(lit_progress_format_pyfloat(b, sizeof b, 0.1), "0.1");
    CHECK_STR_EQ(lit_progress_format_pyfloat(b, sizeof b, 1234.0), "1234.0");
    CHECK_STR_EQ(lit_progress_format_pyfloat(b, sizeof b, 1e-5), "1e-05");
    CHECK_STR_EQ(lit_progress_format_pyfloat(b, sizeof b, 1e16), "1e+16");
    CHECK_STR_EQ(lit_progress_format_pyfloat(b, sizeof b, 1e15), "1000000000000000.0");
    CHECK_STR_EQ(lit_progress_format_pyfloat(b, sizeof b, 0.0001), "0.0001");
    CHECK_STR_EQ(lit_progress_format_pyfloat(b, sizeof b, -2.5e-7), "-2.5e-07");
    CHECK_STR_EQ(lit_progress_format_pyfloat(b, sizeof b, 1.0 / 3.0), "0.3333333333333333");
}

TEST(format_bar) {
    char b[256];
    CHECK_STR_EQ(lit_progress_format_bar(b, sizeof b, 0.0, 10, 1), "          ");
    CHECK_STR_EQ(lit_progress_format_bar(b, sizeof b, 0.45, 10, 1), "####5     ");
    CHECK_STR_EQ(lit_progress_format_bar(b, sizeof b, 1.0, 10, 1), "##########");
    CHECK_STR_EQ(lit_progress_format_bar(b, sizeof b, 2.0, 4, 1), "####");
    /* 0.45 * 10 * 8 = 36 eighths: 4 full blocks and a half block. */
    CHECK_STR_EQ(lit_progress_format_bar(b, sizeof b, 0.45, 10, 0),
                 "\u2588\u2588\u2588\u2588\u258C     ");
    CHECK_STR_EQ(lit_progress_format_bar(b, sizeof b, 1.0, 3, 0), "\u2588\u2588\u2588");
}

TEST(plain_output_is_sparse_and_has_no_carriage_return) {
    capture c;
    capture_open(&c);
    fake_clock clk = {100.0};
    lit_progress *p = lit_progress_new(c.f, 0, 0.5);
    CHECK(p != NULL);
    CHECK_EQ_INT(lit_progress_is_tty(p), 0);
    lit_progress_set_clock(p, fake_now, &clk);
    lit_progress_set_ascii(p, 1);
    lit_progress_stage_begin(p, "Epoch 3", 100);
    CHECK_STR_EQ(capture_text(&c), ""); /* nothing at begin */
    const char *names[] = {"v_num", "loss"};
    for (int i = 1; i <= 100; i++) {
        clk.t = 100.0 + i / 10.0; /* 10 it/s */
        double vals[] = {0, 1.0 / i};
        lit_progress_update(p, i, 2, names, vals);
    }
    lit_progress_stage_end(p);
    const char *out = capture_text(&c);
    CHECK(strchr(out, '\r') == NULL);
    CHECK(strstr(out, "\033") == NULL);
    /* One line per 10% (10%..90%; 100% is the end line), plus the end line. */
    int lines = count_char(out, '\n');
    CHECK_MSG(lines == 10, "expected 10 lines, got %d:\n%s", lines, out);
    CHECK_STR_CONTAINS(out, "Epoch 3:  10%|##                  | 10/100 [00:01<00:09, 10.00it/s, v_num=0, loss=0.1]\n");
    CHECK_STR_CONTAINS(out, "Epoch 3:  50%|##########          | 50/100 [00:05<00:05, 10.00it/s, v_num=0, loss=0.02]\n");
    /* The end line: total, elapsed, rate and the metrics of the last update. */
    const char *last = out + strlen(out) - 1;
    while (last > out && last[-1] != '\n') last--;
    CHECK_STR_EQ(last, "Epoch 3: 100%|####################| 100/100 [00:10<00:00, 10.00it/s, v_num=0, loss=0.01]\n");
    lit_progress_free(p);
    capture_close(&c);
}

TEST(plain_output_time_gate_and_unknown_total) {
    capture c;
    capture_open(&c);
    fake_clock clk = {0.0};
    lit_progress *p = lit_progress_new(c.f, 0, 1.0);
    lit_progress_set_clock(p, fake_now, &clk);
    lit_progress_set_ascii(p, 1);
    lit_progress_set_plain(p, 10, 5.0);
    lit_progress_stage_begin(p, "Validation", -1);
    for (int i = 1; i <= 40; i++) { /* 20 s at 2 it/s: a line every 5 s */
        clk.t += 0.5;
        lit_progress_update(p, i, 0, NULL, NULL);
    }
    lit_progress_stage_end(p);
    const char *out = capture_text(&c);
    CHECK(strchr(out, '\r') == NULL);
    CHECK_EQ_INT(count_char(out, '\n'), 4 + 1);
    CHECK_STR_CONTAINS(out, "Validation: |                    | 10/? [00:05<?,  2.00it/s]\n");
    CHECK_STR_CONTAINS(out, "Validation: |                    | 40/? [00:20<?,  2.00it/s]\n");

    /* refresh_seconds caps the rate of lines even when each update passes 10%. */
    lit_progress_stage_begin(p, "Testing", 5);
    size_t before = strlen(capture_text(&c));
    for (int i = 1; i <= 4; i++) {
        clk.t += 0.25;
        lit_progress_update(p, i, 0, NULL, NULL);
    }
    out = capture_text(&c) + before;
    CHECK_EQ_INT(count_char(out, '\n'), 1); /* at 1.0 s, never at 0.25/0.5/0.75 s */
    lit_progress_stage_end(p);
    lit_progress_free(p);
    capture_close(&c);
}

TEST(tty_redraws_in_place_and_throttles) {
    capture c;
    capture_open(&c);
    fake_clock clk = {10.0};
    lit_progress *p = lit_progress_new(c.f, 1, 1.0);
    CHECK_EQ_INT(lit_progress_is_tty(p), 1);
    lit_progress_set_clock(p, fake_now, &clk);
    lit_progress_set_ascii(p, 1);
    lit_progress_set_width(p, 80);
    lit_progress_stage_begin(p, "Epoch 0", 20);
    CHECK_EQ_INT(count_char(capture_text(&c), '\r'), 1); /* the empty bar at once */
    const char *names[] = {"loss"};
    for (int i = 1; i <= 20; i++) {
        clk.t += 0.25; /* 4 it/s, refresh 1 s: a redraw every 4 updates */
        double v[] = {0.123456};
        lit_progress_update(p, i, 1, names, v);
    }
    const char *out = capture_text(&c);
    CHECK_EQ_INT(count_char(out, '\r'), 1 + 5);
    CHECK_EQ_INT(count_char(out, '\n'), 0);
    lit_progress_stage_end(p);
    out = capture_text(&c);
    CHECK_EQ_INT(count_char(out, '\r'), 1 + 5 + 1);
    CHECK_EQ_INT(count_char(out, '\n'), 1);
    /* The bar fills the terminal width (80), as tqdm's; its width follows the text around it. */
    const char *final = strrchr(out, '\r') + 1;
    CHECK_STR_EQ(final, "Epoch 0: 100%|######################| 20/20 [00:05<00:00,  4.00it/s, loss=0.123]\n");
    CHECK_EQ_INT(strlen(final) - 1, 80);
    CHECK_STR_CONTAINS(out, "\rEpoch 0:  20%|####6                  | 4/20 [00:01<00:04,  4.00it/s, loss=0.123]");
    lit_progress_free(p);
    capture_close(&c);
}

TEST(tty_nested_stage_is_erased_and_long_lines_cut) {
    capture c;
    capture_open(&c);
    fake_clock clk = {0.0};
    lit_progress *p = lit_progress_new(c.f, 1, 0.0);
    lit_progress_set_clock(p, fake_now, &clk);
    lit_progress_set_ascii(p, 0);
    lit_progress_set_width(p, 60);
    lit_progress_stage_begin(p, "Epoch 1", 2);
    clk.t = 1;
    lit_progress_update(p, 1, -1, NULL, NULL);
    lit_progress_stage_begin(p, "Validation", 3);
    CHECK_EQ_INT(lit_progress_depth(p), 2);
    lit_progress_update(p, 1, 0, NULL, NULL);
    size_t before = strlen(capture_text(&c));
    lit_progress_stage_end(p);
    const char *tail = capture_text(&c) + before;
    /* Erased: down one line, blanks, back up; no text of the bar. */
    CHECK_STR_CONTAINS(tail, "\n\r ");
    CHECK_STR_CONTAINS(tail, "\033[A");
    CHECK(strstr(tail, "Validation") == NULL);
    CHECK_EQ_INT(lit_progress_depth(p), 1);

    const char *names[] = {"a_rather_long_metric_name", "another_long_metric_name", "third"};
    double vals[] = {1, 2, 3};
    clk.t = 2;
    lit_progress_update(p, 2, 3, names, vals);
    lit_progress_stage_end(p);
    const char *out = capture_text(&c);
    const char *final = strrchr(out, '\r') + 1;
    /* Cut to 60 display cells (UTF-8 blocks count one each). */
    int cells = 0;
    for (const char *s = final; *s && *s != '\n'; s++) cells += ((unsigned char)*s & 0xC0) != 0x80;
    CHECK_EQ_INT(cells, 60);
    CHECK_STR_CONTAINS(final, "Epoch 1: 100%|\u2588| 2/2 [00:02<00:00,  1.00it/s, a_rather_lon");
    lit_progress_free(p);
    capture_close(&c);
}

TEST(sanity_check_is_transient_and_print_keeps_bars) {
    capture c;
    capture_open(&c);
    fake_clock clk = {0.0};
    lit_progress *p = lit_progress_new(c.f, 1, 0.0);
    lit_progress_set_clock(p, fake_now, &clk);
    lit_progress_set_ascii(p, 1);
    lit_progress_set_width(p, 50);
    lit_progress_stage_begin(p, "Sanity Checking", 2);
    lit_progress_update(p, 2, 0, NULL, NULL);
    lit_progress_stage_end(p);
    CHECK_EQ_INT(count_char(capture_text(&c), '\n'), 0); /* erased, nothing left */

    lit_progress_stage_begin(p, "Epoch 0", 4);
    lit_progress_print(p, "checkpoint saved");
    const char *out = capture_text(&c);
    CHECK_STR_CONTAINS(out, "checkpoint saved\n\rEpoch 0:   0%|");
    lit_progress_free(p); /* ends the open stage: final state + newline */
    capture_close(&c);

    /* Plain: print is a plain line; a transient stage still ends with its line. */
    capture_open(&c);
    p = lit_progress_new(c.f, 0, 0.0);
    lit_progress_set_clock(p, fake_now, &clk);
    lit_progress_set_ascii(p, 1);
    lit_progress_print(p, "hello");
    lit_progress_stage_begin(p, "Sanity Checking", 2);
    lit_progress_update(p, 2, 0, NULL, NULL);
    lit_progress_stage_end(p);
    CHECK_STR_EQ(capture_text(&c), "hello\nSanity Checking: 100%|####################| 2/2 [00:00<?, ?it/s]\n");
    lit_progress_free(p);
    capture_close(&c);
}

TEST(misuse_is_caught) {
    capture c;
    capture_open(&c);
    lit_progress *p = lit_progress_new(c.f, 0, 0.1);
    EXPECT_ASSERT(lit_progress_update(p, 1, 0, NULL, NULL), "no stage is open");
    EXPECT_ASSERT(lit_progress_stage_end(p), "no stage is open");
    for (int i = 0; i < LIT_PROGRESS_MAX_DEPTH; i++) lit_progress_stage_begin_ex(p, "x", 1, 0);
    EXPECT_ASSERT(lit_progress_stage_begin(p, "y", 1), "stages already open");
    lit_progress_set_plain(p, 0, 0); /* no lines but the end ones */
    lit_progress_free(p); /* ends the 4 open stages: 4 end lines */
    CHECK_EQ_INT(count_str(capture_text(&c), "x:   0%|"), 4);
    lit_progress_free(NULL);
    capture_close(&c);
}

int main(void) {
    RUN(format_interval);
    RUN(format_rate);
    RUN(format_num_like_tqdm);
    RUN(format_bar);
    RUN(plain_output_is_sparse_and_has_no_carriage_return);
    RUN(plain_output_time_gate_and_unknown_total);
    RUN(tty_redraws_in_place_and_throttles);
    RUN(tty_nested_stage_is_erased_and_long_lines_cut);
    RUN(sanity_check_is_transient_and_print_keeps_bars);
    RUN(misuse_is_caught);
    return harness_summary();
}
