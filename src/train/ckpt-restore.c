/*
 * src/train/ckpt-restore.c — fit(ckpt_path): load a checkpoint and put the
 * run back where it was, in Lightning's two steps (the weights, callback
 * and datamodule states before configure_optimizers; the optimizers,
 * schedulers, loops, random stream and logged values after it), plus
 * lit_module_load_weights / lit_module_load_from_checkpoint.
 *
 * A checkpoint is untrusted input (its checksum is public): every integer
 * is read with lit_checkpoint_get_int_range against what the code can
 * count to, and weights, gradients and optimizer state holding NaN or Inf
 * are refused by name unless the caller allows them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str-impl.h"
#include "litc/checkpoint.h"
#include "train/train-impl.h"

/* ---------------------------------------------------------------- non-finite tensors */

#define ALLOW_HINT_LOAD \
    "pass LIT_LOAD_ALLOW_NON_FINITE (litc: --trainer.allow_non_finite_checkpoint=true) to load it anyway"
#define ALLOW_HINT_FIT "set Trainer(allow_non_finite_checkpoint=1) to resume from it anyway"

/* A weight or optimizer state holding NaN or Inf: a run trained from it
 * only produces NaN, so it is refused by name unless the caller allows it. */
static lit_status refuse_non_finite(const lit_tensor *t, const char *name, const char *allow_hint) {
    if (!lit_dtype_is_float(t->dtype)) return LIT_OK;
    int64_t bad = 0, first = -1;
    if (t->dtype == LIT_F32) {
        const float *v = t->data;
        for (int64_t k = 0; k < t->numel; k++)
            if (!isfinite(v[k]) && bad++ == 0) first = k;
    } else {
        for (int64_t k = 0; k < t->numel; k++)
            if (!isfinite(lit_get_flat(t, k)) && bad++ == 0) first = k;
    }
    if (!bad) return LIT_OK;
    return lit_set_error(LIT_ERR_NUMERIC,
                         "checkpoint tensor \"%s\" holds %" PRId64 " non-finite value%s of %" PRId64
                         " (element %" PRId64 " is %g): training from it gives NaN; %s",
                         name, bad, bad == 1 ? "" : "s", t->numel, first, lit_get_flat(t, first), allow_hint);
}

static lit_status refuse_non_finite_double(double v, const char *key, const char *allow_hint) {
    if (isfinite(v)) return LIT_OK;
    return lit_set_error(LIT_ERR_NUMERIC, "checkpoint value \"%s\" is %g: training from it gives NaN; %s", key, v,
                         allow_hint);
}

/* ---------------------------------------------------------------- weights */

static lit_status load_weights(lit_module *m, const lit_checkpoint *ck, int flags, lit_state_dict_report *report,
                               const char *allow_hint) {
    if (!m->params) return lit_set_error(LIT_ERR_STATE, "load_weights: the module has no parameter store");
    /* litc checkpoints prefix the weights; plain safetensors files do not. */
    const char *prefix = lit_checkpoint_format_version(ck) > 0 ? "state_dict." : "";
    size_t L = strlen(prefix);
    int n = lit_checkpoint_tensor_count(ck), k = 0;
    const char **names = malloc((size_t)(n ? n : 1) * sizeof *names);
    lit_tensor **tensors = malloc((size_t)(n ? n : 1) * sizeof *tensors);
    lit_status st = names && tensors ? LIT_OK : lit_set_error(LIT_ERR_NOMEM, "load_weights: out of memory");
    for (int i = 0; i < n && st >= 0; i++) {
        const char *name = lit_checkpoint_tensor_name(ck, i);
        if (strncmp(name, prefix, L) != 0) continue;
        tensors[k] = lit_checkpoint_tensor_view(ck, name);
        if (!tensors[k]) st = LIT_ERR_NOMEM;
        else if (!(flags & LIT_LOAD_ALLOW_NON_FINITE)) st = refuse_non_finite(tensors[k], name, allow_hint);
        names[k++] = name + L;
    }
    if (st >= 0) st = lit_state_dict_load(m->params, k, names, tensors, flags & LIT_LOAD_STRICT, report);
    free(names);
    free(tensors);
    return st;
}

lit_status lit_module_load_weights(lit_module *m, const lit_checkpoint *ck, int strict,
                                   lit_state_dict_report *report) {
    LIT_ASSERT(m && ck, "lit_module_load_weights: NULL argument");
    return load_weights(m, ck, strict, report, ALLOW_HINT_LOAD);
}

/* ---------------------------------------------------------------- hyperparameters */

/* Read "hyper_parameters" as lit_hparam_values (strings point into ck). */
static lit_status read_hparams(const lit_checkpoint *ck, lit_hparam_value **out, int *n_out) {
    *out = NULL;
    *n_out = 0;
    int n = lit_checkpoint_key_count(ck, "hyper_parameters");
    if (n < 0) return LIT_OK; /* plain safetensors or no hparams */
    lit_hparam_value *v = calloc((size_t)(n ? n : 1), sizeof *v);
    if (!v) return lit_set_error(LIT_ERR_NOMEM, "load_from_checkpoint: out of memory");
    lit_status st = lit_checkpoint_enter_scope(ck, "hyper_parameters");
    for (int i = 0; i < n && st >= 0; i++) {
        const char *name = lit_checkpoint_key_at(ck, "", i);
        char *json = NULL;
        st = lit_checkpoint_get_json(ck, name, &json);
        if (st < 0) break;
        v[i].name = name;
        if (json[0] == '"') {
            v[i].kind = LIT_HPARAM_STRING;
            st = lit_checkpoint_get_string(ck, name, &v[i].s);
            /* "nan"/"inf" are how doubles without a JSON form are stored. */
            if (st >= 0 && (!strcmp(v[i].s, "nan") || !strcmp(v[i].s, "inf") || !strcmp(v[i].s, "-inf"))) {
                v[i].kind = LIT_HPARAM_DOUBLE;
                st = lit_checkpoint_get_double(ck, name, &v[i].d);
            }
        } else if (lit_checkpoint_get_int(ck, name, &v[i].i) == LIT_OK) {
            v[i].kind = LIT_HPARAM_INT;
        } else if (lit_checkpoint_get_double(ck, name, &v[i].d) == LIT_OK) {
            v[i].kind = LIT_HPARAM_DOUBLE;
            lit_clear_error();
        } else {
            st = lit_set_error(LIT_ERR_CORRUPT, "checkpoint hyper_parameters.%s is %s, not a number or a string", name,
                               json);
        }
        free(json);
    }
    lit_checkpoint_reset_scope(ck);
    if (st < 0) {
        free(v);
        return st;
    }
    *out = v;
    *n_out = n;
    return LIT_OK;
}

lit_status lit_module_load_from_checkpoint(const char *path, const lit_hparam_value *overrides, int n_overrides,
                                           lit_module_factory make, void *user, int strict, lit_module **out) {
    LIT_ASSERT(path && make && out && (n_overrides == 0 || overrides), "lit_module_load_from_checkpoint: NULL argument");
    *out = NULL;
    lit_checkpoint *ck = NULL;
    LIT_TRY(lit_checkpoint_load(&ck, path));
    lit_hparam_value *hv = NULL;
    int n = 0;
    lit_status st = read_hparams(ck, &hv, &n);
    /* Overrides replace saved values by name and may add new ones: a
     * scratch module collects both in save_hyperparameters' order. */
    lit_module scratch;
    static const lit_module_vtable SCRATCH_VT = { .version = LIT_MODULE_VERSION };
    lit_module_init(&scratch, &SCRATCH_VT, NULL, NULL);
    if (st >= 0) st = lit_module_save_hyperparameters(&scratch, n, hv, NULL);
    if (st >= 0 && n_overrides) st = lit_module_save_hyperparameters(&scratch, n_overrides, overrides, NULL);
    lit_module *m = NULL;
    if (st >= 0) st = lit__hook_fail(make(scratch.hparams, scratch.n_hparams, user, &m), "load_from_checkpoint: factory");
    if (st >= 0 && !m) st = lit_set_error(LIT_ERR_STATE, "load_from_checkpoint: the factory returned no module");
    if (st >= 0 && m->n_hparams == 0) {
        /* Record them as Lightning's self.hparams would have them. */
        for (int i = 0; i < scratch.n_hparams && st >= 0; i++) {
            const lit_hparam *h = &scratch.hparams[i];
            lit_hparam_value one = { .name = h->name, .kind = h->kind, .i = h->i, .d = h->d, .s = h->s };
            st = lit_module_save_hyperparameters(m, 1, &one, NULL);
        }
    }
    if (st >= 0) st = lit_module_load_weights(m, ck, strict, NULL);
    lit_module_deinit(&scratch);
    free(hv);
    lit_checkpoint_free(ck);
    if (st >= 0) *out = m;
    return st;
}

/* ---------------------------------------------------------------- fit(ckpt_path) */

/* "last" / "best": the first callback that knows such a checkpoint. */
static lit_status resolve_path(lit_trainer *tr, const char *ckpt_path, const char **path) {
    *path = ckpt_path;
    if (strcmp(ckpt_path, "last") != 0 && strcmp(ckpt_path, "best") != 0) return LIT_OK;
    for (int i = 0; i < tr->n_callbacks; i++) {
        lit_callback *cb = &tr->callbacks[i];
        const char *p = cb->checkpoint_path ? cb->checkpoint_path(cb, tr, ckpt_path) : NULL;
        if (p && p[0]) {
            *path = p;
            return LIT_OK;
        }
    }
    if (!strcmp(ckpt_path, "last")) {
        /* Lightning: "resume if there is something to resume from". */
        lit_logf(LIT_LOG_WARN, "fit(ckpt_path=\"last\"): there is no last checkpoint yet; starting fresh");
        *path = NULL;
        return LIT_OK;
    }
    return lit_set_error(LIT_ERR_NOT_FOUND,
                         "fit(ckpt_path=\"best\"): no best checkpoint is known (a ModelCheckpoint with a monitor "
                         "records the best); pass a path, or NULL to start fresh");
}

/* Enter the callback's state scope. A state_key holds Python reprs, which
 * litc 0.1 escaped less at first (EarlyStopping left \n raw, neither escaped
 * \r or control bytes): a checkpoint saved then is found under that form. */
static lit_status enter_callback_scope(const lit_checkpoint *ck, const char *key) {
    lit_status st = lit_checkpoint_enter_scope(ck, key);
    for (int keep_nt = 0; st == LIT_ERR_NOT_FOUND && keep_nt < 2; keep_nt++) {
        char *old = lit__py_repr_str_legacy(key, keep_nt);
        if (!old) return lit_set_error(LIT_ERR_NOMEM, "resume: out of memory");
        if (strcmp(old, key) != 0 && lit_checkpoint_enter_scope(ck, old) == LIT_OK) st = LIT_OK;
        free(old);
    }
    return st;
}

static lit_status restore_callbacks(lit_trainer *tr, const lit_checkpoint *ck) {
    for (int i = 0; i < tr->n_callbacks; i++) {
        lit_callback *cb = &tr->callbacks[i];
        if (!cb->state_load) continue;
        lit_status st = lit_checkpoint_enter_scope(ck, "callbacks");
        if (st >= 0) st = enter_callback_scope(ck, lit__callback_state_key(cb));
        if (st == LIT_ERR_NOT_FOUND) {
            /* Lightning warns too: a callback added since the checkpoint. */
            lit_logf(LIT_LOG_WARN, "resume: the checkpoint has no state for callback \"%s\"; it starts fresh",
                     lit__callback_state_key(cb));
            lit_checkpoint_reset_scope(ck);
            continue;
        }
        if (st >= 0) {
            /* Its keys are relative to its scope: name the scope in errors. */
            char where[LIT_NAME_MAX + 64];
            snprintf(where, sizeof where, "resume: callbacks.%s", lit__callback_state_key(cb));
            st = lit__hook_fail(cb->state_load(cb, ck), where);
        }
        lit_checkpoint_reset_scope(ck);
        LIT_TRY(st);
    }
    return LIT_OK;
}

lit_status lit__resume_begin(lit_trainer *tr, const char *ckpt_path) {
    const char *path;
    LIT_TRY(resolve_path(tr, ckpt_path, &path));
    if (!path) return LIT_OK; /* "last" with nothing saved yet */
    snprintf(tr->ckpt_path, sizeof tr->ckpt_path, "%s", path);
    lit_checkpoint *ck = NULL;
    LIT_TRY(lit_checkpoint_load(&ck, path));
    tr->resume_ck = ck;
    int64_t weights_only = 0;
    if (lit_checkpoint_format_version(ck) == 0 ||
        (lit_checkpoint_get_int(ck, "weights_only", &weights_only) == LIT_OK && weights_only) ||
        !lit_checkpoint_has(ck, "loops"))
        return lit_set_error(LIT_ERR_CONFIG,
                             "fit(ckpt_path=%s): a weights-only file cannot resume a fit; load it with "
                             "lit_module_load_weights and fit without ckpt_path",
                             path);
    lit_module *m = tr->module;
    if (m->params) {
        lit_state_dict_report rep = { 0 };
        int flags = LIT_LOAD_STRICT | (tr->p.allow_non_finite_checkpoint ? LIT_LOAD_ALLOW_NON_FINITE : 0);
        lit_status st = load_weights(m, ck, flags, &rep, ALLOW_HINT_FIT);
        if (st < 0) {
            char why[1024]; /* copied: lit_set_error writes where lit_last_error points */
            snprintf(why, sizeof why, "%s", rep.message && rep.message[0] ? rep.message : lit_last_error());
            lit_state_dict_report_free(&rep);
            if (st == LIT_ERR_NUMERIC) return lit_set_error(st, "fit(ckpt_path=%s): %s", path, why);
            return lit_set_error(LIT_ERR_CONFIG, "fit(ckpt_path=%s): the checkpoint is of another model: %s", path,
                                 why);
        }
        lit_state_dict_report_free(&rep);
    }
    LIT_TRY(restore_callbacks(tr, ck));
    if (tr->dm->state_load && lit_checkpoint_enter_scope(ck, "datamodule") == LIT_OK) {
        lit_status st = lit__hook_fail(tr->dm->state_load(tr->dm->user, ck), "datamodule.state_load");
        lit_checkpoint_reset_scope(ck);
        LIT_TRY(st);
    }
    lit_clear_error();
    tr->fx = "on_load_checkpoint";
    for (int i = 0; i < tr->n_callbacks; i++) {
        lit_callback *cb = &tr->callbacks[i];
        if (cb->on_load_checkpoint)
            LIT_TRY(lit__hook_fail(cb->on_load_checkpoint(cb, tr, m, ck), "on_load_checkpoint"));
        lit_checkpoint_reset_scope(ck);
    }
    if (m->vt->on_load_checkpoint) LIT_TRY(lit__hook_fail(m->vt->on_load_checkpoint(m, ck), "on_load_checkpoint"));
    lit_checkpoint_reset_scope(ck);
    tr->fx = NULL;
    return LIT_OK;
}

/* ---------------------------------------------------------------- training state */

#define COUNTER_MAX LIT_CHECKPOINT_COUNTER_MAX

/* A number of items the restore loops over (optimizers, logged values). */
#define LIST_MAX ((int64_t)1 << 20)

/* What a refusal of NaN/Inf state tells the user, or NULL when this run
 * takes such state (Trainer(allow_non_finite_checkpoint=1)). */
static const char *refusal_hint(const lit_trainer *tr) {
    return tr->p.allow_non_finite_checkpoint ? NULL : ALLOW_HINT_FIT;
}

/* A failing status with what the value means in front of its message:
 * "resume: the number of lr schedulers: checkpoint value ...". */
static lit_status in_context(lit_status st, const char *what) {
    if (st >= 0) return st;
    char why[1024]; /* copied: lit_set_error writes where lit_last_error points */
    snprintf(why, sizeof why, "%s", lit_last_error());
    return lit_set_error(st, "resume: %s: %s", what, why);
}

static lit_status get_count(const lit_checkpoint *ck, const char *key, int64_t have, const char *what) {
    int64_t n;
    char number_of[64];
    snprintf(number_of, sizeof number_of, "the number of %s", what);
    LIT_TRY(in_context(lit_checkpoint_get_int_range(ck, key, 0, LIST_MAX, &n), number_of));
    if (n != have)
        return lit_set_error(LIT_ERR_CONFIG, "resume: the checkpoint has %" PRId64 " %s, configure_optimizers made %" PRId64
                             "; resume with the same optimizers and schedulers",
                             n, what, have);
    return LIT_OK;
}

/* A param group's hyperparameter (the group is checked whole afterwards:
 * initial_lr, for one, holds NaN for "None"). */
static lit_status restore_hparam(const lit_checkpoint *ck, lit_optimizer *opt, int g, const char *key,
                                 const char *name) {
    double v;
    LIT_TRY(lit_checkpoint_get_double(ck, key, &v));
    return lit_optimizer_set_hparam(opt, g, name, v);
}

/* The restored group obeys the optimizer's own rules (lr >= 0, 0 <= betas
 * < 1, eps >= 0, ...): a checkpoint cannot set what the constructor refuses. */
static lit_status check_restored_group(const lit_optimizer *opt, int o, int g) {
    if (lit_optimizer_check_group(opt, g) == LIT_OK) return LIT_OK;
    char why[512];
    snprintf(why, sizeof why, "%s", lit_last_error());
    return lit_set_error(LIT_ERR_CORRUPT, "checkpoint optimizer_param_groups.%d.%d: %s; the checkpoint is damaged or "
                         "was not written by litc", o, g, why);
}

/* One state slot (Adam's step, exp_avg, ...): finite unless allowed, and a
 * step count that is a count. */
static lit_status restore_slot(lit_trainer *tr, lit_optimizer *opt, int p, const char *slot, const char *key,
                               const lit_tensor *t) {
    if (refusal_hint(tr)) LIT_TRY(refuse_non_finite(t, key, refusal_hint(tr)));
    if (!strcmp(slot, "step"))
        for (int64_t k = 0; k < t->numel; k++) {
            double v = lit_get_flat(t, k);
            if (!(v >= 0 && v <= (double)COUNTER_MAX))
                return lit_set_error(LIT_ERR_CORRUPT, "checkpoint tensor \"%s\" is %g, outside the range 0..%" PRId64
                                     " that litc can use; the checkpoint is damaged or was not written by litc",
                                     key, v, COUNTER_MAX);
        }
    return lit_optimizer_load_state(opt, p, slot, t);
}

/* *n_used: how many optimizer_states.* tensors it restored. */
static lit_status restore_optimizers(lit_trainer *tr, const lit_checkpoint *ck, int *n_used) {
    *n_used = 0;
    LIT_TRY(get_count(ck, "optimizers", tr->optim.n_optimizers, "optimizers"));
    char key[LIT_NAME_MAX + 96], buf[32];
    for (int o = 0; o < tr->optim.n_optimizers; o++) {
        lit_optimizer *opt = tr->optim.optimizers[o];
        for (int g = 0; g < lit_optimizer_num_groups(opt); g++) {
            int64_t np;
            snprintf(key, sizeof key, "optimizer_param_groups.%d.%d.n_params", o, g);
            LIT_TRY(lit_checkpoint_get_int_range(ck, key, 0, INT32_MAX, &np));
            if (np != lit_optimizer_group(opt, g)->n_params)
                return lit_set_error(LIT_ERR_CONFIG, "resume: optimizer %d group %d has %d parameters, the checkpoint's "
                                     "%" PRId64, o, g, lit_optimizer_group(opt, g)->n_params, np);
            for (int h = 0; lit_optimizer_hparam_name(opt, h); h++) {
                const char *name = lit_optimizer_hparam_name(opt, h);
                snprintf(key, sizeof key, "optimizer_param_groups.%d.%d.%s", o, g, name);
                LIT_TRY(restore_hparam(ck, opt, g, key, name));
            }
            snprintf(key, sizeof key, "optimizer_param_groups.%d.%d.initial_lr", o, g);
            LIT_TRY(restore_hparam(ck, opt, g, key, "initial_lr"));
            LIT_TRY(check_restored_group(opt, o, g));
        }
        /* State: exactly the slots the checkpoint has, for each parameter. */
        lit_optimizer_clear_state(opt);
        const char *const *slots = lit_optimizer_state_slots(opt);
        for (int p = 0; p < lit_optimizer_num_params(opt); p++) {
            const char *pname = lit__param_name(tr, lit_optimizer_param(opt, p, NULL, NULL), o, p, buf, sizeof buf);
            for (int s = 0; slots && slots[s]; s++) {
                snprintf(key, sizeof key, "optimizer_states.%d.%s.%s", o, slots[s], pname);
                lit_tensor *t = lit_checkpoint_tensor_view(ck, key);
                if (!t) continue;
                LIT_TRY(restore_slot(tr, opt, p, slots[s], key, t));
                ++*n_used;
            }
        }
    }
    return LIT_OK;
}

/* The schedulers' integer counters, and the least each can be (torch's
 * last_epoch is -1 before the first step); sched.c checks the rest. */
static const struct {
    const char *key;
    int64_t min;
} SCHED_COUNTERS[] = { { "last_epoch", -1 }, { "_step_count", 0 }, { "num_bad_epochs", 0 }, { "cooldown_counter", 0 } };

static lit_status check_sched_counter(const char *key, const char *name, double v) {
    for (size_t c = 0; c < sizeof SCHED_COUNTERS / sizeof *SCHED_COUNTERS; c++) {
        if (strcmp(name, SCHED_COUNTERS[c].key) != 0) continue;
        if (!(v >= (double)SCHED_COUNTERS[c].min && v <= (double)COUNTER_MAX))
            return lit_set_error(LIT_ERR_CORRUPT, "checkpoint value \"%s\" is %g, outside the range %" PRId64
                                 "..%" PRId64 " that litc can use; the checkpoint is damaged or was not written by litc",
                                 key, v, SCHED_COUNTERS[c].min, COUNTER_MAX);
    }
    return LIT_OK;
}

/* The learning rates a scheduler keeps (base_lrs.<g>, _last_lr.<g>) become
 * the optimizer's: optimizer state, finite unless allowed. */
static int is_sched_lr(const char *name) {
    return !strncmp(name, "base_lrs.", 9) || !strncmp(name, "_last_lr.", 9);
}

static lit_status restore_schedulers(lit_trainer *tr, const lit_checkpoint *ck) {
    LIT_TRY(get_count(ck, "lr_scheduler_count", tr->optim.n_schedulers, "lr schedulers"));
    char key[256];
    for (int i = 0; i < tr->optim.n_schedulers; i++) {
        lit_scheduler *sc = tr->optim.schedulers[i].scheduler;
        const char *name;
        snprintf(key, sizeof key, "lr_schedulers.%d.name", i);
        LIT_TRY(lit_checkpoint_get_string(ck, key, &name));
        if (strcmp(name, lit_scheduler_name(sc)) != 0)
            return lit_set_error(LIT_ERR_CONFIG, "resume: scheduler %d is %s, the checkpoint's is %s", i,
                                 lit_scheduler_name(sc), name);
        for (int k = 0; k < lit_scheduler_state_count(sc); k++) {
            const char *sk;
            double v;
            lit_scheduler_state_at(sc, k, &sk, &v);
            snprintf(key, sizeof key, "lr_schedulers.%d.state.%s", i, sk);
            LIT_TRY(lit_checkpoint_get_double(ck, key, &v));
            LIT_TRY(check_sched_counter(key, sk, v));
            if (refusal_hint(tr) && is_sched_lr(sk)) LIT_TRY(refuse_non_finite_double(v, key, refusal_hint(tr)));
            lit_status st = lit_scheduler_state_set(sc, sk, v);
            if (st < 0) return lit__hook_fail(st, key); /* "<key>: <why>" */
        }
    }
    return LIT_OK;
}

/* grads.<param>: the gradient of an accumulation group the checkpoint was
 * written inside. It lives where autograd would have put it (the parameter's
 * arena, or the storage a set_to_none zero_grad kept), so it is freed with
 * the parameter; shape and values are checked before anything is touched. */
static lit_status restore_grads(lit_trainer *tr, const lit_checkpoint *ck, int *n_used) {
    lit_param_store *ps = tr->module->params;
    *n_used = 0;
    char key[LIT_NAME_MAX + 16];
    for (int k = 0; ps && k < lit_param_store_len(ps); k++) {
        lit_tensor *t = lit_param_store_tensor(ps, k);
        snprintf(key, sizeof key, "grads.%s", lit_param_store_name(ps, k));
        lit_tensor *g = lit_checkpoint_tensor_view(ck, key);
        if (!g) continue;
        if (g->dtype != LIT_F32 || !lit_same_shape(g, t))
            return lit_set_error(LIT_ERR_SHAPE, "checkpoint tensor \"%s\" is %s %s; the gradient of %s is f32 %s", key,
                                 lit_dtype_name(g->dtype), LIT_SHAPE_STR(g), lit_param_store_name(ps, k),
                                 LIT_SHAPE_STR(t));
        if (refusal_hint(tr)) LIT_TRY(refuse_non_finite(g, key, refusal_hint(tr)));
        if (!t->grad && t->grad_spare) {
            t->grad = t->grad_spare;
            t->grad_spare = NULL;
        }
        if (!t->grad) {
            t->grad = lit_tensor_new(t->arena, LIT_F32, t->ndim, t->shape);
            if (!t->grad) return lit_set_error(LIT_ERR_NOMEM, "resume: out of memory for the gradient of %s",
                                               lit_param_store_name(ps, k));
        }
        LIT_TRY(lit_checkpoint_read_tensor(ck, key, t->grad));
        ++*n_used;
    }
    return LIT_OK;
}

/* ---------------------------------------------------------------- unexpected tensors */

static int is_optimizer_state_key(lit_trainer *tr, const char *name) {
    char key[LIT_NAME_MAX + 96], buf[32];
    for (int o = 0; o < tr->optim.n_optimizers; o++) {
        lit_optimizer *opt = tr->optim.optimizers[o];
        const char *const *slots = lit_optimizer_state_slots(opt);
        for (int p = 0; p < lit_optimizer_num_params(opt); p++) {
            const char *pname = lit__param_name(tr, lit_optimizer_param(opt, p, NULL, NULL), o, p, buf, sizeof buf);
            for (int s = 0; slots && slots[s]; s++) {
                snprintf(key, sizeof key, "optimizer_states.%d.%s.%s", o, slots[s], pname);
                if (!strcmp(key, name)) return 1;
            }
        }
    }
    return 0;
}

static int is_grad_key(lit_trainer *tr, const char *name) {
    const lit_param_store *ps = tr->module->params;
    if (strncmp(name, "grads.", 6) != 0) return 0;
    for (int k = 0; ps && k < lit_param_store_len(ps); k++)
        if (!strcmp(name + 6, lit_param_store_name(ps, k))) return 1;
    return 0;
}

/* A tensor under `prefix` that the restore did not use (`used` of them) is
 * the state of a slot or parameter this model and optimizer do not have:
 * refused by name, as a strict load refuses an unexpected weight. Counted
 * first, so only a refusal pays for finding the name. */
static lit_status refuse_unused(lit_trainer *tr, const lit_checkpoint *ck, const char *prefix, int used,
                                int (*known)(lit_trainer *, const char *), const char *what) {
    size_t L = strlen(prefix);
    int present = 0, n = lit_checkpoint_tensor_count(ck);
    for (int i = 0; i < n; i++) present += strncmp(lit_checkpoint_tensor_name(ck, i), prefix, L) == 0;
    if (present == used) return LIT_OK;
    for (int i = 0; i < n; i++) {
        const char *name = lit_checkpoint_tensor_name(ck, i);
        if (strncmp(name, prefix, L) == 0 && !known(tr, name))
            return lit_set_error(LIT_ERR_CORRUPT, "resume: checkpoint tensor \"%s\" is not %s of this model; resume "
                                 "with the model and optimizers the checkpoint was written with", name, what);
    }
    return LIT_OK;
}

/* One flag of a logged value's options (prog_bar, logger, ...): 0, 1 or
 * -1 for "not set" (the tri-states of lit_log_opts). */
static lit_status get_flag(const lit_checkpoint *ck, const char *key, int *out) {
    int64_t v;
    LIT_TRY(lit_checkpoint_get_int_range(ck, key, -1, 1, &v));
    *out = (int)v;
    return LIT_OK;
}

static lit_status restore_result(lit_trainer *tr, const lit_checkpoint *ck, int i) {
    char key[128];
    const char *name;
    int64_t iv;
#define RKEY(f) (snprintf(key, sizeof key, "results.train.%d.%s", i, f), key)
    LIT_TRY(lit_checkpoint_get_string(ck, RKEY("name"), &name));
    lit__result *it = lit__results_append(&tr->train_results, name);
    if (!it) return lit_set_error(LIT_ERR_NOMEM, "resume: out of memory");
    LIT_TRY(get_flag(ck, RKEY("prog_bar"), &it->opts.prog_bar));
    LIT_TRY(get_flag(ck, RKEY("logger"), &it->opts.logger));
    LIT_TRY(get_flag(ck, RKEY("on_step"), &it->opts.on_step));
    LIT_TRY(get_flag(ck, RKEY("on_epoch"), &it->opts.on_epoch));
    LIT_TRY(lit_checkpoint_get_int_range(ck, RKEY("reduce_fx"), LIT_REDUCE_MEAN, LIT_REDUCE_MIN, &iv));
    it->opts.reduce_fx = (lit_reduce_fx)iv;
    LIT_TRY(lit_checkpoint_get_int_range(ck, RKEY("batch_size"), 0, COUNTER_MAX, &it->opts.batch_size));
    LIT_TRY(lit_checkpoint_get_double(ck, RKEY("last"), &it->last));
    LIT_TRY(lit_checkpoint_get_double(ck, RKEY("wsum"), &it->wsum));
    LIT_TRY(lit_checkpoint_get_double(ck, RKEY("wcount"), &it->wcount));
    LIT_TRY(lit_checkpoint_get_double(ck, RKEY("sum"), &it->sum));
    LIT_TRY(lit_checkpoint_get_double(ck, RKEY("max"), &it->max));
    LIT_TRY(lit_checkpoint_get_double(ck, RKEY("min"), &it->min));
    LIT_TRY(lit_checkpoint_get_int_range(ck, RKEY("n"), 0, COUNTER_MAX, &it->n));
#undef RKEY
    return LIT_OK;
}

static lit_status restore_metric_list(const lit_checkpoint *ck, const char *list, lit__metric_list *l) {
    char key[128];
    int64_t n;
    snprintf(key, sizeof key, "results.%s_count", list);
    LIT_TRY(lit_checkpoint_get_int_range(ck, key, 0, LIST_MAX, &n));
    lit__metrics_clear(l);
    for (int64_t i = 0; i < n; i++) {
        const char *name;
        double v;
        snprintf(key, sizeof key, "results.%s.%" PRId64 ".name", list, i);
        LIT_TRY(lit_checkpoint_get_string(ck, key, &name));
        snprintf(key, sizeof key, "results.%s.%" PRId64 ".value", list, i);
        LIT_TRY(lit_checkpoint_get_double(ck, key, &v));
        lit__metrics_set(l, name, v);
    }
    return LIT_OK;
}

static lit_status restore_results(lit_trainer *tr, const lit_checkpoint *ck) {
    int64_t n;
    LIT_TRY(lit_checkpoint_get_int_range(ck, "results.train_count", 0, LIST_MAX, &n));
    lit__results_clear(&tr->train_results);
    for (int i = 0; i < n; i++) LIT_TRY(restore_result(tr, ck, i));
    LIT_TRY(restore_metric_list(ck, "callback_metrics", &tr->callback_metrics));
    LIT_TRY(restore_metric_list(ck, "logged_metrics", &tr->logged_metrics));
    return restore_metric_list(ck, "progress_bar_metrics", &tr->pbar_metrics);
}

/* The loop position's integers, what each means (for messages) and the
 * range the loops can count on. */
enum { L_EPOCH, L_BATCH, L_PHASE, L_COMPLETE, L_STEP, L_ACC, L_NB, L_STEPPED, L_PENDING, L_COUNT };
static const struct {
    const char *key, *what;
    int64_t min, max;
} LOOP_VALUES[L_COUNT] = {
    [L_EPOCH] = { "loops.fit_loop.epoch", "the epoch", 0, COUNTER_MAX },
    [L_BATCH] = { "loops.fit_loop.batch", "the batch in the epoch", 0, COUNTER_MAX },
    [L_PHASE] = { "loops.fit_loop.phase", "the loop phase", LIT__POS_BOUNDARY, LIT__POS_EPOCH_END },
    [L_COMPLETE] = { "loops.fit_loop.epoch_complete", "the epoch-complete flag", 0, 1 },
    [L_STEP] = { "loops.fit_loop.global_step", "the global step", 0, COUNTER_MAX },
    [L_ACC] = { "loops.fit_loop.accumulate_grad_batches", "accumulate_grad_batches", 1, COUNTER_MAX },
    /* -1: a loader without a length; compared with the loader in fit-loop.c */
    [L_NB] = { "loops.fit_loop.num_training_batches", "the number of training batches", -1, COUNTER_MAX },
    [L_STEPPED] = { "loops.fit_loop.batches_that_stepped", "the loggers' step", 0, COUNTER_MAX },
    [L_PENDING] = { "loops.fit_loop.accumulation_pending", "the accumulation-pending flag", 0, 1 },
};

static lit_status restore_loops(lit_trainer *tr, const lit_checkpoint *ck) {
    int64_t v[L_COUNT];
    for (int k = 0; k < L_COUNT; k++)
        LIT_TRY(in_context(lit_checkpoint_get_int_range(ck, LOOP_VALUES[k].key, LOOP_VALUES[k].min, LOOP_VALUES[k].max,
                                                        &v[k]),
                           LOOP_VALUES[k].what));
    LIT_TRY(lit_checkpoint_get_double(ck, "loops.fit_loop.time_elapsed", &tr->time_before));
    if (!(tr->time_before >= 0 && tr->time_before <= 1e12))
        return lit_set_error(LIT_ERR_CORRUPT, "resume: the time fitted so far: checkpoint value "
                             "\"loops.fit_loop.time_elapsed\" is %g seconds, outside the range 0..1e12; the checkpoint "
                             "is damaged or was not written by litc", tr->time_before);
    if (v[L_PENDING] && v[L_ACC] != tr->p.accumulate_grad_batches)
        return lit_set_error(LIT_ERR_CONFIG, "resume: the checkpoint was written inside a gradient accumulation group "
                             "of accumulate_grad_batches=%" PRId64 "; resume with the same value (not %" PRId64 ")",
                             v[L_ACC], tr->p.accumulate_grad_batches);
    tr->batches_that_stepped = v[L_STEPPED];
    tr->current_epoch = v[L_EPOCH];
    tr->global_step = v[L_STEP];
    tr->resume_pos = (lit__fit_pos){ .batch = v[L_BATCH], .phase = (lit__pos_phase)v[L_PHASE],
                                     .epoch_complete = (int)v[L_COMPLETE] };
    tr->resuming = 1;
    uint64_t seed, counter;
    LIT_TRY(lit_checkpoint_get_uint(ck, "rng.global.seed", &seed));
    LIT_TRY(lit_checkpoint_get_uint(ck, "rng.global.counter", &counter));
    lit_rng *g = lit_rng_global();
    g->seed = seed;
    g->counter = counter;
    return LIT_OK;
}

lit_status lit__resume_training_state(lit_trainer *tr) {
    const lit_checkpoint *ck = tr->resume_ck;
    if (!ck) return LIT_OK;
    int n_states, n_grads;
    LIT_TRY(restore_optimizers(tr, ck, &n_states));
    LIT_TRY(refuse_unused(tr, ck, "optimizer_states.", n_states, is_optimizer_state_key, "optimizer state"));
    LIT_TRY(restore_schedulers(tr, ck));
    LIT_TRY(restore_grads(tr, ck, &n_grads));
    LIT_TRY(refuse_unused(tr, ck, "grads.", n_grads, is_grad_key, "a gradient"));
    LIT_TRY(restore_results(tr, ck));
    return restore_loops(tr, ck);
}

void lit__resume_end(lit_trainer *tr) {
    lit_checkpoint_free(tr->resume_ck);
    tr->resume_ck = NULL;
    tr->resuming = 0;
}
