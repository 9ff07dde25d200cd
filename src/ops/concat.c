/*
 * Joining and splitting along a dim: concat (one copy, any dtype), split and
 * chunk (differentiable views made with lit_slice).
 *
 * An autograd node holds at most LIT_NODE_MAX_INPUTS inputs. When more than
 * that many concat inputs need a gradient, the inputs are grouped into
 * consecutive ranges, each range a view of the output with its own node, as
 * a tree: backward slices the gradient down the tree, still without copies
 * in the forward pass.
 */
#include <string.h>

#include "ops-impl.h"

/* View of t (shape as t) restricted to [start, start + len) on dim d. */
static lit_tensor *range_view(lit_tensor *t, int d, int64_t start, int64_t len) {
    int64_t shape[LIT_MAX_DIMS];
    memcpy(shape, t->shape, sizeof shape);
    shape[d] = len;
    void *data = (char *)t->data + start * t->stride[d] * (int64_t)lit_dtype_size(t->dtype);
    return lit__make_view(t, t->ndim, shape, t->stride, data);
}

/* node->extra holds the start of each input along dim ints[0]. */
static void concat_backward(lit_node *n, const lit_tensor *g) {
    const int64_t *starts = n->extra;
    int d = (int)n->ints[0];
    for (int i = 0; i < n->n_inputs; i++) {
        lit_tensor *x = n->inputs[i];
        if (!lit__needs_grad(x)) continue;
        lit__accumulate_grad(x, range_view((lit_tensor *)g, d, starts[i], x->shape[d]));
    }
}

/* Record the node(s) of `out`, which covers xs[0..n) at starts[] along d. */
static void concat_record(lit_tensor *out, int d, int n, lit_tensor *const *xs, const int64_t *starts) {
    lit_tensor *ins[LIT_NODE_MAX_INPUTS];
    int64_t st[LIT_NODE_MAX_INPUTS];
    int m = 0;
    for (int i = 0; i < n; i++) m += lit__needs_grad(xs[i]);
    if (m == 0) return;
    if (m <= LIT_NODE_MAX_INPUTS) {
        m = 0;
        for (int i = 0; i < n; i++)
            if (lit__needs_grad(xs[i])) {
                ins[m] = xs[i];
                st[m++] = starts[i];
            }
    } else {
        /* Groups of consecutive inputs, each a view of out with its own node. */
        int per = (n + LIT_NODE_MAX_INPUTS - 1) / LIT_NODE_MAX_INPUTS;
        m = 0;
        for (int lo = 0; lo < n; lo += per) {
            int hi = lo + per < n ? lo + per : n;
            int64_t end = hi < n ? starts[hi] : starts[0] + out->shape[d];
            lit_tensor *part = range_view(out, d, starts[lo], end - starts[lo]);
            int64_t *sub = lit_arena_alloc(lit_arena_current(), (size_t)(hi - lo) * sizeof *sub);
            for (int i = lo; i < hi; i++) sub[i - lo] = starts[i] - starts[lo];
            concat_record(part, d, hi - lo, xs + lo, sub);
            if (!part->grad_fn) continue;
            ins[m] = part;
            st[m++] = starts[lo] - starts[0];
        }
    }
    lit_node *node = lit__record("concat", concat_backward, out, m, ins);
    if (!node) return;
    int64_t *keep = lit_arena_alloc(lit_arena_current(), (size_t)m * sizeof *keep);
    memcpy(keep, st, (size_t)m * sizeof *keep);
    node->extra = keep;
    node->ints[0] = d;
}

lit_tensor *lit_concat(int n, lit_tensor *const *xs, int dim) {
    LIT_ASSERT(n >= 1 && xs != NULL, "lit_concat: %d tensors; pass at least one", n);
    for (int i = 0; i < n; i++) lit__check_input(xs[i], "lit_concat");
    const lit_tensor *x0 = xs[0];
    LIT_ASSERT(x0->ndim > 0, "lit_concat: tensor 0 is 0-d; unsqueeze scalars to shape (1,) before concatenating");
    int d = lit__norm_dim(dim, x0->ndim, "lit_concat");
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        const lit_tensor *x = xs[i];
        LIT_ASSERT(x->dtype == x0->dtype,
                   "lit_concat: tensor %d %s is %s but tensor 0 %s is %s; convert with lit_to_dtype first", i,
                   LIT_SHAPE_STR(x), lit_dtype_name(x->dtype), LIT_SHAPE_STR(x0), lit_dtype_name(x0->dtype));
        int same = x->ndim == x0->ndim;
        for (int k = 0; same && k < x->ndim; k++) same = k == d || x->shape[k] == x0->shape[k];
        LIT_ASSERT(same,
                   "lit_concat: tensor %d has shape %s but tensor 0 has shape %s; along dim %d they may differ, "
                   "every other dim must match: reshape/slice the inputs or concatenate along the dim where they "
                   "differ",
                   i, LIT_SHAPE_STR(x), LIT_SHAPE_STR(x0), d);
        total += x->shape[d];
    }
    int64_t shape[LIT_MAX_DIMS];
    memcpy(shape, x0->shape, sizeof shape);
    shape[d] = total;
    lit_tensor *out = lit_empty(x0->dtype, x0->ndim, shape);
    int64_t outer = 1, inner = 1;
    for (int k = 0; k < d; k++) outer *= shape[k];
    for (int k = d + 1; k < x0->ndim; k++) inner *= shape[k];
    size_t es = lit_dtype_size(x0->dtype);
    int64_t *starts = lit_arena_alloc(lit_arena_current(), (size_t)n * sizeof *starts);
    int64_t off = 0;
    for (int i = 0; i < n; i++) {
        starts[i] = off;
        lit_tensor *x = xs[i];
        int64_t len = x->shape[d];
        off += len;
        if (x->numel == 0) continue;
        if (!lit_is_contiguous(x)) { /* copy outside the graph; the node refers to xs[i] */
            lit_tensor *c = lit_empty(x->dtype, x->ndim, x->shape);
            lit_tensor_copy_(c, x);
            x = c;
        }
        /* Each outer row of x is one contiguous run of len * inner elements. */
        size_t run = (size_t)(len * inner) * es;
        for (int64_t o = 0; o < outer; o++)
            memcpy((char *)out->data + (size_t)((o * total + starts[i]) * inner) * es,
                   (const char *)x->data + (size_t)o * run, run);
    }
    if (lit_dtype_is_float(x0->dtype)) concat_record(out, d, n, xs, starts);
    return out;
}

void lit_split(lit_tensor *x, int dim, int n_parts, const int64_t *sizes, lit_tensor **out) {
    lit__check_input(x, "lit_split");
    LIT_ASSERT(x->ndim > 0, "lit_split: cannot split a 0-d tensor");
    LIT_ASSERT(n_parts >= 1 && sizes && out, "lit_split: %d parts; pass n_parts >= 1 with sizes and out arrays",
               n_parts);
    int d = lit__norm_dim(dim, x->ndim, "lit_split");
    int64_t sum = 0;
    for (int i = 0; i < n_parts; i++) {
        LIT_ASSERT(sizes[i] >= 0, "lit_split: part %d has negative size %lld", i, (long long)sizes[i]);
        sum += sizes[i];
    }
    LIT_ASSERT(sum == x->shape[d],
               "lit_split: part sizes sum to %lld but dim %d of %s has size %lld; make the sizes add up", (long long)sum,
               d, LIT_SHAPE_STR(x), (long long)x->shape[d]);
    int64_t off = 0;
    for (int i = 0; i < n_parts; i++) {
        out[i] = lit_slice(x, d, off, off + sizes[i], 1);
        off += sizes[i];
    }
}

int lit_chunk(lit_tensor *x, int chunks, int dim, lit_tensor **out) {
    lit__check_input(x, "lit_chunk");
    LIT_ASSERT(x->ndim > 0, "lit_chunk: cannot chunk a 0-d tensor");
    LIT_ASSERT(chunks >= 1 && out, "lit_chunk: chunks is %d; pass chunks >= 1 and an out array of that many", chunks);
    int d = lit__norm_dim(dim, x->ndim, "lit_chunk");
    int64_t size = x->shape[d];
    /* As torch.chunk: pieces of ceil(size / chunks); an empty dim gives
     * `chunks` empty pieces, otherwise ceil(size / piece) <= chunks pieces. */
    int64_t piece = (size + chunks - 1) / chunks;
    int count = size == 0 ? chunks : (int)((size + piece - 1) / piece);
    for (int i = 0; i < count; i++) {
        int64_t start = i * piece, end = start + piece < size ? start + piece : size;
        out[i] = lit_slice(x, d, start, end, 1);
    }
    return count;
}
