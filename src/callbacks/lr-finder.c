/*
 * src/callbacks/lr-finder.c — Lightning 2.x's learning rate finder
 * (lightning/pytorch/tuner/lr_finder.py: _lr_find, _LRCallback,
 * _ExponentialLR / _LinearLR, _LRFinder.suggestion) as lit_lr_find, with
 * the module snapshot of tuner-snapshot.c. See tuner.h.
 */
/* The suggestion repeats torch.gradient's float32 operations one by one:
 * no fused multiply-add may change their rounding. */
#pragma GCC optimize("fp-contract=off")

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/callbacks.h"
#include "litc/report.h"
#include "tuner-impl.h"

/* ---------------------------------------------------------------- schedule */

lit_lr_finder_params lit_lr_finder_default_params(void) {
    return (lit_lr_finder_params){
        .min_lr = 1e-8,
        .max_lr = 1.0,
        .num_training = 100,
        .mode = LIT_LR_FIND_EXPONENTIAL,
        .early_stop_threshold = 4.0,
        .beta = 0.98,
        .skip_begin = 10,
        .skip_end = 1,
    };
}

/* _ExponentialLR / _LinearLR .get_lr() for the step after `k` optimizer
 * steps (their last_epoch): base_lrs while last_epoch is 0, then
 * r = (last_epoch + 1) / num_iter. */
static double schedule_lr(const lit_lr_finder_params *p, int64_t k) {
    if (k <= 0) return p->min_lr;
    double r = (double)(k + 1) / (double)p->num_training;
    if (p->mode == LIT_LR_FIND_LINEAR) return p->min_lr + r * (p->max_lr - p->min_lr);
    return p->min_lr * pow(p->max_lr / p->min_lr, r);
}

typedef struct {
    lit_lr_finder_params p;
    int64_t cap, n;
    double *lrs, *losses;
    double avg_loss, best_loss;
    int stopped;
} lr_cb_state;

/* Room for one more point. */
static lit_status grow(lr_cb_state *s) {
    if (s->n < s->cap) return LIT_OK;
    int64_t cap = s->cap ? 2 * s->cap : 128;
    double *a = realloc(s->lrs, (size_t)cap * sizeof *a);
    if (!a) return lit_set_error(LIT_ERR_NOMEM, "lr_find: out of memory");
    s->lrs = a;
    double *b = realloc(s->losses, (size_t)cap * sizeof *b);
    if (!b) return lit_set_error(LIT_ERR_NOMEM, "lr_find: out of memory");
    s->losses = b;
    s->cap = cap;
    return LIT_OK;
}

static lit_status lr_on_fit_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)cb, (void)tr;
    int n = 0;
    lit_module_optimizers(m, &n);
    if (n != 1)
        return lit_set_error(LIT_ERR_CONFIG, "`model.configure_optimizers()` returned %d, but learning rate finder only "
                             "works with single optimizer", n);
    return LIT_OK;
}

static int records(lit_trainer *tr, int64_t batch_idx) {
    return (batch_idx + 1) % lit_trainer_get_params(tr)->accumulate_grad_batches == 0;
}

/* Lightning sets the lr through its scheduler (step interval); before every
 * batch the group lrs are the schedule's for the steps made so far, which
 * also overrides a scheduler configure_optimizers returned. */
static lit_status lr_on_train_batch_start(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_batch *b,
                                          int64_t i) {
    (void)b;
    lr_cb_state *s = cb->user;
    int n = 0;
    lit_optimizer *opt = lit_module_optimizers(m, &n)[0];
    double lr = schedule_lr(&s->p, lit_trainer_global_step(tr));
    for (int g = 0; g < lit_optimizer_num_groups(opt); g++) lit_optimizer_set_lr(opt, g, lr);
    if (!records(tr, i)) return LIT_OK;
    LIT_TRY(grow(s));
    s->lrs[s->n] = lr;
    s->losses[s->n] = NAN; /* filled at batch end */
    return LIT_OK;
}

static lit_status lr_on_train_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss,
                                        lit_batch *b, int64_t i) {
    (void)m, (void)b;
    lr_cb_state *s = cb->user;
    if (!records(tr, i)) return LIT_OK;
    int64_t slot = s->n++;
    if (!loss) return LIT_OK; /* NaN: not considered by the suggestion */
    /* The step output's loss is the closure loss: divided by the accumulation. */
    int64_t acc = lit_trainer_get_params(tr)->accumulate_grad_batches;
    float lf = (float)lit_item(loss);
    if (acc > 1) lf = lf / (float)acc;
    double current = lf;
    int64_t step = lit_trainer_global_step(tr);
    double beta = s->p.beta;
    s->avg_loss = beta * s->avg_loss + (1.0 - beta) * current;
    double smoothed = s->avg_loss / (1.0 - pow(beta, (double)(step + 1)));
    if (!isnan(s->p.early_stop_threshold) && step > 1 && smoothed > s->p.early_stop_threshold * s->best_loss) {
        lit_trainer_set_should_stop(tr, 1);
        s->stopped = 1;
    }
    if (smoothed < s->best_loss || step == 1) s->best_loss = smoothed;
    s->losses[slot] = smoothed;
    return LIT_OK;
}

/* ---------------------------------------------------------------- suggestion */

int64_t lit_lr_find_suggestion(const double *lrs, const double *losses, int64_t n, int skip_begin, int skip_end) {
    /* Python's [skip_begin:-skip_end] (skip_end 0 would be [a:-0], empty). */
    int64_t lo = skip_begin < 0 ? 0 : skip_begin, hi = skip_end > 0 ? n - skip_end : 0;
    if (hi - lo < 2) {
        lit_logf(LIT_LOG_ERROR, "Failed to compute suggestion for learning rate because there are not enough points. "
                 "Increase the loop iteration limits or the size of your dataset/dataloader.");
        return -1;
    }
    float *x = malloc((size_t)(hi - lo) * sizeof *x), *y = malloc((size_t)(hi - lo) * sizeof *y);
    int64_t *idx = malloc((size_t)(hi - lo) * sizeof *idx);
    int64_t m = 0, best = -1;
    if (!x || !y || !idx) goto done;
    /* torch.tensor(list of floats) is float32 */
    for (int64_t i = lo; i < hi; i++) {
        float l = (float)losses[i];
        if (!isfinite(l)) continue;
        x[m] = (float)lrs[i], y[m] = l, idx[m] = i;
        m++;
    }
    if (m < 2) {
        lit_logf(LIT_LOG_ERROR, "Failed to compute suggestion for learning rate because there are not enough points. "
                 "Increase the loop iteration limits or the size of your dataset/dataloader.");
        goto done;
    }
    float gmin = 0;
    for (int64_t i = 0; i < m; i++) {
        float g;
        if (i == 0) {
            g = (y[1] - y[0]) / (x[1] - x[0]);
        } else if (i == m - 1) {
            g = (y[m - 1] - y[m - 2]) / (x[m - 1] - x[m - 2]);
        } else {
            /* ATen's gradient_helper: a, b, c from dx1 = x[i] - x[i-1], dx2 = x[i+1] - x[i] */
            float dx1 = x[i] - x[i - 1], dx2 = x[i + 1] - x[i];
            float a = -dx2 / (dx1 * (dx1 + dx2));
            float b = (dx2 - dx1) / (dx1 * dx2);
            float c = dx1 / (dx2 * (dx1 + dx2));
            float t0 = a * y[i - 1], t1 = b * y[i], t2 = c * y[i + 1];
            g = (t0 + t1) + t2;
        }
        /* torch.argmin: the first minimum, NaN counting as smaller than anything */
        if (best < 0 || (isnan(g) && !isnan(gmin)) || (!isnan(gmin) && g < gmin)) {
            best = i;
            gmin = g;
        }
    }
    best = idx[best];
done:
    free(x), free(y), free(idx);
    return best;
}

/* ---------------------------------------------------------------- lr_find */

void lit_lr_finder_result_free(lit_lr_finder_result *r) {
    if (!r) return;
    free(r->lrs);
    free(r->losses);
    memset(r, 0, sizeof *r);
    r->suggestion_idx = -1;
    r->suggestion = NAN;
}

lit_status lit_lr_find(const lit_trainer_params *base, lit_module *m, lit_datamodule *dm, const lit_lr_finder_params *p,
                       lit_lr_finder_result *out) {
    LIT_ASSERT(base && m && dm && out, "lit_lr_find: base, m, dm and out must not be NULL");
    memset(out, 0, sizeof *out);
    out->suggestion_idx = -1;
    out->suggestion = NAN;
    lit_lr_finder_params v = p ? *p : lit_lr_finder_default_params();
    if (v.num_training < 1)
        return lit_set_error(LIT_ERR_CONFIG, "lr_find(num_training=%lld): must be >= 1", (long long)v.num_training);
    if (v.mode != LIT_LR_FIND_EXPONENTIAL && v.mode != LIT_LR_FIND_LINEAR)
        return lit_set_error(LIT_ERR_CONFIG, "lr_find: mode should be either `linear` or `exponential` (got %d)",
                             (int)v.mode);
    if (!(v.min_lr >= 0) || (v.mode == LIT_LR_FIND_EXPONENTIAL && !(v.min_lr > 0)) || !(v.max_lr > v.min_lr) ||
        isinf(v.max_lr))
        return lit_set_error(LIT_ERR_CONFIG, "lr_find(min_lr=%g, max_lr=%g): need 0 %s min_lr < max_lr (finite)",
                             v.min_lr, v.max_lr, v.mode == LIT_LR_FIND_EXPONENTIAL ? "<" : "<=");
    if (!(v.beta >= 0 && v.beta < 1))
        return lit_set_error(LIT_ERR_CONFIG, "lr_find(beta=%g): must be in [0, 1)", v.beta);
    if (base->fast_dev_run) {
        lit_logf(LIT_LOG_WARN, "Skipping learning rate finder since `fast_dev_run` is enabled.");
        return LIT_OK;
    }
    lit_trainer_params q = lit__tuner_params(base);
    q.max_steps = v.num_training;
    q.limit_val_batches = v.num_training;
    q.limit_val_fraction = 1.0;

    lit__module_snapshot snap;
    LIT_TRY(lit__module_snapshot_take(&snap, m));
    lr_cb_state *s = calloc(1, sizeof *s);
    lit_trainer *tr = NULL;
    lit_status st = s ? lit_trainer_new(&tr, &q) : lit_set_error(LIT_ERR_NOMEM, "lr_find: out of memory");
    if (st >= 0) {
        s->p = v;
        lit_callback cb = {
            .version = LIT_CALLBACK_VERSION,
            .name = "LRFinderCallback",
            .user = s,
            .on_fit_start = lr_on_fit_start,
            .on_train_batch_start = lr_on_train_batch_start,
            .on_train_batch_end = lr_on_train_batch_end,
        };
        st = lit_trainer_add_callback(tr, &cb);
    }
    if (st >= 0) st = lit_trainer_fit(tr, m, dm, NULL);
    int64_t steps = tr ? lit_trainer_global_step(tr) : 0;
    lit_trainer_free(tr);
    /* The finally: block of _lr_find — the weights go back whatever happened. */
    lit__module_snapshot_restore(&snap, m);
    lit__module_snapshot_free(&snap);
    if (st < 0) {
        if (s) free(s->lrs), free(s->losses);
        free(s);
        return st;
    }
    if (steps != v.num_training)
        lit_logf(LIT_LOG_INFO, "LR finder stopped early after %lld steps due to diverging loss.", (long long)steps);
    out->n = s->n;
    out->lrs = s->lrs;
    out->losses = s->losses;
    out->stopped_early = s->stopped;
    out->steps = steps;
    free(s);
    out->suggestion_idx = lit_lr_find_suggestion(out->lrs, out->losses, out->n, v.skip_begin, v.skip_end);
    out->suggestion = out->suggestion_idx >= 0 ? out->lrs[out->suggestion_idx] : NAN;
    return LIT_OK;
}

/* ---------------------------------------------------------------- on the report */

lit_status lit_lr_find_report(const lit_lr_finder_result *r, lit_logger *report) {
    LIT_ASSERT(r && report, "lit_lr_find_report: NULL argument");
    if (r->n <= 0 || !r->lrs || !r->losses)
        return lit_set_error(LIT_ERR_INVALID_ARG, "lit_lr_find_report: the lr finder result has no points");
    if (r->n > INT32_MAX)
        return lit_set_error(LIT_ERR_INVALID_ARG, "lit_lr_find_report: %lld points are too many for a chart",
                             (long long)r->n);
    char title[128];
    if (r->suggestion_idx >= 0)
        snprintf(title, sizeof title, "Learning rate finder (suggested lr %.3g)", r->suggestion);
    else
        snprintf(title, sizeof title, "Learning rate finder (no suggestion)");
    return lit_html_report_add_curve(report, title, "learning rate", "smoothed loss", (int)r->n, r->lrs, r->losses, 1);
}
