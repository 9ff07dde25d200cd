/* examples/gpt-shakespeare/gpt.h — a character-level GPT (nanoGPT's model:
 * token + position embeddings, pre-LayerNorm blocks of causal self-attention
 * and a GELU MLP, a final LayerNorm and a linear head) as a LightningModule,
 * and a DataModule cutting a text file into (x, y) windows of bytes. */
#ifndef GPT_SHAKESPEARE_GPT_H
#define GPT_SHAKESPEARE_GPT_H

#include "litc/litc.h"

#define GPT_MAX_LAYERS 16

typedef struct {
    int64_t vocab, block_size, n_layer, n_head, n_embd;
    double lr, min_lr, weight_decay;
    int64_t warmup_steps, max_steps;
    uint64_t seed;
} gpt_config;
gpt_config gpt_default_config(void); /* nanoGPT's shakespeare-char CPU recipe */

typedef struct {
    lit_nn_layer_norm ln1, ln2;
    lit_nn_self_attention attn;
    lit_nn_mlp mlp;
} gpt_block;

typedef struct {
    lit_module base;
    gpt_config cfg;
    lit_param_store *store;
    lit_nn_embedding wte, wpe;
    gpt_block blocks[GPT_MAX_LAYERS];
    lit_nn_layer_norm ln_f;
    lit_nn_linear head;
} gpt_module;

lit_status gpt_module_init(gpt_module *m, const gpt_config *cfg);
void gpt_module_free(gpt_module *m);
/* idx (B, T) i64 -> logits (B, T, vocab). */
lit_tensor *gpt_forward(const gpt_module *m, lit_tensor *idx);

/* The text as byte tokens, split 90/10 into train and validation windows. */
typedef struct {
    lit_datamodule *dm;   /* what the Trainer gets */
    uint8_t chars[256];   /* token -> byte */
    int32_t *tokens;      /* the corpus as tokens */
    int64_t n_tokens, n_train;
    int vocab;
    lit_token_dataset train, val;
} text_datamodule;

/* Reads `path` (a clear error naming scripts/fetch-data.sh when missing). */
lit_status text_datamodule_init(text_datamodule *dm, const char *path, int64_t block_size, int64_t batch_size,
                                uint64_t seed);
void text_datamodule_free(text_datamodule *dm);

#endif
