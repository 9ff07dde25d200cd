/*
 * src/optim/optim-impl.h — internals shared by the optimizer sources.
 */
#ifndef LITC_OPTIM_IMPL_H
#define LITC_OPTIM_IMPL_H

#include "litc/optim.h"

#include "core/par-impl.h"

#include <math.h>

/* a * b + c rounded once where the target has FMA, as PyTorch's CPU kernels
 * compute `add(x, alpha)` and `addcmul`; the loops write every fused step
 * explicitly so compiler contraction cannot change results. */
#if defined(__FMA__) || defined(__aarch64__)
#define LIT__FMAF(a, b, c) fmaf((a), (b), (c))
#else
#define LIT__FMAF(a, b, c) ((a) * (b) + (c))
#endif

/* Elementwise loops go parallel above this many elements (results do not
 * depend on the split: every element is computed alone). */
#define LIT__OPTIM_PAR_MIN 32768

/* The state tensor of slot number `slot` (index into vt.state_slots) of
 * parameter `index` in group `group`; NULL when absent and !create. With
 * create, a zero-filled heap tensor of the parameter's shape ("step": 0-d) is
 * made; NULL + last error (LIT_ERR_NOMEM) when that fails. */
lit_tensor *lit__optimizer_slot(lit_optimizer *opt, int group, int index, int slot, int create);

/* Check a gradient for the update of parameter `p` (f32, same shape,
 * contiguous); returns its data or NULL when p->grad is NULL. `who` names
 * the optimizer in messages. */
const float *lit__optimizer_grad(const lit_tensor *p, const char *who);

/* Make an optimizer: check the default hyperparameters (NULL + last error
 * when bad) and, when n > 0, add `params` as group 0 with them. */
lit_optimizer *lit__optimizer_create(const lit_optimizer_vtable *vt, const lit_param_group *defaults,
                                     lit_tensor *const *params, int n);

#endif
