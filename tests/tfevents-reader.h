/*
 * tests/tfevents-reader.h — an independent reader of TensorBoard event files
 * for the tests (test-loggers.c, test-run-logs.c): TFRecord framing (uint64
 * length, masked CRC-32C of it, data, masked CRC-32C of the data; little
 * endian) with both CRCs computed bit by bit here (not lit_crc32c), and the
 * Event / Summary protobufs decoded by hand from the wire format (no
 * protobuf library, nothing shared with src/loggers/tensorboard-logger.c).
 *
 *     events_file ef;
 *     CHECK(read_events(path, &ef));        // every record, in file order
 *     ... ef.ev[i].tag, .step, .has_simple, .simple (float32), .plugin ...
 *     events_file_free(&ef);
 *
 * decode_event accepts only the fields litc's writer is meant to write:
 * wall_time, step, file_version "brain.Event:2", source_metadata writer
 * "litc", and a Summary of exactly one value {tag, simple_value | tensor,
 * metadata.plugin_data{plugin_name, content}}. Header-only (static inline);
 * include after harness.h.
 */
#ifndef LITC_TESTS_TFEVENTS_READER_H
#define LITC_TESTS_TFEVENTS_READER_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* CRC-32C bit by bit (reflected polynomial 0x82F63B78), not lit_crc32c. */
static inline uint32_t crc32c_bitwise(const unsigned char *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    }
    return c ^ 0xFFFFFFFFu;
}

static inline uint32_t mask_crc(uint32_t c) { return ((c >> 15) | (c << 17)) + 0xa282ead8u; }

static inline uint64_t rd_le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* A protobuf field: number, wire type, varint or fixed value, or bytes. */
typedef struct {
    int field, wire;
    uint64_t u;
    const unsigned char *p;
    size_t n;
} pb_field;

/* Next field of [*p, end); 0 at the end, -1 when malformed. */
static inline int pb_next(const unsigned char **p, const unsigned char *end, pb_field *f) {
    if (*p >= end) return 0;
    uint64_t key = 0;
    int shift = 0;
    const unsigned char *q = *p;
    for (;;) {
        if (q >= end || shift > 63) return -1;
        key |= (uint64_t)(*q & 0x7F) << shift;
        shift += 7;
        if (!(*q++ & 0x80)) break;
    }
    f->field = (int)(key >> 3);
    f->wire = (int)(key & 7);
    f->p = NULL;
    f->n = 0;
    f->u = 0;
    if (f->wire == 0) {
        shift = 0;
        for (;;) {
            if (q >= end || shift > 63) return -1;
            f->u |= (uint64_t)(*q & 0x7F) << shift;
            shift += 7;
            if (!(*q++ & 0x80)) break;
        }
    } else if (f->wire == 1) {
        if (end - q < 8) return -1;
        f->u = rd_le(q, 8);
        q += 8;
    } else if (f->wire == 5) {
        if (end - q < 4) return -1;
        f->u = rd_le(q, 4);
        q += 4;
    } else if (f->wire == 2) {
        uint64_t len = 0;
        shift = 0;
        for (;;) {
            if (q >= end || shift > 63) return -1;
            len |= (uint64_t)(*q & 0x7F) << shift;
            shift += 7;
            if (!(*q++ & 0x80)) break;
        }
        if ((uint64_t)(end - q) < len) return -1;
        f->p = q;
        f->n = (size_t)len;
        q += len;
    } else {
        return -1;
    }
    *p = q;
    return 1;
}

static inline double as_double(uint64_t u) {
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static inline float as_float(uint64_t u) {
    uint32_t w = (uint32_t)u;
    float x;
    memcpy(&x, &w, 4);
    return x;
}

static inline int str_is(const pb_field *f, const char *s) { return f->n == strlen(s) && memcmp(f->p, s, f->n) == 0; }

/* The first length-delimited field `field` of a message, or NULL. */
static inline int pb_get(const unsigned char *p, size_t n, int field, pb_field *out) {
    const unsigned char *q = p, *end = p + n;
    pb_field f;
    int r;
    while ((r = pb_next(&q, end, &f)) > 0)
        if (f.field == field) {
            *out = f;
            return 1;
        }
    return 0;
}

typedef struct {
    double wall_time;
    int64_t step;
    int has_file_version, has_source;
    char tag[128];
    int has_simple;
    float simple;
    char plugin[32];
    const unsigned char *content, *tensor;
    size_t content_n, tensor_n;
} decoded_event;

/* Decode one Event: every field must be one we expect. */
static inline int decode_event(const unsigned char *p, size_t n, decoded_event *e) {
    memset(e, 0, sizeof *e);
    const unsigned char *q = p, *end = p + n;
    pb_field f;
    int r;
    while ((r = pb_next(&q, end, &f)) > 0) {
        if (f.field == 1 && f.wire == 1) e->wall_time = as_double(f.u);
        else if (f.field == 2 && f.wire == 0) e->step = (int64_t)f.u;
        else if (f.field == 3 && f.wire == 2) e->has_file_version = str_is(&f, "brain.Event:2") ? 1 : -1;
        else if (f.field == 10 && f.wire == 2) { /* source_metadata{writer} */
            pb_field w;
            if (!pb_get(f.p, f.n, 1, &w) || !str_is(&w, "litc")) return 0;
            e->has_source = 1;
        }
        else if (f.field == 5 && f.wire == 2) {
            /* Summary: exactly one value */
            const unsigned char *s = f.p, *se = f.p + f.n;
            pb_field v;
            int nv = 0;
            while (pb_next(&s, se, &v) > 0) {
                if (v.field != 1 || v.wire != 2) return 0;
                nv++;
                const unsigned char *a = v.p, *ae = v.p + v.n;
                pb_field g;
                while (pb_next(&a, ae, &g) > 0) {
                    if (g.field == 1 && g.wire == 2 && g.n < sizeof e->tag) {
                        memcpy(e->tag, g.p, g.n);
                        e->tag[g.n] = 0;
                    } else if (g.field == 2 && g.wire == 5) {
                        e->has_simple = 1;
                        e->simple = as_float(g.u);
                    } else if (g.field == 8 && g.wire == 2) {
                        e->tensor = g.p;
                        e->tensor_n = g.n;
                    } else if (g.field == 9 && g.wire == 2) {
                        pb_field pd, name, content;
                        if (!pb_get(g.p, g.n, 1, &pd)) return 0;
                        if (!pb_get(pd.p, pd.n, 1, &name) || name.n >= sizeof e->plugin) return 0;
                        memcpy(e->plugin, name.p, name.n);
                        e->plugin[name.n] = 0;
                        if (pb_get(pd.p, pd.n, 2, &content)) {
                            e->content = content.p;
                            e->content_n = content.n;
                        }
                    } else {
                        return 0;
                    }
                }
            }
            if (nv != 1) return 0;
        } else {
            return 0;
        }
    }
    return r == 0;
}

/* Every record of one file, in order. ev[i]'s content/tensor point into
 * data: free both with events_file_free. */
typedef struct {
    int n, cap;
    decoded_event *ev;
    unsigned char *data;
} events_file;

static inline unsigned char *tfevents_slurp_(const char *path, size_t *n_out) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *s = malloc(n > 0 ? (size_t)n : 1);
    size_t got = s && n > 0 ? fread(s, 1, (size_t)n, f) : 0;
    fclose(f);
    *n_out = got;
    return s;
}

static inline void events_file_free(events_file *ef) {
    free(ef->ev);
    free(ef->data);
    memset(ef, 0, sizeof *ef);
}

/* Read and decode every record of `path` (CHECK failures for bad CRCs or
 * unexpected Events); 0 when the file is missing, truncated or a record is
 * not an Event this reader knows. Free with events_file_free, also on 0. */
static inline int read_events(const char *path, events_file *out) {
    size_t n;
    memset(out, 0, sizeof *out);
    out->data = tfevents_slurp_(path, &n);
    if (!out->data) return 0;
    size_t at = 0;
    while (at < n) {
        if (n - at < 12) return 0;
        const unsigned char *h = out->data + at;
        uint64_t len = rd_le(h, 8);
        CHECK_MSG((uint32_t)rd_le(h + 8, 4) == mask_crc(crc32c_bitwise(h, 8)), "record %d: length CRC", out->n);
        if (n - at - 12 < len + 4) return 0;
        const unsigned char *d = h + 12;
        CHECK_MSG((uint32_t)rd_le(d + len, 4) == mask_crc(crc32c_bitwise(d, (size_t)len)), "record %d: data CRC",
                  out->n);
        if (out->n == out->cap) {
            int cap = out->cap ? 2 * out->cap : 64;
            decoded_event *ev = realloc(out->ev, (size_t)cap * sizeof *ev);
            if (!ev) return 0;
            out->ev = ev;
            out->cap = cap;
        }
        CHECK_MSG(decode_event(d, (size_t)len, &out->ev[out->n]), "record %d: not the Event expected", out->n);
        out->n++;
        at += 12 + (size_t)len + 4;
    }
    return 1;
}

/* HParamsPluginData: which of experiment (2) / session_start_info (3) /
 * session_end_info (4) it holds, and that version (1) is absent (0). */
static inline int hparams_kind(const decoded_event *e, pb_field *body) {
    const unsigned char *q = e->content, *end = e->content + e->content_n;
    pb_field f;
    int kind = 0, n = 0;
    while (pb_next(&q, end, &f) > 0) {
        n++;
        if (f.wire == 2 && f.field >= 2 && f.field <= 4) {
            kind = f.field;
            *body = f;
        }
    }
    return n == 1 ? kind : -1;
}

#endif
