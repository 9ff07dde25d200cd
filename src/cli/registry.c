/*
 * src/cli/registry.c — the class registry (registry.h): registration with
 * deep copies, look-up by name or class_path alias with "did you mean",
 * init_args validation against a schema (positions from config.h's nodes),
 * the completed args with their YAML text, building, and --help text.
 *
 * Storage: one growable array of heap-allocated entries per kind, so a
 * class pointer handed out stays valid while more classes are registered.
 * Each entry owns copies of every string of its class and the parsed YAML
 * of each default (a small lit_config per argument), which is what args
 * that took their default point into.
 */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf-impl.h"
#include "core/str-impl.h"
#include "litc/config.h"
#include "litc/registry.h"

/* ---------------------------------------------------------------- storage */

typedef struct {
    lit_registry_class c;    /* strings and arrays point into this entry's copies */
    lit_arg_spec *args;      /* c.n_args, owned */
    lit_config **defaults;   /* c.n_args parsed defaults (NULL for required args) */
    char **strings;          /* every strdup'd string, for freeing */
    int n_strings, cap_strings;
    const char ***choices;   /* per arg: owned NULL-terminated copy, or NULL */
} reg_entry;

typedef struct {
    reg_entry **items;
    int n, cap;
} reg_kind;

static reg_kind g_kinds[LIT_REG_KIND_COUNT];
static char **g_interned;
static int g_n_interned, g_cap_interned;

/* registry-builtins.c's "already registered" flag, reset by clear. */
extern int lit__registry_builtins_done;

/* The class of `kind` whose name or alias is exactly `s`, or NULL; sets no
 * error (registry-builtins.c uses it too). */
const lit_registry_class *lit__registry_lookup(lit_registry_kind kind, const char *s);

static const char *const KIND_NAMES[LIT_REG_KIND_COUNT] = {
    "model", "datamodule", "callback", "logger", "optimizer", "lr_scheduler",
};

const char *lit_registry_kind_name(lit_registry_kind kind) {
    if ((int)kind < 0 || kind >= LIT_REG_KIND_COUNT) return "?";
    return KIND_NAMES[kind];
}

const char *lit_arg_type_name(lit_arg_type t) {
    switch (t) {
    case LIT_ARG_INT: return "int";
    case LIT_ARG_FLOAT: return "float";
    case LIT_ARG_BOOL: return "bool";
    case LIT_ARG_STRING: return "str";
    case LIT_ARG_ENUM: return "enum";
    case LIT_ARG_INT_LIST: return "list[int]";
    case LIT_ARG_FLOAT_LIST: return "list[float]";
    case LIT_ARG_ANY: return "any";
    }
    return "?";
}

/* What the type errors say a value should be. */
static const char *expected_text(lit_arg_type t) {
    switch (t) {
    case LIT_ARG_INT: return "an integer";
    case LIT_ARG_FLOAT: return "a number";
    case LIT_ARG_BOOL: return "a boolean";
    case LIT_ARG_STRING: return "a string";
    case LIT_ARG_ENUM: return "one of";
    case LIT_ARG_INT_LIST: return "a list of integers";
    case LIT_ARG_FLOAT_LIST: return "a list of numbers";
    case LIT_ARG_ANY: return "a value";
    }
    return "?";
}

lit_registry_context lit_registry_default_context(void) {
    return (lit_registry_context){.default_root_dir = NULL, .trainer = NULL, .user = NULL};
}

/* A copy owned by the entry; *ok cleared on out of memory. */
static const char *entry_str(reg_entry *e, const char *s, int *ok) {
    if (!s) return NULL;
    if (e->n_strings == e->cap_strings) {
        int cap = e->cap_strings ? 2 * e->cap_strings : 16;
        char **p = realloc(e->strings, (size_t)cap * sizeof *p);
        if (!p) {
            *ok = 0;
            return NULL;
        }
        e->strings = p;
        e->cap_strings = cap;
    }
    char *d = lit__strdup(s);
    if (!d) {
        *ok = 0;
        return NULL;
    }
    e->strings[e->n_strings++] = d;
    return d;
}

static void entry_free(reg_entry *e) {
    if (!e) return;
    for (int i = 0; i < e->c.n_args; i++) {
        if (e->defaults) lit_config_free(e->defaults[i]);
        if (e->choices) free((void *)e->choices[i]);
    }
    free(e->defaults);
    free(e->choices);
    free(e->args);
    for (int i = 0; i < e->n_strings; i++) free(e->strings[i]);
    free(e->strings);
    free(e);
}

void lit_registry_clear(void) {
    for (int k = 0; k < LIT_REG_KIND_COUNT; k++) {
        for (int i = 0; i < g_kinds[k].n; i++) entry_free(g_kinds[k].items[i]);
        free(g_kinds[k].items);
        g_kinds[k] = (reg_kind){0};
    }
    for (int i = 0; i < g_n_interned; i++) free(g_interned[i]);
    free(g_interned);
    g_interned = NULL;
    g_n_interned = g_cap_interned = 0;
    lit__registry_builtins_done = 0;
}

const char *lit_registry_intern(const char *s) {
    if (!s) return NULL;
    for (int i = 0; i < g_n_interned; i++)
        if (strcmp(g_interned[i], s) == 0) return g_interned[i];
    if (g_n_interned == g_cap_interned) {
        int cap = g_cap_interned ? 2 * g_cap_interned : 16;
        char **p = realloc(g_interned, (size_t)cap * sizeof *p);
        if (!p) return NULL;
        g_interned = p;
        g_cap_interned = cap;
    }
    char *d = lit__strdup(s);
    if (!d) return NULL;
    g_interned[g_n_interned++] = d;
    return d;
}

/* ---------------------------------------------------------------- text buffer (core/buf-impl.h) */

/* The text (never NULL: "" when empty or out of memory; caller frees it). */
static const char *sb_str(const lit__buf *b) { return b->data && !b->failed ? (const char *)b->data : ""; }

/* ---------------------------------------------------------------- positions and YAML text */

/* "file:line:col" of n into buf ("" for NULL). */
static const char *pos_text(const lit_config_node *n, char *buf, size_t size) {
    if (!n || size == 0) {
        if (size) buf[0] = 0;
        return buf;
    }
    lit_config_pos p = lit_config_node_pos(n);
    snprintf(buf, size, "%s:%d:%d", p.file ? p.file : "<string>", p.line, p.col);
    return buf;
}

/* How a value is shown in "got ..." (config.h's convention: strings in
 * double quotes, other scalars as written, "a list", "a mapping"). */
static void got_text(const lit_config_node *n, char *buf, size_t size) {
    switch (lit_config_node_type(n)) {
    case LIT_CONFIG_LIST: snprintf(buf, size, "a list"); break;
    case LIT_CONFIG_MAP: snprintf(buf, size, "a mapping"); break;
    case LIT_CONFIG_STRING: snprintf(buf, size, "\"%.200s\"", lit_config_scalar(n)); break;
    case LIT_CONFIG_NULL: snprintf(buf, size, "null"); break;
    default: snprintf(buf, size, "%.200s", lit_config_scalar(n)); break;
    }
}

/* Whether `s` reads back, plain, as the string s: parse "v: s" and look. */
static int plain_string_ok(const char *s) {
    if (!*s) return 0;
    /* Flow indicators: fine in a block value, but we emit flow collections.
     * Everything else (comments, ": ", leading indicators, types) the probe
     * below catches. */
    if (strpbrk(s, ",[]{}\n\r\t")) return 0;
    lit__buf b = {0};
    lit__buf_puts(&b, "v: ");
    lit__buf_puts(&b, s);
    lit_config *cfg = NULL;
    int ok = 0;
    char saved[1024];
    snprintf(saved, sizeof saved, "%s", lit_last_error());
    if (!b.failed && lit_config_load_string(&cfg, (const char *)b.data, "<check>") == LIT_OK) {
        const lit_config_node *v = lit_config_get(cfg, "v");
        ok = v && lit_config_node_type(v) == LIT_CONFIG_STRING && !lit_config_node_tag(v) &&
             strcmp(lit_config_scalar(v), s) == 0;
    }
    /* A failed probe must not leave its message behind as "the last error". */
    if (!ok) lit_set_error(LIT_OK, "%s", saved);
    lit_config_free(cfg);
    lit__buf_free(&b);
    return ok;
}

/* A string as a YAML scalar that reads back to the same string. */
static void emit_string(lit__buf *b, const char *s) {
    if (plain_string_ok(s)) {
        lit__buf_puts(b, s);
        return;
    }
    int needs_double = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) needs_double = 1;
    if (!needs_double) {
        /* Single quotes: only ' needs escaping, as ''. */
        lit__buf_put(b, "'", 1);
        for (const char *p = s; *p; p++) {
            if (*p == '\'') lit__buf_put(b, "'", 1);
            lit__buf_put(b, p, 1);
        }
        lit__buf_put(b, "'", 1);
        return;
    }
    lit__buf_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': lit__buf_puts(b, "\\\""); break;
        case '\\': lit__buf_puts(b, "\\\\"); break;
        case '\n': lit__buf_puts(b, "\\n"); break;
        case '\t': lit__buf_puts(b, "\\t"); break;
        case '\r': lit__buf_puts(b, "\\r"); break;
        default:
            if (*p < 0x20 || *p == 0x7f)
                lit__buf_printf(b, "\\x%02x", *p);
            else
                lit__buf_put(b, (const char *)p, 1);
        }
    }
    lit__buf_put(b, "\"", 1);
}

/* A node as flow-style YAML. Non-string scalars keep their text (they were
 * plain in the source, or they would not have resolved to that type). */
static void emit_node(lit__buf *b, const lit_config_node *n) {
    switch (lit_config_node_type(n)) {
    case LIT_CONFIG_NULL: lit__buf_puts(b, "null"); break;
    case LIT_CONFIG_BOOL:
    case LIT_CONFIG_INT:
    case LIT_CONFIG_FLOAT: lit__buf_puts(b, lit_config_scalar(n)); break;
    case LIT_CONFIG_STRING: emit_string(b, lit_config_scalar(n)); break;
    case LIT_CONFIG_LIST:
        lit__buf_put(b, "[", 1);
        for (int i = 0; i < lit_config_list_size(n); i++) {
            if (i) lit__buf_puts(b, ", ");
            emit_node(b, lit_config_list_item(n, i));
        }
        lit__buf_put(b, "]", 1);
        break;
    case LIT_CONFIG_MAP:
        lit__buf_put(b, "{", 1);
        for (int i = 0; i < lit_config_map_size(n); i++) {
            if (i) lit__buf_puts(b, ", ");
            emit_string(b, lit_config_map_key(n, i));
            lit__buf_puts(b, ": ");
            emit_node(b, lit_config_map_value(n, i));
        }
        lit__buf_put(b, "}", 1);
        break;
    }
}

/* Parse a default's YAML text into its own config; *node = its value. */
static lit_status parse_yaml_value(const char *text, const char *name, lit_config **cfg,
                                   const lit_config_node **node) {
    lit__buf b = {0};
    lit__buf_puts(&b, "v: ");
    lit__buf_puts(&b, text);
    if (b.failed) {
        lit__buf_free(&b);
        return lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
    }
    lit_status st = lit_config_load_string(cfg, (const char *)b.data, name);
    lit__buf_free(&b);
    if (st < 0) return st;
    *node = lit_config_get(*cfg, "v");
    return LIT_OK;
}

/* ---------------------------------------------------------------- value checks */

/* One resolved argument. */
typedef struct {
    const lit_arg_spec *spec;
    const lit_config_node *node; /* the value (given or the parsed default) */
    int given;
    int is_null;
    int64_t i;
    double d;
    int b;
    const char *s;     /* string / enum (points into the node) */
    int64_t *ilist;    /* owned */
    double *dlist;     /* owned */
    int n_list;
    char *yaml;        /* owned flow text */
    char where[256];
} reg_value;

struct lit_registry_args {
    const lit_registry_class *cls;
    int n;
    reg_value *v;
    char where[256]; /* of the init_args map, else of the class entry */
};

static int nullable(const lit_arg_spec *s) {
    return s->nullable || (s->default_yaml && strcmp(s->default_yaml, "null") == 0) ||
           (s->default_yaml && strcmp(s->default_yaml, "~") == 0);
}

/* Check node n against spec and fill *v (lists allocated). `cls_name` for
 * the messages. Errors: LIT_ERR_CONFIG at n's position; LIT_ERR_NOMEM. */
static lit_status check_value(const char *cls_name, const lit_arg_spec *spec, const lit_config_node *n,
                              reg_value *v) {
    char got[256];
    v->spec = spec;
    v->node = n;
    lit_config_type t = lit_config_node_type(n);
    if (t == LIT_CONFIG_NULL) {
        if (!nullable(spec)) {
            if (spec->type == LIT_ARG_ENUM) goto bad_enum;
            return lit_config_error(n, "%s.%s: expected %s, got null", cls_name, spec->name, expected_text(spec->type));
        }
        v->is_null = 1;
        v->d = NAN;
        return LIT_OK;
    }
    switch (spec->type) {
    case LIT_ARG_INT:
        if (t != LIT_CONFIG_INT || lit_config_get_int(n, &v->i) < 0) goto bad;
        v->d = (double)v->i;
        return LIT_OK;
    case LIT_ARG_FLOAT:
        if ((t != LIT_CONFIG_INT && t != LIT_CONFIG_FLOAT) || lit_config_get_double(n, &v->d) < 0) goto bad;
        return LIT_OK;
    case LIT_ARG_BOOL:
        if (t != LIT_CONFIG_BOOL || lit_config_get_bool(n, &v->b) < 0) goto bad;
        return LIT_OK;
    case LIT_ARG_STRING:
        /* Any scalar: jsonargparse gives a str argument the text of a number. */
        if (t == LIT_CONFIG_LIST || t == LIT_CONFIG_MAP) goto bad;
        v->s = lit_config_scalar(n);
        return LIT_OK;
    case LIT_ARG_ENUM: {
        if (t == LIT_CONFIG_LIST || t == LIT_CONFIG_MAP) goto bad_enum;
        const char *s = lit_config_scalar(n);
        for (int i = 0; spec->choices && spec->choices[i]; i++)
            if (strcmp(spec->choices[i], s) == 0) {
                v->s = spec->choices[i];
                return LIT_OK;
            }
        goto bad_enum;
    }
    case LIT_ARG_INT_LIST:
    case LIT_ARG_FLOAT_LIST: {
        int is_int = spec->type == LIT_ARG_INT_LIST;
        int scalar = t != LIT_CONFIG_LIST;
        if (t == LIT_CONFIG_MAP || t == LIT_CONFIG_STRING || t == LIT_CONFIG_BOOL) goto bad;
        int n_items = scalar ? 1 : lit_config_list_size(n);
        size_t sz = (size_t)(n_items > 0 ? n_items : 1);
        if (is_int)
            v->ilist = calloc(sz, sizeof *v->ilist);
        else
            v->dlist = calloc(sz, sizeof *v->dlist);
        if (!v->ilist && !v->dlist) return lit_set_error(LIT_ERR_NOMEM, "%s.%s: out of memory", cls_name, spec->name);
        for (int i = 0; i < n_items; i++) {
            const lit_config_node *it = scalar ? n : lit_config_list_item(n, i);
            lit_config_type it_t = lit_config_node_type(it);
            int ok = is_int ? it_t == LIT_CONFIG_INT && lit_config_get_int(it, &v->ilist[i]) == LIT_OK
                            : (it_t == LIT_CONFIG_INT || it_t == LIT_CONFIG_FLOAT) &&
                                  lit_config_get_double(it, &v->dlist[i]) == LIT_OK;
            if (!ok) {
                got_text(it, got, sizeof got);
                return lit_config_error(it, "%s.%s: expected %s, got %s%s", cls_name, spec->name,
                                        expected_text(spec->type), scalar ? "" : "an item ", got);
            }
        }
        v->n_list = n_items;
        return LIT_OK;
    }
    case LIT_ARG_ANY: return LIT_OK;
    }
bad:
    got_text(n, got, sizeof got);
    return lit_config_error(n, "%s.%s: expected %s, got %s", cls_name, spec->name, expected_text(spec->type), got);
bad_enum: {
    lit__buf b = {0};
    int nc = 0;
    for (int i = 0; spec->choices && spec->choices[i]; i++, nc++)
        lit__buf_printf(&b, "%s%s", i ? ", " : "", spec->choices[i]);
    if (nullable(spec)) lit__buf_puts(&b, ", null");
    got_text(n, got, sizeof got);
    const char *near = NULL;
    if (t == LIT_CONFIG_STRING) near = lit_config_suggest(lit_config_scalar(n), spec->choices, nc);
    lit_status st;
    if (near)
        st = lit_config_error(n, "%s.%s: expected one of %s, got %s; did you mean '%s'?", cls_name, spec->name,
                              sb_str(&b), got, near);
    else
        st = lit_config_error(n, "%s.%s: expected one of %s, got %s", cls_name, spec->name, sb_str(&b), got);
    lit__buf_free(&b);
    return st;
}
}

static void value_free(reg_value *v) {
    free(v->ilist);
    free(v->dlist);
    free(v->yaml);
}

/* ---------------------------------------------------------------- registration */

static const lit_registry_class *lookup_in(const reg_kind *k, const char *s) {
    for (int i = 0; i < k->n; i++) {
        const lit_registry_class *c = &k->items[i]->c;
        if (strcmp(c->name, s) == 0) return c;
        for (int j = 0; j < LIT_REGISTRY_MAX_ALIASES && c->aliases[j]; j++)
            if (strcmp(c->aliases[j], s) == 0) return c;
    }
    return NULL;
}

const lit_registry_class *lit__registry_lookup(lit_registry_kind kind, const char *s) {
    if ((int)kind < 0 || kind >= LIT_REG_KIND_COUNT || !s) return NULL;
    return lookup_in(&g_kinds[kind], s);
}

/* Whether the build slot the kind needs is there. */
static int has_build(const lit_registry_class *c) {
    switch (c->kind) {
    case LIT_REG_MODEL: return c->build_model != NULL;
    case LIT_REG_DATAMODULE: return c->build_datamodule != NULL;
    case LIT_REG_CALLBACK: return c->build_callback != NULL;
    case LIT_REG_LOGGER: return c->build_logger != NULL;
    case LIT_REG_OPTIMIZER: return c->build_optimizer != NULL;
    case LIT_REG_LR_SCHEDULER: return c->build_lr_scheduler != NULL;
    default: return 0;
    }
}

/* Static checks of the class as given (before copying). */
static lit_status check_class(const lit_registry_class *c) {
    if ((int)c->kind < 0 || c->kind >= LIT_REG_KIND_COUNT)
        return lit_set_error(LIT_ERR_CONFIG, "registry: class kind %d out of range", (int)c->kind);
    const char *kn = lit_registry_kind_name(c->kind);
    if (!c->name || !c->name[0]) return lit_set_error(LIT_ERR_CONFIG, "registry: a %s class without a name", kn);
    if (!has_build(c))
        return lit_set_error(LIT_ERR_CONFIG, "registry: %s class '%s' has no build_%s function", kn, c->name, kn);
    if (c->n_args < 0 || (c->n_args > 0 && !c->args))
        return lit_set_error(LIT_ERR_CONFIG, "registry: %s class '%s': %d arguments but no schema", kn, c->name,
                             c->n_args);
    const reg_kind *k = &g_kinds[c->kind];
    const char *names[1 + LIT_REGISTRY_MAX_ALIASES];
    int n_names = 0;
    names[n_names++] = c->name;
    for (int j = 0; j < LIT_REGISTRY_MAX_ALIASES && c->aliases[j]; j++) names[n_names++] = c->aliases[j];
    for (int j = 0; j < n_names; j++) {
        if (!names[j][0]) return lit_set_error(LIT_ERR_CONFIG, "registry: %s class '%s' has an empty alias", kn, c->name);
        const lit_registry_class *o = lookup_in(k, names[j]);
        if (o)
            return lit_set_error(LIT_ERR_CONFIG, "registry: %s class '%s': the name '%s' is taken by %s class '%s'",
                                 kn, c->name, names[j], kn, o->name);
    }
    for (int i = 0; i < c->n_args; i++) {
        const lit_arg_spec *s = &c->args[i];
        if (!s->name || !s->name[0])
            return lit_set_error(LIT_ERR_CONFIG, "registry: %s class '%s': argument %d has no name", kn, c->name, i);
        for (int j = 0; j < i; j++)
            if (strcmp(c->args[j].name, s->name) == 0)
                return lit_set_error(LIT_ERR_CONFIG, "registry: %s class '%s': argument '%s' is listed twice", kn,
                                     c->name, s->name);
        if ((int)s->type < LIT_ARG_INT || s->type > LIT_ARG_ANY)
            return lit_set_error(LIT_ERR_CONFIG, "registry: %s.%s: unknown type %d", c->name, s->name, (int)s->type);
        if (s->type == LIT_ARG_ENUM && (!s->choices || !s->choices[0]))
            return lit_set_error(LIT_ERR_CONFIG, "registry: %s.%s: an enum without choices", c->name, s->name);
        if (s->required && s->default_yaml)
            return lit_set_error(LIT_ERR_CONFIG, "registry: %s.%s: a required argument cannot have a default ('%s')",
                                 c->name, s->name, s->default_yaml);
        if (!s->required && !s->default_yaml)
            return lit_set_error(LIT_ERR_CONFIG, "registry: %s.%s: an optional argument needs a default (YAML text; "
                                 "\"null\" for None)", c->name, s->name);
    }
    return LIT_OK;
}

lit_status lit_registry_register(const lit_registry_class *c) {
    LIT_ASSERT(c != NULL, "lit_registry_register: pass a class");
    LIT_TRY(check_class(c));
    reg_entry *e = calloc(1, sizeof *e);
    if (!e) return lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
    int ok = 1;
    e->c = *c;
    e->c.name = entry_str(e, c->name, &ok);
    e->c.doc = entry_str(e, c->doc ? c->doc : "", &ok);
    memset(e->c.aliases, 0, sizeof e->c.aliases);
    for (int j = 0, o = 0; j < LIT_REGISTRY_MAX_ALIASES && c->aliases[j]; j++) {
        /* An alias equal to the name (or to an earlier alias) adds nothing. */
        int dup = strcmp(c->aliases[j], c->name) == 0;
        for (int q = 0; q < j; q++) dup |= strcmp(c->aliases[q], c->aliases[j]) == 0;
        if (!dup) e->c.aliases[o++] = entry_str(e, c->aliases[j], &ok);
    }
    size_t na = (size_t)(c->n_args > 0 ? c->n_args : 1);
    e->args = calloc(na, sizeof *e->args);
    e->defaults = calloc(na, sizeof *e->defaults);
    e->choices = calloc(na, sizeof *e->choices);
    if (!e->args || !e->defaults || !e->choices) ok = 0;
    lit_status st = LIT_OK;
    for (int i = 0; ok && st >= 0 && i < c->n_args; i++) {
        const lit_arg_spec *s = &c->args[i];
        lit_arg_spec *d = &e->args[i];
        *d = *s;
        d->name = entry_str(e, s->name, &ok);
        d->default_yaml = entry_str(e, s->default_yaml, &ok);
        d->doc = entry_str(e, s->doc ? s->doc : "", &ok);
        d->choices = NULL;
        if (s->choices) {
            int nc = 0;
            while (s->choices[nc]) nc++;
            const char **ch = calloc((size_t)nc + 1, sizeof *ch);
            if (!ch) {
                ok = 0;
                break;
            }
            e->choices[i] = ch;
            for (int q = 0; q < nc; q++) ch[q] = entry_str(e, s->choices[q], &ok);
            d->choices = ch;
        }
        if (!ok || !d->default_yaml) continue;
        /* The default must be a value of the argument's own type: a typo in
         * a schema shows at start-up, not when a user omits the key. */
        char where[300];
        snprintf(where, sizeof where, "<default of %s.%s>", c->name, s->name);
        const lit_config_node *dn = NULL;
        st = parse_yaml_value(d->default_yaml, where, &e->defaults[i], &dn);
        if (st >= 0) {
            reg_value v = {0};
            st = check_value(c->name, d, dn, &v);
            value_free(&v);
        }
        if (st < 0) {
            char msg[1024];
            snprintf(msg, sizeof msg, "%s", lit_last_error());
            st = lit_set_error(st == LIT_ERR_NOMEM ? st : LIT_ERR_CONFIG, "registry: the default '%s' of %s.%s is "
                               "not valid: %s", d->default_yaml, c->name, s->name, msg);
        }
    }
    e->c.args = e->args;
    if (st >= 0 && !ok) st = lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
    reg_kind *k = &g_kinds[c->kind];
    if (st >= 0 && k->n == k->cap) {
        int cap = k->cap ? 2 * k->cap : 16;
        reg_entry **p = realloc(k->items, (size_t)cap * sizeof *p);
        if (!p)
            st = lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
        else {
            k->items = p;
            k->cap = cap;
        }
    }
    if (st < 0) {
        entry_free(e);
        return st;
    }
    k->items[k->n++] = e;
    return LIT_OK;
}

int lit_registry_count(lit_registry_kind kind) {
    if ((int)kind < 0 || kind >= LIT_REG_KIND_COUNT) return 0;
    return g_kinds[kind].n;
}

const lit_registry_class *lit_registry_at(lit_registry_kind kind, int i) {
    LIT_ASSERT((int)kind >= 0 && kind < LIT_REG_KIND_COUNT, "lit_registry_at: kind %d out of range", (int)kind);
    LIT_ASSERT(i >= 0 && i < g_kinds[kind].n, "lit_registry_at: %s %d of %d", lit_registry_kind_name(kind), i,
               g_kinds[kind].n);
    return &g_kinds[kind].items[i]->c;
}

/* ---------------------------------------------------------------- look-up */

/* "unknown ... class" with the nearest name or alias and the registered names. */
static lit_status unknown_class(lit_registry_kind kind, const char *s, const char *where) {
    const reg_kind *k = &g_kinds[kind];
    int n_all = 0;
    for (int i = 0; i < k->n; i++) {
        n_all++;
        for (int j = 0; j < LIT_REGISTRY_MAX_ALIASES && k->items[i]->c.aliases[j]; j++) n_all++;
    }
    const char **all = calloc((size_t)(n_all > 0 ? n_all : 1), sizeof *all);
    const char *near = NULL;
    if (all) {
        int q = 0;
        /* Names first: a tie between a name and an alias goes to the name. */
        for (int i = 0; i < k->n; i++) all[q++] = k->items[i]->c.name;
        for (int i = 0; i < k->n; i++)
            for (int j = 0; j < LIT_REGISTRY_MAX_ALIASES && k->items[i]->c.aliases[j]; j++)
                all[q++] = k->items[i]->c.aliases[j];
        near = lit_config_suggest(s, all, n_all);
    }
    lit__buf b = {0};
    if (where && where[0]) lit__buf_printf(&b, "%s: ", where);
    lit__buf_printf(&b, "unknown %s class '%s'", lit_registry_kind_name(kind), s);
    if (near) lit__buf_printf(&b, "; did you mean '%s'?", near);
    lit__buf_puts(&b, " registered:");
    if (k->n == 0) lit__buf_puts(&b, " none");
    for (int i = 0; i < k->n; i++) lit__buf_printf(&b, "%s %s", i ? "," : "", k->items[i]->c.name);
    lit_status st = lit_set_error(LIT_ERR_CONFIG, "%s", b.failed ? "unknown class (out of memory)" : sb_str(&b));
    lit__buf_free(&b);
    free(all);
    return st;
}

lit_status lit_registry_find(lit_registry_kind kind, const char *name_or_class_path, const char *where,
                             const lit_registry_class **out) {
    LIT_ASSERT(out != NULL, "lit_registry_find: pass out");
    *out = NULL;
    if ((int)kind < 0 || kind >= LIT_REG_KIND_COUNT)
        return lit_set_error(LIT_ERR_INVALID_ARG, "lit_registry_find: kind %d out of range", (int)kind);
    if (!name_or_class_path) name_or_class_path = "";
    const lit_registry_class *c = lookup_in(&g_kinds[kind], name_or_class_path);
    if (!c) return unknown_class(kind, name_or_class_path, where);
    *out = c;
    return LIT_OK;
}

/* ---------------------------------------------------------------- validation */

void lit_registry_args_free(lit_registry_args *a) {
    if (!a) return;
    for (int i = 0; i < a->n; i++) value_free(&a->v[i]);
    free(a->v);
    free(a);
}

static const reg_entry *entry_of(const lit_registry_class *cls) {
    /* The class pointer is &entry->c and c is the first member. */
    return (const reg_entry *)(const void *)cls;
}

/* Validate with `ctx_node` (the class entry) as the position of errors
 * about the whole map when init_args is absent. */
static lit_status validate(const lit_registry_class *cls, const lit_config_node *init_args,
                           const lit_config_node *ctx_node, lit_registry_args **out) {
    LIT_ASSERT(cls != NULL && out != NULL, "lit_registry_validate_init_args: pass a class and out");
    *out = NULL;
    const reg_entry *e = entry_of(cls);
    if (init_args && lit_config_node_type(init_args) == LIT_CONFIG_NULL) {
        ctx_node = init_args;
        init_args = NULL;
    }
    if (init_args && lit_config_node_type(init_args) != LIT_CONFIG_MAP) {
        char got[256];
        got_text(init_args, got, sizeof got);
        return lit_config_error(init_args, "%s: init_args must be a mapping, got %s", cls->name, got);
    }
    /* Unknown keys first: a misspelt key would otherwise show up as a
     * missing required argument. */
    for (int i = 0; init_args && i < lit_config_map_size(init_args); i++) {
        const char *key = lit_config_map_key(init_args, i);
        int known = 0;
        for (int j = 0; j < cls->n_args && !known; j++) known = strcmp(cls->args[j].name, key) == 0;
        if (known) continue;
        const char **names = calloc((size_t)(cls->n_args > 0 ? cls->n_args : 1), sizeof *names);
        if (!names) return lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
        for (int j = 0; j < cls->n_args; j++) names[j] = cls->args[j].name;
        const char *near = lit_config_suggest(key, names, cls->n_args);
        lit_status st;
        if (near) {
            st = lit_config_key_error(init_args, i, "unknown argument '%s' of %s; did you mean '%s'?", key, cls->name,
                                      near);
        } else {
            lit__buf b = {0};
            for (int j = 0; j < cls->n_args; j++) lit__buf_printf(&b, "%s%s", j ? ", " : "", names[j]);
            st = lit_config_key_error(init_args, i, "unknown argument '%s' of %s; arguments: %s", key, cls->name,
                                      cls->n_args ? sb_str(&b) : "none");
            lit__buf_free(&b);
        }
        free(names);
        return st;
    }
    lit_registry_args *a = calloc(1, sizeof *a);
    if (!a) return lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
    a->cls = cls;
    a->n = cls->n_args;
    a->v = calloc((size_t)(a->n > 0 ? a->n : 1), sizeof *a->v);
    if (!a->v) {
        free(a);
        return lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
    }
    pos_text(init_args ? init_args : ctx_node, a->where, sizeof a->where);
    lit_status st = LIT_OK;
    for (int j = 0; j < a->n && st >= 0; j++) {
        const lit_arg_spec *s = &cls->args[j];
        reg_value *v = &a->v[j];
        const lit_config_node *n = init_args ? lit_config_map_find(init_args, s->name) : NULL;
        if (n) {
            v->given = 1;
            st = check_value(cls->name, s, n, v);
            pos_text(n, v->where, sizeof v->where);
        } else if (s->required) {
            const lit_config_node *at = init_args ? init_args : ctx_node;
            if (at)
                st = lit_config_error(at, "%s: missing required argument '%s'", cls->name, s->name);
            else
                st = lit_set_error(LIT_ERR_CONFIG, "%s: missing required argument '%s'", cls->name, s->name);
        } else {
            n = lit_config_get(e->defaults[j], "v");
            st = check_value(cls->name, s, n, v);
            snprintf(v->where, sizeof v->where, "%s", a->where);
        }
        if (st >= 0) {
            lit__buf b = {0};
            emit_node(&b, n);
            if (b.failed) {
                lit__buf_free(&b);
                st = lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
            } else {
                v->yaml = b.data ? (char *)b.data : lit__strdup("''");
                if (!v->yaml) st = lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
            }
        }
    }
    if (st < 0) {
        lit_registry_args_free(a);
        return st;
    }
    *out = a;
    return LIT_OK;
}

lit_status lit_registry_validate_init_args(const lit_registry_class *cls, const lit_config_node *init_args,
                                           lit_registry_args **out) {
    return validate(cls, init_args, NULL, out);
}

lit_status lit_registry_resolve(lit_registry_kind kind, const lit_config_node *node, const lit_registry_class **cls,
                                lit_registry_args **args) {
    LIT_ASSERT(cls != NULL && args != NULL, "lit_registry_resolve: pass cls and args");
    *cls = NULL;
    *args = NULL;
    const char *kn = lit_registry_kind_name(kind);
    if (!node || lit_config_node_type(node) == LIT_CONFIG_NULL) {
        if (node) return lit_config_error(node, "expected a %s class (class_path: ...), got null", kn);
        return lit_set_error(LIT_ERR_CONFIG, "expected a %s class (class_path: ...), got nothing", kn);
    }
    char where[256];
    const lit_config_node *path_node = NULL, *init = NULL;
    lit_config_type t = lit_config_node_type(node);
    if (t == LIT_CONFIG_STRING) {
        path_node = node;
    } else if (t == LIT_CONFIG_MAP) {
        static const char *const keys[] = {"class_path", "init_args"};
        char what[300];
        snprintf(what, sizeof what, "a %s class entry", kn);
        LIT_TRY(lit_config_check_keys(node, keys, 2, what));
        path_node = lit_config_map_find(node, "class_path");
        init = lit_config_map_find(node, "init_args");
        if (!path_node) return lit_config_error(node, "a %s class entry without class_path", kn);
        if (lit_config_node_type(path_node) != LIT_CONFIG_STRING) {
            char got[256];
            got_text(path_node, got, sizeof got);
            return lit_config_error(path_node, "class_path: expected a string, got %s", got);
        }
    } else {
        char got[256];
        got_text(node, got, sizeof got);
        return lit_config_error(node, "expected a %s class ({class_path: ..., init_args: {...}} or a class name), "
                                "got %s", kn, got);
    }
    const lit_registry_class *c = NULL;
    LIT_TRY(lit_registry_find(kind, lit_config_scalar(path_node), pos_text(path_node, where, sizeof where), &c));
    LIT_TRY(validate(c, init, node, args));
    *cls = c;
    return LIT_OK;
}

/* ---------------------------------------------------------------- reading args */

const lit_registry_class *lit_registry_args_class(const lit_registry_args *a) {
    LIT_ASSERT(a != NULL, "lit_registry_args_class: NULL args");
    return a->cls;
}

static const reg_value *value_of(const lit_registry_args *a, const char *name, const char *fn) {
    LIT_ASSERT(a != NULL && name != NULL, "%s: pass args and a name", fn);
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->v[i].spec->name, name) == 0) return &a->v[i];
    LIT_ASSERT(0, "%s: %s has no argument '%s' (see its schema)", fn, a->cls->name, name);
    return NULL;
}

/* The getter must match the schema's type: reading a float argument as an
 * int would silently truncate a config value. */
static const reg_value *typed(const lit_registry_args *a, const char *name, const char *fn, lit_arg_type t1,
                              lit_arg_type t2) {
    const reg_value *v = value_of(a, name, fn);
    LIT_ASSERT(v->spec->type == t1 || v->spec->type == t2, "%s: %s.%s is of type %s", fn, a->cls->name, name,
               lit_arg_type_name(v->spec->type));
    return v;
}

int lit_registry_args_is_null(const lit_registry_args *a, const char *name) {
    return value_of(a, name, "lit_registry_args_is_null")->is_null;
}

int64_t lit_registry_args_int(const lit_registry_args *a, const char *name) {
    const reg_value *v = typed(a, name, "lit_registry_args_int", LIT_ARG_INT, LIT_ARG_INT);
    return v->is_null ? 0 : v->i;
}

double lit_registry_args_float(const lit_registry_args *a, const char *name) {
    const reg_value *v = typed(a, name, "lit_registry_args_float", LIT_ARG_FLOAT, LIT_ARG_FLOAT);
    return v->is_null ? NAN : v->d;
}

int lit_registry_args_bool(const lit_registry_args *a, const char *name) {
    const reg_value *v = typed(a, name, "lit_registry_args_bool", LIT_ARG_BOOL, LIT_ARG_BOOL);
    return v->is_null ? 0 : v->b;
}

const char *lit_registry_args_string(const lit_registry_args *a, const char *name) {
    const reg_value *v = typed(a, name, "lit_registry_args_string", LIT_ARG_STRING, LIT_ARG_ENUM);
    return v->is_null ? NULL : v->s;
}

const int64_t *lit_registry_args_int_list(const lit_registry_args *a, const char *name, int *n) {
    const reg_value *v = typed(a, name, "lit_registry_args_int_list", LIT_ARG_INT_LIST, LIT_ARG_INT_LIST);
    if (n) *n = v->is_null ? 0 : v->n_list;
    return v->is_null ? NULL : v->ilist;
}

const double *lit_registry_args_float_list(const lit_registry_args *a, const char *name, int *n) {
    const reg_value *v = typed(a, name, "lit_registry_args_float_list", LIT_ARG_FLOAT_LIST, LIT_ARG_FLOAT_LIST);
    if (n) *n = v->is_null ? 0 : v->n_list;
    return v->is_null ? NULL : v->dlist;
}

const lit_config_node *lit_registry_args_node(const lit_registry_args *a, const char *name) {
    const reg_value *v = value_of(a, name, "lit_registry_args_node");
    return v->is_null ? NULL : v->node;
}

int lit_registry_args_given(const lit_registry_args *a, const char *name) {
    return value_of(a, name, "lit_registry_args_given")->given;
}

const char *lit_registry_args_where(const lit_registry_args *a, const char *name) {
    if (!name) {
        LIT_ASSERT(a != NULL, "lit_registry_args_where: NULL args");
        return a->where;
    }
    return value_of(a, name, "lit_registry_args_where")->where;
}

int lit_registry_args_count(const lit_registry_args *a) {
    LIT_ASSERT(a != NULL, "lit_registry_args_count: NULL args");
    return a->n;
}

const char *lit_registry_args_name_at(const lit_registry_args *a, int i) {
    LIT_ASSERT(a != NULL && i >= 0 && i < a->n, "lit_registry_args_name_at: %d out of range", i);
    return a->v[i].spec->name;
}

const char *lit_registry_args_yaml_at(const lit_registry_args *a, int i) {
    LIT_ASSERT(a != NULL && i >= 0 && i < a->n, "lit_registry_args_yaml_at: %d out of range", i);
    return a->v[i].yaml;
}

const char *lit_registry_args_yaml(const lit_registry_args *a, const char *name) {
    return value_of(a, name, "lit_registry_args_yaml")->yaml;
}

lit_status lit_registry_args_print_yaml(FILE *f, const lit_registry_args *a, int indent) {
    LIT_ASSERT(f != NULL && a != NULL, "lit_registry_args_print_yaml: pass a file and args");
    if (a->n == 0) {
        if (fprintf(f, "%*s{}\n", indent < 0 ? 0 : indent, "") < 0)
            return lit_set_error(LIT_ERR_IO, "print_config: write error");
        return LIT_OK;
    }
    for (int i = 0; i < a->n; i++)
        if (fprintf(f, "%*s%s: %s\n", indent < 0 ? 0 : indent, "", a->v[i].spec->name, a->v[i].yaml) < 0)
            return lit_set_error(LIT_ERR_IO, "print_config: write error");
    return LIT_OK;
}

lit_status lit_registry_args_to_config(const lit_registry_args *a, lit_config *cfg, const char *path) {
    LIT_ASSERT(a != NULL && cfg != NULL && path != NULL, "lit_registry_args_to_config: pass args, a config, a path");
    for (int i = 0; i < a->n; i++) {
        if (a->v[i].given) continue;
        lit__buf b = {0};
        lit__buf_printf(&b, "%s%s%s", path, path[0] ? "." : "", a->v[i].spec->name);
        if (b.failed) {
            lit__buf_free(&b);
            return lit_set_error(LIT_ERR_NOMEM, "registry: out of memory");
        }
        char src[300];
        snprintf(src, sizeof src, "<default of %s.%s>", a->cls->name, a->v[i].spec->name);
        lit_status st = lit_config_set_value(cfg, (const char *)b.data, a->v[i].yaml, src, LIT_CONFIG_FROM_FILE);
        lit__buf_free(&b);
        LIT_TRY(st);
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- building */

/* Prefix "<Name>: " unless the build function's message names the class. */
static lit_status build_failed(const lit_registry_class *cls, lit_status st) {
    const char *m = lit_last_error();
    if (strstr(m, cls->name)) return st;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", m);
    return lit_set_error(st, "%s: %s", cls->name, msg);
}

/* What every lit_registry_build_* (named fn) does before its builder: the
 * `size` bytes of out are zeroed, the class is of kind k and a are its
 * args; *ctx becomes the default context when NULL. */
static lit_status build_begin(const char *fn, const lit_registry_class *cls, const lit_registry_args *a,
                              lit_registry_kind k, void *out, size_t size, const lit_registry_context **ctx,
                              lit_registry_context *tmp) {
    LIT_ASSERT(out != NULL, "%s: pass out", fn);
    memset(out, 0, size);
    LIT_ASSERT(cls != NULL && a != NULL, "%s: pass a class and its args", fn);
    if (cls->kind != k)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: '%s' is a %s class, not a %s", fn, cls->name,
                             lit_registry_kind_name(cls->kind), lit_registry_kind_name(k));
    LIT_ASSERT(a->cls == cls, "%s: args of %s given for %s", fn, a->cls->name, cls->name);
    if (!*ctx) {
        *tmp = lit_registry_default_context();
        *ctx = tmp;
    }
    return LIT_OK;
}

/* ... and after it: on failure the `size` bytes of out are zeroed again
 * (a half-made value is never returned) and the error names the class. */
static lit_status build_done(const lit_registry_class *cls, lit_status st, void *out, size_t size) {
    if (st >= 0) return st;
    memset(out, 0, size);
    return build_failed(cls, st);
}

lit_status lit_registry_build_callback(const lit_registry_class *cls, const lit_registry_args *a,
                                       const lit_registry_context *ctx, lit_callback *out) {
    lit_registry_context tmp;
    LIT_TRY(build_begin(__func__, cls, a, LIT_REG_CALLBACK, out, sizeof *out, &ctx, &tmp));
    return build_done(cls, cls->build_callback(a, ctx, out), out, sizeof *out);
}

lit_status lit_registry_build_logger(const lit_registry_class *cls, const lit_registry_args *a,
                                     const lit_registry_context *ctx, lit_logger *out) {
    lit_registry_context tmp;
    LIT_TRY(build_begin(__func__, cls, a, LIT_REG_LOGGER, out, sizeof *out, &ctx, &tmp));
    return build_done(cls, cls->build_logger(a, ctx, out), out, sizeof *out);
}

lit_status lit_registry_build_optimizer(const lit_registry_class *cls, const lit_registry_args *a,
                                        const lit_registry_context *ctx, lit_tensor *const *params, int n,
                                        lit_optimizer **out) {
    lit_registry_context tmp;
    LIT_TRY(build_begin(__func__, cls, a, LIT_REG_OPTIMIZER, out, sizeof *out, &ctx, &tmp));
    return build_done(cls, cls->build_optimizer(a, ctx, params, n, out), out, sizeof *out);
}

lit_status lit_registry_build_lr_scheduler(const lit_registry_class *cls, const lit_registry_args *a,
                                           const lit_registry_context *ctx, lit_optimizer *opt,
                                           lit_lr_scheduler_config *out) {
    LIT_ASSERT(out != NULL && opt != NULL, "lit_registry_build_lr_scheduler: pass an optimizer and out");
    lit_registry_context tmp;
    LIT_TRY(build_begin(__func__, cls, a, LIT_REG_LR_SCHEDULER, out, sizeof *out, &ctx, &tmp));
    return build_done(cls, cls->build_lr_scheduler(a, ctx, opt, out), out, sizeof *out);
}

lit_status lit_registry_build_model(const lit_registry_class *cls, const lit_registry_args *a,
                                    const lit_registry_context *ctx, lit_module **out) {
    lit_registry_context tmp;
    LIT_TRY(build_begin(__func__, cls, a, LIT_REG_MODEL, out, sizeof *out, &ctx, &tmp));
    return build_done(cls, cls->build_model(a, ctx, out), out, sizeof *out);
}

lit_status lit_registry_build_datamodule(const lit_registry_class *cls, const lit_registry_args *a,
                                         const lit_registry_context *ctx, lit_datamodule **out) {
    lit_registry_context tmp;
    LIT_TRY(build_begin(__func__, cls, a, LIT_REG_DATAMODULE, out, sizeof *out, &ctx, &tmp));
    return build_done(cls, cls->build_datamodule(a, ctx, out), out, sizeof *out);
}

void lit_registry_free_model(const lit_registry_class *cls, lit_module *m) {
    if (cls && m && cls->free_model) cls->free_model(m);
}

void lit_registry_free_datamodule(const lit_registry_class *cls, lit_datamodule *dm) {
    if (cls && dm && cls->free_datamodule) cls->free_datamodule(dm);
}

/* ---------------------------------------------------------------- help */

/* `text` wrapped at `width` columns, each line indented by `indent`. */
static void wrap(lit__buf *b, const char *text, int indent, int width) {
    const char *p = text;
    while (*p) {
        while (*p == ' ') p++;
        if (!*p) break;
        int avail = width - indent;
        if (avail < 20) avail = 20;
        const char *end = p, *cut = NULL;
        while (*end && *end != '\n' && end - p < avail) {
            if (*end == ' ') cut = end;
            end++;
        }
        if (*end && *end != '\n' && cut) end = cut;
        lit__buf_printf(b, "%*s", indent, "");
        lit__buf_put(b, p, (size_t)(end - p));
        lit__buf_puts(b, "\n");
        p = *end == '\n' ? end + 1 : end;
    }
}

/* "str | null", "enum {min, max}", ... */
static void type_text(lit__buf *b, const lit_arg_spec *s) {
    if (s->type == LIT_ARG_ENUM) {
        lit__buf_puts(b, "enum {");
        for (int i = 0; s->choices && s->choices[i]; i++) lit__buf_printf(b, "%s%s", i ? ", " : "", s->choices[i]);
        lit__buf_puts(b, "}");
    } else {
        lit__buf_puts(b, lit_arg_type_name(s->type));
    }
    if (nullable(s)) lit__buf_puts(b, " | null");
}

static lit_status flush_help(FILE *f, lit__buf *b) {
    lit_status st = LIT_OK;
    if (b->failed)
        st = lit_set_error(LIT_ERR_NOMEM, "help: out of memory");
    else if (b->len && fwrite(b->data, 1, b->len, f) != b->len)
        st = lit_set_error(LIT_ERR_IO, "help: write error");
    lit__buf_free(b);
    return st;
}

lit_status lit_registry_print_help(FILE *f, const lit_registry_class *cls) {
    LIT_ASSERT(f != NULL && cls != NULL, "lit_registry_print_help: pass a file and a class");
    lit__buf b = {0};
    lit__buf_printf(&b, "%s (%s)\n", cls->name, lit_registry_kind_name(cls->kind));
    lit__buf_printf(&b, "  class_path: %s", cls->name);
    for (int j = 0; j < LIT_REGISTRY_MAX_ALIASES && cls->aliases[j]; j++) lit__buf_printf(&b, " | %s", cls->aliases[j]);
    lit__buf_puts(&b, "\n");
    if (cls->doc && cls->doc[0]) wrap(&b, cls->doc, 2, 100);
    lit__buf_puts(&b, "  init_args:\n");
    if (cls->n_args == 0) lit__buf_puts(&b, "    (none)\n");
    for (int i = 0; i < cls->n_args; i++) {
        const lit_arg_spec *s = &cls->args[i];
        lit__buf_printf(&b, "    %s: ", s->name);
        type_text(&b, s);
        if (s->required)
            lit__buf_puts(&b, " (required)\n");
        else
            lit__buf_printf(&b, " = %s\n", s->default_yaml);
        if (s->doc && s->doc[0]) wrap(&b, s->doc, 8, 100);
    }
    return flush_help(f, &b);
}

lit_status lit_registry_print_kind_help(FILE *f, lit_registry_kind kind) {
    LIT_ASSERT(f != NULL, "lit_registry_print_kind_help: pass a file");
    LIT_ASSERT((int)kind >= 0 && kind < LIT_REG_KIND_COUNT, "lit_registry_print_kind_help: kind %d", (int)kind);
    lit__buf b = {0};
    const reg_kind *k = &g_kinds[kind];
    lit__buf_printf(&b, "%s classes (class_path: the name or an alias):\n", lit_registry_kind_name(kind));
    if (k->n == 0) lit__buf_puts(&b, "  (none registered)\n");
    int w = 0;
    for (int i = 0; i < k->n; i++) {
        int l = (int)strlen(k->items[i]->c.name);
        if (l > w) w = l;
    }
    for (int i = 0; i < k->n; i++) {
        const lit_registry_class *c = &k->items[i]->c;
        /* The first sentence of the doc: up to ". " or the end. */
        const char *d = c->doc ? c->doc : "";
        const char *stop = strstr(d, ". ");
        int len = stop ? (int)(stop - d + 1) : (int)strlen(d);
        lit__buf_printf(&b, "  %-*s  %.*s\n", w, c->name, len, d);
        if (c->aliases[0]) {
            lit__buf_printf(&b, "  %-*s  aliases: %s", w, "", c->aliases[0]);
            for (int j = 1; j < LIT_REGISTRY_MAX_ALIASES && c->aliases[j]; j++)
                lit__buf_printf(&b, ", %s", c->aliases[j]);
            lit__buf_puts(&b, "\n");
        }
    }
    return flush_help(f, &b);
}
