/*
 * Data tests: samplers, default and custom collate, the DataLoader with 0, 1
 * and 3 workers (bit-identical batches), skip_batches, errors, iterable
 * datasets, early end_epoch, and no arena growth in steady state. The
 * ready-made datasets (tensor rows, token windows: values against the source
 * arrays, edges, errors, exact mid-epoch resume through the Trainer) and the
 * datamodule's status-returning loader slots.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#include "harness.h"
#include "tmp-dir.h"

/* ---------------------------------------------------------------- datasets */

#define MAX_N 256

typedef struct {
    int64_t n;
    int64_t fail_at;    /* get() fails for this index (-1: never) */
    int64_t odd_at;     /* sample with a (4,) x instead of (3,) (-1: never) */
    int sleepy;         /* sleep a little in some get() calls to shuffle worker timing */
    int64_t big;        /* extra f32 elements per sample (arena growth test) */
    char names[MAX_N][16];
    _Atomic int64_t calls;
    _Atomic int hits[MAX_N];
    _Atomic int wrong_arena;
} map_ds;

static int64_t map_len(void *user) { return ((map_ds *)user)->n; }

static void nap(int64_t i) {
    struct timespec ts = {0, (long)((i * 7919) % 5) * 200000L}; /* 0 .. 0.8 ms */
    nanosleep(&ts, NULL);
}

static lit_status map_get(void *user, int64_t i, lit_sample *out, lit_arena *arena) {
    map_ds *d = user;
    atomic_fetch_add(&d->calls, 1);
    if (i >= 0 && i < MAX_N) atomic_fetch_add(&d->hits[i], 1);
    if (d->sleepy) nap(i);
    if (i == d->fail_at) return lit_set_error(LIT_ERR_IO, "cannot read record %lld", (long long)i);
    int64_t len = i == d->odd_at ? 4 : 3;
    lit_tensor *x = lit_tensor_new(arena, LIT_F32, 1, (int64_t[]){len});
    for (int64_t k = 0; k < len; k++) lit_f32(x)[k] = (float)i + 0.5f * (float)k;
    out->n = 4;
    out->fields[0] = (lit_field){.name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x};
    out->fields[1] = (lit_field){.name = "y", .kind = LIT_FIELD_INT, .i = i * 10};
    out->fields[2] = (lit_field){.name = "w", .kind = LIT_FIELD_FLOAT, .f = (double)i * 0.25};
    out->fields[3] = (lit_field){.name = "name", .kind = LIT_FIELD_STRING, .s = d->names[i]};
    if (d->big) {
        /* made with lit_empty: the batch arena is the current arena in get() */
        lit_tensor *z = lit_zeros(LIT_F32, LIT_SHAPE(d->big));
        if (z->arena != arena) atomic_store(&d->wrong_arena, 1); /* no CHECK: may run on a worker */
        lit_f32(z)[0] = (float)i;
        out->n = 5;
        out->fields[4] = (lit_field){.name = "z", .kind = LIT_FIELD_TENSOR, .tensor = z};
    }
    return LIT_OK;
}

static void map_init(map_ds *d, int64_t n) {
    memset(d, 0, sizeof *d);
    d->n = n;
    d->fail_at = -1;
    d->odd_at = -1;
    for (int64_t i = 0; i < n && i < MAX_N; i++) snprintf(d->names[i], sizeof d->names[i], "item-%lld", (long long)i);
}

static lit_dataset map_dataset(map_ds *d) {
    return (lit_dataset){.version = LIT_DATASET_VERSION, .len = map_len, .get = map_get, .user = d};
}

static lit_dataloader *loader(map_ds *d, int64_t bs, int shuffle, int drop_last, int workers) {
    lit_dataloader_params p = lit_dataloader_default_params();
    p.batch_size = bs;
    p.shuffle = shuffle;
    p.drop_last = drop_last;
    p.num_workers = workers;
    p.seed = 1234;
    lit_dataset ds = map_dataset(d);
    lit_dataloader *dl = lit_dataloader_new(&ds, &p);
    CHECK_MSG(dl != NULL, "lit_dataloader_new failed: %s", lit_last_error());
    return dl;
}

/* ---------------------------------------------------------------- byte logs */

typedef struct {
    unsigned char *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *src, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 256;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
}

static void put_batch(bytes *b, const lit_batch *bt) {
    put(b, &bt->size, sizeof bt->size);
    put(b, &bt->index, sizeof bt->index);
    for (int f = 0; f < bt->n; f++) {
        put(b, bt->names[f], strlen(bt->names[f]) + 1);
        if (bt->tensors[f]) {
            const lit_tensor *t = bt->tensors[f];
            put(b, &t->dtype, sizeof t->dtype);
            put(b, t->shape, sizeof(int64_t) * (size_t)t->ndim);
            put(b, t->data, (size_t)t->numel * lit_dtype_size(t->dtype));
        } else {
            for (int64_t j = 0; j < bt->size; j++) put(b, bt->strings[f][j], strlen(bt->strings[f][j]) + 1);
        }
    }
}

/* All batches of epochs [e0, e1) into a byte log. Returns batches seen. */
static int64_t run_epochs(lit_dataloader *dl, int64_t e0, int64_t e1, int64_t skip, bytes *log) {
    int64_t count = 0;
    for (int64_t e = e0; e < e1; e++) {
        lit_status st = lit_dataloader_begin_epoch(dl, e, skip);
        CHECK_MSG(st == LIT_OK, "begin_epoch: %s", lit_last_error());
        lit_batch *b;
        while ((st = lit_dataloader_next(dl, &b)) == LIT_OK && b) {
            if (log) put_batch(log, b);
            count++;
        }
        CHECK_MSG(st == LIT_OK, "next: %s", lit_last_error());
    }
    return count;
}

/* ---------------------------------------------------------------- samplers */

TEST(sampler_sequential) {
    int64_t o[10];
    lit_sampler_order(10, 0, 7, 3, o);
    for (int i = 0; i < 10; i++) CHECK_EQ_INT(o[i], i);
    lit_sampler_order(0, 1, 7, 3, NULL);
}

static int is_perm(const int64_t *o, int64_t n) {
    int seen[1000] = {0};
    for (int64_t i = 0; i < n; i++) {
        if (o[i] < 0 || o[i] >= n || seen[o[i]]) return 0;
        seen[o[i]] = 1;
    }
    return 1;
}

TEST(sampler_shuffle) {
    enum { N = 100 };
    int64_t a[N], b[N], c[N], d[N];
    lit_sampler_order(N, 1, 42, 0, a);
    lit_sampler_order(N, 1, 42, 1, b);
    lit_sampler_order(N, 1, 42, 0, c);
    lit_sampler_order(N, 1, 43, 0, d);
    CHECK(is_perm(a, N));
    CHECK(is_perm(b, N));
    CHECK(is_perm(d, N));
    CHECK(memcmp(a, c, sizeof a) == 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
    CHECK(memcmp(a, d, sizeof a) != 0);
    int fixed = 0;
    for (int i = 0; i < N; i++) fixed += a[i] == i;
    CHECK_MSG(fixed < 10, "shuffle left %d of %d in place", fixed, N);
    /* The documented recipe: Durstenfeld from the end with lit_sampler_rng. */
    int64_t r[N];
    for (int i = 0; i < N; i++) r[i] = i;
    lit_rng rng = lit_rng_new(42);
    rng.counter = 1 * LIT_SAMPLER_EPOCH_STRIDE;
    for (int64_t i = N - 1; i > 0; i--) {
        int64_t j = (int64_t)lit_rng_below(&rng, (uint64_t)i + 1);
        int64_t t = r[i];
        r[i] = r[j];
        r[j] = t;
    }
    CHECK(memcmp(r, b, sizeof r) == 0);
    /* Each position sees many values over epochs (a crude uniformity check). */
    int first_hist[10] = {0};
    for (int e = 0; e < 2000; e++) {
        int64_t o[10];
        lit_sampler_order(10, 1, 5, e, o);
        first_hist[o[0]]++;
    }
    for (int v = 0; v < 10; v++) CHECK_MSG(first_hist[v] > 140 && first_hist[v] < 260, "value %d first %d times", v, first_hist[v]);
}

TEST(batch_counts_drop_last) {
    CHECK_EQ_INT(lit_sampler_num_batches(10, 3, 0), 4);
    CHECK_EQ_INT(lit_sampler_num_batches(10, 3, 1), 3);
    CHECK_EQ_INT(lit_sampler_num_batches(9, 3, 0), 3);
    CHECK_EQ_INT(lit_sampler_num_batches(9, 3, 1), 3);
    CHECK_EQ_INT(lit_sampler_num_batches(2, 3, 1), 0);
    CHECK_EQ_INT(lit_sampler_num_batches(0, 3, 0), 0);
    static map_ds d;
    map_init(&d, 10);
    for (int drop = 0; drop <= 1; drop++) {
        lit_dataloader *dl = loader(&d, 3, 0, drop, 0);
        CHECK_EQ_INT(lit_dataloader_len(dl), drop ? 3 : 4);
        CHECK_EQ_INT(lit_dataloader_dataset_len(dl), 10);
        CHECK(lit_dataloader_begin_epoch(dl, 0, 0) == LIT_OK);
        lit_batch *b;
        int64_t nb = 0, last = -1, total = 0;
        while (lit_dataloader_next(dl, &b) == LIT_OK && b) {
            CHECK_EQ_INT(b->index, nb);
            nb++;
            last = b->size;
            total += b->size;
        }
        CHECK_EQ_INT(nb, drop ? 3 : 4);
        CHECK_EQ_INT(last, drop ? 3 : 1);
        CHECK_EQ_INT(total, drop ? 9 : 10);
        /* after the end: still NULL, still OK */
        CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b == NULL);
        lit_dataloader_free(dl);
    }
}

/* ---------------------------------------------------------------- collate */

TEST(sequential_collate_values) {
    static map_ds d;
    map_init(&d, 10);
    lit_dataloader *dl = loader(&d, 4, 0, 0, 0);
    CHECK(lit_dataloader_begin_epoch(dl, 0, 0) == LIT_OK);
    lit_batch *b;
    int64_t next = 0;
    while (lit_dataloader_next(dl, &b) == LIT_OK && b) {
        lit_tensor *x = lit_batch_get(b, "x"), *y = lit_batch_get(b, "y"), *w = lit_batch_get(b, "w");
        CHECK_EQ_INT(b->n, 4);
        CHECK(x->dtype == LIT_F32 && x->ndim == 2 && x->shape[0] == b->size && x->shape[1] == 3);
        CHECK(y->dtype == LIT_I64 && y->ndim == 1 && y->shape[0] == b->size);
        CHECK(w->dtype == LIT_F32 && w->ndim == 1 && w->shape[0] == b->size);
        CHECK(x->arena == b->arena && y->arena == b->arena);
        CHECK(lit_batch_find(b, "name") == NULL); /* string field: no tensor */
        CHECK(lit_batch_find(b, "missing") == NULL);
        const char **names = lit_batch_strings(b, "name");
        CHECK(names != NULL);
        CHECK(lit_batch_strings(b, "x") == NULL);
        for (int64_t j = 0; j < b->size; j++, next++) {
            for (int k = 0; k < 3; k++) CHECK_NEAR(lit_f32(x)[j * 3 + k], (double)next + 0.5 * k, 0);
            CHECK_EQ_INT(lit_i64(y)[j], next * 10);
            CHECK_NEAR(lit_f32(w)[j], next * 0.25, 0);
            CHECK(names[j] == d.names[next]); /* the same pointer, passed through */
            CHECK_STR_EQ(b->strings[3][j], d.names[next]);
        }
    }
    CHECK_EQ_INT(next, 10);
    CHECK(lit_dataloader_begin_epoch(dl, 1, 0) == LIT_OK);
    CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b);
    EXPECT_ASSERT(lit_batch_get(b, "nope"), "'nope'");
    EXPECT_ASSERT(lit_batch_get(b, "nope"), "'x', 'y', 'w', 'name'");
    EXPECT_ASSERT(lit_batch_get(b, "name"), "string field");
    lit_dataloader_free(dl);
}

TEST(collate_strided_and_direct) {
    /* Direct call with hand-made samples, one of them a transposed view. */
    lit_arena *a = lit_arena_new("collate-test", 0);
    lit_tensor *t0 = lit_tensor_new(a, LIT_F32, LIT_SHAPE(2, 3));
    lit_tensor *base = lit_tensor_new(a, LIT_F32, LIT_SHAPE(3, 2));
    for (int i = 0; i < 6; i++) {
        lit_f32(t0)[i] = (float)i;
        lit_f32(base)[i] = (float)(10 + i);
    }
    lit_tensor t1 = *base; /* transposed view (2, 3) of base */
    t1.shape[0] = 2;
    t1.shape[1] = 3;
    t1.stride[0] = 1;
    t1.stride[1] = 2;
    t1.base = base;
    lit_sample s[2];
    memset(s, 0, sizeof s);
    s[0].n = s[1].n = 1;
    s[0].fields[0] = (lit_field){.name = "m", .kind = LIT_FIELD_TENSOR, .tensor = t0};
    s[1].fields[0] = (lit_field){.name = "m", .kind = LIT_FIELD_TENSOR, .tensor = &t1};
    lit_batch b;
    memset(&b, 0, sizeof b);
    b.arena = a;
    CHECK(lit_default_collate(s, 2, &b, NULL) == LIT_OK);
    lit_tensor *m = b.tensors[0];
    CHECK(m->ndim == 3 && m->shape[0] == 2 && m->shape[1] == 2 && m->shape[2] == 3);
    for (int i = 0; i < 6; i++) CHECK_NEAR(lit_f32(m)[i], i, 0);
    /* row 1 = base^T: [[10, 12, 14], [11, 13, 15]] */
    const float want[6] = {10, 12, 14, 11, 13, 15};
    CHECK_ALLCLOSE(lit_f32(m) + 6, want, 6, 0, 0);
    /* kind and name mismatches */
    s[1].fields[0] = (lit_field){.name = "m", .kind = LIT_FIELD_INT, .i = 3};
    CHECK(lit_default_collate(s, 2, &b, NULL) == LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "field 'm' of sample 1");
    CHECK_STR_CONTAINS(lit_last_error(), "int");
    s[1].fields[0] = (lit_field){.name = "q", .kind = LIT_FIELD_TENSOR, .tensor = t0};
    CHECK(lit_default_collate(s, 2, &b, NULL) == LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "'q'");
    CHECK(lit_default_collate(s, 0, &b, NULL) == LIT_ERR_DATA);
    lit_arena_free(a);
}

TEST(mismatched_shapes_error) {
    static map_ds d;
    map_init(&d, 10);
    d.odd_at = 5; /* batch 1 = samples 3, 4, 5: sample 2 of that batch */
    for (int workers = 0; workers <= 2; workers += 2) {
        lit_dataloader *dl = loader(&d, 3, 0, 0, workers);
        CHECK(lit_dataloader_begin_epoch(dl, 0, 0) == LIT_OK);
        lit_batch *b;
        CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b && b->index == 0);
        lit_status st = lit_dataloader_next(dl, &b);
        CHECK_EQ_INT(st, LIT_ERR_DATA);
        CHECK(b == NULL);
        const char *msg = lit_last_error();
        CHECK_STR_CONTAINS(msg, "batch 1");
        CHECK_STR_CONTAINS(msg, "field 'x'");
        CHECK_STR_CONTAINS(msg, "sample 2 (dataset index 5)");
        CHECK_STR_CONTAINS(msg, "shape (4,)");
        CHECK_STR_CONTAINS(msg, "shape (3,)");
        lit_dataloader_free(dl);
    }
}

/* ---------------------------------------------------------------- custom collate: dynamic padding */

typedef struct {
    int64_t n;
} seq_ds;

static int64_t seq_len_of(int64_t i) { return 1 + (i * 7) % 5; }
static int64_t seq_len(void *user) { return ((seq_ds *)user)->n; }
static lit_status seq_get(void *user, int64_t i, lit_sample *out, lit_arena *arena) {
    (void)user;
    int64_t L = seq_len_of(i);
    lit_tensor *ids = lit_tensor_new(arena, LIT_I64, 1, &L);
    for (int64_t t = 0; t < L; t++) lit_i64(ids)[t] = 100 * i + t + 1;
    out->n = 2;
    out->fields[0] = (lit_field){.name = "input_ids", .kind = LIT_FIELD_TENSOR, .tensor = ids};
    out->fields[1] = (lit_field){.name = "label", .kind = LIT_FIELD_INT, .i = i % 2};
    return LIT_OK;
}

/* Pad input_ids to the longest item of the batch (as a PyTorch collate_fn
 * with pad_sequence would): (B, Lmax) ids, (B, Lmax) mask, (B,) lengths. */
static lit_status pad_collate(const lit_sample *s, int64_t n, lit_batch *out, void *user) {
    int64_t pad = *(const int64_t *)user;
    int64_t lmax = 0;
    for (int64_t j = 0; j < n; j++)
        if (s[j].fields[0].tensor->shape[0] > lmax) lmax = s[j].fields[0].tensor->shape[0];
    lit_tensor *ids = lit_tensor_new(out->arena, LIT_I64, LIT_SHAPE(n, lmax));
    lit_tensor *mask = lit_tensor_new(out->arena, LIT_I64, LIT_SHAPE(n, lmax));
    lit_tensor *lens = lit_tensor_new(out->arena, LIT_I64, LIT_SHAPE(n));
    lit_tensor *labels = lit_tensor_new(out->arena, LIT_I64, LIT_SHAPE(n));
    for (int64_t j = 0; j < n; j++) {
        const lit_tensor *t = s[j].fields[0].tensor;
        int64_t L = t->shape[0];
        for (int64_t k = 0; k < lmax; k++) {
            lit_i64(ids)[j * lmax + k] = k < L ? lit_i64(t)[k] : pad;
            lit_i64(mask)[j * lmax + k] = k < L;
        }
        lit_i64(lens)[j] = L;
        lit_i64(labels)[j] = s[j].fields[1].i;
    }
    out->n = 4;
    out->names[0] = "input_ids";
    out->tensors[0] = ids;
    out->names[1] = "attention_mask";
    out->tensors[1] = mask;
    out->names[2] = "lengths";
    out->tensors[2] = lens;
    out->names[3] = "labels";
    out->tensors[3] = labels;
    out->size = n;
    return LIT_OK;
}

TEST(custom_padding_collate) {
    seq_ds sd = {.n = 11};
    lit_dataset ds = {.version = LIT_DATASET_VERSION, .len = seq_len, .get = seq_get, .user = &sd};
    int64_t pad = -7;
    bytes logs[2] = {{0}};
    for (int wi = 0; wi < 2; wi++) {
        lit_dataloader_params p = lit_dataloader_default_params();
        p.batch_size = 4;
        p.shuffle = 1;
        p.seed = 9;
        p.num_workers = wi * 2;
        p.collate_fn = pad_collate;
        p.collate_user = &pad;
        lit_dataloader *dl = lit_dataloader_new(&ds, &p);
        CHECK(lit_dataloader_begin_epoch(dl, 0, 0) == LIT_OK);
        int64_t order[11];
        lit_sampler_order(11, 1, 9, 0, order);
        lit_batch *b;
        int64_t pos = 0;
        while (lit_dataloader_next(dl, &b) == LIT_OK && b) {
            put_batch(&logs[wi], b);
            lit_tensor *ids = lit_batch_get(b, "input_ids"), *mask = lit_batch_get(b, "attention_mask");
            lit_tensor *lens = lit_batch_get(b, "lengths");
            int64_t B = b->size, lmax = 0;
            for (int64_t j = 0; j < B; j++)
                if (seq_len_of(order[pos + j]) > lmax) lmax = seq_len_of(order[pos + j]);
            CHECK(ids->ndim == 2 && ids->shape[0] == B && ids->shape[1] == lmax);
            CHECK(mask->ndim == 2 && mask->shape[0] == B && mask->shape[1] == lmax);
            for (int64_t j = 0; j < B; j++, pos++) {
                int64_t i = order[pos], L = seq_len_of(i);
                CHECK_EQ_INT(lit_i64(lens)[j], L);
                CHECK_EQ_INT(lit_i64(lit_batch_get(b, "labels"))[j], i % 2);
                for (int64_t k = 0; k < lmax; k++) {
                    CHECK_EQ_INT(lit_i64(ids)[j * lmax + k], k < L ? 100 * i + k + 1 : pad);
                    CHECK_EQ_INT(lit_i64(mask)[j * lmax + k], k < L);
                }
            }
        }
        CHECK_EQ_INT(pos, 11);
        lit_dataloader_free(dl);
    }
    CHECK(logs[0].n == logs[1].n && memcmp(logs[0].p, logs[1].p, logs[0].n) == 0);
    free(logs[0].p);
    free(logs[1].p);
}

/* ---------------------------------------------------------------- workers */

TEST(workers_bit_identical) {
    static map_ds d;
    map_init(&d, 37);
    d.sleepy = 1;
    const int workers[3] = {0, 1, 3};
    bytes logs[3] = {{0}};
    for (int w = 0; w < 3; w++) {
        for (int drop = 0; drop <= 1; drop++) {
            lit_dataloader *dl = loader(&d, 5, 1, drop, workers[w]);
            CHECK_EQ_INT(run_epochs(dl, 0, 2, 0, &logs[w]), drop ? 14 : 16);
            lit_dataloader_free(dl);
        }
    }
    for (int w = 1; w < 3; w++) {
        CHECK_EQ_INT(logs[w].n, logs[0].n);
        CHECK_MSG(logs[w].n == logs[0].n && memcmp(logs[w].p, logs[0].p, logs[0].n) == 0,
                  "batches with %d workers differ from 0 workers", workers[w]);
    }
    /* Shuffled content: epoch 0 and 1 of the same loader differ, and the
     * first batch of epoch 0 holds order[0..5). */
    lit_dataloader *dl = loader(&d, 5, 1, 0, 3);
    int64_t order[37];
    lit_sampler_order(37, 1, 1234, 0, order);
    CHECK(lit_dataloader_begin_epoch(dl, 0, 0) == LIT_OK);
    lit_batch *b;
    CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b);
    for (int j = 0; j < 5; j++) CHECK_EQ_INT(lit_i64(lit_batch_get(b, "y"))[j], order[j] * 10);
    lit_dataloader_free(dl);
    for (int w = 0; w < 3; w++) free(logs[w].p);
}

TEST(skip_batches) {
    static map_ds d;
    map_init(&d, 23);
    for (int w = 0; w <= 3; w += 3) {
        bytes full = {0}, skipped = {0}, tail = {0};
        lit_dataloader *dl = loader(&d, 4, 1, 0, w);
        /* reference: epoch 2, all 6 batches */
        CHECK(lit_dataloader_begin_epoch(dl, 2, 0) == LIT_OK);
        lit_batch *b;
        int64_t k = 0;
        while (lit_dataloader_next(dl, &b) == LIT_OK && b) {
            put_batch(&full, b);
            if (k++ >= 2) put_batch(&tail, b);
        }
        CHECK_EQ_INT(k, 6);
        /* skip 2: batches 2..5 of the same permutation, without get() calls for
         * the 8 skipped samples */
        atomic_store(&d.calls, 0);
        for (int i = 0; i < MAX_N; i++) atomic_store(&d.hits[i], 0);
        CHECK_EQ_INT(run_epochs(dl, 2, 3, 2, &skipped), 4);
        CHECK_EQ_INT(atomic_load(&d.calls), 23 - 8);
        int64_t order[23];
        lit_sampler_order(23, 1, 1234, 2, order);
        for (int j = 0; j < 8; j++) CHECK_EQ_INT(atomic_load(&d.hits[order[j]]), 0);
        CHECK(skipped.n == tail.n && memcmp(skipped.p, tail.p, tail.n) == 0);
        /* skip past the end: an empty epoch */
        CHECK_EQ_INT(run_epochs(dl, 2, 3, 6, NULL), 0);
        CHECK_EQ_INT(run_epochs(dl, 2, 3, 100, NULL), 0);
        CHECK(lit_dataloader_begin_epoch(dl, 0, -1) == LIT_ERR_INVALID_ARG);
        CHECK_STR_CONTAINS(lit_last_error(), "skip_batches");
        lit_dataloader_free(dl);
        free(full.p);
        free(skipped.p);
        free(tail.p);
    }
}

TEST(dataset_error_propagates) {
    static map_ds d;
    map_init(&d, 20);
    d.fail_at = 7;
    for (int w = 0; w <= 3; w += 3) {
        lit_dataloader *dl = loader(&d, 3, 0, 0, w);
        CHECK(lit_dataloader_begin_epoch(dl, 0, 0) == LIT_OK);
        lit_batch *b;
        CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b && b->index == 0);
        CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b && b->index == 1);
        lit_status st = lit_dataloader_next(dl, &b);
        CHECK_EQ_INT(st, LIT_ERR_IO);
        CHECK(b == NULL);
        CHECK_STR_CONTAINS(lit_last_error(), "batch 2");
        CHECK_STR_CONTAINS(lit_last_error(), "sample index 7");
        CHECK_STR_CONTAINS(lit_last_error(), "cannot read record 7");
        /* sticky until the next epoch */
        lit_clear_error();
        CHECK_EQ_INT(lit_dataloader_next(dl, &b), LIT_ERR_IO);
        CHECK_STR_CONTAINS(lit_last_error(), "cannot read record 7");
        /* a new epoch starts fresh; with the fault gone it runs to the end */
        d.fail_at = -1;
        CHECK_EQ_INT(run_epochs(dl, 1, 2, 0, NULL), 7);
        d.fail_at = 7;
        lit_dataloader_free(dl);
    }
}

TEST(bad_params) {
    static map_ds d;
    map_init(&d, 4);
    lit_dataset ds = map_dataset(&d);
    lit_dataloader_params p = lit_dataloader_default_params();
    CHECK_EQ_INT(p.batch_size, 1);
    CHECK_EQ_INT(p.prefetch_factor, 2);
    CHECK_EQ_INT(p.num_workers, 0);
    p.batch_size = 0;
    CHECK(lit_dataloader_new(&ds, &p) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "batch_size");
    p = lit_dataloader_default_params();
    p.prefetch_factor = 0;
    CHECK(lit_dataloader_new(&ds, &p) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "prefetch_factor");
    p = lit_dataloader_default_params();
    p.num_workers = -1;
    CHECK(lit_dataloader_new(&ds, &p) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "num_workers");
    p = lit_dataloader_default_params();
    lit_dataset none = {.version = LIT_DATASET_VERSION};
    CHECK(lit_dataloader_new(&none, &p) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "iter_next");
    lit_dataset noget = {.version = LIT_DATASET_VERSION, .len = map_len, .user = &d};
    CHECK(lit_dataloader_new(&noget, &p) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "get is NULL");
    lit_dataset badver = ds;
    badver.version = 99;
    CHECK(lit_dataloader_new(&badver, &p) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "version");
    CHECK(lit_dataloader_new(NULL, &p) == NULL);
    /* next() before begin_epoch */
    lit_dataloader *dl = lit_dataloader_new(&ds, NULL);
    CHECK(dl != NULL);
    lit_batch *b = (lit_batch *)1;
    CHECK_EQ_INT(lit_dataloader_next(dl, &b), LIT_ERR_STATE);
    CHECK(b == NULL);
    CHECK_EQ_INT(lit_dataloader_get_params(dl)->batch_size, 1);
    lit_dataloader_free(dl);
    lit_dataloader_free(NULL);
}

/* ---------------------------------------------------------------- iterable */

typedef struct {
    int64_t n, epoch, pos, fail_at;
    int begins;
} iter_ds;

static lit_status it_begin(void *user, int64_t epoch) {
    iter_ds *d = user;
    d->epoch = epoch;
    d->pos = 0;
    d->begins++;
    return LIT_OK;
}

static lit_status it_next(void *user, lit_sample *out, lit_arena *arena, int *done) {
    iter_ds *d = user;
    if (d->pos >= d->n) {
        *done = 1;
        return LIT_OK;
    }
    if (d->pos == d->fail_at) return lit_set_error(LIT_ERR_CORRUPT, "bad line %lld", (long long)d->pos);
    int64_t v = d->epoch * 1000 + d->pos++;
    lit_tensor *x = lit_tensor_new(arena, LIT_F32, LIT_SHAPE(2));
    lit_f32(x)[0] = (float)v;
    lit_f32(x)[1] = -(float)v;
    out->n = 2;
    out->fields[0] = (lit_field){.name = "v", .kind = LIT_FIELD_INT, .i = v};
    out->fields[1] = (lit_field){.name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x};
    return LIT_OK;
}

TEST(iterable_dataset) {
    for (int w = 0; w <= 2; w += 2) {
        for (int drop = 0; drop <= 1; drop++) {
            iter_ds d = {.n = 10, .fail_at = -1};
            lit_dataset ds = {.version = LIT_DATASET_VERSION, .iter_begin = it_begin, .iter_next = it_next, .user = &d};
            lit_dataloader_params p = lit_dataloader_default_params();
            p.batch_size = 3;
            p.drop_last = drop;
            p.num_workers = w;
            p.shuffle = 1; /* ignored for iterable datasets */
            lit_dataloader *dl = lit_dataloader_new(&ds, &p);
            CHECK(dl != NULL);
            CHECK_EQ_INT(lit_dataloader_len(dl), -1);
            CHECK_EQ_INT(lit_dataloader_dataset_len(dl), -1);
            for (int64_t e = 0; e < 2; e++) {
                CHECK(lit_dataloader_begin_epoch(dl, e, 0) == LIT_OK);
                lit_batch *b;
                int64_t pos = 0, nb = 0;
                lit_status st;
                while ((st = lit_dataloader_next(dl, &b)) == LIT_OK && b) {
                    CHECK_EQ_INT(b->index, nb);
                    CHECK_EQ_INT(b->size, nb < 3 ? 3 : 1);
                    lit_tensor *v = lit_batch_get(b, "v"), *x = lit_batch_get(b, "x");
                    CHECK(x->shape[0] == b->size && x->shape[1] == 2);
                    for (int64_t j = 0; j < b->size; j++, pos++) {
                        CHECK_EQ_INT(lit_i64(v)[j], e * 1000 + pos);
                        CHECK_NEAR(lit_f32(x)[2 * j + 1], -(double)(e * 1000 + pos), 0);
                    }
                    nb++;
                }
                CHECK(st == LIT_OK);
                CHECK_EQ_INT(nb, drop ? 3 : 4);
                CHECK_EQ_INT(pos, drop ? 9 : 10);
            }
            CHECK_EQ_INT(d.begins, 2);
            /* skip 2 batches: reads and drops 6 samples, starts at batch 2 */
            CHECK(lit_dataloader_begin_epoch(dl, 5, 2) == LIT_OK);
            lit_batch *b;
            CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b);
            CHECK_EQ_INT(b->index, 2);
            CHECK_EQ_INT(lit_i64(lit_batch_get(b, "v"))[0], 5006);
            lit_dataloader_end_epoch(dl);
            CHECK_EQ_INT(run_epochs(dl, 5, 6, 4, NULL), 0); /* past the end */
            /* an iter_next error names the sample position and the message */
            d.fail_at = 4;
            CHECK(lit_dataloader_begin_epoch(dl, 6, 0) == LIT_OK);
            CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b);
            CHECK_EQ_INT(lit_dataloader_next(dl, &b), LIT_ERR_CORRUPT);
            CHECK_STR_CONTAINS(lit_last_error(), "sample 4");
            CHECK_STR_CONTAINS(lit_last_error(), "bad line 4");
            lit_dataloader_free(dl);
        }
    }
}

/* ---------------------------------------------------------------- early stop, steady state */

TEST(early_end_epoch) {
    static map_ds d;
    map_init(&d, 50);
    d.sleepy = 1;
    bytes ref = {0};
    lit_dataloader *r = loader(&d, 4, 1, 0, 0);
    run_epochs(r, 3, 4, 0, &ref);
    lit_dataloader_free(r);
    for (int w = 0; w <= 3; w += 3) {
        lit_dataloader *dl = loader(&d, 4, 1, 0, w);
        for (int rep = 0; rep < 3; rep++) {
            CHECK(lit_dataloader_begin_epoch(dl, rep, 0) == LIT_OK);
            lit_batch *b;
            for (int k = 0; k <= rep; k++) CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b && b->index == k);
            lit_dataloader_end_epoch(dl);
            lit_dataloader_end_epoch(dl); /* twice is fine */
            CHECK_EQ_INT(lit_dataloader_next(dl, &b), LIT_ERR_STATE);
        }
        /* begin_epoch without end_epoch also restarts cleanly */
        CHECK(lit_dataloader_begin_epoch(dl, 1, 0) == LIT_OK);
        bytes got = {0};
        CHECK_EQ_INT(run_epochs(dl, 3, 4, 0, &got), 13);
        CHECK(got.n == ref.n && memcmp(got.p, ref.p, ref.n) == 0);
        free(got.p);
        /* free in the middle of an epoch stops the workers */
        CHECK(lit_dataloader_begin_epoch(dl, 4, 0) == LIT_OK);
        lit_batch *b;
        CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b);
        lit_dataloader_free(dl);
    }
    free(ref.p);
}

TEST(steady_state_no_arena_growth) {
    static map_ds d;
    map_init(&d, 40);
    d.big = 20000; /* 80 KB per sample: batches of 8 outgrow the first chunk */
    for (int w = 0; w <= 2; w += 2) {
        lit_dataloader *dl = loader(&d, 8, 1, 0, w);
        lit_arena *seen[16] = {0};
        int nseen = 0;
        size_t mallocs[5] = {0};
        for (int64_t e = 0; e < 5; e++) {
            CHECK(lit_dataloader_begin_epoch(dl, e, 0) == LIT_OK);
            lit_batch *b;
            while (lit_dataloader_next(dl, &b) == LIT_OK && b) {
                CHECK_NEAR(lit_f32(lit_batch_get(b, "z"))[0], (double)lit_i64(lit_batch_get(b, "y"))[0] / 10, 0);
                int found = 0;
                for (int i = 0; i < nseen; i++) found |= seen[i] == b->arena;
                if (!found && nseen < 16) seen[nseen++] = b->arena;
            }
            for (int i = 0; i < nseen; i++) mallocs[e] += lit_arena_malloc_count(seen[i]);
        }
        CHECK_EQ_INT(atomic_load(&d.wrong_arena), 0);
        CHECK_EQ_INT(nseen, w ? 5 : 1); /* slots: 1, or workers * prefetch + 1 */
        CHECK_MSG(mallocs[0] > (size_t)nseen, "epoch 0 should have grown the slot arenas (%zu mallocs)", mallocs[0]);
        CHECK_EQ_INT(mallocs[2], mallocs[1]);
        CHECK_EQ_INT(mallocs[3], mallocs[1]);
        CHECK_EQ_INT(mallocs[4], mallocs[1]);
        lit_dataloader_free(dl);
    }
}

/* Workers run at most num_workers * prefetch_factor batches ahead. */
TEST(prefetch_bound) {
    static map_ds d;
    map_init(&d, 40);
    lit_dataloader_params p = lit_dataloader_default_params();
    p.batch_size = 2;
    p.num_workers = 1;
    p.prefetch_factor = 2;
    lit_dataset ds = map_dataset(&d);
    lit_dataloader *dl = lit_dataloader_new(&ds, &p);
    CHECK(lit_dataloader_begin_epoch(dl, 0, 0) == LIT_OK);
    lit_batch *b;
    CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b && b->index == 0);
    struct timespec ts = {0, 50 * 1000000L};
    nanosleep(&ts, NULL);
    int64_t calls = atomic_load(&d.calls);
    CHECK_MSG(calls <= 6, "%lld get() calls while holding batch 0; expected <= (1 + 1 * 2) * 2", (long long)calls);
    CHECK_MSG(calls >= 2, "%lld get() calls", (long long)calls);
    for (int k = 1; k < 20; k++) CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b && b->index == k);
    CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b == NULL);
    CHECK_EQ_INT(atomic_load(&d.calls), 40);
    lit_dataloader_free(dl);
}

static lit_status failing_collate(const lit_sample *s, int64_t n, lit_batch *out, void *user) {
    (void)user;
    if (s[0].index == 6) return lit_set_error(LIT_ERR_DATA, "cannot pad sample %lld", (long long)s[0].index);
    return lit_default_collate(s, n, out, NULL);
}

TEST(collate_fn_error) {
    static map_ds d;
    map_init(&d, 12);
    for (int w = 0; w <= 3; w += 3) {
        lit_dataloader_params p = lit_dataloader_default_params();
        p.batch_size = 3;
        p.num_workers = w;
        p.collate_fn = failing_collate;
        lit_dataset ds = map_dataset(&d);
        lit_dataloader *dl = lit_dataloader_new(&ds, &p);
        CHECK(lit_dataloader_begin_epoch(dl, 0, 0) == LIT_OK);
        lit_batch *b;
        CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b);
        CHECK(lit_dataloader_next(dl, &b) == LIT_OK && b);
        CHECK_EQ_INT(lit_dataloader_next(dl, &b), LIT_ERR_DATA);
        CHECK_STR_CONTAINS(lit_last_error(), "batch 2: collate_fn failed: cannot pad sample 6");
        lit_dataloader_free(dl);
    }
}

/* ---------------------------------------------------------------- tensor dataset */

TEST(tensor_dataset_rows) {
    /* X (7, 3) f32, Y (7,) i64, Z (7, 2) i32 as a transposed (strided) view */
    lit_tensor *X = lit_tensor_new(NULL, LIT_F32, 2, (int64_t[]){7, 3});
    lit_tensor *Y = lit_tensor_new(NULL, LIT_I64, 1, (int64_t[]){7});
    lit_tensor *Zt = lit_tensor_new(NULL, LIT_I32, 2, (int64_t[]){2, 7});
    for (int i = 0; i < 7; i++) {
        for (int k = 0; k < 3; k++) lit_f32(X)[i * 3 + k] = (float)i + 0.25f * (float)k;
        lit_i64(Y)[i] = 100 + i;
        lit_i32(Zt)[0 * 7 + i] = -i;
        lit_i32(Zt)[1 * 7 + i] = 1000 * i;
    }
    lit_tensor Z = *Zt; /* Z[i, c] = Zt[c, i] */
    Z.shape[0] = 7, Z.shape[1] = 2, Z.stride[0] = 1, Z.stride[1] = 7, Z.base = Zt;
    lit_tensor_dataset td;
    CHECK_EQ_INT(lit_tensor_dataset_init(&td, 3, (const char *[]){"x", "y", "z"}, (lit_tensor *[]){X, Y, &Z}),
                 LIT_OK);
    CHECK_EQ_INT(td.rows, 7);
    lit_dataset ds = lit_tensor_dataset_as_dataset(&td);
    int64_t order[7];
    lit_sampler_order(7, 1, 77, 1, order);
    for (int w = 0; w <= 2; w += 2) {
        lit_dataloader_params p = lit_dataloader_default_params();
        p.batch_size = 3, p.shuffle = 1, p.seed = 77, p.num_workers = w;
        lit_dataloader *dl = lit_dataloader_new(&ds, &p);
        CHECK(dl && lit_dataloader_begin_epoch(dl, 1, 0) == LIT_OK);
        lit_batch *b;
        int64_t seen = 0;
        while (dl && lit_dataloader_next(dl, &b) == LIT_OK && b) {
            lit_tensor *bx = lit_batch_get(b, "x"), *by = lit_batch_get(b, "y"), *bz = lit_batch_get(b, "z");
            CHECK(bx->dtype == LIT_F32 && bx->ndim == 2 && bx->shape[1] == 3);
            CHECK(by->dtype == LIT_I64 && by->ndim == 1 && by->shape[0] == b->size);
            CHECK(bz->dtype == LIT_I32 && bz->ndim == 2 && bz->shape[1] == 2);
            for (int64_t j = 0; j < b->size; j++, seen++) {
                int64_t i = order[seen];
                for (int k = 0; k < 3; k++) CHECK(lit_f32(bx)[j * 3 + k] == (float)i + 0.25f * (float)k);
                CHECK_EQ_INT(lit_i64(by)[j], 100 + i);
                CHECK_EQ_INT(lit_i32(bz)[j * 2 + 0], -i);
                CHECK_EQ_INT(lit_i32(bz)[j * 2 + 1], 1000 * i);
            }
        }
        CHECK_EQ_INT(seen, 7);
        lit_dataloader_free(dl);
    }
    /* an index outside the rows is an error, not a read past the tensor */
    lit_sample smp;
    memset(&smp, 0, sizeof smp);
    CHECK_EQ_INT(ds.get(ds.user, 7, &smp, lit_arena_current()), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "index 7 is outside 0..6");
    lit_tensor_free(X);
    lit_tensor_free(Y);
    lit_tensor_free(Zt);
}

TEST(tensor_dataset_errors) {
    lit_tensor *A = lit_tensor_new(NULL, LIT_F32, 2, (int64_t[]){4, 2});
    lit_tensor *B = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){5});
    lit_tensor *S = lit_tensor_new(NULL, LIT_F32, 0, NULL);
    lit_tensor_dataset td;
    CHECK_EQ_INT(lit_tensor_dataset_init(&td, 2, (const char *[]){"a", "b"}, (lit_tensor *[]){A, B}),
                 LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "tensor 'b' has shape (5,) but 'a' has shape (4, 2)");
    CHECK_EQ_INT(lit_tensor_dataset_init(&td, 2, (const char *[]){"a", "a"}, (lit_tensor *[]){A, A}),
                 LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "both named 'a'");
    CHECK_EQ_INT(lit_tensor_dataset_init(&td, 1, (const char *[]){"s"}, (lit_tensor *[]){S}), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "'s' is 0-d");
    CHECK_EQ_INT(lit_tensor_dataset_init(&td, 1, (const char *[]){"a"}, (lit_tensor *[]){NULL}), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "tensor 0 ('a') is NULL");
    CHECK_EQ_INT(lit_tensor_dataset_init(&td, 0, NULL, NULL), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "0 tensors; pass 1..8");
    lit_tensor_free(A);
    lit_tensor_free(B);
    lit_tensor_free(S);
}

/* ---------------------------------------------------------------- token dataset */

/* Every sample of `ds` against the source: window i starts at i * stride. */
static void check_windows(lit_dataset ds, const int64_t *src, int64_t n_windows, int64_t T, int64_t stride) {
    CHECK_EQ_INT(ds.len(ds.user), n_windows);
    for (int64_t i = 0; i < n_windows; i++) {
        lit_sample smp;
        memset(&smp, 0, sizeof smp);
        CHECK_EQ_INT(ds.get(ds.user, i, &smp, lit_arena_current()), LIT_OK);
        CHECK_EQ_INT(smp.n, 2);
        CHECK_STR_EQ(smp.fields[0].name, "x");
        CHECK_STR_EQ(smp.fields[1].name, "y");
        const lit_tensor *x = smp.fields[0].tensor, *y = smp.fields[1].tensor;
        CHECK(x->dtype == LIT_I64 && x->ndim == 1 && x->shape[0] == T);
        CHECK(y->dtype == LIT_I64 && y->ndim == 1 && y->shape[0] == T);
        for (int64_t k = 0; k < T; k++) {
            CHECK_EQ_INT(lit_i64(x)[k], src[i * stride + k]);
            CHECK_EQ_INT(lit_i64(y)[k], src[i * stride + k + 1]);
        }
    }
    lit_sample smp;
    memset(&smp, 0, sizeof smp);
    CHECK_EQ_INT(ds.get(ds.user, n_windows, &smp, lit_arena_current()), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(ds.get(ds.user, -1, &smp, lit_arena_current()), LIT_ERR_INVALID_ARG);
}

TEST(token_dataset_windows) {
    int64_t t64[9];
    int32_t t32[9];
    for (int k = 0; k < 9; k++) t64[k] = t32[k] = 3 * k + 1 + (k == 8 ? 1000000 : 0); /* last token stands out */
    lit_token_dataset td;
    /* T = 4, stride T: windows at 0 and 4; the second y ends on the last token */
    CHECK_EQ_INT(lit_token_dataset_init(&td, t64, LIT_I64, 9, 4, 0, 0), LIT_OK);
    CHECK_EQ_INT(td.stride, 4);
    check_windows(lit_token_dataset_as_dataset(&td), t64, 2, 4, 4);
    lit_token_dataset_free(&td);
    /* i32 tokens come out as i64; stride 1: every offset 0..4 */
    CHECK_EQ_INT(lit_token_dataset_init(&td, t32, LIT_I32, 9, 4, 1, 0), LIT_OK);
    check_windows(lit_token_dataset_as_dataset(&td), t64, 5, 4, 1);
    lit_token_dataset_free(&td);
    /* stride 3 over 9 tokens, T = 2: starts 0, 3, 6 (6 + 2 + 1 = 9 fits) */
    CHECK_EQ_INT(lit_token_dataset_init(&td, t64, LIT_I64, 9, 2, 3, 0), LIT_OK);
    check_windows(lit_token_dataset_as_dataset(&td), t64, 3, 2, 3);
    lit_token_dataset_free(&td);
    /* exactly T + 1 tokens: one window; the tail that has no full window is left out */
    CHECK_EQ_INT(lit_token_dataset_init(&td, t64, LIT_I64, 5, 4, 0, 0), LIT_OK);
    check_windows(lit_token_dataset_as_dataset(&td), t64, 1, 4, 4);
    lit_token_dataset_free(&td);
    CHECK_EQ_INT(lit_token_dataset_init(&td, t64, LIT_I64, 8, 4, 0, 0), LIT_OK);
    CHECK_EQ_INT(td.windows, 1);
    lit_token_dataset_free(&td);
    /* batches: x, y (B, T) i64 */
    CHECK_EQ_INT(lit_token_dataset_init(&td, t32, LIT_I32, 9, 4, 1, 0), LIT_OK);
    lit_dataset ds = lit_token_dataset_as_dataset(&td);
    lit_dataloader_params p = lit_dataloader_default_params();
    p.batch_size = 3;
    lit_dataloader *dl = lit_dataloader_new(&ds, &p);
    lit_batch *b = NULL;
    CHECK(dl && lit_dataloader_begin_epoch(dl, 0, 0) == LIT_OK);
    CHECK(dl && lit_dataloader_next(dl, &b) == LIT_OK && b);
    if (b) {
        lit_tensor *x = lit_batch_get(b, "x"), *y = lit_batch_get(b, "y");
        CHECK(x->ndim == 2 && x->shape[0] == 3 && x->shape[1] == 4 && x->dtype == LIT_I64);
        CHECK_EQ_INT(lit_i64(x)[2 * 4 + 3], t64[5]);
        CHECK_EQ_INT(lit_i64(y)[2 * 4 + 3], t64[6]);
    }
    lit_dataloader_free(dl);
    lit_token_dataset_free(&td);
}

TEST(token_dataset_errors_and_ownership) {
    int64_t t[6] = {1, 2, 3, 4, 5, 6};
    lit_token_dataset td;
    CHECK_EQ_INT(lit_token_dataset_init(&td, t, LIT_I64, 6, 6, 0, 0), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "6 tokens are too few for one window of block_size 6");
    CHECK_STR_CONTAINS(lit_last_error(), "block_size + 1 = 7 tokens");
    CHECK_EQ_INT(lit_token_dataset_init(&td, t, LIT_I64, 0, 1, 0, 0), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_token_dataset_init(&td, t, LIT_F32, 6, 2, 0, 0), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "tokens are f32; pass an i32 or i64 array");
    CHECK_EQ_INT(lit_token_dataset_init(&td, t, LIT_I64, 6, 0, 0, 0), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "block_size is 0");
    CHECK_EQ_INT(lit_token_dataset_init(&td, t, LIT_I64, 6, 2, -1, 0), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "stride is -1");
    CHECK_EQ_INT(lit_token_dataset_init(&td, NULL, LIT_I64, 6, 2, 0, 0), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_token_dataset_init(&td, t, LIT_I64, INT64_MAX, INT64_MAX, 0, 0), LIT_ERR_INVALID_ARG);
    /* take_ownership: freed by lit_token_dataset_free, and by a failing init
     * (LeakSanitizer reports either leak) */
    int32_t *owned = malloc(10 * sizeof *owned);
    for (int k = 0; k < 10; k++) owned[k] = 9 - k;
    CHECK_EQ_INT(lit_token_dataset_init(&td, owned, LIT_I32, 10, 3, 0, 1), LIT_OK);
    CHECK(td.owned == owned);
    CHECK_EQ_INT(td.windows, 3);
    lit_token_dataset_free(&td);
    CHECK(td.tokens == NULL && td.owned == NULL);
    lit_token_dataset_free(&td); /* twice: a no-op */
    lit_token_dataset_free(NULL);
    int64_t *short_owned = malloc(2 * sizeof *short_owned);
    short_owned[0] = short_owned[1] = 0;
    CHECK_EQ_INT(lit_token_dataset_init(&td, short_owned, LIT_I64, 2, 4, 0, 1), LIT_ERR_INVALID_ARG);
}

/* Exact mid-epoch resume at the loader level: the batches from batch k on of
 * a shuffled epoch, started with skip_batches = k (what a resumed fit does),
 * equal the tail of the full epoch, with and without workers. */
TEST(token_dataset_skip_is_bit_identical) {
    enum { N = 103 };
    int32_t toks[N];
    for (int k = 0; k < N; k++) toks[k] = (k * 37 + 11) % 65;
    lit_token_dataset td;
    CHECK_EQ_INT(lit_token_dataset_init(&td, toks, LIT_I32, N, 8, 1, 0), LIT_OK);
    lit_dataset ds = lit_token_dataset_as_dataset(&td);
    for (int w = 0; w <= 3; w += 3) {
        lit_dataloader_params p = lit_dataloader_default_params();
        p.batch_size = 6, p.shuffle = 1, p.seed = 9, p.num_workers = w;
        lit_dataloader *dl = lit_dataloader_new(&ds, &p);
        bytes full = {0}, tail = {0}, resumed = {0};
        CHECK(dl && lit_dataloader_begin_epoch(dl, 2, 0) == LIT_OK);
        lit_batch *b;
        int64_t k = 0;
        while (dl && lit_dataloader_next(dl, &b) == LIT_OK && b) {
            put_batch(&full, b);
            if (k++ >= 5) put_batch(&tail, b);
        }
        CHECK_EQ_INT(k, 16); /* 95 windows in batches of 6 */
        CHECK_EQ_INT(run_epochs(dl, 2, 3, 5, &resumed), 11);
        CHECK(tail.n > 0 && resumed.n == tail.n && memcmp(resumed.p, tail.p, tail.n) == 0);
        lit_dataloader_free(dl);
        free(full.p), free(tail.p), free(resumed.p);
    }
}

/* ---------------------------------------------------------------- through the Trainer */

/* A one-embedding "language model" whose training_step logs every batch's
 * x and y bytes: what the Trainer fed it, in order. */
typedef struct {
    lit_param_store *ps;
    lit_nn_embedding emb;
    bytes log;
    lit_token_dataset td;
    lit_dataloader *train;
    int workers;
    const char *save_path; /* checkpoint after every batch when set */
} lm_run;

static lit_status lm_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)i;
    lm_run *r = m->user;
    put(&r->log, &b->index, sizeof b->index);
    for (int f = 0; f < 2; f++) {
        lit_tensor *t = lit_batch_get(b, f ? "y" : "x");
        put(&r->log, t->data, (size_t)t->numel * sizeof(int64_t));
    }
    *loss = lit_mean(lit_nn_embedding_forward(&r->emb, lit_batch_get(b, "x")), 0, NULL, 0);
    return LIT_OK;
}

static lit_status lm_optim(lit_module *m, lit_optim_config *cfg) {
    int n;
    lit_tensor **p = lit_param_store_trainable(m->params, &n);
    return lit_optim_config_add(cfg, lit_sgd_new(&(lit_sgd_params){.lr = 0.1}, p, n));
}

static lit_status lm_get_train(void *user, lit_dataloader **out) {
    lm_run *r = user;
    if (!r->train) {
        lit_dataloader_params p = lit_dataloader_default_params();
        p.batch_size = 4, p.shuffle = 1, p.seed = 21, p.num_workers = r->workers;
        lit_dataset ds = lit_token_dataset_as_dataset(&r->td);
        r->train = lit_dataloader_new(&ds, &p);
        if (!r->train) return LIT_ERR_INVALID_ARG;
    }
    *out = r->train;
    return LIT_OK;
}

static lit_status lm_save(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *l, lit_batch *b, int64_t i) {
    (void)m, (void)l, (void)b, (void)i;
    const lm_run *r = cb->user;
    return lit_trainer_save_checkpoint(tr, r->save_path, 0);
}

/* fit on 61 tokens cut into windows of 5 (stride 2: 28 windows, 7 batches per
 * epoch); max_steps < 0 runs max_epochs. Returns fit's status. */
static lit_status lm_fit(lm_run *r, const int32_t *toks, int workers, int64_t max_steps, const char *save_path,
                         const char *ckpt_path) {
    memset(r, 0, sizeof *r);
    r->workers = workers;
    r->save_path = save_path;
    CHECK_EQ_INT(lit_token_dataset_init(&r->td, toks, LIT_I32, 61, 5, 2, 0), LIT_OK);
    r->ps = lit_param_store_new("lm");
    lit_rng init = lit_rng_new(4);
    CHECK_EQ_INT(lit_nn_embedding_init(&r->emb, r->ps, "emb", 16, 3, -1, &init), LIT_OK);
    static const lit_module_vtable vt = {.version = LIT_MODULE_VERSION, .training_step = lm_step,
                                         .configure_optimizers = lm_optim};
    lit_module m;
    lit_module_init(&m, &vt, r->ps, r);
    lit_datamodule dm = {.version = LIT_DATAMODULE_VERSION, .get_train_dataloader = lm_get_train, .user = r};
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 2;
    p.max_steps = max_steps;
    lit_trainer *tr = NULL;
    lit_status st = lit_trainer_new(&tr, &p);
    CHECK_EQ_INT(st, LIT_OK);
    lit_callback saver = {.version = LIT_CALLBACK_VERSION, .name = "saver", .user = r,
                          .on_train_batch_end = lm_save};
    if (save_path) lit_trainer_add_callback(tr, &saver);
    if (st >= 0) st = lit_trainer_fit(tr, &m, &dm, ckpt_path);
    lit_trainer_free(tr);
    lit_dataloader_free(r->train);
    lit_module_deinit(&m);
    lit_param_store_free(r->ps);
    lit_token_dataset_free(&r->td);
    return st;
}

TEST(token_dataset_fit_resume_mid_epoch_is_bit_identical) {
    int32_t toks[61];
    for (int k = 0; k < 61; k++) toks[k] = (k * 7 + 3) % 16;
    const char *dir = make_tmp_dir("data-resume");
    const char *ckpt = join(dir, "mid.ckpt");
    for (int w = 0; w <= 2; w += 2) {
        lm_run whole, first, rest;
        CHECK_MSG(lm_fit(&whole, toks, w, -1, NULL, NULL) == LIT_OK, "fit: %s", lit_last_error());
        /* stop after 10 steps (batch 3 of epoch 1), then resume from there */
        CHECK_MSG(lm_fit(&first, toks, w, 10, ckpt, NULL) == LIT_OK, "fit: %s", lit_last_error());
        CHECK_MSG(lm_fit(&rest, toks, w, -1, NULL, ckpt) == LIT_OK, "resume: %s", lit_last_error());
        size_t per_batch = sizeof(int64_t) + 2 * 4 * 5 * sizeof(int64_t);
        CHECK_EQ_INT(whole.log.n, 14 * per_batch);
        CHECK_EQ_INT(first.log.n, 10 * per_batch);
        CHECK_EQ_INT(rest.log.n, 4 * per_batch);
        CHECK(whole.log.n == first.log.n + rest.log.n && memcmp(whole.log.p, first.log.p, first.log.n) == 0 &&
              memcmp(whole.log.p + first.log.n, rest.log.p, rest.log.n) == 0);
        free(whole.log.p), free(first.log.p), free(rest.log.p);
    }
    rm_rf(dir);
}

/* ---------------------------------------------------------------- status loader slots */

typedef struct {
    int calls;
    lit_dataloader *dl;
} failing_dm;

static lit_status fail_train(void *user, lit_dataloader **out) {
    (void)out;
    ((failing_dm *)user)->calls++;
    return lit_set_error(LIT_ERR_IO, "tokens.bin: cannot open the token file (No such file or directory)");
}
static lit_status fail_eval(void *user, lit_dataloader **out, int *n) {
    (void)out, (void)n;
    ((failing_dm *)user)->calls++;
    return lit_set_error(LIT_ERR_DATA, "val.bin: 3 bytes is not a whole number of i32 tokens");
}
static lit_dataloader *null_train(void *user) {
    (void)user;
    lit_set_error(LIT_ERR_IO, "train.bin: permission denied");
    return NULL;
}
static lit_status ok_eval(void *user, lit_dataloader **out, int *n) {
    out[0] = ((failing_dm *)user)->dl;
    *n = 1;
    return LIT_OK;
}
static lit_status ok_eval_train(void *user, lit_dataloader **out) {
    *out = ((failing_dm *)user)->dl;
    return LIT_OK;
}
static lit_status count_eval(void *user, lit_dataloader **out, int *n) {
    (void)user, (void)out;
    *n = LIT_MAX_DATALOADERS + 1;
    return LIT_OK;
}
static lit_status empty_train(void *user, lit_dataloader **out) {
    (void)user, (void)out;
    return LIT_OK;
}
static int old_val(void *user, lit_dataloader **out) {
    (void)user, (void)out;
    return 0;
}

static lit_status unit_step(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    (void)b, (void)i;
    *loss = lit_mean(lit_param_store_tensor(m->params, 0), 0, NULL, 0);
    return LIT_OK;
}
static lit_status unit_eval_step(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    (void)m, (void)b, (void)i, (void)dl, (void)out;
    return LIT_OK;
}

TEST(status_loader_slots_reach_the_caller) {
    static const lit_module_vtable vt = {.version = LIT_MODULE_VERSION, .training_step = unit_step,
                                         .validation_step = unit_eval_step, .test_step = unit_eval_step,
                                         .configure_optimizers = lm_optim};
    lit_param_store *ps = lit_param_store_new("unit");
    CHECK(lit_param_store_new_param(ps, "", "w", LIT_SHAPE(2)) != NULL);
    lit_module m;
    lit_module_init(&m, &vt, ps, NULL);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.num_sanity_val_steps = 0;
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    failing_dm f = {0};
    map_ds d;
    map_init(&d, 4);
    f.dl = loader(&d, 2, 0, 0, 0);

    /* fit: the datamodule's own status and message, not LIT_ERR_CONFIG */
    lit_datamodule dm = {.version = LIT_DATAMODULE_VERSION, .get_train_dataloader = fail_train, .user = &f};
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "tokens.bin: cannot open the token file (No such file or directory)");
    CHECK_EQ_INT(f.calls, 1);
    /* validate / test: the same for the eval slots */
    dm = (lit_datamodule){.version = LIT_DATAMODULE_VERSION, .get_val_dataloaders = fail_eval,
                          .get_test_dataloaders = fail_eval, .user = &f};
    CHECK_EQ_INT(lit_trainer_validate(tr, &m, &dm), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "val.bin: 3 bytes is not a whole number of i32 tokens");
    CHECK_EQ_INT(lit_trainer_test(tr, &m, &dm), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "val.bin");
    /* fit's validation loader fails the same way */
    dm = (lit_datamodule){.version = LIT_DATAMODULE_VERSION, .get_train_dataloader = ok_eval_train,
                          .get_val_dataloaders = fail_eval, .user = &f};
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "val.bin");
    /* the status form that works runs as the pointer form does */
    dm = (lit_datamodule){.version = LIT_DATAMODULE_VERSION, .get_train_dataloader = ok_eval_train,
                          .get_val_dataloaders = ok_eval, .user = &f};
    int64_t steps = lit_trainer_global_step(tr);
    CHECK_MSG(lit_trainer_fit(tr, &m, &dm, NULL) == LIT_OK, "fit: %s", lit_last_error());
    CHECK_EQ_INT(lit_trainer_global_step(tr) - steps, 2); /* the 2 batches of its loader */
    /* the pointer form keeps its status, and now quotes the datamodule's message */
    dm = (lit_datamodule){.version = LIT_DATAMODULE_VERSION, .train_dataloader = null_train, .user = &f};
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "train_dataloader returned NULL (train.bin: permission denied)");
    /* misuse: both forms, LIT_OK without a loader, too many loaders */
    dm = (lit_datamodule){.version = LIT_DATAMODULE_VERSION, .train_dataloader = null_train,
                          .get_train_dataloader = fail_train, .user = &f};
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "sets both train_dataloader and get_train_dataloader");
    dm = (lit_datamodule){.version = LIT_DATAMODULE_VERSION, .get_train_dataloader = empty_train, .user = &f};
    CHECK_EQ_INT(lit_trainer_fit(tr, &m, &dm, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "get_train_dataloader returned LIT_OK without a loader");
    dm = (lit_datamodule){.version = LIT_DATAMODULE_VERSION, .get_val_dataloaders = count_eval, .user = &f};
    CHECK_EQ_INT(lit_trainer_validate(tr, &m, &dm), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "get_val_dataloaders returned 9 loaders (0..8)");
    /* a version 1 datamodule: its (absent) status slots are never read */
    lit_datamodule v1 = {.version = 1, .val_dataloaders = old_val, .get_val_dataloaders = fail_eval, .user = &f};
    CHECK_EQ_INT(lit_trainer_validate(tr, &m, &v1), LIT_OK);
    CHECK_EQ_INT(lit_datamodule_has_dataloaders(&v1, LIT_STAGE_TEST), 0);
    v1.version = 3;
    CHECK_EQ_INT(lit_trainer_validate(tr, &m, &v1), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "datamodule version 3, this litc expects 1..2");

    lit_trainer_free(tr);
    lit_dataloader_free(f.dl);
    lit_module_deinit(&m);
    lit_param_store_free(ps);
}

/* The datasets datamodule: fit over a train and a val token dataset, no
 * hand-written datamodule; the train loader shuffles with the given seed, the
 * val loader does not. */
typedef struct {
    lit_param_store *ps;
    lit_nn_embedding emb;
    int64_t first_train_x0, train_steps, val_steps, first_val_x0;
} dd_model;

static lit_status dd_train(lit_module *m, lit_batch *b, int64_t i, lit_tensor **loss) {
    dd_model *md = m->user;
    if (md->train_steps++ == 0) md->first_train_x0 = lit_i64(lit_batch_get(b, "x"))[0];
    (void)i;
    *loss = lit_mean(lit_nn_embedding_forward(&md->emb, lit_batch_get(b, "x")), 0, NULL, 0);
    return LIT_OK;
}
static lit_status dd_val(lit_module *m, lit_batch *b, int64_t i, int dl, lit_tensor **out) {
    dd_model *md = m->user;
    (void)dl, (void)out;
    if (i == 0 && md->val_steps == 0) md->first_val_x0 = lit_i64(lit_batch_get(b, "x"))[0];
    md->val_steps++;
    return LIT_OK;
}

TEST(datasets_datamodule_fit) {
    int64_t toks[40];
    for (int k = 0; k < 40; k++) toks[k] = k % 16; /* window i of stride 3 starts with token 3i % 16 */
    lit_token_dataset train_td, val_td;
    CHECK_EQ_INT(lit_token_dataset_init(&train_td, toks, LIT_I64, 31, 4, 3, 0), LIT_OK);      /* 9 windows */
    CHECK_EQ_INT(lit_token_dataset_init(&val_td, toks + 31, LIT_I64, 9, 4, 0, 0), LIT_OK);    /* 1 window */
    lit_dataset train_ds = lit_token_dataset_as_dataset(&train_td), val_ds = lit_token_dataset_as_dataset(&val_td);
    lit_datasets_datamodule_params dp = lit_datasets_datamodule_default_params();
    dp.train = &train_ds, dp.val = &val_ds;
    dp.loader.batch_size = 2, dp.loader.shuffle = 1, dp.loader.seed = 5;
    lit_datamodule *dm = NULL;
    CHECK_MSG(lit_datasets_datamodule_new(&dm, &dp) == LIT_OK, "new: %s", lit_last_error());
    CHECK(dm && lit_datamodule_has_dataloaders(dm, LIT_STAGE_FIT));
    CHECK(dm && lit_datamodule_has_dataloaders(dm, LIT_STAGE_VALIDATE));
    CHECK(dm && !lit_datamodule_has_dataloaders(dm, LIT_STAGE_TEST));

    dd_model md = {0};
    md.ps = lit_param_store_new("dd");
    lit_rng init = lit_rng_new(2);
    CHECK_EQ_INT(lit_nn_embedding_init(&md.emb, md.ps, "emb", 16, 2, -1, &init), LIT_OK);
    static const lit_module_vtable vt = {.version = LIT_MODULE_VERSION, .training_step = dd_train,
                                         .validation_step = dd_val, .configure_optimizers = lm_optim};
    lit_module m;
    lit_module_init(&m, &vt, md.ps, &md);
    lit_trainer_params p = quiet_trainer_params();
    p.max_epochs = 1;
    p.num_sanity_val_steps = 0;
    lit_trainer *tr;
    CHECK_EQ_INT(lit_trainer_new(&tr, &p), LIT_OK);
    CHECK_MSG(lit_trainer_fit(tr, &m, dm, NULL) == LIT_OK, "fit: %s", lit_last_error());
    CHECK_EQ_INT(md.train_steps, 5); /* 9 windows in batches of 2 */
    CHECK_EQ_INT(md.val_steps, 1);
    int64_t order[9];
    lit_sampler_order(9, 1, 5, 0, order);
    CHECK_EQ_INT(md.first_train_x0, (3 * order[0]) % 16);
    CHECK_EQ_INT(md.first_val_x0, 31 % 16);
    lit_trainer_free(tr);
    lit_datasets_datamodule_free(dm);
    lit_datasets_datamodule_free(NULL);

    /* errors come from lit_datasets_datamodule_new, naming the loader */
    dp.loader.batch_size = 0;
    CHECK_EQ_INT(lit_datasets_datamodule_new(&dm, &dp), LIT_ERR_INVALID_ARG);
    CHECK(dm == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "the train loader: dataloader: batch_size is 0; pass >= 1");
    CHECK_EQ_INT(lit_datasets_datamodule_new(&dm, &(lit_datasets_datamodule_params){0}), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "every dataset is NULL");
    lit_dataloader *dl = (lit_dataloader *)&dl;
    CHECK_EQ_INT(lit_dataloader_create(&dl, &train_ds, &(lit_dataloader_params){.batch_size = 1, .num_workers = -1}),
                 LIT_ERR_INVALID_ARG);
    CHECK(dl == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "num_workers is -1");

    lit_module_deinit(&m);
    lit_param_store_free(md.ps);
    lit_token_dataset_free(&train_td);
    lit_token_dataset_free(&val_td);
}

TEST(stage_names) {
    CHECK_STR_EQ(lit_stage_name(LIT_STAGE_FIT), "fit");
    CHECK_STR_EQ(lit_stage_name(LIT_STAGE_VALIDATE), "validate");
    CHECK_STR_EQ(lit_stage_name(LIT_STAGE_TEST), "test");
    CHECK_STR_EQ(lit_stage_name(LIT_STAGE_PREDICT), "predict");
}

int main(void) {
    RUN(sampler_sequential);
    RUN(sampler_shuffle);
    RUN(batch_counts_drop_last);
    RUN(sequential_collate_values);
    RUN(collate_strided_and_direct);
    RUN(mismatched_shapes_error);
    RUN(custom_padding_collate);
    RUN(workers_bit_identical);
    RUN(skip_batches);
    RUN(dataset_error_propagates);
    RUN(bad_params);
    RUN(iterable_dataset);
    RUN(early_end_epoch);
    RUN(steady_state_no_arena_growth);
    RUN(prefetch_bound);
    RUN(collate_fn_error);
    RUN(tensor_dataset_rows);
    RUN(tensor_dataset_errors);
    RUN(token_dataset_windows);
    RUN(token_dataset_errors_and_ownership);
    RUN(token_dataset_skip_is_bit_identical);
    RUN(token_dataset_fit_resume_mid_epoch_is_bit_identical);
    RUN(status_loader_slots_reach_the_caller);
    RUN(datasets_datamodule_fit);
    RUN(stage_names);
    return harness_summary();
}
