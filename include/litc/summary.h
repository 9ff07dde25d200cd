/*
 * litc/summary.h — the model summary table (Lightning's ModelSummary).
 *
 * C has no module objects, so the "modules" are the dotted prefixes of the
 * parameter names in a lit_param_store: "blocks.0.attn.qkv.weight" lies in
 * modules "blocks", "blocks.0", "blocks.0.attn" and "blocks.0.attn.qkv".
 * max_depth 1 lists the top-level ones ("blocks", "head"), 2 adds
 * "blocks.0", ..., -1 lists every depth, 0 no rows (footer only). Rows come in
 * tree order (children after their parent, siblings in registration order),
 * as Lightning's named_modules(). Parameters with a bare name (no dot) belong
 * to no module: they are counted in an "other params" row, as Lightning's.
 *
 * Each row's "Type" is the class name recorded for its prefix with
 * lit_param_store_set_module_type (nn.h): the nn layers record theirs at init
 * ("Linear", "Embedding", "LayerNorm", "MLP", "ModuleList",
 * "CausalSelfAttention" / "SelfAttention"). A prefix with no recorded type
 * is a container the C code made by naming ("encoder" over "encoder.0",
 * "encoder.1"); its PyTorch class (Sequential, ModuleList, a user's class)
 * is unknown, so it shows "Module", the base class every one of them is;
 * record the real name to show it. The "other params" row's Type is "n/a".
 *
 * For Linear layers "encoder.0" (10->20) and "encoder.1" (20->30), a frozen
 * "head" (30->5, no bias), a bare parameter "scale" and a buffer
 * "norm.running_mean" with "norm" recorded as "BatchNorm1d" by hand:
 *
 *       | Name         | Type        | Params | Mode
 *     -----------------------------------------------------
 *     0 | encoder      | Module      | 850    | train
 *     1 | head         | Linear      | 150    | train
 *     2 | norm         | BatchNorm1d | 0      | train
 *       | other params | n/a         | 1      | n/a
 *     -----------------------------------------------------
 *     851       Trainable params
 *     150       Non-trainable params
 *     1.0 K     Total params
 *     0.004     Total estimated model params size (MB)
 *
 * (Cells are padded to their column's width, trailing blanks included, and
 * the rules are sum(widths) + 3 * (columns + 1) dashes, as Lightning's.)
 *
 * The columns are Lightning 2.x's " | Name | Type | Params | Mode". Honest
 * differences from Lightning's table: no "FLOPs" column (recent Lightning 2.x
 * releases add one, counted in a forward pass) and no "In sizes" / "Out sizes" (Lightning
 * shows them with an example_input_array): there is no forward pass here;
 * "Mode" is the store's training flag (one flag for the whole model);
 * modules without parameters or buffers (activations, dropout) are not known
 * and not listed; the "Modules in train/eval mode" and "Total Flops" footer
 * lines are left out. Buffers are not parameters (as model.parameters()),
 * but a module holding only buffers is listed with 0.
 * "other params" counts the bare-named parameters directly (Lightning takes
 * total minus the rows' sum, which hides the row at max_depth -1 where rows
 * nest, and shows every parameter there at max_depth 0; here depth 0 has no
 * rows at all). Frozen parameters show in the footer's counts only, as in
 * Lightning (the rows count all of a module's parameters).
 *
 * Numbers use Lightning's get_human_readable_count ("123  ", "1.2 K",
 * "2.5 M", "400 T", "5,000 T") and the size assumes 4 bytes per parameter
 * (32-bit, as Lightning without a trainer): total * 4 / 1e6 MB, "%,.3f".
 *
 * Intended usage (the ModelSummary callback at fit start, rank 0):
 *
 *     lit_model_summary_print(stdout, ps, 1);
 */
#ifndef LITC_SUMMARY_H
#define LITC_SUMMARY_H

#include <stdint.h>
#include <stdio.h>

#include "core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The parameter store of nn.h (a repeated typedef is valid C11). */
typedef struct lit_param_store lit_param_store;

/* Lightning's get_human_readable_count, exactly: count < 1000 gives the
 * number and two spaces ("999  ", the label of units is " "); otherwise one
 * decimal below 100 of the unit ("1.2 K", "2.5 M", "3.0 B") and none from 100
 * ("123 K", "400 T"), with thousands separators beyond trillions ("5,000 T").
 * Asserts count >= 0. Writes into buf (truncated to n) and returns buf. */
char *lit_human_readable_count(char *buf, size_t n, int64_t count);

/* The table as a string: snprintf's contract (writes at most n bytes
 * including the NUL, returns the full length; buf may be NULL when n is 0).
 * The text ends with a newline. Asserts ps != NULL and max_depth >= -1. */
size_t lit_model_summary_format(char *buf, size_t n, const lit_param_store *ps, int max_depth);

/* The same text as a new malloc'd string (free() it); NULL on out of memory
 * (last error set). */
char *lit_model_summary_str(const lit_param_store *ps, int max_depth);

/* Write the table to `out` (NULL = stdout). Returns LIT_OK, LIT_ERR_NOMEM or
 * LIT_ERR_IO when writing fails. */
lit_status lit_model_summary_print(FILE *out, const lit_param_store *ps, int max_depth);

#ifdef __cplusplus
}
#endif
#endif
