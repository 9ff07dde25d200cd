/*
 * Matrix products: matmul (torch.matmul semantics), matmul_ex (transpose
 * flags), bmm and the fused linear layer. Forward and backward side by side.
 *
 * Every product goes through the backend's sgemm (backend.h). Transposed
 * operands and transposed views are passed as sgemm transpose flags rather
 * than copied; only a matrix with no unit stride is copied. Gradients of
 * parameters are accumulated by sgemm itself (beta = 1) into .grad.
 */
#include <string.h>

#include "litc/backend.h"
#include "ops-impl.h"

static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* How sgemm reads the last two dims (rows r, cols c as stored) of t:
 * row-major with ld, or a transposed view read with the flag flipped. */
typedef struct {
    lit_tensor *t; /* t, or a contiguous copy of it */
    int trans;     /* sgemm flag for this operand */
    int64_t ld;
} operand;

static operand prep(lit_tensor *t, int trans) {
    int nd = t->ndim;
    int64_t r = t->shape[nd - 2], c = t->shape[nd - 1], sr = t->stride[nd - 2], sc = t->stride[nd - 1];
    if ((sc == 1 || c <= 1) && (r <= 1 || sr >= max64(c, 1)))
        return (operand){t, trans, r <= 1 ? max64(c, 1) : sr};
    if ((sr == 1 || r <= 1) && (c <= 1 || sc >= max64(r, 1)))
        return (operand){t, !trans, c <= 1 ? max64(r, 1) : sc};
    return (operand){lit__dense(t), trans, max64(c, 1)};
}

/* Broadcast batch shape of a (..., r, c) and b (..., r, c); returns its ndim. */
static int batch_shape(const lit_tensor *a, const lit_tensor *b, int64_t *shape, const char *op) {
    int na = a->ndim - 2, nb = b->ndim - 2, n = na > nb ? na : nb;
    for (int i = 0; i < n; i++) {
        int ia = i - (n - na), ib = i - (n - nb);
        int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
        LIT_ASSERT(sa == sb || sa == 1 || sb == 1,
                   "%s: batch dims of a %s and b %s do not broadcast (batch dim %d: %lld vs %lld); sizes must "
                   "match or be 1",
                   op, LIT_SHAPE_STR(a), LIT_SHAPE_STR(b), i, (long long)sa, (long long)sb);
        shape[i] = sa == 1 ? sb : sa;
    }
    return n;
}

/* Element offsets of t's matrices for each batch index (row-major over
 * bshape); returns the common step when they are i * step, else -1. */
static int64_t batch_offsets(const lit_tensor *t, int nbd, const int64_t *bshape, int64_t nbatch, int64_t *off) {
    int64_t st[LIT_MAX_DIMS], idx[LIT_MAX_DIMS] = {0};
    int lead = nbd - (t->ndim - 2);
    for (int d = 0; d < nbd; d++) {
        int it = d - lead;
        st[d] = (it < 0 || (t->shape[it] == 1 && bshape[d] != 1)) ? 0 : t->stride[it];
    }
    int uniform = 1;
    for (int64_t i = 0; i < nbatch; i++) {
        int64_t o = 0;
        for (int d = 0; d < nbd; d++) o += idx[d] * st[d];
        off[i] = o;
        if (i > 0 && o != i * off[1]) uniform = 0;
        for (int d = nbd - 1; d >= 0; d--) {
            if (++idx[d] < bshape[d]) break;
            idx[d] = 0;
        }
    }
    return uniform ? (nbatch > 1 ? off[1] : 0) : -1;
}

/* c (bshape..., m, n), contiguous, = op(a) @ op(b) + beta * c, with a's and
 * b's batch dims broadcast to bshape. */
static void mm_run(lit_tensor *a, int ta, lit_tensor *b, int tb, int nbd, const int64_t *bshape, float *c,
                   float beta) {
    const lit_backend *be = lit_backend_get();
    int64_t m = a->shape[a->ndim - (ta ? 1 : 2)], k = a->shape[a->ndim - (ta ? 2 : 1)];
    int64_t n = b->shape[b->ndim - (tb ? 2 : 1)];
    int64_t nbatch = lit_numel_of(nbd, bshape);
    if (nbatch == 0 || m == 0 || n == 0) return;
    operand A = prep(a, ta), B = prep(b, tb);
    const float *ap = A.t->data, *bp = B.t->data;
    if (nbatch == 1) {
        be->sgemm(A.trans, B.trans, m, n, k, 1.0f, ap, A.ld, bp, B.ld, beta, c, n);
        return;
    }
    int64_t *offa = lit_arena_alloc(lit_arena_current(), 2 * (size_t)nbatch * sizeof *offa), *offb = offa + nbatch;
    int64_t sa = batch_offsets(A.t, nbd, bshape, nbatch, offa);
    int64_t sb = batch_offsets(B.t, nbd, bshape, nbatch, offb);
    if (sb == 0 && !A.trans && sa == m * A.ld) {
        /* (batch, m, k) rows back to back times one matrix: one tall sgemm. */
        be->sgemm(0, B.trans, nbatch * m, n, k, 1.0f, ap, A.ld, bp, B.ld, beta, c, n);
    } else if (sa >= 0 && sb >= 0) {
        be->sgemm_strided_batched(A.trans, B.trans, m, n, k, 1.0f, ap, A.ld, bp, B.ld, beta, c, n, nbatch, sa, sb,
                                  m * n);
    } else {
        for (int64_t i = 0; i < nbatch; i++)
            be->sgemm(A.trans, B.trans, m, n, k, 1.0f, ap + offa[i], A.ld, bp + offb[i], B.ld, beta, c + i * m * n,
                      n);
    }
}

/* ---------------------------------------------------------------- matmul */

/* The node keeps the caller's tensors; ints: [0] ta, [1] tb, [2] a was 1-d,
 * [3] b was 1-d. Backward works on the promoted (>= 2-d) forms. */

/* A 1-d vector (k) as a (1, k) row or a (k, 1) column, outside the graph. */
static lit_tensor *promote(lit_tensor *v, int as_row) {
    int64_t k = v->shape[0], s = v->stride[0];
    int64_t shape[2] = {as_row ? 1 : k, as_row ? k : 1};
    int64_t stride[2] = {as_row ? max64(k, 1) * s : s, as_row ? s : 1};
    return lit__make_view(v, 2, shape, stride, v->data);
}

/* Gradient of one operand x (promoted form xp, shape (..., r, c)):
 * d xp = op1(p) @ op2(q) with the batch shape of the output. Accumulated
 * straight into x's .grad by sgemm when no batch reduction is needed. */
static void grad_into(lit_tensor *x, lit_tensor *xp, lit_tensor *p, int tp, lit_tensor *q, int tq, int nbd,
                      const int64_t *bshape) {
    if (!lit__needs_grad(x)) return;
    int xbd = xp->ndim - 2, exact = xbd == nbd;
    for (int d = 0; exact && d < nbd; d++) exact = xp->shape[d] == bshape[d];
    lit_tensor *gbuf = x->grad;
    if (exact && (!gbuf || lit_is_contiguous(gbuf))) {
        float beta = gbuf ? 1.0f : 0.0f;
        mm_run(p, tp, q, tq, nbd, bshape, lit__grad_buffer(x)->data, beta);
        return;
    }
    int64_t shape[LIT_MAX_DIMS];
    memcpy(shape, bshape, (size_t)nbd * sizeof *shape);
    shape[nbd] = xp->shape[xp->ndim - 2];
    shape[nbd + 1] = xp->shape[xp->ndim - 1];
    lit_tensor *tmp = lit_empty(LIT_F32, nbd + 2, shape);
    mm_run(p, tp, q, tq, nbd, bshape, tmp->data, 0.0f);
    lit__accumulate_grad(x, tmp); /* sums the broadcast batch dims */
}

/* Rows of all batches of a contiguous (..., r, c) tensor as one (R, c) matrix. */
static lit_tensor *flat_rows(lit_tensor *t) {
    int64_t c = t->shape[t->ndim - 1];
    int64_t shape[2] = {c ? t->numel / c : 0, c}, stride[2] = {c, 1};
    return lit__make_view(t, 2, shape, stride, t->data);
}

static void matmul_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *a = n->inputs[0], *b = n->inputs[1];
    int ta = (int)n->ints[0], tb = (int)n->ints[1];
    lit_tensor *ap = n->ints[2] ? promote(a, 1) : a, *bp = n->ints[3] ? promote(b, 0) : b;
    int64_t bshape[LIT_MAX_DIMS];
    int nbd = batch_shape(ap, bp, bshape, n->op);
    /* g in the promoted output shape (bshape..., m, n); same layout. */
    int64_t gs[LIT_MAX_DIMS];
    memcpy(gs, bshape, (size_t)nbd * sizeof *gs);
    gs[nbd] = ap->shape[ap->ndim - (ta ? 1 : 2)];
    gs[nbd + 1] = bp->shape[bp->ndim - (tb ? 2 : 1)];
    lit_tensor *gc = lit__dense((lit_tensor *)g);
    int64_t gst[LIT_MAX_DIMS], s = 1;
    for (int d = nbd + 1; d >= 0; d--) {
        gst[d] = s;
        s *= gs[d];
    }
    lit_tensor *G = lit__make_view(gc, nbd + 2, gs, gst, gc->data);

    /* d op(A) = G @ op(B)^T; d op(B) = op(A)^T @ G; transposed back when stored transposed. */
    if (ta) grad_into(a, ap, bp, tb, G, 1, nbd, bshape);
    else grad_into(a, ap, G, 0, bp, !tb, nbd, bshape);

    if (lit__needs_grad(b) && bp->ndim == 2 && nbd > 0 && !ta && ap->ndim - 2 == nbd &&
        (!b->grad || lit_is_contiguous(b->grad))) {
        /* b shared by every batch entry: fold the batch into the rows, one sgemm. */
        int same = 1;
        for (int d = 0; d < nbd; d++) same &= ap->shape[d] == bshape[d];
        if (same) {
            lit_tensor *A2 = flat_rows(lit__dense(ap)), *G2 = flat_rows(lit__dense(G));
            float beta = b->grad ? 1.0f : 0.0f;
            float *dst = lit__grad_buffer(b)->data;
            if (tb) mm_run(G2, 1, A2, 0, 0, NULL, dst, beta);
            else mm_run(A2, 1, G2, 0, 0, NULL, dst, beta);
            return;
        }
    }
    if (tb) grad_into(b, bp, G, 1, ap, ta, nbd, bshape);
    else grad_into(b, bp, ap, !ta, G, 0, nbd, bshape);
}

static lit_tensor *matmul_impl(lit_tensor *a, lit_tensor *b, int ta, int tb, const char *op) {
    lit__check_f32(a, op);
    lit__check_f32(b, op);
    LIT_ASSERT(a->ndim >= 1 && b->ndim >= 1, "%s: operands must be at least 1-d, got a %s and b %s", op,
               LIT_SHAPE_STR(a), LIT_SHAPE_STR(b));
    int a1 = a->ndim == 1, b1 = b->ndim == 1;
    LIT_ASSERT(!(a1 && ta) && !(b1 && tb), "%s: a transpose flag was set on a 1-d operand (a %s, b %s)", op,
               LIT_SHAPE_STR(a), LIT_SHAPE_STR(b));
    lit_tensor *ap = a1 ? promote(a, 1) : a, *bp = b1 ? promote(b, 0) : b;
    int64_t m = ap->shape[ap->ndim - (ta ? 1 : 2)], k = ap->shape[ap->ndim - (ta ? 2 : 1)];
    int64_t kb = bp->shape[bp->ndim - (tb ? 1 : 2)], n = bp->shape[bp->ndim - (tb ? 2 : 1)];
    LIT_ASSERT(k == kb,
               "%s: inner dims differ: a %s gives k=%lld%s but b %s gives k=%lld%s; the contracted sizes must "
               "match (transpose an operand, e.g. with lit_matmul_ex flags)",
               op, LIT_SHAPE_STR(a), (long long)k, ta ? " (transposed)" : "", LIT_SHAPE_STR(b), (long long)kb,
               tb ? " (transposed)" : "");
    int64_t shape[LIT_MAX_DIMS];
    int nbd = batch_shape(ap, bp, shape, op);
    LIT_ASSERT(nbd + 2 <= LIT_MAX_DIMS, "%s: result would have %d dims (max %d)", op, nbd + 2, LIT_MAX_DIMS);
    /* Output: bshape, then m unless a was 1-d, then n unless b was 1-d. */
    int64_t oshape[LIT_MAX_DIMS];
    int on = nbd;
    memcpy(oshape, shape, (size_t)nbd * sizeof *oshape);
    if (!a1) oshape[on++] = m;
    if (!b1) oshape[on++] = n;
    lit_tensor *out = lit_empty(LIT_F32, on, oshape);
    mm_run(ap, ta, bp, tb, nbd, shape, out->data, 0.0f);
    lit_tensor *ins[2] = {a, b};
    lit_node *node = lit__record(op, matmul_backward, out, 2, ins);
    if (node) {
        node->ints[0] = ta;
        node->ints[1] = tb;
        node->ints[2] = a1;
        node->ints[3] = b1;
    }
    return out;
}

lit_tensor *lit_matmul(lit_tensor *a, lit_tensor *b) { return matmul_impl(a, b, 0, 0, "lit_matmul"); }

lit_tensor *lit_matmul_ex(lit_tensor *a, lit_tensor *b, int transpose_a, int transpose_b) {
    lit__check_f32(a, "lit_matmul_ex");
    lit__check_f32(b, "lit_matmul_ex");
    LIT_ASSERT((a->ndim >= 2 || !transpose_a) && (b->ndim >= 2 || !transpose_b),
               "lit_matmul_ex: a transpose flag needs a >= 2-d operand (a %s, b %s)", LIT_SHAPE_STR(a),
               LIT_SHAPE_STR(b));
    return matmul_impl(a, b, transpose_a != 0, transpose_b != 0, "lit_matmul_ex");
}

lit_tensor *lit_bmm(lit_tensor *a, lit_tensor *b) {
    lit__check_f32(a, "lit_bmm");
    lit__check_f32(b, "lit_bmm");
    LIT_ASSERT(a->ndim == 3 && b->ndim == 3 && a->shape[0] == b->shape[0],
               "lit_bmm: expects a (B, m, k) and b (B, k, n) with the same B, got a %s and b %s (use lit_matmul "
               "to broadcast batch dims)",
               LIT_SHAPE_STR(a), LIT_SHAPE_STR(b));
    return matmul_impl(a, b, 0, 0, "lit_bmm");
}

/* ---------------------------------------------------------------- linear */

/* inputs: x, w, b; saved[0]: x as a contiguous (M, in) source. */
static void linear_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *x = n->inputs[0], *w = n->inputs[1], *b = n->inputs[2];
    const lit_backend *be = lit_backend_get();
    int64_t out_f = w->shape[0], in_f = w->shape[1];
    int64_t M = out_f ? g->numel / out_f : lit_numel_of(x->ndim - 1, x->shape);
    const float *G = lit__dense((lit_tensor *)g)->data;

    if (lit__needs_grad(x)) { /* dX (M, in) = G (M, out) @ W (out, in) */
        operand W = prep(w, 0);
        if (!x->grad || lit_is_contiguous(x->grad)) {
            /* the buffer is either the existing gradient or freshly zeroed: accumulate */
            be->sgemm(0, W.trans, M, in_f, out_f, 1.0f, G, out_f, W.t->data, W.ld, 1.0f, lit__grad_buffer(x)->data,
                      in_f);
        } else {
            lit_tensor *dx = lit_empty(LIT_F32, x->ndim, x->shape);
            be->sgemm(0, W.trans, M, in_f, out_f, 1.0f, G, out_f, W.t->data, W.ld, 0.0f, dx->data, in_f);
            lit__accumulate_grad(x, dx);
        }
    }
    if (lit__needs_grad(w)) { /* dW (out, in) += G^T (out, M) @ X (M, in) */
        const float *X = n->saved[0]->data;
        lit_tensor *gw = w->grad;
        if (!gw || lit_is_contiguous(gw)) {
            be->sgemm(1, 0, out_f, in_f, M, 1.0f, G, out_f, X, in_f, 1.0f, lit__grad_buffer(w)->data, in_f);
        } else {
            lit_tensor *dw = lit_empty(LIT_F32, 2, w->shape);
            be->sgemm(1, 0, out_f, in_f, M, 1.0f, G, out_f, X, in_f, 0.0f, dw->data, in_f);
            lit__accumulate_grad(w, dw);
        }
    }
    if (b && lit__needs_grad(b)) { /* db += column sums of G, in row order, in double */
        double *acc = lit_arena_calloc(lit_arena_current(), (size_t)out_f * sizeof *acc);
        for (int64_t i = 0; i < M; i++) {
            const float *row = G + i * out_f;
            for (int64_t j = 0; j < out_f; j++) acc[j] += row[j];
        }
        lit_tensor *gb = b->grad;
        if (!gb || lit_is_contiguous(gb)) {
            float *db = lit__grad_buffer(b)->data;
            for (int64_t j = 0; j < out_f; j++) db[j] += (float)acc[j];
        } else {
            lit_tensor *db = lit_empty(LIT_F32, 1, &out_f);
            for (int64_t j = 0; j < out_f; j++) ((float *)db->data)[j] = (float)acc[j];
            lit__accumulate_grad(b, db);
        }
    }
}

lit_tensor *lit_linear(lit_tensor *x, lit_tensor *w, lit_tensor *b) {
    const char *op = "lit_linear";
    lit__check_f32(x, op);
    lit__check_f32(w, op);
    LIT_ASSERT(w->ndim == 2, "%s: weight %s must be 2-d (out_features, in_features)", op, LIT_SHAPE_STR(w));
    LIT_ASSERT(x->ndim >= 1 && x->shape[x->ndim - 1] == w->shape[1],
               "%s: input %s has %lld features in its last dim but weight %s expects in_features=%lld; x must be "
               "(..., in_features) and w (out_features, in_features)",
               op, LIT_SHAPE_STR(x), x->ndim ? (long long)x->shape[x->ndim - 1] : 0LL, LIT_SHAPE_STR(w),
               (long long)w->shape[1]);
    int64_t out_f = w->shape[0], in_f = w->shape[1];
    if (b) {
        lit__check_f32(b, op);
        LIT_ASSERT(b->ndim == 1 && b->shape[0] == out_f, "%s: bias %s must be (out_features,) = (%lld,)", op,
                   LIT_SHAPE_STR(b), (long long)out_f);
    }
    lit_tensor *xc = lit__dense(x);
    int64_t M = lit_numel_of(x->ndim - 1, x->shape);
    int64_t shape[LIT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = out_f;
    lit_tensor *y = lit_empty(LIT_F32, x->ndim, shape);
    operand W = prep(w, 1); /* y = x @ w^T */
    lit_backend_get()->sgemm(0, W.trans, M, out_f, in_f, 1.0f, xc->data, max64(in_f, 1), W.t->data, W.ld, 0.0f,
                             y->data, out_f);
    if (b) {
        const float *bs = lit__dense(b)->data;
        float *ys = y->data;
        /* Memory-bound: threads only pay off on large outputs. */
        LIT__PAR_FOR(M * out_f >= 16 * LIT_PARALLEL_MIN, schedule(static),
            for (int64_t i = 0; i < M; i++) {
                float *row = ys + i * out_f;
                for (int64_t j = 0; j < out_f; j++) row[j] += bs[j];
            });
    }
    lit_tensor *ins[3] = {x, w, b};
    lit_node *node = lit__record("linear", linear_backward, y, 3, ins);
    if (node) node->saved[0] = xc;
    return y;
}
