/*
 * tools/cli-help.c — `litc <sub> --help` (the config's keys, the trainer's
 * options with their defaults, the registered classes; --help=Class for one
 * class's init_args) and the trainer: section of --print_config.
 */
#include <math.h>
#include <string.h>

#include "cli.h"

static void yaml_string(FILE *f, const char *s) {
    /* Single-quoted YAML: reads back as exactly s, never as another type. */
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

static void key(FILE *f, int indent, const char *k) { fprintf(f, "%*s%s: ", indent, "", k); }

static void opt_int(FILE *f, int indent, const char *k, int64_t v, int64_t none) {
    key(f, indent, k);
    if (v == none) fprintf(f, "null\n");
    else fprintf(f, "%lld\n", (long long)v);
}

/* A count or a fraction: Lightning's int | float arguments. */
static void count_or_fraction(FILE *f, int indent, const char *k, int64_t count, double frac) {
    key(f, indent, k);
    if (count >= 0) fprintf(f, "%lld\n", (long long)count);
    else fprintf(f, "%.17g%s\n", frac, floor(frac) == frac ? ".0" : "");
}

static void flag(FILE *f, int indent, const char *k, int v) {
    key(f, indent, k);
    fprintf(f, "%s\n", v ? "true" : "false");
}

void cli_print_trainer_yaml(FILE *f, const lit_trainer_params *p, int indent) {
    opt_int(f, indent, "max_epochs", p->max_epochs, -1);
    opt_int(f, indent, "min_epochs", p->min_epochs, -1);
    key(f, indent, "max_steps");
    fprintf(f, "%lld\n", (long long)p->max_steps);
    opt_int(f, indent, "min_steps", p->min_steps, -1);
    key(f, indent, "max_time");
    if (p->max_time > 0) fprintf(f, "%.17g\n", p->max_time);
    else fprintf(f, "null\n");
    count_or_fraction(f, indent, "limit_train_batches", p->limit_train_batches, p->limit_train_fraction);
    count_or_fraction(f, indent, "limit_val_batches", p->limit_val_batches, p->limit_val_fraction);
    count_or_fraction(f, indent, "limit_test_batches", p->limit_test_batches, p->limit_test_fraction);
    count_or_fraction(f, indent, "limit_predict_batches", p->limit_predict_batches, p->limit_predict_fraction);
    count_or_fraction(f, indent, "val_check_interval", p->val_check_batches, p->val_check_interval);
    key(f, indent, "check_val_every_n_epoch");
    fprintf(f, "%lld\n", (long long)p->check_val_every_n_epoch);
    key(f, indent, "num_sanity_val_steps");
    fprintf(f, "%lld\n", (long long)p->num_sanity_val_steps);
    key(f, indent, "fast_dev_run");
    fprintf(f, "%lld\n", (long long)p->fast_dev_run);
    key(f, indent, "overfit_batches");
    fprintf(f, "%lld\n", (long long)p->overfit_batches);
    key(f, indent, "accumulate_grad_batches");
    fprintf(f, "%lld\n", (long long)p->accumulate_grad_batches);
    key(f, indent, "gradient_clip_val");
    if (p->gradient_clip_val > 0) fprintf(f, "%.17g\n", p->gradient_clip_val);
    else fprintf(f, "null\n");
    key(f, indent, "gradient_clip_algorithm");
    fprintf(f, "%s\n", p->gradient_clip_algorithm == LIT_CLIP_VALUE ? "value" : "norm");
    key(f, indent, "log_every_n_steps");
    fprintf(f, "%lld\n", (long long)p->log_every_n_steps);
    flag(f, indent, "enable_progress_bar", p->enable_progress_bar);
    flag(f, indent, "enable_model_summary", p->enable_model_summary);
    flag(f, indent, "enable_checkpointing", p->enable_checkpointing);
    key(f, indent, "default_root_dir");
    if (p->default_root_dir) {
        yaml_string(f, p->default_root_dir);
        fputc('\n', f);
    } else {
        fprintf(f, "null\n");
    }
    flag(f, indent, "deterministic", p->deterministic);
    flag(f, indent, "detect_anomaly", p->detect_anomaly);
    key(f, indent, "reload_dataloaders_every_n_epochs");
    fprintf(f, "%lld\n", (long long)p->reload_dataloaders_every_n_epochs);
    flag(f, indent, "inference_mode", p->inference_mode);
    key(f, indent, "seed");
    fprintf(f, "%lld\n", (long long)p->seed);
    flag(f, indent, "handle_signals", p->handle_signals);
    flag(f, indent, "allow_non_finite_checkpoint", p->allow_non_finite_checkpoint);
}

int cli_help(const cli_args *a) {
    lit_status st = cli_register_classes();
    if (st < 0) {
        fprintf(stderr, "litc: %s\n", lit_last_error());
        return cli_exit_code(st);
    }
    if (a->help_class) {
        /* --help=Class: the first kind that has it. */
        for (int k = 0; k < LIT_REG_KIND_COUNT; k++) {
            const lit_registry_class *cls;
            if (lit_registry_find((lit_registry_kind)k, a->help_class, NULL, &cls) == LIT_OK)
                return lit_registry_print_help(stdout, cls) < 0 ? CLI_INTERNAL : CLI_OK;
        }
        lit_clear_error();
        fprintf(stderr, "litc %s --help=%s: no registered class of that name (see litc %s --help)\n", a->subcommand,
                a->help_class, a->subcommand);
        return CLI_CONFIG;
    }
    printf("usage: litc %s --config run.yaml [--config more.yaml] [--a.b=value ...] [--print_config]\n\n"
           "A run is one YAML config in LightningCLI's shape (later --config files merge over earlier ones;\n"
           "LIT_TRAINER_<NAME> environment variables override them; --key.path=value overrides all):\n\n"
           "  seed_everything: int | true | null = null   seed of every random stream (true picks one and records it)\n"
           "  trainer:                                    the Trainer's arguments, with their defaults:\n",
           a->subcommand);
    lit_trainer_params p = lit_trainer_default_params();
    cli_print_trainer_yaml(stdout, &p, 4);
    printf("    callbacks: []                           list of {class_path, init_args}\n"
           "    logger: true                            true (litc's default loggers), false, or a list of\n"
           "                                            {class_path, init_args}\n"
           "  model: {class_path, init_args}            the LightningModule\n"
           "  data: {class_path, init_args}             the LightningDataModule\n"
           "  optimizer: {class_path, init_args}        (optional) replaces the model's configure_optimizers\n"
           "  lr_scheduler: {class_path, init_args}     (optional) with optimizer\n"
           "  ckpt_path: null | PATH | last | best      fit: resume from it\n\n"
           "Values: ${a.b} takes another key's value, ${oc.env:VAR,default} an environment variable's.\n"
           "--help=<ClassName> prints one class's init_args with their types, defaults and docs.\n\n"
           "Registered classes:\n");
    for (int k = 0; k < LIT_REG_KIND_COUNT; k++) {
        printf("\n%ss:\n", lit_registry_kind_name((lit_registry_kind)k));
        if (lit_registry_print_kind_help(stdout, (lit_registry_kind)k) < 0) return CLI_INTERNAL;
    }
    return CLI_OK;
}
