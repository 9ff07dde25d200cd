/* fuzz/fuzz-safetensors.c — libFuzzer target for the safetensors reader.
 *
 * Every input is parsed by lit_safetensors_parse from a buffer of exactly its
 * size (ASan flags any read past it). On success every tensor's bytes and
 * every metadata string are read, find() must return each tensor, and the
 * layout must be what the reader promises (sorted, contiguous, covering the
 * buffer, nbytes = numel * dtype size); on failure the status must be
 * CORRUPT or UNSUPPORTED with a message. The same bytes are also read as a
 * file (a memfd opened through /proc/self/fd) by lit_safetensors_open,
 * which checks the header before it reads the data: it must come to the
 * same verdict and the same bytes. Any violation aborts (a crash for
 * libFuzzer). Built with clang -fsanitize=fuzzer,address,undefined by CMake
 * (add_litc_fuzzer) and run by the CTest test fuzz-safetensors. */
#define _GNU_SOURCE /* memfd_create */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "litc/safetensors.h"

static size_t dtype_size(lit_dtype dt) {
    switch (dt) {
    case LIT_F32: return 4;
    case LIT_BF16: return 2;
    case LIT_I32: return 4;
    case LIT_I64: return 8;
    default: return 0;
    }
}

#define REQUIRE(cond)                                                              \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "fuzz-safetensors: %s failed (line %d)\n", #cond, __LINE__); \
            abort();                                                               \
        }                                                                          \
    } while (0)

/* lit_safetensors_open on a file holding the input agrees with the parse
 * of the buffer: the same status and, on success, the same tensors. */
static void check_file_reader(const uint8_t *data, size_t size, lit_status parsed, const lit_safetensors *mem) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("fuzz-safetensors", 0);
        if (fd < 0) return; /* no memfd: the buffer checks still run */
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    REQUIRE(ftruncate(fd, 0) == 0);
    REQUIRE(size == 0 || pwrite(fd, data, size, 0) == (ssize_t)size);
    lit_safetensors *st = NULL;
    lit_status rc = lit_safetensors_open(&st, path);
    REQUIRE(rc == parsed);
    if (rc != LIT_OK) {
        REQUIRE(st == NULL && strncmp(lit_last_error(), path, strlen(path)) == 0);
        return;
    }
    REQUIRE(lit_safetensors_count(st) == lit_safetensors_count(mem));
    REQUIRE(lit_safetensors_meta_count(st) == lit_safetensors_meta_count(mem));
    for (int i = 0; i < lit_safetensors_count(st); i++) {
        const lit_st_tensor *a = lit_safetensors_at(st, i), *b = lit_safetensors_at(mem, i);
        REQUIRE(strcmp(a->name, b->name) == 0 && a->nbytes == b->nbytes);
        REQUIRE(a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0);
    }
    lit_safetensors_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lit_safetensors *st = NULL;
    lit_status rc = lit_safetensors_parse(&st, data, size, "fuzz");
    char msg[64];
    snprintf(msg, sizeof msg, "%s", rc != LIT_OK ? lit_last_error() : "");
    check_file_reader(data, size, rc, st);
    if (rc != LIT_OK) {
        REQUIRE(st == NULL);
        REQUIRE(rc == LIT_ERR_CORRUPT || rc == LIT_ERR_UNSUPPORTED || rc == LIT_ERR_NOMEM);
        REQUIRE(strncmp(msg, "fuzz: ", 6) == 0);
        return 0;
    }
    size_t dlen;
    const uint8_t *buf = lit_safetensors_data(st, &dlen);
    REQUIRE(buf >= data && buf + dlen == data + size);
    volatile uint8_t sink = 0;
    size_t at = 0;
    for (int i = 0; i < lit_safetensors_count(st); i++) {
        const lit_st_tensor *t = lit_safetensors_at(st, i);
        REQUIRE(t->name && t->name[0] && strlen(t->name) <= LIT_SAFETENSORS_MAX_NAME);
        REQUIRE(t->ndim >= 0 && t->ndim <= LIT_MAX_DIMS);
        size_t nb = dtype_size(t->dtype);
        REQUIRE(nb > 0);
        for (int d = 0; d < t->ndim; d++) {
            REQUIRE(t->shape[d] >= 0);
            nb *= (size_t)t->shape[d]; /* no overflow: bounded by the buffer when nonzero */
        }
        REQUIRE(nb == t->nbytes);
        REQUIRE((const uint8_t *)t->data == buf + at);
        for (size_t k = 0; k < t->nbytes; k++) sink ^= ((const uint8_t *)t->data)[k];
        REQUIRE(lit_safetensors_find(st, t->name) == t);
        at += t->nbytes;
    }
    REQUIRE(at == dlen);
    for (int i = 0; i < lit_safetensors_meta_count(st); i++) {
        const lit_st_meta *m = lit_safetensors_meta_at(st, i);
        for (const char *p = m->key; *p; p++) sink ^= (uint8_t)*p;
        for (const char *p = m->value; *p; p++) sink ^= (uint8_t)*p;
        REQUIRE(lit_safetensors_meta(st, m->key) == m->value);
    }
    (void)sink;
    lit_safetensors_free(st);
    return 0;
}
