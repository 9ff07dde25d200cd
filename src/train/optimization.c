/*
 * src/train/optimization.c — one training batch (Lightning's
 * _AutomaticOptimization / _ManualOptimization), configure_optimizers, LR
 * scheduler stepping, and the manual-optimization helpers.
 *
 * Automatic order, as Lightning's closure (entry order:
 * tests/fixtures/hook_order_optimizer_step.txt): on a batch that steps,
 * optimizer_step is entered first and its closure runs training_step; on the
 * first batch of an accumulation group on_before_zero_grad and
 * optimizer_zero_grad; on_before_backward, backward, on_after_backward; then,
 * inside the step, on_before_optimizer_step, clipping and the update. The
 * batches that accumulate run the closure alone. The loss is divided by
 * accumulate_grad_batches (also for the last, partial group of an epoch, as
 * Lightning does).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train/train-impl.h"

/* ---------------------------------------------------------------- hook helpers */

static lit_status before_backward(lit_trainer *tr, lit_tensor *loss) {
    lit_module *m = tr->module;
    for (int i = 0; i < tr->n_callbacks; i++) {
        lit_callback *cb = &tr->callbacks[i];
        if (cb->on_before_backward) LIT_TRY(lit__hook_fail(cb->on_before_backward(cb, tr, m, loss), "on_before_backward"));
    }
    if (m->vt->on_before_backward) LIT_TRY(lit__hook_fail(m->vt->on_before_backward(m, loss), "on_before_backward"));
    if (m->vt->backward) LIT_TRY(lit__hook_fail(m->vt->backward(m, loss), "backward"));
    else lit_backward(loss);
    /* Before on_after_backward, as torch's anomaly mode raises inside backward. */
    if (tr->p.detect_anomaly) LIT_TRY(lit__check_grads_finite(tr, tr->batch_idx));
    LIT_TRY(LIT__STAGE_HOOK(tr, on_after_backward));
    return LIT_OK;
}

static lit_status before_optimizer_step(lit_trainer *tr, lit_optimizer *opt, int idx) {
    lit_module *m = tr->module;
    for (int i = 0; i < tr->n_callbacks; i++) {
        lit_callback *cb = &tr->callbacks[i];
        if (cb->on_before_optimizer_step)
            LIT_TRY(lit__hook_fail(cb->on_before_optimizer_step(cb, tr, m, opt), "on_before_optimizer_step"));
    }
    if (m->vt->on_before_optimizer_step)
        LIT_TRY(lit__hook_fail(m->vt->on_before_optimizer_step(m, opt, idx), "on_before_optimizer_step"));
    return LIT_OK;
}

static lit_status before_zero_grad(lit_trainer *tr, lit_optimizer *opt) {
    lit_module *m = tr->module;
    for (int i = 0; i < tr->n_callbacks; i++) {
        lit_callback *cb = &tr->callbacks[i];
        if (cb->on_before_zero_grad) LIT_TRY(lit__hook_fail(cb->on_before_zero_grad(cb, tr, m, opt), "on_before_zero_grad"));
    }
    if (m->vt->on_before_zero_grad) LIT_TRY(lit__hook_fail(m->vt->on_before_zero_grad(m, opt), "on_before_zero_grad"));
    return LIT_OK;
}

/* Lightning clips every parameter of the optimizer, also those of a param
 * group added during fit (BackboneFinetuning): refresh the list when the
 * optimizer's parameter count changed. */
static lit_status clip(lit_trainer *tr, lit_optimizer *opt) {
    const lit_trainer_params *p = &tr->p;
    if (p->gradient_clip_val <= 0) return LIT_OK;
    int n = lit_optimizer_num_params(opt);
    if (n != tr->n_opt_params) {
        lit_tensor **grown = realloc(tr->opt_params, (size_t)(n ? n : 1) * sizeof *grown);
        if (!grown) return lit_set_error(LIT_ERR_NOMEM, "gradient clipping: out of memory");
        tr->opt_params = grown;
        for (int i = 0; i < n; i++) tr->opt_params[i] = lit_optimizer_param(opt, i, NULL, NULL);
        tr->n_opt_params = n;
    }
    if (n == 0) return LIT_OK;
    if (p->gradient_clip_algorithm == LIT_CLIP_VALUE)
        lit_clip_grad_value(tr->opt_params, n, p->gradient_clip_val);
    else
        lit_clip_grad_norm(tr->opt_params, n, p->gradient_clip_val, 2.0);
    return LIT_OK;
}

/* ---------------------------------------------------------------- one batch */

/* What the optimizer closure runs on: one batch, and what calling it did. */
typedef struct {
    lit_trainer *tr;
    lit_batch *batch;
    int64_t batch_idx;
    lit_optimizer *opt;  /* NULL: training without an optimizer */
    int called;          /* the closure ran (the hook must call it) */
    int inner_failed;    /* the status came from inside the closure or step, already named */
    lit_tensor *loss;    /* training_step's, NULL when it returned none */
} closure_state;

static lit_status checked_loss(lit_trainer *tr, lit_tensor *loss, int64_t batch_idx) {
    if (loss->numel != 1) {
        char shape[96];
        return lit_set_error(LIT_ERR_SHAPE, "training_step: the loss must be a scalar, got shape %s",
                             lit_shape_str(loss, shape, sizeof shape));
    }
    if (tr->p.detect_anomaly) LIT_TRY(lit__check_loss_finite(tr, loss, batch_idx));
    return LIT_OK;
}

/* Lightning's Closure: training_step, zero_grad on the first batch of an
 * accumulation group, backward of the loss divided by
 * accumulate_grad_batches. A NULL loss skips the rest, as `return None`. */
static lit_status run_closure(closure_state *s) {
    lit_trainer *tr = s->tr;
    lit_module *m = tr->module;
    s->called = 1;
    s->loss = NULL;
    tr->log_ctx = LIT__CTX_TRAIN_STEP;
    LIT_TRY(lit__hook_fail(m->vt->training_step(m, s->batch, s->batch_idx, &s->loss), "training_step"));
    if (!s->loss) return LIT_OK;
    LIT_TRY(checked_loss(tr, s->loss, s->batch_idx));
    int64_t acc = tr->p.accumulate_grad_batches;
    if (s->opt && s->batch_idx % acc == 0) {
        LIT_TRY(before_zero_grad(tr, s->opt));
        if (m->vt->optimizer_zero_grad)
            LIT_TRY(lit__hook_fail(m->vt->optimizer_zero_grad(m, tr->current_epoch, s->batch_idx, s->opt, 0),
                                   "optimizer_zero_grad"));
        else
            lit_optimizer_zero_grad(s->opt, 1);
    }
    return before_backward(tr, acc > 1 ? lit_div_scalar(s->loss, (double)acc) : s->loss);
}

static lit_status closure_call(lit_optimizer_closure *c, lit_tensor **loss) {
    closure_state *s = c->impl;
    lit_status st = run_closure(s);
    if (st < 0) s->inner_failed = 1;
    if (loss) *loss = s->loss;
    return st;
}

lit_status lit_optimizer_step_with_closure(lit_optimizer *opt, lit_optimizer_closure *closure) {
    if (!opt || !closure || closure->call != closure_call || !closure->impl)
        return lit_set_error(LIT_ERR_INVALID_ARG, "lit_optimizer_step_with_closure: %s; pass the optimizer and the "
                             "closure that optimizer_step received", !opt ? "opt is NULL" : "not the Trainer's closure");
    closure_state *s = closure->impl;
    lit_tensor *loss = NULL;
    LIT_TRY(closure_call(closure, &loss));
    if (!loss) return LIT_OK;
    lit_status st = before_optimizer_step(s->tr, opt, 0);
    if (st >= 0) st = clip(s->tr, opt);
    if (st >= 0) st = lit__hook_fail(lit_optimizer_step(opt), "optimizer_step");
    if (st < 0) s->inner_failed = 1;
    return st;
}

/* Lightning's _AutomaticOptimization.run: a batch that steps calls
 * optimizer_step with the closure; one that accumulates (or has no
 * optimizer) runs the closure itself. */
static lit_status automatic_batch(lit_trainer *tr, closure_state *s, int should_step) {
    lit_module *m = tr->module;
    lit_optimizer_closure closure = { closure_call, s };
    if (!s->opt || !should_step) return closure_call(&closure, NULL);
    lit_status st = m->vt->optimizer_step
                        ? m->vt->optimizer_step(m, tr->current_epoch, s->batch_idx, s->opt, &closure)
                        : lit_optimizer_step_with_closure(s->opt, &closure);
    if (st < 0) return s->inner_failed ? st : lit__hook_fail(st, "optimizer_step");
    if (!s->called)
        return lit_set_error(LIT_ERR_CONFIG,
                             "optimizer_step: the closure was not called, so training_step, backward and the update "
                             "did not run (Lightning: \"The closure hasn't been executed\"); end your override with "
                             "`return lit_optimizer_step_with_closure(opt, closure);`");
    if (s->loss) tr->global_step++;
    return LIT_OK;
}

lit_status lit__run_training_batch(lit_trainer *tr, lit_batch *b, int64_t batch_idx, int should_step,
                                   lit_tensor **loss_out) {
    lit_module *m = tr->module;
    *loss_out = NULL;
    if (!m->automatic_optimization) {
        tr->log_ctx = LIT__CTX_TRAIN_STEP;
        return lit__hook_fail(m->vt->training_step(m, b, batch_idx, loss_out), "training_step");
    }
    closure_state s = { .tr = tr, .batch = b, .batch_idx = batch_idx,
                        .opt = tr->optim.n_optimizers ? tr->optim.optimizers[0] : NULL };
    lit_status st = automatic_batch(tr, &s, should_step);
    *loss_out = s.loss;
    return st;
}

/* ---------------------------------------------------------------- configure */

void lit__free_optimizers(lit_trainer *tr) {
    for (int i = 0; i < tr->optim.n_schedulers; i++) lit_scheduler_free(tr->optim.schedulers[i].scheduler);
    for (int i = 0; i < tr->optim.n_optimizers; i++) lit_optimizer_free(tr->optim.optimizers[i]);
    memset(&tr->optim, 0, sizeof tr->optim);
    free(tr->opt_params);
    tr->opt_params = NULL;
    tr->n_opt_params = 0;
}

/* The module's hook, run under lit__run_guarded (out of memory: a status). */
static lit_status call_configure_optimizers(void *ctx) {
    lit_trainer *tr = ctx;
    return tr->module->vt->configure_optimizers(tr->module, &tr->optim);
}

lit_status lit__configure_optimizers(lit_trainer *tr) {
    lit_module *m = tr->module;
    lit__free_optimizers(tr);
    if (!m->vt->configure_optimizers) {
        lit_logf(LIT_LOG_WARN, "configure_optimizers is not set: training runs without an optimizer");
        return LIT_OK;
    }
    lit_status st = lit__run_guarded(tr, "configure_optimizers", call_configure_optimizers, tr);
    if (st < 0) return lit__hook_fail(st, "configure_optimizers");
    if (m->automatic_optimization && tr->optim.n_optimizers > 1)
        return lit_set_error(LIT_ERR_CONFIG,
                             "configure_optimizers returned %d optimizers: automatic optimization supports one; set "
                             "module->automatic_optimization = 0 and step them in training_step",
                             tr->optim.n_optimizers);
    if (tr->optim.n_schedulers && !tr->optim.n_optimizers)
        return lit_set_error(LIT_ERR_CONFIG, "configure_optimizers returned %d scheduler(s) but no optimizer; add the "
                             "optimizer they drive with lit_optim_config_add", tr->optim.n_schedulers);
    for (int i = 0; i < tr->optim.n_schedulers; i++) {
        lit_lr_scheduler_config *c = &tr->optim.schedulers[i];
        if (c->opt_idx < 0 || c->opt_idx >= tr->optim.n_optimizers)
            return lit_set_error(LIT_ERR_CONFIG, "configure_optimizers: scheduler %d has opt_idx %d, but there %s %d "
                                 "optimizer%s", i, c->opt_idx, tr->optim.n_optimizers == 1 ? "is" : "are",
                                 tr->optim.n_optimizers, tr->optim.n_optimizers == 1 ? "" : "s");
        if (c->frequency == 0) c->frequency = 1;
        if (c->frequency < 0)
            return lit_set_error(LIT_ERR_CONFIG, "configure_optimizers: scheduler %d has frequency %d; must be >= 1", i,
                                 c->frequency);
        if (c->interval != LIT_INTERVAL_EPOCH && c->interval != LIT_INTERVAL_STEP)
            return lit_set_error(LIT_ERR_CONFIG, "configure_optimizers: scheduler %d has interval %d; use "
                                 "LIT_INTERVAL_EPOCH or LIT_INTERVAL_STEP", i, (int)c->interval);
        if (lit_scheduler_needs_metric(c->scheduler) && (!c->monitor || !c->monitor[0]))
            return lit_set_error(LIT_ERR_CONFIG,
                                 "configure_optimizers: %s needs a metric: set .monitor in its lit_lr_scheduler_config "
                                 "(e.g. \"val_loss\")", lit_scheduler_name(c->scheduler));
    }
    if (tr->optim.n_optimizers) {
        lit_optimizer *opt = tr->optim.optimizers[0];
        int n = lit_optimizer_num_params(opt);
        tr->opt_params = malloc((size_t)(n ? n : 1) * sizeof *tr->opt_params);
        if (!tr->opt_params) return lit_set_error(LIT_ERR_NOMEM, "configure_optimizers: out of memory");
        for (int i = 0; i < n; i++) tr->opt_params[i] = lit_optimizer_param(opt, i, NULL, NULL);
        tr->n_opt_params = n;
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- schedulers */

lit_status lit__update_schedulers(lit_trainer *tr, lit_interval interval, int plateau) {
    if (!tr->module->automatic_optimization) return LIT_OK;
    for (int i = 0; i < tr->optim.n_schedulers; i++) {
        lit_lr_scheduler_config *c = &tr->optim.schedulers[i];
        int is_plateau = lit_scheduler_needs_metric(c->scheduler);
        if (plateau != is_plateau || c->interval != interval) continue;
        int64_t idx = (interval == LIT_INTERVAL_STEP ? tr->batch_idx : tr->current_epoch) + 1;
        if (idx % c->frequency != 0) continue;
        if (!is_plateau) {
            LIT_TRY(lit__hook_fail(lit_scheduler_step(c->scheduler), "lr_scheduler_step"));
            continue;
        }
        double v;
        if (!lit_trainer_get_metric(tr, LIT_METRICS_CALLBACK, c->monitor, &v)) {
            if (c->strict >= 0) {
                char avail[512] = "";
                size_t L = 0;
                for (int k = 0; k < tr->callback_metrics.n && L + 4 < sizeof avail; k++)
                    L += (size_t)snprintf(avail + L, sizeof avail - L, "%s%s", k ? ", " : "",
                                          tr->callback_metrics.names[k]);
                return lit_set_error(LIT_ERR_CONFIG,
                                     "ReduceLROnPlateau conditioned on metric \"%s\" which is not available. Available "
                                     "metrics are: [%s]. Log it with lit_module_log or set .monitor in the scheduler config",
                                     c->monitor, avail);
            }
            lit_logf(LIT_LOG_WARN, "ReduceLROnPlateau: metric \"%s\" is not available; skipping the lr update",
                     c->monitor);
            continue;
        }
        LIT_TRY(lit__hook_fail(lit_scheduler_step_metric(c->scheduler, v), "lr_scheduler_step"));
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- manual optimization */

static lit_trainer *need_trainer(lit_module *m, const char *who) {
    LIT_ASSERT(m && m->trainer, "%s: the module is not attached to a running Trainer", who);
    return m->trainer;
}

lit_status lit_manual_backward(lit_module *m, lit_tensor *loss) {
    lit_trainer *tr = need_trainer(m, "lit_manual_backward");
    LIT_ASSERT(loss, "lit_manual_backward: loss is NULL");
    return before_backward(tr, loss);
}

lit_status lit_manual_optimizer_step(lit_module *m, int opt_idx) {
    lit_trainer *tr = need_trainer(m, "lit_manual_optimizer_step");
    LIT_ASSERT(opt_idx >= 0 && opt_idx < tr->optim.n_optimizers,
               "lit_manual_optimizer_step: optimizer %d of %d (configure_optimizers)", opt_idx, tr->optim.n_optimizers);
    lit_optimizer *opt = tr->optim.optimizers[opt_idx];
    LIT_TRY(before_optimizer_step(tr, opt, opt_idx));
    LIT_TRY(lit__hook_fail(lit_optimizer_step(opt), "optimizer_step"));
    tr->global_step++;
    return LIT_OK;
}

lit_status lit_manual_zero_grad(lit_module *m, int opt_idx) {
    lit_trainer *tr = need_trainer(m, "lit_manual_zero_grad");
    LIT_ASSERT(opt_idx >= 0 && opt_idx < tr->optim.n_optimizers,
               "lit_manual_zero_grad: optimizer %d of %d (configure_optimizers)", opt_idx, tr->optim.n_optimizers);
    /* No on_before_zero_grad: Lightning's opt.zero_grad() in manual mode is
     * the torch optimizer's own and calls no hook (test_hooks.py
     * _manual_train_batch; tests/fixtures/hook_order_fit_manual.txt). */
    lit_optimizer_zero_grad(tr->optim.optimizers[opt_idx], 1);
    return LIT_OK;
}
