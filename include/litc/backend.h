/*
 * litc/backend.h — the compute backend table: the dense kernels ops call.
 *
 * Ops (matmul, linear, attention, ...) never call BLAS directly; they go
 * through the current backend's function pointers. The CPU backend wraps
 * OpenBLAS (cblas_sgemm). A CUDA backend later fills the same table with
 * cuBLAS calls on device pointers and is installed with lit_backend_set;
 * no op changes.
 *
 * All matrices are ROW-MAJOR. op(X) is X or its transpose (flag != 0):
 *
 *     C (m, n) = alpha * op(A) (m, k) @ op(B) (k, n) + beta * C
 *
 * A is stored (m, k) with row stride lda >= k, or (k, m) with lda >= m when
 * trans_a; likewise B. With beta == 0, C is written without being read (it
 * may hold garbage or NaN). k == 0 gives C = beta * C; m == 0 or n == 0 does
 * nothing.
 *
 * Intended usage:
 *
 *     const lit_backend *be = lit_backend_get();
 *     be->sgemm(0, 1, m, n, k, 1.0f, x, k, w, k, 0.0f, y, n);   // y = x @ w^T
 *
 * Determinism: a backend must give the same bits for the same call with the
 * same thread count, run after run. Across thread counts the last bits may
 * differ (OpenBLAS picks its edge micro-kernels by how it splits m and n
 * between threads), as with PyTorch; batched calls of small matrices are
 * the exception: each matrix runs on one thread, so they are invariant.
 */
#ifndef LITC_BACKEND_H
#define LITC_BACKEND_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_BACKEND_VERSION 1

typedef struct lit_backend {
    int version;      /* LIT_BACKEND_VERSION */
    const char *name; /* "cpu-openblas", "cuda", ... */

    /* C = alpha * op(A) @ op(B) + beta * C (row-major, see above). */
    void (*sgemm)(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                  int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

    /* `batch` independent sgemms; matrix i of A starts at a + i * stride_a
     * (stride 0 broadcasts one matrix to every batch entry), likewise B, C.
     * C matrices must not overlap. */
    void (*sgemm_strided_batched)(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                                  const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                                  int64_t ldc, int64_t batch, int64_t stride_a, int64_t stride_b,
                                  int64_t stride_c);

    void *user; /* (optional) backend state; NULL for the CPU backend */
} lit_backend;

/* The backend ops use now (the CPU backend unless lit_backend_set changed it). */
const lit_backend *lit_backend_get(void);
/* Install `b` for every thread (NULL restores the CPU backend). The table
 * must outlive its use. Asserts b->version == LIT_BACKEND_VERSION and that
 * every function slot is set. Call between steps, not while ops run. */
void lit_backend_set(const lit_backend *b);
/* The built-in CPU backend (OpenBLAS). */
const lit_backend *lit_backend_cpu(void);

#ifdef __cplusplus
}
#endif
#endif
