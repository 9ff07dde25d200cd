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
 * Ready-made: lit_tensor_dataset (rows of given tensors, PyTorch's
 * TensorDataset), lit_token_dataset (a flat token array cut into (x, y)
 * windows for a language model) and lit_datasets_datamodule_new (a DataModule
 * over given datasets, Lightning's from_datasets): a model trained on tensors
 * or tokens needs no hand-written dataset or datamodule.
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
 *         LIT_TRY(lit_dataloader_begin_epoch(dl, epoch, 0));   // 0: from the first batch
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
 * p NULL = lit_dataloader_default_params(). Writes the loader to *out (NULL
 * on failure) and returns LIT_ERR_INVALID_ARG for a bad dataset or params
 * (batch_size < 1, ...; the message names the field) or LIT_ERR_NOMEM. */
lit_status lit_dataloader_create(lit_dataloader **out, const lit_dataset *ds, const lit_dataloader_params *p);
/* The same, returning the loader, or NULL with the last error set. */
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

/* ---------------------------------------------------------------- ready-made datasets */

/*
 * lit_tensor_dataset — PyTorch's TensorDataset: n tensors that share dim 0
 * (the rows); sample i holds row i of each, as field names[j] (a (d1, ...)
 * tensor for a (rows, d1, ...) source; a 0-d tensor for a (rows,) one, which
 * the default collate stacks into (B,)). Any dtype and strides.
 *
 *     lit_tensor_dataset td;
 *     LIT_TRY(lit_tensor_dataset_init(&td, 2, (const char *[]){"x", "y"}, (lit_tensor *[]){X, Y}));
 *     lit_dataset ds = lit_tensor_dataset_as_dataset(&td);
 *     lit_dataloader *dl = lit_dataloader_new(&ds, &p);     // batches: x (B, 64), y (B,)
 *
 * Ownership: the dataset borrows the tensors and the name strings: they must
 * stay alive (heap or persistent-arena tensors, not step tensors) and
 * unchanged while a loader reads the dataset; nothing to free. get() returns
 * views of the rows (no copy; the collate copies them into the batch), so it
 * is thread-safe and works with workers, shuffling and skip_batches.
 * Errors (LIT_ERR_INVALID_ARG, nothing written to *td): n outside
 * 1..LIT_SAMPLE_MAX_FIELDS, a NULL or repeated name, a NULL or 0-d tensor,
 * tensors whose dim 0 differs.
 */
typedef struct lit_tensor_dataset {
    int n;
    const char *names[LIT_SAMPLE_MAX_FIELDS];
    lit_tensor *tensors[LIT_SAMPLE_MAX_FIELDS];
    int64_t rows; /* samples: the common dim 0 */
} lit_tensor_dataset;

lit_status lit_tensor_dataset_init(lit_tensor_dataset *td, int n, const char *const names[],
                                   lit_tensor *const tensors[]);
/* The map-style dataset reading `td` (user = td: keep td alive as long as the
 * loader). */
lit_dataset lit_tensor_dataset_as_dataset(lit_tensor_dataset *td);

/*
 * lit_token_dataset — a flat token array (i32 or i64) cut into the windows a
 * language model trains on. With block size T and stride S, window i starts
 * at s = i*S and is the sample
 *     x = tokens[s     : s+T]      (T,) i64   field "x"
 *     y = tokens[s + 1 : s+T+1]    (T,) i64   field "y" (the next tokens)
 * so a batch holds x and y of shape (B, T). There are (n_tokens - T - 1) / S
 * + 1 windows: every window has its full T+1 tokens (a shorter tail is left
 * out). S = T (pass stride 0) gives non-overlapping windows that cover the
 * array once per epoch.
 *
 * nanoGPT draws B random window starts per step instead. The sampler gives
 * the same thing: stride 1 makes every offset a window, and shuffle = 1 visits
 * them in a random order (without replacement within an epoch; nanoGPT draws
 * with replacement); bound the run with max_steps or limit_train_batches, as
 * an epoch then has about n_tokens / B batches.
 *
 *     lit_token_dataset td;
 *     LIT_TRY(lit_token_dataset_init(&td, tokens, LIT_I64, n_tokens, 64, 1, 0));
 *     lit_dataset ds = lit_token_dataset_as_dataset(&td);
 *     ...
 *     lit_token_dataset_free(&td);  // after the loaders are freed
 *
 * Ownership: with take_ownership = 0 the array is borrowed (a static array, a
 * buffer you free after the dataset, or read-only memory such as a mapped
 * file: the dataset never writes to it); it must stay alive and unchanged
 * while a loader reads the dataset. With take_ownership = 1 the array must
 * come from malloc and lit_token_dataset_free frees it; init frees it too
 * when it fails, so after passing 1 the caller never frees it.
 *
 * Token values are copied as they are (no range check against a vocabulary:
 * the embedding checks its indices). get() is thread-safe.
 *
 * Errors (LIT_ERR_INVALID_ARG): tokens NULL, dtype not i32/i64, n_tokens < 0,
 * block_size < 1, stride < 0, and an array shorter than block_size + 1 tokens
 * (not even one window; the message names both numbers).
 */
typedef struct lit_token_dataset {
    const void *tokens;
    lit_dtype dtype;     /* LIT_I32 or LIT_I64 */
    int64_t n_tokens;
    int64_t block_size;  /* T */
    int64_t stride;      /* S (block_size when 0 was passed) */
    int64_t windows;     /* samples */
    void *owned;         /* the array when the dataset owns it, else NULL */
} lit_token_dataset;

lit_status lit_token_dataset_init(lit_token_dataset *td, const void *tokens, lit_dtype dtype, int64_t n_tokens,
                                  int64_t block_size, int64_t stride, int take_ownership);
lit_dataset lit_token_dataset_as_dataset(lit_token_dataset *td);
/* Frees an owned array and clears td; NULL is a no-op. */
void lit_token_dataset_free(lit_token_dataset *td);

/* ---------------------------------------------------------------- datamodule */

typedef enum { LIT_STAGE_FIT = 0, LIT_STAGE_VALIDATE, LIT_STAGE_TEST, LIT_STAGE_PREDICT } lit_stage;
const char *lit_stage_name(lit_stage s); /* "fit", "validate", "test", "predict" */

struct lit_checkpoint; /* checkpoint.h */

#define LIT_DATAMODULE_VERSION 2
#define LIT_MAX_DATALOADERS 8

/* Every slot is optional (NULL): default no-op / no loader. Loaders returned
 * are owned by the datamodule (free them in teardown or when it is freed).
 *
 * Each loader has two slots: the pointer form (train_dataloader, ...; NULL
 * means failure) and the status form (get_train_dataloader, ...; version 2),
 * which returns a lit_status so the real error reaches the caller: the
 * Trainer returns a failing slot's status and message unchanged, where the
 * pointer form can only become LIT_ERR_CONFIG "loader is NULL (<last
 * error>)". Set one form per loader (both is LIT_ERR_CONFIG). Version 1
 * datamodules (without the status slots) still run as before. */
typedef struct lit_datamodule {
    int version; /* LIT_DATAMODULE_VERSION (1 is accepted: no status slots) */
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
    /* (optional, version >= 2) The status forms of the loader slots. Fill
     * *out (one loader) or out[0 .. *n) (up to LIT_MAX_DATALOADERS; *n = 0 is
     * no loader) and return LIT_OK, or return a negative status with
     * lit_set_error naming what failed. default: the pointer form above. */
    lit_status (*get_train_dataloader)(void *user, lit_dataloader **out);
    lit_status (*get_val_dataloaders)(void *user, lit_dataloader **out, int *n);
    lit_status (*get_test_dataloaders)(void *user, lit_dataloader **out, int *n);
    lit_status (*get_predict_dataloaders)(void *user, lit_dataloader **out, int *n);
} lit_datamodule;

/*
 * A datamodule over ready datasets (Lightning's
 * LightningDataModule.from_datasets): one loader per dataset given, all with
 * the same loader params; only the training loader shuffles (when
 * loader.shuffle is set: Lightning's from_datasets always shuffles it, so set
 * shuffle = 1 for the same behaviour). A stage whose dataset is NULL has no
 * loader (no validation when val is NULL). The loaders are made by
 * lit_datasets_datamodule_new, so a bad dataset or param is reported there.
 *
 *     lit_datasets_datamodule_params dp = lit_datasets_datamodule_default_params();
 *     dp.train = &train_ds; dp.val = &val_ds;
 *     dp.loader.batch_size = 12; dp.loader.shuffle = 1; dp.loader.seed = 1337;
 *     lit_datamodule *dm;
 *     LIT_TRY(lit_datasets_datamodule_new(&dm, &dp));
 *     LIT_TRY(lit_trainer_fit(tr, &module, dm, NULL));
 *     lit_datasets_datamodule_free(dm);
 *
 * The dataset structs are copied; their `user` data (e.g. a
 * lit_token_dataset) must outlive the datamodule.
 */
typedef struct {
    const lit_dataset *train, *val, *test, *predict; /* NULL: no loader for that stage */
    lit_dataloader_params loader;                    /* default: lit_dataloader_default_params() */
} lit_datasets_datamodule_params;

lit_datasets_datamodule_params lit_datasets_datamodule_default_params(void);
/* Errors: LIT_ERR_INVALID_ARG when every dataset is NULL, a loader's error
 * (prefixed with the stage) otherwise; *out is NULL on failure. */
lit_status lit_datasets_datamodule_new(lit_datamodule **out, const lit_datasets_datamodule_params *p);
/* Frees the loaders and the datamodule; NULL is a no-op. Only for a
 * datamodule from lit_datasets_datamodule_new (asserted). */
void lit_datasets_datamodule_free(lit_datamodule *dm);

/* What the Trainer calls (either form, checked): the training loader into
 * *out. Returns the status slot's status, or LIT_ERR_CONFIG when the
 * datamodule has no training loader, the pointer form returned NULL (its
 * last error quoted), both forms are set, or the status form returned LIT_OK
 * with *out NULL. */
lit_status lit_datamodule_train_dataloader(const lit_datamodule *dm, lit_dataloader **out);
/* The loaders of `stage` (LIT_STAGE_VALIDATE, _TEST or _PREDICT) into
 * out[0 .. *n); *n = 0 when the datamodule has none. Errors as above, and
 * LIT_ERR_CONFIG for a count outside 0..LIT_MAX_DATALOADERS or a NULL loader. */
lit_status lit_datamodule_eval_dataloaders(const lit_datamodule *dm, lit_stage stage, lit_dataloader **out, int *n);
/* Whether the datamodule has a loader slot (either form) for `stage`
 * (LIT_STAGE_FIT: the training loader). */
int lit_datamodule_has_dataloaders(const lit_datamodule *dm, lit_stage stage);

#ifdef __cplusplus
}
#endif
#endif
