/*
 * src/metrics/aggregation.c — torchmetrics.aggregation: MeanMetric (with
 * weights broadcast to the values), SumMetric, MaxMetric, MinMetric and
 * CatMetric, with TorchMetrics' nan_strategy. Each batch is reduced in
 * double, then added once into the f32 state.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "metric-impl.h"

typedef enum { AGG_MEAN, AGG_SUM, AGG_MAX, AGG_MIN, AGG_CAT } agg_kind;

typedef struct {
    lit_aggregation_params p;
    agg_kind kind;
    int warned; /* the NaN warning, once per metric */
} agg_user;

void *lit__agg_clone_user(const void *u) {
    agg_user *c = lit__mx_memdup(u, sizeof(agg_user));
    if (c) c->warned = 0;
    return c;
}

/* Weight strides over the values' index (0 on broadcast dims), or an
 * error when the weight does not broadcast to the values' shape. */
static lit_status weight_strides(const lit_metric *m, const lit_tensor *v, const lit_tensor *w, int64_t *ws) {
    int off = v->ndim - w->ndim;
    int ok = off >= 0;
    int64_t s = 1;
    for (int d = v->ndim - 1; ok && d >= 0; d--) {
        int wd = d - off;
        if (wd < 0) {
            ws[d] = 0;
            continue;
        }
        ok = w->shape[wd] == v->shape[d] || w->shape[wd] == 1;
        ws[d] = w->shape[wd] == 1 ? 0 : s;
        s *= w->shape[wd];
    }
    if (!ok)
        return lit_set_error(LIT_ERR_SHAPE, "%s.update: weight %s does not broadcast to values %s", lit_metric_name(m),
                             LIT_SHAPE_STR(w), LIT_SHAPE_STR(v));
    return LIT_OK;
}

typedef struct {
    int64_t nan;   /* elements with a NaN value or weight */
    double sx, sw; /* sums of x*w (x for SumMetric) and w */
    double mx, mn;
    int64_t kept;
    float *out; /* CatMetric: the kept values */
} agg_acc;

/* One pass over values (and weights). accumulate 0: count NaNs only. */
static void scan(const lit_tensor *v, const lit_tensor *w, const int64_t *ws, const agg_user *u, int accumulate,
                 agg_acc *a) {
    int64_t idx[LIT_MAX_DIMS] = {0}, woff = 0;
    lit_nan_strategy ns = u->p.nan_strategy;
    double rv = u->p.nan_replace_value;
    for (int64_t k = 0; k < v->numel; k++) {
        double x = lit__mx_ld(v, k), wt = w ? lit__mx_ld(w, woff) : 1.0;
        int bad = isnan(x) || isnan(wt);
        if (!accumulate) {
            a->nan += bad;
        } else if (!(bad && (ns == LIT_NAN_WARN || ns == LIT_NAN_IGNORE))) {
            if (bad && ns == LIT_NAN_REPLACE) x = wt = rv; /* both, as TorchMetrics (weight too) */
            switch (u->kind) {
            case AGG_MEAN: a->sx += x * wt; a->sw += wt; break;
            case AGG_SUM: a->sx += x; break;
            case AGG_MAX: a->mx = isnan(x) || isnan(a->mx) ? NAN : (x > a->mx ? x : a->mx); break;
            case AGG_MIN: a->mn = isnan(x) || isnan(a->mn) ? NAN : (x < a->mn ? x : a->mn); break;
            case AGG_CAT: a->out[a->kept] = (float)x; break;
            }
            a->kept++;
        }
        if (w) { /* next row-major index; the weight offset follows */
            for (int d = v->ndim - 1; d >= 0; d--) {
                woff += ws[d];
                if (++idx[d] < v->shape[d]) break;
                woff -= ws[d] * idx[d];
                idx[d] = 0;
            }
        }
    }
}

static void add_f32(lit_tensor *s, double x) {
    float *f = lit_f32(s);
    f[0] = (float)((double)f[0] + x);
}

static lit_status agg_update(lit_metric *m, const lit_tensor *values, const lit_tensor *target,
                             const lit_tensor *weight) {
    agg_user *u = lit_metric_user(m);
    const char *who = lit_metric_name(m);
    LIT_TRY(lit__mx_need(m, values, "values"));
    const lit_tensor *w = NULL;
    int64_t ws[LIT_MAX_DIMS] = {0};
    if (u->kind == AGG_MEAN) {
        /* TorchMetrics' update(value, weight): the second argument is the weight. */
        if (target && weight)
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s.update: weights given twice (target and weight); pass one",
                                 who);
        w = weight ? weight : target;
        if (w) {
            lit_tensor_check(w, who);
            LIT_TRY(weight_strides(m, values, w, ws));
            w = lit__mx_contig(w);
        }
    } else {
        LIT_TRY(lit__mx_none(m, target, "second input"));
        LIT_TRY(lit__mx_none(m, weight, "weight"));
    }
    const lit_tensor *v = lit__mx_contig(values);
    agg_acc a = {.mx = -INFINITY, .mn = INFINITY};
    scan(v, w, ws, u, 0, &a);
    if (a.nan) {
        if (u->p.nan_strategy == LIT_NAN_ERROR)
            return lit_set_error(LIT_ERR_NUMERIC, "%s.update: %lld NaN value(s) or weight(s) (nan_strategy error)", who,
                                 (long long)a.nan);
        if (u->p.nan_strategy == LIT_NAN_WARN && !u->warned) {
            u->warned = 1;
            lit_logf(LIT_LOG_WARN, "%s: encountered NaN values; they will be removed", who);
        }
    }
    lit_tensor *rows = NULL;
    if (u->kind == AGG_CAT) {
        int drop = u->p.nan_strategy == LIT_NAN_WARN || u->p.nan_strategy == LIT_NAN_IGNORE;
        int64_t n = v->numel - (drop ? a.nan : 0);
        rows = lit_empty(LIT_F32, 1, (int64_t[]){n});
        a.out = lit_f32(rows);
    }
    scan(v, w, ws, u, 1, &a);
    lit_tensor *s0 = lit__metric_state_at(m, 0);
    switch (u->kind) {
    case AGG_MEAN:
        add_f32(s0, a.sx);
        add_f32(lit__metric_state_at(m, 1), a.sw);
        break;
    case AGG_SUM: add_f32(s0, a.sx); break;
    case AGG_MAX:
        if (a.kept) { /* torch.max(state, max(values)) */
            double cur = lit_f32(s0)[0];
            lit_f32(s0)[0] = (float)(isnan(cur) || isnan(a.mx) ? NAN : (a.mx > cur ? a.mx : cur));
        }
        break;
    case AGG_MIN:
        if (a.kept) {
            double cur = lit_f32(s0)[0];
            lit_f32(s0)[0] = (float)(isnan(cur) || isnan(a.mn) ? NAN : (a.mn < cur ? a.mn : cur));
        }
        break;
    case AGG_CAT:
        if (rows->numel && !lit_metric_cat_state(m, "value", rows)) return LIT_ERR_NOMEM;
        break;
    }
    return LIT_OK;
}

/* mean_value / weight as double (NaN for 0/0, as TorchMetrics). */
double lit__mean_value(const lit_metric *m) {
    return (double)lit_f32(lit__metric_state_at(m, 0))[0] / (double)lit_f32(lit__metric_state_at(m, 1))[0];
}

static lit_status agg_compute(lit_metric *m, lit_tensor **out) {
    agg_user *u = lit_metric_user(m);
    lit_tensor *s0 = lit__metric_state_at(m, 0);
    if (u->kind == AGG_MEAN) return lit__mx_scalar(m, lit__mean_value(m), out);
    if (u->kind != AGG_CAT) return lit__mx_scalar(m, lit_f32(s0)[0], out);
    lit_tensor *r = lit_metric_result_tensor(m, LIT_F32, 1, s0->shape);
    if (!r) return LIT_ERR_NOMEM;
    if (s0->numel) memcpy(r->data, s0->data, (size_t)s0->numel * sizeof(float));
    *out = r;
    return LIT_OK;
}

lit_status lit__mean_update(lit_metric *m, const lit_tensor *v, const lit_tensor *t, const lit_tensor *w) {
    return agg_update(m, v, t, w);
}

LIT__AGG_VT(MEAN_VT, "MeanMetric", agg_update, agg_compute);
LIT__AGG_VT(SUM_VT, "SumMetric", agg_update, agg_compute);
LIT__AGG_VT(MAX_VT, "MaxMetric", agg_update, agg_compute);
LIT__AGG_VT(MIN_VT, "MinMetric", agg_update, agg_compute);
LIT__AGG_VT(CAT_VT, "CatMetric", agg_update, agg_compute);

static lit_metric *agg_new(const lit_metric_vtable *vt, agg_kind kind, const lit_aggregation_params *p) {
    if (p && ((int)p->nan_strategy < LIT_NAN_WARN || p->nan_strategy > LIT_NAN_REPLACE)) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: nan_strategy %d is not a lit_nan_strategy", vt->name,
                      (int)p->nan_strategy);
        return NULL;
    }
    agg_user *u = calloc(1, sizeof *u);
    if (!u) {
        lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", vt->name);
        return NULL;
    }
    if (p) u->p = *p;
    u->kind = kind;
    lit_metric *m = lit_metric_new(vt, u);
    if (!m) return NULL;
    int ok = 1;
    switch (kind) {
    case AGG_MEAN:
        ok = lit_metric_add_state(m, "mean_value", LIT_F32, 0, NULL, 0.0, LIT_STATE_SUM) &&
             lit_metric_add_state(m, "weight", LIT_F32, 0, NULL, 0.0, LIT_STATE_SUM);
        break;
    case AGG_SUM: ok = lit_metric_add_state(m, "sum_value", LIT_F32, 0, NULL, 0.0, LIT_STATE_SUM) != NULL; break;
    case AGG_MAX: ok = lit_metric_add_state(m, "max_value", LIT_F32, 0, NULL, -INFINITY, LIT_STATE_MAX) != NULL; break;
    case AGG_MIN: ok = lit_metric_add_state(m, "min_value", LIT_F32, 0, NULL, INFINITY, LIT_STATE_MIN) != NULL; break;
    case AGG_CAT: ok = lit_metric_add_state(m, "value", LIT_F32, 1, (int64_t[]){0}, 0.0, LIT_STATE_CAT) != NULL; break;
    }
    if (!ok) {
        lit_metric_free(m);
        return NULL;
    }
    return m;
}

lit_metric *lit__mean_like_new(const lit_metric_vtable *vt, const lit_aggregation_params *p) {
    return agg_new(vt, AGG_MEAN, p);
}

lit_metric *lit_mean_metric_new(const lit_aggregation_params *p) { return agg_new(&MEAN_VT, AGG_MEAN, p); }
lit_metric *lit_sum_metric_new(const lit_aggregation_params *p) { return agg_new(&SUM_VT, AGG_SUM, p); }
lit_metric *lit_max_metric_new(const lit_aggregation_params *p) { return agg_new(&MAX_VT, AGG_MAX, p); }
lit_metric *lit_min_metric_new(const lit_aggregation_params *p) { return agg_new(&MIN_VT, AGG_MIN, p); }
lit_metric *lit_cat_metric_new(const lit_aggregation_params *p) { return agg_new(&CAT_VT, AGG_CAT, p); }
