/*
 * litc/autograd.h — reverse-mode automatic differentiation.
 *
 * Define-by-run: every op whose input requires a gradient records a node
 * (its backward function, inputs and saved values) in the current arena and
 * sets the output's grad_fn. lit_backward(loss) orders the nodes reachable
 * from `loss` topologically and runs their backward functions, which
 * ACCUMULATE into `.grad` (zeroing is explicit: lit_zero_grad / optimizers).
 *
 * Leaf gradients (parameters) live where the leaf lives (its arena or the
 * heap) and persist across steps; gradients of intermediate tensors live in
 * the current arena. The graph may be walked several times (as PyTorch's
 * retain_graph=True) until the arena is reset; each walk recomputes the
 * intermediate gradients from zero.
 *
 * Intended usage:
 *
 *     w->requires_grad = 1;
 *     lit_tensor *loss = lit_mean(lit_square(lit_matmul(x, w)), 0, NULL, 0);
 *     lit_backward(loss);           // w->grad += d loss / d w
 *     ... optimizer step, lit_zero_grad ...
 *     lit_arena_reset(lit_arena_current());
 *
 *     int prev = lit_set_grad_enabled(0);   // no-grad region (evaluation)
 *     ...
 *     lit_set_grad_enabled(prev);
 *
 * Errors: backward of a non-scalar without a gradient, a gradient of the
 * wrong shape, or a graph whose arena was reset are programmer errors
 * (LIT_ASSERT with a hint).
 */
#ifndef LITC_AUTOGRAD_H
#define LITC_AUTOGRAD_H

#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LIT_NODE_MAX_INPUTS 4

typedef void (*lit_backward_fn)(lit_node *node, const lit_tensor *grad_out);

struct lit_node {
    const char *op;                             /* op name, for messages */
    lit_backward_fn backward;
    lit_tensor *out;                            /* the tensor this node produced */
    int n_inputs;
    lit_tensor *inputs[LIT_NODE_MAX_INPUTS];    /* NULL entries allowed */
    lit_tensor *saved[LIT_NODE_MAX_INPUTS];     /* op-specific saved tensors */
    double scalars[4];                          /* op-specific saved numbers */
    int64_t ints[LIT_MAX_DIMS];                 /* op-specific saved integers (dims, flags) */
    void *extra;                                /* op-specific, in the arena */
    uint32_t visit;                             /* traversal mark (internal) */
};

/* Run backward from a one-element tensor (its gradient is 1). */
void lit_backward(lit_tensor *loss);
/* Run backward from `out` with an explicit upstream gradient of out's shape. */
void lit_backward_with_grad(lit_tensor *out, const lit_tensor *grad);

/* Grad mode of the calling thread; returns the previous mode. */
int lit_set_grad_enabled(int enabled);
int lit_is_grad_enabled(void);

/* A new tensor sharing data with `t`, cut from the graph (no grad_fn,
 * requires_grad = 0). */
lit_tensor *lit_detach(lit_tensor *t);

/* Set `.grad` of every tensor in the array to zero (or NULL when set_to_none). */
void lit_zero_grad(lit_tensor **params, int n, int set_to_none);

/* ---- for op implementers (src/ops) */

/* Record a node for `out` if grad mode is on and any input requires grad;
 * returns the node (to fill saved values) or NULL when nothing is recorded. */
lit_node *lit__record(const char *op, lit_backward_fn fn, lit_tensor *out, int n_inputs,
                      lit_tensor *const *inputs);
/* Whether input i of a node needs a gradient. */
int lit__needs_grad(const lit_tensor *t);
/* Add `g` (f32, same shape as t, or broadcastable-to t's shape from a larger
 * broadcast shape — summed down) into t->grad, allocating it on first use. */
void lit__accumulate_grad(lit_tensor *t, const lit_tensor *g);
/* t->grad, allocated zero-filled (contiguous f32, t's shape, by the same rule
 * as lit__accumulate_grad) when NULL, so kernels can accumulate into it
 * directly (e.g. sgemm with beta = 1) instead of through a temporary. */
lit_tensor *lit__grad_buffer(lit_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
