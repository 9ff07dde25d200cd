/*
 * litc/safetensors.h — the safetensors file format
 * (https://huggingface.co/docs/safetensors): write tensors with string
 * metadata, and read a file back with every byte of it validated.
 *
 * Layout: 8 bytes little-endian header length N, N bytes of UTF-8 JSON
 * {"__metadata__": {"k": "v", ...}, "<name>": {"dtype": "F32", "shape": [2, 3],
 * "data_offsets": [begin, end]}, ...} (padded with spaces), then the byte
 * buffer; offsets are relative to the buffer's start. litc writes tensors in
 * the order given, each right after the previous (no holes), and pads the
 * header so the buffer starts 8-byte aligned, as the Python library does.
 *
 * Reading never executes anything and refuses, with LIT_ERR_CORRUPT and a
 * message "<file>: <tensor or key>: <what is wrong>[; <how to fix>]":
 *   - a file shorter than 8 bytes, a header length of 0, beyond the file or
 *     over LIT_SAFETENSORS_MAX_HEADER;
 *   - a header that is not valid UTF-8 JSON (duplicate keys, trailing
 *     garbage, NUL bytes — raw or escaped —, nesting deeper than 16 levels,
 *     checked before parsing, where the format needs 3) or not an object of
 *     the shape above: each entry has exactly the keys dtype, shape and
 *     data_offsets (unknown keys are refused), "__metadata__" is an object
 *     of string values (or null, read as no metadata);
 *   - a shape that is not a list of non-negative integers, or whose element
 *     count (a left-to-right product, each partial product within int64_t,
 *     as the reference's checked fold) overflows;
 *   - data_offsets that are not [begin <= end] integers inside the buffer,
 *     whose length differs from numel * dtype size, that overlap another
 *     tensor's, or that leave holes or trailing bytes in the buffer (the
 *     format requires the buffer to be indexed entirely).
 * Tensor names must be non-empty, at most LIT_SAFETENSORS_MAX_NAME bytes.
 * A file that is valid safetensors but that litc cannot hold is refused with
 * LIT_ERR_UNSUPPORTED naming the tensor: a dtype other than F32, BF16, I32
 * and I64 (F16, F64, U8, ... and names the format does not define), or more
 * than LIT_MAX_DIMS dimensions. Corruption anywhere in the file is reported
 * before such a tensor.
 *
 * Intended usage:
 *
 *     lit_st_tensor ts[] = {
 *         { .name = "w", .dtype = LIT_F32, .ndim = 2, .shape = {3, 4}, .data = w_data },
 *     };
 *     lit_st_meta meta[] = { { "format", "pt" } };
 *     LIT_TRY(lit_safetensors_write_file(f, 1, ts, 1, meta));   // f: an open FILE *
 *
 *     lit_safetensors *st;
 *     LIT_TRY(lit_safetensors_open(&st, "model.safetensors"));
 *     const lit_st_tensor *w = lit_safetensors_find(st, "w");     // NULL when absent
 *     ... w->data (may be unaligned: copy with memcpy), w->nbytes ...
 *     lit_safetensors_free(st);
 *
 * Atomic replacement of a file (temporary file, fsync, rename) is the
 * checkpoint layer's job (checkpoint.h); this layer only formats bytes.
 */
#ifndef LITC_SAFETENSORS_H
#define LITC_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The Python reference refuses headers over 100 MB; so do we. */
#define LIT_SAFETENSORS_MAX_HEADER (100u * 1000u * 1000u)
#define LIT_SAFETENSORS_MAX_NAME 1024

/* One tensor. Writing: `data` points to numel * dtype-size contiguous bytes
 * in little-endian order (not copied; must stay valid during the write);
 * `nbytes` is ignored (computed). Reading: `data` points into the file
 * image held by the lit_safetensors handle (possibly unaligned) and `nbytes`
 * is its length; `name` is owned by the handle. */
typedef struct {
    const char *name;
    lit_dtype dtype;
    int ndim;
    int64_t shape[LIT_MAX_DIMS];
    const void *data;
    size_t nbytes;
} lit_st_tensor;

/* One "__metadata__" entry (both strings; not copied when writing). */
typedef struct {
    const char *key;
    const char *value;
} lit_st_meta;

/* The safetensors name of a dtype ("F32", "BF16", "I32", "I64"; NULL for a
 * value that is not a lit_dtype), and back (returns 0 and sets *dt, or -1
 * for a name litc cannot hold, NULL included). Names are case-sensitive. */
const char *lit_safetensors_dtype_name(lit_dtype dt);
int lit_safetensors_dtype_parse(const char *name, lit_dtype *dt);

/* ---------------------------------------------------------------- writing */

/*
 * The header for these tensors and metadata: a malloc'd buffer with the
 * 8-byte length prefix and the padded JSON (free() it), its size in
 * *header_len, and the byte buffer's total size in *data_len. Tensors are
 * laid out in the order given; the JSON is compact, "__metadata__" first
 * (omitted when n_meta is 0), then the tensors, then spaces up to a multiple
 * of 8 bytes — the same input always gives the same bytes. Errors:
 * LIT_ERR_INVALID_ARG for a NULL, empty, too long, duplicate or
 * "__metadata__" tensor name, a duplicate metadata key, a NULL key or value,
 * strings that are not valid UTF-8, a bad dtype, ndim or negative dim, a
 * byte count that overflows, NULL data for a non-empty tensor, or a header
 * over LIT_SAFETENSORS_MAX_HEADER (message names which); LIT_ERR_NOMEM.
 */
lit_status lit_safetensors_header(int n, const lit_st_tensor *tensors, int n_meta, const lit_st_meta *meta,
                                  uint8_t **header, size_t *header_len, uint64_t *data_len);

/* Write header and data to `f` (at its current position; not closed, not
 * flushed to disk). Errors: lit_safetensors_header's, LIT_ERR_IO (with
 * strerror) when a write fails — the file is then incomplete. */
lit_status lit_safetensors_write_file(FILE *f, int n, const lit_st_tensor *tensors, int n_meta,
                                      const lit_st_meta *meta);

/* ---------------------------------------------------------------- reading */

typedef struct lit_safetensors lit_safetensors;

/*
 * Parse and validate a file image in memory. `buf` is not copied and must
 * outlive the handle. `what` names the source in messages (a path; NULL =
 * "safetensors data"). Errors: LIT_ERR_CORRUPT / LIT_ERR_UNSUPPORTED as
 * listed at the top, LIT_ERR_NOMEM. *out is NULL on error.
 */
lit_status lit_safetensors_parse(lit_safetensors **out, const void *buf, size_t len, const char *what);
/* Read the file at `path` and parse it, reading no more than the checks
 * need: the 8-byte header length is checked against the file's size, then
 * the JSON header (every data_offsets against the size), and only then is
 * the data buffer read, with pread into memory the handle owns (no mmap: a
 * file truncated by another process meanwhile cannot fault the reader). A
 * FIFO is opened without blocking and refused like any file that is not
 * regular. Errors: LIT_ERR_NOT_FOUND for a missing file; LIT_ERR_IO for a
 * path that is not a regular file (the message says what it is: a FIFO, a
 * directory, a device), other open/read failures (strerror in the
 * message), and a file that changed while it was read (it ended early, or
 * its size or modification time moved): retry once the writer is done;
 * LIT_ERR_NOMEM when the data buffer does not fit in memory; then
 * lit_safetensors_parse's. */
lit_status lit_safetensors_open(lit_safetensors **out, const char *path);
void lit_safetensors_free(lit_safetensors *st); /* NULL is a no-op */

/* Tensors in the order of their data offsets (empty tensors at one offset:
 * by name). */
int lit_safetensors_count(const lit_safetensors *st);
const lit_st_tensor *lit_safetensors_at(const lit_safetensors *st, int i); /* asserts 0 <= i < count */
/* The tensor called `name`, or NULL. O(log n). */
const lit_st_tensor *lit_safetensors_find(const lit_safetensors *st, const char *name);

/* "__metadata__" entries in file order; the value of `key` or NULL. */
int lit_safetensors_meta_count(const lit_safetensors *st);
const lit_st_meta *lit_safetensors_meta_at(const lit_safetensors *st, int i); /* asserts the range */
const char *lit_safetensors_meta(const lit_safetensors *st, const char *key);

/* The whole byte buffer after the header (for checksums). */
const uint8_t *lit_safetensors_data(const lit_safetensors *st, size_t *len);

#ifdef __cplusplus
}
#endif
#endif
