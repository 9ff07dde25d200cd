/*
 * src/optim/sched-cosine.c — CosineAnnealingLR (PyTorch's recursive form),
 * CosineAnnealingWarmRestarts and OneCycleLR, as in torch 1.13.
 */
#include <math.h>
#include <string.h>

#include "optim/sched-impl.h"

#define LR(s, g) lit_optimizer_get_lr((s)->opt, (g))

static const double PI = 3.141592653589793; /* math.pi */

/* ---------------------------------------------------------------- CosineAnnealingLR */

static lit_status cosine_get_lr(lit_scheduler *s, double *out) {
    const int64_t e = s->last_epoch, T = s->T_max;
    const double eta = s->eta_min;
    int64_t m = (e - 1 - T) % (2 * T); /* Python's modulo: non-negative */
    if (m < 0) m += 2 * T;
    for (int g = 0; g < s->n_groups; g++) {
        const double lr = LR(s, g), base = s->base_lrs[g];
        if (e == 0)
            out[g] = lr;
        else if (s->step_count == 1 && e > 0)
            out[g] = eta + (base - eta) * (1 + cos((double)e * PI / (double)T)) / 2;
        else if (m == 0)
            out[g] = lr + (base - eta) * (1 - cos(PI / (double)T)) / 2;
        else
            out[g] = (1 + cos(PI * (double)e / (double)T)) / (1 + cos(PI * (double)(e - 1) / (double)T)) * (lr - eta) +
                     eta;
    }
    return LIT_OK;
}

static lit_status cosine_closed(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++)
        out[g] = s->eta_min +
                 (s->base_lrs[g] - s->eta_min) * (1 + cos(PI * (double)s->last_epoch / (double)s->T_max)) / 2;
    return LIT_OK;
}

static const sched_ops COSINE_OPS = {.name = "CosineAnnealingLR", .get_lr = cosine_get_lr,
                                     .closed_form = cosine_closed};

lit_cosine_lr_params lit_cosine_lr_default_params(void) {
    lit_cosine_lr_params p = {.T_max = 1, .eta_min = 0.0};
    return p;
}

lit_scheduler *lit_cosine_lr_new(lit_optimizer *opt, const lit_cosine_lr_params *p) {
    lit_cosine_lr_params d = p ? *p : lit_cosine_lr_default_params();
    lit_scheduler *s = lit__sched_alloc(opt, &COSINE_OPS);
    if (!s) return NULL;
    if (d.T_max <= 0)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "CosineAnnealingLR: T_max is %lld; pass T_max > 0",
                               (long long)d.T_max);
    s->T_max = d.T_max;
    s->eta_min = d.eta_min;
    return lit__sched_init(s);
}

/* ---------------------------------------------------------------- CosineAnnealingWarmRestarts */

static lit_status cawr_get_lr(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++)
        out[g] = s->eta_min + (s->base_lrs[g] - s->eta_min) * (1 + cos(PI * s->T_cur / (double)s->T_i)) / 2;
    return LIT_OK;
}

/* CosineAnnealingWarmRestarts.step(epoch); epoch < 0 is None. Unlike the base
 * step it does not count _step_count. */
static lit_status cawr_step(lit_scheduler *s, int64_t epoch) {
    int given = epoch >= 0;
    if (!given && s->last_epoch < 0) {
        epoch = 0;
        given = 1;
    }
    if (!given) {
        epoch = s->last_epoch + 1;
        s->T_cur = s->T_cur + 1;
        if (s->T_cur >= (double)s->T_i) {
            s->T_cur = s->T_cur - (double)s->T_i;
            s->T_i = s->T_i * s->T_mult;
        }
    } else if (epoch >= s->T_0) {
        if (s->T_mult == 1) {
            s->T_cur = (double)(epoch % s->T_0);
        } else {
            double x = (double)epoch / (double)s->T_0 * (double)(s->T_mult - 1) + 1;
            int64_t n = (int64_t)(log(x) / log((double)s->T_mult));
            int64_t pw = 1;
            for (int64_t k = 0; k < n; k++) pw *= s->T_mult;
            s->T_cur = (double)epoch - (double)(s->T_0 * (pw - 1)) / (double)(s->T_mult - 1);
            s->T_i = s->T_0 * pw;
        }
    } else {
        s->T_i = s->T_0;
        s->T_cur = (double)epoch;
    }
    s->last_epoch = epoch;
    cawr_get_lr(s, s->tmp);
    for (int g = 0; g < s->n_groups; g++) lit_optimizer_set_lr(s->opt, g, s->tmp[g]);
    lit__sched_record_last_lr(s);
    return LIT_OK;
}

static const sched_ops CAWR_OPS = {.name = "CosineAnnealingWarmRestarts", .get_lr = cawr_get_lr, .step = cawr_step};

lit_cosine_warm_restarts_params lit_cosine_warm_restarts_default_params(void) {
    lit_cosine_warm_restarts_params p = {.T_0 = 1, .T_mult = 1, .eta_min = 0.0};
    return p;
}

lit_scheduler *lit_cosine_warm_restarts_new(lit_optimizer *opt, const lit_cosine_warm_restarts_params *p) {
    lit_cosine_warm_restarts_params d = p ? *p : lit_cosine_warm_restarts_default_params();
    lit_scheduler *s = lit__sched_alloc(opt, &CAWR_OPS);
    if (!s) return NULL;
    if (d.T_0 <= 0)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "CosineAnnealingWarmRestarts: T_0 is %lld; pass T_0 > 0",
                               (long long)d.T_0);
    if (d.T_mult < 1)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "CosineAnnealingWarmRestarts: T_mult is %lld; pass T_mult >= 1",
                               (long long)d.T_mult);
    s->T_0 = s->T_i = d.T_0;
    s->T_mult = d.T_mult;
    s->eta_min = d.eta_min;
    s->T_cur = -1; /* last_epoch */
    if (lit__sched_add_entry(s, "T_i", NULL, &s->T_i) < 0 || lit__sched_add_entry(s, "T_cur", &s->T_cur, NULL) < 0)
        return lit__sched_fail(s, LIT_ERR_NOMEM, "CosineAnnealingWarmRestarts: out of memory");
    return lit__sched_init(s);
}

/* ---------------------------------------------------------------- OneCycleLR */

static double anneal(const lit_scheduler *s, double start, double end, double pct) {
    if (s->anneal_linear) return (end - start) * pct + start;
    double cos_out = cos(PI * pct) + 1;
    return end + (start - end) / 2.0 * cos_out;
}

static lit_status onecycle_get_lr(lit_scheduler *s, double *out) {
    const int64_t step_num = s->last_epoch;
    if (step_num > s->total_steps)
        return lit_set_error(LIT_ERR_STATE, "OneCycleLR: tried to step %lld times; total_steps is %lld",
                             (long long)(step_num + 1), (long long)s->total_steps);
    for (int g = 0; g < s->n_groups; g++) {
        const double lrs[3] = {lit_optimizer_group(s->opt, g)->initial_lr, s->max_lrs[g], s->min_lrs[g]};
        const double moms[2] = {s->max_moms[g], s->base_moms[g]};
        double start_step = 0, lr = 0, mom = 0;
        for (int i = 0; i < s->n_phases; i++) {
            const onecycle_phase *ph = &s->phases[i];
            if ((double)step_num <= ph->end_step || i == s->n_phases - 1) {
                double pct = ((double)step_num - start_step) / (ph->end_step - start_step);
                lr = anneal(s, lrs[ph->start_lr], lrs[ph->end_lr], pct);
                if (s->cycle_momentum) mom = anneal(s, moms[ph->start_mom], moms[ph->end_mom], pct);
                break;
            }
            start_step = ph->end_step;
        }
        out[g] = lr;
        if (s->cycle_momentum) lit_optimizer_set_hparam(s->opt, g, s->momentum_name, mom);
    }
    return LIT_OK;
}

static const sched_ops ONECYCLE_OPS = {.name = "OneCycleLR", .get_lr = onecycle_get_lr};

lit_one_cycle_lr_params lit_one_cycle_lr_default_params(void) {
    lit_one_cycle_lr_params p = {.max_lr = 0.1, .max_lrs = NULL, .total_steps = 0, .epochs = 0,
                                 .steps_per_epoch = 0, .pct_start = 0.3, .anneal_strategy = LIT_ANNEAL_COS,
                                 .cycle_momentum = 1, .base_momentum = 0.85, .max_momentum = 0.95,
                                 .div_factor = 25.0, .final_div_factor = 1e4, .three_phase = 0};
    return p;
}

static int has_hparam(const lit_optimizer *opt, const char *name) {
    for (int k = 0; lit_optimizer_hparam_name(opt, k); k++)
        if (strcmp(lit_optimizer_hparam_name(opt, k), name) == 0) return 1;
    return 0;
}

lit_scheduler *lit_one_cycle_lr_new(lit_optimizer *opt, const lit_one_cycle_lr_params *p) {
    lit_one_cycle_lr_params d = p ? *p : lit_one_cycle_lr_default_params();
    lit_scheduler *s = lit__sched_alloc(opt, &ONECYCLE_OPS);
    if (!s) return NULL;
    if (d.total_steps < 0)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "OneCycleLR: total_steps is %lld; pass total_steps > 0",
                               (long long)d.total_steps);
    if (d.total_steps == 0) {
        if (d.epochs <= 0 || d.steps_per_epoch <= 0)
            return lit__sched_fail(s, LIT_ERR_INVALID_ARG,
                                   "OneCycleLR: total_steps is 0 and epochs = %lld, steps_per_epoch = %lld; pass "
                                   "total_steps > 0 or both epochs > 0 and steps_per_epoch > 0",
                                   (long long)d.epochs, (long long)d.steps_per_epoch);
        d.total_steps = d.epochs * d.steps_per_epoch;
    }
    if (!(d.pct_start >= 0.0 && d.pct_start <= 1.0))
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "OneCycleLR: pct_start is %g; pass 0 <= pct_start <= 1",
                               d.pct_start);
    if (d.anneal_strategy != LIT_ANNEAL_COS && d.anneal_strategy != LIT_ANNEAL_LINEAR)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG,
                               "OneCycleLR: anneal_strategy is %d; pass LIT_ANNEAL_COS or LIT_ANNEAL_LINEAR",
                               (int)d.anneal_strategy);
    if (!(d.div_factor > 0.0) || !(d.final_div_factor > 0.0))
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG,
                               "OneCycleLR: div_factor is %g and final_div_factor is %g; pass both > 0", d.div_factor,
                               d.final_div_factor);
    s->total_steps = d.total_steps;
    s->anneal_linear = d.anneal_strategy == LIT_ANNEAL_LINEAR;
    const double T = (double)d.total_steps;
    if (d.three_phase) {
        s->n_phases = 3;
        s->phases[0] = (onecycle_phase){d.pct_start * T - 1, 0, 1, 0, 1};
        s->phases[1] = (onecycle_phase){2 * d.pct_start * T - 2, 1, 0, 1, 0};
        s->phases[2] = (onecycle_phase){T - 1, 0, 2, 0, 0};
    } else {
        s->n_phases = 2;
        s->phases[0] = (onecycle_phase){d.pct_start * T - 1, 0, 1, 0, 1};
        s->phases[1] = (onecycle_phase){T - 1, 1, 2, 1, 0};
    }
    s->max_lrs = lit__sched_group_array(s);
    s->min_lrs = lit__sched_group_array(s);
    s->max_moms = lit__sched_group_array(s);
    s->base_moms = lit__sched_group_array(s);
    if (!s->max_lrs || !s->min_lrs || !s->max_moms || !s->base_moms)
        return lit__sched_fail(s, LIT_ERR_NOMEM, "OneCycleLR: out of memory");
    s->cycle_momentum = d.cycle_momentum != 0;
    if (s->cycle_momentum) {
        s->momentum_name = has_hparam(opt, "betas.0") ? "betas.0" : has_hparam(opt, "momentum") ? "momentum" : NULL;
        if (!s->momentum_name)
            return lit__sched_fail(s, LIT_ERR_INVALID_ARG,
                                   "OneCycleLR: cycle_momentum is on but %s has no 'momentum' or 'betas'; set "
                                   "cycle_momentum = 0",
                                   lit_optimizer_name(opt));
    }
    for (int g = 0; g < s->n_groups; g++) {
        lit_param_group *pg = lit_optimizer_group(opt, g);
        s->max_lrs[g] = d.max_lrs ? d.max_lrs[g] : d.max_lr;
        pg->initial_lr = s->max_lrs[g] / d.div_factor;
        s->min_lrs[g] = pg->initial_lr / d.final_div_factor;
        if (s->cycle_momentum) {
            s->max_moms[g] = d.max_momentum;
            s->base_moms[g] = d.base_momentum;
            lit_optimizer_set_hparam(opt, g, s->momentum_name, d.max_momentum);
        }
    }
    return lit__sched_init(s);
}
