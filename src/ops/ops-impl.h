/*
 * src/ops/ops-impl.h — helpers shared by the op implementations.
 *
 * Each op family lives in one file (forward and backward side by side):
 * view.c, elementwise.c, reduce.c, matmul.c, norm.c, index.c (embedding,
 * gather, one_hot), where.c (where, masked_fill), concat.c (concat, split,
 * chunk), loss.c, dropout.c, attention.c, range.c (arange_int), topk.c,
 * sample.c (multinomial, categorical). An op:
 *   1. validates inputs with lit__check_input / lit__check_f32 (liveness,
 *      dtype) and LIT_ASSERTs on shapes naming the op, the shapes and a fix;
 *   2. allocates its output in the current arena (lit_empty);
 *   3. computes, on contiguous data where that keeps the kernel simple
 *      (lit_contiguous copies only when needed);
 *   4. calls lit__record(...) and saves what backward needs in the node.
 * Backward functions run with grad mode off, may call other ops (no graph is
 * recorded), and must accumulate with lit__accumulate_grad, which sums a
 * broadcast gradient down to the input's shape.
 */
#ifndef LITC_OPS_IMPL_H
#define LITC_OPS_IMPL_H

#include "litc/autograd.h"
#include "litc/ops.h"
#include "litc/tensor.h"

#include "core/par-impl.h"

/* Add `g` (f32, same shape as t, or broadcastable-to t's shape from a larger
 * broadcast shape — summed down) into t->grad, allocating it on first use
 * (lit__grad_buffer); nothing when t needs no gradient. src/ops/grad.c. */
void lit__accumulate_grad(lit_tensor *t, const lit_tensor *g);

/* Liveness check (NULL, freed, reset arena). */
static inline void lit__check_input(const lit_tensor *t, const char *op) {
    lit__op_enter(op); /* named in an out-of-memory message */
    lit_tensor_check(t, op);
}

/* Liveness + f32 dtype, with the conversion hint. */
static inline void lit__check_f32(const lit_tensor *t, const char *op) {
    lit__op_enter(op);
    lit_tensor_check(t, op);
    LIT_ASSERT(t->dtype == LIT_F32, "%s: input %s has dtype %s; this op computes in f32: convert with lit_to_dtype(x, LIT_F32)",
               op, LIT_SHAPE_STR(t), lit_dtype_name(t->dtype));
}

/* Liveness + integer index dtype (i64 or i32). */
static inline void lit__check_index(const lit_tensor *t, const char *op) {
    lit__op_enter(op);
    lit_tensor_check(t, op);
    LIT_ASSERT(t->dtype == LIT_I64 || t->dtype == LIT_I32,
               "%s: indices %s have dtype %s; pass i64 (or i32) class indices", op, LIT_SHAPE_STR(t),
               lit_dtype_name(t->dtype));
}

/* Index element i of an i64/i32 contiguous tensor. */
static inline int64_t lit__index_at(const lit_tensor *t, int64_t i) {
    return t->dtype == LIT_I64 ? ((const int64_t *)t->data)[i] : (int64_t)((const int32_t *)t->data)[i];
}

/* x itself when contiguous, else a contiguous copy made outside the graph
 * (the caller records its node on x itself, so gradients reach x). */
static inline lit_tensor *lit__dense(const lit_tensor *x) {
    if (lit_is_contiguous(x)) return (lit_tensor *)x;
    lit_tensor *c = lit_empty(x->dtype, x->ndim, x->shape);
    lit_tensor_copy_(c, x);
    return c;
}

/* Normalise a possibly negative dim; asserts it is in range. */
static inline int lit__norm_dim(int dim, int ndim, const char *op) {
    int d = dim < 0 ? dim + ndim : dim;
    LIT_ASSERT(d >= 0 && d < (ndim ? ndim : 1), "%s: dim %d is out of range for a %d-d tensor (valid: %d..%d)", op,
               dim, ndim, -ndim, ndim - 1);
    return d;
}

/* Broadcast shape of a and b into shape/ndim (NumPy rules); asserts compatibility. */
void lit__broadcast_shape(const lit_tensor *a, const lit_tensor *b, int *ndim, int64_t *shape, const char *op);

/* Strides of t viewed as broadcast to (ndim, shape): 0 on broadcast dims. */
void lit__broadcast_strides(const lit_tensor *t, int ndim, const int64_t *shape, int64_t *strides);

/* A view header of `base` with the given shape/strides and data pointer
 * (no autograd: callers record the node). */
lit_tensor *lit__make_view(lit_tensor *base, int ndim, const int64_t *shape, const int64_t *strides, void *data);

/* max(a, b) that keeps NaN from either side, as torch's max and softmax do.
 * A bare `b > a ? b : a` (or fmaxf) drops NaN: a comparison with NaN is false.
 * Every op kernel follows the same rule: NaN in, NaN out (see
 * tests/test-ops-nonfinite.c for each op's forward and backward). */
static inline float lit__max_keep_nan(float a, float b) { return (b > a || b != b) ? b : a; }

/* Number of elements below which loops stay single-threaded. */
#define LIT_PARALLEL_MIN 32768

#endif
