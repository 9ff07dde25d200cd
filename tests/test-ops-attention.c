/*
 * Scaled dot-product attention, table-driven: forward against a plain
 * double-precision softmax(q k^T * scale + mask) v written here, backward
 * against central finite differences, over causal and non-causal cases,
 * Tq != Tk, Dv != D, size-1 and empty dims and strided inputs; then the
 * PyTorch fixture (tests/fixtures/gen_attention.py), q = k = v, determinism
 * over thread counts, and argument errors.
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

int main(void) {
    RUN(attention_table);
    RUN(attention_q_k_v_same_tensor);
    RUN(attention_matches_pytorch);
    RUN(attention_deterministic_over_threads);
    RUN(attention_errors);
    return harness_summary();
}
