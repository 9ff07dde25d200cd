/*
 * src/nn/state-dict.c — loading (name, tensor) pairs into a parameter store
 * in memory, with PyTorch's strict / non-strict rules and a report of
 * missing, unexpected and shape-mismatched keys. Validation happens before
 * any copy, so a failed load changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str-impl.h"
#include "nn-impl.h"

/* A growing heap string for the summary message; `failed` records an
 * allocation that did not happen (the load then returns LIT_ERR_NOMEM). */
typedef struct {
    char *s;
    size_t len, cap;
    int failed;
} strbuf;

static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (w < 0) return;
    if (b->len + (size_t)w + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)w + 1) cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->failed = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)w;
}

/* Append a copy of name; 0, or -1 when out of memory (the list stays valid). */
static int push(char ***list, int *n, const char *name) {
    char **l = realloc(*list, (size_t)(*n + 1) * sizeof *l);
    if (!l) return -1;
    *list = l;
    if (!(l[*n] = lit__strdup(name))) return -1;
    (*n)++;
    return 0;
}

void lit_state_dict_report_free(lit_state_dict_report *r) {
    if (!r) return;
    for (int i = 0; i < r->n_missing; i++) free(r->missing[i]);
    for (int i = 0; i < r->n_unexpected; i++) free(r->unexpected[i]);
    for (int i = 0; i < r->n_mismatched; i++) free(r->mismatched[i]);
    free(r->missing);
    free(r->unexpected);
    free(r->mismatched);
    free(r->message);
    memset(r, 0, sizeof *r);
}

static void list_keys(strbuf *b, const char *title, char **keys, int n) {
    if (!n) return;
    if (b->len) sb_printf(b, " ");
    sb_printf(b, "%s key(s) in state_dict: ", title);
    for (int i = 0; i < n; i++) sb_printf(b, "%s\"%s\"", i ? ", " : "", keys[i]);
    sb_printf(b, ".");
}

lit_status lit_state_dict_load(lit_param_store *s, int n, const char *const *names, lit_tensor *const *tensors,
                               int strict, lit_state_dict_report *report) {
    LIT_ASSERT(s != NULL, "lit_state_dict_load: store is NULL; create it with lit_param_store_new");
    LIT_ASSERT(n >= 0 && (n == 0 || (names && tensors)),
               "lit_state_dict_load: pass n >= 0 names and tensors (got n = %d, names %p, tensors %p)", n,
               (const void *)names, (const void *)tensors);
    for (int i = 0; i < n; i++) {
        LIT_ASSERT(names[i] != NULL, "lit_state_dict_load: names[%d] is NULL", i);
        lit_tensor_check(tensors[i], names[i]);
    }

    lit_state_dict_report r;
    memset(&r, 0, sizeof r);
    strbuf mism = {0};

    /* src_of[j]: the input entry that feeds store entry j (last one wins), or -1. */
    int *src_of = malloc((size_t)(s->n ? s->n : 1) * sizeof *src_of);
    if (!src_of) return lit_set_error(LIT_ERR_NOMEM, "lit_state_dict_load into '%s': out of memory", lit_arena_name(s->arena));
    int oom = 0; /* a report entry could not be recorded */
    for (int j = 0; j < s->n; j++) src_of[j] = -1;

    for (int i = 0; i < n; i++) {
        int j = -1;
        for (int k = 0; k < s->n; k++)
            if (strcmp(s->names[k], names[i]) == 0) { j = k; break; }
        if (j < 0) {
            oom |= push(&r.unexpected, &r.n_unexpected, names[i]) < 0;
            continue;
        }
        const lit_tensor *dst = s->tensors[j], *src = tensors[i];
        if (!lit_same_shape(dst, src)) {
            oom |= push(&r.mismatched, &r.n_mismatched, names[i]) < 0;
            sb_printf(&mism, "%ssize mismatch for %s: copying a param with shape %s from checkpoint, the shape in "
                      "current model is %s.", mism.len ? " " : "", names[i], LIT_SHAPE_STR(src),
                      LIT_SHAPE_STR(dst));
            continue;
        }
        src_of[j] = i;
    }
    for (int j = 0; j < s->n; j++) {
        if (src_of[j] >= 0) continue;
        int seen = 0; /* present but mismatched: not "missing" */
        for (int k = 0; k < r.n_mismatched && !seen; k++) seen = strcmp(r.mismatched[k], s->names[j]) == 0;
        if (!seen) oom |= push(&r.missing, &r.n_missing, s->names[j]) < 0;
    }

    strbuf msg = {0};
    list_keys(&msg, "Missing", r.missing, r.n_missing);
    list_keys(&msg, "Unexpected", r.unexpected, r.n_unexpected);
    if (mism.len) sb_printf(&msg, "%s%s", msg.len ? " " : "", mism.s);
    free(mism.s);
    oom |= mism.failed || msg.failed;

    lit_status st = LIT_OK;
    if (r.n_mismatched) st = LIT_ERR_SHAPE;
    else if (strict && (r.n_missing || r.n_unexpected)) st = LIT_ERR_NOT_FOUND;

    if (oom) {
        /* The checks may have missed a key: copy nothing. */
        st = lit_set_error(LIT_ERR_NOMEM, "lit_state_dict_load into '%s': out of memory building the report",
                           lit_arena_name(s->arena));
    } else if (st == LIT_OK) {
        for (int j = 0; j < s->n; j++)
            if (src_of[j] >= 0) lit_tensor_copy_(s->tensors[j], tensors[src_of[j]]);
    } else {
        lit_set_error(st, "Error(s) in loading state_dict into '%s'%s: %s", lit_arena_name(s->arena),
                      strict ? "" : " (strict=0)", msg.s ? msg.s : "");
    }
    free(src_of);

    if (report) {
        r.message = msg.s ? msg.s : lit__strdup("");
        *report = r;
    } else {
        free(msg.s);
        lit_state_dict_report_free(&r);
    }
    return st;
}
