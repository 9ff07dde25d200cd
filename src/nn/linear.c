/*
 * src/nn/linear.c — nn.Linear: weight (out, in), optional bias (out),
 * PyTorch's default initialisation, forward through lit_linear.
 */
#include <math.h>

#include "nn-impl.h"

lit_status lit_nn_linear_init(lit_nn_linear *l, lit_param_store *s, const char *prefix, int64_t in_features,
                        int64_t out_features, int bias, lit_rng *rng) {
    LIT_ASSERT(l != NULL && s != NULL, "lit_nn_linear_init: pass a layer struct and a parameter store");
    LIT_ASSERT(in_features > 0 && out_features > 0,
               "lit_nn_linear_init '%s': in_features %lld and out_features %lld must be > 0", prefix ? prefix : "",
               (long long)in_features, (long long)out_features);
    l->name = lit__nn_keep_name(s, prefix);
    lit__nn_set_type(s, prefix, "Linear");
    l->in_features = in_features;
    l->out_features = out_features;
    l->weight = lit_param_store_new_param(s, prefix, "weight", LIT_SHAPE(out_features, in_features));
    l->bias = bias ? lit_param_store_new_param(s, prefix, "bias", LIT_SHAPE(out_features)) : NULL;
    /* reset_parameters(): kaiming_uniform_(w, a=sqrt(5)) == U(-1/sqrt(in), 1/sqrt(in)); bias the same. */
    if (l->weight) lit_nn_init_kaiming_uniform_(l->weight, sqrt(5.0), LIT_NN_FAN_IN, LIT_NN_GAIN_LEAKY_RELU, rng);
    if (l->bias) {
        double bound = 1.0 / sqrt((double)in_features);
        lit_nn_init_uniform_(l->bias, -bound, bound, rng);
    }
    return lit_param_store_status(s);
}

lit_tensor *lit_nn_linear_forward(const lit_nn_linear *l, lit_tensor *x) {
    LIT_ASSERT(l != NULL && l->weight != NULL, "lit_nn_linear_forward: layer is not initialised (lit_nn_linear_init)");
    lit_tensor_check(x, "lit_nn_linear_forward");
    LIT_ASSERT(x->ndim >= 1 && x->shape[x->ndim - 1] == l->in_features,
               "nn.Linear '%s' (in_features %lld, out_features %lld): input %s must end in %lld features; "
               "reshape the input or fix the layer sizes",
               l->name, (long long)l->in_features, (long long)l->out_features, LIT_SHAPE_STR(x),
               (long long)l->in_features);
    return lit_linear(x, l->weight, l->bias);
}
