/* XNNPACK's and Eigen's answers to our kernels, for bench_peers.c through the C interface in peers.h.
 * scripts/bench-peers.sh compiles this as C++ -O3 -march=native, with PEERS_XNNPACK and PEERS_EIGEN
 * defined for the Debian packages it found; a peer left out has no definition (its weak symbol is
 * NULL) and the bench skips its rows. */
#include <stddef.h>

#include "peers.h"

#ifdef PEERS_XNNPACK
#include <stdio.h>
#include <stdlib.h>
#include <xnnpack.h>

static void xnn_check(enum xnn_status s, const char *what)
{
    if (s != xnn_status_success) {
        fprintf(stderr, "XNNPACK: %s failed (status %d)\n", what, (int)s);
        exit(1);
    }
}

/* One operator per (x, y, n): created and set up on the first call (Debian's XNNPACK predates the
 * reshape step: create takes the shape, setup the batch and pointers), so a timed call is only
 * xnn_run_operator, the peer's best case. No threadpool: one thread. */
void xnn_peer_sigmoid(const float *x, float *y, size_t n)
{
    static xnn_operator_t op;
    static const float *ox;
    static float *oy;
    static size_t on;
    if (!op || x != ox || y != oy || n != on) {
        if (op)
            xnn_check(xnn_delete_operator(op), "xnn_delete_operator");
        else
            xnn_check(xnn_initialize(NULL), "xnn_initialize");
        xnn_check(xnn_create_sigmoid_nc_f32(n, n, n, 0, &op), "xnn_create_sigmoid_nc_f32");
        xnn_check(xnn_setup_sigmoid_nc_f32(op, 1, x, y, NULL), "xnn_setup_sigmoid_nc_f32");
        ox = x, oy = y, on = n;
    }
    xnn_check(xnn_run_operator(op, NULL), "xnn_run_operator");
}
#endif

#ifdef PEERS_EIGEN
#include <Eigen/Core>

typedef Eigen::Map<const Eigen::ArrayXf> In;
typedef Eigen::Map<Eigen::ArrayXf> Out;

void eigen_peer_tanh(const float *x, float *y, size_t n) { Out(y, n) = In(x, n).tanh(); }
void eigen_peer_logistic(const float *x, float *y, size_t n) { Out(y, n) = In(x, n).logistic(); }

/* The work of ck_lstm_forward with IFGO order and no clipping, as Eigen array expressions over one
 * row at a time (contiguous 1-D maps vectorize linearly; the same expressions over row-major 2-D
 * blocks with a rowwise bias broadcast ran 6-10x slower). Training stores what our workspace holds
 * (the activated i, f, g, o as a [B][4H] section, then tanh(c) [B][H]) and forms h from it. */
void eigen_peer_lstm_forward(size_t B, size_t H, const float *z, const float *bias, float forget_bias,
                             const float *c_prev, float *c, float *h, float *ws)
{
    const Eigen::Index nh = (Eigen::Index)H;
    const In bi(bias, nh), bf(bias + H, nh), bg(bias + 2 * H, nh), bo(bias + 3 * H, nh);
    for (size_t r = 0; r < B; ++r) {
        const float *zr = z + r * 4 * H;
        const In zi(zr, nh), zf(zr + H, nh), zg(zr + 2 * H, nh), zo(zr + 3 * H, nh), cp(c_prev + r * H, nh);
        Out cr(c + r * H, nh), hr(h + r * H, nh);
        if (!ws) {
            cr = (zf + bf + forget_bias).logistic() * cp + (zi + bi).logistic() * (zg + bg).tanh();
            hr = (zo + bo).logistic() * cr.tanh();
            continue;
        }
        float *g = ws + r * 4 * H;
        Out gi(g, nh), gf(g + H, nh), gg(g + 2 * H, nh), go(g + 3 * H, nh), tc(ws + 4 * B * H + r * H, nh);
        gi = (zi + bi).logistic();
        gf = (zf + bf + forget_bias).logistic();
        gg = (zg + bg).tanh();
        go = (zo + bo).logistic();
        cr = gf * cp + gi * gg;
        tc = cr.tanh();
        hr = go * tc;
    }
}
#endif
