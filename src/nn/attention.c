/*
 * src/nn/attention.c — multi-head self-attention with a fused qkv Linear
 * (3E, E) and an output Linear `proj`, as GPT-2 / nanoGPT:
 *   x (B,T,E) -> qkv (B,T,3E) -> (B,T,3,H,D) -> permute (3,B,H,T,D) -> q,k,v
 *   -> lit_scaled_dot_product_attention_ex (causal, optional mask, attn_dropout
 *   on the probabilities) -> (B,H,T,D) -> (B,T,H,D) -> (B,T,E) -> proj -> dropout.
 */
#include "nn-impl.h"

lit_status lit_nn_self_attention_init(lit_nn_self_attention *a, lit_param_store *s, const char *prefix, int64_t embed_dim,
                                int64_t n_heads, int causal, int bias, double dropout, lit_rng *rng) {
    LIT_ASSERT(a != NULL && s != NULL, "lit_nn_self_attention_init: pass a layer struct and a parameter store");
    LIT_ASSERT(embed_dim > 0 && n_heads > 0 && embed_dim % n_heads == 0,
               "lit_nn_self_attention_init '%s': embed_dim %lld must be a positive multiple of n_heads %lld",
               prefix ? prefix : "", (long long)embed_dim, (long long)n_heads);
    a->name = lit__nn_keep_name(s, prefix);
    lit__nn_set_type(s, prefix, causal ? "CausalSelfAttention" : "SelfAttention");
    a->embed_dim = embed_dim;
    a->n_heads = n_heads;
    a->head_dim = embed_dim / n_heads;
    a->causal = causal != 0;
    a->attn_dropout = 0.0;
    LIT_TRY(lit_nn_linear_init(&a->qkv, s, LIT_SUBNAME(prefix, "qkv"), embed_dim, 3 * embed_dim, bias, rng));
    LIT_TRY(lit_nn_linear_init(&a->proj, s, LIT_SUBNAME(prefix, "proj"), embed_dim, embed_dim, bias, rng));
    lit_nn_dropout_init(&a->dropout, s, dropout, NULL);
    return LIT_OK;
}

static void check_x(const lit_nn_self_attention *a, const lit_tensor *x) {
    LIT_ASSERT(a != NULL && a->embed_dim > 0,
               "nn self-attention: layer is not initialised (lit_nn_self_attention_init)");
    lit_tensor_check(x, "lit_nn_self_attention_forward");
    LIT_ASSERT(x->ndim == 3 && x->shape[2] == a->embed_dim,
               "nn self-attention '%s' (embed_dim %lld, %lld heads): input %s must be (B, T, %lld)", a->name,
               (long long)a->embed_dim, (long long)a->n_heads, LIT_SHAPE_STR(x), (long long)a->embed_dim);
}

void lit_nn_self_attention_qkv(const lit_nn_self_attention *a, lit_tensor *x, lit_tensor **q, lit_tensor **k,
                               lit_tensor **v) {
    check_x(a, x);
    LIT_ASSERT(q && k && v, "lit_nn_self_attention_qkv: pass pointers for q, k and v");
    int64_t B = x->shape[0], T = x->shape[1];
    lit_tensor *qkv = lit_nn_linear_forward(&a->qkv, x);                           /* (B, T, 3E) */
    qkv = lit_reshape(qkv, LIT_SHAPE(B, T, 3, a->n_heads, a->head_dim));           /* (B, T, 3, H, D) */
    qkv = lit_permute(qkv, (const int[]){2, 0, 3, 1, 4});                         /* (3, B, H, T, D) */
    *q = lit_select(qkv, 0, 0);
    *k = lit_select(qkv, 0, 1);
    *v = lit_select(qkv, 0, 2);
}

lit_tensor *lit_nn_self_attention_merge(const lit_nn_self_attention *a, lit_tensor *y) {
    lit_tensor_check(y, "lit_nn_self_attention_merge");
    LIT_ASSERT(y->ndim == 4 && y->shape[1] == a->n_heads && y->shape[3] == a->head_dim,
               "nn self-attention '%s': heads output %s must be (B, %lld, T, %lld)", a->name, LIT_SHAPE_STR(y),
               (long long)a->n_heads, (long long)a->head_dim);
    int64_t B = y->shape[0], T = y->shape[2];
    y = lit_reshape(lit_transpose(y, 1, 2), LIT_SHAPE(B, T, a->embed_dim));       /* (B, T, E) */
    return lit_nn_dropout_forward(&a->dropout, lit_nn_linear_forward(&a->proj, y));
}

lit_tensor *lit_nn_self_attention_forward_masked(const lit_nn_self_attention *a, lit_tensor *x, lit_tensor *mask) {
    lit_tensor *q, *k, *v;
    lit_nn_self_attention_qkv(a, x, &q, &k, &v);
    LIT_ASSERT(a->attn_dropout >= 0.0 && a->attn_dropout <= 1.0,
               "nn self-attention '%s': attn_dropout is %g; set a drop probability in [0, 1]", a->name, a->attn_dropout);
    lit_sdpa_params p = lit_sdpa_default_params();
    p.is_causal = a->causal;
    p.mask = mask;
    p.dropout_p = lit_nn_dropout_is_training(&a->dropout) ? a->attn_dropout : 0.0;
    p.rng = a->dropout.rng;
    lit_tensor *y = lit_scaled_dot_product_attention_ex(q, k, v, &p);              /* (B, H, T, D) */
    return lit_nn_self_attention_merge(a, y);
}

lit_tensor *lit_nn_self_attention_forward(const lit_nn_self_attention *a, lit_tensor *x) {
    return lit_nn_self_attention_forward_masked(a, x, NULL);
}
