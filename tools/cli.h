/*
 * tools/cli.h — the `litc` command line (LightningCLI for C): shared
 * declarations of its subcommands.
 *
 *     litc fit|validate|test|predict --config run.yaml [--config more.yaml]
 *          [--trainer.max_epochs=3 --model.init_args.lr=1e-3 ...] [--print_config] [--help]
 *     litc info ckpt FILE
 *     litc version
 *
 * Exit codes: CLI_OK 0; CLI_INTERNAL 1 (a bug or an unexpected runtime
 * failure); CLI_CONFIG 2 (bad command line or config: the message gives
 * file:line:col); CLI_DATA 3 (missing or malformed data or checkpoint,
 * NaN/Inf in a checkpoint or the training, or another I/O failure);
 * CLI_INTERRUPTED 4 (stopped by a signal after writing a checkpoint).
 * Messages go to stderr, results (print_config, info, version) to stdout.
 */
#ifndef LITC_TOOLS_CLI_H
#define LITC_TOOLS_CLI_H

#include <stdio.h>

#include "litc/config.h"
#include "litc/litc.h"
#include "litc/registry.h"

enum { CLI_OK = 0, CLI_INTERNAL = 1, CLI_CONFIG = 2, CLI_DATA = 3, CLI_INTERRUPTED = 4 };

#define CLI_MAX_CONFIGS 16
#define CLI_MAX_OVERRIDES 128

typedef struct {
    const char *subcommand;                    /* fit, validate, test, predict */
    const char *configs[CLI_MAX_CONFIGS];
    int n_configs;
    const char *overrides[CLI_MAX_OVERRIDES]; /* "trainer.max_epochs=3" */
    int n_overrides;
    int print_config;
    int help;
    const char *help_class;                   /* --help=ModelCheckpoint: that class's options */
} cli_args;

/* The exit code for a litc status (see above). */
int cli_exit_code(lit_status st);

/* Parse a run subcommand's arguments (argv[0] is the subcommand). Returns
 * CLI_OK or CLI_CONFIG with a message on stderr. */
int cli_parse_run_args(int argc, char **argv, cli_args *out);

/* fit / validate / test / predict (tools/cli-run.c). */
int cli_run(const cli_args *a);
/* --help of a run subcommand (tools/cli-help.c). */
int cli_help(const cli_args *a);
/* litc info ckpt FILE (tools/cli-info.c). */
int cli_info(int argc, char **argv);

/* Register the built-in classes and the examples' models and data modules. */
lit_status cli_register_classes(void);

/* The trainer params as the trainer: section of a config (every key, its
 * value; reads back to the same params). */
void cli_print_trainer_yaml(FILE *f, const lit_trainer_params *p, int indent);

#endif
