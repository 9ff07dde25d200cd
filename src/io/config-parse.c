/*
 * src/io/config-parse.c — YAML text -> config tree, from libyaml's event
 * stream (not its document API: events give every node's position, and let
 * the refusals — duplicate keys, alias cycles, depth, node count, several
 * documents — happen while reading, before anything is built in full).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "io/config-impl.h"

typedef struct {
    char *name;
    lit_config_node *node;
    int done;  /* the anchored node is complete (an alias to it is not a cycle) */
    int owned; /* a key's node: not in the tree, freed with the table */
} anchor;

typedef struct {
    lit_config *cfg;
    yaml_parser_t parser;
    const unsigned char *data;
    size_t len;
    const char *file; /* interned */
    lit_config_origin origin;
    int col_offset;
    lit__config_budget budget; /* nodes and text still allowed, aliases expanded */
    lit_status fail; /* why new_node returned NULL */
    anchor *anchors;
    int n_anchors, cap_anchors;
} pctx;

static int line_of(const yaml_mark_t *m) { return (int)m->line + 1; }
static int col_of(const pctx *c, const yaml_mark_t *m) { return (int)m->column + 1 + (m->line == 0 ? c->col_offset : 0); }

static lit_status at(const pctx *c, const yaml_mark_t *m, const char *fmt, const char *a, const char *b) {
    char msg[600];
    snprintf(msg, sizeof msg, fmt, a, b);
    return lit_set_error(LIT_ERR_CONFIG, "%s:%d:%d: %s", c->file, line_of(m), col_of(c, m), msg);
}

static lit_status yaml_error(pctx *c) {
    yaml_parser_t *p = &c->parser;
    if (p->error == YAML_MEMORY_ERROR) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory parsing YAML", c->file);
    const char *problem = p->problem ? p->problem : "invalid YAML";
    if (p->error == YAML_READER_ERROR) {
        /* Reader errors (bad UTF-8, control characters) carry a byte offset, no mark. */
        size_t off = p->problem_offset < c->len ? p->problem_offset : c->len;
        int line = 1, col = 1;
        for (size_t i = 0; i < off; i++) {
            if (c->data[i] == '\n') line++, col = 1;
            else col++;
        }
        if (line == 1) col += c->col_offset;
        return lit_set_error(LIT_ERR_CONFIG, "%s:%d:%d: %s", c->file, line, col, problem);
    }
    if (p->context)
        return lit_set_error(LIT_ERR_CONFIG, "%s:%d:%d: %s (%s at line %d, column %d)", c->file,
                             line_of(&p->problem_mark), col_of(c, &p->problem_mark), problem, p->context,
                             line_of(&p->context_mark), col_of(c, &p->context_mark));
    return lit_set_error(LIT_ERR_CONFIG, "%s:%d:%d: %s", c->file, line_of(&p->problem_mark),
                         col_of(c, &p->problem_mark), problem);
}

static lit_status next(pctx *c, yaml_event_t *ev) {
    if (!yaml_parser_parse(&c->parser, ev)) return yaml_error(c);
    return LIT_OK;
}

static lit_status add_anchor(pctx *c, const yaml_char_t *name, lit_config_node *n, const yaml_mark_t *m) {
    if (!name) return LIT_OK;
    /* The table is scanned per alias and per anchored node: keep it small. */
    if (c->n_anchors == LIT_CONFIG_MAX_ANCHORS)
        return at(c, m, "more than %s anchors (&name) in one document (LIT_CONFIG_MAX_ANCHORS)%s", "1024", "");
    if (c->n_anchors == c->cap_anchors) {
        int cap = c->cap_anchors ? 2 * c->cap_anchors : 8;
        anchor *a = realloc(c->anchors, (size_t)cap * sizeof *a);
        if (!a) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
        c->anchors = a;
        c->cap_anchors = cap;
    }
    char *s = strdup((const char *)name);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    c->anchors[c->n_anchors++] = (anchor){ s, n, 0, 0 };
    return LIT_OK;
}

static void finish_anchor(pctx *c, const lit_config_node *n) {
    for (int i = c->n_anchors - 1; i >= 0; i--)
        if (c->anchors[i].node == n) c->anchors[i].done = 1;
}

/* The most recent definition wins, as YAML redefines anchors. */
static anchor *find_anchor(pctx *c, const char *name) {
    for (int i = c->n_anchors - 1; i >= 0; i--)
        if (!strcmp(c->anchors[i].name, name)) return &c->anchors[i];
    return NULL;
}

/* A node holding `bytes` of text (its scalar and tag), paid from the budget. */
static lit_config_node *new_node(pctx *c, lit_config_type t, const yaml_mark_t *m, size_t bytes) {
    if (lit__config_budget_take(&c->budget, 1, bytes) < 0) {
        c->fail = lit__config_prefix_error(LIT_ERR_CONFIG, "%s:%d:%d: the document makes ", c->file, line_of(m),
                                           col_of(c, m));
        return NULL;
    }
    lit_config_node *n = lit__config_node_new(t, c->file, line_of(m), col_of(c, m), c->origin);
    if (!n) c->fail = lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    return n;
}

static int tag_is(const char *tag, const char *name) {
    static const char prefix[] = "tag:yaml.org,2002:";
    return !strncmp(tag, prefix, sizeof prefix - 1) && !strcmp(tag + sizeof prefix - 1, name);
}

static lit_status scalar_node(pctx *c, yaml_event_t *ev, lit_config_node **out) {
    const char *text = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(text, 0, len))
        return at(c, &ev->start_mark, "a string contains a NUL character (\\0)%s%s", "", "");
    const char *tag = (const char *)ev->data.scalar.tag;
    lit_config_type t;
    if (tag && strcmp(tag, "!")) {
        lit_config_type plain = lit__config_plain_type(text);
        if (tag_is(tag, "str")) {
            t = LIT_CONFIG_STRING;
        } else if (tag_is(tag, "null") || tag_is(tag, "bool") || tag_is(tag, "int") || tag_is(tag, "float")) {
            t = tag_is(tag, "null") ? LIT_CONFIG_NULL
                : tag_is(tag, "bool") ? LIT_CONFIG_BOOL
                : tag_is(tag, "int")  ? LIT_CONFIG_INT
                                      : LIT_CONFIG_FLOAT;
            /* !!float 3 is 3.0: an integer's text is a valid float. */
            if (plain != t && !(t == LIT_CONFIG_FLOAT && plain == LIT_CONFIG_INT))
                return at(c, &ev->start_mark, "\"%s\" is not valid for the tag %s", text, tag);
        } else {
            t = LIT_CONFIG_STRING; /* an application tag (!foo): kept, the value read as text */
        }
    } else if (!tag && ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
        t = lit__config_plain_type(text);
    } else {
        t = LIT_CONFIG_STRING;
    }
    lit_config_node *n = new_node(c, t, &ev->start_mark, len + (tag ? strlen(tag) : 0));
    if (!n) return c->fail;
    n->text = strdup(text);
    if (!n->text || (tag && !(n->tag = strdup(tag)))) {
        lit__config_node_free(n);
        return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    }
    lit_status st = add_anchor(c, ev->data.scalar.anchor, n, &ev->start_mark);
    if (st < 0) {
        lit__config_node_free(n);
        return st;
    }
    if (ev->data.scalar.anchor) finish_anchor(c, n);
    *out = n;
    return LIT_OK;
}

static lit_status parse_node(pctx *c, yaml_event_t *ev, int depth, lit_config_node **out);

static lit_status parse_children(pctx *c, lit_config_node *n, int depth) {
    int is_map = n->type == LIT_CONFIG_MAP;
    for (;;) {
        yaml_event_t ev;
        LIT_TRY(next(c, &ev));
        if (ev.type == YAML_SEQUENCE_END_EVENT || ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return LIT_OK;
        }
        yaml_mark_t kmark = ev.start_mark;
        lit_config_node *child = NULL;
        lit_status st = parse_node(c, &ev, depth + 1, &child);
        yaml_event_delete(&ev);
        if (st < 0) return st;
        if (!is_map) {
            st = lit__config_list_append(n, child);
            if (st < 0) lit__config_node_free(child);
            LIT_TRY(st);
            continue;
        }
        /* child is the key: it must be a scalar; keep its text, and keep the
         * node only when an anchor names it (a later alias may use it). */
        lit_config_node *key = child;
        int anchored = 0;
        for (int i = 0; i < c->n_anchors; i++)
            if (c->anchors[i].node == key) c->anchors[i].owned = anchored = 1;
        if (key->type == LIT_CONFIG_MAP || key->type == LIT_CONFIG_LIST) {
            lit_config_type kt = key->type;
            if (!anchored) lit__config_node_free(key);
            return at(c, &kmark, "a mapping key must be a scalar, not %s%s", lit_config_type_name(kt), "");
        }
        int dup = lit__config_map_index(n, key->text);
        if (dup >= 0) {
            char first[300];
            snprintf(first, sizeof first, "%s:%d:%d", n->entries[dup].file, n->entries[dup].line, n->entries[dup].col);
            lit_status e = at(c, &kmark, "duplicate key '%s' (first at %s)", key->text, first);
            if (!anchored) lit__config_node_free(key);
            return e;
        }
        yaml_event_t vev;
        st = next(c, &vev);
        lit_config_node *value = NULL;
        if (st == LIT_OK) {
            st = parse_node(c, &vev, depth + 1, &value);
            yaml_event_delete(&vev);
        }
        if (st == LIT_OK) {
            st = lit__config_map_append(n, key->text, c->file, line_of(&kmark), col_of(c, &kmark), value);
            if (st < 0) lit__config_node_free(value);
        }
        if (!anchored) lit__config_node_free(key);
        if (st < 0) return st;
    }
}

static lit_status parse_node(pctx *c, yaml_event_t *ev, int depth, lit_config_node **out) {
    *out = NULL;
    if (depth > LIT_CONFIG_MAX_DEPTH) return at(c, &ev->start_mark, "nesting deeper than %s levels%s", "64", "");
    switch (ev->type) {
    case YAML_SCALAR_EVENT: return scalar_node(c, ev, out);
    case YAML_ALIAS_EVENT: {
        const char *name = (const char *)ev->data.alias.anchor;
        anchor *a = find_anchor(c, name);
        if (!a) return at(c, &ev->start_mark, "alias *%s: no anchor &%s before it", name, name);
        if (!a->done) return at(c, &ev->start_mark, "alias *%s refers to the node that contains it (a cycle)", name, "");
        lit_status st = lit__config_node_copy(c->cfg, a->node, depth, &c->budget, out);
        /* Budget messages carry no position: say which alias ran out. */
        if (st == LIT_ERR_CONFIG && !strncmp(lit_last_error(), "more than", 9))
            st = lit__config_prefix_error(st, "%s:%d:%d: alias *%s: expanding it makes ", c->file,
                                          line_of(&ev->start_mark), col_of(c, &ev->start_mark), name);
        return st;
    }
    case YAML_SEQUENCE_START_EVENT:
    case YAML_MAPPING_START_EVENT: {
        int is_map = ev->type == YAML_MAPPING_START_EVENT;
        const yaml_char_t *tag = is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag;
        lit_config_node *n = new_node(c, is_map ? LIT_CONFIG_MAP : LIT_CONFIG_LIST, &ev->start_mark,
                                      tag ? strlen((const char *)tag) : 0);
        if (!n) return c->fail;
        const yaml_char_t *anchor_name = is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
        lit_status st = LIT_OK;
        if (tag && !(n->tag = strdup((const char *)tag))) st = lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
        if (st == LIT_OK) st = add_anchor(c, anchor_name, n, &ev->start_mark);
        if (st == LIT_OK) st = parse_children(c, n, depth);
        if (st < 0) {
            /* Anchors into the freed subtree must not be used afterwards:
             * parsing stops here, so only the table's teardown sees them,
             * and it frees only the key nodes it owns. */
            for (int i = 0; i < c->n_anchors; i++)
                if (!c->anchors[i].owned) c->anchors[i].node = NULL;
            lit__config_node_free(n);
            return st;
        }
        if (anchor_name) finish_anchor(c, n);
        *out = n;
        return LIT_OK;
    }
    default: return at(c, &ev->start_mark, "unexpected YAML event%s%s", "", "");
    }
}

/* Key nodes own by the table are those not in the tree; an owned key that
 * was copied by an alias stays the table's. */
static void free_anchors(pctx *c) {
    for (int i = 0; i < c->n_anchors; i++) {
        if (c->anchors[i].owned) {
            /* the same key node may be named by several entries: free once */
            for (int j = i + 1; j < c->n_anchors; j++)
                if (c->anchors[j].node == c->anchors[i].node) c->anchors[j].owned = 0;
            lit__config_node_free(c->anchors[i].node);
        }
        free(c->anchors[i].name);
    }
    free(c->anchors);
}

static lit_status parse_stream(pctx *c, int any_root, lit_config_node **out) {
    yaml_event_t ev;
    LIT_TRY(next(c, &ev)); /* STREAM_START */
    yaml_event_delete(&ev);
    LIT_TRY(next(c, &ev));
    lit_config_node *root = NULL;
    yaml_mark_t root_mark = ev.start_mark;
    if (ev.type == YAML_DOCUMENT_START_EVENT) {
        yaml_event_delete(&ev);
        LIT_TRY(next(c, &ev));
        root_mark = ev.start_mark;
        lit_status st = parse_node(c, &ev, 0, &root);
        yaml_event_delete(&ev);
        LIT_TRY(st);
        st = next(c, &ev); /* DOCUMENT_END */
        if (st == LIT_OK) {
            yaml_event_delete(&ev);
            st = next(c, &ev);
        }
        if (st == LIT_OK && ev.type == YAML_DOCUMENT_START_EVENT)
            st = at(c, &ev.start_mark, "a second YAML document (after '---'); a config file holds one%s%s", "", "");
        if (st == LIT_OK) yaml_event_delete(&ev);
        if (st < 0) {
            lit__config_node_free(root);
            return st;
        }
    } else {
        yaml_event_delete(&ev); /* STREAM_END: an empty stream */
    }
    if (!root) {
        root = new_node(c, LIT_CONFIG_NULL, &root_mark, 0);
        if (!root || !(root->text = strdup(""))) {
            lit__config_node_free(root);
            return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
        }
    }
    if (!any_root && root->type == LIT_CONFIG_NULL) {
        root->type = LIT_CONFIG_MAP; /* an empty document is an empty config */
        free(root->text);
        root->text = NULL;
    }
    if (!any_root && root->type != LIT_CONFIG_MAP) {
        lit_config_type t = root->type;
        lit__config_node_free(root);
        return at(c, &root_mark, "the top level of a config must be a mapping (key: value), not %s%s",
                  lit_config_type_name(t), "");
    }
    *out = root;
    return LIT_OK;
}

lit_status lit__config_parse(lit_config *cfg, const void *data, size_t len, const char *name, lit_config_origin origin,
                             int col_offset, int any_root, lit_config_node **out) {
    *out = NULL;
    pctx c;
    memset(&c, 0, sizeof c);
    c.cfg = cfg;
    c.data = data;
    c.len = len;
    c.origin = origin;
    c.col_offset = col_offset;
    c.budget = lit__config_budget_full();
    c.file = lit__config_intern(cfg, name);
    if (!c.file) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    if (!yaml_parser_initialize(&c.parser)) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    yaml_parser_set_input_string(&c.parser, data, len);
    lit_status st = parse_stream(&c, any_root, out);
    free_anchors(&c);
    yaml_parser_delete(&c.parser);
    return st;
}

lit_status lit_config_load_buffer(lit_config **out, const void *data, size_t len, const char *name) {
    *out = NULL;
    lit_config *cfg;
    LIT_TRY(lit_config_new(&cfg));
    lit_config_node *root;
    lit_status st = lit__config_parse(cfg, data, len, name ? name : "<string>", LIT_CONFIG_FROM_FILE, 0, 0, &root);
    if (st < 0) {
        lit_config_free(cfg);
        return st;
    }
    lit__config_node_free(cfg->root);
    cfg->root = root;
    *out = cfg;
    return LIT_OK;
}

lit_status lit_config_load_string(lit_config **out, const char *text, const char *name) {
    return lit_config_load_buffer(out, text, strlen(text), name);
}

lit_status lit_config_load_file(lit_config **out, const char *path) {
    *out = NULL;
    FILE *f;
    int64_t size;
    /* Only a regular file: /dev/zero or a FIFO would stream (or block) forever. */
    LIT_TRY(lit_file_open_read(&f, path, "config", &size));
    if (size > LIT_CONFIG_MAX_FILE_BYTES) {
        fclose(f);
        return lit_set_error(LIT_ERR_CONFIG, "%s: the config file is %lld bytes; a config holds at most %d MiB "
                             "(LIT_CONFIG_MAX_FILE_BYTES)", path, (long long)size, LIT_CONFIG_MAX_FILE_BYTES >> 20);
    }
    /* One byte more than the limit tells a file that grew since fstat. */
    size_t cap = (size_t)size + 1;
    char *buf = malloc(cap);
    if (!buf) {
        fclose(f);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory for a %lld-byte config", path, (long long)size);
    }
    size_t len = 0, r;
    while (len < cap && (r = fread(buf + len, 1, cap - len, f)) > 0) len += r;
    int err = ferror(f);
    fclose(f);
    lit_status st = LIT_OK;
    if (err) st = lit_set_error(LIT_ERR_IO, "%s: read error", path);
    else if (len > (size_t)size) st = lit_set_error(LIT_ERR_IO, "%s: the config file grew while it was read", path);
    if (st == LIT_OK) st = lit_config_load_buffer(out, buf, len, path);
    free(buf);
    return st;
}
