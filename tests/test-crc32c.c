/* core: lit_crc32c — RFC 3720 (iSCSI) test vectors, chaining, and the
 * software and SSE4.2 paths agreeing on random lengths and alignments. */
#include "harness.h"

#include "core/crc32c-impl.h"

TEST(rfc3720_vectors) {
    uint8_t buf[32];
    memset(buf, 0, sizeof buf);
    CHECK_EQ_INT(lit_crc32c(0, buf, 32), 0x8A9136AAu);
    CHECK_EQ_INT(lit__crc32c_sw(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xFF, sizeof buf);
    CHECK_EQ_INT(lit_crc32c(0, buf, 32), 0x62A8AB43u);
    CHECK_EQ_INT(lit__crc32c_sw(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)i; /* incrementing */
    CHECK_EQ_INT(lit_crc32c(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++) buf[i] = (uint8_t)(31 - i); /* decrementing */
    CHECK_EQ_INT(lit_crc32c(0, buf, 32), 0x113FDB5Cu);
    CHECK_EQ_INT(lit_crc32c(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_INT(lit__crc32c_sw(0, "123456789", 9), 0xE3069283u);
    CHECK_EQ_INT(lit_crc32c(0, "", 0), 0);
    CHECK_EQ_INT(lit_crc32c(0x12345678u, NULL, 0), 0x12345678u); /* n = 0: unchanged, NULL allowed */
    if (lit__crc32c_hw_available()) {
        CHECK_EQ_INT(lit__crc32c_hw(0, "123456789", 9), 0xE3069283u);
        printf("  sse4.2 path: available\n");
    } else {
        printf("  sse4.2 path: not available on this CPU (software only)\n");
    }
}

TEST(incremental_equals_one_shot) {
    uint8_t buf[1000];
    lit_rng rng = lit_rng_new(5);
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)lit_rng_u32(&rng);
    uint32_t whole = lit_crc32c(0, buf, sizeof buf);
    CHECK_EQ_INT(whole, lit__crc32c_sw(0, buf, sizeof buf));
    for (size_t cut = 0; cut <= sizeof buf; cut += 37) {
        uint32_t c = lit_crc32c(0, buf, cut);
        c = lit_crc32c(c, buf + cut, sizeof buf - cut);
        CHECK_EQ_INT(c, whole);
        uint32_t s = lit__crc32c_sw(lit__crc32c_sw(0, buf, cut), buf + cut, sizeof buf - cut);
        CHECK_EQ_INT(s, whole);
    }
    /* byte by byte */
    uint32_t c = 0;
    for (size_t i = 0; i < sizeof buf; i++) c = lit_crc32c(c, buf + i, 1);
    CHECK_EQ_INT(c, whole);
}

TEST(paths_agree_random_lengths_alignments) {
    enum { MAX = 4096 };
    static uint8_t buf[MAX + 64];
    lit_rng rng = lit_rng_new(11);
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (uint8_t)lit_rng_u32(&rng);
    int hw = lit__crc32c_hw_available();
    int bad = 0;
    for (int it = 0; it < 2000; it++) {
        size_t off = lit_rng_below(&rng, 64);
        size_t len = it < 64 ? (size_t)it : lit_rng_below(&rng, MAX);
        uint32_t seed = it & 1 ? lit_rng_u32(&rng) : 0;
        uint32_t s = lit__crc32c_sw(seed, buf + off, len);
        uint32_t d = lit_crc32c(seed, buf + off, len);
        uint32_t h = hw ? lit__crc32c_hw(seed, buf + off, len) : s;
        if (s != d || s != h) {
            if (bad++ < 5) HARNESS_FAIL_("off %zu len %zu seed %08x: sw %08x dispatch %08x hw %08x", off, len, seed, s, d, h);
        }
        harness_checks_++;
    }
}

/* Inputs of three 8 KiB blocks and more take the SSE4.2 path's three
 * interleaved streams, joined by shifting; their CRC must be the plain one,
 * at every length around the block multiples and from any alignment. */
TEST(long_inputs_paths_agree) {
    enum { MAX = 200000 };
    uint8_t *buf = malloc(MAX + 64);
    CHECK(buf != NULL);
    if (!buf) return;
    lit_rng rng = lit_rng_new(17);
    for (size_t i = 0; i < MAX + 64; i++) buf[i] = (uint8_t)lit_rng_u32(&rng);
    const size_t lens[] = {24575, 24576, 24577, 24583, 24584, 49152, 49159, 73728, 98303, 131072, MAX};
    int bad = 0;
    for (int it = 0; it < 60; it++) {
        size_t off = lit_rng_below(&rng, 64);
        size_t len = it < 11 ? lens[it] : 24576 + lit_rng_below(&rng, MAX - 24576);
        uint32_t seed = it & 1 ? lit_rng_u32(&rng) : 0;
        uint32_t s = lit__crc32c_sw(seed, buf + off, len), d = lit_crc32c(seed, buf + off, len);
        if (s != d && bad++ < 5) HARNESS_FAIL_("off %zu len %zu seed %08x: sw %08x dispatch %08x", off, len, seed, s, d);
        harness_checks_++;
    }
    /* a known value: 1 MiB of 0xFF */
    uint8_t *ff = malloc(1 << 20);
    CHECK(ff != NULL);
    if (ff) {
        memset(ff, 0xFF, 1 << 20);
        CHECK_EQ_INT(lit_crc32c(0, ff, 1 << 20), lit__crc32c_sw(0, ff, 1 << 20));
    }
    free(ff);
    free(buf);
}

/* Joining CRCs of pieces gives the CRC of the whole, at any cut. */
TEST(combine_joins_pieces) {
    enum { N = 70000 };
    uint8_t *buf = malloc(N);
    CHECK(buf != NULL);
    if (!buf) return;
    lit_rng rng = lit_rng_new(23);
    for (size_t i = 0; i < N; i++) buf[i] = (uint8_t)lit_rng_u32(&rng);
    uint32_t whole = lit__crc32c_sw(0, buf, N);
    const size_t cuts[] = {0, 1, 7, 8, 4096, 24576, 40000, N - 1, N};
    for (size_t k = 0; k < sizeof cuts / sizeof cuts[0]; k++) {
        size_t cut = cuts[k];
        uint32_t a = lit_crc32c(0, buf, cut), b = lit_crc32c(0, buf + cut, N - cut);
        CHECK_EQ_INT(lit__crc32c_combine(a, b, N - cut), whole);
    }
    CHECK_EQ_INT(lit__crc32c_combine(0x12345678u, 0, 0), 0x12345678u);
    free(buf);
}

int main(void) {
    RUN(rfc3720_vectors);
    RUN(incremental_equals_one_shot);
    RUN(paths_agree_random_lengths_alignments);
    RUN(long_inputs_paths_agree);
    RUN(combine_joins_pieces);
    return harness_summary();
}
