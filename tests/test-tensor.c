/* tensor: creation, dtypes and bf16, strides and views, access, printing, liveness checks. */
#include "harness.h"

TEST(creation_values) {
    lit_tensor *z = lit_zeros(LIT_F32, LIT_SHAPE(2, 3));
    CHECK_EQ_INT(z->ndim, 2);
    CHECK_EQ_INT(z->numel, 6);
    CHECK_EQ_INT(z->stride[0], 3);
    CHECK_EQ_INT(z->stride[1], 1);
    for (int i = 0; i < 6; i++) CHECK(lit_f32(z)[i] == 0.0f);
    lit_tensor *f = lit_full(LIT_I64, LIT_SHAPE(4), 7);
    CHECK_EQ_INT(lit_i64(f)[3], 7);
    lit_tensor *o = lit_ones(LIT_BF16, LIT_SHAPE(3));
    CHECK(lit_bf16(o)[2] == 0x3f80);
    lit_tensor *r = lit_arange(LIT_F32, 1, 2, 0.25);
    CHECK_EQ_INT(r->numel, 4);
    CHECK_NEAR(lit_f32(r)[3], 1.75, 0);
    lit_tensor *ri = lit_arange(LIT_I32, 5, 0, -2);
    CHECK_EQ_INT(ri->numel, 3);
    CHECK_EQ_INT(lit_i32(ri)[2], 1);
    CHECK_EQ_INT(lit_arange(LIT_F32, 3, 3, 1)->numel, 0);
    lit_tensor *s = lit_scalar(2.5);
    CHECK_EQ_INT(s->ndim, 0);
    CHECK_NEAR(lit_item(s), 2.5, 0);
    float buf[] = {1, 2, 3, 4, 5, 6};
    lit_tensor *b = lit_from_buffer(LIT_F32, LIT_SHAPE(3, 2), buf);
    CHECK_NEAR(lit_get(b, (int64_t[]){2, 1}), 6, 0);
    lit_tensor *e = lit_zeros(LIT_F32, LIT_SHAPE(0, 4));
    CHECK_EQ_INT(e->numel, 0);
}

TEST(random_creators_are_seeded) {
    lit_rng r1 = lit_rng_new(1), r2 = lit_rng_new(1);
    lit_tensor *a = lit_rand(LIT_SHAPE(100), &r1), *b = lit_rand(LIT_SHAPE(100), &r2);
    CHECK(memcmp(a->data, b->data, 400) == 0);
    for (int i = 0; i < 100; i++) CHECK(lit_f32(a)[i] >= 0 && lit_f32(a)[i] < 1);
}

TEST(bf16_conversion) {
    CHECK(lit_f32_to_bf16(1.0f) == 0x3f80);
    CHECK(lit_f32_to_bf16(-2.0f) == 0xc000);
    /* 1 + 2^-8 is exactly halfway between two bf16 values: ties to even (down). */
    CHECK(lit_f32_to_bf16(1.00390625f) == 0x3f80);
    /* 1 + 3*2^-8 is halfway: ties to even (up to 1 + 2^-6). */
    CHECK(lit_f32_to_bf16(1.01171875f) == 0x3f82);
    CHECK(lit_f32_to_bf16(1.0f + 0.0046875f) == 0x3f81);
    CHECK(isnan(lit_bf16_to_f32(lit_f32_to_bf16(NAN))));
    CHECK(isinf(lit_bf16_to_f32(lit_f32_to_bf16(INFINITY))));
    CHECK(lit_bf16_to_f32(0x4049) == 3.140625f);
    lit_tensor *x = lit_from_buffer(LIT_F32, LIT_SHAPE(3), (float[]){0.1f, -3.0f, 1000.0f});
    lit_tensor *h = lit_to_dtype(x, LIT_BF16);
    CHECK(h->dtype == LIT_BF16);
    lit_tensor *back = lit_to_dtype(h, LIT_F32);
    CHECK_NEAR(lit_f32(back)[0], 0.1, 0.001);
    CHECK(lit_f32(back)[1] == -3.0f);
    CHECK(lit_f32(back)[2] == 1000.0f);
    CHECK_EQ_INT(lit_dtype_size(LIT_BF16), 2);
    CHECK_STR_EQ(lit_dtype_name(LIT_I64), "i64");
}

TEST(views_share_data) {
    lit_tensor *x = lit_arange(LIT_F32, 0, 24, 1);
    lit_tensor *r = lit_reshape(x, LIT_SHAPE(2, 3, 4));
    CHECK(r->data == x->data);
    lit_tensor *inferred = lit_reshape(x, LIT_SHAPE(4, -1));
    CHECK_EQ_INT(inferred->shape[1], 6);
    lit_tensor *p = lit_permute(r, (int[]){2, 0, 1}); /* (4, 2, 3) */
    CHECK_EQ_INT(p->shape[0], 4);
    CHECK_EQ_INT(p->stride[0], 1);
    CHECK(!lit_is_contiguous(p));
    CHECK_NEAR(lit_get(p, (int64_t[]){3, 1, 2}), 1 * 12 + 2 * 4 + 3, 0);
    lit_tensor *pc = lit_contiguous(p);
    CHECK(lit_is_contiguous(pc));
    CHECK_NEAR(lit_f32(pc)[(3 * 2 + 1) * 3 + 2], 23, 0);
    lit_tensor *t = lit_transpose(r, -1, 0); /* (4, 3, 2) */
    CHECK_NEAR(lit_get(t, (int64_t[]){1, 2, 1}), 12 + 8 + 1, 0);
    lit_tensor *s = lit_slice(r, 2, 1, 4, 2); /* (2, 3, 2): columns 1, 3 */
    CHECK_EQ_INT(s->shape[2], 2);
    CHECK_NEAR(lit_get(s, (int64_t[]){1, 2, 1}), 12 + 8 + 3, 0);
    lit_tensor *neg = lit_slice(r, 1, -2, 100, 1);
    CHECK_EQ_INT(neg->shape[1], 2);
    lit_tensor *sel = lit_select(r, 1, -1); /* (2, 4) */
    CHECK_EQ_INT(sel->ndim, 2);
    CHECK_NEAR(lit_get(sel, (int64_t[]){1, 0}), 12 + 8, 0);
    lit_tensor *col = lit_reshape(lit_arange(LIT_F32, 0, 3, 1), LIT_SHAPE(3, 1));
    lit_tensor *ex = lit_expand(col, LIT_SHAPE(2, 3, 5));
    CHECK_EQ_INT(ex->stride[0], 0);
    CHECK_EQ_INT(ex->stride[2], 0);
    CHECK_NEAR(lit_get(ex, (int64_t[]){1, 2, 4}), 2, 0);
    lit_tensor *u = lit_unsqueeze(x, 0);
    CHECK_EQ_INT(u->ndim, 2);
    CHECK_EQ_INT(u->shape[0], 1);
    CHECK_EQ_INT(lit_squeeze(u, 0)->ndim, 1);
    lit_tensor *fl = lit_flatten(r, 1, -1);
    CHECK_EQ_INT(fl->shape[1], 12);
    /* reshape of a non-contiguous view copies */
    lit_tensor *rp = lit_reshape(p, LIT_SHAPE(24));
    CHECK(rp->data != x->data);
    CHECK_NEAR(lit_f32(rp)[1], 4, 0);
}

TEST(views_backward) {
    lit_tensor *x = lit_arange(LIT_F32, 0, 6, 1);
    x->requires_grad = 1;
    lit_tensor *m = lit_reshape(x, LIT_SHAPE(2, 3));
    lit_tensor *y = lit_mul(lit_slice(lit_transpose(m, 0, 1), 0, 1, 3, 1), lit_scalar(2.0)); /* (2, 2) */
    lit_backward_with_grad(y, lit_from_buffer(LIT_F32, LIT_SHAPE(2, 2), (float[]){1, 2, 3, 4}));
    /* y[i][j] = 2 * m[j][i+1]; dx[j*3 + i+1] = 2 * g[i][j] */
    float want[6] = {0, 2, 6, 0, 4, 8};
    CHECK_ALLCLOSE(lit_f32(x->grad), want, 6, 0, 0);
    lit_tensor_free(NULL);
}

/* The gradient handed to backward may be a view: the tape adds it in
 * logical order (it calls no op to make it contiguous), into a leaf's
 * .grad directly or as the seed of a graph. */
TEST(backward_takes_a_non_contiguous_gradient) {
    lit_tensor *g = lit_transpose(lit_from_buffer(LIT_F32, LIT_SHAPE(3, 2), (float[]){1, 2, 3, 4, 5, 6}), 0, 1);
    CHECK(!lit_is_contiguous(g));                     /* (2, 3): 1 3 5 / 2 4 6 */
    float want[6] = {1, 3, 5, 2, 4, 6}, twice[6] = {2, 6, 10, 4, 8, 12};
    lit_tensor *leaf = lit_zeros(LIT_F32, LIT_SHAPE(2, 3));
    leaf->requires_grad = 1;
    lit_backward_with_grad(leaf, g);
    CHECK_ALLCLOSE(lit_f32(leaf->grad), want, 6, 0, 0);
    lit_tensor *x = lit_zeros(LIT_F32, LIT_SHAPE(2, 3));
    x->requires_grad = 1;
    lit_backward_with_grad(lit_mul(x, lit_scalar(2.0)), g);
    CHECK_ALLCLOSE(lit_f32(x->grad), twice, 6, 0, 0);
}

TEST(access_and_copy) {
    lit_tensor *x = lit_reshape(lit_arange(LIT_F32, 0, 6, 1), LIT_SHAPE(2, 3));
    lit_tensor *xt = lit_transpose(x, 0, 1);
    CHECK_NEAR(lit_get_flat(xt, 1), 3, 0);
    lit_tensor *d = lit_empty(LIT_I64, LIT_SHAPE(3, 2));
    lit_tensor_copy_(d, xt);
    CHECK_EQ_INT(lit_i64(d)[5], 5);
    CHECK_EQ_INT(lit_i64(d)[1], 3);
    lit_set_flat(xt, 0, 42);
    CHECK_NEAR(lit_f32(x)[0], 42, 0);
    lit_tensor_fill_(xt, -1);
    CHECK_NEAR(lit_f32(x)[5], -1, 0);
    lit_tensor_zero_(x);
    CHECK_NEAR(lit_f32(x)[5], 0, 0);
}

TEST(persistent_tensors) {
    lit_tensor *w = lit_tensor_new(NULL, LIT_F32, LIT_SHAPE(3, 2));
    CHECK(w->arena == NULL);
    CHECK(lit_f32(w)[5] == 0.0f);
    lit_arena_reset(lit_arena_current());
    lit_tensor_check(w, "still alive after a step reset");
    lit_tensor_free(w);
}

TEST(printing) {
    lit_tensor *x = lit_arange(LIT_I32, 0, 3, 1);
    char buf[256];
    FILE *f = fmemopen(buf, sizeof buf, "w");
    lit_tensor_fprint(f, x, "x", 0);
    fclose(f);
    CHECK_STR_EQ(buf, "x: i32 (3,) [0, 1, 2]\n");
    CHECK_STR_EQ(LIT_SHAPE_STR(lit_zeros(LIT_F32, LIT_SHAPE(2, 5))), "(2, 5)");
}

TEST(misuse_is_caught_with_clear_messages) {
    lit_tensor *x = lit_zeros(LIT_F32, LIT_SHAPE(2, 3));
    EXPECT_ASSERT(lit_item(x), "has 6 elements");
    EXPECT_ASSERT(lit_i64(x), "convert it with lit_to_dtype");
    EXPECT_ASSERT(lit_reshape(x, LIT_SHAPE(4, 2)), "cannot reshape (2, 3)");
    EXPECT_ASSERT(lit_expand(x, LIT_SHAPE(4, 3)), "only size-1 dims expand");
    EXPECT_ASSERT(lit_transpose(x, 0, 2), "dim 2 is out of range for a 2-d tensor");
    EXPECT_ASSERT(lit_add(x, lit_zeros(LIT_F32, LIT_SHAPE(4))), "add: shapes (2, 3) and (4,) do not broadcast");
    EXPECT_ASSERT(lit_mul(x, lit_zeros(LIT_I64, LIT_SHAPE(3))), "mul: input (3,) has dtype i64");
    EXPECT_ASSERT(lit_f32(lit_transpose(x, 0, 1)), "call lit_contiguous first");
    EXPECT_ASSERT(lit_backward(x), "backward needs a scalar loss");
    lit_tensor *loss = lit_sum_all(x);
    EXPECT_ASSERT(lit_backward(loss), "does not require grad");
}

TEST(use_after_reset_is_caught) {
    lit_arena *a = lit_arena_new("step", 0);
    lit_arena_set_poison(a, 0); /* release builds: the stale header is intact, its generation is old */
    lit_arena *prev = lit_arena_use(a);
    lit_tensor *x = lit_ones(LIT_F32, LIT_SHAPE(4));
    lit_arena_reset(a);
    EXPECT_ASSERT(lit_exp(x), "generation 1, which has been reset");
    lit_arena_set_poison(a, 1);
    lit_tensor *y = lit_ones(LIT_F32, LIT_SHAPE(4));
    lit_arena_reset(a); /* poisoned: the header itself is gone */
    EXPECT_ASSERT(lit_exp(y), "not alive");
    lit_arena_use(prev);
    lit_arena_free(a);
}

int main(void) {
    RUN(creation_values);
    RUN(random_creators_are_seeded);
    RUN(bf16_conversion);
    RUN(views_share_data);
    RUN(views_backward);
    RUN(access_and_copy);
    RUN(persistent_tensors);
    RUN(printing);
    RUN(misuse_is_caught_with_clear_messages);
    RUN(use_after_reset_is_caught);
    RUN(backward_takes_a_non_contiguous_gradient);
    return harness_summary();
}
