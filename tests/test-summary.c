/*
 * Model summary: Lightning's get_human_readable_count and the summary table
 * (rows per module prefix, trainable/non-trainable/total counts, size in MB).
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
 * bias) 150 frozen, a bare "scale" (1) and a buffer-only "norm" module. */
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
        "  | Name         | Params | Trainable | Mode \n"
        "---------------------------------------------------\n"
        "0 | encoder      | 850    | 850       | train\n"
        "1 | head         | 150    | 0         | train\n"
        "2 | norm         | 0      | 0         | train\n"
        "  | other params | 1      | 1         | n/a  \n"
        "---------------------------------------------------\n"
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
        "  | Name         | Params | Trainable | Mode\n"
        "--------------------------------------------------\n"
        "0 | encoder      | 1.8 K  | 1.8 K     | eval\n"
        "1 | encoder.0    | 220    | 220       | eval\n"
        "2 | encoder.1    | 630    | 630       | eval\n"
        "3 | encoder.2    | 900    | 900       | eval\n"
        "4 | head         | 150    | 0         | eval\n"
        "5 | norm         | 0      | 0         | eval\n"
        "  | other params | 1      | 1         | n/a \n"
        "--------------------------------------------------\n"
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
    CHECK_STR_CONTAINS(s0, "  | Name | Params | Trainable | Mode\n" "------------------------------------------\n" "------------------------------------------\n1.8 K");
    CHECK_STR_CONTAINS(s0, "1.9 K     Total params\n");
    free(s0);
    EXPECT_ASSERT(lit_model_summary_str(ps, -2), "max_depth");
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
    RUN(format_and_print);
    return harness_summary();
}
