/*
 * A training step in steady state performs no heap allocation in liblitc:
 * activations, the autograd tape and intermediate gradients come from the
 * step arena (pre-sized from its high-water mark), parameter gradients are
 * reused. The build wraps malloc/calloc/realloc/posix_memalign for this
 * test (-Wl,--wrap), so every call from liblitc is counted.
 */
#include <stdlib.h>

#include "harness.h"

#ifdef LITC_COUNT_MALLOC
static long allocations;
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
int __real_posix_memalign(void **p, size_t a, size_t n);
void *__wrap_malloc(size_t n) { allocations++; return __real_malloc(n); }
void *__wrap_calloc(size_t n, size_t m) { allocations++; return __real_calloc(n, m); }
void *__wrap_realloc(void *p, size_t n) { allocations++; return __real_realloc(p, n); }
int __wrap_posix_memalign(void **p, size_t a, size_t n) { allocations++; return __real_posix_memalign(p, a, n); }
#endif

typedef struct {
    lit_tensor *w1, *b1, *w2, *b2;
} mlp;

static lit_tensor *param(int ndim, const int64_t *shape, lit_rng *rng) {
    lit_tensor *p = lit_tensor_new(NULL, LIT_F32, ndim, shape);
    lit_rng_fill_uniform(rng, lit_f32(p), (size_t)p->numel, -0.1f, 0.1f);
    p->requires_grad = 1;
    return p;
}

/* One SGD step: forward, backward, update, zero grads (set to none), reset. */
static double train_step(mlp *m, lit_tensor *x, lit_tensor *y, lit_arena *step) {
    lit_tensor *h = lit_relu(lit_linear(x, m->w1, m->b1));
    lit_tensor *h2 = lit_dropout(lit_gelu(h, LIT_GELU_TANH), 0.1, 1, NULL);
    lit_tensor *logits = lit_linear(lit_layer_norm(h2, NULL, NULL, 1e-5), m->w2, m->b2);
    lit_tensor *loss = lit_cross_entropy(logits, y, NULL);
    lit_backward(loss);
    double value = lit_item(loss);
    lit_tensor *ps[4] = {m->w1, m->b1, m->w2, m->b2};
    for (int i = 0; i < 4; i++) {
        float *p = lit_f32(ps[i]), *g = lit_f32(ps[i]->grad);
        for (int64_t k = 0; k < ps[i]->numel; k++) p[k] -= 0.1f * g[k];
    }
    lit_zero_grad(ps, 4, 1);
    lit_arena_reset(step);
    return value;
}

TEST(no_allocation_in_steady_state_steps) {
    lit_rng rng = lit_rng_new(1);
    mlp m = {param(LIT_SHAPE(32, 16), &rng), param(LIT_SHAPE(32), &rng), param(LIT_SHAPE(4, 32), &rng),
             param(LIT_SHAPE(4), &rng)};
    lit_arena *step = lit_arena_new("step", 4096); /* deliberately small: must grow, then settle */
    lit_arena *prev = lit_arena_use(step);
    lit_tensor *x = lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(8, 16));
    lit_rng_fill_normal(&rng, lit_f32(x), 128, 0, 1);
    lit_tensor *y = lit_tensor_new(NULL, LIT_I64, LIT_SHAPE(8));
    for (int i = 0; i < 8; i++) lit_i64(y)[i] = i % 4;

    double first = train_step(&m, x, y, step), last = first;
    for (int s = 0; s < 2; s++) train_step(&m, x, y, step); /* warm-up: the arena settles */
#ifdef LITC_COUNT_MALLOC
    long before = allocations;
#endif
    size_t chunks = lit_arena_malloc_count(step);
    for (int s = 0; s < 20; s++) last = train_step(&m, x, y, step);
#ifdef LITC_COUNT_MALLOC
    CHECK_EQ_INT(allocations - before, 0);
#endif
    CHECK_EQ_INT(lit_arena_malloc_count(step), chunks);
    CHECK(last < first); /* and it trains */
    lit_arena_use(prev);
    lit_arena_free(step);
    lit_tensor_free(m.w1), lit_tensor_free(m.b1), lit_tensor_free(m.w2), lit_tensor_free(m.b2);
    lit_tensor_free(x), lit_tensor_free(y);
}

int main(void) {
    lit_set_num_threads(2);
    RUN(no_allocation_in_steady_state_steps);
    return harness_summary();
}
