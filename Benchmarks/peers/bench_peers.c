/* GateKernels against SLEEF on the same inputs in the same run (issue 2's speed targets).
 * Single thread, inputs uniform in [-10, 10], many short batches interleaved across all rows so
 * that drift and neighbours hit every row alike; medians. Build and run: scripts/bench-peers.sh */
#include <math.h>
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

typedef struct { const char *name; int kind; int tier; void (*peer)(const float *, float *, size_t); } row;

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static float *x, *y;

static void run(const row *r, size_t n)
{
    if (r->peer) r->peer(x, y, n);
    else if (r->kind == 0) ck_sigmoid_f32(x, y, n, (ck_tier)r->tier);
    else if (r->kind == 1) ck_tanh_f32(x, y, n, (ck_tier)r->tier);
    else memcpy(y, x, n * sizeof(float));
}

enum { BATCHES = 41, ROWS = 10 };

int main(int argc, char **argv)
{
    size_t sizes[] = { 16384, (size_t)16 << 20 };
    int nsizes = argc > 1 && strcmp(argv[1], "--quick") == 0 ? 1 : 2;
    const row rows[ROWS] = {
        { "sigmoid precise", 0, CK_PRECISE, 0 }, { "sigmoid fast", 0, CK_FAST, 0 },
        { "sigmoid approximate", 0, CK_APPROXIMATE, 0 }, { "SLEEF 1/(1+expf16_u10(-x))", 0, 0, sleef_sigmoid_u10 },
        { "tanh precise", 1, CK_PRECISE, 0 }, { "tanh fast", 1, CK_FAST, 0 }, { "tanh approximate", 1, CK_APPROXIMATE, 0 },
        { "SLEEF tanhf16_u10", 1, 0, sleef_tanh_u10 }, { "SLEEF tanhf16_u35", 1, 0, sleef_tanh_u35 },
        { "memcpy (same bytes)", 2, 0, 0 },
    };
    printf("active ISA: %s\n", ck_isa_name(ck_active_isa()));
    for (int s = 0; s < nsizes; ++s) {
        size_t n = sizes[s];
        x = aligned_alloc(64, n * sizeof(float));
        y = aligned_alloc(64, n * sizeof(float));
        srand(12345);
        for (size_t i = 0; i < n; ++i) x[i] = -10.0f + 20.0f * (float)rand() / (float)RAND_MAX;
        int reps = n < 100000 ? 200 : 1;
        static double t[ROWS][BATCHES];
        for (int k = 0; k < ROWS; ++k) run(&rows[k], n);
        for (int b = 0; b < BATCHES; ++b)
            for (int k = 0; k < ROWS; ++k) {
                double t0 = now();
                for (int r = 0; r < reps; ++r) run(&rows[k], n);
                t[k][b] = (now() - t0) / reps / n * 1e9;
            }
        double med[ROWS];
        for (int k = 0; k < ROWS; ++k) {
            qsort(t[k], BATCHES, sizeof(double), cmp);
            med[k] = t[k][BATCHES / 2];
        }
        printf("\nN = %zu (median of %d interleaved batches, ns per element)\n", n, BATCHES);
        for (int k = 0; k < ROWS; ++k)
            printf("  %-28s %7.3f ns   x memcpy %5.2f\n", rows[k].name, med[k], med[k] / med[ROWS - 1]);
        printf("  speed-ups (same run):\n");
        printf("    sigmoid precise / fast vs SLEEF sigmoid     %.2fx / %.2fx   (targets 1.5x / 2.1x)\n",
               med[3] / med[0], med[3] / med[1]);
        printf("    tanh precise vs SLEEF u10                   %.2fx          (target 5x)\n", med[7] / med[4]);
        printf("    tanh fast vs SLEEF u35                      %.2fx          (target 2.3x)\n", med[8] / med[5]);
        printf("    approximate vs fast: sigmoid / tanh         %.2fx / %.2fx   (target 1.3x)\n",
               med[1] / med[2], med[5] / med[6]);
        printf("    fast vs memcpy: sigmoid / tanh              %.2fx / %.2fx   (target at 16M: <= 1.15x)\n",
               med[1] / med[9], med[5] / med[9]);
        free(x);
        free(y);
    }
    return 0;
}
