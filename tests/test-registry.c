/*
 * The class registry (registry.h): registration, look-up by name and
 * class_path alias with "did you mean", duplicates; init_args validation
 * (unknown keys with a suggestion and the key's position, wrong types,
 * enums, nulls, missing required arguments) with exact messages; defaults
 * filled in and written back as YAML (--print_config); every built-in
 * callback, logger, optimizer and lr scheduler built from a small YAML and
 * its resulting params checked; --help text listing every option with its
 * type, default and doc; the mlp-digits model and data module built and
 * freed. The example's sources are compiled in (not its main.c).
 */
#include "harness.h"
#include "tmp-dir.h"

#include "litc/registry.h"

#include "../examples/mlp-digits/digits.c"
#include "../examples/mlp-digits/train.c"
#include "../examples/mlp-digits/datamodule.c"
#include "../examples/mlp-digits/module.c"
#include "../examples/mlp-digits/registry.c"

/* ---------------------------------------------------------------- helpers */

/* A config parsed from `text` as file "t.yaml" (NULL on failure, reported). */
static lit_config *load(const char *text) {
    lit_config *cfg = NULL;
    lit_status st = lit_config_load_string(&cfg, text, "t.yaml");
    CHECK_MSG(st == LIT_OK, "load: %s", lit_last_error());
    return cfg;
}

/* Resolve the class entry at `path` of `text`; the status, and on success
 * *cls and *args (args freed by the caller; the config stays in *cfg_out). */
static lit_status resolve_at(lit_registry_kind kind, const char *text, const char *path, lit_config **cfg_out,
                             const lit_registry_class **cls, lit_registry_args **args) {
    lit_config *cfg = load(text);
    *cfg_out = cfg;
    *cls = NULL;
    *args = NULL;
    if (!cfg) return LIT_ERR_CONFIG;
    return lit_registry_resolve(kind, lit_config_get(cfg, path), cls, args);
}

/* Resolve and expect failure with exactly `msg`. */
static void expect_error(lit_registry_kind kind, const char *text, const char *path, const char *msg) {
    lit_config *cfg;
    const lit_registry_class *cls;
    lit_registry_args *args;
    lit_status st = resolve_at(kind, text, path, &cfg, &cls, &args);
    CHECK_EQ_INT(st, LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), msg);
    CHECK(args == NULL);
    lit_registry_args_free(args);
    lit_config_free(cfg);
}

/* Everything `fn(f, arg)` writes, as a malloc'd string. */
static char *capture_help(const lit_registry_class *cls) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    CHECK(f != NULL);
    if (!f) return NULL;
    CHECK_EQ_INT(lit_registry_print_help(f, cls), LIT_OK);
    fclose(f);
    return buf;
}

/* A callback built from YAML `text` (its trainer.callbacks.0). */
static lit_status build_cb(const char *text, lit_callback *cb, const lit_registry_context *ctx) {
    lit_config *cfg;
    const lit_registry_class *cls;
    lit_registry_args *args;
    lit_status st = resolve_at(LIT_REG_CALLBACK, text, "trainer.callbacks.0", &cfg, &cls, &args);
    if (st == LIT_OK) st = lit_registry_build_callback(cls, args, ctx, cb);
    lit_registry_args_free(args);
    lit_config_free(cfg);
    return st;
}

static lit_status build_logger(const char *text, lit_logger *lg, const lit_registry_context *ctx) {
    lit_config *cfg;
    const lit_registry_class *cls;
    lit_registry_args *args;
    lit_status st = resolve_at(LIT_REG_LOGGER, text, "logger", &cfg, &cls, &args);
    if (st == LIT_OK) st = lit_registry_build_logger(cls, args, ctx, lg);
    lit_registry_args_free(args);
    lit_config_free(cfg);
    return st;
}

static lit_status build_opt(const char *text, lit_tensor *const *params, int n, lit_optimizer **out) {
    lit_config *cfg;
    const lit_registry_class *cls;
    lit_registry_args *args;
    lit_status st = resolve_at(LIT_REG_OPTIMIZER, text, "optimizer", &cfg, &cls, &args);
    if (st == LIT_OK) st = lit_registry_build_optimizer(cls, args, NULL, params, n, out);
    lit_registry_args_free(args);
    lit_config_free(cfg);
    return st;
}

static lit_status build_sched(const char *text, lit_optimizer *opt, lit_lr_scheduler_config *out) {
    lit_config *cfg;
    const lit_registry_class *cls;
    lit_registry_args *args;
    lit_status st = resolve_at(LIT_REG_LR_SCHEDULER, text, "lr_scheduler", &cfg, &cls, &args);
    if (st == LIT_OK) st = lit_registry_build_lr_scheduler(cls, args, NULL, opt, out);
    lit_registry_args_free(args);
    lit_config_free(cfg);
    return st;
}

/* A user callback class for the registration tests. */
static lit_status build_nothing(const lit_registry_args *a, const lit_registry_context *ctx, lit_callback *out) {
    memset(out, 0, sizeof *out);
    out->version = LIT_CALLBACK_VERSION;
    out->name = "Mine";
    return LIT_OK;
}

static const lit_arg_spec mine_args[] = {
    {"size", LIT_ARG_INT, "4", "How many.", 0, 0, NULL},
};

/* ---------------------------------------------------------------- registration and look-up */

TEST(builtins_are_registered_once) {
    CHECK_EQ_INT(lit_registry_register_builtins(), LIT_OK);
    int n[LIT_REG_KIND_COUNT];
    for (int k = 0; k < LIT_REG_KIND_COUNT; k++) n[k] = lit_registry_count((lit_registry_kind)k);
    CHECK_EQ_INT(n[LIT_REG_CALLBACK], 12);
    CHECK_EQ_INT(n[LIT_REG_LOGGER], 4);
    CHECK_EQ_INT(n[LIT_REG_OPTIMIZER], 3);
    CHECK_EQ_INT(n[LIT_REG_LR_SCHEDULER], 10);
    CHECK_EQ_INT(lit_registry_register_builtins(), LIT_OK); /* idempotent */
    for (int k = 0; k < LIT_REG_KIND_COUNT; k++) CHECK_EQ_INT(lit_registry_count((lit_registry_kind)k), n[k]);
    CHECK_STR_EQ(lit_registry_at(LIT_REG_CALLBACK, 0)->name, "ModelCheckpoint");
    CHECK_STR_EQ(lit_registry_kind_name(LIT_REG_LR_SCHEDULER), "lr_scheduler");
}

TEST(find_by_name_and_alias) {
    static const struct {
        lit_registry_kind kind;
        const char *path, *name;
    } cases[] = {
        {LIT_REG_CALLBACK, "ModelCheckpoint", "ModelCheckpoint"},
        {LIT_REG_CALLBACK, "lightning.pytorch.callbacks.ModelCheckpoint", "ModelCheckpoint"},
        {LIT_REG_CALLBACK, "pytorch_lightning.callbacks.EarlyStopping", "EarlyStopping"},
        {LIT_REG_CALLBACK, "litc.callbacks.Timer", "Timer"},
        {LIT_REG_LOGGER, "lightning.pytorch.loggers.CSVLogger", "CSVLogger"},
        {LIT_REG_LOGGER, "pytorch_lightning.loggers.TensorBoardLogger", "TensorBoardLogger"},
        {LIT_REG_OPTIMIZER, "torch.optim.Adam", "Adam"},
        {LIT_REG_OPTIMIZER, "torch.optim.AdamW", "AdamW"},
        {LIT_REG_LR_SCHEDULER, "torch.optim.lr_scheduler.StepLR", "StepLR"},
        {LIT_REG_LR_SCHEDULER, "torch.optim.lr_scheduler.ReduceLROnPlateau", "ReduceLROnPlateau"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const lit_registry_class *c = NULL;
        CHECK_EQ_INT(lit_registry_find(cases[i].kind, cases[i].path, NULL, &c), LIT_OK);
        CHECK(c != NULL && strcmp(c->name, cases[i].name) == 0);
    }
    /* Kinds are separate name spaces. */
    const lit_registry_class *c = (const lit_registry_class *)1;
    CHECK_EQ_INT(lit_registry_find(LIT_REG_LOGGER, "ModelCheckpoint", NULL, &c), LIT_ERR_CONFIG);
    CHECK(c == NULL);
}

TEST(unknown_class_suggests) {
    const lit_registry_class *c;
    CHECK_EQ_INT(lit_registry_find(LIT_REG_CALLBACK, "ModelCheckpont", "a.yaml:3:17", &c), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(),
                 "a.yaml:3:17: unknown callback class 'ModelCheckpont'; did you mean 'ModelCheckpoint'? registered: "
                 "ModelCheckpoint, EarlyStopping, LearningRateMonitor, ModelSummary, TQDMProgressBar, Timer, "
                 "GradientAccumulationScheduler, StochasticWeightAveraging, ExponentialMovingAverage, "
                 "OnExceptionCheckpoint, BackboneFinetuning, ThroughputMonitor");
    /* An alias with a typo is matched against the aliases. */
    CHECK_EQ_INT(lit_registry_find(LIT_REG_OPTIMIZER, "torch.optim.Adamm", NULL, &c), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(),
                 "unknown optimizer class 'torch.optim.Adamm'; did you mean 'torch.optim.Adam'? registered: SGD, "
                 "Adam, AdamW");
    CHECK_EQ_INT(lit_registry_find(LIT_REG_OPTIMIZER, "Lion", NULL, &c), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "unknown optimizer class 'Lion' registered: SGD, Adam, AdamW");
    /* From a config: the class_path's position. */
    expect_error(LIT_REG_CALLBACK, "trainer:\n  callbacks:\n    - class_path: EarlyStoping\n", "trainer.callbacks.0",
                 "t.yaml:3:19: unknown callback class 'EarlyStoping'; did you mean 'EarlyStopping'? registered: "
                 "ModelCheckpoint, EarlyStopping, LearningRateMonitor, ModelSummary, TQDMProgressBar, Timer, "
                 "GradientAccumulationScheduler, StochasticWeightAveraging, ExponentialMovingAverage, "
                 "OnExceptionCheckpoint, BackboneFinetuning, ThroughputMonitor");
}

TEST(register_duplicates_and_bad_schemas) {
    lit_registry_class c = {.kind = LIT_REG_CALLBACK, .name = "ModelCheckpoint", .build_callback = build_nothing};
    CHECK_EQ_INT(lit_registry_register(&c), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "registry: callback class 'ModelCheckpoint': the name 'ModelCheckpoint' is taken "
                                   "by callback class 'ModelCheckpoint'");
    /* An alias that another class has. */
    c.name = "Mine";
    c.aliases[0] = "lightning.pytorch.callbacks.EarlyStopping";
    CHECK_EQ_INT(lit_registry_register(&c), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "registry: callback class 'Mine': the name "
                                   "'lightning.pytorch.callbacks.EarlyStopping' is taken by callback class "
                                   "'EarlyStopping'");
    /* No build function for the kind. */
    lit_registry_class nb = {.kind = LIT_REG_LOGGER, .name = "NoBuild", .build_callback = build_nothing};
    CHECK_EQ_INT(lit_registry_register(&nb), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "registry: logger class 'NoBuild' has no build_logger function");
    /* A default that is not of the argument's type. */
    static const lit_arg_spec bad_default[] = {{"size", LIT_ARG_INT, "four", "How many.", 0, 0, NULL}};
    lit_registry_class bd = {.kind = LIT_REG_CALLBACK, .name = "BadDefault", .args = bad_default, .n_args = 1,
                             .build_callback = build_nothing};
    CHECK_EQ_INT(lit_registry_register(&bd), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "registry: the default 'four' of BadDefault.size is not valid: <default of "
                                   "BadDefault.size>:1:4: BadDefault.size: expected an integer, got \"four\"");
    static const lit_arg_spec twice[] = {{"a", LIT_ARG_INT, "1", "", 0, 0, NULL}, {"a", LIT_ARG_INT, "1", "", 0, 0, NULL}};
    lit_registry_class tw = {.kind = LIT_REG_CALLBACK, .name = "Twice", .args = twice, .n_args = 2,
                             .build_callback = build_nothing};
    CHECK_EQ_INT(lit_registry_register(&tw), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "registry: callback class 'Twice': argument 'a' is listed twice");
    static const lit_arg_spec req_default[] = {{"a", LIT_ARG_INT, "1", "", 1, 0, NULL}};
    lit_registry_class rd = {.kind = LIT_REG_CALLBACK, .name = "ReqDefault", .args = req_default, .n_args = 1,
                             .build_callback = build_nothing};
    CHECK_EQ_INT(lit_registry_register(&rd), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "a required argument cannot have a default");
    static const lit_arg_spec enum_none[] = {{"m", LIT_ARG_ENUM, "x", "", 0, 0, NULL}};
    lit_registry_class en = {.kind = LIT_REG_CALLBACK, .name = "EnumNone", .args = enum_none, .n_args = 1,
                             .build_callback = build_nothing};
    CHECK_EQ_INT(lit_registry_register(&en), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "registry: EnumNone.m: an enum without choices");
    for (int k = 0; k < LIT_REG_KIND_COUNT; k++) {
        const lit_registry_class *f;
        CHECK(lit_registry_find((lit_registry_kind)k, "BadDefault", NULL, &f) < 0);
        CHECK(lit_registry_find((lit_registry_kind)k, "Twice", NULL, &f) < 0);
    }

    /* A good one, copied: the caller's struct and strings may go away. */
    char name[16], alias[32];
    snprintf(name, sizeof name, "Mine");
    snprintf(alias, sizeof alias, "my_pkg.Mine");
    lit_registry_class ok = {.kind = LIT_REG_CALLBACK, .name = name, .aliases = {alias}, .doc = "Mine.",
                             .args = mine_args, .n_args = 1, .build_callback = build_nothing};
    CHECK_EQ_INT(lit_registry_register(&ok), LIT_OK);
    memset(name, 'x', sizeof name - 1);
    memset(alias, 'y', sizeof alias - 1);
    const lit_registry_class *f = NULL;
    CHECK_EQ_INT(lit_registry_find(LIT_REG_CALLBACK, "my_pkg.Mine", NULL, &f), LIT_OK);
    CHECK(f && strcmp(f->name, "Mine") == 0 && f->n_args == 1 && strcmp(f->args[0].name, "size") == 0);
    CHECK_EQ_INT(lit_registry_register(&(lit_registry_class){.kind = LIT_REG_CALLBACK, .name = "Mine",
                                                              .build_callback = build_nothing}),
                 LIT_ERR_CONFIG);
}

TEST(clear_and_register_again) {
    lit_registry_clear();
    for (int k = 0; k < LIT_REG_KIND_COUNT; k++) CHECK_EQ_INT(lit_registry_count((lit_registry_kind)k), 0);
    const lit_registry_class *c;
    CHECK_EQ_INT(lit_registry_find(LIT_REG_CALLBACK, "ModelCheckpoint", NULL, &c), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "unknown callback class 'ModelCheckpoint' registered: none");
    CHECK_EQ_INT(lit_registry_register_builtins(), LIT_OK);
    CHECK_EQ_INT(lit_registry_count(LIT_REG_CALLBACK), 12);
    const char *a = lit_registry_intern("val/loss");
    CHECK(a != NULL && a == lit_registry_intern("val/loss"));
}

/* ---------------------------------------------------------------- validation */

#define CB_PREFIX "trainer:\n  callbacks:\n    - class_path: ModelCheckpoint\n      init_args:\n"

TEST(unknown_argument_with_suggestion_and_position) {
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        monitr: val/loss\n", "trainer.callbacks.0",
                 "t.yaml:5:9: unknown argument 'monitr' of ModelCheckpoint; did you mean 'monitor'?");
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        monitor: val/loss\n        zzzzzzzz: 1\n", "trainer.callbacks.0",
                 "t.yaml:6:9: unknown argument 'zzzzzzzz' of ModelCheckpoint; arguments: dirpath, filename, "
                 "monitor, verbose, save_last, save_top_k, save_weights_only, mode, auto_insert_metric_name, "
                 "every_n_train_steps, train_time_interval, every_n_epochs, save_on_train_epoch_end, "
                 "enable_version_counter");
    /* A key of the entry itself (not of init_args). */
    lit_config *cfg;
    const lit_registry_class *cls;
    lit_registry_args *args;
    CHECK_EQ_INT(resolve_at(LIT_REG_CALLBACK, "trainer:\n  callbacks:\n    - class_path: ModelCheckpoint\n"
                            "      init_arg: {monitor: x}\n", "trainer.callbacks.0", &cfg, &cls, &args),
                 LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "t.yaml:4:7: unknown key 'init_arg'");
    CHECK_STR_CONTAINS(lit_last_error(), "did you mean 'init_args'?");
    lit_config_free(cfg);
}

TEST(wrong_types_name_the_expected_type) {
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        save_top_k: three\n", "trainer.callbacks.0",
                 "t.yaml:5:21: ModelCheckpoint.save_top_k: expected an integer, got \"three\"");
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        save_top_k: 2.5\n", "trainer.callbacks.0",
                 "t.yaml:5:21: ModelCheckpoint.save_top_k: expected an integer, got 2.5");
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        save_top_k: null\n", "trainer.callbacks.0",
                 "t.yaml:5:21: ModelCheckpoint.save_top_k: expected an integer, got null");
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        verbose: 1\n", "trainer.callbacks.0",
                 "t.yaml:5:18: ModelCheckpoint.verbose: expected a boolean, got 1");
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        monitor: [a, b]\n", "trainer.callbacks.0",
                 "t.yaml:5:18: ModelCheckpoint.monitor: expected a string, got a list");
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        mode: mx\n", "trainer.callbacks.0",
                 "t.yaml:5:15: ModelCheckpoint.mode: expected one of min, max, got \"mx\"; did you mean 'max'?");
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        mode: average\n", "trainer.callbacks.0",
                 "t.yaml:5:15: ModelCheckpoint.mode: expected one of min, max, got \"average\"");
    expect_error(LIT_REG_OPTIMIZER, "optimizer:\n  class_path: Adam\n  init_args: {betas: [0.9, fast]}\n",
                 "optimizer", "t.yaml:3:28: Adam.betas: expected a list of numbers, got an item \"fast\"");
    expect_error(LIT_REG_LR_SCHEDULER,
                 "lr_scheduler:\n  class_path: MultiStepLR\n  init_args: {milestones: {a: 1}}\n", "lr_scheduler",
                 "t.yaml:3:27: MultiStepLR.milestones: expected a list of integers, got a mapping");
    expect_error(LIT_REG_CALLBACK, CB_PREFIX "        [monitor]\n", "trainer.callbacks.0",
                 "t.yaml:5:9: ModelCheckpoint: init_args must be a mapping, got a list");
}

TEST(missing_required_argument) {
    expect_error(LIT_REG_CALLBACK, "trainer:\n  callbacks:\n    - class_path: EarlyStopping\n      init_args:\n"
                 "        patience: 5\n", "trainer.callbacks.0",
                 "t.yaml:5:9: EarlyStopping: missing required argument 'monitor'");
    /* Without init_args: the entry's position; as a bare class_path: the scalar's. */
    expect_error(LIT_REG_CALLBACK, "trainer:\n  callbacks:\n    - class_path: EarlyStopping\n",
                 "trainer.callbacks.0", "t.yaml:3:7: EarlyStopping: missing required argument 'monitor'");
    expect_error(LIT_REG_CALLBACK, "trainer:\n  callbacks:\n    - EarlyStopping\n", "trainer.callbacks.0",
                 "t.yaml:3:7: EarlyStopping: missing required argument 'monitor'");
    /* A misspelt required key is reported as unknown, not as missing. */
    expect_error(LIT_REG_CALLBACK, "trainer:\n  callbacks:\n    - class_path: EarlyStopping\n      init_args:\n"
                 "        monitr: val/loss\n", "trainer.callbacks.0",
                 "t.yaml:5:9: unknown argument 'monitr' of EarlyStopping; did you mean 'monitor'?");
    const lit_registry_class *es;
    lit_registry_args *a = (lit_registry_args *)1;
    CHECK_EQ_INT(lit_registry_find(LIT_REG_CALLBACK, "EarlyStopping", NULL, &es), LIT_OK);
    CHECK_EQ_INT(lit_registry_validate_init_args(es, NULL, &a), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "EarlyStopping: missing required argument 'monitor'");
    CHECK(a == NULL);
}

TEST(defaults_are_filled_in) {
    lit_config *cfg;
    const lit_registry_class *cls;
    lit_registry_args *a;
    CHECK_EQ_INT(resolve_at(LIT_REG_CALLBACK,
                            CB_PREFIX "        monitor: val/acc\n        mode: max\n        filename: "
                                      "'{epoch}-{val/acc:.3f}'\n        train_time_interval: 30\n",
                            "trainer.callbacks.0", &cfg, &cls, &a),
                 LIT_OK);
    if (!a) {
        lit_config_free(cfg);
        return;
    }
    CHECK_EQ_INT(lit_registry_args_count(a), 14);
    CHECK_STR_EQ(lit_registry_args_string(a, "monitor"), "val/acc");
    CHECK_STR_EQ(lit_registry_args_string(a, "mode"), "max");
    CHECK(lit_registry_args_given(a, "mode") && !lit_registry_args_given(a, "save_top_k"));
    CHECK_EQ_INT(lit_registry_args_int(a, "save_top_k"), 1);
    CHECK(lit_registry_args_is_null(a, "dirpath") && lit_registry_args_string(a, "dirpath") == NULL);
    CHECK(lit_registry_args_is_null(a, "every_n_epochs"));
    CHECK_EQ_INT(lit_registry_args_bool(a, "auto_insert_metric_name"), 1);
    CHECK_NEAR(lit_registry_args_float(a, "train_time_interval"), 30.0, 0); /* an int for a float */
    CHECK_STR_EQ(lit_registry_args_where(a, "mode"), "t.yaml:6:15");
    CHECK_STR_EQ(lit_registry_args_where(a, "save_top_k"), "t.yaml:5:9"); /* default: the init_args map */
    CHECK_STR_EQ(lit_registry_args_yaml(a, "filename"), "'{epoch}-{val/acc:.3f}'");
    EXPECT_ASSERT(lit_registry_args_int(a, "monitor"), "is of type str");
    EXPECT_ASSERT(lit_registry_args_int(a, "nope"), "has no argument 'nope'");

    /* --print_config: every argument, in schema order, as YAML that reads back. */
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    CHECK_EQ_INT(lit_registry_args_print_yaml(f, a, 4), LIT_OK);
    fclose(f);
    CHECK_STR_EQ(buf, "    dirpath: null\n"
                      "    filename: '{epoch}-{val/acc:.3f}'\n"
                      "    monitor: val/acc\n"
                      "    verbose: false\n"
                      "    save_last: null\n"
                      "    save_top_k: 1\n"
                      "    save_weights_only: false\n"
                      "    mode: max\n"
                      "    auto_insert_metric_name: true\n"
                      "    every_n_train_steps: null\n"
                      "    train_time_interval: 30\n"
                      "    every_n_epochs: null\n"
                      "    save_on_train_epoch_end: null\n"
                      "    enable_version_counter: true\n");
    free(buf);

    /* Into the config tree: the defaults join the given keys. */
    lit_config *out = load(CB_PREFIX "        monitor: val/acc\n");
    const lit_registry_class *c2;
    lit_registry_args *a2;
    CHECK_EQ_INT(lit_registry_resolve(LIT_REG_CALLBACK, lit_config_get(out, "trainer.callbacks.0"), &c2, &a2),
                 LIT_OK);
    CHECK_EQ_INT(lit_registry_args_to_config(a2, out, "trainer.callbacks.0.init_args"), LIT_OK);
    const lit_config_node *ia = lit_config_get(out, "trainer.callbacks.0.init_args");
    CHECK_EQ_INT(lit_config_map_size(ia), 14);
    CHECK_STR_EQ(lit_config_map_key(ia, 0), "monitor");
    CHECK_STR_EQ(lit_config_scalar(lit_config_map_find(ia, "save_top_k")), "1");
    CHECK_EQ_INT(lit_config_node_type(lit_config_map_find(ia, "dirpath")), LIT_CONFIG_NULL);
    CHECK_EQ_INT(lit_config_node_type(lit_config_map_find(ia, "enable_version_counter")), LIT_CONFIG_BOOL);
    /* ... and the completed tree validates to the same values. */
    lit_registry_args *a3;
    CHECK_EQ_INT(lit_registry_validate_init_args(c2, ia, &a3), LIT_OK);
    for (int i = 0; a3 && i < lit_registry_args_count(a3); i++)
        CHECK_STR_EQ(lit_registry_args_yaml_at(a3, i), lit_registry_args_yaml_at(a2, i));
    lit_registry_args_free(a3);
    lit_registry_args_free(a2);
    lit_config_free(out);
    lit_registry_args_free(a);
    lit_config_free(cfg);
}

TEST(yaml_text_reads_back) {
    /* Strings that would read as another type, or that hold YAML syntax, are quoted. */
    lit_config *cfg;
    const lit_registry_class *cls;
    lit_registry_args *a;
    CHECK_EQ_INT(resolve_at(LIT_REG_LOGGER,
                            "logger:\n  class_path: CSVLogger\n  init_args:\n    save_dir: 'true'\n"
                            "    name: 'a: b, c'\n    version: 3\n    prefix: \"it's\"\n",
                            "logger", &cfg, &cls, &a),
                 LIT_OK);
    if (a) {
        CHECK_STR_EQ(lit_registry_args_yaml(a, "save_dir"), "'true'");
        CHECK_STR_EQ(lit_registry_args_yaml(a, "name"), "'a: b, c'");
        CHECK_STR_EQ(lit_registry_args_yaml(a, "version"), "3");
        CHECK_STR_EQ(lit_registry_args_string(a, "version"), "3");
        CHECK_STR_EQ(lit_registry_args_yaml(a, "prefix"), "it's"); /* a plain scalar may hold ' */
        CHECK_STR_EQ(lit_registry_args_yaml(a, "flush_logs_every_n_steps"), "100");
    }
    lit_registry_args_free(a);
    lit_config_free(cfg);
}

/* ---------------------------------------------------------------- building the built-ins */

TEST(build_model_checkpoint) {
    char *dir = make_tmp_dir("registry-ckpt");
    char text[1024];
    snprintf(text, sizeof text,
             "trainer:\n  callbacks:\n    - class_path: lightning.pytorch.callbacks.ModelCheckpoint\n"
             "      init_args: {dirpath: %s, monitor: val/acc, mode: max, save_top_k: 3, every_n_epochs: 2}\n",
             dir);
    lit_callback cb;
    CHECK_EQ_INT(build_cb(text, &cb, NULL), LIT_OK);
    CHECK_STR_EQ(cb.name, "ModelCheckpoint");
    CHECK_STR_EQ(cb.state_key, "ModelCheckpoint{'monitor': 'val/acc', 'mode': 'max', 'every_n_train_steps': 0, "
                               "'every_n_epochs': 2, 'train_time_interval': None}");
    CHECK_STR_EQ(lit_model_checkpoint_dirpath(&cb), dir);
    if (cb.free) cb.free(&cb);
    /* The constructor's own checks come back as config errors naming the class and the position. */
    CHECK_EQ_INT(build_cb(CB_PREFIX "        save_top_k: -2\n", &cb, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "t.yaml:5:9: ModelCheckpoint: ");
    CHECK_STR_CONTAINS(lit_last_error(), "save_top_k");
    rm_rf(dir);
}

TEST(build_other_callbacks) {
    lit_callback cb;
    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: EarlyStopping\n"
                          "      init_args: {monitor: val/loss, patience: 5, mode: max}\n", &cb, NULL),
                 LIT_OK);
    CHECK_STR_EQ(cb.name, "EarlyStopping");
    CHECK_EQ_INT(lit_early_stopping_patience(&cb), 5);
    CHECK(isinf(lit_early_stopping_best_score(&cb)) && lit_early_stopping_best_score(&cb) < 0); /* max: -inf */
    cb.free(&cb);

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: LearningRateMonitor\n"
                          "      init_args: {logging_interval: step, log_momentum: true}\n", &cb, NULL),
                 LIT_OK);
    CHECK_STR_EQ(cb.name, "LearningRateMonitor");
    cb.free(&cb);
    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - LearningRateMonitor\n", &cb, NULL), LIT_OK);
    cb.free(&cb);

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: ModelSummary\n      init_args: {max_depth: 2}\n",
                          &cb, NULL), LIT_OK);
    CHECK_STR_EQ(cb.name, "ModelSummary");
    cb.free(&cb);
    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: ModelSummary\n      init_args: {max_depth: -3}\n",
                          &cb, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "ModelSummary");

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: TQDMProgressBar\n"
                          "      init_args: {refresh_seconds: 1, is_tty: 0}\n", &cb, NULL), LIT_OK);
    CHECK_STR_EQ(cb.name, "TQDMProgressBar");
    cb.free(&cb);

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: Timer\n"
                          "      init_args: {duration: '00:00:01:30', interval: epoch}\n", &cb, NULL), LIT_OK);
    CHECK_NEAR(lit_timer_time_remaining(&cb, LIT_RUNNING_TRAIN), 90.0, 1e-9);
    cb.free(&cb);
    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: Timer\n      init_args: {duration: soon}\n",
                          &cb, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "t.yaml:4:29: Timer.duration: ");

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: GradientAccumulationScheduler\n"
                          "      init_args: {scheduling: {0: 8, 4: 4, 8: 1}}\n", &cb, NULL), LIT_OK);
    CHECK_EQ_INT(lit_grad_accum_scheduler_factor(&cb, 0), 8);
    CHECK_EQ_INT(lit_grad_accum_scheduler_factor(&cb, 5), 4);
    CHECK_EQ_INT(lit_grad_accum_scheduler_factor(&cb, 9), 1);
    cb.free(&cb);
    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: GradientAccumulationScheduler\n"
                          "      init_args: {scheduling: {first: 8}}\n", &cb, NULL), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "the key 'first' is not an epoch number");

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: StochasticWeightAveraging\n"
                          "      init_args: {swa_lrs: 0.05, swa_epoch_start: 3}\n", &cb, NULL), LIT_OK);
    CHECK_STR_EQ(cb.name, "StochasticWeightAveraging");
    cb.free(&cb);
    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: StochasticWeightAveraging\n"
                          "      init_args: {swa_lrs: [0.05, 0.01], swa_epoch_start: 0.5}\n", &cb, NULL), LIT_OK);
    cb.free(&cb);

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: ExponentialMovingAverage\n"
                          "      init_args: {decay: 0.5, use_num_updates: false}\n", &cb, NULL), LIT_OK);
    CHECK_NEAR(lit_ema_next_decay(&cb), 0.5, 0);
    cb.free(&cb);

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: OnExceptionCheckpoint\n"
                          "      init_args: {dirpath: /tmp/ckpts}\n", &cb, NULL), LIT_OK);
    CHECK_STR_EQ(lit_on_exception_checkpoint_path(&cb), "/tmp/ckpts/on_exception.ckpt");
    cb.free(&cb);

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: BackboneFinetuning\n"
                          "      init_args: {unfreeze_backbone_at_epoch: 2}\n", &cb, NULL), LIT_OK);
    CHECK(isnan(lit_backbone_finetuning_backbone_lr(&cb)));
    cb.free(&cb);

    CHECK_EQ_INT(build_cb("trainer:\n  callbacks:\n    - class_path: ThroughputMonitor\n"
                          "      init_args: {window_size: 10}\n", &cb, NULL), LIT_OK);
    CHECK_STR_EQ(cb.name, "ThroughputMonitor");
    cb.free(&cb);
}

TEST(build_loggers) {
    char *dir = make_tmp_dir("registry-logs");
    lit_registry_context ctx = lit_registry_default_context();
    ctx.default_root_dir = dir;
    char want[1024];
    lit_logger lg;

    CHECK_EQ_INT(build_logger("logger:\n  class_path: lightning.pytorch.loggers.CSVLogger\n"
                              "  init_args: {version: 3}\n", &lg, &ctx), LIT_OK);
    CHECK_STR_EQ(lg.name, "CSVLogger");
    CHECK_EQ_INT(lg.version_number(&lg), 3);
    snprintf(want, sizeof want, "%s/lightning_logs/version_3", dir);
    CHECK_STR_EQ(lg.log_dir(&lg), want);
    lg.free(&lg);

    CHECK_EQ_INT(build_logger("logger:\n  class_path: TensorBoardLogger\n"
                              "  init_args: {name: tb, version: run_a}\n", &lg, &ctx), LIT_OK);
    CHECK_STR_EQ(lg.name, "TensorBoardLogger");
    snprintf(want, sizeof want, "%s/tb/run_a", dir);
    CHECK_STR_EQ(lg.log_dir(&lg), want);
    lg.free(&lg);

    char text[1024];
    snprintf(text, sizeof text, "logger:\n  class_path: JSONLLogger\n  init_args: {save_dir: %s/other, name: ''}\n",
             dir);
    CHECK_EQ_INT(build_logger(text, &lg, &ctx), LIT_OK);
    snprintf(want, sizeof want, "%s/other/version_0", dir);
    CHECK_STR_EQ(lg.log_dir(&lg), want);
    lg.free(&lg);

    CHECK_EQ_INT(build_logger("logger:\n  class_path: HTMLReport\n  init_args: {version: 7, title: mine}\n", &lg,
                              &ctx), LIT_OK);
    snprintf(want, sizeof want, "%s/lightning_logs/version_7/report.html", dir);
    CHECK_STR_EQ(lit_html_report_file(&lg), want);
    lg.free(&lg);

    CHECK_EQ_INT(build_logger("logger:\n  class_path: CSVLogger\n  init_args: {flush_logs_every_n_steps: 0}\n", &lg,
                              &ctx), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "t.yaml:3:14: CSVLogger: ");
    rm_rf(dir);
}

TEST(build_optimizers) {
    int64_t shape[1] = {3};
    lit_tensor *w = lit_tensor_new(NULL, LIT_F32, 1, shape);
    lit_tensor *params[1] = {w};
    lit_optimizer *opt = NULL;
    double v = 0;

    CHECK_EQ_INT(build_opt("optimizer:\n  class_path: torch.optim.SGD\n"
                           "  init_args: {lr: 0.1, momentum: 0.9, nesterov: true, weight_decay: 1e-4}\n",
                           params, 1, &opt), LIT_OK);
    CHECK_STR_EQ(lit_optimizer_name(opt), "SGD");
    CHECK_NEAR(lit_optimizer_get_lr(opt, 0), 0.1, 0);
    CHECK_EQ_INT(lit_optimizer_get_hparam(opt, 0, "momentum", &v), LIT_OK);
    CHECK_NEAR(v, 0.9, 0);
    CHECK_EQ_INT(lit_optimizer_get_hparam(opt, 0, "nesterov", &v), LIT_OK);
    CHECK_NEAR(v, 1, 0);
    CHECK_EQ_INT(lit_optimizer_get_hparam(opt, 0, "weight_decay", &v), LIT_OK);
    CHECK_NEAR(v, 1e-4, 0);
    lit_optimizer_free(opt);

    CHECK_EQ_INT(build_opt("optimizer:\n  class_path: Adam\n  init_args: {lr: 3e-4, betas: [0.8, 0.99], amsgrad: true}\n",
                           params, 1, &opt), LIT_OK);
    CHECK_STR_EQ(lit_optimizer_name(opt), "Adam");
    CHECK_NEAR(lit_optimizer_get_lr(opt, 0), 3e-4, 0);
    lit_optimizer_get_hparam(opt, 0, "betas.0", &v);
    CHECK_NEAR(v, 0.8, 0);
    lit_optimizer_get_hparam(opt, 0, "betas.1", &v);
    CHECK_NEAR(v, 0.99, 0);
    lit_optimizer_get_hparam(opt, 0, "amsgrad", &v);
    CHECK_NEAR(v, 1, 0);
    lit_optimizer_get_hparam(opt, 0, "weight_decay", &v);
    CHECK_NEAR(v, 0, 0);
    lit_optimizer_free(opt);

    CHECK_EQ_INT(build_opt("optimizer: AdamW\n", params, 1, &opt), LIT_OK);
    CHECK_STR_EQ(lit_optimizer_name(opt), "AdamW");
    lit_optimizer_get_hparam(opt, 0, "weight_decay", &v);
    CHECK_NEAR(v, 0.01, 0);
    lit_optimizer_get_hparam(opt, 0, "eps", &v);
    CHECK_NEAR(v, 1e-8, 0);
    lit_optimizer_free(opt);

    opt = (lit_optimizer *)1;
    CHECK_EQ_INT(build_opt("optimizer:\n  class_path: Adam\n  init_args: {betas: [0.9]}\n", params, 1, &opt),
                 LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:3:22: Adam.betas: expected 2 numbers, got 1");
    CHECK(opt == NULL);
    CHECK_EQ_INT(build_opt("optimizer:\n  class_path: SGD\n  init_args: {lr: -1}\n", params, 1, &opt),
                 LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "t.yaml:3:14: SGD: ");
    CHECK_STR_CONTAINS(lit_last_error(), "lr");
    lit_tensor_free(w);
}

TEST(build_lr_schedulers) {
    int64_t shape[1] = {2};
    lit_tensor *w = lit_tensor_new(NULL, LIT_F32, 1, shape);
    lit_tensor *params[1] = {w};
    lit_sgd_params sp = lit_sgd_default_params();
    sp.lr = 1.0;
    sp.momentum = 0.9;
    lit_optimizer *opt = lit_sgd_new(&sp, params, 1);
    lit_lr_scheduler_config sc;

    CHECK_EQ_INT(build_sched("lr_scheduler:\n  class_path: torch.optim.lr_scheduler.StepLR\n"
                             "  init_args: {step_size: 2, gamma: 0.5, interval: step, frequency: 3, name: lr-main}\n",
                             opt, &sc), LIT_OK);
    CHECK_STR_EQ(lit_scheduler_name(sc.scheduler), "StepLR");
    CHECK_EQ_INT(sc.interval, LIT_INTERVAL_STEP);
    CHECK_EQ_INT(sc.frequency, 3);
    CHECK(sc.monitor == NULL);
    CHECK_STR_EQ(sc.name, "lr-main");
    CHECK_EQ_INT(sc.strict, 0);
    lit_scheduler_step(sc.scheduler);
    lit_scheduler_step(sc.scheduler);
    CHECK_NEAR(lit_optimizer_get_lr(opt, 0), 0.5, 1e-15);
    lit_scheduler_free(sc.scheduler);
    lit_optimizer_set_lr(opt, 0, 1.0);

    expect_error(LIT_REG_LR_SCHEDULER, "lr_scheduler:\n  class_path: ReduceLROnPlateau\n  init_args: {patience: 2}\n",
                 "lr_scheduler", "t.yaml:3:14: ReduceLROnPlateau: missing required argument 'monitor'");
    CHECK_EQ_INT(build_sched("lr_scheduler:\n  class_path: ReduceLROnPlateau\n"
                             "  init_args: {monitor: val/loss, mode: max, factor: 0.5, strict: false}\n", opt, &sc),
                 LIT_OK);
    CHECK(lit_scheduler_needs_metric(sc.scheduler));
    CHECK_STR_EQ(sc.monitor, "val/loss");
    CHECK_EQ_INT(sc.interval, LIT_INTERVAL_EPOCH);
    CHECK_EQ_INT(sc.frequency, 1);
    CHECK_EQ_INT(sc.strict, -1);
    lit_scheduler_free(sc.scheduler);

    CHECK_EQ_INT(build_sched("lr_scheduler:\n  class_path: MultiStepLR\n  init_args: {milestones: [1, 3], gamma: 0.1}\n",
                             opt, &sc), LIT_OK);
    lit_scheduler_step(sc.scheduler);
    CHECK_NEAR(lit_optimizer_get_lr(opt, 0), 0.1, 1e-15);
    lit_scheduler_free(sc.scheduler);
    lit_optimizer_set_lr(opt, 0, 1.0);

    static const struct {
        const char *yaml, *name;
    } simple[] = {
        {"lr_scheduler: {class_path: ExponentialLR, init_args: {gamma: 0.9}}\n", "ExponentialLR"},
        {"lr_scheduler: {class_path: CosineAnnealingLR, init_args: {T_max: 10, eta_min: 0.01}}\n", "CosineAnnealingLR"},
        {"lr_scheduler: {class_path: CosineAnnealingWarmRestarts, init_args: {T_0: 5, T_mult: 2}}\n",
         "CosineAnnealingWarmRestarts"},
        {"lr_scheduler: {class_path: LinearLR, init_args: {start_factor: 0.1, total_iters: 4}}\n", "LinearLR"},
        {"lr_scheduler: {class_path: ConstantLR}\n", "ConstantLR"},
        {"lr_scheduler: {class_path: PolynomialLR, init_args: {power: 2}}\n", "PolynomialLR"},
        {"lr_scheduler: {class_path: OneCycleLR, init_args: {max_lr: 0.5, total_steps: 10}}\n", "OneCycleLR"},
        {"lr_scheduler: {class_path: OneCycleLR, init_args: {max_lr: [0.5], epochs: 2, steps_per_epoch: 5}}\n",
         "OneCycleLR"},
    };
    for (size_t i = 0; i < sizeof simple / sizeof simple[0]; i++) {
        lit_status st = build_sched(simple[i].yaml, opt, &sc);
        CHECK_MSG(st == LIT_OK, "%s: %s", simple[i].name, lit_last_error());
        if (st < 0) continue;
        CHECK_STR_EQ(lit_scheduler_name(sc.scheduler), simple[i].name);
        /* OneCycleLR steps per batch: its interval defaults to "step". */
        CHECK_EQ_INT(sc.interval, strcmp(simple[i].name, "OneCycleLR") == 0 ? LIT_INTERVAL_STEP : LIT_INTERVAL_EPOCH);
        lit_scheduler_free(sc.scheduler);
        lit_optimizer_set_lr(opt, 0, 1.0);
    }
    CHECK_NEAR(lit_optimizer_get_lr(opt, 0), 1.0, 0);

    CHECK_EQ_INT(build_sched("lr_scheduler: {class_path: OneCycleLR, init_args: {max_lr: 0.5}}\n", opt, &sc),
                 LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "OneCycleLR: total_steps is null");
    CHECK(sc.scheduler == NULL);
    CHECK_EQ_INT(build_sched("lr_scheduler: {class_path: StepLR, init_args: {step_size: 1, frequency: 0}}\n", opt,
                             &sc), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:1:73: StepLR.frequency: expected an integer >= 1, got 0");
    CHECK(sc.scheduler == NULL);
    CHECK_EQ_INT(build_sched("lr_scheduler: {class_path: StepLR, init_args: {step_size: 0}}\n", opt, &sc),
                 LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "StepLR: ");
    CHECK_STR_CONTAINS(lit_last_error(), "step_size");
    lit_optimizer_free(opt);
    lit_tensor_free(w);
}

/* ---------------------------------------------------------------- help */

TEST(help_lists_every_option) {
    for (int k = 0; k < LIT_REG_KIND_COUNT; k++) {
        for (int i = 0; i < lit_registry_count((lit_registry_kind)k); i++) {
            const lit_registry_class *c = lit_registry_at((lit_registry_kind)k, i);
            char *h = capture_help(c);
            if (!h) continue;
            char want[512];
            snprintf(want, sizeof want, "%s (%s)\n", c->name, lit_registry_kind_name(c->kind));
            CHECK_MSG(strncmp(h, want, strlen(want)) == 0, "%s: help starts with %.60s", c->name, h);
            for (int j = 0; c->aliases[j] && j < LIT_REGISTRY_MAX_ALIASES; j++) CHECK_STR_CONTAINS(h, c->aliases[j]);
            for (int j = 0; j < c->n_args; j++) {
                const lit_arg_spec *s = &c->args[j];
                char line[512];
                if (s->type == LIT_ARG_ENUM) {
                    snprintf(line, sizeof line, "    %s: enum {%s", s->name, s->choices[0]);
                } else {
                    snprintf(line, sizeof line, "    %s: %s", s->name, lit_arg_type_name(s->type));
                }
                CHECK_STR_CONTAINS(h, line);
                if (s->required) {
                    snprintf(line, sizeof line, "    %s: %s (required)\n", s->name, lit_arg_type_name(s->type));
                } else {
                    snprintf(line, sizeof line, " = %s\n", s->default_yaml);
                }
                CHECK_STR_CONTAINS(h, line);
                /* The doc's first words (the help wraps long docs). */
                char words[24];
                snprintf(words, sizeof words, "%s", s->doc);
                char *sp = strrchr(words, ' ');
                if (sp && strlen(s->doc) > sizeof words - 1) *sp = 0;
                CHECK_STR_CONTAINS(h, words);
            }
            free(h);
        }
    }
    const lit_registry_class *mc;
    lit_registry_find(LIT_REG_CALLBACK, "ModelCheckpoint", NULL, &mc);
    char *h = capture_help(mc);
    CHECK_STR_CONTAINS(h, "  class_path: ModelCheckpoint | lightning.pytorch.callbacks.ModelCheckpoint | "
                          "pytorch_lightning.callbacks.ModelCheckpoint");
    CHECK_STR_CONTAINS(h, "    monitor: str | null = null\n"
                          "        Metric to rank checkpoints by. null: only the latest is kept.\n");
    CHECK_STR_CONTAINS(h, "    mode: enum {min, max} = min\n");
    CHECK_STR_CONTAINS(h, "    save_top_k: int = 1\n");
    free(h);
    const lit_registry_class *es;
    lit_registry_find(LIT_REG_CALLBACK, "EarlyStopping", NULL, &es);
    h = capture_help(es);
    CHECK_STR_CONTAINS(h, "    monitor: str (required)\n        Metric to watch.\n");
    free(h);

    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    CHECK_EQ_INT(lit_registry_print_kind_help(f, LIT_REG_OPTIMIZER), LIT_OK);
    fclose(f);
    CHECK_STR_CONTAINS(buf, "optimizer classes");
    CHECK_STR_CONTAINS(buf, "  SGD    Stochastic gradient descent with momentum (torch.optim.SGD).\n");
    CHECK_STR_CONTAINS(buf, "aliases: torch.optim.AdamW, litc.optim.AdamW\n");
    free(buf);
}

/* ---------------------------------------------------------------- the digits example */

TEST(digits_model_and_datamodule) {
    CHECK_EQ_INT(digits_register(), LIT_OK);
    CHECK_EQ_INT(digits_register(), LIT_OK); /* idempotent */
    CHECK_EQ_INT(lit_registry_count(LIT_REG_MODEL), 1);
    CHECK_EQ_INT(lit_registry_count(LIT_REG_DATAMODULE), 1);

    lit_config *cfg = load("model:\n  class_path: examples.mlp_digits.DigitsModule\n"
                           "  init_args: {hidden: [32, 16], lr: 0.01, seed: 7}\n"
                           "data:\n  class_path: DigitsDataModule\n  init_args: {batch_size: 64, val_fraction: 0.2}\n");
    const lit_registry_class *mc, *dc;
    lit_registry_args *ma, *da;
    CHECK_EQ_INT(lit_registry_resolve(LIT_REG_MODEL, lit_config_get(cfg, "model"), &mc, &ma), LIT_OK);
    CHECK_EQ_INT(lit_registry_resolve(LIT_REG_DATAMODULE, lit_config_get(cfg, "data"), &dc, &da), LIT_OK);
    lit_module *m = NULL;
    lit_datamodule *d = NULL;
    CHECK_EQ_INT(lit_registry_build_model(mc, ma, NULL, &m), LIT_OK);
    CHECK_EQ_INT(lit_registry_build_datamodule(dc, da, NULL, &d), LIT_OK);
    if (m) {
        digits_module *dm = m->user;
        CHECK_EQ_INT(dm->cfg.hidden[0], 32);
        CHECK_EQ_INT(dm->cfg.hidden[1], 16);
        CHECK_NEAR(dm->cfg.lr, 0.01, 0);
        CHECK_EQ_INT(dm->cfg.batch_size, 32);
        CHECK_EQ_INT(dm->cfg.seed, 7);
        /* The same weights as digits_module_init with that config. */
        digits_module ref;
        digits_module_config rc = digits_module_default_config();
        rc.hidden[0] = 32;
        rc.hidden[1] = 16;
        rc.lr = 0.01;
        rc.seed = 7;
        CHECK_EQ_INT(digits_module_init(&ref, &rc), LIT_OK);
        CHECK(digits_module_weights_hash(&ref) == digits_module_weights_hash(dm));
        digits_module_free(&ref);
        CHECK(lit_module_hparam(m, "hidden1") != NULL);
    }
    if (d) {
        digits_datamodule *ddm = d->user;
        CHECK_EQ_INT(ddm->cfg.batch_size, 64);
        CHECK_NEAR(ddm->cfg.val_fraction, 0.2, 0);
        CHECK_STR_EQ(ddm->cfg.data_path, MLP_DIGITS_DEFAULT_PATH);
        /* It works: setup reads the CSV. */
        CHECK_EQ_INT(d->setup(d->user, LIT_STAGE_FIT), LIT_OK);
        CHECK(d->train_dataloader(d->user) != NULL);
    }
    lit_registry_free_model(mc, m);
    lit_registry_free_datamodule(dc, d);
    lit_registry_args_free(ma);
    lit_registry_args_free(da);
    lit_config_free(cfg);

    lit_config *c3 = load("model:\n  class_path: DigitsModule\n  init_args: {hidden: [1, 2, 3]}\n");
    CHECK_EQ_INT(lit_registry_resolve(LIT_REG_MODEL, lit_config_get(c3, "model"), &mc, &ma), LIT_OK);
    CHECK_EQ_INT(lit_registry_build_model(mc, ma, NULL, &m), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:3:23: DigitsModule.hidden: expected 2 widths, got 3");
    lit_registry_args_free(ma);
    lit_config_free(c3);
    expect_error(LIT_REG_MODEL, "model:\n  class_path: DigitsModel\n", "model",
                 "t.yaml:2:15: unknown model class 'DigitsModel'; did you mean 'DigitsModule'? registered: "
                 "DigitsModule");
    /* validate passes but the build fails: the builder's message. */
    lit_config *c2 = load("model:\n  class_path: DigitsModule\n  init_args: {hidden: [0, 2]}\n");
    CHECK_EQ_INT(lit_registry_resolve(LIT_REG_MODEL, lit_config_get(c2, "model"), &mc, &ma), LIT_OK);
    m = (lit_module *)1;
    CHECK_EQ_INT(lit_registry_build_model(mc, ma, NULL, &m), LIT_ERR_CONFIG);
    CHECK(m == NULL);
    CHECK_STR_CONTAINS(lit_last_error(), "DigitsModule: digits module: hidden sizes are 0 and 2");
    lit_registry_args_free(ma);
    lit_config_free(c2);
    c2 = load("data:\n  class_path: DigitsDataModule\n  init_args: {seed: -1}\n");
    CHECK_EQ_INT(lit_registry_resolve(LIT_REG_DATAMODULE, lit_config_get(c2, "data"), &dc, &da), LIT_OK);
    CHECK_EQ_INT(lit_registry_build_datamodule(dc, da, NULL, &d), LIT_ERR_CONFIG);
    CHECK_STR_EQ(lit_last_error(), "t.yaml:3:21: DigitsDataModule.seed: must be >= 0, got -1");
    lit_registry_args_free(da);
    lit_config_free(c2);
    /* A class of the wrong kind. */
    lit_registry_find(LIT_REG_MODEL, "DigitsModule", NULL, &mc);
    lit_registry_validate_init_args(mc, NULL, &ma);
    CHECK_EQ_INT(lit_registry_build_datamodule(mc, ma, NULL, &d), LIT_ERR_INVALID_ARG);
    lit_registry_args_free(ma);
}

int main(void) {
    lit_log_set_level(LIT_LOG_ERROR);
    RUN(builtins_are_registered_once);
    RUN(find_by_name_and_alias);
    RUN(unknown_class_suggests);
    RUN(register_duplicates_and_bad_schemas);
    RUN(clear_and_register_again);
    RUN(unknown_argument_with_suggestion_and_position);
    RUN(wrong_types_name_the_expected_type);
    RUN(missing_required_argument);
    RUN(defaults_are_filled_in);
    RUN(yaml_text_reads_back);
    RUN(build_model_checkpoint);
    RUN(build_other_callbacks);
    RUN(build_loggers);
    RUN(build_optimizers);
    RUN(build_lr_schedulers);
    RUN(help_lists_every_option);
    RUN(digits_model_and_datamodule);
    lit_registry_clear();
    return harness_summary();
}
