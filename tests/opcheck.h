/*
 * tests/opcheck.h — shared checks for op tests: forward values against a
 * reference computed in double, and backward against central finite
 * differences.
 *
 * The gradient check treats an op as a function of an array of input
 * tensors. It projects the output on a fixed random tensor r, so one
 * backward pass (upstream gradient r) gives the analytic gradient of
 * L = sum(out * r) for every input, and compares each input element with
 * (L(x + h) - L(x - h)) / 2h, evaluated in double from f32 forwards:
 *
 *     static lit_tensor *call_softmax(lit_tensor *const *in, void *ctx) {
 *         return lit_softmax(in[0], *(int *)ctx);
 *     }
 *     lit_tensor *x = opcheck_randn(2, (int64_t[]){3, 4}, 1);
 *     x->requires_grad = 1;
 *     int dim = -1;
 *     opcheck_grad("softmax", call_softmax, 1, &x, &dim, OPCHECK_TOL);
 *
 * Only inputs with requires_grad set are checked (index tensors and inputs
 * you leave without it are held fixed). Inputs may be strided views (see
 * opcheck_noncontig): elements are perturbed through their strides.
 * Mismatches are reported through the harness (file:line of the caller's
 * test, name, input number and element) and counted as failures.
 */
#ifndef LITC_TESTS_OPCHECK_H
#define LITC_TESTS_OPCHECK_H

#include "harness.h"

typedef lit_tensor *(*opcheck_fn)(lit_tensor *const *in, void *ctx);

typedef struct {
    double h;    /* perturbation (absolute, applied in f32) */
    double rtol; /* |fd - analytic| <= atol + rtol * |fd| */
    double atol;
} opcheck_tol;

/* Honest defaults for f32 forwards: FD noise is about eps_f32 * |L| / h. */
#define OPCHECK_TOL ((opcheck_tol){1e-3, 1e-2, 1e-3})

/* A contiguous N(0, 1) tensor drawn from its own seeded stream. */
static inline lit_tensor *opcheck_randn(int ndim, const int64_t *shape, uint64_t seed) {
    lit_rng rng = lit_rng_new(seed);
    return lit_randn(ndim, shape, &rng);
}

/* Same shape and values as x (ndim >= 2), stored with its last two dims
 * swapped in memory: a non-contiguous leaf to exercise strided paths. */
static inline lit_tensor *opcheck_noncontig(const lit_tensor *x) {
    int nd = x->ndim;
    int64_t sshape[LIT_MAX_DIMS];
    memcpy(sshape, x->shape, sizeof sshape);
    sshape[nd - 1] = x->shape[nd - 2];
    sshape[nd - 2] = x->shape[nd - 1];
    lit_tensor *store = lit_empty(x->dtype, nd, sshape);
    lit_tensor *v = lit__tensor_alloc(lit_arena_current(), x->dtype, nd, x->shape, 0);
    memcpy(v->stride, store->stride, sizeof v->stride);
    v->stride[nd - 1] = store->stride[nd - 2];
    v->stride[nd - 2] = store->stride[nd - 1];
    v->data = store->data;
    lit_tensor_copy_(v, x);
    return v;
}

/* Compare out (any strides) with ref[0..n) in row-major order: shapes are
 * the caller's business, numel must be n. NaN matches only NaN. */
#define opcheck_forward(name, out, ref, n, rtol, atol) opcheck_forward_((name), (out), (ref), (n), (rtol), (atol), __LINE__)
static inline int opcheck_forward_(const char *name, const lit_tensor *out, const double *ref, int64_t n,
                                   double rtol, double atol, int line) {
    harness_checks_++;
    if (out->numel != n) {
        HARNESS_FAIL_("%s (line %d): output %s has %lld elements, reference %lld", name, line, LIT_SHAPE_STR(out),
                      (long long)out->numel, (long long)n);
        return 1;
    }
    for (int64_t k = 0; k < n; k++) {
        double v = lit_get_flat(out, k), r = ref[k];
        int ok = isnan(r) ? isnan(v) : (isinf(r) ? v == r : fabs(v - r) <= atol + rtol * fabs(r));
        if (!ok) {
            HARNESS_FAIL_("%s (line %d): forward [%lld] = %.9g, reference %.9g", name, line, (long long)k, v, r);
            return 1;
        }
    }
    return 0;
}

/* sum(out * r) in double. */
static inline double opcheck_project_(const lit_tensor *out, const lit_tensor *r) {
    double s = 0;
    for (int64_t k = 0; k < out->numel; k++) s += lit_get_flat(out, k) * lit_get_flat(r, k);
    return s;
}

#define opcheck_grad(name, fn, n_in, in, ctx, tol) opcheck_grad_((name), (fn), (n_in), (in), (ctx), (tol), __LINE__)

/* Returns the number of mismatching elements (0 = pass). */
static inline int opcheck_grad_(const char *name, opcheck_fn fn, int n_in, lit_tensor **in, void *ctx,
                                opcheck_tol tol, int line) {
    harness_checks_++;
    for (int i = 0; i < n_in; i++)
        if (in[i]) in[i]->grad = NULL;
    lit_tensor *out = fn(in, ctx);
    if (!out->requires_grad) {
        HARNESS_FAIL_("%s (line %d): output does not require grad; set requires_grad on an input", name, line);
        return 1;
    }
    lit_rng rng = lit_rng_new(0x5eed);
    lit_tensor *r = lit_randn(out->ndim, out->shape, &rng);
    lit_backward_with_grad(out, r);

    int bad = 0, prev = lit_set_grad_enabled(0);
    for (int i = 0; i < n_in; i++) {
        lit_tensor *x = in[i];
        if (!x || !x->requires_grad || !lit_dtype_is_float(x->dtype)) continue;
        if (x->numel && !x->grad) {
            HARNESS_FAIL_("%s (line %d): input %d %s received no gradient", name, line, i, LIT_SHAPE_STR(x));
            bad++;
            continue;
        }
        for (int64_t k = 0; k < x->numel; k++) {
            float orig = (float)lit_get_flat(x, k);
            float up = (float)(orig + tol.h), dn = (float)(orig - tol.h);
            lit_set_flat(x, k, up);
            double fp = opcheck_project_(fn(in, ctx), r);
            lit_set_flat(x, k, dn);
            double fm = opcheck_project_(fn(in, ctx), r);
            lit_set_flat(x, k, orig);
            double fd = (fp - fm) / ((double)up - (double)dn), an = lit_get_flat(x->grad, k);
            if (!(fabs(fd - an) <= tol.atol + tol.rtol * fabs(fd))) {
                if (bad < 5)
                    HARNESS_FAIL_("%s (line %d): d/d input%d[%lld] of %s: analytic %.7g, finite difference %.7g",
                                  name, line, i, (long long)k, LIT_SHAPE_STR(x), an, fd);
                bad++;
            }
        }
    }
    lit_set_grad_enabled(prev);
    return bad;
}

#endif
