/*
 * src/callbacks/batch-size-finder.c — Lightning 2.x's batch size scaling
 * (lightning/pytorch/tuner/batch_size_scaling.py: _scale_batch_size,
 * _run_power_scaling, _run_binary_scaling, _adjust_batch_size) as
 * lit_batch_size_find, with a step-arena memory budget standing in for
 * CUDA's out-of-memory error. See tuner.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/callbacks.h"
#include "tuner-impl.h"

lit_batch_size_finder_params lit_batch_size_finder_default_params(void) {
    return (lit_batch_size_finder_params){
        .mode = LIT_BATCH_SIZE_POWER,
        .steps_per_trial = 3,
        .init_val = 2,
        .max_trials = 25,
        .budget_bytes = 0,
        .set_batch_size = NULL,
        .user = NULL,
    };
}

void lit_batch_size_finder_result_free(lit_batch_size_finder_result *r) {
    if (!r) return;
    free(r->sizes);
    free(r->peaks);
    free(r->fits);
    memset(r, 0, sizeof *r);
}

typedef struct {
    int64_t budget;
    int64_t num_batches; /* the trial's training batches per epoch */
} trial_state;

static lit_status trial_on_train_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    ((trial_state *)cb->user)->num_batches = lit_trainer_num_training_batches(tr);
    return LIT_OK;
}

/* Where CUDA would have raised, the trial ends (after the batch that went
 * over: the arena only knows its peak once the batch is done). */
static lit_status trial_on_train_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss,
                                           lit_batch *b, int64_t i) {
    (void)m, (void)loss, (void)b, (void)i;
    if (lit_trainer_peak_step_bytes(tr) > ((trial_state *)cb->user)->budget) lit_trainer_set_should_stop(tr, 1);
    return LIT_OK;
}

typedef struct {
    const lit_trainer_params *q;
    lit_module *m;
    lit_datamodule *dm;
    const lit_batch_size_finder_params *p;
    lit_batch_size_finder_result *r;
    int cap;
} search;

static lit_status record(search *sr, int64_t bs, int64_t peak, int fits) {
    lit_batch_size_finder_result *r = sr->r;
    if (r->n_trials == sr->cap) {
        int cap = sr->cap ? 2 * sr->cap : 32;
        int64_t *a = realloc(r->sizes, (size_t)cap * sizeof *a);
        if (!a) return lit_set_error(LIT_ERR_NOMEM, "scale_batch_size: out of memory");
        r->sizes = a;
        int64_t *b = realloc(r->peaks, (size_t)cap * sizeof *b);
        if (!b) return lit_set_error(LIT_ERR_NOMEM, "scale_batch_size: out of memory");
        r->peaks = b;
        int *c = realloc(r->fits, (size_t)cap * sizeof *c);
        if (!c) return lit_set_error(LIT_ERR_NOMEM, "scale_batch_size: out of memory");
        r->fits = c;
        sr->cap = cap;
    }
    r->sizes[r->n_trials] = bs;
    r->peaks[r->n_trials] = peak;
    r->fits[r->n_trials] = fits;
    r->n_trials++;
    return LIT_OK;
}

/* One trial (_try_loop_run): *fits, and *whole = the size already covers
 * the dataset (one batch per epoch: _adjust_batch_size's "batch size is
 * greater or equal than the length of your dataset"). */
static lit_status trial(search *sr, int64_t bs, int *fits, int *whole) {
    LIT_TRY(sr->p->set_batch_size(sr->p->user, bs));
    trial_state ts = { .budget = sr->p->budget_bytes, .num_batches = -1 };
    lit_trainer *tr = NULL;
    LIT_TRY(lit_trainer_new(&tr, sr->q));
    lit_callback cb = {
        .version = LIT_CALLBACK_VERSION,
        .name = "BatchSizeFinderTrial",
        .user = &ts,
        .on_train_start = trial_on_train_start,
        .on_train_batch_end = trial_on_train_batch_end,
    };
    lit_status st = lit_trainer_add_callback(tr, &cb);
    if (st >= 0) st = lit_trainer_fit(tr, sr->m, sr->dm, NULL);
    int64_t peak = lit_trainer_peak_step_bytes(tr);
    lit_trainer_free(tr);
    LIT_TRY(st);
    *fits = peak <= sr->p->budget_bytes;
    *whole = ts.num_batches == 1;
    lit_logf(LIT_LOG_INFO, "Batch size %lld %s (peak step memory %lld bytes, budget %lld)", (long long)bs,
             *fits ? "succeeded" : "failed", (long long)peak, (long long)sr->p->budget_bytes);
    return record(sr, bs, peak, *fits);
}

/* _run_power_scaling */
static lit_status run_power(search *sr, int64_t *size) {
    int64_t bs = *size;
    int any_success = 0;
    for (int64_t t = 0; t < sr->p->max_trials; t++) {
        int fits, whole;
        LIT_TRY(trial(sr, bs, &fits, &whole));
        if (fits) {
            if (whole) break; /* not changed */
            bs *= 2;
            any_success = 1;
        } else {
            bs /= 2; /* int(batch_size * 0.5) */
            if (bs < 1)
                return lit_set_error(LIT_ERR_NOMEM, "scale_batch_size: even batch size 1 needs more than the budget "
                                     "of %lld step bytes", (long long)sr->p->budget_bytes);
            if (any_success) break;
        }
    }
    *size = bs;
    return LIT_OK;
}

/* _run_binary_scaling */
static lit_status run_binsearch(search *sr, int64_t *size) {
    int64_t bs = *size, low = 1, high = 0, count = 0;
    for (;;) {
        int fits, whole;
        LIT_TRY(trial(sr, bs, &fits, &whole));
        if (fits) {
            if (++count > sr->p->max_trials) break;
            low = bs;
            if (whole) break; /* not changed */
            if (high) {
                if (high - low <= 1) break;
                bs = (high + low) / 2;
            } else {
                bs *= 2;
            }
        } else {
            high = bs;
            bs = (high + low) / 2;
            if (high == 1)
                return lit_set_error(LIT_ERR_NOMEM, "scale_batch_size: even batch size 1 needs more than the budget "
                                     "of %lld step bytes", (long long)sr->p->budget_bytes);
            if (high - low <= 1) break;
        }
    }
    *size = bs;
    return LIT_OK;
}

lit_status lit_batch_size_find(const lit_trainer_params *base, lit_module *m, lit_datamodule *dm,
                               const lit_batch_size_finder_params *p, int64_t *found,
                               lit_batch_size_finder_result *out) {
    LIT_ASSERT(base && m && dm && p && found, "lit_batch_size_find: base, m, dm, p and found must not be NULL");
    *found = 0;
    lit_batch_size_finder_result local = { 0 };
    lit_batch_size_finder_result *r = out ? out : &local;
    memset(r, 0, sizeof *r);
    if (!p->set_batch_size)
        return lit_set_error(LIT_ERR_CONFIG, "scale_batch_size: set_batch_size is required (it sets the datamodule's "
                             "batch size)");
    if (p->budget_bytes <= 0)
        return lit_set_error(LIT_ERR_CONFIG, "scale_batch_size: budget_bytes = %lld; give the step memory allowed",
                             (long long)p->budget_bytes);
    if (p->steps_per_trial < 1 || p->init_val < 1 || p->max_trials < 1)
        return lit_set_error(LIT_ERR_CONFIG, "scale_batch_size(steps_per_trial=%lld, init_val=%lld, max_trials=%lld): "
                             "each must be >= 1", (long long)p->steps_per_trial, (long long)p->init_val,
                             (long long)p->max_trials);
    if (p->mode != LIT_BATCH_SIZE_POWER && p->mode != LIT_BATCH_SIZE_BINSEARCH)
        return lit_set_error(LIT_ERR_CONFIG, "scale_batch_size: mode should be either power or binsearch (got %d)",
                             (int)p->mode);
    if (base->fast_dev_run) {
        lit_logf(LIT_LOG_WARN, "Skipping batch size scaler since `fast_dev_run` is enabled.");
        return LIT_OK;
    }
    lit_trainer_params q = lit__tuner_params(base);
    q.limit_train_batches = -1;
    q.limit_train_fraction = 1.0;
    q.limit_val_batches = p->steps_per_trial;
    q.limit_val_fraction = 1.0;
    q.max_steps = p->steps_per_trial;

    lit__module_snapshot snap;
    LIT_TRY(lit__module_snapshot_take(&snap, m));
    search sr = { .q = &q, .m = m, .dm = dm, .p = p, .r = r };
    int64_t size = p->init_val;
    lit_status st = p->mode == LIT_BATCH_SIZE_POWER ? run_power(&sr, &size) : run_binsearch(&sr, &size);
    lit__module_snapshot_restore(&snap, m);
    lit__module_snapshot_free(&snap);
    if (st >= 0) st = p->set_batch_size(p->user, size);
    if (st < 0) {
        lit_batch_size_finder_result_free(r);
        return st;
    }
    lit_logf(LIT_LOG_INFO, "Finished batch size finder, will continue with full run using batch size %lld",
             (long long)size);
    r->batch_size = size;
    *found = size;
    if (!out) lit_batch_size_finder_result_free(&local);
    return LIT_OK;
}
