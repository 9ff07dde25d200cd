/*
 * src/nn/init.c — torch.nn.init for litc: gains, fans, uniform/normal/
 * truncated normal, constants, Xavier (Glorot) and Kaiming (He) schemes.
 * Values come from the Philox generator; the distributions and bounds are
 * PyTorch's.
 */
#include <math.h>

#include "nn-impl.h"

static float *init_data(lit_tensor *t, const char *who) {
    lit_tensor_check(t, who);
    LIT_ASSERT(t->dtype == LIT_F32, "%s: tensor %s has dtype %s; initialisers fill f32 tensors", who,
               LIT_SHAPE_STR(t), lit_dtype_name(t->dtype));
    LIT_ASSERT(lit_is_contiguous(t), "%s: tensor %s is not contiguous; initialise the base tensor", who,
               LIT_SHAPE_STR(t));
    return (float *)t->data;
}

double lit_nn_calculate_gain(lit_nn_nonlinearity nl, double param) {
    switch (nl) {
    case LIT_NN_GAIN_LINEAR:
    case LIT_NN_GAIN_SIGMOID: return 1.0;
    case LIT_NN_GAIN_TANH: return 5.0 / 3.0;
    case LIT_NN_GAIN_RELU: return sqrt(2.0);
    case LIT_NN_GAIN_LEAKY_RELU: {
        double slope = param < 0 ? 0.01 : param;
        return sqrt(2.0 / (1.0 + slope * slope));
    }
    case LIT_NN_GAIN_SELU: return 3.0 / 4.0;
    }
    lit_panic("lit_nn_calculate_gain: unknown nonlinearity %d; use a LIT_NN_GAIN_* value", (int)nl);
    return 1.0;
}

void lit_nn_init_fans(const lit_tensor *t, int64_t *fan_in, int64_t *fan_out) {
    lit_tensor_check(t, "lit_nn_init_fans");
    LIT_ASSERT(t->ndim >= 2,
               "lit_nn_init_fans: fan in and fan out cannot be computed for a tensor with fewer than 2 dims "
               "(got %s); use uniform/normal for biases",
               LIT_SHAPE_STR(t));
    int64_t receptive = 1;
    for (int d = 2; d < t->ndim; d++) receptive *= t->shape[d];
    if (fan_in) *fan_in = t->shape[1] * receptive;
    if (fan_out) *fan_out = t->shape[0] * receptive;
}

void lit_nn_init_uniform_(lit_tensor *t, double a, double b, lit_rng *rng) {
    float *p = init_data(t, "lit_nn_init_uniform_");
    LIT_ASSERT(a <= b, "lit_nn_init_uniform_: lower bound %g > upper bound %g", a, b);
    lit_rng_fill_uniform(lit__nn_rng(rng), p, (size_t)t->numel, (float)a, (float)b);
}

void lit_nn_init_normal_(lit_tensor *t, double mean, double std, lit_rng *rng) {
    float *p = init_data(t, "lit_nn_init_normal_");
    LIT_ASSERT(std >= 0, "lit_nn_init_normal_: std %g is negative", std);
    lit_rng_fill_normal(lit__nn_rng(rng), p, (size_t)t->numel, (float)mean, (float)std);
}

void lit_nn_init_trunc_normal_(lit_tensor *t, double mean, double std, double a, double b, lit_rng *rng) {
    float *p = init_data(t, "lit_nn_init_trunc_normal_");
    LIT_ASSERT(std > 0 && a < b, "lit_nn_init_trunc_normal_: need std > 0 and a < b (got std %g, [%g, %g])", std, a,
               b);
    double mass = 0.5 * (erf((b - mean) / (std * sqrt(2.0))) - erf((a - mean) / (std * sqrt(2.0))));
    LIT_ASSERT(mass >= 0.01,
               "lit_nn_init_trunc_normal_: [%g, %g] keeps only %.3g of N(%g, %g^2); move the bounds closer to the "
               "mean",
               a, b, mass, mean, std);
    lit_rng *r = lit__nn_rng(rng);
    lit_rng_fill_normal(r, p, (size_t)t->numel, (float)mean, (float)std);
    for (int64_t i = 0; i < t->numel; i++) {
        while (p[i] < a || p[i] > b) {
            float pair[2];
            lit_rng_fill_normal(r, pair, 2, (float)mean, (float)std);
            p[i] = pair[0] >= a && pair[0] <= b ? pair[0] : pair[1];
        }
    }
}

void lit_nn_init_constant_(lit_tensor *t, double v) {
    float *p = init_data(t, "lit_nn_init_constant_");
    for (int64_t i = 0; i < t->numel; i++) p[i] = (float)v;
}
void lit_nn_init_zeros_(lit_tensor *t) { lit_nn_init_constant_(t, 0.0); }
void lit_nn_init_ones_(lit_tensor *t) { lit_nn_init_constant_(t, 1.0); }

void lit_nn_init_xavier_uniform_(lit_tensor *t, double gain, lit_rng *rng) {
    int64_t fi, fo;
    lit_nn_init_fans(t, &fi, &fo);
    double bound = gain * sqrt(6.0 / (double)(fi + fo));
    lit_nn_init_uniform_(t, -bound, bound, rng);
}

void lit_nn_init_xavier_normal_(lit_tensor *t, double gain, lit_rng *rng) {
    int64_t fi, fo;
    lit_nn_init_fans(t, &fi, &fo);
    lit_nn_init_normal_(t, 0.0, gain * sqrt(2.0 / (double)(fi + fo)), rng);
}

static double kaiming_std(const lit_tensor *t, double a, lit_nn_fan_mode mode, lit_nn_nonlinearity nl) {
    int64_t fi, fo;
    lit_nn_init_fans(t, &fi, &fo);
    int64_t fan = mode == LIT_NN_FAN_OUT ? fo : fi;
    LIT_ASSERT(fan > 0, "kaiming init: tensor %s has a zero fan; it has no elements to initialise", LIT_SHAPE_STR(t));
    return lit_nn_calculate_gain(nl, a) / sqrt((double)fan);
}

double lit_nn_kaiming_uniform_bound(const lit_tensor *t, double a, lit_nn_fan_mode mode, lit_nn_nonlinearity nl) {
    return sqrt(3.0) * kaiming_std(t, a, mode, nl);
}

void lit_nn_init_kaiming_uniform_(lit_tensor *t, double a, lit_nn_fan_mode mode, lit_nn_nonlinearity nl,
                                  lit_rng *rng) {
    double bound = lit_nn_kaiming_uniform_bound(t, a, mode, nl);
    lit_nn_init_uniform_(t, -bound, bound, rng);
}

void lit_nn_init_kaiming_normal_(lit_tensor *t, double a, lit_nn_fan_mode mode, lit_nn_nonlinearity nl,
                                 lit_rng *rng) {
    lit_nn_init_normal_(t, 0.0, kaiming_std(t, a, mode, nl), rng);
}
