/*
 * src/io/config-edit.c — changing a config tree: merging configs (several
 * --config files), dotted overrides (--trainer.max_epochs=3), setting
 * values with an origin (the environment), removing keys.
 *
 * Merging follows jsonargparse: maps merge key by key, anything else
 * replaces. An override is validated along its whole path before anything
 * is changed, so a failing one leaves the config as it was.
 */
#include <stdlib.h>
#include <string.h>

#include "core/str-impl.h"
#include "io/config-impl.h"

/* Move src's entries into dst (both maps); src is consumed. */
static lit_status merge_move(lit_config_node *dst, lit_config_node *src) {
    lit_status st = LIT_OK;
    for (int i = 0; i < src->n; i++) {
        lit__config_entry *e = &src->entries[i];
        lit_config_node *v = e->value;
        e->value = NULL;
        if (st < 0) {
            lit__config_node_free(v);
            continue;
        }
        int j = lit__config_map_index(dst, e->key);
        if (j < 0) {
            st = lit__config_map_append(dst, e->key, e->file, e->line, e->col, v);
            if (st < 0) lit__config_node_free(v);
        } else if (dst->entries[j].value->type == LIT_CONFIG_MAP && v->type == LIT_CONFIG_MAP) {
            st = merge_move(dst->entries[j].value, v);
        } else {
            /* The later source defines the key: it takes the key's position too. */
            lit__config_node_free(dst->entries[j].value);
            dst->entries[j].value = v;
            dst->entries[j].file = e->file;
            dst->entries[j].line = e->line;
            dst->entries[j].col = e->col;
            v->parent = dst;
        }
    }
    for (int i = 0; i < src->n; i++) free(src->entries[i].key);
    src->n = 0;
    lit__config_node_free(src);
    return st;
}

lit_status lit_config_merge(lit_config *dst, const lit_config *src) {
    lit_config_node *copy;
    LIT_TRY(lit__config_node_copy(dst, src->root, 0, NULL, &copy));
    return merge_move(dst->root, copy);
}

/* ---------------------------------------------------------------- paths */

#define MAX_SEGS (LIT_CONFIG_MAX_DEPTH + 1)

typedef struct {
    char *buf; /* owned copy of the path, NUL between segments */
    char *seg[MAX_SEGS];
    int n;
} path_t;

static lit_status split_path(const char *path, path_t *p) {
    memset(p, 0, sizeof *p);
    p->buf = strdup(path);
    if (!p->buf) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    char *s = p->buf;
    for (;;) {
        if (p->n == MAX_SEGS) {
            free(p->buf);
            return lit_set_error(LIT_ERR_CONFIG, "config path '%s': nesting deeper than %d levels", path,
                                 LIT_CONFIG_MAX_DEPTH);
        }
        char *dot = strchr(s, '.');
        if (dot) *dot = 0;
        if (!*s) {
            free(p->buf);
            return lit_set_error(LIT_ERR_CONFIG, "config path '%s': empty key (two dots, or a dot at an end)", path);
        }
        p->seg[p->n++] = s;
        if (!dot) break;
        s = dot + 1;
    }
    return LIT_OK;
}

static int index_of(const char *seg, long *out) {
    if (!*seg || strlen(seg) > 9) return 0;
    for (const char *c = seg; *c; c++)
        if (*c < '0' || *c > '9') return 0;
    *out = strtol(seg, NULL, 10);
    return 1;
}

/* Check that the path can be walked (and created) from root: existing
 * nodes on the way are maps, nulls (replaced by maps) or lists indexed in
 * range (== size appends). The last segment may point anywhere. */
static lit_status check_path(lit_config_node *root, const path_t *p, const char *path) {
    lit_config_node *cur = root;
    for (int k = 0; k < p->n && cur; k++) {
        if (cur->type == LIT_CONFIG_MAP) {
            int i = lit__config_map_index(cur, p->seg[k]);
            cur = i < 0 ? NULL : cur->entries[i].value;
        } else if (cur->type == LIT_CONFIG_LIST) {
            long i;
            if (!index_of(p->seg[k], &i))
                return lit_config_error(cur, "cannot set '%s': '%s' is not an index into the list here", path, p->seg[k]);
            if (i > cur->n)
                return lit_config_error(cur, "cannot set '%s': index %ld is out of range (the list has %d items)", path,
                                        i, cur->n);
            cur = i < cur->n ? cur->items[i] : NULL;
        } else if (cur->type == LIT_CONFIG_NULL) {
            cur = NULL; /* becomes a map */
        } else {
            char where[256];
            lit_config_node_path(cur, where, sizeof where);
            return lit_config_error(cur, "cannot set '%s': %s is %s, not a mapping", path, where,
                                    lit_config_type_name(cur->type));
        }
    }
    return LIT_OK;
}

static lit_config_node *empty_map_like(const lit_config_node *v) {
    return lit__config_node_new(LIT_CONFIG_MAP, v->file, v->line, v->col, v->origin);
}

/* Put v (consumed) at the path's end under parent, whose type is map or
 * list (checked). append: v is added to (or extends) a list there. */
static lit_status place(lit_config_node *parent, const char *seg, lit_config_node *v, int append) {
    lit_config_node **slot = NULL;
    int ki = -1;
    if (parent->type == LIT_CONFIG_MAP) {
        ki = lit__config_map_index(parent, seg);
        if (ki >= 0) slot = &parent->entries[ki].value;
    } else {
        long i = 0;
        index_of(seg, &i);
        if (i < parent->n) slot = &parent->items[i];
    }
    if (append) {
        lit_config_node *list = slot ? *slot : NULL;
        if (list && list->type != LIT_CONFIG_LIST && list->type != LIT_CONFIG_NULL) {
            lit_config_type t = list->type;
            lit__config_node_free(v);
            return lit_config_error(list, "cannot append ('+='): the value there is %s, not a list",
                                    lit_config_type_name(t));
        }
        lit_config_node *nl = lit__config_node_new(LIT_CONFIG_LIST, v->file, v->line, v->col, v->origin);
        if (!nl) {
            lit__config_node_free(v);
            return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
        }
        /* Build the new list from the old items and v (or v's items). */
        lit_status st = LIT_OK;
        if (list && list->type == LIT_CONFIG_LIST) {
            for (int i = 0; i < list->n && st == LIT_OK; i++) {
                st = lit__config_list_append(nl, list->items[i]);
                if (st == LIT_OK) list->items[i] = NULL;
            }
        }
        if (v->type == LIT_CONFIG_LIST) {
            for (int i = 0; i < v->n && st == LIT_OK; i++) {
                st = lit__config_list_append(nl, v->items[i]);
                if (st == LIT_OK) v->items[i] = NULL;
            }
            if (st == LIT_OK) {
                v->n = 0;
                lit__config_node_free(v);
                v = NULL;
            }
        } else if (st == LIT_OK) {
            st = lit__config_list_append(nl, v);
            if (st == LIT_OK) v = NULL;
        }
        if (st < 0) {
            /* Put moved items back so nothing is lost or freed twice. */
            if (list && list->type == LIT_CONFIG_LIST)
                for (int i = 0; i < list->n && i < nl->n; i++)
                    if (!list->items[i]) list->items[i] = nl->items[i], nl->items[i]->parent = list;
            nl->n = 0;
            lit__config_node_free(nl);
            lit__config_node_free(v);
            return st;
        }
        if (list) {
            /* Items were moved out; keep the old list's position for the new one. */
            nl->file = list->file;
            nl->line = list->line;
            nl->col = list->col;
            list->n = 0;
        }
        v = nl;
    } else if (slot && (*slot)->type == LIT_CONFIG_MAP && v->type == LIT_CONFIG_MAP) {
        return merge_move(*slot, v);
    }
    if (slot) {
        lit__config_node_free(*slot);
        *slot = v;
        v->parent = parent;
        if (ki >= 0) {
            parent->entries[ki].file = v->file;
            parent->entries[ki].line = v->line;
            parent->entries[ki].col = v->col;
        }
        return LIT_OK;
    }
    lit_status st = parent->type == LIT_CONFIG_MAP ? lit__config_map_append(parent, seg, v->file, v->line, v->col, v)
                                                   : lit__config_list_append(parent, v);
    if (st < 0) lit__config_node_free(v);
    return st;
}

/* UTF-8 without overlongs, surrogates or code points past U+10FFFF (what
 * libyaml's reader and emitter accept). */
static int valid_utf8(const char *s) {
    size_t n = strlen(s);
    return lit__utf8_invalid_at(s, n) == n;
}

lit_status lit__config_set(lit_config *cfg, const char *path, const char *value, const char *source,
                          lit_config_origin origin, int col_offset, int append, int verbatim) {
    path_t p;
    LIT_TRY(split_path(path, &p));
    lit_status st = check_path(cfg->root, &p, path);
    lit_config_node *v = NULL;
    if (st == LIT_OK) {
        st = verbatim ? LIT_ERR_CONFIG : lit__config_parse(cfg, value, strlen(value), source, origin, col_offset, 1, &v);
        if (st == LIT_ERR_CONFIG && !valid_utf8(value)) {
            st = lit_set_error(LIT_ERR_CONFIG, "%s:1:%d: the value for '%s' is not valid UTF-8", source,
                               col_offset + 1, path);
        } else if (st == LIT_ERR_CONFIG) {
            /* Not YAML ("[1,", "*x"): the text itself, as jsonargparse keeps it. */
            const char *file = lit__config_intern(cfg, source);
            v = file ? lit__config_node_new(LIT_CONFIG_STRING, file, 1, col_offset + 1, origin) : NULL;
            st = v && (v->text = strdup(value)) ? LIT_OK : lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
        }
    }
    if (st == LIT_OK && p.n + lit__config_height(v) > LIT_CONFIG_MAX_DEPTH)
        st = lit_config_error(v, "cannot set '%s': nesting deeper than %d levels", path, LIT_CONFIG_MAX_DEPTH);
    /* Walk, creating maps; check_path made sure nothing fails but memory. */
    lit_config_node *cur = cfg->root;
    for (int k = 0; st == LIT_OK && k + 1 < p.n; k++) {
        lit_config_node *child = NULL;
        if (cur->type == LIT_CONFIG_MAP) {
            int i = lit__config_map_index(cur, p.seg[k]);
            child = i < 0 ? NULL : cur->entries[i].value;
        } else {
            long i = 0;
            index_of(p.seg[k], &i);
            child = i < cur->n ? cur->items[i] : NULL;
        }
        if (child && child->type == LIT_CONFIG_NULL) {
            child->type = LIT_CONFIG_MAP;
            free(child->text);
            child->text = NULL;
        }
        if (!child) {
            child = empty_map_like(v);
            if (!child) {
                st = lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
                break;
            }
            st = cur->type == LIT_CONFIG_MAP ? lit__config_map_append(cur, p.seg[k], v->file, v->line, v->col, child)
                                             : lit__config_list_append(cur, child);
            if (st < 0) {
                lit__config_node_free(child);
                break;
            }
        }
        cur = child;
    }
    if (st == LIT_OK) {
        st = place(cur, p.seg[p.n - 1], v, append);
        v = NULL;
    }
    lit__config_node_free(v);
    free(p.buf);
    return st;
}

lit_status lit_config_set_value(lit_config *cfg, const char *path, const char *value, const char *source,
                                lit_config_origin origin) {
    if (!source) source = origin == LIT_CONFIG_FROM_ENV ? "<env>" : "<command line>";
    return lit__config_set(cfg, path, value, source, origin, 0, 0, 0);
}

lit_status lit_config_set_override(lit_config *cfg, const char *arg) {
    const char *a = arg;
    if (a[0] == '-' && a[1] == '-') a += 2;
    const char *eq = strchr(a, '=');
    if (!eq) return lit_set_error(LIT_ERR_CONFIG, "override '%s': expected key.path=value", arg);
    int append = eq > a && eq[-1] == '+';
    size_t plen = (size_t)(eq - a) - (size_t)append;
    char *path = malloc(plen + 1);
    if (!path) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    memcpy(path, a, plen);
    path[plen] = 0;
    lit_status st = lit__config_set(cfg, path, eq + 1, "<command line>", LIT_CONFIG_FROM_COMMAND_LINE,
                                    (int)(eq + 1 - arg), append, 0);
    free(path);
    return st;
}

lit_status lit_config_remove(lit_config *cfg, const char *path) {
    lit_config_node *n = lit__config_lookup(cfg->root, path);
    if (!n || !n->parent) return lit_set_error(LIT_ERR_NOT_FOUND, "config: no value at '%s' to remove", path);
    lit_config_node *par = n->parent;
    for (int i = 0; i < par->n; i++) {
        if (par->type == LIT_CONFIG_MAP && par->entries[i].value == n) {
            free(par->entries[i].key);
            memmove(&par->entries[i], &par->entries[i + 1], (size_t)(par->n - i - 1) * sizeof *par->entries);
            par->n--;
            lit__config_map_changed(par); /* the entries moved */
            break;
        }
        if (par->type == LIT_CONFIG_LIST && par->items[i] == n) {
            memmove(&par->items[i], &par->items[i + 1], (size_t)(par->n - i - 1) * sizeof *par->items);
            par->n--;
            break;
        }
    }
    lit__config_node_free(n);
    return LIT_OK;
}
