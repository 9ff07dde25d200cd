/*
 * litc/nn.h — parameters, layers and initialisers (torch.nn for C).
 *
 * A model's parameters live in a lit_param_store: it owns a persistent arena
 * where every parameter and (after backward) its gradient are allocated, and
 * an ordered list of (dotted name, tensor) — the model's state dict, in
 * registration order, with names like PyTorch's ("blocks.0.attn.qkv.weight").
 * Layers are plain structs holding pointers to tensors of a store; they have
 * no destructor: freeing the store frees every parameter of every layer.
 *
 * Intended usage:
 *
 *     lit_param_store *ps = lit_param_store_new("model");
 *     lit_nn_embedding wte;  lit_nn_embedding_init(&wte, ps, "wte", vocab, E, -1, NULL);
 *     lit_nn_self_attention attn[L];
 *     for (int i = 0; i < L; i++)
 *         lit_nn_self_attention_init(&attn[i], ps, LIT_NAME("blocks.%d.attn", i), E, H,
 *                                    1, 1, 0.1, NULL);   // causal, bias, dropout
 *     lit_nn_linear head;    lit_nn_linear_init(&head, ps, "head", E, vocab, 0, NULL);
 *
 *     int n; lit_tensor **params = lit_param_store_trainable(ps, &n);   // for the optimizer
 *     lit_param_store_train(ps, 1);                                     // dropout on
 *     lit_tensor *h = lit_nn_embedding_forward(&wte, idx);              // (B, T, E)
 *     h = lit_add(h, lit_nn_self_attention_forward(&attn[0], h));
 *     ...
 *     lit_param_store_free(ps);
 *
 * Names: a layer registers its tensors as "<prefix>.<tensor>" ("head.weight");
 * an empty or NULL prefix registers bare names ("weight"). Build nested
 * prefixes with LIT_NAME / lit_name_join.
 *
 * Train/eval: the store carries the module's training flag (default: 1, as
 * torch.nn.Module). Dropout layers made on a store follow it.
 *
 * Random numbers (initialisation, dropout) come from litc's Philox generator
 * (core.h): `rng` NULL means lit_rng_global(). Values therefore differ from
 * PyTorch's for the same seed; the distributions are PyTorch's. The `rng` of
 * a layer's init is used for its initial values only; dropout inside MLP and
 * attention draws from lit_rng_global() (set d.rng on the layer's dropout
 * member to change that).
 *
 * Errors: misuse (wrong input shapes, duplicate names, bad sizes) is a
 * programmer error caught by LIT_ASSERT with a message naming the layer, the
 * shapes and the fix. Loading a state dict returns a lit_status (runtime data).
 */
#ifndef LITC_NN_H
#define LITC_NN_H

#include "ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ================================================================ names */

/* Longest dotted name (including the terminating NUL). */
#define LIT_NAME_MAX 256

/* Write "<prefix>.<formatted>" (or just the formatted part when prefix is
 * NULL or "", or just prefix when fmt is NULL or formats to "") into buf and
 * return buf. Asserts that the result fits in n bytes. */
char *lit_name_join(char *buf, size_t n, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A prefix in a temporary buffer that lives until the end of the enclosing
 * block: LIT_NAME("blocks.%d", i), LIT_SUBNAME(prefix, "attn"). */
#define LIT_NAME(...) lit_name_join((char[LIT_NAME_MAX]){0}, LIT_NAME_MAX, NULL, __VA_ARGS__)
#define LIT_SUBNAME(prefix, ...) lit_name_join((char[LIT_NAME_MAX]){0}, LIT_NAME_MAX, (prefix), __VA_ARGS__)

/* ================================================================ parameter store */

typedef struct lit_param_store lit_param_store;

/* New empty store. `name` (copied; NULL = "params") names its arena in
 * messages. Returns NULL on out of memory (last error set). Training mode is on. */
lit_param_store *lit_param_store_new(const char *name);
/* Free the arena (all parameters, gradients and names) and the store.
 * NULL is a no-op. Tensors and names obtained from the store die with it. */
void lit_param_store_free(lit_param_store *s);
/* The persistent arena parameters live in (also usable for optimizer state). */
lit_arena *lit_param_store_arena(lit_param_store *s);

/* Create a zero-filled f32 parameter "<prefix>.<name>" of the given shape in
 * the store's arena, with requires_grad = 1, and register it. Asserts on a
 * duplicate name. Out of memory (or a shape whose size overflows) returns
 * NULL with LIT_ERR_NOMEM "out of memory allocating parameter
 * 'mlp.layers.0.weight' (100000, 100000) f32 tensor (37.3 GiB) ..." as the
 * last error, and the store keeps the first such failure: layer inits and
 * the Trainer (before fit/validate/test/predict) return it, see
 * lit_param_store_status. */
lit_tensor *lit_param_store_new_param(lit_param_store *s, const char *prefix, const char *name, int ndim,
                                      const int64_t *shape);
/* LIT_OK, or the store's first allocation failure (LIT_ERR_NOMEM; its
 * message becomes the last error again). Every layer init returns it, so a
 * module's init can LIT_TRY each layer or check once at the end. */
lit_status lit_param_store_status(const lit_param_store *s);

/* Register an existing tensor `t` under `full_name` (copied). A parameter
 * (is_buffer 0) is trainable and counted; a buffer (is_buffer 1, e.g. running
 * statistics) is part of the state dict but not a parameter and never gets
 * requires_grad from unfreeze. `t` is not owned: it must outlive the store's
 * use. Asserts on a duplicate name. */
void lit_param_store_register(lit_param_store *s, const char *full_name, lit_tensor *t, int is_buffer);

/* State-dict entries (parameters and buffers), in registration order. */
int lit_param_store_len(const lit_param_store *s);
const char *lit_param_store_name(const lit_param_store *s, int i);  /* asserts 0 <= i < len */
lit_tensor *lit_param_store_tensor(const lit_param_store *s, int i);
int lit_param_store_is_buffer(const lit_param_store *s, int i);
/* Arrays of len entries owned by the store, valid until the next registration
 * (pass them to lit_state_dict_load to copy one store into another). */
const char *const *lit_param_store_names(const lit_param_store *s);
lit_tensor *const *lit_param_store_tensors(const lit_param_store *s);
/* Tensor by exact name, or NULL when there is none. */
lit_tensor *lit_param_store_get(const lit_param_store *s, const char *name);

/* Total elements of the parameters (buffers excluded, as sum(p.numel() for p
 * in model.parameters())); trainable_only counts requires_grad ones only. */
int64_t lit_param_store_count_params(const lit_param_store *s, int trainable_only);

/* Set requires_grad on every parameter whose name is `prefix` or starts with
 * "<prefix>." (NULL or "" = all). Buffers are untouched. Returns how many
 * parameters matched (0 usually means a typo in the prefix). */
int lit_param_store_freeze(lit_param_store *s, const char *prefix);
int lit_param_store_unfreeze(lit_param_store *s, const char *prefix);
/* Whether `name` equals `prefix` or lies under it ("a.b" is under "a", not under "a.b2"). */
int lit_name_has_prefix(const char *name, const char *prefix);

/* The trainable parameters (requires_grad = 1, buffers excluded) in
 * registration order, as a new array in the store's arena (lives as long as
 * the store; a snapshot: later freezes do not change it). *n gets the count. */
lit_tensor **lit_param_store_trainable(lit_param_store *s, int *n);
/* lit_zero_grad over all parameters. */
void lit_param_store_zero_grad(lit_param_store *s, int set_to_none);

/* Module training flag (train() / eval()). Dropout made on this store follows it. */
void lit_param_store_train(lit_param_store *s, int training);
int lit_param_store_is_training(const lit_param_store *s);

/* Module types: the class name a PyTorch user would see for the module at a
 * dotted prefix (type(module).__name__), shown in the model summary's "Type"
 * column (summary.h). The layers below record theirs at init:
 *   lit_nn_linear_init          "Linear"
 *   lit_nn_embedding_init       "Embedding"
 *   lit_nn_layer_norm_init      "LayerNorm"
 *   lit_nn_mlp_init             "MLP" at <prefix>, "ModuleList" at <prefix>.layers
 *                               (torchvision.ops.MLP's name; its Linears are a list)
 *   lit_nn_self_attention_init  "CausalSelfAttention" (causal) or "SelfAttention"
 *                               (nanoGPT's class name; it is not nn.MultiheadAttention,
 *                               whose parameters are named differently)
 * Dropout and activations have no prefix and record nothing. Code that builds
 * containers by hand ("encoder.0", "encoder.1", ...) records their type itself,
 * e.g. lit_param_store_set_module_type(ps, "encoder", "Sequential").
 *
 * Both strings are copied; a second call for the same prefix replaces the
 * type. A NULL or "" prefix (the root module, which the summary never lists)
 * records nothing and returns LIT_OK. Asserts s != NULL and a non-empty type;
 * returns LIT_ERR_NOMEM when copying fails (nothing changed then). The prefix
 * need not have parameters yet (a type may be recorded before or after them). */
lit_status lit_param_store_set_module_type(lit_param_store *s, const char *prefix, const char *type);
/* The type recorded for exactly `prefix`, or NULL when none (or prefix NULL /
 * ""). The string is owned by the store: valid until the prefix's type is
 * replaced or the store is freed. */
const char *lit_param_store_module_type(const lit_param_store *s, const char *prefix);

/* ================================================================ state dict */

/* What a load found. Strings are copies owned by the report: free with
 * lit_state_dict_report_free. `mismatched` lists names whose shapes differ;
 * `message` is a PyTorch-style summary ("" when clean). */
typedef struct {
    int n_missing;
    char **missing;     /* in the store, absent from the input */
    int n_unexpected;
    char **unexpected;  /* in the input, absent from the store */
    int n_mismatched;
    char **mismatched;  /* in both, different shapes */
    char *message;
} lit_state_dict_report;

/* Copy values from (names[i], tensors[i]), i < n, into the store's tensors
 * with the same names (any dtype is converted; gradients and requires_grad are
 * left alone). Checks everything before copying anything, so a failed load
 * leaves the store unchanged.
 *   - shape mismatches are errors in both modes (as PyTorch): LIT_ERR_SHAPE;
 *   - strict: missing or unexpected names are errors: LIT_ERR_NOT_FOUND;
 *   - non-strict: they are only reported; matching entries are copied;
 *   - out of memory while checking: LIT_ERR_NOMEM, nothing copied.
 * `report` (may be NULL) receives the findings in either case; the last error
 * (lit_last_error) holds the same summary on failure. A NULL name or tensor
 * in the input is a programmer error (assert). */
lit_status lit_state_dict_load(lit_param_store *s, int n, const char *const *names, lit_tensor *const *tensors,
                               int strict, lit_state_dict_report *report);
void lit_state_dict_report_free(lit_state_dict_report *r); /* NULL is a no-op; zeroes *r */

/* ================================================================ init
 * In-place initialisers on an f32 tensor (any arena, contiguous), as
 * torch.nn.init. They do not record autograd. rng NULL = lit_rng_global(). */

typedef enum {
    LIT_NN_GAIN_LINEAR = 0, /* also identity, conv*: 1 */
    LIT_NN_GAIN_SIGMOID,    /* 1 */
    LIT_NN_GAIN_TANH,       /* 5/3 */
    LIT_NN_GAIN_RELU,       /* sqrt(2) */
    LIT_NN_GAIN_LEAKY_RELU, /* sqrt(2 / (1 + slope^2)), slope = param (default 0.01 when param < 0) */
    LIT_NN_GAIN_SELU        /* 3/4 */
} lit_nn_nonlinearity;

typedef enum { LIT_NN_FAN_IN = 0, LIT_NN_FAN_OUT } lit_nn_fan_mode;

/* torch.nn.init.calculate_gain. `param` is the leaky_relu slope (< 0 = default 0.01). */
double lit_nn_calculate_gain(lit_nn_nonlinearity nl, double param);
/* torch's _calculate_fan_in_and_fan_out: t needs >= 2 dims (asserts);
 * fan_in = size(1) * receptive field, fan_out = size(0) * receptive field. */
void lit_nn_init_fans(const lit_tensor *t, int64_t *fan_in, int64_t *fan_out);

void lit_nn_init_uniform_(lit_tensor *t, double a, double b, lit_rng *rng);        /* U[a, b) */
void lit_nn_init_normal_(lit_tensor *t, double mean, double std, lit_rng *rng);    /* N(mean, std^2) */
/* N(mean, std^2) restricted to [a, b] (resampled); asserts the interval keeps
 * at least 1% of the mass. */
void lit_nn_init_trunc_normal_(lit_tensor *t, double mean, double std, double a, double b, lit_rng *rng);
void lit_nn_init_constant_(lit_tensor *t, double v);
void lit_nn_init_zeros_(lit_tensor *t);
void lit_nn_init_ones_(lit_tensor *t);
/* U(-b, b), b = gain * sqrt(6 / (fan_in + fan_out)). */
void lit_nn_init_xavier_uniform_(lit_tensor *t, double gain, lit_rng *rng);
/* N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)). */
void lit_nn_init_xavier_normal_(lit_tensor *t, double gain, lit_rng *rng);
/* U(-b, b), b = gain * sqrt(3 / fan), gain = calculate_gain(nl, a). */
void lit_nn_init_kaiming_uniform_(lit_tensor *t, double a, lit_nn_fan_mode mode, lit_nn_nonlinearity nl,
                                  lit_rng *rng);
/* N(0, std^2), std = gain / sqrt(fan). */
void lit_nn_init_kaiming_normal_(lit_tensor *t, double a, lit_nn_fan_mode mode, lit_nn_nonlinearity nl,
                                 lit_rng *rng);
/* The bound of kaiming_uniform_ (exposed for tests and custom layers). */
double lit_nn_kaiming_uniform_bound(const lit_tensor *t, double a, lit_nn_fan_mode mode, lit_nn_nonlinearity nl);

/* ================================================================ activations */

typedef enum {
    LIT_NN_ACT_NONE = 0, /* identity */
    LIT_NN_ACT_RELU,
    LIT_NN_ACT_GELU,      /* exact (erf) */
    LIT_NN_ACT_GELU_TANH, /* tanh approximation */
    LIT_NN_ACT_TANH,
    LIT_NN_ACT_SILU,
    LIT_NN_ACT_SIGMOID
} lit_nn_activation;

/* Apply an activation (ops.h); NONE returns x itself. */
lit_tensor *lit_nn_activate(lit_tensor *x, lit_nn_activation act);
const char *lit_nn_activation_name(lit_nn_activation act); /* "relu", ... */

/* ================================================================ layers */

/* Linear: y = x W^T + b. weight (out, in), bias (out) or NULL.
 * Init (PyTorch's): weight kaiming_uniform_(a = sqrt(5)), i.e. U(-k, k) with
 * k = 1/sqrt(in); bias U(-k, k). */
typedef struct {
    const char *name;   /* prefix, owned by the store */
    int64_t in_features, out_features;
    lit_tensor *weight; /* (out, in) */
    lit_tensor *bias;   /* (out) or NULL */
} lit_nn_linear;

/* Layer inits return lit_param_store_status(s): LIT_ERR_NOMEM naming the
 * parameter that could not be allocated (the layer is then unusable). */
lit_status lit_nn_linear_init(lit_nn_linear *l, lit_param_store *s, const char *prefix, int64_t in_features,
                        int64_t out_features, int bias, lit_rng *rng);
/* x (..., in) -> (..., out). Asserts x's last dim is in_features. */
lit_tensor *lit_nn_linear_forward(const lit_nn_linear *l, lit_tensor *x);

/* Embedding: a lookup table weight (num, dim), init N(0, 1).
 * padding_idx in [0, num): that row starts at zero and receives no gradient
 * (as torch); pass -1 for none (negative values do NOT count from the end). */
typedef struct {
    const char *name;
    int64_t num_embeddings, embedding_dim;
    int64_t padding_idx; /* -1 = none */
    lit_tensor *weight;  /* (num, dim) */
} lit_nn_embedding;

lit_status lit_nn_embedding_init(lit_nn_embedding *e, lit_param_store *s, const char *prefix, int64_t num_embeddings,
                           int64_t embedding_dim, int64_t padding_idx, lit_rng *rng);
/* indices (...) i64/i32 in [0, num) -> (..., dim). */
lit_tensor *lit_nn_embedding_forward(const lit_nn_embedding *e, lit_tensor *indices);

/* LayerNorm over the last dim: weight ones, bias zeros (both NULL when
 * elementwise_affine is 0; bias NULL also when bias is 0). */
typedef struct {
    const char *name;
    int64_t dim;
    double eps;
    lit_tensor *weight; /* (dim) or NULL */
    lit_tensor *bias;   /* (dim) or NULL */
} lit_nn_layer_norm;

lit_status lit_nn_layer_norm_init(lit_nn_layer_norm *ln, lit_param_store *s, const char *prefix, int64_t dim, double eps,
                            int elementwise_affine, int bias);
/* x (..., dim) -> (..., dim). */
lit_tensor *lit_nn_layer_norm_forward(const lit_nn_layer_norm *ln, lit_tensor *x);

/* Dropout with probability p (inverted: kept values scale by 1/(1-p)).
 * Made on a store it follows the store's training flag; with s NULL it is
 * always in training mode unless `training` is cleared by hand. */
typedef struct {
    double p;
    const lit_param_store *store; /* training flag source, or NULL */
    int training;                 /* used when store is NULL */
    lit_rng *rng;                 /* NULL = lit_rng_global() at forward time */
} lit_nn_dropout;

/* Asserts 0 <= p <= 1 (p == 1 zeroes everything in training, as torch). */
void lit_nn_dropout_init(lit_nn_dropout *d, const lit_param_store *s, double p, lit_rng *rng);
int lit_nn_dropout_is_training(const lit_nn_dropout *d);
/* Identity (returns x) when not training or p == 0. */
lit_tensor *lit_nn_dropout_forward(const lit_nn_dropout *d, lit_tensor *x);

/* MLP: Linear(sizes[0], sizes[1]) -> act -> dropout -> ... -> Linear(sizes[n-2],
 * sizes[n-1]); no activation or dropout after the last Linear. Linears are
 * named "<prefix>.layers.<i>". */
#define LIT_NN_MLP_MAX_LAYERS 8

typedef struct {
    const char *name;
    int n_layers;
    lit_nn_linear layers[LIT_NN_MLP_MAX_LAYERS];
    lit_nn_activation act;
    lit_nn_dropout dropout;
} lit_nn_mlp;

/* n_sizes >= 2 (n_sizes - 1 Linear layers, at most LIT_NN_MLP_MAX_LAYERS). */
lit_status lit_nn_mlp_init(lit_nn_mlp *m, lit_param_store *s, const char *prefix, int n_sizes, const int64_t *sizes,
                     lit_nn_activation act, double dropout, int bias, lit_rng *rng);
/* x (..., sizes[0]) -> (..., sizes[n_sizes - 1]). */
lit_tensor *lit_nn_mlp_forward(const lit_nn_mlp *m, lit_tensor *x);

/* Multi-head self-attention with a fused input projection, as GPT-2/nanoGPT:
 *   qkv  = Linear(E, 3E)  ("<prefix>.qkv"; rows [0,E) make q, [E,2E) k, [2E,3E) v,
 *                           head h uses rows h*D..h*D+D-1 of each; D = E / H)
 *   y    = softmax(q k^T / sqrt(D) [+ causal mask] [+ mask]) v      per head,
 *          with dropout p = `attn_dropout` on the probabilities when training
 *   out  = Linear(E, E)   ("<prefix>.proj") of the heads concatenated,
 *          then dropout (residual dropout, p = `dropout`).
 * The qkv layout is that of torch.nn.MultiheadAttention's in_proj_weight
 * (q, k, v stacked), so its weights load directly (out_proj -> proj). */
typedef struct {
    const char *name;
    int64_t embed_dim, n_heads, head_dim;
    int causal;
    /* Dropout on the attention probabilities (nanoGPT's attn_dropout), while
     * the store is training; 0 after init (nanoGPT uses `dropout` for both:
     * set it after init to match). Draws from dropout.rng (NULL = global). */
    double attn_dropout;
    lit_nn_linear qkv;  /* (3E, E) */
    lit_nn_linear proj; /* (E, E) */
    lit_nn_dropout dropout;
} lit_nn_self_attention;

/* Asserts embed_dim % n_heads == 0. */
lit_status lit_nn_self_attention_init(lit_nn_self_attention *a, lit_param_store *s, const char *prefix, int64_t embed_dim,
                                int64_t n_heads, int causal, int bias, double dropout, lit_rng *rng);
/* x (B, T, E) -> (B, T, E). */
lit_tensor *lit_nn_self_attention_forward(const lit_nn_self_attention *a, lit_tensor *x);
/* As forward, with an attention mask as lit_sdpa_params.mask (NULL = none;
 * boolean if integer, additive if float; broadcast to (B, H, T, T)), combined
 * with the causal mask: e.g. a padding mask (B, 1, 1, T), nonzero = attend. */
lit_tensor *lit_nn_self_attention_forward_masked(const lit_nn_self_attention *a, lit_tensor *x, lit_tensor *mask);
/* The two halves of forward, for variants that transform q/k in between
 * (e.g. rotary embeddings): x (B, T, E) -> q, k, v (B, H, T, D) strided views;
 * then y (B, H, T, D) -> (B, T, E) through proj and dropout. */
void lit_nn_self_attention_qkv(const lit_nn_self_attention *a, lit_tensor *x, lit_tensor **q, lit_tensor **k,
                               lit_tensor **v);
lit_tensor *lit_nn_self_attention_merge(const lit_nn_self_attention *a, lit_tensor *y);

#ifdef __cplusplus
}
#endif
#endif
