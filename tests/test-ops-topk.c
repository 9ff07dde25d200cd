/*
 * lit_topk and lit_arange_int against PyTorch (tests/fixtures/ops.txt from
 * gen_ops.py): top-k values, indices and gradients for every k from 0 to C,
 * largest and smallest, NaN/Inf rows and (..., C) inputs; the tie order
 * (ascending index, where torch leaves it open); finite differences; integer
 * ranges up to the int64 limits; argument errors.
 */
#include "fixture.h"
#include "opcheck.h"

static fixture *fx;

static const fixture_array *need(const char *name, const char *part) {
    char key[96];
    snprintf(key, sizeof key, "%s/%s", name, part);
    const fixture_array *a = fixture_find(fx, key);
    CHECK_MSG(a != NULL, "fixture lacks %s", key);
    return a;
}

static lit_tensor *from_fixture(const fixture_array *a) {
    float *v = fixture_floats(a);
    lit_tensor *t = lit_from_buffer(LIT_F32, a->ndim, a->shape, v);
    free(v);
    return t;
}

/* ---------------------------------------------------------------- topk */

typedef struct {
    const char *name;
    int64_t k;
    int largest;
} topk_case;

static const topk_case topk_cases[] = {
    {"topk/k0_largest", 0, 1},          {"topk/k0_smallest", 0, 0},        {"topk/k1_largest", 1, 1},
    {"topk/k1_smallest", 1, 0},         {"topk/k3_largest", 3, 1},         {"topk/k3_smallest", 3, 0},
    {"topk/k7_largest", 7, 1},          {"topk/k7_smallest", 7, 0},        {"topk/special_largest", 6, 1},
    {"topk/special_smallest", 6, 0},    {"topk/3d", 2, 1},
};

static lit_tensor *call_topk(lit_tensor *const *in, void *ctx) {
    const topk_case *c = ctx;
    return lit_topk(in[0], c->k, c->largest, NULL);
}

/* Values equal torch's (NaN where NaN); an index equals torch's unless its
 * value is tied with another selected element, and tied runs are in
 * ascending index order; the gradient is torch's upstream gradient
 * scattered by litc's indices (which is torch's own dx wherever no ties). */
static void check_topk_case(const topk_case *c) {
    const fixture_array *fxx = need(c->name, "x"), *fo = need(c->name, "out"), *fg = need(c->name, "g"),
                        *fdx = need(c->name, "dx"), *fi = need(c->name, "indices");
    if (!fxx || !fo || !fg || !fdx || !fi) return;
    lit_tensor *x = from_fixture(fxx), *g = from_fixture(fg), *idx = NULL;
    x->requires_grad = 1;
    lit_tensor *v = lit_topk(x, c->k, c->largest, &idx);
    CHECK_MSG(v->ndim == fo->ndim && idx->dtype == LIT_I64 && lit_same_shape(v, idx), "%s: values %s, indices %s",
              c->name, LIT_SHAPE_STR(v), LIT_SHAPE_STR(idx));
    opcheck_forward(c->name, v, fo->data, fo->numel, 1e-7, 0);
    int64_t C = x->shape[x->ndim - 1], k = c->k, rows = k ? fo->numel / k : 0;
    const int64_t *is = idx->data;
    const float *vs = v->data;
    double *want_dx = calloc((size_t)x->numel + 1, sizeof *want_dx);
    for (int64_t r = 0; r < rows; r++)
        for (int64_t j = 0; j < k; j++) {
            int64_t p = r * k + j;
            float vj = vs[p];
            int tied = (j > 0 && (vs[p - 1] == vj || (isnan(vj) && isnan(vs[p - 1])))) ||
                       (j + 1 < k && (vs[p + 1] == vj || (isnan(vj) && isnan(vs[p + 1]))));
            if (!tied)
                CHECK_MSG(is[p] == (int64_t)fi->data[p], "%s: row %lld pick %lld: index %lld, torch %lld", c->name,
                          (long long)r, (long long)j, (long long)is[p], (long long)fi->data[p]);
            else if (j > 0 && (vs[p - 1] == vj || (isnan(vj) && isnan(vs[p - 1]))))
                CHECK_MSG(is[p - 1] < is[p], "%s: row %lld: tied picks %lld, %lld not in index order", c->name,
                          (long long)r, (long long)is[p - 1], (long long)is[p]);
            want_dx[r * C + is[p]] += fg->data[p];
        }
    lit_backward_with_grad(v, g);
    if (x->numel) opcheck_forward(c->name, x->grad, want_dx, x->numel, 1e-7, 1e-12);
    /* where no value is tied, that is exactly torch's dx */
    if (strcmp(c->name, "topk/special_largest") && strcmp(c->name, "topk/special_smallest") && x->numel)
        opcheck_forward(c->name, x->grad, fdx->data, fdx->numel, 1e-7, 0);
    free(want_dx);
    if (k && !strstr(c->name, "special")) { /* central differences on the tie-free rows */
        lit_tensor *in[1] = {x};
        opcheck_grad(c->name, call_topk, 1, in, (void *)c, OPCHECK_TOL);
    }
}

TEST(topk_matches_torch) {
    for (size_t i = 0; i < sizeof topk_cases / sizeof topk_cases[0]; i++) check_topk_case(&topk_cases[i]);
}

TEST(topk_ties_nan_and_strides) {
    /* ties in ascending index order; NaN first (largest) or last (smallest) */
    float row[] = {2, 5, NAN, 5, 1, 5, NAN, 1};
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(8), row), *idx;
    lit_tensor *v = lit_topk(x, 8, 1, &idx);
    int64_t want_l[] = {2, 6, 1, 3, 5, 0, 4, 7}, want_s[] = {4, 7, 0, 1, 3, 5, 2, 6};
    for (int i = 0; i < 8; i++) CHECK_EQ_INT(lit_i64(idx)[i], want_l[i]);
    CHECK(isnan(lit_f32(v)[0]) && isnan(lit_f32(v)[1]) && lit_f32(v)[2] == 5);
    v = lit_topk(x, 8, 0, &idx);
    for (int i = 0; i < 8; i++) CHECK_EQ_INT(lit_i64(idx)[i], want_s[i]);
    CHECK(isnan(lit_f32(v)[7]) && lit_f32(v)[0] == 1);
    /* a strided input (a transposed view) selects along its logical last dim */
    lit_tensor *m = lit_from_buffer(LIT_F32, LIT_SHAPE(3, 2), (float[]){1, 6, 4, 2, 3, 5});
    v = lit_topk(lit_transpose(m, 0, 1), 2, 1, &idx); /* rows [1 4 3], [6 2 5] */
    CHECK(lit_f32(v)[0] == 4 && lit_f32(v)[1] == 3 && lit_f32(v)[2] == 6 && lit_f32(v)[3] == 5);
    CHECK(lit_i64(idx)[0] == 1 && lit_i64(idx)[1] == 2 && lit_i64(idx)[2] == 0 && lit_i64(idx)[3] == 2);
    /* empty rows and k = C = 0 */
    CHECK_EQ_INT(lit_topk(lit_zeros(LIT_F32, LIT_SHAPE(0, 4)), 2, 1, NULL)->numel, 0);
    CHECK_EQ_INT(lit_topk(lit_zeros(LIT_F32, LIT_SHAPE(3, 0)), 0, 1, NULL)->numel, 0);
}

TEST(topk_errors) {
    lit_tensor *x = lit_zeros(LIT_F32, LIT_SHAPE(2, 4));
    EXPECT_ASSERT(lit_topk(x, 5, 1, NULL), "k = 5 is out of range");
    EXPECT_ASSERT(lit_topk(x, -1, 1, NULL), "k = -1 is out of range");
    EXPECT_ASSERT(lit_topk(lit_scalar(1), 1, 1, NULL), "0-d");
    EXPECT_ASSERT(lit_topk(lit_zeros(LIT_I64, LIT_SHAPE(4)), 1, 1, NULL), "f32");
}

/* ---------------------------------------------------------------- arange_int */

/* The same list, in the same order, as ARANGE_CASES in gen_ops.py. */
static const int64_t arange_cases[][3] = {
    {0, 10, 1},
    {0, 10, 3},
    {10, 0, -3},
    {-3, 4, 2},
    {5, 5, 1},
    {7, 6, -1},
    {-10, -20, -4},
    {1099511627776, 1099511627781, 2},
    {-2305843009213693952, 4611686018427387904, 1152921504606846983},
    {9007199254740993, 9007199254740999, 2},
    {INT64_MAX - 9, INT64_MAX, 4},
};

TEST(arange_int_matches_torch) {
    for (size_t i = 0; i < sizeof arange_cases / sizeof arange_cases[0]; i++) {
        const int64_t *a = arange_cases[i];
        char name[32];
        snprintf(name, sizeof name, "arange/%zu", i);
        const fixture_array *fi = need(name, "index"), *fl = need(name, "low");
        if (!fi || !fl) return;
        lit_tensor *r = lit_arange_int(LIT_I64, a[0], a[1], a[2]);
        CHECK_MSG(r->ndim == 1 && r->dtype == LIT_I64 && r->numel == fi->numel, "%s: %s, torch has %lld elements",
                  name, LIT_SHAPE_STR(r), (long long)fi->numel);
        if (r->numel != fi->numel) continue;
        for (int64_t k = 0; k < r->numel; k++) {
            int64_t v = lit_i64(r)[k];
            /* exact: v = start + k * step, and its value mod 1000003 is torch's */
            CHECK_MSG((int64_t)fi->data[k] == k && v == (int64_t)((uint64_t)a[0] + (uint64_t)k * (uint64_t)a[2]),
                      "%s[%lld] = %lld", name, (long long)k, (long long)v);
            CHECK_MSG(((v % 1000003) + 1000003) % 1000003 == (int64_t)fl->data[k], "%s[%lld] = %lld, torch's mod %g",
                      name, (long long)k, (long long)v, fl->data[k]);
        }
    }
}

TEST(arange_int_i32_and_errors) {
    lit_tensor *r = lit_arange_int(LIT_I32, -3, 4, 2);
    CHECK(r->dtype == LIT_I32 && r->numel == 4);
    for (int k = 0; k < 4; k++) CHECK_EQ_INT(((int32_t *)r->data)[k], -3 + 2 * k);
    r = lit_arange_int(LIT_I32, INT32_MAX, INT32_MAX - 3, -1);
    CHECK(r->numel == 3 && ((int32_t *)r->data)[2] == INT32_MAX - 2);
    /* exact past 2^53, where a double step would repeat or skip values */
    r = lit_arange_int(LIT_I64, 9007199254740993, 9007199254740996, 1);
    CHECK(r->numel == 3 && lit_i64(r)[0] == 9007199254740993 && lit_i64(r)[2] == 9007199254740995);
    r = lit_arange_int(LIT_I64, INT64_MIN, INT64_MAX, INT64_MAX);
    CHECK(r->numel == 3 && lit_i64(r)[0] == INT64_MIN && lit_i64(r)[1] == -1 && lit_i64(r)[2] == INT64_MAX - 1);
    EXPECT_ASSERT(lit_arange_int(LIT_I64, 0, 10, 0), "step is 0");
    EXPECT_ASSERT(lit_arange_int(LIT_I64, 0, 10, -1), "inconsistent");
    EXPECT_ASSERT(lit_arange_int(LIT_I64, 10, 0, 2), "inconsistent");
    EXPECT_ASSERT(lit_arange_int(LIT_F32, 0, 3, 1), "LIT_I64 or LIT_I32");
    EXPECT_ASSERT(lit_arange_int(LIT_I32, INT32_MAX - 1, (int64_t)INT32_MAX + 2, 1), "do not fit in i32");
    EXPECT_ASSERT(lit_arange_int(LIT_I32, (int64_t)INT32_MIN - 1, 0, 1000000000), "do not fit in i32");
}

int main(void) {
    fx = fixture_load("tests/fixtures/ops.txt");
    if (!fx) {
        fprintf(stderr, "tests/fixtures/ops.txt is missing: run tests/fixtures/gen_ops.py\n");
        return 1;
    }
    RUN(topk_matches_torch);
    RUN(topk_ties_nan_and_strides);
    RUN(topk_errors);
    RUN(arange_int_matches_torch);
    RUN(arange_int_i32_and_errors);
    fixture_free(fx);
    return harness_summary();
}
