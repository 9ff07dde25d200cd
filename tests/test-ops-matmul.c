/* matmul / matmul_ex / bmm / linear: forward against a naive double triple
 * loop, backward against central differences, from one table of cases;
 * plus gradient accumulation, the backend table and error messages. */
#include "opcheck.h"

typedef enum { M_MATMUL, M_EX, M_BMM, M_LINEAR } mkind;

typedef struct {
    const char *name;
    mkind kind;
    int na;
    int64_t a[4];
    int nb;
    int64_t b[4];
    int ta, tb;     /* matmul_ex flags */
    int bias;       /* linear: with bias */
    int strided;    /* bit 0: a strided, bit 1: b strided */
    int check_grad;
} mcase;

static const mcase cases[] = {
    {"2d x 2d", M_MATMUL, 2, {3, 4}, 2, {4, 5}, 0, 0, 0, 0, 1},
    {"ex a^T", M_EX, 2, {4, 3}, 2, {4, 5}, 1, 0, 0, 0, 1},
    {"ex b^T", M_EX, 2, {3, 4}, 2, {5, 4}, 0, 1, 0, 0, 1},
    {"ex a^T b^T", M_EX, 2, {4, 3}, 2, {5, 4}, 1, 1, 0, 0, 1},
    {"dot 1d x 1d", M_MATMUL, 1, {4}, 1, {4}, 0, 0, 0, 0, 1},
    {"1d x 2d", M_MATMUL, 1, {4}, 2, {4, 5}, 0, 0, 0, 0, 1},
    {"2d x 1d", M_MATMUL, 2, {3, 4}, 1, {4}, 0, 0, 0, 0, 1},
    {"1d x 3d", M_MATMUL, 1, {4}, 3, {2, 4, 5}, 0, 0, 0, 0, 1},
    {"3d x 1d", M_MATMUL, 3, {2, 3, 4}, 1, {4}, 0, 0, 0, 0, 1},
    {"batched", M_MATMUL, 3, {2, 3, 4}, 3, {2, 4, 5}, 0, 0, 0, 0, 1},
    {"broadcast batch", M_MATMUL, 4, {2, 1, 3, 4}, 3, {3, 4, 2}, 0, 0, 0, 0, 1},
    {"batched x 2d (folded)", M_MATMUL, 3, {2, 3, 4}, 2, {4, 5}, 0, 0, 0, 0, 1},
    {"4d x 2d (folded)", M_MATMUL, 4, {2, 2, 3, 4}, 2, {4, 2}, 0, 0, 0, 0, 1},
    {"2d x batched", M_MATMUL, 2, {3, 4}, 3, {2, 4, 5}, 0, 0, 0, 0, 1},
    {"size-1 batch", M_MATMUL, 3, {1, 3, 4}, 3, {2, 4, 5}, 0, 0, 0, 0, 1},
    {"ex batched a^T b^T", M_EX, 3, {2, 4, 3}, 3, {2, 5, 4}, 1, 1, 0, 0, 1},
    {"ex folded b^T", M_EX, 3, {2, 3, 4}, 2, {5, 4}, 0, 1, 0, 0, 1},
    {"ex folded a^T", M_EX, 3, {2, 4, 3}, 2, {4, 5}, 1, 0, 0, 0, 1},
    {"strided a", M_MATMUL, 2, {3, 4}, 2, {4, 5}, 0, 0, 0, 1, 1},
    {"strided b", M_MATMUL, 2, {3, 4}, 2, {4, 5}, 0, 0, 0, 2, 1},
    {"strided batched a", M_MATMUL, 3, {2, 3, 4}, 2, {4, 5}, 0, 0, 0, 1, 1},
    {"strided ex both", M_EX, 3, {2, 4, 3}, 3, {2, 5, 4}, 1, 1, 0, 3, 1},
    {"empty m", M_MATMUL, 2, {0, 4}, 2, {4, 5}, 0, 0, 0, 0, 0},
    {"empty k (zeros)", M_MATMUL, 2, {3, 0}, 2, {0, 5}, 0, 0, 0, 0, 1},
    {"empty batch", M_MATMUL, 3, {0, 3, 4}, 2, {4, 3}, 0, 0, 0, 0, 0},
    {"bmm", M_BMM, 3, {2, 3, 4}, 3, {2, 4, 5}, 0, 0, 0, 0, 1},
    {"linear", M_LINEAR, 2, {3, 4}, 2, {5, 4}, 0, 0, 1, 0, 1},
    {"linear no bias 3d", M_LINEAR, 3, {2, 3, 4}, 2, {5, 4}, 0, 0, 0, 0, 1},
    {"linear 1d input", M_LINEAR, 1, {4}, 2, {3, 4}, 0, 0, 1, 0, 1},
    {"linear strided x", M_LINEAR, 2, {3, 4}, 2, {5, 4}, 0, 0, 1, 1, 1},
    {"linear strided w", M_LINEAR, 2, {3, 4}, 2, {5, 4}, 0, 0, 1, 2, 1},
    {"linear empty batch", M_LINEAR, 2, {0, 4}, 2, {5, 4}, 0, 0, 1, 0, 0},
    {"linear in=0", M_LINEAR, 2, {3, 0}, 2, {2, 0}, 0, 0, 1, 0, 1},
};

static lit_tensor *call(lit_tensor *const *in, void *ctx) {
    const mcase *c = ctx;
    switch (c->kind) {
    case M_MATMUL: return lit_matmul(in[0], in[1]);
    case M_EX: return lit_matmul_ex(in[0], in[1], c->ta, c->tb);
    case M_BMM: return lit_bmm(in[0], in[1]);
    case M_LINEAR: return lit_linear(in[0], in[1], c->bias ? in[2] : NULL);
    }
    return NULL;
}

/* Element (i, p) of op(t) at batch index bi (right-aligned, size-1 broadcast). */
static double mat_at(const lit_tensor *t, int promoted_row, int trans, const int64_t *bi, int nbd, int64_t i,
                     int64_t p) {
    int64_t idx[LIT_MAX_DIMS];
    if (t->ndim == 1) { /* promoted vector: row (1, k) or column (k, 1) */
        idx[0] = promoted_row ? p : i;
        return lit_get(t, idx);
    }
    int tb = t->ndim - 2;
    for (int d = 0; d < tb; d++) idx[d] = t->shape[d] == 1 ? 0 : bi[nbd - tb + d];
    idx[tb] = trans ? p : i;
    idx[tb + 1] = trans ? i : p;
    return lit_get(t, idx);
}

/* Naive torch.matmul semantics in double; returns numel, fills ref. */
static int64_t ref_matmul(const lit_tensor *a, const lit_tensor *b, int ta, int tb, double *ref) {
    int64_t ra = a->ndim == 1 ? 1 : a->shape[a->ndim - (ta ? 1 : 2)];
    int64_t k = a->shape[a->ndim - (a->ndim == 1 ? 1 : (ta ? 2 : 1))];
    int64_t n = b->ndim == 1 ? 1 : b->shape[b->ndim - (tb ? 2 : 1)];
    int na = a->ndim > 2 ? a->ndim - 2 : 0, nb = b->ndim > 2 ? b->ndim - 2 : 0, nbd = na > nb ? na : nb;
    int64_t bshape[LIT_MAX_DIMS], nbatch = 1;
    for (int d = 0; d < nbd; d++) {
        int ia = d - (nbd - na), ib = d - (nbd - nb);
        int64_t sa = ia >= 0 ? a->shape[ia] : 1, sb = ib >= 0 ? b->shape[ib] : 1;
        bshape[d] = sa == 1 ? sb : sa;
        nbatch *= bshape[d];
    }
    int64_t o = 0;
    for (int64_t q = 0; q < nbatch; q++) {
        int64_t bi[LIT_MAX_DIMS], rem = q;
        for (int d = nbd - 1; d >= 0; d--) {
            bi[d] = rem % bshape[d];
            rem /= bshape[d];
        }
        for (int64_t i = 0; i < ra; i++)
            for (int64_t j = 0; j < n; j++) {
                double s = 0;
                for (int64_t p = 0; p < k; p++)
                    s += mat_at(a, 1, ta, bi, nbd, i, p) * mat_at(b, 0, tb, bi, nbd, p, j);
                ref[o++] = s;
            }
    }
    return o;
}

static int64_t ref_linear(const lit_tensor *x, const lit_tensor *w, const lit_tensor *bias, double *ref) {
    int64_t in = w->shape[1], out = w->shape[0], rows = in ? x->numel / in : lit_numel_of(x->ndim - 1, x->shape);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t o = 0; o < out; o++) {
            double s = bias ? lit_get_flat(bias, o) : 0;
            for (int64_t i = 0; i < in; i++) s += lit_get_flat(x, r * in + i) * lit_get(w, (int64_t[]){o, i});
            ref[r * out + o] = s;
        }
    return rows * out;
}

TEST(matmul_table) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const mcase *c = &cases[i];
        lit_tensor *in[3];
        in[0] = opcheck_randn(c->na, c->a, 10 * i + 1);
        in[1] = opcheck_randn(c->nb, c->b, 10 * i + 2);
        in[2] = opcheck_randn(1, &c->b[0], 10 * i + 3);
        if (c->strided & 1) in[0] = opcheck_noncontig(in[0]);
        if (c->strided & 2) in[1] = opcheck_noncontig(in[1]);
        lit_tensor *out = call(in, (void *)c);
        double *ref = calloc(4096, sizeof *ref);
        int64_t n = c->kind == M_LINEAR ? ref_linear(in[0], in[1], c->bias ? in[2] : NULL, ref)
                                        : ref_matmul(in[0], in[1], c->ta, c->tb, ref);
        opcheck_forward(c->name, out, ref, n, 1e-5, 1e-5);
        free(ref);
        if (c->check_grad) {
            int n_in = c->kind == M_LINEAR && c->bias ? 3 : 2;
            for (int j = 0; j < n_in; j++) in[j]->requires_grad = 1;
            opcheck_grad(c->name, call, n_in, in, (void *)c, OPCHECK_TOL);
        }
    }
}

TEST(matmul_output_shapes) {
    lit_tensor *v = lit_zeros(LIT_F32, LIT_SHAPE(4));
    CHECK_EQ_INT(lit_matmul(v, v)->ndim, 0);
    lit_tensor *r = lit_matmul(lit_zeros(LIT_F32, LIT_SHAPE(2, 1, 3, 4)), lit_zeros(LIT_F32, LIT_SHAPE(5, 4, 6)));
    CHECK_STR_EQ(LIT_SHAPE_STR(r), "(2, 5, 3, 6)");
    r = lit_matmul(v, lit_zeros(LIT_F32, LIT_SHAPE(2, 4, 6)));
    CHECK_STR_EQ(LIT_SHAPE_STR(r), "(2, 6)");
    r = lit_linear(lit_zeros(LIT_F32, LIT_SHAPE(2, 3, 4)), lit_zeros(LIT_F32, LIT_SHAPE(7, 4)), NULL);
    CHECK_STR_EQ(LIT_SHAPE_STR(r), "(2, 3, 7)");
}

/* Parameter gradients accumulate (sgemm beta = 1), and an intermediate
 * input (x = linear output) gets its gradient on every walk afresh. */
TEST(linear_accumulates_into_grad) {
    lit_tensor *x = opcheck_randn(2, (int64_t[]){6, 4}, 1), *w1 = opcheck_randn(2, (int64_t[]){5, 4}, 2);
    lit_tensor *w2 = opcheck_randn(2, (int64_t[]){3, 5}, 3), *b = opcheck_randn(1, (int64_t[]){3}, 4);
    w1->requires_grad = w2->requires_grad = b->requires_grad = 1;
    lit_tensor *loss = lit_sum_all(lit_linear(lit_linear(x, w1, NULL), w2, b));
    lit_backward(loss);
    lit_tensor *g1 = lit_clone(w1->grad), *g2 = lit_clone(w2->grad), *gb = lit_clone(b->grad);
    lit_backward(loss);
    for (int64_t i = 0; i < g1->numel; i++) CHECK_NEAR(lit_f32(w1->grad)[i], 2 * lit_f32(g1)[i], 1e-5);
    for (int64_t i = 0; i < g2->numel; i++) CHECK_NEAR(lit_f32(w2->grad)[i], 2 * lit_f32(g2)[i], 1e-5);
    for (int64_t i = 0; i < 3; i++) CHECK_NEAR(lit_f32(b->grad)[i], 2 * 6, 1e-5);
    CHECK_NEAR(lit_f32(gb)[0], 6, 0);
}

/* The same product gives the same bits run after run at a fixed thread
 * count (OpenBLAS may differ in the last bits across thread counts, see
 * backend.h); small batched products are thread-count invariant. */
TEST(matmul_deterministic) {
    int prev = lit_get_num_threads();
    lit_tensor *a = opcheck_randn(2, (int64_t[]){96, 300}, 5), *b = opcheck_randn(2, (int64_t[]){300, 200}, 6);
    lit_set_num_threads(2);
    lit_tensor *c1 = lit_matmul(a, b), *c2 = lit_matmul(a, b);
    CHECK(memcmp(c1->data, c2->data, (size_t)c1->numel * 4) == 0);
    lit_tensor *ba = opcheck_randn(3, (int64_t[]){8, 16, 24}, 7), *bb = opcheck_randn(3, (int64_t[]){8, 24, 20}, 8);
    lit_tensor *d2 = lit_bmm(ba, bb);
    lit_set_num_threads(1);
    lit_tensor *d1 = lit_bmm(ba, bb);
    lit_set_num_threads(prev);
    CHECK(memcmp(d1->data, d2->data, (size_t)d1->numel * 4) == 0);
}

static int gemm_calls;
static void counting_sgemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                           const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    gemm_calls++;
    lit_backend_cpu()->sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

TEST(backend_table) {
    CHECK_STR_EQ(lit_backend_get()->name, "cpu-openblas");
    CHECK(lit_backend_get() == lit_backend_cpu());
    lit_backend counting = *lit_backend_cpu();
    counting.name = "counting";
    counting.sgemm = counting_sgemm;
    lit_backend_set(&counting);
    gemm_calls = 0;
    lit_tensor *y = lit_matmul(lit_ones(LIT_F32, LIT_SHAPE(2, 3)), lit_ones(LIT_F32, LIT_SHAPE(3, 2)));
    CHECK_EQ_INT(gemm_calls, 1);
    CHECK_NEAR(lit_f32(y)[3], 3, 0);
    lit_backend_set(NULL);
    CHECK(lit_backend_get() == lit_backend_cpu());
    lit_backend bad = counting;
    bad.version = 99;
    EXPECT_ASSERT(lit_backend_set(&bad), "version 99");
}

TEST(matmul_errors) {
    lit_tensor *a = lit_zeros(LIT_F32, LIT_SHAPE(2, 3)), *b = lit_zeros(LIT_F32, LIT_SHAPE(4, 5));
    EXPECT_ASSERT(lit_matmul(a, b), "lit_matmul: inner dims differ: a (2, 3)");
    EXPECT_ASSERT(lit_matmul(a, b), "b (4, 5)");
    EXPECT_ASSERT(lit_matmul_ex(a, a, 0, 0), "lit_matmul_ex");
    EXPECT_ASSERT(lit_matmul(lit_zeros(LIT_F32, LIT_SHAPE(2, 2, 3)), lit_zeros(LIT_F32, LIT_SHAPE(3, 3, 4))),
                  "do not broadcast");
    EXPECT_ASSERT(lit_bmm(lit_zeros(LIT_F32, LIT_SHAPE(2, 2, 3)), lit_zeros(LIT_F32, LIT_SHAPE(3, 3, 4))), "lit_bmm");
    EXPECT_ASSERT(lit_matmul(lit_scalar(1), a), "at least 1-d");
    EXPECT_ASSERT(lit_linear(a, lit_zeros(LIT_F32, LIT_SHAPE(5, 4)), NULL), "in_features=4");
    EXPECT_ASSERT(lit_linear(a, lit_zeros(LIT_F32, LIT_SHAPE(5, 3)), lit_zeros(LIT_F32, LIT_SHAPE(4))), "bias (4,)");
    EXPECT_ASSERT(lit_matmul(lit_zeros(LIT_I64, LIT_SHAPE(2, 3)), a), "lit_to_dtype");
}

int main(void) {
    RUN(matmul_table);
    RUN(matmul_output_shapes);
    RUN(linear_accumulates_into_grad);
    RUN(matmul_deterministic);
    RUN(backend_table);
    RUN(matmul_errors);
    return harness_summary();
}
