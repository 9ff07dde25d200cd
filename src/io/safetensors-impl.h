/*
 * src/io/safetensors-impl.h — a test hook of the safetensors reader (not
 * part of the public API).
 */
#ifndef LITC_SAFETENSORS_IMPL_H
#define LITC_SAFETENSORS_IMPL_H

/* Called by lit_safetensors_open once the header is validated, just before
 * the data buffer is read, so that a test can change the file at that exact
 * moment (truncate it, rewrite it) as another process might. NULL disarms.
 * Not thread-safe; tests only. */
typedef void (*lit__safetensors_read_hook)(const char *path, void *user);
void lit__safetensors_set_read_hook(lit__safetensors_read_hook hook, void *user);

#endif
