/*
 * litc/report.h — the HTML run report: a logger (loggers.h) that keeps what
 * the Trainer logs and writes one self-contained page per run,
 * <save_dir>/<name>/version_<N>/report.html, that any browser opens offline:
 * inline CSS and inline SVG only, no scripts, no fonts or images fetched.
 *
 * The page shows
 *   - the title and the run status: "running" until finalize, then the
 *     status the Trainer passes ("success", "failed", "interrupted"); a
 *     running page reloads itself every `reload_secs` (a <meta> refresh,
 *     no script), a finished one does not;
 *   - the run config: the hyperparameters from log_hyperparams (merged
 *     across calls, a known name taking the new value) and the free-form
 *     key/value pairs added with lit_html_report_add_info;
 *   - a table with the last and the best value of every metric and the
 *     steps they were logged at. "Best" is the minimum for names that
 *     contain (ASCII case-insensitively) "loss", "err", "nll", "ppl",
 *     "perplexity", "bpd", "mse" or "mae"; the maximum for names that
 *     contain "acc", "f1", "auc", "precision", "recall", "iou", "dice" or
 *     "bleu" (the first list wins when both match); otherwise the last
 *     value. NaN and infinities are shown but never best; of equal bests
 *     the earliest is shown;
 *   - an SVG line chart per metric group, x = step, with tick labels, a
 *     legend and a marker per point when a series has few points. Metrics
 *     share a chart when their names agree after stripping one leading
 *     "train/", "val/", "test/", "train_", "val_" or "test_" and one
 *     trailing "_step" or "_epoch": train/loss_step, train/loss_epoch and
 *     val/loss are the three series of the chart "loss". The "epoch" key
 *     the Trainer adds to every call is shown in the header, not charted;
 *   - the extra curves added with lit_html_report_add_curve (any x, e.g.
 *     the learning-rate finder's loss against a log-scaled lr).
 * All text from names, values and info is HTML-escaped.
 *
 * When the page is written. The Trainer calls save() after every
 * log_metrics, so save() regenerates the page only when something new was
 * logged since the last write and one of these holds:
 *   1. no page has been written yet;
 *   2. a log_metrics call since the last write carried epoch-level or
 *      evaluation data: a name ending in "_epoch" or starting with "val" or
 *      "test";
 *   3. the "epoch" value differs from the one the last page saw;
 *   4. refresh_secs (default 60) have passed since the last write, so a
 *      long epoch still shows progress (<= 0: never for this reason).
 * finalize() always writes (with the final status); lit_html_report_write
 * writes at once. Each write builds the page in memory, writes it to a
 * temporary file in the same folder and renames it over report.html, so a
 * browser or a crash never sees half a page.
 *
 * Intended usage:
 *
 *     lit_html_report_params rp = lit_html_report_default_params();
 *     rp.save_dir = "logs";                    // logs/lightning_logs/version_N/report.html
 *     rp.log_dir_of = &csv;                    // or: the same folder as another logger
 *     lit_logger rep;
 *     LIT_TRY(lit_html_report_logger(&rep, &rp));
 *     LIT_TRY(lit_html_report_add_info(&rep, "dataset", "digits 8x8"));
 *     LIT_TRY(lit_trainer_add_logger(tr, &rep)); // copied; freed with the trainer
 *     ... lit_trainer_fit(...) ...                // report.html at each epoch and at the end
 *
 * `rep` stays usable for the lit_html_report_* calls until the trainer that
 * holds it is freed (both copies share the same state).
 *
 * Errors: the constructor returns LIT_ERR_CONFIG for bad params (no
 * save_dir and no log_dir_of), LIT_ERR_NOMEM. Nothing touches the disk until
 * the first write; an unwritable folder or file is then LIT_ERR_IO naming
 * the path (the Trainer reports it once and drops the logger). Not
 * thread-safe: drive it from one thread.
 */
#ifndef LITC_REPORT_H
#define LITC_REPORT_H

#include <stdint.h>

#include "core.h"
#include "loggers.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    const char *save_dir;     /* required unless log_dir_of is set */
    const char *name;         /* default "lightning_logs"; "" = none */
    int64_t version;          /* default -1 = next free (loggers.h "versions") */
    const char *version_name; /* default NULL; overrides version */
    /* (optional) default NULL. Write into this logger's log_dir() instead of
     * a folder of our own, and report its version_number: a CSV logger and
     * the report created side by side would otherwise each take the next
     * free version_N (the first to write makes it, the other takes N+1).
     * The struct is copied; the logger it names must outlive this one (add
     * it to the same trainer before this one: loggers are freed last-added
     * first). */
    const lit_logger *log_dir_of;
    const char *file_name;    /* default "report.html" */
    const char *title;        /* default "litc run report" */
    double refresh_secs;      /* default 60 (rule 4 above); <= 0 off */
    int reload_secs;          /* default 30: a running page's <meta> refresh; 0 off */
} lit_html_report_params;

lit_html_report_params lit_html_report_default_params(void);

/* Fill *lg (name "HTMLReport"). p and its strings are copied. */
lit_status lit_html_report_logger(lit_logger *lg, const lit_html_report_params *p);

/* A free-form row of the run config ("dataset" = "digits 8x8"); a key
 * added again takes the new value. Shown from the next write on.
 * LIT_ERR_INVALID_ARG when lg is not an HTML report logger or key/value is
 * NULL; LIT_ERR_NOMEM. */
lit_status lit_html_report_add_info(lit_logger *lg, const char *key, const char *value);

/* An extra chart: the curve (xs[i], ys[i]), i < n, copied, drawn in the
 * given order under `title` with axis labels x_label/y_label; log_x = 1
 * puts x on a log10 axis (points with x <= 0 are then left out). A title
 * added again replaces that curve. Non-finite points are left out. Shown
 * from the next write on (save/finalize, or lit_html_report_write now).
 * LIT_ERR_INVALID_ARG when lg is not an HTML report logger, title is NULL,
 * n < 0 or xs/ys are NULL with n > 0; LIT_ERR_NOMEM. */
lit_status lit_html_report_add_curve(lit_logger *lg, const char *title, const char *x_label, const char *y_label,
                                     int n, const double *xs, const double *ys, int log_x);

/* Write report.html now (whatever the rule above says). LIT_ERR_IO naming
 * the path; LIT_ERR_INVALID_ARG when lg is not an HTML report logger. */
lit_status lit_html_report_write(lit_logger *lg);

/* The report's path (deciding the version if not done yet; makes no
 * folder); NULL when lg is not an HTML report logger or on out of memory.
 * Owned by the logger. */
const char *lit_html_report_file(lit_logger *lg);

#ifdef __cplusplus
}
#endif
#endif
