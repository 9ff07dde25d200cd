/*
 * Indexing and joining ops from tables: embedding, gather, where,
 * masked_fill, one_hot, concat, split and chunk.
 *
 * Forward values are compared with naive double loops written from the
 * PyTorch definitions (torch.gather, torch.where, torch.chunk, ...), and
 * backward with central finite differences (opcheck.h). Repeated indices
 * are used on purpose: the scatter-add in embedding/gather backward must sum
 * them, which is also checked exactly with an all-ones upstream gradient
 * (the gradient is then the number of times each element was read).
 */
#include "opcheck.h"

/* ---------------------------------------------------------------- helpers */

/* Multi-index of row-major flat position k in (nd, shape). */
static void unravel_(int nd, const int64_t *shape, int64_t k, int64_t *idx) {
    for (int d = nd - 1; d >= 0; d--) {
        idx[d] = shape[d] ? k % shape[d] : 0;
        k = shape[d] ? k / shape[d] : 0;
    }
}

/* t read at index `idx` of the broadcast shape with nd dims (NumPy rules). */
static double bcast_get(const lit_tensor *t, int nd, const int64_t *idx) {
    int64_t ti[LIT_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++) ti[d] = t->shape[d] == 1 ? 0 : idx[d + nd - t->ndim];
    return lit_get(t, ti);
}

/* Integer tensor of dtype dt holding vals[0..numel). */
static lit_tensor *itensor(lit_dtype dt, int nd, const int64_t *shape, const int64_t *vals) {
    lit_tensor *t = lit_empty(dt, nd, shape);
    for (int64_t k = 0; k < t->numel; k++) lit_set_flat(t, k, (double)vals[k]);
    return t;
}

/* N(0,1) leaf requiring grad; stored with its last two dims swapped when
 * `strided` (and ndim >= 2). */
static lit_tensor *param(int nd, const int64_t *shape, uint64_t seed, int strided) {
    lit_tensor *x = opcheck_randn(nd, shape, seed);
    if (strided && nd >= 2 && x->numel) x = opcheck_noncontig(x);
    x->requires_grad = 1;
    return x;
}

/* ---------------------------------------------------------------- embedding */

typedef struct {
    const char *name;
    int64_t V, D;
    int nd;
    int64_t ishape[3];
    int64_t idx[12];
    lit_dtype idt;
    int strided; /* weight stored transposed */
} emb_case;

static const emb_case emb_cases[] = {
    {"i64 repeats", 6, 3, 1, {7}, {2, 5, 2, 0, 2, 5, 1}, LIT_I64, 0},
    {"i32 repeats", 6, 3, 1, {7}, {2, 5, 2, 0, 2, 5, 1}, LIT_I32, 0},
    {"2-d all same", 4, 2, 2, {2, 3}, {3, 3, 3, 3, 3, 3}, LIT_I64, 0},
    {"3-d i32 strided weight", 5, 4, 3, {2, 2, 2}, {0, 4, 4, 1, 0, 0, 4, 2}, LIT_I32, 1},
    {"0-d index", 3, 5, 0, {0}, {1}, LIT_I64, 0},
    {"V = 1", 1, 3, 1, {4}, {0, 0, 0, 0}, LIT_I64, 0},
    {"empty indices", 4, 3, 2, {3, 0}, {0}, LIT_I64, 0},
    {"D = 0", 4, 0, 1, {3}, {1, 1, 2}, LIT_I64, 0},
};

static lit_tensor *call_embedding(lit_tensor *const *in, void *ctx) { return lit_embedding(in[0], ctx); }

TEST(embedding_forward_backward) {
    for (size_t c = 0; c < sizeof emb_cases / sizeof *emb_cases; c++) {
        const emb_case *tc = &emb_cases[c];
        lit_tensor *w = param(2, (int64_t[]){tc->V, tc->D}, 300 + c, tc->strided);
        lit_tensor *idx = itensor(tc->idt, tc->nd, tc->ishape, tc->idx);
        lit_tensor *out = lit_embedding(w, idx);
        /* shape (..., D), values w[idx[i], :] */
        CHECK_MSG(out->ndim == tc->nd + 1 && out->shape[tc->nd] == tc->D && out->dtype == LIT_F32,
                  "%s: output %s", tc->name, LIT_SHAPE_STR(out));
        for (int d = 0; d < tc->nd; d++) CHECK_EQ_INT(out->shape[d], tc->ishape[d]);
        int64_t n = idx->numel;
        double *ref = malloc((size_t)(n * tc->D + 1) * sizeof *ref);
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < tc->D; j++) ref[i * tc->D + j] = lit_get(w, (int64_t[]){tc->idx[i], j});
        opcheck_forward(tc->name, out, ref, n * tc->D, 0, 0); /* a copy: exact */
        free(ref);

        /* ones upstream: grad row v = (count of v in idx) * 1 */
        w->grad = NULL;
        lit_backward_with_grad(out, lit_ones(LIT_F32, out->ndim, out->shape));
        if (w->numel) {
            int bad = 0;
            for (int64_t v = 0; v < tc->V; v++) {
                int64_t cnt = 0;
                for (int64_t i = 0; i < n; i++) cnt += tc->idx[i] == v;
                for (int64_t j = 0; j < tc->D; j++) bad += lit_get_flat(w->grad, v * tc->D + j) != (double)cnt;
            }
            CHECK_MSG(bad == 0, "%s: %d weight-gradient entries are not the index counts", tc->name, bad);
        }
        if (n && tc->D) opcheck_grad(tc->name, call_embedding, 1, &w, idx, OPCHECK_TOL);
    }
}

TEST(embedding_out_of_range_is_caught) {
    lit_tensor *w = lit_zeros(LIT_F32, LIT_SHAPE(5, 3));
    lit_tensor *hi = itensor(LIT_I64, 1, (int64_t[]){3}, (int64_t[]){1, 9, 0});
    EXPECT_ASSERT(lit_embedding(w, hi), "lit_embedding: index 9");
    EXPECT_ASSERT(lit_embedding(w, hi), "(5 rows)");
    EXPECT_ASSERT(lit_embedding(w, hi), "[0, 5)");
    EXPECT_ASSERT(lit_embedding(w, hi), "num_embeddings");
    lit_tensor *edge = itensor(LIT_I32, 2, (int64_t[]){2, 2}, (int64_t[]){0, 4, 5, 1}); /* 5 == V */
    EXPECT_ASSERT(lit_embedding(w, edge), "index 5 at position [1, 0]");
    lit_tensor *neg = itensor(LIT_I64, 1, (int64_t[]){2}, (int64_t[]){-2, 0});
    EXPECT_ASSERT(lit_embedding(w, neg), "index -2");
    EXPECT_ASSERT(lit_embedding(lit_zeros(LIT_F32, LIT_SHAPE(5)), neg), "must be 2-d");
}

/* ---------------------------------------------------------------- gather */

typedef struct {
    const char *name;
    int nd;
    int64_t xshape[3];
    int dim;
    int64_t ishape[3];
    int64_t idx[24];
    lit_dtype idt;
    int strided;
} gather_case;

static const gather_case gather_cases[] = {
    {"dim 0", 2, {3, 4}, 0, {2, 4}, {0, 2, 2, 1, 2, 2, 0, 0}, LIT_I64, 0},
    {"dim 1 repeats", 2, {3, 4}, 1, {3, 5}, {3, 3, 0, 3, 1, 2, 2, 2, 2, 2, 0, 1, 2, 3, 0}, LIT_I64, 0},
    {"dim -1 i32 smaller", 2, {3, 4}, -1, {2, 2}, {1, 1, 3, 0}, LIT_I32, 0},
    {"dim 1 of 3-d", 3, {2, 3, 2}, 1, {2, 4, 2}, {0, 2, 2, 2, 1, 1, 0, 0, 2, 1, 2, 1, 0, 0, 1, 1}, LIT_I64, 0},
    {"dim -1 of 3-d strided", 3, {2, 2, 3}, -1, {2, 2, 2}, {2, 2, 0, 1, 1, 1, 2, 0}, LIT_I64, 1},
    {"dim 0 strided", 2, {4, 3}, 0, {3, 3}, {3, 3, 3, 0, 1, 3, 2, 2, 0}, LIT_I32, 1},
    {"empty index", 2, {3, 4}, 1, {3, 0}, {0}, LIT_I64, 0},
};

typedef struct {
    int dim;
    lit_tensor *index;
} gather_ctx;

static lit_tensor *call_gather(lit_tensor *const *in, void *ctx) {
    gather_ctx *g = ctx;
    return lit_gather(in[0], g->dim, g->index);
}

TEST(gather_forward_backward) {
    for (size_t c = 0; c < sizeof gather_cases / sizeof *gather_cases; c++) {
        const gather_case *tc = &gather_cases[c];
        lit_tensor *x = param(tc->nd, tc->xshape, 400 + c, tc->strided);
        lit_tensor *idx = itensor(tc->idt, tc->nd, tc->ishape, tc->idx);
        int d = tc->dim < 0 ? tc->dim + tc->nd : tc->dim;
        lit_tensor *out = lit_gather(x, tc->dim, idx);
        CHECK_MSG(lit_same_shape(out, idx), "%s: output %s, index %s", tc->name, LIT_SHAPE_STR(out),
                  LIT_SHAPE_STR(idx));
        /* torch.gather: out[p] = x[p with p[d] replaced by index[p]] */
        int64_t n = idx->numel;
        double ref[24];
        double *cnt = calloc((size_t)x->numel, sizeof *cnt); /* reads per x element (row-major) */
        for (int64_t k = 0; k < n; k++) {
            int64_t p[LIT_MAX_DIMS];
            unravel_(tc->nd, tc->ishape, k, p);
            p[d] = tc->idx[k];
            ref[k] = lit_get(x, p);
            int64_t flat = 0;
            for (int e = 0; e < tc->nd; e++) flat = flat * tc->xshape[e] + p[e];
            cnt[flat] += 1;
        }
        opcheck_forward(tc->name, out, ref, n, 0, 0);

        x->grad = NULL;
        lit_backward_with_grad(out, lit_ones(LIT_F32, out->ndim, out->shape));
        int bad = 0;
        for (int64_t k = 0; k < x->numel; k++) bad += lit_get_flat(x->grad, k) != cnt[k];
        CHECK_MSG(bad == 0, "%s: %d gradient entries differ from the read counts (scatter-add)", tc->name, bad);
        free(cnt);

        gather_ctx ctx = {tc->dim, idx};
        if (n) opcheck_grad(tc->name, call_gather, 1, &x, &ctx, OPCHECK_TOL);
    }
}

TEST(gather_integer_source_and_errors) {
    /* any x dtype: an i64 source gathers exactly, without a graph */
    lit_tensor *x = itensor(LIT_I64, 2, (int64_t[]){2, 3}, (int64_t[]){10, 11, 12, 20, 21, 22});
    lit_tensor *idx = itensor(LIT_I64, 2, (int64_t[]){2, 2}, (int64_t[]){2, 0, 1, 1});
    lit_tensor *out = lit_gather(x, 1, idx);
    CHECK(out->dtype == LIT_I64);
    double want[4] = {12, 10, 21, 21};
    opcheck_forward("gather i64", out, want, 4, 0, 0);
    EXPECT_ASSERT(lit_gather(x, 1, itensor(LIT_I64, 2, (int64_t[]){1, 1}, (int64_t[]){3})),
                  "lit_gather: index 3 at position [0, 0]");
    EXPECT_ASSERT(lit_gather(x, 0, itensor(LIT_I64, 2, (int64_t[]){1, 1}, (int64_t[]){-1})), "index -1");
    EXPECT_ASSERT(lit_gather(x, 2, idx), "dim 2 is out of range");
    EXPECT_ASSERT(lit_gather(x, 0, itensor(LIT_I64, 2, (int64_t[]){1, 4}, (int64_t[]){0, 0, 0, 0})),
                  "larger than x");
}

/* ---------------------------------------------------------------- where */

typedef struct {
    const char *name;
    int nc, na, nb;
    int64_t c[3], a[3], b[3];
    lit_dtype cdt;
} where_case;

static const where_case where_cases[] = {
    {"same shape", 2, 2, 2, {3, 4}, {3, 4}, {3, 4}, LIT_I64},
    {"cond row, b column", 1, 2, 2, {4}, {3, 4}, {3, 1}, LIT_F32},
    {"size-1 everywhere", 3, 3, 3, {2, 1, 3}, {1, 4, 1}, {2, 4, 1}, LIT_I32},
    {"0-d a", 2, 0, 2, {2, 3}, {0}, {2, 3}, LIT_I64},
    {"0-d b and cond", 0, 2, 0, {0}, {2, 3}, {0}, LIT_F32},
    {"cond broadcasts a and b up", 3, 1, 2, {2, 3, 4}, {4}, {3, 1}, LIT_I64},
    {"empty", 2, 2, 1, {0, 3}, {1, 3}, {3}, LIT_I64},
};

/* cond values: a pattern with zeros and several kinds of nonzero (incl. NaN for f32) */
static lit_tensor *make_cond(const where_case *tc, uint64_t seed) {
    lit_tensor *c = lit_empty(tc->cdt, tc->nc, tc->c);
    lit_rng rng = lit_rng_new(seed);
    for (int64_t k = 0; k < c->numel; k++) {
        uint32_t r = lit_rng_u32(&rng) % 4;
        double v = r == 0 ? 0 : (r == 1 ? 1 : (r == 2 ? -3 : 0));
        if (tc->cdt == LIT_F32 && r == 3) v = k % 2 ? NAN : 0.5;
        lit_set_flat(c, k, v);
    }
    if (c->numel) lit_set_flat(c, 0, 0); /* both branches occur */
    if (c->numel > 1) lit_set_flat(c, 1, 1);
    return c;
}

static lit_tensor *call_where(lit_tensor *const *in, void *ctx) { return lit_where(ctx, in[0], in[1]); }

TEST(where_broadcast_forward_backward) {
    for (size_t c = 0; c < sizeof where_cases / sizeof *where_cases; c++) {
        const where_case *tc = &where_cases[c];
        lit_tensor *cond = make_cond(tc, 500 + c);
        lit_tensor *a = param(tc->na, tc->a, 510 + c, 0), *b = param(tc->nb, tc->b, 520 + c, 0);
        lit_tensor *out = lit_where(cond, a, b);
        int nd = out->ndim;
        double ref[64], ga[64] = {0}, gb[64] = {0};
        for (int64_t k = 0; k < out->numel; k++) {
            int64_t p[LIT_MAX_DIMS];
            unravel_(nd, out->shape, k, p);
            double cv = bcast_get(cond, nd, p);
            int t = cv != 0 || isnan(cv);
            ref[k] = t ? bcast_get(a, nd, p) : bcast_get(b, nd, p);
            /* ones upstream: each a (b) element collects the positions it was picked at */
            int64_t ai = 0, bi = 0;
            for (int e = 0; e < a->ndim; e++) ai = ai * a->shape[e] + (a->shape[e] == 1 ? 0 : p[e + nd - a->ndim]);
            for (int e = 0; e < b->ndim; e++) bi = bi * b->shape[e] + (b->shape[e] == 1 ? 0 : p[e + nd - b->ndim]);
            if (t) ga[ai] += 1;
            else gb[bi] += 1;
        }
        opcheck_forward(tc->name, out, ref, out->numel, 0, 0);
        a->grad = b->grad = NULL;
        lit_backward_with_grad(out, lit_ones(LIT_F32, out->ndim, out->shape));
        opcheck_forward(tc->name, a->grad, ga, a->numel, 0, 0);
        opcheck_forward(tc->name, b->grad, gb, b->numel, 0, 0);
        lit_tensor *ins[2] = {a, b};
        if (out->numel) opcheck_grad(tc->name, call_where, 2, ins, cond, OPCHECK_TOL);
    }
}

TEST(where_known_values) {
    /* torch.where(tensor([[1], [0]]), tensor([1., 2., 3.]), tensor(-1.)) */
    lit_tensor *cond = itensor(LIT_I64, 2, (int64_t[]){2, 1}, (int64_t[]){1, 0});
    lit_tensor *a = lit_from_buffer(LIT_F32, LIT_SHAPE(3), (float[]){1, 2, 3});
    lit_tensor *out = lit_where(cond, a, lit_scalar(-1));
    CHECK_EQ_INT(out->ndim, 2);
    double want[6] = {1, 2, 3, -1, -1, -1};
    opcheck_forward("where known", out, want, 6, 0, 0);
}

/* ---------------------------------------------------------------- masked_fill */

typedef struct {
    const char *name;
    int nx, nm;
    int64_t x[3], m[3];
    double value;
    int strided;
} mfill_case;

static const mfill_case mfill_cases[] = {
    {"same shape", 2, 2, {3, 4}, {3, 4}, -1.5, 0},
    {"row mask", 2, 1, {3, 4}, {4}, 0.0, 0},
    {"column mask, strided x", 2, 2, {4, 3}, {4, 1}, 7.0, 1},
    {"causal-style -inf", 3, 2, {2, 4, 4}, {4, 4}, -INFINITY, 0},
    {"0-d mask", 2, 0, {2, 3}, {0}, 2.0, 0},
    {"empty", 2, 1, {0, 3}, {3}, 1.0, 0},
};

typedef struct {
    lit_tensor *mask;
    double value;
} mfill_ctx;

static lit_tensor *call_mfill(lit_tensor *const *in, void *ctx) {
    mfill_ctx *m = ctx;
    return lit_masked_fill(in[0], m->mask, m->value);
}

TEST(masked_fill_broadcast_forward_backward) {
    for (size_t c = 0; c < sizeof mfill_cases / sizeof *mfill_cases; c++) {
        const mfill_case *tc = &mfill_cases[c];
        lit_tensor *x = param(tc->nx, tc->x, 600 + c, tc->strided);
        lit_tensor *mask = lit_empty(LIT_I64, tc->nm, tc->m);
        for (int64_t k = 0; k < mask->numel; k++) lit_set_flat(mask, k, (k * 7 + (int64_t)c) % 3 == 0);
        if (tc->nm == 0) lit_set_flat(mask, 0, 1);
        if (tc->value == -INFINITY) /* triu(1): key j > query i */
            for (int64_t k = 0; k < mask->numel; k++) lit_set_flat(mask, k, k % 4 > k / 4);
        lit_tensor *out = lit_masked_fill(x, mask, tc->value);
        CHECK(lit_same_shape(out, x));
        double ref[64], gx[64];
        for (int64_t k = 0; k < x->numel; k++) {
            int64_t p[LIT_MAX_DIMS];
            unravel_(x->ndim, x->shape, k, p);
            int m = bcast_get(mask, x->ndim, p) != 0;
            ref[k] = m ? tc->value : lit_get_flat(x, k);
            gx[k] = m ? 0 : 1;
        }
        opcheck_forward(tc->name, out, ref, x->numel, 0, 0);
        x->grad = NULL;
        lit_backward_with_grad(out, lit_ones(LIT_F32, out->ndim, out->shape));
        opcheck_forward(tc->name, x->grad, gx, x->numel, 0, 0);
        mfill_ctx ctx = {mask, tc->value};
        if (x->numel && isfinite(tc->value)) opcheck_grad(tc->name, call_mfill, 1, &x, &ctx, OPCHECK_TOL);
    }
    /* the mask may not grow x */
    EXPECT_ASSERT(lit_masked_fill(lit_zeros(LIT_F32, LIT_SHAPE(4)), lit_zeros(LIT_I64, LIT_SHAPE(2, 4)), 0),
                  "lit_masked_fill");
}

/* ---------------------------------------------------------------- one_hot */

TEST(one_hot_values_and_dtype) {
    struct {
        int nd;
        int64_t shape[2];
        int64_t vals[6];
        int64_t C;
    } cases[] = {
        {1, {4}, {0, 3, 3, 1}, 4},
        {2, {2, 3}, {2, 0, 1, 1, 2, 0}, 5},
        {0, {0}, {2}, 3},
        {1, {0}, {0}, 3},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        lit_tensor *idx = itensor(LIT_I64, cases[c].nd, cases[c].shape, cases[c].vals);
        lit_tensor *oh = lit_one_hot(idx, cases[c].C);
        CHECK(oh->dtype == LIT_I64);
        CHECK_EQ_INT(oh->ndim, cases[c].nd + 1);
        CHECK_EQ_INT(oh->shape[cases[c].nd], cases[c].C);
        double ref[32];
        for (int64_t i = 0; i < idx->numel; i++)
            for (int64_t j = 0; j < cases[c].C; j++) ref[i * cases[c].C + j] = cases[c].vals[i] == j;
        opcheck_forward("one_hot", oh, ref, idx->numel * cases[c].C, 0, 0);
    }
    EXPECT_ASSERT(lit_one_hot(itensor(LIT_I64, 1, (int64_t[]){2}, (int64_t[]){1, 3}), 3),
                  "lit_one_hot: index 3 at position [1]");
}

/* ---------------------------------------------------------------- concat */

typedef struct {
    const char *name;
    int nd, dim;
    int64_t s[3][3]; /* three inputs */
    int strided_mid;
} concat_case;

static const concat_case concat_cases[] = {
    {"dim 0, middle empty", 2, 0, {{2, 3}, {0, 3}, {1, 3}}, 0},
    {"dim 1, first empty", 2, 1, {{2, 0}, {2, 3}, {2, 1}}, 0},
    {"dim -1 of 3-d, last empty", 3, -1, {{2, 2, 1}, {2, 2, 3}, {2, 2, 0}}, 0},
    {"dim -2 strided middle", 3, -2, {{1, 2, 2}, {1, 3, 2}, {1, 1, 2}}, 1},
    {"1-d", 1, 0, {{3}, {0}, {2}}, 0},
    {"all empty off-dim", 2, 0, {{1, 0}, {2, 0}, {0, 0}}, 0},
};

static lit_tensor *call_concat(lit_tensor *const *in, void *ctx) { return lit_concat(3, in, *(int *)ctx); }

TEST(concat_forward_backward) {
    for (size_t c = 0; c < sizeof concat_cases / sizeof *concat_cases; c++) {
        const concat_case *tc = &concat_cases[c];
        lit_tensor *xs[3];
        for (int i = 0; i < 3; i++) xs[i] = param(tc->nd, tc->s[i], 700 + 10 * c + i, i == 1 && tc->strided_mid);
        int d = tc->dim < 0 ? tc->dim + tc->nd : tc->dim;
        lit_tensor *out = lit_concat(3, xs, tc->dim);
        int64_t total = tc->s[0][d] + tc->s[1][d] + tc->s[2][d];
        CHECK_EQ_INT(out->ndim, tc->nd);
        CHECK_EQ_INT(out->shape[d], total);
        double ref[64];
        for (int64_t k = 0; k < out->numel; k++) {
            int64_t p[LIT_MAX_DIMS];
            unravel_(out->ndim, out->shape, k, p);
            int i = 0;
            while (p[d] >= xs[i]->shape[d]) p[d] -= xs[i++]->shape[d];
            ref[k] = lit_get(xs[i], p);
        }
        opcheck_forward(tc->name, out, ref, out->numel, 0, 0);
        int dim = tc->dim;
        if (out->numel) opcheck_grad(tc->name, call_concat, 3, xs, &dim, OPCHECK_TOL);
        /* the empty input gets an (empty) gradient and no complaint; the
         * others get exactly their slice of g */
        lit_tensor *g = opcheck_randn(out->ndim, out->shape, 77);
        for (int i = 0; i < 3; i++) xs[i]->grad = NULL;
        lit_backward_with_grad(lit_concat(3, xs, tc->dim), g);
        int64_t off = 0;
        for (int i = 0; i < 3; i++) {
            if (xs[i]->numel) {
                lit_tensor *want = lit_contiguous(lit_slice(g, d, off, off + xs[i]->shape[d], 1));
                CHECK_MSG(xs[i]->grad && lit_same_shape(xs[i]->grad, xs[i]), "%s: input %d gradient shape", tc->name,
                          i);
                if (xs[i]->grad) CHECK_ALLCLOSE(lit_f32(xs[i]->grad), lit_f32(want), xs[i]->numel, 0, 0);
            }
            off += xs[i]->shape[d];
        }
    }
}

TEST(concat_mismatch_is_caught) {
    lit_tensor *a = lit_zeros(LIT_F32, LIT_SHAPE(2, 3)), *b = lit_zeros(LIT_F32, LIT_SHAPE(3, 4));
    lit_tensor *c3 = lit_zeros(LIT_F32, LIT_SHAPE(2, 2));
    EXPECT_ASSERT(lit_concat(2, (lit_tensor *[]){a, b}, 0), "lit_concat: tensor 1 has shape (3, 4) but tensor 0 has shape (2, 3)");
    EXPECT_ASSERT(lit_concat(3, (lit_tensor *[]){a, c3, b}, -1), "tensor 2 has shape (3, 4)");
    EXPECT_ASSERT(lit_concat(2, (lit_tensor *[]){a, lit_zeros(LIT_F32, LIT_SHAPE(2, 3, 1))}, 1), "(2, 3, 1)");
    EXPECT_ASSERT(lit_concat(2, (lit_tensor *[]){a, a}, -3), "lit_concat: dim -3 is out of range");
}

/* ---------------------------------------------------------------- split / chunk */

/* piece i of x (views) equals x's slice [start, start+len) on dim d */
static void check_piece(const char *name, lit_tensor *x, lit_tensor *piece, int d, int64_t start, int64_t len) {
    CHECK_MSG(piece->ndim == x->ndim && piece->shape[d] == len, "%s: piece %s, want size %lld on dim %d", name,
              LIT_SHAPE_STR(piece), (long long)len, d);
    double ref[64];
    int64_t n = 0;
    for (int64_t k = 0; k < x->numel; k++) {
        int64_t p[LIT_MAX_DIMS];
        unravel_(x->ndim, x->shape, k, p);
        if (p[d] >= start && p[d] < start + len) ref[n++] = lit_get_flat(x, k);
    }
    opcheck_forward(name, piece, ref, n, 0, 0);
    if (piece->numel) /* a view, not a copy */
        CHECK_MSG((const char *)piece->data == (const char *)x->data + start * x->stride[d] * 4,
                  "%s: piece at %lld is not a view of x", name, (long long)start);
}

typedef struct {
    const char *name;
    int nd;
    int64_t shape[3];
    int dim, chunks;
    int want_count;
    int64_t want[5];
} chunk_case;

static const chunk_case chunk_cases[] = {
    {"7 into 3", 1, {7}, 0, 3, 3, {3, 3, 1}},
    {"6 into 4 -> 3 of 2", 1, {6}, 0, 4, 3, {2, 2, 2}},
    {"5 into 5", 2, {2, 5}, -1, 5, 5, {1, 1, 1, 1, 1}},
    {"2 into 5 -> 2 of 1", 2, {2, 3}, 0, 5, 2, {1, 1}},
    {"10 into 4 -> 3,3,3,1", 3, {2, 10, 1}, 1, 4, 4, {3, 3, 3, 1}},
    {"9 into 4 -> 3,3,3", 2, {9, 2}, -2, 4, 3, {3, 3, 3}},
    {"empty dim -> chunks empties", 2, {0, 2}, 0, 3, 3, {0, 0, 0}},
};

typedef struct {
    int chunks, dim, which;
} chunk_ctx;

static lit_tensor *call_chunk_piece(lit_tensor *const *in, void *ctx) {
    chunk_ctx *c = ctx;
    lit_tensor *out[8];
    lit_chunk(in[0], c->chunks, c->dim, out);
    return lit_mul_scalar(out[c->which], 2.0); /* something downstream of the view */
}

TEST(chunk_sizes_values_backward) {
    for (size_t c = 0; c < sizeof chunk_cases / sizeof *chunk_cases; c++) {
        const chunk_case *tc = &chunk_cases[c];
        lit_tensor *x = param(tc->nd, tc->shape, 800 + c, 0);
        int d = tc->dim < 0 ? tc->dim + tc->nd : tc->dim;
        lit_tensor *out[8] = {0};
        int count = lit_chunk(x, tc->chunks, tc->dim, out);
        CHECK_MSG(count == tc->want_count, "%s: %d pieces, want %d", tc->name, count, tc->want_count);
        int64_t start = 0;
        for (int i = 0; i < count && i < tc->want_count; i++) {
            check_piece(tc->name, x, out[i], d, start, tc->want[i]);
            start += tc->want[i];
        }
        /* backward through the last piece: 2*g inside it, 0 elsewhere */
        if (x->numel) {
            chunk_ctx ctx = {tc->chunks, tc->dim, count - 1};
            opcheck_grad(tc->name, call_chunk_piece, 1, &x, &ctx, OPCHECK_TOL);
            x->grad = NULL;
            lit_tensor *y = call_chunk_piece(&x, &ctx);
            lit_backward_with_grad(y, lit_ones(LIT_F32, y->ndim, y->shape));
            int64_t lo = start - tc->want[count - 1];
            double want[64];
            for (int64_t k = 0; k < x->numel; k++) {
                int64_t p[LIT_MAX_DIMS];
                unravel_(x->ndim, x->shape, k, p);
                want[k] = p[d] >= lo ? 2.0 : 0.0;
            }
            opcheck_forward(tc->name, x->grad, want, x->numel, 0, 0);
        }
    }
}

typedef struct {
    int n, dim;
    const int64_t *sizes;
} split_ctx;

static lit_tensor *call_split_concat(lit_tensor *const *in, void *ctx) {
    split_ctx *s = ctx;
    lit_tensor *out[4];
    lit_split(in[0], s->dim, s->n, s->sizes, out);
    /* reassemble in reverse order: each piece's gradient must land in its place */
    lit_tensor *rev[4];
    for (int i = 0; i < s->n; i++) rev[i] = out[s->n - 1 - i];
    return lit_concat(s->n, rev, s->dim);
}

TEST(split_sizes_values_backward) {
    lit_tensor *x = param(2, (int64_t[]){3, 7}, 900, 1);
    const int64_t sizes[4] = {2, 0, 4, 1};
    lit_tensor *out[4];
    lit_split(x, -1, 4, sizes, out);
    int64_t start = 0;
    for (int i = 0; i < 4; i++) {
        check_piece("split", x, out[i], 1, start, sizes[i]);
        start += sizes[i];
    }
    split_ctx ctx = {4, 1, sizes};
    opcheck_grad("split -> reversed concat", call_split_concat, 1, &x, &ctx, OPCHECK_TOL);
    const int64_t rows[2] = {1, 2};
    split_ctx ctx0 = {2, 0, rows};
    opcheck_grad("split dim 0", call_split_concat, 1, &x, &ctx0, OPCHECK_TOL);
    EXPECT_ASSERT(lit_split(x, 1, 2, (int64_t[]){3, 3}, out), "lit_split: part sizes sum to 6 but dim 1 of (3, 7)");
    EXPECT_ASSERT(lit_chunk(x, 0, 0, out), "lit_chunk: chunks is 0");
}

int main(void) {
    RUN(embedding_forward_backward);
    RUN(embedding_out_of_range_is_caught);
    RUN(gather_forward_backward);
    RUN(gather_integer_source_and_errors);
    RUN(where_broadcast_forward_backward);
    RUN(where_known_values);
    RUN(masked_fill_broadcast_forward_backward);
    RUN(one_hot_values_and_dtype);
    RUN(concat_forward_backward);
    RUN(concat_mismatch_is_caught);
    RUN(chunk_sizes_values_backward);
    RUN(split_sizes_values_backward);
    return harness_summary();
}
