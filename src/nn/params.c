/*
 * src/nn/params.c — the parameter store: a persistent arena plus the ordered
 * (name, tensor) list that is a model's state dict; dotted-name helpers,
 * counting, freeze/unfreeze, the trainable-parameter array, train/eval and
 * the recorded module types (for the model summary's Type column).
 * Loading a state dict lives in state-dict.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/nn.h"
#include "nn-impl.h"

char *lit_name_join(char *buf, size_t n, const char *prefix, const char *fmt, ...) {
    LIT_ASSERT(buf != NULL && n > 0, "lit_name_join: pass a buffer (LIT_NAME_MAX bytes)");
    char tail[LIT_NAME_MAX] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(tail, sizeof tail, fmt, ap);
        va_end(ap);
        LIT_ASSERT(w >= 0 && (size_t)w < sizeof tail, "lit_name_join: name part longer than %d characters",
                   LIT_NAME_MAX - 1);
    }
    int has_prefix = prefix && prefix[0], has_tail = tail[0] != 0;
    int w = snprintf(buf, n, "%s%s%s", has_prefix ? prefix : "", has_prefix && has_tail ? "." : "", tail);
    LIT_ASSERT(w >= 0 && (size_t)w < n, "lit_name_join: name \"%s%s%s\" does not fit in %zu bytes; use shorter names",
               has_prefix ? prefix : "", has_prefix && has_tail ? "." : "", tail, n);
    return buf;
}

int lit_name_has_prefix(const char *name, const char *prefix) {
    if (!prefix || !prefix[0]) return 1;
    size_t k = strlen(prefix);
    return strncmp(name, prefix, k) == 0 && (name[k] == 0 || name[k] == '.');
}

lit_param_store *lit_param_store_new(const char *name) {
    lit_param_store *s = calloc(1, sizeof *s);
    if (!s) {
        lit_set_error(LIT_ERR_NOMEM, "lit_param_store_new: out of memory");
        return NULL;
    }
    s->arena = lit_arena_new(name ? name : "params", 0);
    if (!s->arena) {
        free(s);
        return NULL;
    }
    s->training = 1;
    return s;
}

void lit_param_store_free(lit_param_store *s) {
    if (!s) return;
    lit_arena_free(s->arena);
    free(s->names);
    free(s->tensors);
    free(s->is_buffer);
    for (int i = 0; i < s->n_types; i++) {
        free(s->type_prefixes[i]);
        free(s->types[i]);
    }
    free(s->type_prefixes);
    free(s->types);
    free(s);
}

lit_arena *lit_param_store_arena(lit_param_store *s) {
    LIT_ASSERT(s != NULL, "lit_param_store_arena: store is NULL; create it with lit_param_store_new");
    return s->arena;
}

static int find(const lit_param_store *s, const char *name) {
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->names[i], name) == 0) return i;
    return -1;
}

lit_status lit__nn_fail(lit_param_store *s, lit_status st) {
    if (s->status == LIT_OK) {
        s->status = st;
        snprintf(s->error, sizeof s->error, "%s", lit_last_error());
    }
    return st;
}

lit_status lit_param_store_status(const lit_param_store *s) {
    LIT_ASSERT(s != NULL, "lit_param_store_status: store is NULL; create it with lit_param_store_new");
    if (s->status < 0) return lit_set_error(s->status, "%s", s->error);
    return LIT_OK;
}

void lit_param_store_register(lit_param_store *s, const char *full_name, lit_tensor *t, int is_buffer) {
    LIT_ASSERT(s != NULL, "lit_param_store_register: store is NULL; create it with lit_param_store_new");
    LIT_ASSERT(full_name && full_name[0], "lit_param_store_register: empty name; every state-dict entry needs a name");
    lit_tensor_check(t, "lit_param_store_register");
    LIT_ASSERT(find(s, full_name) < 0,
               "lit_param_store_register: \"%s\" is already registered; give each layer its own prefix",
               full_name);
    if (s->n == s->cap) {
        int cap = s->cap ? 2 * s->cap : 32;
        char **names = realloc(s->names, (size_t)cap * sizeof *names);
        if (names) s->names = names;
        lit_tensor **tensors = realloc(s->tensors, (size_t)cap * sizeof *tensors);
        if (tensors) s->tensors = tensors;
        unsigned char *isb = realloc(s->is_buffer, (size_t)cap);
        if (isb) s->is_buffer = isb;
        if (!names || !tensors || !isb) {
            lit_set_error(LIT_ERR_NOMEM, "out of memory registering parameter '%s'", full_name);
            lit__nn_fail(s, LIT_ERR_NOMEM);
            return;
        }
        s->cap = cap;
    }
    size_t len = strlen(full_name);
    char *copy = lit_arena_try_alloc(s->arena, len + 1);
    if (!copy) {
        lit_set_error(LIT_ERR_NOMEM, "out of memory registering parameter '%s'", full_name);
        lit__nn_fail(s, LIT_ERR_NOMEM);
        return;
    }
    memcpy(copy, full_name, len + 1);
    s->names[s->n] = copy;
    s->tensors[s->n] = t;
    s->is_buffer[s->n] = (unsigned char)(is_buffer != 0);
    s->n++;
    if (!t->name) t->name = copy;
}

lit_tensor *lit_param_store_new_param(lit_param_store *s, const char *prefix, const char *name, int ndim,
                                      const int64_t *shape) {
    LIT_ASSERT(s != NULL, "lit_param_store_new_param: store is NULL; create it with lit_param_store_new");
    char full[LIT_NAME_MAX];
    lit_name_join(full, sizeof full, prefix, "%s", name ? name : "");
    LIT_ASSERT(find(s, full) < 0, "lit_param_store_new_param: \"%s\" is already registered; give each layer its own prefix",
               full);
    lit_tensor *t = lit_tensor_new(s->arena, LIT_F32, ndim, shape);
    if (!t) {
        /* "out of memory allocating a (100000, 100000) f32 tensor (37.3 GiB) ..." -> name the parameter. */
        char why[600];
        const char *m = lit_last_error(), *p = strstr(m, "a (");
        snprintf(why, sizeof why, "%s", p ? p + 2 : m);
        lit_set_error(LIT_ERR_NOMEM, "out of memory allocating parameter '%s' %s", full, why);
        lit__nn_fail(s, LIT_ERR_NOMEM);
        return NULL;
    }
    t->requires_grad = 1;
    lit_param_store_register(s, full, t, 0);
    return s->status < 0 && find(s, full) < 0 ? NULL : t;
}

int lit_param_store_len(const lit_param_store *s) { return s ? s->n : 0; }

static void check_index(const lit_param_store *s, int i, const char *who) {
    LIT_ASSERT(s != NULL, "%s: store is NULL", who);
    LIT_ASSERT(i >= 0 && i < s->n, "%s: index %d out of range; the store has %d entries", who, i, s->n);
}

const char *lit_param_store_name(const lit_param_store *s, int i) {
    check_index(s, i, "lit_param_store_name");
    return s->names[i];
}

lit_tensor *lit_param_store_tensor(const lit_param_store *s, int i) {
    check_index(s, i, "lit_param_store_tensor");
    return s->tensors[i];
}

int lit_param_store_is_buffer(const lit_param_store *s, int i) {
    check_index(s, i, "lit_param_store_is_buffer");
    return s->is_buffer[i];
}

const char *const *lit_param_store_names(const lit_param_store *s) { return s ? (const char *const *)s->names : NULL; }
lit_tensor *const *lit_param_store_tensors(const lit_param_store *s) { return s ? s->tensors : NULL; }

lit_tensor *lit_param_store_get(const lit_param_store *s, const char *name) {
    if (!s || !name) return NULL;
    int i = find(s, name);
    return i < 0 ? NULL : s->tensors[i];
}

int64_t lit_param_store_count_params(const lit_param_store *s, int trainable_only) {
    int64_t total = 0;
    for (int i = 0; s && i < s->n; i++) {
        if (s->is_buffer[i]) continue;
        if (trainable_only && !s->tensors[i]->requires_grad) continue;
        total += s->tensors[i]->numel;
    }
    return total;
}

static int set_requires_grad(lit_param_store *s, const char *prefix, int on) {
    LIT_ASSERT(s != NULL, "lit_param_store_%s: store is NULL", on ? "unfreeze" : "freeze");
    int matched = 0;
    for (int i = 0; i < s->n; i++) {
        if (s->is_buffer[i] || !lit_name_has_prefix(s->names[i], prefix)) continue;
        s->tensors[i]->requires_grad = on;
        matched++;
    }
    return matched;
}

int lit_param_store_freeze(lit_param_store *s, const char *prefix) { return set_requires_grad(s, prefix, 0); }
int lit_param_store_unfreeze(lit_param_store *s, const char *prefix) { return set_requires_grad(s, prefix, 1); }

lit_tensor **lit_param_store_trainable(lit_param_store *s, int *n) {
    LIT_ASSERT(s != NULL && n != NULL, "lit_param_store_trainable: pass a store and a count pointer");
    int count = 0;
    for (int i = 0; i < s->n; i++)
        if (!s->is_buffer[i] && s->tensors[i]->requires_grad) count++;
    lit_tensor **out = lit_arena_alloc(s->arena, (size_t)(count ? count : 1) * sizeof *out);
    int k = 0;
    for (int i = 0; i < s->n; i++)
        if (!s->is_buffer[i] && s->tensors[i]->requires_grad) out[k++] = s->tensors[i];
    *n = count;
    return out;
}

void lit_param_store_zero_grad(lit_param_store *s, int set_to_none) {
    LIT_ASSERT(s != NULL, "lit_param_store_zero_grad: store is NULL");
    for (int i = 0; i < s->n; i++)
        if (!s->is_buffer[i]) lit_zero_grad(&s->tensors[i], 1, set_to_none);
}

void lit_param_store_train(lit_param_store *s, int training) {
    LIT_ASSERT(s != NULL, "lit_param_store_train: store is NULL");
    s->training = training != 0;
}

int lit_param_store_is_training(const lit_param_store *s) { return s ? s->training : 1; }

const char *lit__nn_keep_name(lit_param_store *s, const char *prefix) {
    const char *p = prefix ? prefix : "";
    size_t len = strlen(p);
    char *copy = lit_arena_try_alloc(s->arena, len + 1);
    if (!copy) {
        lit__nn_fail(s, LIT_ERR_NOMEM);
        return "";
    }
    memcpy(copy, p, len + 1);
    return copy;
}

/* ---------------------------------------------------------------- module types */

static int find_type(const lit_param_store *s, const char *prefix) {
    for (int i = 0; i < s->n_types; i++)
        if (strcmp(s->type_prefixes[i], prefix) == 0) return i;
    return -1;
}

lit_status lit_param_store_set_module_type(lit_param_store *s, const char *prefix, const char *type) {
    LIT_ASSERT(s != NULL, "lit_param_store_set_module_type: store is NULL; create it with lit_param_store_new");
    LIT_ASSERT(type != NULL && type[0], "lit_param_store_set_module_type '%s': pass a non-empty type name (\"Linear\")",
               prefix ? prefix : "");
    if (!prefix || !prefix[0]) return LIT_OK; /* the root module: never a summary row */
    char *t = strdup(type);
    if (!t) return lit_set_error(LIT_ERR_NOMEM, "lit_param_store_set_module_type: out of memory copying \"%s\"", type);
    int i = find_type(s, prefix);
    if (i >= 0) {
        free(s->types[i]);
        s->types[i] = t;
        return LIT_OK;
    }
    char *p = strdup(prefix);
    if (!p) {
        free(t);
        return lit_set_error(LIT_ERR_NOMEM, "lit_param_store_set_module_type: out of memory copying \"%s\"", prefix);
    }
    if (s->n_types == s->cap_types) {
        int cap = s->cap_types ? 2 * s->cap_types : 16;
        char **np = realloc(s->type_prefixes, (size_t)cap * sizeof *np);
        if (np) s->type_prefixes = np;
        char **nt = np ? realloc(s->types, (size_t)cap * sizeof *nt) : NULL;
        if (nt) s->types = nt;
        if (!np || !nt) {
            free(p);
            free(t);
            return lit_set_error(LIT_ERR_NOMEM, "lit_param_store_set_module_type: out of memory growing the type list");
        }
        s->cap_types = cap;
    }
    s->type_prefixes[s->n_types] = p;
    s->types[s->n_types] = t;
    s->n_types++;
    return LIT_OK;
}

const char *lit_param_store_module_type(const lit_param_store *s, const char *prefix) {
    if (!s || !prefix || !prefix[0]) return NULL;
    int i = find_type(s, prefix);
    return i < 0 ? NULL : s->types[i];
}

void lit__nn_set_type(lit_param_store *s, const char *prefix, const char *type) {
    lit_status st = lit_param_store_set_module_type(s, prefix, type);
    if (st < 0) lit__nn_fail(s, st);
}
