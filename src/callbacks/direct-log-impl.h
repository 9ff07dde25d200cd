/*
 * src/callbacks/direct-log-impl.h — what the monitoring callbacks
 * (LearningRateMonitor, ThroughputMonitor, DeviceStatsMonitor) share: a
 * growable list of (name, value) pairs for their last values, and sending
 * such a list to the Trainer's loggers directly, as Lightning's callbacks
 * call logger.log_metrics themselves.
 *
 * Private to src/callbacks; everything is static inline.
 */
#ifndef LITC_CALLBACKS_DIRECT_LOG_IMPL_H
#define LITC_CALLBACKS_DIRECT_LOG_IMPL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "litc/callbacks.h"

/* Names are owned copies; set() replaces the value of an existing name. */
typedef struct {
    int n, cap;
    char **names;
    double *values;
} lit__kv_list;

static inline void lit__kv_clear(lit__kv_list *l) {
    for (int i = 0; i < l->n; i++) free(l->names[i]);
    l->n = 0;
}

static inline void lit__kv_free(lit__kv_list *l) {
    lit__kv_clear(l);
    free(l->names);
    free(l->values);
    *l = (lit__kv_list){ 0 };
}

static inline int lit__kv_find(const lit__kv_list *l, const char *name) {
    for (int i = 0; i < l->n; i++)
        if (!strcmp(l->names[i], name)) return i;
    return -1;
}

static inline lit_status lit__kv_set(lit__kv_list *l, const char *name, double v) {
    int i = lit__kv_find(l, name);
    if (i >= 0) {
        l->values[i] = v;
        return LIT_OK;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 8;
        char **nn = realloc(l->names, (size_t)cap * sizeof *nn);
        if (!nn) return lit_set_error(LIT_ERR_NOMEM, "callback values: out of memory");
        l->names = nn;
        double *vv = realloc(l->values, (size_t)cap * sizeof *vv);
        if (!vv) return lit_set_error(LIT_ERR_NOMEM, "callback values: out of memory");
        l->values = vv;
        l->cap = cap;
    }
    char *copy = strdup(name);
    if (!copy) return lit_set_error(LIT_ERR_NOMEM, "callback values: out of memory");
    l->names[l->n] = copy;
    l->values[l->n] = v;
    l->n++;
    return LIT_OK;
}

/*
 * l's pairs to every logger of the trainer at `step` (then save() when
 * `save`). A failing logger is warned about once — `*failed` remembers it
 * (bit i for logger i; loggers past 63 are retried each time) — and
 * skipped afterwards: logging never fails a run (loggers.h).
 */
static inline void lit__kv_send(lit_trainer *tr, const lit__kv_list *l, int64_t step, int save, uint64_t *failed,
                                const char *who) {
    if (l->n == 0) return;
    for (int i = 0; i < lit_trainer_num_loggers(tr); i++) {
        uint64_t bit = i < 64 ? (uint64_t)1 << i : 0;
        if (*failed & bit) continue;
        lit_logger *lg = lit_trainer_logger(tr, i);
        lit_status st = lg->log_metrics(lg, l->n, (const char *const *)l->names, l->values, step);
        if (st >= 0 && save && lg->save) st = lg->save(lg);
        if (st < 0) {
            *failed |= bit;
            lit_logf(LIT_LOG_WARN, "%s: logger %s failed and is skipped by this callback: %s", who,
                     lg->name ? lg->name : "?", lit_last_error());
            lit_clear_error();
        }
    }
}

#endif
