/*
 * tests/test-optim.c — SGD, Adam, AdamW and gradient clipping against
 * PyTorch (tests/fixtures/optim.txt, written by gen_optim.py), plus state
 * save/load, parameter groups, zero_grad, determinism and bad input.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"

static fixture *FX;

static const fixture_array *need(const char *name) {
    const fixture_array *a = fixture_find(FX, name);
    if (!a) printf("  fixture array %s is missing\n", name);
    return a;
}

/* ---------------------------------------------------------------- the problem of gen_optim.py */

#define NP 2
static const int64_t SH0[2] = {3, 4}, SH1[1] = {4};

typedef struct {
    lit_tensor *p[NP];
} problem;

static void problem_init(problem *pr) {
    pr->p[0] = lit_tensor_new(NULL, LIT_F32, 2, SH0);
    pr->p[1] = lit_tensor_new(NULL, LIT_F32, 1, SH1);
    int off = 0;
    for (int j = 0; j < NP; j++) {
        float *d = lit_f32(pr->p[j]);
        for (int64_t i = 0; i < pr->p[j]->numel; i++) d[i] = (float)sin(0.37 * (double)(off + i) + 0.1);
        pr->p[j]->requires_grad = 1;
        pr->p[j]->grad = lit_tensor_new(NULL, LIT_F32, pr->p[j]->ndim, pr->p[j]->shape);
        off += (int)pr->p[j]->numel;
    }
}

static void problem_free(problem *pr) {
    for (int j = 0; j < NP; j++) lit_tensor_free(pr->p[j]);
}

/* grad = p * c1 + c2 in f32, c1/c2 from double formulas (as gen_optim.py). */
static void problem_grads(problem *pr, int t) {
    int off = 0;
    for (int j = 0; j < NP; j++) {
        const float *p = lit_f32(pr->p[j]);
        float *g = lit_f32(pr->p[j]->grad);
        for (int64_t i = 0; i < pr->p[j]->numel; i++) {
            double k = (double)(off + i);
            float c1 = (float)(0.5 + 0.4 * sin(0.1 * t + 0.7 * k));
            float c2 = (float)cos(0.3 * t + 1.3 * k);
            volatile float a = p[i] * c1; /* no fused multiply-add: torch does two ops */
            g[i] = a + c2;
        }
        off += (int)pr->p[j]->numel;
    }
}

static int check_params(const problem *pr, const char *name, int t, double rtol, double atol) {
    int ok = 1;
    for (int j = 0; j < NP; j++) {
        char key[128];
        snprintf(key, sizeof key, "%s.step%d.p%d", name, t, j);
        const fixture_array *a = need(key);
        CHECK(a != NULL);
        if (!a) return 0;
        CHECK_EQ_INT(a->numel, pr->p[j]->numel);
        float *want = fixture_floats(a);
        int before = harness_failures_;
        CHECK_ALLCLOSE(lit_f32(pr->p[j]), want, a->numel, rtol, atol);
        if (harness_failures_ != before) {
            printf("    (%s)\n", key);
            ok = 0;
        }
        free(want);
    }
    return ok;
}

/* ---------------------------------------------------------------- configs */

typedef lit_optimizer *(*make_opt_fn)(problem *pr);
typedef lit_scheduler *(*make_sched_fn)(lit_optimizer *opt);

static lit_optimizer *mk_sgd_plain(problem *pr) {
    lit_sgd_params p = lit_sgd_default_params();
    p.lr = 0.1;
    return lit_sgd_new(&p, pr->p, NP);
}
static lit_optimizer *mk_sgd_momentum(problem *pr) {
    lit_sgd_params p = lit_sgd_default_params();
    p.lr = 0.05; p.momentum = 0.9; p.dampening = 0.1;
    return lit_sgd_new(&p, pr->p, NP);
}
static lit_optimizer *mk_sgd_nesterov_wd(problem *pr) {
    lit_sgd_params p = lit_sgd_default_params();
    p.lr = 0.05; p.momentum = 0.9; p.nesterov = 1; p.weight_decay = 0.01;
    return lit_sgd_new(&p, pr->p, NP);
}
static lit_optimizer *mk_sgd_maximize(problem *pr) {
    lit_sgd_params p = lit_sgd_default_params();
    p.lr = 0.01; p.momentum = 0.5; p.maximize = 1;
    return lit_sgd_new(&p, pr->p, NP);
}
static lit_optimizer *mk_adam(problem *pr) {
    lit_adam_params p = lit_adam_default_params();
    p.lr = 0.01;
    return lit_adam_new(&p, pr->p, NP);
}
static lit_optimizer *mk_adam_amsgrad_wd(problem *pr) {
    lit_adam_params p = lit_adam_default_params();
    p.lr = 0.01; p.betas[0] = 0.8; p.betas[1] = 0.99; p.eps = 1e-6; p.weight_decay = 0.05; p.amsgrad = 1;
    return lit_adam_new(&p, pr->p, NP);
}
static lit_optimizer *mk_adamw(problem *pr) {
    lit_adam_params p = lit_adamw_default_params();
    p.lr = 0.01;
    return lit_adamw_new(&p, pr->p, NP);
}
static lit_optimizer *mk_adamw_amsgrad(problem *pr) {
    lit_adam_params p = lit_adamw_default_params();
    p.lr = 0.02; p.weight_decay = 0.1; p.amsgrad = 1;
    return lit_adamw_new(&p, pr->p, NP);
}
static lit_optimizer *mk_adamw_maximize(problem *pr) {
    lit_adam_params p = lit_adamw_default_params();
    p.lr = 0.001; p.maximize = 1;
    return lit_adamw_new(&p, pr->p, NP);
}
static lit_optimizer *mk_groups_sgd(problem *pr) {
    lit_sgd_params p = lit_sgd_default_params();
    p.lr = 0.05; p.momentum = 0.9;
    lit_optimizer *opt = lit_sgd_new(&p, pr->p, 1);
    lit_param_group g = lit_optimizer_default_group(opt);
    g.params = &pr->p[1]; g.n_params = 1; g.lr = 0.01; g.weight_decay = 0.1; g.momentum = 0.5;
    CHECK_EQ_INT(lit_optimizer_add_param_group(opt, &g), LIT_OK);
    return opt;
}
static lit_optimizer *mk_groups_adamw(problem *pr) {
    lit_adam_params p = lit_adamw_default_params();
    p.lr = 0.01;
    lit_optimizer *opt = lit_adamw_new(&p, NULL, 0); /* groups added one by one */
    lit_param_group g = lit_optimizer_default_group(opt);
    g.params = &pr->p[0]; g.n_params = 1; g.weight_decay = 0.0;
    CHECK_EQ_INT(lit_optimizer_add_param_group(opt, &g), LIT_OK);
    g = lit_optimizer_default_group(opt);
    g.params = &pr->p[1]; g.n_params = 1; g.lr = 0.003; g.weight_decay = 0.1;
    CHECK_EQ_INT(lit_optimizer_add_param_group(opt, &g), LIT_OK);
    return opt;
}
static lit_optimizer *mk_sgd_onecycle(problem *pr) {
    lit_sgd_params p = lit_sgd_default_params();
    p.lr = 0.1; p.momentum = 0.9;
    return lit_sgd_new(&p, pr->p, NP);
}
static lit_scheduler *sched_sgd_onecycle(lit_optimizer *opt) {
    lit_one_cycle_lr_params p = lit_one_cycle_lr_default_params();
    p.max_lr = 0.1; p.total_steps = 100;
    return lit_one_cycle_lr_new(opt, &p);
}
static lit_scheduler *sched_adam_onecycle(lit_optimizer *opt) {
    lit_one_cycle_lr_params p = lit_one_cycle_lr_default_params();
    p.max_lr = 0.02; p.total_steps = 100; p.anneal_strategy = LIT_ANNEAL_LINEAR;
    return lit_one_cycle_lr_new(opt, &p);
}

typedef struct {
    const char *name;
    make_opt_fn make;
    make_sched_fn sched;
} config;

static const config CONFIGS[] = {
    {"sgd_plain", mk_sgd_plain, NULL},
    {"sgd_momentum", mk_sgd_momentum, NULL},
    {"sgd_nesterov_wd", mk_sgd_nesterov_wd, NULL},
    {"sgd_maximize", mk_sgd_maximize, NULL},
    {"adam", mk_adam, NULL},
    {"adam_amsgrad_wd", mk_adam_amsgrad_wd, NULL},
    {"adamw", mk_adamw, NULL},
    {"adamw_amsgrad", mk_adamw_amsgrad, NULL},
    {"adamw_maximize", mk_adamw_maximize, NULL},
    {"groups_sgd", mk_groups_sgd, NULL},
    {"groups_adamw", mk_groups_adamw, NULL},
    {"sgd_onecycle", mk_sgd_onecycle, sched_sgd_onecycle},
    {"adam_onecycle", mk_adam, sched_adam_onecycle},
};
#define N_CONFIGS ((int)(sizeof CONFIGS / sizeof CONFIGS[0]))

static const double RTOL = 1e-5, ATOL = 1e-6;

static void run_config(const config *c) {
    problem pr;
    problem_init(&pr);
    lit_optimizer *opt = c->make(&pr);
    CHECK_MSG(opt != NULL, "%s: optimizer creation failed: %s", c->name, lit_last_error());
    if (!opt) return;
    lit_scheduler *s = c->sched ? c->sched(opt) : NULL;
    CHECK(!c->sched || s != NULL);
    for (int t = 1; t <= 100; t++) {
        problem_grads(&pr, t);
        CHECK_EQ_INT(lit_optimizer_step(opt), LIT_OK);
        if (s) CHECK_EQ_INT(lit_scheduler_step(s), LIT_OK);
        if (t == 1 || t == 10 || t == 50 || t == 100)
            check_params(&pr, c->name, t, RTOL, ATOL);
    }
    /* state after the last step: same slots as PyTorch's state_dict, same values */
    int expected = 0;
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s.state.", c->name);
    for (int k = 0; k < FX->count; k++) {
        const fixture_array *a = &FX->arrays[k];
        if (strncmp(a->name, prefix, strlen(prefix)) != 0) continue;
        expected++;
        int param = atoi(a->name + strlen(prefix));
        const char *slot = strchr(a->name + strlen(prefix), '.') + 1;
        lit_tensor *st = lit_optimizer_state_tensor(opt, param, slot, 0);
        CHECK_MSG(st != NULL, "%s: no state %d.%s", c->name, param, slot);
        if (!st) continue;
        CHECK_EQ_INT(st->numel, a->numel);
        float *want = fixture_floats(a);
        CHECK_ALLCLOSE(lit_f32(st), want, a->numel, RTOL, ATOL);
        free(want);
    }
    CHECK_EQ_INT(lit_optimizer_state_count(opt), expected);
    if (s) {
        char key[128];
        snprintf(key, sizeof key, "%s.lr", c->name);
        const fixture_array *lr = need(key);
        CHECK(lr != NULL);
        if (lr) CHECK_NEAR(lit_optimizer_get_lr(opt, 0), lr->data[0], 1e-12 * fabs(lr->data[0]) + 1e-18);
    }
    lit_scheduler_free(s);
    lit_optimizer_free(opt);
    problem_free(&pr);
}

TEST(matches_pytorch) {
    for (int i = 0; i < N_CONFIGS; i++) run_config(&CONFIGS[i]);
}

/* ---------------------------------------------------------------- state save / load */

/* Run `steps` steps from `from` (1-based next step). */
static void run_steps(problem *pr, lit_optimizer *opt, int from, int to) {
    for (int t = from; t <= to; t++) {
        problem_grads(pr, t);
        CHECK_EQ_INT(lit_optimizer_step(opt), LIT_OK);
    }
}

static void check_resume(make_opt_fn make, const char *name) {
    problem a, b;
    problem_init(&a);
    problem_init(&b);
    lit_optimizer *oa = make(&a);
    run_steps(&a, oa, 1, 50);
    /* save: the parameters and every state entry */
    lit_optimizer *ob = make(&b);
    for (int j = 0; j < NP; j++) lit_tensor_copy_(b.p[j], a.p[j]);
    int n = lit_optimizer_state_count(oa);
    CHECK(n > 0);
    for (int k = 0; k < n; k++) {
        lit_optimizer_state_entry e = lit_optimizer_state_at(oa, k);
        CHECK(e.tensor != NULL && e.slot != NULL);
        CHECK_EQ_INT(lit_optimizer_load_state(ob, e.param, e.slot, e.tensor), LIT_OK);
    }
    CHECK_EQ_INT(lit_optimizer_state_count(ob), n);
    run_steps(&a, oa, 51, 100);
    run_steps(&b, ob, 51, 100);
    for (int j = 0; j < NP; j++)
        CHECK_MSG(memcmp(lit_f32(a.p[j]), lit_f32(b.p[j]), (size_t)a.p[j]->numel * 4) == 0,
                  "%s: resumed run differs from the straight run (param %d)", name, j);
    check_params(&b, name, 100, RTOL, ATOL);
    lit_optimizer_free(oa);
    lit_optimizer_free(ob);
    problem_free(&a);
    problem_free(&b);
}

TEST(state_save_load_resumes_exactly) {
    check_resume(mk_sgd_momentum, "sgd_momentum");
    check_resume(mk_adam_amsgrad_wd, "adam_amsgrad_wd");
    check_resume(mk_groups_adamw, "groups_adamw");
}

TEST(state_enumeration_names_and_order) {
    problem pr;
    problem_init(&pr);
    lit_optimizer *opt = mk_adam_amsgrad_wd(&pr);
    CHECK_EQ_INT(lit_optimizer_state_count(opt), 0); /* lazily made, as PyTorch */
    run_steps(&pr, opt, 1, 1);
    CHECK_EQ_INT(lit_optimizer_state_count(opt), 8);
    static const char *slots[] = {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
    for (int k = 0; k < 8; k++) {
        lit_optimizer_state_entry e = lit_optimizer_state_at(opt, k);
        CHECK_EQ_INT(e.param, k / 4);
        CHECK_EQ_INT(e.group, 0);
        CHECK_EQ_INT(e.index, k / 4);
        CHECK_STR_EQ(e.slot, slots[k % 4]);
    }
    lit_optimizer_state_entry st = lit_optimizer_state_at(opt, 0);
    CHECK_EQ_INT(st.tensor->ndim, 0);
    CHECK_NEAR(lit_item(st.tensor), 1.0, 0);
    /* load errors */
    lit_tensor *bad = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){5});
    CHECK_EQ_INT(lit_optimizer_load_state(opt, 0, "exp_avg", bad), LIT_ERR_SHAPE);
    CHECK_STR_CONTAINS(lit_last_error(), "exp_avg");
    CHECK_EQ_INT(lit_optimizer_load_state(opt, 0, "momentum_buffer", bad), LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "momentum_buffer");
    CHECK_EQ_INT(lit_optimizer_load_state(opt, 7, "exp_avg", bad), LIT_ERR_NOT_FOUND);
    lit_tensor_free(bad);
    lit_optimizer_clear_state(opt);
    CHECK_EQ_INT(lit_optimizer_state_count(opt), 0);
    lit_optimizer_free(opt);
    problem_free(&pr);
}

/* ---------------------------------------------------------------- groups, hparams, grads */

TEST(params_without_grad_are_skipped) {
    problem pr;
    problem_init(&pr);
    lit_tensor *frozen = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){3});
    lit_tensor_fill_(frozen, 2.0);
    lit_tensor *all[3] = {pr.p[0], pr.p[1], frozen};
    lit_adam_params ap = lit_adam_default_params();
    ap.lr = 0.01;
    lit_optimizer *opt = lit_adam_new(&ap, all, 3);
    CHECK_EQ_INT(lit_optimizer_num_params(opt), 3);
    run_steps(&pr, opt, 1, 10);
    CHECK(lit_optimizer_state_tensor(opt, 2, "exp_avg", 0) == NULL);
    for (int i = 0; i < 3; i++) CHECK_NEAR(lit_f32(frozen)[i], 2.0, 0);
    check_params(&pr, "adam", 10, RTOL, ATOL);
    lit_optimizer_free(opt);
    lit_tensor_free(frozen);
    problem_free(&pr);
}

TEST(zero_grad) {
    problem pr;
    problem_init(&pr);
    lit_optimizer *opt = mk_sgd_plain(&pr);
    problem_grads(&pr, 1);
    lit_optimizer_zero_grad(opt, 0);
    for (int j = 0; j < NP; j++) {
        CHECK(pr.p[j]->grad != NULL);
        for (int64_t i = 0; i < pr.p[j]->numel; i++) CHECK_NEAR(lit_f32(pr.p[j]->grad)[i], 0.0, 0);
    }
    lit_optimizer_zero_grad(opt, 1);
    for (int j = 0; j < NP; j++) CHECK(pr.p[j]->grad == NULL);
    float before = lit_f32(pr.p[0])[0];
    CHECK_EQ_INT(lit_optimizer_step(opt), LIT_OK); /* no grads: nothing moves */
    CHECK_NEAR(lit_f32(pr.p[0])[0], before, 0);
    lit_optimizer_free(opt);
    problem_free(&pr);
}

TEST(hparams_by_name) {
    problem pr;
    problem_init(&pr);
    lit_optimizer *opt = mk_groups_sgd(&pr);
    CHECK_STR_EQ(lit_optimizer_name(opt), "SGD");
    CHECK_EQ_INT(lit_optimizer_num_groups(opt), 2);
    double v = 0;
    CHECK_EQ_INT(lit_optimizer_get_hparam(opt, 1, "lr", &v), LIT_OK);
    CHECK_NEAR(v, 0.01, 0);
    CHECK_EQ_INT(lit_optimizer_get_hparam(opt, 1, "momentum", &v), LIT_OK);
    CHECK_NEAR(v, 0.5, 0);
    CHECK_EQ_INT(lit_optimizer_get_hparam(opt, 0, "initial_lr", &v), LIT_OK);
    CHECK(isnan(v));
    CHECK_EQ_INT(lit_optimizer_set_hparam(opt, 0, "lr", 0.2), LIT_OK);
    CHECK_NEAR(lit_optimizer_get_lr(opt, 0), 0.2, 0);
    CHECK_EQ_INT(lit_optimizer_set_hparam(opt, 0, "nesterov", 1), LIT_OK);
    CHECK_EQ_INT(lit_optimizer_group(opt, 0)->nesterov, 1);
    CHECK_EQ_INT(lit_optimizer_set_hparam(opt, 0, "nesterov", 0.5), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_optimizer_get_hparam(opt, 0, "betas.0", &v), LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "betas.0");
    CHECK_EQ_INT(lit_optimizer_get_hparam(opt, 5, "lr", &v), LIT_ERR_INVALID_ARG);
    int n = 0;
    while (lit_optimizer_hparam_name(opt, n)) n++;
    CHECK_EQ_INT(n, 6);
    int g = -1, i = -1;
    CHECK(lit_optimizer_param(opt, 1, &g, &i) == pr.p[1]);
    CHECK_EQ_INT(g, 1);
    CHECK_EQ_INT(i, 0);
    lit_optimizer_set_lr(opt, 1, 0.125);
    CHECK_NEAR(lit_optimizer_group(opt, 1)->lr, 0.125, 0);
    lit_optimizer_free(opt);
    problem_free(&pr);
}

/* ---------------------------------------------------------------- custom optimizer through the vtable */

static const char *const PLAIN_SLOTS[] = {"count", NULL};
static const char *const PLAIN_HPARAMS[] = {"lr", NULL};

static lit_status plain_step(lit_optimizer *opt) {
    int *calls = lit_optimizer_user(opt);
    (*calls)++;
    for (int g = 0; g < lit_optimizer_num_groups(opt); g++) {
        lit_param_group *pg = lit_optimizer_group(opt, g);
        for (int i = 0; i < pg->n_params; i++) {
            lit_tensor *p = pg->params[i];
            if (!p->grad) continue;
            float *d = lit_f32(p);
            const float *gr = lit_f32(p->grad);
            for (int64_t k = 0; k < p->numel; k++) d[k] -= (float)pg->lr * gr[k];
        }
    }
    lit_tensor *c = lit_optimizer_state_tensor(opt, 0, "count", 1);
    lit_f32(c)[0] += 1;
    return LIT_OK;
}

TEST(custom_optimizer_vtable) {
    problem pr;
    problem_init(&pr);
    int calls = 0;
    lit_optimizer_vtable vt = {.version = LIT_OPTIMIZER_VTABLE_VERSION, .name = "Plain", .state_slots = PLAIN_SLOTS,
                               .hparams = PLAIN_HPARAMS, .step = plain_step};
    lit_param_group def = {0};
    def.lr = 0.1;
    lit_optimizer *opt = lit_optimizer_new(&vt, &def, &calls);
    lit_param_group g = lit_optimizer_default_group(opt);
    g.params = pr.p; g.n_params = NP;
    CHECK_EQ_INT(lit_optimizer_add_param_group(opt, &g), LIT_OK);
    run_steps(&pr, opt, 1, 100);
    CHECK_EQ_INT(calls, 100);
    check_params(&pr, "sgd_plain", 100, RTOL, ATOL); /* same update as SGD(lr=0.1) */
    CHECK_EQ_INT(lit_optimizer_state_count(opt), 1);
    CHECK_STR_EQ(lit_optimizer_state_at(opt, 0).slot, "count");
    lit_optimizer_free(opt);
    vt.version = 99;
    CHECK(lit_optimizer_new(&vt, &def, NULL) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "version");
    lit_optimizer_free(NULL);
    problem_free(&pr);
}

/* ---------------------------------------------------------------- bad input */

TEST(bad_hyperparameters_are_reported) {
    problem pr;
    problem_init(&pr);
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = -0.1;
    CHECK(lit_sgd_new(&sp, pr.p, NP) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "lr is -0.1");
    sp = lit_sgd_default_params();
    sp.momentum = -1;
    CHECK(lit_sgd_new(&sp, pr.p, NP) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "momentum");
    sp = lit_sgd_default_params();
    sp.nesterov = 1;
    CHECK(lit_sgd_new(&sp, pr.p, NP) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "nesterov");
    sp = lit_sgd_default_params();
    sp.weight_decay = -0.5;
    CHECK(lit_sgd_new(&sp, NULL, 0) == NULL); /* checked even with no group */
    CHECK_STR_CONTAINS(lit_last_error(), "weight_decay");
    lit_adam_params ap = lit_adam_default_params();
    ap.betas[1] = 1.0;
    CHECK(lit_adam_new(&ap, pr.p, NP) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "betas[1]");
    ap = lit_adamw_default_params();
    ap.eps = -1e-8;
    CHECK(lit_adamw_new(&ap, pr.p, NP) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "eps");

    /* a parameter in two groups */
    lit_optimizer *opt = mk_sgd_plain(&pr);
    lit_param_group g = lit_optimizer_default_group(opt);
    g.params = &pr.p[1]; g.n_params = 1;
    CHECK_EQ_INT(lit_optimizer_add_param_group(opt, &g), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "already in group 0");
    g.params = NULL; g.n_params = 0; g.lr = -1;
    CHECK_EQ_INT(lit_optimizer_add_param_group(opt, &g), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_optimizer_num_groups(opt), 1);
    EXPECT_ASSERT(lit_optimizer_group(opt, 3), "group 3");

    /* programmer errors */
    lit_tensor *ip = lit_tensor_new(NULL, LIT_I32, 1, (int64_t[]){2});
    EXPECT_ASSERT(lit_sgd_new(NULL, &ip, 1), "f32");
    lit_tensor_free(ip);
    lit_tensor *wrong = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){5});
    lit_tensor *keep = pr.p[1]->grad;
    pr.p[1]->grad = wrong;
    EXPECT_ASSERT(lit_optimizer_step(opt), "gradient");
    pr.p[1]->grad = keep;
    lit_tensor_free(wrong);
    EXPECT_ASSERT(lit_clip_grad_norm(pr.p, NP, -1.0, 2.0), "max_norm");
    EXPECT_ASSERT(lit_clip_grad_norm(pr.p, NP, 1.0, 0.0), "norm_type");
    EXPECT_ASSERT(lit_clip_grad_value(pr.p, NP, -1.0), "clip_value");
    lit_optimizer_free(opt);
    problem_free(&pr);
}

/* ---------------------------------------------------------------- clipping */

static void clip_inputs(lit_tensor *t[3]) {
    for (int j = 0; j < 3; j++) {
        char key[64];
        snprintf(key, sizeof key, "clip.in.%d", j);
        const fixture_array *a = need(key);
        t[j] = lit_tensor_new(NULL, LIT_F32, a->ndim, a->shape);
        t[j]->grad = lit_tensor_new(NULL, LIT_F32, a->ndim, a->shape);
        for (int64_t i = 0; i < a->numel; i++) lit_f32(t[j]->grad)[i] = (float)a->data[i];
    }
}

static void check_clipped(lit_tensor *t[3], const char *name) {
    for (int j = 0; j < 3; j++) {
        char key[64];
        snprintf(key, sizeof key, "clip.%s.%d", name, j);
        const fixture_array *a = need(key);
        float *want = fixture_floats(a);
        CHECK_ALLCLOSE(lit_f32(t[j]->grad), want, a->numel, 1e-6, 1e-7);
        free(want);
    }
}

TEST(clip_grad_norm_matches_pytorch) {
    static const struct { const char *name; double max_norm, norm_type; } cases[] = {
        {"norm2", 1.0, 2.0}, {"norm2_big", 100.0, 2.0}, {"norminf", 0.5, INFINITY}, {"norm1", 3.0, 1.0},
        {"norm3", 2.0, 3.0}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        lit_tensor *t[3];
        clip_inputs(t);
        double total = lit_clip_grad_norm(t, 3, cases[c].max_norm, cases[c].norm_type);
        char key[64];
        snprintf(key, sizeof key, "clip.%s.total", cases[c].name);
        const fixture_array *want = need(key);
        CHECK_NEAR(total, want->data[0], 1e-6 * fabs(want->data[0]));
        check_clipped(t, cases[c].name);
        for (int j = 0; j < 3; j++) lit_tensor_free(t[j]);
    }
    lit_tensor *t[3];
    clip_inputs(t);
    lit_clip_grad_value(t, 3, 0.3);
    check_clipped(t, "value");
    /* a parameter without grad is skipped; none at all gives 0 */
    lit_tensor_free(t[1]->grad);
    t[1]->grad = NULL;
    CHECK(lit_clip_grad_norm(t, 3, 1.0, 2.0) > 0);
    for (int j = 0; j < 3; j++) {
        lit_tensor_free(t[j]->grad);
        t[j]->grad = NULL;
    }
    CHECK_NEAR(lit_clip_grad_norm(t, 3, 1.0, 2.0), 0.0, 0);
    for (int j = 0; j < 3; j++) lit_tensor_free(t[j]);
}

/* ---------------------------------------------------------------- determinism across thread counts */

static void big_run(int threads, float *out_p, double *out_norm, int n) {
    lit_set_num_threads(threads);
    lit_tensor *p = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){n});
    p->grad = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){n});
    lit_rng rng = lit_rng_new(7);
    lit_rng_fill_normal(&rng, lit_f32(p), (size_t)n, 0.0f, 1.0f);
    lit_adam_params ap = lit_adamw_default_params();
    ap.amsgrad = 1;
    lit_optimizer *opt = lit_adamw_new(&ap, &p, 1);
    *out_norm = 0;
    for (int t = 0; t < 3; t++) {
        lit_rng_fill_normal(&rng, lit_f32(p->grad), (size_t)n, 0.0f, 2.0f);
        *out_norm += lit_clip_grad_norm(&p, 1, 1.0, 2.0);
        lit_optimizer_step(opt);
    }
    memcpy(out_p, lit_f32(p), (size_t)n * sizeof(float));
    lit_optimizer_free(opt);
    lit_tensor_free(p);
}

TEST(same_bits_for_any_thread_count) {
    const int n = 1 << 20;
    float *a = malloc((size_t)n * sizeof(float)), *b = malloc((size_t)n * sizeof(float));
    double na, nb;
    int prev = lit_get_num_threads();
    big_run(1, a, &na, n);
    big_run(4, b, &nb, n);
    lit_set_num_threads(prev);
    CHECK(na == nb);
    CHECK(memcmp(a, b, (size_t)n * sizeof(float)) == 0);
    free(a);
    free(b);
}

/* ---------------------------------------------------------------- weight-decay groups */

static const char *const *names_of(lit_param_store *ps, const lit_param_group *g, const char **buf) {
    for (int i = 0; i < g->n_params; i++) {
        buf[i] = "?";
        for (int j = 0; j < lit_param_store_len(ps); j++)
            if (lit_param_store_tensor(ps, j) == g->params[i]) { buf[i] = lit_param_store_name(ps, j); break; }
    }
    return buf;
}

/* A GPT-like store: embeddings, norms, linears with and without bias, a
 * hand-made 2-d and 1-d parameter, a buffer, a frozen layer and a tied
 * output projection. */
static lit_param_store *gpt_like_store(void) {
    lit_param_store *ps = lit_param_store_new("wd");
    lit_nn_embedding wte;
    lit_nn_layer_norm ln;
    lit_nn_linear fc, head, frozen;
    CHECK_EQ_INT(lit_nn_embedding_init(&wte, ps, "wte", 10, 4, -1, NULL), LIT_OK);
    CHECK_EQ_INT(lit_nn_layer_norm_init(&ln, ps, "blocks.0.ln_1", 4, 1e-5, 1, 1), LIT_OK);
    CHECK_EQ_INT(lit_nn_linear_init(&fc, ps, "blocks.0.mlp.c_fc", 4, 8, 1, NULL), LIT_OK);
    CHECK_EQ_INT(lit_nn_linear_init(&head, ps, "head", 4, 10, 0, NULL), LIT_OK);
    lit_param_store_new_param(ps, NULL, "proj_w", 2, (int64_t[]){4, 4}); /* untyped 2-d: decays */
    lit_param_store_new_param(ps, NULL, "scale", 1, (int64_t[]){4});     /* 1-d: no decay */
    lit_param_store_new_param(ps, "rms", "weight", 2, (int64_t[]){1, 4}); /* a norm by its type */
    CHECK_EQ_INT(lit_param_store_set_module_type(ps, "rms", "RMSNorm"), LIT_OK);
    lit_param_store_register(ps, "mask", lit_zeros(LIT_F32, 2, (int64_t[]){4, 4}), 1); /* buffer: not listed */
    CHECK_EQ_INT(lit_nn_linear_init(&frozen, ps, "frozen", 4, 4, 1, NULL), LIT_OK);
    CHECK_EQ_INT(lit_param_store_freeze(ps, "frozen"), 2);
    lit_param_store_register(ps, "lm_head.weight", wte.weight, 0); /* tied to the embedding */
    CHECK_EQ_INT(lit_param_store_set_module_type(ps, "lm_head", "Linear"), LIT_OK);
    return ps;
}

TEST(weight_decay_groups_follow_the_gpt_rule) {
    lit_param_store *ps = gpt_like_store();
    lit_param_group base = {.lr = 0.5, .initial_lr = NAN, .betas = {0.9, 0.95}, .eps = 1e-8, .weight_decay = 7};
    lit_param_group g[2];
    CHECK_EQ_INT(lit_param_groups_weight_decay(ps, 0.1, &base, g), LIT_OK);
    const char *names[16];
    const char *want_decay[] = {"blocks.0.mlp.c_fc.weight", "head.weight", "proj_w"};
    const char *want_plain[] = {"wte.weight", "blocks.0.ln_1.weight", "blocks.0.ln_1.bias", "blocks.0.mlp.c_fc.bias",
                                "scale", "rms.weight"};
    CHECK_EQ_INT(g[0].n_params, 3);
    CHECK_EQ_INT(g[1].n_params, 6);
    names_of(ps, &g[0], names);
    for (int i = 0; i < 3 && i < g[0].n_params; i++) CHECK_STR_EQ(names[i], want_decay[i]);
    names_of(ps, &g[1], names);
    for (int i = 0; i < 6 && i < g[1].n_params; i++) CHECK_STR_EQ(names[i], want_plain[i]);
    CHECK(g[0].weight_decay == 0.1 && g[1].weight_decay == 0.0);
    CHECK(g[0].lr == 0.5 && g[1].lr == 0.5 && g[1].betas[1] == 0.95 && isnan(g[1].initial_lr));
    /* without module types the rule is nanoGPT's: dim >= 2 decays */
    lit_param_store *plain = lit_param_store_new("plain");
    lit_param_store_new_param(plain, "emb", "weight", 2, (int64_t[]){5, 3});
    lit_param_store_new_param(plain, "lin", "weight", 2, (int64_t[]){3, 3});
    lit_param_store_new_param(plain, "lin", "bias", 1, (int64_t[]){3});
    CHECK_EQ_INT(lit_param_groups_weight_decay(plain, 0.01, NULL, g), LIT_OK);
    CHECK(g[0].n_params == 2 && g[1].n_params == 1 && g[0].lr == 0 && isnan(g[0].initial_lr));
    /* bad weight decay values are statuses */
    CHECK_EQ_INT(lit_param_groups_weight_decay(plain, -0.1, NULL, g), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "weight_decay is -0.1");
    CHECK_EQ_INT(lit_param_groups_weight_decay(plain, NAN, NULL, g), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_param_groups_weight_decay(plain, INFINITY, NULL, g), LIT_ERR_INVALID_ARG);
    lit_param_store_free(plain);
    lit_param_store_free(ps);
}

TEST(adamw_decays_only_the_decay_group) {
    lit_param_store *ps = gpt_like_store();
    int n = lit_param_store_len(ps);
    for (int i = 0; i < n; i++) { /* every value 1, every gradient 0: one AdamW step is p *= 1 - lr * wd */
        lit_tensor *t = lit_param_store_tensor(ps, i);
        lit_tensor_fill_(t, 1.0);
        if (!lit_param_store_is_buffer(ps, i)) t->grad = lit_zeros_like(t);
    }
    lit_adam_params ap = lit_adamw_default_params();
    ap.lr = 0.5;
    lit_optimizer *opt = lit_adamw_new(&ap, NULL, 0);
    CHECK_EQ_INT(lit_optimizer_add_weight_decay_groups(opt, ps, 0.2), LIT_OK);
    CHECK_EQ_INT(lit_optimizer_num_groups(opt), 2);
    CHECK_EQ_INT(lit_optimizer_num_params(opt), 9);
    CHECK_EQ_INT(lit_optimizer_step(opt), LIT_OK);
    CHECK_NEAR(lit_f32(lit_param_store_get(ps, "head.weight"))[0], 1 - 0.5f * 0.2f, 1e-7);
    CHECK_NEAR(lit_f32(lit_param_store_get(ps, "proj_w"))[15], 1 - 0.5f * 0.2f, 1e-7);
    CHECK(lit_f32(lit_param_store_get(ps, "wte.weight"))[0] == 1.0f);
    CHECK(lit_f32(lit_param_store_get(ps, "blocks.0.ln_1.weight"))[0] == 1.0f);
    CHECK(lit_f32(lit_param_store_get(ps, "blocks.0.mlp.c_fc.bias"))[7] == 1.0f);
    CHECK(lit_f32(lit_param_store_get(ps, "frozen.weight"))[0] == 1.0f);
    /* a second call finds the parameters already in groups */
    CHECK_EQ_INT(lit_optimizer_add_weight_decay_groups(opt, ps, 0.2), LIT_ERR_INVALID_ARG);
    lit_optimizer_free(opt);
    lit_param_store_free(ps);
}

int main(void) {
    FX = fixture_load("tests/fixtures/optim.txt");
    if (!FX) {
        printf("cannot load tests/fixtures/optim.txt\n");
        return 1;
    }
    RUN(matches_pytorch);
    RUN(state_save_load_resumes_exactly);
    RUN(state_enumeration_names_and_order);
    RUN(params_without_grad_are_skipped);
    RUN(zero_grad);
    RUN(hparams_by_name);
    RUN(custom_optimizer_vtable);
    RUN(bad_hyperparameters_are_reported);
    RUN(clip_grad_norm_matches_pytorch);
    RUN(same_bits_for_any_thread_count);
    RUN(weight_decay_groups_follow_the_gpt_rule);
    RUN(adamw_decays_only_the_decay_group);
    fixture_free(FX);
    return harness_summary();
}
