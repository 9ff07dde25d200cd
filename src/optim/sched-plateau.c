/*
 * src/optim/sched-plateau.c — ReduceLROnPlateau (torch 1.13): multiply the
 * lr by `factor` after more than `patience` steps without improvement.
 */
#include <math.h>

#include "optim/sched-impl.h"

static int is_better(const lit_scheduler *s, double a, double best) {
    if (!s->mode_max && !s->threshold_abs) return a < best * (1. - s->threshold);
    if (!s->mode_max && s->threshold_abs) return a < best - s->threshold;
    if (s->mode_max && !s->threshold_abs) return a > best * (s->threshold + 1.);
    return a > best + s->threshold;
}

static lit_status plateau_step(lit_scheduler *s, int64_t epoch) {
    (void)epoch;
    const double current = s->metric;
    s->last_epoch = s->last_epoch + 1;
    if (is_better(s, current, s->best)) {
        s->best = current;
        s->num_bad_epochs = 0;
    } else {
        s->num_bad_epochs += 1;
    }
    if (s->cooldown_counter > 0) {
        s->cooldown_counter -= 1;
        s->num_bad_epochs = 0; /* ignore any bad epochs in cooldown */
    }
    if (s->num_bad_epochs > s->patience) {
        for (int g = 0; g < s->n_groups; g++) {
            double old_lr = lit_optimizer_get_lr(s->opt, g);
            double reduced = old_lr * s->factor;
            double new_lr = s->min_lrs[g] > reduced ? s->min_lrs[g] : reduced; /* Python's max() */
            if (old_lr - new_lr > s->eps) lit_optimizer_set_lr(s->opt, g, new_lr);
        }
        s->cooldown_counter = s->cooldown;
        s->num_bad_epochs = 0;
    }
    lit__sched_record_last_lr(s);
    return LIT_OK;
}

static lit_status plateau_get_lr(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++) out[g] = lit_optimizer_get_lr(s->opt, g);
    return LIT_OK;
}

static const sched_ops PLATEAU_OPS = {.name = "ReduceLROnPlateau", .get_lr = plateau_get_lr, .step = plateau_step,
                                      .needs_metric = 1, .own_state = 1};

lit_reduce_lr_on_plateau_params lit_reduce_lr_on_plateau_default_params(void) {
    lit_reduce_lr_on_plateau_params p = {.mode = LIT_SCHED_MIN, .factor = 0.1, .patience = 10, .threshold = 1e-4,
                                         .threshold_mode = LIT_THRESHOLD_REL, .cooldown = 0, .min_lr = 0.0,
                                         .min_lrs = NULL, .eps = 1e-8};
    return p;
}

lit_scheduler *lit_reduce_lr_on_plateau_new(lit_optimizer *opt, const lit_reduce_lr_on_plateau_params *p) {
    lit_reduce_lr_on_plateau_params d = p ? *p : lit_reduce_lr_on_plateau_default_params();
    lit_scheduler *s = lit__sched_alloc(opt, &PLATEAU_OPS);
    if (!s) return NULL;
    const char *who = "ReduceLROnPlateau";
    if (!(d.factor < 1.0))
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "%s: factor is %g; pass factor < 1", who, d.factor);
    if (d.mode != LIT_SCHED_MIN && d.mode != LIT_SCHED_MAX)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "%s: mode is %d; pass LIT_SCHED_MIN or LIT_SCHED_MAX", who,
                               (int)d.mode);
    if (d.threshold_mode != LIT_THRESHOLD_REL && d.threshold_mode != LIT_THRESHOLD_ABS)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG,
                               "%s: threshold_mode is %d; pass LIT_THRESHOLD_REL or LIT_THRESHOLD_ABS", who,
                               (int)d.threshold_mode);
    if (d.patience < 0 || d.cooldown < 0)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "%s: patience is %lld and cooldown is %lld; pass both >= 0",
                               who, (long long)d.patience, (long long)d.cooldown);
    s->factor = d.factor;
    s->mode_max = d.mode == LIT_SCHED_MAX;
    s->threshold_abs = d.threshold_mode == LIT_THRESHOLD_ABS;
    s->threshold = d.threshold;
    s->patience = d.patience;
    s->cooldown = d.cooldown;
    s->eps = d.eps;
    s->min_lrs = lit__sched_group_array(s);
    if (!s->min_lrs) return lit__sched_fail(s, LIT_ERR_NOMEM, "%s: out of memory", who);
    for (int g = 0; g < s->n_groups; g++) s->min_lrs[g] = d.min_lrs ? d.min_lrs[g] : d.min_lr;
    /* _reset() */
    s->best = s->mode_max ? -INFINITY : INFINITY;
    s->cooldown_counter = 0;
    s->num_bad_epochs = 0;
    s->last_epoch = 0;
    if (lit__sched_add_entry(s, "last_epoch", NULL, &s->last_epoch) < 0 ||
        lit__sched_add_entry(s, "best", &s->best, NULL) < 0 ||
        lit__sched_add_entry(s, "num_bad_epochs", NULL, &s->num_bad_epochs) < 0 ||
        lit__sched_add_entry(s, "cooldown_counter", NULL, &s->cooldown_counter) < 0)
        return lit__sched_fail(s, LIT_ERR_NOMEM, "%s: out of memory", who);
    return s;
}
