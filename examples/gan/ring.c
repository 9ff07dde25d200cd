/* The ring-of-Gaussians data set and its quality metrics (see ring.h). */
#include "ring.h"

#include <math.h>
#include <string.h>

#include "litc/tensor.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

gan_ring_config gan_ring_default_config(void) {
    return (gan_ring_config){.n = 65536, .modes = 8, .radius = 2.0, .std = 0.05, .seed = 0};
}

lit_status gan_ring_init(gan_ring *r, const gan_ring_config *c) {
    LIT_ASSERT(r != NULL, "gan_ring_init: r is NULL; pass a gan_ring to fill");
    gan_ring_config d = c ? *c : gan_ring_default_config();
    if (d.n < 1) return lit_set_error(LIT_ERR_CONFIG, "ring: n is %lld; pass 1 or more samples", (long long)d.n);
    if (d.modes < 1 || d.modes > GAN_RING_MAX_MODES)
        return lit_set_error(LIT_ERR_CONFIG, "ring: modes is %d; pass 1..%d", d.modes, GAN_RING_MAX_MODES);
    if (!(d.radius > 0 && isfinite(d.radius)))
        return lit_set_error(LIT_ERR_CONFIG, "ring: radius is %g; pass a positive number such as 2", d.radius);
    if (!(d.std >= 0 && isfinite(d.std)))
        return lit_set_error(LIT_ERR_CONFIG, "ring: std is %g; pass 0 or a small positive number such as 0.05",
                             d.std);
    memset(r, 0, sizeof *r);
    r->c = d;
    for (int k = 0; k < d.modes; k++) {
        double a = 2.0 * M_PI * (double)k / (double)d.modes;
        r->cx[k] = d.radius * cos(a);
        r->cy[k] = d.radius * sin(a);
    }
    return LIT_OK;
}

int gan_ring_point(const gan_ring *r, const uint32_t w[4], float xy[2]) {
    int k = (int)(w[0] % (uint32_t)r->c.modes);
    /* Box-Muller: u1 in (0, 1] keeps the log finite, u2 in [0, 1). */
    double u1 = ((double)w[1] + 1.0) * (1.0 / 4294967296.0);
    double u2 = (double)w[2] * (1.0 / 4294967296.0);
    double rad = sqrt(-2.0 * log(u1)), a = 2.0 * M_PI * u2;
    xy[0] = (float)(r->cx[k] + r->c.std * rad * cos(a));
    xy[1] = (float)(r->cy[k] + r->c.std * rad * sin(a));
    return k;
}

int gan_ring_sample(const gan_ring *r, int64_t i, float xy[2]) {
    uint32_t w[4];
    lit_philox4x32(r->c.seed, (uint64_t)i, w);
    return gan_ring_point(r, w, xy);
}

static int64_t ring_len(void *user) { return ((const gan_ring *)user)->c.n; }

static lit_status ring_get(void *user, int64_t index, lit_sample *out, lit_arena *arena) {
    const gan_ring *r = user;
    if (index < 0 || index >= r->c.n)
        return lit_set_error(LIT_ERR_INVALID_ARG, "ring: index %lld out of range [0, %lld)", (long long)index,
                             (long long)r->c.n);
    lit_tensor *x = lit_tensor_new(arena, LIT_F32, LIT_SHAPE(2));
    if (!x) return LIT_ERR_NOMEM;
    int k = gan_ring_sample(r, index, lit_f32(x));
    memset(out, 0, sizeof *out);
    out->n = 2;
    out->fields[0] = (lit_field){.name = "x", .kind = LIT_FIELD_TENSOR, .tensor = x};
    out->fields[1] = (lit_field){.name = "mode", .kind = LIT_FIELD_INT, .i = k};
    out->index = index;
    return LIT_OK;
}

lit_dataset gan_ring_dataset(gan_ring *r) {
    LIT_ASSERT(r != NULL, "gan_ring_dataset: r is NULL; initialise a gan_ring with gan_ring_init first");
    return (lit_dataset){.version = LIT_DATASET_VERSION, .len = ring_len, .get = ring_get, .user = r};
}

void gan_ring_fill(const gan_ring *r, float *xy, int64_t n, lit_rng *rng, int32_t *modes) {
    LIT_ASSERT(r != NULL && rng != NULL, "gan_ring_fill: ring and rng must not be NULL");
    LIT_ASSERT(n >= 0, "gan_ring_fill: n is %lld; pass 0 or more", (long long)n);
    for (int64_t i = 0; i < n; i++) {
        uint32_t w[4];
        lit_rng_fill_u32(rng, w, 4); /* exactly one block */
        int k = gan_ring_point(r, w, xy + 2 * i);
        if (modes) modes[i] = k;
    }
}

lit_tensor *gan_ring_batch(const gan_ring *r, int64_t n, lit_rng *rng, int32_t *modes) {
    LIT_ASSERT(n >= 1, "gan_ring_batch: n is %lld; pass a batch size of 1 or more", (long long)n);
    lit_tensor *x = lit_empty(LIT_F32, LIT_SHAPE(n, 2));
    gan_ring_fill(r, lit_f32(x), n, rng, modes);
    return x;
}

int gan_ring_nearest_mode(const gan_ring *r, double x, double y, double *dist) {
    int best = 0;
    double bd = INFINITY;
    for (int k = 0; k < r->c.modes; k++) {
        double dx = x - r->cx[k], dy = y - r->cy[k], d = dx * dx + dy * dy;
        if (d < bd) bd = d, best = k;
    }
    if (dist) *dist = sqrt(bd);
    return best;
}

gan_ring_quality_params gan_ring_quality_default_params(void) {
    return (gan_ring_quality_params){.hq_radius = 0, .min_share = 0.02};
}

gan_ring_quality gan_ring_evaluate(const gan_ring *r, const float *xy, int64_t n, const gan_ring_quality_params *p) {
    LIT_ASSERT(r != NULL && (xy != NULL || n == 0), "gan_ring_evaluate: ring or points are NULL");
    gan_ring_quality_params qp = p ? *p : gan_ring_quality_default_params();
    gan_ring_quality q;
    memset(&q, 0, sizeof q);
    q.n = n;
    q.hq_radius = qp.hq_radius > 0 ? qp.hq_radius : 3.0 * r->c.std;
    q.min_share = qp.min_share;
    double dsum = 0;
    int64_t finite = 0;
    for (int64_t i = 0; i < n; i++) {
        double x = xy[2 * i], y = xy[2 * i + 1], d;
        if (!isfinite(x) || !isfinite(y)) {
            q.non_finite++;
            continue;
        }
        int k = gan_ring_nearest_mode(r, x, y, &d);
        dsum += d;
        finite++;
        if (d <= q.hq_radius) {
            q.high_quality++;
            q.per_mode[k]++;
        }
    }
    q.mean_nearest_dist = finite ? dsum / (double)finite : NAN;
    q.high_quality_fraction = n ? (double)q.high_quality / (double)n : 0;
    for (int k = 0; k < r->c.modes; k++)
        if (q.per_mode[k] > 0 && (double)q.per_mode[k] >= q.min_share * (double)n) q.modes_covered++;
    return q;
}
