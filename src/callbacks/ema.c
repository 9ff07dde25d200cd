/*
 * src/callbacks/ema.c — the exponential moving average of the weights that
 * MDLM keeps (its ExponentialMovingAverage, from score_sde / torch_ema):
 * updated after every optimizer step, swapped into the model for
 * validation (and test), saved in checkpoints. See weight-averaging.h.
 */
/* The update is MDLM's f32 formula, operation by operation: no fused
 * multiply-add may change its rounding (tests recompute it exactly). */
#pragma GCC optimize("fp-contract=off")

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "litc/callbacks.h"
#include "litc/checkpoint.h"

typedef struct {
    char *name;          /* the parameter's store name */
    lit_tensor *param;   /* the module's tensor (not owned) */
    lit_tensor *shadow;  /* heap, owned */
    lit_tensor *backup;  /* heap, owned: the training weights while swapped */
} ema_entry;

typedef struct {
    lit_ema_params p;
    lit_param_store *store; /* the store the shadows were made from */
    int n;
    ema_entry *e;
    int64_t num_updates;
    int64_t last_step;      /* global_step at the last update (or on_train_start) */
    int swapped;
} ema_state;

lit_ema_params lit_ema_default_params(void) {
    return (lit_ema_params){ .decay = 0.9999, .use_num_updates = 1, .validate_with_ema = 1, .test_with_ema = 1 };
}

static void entries_free(ema_state *s) {
    for (int i = 0; i < s->n; i++) {
        free(s->e[i].name);
        lit_tensor_free(s->e[i].shadow);
        lit_tensor_free(s->e[i].backup);
    }
    free(s->e);
    s->e = NULL;
    s->n = 0;
    s->store = NULL;
}

/* MDLM: shadow_params = [p.clone().detach() for p in parameters if p.requires_grad]. */
static lit_status make_shadows(ema_state *s, lit_param_store *ps) {
    entries_free(s);
    int len = lit_param_store_len(ps), n = 0;
    s->e = calloc((size_t)(len ? len : 1), sizeof *s->e);
    if (!s->e) return lit_set_error(LIT_ERR_NOMEM, "ExponentialMovingAverage: out of memory");
    for (int i = 0; i < len; i++) {
        lit_tensor *t = lit_param_store_tensor(ps, i);
        if (lit_param_store_is_buffer(ps, i) || !t->requires_grad || t->dtype != LIT_F32) continue;
        ema_entry *en = &s->e[n++];
        en->param = t;
        en->name = strdup(lit_param_store_name(ps, i));
        en->shadow = lit_tensor_new(NULL, LIT_F32, t->ndim, t->shape);
        en->backup = lit_tensor_new(NULL, LIT_F32, t->ndim, t->shape);
        s->n = n;
        if (!en->name || !en->shadow || !en->backup) {
            entries_free(s);
            return lit_set_error(LIT_ERR_NOMEM, "ExponentialMovingAverage: out of memory for the shadow weights");
        }
        memcpy(en->shadow->data, t->data, (size_t)t->numel * sizeof(float));
    }
    s->n = n;
    s->store = ps;
    return LIT_OK;
}

static double next_decay(const ema_state *s) {
    double decay = s->p.decay;
    if (s->p.use_num_updates) {
        double n = (double)(s->num_updates + 1);
        double warm = (1.0 + n) / (10.0 + n);
        if (warm < decay) decay = warm;
    }
    return decay;
}

/* MDLM's update(): s_param.sub_(one_minus_decay * (s_param - param)), in f32. */
static void update(ema_state *s) {
    float omd = (float)(1.0 - next_decay(s));
    s->num_updates++;
    for (int i = 0; i < s->n; i++) {
        float *sh = s->e[i].shadow->data;
        const float *p = s->e[i].param->data;
        int64_t n = s->e[i].param->numel;
        for (int64_t k = 0; k < n; k++) {
            float d = sh[k] - p[k];
            float t = omd * d;
            sh[k] = sh[k] - t;
        }
    }
}

static void swap_in(ema_state *s) {
    if (s->swapped || !s->n) return;
    for (int i = 0; i < s->n; i++) {
        size_t bytes = (size_t)s->e[i].param->numel * sizeof(float);
        memcpy(s->e[i].backup->data, s->e[i].param->data, bytes);
        memcpy(s->e[i].param->data, s->e[i].shadow->data, bytes);
    }
    s->swapped = 1;
}

static void swap_out(ema_state *s) {
    if (!s->swapped) return;
    for (int i = 0; i < s->n; i++)
        memcpy(s->e[i].param->data, s->e[i].backup->data, (size_t)s->e[i].param->numel * sizeof(float));
    s->swapped = 0;
}

/* ---------------------------------------------------------------- hooks */

static lit_status ema_setup(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_stage stage) {
    (void)tr;
    ema_state *s = cb->user;
    /* The shadows begin at the weights the first fit starts from; a later
     * fit of the same module continues them (the callback's state lives on,
     * as a Lightning callback's does). */
    if (stage == LIT_STAGE_FIT && m->params && s->store != m->params) return make_shadows(s, m->params);
    return LIT_OK;
}

static lit_status ema_on_train_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)m;
    /* After a resume restored global_step: the next step is the next update. */
    ((ema_state *)cb->user)->last_step = lit_trainer_global_step(tr);
    return LIT_OK;
}

static lit_status ema_on_train_batch_end(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_tensor *loss,
                                         lit_batch *b, int64_t i) {
    (void)m, (void)loss, (void)b, (void)i;
    ema_state *s = cb->user;
    int64_t step = lit_trainer_global_step(tr);
    /* MDLM updates from optimizer_step: only batches that stepped count. */
    if (step != s->last_step && s->n) {
        s->last_step = step;
        update(s);
    }
    return LIT_OK;
}

static lit_status ema_on_validation_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)tr;
    ema_state *s = cb->user;
    if (s->p.validate_with_ema && s->store == m->params) swap_in(s);
    return LIT_OK;
}
static lit_status ema_on_validation_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)tr, (void)m;
    swap_out(cb->user);
    return LIT_OK;
}
static lit_status ema_on_test_start(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)tr;
    ema_state *s = cb->user;
    if (s->p.test_with_ema && s->store == m->params) swap_in(s);
    return LIT_OK;
}
static lit_status ema_on_test_end(lit_callback *cb, lit_trainer *tr, lit_module *m) {
    (void)tr, (void)m;
    swap_out(cb->user);
    return LIT_OK;
}
/* A failing run must not leave the EMA weights in the model. */
static void ema_on_exception(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_status st) {
    (void)tr, (void)m, (void)st;
    swap_out(cb->user);
}

/* ---------------------------------------------------------------- checkpoints */

static lit_status ema_state_save(lit_callback *cb, lit_checkpoint *ck) {
    ema_state *s = cb->user;
    if (s->p.use_num_updates) LIT_TRY(lit_checkpoint_set_int(ck, "num_updates", s->num_updates));
    else LIT_TRY(lit_checkpoint_set_json(ck, "num_updates", "null"));
    LIT_TRY(lit_checkpoint_set_int(ck, "updates_made", s->num_updates));
    LIT_TRY(lit_checkpoint_set_double(ck, "decay", s->p.decay));
    return lit_checkpoint_set_int(ck, "n_shadow", s->n);
}

static lit_status ema_state_load(lit_callback *cb, const lit_checkpoint *ck) {
    ema_state *s = cb->user;
    /* num_updates is null when unused: then updates_made, if any, counts. */
    const char *key = lit_checkpoint_has(ck, "updates_made") ? "updates_made" : "num_updates";
    int64_t n;
    if (lit_checkpoint_get_int(ck, key, &n) != LIT_OK) {
        lit_clear_error();
        return LIT_OK;
    }
    LIT_TRY(lit_checkpoint_get_int_range(ck, key, 0, LIT_CHECKPOINT_COUNTER_MAX, &n));
    s->num_updates = n;
    return LIT_OK;
}

static void tensor_key(char *buf, size_t size, const lit_callback *cb, const char *what, const char *name) {
    snprintf(buf, size, "callbacks.%s.%s.%s", cb->state_key, what, name);
}

static lit_status ema_on_save_checkpoint(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_checkpoint *ck) {
    (void)tr, (void)m;
    ema_state *s = cb->user;
    char key[LIT_NAME_MAX + 128];
    for (int i = 0; i < s->n; i++) {
        tensor_key(key, sizeof key, cb, "shadow", s->e[i].name);
        LIT_TRY(lit_checkpoint_put_tensor(ck, key, s->e[i].shadow));
        if (s->swapped) {
            /* Saved mid-validation: the model holds the EMA weights now; the
             * checkpoint's weights must be the training ones. */
            snprintf(key, sizeof key, "state_dict.%s", s->e[i].name);
            LIT_TRY(lit_checkpoint_put_tensor(ck, key, s->e[i].backup));
        }
    }
    return LIT_OK;
}

static lit_status ema_on_load_checkpoint(lit_callback *cb, lit_trainer *tr, lit_module *m, lit_checkpoint *ck) {
    (void)tr;
    ema_state *s = cb->user;
    if (m->params && s->store != m->params) LIT_TRY(make_shadows(s, m->params));
    char key[LIT_NAME_MAX + 128];
    int missing = 0;
    for (int i = 0; i < s->n; i++) {
        tensor_key(key, sizeof key, cb, "shadow", s->e[i].name);
        if (!lit_checkpoint_tensor_info(ck, key, NULL, NULL, NULL)) {
            missing++;
            continue;
        }
        LIT_TRY(lit_checkpoint_read_tensor(ck, key, s->e[i].shadow));
    }
    if (missing)
        lit_logf(LIT_LOG_WARN,
                 "ExponentialMovingAverage: the checkpoint has no EMA weights for %d of %d parameters; they start "
                 "from the loaded weights", missing, s->n);
    return LIT_OK;
}

static void ema_free(lit_callback *cb) {
    ema_state *s = cb->user;
    if (!s) return;
    entries_free(s);
    free(s);
    cb->user = NULL;
}

lit_status lit_ema_callback(lit_callback *cb, const lit_ema_params *p) {
    LIT_ASSERT(cb, "lit_ema_callback: cb must not be NULL");
    lit_ema_params v = p ? *p : lit_ema_default_params();
    if (!(v.decay >= 0.0 && v.decay <= 1.0))
        return lit_set_error(LIT_ERR_CONFIG, "ExponentialMovingAverage(decay=%g): Decay must be between 0 and 1",
                             v.decay);
    ema_state *s = calloc(1, sizeof *s);
    if (!s) return lit_set_error(LIT_ERR_NOMEM, "lit_ema_callback: out of memory");
    s->p = v;
    *cb = (lit_callback){
        .version = LIT_CALLBACK_VERSION,
        .name = LIT_EMA_NAME,
        .user = s,
        .setup = ema_setup,
        .on_train_start = ema_on_train_start,
        .on_train_batch_end = ema_on_train_batch_end,
        .on_validation_start = ema_on_validation_start,
        .on_validation_end = ema_on_validation_end,
        .on_test_start = ema_on_test_start,
        .on_test_end = ema_on_test_end,
        .on_exception = ema_on_exception,
        .state_save = ema_state_save,
        .state_load = ema_state_load,
        .on_save_checkpoint = ema_on_save_checkpoint,
        .on_load_checkpoint = ema_on_load_checkpoint,
        .free = ema_free,
        .state_key = LIT_EMA_NAME,
    };
    return LIT_OK;
}

/* ---------------------------------------------------------------- accessors */

static ema_state *state_of(const lit_callback *cb) {
    LIT_ASSERT(cb && cb->state_save == ema_state_save && cb->user,
               "lit_ema_*: the callback is not an ExponentialMovingAverage (lit_ema_callback) or was freed");
    return cb->user;
}

int64_t lit_ema_num_updates(const lit_callback *cb) { return state_of(cb)->num_updates; }
double lit_ema_next_decay(const lit_callback *cb) { return next_decay(state_of(cb)); }
int lit_ema_num_shadow(const lit_callback *cb) { return state_of(cb)->n; }
const char *lit_ema_shadow_name(const lit_callback *cb, int i) {
    ema_state *s = state_of(cb);
    LIT_ASSERT(i >= 0 && i < s->n, "lit_ema_shadow_name: index %d of %d", i, s->n);
    return s->e[i].name;
}
const lit_tensor *lit_ema_shadow(const lit_callback *cb, const char *name) {
    ema_state *s = state_of(cb);
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->e[i].name, name)) return s->e[i].shadow;
    return NULL;
}
int lit_ema_swapped(const lit_callback *cb) { return state_of(cb)->swapped; }

lit_status lit_ema_copy_to(const lit_callback *cb, lit_param_store *ps) {
    ema_state *s = state_of(cb);
    if (!s->store) return lit_set_error(LIT_ERR_STATE, "lit_ema_copy_to: no EMA weights yet (no fit has set it up)");
    /* Check everything first so that a failure copies nothing. */
    for (int i = 0; i < s->n; i++) {
        lit_tensor *t = lit_param_store_get(ps, s->e[i].name);
        if (!t) return lit_set_error(LIT_ERR_NOT_FOUND, "lit_ema_copy_to: the store has no parameter \"%s\"", s->e[i].name);
        if (!lit_same_shape(t, s->e[i].shadow) || t->dtype != LIT_F32)
            return lit_set_error(LIT_ERR_SHAPE, "lit_ema_copy_to: \"%s\" is %s in the store, %s in the EMA", s->e[i].name,
                                 LIT_SHAPE_STR(t), LIT_SHAPE_STR(s->e[i].shadow));
    }
    for (int i = 0; i < s->n; i++) lit_tensor_copy_(lit_param_store_get(ps, s->e[i].name), s->e[i].shadow);
    return LIT_OK;
}
