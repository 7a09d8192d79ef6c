/* Differential fuzzer of the LSTM and GRU gate updates (ckernels.h), on random descriptors:
 *   - forward: the documented float formula bit for bit (activations from the scalar unary
 *     kernels); backward: a double-precision reference from the saved activations, within the
 *     tolerances of CKernels/tests/ck_test.c; every ISA gives the scalar path's bits;
 *   - NaN in a preactivation gives NaN in that element's c and h;
 *   - `_rows` splits (forward anywhere; backward at row groups with per-group db partials, as
 *     ckernels.h documents) == the whole call; the documented exact aliases (c == c_prev,
 *     dz == workspace, dc_prev == dh, h == h_prev, dx == workspace, dh_prev == dh) == separate
 *     buffers, and workspace == z when Z is dense; inference (no workspace) == training's c and h;
 *   - no write outside the outputs (canaries; any byte offset), the FP control register unchanged;
 *   - a rejected call (overlap, short z_stride, rows outside the batch, bad or absent ISA, NULL)
 *     returns its status and writes nothing;
 *   - the OpenMP drivers (ckernels_omp.h) give the serial bits for 0 to 4 threads.
 * A quarter of the cases run the half-format gate updates instead (bf16 or f16 tensors, some
 * inputs saturating, subnormal, NaN, infinite or any pattern): on every ISA, in row pieces (the LSTM
 * backward by row groups through ck_lstm_backward_half_groups and its db partials, in place over
 * c_prev; the GRU's h == h_prev and dh_prev == dh) and through the OpenMP drivers, each output is
 * the float call's on the widened inputs, the half-format ones rounded by fz_half_round (a NaN must
 * be quiet); half tensors at any byte address, canaries around every output, inputs unchanged.
 *
 *   fuzz_gates [--seed S] [--seconds T] [--cases N]     fuzz_gates --seed S --case N */
#include <math.h>

#include "ckernels_omp.h"
#include "ckernels_threads.h"
#include "fuzz.h"

static const char *const tier_names[] = { "precise", "fast", "approximate" };
static char label[200]; /* the case, for messages */

static float *randoms(fz_rng *r, size_t n, float lo, float hi)
{
    float *p = fz_xmalloc(n * sizeof(float));
    for (size_t i = 0; i < n; ++i)
        p[i] = fz_uniform(r, lo, hi);
    return p;
}

static float *copy_of(const float *p, size_t n)
{
    float *q = fz_xmalloc(n * sizeof(float));
    memcpy(q, p, n * sizeof(float));
    return q;
}

static float act(int is_tanh, float v, ck_tier tier)
{
    float y;
    (is_tanh ? ck_tanh_f32_isa : ck_sigmoid_f32_isa)(&v, &y, 1, tier, CK_ISA_SCALAR);
    return y;
}

static void expect_same(const float *got, const float *want, size_t n, const char *what)
{
    size_t at = fz_first_diff(got, want, n);
    FZ_CHECK(at == n, "%s: %s differs at %zu of %zu: %a, expected %a", label, what, at, n, (double)got[at],
             (double)want[at]);
}

/* |got - want| <= tol everywhere */
static void expect_near(const float *got, const double *want, const double *tol, size_t n, const char *what)
{
    for (size_t i = 0; i < n; ++i)
        FZ_CHECK(fabs(got[i] - want[i]) <= tol[i], "%s: %s[%zu] = %a, reference %.9g (tolerance %.3g)", label, what, i,
                 (double)got[i], want[i], tol[i]);
}

/* Outputs at random byte offsets, poisoned, with canaries; `init` (or poison) as contents. */
typedef struct { fz_buf b[6]; size_t n; } outputs;

static void outputs_alloc(outputs *o, fz_rng *r, const size_t *sizes, float *const *init, size_t n)
{
    o->n = n;
    for (size_t k = 0; k < n; ++k)
        o->b[k] = init && init[k] ? fz_alloc(sizes[k], fz_below(r, 16), init[k])
                                  : fz_alloc_poisoned(sizes[k], fz_below(r, 16));
}

/* canaries intact; the contents copied out (caller frees each) */
static void outputs_collect(outputs *o, float **out, const char *what)
{
    for (size_t k = 0; k < o->n; ++k) {
        char where[64];
        snprintf(where, sizeof where, "%s output %zu", what, k);
        fz_check_canaries(&o->b[k], where);
        out[k] = fz_read(&o->b[k]);
        fz_free(&o->b[k]);
    }
}

static void free_all(float **p, size_t n)
{
    for (size_t k = 0; k < n; ++k)
        free(p[k]);
}

/* B and H: mostly small (every tail), sometimes across a 256-column block, sometimes large enough
 * for the OpenMP drivers to split */
static void pick_shape(fz_rng *r, size_t *B, size_t *H)
{
    unsigned k = (unsigned)fz_below(r, 100);
    *B = 1 + fz_below(r, k < 97 ? 20 : 40);
    *H = 1 + (k < 85 ? fz_below(r, 70) : k < 97 ? fz_below(r, 600) : 600 + fz_below(r, 800));
}

/* ---- LSTM ------------------------------------------------------------------------------------- */

typedef struct {
    ck_lstm_desc d;
    size_t B, H, zs, W, off[4]; /* off: i, f, g, o within a row of 4H */
    float *z, *bias, *cp, *dh, *dcn, *db0;
} lstm_case;

static void lstm_forward_on(const lstm_case *c, fz_rng *r, ck_isa isa, float **out /* c, h, ws */)
{
    const size_t BH = c->B * c->H, sizes[3] = { BH, BH, c->W };
    outputs o;
    outputs_alloc(&o, r, sizes, NULL, 3);
    const unsigned control = fz_fp_control();
    ck_status st = ck_lstm_forward_rows(&c->d, 0, c->B, isa, c->z, c->bias, c->cp, o.b[0].p, o.b[1].p, o.b[2].p);
    FZ_CHECK(st == CK_OK, "%s: %s forward status %d", label, ck_isa_name(isa), st);
    FZ_CHECK(fz_fp_control() == control, "%s: %s forward changed the FP control register", label, ck_isa_name(isa));
    outputs_collect(&o, out, "LSTM forward");
}

static void lstm_backward_on(const lstm_case *c, fz_rng *r, ck_isa isa, const float *ws, float **out /* dz, dcp, db */)
{
    const size_t BH = c->B * c->H, sizes[3] = { 4 * BH, BH, 4 * c->H };
    float *init[3] = { NULL, NULL, c->db0 };
    outputs o;
    outputs_alloc(&o, r, sizes, init, c->db0 ? 3 : 2);
    const unsigned control = fz_fp_control();
    ck_status st = ck_lstm_backward_rows(&c->d, 0, c->B, isa, c->dh, c->dcn, ws, c->cp, o.b[0].p, o.b[1].p,
                                         c->db0 ? o.b[2].p : NULL);
    FZ_CHECK(st == CK_OK, "%s: %s backward status %d", label, ck_isa_name(isa), st);
    FZ_CHECK(fz_fp_control() == control, "%s: %s backward changed the FP control register", label, ck_isa_name(isa));
    outputs_collect(&o, out, "LSTM backward");
    if (!c->db0)
        out[2] = NULL;
}

/* the documented float formula: gates, c, tanh(c), h */
static void lstm_reference_forward(const lstm_case *c, float *gates, float *cc, float *tc, float *h)
{
    const float clip = c->d.cell_clip > 0.0f ? c->d.cell_clip : INFINITY;
    for (size_t r = 0; r < c->B; ++r)
        for (size_t j = 0; j < c->H; ++j) {
            float a[4];
            for (size_t q = 0; q < 4; ++q) {
                float v = c->z[r * c->zs + c->off[q] + j];
                if (c->bias)
                    v = v + c->bias[c->off[q] + j];
                if (q == 1)
                    v = v + c->d.forget_bias;
                a[q] = act(q == 2, v, c->d.tier);
                gates[r * 4 * c->H + c->off[q] + j] = a[q];
            }
            float cu = fmaf(a[1], c->cp[r * c->H + j], a[0] * a[2]);
            float cl = cu > clip ? clip : cu < -clip ? -clip : cu; /* NaN stays NaN */
            const size_t at = r * c->H + j;
            cc[at] = cl;
            tc[at] = act(1, cl, c->d.tier);
            h[at] = a[3] * tc[at];
        }
}

/* backward in double from the saved float activations; tolerances as in ck_test.c */
static void lstm_reference_backward(const lstm_case *c, const float *ws, const float *dz, const float *dcp,
                                    const float *db)
{
    const size_t B = c->B, H = c->H, G = 4 * H;
    const double u = 0x1p-24, clip = c->d.cell_clip > 0.0f ? c->d.cell_clip : INFINITY;
    double *want = fz_xmalloc(B * G * sizeof(double)), *tol = fz_xmalloc(B * G * sizeof(double));
    double *wdc = fz_xmalloc(B * H * sizeof(double)), *tdc = fz_xmalloc(B * H * sizeof(double));
    double *wdb = calloc(G, sizeof(double)), *tdb = calloc(G, sizeof(double));
    for (size_t r = 0; r < B; ++r)
        for (size_t j = 0; j < H; ++j) {
            const size_t at = r * H + j;
            const float *g = ws + r * G;
            double i = g[c->off[0] + j], f = g[c->off[1] + j], gg = g[c->off[2] + j], o = g[c->off[3] + j];
            double t = ws[B * G + at], dhv = c->dh[at], dcv = c->dcn ? c->dcn[at] : 0.0, cp = c->cp[at];
            double cu = fmaf((float)f, (float)cp, (float)i * (float)gg);
            double g_c = fabs(cu) > clip ? 0.0 : dhv * o * (1 - t * t) + dcv;
            double d4[4] = { g_c * gg * i * (1 - i), g_c * cp * f * (1 - f), g_c * i * (1 - gg * gg),
                             dhv * t * o * (1 - o) };
            double mag = (fabs(dhv) + fabs(dcv) + 1) * (fabs(cp) + 1);
            for (size_t q = 0; q < 4; ++q) {
                want[r * G + c->off[q] + j] = d4[q];
                tol[r * G + c->off[q] + j] = 16 * u * mag;
                wdb[c->off[q] + j] += d4[q];
                tdb[c->off[q] + j] += 16 * u * mag;
            }
            wdc[at] = g_c * f;
            tdc[at] = 16 * u * mag;
        }
    expect_near(dz, want, tol, B * G, "dz");
    expect_near(dcp, wdc, tdc, B * H, "dc_prev");
    if (db) {
        for (size_t k = 0; k < G; ++k)
            wdb[k] += c->db0[k], tdb[k] += 16 * u * (fabs(c->db0[k]) + 1);
        expect_near(db, wdb, tdb, G, "db");
    }
    free(want), free(tol), free(wdc), free(tdc), free(wdb), free(tdb);
}

/* A rejected call: its status, and not a float written. */
static void lstm_rejection(const lstm_case *c, fz_rng *r)
{
    const size_t BH = c->B * c->H, n = 7 * BH + 1;
    float *buf = fz_xmalloc(n * sizeof(float)), *before = fz_xmalloc(n * sizeof(float));
    for (size_t k = 0; k < n; ++k)
        buf[k] = (float)k;
    memcpy(before, buf, n * sizeof(float));
    float *cb = buf, *hb = buf + BH, *wb = buf + 2 * BH; /* c, h, then a workspace of 5 BH */
    ck_lstm_desc d = c->d;
    const ck_isa isa = fz_isas[fz_below(r, fz_nisas)], absent = fz_absent_isa();
    ck_status got, want;
    switch (fz_below(r, 6)) {
    case 0: /* h overlapping c, or equal to it (not an allowed alias) */
        want = CK_ERR_OVERLAP;
        got = ck_lstm_forward_rows(&d, 0, c->B, isa, c->z, c->bias, c->cp, cb, cb + fz_below(r, BH), wb);
        break;
    case 1: /* dz overlapping the workspace by part (not the allowed exact alias) */
        want = CK_ERR_OVERLAP;
        got = ck_lstm_backward_rows(&d, 0, c->B, isa, c->dh, c->dcn, wb, c->cp, wb + 1, cb, NULL);
        break;
    case 2:
        want = CK_ERR_INVALID_ARGUMENT;
        d.z_stride = 1 + fz_below(r, 4 * c->H - 1);
        got = ck_lstm_forward_rows(&d, 0, c->B, isa, c->z, c->bias, c->cp, cb, hb, wb);
        break;
    case 3:
        want = CK_ERR_INVALID_ARGUMENT;
        got = ck_lstm_forward_rows(&d, 0, c->B + 1 + fz_below(r, 5), isa, c->z, c->bias, c->cp, cb, hb, wb);
        break;
    case 4: /* an ISA value outside ck_isa, or a valid one this CPU lacks */
        want = absent == CK_ISA_AUTO ? CK_ERR_INVALID_ARGUMENT : CK_ERR_UNSUPPORTED;
        got = ck_lstm_forward_rows(&d, 0, c->B, absent == CK_ISA_AUTO ? (ck_isa)(5 + fz_below(r, 100)) : absent,
                                   c->z, c->bias, c->cp, cb, hb, wb);
        break;
    default:
        want = CK_ERR_NULL_POINTER;
        got = ck_lstm_forward_rows(&d, 0, c->B, isa, NULL, c->bias, c->cp, cb, hb, wb);
    }
    FZ_CHECK(got == want, "%s: a bad call returned %d, expected %d", label, got, want);
    FZ_CHECK(memcmp(buf, before, n * sizeof(float)) == 0, "%s: a rejected call (status %d) wrote", label, got);
    free(buf), free(before);
}

/* a random descriptor and inputs, without NaN */
static void lstm_setup(fz_rng *r, lstm_case *c)
{
    pick_shape(r, &c->B, &c->H);
    const size_t B = c->B, H = c->H, BH = B * H, G = 4 * H;
    c->d = (ck_lstm_desc){ .batch = B, .hidden = H, .z_stride = fz_chance(r, 50) ? 0 : G + fz_below(r, 6),
                           .order = fz_chance(r, 50) ? CK_GATES_ICFO : CK_GATES_IFGO,
                           .forget_bias = fz_chance(r, 50) ? 0.0f : fz_uniform(r, -2.0f, 2.0f),
                           .cell_clip = fz_chance(r, 50) ? 0.0f : fz_uniform(r, 0.05f, 3.0f),
                           .tier = (ck_tier)fz_below(r, 3) };
    c->zs = c->d.z_stride ? c->d.z_stride : G;
    c->W = ck_lstm_workspace_floats(&c->d);
    const int icfo = c->d.order == CK_GATES_ICFO;
    c->off[0] = 0, c->off[1] = icfo ? 2 * H : H, c->off[2] = icfo ? H : 2 * H, c->off[3] = 3 * H;
    c->z = randoms(r, B * c->zs, -6.0f, 6.0f);
    for (size_t k = fz_below(r, 4); k > 0; --k) /* saturated gates */
        c->z[fz_below(r, B * c->zs)] = fz_chance(r, 50) ? 30.0f : -30.0f;
    c->bias = fz_chance(r, 50) ? randoms(r, G, -0.5f, 0.5f) : NULL;
    c->cp = randoms(r, BH, -2.0f, 2.0f);
    c->dh = randoms(r, BH, -1.0f, 1.0f);
    c->dcn = fz_chance(r, 50) ? randoms(r, BH, -1.0f, 1.0f) : NULL;
    c->db0 = fz_chance(r, 70) ? randoms(r, G, -1.0f, 1.0f) : NULL;
}

/* the case, for messages; `format`: "f32", "bf16" or "f16" */
static void lstm_label(const lstm_case *c, const char *format)
{
    snprintf(label, sizeof label, "LSTM %s B=%zu H=%zu stride=%zu %s fb=%a clip=%a %s bias=%d dc_next=%d db=%d",
             format, c->B, c->H, c->zs, c->d.order == CK_GATES_ICFO ? "icfo" : "ifgo", (double)c->d.forget_bias,
             (double)c->d.cell_clip, tier_names[c->d.tier], !!c->bias, !!c->dcn, !!c->db0);
}

static void lstm_fuzz(fz_rng *r)
{
    lstm_case c = { 0 };
    lstm_setup(r, &c);
    const size_t B = c.B, H = c.H, BH = B * H, G = 4 * H;
    const int with_nan = fz_chance(r, 10);
    const size_t nan_r = fz_below(r, B), nan_j = fz_below(r, H), nan_q = fz_below(r, 4);
    if (with_nan)
        c.z[nan_r * c.zs + c.off[nan_q] + nan_j] = NAN;
    lstm_label(&c, "f32");
    snprintf(label + strlen(label), sizeof label - strlen(label), " nan=%d", with_nan);

    /* every ISA; the first (scalar) is the one the references judge */
    float *fwd[4][3], *bwd[4][3];
    for (size_t k = 0; k < fz_nisas; ++k) {
        lstm_forward_on(&c, r, fz_isas[k], fwd[k]);
        lstm_backward_on(&c, r, fz_isas[k], fwd[k][2], bwd[k]);
        if (k == 0)
            continue;
        char what[64];
        for (int q = 0; q < 3; ++q) {
            static const char *const names[] = { "c", "h", "workspace", "dz", "dc_prev", "db" };
            const size_t fs[3] = { BH, BH, c.W }, bs[3] = { G * B, BH, G };
            snprintf(what, sizeof what, "%s %s vs scalar", ck_isa_name(fz_isas[k]), names[q]);
            expect_same(fwd[k][q], fwd[0][q], fs[q], what);
            if (bwd[k][q]) {
                snprintf(what, sizeof what, "%s %s vs scalar", ck_isa_name(fz_isas[k]), names[3 + q]);
                expect_same(bwd[k][q], bwd[0][q], bs[q], what);
            }
        }
    }
    float *gates = fz_xmalloc(B * G * sizeof(float)), *cc = fz_xmalloc(BH * sizeof(float));
    float *tc = fz_xmalloc(BH * sizeof(float)), *h = fz_xmalloc(BH * sizeof(float));
    lstm_reference_forward(&c, gates, cc, tc, h);
    expect_same(fwd[0][2], gates, B * G, "workspace gates vs the float formula");
    expect_same(fwd[0][2] + B * G, tc, BH, "workspace tanh(c) vs the float formula");
    expect_same(fwd[0][0], cc, BH, "c vs the float formula");
    expect_same(fwd[0][1], h, BH, "h vs the float formula");
    if (with_nan) /* the output gate's NaN reaches h only */
        FZ_CHECK((nan_q == 3 || isnan(fwd[0][0][nan_r * H + nan_j])) && isnan(fwd[0][1][nan_r * H + nan_j]),
                 "%s: NaN preactivation of gate %zu (i, f, g, o) at row %zu column %zu, but c = %a, h = %a", label,
                 nan_q, nan_r, nan_j,
                 (double)fwd[0][0][nan_r * H + nan_j], (double)fwd[0][1][nan_r * H + nan_j]);
    else
        lstm_reference_backward(&c, fwd[0][2], bwd[0][0], bwd[0][1], bwd[0][2]);

    const ck_isa isa = fz_isas[fz_below(r, fz_nisas)];
    const float *ws = fwd[0][2];
    /* forward in row pieces, into fresh buffers; inference (no workspace) gives the same c and h */
    {
        float *c2 = fz_xmalloc(BH * sizeof(float)), *h2 = fz_xmalloc(BH * sizeof(float));
        float *w2 = fz_xmalloc(c.W * sizeof(float)), *c3 = fz_xmalloc(BH * sizeof(float));
        float *h3 = fz_xmalloc(BH * sizeof(float));
        for (size_t r0 = 0, r1; r0 < B; r0 = r1) {
            r1 = r0 + 1 + fz_below(r, B - r0);
            ck_status st = ck_lstm_forward_rows(&c.d, r0, r1, isa, c.z, c.bias, c.cp, c2, h2, w2);
            FZ_CHECK(st == CK_OK, "%s: forward rows [%zu, %zu) status %d", label, r0, r1, st);
        }
        FZ_CHECK(ck_lstm_forward_rows(&c.d, 0, B, isa, c.z, c.bias, c.cp, c3, h3, NULL) == CK_OK, "%s: inference",
                 label);
        expect_same(c2, fwd[0][0], BH, "c from row pieces");
        expect_same(h2, fwd[0][1], BH, "h from row pieces");
        expect_same(w2, ws, c.W, "workspace from row pieces");
        expect_same(c3, fwd[0][0], BH, "c without a workspace");
        expect_same(h3, fwd[0][1], BH, "h without a workspace");
        /* c == c_prev, in place */
        memcpy(c3, c.cp, BH * sizeof(float));
        FZ_CHECK(ck_lstm_forward_rows(&c.d, 0, B, isa, c.z, c.bias, c3, c3, h3, NULL) == CK_OK, "%s: c == c_prev",
                 label);
        expect_same(c3, fwd[0][0], BH, "c computed in place over c_prev");
        if (c.zs == G) { /* workspace == z (dense Z): the gates replace the preactivations */
            memcpy(w2, c.z, B * G * sizeof(float));
            FZ_CHECK(ck_lstm_forward_rows(&c.d, 0, B, isa, w2, c.bias, c.cp, c2, h2, w2) == CK_OK,
                     "%s: workspace == z", label);
            expect_same(w2, ws, c.W, "workspace written over z");
            expect_same(h2, fwd[0][1], BH, "h with workspace == z");
        }
        free(c2), free(h2), free(w2), free(c3), free(h3);
    }
    /* backward by row groups (db partials from -0, added in group order), then the aliases */
    {
        float *dz = fz_xmalloc(B * G * sizeof(float)), *dcp = fz_xmalloc(BH * sizeof(float));
        float *db = c.db0 ? copy_of(c.db0, G) : NULL, *part = fz_xmalloc(G * sizeof(float));
        const size_t rows = CK_GATES_DB_ROWS * (1 + fz_below(r, 3)); /* rows per call: whole groups */
        for (size_t r0 = 0; r0 < B; r0 += rows) {
            const size_t r1 = B - r0 < rows ? B : r0 + rows;
            for (size_t g0 = r0; g0 < r1 && db; g0 += CK_GATES_DB_ROWS) {
                const size_t g1 = r1 - g0 < CK_GATES_DB_ROWS ? r1 : g0 + CK_GATES_DB_ROWS;
                for (size_t k = 0; k < G; ++k)
                    part[k] = -0.0f;
                FZ_CHECK(ck_lstm_backward_rows(&c.d, g0, g1, isa, c.dh, c.dcn, ws, c.cp, dz, dcp, part) == CK_OK,
                         "%s: backward rows [%zu, %zu)", label, g0, g1);
                for (size_t k = 0; k < G; ++k)
                    db[k] += part[k];
            }
            if (!db)
                FZ_CHECK(ck_lstm_backward_rows(&c.d, r0, r1, isa, c.dh, c.dcn, ws, c.cp, dz, dcp, NULL) == CK_OK,
                         "%s: backward rows [%zu, %zu)", label, r0, r1);
        }
        expect_same(dz, bwd[0][0], B * G, "dz from row groups");
        expect_same(dcp, bwd[0][1], BH, "dc_prev from row groups");
        if (db)
            expect_same(db, bwd[0][2], G, "db from row-group partials");
        /* dz == workspace (replacing the gate section), dc_prev == dh */
        float *wsc = copy_of(ws, c.W), *dhc = copy_of(c.dh, BH);
        if (db)
            memcpy(db, c.db0, G * sizeof(float));
        FZ_CHECK(ck_lstm_backward_rows(&c.d, 0, B, isa, dhc, c.dcn, wsc, c.cp, wsc, dhc, db) == CK_OK,
                 "%s: backward with dz == workspace, dc_prev == dh", label);
        expect_same(wsc, bwd[0][0], B * G, "dz written over the workspace");
        expect_same(dhc, bwd[0][1], BH, "dc_prev written over dh");
        free(dz), free(dcp), free(db), free(part), free(wsc), free(dhc);
    }
    /* the OpenMP drivers, when the batch is large enough for them to split */
    if (BH >= 2 * CK_OMP_GATE_GRAIN) {
        const int threads = (int)fz_below(r, 5);
        float *c2 = fz_xmalloc(BH * sizeof(float)), *h2 = fz_xmalloc(BH * sizeof(float));
        float *w2 = fz_xmalloc(c.W * sizeof(float)), *dz = fz_xmalloc(B * G * sizeof(float));
        float *dcp = fz_xmalloc(BH * sizeof(float)), *db = c.db0 ? copy_of(c.db0, G) : NULL;
        ck_status s1 = ck_lstm_forward_omp(&c.d, c.z, c.bias, c.cp, c2, h2, w2, threads);
        ck_status s2 = ck_lstm_backward_omp(&c.d, c.dh, c.dcn, w2, c.cp, dz, dcp, db, threads);
        FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s: OpenMP drivers, %d threads: status %d %d", label, threads, s1, s2);
        expect_same(c2, fwd[0][0], BH, "OpenMP c");
        expect_same(h2, fwd[0][1], BH, "OpenMP h");
        expect_same(w2, ws, c.W, "OpenMP workspace");
        expect_same(dz, bwd[0][0], B * G, "OpenMP dz");
        expect_same(dcp, bwd[0][1], BH, "OpenMP dc_prev");
        if (db)
            expect_same(db, bwd[0][2], G, "OpenMP db");
        free(c2), free(h2), free(w2), free(dz), free(dcp), free(db);
    }
    if (fz_chance(r, 30))
        lstm_rejection(&c, r);
    for (size_t k = 0; k < fz_nisas; ++k) {
        free_all(fwd[k], 3);
        free_all(bwd[k], 3);
    }
    free(gates), free(cc), free(tc), free(h);
    free(c.z), free(c.bias), free(c.cp), free(c.dh), free(c.dcn), free(c.db0);
}

/* ---- GRU -------------------------------------------------------------------------------------- */

static const char *const gru_names[5] = { "h", "workspace", "dx", "dhg", "dh_prev" }; /* the outputs */

typedef struct {
    ck_gru_desc d;
    size_t B, H, W;
    float *x, *hg, *hp, *dh;
} gru_case;

static void gru_on(const gru_case *c, fz_rng *r, ck_isa isa, float **out /* h, ws, dx, dhg, dh_prev */)
{
    const size_t BH = c->B * c->H, fs[2] = { BH, c->W }, bs[3] = { 3 * BH, 3 * BH, BH };
    outputs f, b;
    outputs_alloc(&f, r, fs, NULL, 2);
    outputs_alloc(&b, r, bs, NULL, 3);
    const unsigned control = fz_fp_control();
    ck_status s1 = ck_gru_forward_rows(&c->d, 0, c->B, isa, c->x, c->hg, c->hp, f.b[0].p, f.b[1].p);
    ck_status s2 = ck_gru_backward_rows(&c->d, 0, c->B, isa, c->dh, f.b[1].p, c->hp, b.b[0].p, b.b[1].p, b.b[2].p);
    FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s: %s status %d %d", label, ck_isa_name(isa), s1, s2);
    FZ_CHECK(fz_fp_control() == control, "%s: %s changed the FP control register", label, ck_isa_name(isa));
    outputs_collect(&f, out, "GRU forward");
    outputs_collect(&b, out + 2, "GRU backward");
}

/* a random descriptor and inputs, without NaN */
static void gru_setup(fz_rng *r, gru_case *c)
{
    pick_shape(r, &c->B, &c->H);
    const size_t BH = c->B * c->H;
    c->d = (ck_gru_desc){ .batch = c->B, .hidden = c->H, .tier = (ck_tier)fz_below(r, 3) };
    c->W = ck_gru_workspace_floats(&c->d);
    c->x = randoms(r, 3 * BH, -4.0f, 4.0f);
    c->hg = randoms(r, 3 * BH, -4.0f, 4.0f);
    c->hp = randoms(r, BH, -1.0f, 1.0f);
    c->dh = randoms(r, BH, -1.0f, 1.0f);
}

static void gru_fuzz(fz_rng *r)
{
    gru_case c = { 0 };
    gru_setup(r, &c);
    const size_t B = c.B, H = c.H, BH = B * H, G = 3 * H;
    const int with_nan = fz_chance(r, 10);
    const size_t nan_r = fz_below(r, B), nan_j = fz_below(r, H);
    if (with_nan)
        (fz_chance(r, 50) ? c.x : c.hg)[nan_r * G + fz_below(r, 3) * H + nan_j] = NAN;
    snprintf(label, sizeof label, "GRU f32 B=%zu H=%zu %s nan=%d", B, H, tier_names[c.d.tier], with_nan);

    float *out[4][5];
    const size_t sizes[5] = { BH, c.W, B * G, B * G, BH };
    for (size_t k = 0; k < fz_nisas; ++k) {
        gru_on(&c, r, fz_isas[k], out[k]);
        for (int q = 0; k && q < 5; ++q) {
            char what[64];
            snprintf(what, sizeof what, "%s %s vs scalar", ck_isa_name(fz_isas[k]), gru_names[q]);
            expect_same(out[k][q], out[0][q], sizes[q], what);
        }
    }
    /* the documented float formula forward; backward in double from the saved activations */
    const float *ws = out[0][1];
    const double u = 0x1p-24;
    double *want[3], *tol[3];
    for (int q = 0; q < 3; ++q) {
        want[q] = fz_xmalloc(sizes[2 + q] * sizeof(double));
        tol[q] = fz_xmalloc(sizes[2 + q] * sizeof(double));
    }
    for (size_t rr = 0; rr < B; ++rr)
        for (size_t j = 0; j < H; ++j) {
            const size_t at = rr * H + j, g = rr * G + j;
            float rv = act(0, c.x[g] + c.hg[g], c.d.tier), zv = act(0, c.x[g + H] + c.hg[g + H], c.d.tier);
            float hn = c.hg[g + 2 * H], nv = act(1, fmaf(rv, hn, c.x[g + 2 * H]), c.d.tier);
            float hv = fmaf(zv, c.hp[at], fmaf(-zv, nv, nv));
            const float wsv[4] = { rv, zv, nv, hn }, got[4] = { ws[g], ws[g + H], ws[g + 2 * H], ws[B * G + at] };
            for (int q = 0; q < 4; ++q)
                FZ_CHECK(fz_same(got[q], wsv[q]), "%s: workspace %d at row %zu column %zu = %a, the formula gives %a",
                         label, q, rr, j, (double)got[q], (double)wsv[q]);
            FZ_CHECK(fz_same(out[0][0][at], hv), "%s: h at row %zu column %zu = %a, the formula gives %a", label, rr, j,
                     (double)out[0][0][at], (double)hv);
            double dhv = c.dh[at], hp = c.hp[at], r_ = rv, z_ = zv, n_ = nv, hn_ = hn;
            double daz = dhv * (hp - n_) * z_ * (1 - z_), dan = dhv * (1 - z_) * (1 - n_ * n_);
            double dar = dan * hn_ * r_ * (1 - r_), mag = 16 * u * (fabs(dhv) + 1) * (fabs(hp) + fabs(hn_) + 2);
            const double dx[3] = { dar, daz, dan }, dhg[3] = { dar, daz, dan * r_ };
            for (int q = 0; q < 3; ++q) {
                want[0][g + q * H] = dx[q], want[1][g + q * H] = dhg[q];
                tol[0][g + q * H] = tol[1][g + q * H] = mag;
            }
            want[2][at] = dhv * z_, tol[2][at] = mag;
        }
    if (with_nan)
        FZ_CHECK(isnan(out[0][0][nan_r * H + nan_j]), "%s: NaN preactivation at row %zu column %zu, but h = %a", label,
                 nan_r, nan_j, (double)out[0][0][nan_r * H + nan_j]);
    else
        for (int q = 0; q < 3; ++q)
            expect_near(out[0][2 + q], want[q], tol[q], sizes[2 + q], gru_names[2 + q]);
    for (int q = 0; q < 3; ++q)
        free(want[q]), free(tol[q]);

    /* row pieces; h == h_prev; dx == workspace and dh_prev == dh */
    const ck_isa isa = fz_isas[fz_below(r, fz_nisas)];
    float *h2 = fz_xmalloc(BH * sizeof(float)), *w2 = fz_xmalloc(c.W * sizeof(float));
    float *dx = fz_xmalloc(B * G * sizeof(float)), *dhg = fz_xmalloc(B * G * sizeof(float));
    float *dhp = fz_xmalloc(BH * sizeof(float));
    for (size_t r0 = 0, r1; r0 < B; r0 = r1) {
        r1 = r0 + 1 + fz_below(r, B - r0);
        ck_status s1 = ck_gru_forward_rows(&c.d, r0, r1, isa, c.x, c.hg, c.hp, h2, w2);
        ck_status s2 = ck_gru_backward_rows(&c.d, r0, r1, isa, c.dh, ws, c.hp, dx, dhg, dhp);
        FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s: rows [%zu, %zu): status %d %d", label, r0, r1, s1, s2);
    }
    const float *pieces[5] = { h2, w2, dx, dhg, dhp };
    for (int q = 0; q < 5; ++q) {
        char what[64];
        snprintf(what, sizeof what, "%s from row pieces", gru_names[q]);
        expect_same(pieces[q], out[0][q], sizes[q], what);
    }
    memcpy(h2, c.hp, BH * sizeof(float));
    memcpy(w2, ws, c.W * sizeof(float));
    memcpy(dhp, c.dh, BH * sizeof(float));
    ck_status s1 = ck_gru_forward_rows(&c.d, 0, B, isa, c.x, c.hg, h2, h2, NULL);
    ck_status s2 = ck_gru_backward_rows(&c.d, 0, B, isa, dhp, w2, c.hp, w2, dhg, dhp);
    FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s: aliases: status %d %d", label, s1, s2);
    expect_same(h2, out[0][0], BH, "h computed in place over h_prev (no workspace)");
    expect_same(w2, out[0][2], B * G, "dx written over the workspace");
    expect_same(dhp, out[0][4], BH, "dh_prev written over dh");
    if (BH >= 2 * CK_OMP_GATE_GRAIN) {
        const int threads = (int)fz_below(r, 5);
        s1 = ck_gru_forward_omp(&c.d, c.x, c.hg, c.hp, h2, w2, threads);
        s2 = ck_gru_backward_omp(&c.d, c.dh, w2, c.hp, dx, dhg, dhp, threads);
        FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s: OpenMP drivers, %d threads: status %d %d", label, threads, s1, s2);
        for (int q = 0; q < 5; ++q) {
            char what[64];
            snprintf(what, sizeof what, "OpenMP %s", gru_names[q]);
            expect_same(pieces[q], out[0][q], sizes[q], what);
        }
    }
    if (fz_chance(r, 30)) { /* h overlapping x by part: rejected, nothing written */
        float *xc = copy_of(c.x, B * G), *before = copy_of(c.x, B * G);
        ck_status st = ck_gru_forward_rows(&c.d, 0, B, isa, xc, c.hg, c.hp, xc + 1 + fz_below(r, B * G - 1), NULL);
        FZ_CHECK(st == CK_ERR_OVERLAP && memcmp(xc, before, B * G * sizeof(float)) == 0,
                 "%s: h overlapping x: status %d, or it wrote", label, st);
        free(xc), free(before);
    }
    free(h2), free(w2), free(dx), free(dhg), free(dhp);
    for (size_t k = 0; k < fz_nisas; ++k)
        free_all(out[k], 5);
    free(c.x), free(c.hg), free(c.hp), free(c.dh);
}

/* ---- half formats ------------------------------------------------------------------------------
 * The reference of a half call is the float call (checked above) on the widened inputs, each
 * half-format output rounded by fz_half_round; every ISA, row split and thread count must give it. */

/* v rounded to the format, some elements (in a third of the tensors) replaced by inputs of any
 * class (fz_half: saturating ones give subnormal activations, then the specials, subnormals, any
 * pattern); v becomes the widened values */
static uint16_t *to_half(fz_rng *r, int f16, float *v, size_t n)
{
    uint16_t *h = fz_xmalloc(n * sizeof(uint16_t));
    const int specials = fz_chance(r, 33);
    for (size_t i = 0; i < n; ++i) {
        h[i] = specials && fz_chance(r, 10) ? fz_half(r, f16, (int)fz_below(r, FZ_CLASSES)) : fz_half_round(f16, v[i]);
        v[i] = fz_half_value(f16, h[i]);
    }
    return h;
}

/* in a third of the cases, some float inputs special or tiny too */
static void float_specials(fz_rng *r, float *v, size_t n)
{
    for (size_t k = fz_chance(r, 33) ? 1 + fz_below(r, 4) : 0; v && k > 0; --k)
        v[fz_below(r, n)] = fz_float(r, fz_chance(r, 50) ? FZ_SPECIAL : FZ_TINY);
}

static uint16_t *rounded(int f16, const float *v, size_t n)
{
    uint16_t *h = fz_xmalloc(n * sizeof(uint16_t));
    for (size_t i = 0; i < n; ++i)
        h[i] = fz_half_round(f16, v[i]);
    return h;
}

/* bitwise equal, or both NaN with got quiet */
static void expect_half(int f16, const uint16_t *got, const uint16_t *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; ++i)
        FZ_CHECK(got[i] == want[i] || (fz_half_nan(f16, want[i]) && fz_half_nan(f16, got[i]) &&
                                       (got[i] & fz_formats[f16].quiet) == fz_formats[f16].quiet),
                 "%s: %s differs at %zu of %zu: 0x%04x, the rounded float call gives 0x%04x", label, what, i, n, got[i],
                 want[i]);
}

/* A half tensor at a random byte address with canaries: an input's patterns, or (NULL) an output
 * poisoned with a signalling NaN, which no kernel writes. */
static fz_buf half_buf(fz_rng *r, int f16, size_t n, const uint16_t *init)
{
    fz_buf b = fz_alloc16(n, fz_below(r, 16), init);
    const uint16_t poison = (uint16_t)(fz_formats[f16].inf | 0x2d);
    for (size_t i = 0; !init && i < n; ++i)
        memcpy((unsigned char *)(void *)fz_p16(&b) + 2 * i, &poison, sizeof poison);
    return b;
}

/* canaries intact (an input also unchanged); the patterns copied out (caller frees), the buffer freed */
static uint16_t *half_collect(fz_buf *b, const uint16_t *input, const char *what)
{
    char where[300];
    snprintf(where, sizeof where, "%s: %s", label, what);
    fz_check_canaries(b, where);
    uint16_t *out = fz_read16(b);
    FZ_CHECK(!input || memcmp(out, input, b->n * sizeof *out) == 0, "%s changed", where);
    fz_free(b);
    return out;
}

static void lstm_half_fuzz(fz_rng *r)
{
    lstm_case c = { 0 };
    lstm_setup(r, &c);
    const size_t B = c.B, H = c.H, BH = B * H, G = 4 * H;
    const int f16 = (int)fz_below(r, 2);
    const ck_half_format fmt = f16 ? CK_F16 : CK_BF16;
    uint16_t *zh = to_half(r, f16, c.z, B * c.zs), *dhh = to_half(r, f16, c.dh, BH);
    float_specials(r, c.cp, BH);
    float_specials(r, c.bias, G);
    float_specials(r, c.dcn, BH);
    lstm_label(&c, fz_format_names[f16]);

    float *ref[6]; /* c, h, workspace, dz, dc_prev, db of the float call */
    lstm_forward_on(&c, r, CK_ISA_SCALAR, ref);
    lstm_backward_on(&c, r, CK_ISA_SCALAR, ref[2], ref + 3);
    uint16_t *want_h = rounded(f16, ref[1], BH), *want_dz = rounded(f16, ref[3], B * G);
    const size_t base = strlen(label);
    for (size_t k = 0; k < fz_nisas; ++k) {
        const ck_isa isa = fz_isas[k];
        snprintf(label + base, sizeof label - base, " on %s", ck_isa_name(isa));
        const size_t fs[2] = { BH, c.W }, bs[2] = { BH, G };
        float *init[2] = { NULL, c.db0 }, *f[2], *b[2];
        outputs fo, bo;
        outputs_alloc(&fo, r, fs, NULL, 2);
        fz_buf zb = half_buf(r, f16, B * c.zs, zh), hb = half_buf(r, f16, BH, NULL);
        const unsigned control = fz_fp_control();
        ck_status st = ck_lstm_forward_half_rows(&c.d, fmt, 0, B, isa, fz_p16(&zb), c.bias, c.cp, fo.b[0].p,
                                                 fz_p16(&hb), fo.b[1].p);
        FZ_CHECK(st == CK_OK && fz_fp_control() == control,
                 "%s: forward status %d, or the FP control register changed", label, st);
        outputs_collect(&fo, f, "LSTM half forward");
        free(half_collect(&zb, zh, "z"));
        uint16_t *h = half_collect(&hb, NULL, "h");
        expect_same(f[0], ref[0], BH, "c vs the float call");
        expect_same(f[1], ref[2], c.W, "workspace vs the float call");
        expect_half(f16, h, want_h, BH, "h vs the float call, rounded");

        outputs_alloc(&bo, r, bs, init, c.db0 ? 2 : 1);
        fz_buf dhb = half_buf(r, f16, BH, dhh), dzb = half_buf(r, f16, B * G, NULL);
        st = ck_lstm_backward_half_rows(&c.d, fmt, 0, B, isa, fz_p16(&dhb), c.dcn, f[1], c.cp, fz_p16(&dzb),
                                        bo.b[0].p, c.db0 ? bo.b[1].p : NULL);
        FZ_CHECK(st == CK_OK && fz_fp_control() == control,
                 "%s: backward status %d, or the FP control register changed", label, st);
        outputs_collect(&bo, b, "LSTM half backward");
        free(half_collect(&dhb, dhh, "dh"));
        uint16_t *dz = half_collect(&dzb, NULL, "dz");
        expect_half(f16, dz, want_dz, B * G, "dz vs the float call, rounded");
        expect_same(b[0], ref[4], BH, "dc_prev vs the float call");
        if (c.db0)
            expect_same(b[1], ref[5], G, "db vs the float call");
        free_all(f, 2), free_all(b, c.db0 ? 2 : 1), free(h), free(dz);
    }
    label[base] = 0;

    /* row pieces (forward anywhere, backward at row groups with their db partials), c == c_prev and
     * dc_prev == c_prev; the OpenMP drivers when the batch is large enough for them to split */
    const ck_isa isa = fz_isas[fz_below(r, fz_nisas)];
    const float *ws = ref[2];
    float *c2 = copy_of(c.cp, BH), *w2 = fz_xmalloc(c.W * sizeof(float)), *dcp = copy_of(c.cp, BH);
    uint16_t *h2 = fz_xmalloc(BH * sizeof(uint16_t)), *dz = fz_xmalloc(B * G * sizeof(uint16_t));
    float *db = c.db0 ? copy_of(c.db0, G) : NULL;
    float *partials = fz_xmalloc(ck_lstm_db_partials_floats(&c.d) * sizeof(float));
    for (size_t r0 = 0, r1; r0 < B; r0 = r1) {
        r1 = r0 + 1 + fz_below(r, B - r0);
        ck_status st = ck_lstm_forward_half_rows(&c.d, fmt, r0, r1, isa, zh, c.bias, c2, c2, h2, w2);
        FZ_CHECK(st == CK_OK, "%s: forward rows [%zu, %zu) status %d", label, r0, r1, st);
    }
    for (size_t r0 = 0, r1; r0 < B; r0 = r1) {
        r1 = B - r0 < CK_GATES_DB_ROWS ? B : r0 + CK_GATES_DB_ROWS * (1 + fz_below(r, (B - r0) / CK_GATES_DB_ROWS));
        ck_status st = ck_lstm_backward_half_groups(&c.d, fmt, r0, r1, isa, dhh, c.dcn, ws, dcp, dz, dcp, partials);
        FZ_CHECK(st == CK_OK, "%s: backward groups [%zu, %zu) status %d", label, r0, r1, st);
    }
    FZ_CHECK(!db || ck_lstm_add_db_partials(&c.d, partials, db) == CK_OK, "%s: adding the db partials", label);
    expect_same(c2, ref[0], BH, "c from row pieces, in place over c_prev");
    expect_same(w2, ws, c.W, "workspace from row pieces");
    expect_same(dcp, ref[4], BH, "dc_prev from row groups, in place over c_prev");
    expect_half(f16, h2, want_h, BH, "h from row pieces");
    expect_half(f16, dz, want_dz, B * G, "dz from row groups");
    if (db)
        expect_same(db, ref[5], G, "db from row-group partials");
    if (BH >= 2 * CK_OMP_GATE_GRAIN) {
        const int threads = (int)fz_below(r, 5);
        if (db)
            memcpy(db, c.db0, G * sizeof(float));
        ck_status s1 = ck_lstm_forward_half_omp(&c.d, fmt, zh, c.bias, c.cp, c2, h2, w2, threads);
        ck_status s2 = ck_lstm_backward_half_omp(&c.d, fmt, dhh, c.dcn, w2, c.cp, dz, dcp, db, threads);
        FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s: OpenMP drivers, %d threads: status %d %d", label, threads, s1, s2);
        expect_same(c2, ref[0], BH, "OpenMP c");
        expect_same(w2, ws, c.W, "OpenMP workspace");
        expect_same(dcp, ref[4], BH, "OpenMP dc_prev");
        expect_half(f16, h2, want_h, BH, "OpenMP h");
        expect_half(f16, dz, want_dz, B * G, "OpenMP dz");
        if (db)
            expect_same(db, ref[5], G, "OpenMP db");
    }
    free(c2), free(w2), free(dcp), free(h2), free(dz), free(db), free(partials);
    free_all(ref, 6);
    free(want_h), free(want_dz), free(zh), free(dhh);
    free(c.z), free(c.bias), free(c.cp), free(c.dh), free(c.dcn), free(c.db0);
}

/* a GRU half call's outputs (got[1] unused: the workspace is ws) vs the rounded float call's */
static void gru_half_expect(int f16, uint16_t *const *got, const float *ws, const float *want_ws,
                            uint16_t *const *want, const size_t *sizes, const char *how)
{
    char what[96];
    for (int q = 0; q < 5; ++q) {
        snprintf(what, sizeof what, "%s %s vs the float call%s", how, gru_names[q], q == 1 ? "" : ", rounded");
        if (q == 1)
            expect_same(ws, want_ws, sizes[1], what);
        else
            expect_half(f16, got[q], want[q], sizes[q], what);
    }
}

static void gru_half_fuzz(fz_rng *r)
{
    gru_case c = { 0 };
    gru_setup(r, &c);
    const size_t B = c.B, H = c.H, BH = B * H, G = 3 * H;
    const int f16 = (int)fz_below(r, 2);
    const ck_half_format fmt = f16 ? CK_F16 : CK_BF16;
    uint16_t *in[4] = { to_half(r, f16, c.x, B * G), to_half(r, f16, c.hg, B * G), to_half(r, f16, c.hp, BH),
                        to_half(r, f16, c.dh, BH) }; /* x, hg, h_prev, dh */
    snprintf(label, sizeof label, "GRU %s B=%zu H=%zu %s", fz_format_names[f16], B, H, tier_names[c.d.tier]);

    float *ref[5]; /* h, workspace, dx, dhg, dh_prev of the float call */
    gru_on(&c, r, CK_ISA_SCALAR, ref);
    static const char *const in_names[4] = { "x", "hg", "h_prev", "dh" };
    const size_t sizes[5] = { BH, c.W, B * G, B * G, BH };
    uint16_t *want[5] = { NULL };
    for (int q = 0; q < 5; ++q)
        want[q] = q == 1 ? NULL : rounded(f16, ref[q], sizes[q]);
    const size_t base = strlen(label);
    for (size_t k = 0; k < fz_nisas; ++k) {
        const ck_isa isa = fz_isas[k];
        snprintf(label + base, sizeof label - base, " on %s", ck_isa_name(isa));
        fz_buf ib[4], ob[5];
        for (int q = 0; q < 4; ++q)
            ib[q] = half_buf(r, f16, sizes[q < 2 ? 2 : 0], in[q]);
        for (int q = 0; q < 5; ++q)
            ob[q] = q == 1 ? fz_alloc_poisoned(c.W, fz_below(r, 16)) : half_buf(r, f16, sizes[q], NULL);
        const unsigned control = fz_fp_control();
        ck_status s1 = ck_gru_forward_half_rows(&c.d, fmt, 0, B, isa, fz_p16(&ib[0]), fz_p16(&ib[1]), fz_p16(&ib[2]),
                                                fz_p16(&ob[0]), ob[1].p);
        ck_status s2 = ck_gru_backward_half_rows(&c.d, fmt, 0, B, isa, fz_p16(&ib[3]), ob[1].p, fz_p16(&ib[2]),
                                                 fz_p16(&ob[2]), fz_p16(&ob[3]), fz_p16(&ob[4]));
        FZ_CHECK(s1 == CK_OK && s2 == CK_OK && fz_fp_control() == control,
                 "%s: status %d %d, or the FP control register changed", label, s1, s2);
        for (int q = 0; q < 4; ++q)
            free(half_collect(&ib[q], in[q], in_names[q]));
        uint16_t *got[5] = { NULL };
        for (int q = 0; q < 5; ++q)
            if (q != 1)
                got[q] = half_collect(&ob[q], NULL, gru_names[q]);
        char where[300];
        snprintf(where, sizeof where, "%s: workspace", label);
        fz_check_canaries(&ob[1], where);
        float *w = fz_read(&ob[1]);
        fz_free(&ob[1]);
        gru_half_expect(f16, got, w, ref[1], want, sizes, "whole batch:");
        free(w);
        for (int q = 0; q < 5; ++q)
            free(got[q]);
    }
    label[base] = 0;

    /* row pieces with h == h_prev and dh_prev == dh; the OpenMP drivers */
    const ck_isa isa = fz_isas[fz_below(r, fz_nisas)];
    uint16_t *got[5] = { fz_xmalloc(BH * sizeof(uint16_t)), NULL, fz_xmalloc(B * G * sizeof(uint16_t)),
                         fz_xmalloc(B * G * sizeof(uint16_t)), fz_xmalloc(BH * sizeof(uint16_t)) };
    float *w2 = fz_xmalloc(c.W * sizeof(float));
    memcpy(got[0], in[2], BH * sizeof(uint16_t));
    memcpy(got[4], in[3], BH * sizeof(uint16_t));
    for (size_t r0 = 0, r1; r0 < B; r0 = r1) {
        r1 = r0 + 1 + fz_below(r, B - r0);
        ck_status s1 = ck_gru_forward_half_rows(&c.d, fmt, r0, r1, isa, in[0], in[1], got[0], got[0], w2);
        ck_status s2 = ck_gru_backward_half_rows(&c.d, fmt, r0, r1, isa, got[4], ref[1], in[2], got[2], got[3], got[4]);
        FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s: rows [%zu, %zu): status %d %d", label, r0, r1, s1, s2);
    }
    gru_half_expect(f16, got, w2, ref[1], want, sizes, "row pieces (h == h_prev, dh_prev == dh):");
    if (BH >= 2 * CK_OMP_GATE_GRAIN) {
        const int threads = (int)fz_below(r, 5);
        ck_status s1 = ck_gru_forward_half_omp(&c.d, fmt, in[0], in[1], in[2], got[0], w2, threads);
        ck_status s2 = ck_gru_backward_half_omp(&c.d, fmt, in[3], w2, in[2], got[2], got[3], got[4], threads);
        FZ_CHECK(s1 == CK_OK && s2 == CK_OK, "%s: OpenMP drivers, %d threads: status %d %d", label, threads, s1, s2);
        gru_half_expect(f16, got, w2, ref[1], want, sizes, "OpenMP:");
    }
    for (int q = 0; q < 5; ++q)
        free(got[q]);
    free(w2);
    free_all(ref, 5);
    for (int q = 0; q < 5; ++q)
        free(want[q]);
    for (int q = 0; q < 4; ++q)
        free(in[q]);
    free(c.x), free(c.hg), free(c.hp), free(c.dh);
}

static void fz_run_case(fz_rng *r)
{
    if (fz_chance(r, 25))
        (fz_chance(r, 50) ? lstm_half_fuzz : gru_half_fuzz)(r);
    else if (fz_chance(r, 50))
        lstm_fuzz(r);
    else
        gru_fuzz(r);
}
