/*
 * examples/mlp-digits/digits.h — the 8x8 UCI handwritten digits, read from
 * the CSV that scikit-learn ships (see data/README.md).
 *
 * Each line holds 65 comma-separated integers: 64 pixels (an 8x8 image,
 * row-major, values 0..16) and then the label 0..9. The file has 1797 lines.
 *
 * Intended usage:
 *
 *     mlp_digits_data d;
 *     if (mlp_digits_load(path, &d) < 0) { fprintf(stderr, "%s\n", lit_last_error()); ... }
 *     ... d.x[i * 64 + j] is pixel j of sample i, d.y[i] its label ...
 *     mlp_digits_free(&d);
 */
#ifndef MLP_DIGITS_DIGITS_H
#define MLP_DIGITS_DIGITS_H

#include <stdint.h>

#include "litc/core.h"

#define MLP_DIGITS_FEATURES 64
#define MLP_DIGITS_CLASSES 10
#define MLP_DIGITS_PIXEL_MAX 16

typedef struct {
    int64_t n;  /* number of samples */
    float *x;   /* (n, 64) raw pixel values 0..16, heap */
    int64_t *y; /* (n) labels 0..9, heap */
} mlp_digits_data;

/* The CSV shipped in the source tree (examples/mlp-digits/data/digits.csv). */
#ifdef LITC_SOURCE_DIR
#define MLP_DIGITS_DEFAULT_PATH LITC_SOURCE_DIR "/examples/mlp-digits/data/digits.csv"
#else
#define MLP_DIGITS_DEFAULT_PATH "examples/mlp-digits/data/digits.csv"
#endif

/* Read `path` into `out` (zeroed first). Errors (last error names the path,
 * and the line for malformed input):
 *   LIT_ERR_IO       the file cannot be opened or read
 *   LIT_ERR_DATA     a line is not 64 pixels in 0..16 plus a label in 0..9,
 *                    or the file holds no samples
 *   LIT_ERR_NOMEM    out of memory
 * On failure nothing needs freeing. */
lit_status mlp_digits_load(const char *path, mlp_digits_data *out);
void mlp_digits_free(mlp_digits_data *d); /* NULL and zeroed structs are fine */

#endif
