/*
 * Inverted dropout with the counter-based RNG: element i keeps its value
 * when a uniform draw from Philox block (counter + i/4), word i%4, is >= p,
 * so the mask does not depend on the thread count.
 */
#include <string.h>

#include "ops-impl.h"

static void dropout_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *mask = n->saved[0]; /* 0 or 1/(1-p) per element */
    lit__accumulate_grad(n->inputs[0], lit_mul((lit_tensor *)g, mask));
}

lit_tensor *lit_dropout(lit_tensor *x, double p, int training, lit_rng *rng) {
    lit__check_f32(x, "dropout");
    LIT_ASSERT(p >= 0 && p <= 1, "dropout: p is %g; pass a probability in [0, 1]", p);
    if (!training || p == 0) return x; /* identity: the input itself */
    if (!rng) rng = lit_rng_global();
    lit_tensor *xc = lit_contiguous(x);
    lit_tensor *mask = lit_empty(LIT_F32, x->ndim, x->shape);
    lit_tensor *y = lit_empty(LIT_F32, x->ndim, x->shape);
    const float scale = p < 1 ? (float)(1.0 / (1.0 - p)) : 0.0f;
    const uint64_t seed = rng->seed, base = rng->counter;
    /* keep iff u32 >= p * 2^32 (p = 1 drops everything) */
    const uint64_t threshold = (uint64_t)(p * 4294967296.0);
    const int64_t n = x->numel, blocks = (n + 3) / 4;
    const float *xs = xc->data;
    float *ms = mask->data, *ys = y->data;
#pragma omp parallel for if (n > LIT_PARALLEL_MIN)
    for (int64_t b = 0; b < blocks; b++) {
        uint32_t words[4];
        lit_philox4x32(seed, base + (uint64_t)b, words);
        for (int j = 0; j < 4 && b * 4 + j < n; j++) {
            int64_t i = b * 4 + j;
            float m = (uint64_t)words[j] >= threshold ? scale : 0.0f;
            ms[i] = m;
            ys[i] = xs[i] * m;
        }
    }
    rng->counter += (uint64_t)blocks;
    lit_node *node = lit__record("dropout", dropout_backward, y, 1, &x);
    if (node) node->saved[0] = mask;
    return y;
}
