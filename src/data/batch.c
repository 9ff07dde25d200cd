/* lit_batch field lookup. */
#include <stdio.h>
#include <string.h>

#include "litc/data.h"

static int field_index(const lit_batch *b, const char *name) {
    for (int i = 0; i < b->n; i++)
        if (b->names[i] && strcmp(b->names[i], name) == 0) return i;
    return -1;
}

lit_tensor *lit_batch_find(const lit_batch *b, const char *name) {
    LIT_ASSERT(b && name, "lit_batch_find: batch or name is NULL");
    int i = field_index(b, name);
    return i < 0 ? NULL : b->tensors[i];
}

lit_tensor *lit_batch_get(const lit_batch *b, const char *name) {
    LIT_ASSERT(b && name, "lit_batch_get: batch or name is NULL");
    int i = field_index(b, name);
    if (i < 0) {
        char have[512] = "";
        size_t len = 0;
        for (int k = 0; k < b->n && len + 1 < sizeof have; k++) {
            int w = snprintf(have + len, sizeof have - len, "%s'%s'", k ? ", " : "", b->names[k] ? b->names[k] : "?");
            if (w < 0) break;
            len += (size_t)w;
        }
        lit_panic("lit_batch_get: the batch has no field '%s' (fields: %s); check the dataset's field names or use "
                  "lit_batch_find for optional fields",
                  name, b->n ? have : "none");
    }
    LIT_ASSERT(b->tensors[i], "lit_batch_get: field '%s' is a string field (no tensor); read b->strings[%d]", name, i);
    return b->tensors[i];
}

const char **lit_batch_strings(const lit_batch *b, const char *name) {
    LIT_ASSERT(b && name, "lit_batch_strings: batch or name is NULL");
    int i = field_index(b, name);
    return i < 0 ? NULL : b->strings[i];
}
