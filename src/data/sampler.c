/*
 * Samplers: the order of sample indices of an epoch and the batch sampler's
 * arithmetic (torch.utils.data.SequentialSampler / RandomSampler /
 * BatchSampler).
 *
 * Shuffle: Fisher-Yates (Durstenfeld), from the last position down, drawing
 * j = lit_rng_below(rng, i + 1) from a Philox stream keyed by `seed` whose
 * block counter starts at epoch * 2^40 (LIT_SAMPLER_EPOCH_STRIDE): every
 * (seed, epoch) pair has its own disjoint stretch of the same stream, so the
 * permutation is a pure function of (n, seed, epoch).
 */
#include "litc/data.h"

void lit_sampler_order(int64_t n, int shuffle, uint64_t seed, int64_t epoch, int64_t *out) {
    LIT_ASSERT(n >= 0, "lit_sampler_order: n is %lld; pass >= 0", (long long)n);
    LIT_ASSERT(n == 0 || out, "lit_sampler_order: out is NULL; pass room for n = %lld indices", (long long)n);
    for (int64_t i = 0; i < n; i++) out[i] = i;
    if (!shuffle || n < 2) return;
    lit_rng rng = lit_sampler_rng(seed, epoch);
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)lit_rng_below(&rng, (uint64_t)i + 1);
        int64_t t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
}

lit_rng lit_sampler_rng(uint64_t seed, int64_t epoch) {
    lit_rng rng = lit_rng_new(seed);
    rng.counter = (uint64_t)epoch * LIT_SAMPLER_EPOCH_STRIDE;
    return rng;
}

int64_t lit_sampler_num_batches(int64_t n, int64_t batch_size, int drop_last) {
    LIT_ASSERT(batch_size >= 1, "lit_sampler_num_batches: batch_size is %lld; pass >= 1", (long long)batch_size);
    if (n <= 0) return 0;
    return drop_last ? n / batch_size : (n + batch_size - 1) / batch_size;
}
