/*
 * tests/fixture.h — reads the text fixtures that tests/fixtures/gen_*.py
 * write with PyTorch.
 *
 * Format: one array per line, `name ndim d0 d1 ... v0 v1 v2 ...`, values in
 * row-major order printed with full precision (%.9g for f32, repr for f64).
 * Lines starting with '#' are comments. A 0-d array is `name 0 v`.
 *
 *     fixture *f = fixture_load("tests/fixtures/nn.txt");   // NULL + message on error
 *     const fixture_array *w = fixture_get(f, "linear.weight");  // aborts the test if missing
 *     ... w->ndim, w->shape, w->data (double), w->numel ...
 *     fixture_free(f);
 *
 * Paths are relative to LITC_SOURCE_DIR (passed by CMake) so tests run from
 * any directory.
 */
#ifndef LITC_TESTS_FIXTURE_H
#define LITC_TESTS_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LITC_SOURCE_DIR
#define LITC_SOURCE_DIR "."
#endif

typedef struct {
    char name[128];
    int ndim;
    int64_t shape[8];
    int64_t numel;
    double *data;
} fixture_array;

typedef struct {
    fixture_array *arrays;
    int count;
} fixture;

static inline void fixture_free(fixture *f) {
    if (!f) return;
    for (int i = 0; i < f->count; i++) free(f->arrays[i].data);
    free(f->arrays);
    free(f);
}

static inline fixture *fixture_load(const char *rel_path) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", LITC_SOURCE_DIR, rel_path);
    FILE *fp = fopen(path, "r");
    if (!fp) { fprintf(stderr, "fixture: cannot open %s\n", path); return NULL; }
    fixture *f = calloc(1, sizeof *f);
    int cap = 0;
    char name[128];
    int c;
    while ((c = fgetc(fp)) != EOF) {
        if (c == '#') { while ((c = fgetc(fp)) != EOF && c != '\n') {} continue; }
        if (c == '\n' || c == ' ' || c == '\r') continue;
        ungetc(c, fp);
        int ndim;
        if (fscanf(fp, "%127s %d", name, &ndim) != 2 || ndim < 0 || ndim > 8) {
            fprintf(stderr, "fixture: bad header in %s\n", path);
            fclose(fp); fixture_free(f); return NULL;
        }
        if (f->count == cap) { cap = cap ? cap * 2 : 64; f->arrays = realloc(f->arrays, (size_t)cap * sizeof *f->arrays); }
        fixture_array *a = &f->arrays[f->count++];
        memset(a, 0, sizeof *a);
        snprintf(a->name, sizeof a->name, "%s", name);
        a->ndim = ndim;
        a->numel = 1;
        for (int d = 0; d < ndim; d++) {
            long long s;
            if (fscanf(fp, "%lld", &s) != 1) { fclose(fp); fixture_free(f); return NULL; }
            a->shape[d] = s;
            a->numel *= s;
        }
        a->data = malloc((size_t)(a->numel ? a->numel : 1) * sizeof(double));
        for (int64_t i = 0; i < a->numel; i++) {
            if (fscanf(fp, "%lf", &a->data[i]) != 1) {
                fprintf(stderr, "fixture: %s: short data for %s\n", path, name);
                fclose(fp); fixture_free(f); return NULL;
            }
        }
    }
    fclose(fp);
    return f;
}

/* NULL when missing. */
static inline const fixture_array *fixture_find(const fixture *f, const char *name) {
    for (int i = 0; f && i < f->count; i++)
        if (strcmp(f->arrays[i].name, name) == 0) return &f->arrays[i];
    return NULL;
}

/* Copy an array into a float buffer (caller frees). */
static inline float *fixture_floats(const fixture_array *a) {
    float *out = malloc((size_t)(a->numel ? a->numel : 1) * sizeof(float));
    for (int64_t i = 0; i < a->numel; i++) out[i] = (float)a->data[i];
    return out;
}

#endif
