/* Debug printing of tensors. */
#include "litc/tensor.h"

void lit_tensor_fprint(FILE *f, const lit_tensor *t, const char *name, int max_items) {
    lit_tensor_check(t, "lit_tensor_print");
    if (max_items <= 0) max_items = 64;
    fprintf(f, "%s%s%s %s%s [", name ? name : "", name ? ": " : "", lit_dtype_name(t->dtype), LIT_SHAPE_STR(t),
            t->requires_grad ? " requires_grad" : "");
    int64_t n = t->numel < max_items ? t->numel : max_items;
    for (int64_t k = 0; k < n; k++) {
        double v = lit_get_flat(t, k);
        if (lit_dtype_is_float(t->dtype))
            fprintf(f, k ? ", %.6g" : "%.6g", v);
        else
            fprintf(f, k ? ", %lld" : "%lld", (long long)v);
    }
    fprintf(f, "%s]\n", t->numel > n ? ", ..." : "");
}

void lit_tensor_print(const lit_tensor *t, const char *name) { lit_tensor_fprint(stdout, t, name, 0); }
