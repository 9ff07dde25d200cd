/*
 * Scaled dot-product attention, table-driven: forward against a plain
 * double-precision softmax(q k^T * scale + mask) v written here, backward
 * against central finite differences, over causal and non-causal cases,
 * Tq != Tk, Dv != D, size-1 and empty dims and strided inputs; then the
 * PyTorch fixture (tests/fixtures/gen_attention.py), q = k = v, determinism
 * over thread counts, and argument errors.
 *
 * lit_scaled_dot_product_attention_ex (masks, dropout): forward and backward
 * against the PyTorch fixture's masked cases, against the same attention
 * composed of litc's unfused ops (matmul, masked_fill / add, softmax,
 * lit_dropout drawing from the same generator state, matmul), and central
 * finite differences with the dropout stream held fixed; dropout's kept
 * fraction, p = 0, same-seed repeatability and the generator's advance.
 */
#include "fixture.h"
#include "opcheck.h"

/* out[b,h,i,:] in double; q (BH, tq, d), k (BH, tk, d), v (BH, tk, dv) read
 * through lit_get_flat so strided inputs work. */
static double *reference(const lit_tensor *q, const lit_tensor *k, const lit_tensor *v, int causal, double scale) {
    int64_t B = q->shape[0], H = q->shape[1], tq = q->shape[2], tk = k->shape[2], d = q->shape[3], dv = v->shape[3];
    if (scale <= 0) scale = 1.0 / sqrt((double)d);
    double *out = calloc((size_t)(B * H * tq * dv + 1), sizeof *out);
    double *s = malloc((size_t)(tk + 1) * sizeof *s);
    for (int64_t bh = 0; bh < B * H; bh++)
        for (int64_t i = 0; i < tq; i++) {
            int64_t valid = causal ? (i + 1 < tk ? i + 1 : tk) : tk;
            double mx = -INFINITY, sum = 0;
            for (int64_t j = 0; j < valid; j++) {
                double dot = 0;
                for (int64_t c = 0; c < d; c++)
                    dot += lit_get_flat(q, (bh * tq + i) * d + c) * lit_get_flat(k, (bh * tk + j) * d + c);
                s[j] = dot * scale;
                mx = s[j] > mx ? s[j] : mx;
            }
            for (int64_t j = 0; j < valid; j++) sum += s[j] = exp(s[j] - mx);
            for (int64_t c = 0; c < dv; c++) {
                double acc = 0;
                for (int64_t j = 0; j < valid; j++) acc += s[j] / sum * lit_get_flat(v, (bh * tk + j) * dv + c);
                out[(bh * tq + i) * dv + c] = acc;
            }
        }
    free(s);
    return out;
}

typedef struct {
    const char *name;
    int64_t B, H, tq, tk, d, dv;
    int causal;
    double scale;   /* <= 0: default 1/sqrt(D) */
    int strided;    /* q, k, v as transposed views (like heads split from (B, T, H, D)) */
} attn_case;

static const attn_case attn_cases[] = {
    {"non-causal square", 2, 2, 5, 5, 4, 4, 0, 0, 0},
    {"causal square", 2, 2, 5, 5, 4, 4, 1, 0, 0},
    {"non-causal Tq < Tk", 1, 2, 3, 6, 4, 4, 0, 0, 0},
    {"non-causal Tq > Tk", 2, 1, 6, 3, 3, 3, 0, 0, 0},
    {"causal Tq > Tk", 1, 2, 6, 4, 4, 4, 1, 0, 0},
    {"causal Tq < Tk", 1, 1, 3, 5, 2, 2, 1, 0, 0},
    {"Dv != D, scale", 1, 3, 4, 5, 2, 3, 0, 0.7, 0},
    {"single head (B*H = 1)", 1, 1, 4, 4, 3, 3, 1, 0, 0},
    {"D = 1, Tq = 1", 2, 2, 1, 3, 1, 1, 0, 0, 0},
    {"causal T = 1", 2, 1, 1, 1, 4, 4, 1, 0, 0},
    {"strided inputs", 2, 2, 4, 4, 3, 3, 1, 0, 1},
    {"strided non-causal", 1, 2, 3, 5, 2, 2, 0, 0, 1},
    {"empty Tq", 1, 2, 0, 3, 2, 2, 0, 0, 0},
    {"empty Tk (zeros)", 1, 2, 3, 0, 2, 2, 0, 0, 0},
    {"empty batch", 0, 2, 3, 3, 2, 2, 1, 0, 0},
};

/* A leaf (B, H, T, D); strided: stored as (B, T, H, D) and transposed. */
static lit_tensor *input(int64_t B, int64_t H, int64_t T, int64_t D, uint64_t seed, int strided) {
    lit_tensor *x;
    if (strided) {
        lit_tensor *store = opcheck_randn(4, (int64_t[]){B, T, H, D}, seed);
        lit_tensor *t = lit_transpose(store, 1, 2);
        x = lit__tensor_alloc(lit_arena_current(), LIT_F32, 4, t->shape, 0);
        memcpy(x->stride, t->stride, sizeof x->stride);
        x->data = store->data;
    } else {
        x = opcheck_randn(4, (int64_t[]){B, H, T, D}, seed);
    }
    x->requires_grad = 1;
    return x;
}

static lit_tensor *call_attn(lit_tensor *const *in, void *ctx) {
    const attn_case *tc = ctx;
    return lit_scaled_dot_product_attention(in[0], in[1], in[2], tc->causal, tc->scale);
}

TEST(attention_table) {
    for (size_t c = 0; c < sizeof attn_cases / sizeof *attn_cases; c++) {
        const attn_case *tc = &attn_cases[c];
        lit_tensor *in[3] = {
            input(tc->B, tc->H, tc->tq, tc->d, 10 * c + 1, tc->strided),
            input(tc->B, tc->H, tc->tk, tc->d, 10 * c + 2, tc->strided),
            input(tc->B, tc->H, tc->tk, tc->dv, 10 * c + 3, tc->strided),
        };
        if (tc->strided) CHECK(!lit_is_contiguous(in[0]));
        lit_tensor *out = lit_scaled_dot_product_attention(in[0], in[1], in[2], tc->causal, tc->scale);
        CHECK_MSG(out->ndim == 4 && out->shape[0] == tc->B && out->shape[1] == tc->H && out->shape[2] == tc->tq &&
                      out->shape[3] == tc->dv,
                  "%s: output shape %s", tc->name, LIT_SHAPE_STR(out));
        double *ref = reference(in[0], in[1], in[2], tc->causal, tc->scale);
        opcheck_forward(tc->name, out, ref, tc->B * tc->H * tc->tq * tc->dv, 1e-5, 1e-6);
        free(ref);
        if (out->numel && tc->tk) opcheck_grad(tc->name, call_attn, 3, in, (void *)tc, OPCHECK_TOL);
    }
}

static lit_tensor *call_self(lit_tensor *const *in, void *ctx) {
    return lit_scaled_dot_product_attention(in[0], in[0], in[0], *(int *)ctx, 0);
}

TEST(attention_q_k_v_same_tensor) {
    /* One tensor in all three roles: its gradient is the sum of dq, dk, dv. */
    for (int causal = 0; causal < 2; causal++) {
        lit_tensor *x = opcheck_randn(4, (int64_t[]){2, 2, 4, 3}, 60 + causal);
        x->requires_grad = 1;
        opcheck_grad(causal ? "self causal" : "self", call_self, 1, &x, &causal, OPCHECK_TOL);
    }
}

static lit_tensor *from_fixture(const fixture *f, const char *cname, const char *what) {
    char key[160];
    snprintf(key, sizeof key, "%s/%s", cname, what);
    const fixture_array *a = fixture_find(f, key);
    CHECK_MSG(a != NULL, "fixture array %s missing", key);
    if (!a) return NULL;
    lit_tensor *t = lit_empty(LIT_F32, a->ndim, a->shape);
    for (int64_t i = 0; i < a->numel; i++) lit_f32(t)[i] = (float)a->data[i];
    return t;
}

TEST(attention_matches_pytorch) {
    fixture *f = fixture_load("tests/fixtures/attention.txt");
    CHECK_MSG(f != NULL, "cannot load tests/fixtures/attention.txt (regenerate with gen_attention.py)");
    if (!f) return;
    const char *names[] = {"noncausal", "causal", "noncausal_tq3_tk6", "causal_tq6_tk4", "scale_dv3"};
    for (size_t c = 0; c < sizeof names / sizeof *names; c++) {
        char key[160];
        snprintf(key, sizeof key, "%s/meta", names[c]);
        const fixture_array *meta = fixture_find(f, key);
        CHECK_MSG(meta != NULL && meta->numel == 2, "fixture %s missing", key);
        if (!meta) continue;
        lit_tensor *q = from_fixture(f, names[c], "q"), *k = from_fixture(f, names[c], "k"),
                   *v = from_fixture(f, names[c], "v"), *r = from_fixture(f, names[c], "r");
        if (!q || !k || !v || !r) continue;
        q->requires_grad = k->requires_grad = v->requires_grad = 1;
        lit_tensor *out = lit_scaled_dot_product_attention(q, k, v, (int)meta->data[0], meta->data[1]);
        snprintf(key, sizeof key, "%s/out", names[c]);
        const fixture_array *want = fixture_find(f, key);
        if (want) opcheck_forward(key, out, want->data, want->numel, 1e-5, 1e-6);
        lit_backward_with_grad(out, r);
        const char *grads[] = {"dq", "dk", "dv"};
        lit_tensor *ins[] = {q, k, v};
        for (int i = 0; i < 3; i++) {
            snprintf(key, sizeof key, "%s/%s", names[c], grads[i]);
            want = fixture_find(f, key);
            CHECK_MSG(want != NULL && ins[i]->grad != NULL, "%s: missing fixture or gradient", key);
            if (want && ins[i]->grad) opcheck_forward(key, ins[i]->grad, want->data, want->numel, 1e-4, 1e-5);
        }
    }
    fixture_free(f);
}

TEST(attention_deterministic_over_threads) {
    lit_tensor *q = opcheck_randn(4, (int64_t[]){2, 4, 33, 16}, 71);
    lit_tensor *k = opcheck_randn(4, (int64_t[]){2, 4, 33, 16}, 72);
    lit_tensor *v = opcheck_randn(4, (int64_t[]){2, 4, 33, 16}, 73);
    lit_tensor *r = opcheck_randn(4, (int64_t[]){2, 4, 33, 16}, 74);
    int prev = lit_get_num_threads();
    float *res[2][4];
    const int counts[2] = {1, 4};
    for (int t = 0; t < 2; t++) {
        lit_set_num_threads(counts[t]);
        q->grad = k->grad = v->grad = NULL;
        q->requires_grad = k->requires_grad = v->requires_grad = 1;
        lit_tensor *out = lit_scaled_dot_product_attention(q, k, v, 1, 0);
        lit_backward_with_grad(out, r);
        res[t][0] = out->data;
        res[t][1] = q->grad->data;
        res[t][2] = k->grad->data;
        res[t][3] = v->grad->data;
    }
    lit_set_num_threads(prev);
    for (int i = 0; i < 4; i++)
        CHECK_MSG(memcmp(res[0][i], res[1][i], (size_t)q->numel * sizeof(float)) == 0,
                  "result %d differs between 1 and 4 threads", i);
}

TEST(attention_errors) {
    lit_tensor *q = lit_zeros(LIT_F32, LIT_SHAPE(1, 2, 3, 4));
    lit_tensor *k = lit_zeros(LIT_F32, LIT_SHAPE(1, 2, 5, 4));
    lit_tensor *k3 = lit_zeros(LIT_F32, LIT_SHAPE(2, 5, 4));
    lit_tensor *kd = lit_zeros(LIT_F32, LIT_SHAPE(1, 2, 5, 3));
    lit_tensor *v6 = lit_zeros(LIT_F32, LIT_SHAPE(1, 2, 6, 4));
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, k3, k3, 0, 0), "must all be 4-d (B, H, T, D)");
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, kd, kd, 0, 0),
                  "q (1, 2, 3, 4), k (1, 2, 5, 3), v (1, 2, 5, 3) do not fit together");
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, k, v6, 0, 0), "v (B, H, Tk, Dv)");
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, k, lit_zeros(LIT_I64, LIT_SHAPE(1, 2, 5, 4)), 0, 0),
                  "lit_to_dtype");
}

/* ---------------------------------------------------------------- masks and dropout */

/* The attention of p composed from litc's unfused ops, as torch code would
 * write it: masked_fill(-inf) for a boolean mask (and causal), + for an
 * additive one, softmax, lit_dropout (from *rng), matmul. */
static lit_tensor *unfused(lit_tensor *q, lit_tensor *k, lit_tensor *v, const lit_sdpa_params *p, lit_rng *rng) {
    int64_t tq = q->shape[2], tk = k->shape[2];
    double scale = p->scale > 0 ? p->scale : 1.0 / sqrt((double)q->shape[3]);
    lit_tensor *s = lit_mul_scalar(lit_matmul_ex(q, k, 0, 1), scale);
    if (p->mask) {
        int is_bool = p->mask_kind == LIT_SDPA_MASK_BOOL ||
                      (p->mask_kind == LIT_SDPA_MASK_AUTO && !lit_dtype_is_float(p->mask->dtype));
        if (is_bool) {
            lit_tensor *excluded = lit_eq(lit_to_dtype(p->mask, LIT_F32), lit_zeros(LIT_F32, 0, NULL));
            s = lit_masked_fill(s, excluded, -INFINITY);
        } else {
            s = lit_add(s, p->mask);
        }
    }
    if (p->is_causal) {
        lit_tensor *above = lit_zeros(LIT_F32, LIT_SHAPE(tq, tk));
        for (int64_t i = 0; i < tq; i++)
            for (int64_t j = i + 1; j < tk; j++) lit_f32(above)[i * tk + j] = 1;
        s = lit_masked_fill(s, above, -INFINITY);
    }
    lit_tensor *prob = lit_softmax(s, -1);
    if (p->dropout_p > 0) prob = lit_dropout(prob, p->dropout_p, 1, rng);
    return lit_matmul(prob, v);
}

/* A mask of `shape` with 0/1 entries (about 1 in 3 zero), column 0 always 1
 * so no row is fully excluded; additive: N(0, 1) with -inf where the boolean
 * one is 0. */
static lit_tensor *make_mask(int nd, const int64_t *shape, int additive, uint64_t seed) {
    lit_tensor *m = lit_empty(additive ? LIT_F32 : LIT_I64, nd, shape);
    lit_rng rng = lit_rng_new(seed);
    int64_t last = shape[nd - 1];
    for (int64_t e = 0; e < m->numel; e++) {
        int keep = e % last == 0 || lit_rng_uniform(&rng) >= 0.35;
        double val = additive ? (keep ? lit_rng_uniform(&rng) * 4 - 2 : -INFINITY) : keep;
        lit_set_flat(m, e, val);
    }
    return m;
}

typedef struct {
    const char *name;
    int64_t B, H, tq, tk, d;
    int causal, additive;
    int mask_nd;
    int64_t mask_shape[4];
    double dropout_p;
    int strided_mask; /* the mask as a transposed (non-contiguous) view */
} mask_case;

static const mask_case mask_cases[] = {
    {"bool (Tq, Tk)", 2, 2, 4, 5, 3, 0, 0, 2, {4, 5}, 0, 0},
    {"bool (B, 1, Tq, Tk)", 2, 3, 4, 4, 3, 0, 0, 4, {2, 1, 4, 4}, 0, 0},
    {"bool (B, H, Tq, Tk)", 2, 2, 3, 5, 2, 0, 0, 4, {2, 2, 3, 5}, 0, 0},
    {"padding (B, 1, 1, Tk)", 3, 2, 4, 6, 3, 0, 0, 4, {3, 1, 1, 6}, 0, 0},
    {"additive (Tq, Tk)", 1, 2, 4, 4, 3, 0, 1, 2, {4, 4}, 0, 0},
    {"additive (B, H, Tq, Tk)", 2, 2, 4, 3, 2, 0, 1, 4, {2, 2, 4, 3}, 0, 0},
    {"additive 3-d (H, Tq, Tk)", 2, 2, 3, 3, 2, 0, 1, 3, {2, 3, 3}, 0, 0},
    {"causal + padding", 2, 2, 5, 5, 3, 1, 0, 4, {2, 1, 1, 5}, 0, 0},
    {"causal + additive, Tq > Tk", 1, 2, 6, 4, 3, 1, 1, 2, {6, 4}, 0, 0},
    {"strided bool mask", 2, 2, 4, 5, 3, 0, 0, 2, {4, 5}, 0, 1},
    {"dropout 0.3, no mask", 2, 2, 5, 7, 3, 0, 0, 0, {0}, 0.3, 0},
    {"dropout 0.5, causal + padding", 2, 2, 5, 5, 3, 1, 0, 4, {2, 1, 1, 5}, 0.5, 0},
    {"dropout 0.2, additive, Tk odd", 1, 3, 3, 5, 2, 0, 1, 4, {1, 3, 3, 5}, 0.2, 0},
};

typedef struct {
    lit_sdpa_params p;
    lit_rng start; /* dropout's generator state before every call */
    lit_rng rng;
} mask_ctx;

static lit_tensor *call_masked(lit_tensor *const *in, void *ctx) {
    mask_ctx *c = ctx;
    c->rng = c->start; /* the same dropout draws at every evaluation */
    c->p.rng = &c->rng;
    return lit_scaled_dot_product_attention_ex(in[0], in[1], in[2], &c->p);
}

static lit_tensor *mask_for(const mask_case *tc, uint64_t seed) {
    if (!tc->mask_nd) return NULL;
    if (!tc->strided_mask) return make_mask(tc->mask_nd, tc->mask_shape, tc->additive, seed);
    int64_t swapped[2] = {tc->mask_shape[1], tc->mask_shape[0]};
    return lit_transpose(make_mask(2, swapped, tc->additive, seed), 0, 1);
}

TEST(attention_mask_and_dropout_table) {
    for (size_t c = 0; c < sizeof mask_cases / sizeof *mask_cases; c++) {
        const mask_case *tc = &mask_cases[c];
        lit_tensor *in[3] = {input(tc->B, tc->H, tc->tq, tc->d, 100 + 10 * c, 0),
                             input(tc->B, tc->H, tc->tk, tc->d, 101 + 10 * c, 0),
                             input(tc->B, tc->H, tc->tk, tc->d, 102 + 10 * c, 0)};
        mask_ctx ctx = {.p = lit_sdpa_default_params(), .start = lit_rng_new(7 + c)};
        ctx.start.counter = 1000 * c + 3; /* an unaligned start: not block 0 */
        ctx.p.mask = mask_for(tc, 200 + c);
        if (tc->strided_mask) CHECK(!lit_is_contiguous(ctx.p.mask));
        ctx.p.is_causal = tc->causal;
        ctx.p.dropout_p = tc->dropout_p;
        lit_tensor *out = call_masked(in, &ctx);
        lit_rng after_fused = ctx.rng;
        lit_tensor *r = opcheck_randn(4, out->shape, 300 + c);
        lit_backward_with_grad(out, r);
        lit_tensor *fused_grad[3] = {in[0]->grad, in[1]->grad, in[2]->grad};

        /* The unfused composition, from the same generator state. */
        lit_rng rng = ctx.start;
        for (int i = 0; i < 3; i++) in[i]->grad = NULL;
        lit_tensor *want = unfused(in[0], in[1], in[2], &ctx.p, &rng);
        CHECK_MSG(rng.seed == after_fused.seed && rng.counter == after_fused.counter,
                  "%s: generator at %llu after the fused op, %llu after lit_dropout", tc->name,
                  (unsigned long long)after_fused.counter, (unsigned long long)rng.counter);
        lit_backward_with_grad(want, r);
        double *ref = malloc((size_t)want->numel * sizeof *ref);
        for (int64_t e = 0; e < want->numel; e++) ref[e] = lit_get_flat(want, e);
        opcheck_forward(tc->name, out, ref, want->numel, 1e-5, 1e-6);
        free(ref);
        for (int i = 0; i < 3; i++) {
            ref = malloc((size_t)in[i]->numel * sizeof *ref);
            for (int64_t e = 0; e < in[i]->numel; e++) ref[e] = lit_get_flat(in[i]->grad, e);
            char what[96];
            snprintf(what, sizeof what, "%s: grad of input %d vs unfused", tc->name, i);
            opcheck_forward(what, fused_grad[i], ref, in[i]->numel, 1e-4, 1e-5);
            free(ref);
        }
        opcheck_grad(tc->name, call_masked, 3, in, &ctx, OPCHECK_TOL);
    }
}

TEST(attention_mask_matches_pytorch) {
    fixture *f = fixture_load("tests/fixtures/attention.txt");
    CHECK_MSG(f != NULL, "cannot load tests/fixtures/attention.txt (regenerate with gen_attention.py)");
    if (!f) return;
    const char *names[] = {"bool_tq_tk",     "padding_b11tk",   "bool_b1qk",       "additive_bhqk",
                           "additive_tq_tk_inf", "causal_padding", "causal_additive", "fully_masked_row",
                           "nan_key_bool", "nan_key_additive"};
    for (size_t c = 0; c < sizeof names / sizeof *names; c++) {
        char key[160];
        snprintf(key, sizeof key, "%s/meta", names[c]);
        const fixture_array *meta = fixture_find(f, key);
        CHECK_MSG(meta != NULL && meta->numel == 3, "fixture %s missing", key);
        if (!meta || meta->numel != 3) continue;
        lit_tensor *q = from_fixture(f, names[c], "q"), *k = from_fixture(f, names[c], "k"),
                   *v = from_fixture(f, names[c], "v"), *r = from_fixture(f, names[c], "r"),
                   *mask = from_fixture(f, names[c], "mask");
        if (!q || !k || !v || !r || !mask) continue;
        /* A boolean mask goes in as i64 (AUTO reads it as boolean), and once
         * more as f32 0/1 with the kind named: both give torch's answer. */
        int is_bool = meta->data[2] == 1;
        for (int pass = 0; pass < (is_bool ? 2 : 1); pass++) {
            lit_sdpa_params p = lit_sdpa_default_params();
            p.is_causal = (int)meta->data[0];
            p.mask = is_bool && pass == 0 ? lit_to_dtype(mask, LIT_I64) : mask;
            if (pass == 1) p.mask_kind = LIT_SDPA_MASK_BOOL;
            q->grad = k->grad = v->grad = NULL;
            q->requires_grad = k->requires_grad = v->requires_grad = 1;
            lit_tensor *out = lit_scaled_dot_product_attention_ex(q, k, v, &p);
            snprintf(key, sizeof key, "%s/out", names[c]);
            const fixture_array *want = fixture_find(f, key);
            CHECK_MSG(want != NULL, "fixture %s missing", key);
            if (want) opcheck_forward(key, out, want->data, want->numel, 1e-5, 1e-6);
            lit_backward_with_grad(out, r);
            const char *grads[] = {"dq", "dk", "dv"};
            lit_tensor *ins[] = {q, k, v};
            for (int i = 0; i < 3; i++) {
                snprintf(key, sizeof key, "%s/%s", names[c], grads[i]);
                want = fixture_find(f, key);
                CHECK_MSG(want != NULL && ins[i]->grad != NULL, "%s: missing fixture or gradient", key);
                if (want && ins[i]->grad) opcheck_forward(key, ins[i]->grad, want->data, want->numel, 1e-4, 1e-5);
            }
        }
    }
    fixture_free(f);
}

TEST(attention_dropout_zero_is_plain_attention) {
    lit_tensor *q = input(2, 2, 6, 4, 401, 0), *k = input(2, 2, 6, 4, 402, 0), *v = input(2, 2, 6, 4, 403, 0);
    lit_rng rng = lit_rng_new(9);
    lit_sdpa_params p = lit_sdpa_default_params();
    p.is_causal = 1;
    p.rng = &rng;
    lit_tensor *plain = lit_scaled_dot_product_attention(q, k, v, 1, 0);
    lit_tensor *ex = lit_scaled_dot_product_attention_ex(q, k, v, &p);
    CHECK(memcmp(plain->data, ex->data, (size_t)plain->numel * sizeof(float)) == 0);
    CHECK_MSG(rng.counter == 0, "dropout_p 0 advanced the generator to %llu", (unsigned long long)rng.counter);
    lit_tensor *none = lit_scaled_dot_product_attention_ex(q, k, v, NULL); /* NULL = defaults: non-causal */
    lit_tensor *nc = lit_scaled_dot_product_attention(q, k, v, 0, 0);
    CHECK(memcmp(none->data, nc->data, (size_t)nc->numel * sizeof(float)) == 0);
}

/* With q = 0 every probability is 1/Tk, and v = I (Dv = Tk) makes the output
 * row the dropped-out probabilities themselves: kept entries 1/((1-p) Tk). */
TEST(attention_dropout_kept_fraction) {
    const int64_t B = 2, H = 4, T = 64, D = 8;
    lit_tensor *q = lit_zeros(LIT_F32, LIT_SHAPE(B, H, T, D));
    lit_tensor *k = opcheck_randn(4, (int64_t[]){B, H, T, D}, 501);
    lit_tensor *v = lit_zeros(LIT_F32, LIT_SHAPE(B, H, T, T));
    for (int64_t bh = 0; bh < B * H; bh++)
        for (int64_t j = 0; j < T; j++) lit_f32(v)[(bh * T + j) * T + j] = 1;
    const double ps[] = {0.1, 0.5, 0.9, 1.0};
    for (int t = 0; t < 4; t++) {
        lit_rng rng = lit_rng_new(11);
        lit_sdpa_params p = lit_sdpa_default_params();
        p.dropout_p = ps[t];
        p.rng = &rng;
        lit_tensor *out = lit_scaled_dot_product_attention_ex(q, k, v, &p);
        const float kept_value = ps[t] < 1 ? (float)(1.0 / (1.0 - ps[t])) / (float)T : 0;
        int64_t kept = 0, odd = 0;
        for (int64_t e = 0; e < out->numel; e++) {
            float x = lit_f32(out)[e];
            if (x != 0) kept++;
            if (x != 0 && fabsf(x - kept_value) > 1e-6f * kept_value) odd++;
        }
        double frac = (double)kept / (double)out->numel, sigma = sqrt(ps[t] * (1 - ps[t]) / (double)out->numel);
        CHECK_MSG(fabs(frac - (1 - ps[t])) <= 4 * sigma + 1e-12, "p %g: kept %.4f of %lld, expected %.4f", ps[t],
                  frac, (long long)out->numel, 1 - ps[t]);
        CHECK_MSG(odd == 0, "p %g: %lld kept entries are not 1/((1-p) Tk)", ps[t], (long long)odd);
        CHECK_MSG(rng.counter == (uint64_t)(B * H * T * T / 4), "p %g: generator advanced to %llu", ps[t],
                  (unsigned long long)rng.counter);
    }
}

TEST(attention_dropout_same_seed_same_result) {
    lit_tensor *q = input(2, 2, 9, 4, 601, 0), *k = input(2, 2, 9, 4, 602, 0), *v = input(2, 2, 9, 4, 603, 0);
    lit_tensor *r = opcheck_randn(4, (int64_t[]){2, 2, 9, 4}, 604);
    lit_tensor *mask = make_mask(4, (int64_t[]){2, 1, 1, 9}, 0, 605);
    float *res[3][4];
    const int threads[3] = {1, 4, 1};
    const uint64_t counters[3] = {5, 5, 6};
    int prev = lit_get_num_threads();
    for (int run = 0; run < 3; run++) {
        lit_set_num_threads(threads[run]);
        lit_rng rng = lit_rng_new(42);
        rng.counter = counters[run];
        lit_sdpa_params p = lit_sdpa_default_params();
        p.mask = mask;
        p.is_causal = 1;
        p.dropout_p = 0.4;
        p.rng = &rng;
        q->grad = k->grad = v->grad = NULL;
        lit_tensor *out = lit_scaled_dot_product_attention_ex(q, k, v, &p);
        lit_backward_with_grad(out, r);
        res[run][0] = out->data;
        res[run][1] = q->grad->data;
        res[run][2] = k->grad->data;
        res[run][3] = v->grad->data;
    }
    lit_set_num_threads(prev);
    size_t bytes = (size_t)q->numel * sizeof(float);
    for (int i = 0; i < 4; i++)
        CHECK_MSG(memcmp(res[0][i], res[1][i], bytes) == 0, "result %d differs between 1 and 4 threads", i);
    CHECK_MSG(memcmp(res[0][0], res[2][0], bytes) != 0, "another counter gave the same dropout");
}

TEST(attention_mask_and_dropout_errors) {
    lit_tensor *q = lit_zeros(LIT_F32, LIT_SHAPE(2, 2, 3, 4)), *k = lit_zeros(LIT_F32, LIT_SHAPE(2, 2, 5, 4));
    lit_sdpa_params p = lit_sdpa_default_params();
    p.mask = lit_zeros(LIT_I64, LIT_SHAPE(3, 1, 5));
    EXPECT_ASSERT(lit_scaled_dot_product_attention_ex(q, k, k, &p),
                  "mask (3, 1, 5) does not broadcast to the scores (B, H, Tq, Tk) = (2, 2, 3, 5)");
    p.mask = lit_zeros(LIT_I64, LIT_SHAPE(3, 1, 1, 5));
    EXPECT_ASSERT(lit_scaled_dot_product_attention_ex(q, k, k, &p), "(B, 1, 1, Tk) for a padding mask");
    p.mask = lit_zeros(LIT_I64, LIT_SHAPE(1, 1, 2, 1, 5));
    EXPECT_ASSERT(lit_scaled_dot_product_attention_ex(q, k, k, &p), "does not broadcast");
    p.mask = lit_zeros(LIT_I64, LIT_SHAPE(3, 5));
    p.mask_kind = LIT_SDPA_MASK_ADDITIVE;
    EXPECT_ASSERT(lit_scaled_dot_product_attention_ex(q, k, k, &p), "an additive mask must be a float tensor, not i64");
    p.mask_kind = (lit_sdpa_mask_kind)7;
    EXPECT_ASSERT(lit_scaled_dot_product_attention_ex(q, k, k, &p), "mask_kind is 7");
    p.mask_kind = LIT_SDPA_MASK_AUTO;
    p.mask = lit_zeros(LIT_F32, LIT_SHAPE(3, 5));
    p.mask->requires_grad = 1;
    EXPECT_ASSERT(lit_scaled_dot_product_attention_ex(q, k, k, &p), "pass lit_detach(mask)");
    p.mask = NULL;
    p.dropout_p = 1.5;
    EXPECT_ASSERT(lit_scaled_dot_product_attention_ex(q, k, k, &p), "dropout_p is 1.5; pass a drop probability in [0, 1]");
    p.dropout_p = -0.1;
    EXPECT_ASSERT(lit_scaled_dot_product_attention_ex(q, k, k, &p), "dropout_p is -0.1");
}

int main(void) {
    RUN(attention_table);
    RUN(attention_q_k_v_same_tensor);
    RUN(attention_matches_pytorch);
    RUN(attention_deterministic_over_threads);
    RUN(attention_errors);
    RUN(attention_mask_and_dropout_table);
    RUN(attention_mask_matches_pytorch);
    RUN(attention_dropout_zero_is_plain_attention);
    RUN(attention_dropout_kept_fraction);
    RUN(attention_dropout_same_seed_same_result);
    RUN(attention_mask_and_dropout_errors);
    return harness_summary();
}
