/*
 * Model summary: Lightning's get_human_readable_count and the summary table
 * (rows per module prefix with the recorded layer type, trainable /
 * non-trainable / total counts, size in MB); the store's module types.
 */
#include "harness.h"

TEST(human_readable_count_like_lightning) {
    char b[64];
    /* Lightning's own doctest values, exact strings (units " " -> two spaces). */
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 123), "123  ");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 1234), "1.2 K");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 2000000), "2.0 M");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 3000000000LL), "3.0 B");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 400000000000000LL), "400 T");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 5000000000000000LL), "5,000 T");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 0), "0  ");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 999), "999  ");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 1000), "1.0 K");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 2500000), "2.5 M");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 99999), "100.0 K"); /* 99.999 < 100 -> one decimal */
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 123456), "123 K");
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 999999), "999 K"); /* int() truncates */
    CHECK_STR_EQ(lit_human_readable_count(b, sizeof b, 132096), "132 K");
    EXPECT_ASSERT(lit_human_readable_count(b, sizeof b, -1), "count >= 0");
}

/* encoder.0 (10->20, bias) 220, encoder.1 (20->30, bias) 630, head (30->5, no
 * bias) 150 frozen, a bare "scale" (1) and a buffer-only "norm" module whose
 * type is recorded by hand; "encoder" has no recorded type ("Module"). */
static lit_param_store *make_store(void) {
    lit_param_store *ps = lit_param_store_new("summary-test");
    lit_nn_linear l0, l1, head;
    lit_nn_linear_init(&l0, ps, "encoder.0", 10, 20, 1, NULL);
    lit_nn_linear_init(&l1, ps, "encoder.1", 20, 30, 1, NULL);
    lit_nn_linear_init(&head, ps, "head", 30, 5, 0, NULL);
    lit_param_store_new_param(ps, NULL, "scale", 1, (int64_t[]){1});
    static lit_tensor *running;
    running = lit_tensor_new(lit_param_store_arena(ps), LIT_F32, 1, (int64_t[]){30});
    lit_param_store_register(ps, "norm.running_mean", running, 1);
    CHECK_EQ_INT(lit_param_store_set_module_type(ps, "norm", "BatchNorm1d"), LIT_OK);
    CHECK_EQ_INT(lit_param_store_freeze(ps, "head"), 1);
    return ps;
}

TEST(table_depth_1) {
    lit_param_store *ps = make_store();
    CHECK_EQ_INT(lit_param_store_count_params(ps, 0), 1001);
    CHECK_EQ_INT(lit_param_store_count_params(ps, 1), 851);
    char *s = lit_model_summary_str(ps, 1);
    CHECK(s != NULL);
    const char *expected =
        "  | Name         | Type        | Params | Mode \n"
        "-----------------------------------------------------\n"
        "0 | encoder      | Module      | 850    | train\n"
        "1 | head         | Linear      | 150    | train\n"
        "2 | norm         | BatchNorm1d | 0      | train\n"
        "  | other params | n/a         | 1      | n/a  \n"
        "-----------------------------------------------------\n"
        "851       Trainable params\n"
        "150       Non-trainable params\n"
        "1.0 K     Total params\n"
        "0.004     Total estimated model params size (MB)\n";
    CHECK_STR_EQ(s, expected);
    free(s);
    lit_param_store_free(ps);
}

TEST(table_all_depths_tree_order_and_eval_mode) {
    lit_param_store *ps = make_store();
    lit_param_store_train(ps, 0);
    /* A late registration under "encoder" comes after its siblings, before "head". */
    lit_nn_linear extra;
    lit_nn_linear_init(&extra, ps, "encoder.2", 30, 30, 0, NULL);
    char *s = lit_model_summary_str(ps, -1);
    CHECK(s != NULL);
    const char *expected =
        "  | Name         | Type        | Params | Mode\n"
        "----------------------------------------------------\n"
        "0 | encoder      | Module      | 1.8 K  | eval\n"
        "1 | encoder.0    | Linear      | 220    | eval\n"
        "2 | encoder.1    | Linear      | 630    | eval\n"
        "3 | encoder.2    | Linear      | 900    | eval\n"
        "4 | head         | Linear      | 150    | eval\n"
        "5 | norm         | BatchNorm1d | 0      | eval\n"
        "  | other params | n/a         | 1      | n/a \n"
        "----------------------------------------------------\n"
        "1.8 K     Trainable params\n"
        "150       Non-trainable params\n"
        "1.9 K     Total params\n"
        "0.008     Total estimated model params size (MB)\n";
    CHECK_STR_EQ(s, expected);
    free(s);
    /* Depth 2 is the same here (no deeper modules); depth 0 has no rows. */
    char *s2 = lit_model_summary_str(ps, 2);
    CHECK_STR_EQ(s2, expected);
    free(s2);
    char *s0 = lit_model_summary_str(ps, 0);
    CHECK_STR_CONTAINS(s0, "  | Name | Type | Params | Mode\n" "-------------------------------------\n"
                          "-------------------------------------\n1.8 K");
    CHECK_STR_CONTAINS(s0, "1.9 K     Total params\n");
    free(s0);
    EXPECT_ASSERT(lit_model_summary_str(ps, -2), "max_depth");
    lit_param_store_free(ps);
}

TEST(module_types_recorded_and_replaced) {
    lit_param_store *ps = lit_param_store_new("types");
    CHECK(lit_param_store_module_type(ps, "encoder") == NULL);
    CHECK_EQ_INT(lit_param_store_set_module_type(ps, "encoder", "Module"), LIT_OK);
    CHECK_STR_EQ(lit_param_store_module_type(ps, "encoder"), "Module");
    char type[16] = "Sequential";
    CHECK_EQ_INT(lit_param_store_set_module_type(ps, "encoder", type), LIT_OK); /* replaces */
    type[0] = 'X';                                                              /* copied */
    CHECK_STR_EQ(lit_param_store_module_type(ps, "encoder"), "Sequential");
    CHECK(lit_param_store_module_type(ps, "encode") == NULL); /* exact prefix only */
    CHECK(lit_param_store_module_type(ps, "encoder.0") == NULL);
    /* The root (NULL or "") records nothing. */
    CHECK_EQ_INT(lit_param_store_set_module_type(ps, "", "LightningModule"), LIT_OK);
    CHECK_EQ_INT(lit_param_store_set_module_type(ps, NULL, "LightningModule"), LIT_OK);
    CHECK(lit_param_store_module_type(ps, "") == NULL);
    CHECK(lit_param_store_module_type(ps, NULL) == NULL);
    CHECK(lit_param_store_module_type(NULL, "encoder") == NULL);
    EXPECT_ASSERT(lit_param_store_set_module_type(ps, "encoder", ""), "type name");
    EXPECT_ASSERT(lit_param_store_set_module_type(ps, "encoder", NULL), "type name");
    /* A layer with a bare (empty) prefix records nothing either. */
    lit_nn_linear bare;
    lit_nn_linear_init(&bare, ps, NULL, 2, 2, 1, NULL);
    CHECK(lit_param_store_module_type(ps, "") == NULL);
    lit_param_store_free(ps);
}

/* Every nn layer records its PyTorch class name; hand-made containers show
 * "Module" unless their type is recorded (here "blocks" as a ModuleList). */
TEST(table_layer_types_of_nn_layers) {
    lit_param_store *ps = lit_param_store_new("gpt-ish");
    lit_nn_embedding wte;
    lit_nn_layer_norm ln;
    lit_nn_self_attention attn, enc;
    lit_nn_mlp mlp;
    lit_nn_embedding_init(&wte, ps, "wte", 10, 4, -1, NULL);                           /* 40 */
    lit_nn_layer_norm_init(&ln, ps, "blocks.0.ln_1", 4, 1e-5, 1, 1);                   /* 8 */
    lit_nn_self_attention_init(&attn, ps, "blocks.0.attn", 4, 2, 1, 1, 0.0, NULL);     /* 60 + 20 */
    lit_nn_mlp_init(&mlp, ps, "blocks.0.mlp", 3, (int64_t[]){4, 8, 4}, LIT_NN_ACT_GELU, 0.0, 1, NULL); /* 40 + 36 */
    lit_nn_self_attention_init(&enc, ps, "enc", 4, 1, 0, 0, 0.0, NULL);                /* 48 + 16 */
    CHECK_EQ_INT(lit_param_store_set_module_type(ps, "blocks", "ModuleList"), LIT_OK);
    CHECK_STR_EQ(lit_param_store_module_type(ps, "blocks.0.mlp.layers"), "ModuleList");
    char *s = lit_model_summary_str(ps, -1);
    const char *expected =
        "   | Name                  | Type                | Params | Mode \n"
        "-----------------------------------------------------------------------\n"
        "0  | wte                   | Embedding           | 40     | train\n"
        "1  | blocks                | ModuleList          | 164    | train\n"
        "2  | blocks.0              | Module              | 164    | train\n"
        "3  | blocks.0.ln_1         | LayerNorm           | 8      | train\n"
        "4  | blocks.0.attn         | CausalSelfAttention | 80     | train\n"
        "5  | blocks.0.attn.qkv     | Linear              | 60     | train\n"
        "6  | blocks.0.attn.proj    | Linear              | 20     | train\n"
        "7  | blocks.0.mlp          | MLP                 | 76     | train\n"
        "8  | blocks.0.mlp.layers   | ModuleList          | 76     | train\n"
        "9  | blocks.0.mlp.layers.0 | Linear              | 40     | train\n"
        "10 | blocks.0.mlp.layers.1 | Linear              | 36     | train\n"
        "11 | enc                   | SelfAttention       | 64     | train\n"
        "12 | enc.qkv               | Linear              | 48     | train\n"
        "13 | enc.proj              | Linear              | 16     | train\n"
        "-----------------------------------------------------------------------\n"
        "268       Trainable params\n"
        "0         Non-trainable params\n"
        "268       Total params\n"
        "0.001     Total estimated model params size (MB)\n";
    CHECK_STR_EQ(s, expected);
    free(s);
    lit_param_store_free(ps);
}

TEST(format_and_print) {
    lit_param_store *ps = make_store();
    char *full = lit_model_summary_str(ps, 1);
    size_t len = strlen(full);
    char small[16];
    CHECK_EQ_INT(lit_model_summary_format(small, sizeof small, ps, 1), len);
    CHECK_EQ_INT(strlen(small), sizeof small - 1);
    CHECK(strncmp(small, full, sizeof small - 1) == 0);
    CHECK_EQ_INT(lit_model_summary_format(NULL, 0, ps, 1), len);

    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    CHECK_EQ_INT(lit_model_summary_print(f, ps, 1), LIT_OK);
    fclose(f);
    CHECK_STR_EQ(buf, full);
    free(buf);
    free(full);
    lit_param_store_free(ps);

    /* An empty store: header, two rules, zero counts. */
    lit_param_store *empty = lit_param_store_new("empty");
    char *s = lit_model_summary_str(empty, 1);
    CHECK_STR_CONTAINS(s, "0         Trainable params\n0         Non-trainable params\n0         Total params\n"
                          "0.000     Total estimated model params size (MB)\n");
    free(s);
    lit_param_store_free(empty);
}

int main(void) {
    RUN(human_readable_count_like_lightning);
    RUN(table_depth_1);
    RUN(table_all_depths_tree_order_and_eval_mode);
    RUN(module_types_recorded_and_replaced);
    RUN(table_layer_types_of_nn_layers);
    RUN(format_and_print);
    return harness_summary();
}
