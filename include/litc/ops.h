/*
 * litc/ops.h — differentiable tensor operations.
 *
 * Every op takes input tensors (any strides), allocates its output in the
 * current arena (core.h) and, when grad mode is on and an input requires
 * grad, records an autograd node (autograd.h). Floating-point ops compute in
 * f32: pass f32 tensors (convert bf16 storage with lit_to_dtype first).
 * Index arguments are i64 (i32 accepted where noted).
 *
 * Shapes below use (..., C) for "any leading dims, last dim C". Negative dims
 * count from the end, as in PyTorch. Broadcasting follows NumPy/PyTorch rules.
 *
 * NaN and +-Inf: every op, forward and backward, gives what PyTorch gives
 * (tests/test-ops-nonfinite.c checks each against torch): a NaN input yields
 * NaN outputs, never a finite value that hides it. relu(NaN), clamp(NaN),
 * max/min over a NaN are NaN; argmax returns the index of the first NaN;
 * dropout multiplies dropped elements by 0 (NaN and Inf become NaN). Where
 * torch's gradient is a selection it is here too (relu passes the upstream
 * gradient at NaN, clamp gives 0 at NaN, where/masked_fill route it).
 *
 * Errors: shape, dtype and argument misuse abort via LIT_ASSERT with a
 * message naming the op, the shapes involved and how to fix the call.
 */
#ifndef LITC_OPS_H
#define LITC_OPS_H

#include "autograd.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- views
 * Views share data with their input; their backward maps the gradient back. */

/* New shape with the same numel; one entry may be -1. Copies when the input
 * strides do not allow a view. */
lit_tensor *lit_reshape(lit_tensor *x, int ndim, const int64_t *shape);
lit_tensor *lit_flatten(lit_tensor *x, int start_dim, int end_dim);
lit_tensor *lit_permute(lit_tensor *x, const int *dims);          /* dims has x->ndim entries */
lit_tensor *lit_transpose(lit_tensor *x, int dim0, int dim1);
/* Elements start, start+step, ... < end along `dim` (step > 0; end clamped). */
lit_tensor *lit_slice(lit_tensor *x, int dim, int64_t start, int64_t end, int64_t step);
lit_tensor *lit_select(lit_tensor *x, int dim, int64_t index);   /* drops `dim` */
/* Broadcast to `shape` (size-1 dims repeat with stride 0; -1 keeps a size). */
lit_tensor *lit_expand(lit_tensor *x, int ndim, const int64_t *shape);
lit_tensor *lit_unsqueeze(lit_tensor *x, int dim);
lit_tensor *lit_squeeze(lit_tensor *x, int dim);                  /* dim must have size 1 */
/* Contiguous row-major copy (returns x itself when already contiguous). */
lit_tensor *lit_contiguous(lit_tensor *x);
/* Convert dtype (differentiable between float dtypes). Returns x if same dtype. */
lit_tensor *lit_to_dtype(lit_tensor *x, lit_dtype dt);
/* Differentiable copy (always a new contiguous tensor). */
lit_tensor *lit_clone(lit_tensor *x);

/* ---------------------------------------------------------------- elementwise */

/* a op b with broadcasting; output shape is the broadcast shape. */
lit_tensor *lit_add(lit_tensor *a, lit_tensor *b);
lit_tensor *lit_sub(lit_tensor *a, lit_tensor *b);
lit_tensor *lit_mul(lit_tensor *a, lit_tensor *b);
lit_tensor *lit_div(lit_tensor *a, lit_tensor *b);

lit_tensor *lit_add_scalar(lit_tensor *x, double s);  /* x + s */
lit_tensor *lit_mul_scalar(lit_tensor *x, double s);  /* x * s */
lit_tensor *lit_div_scalar(lit_tensor *x, double s);  /* x / s */
lit_tensor *lit_rsub_scalar(lit_tensor *x, double s); /* s - x */
lit_tensor *lit_pow(lit_tensor *x, double p);         /* x ** p */

lit_tensor *lit_neg(lit_tensor *x);
lit_tensor *lit_exp(lit_tensor *x);
lit_tensor *lit_log(lit_tensor *x);
lit_tensor *lit_sqrt(lit_tensor *x);
lit_tensor *lit_rsqrt(lit_tensor *x);
lit_tensor *lit_square(lit_tensor *x);
lit_tensor *lit_abs(lit_tensor *x);
lit_tensor *lit_clamp(lit_tensor *x, double lo, double hi); /* -INFINITY/INFINITY for one side */
lit_tensor *lit_sin(lit_tensor *x);  /* sin(+-Inf) = NaN, as torch */
lit_tensor *lit_cos(lit_tensor *x);
lit_tensor *lit_tanh(lit_tensor *x);
lit_tensor *lit_sigmoid(lit_tensor *x);
lit_tensor *lit_relu(lit_tensor *x);
typedef enum { LIT_GELU_EXACT = 0, LIT_GELU_TANH = 1 } lit_gelu_approx;
lit_tensor *lit_gelu(lit_tensor *x, lit_gelu_approx approx);
lit_tensor *lit_silu(lit_tensor *x);

/* Comparison (no gradient): f32 1.0 where a == b (broadcasting), else 0.0.
 * Integer inputs are compared exactly. */
lit_tensor *lit_eq(lit_tensor *a, lit_tensor *b);

/* ---------------------------------------------------------------- reductions
 * `dims` lists the reduced dims (n_dims entries); n_dims == 0 reduces all.
 * keepdim keeps reduced dims with size 1. */

lit_tensor *lit_sum(lit_tensor *x, int n_dims, const int *dims, int keepdim);
lit_tensor *lit_mean(lit_tensor *x, int n_dims, const int *dims, int keepdim);
/* Variance with Bessel-style `correction` (1 = unbiased, as torch.var). */
lit_tensor *lit_var(lit_tensor *x, int n_dims, const int *dims, int correction, int keepdim);
/* Max/min over one dim (values); gradient flows to the first extremal element
 * (a NaN counts as the extremum: the first NaN wins, as in torch). */
lit_tensor *lit_max(lit_tensor *x, int dim, int keepdim);
lit_tensor *lit_min(lit_tensor *x, int dim, int keepdim);
/* Index of the first maximum along `dim` (of the first NaN if any), i64, no gradient. */
lit_tensor *lit_argmax(lit_tensor *x, int dim, int keepdim);
/* Sum of every element as a 0-d tensor. */
lit_tensor *lit_sum_all(lit_tensor *x);
lit_tensor *lit_mean_all(lit_tensor *x);

/* ---------------------------------------------------------------- linear algebra */

/* torch.matmul semantics: (n)x(n) dot, (m,k)x(k,n), batched (...,m,k)x(...,k,n)
 * with broadcast batch dims, 1-d operands promoted and squeezed. */
lit_tensor *lit_matmul(lit_tensor *a, lit_tensor *b);
/* op(a) @ op(b) where op transposes the last two dims when the flag is set.
 * a: (..., m, k) or (..., k, m); b: (..., k, n) or (..., n, k). */
lit_tensor *lit_matmul_ex(lit_tensor *a, lit_tensor *b, int transpose_a, int transpose_b);
/* Batched (B, m, k) x (B, k, n) -> (B, m, n). */
lit_tensor *lit_bmm(lit_tensor *a, lit_tensor *b);
/* Fused x @ w^T + b as nn.Linear: x (..., in), w (out, in), b (out) or NULL. */
lit_tensor *lit_linear(lit_tensor *x, lit_tensor *w, lit_tensor *b);

/* ---------------------------------------------------------------- normalisation */

lit_tensor *lit_softmax(lit_tensor *x, int dim);
lit_tensor *lit_log_softmax(lit_tensor *x, int dim);
/* Fused layer norm over the last dim C: x (..., C), weight/bias (C) or NULL. */
lit_tensor *lit_layer_norm(lit_tensor *x, lit_tensor *weight, lit_tensor *bias, double eps);

/* ---------------------------------------------------------------- indexing */

/* weight (V, D), indices (...) i64 or i32 in [0, V) -> (..., D).
 * Backward scatter-adds into weight's gradient. */
lit_tensor *lit_embedding(lit_tensor *weight, lit_tensor *indices);
/* out[i][j] = x[i][index[i][j]] along `dim` (torch.gather); index i64 (or i32),
 * same ndim; x any dtype. Backward scatter-adds (repeated indices sum). */
lit_tensor *lit_gather(lit_tensor *x, int dim, lit_tensor *index);
/* cond (broadcastable, any dtype, nonzero = true) ? a : b. a and b share a
 * dtype (any; the output has it); gradients flow to float a and b. */
lit_tensor *lit_where(lit_tensor *cond, lit_tensor *a, lit_tensor *b);
/* x with `value` where mask (broadcastable to x, nonzero = true). */
lit_tensor *lit_masked_fill(lit_tensor *x, lit_tensor *mask, double value);
/* indices (...) i64 in [0, num_classes) -> (..., num_classes) i64 0/1. */
lit_tensor *lit_one_hot(lit_tensor *indices, int64_t num_classes);
/* Concatenate n tensors along dim (all other dims equal). */
lit_tensor *lit_concat(int n, lit_tensor *const *xs, int dim);
/* Split along dim into n_parts pieces of the given sizes (summing to the dim
 * size); views written to out[0..n_parts). */
void lit_split(lit_tensor *x, int dim, int n_parts, const int64_t *sizes, lit_tensor **out);
/* torch.chunk: pieces of ceil(size/chunks) (the last may be smaller, and
 * there may be fewer than `chunks`); returns the count written. `out` must
 * hold `chunks` entries (an empty dim gives `chunks` empty pieces). */
int lit_chunk(lit_tensor *x, int chunks, int dim, lit_tensor **out);

/* ---------------------------------------------------------------- regularisation */

/* Inverted dropout: zero with probability p and scale by 1/(1-p) when
 * training; identity otherwise. rng NULL = lit_rng_global(). Element i uses
 * Philox block rng->counter + i/4 (independent of the thread count) and the
 * call advances rng->counter by ceil(numel/4). With training == 0 or p == 0
 * it returns x itself (no copy, RNG untouched); p == 1 gives x * 0 (zeros,
 * except NaN where x is NaN or Inf, as torch). */
lit_tensor *lit_dropout(lit_tensor *x, double p, int training, lit_rng *rng);

/* ---------------------------------------------------------------- ranges, top-k, sampling */

/* torch.arange over integers, exact over all of int64 (tensor.h's lit_arange
 * steps in double): start, start + step, ... while < end (step > 0) or > end
 * (step < 0) -> (ceil((end - start) / step),) of dtype LIT_I64 or LIT_I32;
 * start == end gives an empty tensor. No gradient. Asserts on step == 0, a
 * step that moves away from end (torch's "upper bound and larger bound
 * inconsistent with step sign"), another dtype, or values outside i32. */
lit_tensor *lit_arange_int(lit_dtype dtype, int64_t start, int64_t end, int64_t step);

/* torch.topk along the last dim: the k largest (largest != 0) or smallest
 * elements of each row of x (..., C), sorted (largest first, or smallest
 * first) -> values (..., k) f32, differentiable (the gradient goes to the
 * selected positions). *indices (if not NULL) gets their positions, i64
 * (..., k). NaN ranks above every number (first when largest, last when
 * smallest), as torch; equal values come in ascending index order (torch
 * leaves tie order unspecified). Asserts on k outside [0, C] or a 0-d x. */
lit_tensor *lit_topk(lit_tensor *x, int64_t k, int largest, lit_tensor **indices);

/* torch.multinomial: num_samples draws (> 0) from each row of probs (..., C),
 * non-negative weights that need not sum to 1 -> *out (..., num_samples)
 * i64 category indices. Without replacement (replacement == 0) a row gives
 * each category at most once (num_samples <= its non-zero categories).
 * Deterministic: draw i uses Philox block rng->counter + i and the call
 * advances rng->counter by the number of draws (rng NULL = lit_rng_global()).
 * Errors (a distribution comes from data, so they are statuses, *out NULL and
 * the RNG untouched): LIT_ERR_INVALID_ARG for a NaN, Inf or negative weight,
 * a row summing to 0, or too few non-zero categories without replacement;
 * the message names the row. */
lit_status lit_multinomial(lit_tensor *probs, int64_t num_samples, int replacement, lit_rng *rng, lit_tensor **out);
/* One draw per row from softmax(logits) (torch.distributions.Categorical(
 * logits=...).sample()): logits (..., C) -> *out (...) i64. -inf logits are
 * never drawn. Same RNG use as lit_multinomial with one sample. Errors:
 * LIT_ERR_INVALID_ARG for a row with NaN or +inf, or with every logit -inf. */
lit_status lit_categorical(lit_tensor *logits, lit_rng *rng, lit_tensor **out);

/* ---------------------------------------------------------------- losses */

typedef enum { LIT_REDUCTION_MEAN = 0, LIT_REDUCTION_SUM, LIT_REDUCTION_NONE } lit_reduction;

typedef struct {
    int64_t ignore_index;   /* targets equal to this contribute nothing (default -100) */
    double label_smoothing; /* in [0, 1] (default 0) */
    lit_reduction reduction;/* default mean over non-ignored targets */
} lit_cross_entropy_params;
lit_cross_entropy_params lit_cross_entropy_default_params(void);

/* logits (..., C) f32 with classes in the LAST dim ((N, C), a language
 * model's (N, T, C), or (C,) for one sample), target (...) i64/i32 class
 * indices (the logits' shape without C: (N), (N, T), 0-d) -> 0-d (mean/sum)
 * or the target's shape (none). Matches torch.nn.functional.cross_entropy on
 * logits.view(-1, C) and target.view(-1): mean divides by the number of
 * non-ignored targets (none: NaN, as torch); label smoothing spreads eps/C
 * over every class. (PyTorch itself reads a 3-d input as (N, C, d1): litc
 * keeps classes last, the layout GPT code reshapes to.) p NULL = defaults. */
lit_tensor *lit_cross_entropy(lit_tensor *logits, lit_tensor *target, const lit_cross_entropy_params *p);
/* Mean squared error, reduction as above. */
lit_tensor *lit_mse_loss(lit_tensor *input, lit_tensor *target, lit_reduction reduction);

/* ---------------------------------------------------------------- attention */

/* softmax(q k^T * scale + mask) v. q (B, H, Tq, D), k/v (B, H, Tk, D) (v may
 * have its own last dim Dv, giving (B, H, Tq, Dv));
 * causal masks key j > query i (aligned at the start, as PyTorch's is_causal);
 * scale <= 0 picks 1/sqrt(D). -> (B, H, Tq, Dv).
 * Same as lit_scaled_dot_product_attention_ex with only is_causal and scale set. */
lit_tensor *lit_scaled_dot_product_attention(lit_tensor *q, lit_tensor *k, lit_tensor *v, int causal,
                                             double scale);

/* How lit_sdpa_params.mask is read. AUTO follows torch's attn_mask: an
 * integer mask is boolean, a float mask additive. */
typedef enum {
    LIT_SDPA_MASK_AUTO = 0,
    LIT_SDPA_MASK_BOOL,     /* nonzero = attend (torch's True), 0 = the key is excluded (its score -inf) */
    LIT_SDPA_MASK_ADDITIVE, /* float, added to the scaled scores (-inf excludes a key) */
} lit_sdpa_mask_kind;

typedef struct {
    /* NULL (default) or a mask that broadcasts to the scores (B, H, Tq, Tk):
     * (Tq, Tk), (B, 1, Tq, Tk), (B, H, Tq, Tk), (B, 1, 1, Tk) for padding, any
     * dtype for BOOL (i64, i32, or f32 0/1), float for ADDITIVE. It is copied
     * (later writes to it do not change backward) and gets no gradient: one
     * that requires grad is an error (pass lit_detach(mask)). */
    lit_tensor *mask;
    lit_sdpa_mask_kind mask_kind; /* default AUTO */
    /* Causal mask as lit_scaled_dot_product_attention's `causal`. Unlike
     * torch, which rejects is_causal with attn_mask, both may be set: a key
     * is then excluded by either (causal + padding). */
    int is_causal;
    /* Dropout on the attention probabilities (inverted: kept ones scale by
     * 1/(1-p)), applied whenever > 0, as torch's dropout_p (pass 0 in eval).
     * Entry e = ((b*H + h)*Tq + i)*Tk + j draws what lit_dropout draws for
     * element e of a (B, H, Tq, Tk) tensor: Philox block rng->counter + e/4.
     * The call advances rng->counter by ceil(B*H*Tq*Tk / 4) blocks (not at
     * all when dropout_p == 0); backward regenerates the same draws, nothing
     * of size Tq x Tk is stored. In [0, 1]; 1 drops everything. */
    double dropout_p;
    double scale;  /* <= 0 (default): 1/sqrt(D) */
    lit_rng *rng;  /* dropout's generator; NULL = lit_rng_global() */
} lit_sdpa_params;
lit_sdpa_params lit_sdpa_default_params(void);

/* Attention with the options above (p NULL = defaults). A query row whose
 * every key is excluded (by the masks together, or an all -inf additive row)
 * gives NaN, as torch's softmax over a row of -inf; in backward, as torch's
 * masked_fill, keys excluded by a boolean or causal mask pass no gradient to
 * the scores, so that row's dq is 0 (NaN for an additive row) while dv of
 * every key is NaN. NaN inputs propagate as in torch. Asserts on a mask that
 * does not broadcast, an integer ADDITIVE mask, a mask requiring grad, or
 * dropout_p outside [0, 1]. */
lit_tensor *lit_scaled_dot_product_attention_ex(lit_tensor *q, lit_tensor *k, lit_tensor *v,
                                                const lit_sdpa_params *p);

#ifdef __cplusplus
}
#endif
#endif
