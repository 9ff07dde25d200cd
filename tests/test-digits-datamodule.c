/*
 * The digits DataModule (examples/mlp-digits/datamodule.h): split sizes and
 * disjointness, the same test split as train.c, batch shapes/dtypes/values
 * against the CSV, per-epoch shuffling, num_workers independence, errors,
 * idempotent setup and teardown. The example's sources are compiled in
 * (train.c too, for its split permutation; not main.c).
 */
#include "harness.h"
#include "tmp-dir.h"
#include "watchdog.h"

#include "../examples/mlp-digits/digits.c"
#include "../examples/mlp-digits/train.c"
#include "../examples/mlp-digits/datamodule.c"

#define N_DIGITS 1797

static mlp_digits_data raw; /* the CSV as digits.c reads it (pixels 0..16) */

static lit_status init_setup(digits_datamodule *dm, const digits_datamodule_config *c) {
    lit_status st = digits_datamodule_init(dm, c);
    CHECK_MSG(st == LIT_OK, "init: %s", lit_last_error());
    if (st < 0) return st;
    st = dm->base.prepare_data(dm->base.user);
    CHECK_MSG(st == LIT_OK, "prepare_data: %s", lit_last_error());
    if (st < 0) return st;
    st = dm->base.setup(dm->base.user, LIT_STAGE_FIT);
    CHECK_MSG(st == LIT_OK, "setup: %s", lit_last_error());
    return st;
}

/* Every batch of one epoch of `dl`, concatenated: x (n, 64), y (n) (y left
 * alone when the batches have none). Checks shapes, dtypes and batch sizes. */
static int64_t collect(lit_dataloader *dl, int64_t epoch, int64_t batch_size, float *x, int64_t *y, int with_y) {
    int64_t n = lit_dataloader_dataset_len(dl), got = 0, k = 0;
    CHECK(lit_dataloader_begin_epoch(dl, epoch, 0) == LIT_OK);
    lit_batch *b;
    lit_status st;
    while ((st = lit_dataloader_next(dl, &b)) == LIT_OK && b) {
        int64_t want = n - got < batch_size ? n - got : batch_size;
        CHECK_EQ_INT(b->size, want);
        CHECK_EQ_INT(b->index, k);
        lit_tensor *bx = lit_batch_get(b, "x");
        CHECK_EQ_INT(bx->dtype, LIT_F32);
        CHECK_EQ_INT(bx->ndim, 2);
        CHECK_EQ_INT(bx->shape[0], want);
        CHECK_EQ_INT(bx->shape[1], MLP_DIGITS_FEATURES);
        CHECK(lit_is_contiguous(bx));
        memcpy(x + got * MLP_DIGITS_FEATURES, lit_f32(bx), (size_t)want * MLP_DIGITS_FEATURES * sizeof(float));
        lit_tensor *by = lit_batch_find(b, "y");
        if (with_y) {
            CHECK(by != NULL);
            if (by) {
                CHECK_EQ_INT(by->dtype, LIT_I64);
                CHECK_EQ_INT(by->ndim, 1);
                CHECK_EQ_INT(by->shape[0], want);
                memcpy(y + got, lit_i64(by), (size_t)want * sizeof(int64_t));
            }
        } else {
            CHECK(by == NULL);
            CHECK_EQ_INT(b->n, 1);
        }
        got += want;
        k++;
    }
    CHECK_MSG(st == LIT_OK, "next: %s", lit_last_error());
    CHECK_EQ_INT(got, n);
    CHECK_EQ_INT(k, lit_dataloader_len(dl));
    return got;
}

/* Sample i of the epoch is CSV row rows[order[i]] (order = identity when not
 * shuffled); its pixels must be the CSV's / 16 exactly, its label the CSV's. */
static void check_values(const float *x, const int64_t *y, const digits_split *s, const int64_t *order) {
    int bad = 0;
    for (int64_t i = 0; i < s->n && bad < 5; i++) {
        int64_t row = s->rows[order ? order[i] : i];
        for (int j = 0; j < MLP_DIGITS_FEATURES; j++) {
            float want = raw.x[row * MLP_DIGITS_FEATURES + j] / 16.0f;
            if (x[i * MLP_DIGITS_FEATURES + j] != want) {
                HARNESS_FAIL_("sample %lld (row %lld) pixel %d: %g, want %g", (long long)i, (long long)row, j,
                              x[i * MLP_DIGITS_FEATURES + j], want);
                bad++;
                break;
            }
        }
        if (y && y[i] != raw.y[row]) {
            HARNESS_FAIL_("sample %lld (row %lld): label %lld, want %lld", (long long)i, (long long)row,
                          (long long)y[i], (long long)raw.y[row]);
            bad++;
        }
    }
    harness_checks_++;
}

TEST(split_sizes_disjoint_cover) {
    digits_datamodule dm;
    if (init_setup(&dm, NULL) < 0) return;
    CHECK_EQ_INT(dm.n_train, 1294);
    CHECK_EQ_INT(dm.n_val, 144);
    CHECK_EQ_INT(dm.n_test, 359);
    CHECK_EQ_INT(dm.n_train + dm.n_val + dm.n_test, N_DIGITS);
    CHECK_EQ_INT(dm.train.n, dm.n_train);
    CHECK_EQ_INT(dm.val.n, dm.n_val);
    CHECK_EQ_INT(dm.test.n, dm.n_test);
    CHECK_EQ_INT(dm.predict.n, dm.n_test);
    /* Every CSV row lands in exactly one of train / val / test. */
    int seen[N_DIGITS] = {0};
    const digits_split *splits[3] = {&dm.train, &dm.val, &dm.test};
    for (int s = 0; s < 3; s++)
        for (int64_t i = 0; i < splits[s]->n; i++) {
            int64_t r = splits[s]->rows[i];
            CHECK_MSG(r >= 0 && r < N_DIGITS, "row %lld out of range", (long long)r);
            if (r >= 0 && r < N_DIGITS) seen[r] += 1 << (8 * s);
        }
    int once = 0;
    for (int r = 0; r < N_DIGITS; r++) once += seen[r] == 1 || seen[r] == 1 << 8 || seen[r] == 1 << 16;
    CHECK_EQ_INT(once, N_DIGITS);
    /* predict is the test split. */
    CHECK(dm.predict.rows == dm.test.rows);
    CHECK_EQ_INT(dm.predict.with_labels, 0);
    /* Lengths through the lit_dataset interface. */
    lit_dataset ds = digits_datamodule_dataset(&dm, LIT_STAGE_VALIDATE);
    CHECK_EQ_INT(ds.len(ds.user), 144);
    digits_datamodule_free(&dm);
}

/* The test split is train.c's (same permutation, same rounding), and train +
 * val are train.c's training rows, so test accuracies stay comparable. */
TEST(same_split_as_train_c) {
    for (uint64_t seed = 0; seed < 3; seed++) {
        digits_datamodule_config c = digits_datamodule_default_config();
        c.seed = seed * 17 + 1;
        digits_datamodule dm;
        if (init_setup(&dm, &c) < 0) return;
        /* train.c: lit_rng_new(seed), its Fisher-Yates, n_test = round(n * 0.2). */
        int64_t idx[N_DIGITS];
        for (int64_t i = 0; i < N_DIGITS; i++) idx[i] = i;
        lit_rng rng = lit_rng_new(c.seed);
        shuffle(idx, N_DIGITS, &rng);
        int64_t n_test = (int64_t)llround(N_DIGITS * 0.2), n_fit = N_DIGITS - n_test;
        CHECK_EQ_INT(dm.n_test, n_test);
        CHECK(memcmp(dm.test.rows, idx + n_fit, (size_t)n_test * sizeof(int64_t)) == 0);
        CHECK(memcmp(dm.train.rows, idx, (size_t)dm.n_train * sizeof(int64_t)) == 0);
        CHECK(memcmp(dm.val.rows, idx + dm.n_train, (size_t)dm.n_val * sizeof(int64_t)) == 0);
        digits_datamodule_free(&dm);
    }
}

TEST(batches_shapes_dtypes_values) {
    digits_datamodule_config c = digits_datamodule_default_config();
    c.batch_size = 50; /* 1294 = 25*50 + 44, 144 = 2*50 + 44, 359 = 7*50 + 9: short last batches */
    c.seed = 11;
    digits_datamodule dm;
    if (init_setup(&dm, &c) < 0) return;
    lit_datamodule *m = &dm.base;
    float *x = malloc(sizeof(float) * N_DIGITS * MLP_DIGITS_FEATURES);
    int64_t *y = malloc(sizeof(int64_t) * N_DIGITS), order[N_DIGITS];

    lit_dataloader *train = m->train_dataloader(m->user);
    CHECK(train != NULL);
    CHECK(m->train_dataloader(m->user) == train); /* cached */
    CHECK_EQ_INT(lit_dataloader_len(train), 26);
    CHECK(lit_dataloader_get_params(train)->shuffle == 1);
    for (int64_t epoch = 0; epoch < 2; epoch++) {
        collect(train, epoch, 50, x, y, 1);
        lit_sampler_order(dm.n_train, 1, c.seed, epoch, order);
        check_values(x, y, &dm.train, order);
    }

    lit_dataloader *dls[LIT_MAX_DATALOADERS];
    CHECK_EQ_INT(m->val_dataloaders(m->user, dls), 1);
    CHECK_EQ_INT(lit_dataloader_dataset_len(dls[0]), 144);
    collect(dls[0], 0, 50, x, y, 1);
    check_values(x, y, &dm.val, NULL);

    CHECK_EQ_INT(m->test_dataloaders(m->user, dls), 1);
    CHECK_EQ_INT(lit_dataloader_dataset_len(dls[0]), 359);
    collect(dls[0], 0, 50, x, y, 1);
    check_values(x, y, &dm.test, NULL);
    /* Scaled to [0, 1] with both ends present. */
    float lo = 1, hi = 0;
    for (int64_t i = 0; i < 359 * MLP_DIGITS_FEATURES; i++) {
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    CHECK(lo == 0.0f && hi == 1.0f);

    CHECK_EQ_INT(m->predict_dataloaders(m->user, dls), 1);
    collect(dls[0], 0, 50, x, NULL, 0);
    check_values(x, NULL, &dm.test, NULL);

    CHECK_EQ_INT(m->teardown(m->user, LIT_STAGE_FIT), LIT_OK);
    free(x);
    free(y);
}

/* One epoch of the train loader as bytes (x then y). */
static void train_epoch_bytes(const digits_datamodule_config *c, int64_t epoch, float *x, int64_t *y) {
    digits_datamodule dm;
    if (init_setup(&dm, c) < 0) return;
    lit_dataloader *dl = dm.base.train_dataloader(dm.base.user);
    CHECK(dl != NULL);
    if (dl) collect(dl, epoch, c->batch_size, x, y, 1);
    digits_datamodule_free(&dm);
}

TEST(shuffle_repeats_per_seed_and_epoch) {
    digits_datamodule_config c = digits_datamodule_default_config();
    c.seed = 5;
    size_t nx = 1294 * MLP_DIGITS_FEATURES;
    float *xa = calloc(nx, sizeof(float)), *xb = calloc(nx, sizeof(float));
    int64_t *ya = calloc(1294, sizeof(int64_t)), *yb = calloc(1294, sizeof(int64_t));
    train_epoch_bytes(&c, 3, xa, ya);
    train_epoch_bytes(&c, 3, xb, yb); /* a fresh datamodule, same seed and epoch */
    CHECK(memcmp(xa, xb, nx * sizeof(float)) == 0);
    CHECK(memcmp(ya, yb, 1294 * sizeof(int64_t)) == 0);
    train_epoch_bytes(&c, 4, xb, yb); /* next epoch: another order of the same samples */
    CHECK(memcmp(xa, xb, nx * sizeof(float)) != 0);
    int64_t ca[10] = {0}, cb[10] = {0};
    for (int i = 0; i < 1294; i++) {
        ca[ya[i]]++;
        cb[yb[i]]++;
    }
    CHECK(memcmp(ca, cb, sizeof ca) == 0);
    /* The same loader replays an epoch identically too. */
    digits_datamodule dm;
    if (init_setup(&dm, &c) == LIT_OK) {
        lit_dataloader *dl = dm.base.train_dataloader(dm.base.user);
        collect(dl, 4, c.batch_size, xa, ya, 1);
        collect(dl, 0, c.batch_size, xa, ya, 1);
        collect(dl, 4, c.batch_size, xa, ya, 1);
        CHECK(memcmp(xa, xb, nx * sizeof(float)) == 0);
        digits_datamodule_free(&dm);
    }
    free(xa);
    free(xb);
    free(ya);
    free(yb);
}

TEST(same_batches_with_workers) {
    size_t nx = 1294 * MLP_DIGITS_FEATURES;
    float *xa = calloc(nx, sizeof(float)), *xb = calloc(nx, sizeof(float));
    int64_t *ya = calloc(1294, sizeof(int64_t)), *yb = calloc(1294, sizeof(int64_t));
    digits_datamodule_config c = digits_datamodule_default_config();
    c.seed = 9;
    c.batch_size = 24;
    digits_datamodule d0, d2;
    c.num_workers = 0;
    if (init_setup(&d0, &c) < 0) return;
    c.num_workers = 2;
    if (init_setup(&d2, &c) < 0) return;
    lit_dataloader *t0 = d0.base.train_dataloader(d0.base.user), *t2 = d2.base.train_dataloader(d2.base.user);
    CHECK_EQ_INT(lit_dataloader_get_params(t2)->num_workers, 2);
    for (int64_t epoch = 0; epoch < 3; epoch++) {
        collect(t0, epoch, 24, xa, ya, 1);
        collect(t2, epoch, 24, xb, yb, 1);
        CHECK(memcmp(xa, xb, nx * sizeof(float)) == 0);
        CHECK(memcmp(ya, yb, 1294 * sizeof(int64_t)) == 0);
    }
    lit_dataloader *v0[LIT_MAX_DATALOADERS], *v2[LIT_MAX_DATALOADERS];
    CHECK_EQ_INT(d0.base.test_dataloaders(d0.base.user, v0), 1);
    CHECK_EQ_INT(d2.base.test_dataloaders(d2.base.user, v2), 1);
    collect(v0[0], 0, 24, xa, ya, 1);
    collect(v2[0], 0, 24, xb, yb, 1);
    CHECK(memcmp(xa, xb, 359 * MLP_DIGITS_FEATURES * sizeof(float)) == 0);
    CHECK(memcmp(ya, yb, 359 * sizeof(int64_t)) == 0);
    /* Teardown in the middle of an epoch with workers running. */
    CHECK(lit_dataloader_begin_epoch(t2, 5, 0) == LIT_OK);
    lit_batch *b;
    CHECK(lit_dataloader_next(t2, &b) == LIT_OK && b);
    d2.base.teardown(d2.base.user, LIT_STAGE_FIT);
    CHECK(d2.train_dl == NULL);
    digits_datamodule_free(&d0);
    free(xa);
    free(xb);
    free(ya);
    free(yb);
}

TEST(missing_file_names_path_and_flag) {
    digits_datamodule_config c = digits_datamodule_default_config();
    c.data_path = "/nonexistent-litc-dir/digits-missing.csv";
    digits_datamodule dm;
    CHECK_EQ_INT(digits_datamodule_init(&dm, &c), LIT_OK);
    CHECK_EQ_INT(dm.base.prepare_data(dm.base.user), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "/nonexistent-litc-dir/digits-missing.csv");
    CHECK_STR_CONTAINS(lit_last_error(), "--data");
    /* setup fails the same way and leaves nothing to free. */
    CHECK_EQ_INT(dm.base.setup(dm.base.user, LIT_STAGE_FIT), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "digits-missing.csv");
    CHECK_EQ_INT(dm.is_setup, 0);
    lit_dataloader *out[LIT_MAX_DATALOADERS];
    CHECK(dm.base.train_dataloader(dm.base.user) == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "before setup()");
    CHECK_EQ_INT(dm.base.val_dataloaders(dm.base.user, out), -1);
    CHECK_EQ_INT(dm.base.teardown(dm.base.user, LIT_STAGE_FIT), LIT_OK);
    /* The path is copied: a temporary config string may go away. */
    char tmp[1024];
    snprintf(tmp, sizeof tmp, "%s", MLP_DIGITS_DEFAULT_PATH);
    c.data_path = tmp;
    CHECK_EQ_INT(digits_datamodule_init(&dm, &c), LIT_OK);
    memset(tmp, 'z', sizeof tmp - 1);
    CHECK_EQ_INT(dm.base.prepare_data(dm.base.user), LIT_OK);
}

/* Issue 11 finding 8: data_path /dev/zero looped forever (NUL bytes read as
 * blank lines) and a FIFO blocked in open. Readers take regular files only,
 * and a NUL byte in a regular file stops the reader at once. */
static lit_status load_digits_path(void *path) {
    mlp_digits_data d;
    lit_status st = mlp_digits_load(path, &d);
    mlp_digits_free(&d);
    return st;
}

static lit_status prepare_digits_path(void *path) {
    digits_datamodule_config c = digits_datamodule_default_config();
    c.data_path = path;
    digits_datamodule dm;
    LIT_TRY(digits_datamodule_init(&dm, &c));
    lit_status st = dm.base.prepare_data(dm.base.user);
    if (st == LIT_OK) st = dm.base.setup(dm.base.user, LIT_STAGE_FIT);
    dm.base.teardown(dm.base.user, LIT_STAGE_FIT);
    return st;
}

TEST(device_fifo_and_binary_files_refused) {
    char *dir = make_tmp_dir("digits-dev");
    char fifo[300], zeros[300];
    snprintf(fifo, sizeof fifo, "%s", join(dir, "fifo.csv"));
    snprintf(zeros, sizeof zeros, "%s", join(dir, "zeros.csv"));
    CHECK(mkfifo(fifo, 0600) == 0);
    FILE *z = fopen(zeros, "wb");
    CHECK(z != NULL);
    static const char nul[8192];
    if (z) {
        fwrite(nul, 1, sizeof nul, z);
        fclose(z);
    }
    struct { const char *path, *says; lit_status st; } cases[] = {
        { "/dev/zero", "is a character device", LIT_ERR_IO },
        { fifo, "is a FIFO", LIT_ERR_IO },
        { dir, "is a directory", LIT_ERR_IO },
        { zeros, ":1: a NUL byte", LIT_ERR_DATA },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        watched_result r = run_watched(load_digits_path, (void *)cases[i].path, 10, WATCHDOG_MEMORY);
        CHECK_MSG(r.finished, "mlp_digits_load(%s): %s", cases[i].path, r.message);
        CHECK_EQ_INT(r.status, cases[i].st);
        CHECK_STR_CONTAINS(r.message, cases[i].path);
        CHECK_STR_CONTAINS(r.message, cases[i].says);
        r = run_watched(prepare_digits_path, (void *)cases[i].path, 10, WATCHDOG_MEMORY);
        CHECK_MSG(r.finished, "prepare_data/setup(%s): %s", cases[i].path, r.message);
        CHECK_EQ_INT(r.status, cases[i].st);
        CHECK_STR_CONTAINS(r.message, cases[i].says);
    }
    unlink(fifo);
    unlink(zeros);
    rmdir(dir);
}

TEST(bad_config) {
    digits_datamodule dm;
    digits_datamodule_config c = digits_datamodule_default_config();
    c.batch_size = 0;
    CHECK_EQ_INT(digits_datamodule_init(&dm, &c), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "batch size");
    c = digits_datamodule_default_config();
    c.test_fraction = 1;
    CHECK_EQ_INT(digits_datamodule_init(&dm, &c), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "test fraction");
    c = digits_datamodule_default_config();
    c.val_fraction = -0.1;
    CHECK_EQ_INT(digits_datamodule_init(&dm, &c), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "val fraction");
    c = digits_datamodule_default_config();
    c.num_workers = -1;
    CHECK_EQ_INT(digits_datamodule_init(&dm, &c), LIT_ERR_CONFIG);
    /* Fractions that leave a split empty are caught by setup. */
    c = digits_datamodule_default_config();
    c.test_fraction = 0.0001;
    CHECK_EQ_INT(digits_datamodule_init(&dm, &c), LIT_OK);
    CHECK_EQ_INT(dm.base.setup(dm.base.user, LIT_STAGE_FIT), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "0 test");
    CHECK_EQ_INT(dm.is_setup, 0);
    digits_datamodule_free(&dm);
}

TEST(no_validation_split) {
    digits_datamodule_config c = digits_datamodule_default_config();
    c.val_fraction = 0;
    digits_datamodule dm;
    if (init_setup(&dm, &c) < 0) return;
    CHECK_EQ_INT(dm.n_train, 1438); /* train.c's training split */
    CHECK_EQ_INT(dm.n_val, 0);
    lit_dataloader *out[LIT_MAX_DATALOADERS];
    CHECK_EQ_INT(dm.base.val_dataloaders(dm.base.user, out), 0);
    CHECK_EQ_INT(dm.base.test_dataloaders(dm.base.user, out), 1);
    digits_datamodule_free(&dm);
}

TEST(setup_twice_and_teardown) {
    digits_datamodule dm;
    if (init_setup(&dm, NULL) < 0) return;
    lit_datamodule *m = &dm.base;
    const float *data = dm.data.x;
    const int64_t *rows = dm.train.rows;
    lit_dataloader *train = m->train_dataloader(m->user);
    CHECK(train != NULL);
    /* A second setup (another stage) changes nothing: no reload, no second scaling. */
    CHECK_EQ_INT(m->setup(m->user, LIT_STAGE_TEST), LIT_OK);
    CHECK_EQ_INT(m->setup(m->user, LIT_STAGE_FIT), LIT_OK);
    CHECK(dm.data.x == data);
    CHECK(dm.train.rows == rows);
    CHECK(m->train_dataloader(m->user) == train);
    float *x = malloc(sizeof(float) * 144 * MLP_DIGITS_FEATURES);
    int64_t y[144];
    lit_dataloader *val[LIT_MAX_DATALOADERS];
    CHECK_EQ_INT(m->val_dataloaders(m->user, val), 1);
    collect(val[0], 0, 32, x, y, 1);
    check_values(x, y, &dm.val, NULL);
    /* teardown frees loaders and data (ASan checks for leaks); twice is fine. */
    CHECK_EQ_INT(m->teardown(m->user, LIT_STAGE_FIT), LIT_OK);
    CHECK(dm.train_dl == NULL && dm.val_dl == NULL && dm.test_dl == NULL && dm.predict_dl == NULL);
    CHECK(dm.data.x == NULL && dm.order == NULL);
    CHECK_EQ_INT(dm.is_setup, 0);
    CHECK_EQ_INT(m->teardown(m->user, LIT_STAGE_TEST), LIT_OK);
    CHECK(m->train_dataloader(m->user) == NULL);
    /* ... and setup works again afterwards, with the same split and values. */
    CHECK_EQ_INT(m->setup(m->user, LIT_STAGE_VALIDATE), LIT_OK);
    CHECK_EQ_INT(m->val_dataloaders(m->user, val), 1);
    collect(val[0], 0, 32, x, y, 1);
    check_values(x, y, &dm.val, NULL);
    digits_datamodule_free(&dm);
    digits_datamodule_free(&dm);
    free(x);
}

int main(void) {
    lit_status st = mlp_digits_load(MLP_DIGITS_DEFAULT_PATH, &raw);
    if (st < 0) {
        printf("cannot load the digits: %s\n", lit_last_error());
        return 1;
    }
    RUN(split_sizes_disjoint_cover);
    RUN(same_split_as_train_c);
    RUN(batches_shapes_dtypes_values);
    RUN(shuffle_repeats_per_seed_and_epoch);
    RUN(same_batches_with_workers);
    RUN(missing_file_names_path_and_flag);
    RUN(device_fifo_and_binary_files_refused);
    RUN(bad_config);
    RUN(no_validation_split);
    RUN(setup_twice_and_teardown);
    mlp_digits_free(&raw);
    return harness_summary();
}
