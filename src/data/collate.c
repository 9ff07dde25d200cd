/*
 * The default collate: stack tensor fields into (B, ...), integer fields into
 * an i64 (B) tensor, float fields into an f32 (B) tensor, strings into an
 * array of B pointers. All tensors and arrays go into out->arena.
 */
#include <stdio.h>
#include <string.h>

#include "litc/data.h"

static const char *kind_name(lit_field_kind k) {
    switch (k) {
    case LIT_FIELD_TENSOR: return "tensor";
    case LIT_FIELD_INT: return "int";
    case LIT_FIELD_FLOAT: return "float";
    case LIT_FIELD_STRING: return "string";
    }
    return "unknown";
}

static void shape_str(const lit_tensor *t, char *buf, size_t n) { lit_shape_str(t, buf, n); }

/* "sample 3 (dataset index 17)" */
static const char *sample_str(const lit_sample *s, int64_t j, char *buf, size_t n) {
    if (s->index >= 0)
        snprintf(buf, n, "sample %lld (dataset index %lld)", (long long)j, (long long)s->index);
    else
        snprintf(buf, n, "sample %lld", (long long)j);
    return buf;
}

static lit_status check_samples(const lit_sample *samples, int64_t n) {
    const lit_sample *s0 = &samples[0];
    char who[96], who0[96];
    if (s0->n < 0 || s0->n > LIT_SAMPLE_MAX_FIELDS)
        return lit_set_error(LIT_ERR_DATA, "collate: %s has %d fields; a sample has 0..%d",
                             sample_str(s0, 0, who, sizeof who), s0->n, LIT_SAMPLE_MAX_FIELDS);
    for (int f = 0; f < s0->n; f++) {
        const lit_field *a = &s0->fields[f];
        if (!a->name)
            return lit_set_error(LIT_ERR_DATA, "collate: field %d of %s has no name", f,
                                 sample_str(s0, 0, who, sizeof who));
        if (a->kind == LIT_FIELD_TENSOR && !a->tensor)
            return lit_set_error(LIT_ERR_DATA, "collate: tensor field '%s' of %s is NULL", a->name,
                                 sample_str(s0, 0, who, sizeof who));
        if ((unsigned)a->kind > LIT_FIELD_STRING)
            return lit_set_error(LIT_ERR_DATA, "collate: field '%s' of %s has unknown kind %d", a->name,
                                 sample_str(s0, 0, who, sizeof who), (int)a->kind);
    }
    for (int64_t j = 1; j < n; j++) {
        const lit_sample *s = &samples[j];
        sample_str(s, j, who, sizeof who);
        sample_str(s0, 0, who0, sizeof who0);
        if (s->n != s0->n)
            return lit_set_error(LIT_ERR_DATA, "collate: %s has %d fields but %s has %d", who, s->n, who0, s0->n);
        for (int f = 0; f < s0->n; f++) {
            const lit_field *a = &s0->fields[f], *b = &s->fields[f];
            if (!b->name || strcmp(a->name, b->name) != 0)
                return lit_set_error(LIT_ERR_DATA, "collate: field %d of %s is named '%s' but in %s it is '%s'", f,
                                     who, b->name ? b->name : "(null)", who0, a->name);
            if (b->kind != a->kind)
                return lit_set_error(LIT_ERR_DATA, "collate: field '%s' of %s is a %s but in %s it is a %s", a->name,
                                     who, kind_name(b->kind), who0, kind_name(a->kind));
            if (a->kind != LIT_FIELD_TENSOR) continue;
            if (!b->tensor)
                return lit_set_error(LIT_ERR_DATA, "collate: tensor field '%s' of %s is NULL", a->name, who);
            char sa[96], sb[96];
            shape_str(a->tensor, sa, sizeof sa);
            shape_str(b->tensor, sb, sizeof sb);
            if (!lit_same_shape(a->tensor, b->tensor))
                return lit_set_error(LIT_ERR_DATA,
                                     "collate: field '%s' of %s has shape %s but %s has shape %s; samples must agree "
                                     "in shape (pass a collate_fn that pads)",
                                     a->name, who, sb, who0, sa);
            if (a->tensor->dtype != b->tensor->dtype)
                return lit_set_error(LIT_ERR_DATA, "collate: field '%s' of %s has dtype %s but %s has dtype %s",
                                     a->name, who, lit_dtype_name(b->tensor->dtype), who0,
                                     lit_dtype_name(a->tensor->dtype));
        }
    }
    return LIT_OK;
}

lit_status lit_default_collate(const lit_sample *samples, int64_t n, lit_batch *out, void *user) {
    (void)user;
    LIT_ASSERT(out && out->arena, "lit_default_collate: out or out->arena is NULL; set out->arena to the batch arena");
    if (n < 1 || !samples) return lit_set_error(LIT_ERR_DATA, "collate: empty batch (%lld samples)", (long long)n);
    LIT_TRY(check_samples(samples, n));
    lit_arena *a = out->arena;
    const lit_sample *s0 = &samples[0];
    out->n = s0->n;
    out->size = n;
    for (int f = 0; f < s0->n; f++) {
        const lit_field *fld = &s0->fields[f];
        out->names[f] = fld->name;
        out->tensors[f] = NULL;
        out->strings[f] = NULL;
        switch (fld->kind) {
        case LIT_FIELD_TENSOR: {
            const lit_tensor *t0 = fld->tensor;
            int64_t shape[LIT_MAX_DIMS];
            if (t0->ndim + 1 > LIT_MAX_DIMS)
                return lit_set_error(LIT_ERR_DATA, "collate: field '%s' has %d dims; stacking needs at most %d",
                                     fld->name, t0->ndim, LIT_MAX_DIMS - 1);
            shape[0] = n;
            for (int d = 0; d < t0->ndim; d++) shape[d + 1] = t0->shape[d];
            lit_tensor *t = lit__tensor_alloc(a, t0->dtype, t0->ndim + 1, shape, 1);
            if (!t) return LIT_ERR_NOMEM;
            size_t row = (size_t)t0->numel * lit_dtype_size(t0->dtype);
            for (int64_t j = 0; j < n; j++) {
                const lit_tensor *src = samples[j].fields[f].tensor;
                lit_tensor_check(src, "lit_default_collate");
                unsigned char *dst = (unsigned char *)t->data + (size_t)j * row;
                if (lit_is_contiguous(src)) {
                    if (row) memcpy(dst, src->data, row);
                } else {
                    /* A view as the destination row; copy_ walks the strides. */
                    lit_tensor rowt = *t0;
                    rowt.magic = LIT_TENSOR_MAGIC;
                    rowt.arena = a;
                    rowt.generation = lit_arena_generation(a);
                    rowt.data = dst;
                    rowt.base = t;
                    rowt.grad = rowt.grad_spare = NULL;
                    rowt.grad_fn = NULL;
                    rowt.requires_grad = 0;
                    int64_t st = 1;
                    for (int d = rowt.ndim - 1; d >= 0; d--) {
                        rowt.stride[d] = st;
                        st *= rowt.shape[d];
                    }
                    lit_tensor_copy_(&rowt, src);
                }
            }
            out->tensors[f] = t;
            break;
        }
        case LIT_FIELD_INT: {
            lit_tensor *t = lit__tensor_alloc(a, LIT_I64, 1, (int64_t[]){n}, 1);
            if (!t) return LIT_ERR_NOMEM;
            int64_t *p = t->data;
            for (int64_t j = 0; j < n; j++) p[j] = samples[j].fields[f].i;
            out->tensors[f] = t;
            break;
        }
        case LIT_FIELD_FLOAT: {
            lit_tensor *t = lit__tensor_alloc(a, LIT_F32, 1, (int64_t[]){n}, 1);
            if (!t) return LIT_ERR_NOMEM;
            float *p = t->data;
            for (int64_t j = 0; j < n; j++) p[j] = (float)samples[j].fields[f].f;
            out->tensors[f] = t;
            break;
        }
        case LIT_FIELD_STRING: {
            const char **p = lit_arena_try_alloc(a, (size_t)n * sizeof *p);
            if (!p) return LIT_ERR_NOMEM;
            for (int64_t j = 0; j < n; j++) p[j] = samples[j].fields[f].s;
            out->strings[f] = p;
            break;
        }
        }
    }
    return LIT_OK;
}
