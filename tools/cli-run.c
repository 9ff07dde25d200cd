/*
 * tools/cli-run.c — `litc fit|validate|test|predict`: config files,
 * environment and command line merged (file < later file < LIT_TRAINER_*
 * < command line), every section checked and completed with its defaults
 * before anything runs or touches the disk, then (--print_config) printed,
 * or built and run. A fit writes the complete config as config.yaml next
 * to its logs (LightningCLI's SaveConfigCallback), so a run is reproduced
 * by feeding that file back.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "litc/config-trainer.h"
#include "litc/registry.h"
#include "registry.h" /* examples/mlp-digits: digits_register */

#define MAX_ENTRIES 32

typedef struct {
    const lit_registry_class *cls;
    lit_registry_args *args;
} entry;

/* Everything a run needs, validated before it starts. */
typedef struct {
    lit_config *cfg;
    lit_trainer_params p;
    int64_t seed; /* -1: none */
    entry model, data, optimizer, scheduler;
    entry callbacks[MAX_ENTRIES];
    int n_callbacks;
    entry loggers[MAX_ENTRIES];
    int n_loggers;
    int logger_list;         /* trainer.logger was a list of classes */
    const char *ckpt_path;   /* fit only */
    char *config_text;       /* the complete config (print_config / config.yaml) */
} run;

lit_status cli_register_classes(void) {
    LIT_TRY(lit_registry_register_builtins());
    static int examples_done;
    if (!examples_done) {
        LIT_TRY(digits_register());
        examples_done = 1;
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- config */

static lit_status load(const cli_args *a, lit_config **out) {
    lit_config *cfg;
    LIT_TRY(lit_config_new(&cfg));
    lit_status st = LIT_OK;
    for (int i = 0; i < a->n_configs && st >= 0; i++) {
        lit_config *f = NULL;
        st = lit_config_load_file(&f, a->configs[i]);
        if (st >= 0) st = lit_config_merge(cfg, f);
        lit_config_free(f);
    }
    if (st >= 0) st = lit_config_apply_trainer_env(cfg);
    for (int i = 0; i < a->n_overrides && st >= 0; i++) st = lit_config_set_override(cfg, a->overrides[i]);
    if (st >= 0) st = lit_config_resolve(cfg);
    if (st < 0) {
        lit_config_free(cfg);
        return st;
    }
    *out = cfg;
    return LIT_OK;
}

static lit_status resolve_entry(lit_registry_kind kind, const lit_config_node *n, entry *e) {
    return lit_registry_resolve(kind, n, &e->cls, &e->args);
}

/* A list of class entries (trainer.callbacks, trainer.logger); a single
 * entry is a list of one, as jsonargparse accepts. */
static lit_status resolve_list(lit_registry_kind kind, const lit_config_node *n, entry *out, int *count,
                               const char *what) {
    *count = 0;
    if (!n || lit_config_is_null(n)) return LIT_OK;
    if (lit_config_node_type(n) != LIT_CONFIG_LIST) {
        LIT_TRY(resolve_entry(kind, n, &out[0]));
        *count = 1;
        return LIT_OK;
    }
    int len = lit_config_list_size(n);
    if (len > MAX_ENTRIES) return lit_config_error(n, "%s: more than %d entries", what, MAX_ENTRIES);
    for (int i = 0; i < len; i++) {
        LIT_TRY(resolve_entry(kind, lit_config_list_item(n, i), &out[i]));
        *count = i + 1;
    }
    return LIT_OK;
}

static lit_status read_seed(const lit_config_node *n, int64_t *seed) {
    *seed = -1;
    if (!n || lit_config_is_null(n)) return LIT_OK;
    if (lit_config_node_type(n) == LIT_CONFIG_BOOL) {
        int on;
        LIT_TRY(lit_config_get_bool(n, &on));
        /* LightningCLI's seed_everything: true picks a seed; the written
         * config.yaml records it, so the run can be repeated. */
        if (on) *seed = (int64_t)((uint64_t)time(NULL) ^ ((uint64_t)clock() << 20)) & 0x7fffffff;
        return LIT_OK;
    }
    LIT_TRY(lit_config_get_int(n, seed));
    if (*seed < 0) return lit_config_error(n, "seed_everything: expected a seed >= 0, true or null, got %lld",
                                           (long long)*seed);
    return LIT_OK;
}

static lit_status check_sections(run *r, const char *sub) {
    const lit_config_node *root = lit_config_root(r->cfg);
    static const char *const keys[] = { "seed_everything", "trainer", "model", "data", "optimizer", "lr_scheduler",
                                        "ckpt_path" };
    LIT_TRY(lit_config_check_keys(root, keys, 7, "the config"));
    r->p = lit_trainer_default_params();
    const lit_config_node *trainer = lit_config_get(r->cfg, "trainer");
    if (trainer && !lit_config_is_null(trainer)) LIT_TRY(lit_config_bind_trainer(trainer, &r->p));
    LIT_TRY(read_seed(lit_config_get(r->cfg, "seed_everything"), &r->seed));
    if (r->seed >= 0) r->p.seed = r->seed;
    LIT_TRY(lit_trainer_params_validate(&r->p));

    const lit_config_node *model = lit_config_get(r->cfg, "model");
    if (!model || lit_config_is_null(model))
        return lit_set_error(LIT_ERR_CONFIG, "the config has no model: add model: {class_path: ..., init_args: {...}} "
                             "(litc %s --help lists the registered models)", sub);
    LIT_TRY(resolve_entry(LIT_REG_MODEL, model, &r->model));
    const lit_config_node *data = lit_config_get(r->cfg, "data");
    if (!data || lit_config_is_null(data))
        return lit_set_error(LIT_ERR_CONFIG, "the config has no data: add data: {class_path: ..., init_args: {...}} "
                             "(litc %s --help lists the registered data modules)", sub);
    LIT_TRY(resolve_entry(LIT_REG_DATAMODULE, data, &r->data));

    const lit_config_node *opt = lit_config_get(r->cfg, "optimizer");
    if (opt && !lit_config_is_null(opt)) LIT_TRY(resolve_entry(LIT_REG_OPTIMIZER, opt, &r->optimizer));
    const lit_config_node *sched = lit_config_get(r->cfg, "lr_scheduler");
    if (sched && !lit_config_is_null(sched)) {
        if (!r->optimizer.cls)
            return lit_config_error(sched, "lr_scheduler needs an optimizer: section in the config too");
        LIT_TRY(resolve_entry(LIT_REG_LR_SCHEDULER, sched, &r->scheduler));
    }
    LIT_TRY(resolve_list(LIT_REG_CALLBACK, lit_config_get(r->cfg, "trainer.callbacks"), r->callbacks,
                         &r->n_callbacks, "trainer.callbacks"));
    const lit_config_node *lg = lit_config_get(r->cfg, "trainer.logger");
    if (lg && !lit_config_is_null(lg) && lit_config_node_type(lg) != LIT_CONFIG_BOOL) {
        r->logger_list = 1;
        LIT_TRY(resolve_list(LIT_REG_LOGGER, lg, r->loggers, &r->n_loggers, "trainer.logger"));
    }
    const lit_config_node *ck = lit_config_get(r->cfg, "ckpt_path");
    r->ckpt_path = NULL;
    if (ck && !lit_config_is_null(ck)) {
        LIT_TRY(lit_config_get_string(ck, &r->ckpt_path));
        if (strcmp(sub, "fit") != 0 && (!strcmp(r->ckpt_path, "last") || !strcmp(r->ckpt_path, "best")))
            return lit_config_error(ck, "litc %s: ckpt_path \"%s\" is known only inside a fit; give the file's path",
                                    sub, r->ckpt_path);
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- the complete config */

static void print_entry(FILE *f, int indent, const char *key, const entry *e, int list_item) {
    if (list_item) fprintf(f, "%*s- class_path: %s\n", indent, "", e->cls->name);
    else fprintf(f, "%*s%s:\n%*sclass_path: %s\n", indent, "", key, indent + 2, "", e->cls->name);
    int in = indent + 2; /* init_args sits under class_path in both forms */
    if (lit_registry_args_count(e->args) == 0) {
        fprintf(f, "%*sinit_args: {}\n", in, "");
        return;
    }
    fprintf(f, "%*sinit_args:\n", in, "");
    lit_registry_args_print_yaml(f, e->args, in + 2);
}

static lit_status complete_config(run *r) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return lit_set_error(LIT_ERR_NOMEM, "print_config: out of memory");
    fprintf(f, "# litc %s: the complete config of this run (every default filled in)\n", LIT_VERSION_STRING);
    if (r->seed >= 0) fprintf(f, "seed_everything: %lld\n", (long long)r->seed);
    else fprintf(f, "seed_everything: null\n");
    fprintf(f, "trainer:\n");
    cli_print_trainer_yaml(f, &r->p, 2);
    if (r->n_callbacks == 0) fprintf(f, "  callbacks: []\n");
    else fprintf(f, "  callbacks:\n");
    for (int i = 0; i < r->n_callbacks; i++) print_entry(f, 4, NULL, &r->callbacks[i], 1);
    if (!r->logger_list) {
        fprintf(f, "  logger: %s\n", r->p.logger ? "true" : "false");
    } else {
        fprintf(f, "  logger:\n");
        for (int i = 0; i < r->n_loggers; i++) print_entry(f, 4, NULL, &r->loggers[i], 1);
    }
    print_entry(f, 0, "model", &r->model, 0);
    print_entry(f, 0, "data", &r->data, 0);
    if (r->optimizer.cls) print_entry(f, 0, "optimizer", &r->optimizer, 0);
    if (r->scheduler.cls) print_entry(f, 0, "lr_scheduler", &r->scheduler, 0);
    if (r->ckpt_path) {
        fprintf(f, "ckpt_path: '");
        for (const char *c = r->ckpt_path; *c; c++) fprintf(f, *c == '\'' ? "''" : "%c", *c);
        fprintf(f, "'\n");
    } else {
        fprintf(f, "ckpt_path: null\n");
    }
    if (fclose(f) != 0) {
        free(text);
        return lit_set_error(LIT_ERR_NOMEM, "print_config: out of memory");
    }
    r->config_text = text;
    return LIT_OK;
}

/* ---------------------------------------------------------------- building */

static run *g_run; /* the optimizer override reads it from configure_optimizers */
static const lit_module_vtable *g_model_vt;

/* LightningCLI's optimizer:/lr_scheduler: sections replace the model's
 * configure_optimizers with these classes over its trainable parameters. */
static lit_status cli_configure_optimizers(lit_module *m, lit_optim_config *cfg) {
    run *r = g_run;
    if (!m->params)
        return lit_set_error(LIT_ERR_CONFIG, "optimizer: the model has no parameter store to optimize");
    int n;
    lit_tensor **params = lit_param_store_trainable(m->params, &n);
    lit_registry_context ctx = lit_registry_default_context();
    ctx.default_root_dir = r->p.default_root_dir;
    ctx.trainer = m->trainer;
    lit_optimizer *opt = NULL;
    LIT_TRY(lit_registry_build_optimizer(r->optimizer.cls, r->optimizer.args, &ctx, params, n, &opt));
    LIT_TRY(lit_optim_config_add(cfg, opt));
    if (!r->scheduler.cls) return LIT_OK;
    lit_lr_scheduler_config sc;
    LIT_TRY(lit_registry_build_lr_scheduler(r->scheduler.cls, r->scheduler.args, &ctx, opt, &sc));
    return lit_optim_config_add_scheduler(cfg, &sc);
}

static lit_status mkdirs(const char *path) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(buf, 0755) != 0 && errno != EEXIST) return lit_set_error(LIT_ERR_IO, "mkdir %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return lit_set_error(LIT_ERR_IO, "mkdir %s: %s", buf, strerror(errno));
    return LIT_OK;
}

/* SaveConfigCallback: config.yaml in the run's log directory at fit setup. */
static lit_status save_config(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)m;
    if (stage != LIT_STAGE_FIT) return LIT_OK;
    run *r = cb->user;
    const char *dir = lit_trainer_log_dir(tr);
    if (!dir) dir = r->p.default_root_dir ? r->p.default_root_dir : ".";
    LIT_TRY(mkdirs(dir));
    char path[4096], tmp[4200];
    snprintf(path, sizeof path, "%s/config.yaml", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) return lit_set_error(LIT_ERR_IO, "writing %s: %s", tmp, strerror(errno));
    int bad = fputs(r->config_text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return lit_set_error(LIT_ERR_IO, "writing %s: %s", path, strerror(errno));
    }
    return LIT_OK;
}

static lit_status build_and_run(run *r, const char *sub, lit_trainer **tr_out, lit_module **m_out,
                                lit_datamodule **dm_out) {
    lit_registry_context ctx = lit_registry_default_context();
    ctx.default_root_dir = r->p.default_root_dir;
    lit_module *m = NULL;
    lit_datamodule *dm = NULL;
    LIT_TRY(lit_registry_build_model(r->model.cls, r->model.args, &ctx, &m));
    *m_out = m;
    LIT_TRY(lit_registry_build_datamodule(r->data.cls, r->data.args, &ctx, &dm));
    *dm_out = dm;
    if (r->optimizer.cls) {
        static lit_module_vtable vt;
        vt = *m->vt;
        vt.configure_optimizers = cli_configure_optimizers;
        g_model_vt = m->vt;
        m->vt = &vt;
    }
    if (r->n_loggers || r->logger_list) r->p.logger = 0; /* the listed ones instead of the defaults */
    lit_trainer *tr = NULL;
    LIT_TRY(lit_trainer_new(&tr, &r->p));
    *tr_out = tr;
    ctx.trainer = tr;
    for (int i = 0; i < r->n_loggers; i++) {
        lit_logger lg;
        LIT_TRY(lit_registry_build_logger(r->loggers[i].cls, r->loggers[i].args, &ctx, &lg));
        lit_status st = lit_trainer_add_logger(tr, &lg);
        if (st < 0 && lg.free) lg.free(&lg);
        LIT_TRY(st);
    }
    for (int i = 0; i < r->n_callbacks; i++) {
        lit_callback cb;
        LIT_TRY(lit_registry_build_callback(r->callbacks[i].cls, r->callbacks[i].args, &ctx, &cb));
        lit_status st = lit_trainer_add_callback(tr, &cb);
        if (st < 0 && cb.free) cb.free(&cb);
        LIT_TRY(st);
    }
    lit_callback saver = { .version = LIT_CALLBACK_VERSION, .name = "SaveConfigCallback", .user = r,
                           .setup = save_config };
    LIT_TRY(lit_trainer_add_callback(tr, &saver));
    if (!strcmp(sub, "fit")) return lit_trainer_fit(tr, m, dm, r->ckpt_path);
    if (r->ckpt_path) {
        /* trainer.validate/test/predict(ckpt_path=...): the weights of that checkpoint. */
        lit_checkpoint *ck = NULL;
        LIT_TRY(lit_checkpoint_load(&ck, r->ckpt_path));
        int flags = LIT_LOAD_STRICT | (r->p.allow_non_finite_checkpoint ? LIT_LOAD_ALLOW_NON_FINITE : 0);
        lit_status st = lit_module_load_weights(m, ck, flags, NULL);
        lit_checkpoint_free(ck);
        LIT_TRY(st);
    }
    if (!strcmp(sub, "validate")) return lit_trainer_validate(tr, m, dm);
    if (!strcmp(sub, "test")) return lit_trainer_test(tr, m, dm);
    return lit_trainer_predict(tr, m, dm);
}

static void entry_free(entry *e) { lit_registry_args_free(e->args); }

static void run_free(run *r) {
    entry_free(&r->model);
    entry_free(&r->data);
    entry_free(&r->optimizer);
    entry_free(&r->scheduler);
    for (int i = 0; i < r->n_callbacks; i++) entry_free(&r->callbacks[i]);
    for (int i = 0; i < r->n_loggers; i++) entry_free(&r->loggers[i]);
    free(r->config_text);
    lit_config_free(r->cfg);
}

int cli_run(const cli_args *a) {
    run r;
    memset(&r, 0, sizeof r);
    g_run = &r;
    lit_status st = cli_register_classes();
    if (st >= 0 && a->n_configs == 0 && a->n_overrides == 0)
        st = lit_set_error(LIT_ERR_CONFIG, "litc %s: no --config file given (see litc %s --help)", a->subcommand,
                           a->subcommand);
    if (st >= 0) st = load(a, &r.cfg);
    if (st >= 0) st = check_sections(&r, a->subcommand);
    if (st >= 0) st = complete_config(&r);
    if (st < 0) {
        /* Everything so far is the config's (a missing --config file too):
         * nothing has been built or written yet. */
        fprintf(stderr, "litc %s: %s\n", a->subcommand, lit_last_error());
        run_free(&r);
        return st == LIT_ERR_NOMEM ? CLI_INTERNAL : CLI_CONFIG;
    }
    if (a->print_config) {
        fputs(r.config_text, stdout);
        run_free(&r);
        return CLI_OK;
    }
    lit_trainer *tr = NULL;
    lit_module *m = NULL;
    lit_datamodule *dm = NULL;
    st = build_and_run(&r, a->subcommand, &tr, &m, &dm);
    int code = CLI_OK;
    if (st < 0) {
        fprintf(stderr, "litc %s: %s\n", a->subcommand, lit_last_error());
        code = cli_exit_code(st);
    } else if (!strcmp(a->subcommand, "fit")) {
        printf("fit: %lld epochs, %lld steps\n", (long long)lit_trainer_current_epoch(tr),
               (long long)lit_trainer_global_step(tr));
        lit_callback *mc = lit_trainer_checkpoint_callback(tr);
        if (mc && lit_model_checkpoint_best_path(mc)) printf("best checkpoint: %s\n", lit_model_checkpoint_best_path(mc));
    }
    /* Results: the run's final logged values, one "name value" per line. */
    if (st >= 0 && strcmp(a->subcommand, "predict") != 0)
        for (int i = 0; i < lit_trainer_metric_count(tr, LIT_METRICS_CALLBACK); i++)
            printf("%s %.6g\n", lit_trainer_metric_name(tr, LIT_METRICS_CALLBACK, i),
                   lit_trainer_metric_value(tr, LIT_METRICS_CALLBACK, i));
    const char *log_dir = tr ? lit_trainer_log_dir(tr) : NULL;
    if (st >= 0 && log_dir) printf("logs: %s\n", log_dir);
    lit_trainer_free(tr);
    if (m && g_model_vt) m->vt = g_model_vt;
    lit_registry_free_model(r.model.cls, m);
    lit_registry_free_datamodule(r.data.cls, dm);
    run_free(&r);
    return code;
}
