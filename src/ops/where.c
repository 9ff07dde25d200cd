/*
 * Selection by a condition: where and masked_fill, forward and backward.
 * Both are one strided kernel: out = cond ? a : (b or a fill value), with
 * NumPy broadcasting of cond, a and b; any dtype (cond: nonzero = true).
 */
#include <string.h>

#include "ops-impl.h"

/* Truth of one element of any dtype (NaN counts as true, as in PyTorch). */
static inline int truth(const char *p, lit_dtype dt) {
    switch (dt) {
    case LIT_F32: return *(const float *)p != 0.0f;
    case LIT_BF16: return (*(const uint16_t *)p & 0x7fff) != 0;
    case LIT_I32: return *(const int32_t *)p != 0;
    default: return *(const int64_t *)p != 0;
    }
}

/* `v` stored as one element of dt into buf. */
static void scalar_bytes(lit_dtype dt, double v, char *buf) {
    switch (dt) {
    case LIT_F32: { float f = (float)v; memcpy(buf, &f, sizeof f); break; }
    case LIT_BF16: { uint16_t h = lit_f32_to_bf16((float)v); memcpy(buf, &h, sizeof h); break; }
    case LIT_I32: { int32_t i = (int32_t)v; memcpy(buf, &i, sizeof i); break; }
    default: { int64_t i = (int64_t)v; memcpy(buf, &i, sizeof i); break; }
    }
}

/* out = (truth(cond) != invert) ? a : (b ? b : fill), all broadcast to out's
 * shape. a, b and out share a dtype; out is contiguous. */
static void select_kernel(lit_tensor *out, const lit_tensor *cond, int invert, const lit_tensor *a,
                          const lit_tensor *b, double fill) {
    if (out->numel == 0) return;
    int nd = out->ndim;
    size_t es = lit_dtype_size(out->dtype), ces = lit_dtype_size(cond->dtype);
    int64_t sc[LIT_MAX_DIMS], sa[LIT_MAX_DIMS], sb[LIT_MAX_DIMS] = {0};
    lit__broadcast_strides(cond, nd, out->shape, sc);
    lit__broadcast_strides(a, nd, out->shape, sa);
    if (b) lit__broadcast_strides(b, nd, out->shape, sb);
    char fillv[8];
    scalar_bytes(out->dtype, fill, fillv);
    const char *pc = cond->data, *pa = a->data, *pb = b ? b->data : NULL;
    char *po = out->data;
    int64_t inner = nd ? out->shape[nd - 1] : 1, rows = out->numel / inner;
    int64_t ic = nd ? sc[nd - 1] : 0, ia = nd ? sa[nd - 1] : 0, ib = nd ? sb[nd - 1] : 0;
    LIT__PAR_FOR(out->numel > LIT_PARALLEL_MIN, schedule(static),
        for (int64_t r = 0; r < rows; r++) {
            int64_t rem = r, oc = 0, oa = 0, ob = 0;
            for (int d = nd - 2; d >= 0; d--) {
                int64_t i = rem % out->shape[d];
                rem /= out->shape[d];
                oc += i * sc[d];
                oa += i * sa[d];
                ob += i * sb[d];
            }
            for (int64_t j = 0; j < inner; j++) {
                int t = truth(pc + (size_t)(oc + j * ic) * ces, cond->dtype) != invert;
                const char *src = t ? pa + (size_t)(oa + j * ia) * es : (pb ? pb + (size_t)(ob + j * ib) * es : fillv);
                memcpy(po + (size_t)(r * inner + j) * es, src, es);
            }
        });
}

/* Shape-only header for messages and broadcasting. */
static lit_tensor shape_header(int nd, const int64_t *shape) {
    lit_tensor t;
    memset(&t, 0, sizeof t);
    t.ndim = nd;
    memcpy(t.shape, shape, (size_t)nd * sizeof(int64_t));
    return t;
}

/* ---------------------------------------------------------------- where */

static void where_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *cond = n->saved[0];
    for (int side = 0; side < 2; side++) {
        lit_tensor *x = n->inputs[side];
        if (!lit__needs_grad(x)) continue;
        lit_tensor *gx = lit_empty(LIT_F32, g->ndim, g->shape);
        select_kernel(gx, cond, side, g, NULL, 0.0); /* a: g where cond, b: g where !cond */
        lit__accumulate_grad(x, gx);
    }
}

lit_tensor *lit_where(lit_tensor *cond, lit_tensor *a, lit_tensor *b) {
    lit__check_input(cond, "lit_where");
    lit__check_input(a, "lit_where");
    lit__check_input(b, "lit_where");
    LIT_ASSERT(a->dtype == b->dtype, "lit_where: a %s is %s but b %s is %s; convert one with lit_to_dtype",
               LIT_SHAPE_STR(a), lit_dtype_name(a->dtype), LIT_SHAPE_STR(b), lit_dtype_name(b->dtype));
    int nd_ab, nd;
    int64_t ab[LIT_MAX_DIMS], shape[LIT_MAX_DIMS];
    lit__broadcast_shape(a, b, &nd_ab, ab, "lit_where (a, b)");
    lit_tensor hab = shape_header(nd_ab, ab);
    lit__broadcast_shape(cond, &hab, &nd, shape, "lit_where (cond, broadcast of a and b)");
    lit_tensor *out = lit_empty(a->dtype, nd, shape);
    select_kernel(out, cond, 0, a, b, 0.0);
    if (lit_dtype_is_float(a->dtype)) {
        lit_node *n = lit__record("where", where_backward, out, 2, (lit_tensor *[]){a, b});
        if (n) n->saved[0] = cond;
    }
    return out;
}

/* ---------------------------------------------------------------- masked_fill */

static void masked_fill_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *gx = lit_empty(LIT_F32, g->ndim, g->shape);
    select_kernel(gx, n->saved[0], 1, g, NULL, 0.0); /* g where the mask is false */
    lit__accumulate_grad(n->inputs[0], gx);
}

lit_tensor *lit_masked_fill(lit_tensor *x, lit_tensor *mask, double value) {
    lit__check_input(x, "lit_masked_fill");
    lit__check_input(mask, "lit_masked_fill");
    int nd;
    int64_t shape[LIT_MAX_DIMS];
    lit__broadcast_shape(x, mask, &nd, shape, "lit_masked_fill");
    lit_tensor hs = shape_header(nd, shape);
    LIT_ASSERT(lit_same_shape(&hs, x),
               "lit_masked_fill: mask %s broadcasts x %s up to %s; the mask must broadcast to x's shape (give it "
               "fewer or size-1 dims)",
               LIT_SHAPE_STR(mask), LIT_SHAPE_STR(x), LIT_SHAPE_STR(&hs));
    lit_tensor *out = lit_empty(x->dtype, x->ndim, x->shape);
    select_kernel(out, mask, 1, x, NULL, value); /* x where the mask is false, else value */
    if (lit_dtype_is_float(x->dtype)) {
        lit_node *n = lit__record_fill("masked_fill", masked_fill_backward, out, 1, &x, value);
        if (n) n->saved[0] = mask;
    }
    return out;
}
