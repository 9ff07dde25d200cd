/*
 * Define-by-run autograd: nodes recorded by ops in the current arena,
 * topological ordering from the loss, and anomaly mode (the first op that
 * made a value NaN or Inf, see autograd.h). The tape sits below the ops:
 * it calls the backward functions they recorded, never an op.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "litc/autograd.h"

static _Thread_local int grad_disabled;

/* ---- anomaly mode */

static _Thread_local int anomaly_enabled;
static _Thread_local lit_anomaly anomaly_first_[2]; /* [0]: forward, [1]: backward; kind 0 = none */

int lit_set_anomaly_enabled(int enabled) {
    int prev = anomaly_enabled;
    anomaly_enabled = enabled != 0;
    return prev;
}

int lit_is_anomaly_enabled(void) { return anomaly_enabled; }

const lit_anomaly *lit_anomaly_first(int backward) {
    const lit_anomaly *a = &anomaly_first_[backward != 0];
    return a->kind ? a : NULL;
}

void lit_anomaly_clear(void) { memset(anomaly_first_, 0, sizeof anomaly_first_); }

/* Where the first NaN and the first +-Inf of a tensor are (-1: none). */
typedef struct {
    int64_t nan_at, inf_at;
} nonfinite_scan;

static nonfinite_scan scan_nonfinite(const lit_tensor *t) {
    nonfinite_scan r = {-1, -1};
    if (!t || !lit_dtype_is_float(t->dtype)) return r;
    int contiguous_f32 = t->dtype == LIT_F32 && lit_is_contiguous(t);
    const float *f = contiguous_f32 ? t->data : NULL;
    for (int64_t i = 0; i < t->numel && (r.nan_at < 0 || r.inf_at < 0); i++) {
        double v = f ? f[i] : lit_get_flat(t, i);
        if (isfinite(v)) continue;
        if (isnan(v) && r.nan_at < 0) r.nan_at = i;
        if (isinf(v) && r.inf_at < 0) r.inf_at = i;
    }
    return r;
}

static int has_nonfinite(nonfinite_scan s) { return s.nan_at >= 0 || s.inf_at >= 0; }

/* Fill slot `backward` (if still empty) with the first NaN (else Inf) of t;
 * `name`: the tensor to name in the message (NULL: none). */
static void record_anomaly(int backward, lit_anomaly_kind kind, const char *op, int input, const lit_tensor *t,
                           const char *name, nonfinite_scan s) {
    lit_anomaly *a = &anomaly_first_[backward];
    if (a->kind) return;
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->backward = backward;
    a->op = op;
    a->input = input;
    if (name) snprintf(a->name, sizeof a->name, "%s", name);
    a->index = s.nan_at >= 0 ? s.nan_at : s.inf_at;
    a->value = (float)lit_get_flat(t, a->index);
    a->ndim = t->ndim;
    memcpy(a->shape, t->shape, sizeof a->shape);
}

/* After an op computed `out` from `inputs` (rules in autograd.h). */
static void check_forward(const char *op, const lit_tensor *out, int n_inputs, lit_tensor *const *inputs,
                          int inf_by_design) {
    if (anomaly_first_[0].kind) return; /* only the first one counts */
    nonfinite_scan so = scan_nonfinite(out);
    if (so.nan_at < 0 && (so.inf_at < 0 || inf_by_design)) return;
    int want_nan = so.nan_at >= 0;
    for (int i = 0; i < n_inputs; i++) {
        nonfinite_scan si = scan_nonfinite(inputs[i]);
        if (want_nan ? si.nan_at < 0 : si.inf_at < 0) continue;
        if (!want_nan) return; /* an Inf passed along (a -inf mask) is not an anomaly */
        record_anomaly(0, LIT_ANOMALY_INPUT, op, i, inputs[i], inputs[i]->name, si);
        return;
    }
    record_anomaly(0, LIT_ANOMALY_PRODUCED, op, -1, out, NULL, so);
}

/* After node n's backward: the gradients it accumulated into its inputs. */
static void check_backward(const lit_node *n) {
    if (anomaly_first_[1].kind) return;
    for (int i = 0; i < n->n_inputs; i++) {
        const lit_tensor *in = n->inputs[i];
        if (!lit__needs_grad(in) || !in->grad) continue;
        nonfinite_scan s = scan_nonfinite(in->grad);
        if (!has_nonfinite(s)) continue;
        record_anomaly(1, LIT_ANOMALY_PRODUCED, n->op, i, in->grad, in->name, s);
        return;
    }
}

/* v as printf's %g, but "nan" for every NaN (glibc prints "-nan" for a
 * negative one, and log(-1) makes one). */
static const char *value_str(double v, char *buf, size_t n) {
    if (isnan(v)) return "nan";
    snprintf(buf, n, "%g", v);
    return buf;
}

char *lit_anomaly_str(const lit_anomaly *a, char *buf, size_t n) {
    char shape[96], value[32];
    const char *v = value_str(a->value, value, sizeof value);
    lit_tensor hdr = {.ndim = a->ndim};
    memcpy(hdr.shape, a->shape, sizeof hdr.shape);
    lit_shape_str(&hdr, shape, sizeof shape);
    char named[96] = "";
    if (a->name[0]) snprintf(named, sizeof named, ", '%s'", a->name);
    if (a->kind == LIT_ANOMALY_PRODUCED && !a->backward)
        snprintf(buf, n, "op '%s' produced %s in forward (output shape %s)", a->op, v, shape);
    else if (a->kind == LIT_ANOMALY_PRODUCED)
        snprintf(buf, n, "op '%s' produced %s in backward (gradient of its input %d%s, shape %s)", a->op, v,
                 a->input, named, shape);
    else if (a->backward)
        snprintf(buf, n, "the gradient given to backward is already %s (element %lld of %s)", v,
                 (long long)a->index, shape);
    else
        snprintf(buf, n, "input %d of op '%s' is already %s (element %lld of %s%s): it entered the graph non-finite%s",
                 a->input, a->op, v, (long long)a->index, shape, named,
                 a->name[0] ? "" : " (the batch, a constant or a tensor written by hand)");
    return buf;
}

/* ---- recording */

int lit_set_grad_enabled(int enabled) {
    int prev = !grad_disabled;
    grad_disabled = !enabled;
    return prev;
}

int lit_is_grad_enabled(void) { return !grad_disabled; }

int lit__needs_grad(const lit_tensor *t) { return t && t->requires_grad; }

static lit_node *record(const char *op, lit_backward_fn fn, lit_tensor *out, int n_inputs,
                        lit_tensor *const *inputs, int inf_by_design) {
    if (anomaly_enabled) check_forward(op, out, n_inputs, inputs, inf_by_design);
    if (grad_disabled) return NULL;
    int any = 0;
    for (int i = 0; i < n_inputs; i++) any |= lit__needs_grad(inputs[i]);
    if (!any) return NULL;
    LIT_ASSERT(n_inputs <= LIT_NODE_MAX_INPUTS, "%s: %d inputs; a node holds at most %d", op, n_inputs,
               LIT_NODE_MAX_INPUTS);
    LIT_ASSERT(lit_dtype_is_float(out->dtype), "%s: an integer output cannot require grad", op);
    lit_node *node = lit_arena_calloc(lit_arena_current(), sizeof *node);
    node->op = op;
    node->backward = fn;
    node->out = out;
    node->n_inputs = n_inputs;
    for (int i = 0; i < n_inputs; i++) node->inputs[i] = inputs[i];
    out->requires_grad = 1;
    out->grad_fn = node;
    return node;
}

lit_node *lit__record(const char *op, lit_backward_fn fn, lit_tensor *out, int n_inputs,
                      lit_tensor *const *inputs) {
    return record(op, fn, out, n_inputs, inputs, 0);
}

lit_node *lit__record_fill(const char *op, lit_backward_fn fn, lit_tensor *out, int n_inputs,
                           lit_tensor *const *inputs, double fill) {
    return record(op, fn, out, n_inputs, inputs, isinf(fill));
}

static lit_tensor *new_grad_for(lit_tensor *t) {
    if (t->grad_spare) { /* storage of a gradient set to none: no malloc in steady state */
        lit_tensor *g = t->grad_spare;
        t->grad_spare = NULL;
        lit_tensor_zero_(g);
        return g;
    }
    /* Leaves keep their gradient where they live; intermediates in the step arena. */
    lit_arena *where = t->grad_fn ? lit_arena_current() : t->arena;
    lit_tensor *g = lit_tensor_new(where, LIT_F32, t->ndim, t->shape);
    LIT_ASSERT(g != NULL, "autograd: cannot allocate the gradient of %s: %s", LIT_SHAPE_STR(t), lit_last_error());
    return g;
}

lit_tensor *lit__grad_buffer(lit_tensor *t) {
    if (!t->grad) t->grad = new_grad_for(t);
    return t->grad;
}

/* The gradient handed to backward (out's shape, checked by the caller)
 * added into out->grad. No broadcast sum is needed, so the tape calls no
 * op: the ops sit above it (their gradients go through
 * lit__accumulate_grad, src/ops/grad.c). */
static void seed_grad(lit_tensor *t, const lit_tensor *g) {
    LIT_ASSERT(g->dtype == LIT_F32, "autograd: gradients are f32, got %s", lit_dtype_name(g->dtype));
    float *dst = lit_f32(lit__grad_buffer(t));
    if (lit_is_contiguous(g)) {
        const float *src = g->data;
        for (int64_t i = 0; i < t->numel; i++) dst[i] += src[i];
    } else {
        for (int64_t i = 0; i < t->numel; i++) dst[i] += (float)lit_get_flat(g, i);
    }
}

/* ---- backward */

static uint32_t visit_epoch;

typedef struct {
    lit_node **items;
    int64_t n, cap;
} node_list;

static void list_push(node_list *l, lit_node *n) {
    if (l->n == l->cap) {
        int64_t cap = l->cap ? l->cap * 2 : 256;
        lit_node **items = lit_arena_alloc(lit_arena_current(), (size_t)cap * sizeof *items);
        if (l->n) memcpy(items, l->items, (size_t)l->n * sizeof *items);
        l->items = items;
        l->cap = cap;
    }
    l->items[l->n++] = n;
}

/* Iterative DFS post-order: `order` lists producers before consumers, so
 * walking it backwards visits each node after all its consumers. */
static node_list topo_order(lit_node *root) {
    node_list order = {0}, stack = {0};
    uint32_t mark = ++visit_epoch * 2; /* mark: entered; mark+1: finished */
    root->visit = mark;
    list_push(&stack, root);
    while (stack.n) {
        lit_node *n = stack.items[stack.n - 1];
        int pushed = 0;
        for (int i = 0; i < n->n_inputs; i++) {
            lit_tensor *in = n->inputs[i];
            if (!in || !in->grad_fn) continue;
            lit_node *c = in->grad_fn;
            if (c->visit != mark && c->visit != mark + 1) {
                c->visit = mark;
                list_push(&stack, c);
                pushed = 1;
                break;
            }
        }
        if (!pushed) {
            stack.n--;
            n->visit = mark + 1;
            list_push(&order, n);
        }
    }
    return order;
}

void lit_backward_with_grad(lit_tensor *out, const lit_tensor *grad) {
    lit_tensor_check(out, "lit_backward");
    LIT_ASSERT(out->requires_grad,
               "lit_backward: tensor %s does not require grad: no input of the graph has requires_grad set "
               "(set it on parameters), or it was computed in a no-grad region",
               LIT_SHAPE_STR(out));
    lit_tensor_check(grad, "lit_backward");
    LIT_ASSERT(lit_same_shape(out, grad), "lit_backward: gradient %s does not match output %s",
               LIT_SHAPE_STR(grad), LIT_SHAPE_STR(out));
    if (!out->grad_fn) { /* a leaf: its gradient is the given one */
        seed_grad(out, grad);
        return;
    }
    int prev = lit_set_grad_enabled(0);
    node_list order = topo_order(out->grad_fn);
    /* Fresh intermediate gradients on every walk. */
    for (int64_t i = 0; i < order.n; i++) {
        lit_tensor_check(order.items[i]->out, order.items[i]->op);
        order.items[i]->out->grad = NULL;
    }
    seed_grad(out, grad);
    if (anomaly_enabled && !anomaly_first_[1].kind) {
        nonfinite_scan s = scan_nonfinite(grad);
        if (has_nonfinite(s)) record_anomaly(1, LIT_ANOMALY_INPUT, NULL, -1, grad, NULL, s);
    }
    for (int64_t i = order.n - 1; i >= 0; i--) {
        lit_node *n = order.items[i];
        if (!n->out->grad) continue; /* nothing flowed into this branch */
        n->backward(n, n->out->grad);
        if (anomaly_enabled) check_backward(n);
    }
    lit_set_grad_enabled(prev);
}

void lit_backward(lit_tensor *loss) {
    lit_tensor_check(loss, "lit_backward");
    LIT_ASSERT(loss->numel == 1,
               "lit_backward: output %s has %lld elements; backward needs a scalar loss (reduce it with "
               "lit_mean_all/lit_sum_all) or an explicit gradient via lit_backward_with_grad",
               LIT_SHAPE_STR(loss), (long long)loss->numel);
    lit_backward_with_grad(loss, lit_ones(LIT_F32, loss->ndim, loss->shape));
}

lit_tensor *lit_detach(lit_tensor *t) {
    lit_tensor_check(t, "lit_detach");
    lit_tensor *d = lit__tensor_alloc_op(lit_arena_current(), t->dtype, t->ndim, t->shape, 0);
    memcpy(d->stride, t->stride, sizeof d->stride);
    d->data = t->data;
    d->base = t->base ? t->base : t;
    return d;
}

void lit_zero_grad(lit_tensor **params, int n, int set_to_none) {
    for (int i = 0; i < n; i++) {
        if (!params[i] || !params[i]->grad) continue;
        if (set_to_none) {
            /* Keep the storage for the next backward: .grad reads as none. */
            if (!params[i]->grad_spare) params[i]->grad_spare = params[i]->grad;
            else lit_tensor_free(params[i]->grad);
            params[i]->grad = NULL;
        } else {
            lit_tensor_zero_(params[i]->grad);
        }
    }
}
