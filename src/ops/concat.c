/*
 * where/masked_fill and concat/split/chunk: forward and backward side by side.
 */
#include <string.h>

#include "ops-impl.h"

/* ---------------------------------------------------------------- where / masked_fill */

/* 1.0 where cond is nonzero, as f32 (any dtype in). */
static lit_tensor *truth_mask(lit_tensor *cond) {
    lit_tensor *m = lit_empty(LIT_F32, cond->ndim, cond->shape);
    float *ms = m->data;
    for (int64_t k = 0; k < cond->numel; k++) ms[k] = lit_get_flat(cond, k) != 0 ? 1.0f : 0.0f;
    return m;
}

static void where_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *mask = n->saved[0], *gg = (lit_tensor *)g;
    if (lit__needs_grad(n->inputs[0])) lit__accumulate_grad(n->inputs[0], lit_mul(gg, mask));
    if (lit__needs_grad(n->inputs[1])) lit__accumulate_grad(n->inputs[1], lit_mul(gg, lit_rsub_scalar(mask, 1.0)));
}

lit_tensor *lit_where(lit_tensor *cond, lit_tensor *a, lit_tensor *b) {
    lit__check_input(cond, "where");
    lit__check_f32(a, "where");
    lit__check_f32(b, "where");
    int nd, nd2;
    int64_t ab[LIT_MAX_DIMS], shape[LIT_MAX_DIMS];
    lit__broadcast_shape(a, b, &nd, ab, "where");
    lit_tensor abt = {.ndim = nd};
    memcpy(abt.shape, ab, sizeof ab);
    lit__broadcast_shape(cond, &abt, &nd2, shape, "where");
    lit_tensor *mask = lit_contiguous(lit_expand(truth_mask(cond), nd2, shape));
    lit_tensor *ea = lit_expand(lit_detach(a), nd2, shape), *eb = lit_expand(lit_detach(b), nd2, shape);
    lit_tensor *out = lit_empty(LIT_F32, nd2, shape);
    const float *ms = mask->data;
    float *os = out->data;
    for (int64_t k = 0; k < out->numel; k++) os[k] = (float)(ms[k] != 0 ? lit_get_flat(ea, k) : lit_get_flat(eb, k));
    lit_tensor *ins[2] = {a, b};
    lit_node *n = lit__record("where", where_backward, out, 2, ins);
    if (n) n->saved[0] = mask;
    return out;
}

lit_tensor *lit_masked_fill(lit_tensor *x, lit_tensor *mask, double value) {
    lit__check_f32(x, "masked_fill");
    lit__check_input(mask, "masked_fill");
    int nd;
    int64_t shape[LIT_MAX_DIMS];
    lit__broadcast_shape(x, mask, &nd, shape, "masked_fill");
    LIT_ASSERT(nd == x->ndim && lit_numel_of(nd, shape) == x->numel,
               "masked_fill: mask %s must broadcast to the input %s, not enlarge it", LIT_SHAPE_STR(mask),
               LIT_SHAPE_STR(x));
    lit_tensor *fill = lit_full(LIT_F32, 0, NULL, value);
    return lit_where(mask, fill, x);
}

/* ---------------------------------------------------------------- concat */

static void concat_backward(lit_node *n, const lit_tensor *g) {
    int dim = (int)n->ints[0];
    int64_t start = 0;
    for (int i = 0; i < n->n_inputs; i++) {
        lit_tensor *x = n->inputs[i];
        int64_t len = x->shape[dim];
        if (lit__needs_grad(x)) lit__accumulate_grad(x, lit_slice((lit_tensor *)g, dim, start, start + len, 1));
        start += len;
    }
}

/* Concatenate up to LIT_NODE_MAX_INPUTS tensors (one autograd node). */
static lit_tensor *concat_few(int n, lit_tensor *const *xs, int d) {
    const lit_tensor *first = xs[0];
    int64_t shape[LIT_MAX_DIMS];
    memcpy(shape, first->shape, sizeof shape);
    shape[d] = 0;
    for (int i = 0; i < n; i++) shape[d] += xs[i]->shape[d];
    lit_tensor *out = lit_empty(first->dtype, first->ndim, shape);
    int64_t start = 0;
    int prev = lit_set_grad_enabled(0);
    for (int i = 0; i < n; i++) {
        int64_t len = xs[i]->shape[d];
        if (len) lit_tensor_copy_(lit_slice(out, d, start, start + len, 1), xs[i]);
        start += len;
    }
    lit_set_grad_enabled(prev);
    if (lit_dtype_is_float(out->dtype)) {
        lit_node *node = lit__record("concat", concat_backward, out, n, xs);
        if (node) node->ints[0] = d;
    }
    return out;
}

lit_tensor *lit_concat(int n, lit_tensor *const *xs, int dim) {
    LIT_ASSERT(n > 0, "concat: no tensors given; pass at least one");
    for (int i = 0; i < n; i++) lit__check_input(xs[i], "concat");
    const lit_tensor *first = xs[0];
    int d = lit__norm_dim(dim, first->ndim, "concat");
    for (int i = 1; i < n; i++) {
        const lit_tensor *x = xs[i];
        int ok = x->ndim == first->ndim && x->dtype == first->dtype;
        for (int j = 0; ok && j < x->ndim; j++) ok = j == d || x->shape[j] == first->shape[j];
        LIT_ASSERT(ok,
                   "concat: tensor %d %s %s does not match tensor 0 %s %s outside dim %d; all tensors need the same "
                   "dtype and sizes except along the concatenated dim",
                   i, LIT_SHAPE_STR(x), lit_dtype_name(x->dtype), LIT_SHAPE_STR(first), lit_dtype_name(first->dtype),
                   d);
    }
    if (n <= LIT_NODE_MAX_INPUTS) return concat_few(n, xs, d);
    /* More inputs than a node holds: concatenate in groups, then the groups. */
    int groups = (n + LIT_NODE_MAX_INPUTS - 1) / LIT_NODE_MAX_INPUTS;
    lit_tensor **parts = lit_arena_alloc(lit_arena_current(), (size_t)groups * sizeof *parts);
    for (int gi = 0; gi < groups; gi++) {
        int lo = gi * LIT_NODE_MAX_INPUTS, cnt = n - lo < LIT_NODE_MAX_INPUTS ? n - lo : LIT_NODE_MAX_INPUTS;
        parts[gi] = concat_few(cnt, xs + lo, d);
    }
    return lit_concat(groups, parts, d);
}

/* ---------------------------------------------------------------- split / chunk */

void lit_split(lit_tensor *x, int dim, int n_parts, const int64_t *sizes, lit_tensor **out) {
    lit__check_input(x, "split");
    int d = lit__norm_dim(dim, x->ndim, "split");
    int64_t total = 0;
    for (int i = 0; i < n_parts; i++) {
        LIT_ASSERT(sizes[i] >= 0, "split: size %lld of part %d is negative", (long long)sizes[i], i);
        total += sizes[i];
    }
    LIT_ASSERT(total == x->shape[d], "split: sizes sum to %lld but dim %d of %s has %lld; make them add up",
               (long long)total, d, LIT_SHAPE_STR(x), (long long)x->shape[d]);
    int64_t start = 0;
    for (int i = 0; i < n_parts; i++) {
        out[i] = lit_slice(x, d, start, start + sizes[i], 1);
        start += sizes[i];
    }
}

int lit_chunk(lit_tensor *x, int chunks, int dim, lit_tensor **out) {
    lit__check_input(x, "chunk");
    LIT_ASSERT(chunks > 0, "chunk: chunks is %d; pass > 0", chunks);
    int d = lit__norm_dim(dim, x->ndim, "chunk");
    int64_t size = x->shape[d], step = (size + chunks - 1) / chunks;
    if (step == 0) step = 1; /* torch: an empty dim gives one... or `chunks` empty pieces; keep one per chunk */
    int n = 0;
    for (int64_t start = 0; start < size; start += step) out[n++] = lit_slice(x, d, start, start + step, 1);
    if (size == 0)
        for (; n < chunks; n++) out[n] = lit_slice(x, d, 0, 0, 1);
    return n;
}
