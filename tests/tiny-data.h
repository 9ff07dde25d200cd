/*
 * tests/tiny-data.h — the tiny in-memory regression dataset the Trainer
 * tests train on: sample i is {"x": f32[D_IN], "y": f32[1]}, its values
 * given by tiny_sample(i, x, y), which the including test defines (with
 * D_IN) to fit the numbers it checks; the dataset's user pointer is the
 * int64_t sample count. tiny_linear_sample is the usual one: x from a small
 * integer hash, y = x.w* + 0.5.
 *
 *     #define D_IN 4
 *     #include "tiny-data.h"
 *     static void tiny_sample(int64_t i, float *x, float *y) { tiny_linear_sample(i, D_IN, x, y); }
 *     ... lit_dataloader *dl = tiny_loader(&n, 2, NULL);
 *
 * Header-only (static inline); include after harness.h.
 */
#ifndef LITC_TESTS_TINY_DATA_H
#define LITC_TESTS_TINY_DATA_H

#include <stdint.h>

#include "harness.h"

#ifndef D_IN
#error "define D_IN (the width of x) before including tiny-data.h"
#endif

/* Sample i's x[D_IN] and y[1]: defined by the including test. */
static void tiny_sample(int64_t i, float *x, float *y);

/* x[k] = ((7i + 3k) mod 11 - 5) / 5, y = 0.5 + sum_k x[k] (k + 1) / 4. */
static inline void tiny_linear_sample(int64_t i, int d, float *x, float *y) {
    float t = 0.5f;
    for (int k = 0; k < d; k++) {
        x[k] = (float)(((i * 7 + k * 3) % 11) - 5) / 5.0f;
        t += x[k] * (float)(k + 1) * 0.25f;
    }
    *y = t;
}

static inline lit_status tiny_get(void *user, int64_t i, lit_sample *out, lit_arena *a) {
    (void)user;
    lit_tensor *x = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){ D_IN }, 1);
    lit_tensor *y = lit__tensor_alloc(a, LIT_F32, 1, (const int64_t[]){ 1 }, 1);
    tiny_sample(i, lit_f32(x), lit_f32(y));
    out->n = 2;
    out->fields[0] = (lit_field){ .name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x };
    out->fields[1] = (lit_field){ .name = "y", .kind = LIT_FIELD_TENSOR, .tensor = y };
    return LIT_OK;
}
static inline int64_t tiny_len(void *user) { return *(int64_t *)user; }

/* A loader over the *n samples in batches of batch_size; the other
 * settings from p (NULL: the defaults). n must outlive the loader. */
static inline lit_dataloader *tiny_loader(int64_t *n, int64_t batch_size, const lit_dataloader_params *p) {
    lit_dataset ds = { .version = LIT_DATASET_VERSION, .len = tiny_len, .get = tiny_get, .user = n };
    lit_dataloader_params q = p ? *p : lit_dataloader_default_params();
    q.batch_size = batch_size;
    return lit_dataloader_new(&ds, &q);
}

#endif
