/*
 * tests/test-checkpoint.c — lit_checkpoint (checkpoint.h): the value tree
 * (dotted keys, scopes, exact doubles, types), tensors (put/read/view,
 * dtype and shape errors), the file (metadata layout, checksum, format and
 * version checks, plain safetensors files), and crash safety: a writer
 * killed or failing (ENOSPC, RLIMIT_FSIZE) at any byte leaves the previous
 * checkpoint loadable and no temporary file behind.
 */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "tmp-dir.h"
#include "io/checkpoint-impl.h"

static char dir[64];

static const char *path_in(const char *name) { return join(dir, name); }

/* A checkpoint with two tensors and a few values; w holds `fill`. */
static lit_checkpoint *sample(lit_tensor **w, lit_tensor **steps, float fill) {
    lit_checkpoint *ck = lit_checkpoint_new();
    *w = lit_full(LIT_F32, LIT_SHAPE(3, 4), fill);
    *steps = lit_full(LIT_I64, LIT_SHAPE(2), 7);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "state_dict.layer.weight", *w), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "optimizer_states.0.step.layer.weight", *steps), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "epoch", 3), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_double(ck, "loops.fit_loop.lr", 0.1), LIT_OK);
    return ck;
}

/* ---------------------------------------------------------------- values */

TEST(values_round_trip_exactly) {
    lit_checkpoint *ck = lit_checkpoint_new();
    const double tricky[] = { 0.1, 1.0 / 3.0, 1e-310, -2.5e300, 5e-324, 123456789.123456789 };
    char key[64];
    for (int i = 0; i < 6; i++) {
        snprintf(key, sizeof key, "d.v%d", i);
        CHECK_EQ_INT(lit_checkpoint_set_double(ck, key, tricky[i]), LIT_OK);
    }
    CHECK_EQ_INT(lit_checkpoint_set_double(ck, "d.nan", NAN), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_double(ck, "d.inf", -INFINITY), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "i.min", INT64_MIN), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_uint(ck, "u.max", UINT64_MAX), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, "s", "héllo \"quoted\"\n"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_json(ck, "j", "{\"a\": [1, 2, {\"b\": null}]}"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_save(ck, path_in("v.ckpt")), LIT_OK);
    lit_checkpoint_free(ck);

    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("v.ckpt")), LIT_OK);
    for (int i = 0; i < 6; i++) {
        double v = 0;
        snprintf(key, sizeof key, "d.v%d", i);
        CHECK_EQ_INT(lit_checkpoint_get_double(ck, key, &v), LIT_OK);
        CHECK_MSG(memcmp(&v, &tricky[i], sizeof v) == 0, "%s: %.17g != %.17g", key, v, tricky[i]);
    }
    double d;
    CHECK_EQ_INT(lit_checkpoint_get_double(ck, "d.nan", &d), LIT_OK);
    CHECK(isnan(d));
    CHECK_EQ_INT(lit_checkpoint_get_double(ck, "d.inf", &d), LIT_OK);
    CHECK(isinf(d) && d < 0);
    int64_t i64;
    CHECK_EQ_INT(lit_checkpoint_get_int(ck, "i.min", &i64), LIT_OK);
    CHECK(i64 == INT64_MIN);
    uint64_t u64;
    CHECK_EQ_INT(lit_checkpoint_get_uint(ck, "u.max", &u64), LIT_OK);
    CHECK(u64 == UINT64_MAX);
    const char *s;
    CHECK_EQ_INT(lit_checkpoint_get_string(ck, "s", &s), LIT_OK);
    CHECK_STR_EQ(s, "héllo \"quoted\"\n");
    char *json;
    CHECK_EQ_INT(lit_checkpoint_get_json(ck, "j", &json), LIT_OK);
    CHECK_STR_EQ(json, "{\"a\":[1,2,{\"b\":null}]}");
    free(json);
    CHECK_EQ_INT(lit_checkpoint_key_count(ck, "d"), 8);
    CHECK_STR_EQ(lit_checkpoint_key_at(ck, "d", 0), "v0");
    CHECK_EQ_INT(lit_checkpoint_format_version(ck), LIT_CHECKPOINT_FORMAT_VERSION);
    lit_checkpoint_free(ck);
}

TEST(value_errors_name_the_key) {
    lit_checkpoint *ck = lit_checkpoint_new();
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "a.b", 1), LIT_OK);
    int64_t v;
    CHECK_EQ_INT(lit_checkpoint_get_int(ck, "a.c", &v), LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "\"a.c\"");
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, "a.s", "x"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_get_int(ck, "a.s", &v), LIT_ERR_CORRUPT);
    CHECK_STR_CONTAINS(lit_last_error(), "\"a.s\" should be an integer but is a string");
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "a.b.c", 1), LIT_ERR_INVALID_ARG); /* through a non-object */
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "a..b", 1), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_checkpoint_set_int(ck, "", 1), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_checkpoint_set_json(ck, "j", "{\"a\": 1,}"), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "not valid JSON");
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, "bad", "\xff\xfe"), LIT_ERR_INVALID_ARG); /* not UTF-8 */
    uint64_t u;
    CHECK_EQ_INT(lit_checkpoint_get_uint(ck, "a.s", &u), LIT_ERR_CORRUPT);
    /* "format" and friends belong to the file. */
    CHECK_EQ_INT(lit_checkpoint_set_string(ck, "checksum", "mine"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_save(ck, path_in("r.ckpt")), LIT_ERR_INVALID_ARG);
    CHECK_STR_CONTAINS(lit_last_error(), "\"checksum\" is reserved");
    CHECK_EQ_INT(count_files(dir), 0);
    lit_checkpoint_remove(ck, "checksum");
    CHECK(!lit_checkpoint_has(ck, "checksum"));
    lit_checkpoint_free(ck);
}

TEST(scopes_take_literal_names) {
    lit_checkpoint *ck = lit_checkpoint_new();
    const char *state_key = "ModelCheckpoint{'monitor': 'val.loss', 'mode': 'min'}";
    CHECK_EQ_INT(lit_checkpoint_push_scope(ck, "callbacks"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_push_scope(ck, state_key), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_set_double(ck, "best_score", 0.25), LIT_OK);
    lit_checkpoint_reset_scope(ck);
    CHECK_EQ_INT(lit_checkpoint_key_count(ck, "callbacks"), 1);
    CHECK_STR_EQ(lit_checkpoint_key_at(ck, "callbacks", 0), state_key);
    CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, "callbacks"), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, "missing"), LIT_ERR_NOT_FOUND);
    CHECK_EQ_INT(lit_checkpoint_enter_scope(ck, state_key), LIT_OK);
    double v = 0;
    CHECK_EQ_INT(lit_checkpoint_get_double(ck, "best_score", &v), LIT_OK);
    CHECK_NEAR(v, 0.25, 0);
    lit_checkpoint_pop_scope(ck);
    lit_checkpoint_pop_scope(ck);
    EXPECT_ASSERT(lit_checkpoint_pop_scope(ck), "no scope is open");
    lit_checkpoint_free(ck);
}

/* ---------------------------------------------------------------- tensors */

TEST(tensors_round_trip_with_checked_shapes) {
    lit_tensor *w, *steps;
    lit_checkpoint *ck = sample(&w, &steps, 0.5f);
    for (int i = 0; i < 12; i++) lit_f32(w)[i] = (float)i * 0.25f;
    lit_tensor *bf = lit_to_dtype(w, LIT_BF16);
    lit_tensor *scalar = lit_scalar(-1.5);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "b", bf), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "scalar", scalar), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "empty", lit_zeros(LIT_F32, LIT_SHAPE(0, 5))), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_save(ck, path_in("t.ckpt")), LIT_OK);
    lit_checkpoint_free(ck);

    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("t.ckpt")), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_tensor_count(ck), 5);
    CHECK_STR_EQ(lit_checkpoint_tensor_name(ck, 0), "b"); /* name order */
    lit_tensor *w2 = lit_zeros(LIT_F32, LIT_SHAPE(3, 4));
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, "state_dict.layer.weight", w2), LIT_OK);
    CHECK(memcmp(lit_f32(w2), lit_f32(w), 12 * sizeof(float)) == 0);
    lit_tensor *v = lit_checkpoint_tensor_view(ck, "b");
    CHECK(v && v->dtype == LIT_BF16 && memcmp(lit_bf16(v), lit_bf16(bf), 12 * 2) == 0);
    CHECK(((uintptr_t)v->data % 2) == 0);
    lit_tensor *st = lit_checkpoint_tensor_view(ck, "optimizer_states.0.step.layer.weight");
    CHECK(st && ((uintptr_t)st->data % 8) == 0 && lit_i64(st)[1] == 7); /* i64 laid out aligned */
    lit_tensor *sc = lit_checkpoint_tensor_view(ck, "scalar");
    CHECK(sc && sc->ndim == 0 && lit_f32(sc)[0] == -1.5f);
    CHECK(lit_checkpoint_tensor_view(ck, "nope") == NULL);

    lit_tensor *wrong = lit_zeros(LIT_F32, LIT_SHAPE(4, 3));
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, "state_dict.layer.weight", wrong), LIT_ERR_SHAPE);
    CHECK_STR_CONTAINS(lit_last_error(), "has shape (3, 4), the destination (4, 3)");
    lit_tensor *wrong_dt = lit_zeros(LIT_I32, LIT_SHAPE(3, 4));
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, "state_dict.layer.weight", wrong_dt), LIT_ERR_DTYPE);
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, "missing", w2), LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "no tensor \"missing\"");
    CHECK_EQ_INT(lit_checkpoint_drop_tensors(ck, "optimizer_states."), 1);
    CHECK_EQ_INT(lit_checkpoint_tensor_count(ck), 4);
    lit_checkpoint_free(ck);
}

/* ---------------------------------------------------------------- the file */

static uint8_t *read_all(const char *p, size_t *n) {
    FILE *f = fopen(p, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

TEST(file_is_safetensors_with_json_metadata) {
    lit_tensor *w, *steps;
    lit_checkpoint *ck = sample(&w, &steps, 2.0f);
    CHECK_EQ_INT(lit_checkpoint_save(ck, path_in("m.ckpt")), LIT_OK);
    lit_checkpoint_free(ck);
    lit_safetensors *st;
    CHECK_EQ_INT(lit_safetensors_open(&st, path_in("m.ckpt")), LIT_OK);
    CHECK_STR_EQ(lit_safetensors_meta(st, "format"), "litc-checkpoint");
    CHECK_STR_EQ(lit_safetensors_meta(st, "format_version"), "1");
    CHECK_STR_EQ(lit_safetensors_meta(st, "litc_version"), LIT_VERSION_STRING);
    CHECK_STR_EQ(lit_safetensors_meta(st, "epoch"), "3");
    CHECK_STR_EQ(lit_safetensors_meta(st, "loops"), "{\"fit_loop\":{\"lr\":0.10000000000000001}}");
    CHECK_STR_CONTAINS(lit_safetensors_meta(st, "checksum"), "crc32c:");
    CHECK(lit_safetensors_find(st, "state_dict.layer.weight") != NULL);
    lit_safetensors_free(st);
    CHECK_EQ_INT(count_files(dir), 1); /* no temporary file left */
}

TEST(damage_is_refused_by_the_checksum) {
    lit_tensor *w, *steps;
    lit_checkpoint *ck = sample(&w, &steps, 2.0f);
    CHECK_EQ_INT(lit_checkpoint_save(ck, path_in("c.ckpt")), LIT_OK);
    lit_checkpoint_free(ck);
    size_t n;
    uint8_t *img = read_all(path_in("c.ckpt"), &n);
    CHECK(img && n > 64);
    /* A flipped bit in the tensor data: structurally fine, caught by the checksum. */
    img[n - 10] ^= 0x10;
    CHECK_EQ_INT(lit_checkpoint_load_buffer(&ck, img, n, "flipped"), LIT_ERR_CORRUPT);
    CHECK_STR_CONTAINS(lit_last_error(), "checksum mismatch");
    img[n - 10] ^= 0x10;
    CHECK_EQ_INT(lit_checkpoint_load_buffer(&ck, img, n, "intact"), LIT_OK);
    lit_checkpoint_free(ck);
    /* Every single-bit flip anywhere is refused (or, in padding spaces, harmless). */
    int refused = 0, accepted = 0;
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b < 8; b += 3) {
            img[i] ^= (uint8_t)(1u << b);
            lit_status st = lit_checkpoint_load_buffer(&ck, img, n, "flip");
            if (st == LIT_OK) {
                accepted++;
                lit_checkpoint_free(ck);
            } else {
                refused++;
            }
            img[i] ^= (uint8_t)(1u << b);
        }
    }
    CHECK_MSG(accepted <= 64, "%d of %d bit flips were accepted", accepted, accepted + refused);
    free(img);
}

/* 36 MB of tensors on two threads: the reader's chunks, the checksum summed
 * per tensor and joined, and read_tensor's split copy (sizes that are no
 * multiple of any chunk) give back every value; a flipped bit deep in the
 * second tensor is still a checksum mismatch. */
TEST(large_tensors_round_trip_on_two_threads) {
    int threads = lit_get_num_threads();
    lit_set_num_threads(2);
    const int64_t na = 6000001, nb = 3000007;
    lit_tensor *a = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){na});
    lit_tensor *b = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){nb});
    for (int64_t i = 0; i < na; i++) lit_f32(a)[i] = (float)(i % 100003) * 0.5f;
    for (int64_t i = 0; i < nb; i++) lit_f32(b)[i] = -(float)(i % 99991);
    lit_checkpoint *ck = lit_checkpoint_new();
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "a", a), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_put_tensor(ck, "b", b), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_save(ck, path_in("big.ckpt")), LIT_OK);
    lit_checkpoint_free(ck);

    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("big.ckpt")), LIT_OK);
    lit_tensor *a2 = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){na});
    lit_tensor *b2 = lit_tensor_new(NULL, LIT_F32, 1, (int64_t[]){nb});
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, "a", a2), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, "b", b2), LIT_OK);
    CHECK(memcmp(lit_f32(a2), lit_f32(a), (size_t)na * 4) == 0);
    CHECK(memcmp(lit_f32(b2), lit_f32(b), (size_t)nb * 4) == 0);
    CHECK(lit_f32(a2)[na - 1] == (float)((na - 1) % 100003) * 0.5f);
    lit_checkpoint_free(ck);

    size_t n;
    uint8_t *img = read_all(path_in("big.ckpt"), &n);
    CHECK(img && n > (size_t)(na + nb) * 4);
    if (img) {
        img[n - 1000] ^= 0x04;
        CHECK_EQ_INT(lit_checkpoint_load_buffer(&ck, img, n, "flipped"), LIT_ERR_CORRUPT);
        CHECK_STR_CONTAINS(lit_last_error(), "checksum mismatch");
    }
    free(img);
    lit_tensor_free(a);
    lit_tensor_free(b);
    lit_tensor_free(a2);
    lit_tensor_free(b2);
    lit_set_num_threads(threads);
}

TEST(format_and_version_are_checked) {
    /* A newer version is refused; a foreign format too. */
    lit_st_tensor t = { .name = "w", .dtype = LIT_F32, .ndim = 1, .shape = { 2 },
                        .data = (const float[]){ 1, 2 } };
    lit_st_meta newer[] = { { "format", "litc-checkpoint" }, { "format_version", "99" },
                            { "litc_version", "9.0.0" }, { "checksum", "crc32c:00000000" } };
    FILE *f = fopen(path_in("new.ckpt"), "wb");
    CHECK_EQ_INT(lit_safetensors_write_file(f, 1, &t, 4, newer), LIT_OK);
    fclose(f);
    lit_checkpoint *ck = NULL;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("new.ckpt")), LIT_ERR_UNSUPPORTED);
    CHECK_STR_CONTAINS(lit_last_error(), "format version 99 is newer than this litc reads (1");
    CHECK(ck == NULL);
    lit_st_meta other[] = { { "format", "pt" } };
    f = fopen(path_in("pt.ckpt"), "wb");
    CHECK_EQ_INT(lit_safetensors_write_file(f, 1, &t, 1, other), LIT_OK);
    fclose(f);
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("pt.ckpt")), LIT_ERR_CORRUPT);
    CHECK_STR_CONTAINS(lit_last_error(), "is not a litc checkpoint");
    /* Without "format": a plain weights file (as PyTorch's save_file writes). */
    f = fopen(path_in("plain.safetensors"), "wb");
    CHECK_EQ_INT(lit_safetensors_write_file(f, 1, &t, 0, NULL), LIT_OK);
    fclose(f);
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("plain.safetensors")), LIT_OK);
    CHECK_EQ_INT(lit_checkpoint_format_version(ck), 0);
    CHECK_EQ_INT(lit_checkpoint_tensor_count(ck), 1);
    CHECK(!lit_checkpoint_has(ck, "epoch"));
    lit_checkpoint_free(ck);
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("absent.ckpt")), LIT_ERR_NOT_FOUND);
    CHECK_STR_CONTAINS(lit_last_error(), "does not exist");
}

/* The checksum as checkpoint.h defines it, for metadata-only files. */
static uint32_t meta_crc(int n, const lit_st_meta *sorted) {
    uint32_t crc = 0;
    for (int i = 0; i < n; i++) {
        crc = lit_crc32c(crc, sorted[i].key, strlen(sorted[i].key) + 1);
        crc = lit_crc32c(crc, sorted[i].value, strlen(sorted[i].value) + 1);
    }
    return crc;
}

static lit_status load_with_meta(const char *loops_json) {
    lit_st_meta meta[5] = { { "format", "litc-checkpoint" }, { "format_version", "1" },
                            { "litc_version", LIT_VERSION_STRING }, { "loops", loops_json }, { "checksum", NULL } };
    char crc[24];
    snprintf(crc, sizeof crc, "crc32c:%08x", meta_crc(4, meta)); /* already in key order */
    meta[4].value = crc;
    FILE *f = fopen(path_in("m.ckpt"), "wb");
    CHECK_EQ_INT(lit_safetensors_write_file(f, 0, NULL, 5, meta), LIT_OK);
    fclose(f);
    lit_checkpoint *ck = NULL;
    lit_status st = lit_checkpoint_load(&ck, path_in("m.ckpt"));
    lit_checkpoint_free(ck);
    return st;
}

TEST(the_documented_checksum_and_hostile_metadata) {
    /* A file made by hand with the documented checksum loads... */
    CHECK_EQ_INT(load_with_meta("{\"fit_loop\":{\"epoch\":1}}"), LIT_OK);
    /* ...and its values are parsed with limits: deep nesting, invalid JSON
     * and duplicate keys are refused even with a valid checksum. */
    size_t depth = 100000;
    char *deep = malloc(2 * depth + 1);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = 0;
    CHECK_EQ_INT(load_with_meta(deep), LIT_ERR_CORRUPT);
    CHECK_STR_CONTAINS(lit_last_error(), "metadata \"loops\" is not valid JSON");
    free(deep);
    CHECK_EQ_INT(load_with_meta("{\"a\": 1, \"a\": 2}"), LIT_ERR_CORRUPT);
    CHECK_EQ_INT(load_with_meta("{\"a\": 1"), LIT_ERR_CORRUPT);
    CHECK_EQ_INT(load_with_meta("nan"), LIT_ERR_CORRUPT);
}

/* The fuzz seeds: valid-* load, invalid-* are refused (also without clang). */
TEST(fuzz_corpus_replays) {
    const char *cdir = LITC_SOURCE_DIR "/fuzz/corpus/checkpoint";
    DIR *d = opendir(cdir);
    CHECK(d != NULL);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", cdir, e->d_name);
        lit_checkpoint *ck = NULL;
        lit_status st = lit_checkpoint_load(&ck, p);
        if (!strncmp(e->d_name, "valid-", 6)) CHECK_MSG(st == LIT_OK, "%s: %s", e->d_name, lit_last_error());
        else CHECK_MSG(st == LIT_ERR_CORRUPT || st == LIT_ERR_UNSUPPORTED, "%s: status %d", e->d_name, st);
        lit_checkpoint_free(ck);
        n++;
    }
    if (d) closedir(d);
    CHECK(n >= 8);
}

/* ---------------------------------------------------------------- crash safety */

/* The old checkpoint holds 1.0, the new one 2.0: after any failure the
 * file under the final name loads and holds 1.0. */
static void check_old_survives(const char *why) {
    lit_checkpoint *ck = NULL;
    lit_status st = lit_checkpoint_load(&ck, path_in("safe.ckpt"));
    CHECK_MSG(st == LIT_OK, "%s: the previous checkpoint does not load: %s", why, lit_last_error());
    if (st != LIT_OK) return;
    lit_tensor *w = lit_zeros(LIT_F32, LIT_SHAPE(3, 4));
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, "state_dict.layer.weight", w), LIT_OK);
    CHECK_MSG(lit_f32(w)[0] == 1.0f, "%s: the old checkpoint was replaced by a broken one", why);
    lit_checkpoint_free(ck);
    CHECK_MSG(count_files(dir) == 1, "%s: %d files in the directory (a temporary file left?)", why, count_files(dir));
}

static int64_t saved_size(void) {
    size_t n;
    uint8_t *img = read_all(path_in("safe.ckpt"), &n);
    free(img);
    return (int64_t)n;
}

TEST(a_failed_or_killed_write_leaves_the_old_checkpoint) {
    clear_dir(dir);
    lit_tensor *w, *steps;
    lit_checkpoint *old = sample(&w, &steps, 1.0f);
    CHECK_EQ_INT(lit_checkpoint_save(old, path_in("safe.ckpt")), LIT_OK);
    lit_checkpoint_free(old);
    int64_t size = saved_size();
    lit_tensor *w2, *steps2;
    lit_checkpoint *next = sample(&w2, &steps2, 2.0f);

    /* A full disk at every point of the write (header, data, the end). */
    const int64_t points[] = { 0, 1, 8, 40, size / 2, size - 1 };
    for (size_t k = 0; k < sizeof points / sizeof *points; k++) {
        lit__checkpoint_set_fault(LIT__FAULT_ENOSPC, points[k]);
        CHECK_EQ_INT(lit_checkpoint_save(next, path_in("safe.ckpt")), LIT_ERR_IO);
        CHECK_STR_CONTAINS(lit_last_error(), "No space left on device");
        CHECK_STR_CONTAINS(lit_last_error(), "previous checkpoint is untouched");
        check_old_survives("ENOSPC");
    }
    lit__checkpoint_set_fault(LIT__FAULT_NONE, 0);

    /* Killed (SIGKILL) in the middle of writing, in a child process. */
    for (size_t k = 0; k < sizeof points / sizeof *points; k++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            lit__checkpoint_set_fault(LIT__FAULT_KILL, points[k]);
            lit_checkpoint_save(next, path_in("safe.ckpt"));
            _exit(3); /* not reached */
        }
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child not killed (status %d)", status);
        /* The killed writer leaves its temporary file: the next save (or a
         * human) may delete it, the final name is untouched. */
        DIR *d = opendir(dir);
        for (struct dirent *e; d && (e = readdir(d));)
            if (strstr(e->d_name, ".tmp.")) unlink(path_in(e->d_name));
        if (d) closedir(d);
        check_old_survives("SIGKILL");
    }

    /* A file-size limit (RLIMIT_FSIZE) smaller than the checkpoint. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_DFL); /* the save itself keeps SIGXFSZ from killing: write() fails with EFBIG */
        struct rlimit rl = { .rlim_cur = (rlim_t)(size / 2), .rlim_max = (rlim_t)(size / 2) };
        setrlimit(RLIMIT_FSIZE, &rl);
        lit_status st = lit_checkpoint_save(next, path_in("safe.ckpt"));
        _exit(st == LIT_ERR_IO && strstr(lit_last_error(), "File too large") ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "RLIMIT_FSIZE child: status %d", status);
    check_old_survives("RLIMIT_FSIZE");

    /* And a good save replaces it. */
    CHECK_EQ_INT(lit_checkpoint_save(next, path_in("safe.ckpt")), LIT_OK);
    lit_checkpoint *ck;
    CHECK_EQ_INT(lit_checkpoint_load(&ck, path_in("safe.ckpt")), LIT_OK);
    lit_tensor *got = lit_zeros(LIT_F32, LIT_SHAPE(3, 4));
    CHECK_EQ_INT(lit_checkpoint_read_tensor(ck, "state_dict.layer.weight", got), LIT_OK);
    CHECK(lit_f32(got)[0] == 2.0f);
    lit_checkpoint_free(ck);
    lit_checkpoint_free(next);
}

TEST(unwritable_directory_is_an_io_error) {
    lit_tensor *w, *steps;
    lit_checkpoint *ck = sample(&w, &steps, 1.0f);
    CHECK_EQ_INT(lit_checkpoint_save(ck, "/nonexistent-dir/x.ckpt"), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "/nonexistent-dir/x.ckpt");
    CHECK_STR_CONTAINS(lit_last_error(), "creating the temporary file");
    lit_checkpoint_free(ck);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/litc-ckpt-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(values_round_trip_exactly);
    clear_dir(dir);
    RUN(value_errors_name_the_key);
    clear_dir(dir);
    RUN(scopes_take_literal_names);
    RUN(tensors_round_trip_with_checked_shapes);
    clear_dir(dir);
    RUN(file_is_safetensors_with_json_metadata);
    clear_dir(dir);
    RUN(damage_is_refused_by_the_checksum);
    RUN(large_tensors_round_trip_on_two_threads);
    clear_dir(dir);
    RUN(format_and_version_are_checked);
    clear_dir(dir);
    RUN(the_documented_checksum_and_hostile_metadata);
    RUN(fuzz_corpus_replays);
    clear_dir(dir);
    RUN(a_failed_or_killed_write_leaves_the_old_checkpoint);
    clear_dir(dir);
    RUN(unwritable_directory_is_an_io_error);
    rmdir(dir);
    return harness_summary();
}
