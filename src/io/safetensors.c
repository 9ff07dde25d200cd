/* The safetensors format (safetensors.h): a deterministic writer and a reader
 * that validates every byte of the header against the format's rules.
 *
 * Reading: the header is checked for NUL bytes, UTF-8 and nesting depth
 * before jansson sees it (our messages are more precise, and a hostile
 * "[[[[..." never reaches a recursive parser), then parsed by jansson's
 * json_loadb with JSON_REJECT_DUPLICATES (trailing garbage is an error by
 * default), then walked entry by entry. The layout check is the Rust
 * reference's: tensors sorted by data offsets must cover [0, buffer length)
 * exactly, one after the other.
 *
 * lit_safetensors_open reads a file in three steps, each checked before the
 * next: the 8-byte header length (against the limit and the file's size),
 * the JSON header (every declared offset against the file's size), then
 * the data buffer, with pread into memory the handle owns. Nothing is
 * mapped: a file that another process truncates or rewrites while we read
 * it gives a short read or a changed size/mtime, reported as an error,
 * never a SIGBUS. A hostile size costs nothing: a 100 GB file with a bad
 * header is refused after reading its first bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "litc/safetensors.h"
#include "core/buf-impl.h"
#include "core/file-impl.h"
#include "core/str-impl.h"
#include "io/safetensors-impl.h"

/* The format needs 3 levels ({ -> { -> [); anything deeper is refused before
 * jansson (whose own limit is 2048 recursive calls) parses it. */
#define ST_MAX_DEPTH 16
/* How much of a name or dtype a message quotes. */
#define ST_QUOTE 80

struct lit_safetensors {
    uint8_t *owned;          /* data buffer read from a path (malloc'd) */
    const uint8_t *data;     /* byte buffer after the header */
    size_t data_len;
    int n;
    lit_st_tensor *tensors;  /* sorted by data offsets */
    uint64_t *begin;         /* tensors[i]'s offset in the data buffer */
    const lit_st_tensor **by_name;
    int n_meta;
    lit_st_meta *meta;       /* file order */
    char *pool;              /* names, keys and values */
};

/* ---------------------------------------------------------------- dtypes */

typedef struct {
    const char *name;
    int bits;
    int lit; /* lit_dtype, or -1 when litc cannot hold it */
} st_dtype_info;

/* Every dtype the safetensors format defines (so a valid file with one litc
 * cannot hold is reported as UNSUPPORTED, not CORRUPT). */
static const st_dtype_info st_dtypes[] = {
    {"F32", 32, LIT_F32},  {"BF16", 16, LIT_BF16}, {"I32", 32, LIT_I32},    {"I64", 64, LIT_I64},
    {"BOOL", 8, -1},       {"U8", 8, -1},          {"I8", 8, -1},           {"F8_E5M2", 8, -1},
    {"F8_E4M3", 8, -1},    {"F8_E8M0", 8, -1},     {"I16", 16, -1},         {"U16", 16, -1},
    {"F16", 16, -1},       {"U32", 32, -1},        {"F64", 64, -1},         {"U64", 64, -1},
    {"C64", 64, -1},       {"F4", 4, -1},          {"F6_E2M3", 6, -1},      {"F6_E3M2", 6, -1},
};

/* The table's row for a dtype litc holds; NULL for any other. */
static const st_dtype_info *st_dtype_of(lit_dtype dt) {
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (st_dtypes[i].lit >= 0 && (lit_dtype)st_dtypes[i].lit == dt) return &st_dtypes[i];
    return NULL;
}

const char *lit_safetensors_dtype_name(lit_dtype dt) {
    const st_dtype_info *d = st_dtype_of(dt);
    return d ? d->name : NULL;
}

int lit_safetensors_dtype_parse(const char *name, lit_dtype *dt) {
    if (!name) return -1;
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++) {
        if (strcmp(st_dtypes[i].name, name) == 0) {
            if (st_dtypes[i].lit < 0) return -1;
            if (dt) *dt = (lit_dtype)st_dtypes[i].lit;
            return 0;
        }
    }
    return -1;
}

static int st_dtype_bits(lit_dtype dt) {
    const st_dtype_info *d = st_dtype_of(dt);
    return d ? d->bits : 0;
}

/* ---------------------------------------------------------------- helpers */

/* A printable, bounded copy of a name for messages. */
static const char *st_quote(const char *s, char buf[ST_QUOTE + 8]) {
    size_t n = strlen(s);
    if (n <= ST_QUOTE) return s;
    memcpy(buf, s, ST_QUOTE);
    memcpy(buf + ST_QUOTE, "...", 4);
    return buf;
}

static const char *st_json_type(const json_t *v) {
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "object";
    case JSON_ARRAY: return "array";
    case JSON_STRING: return "string";
    case JSON_INTEGER: return "integer";
    case JSON_REAL: return "real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "value";
}

__attribute__((format(printf, 3, 4))) static lit_status st_fail(lit_status st, const char *what, const char *fmt,
                                                                ...) {
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return lit_set_error(st, "%s: %s", what, msg);
}

static uint64_t st_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

static void st_put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* ---------------------------------------------------------------- reading */

void lit_safetensors_free(lit_safetensors *st) {
    if (!st) return;
    free(st->owned);
    free(st->tensors);
    free(st->begin);
    free(st->by_name);
    free(st->meta);
    free(st->pool);
    free(st);
}

static int st_by_name(const void *a, const void *b) {
    const lit_st_tensor *x = *(const lit_st_tensor *const *)a, *y = *(const lit_st_tensor *const *)b;
    return strcmp(x->name, y->name);
}

static int st_find_cmp(const void *key, const void *elem) {
    return strcmp((const char *)key, (*(const lit_st_tensor *const *)elem)->name);
}

/* Checks before JSON parsing: NUL bytes, UTF-8, nesting depth. */
static lit_status st_precheck(const uint8_t *h, size_t n, const char *what) {
    const void *nul = memchr(h, 0, n);
    if (nul)
        return st_fail(LIT_ERR_CORRUPT, what, "NUL byte at header offset %zu; a safetensors header is UTF-8 JSON text",
                       (size_t)((const uint8_t *)nul - h));
    size_t bad = lit__utf8_invalid_at(h, n);
    if (bad < n)
        return st_fail(LIT_ERR_CORRUPT, what, "header is not valid UTF-8 (byte 0x%02x at header offset %zu)", h[bad],
                       bad);
    int depth = 0, in_str = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = h[i];
        if (in_str) {
            if (c == '\\') i++;
            else if (c == '"') in_str = 0;
        } else if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > ST_MAX_DEPTH)
                return st_fail(LIT_ERR_CORRUPT, what,
                               "header nests JSON deeper than %d levels (at header offset %zu); a safetensors header "
                               "needs 3",
                               ST_MAX_DEPTH, i);
        } else if (c == ']' || c == '}') {
            depth--;
        }
    }
    return LIT_OK;
}

/* Everything known about one header entry while validating. */
typedef struct {
    const char *name; /* jansson's key (valid while root lives) */
    const char *dtype_name;
    int dtype_bits;   /* 0 when the dtype is unknown */
    int lit_dtype;    /* -1 when litc cannot hold it */
    size_t ndim;
    int64_t shape[LIT_MAX_DIMS];
    uint64_t begin, end;
} st_entry;

/* Layout order (st_entry pointers): by offsets; empty tensors at one offset
 * by name. */
static int st_entry_by_offsets(const void *a, const void *b) {
    const st_entry *x = *(const st_entry *const *)a, *y = *(const st_entry *const *)b;
    if (x->begin != y->begin) return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end) return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

static lit_status st_check_entry(const char *what, const char *name, json_t *v, uint64_t buf_len, st_entry *e) {
    char q[ST_QUOTE + 8];
    const char *qn = st_quote(name, q);
    if (!json_is_object(v))
        return st_fail(LIT_ERR_CORRUPT, what,
                       "tensor '%s': entry is a JSON %s; expected an object with \"dtype\", \"shape\" and "
                       "\"data_offsets\"",
                       qn, st_json_type(v));
    json_t *dtype = NULL, *shape = NULL, *offsets = NULL;
    const char *key;
    json_t *val;
    json_object_foreach(v, key, val) {
        if (strcmp(key, "dtype") == 0) dtype = val;
        else if (strcmp(key, "shape") == 0) shape = val;
        else if (strcmp(key, "data_offsets") == 0) offsets = val;
        else {
            char q2[ST_QUOTE + 8];
            return st_fail(LIT_ERR_CORRUPT, what,
                           "tensor '%s': unknown key \"%s\"; an entry has only \"dtype\", \"shape\" and "
                           "\"data_offsets\"",
                           qn, st_quote(key, q2));
        }
    }
    if (!dtype) return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': missing \"dtype\"", qn);
    if (!shape) return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': missing \"shape\"", qn);
    if (!offsets) return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': missing \"data_offsets\"", qn);

    /* dtype */
    if (!json_is_string(dtype))
        return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': \"dtype\" is a JSON %s; expected a string such as \"F32\"",
                       qn, st_json_type(dtype));
    e->dtype_name = json_string_value(dtype);
    e->dtype_bits = 0;
    e->lit_dtype = -1;
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++) {
        if (strcmp(st_dtypes[i].name, e->dtype_name) == 0) {
            e->dtype_bits = st_dtypes[i].bits;
            e->lit_dtype = st_dtypes[i].lit;
        }
    }

    /* shape */
    if (!json_is_array(shape))
        return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': \"shape\" is a JSON %s; expected a list of integers", qn,
                       st_json_type(shape));
    e->ndim = json_array_size(shape);
    uint64_t numel = 1;
    int overflow = 0;
    for (size_t d = 0; d < e->ndim; d++) {
        json_t *dim = json_array_get(shape, d);
        if (!json_is_integer(dim))
            return st_fail(LIT_ERR_CORRUPT, what,
                           "tensor '%s': shape[%zu] is a JSON %s; expected a non-negative integer", qn, d,
                           st_json_type(dim));
        json_int_t x = json_integer_value(dim);
        if (x < 0)
            return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': shape[%zu] is %lld; dimensions must be >= 0", qn, d,
                           (long long)x);
        if (d < LIT_MAX_DIMS) e->shape[d] = (int64_t)x;
        /* Left fold, as the reference: [2^62, 2^62, 0] overflows, [0, 2^62, 2^62] does not. Every
         * partial product must fit in int64_t, so callers may compute numel in signed arithmetic. */
        if (!overflow && (__builtin_mul_overflow(numel, (uint64_t)x, &numel) || numel > (uint64_t)INT64_MAX))
            overflow = 1;
    }
    if (overflow)
        return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': the element count of its %zu-dim shape overflows 63 bits",
                       qn, e->ndim);

    /* data_offsets */
    if (!json_is_array(offsets) || json_array_size(offsets) != 2)
        return st_fail(LIT_ERR_CORRUPT, what,
                       "tensor '%s': \"data_offsets\" is a JSON %s%s; expected [begin, end] (two integers)", qn,
                       st_json_type(offsets), json_is_array(offsets) ? " of another length" : "");
    json_t *jb = json_array_get(offsets, 0), *je = json_array_get(offsets, 1);
    if (!json_is_integer(jb) || !json_is_integer(je))
        return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': \"data_offsets\" holds a JSON %s; expected integers", qn,
                       st_json_type(json_is_integer(jb) ? je : jb));
    json_int_t b = json_integer_value(jb), en = json_integer_value(je);
    if (b < 0 || en < 0)
        return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': data_offsets [%lld, %lld] are negative", qn, (long long)b,
                       (long long)en);
    if (b > en)
        return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': data_offsets [%lld, %lld] end before they begin", qn,
                       (long long)b, (long long)en);
    if ((uint64_t)en > buf_len)
        return st_fail(LIT_ERR_CORRUPT, what,
                       "tensor '%s': data_offsets [%lld, %lld] end outside the %llu-byte data buffer (file truncated?)",
                       qn, (long long)b, (long long)en, (unsigned long long)buf_len);
    e->begin = (uint64_t)b;
    e->end = (uint64_t)en;

    /* length vs dtype * shape (for every dtype whose size we know) */
    if (e->dtype_bits > 0) {
        uint64_t bits;
        if (__builtin_mul_overflow(numel, (uint64_t)e->dtype_bits, &bits))
            return st_fail(LIT_ERR_CORRUPT, what, "tensor '%s': %llu elements of %s overflow 64 bits of byte count",
                           qn, (unsigned long long)numel, e->dtype_name);
        uint64_t have = e->end - e->begin;
        if (bits % 8 != 0 || bits / 8 != have)
            return st_fail(LIT_ERR_CORRUPT, what,
                           "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes but %llu elements of %s need "
                           "%llu%s",
                           qn, (unsigned long long)e->begin, (unsigned long long)e->end, (unsigned long long)have,
                           (unsigned long long)numel, e->dtype_name, (unsigned long long)(bits / 8),
                           bits % 8 ? " and a fraction" : "");
    }
    return LIT_OK;
}

/* The header length in the 8-byte `prefix` of a `file_len`-byte file,
 * checked against the limit and against the bytes that follow it (prefix
 * is read only when file_len >= 8). */
static lit_status st_header_length(const uint8_t *prefix, uint64_t file_len, const char *what, size_t *hn) {
    if (file_len < 8)
        return st_fail(LIT_ERR_CORRUPT, what,
                       "file is %llu bytes, shorter than the 8-byte header length (not a safetensors file, or "
                       "truncated)",
                       (unsigned long long)file_len);
    uint64_t hlen = st_le64(prefix);
    if (hlen == 0) return st_fail(LIT_ERR_CORRUPT, what, "header length is 0; a safetensors header is a JSON object");
    if (hlen > LIT_SAFETENSORS_MAX_HEADER)
        return st_fail(LIT_ERR_CORRUPT, what,
                       "header length %llu is over the %u-byte limit (not a safetensors file, or corrupt)",
                       (unsigned long long)hlen, (unsigned)LIT_SAFETENSORS_MAX_HEADER);
    if (hlen > file_len - 8)
        return st_fail(LIT_ERR_CORRUPT, what, "header length %llu runs past the end of the %llu-byte file (truncated?)",
                       (unsigned long long)hlen, (unsigned long long)file_len);
    *hn = (size_t)hlen;
    return LIT_OK;
}

/* The rule of the Rust reference: tensors sorted by offsets cover the data
 * buffer [0, data_len) exactly, one after the other. */
static lit_status st_check_layout(const st_entry *const *sorted, size_t n, uint64_t data_len, const char *what) {
    uint64_t at = 0;
    const char *prev = NULL;
    char q1[ST_QUOTE + 8], q2[ST_QUOTE + 8];
    for (size_t i = 0; i < n; i++) {
        const st_entry *t = sorted[i];
        if (t->begin < at)
            return st_fail(LIT_ERR_CORRUPT, what,
                           "tensor '%s': data_offsets [%llu, %llu] overlap tensor '%s' (ends at %llu)",
                           st_quote(t->name, q1), (unsigned long long)t->begin, (unsigned long long)t->end,
                           st_quote(prev, q2), (unsigned long long)at);
        if (t->begin > at && prev)
            return st_fail(LIT_ERR_CORRUPT, what,
                           "%llu-byte hole in the data buffer between tensor '%s' (ends at %llu) and tensor '%s' "
                           "(begins at %llu); the format requires the buffer to be fully indexed",
                           (unsigned long long)(t->begin - at), st_quote(prev, q2), (unsigned long long)at,
                           st_quote(t->name, q1), (unsigned long long)t->begin);
        if (t->begin > at)
            return st_fail(LIT_ERR_CORRUPT, what,
                           "%llu-byte hole at the start of the data buffer before tensor '%s' (begins at %llu); "
                           "the format requires the buffer to be fully indexed",
                           (unsigned long long)t->begin, st_quote(t->name, q1), (unsigned long long)t->begin);
        at = t->end;
        prev = t->name;
    }
    if (at != data_len)
        return st_fail(LIT_ERR_CORRUPT, what,
                       "%llu trailing bytes after the last tensor's data (buffer is %llu bytes, tensors end at %llu); "
                       "the format requires the buffer to be fully indexed",
                       (unsigned long long)(data_len - at), (unsigned long long)data_len, (unsigned long long)at);
    return LIT_OK;
}

/* Valid safetensors that litc cannot hold (the first in file order). */
static lit_status st_check_supported(const st_entry *ents, size_t n, const char *what) {
    char q1[ST_QUOTE + 8], q2[ST_QUOTE + 8];
    for (size_t i = 0; i < n; i++) {
        if (ents[i].lit_dtype < 0)
            return st_fail(LIT_ERR_UNSUPPORTED, what,
                           "tensor '%s': dtype \"%s\" is %s; litc holds F32, BF16, I32 and I64 (convert the tensor "
                           "before saving)",
                           st_quote(ents[i].name, q1), st_quote(ents[i].dtype_name, q2),
                           ents[i].dtype_bits ? "valid safetensors but litc cannot hold it" : "unknown");
        if (ents[i].ndim > LIT_MAX_DIMS)
            return st_fail(LIT_ERR_UNSUPPORTED, what, "tensor '%s': %zu dimensions; litc tensors have at most %d",
                           st_quote(ents[i].name, q1), ents[i].ndim, LIT_MAX_DIMS);
    }
    return LIT_OK;
}

/* Fill the handle from validated entries (`sorted`: layout order) and
 * metadata: names, keys and values are copied into its pool. */
static lit_status st_build(lit_safetensors *st, const st_entry *const *sorted, size_t n, json_t *meta,
                           size_t pool_bytes, const char *what) {
    size_t n_meta = meta && json_is_object(meta) ? json_object_size(meta) : 0;
    st->n = (int)n;
    st->tensors = calloc(n ? n : 1, sizeof *st->tensors);
    st->begin = calloc(n ? n : 1, sizeof *st->begin);
    st->by_name = calloc(n ? n : 1, sizeof *st->by_name);
    st->meta = calloc(n_meta ? n_meta : 1, sizeof *st->meta);
    st->pool = malloc(pool_bytes ? pool_bytes : 1);
    if (!st->tensors || !st->begin || !st->by_name || !st->meta || !st->pool)
        return st_fail(LIT_ERR_NOMEM, what, "out of memory for %zu tensors", n);
    char *pool = st->pool;
    for (size_t i = 0; i < n; i++) {
        const st_entry *e = sorted[i];
        lit_st_tensor *t = &st->tensors[i];
        size_t klen = strlen(e->name);
        memcpy(pool, e->name, klen + 1);
        t->name = pool;
        pool += klen + 1;
        t->dtype = (lit_dtype)e->lit_dtype; /* st_check_supported passed */
        t->ndim = (int)e->ndim;
        memcpy(t->shape, e->shape, sizeof t->shape);
        t->nbytes = (size_t)(e->end - e->begin);
        st->begin[i] = e->begin;
        st->by_name[i] = t;
    }
    qsort(st->by_name, n, sizeof *st->by_name, st_by_name);
    const char *mk;
    json_t *mv;
    size_t m = 0;
    if (n_meta) json_object_foreach(meta, mk, mv) {
        size_t kl = strlen(mk), vl = json_string_length(mv);
        memcpy(pool, mk, kl + 1);
        st->meta[m].key = pool;
        pool += kl + 1;
        memcpy(pool, json_string_value(mv), vl + 1);
        st->meta[m].value = pool;
        pool += vl + 1;
        m++;
    }
    st->n_meta = (int)m;
    return LIT_OK;
}

/* Validate the JSON header (`hn` bytes at `h`) of a file whose data buffer
 * is `data_len` bytes, before any of that buffer is read. The handle's
 * tensors get their offsets but no data pointers yet (st_attach_data);
 * `h` may be freed afterwards. */
static lit_status st_parse_header(lit_safetensors **out, const uint8_t *h, size_t hn, uint64_t data_len,
                                  const char *what) {
    *out = NULL;
    LIT_TRY(st_precheck(h, hn, what));
    json_error_t jerr;
    json_t *root = json_loadb((const char *)h, hn, JSON_REJECT_DUPLICATES, &jerr);
    if (!root)
        return st_fail(LIT_ERR_CORRUPT, what, "header is not valid JSON: %s (line %d, column %d)", jerr.text,
                       jerr.line, jerr.column);

    lit_status rc = LIT_OK;
    lit_safetensors *st = NULL;
    st_entry *ents = NULL;
    const st_entry **sorted = NULL;
    if (!json_is_object(root)) {
        rc = st_fail(LIT_ERR_CORRUPT, what, "header is a JSON %s; expected an object of tensor entries",
                     st_json_type(root));
        goto done;
    }
    size_t nkeys = json_object_size(root);
    ents = calloc(nkeys ? nkeys : 1, sizeof *ents);
    sorted = calloc(nkeys ? nkeys : 1, sizeof *sorted);
    st = calloc(1, sizeof *st);
    if (!ents || !sorted || !st) {
        rc = st_fail(LIT_ERR_NOMEM, what, "out of memory for %zu header entries", nkeys);
        goto done;
    }

    /* Validate every entry, count the strings to copy. */
    json_t *meta = NULL;
    size_t n = 0, pool_bytes = 0;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        size_t klen = strlen(key);
        if (strcmp(key, "__metadata__") == 0) {
            meta = val;
            if (json_is_null(meta)) continue;
            if (!json_is_object(meta)) {
                rc = st_fail(LIT_ERR_CORRUPT, what, "\"__metadata__\" is a JSON %s; expected an object of strings",
                             st_json_type(meta));
                goto done;
            }
            const char *mk;
            json_t *mv;
            json_object_foreach(meta, mk, mv) {
                if (!json_is_string(mv)) {
                    char q[ST_QUOTE + 8];
                    rc = st_fail(LIT_ERR_CORRUPT, what,
                                 "\"__metadata__\" key '%s' is a JSON %s; metadata values must be strings (store "
                                 "JSON as its text)",
                                 st_quote(mk, q), st_json_type(mv));
                    goto done;
                }
                pool_bytes += strlen(mk) + 1 + json_string_length(mv) + 1;
            }
            continue;
        }
        if (klen == 0) {
            rc = st_fail(LIT_ERR_CORRUPT, what, "a tensor has an empty name");
            goto done;
        }
        if (klen > LIT_SAFETENSORS_MAX_NAME) {
            char q[ST_QUOTE + 8];
            rc = st_fail(LIT_ERR_CORRUPT, what, "tensor name '%s' is %zu bytes, over the limit of %d", st_quote(key, q),
                         klen, LIT_SAFETENSORS_MAX_NAME);
            goto done;
        }
        ents[n].name = key;
        rc = st_check_entry(what, key, val, data_len, &ents[n]);
        if (rc < 0) goto done;
        sorted[n] = &ents[n];
        n++;
        pool_bytes += klen + 1;
    }
    qsort(sorted, n, sizeof *sorted, st_entry_by_offsets);
    rc = st_check_layout(sorted, n, data_len, what);
    /* Corruption anywhere is reported before a tensor litc cannot hold. */
    if (rc >= 0) rc = st_check_supported(ents, n, what);
    if (rc >= 0) rc = st_build(st, sorted, n, meta, pool_bytes, what);
    st->data_len = (size_t)data_len;

done:
    json_decref(root);
    free(ents);
    free(sorted);
    if (rc < 0) {
        lit_safetensors_free(st);
        return rc;
    }
    *out = st;
    return LIT_OK;
}

static void st_attach_data(lit_safetensors *st, const uint8_t *data) {
    st->data = data;
    for (int i = 0; i < st->n; i++) st->tensors[i].data = data + st->begin[i];
}

lit_status lit_safetensors_parse(lit_safetensors **out, const void *buf, size_t len, const char *what) {
    LIT_ASSERT(out != NULL, "lit_safetensors_parse: out is NULL; pass the address of a lit_safetensors *");
    *out = NULL;
    if (!what) what = "safetensors data";
    if (!buf && len > 0) return st_fail(LIT_ERR_INVALID_ARG, what, "buffer is NULL with length %zu", len);
    const uint8_t *p = (const uint8_t *)buf;
    size_t hn = 0;
    LIT_TRY(st_header_length(p, len, what, &hn));
    lit_safetensors *st;
    LIT_TRY(st_parse_header(&st, p + 8, hn, (uint64_t)(len - 8 - hn), what));
    st_attach_data(st, p + 8 + hn);
    *out = st;
    return LIT_OK;
}

/* ---------------------------------------------------------------- files */

/* Largest single pread (Linux moves at most ~2 GiB per call anyway). */
#define ST_READ_CHUNK ((size_t)1 << 30)
/* What one thread reads at a time of a large data buffer. */
#define ST_PAR_CHUNK ((size_t)16 << 20)

/* The error for a file that another process changes while we read it. */
__attribute__((format(printf, 2, 3))) static lit_status st_changed(const char *path, const char *fmt, ...) {
    char why[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return lit_set_error(LIT_ERR_IO,
                         "%s: the file changed while it was being read (%s); another process is writing it: wait "
                         "until it is done and retry (litc's own saves replace a file in one rename)",
                         path, why);
}

/* Up to `n` bytes at offset `off`: how many there were before the end of
 * the file, or -1 with errno set on a read error. */
static ssize_t st_pread_upto(int fd, uint8_t *buf, size_t n, uint64_t off) {
    size_t done = 0;
    while (done < n) {
        size_t chunk = n - done < ST_READ_CHUNK ? n - done : ST_READ_CHUNK;
        ssize_t r = pread(fd, buf + done, chunk, (off_t)(off + done));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return -1;
        if (r == 0) break;
        done += (size_t)r;
    }
    return (ssize_t)done;
}

/* Read exactly `n` bytes at offset `off` of a file that fstat said was
 * `size` bytes; reaching its end early means it shrank meanwhile. */
static lit_status st_pread_all(int fd, void *buf, size_t n, uint64_t off, uint64_t size, const char *path) {
    ssize_t got = st_pread_upto(fd, buf, n, off);
    if (got < 0) return lit_set_error(LIT_ERR_IO, "read %s: %s", path, strerror(errno));
    if ((size_t)got < n)
        return st_changed(path, "it ends at byte %llu, it was %llu bytes", (unsigned long long)(off + (size_t)got),
                          (unsigned long long)size);
    return LIT_OK;
}

/* Make `n` bytes at `p` resident before pread writes them. The kernel
 * faults a range in bulk far faster than pread's copy takes the fault of each
 * 4 KiB page of a fresh buffer (1.26 GiB: 0.6 s instead of 0.85 s on two
 * cores). Only a hint: where it is unknown or fails, pread faults them in. */
static void st_prefault(uint8_t *p, size_t n) {
#ifdef MADV_POPULATE_WRITE
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t first = ((uintptr_t)p + page - 1) & ~(page - 1), end = ((uintptr_t)p + n) & ~(page - 1);
    if (end > first) (void)madvise((void *)first, end - first, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}

/* The data buffer being read: what each chunk's read found. */
typedef struct {
    int fd;
    uint8_t *buf;
    size_t n;
    uint64_t off;
    int error;        /* the errno of a failed read, 0 if none */
    uint64_t ends_at; /* where a chunk found the end of the file, UINT64_MAX if none did */
} st_data_read;

/* Chunk `c` of the buffer: prefaulted, then read. */
static void st_read_chunk(st_data_read *r, long c) {
    size_t at = (size_t)c * ST_PAR_CHUNK, len = r->n - at < ST_PAR_CHUNK ? r->n - at : ST_PAR_CHUNK;
    st_prefault(r->buf + at, len);
    ssize_t got = st_pread_upto(r->fd, r->buf + at, len, r->off + at);
    int e = errno;
    if (got >= 0 && (size_t)got == len) return;
#ifdef _OPENMP
#pragma omp critical(st_read_chunk)
#endif
    {
        if (got < 0) r->error = e;
        else if (r->off + at + (size_t)got < r->ends_at) r->ends_at = r->off + at + (size_t)got;
    }
}

/* st_pread_all for the data buffer, in chunks that are prefaulted and then
 * read, by the kernels' threads when the buffer is large (the page faults of
 * a fresh buffer cost more than the copy, and they scale with the threads). */
static lit_status st_pread_data(int fd, uint8_t *buf, size_t n, uint64_t off, uint64_t size, const char *path) {
    st_data_read r = {fd, buf, n, off, 0, UINT64_MAX};
    long chunks = (long)((n + ST_PAR_CHUNK - 1) / ST_PAR_CHUNK);
#ifdef _OPENMP
    if (n >= 2 * ST_PAR_CHUNK && lit_get_num_threads() > 1) {
#pragma omp parallel for schedule(dynamic, 1) num_threads(lit_get_num_threads())
        for (long c = 0; c < chunks; c++) st_read_chunk(&r, c);
    } else
#endif
    {
        for (long c = 0; c < chunks; c++) st_read_chunk(&r, c);
    }
    if (r.error) return lit_set_error(LIT_ERR_IO, "read %s: %s", path, strerror(r.error));
    if (r.ends_at != UINT64_MAX)
        return st_changed(path, "it ends at byte %llu, it was %llu bytes", (unsigned long long)r.ends_at,
                          (unsigned long long)size);
    return LIT_OK;
}

/* Whether the file still has the size and modification time it had when
 * it was opened: a rewrite in place that kept the size is caught here. */
static lit_status st_check_unchanged(int fd, const struct stat *before, const char *path) {
    struct stat now;
    if (fstat(fd, &now) != 0) return lit_set_error(LIT_ERR_IO, "fstat %s: %s", path, strerror(errno));
    if (now.st_size != before->st_size)
        return st_changed(path, "it was %lld bytes, it is %lld now", (long long)before->st_size,
                          (long long)now.st_size);
    if (now.st_mtim.tv_sec != before->st_mtim.tv_sec || now.st_mtim.tv_nsec != before->st_mtim.tv_nsec)
        return st_changed(path, "it was modified");
    return LIT_OK;
}

/* The data buffer of a validated header: `st->data_len` bytes at offset
 * `off`, read into memory the handle owns. */
static lit_status st_read_data(lit_safetensors *st, int fd, uint64_t off, uint64_t size, const char *path) {
    uint8_t *data = malloc(st->data_len ? st->data_len : 1);
    if (!data)
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory for the %zu-byte data buffer (%.1f GiB)", path,
                             st->data_len, (double)st->data_len / (1 << 30));
    lit_status rc = st_pread_data(fd, data, st->data_len, off, size, path);
    if (rc < 0) {
        free(data);
        return rc;
    }
    st->owned = data;
    st_attach_data(st, data);
    return LIT_OK;
}

static lit__safetensors_read_hook read_hook;
static void *read_hook_user;

void lit__safetensors_set_read_hook(lit__safetensors_read_hook hook, void *user) {
    read_hook = hook;
    read_hook_user = user;
}

/* Length prefix, header, data: each checked against the file's size before
 * the next is read. */
static lit_status st_read_file(lit_safetensors **out, int fd, const struct stat *sb, const char *path) {
    uint64_t size = (uint64_t)sb->st_size;
    uint8_t prefix[8] = {0};
    if (size >= 8) LIT_TRY(st_pread_all(fd, prefix, 8, 0, size, path));
    size_t hn = 0;
    LIT_TRY(st_header_length(prefix, size, path, &hn));
    uint8_t *header = malloc(hn);
    if (!header) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory for the %zu-byte header", path, hn);
    lit_safetensors *st = NULL;
    lit_status rc = st_pread_all(fd, header, hn, 8, size, path);
    if (rc >= 0) rc = st_parse_header(&st, header, hn, size - 8 - hn, path);
    free(header);
    if (rc >= 0 && read_hook) read_hook(path, read_hook_user);
    if (rc >= 0) rc = st_read_data(st, fd, 8 + (uint64_t)hn, size, path);
    if (rc >= 0) rc = st_check_unchanged(fd, sb, path);
    if (rc < 0) {
        lit_safetensors_free(st);
        return rc;
    }
    *out = st;
    return LIT_OK;
}

lit_status lit_safetensors_open(lit_safetensors **out, const char *path) {
    LIT_ASSERT(out != NULL, "lit_safetensors_open: out is NULL; pass the address of a lit_safetensors *");
    LIT_ASSERT(path != NULL, "lit_safetensors_open: path is NULL");
    *out = NULL;
    int fd = -1;
    struct stat sb;
    LIT_TRY(lit__file_open_regular(&fd, &sb, path, "file", LIT_ERR_NOT_FOUND));
    lit_status rc = st_read_file(out, fd, &sb, path);
    close(fd);
    return rc;
}

int lit_safetensors_count(const lit_safetensors *st) {
    LIT_ASSERT(st != NULL, "lit_safetensors_count: handle is NULL");
    return st->n;
}

const lit_st_tensor *lit_safetensors_at(const lit_safetensors *st, int i) {
    LIT_ASSERT(st != NULL, "lit_safetensors_at: handle is NULL");
    LIT_ASSERT(i >= 0 && i < st->n, "lit_safetensors_at: index %d outside [0, %d); use lit_safetensors_count", i,
               st->n);
    return &st->tensors[i];
}

const lit_st_tensor *lit_safetensors_find(const lit_safetensors *st, const char *name) {
    LIT_ASSERT(st != NULL, "lit_safetensors_find: handle is NULL");
    if (!name || st->n == 0) return NULL;
    const lit_st_tensor *const *hit =
        bsearch(name, st->by_name, (size_t)st->n, sizeof *st->by_name, st_find_cmp);
    return hit ? *hit : NULL;
}

int lit_safetensors_meta_count(const lit_safetensors *st) {
    LIT_ASSERT(st != NULL, "lit_safetensors_meta_count: handle is NULL");
    return st->n_meta;
}

const lit_st_meta *lit_safetensors_meta_at(const lit_safetensors *st, int i) {
    LIT_ASSERT(st != NULL, "lit_safetensors_meta_at: handle is NULL");
    LIT_ASSERT(i >= 0 && i < st->n_meta, "lit_safetensors_meta_at: index %d outside [0, %d)", i, st->n_meta);
    return &st->meta[i];
}

const char *lit_safetensors_meta(const lit_safetensors *st, const char *key) {
    LIT_ASSERT(st != NULL, "lit_safetensors_meta: handle is NULL");
    if (!key) return NULL;
    for (int i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta[i].key, key) == 0) return st->meta[i].value;
    return NULL;
}

const uint8_t *lit_safetensors_data(const lit_safetensors *st, size_t *len) {
    LIT_ASSERT(st != NULL, "lit_safetensors_data: handle is NULL");
    if (len) *len = st->data_len;
    return st->data;
}

/* ---------------------------------------------------------------- writing */

/* A JSON string: quotes, backslashes and control characters escaped, all
 * other bytes (valid UTF-8, checked before) as they are — serde_json's style. */
static void st_put_json_str(lit__buf *b, const char *s) {
    lit__buf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if (c == '"') lit__buf_put(b, "\\\"", 2);
        else if (c == '\\') lit__buf_put(b, "\\\\", 2);
        else if (c == '\n') lit__buf_put(b, "\\n", 2);
        else if (c == '\r') lit__buf_put(b, "\\r", 2);
        else if (c == '\t') lit__buf_put(b, "\\t", 2);
        else if (c == '\b') lit__buf_put(b, "\\b", 2);
        else if (c == '\f') lit__buf_put(b, "\\f", 2);
        else if (c < 0x20) {
            char tmp[8];
            snprintf(tmp, sizeof tmp, "\\u%04x", c);
            lit__buf_put(b, tmp, 6);
        } else {
            lit__buf_put(b, (const char *)p, 1);
        }
    }
    lit__buf_put(b, "\"", 1);
}

static int st_cmp_str_ptr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Duplicate among `n` strings (sorted copy of the pointers), or NULL. */
static lit_status st_find_duplicate(const char **names, int n, const char **dup) {
    *dup = NULL;
    if (n < 2) return LIT_OK;
    const char **s = malloc((size_t)n * sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "safetensors: out of memory checking %d names", n);
    memcpy(s, names, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, st_cmp_str_ptr);
    for (int i = 1; i < n; i++)
        if (strcmp(s[i - 1], s[i]) == 0) { *dup = s[i]; break; }
    free(s);
    return LIT_OK;
}

/* Bytes of tensor t, or a status when the description is invalid. */
static lit_status st_tensor_bytes(const lit_st_tensor *t, int i, uint64_t *bytes) {
    char q[ST_QUOTE + 8];
    const char *qn = st_quote(t->name, q);
    int bits = st_dtype_bits(t->dtype);
    if (bits == 0)
        return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: tensor %d '%s': dtype %d is not a lit_dtype", i, qn,
                             (int)t->dtype);
    if (t->ndim < 0 || t->ndim > LIT_MAX_DIMS)
        return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: tensor '%s': ndim %d outside [0, %d]", qn, t->ndim,
                             LIT_MAX_DIMS);
    uint64_t numel = 1;
    for (int d = 0; d < t->ndim; d++) {
        if (t->shape[d] < 0)
            return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: tensor '%s': shape[%d] is %lld; pass >= 0", qn, d,
                                 (long long)t->shape[d]);
        if (__builtin_mul_overflow(numel, (uint64_t)t->shape[d], &numel))
            return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: tensor '%s': element count overflows", qn);
    }
    uint64_t nb;
    if (__builtin_mul_overflow(numel, (uint64_t)(bits / 8), &nb) || nb > (uint64_t)SIZE_MAX)
        return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: tensor '%s': byte count overflows", qn);
    if (nb > 0 && !t->data)
        return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: tensor '%s': data is NULL for %llu bytes", qn,
                             (unsigned long long)nb);
    *bytes = nb;
    return LIT_OK;
}

lit_status lit_safetensors_header(int n, const lit_st_tensor *tensors, int n_meta, const lit_st_meta *meta,
                                  uint8_t **header, size_t *header_len, uint64_t *data_len) {
    LIT_ASSERT(header && header_len, "lit_safetensors_header: header and header_len must not be NULL");
    *header = NULL;
    *header_len = 0;
    if (data_len) *data_len = 0;
    if (n < 0 || n_meta < 0 || (n > 0 && !tensors) || (n_meta > 0 && !meta))
        return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: %d tensors at %p, %d metadata entries at %p", n,
                             (const void *)tensors, n_meta, (const void *)meta);
    /* Names, keys, values. */
    for (int i = 0; i < n; i++) {
        const char *name = tensors[i].name;
        if (!name || !*name)
            return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: tensor %d has %s name; names must be non-empty",
                                 i, name ? "an empty" : "a NULL");
        size_t len = strlen(name);
        char q[ST_QUOTE + 8];
        if (len > LIT_SAFETENSORS_MAX_NAME)
            return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: tensor name '%s' is %zu bytes, over the limit of %d",
                                 st_quote(name, q), len, LIT_SAFETENSORS_MAX_NAME);
        if (strcmp(name, "__metadata__") == 0)
            return lit_set_error(LIT_ERR_INVALID_ARG,
                                 "safetensors: tensor %d is called \"__metadata__\", the format's reserved key", i);
        size_t bad = lit__utf8_invalid_at((const uint8_t *)name, len);
        if (bad < len)
            return lit_set_error(LIT_ERR_INVALID_ARG,
                                 "safetensors: tensor %d's name is not valid UTF-8 (byte 0x%02x at offset %zu)", i,
                                 (unsigned char)name[bad], bad);
    }
    for (int i = 0; i < n_meta; i++) {
        const char *k = meta[i].key, *v = meta[i].value;
        if (!k || !v)
            return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: metadata entry %d has a NULL %s", i,
                                 k ? "value" : "key");
        char q[ST_QUOTE + 8];
        size_t kl = strlen(k), vl = strlen(v), bad;
        if ((bad = lit__utf8_invalid_at((const uint8_t *)k, kl)) < kl)
            return lit_set_error(LIT_ERR_INVALID_ARG,
                                 "safetensors: metadata key %d is not valid UTF-8 (byte 0x%02x at offset %zu)", i,
                                 (unsigned char)k[bad], bad);
        if ((bad = lit__utf8_invalid_at((const uint8_t *)v, vl)) < vl)
            return lit_set_error(LIT_ERR_INVALID_ARG,
                                 "safetensors: metadata value of '%s' is not valid UTF-8 (byte 0x%02x at offset %zu)",
                                 st_quote(k, q), (unsigned char)v[bad], bad);
    }
    const char **names = malloc((size_t)(n > n_meta ? n : n_meta) * sizeof *names + 1);
    if (!names) return lit_set_error(LIT_ERR_NOMEM, "safetensors: out of memory");
    const char *dup;
    for (int i = 0; i < n; i++) names[i] = tensors[i].name;
    lit_status rc = st_find_duplicate(names, n, &dup);
    if (rc == LIT_OK && dup) {
        char q[ST_QUOTE + 8];
        rc = lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: duplicate tensor name '%s'", st_quote(dup, q));
    }
    if (rc == LIT_OK) {
        for (int i = 0; i < n_meta; i++) names[i] = meta[i].key;
        rc = st_find_duplicate(names, n_meta, &dup);
        if (rc == LIT_OK && dup) {
            char q[ST_QUOTE + 8];
            rc = lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: duplicate metadata key '%s'", st_quote(dup, q));
        }
    }
    free(names);
    LIT_TRY(rc);

    lit__buf b = {0};
    lit__buf_put(&b, "\0\0\0\0\0\0\0\0", 8);
    lit__buf_put(&b, "{", 1);
    int first = 1;
    if (n_meta > 0) {
        lit__buf_puts(&b, "\"__metadata__\":{");
        for (int i = 0; i < n_meta; i++) {
            if (i) lit__buf_put(&b, ",", 1);
            st_put_json_str(&b, meta[i].key);
            lit__buf_put(&b, ":", 1);
            st_put_json_str(&b, meta[i].value);
        }
        lit__buf_put(&b, "}", 1);
        first = 0;
    }
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        const lit_st_tensor *t = &tensors[i];
        uint64_t nb;
        rc = st_tensor_bytes(t, i, &nb);
        if (rc < 0) {
            lit__buf_free(&b);
            return rc;
        }
        if (!first) lit__buf_put(&b, ",", 1);
        first = 0;
        st_put_json_str(&b, t->name);
        lit__buf_puts(&b, ":{\"dtype\":\"");
        lit__buf_puts(&b, lit_safetensors_dtype_name(t->dtype));
        lit__buf_puts(&b, "\",\"shape\":[");
        for (int d = 0; d < t->ndim; d++) {
            if (d) lit__buf_put(&b, ",", 1);
            lit__buf_printf(&b, "%llu", (unsigned long long)(uint64_t)t->shape[d]);
        }
        lit__buf_puts(&b, "],\"data_offsets\":[");
        lit__buf_printf(&b, "%llu", (unsigned long long)off);
        lit__buf_put(&b, ",", 1);
        if (__builtin_add_overflow(off, nb, &off) || off > (uint64_t)INT64_MAX) {
            lit__buf_free(&b);
            return lit_set_error(LIT_ERR_INVALID_ARG, "safetensors: the tensors' total byte count overflows");
        }
        lit__buf_printf(&b, "%llu", (unsigned long long)off);
        lit__buf_puts(&b, "]}");
    }
    lit__buf_put(&b, "}", 1);
    while (!b.failed && b.len % 8 != 0) lit__buf_put(&b, " ", 1);
    if (b.failed) {
        lit__buf_free(&b);
        return lit_set_error(LIT_ERR_NOMEM, "safetensors: out of memory building the header");
    }
    uint64_t hn = (uint64_t)(b.len - 8);
    if (hn > LIT_SAFETENSORS_MAX_HEADER) {
        lit__buf_free(&b);
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "safetensors: the header would be %llu bytes, over the %u bytes readers accept (fewer or "
                             "shorter names and metadata)",
                             (unsigned long long)hn, (unsigned)LIT_SAFETENSORS_MAX_HEADER);
    }
    st_put_le64(b.data, hn);
    *header = b.data; /* the caller free()s it */
    *header_len = b.len;
    if (data_len) *data_len = off;
    return LIT_OK;
}

lit_status lit_safetensors_write_file(FILE *f, int n, const lit_st_tensor *tensors, int n_meta,
                                      const lit_st_meta *meta) {
    if (!f) return lit_set_error(LIT_ERR_INVALID_ARG, "lit_safetensors_write_file: FILE is NULL");
    uint8_t *hdr;
    size_t hlen;
    uint64_t dlen;
    LIT_TRY(lit_safetensors_header(n, tensors, n_meta, meta, &hdr, &hlen, &dlen));
    errno = 0;
    size_t w = fwrite(hdr, 1, hlen, f);
    free(hdr);
    if (w != hlen) {
        int e = errno;
        return lit_set_error(LIT_ERR_IO, "safetensors: writing the %zu-byte header failed: %s", hlen,
                             e ? strerror(e) : "short write");
    }
    for (int i = 0; i < n; i++) {
        uint64_t nb;
        LIT_TRY(st_tensor_bytes(&tensors[i], i, &nb));
        if (nb == 0) continue;
        errno = 0;
        if (fwrite(tensors[i].data, 1, (size_t)nb, f) != (size_t)nb) {
            int e = errno;
            char q[ST_QUOTE + 8];
            return lit_set_error(LIT_ERR_IO, "safetensors: writing tensor '%s' (%llu bytes) failed: %s",
                                 st_quote(tensors[i].name, q), (unsigned long long)nb, e ? strerror(e) : "short write");
        }
    }
    return LIT_OK;
}
