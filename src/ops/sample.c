/*
 * Sampling from categorical distributions with the counter-based RNG:
 * lit_multinomial (torch.multinomial over probabilities or any non-negative
 * weights) and lit_categorical (one draw per row from softmax(logits)).
 *
 * Draw i (row-major over the output) is u_i = lit_rng_uniform's value for
 * Philox block rng->counter + i (53 random bits in [0, 1)), and the call
 * advances rng->counter by the number of draws: the same seed and counter
 * give the same samples, and a call is equivalent to drawing u_0, u_1, ...
 * one after another with lit_rng_uniform. The category is the first c with
 * u * total < w_0 + ... + w_c (sums in double), so a zero-weight category is
 * never drawn. Without replacement a chosen category's weight drops to 0 and
 * the next draw uses the remaining total.
 *
 * Probabilities come from data (a model's output), so a bad distribution is a
 * runtime error, not an abort: NaN, Inf or a negative weight, a row that sums
 * to 0, or too few non-zero categories for draws without replacement return
 * LIT_ERR_INVALID_ARG naming the row and value, as torch raises. No gradient.
 */
#include <math.h>
#include <string.h>

#include "ops-impl.h"

static double uniform_at(uint64_t seed, uint64_t counter) {
    uint32_t block[4];
    lit_philox4x32(seed, counter, block);
    uint64_t bits = ((uint64_t)block[0] << 21) ^ (uint64_t)block[1]; /* as lit_rng_uniform */
    return (double)(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

/* The category that u in [0, 1) falls into, for weights w[0..C) summing to
 * total > 0: first c with u * total < cumulative sum; rounding that leaves
 * u * total at or past the sum picks the last non-zero category. */
static int64_t pick(const double *w, int64_t C, double total, double u) {
    double target = u * total, cum = 0;
    int64_t last = 0;
    for (int64_t c = 0; c < C; c++) {
        if (w[c] <= 0) continue;
        cum += w[c];
        last = c;
        if (target < cum) return c;
    }
    return last;
}

/* Check a row of weights and return their sum (negative on error). */
static double row_total(const double *w, int64_t C, int64_t row, int64_t *nonzero, const char *op) {
    double total = 0;
    *nonzero = 0;
    for (int64_t c = 0; c < C; c++) {
        if (!(w[c] >= 0) || isinf(w[c])) {
            lit_set_error(LIT_ERR_INVALID_ARG,
                          "%s: row %lld, category %lld has probability %g; probabilities must be finite and >= 0 "
                          "(NaN usually means the model diverged)",
                          op, (long long)row, (long long)c, w[c]);
            return -1;
        }
        total += w[c];
        *nonzero += w[c] > 0;
    }
    if (!(total > 0) || isinf(total)) {
        lit_set_error(LIT_ERR_INVALID_ARG, "%s: row %lld sums to %g; a distribution needs a finite positive sum", op,
                      (long long)row, total);
        return -1;
    }
    return total;
}

/* Draw n categories from weights w (modified without replacement) into out. */
static lit_status sample_row(double *w, int64_t C, int64_t row, int64_t n, int replacement, uint64_t seed,
                             uint64_t counter, int64_t *out, const char *op) {
    int64_t nonzero;
    double total = row_total(w, C, row, &nonzero, op);
    if (total < 0) return LIT_ERR_INVALID_ARG;
    if (!replacement && n > nonzero)
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "%s: row %lld has %lld non-zero categories, too few for %lld draws without "
                             "replacement; draw fewer or pass replacement = 1",
                             op, (long long)row, (long long)nonzero, (long long)n);
    for (int64_t s = 0; s < n; s++) {
        int64_t c = pick(w, C, total, uniform_at(seed, counter + (uint64_t)s));
        out[s] = c;
        if (!replacement) {
            w[c] = 0;
            total = 0;
            for (int64_t j = 0; j < C; j++) total += w[j]; /* re-summed: no drift from subtraction */
        }
    }
    return LIT_OK;
}

/* Shape of x with the last dim replaced by n (or dropped when n < 0). */
static int out_shape(const lit_tensor *x, int64_t n, int64_t *shape) {
    memcpy(shape, x->shape, sizeof x->shape);
    if (n < 0) return x->ndim - 1;
    shape[x->ndim - 1] = n;
    return x->ndim;
}

/* Rows of x as double weights: probabilities as given, or exp(logit - max). */
static lit_status sample_rows(lit_tensor *x, int64_t n, int replacement, int from_logits, lit_rng *rng,
                              lit_tensor **out, const char *op) {
    lit__check_f32(x, op);
    LIT_ASSERT(out != NULL, "%s: pass a pointer for the sampled indices", op);
    LIT_ASSERT(x->ndim >= 1, "%s: input %s is 0-d; pass (..., C) with the categories in the last dim", op,
               LIT_SHAPE_STR(x));
    *out = NULL;
    if (!rng) rng = lit_rng_global();
    int64_t C = x->shape[x->ndim - 1], shape[LIT_MAX_DIMS];
    int ndim = out_shape(x, from_logits ? -1 : n, shape);
    int64_t rows = 1;
    for (int d = 0; d < x->ndim - 1; d++) rows *= x->shape[d];
    if (C == 0 && rows > 0)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: input %s has no categories (last dim 0)", op, LIT_SHAPE_STR(x));
    lit_tensor *res = lit_empty(LIT_I64, ndim, shape);
    const float *xs = lit__dense(x)->data;
    double *w = lit_arena_alloc(lit_arena_current(), (size_t)(C + 1) * sizeof *w);
    const uint64_t seed = rng->seed, base = rng->counter;
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = xs + r * C;
        if (from_logits) {
            float mx = xr[0];
            for (int64_t c = 1; c < C; c++) mx = lit__max_keep_nan(mx, xr[c]);
            if (isnan(mx) || mx == INFINITY || mx == -INFINITY)
                return lit_set_error(LIT_ERR_INVALID_ARG,
                                     "%s: row %lld of the logits has maximum %g; logits must be finite or -inf, "
                                     "with at least one finite (NaN usually means the model diverged)",
                                     op, (long long)r, (double)mx);
            for (int64_t c = 0; c < C; c++) w[c] = exp((double)xr[c] - mx);
        } else {
            for (int64_t c = 0; c < C; c++) w[c] = xr[c];
        }
        lit_status st = sample_row(w, C, r, n, replacement, seed, base + (uint64_t)(r * n), (int64_t *)res->data + r * n,
                                   op);
        if (st != LIT_OK) return st;
    }
    rng->counter = base + (uint64_t)(rows * n);
    *out = res;
    return LIT_OK;
}

lit_status lit_multinomial(lit_tensor *probs, int64_t num_samples, int replacement, lit_rng *rng, lit_tensor **out) {
    LIT_ASSERT(num_samples > 0, "lit_multinomial: num_samples is %lld; pass at least 1", (long long)num_samples);
    return sample_rows(probs, num_samples, replacement, 0, rng, out, "lit_multinomial");
}

lit_status lit_categorical(lit_tensor *logits, lit_rng *rng, lit_tensor **out) {
    return sample_rows(logits, 1, 1, 1, rng, out, "lit_categorical");
}
