/*
 * Inverted dropout with the counter-based RNG, forward and backward.
 *
 * Element i draws word i%4 of Philox block (rng->counter + i/4) and keeps its
 * value when the uniform u = (word >> 8) / 2^24 (the same draw as
 * lit_rng_fill_uniform) is >= p, so the mask is a pure function of (seed,
 * counter, i): identical on any thread count. The call advances
 * rng->counter by ceil(numel / 4) blocks. The mask is saved as one byte per
 * element; backward is g * mask / (1 - p).
 *
 * Dropped elements are multiplied by 0, not overwritten with it, as torch's
 * CPU dropout (input * mask / (1 - p)): a dropped NaN or Inf is NaN, and a NaN
 * upstream gradient stays NaN, so dropout never hides a non-finite value.
 */
#include <string.h>

#include "ops-impl.h"

static void dropout_backward(lit_node *n, const lit_tensor *g) {
    lit_tensor *x = n->inputs[0];
    const uint8_t *keep = n->extra;
    const float scale = (float)n->scalars[0];
    lit_tensor *gc = lit_contiguous((lit_tensor *)g);
    lit_tensor *dx = lit_empty(LIT_F32, x->ndim, x->shape);
    const float *gs = gc->data;
    float *d = dx->data;
    const int64_t numel = x->numel;
    LIT__PAR_FOR(numel > LIT_PARALLEL_MIN, simd,
        for (int64_t i = 0; i < numel; i++) {
            d[i] = gs[i] * (keep[i] ? scale : 0.0f);
        });
    lit__accumulate_grad(x, dx);
}

lit_tensor *lit_dropout(lit_tensor *x, double p, int training, lit_rng *rng) {
    lit__check_f32(x, "lit_dropout");
    LIT_ASSERT(p >= 0.0 && p <= 1.0, "lit_dropout: p is %g; pass a drop probability in [0, 1]", p);
    /* Identity returns x itself: no copy, no node, the RNG is not advanced. */
    if (!training || p == 0.0) return x;
    if (!rng) rng = lit_rng_global();
    lit_tensor *xc = x;
    if (!lit_is_contiguous(x)) { /* copy outside the graph: the node is recorded on x */
        xc = lit_empty(LIT_F32, x->ndim, x->shape);
        lit_tensor_copy_(xc, x);
    }
    const int64_t numel = x->numel, blocks = (numel + 3) / 4;
    /* p = 1 drops everything (scale unused); the stream still advances. */
    const float scale = p < 1.0 ? (float)(1.0 / (1.0 - p)) : 0.0f;
    const float pf = (float)p;
    const uint64_t seed = rng->seed, base = rng->counter;
    lit_tensor *y = lit_empty(LIT_F32, x->ndim, x->shape);
    uint8_t *keep = lit_arena_alloc(lit_arena_current(), (size_t)(numel ? numel : 1));
    const float *xs = xc->data;
    float *ys = y->data;
    LIT__PAR_FOR(numel > LIT_PARALLEL_MIN, schedule(static),
        for (int64_t b = 0; b < blocks; b++) {
            uint32_t w[4];
            lit_philox4x32(seed, base + (uint64_t)b, w);
            for (int j = 0; j < 4; j++) {
                int64_t i = b * 4 + j;
                if (i >= numel) break;
                float u = (float)(w[j] >> 8) * (1.0f / 16777216.0f);
                keep[i] = u >= pf;
                ys[i] = xs[i] * (keep[i] ? scale : 0.0f);
            }
        });
    rng->counter += (uint64_t)blocks;
    lit_node *n = lit__record("dropout", dropout_backward, y, 1, &x);
    if (n) {
        n->extra = keep;
        n->scalars[0] = scale;
    }
    return y;
}
