/*
 * src/optim/sgd.c — SGD with momentum, dampening, Nesterov, weight decay and
 * maximize: torch/optim/sgd.py `_single_tensor_sgd` (1.13) in float32.
 */
#include <stdlib.h>

#include "optim/optim-impl.h"

enum { SLOT_MOMENTUM_BUFFER = 0 };
static const char *const SGD_SLOTS[] = {"momentum_buffer", NULL};
static const char *const SGD_HPARAMS[] = {"lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", NULL};

lit_sgd_params lit_sgd_default_params(void) {
    lit_sgd_params p = {.lr = 1e-3, .momentum = 0.0, .dampening = 0.0, .weight_decay = 0.0, .nesterov = 0,
                        .maximize = 0};
    return p;
}

static lit_status sgd_check_group(const lit_optimizer *opt, const lit_param_group *g) {
    (void)opt;
    if (!(g->momentum >= 0.0))
        return lit_set_error(LIT_ERR_INVALID_ARG, "SGD: momentum is %g; pass momentum >= 0", g->momentum);
    if (g->nesterov && (g->momentum <= 0.0 || g->dampening != 0.0))
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "SGD: nesterov needs momentum > 0 and dampening == 0 (got momentum %g, dampening %g)",
                             g->momentum, g->dampening);
    return LIT_OK;
}

/* One parameter, with PyTorch's roundings: scalars become f32, each
 * `x.add(y, alpha=a)` is one fused multiply-add (as torch's CPU kernel),
 *     d = (maximize ? -g : g) + wd * p
 *     buf = first ? d : buf * momentum + (1 - dampening) * d
 *     d = nesterov ? d + momentum * buf : buf
 *     p = p + (-lr) * d                                                   */
static void sgd_update(float *restrict p, const float *restrict g, float *restrict buf, int first, int64_t n,
                       const lit_param_group *hp) {
    const float wd = (float)hp->weight_decay, mom = (float)hp->momentum;
    const float damp = (float)(1.0 - hp->dampening), neg_lr = (float)(-hp->lr);
    const int has_wd = hp->weight_decay != 0.0, nesterov = hp->nesterov, maximize = hp->maximize;
    if (!buf) {
        LIT__PAR_FOR(n >= LIT__OPTIM_PAR_MIN, simd schedule(static),
            for (int64_t i = 0; i < n; i++) {
                float d = maximize ? -g[i] : g[i];
                if (has_wd) d = LIT__FMAF(p[i], wd, d);
                p[i] = LIT__FMAF(d, neg_lr, p[i]);
            });
        return;
    }
    LIT__PAR_FOR(n >= LIT__OPTIM_PAR_MIN, simd schedule(static),
        for (int64_t i = 0; i < n; i++) {
            float d = maximize ? -g[i] : g[i];
            if (has_wd) d = LIT__FMAF(p[i], wd, d);
            float b = first ? d : LIT__FMAF(d, damp, buf[i] * mom);
            buf[i] = b;
            d = nesterov ? LIT__FMAF(b, mom, d) : b;
            p[i] = LIT__FMAF(d, neg_lr, p[i]);
        });
}

static lit_status sgd_step(lit_optimizer *opt) {
    int ng = lit_optimizer_num_groups(opt);
    for (int gi = 0; gi < ng; gi++) {
        const lit_param_group *hp = lit_optimizer_group(opt, gi);
        for (int i = 0; i < hp->n_params; i++) {
            lit_tensor *p = hp->params[i];
            const float *g = lit__optimizer_grad(p, "SGD");
            if (!g) continue;
            float *buf = NULL;
            int first = 0;
            if (hp->momentum != 0.0) {
                lit_tensor *b = lit__optimizer_slot(opt, gi, i, SLOT_MOMENTUM_BUFFER, 0);
                if (!b) {
                    b = lit__optimizer_slot(opt, gi, i, SLOT_MOMENTUM_BUFFER, 1);
                    if (!b) return LIT_ERR_NOMEM;
                    first = 1;
                }
                buf = lit_f32(b);
            }
            sgd_update(lit_f32(p), g, buf, first, p->numel, hp);
        }
    }
    return LIT_OK;
}

static const lit_optimizer_vtable SGD_VTABLE = {
    .version = LIT_OPTIMIZER_VTABLE_VERSION,
    .name = "SGD",
    .state_slots = SGD_SLOTS,
    .hparams = SGD_HPARAMS,
    .step = sgd_step,
    .check_group = sgd_check_group,
};

lit_optimizer *lit_sgd_new(const lit_sgd_params *p, lit_tensor *const *params, int n) {
    lit_sgd_params d = p ? *p : lit_sgd_default_params();
    lit_param_group g = {0};
    g.lr = d.lr;
    g.momentum = d.momentum;
    g.dampening = d.dampening;
    g.weight_decay = d.weight_decay;
    g.nesterov = d.nesterov;
    g.maximize = d.maximize;
    g.betas[0] = 0.9;
    g.betas[1] = 0.999;
    g.eps = 1e-8;
    return lit__optimizer_create(&SGD_VTABLE, &g, params, n);
}
