/*
 * src/io/checkpoint.c — lit_checkpoint: named tensors plus a JSON value tree
 * (jansson), written as a safetensors file with an atomic replace and read
 * back with validation and a checksum. See include/litc/checkpoint.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <libgen.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/crc32c-impl.h"
#include "io/checkpoint-impl.h"
#include "litc/checkpoint.h"
#include "litc/safetensors.h"

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17))

typedef struct {
    char *name; /* owned */
    lit_dtype dtype;
    int ndim;
    int64_t shape[LIT_MAX_DIMS];
    const void *data; /* the referenced tensor's data, or inside the loaded image */
    size_t nbytes;
} entry;

struct lit_checkpoint {
    json_t *root; /* object */
    /* The scope is navigation state, not content: const checkpoints move it too. */
    json_t *scope[LIT_CHECKPOINT_MAX_SCOPE];
    int depth;
    entry *t; /* sorted by name */
    int n, cap;
    lit_safetensors *st; /* loaded: the parsed file */
    lit_arena *views;    /* tensor headers (and realigned copies) made by tensor_view */
    void *image;         /* loaded from a buffer: our copy of it */
    int format_version;
};

/* ---------------------------------------------------------------- lifetime */

lit_checkpoint *lit_checkpoint_new(void) {
    lit_checkpoint *ck = calloc(1, sizeof *ck);
    if (ck) ck->root = json_object();
    if (!ck || !ck->root) {
        free(ck);
        lit_set_error(LIT_ERR_NOMEM, "lit_checkpoint_new: out of memory");
        return NULL;
    }
    ck->format_version = LIT_CHECKPOINT_FORMAT_VERSION;
    return ck;
}

void lit_checkpoint_free(lit_checkpoint *ck) {
    if (!ck) return;
    json_decref(ck->root);
    for (int i = 0; i < ck->n; i++) free(ck->t[i].name);
    free(ck->t);
    lit_safetensors_free(ck->st);
    lit_arena_free(ck->views);
    free(ck->image);
    free(ck);
}

int lit_checkpoint_format_version(const lit_checkpoint *ck) { return ck->format_version; }

/* ---------------------------------------------------------------- tensors */

/* Index of `name`, or -(insertion point) - 1. */
static int find(const lit_checkpoint *ck, const char *name) {
    int lo = 0, hi = ck->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int c = strcmp(ck->t[mid].name, name);
        if (c == 0) return mid;
        if (c < 0) lo = mid + 1;
        else hi = mid - 1;
    }
    return -lo - 1;
}

static lit_status add_entry(lit_checkpoint *ck, const entry *e) {
    int k = find(ck, e->name);
    if (k >= 0) {
        free(ck->t[k].name);
        ck->t[k] = *e;
        return LIT_OK;
    }
    k = -k - 1;
    if (ck->n == ck->cap) {
        int cap = ck->cap ? 2 * ck->cap : 64;
        entry *g = realloc(ck->t, (size_t)cap * sizeof *g);
        if (!g) return lit_set_error(LIT_ERR_NOMEM, "checkpoint: out of memory adding tensor %s", e->name);
        ck->t = g;
        ck->cap = cap;
    }
    memmove(&ck->t[k + 1], &ck->t[k], (size_t)(ck->n - k) * sizeof *ck->t);
    ck->t[k] = *e;
    ck->n++;
    return LIT_OK;
}

lit_status lit_checkpoint_put_tensor(lit_checkpoint *ck, const char *name, const lit_tensor *t) {
    LIT_ASSERT(ck && name && t, "lit_checkpoint_put_tensor: NULL argument");
    lit_tensor_check(t, "lit_checkpoint_put_tensor");
    LIT_ASSERT(lit_is_contiguous(t), "lit_checkpoint_put_tensor(%s): the tensor must be contiguous (lit_contiguous)",
               name);
    size_t len = strlen(name);
    if (len == 0 || len > LIT_SAFETENSORS_MAX_NAME)
        return lit_set_error(LIT_ERR_INVALID_ARG, "checkpoint: tensor name of %zu bytes (1..%d)", len,
                             LIT_SAFETENSORS_MAX_NAME);
    entry e = { .dtype = t->dtype, .ndim = t->ndim, .data = t->data,
                .nbytes = (size_t)t->numel * lit_dtype_size(t->dtype) };
    memcpy(e.shape, t->shape, sizeof e.shape);
    e.name = strdup(name);
    if (!e.name) return lit_set_error(LIT_ERR_NOMEM, "checkpoint: out of memory adding tensor %s", name);
    lit_status st = add_entry(ck, &e);
    if (st < 0) free(e.name);
    return st;
}

static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape) {
    size_t L = (size_t)snprintf(buf, n, "(");
    for (int i = 0; i < ndim && L < n; i++)
        L += (size_t)snprintf(buf + L, n - L, "%s%" PRId64, i ? ", " : "", shape[i]);
    if (L < n) snprintf(buf + L, n - L, ")");
}

/* memcpy, split over the kernels' threads for a large tensor: one core does
 * not copy at the memory's speed (1.26 GiB: 0.13 s on one, 0.09 s on two). */
static void copy_bytes(void *dst, const void *src, size_t n) {
    enum { CHUNK = 4 << 20 };
#ifdef _OPENMP
    if (n >= 4 * (size_t)CHUNK && lit_get_num_threads() > 1) {
        long chunks = (long)((n + CHUNK - 1) / CHUNK);
#pragma omp parallel for schedule(static) num_threads(lit_get_num_threads())
        for (long c = 0; c < chunks; c++) {
            size_t at = (size_t)c * CHUNK;
            memcpy((char *)dst + at, (const char *)src + at, n - at < CHUNK ? n - at : CHUNK);
        }
        return;
    }
#endif
    if (n) memcpy(dst, src, n);
}

lit_status lit_checkpoint_read_tensor(const lit_checkpoint *ck, const char *name, lit_tensor *dst) {
    LIT_ASSERT(ck && name && dst, "lit_checkpoint_read_tensor: NULL argument");
    lit_tensor_check(dst, "lit_checkpoint_read_tensor");
    LIT_ASSERT(lit_is_contiguous(dst), "lit_checkpoint_read_tensor(%s): dst must be contiguous", name);
    int k = find(ck, name);
    if (k < 0) return lit_set_error(LIT_ERR_NOT_FOUND, "checkpoint has no tensor \"%s\"", name);
    const entry *e = &ck->t[k];
    if (e->dtype != dst->dtype)
        return lit_set_error(LIT_ERR_DTYPE, "checkpoint tensor \"%s\" is %s, the destination is %s", name,
                             lit_dtype_name(e->dtype), lit_dtype_name(dst->dtype));
    if (e->ndim != dst->ndim || memcmp(e->shape, dst->shape, (size_t)e->ndim * sizeof *e->shape) != 0) {
        char a[160], b[160];
        shape_text(a, sizeof a, e->ndim, e->shape);
        shape_text(b, sizeof b, dst->ndim, dst->shape);
        return lit_set_error(LIT_ERR_SHAPE, "checkpoint tensor \"%s\" has shape %s, the destination %s", name, a, b);
    }
    copy_bytes(dst->data, e->data, e->nbytes);
    return LIT_OK;
}

lit_tensor *lit_checkpoint_tensor_view(const lit_checkpoint *ck, const char *name) {
    int k = find(ck, name);
    if (k < 0) return NULL;
    const entry *e = &ck->t[k];
    lit_checkpoint *mut = (lit_checkpoint *)ck; /* the view arena is a cache, not content */
    if (!mut->views && !(mut->views = lit_arena_new("checkpoint-views", 0))) {
        lit_set_error(LIT_ERR_NOMEM, "checkpoint: out of memory viewing %s", name);
        return NULL;
    }
    size_t align = lit_dtype_size(e->dtype);
    int aligned = ((uintptr_t)e->data % align) == 0;
    lit_tensor *t = lit__tensor_alloc(mut->views, e->dtype, e->ndim, e->shape, !aligned);
    if (!t) {
        lit_set_error(LIT_ERR_NOMEM, "checkpoint: out of memory viewing %s", name);
        return NULL;
    }
    if (aligned) t->data = (void *)e->data;
    else if (e->nbytes) memcpy(t->data, e->data, e->nbytes);
    return t;
}

int lit_checkpoint_tensor_info(const lit_checkpoint *ck, const char *name, lit_dtype *dt, int *ndim, int64_t *shape) {
    int k = find(ck, name);
    if (k < 0) return 0;
    if (dt) *dt = ck->t[k].dtype;
    if (ndim) *ndim = ck->t[k].ndim;
    if (shape) memcpy(shape, ck->t[k].shape, sizeof ck->t[k].shape);
    return 1;
}

int lit_checkpoint_tensor_count(const lit_checkpoint *ck) { return ck->n; }

const char *lit_checkpoint_tensor_name(const lit_checkpoint *ck, int i) {
    LIT_ASSERT(i >= 0 && i < ck->n, "lit_checkpoint_tensor_name: index %d of %d", i, ck->n);
    return ck->t[i].name;
}

int lit_checkpoint_drop_tensors(lit_checkpoint *ck, const char *prefix) {
    size_t L = strlen(prefix);
    int kept = 0, dropped = 0;
    for (int i = 0; i < ck->n; i++) {
        if (strncmp(ck->t[i].name, prefix, L) == 0) {
            free(ck->t[i].name);
            dropped++;
        } else {
            ck->t[kept++] = ck->t[i];
        }
    }
    ck->n = kept;
    return dropped;
}

/* ---------------------------------------------------------------- value paths */

static json_t *scope_of(const lit_checkpoint *ck) { return ck->depth ? ck->scope[ck->depth - 1] : ck->root; }

/* Walk `key`'s components from the scope. With `create`, missing objects
 * are made. On success *parent is the object holding the last component,
 * copied into last (NUL-terminated). */
static lit_status walk(const lit_checkpoint *ck, const char *key, int create, json_t **parent, char *last,
                       size_t last_cap) {
    if (!key || !key[0]) return lit_set_error(LIT_ERR_INVALID_ARG, "checkpoint: empty key");
    json_t *obj = scope_of(ck);
    const char *p = key;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (len == 0 || len >= last_cap)
            return lit_set_error(LIT_ERR_INVALID_ARG, "checkpoint key \"%s\": an empty or too long component", key);
        if (!dot) {
            memcpy(last, p, len);
            last[len] = 0;
            *parent = obj;
            return LIT_OK;
        }
        char comp[256];
        if (len >= sizeof comp)
            return lit_set_error(LIT_ERR_INVALID_ARG, "checkpoint key \"%s\": a component over 255 bytes", key);
        memcpy(comp, p, len);
        comp[len] = 0;
        json_t *next = json_object_get(obj, comp);
        if (!next) {
            if (!create) return lit_set_error(LIT_ERR_NOT_FOUND, "checkpoint has no value \"%s\"", key);
            next = json_object();
            if (!next || json_object_set_new(obj, comp, next) != 0)
                return lit_set_error(LIT_ERR_NOMEM, "checkpoint: out of memory setting \"%s\"", key);
        } else if (!json_is_object(next)) {
            return lit_set_error(create ? LIT_ERR_INVALID_ARG : LIT_ERR_NOT_FOUND,
                                 "checkpoint key \"%s\": \"%s\" is not an object", key, comp);
        }
        obj = next;
        p = dot + 1;
    }
}

static lit_status set_value(lit_checkpoint *ck, const char *key, json_t *v) {
    if (!v) return lit_set_error(LIT_ERR_INVALID_ARG, "checkpoint value for \"%s\" could not be made (invalid "
                                 "UTF-8 or out of memory)", key ? key : "?");
    json_t *parent;
    char last[1024];
    lit_status st = walk(ck, key, 1, &parent, last, sizeof last);
    if (st < 0) {
        json_decref(v);
        return st;
    }
    if (json_object_set_new(parent, last, v) != 0)
        return lit_set_error(LIT_ERR_NOMEM, "checkpoint: out of memory setting \"%s\"", key);
    return LIT_OK;
}

static const json_t *get_value(const lit_checkpoint *ck, const char *key) {
    json_t *parent;
    char last[1024];
    if (walk(ck, key, 0, &parent, last, sizeof last) < 0) return NULL;
    return json_object_get(parent, last);
}

lit_status lit_checkpoint_set_int(lit_checkpoint *ck, const char *key, int64_t v) {
    return set_value(ck, key, json_integer((json_int_t)v));
}
lit_status lit_checkpoint_set_uint(lit_checkpoint *ck, const char *key, uint64_t v) {
    char text[24];
    snprintf(text, sizeof text, "%" PRIu64, v);
    return set_value(ck, key, json_string(text));
}
lit_status lit_checkpoint_set_double(lit_checkpoint *ck, const char *key, double v) {
    /* JSON has no NaN or infinity. */
    if (isnan(v)) return set_value(ck, key, json_string("nan"));
    if (isinf(v)) return set_value(ck, key, json_string(v > 0 ? "inf" : "-inf"));
    return set_value(ck, key, json_real(v));
}
lit_status lit_checkpoint_set_string(lit_checkpoint *ck, const char *key, const char *v) {
    LIT_ASSERT(v, "lit_checkpoint_set_string(%s): NULL value", key ? key : "?");
    return set_value(ck, key, json_string(v));
}
lit_status lit_checkpoint_set_json(lit_checkpoint *ck, const char *key, const char *json) {
    LIT_ASSERT(json, "lit_checkpoint_set_json(%s): NULL text", key ? key : "?");
    json_error_t err;
    json_t *v = json_loads(json, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
    if (!v)
        return lit_set_error(LIT_ERR_INVALID_ARG, "checkpoint value for \"%s\" is not valid JSON: %s (column %d)",
                             key ? key : "?", err.text, err.column);
    return set_value(ck, key, v);
}

static const char *type_name(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static lit_status found(const lit_checkpoint *ck, const char *key, const json_t **v) {
    *v = get_value(ck, key);
    if (!*v) return lit_set_error(LIT_ERR_NOT_FOUND, "checkpoint has no value \"%s\"", key);
    return LIT_OK;
}

static lit_status wrong_type(const char *key, const char *want, const json_t *v) {
    return lit_set_error(LIT_ERR_CORRUPT, "checkpoint value \"%s\" should be %s but is %s", key, want, type_name(v));
}

lit_status lit_checkpoint_get_int(const lit_checkpoint *ck, const char *key, int64_t *out) {
    const json_t *v;
    LIT_TRY(found(ck, key, &v));
    if (!json_is_integer(v)) return wrong_type(key, "an integer", v);
    *out = (int64_t)json_integer_value(v);
    return LIT_OK;
}

lit_status lit_checkpoint_get_int_range(const lit_checkpoint *ck, const char *key, int64_t min, int64_t max,
                                       int64_t *out) {
    int64_t v;
    LIT_TRY(lit_checkpoint_get_int(ck, key, &v));
    if (v < min || v > max)
        return lit_set_error(LIT_ERR_CORRUPT, "checkpoint value \"%s\" is %" PRId64 ", outside the range %" PRId64
                             "..%" PRId64 " that litc can use; the checkpoint is damaged or was not written by litc",
                             key, v, min, max);
    *out = v;
    return LIT_OK;
}

lit_status lit_checkpoint_get_uint(const lit_checkpoint *ck, const char *key, uint64_t *out) {
    const json_t *v;
    LIT_TRY(found(ck, key, &v));
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (uint64_t)json_integer_value(v);
        return LIT_OK;
    }
    if (!json_is_string(v)) return wrong_type(key, "a decimal uint64 string", v);
    const char *s = json_string_value(v);
    char *end = NULL;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (!*s || *end || errno || s[0] == '-' || s[0] == '+' || s[0] == ' ')
        return lit_set_error(LIT_ERR_CORRUPT, "checkpoint value \"%s\" should be a decimal uint64, got \"%.40s\"", key,
                             s);
    *out = x;
    return LIT_OK;
}

lit_status lit_checkpoint_get_double(const lit_checkpoint *ck, const char *key, double *out) {
    const json_t *v;
    LIT_TRY(found(ck, key, &v));
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return LIT_OK;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (!strcmp(s, "nan")) { *out = NAN; return LIT_OK; }
        if (!strcmp(s, "inf")) { *out = INFINITY; return LIT_OK; }
        if (!strcmp(s, "-inf")) { *out = -INFINITY; return LIT_OK; }
    }
    return wrong_type(key, "a number", v);
}

lit_status lit_checkpoint_get_double_range(const lit_checkpoint *ck, const char *key, double min, double max,
                                           double *out) {
    double v;
    LIT_TRY(lit_checkpoint_get_double(ck, key, &v));
    if (!(v >= min && v <= max))
        return lit_set_error(LIT_ERR_CORRUPT, "checkpoint value \"%s\" is %g, outside the range %g..%g that litc can "
                             "use; the checkpoint is damaged or was not written by litc", key, v, min, max);
    *out = v;
    return LIT_OK;
}

lit_status lit_checkpoint_get_string(const lit_checkpoint *ck, const char *key, const char **out) {
    const json_t *v;
    LIT_TRY(found(ck, key, &v));
    if (!json_is_string(v)) return wrong_type(key, "a string", v);
    *out = json_string_value(v);
    return LIT_OK;
}

lit_status lit_checkpoint_get_json(const lit_checkpoint *ck, const char *key, char **out) {
    const json_t *v;
    LIT_TRY(found(ck, key, &v));
    *out = json_dumps(v, DUMP_FLAGS);
    if (!*out) return lit_set_error(LIT_ERR_NOMEM, "checkpoint: out of memory dumping \"%s\"", key);
    return LIT_OK;
}

int lit_checkpoint_has(const lit_checkpoint *ck, const char *key) { return get_value(ck, key) != NULL; }

void lit_checkpoint_remove(lit_checkpoint *ck, const char *key) {
    json_t *parent;
    char last[1024];
    if (walk(ck, key, 0, &parent, last, sizeof last) == LIT_OK) json_object_del(parent, last);
    lit_clear_error();
}

static const json_t *object_at(const lit_checkpoint *ck, const char *key) {
    const json_t *o = key && key[0] ? get_value(ck, key) : scope_of(ck);
    return o && json_is_object(o) ? o : NULL;
}

int lit_checkpoint_key_count(const lit_checkpoint *ck, const char *key) {
    const json_t *o = object_at(ck, key);
    return o ? (int)json_object_size(o) : -1;
}

const char *lit_checkpoint_key_at(const lit_checkpoint *ck, const char *key, int i) {
    const json_t *o = object_at(ck, key);
    LIT_ASSERT(o, "lit_checkpoint_key_at: \"%s\" is not an object", key ? key : "");
    int k = 0;
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)o, name, v) {
        if (k++ == i) return name;
    }
    LIT_ASSERT(0, "lit_checkpoint_key_at: index %d of %d keys", i, k);
    return NULL;
}

/* ---------------------------------------------------------------- scopes */

static lit_status enter(lit_checkpoint *ck, const char *component, int create) {
    if (!component || !component[0])
        return lit_set_error(LIT_ERR_INVALID_ARG, "checkpoint scope: empty name");
    if (ck->depth >= LIT_CHECKPOINT_MAX_SCOPE)
        return lit_set_error(LIT_ERR_INVALID_ARG, "checkpoint scope \"%s\": deeper than %d", component,
                             LIT_CHECKPOINT_MAX_SCOPE);
    json_t *cur = scope_of(ck);
    json_t *next = json_object_get(cur, component);
    if (!next) {
        if (!create) return lit_set_error(LIT_ERR_NOT_FOUND, "checkpoint has no entry \"%s\"", component);
        next = json_object();
        if (!next || json_object_set_new(cur, component, next) != 0)
            return lit_set_error(LIT_ERR_NOMEM, "checkpoint: out of memory opening \"%s\"", component);
    } else if (!json_is_object(next)) {
        return lit_set_error(LIT_ERR_INVALID_ARG, "checkpoint scope \"%s\" is %s, not an object", component,
                             type_name(next));
    }
    ck->scope[ck->depth++] = next;
    return LIT_OK;
}

lit_status lit_checkpoint_push_scope(lit_checkpoint *ck, const char *component) { return enter(ck, component, 1); }
lit_status lit_checkpoint_enter_scope(const lit_checkpoint *ck, const char *component) {
    return enter((lit_checkpoint *)ck, component, 0);
}
void lit_checkpoint_pop_scope(const lit_checkpoint *ck) {
    LIT_ASSERT(ck->depth > 0, "lit_checkpoint_pop_scope: no scope is open");
    ((lit_checkpoint *)ck)->depth--;
}
void lit_checkpoint_reset_scope(const lit_checkpoint *ck) { ((lit_checkpoint *)ck)->depth = 0; }

/* ---------------------------------------------------------------- checksum */

static int cmp_meta(const void *a, const void *b) {
    return strcmp(((const lit_st_meta *)a)->key, ((const lit_st_meta *)b)->key);
}

static int cmp_layout(const void *a, const void *b) {
    const lit_st_tensor *x = a, *y = b;
    size_t sx = lit_dtype_size(x->dtype), sy = lit_dtype_size(y->dtype);
    if (sx != sy) return sx > sy ? -1 : 1;
    return strcmp(x->name, y->name);
}

static uint32_t crc_u64(uint32_t crc, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    return lit_crc32c(crc, b, 8);
}

/* crcs[i] = the CRC of tensors[i]'s bytes alone, over the kernels' threads
 * when there is much data: one core reading memory is the limit of the
 * crc32 instruction (1.26 GiB: 0.10 s on one thread). */
static void data_crcs(const entry *tensors, int n, uint32_t *crcs) {
#ifdef _OPENMP
    size_t total = 0;
    for (int i = 0; i < n; i++) total += tensors[i].nbytes;
    if (total >= ((size_t)32 << 20) && lit_get_num_threads() > 1) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(lit_get_num_threads())
        for (int i = 0; i < n; i++) crcs[i] = lit_crc32c(0, tensors[i].data, tensors[i].nbytes);
        return;
    }
#endif
    for (int i = 0; i < n; i++) crcs[i] = lit_crc32c(0, tensors[i].data, tensors[i].nbytes);
}

/* The definition in checkpoint.h. `tensors` are sorted by name; `meta`
 * (without "checksum") is sorted here, in place. The tensors' bytes are
 * summed first (data_crcs) and joined in order; without memory for that,
 * in one pass. */
static uint32_t checksum(const entry *tensors, int n, lit_st_meta *meta, int n_meta) {
    uint32_t crc = 0;
    uint32_t *crcs = malloc((size_t)(n ? n : 1) * sizeof *crcs);
    if (crcs) data_crcs(tensors, n, crcs);
    for (int i = 0; i < n; i++) {
        const entry *e = &tensors[i];
        crc = lit_crc32c(crc, e->name, strlen(e->name) + 1);
        const char *dt = lit_safetensors_dtype_name(e->dtype);
        crc = lit_crc32c(crc, dt, strlen(dt) + 1);
        uint8_t nd = (uint8_t)e->ndim;
        crc = lit_crc32c(crc, &nd, 1);
        for (int d = 0; d < e->ndim; d++) crc = crc_u64(crc, (uint64_t)e->shape[d]);
        crc = crc_u64(crc, (uint64_t)e->nbytes);
        crc = crcs ? lit__crc32c_combine(crc, crcs[i], e->nbytes) : lit_crc32c(crc, e->data, e->nbytes);
    }
    free(crcs);
    qsort(meta, (size_t)n_meta, sizeof *meta, cmp_meta);
    for (int i = 0; i < n_meta; i++) {
        crc = lit_crc32c(crc, meta[i].key, strlen(meta[i].key) + 1);
        crc = lit_crc32c(crc, meta[i].value, strlen(meta[i].value) + 1);
    }
    return crc;
}

/* The four metadata entries of the file format (checkpoint.h). */
static const char *const FORMAT_KEYS[] = { "format", "format_version", "litc_version", "checksum" };
#define N_FORMAT_KEYS ((int)(sizeof FORMAT_KEYS / sizeof FORMAT_KEYS[0]))

static int reserved_key(const char *k) {
    for (int i = 0; i < N_FORMAT_KEYS; i++)
        if (!strcmp(k, FORMAT_KEYS[i])) return 1;
    return 0;
}

/* ---------------------------------------------------------------- atomic write */

static lit__fault_kind fault_kind;
static int64_t fault_after;

void lit__checkpoint_set_fault(lit__fault_kind kind, int64_t after_bytes) {
    fault_kind = kind;
    fault_after = after_bytes;
}

typedef struct {
    int fd;
    int64_t written;
} sink;

/* Every byte of the temporary file goes through here (straight from the
 * tensors' memory: no stdio buffer copy), so tests can fail or kill the
 * writer at an exact offset. Returns 0, or -1 with errno set. */
static int sink_write(sink *s, const void *data, size_t n) {
    const char *buf = data;
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done;
        if (chunk > ((size_t)1 << 30)) chunk = (size_t)1 << 30;
        if (fault_kind != LIT__FAULT_NONE && s->written + (int64_t)chunk > fault_after) {
            chunk = fault_after > s->written ? (size_t)(fault_after - s->written) : 0;
            if (chunk == 0) {
                if (fault_kind == LIT__FAULT_KILL) raise(SIGKILL);
                errno = ENOSPC;
                return -1;
            }
        }
        ssize_t w = write(s->fd, buf + done, chunk);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        done += (size_t)w;
        s->written += w;
    }
    return 0;
}

static lit_status io_error(const char *what, const char *path) {
    int e = errno;
    if (e == EFBIG)
        return lit_set_error(LIT_ERR_IO, "saving checkpoint %s: %s failed: %s: the file size limit (ulimit -f) was "
                             "reached writing %s (the previous checkpoint is untouched; raise the limit)",
                             path, what, strerror(e), path);
    return lit_set_error(LIT_ERR_IO, "saving checkpoint %s: %s failed: %s%s", path, what, strerror(e),
                         e == ENOSPC || e == EDQUOT ? " (the disk or quota is full; the previous checkpoint is untouched)"
                                                    : "");
}

/*
 * Under `ulimit -f` a write past the limit raises SIGXFSZ, whose default
 * action kills the process without a word. While the temporary file is
 * written the signal is blocked in this thread (other threads and the
 * process's disposition are left alone), so write() fails with EFBIG and
 * the save reports it like a full disk; a SIGXFSZ raised meanwhile is
 * consumed before the mask is restored.
 */
static void xfsz_block(sigset_t *saved) {
    sigset_t xfsz;
    sigemptyset(&xfsz);
    sigaddset(&xfsz, SIGXFSZ);
    pthread_sigmask(SIG_BLOCK, &xfsz, saved);
}

static void xfsz_unblock(const sigset_t *saved) {
    if (!sigismember(saved, SIGXFSZ)) {
        sigset_t xfsz;
        sigemptyset(&xfsz);
        sigaddset(&xfsz, SIGXFSZ);
        const struct timespec now = { 0, 0 };
        int e = errno;
        while (sigtimedwait(&xfsz, NULL, &now) == SIGXFSZ) {}
        errno = e;
    }
    pthread_sigmask(SIG_SETMASK, saved, NULL);
}

static lit_status fsync_dir_of(const char *path) {
    char *copy = strdup(path);
    if (!copy) return lit_set_error(LIT_ERR_NOMEM, "saving checkpoint %s: out of memory", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0) return io_error("opening its directory", path);
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    /* Some file systems cannot fsync a directory; the rename is done anyway. */
    if (rc != 0 && errno != EINVAL && errno != EROFS) return io_error("fsync of its directory", path);
    return LIT_OK;
}

static lit_status write_tmp(const char *tmp, const char *path, int n, const lit_st_tensor *ts, int n_meta,
                            const lit_st_meta *meta) {
    uint8_t *header = NULL;
    size_t header_len = 0;
    uint64_t data_len = 0;
    LIT_TRY(lit_safetensors_header(n, ts, n_meta, meta, &header, &header_len, &data_len));
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST && unlink(tmp) == 0) {
        /* Left by a killed process that had our pid (a container's pid 1 is
         * every run's): unlink removes a symlink itself, never its target. */
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        free(header);
        return io_error("creating the temporary file", path);
    }
    sink s = { .fd = fd };
    lit_status st = LIT_OK;
    if (sink_write(&s, header, header_len) != 0) st = io_error("writing", path);
    for (int i = 0; i < n && st >= 0; i++) {
        size_t bytes = (size_t)lit_numel_of(ts[i].ndim, ts[i].shape) * lit_dtype_size(ts[i].dtype);
        if (bytes && sink_write(&s, ts[i].data, bytes) != 0) st = io_error("writing", path);
    }
    free(header);
    if (st >= 0 && fsync(fd) != 0) st = io_error("fsync", path);
    if (close(fd) != 0 && st >= 0) st = io_error("close", path);
    return st;
}

lit_status lit_checkpoint_save(const lit_checkpoint *ck, const char *path) {
    LIT_ASSERT(ck && path, "lit_checkpoint_save: NULL argument");
    /* Metadata: one entry per top-level value, plus the four of the format. */
    int n_values = (int)json_object_size(ck->root);
    lit_st_meta *meta = calloc((size_t)n_values + 4, sizeof *meta);
    char **texts = calloc((size_t)n_values + 1, sizeof *texts);
    lit_st_tensor *ts = calloc((size_t)ck->n + 1, sizeof *ts);
    lit_status st = LIT_OK;
    if (!meta || !texts || !ts) st = lit_set_error(LIT_ERR_NOMEM, "saving checkpoint %s: out of memory", path);
    int m = 0;
    const char *key;
    json_t *v;
    if (st >= 0) {
        json_object_foreach(ck->root, key, v) {
            if (reserved_key(key)) {
                st = lit_set_error(LIT_ERR_INVALID_ARG, "saving checkpoint %s: \"%s\" is reserved for the file "
                                   "format; store it under another key", path, key);
                break;
            }
            texts[m] = json_dumps(v, DUMP_FLAGS);
            if (!texts[m]) {
                st = lit_set_error(LIT_ERR_NOMEM, "saving checkpoint %s: out of memory", path);
                break;
            }
            meta[m] = (lit_st_meta){ key, texts[m] };
            m++;
        }
    }
    char version[16], crc_text[24];
    if (st >= 0) {
        snprintf(version, sizeof version, "%d", LIT_CHECKPOINT_FORMAT_VERSION);
        meta[m++] = (lit_st_meta){ "format", LIT_CHECKPOINT_FORMAT };
        meta[m++] = (lit_st_meta){ "format_version", version };
        meta[m++] = (lit_st_meta){ "litc_version", LIT_VERSION_STRING };
        snprintf(crc_text, sizeof crc_text, "crc32c:%08" PRIx32, checksum(ck->t, ck->n, meta, m));
        meta[m++] = (lit_st_meta){ "checksum", crc_text };
        for (int i = 0; i < ck->n; i++) {
            ts[i] = (lit_st_tensor){ .name = ck->t[i].name, .dtype = ck->t[i].dtype, .ndim = ck->t[i].ndim,
                                     .data = ck->t[i].data };
            memcpy(ts[i].shape, ck->t[i].shape, sizeof ts[i].shape);
        }
        /* Largest elements first keeps every tensor aligned in the file. */
        qsort(ts, (size_t)ck->n, sizeof *ts, cmp_layout);
    }
    if (st >= 0) {
        char tmp[4096];
        if (snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof tmp) {
            st = lit_set_error(LIT_ERR_INVALID_ARG, "saving checkpoint: path too long");
        } else {
            sigset_t saved;
            xfsz_block(&saved);
            st = write_tmp(tmp, path, ck->n, ts, m, meta);
            xfsz_unblock(&saved);
            if (st >= 0 && rename(tmp, path) != 0) st = io_error("rename over the final name", path);
            if (st < 0) {
                int e = errno;
                unlink(tmp); /* never leave a half file behind */
                errno = e;
            } else {
                st = fsync_dir_of(path);
            }
        }
    }
    for (int i = 0; texts && i < n_values; i++) free(texts[i]);
    free(texts);
    free(meta);
    free(ts);
    return st;
}

/* ---------------------------------------------------------------- stale temporary files */

/* "<name>.ckpt.tmp.<pid>" as lit_checkpoint_save names them (a pid without
 * sign or leading zero); the pid, or 0 for any other name. */
static long tmp_file_pid(const char *name) {
    const char *tag = strstr(name, ".ckpt.tmp.");
    if (!tag || tag == name) return 0;
    const char *digits = tag + strlen(".ckpt.tmp.");
    size_t n = strlen(digits);
    if (n == 0 || n > 9 || digits[0] == '0' || strspn(digits, "0123456789") != n) return 0;
    return strtol(digits, NULL, 10);
}

/* The writer `pid` is gone: not us, and no such process (a live one, ours
 * or not, may still be writing). */
static int writer_is_gone(long pid) {
    return pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int remove_if_stale(int dir_fd, const char *name) {
    long pid = tmp_file_pid(name);
    struct stat st;
    if (pid <= 0 || fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 0;
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || !writer_is_gone(pid)) return 0;
    if (unlinkat(dir_fd, name, 0) != 0) return 0;
    lit_logf(LIT_LOG_INFO, "removed %s, a temporary checkpoint file left by process %ld (no longer running)", name,
             pid);
    return 1;
}

lit_status lit_checkpoint_remove_stale_temps(const char *dir, int *removed) {
    LIT_ASSERT(dir, "lit_checkpoint_remove_stale_temps: dir must not be NULL");
    if (removed) *removed = 0;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return LIT_OK; /* nothing saved there yet */
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        int e = errno;
        if (fd >= 0) close(fd);
        struct stat st;
        if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
            return lit_set_error(LIT_ERR_IO, "removing stale temporary checkpoint files in %s: the folder is a "
                                 "symlink, which is never followed; pass its resolved path", dir);
        return lit_set_error(LIT_ERR_IO, "removing stale temporary checkpoint files in %s: %s", dir, strerror(e));
    }
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) n += remove_if_stale(fd, e->d_name);
    closedir(d);
    if (removed) *removed = n;
    return LIT_OK;
}

/* ---------------------------------------------------------------- loading */

/* What only a litc checkpoint holds: the top-level values the Trainer
 * writes (src/train/ckpt-save.c) and the name prefixes of its tensors. A
 * file with any of them is a litc checkpoint, whatever else it lost. */
static const char *const TRAINER_KEYS[] = {
    "epoch", "global_step", "loops", "callbacks", "optimizers", "optimizer_param_groups", "lr_schedulers",
    "lr_scheduler_count", "hyper_parameters", "rng", "precision", "datamodule", "weights_only", "results",
    "callback_metrics", "logged_metrics", "progress_bar_metrics",
};
static const char *const TRAINER_TENSOR_PREFIXES[] = { "state_dict.", "optimizer_states.", "grads.", "callbacks." };

/* Whether `key` is one edit (a byte changed, added or dropped, or letters
 * in another case) away from `ref`: what a flipped bit makes of it. */
static int one_edit_from(const char *key, const char *ref) {
    size_t a = strlen(key), b = strlen(ref);
    if (a == b) {
        if (!strcmp(key, ref)) return 0;
        if (!strcasecmp(key, ref)) return 1;
        size_t diff = 0;
        for (size_t i = 0; i < a; i++) diff += key[i] != ref[i];
        return diff == 1;
    }
    if (a + 1 != b && b + 1 != a) return 0;
    const char *lng = a > b ? key : ref, *sht = a > b ? ref : key;
    size_t i = 0;
    while (sht[i] && sht[i] == lng[i]) i++;
    return !strcmp(sht + i, lng + i + 1); /* the rest matches once the extra byte is skipped */
}

/* The evidence that a file without a "format" entry is nevertheless a
 * (damaged) litc checkpoint, written into `why`; 0 when there is none. A
 * key one edit away from a missing format key is refused outright. */
static int claims_litc(const lit_safetensors *st, char *why, size_t n) {
    for (int i = 0; i < lit_safetensors_meta_count(st); i++) {
        const lit_st_meta *e = lit_safetensors_meta_at(st, i);
        for (int k = 0; k < N_FORMAT_KEYS; k++) {
            if (!strcmp(e->key, FORMAT_KEYS[k])) {
                snprintf(why, n, "its metadata has \"%s\"", e->key);
                return 1;
            }
            if (one_edit_from(e->key, FORMAT_KEYS[k]) && !lit_safetensors_meta(st, FORMAT_KEYS[k])) {
                snprintf(why, n, "metadata key \"%.64s\" is \"%s\" with one character changed", e->key,
                         FORMAT_KEYS[k]);
                return 1;
            }
        }
        for (size_t k = 0; k < sizeof TRAINER_KEYS / sizeof TRAINER_KEYS[0]; k++) {
            if (!strcmp(e->key, TRAINER_KEYS[k])) {
                snprintf(why, n, "its metadata has the Trainer's \"%s\"", e->key);
                return 1;
            }
        }
        if (!strcmp(e->value, LIT_CHECKPOINT_FORMAT)) {
            snprintf(why, n, "metadata \"%.64s\" says \"%s\"", e->key, LIT_CHECKPOINT_FORMAT);
            return 1;
        }
    }
    for (int i = 0; i < lit_safetensors_count(st); i++) {
        const char *name = lit_safetensors_at(st, i)->name;
        for (size_t k = 0; k < sizeof TRAINER_TENSOR_PREFIXES / sizeof TRAINER_TENSOR_PREFIXES[0]; k++) {
            if (!strncmp(name, TRAINER_TENSOR_PREFIXES[k], strlen(TRAINER_TENSOR_PREFIXES[k]))) {
                snprintf(why, n, "it has the Trainer's tensor \"%.80s\"", name);
                return 1;
            }
        }
    }
    return 0;
}

static lit_status load_values(lit_checkpoint *ck, const char *what) {
    int nm = lit_safetensors_meta_count(ck->st);
    const char *format = lit_safetensors_meta(ck->st, "format");
    char why[200];
    if (!format && claims_litc(ck->st, why, sizeof why))
        return lit_set_error(LIT_ERR_CORRUPT,
                             "%s: a litc checkpoint without its \"format\" entry (%s): its checksum cannot be "
                             "verified, the file is damaged or was edited; use an earlier checkpoint",
                             what, why);
    if (!format) { /* plain safetensors (e.g. from PyTorch): weights only, nothing to verify */
        ck->format_version = 0;
        return LIT_OK;
    }
    if (strcmp(format, LIT_CHECKPOINT_FORMAT) != 0)
        return lit_set_error(LIT_ERR_CORRUPT, "%s: format \"%.64s\" is not a litc checkpoint (\"%s\")", what, format,
                             LIT_CHECKPOINT_FORMAT);
    const char *vtext = lit_safetensors_meta(ck->st, "format_version");
    char *end = NULL;
    long version = vtext ? strtol(vtext, &end, 10) : -1;
    if (!vtext || !*vtext || *end || version < 1)
        return lit_set_error(LIT_ERR_CORRUPT, "%s: format_version \"%.32s\" is not a positive integer", what,
                             vtext ? vtext : "(missing)");
    if (version > LIT_CHECKPOINT_FORMAT_VERSION)
        return lit_set_error(LIT_ERR_UNSUPPORTED,
                             "%s: checkpoint format version %ld is newer than this litc reads (%d; written by litc "
                             "%.32s); upgrade litc",
                             what, version, LIT_CHECKPOINT_FORMAT_VERSION,
                             lit_safetensors_meta(ck->st, "litc_version") ? lit_safetensors_meta(ck->st, "litc_version")
                                                                          : "?");
    ck->format_version = (int)version;

    const char *stored = lit_safetensors_meta(ck->st, "checksum");
    if (!stored) return lit_set_error(LIT_ERR_CORRUPT, "%s: litc checkpoint without a checksum", what);
    lit_st_meta *meta = malloc((size_t)(nm ? nm : 1) * sizeof *meta);
    if (!meta) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", what);
    int m = 0;
    for (int i = 0; i < nm; i++) {
        const lit_st_meta *e = lit_safetensors_meta_at(ck->st, i);
        if (strcmp(e->key, "checksum") != 0) meta[m++] = *e;
    }
    char computed[24];
    snprintf(computed, sizeof computed, "crc32c:%08" PRIx32, checksum(ck->t, ck->n, meta, m));
    free(meta);
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION /* the fuzzer mutates past the checksum */
    if (strcmp(stored, computed) != 0)
#else
    if (0)
#endif
        return lit_set_error(LIT_ERR_CORRUPT,
                             "%s: checksum mismatch: stored %.32s, computed %s — the file is damaged; use an "
                             "earlier checkpoint",
                             what, stored, computed);

    for (int i = 0; i < nm; i++) {
        const lit_st_meta *e = lit_safetensors_meta_at(ck->st, i);
        if (reserved_key(e->key)) continue;
        /* litc writes one entry per top-level key: never empty, never dotted. */
        if (!e->key[0] || strchr(e->key, '.'))
            return lit_set_error(LIT_ERR_CORRUPT, "%s: metadata key \"%.64s\" is not a litc value name (empty or "
                                 "dotted)", what, e->key);
        json_error_t err;
        json_t *v = json_loads(e->value, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
        if (!v)
            return lit_set_error(LIT_ERR_CORRUPT, "%s: metadata \"%.64s\" is not valid JSON: %s (column %d)", what,
                                 e->key, err.text, err.column);
        if (json_object_set_new(ck->root, e->key, v) != 0)
            return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", what);
    }
    /* Upgrades from older format versions go here, one step at a time. */
    return LIT_OK;
}

static lit_status load_tensors(lit_checkpoint *ck, const char *what) {
    int n = lit_safetensors_count(ck->st);
    for (int i = 0; i < n; i++) {
        const lit_st_tensor *t = lit_safetensors_at(ck->st, i);
        entry e = { .dtype = t->dtype, .ndim = t->ndim, .data = t->data, .nbytes = t->nbytes };
        memcpy(e.shape, t->shape, sizeof e.shape);
        e.name = strdup(t->name);
        if (!e.name) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", what);
        lit_status st = add_entry(ck, &e);
        if (st < 0) {
            free(e.name);
            return st;
        }
    }
    return LIT_OK;
}

static lit_status finish_load(lit_checkpoint **out, lit_checkpoint *ck, const char *what) {
    lit_status st = load_tensors(ck, what);
    if (st >= 0) st = load_values(ck, what);
    if (st < 0) {
        lit_checkpoint_free(ck);
        return st;
    }
    *out = ck;
    return LIT_OK;
}

lit_status lit_checkpoint_load(lit_checkpoint **out, const char *path) {
    LIT_ASSERT(out && path, "lit_checkpoint_load: NULL argument");
    *out = NULL;
    lit_safetensors *st = NULL;
    lit_status rc = lit_safetensors_open(&st, path);
    if (rc == LIT_ERR_NOT_FOUND)
        return lit_set_error(rc, "checkpoint %s does not exist (check the path, or pass NULL to start fresh)", path);
    LIT_TRY(rc);
    return lit_checkpoint_load_safetensors(out, st, path);
}

lit_status lit_checkpoint_load_safetensors(lit_checkpoint **out, lit_safetensors *st, const char *what) {
    LIT_ASSERT(out && st, "lit_checkpoint_load_safetensors: NULL argument");
    *out = NULL;
    if (!what) what = "checkpoint data";
    lit_checkpoint *ck = lit_checkpoint_new();
    if (!ck) {
        lit_safetensors_free(st);
        return LIT_ERR_NOMEM;
    }
    ck->st = st;
    return finish_load(out, ck, what);
}

lit_status lit_checkpoint_load_buffer(lit_checkpoint **out, const void *buf, size_t len, const char *what) {
    LIT_ASSERT(out && (buf || !len), "lit_checkpoint_load_buffer: NULL argument");
    *out = NULL;
    if (!what) what = "checkpoint data";
    lit_checkpoint *ck = lit_checkpoint_new();
    if (!ck) return LIT_ERR_NOMEM;
    ck->image = malloc(len ? len : 1);
    if (!ck->image) {
        lit_checkpoint_free(ck);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", what);
    }
    if (len) memcpy(ck->image, buf, len);
    lit_status st = lit_safetensors_parse(&ck->st, ck->image, len, what);
    if (st < 0) {
        lit_checkpoint_free(ck);
        return st;
    }
    return finish_load(out, ck, what);
}
