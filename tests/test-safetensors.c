/* io: safetensors (safetensors.h) — round trips of every dtype, scalars,
 * empty tensors and metadata; the exact header bytes and their alignment;
 * the writer's refusals; a file written by the Python safetensors library
 * (tests/fixtures/reference.safetensors, gen_safetensors.py); a litc file read
 * by Python's safetensors when it is installed (skipped otherwise); and
 * hostile inputs: every truncation and every single-bit flip of a small file,
 * bad header lengths, offsets, shapes, dtypes, JSON and nesting — each
 * refused with a message, never a crash (ASan runs this in `make test`). */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "litc/safetensors.h"

#ifndef LITC_SOURCE_DIR
#define LITC_SOURCE_DIR "."
#endif

/* ---------------------------------------------------------------- helpers */

/* A complete file image in one malloc'd block of exactly *len bytes. */
static uint8_t *image(int n, const lit_st_tensor *ts, int nm, const lit_st_meta *meta, size_t *len) {
    uint8_t *hdr;
    size_t hlen;
    uint64_t dlen;
    lit_status st = lit_safetensors_header(n, ts, nm, meta, &hdr, &hlen, &dlen);
    if (st < 0) {
        printf("  header failed: %s\n", lit_last_error());
        return NULL;
    }
    uint8_t *img = malloc(hlen + dlen + 1);
    memcpy(img, hdr, hlen);
    free(hdr);
    size_t at = hlen;
    for (int i = 0; i < n; i++) {
        size_t nb = lit_dtype_size(ts[i].dtype);
        for (int d = 0; d < ts[i].ndim; d++) nb *= (size_t)ts[i].shape[d];
        if (nb) memcpy(img + at, ts[i].data, nb);
        at += nb;
    }
    *len = at;
    return img;
}

/* 8-byte length prefix + `json` (unpadded) + `data_len` zero bytes. */
static uint8_t *raw(const char *json, size_t data_len, size_t *len) {
    size_t jn = strlen(json);
    uint8_t *p = calloc(1, 8 + jn + data_len + 1);
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)((uint64_t)jn >> (8 * i));
    memcpy(p + 8, json, jn);
    *len = 8 + jn + data_len;
    return p;
}

/* Parse a copy of exactly `len` bytes (so ASan sees any over-read). */
static lit_status parse_copy(const uint8_t *buf, size_t len, lit_safetensors **out) {
    uint8_t *c = malloc(len ? len : 1);
    if (len) memcpy(c, buf, len);
    lit_status st = lit_safetensors_parse(out, c, len, "hostile.safetensors");
    if (st == LIT_OK) {
        /* the handle points into c: touch and free together */
        const lit_safetensors *s = *out;
        volatile uint8_t sink = 0;
        for (int i = 0; i < lit_safetensors_count(s); i++) {
            const lit_st_tensor *t = lit_safetensors_at(s, i);
            for (size_t k = 0; k < t->nbytes; k++) sink ^= ((const uint8_t *)t->data)[k];
        }
        (void)sink;
        lit_safetensors_free(*out);
        *out = NULL;
    }
    free(c);
    return st;
}

#define EXPECT_REFUSED(buf, len, status, substring)                                                   \
    do {                                                                                              \
        lit_safetensors *hd_ = (lit_safetensors *)1;                                                   \
        lit_clear_error();                                                                            \
        lit_status st_ = lit_safetensors_parse(&hd_, (buf), (len), "hostile.safetensors");             \
        CHECK_EQ_INT(st_, (status));                                                                  \
        CHECK(hd_ == NULL);                                                                           \
        CHECK_STR_CONTAINS(lit_last_error(), "hostile.safetensors: ");                                \
        CHECK_STR_CONTAINS(lit_last_error(), (substring));                                            \
        if (st_ == LIT_OK) lit_safetensors_free(hd_);                                                 \
    } while (0)

/* Parse a raw header and expect a refusal. */
static void refuse_json(const char *json, size_t data_len, lit_status status, const char *substring, int line) {
    size_t len;
    uint8_t *p = raw(json, data_len, &len);
    lit_safetensors *h = NULL;
    lit_clear_error();
    lit_status st = lit_safetensors_parse(&h, p, len, "hostile.safetensors");
    harness_checks_++;
    if (st != status || !strstr(lit_last_error(), substring) || h != NULL)
        HARNESS_FAIL_("line %d: header %.120s: status %s (want %s), message \"%s\" (want \"%s\")", line, json,
                      lit_status_name(st), lit_status_name(status), lit_last_error(), substring);
    if (st == LIT_OK) lit_safetensors_free(h);
    free(p);
}
#define REFUSE(json, dlen, status, sub) refuse_json((json), (dlen), (status), (sub), __LINE__)

static void accept_json(const char *json, size_t data_len, int count, int line) {
    size_t len;
    uint8_t *p = raw(json, data_len, &len);
    lit_safetensors *h = NULL;
    lit_status st = lit_safetensors_parse(&h, p, len, "ok.safetensors");
    harness_checks_++;
    if (st != LIT_OK || lit_safetensors_count(h) != count)
        HARNESS_FAIL_("line %d: header %.120s: %s %s", line, json, lit_status_name(st), lit_last_error());
    lit_safetensors_free(h);
    free(p);
}
#define ACCEPT(json, dlen, count) accept_json((json), (dlen), (count), __LINE__)

/* The small valid file used by the truncation, bit-flip and corpus tests. */
static const float small_w[6] = {1, 2, 3, 4, 5, 6};
static const int64_t small_s[1] = {42};
static uint8_t *small_file(size_t *len) {
    lit_st_tensor ts[] = {
        {.name = "w", .dtype = LIT_F32, .ndim = 2, .shape = {2, 3}, .data = small_w},
        {.name = "step", .dtype = LIT_I64, .ndim = 0, .data = small_s},
        {.name = "e", .dtype = LIT_BF16, .ndim = 1, .shape = {0}, .data = NULL},
    };
    lit_st_meta meta[] = {{"format", "pt"}};
    return image(3, ts, 1, meta, len);
}

/* ---------------------------------------------------------------- round trips */

static char tmp_dir[256];
static void make_tmp_dir(void) {
    if (tmp_dir[0]) return;
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/litc-test-safetensors.%d", (int)getpid());
    mkdir(tmp_dir, 0700);
}

TEST(round_trip_all_dtypes_scalars_empty_metadata) {
    float f32[6] = {0.5f, -1.25f, 3.0f, 1e-30f, -0.0f, 65504.0f};
    uint16_t bf16[5] = {0x3F80, 0xC020, 0x0001, 0x7F80, 0xFFC1}; /* 1, -2.5, denormal, inf, a NaN */
    int32_t i32[4] = {INT32_MIN, -1, 0, INT32_MAX};
    int64_t i64[3] = {INT64_MIN, 1234567890123LL, INT64_MAX};
    float scalar = 3.25f;
    int64_t iscalar = -7;
    lit_st_tensor ts[] = {
        {.name = "model.w", .dtype = LIT_F32, .ndim = 2, .shape = {2, 3}, .data = f32},
        {.name = "bf", .dtype = LIT_BF16, .ndim = 1, .shape = {5}, .data = bf16},
        {.name = "ints", .dtype = LIT_I32, .ndim = 3, .shape = {1, 2, 2}, .data = i32},
        {.name = "longs", .dtype = LIT_I64, .ndim = 1, .shape = {3}, .data = i64},
        {.name = "scalar", .dtype = LIT_F32, .ndim = 0, .data = &scalar},
        {.name = "iscalar", .dtype = LIT_I64, .ndim = 0, .data = &iscalar},
        {.name = "empty", .dtype = LIT_BF16, .ndim = 2, .shape = {0, 4}, .data = NULL},
        {.name = "empty2", .dtype = LIT_I64, .ndim = 3, .shape = {3, 0, 2}, .data = NULL},
        {.name = "caf\xc3\xa9 \"q\"\\", .dtype = LIT_I32, .ndim = 1, .shape = {1}, .data = i32},
    };
    int n = (int)(sizeof ts / sizeof ts[0]);
    lit_st_meta meta[] = {
        {"format", "pt"},
        {"epoch", "3"},
        {"loops", "{\"fit_loop\": {\"epoch\": 3}}\n\t\x01"},
        {"", "empty key"},
        {"unicode \xe2\x9c\x93", "\xf0\x9f\x98\x80"},
    };
    int nm = (int)(sizeof meta / sizeof meta[0]);
    make_tmp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/rt.safetensors", tmp_dir);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK_EQ_INT(lit_safetensors_write_file(f, n, ts, nm, meta), LIT_OK);
    CHECK_EQ_INT(fclose(f), 0);

    lit_safetensors *st = NULL;
    CHECK_EQ_INT(lit_safetensors_open(&st, path), LIT_OK);
    if (!st) return;
    CHECK_EQ_INT(lit_safetensors_count(st), n);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        const lit_st_tensor *t = lit_safetensors_find(st, ts[i].name);
        CHECK_MSG(t != NULL, "tensor %s not found", ts[i].name);
        if (!t) continue;
        CHECK_STR_EQ(t->name, ts[i].name);
        CHECK_EQ_INT(t->dtype, ts[i].dtype);
        CHECK_EQ_INT(t->ndim, ts[i].ndim);
        size_t nb = lit_dtype_size(ts[i].dtype);
        for (int d = 0; d < ts[i].ndim; d++) {
            CHECK_EQ_INT(t->shape[d], ts[i].shape[d]);
            nb *= (size_t)ts[i].shape[d];
        }
        CHECK_EQ_INT(t->nbytes, nb);
        if (nb) CHECK(memcmp(t->data, ts[i].data, nb) == 0);
        total += nb;
    }
    CHECK(lit_safetensors_find(st, "absent") == NULL);
    CHECK(lit_safetensors_find(st, "") == NULL);
    CHECK(lit_safetensors_find(st, NULL) == NULL);
    /* at(): offset order, which for litc's writer is the order given */
    size_t data_len;
    const uint8_t *data = lit_safetensors_data(st, &data_len);
    CHECK_EQ_INT(data_len, total);
    const uint8_t *prev_end = data;
    for (int i = 0; i < n; i++) {
        const lit_st_tensor *t = lit_safetensors_at(st, i);
        CHECK((const uint8_t *)t->data == prev_end);
        prev_end = (const uint8_t *)t->data + t->nbytes;
    }
    /* ties at one offset (empty tensors) are ordered by name: "empty" < "empty2" */
    CHECK_STR_EQ(lit_safetensors_at(st, 0)->name, "model.w");
    CHECK_STR_EQ(lit_safetensors_at(st, 8)->name, "caf\xc3\xa9 \"q\"\\");
    EXPECT_ASSERT(lit_safetensors_at(st, n), "outside [0, 9)");
    EXPECT_ASSERT(lit_safetensors_at(st, -1), "outside");
    /* metadata in file order */
    CHECK_EQ_INT(lit_safetensors_meta_count(st), nm);
    for (int i = 0; i < nm; i++) {
        CHECK_STR_EQ(lit_safetensors_meta_at(st, i)->key, meta[i].key);
        CHECK_STR_EQ(lit_safetensors_meta_at(st, i)->value, meta[i].value);
        CHECK_STR_EQ(lit_safetensors_meta(st, meta[i].key), meta[i].value);
    }
    CHECK(lit_safetensors_meta(st, "absent") == NULL);
    EXPECT_ASSERT(lit_safetensors_meta_at(st, nm), "outside");
    lit_safetensors_free(st);
    lit_safetensors_free(NULL);
    unlink(path);

    /* no tensors, no metadata: "{}" padded */
    size_t len;
    uint8_t *img = image(0, NULL, 0, NULL, &len);
    CHECK_EQ_INT(len, 16);
    CHECK(img && memcmp(img + 8, "{}      ", 8) == 0);
    CHECK_EQ_INT(lit_safetensors_parse(&st, img, len, NULL), LIT_OK);
    CHECK_EQ_INT(lit_safetensors_count(st), 0);
    CHECK_EQ_INT(lit_safetensors_meta_count(st), 0);
    CHECK(lit_safetensors_find(st, "x") == NULL);
    lit_safetensors_free(st);
    free(img);
}

TEST(dtype_names) {
    CHECK_STR_EQ(lit_safetensors_dtype_name(LIT_F32), "F32");
    CHECK_STR_EQ(lit_safetensors_dtype_name(LIT_BF16), "BF16");
    CHECK_STR_EQ(lit_safetensors_dtype_name(LIT_I32), "I32");
    CHECK_STR_EQ(lit_safetensors_dtype_name(LIT_I64), "I64");
    CHECK(lit_safetensors_dtype_name(LIT_DTYPE_COUNT) == NULL);
    lit_dtype dt = LIT_F32;
    CHECK_EQ_INT(lit_safetensors_dtype_parse("I64", &dt), 0);
    CHECK_EQ_INT(dt, LIT_I64);
    CHECK_EQ_INT(lit_safetensors_dtype_parse("BF16", &dt), 0);
    CHECK_EQ_INT(dt, LIT_BF16);
    CHECK_EQ_INT(lit_safetensors_dtype_parse("F16", &dt), -1);
    CHECK_EQ_INT(lit_safetensors_dtype_parse("f32", &dt), -1);
    CHECK_EQ_INT(lit_safetensors_dtype_parse(NULL, &dt), -1);
}

TEST(header_bytes_and_alignment) {
    float w[2] = {1, 2};
    lit_st_tensor t = {.name = "w", .dtype = LIT_F32, .ndim = 1, .shape = {2}, .data = w};
    lit_st_meta m = {"a", "b"};
    uint8_t *hdr;
    size_t hlen;
    uint64_t dlen;
    CHECK_EQ_INT(lit_safetensors_header(1, &t, 1, &m, &hdr, &hlen, &dlen), LIT_OK);
    const char *want = "{\"__metadata__\":{\"a\":\"b\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    size_t wl = strlen(want);
    CHECK_EQ_INT(hlen % 8, 0);
    CHECK(hlen >= 8 + wl && hlen < 8 + wl + 8);
    CHECK(memcmp(hdr + 8, want, wl) == 0);
    for (size_t i = 8 + wl; i < hlen; i++) CHECK_EQ_INT(hdr[i], ' ');
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = (n << 8) | hdr[i];
    CHECK_EQ_INT(n, hlen - 8);
    CHECK_EQ_INT(dlen, 8);
    free(hdr);

    /* every name length: 8 + N is a multiple of 8, and the file parses */
    char name[64];
    for (int L = 1; L < 40; L++) {
        memset(name, 'a' + L % 26, (size_t)L);
        name[L] = 0;
        t.name = name;
        size_t len;
        uint8_t *img = image(1, &t, L % 2, &m, &len);
        lit_safetensors *st = NULL;
        CHECK(img != NULL);
        uint64_t hn = 0;
        for (int i = 7; i >= 0; i--) hn = (hn << 8) | img[i];
        CHECK_EQ_INT((8 + hn) % 8, 0);
        CHECK_EQ_INT(lit_safetensors_parse(&st, img, len, NULL), LIT_OK);
        const lit_st_tensor *r = st ? lit_safetensors_find(st, name) : NULL;
        CHECK(r != NULL && r->nbytes == 8 && memcmp(r->data, w, 8) == 0);
        CHECK(r && ((uintptr_t)((const uint8_t *)r->data - img) % 8) == 0);
        lit_safetensors_free(st);
        free(img);
    }
}

TEST(writer_refuses_bad_input) {
    float w[2] = {1, 2};
    uint8_t *hdr = NULL;
    size_t hlen;
    uint64_t dlen;
#define WREFUSE(n, ts, nm, meta, sub)                                                        \
    do {                                                                                     \
        lit_clear_error();                                                                   \
        CHECK_EQ_INT(lit_safetensors_header((n), (ts), (nm), (meta), &hdr, &hlen, &dlen), LIT_ERR_INVALID_ARG); \
        CHECK(hdr == NULL);                                                                  \
        CHECK_STR_CONTAINS(lit_last_error(), (sub));                                         \
    } while (0)
    lit_st_tensor t[2] = {
        {.name = "w", .dtype = LIT_F32, .ndim = 1, .shape = {2}, .data = w},
        {.name = "w", .dtype = LIT_F32, .ndim = 1, .shape = {2}, .data = w},
    };
    WREFUSE(2, t, 0, NULL, "duplicate tensor name 'w'");
    t[1].name = "";
    WREFUSE(2, t, 0, NULL, "empty name");
    t[1].name = NULL;
    WREFUSE(2, t, 0, NULL, "NULL name");
    t[1].name = "__metadata__";
    WREFUSE(2, t, 0, NULL, "reserved");
    t[1].name = "bad\xff";
    WREFUSE(2, t, 0, NULL, "not valid UTF-8");
    t[1].name = "overlong\xc0\xaf";
    WREFUSE(2, t, 0, NULL, "not valid UTF-8");
    t[1].name = "surrogate\xed\xa0\x80";
    WREFUSE(2, t, 0, NULL, "not valid UTF-8");
    char longname[LIT_SAFETENSORS_MAX_NAME + 2];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    t[1].name = longname;
    WREFUSE(2, t, 0, NULL, "over the limit of 1024");
    longname[LIT_SAFETENSORS_MAX_NAME] = 0; /* exactly 1024 bytes: fine */
    CHECK_EQ_INT(lit_safetensors_header(2, t, 0, NULL, &hdr, &hlen, &dlen), LIT_OK);
    free(hdr);
    hdr = NULL;
    t[1].name = "v";
    t[1].shape[0] = -1;
    WREFUSE(2, t, 0, NULL, "shape[0] is -1");
    t[1].shape[0] = 2;
    t[1].ndim = LIT_MAX_DIMS + 1;
    WREFUSE(2, t, 0, NULL, "ndim 9");
    t[1].ndim = 1;
    t[1].data = NULL;
    WREFUSE(2, t, 0, NULL, "data is NULL");
    t[1].data = w;
    t[1].dtype = (lit_dtype)17;
    WREFUSE(2, t, 0, NULL, "not a lit_dtype");
    t[1].dtype = LIT_F32;
    t[1].ndim = 3;
    t[1].shape[0] = INT64_MAX;
    t[1].shape[1] = INT64_MAX;
    t[1].shape[2] = 1;
    WREFUSE(2, t, 0, NULL, "overflows");
    t[1].ndim = 1;
    t[1].shape[0] = 2;
    lit_st_meta m[2] = {{"k", "v"}, {"k", "w"}};
    WREFUSE(2, t, 2, m, "duplicate metadata key 'k'");
    m[1].key = "k2";
    m[1].value = "\xe2\x82";
    WREFUSE(2, t, 2, m, "metadata value of 'k2' is not valid UTF-8");
    m[1].value = NULL;
    WREFUSE(2, t, 2, m, "NULL value");
    m[1].value = "ok";
    CHECK_EQ_INT(lit_safetensors_header(2, t, 2, m, &hdr, &hlen, &dlen), LIT_OK);
    free(hdr);
    CHECK_EQ_INT(lit_safetensors_write_file(NULL, 2, t, 2, m), LIT_ERR_INVALID_ARG);
#undef WREFUSE
}

TEST(write_error_is_io) {
    FILE *f = fopen("/dev/full", "wb");
    if (!f) {
        printf("  skip: no /dev/full\n");
        return;
    }
    setvbuf(f, NULL, _IONBF, 0); /* so the write itself fails */
    static float big[4096];
    lit_st_tensor t = {.name = "w", .dtype = LIT_F32, .ndim = 1, .shape = {4096}, .data = big};
    CHECK_EQ_INT(lit_safetensors_write_file(f, 1, &t, 0, NULL), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "No space left on device");
    fclose(f);
}

TEST(open_errors) {
    lit_safetensors *st = (lit_safetensors *)1;
    CHECK_EQ_INT(lit_safetensors_open(&st, "/nonexistent/dir/x.safetensors"), LIT_ERR_NOT_FOUND);
    CHECK(st == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "/nonexistent/dir/x.safetensors: cannot open file: No such file");
    CHECK_EQ_INT(lit_safetensors_open(&st, "/tmp"), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "/tmp: the file is a directory; pass the path of a regular file");
    /* a corrupt file's message names its path */
    make_tmp_dir();
    char path[300];
    snprintf(path, sizeof path, "%s/short.safetensors", tmp_dir);
    FILE *f = fopen(path, "wb");
    fputs("abc", f);
    fclose(f);
    CHECK_EQ_INT(lit_safetensors_open(&st, path), LIT_ERR_CORRUPT);
    CHECK_STR_CONTAINS(lit_last_error(), path);
    CHECK_STR_CONTAINS(lit_last_error(), "shorter than the 8-byte header length");
    unlink(path);
}

/* ---------------------------------------------------------------- interop */

TEST(reads_python_safetensors_fixture) {
    lit_safetensors *st = NULL;
    const char *path = LITC_SOURCE_DIR "/tests/fixtures/reference.safetensors";
    CHECK_EQ_INT(lit_safetensors_open(&st, path), LIT_OK);
    if (!st) {
        printf("  %s\n", lit_last_error());
        return;
    }
    CHECK_EQ_INT(lit_safetensors_count(st), 6);
    CHECK_STR_EQ(lit_safetensors_meta(st, "format"), "pt");
    CHECK_STR_EQ(lit_safetensors_meta(st, "note"), "litc fixture \xc3\xa9\xe2\x9c\x93");

    const lit_st_tensor *t = lit_safetensors_find(st, "f32");
    CHECK(t && t->dtype == LIT_F32 && t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 3 && t->nbytes == 24);
    if (t)
        for (int i = 0; i < 6; i++) {
            float v;
            memcpy(&v, (const uint8_t *)t->data + 4 * i, 4);
            CHECK_NEAR(v, i * 0.5 - 1, 0);
        }
    t = lit_safetensors_find(st, "bf16");
    CHECK(t && t->dtype == LIT_BF16 && t->ndim == 1 && t->shape[0] == 4 && t->nbytes == 8);
    const uint16_t bf_bits[4] = {0x3F80, 0xC020, 0x3E20, 0x7F62};
    if (t)
        for (int i = 0; i < 4; i++) {
            uint16_t v;
            memcpy(&v, (const uint8_t *)t->data + 2 * i, 2);
            CHECK_EQ_INT(v, bf_bits[i]);
        }
    t = lit_safetensors_find(st, "i32");
    CHECK(t && t->dtype == LIT_I32 && t->ndim == 3 && t->shape[0] == 3 && t->shape[1] == 1 && t->shape[2] == 2);
    if (t)
        for (int i = 0; i < 6; i++) {
            int32_t v;
            memcpy(&v, (const uint8_t *)t->data + 4 * i, 4);
            CHECK_EQ_INT(v, i * 7 - 20);
        }
    t = lit_safetensors_find(st, "i64");
    CHECK(t && t->dtype == LIT_I64 && t->ndim == 1 && t->shape[0] == 2);
    if (t) {
        int64_t v[2];
        memcpy(v, t->data, 16);
        CHECK(v[0] == -(INT64_C(1) << 62) - 3);
        CHECK(v[1] == (INT64_C(1) << 40) + 5);
    }
    t = lit_safetensors_find(st, "scalar");
    CHECK(t && t->dtype == LIT_F32 && t->ndim == 0 && t->nbytes == 4);
    if (t) {
        float v;
        memcpy(&v, t->data, 4);
        CHECK_NEAR(v, 3.25, 0);
    }
    t = lit_safetensors_find(st, "empty");
    CHECK(t && t->dtype == LIT_F32 && t->ndim == 2 && t->shape[0] == 0 && t->shape[1] == 4 && t->nbytes == 0);
    /* Python sorts by dtype size then name: the I64 tensor comes first */
    CHECK_STR_EQ(lit_safetensors_at(st, 0)->name, "i64");
    lit_safetensors_free(st);
}

/* A python that can `import safetensors`, or NULL. */
static const char *find_python(void) {
    static char chosen[512];
    const char *env = getenv("LITC_PYTHON");
    if (env && (strcmp(env, "none") == 0 || strcmp(env, "") == 0)) return NULL; /* LITC_PYTHON=none: skip */
    const char *cands[] = {env, "python3", "/usr/bin/python3", "/opt/litc-ref-venv/bin/python"};
    for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
        if (!cands[i] || !*cands[i]) continue;
        char cmd[700];
        snprintf(cmd, sizeof cmd, "'%s' -c 'import safetensors, safetensors.numpy' >/dev/null 2>&1", cands[i]);
        if (system(cmd) == 0) {
            snprintf(chosen, sizeof chosen, "%s", cands[i]);
            return chosen;
        }
    }
    return NULL;
}

static const char *py_reader =
    "import sys\n"
    "from safetensors import deserialize, safe_open\n"
    "p = sys.argv[1]\n"
    "with safe_open(p, framework='numpy') as f:\n"
    "    for k, v in (f.metadata() or {}).items():\n"
    "        print('M', k.encode().hex() or '-', v.encode().hex() or '-')\n"
    "    raw = dict(deserialize(open(p, 'rb').read()))\n"
    "    for k in f.keys():\n"
    "        t = raw[k]\n"
    "        if t['dtype'] != 'BF16':\n"
    "            a = f.get_tensor(k)\n"
    "            assert a.tobytes() == bytes(t['data']) and list(a.shape) == list(t['shape']), k\n"
    "        print('T', k.encode().hex(), t['dtype'], ','.join(map(str, t['shape'])) or '-', bytes(t['data']).hex() or '-')\n"
    "print('DONE')\n";

static void hex(const void *p, size_t n, char *out) {
    const uint8_t *b = (const uint8_t *)p;
    if (n == 0) {
        strcpy(out, "-");
        return;
    }
    for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", b[i]);
}

TEST(python_reads_litc_file) {
    const char *py = find_python();
    if (!py) {
        SKIP("no python3 with the safetensors package (set LITC_PYTHON, or run scripts/deps.sh)");
        return;
    }
    float f32[6] = {0.5f, -1.25f, 3.0f, 1e-30f, -0.0f, 65504.0f};
    uint16_t bf16[3] = {0x3F80, 0xC020, 0x0001};
    int32_t i32[4] = {INT32_MIN, -1, 0, INT32_MAX};
    int64_t i64[3] = {INT64_MIN, 1234567890123LL, INT64_MAX};
    float scalar = 3.25f;
    lit_st_tensor ts[] = {
        {.name = "state_dict.w", .dtype = LIT_F32, .ndim = 2, .shape = {3, 2}, .data = f32},
        {.name = "bf", .dtype = LIT_BF16, .ndim = 1, .shape = {3}, .data = bf16},
        {.name = "ints", .dtype = LIT_I32, .ndim = 2, .shape = {2, 2}, .data = i32},
        {.name = "longs", .dtype = LIT_I64, .ndim = 1, .shape = {3}, .data = i64},
        {.name = "scalar", .dtype = LIT_F32, .ndim = 0, .data = &scalar},
        {.name = "empty", .dtype = LIT_F32, .ndim = 2, .shape = {0, 3}, .data = NULL},
        {.name = "caf\xc3\xa9", .dtype = LIT_I32, .ndim = 1, .shape = {1}, .data = i32},
    };
    int n = (int)(sizeof ts / sizeof ts[0]);
    lit_st_meta meta[] = {{"format", "pt"}, {"loops", "{\"a\": [1, 2]}\n"}, {"\xe2\x9c\x93", "\xf0\x9f\x98\x80"}};
    int nm = 3;
    make_tmp_dir();
    char path[300], script[300];
    snprintf(path, sizeof path, "%s/py.safetensors", tmp_dir);
    snprintf(script, sizeof script, "%s/reader.py", tmp_dir);
    FILE *f = fopen(path, "wb");
    CHECK_EQ_INT(lit_safetensors_write_file(f, n, ts, nm, meta), LIT_OK);
    fclose(f);
    f = fopen(script, "w");
    fputs(py_reader, f);
    fclose(f);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' 2>&1", py, script, path);
    FILE *p = popen(cmd, "r");
    CHECK(p != NULL);
    if (!p) return;
    static char line[8192], want[8192];
    int seen_t = 0, seen_m = 0, done = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = 0;
        char kind[4], a[4096], b[4096], c[512], d[4096];
        if (strcmp(line, "DONE") == 0) {
            done = 1;
        } else if (sscanf(line, "M %4095s %4095s", a, b) == 2 && line[0] == 'M') {
            int found = 0;
            for (int i = 0; i < nm; i++) {
                char hk[512], hv[512];
                hex(meta[i].key, strlen(meta[i].key), hk);
                hex(meta[i].value, strlen(meta[i].value), hv);
                if (strcmp(hk, a) == 0) {
                    found = 1;
                    CHECK_STR_EQ(b, hv);
                }
            }
            CHECK_MSG(found, "python saw unknown metadata key %s", a);
            seen_m++;
        } else if (sscanf(line, "%3s %4095s %511s %4095s %4095s", kind, a, c, b, d) == 5 && strcmp(kind, "T") == 0) {
            int found = 0;
            for (int i = 0; i < n; i++) {
                char hn[512];
                hex(ts[i].name, strlen(ts[i].name), hn);
                if (strcmp(hn, a) != 0) continue;
                found = 1;
                CHECK_STR_EQ(c, lit_safetensors_dtype_name(ts[i].dtype));
                char shape[256] = "";
                size_t nb = lit_dtype_size(ts[i].dtype);
                for (int k = 0; k < ts[i].ndim; k++) {
                    snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%lld", k ? "," : "",
                             (long long)ts[i].shape[k]);
                    nb *= (size_t)ts[i].shape[k];
                }
                CHECK_STR_EQ(b, ts[i].ndim ? shape : "-");
                hex(ts[i].data, nb, want);
                CHECK_STR_EQ(d, want);
            }
            CHECK_MSG(found, "python saw unknown tensor %s", a);
            seen_t++;
        } else {
            printf("  python: %s\n", line);
        }
    }
    int rc = pclose(p);
    CHECK_EQ_INT(rc, 0);
    CHECK(done);
    CHECK_EQ_INT(seen_t, n);
    CHECK_EQ_INT(seen_m, nm);
    printf("  read back by %s: %d tensors, %d metadata entries\n", py, seen_t, seen_m);
    unlink(path);
    unlink(script);
}

/* ---------------------------------------------------------------- hostile */

TEST(header_length_checks) {
    uint8_t buf[24] = {0};
    EXPECT_REFUSED(buf, 0, LIT_ERR_CORRUPT, "shorter than the 8-byte header length");
    EXPECT_REFUSED(buf, 7, LIT_ERR_CORRUPT, "7 bytes, shorter");
    EXPECT_REFUSED(buf, 8, LIT_ERR_CORRUPT, "header length is 0");
    EXPECT_REFUSED(buf, 24, LIT_ERR_CORRUPT, "header length is 0");
    buf[0] = 17; /* 17 > 24 - 8 */
    EXPECT_REFUSED(buf, 24, LIT_ERR_CORRUPT, "header length 17 runs past the end of the 24-byte file");
    uint64_t big = 100u * 1000u * 1000u + 1;
    for (int i = 0; i < 8; i++) buf[i] = (uint8_t)(big >> (8 * i));
    EXPECT_REFUSED(buf, 24, LIT_ERR_CORRUPT, "over the 100000000-byte limit");
    memset(buf, 0, 8);
    buf[7] = 0x80; /* 2^63 */
    EXPECT_REFUSED(buf, 24, LIT_ERR_CORRUPT, "header length 9223372036854775808 is over");
    memset(buf, 0xFF, 8); /* 2^64 - 1 */
    EXPECT_REFUSED(buf, 24, LIT_ERR_CORRUPT, "is over");
    lit_safetensors *h = (lit_safetensors *)1;
    CHECK_EQ_INT(lit_safetensors_parse(&h, NULL, 5, NULL), LIT_ERR_INVALID_ARG);
    CHECK_EQ_INT(lit_safetensors_parse(&h, NULL, 0, NULL), LIT_ERR_CORRUPT);
    CHECK_STR_CONTAINS(lit_last_error(), "safetensors data: ");
}

TEST(offsets_layout_checks) {
    const char *w = "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":";
    char j[512];
#define J(...) (snprintf(j, sizeof j, __VA_ARGS__), j)
    ACCEPT(J("{%s[0,8]}}", w), 8, 1);
    REFUSE(J("{%s[0,8]}}", w), 4, LIT_ERR_CORRUPT, "end outside the 4-byte data buffer");
    REFUSE(J("{%s[0,8]}}", w), 9, LIT_ERR_CORRUPT, "1 trailing bytes after the last tensor");
    REFUSE(J("{%s[4,12]}}", w), 12, LIT_ERR_CORRUPT, "4-byte hole at the start of the data buffer before tensor 'w'");
    REFUSE(J("{%s[8,0]}}", w), 8, LIT_ERR_CORRUPT, "end before they begin");
    REFUSE(J("{%s[-8,0]}}", w), 8, LIT_ERR_CORRUPT, "negative");
    REFUSE(J("{%s[0,4]}}", w), 4, LIT_ERR_CORRUPT, "hold 4 bytes but 2 elements of F32 need 8");
    REFUSE(J("{%s[0,12]}}", w), 12, LIT_ERR_CORRUPT, "hold 12 bytes but");
    REFUSE(J("{%s[0]}}", w), 8, LIT_ERR_CORRUPT, "expected [begin, end]");
    REFUSE(J("{%s[0,8,9]}}", w), 8, LIT_ERR_CORRUPT, "expected [begin, end]");
    REFUSE(J("{%s[0,8.0]}}", w), 8, LIT_ERR_CORRUPT, "holds a JSON real number");
    REFUSE(J("{%s{\"a\":1}}}", w), 8, LIT_ERR_CORRUPT, "\"data_offsets\" is a JSON object");
    REFUSE(J("{%s[0,18446744073709551616]}}", w), 8, LIT_ERR_CORRUPT, "not valid JSON");
    REFUSE(J("{%s[0,9223372036854775807]}}", w), 8, LIT_ERR_CORRUPT, "end outside");
    /* two tensors: overlap, hole, exact */
    const char *v = "\"v\":{\"dtype\":\"I32\",\"shape\":[1],\"data_offsets\":";
    ACCEPT(J("{%s[0,8]},%s[8,12]}}", w, v), 12, 2);
    ACCEPT(J("{%s[4,12]},%s[0,4]}}", w, v), 12, 2); /* file order need not be offset order */
    REFUSE(J("{%s[0,8]},%s[4,8]}}", w, v), 8, LIT_ERR_CORRUPT, "tensor 'v': data_offsets [4, 8] overlap tensor 'w'");
    REFUSE(J("{%s[0,8]},%s[0,4]}}", w, v), 8, LIT_ERR_CORRUPT, "overlap");
    REFUSE(J("{%s[0,8]},%s[10,14]}}", w, v), 14, LIT_ERR_CORRUPT, "2-byte hole in the data buffer between tensor 'w'");
    /* empty tensors at the same offset are fine; inside another tensor they overlap */
    const char *e = "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":";
    ACCEPT(J("{%s[8,8]},%s[0,8]}}", e, w), 8, 2);
    ACCEPT(J("{%s[0,0]},%s[0,8]}}", e, w), 8, 2);
    REFUSE(J("{%s[4,4]},%s[0,8]}}", e, w), 8, LIT_ERR_CORRUPT, "overlap tensor 'w'");
    REFUSE(J("{%s[9,9]},%s[0,8]}}", e, w), 8, LIT_ERR_CORRUPT, "end outside");
}

TEST(shape_and_dtype_checks) {
    char j[600];
    const char *pre = "{\"w\":{\"dtype\":\"F32\",\"shape\":";
    REFUSE(J("%s[-1],\"data_offsets\":[0,0]}}", pre), 0, LIT_ERR_CORRUPT, "shape[0] is -1; dimensions must be >= 0");
    REFUSE(J("%s[2.0],\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT, "shape[0] is a JSON real number");
    REFUSE(J("%s[1e30],\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT, "real number");
    REFUSE(J("%s[\"2\"],\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT, "shape[0] is a JSON string");
    REFUSE(J("%s[true],\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT, "shape[0] is a JSON true");
    REFUSE(J("%s2,\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT, "\"shape\" is a JSON integer");
    REFUSE(J("%s[99999999999999999999],\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT, "not valid JSON");
    REFUSE(J("%s[9223372036854775807],\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT, "overflow 64 bits");
    REFUSE(J("%s[4294967296,4294967296],\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT,
           "element count of its 2-dim shape overflows");
    REFUSE(J("%s[4294967296,4294967296,0],\"data_offsets\":[0,0]}}", pre), 0, LIT_ERR_CORRUPT, "overflows");
    ACCEPT(J("%s[0,4294967296,4294967296],\"data_offsets\":[0,0]}}", pre), 0, 1); /* left fold: 0 */
    /* partial products must fit in int64_t: 2^62 * 2 = 2^63 does not, even times 0 */
    REFUSE(J("%s[4611686018427387904,2,0],\"data_offsets\":[0,0]}}", pre), 0, LIT_ERR_CORRUPT, "overflows 63 bits");
    ACCEPT(J("%s[4611686018427387904,1,0],\"data_offsets\":[0,0]}}", pre), 0, 1);
    REFUSE(J("%s[2305843009213693952],\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT,
           "overflow 64 bits of byte count");
    ACCEPT(J("%s[],\"data_offsets\":[0,4]}}", pre), 4, 1);
    REFUSE(J("%s[],\"data_offsets\":[0,8]}}", pre), 8, LIT_ERR_CORRUPT, "1 elements of F32 need 4");
    REFUSE(J("%s[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", pre), 4, LIT_ERR_UNSUPPORTED,
           "9 dimensions; litc tensors have at most 8");
    ACCEPT(J("%s[1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", pre), 4, 1);
    /* dtypes */
    REFUSE("{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, LIT_ERR_UNSUPPORTED,
           "tensor 'w': dtype \"F16\" is valid safetensors but litc cannot hold it");
    REFUSE("{\"w\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, LIT_ERR_UNSUPPORTED, "\"F64\"");
    REFUSE("{\"w\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, LIT_ERR_CORRUPT,
           "hold 8 bytes but 2 elements of F16 need 4"); /* corrupt wins over unsupported */
    REFUSE("{\"w\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, LIT_ERR_UNSUPPORTED,
           "dtype \"Q4\" is unknown");
    REFUSE("{\"w\":{\"dtype\":\"f32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, LIT_ERR_UNSUPPORTED, "unknown");
    REFUSE("{\"w\":{\"dtype\":32,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, LIT_ERR_CORRUPT,
           "\"dtype\" is a JSON integer");
    /* entry structure */
    REFUSE("{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, LIT_ERR_CORRUPT, "tensor 'w': missing \"dtype\"");
    REFUSE("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, LIT_ERR_CORRUPT, "missing \"shape\"");
    REFUSE("{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, LIT_ERR_CORRUPT, "missing \"data_offsets\"");
    REFUSE("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8],\"x\":1}}", 8, LIT_ERR_CORRUPT,
           "unknown key \"x\"");
    REFUSE("{\"w\":[1,2]}", 0, LIT_ERR_CORRUPT, "tensor 'w': entry is a JSON array");
    REFUSE("{\"\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4, LIT_ERR_CORRUPT, "empty name");
    char longj[1400];
    snprintf(longj, sizeof longj, "{\"%01025d\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 0);
    REFUSE(longj, 4, LIT_ERR_CORRUPT, "is 1025 bytes, over the limit of 1024");
#undef J
}

TEST(json_checks) {
    REFUSE("[]", 0, LIT_ERR_CORRUPT, "header is a JSON array; expected an object");
    REFUSE("\"str\"", 0, LIT_ERR_CORRUPT, "not valid JSON: '[' or '{' expected");
    REFUSE("5", 0, LIT_ERR_CORRUPT, "not valid JSON");
    REFUSE("null", 0, LIT_ERR_CORRUPT, "not valid JSON");
    REFUSE("{", 0, LIT_ERR_CORRUPT, "not valid JSON");
    REFUSE("", 0, LIT_ERR_CORRUPT, "header length is 0");
    REFUSE("   ", 0, LIT_ERR_CORRUPT, "not valid JSON");
    REFUSE("{} x", 0, LIT_ERR_CORRUPT, "not valid JSON");
    REFUSE("{}{}", 0, LIT_ERR_CORRUPT, "not valid JSON");
    REFUSE("{'a':1}", 0, LIT_ERR_CORRUPT, "not valid JSON");
    REFUSE("{\"a\":1,}", 0, LIT_ERR_CORRUPT, "not valid JSON");
    ACCEPT("{}", 0, 0);
    ACCEPT("  {}  \n\t", 0, 0);
    /* duplicate keys, at the top and inside metadata and entries */
    const char *w = "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
    char j[512];
    snprintf(j, sizeof j, "{%s,%s}", w, w);
    REFUSE(j, 4, LIT_ERR_CORRUPT, "duplicate");
    REFUSE("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0, LIT_ERR_CORRUPT, "duplicate");
    REFUSE("{\"__metadata__\":{},\"__metadata__\":{}}", 0, LIT_ERR_CORRUPT, "duplicate");
    REFUSE("{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, LIT_ERR_CORRUPT,
           "duplicate");
    /* metadata */
    REFUSE("{\"__metadata__\":{\"epoch\":3}}", 0, LIT_ERR_CORRUPT,
           "\"__metadata__\" key 'epoch' is a JSON integer; metadata values must be strings");
    REFUSE("{\"__metadata__\":{\"a\":{\"b\":\"c\"}}}", 0, LIT_ERR_CORRUPT, "key 'a' is a JSON object");
    REFUSE("{\"__metadata__\":{\"a\":null}}", 0, LIT_ERR_CORRUPT, "key 'a' is a JSON null");
    REFUSE("{\"__metadata__\":[\"a\"]}", 0, LIT_ERR_CORRUPT, "\"__metadata__\" is a JSON array");
    REFUSE("{\"__metadata__\":\"x\"}", 0, LIT_ERR_CORRUPT, "\"__metadata__\" is a JSON string");
    ACCEPT("{\"__metadata__\":null}", 0, 0);
    ACCEPT("{\"__metadata__\":{}}", 0, 0);
    /* UTF-8 and NUL bytes */
    REFUSE("{\"__metadata__\":{\"a\":\"\xff\"}}", 0, LIT_ERR_CORRUPT, "not valid UTF-8 (byte 0xff at header offset 22)");
    REFUSE("{\"__metadata__\":{\"a\":\"\xc0\x80\"}}", 0, LIT_ERR_CORRUPT, "not valid UTF-8");     /* overlong NUL */
    REFUSE("{\"__metadata__\":{\"a\":\"\xed\xa0\x80\"}}", 0, LIT_ERR_CORRUPT, "not valid UTF-8"); /* surrogate */
    REFUSE("{\"__metadata__\":{\"a\":\"\xf4\x90\x80\x80\"}}", 0, LIT_ERR_CORRUPT, "not valid UTF-8"); /* > U+10FFFF */
    REFUSE("{\"__metadata__\":{\"a\":\"\xe2\x82\"}}", 0, LIT_ERR_CORRUPT, "not valid UTF-8");     /* truncated */
    REFUSE("{\"__metadata__\":{\"a\":\"\\u0000\"}}", 0, LIT_ERR_CORRUPT, "not valid JSON");       /* escaped NUL */
    REFUSE("{\"__metadata__\":{\"a\":\"\\ud800\"}}", 0, LIT_ERR_CORRUPT, "not valid JSON");       /* lone surrogate */
    REFUSE("{\"__metadata__\":{\"a\":\"\x01\"}}", 0, LIT_ERR_CORRUPT, "not valid JSON");          /* raw control */
    ACCEPT("{\"__metadata__\":{\"a\":\"\\ud83d\\ude00 \xc3\xa9\"}}", 0, 0);
    {
        const char hdr[] = "{\"__metadata__\":{\"a\":\"x\0y\"}}";
        size_t hn = sizeof hdr - 1, len = 8 + hn;
        uint8_t *p = calloc(1, len);
        p[0] = (uint8_t)hn;
        memcpy(p + 8, hdr, hn);
        EXPECT_REFUSED(p, len, LIT_ERR_CORRUPT, "NUL byte at header offset 23");
        free(p);
    }
    /* padding with NULs (as some broken writers do) is refused too */
    {
        const char hdr[] = "{}\0\0\0\0\0\0";
        uint8_t p[16] = {8};
        memcpy(p + 8, hdr, 8);
        EXPECT_REFUSED(p, 16, LIT_ERR_CORRUPT, "NUL byte at header offset 2");
    }
}

TEST(deep_nesting) {
    /* 10^6 '[' : refused by the pre-scan, never recursed into */
    size_t depth = 1000000, len = 8 + depth;
    uint8_t *p = malloc(len);
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)((uint64_t)depth >> (8 * i));
    memset(p + 8, '[', depth);
    EXPECT_REFUSED(p, len, LIT_ERR_CORRUPT, "nests JSON deeper than 16 levels");
    memset(p + 8, '{', depth);
    EXPECT_REFUSED(p, len, LIT_ERR_CORRUPT, "deeper than");
    /* balanced deep nesting inside a metadata value and an entry */
    for (size_t i = 0; i < depth / 2; i++) p[8 + i] = '[';
    for (size_t i = depth / 2; i < depth; i++) p[8 + i] = ']';
    EXPECT_REFUSED(p, len, LIT_ERR_CORRUPT, "deeper than");
    free(p);
    char j[256];
    snprintf(j, sizeof j, "{\"__metadata__\":{\"a\":%s}}", "[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]");
    REFUSE(j, 0, LIT_ERR_CORRUPT, "deeper than 16 levels");
    /* brackets inside strings do not count */
    ACCEPT("{\"__metadata__\":{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{{{\\\"[[[[[[[[[[[[[[[[[[[\"}}", 0, 0);
    /* within the limit but the wrong shape: refused by the schema */
    REFUSE("{\"__metadata__\":{\"a\":[[[[[[[[[[]]]]]]]]]]}}", 0, LIT_ERR_CORRUPT, "is a JSON array");
}

/* Consistency of a handle that parsed: offsets sorted, inside the buffer,
 * covering it; find() agrees with at(); metadata strings readable. */
static int consistent(const lit_safetensors *st) {
    size_t dlen;
    const uint8_t *data = lit_safetensors_data(st, &dlen);
    size_t at = 0;
    for (int i = 0; i < lit_safetensors_count(st); i++) {
        const lit_st_tensor *t = lit_safetensors_at(st, i);
        size_t b = (size_t)((const uint8_t *)t->data - data);
        if (b != at || b + t->nbytes > dlen) return 0;
        size_t nb = lit_dtype_size(t->dtype);
        for (int d = 0; d < t->ndim; d++) nb *= (size_t)t->shape[d];
        if (nb != t->nbytes) return 0;
        if (lit_safetensors_find(st, t->name) != t) return 0;
        at += t->nbytes;
    }
    if (at != dlen) return 0;
    for (int i = 0; i < lit_safetensors_meta_count(st); i++) {
        const lit_st_meta *m = lit_safetensors_meta_at(st, i);
        if (lit_safetensors_meta(st, m->key) != m->value) return 0;
    }
    return 1;
}

TEST(every_truncation_is_refused) {
    size_t len;
    uint8_t *img = small_file(&len);
    CHECK(img != NULL);
    if (!img) return;
    lit_safetensors *st = NULL;
    CHECK_EQ_INT(lit_safetensors_parse(&st, img, len, NULL), LIT_OK);
    CHECK(st && consistent(st));
    lit_safetensors_free(st);
    int bad = 0;
    for (size_t cut = 0; cut < len; cut++) {
        lit_clear_error();
        lit_status s = parse_copy(img, cut, &st);
        harness_checks_++;
        if (s != LIT_ERR_CORRUPT || lit_last_error()[0] == 0) {
            if (bad++ < 5) HARNESS_FAIL_("truncated to %zu of %zu bytes: %s \"%s\"", cut, len, lit_status_name(s), lit_last_error());
        }
    }
    printf("  %zu truncations of a %zu-byte file refused\n", len, len);
    free(img);
}

TEST(every_bit_flip_refused_or_consistent) {
    size_t len;
    uint8_t *img = small_file(&len);
    if (!img) return;
    uint8_t *c = malloc(len);
    int refused = 0, parsed = 0, bad = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(c, img, len);
            c[i] ^= (uint8_t)(1u << bit);
            lit_safetensors *st = NULL;
            lit_clear_error();
            lit_status s = lit_safetensors_parse(&st, c, len, "flip");
            harness_checks_++;
            if (s == LIT_OK) {
                parsed++;
                if (!consistent(st) && bad++ < 5) HARNESS_FAIL_("flip byte %zu bit %d: inconsistent result", i, bit);
                lit_safetensors_free(st);
            } else {
                refused++;
                if ((s != LIT_ERR_CORRUPT && s != LIT_ERR_UNSUPPORTED) || st != NULL ||
                    strncmp(lit_last_error(), "flip: ", 6) != 0) {
                    if (bad++ < 5)
                        HARNESS_FAIL_("flip byte %zu bit %d: %s \"%s\"", i, bit, lit_status_name(s), lit_last_error());
                }
            }
        }
    }
    printf("  %zu single-bit flips: %d refused, %d still valid (data bytes, names, metadata text)\n", len * 8,
           refused, parsed);
    CHECK(refused > 0 && parsed > 0);
    free(c);
    free(img);
}

TEST(random_garbage_never_crashes) {
    lit_rng rng = lit_rng_new(2024);
    size_t len;
    uint8_t *img = small_file(&len);
    if (!img) return;
    uint8_t *c = malloc(len);
    for (int it = 0; it < 3000; it++) {
        memcpy(c, img, len);
        int k = 1 + (int)lit_rng_below(&rng, 6);
        for (int j = 0; j < k; j++) c[lit_rng_below(&rng, len)] = (uint8_t)lit_rng_u32(&rng);
        lit_safetensors *st = NULL;
        size_t l = it % 3 == 0 ? (size_t)lit_rng_below(&rng, len + 1) : len;
        lit_status s = parse_copy(c, l, &st);
        harness_checks_++;
        if (s != LIT_OK && s != LIT_ERR_CORRUPT && s != LIT_ERR_UNSUPPORTED) HARNESS_FAIL_("status %d", s);
    }
    free(c);
    free(img);
}

/* The fuzzer's seed corpus: valid-* parse, invalid-* are refused. */
TEST(fuzz_corpus_replay) {
    const char *dir = LITC_SOURCE_DIR "/fuzz/corpus/safetensors";
    DIR *d = opendir(dir);
    CHECK_MSG(d != NULL, "cannot open %s", dir);
    if (!d) return;
    struct dirent *de;
    int files = 0;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.') continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        lit_safetensors *st = NULL;
        lit_status s = lit_safetensors_open(&st, path);
        files++;
        if (strncmp(de->d_name, "valid-", 6) == 0) {
            CHECK_MSG(s == LIT_OK && consistent(st), "%s: %s %s", de->d_name, lit_status_name(s), lit_last_error());
        } else {
            CHECK_MSG(s == LIT_ERR_CORRUPT || s == LIT_ERR_UNSUPPORTED, "%s: %s", de->d_name, lit_status_name(s));
        }
        lit_safetensors_free(st);
    }
    closedir(d);
    CHECK(files >= 4);
}

int main(void) {
    RUN(round_trip_all_dtypes_scalars_empty_metadata);
    RUN(dtype_names);
    RUN(header_bytes_and_alignment);
    RUN(writer_refuses_bad_input);
    RUN(write_error_is_io);
    RUN(open_errors);
    RUN(reads_python_safetensors_fixture);
    RUN(python_reads_litc_file);
    RUN(header_length_checks);
    RUN(offsets_layout_checks);
    RUN(shape_and_dtype_checks);
    RUN(json_checks);
    RUN(deep_nesting);
    RUN(every_truncation_is_refused);
    RUN(every_bit_flip_refused_or_consistent);
    RUN(random_garbage_never_crashes);
    RUN(fuzz_corpus_replay);
    if (tmp_dir[0]) rmdir(tmp_dir);
    return harness_summary();
}
