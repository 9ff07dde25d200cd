/*
 * View ops (reshape, permute, slice, select, expand, squeeze) and copies
 * (contiguous, clone, to_dtype): forward and backward side by side.
 */
#include <string.h>

#include "ops-impl.h"

lit_tensor *lit__make_view(lit_tensor *base, int ndim, const int64_t *shape, const int64_t *strides, void *data) {
    lit_tensor *v = lit__tensor_alloc_op(lit_arena_current(), base->dtype, ndim, shape, 0);
    memcpy(v->stride, strides, (size_t)ndim * sizeof(int64_t));
    v->data = data;
    v->base = base->base ? base->base : base;
    return v;
}

void lit__broadcast_shape(const lit_tensor *a, const lit_tensor *b, int *ndim, int64_t *shape, const char *op) {
    int n = a->ndim > b->ndim ? a->ndim : b->ndim;
    for (int i = 0; i < n; i++) {
        int ia = i - (n - a->ndim), ib = i - (n - b->ndim);
        int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
        LIT_ASSERT(sa == sb || sa == 1 || sb == 1,
                   "%s: shapes %s and %s do not broadcast (dim %d: %lld vs %lld); sizes must match or be 1 — "
                   "reshape or unsqueeze one operand",
                   op, LIT_SHAPE_STR(a), LIT_SHAPE_STR(b), i, (long long)sa, (long long)sb);
        shape[i] = sa == 1 ? sb : sa;
    }
    *ndim = n;
}

void lit__broadcast_strides(const lit_tensor *t, int ndim, const int64_t *shape, int64_t *strides) {
    int lead = ndim - t->ndim;
    for (int i = 0; i < ndim; i++) {
        int it = i - lead;
        strides[i] = (it < 0 || (t->shape[it] == 1 && shape[i] != 1)) ? 0 : t->stride[it];
    }
}

static void *offset_ptr(const lit_tensor *t, int64_t elements) {
    return (char *)t->data + elements * (int64_t)lit_dtype_size(t->dtype);
}

/* ---------------------------------------------------------------- reshape */

static void reshape_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *x = n->inputs[0];
    lit__accumulate_grad(x, lit_reshape(lit_contiguous((lit_tensor *)g), x->ndim, x->shape));
}

/* Strides for viewing t as `shape` without a copy, or 0 if impossible. */
static int view_strides(const lit_tensor *t, int ndim, const int64_t *shape, int64_t *strides) {
    if (lit_is_contiguous(t)) {
        int64_t s = 1;
        for (int i = ndim - 1; i >= 0; i--) {
            strides[i] = s;
            s *= shape[i];
        }
        return 1;
    }
    return 0;
}

lit_tensor *lit_reshape(lit_tensor *x, int ndim, const int64_t *shape) {
    lit__check_input(x, "lit_reshape");
    LIT_ASSERT(ndim >= 0 && ndim <= LIT_MAX_DIMS, "lit_reshape: %d dims; litc supports up to %d", ndim, LIT_MAX_DIMS);
    int64_t resolved[LIT_MAX_DIMS], known = 1;
    int infer = -1;
    for (int i = 0; i < ndim; i++) {
        resolved[i] = shape[i];
        if (shape[i] == -1) {
            LIT_ASSERT(infer < 0, "lit_reshape: more than one -1 in the new shape for %s", LIT_SHAPE_STR(x));
            infer = i;
        } else {
            LIT_ASSERT(shape[i] >= 0, "lit_reshape: negative size %lld in the new shape", (long long)shape[i]);
            known *= shape[i];
        }
    }
    if (infer >= 0) {
        LIT_ASSERT(known > 0 && x->numel % known == 0,
                   "lit_reshape: cannot infer -1: %lld elements of %s do not divide by %lld", (long long)x->numel,
                   LIT_SHAPE_STR(x), (long long)known);
        resolved[infer] = x->numel / known;
        known *= resolved[infer];
    }
    LIT_ASSERT(known == x->numel, "lit_reshape: cannot reshape %s (%lld elements) into a shape of %lld elements",
               LIT_SHAPE_STR(x), (long long)x->numel, (long long)known);
    int64_t strides[LIT_MAX_DIMS];
    lit_tensor *src = x;
    if (!view_strides(x, ndim, resolved, strides)) {
        src = lit_contiguous(x);
        view_strides(src, ndim, resolved, strides);
    }
    lit_tensor *out = lit__make_view(src, ndim, resolved, strides, src->data);
    lit__record("reshape", reshape_backward, out, 1, &x);
    return out;
}

lit_tensor *lit_flatten(lit_tensor *x, int start_dim, int end_dim) {
    lit__check_input(x, "lit_flatten");
    if (x->ndim == 0) return lit_reshape(x, 1, (int64_t[]){1});
    int s = lit__norm_dim(start_dim, x->ndim, "lit_flatten"), e = lit__norm_dim(end_dim, x->ndim, "lit_flatten");
    LIT_ASSERT(s <= e, "lit_flatten: start_dim %d is after end_dim %d", start_dim, end_dim);
    int64_t shape[LIT_MAX_DIMS];
    int n = 0;
    for (int i = 0; i < s; i++) shape[n++] = x->shape[i];
    int64_t m = 1;
    for (int i = s; i <= e; i++) m *= x->shape[i];
    shape[n++] = m;
    for (int i = e + 1; i < x->ndim; i++) shape[n++] = x->shape[i];
    return lit_reshape(x, n, shape);
}

/* ---------------------------------------------------------------- permute */

static void permute_backward(lit_node *n, const lit_tensor *g) {
    int inverse[LIT_MAX_DIMS];
    for (int i = 0; i < n->out->ndim; i++) inverse[n->ints[i]] = i;
    lit__accumulate_grad(n->inputs[0], lit_permute((lit_tensor *)g, inverse));
}

lit_tensor *lit_permute(lit_tensor *x, const int *dims) {
    lit__check_input(x, "lit_permute");
    int64_t shape[LIT_MAX_DIMS], strides[LIT_MAX_DIMS];
    int seen[LIT_MAX_DIMS] = {0};
    for (int i = 0; i < x->ndim; i++) {
        int d = lit__norm_dim(dims[i], x->ndim, "lit_permute");
        LIT_ASSERT(!seen[d], "lit_permute: dim %d appears twice; pass each of the %d dims once", d, x->ndim);
        seen[d] = 1;
        shape[i] = x->shape[d];
        strides[i] = x->stride[d];
    }
    lit_tensor *out = lit__make_view(x, x->ndim, shape, strides, x->data);
    lit_node *n = lit__record("permute", permute_backward, out, 1, &x);
    if (n)
        for (int i = 0; i < x->ndim; i++) n->ints[i] = lit__norm_dim(dims[i], x->ndim, "lit_permute");
    return out;
}

lit_tensor *lit_transpose(lit_tensor *x, int dim0, int dim1) {
    lit__check_input(x, "lit_transpose");
    int d0 = lit__norm_dim(dim0, x->ndim, "lit_transpose"), d1 = lit__norm_dim(dim1, x->ndim, "lit_transpose");
    int dims[LIT_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) dims[i] = i;
    dims[d0] = d1;
    dims[d1] = d0;
    return lit_permute(x, dims);
}

/* ---------------------------------------------------------------- slice / select */

static void slice_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *x = n->inputs[0];
    lit_tensor *full = lit_zeros(LIT_F32, x->ndim, x->shape);
    lit_tensor *window = lit_slice(full, (int)n->ints[0], n->ints[1], n->ints[2], n->ints[3]);
    lit_tensor_copy_(window, g);
    lit__accumulate_grad(x, full);
}

lit_tensor *lit_slice(lit_tensor *x, int dim, int64_t start, int64_t end, int64_t step) {
    lit__check_input(x, "lit_slice");
    int d = lit__norm_dim(dim, x->ndim, "lit_slice");
    LIT_ASSERT(step > 0, "lit_slice: step %lld; use a positive step", (long long)step);
    int64_t size = x->shape[d];
    if (start < 0) start += size;
    if (end < 0) end += size;
    if (start < 0) start = 0;
    if (end > size) end = size;
    if (start > size) start = size;
    if (end < start) end = start;
    int64_t shape[LIT_MAX_DIMS], strides[LIT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    memcpy(strides, x->stride, sizeof strides);
    shape[d] = (end - start + step - 1) / step;
    strides[d] = x->stride[d] * step;
    lit_tensor *out = lit__make_view(x, x->ndim, shape, strides, offset_ptr(x, start * x->stride[d]));
    lit_node *n = lit__record("slice", slice_backward, out, 1, &x);
    if (n) {
        n->ints[0] = d;
        n->ints[1] = start;
        n->ints[2] = end;
        n->ints[3] = step;
    }
    return out;
}

lit_tensor *lit_select(lit_tensor *x, int dim, int64_t index) {
    lit__check_input(x, "lit_select");
    int d = lit__norm_dim(dim, x->ndim, "lit_select");
    if (index < 0) index += x->shape[d];
    LIT_ASSERT(index >= 0 && index < x->shape[d], "lit_select: index %lld out of range for dim %d of %s",
               (long long)index, d, LIT_SHAPE_STR(x));
    return lit_squeeze(lit_slice(x, d, index, index + 1, 1), d);
}

/* ---------------------------------------------------------------- expand / squeeze */

static void expand_backward(lit_node *n, const lit_tensor *g) { lit__accumulate_grad(n->inputs[0], g); }

lit_tensor *lit_expand(lit_tensor *x, int ndim, const int64_t *shape) {
    lit__check_input(x, "lit_expand");
    LIT_ASSERT(ndim >= x->ndim && ndim <= LIT_MAX_DIMS, "lit_expand: cannot expand %s to %d dims", LIT_SHAPE_STR(x),
               ndim);
    int64_t resolved[LIT_MAX_DIMS], strides[LIT_MAX_DIMS];
    int lead = ndim - x->ndim;
    for (int i = 0; i < ndim; i++) {
        int ix = i - lead;
        int64_t have = ix >= 0 ? x->shape[ix] : 1;
        resolved[i] = shape[i] == -1 ? have : shape[i];
        LIT_ASSERT(have == resolved[i] || have == 1,
                   "lit_expand: dim %d of %s has size %lld and cannot expand to %lld (only size-1 dims expand)", i,
                   LIT_SHAPE_STR(x), (long long)have, (long long)resolved[i]);
        strides[i] = (ix < 0 || (have == 1 && resolved[i] != 1)) ? 0 : x->stride[ix];
    }
    lit_tensor *out = lit__make_view(x, ndim, resolved, strides, x->data);
    lit__record("expand", expand_backward, out, 1, &x);
    return out;
}

lit_tensor *lit_unsqueeze(lit_tensor *x, int dim) {
    lit__check_input(x, "lit_unsqueeze");
    int d = lit__norm_dim(dim, x->ndim + 1, "lit_unsqueeze");
    int64_t shape[LIT_MAX_DIMS];
    for (int i = 0, j = 0; i <= x->ndim; i++) shape[i] = i == d ? 1 : x->shape[j++];
    return lit_reshape(x, x->ndim + 1, shape);
}

lit_tensor *lit_squeeze(lit_tensor *x, int dim) {
    lit__check_input(x, "lit_squeeze");
    int d = lit__norm_dim(dim, x->ndim, "lit_squeeze");
    LIT_ASSERT(x->shape[d] == 1, "lit_squeeze: dim %d of %s has size %lld, not 1", d, LIT_SHAPE_STR(x),
               (long long)x->shape[d]);
    int64_t shape[LIT_MAX_DIMS], strides[LIT_MAX_DIMS];
    for (int i = 0, j = 0; i < x->ndim; i++) {
        if (i == d) continue;
        shape[j] = x->shape[i];
        strides[j++] = x->stride[i];
    }
    lit_tensor *out = lit__make_view(x, x->ndim - 1, shape, strides, x->data);
    lit__record("squeeze", reshape_backward, out, 1, &x);
    return out;
}

/* ---------------------------------------------------------------- copies */

static void copy_backward(lit_node *n, const lit_tensor *g) { lit__accumulate_grad(n->inputs[0], g); }

lit_tensor *lit_clone(lit_tensor *x) {
    lit__check_input(x, "lit_clone");
    lit_tensor *out = lit_empty(x->dtype, x->ndim, x->shape);
    lit_tensor_copy_(out, x);
    lit__record("clone", copy_backward, out, 1, &x);
    return out;
}

lit_tensor *lit_contiguous(lit_tensor *x) {
    lit__check_input(x, "lit_contiguous");
    if (lit_is_contiguous(x)) return x;
    return lit_clone(x);
}

static void to_dtype_backward(lit_node *n, const lit_tensor *g) { lit__accumulate_grad(n->inputs[0], g); }

lit_tensor *lit_to_dtype(lit_tensor *x, lit_dtype dt) {
    lit__check_input(x, "lit_to_dtype");
    if (x->dtype == dt) return x;
    lit_tensor *out = lit_empty(dt, x->ndim, x->shape);
    if (x->dtype == LIT_F32 && dt == LIT_BF16 && lit_is_contiguous(x))
        lit_f32_to_bf16_n(x->data, out->data, (size_t)x->numel);
    else if (x->dtype == LIT_BF16 && dt == LIT_F32 && lit_is_contiguous(x))
        lit_bf16_to_f32_n(x->data, out->data, (size_t)x->numel);
    else
        lit_tensor_copy_(out, x);
    if (lit_dtype_is_float(x->dtype) && lit_dtype_is_float(dt)) lit__record("to_dtype", to_dtype_backward, out, 1, &x);
    return out;
}
