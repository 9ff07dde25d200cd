/*
 * tests/test-metrics.c — metrics against numpy/scikit-learn references
 * (tests/fixtures/metrics.txt, written by gen_metrics.py); states merged
 * from two halves equal the whole; forward()'s batch values; reset; clone;
 * MetricCollection with prefixes; the base with a custom metric; bad inputs.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fixture.h"
#include "harness.h"

static fixture *FX;

/* ---------------------------------------------------------------- helpers */

static const fixture_array *fx(const char *name) {
    const fixture_array *a = fixture_find(FX, name);
    if (!a) {
        printf("missing fixture %s\n", name);
        exit(1);
    }
    return a;
}

static lit_tensor *fx_tensor(const char *name, lit_dtype dt) {
    const fixture_array *a = fx(name);
    lit_tensor *t = lit_empty(dt, a->ndim, a->shape);
    for (int64_t i = 0; i < a->numel; i++) lit_set_flat(t, i, a->data[i]);
    return t;
}

static double fx_val(const char *name) { return fx(name)->data[0]; }

static double tol_for(double ref) { return 2e-6 * (fabs(ref) > 1 ? fabs(ref) : 1); }

static double value(lit_metric *m) {
    double v = NAN;
    lit_status st = lit_metric_compute_scalar(m, &v);
    CHECK_MSG(st == LIT_OK, "%s compute: %s", lit_metric_name(m), lit_last_error());
    return v;
}

#define CHECK_VALUE(m, ref_name) CHECK_NEAR(value(m), fx_val(ref_name), tol_for(fx_val(ref_name)))

/* Every element of the metric's result equals the fixture array. */
static void check_result(lit_metric *m, const char *ref_name) {
    lit_tensor *r = NULL;
    CHECK_EQ_INT(lit_metric_compute(m, &r), LIT_OK);
    const fixture_array *a = fx(ref_name);
    CHECK_MSG(r && r->numel == a->numel, "%s: %lld elements, reference %s has %lld", lit_metric_name(m),
              r ? (long long)r->numel : -1LL, ref_name, (long long)a->numel);
    if (!r || r->numel != a->numel) return;
    for (int64_t i = 0; i < a->numel; i++)
        CHECK_MSG(fabs(lit_get_flat(r, i) - a->data[i]) <= tol_for(a->data[i]), "%s vs %s [%lld]: %.9g vs %.9g",
                  lit_metric_name(m), ref_name, (long long)i, lit_get_flat(r, i), a->data[i]);
}

static lit_tensor *rows(lit_tensor *t, int64_t a, int64_t b) { return lit_slice(t, 0, a, b, 1); }

static lit_metric *cls(lit_metric *(*make)(const lit_classification_params *), lit_task task, int64_t C,
                       lit_average avg, int top_k) {
    lit_metric *m = make(&(lit_classification_params){.task = task, .num_classes = C, .average = avg, .top_k = top_k});
    CHECK_MSG(m != NULL, "constructor: %s", lit_last_error());
    return m;
}

/* update(preds, target[, weight]) on a fresh clone and compare to the reference. */
static void check_one(lit_metric *m, lit_tensor *p, lit_tensor *t, const char *ref) {
    lit_metric_reset(m);
    lit_status st = lit_metric_update(m, p, t);
    CHECK_MSG(st == LIT_OK, "%s update: %s", lit_metric_name(m), lit_last_error());
    check_result(m, ref);
}

/* ---------------------------------------------------------------- aggregation */

TEST(aggregation_values) {
    lit_tensor *v = fx_tensor("agg.values", LIT_F32), *w = fx_tensor("agg.weights", LIT_F32);
    lit_metric *mean = lit_mean_metric_new(NULL), *wmean = lit_mean_metric_new(NULL), *wmean2 = lit_mean_metric_new(NULL);
    lit_metric *sum = lit_sum_metric_new(NULL), *mx = lit_max_metric_new(NULL), *mn = lit_min_metric_new(NULL);
    lit_metric *cat = lit_cat_metric_new(NULL);
    CHECK_EQ_INT(lit_metric_update(mean, v, NULL), LIT_OK);
    CHECK_EQ_INT(lit_metric_update_weighted(wmean, v, NULL, w), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(wmean2, v, w), LIT_OK); /* TorchMetrics' update(value, weight) */
    CHECK_EQ_INT(lit_metric_update(sum, v, NULL), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(mx, v, NULL), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(mn, v, NULL), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(cat, rows(v, 0, 25), NULL), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(cat, rows(v, 25, 40), NULL), LIT_OK);
    CHECK_VALUE(mean, "agg.mean");
    CHECK_VALUE(wmean, "agg.wmean");
    CHECK_VALUE(wmean2, "agg.wmean");
    CHECK_VALUE(sum, "agg.sum");
    CHECK_VALUE(mx, "agg.max");
    CHECK_VALUE(mn, "agg.min");
    check_result(cat, "agg.values");
    CHECK_STR_EQ(lit_metric_name(mean), "MeanMetric");
    CHECK_STR_EQ(lit_metric_name(cat), "CatMetric");
    CHECK_EQ_INT(lit_metric_update_count(cat), 2);
    CHECK(lit_metric_state(mean, "mean_value") && lit_metric_state(mean, "weight"));

    /* the seed's example: update(2.5, weight=10), update(3.0, weight=20) */
    lit_metric_reset(mean);
    CHECK_EQ_INT(lit_metric_update_scalar(mean, 2.5, 10), LIT_OK);
    CHECK_EQ_INT(lit_metric_update_scalar(mean, 3.0, 20), LIT_OK);
    CHECK_NEAR(value(mean), (2.5 * 10 + 3.0 * 20) / 30, 1e-6);

    lit_metric *list[] = {mean, wmean, wmean2, sum, mx, mn, cat};
    for (int i = 0; i < 7; i++) lit_metric_free(list[i]);
}

TEST(aggregation_nan_strategy) {
    lit_tensor *v = fx_tensor("agg.nan_values", LIT_F32);
    lit_log_level lv = lit_log_get_level();
    lit_log_set_level(LIT_LOG_ERROR); /* the "NaN removed" warning */
    lit_metric *mean = lit_mean_metric_new(NULL), *sum = lit_sum_metric_new(NULL), *cat = lit_cat_metric_new(NULL);
    lit_metric *mx = lit_max_metric_new(&(lit_aggregation_params){.nan_strategy = LIT_NAN_IGNORE});
    CHECK_EQ_INT(lit_metric_update(mean, v, NULL), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(sum, v, NULL), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(cat, v, NULL), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(mx, v, NULL), LIT_OK);
    CHECK_VALUE(mean, "agg.nan_mean");
    CHECK_VALUE(sum, "agg.nan_sum");
    check_result(cat, "agg.nan_cat");
    CHECK(!isnan(value(mx)));

    lit_metric *err = lit_mean_metric_new(&(lit_aggregation_params){.nan_strategy = LIT_NAN_ERROR});
    CHECK_EQ_INT(lit_metric_update(err, v, NULL), LIT_ERR_NUMERIC);
    CHECK_STR_CONTAINS(lit_last_error(), "MeanMetric");
    CHECK_EQ_INT(lit_metric_update_count(err), 0);
    CHECK_EQ_INT(lit_metric_update(err, rows(v, 0, 3), NULL), LIT_OK); /* no NaN there */

    lit_metric *rep =
        lit_mean_metric_new(&(lit_aggregation_params){.nan_strategy = LIT_NAN_REPLACE, .nan_replace_value = 0.5});
    CHECK_EQ_INT(lit_metric_update(rep, v, NULL), LIT_OK);
    CHECK_VALUE(rep, "agg.nan_replace_mean");

    lit_metric *dis = lit_mean_metric_new(&(lit_aggregation_params){.nan_strategy = LIT_NAN_DISABLE});
    CHECK_EQ_INT(lit_metric_update(dis, v, NULL), LIT_OK);
    CHECK(isnan(value(dis)));
    /* a NaN weight counts as NaN too */
    lit_metric_reset(mean);
    lit_tensor *w = lit_ones(LIT_F32, LIT_SHAPE(12));
    lit_f32(w)[0] = NAN;
    lit_tensor *vv = lit_arange(LIT_F32, 0, 12, 1);
    CHECK_EQ_INT(lit_metric_update(mean, vv, w), LIT_OK);
    CHECK_NEAR(value(mean), 6.0, 1e-6); /* mean of 1..11 */
    CHECK(lit_max_metric_new(&(lit_aggregation_params){.nan_strategy = 99}) == NULL);
    lit_log_set_level(lv);
    lit_metric *list[] = {mean, sum, cat, mx, err, rep, dis};
    for (int i = 0; i < 7; i++) lit_metric_free(list[i]);
}

TEST(language_metrics) {
    lit_tensor *nlls = fx_tensor("lm.nlls", LIT_F32), *mask = fx_tensor("lm.mask", LIT_F32);
    lit_metric *nll = lit_nll_new(NULL), *bpd = lit_bpd_new(NULL), *ppl = lit_perplexity_new(NULL);
    CHECK_EQ_INT(lit_metric_update(nll, nlls, mask), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(bpd, nlls, mask), LIT_OK);
    CHECK_EQ_INT(lit_metric_update(ppl, nlls, mask), LIT_OK);
    CHECK_VALUE(nll, "lm.nll");
    CHECK_VALUE(bpd, "lm.bpd");
    CHECK_VALUE(ppl, "lm.ppl");
    CHECK_STR_EQ(lit_metric_name(nll), "NLL");
    CHECK_STR_EQ(lit_metric_name(bpd), "BPD");
    CHECK_STR_EQ(lit_metric_name(ppl), "Perplexity");
    CHECK_EQ_INT(lit_metric_higher_is_better(ppl), 0);
    /* (L,) weights broadcast over (B, L); i64 mask as weights */
    lit_metric_reset(nll);
    CHECK_EQ_INT(lit_metric_update(nll, nlls, fx_tensor("lm.row_w", LIT_F32)), LIT_OK);
    CHECK_VALUE(nll, "lm.row_mean");
    lit_metric_reset(nll);
    CHECK_EQ_INT(lit_metric_update(nll, nlls, fx_tensor("lm.mask", LIT_I64)), LIT_OK);
    CHECK_VALUE(nll, "lm.nll");
    /* another class: no merge between NLL and BPD */
    CHECK_EQ_INT(lit_metric_merge(nll, bpd), LIT_ERR_INVALID_ARG);
    lit_metric_free(nll);
    lit_metric_free(bpd);
    lit_metric_free(ppl);
}

/* ---------------------------------------------------------------- classification */

typedef lit_metric *(*cls_ctor)(const lit_classification_params *);
static const cls_ctor CTORS[4] = {lit_accuracy_new, lit_precision_new, lit_recall_new, lit_f1_score_new};
static const char *const SCORE[4] = {"acc", "prec", "rec", "f1"};

TEST(binary_classification) {
    lit_tensor *probs = fx_tensor("bin.probs", LIT_F32), *logits = fx_tensor("bin.logits", LIT_F32);
    lit_tensor *target = fx_tensor("bin.target", LIT_I64);
    lit_tensor *int_preds = lit_empty(LIT_I64, 1, probs->shape);
    for (int64_t i = 0; i < probs->numel; i++) lit_i64(int_preds)[i] = lit_f32(probs)[i] > 0.5f;
    char ref[64];
    for (int k = 0; k < 4; k++) {
        lit_metric *m = cls(CTORS[k], LIT_TASK_BINARY, 0, 0, 0);
        snprintf(ref, sizeof ref, "bin.p.%s", SCORE[k]);
        check_one(m, probs, target, ref);
        check_one(m, int_preds, target, ref);
        check_one(m, probs, fx_tensor("bin.target", LIT_F32), ref); /* whole-number float labels */
        snprintf(ref, sizeof ref, "bin.l.%s", SCORE[k]);
        check_one(m, logits, target, ref);
        lit_metric_free(m);
        m = CTORS[k](&(lit_classification_params){.task = LIT_TASK_BINARY, .threshold = 0.3});
        snprintf(ref, sizeof ref, "bin.t03.%s", SCORE[k]);
        check_one(m, probs, target, ref);
        lit_metric_free(m);
    }
    lit_metric *acc = cls(lit_accuracy_new, LIT_TASK_BINARY, 0, 0, 0);
    CHECK_STR_EQ(lit_metric_name(acc), "BinaryAccuracy");
    CHECK_EQ_INT(lit_metric_higher_is_better(acc), 1);
    lit_metric_free(acc);
    acc = lit_accuracy_new(&(lit_accuracy_params){.task = LIT_TASK_BINARY, .has_ignore_index = 1, .ignore_index = -1});
    check_one(acc, probs, fx_tensor("bin.target_ign", LIT_I64), "bin.ign.acc");
    lit_metric_free(acc);
}

TEST(binary_confusion_and_auroc) {
    lit_tensor *probs = fx_tensor("bin.probs", LIT_F32), *target = fx_tensor("bin.target", LIT_I64);
    static const char *const norm[4] = {"bin.confmat", "bin.confmat_true", "bin.confmat_pred", "bin.confmat_all"};
    for (int n = 0; n < 4; n++) {
        lit_metric *cm = lit_confusion_matrix_new(&(lit_confusion_matrix_params){.task = LIT_TASK_BINARY,
                                                                                 .normalize = n});
        check_one(cm, probs, target, norm[n]);
        lit_tensor *r;
        CHECK_EQ_INT(lit_metric_compute(cm, &r), LIT_OK);
        CHECK_EQ_INT(r->dtype, n == 0 ? LIT_I64 : LIT_F32);
        CHECK(r->ndim == 2 && r->shape[0] == 2 && r->shape[1] == 2);
        lit_metric_free(cm);
    }
    lit_metric *au = lit_auroc_new(&(lit_auroc_params){.task = LIT_TASK_BINARY});
    CHECK_STR_EQ(lit_metric_name(au), "BinaryAUROC");
    check_one(au, probs, target, "bin.auroc");
    check_one(au, fx_tensor("bin.logits", LIT_F32), target, "bin.auroc_logits");
    /* in three updates: the CAT states grow */
    lit_metric_reset(au);
    for (int64_t a = 0; a < 60; a += 20)
        CHECK_EQ_INT(lit_metric_update(au, rows(probs, a, a + 20), rows(target, a, a + 20)), LIT_OK);
    check_result(au, "bin.auroc");
    CHECK_EQ_INT(lit_metric_state(au, "preds")->shape[0], 60);
    lit_metric_free(au);
    au = lit_auroc_new(&(lit_auroc_params){.task = LIT_TASK_BINARY, .has_ignore_index = 1, .ignore_index = -1});
    check_one(au, probs, fx_tensor("bin.target_ign", LIT_I64), "bin.ign.auroc");
    CHECK_EQ_INT(lit_metric_state(au, "target")->shape[0], 50);
    lit_metric_free(au);
}

static void multiclass_case(const char *prefix, lit_tensor *preds, lit_tensor *target, int64_t C) {
    static const char *const avg[4] = {"micro", "macro", "weighted", "none"};
    char ref[64];
    for (int k = 0; k < 4; k++) {
        for (int a = 0; a < 4; a++) {
            lit_metric *m = cls(CTORS[k], LIT_TASK_MULTICLASS, C, (lit_average)a, 0);
            snprintf(ref, sizeof ref, "%s.%s_%s", prefix, SCORE[k], avg[a]);
            check_one(m, preds, target, ref);
            lit_metric_free(m);
        }
    }
    static const char *const norm[4] = {"confmat", "confmat_true", "confmat_pred", "confmat_all"};
    for (int n = 0; n < 4; n++) {
        lit_metric *cm = lit_confusion_matrix_new(&(lit_confusion_matrix_params){
            .task = LIT_TASK_MULTICLASS, .num_classes = C, .normalize = n});
        snprintf(ref, sizeof ref, "%s.%s", prefix, norm[n]);
        check_one(cm, preds, target, ref);
        lit_metric_free(cm);
    }
}

TEST(multiclass_classification) {
    lit_tensor *logits = fx_tensor("mc.logits", LIT_F32), *target = fx_tensor("mc.target", LIT_I64);
    multiclass_case("mc", logits, target, 5);
    multiclass_case("mi", fx_tensor("mi.preds", LIT_I64), fx_tensor("mi.target", LIT_I64), 6);
    /* i32 indices and strided scores give the same */
    lit_metric *acc = cls(lit_accuracy_new, LIT_TASK_MULTICLASS, 6, LIT_AVERAGE_MACRO, 0);
    check_one(acc, fx_tensor("mi.preds", LIT_I32), fx_tensor("mi.target", LIT_I32), "mi.acc_macro");
    lit_metric_free(acc);
    lit_tensor *lt = lit_transpose(lit_contiguous(lit_transpose(logits, 0, 1)), 0, 1);
    CHECK(!lit_is_contiguous(lt));
    lit_metric *f1 = cls(lit_f1_score_new, LIT_TASK_MULTICLASS, 5, LIT_AVERAGE_WEIGHTED, 0);
    check_one(f1, lt, target, "mc.f1_weighted");
    CHECK_STR_EQ(lit_metric_name(f1), "MulticlassF1Score");
    lit_metric_free(f1);

    /* top_k = 2 */
    static const struct { cls_ctor make; lit_average avg; const char *ref; } top[] = {
        {lit_accuracy_new, LIT_AVERAGE_MICRO, "mc.top2.acc_micro"},
        {lit_recall_new, LIT_AVERAGE_MICRO, "mc.top2.acc_micro"},
        {lit_precision_new, LIT_AVERAGE_MICRO, "mc.top2.prec_micro"},
        {lit_f1_score_new, LIT_AVERAGE_MICRO, "mc.top2.f1_micro"},
        {lit_precision_new, LIT_AVERAGE_MACRO, "mc.top2.prec_macro"},
        {lit_recall_new, LIT_AVERAGE_MACRO, "mc.top2.rec_macro"},
        {lit_f1_score_new, LIT_AVERAGE_MACRO, "mc.top2.f1_macro"},
    };
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++) {
        lit_metric *m = cls(top[i].make, LIT_TASK_MULTICLASS, 5, top[i].avg, 2);
        check_one(m, logits, target, top[i].ref);
        lit_metric_free(m);
    }
    static const struct { cls_ctor make; const char *ref; } mk[] = {
        {lit_precision_new, "mk.top2.prec_macro"}, {lit_recall_new, "mk.top2.rec_macro"},
        {lit_f1_score_new, "mk.top2.f1_macro"}};
    for (int i = 0; i < 3; i++) {
        lit_metric *m = cls(mk[i].make, LIT_TASK_MULTICLASS, 5, LIT_AVERAGE_MACRO, 2);
        check_one(m, fx_tensor("mk.logits", LIT_F32), fx_tensor("mk.target", LIT_I64), mk[i].ref);
        lit_metric_free(m);
    }
    /* top_k = C: every sample is a hit */
    lit_metric *all = cls(lit_accuracy_new, LIT_TASK_MULTICLASS, 5, LIT_AVERAGE_MICRO, 5);
    CHECK_EQ_INT(lit_metric_update(all, logits, target), LIT_OK);
    CHECK_NEAR(value(all), 1.0, 1e-7);
    lit_metric_free(all);

    /* top_k > 16 (the rank-counting path) against a brute force */
    {
        const int64_t C = 20, N = 30, K = 17;
        lit_rng g = lit_rng_new(7);
        lit_tensor *sc = lit_randn(LIT_SHAPE(30, 20), &g), *tg = lit_empty(LIT_I64, LIT_SHAPE(30));
        int64_t hits = 0;
        for (int64_t i = 0; i < N; i++) {
            int64_t t = lit_i64(tg)[i] = (int64_t)lit_rng_below(&g, (uint64_t)C);
            int64_t better = 0;
            for (int64_t j = 0; j < C; j++) better += lit_f32(sc)[i * C + j] > lit_f32(sc)[i * C + t];
            hits += better < K;
        }
        lit_metric *m = cls(lit_precision_new, LIT_TASK_MULTICLASS, C, LIT_AVERAGE_MICRO, (int)K);
        CHECK_EQ_INT(lit_metric_update(m, sc, tg), LIT_OK);
        CHECK_NEAR(value(m), (double)hits / (double)(N * K), 1e-7);
        lit_metric_free(m);
        m = cls(lit_accuracy_new, LIT_TASK_MULTICLASS, C, LIT_AVERAGE_MICRO, (int)K);
        CHECK_EQ_INT(lit_metric_update(m, sc, tg), LIT_OK);
        CHECK_NEAR(value(m), (double)hits / (double)N, 1e-7);
        lit_metric_free(m);
    }

    /* ignore_index = -100 */
    lit_tensor *ti = fx_tensor("mc.target_ign", LIT_I64);
    acc = lit_accuracy_new(&(lit_accuracy_params){.task = LIT_TASK_MULTICLASS, .num_classes = 5,
                                                 .has_ignore_index = 1, .ignore_index = -100});
    check_one(acc, logits, ti, "mc.ign.acc_micro");
    lit_metric_free(acc);
    lit_metric *cm = lit_confusion_matrix_new(&(lit_confusion_matrix_params){
        .task = LIT_TASK_MULTICLASS, .num_classes = 5, .has_ignore_index = 1, .ignore_index = -100});
    check_one(cm, logits, ti, "mc.ign.confmat");
    lit_metric_free(cm);

    /* (N, C, L) scores with (N, L) targets */
    lit_tensor *l3 = fx_tensor("mc3.logits", LIT_F32), *t3 = fx_tensor("mc3.target", LIT_I64);
    acc = cls(lit_accuracy_new, LIT_TASK_MULTICLASS, 4, LIT_AVERAGE_MICRO, 0);
    check_one(acc, l3, t3, "mc3.acc_micro");
    lit_metric_free(acc);
    f1 = cls(lit_f1_score_new, LIT_TASK_MULTICLASS, 4, LIT_AVERAGE_MACRO, 0);
    check_one(f1, l3, t3, "mc3.f1_macro");
    lit_metric_free(f1);
}

TEST(regression) {
    lit_tensor *p = fx_tensor("reg.preds", LIT_F32), *t = fx_tensor("reg.target", LIT_F32);
    lit_metric *mse = lit_mean_squared_error_new(NULL), *rmse = lit_mean_squared_error_new(&(lit_mse_params){.root = 1});
    lit_metric *mae = lit_mean_absolute_error_new();
    check_one(mse, p, t, "reg.mse");
    check_one(rmse, p, t, "reg.rmse");
    check_one(mae, p, t, "reg.mae");
    CHECK_EQ_INT(lit_metric_higher_is_better(mse), 0);
    CHECK_EQ_INT(lit_metric_update(mae, rows(p, 0, 2), rows(t, 0, 3)), LIT_ERR_SHAPE);
    CHECK_STR_CONTAINS(lit_last_error(), "MeanAbsoluteError");
    lit_metric_free(mse);
    lit_metric_free(rmse);
    lit_metric_free(mae);
}

/* ---------------------------------------------------------------- merge, forward, reset, clone */

typedef struct {
    const char *what;
    lit_metric *m;
    lit_tensor *preds, *target, *weight;
} mcase;

static int n_cases(mcase *c) {
    lit_tensor *v = fx_tensor("agg.values", LIT_F32), *w = fx_tensor("agg.weights", LIT_F32);
    lit_tensor *nlls = fx_tensor("lm.nlls", LIT_F32), *mask = fx_tensor("lm.mask", LIT_F32);
    lit_tensor *bp = fx_tensor("bin.probs", LIT_F32), *bt = fx_tensor("bin.target", LIT_I64);
    lit_tensor *ml = fx_tensor("mc.logits", LIT_F32), *mt = fx_tensor("mc.target", LIT_I64);
    lit_tensor *rp = fx_tensor("reg.preds", LIT_F32), *rt = fx_tensor("reg.target", LIT_F32);
    int n = 0;
    c[n++] = (mcase){"mean", lit_mean_metric_new(NULL), v, NULL, w};
    c[n++] = (mcase){"sum", lit_sum_metric_new(NULL), v, NULL, NULL};
    c[n++] = (mcase){"max", lit_max_metric_new(NULL), v, NULL, NULL};
    c[n++] = (mcase){"min", lit_min_metric_new(NULL), v, NULL, NULL};
    c[n++] = (mcase){"cat", lit_cat_metric_new(NULL), v, NULL, NULL};
    c[n++] = (mcase){"nll", lit_nll_new(NULL), nlls, mask, NULL};
    c[n++] = (mcase){"bpd", lit_bpd_new(NULL), nlls, mask, NULL};
    c[n++] = (mcase){"ppl", lit_perplexity_new(NULL), nlls, mask, NULL};
    for (int k = 0; k < 4; k++) {
        c[n++] = (mcase){SCORE[k], cls(CTORS[k], LIT_TASK_BINARY, 0, 0, 0), bp, bt, NULL};
        c[n++] = (mcase){SCORE[k], cls(CTORS[k], LIT_TASK_MULTICLASS, 5, LIT_AVERAGE_MACRO, 0), ml, mt, NULL};
    }
    c[n++] = (mcase){"acc top2", cls(lit_accuracy_new, LIT_TASK_MULTICLASS, 5, LIT_AVERAGE_NONE, 2), ml, mt, NULL};
    c[n++] = (mcase){"confmat", lit_confusion_matrix_new(&(lit_confusion_matrix_params){
                                    .task = LIT_TASK_MULTICLASS, .num_classes = 5, .normalize = LIT_CONFMAT_NORMALIZE_TRUE}),
                     ml, mt, NULL};
    c[n++] = (mcase){"bin confmat",
                     lit_confusion_matrix_new(&(lit_confusion_matrix_params){.task = LIT_TASK_BINARY}), bp, bt, NULL};
    c[n++] = (mcase){"auroc", lit_auroc_new(&(lit_auroc_params){.task = LIT_TASK_BINARY}), bp, bt, NULL};
    c[n++] = (mcase){"mse", lit_mean_squared_error_new(NULL), rp, rt, NULL};
    c[n++] = (mcase){"rmse", lit_mean_squared_error_new(&(lit_mse_params){.root = 1}), rp, rt, NULL};
    c[n++] = (mcase){"mae", lit_mean_absolute_error_new(), rp, rt, NULL};
    return n;
}

static lit_status upd(lit_metric *m, const mcase *c, int64_t a, int64_t b) {
    return lit_metric_update_weighted(m, rows(c->preds, a, b), c->target ? rows(c->target, a, b) : NULL,
                                      c->weight ? rows(c->weight, a, b) : NULL);
}

static void check_same(const char *what, lit_metric *a, lit_metric *b) {
    lit_tensor *ra, *rb;
    CHECK_EQ_INT(lit_metric_compute(a, &ra), LIT_OK);
    /* copy a's result: b's compute may reuse nothing of a, but be safe */
    lit_tensor *ca = lit_empty(LIT_F32, ra->ndim, ra->shape);
    for (int64_t i = 0; i < ra->numel; i++) lit_set_flat(ca, i, lit_get_flat(ra, i));
    CHECK_EQ_INT(lit_metric_compute(b, &rb), LIT_OK);
    CHECK_MSG(ra->numel == rb->numel, "%s: %lld vs %lld elements", what, (long long)ra->numel, (long long)rb->numel);
    for (int64_t i = 0; i < ra->numel && i < rb->numel; i++) {
        double x = lit_get_flat(ca, i), y = lit_get_flat(rb, i);
        CHECK_MSG(fabs(x - y) <= 1e-5 * (fabs(y) > 1 ? fabs(y) : 1), "%s [%lld]: %.9g vs %.9g", what, (long long)i, x,
                  y);
    }
}

TEST(merge_halves_equal_whole) {
    mcase c[32];
    int n = n_cases(c);
    for (int i = 0; i < n; i++) {
        int64_t N = c[i].preds->shape[0], h = N / 2 - 1; /* uneven halves */
        lit_metric *a = lit_metric_clone(c[i].m), *b = lit_metric_clone(c[i].m), *whole = c[i].m;
        CHECK_EQ_INT(upd(a, &c[i], 0, h), LIT_OK);
        CHECK_EQ_INT(upd(b, &c[i], h, N), LIT_OK);
        CHECK_EQ_INT(upd(whole, &c[i], 0, N), LIT_OK);
        CHECK_MSG(lit_metric_merge(a, b) == LIT_OK, "%s merge: %s", c[i].what, lit_last_error());
        CHECK_EQ_INT(lit_metric_update_count(a), 2);
        check_same(c[i].what, a, whole);
        lit_metric_free(a);
        lit_metric_free(b);
        lit_metric_free(whole);
    }
}

TEST(forward_batch_values) {
    mcase c[32];
    int n = n_cases(c);
    for (int full = 0; full < 2; full++) {
        for (int i = 0; i < n; i++) {
            lit_metric *m = c[i].m;
            if (full) lit_metric_set_full_state_update(m, 1);
            int64_t N = c[i].preds->shape[0], h = N / 3;
            lit_metric *b1 = lit_metric_clone(m), *b2 = lit_metric_clone(m), *whole = lit_metric_clone(m);
            CHECK_EQ_INT(upd(b1, &c[i], 0, h), LIT_OK);
            CHECK_EQ_INT(upd(b2, &c[i], h, N), LIT_OK);
            CHECK_EQ_INT(upd(whole, &c[i], 0, N), LIT_OK);
            lit_tensor *r;
            CHECK_EQ_INT(lit_metric_forward_tensor(m, rows(c[i].preds, 0, h), c[i].target ? rows(c[i].target, 0, h) : NULL,
                                                   c[i].weight ? rows(c[i].weight, 0, h) : NULL, &r),
                         LIT_OK);
            /* the batch value equals a fresh metric on the batch */
            lit_metric *tmp = lit_metric_clone(m);
            lit_metric_merge(tmp, b1);
            (void)r;
            check_same(c[i].what, b1, tmp); /* sanity: merge into fresh = the batch */
            lit_tensor *r2;
            CHECK_EQ_INT(lit_metric_forward_tensor(m, rows(c[i].preds, h, N), c[i].target ? rows(c[i].target, h, N) : NULL,
                                                   c[i].weight ? rows(c[i].weight, h, N) : NULL, &r2),
                         LIT_OK);
            lit_tensor *r2c = lit_empty(LIT_F32, r2->ndim, r2->shape);
            for (int64_t k = 0; k < r2->numel; k++) lit_set_flat(r2c, k, lit_get_flat(r2, k));
            lit_tensor *rb2;
            CHECK_EQ_INT(lit_metric_compute(b2, &rb2), LIT_OK);
            CHECK_EQ_INT(r2c->numel, rb2->numel);
            for (int64_t k = 0; k < r2c->numel && k < rb2->numel; k++)
                CHECK_MSG(fabs(lit_get_flat(r2c, k) - lit_get_flat(rb2, k)) <= 1e-6 * (1 + fabs(lit_get_flat(rb2, k))),
                          "%s forward batch 2 [%lld] (full %d): %.9g vs %.9g", c[i].what, (long long)k, full,
                          lit_get_flat(r2c, k), lit_get_flat(rb2, k));
            CHECK_EQ_INT(lit_metric_update_count(m), 2);
            check_same(c[i].what, m, whole); /* and the running state is the whole */
            lit_metric *list[] = {b1, b2, whole, tmp};
            for (int k = 0; k < 4; k++) lit_metric_free(list[k]);
            if (full) lit_metric_free(m);
        }
        if (!full) {
            for (int i = 0; i < n; i++) lit_metric_reset(c[i].m);
        }
    }
}

TEST(forward_scalar_and_order) {
    lit_metric *mean = lit_mean_metric_new(NULL);
    double bv = 0;
    CHECK_EQ_INT(lit_metric_forward(mean, lit_full(LIT_F32, LIT_SHAPE(4), 2.0), NULL, &bv), LIT_OK);
    CHECK_NEAR(bv, 2.0, 0);
    CHECK_EQ_INT(lit_metric_forward(mean, lit_full(LIT_F32, LIT_SHAPE(4), 4.0), NULL, &bv), LIT_OK);
    CHECK_NEAR(bv, 4.0, 0);
    CHECK_NEAR(value(mean), 3.0, 1e-7);
    CHECK_EQ_INT(lit_metric_forward(mean, NULL, NULL, &bv), LIT_ERR_INVALID_ARG); /* state as it was */
    CHECK_EQ_INT(lit_metric_update_count(mean), 2);
    CHECK_NEAR(value(mean), 3.0, 1e-7);
    lit_metric_free(mean);
    /* CatMetric keeps update order through forward */
    lit_metric *cat = lit_cat_metric_new(NULL);
    CHECK_EQ_INT(lit_metric_forward(cat, lit_arange(LIT_F32, 0, 3, 1), NULL, NULL), LIT_OK);
    CHECK_EQ_INT(lit_metric_forward(cat, lit_arange(LIT_F32, 3, 5, 1), NULL, NULL), LIT_OK);
    lit_tensor *r;
    CHECK_EQ_INT(lit_metric_compute(cat, &r), LIT_OK);
    CHECK_EQ_INT(r->numel, 5);
    for (int64_t i = 0; i < r->numel; i++) CHECK_NEAR(lit_f32(r)[i], (double)i, 0);
    CHECK_EQ_INT(lit_metric_forward(cat, lit_arange(LIT_F32, 5, 7, 1), NULL, &(double){0}), LIT_ERR_SHAPE);
    CHECK_EQ_INT(lit_metric_update_count(cat), 3); /* accumulated all the same */
    lit_metric_free(cat);
}

TEST(reset_and_compute_before_update) {
    lit_log_level lv = lit_log_get_level();
    lit_log_set_level(LIT_LOG_ERROR);
    lit_metric *mean = lit_mean_metric_new(NULL), *sum = lit_sum_metric_new(NULL), *mx = lit_max_metric_new(NULL);
    lit_metric *acc = cls(lit_accuracy_new, LIT_TASK_MULTICLASS, 5, 0, 0), *cat = lit_cat_metric_new(NULL);
    lit_metric *au = lit_auroc_new(&(lit_auroc_params){.task = LIT_TASK_BINARY}), *mse = lit_mean_squared_error_new(NULL);
    CHECK(isnan(value(mean)));
    CHECK_NEAR(value(sum), 0, 0);
    CHECK(isinf(value(mx)) && value(mx) < 0);
    CHECK_NEAR(value(acc), 0, 0);
    CHECK_NEAR(value(au), 0, 0);
    CHECK(isnan(value(mse)));
    lit_tensor *r;
    CHECK_EQ_INT(lit_metric_compute(cat, &r), LIT_OK);
    CHECK(r->ndim == 1 && r->numel == 0);
    lit_tensor *v = fx_tensor("agg.values", LIT_F32);
    lit_tensor *ml = fx_tensor("mc.logits", LIT_F32), *mt = fx_tensor("mc.target", LIT_I64);
    for (int round = 0; round < 2; round++) {
        CHECK_EQ_INT(lit_metric_update(mean, v, NULL), LIT_OK);
        CHECK_EQ_INT(lit_metric_update(mean, v, NULL), LIT_OK);
        CHECK_EQ_INT(lit_metric_update(cat, v, NULL), LIT_OK);
        CHECK_EQ_INT(lit_metric_update(acc, ml, mt), LIT_OK);
        CHECK_VALUE(mean, "agg.mean");
        CHECK_VALUE(acc, "mc.acc_micro");
        CHECK_EQ_INT(lit_metric_update_count(mean), 2);
        lit_metric_reset(mean);
        lit_metric_reset(acc);
        lit_metric_reset(cat);
        CHECK_EQ_INT(lit_metric_update_count(mean), 0);
        CHECK(isnan(value(mean)));
        CHECK_EQ_INT(lit_metric_state(cat, "value")->numel, 0);
    }
    lit_log_set_level(lv);
    lit_metric *list[] = {mean, sum, mx, acc, cat, au, mse};
    for (int i = 0; i < 7; i++) lit_metric_free(list[i]);
}

TEST(clone_is_fresh_and_independent) {
    lit_tensor *ml = fx_tensor("mc.logits", LIT_F32), *mt = fx_tensor("mc.target", LIT_I64);
    lit_metric *p = cls(lit_precision_new, LIT_TASK_MULTICLASS, 5, LIT_AVERAGE_MACRO, 2);
    CHECK_EQ_INT(lit_metric_update(p, ml, mt), LIT_OK);
    lit_metric *c = lit_metric_clone(p);
    CHECK_EQ_INT(lit_metric_update_count(c), 0);
    CHECK_STR_EQ(lit_metric_name(c), "MulticlassPrecision");
    CHECK_EQ_INT(lit_metric_higher_is_better(c), 1);
    CHECK_EQ_INT(lit_i64(lit_metric_state(c, "tp"))[0], 0);
    CHECK_EQ_INT(lit_metric_update(c, ml, mt), LIT_OK); /* same params: top_k 2, macro */
    CHECK_VALUE(c, "mc.top2.prec_macro");
    lit_metric_free(p); /* the clone owns its own params and states */
    CHECK_VALUE(c, "mc.top2.prec_macro");
    lit_metric_free(c);
}

/* ---------------------------------------------------------------- MetricCollection */

TEST(metric_collection) {
    lit_tensor *nlls = fx_tensor("lm.nlls", LIT_F32), *mask = fx_tensor("lm.mask", LIT_F32);
    lit_metric_collection *base = lit_metric_collection_new(NULL, NULL);
    CHECK_EQ_INT(lit_metric_collection_add(base, "nll", lit_nll_new(NULL)), LIT_OK);
    CHECK_EQ_INT(lit_metric_collection_add(base, "bpd", lit_bpd_new(NULL)), LIT_OK);
    CHECK_EQ_INT(lit_metric_collection_add(base, "ppl", lit_perplexity_new(NULL)), LIT_OK);
    CHECK_EQ_INT(lit_metric_collection_add(base, "nll", lit_nll_new(NULL)), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_collection_add(base, "", lit_nll_new(NULL)), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_collection_add(base, "acc", lit_accuracy_new(&(lit_accuracy_params){0})),
                 LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "task");
    CHECK_EQ_INT(lit_metric_collection_count(base), 3);

    lit_metric_collection *train = lit_metric_collection_clone(base, "train/", NULL);
    lit_metric_collection *val = lit_metric_collection_clone(base, "val/", NULL);
    CHECK_EQ_INT(lit_metric_collection_update(train, nlls, mask), LIT_OK);
    CHECK_EQ_INT(lit_metric_collection_update(val, rows(nlls, 0, 1), rows(mask, 0, 1)), LIT_OK);
    CHECK_EQ_INT(lit_metric_collection_compute(train), LIT_OK);
    CHECK_STR_EQ(lit_metric_collection_name(train, 0), "train/nll");
    CHECK_STR_EQ(lit_metric_collection_name(train, 2), "train/ppl");
    CHECK_STR_EQ(lit_metric_collection_name(val, 1), "val/bpd");
    CHECK_NEAR(lit_metric_collection_value(train, 0), fx_val("lm.nll"), 1e-5);
    CHECK_NEAR(lit_metric_collection_value(train, 1), fx_val("lm.bpd"), 1e-5);
    CHECK_NEAR(lit_metric_collection_value(train, 2), fx_val("lm.ppl"), 1e-4);
    CHECK_EQ_INT(lit_metric_collection_find(train, "train/bpd"), 1);
    CHECK_EQ_INT(lit_metric_collection_find(train, "ppl"), 2);
    CHECK_EQ_INT(lit_metric_collection_find(train, "val/ppl"), -1);
    /* independent: base and val saw nothing of train's batch */
    CHECK_EQ_INT(lit_metric_update_count(lit_metric_collection_metric(base, 0)), 0);
    CHECK_EQ_INT(lit_metric_collection_compute(val), LIT_OK);
    CHECK(fabs(lit_metric_collection_value(val, 0) - fx_val("lm.nll")) > 1e-3);
    /* clone without a prefix keeps it; a postfix */
    lit_metric_collection *again = lit_metric_collection_clone(train, NULL, "_epoch");
    CHECK_STR_EQ(lit_metric_collection_name(again, 0), "train/nll_epoch");
    CHECK(isnan(lit_metric_collection_value(again, 0)));
    lit_metric_collection_reset(train);
    CHECK_EQ_INT(lit_metric_update_count(lit_metric_collection_metric(train, 1)), 0);
    CHECK(isnan(lit_metric_collection_value(train, 0)));
    /* an update error names the key */
    CHECK_EQ_INT(lit_metric_collection_update(train, nlls, rows(mask, 0, 3)), LIT_ERR_SHAPE);
    CHECK_STR_CONTAINS(lit_last_error(), "train/nll");
    /* a non-scalar member: NaN value, tensor readable */
    lit_metric_collection *mix = lit_metric_collection_new("test/", NULL);
    lit_tensor *ml = fx_tensor("mc.logits", LIT_F32), *mt = fx_tensor("mc.target", LIT_I64);
    lit_metric_collection_add(mix, "acc", cls(lit_accuracy_new, LIT_TASK_MULTICLASS, 5, 0, 0));
    lit_metric_collection_add(mix, "cm", lit_confusion_matrix_new(&(lit_confusion_matrix_params){
                                             .task = LIT_TASK_MULTICLASS, .num_classes = 5}));
    CHECK_EQ_INT(lit_metric_collection_update(mix, ml, mt), LIT_OK);
    CHECK_EQ_INT(lit_metric_collection_compute(mix), LIT_OK);
    CHECK_NEAR(lit_metric_collection_value(mix, 0), fx_val("mc.acc_micro"), 1e-6);
    CHECK(isnan(lit_metric_collection_value(mix, 1)));
    const lit_tensor *cm = lit_metric_collection_tensor(mix, 1);
    CHECK(cm && cm->numel == 25 && lit_get_flat(cm, 0) == fx("mc.confmat")->data[0]);
    lit_metric_collection_free(mix);
    lit_metric_collection_free(again);
    lit_metric_collection_free(val);
    lit_metric_collection_free(train);
    lit_metric_collection_free(base);
    lit_metric_collection_free(NULL);
}

/* ---------------------------------------------------------------- the base with a custom metric */

/* Every reduction at once: states s (SUM), a (MEAN), hi (MAX), lo (MIN), c (CAT, rows of 2). */
static lit_status custom_update(lit_metric *m, const lit_tensor *p, const lit_tensor *t, const lit_tensor *w) {
    (void)t;
    (void)w;
    double x = lit_item(p);
    lit_f32(lit_metric_state(m, "s"))[0] += (float)x;
    lit_f32(lit_metric_state(m, "a"))[0] = (float)x; /* this batch's value: MEAN merges average them */
    float *hi = lit_f32(lit_metric_state(m, "hi")), *lo = lit_f32(lit_metric_state(m, "lo"));
    if (x > hi[0]) hi[0] = (float)x;
    if (x < lo[0]) lo[0] = (float)x;
    lit_tensor *row = lit_full(LIT_F32, LIT_SHAPE(2), x);
    return lit_metric_cat_state(m, "c", row) ? LIT_OK : LIT_ERR_SHAPE;
}

static lit_status custom_compute(lit_metric *m, lit_tensor **out) {
    lit_tensor *r = lit_metric_result_tensor(m, LIT_F32, 1, (int64_t[]){4});
    float *o = lit_f32(r);
    o[0] = lit_f32(lit_metric_state(m, "s"))[0];
    o[1] = lit_f32(lit_metric_state(m, "a"))[0];
    o[2] = lit_f32(lit_metric_state(m, "hi"))[0];
    o[3] = (float)lit_metric_state(m, "c")->shape[0];
    *out = r;
    return LIT_OK;
}

static const lit_metric_vtable CUSTOM = {LIT_METRIC_VERSION, "Custom", custom_update, custom_compute, NULL, NULL};

static lit_metric *custom_new(void) {
    lit_metric *m = lit_metric_new(&CUSTOM, NULL);
    CHECK(lit_metric_add_state(m, "s", LIT_F32, 0, NULL, 0, LIT_STATE_SUM) != NULL);
    CHECK(lit_metric_add_state(m, "a", LIT_F32, 0, NULL, 0, LIT_STATE_MEAN) != NULL);
    CHECK(lit_metric_add_state(m, "hi", LIT_F32, 0, NULL, -INFINITY, LIT_STATE_MAX) != NULL);
    CHECK(lit_metric_add_state(m, "lo", LIT_F32, 0, NULL, INFINITY, LIT_STATE_MIN) != NULL);
    CHECK(lit_metric_add_state(m, "c", LIT_F32, 2, (int64_t[]){0, 2}, 0, LIT_STATE_CAT) != NULL);
    return m;
}

TEST(base_custom_metric) {
    lit_metric *a = custom_new(), *b = custom_new();
    CHECK(lit_metric_add_state(a, "s", LIT_F32, 0, NULL, 0, LIT_STATE_SUM) == NULL); /* twice */
    CHECK(lit_metric_add_state(a, "bad", LIT_F32, 0, NULL, 0, LIT_STATE_CAT) == NULL); /* CAT needs dims */
    CHECK(lit_metric_add_state(a, "", LIT_F32, 0, NULL, 0, LIT_STATE_SUM) == NULL);
    for (int i = 0; i < 3; i++) CHECK(lit_metric_add_state(a, (const char *[]){"x", "y", "z"}[i], LIT_I64, 0, NULL, 0, LIT_STATE_SUM));
    CHECK(lit_metric_add_state(a, "w", LIT_I64, 0, NULL, 0, LIT_STATE_SUM) == NULL); /* 8 at most */
    CHECK_STR_CONTAINS(lit_last_error(), "at most");
    CHECK_EQ_INT(lit_metric_merge(a, b), LIT_ERR_INVALID_ARG); /* other layout now */
    lit_metric_free(a);
    a = custom_new();
    CHECK_EQ_INT(lit_metric_update_scalar(a, 1.0, 1), LIT_OK);
    CHECK_EQ_INT(lit_metric_update_scalar(a, 5.0, 1), LIT_OK); /* a: 2 updates, MEAN state 5 */
    CHECK_EQ_INT(lit_metric_update_scalar(b, 2.0, 1), LIT_OK); /* b: 1 update, MEAN state 2 */
    CHECK(lit_metric_add_state(a, "late", LIT_F32, 0, NULL, 0, LIT_STATE_SUM) == NULL);
    CHECK_EQ_INT(lit_metric_merge(a, b), LIT_OK);
    CHECK_EQ_INT(lit_metric_merge(a, a), LIT_ERR_INVALID_ARG);
    lit_tensor *r;
    CHECK_EQ_INT(lit_metric_compute(a, &r), LIT_OK);
    CHECK_NEAR(lit_f32(r)[0], 8.0, 1e-6);            /* SUM */
    CHECK_NEAR(lit_f32(r)[1], (5.0 * 2 + 2.0) / 3, 1e-6); /* MEAN weighted by update counts */
    CHECK_NEAR(lit_f32(r)[2], 5.0, 0);               /* MAX */
    CHECK_NEAR(lit_f32(lit_metric_state(a, "lo"))[0], 1.0, 0); /* MIN */
    CHECK_NEAR(lit_f32(r)[3], 3.0, 0);               /* CAT rows */
    CHECK_EQ_INT(lit_metric_update_count(a), 3);
    lit_tensor *c = lit_metric_state(a, "c");
    CHECK(c->shape[0] == 3 && c->shape[1] == 2 && lit_f32(c)[4] == 2.0f);
    CHECK(lit_metric_cat_state(a, "c", lit_zeros(LIT_F32, LIT_SHAPE(2, 3))) == NULL); /* rows of 3 */
    CHECK(lit_metric_cat_state(a, "s", lit_zeros(LIT_F32, LIT_SHAPE(2))) == NULL);    /* not CAT */
    /* the CAT buffer grows past its first capacity */
    for (int i = 0; i < 100; i++) CHECK_EQ_INT(lit_metric_update_scalar(b, i, 1), LIT_OK);
    CHECK_EQ_INT(lit_metric_state(b, "c")->shape[0], 101);
    CHECK_NEAR(lit_f32(lit_metric_state(b, "c"))[2 * 100], 99.0, 0);
    lit_metric *cl = lit_metric_clone(b); /* shared NULL user */
    CHECK(cl && lit_metric_state(cl, "c")->shape[0] == 0);
    CHECK(lit_metric_user(cl) == NULL);
    lit_metric_set_higher_is_better(cl, 1);
    CHECK_EQ_INT(lit_metric_higher_is_better(cl), 1);
    CHECK_EQ_INT(lit_metric_higher_is_better(b), -1);
    lit_metric_free(cl);
    static const lit_metric_vtable BAD = {0, "Bad", custom_update, custom_compute, NULL, NULL};
    CHECK(lit_metric_new(&BAD, NULL) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "LIT_METRIC_VERSION");
    CHECK(lit_metric_new(NULL, NULL) == NULL);
    lit_metric_free(a);
    lit_metric_free(b);
    lit_metric_free(NULL);
}

/* ---------------------------------------------------------------- bad inputs */

TEST(bad_inputs) {
    lit_tensor *bp = fx_tensor("bin.probs", LIT_F32), *bt = fx_tensor("bin.target", LIT_I64);
    lit_tensor *ml = fx_tensor("mc.logits", LIT_F32), *mt = fx_tensor("mc.target", LIT_I64);
    lit_metric *bacc = cls(lit_accuracy_new, LIT_TASK_BINARY, 0, 0, 0);
    lit_metric *macc = cls(lit_accuracy_new, LIT_TASK_MULTICLASS, 5, 0, 0);
    lit_metric *mtop = cls(lit_accuracy_new, LIT_TASK_MULTICLASS, 5, 0, 3);
    lit_metric *au = lit_auroc_new(&(lit_auroc_params){.task = LIT_TASK_BINARY});
    lit_metric *mean = lit_mean_metric_new(NULL), *sum = lit_sum_metric_new(NULL);

    /* shapes */
    CHECK_EQ_INT(lit_metric_update(bacc, bp, rows(bt, 0, 59)), LIT_ERR_SHAPE);
    CHECK_STR_CONTAINS(lit_last_error(), "BinaryAccuracy");
    CHECK_STR_CONTAINS(lit_last_error(), "(60,)");
    CHECK_EQ_INT(lit_metric_update(macc, lit_slice(ml, 1, 0, 4, 1), mt), LIT_ERR_SHAPE);
    CHECK_STR_CONTAINS(lit_last_error(), "4 classes");
    CHECK_EQ_INT(lit_metric_update(macc, ml, rows(mt, 0, 10)), LIT_ERR_SHAPE);
    CHECK_EQ_INT(lit_metric_update(macc, lit_zeros(LIT_F32, LIT_SHAPE(2, 3, 4, 5)), mt), LIT_ERR_SHAPE);
    CHECK_EQ_INT(lit_metric_update(mean, ml, lit_ones(LIT_F32, LIT_SHAPE(80))), LIT_ERR_SHAPE); /* (80) vs (80, 5) */
    CHECK_STR_CONTAINS(lit_last_error(), "broadcast");
    CHECK_EQ_INT(lit_metric_update(mean, ml, lit_ones(LIT_F32, LIT_SHAPE(80, 1))), LIT_OK);     /* this one does */
    CHECK_EQ_INT(lit_metric_update(mean, lit_ones(LIT_F32, LIT_SHAPE(3)), lit_ones(LIT_F32, LIT_SHAPE(2, 3))),
                 LIT_ERR_SHAPE);
    /* values */
    lit_tensor *bad_t = lit_clone(mt);
    lit_i64(bad_t)[7] = 5;
    CHECK_EQ_INT(lit_metric_update(macc, ml, bad_t), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "MulticlassAccuracy");
    CHECK_STR_CONTAINS(lit_last_error(), "target[7] = 5");
    lit_i64(bad_t)[7] = -1;
    CHECK_EQ_INT(lit_metric_update(macc, ml, bad_t), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_update(macc, bad_t, mt), LIT_ERR_INVALID_ARG); /* index preds out of range */
    CHECK_STR_CONTAINS(lit_last_error(), "preds[7] = -1");
    lit_tensor *bad_b = lit_clone(bt);
    lit_i64(bad_b)[3] = 2;
    CHECK_EQ_INT(lit_metric_update(bacc, bp, bad_b), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "target[3] = 2");
    CHECK_EQ_INT(lit_metric_update(bacc, bad_b, bt), LIT_ERR_INVALID_ARG); /* integer preds 0/1 only */
    lit_tensor *half = lit_full(LIT_F32, LIT_SHAPE(60), 0.5);
    CHECK_EQ_INT(lit_metric_update(bacc, bp, half), LIT_ERR_INVALID_ARG); /* label 0.5 */
    lit_tensor *nanp = lit_clone(bp);
    lit_f32(nanp)[11] = NAN;
    CHECK_EQ_INT(lit_metric_update(bacc, nanp, bt), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "preds[11] is NaN");
    CHECK_EQ_INT(lit_metric_update(au, nanp, bt), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_update(au, bt, bt), LIT_ERR_DTYPE); /* AUROC needs scores */
    CHECK_EQ_INT(lit_metric_update(mtop, mt, mt), LIT_ERR_INVALID_ARG); /* top_k needs scores */
    CHECK_EQ_INT(lit_metric_update(macc, lit_zeros(LIT_I64, LIT_SHAPE(80, 5)), mt), LIT_ERR_DTYPE);
    /* NULLs and inputs a metric does not take */
    CHECK_EQ_INT(lit_metric_update(macc, NULL, mt), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_update(macc, ml, NULL), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_update_weighted(macc, ml, mt, mt), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_update(sum, ml, mt), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_update_weighted(mean, ml, ml, ml), LIT_ERR_INVALID_ARG); /* weights twice */
    CHECK_EQ_INT(lit_metric_update(NULL, ml, mt), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_compute(NULL, NULL), LIT_ERR_INVALID_ARG);
    /* nothing counted by any failed update */
    CHECK_EQ_INT(lit_metric_update_count(macc), 0);
    CHECK_EQ_INT(lit_metric_update_count(bacc), 0);
    CHECK_EQ_INT(lit_i64(lit_metric_state(macc, "tp"))[0] + lit_i64(lit_metric_state(macc, "fn"))[0], 0);
    CHECK_EQ_INT(lit_metric_state(au, "preds")->shape[0], 0);
    /* non-scalar results */
    lit_metric *cm = lit_confusion_matrix_new(&(lit_confusion_matrix_params){.task = LIT_TASK_MULTICLASS, .num_classes = 5});
    double v;
    CHECK_EQ_INT(lit_metric_update(cm, ml, mt), LIT_OK);
    CHECK_EQ_INT(lit_metric_compute_scalar(cm, &v), LIT_ERR_SHAPE);
    CHECK_EQ_INT(lit_metric_forward(cm, ml, mt, &v), LIT_ERR_SHAPE);
    lit_tensor *r;
    CHECK_EQ_INT(lit_metric_forward_tensor(cm, ml, mt, NULL, &r), LIT_OK);
    CHECK_NEAR(lit_get_flat(r, 0), fx("mc.confmat")->data[0], 0);
    CHECK_EQ_INT(lit_metric_update_count(cm), 3);
    /* merges between incompatible metrics */
    lit_metric *macc6 = cls(lit_accuracy_new, LIT_TASK_MULTICLASS, 6, 0, 0);
    CHECK_EQ_INT(lit_metric_merge(macc, macc6), LIT_ERR_INVALID_ARG); /* other num_classes */
    CHECK_EQ_INT(lit_metric_merge(macc, bacc), LIT_ERR_INVALID_ARG);  /* binary vs multiclass */
    CHECK_EQ_INT(lit_metric_merge(macc, cm), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_metric_merge(NULL, cm), LIT_ERR_INVALID_ARG);
    /* bad params */
    CHECK(lit_accuracy_new(NULL) == NULL);
    CHECK(lit_accuracy_new(&(lit_accuracy_params){.num_classes = 5}) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "LIT_TASK_BINARY");
    CHECK(lit_precision_new(&(lit_precision_params){.task = LIT_TASK_MULTICLASS, .num_classes = 1}) == NULL);
    CHECK(lit_recall_new(&(lit_recall_params){.task = LIT_TASK_MULTICLASS, .num_classes = 3, .top_k = 4}) == NULL);
    CHECK(lit_f1_score_new(&(lit_f1_score_params){.task = LIT_TASK_BINARY, .threshold = 1.5}) == NULL);
    CHECK(lit_f1_score_new(&(lit_f1_score_params){.task = LIT_TASK_BINARY, .threshold = NAN}) == NULL);
    CHECK(lit_accuracy_new(&(lit_accuracy_params){.task = LIT_TASK_MULTICLASS, .num_classes = 3, .average = 9}) == NULL);
    CHECK(lit_confusion_matrix_new(&(lit_confusion_matrix_params){.task = LIT_TASK_BINARY, .normalize = 7}) == NULL);
    CHECK(lit_auroc_new(&(lit_auroc_params){.task = LIT_TASK_MULTICLASS}) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "BINARY");
    lit_metric *list[] = {bacc, macc, mtop, au, mean, sum, cm, macc6};
    for (int i = 0; i < 8; i++) lit_metric_free(list[i]);
}

/* AUROC corner cases against hand values: ties form one diagonal step. */
TEST(auroc_ties_and_one_class) {
    lit_metric *au = lit_auroc_new(&(lit_auroc_params){.task = LIT_TASK_BINARY});
    float s[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    int64_t y[4] = {0, 1, 0, 1};
    CHECK_EQ_INT(lit_metric_update(au, lit_from_buffer(LIT_F32, 1, (int64_t[]){4}, s),
                                   lit_from_buffer(LIT_I64, 1, (int64_t[]){4}, y)),
                 LIT_OK);
    CHECK_NEAR(value(au), 0.5, 1e-7);
    lit_metric_reset(au);
    float s2[4] = {0.9f, 0.8f, 0.3f, 0.1f};
    int64_t y2[4] = {1, 1, 0, 0};
    CHECK_EQ_INT(lit_metric_update(au, lit_from_buffer(LIT_F32, 1, (int64_t[]){4}, s2),
                                   lit_from_buffer(LIT_I64, 1, (int64_t[]){4}, y2)),
                 LIT_OK);
    CHECK_NEAR(value(au), 1.0, 1e-7);
    lit_metric_reset(au);
    lit_log_level lv = lit_log_get_level();
    lit_log_set_level(LIT_LOG_ERROR);
    CHECK_EQ_INT(lit_metric_update(au, lit_from_buffer(LIT_F32, 1, (int64_t[]){2}, s2),
                                   lit_from_buffer(LIT_I64, 1, (int64_t[]){2}, y2)),
                 LIT_OK);
    CHECK_NEAR(value(au), 0.0, 0); /* only positives: 0, as TorchMetrics */
    lit_log_set_level(lv);
    lit_metric_free(au);
}

int main(void) {
    FX = fixture_load("tests/fixtures/metrics.txt");
    if (!FX) return 1;
    RUN(aggregation_values);
    RUN(aggregation_nan_strategy);
    RUN(language_metrics);
    RUN(binary_classification);
    RUN(binary_confusion_and_auroc);
    RUN(multiclass_classification);
    RUN(regression);
    RUN(merge_halves_equal_whole);
    RUN(forward_batch_values);
    RUN(forward_scalar_and_order);
    RUN(reset_and_compute_before_update);
    RUN(clone_is_fresh_and_independent);
    RUN(metric_collection);
    RUN(base_custom_metric);
    RUN(bad_inputs);
    RUN(auroc_ties_and_one_class);
    fixture_free(FX);
    return harness_summary();
}
