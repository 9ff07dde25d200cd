/*
 * src/optim/sched-sequential.c — SequentialLR (torch 1.13): hand the
 * schedule from one scheduler to the next at given milestones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "optim/sched-impl.h"

static lit_status seq_step(lit_scheduler *s, int64_t epoch) {
    (void)epoch; /* SequentialLR.step() takes no epoch */
    s->last_epoch += 1;
    int idx = 0; /* bisect_right(milestones, last_epoch) */
    while (idx < s->n_milestones && s->milestones[idx] <= s->last_epoch) idx++;
    lit_scheduler *c = s->children[idx];
    lit_status st;
    if (idx > 0 && s->milestones[idx - 1] == s->last_epoch)
        st = lit__sched_step_epoch(c, 0);
    else
        st = lit__sched_step_epoch(c, -1);
    if (st < 0) {
        s->last_epoch -= 1;
        return st;
    }
    memcpy(s->last_lr, c->last_lr, (size_t)s->n_groups * sizeof(double));
    return LIT_OK;
}

static lit_status seq_get_lr(lit_scheduler *s, double *out) {
    memcpy(out, s->last_lr, (size_t)s->n_groups * sizeof(double));
    return LIT_OK;
}

static const sched_ops SEQ_OPS = {.name = "SequentialLR", .get_lr = seq_get_lr, .step = seq_step, .own_state = 1};

lit_scheduler *lit_sequential_lr_new(lit_optimizer *opt, lit_scheduler **scheds, int n, const int64_t *milestones) {
    LIT_ASSERT(n >= 1 && scheds != NULL, "SequentialLR: %d schedulers at %p; pass an array of n >= 1 schedulers", n,
               (const void *)scheds);
    LIT_ASSERT(n == 1 || milestones != NULL, "SequentialLR: pass n - 1 = %d milestones", n - 1);
    lit_scheduler *s = lit__sched_alloc(opt, &SEQ_OPS);
    if (!s) {
        for (int i = 0; i < n; i++) lit_scheduler_free(scheds[i]);
        return NULL;
    }
    s->children = calloc((size_t)n, sizeof *s->children);
    s->milestones = malloc((size_t)n * sizeof(int64_t));
    if (!s->children || !s->milestones) {
        for (int i = 0; i < n; i++) lit_scheduler_free(scheds[i]);
        return lit__sched_fail(s, LIT_ERR_NOMEM, "SequentialLR: out of memory");
    }
    for (int i = 0; i < n; i++) s->children[i] = scheds[i];
    s->n_children = n; /* owned from here: freed with s on failure */
    s->n_milestones = n - 1;
    if (n > 1) memcpy(s->milestones, milestones, (size_t)(n - 1) * sizeof(int64_t));
    for (int i = 0; i < n; i++) {
        lit_scheduler *c = scheds[i];
        if (!c)
            return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "SequentialLR: scheduler %d is NULL (did its creation fail?)",
                                   i);
        if (c->opt != opt)
            return lit__sched_fail(s, LIT_ERR_INVALID_ARG,
                                   "SequentialLR: scheduler %d (%s) belongs to another optimizer; all must use the "
                                   "one passed in",
                                   i, c->ops->name);
        if (c->ops->needs_metric || c->ops == &SEQ_OPS)
            return lit__sched_fail(s, LIT_ERR_INVALID_ARG, "SequentialLR: scheduler %d is a %s, which cannot be chained",
                                   i, c->ops->name);
    }
    for (int i = 1; i < n - 1; i++)
        if (s->milestones[i] < s->milestones[i - 1])
            return lit__sched_fail(s, LIT_ERR_INVALID_ARG,
                                   "SequentialLR: milestones must increase; milestones[%d] = %lld < milestones[%d] = %lld",
                                   i, (long long)s->milestones[i], i - 1, (long long)s->milestones[i - 1]);
    /* state: last_epoch, _last_lr (base), _milestones, _schedulers.<i>.<key> */
    int ok = lit__sched_add_entry(s, "last_epoch", NULL, &s->last_epoch) == 0;
    char key[160];
    for (int i = 0; ok && i < n; i++) {
        for (int k = 0; ok && k < scheds[i]->n_entries; k++) {
            const sched_entry *e = &scheds[i]->entries[k];
            snprintf(key, sizeof key, "_schedulers.%d.%s", i, e->name);
            ok = lit__sched_add_entry(s, key, e->d, e->i) == 0;
        }
    }
    if (!ok) return lit__sched_fail(s, LIT_ERR_NOMEM, "SequentialLR: out of memory");

    s->last_epoch = 0; /* last_epoch + 1 with last_epoch = -1 */
    /* reset learning rates back to initial values */
    for (int g = 0; g < s->n_groups; g++) {
        lit_param_group *pg = lit_optimizer_group(opt, g);
        lit_optimizer_set_lr(opt, g, pg->initial_lr);
    }
    /* "undo" the step performed by the other schedulers */
    for (int i = 0; i < n; i++) scheds[i]->last_epoch -= 1;
    /* perform the initial step for only the first scheduler */
    scheds[0]->step_count = 0;
    lit_status st = lit__sched_step_epoch(scheds[0], -1);
    if (st < 0) return lit__sched_fail(s, st, "SequentialLR: initial step failed: %s", lit_last_error());
    memcpy(s->last_lr, scheds[0]->last_lr, (size_t)s->n_groups * sizeof(double));
    return s;
}
