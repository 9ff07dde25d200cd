/*
 * src/io/checkpoint-impl.h — test hooks of the checkpoint writer (not part
 * of the public API).
 */
#ifndef LITC_CHECKPOINT_IMPL_H
#define LITC_CHECKPOINT_IMPL_H

#include <stdint.h>

/* What the writer does once `after_bytes` bytes of the temporary file have
 * been written, to prove that a crash there leaves the old file intact. */
typedef enum {
    LIT__FAULT_NONE = 0,
    LIT__FAULT_KILL,   /* raise(SIGKILL): the process dies mid-write */
    LIT__FAULT_ENOSPC, /* the write fails with ENOSPC, as on a full disk */
} lit__fault_kind;

/* Arm (or, with LIT__FAULT_NONE, disarm) the fault for the next saves in
 * this process. */
void lit__checkpoint_set_fault(lit__fault_kind kind, int64_t after_bytes);

#endif
