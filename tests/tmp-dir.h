/*
 * tests/tmp-dir.h — temporary folders for the tests that write files: make
 * one, name a file in it, list or count what is there, empty it, remove it.
 * Header-only (static inline); include after harness.h.
 */
#ifndef LITC_TESTS_TMP_DIR_H
#define LITC_TESTS_TMP_DIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

/* A new empty folder /tmp/litc-<tag>-XXXXXX (the last 8 names stay valid). */
static inline char *make_tmp_dir(const char *tag) {
    static char buf[8][256];
    static int next;
    char *b = buf[next++ % 8];
    snprintf(b, 256, "/tmp/litc-%s-XXXXXX", tag);
    CHECK(mkdtemp(b) != NULL);
    return b;
}

/* dir/name (the last 4 results stay valid). */
static inline const char *join(const char *dir, const char *name) {
    static char buf[4][1024];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, 1024, "%s/%s", dir, name);
    return b;
}

static inline int exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0;
}

/* rm -rf path (links are removed, never followed). */
static inline void rm_rf(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d));) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char sub[2048];
            if (snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) < (int)sizeof sub) rm_rf(sub);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Unlink the files directly in dir (not the dot files). */
static inline void clear_dir(const char *dir) {
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') unlink(join(dir, e->d_name));
    if (d) closedir(d);
}

/* How many entries dir holds (not the dot files). */
static inline int count_files(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));)
        if (e->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

static inline int tmp_dir_cmp_str_(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}
static inline void tmp_dir_list_rec_(const char *root, const char *rel, char **names, int *n) {
    char path[1024];
    if (snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel) >= (int)sizeof path) return;
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char r[1024], full[2048];
        if (snprintf(r, sizeof r, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >= (int)sizeof r) continue;
        if (snprintf(full, sizeof full, "%s/%s", root, r) >= (int)sizeof full) continue;
        struct stat st;
        if (stat(full, &st) == 0 && S_ISDIR(st.st_mode)) tmp_dir_list_rec_(root, r, names, n);
        else if (*n < 64) names[(*n)++] = strdup(r);
    }
    closedir(d);
}

/* The files under dir (recursive, relative, sorted) joined by ",". */
static inline const char *files_in(const char *dir) {
    static char out[4096];
    char *names[64];
    int n = 0;
    tmp_dir_list_rec_(dir, "", names, &n);
    qsort(names, (size_t)n, sizeof *names, tmp_dir_cmp_str_);
    out[0] = 0;
    for (int i = 0; i < n; i++) {
        strcat(out, i ? "," : "");
        strcat(out, names[i]);
        free(names[i]);
    }
    return out;
}

#endif
