/*
 * src/core/par-impl.h — OpenMP loops that stay out of OpenMP when small.
 *
 * `#pragma omp parallel for ... if (cond)` still calls into libgomp
 * (GOMP_parallel) when cond is false: about 0.3 µs per loop against a few
 * ns for a plain loop, which is most of a training step on a tiny model.
 * LIT__PAR_FOR writes the loop once and runs it either as
 * `#pragma omp parallel for <clauses>` (par true: as before) or as a plain
 * serial loop that never enters the OpenMP runtime (par false).
 *
 * Both branches run the same iterations with the same code, so each element
 * (or reduction chunk: the chunking is the loop's own) gets the same bits on
 * either branch and on any thread count. For `simd` loops the serial branch
 * is what `if (cond)` already gave when false (GCC applies the `if` to the
 * simd part of a combined construct too).
 *
 *     LIT__PAR_FOR(n >= MIN, simd schedule(static),
 *                  for (int64_t i = 0; i < n; i++) y[i] = f(x[i]));
 *
 * The loop is a variadic argument so commas in it need no parentheses.
 */
#ifndef LITC_CORE_PAR_IMPL_H
#define LITC_CORE_PAR_IMPL_H

#define LIT__PRAGMA(x) _Pragma(#x)

#define LIT__PAR_FOR(par, clauses, ...)               \
    do {                                              \
        if (par) {                                    \
            LIT__PRAGMA(omp parallel for clauses)     \
            __VA_ARGS__                               \
        } else {                                      \
            __VA_ARGS__                               \
        }                                             \
    } while (0)

#endif
