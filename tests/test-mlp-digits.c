/*
 * The digits MLP example learns (>= 97% test accuracy), is bit-exact for a
 * seed, and its data loader rejects bad input with clear messages.
 * The example's training code is compiled in (not its main.c).
 */
#include "harness.h"

#include <unistd.h>

#include "../examples/mlp-digits/digits.c"
#include "../examples/mlp-digits/train.c"

static mlp_digits_result train_or_fail(mlp_digits_config c) {
    mlp_digits_result r;
    lit_status st = mlp_digits_train(&c, &r);
    CHECK_MSG(st == LIT_OK, "mlp_digits_train: %s: %s", lit_status_str(st), lit_last_error());
    return r;
}

TEST(loads_the_shipped_data) {
    mlp_digits_data d;
    lit_status st = mlp_digits_load(MLP_DIGITS_DEFAULT_PATH, &d);
    CHECK_MSG(st == LIT_OK, "%s", lit_last_error());
    if (st < 0) return;
    CHECK_EQ_INT(d.n, 1797);
    /* First row of sklearn's load_digits(): a zero. */
    CHECK_EQ_INT(d.y[0], 0);
    CHECK_NEAR(d.x[2], 5, 0);
    CHECK_NEAR(d.x[3], 13, 0);
    int64_t count[10] = {0};
    for (int64_t i = 0; i < d.n; i++) count[d.y[i]]++;
    for (int k = 0; k < 10; k++) CHECK_MSG(count[k] >= 174 && count[k] <= 183, "class %d has %lld", k, (long long)count[k]);
    mlp_digits_free(&d);
}

/* The 359-sample test split moves the accuracy by 0.28% per sample and the
 * split depends on the seed, so the bar is on the mean of three seeds (one
 * unlucky split or a changed rounding in a kernel must not flip the test);
 * each seed must still clear 96%. */
TEST(learns_to_97_percent) {
    double sum = 0;
    for (uint64_t seed = 0; seed < 3; seed++) {
        mlp_digits_config c = mlp_digits_default_config();
        c.seed = seed;
        mlp_digits_result r = train_or_fail(c);
        printf("  seed %llu: test accuracy %.4f (%lld/%lld), train loss %.4f, %.2fs\n", (unsigned long long)seed,
               r.test_accuracy, (long long)r.correct, (long long)r.n_test, r.train_loss, r.seconds);
        CHECK_EQ_INT(r.n_train + r.n_test, 1797);
        CHECK_EQ_INT(r.n_test, 359);
        CHECK_MSG(r.test_accuracy >= 0.96, "seed %llu: test accuracy %.4f < 0.96", (unsigned long long)seed,
                  r.test_accuracy);
        CHECK_MSG(r.train_loss < 0.05, "seed %llu: final train loss %.4f", (unsigned long long)seed, r.train_loss);
        /* The step arena stops growing after the first steps (no per-step malloc). */
        CHECK_MSG(r.step_arena_mallocs <= 4, "step arena made %zu chunk mallocs", r.step_arena_mallocs);
        sum += r.test_accuracy;
    }
    CHECK_MSG(sum / 3 >= 0.97, "mean test accuracy over seeds 0..2 is %.4f < 0.97", sum / 3);
}

TEST(same_seed_same_bits) {
    mlp_digits_config c = mlp_digits_default_config();
    c.epochs = 3;
    c.seed = 7;
    mlp_digits_result a = train_or_fail(c), b = train_or_fail(c);
    CHECK_MSG(memcmp(&a.last_loss, &b.last_loss, sizeof a.last_loss) == 0, "last loss %.9g vs %.9g", a.last_loss,
              b.last_loss);
    CHECK(a.train_loss == b.train_loss);
    CHECK_EQ_INT(a.correct, b.correct);
    CHECK(a.weights_hash == b.weights_hash);
    c.seed = 8;
    mlp_digits_result other = train_or_fail(c);
    CHECK(other.weights_hash != a.weights_hash);
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* A valid line: 64 pixels then a label. */
static void valid_line(char *buf, size_t n, int label) {
    size_t k = 0;
    for (int j = 0; j < 64; j++) k += (size_t)snprintf(buf + k, n - k, "%d,", j % 17);
    snprintf(buf + k, n - k, "%d\n", label);
}

TEST(loader_errors_name_path_and_line) {
    mlp_digits_data d;
    lit_status st = mlp_digits_load("/nonexistent/digits.csv", &d);
    CHECK_EQ_INT(st, LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "/nonexistent/digits.csv");
    CHECK_STR_CONTAINS(lit_last_error(), "--data");
    CHECK(d.x == NULL && d.n == 0);

    char path[] = "/tmp/litc-digits-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) return;
    close(fd);
    char good[512], text[2048];

    valid_line(good, sizeof good, 3);
    snprintf(text, sizeof text, "%s%s1,2,3\n", good, good);
    write_file(path, text);
    CHECK_EQ_INT(mlp_digits_load(path, &d), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), ":3:");
    CHECK_STR_CONTAINS(lit_last_error(), "found 3 values");

    snprintf(text, sizeof text, "%s", good);
    text[0] = 'x';
    write_file(path, text);
    CHECK_EQ_INT(mlp_digits_load(path, &d), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), ":1: field 1 is not a number");

    valid_line(good, sizeof good, 12);
    write_file(path, good);
    CHECK_EQ_INT(mlp_digits_load(path, &d), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "label is 12");

    snprintf(text, sizeof text, "17,%s", good + 2);
    write_file(path, text);
    CHECK_EQ_INT(mlp_digits_load(path, &d), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "pixel 1 is 17");

    valid_line(good, sizeof good, 1);
    snprintf(text, sizeof text, "%.*s,5\n", (int)strlen(good) - 1, good);
    write_file(path, text);
    CHECK_EQ_INT(mlp_digits_load(path, &d), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "more than 65 values");

    write_file(path, "\n\n");
    CHECK_EQ_INT(mlp_digits_load(path, &d), LIT_ERR_DATA);
    CHECK_STR_CONTAINS(lit_last_error(), "no samples");

    snprintf(text, sizeof text, "\n%s\n%s", good, good); /* blank lines are skipped */
    write_file(path, text);
    CHECK_EQ_INT(mlp_digits_load(path, &d), LIT_OK);
    CHECK_EQ_INT(d.n, 2);
    CHECK_EQ_INT(d.y[1], 1);
    CHECK_NEAR(d.x[64 + 16], 16, 0);
    mlp_digits_free(&d);
    mlp_digits_free(&d); /* idempotent */
    unlink(path);
}

TEST(bad_config_is_a_runtime_error) {
    mlp_digits_config c = mlp_digits_default_config();
    mlp_digits_result r;
    c.lr = -1;
    CHECK_EQ_INT(mlp_digits_train(&c, &r), LIT_ERR_CONFIG);
    CHECK_STR_CONTAINS(lit_last_error(), "learning rate");
    c = mlp_digits_default_config();
    c.data_path = "/nonexistent/x.csv";
    CHECK_EQ_INT(mlp_digits_train(&c, &r), LIT_ERR_IO);
    CHECK_STR_CONTAINS(lit_last_error(), "/nonexistent/x.csv");
}

int main(void) {
    RUN(loads_the_shipped_data);
    RUN(loader_errors_name_path_and_line);
    RUN(bad_config_is_a_runtime_error);
    RUN(learns_to_97_percent);
    RUN(same_seed_same_bits);
    return harness_summary();
}
