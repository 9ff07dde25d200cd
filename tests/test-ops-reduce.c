/* Reductions: forward against naive double references, backward against
 * central differences, one table of cases; plus ties, determinism, errors. */
#include "opcheck.h"

typedef enum { R_SUM, R_MEAN, R_VAR, R_MAX, R_MIN, R_ARGMAX, R_SUM_ALL, R_MEAN_ALL } rkind;

typedef struct {
    const char *name;
    rkind kind;
    int ndim;
    int64_t shape[4];
    int n_dims;
    int dims[4];     /* for max/min/argmax: dims[0] */
    int keepdim;
    int correction;  /* var */
    int noncontig;   /* feed a strided view */
    int check_grad;
} rcase;

static const rcase cases[] = {
    {"sum dim 1", R_SUM, 3, {3, 4, 5}, 1, {1}, 0, 0, 0, 1},
    {"sum dim 1 keepdim", R_SUM, 3, {3, 4, 5}, 1, {1}, 1, 0, 0, 1},
    {"sum dim -1", R_SUM, 3, {3, 4, 5}, 1, {-1}, 0, 0, 0, 1},
    {"sum dims 0,2 (split)", R_SUM, 3, {3, 4, 5}, 2, {0, 2}, 1, 0, 0, 1},
    {"sum dims 2,0 no keepdim", R_SUM, 3, {3, 4, 5}, 2, {2, 0}, 0, 0, 0, 1},
    {"sum all (n_dims 0)", R_SUM, 3, {3, 4, 5}, 0, {0}, 0, 0, 0, 1},
    {"sum all keepdim", R_SUM, 2, {3, 4}, 0, {0}, 1, 0, 0, 1},
    {"sum bias case dim 0", R_SUM, 2, {8, 16}, 1, {0}, 1, 0, 0, 1},
    {"sum bias case wide", R_SUM, 2, {3, 1100}, 1, {0}, 0, 0, 0, 0},
    {"sum long rows", R_SUM, 2, {3, 1037}, 1, {1}, 0, 0, 0, 0},
    {"sum size-1 dim", R_SUM, 3, {2, 1, 3}, 1, {1}, 0, 0, 0, 1},
    {"sum over size-1 and more", R_SUM, 4, {2, 1, 3, 2}, 2, {1, 3}, 1, 0, 0, 1},
    {"sum empty reduced dim", R_SUM, 3, {2, 0, 3}, 1, {1}, 0, 0, 0, 0},
    {"sum empty kept dim", R_SUM, 3, {2, 0, 3}, 1, {0}, 1, 0, 0, 0},
    {"sum 0-d", R_SUM, 0, {0}, 0, {0}, 0, 0, 0, 1},
    {"sum 0-d dim 0", R_SUM, 0, {0}, 1, {0}, 1, 0, 0, 1},
    {"sum strided dim 0", R_SUM, 2, {4, 5}, 1, {0}, 0, 0, 1, 1},
    {"sum strided dim 1", R_SUM, 3, {2, 4, 5}, 1, {1}, 1, 0, 1, 1},
    {"mean dims 1,2", R_MEAN, 3, {3, 4, 5}, 2, {1, 2}, 0, 0, 0, 1},
    {"mean dim 0 keepdim", R_MEAN, 3, {3, 4, 5}, 1, {0}, 1, 0, 0, 1},
    {"mean strided", R_MEAN, 2, {3, 6}, 1, {-1}, 0, 0, 1, 1},
    {"mean empty dim (NaN)", R_MEAN, 2, {2, 0}, 1, {1}, 0, 0, 0, 0},
    {"var dim 1 unbiased", R_VAR, 3, {3, 4, 5}, 1, {1}, 1, 1, 0, 1},
    {"var dims 0,2 population", R_VAR, 3, {3, 4, 5}, 2, {0, 2}, 0, 0, 0, 1},
    {"var all", R_VAR, 2, {4, 6}, 0, {0}, 0, 1, 0, 1},
    {"var strided", R_VAR, 2, {5, 3}, 1, {0}, 1, 1, 1, 1},
    {"var one element (NaN)", R_VAR, 2, {3, 1}, 1, {1}, 0, 1, 0, 0},
    {"max dim 1", R_MAX, 3, {3, 4, 5}, 1, {1}, 0, 0, 0, 1},
    {"max dim -1 keepdim", R_MAX, 3, {3, 4, 5}, 1, {-1}, 1, 0, 0, 1},
    {"max size-1 dim", R_MAX, 2, {3, 1}, 1, {1}, 0, 0, 0, 1},
    {"max empty other dim", R_MAX, 2, {0, 4}, 1, {1}, 0, 0, 0, 0},
    {"max strided", R_MAX, 2, {4, 6}, 1, {0}, 0, 0, 1, 1},
    {"min dim 0", R_MIN, 3, {3, 4, 5}, 1, {0}, 0, 0, 0, 1},
    {"min dim 2 keepdim", R_MIN, 3, {2, 3, 4}, 1, {2}, 1, 0, 0, 1},
    {"argmax dim 2", R_ARGMAX, 3, {3, 4, 5}, 1, {2}, 0, 0, 0, 0},
    {"argmax dim 0 keepdim", R_ARGMAX, 3, {3, 4, 5}, 1, {0}, 1, 0, 0, 0},
    {"sum_all", R_SUM_ALL, 2, {3, 4}, 0, {0}, 0, 0, 0, 1},
    {"mean_all", R_MEAN_ALL, 3, {2, 3, 4}, 0, {0}, 0, 0, 0, 1},
    {"mean_all empty (NaN)", R_MEAN_ALL, 1, {0}, 0, {0}, 0, 0, 0, 0},
    {"sum_all empty", R_SUM_ALL, 2, {0, 3}, 0, {0}, 0, 0, 0, 0},
};

static lit_tensor *call(lit_tensor *const *in, void *ctx) {
    const rcase *c = ctx;
    switch (c->kind) {
    case R_SUM: return lit_sum(in[0], c->n_dims, c->dims, c->keepdim);
    case R_MEAN: return lit_mean(in[0], c->n_dims, c->dims, c->keepdim);
    case R_VAR: return lit_var(in[0], c->n_dims, c->dims, c->correction, c->keepdim);
    case R_MAX: return lit_max(in[0], c->dims[0], c->keepdim);
    case R_MIN: return lit_min(in[0], c->dims[0], c->keepdim);
    case R_ARGMAX: return lit_argmax(in[0], c->dims[0], c->keepdim);
    case R_SUM_ALL: return lit_sum_all(in[0]);
    case R_MEAN_ALL: return lit_mean_all(in[0]);
    }
    return NULL;
}

/* Which dims a case reduces (after normalising negative dims). */
static void reduced_mask(const rcase *c, int *red) {
    int nd = c->ndim;
    for (int d = 0; d < LIT_MAX_DIMS; d++) red[d] = 0;
    int all = c->kind == R_SUM_ALL || c->kind == R_MEAN_ALL || c->n_dims == 0;
    for (int d = 0; d < nd; d++) red[d] = all;
    if (!all && nd > 0)
        for (int i = 0; i < c->n_dims; i++) red[(c->dims[i] + nd) % nd] = 1;
}

/* Naive reference: walk every input element, map it to its output slot. */
static void reference(const rcase *c, const lit_tensor *x, double *ref, int64_t *n_out, int64_t *out_shape,
                      int *out_nd) {
    int nd = c->ndim, red[LIT_MAX_DIMS];
    reduced_mask(c, red);
    int one_dim = c->kind == R_MAX || c->kind == R_MIN || c->kind == R_ARGMAX;
    int keep = c->keepdim && c->kind != R_SUM_ALL && c->kind != R_MEAN_ALL;
    *out_nd = 0;
    for (int d = 0; d < nd; d++) {
        if (!red[d]) out_shape[(*out_nd)++] = c->shape[d];
        else if (keep) out_shape[(*out_nd)++] = 1;
    }
    int64_t no = 1, count = 1;
    for (int d = 0; d < nd; d++) {
        if (red[d]) count *= c->shape[d];
        else no *= c->shape[d];
    }
    *n_out = no;
    double *acc = calloc((size_t)(no + 1), sizeof *acc), *acc2 = calloc((size_t)(no + 1), sizeof *acc2);
    int64_t *arg = calloc((size_t)(no + 1), sizeof *arg), *seen = calloc((size_t)(no + 1), sizeof *seen);
    for (int pass = 0; pass < 2; pass++) {
        for (int64_t k = 0; k < x->numel; k++) {
            int64_t rem = k, o = 0, mul = 1, ridx = 0;
            for (int d = nd - 1; d >= 0; d--) {
                int64_t i = rem % c->shape[d];
                rem /= c->shape[d];
                if (!red[d]) {
                    o += i * mul;
                    mul *= c->shape[d];
                } else {
                    ridx = i;
                }
            }
            double v = lit_get_flat(x, k);
            if (pass == 0) {
                if (one_dim) {
                    int better = !seen[o] || (c->kind == R_MIN ? v < acc[o] : v > acc[o]);
                    if (better) {
                        acc[o] = v;
                        arg[o] = ridx;
                    }
                    seen[o] = 1;
                } else {
                    acc[o] += v;
                }
            } else if (c->kind == R_VAR) {
                double mu = acc[o] / (double)count;
                acc2[o] += (v - mu) * (v - mu);
            }
        }
    }
    for (int64_t o = 0; o < no; o++) {
        switch (c->kind) {
        case R_SUM: case R_SUM_ALL: case R_MAX: case R_MIN: ref[o] = acc[o]; break;
        case R_MEAN: case R_MEAN_ALL: ref[o] = count ? acc[o] / (double)count : NAN; break;
        case R_VAR: ref[o] = count - c->correction > 0 ? acc2[o] / (double)(count - c->correction) : NAN; break;
        case R_ARGMAX: ref[o] = (double)arg[o]; break;
        }
    }
    free(acc);
    free(acc2);
    free(arg);
    free(seen);
}

TEST(reduce_table) {
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const rcase *c = &cases[i];
        lit_tensor *x = opcheck_randn(c->ndim, c->shape, 100 + i);
        if (c->noncontig) x = opcheck_noncontig(x);
        CHECK_MSG(!c->noncontig || !lit_is_contiguous(x), "%s: input should be strided", c->name);
        lit_tensor *out = call(&x, (void *)c);
        int64_t n_out, oshape[LIT_MAX_DIMS];
        int ond;
        double *ref = calloc(4096, sizeof *ref);
        reference(c, x, ref, &n_out, oshape, &ond);
        CHECK_MSG(out->ndim == ond, "%s: output ndim %d, expected %d", c->name, out->ndim, ond);
        for (int d = 0; d < ond && d < out->ndim; d++)
            CHECK_MSG(out->shape[d] == oshape[d], "%s: output dim %d is %lld, expected %lld", c->name, d,
                      (long long)out->shape[d], (long long)oshape[d]);
        CHECK_MSG(out->dtype == (c->kind == R_ARGMAX ? LIT_I64 : LIT_F32), "%s: dtype %s", c->name,
                  lit_dtype_name(out->dtype));
        opcheck_forward(c->name, out, ref, n_out, 1e-5, 1e-5);
        free(ref);
        if (c->check_grad) {
            x->requires_grad = 1;
            opcheck_grad(c->name, call, 1, &x, (void *)c, OPCHECK_TOL);
        }
    }
}

TEST(max_grad_goes_to_first_extremum) {
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(2, 4), (float[]){1, 3, 3, 2, -1, -5, -5, 0});
    x->requires_grad = 1;
    lit_backward(lit_sum_all(lit_max(x, 1, 0)));
    float want_max[8] = {0, 1, 0, 0, 0, 0, 0, 1};
    CHECK_ALLCLOSE(lit_f32(x->grad), want_max, 8, 0, 0);
    x->grad = NULL;
    lit_backward(lit_sum_all(lit_min(x, -1, 1)));
    float want_min[8] = {1, 0, 0, 0, 0, 1, 0, 0};
    CHECK_ALLCLOSE(lit_f32(x->grad), want_min, 8, 0, 0);
    lit_tensor *am = lit_argmax(x, 1, 0);
    CHECK_EQ_INT(lit_i64(am)[0], 1);
    CHECK_EQ_INT(lit_i64(am)[1], 3);
}

TEST(max_propagates_nan) {
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(3), (float[]){1, NAN, 5});
    CHECK(isnan(lit_item(lit_max(x, 0, 0))));
    CHECK(isnan(lit_item(lit_min(x, 0, 0))));
    CHECK_EQ_INT(lit_item(lit_argmax(x, 0, 0)), 1);
}

/* The bias-gradient reduction gives the same bits on 1 and 2 threads. */
TEST(sum_is_deterministic_across_threads) {
    int prev = lit_get_num_threads();
    lit_tensor *x = opcheck_randn(2, (int64_t[]){700, 513}, 7);
    int d0 = 0, d1 = 1;
    lit_set_num_threads(1);
    lit_tensor *a0 = lit_sum(x, 1, &d0, 1), *a1 = lit_sum(x, 1, &d1, 0), *a2 = lit_var(x, 1, &d1, 1, 0);
    lit_set_num_threads(2);
    lit_tensor *b0 = lit_sum(x, 1, &d0, 1), *b1 = lit_sum(x, 1, &d1, 0), *b2 = lit_var(x, 1, &d1, 1, 0);
    lit_set_num_threads(prev);
    CHECK(memcmp(a0->data, b0->data, (size_t)a0->numel * 4) == 0);
    CHECK(memcmp(a1->data, b1->data, (size_t)a1->numel * 4) == 0);
    CHECK(memcmp(a2->data, b2->data, (size_t)a2->numel * 4) == 0);
}

/* Summing 1e8 + many small values keeps them (double accumulation). */
TEST(sum_accumulates_in_double) {
    int64_t n = 10001;
    lit_tensor *x = lit_full(LIT_F32, 1, &n, 1.0);
    lit_f32(x)[0] = 1e8f;
    CHECK_NEAR(lit_item(lit_sum_all(x)), 1e8 + 10000, 0.5);
}

TEST(reduce_errors) {
    lit_tensor *x = lit_zeros(LIT_F32, LIT_SHAPE(2, 3));
    int dup[2] = {1, -1}, bad = 2;
    EXPECT_ASSERT(lit_sum(x, 2, dup, 0), "appears twice");
    EXPECT_ASSERT(lit_mean(x, 1, &bad, 0), "out of range");
    EXPECT_ASSERT(lit_max(lit_zeros(LIT_F32, LIT_SHAPE(2, 0)), 1, 0), "size 0");
    EXPECT_ASSERT(lit_sum_all(lit_zeros(LIT_I64, LIT_SHAPE(2))), "lit_to_dtype");
    EXPECT_ASSERT(lit_var(x, 1, &bad, -1, 0), "correction");
}

int main(void) {
    RUN(reduce_table);
    RUN(max_grad_goes_to_first_extremum);
    RUN(max_propagates_nan);
    RUN(sum_is_deterministic_across_threads);
    RUN(sum_accumulates_in_double);
    RUN(reduce_errors);
    return harness_summary();
}
