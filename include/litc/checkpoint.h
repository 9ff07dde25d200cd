/*
 * litc/checkpoint.h — checkpoint contents and .ckpt files.
 *
 * A lit_checkpoint is what Lightning's checkpoint dict is: named tensors
 * ("state_dict.<param>", "optimizer_states.<i>.<slot>.<param>", anything a
 * hook adds) and a tree of JSON values (epoch, global_step, loops,
 * callbacks, lr_schedulers, hyper_parameters, rng, ...). On disk it is a
 * valid safetensors file (safetensors.h): the tensors are the file's
 * tensors; every top-level key of the value tree is one "__metadata__"
 * entry whose value is that key's JSON text ("epoch" -> "3",
 * "loops" -> "{\"fit_loop\": ...}"), next to four plain entries:
 *
 *     "format"          "litc-checkpoint"
 *     "format_version"  "1"                (LIT_CHECKPOINT_FORMAT_VERSION)
 *     "litc_version"    "0.1.0"            (the writer's)
 *     "checksum"        "crc32c:1a2b3c4d"
 *
 * Tensors are laid out by dtype size (largest first), then by name, so each
 * one starts aligned to its element size (as the Python library does).
 *
 * The checksum is CRC-32C over, in this order: every tensor sorted by name
 * (name, NUL, dtype name, NUL, ndim as one byte, each dim as 8 bytes LE,
 * byte count as 8 bytes LE, the bytes), then every other metadata entry
 * sorted by key (key, NUL, value, NUL). It is independent of the file's
 * layout, so a file rewritten by another safetensors writer with the same
 * contents still verifies.
 *
 * Values are addressed by dotted keys relative to the current scope:
 * "fit_loop.epoch" is value tree["fit_loop"]["epoch"]. A key component may
 * not contain '.'; names that may (callback state keys, metric names) are
 * opened with lit_checkpoint_push_scope, which takes one literal
 * component; numeric components ("lr_schedulers.0.last_epoch") are plain
 * object keys. Doubles round-trip exactly (17 significant digits); NaN and
 * infinities are stored as the strings "nan", "inf", "-inf", which
 * lit_checkpoint_get_double reads back.
 *
 * Intended usage (what the Trainer and hooks do):
 *
 *     lit_checkpoint *ck = lit_checkpoint_new();
 *     LIT_TRY(lit_checkpoint_put_tensor(ck, "state_dict.head.weight", w));
 *     LIT_TRY(lit_checkpoint_set_int(ck, "epoch", 3));
 *     LIT_TRY(lit_checkpoint_push_scope(ck, "callbacks"));
 *     LIT_TRY(lit_checkpoint_push_scope(ck, "EarlyStopping{'monitor': 'val/loss'}"));
 *     LIT_TRY(lit_checkpoint_set_double(ck, "best_score", 0.25));
 *     lit_checkpoint_pop_scope(ck); lit_checkpoint_pop_scope(ck);
 *     LIT_TRY(lit_checkpoint_save(ck, "ckpts/last.ckpt"));        // atomic
 *     lit_checkpoint_free(ck);
 *
 *     LIT_TRY(lit_checkpoint_load(&ck, "ckpts/last.ckpt"));       // validated
 *     int64_t epoch; LIT_TRY(lit_checkpoint_get_int(ck, "epoch", &epoch));
 *     LIT_TRY(lit_checkpoint_read_tensor(ck, "state_dict.head.weight", w));
 *
 * Saving is atomic: the file is written to a temporary file in the same
 * directory ("<name>.tmp.<pid>"), flushed and fsync'ed, renamed over the
 * final name and the directory is fsync'ed. A crash, a kill or a full disk
 * at any moment leaves either the old file or the complete new one under
 * the final name, never a partial one; the temporary file is removed on
 * failure (a kill leaves it: lit_checkpoint_remove_stale_temps clears it,
 * as ModelCheckpoint does in its folder when a fit starts). Under a file
 * size limit (`ulimit -f`) the save fails with EFBIG instead of the process
 * dying by SIGXFSZ: the signal is blocked in the saving thread meanwhile.
 *
 * Loading validates everything safetensors.h lists, then the checksum, the
 * format and its version (a newer version is refused with
 * LIT_ERR_UNSUPPORTED naming both versions; older versions are upgraded in
 * memory — version 1 is the first, so there is nothing to upgrade yet) and
 * that every metadata value is valid JSON. A file without "format" is read
 * as a plain safetensors file (weights only: tensors, no values, nothing
 * verified: format version 0) so that files written by PyTorch's
 * safetensors can be loaded, unless anything in it says it is a litc
 * checkpoint: then it is a damaged one and refused with LIT_ERR_CORRUPT,
 * since its checksum can no longer be found. That is: one of the other
 * three format entries, a metadata key one edit away from a missing format
 * entry's ("fosmat", "Format": a flipped bit), a value "litc-checkpoint",
 * a top-level value the Trainer writes (epoch, global_step, loops,
 * callbacks, optimizers, lr_schedulers, hyper_parameters, rng, ...) or a
 * tensor named "state_dict.*", "optimizer_states.*", "grads.*" or
 * "callbacks.*". Resuming a fit needs format version >= 1, so a checkpoint
 * used as one has always had its checksum verified.
 *
 * Ownership: put_tensor keeps a reference to the tensor (no copy) — it must
 * stay alive and unchanged until the checkpoint is saved or freed. A loaded
 * checkpoint owns its file image. Strings returned by getters are owned by
 * the checkpoint and valid until the key is set again or the checkpoint is
 * freed. Not thread-safe.
 */
#ifndef LITC_CHECKPOINT_H
#define LITC_CHECKPOINT_H

#include <stdint.h>

#include "core.h"
#include "safetensors.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_CHECKPOINT_FORMAT "litc-checkpoint"
#define LIT_CHECKPOINT_FORMAT_VERSION 1
#define LIT_CHECKPOINT_MAX_SCOPE 8

typedef struct lit_checkpoint lit_checkpoint;

/* An empty checkpoint (for saving). NULL on out of memory (last error set). */
lit_checkpoint *lit_checkpoint_new(void);
void lit_checkpoint_free(lit_checkpoint *ck); /* NULL is a no-op */

/* ---------------------------------------------------------------- files */

/* Write atomically (see above). Errors: LIT_ERR_IO naming the path and the
 * failing call (open, write, fsync, rename) with strerror — ENOSPC and
 * EFBIG ("the file size limit (ulimit -f) was reached writing <path>")
 * included — and the previous file at `path`, if any, untouched;
 * LIT_ERR_INVALID_ARG for a tensor name the format cannot hold. */
lit_status lit_checkpoint_save(const lit_checkpoint *ck, const char *path);

/* Remove the temporary files of saves that were killed mid-write from the
 * folder `dir` (not its sub-folders): only regular files of this user named
 * exactly "<name>.ckpt.tmp.<pid>" whose pid is not this process and not a
 * running one. Symlinks are never followed nor removed, `dir` itself must
 * not be a symlink, nothing else is touched. *removed (may be NULL) gets
 * the count. A missing `dir` is LIT_OK (nothing to clear); LIT_ERR_IO when
 * it cannot be read. */
lit_status lit_checkpoint_remove_stale_temps(const char *dir, int *removed);

/* Read and validate `path` (read as lit_safetensors_open reads it).
 * Errors: LIT_ERR_NOT_FOUND (no such file: the message says so and names
 * it), LIT_ERR_IO (not a regular file, a read error, the file changed while
 * it was read), LIT_ERR_CORRUPT (what is wrong: safetensors structure,
 * "checksum mismatch: stored crc32c:..., computed ...", a metadata value
 * that is not JSON, a format that is not litc's, a litc checkpoint without
 * its "format" entry),
 * LIT_ERR_UNSUPPORTED (a newer format version, a dtype litc cannot hold),
 * LIT_ERR_NOMEM. *out is NULL on error. */
lit_status lit_checkpoint_load(lit_checkpoint **out, const char *path);
/* The same on an in-memory image (copied). `what` names it in messages. */
lit_status lit_checkpoint_load_buffer(lit_checkpoint **out, const void *buf, size_t len, const char *what);
/* The same on a file already read with lit_safetensors_open (so that
 * `litc info` can print what it holds before judging it, from one read).
 * Takes ownership of `st`: it is freed on error too. */
lit_status lit_checkpoint_load_safetensors(lit_checkpoint **out, lit_safetensors *st, const char *what);

/* The format version the file had before any upgrade (0 for a plain
 * safetensors file without litc metadata, which has no checksum: nothing
 * in it was verified). */
int lit_checkpoint_format_version(const lit_checkpoint *ck);

/* ---------------------------------------------------------------- tensors */

/* Add or replace tensor `name` (non-empty, at most 1024 bytes). The tensor
 * must be contiguous (asserted) and is referenced, not copied.
 * Errors: LIT_ERR_INVALID_ARG (bad name), LIT_ERR_NOMEM. */
lit_status lit_checkpoint_put_tensor(lit_checkpoint *ck, const char *name, const lit_tensor *t);
/* Copy tensor `name` into `dst` (dtype and shape must match). Errors:
 * LIT_ERR_NOT_FOUND (names the tensor), LIT_ERR_DTYPE / LIT_ERR_SHAPE
 * naming the tensor, the stored and the expected dtype or shape. */
lit_status lit_checkpoint_read_tensor(const lit_checkpoint *ck, const char *name, lit_tensor *dst);
/* Tensor `name` as a read-only tensor owned by the checkpoint (no copy of
 * the data when it is aligned in the file image, which litc's own files
 * always are), valid until the checkpoint is freed; NULL when absent (no
 * error set) or out of memory (error set). Do not write through it. */
lit_tensor *lit_checkpoint_tensor_view(const lit_checkpoint *ck, const char *name);
/* 1 when tensor `name` exists; then *dt, *ndim and shape (LIT_MAX_DIMS
 * entries; each out-pointer may be NULL) describe it. */
int lit_checkpoint_tensor_info(const lit_checkpoint *ck, const char *name, lit_dtype *dt, int *ndim, int64_t *shape);
/* Tensors in name order. */
int lit_checkpoint_tensor_count(const lit_checkpoint *ck);
const char *lit_checkpoint_tensor_name(const lit_checkpoint *ck, int i); /* asserts the range */
/* Remove every tensor whose name starts with `prefix` ("" = all); returns
 * how many (weights-only exports drop "optimizer_states."). */
int lit_checkpoint_drop_tensors(lit_checkpoint *ck, const char *prefix);

/* ---------------------------------------------------------------- values */

/* Set a value at `key` (dotted, relative to the scope), creating the
 * objects on the way and replacing what was there. Errors:
 * LIT_ERR_INVALID_ARG for an empty key or component, or a path through a
 * non-object (message names the key); set_json: LIT_ERR_INVALID_ARG when
 * `json` is not one valid JSON value; LIT_ERR_NOMEM. */
lit_status lit_checkpoint_set_int(lit_checkpoint *ck, const char *key, int64_t v);
lit_status lit_checkpoint_set_uint(lit_checkpoint *ck, const char *key, uint64_t v); /* as a decimal string: JSON ints are signed */
lit_status lit_checkpoint_set_double(lit_checkpoint *ck, const char *key, double v);
lit_status lit_checkpoint_set_string(lit_checkpoint *ck, const char *key, const char *v);
lit_status lit_checkpoint_set_json(lit_checkpoint *ck, const char *key, const char *json);

/* Read a value. Errors: LIT_ERR_NOT_FOUND (names the full key path),
 * LIT_ERR_CORRUPT when the value has another type (names key, expected and
 * found type; get_int refuses non-integers and get_uint strings that are
 * not decimal uint64). get_double accepts integers too. */
lit_status lit_checkpoint_get_int(const lit_checkpoint *ck, const char *key, int64_t *out);
lit_status lit_checkpoint_get_uint(const lit_checkpoint *ck, const char *key, uint64_t *out);
/* get_int, then LIT_ERR_CORRUPT naming the key, the value and the range
 * when it lies outside [min, max]. Every integer that a restore uses as a
 * count, an index or a position is read through it: a hostile checkpoint
 * must not be able to overflow a counter or start a loop that never ends.
 * Counters use [0, LIT_CHECKPOINT_COUNTER_MAX]. */
lit_status lit_checkpoint_get_int_range(const lit_checkpoint *ck, const char *key, int64_t min, int64_t max,
                                       int64_t *out);
/* 2^53 - 1: the largest counter (epoch, step, batch, ...) litc restores.
 * Exact as a double (loggers, charts, JSON readers), and no run can count
 * from it to INT64_MAX. */
#define LIT_CHECKPOINT_COUNTER_MAX ((int64_t)9007199254740991)
lit_status lit_checkpoint_get_double(const lit_checkpoint *ck, const char *key, double *out);
/* lit_checkpoint_get_double, and LIT_ERR_CORRUPT naming the key and range
 * when the value lies outside [min, max] (NaN lies outside every range; pass
 * +-INFINITY for an open end). For the numbers a restore computes with: a
 * callback's learning rates, elapsed times, scores. */
lit_status lit_checkpoint_get_double_range(const lit_checkpoint *ck, const char *key, double min, double max,
                                           double *out);
lit_status lit_checkpoint_get_string(const lit_checkpoint *ck, const char *key, const char **out);
/* The JSON text of the value at `key` (malloc'd, compact; free() it). */
lit_status lit_checkpoint_get_json(const lit_checkpoint *ck, const char *key, char **out);
int lit_checkpoint_has(const lit_checkpoint *ck, const char *key);
/* Remove `key` (no error when absent). */
void lit_checkpoint_remove(lit_checkpoint *ck, const char *key);

/* Object keys at `key` ("" = the scope itself), in insertion order:
 * how many (-1 when absent or not an object) and the i-th. */
int lit_checkpoint_key_count(const lit_checkpoint *ck, const char *key);
const char *lit_checkpoint_key_at(const lit_checkpoint *ck, const char *key, int i);

/* Enter object `component` (one literal name, dots allowed) of the current
 * scope, creating it when absent. At most LIT_CHECKPOINT_MAX_SCOPE deep.
 * Errors: LIT_ERR_INVALID_ARG (empty, too deep, or not an object there). */
lit_status lit_checkpoint_push_scope(lit_checkpoint *ck, const char *component);
/* Enter an existing object only: LIT_ERR_NOT_FOUND when it is absent. */
lit_status lit_checkpoint_enter_scope(const lit_checkpoint *ck, const char *component);
void lit_checkpoint_pop_scope(const lit_checkpoint *ck); /* asserts a scope is open */
/* Back to the root (the Trainer does this around every hook). */
void lit_checkpoint_reset_scope(const lit_checkpoint *ck);

#ifdef __cplusplus
}
#endif
#endif
