/*
 * src/optim/sched-decay.c — StepLR, MultiStepLR, ExponentialLR, LinearLR,
 * ConstantLR, PolynomialLR, LambdaLR, MultiplicativeLR: torch 1.13's
 * chainable get_lr and _get_closed_form_lr, term for term.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optim/sched-impl.h"

#define LR(s, g) lit_optimizer_get_lr((s)->opt, (g))

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---------------------------------------------------------------- StepLR */

static lit_status step_get_lr(lit_scheduler *s, double *out) {
    int decay = !(s->last_epoch == 0 || s->last_epoch % s->step_size != 0);
    for (int g = 0; g < s->n_groups; g++) out[g] = decay ? LR(s, g) * s->gamma : LR(s, g);
    return LIT_OK;
}

static lit_status step_closed(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++)
        out[g] = s->base_lrs[g] * pow(s->gamma, (double)(s->last_epoch / s->step_size));
    return LIT_OK;
}

static const sched_ops STEP_OPS = {.name = "StepLR", .get_lr = step_get_lr, .closed_form = step_closed};

lit_step_lr_params lit_step_lr_default_params(void) {
    lit_step_lr_params p = {.step_size = 1, .gamma = 0.1};
    return p;
}

lit_scheduler *lit_step_lr_new(lit_optimizer *opt, const lit_step_lr_params *p) {
    lit_step_lr_params d = p ? *p : lit_step_lr_default_params();
    lit_scheduler *s = lit__sched_alloc(opt, &STEP_OPS);
    if (!s) return NULL;
    if (d.step_size <= 0)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "StepLR: step_size is %lld; pass step_size > 0",
                               (long long)d.step_size);
    s->step_size = d.step_size;
    s->gamma = d.gamma;
    return lit__sched_init(s);
}

/* ---------------------------------------------------------------- MultiStepLR */

static int count_milestone(const lit_scheduler *s, int64_t e) {
    int c = 0;
    for (int k = 0; k < s->n_milestones; k++) c += s->milestones[k] == e;
    return c;
}

static lit_status multistep_get_lr(lit_scheduler *s, double *out) {
    int c = count_milestone(s, s->last_epoch);
    for (int g = 0; g < s->n_groups; g++) out[g] = c ? LR(s, g) * pow(s->gamma, (double)c) : LR(s, g);
    return LIT_OK;
}

static lit_status multistep_closed(lit_scheduler *s, double *out) {
    int below = 0; /* bisect_right(sorted milestones, last_epoch) */
    while (below < s->n_milestones && s->milestones[below] <= s->last_epoch) below++;
    for (int g = 0; g < s->n_groups; g++) out[g] = s->base_lrs[g] * pow(s->gamma, (double)below);
    return LIT_OK;
}

static const sched_ops MULTISTEP_OPS = {.name = "MultiStepLR", .get_lr = multistep_get_lr,
                                        .closed_form = multistep_closed};

lit_multistep_lr_params lit_multistep_lr_default_params(void) {
    lit_multistep_lr_params p = {.milestones = NULL, .n_milestones = 0, .gamma = 0.1};
    return p;
}

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

lit_scheduler *lit_multistep_lr_new(lit_optimizer *opt, const lit_multistep_lr_params *p) {
    lit_multistep_lr_params d = p ? *p : lit_multistep_lr_default_params();
    LIT_ASSERT(d.n_milestones >= 0 && (d.n_milestones == 0 || d.milestones != NULL),
               "MultiStepLR: %d milestones at %p; pass an array of n_milestones epochs", d.n_milestones,
               (const void *)d.milestones);
    lit_scheduler *s = lit__sched_alloc(opt, &MULTISTEP_OPS);
    if (!s) return NULL;
    s->gamma = d.gamma;
    s->milestones = malloc((size_t)(d.n_milestones ? d.n_milestones : 1) * sizeof(int64_t));
    if (!s->milestones) return lit__sched_fail(s, LIT_ERR_NOMEM, "MultiStepLR: out of memory");
    if (d.n_milestones) memcpy(s->milestones, d.milestones, (size_t)d.n_milestones * sizeof(int64_t));
    s->n_milestones = d.n_milestones;
    qsort(s->milestones, (size_t)s->n_milestones, sizeof(int64_t), cmp_i64);
    return lit__sched_init(s);
}

/* ---------------------------------------------------------------- ExponentialLR */

static lit_status exp_get_lr(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++) out[g] = s->last_epoch == 0 ? LR(s, g) : LR(s, g) * s->gamma;
    return LIT_OK;
}

static lit_status exp_closed(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++) out[g] = s->base_lrs[g] * pow(s->gamma, (double)s->last_epoch);
    return LIT_OK;
}

static const sched_ops EXP_OPS = {.name = "ExponentialLR", .get_lr = exp_get_lr, .closed_form = exp_closed};

lit_exponential_lr_params lit_exponential_lr_default_params(void) {
    lit_exponential_lr_params p = {.gamma = 0.95};
    return p;
}

lit_scheduler *lit_exponential_lr_new(lit_optimizer *opt, const lit_exponential_lr_params *p) {
    lit_exponential_lr_params d = p ? *p : lit_exponential_lr_default_params();
    lit_scheduler *s = lit__sched_alloc(opt, &EXP_OPS);
    if (!s) return NULL;
    s->gamma = d.gamma;
    return lit__sched_init(s);
}

/* ---------------------------------------------------------------- LinearLR */

static lit_status linear_get_lr(lit_scheduler *s, double *out) {
    const double a = s->start_factor, b = s->end_factor;
    for (int g = 0; g < s->n_groups; g++) {
        if (s->last_epoch == 0)
            out[g] = LR(s, g) * a;
        else if (s->last_epoch > s->total_iters)
            out[g] = LR(s, g);
        else
            out[g] = LR(s, g) *
                     (1. + (b - a) / ((double)s->total_iters * a + (double)(s->last_epoch - 1) * (b - a)));
    }
    return LIT_OK;
}

static lit_status linear_closed(lit_scheduler *s, double *out) {
    const double a = s->start_factor, b = s->end_factor;
    for (int g = 0; g < s->n_groups; g++)
        out[g] = s->base_lrs[g] *
                 (a + (b - a) * (double)min64(s->total_iters, s->last_epoch) / (double)s->total_iters);
    return LIT_OK;
}

static const sched_ops LINEAR_OPS = {.name = "LinearLR", .get_lr = linear_get_lr, .closed_form = linear_closed};

lit_linear_lr_params lit_linear_lr_default_params(void) {
    lit_linear_lr_params p = {.start_factor = 1.0 / 3, .end_factor = 1.0, .total_iters = 5};
    return p;
}

lit_scheduler *lit_linear_lr_new(lit_optimizer *opt, const lit_linear_lr_params *p) {
    lit_linear_lr_params d = p ? *p : lit_linear_lr_default_params();
    lit_scheduler *s = lit__sched_alloc(opt, &LINEAR_OPS);
    if (!s) return NULL;
    if (!(d.start_factor > 0.0 && d.start_factor <= 1.0))
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "LinearLR: start_factor is %g; pass 0 < start_factor <= 1",
                               d.start_factor);
    if (!(d.end_factor >= 0.0 && d.end_factor <= 1.0))
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "LinearLR: end_factor is %g; pass 0 <= end_factor <= 1",
                               d.end_factor);
    if (d.total_iters <= 0)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "LinearLR: total_iters is %lld; pass total_iters > 0",
                               (long long)d.total_iters);
    s->start_factor = d.start_factor;
    s->end_factor = d.end_factor;
    s->total_iters = d.total_iters;
    return lit__sched_init(s);
}

/* ---------------------------------------------------------------- ConstantLR */

static lit_status constant_get_lr(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++) {
        if (s->last_epoch == 0)
            out[g] = LR(s, g) * s->factor;
        else if (s->last_epoch != s->total_iters)
            out[g] = LR(s, g);
        else
            out[g] = LR(s, g) * (1.0 / s->factor);
    }
    return LIT_OK;
}

static lit_status constant_closed(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++)
        out[g] = s->base_lrs[g] * (s->factor + (double)(s->last_epoch >= s->total_iters) * (1 - s->factor));
    return LIT_OK;
}

static const sched_ops CONSTANT_OPS = {.name = "ConstantLR", .get_lr = constant_get_lr,
                                       .closed_form = constant_closed};

lit_constant_lr_params lit_constant_lr_default_params(void) {
    lit_constant_lr_params p = {.factor = 1.0 / 3, .total_iters = 5};
    return p;
}

lit_scheduler *lit_constant_lr_new(lit_optimizer *opt, const lit_constant_lr_params *p) {
    lit_constant_lr_params d = p ? *p : lit_constant_lr_default_params();
    lit_scheduler *s = lit__sched_alloc(opt, &CONSTANT_OPS);
    if (!s) return NULL;
    if (!(d.factor >= 0.0 && d.factor <= 1.0))
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "ConstantLR: factor is %g; pass 0 <= factor <= 1", d.factor);
    if (d.total_iters < 0)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "ConstantLR: total_iters is %lld; pass total_iters >= 0",
                               (long long)d.total_iters);
    s->factor = d.factor;
    s->total_iters = d.total_iters;
    return lit__sched_init(s);
}

/* ---------------------------------------------------------------- PolynomialLR */

static lit_status poly_get_lr(lit_scheduler *s, double *out) {
    const double T = (double)s->total_iters, e = (double)s->last_epoch;
    int keep = s->last_epoch == 0 || s->last_epoch > s->total_iters;
    double f = keep ? 1.0 : pow((1.0 - e / T) / (1.0 - (e - 1) / T), s->power);
    for (int g = 0; g < s->n_groups; g++) out[g] = keep ? LR(s, g) : LR(s, g) * f;
    return LIT_OK;
}

static lit_status poly_closed(lit_scheduler *s, double *out) {
    const double T = (double)s->total_iters;
    for (int g = 0; g < s->n_groups; g++)
        out[g] = s->base_lrs[g] * pow(1.0 - (double)min64(s->total_iters, s->last_epoch) / T, s->power);
    return LIT_OK;
}

static const sched_ops POLY_OPS = {.name = "PolynomialLR", .get_lr = poly_get_lr, .closed_form = poly_closed};

lit_polynomial_lr_params lit_polynomial_lr_default_params(void) {
    lit_polynomial_lr_params p = {.total_iters = 5, .power = 1.0};
    return p;
}

lit_scheduler *lit_polynomial_lr_new(lit_optimizer *opt, const lit_polynomial_lr_params *p) {
    lit_polynomial_lr_params d = p ? *p : lit_polynomial_lr_default_params();
    lit_scheduler *s = lit__sched_alloc(opt, &POLY_OPS);
    if (!s) return NULL;
    if (d.total_iters <= 0)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "PolynomialLR: total_iters is %lld; pass total_iters > 0",
                               (long long)d.total_iters);
    s->total_iters = d.total_iters;
    s->power = d.power;
    return lit__sched_init(s);
}

/* ---------------------------------------------------------------- LambdaLR, MultiplicativeLR */

static lit_status lambda_get_lr(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++) out[g] = s->base_lrs[g] * s->fns[g](s->last_epoch, s->users[g]);
    return LIT_OK;
}

static lit_status mult_get_lr(lit_scheduler *s, double *out) {
    for (int g = 0; g < s->n_groups; g++)
        out[g] = s->last_epoch > 0 ? LR(s, g) * s->fns[g](s->last_epoch, s->users[g]) : LR(s, g);
    return LIT_OK;
}

static const sched_ops LAMBDA_OPS = {.name = "LambdaLR", .get_lr = lambda_get_lr};
static const sched_ops MULT_OPS = {.name = "MultiplicativeLR", .get_lr = mult_get_lr};

lit_lambda_lr_params lit_lambda_lr_default_params(void) {
    lit_lambda_lr_params p = {.fn = NULL, .user = NULL, .fns = NULL, .users = NULL, .n_fns = 0};
    return p;
}

static lit_scheduler *lambda_new(lit_optimizer *opt, const lit_lambda_lr_params *p, const sched_ops *ops) {
    LIT_ASSERT(p != NULL && (p->fn != NULL || p->fns != NULL),
               "%s: pass a factor function: params.fn (shared) or params.fns (one per group)", ops->name);
    lit_scheduler *s = lit__sched_alloc(opt, ops);
    if (!s) return NULL;
    if (!p->fn && p->n_fns != s->n_groups)
        return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "%s: expected %d lr lambdas (one per group), got %d", ops->name,
                               s->n_groups, p->n_fns);
    size_t n = (size_t)(s->n_groups ? s->n_groups : 1);
    s->fns = calloc(n, sizeof *s->fns);
    s->users = calloc(n, sizeof *s->users);
    if (!s->fns || !s->users) return lit__sched_fail(s, LIT_ERR_NOMEM, "%s: out of memory", ops->name);
    for (int g = 0; g < s->n_groups; g++) {
        s->fns[g] = p->fn ? p->fn : p->fns[g];
        s->users[g] = p->fn ? p->user : p->users ? p->users[g] : NULL;
        LIT_ASSERT(s->fns[g] != NULL, "%s: lr lambda %d is NULL", ops->name, g);
    }
    return lit__sched_init(s);
}

lit_scheduler *lit_lambda_lr_new(lit_optimizer *opt, const lit_lambda_lr_params *p) {
    return lambda_new(opt, p, &LAMBDA_OPS);
}

lit_scheduler *lit_multiplicative_lr_new(lit_optimizer *opt, const lit_lambda_lr_params *p) {
    return lambda_new(opt, p, &MULT_OPS);
}
