/*
 * litc/config.h — YAML configuration in LightningCLI's shape: a tree of
 * maps, lists and scalars that remembers where every value came from,
 * merging of several files, dotted command-line overrides, OmegaConf-style
 * interpolation and typed getters with positioned errors. Binding the
 * `trainer:` section into lit_trainer_params (lit_config_bind_trainer,
 * lit_config_apply_trainer_env) is the command-line layer's:
 * litc/config-trainer.h.
 *
 * The shape litc's CLI reads (LightningCLI's):
 *
 *     seed_everything: 42
 *     trainer:
 *       max_epochs: 10
 *       limit_val_batches: 0.25            # float = fraction, int = count
 *       max_time: "00:12:00:00"            # DD:HH:MM:SS, seconds, or {hours: 12}
 *       callbacks:
 *         - class_path: ModelCheckpoint
 *           init_args: {monitor: val/loss, save_top_k: 3}
 *       default_root_dir: ${oc.env:RUNS,/tmp/runs}/mlp
 *     model: {class_path: MLP, init_args: {hidden: 128}}
 *     data: {class_path: Digits, init_args: {batch_size: 32}}
 *     optimizer: {class_path: AdamW, init_args: {lr: 1e-3}}
 *     ckpt_path: null
 *
 * Intended usage (what `litc fit --config a.yaml --config b.yaml
 * --trainer.max_epochs=3` does; this order gives the precedence
 * file < later file < LIT_TRAINER_* environment < command line):
 *
 *     lit_config *cfg, *f;
 *     LIT_TRY(lit_config_new(&cfg));
 *     for each --config path:
 *         LIT_TRY(lit_config_load_file(&f, path));      // parse errors: file:line:col
 *         lit_config_merge(cfg, f); lit_config_free(f); // later files win
 *     LIT_TRY(lit_config_apply_trainer_env(cfg));       // LIT_TRAINER_MAX_EPOCHS=5 ...
 *     for each --a.b=value argument:
 *         LIT_TRY(lit_config_set_override(cfg, "trainer.max_epochs=3"));
 *     LIT_TRY(lit_config_resolve(cfg));                 // ${a.b}, ${oc.env:VAR,default}
 *     lit_trainer_params p = lit_trainer_default_params();
 *     LIT_TRY(lit_config_bind_trainer(lit_config_get(cfg, "trainer"), &p));
 *     const lit_config_node *cbs = lit_config_get(cfg, "trainer.callbacks"); // for the registry
 *     ... run; lit_config_free(cfg) only after the trainer is freed
 *         (p.default_root_dir points into cfg) ...
 *
 * (apply_trainer_env never replaces a value the command line set, so calling
 * it after the overrides gives the same result.)
 *
 * Scalars keep their text and a type resolved as YAML 1.2's core schema
 * does for plain (unquoted) scalars: null (~, null, empty), bool (true,
 * false in lower, Title or UPPER case), int (123, -4, 0x1F, 0o17), float
 * (1.5, 1e-3, .inf, -.inf, .nan), anything else a string; quoted and block
 * scalars are always strings; explicit tags !!str, !!int, !!float, !!bool
 * and !!null are obeyed (a value that does not fit the tag is an error).
 * So "3", 3, 3.0, true and null are five different values.
 *
 * Errors are LIT_ERR_CONFIG with lit_last_error() = "file:line:col: message"
 * (line and column 1-based; file is the path given, "<string>" or the name
 * passed to lit_config_load_string, "<command line>" for overrides, "<env
 * LIT_TRAINER_X>" for environment values). Nothing is written to disk by
 * anything in this header; a failing call leaves its output untouched
 * (*out NULL, the config unchanged unless said otherwise).
 *
 * Threads: a lit_config is used by one thread at a time.
 */
#ifndef LITC_CONFIG_H
#define LITC_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Nesting deeper than this (maps and lists inside each other) is refused. */
#define LIT_CONFIG_MAX_DEPTH 64
/* Nodes per loaded document, aliases expanded: refuses "billion laughs". */
#define LIT_CONFIG_MAX_NODES 100000
/* Bytes of text (scalars and keys) per loaded document with aliases
 * expanded, and again per lit_config_resolve: a small file that repeats a
 * long string through aliases or interpolations is refused, not expanded. */
#define LIT_CONFIG_MAX_BYTES (64 << 20)
/* Anchors (&name) per document: the parser's anchor table stays small. */
#define LIT_CONFIG_MAX_ANCHORS 1024
/* Size of a config file lit_config_load_file reads. */
#define LIT_CONFIG_MAX_FILE_BYTES (64 << 20)

typedef struct lit_config lit_config;           /* owns a tree of nodes */
typedef struct lit_config_node lit_config_node; /* owned by its config */

typedef enum {
    LIT_CONFIG_NULL = 0,
    LIT_CONFIG_BOOL,
    LIT_CONFIG_INT,
    LIT_CONFIG_FLOAT,
    LIT_CONFIG_STRING,
    LIT_CONFIG_LIST,
    LIT_CONFIG_MAP,
} lit_config_type;

/* "null", "a boolean", "an integer", "a float", "a string", "a list", "a mapping". */
const char *lit_config_type_name(lit_config_type t);

/* Where a value came from. */
typedef enum {
    LIT_CONFIG_FROM_FILE = 0,     /* a file or a string (lit_config_load_*) */
    LIT_CONFIG_FROM_ENV,          /* lit_config_apply_trainer_env */
    LIT_CONFIG_FROM_COMMAND_LINE, /* lit_config_set_override */
} lit_config_origin;

typedef struct {
    const char *file; /* owned by the config; never NULL */
    int line;         /* 1-based */
    int col;          /* 1-based */
} lit_config_pos;

/* ---------------------------------------------------------------- loading */

/* An empty config (its root is an empty map). Errors: LIT_ERR_NOMEM. */
lit_status lit_config_new(lit_config **out);

/*
 * Parse one YAML document whose top level is a mapping (an empty document
 * or a lone `null` gives an empty map). Refused with LIT_ERR_CONFIG and the
 * position: libyaml's syntax errors (its message, "file:line:col: <problem>
 * (<context> at line:col)"), a second document in the stream, duplicate
 * keys (both positions), keys that are maps or lists, an alias of an
 * anchor that is not defined yet or that contains the alias (a cycle),
 * nesting deeper than LIT_CONFIG_MAX_DEPTH, more than LIT_CONFIG_MAX_NODES
 * nodes or LIT_CONFIG_MAX_BYTES bytes of text (aliases expanded), more than
 * LIT_CONFIG_MAX_ANCHORS anchors, a top level that is not a mapping, a
 * scalar that does not fit its explicit tag. Aliases are expanded (the copy
 * keeps the anchor's positions). Work is linear in the expanded size (keys
 * are found through a hash index), so loading ends quickly for any input.
 * lit_config_load_file reads only a regular file (a device, FIFO or
 * directory is LIT_ERR_IO, see lit_file_open_read) of at most
 * LIT_CONFIG_MAX_FILE_BYTES (LIT_ERR_CONFIG). Errors also: LIT_ERR_IO (file
 * cannot be read), LIT_ERR_NOMEM.
 */
lit_status lit_config_load_file(lit_config **out, const char *path);
/* The same from NUL-terminated text; `name` (NULL = "<string>") is the file in positions. */
lit_status lit_config_load_string(lit_config **out, const char *text, const char *name);
/* The same from `len` bytes (may contain NUL bytes, which are refused). */
lit_status lit_config_load_buffer(lit_config **out, const void *data, size_t len, const char *name);

void lit_config_free(lit_config *cfg); /* NULL is a no-op */

/* ---------------------------------------------------------------- combining */

/*
 * Merge `src` into `dst` as jsonargparse does with several --config files:
 * maps merge key by key recursively (new keys are appended in src's order,
 * existing keys keep their place and take src's value), a list or scalar in
 * src replaces what dst had. Values are copied with their positions; src is
 * unchanged. Errors: LIT_ERR_NOMEM (dst may then be partly merged).
 */
lit_status lit_config_merge(lit_config *dst, const lit_config *src);

/*
 * A command-line override "path=value" (a leading "--" is skipped):
 *   trainer.max_epochs=3                 scalar (YAML-typed: 3 int, "3" string)
 *   trainer.devices=[0, 1]               flow list (replaces)
 *   model.init_args={hidden: 256}        flow map (merges into the map there)
 *   trainer.callbacks.0.init_args.monitor=val/acc   list index (0-based)
 *   trainer.callbacks.2=...              index == size appends
 *   trainer.callbacks+={class_path: X}   appends to a list (a list value extends it)
 *   trainer.default_root_dir=null        null
 * The value is parsed as a YAML document; text that does not parse (e.g.
 * "[1,") is kept as a string, as jsonargparse does. Maps are created along
 * the path (a null on the way becomes a map). New nodes get the position
 * "<command line>:1:<column of the value in the argument>" and
 * LIT_CONFIG_FROM_COMMAND_LINE. Errors (LIT_ERR_CONFIG, config unchanged):
 * no '=', an empty path or path segment, an index into a list out of range
 * (> size), a path through a scalar ("trainer.max_epochs.x" when
 * max_epochs is 3), nesting too deep.
 */
lit_status lit_config_set_override(lit_config *cfg, const char *arg);

/*
 * Set `path` to the YAML `value` (parsed as above) with the given origin;
 * `source` names it in positions (NULL = "<command line>" / "<env>" by
 * origin). lit_config_set_override is this with "<command line>".
 */
lit_status lit_config_set_value(lit_config *cfg, const char *path, const char *value, const char *source,
                                lit_config_origin origin);

/* Remove the value at `path` (map key or list item). LIT_ERR_NOT_FOUND when absent. */
lit_status lit_config_remove(lit_config *cfg, const char *path);

/*
 * Resolve interpolations in every scalar value, in place, as OmegaConf does:
 *   ${a.b.0}          the value at that absolute path (list indices allowed);
 *   ${.x}, ${..x}     relative: a sibling of the node, of its parent, ...
 *   ${oc.env:VAR}     environment variable VAR (error when unset; set but
 *                     empty is the empty string, as in OmegaConf);
 *   ${oc.env:VAR,d}   ... or the default d when unset (d may be 'quoted'; null = null)
 *   \${...}           a literal "${...}" (the backslash is removed)
 * A scalar that is exactly one interpolation takes the referenced value with
 * its type (a map or list is copied); otherwise the pieces are concatenated
 * into a string (a map or list there is an error). Environment values and
 * defaults are typed like plain YAML scalars (VAR=3 gives an integer —
 * OmegaConf gives strings; litc binds into typed C fields, so it types
 * them as jsonargparse would). Interpolations inside interpolations
 * (${oc.env:${name}}) are resolved first. The result keeps the position of
 * the scalar that held the interpolation.
 * Errors (LIT_ERR_CONFIG, "file:line:col: key: ..."): a missing key (naming
 * it), a cycle (naming the chain), an unknown resolver, an unterminated
 * "${", more than LIT_CONFIG_MAX_NODES nodes or LIT_CONFIG_MAX_BYTES bytes
 * of text made in one call (text that nested interpolations scan again
 * counts too, so work is bounded, not only memory: "x: ${y}${y}" chains
 * that double a value stop at the limit), interpolations nested more than
 * LIT_CONFIG_MAX_DEPTH deep. The config may be partly resolved after an
 * error.
 */
lit_status lit_config_resolve(lit_config *cfg);

/* ---------------------------------------------------------------- reading */

/* The root map (never NULL). */
const lit_config_node *lit_config_root(const lit_config *cfg);
/* The node at dotted `path` ("trainer.callbacks.0.class_path"; "" = the
 * root), or NULL when absent. Digits index lists; in maps they are keys. */
const lit_config_node *lit_config_get(const lit_config *cfg, const char *path);
/* The same relative to `n` (NULL n gives NULL). */
const lit_config_node *lit_config_node_get(const lit_config_node *n, const char *path);

lit_config_type lit_config_node_type(const lit_config_node *n);
int lit_config_is_null(const lit_config_node *n); /* 1 for NULL n too */
/* Text of a scalar as written (quotes removed, escapes decoded; "" for
 * null written as empty); NULL for maps and lists. */
const char *lit_config_scalar(const lit_config_node *n);
/* The explicit tag as libyaml reports it ("tag:yaml.org,2002:str", "!foo"), or NULL. */
const char *lit_config_node_tag(const lit_config_node *n);
lit_config_pos lit_config_node_pos(const lit_config_node *n);
lit_config_origin lit_config_node_origin(const lit_config_node *n);
/* The map or list holding n; NULL for the root. */
const lit_config_node *lit_config_node_parent(const lit_config_node *n);
/* Dotted path of n from the root ("trainer.callbacks.0"; "" for the root)
 * into buf (truncated to size, NUL-terminated); returns the full length. */
size_t lit_config_node_path(const lit_config_node *n, char *buf, size_t size);

/* Maps keep their keys in order. Sizes are 0 for other types. */
int lit_config_map_size(const lit_config_node *map);
const char *lit_config_map_key(const lit_config_node *map, int i);            /* asserts the range */
const lit_config_node *lit_config_map_value(const lit_config_node *map, int i); /* asserts the range */
lit_config_pos lit_config_map_key_pos(const lit_config_node *map, int i);
/* The value of key `key` (no dots), or NULL (also when map is not a map). */
const lit_config_node *lit_config_map_find(const lit_config_node *map, const char *key);
int lit_config_list_size(const lit_config_node *list);
const lit_config_node *lit_config_list_item(const lit_config_node *list, int i); /* asserts the range */

/* Structural equality: same types, scalar texts, keys in the same order,
 * items; positions and tags are not compared. */
int lit_config_node_equal(const lit_config_node *a, const lit_config_node *b);

/*
 * Typed getters. Each returns LIT_OK and sets *out, or LIT_ERR_CONFIG with
 * "file:line:col: <path>: expected <an integer>, got <what>" where <what> is
 * the scalar in double quotes for strings ("three"), as written for other
 * scalars (3.5, true, null), "a list" or "a mapping". A NULL node is
 * LIT_ERR_NOT_FOUND.
 *   int:    LIT_CONFIG_INT only (3.0 is not an integer); out of int64 range is an error
 *   double: LIT_CONFIG_INT or LIT_CONFIG_FLOAT
 *   bool:   LIT_CONFIG_BOOL only (*out 0 or 1)
 *   string: any scalar but null (numbers and booleans give their text, as
 *           a str-typed argument in jsonargparse); the text is owned by the node
 */
lit_status lit_config_get_int(const lit_config_node *n, int64_t *out);
lit_status lit_config_get_double(const lit_config_node *n, double *out);
lit_status lit_config_get_bool(const lit_config_node *n, int *out);
lit_status lit_config_get_string(const lit_config_node *n, const char **out);

/*
 * Write the tree as block-style YAML (libyaml's emitter) that
 * lit_config_load_* reads back into an equal tree (lit_config_node_equal:
 * same keys, order, texts and types — strings that would read as another
 * type are quoted). Errors: LIT_ERR_IO on a write error.
 */
lit_status lit_config_dump(const lit_config *cfg, FILE *f);
/* The same for a subtree (a scalar is written as a one-scalar document). */
lit_status lit_config_dump_node(const lit_config_node *n, FILE *f);

/* ---------------------------------------------------------------- errors */

/* Set the last error to "file:line:col: <message>" at n's position
 * (without a position for NULL n) and return LIT_ERR_CONFIG. */
lit_status lit_config_error(const lit_config_node *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same with another status (LIT_ERR_UNSUPPORTED for "valid, but not in litc"). */
lit_status lit_config_error_status(lit_status st, const lit_config_node *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The same at the position of map's key i (for unknown keys). */
lit_status lit_config_key_error(const lit_config_node *map, int i, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * The entry of valid[0..n) nearest to `key` by Damerau-Levenshtein
 * distance (optimal string alignment: insertions, deletions, substitutions
 * and transpositions of neighbours), when that distance is at most
 * max(2, strlen(key) / 3); else NULL. Ties go to the earlier entry.
 */
const char *lit_config_suggest(const char *key, const char *const *valid, int n);

/*
 * Check that every key of `map` is in valid[0..n): the first unknown key
 * gives LIT_ERR_CONFIG "file:line:col: unknown key 'max_epoch' in trainer;
 * did you mean 'max_epochs'?" (position of the key; `where` names the map,
 * NULL = its path), or "...; valid keys: a, b, c" when nothing is close.
 * A map NULL or not a map is LIT_OK (nothing to check).
 */
lit_status lit_config_check_keys(const lit_config_node *map, const char *const *valid, int n, const char *where);

#ifdef __cplusplus
}
#endif
#endif
