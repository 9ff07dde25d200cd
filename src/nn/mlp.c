/*
 * src/nn/mlp.c — a stack of Linear layers with an activation (and optional
 * dropout) between them; layers are named "<prefix>.layers.<i>".
 */
#include "nn-impl.h"

lit_status lit_nn_mlp_init(lit_nn_mlp *m, lit_param_store *s, const char *prefix, int n_sizes, const int64_t *sizes,
                     lit_nn_activation act, double dropout, int bias, lit_rng *rng) {
    LIT_ASSERT(m != NULL && s != NULL, "lit_nn_mlp_init: pass a layer struct and a parameter store");
    LIT_ASSERT(n_sizes >= 2 && n_sizes - 1 <= LIT_NN_MLP_MAX_LAYERS && sizes != NULL,
               "lit_nn_mlp_init '%s': n_sizes %d must be in [2, %d] (sizes = input, hidden..., output)",
               prefix ? prefix : "", n_sizes, LIT_NN_MLP_MAX_LAYERS + 1);
    m->name = lit__nn_keep_name(s, prefix);
    lit__nn_set_type(s, prefix, "MLP");
    lit__nn_set_type(s, LIT_SUBNAME(prefix, "layers"), "ModuleList");
    m->n_layers = n_sizes - 1;
    m->act = act;
    /* Stop at the first layer that cannot be allocated: its message names it. */
    for (int i = 0; i < m->n_layers; i++)
        LIT_TRY(lit_nn_linear_init(&m->layers[i], s, LIT_SUBNAME(prefix, "layers.%d", i), sizes[i], sizes[i + 1],
                                   bias, rng));
    lit_nn_dropout_init(&m->dropout, s, dropout, NULL);
    return LIT_OK;
}

lit_tensor *lit_nn_mlp_forward(const lit_nn_mlp *m, lit_tensor *x) {
    LIT_ASSERT(m != NULL && m->n_layers > 0, "lit_nn_mlp_forward: layer is not initialised (lit_nn_mlp_init)");
    for (int i = 0; i < m->n_layers; i++) {
        x = lit_nn_linear_forward(&m->layers[i], x);
        if (i + 1 < m->n_layers) x = lit_nn_dropout_forward(&m->dropout, lit_nn_activate(x, m->act));
    }
    return x;
}
