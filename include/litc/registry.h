/*
 * litc/registry.h — classes by name, for the YAML config and the CLI
 * (LightningCLI's class_path / init_args).
 *
 * A registered class is a kind (model, datamodule, callback, logger,
 * optimizer, lr_scheduler), a name ("ModelCheckpoint"), aliases (the
 * class_path spellings Lightning users write: "lightning.pytorch.callbacks.
 * ModelCheckpoint", "pytorch_lightning.callbacks.ModelCheckpoint",
 * "litc.callbacks.ModelCheckpoint"), a doc string, a schema of its init
 * arguments (name, type, default as YAML text, doc, required) and a build
 * function. litc's own callbacks, loggers, optimizers and schedulers are
 * registered by lit_registry_register_builtins(); examples and user code
 * register their models and data modules (examples/mlp-digits/registry.c).
 *
 * Config shape (design.md §4): a class is given as
 *
 *     class_path: ModelCheckpoint            # or any alias
 *     init_args: {monitor: val/loss, mode: max, save_top_k: 3}
 *
 * or as the bare class_path string. The init_args are checked against the
 * schema: an unknown key is an error naming its position and the nearest
 * valid key, a value of the wrong type names the expected type, a missing
 * required argument is named, and every argument not given takes its
 * default, so the result (lit_registry_args) is complete — what
 * --print_config writes and what the build function reads.
 *
 * Intended usage (what the CLI does for each entry of trainer.callbacks):
 *
 *     lit_registry_register_builtins();
 *     LIT_TRY(digits_register());                  // the example's model and data
 *     const lit_registry_class *cls;
 *     lit_registry_args *args;
 *     LIT_TRY(lit_registry_resolve(LIT_REG_CALLBACK, node, &cls, &args));
 *     lit_registry_context ctx = lit_registry_default_context();
 *     ctx.default_root_dir = trainer_params.default_root_dir;
 *     lit_callback cb;
 *     lit_status st = lit_registry_build_callback(cls, args, &ctx, &cb);
 *     lit_registry_print_help(stdout, cls);      // --help: every option, type, default, doc
 *     lit_registry_args_print_yaml(stdout, args, 4);  // --print_config: the completed init_args
 *     lit_registry_args_free(args);
 *     LIT_TRY(st);
 *     LIT_TRY(lit_trainer_add_callback(tr, &cb));
 *
 * Argument types and what a value must look like in YAML:
 *   int         an integer scalar ("3", "-1")
 *   float       a number ("0.1", "1e-3", "3", ".inf", "-.inf", ".nan")
 *   bool        true/false (config.h: also True/TRUE, False/FALSE)
 *   string      any scalar but null (a number is taken as its text: version: 3 -> "3")
 *   enum        a string among the arg's choices (case-sensitive)
 *   int list    a sequence of integers ("[1, 2]"); a single integer is a list of one
 *   float list  a sequence of numbers; a single number is a list of one
 *   any         any node (a map, a list or a scalar); the build function reads it
 * Every type takes null ("null", "~", an empty value) when the argument's
 * default is null or it is `nullable`: Lightning's Optional[...] = None.
 *
 * Lifetimes: classes are copied by lit_registry_register (strings and the
 * schema included) and live until lit_registry_clear. Strings a build
 * function must keep beyond the args (a scheduler config's monitor and name,
 * which lit_lr_scheduler_config does not copy) are interned in the registry
 * (lit_registry_intern) and live as long.
 *
 * Errors: LIT_ERR_CONFIG for everything a config file can get wrong; the
 * message starts with the file:line:col of the value at fault, as config.h's
 * do, and names the class and the argument; LIT_ERR_NOMEM. Programmer errors (asking args for a name the
 * schema does not have, or for the wrong type) are LIT_ASSERTs.
 *
 * Not thread-safe: register at start-up, before threads that look up.
 */
#ifndef LITC_REGISTRY_H
#define LITC_REGISTRY_H

#include <stdint.h>
#include <stdio.h>

#include "core.h"
#include "loggers.h"
#include "optim.h"
#include "sched.h"
#include "train.h"
#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- kinds */

typedef enum {
    LIT_REG_MODEL = 0,
    LIT_REG_DATAMODULE,
    LIT_REG_CALLBACK,
    LIT_REG_LOGGER,
    LIT_REG_OPTIMIZER,
    LIT_REG_LR_SCHEDULER,
    LIT_REG_KIND_COUNT
} lit_registry_kind;

/* "model", "datamodule", "callback", "logger", "optimizer", "lr_scheduler"
 * (the words of the error messages and of --help); "?" out of range. */
const char *lit_registry_kind_name(lit_registry_kind kind);

/* ---------------------------------------------------------------- schema */

typedef enum {
    LIT_ARG_INT = 0,
    LIT_ARG_FLOAT,
    LIT_ARG_BOOL,
    LIT_ARG_STRING,
    LIT_ARG_ENUM,
    LIT_ARG_INT_LIST,
    LIT_ARG_FLOAT_LIST,
    LIT_ARG_ANY,
} lit_arg_type;

/* "int", "float", "bool", "str", "enum", "list[int]", "list[float]", "any"
 * (what --help and the type errors print; an enum prints its choices). */
const char *lit_arg_type_name(lit_arg_type t);

/* One init argument. */
typedef struct {
    const char *name;           /* Lightning's / torch's argument name */
    lit_arg_type type;
    /* The default as YAML text ("1", "0.1", "min", "[0.9, 0.999]", "null");
     * checked against `type` at registration. NULL only with `required`. */
    const char *default_yaml;
    const char *doc;            /* one or more sentences for --help */
    int required;               /* 1: must be given (no default) */
    int nullable;               /* 1: null is accepted (implied by a "null" default) */
    const char *const *choices; /* LIT_ARG_ENUM: NULL-terminated allowed values */
} lit_arg_spec;

/* ---------------------------------------------------------------- classes */

typedef struct lit_registry_args lit_registry_args;

/* What a build function may need beyond its init_args. */
typedef struct {
    /* trainer.default_root_dir: the loggers' save_dir when their init_args
     * leave it null (Lightning's CLI links them the same way); NULL = ".". */
    const char *default_root_dir;
    /* The Trainer the objects are built for, when there is one (NULL
     * otherwise). OneCycleLR without total_steps asks it for
     * lit_trainer_estimated_stepping_batches (so build schedulers from
     * configure_optimizers, while fit runs). */
    lit_trainer *trainer;
    void *user; /* passed through to user build functions */
} lit_registry_context;

lit_registry_context lit_registry_default_context(void);

#define LIT_REGISTRY_MAX_ALIASES 8

/*
 * A class. Fill the build slot of its kind (the others stay NULL);
 * `args` is the completed, validated init_args; `ctx` is never NULL.
 * A build function returns LIT_ERR_CONFIG naming the argument (use
 * lit_registry_args_where for its position) for values the schema cannot
 * express a check for (a constructor's own checks), LIT_ERR_NOMEM.
 */
typedef struct lit_registry_class {
    lit_registry_kind kind;
    const char *name;                 /* "ModelCheckpoint"; unique within the kind */
    const char *aliases[LIT_REGISTRY_MAX_ALIASES]; /* class_path spellings; NULL-terminated
                                       * when fewer; unique within the kind */
    const char *doc;                  /* a paragraph for --help */
    const lit_arg_spec *args;         /* n_args entries, in --help / --print_config order */
    int n_args;

    /* callback: fill *out (lit_trainer_add_callback copies it). */
    lit_status (*build_callback)(const lit_registry_args *a, const lit_registry_context *ctx, lit_callback *out);
    /* logger: fill *out (lit_trainer_add_logger copies it). */
    lit_status (*build_logger)(const lit_registry_args *a, const lit_registry_context *ctx, lit_logger *out);
    /* optimizer over params[0..n) (group 0); *out owned by the caller. */
    lit_status (*build_optimizer)(const lit_registry_args *a, const lit_registry_context *ctx,
                                  lit_tensor *const *params, int n, lit_optimizer **out);
    /* lr scheduler attached to opt: fill *out (scheduler, interval,
     * frequency, monitor, name, strict; opt_idx 0 — the caller sets it). */
    lit_status (*build_lr_scheduler)(const lit_registry_args *a, const lit_registry_context *ctx,
                                     lit_optimizer *opt, lit_lr_scheduler_config *out);
    /* model: *out is a module the class's free_model frees. */
    lit_status (*build_model)(const lit_registry_args *a, const lit_registry_context *ctx, lit_module **out);
    void (*free_model)(lit_module *m);
    /* datamodule: *out is a datamodule the class's free_datamodule frees. */
    lit_status (*build_datamodule)(const lit_registry_args *a, const lit_registry_context *ctx,
                                   lit_datamodule **out);
    void (*free_datamodule)(lit_datamodule *dm);

    void *user; /* the class's own data (read it from lit_registry_args_class(a)->user) */
} lit_registry_class;

/*
 * Register a class (copied, with its strings and schema). Errors:
 * LIT_ERR_CONFIG for a name or alias already taken in the kind (the message
 * names both classes), a missing build slot for the kind, an argument
 * without a name or repeated, an enum without choices, a default that is
 * not valid YAML of the argument's type, a default on a required argument
 * or none on an optional one; LIT_ERR_NOMEM.
 */
lit_status lit_registry_register(const lit_registry_class *c);

/* Register litc's callbacks, loggers, optimizers and lr schedulers (list in
 * registry-builtins.c and `litc fit --help`). Idempotent: the second call
 * does nothing. Errors: lit_registry_register's (LIT_ERR_NOMEM). */
lit_status lit_registry_register_builtins(void);

/* Forget every class and interned string (then builtins may be registered
 * again). Classes returned earlier dangle. */
void lit_registry_clear(void);

/*
 * The class of `kind` named `name_or_class_path` (its name or an alias;
 * exact match). `where` ("file:line:col" of the class_path, or NULL) starts
 * the error: LIT_ERR_CONFIG "a.yaml:3:17: unknown callback class
 * 'ModelCheckpont'; did you mean 'ModelCheckpoint'? registered:
 * ModelCheckpoint, EarlyStopping, ..." (the nearest name or alias, by
 * lit_config_suggest; no "did you mean" when nothing is near; "registered:
 * none" when the kind is empty).
 */
lit_status lit_registry_find(lit_registry_kind kind, const char *name_or_class_path, const char *where,
                             const lit_registry_class **out);

/* Enumeration, in registration order: how many of `kind`, and the i-th
 * (asserts the range). */
int lit_registry_count(lit_registry_kind kind);
const lit_registry_class *lit_registry_at(lit_registry_kind kind, int i);

/* A copy of `s` that lives until lit_registry_clear (NULL for NULL or out
 * of memory). Equal strings share one copy. */
const char *lit_registry_intern(const char *s);

/* ---------------------------------------------------------------- init_args */

/*
 * Validate `init_args` (a map node, or NULL / a null node = none given)
 * against cls's schema and complete it with the defaults. *out (free with
 * lit_registry_args_free) is set on success, NULL on error.
 * Errors (LIT_ERR_CONFIG; "pos" is file:line:col of the node at fault):
 *   "pos: unknown argument 'monitr' of ModelCheckpoint; did you mean 'monitor'?"
 *   "pos: unknown argument 'zzz' of ModelCheckpoint; arguments: dirpath, filename, ..."
 *       (the key's position; the list when nothing is near)
 *   "pos: ModelCheckpoint.save_top_k: expected an integer, got \"three\""
 *       (expected a number / a boolean / a string / a list of integers / a
 *       list of numbers; got: strings in double quotes, other scalars as
 *       written, "a list", "a mapping", "null")
 *   "pos: ModelCheckpoint.mode: expected one of min, max, got \"mx\"; did you mean 'max'?"
 *   "pos: EarlyStopping: missing required argument 'monitor'" (pos of the
 *       init_args map, else of the class entry given to resolve, else none)
 *   "pos: ModelCheckpoint: init_args must be a mapping, got a list"
 * Unknown keys are reported before missing ones.
 */
lit_status lit_registry_validate_init_args(const lit_registry_class *cls, const lit_config_node *init_args,
                                           lit_registry_args **out);

/*
 * A class entry as config files spell it: a map {class_path: <name or
 * alias>, init_args: {...}} (init_args optional), or the bare class_path
 * string. Looks the class up (lit_registry_find, with the position) and
 * validates its init_args. Another key in the map is LIT_ERR_CONFIG with
 * the nearest of class_path / init_args suggested; a missing class_path
 * names the map's position. *cls and *args are set on success (free args
 * with lit_registry_args_free).
 */
lit_status lit_registry_resolve(lit_registry_kind kind, const lit_config_node *node, const lit_registry_class **cls,
                                lit_registry_args **args);

void lit_registry_args_free(lit_registry_args *a); /* NULL is a no-op */

/* The class the args were validated for. */
const lit_registry_class *lit_registry_args_class(const lit_registry_args *a);

/*
 * Typed values of the completed init_args (defaults filled). `name` must be
 * an argument of the schema and the getter must match its type (asserts
 * otherwise: programmer errors): _int for int, _float for float (an integer
 * given for it reads as its value), _bool for bool, _string for string and
 * enum (an enum's value is one of its choices), the list getters for the
 * lists. A null value reads as 0 / NAN / 0 / NULL / 0 elements; tell it
 * apart with _is_null. Strings and arrays live as long as `a`.
 */
int lit_registry_args_is_null(const lit_registry_args *a, const char *name);
int64_t lit_registry_args_int(const lit_registry_args *a, const char *name);
double lit_registry_args_float(const lit_registry_args *a, const char *name);
int lit_registry_args_bool(const lit_registry_args *a, const char *name);
const char *lit_registry_args_string(const lit_registry_args *a, const char *name);
const int64_t *lit_registry_args_int_list(const lit_registry_args *a, const char *name, int *n);
const double *lit_registry_args_float_list(const lit_registry_args *a, const char *name, int *n);
/* Any type: the value's node (the config's, or the parsed default's; NULL
 * for null). Valid as long as `a` and the config it came from. */
const lit_config_node *lit_registry_args_node(const lit_registry_args *a, const char *name);
/* 1 when the config gave the argument, 0 when it took its default. */
int lit_registry_args_given(const lit_registry_args *a, const char *name);
/* "file:line:col" of the value when given, else of the init_args map (or
 * the class entry), "" when unknown — for the build functions' errors.
 * name NULL: the position of the init_args map / class entry. */
const char *lit_registry_args_where(const lit_registry_args *a, const char *name);

/* The completed init_args as (name, YAML text) pairs, schema order, every
 * argument present: --print_config. The text is flow-style YAML that reads
 * back to the same value ("0.001", "null", "[0.9, 0.999]", "val/loss",
 * "'001'" for a string that would read as another type, "{1: 4, 5: 2}"). */
int lit_registry_args_count(const lit_registry_args *a);
/* The YAML text of argument `name` (as _yaml_at; asserts on an unknown name). */
const char *lit_registry_args_yaml(const lit_registry_args *a, const char *name);
const char *lit_registry_args_name_at(const lit_registry_args *a, int i);
const char *lit_registry_args_yaml_at(const lit_registry_args *a, int i);
/* "name: text" per line, each indented by `indent` spaces (block map;
 * "{}" for a class without arguments). LIT_ERR_IO on a write error. */
lit_status lit_registry_args_print_yaml(FILE *f, const lit_registry_args *a, int indent);
/* Complete the config for --print_config: set `path`.<name> (e.g.
 * "trainer.callbacks.0.init_args") to the default of every argument the
 * config did not give (lit_config_set_value, source "<default of
 * Class.arg>"), so lit_config_dump writes every option. Given values are
 * left as they are (and keep their place). Errors: lit_config_set_value's. */
lit_status lit_registry_args_to_config(const lit_registry_args *a, lit_config *cfg, const char *path);

/* ---------------------------------------------------------------- building */

/* Call the class's build slot for its kind; the error is prefixed with
 * "<Name>: " unless the build function already named the class. Errors:
 * LIT_ERR_INVALID_ARG when cls is of another kind; the build's. On error
 * *out is left zeroed / NULL. */
lit_status lit_registry_build_callback(const lit_registry_class *cls, const lit_registry_args *a,
                                       const lit_registry_context *ctx, lit_callback *out);
lit_status lit_registry_build_logger(const lit_registry_class *cls, const lit_registry_args *a,
                                     const lit_registry_context *ctx, lit_logger *out);
lit_status lit_registry_build_optimizer(const lit_registry_class *cls, const lit_registry_args *a,
                                        const lit_registry_context *ctx, lit_tensor *const *params, int n,
                                        lit_optimizer **out);
lit_status lit_registry_build_lr_scheduler(const lit_registry_class *cls, const lit_registry_args *a,
                                           const lit_registry_context *ctx, lit_optimizer *opt,
                                           lit_lr_scheduler_config *out);
lit_status lit_registry_build_model(const lit_registry_class *cls, const lit_registry_args *a,
                                    const lit_registry_context *ctx, lit_module **out);
lit_status lit_registry_build_datamodule(const lit_registry_class *cls, const lit_registry_args *a,
                                         const lit_registry_context *ctx, lit_datamodule **out);
/* The class's free slot (NULL is a no-op). */
void lit_registry_free_model(const lit_registry_class *cls, lit_module *m);
void lit_registry_free_datamodule(const lit_registry_class *cls, lit_datamodule *dm);

/* ---------------------------------------------------------------- help */

/*
 * --help of one class:
 *
 *     ModelCheckpoint (callback)
 *       class_path: ModelCheckpoint | lightning.pytorch.callbacks.ModelCheckpoint | ...
 *       <doc, wrapped>
 *       init_args:
 *         monitor: str | null = null
 *             Metric to rank checkpoints by; null keeps only the latest.
 *         mode: enum {min, max} = min
 *             ...
 *         monitor: str (required)
 *
 * Every option with its type, default (or "(required)") and doc. LIT_ERR_IO
 * on a write error.
 */
lit_status lit_registry_print_help(FILE *f, const lit_registry_class *cls);
/* Every class of `kind`: name, aliases and the first sentence of its doc
 * (the overview `litc fit --help` prints). LIT_ERR_IO on a write error. */
lit_status lit_registry_print_kind_help(FILE *f, lit_registry_kind kind);

#ifdef __cplusplus
}
#endif
#endif
