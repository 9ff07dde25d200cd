/*
 * tests/test-sched.c — learning-rate schedulers against PyTorch's sequences
 * (tests/fixtures/sched.txt, written by gen_sched.py), state save/restore
 * mid-run, and bad input.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"

static fixture *FX;

/* Values agree with PyTorch to a few ulps (same formulas, same order). */
static const double REL = 1e-12;

/* ---------------------------------------------------------------- the optimizer of gen_sched.py */

typedef struct {
    lit_tensor *p[2];
    lit_optimizer *opt;
} rig;

static void rig_init(rig *r, int adam, double lr0, double lr1) {
    for (int g = 0; g < 2; g++) r->p[g] = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){2});
    if (adam) {
        lit_adam_params ap = lit_adam_default_params();
        ap.lr = lr0;
        r->opt = lit_adam_new(&ap, &r->p[0], 1);
    } else {
        lit_sgd_params sp = lit_sgd_default_params();
        sp.lr = lr0;
        sp.momentum = 0.9;
        r->opt = lit_sgd_new(&sp, &r->p[0], 1);
    }
    lit_param_group g = lit_optimizer_default_group(r->opt);
    g.params = &r->p[1];
    g.n_params = 1;
    g.lr = lr1;
    CHECK_EQ_INT(lit_optimizer_add_param_group(r->opt, &g), LIT_OK);
}

static void rig_free(rig *r) {
    lit_optimizer_free(r->opt);
    for (int g = 0; g < 2; g++) lit_tensor_free(r->p[g]);
}

/* ---------------------------------------------------------------- configs */

typedef lit_scheduler *(*make_fn)(lit_optimizer *opt);

static lit_scheduler *mk_step(lit_optimizer *o) {
    lit_step_lr_params p = lit_step_lr_default_params();
    p.step_size = 7; p.gamma = 0.5;
    return lit_step_lr_new(o, &p);
}
static lit_scheduler *mk_multistep(lit_optimizer *o) {
    static const int64_t ms[] = {25, 10, 40, 25}; /* any order; 25 twice */
    lit_multistep_lr_params p = lit_multistep_lr_default_params();
    p.milestones = ms; p.n_milestones = 4; p.gamma = 0.3;
    return lit_multistep_lr_new(o, &p);
}
static lit_scheduler *mk_exponential(lit_optimizer *o) {
    lit_exponential_lr_params p = {.gamma = 0.95};
    return lit_exponential_lr_new(o, &p);
}
static lit_scheduler *mk_cosine(lit_optimizer *o) {
    lit_cosine_lr_params p = {.T_max = 20, .eta_min = 0.001};
    return lit_cosine_lr_new(o, &p);
}
static lit_scheduler *mk_cosine_zero(lit_optimizer *o) {
    lit_cosine_lr_params p = lit_cosine_lr_default_params();
    p.T_max = 50;
    return lit_cosine_lr_new(o, &p);
}
static lit_scheduler *mk_cawr1(lit_optimizer *o) {
    lit_cosine_warm_restarts_params p = lit_cosine_warm_restarts_default_params();
    p.T_0 = 10;
    return lit_cosine_warm_restarts_new(o, &p);
}
static lit_scheduler *mk_cawr2(lit_optimizer *o) {
    lit_cosine_warm_restarts_params p = {.T_0 = 5, .T_mult = 2, .eta_min = 0.001};
    return lit_cosine_warm_restarts_new(o, &p);
}
static lit_scheduler *mk_linear(lit_optimizer *o) {
    lit_linear_lr_params p = {.start_factor = 0.25, .end_factor = 1.0, .total_iters = 10};
    return lit_linear_lr_new(o, &p);
}
static lit_scheduler *mk_linear_decay(lit_optimizer *o) {
    lit_linear_lr_params p = {.start_factor = 1.0, .end_factor = 0.1, .total_iters = 20};
    return lit_linear_lr_new(o, &p);
}
static lit_scheduler *mk_constant(lit_optimizer *o) {
    lit_constant_lr_params p = {.factor = 0.5, .total_iters = 4};
    return lit_constant_lr_new(o, &p);
}
static double pow095(int64_t e, void *user) {
    (void)user;
    return pow(0.95, (double)e);
}
static double inv1p(int64_t e, void *user) {
    (void)user;
    return 1.0 / (1.0 + (double)e);
}
static double const09(int64_t e, void *user) {
    (void)e;
    return *(const double *)user;
}
static lit_scheduler *mk_lambda(lit_optimizer *o) {
    lit_lambda_lr_params p = lit_lambda_lr_default_params();
    p.fn = pow095;
    return lit_lambda_lr_new(o, &p);
}
static lit_scheduler *mk_lambda_groups(lit_optimizer *o) {
    static const lit_lr_lambda fns[2] = {pow095, inv1p};
    lit_lambda_lr_params p = lit_lambda_lr_default_params();
    p.fns = fns; p.n_fns = 2;
    return lit_lambda_lr_new(o, &p);
}
static lit_scheduler *mk_multiplicative(lit_optimizer *o) {
    static const double factor = 0.9;
    lit_lambda_lr_params p = lit_lambda_lr_default_params();
    p.fn = const09; p.user = (void *)&factor;
    return lit_multiplicative_lr_new(o, &p);
}
static lit_scheduler *mk_polynomial(lit_optimizer *o) {
    lit_polynomial_lr_params p = {.total_iters = 20, .power = 2.0};
    return lit_polynomial_lr_new(o, &p);
}
static lit_scheduler *mk_onecycle_cos(lit_optimizer *o) {
    static const double max_lrs[2] = {0.1, 0.05};
    lit_one_cycle_lr_params p = lit_one_cycle_lr_default_params();
    p.max_lrs = max_lrs; p.total_steps = 100;
    return lit_one_cycle_lr_new(o, &p);
}
static lit_scheduler *mk_onecycle_linear(lit_optimizer *o) {
    lit_one_cycle_lr_params p = lit_one_cycle_lr_default_params();
    p.max_lr = 0.02; p.epochs = 8; p.steps_per_epoch = 10; /* total_steps 80 */
    p.pct_start = 0.25; p.anneal_strategy = LIT_ANNEAL_LINEAR; p.div_factor = 10.0; p.final_div_factor = 100.0;
    p.base_momentum = 0.8; p.max_momentum = 0.9;
    return lit_one_cycle_lr_new(o, &p);
}
static lit_scheduler *mk_onecycle_three(lit_optimizer *o) {
    lit_one_cycle_lr_params p = lit_one_cycle_lr_default_params();
    p.max_lr = 0.1; p.total_steps = 90; p.three_phase = 1;
    return lit_one_cycle_lr_new(o, &p);
}
static lit_scheduler *mk_onecycle_nomom(lit_optimizer *o) {
    lit_one_cycle_lr_params p = lit_one_cycle_lr_default_params();
    p.max_lr = 0.3; p.total_steps = 50; p.pct_start = 0.4; p.cycle_momentum = 0;
    return lit_one_cycle_lr_new(o, &p);
}
static lit_scheduler *mk_sequential(lit_optimizer *o) {
    lit_linear_lr_params lp = {.start_factor = 0.1, .end_factor = 1.0, .total_iters = 5};
    lit_cosine_lr_params cp = {.T_max = 40, .eta_min = 1e-4};
    lit_scheduler *kids[2] = {lit_linear_lr_new(o, &lp), lit_cosine_lr_new(o, &cp)};
    return lit_sequential_lr_new(o, kids, 2, (const int64_t[]){5});
}
static lit_scheduler *mk_sequential3(lit_optimizer *o) {
    lit_constant_lr_params cp = {.factor = 0.5, .total_iters = 3};
    lit_exponential_lr_params ep = {.gamma = 0.9};
    lit_step_lr_params sp = {.step_size = 5, .gamma = 0.5};
    lit_scheduler *kids[3] = {lit_constant_lr_new(o, &cp), lit_exponential_lr_new(o, &ep), lit_step_lr_new(o, &sp)};
    return lit_sequential_lr_new(o, kids, 3, (const int64_t[]){4, 15});
}
static lit_scheduler *mk_plateau_min(lit_optimizer *o) {
    static const double min_lrs[2] = {0.01, 0.02};
    lit_reduce_lr_on_plateau_params p = lit_reduce_lr_on_plateau_default_params();
    p.factor = 0.5; p.patience = 3; p.threshold = 0.01; p.cooldown = 2; p.min_lrs = min_lrs;
    return lit_reduce_lr_on_plateau_new(o, &p);
}
static lit_scheduler *mk_plateau_max_abs(lit_optimizer *o) {
    lit_reduce_lr_on_plateau_params p = lit_reduce_lr_on_plateau_default_params();
    p.mode = LIT_SCHED_MAX; p.factor = 0.3; p.patience = 2; p.threshold = 0.05;
    p.threshold_mode = LIT_THRESHOLD_ABS; p.eps = 1e-3;
    return lit_reduce_lr_on_plateau_new(o, &p);
}

typedef struct {
    const char *name;
    make_fn make;
    int adam;
    double lr0, lr1;
} config;

static const config CONFIGS[] = {
    {"step_lr", mk_step, 0, 0.1, 0.05},
    {"multistep_lr", mk_multistep, 0, 0.1, 0.05},
    {"exponential_lr", mk_exponential, 0, 0.1, 0.05},
    {"cosine_lr", mk_cosine, 0, 0.1, 0.05},
    {"cosine_lr_zero", mk_cosine_zero, 0, 0.1, 0.05},
    {"cawr_mult1", mk_cawr1, 0, 0.1, 0.05},
    {"cawr_mult2", mk_cawr2, 0, 0.1, 0.05},
    {"linear_lr", mk_linear, 0, 0.1, 0.05},
    {"linear_lr_decay", mk_linear_decay, 0, 0.1, 0.05},
    {"constant_lr", mk_constant, 0, 0.1, 0.05},
    {"lambda_lr", mk_lambda, 0, 0.1, 0.05},
    {"lambda_lr_groups", mk_lambda_groups, 0, 0.1, 0.05},
    {"multiplicative_lr", mk_multiplicative, 0, 0.1, 0.05},
    {"polynomial_lr", mk_polynomial, 0, 0.1, 0.05},
    {"onecycle_cos", mk_onecycle_cos, 0, 0.1, 0.05},
    {"onecycle_linear", mk_onecycle_linear, 1, 0.1, 0.05},
    {"onecycle_three", mk_onecycle_three, 0, 0.1, 0.05},
    {"onecycle_nomom", mk_onecycle_nomom, 0, 0.1, 0.05},
    {"sequential", mk_sequential, 0, 0.1, 0.05},
    {"sequential3", mk_sequential3, 0, 0.1, 0.05},
    {"plateau_min", mk_plateau_min, 0, 0.1, 0.05},
    {"plateau_max_abs", mk_plateau_max_abs, 0, 0.1, 0.05},
};
#define N_CONFIGS ((int)(sizeof CONFIGS / sizeof CONFIGS[0]))

static const config *find_config(const char *name) {
    for (int i = 0; i < N_CONFIGS; i++)
        if (strcmp(CONFIGS[i].name, name) == 0) return &CONFIGS[i];
    return NULL;
}

static const fixture_array *arr(const char *name, const char *suffix) {
    char key[128];
    snprintf(key, sizeof key, "%s.%s", name, suffix);
    return fixture_find(FX, key);
}

static double momentum_of(lit_optimizer *o, int g) {
    double v = 0;
    if (lit_optimizer_get_hparam(o, g, "betas.0", &v) < 0) lit_optimizer_get_hparam(o, g, "momentum", &v);
    return v;
}

/* Compare the optimizer's group lrs (and momentum) with row `row`; 1 if equal. */
static int check_row(const config *c, lit_scheduler *s, lit_optimizer *o, int row) {
    const fixture_array *lr = arr(c->name, "lr"), *mom = arr(c->name, "momentum");
    int before = harness_failures_;
    int n_groups = 0;
    const double *last = lit_scheduler_get_last_lr(s, &n_groups);
    CHECK_EQ_INT(n_groups, 2);
    for (int g = 0; g < 2; g++) {
        double want = lr->data[row * 2 + g];
        CHECK_NEAR(lit_optimizer_get_lr(o, g), want, REL * fabs(want));
        CHECK_NEAR(last[g], want, REL * fabs(want));
        if (mom) CHECK_NEAR(momentum_of(o, g), mom->data[row * 2 + g], REL);
    }
    if (harness_failures_ != before) printf("    (%s, row %d)\n", c->name, row);
    return harness_failures_ == before;
}

static lit_status do_step(const config *c, lit_scheduler *s, int t) {
    const fixture_array *metric = arr(c->name, "metric");
    if (metric) return lit_scheduler_step_metric(s, metric->data[t]);
    return lit_scheduler_step(s);
}

static void run_config(const config *c) {
    const fixture_array *lr = arr(c->name, "lr");
    CHECK_MSG(lr != NULL, "fixture %s.lr is missing", c->name);
    if (!lr) return;
    rig r;
    rig_init(&r, c->adam, c->lr0, c->lr1);
    lit_scheduler *s = c->make(r.opt);
    CHECK_MSG(s != NULL, "%s: creation failed: %s", c->name, lit_last_error());
    if (!s) {
        rig_free(&r);
        return;
    }
    int steps = (int)lr->shape[0] - 1;
    check_row(c, s, r.opt, 0);
    for (int t = 0; t < steps; t++) {
        CHECK_EQ_INT(do_step(c, s, t), LIT_OK);
        if (!check_row(c, s, r.opt, t + 1)) break;
    }
    lit_scheduler_free(s);
    rig_free(&r);
}

TEST(sequences_match_pytorch) {
    for (int i = 0; i < N_CONFIGS; i++) run_config(&CONFIGS[i]);
}

/* ---------------------------------------------------------------- save / restore midway */

#define MAX_KEYS 64

typedef struct {
    char key[MAX_KEYS][128];
    double val[MAX_KEYS];
    int n;
    double lr[2], initial_lr[2], mom[2];
} saved;

static void save(lit_scheduler *s, lit_optimizer *o, saved *sv) {
    sv->n = lit_scheduler_state_count(s);
    CHECK(sv->n > 0 && sv->n <= MAX_KEYS);
    for (int k = 0; k < sv->n && k < MAX_KEYS; k++) {
        const char *key;
        lit_scheduler_state_at(s, k, &key, &sv->val[k]);
        snprintf(sv->key[k], sizeof sv->key[k], "%s", key);
    }
    for (int g = 0; g < 2; g++) {
        sv->lr[g] = lit_optimizer_get_lr(o, g);
        CHECK_EQ_INT(lit_optimizer_get_hparam(o, g, "initial_lr", &sv->initial_lr[g]), LIT_OK);
        sv->mom[g] = momentum_of(o, g);
    }
}

/* Lightning's order: build optimizer + scheduler (the scheduler's initial
 * step runs), load the optimizer's param_groups, then the scheduler state. */
static void restore(lit_scheduler *s, lit_optimizer *o, const saved *sv) {
    for (int g = 0; g < 2; g++) {
        CHECK_EQ_INT(lit_optimizer_set_hparam(o, g, "lr", sv->lr[g]), LIT_OK);
        CHECK_EQ_INT(lit_optimizer_set_hparam(o, g, "initial_lr", sv->initial_lr[g]), LIT_OK);
        if (lit_optimizer_set_hparam(o, g, "betas.0", sv->mom[g]) < 0)
            CHECK_EQ_INT(lit_optimizer_set_hparam(o, g, "momentum", sv->mom[g]), LIT_OK);
    }
    CHECK_EQ_INT(lit_scheduler_state_count(s), sv->n);
    for (int k = 0; k < sv->n; k++) CHECK_EQ_INT(lit_scheduler_state_set(s, sv->key[k], sv->val[k]), LIT_OK);
}

static void check_resume(const char *name, int at) {
    const config *c = find_config(name);
    const fixture_array *lr = arr(name, "lr");
    CHECK(c != NULL && lr != NULL);
    if (!c || !lr) return;
    rig a, b;
    rig_init(&a, c->adam, c->lr0, c->lr1);
    lit_scheduler *sa = c->make(a.opt);
    for (int t = 0; t < at; t++) CHECK_EQ_INT(do_step(c, sa, t), LIT_OK);
    saved sv;
    save(sa, a.opt, &sv);
    lit_scheduler_free(sa);
    rig_free(&a);

    rig_init(&b, c->adam, c->lr0, c->lr1);
    lit_scheduler *sb = c->make(b.opt);
    restore(sb, b.opt, &sv);
    double le = 0;
    CHECK_EQ_INT(lit_scheduler_state_get(sb, "last_epoch", &le), LIT_OK);
    CHECK_EQ_INT(lit_scheduler_last_epoch(sb), (int64_t)le);
    check_row(c, sb, b.opt, at);
    int steps = (int)lr->shape[0] - 1;
    for (int t = at; t < steps; t++) {
        CHECK_EQ_INT(do_step(c, sb, t), LIT_OK);
        if (!check_row(c, sb, b.opt, t + 1)) break;
    }
    lit_scheduler_free(sb);
    rig_free(&b);
}

TEST(state_restore_midway_continues_identically) {
    check_resume("step_lr", 20);
    check_resume("multistep_lr", 17);
    check_resume("cosine_lr", 33);
    check_resume("cawr_mult2", 23);
    check_resume("linear_lr", 4);
    check_resume("lambda_lr", 30);
    check_resume("onecycle_cos", 45);
    check_resume("onecycle_linear", 10);
    check_resume("sequential", 3);
    check_resume("sequential", 30);
    check_resume("sequential3", 10);
    check_resume("plateau_min", 25);
    check_resume("plateau_max_abs", 12);
}

TEST(state_keys) {
    rig r;
    rig_init(&r, 0, 0.1, 0.05);
    lit_scheduler *s = mk_sequential(r.opt);
    CHECK_STR_EQ(lit_scheduler_name(s), "SequentialLR");
    CHECK(lit_scheduler_optimizer(s) == r.opt);
    double v = 0;
    CHECK_EQ_INT(lit_scheduler_state_get(s, "last_epoch", &v), LIT_OK);
    CHECK_NEAR(v, 0, 0);
    CHECK_EQ_INT(lit_scheduler_state_get(s, "_schedulers.1.base_lrs.1", &v), LIT_OK);
    CHECK_NEAR(v, 0.05, 0);
    CHECK_EQ_INT(lit_scheduler_state_get(s, "_schedulers.0._step_count", &v), LIT_OK);
    CHECK_NEAR(v, 1, 0);
    CHECK_EQ_INT(lit_scheduler_state_get(s, "T_max", &v), LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "T_max");
    CHECK_EQ_INT(lit_scheduler_state_set(s, "nope", 1), LIT_ERR_NOT_FOUND);
    CHECK_EQ_INT(lit_scheduler_state_set(s, "last_epoch", 2.5), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "last_epoch");
    CHECK_EQ_INT(lit_scheduler_state_set(s, "last_epoch", NAN), LIT_ERR_INVALID_ARG);
    lit_scheduler_free(s);

    lit_scheduler *p = mk_plateau_min(r.opt);
    CHECK(lit_scheduler_needs_metric(p));
    CHECK_EQ_INT(lit_scheduler_state_get(p, "best", &v), LIT_OK);
    CHECK(isinf(v) && v > 0);
    CHECK_EQ_INT(lit_scheduler_state_set(p, "best", -INFINITY), LIT_OK);
    lit_scheduler_free(p);

    lit_scheduler *w = mk_cawr2(r.opt);
    CHECK_EQ_INT(lit_scheduler_state_get(w, "T_i", &v), LIT_OK);
    CHECK_NEAR(v, 5, 0);
    CHECK_EQ_INT(lit_scheduler_state_get(w, "T_cur", &v), LIT_OK);
    CHECK_NEAR(v, 0, 0);
    CHECK(!lit_scheduler_needs_metric(w));
    CHECK_EQ_INT(lit_scheduler_step_metric(w, 1.0), LIT_OK); /* metric ignored */
    CHECK_EQ_INT(lit_scheduler_last_epoch(w), 1);
    lit_scheduler_free(w);
    lit_scheduler_free(NULL);
    rig_free(&r);
}

/* ---------------------------------------------------------------- bad input */

static lit_status plain_step(lit_optimizer *opt) {
    (void)opt;
    return LIT_OK;
}

TEST(bad_configuration_is_reported) {
    rig r;
    rig_init(&r, 0, 0.1, 0.05);
    lit_step_lr_params sp = lit_step_lr_default_params();
    sp.step_size = 0;
    CHECK(lit_step_lr_new(r.opt, &sp) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "step_size is 0");
    lit_cosine_lr_params cp = {.T_max = -3, .eta_min = 0};
    CHECK(lit_cosine_lr_new(r.opt, &cp) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "T_max");
    lit_cosine_warm_restarts_params wp = {.T_0 = 5, .T_mult = 0, .eta_min = 0};
    CHECK(lit_cosine_warm_restarts_new(r.opt, &wp) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "T_mult");
    lit_linear_lr_params lp = {.start_factor = 1.5, .end_factor = 1.0, .total_iters = 5};
    CHECK(lit_linear_lr_new(r.opt, &lp) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "start_factor");
    lit_constant_lr_params kp = {.factor = 2.0, .total_iters = 5};
    CHECK(lit_constant_lr_new(r.opt, &kp) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "factor");
    lit_reduce_lr_on_plateau_params pp = lit_reduce_lr_on_plateau_default_params();
    pp.factor = 1.0;
    CHECK(lit_reduce_lr_on_plateau_new(r.opt, &pp) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "factor is 1");
    lit_one_cycle_lr_params op = lit_one_cycle_lr_default_params();
    CHECK(lit_one_cycle_lr_new(r.opt, &op) == NULL); /* no total_steps */
    CHECK_STR_CONTAINS(lit_last_error(), "total_steps");
    op.total_steps = 10;
    op.pct_start = 1.5;
    CHECK(lit_one_cycle_lr_new(r.opt, &op) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "pct_start");
    lit_lambda_lr_params lam = lit_lambda_lr_default_params();
    static const lit_lr_lambda one[1] = {pow095};
    lam.fns = one;
    lam.n_fns = 1;
    CHECK(lit_lambda_lr_new(r.opt, &lam) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "expected 2 lr lambdas");

    /* SequentialLR: wrong milestones, a plateau child (children are freed) */
    lit_scheduler *kids[2] = {mk_step(r.opt), mk_plateau_min(r.opt)};
    CHECK(lit_sequential_lr_new(r.opt, kids, 2, (const int64_t[]){3}) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "ReduceLROnPlateau");

    /* OneCycleLR past total_steps */
    op = lit_one_cycle_lr_default_params();
    op.total_steps = 5;
    lit_scheduler *s = lit_one_cycle_lr_new(r.opt, &op);
    for (int t = 0; t < 5; t++) CHECK_EQ_INT(lit_scheduler_step(s), LIT_OK);
    double lr_before = lit_optimizer_get_lr(r.opt, 0);
    CHECK_EQ_INT(lit_scheduler_step(s), LIT_ERR_STATE);
    CHECK_STR_CONTAINS(lit_last_error(), "total_steps is 5");
    CHECK_EQ_INT(lit_scheduler_last_epoch(s), 5);
    CHECK_NEAR(lit_optimizer_get_lr(r.opt, 0), lr_before, 0);
    lit_scheduler_free(s);

    /* OneCycle cycle_momentum needs momentum: a custom optimizer without it */
    static const char *const lr_only[] = {"lr", NULL};
    lit_optimizer_vtable vt = {.version = LIT_OPTIMIZER_VTABLE_VERSION, .name = "Plain", .hparams = lr_only,
                               .step = plain_step};
    lit_param_group def = {0};
    def.lr = 0.1;
    lit_optimizer *plain = lit_optimizer_new(&vt, &def, NULL);
    op = lit_one_cycle_lr_default_params();
    op.total_steps = 10;
    CHECK(lit_one_cycle_lr_new(plain, &op) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "cycle_momentum");
    op.cycle_momentum = 0;
    s = lit_one_cycle_lr_new(plain, &op);
    CHECK(s != NULL);
    lit_scheduler_free(s);
    lit_optimizer_free(plain);

    /* programmer errors */
    lit_scheduler *p = mk_plateau_min(r.opt);
    EXPECT_ASSERT(lit_scheduler_step(p), "lit_scheduler_step_metric");
    lit_scheduler_free(p);
    s = mk_cosine(r.opt);
    lit_tensor *extra = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){2});
    lit_param_group g = lit_optimizer_default_group(r.opt);
    g.params = &extra;
    g.n_params = 1;
    CHECK_EQ_INT(lit_optimizer_add_param_group(r.opt, &g), LIT_OK);
    EXPECT_ASSERT(lit_scheduler_step(s), "parameter groups");
    lit_scheduler_free(s);
    EXPECT_ASSERT(lit_step_lr_new(NULL, &sp), "optimizer is NULL");
    rig_free(&r);
    lit_tensor_free(extra);
}

int main(void) {
    FX = fixture_load("tests/fixtures/sched.txt");
    if (!FX) {
        printf("cannot load tests/fixtures/sched.txt\n");
        return 1;
    }
    RUN(sequences_match_pytorch);
    RUN(state_restore_midway_continues_identically);
    RUN(state_keys);
    RUN(bad_configuration_is_reported);
    fixture_free(FX);
    return harness_summary();
}
