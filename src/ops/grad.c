/*
 * src/ops/grad.c — accumulating an op's input gradient into .grad: summed
 * down to the input's shape over broadcast dims (an op itself, so it lives
 * with the ops, above the autograd tape that records them).
 */
#include "ops/ops-impl.h"

/* Sum g over the leading and size-1 broadcast dims so it matches t's shape. */
static lit_tensor *reduce_to_shape(const lit_tensor *g, const lit_tensor *t) {
    if (lit_same_shape(g, t)) return (lit_tensor *)g;
    LIT_ASSERT(g->ndim >= t->ndim, "autograd: gradient %s cannot be reduced to input shape %s", LIT_SHAPE_STR(g),
               LIT_SHAPE_STR(t));
    int dims[LIT_MAX_DIMS], n = 0, lead = g->ndim - t->ndim;
    for (int d = 0; d < g->ndim; d++) {
        if (d < lead) {
            dims[n++] = d;
        } else if (t->shape[d - lead] == 1 && g->shape[d] != 1) {
            dims[n++] = d;
        } else {
            LIT_ASSERT(t->shape[d - lead] == g->shape[d], "autograd: gradient %s does not broadcast to input %s",
                       LIT_SHAPE_STR(g), LIT_SHAPE_STR(t));
        }
    }
    lit_tensor *r = n ? lit_sum((lit_tensor *)g, n, dims, 1) : (lit_tensor *)g;
    return lit_reshape(r, t->ndim, t->shape);
}

void lit__accumulate_grad(lit_tensor *t, const lit_tensor *g) {
    if (!lit__needs_grad(t)) return;
    g = reduce_to_shape(g, t);
    if (!lit_is_contiguous(g)) g = lit_contiguous((lit_tensor *)g);
    LIT_ASSERT(g->dtype == LIT_F32, "autograd: gradients are f32, got %s", lit_dtype_name(g->dtype));
    float *dst = lit_f32(lit__grad_buffer(t));
    const float *src = g->data;
    for (int64_t i = 0; i < t->numel; i++) dst[i] += src[i];
}
