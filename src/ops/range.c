/*
 * Integer ranges: lit_arange_int, torch.arange over integers, exact over the
 * whole int64 range (tensor.h's lit_arange steps in double, which cannot
 * hold every integer past 2^53, and returns an empty tensor where torch
 * raises).
 *
 * The element count is ceil((end - start) / step), computed in unsigned
 * 64-bit arithmetic so that spans near the int64 limits neither overflow nor
 * lose elements; each value start + i * step is formed the same way (it never
 * passes `end`, so it always fits). No gradient: the output is an index.
 */
#include "ops-impl.h"

/* Number of elements of [start, end) by step; asserts on torch's errors. */
static int64_t arange_count(int64_t start, int64_t end, int64_t step) {
    LIT_ASSERT(step != 0, "lit_arange_int: step is 0; pass a positive step to count up or a negative one to count down");
    LIT_ASSERT(step > 0 ? start <= end : start >= end,
               "lit_arange_int: start %lld, end %lld and step %lld are inconsistent (the range moves away from end); "
               "swap start and end or flip the sign of step",
               (long long)start, (long long)end, (long long)step);
    uint64_t span = step > 0 ? (uint64_t)end - (uint64_t)start : (uint64_t)start - (uint64_t)end;
    uint64_t stride = step > 0 ? (uint64_t)step : -(uint64_t)step;
    uint64_t count = span / stride + (span % stride != 0);
    LIT_ASSERT(count <= (uint64_t)INT64_MAX, "lit_arange_int: %llu elements are too many for one tensor",
               (unsigned long long)count);
    return (int64_t)count;
}

lit_tensor *lit_arange_int(lit_dtype dtype, int64_t start, int64_t end, int64_t step) {
    lit__op_enter("lit_arange_int");
    LIT_ASSERT(dtype == LIT_I64 || dtype == LIT_I32,
               "lit_arange_int: dtype %s; pass LIT_I64 or LIT_I32 (for a float range, convert with lit_to_dtype)",
               lit_dtype_name(dtype));
    int64_t n = arange_count(start, end, step);
    if (dtype == LIT_I32 && n > 0) {
        /* Both ends of the range must fit: the last element is the extreme one. */
        int64_t last = (int64_t)((uint64_t)start + (uint64_t)(n - 1) * (uint64_t)step);
        LIT_ASSERT(start >= INT32_MIN && start <= INT32_MAX && last >= INT32_MIN && last <= INT32_MAX,
                   "lit_arange_int: values from %lld to %lld do not fit in i32; pass LIT_I64", (long long)start,
                   (long long)last);
    }
    lit_tensor *out = lit_empty(dtype, 1, &n);
    if (dtype == LIT_I64) {
        int64_t *o = out->data;
        for (int64_t i = 0; i < n; i++) o[i] = (int64_t)((uint64_t)start + (uint64_t)i * (uint64_t)step);
    } else {
        int32_t *o = out->data;
        for (int64_t i = 0; i < n; i++) o[i] = (int32_t)(int64_t)((uint64_t)start + (uint64_t)i * (uint64_t)step);
    }
    return out;
}
