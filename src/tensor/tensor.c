/* Tensor headers: allocation, liveness checks, element access, copies. */
#include <stdlib.h>
#include <string.h>

#include "litc/tensor.h"

int64_t lit_numel_of(int ndim, const int64_t *shape) {
    int64_t n = 1;
    for (int i = 0; i < ndim; i++) n *= shape[i];
    return n;
}

static void set_contiguous_strides(lit_tensor *t) {
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        t->stride[i] = s;
        s *= t->shape[i];
    }
}

/* ---- allocation */

static _Thread_local const char *current_op;

void lit__op_enter(const char *op) { current_op = op; }

/* numel and bytes of a shape; 0 when either overflows, or when the
 * strides would (the product of the non-zero dims: an empty tensor still
 * has strides). */
static int checked_size(lit_dtype dt, int ndim, const int64_t *shape, int64_t *numel, size_t *bytes) {
    int64_t n = 1, strides = 1;
    for (int i = 0; i < ndim; i++) {
        if (__builtin_mul_overflow(strides, shape[i] ? shape[i] : 1, &strides)) return 0;
        n *= shape[i]; /* |n| <= strides: no overflow */
    }
    *numel = n;
    return !__builtin_mul_overflow((size_t)n, lit_dtype_size(dt), bytes);
}

/* "out of memory allocating a (2, 3) f32 tensor (24 bytes) in arena 'step' (op lit_matmul)" */
static void set_alloc_error(lit_arena *a, lit_dtype dt, int ndim, const int64_t *shape, int fits, size_t bytes,
                            const char *op) {
    char dims[256];
    size_t off = (size_t)snprintf(dims, sizeof dims, "(");
    for (int i = 0; i < ndim && off < sizeof dims; i++)
        off += (size_t)snprintf(dims + off, sizeof dims - off, i ? ", %lld" : "%lld", (long long)shape[i]);
    if (off < sizeof dims) snprintf(dims + off, sizeof dims - off, ndim == 1 ? ",)" : ")");
    char size[64] = "its size overflows 64 bits";
    if (fits) lit__format_bytes(size, sizeof size, (double)bytes);
    char where[128] = "";
    if (a) snprintf(where, sizeof where, " in arena '%s'", lit_arena_name(a));
    char in_op[96] = "";
    if (op) snprintf(in_op, sizeof in_op, " (op %s)", op);
    lit_set_error(LIT_ERR_NOMEM, "out of memory allocating a %s %s tensor (%s)%s%s", dims, lit_dtype_name(dt), size,
                  where, in_op);
}

/* The header and data, or NULL with the error set (nothing raised); `op`
 * (may be NULL) is named in the message. */
static lit_tensor *tensor_alloc(lit_arena *a, lit_dtype dt, int ndim, const int64_t *shape, int with_data,
                                const char *op) {
    LIT_ASSERT(ndim >= 0 && ndim <= LIT_MAX_DIMS, "tensor: %d dims requested; litc supports 0..%d", ndim,
               LIT_MAX_DIMS);
    LIT_ASSERT(dt >= 0 && dt < LIT_DTYPE_COUNT, "tensor: unknown dtype %d", (int)dt);
    for (int i = 0; i < ndim; i++)
        LIT_ASSERT(shape[i] >= 0, "tensor: dim %d has negative size %lld; sizes must be >= 0", i,
                   (long long)shape[i]);
    int64_t numel = 0;
    size_t bytes = 0;
    if (!checked_size(dt, ndim, shape, &numel, &bytes)) {
        set_alloc_error(a, dt, ndim, shape, 0, 0, op);
        return NULL;
    }
    lit_tensor *t = a ? lit_arena_try_alloc(a, sizeof *t) : malloc(sizeof *t);
    void *data = NULL;
    if (t && with_data) data = a ? lit_arena_try_alloc(a, bytes) : lit__aligned_alloc(bytes);
    if (!t || (with_data && !data)) {
        if (!a) free(t);
        set_alloc_error(a, dt, ndim, shape, 1, bytes, op);
        return NULL;
    }
    memset(t, 0, sizeof *t);
    t->magic = LIT_TENSOR_MAGIC;
    t->arena = a;
    t->generation = a ? lit_arena_generation(a) : 0;
    t->dtype = dt;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    t->numel = numel;
    set_contiguous_strides(t);
    t->data = data;
    return t;
}

lit_tensor *lit__tensor_alloc(lit_arena *a, lit_dtype dt, int ndim, const int64_t *shape, int with_data) {
    return tensor_alloc(a, dt, ndim, shape, with_data, NULL);
}

lit_tensor *lit__tensor_alloc_op(lit_arena *a, lit_dtype dt, int ndim, const int64_t *shape, int with_data) {
    /* Made by the op that entered last (or by a creator called after it:
     * the message says "op", the shape says which tensor). Ops cannot return
     * a status: a failure goes to the Trainer's recovery point, or panics
     * naming the tensor. */
    lit_tensor *t = tensor_alloc(a, dt, ndim, shape, with_data, current_op);
    if (!t) lit__oom_raise();
    return t;
}

lit_tensor *lit_tensor_new(lit_arena *arena, lit_dtype dt, int ndim, const int64_t *shape) {
    lit_tensor *t = tensor_alloc(arena, dt, ndim, shape, 1, NULL);
    if (t) memset(t->data, 0, (size_t)t->numel * lit_dtype_size(dt));
    return t;
}

void lit_tensor_free(lit_tensor *t) {
    if (!t || t->arena) return;
    LIT_ASSERT(t->magic == LIT_TENSOR_MAGIC, "lit_tensor_free: tensor already freed (double free)");
    lit_tensor_free(t->grad);
    lit_tensor_free(t->grad_spare);
    if (!t->base) free(t->data);
    t->magic = 0;
    free(t);
}

void lit_tensor_check(const lit_tensor *t, const char *who) {
    LIT_ASSERT(t != NULL, "%s: got a NULL tensor; pass a tensor made by a lit_ creator or op", who);
    LIT_ASSERT(t->magic == LIT_TENSOR_MAGIC,
               "%s: tensor %p is not alive: it was freed or its arena was reset. Tensors made during "
               "a step die at lit_arena_reset; keep values with lit_item/lit_tensor_copy_ into a "
               "persistent tensor (lit_tensor_new)",
               who, (const void *)t);
    if (t->arena) {
        uint32_t now = lit_arena_generation(t->arena);
        LIT_ASSERT(t->generation == now,
                   "%s: tensor%s%s %s was made in arena '%s' generation %u, which has been reset "
                   "(now generation %u); tensors from a step do not survive lit_arena_reset: make it "
                   "persistent (lit_tensor_new) or recompute it",
                   who, t->name ? " " : "", t->name ? t->name : "", LIT_SHAPE_STR(t),
                   lit_arena_name(t->arena), t->generation, now);
    }
}

int lit_is_contiguous(const lit_tensor *t) {
    int64_t s = 1;
    for (int i = t->ndim - 1; i >= 0; i--) {
        if (t->shape[i] != 1 && t->stride[i] != s) return 0;
        s *= t->shape[i];
    }
    return 1;
}

int lit_same_shape(const lit_tensor *a, const lit_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (int i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

char *lit_shape_str(const lit_tensor *t, char *buf, size_t n) {
    if (!t) {
        snprintf(buf, n, "(null)");
        return buf;
    }
    size_t off = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < t->ndim && off < n; i++)
        off += (size_t)snprintf(buf + off, n - off, i ? ", %lld" : "%lld", (long long)t->shape[i]);
    if (off < n) snprintf(buf + off, n - off, t->ndim == 1 ? ",)" : ")");
    return buf;
}

static void *typed_data(const lit_tensor *t, lit_dtype dt, const char *accessor) {
    lit_tensor_check(t, accessor);
    LIT_ASSERT(t->dtype == dt, "%s: tensor %s has dtype %s; convert it with lit_to_dtype(t, %s)", accessor,
               LIT_SHAPE_STR(t), lit_dtype_name(t->dtype), lit_dtype_name(dt));
    LIT_ASSERT(lit_is_contiguous(t), "%s: tensor %s is a non-contiguous view; call lit_contiguous first",
               accessor, LIT_SHAPE_STR(t));
    return t->data;
}

float *lit_f32(const lit_tensor *t) { return typed_data(t, LIT_F32, "lit_f32"); }
uint16_t *lit_bf16(const lit_tensor *t) { return typed_data(t, LIT_BF16, "lit_bf16"); }
int32_t *lit_i32(const lit_tensor *t) { return typed_data(t, LIT_I32, "lit_i32"); }
int64_t *lit_i64(const lit_tensor *t) { return typed_data(t, LIT_I64, "lit_i64"); }

static double load(const lit_tensor *t, int64_t off) {
    switch (t->dtype) {
    case LIT_F32: return ((const float *)t->data)[off];
    case LIT_BF16: return lit_bf16_to_f32(((const uint16_t *)t->data)[off]);
    case LIT_I32: return ((const int32_t *)t->data)[off];
    case LIT_I64: return (double)((const int64_t *)t->data)[off];
    default: return 0;
    }
}

static void store(lit_tensor *t, int64_t off, double v) {
    switch (t->dtype) {
    case LIT_F32: ((float *)t->data)[off] = (float)v; break;
    case LIT_BF16: ((uint16_t *)t->data)[off] = lit_f32_to_bf16((float)v); break;
    case LIT_I32: ((int32_t *)t->data)[off] = (int32_t)v; break;
    case LIT_I64: ((int64_t *)t->data)[off] = (int64_t)v; break;
    default: break;
    }
}

static int64_t flat_to_offset(const lit_tensor *t, int64_t k) {
    int64_t off = 0;
    for (int d = t->ndim - 1; d >= 0; d--) {
        int64_t i = t->shape[d] ? k % t->shape[d] : 0;
        k = t->shape[d] ? k / t->shape[d] : 0;
        off += i * t->stride[d];
    }
    return off;
}

double lit_item(const lit_tensor *t) {
    lit_tensor_check(t, "lit_item");
    LIT_ASSERT(t->numel == 1, "lit_item: tensor %s has %lld elements; lit_item needs exactly one (reduce it first, e.g. lit_mean_all)",
               LIT_SHAPE_STR(t), (long long)t->numel);
    return load(t, 0);
}

double lit_get(const lit_tensor *t, const int64_t *index) {
    lit_tensor_check(t, "lit_get");
    int64_t off = 0;
    for (int d = 0; d < t->ndim; d++) {
        LIT_ASSERT(index[d] >= 0 && index[d] < t->shape[d], "lit_get: index %lld out of range for dim %d of %s",
                   (long long)index[d], d, LIT_SHAPE_STR(t));
        off += index[d] * t->stride[d];
    }
    return load(t, off);
}

double lit_get_flat(const lit_tensor *t, int64_t k) {
    lit_tensor_check(t, "lit_get_flat");
    LIT_ASSERT(k >= 0 && k < t->numel, "lit_get_flat: index %lld out of range for %s", (long long)k, LIT_SHAPE_STR(t));
    return load(t, flat_to_offset(t, k));
}

void lit_set_flat(lit_tensor *t, int64_t k, double v) {
    lit_tensor_check(t, "lit_set_flat");
    LIT_ASSERT(k >= 0 && k < t->numel, "lit_set_flat: index %lld out of range for %s", (long long)k, LIT_SHAPE_STR(t));
    store(t, flat_to_offset(t, k), v);
}

void lit_tensor_copy_(lit_tensor *dst, const lit_tensor *src) {
    lit_tensor_check(dst, "lit_tensor_copy_");
    lit_tensor_check(src, "lit_tensor_copy_");
    LIT_ASSERT(dst->numel == src->numel && lit_same_shape(dst, src),
               "lit_tensor_copy_: shapes differ: dst %s, src %s; reshape one of them", LIT_SHAPE_STR(dst),
               LIT_SHAPE_STR(src));
    if (dst->dtype == src->dtype && lit_is_contiguous(dst) && lit_is_contiguous(src)) {
        memmove(dst->data, src->data, (size_t)src->numel * lit_dtype_size(src->dtype));
        return;
    }
    if (dst->dtype == LIT_F32 && src->dtype == LIT_F32) {
        /* strided f32 copy: walk indices once */
        int64_t idx[LIT_MAX_DIMS] = {0};
        float *d = dst->data;
        const float *s = src->data;
        for (int64_t k = 0; k < src->numel; k++) {
            int64_t so = 0, doff = 0;
            for (int i = 0; i < src->ndim; i++) {
                so += idx[i] * src->stride[i];
                doff += idx[i] * dst->stride[i];
            }
            d[doff] = s[so];
            for (int i = src->ndim - 1; i >= 0; i--) {
                if (++idx[i] < src->shape[i]) break;
                idx[i] = 0;
            }
        }
        return;
    }
    for (int64_t k = 0; k < src->numel; k++) store(dst, flat_to_offset(dst, k), load(src, flat_to_offset(src, k)));
}

void lit_tensor_fill_(lit_tensor *t, double v) {
    lit_tensor_check(t, "lit_tensor_fill_");
    if (t->dtype == LIT_F32 && lit_is_contiguous(t)) {
        float *p = t->data, f = (float)v;
        for (int64_t i = 0; i < t->numel; i++) p[i] = f;
        return;
    }
    for (int64_t k = 0; k < t->numel; k++) store(t, flat_to_offset(t, k), v);
}

void lit_tensor_zero_(lit_tensor *t) {
    lit_tensor_check(t, "lit_tensor_zero_");
    if (lit_is_contiguous(t)) {
        memset(t->data, 0, (size_t)t->numel * lit_dtype_size(t->dtype));
        return;
    }
    lit_tensor_fill_(t, 0.0);
}
