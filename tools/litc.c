/*
 * tools/litc.c — `litc`, the command-line trainer: dispatches to the
 * subcommands (tools/cli.h) and parses their arguments.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f) {
    fprintf(f,
            "usage: litc <command> [options]\n"
            "  litc fit|validate|test|predict --config run.yaml [--config more.yaml] [--a.b=value ...]\n"
            "       [--print_config] [--help | --help=<ClassName>]\n"
            "  litc info ckpt FILE     what a checkpoint holds, and whether it is valid\n"
            "  litc version\n"
            "Run `litc fit --help` for the configuration's keys and the registered classes.\n"
            "Exit codes: 0 ok, 1 internal error, 2 config error, 3 data, checkpoint or I/O error,\n"
            "4 interrupted (a checkpoint was written).\n");
}

int cli_exit_code(lit_status st) {
    switch (st) {
    case LIT_OK: return CLI_OK;
    case LIT_ERR_CONFIG:
    case LIT_ERR_INVALID_ARG:
    case LIT_ERR_UNSUPPORTED: return CLI_CONFIG;
    case LIT_ERR_DATA:
    case LIT_ERR_IO:
    case LIT_ERR_CORRUPT:
    case LIT_ERR_NOT_FOUND:
    case LIT_ERR_SHAPE:
    case LIT_ERR_DTYPE:
    case LIT_ERR_NUMERIC: return CLI_DATA;
    case LIT_ERR_INTERRUPTED: return CLI_INTERRUPTED;
    default: return st >= 0 ? CLI_OK : CLI_INTERNAL;
    }
}

/* "--a.b=v" and "--a.b v"; --config, --print_config, --help[=Class]. */
int cli_parse_run_args(int argc, char **argv, cli_args *out) {
    memset(out, 0, sizeof *out);
    out->subcommand = argv[0];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--", 2) != 0) {
            fprintf(stderr, "litc %s: unexpected argument '%s' (options start with --; see --help)\n",
                    out->subcommand, a);
            return CLI_CONFIG;
        }
        const char *key = a + 2;
        const char *eq = strchr(key, '=');
        size_t klen = eq ? (size_t)(eq - key) : strlen(key);
        if (klen == 6 && !strncmp(key, "config", 6)) {
            const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
            if (!v || !*v) {
                fprintf(stderr, "litc %s: --config needs a file\n", out->subcommand);
                return CLI_CONFIG;
            }
            if (out->n_configs == CLI_MAX_CONFIGS) {
                fprintf(stderr, "litc %s: more than %d --config files\n", out->subcommand, CLI_MAX_CONFIGS);
                return CLI_CONFIG;
            }
            out->configs[out->n_configs++] = v;
        } else if (klen == 12 && !strncmp(key, "print_config", 12)) {
            out->print_config = 1;
        } else if (klen == 4 && !strncmp(key, "help", 4)) {
            out->help = 1;
            if (eq) out->help_class = eq + 1;
        } else {
            if (!eq) {
                /* "--trainer.max_epochs 3": the value is the next argument. */
                if (i + 1 >= argc) {
                    fprintf(stderr, "litc %s: --%s needs a value (--%s=VALUE)\n", out->subcommand, key, key);
                    return CLI_CONFIG;
                }
                static char joined[CLI_MAX_OVERRIDES][512];
                snprintf(joined[out->n_overrides % CLI_MAX_OVERRIDES], sizeof joined[0], "%s=%s", key, argv[++i]);
                a = joined[out->n_overrides % CLI_MAX_OVERRIDES];
            } else {
                a = key;
            }
            if (out->n_overrides == CLI_MAX_OVERRIDES) {
                fprintf(stderr, "litc %s: more than %d overrides\n", out->subcommand, CLI_MAX_OVERRIDES);
                return CLI_CONFIG;
            }
            out->overrides[out->n_overrides++] = a;
        }
    }
    return CLI_OK;
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_CONFIG : CLI_OK;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("litc %s\n", LIT_VERSION_STRING);
        return CLI_OK;
    }
    if (!strcmp(cmd, "info")) return cli_info(argc - 2, argv + 2);
    if (strcmp(cmd, "fit") && strcmp(cmd, "validate") && strcmp(cmd, "test") && strcmp(cmd, "predict")) {
        const char *cmds[] = { "fit", "validate", "test", "predict", "info", "version" };
        const char *near = lit_config_suggest(cmd, cmds, 6);
        fprintf(stderr, "litc: unknown command '%s'%s%s%s\n", cmd, near ? "; did you mean '" : "", near ? near : "",
                near ? "'?" : "");
        usage(stderr);
        return CLI_CONFIG;
    }
    cli_args a;
    int rc = cli_parse_run_args(argc - 1, argv + 1, &a);
    if (rc != CLI_OK) return rc;
    if (a.help) return cli_help(&a);
    return cli_run(&a);
}
