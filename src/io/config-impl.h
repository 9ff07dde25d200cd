/*
 * src/io/config-impl.h — the config tree's layout, shared by the files of
 * the config layer: config.c (tree, lookups, getters, errors, merge,
 * overrides), config-parse.c (libyaml events -> tree), config-dump.c (tree
 * -> libyaml emitter), config-resolve.c (interpolation) and
 * config-trainer.c (lit_trainer_params binding, LIT_TRAINER_* env).
 */
#ifndef LITC_IO_CONFIG_IMPL_H
#define LITC_IO_CONFIG_IMPL_H

#include "litc/config.h"

typedef struct {
    char *key;              /* owned */
    const char *file;       /* the key's position (interned in the config) */
    int line, col;
    lit_config_node *value; /* owned */
} lit__config_entry;

struct lit_config_node {
    lit_config_type type;
    lit_config_origin origin;
    const char *file; /* interned in the owning config */
    int line, col;
    lit_config_node *parent;
    char *text; /* scalars: owned, NUL-terminated (NUL bytes are refused on input) */
    char *tag;  /* explicit tag or NULL; owned */
    int n, cap; /* entries (maps) or items (lists) */
    lit__config_entry *entries;
    lit_config_node **items;
    /* Set on scalars made by interpolation (or "\${" escapes): their text
     * is final and is not interpolated again. */
    unsigned char literal;
    unsigned char resolving; /* on the resolver's stack (cycle detection) */
    /* Maps: a hash index of the keys (slot = entry index + 1, 0 = empty),
     * built once a map has a few entries and kept up by map_append; any
     * other change to the entries drops it (lit__config_map_changed). It
     * keeps key lookups and the parser's duplicate check O(1), so work stays
     * linear in the config's size. */
    int *index;
    int index_cap; /* a power of two */
};

struct lit_config {
    lit_config_node *root;
    /* File names that nodes point to; only grows, freed with the config. */
    char **files;
    int n_files, cap_files;
};

/* The interned copy of `name` in cfg (NULL on out of memory). */
const char *lit__config_intern(lit_config *cfg, const char *name);

/* A fresh node (text NULL, no children). NULL on out of memory. */
lit_config_node *lit__config_node_new(lit_config_type type, const char *file, int line, int col,
                                      lit_config_origin origin);
void lit__config_node_free(lit_config_node *n);
/*
 * What building one document (lit__config_parse, aliases expanded) or one
 * lit_config_resolve may still make: nodes, and bytes of text (scalars,
 * keys, tags, and text the resolver scans again), against alias and
 * interpolation bombs.
 */
typedef struct {
    long nodes;
    long long bytes;
} lit__config_budget;

static inline lit__config_budget lit__config_budget_full(void) {
    return (lit__config_budget){ LIT_CONFIG_MAX_NODES, LIT_CONFIG_MAX_BYTES };
}
/* The full budget less what the tree at root holds, counted as the parser
 * counts a document (a map's keys are nodes too): negative when the tree,
 * dumped, would not read back within the limits. */
lit__config_budget lit__config_budget_left(const lit_config_node *root);
/* Take `nodes` nodes and `bytes` bytes from b. When either runs out:
 * LIT_ERR_CONFIG with "more than 100000 nodes (LIT_CONFIG_MAX_NODES)" or
 * "more than 64 MiB of text (LIT_CONFIG_MAX_BYTES)" as the message, which
 * the caller prefixes with where (lit__config_prefix_error). */
lit_status lit__config_budget_take(lit__config_budget *b, long nodes, size_t bytes);
/* Set the last error to "<prefix><the last error>" and return st. */
lit_status lit__config_prefix_error(lit_status st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Deep copy of src into cfg (files re-interned) into *out. *budget (may
 * be NULL) pays for the nodes and text made: LIT_ERR_CONFIG when it runs
 * out (the message says which limit, without a position) or when depth +
 * the subtree's height exceeds LIT_CONFIG_MAX_DEPTH; LIT_ERR_NOMEM. */
lit_status lit__config_node_copy(lit_config *cfg, const lit_config_node *src, int depth, lit__config_budget *budget,
                                 lit_config_node **out);
/* Append to a map (key copied) / list; the value's parent is set. */
lit_status lit__config_map_append(lit_config_node *map, const char *key, const char *file, int line, int col,
                                  lit_config_node *value);
lit_status lit__config_list_append(lit_config_node *list, lit_config_node *item);
/* Index of key in map, or -1 (O(1) through the map's hash index). */
int lit__config_map_index(const lit_config_node *map, const char *key);
/* Call after removing, reordering or clearing a map's entries in place
 * (anything but lit__config_map_append): drops the stale hash index. */
void lit__config_map_changed(lit_config_node *map);
/* Levels below n (0 for a scalar or an empty collection), for the
 * LIT_CONFIG_MAX_DEPTH checks of merge and override. */
int lit__config_height(const lit_config_node *n);
/* Move the contents of `from` (type, text, tag, children) into `to`, keeping
 * to's position, origin and parent; `from` is freed. */
void lit__config_node_take(lit_config_node *to, lit_config_node *from);
/* Depth of n below the root (root = 0). */
int lit__config_node_depth(const lit_config_node *n);

/* Type of a plain scalar by YAML 1.2's core schema. */
lit_config_type lit__config_plain_type(const char *text);

/*
 * Parse YAML bytes into a node. `any_root`: 0 = a config document (root
 * must be a map, empty = empty map); 1 = any value (override values; an
 * empty document is null). Positions get `name`; columns on the first line
 * are shifted by col_offset (a value's place in a command-line argument).
 * On error *out is NULL and the last error is set (LIT_ERR_CONFIG or
 * LIT_ERR_NOMEM).
 */
lit_status lit__config_parse(lit_config *cfg, const void *data, size_t len, const char *name, lit_config_origin origin,
                             int col_offset, int any_root, lit_config_node **out);

/* lit_config_set_value with a column offset (the value's place in an
 * argument), "+=" appending, and `verbatim` (the value is a string as is,
 * not YAML). */
lit_status lit__config_set(lit_config *cfg, const char *path, const char *value, const char *source,
                          lit_config_origin origin, int col_offset, int append, int verbatim);

/* Lookup relative to `n`, with `.`-separated segments (digits index lists). */
lit_config_node *lit__config_lookup(lit_config_node *n, const char *path);

#endif
