/*
 * src/io/config.c — the config tree: nodes, file-name interning, lookups by
 * dotted path, accessors, typed getters, positioned errors and key
 * suggestions. Parsing, dumping, editing, interpolation and the Trainer
 * binding live in the other config-*.c files.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/config-impl.h"

const char *lit_config_type_name(lit_config_type t) {
    switch (t) {
    case LIT_CONFIG_NULL: return "null";
    case LIT_CONFIG_BOOL: return "a boolean";
    case LIT_CONFIG_INT: return "an integer";
    case LIT_CONFIG_FLOAT: return "a float";
    case LIT_CONFIG_STRING: return "a string";
    case LIT_CONFIG_LIST: return "a list";
    case LIT_CONFIG_MAP: return "a mapping";
    }
    return "?";
}

/* ---------------------------------------------------------------- nodes */

const char *lit__config_intern(lit_config *cfg, const char *name) {
    /* Few distinct names (files, "<command line>", one per env variable):
     * a linear scan is enough. */
    for (int i = 0; i < cfg->n_files; i++)
        if (!strcmp(cfg->files[i], name)) return cfg->files[i];
    if (cfg->n_files == cfg->cap_files) {
        int cap = cfg->cap_files ? 2 * cfg->cap_files : 8;
        char **f = realloc(cfg->files, (size_t)cap * sizeof *f);
        if (!f) return NULL;
        cfg->files = f;
        cfg->cap_files = cap;
    }
    char *s = strdup(name);
    if (!s) return NULL;
    cfg->files[cfg->n_files++] = s;
    return s;
}

lit_config_node *lit__config_node_new(lit_config_type type, const char *file, int line, int col,
                                      lit_config_origin origin) {
    lit_config_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->type = type;
    n->file = file;
    n->line = line;
    n->col = col;
    n->origin = origin;
    return n;
}

/* ---------------------------------------------------------------- budget */

lit_status lit__config_budget_take(lit__config_budget *b, long nodes, size_t bytes) {
    b->nodes -= nodes;
    if (b->nodes < 0)
        return lit_set_error(LIT_ERR_CONFIG, "more than %d nodes (LIT_CONFIG_MAX_NODES)", LIT_CONFIG_MAX_NODES);
    b->bytes -= bytes > (size_t)LIT_CONFIG_MAX_BYTES ? (long long)LIT_CONFIG_MAX_BYTES + 1 : (long long)bytes;
    if (b->bytes < 0)
        return lit_set_error(LIT_ERR_CONFIG, "more than %d MiB of text (LIT_CONFIG_MAX_BYTES)",
                             LIT_CONFIG_MAX_BYTES >> 20);
    return LIT_OK;
}

lit_status lit__config_prefix_error(lit_status st, const char *fmt, ...) {
    char why[1024], prefix[1024];
    snprintf(why, sizeof why, "%s", lit_last_error());
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    return lit_set_error(st, "%s%s", prefix, why);
}

/* ---------------------------------------------------------------- map index */

#define INDEX_MIN_ENTRIES 16 /* below this a linear scan is as fast */

static uint32_t key_hash(const char *k) {
    uint32_t h = 2166136261u; /* FNV-1a */
    for (; *k; k++) h = (h ^ (unsigned char)*k) * 16777619u;
    return h;
}

static void index_put(lit_config_node *map, int i) {
    uint32_t mask = (uint32_t)map->index_cap - 1;
    for (uint32_t s = key_hash(map->entries[i].key) & mask;; s = (s + 1) & mask) {
        if (!map->index[s]) {
            map->index[s] = i + 1;
            return;
        }
    }
}

/* (Re)build the index with room for twice the entries. Out of memory only
 * leaves the map without an index: lookups scan, and stay correct. */
static void index_build(lit_config_node *map) {
    int cap = 64;
    while (cap < 2 * map->n + 2) cap *= 2;
    int *slots = calloc((size_t)cap, sizeof *slots);
    free(map->index);
    map->index = slots;
    map->index_cap = slots ? cap : 0;
    for (int i = 0; slots && i < map->n; i++) index_put(map, i);
}

void lit__config_map_changed(lit_config_node *map) {
    free(map->index);
    map->index = NULL;
    map->index_cap = 0;
}

static void free_children(lit_config_node *n) {
    for (int i = 0; i < n->n; i++) {
        if (n->type == LIT_CONFIG_MAP) {
            free(n->entries[i].key);
            lit__config_node_free(n->entries[i].value);
        } else {
            lit__config_node_free(n->items[i]);
        }
    }
    free(n->entries);
    free(n->items);
    n->entries = NULL;
    n->items = NULL;
    n->n = n->cap = 0;
    lit__config_map_changed(n);
}

void lit__config_node_free(lit_config_node *n) {
    if (!n) return;
    free_children(n);
    free(n->text);
    free(n->tag);
    free(n);
}

static lit_status grow(lit_config_node *n) {
    if (n->n < n->cap) return LIT_OK;
    int cap = n->cap ? 2 * n->cap : 4;
    if (n->type == LIT_CONFIG_MAP) {
        lit__config_entry *e = realloc(n->entries, (size_t)cap * sizeof *e);
        if (!e) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
        n->entries = e;
    } else {
        lit_config_node **it = realloc(n->items, (size_t)cap * sizeof *it);
        if (!it) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
        n->items = it;
    }
    n->cap = cap;
    return LIT_OK;
}

lit_status lit__config_map_append(lit_config_node *map, const char *key, const char *file, int line, int col,
                                  lit_config_node *value) {
    LIT_TRY(grow(map));
    char *k = strdup(key);
    if (!k) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    map->entries[map->n++] = (lit__config_entry){ k, file, line, col, value };
    value->parent = map;
    if (map->index && 2 * map->n + 2 <= map->index_cap) index_put(map, map->n - 1);
    else if (map->n >= INDEX_MIN_ENTRIES) index_build(map);
    return LIT_OK;
}

lit_status lit__config_list_append(lit_config_node *list, lit_config_node *item) {
    LIT_TRY(grow(list));
    list->items[list->n++] = item;
    item->parent = list;
    return LIT_OK;
}

int lit__config_map_index(const lit_config_node *map, const char *key) {
    if (!map || map->type != LIT_CONFIG_MAP) return -1;
    if (map->index) {
        uint32_t mask = (uint32_t)map->index_cap - 1;
        for (uint32_t s = key_hash(key) & mask; map->index[s]; s = (s + 1) & mask)
            if (!strcmp(map->entries[map->index[s] - 1].key, key)) return map->index[s] - 1;
        return -1;
    }
    for (int i = 0; i < map->n; i++)
        if (!strcmp(map->entries[i].key, key)) return i;
    return -1;
}

int lit__config_height(const lit_config_node *n) {
    int h = 0;
    for (int i = 0; i < n->n; i++) {
        const lit_config_node *c = n->type == LIT_CONFIG_MAP ? n->entries[i].value : n->items[i];
        int hc = 1 + lit__config_height(c);
        if (hc > h) h = hc;
    }
    return h;
}

/* Text a node holds (its own text and tag, and its map keys). */
static size_t text_bytes(const lit_config_node *n) {
    size_t b = (n->text ? strlen(n->text) : 0) + (n->tag ? strlen(n->tag) : 0);
    for (int i = 0; n->type == LIT_CONFIG_MAP && i < n->n; i++) b += strlen(n->entries[i].key);
    return b;
}

/* Nodes a node costs as the parser counts them: itself, and a map's keys
 * (scalar nodes in the YAML text). */
static long node_cost(const lit_config_node *n) { return 1 + (n->type == LIT_CONFIG_MAP ? n->n : 0); }

static void tree_cost(const lit_config_node *n, lit__config_budget *b) {
    b->nodes -= node_cost(n);
    b->bytes -= (long long)text_bytes(n);
    for (int i = 0; i < n->n && (n->type == LIT_CONFIG_MAP || n->type == LIT_CONFIG_LIST); i++)
        tree_cost(n->type == LIT_CONFIG_MAP ? n->entries[i].value : n->items[i], b);
}

lit__config_budget lit__config_budget_left(const lit_config_node *root) {
    lit__config_budget b = lit__config_budget_full();
    if (root) tree_cost(root, &b);
    return b;
}

static lit_status copy_rec(lit_config *cfg, const lit_config_node *src, lit__config_budget *budget,
                           lit_config_node **out) {
    *out = NULL;
    if (budget) LIT_TRY(lit__config_budget_take(budget, node_cost(src), text_bytes(src)));
    const char *file = lit__config_intern(cfg, src->file);
    lit_config_node *n = file ? lit__config_node_new(src->type, file, src->line, src->col, src->origin) : NULL;
    if (!n) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    n->literal = src->literal;
    if ((src->text && !(n->text = strdup(src->text))) || (src->tag && !(n->tag = strdup(src->tag)))) {
        lit__config_node_free(n);
        return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    }
    for (int i = 0; i < src->n; i++) {
        const lit_config_node *c = src->type == LIT_CONFIG_MAP ? src->entries[i].value : src->items[i];
        lit_config_node *cc;
        lit_status st = copy_rec(cfg, c, budget, &cc);
        if (st == LIT_OK) {
            if (src->type == LIT_CONFIG_MAP) {
                const lit__config_entry *e = &src->entries[i];
                const char *kf = lit__config_intern(cfg, e->file);
                st = kf ? lit__config_map_append(n, e->key, kf, e->line, e->col, cc)
                        : lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
            } else {
                st = lit__config_list_append(n, cc);
            }
            if (st < 0) lit__config_node_free(cc);
        }
        if (st < 0) {
            lit__config_node_free(n);
            return st;
        }
    }
    *out = n;
    return LIT_OK;
}

lit_status lit__config_node_copy(lit_config *cfg, const lit_config_node *src, int depth, lit__config_budget *budget,
                                 lit_config_node **out) {
    *out = NULL;
    if (depth + lit__config_height(src) > LIT_CONFIG_MAX_DEPTH)
        return lit_set_error(LIT_ERR_CONFIG, "%s:%d:%d: nesting deeper than %d levels", src->file, src->line, src->col,
                             LIT_CONFIG_MAX_DEPTH);
    return copy_rec(cfg, src, budget, out);
}

void lit__config_node_take(lit_config_node *to, lit_config_node *from) {
    free_children(to);
    free(to->text);
    free(to->tag);
    to->type = from->type;
    to->text = from->text;
    to->tag = from->tag;
    to->n = from->n;
    to->cap = from->cap;
    to->entries = from->entries;
    to->items = from->items;
    to->index = from->index; /* the same entries in the same order */
    to->index_cap = from->index_cap;
    to->literal = from->literal;
    for (int i = 0; i < to->n; i++) {
        if (to->type == LIT_CONFIG_MAP) to->entries[i].value->parent = to;
        else to->items[i]->parent = to;
    }
    free(from);
}

int lit__config_node_depth(const lit_config_node *n) {
    int d = 0;
    while (n->parent) {
        n = n->parent;
        d++;
    }
    return d;
}

/* ---------------------------------------------------------------- scalars */

static int all_digits(const char *s, const char *set) {
    if (!*s) return 0;
    for (; *s; s++)
        if (!strchr(set, *s)) return 0;
    return 1;
}

static int is_float_text(const char *s) {
    static const char *const special[] = { ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN" };
    const char *t = (*s == '+' || *s == '-') ? s + 1 : s;
    for (int i = 0; i < 6; i++)
        if (!strcmp(s, special[i]) || (i < 3 && !strcmp(t, special[i]))) return 1;
    /* [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )? */
    int digits = 0;
    while (*t >= '0' && *t <= '9') t++, digits++;
    if (*t == '.') {
        t++;
        while (*t >= '0' && *t <= '9') t++, digits++;
    }
    if (!digits) return 0;
    if (*t == 'e' || *t == 'E') {
        t++;
        if (*t == '+' || *t == '-') t++;
        if (!(*t >= '0' && *t <= '9')) return 0;
        while (*t >= '0' && *t <= '9') t++;
    }
    return *t == 0;
}

lit_config_type lit__config_plain_type(const char *s) {
    static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
    static const char *const bools[] = { "true", "True", "TRUE", "false", "False", "FALSE" };
    for (int i = 0; i < 5; i++)
        if (!strcmp(s, nulls[i])) return LIT_CONFIG_NULL;
    for (int i = 0; i < 6; i++)
        if (!strcmp(s, bools[i])) return LIT_CONFIG_BOOL;
    const char *t = (*s == '+' || *s == '-') ? s + 1 : s;
    if (all_digits(t, "0123456789")) return LIT_CONFIG_INT;
    if (s[0] == '0' && s[1] == 'o' && all_digits(s + 2, "01234567")) return LIT_CONFIG_INT;
    if (s[0] == '0' && s[1] == 'x' && all_digits(s + 2, "0123456789abcdefABCDEF")) return LIT_CONFIG_INT;
    if (is_float_text(s)) return LIT_CONFIG_FLOAT;
    return LIT_CONFIG_STRING;
}

/* ---------------------------------------------------------------- config */

lit_status lit_config_new(lit_config **out) {
    *out = NULL;
    lit_config *cfg = calloc(1, sizeof *cfg);
    if (!cfg) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    const char *f = lit__config_intern(cfg, "<empty>");
    cfg->root = f ? lit__config_node_new(LIT_CONFIG_MAP, f, 1, 1, LIT_CONFIG_FROM_FILE) : NULL;
    if (!cfg->root) {
        lit_config_free(cfg);
        return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    }
    *out = cfg;
    return LIT_OK;
}

void lit_config_free(lit_config *cfg) {
    if (!cfg) return;
    lit__config_node_free(cfg->root);
    for (int i = 0; i < cfg->n_files; i++) free(cfg->files[i]);
    free(cfg->files);
    free(cfg);
}

const lit_config_node *lit_config_root(const lit_config *cfg) { return cfg->root; }

lit_config_node *lit__config_lookup(lit_config_node *n, const char *path) {
    const char *p = path;
    while (n && *p) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        char seg[256];
        if (len >= sizeof seg) return NULL;
        memcpy(seg, p, len);
        seg[len] = 0;
        if (n->type == LIT_CONFIG_MAP) {
            int i = lit__config_map_index(n, seg);
            n = i < 0 ? NULL : n->entries[i].value;
        } else if (n->type == LIT_CONFIG_LIST && all_digits(seg, "0123456789") && len < 10) {
            long i = strtol(seg, NULL, 10);
            n = i < n->n ? n->items[i] : NULL;
        } else {
            return NULL;
        }
        p = dot ? dot + 1 : p + len;
        if (dot && !*p) return NULL; /* trailing dot */
    }
    return n;
}

const lit_config_node *lit_config_get(const lit_config *cfg, const char *path) {
    return lit__config_lookup(cfg->root, path);
}

const lit_config_node *lit_config_node_get(const lit_config_node *n, const char *path) {
    return n ? lit__config_lookup((lit_config_node *)n, path) : NULL;
}

lit_config_type lit_config_node_type(const lit_config_node *n) { return n ? n->type : LIT_CONFIG_NULL; }
int lit_config_is_null(const lit_config_node *n) { return !n || n->type == LIT_CONFIG_NULL; }
const char *lit_config_scalar(const lit_config_node *n) {
    return n && n->type != LIT_CONFIG_MAP && n->type != LIT_CONFIG_LIST ? (n->text ? n->text : "") : NULL;
}
const char *lit_config_node_tag(const lit_config_node *n) { return n ? n->tag : NULL; }
lit_config_pos lit_config_node_pos(const lit_config_node *n) { return (lit_config_pos){ n->file, n->line, n->col }; }
lit_config_origin lit_config_node_origin(const lit_config_node *n) { return n->origin; }
const lit_config_node *lit_config_node_parent(const lit_config_node *n) { return n ? n->parent : NULL; }

size_t lit_config_node_path(const lit_config_node *n, char *buf, size_t size) {
    /* Segments are collected leaf first, then written in reverse. */
    const lit_config_node *chain[LIT_CONFIG_MAX_DEPTH + 2];
    int d = 0;
    for (const lit_config_node *c = n; c && c->parent && d < LIT_CONFIG_MAX_DEPTH + 2; c = c->parent) chain[d++] = c;
    size_t len = 0;
    if (size) buf[0] = 0;
    for (int k = d - 1; k >= 0; k--) {
        const lit_config_node *c = chain[k], *par = c->parent;
        char idx[24];
        const char *seg = idx;
        if (par->type == LIT_CONFIG_MAP) {
            seg = "?";
            for (int i = 0; i < par->n; i++)
                if (par->entries[i].value == c) seg = par->entries[i].key;
        } else {
            int at = -1;
            for (int i = 0; i < par->n; i++)
                if (par->items[i] == c) at = i;
            snprintf(idx, sizeof idx, "%d", at);
        }
        int w = snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0, "%s%s",
                         k == d - 1 ? "" : ".", seg);
        len += (size_t)(w > 0 ? w : 0);
    }
    return len;
}

int lit_config_map_size(const lit_config_node *m) { return m && m->type == LIT_CONFIG_MAP ? m->n : 0; }
int lit_config_list_size(const lit_config_node *l) { return l && l->type == LIT_CONFIG_LIST ? l->n : 0; }

const char *lit_config_map_key(const lit_config_node *m, int i) {
    LIT_ASSERT(i >= 0 && i < lit_config_map_size(m), "config: map key %d of %d", i, lit_config_map_size(m));
    return m->entries[i].key;
}
const lit_config_node *lit_config_map_value(const lit_config_node *m, int i) {
    LIT_ASSERT(i >= 0 && i < lit_config_map_size(m), "config: map value %d of %d", i, lit_config_map_size(m));
    return m->entries[i].value;
}
lit_config_pos lit_config_map_key_pos(const lit_config_node *m, int i) {
    LIT_ASSERT(i >= 0 && i < lit_config_map_size(m), "config: map key %d of %d", i, lit_config_map_size(m));
    return (lit_config_pos){ m->entries[i].file, m->entries[i].line, m->entries[i].col };
}
const lit_config_node *lit_config_map_find(const lit_config_node *m, const char *key) {
    int i = lit__config_map_index(m, key);
    return i < 0 ? NULL : m->entries[i].value;
}
const lit_config_node *lit_config_list_item(const lit_config_node *l, int i) {
    LIT_ASSERT(i >= 0 && i < lit_config_list_size(l), "config: list item %d of %d", i, lit_config_list_size(l));
    return l->items[i];
}

int lit_config_node_equal(const lit_config_node *a, const lit_config_node *b) {
    if (!a || !b) return a == b;
    if (a->type != b->type || a->n != b->n) return 0;
    if (a->type == LIT_CONFIG_NULL) return 1; /* "~", "null" and "" are one value */
    if (a->type != LIT_CONFIG_MAP && a->type != LIT_CONFIG_LIST) return !strcmp(a->text, b->text);
    for (int i = 0; i < a->n; i++) {
        if (a->type == LIT_CONFIG_MAP) {
            if (strcmp(a->entries[i].key, b->entries[i].key)) return 0;
            if (!lit_config_node_equal(a->entries[i].value, b->entries[i].value)) return 0;
        } else if (!lit_config_node_equal(a->items[i], b->items[i])) {
            return 0;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------- errors */

static lit_status verror(lit_status st, const char *file, int line, int col, const char *fmt, va_list ap) {
    char msg[900];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!file) return lit_set_error(st, "%s", msg);
    return lit_set_error(st, "%s:%d:%d: %s", file, line, col, msg);
}

lit_status lit_config_error(const lit_config_node *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    lit_status st = verror(LIT_ERR_CONFIG, n ? n->file : NULL, n ? n->line : 0, n ? n->col : 0, fmt, ap);
    va_end(ap);
    return st;
}

lit_status lit_config_error_status(lit_status status, const lit_config_node *n, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    lit_status st = verror(status, n ? n->file : NULL, n ? n->line : 0, n ? n->col : 0, fmt, ap);
    va_end(ap);
    return st;
}

lit_status lit_config_key_error(const lit_config_node *map, int i, const char *fmt, ...) {
    lit_config_pos p = lit_config_map_key_pos(map, i);
    va_list ap;
    va_start(ap, fmt);
    lit_status st = verror(LIT_ERR_CONFIG, p.file, p.line, p.col, fmt, ap);
    va_end(ap);
    return st;
}

/* Optimal string alignment distance, capped: the answer is only compared
 * with small thresholds, and keys are short. */
static int osa_distance(const char *a, const char *b) {
    enum { MAXL = 64 };
    size_t la = strlen(a), lb = strlen(b);
    if (la > MAXL || lb > MAXL) return 1000;
    int d[MAXL + 1][MAXL + 1];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int cost = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *lit_config_suggest(const char *key, const char *const *valid, int n) {
    int len = (int)strlen(key);
    int limit = len / 3 > 2 ? len / 3 : 2;
    const char *best = NULL;
    int best_d = limit + 1;
    for (int i = 0; i < n; i++) {
        int d = osa_distance(key, valid[i]);
        if (d < best_d) {
            best_d = d;
            best = valid[i];
        }
    }
    return best;
}

lit_status lit_config_check_keys(const lit_config_node *map, const char *const *valid, int n, const char *where) {
    if (!map || map->type != LIT_CONFIG_MAP) return LIT_OK;
    char path[256];
    if (!where) {
        lit_config_node_path(map, path, sizeof path);
        where = path[0] ? path : "the config";
    }
    for (int i = 0; i < map->n; i++) {
        const char *key = map->entries[i].key;
        int ok = 0;
        for (int k = 0; k < n && !ok; k++) ok = !strcmp(key, valid[k]);
        if (ok) continue;
        const char *s = lit_config_suggest(key, valid, n);
        if (s) return lit_config_key_error(map, i, "unknown key '%s' in %s; did you mean '%s'?", key, where, s);
        char list[600];
        size_t L = 0;
        list[0] = 0;
        for (int k = 0; k < n && L + 8 < sizeof list; k++) {
            int w = snprintf(list + L, sizeof list - L, "%s%s", k ? ", " : "", valid[k]);
            if (w < 0 || (size_t)w >= sizeof list - L) {
                snprintf(list + L, sizeof list - L, ", ...");
                break;
            }
            L += (size_t)w;
        }
        return lit_config_key_error(map, i, "unknown key '%s' in %s; valid keys: %s", key, where, list);
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- typed getters */

static lit_status expected(const lit_config_node *n, const char *what) {
    char path[256];
    lit_config_node_path(n, path, sizeof path);
    const char *p = path[0] ? path : "<root>";
    switch (n->type) {
    case LIT_CONFIG_LIST:
    case LIT_CONFIG_MAP:
        return lit_config_error(n, "%s: expected %s, got %s", p, what, lit_config_type_name(n->type));
    case LIT_CONFIG_NULL: return lit_config_error(n, "%s: expected %s, got null", p, what);
    case LIT_CONFIG_STRING: return lit_config_error(n, "%s: expected %s, got \"%s\"", p, what, n->text);
    default: return lit_config_error(n, "%s: expected %s, got %s", p, what, n->text);
    }
}

static lit_status not_found(void) { return lit_set_error(LIT_ERR_NOT_FOUND, "config: no such value"); }

lit_status lit_config_get_int(const lit_config_node *n, int64_t *out) {
    if (!n) return not_found();
    if (n->type != LIT_CONFIG_INT) return expected(n, "an integer");
    const char *s = n->text;
    int neg = *s == '-';
    if (*s == '+' || *s == '-') s++;
    int base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'o')) {
        base = s[1] == 'x' ? 16 : 8;
        s += 2;
    }
    errno = 0;
    char *end;
    unsigned long long u = strtoull(s, &end, base);
    if (errno || *end || u > (unsigned long long)INT64_MAX + (unsigned long long)neg) {
        char path[256];
        lit_config_node_path(n, path, sizeof path);
        return lit_config_error(n, "%s: integer %s is out of range (int64)", path, n->text);
    }
    *out = neg ? (int64_t)(0 - u) : (int64_t)u;
    return LIT_OK;
}

lit_status lit_config_get_double(const lit_config_node *n, double *out) {
    if (!n) return not_found();
    if (n->type == LIT_CONFIG_INT) {
        int64_t v;
        LIT_TRY(lit_config_get_int(n, &v));
        *out = (double)v;
        return LIT_OK;
    }
    if (n->type != LIT_CONFIG_FLOAT) return expected(n, "a number");
    const char *s = n->text, *t = (*s == '+' || *s == '-') ? s + 1 : s;
    if (t[0] == '.' && (t[1] == 'i' || t[1] == 'I')) {
        *out = *s == '-' ? -INFINITY : INFINITY;
    } else if (t[0] == '.' && (t[1] == 'n' || t[1] == 'N')) {
        *out = NAN;
    } else {
        /* strtod may set ERANGE on underflow (1e-400 -> 0) and overflow
         * (1e400 -> inf); YAML gives those the nearest double too. */
        *out = strtod(s, NULL);
    }
    return LIT_OK;
}

lit_status lit_config_get_bool(const lit_config_node *n, int *out) {
    if (!n) return not_found();
    if (n->type != LIT_CONFIG_BOOL) return expected(n, "a boolean (true or false)");
    *out = n->text[0] == 't' || n->text[0] == 'T';
    return LIT_OK;
}

lit_status lit_config_get_string(const lit_config_node *n, const char **out) {
    if (!n) return not_found();
    if (n->type == LIT_CONFIG_NULL || n->type == LIT_CONFIG_MAP || n->type == LIT_CONFIG_LIST)
        return expected(n, "a string");
    *out = n->text;
    return LIT_OK;
}
