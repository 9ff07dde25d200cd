/*
 * tests/test-nn.c — the nn layer: parameter store (names, order, counting,
 * freeze/unfreeze, state-dict load with strict/non-strict reports), layers
 * against PyTorch fixtures (tests/fixtures/nn.txt from gen_nn.py: forward,
 * input and parameter gradients), dropout train/eval, initialiser
 * distributions and the messages of misuse.
 */
#include "fixture.h"
#include "harness.h"

static fixture *fx;

/* ---------------------------------------------------------------- helpers */

static lit_tensor *fx_tensor(const fixture_array *a, lit_dtype dt) {
    lit_tensor *t = lit_empty(dt, a->ndim, a->shape);
    for (int64_t i = 0; i < a->numel; i++) lit_set_flat(t, i, a->data[i]);
    return t;
}

static const fixture_array *fx_get(const char *fmt, const char *a, const char *b) {
    char name[256];
    snprintf(name, sizeof name, fmt, a, b);
    const fixture_array *arr = fixture_find(fx, name);
    CHECK_MSG(arr != NULL, "fixture array %s missing (regenerate with gen_nn.py)", name);
    return arr;
}

/* Compare a tensor (any strides) with a fixture array: shape and values. */
static void check_close(const char *what, const lit_tensor *t, const fixture_array *want, double rtol, double atol) {
    if (!t || !want) {
        CHECK_MSG(0, "%s: missing tensor (%p) or fixture (%p)", what, (const void *)t, (const void *)want);
        return;
    }
    int same = t->ndim == want->ndim;
    for (int d = 0; same && d < t->ndim; d++) same = t->shape[d] == want->shape[d];
    CHECK_MSG(same, "%s: shape %s differs from the fixture's", what, LIT_SHAPE_STR(t));
    if (!same) return;
    double worst = 0;
    int64_t bad = -1;
    for (int64_t i = 0; i < t->numel; i++) {
        double got = lit_get_flat(t, i), exp = want->data[i];
        double excess = fabs(got - exp) - (atol + rtol * fabs(exp));
        if (!(excess <= 0) && (bad < 0 || excess > worst || isnan(excess))) { worst = excess; bad = i; }
    }
    CHECK_MSG(bad < 0, "%s: element %lld is %.9g, expected %.9g", what, (long long)bad,
              bad >= 0 ? lit_get_flat(t, bad) : 0.0, bad >= 0 ? want->data[bad] : 0.0);
}

/* Load every "<c>/p/<name>" array into the store by name (strict). */
static void load_case_params(lit_param_store *s, const char *c) {
    char prefix[128];
    snprintf(prefix, sizeof prefix, "%s/p/", c);
    size_t k = strlen(prefix);
    const char *names[64];
    lit_tensor *tensors[64];
    int n = 0;
    for (int i = 0; i < fx->count && n < 64; i++) {
        if (strncmp(fx->arrays[i].name, prefix, k) != 0) continue;
        names[n] = fx->arrays[i].name + k;
        tensors[n] = fx_tensor(&fx->arrays[i], LIT_F32);
        n++;
    }
    lit_state_dict_report rep;
    lit_status st = lit_state_dict_load(s, n, names, tensors, 1, &rep);
    CHECK_MSG(st == LIT_OK, "%s: strict load failed: %s", c, rep.message);
    CHECK_EQ_INT(rep.n_missing + rep.n_unexpected + rep.n_mismatched, 0);
    lit_state_dict_report_free(&rep);
}

typedef lit_tensor *(*forward_fn)(const void *layer, lit_tensor *x);

/* Forward + backward of loss = sum(out * r) against the fixture case. */
static void run_case(lit_param_store *s, const char *c, const void *layer, forward_fn fwd, int index_input) {
    load_case_params(s, c);
    lit_param_store_zero_grad(s, 1);
    lit_tensor *x = fx_tensor(fx_get("%s/x%s", c, ""), index_input ? LIT_I64 : LIT_F32);
    if (!index_input) x->requires_grad = 1;
    lit_tensor *out = fwd(layer, x);
    char what[256];
    snprintf(what, sizeof what, "%s/out", c);
    check_close(what, out, fx_get("%s/out%s", c, ""), 1e-4, 1e-5);
    lit_tensor *r = fx_tensor(fx_get("%s/r%s", c, ""), LIT_F32);
    lit_backward(lit_sum_all(lit_mul(out, r)));
    if (!index_input) {
        snprintf(what, sizeof what, "%s/gx", c);
        check_close(what, x->grad, fx_get("%s/gx%s", c, ""), 1e-4, 1e-5);
    }
    for (int i = 0; i < lit_param_store_len(s); i++) {
        const char *name = lit_param_store_name(s, i);
        lit_tensor *p = lit_param_store_tensor(s, i);
        snprintf(what, sizeof what, "%s/g/%s", c, name);
        check_close(what, p->grad, fx_get("%s/g/%s", c, name), 1e-4, 1e-5);
        if (p->grad) CHECK(p->grad->arena == lit_param_store_arena(s)); /* grads live with the params */
    }
}

static lit_tensor *fwd_linear(const void *l, lit_tensor *x) { return lit_nn_linear_forward(l, x); }
static lit_tensor *fwd_embedding(const void *l, lit_tensor *x) { return lit_nn_embedding_forward(l, x); }
static lit_tensor *fwd_layer_norm(const void *l, lit_tensor *x) { return lit_nn_layer_norm_forward(l, x); }
static lit_tensor *fwd_mlp(const void *l, lit_tensor *x) { return lit_nn_mlp_forward(l, x); }
static lit_tensor *fwd_attn(const void *l, lit_tensor *x) { return lit_nn_self_attention_forward(l, x); }

static double mean_of(const float *p, int64_t n) {
    double s = 0;
    for (int64_t i = 0; i < n; i++) s += p[i];
    return s / (double)n;
}
static double std_of(const float *p, int64_t n) {
    double m = mean_of(p, n), s = 0;
    for (int64_t i = 0; i < n; i++) s += (p[i] - m) * (p[i] - m);
    return sqrt(s / (double)(n - 1));
}
static void min_max(const float *p, int64_t n, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
        if (p[i] < *lo) *lo = p[i];
        if (p[i] > *hi) *hi = p[i];
    }
}

/* ---------------------------------------------------------------- names */

TEST(name_join) {
    char buf[LIT_NAME_MAX];
    CHECK_STR_EQ(lit_name_join(buf, sizeof buf, "blocks.0", "attn"), "blocks.0.attn");
    CHECK_STR_EQ(lit_name_join(buf, sizeof buf, NULL, "blocks.%d", 3), "blocks.3");
    CHECK_STR_EQ(lit_name_join(buf, sizeof buf, "", "weight"), "weight");
    CHECK_STR_EQ(lit_name_join(buf, sizeof buf, "head", NULL), "head");
    CHECK_STR_EQ(LIT_SUBNAME(LIT_NAME("blocks.%d", 2), "mlp.layers.%d", 1), "blocks.2.mlp.layers.1");
    char small[8];
    EXPECT_ASSERT(lit_name_join(small, sizeof small, "blocks", "attn"), "does not fit");
    CHECK(lit_name_has_prefix("blocks.0.attn.qkv.weight", "blocks.0"));
    CHECK(lit_name_has_prefix("blocks.0", "blocks.0"));
    CHECK(!lit_name_has_prefix("blocks.01.attn", "blocks.0"));
    CHECK(!lit_name_has_prefix("blocks", "blocks.0"));
    CHECK(lit_name_has_prefix("anything", NULL));
    CHECK(lit_name_has_prefix("anything", ""));
}

/* ---------------------------------------------------------------- store */

TEST(store_basics) {
    lit_param_store *s = lit_param_store_new("test-store");
    CHECK(s != NULL);
    CHECK_EQ_INT(lit_param_store_len(s), 0);
    CHECK_EQ_INT(lit_param_store_count_params(s, 0), 0);
    CHECK(lit_param_store_is_training(s));
    lit_tensor *w = lit_param_store_new_param(s, "enc", "weight", LIT_SHAPE(3, 2));
    CHECK(w->requires_grad);
    CHECK(w->arena == lit_param_store_arena(s));
    CHECK_STR_EQ(w->name, "enc.weight");
    lit_tensor *buf = lit_tensor_new(lit_param_store_arena(s), LIT_F32, LIT_SHAPE(5));
    lit_param_store_register(s, "enc.running_mean", buf, 1);
    lit_tensor *b = lit_param_store_new_param(s, NULL, "scale", LIT_SHAPE(4));
    CHECK_EQ_INT(lit_param_store_len(s), 3);
    CHECK_STR_EQ(lit_param_store_name(s, 0), "enc.weight");
    CHECK_STR_EQ(lit_param_store_name(s, 1), "enc.running_mean");
    CHECK_STR_EQ(lit_param_store_names(s)[2], "scale");
    CHECK(lit_param_store_tensors(s)[2] == b);
    CHECK(lit_param_store_is_buffer(s, 1) && !lit_param_store_is_buffer(s, 0));
    CHECK(lit_param_store_get(s, "enc.weight") == w);
    CHECK(lit_param_store_get(s, "enc.running_mean") == buf);
    CHECK(lit_param_store_get(s, "enc") == NULL);
    CHECK_EQ_INT(lit_param_store_count_params(s, 0), 6 + 4); /* buffers are not parameters */
    int n;
    lit_tensor **tr = lit_param_store_trainable(s, &n);
    CHECK_EQ_INT(n, 2);
    CHECK(tr[0] == w && tr[1] == b);
    EXPECT_ASSERT(lit_param_store_new_param(s, "enc", "weight", LIT_SHAPE(1)), "\"enc.weight\" is already registered");
    EXPECT_ASSERT(lit_param_store_register(s, "scale", b, 0), "already registered");
    EXPECT_ASSERT(lit_param_store_name(s, 3), "out of range");
    lit_param_store_train(s, 0);
    CHECK(!lit_param_store_is_training(s));
    lit_param_store_free(s);
    lit_param_store_free(NULL);
}

/* The GPT-like model of gen_nn.py ("tiny"): names in registration order and
 * the parameter count equal PyTorch's state_dict() for the same model. */
typedef struct {
    lit_nn_embedding wte;
    struct {
        lit_nn_layer_norm ln1, ln2;
        lit_nn_self_attention attn;
        lit_nn_mlp mlp;
    } blocks[2];
    lit_nn_layer_norm ln_f;
    lit_nn_linear head;
} tiny_model;

static void tiny_init(tiny_model *m, lit_param_store *s) {
    const int64_t V = 11, E = 8, H = 2;
    lit_nn_embedding_init(&m->wte, s, "wte", V, E, -1, NULL);
    for (int i = 0; i < 2; i++) {
        const char *blk = LIT_NAME("blocks.%d", i);
        lit_nn_layer_norm_init(&m->blocks[i].ln1, s, LIT_SUBNAME(blk, "ln1"), E, 1e-5, 1, 1);
        lit_nn_self_attention_init(&m->blocks[i].attn, s, LIT_SUBNAME(blk, "attn"), E, H, 1, 1, 0.0, NULL);
        lit_nn_layer_norm_init(&m->blocks[i].ln2, s, LIT_SUBNAME(blk, "ln2"), E, 1e-5, 1, 1);
        lit_nn_mlp_init(&m->blocks[i].mlp, s, LIT_SUBNAME(blk, "mlp"), 3, (const int64_t[]){E, 4 * E, E},
                        LIT_NN_ACT_GELU, 0.0, 1, NULL);
    }
    lit_nn_layer_norm_init(&m->ln_f, s, "ln_f", E, 1e-5, 1, 1);
    lit_nn_linear_init(&m->head, s, "head", E, V, 0, NULL);
}

static const char *tiny_keys[] = {
    "wte.weight",
    "blocks.0.ln1.weight", "blocks.0.ln1.bias",
    "blocks.0.attn.qkv.weight", "blocks.0.attn.qkv.bias", "blocks.0.attn.proj.weight", "blocks.0.attn.proj.bias",
    "blocks.0.ln2.weight", "blocks.0.ln2.bias",
    "blocks.0.mlp.layers.0.weight", "blocks.0.mlp.layers.0.bias", "blocks.0.mlp.layers.1.weight",
    "blocks.0.mlp.layers.1.bias",
    "blocks.1.ln1.weight", "blocks.1.ln1.bias",
    "blocks.1.attn.qkv.weight", "blocks.1.attn.qkv.bias", "blocks.1.attn.proj.weight", "blocks.1.attn.proj.bias",
    "blocks.1.ln2.weight", "blocks.1.ln2.bias",
    "blocks.1.mlp.layers.0.weight", "blocks.1.mlp.layers.0.bias", "blocks.1.mlp.layers.1.weight",
    "blocks.1.mlp.layers.1.bias",
    "ln_f.weight", "ln_f.bias", "head.weight",
};

TEST(state_dict_listing_and_count) {
    lit_param_store *s = lit_param_store_new("tiny");
    tiny_model m;
    tiny_init(&m, s);
    int nk = (int)(sizeof tiny_keys / sizeof *tiny_keys);
    CHECK_EQ_INT(lit_param_store_len(s), nk);
    CHECK_EQ_INT(lit_param_store_len(s), (int)fx_get("%s%s", "tiny/n_tensors", "")->data[0]);
    for (int i = 0; i < nk && i < lit_param_store_len(s); i++) CHECK_STR_EQ(lit_param_store_name(s, i), tiny_keys[i]);
    int64_t total = lit_param_store_count_params(s, 0);
    CHECK_EQ_INT(total, (int64_t)fx_get("%s%s", "tiny/count_params", "")->data[0]);
    CHECK_EQ_INT(lit_param_store_count_params(s, 1), total);
    CHECK(lit_param_store_get(s, "blocks.1.attn.qkv.weight") == m.blocks[1].attn.qkv.weight);
    CHECK_EQ_INT(m.blocks[1].attn.qkv.weight->shape[0], 24);
    CHECK_STR_EQ(m.blocks[1].attn.proj.name, "blocks.1.attn.proj");
    lit_param_store_free(s);
}

TEST(freeze_unfreeze) {
    lit_param_store *s = lit_param_store_new("tiny");
    tiny_model m;
    tiny_init(&m, s);
    int64_t total = lit_param_store_count_params(s, 0);
    int64_t blk0 = 0;
    for (int i = 0; i < lit_param_store_len(s); i++)
        if (lit_name_has_prefix(lit_param_store_name(s, i), "blocks.0")) blk0 += lit_param_store_tensor(s, i)->numel;

    CHECK_EQ_INT(lit_param_store_freeze(s, "blocks.0"), 12);
    CHECK(!m.blocks[0].attn.qkv.weight->requires_grad);
    CHECK(m.blocks[1].attn.qkv.weight->requires_grad);
    CHECK_EQ_INT(lit_param_store_count_params(s, 1), total - blk0);
    CHECK_EQ_INT(lit_param_store_count_params(s, 0), total);
    int n;
    lit_tensor **tr = lit_param_store_trainable(s, &n);
    CHECK_EQ_INT(n, 28 - 12);
    CHECK(tr[0] == m.wte.weight && tr[1] == m.blocks[1].ln1.weight);

    /* A frozen layer gets no gradient; the others do. */
    lit_tensor *idx = lit_from_buffer(LIT_I64, LIT_SHAPE(1, 3), (const int64_t[]){1, 2, 3});
    lit_tensor *h = lit_nn_embedding_forward(&m.wte, idx);
    h = lit_nn_self_attention_forward(&m.blocks[0].attn, h);
    h = lit_nn_self_attention_forward(&m.blocks[1].attn, h);
    lit_backward(lit_sum_all(h));
    CHECK(m.blocks[0].attn.qkv.weight->grad == NULL);
    CHECK(m.blocks[1].attn.qkv.weight->grad != NULL);
    CHECK(m.wte.weight->grad != NULL);

    CHECK_EQ_INT(lit_param_store_freeze(s, "blocks.0.attn.qkv.weight"), 1); /* exact name */
    CHECK_EQ_INT(lit_param_store_freeze(s, "nope"), 0);
    CHECK_EQ_INT(lit_param_store_unfreeze(s, "blocks.0.attn"), 4);
    CHECK(m.blocks[0].attn.qkv.weight->requires_grad);
    CHECK(!m.blocks[0].mlp.layers[0].weight->requires_grad);
    CHECK_EQ_INT(lit_param_store_freeze(s, NULL), 28);
    CHECK_EQ_INT(lit_param_store_count_params(s, 1), 0);
    lit_param_store_trainable(s, &n);
    CHECK_EQ_INT(n, 0);
    CHECK_EQ_INT(lit_param_store_unfreeze(s, ""), 28);
    CHECK_EQ_INT(lit_param_store_count_params(s, 1), total);

    lit_param_store_zero_grad(s, 0);
    CHECK(m.wte.weight->grad != NULL && lit_get_flat(m.wte.weight->grad, 4) == 0.0);
    lit_param_store_zero_grad(s, 1);
    CHECK(m.wte.weight->grad == NULL);
    lit_param_store_free(s);
}

/* ---------------------------------------------------------------- state dict load */

static lit_param_store *two_linears(lit_nn_linear *a, lit_nn_linear *b) {
    lit_param_store *s = lit_param_store_new("sd");
    lit_nn_linear_init(a, s, "fc1", 3, 4, 1, NULL);
    lit_nn_linear_init(b, s, "fc2", 4, 2, 1, NULL);
    return s;
}

TEST(state_dict_round_trip) {
    lit_nn_linear a1, b1, a2, b2;
    lit_rng r1 = lit_rng_new(1), r2 = lit_rng_new(2);
    lit_param_store *src = lit_param_store_new("src"), *dst = lit_param_store_new("dst");
    lit_nn_linear_init(&a1, src, "fc1", 3, 4, 1, &r1);
    lit_nn_linear_init(&b1, src, "fc2", 4, 2, 1, &r1);
    lit_nn_linear_init(&a2, dst, "fc1", 3, 4, 1, &r2);
    lit_nn_linear_init(&b2, dst, "fc2", 4, 2, 1, &r2);
    CHECK(lit_f32(a1.weight)[0] != lit_f32(a2.weight)[0]);
    a2.weight->requires_grad = 0;
    lit_state_dict_report rep;
    lit_status st = lit_state_dict_load(dst, lit_param_store_len(src), lit_param_store_names(src),
                                        lit_param_store_tensors(src), 1, &rep);
    CHECK_EQ_INT(st, LIT_OK);
    CHECK_STR_EQ(rep.message, "");
    lit_state_dict_report_free(&rep);
    CHECK_EQ_INT(rep.n_missing, 0);
    for (int i = 0; i < lit_param_store_len(src); i++) {
        lit_tensor *x = lit_param_store_tensor(src, i), *y = lit_param_store_tensor(dst, i);
        CHECK(memcmp(x->data, y->data, (size_t)x->numel * sizeof(float)) == 0);
    }
    CHECK(!a2.weight->requires_grad); /* flags untouched */

    /* bf16 values are converted on the way in. */
    lit_tensor *wb = lit_to_dtype(lit_full(LIT_F32, LIT_SHAPE(2), 0.5), LIT_BF16);
    st = lit_state_dict_load(dst, 1, (const char *[]){"fc2.bias"}, (lit_tensor *[]){wb}, 0, NULL);
    CHECK_EQ_INT(st, LIT_OK);
    CHECK_NEAR(lit_f32(b2.bias)[1], 0.5, 0);
    lit_param_store_free(src);
    lit_param_store_free(dst);
    lit_state_dict_report_free(NULL);
}

TEST(state_dict_strict_errors) {
    lit_nn_linear a, b;
    lit_param_store *s = two_linears(&a, &b);
    float before = lit_f32(a.weight)[0];
    lit_tensor *w1 = lit_full(LIT_F32, LIT_SHAPE(4, 3), 7.0), *b1 = lit_full(LIT_F32, LIT_SHAPE(4), 7.0);
    lit_tensor *w2 = lit_full(LIT_F32, LIT_SHAPE(2, 4), 7.0), *b2 = lit_full(LIT_F32, LIT_SHAPE(2), 7.0);
    lit_tensor *extra = lit_full(LIT_F32, LIT_SHAPE(1), 7.0);
    lit_tensor *wrong = lit_full(LIT_F32, LIT_SHAPE(3, 4), 7.0);
    lit_state_dict_report rep;

    /* missing: fc2.bias */
    lit_status st = lit_state_dict_load(s, 3, (const char *[]){"fc1.weight", "fc1.bias", "fc2.weight"},
                                        (lit_tensor *[]){w1, b1, w2}, 1, &rep);
    CHECK_EQ_INT(st, LIT_ERR_NOT_FOUND);
    CHECK_EQ_INT(rep.n_missing, 1);
    if (rep.n_missing) CHECK_STR_EQ(rep.missing[0], "fc2.bias");
    CHECK_EQ_INT(rep.n_unexpected + rep.n_mismatched, 0);
    CHECK_STR_CONTAINS(rep.message, "Missing key(s) in state_dict: \"fc2.bias\"");
    CHECK_STR_CONTAINS(lit_last_error(), "fc2.bias");
    CHECK(lit_f32(a.weight)[0] == before); /* nothing copied */
    lit_state_dict_report_free(&rep);

    /* unexpected: encoder.scale */
    st = lit_state_dict_load(s, 5, (const char *[]){"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias", "encoder.scale"},
                             (lit_tensor *[]){w1, b1, w2, b2, extra}, 1, &rep);
    CHECK_EQ_INT(st, LIT_ERR_NOT_FOUND);
    CHECK_EQ_INT(rep.n_unexpected, 1);
    if (rep.n_unexpected) CHECK_STR_EQ(rep.unexpected[0], "encoder.scale");
    CHECK_STR_CONTAINS(rep.message, "Unexpected key(s) in state_dict: \"encoder.scale\"");
    CHECK(lit_f32(a.weight)[0] == before);
    lit_state_dict_report_free(&rep);

    /* shape mismatch: an error even when not strict */
    for (int strict = 0; strict <= 1; strict++) {
        st = lit_state_dict_load(s, 4, (const char *[]){"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"},
                                 (lit_tensor *[]){wrong, b1, w2, b2}, strict, &rep);
        CHECK_EQ_INT(st, LIT_ERR_SHAPE);
        CHECK_EQ_INT(rep.n_mismatched, 1);
        CHECK_EQ_INT(rep.n_missing, 0);
        if (rep.n_mismatched) CHECK_STR_EQ(rep.mismatched[0], "fc1.weight");
        CHECK_STR_CONTAINS(rep.message,
                           "size mismatch for fc1.weight: copying a param with shape (3, 4) from checkpoint, the "
                           "shape in current model is (4, 3)");
        CHECK_STR_CONTAINS(lit_last_error(), "size mismatch for fc1.weight");
        CHECK(lit_f32(a.bias)[0] != 7.0f);
        lit_state_dict_report_free(&rep);
    }

    /* non-strict: missing and unexpected are reported, the rest is copied */
    st = lit_state_dict_load(s, 3, (const char *[]){"fc1.weight", "fc2.bias", "head.weight"},
                             (lit_tensor *[]){w1, b2, extra}, 0, &rep);
    CHECK_EQ_INT(st, LIT_OK);
    CHECK_EQ_INT(rep.n_missing, 2);
    if (rep.n_missing == 2) {
        CHECK_STR_EQ(rep.missing[0], "fc1.bias");
        CHECK_STR_EQ(rep.missing[1], "fc2.weight");
    }
    CHECK_EQ_INT(rep.n_unexpected, 1);
    CHECK_STR_CONTAINS(rep.message, "\"head.weight\"");
    CHECK(lit_f32(a.weight)[5] == 7.0f && lit_f32(b.bias)[1] == 7.0f);
    CHECK(lit_f32(a.bias)[0] != 7.0f);
    lit_state_dict_report_free(&rep);

    /* report NULL is allowed */
    st = lit_state_dict_load(s, 0, NULL, NULL, 1, NULL);
    CHECK_EQ_INT(st, LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "Missing key(s) in state_dict: \"fc1.weight\", \"fc1.bias\"");
    EXPECT_ASSERT(lit_state_dict_load(s, 1, (const char *[]){NULL}, (lit_tensor *[]){w1}, 1, NULL), "names[0] is NULL");
    lit_param_store_free(s);
}

/* ---------------------------------------------------------------- layers vs PyTorch */

TEST(linear_matches_torch) {
    lit_param_store *s = lit_param_store_new("linear");
    lit_nn_linear l;
    lit_nn_linear_init(&l, s, "fc", 5, 4, 1, NULL);
    run_case(s, "linear", &l, fwd_linear, 0);
    lit_param_store_free(s);

    s = lit_param_store_new("linear_nobias");
    lit_nn_linear_init(&l, s, "fc", 6, 3, 0, NULL);
    CHECK(l.bias == NULL);
    CHECK_EQ_INT(lit_param_store_len(s), 1);
    run_case(s, "linear_nobias", &l, fwd_linear, 0);
    lit_param_store_free(s);
}

TEST(embedding_matches_torch) {
    lit_param_store *s = lit_param_store_new("embedding");
    lit_nn_embedding e;
    lit_nn_embedding_init(&e, s, "wte", 7, 4, -1, NULL);
    run_case(s, "embedding", &e, fwd_embedding, 1);
    lit_param_store_free(s);

    s = lit_param_store_new("embedding_pad");
    lit_nn_embedding_init(&e, s, "wte", 7, 4, 3, NULL);
    for (int j = 0; j < 4; j++) CHECK(lit_f32(e.weight)[3 * 4 + j] == 0.0f); /* padding row starts at zero */
    run_case(s, "embedding_pad", &e, fwd_embedding, 1);
    for (int j = 0; j < 4; j++) CHECK(lit_get_flat(e.weight->grad, 3 * 4 + j) == 0.0); /* and gets no gradient */
    lit_param_store_free(s);
}

TEST(layer_norm_matches_torch) {
    lit_param_store *s = lit_param_store_new("layernorm");
    lit_nn_layer_norm ln;
    lit_nn_layer_norm_init(&ln, s, "ln", 6, 1e-5, 1, 1);
    for (int j = 0; j < 6; j++) CHECK(lit_f32(ln.weight)[j] == 1.0f && lit_f32(ln.bias)[j] == 0.0f);
    run_case(s, "layernorm", &ln, fwd_layer_norm, 0);
    lit_param_store_free(s);

    s = lit_param_store_new("layernorm_noaffine");
    lit_nn_layer_norm_init(&ln, s, "ln", 6, 1e-5, 0, 1);
    CHECK(ln.weight == NULL && ln.bias == NULL);
    CHECK_EQ_INT(lit_param_store_len(s), 0);
    run_case(s, "layernorm_noaffine", &ln, fwd_layer_norm, 0);
    lit_param_store_free(s);
}

TEST(mlp_matches_torch) {
    lit_param_store *s = lit_param_store_new("mlp_relu");
    lit_nn_mlp m;
    lit_nn_mlp_init(&m, s, "mlp", 4, (const int64_t[]){5, 8, 6, 3}, LIT_NN_ACT_RELU, 0.0, 1, NULL);
    CHECK_EQ_INT(m.n_layers, 3);
    CHECK_STR_EQ(lit_param_store_name(s, 4), "mlp.layers.2.weight");
    run_case(s, "mlp_relu", &m, fwd_mlp, 0);
    lit_param_store_free(s);

    s = lit_param_store_new("mlp_gelu");
    lit_nn_mlp_init(&m, s, "mlp", 3, (const int64_t[]){5, 7, 3}, LIT_NN_ACT_GELU, 0.5, 1, NULL);
    lit_param_store_train(s, 0); /* dropout p=0.5 is off in eval mode */
    run_case(s, "mlp_gelu", &m, fwd_mlp, 0);
    lit_param_store_free(s);
}

TEST(attention_matches_torch) {
    lit_param_store *s = lit_param_store_new("attn");
    lit_nn_self_attention a;
    lit_nn_self_attention_init(&a, s, "attn", 8, 2, 0, 1, 0.0, NULL);
    CHECK_EQ_INT(a.head_dim, 4);
    run_case(s, "attn", &a, fwd_attn, 0);
    lit_param_store_free(s);

    s = lit_param_store_new("attn_causal");
    lit_nn_self_attention_init(&a, s, "attn", 8, 2, 1, 1, 0.0, NULL);
    run_case(s, "attn_causal", &a, fwd_attn, 0);
    lit_param_store_free(s);
}

/* ---------------------------------------------------------------- dropout */

TEST(dropout_train_eval) {
    lit_param_store *s = lit_param_store_new("drop");
    lit_rng rng = lit_rng_new(7);
    lit_nn_dropout d;
    lit_nn_dropout_init(&d, s, 0.25, &rng);
    const int64_t n = 40000;
    lit_tensor *x = lit_full(LIT_F32, LIT_SHAPE(n), 2.0);
    x->requires_grad = 1;

    CHECK(lit_nn_dropout_is_training(&d));
    lit_tensor *y = lit_nn_dropout_forward(&d, x);
    CHECK(y != x);
    int64_t zeros = 0, scaled = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = lit_get_flat(y, i);
        if (v == 0.0) zeros++;
        else if (fabs(v - 2.0 / 0.75) < 1e-6) scaled++;
    }
    CHECK_EQ_INT(zeros + scaled, n); /* every value is 0 or x / (1 - p) */
    CHECK_NEAR((double)zeros / (double)n, 0.25, 0.01);
    lit_backward(lit_sum_all(y)); /* gradient is the mask / (1 - p) */
    int64_t agree = 0;
    for (int64_t i = 0; i < n; i++)
        agree += fabs(lit_get_flat(x->grad, i) - (lit_get_flat(y, i) == 0.0 ? 0.0 : 1.0 / 0.75)) < 1e-6;
    CHECK_EQ_INT(agree, n);

    lit_param_store_train(s, 0);
    CHECK(!lit_nn_dropout_is_training(&d));
    CHECK(lit_nn_dropout_forward(&d, x) == x); /* eval: identity */
    lit_param_store_train(s, 1);

    /* same generator state -> same mask */
    lit_rng r1 = lit_rng_new(99), r2 = lit_rng_new(99);
    lit_nn_dropout d1, d2;
    lit_nn_dropout_init(&d1, s, 0.5, &r1);
    lit_nn_dropout_init(&d2, s, 0.5, &r2);
    lit_tensor *y1 = lit_nn_dropout_forward(&d1, x), *y2 = lit_nn_dropout_forward(&d2, x);
    CHECK(memcmp(lit_f32(y1), lit_f32(y2), (size_t)n * sizeof(float)) == 0);

    lit_nn_dropout d0, dall, free_d;
    lit_nn_dropout_init(&d0, s, 0.0, NULL);
    CHECK(lit_nn_dropout_forward(&d0, x) == x);
    lit_nn_dropout_init(&dall, s, 1.0, NULL);
    lit_tensor *z = lit_nn_dropout_forward(&dall, x);
    CHECK(lit_get_flat(z, 0) == 0.0 && lit_get_flat(z, n - 1) == 0.0);
    lit_nn_dropout_init(&free_d, NULL, 0.5, NULL); /* no store: own flag */
    CHECK(lit_nn_dropout_is_training(&free_d));
    free_d.training = 0;
    CHECK(lit_nn_dropout_forward(&free_d, x) == x);
    EXPECT_ASSERT(lit_nn_dropout_init(&d, s, 1.5, NULL), "must be in [0, 1]");

    /* An MLP with dropout follows the store: eval is deterministic, train is not. */
    lit_nn_mlp m;
    lit_nn_mlp_init(&m, s, "mlp", 3, (const int64_t[]){16, 64, 4}, LIT_NN_ACT_RELU, 0.5, 1, NULL);
    lit_tensor *in = lit_randn(LIT_SHAPE(8, 16), NULL);
    lit_param_store_train(s, 0);
    lit_tensor *e1 = lit_nn_mlp_forward(&m, in), *e2 = lit_nn_mlp_forward(&m, in);
    CHECK(memcmp(lit_f32(e1), lit_f32(e2), 32 * sizeof(float)) == 0);
    lit_param_store_train(s, 1);
    lit_tensor *t1 = lit_nn_mlp_forward(&m, in);
    CHECK(memcmp(lit_f32(e1), lit_f32(t1), 32 * sizeof(float)) != 0);
    lit_param_store_free(s);
}

/* ---------------------------------------------------------------- init */

TEST(calculate_gain_and_fans) {
    CHECK_NEAR(lit_nn_calculate_gain(LIT_NN_GAIN_LINEAR, 0), 1.0, 0);
    CHECK_NEAR(lit_nn_calculate_gain(LIT_NN_GAIN_SIGMOID, 0), 1.0, 0);
    CHECK_NEAR(lit_nn_calculate_gain(LIT_NN_GAIN_TANH, 0), 5.0 / 3.0, 1e-15);
    CHECK_NEAR(lit_nn_calculate_gain(LIT_NN_GAIN_RELU, 0), sqrt(2.0), 1e-15);
    CHECK_NEAR(lit_nn_calculate_gain(LIT_NN_GAIN_LEAKY_RELU, -1), sqrt(2.0 / (1 + 0.01 * 0.01)), 1e-15);
    CHECK_NEAR(lit_nn_calculate_gain(LIT_NN_GAIN_LEAKY_RELU, 0.2), sqrt(2.0 / 1.04), 1e-15);
    CHECK_NEAR(lit_nn_calculate_gain(LIT_NN_GAIN_SELU, 0), 0.75, 0);
    int64_t fi, fo;
    lit_tensor *conv = lit_zeros(LIT_F32, LIT_SHAPE(16, 3, 5, 5));
    lit_nn_init_fans(conv, &fi, &fo);
    CHECK_EQ_INT(fi, 3 * 25);
    CHECK_EQ_INT(fo, 16 * 25);
    lit_tensor *w = lit_zeros(LIT_F32, LIT_SHAPE(30, 20));
    lit_nn_init_fans(w, &fi, &fo);
    CHECK_EQ_INT(fi, 20);
    CHECK_EQ_INT(fo, 30);
    /* Linear's default: kaiming_uniform_(a = sqrt(5)) bound is exactly 1/sqrt(fan_in). */
    CHECK_NEAR(lit_nn_kaiming_uniform_bound(w, sqrt(5.0), LIT_NN_FAN_IN, LIT_NN_GAIN_LEAKY_RELU), 1.0 / sqrt(20.0),
               1e-15);
    CHECK_NEAR(lit_nn_kaiming_uniform_bound(w, 0, LIT_NN_FAN_OUT, LIT_NN_GAIN_RELU), sqrt(2.0) * sqrt(3.0 / 30.0),
               1e-15);
    EXPECT_ASSERT(lit_nn_init_fans(lit_zeros(LIT_F32, LIT_SHAPE(5)), &fi, &fo), "fewer than 2 dims");
}

/* Samples of a distribution: bounds and first two moments. n large enough
 * that the standard error of the mean is ~0.3% of std. */
#define NS 200000

static void check_uniform(const lit_tensor *t, double a, double b) {
    const float *p = lit_f32(t);
    double lo, hi;
    min_max(p, t->numel, &lo, &hi);
    CHECK_MSG(lo >= a && hi <= b, "uniform(%g, %g): sample range [%g, %g]", a, b, lo, hi);
    CHECK_MSG(lo < a + (b - a) * 0.01 && hi > b - (b - a) * 0.01, "uniform(%g, %g): range [%g, %g] too narrow", a, b,
              lo, hi);
    CHECK_NEAR(mean_of(p, t->numel), (a + b) / 2, (b - a) * 0.005);
    CHECK_NEAR(std_of(p, t->numel), (b - a) / sqrt(12.0), (b - a) * 0.005);
}

static void check_normal(const lit_tensor *t, double mean, double std) {
    const float *p = lit_f32(t);
    CHECK_NEAR(mean_of(p, t->numel), mean, std * 0.015);
    CHECK_NEAR(std_of(p, t->numel), std, std * 0.015);
}

TEST(init_distributions) {
    lit_rng rng = lit_rng_new(2024);
    lit_tensor *t = lit_zeros(LIT_F32, LIT_SHAPE(NS));
    lit_nn_init_uniform_(t, -0.3, 0.7, &rng);
    check_uniform(t, -0.3, 0.7);
    lit_nn_init_normal_(t, 1.5, 0.2, &rng);
    check_normal(t, 1.5, 0.2);
    lit_nn_init_trunc_normal_(t, 0.0, 1.0, -2.0, 2.0, &rng);
    double lo, hi;
    min_max(lit_f32(t), NS, &lo, &hi);
    CHECK(lo >= -2.0 && hi <= 2.0 && lo < -1.95 && hi > 1.95);
    /* std of N(0,1) truncated to [-2, 2]: sqrt(1 - 2*2*phi(2)/(2*Phi(2)-1)) = 0.8796 */
    CHECK_NEAR(std_of(lit_f32(t), NS), 0.8796, 0.01);
    CHECK_NEAR(mean_of(lit_f32(t), NS), 0.0, 0.01);
    EXPECT_ASSERT(lit_nn_init_trunc_normal_(t, 0.0, 1.0, 5.0, 6.0, &rng), "keeps only");
    lit_nn_init_constant_(t, 0.25);
    CHECK(lit_f32(t)[0] == 0.25f && lit_f32(t)[NS - 1] == 0.25f);
    lit_nn_init_ones_(t);
    CHECK(lit_f32(t)[7] == 1.0f);
    lit_nn_init_zeros_(t);
    CHECK(lit_f32(t)[7] == 0.0f);

    lit_tensor *w = lit_zeros(LIT_F32, LIT_SHAPE(400, 500));
    double g = lit_nn_calculate_gain(LIT_NN_GAIN_TANH, 0);
    lit_nn_init_xavier_uniform_(w, g, &rng);
    double b = g * sqrt(6.0 / 900.0);
    check_uniform(w, -b, b);
    lit_nn_init_xavier_normal_(w, 1.0, &rng);
    check_normal(w, 0.0, sqrt(2.0 / 900.0));
    lit_nn_init_kaiming_uniform_(w, 0.0, LIT_NN_FAN_IN, LIT_NN_GAIN_RELU, &rng);
    b = sqrt(2.0) * sqrt(3.0 / 500.0);
    check_uniform(w, -b, b);
    lit_nn_init_kaiming_normal_(w, 0.0, LIT_NN_FAN_OUT, LIT_NN_GAIN_RELU, &rng);
    check_normal(w, 0.0, sqrt(2.0) / sqrt(400.0));
    lit_nn_init_kaiming_normal_(w, 0.1, LIT_NN_FAN_IN, LIT_NN_GAIN_LEAKY_RELU, &rng);
    check_normal(w, 0.0, sqrt(2.0 / 1.01) / sqrt(500.0));

    /* Deterministic: same seed, same values; NULL uses the global generator. */
    lit_tensor *u = lit_zeros(LIT_F32, LIT_SHAPE(64)), *v = lit_zeros(LIT_F32, LIT_SHAPE(64));
    lit_rng a1 = lit_rng_new(5), a2 = lit_rng_new(5);
    lit_nn_init_normal_(u, 0, 1, &a1);
    lit_nn_init_normal_(v, 0, 1, &a2);
    CHECK(memcmp(lit_f32(u), lit_f32(v), 64 * sizeof(float)) == 0);
    lit_manual_seed(11);
    lit_nn_init_uniform_(u, 0, 1, NULL);
    lit_manual_seed(11);
    lit_nn_init_uniform_(v, 0, 1, NULL);
    CHECK(memcmp(lit_f32(u), lit_f32(v), 64 * sizeof(float)) == 0);
    EXPECT_ASSERT(lit_nn_init_normal_(lit_zeros(LIT_I64, LIT_SHAPE(3)), 0, 1, NULL), "initialisers fill f32");
}

TEST(layer_default_init) {
    lit_param_store *s = lit_param_store_new("init");
    lit_rng rng = lit_rng_new(3);
    lit_nn_linear l;
    lit_nn_linear_init(&l, s, "fc", 256, 800, 1, &rng);
    double k = 1.0 / 16.0; /* 1/sqrt(in_features) */
    check_uniform(l.weight, -k, k);
    double lo, hi;
    min_max(lit_f32(l.bias), 800, &lo, &hi);
    CHECK(lo >= -k && hi <= k && lo < -0.9 * k && hi > 0.9 * k);
    lit_nn_embedding e;
    lit_nn_embedding_init(&e, s, "emb", 1000, 200, -1, &rng);
    check_normal(e.weight, 0.0, 1.0);
    lit_nn_self_attention a;
    lit_nn_self_attention_init(&a, s, "attn", 64, 4, 1, 0, 0.0, &rng);
    CHECK(a.qkv.bias == NULL && a.proj.bias == NULL);
    min_max(lit_f32(a.qkv.weight), 3 * 64 * 64, &lo, &hi);
    CHECK(lo >= -0.125 && hi <= 0.125 && lo < -0.12 && hi > 0.12);
    lit_param_store_free(s);
}

/* ---------------------------------------------------------------- misuse */

TEST(bad_inputs_name_the_layer) {
    lit_param_store *s = lit_param_store_new("bad");
    lit_nn_linear l;
    lit_nn_linear_init(&l, s, "encoder.fc1", 3, 5, 1, NULL);
    lit_tensor *x = lit_zeros(LIT_F32, LIT_SHAPE(4, 7));
    EXPECT_ASSERT(lit_nn_linear_forward(&l, x), "nn.Linear 'encoder.fc1' (in_features 3, out_features 5): input (4, 7)");
    lit_nn_layer_norm ln;
    lit_nn_layer_norm_init(&ln, s, "ln", 5, 1e-5, 1, 1);
    EXPECT_ASSERT(lit_nn_layer_norm_forward(&ln, x), "nn.LayerNorm 'ln' (normalized_shape 5): input (4, 7)");
    lit_nn_self_attention a;
    lit_nn_self_attention_init(&a, s, "blocks.0.attn", 8, 2, 1, 1, 0.0, NULL);
    EXPECT_ASSERT(lit_nn_self_attention_forward(&a, lit_zeros(LIT_F32, LIT_SHAPE(2, 3, 6))),
                  "'blocks.0.attn' (embed_dim 8, 2 heads): input (2, 3, 6) must be (B, T, 8)");
    EXPECT_ASSERT(lit_nn_self_attention_forward(&a, lit_zeros(LIT_F32, LIT_SHAPE(3, 8))), "must be (B, T, 8)");
    lit_nn_embedding e;
    lit_nn_embedding_init(&e, s, "wte", 10, 4, -1, NULL);
    EXPECT_ASSERT(lit_nn_embedding_forward(&e, x), "nn.Embedding 'wte': indices (4, 7) have dtype f32");
    lit_nn_mlp m;
    lit_nn_mlp_init(&m, s, "head", 3, (const int64_t[]){7, 4, 2}, LIT_NN_ACT_TANH, 0.0, 1, NULL);
    EXPECT_ASSERT(lit_nn_mlp_forward(&m, lit_zeros(LIT_F32, LIT_SHAPE(2, 3))), "nn.Linear 'head.layers.0'");
    EXPECT_ASSERT(lit_nn_self_attention_init(&a, s, "x", 10, 3, 0, 1, 0.0, NULL), "multiple of n_heads 3");
    EXPECT_ASSERT(lit_nn_embedding_init(&e, s, "e2", 10, 4, 10, NULL), "padding_idx 10");
    EXPECT_ASSERT(lit_nn_mlp_init(&m, s, "m2", 1, (const int64_t[]){7}, LIT_NN_ACT_RELU, 0.0, 1, NULL),
                  "n_sizes 1");
    EXPECT_ASSERT(lit_nn_linear_init(&l, s, "encoder.fc1", 3, 5, 1, NULL), "already registered");
    lit_param_store_free(s);
}

TEST(attention_split_matches_forward) {
    lit_param_store *s = lit_param_store_new("split");
    lit_nn_self_attention a;
    lit_nn_self_attention_init(&a, s, "attn", 12, 3, 1, 1, 0.0, NULL);
    lit_tensor *x = lit_randn(LIT_SHAPE(2, 4, 12), NULL);
    lit_tensor *q, *k, *v;
    lit_nn_self_attention_qkv(&a, x, &q, &k, &v);
    CHECK_EQ_INT(q->ndim, 4);
    CHECK(q->shape[0] == 2 && q->shape[1] == 3 && q->shape[2] == 4 && q->shape[3] == 4);
    /* q[b, h, t, d] is qkv(x)[b, t, h*D + d]; v[b, h, t, d] is qkv(x)[b, t, 2E + h*D + d] */
    lit_tensor *full = lit_nn_linear_forward(&a.qkv, x);
    CHECK_NEAR(lit_get(q, (const int64_t[]){1, 2, 3, 1}), lit_get(full, (const int64_t[]){1, 3, 2 * 4 + 1}), 0);
    CHECK_NEAR(lit_get(v, (const int64_t[]){0, 1, 2, 3}), lit_get(full, (const int64_t[]){0, 2, 24 + 4 + 3}), 0);
    lit_tensor *y = lit_nn_self_attention_merge(&a, lit_scaled_dot_product_attention(q, k, v, 1, 0.0));
    lit_tensor *ref = lit_nn_self_attention_forward(&a, x);
    CHECK(lit_same_shape(y, ref));
    CHECK(memcmp(lit_f32(lit_contiguous(y)), lit_f32(lit_contiguous(ref)), 2 * 4 * 12 * sizeof(float)) == 0);
    lit_param_store_free(s);
}

TEST(attention_padding_mask_and_attn_dropout) {
    lit_param_store *s = lit_param_store_new("masked");
    lit_nn_self_attention a;
    lit_nn_self_attention_init(&a, s, "attn", 8, 2, 0, 1, 0.0, NULL);
    CHECK(a.attn_dropout == 0.0);
    lit_tensor *x = lit_randn(LIT_SHAPE(2, 5, 8), NULL);
    lit_tensor *pad = lit_zeros(LIT_I64, LIT_SHAPE(2, 1, 1, 5)); /* lengths 5 and 3: nonzero = attend */
    for (int64_t j = 0; j < 5; j++) lit_set_flat(pad, j, 1), lit_set_flat(pad, 5 + j, j < 3);
    lit_tensor *plain = lit_contiguous(lit_nn_self_attention_forward(&a, x));
    lit_tensor *none = lit_contiguous(lit_nn_self_attention_forward_masked(&a, x, NULL));
    CHECK(memcmp(plain->data, none->data, (size_t)plain->numel * sizeof(float)) == 0);
    lit_tensor *y = lit_contiguous(lit_nn_self_attention_forward_masked(&a, x, pad));
    /* Sequence 0 is unpadded; sequence 1's real positions differ from unmasked attention ... */
    CHECK(memcmp(y->data, plain->data, 5 * 8 * sizeof(float)) == 0);
    CHECK(fabs(lit_get(y, (const int64_t[]){1, 0, 0}) - lit_get(plain, (const int64_t[]){1, 0, 0})) > 1e-6);
    /* ... and do not see the padded positions: changing them changes nothing there. */
    lit_tensor *x2 = lit_clone(x);
    for (int64_t t = 3; t < 5; t++)
        for (int64_t c = 0; c < 8; c++) lit_set_flat(x2, (5 + t) * 8 + c, 100.0 + (double)c);
    lit_tensor *y2 = lit_contiguous(lit_nn_self_attention_forward_masked(&a, x2, pad));
    CHECK(memcmp(lit_f32(y) + 5 * 8, lit_f32(y2) + 5 * 8, 3 * 8 * sizeof(float)) == 0);

    /* attn_dropout: off in eval (generator untouched), in training the draws
     * of lit_scaled_dot_product_attention_ex from a.dropout.rng. */
    lit_rng rng = lit_rng_new(5);
    a.dropout.rng = &rng;
    a.attn_dropout = 0.5;
    lit_param_store_train(s, 0);
    lit_tensor *eval = lit_contiguous(lit_nn_self_attention_forward_masked(&a, x, pad));
    CHECK(memcmp(eval->data, y->data, (size_t)y->numel * sizeof(float)) == 0);
    CHECK_EQ_INT((int)rng.counter, 0);
    lit_param_store_train(s, 1);
    lit_tensor *train = lit_contiguous(lit_nn_self_attention_forward_masked(&a, x, pad));
    CHECK_EQ_INT((int)rng.counter, 2 * 2 * 5 * 5 / 4);
    lit_rng again = lit_rng_new(5);
    lit_tensor *q, *k, *v;
    lit_nn_self_attention_qkv(&a, x, &q, &k, &v);
    lit_sdpa_params p = lit_sdpa_default_params();
    p.mask = pad;
    p.dropout_p = 0.5;
    p.rng = &again;
    lit_tensor *want = lit_contiguous(lit_nn_self_attention_merge(&a, lit_scaled_dot_product_attention_ex(q, k, v, &p)));
    CHECK(memcmp(train->data, want->data, (size_t)want->numel * sizeof(float)) == 0);
    CHECK(memcmp(train->data, y->data, (size_t)y->numel * sizeof(float)) != 0);
    a.attn_dropout = 2;
    EXPECT_ASSERT(lit_nn_self_attention_forward(&a, x), "attn_dropout is 2; set a drop probability in [0, 1]");
    lit_param_store_free(s);
}

int main(void) {
    fx = fixture_load("tests/fixtures/nn.txt");
    if (!fx) {
        printf("cannot load tests/fixtures/nn.txt\n");
        return 1;
    }
    RUN(name_join);
    RUN(store_basics);
    RUN(state_dict_listing_and_count);
    RUN(freeze_unfreeze);
    RUN(state_dict_round_trip);
    RUN(state_dict_strict_errors);
    RUN(linear_matches_torch);
    RUN(embedding_matches_torch);
    RUN(layer_norm_matches_torch);
    RUN(mlp_matches_torch);
    RUN(attention_matches_torch);
    RUN(dropout_train_eval);
    RUN(calculate_gain_and_fans);
    RUN(init_distributions);
    RUN(layer_default_init);
    RUN(bad_inputs_name_the_layer);
    RUN(attention_split_matches_forward);
    RUN(attention_padding_mask_and_attn_dropout);
    fixture_free(fx);
    return harness_summary();
}
