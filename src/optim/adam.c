/*
 * src/optim/adam.c — Adam and AdamW (optionally AMSGrad): torch/optim/adam.py
 * `_single_tensor_adam` and adamw.py `_single_tensor_adamw` (1.13) in float32:
 *
 *     step += 1                          (0-d f32 tensor, as PyTorch)
 *     AdamW: p *= 1 - lr * weight_decay  |  Adam: g += weight_decay * p
 *     m = m * beta1 + (1 - beta1) * g
 *     v = v * beta2 + (1 - beta2) * g * g
 *     bc1 = 1 - beta1^step, bc2 = 1 - beta2^step          (double)
 *     denom = sqrt(amsgrad ? vmax = max(vmax, v) : v) / sqrt(bc2) + eps
 *     p += (-lr / bc1) * m / denom
 */
#include <math.h>

#include "optim/optim-impl.h"

enum { SLOT_STEP = 0, SLOT_EXP_AVG, SLOT_EXP_AVG_SQ, SLOT_MAX_EXP_AVG_SQ };
static const char *const ADAM_SLOTS[] = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", NULL};
static const char *const ADAM_HPARAMS[] = {"lr", "betas.0", "betas.1", "eps", "weight_decay", "amsgrad", "maximize",
                                           NULL};

lit_adam_params lit_adam_default_params(void) {
    lit_adam_params p = {.lr = 1e-3, .betas = {0.9, 0.999}, .eps = 1e-8, .weight_decay = 0.0, .amsgrad = 0,
                         .maximize = 0};
    return p;
}

lit_adam_params lit_adamw_default_params(void) {
    lit_adam_params p = lit_adam_default_params();
    p.weight_decay = 1e-2;
    return p;
}

static lit_status adam_check_group(const lit_optimizer *opt, const lit_param_group *g) {
    const char *who = lit_optimizer_name(opt);
    if (!(g->eps >= 0.0)) return lit_set_error(LIT_ERR_INVALID_ARG, "%s: eps is %g; pass eps >= 0", who, g->eps);
    for (int k = 0; k < 2; k++)
        if (!(g->betas[k] >= 0.0 && g->betas[k] < 1.0))
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s: betas[%d] is %g; pass 0 <= betas[%d] < 1", who, k,
                                 g->betas[k], k);
    return LIT_OK;
}

static void adam_update(float *restrict p, const float *restrict g, float *restrict m, float *restrict v,
                        float *restrict vmax, int64_t n, const lit_param_group *hp, double step, int decoupled) {
    const double beta1 = hp->betas[0], beta2 = hp->betas[1];
    const double bc1 = 1.0 - pow(beta1, step);
    const double bc2 = 1.0 - pow(beta2, step);
    const double step_size = hp->lr / bc1;
    const float bc2_sqrt = (float)sqrt(bc2);
    const float neg_step = (float)(-step_size);
    const float b1 = (float)beta1, c1 = (float)(1.0 - beta1);
    const float b2 = (float)beta2, c2 = (float)(1.0 - beta2);
    const float eps = (float)hp->eps, wd = (float)hp->weight_decay;
    const float decay = (float)(1.0 - hp->lr * hp->weight_decay);
    const int maximize = hp->maximize;
    const int l2 = !decoupled && hp->weight_decay != 0.0;
    const int amsgrad = vmax != NULL;
    LIT__PAR_FOR(n >= LIT__OPTIM_PAR_MIN, simd schedule(static),
        for (int64_t i = 0; i < n; i++) {
            float pi = p[i];
            float gi = maximize ? -g[i] : g[i];
            if (decoupled) pi = pi * decay;
            if (l2) gi = LIT__FMAF(pi, wd, gi);           /* grad.add(param, alpha=wd) */
            float mi = LIT__FMAF(gi, c1, m[i] * b1);      /* exp_avg.mul_(b1).add_(grad, alpha=1-b1) */
            float vi = LIT__FMAF(c2 * gi, gi, v[i] * b2); /* exp_avg_sq.mul_(b2).addcmul_(g, g, value=1-b2) */
            m[i] = mi;
            v[i] = vi;
            float s = vi;
            if (amsgrad) {
                float a = vmax[i];
                s = (a != a || a > vi) ? a : vi; /* torch.maximum: NaN propagates */
                vmax[i] = s;
            }
            float denom = sqrtf(s) / bc2_sqrt + eps;
            p[i] = pi + neg_step * mi / denom; /* addcdiv_(exp_avg, denom, value=-step_size) */
        });
}

static lit_status adam_step_impl(lit_optimizer *opt, int decoupled) {
    const char *who = lit_optimizer_name(opt);
    int ng = lit_optimizer_num_groups(opt);
    for (int gi = 0; gi < ng; gi++) {
        const lit_param_group *hp = lit_optimizer_group(opt, gi);
        for (int i = 0; i < hp->n_params; i++) {
            lit_tensor *p = hp->params[i];
            const float *g = lit__optimizer_grad(p, who);
            if (!g) continue;
            lit_tensor *st = lit__optimizer_slot(opt, gi, i, SLOT_STEP, 1);
            lit_tensor *m = lit__optimizer_slot(opt, gi, i, SLOT_EXP_AVG, 1);
            lit_tensor *v = lit__optimizer_slot(opt, gi, i, SLOT_EXP_AVG_SQ, 1);
            lit_tensor *vmax = NULL;
            if (!st || !m || !v) return LIT_ERR_NOMEM;
            if (hp->amsgrad) {
                vmax = lit__optimizer_slot(opt, gi, i, SLOT_MAX_EXP_AVG_SQ, 1);
                if (!vmax) return LIT_ERR_NOMEM;
            }
            float *step = lit_f32(st);
            step[0] = step[0] + 1.0f;
            adam_update(lit_f32(p), g, lit_f32(m), lit_f32(v), vmax ? lit_f32(vmax) : NULL, p->numel, hp,
                        (double)step[0], decoupled);
        }
    }
    return LIT_OK;
}

static lit_status adam_step(lit_optimizer *opt) { return adam_step_impl(opt, 0); }
static lit_status adamw_step(lit_optimizer *opt) { return adam_step_impl(opt, 1); }

static const lit_optimizer_vtable ADAM_VTABLE = {
    .version = LIT_OPTIMIZER_VTABLE_VERSION,
    .name = "Adam",
    .state_slots = ADAM_SLOTS,
    .hparams = ADAM_HPARAMS,
    .step = adam_step,
    .check_group = adam_check_group,
};

static const lit_optimizer_vtable ADAMW_VTABLE = {
    .version = LIT_OPTIMIZER_VTABLE_VERSION,
    .name = "AdamW",
    .state_slots = ADAM_SLOTS,
    .hparams = ADAM_HPARAMS,
    .step = adamw_step,
    .check_group = adam_check_group,
};

static lit_param_group adam_group(const lit_adam_params *p) {
    lit_param_group g = {0};
    g.lr = p->lr;
    g.betas[0] = p->betas[0];
    g.betas[1] = p->betas[1];
    g.eps = p->eps;
    g.weight_decay = p->weight_decay;
    g.amsgrad = p->amsgrad;
    g.maximize = p->maximize;
    return g;
}

lit_optimizer *lit_adam_new(const lit_adam_params *p, lit_tensor *const *params, int n) {
    lit_adam_params d = p ? *p : lit_adam_default_params();
    lit_param_group g = adam_group(&d);
    return lit__optimizer_create(&ADAM_VTABLE, &g, params, n);
}

lit_optimizer *lit_adamw_new(const lit_adam_params *p, lit_tensor *const *params, int n) {
    lit_adam_params d = p ? *p : lit_adamw_default_params();
    lit_param_group g = adam_group(&d);
    return lit__optimizer_create(&ADAMW_VTABLE, &g, params, n);
}
