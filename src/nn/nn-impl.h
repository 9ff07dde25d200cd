/*
 * src/nn/nn-impl.h — private definitions shared by the nn sources.
 */
#ifndef LITC_NN_IMPL_H
#define LITC_NN_IMPL_H

#include "litc/nn.h"

struct lit_param_store {
    lit_arena *arena;           /* parameters, their gradients, names, trainable arrays */
    int n, cap;
    char **names;               /* n names (strings in the arena), registration order */
    lit_tensor **tensors;       /* n tensors */
    unsigned char *is_buffer;   /* n flags */
    int training;               /* module train/eval flag */
    int n_types, cap_types;     /* recorded module types (lit_param_store_set_module_type) */
    char **type_prefixes;       /* n_types malloc'd prefixes, first-recorded order */
    char **types;               /* n_types malloc'd class names */
    lit_status status;          /* first allocation failure (sticky), LIT_OK if none */
    char error[512];            /* its message */
};

/* Record an allocation failure of the store (the first one is kept and
 * returned by lit_param_store_status) and return it. The message is the
 * thread's last error. */
lit_status lit__nn_fail(lit_param_store *s, lit_status st);

/* The name a layer keeps for messages: prefix copied into the store's arena
 * ("" when prefix is NULL). */
const char *lit__nn_keep_name(lit_param_store *s, const char *prefix);

/* Record `type` for the layer at `prefix` (lit_param_store_set_module_type);
 * out of memory is recorded in the store (lit_param_store_status). */
void lit__nn_set_type(lit_param_store *s, const char *prefix, const char *type);

/* rng or the global generator. */
static inline lit_rng *lit__nn_rng(lit_rng *rng) { return rng ? rng : lit_rng_global(); }

#endif
