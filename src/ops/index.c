/*
 * Index ops: embedding, gather and one_hot, forward and backward side by
 * side. Backward scatter-adds in the order of the output positions, so
 * repeated indices sum and results do not depend on the thread count.
 */
#include <string.h>

#include "ops-impl.h"

/* "[1, 2]": the multi-index of flat position k in `shape`, for messages. */
static char *index_str(int ndim, const int64_t *shape, int64_t k, char *buf, size_t n) {
    int64_t idx[LIT_MAX_DIMS];
    for (int d = ndim - 1; d >= 0; d--) {
        idx[d] = shape[d] ? k % shape[d] : 0;
        k = shape[d] ? k / shape[d] : 0;
    }
    size_t off = (size_t)snprintf(buf, n, "[");
    for (int d = 0; d < ndim && off < n; d++)
        off += (size_t)snprintf(buf + off, n - off, d ? ", %lld" : "%lld", (long long)idx[d]);
    if (off < n) snprintf(buf + off, n - off, "]");
    return buf;
}
#define INDEX_STR(t, k) index_str((t)->ndim, (t)->shape, (k), (char[96]){0}, 96)

/* ---------------------------------------------------------------- embedding */

static void embedding_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *w = n->inputs[0], *idx = n->saved[0];
    const float *gd = lit__dense(g)->data;
    float *gw = lit_f32(lit__grad_buffer(w));
    int64_t N = idx->numel, D = w->shape[1];
    /* Threads own column blocks and walk every position in order: each
     * weight-gradient element is summed in the same order on any thread count. */
    const int64_t blk = 64;
    int64_t nblk = (D + blk - 1) / blk;
    LIT__PAR_FOR(N * D > LIT_PARALLEL_MIN && nblk > 1, schedule(static),
        for (int64_t b = 0; b < nblk; b++) {
            int64_t c0 = b * blk, c1 = c0 + blk < D ? c0 + blk : D;
            for (int64_t i = 0; i < N; i++) {
                float *dst = gw + lit__index_at(idx, i) * D;
                const float *src = gd + i * D;
                for (int64_t c = c0; c < c1; c++) dst[c] += src[c];
            }
        });
}

lit_tensor *lit_embedding(lit_tensor *weight, lit_tensor *indices) {
    lit__check_f32(weight, "lit_embedding");
    lit__check_index(indices, "lit_embedding");
    LIT_ASSERT(weight->ndim == 2, "lit_embedding: weight %s must be 2-d (num_embeddings, embedding_dim)",
               LIT_SHAPE_STR(weight));
    LIT_ASSERT(indices->ndim < LIT_MAX_DIMS, "lit_embedding: indices %s have %d dims; at most %d (the output adds one)",
               LIT_SHAPE_STR(indices), indices->ndim, LIT_MAX_DIMS - 1);
    lit_tensor *idx = lit__dense(indices);
    int64_t V = weight->shape[0], D = weight->shape[1], N = idx->numel;
    for (int64_t i = 0; i < N; i++) {
        int64_t v = lit__index_at(idx, i);
        LIT_ASSERT(v >= 0 && v < V,
                   "lit_embedding: index %lld at position %s of indices %s is out of range for weight %s "
                   "(%lld rows); indices must be in [0, %lld): check num_embeddings (vocabulary size) against "
                   "the data",
                   (long long)v, INDEX_STR(idx, i), LIT_SHAPE_STR(indices), LIT_SHAPE_STR(weight), (long long)V,
                   (long long)V);
    }
    int64_t shape[LIT_MAX_DIMS];
    memcpy(shape, indices->shape, (size_t)indices->ndim * sizeof(int64_t));
    shape[indices->ndim] = D;
    lit_tensor *out = lit_empty(LIT_F32, indices->ndim + 1, shape);
    const float *w = weight->data;
    float *o = out->data;
    int64_t s0 = weight->stride[0], s1 = weight->stride[1];
    LIT__PAR_FOR(N * D > LIT_PARALLEL_MIN, schedule(static),
        for (int64_t i = 0; i < N; i++) {
            const float *row = w + lit__index_at(idx, i) * s0;
            float *dst = o + i * D;
            if (s1 == 1) {
                memcpy(dst, row, (size_t)D * sizeof(float));
            } else {
                for (int64_t c = 0; c < D; c++) dst[c] = row[c * s1];
            }
        });
    lit_node *n = lit__record("embedding", embedding_backward, out, 1, &weight);
    if (n) n->saved[0] = idx;
    return out;
}

/* ---------------------------------------------------------------- gather */

/* Offset in x (strides xs) of output position k: index shape `ishape`, with
 * the index value at k substituted on `dim`. */
static inline int64_t gather_offset(int nd, const int64_t *ishape, const int64_t *xs, int dim, int64_t k,
                                    int64_t v) {
    int64_t off = 0;
    for (int d = nd - 1; d >= 0; d--) {
        int64_t i = k % ishape[d];
        k /= ishape[d];
        off += (d == dim ? v : i) * xs[d];
    }
    return off;
}

static void gather_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *x = n->inputs[0], *idx = n->saved[0];
    int dim = (int)n->ints[0];
    lit_tensor *dx = lit_zeros(LIT_F32, x->ndim, x->shape);
    const float *gd = lit__dense(g)->data;
    float *d = dx->data;
    /* Sequential scatter-add: repeated indices sum in output order. */
    for (int64_t k = 0; k < idx->numel; k++)
        d[gather_offset(idx->ndim, idx->shape, dx->stride, dim, k, lit__index_at(idx, k))] += gd[k];
    lit__accumulate_grad(x, dx);
}

lit_tensor *lit_gather(lit_tensor *x, int dim, lit_tensor *index) {
    lit__check_input(x, "lit_gather");
    lit__check_index(index, "lit_gather");
    int d = lit__norm_dim(dim, x->ndim, "lit_gather");
    LIT_ASSERT(index->ndim == x->ndim,
               "lit_gather: index %s has %d dims but x %s has %d; give index the same number of dims "
               "(unsqueeze it)",
               LIT_SHAPE_STR(index), index->ndim, LIT_SHAPE_STR(x), x->ndim);
    for (int i = 0; i < x->ndim; i++)
        LIT_ASSERT(i == d || index->shape[i] <= x->shape[i],
                   "lit_gather: index %s is larger than x %s on dim %d (%lld > %lld); off the gather dim %d "
                   "index sizes must be <= x's",
                   LIT_SHAPE_STR(index), LIT_SHAPE_STR(x), i, (long long)index->shape[i], (long long)x->shape[i],
                   d);
    lit_tensor *idx = lit__dense(index);
    int64_t size = x->ndim ? x->shape[d] : 1;
    for (int64_t k = 0; k < idx->numel; k++) {
        int64_t v = lit__index_at(idx, k);
        LIT_ASSERT(v >= 0 && v < size,
                   "lit_gather: index %lld at position %s of index %s is out of range for dim %d of x %s "
                   "(size %lld); values must be in [0, %lld)",
                   (long long)v, INDEX_STR(idx, k), LIT_SHAPE_STR(index), d, LIT_SHAPE_STR(x), (long long)size,
                   (long long)size);
    }
    lit_tensor *out = lit_empty(x->dtype, index->ndim, index->shape);
    size_t es = lit_dtype_size(x->dtype);
    const char *src = x->data;
    char *dst = out->data;
    for (int64_t k = 0; k < idx->numel; k++) {
        int64_t off = gather_offset(idx->ndim, idx->shape, x->stride, d, k, lit__index_at(idx, k));
        memcpy(dst + (size_t)k * es, src + off * (int64_t)es, es);
    }
    if (lit_dtype_is_float(x->dtype)) {
        lit_node *n = lit__record("gather", gather_backward, out, 1, &x);
        if (n) {
            n->saved[0] = idx;
            n->ints[0] = d;
        }
    }
    return out;
}

/* ---------------------------------------------------------------- one_hot */

lit_tensor *lit_one_hot(lit_tensor *indices, int64_t num_classes) {
    lit__check_index(indices, "lit_one_hot");
    LIT_ASSERT(indices->ndim < LIT_MAX_DIMS, "lit_one_hot: indices %s have %d dims; at most %d (the output adds one)",
               LIT_SHAPE_STR(indices), indices->ndim, LIT_MAX_DIMS - 1);
    lit_tensor *idx = lit__dense(indices);
    if (num_classes < 0) { /* as torch: -1 infers max + 1 */
        LIT_ASSERT(idx->numel > 0, "lit_one_hot: cannot infer num_classes from empty indices %s; pass it",
                   LIT_SHAPE_STR(indices));
        num_classes = 0;
        for (int64_t i = 0; i < idx->numel; i++)
            if (lit__index_at(idx, i) + 1 > num_classes) num_classes = lit__index_at(idx, i) + 1;
    }
    for (int64_t i = 0; i < idx->numel; i++) {
        int64_t v = lit__index_at(idx, i);
        LIT_ASSERT(v >= 0 && v < num_classes,
                   "lit_one_hot: index %lld at position %s of indices %s is out of range for %lld classes; "
                   "values must be in [0, %lld)",
                   (long long)v, INDEX_STR(idx, i), LIT_SHAPE_STR(indices), (long long)num_classes,
                   (long long)num_classes);
    }
    int64_t shape[LIT_MAX_DIMS];
    memcpy(shape, indices->shape, (size_t)indices->ndim * sizeof(int64_t));
    shape[indices->ndim] = num_classes;
    lit_tensor *out = lit_zeros(LIT_I64, indices->ndim + 1, shape);
    int64_t *o = out->data;
    for (int64_t i = 0; i < idx->numel; i++) o[i * num_classes + lit__index_at(idx, i)] = 1;
    return out;
}
