/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as iSCSI (RFC 3720),
 * ext4 and TFRecord use it. Two implementations with one contract:
 *   - software: slicing-by-8 tables (built once, thread-safe via pthread_once);
 *   - SSE4.2: the crc32 instruction, 8 bytes at a time. The function carries
 *     __attribute__((target("sse4.2"))) so the file builds without -msse4.2,
 *     and lit_crc32c picks it at run time when the CPU has the instruction.
 * The `crc` argument is a finished CRC (0 to start), so calls chain. */
#include <pthread.h>
#include <string.h>

#include "litc/core.h"
#include "core/crc32c-impl.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define LIT__CRC32C_X86 1
#include <nmmintrin.h>
#endif

#define LIT__CRC32C_POLY 0x82F63B78u

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_table_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (LIT__CRC32C_POLY & (0u - (c & 1u)));
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFFu];
}

uint32_t lit__crc32c_sw(uint32_t crc, const void *data, size_t n) {
    pthread_once(&crc_once, crc_table_init);
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
    while (n >= 8) {
        /* Little-endian assembly of the word keeps this byte-order independent. */
        uint32_t lo = c ^ ((uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24);
        uint32_t hi = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
        c = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^ crc_table[5][(lo >> 16) & 0xFF] ^
            crc_table[4][lo >> 24] ^ crc_table[3][hi & 0xFF] ^ crc_table[2][(hi >> 8) & 0xFF] ^
            crc_table[1][(hi >> 16) & 0xFF] ^ crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--) c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xFF];
    return ~c;
}

#ifdef LIT__CRC32C_X86
__attribute__((target("sse4.2"))) uint32_t lit__crc32c_hw(uint32_t crc, const void *data, size_t n) {
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
    /* Align to 8 bytes so the 64-bit loads do not straddle cache lines. */
    while (n && ((uintptr_t)p & 7u)) {
        c = _mm_crc32_u8(c, *p++);
        n--;
    }
    uint64_t c64 = c;
    while (n >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        c64 = _mm_crc32_u64(c64, w);
        p += 8;
        n -= 8;
    }
    c = (uint32_t)c64;
    while (n--) c = _mm_crc32_u8(c, *p++);
    return ~c;
}

int lit__crc32c_hw_available(void) {
    static int cached = -1; /* racing first calls store the same value */
    int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("sse4.2") ? 1 : 0;
        __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
    }
    return v;
}
#else
uint32_t lit__crc32c_hw(uint32_t crc, const void *data, size_t n) { return lit__crc32c_sw(crc, data, n); }
int lit__crc32c_hw_available(void) { return 0; }
#endif

uint32_t lit_crc32c(uint32_t crc, const void *data, size_t n) {
    if (n == 0) return crc;
    LIT_ASSERT(data != NULL, "lit_crc32c: data is NULL with n = %zu; pass a buffer of n bytes", n);
    if (lit__crc32c_hw_available()) return lit__crc32c_hw(crc, data, n);
    return lit__crc32c_sw(crc, data, n);
}
