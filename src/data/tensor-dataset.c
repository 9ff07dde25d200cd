/*
 * lit_tensor_dataset (PyTorch's TensorDataset): sample i is row i of each
 * borrowed tensor. get() hands out views of the rows, made in the batch
 * arena; the collate copies them into the batch.
 */
#include <string.h>

#include "litc/data.h"

static lit_status check_fields(int n, const char *const names[], lit_tensor *const tensors[]) {
    if (n < 1 || n > LIT_SAMPLE_MAX_FIELDS)
        return lit_set_error(LIT_ERR_INVALID_ARG, "tensor dataset: %d tensors; pass 1..%d (LIT_SAMPLE_MAX_FIELDS)", n,
                             LIT_SAMPLE_MAX_FIELDS);
    if (!names || !tensors)
        return lit_set_error(LIT_ERR_INVALID_ARG, "tensor dataset: names or tensors is NULL; pass %d of each", n);
    for (int j = 0; j < n; j++) {
        if (!names[j]) return lit_set_error(LIT_ERR_INVALID_ARG, "tensor dataset: name %d is NULL", j);
        for (int k = 0; k < j; k++)
            if (strcmp(names[k], names[j]) == 0)
                return lit_set_error(LIT_ERR_INVALID_ARG,
                                     "tensor dataset: tensors %d and %d are both named '%s'; field names must differ",
                                     k, j, names[j]);
        const lit_tensor *t = tensors[j];
        if (!t) return lit_set_error(LIT_ERR_INVALID_ARG, "tensor dataset: tensor %d ('%s') is NULL", j, names[j]);
        lit_tensor_check(t, "lit_tensor_dataset_init");
        if (t->ndim < 1)
            return lit_set_error(LIT_ERR_INVALID_ARG,
                                 "tensor dataset: tensor '%s' is 0-d; each tensor needs a dim 0 of rows (samples)",
                                 names[j]);
        if (t->shape[0] != tensors[0]->shape[0])
            return lit_set_error(LIT_ERR_INVALID_ARG,
                                 "tensor dataset: tensor '%s' has shape %s but '%s' has shape %s; every tensor needs "
                                 "the same dim 0 (one row per sample)",
                                 names[j], LIT_SHAPE_STR(t), names[0], LIT_SHAPE_STR(tensors[0]));
    }
    return LIT_OK;
}

lit_status lit_tensor_dataset_init(lit_tensor_dataset *td, int n, const char *const names[],
                                   lit_tensor *const tensors[]) {
    LIT_ASSERT(td, "lit_tensor_dataset_init: td is NULL");
    LIT_TRY(check_fields(n, names, tensors));
    memset(td, 0, sizeof *td);
    td->n = n;
    for (int j = 0; j < n; j++) {
        td->names[j] = names[j];
        td->tensors[j] = tensors[j];
    }
    td->rows = tensors[0]->shape[0];
    return LIT_OK;
}

static int64_t tensor_ds_len(void *user) { return ((const lit_tensor_dataset *)user)->rows; }

/* Row i of src as a view whose header lives in `arena`. */
static lit_tensor *row_view(const lit_tensor *src, int64_t i, lit_arena *arena) {
    lit_tensor *v = lit__tensor_alloc(arena, src->dtype, src->ndim - 1, src->shape + 1, 0);
    if (!v) return NULL;
    for (int d = 1; d < src->ndim; d++) v->stride[d - 1] = src->stride[d];
    v->data = (unsigned char *)src->data + (size_t)(i * src->stride[0]) * lit_dtype_size(src->dtype);
    v->base = src->base ? src->base : (lit_tensor *)src;
    return v;
}

static lit_status tensor_ds_get(void *user, int64_t i, lit_sample *out, lit_arena *arena) {
    const lit_tensor_dataset *td = user;
    if (i < 0 || i >= td->rows)
        return lit_set_error(LIT_ERR_INVALID_ARG, "tensor dataset: index %lld is outside 0..%lld", (long long)i,
                             (long long)td->rows - 1);
    out->n = td->n;
    for (int j = 0; j < td->n; j++) {
        lit_tensor *v = row_view(td->tensors[j], i, arena);
        if (!v) return LIT_ERR_NOMEM; /* lit__tensor_alloc set the message */
        out->fields[j] = (lit_field){.name = td->names[j], .kind = LIT_FIELD_TENSOR, .tensor = v};
    }
    return LIT_OK;
}

lit_dataset lit_tensor_dataset_as_dataset(lit_tensor_dataset *td) {
    LIT_ASSERT(td && td->n >= 1, "lit_tensor_dataset_as_dataset: td is NULL or not initialised "
               "(lit_tensor_dataset_init)");
    return (lit_dataset){.version = LIT_DATASET_VERSION, .len = tensor_ds_len, .get = tensor_ds_get, .user = td};
}
