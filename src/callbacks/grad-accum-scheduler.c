/*
 * src/callbacks/grad-accum-scheduler.c — Lightning 2.x's
 * GradientAccumulationScheduler
 * (lightning/pytorch/callbacks/gradient_accumulation_scheduler.py): the
 * accumulation factor as a function of the epoch, set at every epoch
 * start. See monitors.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/callbacks.h"

typedef struct {
    int n;
    lit_accumulation_step *steps; /* sorted by epoch; steps[0].epoch == 0 */
    int64_t trainer_value;        /* the Trainer's accumulate_grad_batches at train start */
    int active;                   /* between train start and teardown: restore at teardown */
} gas_state;

static int by_epoch(const void *a, const void *b) {
    int64_t x = ((const lit_accumulation_step *)a)->epoch, y = ((const lit_accumulation_step *)b)->epoch;
    return (x > y) - (x < y);
}

static int64_t factor_for(const gas_state *s, int64_t epoch) {
    /* the largest scheduled epoch <= epoch */
    for (int i = s->n - 1; i >= 0; i--)
        if (epoch >= s->steps[i].epoch) return s->steps[i].factor;
    return 1;
}

static lit_status gas_on_train_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    gas_state *s = cb->user;
    if (!m->automatic_optimization)
        return lit_set_error(LIT_ERR_CONFIG, "Automatic gradient accumulation and the `GradientAccumulationScheduler` "
                             "is not supported for manual optimization. Please remove the callback or switch to "
                             "automatic optimization.");
    int accumulates = 0;
    for (int i = 0; i < s->n; i++) accumulates |= s->steps[i].factor > 1;
    if (accumulates && (m->vt->optimizer_step || m->vt->optimizer_zero_grad))
        lit_logf(LIT_LOG_WARN, "When using `Trainer(accumulate_grad_batches != 1)` and overriding "
                 "`LightningModule.optimizer_{step,zero_grad}`, the hooks will not be called on every batch (rather, "
                 "they are called on every optimization step).");
    int64_t cur = lit_trainer_get_params(tr)->accumulate_grad_batches;
    if (cur != 1)
        return lit_set_error(LIT_ERR_CONFIG, "You have set `accumulate_grad_batches` (%" PRId64 ") and are using the "
                             "`GradientAccumulationScheduler` callback. Either remove `accumulate_grad_batches` from "
                             "the Trainer or remove the callback.", cur);
    s->trainer_value = cur;
    s->active = 1;
    return LIT_OK;
}

static lit_status gas_on_train_epoch_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    gas_state *s = cb->user;
    return lit_trainer_set_accumulate_grad_batches(tr, factor_for(s, lit_trainer_current_epoch(tr)));
}

static lit_status gas_teardown(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)m;
    gas_state *s = cb->user;
    if (stage != LIT_STAGE_FIT || !s->active) return LIT_OK;
    /* Give the next fit on this Trainer the value it was configured with,
     * so its train-start check sees the user's setting, not our last factor. */
    s->active = 0;
    return lit_trainer_set_accumulate_grad_batches(tr, s->trainer_value);
}

static void gas_free(lit_callback *cb) {
    gas_state *s = cb->user;
    if (!s) return;
    free(s->steps);
    free(s);
    cb->user = NULL;
}

/* "[k0, k1, ...]" of the epochs (which = 0) or factors (1), as Python prints the list. */
static void list_of(const lit_accumulation_step *sc, int n, int which, char *out, size_t size) {
    size_t L = (size_t)snprintf(out, size, "[");
    for (int i = 0; i < n && L < size; i++)
        L += (size_t)snprintf(out + L, size - L, "%s%" PRId64, i ? ", " : "", which ? sc[i].factor : sc[i].epoch);
    if (L < size) snprintf(out + L, size - L, "]");
}

lit_status lit_grad_accum_scheduler_callback(lit_callback *cb, const lit_accumulation_step *scheduling, int n) {
    LIT_ASSERT(cb, "lit_grad_accum_scheduler_callback: cb must not be NULL");
    if (!scheduling || n <= 0)
        return lit_set_error(LIT_ERR_CONFIG, "GradientAccumulationScheduler: Empty dict cannot be interpreted correct");
    char list[512];
    for (int i = 0; i < n; i++)
        if (scheduling[i].epoch < 0) {
            list_of(scheduling, n, 0, list, sizeof list);
            return lit_set_error(LIT_ERR_CONFIG, "Epoch should be an int greater than or equal to 0. Got %s.", list);
        }
    for (int i = 0; i < n; i++)
        if (scheduling[i].factor < 1) {
            list_of(scheduling, n, 1, list, sizeof list);
            return lit_set_error(LIT_ERR_CONFIG, "Accumulation factor should be an int greater than 0. Got %s.", list);
        }
    gas_state *s = calloc(1, sizeof *s);
    lit_accumulation_step *steps = calloc((size_t)n + 1, sizeof *steps);
    if (!s || !steps) {
        free(s), free(steps);
        return lit_set_error(LIT_ERR_NOMEM, "lit_grad_accum_scheduler_callback: out of memory");
    }
    memcpy(steps, scheduling, (size_t)n * sizeof *steps);
    qsort(steps, (size_t)n, sizeof *steps, by_epoch);
    for (int i = 1; i < n; i++)
        if (steps[i].epoch == steps[i - 1].epoch) {
            int64_t e = steps[i].epoch;
            free(s), free(steps);
            /* A dict cannot hold a key twice; an array can, and which one wins would be a guess. */
            return lit_set_error(LIT_ERR_CONFIG, "GradientAccumulationScheduler: epoch %" PRId64 " is scheduled twice",
                                 e);
        }
    if (steps[0].epoch != 0) { /* scheduling.update({0: 1}) */
        memmove(steps + 1, steps, (size_t)n * sizeof *steps);
        steps[0] = (lit_accumulation_step){ .epoch = 0, .factor = 1 };
        n++;
    }
    s->steps = steps;
    s->n = n;
    s->trainer_value = 1;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_GRAD_ACCUM_SCHEDULER_NAME,
        .user = s,
        .on_train_start = gas_on_train_start,
        .on_train_epoch_start = gas_on_train_epoch_start,
        .teardown = gas_teardown,
        .free = gas_free,
    };
    return LIT_OK;
}

int64_t lit_grad_accum_scheduler_factor(const lit_callback *cb, int64_t epoch) {
    LIT_ASSERT(cb && cb->on_train_epoch_start == gas_on_train_epoch_start && cb->user,
               "lit_grad_accum_scheduler_factor: the callback is not a GradientAccumulationScheduler or was freed");
    return factor_for(cb->user, epoch);
}
