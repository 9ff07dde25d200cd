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
 * Anomaly mode (lit_set_anomaly_enabled; Trainer(detect_anomaly=1) turns it
 * on for each training batch) records the first op that made a value NaN or
 * Inf, in forward and in backward, so a NaN loss can be traced to its origin:
 *
 *     int prev = lit_set_anomaly_enabled(1);
 *     lit_anomaly_clear();
 *     lit_tensor *loss = ...;  lit_backward(loss);
 *     const lit_anomaly *a = lit_anomaly_first(0);   // forward; 1: backward
 *     if (a) printf("%s\n", lit_anomaly_str(a, buf, sizeof buf));
 *     lit_set_anomaly_enabled(prev);
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

/* ---- anomaly detection
 *
 * With anomaly mode on (per thread, off by default), every op scans its output
 * for NaN/Inf as it is computed, and every backward function the gradients it
 * produced, and the first offender in each direction is recorded. Off, this
 * costs one predictable branch per op.
 *
 * Forward: an output holding NaN is recorded as PRODUCED by the op when no
 * input holds NaN, else as INPUT: the NaN was already in an input that no op
 * in anomaly mode produced (a parameter, the batch, a constant; parameters
 * carry their name). An output holding +-Inf is recorded only when no input
 * holds +-Inf and the op is not a deliberate fill (masked_fill with
 * -INFINITY): an Inf mask passed along is legitimate, and a NaN it may lead
 * to (a row of -inf through softmax) is recorded where it appears.
 * Backward: the first gradient holding NaN or +-Inf after a node's backward
 * (PRODUCED, naming the op and the input it is the gradient of), or a
 * non-finite gradient handed to lit_backward_with_grad (INPUT, op NULL). */

typedef enum {
    LIT_ANOMALY_PRODUCED = 1, /* the op made the value from inputs without it */
    LIT_ANOMALY_INPUT = 2,    /* the value was already in an input of the op */
} lit_anomaly_kind;

typedef struct {
    lit_anomaly_kind kind;
    int backward;                 /* 0: found in forward, 1: in backward */
    const char *op;               /* op name (static), NULL for backward's own gradient */
    int input;                    /* INPUT: the input holding it; backward PRODUCED: the input
                                   * whose gradient holds it; else -1 */
    char name[64];                /* that input's tensor name (parameters have one), or "" */
    float value;                  /* the first non-finite value found (NaN before Inf) */
    int64_t index;                /* its flat index */
    int ndim;                     /* shape of the tensor holding it: the output (forward */
    int64_t shape[LIT_MAX_DIMS];  /* PRODUCED), the input (INPUT) or the gradient (backward) */
} lit_anomaly;

/* Anomaly mode of the calling thread; returns the previous mode. */
int lit_set_anomaly_enabled(int enabled);
int lit_is_anomaly_enabled(void);
/* The first anomaly recorded since the last lit_anomaly_clear, in forward
 * (backward = 0) or backward (1); NULL when none. Valid until the next clear. */
const lit_anomaly *lit_anomaly_first(int backward);
void lit_anomaly_clear(void);
/* One line describing `a` into buf (truncated to n), e.g. "op 'log' produced
 * nan in forward (output shape (4, 10))" or "input 1 of op 'linear' was
 * already nan (element 3 of (8, 4), parameter 'l1.weight')"; returns buf. */
char *lit_anomaly_str(const lit_anomaly *a, char *buf, size_t n);

/* ---- for op implementers (src/ops): the tape's recording interface.
 * Ops sit above the tape: they record nodes here, and the backward walk
 * calls the lit_backward_fn each op supplied (lit__accumulate_grad, which
 * sums a gradient down to its input's shape, is an op: src/ops/ops-impl.h). */

/* Record a node for `out` if grad mode is on and any input requires grad;
 * returns the node (to fill saved values) or NULL when nothing is recorded. */
lit_node *lit__record(const char *op, lit_backward_fn fn, lit_tensor *out, int n_inputs,
                      lit_tensor *const *inputs);
/* As lit__record, for an op whose output holds +-Inf on purpose when
 * `fill` is infinite (masked_fill with -INFINITY): anomaly mode then flags
 * only NaN in its output. */
lit_node *lit__record_fill(const char *op, lit_backward_fn fn, lit_tensor *out, int n_inputs,
                           lit_tensor *const *inputs, double fill);
/* Whether input i of a node needs a gradient. */
int lit__needs_grad(const lit_tensor *t);
/* t->grad, allocated zero-filled (contiguous f32, t's shape; a leaf's where
 * the leaf lives, an intermediate's in the current arena) when NULL, so kernels can accumulate into it
 * directly (e.g. sgemm with beta = 1) instead of through a temporary. */
lit_tensor *lit__grad_buffer(lit_tensor *t);

#ifdef __cplusplus
}
#endif
#endif
