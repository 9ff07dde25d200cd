/*
 * src/metrics/metric.c — the metric base: declared states with defaults and
 * merge reductions, update/compute/forward/reset/merge/clone, update counts.
 *
 * States are heap tensors. A CAT state is a header over a realloc'd buffer
 * of `cap` rows whose shape[0] is the rows in use, so appends are amortised
 * O(1) and a reset keeps the buffer. forward() needs a second set of states
 * (the "spares"): it swaps the contents of the live and spare headers, so
 * the header pointers a metric holds stay valid and nothing is copied.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "litc/autograd.h"
#include "metric-impl.h"

#define STATE_NAME_MAX 32

typedef struct {
    char name[STATE_NAME_MAX];
    lit_dtype dt;
    int ndim;
    int64_t shape[LIT_MAX_DIMS]; /* CAT: shape[0] unused (rows in use live in t) */
    double def;
    lit_state_reduce reduce;
    lit_tensor *t;     /* live */
    int64_t cap;       /* CAT: rows t's buffer holds */
    lit_tensor *spare; /* forward()'s swap partner; NULL until the first forward */
    int64_t spare_cap;
} mstate;

struct lit_metric {
    const lit_metric_vtable *vt;
    void *user;
    int n_states;
    mstate st[LIT_METRIC_MAX_STATES];
    lit_tensor *result;
    int64_t update_count;
    int higher_is_better;
    int full_state_update;
    int warned_compute;
    int has_batch_value;  /* forward() ran since the last reset (TorchMetrics' _forward_cache) */
    double batch_value;
};

/* ---------------------------------------------------------------- state storage */

static int64_t row_elems(const mstate *s) {
    int64_t n = 1;
    for (int d = 1; d < s->ndim; d++) n *= s->shape[d];
    return n;
}

static void set_rows(lit_tensor *t, int64_t rows) {
    t->shape[0] = rows;
    t->numel = lit_numel_of(t->ndim, t->shape);
}

static void store(lit_tensor *t, int64_t i, double v) {
    switch (t->dtype) {
    case LIT_F32: ((float *)t->data)[i] = (float)v; break;
    case LIT_BF16: ((uint16_t *)t->data)[i] = lit_f32_to_bf16((float)v); break;
    case LIT_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
    case LIT_I64: ((int64_t *)t->data)[i] = (int64_t)v; break;
    default: break;
    }
}

/* A fresh tensor for state s (CAT: empty, with room for 16 rows). */
static lit_tensor *state_alloc(const mstate *s, int64_t *cap) {
    if (s->reduce != LIT_STATE_CAT) {
        lit_tensor *t = lit_tensor_new(NULL, s->dt, s->ndim, s->shape);
        if (t) lit_tensor_fill_(t, s->def);
        return t;
    }
    int64_t shape[LIT_MAX_DIMS];
    memcpy(shape, s->shape, sizeof shape);
    shape[0] = 0;
    lit_tensor *t = lit__tensor_alloc(NULL, s->dt, s->ndim, shape, 0);
    if (!t) return NULL;
    *cap = 16;
    size_t row_bytes = (size_t)row_elems(s) * lit_dtype_size(s->dt);
    t->data = malloc((size_t)*cap * (row_bytes ? row_bytes : 1));
    if (!t->data) {
        lit_tensor_free(t);
        lit_set_error(LIT_ERR_NOMEM, "metric: cannot allocate CAT state '%s'", s->name);
        return NULL;
    }
    return t;
}

static void state_reset(const mstate *s, lit_tensor *t) {
    if (s->reduce == LIT_STATE_CAT)
        set_rows(t, 0);
    else
        lit_tensor_fill_(t, s->def);
}

/* Append the rows of contiguous `rows` (n_rows of the state's row shape, any
 * dtype) to CAT tensor t. */
static lit_status cat_append(const mstate *s, lit_tensor *t, int64_t *cap, const lit_tensor *rows, int64_t n_rows) {
    if (n_rows == 0) return LIT_OK;
    int64_t have = t->shape[0], re = row_elems(s);
    size_t es = lit_dtype_size(s->dt);
    if (have + n_rows > *cap) {
        int64_t nc = *cap * 2;
        if (nc < have + n_rows) nc = have + n_rows;
        void *p = realloc(t->data, (size_t)nc * (size_t)(re ? re : 1) * es);
        if (!p) return lit_set_error(LIT_ERR_NOMEM, "metric: cannot grow CAT state '%s' to %lld rows", s->name,
                                     (long long)nc);
        t->data = p;
        *cap = nc;
    }
    int64_t n = n_rows * re, off = have * re;
    if (rows->dtype == s->dt) {
        memcpy((char *)t->data + (size_t)off * es, rows->data, (size_t)n * es);
    } else {
        for (int64_t i = 0; i < n; i++) store(t, off + i, lit__mx_ld(rows, i));
    }
    set_rows(t, have + n_rows);
    return LIT_OK;
}

/* dst <- reduce(dst, src) for one state; na/nb are the update counts (MEAN). */
static lit_status merge_one(const mstate *s, lit_tensor *dst, int64_t *dst_cap, const lit_tensor *src, int64_t na,
                            int64_t nb) {
    if (s->reduce == LIT_STATE_CAT) return cat_append(s, dst, dst_cap, src, src->shape[0]);
    int ints = dst->dtype == LIT_I64 || dst->dtype == LIT_I32;
    for (int64_t i = 0; i < dst->numel; i++) {
        double a = lit__mx_ld(dst, i), b = lit__mx_ld(src, i), r;
        switch (s->reduce) {
        case LIT_STATE_SUM:
            if (dst->dtype == LIT_I64) { /* exact beyond 2^53 */
                ((int64_t *)dst->data)[i] += ((const int64_t *)src->data)[i];
                continue;
            }
            r = a + b;
            break;
        case LIT_STATE_MEAN:
            r = na + nb > 0 ? (a * (double)na + b * (double)nb) / (double)(na + nb) : 0.5 * (a + b);
            if (ints) r = nearbyint(r);
            break;
        case LIT_STATE_MAX: r = isnan(a) || isnan(b) ? NAN : (a > b ? a : b); break;
        case LIT_STATE_MIN: r = isnan(a) || isnan(b) ? NAN : (a < b ? a : b); break;
        default: r = a; break;
        }
        store(dst, i, r);
    }
    return LIT_OK;
}

static void swap_tensors(lit_tensor *a, lit_tensor *b) {
    lit_tensor tmp = *a;
    *a = *b;
    *b = tmp;
}

static void swap_all(lit_metric *m) {
    for (int i = 0; i < m->n_states; i++) {
        mstate *s = &m->st[i];
        swap_tensors(s->t, s->spare);
        int64_t c = s->cap;
        s->cap = s->spare_cap;
        s->spare_cap = c;
    }
}

static lit_status ensure_spares(lit_metric *m) {
    for (int i = 0; i < m->n_states; i++) {
        mstate *s = &m->st[i];
        if (s->spare) continue;
        s->spare = state_alloc(s, &s->spare_cap);
        if (!s->spare) return LIT_ERR_NOMEM;
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- life cycle */

lit_metric *lit_metric_new(const lit_metric_vtable *vt, void *user) {
    if (!vt || vt->version != LIT_METRIC_VERSION || !vt->update || !vt->compute) {
        if (vt && vt->free_user && user) vt->free_user(user);
        lit_set_error(LIT_ERR_INVALID_ARG,
                      "lit_metric_new: %s vtable%s%s: set version = LIT_METRIC_VERSION (%d), update and compute",
                      !vt ? "NULL" : "incomplete", vt && vt->name ? " of " : "", vt && vt->name ? vt->name : "",
                      LIT_METRIC_VERSION);
        return NULL;
    }
    lit_metric *m = calloc(1, sizeof *m);
    if (!m) {
        if (vt->free_user && user) vt->free_user(user);
        lit_set_error(LIT_ERR_NOMEM, "lit_metric_new: out of memory for %s", vt->name ? vt->name : "metric");
        return NULL;
    }
    m->vt = vt;
    m->user = user;
    m->higher_is_better = -1;
    return m;
}

void lit_metric_free(lit_metric *m) {
    if (!m) return;
    for (int i = 0; i < m->n_states; i++) {
        lit_tensor_free(m->st[i].t);
        lit_tensor_free(m->st[i].spare);
    }
    lit_tensor_free(m->result);
    if (m->vt->free_user && m->user) m->vt->free_user(m->user);
    free(m);
}

lit_tensor *lit_metric_add_state(lit_metric *m, const char *name, lit_dtype dt, int ndim, const int64_t *shape,
                                 double default_value, lit_state_reduce reduce) {
    LIT_ASSERT(m != NULL, "lit_metric_add_state: NULL metric");
    const char *who = lit_metric_name(m);
    if (!name || !name[0] || strlen(name) >= STATE_NAME_MAX) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: state name '%s' must have 1..%d characters", who,
                      name ? name : "(null)", STATE_NAME_MAX - 1);
        return NULL;
    }
    if (m->update_count > 0) {
        lit_set_error(LIT_ERR_STATE, "%s: state '%s' declared after update(); declare states at construction", who,
                      name);
        return NULL;
    }
    if (m->n_states >= LIT_METRIC_MAX_STATES) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: state '%s': at most %d states", who, name, LIT_METRIC_MAX_STATES);
        return NULL;
    }
    if (lit_metric_state(m, name)) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: state '%s' declared twice", who, name);
        return NULL;
    }
    if (ndim < 0 || ndim > LIT_MAX_DIMS || (ndim > 0 && !shape) || dt < 0 || dt >= LIT_DTYPE_COUNT ||
        (int)reduce < LIT_STATE_SUM || reduce > LIT_STATE_MIN || (reduce == LIT_STATE_CAT && ndim < 1)) {
        lit_set_error(LIT_ERR_INVALID_ARG,
                      "%s: state '%s': bad dtype/shape/reduction (ndim %d, dtype %d, reduce %d; CAT needs ndim >= 1)",
                      who, name, ndim, (int)dt, (int)reduce);
        return NULL;
    }
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0) {
            lit_set_error(LIT_ERR_INVALID_ARG, "%s: state '%s': dim %d has size %lld", who, name, d,
                          (long long)shape[d]);
            return NULL;
        }
    }
    mstate *s = &m->st[m->n_states];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->dt = dt;
    s->ndim = ndim;
    for (int d = 0; d < ndim; d++) s->shape[d] = shape[d];
    if (reduce == LIT_STATE_CAT) s->shape[0] = 0;
    s->def = default_value;
    s->reduce = reduce;
    s->t = state_alloc(s, &s->cap);
    if (!s->t) return NULL;
    m->n_states++;
    return s->t;
}

lit_tensor *lit_metric_state(const lit_metric *m, const char *name) {
    if (!m || !name) return NULL;
    for (int i = 0; i < m->n_states; i++)
        if (strcmp(m->st[i].name, name) == 0) return m->st[i].t;
    return NULL;
}

lit_tensor *lit__metric_state_at(const lit_metric *m, int i) {
    LIT_ASSERT(i >= 0 && i < m->n_states, "metric %s: state %d of %d", m->vt->name, i, m->n_states);
    return m->st[i].t;
}

lit_tensor *lit_metric_cat_state(lit_metric *m, const char *name, const lit_tensor *rows) {
    LIT_ASSERT(m != NULL, "lit_metric_cat_state: NULL metric");
    const char *who = lit_metric_name(m);
    mstate *s = NULL;
    for (int i = 0; i < m->n_states; i++)
        if (name && strcmp(m->st[i].name, name) == 0) s = &m->st[i];
    if (!s || s->reduce != LIT_STATE_CAT) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: no CAT state named '%s'", who, name ? name : "(null)");
        return NULL;
    }
    if (!rows) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: NULL rows for CAT state '%s'", who, s->name);
        return NULL;
    }
    lit_tensor_check(rows, "lit_metric_cat_state");
    int lead = rows->ndim == s->ndim; /* else a single row of ndim - 1 dims */
    int ok = lead || rows->ndim == s->ndim - 1;
    for (int d = 1; ok && d < s->ndim; d++) ok = rows->shape[d - 1 + lead] == s->shape[d];
    if (!ok) {
        lit_set_error(LIT_ERR_SHAPE, "%s: rows %s do not fit CAT state '%s' (%d dims, rows of %lld elements)", who,
                      LIT_SHAPE_STR(rows), s->name, s->ndim, (long long)row_elems(s));
        return NULL;
    }
    const lit_tensor *c = lit__mx_contig(rows);
    if (cat_append(s, s->t, &s->cap, c, lead ? rows->shape[0] : 1) < 0) return NULL;
    return s->t;
}

lit_tensor *lit_metric_result_tensor(lit_metric *m, lit_dtype dt, int ndim, const int64_t *shape) {
    LIT_ASSERT(m != NULL, "lit_metric_result_tensor: NULL metric");
    lit_tensor *r = m->result;
    if (r && r->dtype == dt && r->ndim == ndim) {
        int same = 1;
        for (int d = 0; d < ndim; d++) same &= r->shape[d] == shape[d];
        if (same) return r; /* reuse: no malloc per compute */
    }
    lit_tensor *t = lit_tensor_new(NULL, dt, ndim, shape);
    if (!t) return NULL;
    lit_tensor_free(m->result);
    m->result = t;
    return t;
}

/* ---------------------------------------------------------------- update / compute */

static lit_status do_update(lit_metric *m, const lit_tensor *preds, const lit_tensor *target,
                            const lit_tensor *weight) {
    lit_status st = m->vt->update(m, preds, target, weight);
    if (st < 0) return st;
    m->update_count++;
    return LIT_OK;
}

lit_status lit_metric_update(lit_metric *m, const lit_tensor *preds, const lit_tensor *target) {
    if (!m) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_metric_update: NULL metric");
    return do_update(m, preds, target, NULL);
}

lit_status lit_metric_update_weighted(lit_metric *m, const lit_tensor *preds, const lit_tensor *target,
                                      const lit_tensor *weight) {
    if (!m) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_metric_update_weighted: NULL metric");
    return do_update(m, preds, target, weight);
}

lit_status lit_metric_update_scalar(lit_metric *m, double value, double weight) {
    if (!m) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_metric_update_scalar: NULL metric");
    lit_tensor *v = lit_scalar(value);
    if (weight == 1.0) return do_update(m, v, NULL, NULL);
    return do_update(m, v, NULL, lit_scalar(weight));
}

lit_status lit_metric_compute(lit_metric *m, lit_tensor **out) {
    if (out) *out = NULL;
    if (!m) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_metric_compute: NULL metric");
    if (m->update_count == 0 && !m->warned_compute) {
        /* TorchMetrics warns and computes on the default states. */
        m->warned_compute = 1;
        lit_logf(LIT_LOG_WARN,
                 "%s: compute() called before update(); the value comes from the default states",
                 lit_metric_name(m));
    }
    lit_tensor *r = NULL;
    lit_status st = m->vt->compute(m, &r);
    if (st < 0) return st;
    if (!r) return lit_set_error(LIT_ERR_STATE, "%s: compute gave no result", lit_metric_name(m));
    if (out) *out = r;
    return LIT_OK;
}

lit_status lit_metric_compute_scalar(lit_metric *m, double *out) {
    lit_tensor *r;
    LIT_TRY(lit_metric_compute(m, &r));
    if (r->numel != 1)
        return lit_set_error(LIT_ERR_SHAPE, "%s: compute gives %s, not one value; use lit_metric_compute",
                             lit_metric_name(m), LIT_SHAPE_STR(r));
    if (out) *out = lit_item(r);
    return LIT_OK;
}

lit_status lit_metric_forward_tensor(lit_metric *m, const lit_tensor *preds, const lit_tensor *target,
                                     const lit_tensor *weight, lit_tensor **out) {
    if (out) *out = NULL;
    if (!m) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_metric_forward: NULL metric");
    LIT_TRY(ensure_spares(m));
    lit_tensor *r = NULL;
    lit_status st;
    if (m->full_state_update) {
        /* The full state first, then the batch alone on fresh states. */
        LIT_TRY(do_update(m, preds, target, weight));
        int64_t saved = m->update_count;
        swap_all(m);
        for (int i = 0; i < m->n_states; i++) state_reset(&m->st[i], m->st[i].t);
        m->update_count = 0;
        st = do_update(m, preds, target, weight);
        if (st >= 0) st = m->vt->compute(m, &r);
        swap_all(m);
        m->update_count = saved;
    } else {
        /* Set the running states aside, update and compute the batch alone,
         * then reduce the batch's states into the running ones. */
        int64_t saved = m->update_count;
        swap_all(m);
        for (int i = 0; i < m->n_states; i++) state_reset(&m->st[i], m->st[i].t);
        m->update_count = 0;
        st = m->vt->update(m, preds, target, weight);
        if (st < 0) {
            swap_all(m);
            m->update_count = saved;
            return st;
        }
        m->update_count = 1;
        st = m->vt->compute(m, &r);
        swap_all(m); /* live = running, spare = batch */
        for (int i = 0; i < m->n_states && st >= 0; i++) {
            mstate *s = &m->st[i];
            st = merge_one(s, s->t, &s->cap, s->spare, saved, 1);
        }
        m->update_count = saved + 1;
    }
    if (st < 0) return st;
    /* Remember a one-value batch result for lit_module_log_metric(on_step). */
    m->has_batch_value = r && r->numel == 1;
    if (m->has_batch_value) m->batch_value = lit_item(r);
    if (out) *out = r;
    return LIT_OK;
}

int lit_metric_batch_value(const lit_metric *m, double *out) {
    if (!m || !m->has_batch_value) return 0;
    if (out) *out = m->batch_value;
    return 1;
}

lit_status lit_metric_forward(lit_metric *m, const lit_tensor *preds, const lit_tensor *target, double *batch_value) {
    lit_tensor *r;
    LIT_TRY(lit_metric_forward_tensor(m, preds, target, NULL, &r));
    if (!batch_value) return LIT_OK;
    if (!r || r->numel != 1)
        return lit_set_error(LIT_ERR_SHAPE, "%s: forward's batch value is %s, not one value; use "
                             "lit_metric_forward_tensor", lit_metric_name(m),
                             r ? LIT_SHAPE_STR(r) : "missing");
    *batch_value = lit_item(r);
    return LIT_OK;
}

void lit_metric_reset(lit_metric *m) {
    if (!m) return;
    for (int i = 0; i < m->n_states; i++) state_reset(&m->st[i], m->st[i].t);
    m->update_count = 0;
    m->has_batch_value = 0;
}

/* ---------------------------------------------------------------- merge / clone */

lit_status lit_metric_merge(lit_metric *dst, const lit_metric *src) {
    if (!dst || !src) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_metric_merge: NULL metric");
    const char *who = lit_metric_name(dst);
    if (dst == src) return lit_set_error(LIT_ERR_INVALID_ARG, "%s: merge of a metric into itself", who);
    if (dst->vt != src->vt || dst->n_states != src->n_states)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: cannot merge a %s (another class)", who,
                             lit_metric_name(src));
    for (int i = 0; i < dst->n_states; i++) {
        const mstate *a = &dst->st[i], *b = &src->st[i];
        int same = strcmp(a->name, b->name) == 0 && a->dt == b->dt && a->ndim == b->ndim && a->reduce == b->reduce;
        for (int d = a->reduce == LIT_STATE_CAT ? 1 : 0; same && d < a->ndim; d++) same = a->shape[d] == b->shape[d];
        if (!same)
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s: cannot merge: state '%s' differs in layout (%s vs %s)",
                                 who, a->name, LIT_SHAPE_STR(a->t), LIT_SHAPE_STR(b->t));
    }
    for (int i = 0; i < dst->n_states; i++) {
        mstate *a = &dst->st[i];
        LIT_TRY(merge_one(a, a->t, &a->cap, src->st[i].t, dst->update_count, src->update_count));
    }
    dst->update_count += src->update_count;
    return LIT_OK;
}

lit_metric *lit_metric_clone(const lit_metric *m) {
    if (!m) {
        lit_set_error(LIT_ERR_INVALID_ARG, "lit_metric_clone: NULL metric");
        return NULL;
    }
    void *user = m->user;
    if (m->user && m->vt->free_user && !m->vt->clone_user) {
        /* Sharing a user the metric frees would free it twice. */
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: clone needs clone_user (the vtable frees user)", m->vt->name);
        return NULL;
    }
    if (m->vt->clone_user && m->user) {
        user = m->vt->clone_user(m->user);
        if (!user) {
            lit_set_error(LIT_ERR_NOMEM, "%s: clone: cannot copy the metric's data", m->vt->name);
            return NULL;
        }
    }
    lit_metric *c = lit_metric_new(m->vt, user);
    if (!c) return NULL;
    c->higher_is_better = m->higher_is_better;
    c->full_state_update = m->full_state_update;
    for (int i = 0; i < m->n_states; i++) {
        const mstate *s = &m->st[i];
        if (!lit_metric_add_state(c, s->name, s->dt, s->ndim, s->shape, s->def, s->reduce)) {
            lit_metric_free(c);
            return NULL;
        }
    }
    return c;
}

/* ---------------------------------------------------------------- accessors */

const char *lit_metric_name(const lit_metric *m) { return m && m->vt->name ? m->vt->name : "metric"; }
int64_t lit_metric_update_count(const lit_metric *m) { return m ? m->update_count : 0; }
int lit_metric_higher_is_better(const lit_metric *m) { return m ? m->higher_is_better : -1; }
void lit_metric_set_higher_is_better(lit_metric *m, int v) {
    if (m) m->higher_is_better = v > 0 ? 1 : v == 0 ? 0 : -1;
}
void lit_metric_set_full_state_update(lit_metric *m, int v) {
    if (m) m->full_state_update = v != 0;
}
void *lit_metric_user(const lit_metric *m) { return m ? m->user : NULL; }
