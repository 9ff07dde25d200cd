/* Creators of step tensors (in the thread's current arena). */
#include <math.h>
#include <string.h>

#include "litc/tensor.h"

lit_tensor *lit_empty(lit_dtype dt, int ndim, const int64_t *shape) {
    return lit__tensor_alloc_op(lit_arena_current(), dt, ndim, shape, 1);
}

lit_tensor *lit_zeros(lit_dtype dt, int ndim, const int64_t *shape) {
    lit_tensor *t = lit_empty(dt, ndim, shape);
    memset(t->data, 0, (size_t)t->numel * lit_dtype_size(dt));
    return t;
}

lit_tensor *lit_full(lit_dtype dt, int ndim, const int64_t *shape, double value) {
    lit_tensor *t = lit_empty(dt, ndim, shape);
    lit_tensor_fill_(t, value);
    return t;
}

lit_tensor *lit_ones(lit_dtype dt, int ndim, const int64_t *shape) { return lit_full(dt, ndim, shape, 1.0); }

lit_tensor *lit_scalar(double value) { return lit_full(LIT_F32, 0, NULL, value); }

lit_tensor *lit_arange(lit_dtype dt, double start, double end, double step) {
    LIT_ASSERT(step != 0 && isfinite(step), "lit_arange: step is %g; use a finite non-zero step", step);
    double span = (end - start) / step;
    int64_t n = span > 0 ? (int64_t)ceil(span) : 0;
    lit_tensor *t = lit_empty(dt, 1, (int64_t[]){n});
    for (int64_t i = 0; i < n; i++) lit_set_flat(t, i, start + (double)i * step);
    return t;
}

lit_tensor *lit_randn(int ndim, const int64_t *shape, lit_rng *rng) {
    lit_tensor *t = lit_empty(LIT_F32, ndim, shape);
    lit_rng_fill_normal(rng ? rng : lit_rng_global(), t->data, (size_t)t->numel, 0.0f, 1.0f);
    return t;
}

lit_tensor *lit_rand(int ndim, const int64_t *shape, lit_rng *rng) {
    lit_tensor *t = lit_empty(LIT_F32, ndim, shape);
    lit_rng_fill_uniform(rng ? rng : lit_rng_global(), t->data, (size_t)t->numel, 0.0f, 1.0f);
    return t;
}

lit_tensor *lit_from_buffer(lit_dtype dt, int ndim, const int64_t *shape, const void *data) {
    lit_tensor *t = lit_empty(dt, ndim, shape);
    memcpy(t->data, data, (size_t)t->numel * lit_dtype_size(dt));
    return t;
}

lit_tensor *lit_empty_like(const lit_tensor *like) {
    lit_tensor_check(like, "lit_empty_like");
    return lit_empty(like->dtype, like->ndim, like->shape);
}

lit_tensor *lit_zeros_like(const lit_tensor *like) {
    lit_tensor_check(like, "lit_zeros_like");
    return lit_zeros(like->dtype, like->ndim, like->shape);
}
