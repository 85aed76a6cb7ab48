/* The hand-written OpenBLAS LSTM peer: see bench_peers.h. Gate order i, f, g, o and the
 * weight layout [4H][K] are PyTorch's, so the GEMMs are C = A * W^T. */
#include "bench_peers.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_model.h"

/* Last: OpenBLAS's cblas.h pulls in <complex.h>, whose macro I would eat a
 * variable named I. */
#include <cblas.h>

/* Declared by OpenBLAS's cblas.h in some packagings only. */
char *openblas_get_corename(void);
char *openblas_get_config(void);
void openblas_set_num_threads(int n);

struct rnnrt_bench_blas_lstm {
    int T, N, H, In;
    float *w_ih, *w_hh, *bias; /* [4H][In], [4H][H], [4H] = b_ih + b_hh */
    float *x, *y;              /* [T][N][In], [T][N][H] */
    float *gates;              /* [T][N][4H]: input projections, then the step's sums */
    float *c;                  /* [N][H] */
};

rnnrt_bench_blas_lstm *rnnrt_bench_blas_lstm_create(int T, int N, int H, int in_size,
                                                    unsigned long long seed)
{
    rnnrt_bench_blas_lstm *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->T = T, p->N = N, p->H = H, p->In = in_size;
    size_t G = 4;
    p->w_ih = rnnrt_bench_alloc(G * H * in_size);
    p->w_hh = rnnrt_bench_alloc(G * H * H);
    p->bias = rnnrt_bench_alloc(G * H);
    p->x = rnnrt_bench_alloc((size_t)T * N * in_size);
    p->y = rnnrt_bench_alloc((size_t)T * N * H);
    p->gates = rnnrt_bench_alloc((size_t)T * N * G * H);
    p->c = rnnrt_bench_alloc((size_t)N * H);
    if (!p->w_ih || !p->w_hh || !p->bias || !p->x || !p->y || !p->gates || !p->c) {
        rnnrt_bench_blas_lstm_free(p);
        return NULL;
    }
    float scale = 1.0f / sqrtf((float)H);
    rnnrt_bench_fill(p->w_ih, G * H * in_size, seed + 1, scale);
    rnnrt_bench_fill(p->w_hh, G * H * H, seed + 2, scale);
    rnnrt_bench_fill(p->bias, G * H, seed + 3, scale);
    rnnrt_bench_fill(p->x, (size_t)T * N * in_size, seed + 4, 1.0f);
    return p;
}

static float sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

void rnnrt_bench_blas_lstm_run(rnnrt_bench_blas_lstm *p)
{
    const int T = p->T, N = p->N, H = p->H, In = p->In, G4 = 4 * H;
    /* All input projections at once: gates = bias + x W_ih^T, M = T*N rows. */
    for (int r = 0; r < T * N; r++)
        memcpy(p->gates + (size_t)r * G4, p->bias, (size_t)G4 * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T * N, G4, In, 1.0f, p->x, In,
                p->w_ih, In, 1.0f, p->gates, G4);
    memset(p->c, 0, (size_t)N * H * sizeof(float));
    for (int t = 0; t < T; t++) {
        float *g = p->gates + (size_t)t * N * G4;
        float *h = p->y + (size_t)t * N * H;
        if (t > 0) /* h_0 = 0: the first step has no recurrent product */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, N, G4, H, 1.0f,
                        p->y + (size_t)(t - 1) * N * H, H, p->w_hh, H, 1.0f, g, G4);
        for (int b = 0; b < N; b++) {
            const float *gb = g + (size_t)b * G4;
            float *cb = p->c + (size_t)b * H, *hb = h + (size_t)b * H;
            for (int j = 0; j < H; j++) {
                float i = sigmoid(gb[j]), f = sigmoid(gb[H + j]);
                float gg = tanhf(gb[2 * H + j]), o = sigmoid(gb[3 * H + j]);
                cb[j] = f * cb[j] + i * gg;
                hb[j] = o * tanhf(cb[j]);
            }
        }
    }
}

void rnnrt_bench_blas_lstm_free(rnnrt_bench_blas_lstm *p)
{
    if (!p)
        return;
    rnnrt_bench_free(p->w_ih);
    rnnrt_bench_free(p->w_hh);
    rnnrt_bench_free(p->bias);
    rnnrt_bench_free(p->x);
    rnnrt_bench_free(p->y);
    rnnrt_bench_free(p->gates);
    rnnrt_bench_free(p->c);
    free(p);
}

void rnnrt_bench_blas_set_threads(int n)
{
    openblas_set_num_threads(n);
}

const char *rnnrt_bench_blas_info(void)
{
    static char info[256];
    const char *env = getenv("OPENBLAS_CORETYPE");
    snprintf(info, sizeof info, "%s; core %s (OPENBLAS_CORETYPE=%s)", openblas_get_config(),
             openblas_get_corename(), env && *env ? env : "unset: detected");
    return info;
}

const char *rnnrt_bench_blas_core(void)
{
    static char core[96];
    snprintf(core, sizeof core, "OpenBLAS core=%s", openblas_get_corename());
    return core;
}
