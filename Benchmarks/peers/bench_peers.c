/* GateKernels against its peers on the same inputs in one process: SLEEF, XNNPACK's sigmoid operator,
 * Eigen's tanh and logistic, Eigen array expressions of an LSTM forward step, and memcpy; and the
 * half-format activations and LSTM / GRU steps against converting to float, running the float kernel
 * and converting back.
 * One thread pinned to one CPU; in each group (one size) many short batches interleaved across all
 * its rows, so that drift and neighbours hit every row alike; medians; every ratio from the same run.
 * Each peer's results are checked against a reference first, so a wrong computation is never timed.
 * Prints a markdown table. Build and run: scripts/bench-peers.sh [--quick] */
#define _GNU_SOURCE
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ckernels.h"
#include "peers.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void fail(const char *what)
{
    fprintf(stderr, "bench_peers: %s\n", what);
    exit(1);
}

static void *alloc_floats(size_t n)
{
    void *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    if (!p) fail("out of memory");
    return p;
}

static void uniform(float *v, size_t n, float lo, float hi, unsigned seed)
{
    srand(seed);
    for (size_t i = 0; i < n; ++i) v[i] = lo + (hi - lo) * (float)rand() / (float)RAND_MAX;
}

/* ---- what a row runs: one call on the group's buffers -------------------------------------- */

typedef void (*unary)(const float *, float *, size_t);
typedef ck_status (*half_kernel)(const uint16_t *, uint16_t *, size_t, ck_tier);
typedef ck_status (*float_kernel)(const float *, float *, size_t, ck_tier);
typedef struct {
    void (*widen)(const uint16_t *, float *, size_t);
    void (*narrow)(const float *, uint16_t *, size_t);
} half_codec;
typedef struct job job;
struct job {
    const char *name;
    void (*run)(const job *);
    ck_tier tier;
    int train; /* LSTM: 0 inference, 1 write the workspace, 2 the same with the workspace over Z */
    unary peer;
    half_kernel half;        /* half-format groups: our kernel */
    float_kernel f32;        /* or the float kernel between two conversions */
    const half_codec *codec;
    uint16_t *const *input;  /* hx_bf16 or hx_f16 */
};

static float *x, *y;                                  /* activation groups */
static size_t n;                                      /* elements of x and y */
static float *z, *bias, *c_prev, *c, *h, *ws;          /* LSTM groups */
static ck_lstm_desc lstm;
static const float FORGET_BIAS = 1.0f;
static uint16_t *hx_bf16, *hx_f16, *hy; /* half-format groups: x in each format, y as float scratch */
/* half-format gate groups: the float inputs in each format (LSTM Z; GRU X, Hg, h_prev), the half
 * outputs, and the float buffers the three passes convert through (zf doubles as X's) */
typedef struct { uint16_t *z, *x, *hg, *hp; } half_gate_inputs;
static half_gate_inputs in_bf16, in_f16;
static uint16_t *hh;
static float *zf, *hgf, *hpf, *gru_h, *gru_ws, *x3, *hg3, *hp3;
static ck_gru_desc gru;

static void run_sigmoid(const job *j) { ck_sigmoid_f32(x, y, n, j->tier); }
static void run_tanh(const job *j) { ck_tanh_f32(x, y, n, j->tier); }
static void run_memcpy(const job *j) { (void)j, memcpy(y, x, n * sizeof(float)); }
static void run_peer(const job *j) { j->peer(x, y, n); }
static void run_half(const job *j) { j->half(*j->input, hy, n, j->tier); }
static void run_three_passes(const job *j)
{
    j->codec->widen(*j->input, y, n);
    j->f32(y, y, n, j->tier);
    j->codec->narrow(y, hy, n);
}
static void run_lstm(const job *j)
{
    ck_lstm_desc d = lstm;
    d.tier = j->tier;
    /* workspace over Z: the first call activates Z in place and later calls activate those values
     * again, the same work (the kernels have no data-dependent branches) */
    const float *zin = j->train == 2 ? ws : z;
    if (ck_lstm_forward(&d, zin, bias, c_prev, c, h, j->train ? ws : NULL) != CK_OK) fail("ck_lstm_forward failed");
}
/* The half-format gate jobs: `train` 1 is the LSTM, 3 the GRU; `codec` NULL runs our half kernel,
 * otherwise the three passes. All write the workspace (training). */
static void run_half_gates(const job *j)
{
    const half_gate_inputs *in = j->input == &in_bf16.z ? &in_bf16 : &in_f16;
    const ck_half_format f = in == &in_bf16 ? CK_BF16 : CK_F16;
    const size_t m = lstm.batch * lstm.hidden;
    ck_lstm_desc d = lstm;
    d.tier = j->tier;
    ck_gru_desc g = gru;
    g.tier = j->tier;
    ck_status st;
    if (j->train == 1 && !j->codec)
        st = ck_lstm_forward_half(&d, f, in->z, bias, c_prev, c, hh, ws);
    else if (j->train == 1) {
        j->codec->widen(in->z, zf, 4 * m);
        st = ck_lstm_forward(&d, zf, bias, c_prev, c, h, ws);
        j->codec->narrow(h, hh, m);
    } else if (!j->codec)
        st = ck_gru_forward_half(&g, f, in->x, in->hg, in->hp, hh, gru_ws);
    else {
        j->codec->widen(in->x, zf, 3 * m);
        j->codec->widen(in->hg, hgf, 3 * m);
        j->codec->widen(in->hp, hpf, m);
        st = ck_gru_forward(&g, zf, hgf, hpf, gru_h, gru_ws);
        j->codec->narrow(gru_h, hh, m);
    }
    if (st != CK_OK) fail("a half-format gate job failed");
}
static void run_gru(const job *j)
{
    ck_gru_desc g = gru;
    g.tier = j->tier;
    if (ck_gru_forward(&g, x3, hg3, hp3, gru_h, gru_ws) != CK_OK) fail("ck_gru_forward failed");
}
static void run_eigen_lstm(const job *j)
{
    eigen_peer_lstm_forward(lstm.batch, lstm.hidden, z, bias, FORGET_BIAS, c_prev, c, h, j->train ? ws : NULL);
}

/* A peer whose package was not installed has a NULL (weak) function. */
static int available(const job *j)
{
    if (j->run == run_peer) return j->peer != NULL;
    if (j->run == run_eigen_lstm) return eigen_peer_lstm_forward != NULL;
    if (j->run == run_three_passes || (j->run == run_half_gates && j->codec)) return j->codec->widen != NULL;
    return 1;
}

static const job sig_precise = { "sigmoid precise", run_sigmoid, CK_PRECISE, 0, 0 };
static const job sig_fast = { "sigmoid fast", run_sigmoid, CK_FAST, 0, 0 };
static const job sig_approx = { "sigmoid approximate", run_sigmoid, CK_APPROXIMATE, 0, 0 };
static const job tanh_precise = { "tanh precise", run_tanh, CK_PRECISE, 0, 0 };
static const job tanh_fast = { "tanh fast", run_tanh, CK_FAST, 0, 0 };
static const job tanh_approx = { "tanh approximate", run_tanh, CK_APPROXIMATE, 0, 0 };
static const job copy = { "memcpy of the same bytes", run_memcpy, 0, 0, 0 };
static const job sleef_sig = { "SLEEF 1/(1+expf16_u10(-x))", run_peer, 0, 0, sleef_sigmoid_u10 };
static const job sleef_tanh10 = { "SLEEF tanhf16_u10", run_peer, 0, 0, sleef_tanh_u10 };
static const job sleef_tanh35 = { "SLEEF tanhf16_u35", run_peer, 0, 0, sleef_tanh_u35 };
static const job xnn_sig = { "XNNPACK sigmoid_nc_f32", run_peer, 0, 0, xnn_peer_sigmoid };
static const job eigen_logistic = { "Eigen ArrayXf::logistic()", run_peer, 0, 0, eigen_peer_logistic };
static const job eigen_tanh = { "Eigen ArrayXf::tanh()", run_peer, 0, 0, eigen_peer_tanh };

static const job lstm_train_fast = { "LSTM forward, training, fast", run_lstm, CK_FAST, 1, 0 };
static const job lstm_train_approx = { "LSTM forward, training, approximate", run_lstm, CK_APPROXIMATE, 1, 0 };
static const job lstm_train_fast_in_ws = { "LSTM forward, training, fast, workspace over Z", run_lstm, CK_FAST, 2, 0 };
static const job lstm_train_approx_in_ws = { "LSTM forward, training, approximate, workspace over Z", run_lstm,
                                             CK_APPROXIMATE, 2, 0 };
static const job lstm_inf_fast = { "LSTM forward, inference, fast", run_lstm, CK_FAST, 0, 0 };
static const job lstm_inf_approx = { "LSTM forward, inference, approximate", run_lstm, CK_APPROXIMATE, 0, 0 };
static const job eigen_train = { "Eigen expressions, training (writes the 5 B H floats)", run_eigen_lstm, 0, 1, 0 };
static const job eigen_inf = { "Eigen expressions, inference", run_eigen_lstm, 0, 0, 0 };

static const half_codec bf16_codec = { bf16_to_float, float_to_bf16 }, f16_codec = { f16_to_float, float_to_f16 };
#define HALF_JOBS(fmt, fn)                                                                                    \
    static const job fmt##_##fn = { #fmt " " #fn " fast", run_half, CK_FAST, .half = ck_##fn##_##fmt,         \
                                    .input = &hx_##fmt };                                                     \
    static const job fmt##_##fn##_3 = { #fmt " -> float, ck_" #fn "_f32 fast, -> " #fmt, run_three_passes,   \
                                        CK_FAST, .f32 = ck_##fn##_f32, .codec = &fmt##_codec,                 \
                                        .input = &hx_##fmt };
HALF_JOBS(bf16, sigmoid)
HALF_JOBS(bf16, tanh)
HALF_JOBS(f16, sigmoid)
HALF_JOBS(f16, tanh)

/* The fused step with half-format tensors against converting Z (X, Hg, h_prev), the float step and
 * converting h back; `input` points at the format's first tensor, which picks the format. */
#define HALF_GATE_JOBS(fmt)                                                                                    \
    static const job lstm_##fmt = { "LSTM forward " #fmt ", training, fast", run_half_gates, CK_FAST, 1,       \
                                    .input = &in_##fmt.z };                                                   \
    static const job lstm_##fmt##_3 = { #fmt " Z -> float, ck_lstm_forward fast, h -> " #fmt, run_half_gates, \
                                        CK_FAST, 1, .codec = &fmt##_codec, .input = &in_##fmt.z };             \
    static const job gru_##fmt = { "GRU forward " #fmt ", training, fast", run_half_gates, CK_FAST, 3,         \
                                   .input = &in_##fmt.z };                                                    \
    static const job gru_##fmt##_3 = { #fmt " X, Hg, h_prev -> float, ck_gru_forward fast, h -> " #fmt,        \
                                       run_half_gates, CK_FAST, 3, .codec = &fmt##_codec, .input = &in_##fmt.z };
HALF_GATE_JOBS(bf16)
HALF_GATE_JOBS(f16)
static const job gru_train_fast = { "GRU forward, training, fast", run_gru, CK_FAST, 1, 0 };

typedef struct { const job *ours, *peer; } pair;

static const pair unary_pairs[] = {
    { &sig_precise, &sleef_sig },    { &sig_fast, &xnn_sig },        { &sig_fast, &eigen_logistic },
    { &sig_fast, &sleef_sig },       { &sig_approx, &sig_fast },     { &tanh_precise, &sleef_tanh10 },
    { &tanh_fast, &eigen_tanh },     { &tanh_fast, &sleef_tanh35 },  { &tanh_approx, &tanh_fast },
    { &sig_fast, &copy },            { &tanh_fast, &copy },
};
/* the half-format kernel against the three passes, and against the float kernel on as many elements */
static const pair half_pairs[] = {
    { &bf16_sigmoid, &bf16_sigmoid_3 }, { &bf16_tanh, &bf16_tanh_3 }, { &f16_sigmoid, &f16_sigmoid_3 },
    { &f16_tanh, &f16_tanh_3 },         { &bf16_sigmoid, &sig_fast },  { &bf16_tanh, &tanh_fast },
    { &f16_sigmoid, &sig_fast },        { &f16_tanh, &tanh_fast },
};
/* the half-format steps against the three passes, and against the float step on as many elements */
static const pair half_gate_pairs[] = {
    { &lstm_bf16, &lstm_bf16_3 },     { &lstm_f16, &lstm_f16_3 },     { &gru_bf16, &gru_bf16_3 },
    { &gru_f16, &gru_f16_3 },         { &lstm_bf16, &lstm_train_fast }, { &gru_bf16, &gru_train_fast },
};
static const pair lstm_pairs[] = {
    { &lstm_train_fast, &eigen_train }, { &lstm_train_approx, &eigen_train },
    { &lstm_train_fast_in_ws, &eigen_train }, { &lstm_train_approx_in_ws, &eigen_train },
    { &lstm_inf_fast, &eigen_inf },     { &lstm_inf_approx, &eigen_inf },
};

/* ---- correctness of the peers, before any timing ------------------------------------------- */

static double ref_sigmoid(double v) { return 1.0 / (1.0 + exp(-v)); }

/* Every available unary peer against double-precision libm on [-10, 10] and a few far points, within
 * 1e-5 relative plus 1e-6 absolute: above every peer's error (Eigen's logistic is 5e-5 relative
 * near -10, 2e-9 absolute), far below any wrong formula. */
static void check_unary_peers(void)
{
    const job *peers[] = { &sleef_sig, &sleef_tanh10, &sleef_tanh35, &xnn_sig, &eigen_logistic, &eigen_tanh };
    enum { M = 1005 };
    float in[M], out[M];
    for (int i = 0; i < 1001; ++i) in[i] = -10.0f + 0.02f * (float)i;
    in[1001] = -30.0f, in[1002] = 30.0f, in[1003] = 0.0f, in[1004] = 1e-3f;
    for (size_t p = 0; p < sizeof peers / sizeof *peers; ++p) {
        if (!available(peers[p])) continue;
        int is_tanh = strstr(peers[p]->name, "tanh") != NULL;
        peers[p]->peer(in, out, M);
        for (int i = 0; i < M; ++i) {
            double want = is_tanh ? tanh(in[i]) : ref_sigmoid(in[i]);
            if (!(fabs(out[i] - want) <= 1e-5 * fabs(want) + 1e-6)) {
                fprintf(stderr, "bench_peers: %s(%.9g) = %.9g, expected %.9g\n", peers[p]->name, in[i], out[i], want);
                exit(1);
            }
        }
    }
}

static float max_abs_diff(const float *a, const float *b, size_t m)
{
    float worst = 0.0f;
    for (size_t i = 0; i < m; ++i) {
        float e = fabsf(a[i] - b[i]);
        if (!(e <= worst)) worst = e; /* NaN sticks */
    }
    return worst;
}

/* Eigen's LSTM (training and inference) against our precise tier on the current group's buffers:
 * c, h and the whole workspace within 2e-5 (both sides are a few ulp from exact; |c| <= 3). */
static void check_eigen_lstm(void)
{
    if (!available(&eigen_train)) return;
    size_t m = lstm.batch * lstm.hidden;
    float *rc = alloc_floats(m), *rh = alloc_floats(m), *rws = alloc_floats(5 * m);
    ck_lstm_desc d = lstm;
    d.tier = CK_PRECISE;
    if (ck_lstm_forward(&d, z, bias, c_prev, rc, rh, rws) != CK_OK) fail("ck_lstm_forward failed");
    for (int train = 1; train >= 0; --train) {
        memset(ws, 0, 5 * m * sizeof(float));
        eigen_peer_lstm_forward(lstm.batch, lstm.hidden, z, bias, FORGET_BIAS, c_prev, c, h, train ? ws : NULL);
        float e = fmaxf(max_abs_diff(c, rc, m), max_abs_diff(h, rh, m));
        if (train) e = fmaxf(e, max_abs_diff(ws, rws, 5 * m));
        if (!(e <= 2e-5f)) {
            fprintf(stderr, "bench_peers: Eigen LSTM (%s) differs from ck_lstm_forward by %g\n",
                    train ? "training" : "inference", e);
            exit(1);
        }
    }
    free(rc), free(rh), free(rws);
}

/* v in both half formats, truncated (a benchmark's inputs need no rounding); |v| < 2^-14 is 0 in f16 */
static void half_inputs(const float *v, size_t m, uint16_t *bf16, uint16_t *f16)
{
    for (size_t i = 0; i < m; ++i) {
        uint32_t u;
        memcpy(&u, v + i, 4);
        uint32_t e = (u >> 23) & 0xffu;
        bf16[i] = (uint16_t)(u >> 16);
        f16[i] = (uint16_t)((u >> 16 & 0x8000u) | (e > 112 ? (e - 112) << 10 | (u & 0x7fffffu) >> 13 : 0));
    }
}


/* The three passes (the peers of the first `np` pairs) give our half-format kernels' bits on the
 * benchmark's inputs (no NaN or subnormal): `m` results in `out`. */
static void check_half_baselines(const pair *pairs, size_t np, const uint16_t *out, size_t m)
{
    uint16_t *want = malloc(m * sizeof *want);
    if (!want) fail("out of memory");
    for (size_t p = 0; p < np; ++p) {
        const job *ours = pairs[p].ours, *peer = pairs[p].peer;
        if (!available(peer)) continue;
        ours->run(ours);
        memcpy(want, out, m * sizeof *want);
        peer->run(peer);
        if (memcmp(want, out, m * sizeof *want) != 0) {
            fprintf(stderr, "bench_peers: %s differs from %s\n", peer->name, ours->name);
            exit(1);
        }
    }
    free(want);
}

/* ---- timing ---------------------------------------------------------------------------------- */

static int cmp(const void *a, const void *b)
{
    double u = *(const double *)a, v = *(const double *)b;
    return u < v ? -1 : u > v;
}

enum { MAX_JOBS = 16, MAX_BATCHES = 41 };

/* Median ns per unit of each job over `batches` interleaved batches of ~batch_s seconds each
 * (the same repetition count for every job of the group, set by the slowest warm-up call). */
static void measure(const job **jobs, int njobs, int batches, double batch_s, double units, double *med)
{
    double slowest = 0.0;
    for (int k = 0; k < njobs; ++k) {
        double t0 = now();
        jobs[k]->run(jobs[k]);
        double t = now() - t0;
        if (t > slowest) slowest = t;
    }
    int reps = slowest >= batch_s ? 1 : (int)(batch_s / slowest);
    static double t[MAX_JOBS][MAX_BATCHES];
    for (int b = 0; b < batches; ++b)
        for (int k = 0; k < njobs; ++k) {
            double t0 = now();
            for (int r = 0; r < reps; ++r) jobs[k]->run(jobs[k]);
            t[k][b] = (now() - t0) / reps / units * 1e9;
        }
    for (int k = 0; k < njobs; ++k) {
        qsort(t[k], batches, sizeof(double), cmp);
        med[k] = t[k][batches / 2];
    }
}

static size_t l2_bytes;

static const char *regime(size_t bytes)
{
    static char s[96];
    snprintf(s, sizeof s, "%s, %.2f MiB", bytes <= l2_bytes ? "hot in cache (fits L2)" : "streamed (exceeds L2)",
             bytes / 1048576.0);
    return s;
}

/* Times every job the group's available pairs need and prints one table row per pair. */
static void run_group(const pair *pairs, int npairs, const char *label, size_t bytes, int batches, double batch_s,
                      double units)
{
    const job *jobs[MAX_JOBS];
    int njobs = 0;
    for (int p = 0; p < npairs; ++p) {
        if (!available(pairs[p].peer)) continue;
        const job *need[2] = { pairs[p].ours, pairs[p].peer };
        for (int q = 0; q < 2; ++q) {
            int k = 0;
            while (k < njobs && jobs[k] != need[q]) ++k;
            if (k == njobs) jobs[njobs++] = need[q];
        }
    }
    if (njobs == 0) return;
    double med[MAX_JOBS];
    measure(jobs, njobs, batches, batch_s, units, med);
    for (int p = 0; p < npairs; ++p) {
        if (!available(pairs[p].peer)) continue;
        double mo = 0, mp = 0;
        for (int k = 0; k < njobs; ++k) {
            if (jobs[k] == pairs[p].ours) mo = med[k];
            if (jobs[k] == pairs[p].peer) mp = med[k];
        }
        const job *pj = pairs[p].peer;
        /* approximate against our fast tier, half formats against the float kernel */
        int ours = pj->run == run_sigmoid || pj->run == run_tanh || pj->run == run_lstm || pj->run == run_gru;
        printf("| %s | %s | %s | %.3f | %s%s | %.3f | %.2fx |\n", label, regime(bytes), pairs[p].ours->name, mo,
               ours ? "ours, " : "", pj->name, mp, mp / mo);
    }
}

/* One CPU for the whole run: the last one this process may use. */
static int pin(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) != 0) fail("sched_getaffinity failed");
    int cpu = -1;
    for (int i = 0; i < CPU_SETSIZE; ++i)
        if (CPU_ISSET(i, &set)) cpu = i;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) fail("sched_setaffinity failed");
    return cpu;
}

static size_t read_l2(int cpu)
{
    char path[96];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/cache/index2/size", cpu);
    FILE *f = fopen(path, "r");
    size_t kib = 0;
    if (!f || fscanf(f, "%zuK", &kib) != 1) fail("cannot read the L2 size from /sys");
    fclose(f);
    return kib * 1024;
}

int main(int argc, char **argv)
{
    int quick = 0;
    for (int a = 1; a < argc; ++a) {
        if (strcmp(argv[a], "--quick") == 0)
            quick = 1;
        else
            fail("usage: bench_peers [--quick]");
    }
    /* --quick: the hot groups only, 11 short batches (seconds; for CI) */
    const int batches = quick ? 11 : MAX_BATCHES;
    const double batch_s = quick ? 2e-4 : 1e-3;
    const size_t sizes[] = { 16384, (size_t)16 << 20 };
    const size_t shapes[][2] = { { 64, 512 }, { 256, 1024 } };
    const int ngroups = quick ? 1 : 2;

    int cpu = pin();
    l2_bytes = read_l2(cpu);
    check_unary_peers();

    printf("One thread pinned to CPU %d (L2 %zu KiB), active ISA %s; median of %d interleaved batches per group.\n"
           "Ratio = peer time / our time in the same run (above 1x: ours is faster). Activations: inputs uniform in\n"
           "[-10, 10], ns per element. LSTM: Z uniform in [-4, 4], c_prev in [-2, 2], bias in [-0.5, 0.5],\n"
           "forget bias 1, IFGO, no clipping; ns per hidden element (B H).\n\n",
           cpu, l2_bytes / 1024, ck_isa_name(ck_active_isa()), batches);
    printf("| size | regime | ours | ours ns | peer | peer ns | ratio |\n|---|---|---|---|---|---|---|\n");

    for (int s = 0; s < ngroups; ++s) {
        n = sizes[s];
        x = alloc_floats(n), y = alloc_floats(n);
        uniform(x, n, -10.0f, 10.0f, 12345);
        char label[32];
        snprintf(label, sizeof label, "N = %zu", n);
        run_group(unary_pairs, sizeof unary_pairs / sizeof *unary_pairs, label, 2 * n * sizeof(float), batches,
                  batch_s, (double)n);
        hx_bf16 = malloc(n * sizeof *hx_bf16), hx_f16 = malloc(n * sizeof *hx_f16), hy = malloc(n * sizeof *hy);
        if (!hx_bf16 || !hx_f16 || !hy) fail("out of memory");
        half_inputs(x, n, hx_bf16, hx_f16);
        check_half_baselines(half_pairs, 4, hy, n);
        run_group(half_pairs, sizeof half_pairs / sizeof *half_pairs, label, 2 * n * sizeof(uint16_t), batches,
                  batch_s, (double)n);
        free(hx_bf16), free(hx_f16), free(hy);
        free(x), free(y);
    }
    for (int s = 0; s < ngroups; ++s) {
        size_t B = shapes[s][0], H = shapes[s][1], m = B * H;
        lstm = (ck_lstm_desc){ .batch = B, .hidden = H, .order = CK_GATES_IFGO, .forget_bias = FORGET_BIAS,
                               .tier = CK_FAST };
        z = alloc_floats(4 * m), bias = alloc_floats(4 * H), c_prev = alloc_floats(m);
        c = alloc_floats(m), h = alloc_floats(m), ws = alloc_floats(5 * m);
        uniform(z, 4 * m, -4.0f, 4.0f, 1), uniform(c_prev, m, -2.0f, 2.0f, 2), uniform(bias, 4 * H, -0.5f, 0.5f, 3);
        check_eigen_lstm();
        memcpy(ws, z, 4 * m * sizeof(float)); /* Z for the workspace-over-Z rows */
        char label[32];
        snprintf(label, sizeof label, "%zu x %zu", B, H);
        /* training touches z, c_prev, c, h and the workspace: 13 floats per hidden element */
        run_group(lstm_pairs, sizeof lstm_pairs / sizeof *lstm_pairs, label, 13 * m * sizeof(float), batches,
                  batch_s, (double)m);
        /* the half-format steps: Z for the LSTM, and for the GRU X and Hg uniform in [-4, 4], h_prev
         * in [-1, 1] */
        gru = (ck_gru_desc){ .batch = B, .hidden = H, .tier = CK_FAST };
        x3 = alloc_floats(3 * m), hg3 = alloc_floats(3 * m), hp3 = alloc_floats(m);
        uniform(x3, 3 * m, -4.0f, 4.0f, 4), uniform(hg3, 3 * m, -4.0f, 4.0f, 5), uniform(hp3, m, -1.0f, 1.0f, 6);
        half_gate_inputs *ins[2] = { &in_bf16, &in_f16 };
        for (int f = 0; f < 2; ++f) {
            ins[f]->z = malloc(4 * m * 2), ins[f]->x = malloc(3 * m * 2), ins[f]->hg = malloc(3 * m * 2);
            ins[f]->hp = malloc(m * 2);
            if (!ins[f]->z || !ins[f]->x || !ins[f]->hg || !ins[f]->hp) fail("out of memory");
        }
        half_inputs(z, 4 * m, in_bf16.z, in_f16.z), half_inputs(x3, 3 * m, in_bf16.x, in_f16.x);
        half_inputs(hg3, 3 * m, in_bf16.hg, in_f16.hg), half_inputs(hp3, m, in_bf16.hp, in_f16.hp);
        hh = malloc(m * 2), zf = alloc_floats(4 * m), hgf = alloc_floats(3 * m), hpf = alloc_floats(m);
        gru_h = alloc_floats(m), gru_ws = alloc_floats(4 * m);
        if (!hh) fail("out of memory");
        check_half_baselines(half_gate_pairs, 4, hh, m);
        /* bytes of the half-format LSTM step: Z and h in 2 bytes, c_prev, c and the workspace in 4 */
        run_group(half_gate_pairs, sizeof half_gate_pairs / sizeof *half_gate_pairs, label,
                  (4 * 2 + 2 + 3 * 4 + 5 * 4) * m, batches, batch_s, (double)m);
        for (int f = 0; f < 2; ++f)
            free(ins[f]->z), free(ins[f]->x), free(ins[f]->hg), free(ins[f]->hp);
        free(hh), free(zf), free(hgf), free(hpf), free(gru_h), free(gru_ws), free(x3), free(hg3), free(hp3);
        free(z), free(bias), free(c_prev), free(c), free(h), free(ws);
    }
    return 0;
}
