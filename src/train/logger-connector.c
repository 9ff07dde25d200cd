/*
 * src/train/logger-connector.c — Lightning's logger connector: the
 * Trainer's loggers (loggers.h), what they are sent and when.
 *
 * Step values go out after a training batch that stepped the optimizer
 * (every batch with manual optimization) when (batches_that_stepped + 1) is
 * a multiple of log_every_n_steps, or when the fit is stopping, at step =
 * batches_that_stepped; epoch values after each train epoch (step = the
 * last batch's) and each validation/test run, with "epoch" added. A logger
 * that fails is reported once and not called again: logging never fails a
 * run (loggers.h).
 */
#include <stdlib.h>
#include <string.h>

#include "litc/report.h"
#include "train/train-impl.h"

lit_status lit_trainer_add_logger(lit_trainer *tr, const lit_logger *lg) {
    LIT_ASSERT(tr && lg, "lit_trainer_add_logger: NULL trainer or logger");
    if (lg->version != LIT_LOGGER_VERSION)
        return lit_set_error(LIT_ERR_INVALID_ARG, "logger %s: version %d, this litc expects %d (LIT_LOGGER_VERSION)",
                             lg->name ? lg->name : "?", lg->version, LIT_LOGGER_VERSION);
    if (!lg->log_metrics)
        return lit_set_error(LIT_ERR_INVALID_ARG, "logger %s: log_metrics is required", lg->name ? lg->name : "?");
    if (tr->n_loggers == tr->cap_loggers) {
        int cap = tr->cap_loggers ? 2 * tr->cap_loggers : 4;
        lit_logger *g = realloc(tr->loggers, (size_t)cap * sizeof *g);
        int *f = g ? realloc(tr->logger_failed, (size_t)cap * sizeof *f) : NULL;
        if (g) tr->loggers = g;
        if (!g || !f) return lit_set_error(LIT_ERR_NOMEM, "lit_trainer_add_logger: out of memory");
        tr->logger_failed = f;
        tr->cap_loggers = cap;
    }
    tr->loggers[tr->n_loggers] = *lg;
    tr->logger_failed[tr->n_loggers] = 0;
    tr->n_loggers++;
    return LIT_OK;
}

int lit_trainer_num_loggers(const lit_trainer *tr) { return tr->n_loggers; }

lit_logger *lit_trainer_logger(lit_trainer *tr, int i) {
    LIT_ASSERT(i >= 0 && i < tr->n_loggers, "lit_trainer_logger: index %d of %d", i, tr->n_loggers);
    return &tr->loggers[i];
}

const char *lit_trainer_log_dir(lit_trainer *tr) {
    if (tr->n_loggers == 0 || !tr->loggers[0].log_dir) return NULL;
    return tr->loggers[0].log_dir(&tr->loggers[0]);
}

int64_t lit_trainer_logger_version(lit_trainer *tr) {
    if (tr->n_loggers == 0 || !tr->loggers[0].version_number) return -1;
    return tr->loggers[0].version_number(&tr->loggers[0]);
}

/* Add a logger the Trainer will own; on failure it is freed here. */
static lit_status add_owned(lit_trainer *tr, lit_logger *lg) {
    lit_status st = lit_trainer_add_logger(tr, lg);
    if (st < 0 && lg->free) lg->free(lg);
    return st;
}

/* Trainer(logger=True): litc's default loggers, all in one
 * <default_root_dir>/lightning_logs/version_N (Lightning adds one
 * TensorBoardLogger or CSVLogger; litc writes all its formats side by side):
 * metrics.csv + hparams.yaml, TensorBoard events, metrics.jsonl and
 * report.html. Added at the first run that finds no logger; kept after. */
static lit_status add_defaults(lit_trainer *tr) {
    const char *root = tr->p.default_root_dir && tr->p.default_root_dir[0] ? tr->p.default_root_dir : ".";
    lit_logger csv, tb, jsonl, html;
    lit_csv_logger_params cp = lit_csv_logger_default_params();
    cp.save_dir = root;
    LIT_TRY(lit_csv_logger(&csv, &cp));
    LIT_TRY(add_owned(tr, &csv));
    /* One version number for all: the CSV logger's next free one. */
    int64_t version = csv.version_number(&csv);
    lit_tensorboard_logger_params tp = lit_tensorboard_logger_default_params();
    tp.save_dir = root;
    tp.version = version;
    LIT_TRY(lit_tensorboard_logger(&tb, &tp));
    LIT_TRY(add_owned(tr, &tb));
    lit_jsonl_logger_params jp = lit_jsonl_logger_default_params();
    jp.save_dir = root;
    jp.version = version;
    LIT_TRY(lit_jsonl_logger(&jsonl, &jp));
    LIT_TRY(add_owned(tr, &jsonl));
    lit_html_report_params hp = lit_html_report_default_params();
    hp.log_dir_of = &csv;
    LIT_TRY(lit_html_report_logger(&html, &hp));
    LIT_TRY(add_owned(tr, &html));
    return LIT_OK;
}

/* The last-error text from before a logger call. A logger's failure is
 * only logged, and must not replace the error a failing fit is about to
 * return (finalize("failed") runs after that error was set). */
typedef struct {
    char text[1024];
} saved_error;

static void save_error(saved_error *e) { snprintf(e->text, sizeof e->text, "%s", lit_last_error()); }

void lit__loggers_add_defaults(lit_trainer *tr) {
    /* fast_dev_run logs nothing (Lightning swaps in a DummyLogger). */
    if (!tr->p.logger || tr->n_loggers > 0 || tr->p.fast_dev_run > 0) return;
    saved_error before;
    save_error(&before);
    if (add_defaults(tr) < 0) {
        lit_logf(LIT_LOG_ERROR, "the default loggers could not be made (training goes on without them): %s",
                 lit_last_error());
        lit_set_error(LIT_OK, "%s", before.text);
    }
}

void lit__loggers_free(lit_trainer *tr) {
    for (int i = tr->n_loggers - 1; i >= 0; i--)
        if (tr->loggers[i].free) tr->loggers[i].free(&tr->loggers[i]);
    free(tr->loggers);
    free(tr->logger_failed);
    tr->loggers = NULL;
    tr->logger_failed = NULL;
    tr->n_loggers = tr->cap_loggers = 0;
    lit__metrics_free(&tr->step_log);
    lit__metrics_free(&tr->epoch_log);
}

/* One logger call's outcome: a failure is reported once, then that logger
 * is left alone for the rest of the trainer's life; the last error is what
 * it was before the call. */
static void checked(lit_trainer *tr, int i, lit_status st, const char *what, const saved_error *before) {
    if (st >= 0) return;
    tr->logger_failed[i] = 1;
    lit_logf(LIT_LOG_ERROR, "logger %s failed in %s and is switched off for this trainer (training goes on): %s",
             tr->loggers[i].name ? tr->loggers[i].name : "?", what, lit_last_error());
    lit_set_error(LIT_OK, "%s", before->text);
}

void lit__loggers_log_hparams(lit_trainer *tr) {
    if (!tr->n_loggers || !tr->module) return;
    lit_module *m = tr->module;
    lit_logger_hparam *hp = calloc((size_t)(m->n_hparams ? m->n_hparams : 1), sizeof *hp);
    if (!hp) return;
    for (int k = 0; k < m->n_hparams; k++)
        hp[k] = (lit_logger_hparam){ .name = m->hparams[k].name, .kind = (int)m->hparams[k].kind,
                                     .i = m->hparams[k].i, .d = m->hparams[k].d, .s = m->hparams[k].s };
    saved_error before;
    save_error(&before);
    for (int i = 0; i < tr->n_loggers; i++) {
        lit_logger *lg = &tr->loggers[i];
        if (tr->logger_failed[i] || !lg->log_hyperparams) continue;
        checked(tr, i, lg->log_hyperparams(lg, m->n_hparams, hp), "log_hyperparams", &before);
    }
    free(hp);
}

/* names/values of `l` plus "epoch", to every working logger, then save. */
static void send(lit_trainer *tr, lit__metric_list *l, int64_t step) {
    if (l->n == 0) return;
    lit__metrics_set(l, "epoch", (double)tr->current_epoch);
    saved_error before;
    save_error(&before);
    for (int i = 0; i < tr->n_loggers; i++) {
        lit_logger *lg = &tr->loggers[i];
        if (tr->logger_failed[i]) continue;
        checked(tr, i, lg->log_metrics(lg, l->n, (const char *const *)l->names, l->values, step), "log_metrics",
                &before);
        if (!tr->logger_failed[i] && lg->save) checked(tr, i, lg->save(lg), "save", &before);
    }
    lit__metrics_clear(l);
}

/* Lightning's should_update_logs; the monitors use it too (monitors.h). */
int lit_trainer_should_update_logs(const lit_trainer *tr) {
    /* "+ 1": it is asked before the batch's own step is counted. */
    const int64_t n = tr->p.log_every_n_steps;
    return (n > 0 && (tr->batches_that_stepped + 1) % n == 0) || tr->should_stop;
}

void lit__loggers_flush_step(lit_trainer *tr) {
    if (lit_trainer_should_update_logs(tr) && tr->n_loggers && !tr->sanity_checking)
        send(tr, &tr->step_log, tr->batches_that_stepped);
    lit__metrics_clear(&tr->step_log);
}

void lit__loggers_flush_epoch(lit_trainer *tr, int64_t step) {
    if (tr->n_loggers && !tr->sanity_checking) send(tr, &tr->epoch_log, step < 0 ? 0 : step);
    lit__metrics_clear(&tr->epoch_log);
}

void lit__loggers_finalize(lit_trainer *tr, const char *status) {
    saved_error before;
    save_error(&before);
    for (int i = 0; i < tr->n_loggers; i++) {
        lit_logger *lg = &tr->loggers[i];
        if (tr->logger_failed[i] || !lg->finalize) continue;
        checked(tr, i, lg->finalize(lg, status), "finalize", &before);
    }
}
