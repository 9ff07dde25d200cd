/*
 * src/train/hooks.c — hook dispatch: callbacks first, then the module
 * (Lightning's call order), with the failing hook named in the error.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "train/train-impl.h"

typedef lit_status (*cb_simple_fn)(lit_callback *cb, lit_trainer *tr, lit_module *m);
typedef lit_status (*mod_simple_fn)(lit_module *m);

/* Prefix the user's message with the hook so a failure deep in a run says
 * where it happened. Positive statuses are not failures. */
lit_status lit__hook_fail(lit_status st, const char *hook) {
    if (st >= 0) return st;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", lit_last_error());
    if (strncmp(msg, hook, strlen(hook)) == 0) return lit_set_error(st, "%s", msg); /* already prefixed */
    return lit_set_error(st, "%s: %s", hook, msg[0] ? msg : lit_status_str(st));
}

/* fn(ctx) under lit__oom_guard; `returned` tells a status fn returned
 * (already prefixed by its hook) from a jump out of an allocation. */
typedef struct {
    lit_status (*fn)(void *ctx);
    void *ctx;
    int returned;
} guarded_call;

static lit_status guarded_call_run(void *ctx) {
    guarded_call *g = ctx;
    lit_status st = g->fn(g->ctx);
    g->returned = 1;
    return st;
}

/* The guard, restoring what a jump skips: the hook name, grad mode and the
 * current arena (lit__oom_guard restores the arena). */
static lit_status run_guarded(lit_trainer *tr, const char *where, lit_status (*fn)(void *ctx), void *ctx) {
    guarded_call g = { fn, ctx, 0 };
    const char *prev_fx = tr->fx;
    int grad = lit_is_grad_enabled();
    lit__op_enter(NULL); /* no op of an earlier step is named in a message */
    lit_status st = lit__oom_guard(guarded_call_run, &g);
    if (!g.returned) {
        st = lit__hook_fail(st, tr->fx ? tr->fx : where); /* the hook that was running */
        tr->fx = prev_fx;
        lit_set_grad_enabled(grad); /* a jump out of backward skips its restore */
    }
    return st;
}

lit_status lit__run_guarded(lit_trainer *tr, const char *where, lit_status (*fn)(void *ctx), void *ctx) {
    return run_guarded(tr, where, fn, ctx);
}

lit_status lit__run_step_guarded(lit_trainer *tr, lit_status (*fn)(void *ctx), void *ctx) {
    lit_arena *prev = lit_arena_use(tr->step_arena);
    lit_status st = run_guarded(tr, "step", fn, ctx);
    lit_arena_use(prev);
    return st;
}

/* monitoring_pass: 0 = non-monitoring callbacks, 1 = monitoring ones, 2 = all. */
lit_status lit__cb_simple(lit_trainer *tr, size_t offset, const char *hook, int monitoring_pass) {
    const char *prev_fx = tr->fx;
    tr->fx = hook;
    for (int i = 0; i < tr->n_callbacks; i++) {
        lit_callback *cb = &tr->callbacks[i];
        if (monitoring_pass != 2 && (cb->monitoring != 0) != (monitoring_pass == 1)) continue;
        cb_simple_fn fn;
        memcpy(&fn, (const char *)cb + offset, sizeof fn);
        if (!fn) continue;
        lit_status st = fn(cb, tr, tr->module);
        if (st < 0) {
            tr->fx = prev_fx;
            char where[160];
            snprintf(where, sizeof where, "%s.%s", cb->name ? cb->name : "callback", hook);
            return lit__hook_fail(st, where);
        }
    }
    tr->fx = prev_fx;
    return LIT_OK;
}

typedef struct {
    lit_trainer *tr;
    size_t cb_offset, mod_offset;
    const char *hook;
} stage_call;

static lit_status stage_hook_run(void *ctx) {
    const stage_call *c = ctx;
    lit_trainer *tr = c->tr;
    /* on_train_epoch_end: monitoring callbacks (checkpoint, early stopping)
     * see what the module's hook logged, so they run last. */
    int split = strcmp(c->hook, "on_train_epoch_end") == 0;
    LIT_TRY(lit__cb_simple(tr, c->cb_offset, c->hook, split ? 0 : 2));
    mod_simple_fn fn;
    memcpy(&fn, (const char *)tr->module->vt + c->mod_offset, sizeof fn);
    if (fn) {
        /* The hook decides what lit_module_log allows (Lightning's _FxValidator). */
        const char *prev_fx = tr->fx;
        tr->fx = c->hook;
        lit_status st = fn(tr->module);
        tr->fx = prev_fx;
        if (st < 0) return lit__hook_fail(st, c->hook);
    }
    if (split) LIT_TRY(lit__cb_simple(tr, c->cb_offset, c->hook, 1));
    return LIT_OK;
}

lit_status lit__call_stage_hook(lit_trainer *tr, size_t cb_offset, size_t mod_offset, const char *hook) {
    /* Under a recovery point, as the steps: an op in an epoch hook whose
     * output cannot be allocated fails the hook with LIT_ERR_NOMEM. */
    stage_call c = { tr, cb_offset, mod_offset, hook };
    return run_guarded(tr, hook, stage_hook_run, &c);
}

void lit__call_on_exception(lit_trainer *tr, lit_status st) {
    for (int i = 0; i < tr->n_callbacks; i++)
        if (tr->callbacks[i].on_exception) tr->callbacks[i].on_exception(&tr->callbacks[i], tr, tr->module, st);
    if (tr->module && tr->module->vt->on_exception) tr->module->vt->on_exception(tr->module, st);
}
