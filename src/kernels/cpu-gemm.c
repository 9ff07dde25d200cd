/*
 * The CPU backend: row-major sgemm over OpenBLAS (cblas_sgemm), and the
 * backend table ops read through lit_backend_get().
 */
#include <cblas.h>
#include <string.h>

#include "litc/backend.h"
#include "litc/core.h"

#include "core/par-impl.h"

/* C = beta * C for the k == 0 case BLAS would otherwise be asked about. */
static void scale_c(int64_t m, int64_t n, float beta, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++) {
        float *row = c + i * ldc;
        if (beta == 0.0f) {
            memset(row, 0, (size_t)n * sizeof *row);
        } else if (beta != 1.0f) {
            for (int64_t j = 0; j < n; j++) row[j] *= beta;
        }
    }
}

static void cpu_sgemm(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                      int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0) {
        scale_c(m, n, beta, c, ldc);
        return;
    }
    LIT_ASSERT(m <= INT32_MAX && n <= INT32_MAX && k <= INT32_MAX && lda <= INT32_MAX && ldb <= INT32_MAX &&
                   ldc <= INT32_MAX,
               "sgemm: m=%lld n=%lld k=%lld exceed the 32-bit BLAS interface; split the product", (long long)m,
               (long long)n, (long long)k);
    if (beta == 0.0f) { /* zeroing C ourselves beats OpenBLAS's beta=0 pass (sgemm_beta) */
        scale_c(m, n, 0.0f, c, ldc);
        beta = 1.0f;
    }
    cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, (int)m,
                (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

/* Products below this many multiply-adds run one per OpenMP thread (OpenBLAS
 * runs single-threaded inside a parallel region); larger ones run one after
 * another, each threaded by OpenBLAS. Either way each C matrix is computed by
 * the same kernel call, so results do not depend on the thread count. */
#define BATCH_SPLIT_MAX_FMA (128 * 128 * 128)

static void cpu_sgemm_strided_batched(int trans_a, int trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                                      const float *a, int64_t lda, const float *b, int64_t ldb, float beta,
                                      float *c, int64_t ldc, int64_t batch, int64_t stride_a, int64_t stride_b,
                                      int64_t stride_c) {
    if (batch <= 0 || m <= 0 || n <= 0) return;
    int split = batch > 1 && m * n * k <= BATCH_SPLIT_MAX_FMA;
    LIT__PAR_FOR(split, schedule(static),
        for (int64_t i = 0; i < batch; i++) {
            cpu_sgemm(trans_a, trans_b, m, n, k, alpha, a + i * stride_a, lda, b + i * stride_b, ldb, beta,
                      c + i * stride_c, ldc);
        });
}

static const lit_backend cpu_backend = {
    .version = LIT_BACKEND_VERSION,
    .name = "cpu-openblas",
    .sgemm = cpu_sgemm,
    .sgemm_strided_batched = cpu_sgemm_strided_batched,
    .user = NULL,
};

static const lit_backend *current = &cpu_backend;

const lit_backend *lit_backend_cpu(void) { return &cpu_backend; }

const lit_backend *lit_backend_get(void) { return current; }

void lit_backend_set(const lit_backend *b) {
    if (!b) {
        current = &cpu_backend;
        return;
    }
    LIT_ASSERT(b->version == LIT_BACKEND_VERSION,
               "lit_backend_set: backend '%s' has version %d; this litc expects %d (rebuild the backend)",
               b->name ? b->name : "?", b->version, LIT_BACKEND_VERSION);
    LIT_ASSERT(b->sgemm && b->sgemm_strided_batched,
               "lit_backend_set: backend '%s' leaves a function slot NULL; fill sgemm and sgemm_strided_batched",
               b->name ? b->name : "?");
    current = b;
}
