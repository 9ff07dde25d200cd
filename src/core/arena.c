/*
 * Chunked bump allocator with high-water consolidation, poisoning and
 * generations (see core.h for the contract).
 */
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "litc/core.h"

#define ARENA_ALIGN 64
#define ARENA_DEFAULT_BYTES (1u << 20)
#define ARENA_POISON 0xA5

typedef struct chunk {
    struct chunk *next;
    size_t size; /* usable bytes in data */
    size_t used;
    unsigned char *data; /* ARENA_ALIGN-aligned */
} chunk;

struct lit_arena {
    char name[48];
    chunk *first;
    chunk *current;    /* allocation happens here */
    size_t used;       /* bytes handed out (incl. alignment) since reset */
    size_t high_water;
    size_t capacity;
    size_t mallocs;
    uint32_t generation;
    int poison;
};

/* Requests above this cannot be aligned without wrapping around. */
#define ARENA_MAX_REQUEST (SIZE_MAX - ARENA_ALIGN)

static size_t align_up(size_t n) { return (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1); }

/* ---- the allocation-failure hook (tests) */

static size_t fail_above; /* 0: off */

void lit__alloc_fail_above(size_t bytes) { fail_above = bytes; }

void *lit__aligned_alloc(size_t bytes) {
    if (bytes > ARENA_MAX_REQUEST || (fail_above && bytes > fail_above)) return NULL;
    void *p = NULL;
    return posix_memalign(&p, ARENA_ALIGN, bytes ? bytes : ARENA_ALIGN) == 0 ? p : NULL;
}

void lit__format_bytes(char *buf, size_t n, double bytes) {
    static const char *unit[] = { "bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
    int u = 0;
    while (bytes >= 1024 && u < 6) bytes /= 1024, u++;
    if (u == 0) snprintf(buf, n, "%.0f bytes", bytes);
    else snprintf(buf, n, "%.1f %s", bytes, unit[u]);
}

static chunk *chunk_new(lit_arena *a, size_t size) {
    size = size > ARENA_MAX_REQUEST ? 0 : align_up(size);
    chunk *c = size ? malloc(sizeof *c) : NULL;
    void *data = c ? lit__aligned_alloc(size) : NULL;
    if (!data) {
        free(c);
        char human[32];
        lit__format_bytes(human, sizeof human, (double)(size ? size : SIZE_MAX));
        lit_set_error(LIT_ERR_NOMEM, "arena '%s': cannot allocate a chunk of %s", a->name, human);
        return NULL;
    }
    c->next = NULL;
    c->size = size;
    c->used = 0;
    c->data = data;
    a->capacity += size;
    a->mallocs++;
    return c;
}

static void chunks_free(chunk *c) {
    while (c) {
        chunk *next = c->next;
        free(c->data);
        free(c);
        c = next;
    }
}

lit_arena *lit_arena_new(const char *name, size_t initial_bytes) {
    lit_arena *a = calloc(1, sizeof *a);
    if (!a) {
        lit_set_error(LIT_ERR_NOMEM, "cannot allocate arena '%s'", name ? name : "");
        return NULL;
    }
    snprintf(a->name, sizeof a->name, "%s", name ? name : "arena");
#ifndef NDEBUG
    a->poison = 1;
#endif
    a->generation = 1;
    a->first = a->current = chunk_new(a, initial_bytes ? initial_bytes : ARENA_DEFAULT_BYTES);
    if (!a->first) {
        free(a);
        return NULL;
    }
    return a;
}

void lit_arena_free(lit_arena *a) {
    if (!a) return;
    if (lit_arena_current() == a) lit_arena_use(NULL);
    chunks_free(a->first);
    free(a);
}

void *lit_arena_try_alloc(lit_arena *a, size_t bytes) {
    if (bytes > ARENA_MAX_REQUEST) {
        lit_set_error(LIT_ERR_NOMEM, "arena '%s': a request of %zu bytes cannot be met (it overflows the address "
                      "space)", a->name, bytes);
        return NULL;
    }
    size_t need = align_up(bytes ? bytes : 1);
    chunk *c = a->current;
    while (need > c->size - c->used) {
        if (!c->next) {
            size_t twice = c->size <= ARENA_MAX_REQUEST / 2 ? c->size * 2 : ARENA_MAX_REQUEST;
            size_t grow = twice > need ? twice : need;
            chunk *n = chunk_new(a, grow);
            if (!n) return NULL;
            c->next = n;
        }
        c = c->next;
        a->current = c;
    }
    void *p = c->data + c->used;
    c->used += need;
    a->used += need;
    if (a->used > a->high_water) a->high_water = a->used;
    return p;
}

void *lit_arena_alloc(lit_arena *a, size_t bytes) {
    void *p = lit_arena_try_alloc(a, bytes);
    if (!p) lit__oom_raise();
    return p;
}

void *lit_arena_calloc(lit_arena *a, size_t bytes) {
    void *p = lit_arena_alloc(a, bytes);
    memset(p, 0, bytes);
    return p;
}

void lit_arena_reset(lit_arena *a) {
    if (!a) return;
    if (a->first->next) {
        /* More than one chunk was needed: replace them by one chunk of the
         * high-water size (plus slack) so later steps never malloc. */
        size_t want = a->high_water + a->high_water / 8;
        chunk *one = chunk_new(a, want);
        if (one) {
            chunks_free(a->first);
            a->first = one;
            a->capacity = one->size;
        }
    }
    for (chunk *c = a->first; c; c = c->next) {
        if (a->poison) memset(c->data, ARENA_POISON, c->used);
        c->used = 0;
    }
    a->current = a->first;
    a->used = 0;
    a->generation++;
}

lit_status lit_arena_reserve(lit_arena *a, size_t bytes) {
    if (a->first->size >= bytes) return LIT_OK;
    if (a->used != 0)
        return lit_set_error(LIT_ERR_STATE, "arena '%s': reserve only between steps (after a reset)", a->name);
    chunk *one = chunk_new(a, bytes);
    if (!one) return LIT_ERR_NOMEM;
    chunks_free(a->first);
    a->first = a->current = one;
    a->capacity = one->size;
    return LIT_OK;
}

void lit_arena_set_poison(lit_arena *a, int on) { a->poison = on; }
uint32_t lit_arena_generation(const lit_arena *a) { return a->generation; }
size_t lit_arena_used(const lit_arena *a) { return a->used; }
size_t lit_arena_high_water(const lit_arena *a) { return a->high_water; }
size_t lit_arena_capacity(const lit_arena *a) { return a->capacity; }
size_t lit_arena_malloc_count(const lit_arena *a) { return a->mallocs; }
const char *lit_arena_name(const lit_arena *a) { return a->name; }

/* ---- the thread's current arena */

static _Thread_local lit_arena *current_arena;
static _Thread_local lit_arena *default_arena;

lit_arena *lit_arena_default(void) {
    if (!default_arena) {
        default_arena = lit_arena_new("default-step", 0);
        if (!default_arena) lit_panic("cannot create the default step arena: %s", lit_last_error());
    }
    return default_arena;
}

lit_arena *lit_arena_current(void) { return current_arena ? current_arena : lit_arena_default(); }

lit_arena *lit_arena_use(lit_arena *a) {
    lit_arena *prev = lit_arena_current();
    current_arena = a;
    return prev;
}

/* ---- out-of-memory recovery (lit__oom_guard) */

typedef struct oom_frame {
    jmp_buf env;
    struct oom_frame *prev;
    lit_arena *arena; /* the thread's current arena when the guard was set */
} oom_frame;

static _Thread_local oom_frame *oom_top;

lit_status lit__oom_guard(lit__oom_guarded_fn fn, void *ctx) {
    oom_frame f;
    f.prev = oom_top;
    f.arena = current_arena;
    oom_top = &f;
    lit_status st;
    if (setjmp(f.env) == 0) {
        st = fn(ctx);
    } else {
        /* Back from lit__oom_raise: the error message is set; the arena in
         * use is the one from before fn (fn may have switched it). */
        st = LIT_ERR_NOMEM;
        current_arena = f.arena;
    }
    oom_top = f.prev;
    return st;
}

void lit__oom_raise(void) {
    oom_frame *f = oom_top;
    if (f) {
        oom_top = f->prev;
        longjmp(f->env, 1);
    }
    lit_panic("out of memory: %s (no recovery point is set: only the Trainer's steps and hooks return "
              "LIT_ERR_NOMEM for it; elsewhere use lit_arena_try_alloc or lit_tensor_new to handle it)",
              lit_last_error());
    abort(); /* not reached: lit_panic aborts (or its hook jumps away) */
}
