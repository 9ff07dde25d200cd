/*
 * src/nn/activation.c — activation selection by enum (for MLP and users).
 */
#include "nn-impl.h"

lit_tensor *lit_nn_activate(lit_tensor *x, lit_nn_activation act) {
    switch (act) {
    case LIT_NN_ACT_NONE: return x;
    case LIT_NN_ACT_RELU: return lit_relu(x);
    case LIT_NN_ACT_GELU: return lit_gelu(x, LIT_GELU_EXACT);
    case LIT_NN_ACT_GELU_TANH: return lit_gelu(x, LIT_GELU_TANH);
    case LIT_NN_ACT_TANH: return lit_tanh(x);
    case LIT_NN_ACT_SILU: return lit_silu(x);
    case LIT_NN_ACT_SIGMOID: return lit_sigmoid(x);
    }
    lit_panic("lit_nn_activate: unknown activation %d; use a LIT_NN_ACT_* value", (int)act);
    return x;
}

const char *lit_nn_activation_name(lit_nn_activation act) {
    switch (act) {
    case LIT_NN_ACT_NONE: return "none";
    case LIT_NN_ACT_RELU: return "relu";
    case LIT_NN_ACT_GELU: return "gelu";
    case LIT_NN_ACT_GELU_TANH: return "gelu_tanh";
    case LIT_NN_ACT_TANH: return "tanh";
    case LIT_NN_ACT_SILU: return "silu";
    case LIT_NN_ACT_SIGMOID: return "sigmoid";
    }
    return "unknown";
}
