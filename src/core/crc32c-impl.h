/* src/core/crc32c-impl.h — the two CRC-32C implementations behind
 * lit_crc32c (core.h), exposed so tests can check that they agree, and
 * the join of two CRCs. */
#ifndef LITC_CRC32C_IMPL_H
#define LITC_CRC32C_IMPL_H

#include <stddef.h>
#include <stdint.h>

/* Same contract as lit_crc32c. */
uint32_t lit__crc32c_sw(uint32_t crc, const void *data, size_t n);
/* The SSE4.2 path; call only when lit__crc32c_hw_available() is 1. */
uint32_t lit__crc32c_hw(uint32_t crc, const void *data, size_t n);
/* lit_crc32c(0, a b) from lit_crc32c(0, a), lit_crc32c(0, b) and b's
 * length, so pieces can be summed in any order (by several threads) and
 * joined in theirs. */
uint32_t lit__crc32c_combine(uint32_t crc_a, uint32_t crc_b, uint64_t len_b);
/* 1 when this build and this CPU have the SSE4.2 crc32 instruction. */
int lit__crc32c_hw_available(void);

#endif
