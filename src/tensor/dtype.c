/* Element types and bf16 <-> f32 conversion. */
#include <string.h>

#include "litc/tensor.h"

size_t lit_dtype_size(lit_dtype dt) {
    switch (dt) {
    case LIT_F32: return 4;
    case LIT_BF16: return 2;
    case LIT_I32: return 4;
    case LIT_I64: return 8;
    default: break;
    }
    lit_panic("unknown dtype %d", (int)dt);
    return 0;
}

const char *lit_dtype_name(lit_dtype dt) {
    switch (dt) {
    case LIT_F32: return "f32";
    case LIT_BF16: return "bf16";
    case LIT_I32: return "i32";
    case LIT_I64: return "i64";
    default: return "unknown-dtype";
    }
}

int lit_dtype_is_float(lit_dtype dt) { return dt == LIT_F32 || dt == LIT_BF16; }

uint16_t lit_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); /* quiet NaN */
    u += 0x7fffu + ((u >> 16) & 1u); /* round to nearest, ties to even */
    return (uint16_t)(u >> 16);
}

float lit_bf16_to_f32(uint16_t b) {
    uint32_t u = (uint32_t)b << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

void lit_f32_to_bf16_n(const float *src, uint16_t *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = lit_f32_to_bf16(src[i]);
}

void lit_bf16_to_f32_n(const uint16_t *src, float *dst, size_t n) {
    for (size_t i = 0; i < n; i++) dst[i] = lit_bf16_to_f32(src[i]);
}
