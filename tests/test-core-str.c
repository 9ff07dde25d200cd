/*
 * tests/test-core-str.c — core's shared small helpers (str-impl.h,
 * path-impl.h's lit__mkdirs), one copy each instead of the per-file copies
 * that had drifted apart:
 *   - lit__py_repr_str against Python 3.11's repr() (expectations printed by
 *     CPython: quotes, backslashes, \t \n \r, control bytes, non-printable
 *     Unicode as \x \u \U, printable Unicode as written);
 *   - EarlyStopping's and ModelCheckpoint's state_key use it: both escape a
 *     monitor alike and as Lightning does (EarlyStopping wrote a raw newline,
 *     both cut monitors past ~590 bytes); for printable monitors the key text
 *     is the one earlier versions saved; for other monitors resume also
 *     looks under the earlier text (lit__py_repr_str_legacy);
 *   - lit__utf8_invalid_at (safetensors headers, config values);
 *   - lit__strdup, lit__mkdirs.
 */
#include <errno.h>
#include <sys/stat.h>

#include "harness.h"
#include "tmp-dir.h"

#include "core/path-impl.h"
#include "core/str-impl.h"

TEST(py_repr_matches_python) {
    /* {input, repr(input)} as CPython 3.11 prints them */
    static const char *const cases[][2] = {
        {"val/loss", "'val/loss'"},
        {"it's", "\"it's\""},
        {"say \"hi\"", "'say \"hi\"'"},
        {"both ' and \"", "'both \\' and \"'"},
        {"back\\slash", "'back\\\\slash'"},
        {"a\x0a""b\x09""c\x0d""d", "'a\\nb\\tc\\rd'"},
        {"\x01""\x1f""\x7f""", "'\\x01\\x1f\\x7f'"},
        {"caf\xc3""\xa9"" \xe2""\x9c""\x93"" \xf0""\x9f""\x98""\x80""", "'caf\xc3""\xa9"" \xe2""\x9c""\x93"" \xf0""\x9f""\x98""\x80""'"},
        {"nb\xc2""\xa0""sp\xc2""\xad""", "'nb\\xa0sp\\xad'"},
        {"zw\xe2""\x80""\x8b""\xe2""\x80""\xa8""\xee""\x80""\x80""", "'zw\\u200b\\u2028\\ue000'"},
        {"\xf3""\xa0""\x81""\x81""\xf4""\x8f""\xbf""\xbd""", "'\\U000e0041\\U0010fffd'"},
        {"\xc2""\x85""", "'\\x85'"},
        {"", "''"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *r = lit__py_repr_str(cases[i][0]);
        CHECK(r != NULL);
        if (r) CHECK_MSG(!strcmp(r, cases[i][1]), "case %zu: repr is [%s], Python's [%s]", i, r, cases[i][1]);
        free(r);
    }
    /* a byte that is not UTF-8 (no Python str holds one) is shown as \xhh */
    char *r = lit__py_repr_str("a\xff" "b");
    CHECK_STR_EQ(r, "'a\\xffb'");
    free(r);
}

TEST(state_keys_escape_monitors_as_lightning) {
    /* printable monitors: the same key text as before (checkpoints saved
     * by earlier versions resume into these callbacks) */
    lit_early_stopping_params ep = lit_early_stopping_default_params();
    ep.monitor = "val/it's \\ \xc3\xa9";
    lit_callback es;
    CHECK_EQ_INT(lit_early_stopping_callback(&es, &ep), LIT_OK);
    CHECK_STR_EQ(es.state_key, "EarlyStopping{'monitor': \"val/it's \\\\ \xc3\xa9\", 'mode': 'min'}");
    es.free(&es);
    /* a newline: Lightning's repr writes \n (EarlyStopping wrote a raw newline) */
    ep.monitor = "a\nb\rc";
    CHECK_EQ_INT(lit_early_stopping_callback(&es, &ep), LIT_OK);
    CHECK_STR_EQ(es.state_key, "EarlyStopping{'monitor': 'a\\nb\\rc', 'mode': 'min'}");
    es.free(&es);

    lit_model_checkpoint_params mp = lit_model_checkpoint_default_params();
    mp.monitor = "a\nb\rc";
    lit_callback mc;
    CHECK_EQ_INT(lit_model_checkpoint_callback(&mc, &mp), LIT_OK);
    CHECK_STR_EQ(mc.state_key, "ModelCheckpoint{'monitor': 'a\\nb\\rc', 'mode': 'min', 'every_n_train_steps': 0, "
                               "'every_n_epochs': 1, 'train_time_interval': None}");
    mc.free(&mc);

    /* a long monitor is kept whole (both cut it at ~590 bytes) */
    char longname[2001];
    memset(longname, 'm', 2000);
    longname[2000] = 0;
    ep.monitor = mp.monitor = longname;
    CHECK_EQ_INT(lit_early_stopping_callback(&es, &ep), LIT_OK);
    CHECK_EQ_INT(strlen(es.state_key), strlen("EarlyStopping{'monitor': '', 'mode': 'min'}") + 2000);
    es.free(&es);
    CHECK_EQ_INT(lit_model_checkpoint_callback(&mc, &mp), LIT_OK);
    CHECK(strstr(mc.state_key, longname) != NULL);
    CHECK_STR_CONTAINS(mc.state_key, "', 'mode': 'min'");
    mc.free(&mc);
}

/* The state_key text EarlyStopping (keep_nt 0) and ModelCheckpoint
 * (keep_nt 1) wrote before: resume looks their states up under it. */
TEST(earlier_state_key_forms) {
    static const struct {
        const char *monitor, *es_old, *mc_old;
    } cases[] = {
        {"val/loss", "'val/loss'", "'val/loss'"},
        {"it's \\ \"q\"", "'it\\'s \\\\ \"q\"'", "'it\\'s \\\\ \"q\"'"},
        {"a\nb\tc\rd", "'a\nb\tc\rd'", "'a\\nb\\tc\rd'"},
        {"\x01\x7f nb\xc2\xa0 zw\xe2\x80\x8b \xf3\xa0\x81\x81", "'\x01\x7f nb\xc2\xa0 zw\xe2\x80\x8b \xf3\xa0\x81\x81'",
         "'\x01\x7f nb\xc2\xa0 zw\xe2\x80\x8b \xf3\xa0\x81\x81'"},
        {"back\\x41\\n", "'back\\\\x41\\\\n'", "'back\\\\x41\\\\n'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *r = lit__py_repr_str(cases[i].monitor);
        char *es = r ? lit__py_repr_str_legacy(r, 0) : NULL, *mc = r ? lit__py_repr_str_legacy(r, 1) : NULL;
        CHECK_MSG(es && !strcmp(es, cases[i].es_old), "case %zu: EarlyStopping's form [%s], expected [%s]", i,
                  es ? es : "(null)", cases[i].es_old);
        CHECK_MSG(mc && !strcmp(mc, cases[i].mc_old), "case %zu: ModelCheckpoint's form [%s], expected [%s]", i,
                  mc ? mc : "(null)", cases[i].mc_old);
        free(r), free(es), free(mc);
    }
}

TEST(utf8_validation) {
    static const struct {
        const char *s;
        size_t n, bad; /* first invalid offset, n when valid */
    } cases[] = {
        {"", 0, 0},
        {"plain", 5, 5},
        {"caf\xc3\xa9", 5, 5},
        {"\xf4\x8f\xbf\xbf", 4, 4},       /* U+10FFFF */
        {"ab\xc0\xaf", 4, 2},             /* overlong '/' */
        {"\xe0\x80\xaf", 3, 0},           /* overlong, 3 bytes */
        {"x\xed\xa0\x80", 4, 1},          /* surrogate U+D800 */
        {"\xf4\x90\x80\x80", 4, 0},       /* past U+10FFFF */
        {"ok\xe2\x9c", 4, 2},             /* cut short */
        {"a\x80", 2, 1},                  /* lone continuation byte */
        {"a\0b", 3, 3},                   /* NUL is valid UTF-8: callers check it */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECK_MSG(lit__utf8_invalid_at(cases[i].s, cases[i].n) == cases[i].bad, "case %zu: %zu, expected %zu", i,
                  lit__utf8_invalid_at(cases[i].s, cases[i].n), cases[i].bad);
}

TEST(strdup_and_mkdirs) {
    CHECK(lit__strdup(NULL) == NULL);
    char *c = lit__strdup("abc");
    CHECK_STR_EQ(c, "abc");
    free(c);

    char *dir = make_tmp_dir("core-str");
    char deep[1024];
    snprintf(deep, sizeof deep, "%s/a/b/c", dir);
    CHECK_EQ_INT(lit__mkdirs(deep, "test"), LIT_OK);
    struct stat st;
    CHECK(stat(deep, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK_EQ_INT(lit__mkdirs(deep, "test"), LIT_OK); /* already there */
    /* a file in the way: named */
    FILE *f = fopen(join(dir, "file"), "w");
    CHECK(f != NULL);
    if (f) fclose(f);
    CHECK_EQ_INT(lit__mkdirs(join(dir, "file"), "test"), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "is not a directory");
    CHECK_EQ_INT(lit__mkdirs(join(dir, "file/sub"), "test"), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "test: cannot create directory");
    rm_rf(dir);
}

int main(void) {
    RUN(py_repr_matches_python);
    RUN(state_keys_escape_monitors_as_lightning);
    RUN(earlier_state_key_forms);
    RUN(utf8_validation);
    RUN(strdup_and_mkdirs);
    return harness_summary();
}
