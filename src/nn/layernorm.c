/*
 * src/nn/layernorm.c — nn.LayerNorm over the last dim: weight ones, bias
 * zeros (optional), forward through lit_layer_norm.
 */
#include "nn-impl.h"

lit_status lit_nn_layer_norm_init(lit_nn_layer_norm *ln, lit_param_store *s, const char *prefix, int64_t dim, double eps,
                            int elementwise_affine, int bias) {
    LIT_ASSERT(ln != NULL && s != NULL, "lit_nn_layer_norm_init: pass a layer struct and a parameter store");
    LIT_ASSERT(dim > 0 && eps >= 0, "lit_nn_layer_norm_init '%s': dim %lld must be > 0 and eps %g >= 0",
               prefix ? prefix : "", (long long)dim, eps);
    ln->name = lit__nn_keep_name(s, prefix);
    lit__nn_set_type(s, prefix, "LayerNorm");
    ln->dim = dim;
    ln->eps = eps;
    ln->weight = ln->bias = NULL;
    if (elementwise_affine) {
        ln->weight = lit_param_store_new_param(s, prefix, "weight", LIT_SHAPE(dim));
        if (ln->weight) lit_nn_init_ones_(ln->weight);
        if (bias) ln->bias = lit_param_store_new_param(s, prefix, "bias", LIT_SHAPE(dim)); /* zeros */
    }
    return lit_param_store_status(s);
}

lit_tensor *lit_nn_layer_norm_forward(const lit_nn_layer_norm *ln, lit_tensor *x) {
    LIT_ASSERT(ln != NULL && ln->dim > 0,
               "lit_nn_layer_norm_forward: layer is not initialised (lit_nn_layer_norm_init)");
    lit_tensor_check(x, "lit_nn_layer_norm_forward");
    LIT_ASSERT(x->ndim >= 1 && x->shape[x->ndim - 1] == ln->dim,
               "nn.LayerNorm '%s' (normalized_shape %lld): input %s must end in %lld features", ln->name,
               (long long)ln->dim, LIT_SHAPE_STR(x), (long long)ln->dim);
    return lit_layer_norm(x, ln->weight, ln->bias, ln->eps);
}
