/*
 * lit_scaled_dot_product_attention from a table: the forward and the
 * gradients against a naive double-precision softmax(q k^T * scale + mask) v
 * (with its hand-derived backward), the gradients also against central
 * finite differences (opcheck.h), and everything against PyTorch values in
 * tests/fixtures/sdpa.txt (tests/fixtures/gen_sdpa.py). Causal masks are
 * PyTorch's is_causal: key j is hidden from query i when j > i.
 */
#include "fixture.h"
#include "opcheck.h"

/* ---------------------------------------------------------------- reference */

typedef struct {
    int64_t B, H, Tq, Tk, D, Dv;
    int causal;
    double scale; /* the one actually used */
} sdpa_dims;

/* Reads a (B, H, T, C) tensor of any strides into a row-major double array. */
static double *to_doubles(const lit_tensor *t) {
    double *d = malloc((size_t)(t->numel ? t->numel : 1) * sizeof *d);
    for (int64_t k = 0; k < t->numel; k++) d[k] = lit_get_flat(t, k);
    return d;
}

/* out (B,H,Tq,Dv) and, when g is given, dq/dk/dv, all in double. */
static void sdpa_reference(const sdpa_dims *m, const double *q, const double *k, const double *v, const double *g,
                           double *out, double *dq, double *dk, double *dv) {
    double *P = malloc((size_t)(m->Tq * m->Tk + 1) * sizeof *P);
    double *dS = malloc((size_t)(m->Tq * m->Tk + 1) * sizeof *dS);
    for (int64_t bh = 0; bh < m->B * m->H; bh++) {
        const double *Q = q + bh * m->Tq * m->D, *K = k + bh * m->Tk * m->D, *V = v + bh * m->Tk * m->Dv;
        double *O = out + bh * m->Tq * m->Dv;
        for (int64_t i = 0; i < m->Tq; i++) {
            double mx = -INFINITY, sum = 0;
            for (int64_t j = 0; j < m->Tk; j++) {
                double s = 0;
                for (int64_t c = 0; c < m->D; c++) s += Q[i * m->D + c] * K[j * m->D + c];
                s *= m->scale;
                if (m->causal && j > i) s = -INFINITY;
                P[i * m->Tk + j] = s;
                mx = fmax(mx, s);
            }
            for (int64_t j = 0; j < m->Tk; j++) sum += P[i * m->Tk + j] = exp(P[i * m->Tk + j] - mx);
            for (int64_t j = 0; j < m->Tk; j++) P[i * m->Tk + j] /= sum;
            for (int64_t c = 0; c < m->Dv; c++) {
                double o = 0;
                for (int64_t j = 0; j < m->Tk; j++) o += P[i * m->Tk + j] * V[j * m->Dv + c];
                O[i * m->Dv + c] = o;
            }
        }
        if (!g) continue;
        const double *G = g + bh * m->Tq * m->Dv;
        double *dQ = dq + bh * m->Tq * m->D, *dK = dk + bh * m->Tk * m->D, *dV = dv + bh * m->Tk * m->Dv;
        /* dV = P^T G; dP = G V^T; dS = P * (dP - rowsum(dP * P)); dQ = s dS K; dK = s dS^T Q */
        for (int64_t j = 0; j < m->Tk; j++)
            for (int64_t c = 0; c < m->Dv; c++) {
                double acc = 0;
                for (int64_t i = 0; i < m->Tq; i++) acc += P[i * m->Tk + j] * G[i * m->Dv + c];
                dV[j * m->Dv + c] = acc;
            }
        for (int64_t i = 0; i < m->Tq; i++) {
            double rs = 0;
            for (int64_t j = 0; j < m->Tk; j++) {
                double dp = 0;
                for (int64_t c = 0; c < m->Dv; c++) dp += G[i * m->Dv + c] * V[j * m->Dv + c];
                dS[i * m->Tk + j] = dp;
                rs += dp * P[i * m->Tk + j];
            }
            for (int64_t j = 0; j < m->Tk; j++) dS[i * m->Tk + j] = P[i * m->Tk + j] * (dS[i * m->Tk + j] - rs);
        }
        for (int64_t i = 0; i < m->Tq; i++)
            for (int64_t c = 0; c < m->D; c++) {
                double acc = 0;
                for (int64_t j = 0; j < m->Tk; j++) acc += dS[i * m->Tk + j] * K[j * m->D + c];
                dQ[i * m->D + c] = m->scale * acc;
            }
        for (int64_t j = 0; j < m->Tk; j++)
            for (int64_t c = 0; c < m->D; c++) {
                double acc = 0;
                for (int64_t i = 0; i < m->Tq; i++) acc += dS[i * m->Tk + j] * Q[i * m->D + c];
                dK[j * m->D + c] = m->scale * acc;
            }
    }
    free(P);
    free(dS);
}

/* ---------------------------------------------------------------- table */

typedef struct {
    const char *name;
    int64_t B, H, Tq, Tk, D, Dv;
    int causal;
    double scale;  /* <= 0: default 1/sqrt(D) */
    double spread; /* inputs are N(0, spread^2) */
    int strided;   /* q, k, v stored with (T, D) swapped */
    int fd;        /* also check with finite differences */
} sdpa_case;

static const sdpa_case sdpa_cases[] = {
    {"noncausal default scale", 2, 2, 5, 5, 4, 4, 0, 0, 1, 0, 1},
    {"causal default scale", 2, 2, 5, 5, 4, 4, 1, 0, 1, 0, 1},
    {"noncausal Tq 3 < Tk 7, scale 0.5", 1, 3, 3, 7, 4, 4, 0, 0.5, 1, 0, 1},
    {"noncausal Tq 6 > Tk 2", 2, 1, 6, 2, 3, 3, 0, 0, 1, 0, 1},
    {"causal Tq 4 < Tk 6", 1, 2, 4, 6, 4, 4, 1, 0, 1, 0, 1},
    {"causal Tq 6 > Tk 3, scale 1.3", 1, 2, 6, 3, 2, 2, 1, 1.3, 1, 0, 1},
    {"Dv 5 != D 3", 2, 2, 4, 5, 3, 5, 1, 0, 1, 0, 1},
    {"strided inputs", 2, 2, 5, 4, 3, 3, 0, 0, 1, 1, 1},
    {"causal strided", 1, 2, 5, 5, 4, 4, 1, 0.25, 1, 1, 1},
    {"T = 1", 3, 1, 1, 1, 2, 2, 1, 0, 1, 0, 1},
    {"D = 1", 1, 1, 4, 4, 1, 1, 0, 0, 1, 0, 1},
    {"large scores (stability)", 1, 2, 6, 6, 8, 8, 0, 4.0, 3, 0, 0},
};

typedef struct {
    int causal;
    double scale;
} sdpa_ctx;

static lit_tensor *call_sdpa(lit_tensor *const *in, void *ctx) {
    sdpa_ctx *c = ctx;
    return lit_scaled_dot_product_attention(in[0], in[1], in[2], c->causal, c->scale);
}

static lit_tensor *sdpa_input(int64_t B, int64_t H, int64_t T, int64_t C, uint64_t seed, double spread,
                              int strided) {
    lit_tensor *x = opcheck_randn(4, (int64_t[]){B, H, T, C}, seed);
    if (spread != 1)
        for (int64_t k = 0; k < x->numel; k++) lit_f32(x)[k] *= (float)spread;
    if (strided) x = opcheck_noncontig(x);
    x->requires_grad = 1;
    return x;
}

/* |a - ref| <= atol + rtol |ref| elementwise; a is f32 of any strides. */
static void check_close(const char *what, const char *name, const lit_tensor *a, const double *ref, int64_t n,
                        double rtol, double atol) {
    char label[160];
    snprintf(label, sizeof label, "%s %s", name, what);
    opcheck_forward(label, a, ref, n, rtol, atol);
}

TEST(sdpa_vs_double_reference) {
    for (size_t c = 0; c < sizeof sdpa_cases / sizeof *sdpa_cases; c++) {
        const sdpa_case *tc = &sdpa_cases[c];
        lit_tensor *q = sdpa_input(tc->B, tc->H, tc->Tq, tc->D, 10 * c + 1, tc->spread, tc->strided);
        lit_tensor *k = sdpa_input(tc->B, tc->H, tc->Tk, tc->D, 10 * c + 2, tc->spread, tc->strided);
        lit_tensor *v = sdpa_input(tc->B, tc->H, tc->Tk, tc->Dv, 10 * c + 3, 1, tc->strided);
        sdpa_dims m = {tc->B, tc->H, tc->Tq, tc->Tk, tc->D, tc->Dv, tc->causal,
                       tc->scale > 0 ? tc->scale : 1.0 / sqrt((double)tc->D)};
        lit_tensor *out = lit_scaled_dot_product_attention(q, k, v, tc->causal, tc->scale);
        CHECK_MSG(out->ndim == 4 && out->shape[0] == tc->B && out->shape[1] == tc->H && out->shape[2] == tc->Tq &&
                      out->shape[3] == tc->Dv,
                  "%s: output %s", tc->name, LIT_SHAPE_STR(out));
        lit_tensor *g = opcheck_randn(4, out->shape, 1000 + c);
        double *dq_ = to_doubles(q), *dk_ = to_doubles(k), *dv_ = to_doubles(v), *dg = to_doubles(g);
        int64_t nq = q->numel, nk = k->numel, nv = v->numel, no = out->numel;
        double *ro = malloc((size_t)no * sizeof *ro), *rq = malloc((size_t)nq * sizeof *rq);
        double *rk = malloc((size_t)nk * sizeof *rk), *rv = malloc((size_t)nv * sizeof *rv);
        sdpa_reference(&m, dq_, dk_, dv_, dg, ro, rq, rk, rv);
        check_close("out", tc->name, out, ro, no, 1e-5, 2e-6);

        q->grad = k->grad = v->grad = NULL;
        lit_backward_with_grad(out, g);
        /* scores of size ~100 carry f32 rounding of ~1e-5 into P (forward and the
         * recomputation from the saved f32 log-sum-exp) */
        double gtol = tc->spread > 1 ? 1e-4 : 2e-5;
        check_close("dq", tc->name, q->grad, rq, nq, gtol, gtol);
        check_close("dk", tc->name, k->grad, rk, nk, gtol, gtol);
        check_close("dv", tc->name, v->grad, rv, nv, gtol, gtol);
        free(dq_), free(dk_), free(dv_), free(dg), free(ro), free(rq), free(rk), free(rv);

        if (tc->fd) {
            sdpa_ctx ctx = {tc->causal, tc->scale};
            lit_tensor *in[3] = {q, k, v};
            opcheck_grad(tc->name, call_sdpa, 3, in, &ctx, OPCHECK_TOL);
        }
    }
}

/* scale <= 0 means exactly 1/sqrt(D); an explicit scale is really used. */
TEST(sdpa_default_scale) {
    lit_tensor *q = opcheck_randn(4, (int64_t[]){1, 2, 4, 9}, 1);
    lit_tensor *k = opcheck_randn(4, (int64_t[]){1, 2, 5, 9}, 2);
    lit_tensor *v = opcheck_randn(4, (int64_t[]){1, 2, 5, 3}, 3);
    lit_tensor *d0 = lit_scaled_dot_product_attention(q, k, v, 0, 0.0);
    lit_tensor *dn = lit_scaled_dot_product_attention(q, k, v, 0, -1.0);
    lit_tensor *ex = lit_scaled_dot_product_attention(q, k, v, 0, 1.0 / 3.0);
    lit_tensor *one = lit_scaled_dot_product_attention(q, k, v, 0, 1.0);
    CHECK(memcmp(d0->data, ex->data, (size_t)d0->numel * 4) == 0);
    CHECK(memcmp(dn->data, ex->data, (size_t)d0->numel * 4) == 0);
    CHECK(memcmp(one->data, ex->data, (size_t)d0->numel * 4) != 0);
    /* causal with Tq = 1 row sees only key 0: out = v[..., 0, :] */
    lit_tensor *q1 = opcheck_randn(4, (int64_t[]){1, 2, 1, 9}, 4);
    lit_tensor *o1 = lit_scaled_dot_product_attention(q1, k, v, 1, 0.0);
    double want[6];
    for (int h = 0; h < 2; h++)
        for (int c = 0; c < 3; c++) want[h * 3 + c] = lit_get(v, (int64_t[]){0, h, 0, c});
    opcheck_forward("causal first row", o1, want, 6, 0, 0);
}

/* ---------------------------------------------------------------- PyTorch fixture */

static lit_tensor *from_fixture(const fixture *f, const char *c, const char *tag) {
    char name[128];
    snprintf(name, sizeof name, "%s/%s", c, tag);
    const fixture_array *a = fixture_find(f, name);
    CHECK_MSG(a != NULL, "fixture array %s missing", name);
    if (!a) return NULL;
    lit_tensor *t = lit_empty(LIT_F32, a->ndim, a->shape);
    for (int64_t i = 0; i < a->numel; i++) lit_f32(t)[i] = (float)a->data[i];
    return t;
}

TEST(sdpa_matches_pytorch) {
    fixture *f = fixture_load("tests/fixtures/sdpa.txt");
    CHECK_MSG(f != NULL, "cannot load tests/fixtures/sdpa.txt (regenerate with gen_sdpa.py)");
    if (!f) return;
    const char *cases[] = {"causal", "noncausal", "cross_tq3_tk6", "causal_scale"};
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char mname[128];
        snprintf(mname, sizeof mname, "%s/meta", cases[c]);
        const fixture_array *meta = fixture_find(f, mname);
        CHECK_MSG(meta && meta->numel == 2, "fixture %s missing", mname);
        if (!meta) continue;
        lit_tensor *q = from_fixture(f, cases[c], "q"), *k = from_fixture(f, cases[c], "k");
        lit_tensor *v = from_fixture(f, cases[c], "v"), *g = from_fixture(f, cases[c], "g");
        if (!q || !k || !v || !g) continue;
        q->requires_grad = k->requires_grad = v->requires_grad = 1;
        lit_tensor *out = lit_scaled_dot_product_attention(q, k, v, (int)meta->data[0], meta->data[1]);
        lit_backward_with_grad(out, g);
        const char *tags[4] = {"out", "dq", "dk", "dv"};
        lit_tensor *got[4] = {out, q->grad, k->grad, v->grad};
        for (int t = 0; t < 4; t++) {
            char name[128];
            snprintf(name, sizeof name, "%s/%s", cases[c], tags[t]);
            const fixture_array *want = fixture_find(f, name);
            CHECK_MSG(want != NULL, "fixture array %s missing", name);
            if (!want || !got[t]) continue;
            CHECK_MSG(got[t]->ndim == want->ndim && memcmp(got[t]->shape, want->shape, 4 * sizeof(int64_t)) == 0,
                      "%s: shape %s", name, LIT_SHAPE_STR(got[t]));
            opcheck_forward(name, got[t], want->data, want->numel, 1e-5, 1e-6);
        }
    }
    fixture_free(f);
}

/* ---------------------------------------------------------------- errors */

TEST(sdpa_shape_errors) {
    lit_tensor *q = lit_zeros(LIT_F32, LIT_SHAPE(1, 2, 5, 4));
    lit_tensor *k = lit_zeros(LIT_F32, LIT_SHAPE(1, 2, 5, 4));
    lit_tensor *k3 = lit_zeros(LIT_F32, LIT_SHAPE(1, 2, 5, 3));
    /* head dims differ: q D = 4, k D = 3 */
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, k3, k3, 0, 0),
                  "lit_scaled_dot_product_attention: q (1, 2, 5, 4), k (1, 2, 5, 3), v (1, 2, 5, 3) do not fit together");
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, k3, k, 1, 0), "need q (B, H, Tq, D), k (B, H, Tk, D)");
    /* head counts, batch and key lengths */
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, lit_zeros(LIT_F32, LIT_SHAPE(1, 3, 5, 4)), k, 0, 0),
                  "k (1, 3, 5, 4)");
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, k, lit_zeros(LIT_F32, LIT_SHAPE(2, 2, 5, 4)), 0, 0),
                  "v (2, 2, 5, 4)");
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, k, lit_zeros(LIT_F32, LIT_SHAPE(1, 2, 6, 4)), 0, 0),
                  "do not fit together");
    EXPECT_ASSERT(lit_scaled_dot_product_attention(lit_zeros(LIT_F32, LIT_SHAPE(2, 5, 4)), k, k, 0, 0), "4-d");
    EXPECT_ASSERT(lit_scaled_dot_product_attention(q, k, lit_zeros(LIT_I64, LIT_SHAPE(1, 2, 5, 4)), 0, 0),
                  "lit_to_dtype");
}

int main(void) {
    RUN(sdpa_vs_double_reference);
    RUN(sdpa_default_scale);
    RUN(sdpa_matches_pytorch);
    RUN(sdpa_shape_errors);
    return harness_summary();
}
