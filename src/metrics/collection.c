/*
 * src/metrics/collection.c — MetricCollection: named metrics updated
 * together, computed to key -> value (key = prefix + name + postfix), and
 * cloned with a new prefix per stage ("train/", "val/", "test/").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "litc/metrics.h"

typedef struct {
    char *name; /* bare name */
    char *key;  /* prefix + name + postfix */
    lit_metric *m;
    double value;
    const lit_tensor *result;
} entry;

struct lit_metric_collection {
    char *prefix, *postfix;
    entry *e;
    int n, cap;
};

static char *dup_or_null(const char *s, int *fail) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *fail = 1;
    return d;
}

lit_metric_collection *lit_metric_collection_new(const char *prefix, const char *postfix) {
    lit_metric_collection *c = calloc(1, sizeof *c);
    int fail = !c;
    if (c) {
        c->prefix = dup_or_null(prefix, &fail);
        c->postfix = dup_or_null(postfix, &fail);
    }
    if (fail) {
        lit_metric_collection_free(c);
        lit_set_error(LIT_ERR_NOMEM, "MetricCollection: out of memory");
        return NULL;
    }
    return c;
}

void lit_metric_collection_free(lit_metric_collection *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++) {
        free(c->e[i].name);
        free(c->e[i].key);
        lit_metric_free(c->e[i].m);
    }
    free(c->e);
    free(c->prefix);
    free(c->postfix);
    free(c);
}

static char *make_key(const lit_metric_collection *c, const char *name) {
    const char *pre = c->prefix ? c->prefix : "", *post = c->postfix ? c->postfix : "";
    size_t n = strlen(pre) + strlen(name) + strlen(post) + 1;
    char *k = malloc(n);
    if (k) snprintf(k, n, "%s%s%s", pre, name, post);
    return k;
}

lit_status lit_metric_collection_add(lit_metric_collection *c, const char *name, lit_metric *m) {
    if (!c) {
        lit_metric_free(m);
        return lit_set_error(LIT_ERR_INVALID_ARG, "MetricCollection.add: NULL collection");
    }
    if (!m) {
        /* keep the failed constructor's message: it says why */
        char why[512];
        snprintf(why, sizeof why, "%s", lit_last_error());
        return lit_set_error(LIT_ERR_INVALID_ARG, "MetricCollection.add('%s'): NULL metric (%s)", name ? name : "",
                             why[0] ? why : "no message");
    }
    if (!name || !name[0] || lit_metric_collection_find(c, name) >= 0) {
        lit_status st = lit_set_error(LIT_ERR_INVALID_ARG, "MetricCollection.add: name '%s' is %s", name ? name : "",
                                      !name || !name[0] ? "empty" : "taken");
        lit_metric_free(m);
        return st;
    }
    if (c->n == c->cap) {
        int nc = c->cap ? c->cap * 2 : 4;
        entry *e = realloc(c->e, (size_t)nc * sizeof *e);
        if (!e) {
            lit_metric_free(m);
            return lit_set_error(LIT_ERR_NOMEM, "MetricCollection.add: out of memory");
        }
        c->e = e;
        c->cap = nc;
    }
    entry *e = &c->e[c->n];
    e->name = strdup(name);
    e->key = make_key(c, name);
    if (!e->name || !e->key) {
        free(e->name);
        free(e->key);
        lit_metric_free(m);
        return lit_set_error(LIT_ERR_NOMEM, "MetricCollection.add: out of memory");
    }
    e->m = m;
    e->value = NAN;
    e->result = NULL;
    c->n++;
    return LIT_OK;
}

lit_status lit_metric_collection_update_weighted(lit_metric_collection *c, const lit_tensor *preds,
                                                 const lit_tensor *target, const lit_tensor *weight) {
    if (!c) return lit_set_error(LIT_ERR_INVALID_ARG, "MetricCollection.update: NULL collection");
    for (int i = 0; i < c->n; i++) {
        lit_status st = lit_metric_update_weighted(c->e[i].m, preds, target, weight);
        if (st < 0) {
            char why[768];
            snprintf(why, sizeof why, "%s", lit_last_error());
            return lit_set_error(st, "MetricCollection '%s': %s", c->e[i].key, why);
        }
    }
    return LIT_OK;
}

lit_status lit_metric_collection_update(lit_metric_collection *c, const lit_tensor *preds, const lit_tensor *target) {
    return lit_metric_collection_update_weighted(c, preds, target, NULL);
}

lit_status lit_metric_collection_compute(lit_metric_collection *c) {
    if (!c) return lit_set_error(LIT_ERR_INVALID_ARG, "MetricCollection.compute: NULL collection");
    lit_status first = LIT_OK;
    for (int i = 0; i < c->n; i++) {
        lit_tensor *r = NULL;
        lit_status st = lit_metric_compute(c->e[i].m, &r);
        c->e[i].result = r;
        c->e[i].value = r && r->numel == 1 ? lit_item(r) : NAN;
        if (st < 0 && first == LIT_OK) first = st;
    }
    return first;
}

void lit_metric_collection_reset(lit_metric_collection *c) {
    if (!c) return;
    for (int i = 0; i < c->n; i++) {
        lit_metric_reset(c->e[i].m);
        c->e[i].value = NAN;
        c->e[i].result = NULL;
    }
}

lit_metric_collection *lit_metric_collection_clone(const lit_metric_collection *c, const char *prefix,
                                                   const char *postfix) {
    if (!c) {
        lit_set_error(LIT_ERR_INVALID_ARG, "MetricCollection.clone: NULL collection");
        return NULL;
    }
    lit_metric_collection *d =
        lit_metric_collection_new(prefix ? prefix : c->prefix, postfix ? postfix : c->postfix);
    if (!d) return NULL;
    for (int i = 0; i < c->n; i++) {
        lit_metric *m = lit_metric_clone(c->e[i].m);
        if (!m || lit_metric_collection_add(d, c->e[i].name, m) < 0) {
            lit_metric_collection_free(d);
            return NULL;
        }
    }
    return d;
}

int lit_metric_collection_count(const lit_metric_collection *c) { return c ? c->n : 0; }

const char *lit_metric_collection_name(const lit_metric_collection *c, int i) {
    return c && i >= 0 && i < c->n ? c->e[i].key : NULL;
}

double lit_metric_collection_value(const lit_metric_collection *c, int i) {
    return c && i >= 0 && i < c->n ? c->e[i].value : NAN;
}

const lit_tensor *lit_metric_collection_tensor(const lit_metric_collection *c, int i) {
    return c && i >= 0 && i < c->n ? c->e[i].result : NULL;
}

lit_metric *lit_metric_collection_metric(const lit_metric_collection *c, int i) {
    return c && i >= 0 && i < c->n ? c->e[i].m : NULL;
}

int lit_metric_collection_find(const lit_metric_collection *c, const char *key) {
    if (!c || !key) return -1;
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->e[i].key, key) == 0) return i;
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->e[i].name, key) == 0) return i;
    return -1;
}
