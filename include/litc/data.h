/*
 * litc/data.h — datasets, samplers, the DataLoader and the DataModule.
 *
 * A dataset yields samples: a few named fields, each a tensor, an integer, a
 * float or a string. A DataLoader draws sample indices from a sampler (in
 * order, or shuffled with a seed that is re-mixed every epoch), groups them
 * into batches and collates each group into a lit_batch: tensor fields are
 * stacked into (B, ...), integer fields become an i64 (B) tensor, float
 * fields an f32 (B) tensor, and strings are passed through as an array.
 * A custom collate_fn may do anything else (e.g. pad to the longest item).
 *
 * Memory: every batch owns an arena of its own (not the step arena), so
 * background workers can build batches while the main thread trains. A
 * batch returned by lit_dataloader_next stays valid until the next call to
 * lit_dataloader_next or lit_dataloader_end_epoch on that loader; its arena is
 * then reset and reused (no malloc in steady state).
 *
 * Determinism: the batch order and content depend only on (seed, epoch) —
 * never on num_workers.
 *
 * Intended usage:
 *
 *     lit_dataloader_params p = lit_dataloader_default_params();
 *     p.batch_size = 32; p.shuffle = 1; p.seed = 42; p.num_workers = 2;
 *     lit_dataloader *dl = lit_dataloader_new(&my_dataset, &p);
 *     for (int64_t epoch = 0; epoch < 10; epoch++) {
 *         LIT_TRY(lit_dataloader_begin_epoch(dl, epoch));
 *         lit_batch *b;
 *         while ((st = lit_dataloader_next(dl, &b)) == LIT_OK && b) {
 *             lit_tensor *x = lit_batch_get(b, "x");   // (B, 64) f32
 *             lit_tensor *y = lit_batch_get(b, "y");   // (B,) i64
 *             ...
 *         }
 *     }
 *     lit_dataloader_free(dl);
 *
 * Errors: dataset callbacks return lit_status; a failing sample surfaces from
 * lit_dataloader_next with the dataset's message and the sample index.
 */
#ifndef LITC_DATA_H
#define LITC_DATA_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- samples */

#define LIT_SAMPLE_MAX_FIELDS 8

typedef enum { LIT_FIELD_TENSOR = 0, LIT_FIELD_INT, LIT_FIELD_FLOAT, LIT_FIELD_STRING } lit_field_kind;

typedef struct {
    const char *name;   /* static or arena-owned; same names in every sample */
    lit_field_kind kind;
    lit_tensor *tensor; /* LIT_FIELD_TENSOR: allocated in the arena given to get() */
    int64_t i;          /* LIT_FIELD_INT */
    double f;           /* LIT_FIELD_FLOAT */
    const char *s;      /* LIT_FIELD_STRING: must outlive the batch (static, dataset- or arena-owned) */
} lit_field;

typedef struct {
    int n;
    lit_field fields[LIT_SAMPLE_MAX_FIELDS];
    /* Set by the DataLoader after get()/iter_next() returns (datasets need not
     * fill it): the dataset index of a map-style sample, or the sample's
     * position in the epoch's stream for an iterable dataset. Collate error
     * messages quote it as "(dataset index I)" when it is >= 0 (set it to -1
     * in samples built by hand to leave it out). */
    int64_t index;
} lit_sample;

/* ---------------------------------------------------------------- datasets */

#define LIT_DATASET_VERSION 1

/* A map-style dataset fills `len` and `get`; an iterable one fills
 * `iter_begin` and `iter_next` (and leaves `len` NULL, or returns -1 when the
 * length is unknown). Callbacks may run on worker threads, concurrently for
 * different indices: map-style `get` must be thread-safe (read-only data is). */
typedef struct lit_dataset {
    int version; /* LIT_DATASET_VERSION */
    int64_t (*len)(void *user);
    /* Fill *out for sample `index`; allocate tensors in `arena` (it belongs to
     * the batch being built). */
    lit_status (*get)(void *user, int64_t index, lit_sample *out, lit_arena *arena);
    /* Iterable datasets: restart for `epoch`, then produce samples until *done. */
    lit_status (*iter_begin)(void *user, int64_t epoch);
    lit_status (*iter_next)(void *user, lit_sample *out, lit_arena *arena, int *done);
    void *user;
} lit_dataset;

/* ---------------------------------------------------------------- batches */

#define LIT_BATCH_MAX_FIELDS LIT_SAMPLE_MAX_FIELDS

typedef struct lit_batch {
    int n;                                     /* fields */
    const char *names[LIT_BATCH_MAX_FIELDS];
    lit_tensor *tensors[LIT_BATCH_MAX_FIELDS]; /* NULL for string fields */
    const char **strings[LIT_BATCH_MAX_FIELDS];/* `size` pointers for string fields, else NULL */
    int64_t size;                              /* samples in the batch (B) */
    int64_t index;                             /* batch index within the epoch */
    lit_arena *arena;                          /* owns the tensors and arrays above */
    void *user;                                /* free for a custom collate_fn */
} lit_batch;

/* The tensor of field `name`; asserts (naming the fields present) when absent. */
lit_tensor *lit_batch_get(const lit_batch *b, const char *name);
/* NULL when absent. */
lit_tensor *lit_batch_find(const lit_batch *b, const char *name);
/* The `size` string pointers of string field `name`; NULL when absent or not
 * a string field. */
const char **lit_batch_strings(const lit_batch *b, const char *name);

/* Turn `n` samples into one batch (tensors in out->arena). */
typedef lit_status (*lit_collate_fn)(const lit_sample *samples, int64_t n, lit_batch *out, void *user);
/* The default collate described above. Errors (LIT_ERR_DATA) name the field
 * and the sample whose shape, kind or name differs from the first sample's. */
lit_status lit_default_collate(const lit_sample *samples, int64_t n, lit_batch *out, void *user);

/* ---------------------------------------------------------------- dataloader */

typedef struct {
    int64_t batch_size;      /* default 1 */
    int shuffle;             /* default 0; ignored for iterable datasets */
    int drop_last;           /* default 0 */
    int num_workers;         /* background threads; 0 = build batches on the caller's thread */
    int prefetch_factor;     /* batches in flight per worker (default 2) */
    uint64_t seed;           /* shuffle seed; the permutation of epoch e uses (seed, e) */
    lit_collate_fn collate_fn; /* NULL = lit_default_collate */
    void *collate_user;
} lit_dataloader_params;

lit_dataloader_params lit_dataloader_default_params(void);

typedef struct lit_dataloader lit_dataloader;

/*
 * How the loader works (what callers may rely on):
 *
 * - Batch k of an epoch holds samples order[k*B .. min((k+1)*B, n)) of the
 *   epoch's sampler order (lit_sampler_order); with drop_last the short tail
 *   is dropped (torch.utils.data.BatchSampler).
 * - Batch slots: the loader owns a fixed pool of num_workers*prefetch_factor
 *   + 1 slots (1 when num_workers is 0), each with its own arena ("batch-k").
 *   Batch k is always built in slot k % slots, so a slot's arena sees the
 *   same batch sizes every epoch and stops growing after the first epoch.
 * - Workers: num_workers pthreads, started by the first begin_epoch and
 *   parked between epochs (persistent workers); they claim batches k = 0, 1,
 *   2, ... in order while at most num_workers*prefetch_factor batches are in
 *   flight, and the consumer receives them strictly in order. Map-style
 *   get() runs concurrently for different indices on different workers.
 *   Iterable datasets are read by a single worker thread (the samples come
 *   from one sequential stream), still prefetching up to
 *   num_workers*prefetch_factor batches.
 * - While get()/iter_next()/collate_fn run, the batch's arena is also the
 *   thread's current arena (lit_arena_use), so lit_empty/lit_zeros/ops called
 *   there allocate in the batch too.
 * - Errors: a failing get() (iter_next(), collate_fn) makes lit_dataloader_next
 *   return its status, in order (the batches before it are delivered first),
 *   with a message naming the batch, the sample index and the dataset's own
 *   message. The error is sticky: later next() calls return it again until
 *   end_epoch/begin_epoch. Workers never exit or abort on dataset errors.
 * - skip_batches: map-style datasets start at batch `skip` of the same
 *   permutation without calling get() for the skipped samples; iterable
 *   datasets must read and discard skip*batch_size samples (on the caller's
 *   thread, in begin_epoch).
 */

/* The dataset struct is copied; its `user` data must outlive the loader.
 * Returns NULL with the last error set (bad params: batch_size < 1, ...). */
lit_dataloader *lit_dataloader_new(const lit_dataset *ds, const lit_dataloader_params *p);
void lit_dataloader_free(lit_dataloader *dl); /* NULL is a no-op; stops workers */

/* Batches per epoch (-1 for an iterable dataset of unknown length). */
int64_t lit_dataloader_len(const lit_dataloader *dl);
int64_t lit_dataloader_dataset_len(const lit_dataloader *dl);
/* Start epoch `epoch` (fixes the shuffle order), skipping the first
 * `skip_batches` batches (exact mid-epoch resume). */
lit_status lit_dataloader_begin_epoch(lit_dataloader *dl, int64_t epoch, int64_t skip_batches);
/* Next batch, or *out = NULL (and LIT_OK) at the end of the epoch. Returns
 * LIT_ERR_STATE when no epoch was begun. */
lit_status lit_dataloader_next(lit_dataloader *dl, lit_batch **out);
/* Stop early: workers finish the sample they are reading, then park; every
 * slot is released (the current batch dies). Safe to call at any time, also
 * twice; begin_epoch calls it first. The next begin_epoch starts fresh. */
void lit_dataloader_end_epoch(lit_dataloader *dl);
const lit_dataloader_params *lit_dataloader_get_params(const lit_dataloader *dl);
/* Turn per-epoch shuffling off or on from the next begin_epoch (the
 * Trainer's overfit_batches turns it off, as Lightning swaps in a
 * sequential sampler). No effect on iterable datasets. */
void lit_dataloader_set_shuffle(lit_dataloader *dl, int shuffle);

/* ---------------------------------------------------------------- samplers */

/* The order of sample indices for an epoch: identity, or a Fisher-Yates
 * shuffle driven by Philox(seed, epoch). Writes n indices into out.
 * The shuffle (Durstenfeld: for i = n-1 .. 1, swap out[i] with
 * out[lit_rng_below(rng, i + 1)]) draws from lit_sampler_rng(seed, epoch). */
void lit_sampler_order(int64_t n, int shuffle, uint64_t seed, int64_t epoch, int64_t *out);

/* The generator of epoch `epoch`: key = seed, block counter starting at
 * epoch * LIT_SAMPLER_EPOCH_STRIDE (2^40), so every epoch reads its own
 * disjoint stretch of the seed's Philox stream. */
#define LIT_SAMPLER_EPOCH_STRIDE ((uint64_t)1 << 40)
lit_rng lit_sampler_rng(uint64_t seed, int64_t epoch);

/* Batches of a BatchSampler over n samples: ceil(n / batch_size), or
 * floor(n / batch_size) with drop_last. */
int64_t lit_sampler_num_batches(int64_t n, int64_t batch_size, int drop_last);

/* ---------------------------------------------------------------- datamodule */

typedef enum { LIT_STAGE_FIT = 0, LIT_STAGE_VALIDATE, LIT_STAGE_TEST, LIT_STAGE_PREDICT } lit_stage;
const char *lit_stage_name(lit_stage s); /* "fit", "validate", "test", "predict" */

struct lit_checkpoint; /* checkpoint.h */

#define LIT_DATAMODULE_VERSION 1
#define LIT_MAX_DATALOADERS 8

/* Every slot is optional (NULL): default no-op / no loader. Loaders returned
 * are owned by the datamodule (free them in teardown or when it is freed). */
typedef struct lit_datamodule {
    int version; /* LIT_DATAMODULE_VERSION */
    lit_status (*prepare_data)(void *user);            /* once per machine: download, tokenize */
    lit_status (*setup)(void *user, lit_stage stage);  /* every process: build datasets */
    lit_status (*teardown)(void *user, lit_stage stage);
    lit_dataloader *(*train_dataloader)(void *user);
    /* Validation may have several loaders: write up to LIT_MAX_DATALOADERS, return the count. */
    int (*val_dataloaders)(void *user, lit_dataloader **out);
    int (*test_dataloaders)(void *user, lit_dataloader **out);
    int (*predict_dataloaders)(void *user, lit_dataloader **out);
    void *user;
    /* (optional) Lightning's DataModule.state_dict / load_state_dict: values
     * under the checkpoint's "datamodule" scope (checkpoint.h). default: nothing. */
    lit_status (*state_save)(void *user, struct lit_checkpoint *ckpt);
    lit_status (*state_load)(void *user, const struct lit_checkpoint *ckpt);
} lit_datamodule;

#ifdef __cplusplus
}
#endif
#endif
