/*
 * examples/mlp-digits/registry.c — DigitsModule and DigitsDataModule as
 * registry classes (registry.h): schemas mirroring the config structs and
 * build/free functions over digits_module_init / digits_datamodule_init.
 */
#include "registry.h"

#include <stdlib.h>
#include <string.h>

#include "datamodule.h"
#include "module.h"

/* ---------------------------------------------------------------- model */

static const lit_arg_spec digits_module_args[] = {
    {"hidden", LIT_ARG_INT_LIST, "[256, 128]", "Widths of the two hidden layers of the MLP 64 -> h1 -> h2 -> 10.", 0,
     0, NULL},
    {"lr", LIT_ARG_FLOAT, "0.003", "Adam's peak learning rate (cosine-decayed to 0 over the fit's steps).", 0, 0,
     NULL},
    {"batch_size", LIT_ARG_INT, "32",
     "Recorded as a hyperparameter (the data module decides the batches; keep them equal).", 0, 0, NULL},
    {"seed", LIT_ARG_INT, "0", "Seed of the weight initialisation (>= 0).", 0, 0, NULL},
};

/* A seed from an int64 config value: uint64 in the struct, but a negative
 * number in a config is a mistake, not 2^64 - n. */
static lit_status seed_of(const lit_registry_args *a, uint64_t *out) {
    int64_t s = lit_registry_args_int(a, "seed");
    if (s < 0)
        return lit_set_error(LIT_ERR_CONFIG, "%s: %s.seed: must be >= 0, got %lld", lit_registry_args_where(a, "seed"),
                             lit_registry_args_class(a)->name, (long long)s);
    *out = (uint64_t)s;
    return LIT_OK;
}

/* What a builder's init returned for obj (its calloc'd instance): obj is
 * freed when that failed. */
static lit_status freed_on_error(void *obj, lit_status st) {
    if (st < 0) free(obj);
    return st;
}

static lit_status build_digits_module(const lit_registry_args *a, const lit_registry_context *ctx,
                                      lit_module **out) {
    digits_module_config c = digits_module_default_config();
    int n = 0;
    const int64_t *h = lit_registry_args_int_list(a, "hidden", &n);
    if (n != 2)
        return lit_set_error(LIT_ERR_CONFIG, "%s: DigitsModule.hidden: expected 2 widths, got %d",
                             lit_registry_args_where(a, "hidden"), n);
    c.hidden[0] = h[0];
    c.hidden[1] = h[1];
    c.lr = lit_registry_args_float(a, "lr");
    c.batch_size = lit_registry_args_int(a, "batch_size");
    LIT_TRY(seed_of(a, &c.seed));
    digits_module *m = calloc(1, sizeof *m);
    if (!m) return lit_set_error(LIT_ERR_NOMEM, "DigitsModule: out of memory");
    LIT_TRY(freed_on_error(m, digits_module_init(m, &c)));
    *out = &m->base;
    return LIT_OK;
}

/* ---------------------------------------------------------------- data module */

static const lit_arg_spec digits_datamodule_args[] = {
    {"data_path", LIT_ARG_STRING, "null", "The digits CSV; null: the copy in examples/mlp-digits/data.", 0, 0, NULL},
    {"batch_size", LIT_ARG_INT, "32", "Batch size of every loader.", 0, 0, NULL},
    {"val_fraction", LIT_ARG_FLOAT, "0.1", "Share of the fit part held out for validation, in [0, 1); 0: none.", 0,
     0, NULL},
    {"test_fraction", LIT_ARG_FLOAT, "0.2", "Share of all samples held out for testing, in (0, 1).", 0, 0, NULL},
    {"seed", LIT_ARG_INT, "0", "Seed of the split and of the training shuffle (>= 0).", 0, 0, NULL},
    {"num_workers", LIT_ARG_INT, "0", "DataLoader worker threads; 0 builds batches on the caller's thread.", 0, 0,
     NULL},
};

static lit_status build_digits_datamodule(const lit_registry_args *a, const lit_registry_context *ctx,
                                          lit_datamodule **out) {
    digits_datamodule_config c = digits_datamodule_default_config();
    c.data_path = lit_registry_args_string(a, "data_path");
    c.batch_size = lit_registry_args_int(a, "batch_size");
    c.val_fraction = lit_registry_args_float(a, "val_fraction");
    c.test_fraction = lit_registry_args_float(a, "test_fraction");
    LIT_TRY(seed_of(a, &c.seed));
    int64_t w = lit_registry_args_int(a, "num_workers");
    if (w < 0 || w > 1024)
        return lit_set_error(LIT_ERR_CONFIG, "%s: DigitsDataModule.num_workers: expected 0 .. 1024, got %lld",
                             lit_registry_args_where(a, "num_workers"), (long long)w);
    c.num_workers = (int)w;
    digits_datamodule *dm = calloc(1, sizeof *dm);
    if (!dm) return lit_set_error(LIT_ERR_NOMEM, "DigitsDataModule: out of memory");
    LIT_TRY(freed_on_error(dm, digits_datamodule_init(dm, &c)));
    *out = &dm->base;
    return LIT_OK;
}

/* ---------------------------------------------------------------- registration */

static void free_digits_module(lit_module *m) {
    digits_module *dm = m->user; /* base.user points at the digits_module */
    digits_module_free(dm);
    free(dm);
}

static void free_digits_datamodule(lit_datamodule *d) {
    digits_datamodule *dm = d->user; /* base.user points at the digits_datamodule */
    digits_datamodule_free(dm);
    free(dm);
}

static const lit_registry_class digits_classes[] = {
    {
        .kind = LIT_REG_MODEL,
        .name = DIGITS_MODULE_CLASS,
        .aliases = {"examples.mlp_digits.DigitsModule", "mlp_digits.DigitsModule"},
        .doc = "The 8x8 digits MLP (examples/mlp-digits): cross-entropy, Adam with a per-step cosine decay; logs "
               "train/val/test loss and accuracy.",
        .args = digits_module_args,
        .n_args = (int)(sizeof digits_module_args / sizeof digits_module_args[0]),
        .build_model = build_digits_module,
        .free_model = free_digits_module,
    },
    {
        .kind = LIT_REG_DATAMODULE,
        .name = DIGITS_DATAMODULE_CLASS,
        .aliases = {"examples.mlp_digits.DigitsDataModule", "mlp_digits.DigitsDataModule"},
        .doc = "The 1797 8x8 digits split into train/val/test by a seeded permutation (examples/mlp-digits).",
        .args = digits_datamodule_args,
        .n_args = (int)(sizeof digits_datamodule_args / sizeof digits_datamodule_args[0]),
        .build_datamodule = build_digits_datamodule,
        .free_datamodule = free_digits_datamodule,
    },
};

lit_status digits_register(void) {
    for (size_t i = 0; i < sizeof digits_classes / sizeof digits_classes[0]; i++) {
        const lit_registry_class *have = NULL;
        /* Already there (a second call): nothing to do. find sets an error
         * message when absent; that is expected here and overwritten. */
        if (lit_registry_count(digits_classes[i].kind) > 0 &&
            lit_registry_find(digits_classes[i].kind, digits_classes[i].name, NULL, &have) == LIT_OK)
            continue;
        LIT_TRY(lit_registry_register(&digits_classes[i]));
    }
    lit_clear_error();
    return LIT_OK;
}
