/*
 * Philox4x32-10 counter-based generator (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC'11). Block i of a stream is a pure
 * function of (seed, i); the stream state is (seed, next block).
 */
#include <math.h>

#include "litc/core.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

static inline uint32_t mulhilo(uint32_t a, uint32_t b, uint32_t *hi) {
    uint64_t p = (uint64_t)a * b;
    *hi = (uint32_t)(p >> 32);
    return (uint32_t)p;
}

void lit_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]) {
    uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
    uint32_t k0 = key[0], k1 = key[1];
    for (int round = 0; round < 10; round++) {
        uint32_t hi0, hi1;
        uint32_t lo0 = mulhilo(PHILOX_M0, c0, &hi0);
        uint32_t lo1 = mulhilo(PHILOX_M1, c2, &hi1);
        uint32_t n0 = hi1 ^ c1 ^ k0, n1 = lo1, n2 = hi0 ^ c3 ^ k1, n3 = lo0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += PHILOX_W0;
        k1 += PHILOX_W1;
    }
    out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

void lit_philox4x32(uint64_t seed, uint64_t counter, uint32_t out[4]) {
    const uint32_t ctr[4] = {(uint32_t)counter, (uint32_t)(counter >> 32), 0, 0};
    const uint32_t key[2] = {(uint32_t)seed, (uint32_t)(seed >> 32)};
    lit_philox4x32_10(ctr, key, out);
}

lit_rng lit_rng_new(uint64_t seed) { return (lit_rng){.seed = seed, .counter = 0}; }

void lit_rng_fill_u32(lit_rng *rng, uint32_t *out, size_t n) {
    uint32_t block[4];
    size_t i = 0;
    while (i < n) {
        lit_philox4x32(rng->seed, rng->counter++, block);
        for (int j = 0; j < 4 && i < n; j++) out[i++] = block[j];
    }
}

/* 24 random bits -> [0, 1) exactly representable in f32. */
static inline float u32_to_unit_float(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }

void lit_rng_fill_uniform(lit_rng *rng, float *out, size_t n, float lo, float hi) {
    uint32_t block[4];
    size_t i = 0;
    while (i < n) {
        lit_philox4x32(rng->seed, rng->counter++, block);
        for (int j = 0; j < 4 && i < n; j++) out[i++] = lo + (hi - lo) * u32_to_unit_float(block[j]);
    }
}

void lit_rng_fill_normal(lit_rng *rng, float *out, size_t n, float mean, float std) {
    uint32_t block[4];
    size_t i = 0;
    while (i < n) {
        lit_philox4x32(rng->seed, rng->counter++, block);
        for (int j = 0; j < 4 && i < n; j += 2) {
            /* Box-Muller on a pair; u1 in (0, 1] so log is finite. */
            double u1 = ((double)block[j] + 1.0) / 4294967296.0;
            double u2 = (double)block[j + 1] / 4294967296.0;
            double r = sqrt(-2.0 * log(u1));
            out[i++] = mean + std * (float)(r * cos(2.0 * M_PI * u2));
            if (i < n) out[i++] = mean + std * (float)(r * sin(2.0 * M_PI * u2));
        }
    }
}

uint32_t lit_rng_u32(lit_rng *rng) {
    uint32_t block[4];
    lit_philox4x32(rng->seed, rng->counter++, block);
    return block[0];
}

double lit_rng_uniform(lit_rng *rng) {
    uint32_t block[4];
    lit_philox4x32(rng->seed, rng->counter++, block);
    uint64_t bits = ((uint64_t)block[0] << 21) ^ (uint64_t)block[1]; /* 53 bits */
    return (double)(bits & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

uint64_t lit_rng_below(lit_rng *rng, uint64_t n) {
    if (n <= 1) return 0;
    /* Rejection sampling on 64-bit words: unbiased. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    for (;;) {
        uint32_t block[4];
        lit_philox4x32(rng->seed, rng->counter++, block);
        uint64_t x = ((uint64_t)block[0] << 32) | block[1];
        if (x < limit) return x % n;
    }
}

static lit_rng global_rng = {.seed = 0, .counter = 0};

lit_rng *lit_rng_global(void) { return &global_rng; }

void lit_manual_seed(uint64_t seed) { global_rng = lit_rng_new(seed); }
