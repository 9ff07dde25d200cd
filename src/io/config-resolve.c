/*
 * src/io/config-resolve.c — OmegaConf-style interpolation: ${a.b},
 * ${.sibling}, ${oc.env:VAR,default}, \${ escapes.
 *
 * Resolution is depth first and in place: a scalar holding interpolations
 * is replaced by its value (keeping its own position), resolving what it
 * refers to first. Nodes being resolved are marked and kept on a stack, so
 * a reference back into the chain is a cycle, reported with the chain.
 */
#include <stdlib.h>
#include <string.h>

#include "core/buf-impl.h"
#include "io/config-impl.h"

#define MAX_CHAIN 256

typedef struct {
    lit_config *cfg;
    lit__config_budget budget; /* nodes and text made, text scanned again */
    lit_config_node *stack[MAX_CHAIN];
    int depth;
    int nesting; /* ${...${...}...} levels being evaluated */
} rctx;

/* Pay for `nodes` nodes and `bytes` of text made (or scanned again) while
 * resolving n; over a limit, the error names n's key and the limit. */
static lit_status charge(rctx *r, const lit_config_node *n, long nodes, size_t bytes) {
    lit_status st = lit__config_budget_take(&r->budget, nodes, bytes);
    if (st < 0) {
        char here[256];
        lit_config_node_path(n, here, sizeof here);
        st = lit__config_prefix_error(st, "%s:%d:%d: %s: resolving its interpolations makes ", n->file, n->line, n->col,
                                      here[0] ? here : "<root>");
    }
    return st;
}

/* The text eval_text built, or LIT_ERR_NOMEM when the buffer lost bytes. */
static lit_status text_of(const lit__buf *b, const char **text, size_t *len) {
    if (b->failed) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    *text = b->data ? (const char *)b->data : "";
    *len = b->len;
    return LIT_OK;
}

static const char *path_of(const lit_config_node *n, char *buf, size_t size) {
    lit_config_node_path(n, buf, size);
    return buf[0] ? buf : "<root>";
}

static lit_status push(rctx *r, lit_config_node *n) {
    if (r->depth == MAX_CHAIN)
        return lit_config_error(n, "interpolations refer through more than %d values", MAX_CHAIN);
    r->stack[r->depth++] = n;
    n->resolving = 1;
    return LIT_OK;
}

static void pop(rctx *r) { r->stack[--r->depth]->resolving = 0; }

static lit_status cycle(rctx *r, const lit_config_node *at, const lit_config_node *target) {
    char chain[700], p[256];
    size_t L = 0;
    chain[0] = 0;
    int from = 0;
    for (int i = 0; i < r->depth; i++)
        if (r->stack[i] == target) from = i;
    for (int i = from; i < r->depth && L < sizeof chain; i++) {
        int w = snprintf(chain + L, sizeof chain - L, "%s -> ", path_of(r->stack[i], p, sizeof p));
        L += w > 0 ? (size_t)w : 0;
    }
    if (L < sizeof chain) snprintf(chain + L, sizeof chain - L, "%s", path_of(target, p, sizeof p));
    char here[256];
    return lit_config_error(at, "%s: interpolation cycle: %s", path_of(at, here, sizeof here), chain);
}

static lit_status resolve_tree(rctx *r, lit_config_node *n);
static lit_status resolve_scalar(rctx *r, lit_config_node *n);

static int needs_resolve(const lit_config_node *n) {
    return n->type == LIT_CONFIG_STRING && !n->literal && strstr(n->text, "${");
}

static lit_status new_scalar(const lit_config_node *at, const char *text, size_t len, lit_config_type t,
                             lit_config_node **out) {
    lit_config_node *v = lit__config_node_new(t, at->file, at->line, at->col, at->origin);
    if (!v || !(v->text = malloc(len + 1))) {
        lit__config_node_free(v);
        return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    }
    memcpy(v->text, text, len);
    v->text[len] = 0;
    *out = v;
    return LIT_OK;
}

static void trim(const char **s, size_t *n) {
    while (*n && (**s == ' ' || **s == '\t')) (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) (*n)--;
}

/* ${oc.env:VAR} / ${oc.env:VAR,default} */
static lit_status env_value(const lit_config_node *n, const char *args, size_t len, lit_config_node **out) {
    char here[256];
    const char *comma = memchr(args, ',', len);
    const char *var = args;
    size_t vlen = comma ? (size_t)(comma - args) : len;
    trim(&var, &vlen);
    char name[256];
    if (!vlen || vlen >= sizeof name)
        return lit_config_error(n, "%s: oc.env needs a variable name: ${oc.env:VAR} or ${oc.env:VAR,default}",
                                path_of(n, here, sizeof here));
    memcpy(name, var, vlen);
    name[vlen] = 0;
    const char *v = getenv(name);
    /* An empty variable is the empty string, as OmegaConf's oc.env returns
     * it (never null, never the default). */
    if (v) return new_scalar(n, v, strlen(v), *v ? lit__config_plain_type(v) : LIT_CONFIG_STRING, out);
    if (!comma)
        return lit_config_error(n, "%s: environment variable %s is not set (give a default: ${oc.env:%s,default})",
                                path_of(n, here, sizeof here), name, name);
    const char *d = comma + 1;
    size_t dlen = len - (size_t)(d - args);
    trim(&d, &dlen);
    if (dlen >= 2 && (d[0] == '\'' || d[0] == '"') && d[dlen - 1] == d[0])
        return new_scalar(n, d + 1, dlen - 2, LIT_CONFIG_STRING, out);
    char *tmp = malloc(dlen + 1);
    if (!tmp) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    memcpy(tmp, d, dlen);
    tmp[dlen] = 0;
    lit_status st = new_scalar(n, d, dlen, lit__config_plain_type(tmp), out);
    free(tmp);
    return st;
}

static lit_status eval_text(rctx *r, lit_config_node *n, const char *text, size_t len, lit_config_node **whole,
                            lit__buf *out);

/* The value of one ${...} body (detached node, owned by the caller). */
static lit_status eval_interp(rctx *r, lit_config_node *n, const char *body, size_t len, lit_config_node **out) {
    char here[256];
    lit__buf inner = { 0 };
    int nested = 0;
    for (size_t i = 0; i + 1 < len; i++) nested |= body[i] == '$' && body[i + 1] == '{';
    if (nested) {
        /* ${oc.env:${name}}: the inner interpolations make the text first.
         * Each level scans its body again: that work is paid for too. */
        if (r->nesting == LIT_CONFIG_MAX_DEPTH)
            return lit_config_error(n, "%s: interpolations nested more than %d deep (LIT_CONFIG_MAX_DEPTH)",
                                    path_of(n, here, sizeof here), LIT_CONFIG_MAX_DEPTH);
        LIT_TRY(charge(r, n, 0, len));
        r->nesting++;
        lit_status st = eval_text(r, n, body, len, NULL, &inner);
        r->nesting--;
        if (st == LIT_OK) st = text_of(&inner, &body, &len);
        if (st < 0) {
            lit__buf_free(&inner);
            return st;
        }
    }
    const char *b = body;
    size_t bl = len;
    trim(&b, &bl);
    lit_status st;
    const char *colon = memchr(b, ':', bl);
    if (bl >= 7 && !memcmp(b, "oc.env:", 7)) {
        st = env_value(n, b + 7, bl - 7, out);
        if (st == LIT_OK) st = charge(r, n, 1, strlen((*out)->text));
        if (st < 0) {
            lit__config_node_free(*out);
            *out = NULL;
        }
    } else if (colon) {
        st = lit_config_error(n, "%s: unknown resolver '%.*s' in ${%.*s} (litc knows oc.env)",
                              path_of(n, here, sizeof here), (int)(colon - b), b, (int)bl, b);
    } else {
        /* A key path: absolute, or relative with leading dots (${.x} is a
         * sibling, ${..x} a sibling of the parent). */
        char key[512];
        if (bl >= sizeof key) {
            lit__buf_free(&inner);
            return lit_config_error(n, "%s: interpolation key too long", path_of(n, here, sizeof here));
        }
        memcpy(key, b, bl);
        key[bl] = 0;
        lit_config_node *base = r->cfg->root;
        const char *k = key;
        if (*k == '.') {
            base = n->parent;
            k++;
            while (*k == '.' && base) base = base->parent, k++;
        }
        lit_config_node *t = base ? lit__config_lookup(base, k) : NULL;
        if (!t || (!*k && key[0] != '.')) {
            st = lit_config_error(n, "%s: interpolation ${%s}: key '%s' not found", path_of(n, here, sizeof here), key,
                                  key);
        } else if (t->resolving) {
            st = cycle(r, n, t);
        } else {
            st = t->type == LIT_CONFIG_MAP || t->type == LIT_CONFIG_LIST ? resolve_tree(r, t) : resolve_scalar(r, t);
            if (st == LIT_OK) st = lit__config_node_copy(r->cfg, t, lit__config_node_depth(n), &r->budget, out);
            if (st == LIT_ERR_CONFIG && !strncmp(lit_last_error(), "more than", 9))
                st = lit__config_prefix_error(st, "%s:%d:%d: %s: resolving its interpolations makes ", n->file,
                                              n->line, n->col, path_of(n, here, sizeof here));
        }
    }
    lit__buf_free(&inner);
    return st;
}

/*
 * Evaluate text with interpolations. When `whole` is not NULL and the text
 * is exactly one interpolation, *whole gets its value (typed); otherwise
 * the concatenation is appended to out (text_of reports a failed allocation).
 */
static lit_status eval_text(rctx *r, lit_config_node *n, const char *text, size_t len, lit_config_node **whole,
                            lit__buf *out) {
    char here[256];
    size_t i = 0;
    while (i < len) {
        if (text[i] == '\\' && i + 2 < len && text[i + 1] == '$' && text[i + 2] == '{') {
            lit__buf_puts(out, "${");
            i += 3;
            continue;
        }
        if (!(text[i] == '$' && i + 1 < len && text[i + 1] == '{')) {
            lit__buf_putc(out, text[i]);
            i++;
            continue;
        }
        size_t k = i + 2;
        int depth = 1;
        while (k < len) {
            if (text[k] == '$' && k + 1 < len && text[k + 1] == '{') {
                depth++;
                k += 2;
                continue;
            }
            if (text[k] == '}' && --depth == 0) break;
            k++;
        }
        if (k >= len)
            return lit_config_error(n, "%s: unterminated interpolation '%.*s' (missing '}')",
                                    path_of(n, here, sizeof here), (int)(len - i), text + i);
        lit_config_node *v = NULL;
        LIT_TRY(eval_interp(r, n, text + i + 2, k - i - 2, &v));
        if (whole && i == 0 && k == len - 1) {
            *whole = v;
            return LIT_OK;
        }
        lit_status st = LIT_OK;
        if (v->type == LIT_CONFIG_MAP || v->type == LIT_CONFIG_LIST)
            st = lit_config_error(n, "%s: ${%.*s} is %s; only a whole value can be one (not part of a string)",
                                  path_of(n, here, sizeof here), (int)(k - i - 2), text + i + 2,
                                  lit_config_type_name(v->type));
        else if (v->type == LIT_CONFIG_NULL)
            lit__buf_puts(out, "None"); /* str(None), as OmegaConf */
        else
            lit__buf_puts(out, v->text);
        lit__config_node_free(v);
        LIT_TRY(st);
        i = k + 1;
    }
    return LIT_OK;
}

static lit_status resolve_scalar(rctx *r, lit_config_node *n) {
    if (!needs_resolve(n)) return LIT_OK;
    LIT_TRY(push(r, n));
    lit_config_node *whole = NULL;
    lit__buf out = { 0 };
    lit_status st = eval_text(r, n, n->text, strlen(n->text), &whole, &out);
    if (st == LIT_OK && !whole) {
        const char *text = "";
        size_t len = 0;
        st = text_of(&out, &text, &len);
        if (st == LIT_OK) st = charge(r, n, 1, len);
        if (st == LIT_OK) st = new_scalar(n, text, len, LIT_CONFIG_STRING, &whole);
    }
    lit__buf_free(&out);
    pop(r);
    if (st < 0) {
        lit__config_node_free(whole);
        return st;
    }
    lit__config_node_take(n, whole);
    if (n->type != LIT_CONFIG_MAP && n->type != LIT_CONFIG_LIST) n->literal = 1;
    return LIT_OK;
}

static lit_status resolve_tree(rctx *r, lit_config_node *n) {
    if (n->type != LIT_CONFIG_MAP && n->type != LIT_CONFIG_LIST) return resolve_scalar(r, n);
    LIT_TRY(push(r, n));
    lit_status st = LIT_OK;
    for (int i = 0; i < n->n && st == LIT_OK; i++)
        st = resolve_tree(r, n->type == LIT_CONFIG_MAP ? n->entries[i].value : n->items[i]);
    pop(r);
    return st;
}

lit_status lit_config_resolve(lit_config *cfg) {
    rctx *r = calloc(1, sizeof *r);
    if (!r) return lit_set_error(LIT_ERR_NOMEM, "config: out of memory");
    r->cfg = cfg;
    r->budget = lit__config_budget_full();
    lit_status st = resolve_tree(r, cfg->root);
    while (r->depth) pop(r);
    free(r);
    /* The resolved tree as a whole stays within a document's limits, so its
     * dump (--print_config, config.yaml) always reads back. */
    lit__config_budget left = lit__config_budget_left(cfg->root);
    if (st == LIT_OK && left.nodes < 0)
        st = lit_set_error(LIT_ERR_CONFIG, "%s: the resolved config makes more than %d nodes (LIT_CONFIG_MAX_NODES)",
                           cfg->root->file, LIT_CONFIG_MAX_NODES);
    if (st == LIT_OK && left.bytes < 0)
        st = lit_set_error(LIT_ERR_CONFIG, "%s: the resolved config makes more than %d MiB of text "
                           "(LIT_CONFIG_MAX_BYTES)", cfg->root->file, LIT_CONFIG_MAX_BYTES >> 20);
    return st;
}
