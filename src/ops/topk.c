/*
 * lit_topk: the k largest (or smallest) elements along the last dim, sorted,
 * with their indices; forward and backward.
 *
 * Order: NaN ranks above every number, as in torch (first when largest, last
 * when smallest). Equal values (and NaNs among themselves) come in
 * ascending index order: torch leaves the order of ties unspecified (its CPU
 * kernel's order changes with k and the row length), litc fixes it so that
 * results are reproducible. Each row is merge-sorted by that total order, so
 * a row costs O(C log C) whatever k is.
 *
 * Backward scatters the upstream gradient to the selected positions (the
 * others get 0), as torch's.
 */
#include <string.h>

#include "ops-impl.h"

/* Does element a (value va) come before element b (value vb)? */
static inline int ranks_before(float va, int64_t a, float vb, int64_t b, int largest) {
    int na = va != va, nb = vb != vb;
    if (na || nb) {
        if (na && nb) return a < b;
        return largest ? na : nb; /* NaN is the largest value */
    }
    if (va != vb) return largest ? va > vb : va < vb;
    return a < b;
}

/* Stable bottom-up merge sort of idx[0..n) by ranks_before; tmp holds n. */
static void sort_row(const float *row, int64_t *idx, int64_t *tmp, int64_t n, int largest) {
    int64_t *src = idx, *dst = tmp;
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n, hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                dst[k++] = ranks_before(row[src[j]], src[j], row[src[i]], src[i], largest) ? src[j++] : src[i++];
            while (i < mid) dst[k++] = src[i++];
            while (j < hi) dst[k++] = src[j++];
        }
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != idx) memcpy(idx, src, (size_t)n * sizeof *idx);
}

/* saved[0]: the i64 indices (rows, k); ints[0]: C. */
static void topk_backward(lit_node *node, const lit_tensor *g) {
    lit_tensor *x = node->inputs[0];
    const lit_tensor *idx = node->saved[0];
    int64_t C = node->ints[0], k = idx->ndim ? idx->shape[idx->ndim - 1] : 1, rows = k ? idx->numel / k : 0;
    const float *gs = lit__dense((lit_tensor *)g)->data;
    const int64_t *is = idx->data;
    lit_tensor *dx = lit_zeros(LIT_F32, x->ndim, x->shape);
    float *d = dx->data;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < k; j++) d[r * C + is[r * k + j]] += gs[r * k + j];
    lit__accumulate_grad(x, dx);
}

lit_tensor *lit_topk(lit_tensor *x, int64_t k, int largest, lit_tensor **indices) {
    const char *op = "lit_topk";
    lit__check_f32(x, op);
    LIT_ASSERT(x->ndim >= 1, "%s: input %s is 0-d; pass a tensor (..., C) (lit_reshape a scalar to (1,))", op,
               LIT_SHAPE_STR(x));
    int64_t C = x->shape[x->ndim - 1];
    LIT_ASSERT(k >= 0 && k <= C, "%s: k = %lld is out of range for the last dim of %s; pass 0 <= k <= %lld", op,
               (long long)k, LIT_SHAPE_STR(x), (long long)C);
    int64_t shape[LIT_MAX_DIMS];
    memcpy(shape, x->shape, sizeof shape);
    shape[x->ndim - 1] = k;
    lit_tensor *values = lit_empty(LIT_F32, x->ndim, shape), *idx = lit_empty(LIT_I64, x->ndim, shape);
    const float *xs = lit__dense(x)->data;
    int64_t rows = C ? x->numel / C : 0;
    int64_t *order = lit_arena_alloc(lit_arena_current(), (size_t)(2 * C + 1) * sizeof *order);
    float *vs = values->data;
    int64_t *is = idx->data;
    for (int64_t r = 0; r < rows; r++) {
        const float *row = xs + r * C;
        for (int64_t c = 0; c < C; c++) order[c] = c;
        sort_row(row, order, order + C, C, largest);
        for (int64_t j = 0; j < k; j++) {
            is[r * k + j] = order[j];
            vs[r * k + j] = row[order[j]];
        }
    }
    lit_node *node = lit__record("topk", topk_backward, values, 1, &x);
    if (node) {
        node->saved[0] = idx;
        node->ints[0] = C;
    }
    if (indices) *indices = idx;
    return values;
}
