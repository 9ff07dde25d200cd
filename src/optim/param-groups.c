/*
 * Weight-decay parameter groups, as GPT recipes build them: decay for the
 * weight matrices of linear layers, none for biases, normalisation weights
 * and embeddings.
 *
 * The rule (minGPT's configure_optimizers, made general by module types):
 * a trainable parameter gets no decay when
 *   - its name ends in "bias" (the last dotted component), or
 *   - the module that owns it (the name without its last component) has a
 *     recorded type naming a norm or an embedding ("LayerNorm", "RMSNorm",
 *     "Embedding", ... : the type contains "Norm" or "Embedding"), or
 *   - it has fewer than 2 dims (gains, scalars, biases of hand-made layers);
 * every other parameter decays. For a store without recorded types this is
 * nanoGPT's rule ("dim >= 2 decays"); with litc's layers, which record their
 * types, embeddings leave the decay group as the issue asks (nanoGPT decays
 * its token embedding only because it is tied to the output layer).
 *
 * A tensor registered under several names (tied weights) is listed once, at
 * its first name, and gets no decay if any of its names says so: a tied
 * token embedding / output projection is an embedding.
 */
#include <string.h>

#include "litc/nn.h"
#include "optim/optim-impl.h"

/* The owner module's prefix of `name`, copied into buf ("" for a bare name). */
static const char *owner_prefix(const char *name, char *buf, size_t n) {
    const char *dot = strrchr(name, '.');
    size_t len = dot ? (size_t)(dot - name) : 0;
    if (len >= n) len = n - 1;
    memcpy(buf, name, len);
    buf[len] = 0;
    return buf;
}

static int name_says_no_decay(const lit_param_store *s, const char *name, const lit_tensor *t) {
    if (t->ndim < 2) return 1;
    const char *dot = strrchr(name, '.'), *leaf = dot ? dot + 1 : name;
    if (strcmp(leaf, "bias") == 0) return 1;
    char prefix[LIT_NAME_MAX];
    const char *type = lit_param_store_module_type(s, owner_prefix(name, prefix, sizeof prefix));
    return type && (strstr(type, "Norm") || strstr(type, "Embedding"));
}

/* Index of the first trainable entry holding the same tensor as entry i. */
static int first_entry(const lit_param_store *s, int i) {
    lit_tensor *t = lit_param_store_tensor(s, i);
    for (int j = 0; j < i; j++)
        if (lit_param_store_tensor(s, j) == t && !lit_param_store_is_buffer(s, j)) return j;
    return i;
}

static int is_trainable(const lit_param_store *s, int i) {
    return !lit_param_store_is_buffer(s, i) && lit_param_store_tensor(s, i)->requires_grad;
}

lit_status lit_param_groups_weight_decay(lit_param_store *s, double weight_decay, const lit_param_group *base,
                                         lit_param_group groups[2]) {
    LIT_ASSERT(s != NULL && groups != NULL, "lit_param_groups_weight_decay: pass a parameter store and groups[2]");
    if (!(weight_decay >= 0) || weight_decay == INFINITY)
        return lit_set_error(LIT_ERR_INVALID_ARG,
                             "lit_param_groups_weight_decay: weight_decay is %g; pass a finite weight_decay >= 0",
                             weight_decay);
    int n = lit_param_store_len(s);
    /* no_decay[i] for each first entry of a tensor: any of its names says so */
    unsigned char *no_decay = lit_arena_try_alloc(lit_param_store_arena(s), (size_t)n + 1);
    lit_tensor **decay_list = lit_arena_try_alloc(lit_param_store_arena(s), ((size_t)n + 1) * sizeof *decay_list);
    lit_tensor **plain_list = lit_arena_try_alloc(lit_param_store_arena(s), ((size_t)n + 1) * sizeof *plain_list);
    if (!no_decay || !decay_list || !plain_list)
        return lit_set_error(LIT_ERR_NOMEM, "lit_param_groups_weight_decay: out of memory for %d parameters", n);
    memset(no_decay, 0, (size_t)n + 1);
    for (int i = 0; i < n; i++)
        if (is_trainable(s, i) && name_says_no_decay(s, lit_param_store_name(s, i), lit_param_store_tensor(s, i)))
            no_decay[first_entry(s, i)] = 1;
    int n_decay = 0, n_plain = 0;
    for (int i = 0; i < n; i++) {
        if (!is_trainable(s, i) || first_entry(s, i) != i) continue;
        if (no_decay[i])
            plain_list[n_plain++] = lit_param_store_tensor(s, i);
        else
            decay_list[n_decay++] = lit_param_store_tensor(s, i);
    }
    lit_param_group g = base ? *base : (lit_param_group){.initial_lr = NAN};
    groups[0] = g;
    groups[0].params = decay_list;
    groups[0].n_params = n_decay;
    groups[0].weight_decay = weight_decay;
    groups[1] = g;
    groups[1].params = plain_list;
    groups[1].n_params = n_plain;
    groups[1].weight_decay = 0.0;
    return LIT_OK;
}

lit_status lit_optimizer_add_weight_decay_groups(lit_optimizer *opt, lit_param_store *s, double weight_decay) {
    LIT_ASSERT(opt != NULL, "lit_optimizer_add_weight_decay_groups: optimizer is NULL");
    lit_param_group base = lit_optimizer_default_group(opt), groups[2];
    LIT_TRY(lit_param_groups_weight_decay(s, weight_decay, &base, groups));
    LIT_TRY(lit_optimizer_add_param_group(opt, &groups[0]));
    return lit_optimizer_add_param_group(opt, &groups[1]);
}
