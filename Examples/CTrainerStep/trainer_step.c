/* A trainer's inner loop around GateKernels' C API: one LSTM layer unrolled over T steps.
 * Per step the trainer's GEMMs produce Z = x_t W_x + h_{t-1} W_h (4H wide, gate order i, f, g, o),
 * and ck_lstm_forward does the rest in one pass (bias, activations, cell and hidden state), saving
 * the activations for backward in a per-step workspace. Backward through time runs
 * ck_lstm_backward per step, which also accumulates the bias gradient, and the trainer's GEMMs
 * carry dZ back into dh_{t-1} and the weight gradients.
 *
 * The loss is 0.5 * sum(h_T^2). At the end one bias gradient is compared with a finite difference.
 *
 *   cc trainer_step.c $(pkg-config --cflags --libs ckernels) -lm \
 *      -Wl,-rpath,$(pkg-config --variable=libdir ckernels) -o trainer_step   (see docs/c-library.md)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ckernels.h>

enum { T = 6, B = 16, I = 32, H = 64, G = 4 * H };

static float Wx[I * G], Wh[H * G], bias[G], X[T][B * I];
static float Z[B * G], c[T + 1][B * H], h[T + 1][B * H], ws[T][5 * B * H];
static float dZ[B * G], dh[B * H], dc[B * H], dbias[G], dWh[H * G];

static void check(ck_status s, const char *what)
{
    if (s != CK_OK) {
        fprintf(stderr, "%s: %s\n", what, ck_status_string(s));
        exit(1);
    }
}

/* C[m][n] = A[m][k] B[k][n] (+ C if accumulate); a naive GEMM stands in for the trainer's BLAS */
static void gemm(const float *A, const float *Bm, float *C, int m, int k, int n, int accumulate)
{
    for (int r = 0; r < m; ++r)
        for (int j = 0; j < n; ++j) {
            float s = accumulate ? C[r * n + j] : 0.0f;
            for (int q = 0; q < k; ++q)
                s += A[r * k + q] * Bm[q * n + j];
            C[r * n + j] = s;
        }
}

static float uniform(unsigned *state, float scale)
{
    *state = *state * 1664525u + 1013904223u;
    return scale * ((float)(*state >> 8) * 0x1p-24f * 2.0f - 1.0f);
}

static const ck_lstm_desc desc = { .batch = B, .hidden = H, .order = CK_GATES_IFGO, .forget_bias = 1.0f,
                                   .tier = CK_PRECISE };

/* forward over all steps from zero state; returns the loss */
static double forward(void)
{
    memset(c[0], 0, sizeof c[0]);
    memset(h[0], 0, sizeof h[0]);
    for (int t = 0; t < T; ++t) {
        gemm(X[t], Wx, Z, B, I, G, 0);
        gemm(h[t], Wh, Z, B, H, G, 1);
        check(ck_lstm_forward(&desc, Z, bias, c[t], c[t + 1], h[t + 1], ws[t]), "ck_lstm_forward");
    }
    double loss = 0;
    for (int k = 0; k < B * H; ++k)
        loss += 0.5 * h[T][k] * h[T][k];
    return loss;
}

int main(void)
{
    unsigned seed = 12345;
    for (int k = 0; k < I * G; ++k) Wx[k] = uniform(&seed, 0.2f);
    for (int k = 0; k < H * G; ++k) Wh[k] = uniform(&seed, 0.1f);
    for (int k = 0; k < G; ++k) bias[k] = uniform(&seed, 0.1f);
    for (int t = 0; t < T; ++t)
        for (int k = 0; k < B * I; ++k) X[t][k] = uniform(&seed, 1.0f);
    if (ck_lstm_workspace_floats(&desc) != sizeof ws[0] / sizeof(float)) {
        fprintf(stderr, "unexpected workspace size %zu\n", ck_lstm_workspace_floats(&desc));
        return 1;
    }

    double loss = forward();

    /* backward through time: dh from the loss at the last step, then from the next step's GEMM */
    memcpy(dh, h[T], sizeof dh);
    memset(dbias, 0, sizeof dbias);
    memset(dWh, 0, sizeof dWh);
    for (int t = T - 1; t >= 0; --t) {
        check(ck_lstm_backward(&desc, dh, t == T - 1 ? NULL : dc, ws[t], c[t], dZ, dc, dbias), "ck_lstm_backward");
        for (int r = 0; r < H; ++r) /* dWh += h_t^T dZ */
            for (int b = 0; b < B; ++b)
                for (int j = 0; j < G; ++j)
                    dWh[r * G + j] += h[t][b * H + r] * dZ[b * G + j];
        for (int b = 0; b < B; ++b) /* dh_{t-1} = dZ Wh^T */
            for (int r = 0; r < H; ++r) {
                float s = 0.0f;
                for (int j = 0; j < G; ++j)
                    s += dZ[b * G + j] * Wh[r * G + j];
                dh[b * H + r] = s;
            }
    }

    /* finite-difference check of one forget-gate bias entry */
    const int k = H + 3;
    const float step = 1e-2f, saved = bias[k];
    bias[k] = saved + step;
    double up = forward();
    bias[k] = saved - step;
    double down = forward();
    bias[k] = saved;
    double numeric = (up - down) / (2.0 * step), rel = fabs(numeric - dbias[k]) / fmax(fabs(numeric), 1e-6);

    printf("ISA %s, %d steps of B=%d H=%d: loss %.6f\n", ck_isa_name(ck_active_isa()), T, B, H, loss);
    printf("d loss / d bias[%d]: kernel %.6g, finite difference %.6g (relative difference %.2g)\n", k,
           (double)dbias[k], numeric, rel);
    return isfinite(loss) && rel < 1e-2 ? 0 : 1;
}
