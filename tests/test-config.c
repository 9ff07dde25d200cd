/*
 * tests/test-config.c — the YAML config layer (include/litc/config.h):
 * positions and scalar types, parse refusals, merge order, command-line
 * overrides, interpolation, typed getters and their messages, key
 * suggestions, the Trainer binding (every field, every error), dump ->
 * re-parse equality, and the precedence file < file < env < command line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "tmp-dir.h"
#include "watchdog.h"

/* A growable text buffer for building big test inputs. */
typedef struct {
    char *data;
    size_t len, cap;
} test_buf;

static void tbuf_puts(test_buf *b, const char *s) {
    size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + n + 1 > cap) cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d) abort();
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n + 1);
    b->len += n;
}

static lit_config *load(const char *text) {
    lit_config *c = NULL;
    lit_status st = lit_config_load_string(&c, text, "t.yaml");
    CHECK_MSG(st == LIT_OK, "load failed: %s", lit_last_error());
    if (st != LIT_OK) {
        /* The callers use the config: stop here rather than crash. */
        fflush(stdout);
        exit(harness_summary() ? 1 : 1);
    }
    return c;
}

/* Expect a load error with exactly this message (or containing it when
 * `exact` is 0). */
static void load_fails(const char *text, lit_status want, const char *msg, int exact) {
    lit_config *c = (lit_config *)1;
    lit_status st = lit_config_load_string(&c, text, "t.yaml");
    CHECK_EQ_INT(st, want);
    CHECK(c == NULL);
    if (exact) CHECK_STR_EQ(lit_last_error(), msg);
    else CHECK_STR_CONTAINS(lit_last_error(), msg);
}

static lit_config_type type_at(const lit_config *c, const char *path) {
    const lit_config_node *n = lit_config_get(c, path);
    CHECK_MSG(n != NULL, "no node at %s", path);
    return n ? lit_config_node_type(n) : (lit_config_type)-1;
}

TEST(positions_and_types) {
    lit_config *c = load("# comment\n"
                         "trainer:\n"
                         "  max_epochs: 3\n"
                         "  callbacks:\n"
                         "    - class_path: ModelCheckpoint\n"
                         "      init_args: {monitor: val/loss}\n"
                         "s1: \"3\"\ns2: '3'\nf: 3.0\nb: true\nn: null\nt: ~\ne:\nx: 0x1F\ny: 1e-3\nz: .inf\n"
                         "ts: !!str 3\ntf: !!float 3\nlit: |\n  two\n  lines\nB: True\nw: hello world\n");
    const lit_config_node *n = lit_config_get(c, "trainer.max_epochs");
    CHECK(n != NULL);
    CHECK_EQ_INT(lit_config_node_type(n), LIT_CONFIG_INT);
    lit_config_pos p = lit_config_node_pos(n);
    CHECK_STR_EQ(p.file, "t.yaml");
    CHECK_EQ_INT(p.line, 3);
    CHECK_EQ_INT(p.col, 15);
    const lit_config_node *tr = lit_config_get(c, "trainer");
    CHECK_EQ_INT(lit_config_map_size(tr), 2);
    CHECK_STR_EQ(lit_config_map_key(tr, 1), "callbacks");
    p = lit_config_map_key_pos(tr, 1);
    CHECK_EQ_INT(p.line, 4);
    CHECK_EQ_INT(p.col, 3);
    n = lit_config_get(c, "trainer.callbacks.0.init_args.monitor");
    CHECK(n != NULL);
    CHECK_STR_EQ(lit_config_scalar(n), "val/loss");
    CHECK_EQ_INT(lit_config_node_pos(n).line, 6);
    CHECK_EQ_INT(lit_config_node_pos(n).col, 28);
    char path[128];
    lit_config_node_path(n, path, sizeof path);
    CHECK_STR_EQ(path, "trainer.callbacks.0.init_args.monitor");
    CHECK_EQ_INT(lit_config_list_size(lit_config_get(c, "trainer.callbacks")), 1);
    CHECK_EQ_INT(type_at(c, "trainer.callbacks"), LIT_CONFIG_LIST);
    CHECK_EQ_INT(type_at(c, "s1"), LIT_CONFIG_STRING);
    CHECK_EQ_INT(type_at(c, "s2"), LIT_CONFIG_STRING);
    CHECK_EQ_INT(type_at(c, "f"), LIT_CONFIG_FLOAT);
    CHECK_EQ_INT(type_at(c, "b"), LIT_CONFIG_BOOL);
    CHECK_EQ_INT(type_at(c, "n"), LIT_CONFIG_NULL);
    CHECK_EQ_INT(type_at(c, "t"), LIT_CONFIG_NULL);
    CHECK_EQ_INT(type_at(c, "e"), LIT_CONFIG_NULL);
    CHECK_EQ_INT(type_at(c, "x"), LIT_CONFIG_INT);
    CHECK_EQ_INT(type_at(c, "y"), LIT_CONFIG_FLOAT);
    CHECK_EQ_INT(type_at(c, "z"), LIT_CONFIG_FLOAT);
    CHECK_EQ_INT(type_at(c, "ts"), LIT_CONFIG_STRING);
    CHECK_EQ_INT(type_at(c, "tf"), LIT_CONFIG_FLOAT);
    CHECK_EQ_INT(type_at(c, "B"), LIT_CONFIG_BOOL);
    CHECK_EQ_INT(type_at(c, "w"), LIT_CONFIG_STRING);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "lit")), "two\nlines\n");
    CHECK_STR_EQ(lit_config_node_tag(lit_config_get(c, "ts")), "tag:yaml.org,2002:str");
    CHECK(lit_config_get(c, "nope") == NULL);
    CHECK(lit_config_get(c, "trainer.callbacks.1") == NULL);
    CHECK(lit_config_get(c, "trainer.") == NULL);
    CHECK(lit_config_get(c, "") == lit_config_root(c));
    CHECK(lit_config_node_parent(lit_config_get(c, "trainer")) == lit_config_root(c));
    CHECK_EQ_INT(lit_config_node_origin(n), LIT_CONFIG_FROM_FILE);
    lit_config_free(c);

    /* Empty documents are empty configs; aliases are expanded. */
    c = load("");
    CHECK_EQ_INT(lit_config_map_size(lit_config_root(c)), 0);
    lit_config_free(c);
    c = load("---\n...\n");
    CHECK_EQ_INT(lit_config_map_size(lit_config_root(c)), 0);
    lit_config_free(c);
    c = load("base: &b {lr: 0.1, n: [1, 2]}\ncopy: *b\n&k key: 1\nother: *k\n");
    CHECK(lit_config_node_equal(lit_config_get(c, "base"), lit_config_get(c, "copy")));
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "other")), "key");
    lit_config_free(c);
}

TEST(parse_errors) {
    load_fails("a: [1, 2\n", LIT_ERR_CONFIG,
               "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)", 1);
    load_fails("a: 1\nb: 2\na: 3\n", LIT_ERR_CONFIG, "t.yaml:3:1: duplicate key 'a' (first at t.yaml:1:1)", 1);
    load_fails("a: 1\n---\nb: 2\n", LIT_ERR_CONFIG,
               "t.yaml:2:1: a second YAML document (after '---'); a config file holds one", 1);
    load_fails("a: &x [1, *x]\n", LIT_ERR_CONFIG, "t.yaml:1:11: alias *x refers to the node that contains it (a cycle)",
               1);
    load_fails("a: *nope\n", LIT_ERR_CONFIG, "t.yaml:1:4: alias *nope: no anchor &nope before it", 1);
    load_fails("- 1\n- 2\n", LIT_ERR_CONFIG,
               "t.yaml:1:1: the top level of a config must be a mapping (key: value), not a list", 1);
    load_fails("a: !!int three\n", LIT_ERR_CONFIG, "t.yaml:1:4: \"three\" is not valid for the tag tag:yaml.org,2002:int",
               1);
    load_fails("? [1]\n: 2\n", LIT_ERR_CONFIG, "t.yaml:1:3: a mapping key must be a scalar, not a list", 1);
    load_fails("a: \"x\\0y\"\n", LIT_ERR_CONFIG, "t.yaml:1:4: a string contains a NUL character", 0);
    load_fails("a:\tb: [\n", LIT_ERR_CONFIG, "t.yaml:", 0);
    /* Nesting: 64 levels are fine, 65 are not. */
    char deep[400];
    size_t L = 0;
    for (int i = 0; i < 64; i++) deep[L++] = '[';
    for (int i = 0; i < 64; i++) deep[L++] = ']';
    deep[L] = 0;
    char doc[420];
    snprintf(doc, sizeof doc, "a: %s\n", deep);
    lit_config *c = load(doc);
    lit_config_free(c);
    snprintf(doc, sizeof doc, "a: [%s]\n", deep);
    load_fails(doc, LIT_ERR_CONFIG, "t.yaml:1:68: nesting deeper than 64 levels", 1);
    /* Billion laughs: aliases may not expand past LIT_CONFIG_MAX_NODES. */
    load_fails("a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
               "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
               "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
               LIT_ERR_CONFIG, "more than 100000 nodes", 0);
    /* Bytes: a NUL byte and invalid UTF-8 are refused with a position. */
    c = (lit_config *)1;
    CHECK_EQ_INT(lit_config_load_buffer(&c, "a: 1\nb: x\0y\n", 12, "buf.yaml"), LIT_ERR_CONFIG);
    CHECK(c == NULL);
    CHECK_STR_EQ(lit_last_error(), "buf.yaml:2:5: control characters are not allowed");
    CHECK_EQ_INT(lit_config_load_buffer(&c, "a: \xff\n", 5, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "<string>:1:4: invalid");
    /* Files: missing is an I/O error; positions name the path. */
    CHECK_EQ_INT(lit_config_load_file(&c, "/nonexistent/x.yaml"), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "/nonexistent/x.yaml: cannot open config");
    const char *dir = make_tmp_dir("config");
    const char *f = join(dir, "bad.yaml");
    FILE *fp = fopen(f, "w");
    fputs("trainer:\n  max_epochs: [\n", fp);
    fclose(fp);
    CHECK_EQ_INT(lit_config_load_file(&c, f), LIT_ERR_CONFIG);
    CHECK(strncmp(lit_last_error(), f, strlen(f)) == 0);
    CHECK_STR_CONTAINS(lit_last_error(), ":3:1: ");
    remove(f);
    rmdir(dir);
}

static void dump_to(const lit_config *c, char *buf, size_t size) {
    FILE *f = fmemopen(buf, size, "w");
    CHECK(lit_config_dump(c, f) == LIT_OK);
    fclose(f);
}

TEST(merge_order) {
    lit_config *a = load("trainer: {max_epochs: 3, devices: [0, 1], callbacks: [{class_path: A}]}\nmodel: {x: 1}\n");
    lit_config *b = load("model: {y: 2, x: 5}\ntrainer: {devices: [2], max_steps: 10}\nckpt_path: last\n");
    lit_config *cfg;
    CHECK(lit_config_new(&cfg) == LIT_OK);
    CHECK(lit_config_merge(cfg, a) == LIT_OK);
    CHECK(lit_config_merge(cfg, b) == LIT_OK);
    lit_config_free(a);
    lit_config_free(b);
    char out[1024];
    dump_to(cfg, out, sizeof out);
    CHECK_STR_EQ(out, "trainer:\n"
                      "  max_epochs: 3\n"
                      "  devices:\n"
                      "  - 2\n"
                      "  callbacks:\n"
                      "  - class_path: A\n"
                      "  max_steps: 10\n"
                      "model:\n"
                      "  x: 5\n"
                      "  y: 2\n"
                      "ckpt_path: last\n");
    /* Positions come from the file that set the value. */
    CHECK_EQ_INT(lit_config_node_pos(lit_config_get(cfg, "model.x")).line, 1);
    CHECK_EQ_INT(lit_config_node_pos(lit_config_get(cfg, "trainer.max_epochs")).line, 1);
    lit_config_free(cfg);
}

TEST(overrides) {
    lit_config *c = load("trainer:\n  max_epochs: 10\n  callbacks:\n    - class_path: ModelCheckpoint\n"
                         "      init_args: {monitor: val/loss, mode: min}\nmodel: {init_args: {hidden: 64, act: relu}}\n");
    CHECK(lit_config_set_override(c, "--trainer.max_epochs=3") == LIT_OK);
    const lit_config_node *n = lit_config_get(c, "trainer.max_epochs");
    CHECK_EQ_INT(lit_config_node_type(n), LIT_CONFIG_INT);
    CHECK_STR_EQ(lit_config_scalar(n), "3");
    CHECK_EQ_INT(lit_config_node_origin(n), LIT_CONFIG_FROM_COMMAND_LINE);
    CHECK_STR_EQ(lit_config_node_pos(n).file, "<command line>");
    CHECK_EQ_INT(lit_config_node_pos(n).col, 22);
    CHECK(lit_config_set_override(c, "model.init_args.hidden=256") == LIT_OK);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "model.init_args.hidden")), "256");
    CHECK(lit_config_set_override(c, "model.init_args={act: gelu, drop: 0.1}") == LIT_OK);
    const lit_config_node *ia = lit_config_get(c, "model.init_args");
    CHECK_EQ_INT(lit_config_map_size(ia), 3); /* merged: hidden kept */
    CHECK_STR_EQ(lit_config_scalar(lit_config_map_find(ia, "act")), "gelu");
    CHECK_STR_EQ(lit_config_scalar(lit_config_map_find(ia, "hidden")), "256");
    CHECK(lit_config_set_override(c, "trainer.callbacks.0.init_args.monitor=val/acc") == LIT_OK);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "trainer.callbacks.0.init_args.monitor")), "val/acc");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "trainer.callbacks.0.init_args.mode")), "min");
    CHECK(lit_config_set_override(c, "trainer.callbacks.1={class_path: EarlyStopping}") == LIT_OK);
    CHECK(lit_config_set_override(c, "trainer.callbacks+={class_path: Timer}") == LIT_OK);
    CHECK(lit_config_set_override(c, "trainer.callbacks+=[{class_path: A}, {class_path: B}]") == LIT_OK);
    CHECK_EQ_INT(lit_config_list_size(lit_config_get(c, "trainer.callbacks")), 5);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "trainer.callbacks.2.class_path")), "Timer");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "trainer.callbacks.4.class_path")), "B");
    CHECK(lit_config_set_override(c, "trainer.devices=[0, 1]") == LIT_OK);
    CHECK_EQ_INT(lit_config_list_size(lit_config_get(c, "trainer.devices")), 2);
    CHECK(lit_config_set_override(c, "trainer.devices=[3]") == LIT_OK); /* lists replace */
    CHECK_EQ_INT(lit_config_list_size(lit_config_get(c, "trainer.devices")), 1);
    CHECK(lit_config_set_override(c, "trainer.default_root_dir=null") == LIT_OK);
    CHECK_EQ_INT(type_at(c, "trainer.default_root_dir"), LIT_CONFIG_NULL);
    CHECK(lit_config_set_override(c, "trainer.default_root_dir=\"3\"") == LIT_OK);
    CHECK_EQ_INT(type_at(c, "trainer.default_root_dir"), LIT_CONFIG_STRING);
    CHECK(lit_config_set_override(c, "data.init_args.root.sub=x") == LIT_OK); /* maps made on the way */
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "data.init_args.root.sub")), "x");
    CHECK(lit_config_set_override(c, "optimizer.lr=[1,") == LIT_OK); /* not YAML: the text */
    CHECK_EQ_INT(type_at(c, "optimizer.lr"), LIT_CONFIG_STRING);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "optimizer.lr")), "[1,");
    CHECK(lit_config_set_override(c, "ckpt_path=") == LIT_OK);
    CHECK_EQ_INT(type_at(c, "ckpt_path"), LIT_CONFIG_NULL);

    /* Errors leave the config as it was. */
    char before[2048], after[2048];
    dump_to(c, before, sizeof before);
    CHECK_EQ_INT(lit_config_set_override(c, "trainer.max_epochs.x=1"), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(),
                 "<command line>:1:22: cannot set 'trainer.max_epochs.x': trainer.max_epochs is an integer, not a mapping");
    CHECK_EQ_INT(lit_config_set_override(c, "trainer.callbacks.9.init_args.x=1"), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "index 9 is out of range (the list has 5 items)");
    CHECK_EQ_INT(lit_config_set_override(c, "trainer.callbacks.first=1"), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "'first' is not an index");
    CHECK_EQ_INT(lit_config_set_override(c, "trainer.max_epochs"), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "override 'trainer.max_epochs': expected key.path=value");
    CHECK_EQ_INT(lit_config_set_override(c, "trainer..x=1"), LIT_ERR_CONFIG);
    CHECK_EQ_INT(lit_config_set_override(c, "=1"), LIT_ERR_CONFIG);
    CHECK_EQ_INT(lit_config_set_override(c, "model.init_args.hidden+=1"), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "cannot append ('+='): the value there is an integer, not a list");
    dump_to(c, after, sizeof after);
    CHECK_STR_EQ(before, after);

    CHECK(lit_config_remove(c, "trainer.devices") == LIT_OK);
    CHECK(lit_config_get(c, "trainer.devices") == NULL);
    CHECK(lit_config_remove(c, "trainer.callbacks.0") == LIT_OK);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "trainer.callbacks.0.class_path")), "EarlyStopping");
    CHECK_EQ_INT(lit_config_remove(c, "nope"), LIT_ERR_NOT_FOUND);
    lit_config_free(c);
}

TEST(interpolation) {
    setenv("LITC_TEST_ROOT", "/data/runs", 1);
    setenv("LITC_TEST_N", "7", 1);
    unsetenv("LITC_TEST_UNSET");
    lit_config *c = load("base: {lr: 0.1, n: 4, name: mlp, dims: [1, 2]}\n"
                         "model:\n"
                         "  lr: ${base.lr}\n"
                         "  n: ${base.n}\n"
                         "  dims: ${base.dims}\n"
                         "  all: ${base}\n"
                         "  tag: ${base.name}-${base.n}\n"
                         "  first: ${base.dims.0}\n"
                         "  sib: ${.lr}\n"
                         "  up: ${..base.name}\n"
                         "root: ${oc.env:LITC_TEST_ROOT}/x\n"
                         "envn: ${oc.env:LITC_TEST_N}\n"
                         "dflt: ${oc.env:LITC_TEST_UNSET,/tmp/default}\n"
                         "dnum: ${oc.env:LITC_TEST_UNSET, 5}\n"
                         "dnull: ${oc.env:LITC_TEST_UNSET,null}\n"
                         "dq: ${oc.env:LITC_TEST_UNSET,'a,b'}\n"
                         "which: LITC_TEST_N\n"
                         "nested: ${oc.env:${which}}\n"
                         "esc: \\${base.lr}\n"
                         "none: x${dnull}\n");
    CHECK_MSG(lit_config_resolve(c) == LIT_OK, "%s", lit_last_error());
    CHECK_EQ_INT(type_at(c, "model.lr"), LIT_CONFIG_FLOAT);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "model.lr")), "0.1");
    CHECK_EQ_INT(type_at(c, "model.n"), LIT_CONFIG_INT);
    CHECK_EQ_INT(lit_config_list_size(lit_config_get(c, "model.dims")), 2);
    CHECK(lit_config_node_equal(lit_config_get(c, "model.all"), lit_config_get(c, "base")));
    CHECK_EQ_INT(type_at(c, "model.tag"), LIT_CONFIG_STRING);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "model.tag")), "mlp-4");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "model.first")), "1");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "model.sib")), "0.1");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "model.up")), "mlp");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "root")), "/data/runs/x");
    CHECK_EQ_INT(type_at(c, "envn"), LIT_CONFIG_INT);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "dflt")), "/tmp/default");
    CHECK_EQ_INT(type_at(c, "dnum"), LIT_CONFIG_INT);
    CHECK_EQ_INT(type_at(c, "dnull"), LIT_CONFIG_NULL);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "dq")), "a,b");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "nested")), "7");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "esc")), "${base.lr}");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "none")), "xNone");
    /* The value keeps the position of the interpolation. */
    CHECK_EQ_INT(lit_config_node_pos(lit_config_get(c, "model.lr")).line, 3);
    /* Resolving again changes nothing (the escape stays literal). */
    CHECK(lit_config_resolve(c) == LIT_OK);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "esc")), "${base.lr}");
    lit_config_free(c);

    struct { const char *text, *msg; } bad[] = {
        { "a: ${b}\nb: ${a}\n", "t.yaml:2:4: b: interpolation cycle: a -> b -> a" },
        { "a:\n  b: ${a}\n", "t.yaml:2:6: a.b: interpolation cycle: a -> a.b -> a" },
        { "a: ${a}\n", "t.yaml:1:4: a: interpolation cycle: a -> a" },
        { "x: 1\na: ${model.nope}\n", "t.yaml:2:4: a: interpolation ${model.nope}: key 'model.nope' not found" },
        { "a: ${oc.env:LITC_TEST_UNSET}\n",
          "t.yaml:1:4: a: environment variable LITC_TEST_UNSET is not set (give a default: "
          "${oc.env:LITC_TEST_UNSET,default})" },
        { "a: ${oc.decode:1}\n", "t.yaml:1:4: a: unknown resolver 'oc.decode' in ${oc.decode:1} (litc knows oc.env)" },
        { "a: x${b\n", "t.yaml:1:4: a: unterminated interpolation '${b' (missing '}')" },
        { "b: [1]\na: x${b}\n", "t.yaml:2:4: a: ${b} is a list; only a whole value can be one (not part of a string)" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        c = load(bad[i].text);
        CHECK_EQ_INT(lit_config_resolve(c), LIT_ERR_CONFIG);
        CHECK_STR_EQ(lit_last_error(), bad[i].msg);
        lit_config_free(c);
    }
    unsetenv("LITC_TEST_ROOT");
    unsetenv("LITC_TEST_N");
}

TEST(typed_getters) {
    lit_config *c = load("trainer:\n  max_epochs: three\n  i: -42\n  h: 0x10\n  o: 0o17\n  big: 9223372036854775808\n"
                         "  f: 2.5\n  b: false\n  l: [1]\n  m: {}\n  n: null\n  inf: -.inf\n");
    int64_t i;
    double d;
    int b;
    const char *s;
    const lit_config_node *tr = lit_config_get(c, "trainer");
    CHECK_EQ_INT(lit_config_get_int(lit_config_map_find(tr, "max_epochs"), &i), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:2:15: trainer.max_epochs: expected an integer, got \"three\"");
    CHECK(lit_config_get_int(lit_config_map_find(tr, "i"), &i) == LIT_OK && i == -42);
    CHECK(lit_config_get_int(lit_config_map_find(tr, "h"), &i) == LIT_OK && i == 16);
    CHECK(lit_config_get_int(lit_config_map_find(tr, "o"), &i) == LIT_OK && i == 15);
    CHECK_EQ_INT(lit_config_get_int(lit_config_map_find(tr, "big"), &i), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:6:8: trainer.big: integer 9223372036854775808 is out of range (int64)");
    CHECK_EQ_INT(lit_config_get_int(lit_config_map_find(tr, "f"), &i), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:7:6: trainer.f: expected an integer, got 2.5");
    CHECK(lit_config_get_double(lit_config_map_find(tr, "f"), &d) == LIT_OK && d == 2.5);
    CHECK(lit_config_get_double(lit_config_map_find(tr, "i"), &d) == LIT_OK && d == -42);
    CHECK(lit_config_get_double(lit_config_map_find(tr, "inf"), &d) == LIT_OK && isinf(d) && d < 0);
    CHECK_EQ_INT(lit_config_get_double(lit_config_map_find(tr, "b"), &d), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:8:6: trainer.b: expected a number, got false");
    CHECK(lit_config_get_bool(lit_config_map_find(tr, "b"), &b) == LIT_OK && b == 0);
    CHECK_EQ_INT(lit_config_get_bool(lit_config_map_find(tr, "i"), &b), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:3:6: trainer.i: expected a boolean (true or false), got -42");
    CHECK(lit_config_get_string(lit_config_map_find(tr, "i"), &s) == LIT_OK && !strcmp(s, "-42"));
    CHECK_EQ_INT(lit_config_get_string(lit_config_map_find(tr, "l"), &s), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:9:6: trainer.l: expected a string, got a list");
    CHECK_EQ_INT(lit_config_get_string(lit_config_map_find(tr, "m"), &s), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:10:6: trainer.m: expected a string, got a mapping");
    CHECK_EQ_INT(lit_config_get_int(lit_config_map_find(tr, "n"), &i), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:11:6: trainer.n: expected an integer, got null");
    CHECK_EQ_INT(lit_config_get_int(NULL, &i), LIT_ERR_NOT_FOUND);
    CHECK_EQ_INT(lit_config_error(lit_config_map_find(tr, "f"), "custom %d", 5), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:7:6: custom 5");
    lit_config_free(c);
}

TEST(suggestions) {
    int n;
    const char *const *keys = lit_config_trainer_keys(&n);
    CHECK_STR_EQ(lit_config_suggest("max_epoch", keys, n), "max_epochs");
    CHECK_STR_EQ(lit_config_suggest("max_epcohs", keys, n), "max_epochs"); /* a transposition is 1 */
    CHECK_STR_EQ(lit_config_suggest("gradient_clip_vale", keys, n), "gradient_clip_val");
    CHECK_STR_EQ(lit_config_suggest("acumulate_grad_batch", keys, n), "accumulate_grad_batches");
    CHECK(lit_config_suggest("zzz", keys, n) == NULL);
    CHECK(lit_config_suggest("learning_rate", keys, n) == NULL);
    static const char *const two[] = { "ab", "abc" };
    CHECK_STR_EQ(lit_config_suggest("abd", two, 2), "ab"); /* ties: the first */
    lit_config *c = load("trainer:\n  max_epoch: 3\n");
    CHECK_EQ_INT(lit_config_check_keys(lit_config_get(c, "trainer"), keys, n, NULL), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:2:3: unknown key 'max_epoch' in trainer; did you mean 'max_epochs'?");
    lit_config_free(c);
    c = load("model: {zzz: 1}\n");
    static const char *const mk[] = { "class_path", "init_args" };
    CHECK_EQ_INT(lit_config_check_keys(lit_config_get(c, "model"), mk, 2, "model"), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:1:9: unknown key 'zzz' in model; valid keys: class_path, init_args");
    lit_config_free(c);
}

static lit_status bind(const char *text, lit_trainer_params *p) {
    lit_config *c = load(text);
    lit_status st = lit_config_bind_trainer(lit_config_get(c, "trainer"), p);
    /* Keep the config alive while p points into it (default_root_dir). */
    static lit_config *keep[64];
    static int nkeep;
    lit_config_free(keep[nkeep % 64]);
    keep[nkeep++ % 64] = c;
    return st;
}

TEST(trainer_every_field) {
    /* Counts in one config, fractions in another: between them every field
     * of lit_trainer_params (by its descriptor table) must change. */
    const char *counts = "trainer:\n"
                         "  max_epochs: 7\n  min_epochs: 2\n  max_steps: 100\n  min_steps: 5\n"
                         "  max_time: \"00:01:00:30\"\n"
                         "  limit_train_batches: 10\n  limit_val_batches: 0\n  limit_test_batches: 3\n"
                         "  limit_predict_batches: 4\n  val_check_interval: 5\n  check_val_every_n_epoch: 2\n"
                         "  num_sanity_val_steps: -1\n  fast_dev_run: true\n  overfit_batches: 2\n"
                         "  accumulate_grad_batches: 4\n  gradient_clip_val: 0.5\n  gradient_clip_algorithm: value\n"
                         "  log_every_n_steps: 10\n  enable_progress_bar: false\n  enable_model_summary: false\n"
                         "  enable_checkpointing: false\n  default_root_dir: /tmp/runs\n  deterministic: warn\n"
                         "  detect_anomaly: true\n  reload_dataloaders_every_n_epochs: 1\n  inference_mode: false\n"
                         "  logger: false\n  seed: 42\n  handle_signals: false\n  allow_non_finite_checkpoint: true\n"
                         "  callbacks: [{class_path: X}]\n"
                         "  accelerator: cpu\n  strategy: auto\n  devices: 1\n  num_nodes: 1\n  precision: 32-true\n"
                         "  sync_batchnorm: false\n  barebones: false\n  profiler: null\n  plugins: null\n"
                         "  benchmark: false\n  use_distributed_sampler: true\n";
    const char *fracs = "trainer:\n  limit_train_batches: 0.5\n  limit_val_batches: 0.25\n  limit_test_batches: 0.0\n"
                        "  limit_predict_batches: 1.0e-1\n  val_check_interval: 0.5\n";
    lit_trainer_params d = lit_trainer_default_params(), a = d, b = d;
    CHECK_MSG(bind(counts, &a) == LIT_OK, "%s", lit_last_error());
    CHECK_MSG(bind(fracs, &b) == LIT_OK, "%s", lit_last_error());
    const char *name;
    lit_param_kind kind;
    size_t off;
    int nf = 0;
    for (int i = 0; lit_trainer_params_field(i, &name, &kind, &off); i++, nf++) {
        size_t sz = kind == LIT_PARAM_I64      ? sizeof(int64_t)
                    : kind == LIT_PARAM_DOUBLE ? sizeof(double)
                    : kind == LIT_PARAM_STRING ? sizeof(const char *)
                    : kind == LIT_PARAM_CLIP   ? sizeof(lit_clip_algorithm)
                                               : sizeof(int);
        int changed = memcmp((char *)&a + off, (char *)&d + off, sz) || memcmp((char *)&b + off, (char *)&d + off, sz);
        CHECK_MSG(changed, "config binding never sets lit_trainer_params.%s", name);
    }
    CHECK(nf >= 34);
    CHECK_EQ_INT(a.max_epochs, 7);
    CHECK_EQ_INT(a.min_epochs, 2);
    CHECK_EQ_INT(a.max_steps, 100);
    CHECK_EQ_INT(a.min_steps, 5);
    CHECK_NEAR(a.max_time, 3630, 0);
    CHECK_EQ_INT(a.limit_train_batches, 10);
    CHECK_NEAR(a.limit_train_fraction, 1.0, 0);
    CHECK_EQ_INT(a.limit_val_batches, 0);
    CHECK_EQ_INT(a.val_check_batches, 5);
    CHECK_NEAR(a.val_check_interval, 1.0, 0);
    CHECK_EQ_INT(a.num_sanity_val_steps, -1);
    CHECK_EQ_INT(a.fast_dev_run, 1);
    CHECK_EQ_INT(a.gradient_clip_algorithm, LIT_CLIP_VALUE);
    CHECK_STR_EQ(a.default_root_dir, "/tmp/runs");
    CHECK_EQ_INT(a.deterministic, 1);
    CHECK_EQ_INT(a.logger, 0);
    CHECK_EQ_INT(a.seed, 42);
    CHECK_EQ_INT(a.handle_signals, 0);
    CHECK_EQ_INT(a.allow_non_finite_checkpoint, 1);
    CHECK_EQ_INT(b.limit_train_batches, -1);
    CHECK_NEAR(b.limit_train_fraction, 0.5, 0);
    CHECK_NEAR(b.limit_test_fraction, 0.0, 0);
    CHECK_NEAR(b.limit_predict_fraction, 0.1, 0);
    CHECK_EQ_INT(b.val_check_batches, -1);
    CHECK_NEAR(b.val_check_interval, 0.5, 0);

    /* null = Lightning's None, back to the defaults. */
    lit_trainer_params c = a;
    CHECK_MSG(bind("trainer:\n  max_epochs: null\n  min_epochs: null\n  max_time: null\n  limit_train_batches: null\n"
                   "  val_check_interval: null\n  gradient_clip_val: null\n  gradient_clip_algorithm: null\n"
                   "  default_root_dir: null\n  enable_progress_bar: null\n  logger: null\n  deterministic: null\n"
                   "  num_sanity_val_steps: null\n  log_every_n_steps: null\n  fast_dev_run: 0\n  overfit_batches: 0.0\n",
                   &c) == LIT_OK,
              "%s", lit_last_error());
    CHECK_EQ_INT(c.max_epochs, -1);
    CHECK_EQ_INT(c.min_epochs, -1);
    CHECK_NEAR(c.max_time, 0, 0);
    CHECK_EQ_INT(c.limit_train_batches, -1);
    CHECK_EQ_INT(c.val_check_batches, -1);
    CHECK(c.default_root_dir == NULL);
    CHECK_EQ_INT(c.enable_progress_bar, 1);
    CHECK_EQ_INT(c.logger, 1);
    CHECK_EQ_INT(c.deterministic, 0);
    CHECK_EQ_INT(c.num_sanity_val_steps, 2);
    CHECK_EQ_INT(c.log_every_n_steps, 50);
    CHECK_EQ_INT(c.overfit_batches, 0);
    CHECK_EQ_INT(c.accumulate_grad_batches, 4); /* absent keys keep their values */

    /* max_time forms; logger as classes is left for the registry. */
    lit_trainer_params t = d;
    CHECK(bind("trainer:\n  max_time: 90\n", &t) == LIT_OK);
    CHECK_NEAR(t.max_time, 90, 0);
    CHECK(bind("trainer:\n  max_time: {days: 1, hours: 2, minutes: 3, seconds: 4.5}\n", &t) == LIT_OK);
    CHECK_NEAR(t.max_time, 93784.5, 1e-9);
    t.logger = 0;
    CHECK(bind("trainer:\n  logger: [{class_path: CSVLogger}]\n", &t) == LIT_OK);
    CHECK_EQ_INT(t.logger, 0);
    CHECK(bind("trainer:\n  logger: {class_path: CSVLogger}\n  fast_dev_run: 3\n", &t) == LIT_OK);
    CHECK_EQ_INT(t.fast_dev_run, 3);
    CHECK(lit_config_bind_trainer(NULL, &t) == LIT_OK);
    CHECK(bind("trainer: null\n", &t) == LIT_OK);
}

TEST(trainer_errors) {
    struct { const char *text; lit_status st; const char *msg; } bad[] = {
        { "trainer:\n  max_epoch: 3\n", LIT_ERR_CONFIG,
          "t.yaml:2:3: unknown key 'max_epoch' in trainer; did you mean 'max_epochs'?" },
        { "trainer:\n  max_epochs: three\n", LIT_ERR_CONFIG,
          "t.yaml:2:15: trainer.max_epochs: expected an integer or null, got \"three\"" },
        { "trainer:\n  max_epochs: 2.0\n", LIT_ERR_CONFIG,
          "t.yaml:2:15: trainer.max_epochs: expected an integer or null, got 2.0" },
        { "trainer:\n  max_epochs: -5\n", LIT_ERR_CONFIG, "t.yaml:2:15: trainer.max_epochs: must be in -1..9007199254740991, got -5" },
        /* counts stop at 2^53-1, what a checkpoint holds: no counter overflows */
        { "trainer:\n  max_epochs: 9223372036854775807\n", LIT_ERR_CONFIG,
          "t.yaml:2:15: trainer.max_epochs: must be in -1..9007199254740991, got 9223372036854775807" },
        { "trainer:\n  max_steps: 9007199254740992\n", LIT_ERR_CONFIG,
          "t.yaml:2:14: trainer.max_steps: must be in -1..9007199254740991, got 9007199254740992" },
        { "trainer:\n  limit_train_batches: 9007199254740992\n", LIT_ERR_CONFIG,
          "t.yaml:2:24: trainer.limit_train_batches: must be in 0..9007199254740991 (a count of batches), got "
          "9007199254740992" },
        { "trainer:\n  accumulate_grad_batches: 0\n", LIT_ERR_CONFIG,
          "t.yaml:2:28: trainer.accumulate_grad_batches: must be in 1..9007199254740991, got 0" },
        { "trainer:\n  accumulate_grad_batches: null\n", LIT_ERR_CONFIG,
          "t.yaml:2:28: trainer.accumulate_grad_batches: expected an integer, got null" },
        { "trainer:\n  limit_val_batches: 1.5\n", LIT_ERR_CONFIG,
          "t.yaml:2:22: trainer.limit_val_batches: must be in [0.0, 1.0] (a fraction of the batches; an int is a count), "
          "got 1.5" },
        { "trainer:\n  limit_val_batches: -1\n", LIT_ERR_CONFIG,
          "t.yaml:2:22: trainer.limit_val_batches: must be in 0..9007199254740991 (a count of batches), got -1" },
        { "trainer:\n  limit_val_batches: all\n", LIT_ERR_CONFIG,
          "t.yaml:2:22: trainer.limit_val_batches: expected an integer (a count of batches) or a float in [0.0, 1.0] "
          "(a fraction), got \"all\"" },
        { "trainer:\n  val_check_interval: 0\n", LIT_ERR_CONFIG,
          "t.yaml:2:23: trainer.val_check_interval: must be in 1..9007199254740991 (validate every n training batches), "
          "got 0" },
        { "trainer:\n  val_check_interval: 0.0\n", LIT_ERR_CONFIG,
          "t.yaml:2:23: trainer.val_check_interval: must be in (0.0, 1.0] (a fraction of the epoch; an int counts "
          "batches), got 0.0" },
        { "trainer:\n  overfit_batches: 0.1\n", LIT_ERR_UNSUPPORTED,
          "t.yaml:2:20: trainer.overfit_batches: a fraction (0.1) is not supported by litc; give a count of batches" },
        { "trainer:\n  max_time: 1 day\n", LIT_ERR_CONFIG,
          "t.yaml:2:13: trainer.max_time: expected seconds, \"DD:HH:MM:SS\" or a map of days/hours/minutes/seconds, "
          "got \"1 day\"" },
        { "trainer:\n  max_time: {hour: 1}\n", LIT_ERR_CONFIG,
          "t.yaml:2:14: unknown key 'hour' in trainer.max_time; did you mean 'hours'?" },
        { "trainer:\n  max_time: -1\n", LIT_ERR_CONFIG, "t.yaml:2:13: trainer.max_time: must be seconds >= 0, got -1" },
        { "trainer:\n  gradient_clip_algorithm: l2\n", LIT_ERR_CONFIG,
          "t.yaml:2:28: trainer.gradient_clip_algorithm: expected \"norm\" or \"value\", got \"l2\"" },
        { "trainer:\n  gradient_clip_val: -1.0\n", LIT_ERR_CONFIG,
          "t.yaml:2:22: trainer.gradient_clip_val: must be a finite number >= 0 (0 = no clipping), got -1.0" },
        { "trainer:\n  enable_progress_bar: 1\n", LIT_ERR_CONFIG,
          "t.yaml:2:24: trainer.enable_progress_bar: expected a boolean (true or false), got 1" },
        { "trainer:\n  deterministic: maybe\n", LIT_ERR_CONFIG,
          "t.yaml:2:18: trainer.deterministic: expected a boolean, \"warn\" or null, got \"maybe\"" },
        { "trainer:\n  default_root_dir: [a]\n", LIT_ERR_CONFIG,
          "t.yaml:2:21: trainer.default_root_dir: expected a string, got a list" },
        { "trainer:\n  logger: 3\n", LIT_ERR_CONFIG,
          "t.yaml:2:11: trainer.logger: expected a boolean, null, or loggers as {class_path, init_args} (a map or a "
          "list of them), got 3" },
        { "trainer:\n  accelerator: gpu\n", LIT_ERR_UNSUPPORTED,
          "t.yaml:2:16: trainer.accelerator: gpu is not supported by litc (a single CPU process): use null, auto, cpu" },
        { "trainer:\n  precision: bf16-mixed\n", LIT_ERR_UNSUPPORTED,
          "t.yaml:2:14: trainer.precision: bf16-mixed is not supported by litc (a single CPU process): use null, 32, "
          "32-true" },
        { "trainer:\n  devices: 4\n", LIT_ERR_UNSUPPORTED,
          "t.yaml:2:12: trainer.devices: 4 is not supported by litc (a single CPU process): use null, auto, 1, -1" },
        { "trainer:\n  min_epochs: 5\n  max_epochs: 3\n", LIT_ERR_CONFIG,
          "t.yaml:2:3: trainer: Trainer(min_epochs=5, max_epochs=3): min_epochs exceeds max_epochs" },
        { "trainer: [1]\n", LIT_ERR_CONFIG, "t.yaml:1:10: trainer: expected a mapping of Trainer arguments, got a list" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        lit_trainer_params p = lit_trainer_default_params(), before = p;
        lit_status st = bind(bad[i].text, &p);
        CHECK_EQ_INT(st, bad[i].st);
        CHECK_STR_EQ(lit_last_error(), bad[i].msg);
        CHECK(memcmp(&p, &before, sizeof p) == 0); /* untouched on error */
    }
}

TEST(dump_roundtrip) {
    const char *text = "seed_everything: 42\n"
                       "trainer:\n"
                       "  max_epochs: 3\n"
                       "  limit_val_batches: 0.5\n"
                       "  callbacks:\n"
                       "  - class_path: ModelCheckpoint\n"
                       "    init_args: {monitor: 'val/loss', save_top_k: -1, every: .inf}\n"
                       "  default_root_dir: ~\n"
                       "strings: ['3', 'true', 'null', '', ' lead', 'a: b', '#x', \"two\\nlines\", '- x', '0x10', "
                       "'~', 'é ü 日本', '${a.b}', \"tab\\there\", \"[1]\", '1e3']\n"
                       "typed: [!!float 3, !!str 4, !mytag x, True, NULL, 0o17, -.5]\n"
                       "\"weird key: 1\": {'': empty, '3': three, 'null': k}\n"
                       "empty_map: {}\n"
                       "empty_list: []\n"
                       "block: |\n  line 1\n   line 2\n";
    lit_config *a = load(text);
    char buf[4096];
    dump_to(a, buf, sizeof buf);
    lit_config *b = NULL;
    CHECK_MSG(lit_config_load_string(&b, buf, "dump") == LIT_OK, "%s\n%s", lit_last_error(), buf);
    CHECK_MSG(b && lit_config_node_equal(lit_config_root(a), lit_config_root(b)), "dump differs:\n%s", buf);
    if (b) {
        CHECK_EQ_INT(type_at(b, "strings.0"), LIT_CONFIG_STRING);
        CHECK_EQ_INT(type_at(b, "typed.0"), LIT_CONFIG_FLOAT);
        CHECK_STR_EQ(lit_config_node_tag(lit_config_get(b, "typed.2")), "!mytag");
        char buf2[4096];
        dump_to(b, buf2, sizeof buf2);
        CHECK_STR_EQ(buf, buf2); /* a fixed point */
    }
    lit_config_free(b);
    /* A subtree and a scalar alone. */
    FILE *f = fmemopen(buf, sizeof buf, "w");
    CHECK(lit_config_dump_node(lit_config_get(a, "trainer.max_epochs"), f) == LIT_OK);
    fclose(f);
    CHECK_STR_EQ(buf, "3\n");
    lit_config_free(a);
    /* Equality sees types and order. */
    a = load("a: 1\nb: 2\n");
    b = load("b: 2\na: 1\n");
    CHECK(!lit_config_node_equal(lit_config_root(a), lit_config_root(b)));
    lit_config_free(b);
    b = load("a: '1'\nb: 2\n");
    CHECK(!lit_config_node_equal(lit_config_root(a), lit_config_root(b)));
    lit_config_free(a);
    lit_config_free(b);
}

TEST(precedence) {
    /* file < later file < LIT_TRAINER_* env < command line */
    lit_config *f1 = load("trainer: {max_epochs: 1, max_steps: 10, min_steps: 1, log_every_n_steps: 5}\n");
    lit_config *f2 = load("trainer: {max_steps: 20, min_steps: 2, log_every_n_steps: 6}\n");
    setenv("LIT_TRAINER_MIN_STEPS", "3", 1);
    setenv("LIT_TRAINER_LOG_EVERY_N_STEPS", "7", 1);
    setenv("LIT_TRAINER_ENABLE_PROGRESS_BAR", "0", 1);
    setenv("LIT_TRAINER_LIMIT_VAL_FRACTION", "1", 1);
    setenv("LIT_TRAINER_LIMIT_TEST_FRACTION", "0.5", 1);
    setenv("LIT_TRAINER_LIMIT_TEST_BATCHES", "4", 1); /* the Lightning name wins over litc's */
    setenv("LIT_TRAINER_DEFAULT_ROOT_DIR", "123", 1);
    lit_config *cfg;
    CHECK(lit_config_new(&cfg) == LIT_OK);
    CHECK(lit_config_merge(cfg, f1) == LIT_OK);
    CHECK(lit_config_merge(cfg, f2) == LIT_OK);
    CHECK(lit_config_set_override(cfg, "--trainer.log_every_n_steps=8") == LIT_OK);
    /* Env after the command line still loses to it. */
    CHECK_MSG(lit_config_apply_trainer_env(cfg) == LIT_OK, "%s", lit_last_error());
    lit_trainer_params p = lit_trainer_default_params();
    CHECK_MSG(lit_config_bind_trainer(lit_config_get(cfg, "trainer"), &p) == LIT_OK, "%s", lit_last_error());
    CHECK_EQ_INT(p.max_epochs, 1);         /* first file */
    CHECK_EQ_INT(p.max_steps, 20);         /* later file */
    CHECK_EQ_INT(p.min_steps, 3);          /* env over files */
    CHECK_EQ_INT(p.log_every_n_steps, 8);  /* command line over env */
    CHECK_EQ_INT(p.enable_progress_bar, 0);
    CHECK_EQ_INT(p.limit_val_batches, -1); /* a fraction 1.0, not one batch */
    CHECK_NEAR(p.limit_val_fraction, 1.0, 0);
    CHECK_EQ_INT(p.limit_test_batches, 4);
    CHECK_STR_EQ(p.default_root_dir, "123");
    const lit_config_node *n = lit_config_get(cfg, "trainer.min_steps");
    CHECK_EQ_INT(lit_config_node_origin(n), LIT_CONFIG_FROM_ENV);
    CHECK_STR_EQ(lit_config_node_pos(n).file, "<env LIT_TRAINER_MIN_STEPS>");

    /* A bad env value is reported with the variable as the file. */
    setenv("LIT_TRAINER_MAX_EPOCHS", "many", 1);
    CHECK(lit_config_apply_trainer_env(cfg) == LIT_OK);
    CHECK_EQ_INT(lit_config_bind_trainer(lit_config_get(cfg, "trainer"), &p), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(),
                 "<env LIT_TRAINER_MAX_EPOCHS>:1:1: trainer.max_epochs: expected an integer or null, got \"many\"");
    unsetenv("LIT_TRAINER_MAX_EPOCHS");
    unsetenv("LIT_TRAINER_MIN_STEPS");
    unsetenv("LIT_TRAINER_LOG_EVERY_N_STEPS");
    unsetenv("LIT_TRAINER_ENABLE_PROGRESS_BAR");
    unsetenv("LIT_TRAINER_LIMIT_VAL_FRACTION");
    unsetenv("LIT_TRAINER_LIMIT_TEST_FRACTION");
    unsetenv("LIT_TRAINER_LIMIT_TEST_BATCHES");
    unsetenv("LIT_TRAINER_DEFAULT_ROOT_DIR");
    lit_config_free(cfg);
    lit_config_free(f1);
    lit_config_free(f2);

    /* A config with no trainer section gets one from the environment. */
    setenv("LIT_TRAINER_MAX_EPOCHS", "4", 1);
    lit_config *e = load("model: {}\n");
    CHECK(lit_config_apply_trainer_env(e) == LIT_OK);
    p = lit_trainer_default_params();
    CHECK(lit_config_bind_trainer(lit_config_get(e, "trainer"), &p) == LIT_OK);
    CHECK_EQ_INT(p.max_epochs, 4);
    unsetenv("LIT_TRAINER_MAX_EPOCHS");
    lit_config_free(e);
}

/* Issue 11 finding 7: an empty LIT_TRAINER_MAX_EPOCHS= used to become null
 * (1000 epochs instead of the config's 1). An empty variable is ignored, as
 * Lightning's _parse_env_variables skips an empty PL_TRAINER_*; an empty
 * ${oc.env:VAR} is the empty string, as OmegaConf's oc.env returns it. */
TEST(empty_env_values) {
    setenv("LIT_TRAINER_MAX_EPOCHS", "", 1);
    setenv("LIT_TRAINER_DEFAULT_ROOT_DIR", "", 1);
    setenv("LIT_TRAINER_LIMIT_VAL_FRACTION", "", 1);
    setenv("LIT_TRAINER_ENABLE_PROGRESS_BAR", "", 1);
    lit_config *c = load("trainer: {max_epochs: 1, default_root_dir: runs}\n");
    CHECK_MSG(lit_config_apply_trainer_env(c) == LIT_OK, "%s", lit_last_error());
    CHECK_EQ_INT(type_at(c, "trainer.max_epochs"), LIT_CONFIG_INT);
    CHECK_EQ_INT(lit_config_node_origin(lit_config_get(c, "trainer.max_epochs")), LIT_CONFIG_FROM_FILE);
    CHECK(lit_config_get(c, "trainer.limit_val_batches") == NULL);
    CHECK(lit_config_get(c, "trainer.enable_progress_bar") == NULL);
    lit_trainer_params p = lit_trainer_default_params();
    CHECK_MSG(lit_config_bind_trainer(lit_config_get(c, "trainer"), &p) == LIT_OK, "%s", lit_last_error());
    CHECK_EQ_INT(p.max_epochs, 1);
    CHECK_STR_EQ(p.default_root_dir, "runs");
    CHECK_EQ_INT(p.enable_progress_bar, 1);
    lit_config_free(c);

    /* The same rule for lit_trainer_params_from_env: the defaults stay. */
    p = lit_trainer_default_params();
    CHECK_MSG(lit_trainer_params_from_env(&p) == LIT_OK, "%s", lit_last_error());
    CHECK_EQ_INT(p.max_epochs, lit_trainer_default_params().max_epochs);
    CHECK(p.default_root_dir == NULL || strcmp(p.default_root_dir, "") != 0);
    CHECK_EQ_INT(p.enable_progress_bar, 1);
    unsetenv("LIT_TRAINER_MAX_EPOCHS");
    unsetenv("LIT_TRAINER_DEFAULT_ROOT_DIR");
    unsetenv("LIT_TRAINER_LIMIT_VAL_FRACTION");
    unsetenv("LIT_TRAINER_ENABLE_PROGRESS_BAR");

    setenv("LITC_TEST_EMPTY", "", 1);
    c = load("a: ${oc.env:LITC_TEST_EMPTY}\nb: ${oc.env:LITC_TEST_EMPTY,7}\nc: x${oc.env:LITC_TEST_EMPTY}y\n");
    CHECK_MSG(lit_config_resolve(c) == LIT_OK, "%s", lit_last_error());
    CHECK_EQ_INT(type_at(c, "a"), LIT_CONFIG_STRING);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "a")), "");
    CHECK_EQ_INT(type_at(c, "b"), LIT_CONFIG_STRING); /* set, so not the default */
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "b")), "");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "c")), "xy");
    unsetenv("LITC_TEST_EMPTY");
    lit_config_free(c);
}

/* Issue 11 finding 8: a config path of /dev/zero grew memory forever and a
 * FIFO blocked in fopen. Only a regular file of at most
 * LIT_CONFIG_MAX_FILE_BYTES is read. */
static lit_status load_config_path(void *path) {
    lit_config *c = NULL;
    lit_status st = lit_config_load_file(&c, path);
    lit_config_free(c);
    return st;
}

TEST(config_file_kinds_refused) {
    char *dir = make_tmp_dir("config-dev");
    char fifo[300], big[300];
    snprintf(fifo, sizeof fifo, "%s", join(dir, "fifo.yaml"));
    snprintf(big, sizeof big, "%s", join(dir, "big.yaml"));
    CHECK(mkfifo(fifo, 0600) == 0);
    FILE *f = fopen(big, "wb");
    CHECK(f != NULL);
    if (f) {
        CHECK(ftruncate(fileno(f), (off_t)LIT_CONFIG_MAX_FILE_BYTES + 1) == 0); /* sparse: no disk used */
        fclose(f);
    }
    struct { const char *path, *msg; lit_status st; } cases[] = {
        { "/dev/zero", "/dev/zero: the config is a character device; pass the path of a regular file", LIT_ERR_IO },
        { fifo, ": the config is a FIFO (named pipe); pass the path of a regular file", LIT_ERR_IO },
        { dir, ": the config is a directory; pass the path of a regular file", LIT_ERR_IO },
        { big, ": the config file is 67108865 bytes; a config holds at most 64 MiB (LIT_CONFIG_MAX_FILE_BYTES)",
          LIT_ERR_CONFIG },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        watched_result r = run_watched(load_config_path, (void *)cases[i].path, 10, WATCHDOG_MEMORY);
        CHECK_MSG(r.finished, "lit_config_load_file(%s): %s", cases[i].path, r.message);
        CHECK_EQ_INT(r.status, cases[i].st);
        CHECK_STR_CONTAINS(r.message, cases[i].path);
        CHECK_STR_CONTAINS(r.message, cases[i].msg);
    }
    unlink(fifo);
    unlink(big);
    rmdir(dir);
}

/* ---------------------------------------------------------------- bombs
 * Issue 11 finding 10: a 1 MB aliased-string file reached 12 GB in 32 s and
 * a 2 KB nested-interpolation file 10 GB in 25 s; a 100k-key map took
 * quadratic time. Each bomb runs in a child under a watchdog (alarm, and a
 * memory limit outside ASan), so the old code fails here instead of taking
 * the machine down. */

/* Load (and resolve) the text in *arg; the status says where it stopped. */
static lit_status load_and_resolve(void *arg) {
    const char *text = arg;
    lit_config *c = NULL;
    lit_status st = lit_config_load_buffer(&c, text, strlen(text), "bomb.yaml");
    if (st == LIT_OK) st = lit_config_resolve(c);
    lit_config_free(c);
    return st;
}

static char *repeat_text(test_buf *b, const char *piece, int times) {
    for (int i = 0; i < times; i++) tbuf_puts(b, piece);
    return b->data;
}

static void expect_refused(const char *text, const char *msg) {
    watched_result r = run_watched(load_and_resolve, (void *)text, 10, WATCHDOG_MEMORY);
    CHECK_MSG(r.finished, "%s", r.message);
    CHECK_EQ_INT(r.status, LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(r.message, msg);
}

TEST(alias_bomb_bounded_by_bytes) {
    /* 20000 aliases of a 500 KB string: 10 GB expanded, 100 KB of nodes. */
    test_buf b = { 0 };
    tbuf_puts(&b, "a: &a \"");
    repeat_text(&b, "x", 500000);
    tbuf_puts(&b, "\"\nl:\n");
    repeat_text(&b, " - *a\n", 20000);
    expect_refused(b.data, "bomb.yaml:136:4: alias *a: expanding it makes more than 64 MiB of text "
                           "(LIT_CONFIG_MAX_BYTES)");
    free(b.data);
}

TEST(interpolation_bombs_bounded) {
    /* v_i = "${v_(i-1)}${v_(i-1)}": 2^40 bytes from 1 KB of text. */
    test_buf b = { 0 };
    tbuf_puts(&b, "v0: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    char line[64];
    for (int i = 1; i <= 40; i++) {
        snprintf(line, sizeof line, "v%d: ${v%d}${v%d}\n", i, i - 1, i - 1);
        tbuf_puts(&b, line);
    }
    expect_refused(b.data, ": resolving its interpolations makes more than 64 MiB of text (LIT_CONFIG_MAX_BYTES)");
    free(b.data);

    /* A whole map copied by 5000 interpolations: 500000 nodes. */
    b = (test_buf){ 0 };
    tbuf_puts(&b, "base: {");
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof line, "%sk%d: %d", i ? ", " : "", i, i);
        tbuf_puts(&b, line);
    }
    tbuf_puts(&b, "}\n");
    for (int i = 0; i < 5000; i++) {
        snprintf(line, sizeof line, "c%d: ${base}\n", i);
        tbuf_puts(&b, line);
    }
    expect_refused(b.data, ": resolving its interpolations makes more than 100000 nodes (LIT_CONFIG_MAX_NODES)");
    free(b.data);

    /* ${${${...}}} 100000 deep used to overflow the stack. */
    b = (test_buf){ 0 };
    tbuf_puts(&b, "a: \"");
    repeat_text(&b, "${", 100000);
    tbuf_puts(&b, "x");
    repeat_text(&b, "}", 100000);
    tbuf_puts(&b, "\"\n");
    expect_refused(b.data, "bomb.yaml:1:4: a: interpolations nested more than 64 deep (LIT_CONFIG_MAX_DEPTH)");
    free(b.data);
}

/* Aliases and interpolations fanning out: what a resolve makes is bounded
 * as a whole, so a resolved config's dump always reads back (fuzz-config
 * found a 1.2 KB file whose resolved dump had more than 100000 nodes). */
static void fan_out(test_buf *b, int copies) {
    tbuf_puts(b, "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"); /* 1111 nodes */
    char line[64];
    for (int i = 0; i < copies; i++) {
        snprintf(line, sizeof line, "c%d: ${c}\n", i);
        tbuf_puts(b, line);
    }
}

TEST(resolved_config_reads_back) {
    test_buf b = { 0 };
    fan_out(&b, 89); /* 89 x 1111 made by the resolve (< 100000), 100205 in the whole tree */
    expect_refused(b.data, "bomb.yaml: the resolved config makes more than 100000 nodes (LIT_CONFIG_MAX_NODES)");
    free(b.data);

    b = (test_buf){ 0 };
    fan_out(&b, 80); /* 81 x 1111: within it, and its dump loads again, equal */
    lit_config *c = load(b.data);
    CHECK_EQ_INT(lit_config_resolve(c), LIT_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CHECK(lit_config_dump(c, f) == LIT_OK);
    fclose(f);
    lit_config *back = NULL;
    CHECK_MSG(lit_config_load_buffer(&back, text, len, "dump") == LIT_OK, "%s", lit_last_error());
    if (back) CHECK(lit_config_node_equal(lit_config_root(c), lit_config_root(back)));
    lit_config_free(back);
    lit_config_free(c);
    free(text);
    free(b.data);
}

TEST(anchors_and_big_maps_linear) {
    /* Anchors are capped (the table is scanned per alias). */
    test_buf b = { 0 };
    char line[64];
    for (int i = 0; i < 1025; i++) {
        snprintf(line, sizeof line, "a%d: &a%d %d\n", i, i, i);
        tbuf_puts(&b, line);
    }
    expect_refused(b.data, "bomb.yaml:1025:8: more than 1024 anchors (&name) in one document (LIT_CONFIG_MAX_ANCHORS)");
    free(b.data);

    /* 33000 keys and 33000 lookups of the last: linear work now (~0.2 s),
     * well inside a generous watchdog; the linear scans of the duplicate
     * check and of each lookup made it ~1.6e9 key comparisons (> 10 s). */
    b = (test_buf){ 0 };
    tbuf_puts(&b, "m:\n");
    for (int i = 0; i < 33000; i++) {
        snprintf(line, sizeof line, "  k%d: %d\n", i, i);
        tbuf_puts(&b, line);
    }
    tbuf_puts(&b, "r:\n");
    repeat_text(&b, "  - ${m.k32999}\n", 33000);
    watched_result r = run_watched(load_and_resolve, b.data, 5, WATCHDOG_MEMORY);
    CHECK_MSG(r.finished, "%s", r.message);
    CHECK_EQ_INT(r.status, LIT_OK);
    free(b.data);

    /* The index follows edits: remove, then append, then look up. */
    lit_config *c = load("m: {k0: 0, k1: 1, k2: 2, k3: 3, k4: 4, k5: 5, k6: 6, k7: 7, k8: 8, k9: 9, k10: 10, "
                         "k11: 11, k12: 12, k13: 13, k14: 14, k15: 15, k16: 16, k17: 17}\n");
    CHECK(lit_config_remove(c, "m.k3") == LIT_OK);
    CHECK(lit_config_get(c, "m.k3") == NULL);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "m.k17")), "17");
    CHECK(lit_config_set_override(c, "--m.k3=33") == LIT_OK);
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "m.k3")), "33");
    CHECK_STR_EQ(lit_config_scalar(lit_config_get(c, "m.k4")), "4");
    CHECK_EQ_INT(lit_config_map_size(lit_config_get(c, "m")), 18);
    lit_config_free(c);
}

int main(void) {
    RUN(positions_and_types);
    RUN(parse_errors);
    RUN(merge_order);
    RUN(overrides);
    RUN(interpolation);
    RUN(typed_getters);
    RUN(suggestions);
    RUN(trainer_every_field);
    RUN(trainer_errors);
    RUN(dump_roundtrip);
    RUN(precedence);
    RUN(empty_env_values);
    RUN(config_file_kinds_refused);
    RUN(alias_bomb_bounded_by_bytes);
    RUN(interpolation_bombs_bounded);
    RUN(anchors_and_big_maps_linear);
    RUN(resolved_config_reads_back);
    return harness_summary();
}
