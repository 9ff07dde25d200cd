/* fuzz/fuzz-config.c — libFuzzer target for the YAML config loader.
 *
 * Every input goes through lit_config_load_buffer. On failure the status
 * must be LIT_ERR_CONFIG or LIT_ERR_NOMEM with a message. On success: the
 * dump must read back into an equal tree (and dump again to the same
 * bytes); every node is read with each typed getter and its path; the
 * first line is tried as a command-line override; the config is resolved
 * and, when that succeeds, dumped and re-read again; the trainer section
 * is bound. Violations abort. Run by the CTest test fuzz-config
 * (add_litc_fuzzer). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/config-trainer.h"

#define REQUIRE(cond)                                                                 \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "fuzz-config: %s failed (line %d): %s\n", #cond, __LINE__, \
                    lit_last_error());                                                \
            abort();                                                                  \
        }                                                                             \
    } while (0)

static void touch(const lit_config_node *n, int depth) {
    REQUIRE(depth <= LIT_CONFIG_MAX_DEPTH);
    char path[128];
    (void)lit_config_node_path(n, path, sizeof path);
    lit_config_pos p = lit_config_node_pos(n);
    REQUIRE(p.file != NULL && p.line >= 1 && p.col >= 1);
    int64_t i;
    double d;
    int b;
    const char *s;
    lit_config_type t = lit_config_node_type(n);
    lit_status st = lit_config_get_int(n, &i);
    REQUIRE(st == LIT_OK || st == LIT_ERR_CONFIG);
    REQUIRE(st != LIT_OK || t == LIT_CONFIG_INT);
    st = lit_config_get_double(n, &d);
    REQUIRE(st == LIT_OK || st == LIT_ERR_CONFIG);
    st = lit_config_get_bool(n, &b);
    REQUIRE(st == (t == LIT_CONFIG_BOOL ? LIT_OK : LIT_ERR_CONFIG));
    st = lit_config_get_string(n, &s);
    REQUIRE(st == LIT_OK || st == LIT_ERR_CONFIG);
    for (int k = 0; k < lit_config_map_size(n); k++) {
        REQUIRE(lit_config_map_find(n, lit_config_map_key(n, k)) == lit_config_map_value(n, k));
        touch(lit_config_map_value(n, k), depth + 1);
    }
    for (int k = 0; k < lit_config_list_size(n); k++) touch(lit_config_list_item(n, k), depth + 1);
}

/* dump -> load -> equal; the second dump is byte-identical. */
static void roundtrip(const lit_config *cfg) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    REQUIRE(f != NULL);
    lit_status st = lit_config_dump(cfg, f);
    fclose(f);
    REQUIRE(st == LIT_OK);
    lit_config *back = NULL;
    st = lit_config_load_buffer(&back, buf, len, "dump");
    if (st != LIT_OK) fprintf(stderr, "---- dump ----\n%s\n", buf);
    REQUIRE(st == LIT_OK);
    REQUIRE(lit_config_node_equal(lit_config_root(cfg), lit_config_root(back)));
    char *buf2 = NULL;
    size_t len2 = 0;
    f = open_memstream(&buf2, &len2);
    REQUIRE(f != NULL);
    REQUIRE(lit_config_dump(back, f) == LIT_OK);
    fclose(f);
    REQUIRE(len == len2 && memcmp(buf, buf2, len) == 0);
    free(buf2);
    free(buf);
    lit_config_free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    lit_config *cfg = NULL;
    lit_status st = lit_config_load_buffer(&cfg, data, size, "fuzz");
    if (st != LIT_OK) {
        REQUIRE(cfg == NULL);
        REQUIRE(st == LIT_ERR_CONFIG || st == LIT_ERR_NOMEM);
        REQUIRE(lit_last_error()[0] != 0);
        return 0;
    }
    touch(lit_config_root(cfg), 0);
    roundtrip(cfg);

    /* The first line as an override ("a.b=value"). */
    const uint8_t *nl = memchr(data, '\n', size);
    size_t n = nl ? (size_t)(nl - data) : size;
    if (n < 512 && !memchr(data, 0, n)) {
        char arg[512];
        memcpy(arg, data, n);
        arg[n] = 0;
        st = lit_config_set_override(cfg, arg);
        REQUIRE(st == LIT_OK || st == LIT_ERR_CONFIG);
        if (st == LIT_OK) touch(lit_config_root(cfg), 0);
    }

    st = lit_config_resolve(cfg);
    REQUIRE(st == LIT_OK || st == LIT_ERR_CONFIG);
    if (st == LIT_OK) roundtrip(cfg);
    touch(lit_config_root(cfg), 0);

    lit_trainer_params p = lit_trainer_default_params();
    st = lit_config_bind_trainer(lit_config_get(cfg, "trainer"), &p);
    REQUIRE(st == LIT_OK || st == LIT_ERR_CONFIG || st == LIT_ERR_UNSUPPORTED);
    lit_config_free(cfg);
    return 0;
}
