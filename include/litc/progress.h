/*
 * litc/progress.h — the progress bar (Lightning's TQDMProgressBar look) as a
 * standalone component the trainer drives.
 *
 * On a terminal it draws a live bar redrawn in place with '\r', throttled to
 * one redraw per `refresh_seconds`:
 *
 *     Epoch 3:  45%|████▌     | 45/100 [00:12<00:15,  3.67it/s, v_num=0, loss=0.123]
 *
 * (tqdm's layout: "desc: pct%|bar| n/total [elapsed<remaining, rate, metrics]";
 * unknown totals show "Epoch 3: |          | 45/? [00:12<?,  3.67it/s]").
 * When the output is not a terminal (CI logs, files) it never writes '\r':
 * it prints sparse plain lines of the same text (bar 20 characters wide),
 * at most one per `refresh_seconds`, and only when another `plain_percent`
 * (default 10%) of the total is done or `plain_seconds` (default 30 s) passed
 * since the last line; and always one line at stage end.
 *
 * Intended usage (what the trainer does):
 *
 *     lit_progress *pb = lit_progress_new(stdout, -1, 0.1);  // -1: isatty()
 *     const char *names[] = {"v_num", "loss", "val_loss"}; double vals[] = {0, 0, 0};
 *     lit_progress_stage_begin(pb, "Epoch 0", n);
 *     for (int64_t i = 0; i < n; i++) {
 *         ... step ...
 *         vals[1] = loss;
 *         lit_progress_update(pb, i + 1, 2, names, vals);
 *     }
 *         lit_progress_stage_begin(pb, "Validation", n_val);   // nested: a
 *         ... lit_progress_update(pb, j + 1, 0, NULL, NULL) ...  // second line,
 *         lit_progress_stage_end(pb);                           // erased at end
 *     vals[2] = val_loss;
 *     lit_progress_update(pb, n, 3, names, vals);              // + val metrics
 *     lit_progress_stage_end(pb);                               // final + '\n'
 *     lit_progress_free(pb);
 *
 * Stages nest (up to LIT_PROGRESS_MAX_DEPTH): update/end act on the innermost
 * one. On a terminal a nested stage is drawn on the line below its parent
 * (ANSI cursor-up, as tqdm's position=1) and erased at its end (tqdm's
 * leave=False); a top-level stage is left on screen with its final state and a
 * newline, except "Sanity Checking", which is erased (as Lightning's). Use
 * lit_progress_stage_begin_ex to choose. Plain (non-terminal) output prints
 * the end line of every stage.
 *
 * Metrics are formatted like tqdm's set_postfix: "name=value" joined by ", ",
 * numbers with 3 significant digits ("loss=0.123", "lr=1e-5") — tqdm's
 * format_num, which keeps Python's str(x) when that is shorter ("0.5",
 * "1234.0"); "v_num" is printed as an integer when it is one.
 *
 * Differences from tqdm: the rate is the stage's average (done / elapsed),
 * not tqdm's exponential moving average; unknown totals show "?" as the
 * remaining time (tqdm shows 00:00). A slow rate is shown inverted ("
 * 1.23s/it") as tqdm's default rate_fmt (Lightning's bar format never inverts).
 *
 * Not thread-safe; drive it from one thread (rank 0). Errors writing `out`
 * are ignored (a progress bar never fails training).
 */
#ifndef LITC_PROGRESS_H
#define LITC_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_PROGRESS_MAX_DEPTH 4

typedef struct lit_progress lit_progress;

/* New progress bar writing to `out` (NULL = stdout; not owned, not closed).
 * is_tty: 1 live bar, 0 plain lines, -1 detect with isatty(fileno(out)).
 * refresh_seconds: minimum time between redraws (< 0 is taken as 0).
 * Unicode blocks are used when LC_ALL/LC_CTYPE/LANG names UTF-8, else ASCII
 * ('#' and digits, as tqdm's ascii=True); see lit_progress_set_ascii.
 * The terminal width comes from the terminal (TIOCGWINSZ), else $COLUMNS,
 * else 100. Returns NULL on out of memory (last error set). */
lit_progress *lit_progress_new(FILE *out, int is_tty, double refresh_seconds);
/* Ends the stages still open (printing their end state), then frees. NULL is a no-op. */
void lit_progress_free(lit_progress *p);

/* Replace the clock (default lit_time_now, monotonic seconds); for tests.
 * now NULL restores the default. */
void lit_progress_set_clock(lit_progress *p, double (*now)(void *user), void *user);
/* 1: ASCII bar (" 123456789#"), 0: Unicode blocks. */
void lit_progress_set_ascii(lit_progress *p, int ascii);
/* Terminal width in columns used on a terminal (the bar fills it and the line
 * is cut to it); <= 0 detects again. */
void lit_progress_set_width(lit_progress *p, int ncols);
/* Plain-line pacing (non-terminal output): a line when at least `percent`
 * more of the total is done (<= 0: never by progress), or `seconds` passed
 * since the last line (<= 0: never by time); never more than one line per
 * refresh_seconds. Defaults 10 and 30. */
void lit_progress_set_plain(lit_progress *p, double percent, double seconds);
int lit_progress_is_tty(const lit_progress *p);

/* Start a stage: "Sanity Checking", "Epoch 3", "Validation", "Testing",
 * "Predicting" (copied; truncated to 63 bytes). total: number of batches, or
 * -1 when unknown. On a terminal the empty bar is drawn at once. Asserts that
 * fewer than LIT_PROGRESS_MAX_DEPTH stages are open. */
void lit_progress_stage_begin(lit_progress *p, const char *stage, int64_t total);
/* Same, choosing whether the bar stays on a terminal at its end:
 * leave 1 keep (final state + newline; top-level stages only), 0 erase,
 * -1 automatic (as described above). */
void lit_progress_stage_begin_ex(lit_progress *p, const char *stage, int64_t total, int leave);
/* Progress of the innermost stage: `done` batches so far, and the metrics to
 * show (names[i] = values[i], in order; copied). n_metrics < 0 keeps the
 * previous metrics, 0 clears them. Redraws when refresh_seconds passed since
 * the last draw (terminal) or a plain line is due. Asserts a stage is open. */
void lit_progress_update(lit_progress *p, int64_t done, int n_metrics, const char *const *names,
                         const double *values);
/* End the innermost stage: terminal: draw its final state, then a newline
 * (kept) or erase its line; plain: print its end line. Asserts a stage is open. */
void lit_progress_stage_end(lit_progress *p);
/* Print a message line (a '\n' is added) without breaking the bars (as
 * tqdm.write): on a terminal the bars are erased, the line printed and the
 * bars redrawn below it. */
void lit_progress_print(lit_progress *p, const char *msg);
/* Number of open stages. */
int lit_progress_depth(const lit_progress *p);

/* ---------------------------------------------------------------- formatting
 * Helpers (exposed for tests); each writes a NUL-terminated string into buf
 * (truncated to n bytes) and returns buf. */

/* tqdm's format_interval: "mm:ss" under an hour, "h:mm:ss" from there
 * (seconds truncated; negative or non-finite give "?"). 75 -> "01:15",
 * 3725 -> "1:02:05". */
char *lit_progress_format_interval(char *buf, size_t n, double seconds);
/* tqdm's rate_fmt: "%5.2fit/s" (" 3.67it/s", "12.34it/s") when at least one
 * per second, "%5.2fs/it" (" 1.23s/it") when slower; "?it/s" when the rate
 * is unknown (<= 0 or not finite). */
char *lit_progress_format_rate(char *buf, size_t n, double its_per_second);
/* tqdm's format_num: "%.3g" with "+0"/"-0" collapsed ("1e-5", "-.5"), or
 * Python's str(x) when that is not longer ("0.5", "1234.0"). */
char *lit_progress_format_num(char *buf, size_t n, double v);
/* Python's repr/str of a float ("0.1", "1234.0", "1e-05", "1e+16", "nan", "inf"). */
char *lit_progress_format_pyfloat(char *buf, size_t n, double v);
/* The bar itself: `width` cells for fraction frac (clamped to [0, 1]), as
 * tqdm's Bar (Unicode " ▏▎▍▌▋▊▉█" or ASCII " 123456789#"). */
char *lit_progress_format_bar(char *buf, size_t n, double frac, int width, int ascii);

#ifdef __cplusplus
}
#endif
#endif
