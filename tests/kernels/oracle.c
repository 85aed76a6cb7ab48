/* The double-precision oracle of tests/kernels/oracle.h. */
#include "oracle.h"

#include <float.h>
#include <math.h>

/* Both branches are free of overflow and cancellation: for x < 0, e^x is in (0, 1). */
double oracle_sigmoid(double x)
{
    if (x >= 0)
        return 1.0 / (1.0 + exp(-x));
    double e = exp(x);
    return e / (1.0 + e);
}

void oracle_vexp(size_t n, const float *x, double *y)
{
    for (size_t j = 0; j < n; j++)
        y[j] = exp((double)x[j]);
}

void oracle_vsigmoid(size_t n, const float *x, double *y)
{
    for (size_t j = 0; j < n; j++)
        y[j] = oracle_sigmoid(x[j]);
}

void oracle_vtanh(size_t n, const float *x, double *y)
{
    for (size_t j = 0; j < n; j++)
        y[j] = tanh((double)x[j]);
}

void oracle_lstm_gates(size_t n, const float *i, const float *f, const float *g,
                       const float *o, const float *c_prev, double *c, double *h)
{
    for (size_t j = 0; j < n; j++) {
        c[j] = oracle_sigmoid(f[j]) * c_prev[j] + oracle_sigmoid(i[j]) * tanh((double)g[j]);
        h[j] = oracle_sigmoid(o[j]) * tanh(c[j]);
    }
}

void oracle_lstm_peephole_gates(size_t n, const float *i, const float *f, const float *g,
                                const float *o, const float *p_i, const float *p_f,
                                const float *p_o, const float *c_prev, double *c, double *h)
{
    for (size_t j = 0; j < n; j++) {
        double cp = c_prev[j];
        double ig = oracle_sigmoid(i[j] + (double)p_i[j] * cp);
        double fg = oracle_sigmoid(f[j] + (double)p_f[j] * cp);
        c[j] = fg * cp + ig * tanh((double)g[j]);
        h[j] = oracle_sigmoid(o[j] + (double)p_o[j] * c[j]) * tanh(c[j]);
    }
}

void oracle_lstm_coupled_gates(size_t n, const float *f, const float *g, const float *o,
                               const float *c_prev, double *c, double *h)
{
    for (size_t j = 0; j < n; j++) {
        double fg = oracle_sigmoid(f[j]);
        c[j] = fg * c_prev[j] + (1.0 - fg) * tanh((double)g[j]);
        h[j] = oracle_sigmoid(o[j]) * tanh(c[j]);
    }
}

void oracle_gru_gates(size_t n, const float *r_h, const float *z_h, const float *n_h,
                      const float *r_x, const float *z_x, const float *n_x, const float *b_hn,
                      const float *h_prev, double *h)
{
    for (size_t j = 0; j < n; j++) {
        double rr = oracle_sigmoid((double)r_h[j] + r_x[j]);
        double nn = tanh(n_x[j] + rr * ((double)n_h[j] + b_hn[j]));
        double zz = oracle_sigmoid((double)z_h[j] + z_x[j]);
        h[j] = (1.0 - zz) * nn + zz * h_prev[j];
    }
}

void oracle_gru_rb_rz_gates(size_t n, const float *r, const float *z_pre, const float *h_prev,
                            double *rh, double *z)
{
    for (size_t j = 0; j < n; j++) {
        z[j] = oracle_sigmoid(z_pre[j]);
        rh[j] = oracle_sigmoid(r[j]) * h_prev[j];
    }
}

void oracle_gru_rb_h_gates(size_t n, const float *t, const float *z, const float *h_prev,
                           double *h)
{
    for (size_t j = 0; j < n; j++)
        h[j] = (1.0 - z[j]) * tanh((double)t[j]) + (double)z[j] * h_prev[j];
}

void oracle_rnn_tanh_gates(size_t n, const float *t, double *h)
{
    for (size_t j = 0; j < n; j++)
        h[j] = tanh((double)t[j]);
}

void oracle_rnn_relu_gates(size_t n, const float *t, double *h)
{
    for (size_t j = 0; j < n; j++)
        h[j] = isnan(t[j]) || t[j] > 0.0f ? (double)t[j] : 0.0;
}

/* The functions as ONNX defines them, in double: NaN in gives NaN, Softsign's limits at
 * infinity, Softplus and Elu through log1p and expm1 (no overflow, no cancellation). */
double oracle_act(double x, const rnnrt_activation *a)
{
    const double al = a->alpha, be = a->beta;
    if (isnan(x))
        return x;
    switch (a->fn) {
    case RNNRT_ACT_SIGMOID: return oracle_sigmoid(x);
    case RNNRT_ACT_TANH: return tanh(x);
    case RNNRT_ACT_RELU: return x > 0.0 ? x : 0.0;
    case RNNRT_ACT_AFFINE: return al * x + be;
    case RNNRT_ACT_LEAKY_RELU: return x >= 0.0 ? x : al * x;
    case RNNRT_ACT_THRESHOLDED_RELU: return x > al ? x : 0.0;
    case RNNRT_ACT_SCALED_TANH: return al * tanh(be * x);
    case RNNRT_ACT_HARD_SIGMOID: {
        double v = al * x + be;
        return isnan(v) ? v : v < 0.0 ? 0.0 : v > 1.0 ? 1.0 : v;
    }
    case RNNRT_ACT_ELU: return x >= 0.0 ? x : al * expm1(x);
    case RNNRT_ACT_SOFTSIGN: return isinf(x) ? copysign(1.0, x) : x / (1.0 + fabs(x));
    case RNNRT_ACT_SOFTPLUS: return fmax(x, 0.0) + log1p(exp(-fabs(x)));
    }
    return NAN;
}

/* Results beyond float's range are the infinities float rounds them to (Affine, LeakyRelu
 * and ScaledTanh multiply). */
void oracle_vact(size_t n, const float *x, double *y, const rnnrt_activation *a)
{
    for (size_t j = 0; j < n; j++) {
        double v = oracle_act(x[j], a);
        y[j] = fabs(v) > FLT_MAX ? copysign(INFINITY, v) : v;
    }
}
