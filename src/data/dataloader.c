/*
 * The DataLoader: batch slots with their own arenas, an in-order handoff from
 * background workers (pthreads) to the consumer, persistent workers parked
 * between epochs. See data.h ("How the loader works") for the contract.
 *
 * Synchronisation: one mutex guards the epoch state and the slot states.
 * Workers wait on work_cv for a claimable batch (the next batch whose slot,
 * k % nslots, is free, before the epoch's end); the consumer waits on done_cv
 * for batch next_deliver to become READY. Builders run unlocked: a slot in
 * state BUILDING belongs to its builder alone, a READY/HELD slot to the
 * consumer. end_epoch bumps `gen`, which builders poll between samples to
 * give up early, waits until no builder is busy and resets every slot.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/data.h"

#define SLOT_ARENA_BYTES (256u << 10)
#define MAX_WORKERS 256
#define NO_END INT64_MAX

enum { SLOT_FREE = 0, SLOT_BUILDING, SLOT_READY, SLOT_HELD };

typedef struct {
    lit_arena *arena;
    lit_batch batch;
    int state;
    int64_t k;         /* batch built (or being built) here */
    lit_status status; /* of the build */
    char err[1024];    /* message of a failed build */
} slot_t;

typedef struct {
    struct lit_dataloader *dl;
    int id;
} worker_arg;

struct lit_dataloader {
    lit_dataset ds;
    lit_dataloader_params p;
    int iterable;
    int nslots;
    slot_t *slots;
    int64_t *order; /* shuffled order of this epoch (NULL = identity) */
    int64_t order_cap;

    /* epoch state: guarded by mu while workers run */
    int active;
    int64_t epoch;
    int64_t n;            /* samples this epoch (map-style) */
    int64_t end_k;        /* batches this epoch; NO_END while unknown (iterable) */
    int64_t next_claim;   /* next batch a builder takes */
    int64_t next_deliver; /* next batch handed to the consumer */
    int held;             /* slot held by the consumer, -1 = none */
    lit_status err_status;/* sticky error of this epoch */
    char err[1024];
    int64_t iter_pos;     /* samples read from the iterable stream this epoch */
    int iter_done;

    /* workers */
    int nthreads;   /* started */
    int want_threads;
    pthread_t *threads;
    worker_arg *args;
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    int sync_ready; /* mu and the condition variables exist */
    int busy;
    int shutdown;
    _Atomic uint64_t gen;
};

lit_dataloader_params lit_dataloader_default_params(void) {
    lit_dataloader_params p;
    memset(&p, 0, sizeof p);
    p.batch_size = 1;
    p.prefetch_factor = 2;
    return p;
}

void lit_dataloader_set_shuffle(lit_dataloader *dl, int shuffle) { dl->p.shuffle = shuffle != 0; }

const lit_dataloader_params *lit_dataloader_get_params(const lit_dataloader *dl) { return &dl->p; }

static void lock(lit_dataloader *dl) {
    if (dl->nthreads) pthread_mutex_lock(&dl->mu);
}
static void unlock(lit_dataloader *dl) {
    if (dl->nthreads) pthread_mutex_unlock(&dl->mu);
}

/* ---------------------------------------------------------------- building */

static const char *dataset_msg(lit_status st) {
    const char *m = lit_last_error();
    return m[0] ? m : lit_status_str(st);
}

/* Build batch k into slot s (no lock held). *produced = 0 when an iterable
 * stream had no (complete enough) batch k left; *last = 1 when the stream
 * ended inside batch k. On failure s->err holds the message. */
static lit_status build(lit_dataloader *dl, slot_t *s, int64_t k, uint64_t gen, int *produced, int *last) {
    lit_arena *a = s->arena;
    int64_t bs = dl->p.batch_size;
    lit_status st = LIT_OK;
    *produced = 1;
    *last = 0;
    s->err[0] = 0;
    lit_arena *prev = lit_arena_use(a);

    int64_t m = 0, lo = 0;
    if (!dl->iterable) {
        lo = k * bs;
        m = dl->n - lo < bs ? dl->n - lo : bs;
    } else {
        m = bs;
    }
    lit_sample *samples = lit_arena_try_alloc(a, (size_t)m * sizeof *samples);
    if (!samples) {
        st = LIT_ERR_NOMEM;
        snprintf(s->err, sizeof s->err, "dataloader batch %lld: %s", (long long)k, lit_last_error());
        goto out;
    }

    if (!dl->iterable) {
        for (int64_t j = 0; j < m; j++) {
            if (atomic_load_explicit(&dl->gen, memory_order_relaxed) != gen) {
                st = LIT_ERR_INTERRUPTED;
                goto out;
            }
            int64_t idx = dl->order ? dl->order[lo + j] : lo + j;
            memset(&samples[j], 0, sizeof samples[j]);
            lit_clear_error();
            st = dl->ds.get(dl->ds.user, idx, &samples[j], a);
            if (st < 0) {
                snprintf(s->err, sizeof s->err, "dataloader batch %lld: dataset get(sample index %lld) failed: %s [%s]",
                         (long long)k, (long long)idx, dataset_msg(st), lit_status_name(st));
                goto out;
            }
            samples[j].index = idx;
        }
    } else {
        m = 0;
        while (m < bs && !dl->iter_done) {
            if (atomic_load_explicit(&dl->gen, memory_order_relaxed) != gen) {
                st = LIT_ERR_INTERRUPTED;
                goto out;
            }
            int done = 0;
            memset(&samples[m], 0, sizeof samples[m]);
            lit_clear_error();
            st = dl->ds.iter_next(dl->ds.user, &samples[m], a, &done);
            if (st < 0) {
                snprintf(s->err, sizeof s->err,
                         "dataloader batch %lld: dataset iter_next(sample %lld of epoch %lld) failed: %s [%s]",
                         (long long)k, (long long)dl->iter_pos, (long long)dl->epoch, dataset_msg(st),
                         lit_status_name(st));
                goto out;
            }
            if (done) {
                dl->iter_done = 1;
                break;
            }
            samples[m].index = dl->iter_pos++;
            m++;
        }
        if (m == 0 || (m < bs && dl->p.drop_last)) {
            *produced = 0;
            goto out;
        }
        if (dl->iter_done) *last = 1;
    }

    memset(&s->batch, 0, sizeof s->batch);
    s->batch.arena = a;
    s->batch.size = m;
    s->batch.index = k;
    lit_collate_fn collate = dl->p.collate_fn ? dl->p.collate_fn : lit_default_collate;
    lit_clear_error();
    st = collate(samples, m, &s->batch, dl->p.collate_user);
    if (st < 0) {
        snprintf(s->err, sizeof s->err, "dataloader batch %lld: %s%s [%s]", (long long)k,
                 dl->p.collate_fn ? "collate_fn failed: " : "", dataset_msg(st), lit_status_name(st));
        goto out;
    }
    s->batch.arena = a;
    s->batch.index = k;
out:
    lit_arena_use(prev);
    return st;
}

/* ---------------------------------------------------------------- workers */

static int claimable(const lit_dataloader *dl) {
    return dl->active && dl->err_status == LIT_OK && dl->next_claim < dl->end_k &&
           dl->slots[dl->next_claim % dl->nslots].state == SLOT_FREE;
}

static void *worker_main(void *argp) {
    worker_arg *arg = argp;
    lit_dataloader *dl = arg->dl;
    int built = 0;
    pthread_mutex_lock(&dl->mu);
    for (;;) {
        while (!dl->shutdown && !claimable(dl)) pthread_cond_wait(&dl->work_cv, &dl->mu);
        if (dl->shutdown) break;
        int64_t k = dl->next_claim++;
        slot_t *s = &dl->slots[k % dl->nslots];
        s->state = SLOT_BUILDING;
        s->k = k;
        dl->busy++;
        uint64_t gen = atomic_load(&dl->gen);
        pthread_mutex_unlock(&dl->mu);

        int produced = 0, last = 0;
        lit_status st = build(dl, s, k, gen, &produced, &last);
        built = 1;
        if (st >= 0 && !produced) lit_arena_reset(s->arena);

        pthread_mutex_lock(&dl->mu);
        dl->busy--;
        if (atomic_load(&dl->gen) == gen) { /* else end_epoch resets the slot */
            s->status = st;
            if (st < 0) {
                s->state = SLOT_READY;
                if (dl->end_k > k + 1) dl->end_k = k + 1;
            } else if (!produced) {
                s->state = SLOT_FREE;
                if (dl->end_k > k) dl->end_k = k;
            } else {
                s->state = SLOT_READY;
                if (last && dl->end_k > k + 1) dl->end_k = k + 1;
            }
        }
        pthread_cond_broadcast(&dl->done_cv);
    }
    pthread_mutex_unlock(&dl->mu);
    /* build() made the slot arenas current here, which created this thread's
     * default step arena: free it before the thread's TLS goes away. */
    if (built) lit_arena_free(lit_arena_default());
    return NULL;
}

static lit_status start_workers(lit_dataloader *dl) {
    if (dl->nthreads || dl->want_threads == 0) return LIT_OK;
    int n = dl->want_threads;
    for (int i = 0; i < n; i++) {
        dl->args[i].dl = dl;
        dl->args[i].id = i;
        /* nthreads must be set before the first worker runs: lock() looks at it. */
        dl->nthreads = i + 1;
        int rc = pthread_create(&dl->threads[i], NULL, worker_main, &dl->args[i]);
        if (rc != 0) {
            dl->nthreads = i;
            if (i == 0)
                return lit_set_error(LIT_ERR_NOMEM, "dataloader: cannot start worker thread (pthread_create: %s)",
                                     strerror(rc));
            lit_logf(LIT_LOG_WARN, "dataloader: started only %d of %d workers (pthread_create: %s)", i, n,
                     strerror(rc));
            break;
        }
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- lifetime */

static lit_status fail_new(lit_dataloader *dl, lit_status st, const char *msg) {
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", msg);
    lit_dataloader_free(dl);
    return lit_set_error(st, "%s", copy);
}

lit_status lit_dataloader_create(lit_dataloader **out, const lit_dataset *ds, const lit_dataloader_params *pp) {
    LIT_ASSERT(out, "lit_dataloader_create: out is NULL");
    *out = NULL;
    char msg[256];
    if (!ds) return lit_set_error(LIT_ERR_INVALID_ARG, "dataloader: dataset is NULL");
    lit_dataloader_params p = pp ? *pp : lit_dataloader_default_params();
    if (ds->version != LIT_DATASET_VERSION)
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "dataloader: dataset version is %d; this litc expects %d (LIT_DATASET_VERSION)",
                             ds->version, LIT_DATASET_VERSION);
    int iterable;
    if (ds->get && ds->len) {
        iterable = 0;
    } else if (ds->iter_next) {
        iterable = 1;
    } else if (ds->get) {
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "dataloader: dataset has get but len is NULL; a map-style dataset needs both");
    } else if (ds->len) {
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "dataloader: dataset has len but get is NULL; a map-style dataset needs both");
    } else {
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "dataloader: dataset has neither len/get (map-style) nor iter_next (iterable); fill one "
                             "pair");
    }
    if (p.batch_size < 1)
        return lit_set_error(LIT_ERR_INVALID_ARG, "dataloader: batch_size is %lld; pass >= 1", (long long)p.batch_size);
    if (p.num_workers < 0 || p.num_workers > MAX_WORKERS)
        return lit_set_error(LIT_ERR_INVALID_ARG, "dataloader: num_workers is %d; pass 0 .. %d", p.num_workers,
                             MAX_WORKERS);
    if (p.prefetch_factor < 1)
        return lit_set_error(LIT_ERR_INVALID_ARG, "dataloader: prefetch_factor is %d; pass >= 1", p.prefetch_factor);

    lit_dataloader *dl = calloc(1, sizeof *dl);
    if (!dl) return lit_set_error(LIT_ERR_NOMEM, "dataloader: out of memory");
    dl->ds = *ds;
    dl->p = p;
    dl->iterable = iterable;
    dl->held = -1;
    dl->end_k = 0;
    atomic_init(&dl->gen, 1);
    dl->want_threads = p.num_workers == 0 ? 0 : (iterable ? 1 : p.num_workers);
    dl->nslots = p.num_workers == 0 ? 1 : p.num_workers * p.prefetch_factor + 1;
    dl->slots = calloc((size_t)dl->nslots, sizeof *dl->slots);
    if (!dl->slots) return fail_new(dl, LIT_ERR_NOMEM, "dataloader: out of memory (slots)");
    for (int i = 0; i < dl->nslots; i++) {
        snprintf(msg, sizeof msg, "batch-%d", i);
        dl->slots[i].arena = lit_arena_new(msg, SLOT_ARENA_BYTES);
        if (!dl->slots[i].arena) return fail_new(dl, LIT_ERR_NOMEM, lit_last_error());
    }
    if (dl->want_threads) {
        dl->threads = calloc((size_t)dl->want_threads, sizeof *dl->threads);
        dl->args = calloc((size_t)dl->want_threads, sizeof *dl->args);
        if (!dl->threads || !dl->args) return fail_new(dl, LIT_ERR_NOMEM, "dataloader: out of memory (workers)");
        if (pthread_mutex_init(&dl->mu, NULL) != 0) return fail_new(dl, LIT_ERR_NOMEM, "dataloader: mutex init failed");
        if (pthread_cond_init(&dl->work_cv, NULL) != 0) {
            pthread_mutex_destroy(&dl->mu);
            return fail_new(dl, LIT_ERR_NOMEM, "dataloader: condition variable init failed");
        }
        if (pthread_cond_init(&dl->done_cv, NULL) != 0) {
            pthread_cond_destroy(&dl->work_cv);
            pthread_mutex_destroy(&dl->mu);
            return fail_new(dl, LIT_ERR_NOMEM, "dataloader: condition variable init failed");
        }
        dl->sync_ready = 1;
    }
    *out = dl;
    return LIT_OK;
}

lit_dataloader *lit_dataloader_new(const lit_dataset *ds, const lit_dataloader_params *p) {
    lit_dataloader *dl;
    return lit_dataloader_create(&dl, ds, p) == LIT_OK ? dl : NULL;
}

void lit_dataloader_free(lit_dataloader *dl) {
    if (!dl) return;
    if (dl->slots) lit_dataloader_end_epoch(dl);
    if (dl->nthreads) {
        pthread_mutex_lock(&dl->mu);
        dl->shutdown = 1;
        pthread_cond_broadcast(&dl->work_cv);
        pthread_mutex_unlock(&dl->mu);
        for (int i = 0; i < dl->nthreads; i++) pthread_join(dl->threads[i], NULL);
    }
    if (dl->sync_ready) {
        pthread_cond_destroy(&dl->done_cv);
        pthread_cond_destroy(&dl->work_cv);
        pthread_mutex_destroy(&dl->mu);
    }
    if (dl->slots)
        for (int i = 0; i < dl->nslots; i++) lit_arena_free(dl->slots[i].arena);
    free(dl->slots);
    free(dl->threads);
    free(dl->args);
    free(dl->order);
    free(dl);
}

/* ---------------------------------------------------------------- epochs */

int64_t lit_dataloader_dataset_len(const lit_dataloader *dl) {
    if (!dl->ds.len) return -1;
    int64_t n = dl->ds.len(dl->ds.user);
    return n < 0 ? -1 : n;
}

int64_t lit_dataloader_len(const lit_dataloader *dl) {
    int64_t n = lit_dataloader_dataset_len(dl);
    if (n < 0) return -1;
    return lit_sampler_num_batches(n, dl->p.batch_size, dl->p.drop_last);
}

static void release_slot(slot_t *s) {
    lit_arena_reset(s->arena);
    s->state = SLOT_FREE;
}

void lit_dataloader_end_epoch(lit_dataloader *dl) {
    if (!dl) return;
    lock(dl);
    dl->active = 0;
    atomic_fetch_add(&dl->gen, 1);
    while (dl->busy > 0) pthread_cond_wait(&dl->done_cv, &dl->mu);
    for (int i = 0; i < dl->nslots; i++)
        if (dl->slots[i].state != SLOT_FREE) release_slot(&dl->slots[i]);
    dl->held = -1;
    dl->err_status = LIT_OK;
    dl->err[0] = 0;
    unlock(dl);
}

/* Read and drop up to skip batches of an iterable stream (caller's thread). */
static lit_status iter_skip(lit_dataloader *dl, int64_t skip, int64_t *skipped) {
    slot_t *s = &dl->slots[0];
    lit_arena *prev = lit_arena_use(s->arena);
    lit_status st = LIT_OK;
    *skipped = 0;
    while (*skipped < skip && !dl->iter_done) {
        int64_t m = 0;
        while (m < dl->p.batch_size) {
            lit_sample tmp;
            int done = 0;
            memset(&tmp, 0, sizeof tmp);
            lit_clear_error();
            st = dl->ds.iter_next(dl->ds.user, &tmp, s->arena, &done);
            if (st < 0) {
                lit_set_error(st, "dataloader: skipping to batch %lld: dataset iter_next(sample %lld of epoch %lld) failed: %s",
                              (long long)skip, (long long)dl->iter_pos, (long long)dl->epoch, dataset_msg(st));
                goto out;
            }
            if (done) {
                dl->iter_done = 1;
                break;
            }
            dl->iter_pos++;
            m++;
        }
        lit_arena_reset(s->arena);
        if (m == 0 || (m < dl->p.batch_size && dl->p.drop_last)) break;
        (*skipped)++;
    }
out:
    lit_arena_reset(s->arena);
    lit_arena_use(prev);
    return st;
}

lit_status lit_dataloader_begin_epoch(lit_dataloader *dl, int64_t epoch, int64_t skip_batches) {
    LIT_ASSERT(dl, "lit_dataloader_begin_epoch: loader is NULL");
    if (skip_batches < 0)
        return lit_set_error(LIT_ERR_INVALID_ARG, "dataloader: skip_batches is %lld; pass >= 0", (long long)skip_batches);
    lit_dataloader_end_epoch(dl); /* workers are parked from here on */
    dl->epoch = epoch;
    int64_t start = 0, end = 0;
    if (!dl->iterable) {
        int64_t n = dl->ds.len(dl->ds.user);
        if (n < 0) return lit_set_error(LIT_ERR_DATA, "dataloader: dataset len() returned %lld", (long long)n);
        dl->n = n;
        int64_t *order = NULL;
        if (dl->p.shuffle) {
            if (n > dl->order_cap) {
                int64_t *grown = realloc(dl->order, (size_t)n * sizeof *grown);
                if (!grown)
                    return lit_set_error(LIT_ERR_NOMEM, "dataloader: cannot allocate the order of %lld samples",
                                         (long long)n);
                dl->order = grown;
                dl->order_cap = n;
            }
            lit_sampler_order(n, 1, dl->p.seed, epoch, dl->order);
            order = dl->order;
        }
        /* build() reads dl->order: NULL means the identity. */
        if (!order) {
            free(dl->order);
            dl->order = NULL;
            dl->order_cap = 0;
        }
        end = lit_sampler_num_batches(n, dl->p.batch_size, dl->p.drop_last);
        start = skip_batches < end ? skip_batches : end;
    } else {
        dl->iter_pos = 0;
        dl->iter_done = 0;
        if (dl->ds.iter_begin) {
            lit_clear_error();
            lit_status st = dl->ds.iter_begin(dl->ds.user, epoch);
            if (st < 0)
                return lit_set_error(st, "dataloader: dataset iter_begin(epoch %lld) failed: %s", (long long)epoch,
                                     dataset_msg(st));
        }
        LIT_TRY(iter_skip(dl, skip_batches, &start));
        end = dl->iter_done ? start : NO_END;
    }
    LIT_TRY(start_workers(dl));
    lock(dl);
    dl->end_k = end;
    dl->next_claim = dl->next_deliver = start;
    dl->err_status = LIT_OK;
    dl->held = -1;
    dl->active = 1;
    if (dl->nthreads) pthread_cond_broadcast(&dl->work_cv);
    unlock(dl);
    return LIT_OK;
}

lit_status lit_dataloader_next(lit_dataloader *dl, lit_batch **out) {
    LIT_ASSERT(dl && out, "lit_dataloader_next: loader or out is NULL");
    *out = NULL;
    lock(dl);
    if (dl->held >= 0) {
        release_slot(&dl->slots[dl->held]);
        dl->held = -1;
        if (dl->nthreads) pthread_cond_broadcast(&dl->work_cv);
    }
    if (!dl->active) {
        unlock(dl);
        return lit_set_error(LIT_ERR_STATE, "dataloader: next() without an epoch; call lit_dataloader_begin_epoch first");
    }
    if (dl->err_status < 0) {
        lit_status st = dl->err_status;
        unlock(dl);
        return lit_set_error(st, "%s", dl->err);
    }
    int64_t k = dl->next_deliver;
    slot_t *s = &dl->slots[k % dl->nslots];
    if (dl->nthreads) {
        for (;;) {
            if (k >= dl->end_k) {
                unlock(dl);
                return LIT_OK;
            }
            if (s->state == SLOT_READY && s->k == k) break;
            pthread_cond_wait(&dl->done_cv, &dl->mu);
        }
    } else {
        if (k >= dl->end_k) return LIT_OK;
        int produced = 0, last = 0;
        s->k = k;
        s->status = build(dl, s, k, atomic_load(&dl->gen), &produced, &last);
        if (s->status >= 0 && !produced) {
            lit_arena_reset(s->arena);
            dl->end_k = k;
            return LIT_OK;
        }
        if (s->status >= 0 && last) dl->end_k = k + 1;
    }
    if (s->status < 0) {
        dl->err_status = s->status;
        snprintf(dl->err, sizeof dl->err, "%s", s->err);
        release_slot(s);
        if (dl->end_k > k) dl->end_k = k;
        lit_status st = dl->err_status;
        unlock(dl);
        return lit_set_error(st, "%s", dl->err);
    }
    s->state = SLOT_HELD;
    dl->held = (int)(s - dl->slots);
    dl->next_deliver = k + 1;
    *out = &s->batch;
    unlock(dl);
    return LIT_OK;
}
