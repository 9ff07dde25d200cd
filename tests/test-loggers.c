/*
 * tests/test-loggers.c — the experiment loggers (loggers.h):
 *   - CSVLogger: metrics.csv byte for byte for a scripted run (a new key
 *     mid-run rewrites the header, NaN/inf as Python, "epoch" as an int,
 *     a quoted key, flush every n steps) and hparams.yaml byte for byte.
 *     The expected texts are what Lightning 2.6's CSVLogger and PyYAML 6
 *     wrote for the same calls;
 *   - versioning: version_0 and version_3 (and a version_x folder and a
 *     version_7 *file*) give version_4; fixed and string versions; no
 *     experiment name; nothing on disk before the first write;
 *   - JSONLLogger: every line parsed back with jansson;
 *   - TensorBoardLogger: the events file decoded by an independent reader
 *     (tests/tfevents-reader.h: TFRecord framing, both masked CRC-32Cs
 *     computed bit by bit, protobuf wire format by hand), every tag, step
 *     and value checked; then, when a python with the `tensorboard` package
 *     is there, tensorboard's own EventAccumulator reads it (tests/interop/read_tfevents.py; LITC_PYTHON,
 *     else /opt/litc-ref-venv/bin/python, else /usr/bin/python3; a missing
 *     package is a skip: exit 77, listed as skipped by CTest);
 *   - an unwritable directory is LIT_ERR_IO naming the path, for each logger.
 */
#include <jansson.h>
#include <sys/wait.h>

#include "harness.h"
#include "tfevents-reader.h"
#include "tmp-dir.h"

static double fixed_clock(void) { return 1700000000.25; }

static char *slurp(const char *path, size_t *n_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    fclose(f);
    s[got] = 0;
    if (n_out) *n_out = got;
    return s;
}

static void check_file(const char *path, const char *want) {
    char *got = slurp(path, NULL);
    CHECK_MSG(got != NULL, "cannot read %s", path);
    if (got) CHECK_MSG(strcmp(got, want) == 0, "%s:\n--- got ---\n%s\n--- want ---\n%s", path, got, want);
    free(got);
}

static lit_status log1(lit_logger *lg, const char *k, double v, int64_t step) {
    return lg->log_metrics(lg, 1, &k, &v, step);
}

/* ---------------------------------------------------------------- CSV */

TEST(csv_logger_matches_lightning) {
    char *dir = make_tmp_dir("csvlog");
    char p[1024];
    snprintf(p, sizeof p, "%s/lightning_logs/version_0", dir);
    CHECK(mkdir(join(dir, "lightning_logs"), 0777) == 0);
    CHECK(mkdir(p, 0777) == 0);
    snprintf(p, sizeof p, "%s/lightning_logs/version_3", dir);
    CHECK(mkdir(p, 0777) == 0);
    snprintf(p, sizeof p, "%s/lightning_logs/version_x", dir);
    CHECK(mkdir(p, 0777) == 0);
    snprintf(p, sizeof p, "%s/lightning_logs/version_7", dir); /* a file: not a version */
    FILE *f = fopen(p, "w");
    fclose(f);

    lit_csv_logger_params cp = lit_csv_logger_default_params();
    cp.save_dir = dir;
    cp.flush_logs_every_n_steps = 2;
    lit_logger lg;
    CHECK_EQ_INT(lit_csv_logger(&lg, &cp), LIT_OK);
    CHECK_STR_EQ(lg.name, "CSVLogger");
    CHECK_EQ_INT(lg.version_number(&lg), 4);
    char ld[1024];
    snprintf(ld, sizeof ld, "%s/lightning_logs/version_4", dir);
    CHECK_STR_EQ(lg.log_dir(&lg), ld);
    CHECK(!exists(ld)); /* made lazily */

    lit_logger_hparam hp[] = {
        { .name = "lr", .kind = 1, .d = 0.001 },   { .name = "hidden", .kind = 0, .i = 32 },
        { .name = "opt", .kind = 2, .s = "adam" }, { .name = "name", .kind = 2, .s = "my model" },
        { .name = "eps", .kind = 1, .d = 1e-8 },   { .name = "flag", .kind = 2, .s = "yes" },
        { .name = "empty", .kind = 2, .s = "" },
    };
    CHECK_EQ_INT(lg.log_hyperparams(&lg, 7, hp), LIT_OK);
    check_file(join(ld, "hparams.yaml"),
               "empty: ''\neps: 1.0e-08\nflag: 'yes'\nhidden: 32\nlr: 0.001\nname: my model\nopt: adam\n");

    const char *k0[] = { "train/loss", "lr" };
    double v0[] = { 0.5, 0.1 };
    CHECK_EQ_INT(lg.log_metrics(&lg, 2, k0, v0, 0), LIT_OK);
    CHECK(!exists(join(ld, "metrics.csv"))); /* (0 + 1) % 2 != 0: still in memory */
    double v1[] = { 0.25, 1e-5 };
    CHECK_EQ_INT(lg.log_metrics(&lg, 2, k0, v1, 1), LIT_OK); /* flushed */
    check_file(join(ld, "metrics.csv"), "lr,step,train/loss\r\n0.1,0,0.5\r\n1e-05,1,0.25\r\n");
    const char *k2[] = { "train/loss", "val/acc", "epoch" };
    double v2[] = { NAN, INFINITY, 0 };
    CHECK_EQ_INT(lg.log_metrics(&lg, 3, k2, v2, 2), LIT_OK);
    const char *k3[] = { "val/acc", "a,b" };
    double v3[] = { -INFINITY, 1234.0 };
    CHECK_EQ_INT(lg.log_metrics(&lg, 2, k3, v3, 3), LIT_OK); /* new keys: the header is rewritten */
    CHECK_EQ_INT(log1(&lg, "train/loss", 1e16, 4), LIT_OK);
    CHECK_EQ_INT(lg.finalize(&lg, "success"), LIT_OK);
    check_file(join(ld, "metrics.csv"), "\"a,b\",epoch,lr,step,train/loss,val/acc\r\n"
                                        ",,0.1,0,0.5,\r\n"
                                        ",,1e-05,1,0.25,\r\n"
                                        ",0,,2,nan,inf\r\n"
                                        "1234.0,,,3,,-inf\r\n"
                                        ",,,4,1e+16,\r\n");
    CHECK(!exists(join(ld, "metrics.csv.tmp")));
    lg.free(&lg);
    rm_rf(dir);
}

TEST(csv_logger_keeps_rows_until_the_flush_step_and_prefixes) {
    char *dir = make_tmp_dir("csvflush");
    lit_csv_logger_params cp = lit_csv_logger_default_params();
    cp.save_dir = dir;
    cp.name = "exp";
    cp.version = 2;
    cp.prefix = "fold1";
    lit_logger lg;
    CHECK_EQ_INT(lit_csv_logger(&lg, &cp), LIT_OK);
    CHECK_EQ_INT(lg.version_number(&lg), 2);
    const char *ld = lg.log_dir(&lg);
    CHECK_STR_EQ(ld, join(dir, "exp/version_2"));
    for (int s = 0; s < 98; s++) CHECK_EQ_INT(log1(&lg, "loss", 1.0 / (s + 1), s), LIT_OK);
    CHECK(!exists(join(ld, "metrics.csv")));
    CHECK_EQ_INT(log1(&lg, "loss", 0.75, 99), LIT_OK); /* (99 + 1) % 100 == 0 */
    char *got = slurp(join(ld, "metrics.csv"), NULL);
    CHECK(got && strncmp(got, "fold1-loss,step\r\n1.0,0\r\n0.5,1\r\n0.3333333333333333,2\r\n", 52) == 0);
    CHECK(got && strstr(got, "\r\n0.75,99\r\n") != NULL);
    free(got);
    CHECK_EQ_INT(lg.save(&lg), LIT_OK); /* nothing pending: unchanged */
    lg.free(&lg);

    /* hparams with PyYAML's quoting and folding (yaml.dump's own output) */
    cp = lit_csv_logger_default_params();
    cp.save_dir = dir;
    cp.version_name = "yaml-run";
    CHECK_EQ_INT(lit_csv_logger(&lg, &cp), LIT_OK);
    CHECK_EQ_INT(lg.version_number(&lg), -1);
    CHECK_STR_EQ(lg.log_dir(&lg), join(dir, "lightning_logs/yaml-run"));
    lit_logger_hparam hp[] = {
        { .name = "arch", .kind = 2,
          .s = "resnet-18 with a long description that goes on and on past the eighty column limit of pyyaml" },
        { .name = "big", .kind = 1, .d = 1e16 },     { .name = "date", .kind = 2, .s = "2024-01-02" },
        { .name = "multi", .kind = 2, .s = "line1\nline2" }, { .name = "nan", .kind = 1, .d = NAN },
        { .name = "neg", .kind = 0, .i = -3 },       { .name = "ninf", .kind = 1, .d = -INFINITY },
        { .name = "null", .kind = 2, .s = "null" },  { .name = "octal", .kind = 2, .s = "017" },
        { .name = "path", .kind = 2, .s = "/data/x: y" }, { .name = "ratio", .kind = 1, .d = 0.25 },
        { .name = "tab", .kind = 2, .s = "a\tb" },   { .name = "uni", .kind = 2, .s = "caf\xc3\xa9" },
    };
    CHECK_EQ_INT(lg.log_hyperparams(&lg, 13, hp), LIT_OK);
    /* a second call updates like dict.update */
    lit_logger_hparam hp2[] = { { .name = "ratio", .kind = 1, .d = 0.5 } };
    CHECK_EQ_INT(lg.log_hyperparams(&lg, 1, hp2), LIT_OK);
    check_file(join(join(dir, "lightning_logs/yaml-run"), "hparams.yaml"),
               "arch: resnet-18 with a long description that goes on and on past the eighty column\n"
               "  limit of pyyaml\nbig: 1.0e+16\ndate: '2024-01-02'\nmulti: 'line1\n\n  line2'\nnan: .nan\n"
               "neg: -3\nninf: -.inf\n'null': 'null'\noctal: '017'\npath: '/data/x: y'\nratio: 0.5\n"
               "tab: \"a\\tb\"\nuni: \"caf\\xE9\"\n");
    CHECK_EQ_INT(lg.finalize(&lg, "success"), LIT_OK); /* no metrics: no metrics.csv */
    CHECK(!exists(join(join(dir, "lightning_logs/yaml-run"), "metrics.csv")));
    lg.free(&lg);

    /* flush interval < 1 is a config error; no save_dir too */
    cp = lit_csv_logger_default_params();
    cp.save_dir = dir;
    cp.flush_logs_every_n_steps = 0;
    CHECK_EQ_INT(lit_csv_logger(&lg, &cp), LIT_ERR_CONFIG);
    cp = lit_csv_logger_default_params();
    CHECK_EQ_INT(lit_csv_logger(&lg, &cp), LIT_ERR_CONFIG);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- versions */

TEST(versions_follow_lightning) {
    char *dir = make_tmp_dir("logver");
    int64_t v = -5;
    CHECK_EQ_INT(lit_logger_next_version(join(dir, "missing"), &v), LIT_OK);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(lit_logger_next_version(dir, &v), LIT_OK);
    CHECK_EQ_INT(v, 0);
    CHECK(mkdir(join(dir, "version_0"), 0777) == 0);
    CHECK(mkdir(join(dir, "version_3"), 0777) == 0);
    CHECK(mkdir(join(dir, "version_"), 0777) == 0);
    CHECK(mkdir(join(dir, "version_9a"), 0777) == 0);
    CHECK_EQ_INT(lit_logger_next_version(dir, &v), LIT_OK);
    CHECK_EQ_INT(v, 4);
    CHECK(mkdir(join(dir, "version_12_old"), 0777) == 0); /* split("_")[1] == "12" */
    CHECK_EQ_INT(lit_logger_next_version(dir, &v), LIT_OK);
    CHECK_EQ_INT(v, 13);

    /* name "" puts the versions straight into save_dir */
    lit_jsonl_logger_params jp = lit_jsonl_logger_default_params();
    jp.save_dir = dir;
    jp.name = "";
    lit_logger lg;
    CHECK_EQ_INT(lit_jsonl_logger(&lg, &jp), LIT_OK);
    CHECK_EQ_INT(lg.version_number(&lg), 13);
    CHECK_STR_EQ(lg.log_dir(&lg), join(dir, "version_13"));
    CHECK(!exists(join(dir, "version_13")));
    CHECK_EQ_INT(log1(&lg, "x", 1, 0), LIT_OK);
    CHECK(exists(join(dir, "version_13/metrics.jsonl")));
    /* the number was decided once: a new folder does not move it */
    CHECK(mkdir(join(dir, "version_20"), 0777) == 0);
    CHECK_EQ_INT(lg.version_number(&lg), 13);
    lg.free(&lg);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- JSONL */

TEST(jsonl_lines_parse_back) {
    char *dir = make_tmp_dir("jsonl");
    lit_jsonl_logger_params jp = lit_jsonl_logger_default_params();
    jp.save_dir = dir;
    jp.wall_clock = fixed_clock;
    jp.prefix = "p";
    lit_logger lg;
    CHECK_EQ_INT(lit_jsonl_logger(&lg, &jp), LIT_OK);
    CHECK_STR_EQ(lg.name, "JSONLLogger");
    lit_logger_hparam hp[] = {
        { .name = "hidden", .kind = 0, .i = 32 },
        { .name = "lr", .kind = 1, .d = 0.1 },
        { .name = "opt", .kind = 2, .s = "adam \"w\"\n" },
    };
    CHECK_EQ_INT(lg.log_hyperparams(&lg, 3, hp), LIT_OK);
    const char *k[] = { "train/loss", "epoch", "acc", "bad" };
    double v[] = { 0.6931471805599453, 3, 1.0, NAN };
    CHECK_EQ_INT(lg.log_metrics(&lg, 4, k, v, 49), LIT_OK);
    CHECK_EQ_INT(log1(&lg, "train/loss", -INFINITY, 50), LIT_OK);
    CHECK_EQ_INT(lg.finalize(&lg, "success"), LIT_OK);
    char *path = (char *)join(lg.log_dir(&lg), "metrics.jsonl");
    char *text = slurp(path, NULL);
    CHECK(text != NULL);
    /* the exact second line: shortest repr, epoch hoisted, strings for NaN */
    CHECK(text && strstr(text, "\n{\"type\": \"metrics\", \"wall_time\": 1700000000.25, \"step\": 49, \"epoch\": 3, "
                               "\"metrics\": {\"p-train/loss\": 0.6931471805599453, \"p-acc\": 1.0, \"p-bad\": "
                               "\"nan\"}}\n") != NULL);
    int lines = 0;
    for (char *line = text ? strtok(text, "\n") : NULL; line; line = strtok(NULL, "\n")) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        CHECK_MSG(j != NULL, "line %d is not JSON: %s (%s)", lines, line, err.text);
        if (!j) continue;
        CHECK_NEAR(json_real_value(json_object_get(j, "wall_time")), 1700000000.25, 0);
        const char *type = json_string_value(json_object_get(j, "type"));
        if (lines == 0) {
            CHECK_STR_EQ(type, "hparams");
            json_t *h = json_object_get(j, "hparams");
            CHECK(json_is_integer(json_object_get(h, "hidden")));
            CHECK_EQ_INT(json_integer_value(json_object_get(h, "hidden")), 32);
            CHECK(json_is_real(json_object_get(h, "lr")));
            CHECK(json_real_value(json_object_get(h, "lr")) == 0.1);
            CHECK_STR_EQ(json_string_value(json_object_get(h, "opt")), "adam \"w\"\n");
        } else if (lines == 1) {
            CHECK_STR_EQ(type, "metrics");
            CHECK_EQ_INT(json_integer_value(json_object_get(j, "step")), 49);
            CHECK_EQ_INT(json_integer_value(json_object_get(j, "epoch")), 3);
            json_t *m = json_object_get(j, "metrics");
            CHECK_EQ_INT(json_object_size(m), 3);
            CHECK(json_real_value(json_object_get(m, "p-train/loss")) == 0.6931471805599453);
            CHECK(json_real_value(json_object_get(m, "p-acc")) == 1.0);
            CHECK_STR_EQ(json_string_value(json_object_get(m, "p-bad")), "nan");
        } else if (lines == 2) {
            CHECK_EQ_INT(json_integer_value(json_object_get(j, "step")), 50);
            CHECK(json_object_get(j, "epoch") == NULL);
            CHECK_STR_EQ(json_string_value(json_object_get(json_object_get(j, "metrics"), "p-train/loss")), "-inf");
        } else if (lines == 3) {
            CHECK_STR_EQ(type, "finalize");
            CHECK_STR_EQ(json_string_value(json_object_get(j, "status")), "success");
        }
        json_decref(j);
        lines++;
    }
    CHECK_EQ_INT(lines, 4);
    free(text);
    lg.free(&lg);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- TensorBoard */

/* The events files are read back by tests/tfevents-reader.h. */

TEST(tensorboard_events_decode_exactly) {
    char *dir = make_tmp_dir("tblog");
    lit_tensorboard_logger_params tp = lit_tensorboard_logger_default_params();
    tp.save_dir = dir;
    tp.wall_clock = fixed_clock;
    lit_logger lg;
    CHECK_EQ_INT(lit_tensorboard_logger(&lg, &tp), LIT_OK);
    CHECK_STR_EQ(lg.name, "TensorBoardLogger");
    CHECK_EQ_INT(lg.version_number(&lg), 0);
    CHECK(lit_tensorboard_logger_file(&lg) == NULL);
    lit_logger_hparam hp[] = {
        { .name = "lr", .kind = 1, .d = 0.001 },
        { .name = "hidden", .kind = 0, .i = 32 },
        { .name = "opt", .kind = 2, .s = "adam" },
    };
    CHECK_EQ_INT(lg.log_hyperparams(&lg, 3, hp), LIT_OK);
    const char *ld = lg.log_dir(&lg);
    CHECK_STR_EQ(ld, join(dir, "lightning_logs/version_0"));
    CHECK(!exists(join(ld, "hparams.yaml"))); /* written by the first save */
    const char *k[] = { "train/loss", "lr" };
    double v0[] = { 0.5, 0.001 }, v1[] = { 0.25, 0.0005 };
    CHECK_EQ_INT(lg.log_metrics(&lg, 2, k, v0, 0), LIT_OK);
    CHECK_EQ_INT(lg.log_metrics(&lg, 2, k, v1, 7), LIT_OK);
    CHECK_EQ_INT(lg.save(&lg), LIT_OK);
    check_file(join(ld, "hparams.yaml"), "hidden: 32\nlr: 0.001\nopt: adam\n");
    const char *k2[] = { "val/acc", "epoch" };
    double v2[] = { 0.875, 1 };
    CHECK_EQ_INT(lg.log_metrics(&lg, 2, k2, v2, 1234567), LIT_OK);
    CHECK_EQ_INT(lit_tensorboard_logger_add_text(&lg, "notes", "hello | **world**", 3), LIT_OK);
    CHECK_EQ_INT(lg.finalize(&lg, "success"), LIT_OK);

    const char *path = lit_tensorboard_logger_file(&lg);
    CHECK(path != NULL);
    if (!path) {
        lg.free(&lg);
        return;
    }
    /* events.out.tfevents.<%010d time>.<host>.<pid>.<n> */
    char host[256] = "";
    gethostname(host, sizeof host);
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s/events.out.tfevents.1700000000.%s.%lld.", ld, host, (long long)getpid());
    CHECK_MSG(strncmp(path, prefix, strlen(prefix)) == 0, "file %s, expected %s<n>", path, prefix);

    events_file ef = { 0 };
    CHECK(read_events(path, &ef));
    CHECK_EQ_INT(ef.n, 1 + 1 + 3 + 4 + 2 + 1);
    for (int i = 0; i < ef.n; i++) CHECK(ef.ev[i].wall_time == 1700000000.25);
    CHECK_EQ_INT(ef.ev[0].has_file_version, 1);
    CHECK_EQ_INT(ef.ev[0].has_source, 1);
    CHECK(ef.ev[0].tag[0] == 0);
    /* hp_metric = -1 with no step, then the three hparams summaries */
    CHECK_STR_EQ(ef.ev[1].tag, "hp_metric");
    CHECK(ef.ev[1].has_simple && ef.ev[1].simple == -1.0f && ef.ev[1].step == 0);
    const char *hp_tags[] = { "_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info" };
    for (int i = 0; i < 3; i++) {
        decoded_event *e = &ef.ev[2 + i];
        CHECK_STR_EQ(e->tag, hp_tags[i]);
        CHECK_STR_EQ(e->plugin, "hparams");
        CHECK(!e->has_simple && e->tensor == NULL && e->step == 0);
        pb_field body;
        CHECK_EQ_INT(hparams_kind(e, &body), 2 + i);
        if (hparams_kind(e, &body) != 2 + i) continue;
        const unsigned char *q = body.p, *end = body.p + body.n;
        pb_field f;
        int seen = 0;
        while (pb_next(&q, end, &f) > 0) {
            if (i == 0 && f.field == 4) { /* HParamInfo{name, type} */
                pb_field name, type;
                CHECK(pb_get(f.p, f.n, 1, &name));
                const unsigned char *a = f.p, *ae = f.p + f.n;
                type.u = 0;
                while (pb_next(&a, ae, &type) > 0 && type.field != 4) {}
                CHECK(str_is(&name, hp[seen].name));
                CHECK_EQ_INT(type.u, hp[seen].kind == 2 ? 1 : 3);
                seen++;
            } else if (i == 0 && f.field == 5) { /* MetricInfo{name: MetricName{tag 2}} */
                pb_field mn, tag;
                CHECK(pb_get(f.p, f.n, 1, &mn) && pb_get(mn.p, mn.n, 2, &tag) && str_is(&tag, "hp_metric"));
            } else if (i == 1 && f.field == 1) { /* map entry {key 1, value 2: Value{number 2 | string 3}} */
                pb_field key, val;
                CHECK(pb_get(f.p, f.n, 1, &key) && pb_get(f.p, f.n, 2, &val));
                CHECK(str_is(&key, hp[seen].name));
                const unsigned char *a = val.p, *ae = val.p + val.n;
                pb_field x;
                CHECK(pb_next(&a, ae, &x) > 0);
                if (hp[seen].kind == 2) CHECK(x.field == 3 && str_is(&x, hp[seen].s));
                else CHECK(x.field == 2 && as_double(x.u) == (hp[seen].kind == 0 ? (double)hp[seen].i : hp[seen].d));
                seen++;
            } else if (i == 2) {
                CHECK(f.field == 1 && f.wire == 0 && f.u == 1); /* STATUS_SUCCESS */
                seen++;
            } else {
                CHECK_MSG(0, "unexpected field %d in hparams summary %d", f.field, i);
            }
        }
        CHECK_EQ_INT(seen, i == 2 ? 1 : 3);
    }
    struct { const char *tag; int64_t step; float v; } sc[] = {
        { "train/loss", 0, 0.5f }, { "lr", 0, 0.001f },  { "train/loss", 7, 0.25f },
        { "lr", 7, 0.0005f },      { "val/acc", 1234567, 0.875f }, { "epoch", 1234567, 1.0f },
    };
    for (int i = 0; i < 6; i++) {
        decoded_event *e = &ef.ev[5 + i];
        CHECK_STR_EQ(e->tag, sc[i].tag);
        CHECK_EQ_INT(e->step, sc[i].step);
        CHECK(e->has_simple && e->simple == sc[i].v);
        CHECK(e->plugin[0] == 0);
    }
    /* text: tag/text_summary, plugin "text" without content, DT_STRING [1] */
    decoded_event *t = &ef.ev[11];
    CHECK_STR_EQ(t->tag, "notes/text_summary");
    CHECK_STR_EQ(t->plugin, "text");
    CHECK(t->content == NULL);
    CHECK_EQ_INT(t->step, 3);
    CHECK(t->tensor != NULL);
    if (t->tensor) {
        const unsigned char *a = t->tensor, *ae = t->tensor + t->tensor_n;
        pb_field f;
        int fields = 0;
        while (pb_next(&a, ae, &f) > 0) {
            fields++;
            if (f.field == 1) CHECK_EQ_INT(f.u, 7);
            else if (f.field == 2) {
                pb_field dim, size;
                CHECK(pb_get(f.p, f.n, 2, &dim));
                const unsigned char *b = dim.p, *be = dim.p + dim.n;
                CHECK(pb_next(&b, be, &size) > 0 && size.field == 1 && size.u == 1);
            } else if (f.field == 8) CHECK(str_is(&f, "hello | **world**"));
            else CHECK_MSG(0, "unexpected TensorProto field %d", f.field);
        }
        CHECK_EQ_INT(fields, 3);
    }
    events_file_free(&ef);

    /* the expectations for tensorboard's reader */
    FILE *f = fopen(join(dir, "expected.json"), "w");
    fprintf(f, "{\"file_version\": \"brain.Event:2\", \"wall_time\": 1700000000.25,\n \"scalars\": {"
               "\"hp_metric\": [[0, -1.0]], \"train/loss\": [[0, 0.5], [7, 0.25]], \"lr\": [[0, %.9g], [7, %.9g]],"
               " \"val/acc\": [[1234567, 0.875]], \"epoch\": [[1234567, 1.0]]},\n"
               " \"texts\": {\"notes/text_summary\": [[3, \"hello | **world**\"]]},\n"
               " \"hparams\": {\"lr\": 0.001, \"hidden\": 32, \"opt\": \"adam\"}, \"metrics\": [\"hp_metric\"]}\n",
            (double)0.001f, (double)0.0005f);
    fclose(f);
    const char *py = getenv("LITC_PYTHON");
    if (!py) py = access("/opt/litc-ref-venv/bin/python", X_OK) == 0 ? "/opt/litc-ref-venv/bin/python" : "/usr/bin/python3";
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s %s/tests/interop/read_tfevents.py '%s' '%s'", py, LITC_SOURCE_DIR, path,
             join(dir, "expected.json"));
    fflush(stdout);
    int rc = access(py, X_OK) == 0 ? system(cmd) : -1;
    int code = rc >= 0 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
    if (code == 77 || access(py, X_OK) != 0)
        SKIP("%s has no tensorboard package; tensorboard's own reader did not run (scripts/deps.sh installs it)", py);
    else
        CHECK_MSG(code == 0, "tensorboard's EventAccumulator disagrees with the events file (exit %d)", code);
    lg.free(&lg);
    rm_rf(dir);
}

TEST(tensorboard_options_and_lazy_files) {
    char *dir = make_tmp_dir("tbopt");
    lit_tensorboard_logger_params tp = lit_tensorboard_logger_default_params();
    tp.save_dir = dir;
    tp.name = "";
    tp.version = 5;
    tp.sub_dir = "train";
    tp.prefix = "gan";
    tp.default_hp_metric = 0;
    tp.filename_suffix = ".v2";
    tp.wall_clock = fixed_clock;
    lit_logger lg;
    CHECK_EQ_INT(lit_tensorboard_logger(&lg, &tp), LIT_OK);
    lit_logger_hparam hp[] = { { .name = "z", .kind = 0, .i = 64 } };
    CHECK_EQ_INT(lg.log_hyperparams(&lg, 1, hp), LIT_OK);
    CHECK(!exists(join(dir, "version_5"))); /* no hp_metric: nothing written yet */
    CHECK_EQ_INT(log1(&lg, "d_loss", 0.125, 2), LIT_OK);
    const char *path = lit_tensorboard_logger_file(&lg);
    CHECK(path && strstr(path, "/version_5/train/events.out.tfevents.1700000000.") != NULL);
    CHECK(path && strlen(path) > 3 && strcmp(path + strlen(path) - 3, ".v2") == 0);
    CHECK_EQ_INT(lg.finalize(&lg, "failed"), LIT_OK); /* not "success": no hparams.yaml */
    CHECK(!exists(join(dir, "version_5/hparams.yaml")));
    events_file ef = { 0 };
    CHECK(path && read_events(path, &ef));
    CHECK_EQ_INT(ef.n, 2);
    CHECK_STR_EQ(ef.ev[1].tag, "gan-d_loss");
    CHECK_EQ_INT(ef.ev[1].step, 2);
    events_file_free(&ef);
    lg.free(&lg);
    rm_rf(dir);
}

/* ---------------------------------------------------------------- errors */

TEST(unwritable_directories_are_io_errors) {
    char *dir = make_tmp_dir("logerr");
    /* a regular file where a directory should be: mkdir fails even as root */
    const char *blocker = join(dir, "file");
    FILE *f = fopen(blocker, "w");
    fclose(f);
    char save_dir[1100];
    snprintf(save_dir, sizeof save_dir, "%s/file/logs", dir);
    lit_logger lg;
    lit_logger_hparam hp[] = { { .name = "a", .kind = 0, .i = 1 } };

    lit_csv_logger_params cp = lit_csv_logger_default_params();
    cp.save_dir = save_dir;
    CHECK_EQ_INT(lit_csv_logger(&lg, &cp), LIT_OK);
    CHECK_EQ_INT(log1(&lg, "x", 1, 0), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), blocker);
    CHECK_EQ_INT(lg.log_hyperparams(&lg, 1, hp), LIT_ERR_IO);
    CHECK_EQ_INT(lg.finalize(&lg, "success"), LIT_OK); /* no row was kept: nothing to write */
    lg.free(&lg);

    lit_tensorboard_logger_params tp = lit_tensorboard_logger_default_params();
    tp.save_dir = save_dir;
    CHECK_EQ_INT(lit_tensorboard_logger(&lg, &tp), LIT_OK);
    CHECK_EQ_INT(log1(&lg, "x", 1, 0), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), blocker);
    CHECK_EQ_INT(lg.log_hyperparams(&lg, 1, hp), LIT_ERR_IO);
    CHECK_EQ_INT(lg.save(&lg), LIT_ERR_IO);
    lg.free(&lg);

    lit_jsonl_logger_params jp = lit_jsonl_logger_default_params();
    jp.save_dir = save_dir;
    CHECK_EQ_INT(lit_jsonl_logger(&lg, &jp), LIT_OK);
    CHECK_EQ_INT(log1(&lg, "x", 1, 0), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), blocker);
    CHECK_EQ_INT(lg.finalize(&lg, "failed"), LIT_OK); /* nothing was opened */
    lg.free(&lg);

    /* a directory where metrics.csv should be written */
    cp = lit_csv_logger_default_params();
    cp.save_dir = dir;
    cp.version = 0;
    CHECK_EQ_INT(lit_csv_logger(&lg, &cp), LIT_OK);
    CHECK_EQ_INT(log1(&lg, "x", 1, 0), LIT_OK);
    CHECK(mkdir(join(dir, "lightning_logs/version_0/metrics.csv"), 0777) == 0);
    CHECK_EQ_INT(lg.save(&lg), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "metrics.csv");
    lg.free(&lg);

    /* /dev/full: every write fails at the flush */
    jp = lit_jsonl_logger_default_params();
    jp.save_dir = "/dev";
    jp.name = "";
    jp.version_name = ".";
    jp.file_name = "full";
    if (access("/dev/full", W_OK) == 0) {
        CHECK_EQ_INT(lit_jsonl_logger(&lg, &jp), LIT_OK);
        CHECK_EQ_INT(log1(&lg, "x", 1, 0), LIT_ERR_IO);
        CHECK_STR_CONTAINS(lit_last_error(), "/dev/./full");
        lg.free(&lg);
    }
    rm_rf(dir);
}

int main(void) {
    lit_log_set_level(LIT_LOG_ERROR);
    RUN(csv_logger_matches_lightning);
    RUN(csv_logger_keeps_rows_until_the_flush_step_and_prefixes);
    RUN(versions_follow_lightning);
    RUN(jsonl_lines_parse_back);
    RUN(tensorboard_events_decode_exactly);
    RUN(tensorboard_options_and_lazy_files);
    RUN(unwritable_directories_are_io_errors);
    return harness_summary();
}
