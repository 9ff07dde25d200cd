/* fuzz/fuzz-checkpoint.c — libFuzzer target for the checkpoint loader.
 *
 * Every input goes through lit_checkpoint_load_buffer. The fuzz build
 * (FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION) does not refuse a checksum
 * mismatch, so mutated inputs reach the metadata's JSON and the value tree
 * instead of stopping at the checksum. On success every tensor is viewed
 * and copied out, every top-level value is dumped back to JSON and read
 * with each typed getter; on failure the status must be one of the loader's
 * documented errors with a message. Violations abort. Run by the CTest test
 * fuzz-checkpoint (add_litc_fuzzer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/checkpoint.h"

#define REQUIRE(cond)                                                                   \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "fuzz-checkpoint: %s failed (line %d)\n", #cond, __LINE__); \
            abort();                                                                    \
        }                                                                               \
    } while (0)

static void touch_values(lit_checkpoint *ck) {
    int n = lit_checkpoint_key_count(ck, "");
    REQUIRE(n >= 0);
    for (int i = 0; i < n; i++) {
        const char *key = lit_checkpoint_key_at(ck, "", i);
        char *json = NULL;
        /* The loader refuses top-level keys a dotted path cannot name. */
        REQUIRE(key[0] && !strchr(key, '.'));
        REQUIRE(lit_checkpoint_get_json(ck, key, &json) == LIT_OK);
        free(json);
        int64_t iv;
        uint64_t uv;
        double dv;
        const char *sv;
        (void)lit_checkpoint_get_int(ck, key, &iv);
        (void)lit_checkpoint_get_uint(ck, key, &uv);
        (void)lit_checkpoint_get_double(ck, key, &dv);
        (void)lit_checkpoint_get_string(ck, key, &sv);
        if (lit_checkpoint_enter_scope(ck, key) == LIT_OK) {
            (void)lit_checkpoint_key_count(ck, "");
            lit_checkpoint_pop_scope(ck);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lit_checkpoint *ck = NULL;
    lit_status rc = lit_checkpoint_load_buffer(&ck, data, size, "fuzz");
    if (rc != LIT_OK) {
        REQUIRE(ck == NULL);
        REQUIRE(rc == LIT_ERR_CORRUPT || rc == LIT_ERR_UNSUPPORTED || rc == LIT_ERR_NOMEM);
        REQUIRE(lit_last_error()[0] != 0);
        return 0;
    }
    for (int i = 0; i < lit_checkpoint_tensor_count(ck); i++) {
        const char *name = lit_checkpoint_tensor_name(ck, i);
        lit_dtype dt;
        int ndim;
        int64_t shape[LIT_MAX_DIMS];
        REQUIRE(lit_checkpoint_tensor_info(ck, name, &dt, &ndim, shape));
        lit_tensor *v = lit_checkpoint_tensor_view(ck, name);
        REQUIRE(v != NULL && v->ndim == ndim && v->dtype == dt);
        if (v->numel > 0 && v->numel < (1 << 20)) {
            lit_tensor *dst = lit_tensor_new(NULL, dt, ndim, shape);
            REQUIRE(dst != NULL);
            REQUIRE(lit_checkpoint_read_tensor(ck, name, dst) == LIT_OK);
            REQUIRE(memcmp(dst->data, v->data, (size_t)v->numel * lit_dtype_size(dt)) == 0);
            lit_tensor_free(dst);
        }
    }
    touch_values(ck);
    lit_checkpoint_free(ck);
    return 0;
}
