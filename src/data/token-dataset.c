/*
 * lit_token_dataset: a flat i32/i64 token array cut into (x, y) windows of
 * block_size tokens, y shifted by one (data.h). get() copies (and widens) the
 * window into i64 tensors in the batch arena: the array itself is never
 * written, so it may be read-only memory.
 */
#include <stdlib.h>
#include <string.h>

#include "litc/data.h"

static lit_status check_tokens(const void *tokens, lit_dtype dtype, int64_t n_tokens, int64_t block_size,
                               int64_t stride) {
    if (!tokens) return lit_set_error(LIT_ERR_INVALID_ARG, "token dataset: tokens is NULL");
    if (dtype != LIT_I32 && dtype != LIT_I64)
        return lit_set_error(LIT_ERR_INVALID_ARG, "token dataset: tokens are %s; pass an i32 or i64 array (LIT_I32, "
                             "LIT_I64)", dtype >= 0 && dtype < LIT_DTYPE_COUNT ? lit_dtype_name(dtype) : "unknown");
    if (n_tokens < 0)
        return lit_set_error(LIT_ERR_INVALID_ARG, "token dataset: n_tokens is %lld; pass >= 0", (long long)n_tokens);
    if (block_size < 1)
        return lit_set_error(LIT_ERR_INVALID_ARG, "token dataset: block_size is %lld; pass >= 1 (the window length T)",
                             (long long)block_size);
    if (stride < 0)
        return lit_set_error(LIT_ERR_INVALID_ARG, "token dataset: stride is %lld; pass >= 1, or 0 for block_size",
                             (long long)stride);
    /* n_tokens < block_size + 1, written so that it cannot overflow */
    if (n_tokens <= block_size)
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "token dataset: %lld tokens are too few for one window of block_size %lld (x and y need "
                             "block_size + 1 = %llu tokens); pass more tokens or a smaller block_size",
                             (long long)n_tokens, (long long)block_size, (unsigned long long)block_size + 1);
    return LIT_OK;
}

lit_status lit_token_dataset_init(lit_token_dataset *td, const void *tokens, lit_dtype dtype, int64_t n_tokens,
                                  int64_t block_size, int64_t stride, int take_ownership) {
    LIT_ASSERT(td, "lit_token_dataset_init: td is NULL");
    memset(td, 0, sizeof *td);
    lit_status st = check_tokens(tokens, dtype, n_tokens, block_size, stride);
    if (st < 0) {
        if (take_ownership) free((void *)tokens); /* the dataset was handed the array */
        return st;
    }
    td->tokens = tokens;
    td->dtype = dtype;
    td->n_tokens = n_tokens;
    td->block_size = block_size;
    td->stride = stride ? stride : block_size;
    td->windows = (n_tokens - block_size - 1) / td->stride + 1;
    td->owned = take_ownership ? (void *)tokens : NULL;
    return LIT_OK;
}

void lit_token_dataset_free(lit_token_dataset *td) {
    if (!td) return;
    free(td->owned);
    memset(td, 0, sizeof *td);
}

static int64_t token_ds_len(void *user) { return ((const lit_token_dataset *)user)->windows; }

/* tokens[start : start + n] as a (n,) i64 tensor in `arena`. */
static lit_tensor *window(const lit_token_dataset *td, int64_t start, int64_t n, lit_arena *arena) {
    lit_tensor *t = lit__tensor_alloc(arena, LIT_I64, 1, &n, 1);
    if (!t) return NULL;
    int64_t *dst = t->data;
    if (td->dtype == LIT_I64) {
        memcpy(dst, (const int64_t *)td->tokens + start, (size_t)n * sizeof *dst);
    } else {
        const int32_t *src = (const int32_t *)td->tokens + start;
        for (int64_t k = 0; k < n; k++) dst[k] = src[k];
    }
    return t;
}

static lit_status token_ds_get(void *user, int64_t i, lit_sample *out, lit_arena *arena) {
    const lit_token_dataset *td = user;
    if (i < 0 || i >= td->windows)
        return lit_set_error(LIT_ERR_INVALID_ARG, "token dataset: window %lld is outside 0..%lld", (long long)i,
                             (long long)td->windows - 1);
    int64_t s = i * td->stride, T = td->block_size;
    lit_tensor *x = window(td, s, T, arena), *y = x ? window(td, s + 1, T, arena) : NULL;
    if (!y) return LIT_ERR_NOMEM; /* lit__tensor_alloc set the message */
    out->n = 2;
    out->fields[0] = (lit_field){.name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x};
    out->fields[1] = (lit_field){.name = "y", .kind = LIT_FIELD_TENSOR, .tensor = y};
    return LIT_OK;
}

lit_dataset lit_token_dataset_as_dataset(lit_token_dataset *td) {
    LIT_ASSERT(td && td->tokens, "lit_token_dataset_as_dataset: td is NULL or not initialised "
               "(lit_token_dataset_init)");
    return (lit_dataset){.version = LIT_DATASET_VERSION, .len = token_ds_len, .get = token_ds_get, .user = td};
}
