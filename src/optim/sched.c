/*
 * src/optim/sched.c — the scheduler base (PyTorch's _LRScheduler): creation,
 * the initial step, step, get_last_lr, the (key, value) state, free.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim/sched-impl.h"

/* Per-group arrays are kept in a list freed with the scheduler. */
typedef struct group_array {
    struct group_array *next;
    double v[];
} group_array;

typedef struct {
    lit_scheduler s;
    group_array *arrays;
} sched_box;

double *lit__sched_group_array(lit_scheduler *s) {
    sched_box *b = (sched_box *)s;
    group_array *a = calloc(1, sizeof *a + (size_t)(s->n_groups ? s->n_groups : 1) * sizeof(double));
    if (!a) return NULL;
    a->next = b->arrays;
    b->arrays = a;
    return a->v;
}

int lit__sched_add_entry(lit_scheduler *s, const char *name, double *d, int64_t *i) {
    if (s->n_entries == s->cap_entries) {
        int cap = s->cap_entries ? s->cap_entries * 2 : 16;
        sched_entry *e = realloc(s->entries, (size_t)cap * sizeof *e);
        if (!e) return -1;
        s->entries = e;
        s->cap_entries = cap;
    }
    sched_entry *e = &s->entries[s->n_entries++];
    snprintf(e->name, sizeof e->name, "%s", name);
    e->d = d;
    e->i = i;
    return 0;
}

lit_scheduler *lit__sched_alloc(lit_optimizer *opt, const sched_ops *ops) {
    LIT_ASSERT(opt != NULL, "%s: optimizer is NULL; attach the scheduler to an optimizer", ops->name);
    sched_box *b = calloc(1, sizeof *b);
    if (!b) {
        lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", ops->name);
        return NULL;
    }
    lit_scheduler *s = &b->s;
    s->ops = ops;
    s->opt = opt;
    s->n_groups = lit_optimizer_num_groups(opt);
    s->last_epoch = -1;
    s->base_lrs = lit__sched_group_array(s);
    s->last_lr = lit__sched_group_array(s);
    s->tmp = lit__sched_group_array(s);
    int ok = s->base_lrs && s->last_lr && s->tmp;
    char key[64];
    if (ok && !ops->own_state) {
        ok = lit__sched_add_entry(s, "last_epoch", NULL, &s->last_epoch) == 0 &&
             lit__sched_add_entry(s, "_step_count", NULL, &s->step_count) == 0;
        for (int g = 0; ok && g < s->n_groups; g++) {
            snprintf(key, sizeof key, "base_lrs.%d", g);
            ok = lit__sched_add_entry(s, key, &s->base_lrs[g], NULL) == 0;
        }
    }
    for (int g = 0; ok && g < s->n_groups; g++) {
        snprintf(key, sizeof key, "_last_lr.%d", g);
        ok = lit__sched_add_entry(s, key, &s->last_lr[g], NULL) == 0;
    }
    for (int g = 0; g < s->n_groups && s->last_lr; g++) s->last_lr[g] = lit_optimizer_get_lr(opt, g);
    if (!ok) {
        lit_scheduler_free(s);
        lit_set_error(LIT_ERR_NOMEM, "%s: out of memory", ops->name);
        return NULL;
    }
    return s;
}

lit_scheduler *lit__sched_fail(lit_scheduler *s, lit_status st, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    lit_scheduler_free(s);
    lit_set_error(st, "%s", msg);
    return NULL;
}

static void check_groups(const lit_scheduler *s) {
    int n = lit_optimizer_num_groups(s->opt);
    LIT_ASSERT(n == s->n_groups,
               "%s: the optimizer has %d parameter groups but the scheduler was made for %d; add every group "
               "before creating the scheduler",
               s->ops->name, n, s->n_groups);
}

void lit__sched_record_last_lr(lit_scheduler *s) {
    for (int g = 0; g < s->n_groups; g++) s->last_lr[g] = lit_optimizer_get_lr(s->opt, g);
}

lit_status lit__sched_base_step(lit_scheduler *s, int64_t epoch) {
    check_groups(s);
    int64_t old_epoch = s->last_epoch, old_count = s->step_count;
    s->step_count++;
    lit_status st;
    if (epoch < 0) {
        s->last_epoch++;
        st = s->ops->get_lr(s, s->tmp);
    } else {
        s->last_epoch = epoch;
        st = s->ops->closed_form ? s->ops->closed_form(s, s->tmp) : s->ops->get_lr(s, s->tmp);
    }
    if (st < 0) {
        s->last_epoch = old_epoch;
        s->step_count = old_count;
        return st;
    }
    for (int g = 0; g < s->n_groups; g++) lit_optimizer_set_lr(s->opt, g, s->tmp[g]);
    lit__sched_record_last_lr(s);
    return LIT_OK;
}

lit_status lit__sched_step_epoch(lit_scheduler *s, int64_t epoch) {
    if (s->ops->step) return s->ops->step(s, epoch);
    return lit__sched_base_step(s, epoch);
}

lit_scheduler *lit__sched_init(lit_scheduler *s) {
    for (int g = 0; g < s->n_groups; g++) {
        lit_param_group *pg = lit_optimizer_group(s->opt, g);
        if (isnan(pg->initial_lr)) pg->initial_lr = pg->lr;
        s->base_lrs[g] = pg->initial_lr;
    }
    s->last_epoch = -1;
    s->step_count = 0; /* _initial_step */
    lit_status st = lit__sched_step_epoch(s, -1);
    if (st < 0) return lit__sched_fail(s, st, "%s: initial step failed: %s", s->ops->name, lit_last_error());
    return s;
}

/* ---------------------------------------------------------------- public */

void lit_scheduler_free(lit_scheduler *s) {
    if (!s) return;
    for (int c = 0; c < s->n_children; c++) lit_scheduler_free(s->children[c]);
    free(s->children);
    free(s->milestones);
    free(s->fns);
    free(s->users);
    free(s->entries);
    sched_box *b = (sched_box *)s;
    for (group_array *a = b->arrays, *next; a; a = next) {
        next = a->next;
        free(a);
    }
    free(b);
}

lit_status lit_scheduler_step(lit_scheduler *s) {
    LIT_ASSERT(s != NULL, "lit_scheduler_step: scheduler is NULL");
    LIT_ASSERT(!s->ops->needs_metric,
               "%s: needs the monitored metric; call lit_scheduler_step_metric(s, value) instead of "
               "lit_scheduler_step",
               s->ops->name);
    return lit__sched_step_epoch(s, -1);
}

lit_status lit_scheduler_step_metric(lit_scheduler *s, double metric) {
    LIT_ASSERT(s != NULL, "lit_scheduler_step_metric: scheduler is NULL");
    if (!s->ops->needs_metric) return lit__sched_step_epoch(s, -1);
    check_groups(s);
    s->metric = metric;
    return s->ops->step(s, -1);
}

int lit_scheduler_needs_metric(const lit_scheduler *s) {
    LIT_ASSERT(s != NULL, "lit_scheduler_needs_metric: scheduler is NULL");
    return s->ops->needs_metric;
}

const double *lit_scheduler_get_last_lr(const lit_scheduler *s, int *n_groups) {
    LIT_ASSERT(s != NULL, "lit_scheduler_get_last_lr: scheduler is NULL");
    if (n_groups) *n_groups = s->n_groups;
    return s->last_lr;
}

int64_t lit_scheduler_last_epoch(const lit_scheduler *s) {
    LIT_ASSERT(s != NULL, "lit_scheduler_last_epoch: scheduler is NULL");
    return s->last_epoch;
}

const char *lit_scheduler_name(const lit_scheduler *s) {
    LIT_ASSERT(s != NULL, "lit_scheduler_name: scheduler is NULL");
    return s->ops->name;
}

lit_optimizer *lit_scheduler_optimizer(const lit_scheduler *s) {
    LIT_ASSERT(s != NULL, "lit_scheduler_optimizer: scheduler is NULL");
    return s->opt;
}

int lit_scheduler_state_count(const lit_scheduler *s) {
    LIT_ASSERT(s != NULL, "lit_scheduler_state_count: scheduler is NULL");
    return s->n_entries;
}

void lit_scheduler_state_at(const lit_scheduler *s, int k, const char **key, double *value) {
    LIT_ASSERT(s != NULL, "lit_scheduler_state_at: scheduler is NULL");
    LIT_ASSERT(k >= 0 && k < s->n_entries, "%s: state entry %d does not exist; there are %d", s->ops->name, k,
               s->n_entries);
    const sched_entry *e = &s->entries[k];
    if (key) *key = e->name;
    if (value) *value = e->d ? *e->d : (double)*e->i;
}

static const sched_entry *find_entry(const lit_scheduler *s, const char *key) {
    for (int k = 0; k < s->n_entries; k++)
        if (strcmp(s->entries[k].name, key) == 0) return &s->entries[k];
    return NULL;
}

lit_status lit_scheduler_state_get(const lit_scheduler *s, const char *key, double *value) {
    LIT_ASSERT(s != NULL && key != NULL && value != NULL, "lit_scheduler_state_get: NULL argument");
    const sched_entry *e = find_entry(s, key);
    if (!e) return lit_set_error(LIT_ERR_NOT_FOUND, "%s: no state key '%s'", s->ops->name, key);
    *value = e->d ? *e->d : (double)*e->i;
    return LIT_OK;
}

lit_status lit_scheduler_state_set(lit_scheduler *s, const char *key, double value) {
    LIT_ASSERT(s != NULL && key != NULL, "lit_scheduler_state_set: NULL argument");
    const sched_entry *e = find_entry(s, key);
    if (!e) return lit_set_error(LIT_ERR_NOT_FOUND, "%s: no state key '%s'", s->ops->name, key);
    if (e->d) {
        *e->d = value;
    } else {
        if (!(isfinite(value) && value == floor(value) && fabs(value) < 9.0e15))
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s: state key '%s' is an integer; got %.17g", s->ops->name,
                                 key, value);
        *e->i = (int64_t)value;
    }
    return LIT_OK;
}
