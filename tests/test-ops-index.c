/*
 * Index ops, table-driven: embedding, gather, where, masked_fill, one_hot,
 * concat, split and chunk. Forward against plain double-precision loops,
 * backward against central finite differences (opcheck.h), plus repeated
 * indices (scatter-add must sum), broadcasting, size-1 and empty dims,
 * negative dims, other dtypes and the error messages.
 */
#include "opcheck.h"

/* ---------------------------------------------------------------- helpers */

/* Multi-index of flat position k in (nd, shape). */
static void unravel(int nd, const int64_t *shape, int64_t k, int64_t *idx) {
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = shape[d] ? k % shape[d] : 0;
        k = shape[d] ? k / shape[d] : 0;
    }
}

/* Element of t read at output index `idx` of a broadcast shape with nd dims. */
static double bget(const lit_tensor *t, int nd, const int64_t *idx) {
    int64_t ti[LIT_MAX_DIMS];
    int lead = nd - t->ndim;
    for (int d = 0; d < t->ndim; d++) ti[d] = t->shape[d] == 1 ? 0 : idx[d + lead];
    return lit_get(t, ti);
}

/* An integer tensor of `dt` filled with `vals` (numel entries). */
static lit_tensor *ints(lit_dtype dt, int nd, const int64_t *shape, const int64_t *vals) {
    lit_tensor *t = lit_empty(dt, nd, shape);
    for (int64_t k = 0; k < t->numel; k++) lit_set_flat(t, k, (double)vals[k]);
    return t;
}

/* Uniform integers in [0, n) from a seeded stream. */
static lit_tensor *rand_ints(lit_dtype dt, int nd, const int64_t *shape, int64_t n, uint64_t seed) {
    lit_rng rng = lit_rng_new(seed);
    lit_tensor *t = lit_empty(dt, nd, shape);
    for (int64_t k = 0; k < t->numel; k++) lit_set_flat(t, k, (double)lit_rng_below(&rng, (uint64_t)n));
    return t;
}

/* A leaf N(0,1) tensor, optionally stored transposed (strided). */
static lit_tensor *leaf(int nd, const int64_t *shape, uint64_t seed, int noncontig) {
    lit_tensor *x = opcheck_randn(nd, shape, seed);
    if (noncontig && nd >= 2) x = opcheck_noncontig(x);
    x->requires_grad = 1;
    return x;
}

/* ---------------------------------------------------------------- embedding */

typedef struct {
    const char *name;
    int64_t V, D;
    int nd;             /* index dims */
    int64_t ishape[3];
    lit_dtype idt;
    int64_t vals[16];   /* index values (repeats on purpose) */
    int noncontig;      /* strided weight */
} emb_case;

static const emb_case emb_cases[] = {
    {"1-d indices", 5, 3, 1, {4}, LIT_I64, {0, 4, 2, 1}, 0},
    {"2-d with repeats", 5, 4, 2, {2, 3}, LIT_I64, {1, 1, 3, 1, 0, 3}, 0},
    {"i32 indices", 6, 2, 2, {3, 2}, LIT_I32, {5, 0, 5, 5, 2, 0}, 0},
    {"size-1 dims", 3, 1, 3, {1, 2, 1}, LIT_I64, {2, 2}, 0},
    {"strided weight", 4, 3, 1, {5}, LIT_I64, {3, 0, 3, 1, 3}, 1},
    {"empty indices", 4, 3, 2, {0, 2}, LIT_I64, {0}, 0},
    {"0-d index", 4, 3, 0, {0}, LIT_I64, {2}, 0},
};

static lit_tensor *call_embedding(lit_tensor *const *in, void *ctx) { return lit_embedding(in[0], ctx); }

TEST(embedding_table) {
    for (size_t c = 0; c < sizeof emb_cases / sizeof *emb_cases; c++) {
        const emb_case *tc = &emb_cases[c];
        lit_tensor *w = leaf(2, (int64_t[]){tc->V, tc->D}, 100 + c, tc->noncontig);
        lit_tensor *idx = ints(tc->idt, tc->nd, tc->ishape, tc->vals);
        lit_tensor *out = lit_embedding(w, idx);
        CHECK_EQ_INT(out->ndim, tc->nd + 1);
        CHECK_EQ_INT(out->shape[tc->nd], tc->D);
        int64_t N = idx->numel;
        double *ref = malloc((size_t)(N * tc->D + 1) * sizeof *ref);
        for (int64_t i = 0; i < N; i++)
            for (int64_t d = 0; d < tc->D; d++) ref[i * tc->D + d] = lit_get(w, (int64_t[]){tc->vals[i], d});
        opcheck_forward(tc->name, out, ref, N * tc->D, 0, 0);
        free(ref);
        if (N) opcheck_grad(tc->name, call_embedding, 1, &w, idx, OPCHECK_TOL);

        /* Scatter-add sums repeats: with upstream ones, row v of the grad
         * counts the occurrences of v. */
        w->grad = NULL;
        lit_backward_with_grad(lit_embedding(w, idx), lit_ones(LIT_F32, out->ndim, out->shape));
        for (int64_t v = 0; v < tc->V && N; v++) {
            int count = 0;
            for (int64_t i = 0; i < N; i++) count += tc->vals[i] == v;
            for (int64_t d = 0; d < tc->D; d++)
                CHECK_MSG(lit_get(w->grad, (int64_t[]){v, d}) == count, "%s: grad row %lld = %g, want %d", tc->name,
                          (long long)v, lit_get(w->grad, (int64_t[]){v, d}), count);
        }
    }
}

TEST(embedding_large_backward_is_exact) {
    /* Wide enough for the column-blocked parallel path; integers stay exact. */
    int64_t V = 7, D = 300, N = 500;
    lit_tensor *w = lit_zeros(LIT_F32, LIT_SHAPE(V, D));
    w->requires_grad = 1;
    lit_tensor *idx = rand_ints(LIT_I64, 1, (int64_t[]){N}, V, 9);
    lit_tensor *g = lit_empty(LIT_F32, LIT_SHAPE(N, D));
    for (int64_t k = 0; k < g->numel; k++) lit_f32(g)[k] = (float)(k % 5);
    lit_backward_with_grad(lit_embedding(w, idx), g);
    int bad = 0;
    for (int64_t v = 0; v < V; v++)
        for (int64_t d = 0; d < D; d++) {
            double want = 0;
            for (int64_t i = 0; i < N; i++)
                if (lit_i64(idx)[i] == v) want += (double)((i * D + d) % 5);
            bad += lit_f32(w->grad)[v * D + d] != (float)want;
        }
    CHECK_EQ_INT(bad, 0);
}

/* ---------------------------------------------------------------- gather */

typedef struct {
    const char *name;
    int nd;
    int64_t xshape[3];
    int dim;
    int64_t ishape[3];
    int noncontig;
} gather_case;

static const gather_case gather_cases[] = {
    {"dim 1", 2, {3, 4}, 1, {3, 6}, 0},          /* 6 > 4 along dim: repeats */
    {"dim 0", 2, {3, 4}, 0, {5, 2}, 0},          /* smaller off-dim */
    {"dim -1 3-d", 3, {2, 3, 4}, -1, {2, 2, 5}, 0},
    {"dim 1 3-d", 3, {2, 3, 4}, 1, {1, 4, 4}, 0},
    {"strided x", 2, {4, 5}, 1, {4, 7}, 1},
    {"size-1 gather dim", 2, {3, 1}, 1, {3, 3}, 0},
    {"empty index", 2, {3, 4}, 1, {3, 0}, 0},
};

typedef struct {
    int dim;
    lit_tensor *index;
} gather_ctx;

static lit_tensor *call_gather(lit_tensor *const *in, void *ctx) {
    gather_ctx *g = ctx;
    return lit_gather(in[0], g->dim, g->index);
}

TEST(gather_table) {
    for (size_t c = 0; c < sizeof gather_cases / sizeof *gather_cases; c++) {
        const gather_case *tc = &gather_cases[c];
        int d = tc->dim < 0 ? tc->dim + tc->nd : tc->dim;
        lit_tensor *x = leaf(tc->nd, tc->xshape, 200 + c, tc->noncontig);
        lit_tensor *idx = rand_ints(LIT_I64, tc->nd, tc->ishape, tc->xshape[d], 300 + c);
        lit_tensor *out = lit_gather(x, tc->dim, idx);
        CHECK(lit_same_shape(out, idx));
        double ref[64];
        for (int64_t k = 0; k < idx->numel; k++) {
            int64_t i[LIT_MAX_DIMS];
            unravel(tc->nd, tc->ishape, k, i);
            i[d] = (int64_t)lit_get_flat(idx, k);
            ref[k] = lit_get(x, i);
        }
        opcheck_forward(tc->name, out, ref, idx->numel, 0, 0);
        gather_ctx ctx = {tc->dim, idx};
        if (idx->numel) opcheck_grad(tc->name, call_gather, 1, &x, &ctx, OPCHECK_TOL);
    }
}

TEST(gather_repeats_sum_and_int_dtype) {
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(2, 3), (float[]){1, 2, 3, 4, 5, 6});
    x->requires_grad = 1;
    lit_tensor *idx = ints(LIT_I64, 2, (int64_t[]){2, 4}, (int64_t[]){2, 2, 0, 2, 1, 1, 1, 0});
    lit_tensor *out = lit_gather(x, 1, idx);
    opcheck_forward("gather values", out, ((double[]){3, 3, 1, 3, 5, 5, 5, 4}), 8, 0, 0);
    lit_backward_with_grad(out, lit_ones(LIT_F32, 2, out->shape));
    opcheck_forward("gather grad counts", x->grad, ((double[]){1, 0, 3, 1, 3, 0}), 6, 0, 0);

    lit_tensor *xi = ints(LIT_I32, 1, (int64_t[]){4}, (int64_t[]){10, 20, 30, 40});
    lit_tensor *gi = lit_gather(xi, 0, ints(LIT_I32, 1, (int64_t[]){3}, (int64_t[]){3, 0, 3}));
    CHECK_EQ_INT(gi->dtype, LIT_I32);
    opcheck_forward("gather i32", gi, ((double[]){40, 10, 40}), 3, 0, 0);
}

/* ---------------------------------------------------------------- where / masked_fill */

typedef struct {
    const char *name;
    int nc, na, nb;
    int64_t cshape[3], ashape[3], bshape[3];
    lit_dtype cdt;
    int noncontig_a;
} where_case;

static const where_case where_cases[] = {
    {"same shape", 2, 2, 2, {3, 4}, {3, 4}, {3, 4}, LIT_I64, 0},
    {"cond broadcast row", 2, 2, 2, {1, 4}, {3, 4}, {3, 4}, LIT_F32, 0},
    {"a, b broadcast", 2, 2, 1, {3, 4}, {3, 1}, {4}, LIT_I32, 0},
    {"all three broadcast", 3, 2, 1, {2, 1, 4}, {3, 1}, {4}, LIT_I64, 0},
    {"0-d b", 2, 2, 0, {2, 3}, {2, 3}, {0}, LIT_F32, 0},
    {"strided a", 2, 2, 2, {3, 4}, {3, 4}, {1, 4}, LIT_I64, 1},
    {"empty dim", 2, 2, 2, {0, 4}, {1, 4}, {0, 1}, LIT_I64, 0},
};

static lit_tensor *call_where(lit_tensor *const *in, void *ctx) { return lit_where(ctx, in[0], in[1]); }

TEST(where_table) {
    for (size_t c = 0; c < sizeof where_cases / sizeof *where_cases; c++) {
        const where_case *tc = &where_cases[c];
        lit_tensor *cond = rand_ints(tc->cdt, tc->nc, tc->cshape, 3, 400 + c); /* 0, 1, 2: nonzero is true */
        lit_tensor *a = leaf(tc->na, tc->ashape, 500 + c, tc->noncontig_a);
        lit_tensor *b = leaf(tc->nb, tc->bshape, 600 + c, 0);
        lit_tensor *out = lit_where(cond, a, b);
        double ref[64];
        for (int64_t k = 0; k < out->numel; k++) {
            int64_t i[LIT_MAX_DIMS];
            unravel(out->ndim, out->shape, k, i);
            ref[k] = bget(cond, out->ndim, i) != 0 ? bget(a, out->ndim, i) : bget(b, out->ndim, i);
        }
        opcheck_forward(tc->name, out, ref, out->numel, 0, 0);
        lit_tensor *ab[2] = {a, b};
        if (out->numel) opcheck_grad(tc->name, call_where, 2, ab, cond, OPCHECK_TOL);
    }
}

TEST(where_other_dtypes_and_nan_cond) {
    lit_tensor *cond = lit_from_buffer(LIT_F32, LIT_SHAPE(4), (float[]){0.0f, NAN, -0.0f, 0.5f});
    lit_tensor *a = ints(LIT_I64, 1, (int64_t[]){4}, (int64_t[]){1, 2, 3, 4});
    lit_tensor *b = ints(LIT_I64, 1, (int64_t[]){1}, (int64_t[]){-7});
    lit_tensor *out = lit_where(cond, a, b);
    CHECK_EQ_INT(out->dtype, LIT_I64);
    opcheck_forward("where i64 (NaN true, -0 false)", out, ((double[]){-7, 2, -7, 4}), 4, 0, 0);
}

typedef struct {
    const char *name;
    int nx, nm;
    int64_t xshape[3], mshape[3];
    double value;
    int noncontig;
} mfill_case;

static const mfill_case mfill_cases[] = {
    {"same shape", 2, 2, {3, 4}, {3, 4}, -1.5, 0},
    {"mask row broadcast", 2, 1, {3, 4}, {4}, 0.0, 0},
    {"mask column broadcast", 3, 3, {2, 3, 4}, {2, 3, 1}, 7.0, 0},
    {"causal -inf style", 2, 2, {4, 4}, {4, 4}, -1e9, 0},
    {"strided x", 2, 2, {3, 5}, {1, 5}, 2.0, 1},
    {"empty", 2, 1, {0, 3}, {3}, 1.0, 0},
};

static lit_tensor *call_mfill(lit_tensor *const *in, void *ctx) { return lit_masked_fill(in[0], ctx, 3.25); }

TEST(masked_fill_table) {
    for (size_t c = 0; c < sizeof mfill_cases / sizeof *mfill_cases; c++) {
        const mfill_case *tc = &mfill_cases[c];
        lit_tensor *x = leaf(tc->nx, tc->xshape, 700 + c, tc->noncontig);
        lit_tensor *mask = rand_ints(LIT_I64, tc->nm, tc->mshape, 2, 800 + c);
        lit_tensor *out = lit_masked_fill(x, mask, tc->value);
        CHECK(lit_same_shape(out, x));
        double ref[64];
        for (int64_t k = 0; k < out->numel; k++) {
            int64_t i[LIT_MAX_DIMS];
            unravel(out->ndim, out->shape, k, i);
            ref[k] = bget(mask, out->ndim, i) != 0 ? (double)(float)tc->value : lit_get(x, i);
        }
        opcheck_forward(tc->name, out, ref, out->numel, 0, 0);
        if (out->numel) opcheck_grad(tc->name, call_mfill, 1, &x, mask, OPCHECK_TOL);
    }
    lit_tensor *xi = ints(LIT_I32, 1, (int64_t[]){3}, (int64_t[]){1, 2, 3});
    lit_tensor *oi = lit_masked_fill(xi, ints(LIT_I64, 1, (int64_t[]){3}, (int64_t[]){0, 1, 0}), -4);
    opcheck_forward("masked_fill i32", oi, ((double[]){1, -4, 3}), 3, 0, 0);
}

/* ---------------------------------------------------------------- one_hot */

TEST(one_hot_table) {
    static const struct {
        const char *name;
        lit_dtype dt;
        int nd;
        int64_t shape[2];
        int64_t vals[6];
        int64_t classes, want_classes;
    } cases[] = {
        {"1-d", LIT_I64, 1, {4}, {0, 2, 2, 1}, 3, 3},
        {"2-d i32", LIT_I32, 2, {2, 3}, {4, 0, 1, 1, 3, 0}, 5, 5},
        {"inferred", LIT_I64, 1, {3}, {1, 3, 0}, -1, 4},
        {"empty", LIT_I64, 2, {0, 2}, {0}, 2, 2},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        lit_tensor *idx = ints(cases[c].dt, cases[c].nd, cases[c].shape, cases[c].vals);
        lit_tensor *out = lit_one_hot(idx, cases[c].classes);
        CHECK_EQ_INT(out->dtype, LIT_I64);
        CHECK_EQ_INT(out->ndim, cases[c].nd + 1);
        int64_t C = cases[c].want_classes;
        CHECK_EQ_INT(out->shape[cases[c].nd], C);
        double ref[64];
        for (int64_t k = 0; k < idx->numel * C; k++) ref[k] = cases[c].vals[k / C] == k % C;
        opcheck_forward(cases[c].name, out, ref, idx->numel * C, 0, 0);
    }
}

/* ---------------------------------------------------------------- concat */

typedef struct {
    const char *name;
    int n, nd, dim;
    int64_t shapes[6][3];
    int noncontig; /* input 0 strided */
} concat_case;

static const concat_case concat_cases[] = {
    {"dim 0 of 2", 2, 2, 0, {{2, 3}, {4, 3}}, 0},
    {"dim 1 of 3, one empty", 3, 2, 1, {{2, 3}, {2, 0}, {2, 2}}, 0},
    {"dim -1 3-d", 3, 3, -1, {{2, 1, 2}, {2, 1, 3}, {2, 1, 1}}, 0},
    {"dim 1 3-d", 2, 3, 1, {{2, 2, 3}, {2, 1, 3}}, 0},
    {"strided input", 2, 2, 1, {{3, 2}, {3, 4}}, 1},
    {"single tensor", 1, 2, 0, {{2, 2}}, 0},
    {"six inputs (node tree)", 6, 2, 0, {{1, 2}, {2, 2}, {1, 2}, {0, 2}, {3, 2}, {1, 2}}, 0},
};

static lit_tensor *call_concat(lit_tensor *const *in, void *ctx) {
    const concat_case *tc = ctx;
    return lit_concat(tc->n, in, tc->dim);
}

TEST(concat_table) {
    for (size_t c = 0; c < sizeof concat_cases / sizeof *concat_cases; c++) {
        const concat_case *tc = &concat_cases[c];
        int d = tc->dim < 0 ? tc->dim + tc->nd : tc->dim;
        lit_tensor *xs[6];
        for (int i = 0; i < tc->n; i++) xs[i] = leaf(tc->nd, tc->shapes[i], 900 + 10 * c + i, tc->noncontig && !i);
        lit_tensor *out = lit_concat(tc->n, xs, tc->dim);
        double ref[128];
        for (int64_t k = 0; k < out->numel; k++) {
            int64_t i[LIT_MAX_DIMS];
            unravel(out->ndim, out->shape, k, i);
            int which = 0;
            while (i[d] >= xs[which]->shape[d]) i[d] -= xs[which++]->shape[d];
            ref[k] = lit_get(xs[which], i);
        }
        opcheck_forward(tc->name, out, ref, out->numel, 0, 0);
        opcheck_grad(tc->name, call_concat, tc->n, xs, (void *)tc, OPCHECK_TOL);
    }
}

TEST(concat_partial_grad_and_ints) {
    /* Only some inputs need grad (node tree past 4 inputs with gaps). */
    lit_tensor *xs[7];
    for (int i = 0; i < 7; i++) {
        xs[i] = lit_full(LIT_F32, LIT_SHAPE(1, 2), i);
        xs[i]->requires_grad = i != 2 && i != 5;
    }
    lit_tensor *out = lit_concat(7, xs, 0);
    lit_tensor *g = lit_empty(LIT_F32, 2, out->shape);
    for (int64_t k = 0; k < g->numel; k++) lit_f32(g)[k] = (float)k;
    lit_backward_with_grad(out, g);
    for (int i = 0; i < 7; i++) {
        if (!xs[i]->requires_grad) {
            CHECK(xs[i]->grad == NULL);
            continue;
        }
        CHECK_EQ_INT(lit_f32(xs[i]->grad)[0], 2 * i);
        CHECK_EQ_INT(lit_f32(xs[i]->grad)[1], 2 * i + 1);
    }
    lit_tensor *a = ints(LIT_I64, 1, (int64_t[]){2}, (int64_t[]){1, 2});
    lit_tensor *b = ints(LIT_I64, 1, (int64_t[]){1}, (int64_t[]){3});
    lit_tensor *ab = lit_concat(2, (lit_tensor *[]){a, b}, -1);
    CHECK_EQ_INT(ab->dtype, LIT_I64);
    opcheck_forward("concat i64", ab, ((double[]){1, 2, 3}), 3, 0, 0);
}

/* ---------------------------------------------------------------- split / chunk */

typedef struct {
    const char *name;
    int nd;
    int64_t shape[3];
    int dim;
    int chunks;         /* > 0: lit_chunk; 0: lit_split with sizes */
    int n_sizes;
    int64_t sizes[5];   /* for split: the sizes; for chunk: the expected sizes */
} split_case;

static const split_case split_cases[] = {
    {"chunk even", 2, {6, 2}, 0, 3, 3, {2, 2, 2}},
    {"chunk uneven", 1, {5}, 0, 3, 3, {2, 2, 1}},
    {"chunk fewer pieces", 2, {2, 5}, -1, 4, 3, {2, 2, 1}}, /* torch: 5 in 4 -> 2, 2, 1 */
    {"chunk more chunks than size", 2, {3, 2}, 0, 5, 3, {1, 1, 1}},
    {"chunk empty dim", 2, {2, 0}, 1, 3, 3, {0, 0, 0}},
    {"split sizes", 3, {2, 6, 1}, 1, 0, 3, {1, 0, 5}},
    {"split negative dim", 2, {3, 4}, -2, 0, 2, {2, 1}},
};

/* Reversed concat of the pieces: a differentiable function of every piece. */
static lit_tensor *call_split(lit_tensor *const *in, void *ctx) {
    const split_case *tc = ctx;
    lit_tensor *p[8], *r[8];
    int n = tc->chunks ? lit_chunk(in[0], tc->chunks, tc->dim, p) : (lit_split(in[0], tc->dim, tc->n_sizes, tc->sizes, p), tc->n_sizes);
    for (int i = 0; i < n; i++) r[i] = p[n - 1 - i];
    return lit_concat(n, r, tc->dim);
}

TEST(split_chunk_table) {
    for (size_t c = 0; c < sizeof split_cases / sizeof *split_cases; c++) {
        const split_case *tc = &split_cases[c];
        int d = tc->dim < 0 ? tc->dim + tc->nd : tc->dim;
        lit_tensor *x = leaf(tc->nd, tc->shape, 1000 + c, 0);
        lit_tensor *p[8];
        int n = tc->chunks ? lit_chunk(x, tc->chunks, tc->dim, p) : (lit_split(x, tc->dim, tc->n_sizes, tc->sizes, p), tc->n_sizes);
        CHECK_MSG(n == tc->n_sizes, "%s: %d pieces, want %d", tc->name, n, tc->n_sizes);
        int64_t off = 0;
        for (int i = 0; i < n && i < tc->n_sizes; i++) {
            CHECK_MSG(p[i]->shape[d] == tc->sizes[i], "%s: piece %d has %lld on dim %d, want %lld", tc->name, i,
                      (long long)p[i]->shape[d], d, (long long)tc->sizes[i]);
            CHECK(p[i]->data == x->data || p[i]->numel == 0 || p[i]->base == x); /* views, not copies */
            double ref[64];
            for (int64_t k = 0; k < p[i]->numel; k++) {
                int64_t ix[LIT_MAX_DIMS];
                unravel(p[i]->ndim, p[i]->shape, k, ix);
                ix[d] += off;
                ref[k] = lit_get(x, ix);
            }
            opcheck_forward(tc->name, p[i], ref, p[i]->numel, 0, 0);
            off += tc->sizes[i];
        }
        if (x->numel) opcheck_grad(tc->name, call_split, 1, &x, (void *)tc, OPCHECK_TOL);
    }
}

/* ---------------------------------------------------------------- errors */

TEST(errors_name_op_values_and_fix) {
    lit_tensor *w = lit_zeros(LIT_F32, LIT_SHAPE(5, 2));
    lit_tensor *bad = ints(LIT_I64, 2, (int64_t[]){2, 2}, (int64_t[]){0, 1, 7, 2});
    EXPECT_ASSERT(lit_embedding(w, bad), "lit_embedding: index 7 at position [1, 0]");
    EXPECT_ASSERT(lit_embedding(w, bad), "[0, 5)");
    lit_tensor *neg = ints(LIT_I32, 1, (int64_t[]){3}, (int64_t[]){0, -1, 2});
    EXPECT_ASSERT(lit_embedding(w, neg), "index -1 at position [1]");
    EXPECT_ASSERT(lit_embedding(w, lit_zeros(LIT_F32, LIT_SHAPE(3))), "pass i64 (or i32)");

    lit_tensor *a = lit_zeros(LIT_F32, LIT_SHAPE(2, 3)), *b = lit_zeros(LIT_F32, LIT_SHAPE(2, 4));
    EXPECT_ASSERT(lit_concat(2, (lit_tensor *[]){a, b}, 0), "lit_concat: tensor 1 has shape (2, 4) but tensor 0 has shape (2, 3)");
    EXPECT_ASSERT(lit_concat(2, (lit_tensor *[]){a, b}, 0), "concatenate along the dim where they differ");
    EXPECT_ASSERT(lit_concat(2, (lit_tensor *[]){a, lit_zeros(LIT_F32, LIT_SHAPE(3))}, 0), "lit_concat: tensor 1 has shape (3,)");
    EXPECT_ASSERT(lit_concat(2, (lit_tensor *[]){a, lit_zeros(LIT_I64, LIT_SHAPE(2, 3))}, 0), "lit_to_dtype");
    EXPECT_ASSERT(lit_concat(2, (lit_tensor *[]){a, b}, 2), "dim 2 is out of range");

    lit_tensor *pieces[4];
    EXPECT_ASSERT(lit_split(a, 1, 2, (int64_t[]){1, 1}, pieces), "sum to 2 but dim 1 of (2, 3) has size 3");
    EXPECT_ASSERT(lit_chunk(a, 0, 1, pieces), "chunks is 0");

    EXPECT_ASSERT(lit_gather(a, 1, ints(LIT_I64, 2, (int64_t[]){1, 1}, (int64_t[]){3})), "index 3 at position [0, 0]");
    EXPECT_ASSERT(lit_gather(a, 1, ints(LIT_I64, 1, (int64_t[]){1}, (int64_t[]){0})), "same number of dims");
    EXPECT_ASSERT(lit_one_hot(ints(LIT_I64, 1, (int64_t[]){2}, (int64_t[]){0, 4}), 3), "index 4 at position [1]");

    EXPECT_ASSERT(lit_where(lit_zeros(LIT_I64, LIT_SHAPE(4)), a, a), "lit_where (cond, broadcast of a and b): shapes (4,) and (2, 3) do not broadcast");
    EXPECT_ASSERT(lit_where(lit_zeros(LIT_I64, LIT_SHAPE(3)), a, lit_zeros(LIT_I64, LIT_SHAPE(3))), "lit_to_dtype");
    EXPECT_ASSERT(lit_masked_fill(lit_zeros(LIT_F32, LIT_SHAPE(3)), lit_zeros(LIT_I64, LIT_SHAPE(2, 3)), 0),
                  "the mask must broadcast to x's shape");
}

int main(void) {
    RUN(embedding_table);
    RUN(embedding_large_backward_is_exact);
    RUN(gather_table);
    RUN(gather_repeats_sum_and_int_dtype);
    RUN(where_table);
    RUN(where_other_dtypes_and_nan_cond);
    RUN(masked_fill_table);
    RUN(one_hot_table);
    RUN(concat_table);
    RUN(concat_partial_grad_and_ints);
    RUN(split_chunk_table);
    RUN(errors_name_op_values_and_fix);
    return harness_summary();
}
