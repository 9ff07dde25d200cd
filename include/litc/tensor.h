/*
 * litc/tensor.h — n-dimensional tensors: dtypes, shapes, strides, creation,
 * element access and printing.
 *
 * A tensor is a small header (this struct) plus a data pointer. Tensors made
 * by ops and by the lit_zeros/lit_empty/... creators live in the thread's
 * current arena (core.h) and die at its next reset; persistent tensors
 * (parameters, optimizer state) are made with lit_tensor_new() in an arena
 * you own or on the heap, and freed with lit_tensor_free() when heap-made.
 *
 * Views (reshape, permute, slice, expand — see ops.h) share data with their
 * base; `stride` is in elements and may be 0 (broadcast). Most ops accept
 * any strides and make a contiguous copy when their kernel needs one.
 *
 * Intended usage:
 *
 *     lit_tensor *x = lit_randn(LIT_SHAPE(4, 3), NULL);    // (4, 3) f32
 *     lit_tensor *w = lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(3, 2));
 *     w->requires_grad = 1;
 *     lit_tensor_print(x, "x");
 *     float v = lit_f32(x)[1 * 3 + 2];                     // x[1, 2]
 *
 * Errors: shape and dtype misuse are programmer errors (LIT_ASSERT names the
 * function, the shapes and the fix). Using a tensor whose arena was reset is
 * caught by the generation check every op performs (lit_tensor_check).
 */
#ifndef LITC_TENSOR_H
#define LITC_TENSOR_H

#include <stdint.h>
#include <stdio.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_MAX_DIMS 8

typedef enum {
    LIT_F32 = 0,
    LIT_BF16, /* storage format: 8-bit exponent, 7-bit mantissa; compute in f32 */
    LIT_I32,
    LIT_I64,
    LIT_DTYPE_COUNT
} lit_dtype;

size_t lit_dtype_size(lit_dtype dt);
const char *lit_dtype_name(lit_dtype dt); /* "f32", "bf16", "i32", "i64" */
int lit_dtype_is_float(lit_dtype dt);

/* bf16 <-> f32: round-to-nearest-even, NaN stays NaN (quiet). */
uint16_t lit_f32_to_bf16(float f);
float lit_bf16_to_f32(uint16_t b);
void lit_f32_to_bf16_n(const float *src, uint16_t *dst, size_t n);
void lit_bf16_to_f32_n(const uint16_t *src, float *dst, size_t n);

typedef struct lit_node lit_node; /* autograd.h */

#define LIT_TENSOR_MAGIC 0x4c495454u /* "LITT" */

typedef struct lit_tensor {
    uint32_t magic;        /* LIT_TENSOR_MAGIC while alive */
    uint32_t generation;   /* arena generation at creation */
    lit_arena *arena;      /* owner of this header and its data; NULL = heap */
    lit_dtype dtype;
    int ndim;                        /* 0 .. LIT_MAX_DIMS (0 = scalar) */
    int64_t shape[LIT_MAX_DIMS];
    int64_t stride[LIT_MAX_DIMS];    /* in elements; 0 for broadcast dims */
    int64_t numel;
    void *data;                      /* address of element [0, ..., 0] */
    struct lit_tensor *base;         /* view: the tensor owning the data; else NULL */

    /* autograd (autograd.h) */
    int requires_grad;               /* leaf flag set by the user; ops propagate it */
    struct lit_tensor *grad;         /* accumulated gradient, same shape, f32; NULL until backward */
    struct lit_tensor *grad_spare;   /* storage of a gradient set to none, reused by the next backward */
    lit_node *grad_fn;               /* node that produced this tensor; NULL for leaves */
    const char *name;                /* optional, for messages (not owned) */
} lit_tensor;

/* Shape literal helper: lit_zeros(LIT_F32, LIT_SHAPE(2, 3)) expands to
 * `2, (const int64_t[]){2, 3}`. */
#define LIT_SHAPE(...)                                                      \
    (int)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)),        \
        (const int64_t[]) { __VA_ARGS__ }

/* ---- persistent tensors */

/* Zero-filled contiguous tensor in `arena` (NULL = heap). Returns NULL only on
 * out of memory or a size that overflows (last error set, naming the shape,
 * dtype and bytes; LIT_ERR_NOMEM). Heap tensors are freed with lit_tensor_free,
 * which also frees their .grad. */
lit_tensor *lit_tensor_new(lit_arena *arena, lit_dtype dt, int ndim, const int64_t *shape);
void lit_tensor_free(lit_tensor *t); /* NULL and arena tensors: no-op */

/* ---- tensors in the current arena (die at its reset) */

lit_tensor *lit_empty(lit_dtype dt, int ndim, const int64_t *shape); /* uninitialised */
lit_tensor *lit_zeros(lit_dtype dt, int ndim, const int64_t *shape);
lit_tensor *lit_ones(lit_dtype dt, int ndim, const int64_t *shape);
lit_tensor *lit_full(lit_dtype dt, int ndim, const int64_t *shape, double value);
lit_tensor *lit_scalar(double value); /* 0-d f32 */
/* 1-d [start, start+step, ...) up to `end` (exclusive), like torch.arange. */
lit_tensor *lit_arange(lit_dtype dt, double start, double end, double step);
/* f32 samples from N(0,1) / U[0,1); rng NULL = lit_rng_global(). */
lit_tensor *lit_randn(int ndim, const int64_t *shape, lit_rng *rng);
lit_tensor *lit_rand(int ndim, const int64_t *shape, lit_rng *rng);
/* Copy `data` (numel elements of dt, row-major) into a new tensor. */
lit_tensor *lit_from_buffer(lit_dtype dt, int ndim, const int64_t *shape, const void *data);
/* Same shapes/dtype as `like`. */
lit_tensor *lit_zeros_like(const lit_tensor *like);
lit_tensor *lit_empty_like(const lit_tensor *like);

/* Allocate a header (and optionally data) in arena `a` (NULL = heap); the
 * building block of every creator above, exposed for kernels, loaders and
 * tests. Out of memory, or a shape whose size overflows, returns NULL with
 * LIT_ERR_NOMEM "out of memory allocating a (100000, 100000) f32 tensor
 * (37.3 GiB) in arena 'step'" as the last error. */
lit_tensor *lit__tensor_alloc(lit_arena *a, lit_dtype dt, int ndim, const int64_t *shape, int with_data);
/* The same for op outputs (lit_empty and every op through it), which have
 * no status to return: never NULL. A failure names the op too ("... (op
 * lit_linear)") and goes through lit__oom_raise: LIT_ERR_NOMEM from the
 * Trainer's step, or a panic outside one. */
lit_tensor *lit__tensor_alloc_op(lit_arena *a, lit_dtype dt, int ndim, const int64_t *shape, int with_data);
/* Ops name themselves on entry (lit__check_input & co.) so that an
 * allocation failure inside them says which op it was. */
void lit__op_enter(const char *op);

/* ---- queries and access */

int lit_is_contiguous(const lit_tensor *t);
int lit_same_shape(const lit_tensor *a, const lit_tensor *b);
int64_t lit_numel_of(int ndim, const int64_t *shape);
/* "(2, 3, 4)" into buf; returns buf. */
char *lit_shape_str(const lit_tensor *t, char *buf, size_t n);
#define LIT_SHAPE_STR(t) lit_shape_str((t), (char[96]){0}, 96)

/* Abort with a clear message if `t` is NULL, freed, or from a reset arena.
 * `who` names the calling op in the message. Every op calls this. */
void lit_tensor_check(const lit_tensor *t, const char *who);

/* Typed data pointers; assert the dtype and contiguity. */
float *lit_f32(const lit_tensor *t);
uint16_t *lit_bf16(const lit_tensor *t);
int32_t *lit_i32(const lit_tensor *t);
int64_t *lit_i64(const lit_tensor *t);

/* Value of a one-element tensor of any dtype. */
double lit_item(const lit_tensor *t);
/* Element at a full index (any dtype, any strides), as double. */
double lit_get(const lit_tensor *t, const int64_t *index);
/* Flat row-major element k of a (possibly strided) tensor, as double. */
double lit_get_flat(const lit_tensor *t, int64_t k);
void lit_set_flat(lit_tensor *t, int64_t k, double v);

/* Copy src into dst elementwise (same shape; any strides; converts dtypes). */
void lit_tensor_copy_(lit_tensor *dst, const lit_tensor *src);
void lit_tensor_fill_(lit_tensor *t, double v);
void lit_tensor_zero_(lit_tensor *t);

/* Print shape, dtype and (up to `max_items`, 0 = 64) values. */
void lit_tensor_fprint(FILE *f, const lit_tensor *t, const char *name, int max_items);
void lit_tensor_print(const lit_tensor *t, const char *name);

#ifdef __cplusplus
}
#endif
#endif
