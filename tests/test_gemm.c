/* GEMM microkernels, the packed blocked GEMM and matmul_nt of every kernel set against a naive double-precision
 * oracle, on edge shapes: every mr up to MR, k from 1 to past a cache block, no init /
 * broadcast init / per-row init / init aliasing c, unaligned A, init and C, canaries
 * around C for out-of-bounds writes. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dispatch.h"
#include "gemm.h"
#include "tuning.h"
#include "model_builder.h"

#define CANARY 12345.0f

/* The classic bound for a float32 sum of k products: |error| <= k * eps * sum |a_i b_i|
 * (Higham, "Accuracy and Stability of Numerical Algorithms", 3.1); eps = 2^-24, plus the
 * rounding of the init term. */
static double bound(size_t k, double abs_sum, double init)
{
    return (double)(k + 2) * 0x1p-24 * (abs_sum + fabs(init)) + 1e-30;
}

static void check_ukernel(const char *isa, const char *which, const rnnrt_gemm_ukernel *uk)
{
    static const size_t kcs[] = {1, 2, 3, 5, 8, 17, 64, 129};
    const size_t nr = (size_t)uk->nr, lda_pad = 3, ldc = nr + 5, ld_init = nr + 2;
    unsigned seed = 7;
    for (size_t ki = 0; ki < sizeof kcs / sizeof kcs[0]; ki++) {
        size_t kc = kcs[ki], lda = kc + lda_pad;
        float *b = aligned_alloc(64, (kc * nr * sizeof(float) + 63) / 64 * 64);
        float *a = malloc((1 + (size_t)uk->mr * lda) * sizeof(float));
        float *init = malloc((1 + (size_t)uk->mr * ld_init) * sizeof(float));
        float *c = malloc((1 + (size_t)uk->mr * ldc + 8) * sizeof(float));
        fill_uniform(b, kc * nr, 1.0f, &seed);
        fill_uniform(a, 1 + (size_t)uk->mr * lda, 1.0f, &seed);
        for (int mode = 0; mode < 4; mode++) /* 0 none, 1 broadcast, 2 rows, 3 init == c */
            for (size_t mr = 1; mr <= (size_t)uk->mr; mr++) {
                float *au = a + 1, *cu = c + 1, *iu = init + 1; /* unaligned */
                fill_uniform(init, 1 + (size_t)uk->mr * ld_init, 1.0f, &seed);
                for (size_t k = 0; k < 1 + (size_t)uk->mr * ldc + 8; k++)
                    c[k] = CANARY;
                const float *ip = NULL;
                size_t ldi = 0;
                if (mode == 1)
                    ip = iu;
                else if (mode == 2)
                    ip = iu, ldi = ld_init;
                else if (mode == 3) {
                    for (size_t m = 0; m < mr; m++)
                        memcpy(cu + m * ldc, iu + m * ld_init, nr * sizeof(float));
                    ip = cu, ldi = ldc;
                }
                uk->fn(mr, kc, au, lda, b, ip, ldi, cu, ldc);
                for (size_t m = 0; m < (size_t)uk->mr; m++)
                    for (size_t j = 0; j < ldc; j++) {
                        float got = cu[m * ldc + j];
                        if (m >= mr || j >= nr) {
                            if (got != CANARY)
                                fail_msg("%s %s: mr %zu kc %zu mode %d wrote c[%zu][%zu]", isa,
                                         which, mr, kc, mode, m, j);
                            continue;
                        }
                        double init_v = mode == 0 ? 0 : mode == 1 ? iu[j] : iu[m * ld_init + j];
                        double ref = init_v, abs_sum = 0;
                        for (size_t k = 0; k < kc; k++) {
                            double p = (double)au[m * lda + k] * b[k * nr + j];
                            ref += p;
                            abs_sum += fabs(p);
                        }
                        if (fabs(got - ref) > bound(kc, abs_sum, init_v))
                            fail_msg("%s %s: mr %zu kc %zu mode %d c[%zu][%zu] = %.9g, "
                                     "expected %.9g", isa, which, mr, kc, mode, m, j, got, ref);
                    }
                if (cu[-1] != CANARY || cu[(size_t)uk->mr * ldc] != CANARY)
                    fail_msg("%s %s: wrote outside c", isa, which);
            }
        free(a);
        free(b);
        free(init);
        free(c);
    }
}

static void check_matmul_nt(const char *isa, rnnrt_f32_matmul_nt_fn fn)
{
    static const size_t Ks[] = {1, 7, 8, 15, 16, 17, 31, 33, 64, 100};
    unsigned seed = 11;
    for (size_t ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++) {
        size_t M = 3, N = 5, K = Ks[ki], lda = K + 1, ldw = K + 2, ldc = N + 1;
        float a[3 * 101], w[5 * 102], bias[5], c[3 * 6 + 1];
        fill_uniform(a, M * lda, 1.0f, &seed);
        fill_uniform(w, N * ldw, 1.0f, &seed);
        fill_uniform(bias, N, 1.0f, &seed);
        for (size_t k = 0; k < sizeof c / sizeof c[0]; k++)
            c[k] = CANARY;
        fn(M, N, K, a + 1, lda, w, ldw, ki % 2 ? bias : NULL, c, ldc);
        for (size_t m = 0; m < M; m++)
            for (size_t n = 0; n < ldc; n++) {
                if (n >= N) {
                    assert_true(c[m * ldc + n] == CANARY);
                    continue;
                }
                double b0 = ki % 2 ? bias[n] : 0, ref = b0, abs_sum = 0;
                for (size_t k = 0; k < K; k++) {
                    double p = (double)a[1 + m * lda + k] * w[n * ldw + k];
                    ref += p;
                    abs_sum += fabs(p);
                }
                if (fabs(c[m * ldc + n] - ref) > bound(K, abs_sum, b0))
                    fail_msg("%s matmul_nt K %zu: c[%zu][%zu] = %.9g, expected %.9g", isa, K, m,
                             n, c[m * ldc + n], ref);
            }
    }
}

/* The whole blocked GEMM on packed weights: several panels, a partial last one, k-blocks. */
static void check_packed_gemm(const char *isa, const rnnrt_kernels *k)
{
    static const int shapes[][3] = {{1, 5, 3}, {7, 130, 70}, {13, 64, 200}, {4, 97, 1}};
    unsigned seed = 5;
    rnnrt_tuning_set_gemm_kc(48);
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        size_t ldc = (size_t)N + 3;
        float *a = malloc((size_t)M * K * sizeof(float)), *w = malloc((size_t)N * K * sizeof(float));
        float *c = malloc(((size_t)M * ldc + 1) * sizeof(float));
        float *tile = malloc((size_t)M * k->gemm4.nr * sizeof(float));
        fill_uniform(a, (size_t)M * K, 1.0f, &seed);
        fill_uniform(w, (size_t)N * K, 1.0f, &seed);
        for (size_t i = 0; i < (size_t)M * ldc + 1; i++)
            c[i] = CANARY;
        rnnrt_gemm_b *b = rnnrt_gemm_b_pack(k, w, N, K);
        assert_non_null(b);
        rnnrt_gemm_b_run(b, M, a, (size_t)K, c, ldc, tile);
        for (int m = 0; m < M; m++)
            for (size_t n = 0; n < ldc; n++) {
                float got = c[m * ldc + n];
                if ((int)n >= N) {
                    assert_true(got == CANARY);
                    continue;
                }
                double ref = 0, abs_sum = 0;
                for (int kk = 0; kk < K; kk++) {
                    double p = (double)a[m * K + kk] * w[n * K + kk];
                    ref += p;
                    abs_sum += fabs(p);
                }
                if (fabs(got - ref) > bound((size_t)K, abs_sum, 0))
                    fail_msg("%s packed gemm %dx%dx%d: c[%d][%zu] = %.9g, expected %.9g", isa,
                             M, N, K, m, n, got, ref);
            }
        assert_true(c[(size_t)M * ldc] == CANARY);
        rnnrt_gemm_b_free(b);
        free(a);
        free(w);
        free(c);
        free(tile);
    }
    rnnrt_tuning_set_gemm_kc(-1);
}

static void kernels_of(void **st)
{
    const char *isa = *st;
    const rnnrt_kernels *k = rnnrt_kernels_for_isa(isa);
    if (!k) {
        print_message("[  SKIP    ] %s kernels: not built or not supported by this CPU\n", isa);
        skip();
    }
    assert_int_equal(k->gemm4.nr, 4 * k->units);
    assert_int_equal(k->gemm3.nr, 3 * k->units);
    check_ukernel(isa, "gemm4", &k->gemm4);
    check_ukernel(isa, "gemm3", &k->gemm3);
    check_matmul_nt(isa, k->matmul_nt);
    check_packed_gemm(isa, k);
}

int main(void)
{
    static const char *isas[] = {"scalar", "avx2", "avx512", "neon"};
    const struct CMUnitTest tests[] = {
        {"gemm_scalar", kernels_of, NULL, NULL, (void *)isas[0]},
        {"gemm_avx2", kernels_of, NULL, NULL, (void *)isas[1]},
        {"gemm_avx512", kernels_of, NULL, NULL, (void *)isas[2]},
        {"gemm_neon", kernels_of, NULL, NULL, (void *)isas[3]},
    };
    return cmocka_run_group_tests_name("gemm", tests, NULL, NULL);
}
