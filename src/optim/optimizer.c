/*
 * src/optim/optimizer.c — the optimizer base: parameter groups,
 * hyperparameters by name, per-parameter state slots, vtable dispatch.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "litc/autograd.h"
#include "optim/optim-impl.h"

struct lit_optimizer {
    lit_optimizer_vtable vt;
    void *user;
    int n_slots;               /* entries in vt.state_slots */
    lit_param_group defaults;  /* params NULL */
    lit_param_group *groups;
    lit_tensor ***state;       /* state[g][i * n_slots + s] */
    int n_groups, cap_groups;
    int n_params;              /* over all groups */
};

/* ---------------------------------------------------------------- hparams table */

typedef struct {
    const char *name;
    size_t offset;
    int is_int;
} hparam_field;

static const hparam_field HPARAMS[] = {
    {"lr", offsetof(lit_param_group, lr), 0},
    {"initial_lr", offsetof(lit_param_group, initial_lr), 0},
    {"weight_decay", offsetof(lit_param_group, weight_decay), 0},
    {"momentum", offsetof(lit_param_group, momentum), 0},
    {"dampening", offsetof(lit_param_group, dampening), 0},
    {"nesterov", offsetof(lit_param_group, nesterov), 1},
    {"betas.0", offsetof(lit_param_group, betas), 0},
    {"betas.1", offsetof(lit_param_group, betas) + sizeof(double), 0},
    {"eps", offsetof(lit_param_group, eps), 0},
    {"amsgrad", offsetof(lit_param_group, amsgrad), 1},
    {"maximize", offsetof(lit_param_group, maximize), 1},
};

static const hparam_field *hparam_find(const lit_optimizer *opt, const char *name) {
    int used = strcmp(name, "initial_lr") == 0;
    for (int k = 0; !used && opt->vt.hparams && opt->vt.hparams[k]; k++)
        if (strcmp(opt->vt.hparams[k], name) == 0) used = 1;
    if (!used) return NULL;
    for (size_t k = 0; k < sizeof HPARAMS / sizeof HPARAMS[0]; k++)
        if (strcmp(HPARAMS[k].name, name) == 0) return &HPARAMS[k];
    return NULL;
}

/* ---------------------------------------------------------------- lifetime */

lit_optimizer *lit_optimizer_new(const lit_optimizer_vtable *vt, const lit_param_group *defaults, void *user) {
    LIT_ASSERT(vt != NULL && vt->step != NULL, "lit_optimizer_new: pass a vtable with a step function");
    LIT_ASSERT(defaults != NULL, "lit_optimizer_new: pass the default group (hyperparameters)");
    if (vt->version != LIT_OPTIMIZER_VTABLE_VERSION) {
        lit_set_error(LIT_ERR_UNSUPPORTED, "lit_optimizer_new: %s vtable has version %d; this litc expects %d",
                      vt->name ? vt->name : "optimizer", vt->version, LIT_OPTIMIZER_VTABLE_VERSION);
        return NULL;
    }
    lit_optimizer *opt = calloc(1, sizeof *opt);
    if (!opt) {
        lit_set_error(LIT_ERR_NOMEM, "lit_optimizer_new: out of memory");
        return NULL;
    }
    opt->vt = *vt;
    opt->user = user;
    opt->defaults = *defaults;
    opt->defaults.params = NULL;
    opt->defaults.n_params = 0;
    opt->defaults.initial_lr = NAN;
    while (vt->state_slots && vt->state_slots[opt->n_slots]) opt->n_slots++;
    LIT_ASSERT(opt->n_slots <= LIT_OPTIMIZER_MAX_SLOTS, "lit_optimizer_new: %s has %d state slots; at most %d",
               vt->name ? vt->name : "optimizer", opt->n_slots, LIT_OPTIMIZER_MAX_SLOTS);
    return opt;
}

void lit_optimizer_clear_state(lit_optimizer *opt) {
    if (!opt) return;
    for (int g = 0; g < opt->n_groups; g++) {
        int n = opt->groups[g].n_params * opt->n_slots;
        for (int k = 0; k < n; k++) {
            lit_tensor_free(opt->state[g][k]);
            opt->state[g][k] = NULL;
        }
    }
}

void lit_optimizer_free(lit_optimizer *opt) {
    if (!opt) return;
    if (opt->vt.free) opt->vt.free(opt);
    lit_optimizer_clear_state(opt);
    for (int g = 0; g < opt->n_groups; g++) {
        free(opt->groups[g].params);
        free(opt->state[g]);
    }
    free(opt->groups);
    free(opt->state);
    free(opt);
}

void *lit_optimizer_user(const lit_optimizer *opt) { return opt ? opt->user : NULL; }
const char *lit_optimizer_name(const lit_optimizer *opt) {
    return opt && opt->vt.name ? opt->vt.name : "optimizer";
}

/* ---------------------------------------------------------------- step */

lit_status lit_optimizer_step(lit_optimizer *opt) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_step: optimizer is NULL");
    return opt->vt.step(opt);
}

void lit_optimizer_zero_grad(lit_optimizer *opt, int set_to_none) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_zero_grad: optimizer is NULL");
    if (opt->vt.zero_grad) {
        opt->vt.zero_grad(opt, set_to_none);
        return;
    }
    for (int g = 0; g < opt->n_groups; g++)
        lit_zero_grad(opt->groups[g].params, opt->groups[g].n_params, set_to_none);
}

/* ---------------------------------------------------------------- groups */

lit_param_group lit_optimizer_default_group(const lit_optimizer *opt) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_default_group: optimizer is NULL");
    return opt->defaults;
}

/* Programmer errors in a parameter list: NULL, freed, non-f32, strided. */
static void check_params(const char *who, lit_tensor *const *params, int n, int group) {
    for (int i = 0; i < n; i++) {
        const lit_tensor *p = params[i];
        LIT_ASSERT(p != NULL, "%s: parameter %d of group %d is NULL", who, i, group);
        lit_tensor_check(p, who);
        LIT_ASSERT(p->dtype == LIT_F32, "%s: parameter %d (%s) is %s; optimizers update f32 parameters", who, i,
                   p->name ? p->name : "unnamed", lit_dtype_name(p->dtype));
        LIT_ASSERT(lit_is_contiguous(p), "%s: parameter %d (%s) is not contiguous; parameters must own their data",
                   who, i, p->name ? p->name : "unnamed");
    }
}

static lit_status check_hparams(const lit_optimizer *opt, const lit_param_group *g) {
    const char *who = lit_optimizer_name(opt);
    if (!(g->lr >= 0.0))
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: lr is %g; pass lr >= 0", who, g->lr);
    if (!(g->weight_decay >= 0.0))
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: weight_decay is %g; pass weight_decay >= 0", who,
                             g->weight_decay);
    if (opt->vt.check_group) LIT_TRY(opt->vt.check_group(opt, g));
    return LIT_OK;
}

lit_optimizer *lit__optimizer_create(const lit_optimizer_vtable *vt, const lit_param_group *defaults,
                                     lit_tensor *const *params, int n) {
    LIT_ASSERT(n >= 0 && (n == 0 || params != NULL), "%s: %d params at %p; pass an array of n >= 0 tensors",
               vt->name, n, (const void *)params);
    check_params(vt->name, params, n, 0); /* before allocating: an assert leaks nothing */
    lit_optimizer *opt = lit_optimizer_new(vt, defaults, NULL);
    if (!opt) return NULL;
    if (check_hparams(opt, &opt->defaults) < 0) {
        lit_optimizer_free(opt);
        return NULL;
    }
    if (n > 0) {
        lit_param_group g = opt->defaults;
        g.params = (lit_tensor **)params;
        g.n_params = n;
        if (lit_optimizer_add_param_group(opt, &g) < 0) {
            lit_optimizer_free(opt);
            return NULL;
        }
    }
    return opt;
}

lit_status lit_optimizer_add_param_group(lit_optimizer *opt, const lit_param_group *g) {
    LIT_ASSERT(opt != NULL && g != NULL, "lit_optimizer_add_param_group: optimizer and group must not be NULL");
    LIT_ASSERT(g->n_params >= 0 && (g->n_params == 0 || g->params != NULL),
               "lit_optimizer_add_param_group: %d params at %p; pass an array of n_params >= 0 tensors",
               g->n_params, (const void *)g->params);
    const char *who = lit_optimizer_name(opt);
    check_params(who, g->params, g->n_params, opt->n_groups);
    for (int i = 0; i < g->n_params; i++) {
        for (int j = 0; j < i; j++)
            if (g->params[j] == g->params[i])
                return lit_set_error(LIT_ERR_INVALID_ARG, "%s: parameter %d (%s) appears twice in the new group", who,
                                     i, g->params[i]->name ? g->params[i]->name : "unnamed");
        for (int h = 0; h < opt->n_groups; h++)
            for (int j = 0; j < opt->groups[h].n_params; j++)
                if (opt->groups[h].params[j] == g->params[i])
                    return lit_set_error(LIT_ERR_INVALID_ARG,
                                         "%s: parameter %d (%s) of the new group is already in group %d; "
                                         "a parameter may belong to one group only",
                                         who, i, g->params[i]->name ? g->params[i]->name : "unnamed", h);
    }
    LIT_TRY(check_hparams(opt, g));

    if (opt->n_groups == opt->cap_groups) {
        int cap = opt->cap_groups ? opt->cap_groups * 2 : 4;
        lit_param_group *ng = realloc(opt->groups, (size_t)cap * sizeof *ng);
        if (!ng) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory adding a parameter group", who);
        opt->groups = ng;
        lit_tensor ***ns = realloc(opt->state, (size_t)cap * sizeof *ns);
        if (!ns) return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory adding a parameter group", who);
        opt->state = ns;
        opt->cap_groups = cap;
    }
    size_t np = (size_t)(g->n_params ? g->n_params : 1);
    lit_tensor **params = malloc(np * sizeof *params);
    lit_tensor **state = calloc(np * (size_t)(opt->n_slots ? opt->n_slots : 1), sizeof *state);
    if (!params || !state) {
        free(params);
        free(state);
        return lit_set_error(LIT_ERR_NOMEM, "%s: out of memory adding a parameter group", who);
    }
    if (g->n_params) memcpy(params, g->params, (size_t)g->n_params * sizeof *params);
    lit_param_group *dst = &opt->groups[opt->n_groups];
    *dst = *g;
    dst->params = params;
    opt->state[opt->n_groups] = state;
    opt->n_groups++;
    opt->n_params += g->n_params;
    return LIT_OK;
}

int lit_optimizer_num_groups(const lit_optimizer *opt) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_num_groups: optimizer is NULL");
    return opt->n_groups;
}

lit_param_group *lit_optimizer_group(lit_optimizer *opt, int i) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_group: optimizer is NULL");
    LIT_ASSERT(i >= 0 && i < opt->n_groups, "%s: group %d does not exist; the optimizer has %d group(s)",
               lit_optimizer_name(opt), i, opt->n_groups);
    return &opt->groups[i];
}

int lit_optimizer_num_params(const lit_optimizer *opt) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_num_params: optimizer is NULL");
    return opt->n_params;
}

/* Map a parameter number to (group, index); 0 when out of range. */
static int locate(const lit_optimizer *opt, int param, int *group, int *index) {
    if (param < 0) return 0;
    for (int g = 0; g < opt->n_groups; g++) {
        if (param < opt->groups[g].n_params) {
            *group = g;
            *index = param;
            return 1;
        }
        param -= opt->groups[g].n_params;
    }
    return 0;
}

lit_tensor *lit_optimizer_param(const lit_optimizer *opt, int param, int *group, int *index) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_param: optimizer is NULL");
    int g = 0, i = 0;
    LIT_ASSERT(locate(opt, param, &g, &i), "%s: parameter %d does not exist; the optimizer has %d",
               lit_optimizer_name(opt), param, opt->n_params);
    if (group) *group = g;
    if (index) *index = i;
    return opt->groups[g].params[i];
}

double lit_optimizer_get_lr(const lit_optimizer *opt, int group) {
    return lit_optimizer_group((lit_optimizer *)opt, group)->lr;
}

void lit_optimizer_set_lr(lit_optimizer *opt, int group, double lr) { lit_optimizer_group(opt, group)->lr = lr; }

lit_status lit_optimizer_get_hparam(const lit_optimizer *opt, int group, const char *name, double *out) {
    LIT_ASSERT(opt != NULL && name != NULL && out != NULL, "lit_optimizer_get_hparam: NULL argument");
    if (group < 0 || group >= opt->n_groups)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: group %d does not exist; the optimizer has %d group(s)",
                             lit_optimizer_name(opt), group, opt->n_groups);
    const hparam_field *f = hparam_find(opt, name);
    if (!f)
        return lit_set_error(LIT_ERR_NOT_FOUND, "%s: no hyperparameter named '%s'", lit_optimizer_name(opt), name);
    const char *base = (const char *)&opt->groups[group];
    *out = f->is_int ? (double)*(const int *)(base + f->offset) : *(const double *)(base + f->offset);
    return LIT_OK;
}

lit_status lit_optimizer_set_hparam(lit_optimizer *opt, int group, const char *name, double value) {
    LIT_ASSERT(opt != NULL && name != NULL, "lit_optimizer_set_hparam: NULL argument");
    if (group < 0 || group >= opt->n_groups)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: group %d does not exist; the optimizer has %d group(s)",
                             lit_optimizer_name(opt), group, opt->n_groups);
    const hparam_field *f = hparam_find(opt, name);
    if (!f)
        return lit_set_error(LIT_ERR_NOT_FOUND, "%s: no hyperparameter named '%s'", lit_optimizer_name(opt), name);
    char *base = (char *)&opt->groups[group];
    if (f->is_int) {
        if (value != 0.0 && value != 1.0)
            return lit_set_error(LIT_ERR_INVALID_ARG, "%s: %s is a flag; got %g, pass 0 or 1", lit_optimizer_name(opt),
                                 name, value);
        *(int *)(base + f->offset) = (int)value;
    } else {
        *(double *)(base + f->offset) = value;
    }
    return LIT_OK;
}

lit_status lit_optimizer_check_group(const lit_optimizer *opt, int group) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_check_group: optimizer is NULL");
    if (group < 0 || group >= opt->n_groups)
        return lit_set_error(LIT_ERR_INVALID_ARG, "%s: group %d does not exist; the optimizer has %d group(s)",
                             lit_optimizer_name(opt), group, opt->n_groups);
    return check_hparams(opt, &opt->groups[group]);
}

const char *lit_optimizer_hparam_name(const lit_optimizer *opt, int k) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_hparam_name: optimizer is NULL");
    for (int i = 0; k >= 0 && opt->vt.hparams && opt->vt.hparams[i]; i++)
        if (i == k) return opt->vt.hparams[i];
    return NULL;
}

/* ---------------------------------------------------------------- state */

static int slot_index(const lit_optimizer *opt, const char *slot) {
    for (int s = 0; s < opt->n_slots; s++)
        if (strcmp(opt->vt.state_slots[s], slot) == 0) return s;
    return -1;
}

lit_tensor *lit__optimizer_slot(lit_optimizer *opt, int group, int index, int slot, int create) {
    lit_tensor **cell = &opt->state[group][index * opt->n_slots + slot];
    if (*cell || !create) return *cell;
    const lit_tensor *p = opt->groups[group].params[index];
    static const int64_t one[1] = {1};
    if (strcmp(opt->vt.state_slots[slot], "step") == 0)
        *cell = lit_tensor_new(NULL, LIT_F32, 0, one);
    else
        *cell = lit_tensor_new(NULL, LIT_F32, p->ndim, p->shape);
    if (!*cell)
        lit_set_error(LIT_ERR_NOMEM, "%s: out of memory for state '%s' of a %s parameter", lit_optimizer_name(opt),
                      opt->vt.state_slots[slot], LIT_SHAPE_STR(p));
    return *cell;
}

const float *lit__optimizer_grad(const lit_tensor *p, const char *who) {
    lit_tensor_check(p, who);
    const lit_tensor *g = p->grad;
    if (!g) return NULL;
    LIT_ASSERT(g->dtype == LIT_F32 && g->numel == p->numel && lit_same_shape(g, p),
               "%s: gradient of parameter %s is %s %s; expected f32 %s like the parameter", who,
               p->name ? p->name : "(unnamed)", lit_dtype_name(g->dtype), LIT_SHAPE_STR(g), LIT_SHAPE_STR(p));
    return lit_f32(g);
}

const char *const *lit_optimizer_state_slots(const lit_optimizer *opt) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_state_slots: optimizer is NULL");
    return opt->vt.state_slots;
}

int lit_optimizer_state_count(const lit_optimizer *opt) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_state_count: optimizer is NULL");
    int n = 0;
    for (int g = 0; g < opt->n_groups; g++) {
        int m = opt->groups[g].n_params * opt->n_slots;
        for (int k = 0; k < m; k++) n += opt->state[g][k] != NULL;
    }
    return n;
}

lit_optimizer_state_entry lit_optimizer_state_at(const lit_optimizer *opt, int k) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_state_at: optimizer is NULL");
    int left = k, param = 0;
    for (int g = 0; g < opt->n_groups && k >= 0; g++) {
        for (int i = 0; i < opt->groups[g].n_params; i++, param++) {
            for (int s = 0; s < opt->n_slots; s++) {
                lit_tensor *t = opt->state[g][i * opt->n_slots + s];
                if (!t) continue;
                if (left-- == 0) {
                    lit_optimizer_state_entry e = {param, g, i, opt->vt.state_slots[s], t};
                    return e;
                }
            }
        }
    }
    lit_panic("%s: state entry %d does not exist; there are %d (lit_optimizer_state_count)", lit_optimizer_name(opt),
              k, lit_optimizer_state_count(opt));
    lit_optimizer_state_entry none = {0, 0, 0, NULL, NULL};
    return none;
}

lit_tensor *lit_optimizer_state_tensor(lit_optimizer *opt, int param, const char *slot, int create) {
    LIT_ASSERT(opt != NULL && slot != NULL, "lit_optimizer_state_tensor: NULL argument");
    int s = slot_index(opt, slot);
    LIT_ASSERT(s >= 0, "%s: no state slot named '%s'", lit_optimizer_name(opt), slot);
    int g = 0, i = 0;
    LIT_ASSERT(locate(opt, param, &g, &i), "%s: parameter %d does not exist; the optimizer has %d",
               lit_optimizer_name(opt), param, opt->n_params);
    return lit__optimizer_slot(opt, g, i, s, create);
}

lit_status lit_optimizer_load_state(lit_optimizer *opt, int param, const char *slot, const lit_tensor *value) {
    LIT_ASSERT(opt != NULL && slot != NULL && value != NULL, "lit_optimizer_load_state: NULL argument");
    lit_tensor_check(value, "lit_optimizer_load_state");
    int s = slot_index(opt, slot);
    if (s < 0)
        return lit_set_error(LIT_ERR_NOT_FOUND, "%s: no state slot named '%s' (loading parameter %d)",
                             lit_optimizer_name(opt), slot, param);
    int g = 0, i = 0;
    if (!locate(opt, param, &g, &i))
        return lit_set_error(LIT_ERR_NOT_FOUND, "%s: state for parameter %d, but the optimizer has %d parameters",
                             lit_optimizer_name(opt), param, opt->n_params);
    lit_tensor *t = lit__optimizer_slot(opt, g, i, s, 1);
    if (!t) return LIT_ERR_NOMEM;
    if (t->numel != value->numel || (t->ndim != value->ndim && !(t->numel == 1 && value->numel == 1)) ||
        (t->ndim == value->ndim && !lit_same_shape(t, value)))
        return lit_set_error(LIT_ERR_SHAPE, "%s: state '%s' of parameter %d has shape %s; expected %s",
                             lit_optimizer_name(opt), slot, param, LIT_SHAPE_STR(value), LIT_SHAPE_STR(t));
    if (t->ndim == value->ndim)
        lit_tensor_copy_(t, value);
    else
        lit_set_flat(t, 0, lit_get_flat(value, 0));
    return LIT_OK;
}
