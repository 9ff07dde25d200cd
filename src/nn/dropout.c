/*
 * src/nn/dropout.c — nn.Dropout following its store's train/eval flag.
 */
#include "nn-impl.h"

void lit_nn_dropout_init(lit_nn_dropout *d, const lit_param_store *s, double p, lit_rng *rng) {
    LIT_ASSERT(d != NULL, "lit_nn_dropout_init: pass a layer struct");
    LIT_ASSERT(p >= 0.0 && p <= 1.0, "nn.Dropout: probability p = %g must be in [0, 1]", p);
    d->p = p;
    d->store = s;
    d->training = 1;
    d->rng = rng;
}

int lit_nn_dropout_is_training(const lit_nn_dropout *d) {
    return d->store ? lit_param_store_is_training(d->store) : d->training;
}

lit_tensor *lit_nn_dropout_forward(const lit_nn_dropout *d, lit_tensor *x) {
    LIT_ASSERT(d != NULL, "lit_nn_dropout_forward: layer is NULL");
    lit_tensor_check(x, "lit_nn_dropout_forward");
    if (d->p == 0.0 || !lit_nn_dropout_is_training(d)) return x;
    if (d->p >= 1.0) return lit_mul_scalar(x, 0.0);
    return lit_dropout(x, d->p, 1, d->rng);
}
