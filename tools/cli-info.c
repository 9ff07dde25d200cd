/*
 * tools/cli-info.c — `litc info ckpt FILE`: a checkpoint's metadata,
 * tensors (name, dtype, shape, bytes) and validity (the checksum and
 * every structural check of the loader, on the one read of the file).
 * A plain safetensors file is said to carry no checksum. Exit 0 when valid,
 * 3 when not.
 */
#include <inttypes.h>
#include <string.h>

#include "cli.h"

static void print_tensors(const lit_safetensors *st) {
    int n = lit_safetensors_count(st);
    uint64_t total = 0;
    printf("tensors: %d\n", n);
    for (int i = 0; i < n; i++) {
        const lit_st_tensor *t = lit_safetensors_at(st, i);
        char shape[160] = "(";
        size_t L = 1;
        for (int d = 0; d < t->ndim && L < sizeof shape; d++)
            L += (size_t)snprintf(shape + L, sizeof shape - L, "%s%" PRId64, d ? ", " : "", t->shape[d]);
        if (L < sizeof shape) snprintf(shape + L, sizeof shape - L, ")");
        printf("  %-56s %-4s %-22s %zu bytes\n", t->name, lit_safetensors_dtype_name(t->dtype), shape, t->nbytes);
        total += t->nbytes;
    }
    printf("tensor bytes: %" PRIu64 "\n", total);
}

static void print_metadata(const lit_safetensors *st) {
    int n = lit_safetensors_meta_count(st);
    printf("metadata: %d entries\n", n);
    for (int i = 0; i < n; i++) {
        const lit_st_meta *m = lit_safetensors_meta_at(st, i);
        size_t len = strlen(m->value);
        if (len <= 72) printf("  %-24s %s\n", m->key, m->value);
        else printf("  %-24s %.60s... (%zu bytes of JSON)\n", m->key, m->value, len);
    }
}

int cli_info(int argc, char **argv) {
    if (argc != 2 || strcmp(argv[0], "ckpt") != 0) {
        fprintf(stderr, "usage: litc info ckpt FILE\n");
        return CLI_CONFIG;
    }
    const char *path = argv[1];
    lit_safetensors *st = NULL;
    lit_status rc = lit_safetensors_open(&st, path);
    if (rc < 0) {
        printf("file: %s\nvalid: no (%s)\n", path, lit_last_error());
        return cli_exit_code(rc);
    }
    printf("file: %s\n", path);
    print_metadata(st);
    print_tensors(st);
    /* The checkpoint rules on the same bytes: the checksum, the format, the
     * metadata's JSON (st is the checkpoint's now, freed with it). */
    lit_checkpoint *ck = NULL;
    rc = lit_checkpoint_load_safetensors(&ck, st, path);
    if (rc < 0) {
        printf("valid: no (%s)\n", lit_last_error());
        return cli_exit_code(rc);
    }
    int v = lit_checkpoint_format_version(ck);
    if (v == 0) printf("valid: yes (plain safetensors, no checksum: integrity not verified)\n");
    else printf("valid: yes (litc checkpoint format %d, checksum verified)\n", v);
    lit_checkpoint_free(ck);
    return CLI_OK;
}
