/*
 * litc/core.h — status codes, error messages, logging, assertions, arenas,
 * the counter-based RNG and the monotonic clock.
 *
 * Everything else in litc is built on these pieces.
 *
 * Intended usage:
 *
 *     lit_status st = lit_something(...);
 *     if (st < 0) fprintf(stderr, "%s: %s\n", lit_status_str(st), lit_last_error());
 *
 *     lit_arena *step = lit_arena_new("step", 0);   // activations + tape
 *     lit_arena_use(step);                          // ops allocate from here
 *     ... forward, backward, optimizer step ...
 *     lit_arena_reset(step);                        // O(1); no free/malloc
 *
 * Errors: programmer errors (wrong shapes, wrong dtypes, use of freed memory)
 * stop the program through LIT_ASSERT with a message that names the fault and
 * a hint how to fix it. Runtime errors (I/O, bad config, out of memory) are
 * returned as negative lit_status values; the message is kept per thread and
 * read with lit_last_error().
 */
#ifndef LITC_CORE_H
#define LITC_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_VERSION_MAJOR 0
#define LIT_VERSION_MINOR 1
#define LIT_VERSION_PATCH 0
#define LIT_VERSION_STRING "0.1.0"

/* ---------------------------------------------------------------- status */

/* X-macro: name, value, description. Zero is success, failures are < 0. */
#define LIT_STATUS_TABLE(X)                                                       \
    X(LIT_OK,               0,  "success")                                        \
    X(LIT_ERR_NOMEM,       -1,  "out of memory")                                  \
    X(LIT_ERR_IO,          -2,  "input/output error")                             \
    X(LIT_ERR_INVALID_ARG, -3,  "invalid argument")                               \
    X(LIT_ERR_SHAPE,       -4,  "shape mismatch")                                 \
    X(LIT_ERR_DTYPE,       -5,  "dtype mismatch")                                 \
    X(LIT_ERR_CONFIG,      -6,  "invalid configuration")                          \
    X(LIT_ERR_CORRUPT,     -7,  "corrupt or malformed file")                      \
    X(LIT_ERR_STATE,       -8,  "operation not valid in the current state")       \
    X(LIT_ERR_NOT_FOUND,   -9,  "not found")                                      \
    X(LIT_ERR_UNSUPPORTED, -10, "not supported by this build")                    \
    X(LIT_ERR_INTERRUPTED, -11, "interrupted")                                    \
    X(LIT_ERR_HOOK,        -12, "a user hook failed")                             \
    X(LIT_ERR_NUMERIC,     -13, "non-finite value (NaN or Inf)")                  \
    X(LIT_ERR_DATA,        -14, "invalid data")

typedef enum {
#define LIT__STATUS_ENUM(name, value, desc) name = value,
    LIT_STATUS_TABLE(LIT__STATUS_ENUM)
#undef LIT__STATUS_ENUM
} lit_status;

/* Static description of a status ("out of memory"); never NULL. */
const char *lit_status_str(lit_status st);
/* Symbolic name of a status ("LIT_ERR_NOMEM"); never NULL. */
const char *lit_status_name(lit_status st);

/* Record the calling thread's last error message and return `st`, so
 * failing functions can `return lit_set_error(LIT_ERR_IO, "open %s: %s", ...)`.
 * The arguments may include lit_last_error() itself (wrapping a callee's
 * message). */
lit_status lit_set_error(lit_status st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The calling thread's last error message ("" when none). Valid until the
 * next lit_set_error on this thread. */
const char *lit_last_error(void);
void lit_clear_error(void);

/* Propagate a failing status: `LIT_TRY(lit_x(...));` */
#define LIT_TRY(expr)                                \
    do {                                             \
        lit_status lit__st_ = (expr);                \
        if (lit__st_ < 0) return lit__st_;           \
    } while (0)

/* ---------------------------------------------------------------- logging */

typedef enum { LIT_LOG_DEBUG = 0, LIT_LOG_INFO, LIT_LOG_WARN, LIT_LOG_ERROR, LIT_LOG_OFF } lit_log_level;

/* Receives every message at or above the current level. The default sink
 * writes "[litc] level: message" to stderr. */
typedef void (*lit_log_fn)(lit_log_level level, const char *msg, void *user);

/* Replace the sink (NULL restores the default). Not thread-safe: call at start-up. */
void lit_log_set_callback(lit_log_fn fn, void *user);
void lit_log_set_level(lit_log_level level);
lit_log_level lit_log_get_level(void);
void lit_logf(lit_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---------------------------------------------------------------- assertions */

/* Called with the full message before abort(). A test may longjmp out of it
 * to check that a programmer error is caught; NULL restores the default. */
typedef void (*lit_abort_fn)(const char *msg, void *user);
void lit_set_abort_hook(lit_abort_fn fn, void *user);

/* Check a programmer-facing precondition. The format string explains what is
 * wrong and how to fix it: LIT_ASSERT(n > 0, "linear: in_features is %d; pass > 0", n). */
#define LIT_ASSERT(cond, ...)                                             \
    do {                                                                  \
        if (__builtin_expect(!(cond), 0))                                 \
            lit__assert_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);     \
    } while (0)

void lit__assert_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Unconditional programmer error (no condition text). */
void lit_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---------------------------------------------------------------- arenas */

/*
 * A bump allocator made of chunks. Allocation is a pointer increment; reset
 * makes all of it free again in O(1). When a reset finds that more than one
 * chunk was used, it replaces them by a single chunk of the high-water size,
 * so from the second or third step on a training step performs no malloc.
 *
 * Every reset increments `generation`; tensors remember the generation they
 * were made in so use-after-reset is caught (see tensor.h). With
 * lit_arena_set_poison(a, 1) (on by default in debug builds) reset fills the
 * freed memory with 0xA5 so stale reads show up at once.
 *
 * Not thread-safe: one arena per thread of allocation.
 */
typedef struct lit_arena lit_arena;

/* Create an arena. `initial_bytes` 0 picks a default (1 MiB). `name` is
 * copied and shown in messages. Returns NULL on out-of-memory (and sets the
 * last error). */
lit_arena *lit_arena_new(const char *name, size_t initial_bytes);
void lit_arena_free(lit_arena *a); /* NULL is a no-op */

/* 64-byte aligned, uninitialised memory; never NULL. Out of memory (or a
 * size that overflows) ends the allocation through lit__oom_raise: inside a
 * Trainer step or hook that is LIT_ERR_NOMEM from the step, elsewhere a
 * panic whose message names the arena and the size. Ops allocate this way
 * (through lit_empty); code that can handle NULL uses lit_arena_try_alloc. */
void *lit_arena_alloc(lit_arena *a, size_t bytes);
/* The same, but NULL on out of memory or overflow (last error names the
 * arena and the size). */
void *lit_arena_try_alloc(lit_arena *a, size_t bytes);
void *lit_arena_calloc(lit_arena *a, size_t bytes);
/* Free everything allocated since creation or the last reset. */
void lit_arena_reset(lit_arena *a);
/* Grow the first chunk to at least `bytes` now (pre-sizing). */
lit_status lit_arena_reserve(lit_arena *a, size_t bytes);
void lit_arena_set_poison(lit_arena *a, int on);

uint32_t lit_arena_generation(const lit_arena *a);
size_t lit_arena_used(const lit_arena *a);       /* bytes in use now */
size_t lit_arena_high_water(const lit_arena *a); /* max bytes ever in use */
size_t lit_arena_capacity(const lit_arena *a);   /* bytes reserved */
size_t lit_arena_malloc_count(const lit_arena *a); /* chunk mallocs so far */
const char *lit_arena_name(const lit_arena *a);

/*
 * The current arena of this thread: ops allocate their outputs and the
 * autograd tape from it. By default it is a library-owned step arena
 * ("default-step"); lit_arena_use() switches it and returns the previous one.
 */
lit_arena *lit_arena_current(void);
lit_arena *lit_arena_use(lit_arena *a);
/* The library-owned default step arena (created on first use). */
lit_arena *lit_arena_default(void);

/*
 * Out-of-memory recovery (internal; the Trainer uses it). Ops have no status
 * to return, so an arena allocation that fails inside them cannot come back
 * as NULL. Instead lit__oom_guard(fn, ctx) runs fn(ctx) with a recovery
 * point: lit__oom_raise() (called by lit_arena_alloc, and so by every op
 * output, on failure) jumps back to the innermost guard of the thread, which
 * restores the thread's current arena and returns LIT_ERR_NOMEM with the
 * failing allocation's message (the tensor's shape, dtype and size). With
 * no guard set, lit__oom_raise panics with that message. The Trainer sets a
 * guard around each training/evaluation step and the hooks run inside it;
 * memory fn allocated from the step arena is reclaimed by its reset, heap
 * memory fn held at the failure is not (it fails the run, not the process).
 * Guards nest; fn must not return past a guard by longjmp of its own. Ops
 * allocate before their parallel loops (arenas are single-threaded), so the
 * jump never leaves an OpenMP region.
 */
typedef lit_status (*lit__oom_guarded_fn)(void *ctx);
lit_status lit__oom_guard(lit__oom_guarded_fn fn, void *ctx);
void lit__oom_raise(void) __attribute__((noreturn));

/* 64-byte aligned heap memory (posix_memalign) or NULL: also NULL, without
 * calling the allocator, for a size that cannot be aligned or that is above
 * the limit lit__alloc_fail_above set. Arena chunks and heap tensors use it. */
void *lit__aligned_alloc(size_t bytes);
/* Tests: make every lit__aligned_alloc above `bytes` fail as if the machine
 * were out of memory (0 = off). A sanitizer's allocator aborts on a huge
 * request instead of returning NULL; this lets tests reach the error paths. */
void lit__alloc_fail_above(size_t bytes);
/* "37.3 GiB", "512.0 KiB", "12 bytes": sizes for messages. */
void lit__format_bytes(char *buf, size_t n, double bytes);

/* ---------------------------------------------------------------- RNG */

/*
 * Philox4x32-10 (Salmon et al., 2011): output block i is a pure function of
 * (key = seed, counter = i), so the whole state is two integers, streams can
 * be saved and restored exactly, and a parallel loop can draw element j from
 * block (offset + j/4) without changing results with the thread count.
 */
typedef struct {
    uint64_t seed;    /* key */
    uint64_t counter; /* next 128-bit block to generate */
} lit_rng;

lit_rng lit_rng_new(uint64_t seed);
/* The raw Philox4x32-10 bijection (Random123's philox4x32_10). */
void lit_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4]);
/* Four 32-bit words of block `counter` under `seed` (pure function):
 * counter -> ctr {lo, hi, 0, 0}, seed -> key {lo, hi}. */
void lit_philox4x32(uint64_t seed, uint64_t counter, uint32_t out[4]);

/* Fill `n` values and advance rng->counter by ceil(n/4) blocks. */
void lit_rng_fill_u32(lit_rng *rng, uint32_t *out, size_t n);
void lit_rng_fill_uniform(lit_rng *rng, float *out, size_t n, float lo, float hi); /* [lo, hi) */
void lit_rng_fill_normal(lit_rng *rng, float *out, size_t n, float mean, float std); /* Box-Muller */
uint32_t lit_rng_u32(lit_rng *rng);
double lit_rng_uniform(lit_rng *rng);           /* [0, 1) with 53 random bits */
uint64_t lit_rng_below(lit_rng *rng, uint64_t n); /* uniform integer in [0, n), unbiased */

/* The process-wide default generator used by creation functions and
 * initialisers when no generator is passed (like torch.manual_seed). */
lit_rng *lit_rng_global(void);
void lit_manual_seed(uint64_t seed);

/* ---------------------------------------------------------------- checksums */

/* CRC-32C (Castagnoli, as iSCSI, ext4 and TFRecord use), incremental:
 * lit_crc32c(0, buf, n) is the CRC of buf; lit_crc32c(lit_crc32c(0, a, n), b, m)
 * that of a followed by b. Uses the SSE4.2 instruction when the CPU has it. */
uint32_t lit_crc32c(uint32_t crc, const void *data, size_t n);

/* ---------------------------------------------------------------- files */

/*
 * Open a user-named file for reading, refusing anything but a regular file:
 * a device such as /dev/zero, a FIFO (opened without blocking, so a pipe with
 * no writer does not hang), a directory or a socket gives LIT_ERR_IO with a
 * message naming the path, `what` it was meant to be ("config", "digits
 * data") and what it is. Every reader of a path the user gives goes through
 * it. On success *out is a stdio stream (binary mode) the caller fcloses and
 * *size (optional, may be NULL) the file's size in bytes at opening time.
 * Errors: LIT_ERR_IO (missing, unreadable, not a regular file).
 */
lit_status lit_file_open_read(FILE **out, const char *path, const char *what, int64_t *size);

/* ---------------------------------------------------------------- time */

double lit_time_now(void);      /* monotonic seconds */
uint64_t lit_time_now_ns(void); /* monotonic nanoseconds */

/* ---------------------------------------------------------------- threads */

/* Threads used by kernels (OpenMP and OpenBLAS). 0 = the machine's cores. */
void lit_set_num_threads(int n);
int lit_get_num_threads(void);

#ifdef __cplusplus
}
#endif
#endif
