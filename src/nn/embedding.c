/*
 * src/nn/embedding.c — nn.Embedding: weight (num, dim) ~ N(0, 1), optional
 * padding_idx whose row starts at zero and receives no gradient.
 */
#include "nn-impl.h"

lit_status lit_nn_embedding_init(lit_nn_embedding *e, lit_param_store *s, const char *prefix, int64_t num_embeddings,
                           int64_t embedding_dim, int64_t padding_idx, lit_rng *rng) {
    LIT_ASSERT(e != NULL && s != NULL, "lit_nn_embedding_init: pass a layer struct and a parameter store");
    LIT_ASSERT(num_embeddings > 0 && embedding_dim > 0,
               "lit_nn_embedding_init '%s': num_embeddings %lld and embedding_dim %lld must be > 0",
               prefix ? prefix : "", (long long)num_embeddings, (long long)embedding_dim);
    LIT_ASSERT(padding_idx >= -1 && padding_idx < num_embeddings,
               "lit_nn_embedding_init '%s': padding_idx %lld must be in [0, %lld) or -1 for none",
               prefix ? prefix : "", (long long)padding_idx, (long long)num_embeddings);
    e->name = lit__nn_keep_name(s, prefix);
    lit__nn_set_type(s, prefix, "Embedding");
    e->num_embeddings = num_embeddings;
    e->embedding_dim = embedding_dim;
    e->padding_idx = padding_idx;
    e->weight = lit_param_store_new_param(s, prefix, "weight", LIT_SHAPE(num_embeddings, embedding_dim));
    if (!e->weight) return lit_param_store_status(s);
    lit_nn_init_normal_(e->weight, 0.0, 1.0, rng);
    if (padding_idx >= 0) {
        float *w = lit_f32(e->weight);
        for (int64_t j = 0; j < embedding_dim; j++) w[padding_idx * embedding_dim + j] = 0.0f;
    }
    return lit_param_store_status(s);
}

lit_tensor *lit_nn_embedding_forward(const lit_nn_embedding *e, lit_tensor *indices) {
    LIT_ASSERT(e != NULL && e->weight != NULL,
               "lit_nn_embedding_forward: layer is not initialised (lit_nn_embedding_init)");
    lit_tensor_check(indices, "lit_nn_embedding_forward");
    LIT_ASSERT(indices->dtype == LIT_I64 || indices->dtype == LIT_I32,
               "nn.Embedding '%s': indices %s have dtype %s; pass i64 (or i32) token ids", e->name,
               LIT_SHAPE_STR(indices), lit_dtype_name(indices->dtype));
    lit_tensor *out = lit_embedding(e->weight, indices);
    if (e->padding_idx < 0 || !out->grad_fn) return out;

    /* No gradient into the padding row: out = where(pad, detach(out), out)
     * with a (..., 1) mask. A selection, not x*1 + y*0: an Inf weight stays
     * Inf and a NaN upstream gradient never reaches the padding row, as in
     * torch, where the padding row's gradient is always 0. */
    lit_tensor *idx = lit_contiguous(indices);
    int64_t shape[LIT_MAX_DIMS];
    for (int d = 0; d < idx->ndim; d++) shape[d] = idx->shape[d];
    shape[idx->ndim] = 1;
    lit_tensor *pad = lit_empty(LIT_F32, idx->ndim + 1, shape);
    float *p = lit_f32(pad);
    for (int64_t i = 0; i < idx->numel; i++) {
        int64_t v = idx->dtype == LIT_I64 ? ((const int64_t *)idx->data)[i] : ((const int32_t *)idx->data)[i];
        p[i] = v == e->padding_idx ? 1.0f : 0.0f;
    }
    return lit_where(pad, lit_detach(out), out);
}
