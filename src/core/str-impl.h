/*
 * src/core/str-impl.h — small string helpers shared by the layers above core
 * (not part of the public API): one copy of each, so they cannot drift apart.
 *
 *     char *name = lit__strdup(user_name);            // NULL for NULL or out of memory
 *     char *r = lit__py_repr_str("it's");             // "\"it's\"", as Python's repr()
 *     if (lit__utf8_invalid_at(p, n) < n) ...         // not UTF-8
 */
#ifndef LITC_CORE_STR_IMPL_H
#define LITC_CORE_STR_IMPL_H

#include <stddef.h>

/* A malloc'd copy of s; NULL when s is NULL or memory runs out. */
char *lit__strdup(const char *s);

/* Offset of the first byte of `s` (n bytes) that is not part of valid UTF-8
 * (RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF), or n
 * when all of it is valid. */
size_t lit__utf8_invalid_at(const void *s, size_t n);

/* Python 3's repr() of the str whose UTF-8 is s, malloc'd (NULL on out of
 * memory). As CPython's unicode_repr: quoted with ' unless s holds a ' and
 * no ", backslash and that quote escaped, \t \n \r, other control bytes and
 * DEL as \xhh, non-printable code points (str.isprintable() false: C1
 * controls, format characters, private use, separators other than the
 * space) as \xhh, \uhhhh or \Uhhhhhhhh, everything else as written.
 * Lightning builds its callbacks' state_key from this repr. Not covered:
 * unassigned code points (Python escapes them; which ones are unassigned
 * depends on Python's Unicode version). A byte that is not valid UTF-8 (a
 * Python str cannot hold one) is written \xhh. */
char *lit__py_repr_str(const char *s);

/* Undo the escapes litc 0.1's earlier repr did not make, in a text that
 * holds lit__py_repr_str output (a state_key): \r, \xhh, \uhhhh and
 * \Uhhhhhhhh become the characters they stand for (UTF-8), and so do \n
 * and \t unless keep_nt; \\ and escaped quotes stay. keep_nt = 0 gives the
 * state_key EarlyStopping wrote, keep_nt = 1 ModelCheckpoint's, so resume
 * finds their states in checkpoints saved before. Malloc'd, NULL on out of
 * memory. */
char *lit__py_repr_str_legacy(const char *text, int keep_nt);

/* Python's repr/str of a float into buf (truncated to n; returns buf):
 * the shortest digits that round-trip, "0.1", "1234.0", "1e-05", "1e+16",
 * "-0.0", "nan", "inf". */
char *lit__format_pyfloat(char *buf, size_t n, double v);

#endif
