/*
 * src/core/str.c — small string helpers: see str-impl.h.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf-impl.h"
#include "core/str-impl.h"

char *lit__strdup(const char *s) {
    if (!s) return NULL;
    size_t n = strlen(s) + 1;
    char *c = malloc(n);
    if (c) memcpy(c, s, n);
    return c;
}

/* Decode the UTF-8 sequence at s[0..n): its length (1..4) with *cp set, or
 * 0 when it is not valid UTF-8 (RFC 3629). */
static size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp) {
    uint8_t c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) { len = 2; v = c & 0x1Fu; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; v = c & 0x0Fu; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; v = c & 0x07u; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[k] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return len;
}

size_t lit__utf8_invalid_at(const void *s, size_t n) {
    const uint8_t *p = s;
    size_t i = 0;
    uint32_t cp;
    while (i < n) {
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (!len) return i;
        i += len;
    }
    return n;
}

/* The assigned non-ASCII code points whose str.isprintable() is false
 * (categories Cc, Cf, Co, Zl, Zp, Zs; CPython 3.11, Unicode 14.0). */
static const uint32_t py_nonprintable[][2] = {
    {0x80, 0xA0},       {0xAD, 0xAD},       {0x600, 0x605},     {0x61C, 0x61C},     {0x6DD, 0x6DD},
    {0x70F, 0x70F},     {0x890, 0x891},     {0x8E2, 0x8E2},     {0x1680, 0x1680},   {0x180E, 0x180E},
    {0x2000, 0x200F},   {0x2028, 0x202F},   {0x205F, 0x2064},   {0x2066, 0x206F},   {0x3000, 0x3000},
    {0xE000, 0xF8FF},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD}, {0x110CD, 0x110CD},
    {0x13430, 0x13438}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
    {0xF0000, 0xFFFFD}, {0x100000, 0x10FFFD},
};

static int py_printable(uint32_t cp) {
    if (cp < 0x80) return cp >= 0x20 && cp != 0x7F;
    for (size_t i = 0; i < sizeof py_nonprintable / sizeof *py_nonprintable; i++)
        if (cp >= py_nonprintable[i][0] && cp <= py_nonprintable[i][1]) return 0;
    return 1;
}

/* CPython's escape of a non-printable code point: the shortest of \x, \u, \U. */
static void put_escaped(lit__buf *b, uint32_t cp) {
    if (cp <= 0xFF) lit__buf_printf(b, "\\x%02x", (unsigned)cp);
    else if (cp <= 0xFFFF) lit__buf_printf(b, "\\u%04x", (unsigned)cp);
    else lit__buf_printf(b, "\\U%08x", (unsigned)cp);
}

char *lit__py_repr_str(const char *s) {
    char quote = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
    lit__buf b = {0};
    lit__buf_putc(&b, quote);
    const uint8_t *p = (const uint8_t *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (!len) { /* not UTF-8: the byte itself */
            put_escaped(&b, p[i++]);
            continue;
        }
        if (cp == (uint32_t)quote || cp == '\\') {
            lit__buf_putc(&b, '\\');
            lit__buf_putc(&b, (char)cp);
        } else if (cp == '\t') lit__buf_puts(&b, "\\t");
        else if (cp == '\n') lit__buf_puts(&b, "\\n");
        else if (cp == '\r') lit__buf_puts(&b, "\\r");
        else if (py_printable(cp)) lit__buf_put(&b, p + i, len);
        else put_escaped(&b, cp);
        i += len;
    }
    lit__buf_putc(&b, quote);
    if (b.failed) {
        lit__buf_free(&b);
        return NULL;
    }
    return (char *)b.data;
}

static int hex_value(const char *p, int digits, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < digits; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return 0;
        v = v << 4 | (uint32_t)d;
    }
    *out = v;
    return 1;
}

static size_t utf8_encode(uint32_t cp, char *out) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) { out[0] = (char)(0xC0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | cp >> 12);
        out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | cp >> 18);
    out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
    out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *lit__py_repr_str_legacy(const char *text, int keep_nt) {
    size_t n = strlen(text);
    char *out = malloc(n + 1); /* every escape is at least as long as what it stands for */
    if (!out) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        char e = text[i] == '\\' && i + 1 < n ? text[i + 1] : 0;
        int digits = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        if (digits && i + 2 + (size_t)digits <= n && hex_value(text + i + 2, digits, &cp) && cp <= 0x10FFFF) {
            o += utf8_encode(cp, out + o);
            i += 2 + (size_t)digits;
        } else if (e == 'r' || (!keep_nt && (e == 'n' || e == 't'))) {
            out[o++] = e == 'r' ? '\r' : e == 'n' ? '\n' : '\t';
            i += 2;
        } else if (e) { /* \\, \', \" and kept \n \t: as they are */
            out[o++] = text[i++];
            out[o++] = text[i++];
        } else {
            out[o++] = text[i++];
        }
    }
    out[o] = 0;
    return out;
}
