/*
 * src/core/pyfloat.c — Python's repr/str of a float, which the loggers
 * (CSV, hparams.yaml, JSONL, the report) and the progress bar all print
 * with: one copy below both (str-impl.h).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str-impl.h"

char *lit__format_pyfloat(char *buf, size_t n, double v) {
    if (!buf || n == 0) return buf;
    if (isnan(v)) { snprintf(buf, n, "nan"); return buf; }
    if (isinf(v)) { snprintf(buf, n, v < 0 ? "-inf" : "inf"); return buf; }
    if (v == 0) { snprintf(buf, n, signbit(v) ? "-0.0" : "0.0"); return buf; }
    /* Shortest digits that round-trip (Python's repr). */
    char tmp[64];
    int prec = 1;
    for (; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, v);
        if (strtod(tmp, NULL) == v) break;
    }
    if (prec > 17) prec = 17;
    char digits[32];
    int nd = 0;
    const char *c = tmp;
    int neg = 0;
    if (*c == '-') { neg = 1; c++; }
    for (; *c && *c != 'e'; c++)
        if (isdigit((unsigned char)*c)) digits[nd++] = *c;
    digits[nd] = 0;
    int e = (*c == 'e') ? atoi(c + 1) : 0;
    while (nd > 1 && digits[nd - 1] == '0') digits[--nd] = 0;

    char out[64];
    size_t o = 0;
    if (neg) out[o++] = '-';
    if (e >= -4 && e < 16) {
        if (e >= 0) {
            for (int i = 0; i <= e; i++) out[o++] = i < nd ? digits[i] : '0';
            out[o++] = '.';
            if (nd > e + 1)
                for (int i = e + 1; i < nd; i++) out[o++] = digits[i];
            else
                out[o++] = '0';
        } else {
            out[o++] = '0';
            out[o++] = '.';
            for (int i = 0; i < -e - 1; i++) out[o++] = '0';
            for (int i = 0; i < nd; i++) out[o++] = digits[i];
        }
        out[o] = 0;
    } else {
        out[o++] = digits[0];
        if (nd > 1) {
            out[o++] = '.';
            for (int i = 1; i < nd; i++) out[o++] = digits[i];
        }
        snprintf(out + o, sizeof out - o, "e%c%02d", e < 0 ? '-' : '+', e < 0 ? -e : e);
    }
    snprintf(buf, n, "%s", out);
    return buf;
}
